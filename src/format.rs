//! Short human forms of numbers, sizes, ages and durations, and cutting long
//! strings: shared by the text reports and the dashboard. Pure.

use std::time::Duration;

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1234567` -> `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cut a string to `max` characters with an ellipsis.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A short age like `3d 4h`, `12m 5s`, `850ms`.
pub fn age(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

pub fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The last `width` values as a text sparkline (`▁`…`█`, scaled to their
/// maximum; a space where a value is unknown).
pub fn spark(values: &[Option<u64>], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().flatten().copied().max().unwrap_or(0);
    tail.iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if max == 0 => BARS[0],
            Some(v) => BARS[((v * 7 + max / 2) / max).min(7) as usize],
        })
        .collect()
}

/// A rate per second, short: `0`, `2.5`, `40`, `1,250`.
pub fn rate(r: f64) -> String {
    if r.abs() >= 10.0 || r == r.round() {
        count(r.abs().round() as u64)
    } else {
        format!("{:.1}", r.abs())
    }
}

#[cfg(test)]
mod spark_tests {
    #[test]
    fn a_sparkline_scales_to_its_maximum_and_keeps_the_newest() {
        let v: Vec<Option<u64>> = [0, 1, 2, 4, 8].into_iter().map(Some).collect();
        assert_eq!(super::spark(&v, 5), "▁▂▃▅█");
        assert_eq!(super::spark(&v, 2), "▅█");
        assert_eq!(super::spark(&[None, Some(0)], 4), " ▁");
        assert_eq!(super::rate(2.46), "2.5");
        assert_eq!(super::rate(1250.2), "1,250");
    }
}
