//! The wall clock, in one place.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The local broken-down time of `ms` (`None` if the C library cannot say).
fn local(ms: u64) -> Option<libc::tm> {
    let secs = (ms / 1000) as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own; a zeroed tm is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    ok.then_some(tm)
}

/// Local wall-clock time of `ms`: `14:02:05`, or `26 14:02` (day of month)
/// with `with_day`. Local, as the on-call engineer's clock shows it.
pub fn clock(ms: u64, with_day: bool) -> String {
    let Some(tm) = local(ms) else {
        return "?".into();
    };
    if with_day {
        format!("{:02} {:02}:{:02}", tm.tm_mday, tm.tm_hour, tm.tm_min)
    } else {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}

/// The local date of `ms`: `YYYY-MM-DD`.
pub fn date(ms: u64) -> String {
    // SAFETY: a zeroed tm is valid (it only stands in when localtime_r fails).
    let tm = local(ms).unwrap_or_else(|| unsafe { std::mem::zeroed() });
    format!(
        "{:04}-{:02}-{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday
    )
}

/// Parse a local `YYYY-MM-DD HH:MM[:SS]` into unix ms.
pub fn parse_local(s: &str) -> Option<u64> {
    let (date, time) = s.trim().split_once([' ', 'T'])?;
    let d: Vec<i32> = date
        .split('-')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i32> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if d.len() != 3 || !(2..=3).contains(&t.len()) {
        return None;
    }
    // SAFETY: a zeroed tm is valid; mktime reads it and normalises it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = d[0] - 1900;
    tm.tm_mon = d[1] - 1;
    tm.tm_mday = d[2];
    tm.tm_hour = t[0];
    tm.tm_min = t[1];
    tm.tm_sec = t.get(2).copied().unwrap_or(0);
    tm.tm_isdst = -1;
    let secs = unsafe { libc::mktime(&mut tm) };
    (secs >= 0).then(|| secs as u64 * 1000)
}

/// A time on the command line: `2026-11-26 02:15`, `02:15` (today), or
/// `40m ago` (humantime). `None` when it is none of these.
pub fn parse_when(s: &str, now_ms: u64) -> Option<u64> {
    let s = s.trim();
    if let Some(ago) = s.strip_suffix("ago") {
        let d = humantime::parse_duration(ago.trim()).ok()?;
        return Some(now_ms.saturating_sub(d.as_millis() as u64));
    }
    if let Some(ms) = parse_local(s) {
        return Some(ms);
    }
    // A time of day: today, local.
    parse_local(&format!("{} {s}", date(now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_back() {
        let now = now_ms();
        let t = parse_when("2026-11-26 02:15", now).unwrap();
        assert_eq!(clock(t, false), "02:15:00");
        assert_eq!(parse_when("40m ago", now), Some(now - 2_400_000));
        let today = parse_when("00:00:01", now).unwrap();
        assert!(today <= now + 86_400_000);
        assert!(parse_when("soon", now).is_none());
    }
}
