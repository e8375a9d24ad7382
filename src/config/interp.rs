//! `${VAR}` and `${VAR:-default}` interpolation, as the system's own config uses it.

/// A `${VAR}` with no default whose variable is unset (or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpError {
    Missing(String),
    Unclosed(String),
}

/// Expand every `${NAME}` / `${NAME:-default}` in `input`.
///
/// The default applies when the variable is unset or empty (shell `:-` semantics),
/// and may itself hold `${...}` (`${PW:-${FALLBACK}}`), expanded only when used.
/// `$$` stands for a literal `$`. The result never holds an unexpanded `${`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, InterpError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = closing(body).ok_or_else(|| InterpError::Unclosed(input.to_string()))?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let value = lookup(name.trim()).filter(|v| !v.is_empty());
            match (value, default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(&expand(d, lookup)?),
                (None, None) => return Err(InterpError::Missing(name.trim().to_string())),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` closing a `${` whose body starts `body`, counting
/// nested `${ ... }`.
fn closing(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The process environment as a lookup.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn plain_and_defaults() {
        assert_eq!(expand("no vars", &vars).unwrap(), "no vars");
        assert_eq!(expand("${SET}", &vars).unwrap(), "value");
        assert_eq!(expand("a-${SET}-b", &vars).unwrap(), "a-value-b");
        assert_eq!(
            expand("${UNSET:-localhost:6379}", &vars).unwrap(),
            "localhost:6379"
        );
        assert_eq!(expand("${EMPTY:-dflt}", &vars).unwrap(), "dflt");
        assert_eq!(expand("${SET:-dflt}", &vars).unwrap(), "value");
        assert_eq!(expand("${UNSET:-}", &vars).unwrap(), "");
        assert_eq!(
            expand("cost $5 and $$ and $", &vars).unwrap(),
            "cost $5 and $ and $"
        );
    }

    #[test]
    fn nested_defaults_expand_and_never_leak_a_template() {
        assert_eq!(expand("${UNSET:-${SET}}", &vars).unwrap(), "value");
        assert_eq!(
            expand("${UNSET:-${ALSO_UNSET:-deep}}", &vars).unwrap(),
            "deep"
        );
        assert_eq!(expand("${SET:-${ALSO_UNSET}}", &vars).unwrap(), "value");
        assert_eq!(
            expand("${UNSET:-${ALSO_UNSET}}", &vars),
            Err(InterpError::Missing("ALSO_UNSET".into()))
        );
        assert_eq!(
            expand("a${UNSET:-${SET}}b${SET}", &vars).unwrap(),
            "avaluebvalue"
        );
        assert!(matches!(
            expand("${UNSET:-${SET}", &vars),
            Err(InterpError::Unclosed(_))
        ));
    }

    #[test]
    fn missing_and_unclosed() {
        assert_eq!(
            expand("${REDIS_PASSWORD}", &vars),
            Err(InterpError::Missing("REDIS_PASSWORD".into()))
        );
        assert_eq!(
            expand("${EMPTY}", &vars),
            Err(InterpError::Missing("EMPTY".into()))
        );
        assert!(matches!(
            expand("${OOPS", &vars),
            Err(InterpError::Unclosed(_))
        ));
    }
}
