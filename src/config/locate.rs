//! Find the line of a key path in block-style YAML, for warnings about unknown
//! keys (the deserializer tells us *which* key was ignored, not where).

/// 1-based line of the last segment of `path`, if it can be found.
pub fn line_of(text: &str, path: &[String]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut found = None;
    for seg in path {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if let Some(p) = parent_indent
                && indent <= p
            {
                break; // left the parent's block
            }
            let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
            if key_of(body) == Some(seg.as_str()) {
                hit = Some((i, indent));
                break;
            }
        }
        let (i, indent) = hit?;
        found = Some(i + 1);
        start = i + 1;
        parent_indent = Some(indent);
    }
    found
}

fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let key = key.trim();
    Some(
        key.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = "profiles:\n  dev:\n    redis:\n      pasword: x\n  prod:\n    redis:\n      # c\n      pasword: y\n";
        let p = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            line_of(text, &p(&["profiles", "dev", "redis", "pasword"])),
            Some(4)
        );
        assert_eq!(
            line_of(text, &p(&["profiles", "prod", "redis", "pasword"])),
            Some(8)
        );
        assert_eq!(line_of(text, &p(&["profiles", "dev", "nope"])), None);
    }
}
