//! Stream entry IDs (`<ms>-<seq>`).

/// Parse `1700000000000-3` into (ms, seq).
pub fn parse(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// A complete stream id as a user may pass one: `ms` or `ms-seq`, digits
/// only. Anything else (`FORCE`, `JUSTID`, `+`, `-5`) must never reach a
/// command, where it would be read as an option or a range bound.
pub fn is_stream_id(id: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match id.split_once('-') {
        Some((ms, seq)) => digits(ms) && digits(seq),
        None => digits(id),
    };
    ok && parse(id).is_some()
}

/// Milliseconds between the ID's timestamp and `now_ms` (0 if in the future).
pub fn age_ms(id: &str, now_ms: u64) -> Option<u64> {
    parse(id).map(|(ms, _)| now_ms.saturating_sub(ms))
}

/// True when `a` is a later ID than `b`.
pub fn is_after(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares() {
        assert_eq!(parse("1700000000000-3"), Some((1_700_000_000_000, 3)));
        assert_eq!(parse("5"), Some((5, 0)));
        assert_eq!(parse("x-1"), None);
        assert!(is_after("10-1", "10-0"));
        assert!(is_after("11-0", "10-9"));
        assert!(!is_after("0-0", "0-0"));
        assert_eq!(age_ms("1000-0", 1500), Some(500));
        assert_eq!(age_ms("2000-0", 1500), Some(0));
    }
}

#[cfg(test)]
mod id_tests {
    #[test]
    fn only_digits_make_a_stream_id() {
        for ok in ["1700000000000-0", "1700000000000", "0-1"] {
            assert!(super::is_stream_id(ok), "{ok}");
        }
        for bad in [
            "FORCE",
            "JUSTID",
            "RETRYCOUNT",
            "+",
            "-",
            "+5-0",
            "5-",
            "-5",
            "1-2-3",
            "",
            "1 2",
            "99999999999999999999999-0",
        ] {
            assert!(!super::is_stream_id(bad), "{bad}");
        }
    }
}
