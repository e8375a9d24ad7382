//! Detail popups: every field, JSON pretty-printed, binary shown safely.

use crate::format::{age, count};
use crate::model::{ClientRow, SlowEntry, Snapshot, StreamEntry};
use crate::sanitize;
use std::time::Duration;

/// A scrollable popup of lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Popup {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
    /// An entry shown cut to [`SHOWN`] bytes per value: `L` shows it all.
    pub more: Option<Box<StreamEntry>>,
    /// The stream and group a detail shows: rebuilt from each new
    /// snapshot while it is open (not a frozen copy), at the same scroll.
    pub live: Option<(crate::model::Name, Option<crate::model::Name>)>,
}

/// Bytes of one value shown in a popup until `L` is pressed; the rest is
/// counted, not drawn.
pub const SHOWN: usize = 64 * 1024;

/// Characters per popup line for long values, so that a megabyte scrolls
/// line by line instead of wrapping into one line taller than the screen.
const CHUNK: usize = 512;

/// Lines for one field value: JSON objects/arrays pretty-printed, the rest
/// sanitised; at most `limit` bytes of it.
fn value_lines(name: &str, raw: &[u8], limit: usize) -> Vec<String> {
    if raw.len() > limit {
        let mut out = value_lines(name, &raw[..limit], limit);
        out.push(format!(
            "  … {} more bytes not shown ({} in all) · L shows the whole entry",
            raw.len() - limit,
            raw.len()
        ));
        return out;
    }
    if let Ok(text) = std::str::from_utf8(raw) {
        let t = text.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
        {
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            let mut out = vec![format!("{}:", sanitize::text(name))];
            out.extend(pretty.lines().map(|l| format!("  {}", sanitize::text(l))));
            return out;
        }
    }
    let text = sanitize::bytes(raw);
    if text.chars().count() <= CHUNK {
        return vec![format!("{}: {text}", sanitize::text(name))];
    }
    let mut out = vec![format!("{}: ({} bytes)", sanitize::text(name), raw.len())];
    let chars: Vec<char> = text.chars().collect();
    out.extend(
        chars
            .chunks(CHUNK)
            .map(|c| format!("  {}", c.iter().collect::<String>())),
    );
    out
}

/// An entry with [`SHOWN`] bytes of each value; `L` in the popup shows it all.
pub fn entry(title: &str, e: &StreamEntry) -> Popup {
    entry_upto(title, e, SHOWN)
}

/// An entry with every byte of every value.
pub fn entry_whole(title: &str, e: &StreamEntry) -> Popup {
    entry_upto(title, e, usize::MAX)
}

fn entry_upto(title: &str, e: &StreamEntry, limit: usize) -> Popup {
    let mut lines = vec![format!("id: {}", sanitize::text(&e.id))];
    if let Some((ms, _)) = crate::model::ids::parse(&e.id) {
        lines.push(format!(
            "created: {} (unix ms {ms})",
            humantime::format_rfc3339_millis(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)
            )
        ));
    }
    lines.push(String::new());
    for (k, v) in &e.fields {
        lines.extend(value_lines(&k.as_str_lossy(), &v.0, limit));
    }
    let cut = e.fields.iter().any(|(_, v)| v.0.len() > limit);
    Popup {
        title: sanitize::text(title),
        lines,
        scroll: 0,
        more: cut.then(|| Box::new(e.clone())),
        live: None,
    }
}

pub fn slow(e: &SlowEntry) -> Popup {
    let mut lines = vec![
        format!("id: {}", e.id),
        format!(
            "time: {}",
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(e.time)
            )
        ),
        format!("duration: {} µs", count(e.duration_us)),
        format!(
            "client: {} {}",
            sanitize::text(&e.client_addr),
            sanitize::text(&e.client_name)
        ),
        String::new(),
        "arguments:".into(),
    ];
    for (i, a) in e.args.iter().enumerate() {
        lines.push(format!("  [{i}] {}", a.display()));
    }
    Popup {
        title: format!("slow command {}", e.id),
        lines,
        scroll: 0,
        more: None,
        live: None,
    }
}

pub fn client(c: &ClientRow) -> Popup {
    Popup {
        title: format!("client {}", c.id),
        lines: vec![
            format!("addr: {}", sanitize::text(&c.addr)),
            format!("name: {}", sanitize::text(&c.name)),
            format!("user: {}", sanitize::text(&c.user)),
            format!(
                "age: {}  idle: {}",
                age(c.age_s * 1000),
                age(c.idle_s * 1000)
            ),
            format!("db: {}  flags: {}", c.db, sanitize::text(&c.flags)),
            format!("last command: {}", sanitize::text(&c.cmd)),
            format!(
                "output buffer: {} B  total memory: {} B",
                count(c.omem),
                count(c.tot_mem)
            ),
        ],
        scroll: 0,
        more: None,
        live: None,
    }
}

/// Detail of a stream (`group` None) or of one of its groups, by index.
pub fn stream_group(
    snap: &Snapshot,
    stream: usize,
    group: Option<usize>,
    claim_min_idle: Duration,
    lag_series: &[Option<u64>],
) -> Popup {
    let s = &snap.streams[stream];
    let mut lines = vec![format!(
        "stream: {}{}",
        s.name.escaped(),
        if s.configured { "" } else { " (discovered)" }
    )];
    if !s.exists {
        lines.push("the stream does not exist on the server".into());
    } else {
        lines.push(format!("length: {}", count(s.length)));
        lines.push(format!(
            "entries added: {}",
            s.entries_added.map(count).unwrap_or_else(|| "?".into())
        ));
        lines.push(format!(
            "first id: {}",
            s.first_id.as_deref().unwrap_or("-")
        ));
        lines.push(format!("last id: {}", s.last_id.as_deref().unwrap_or("-")));
        lines.push(format!(
            "max deleted id: {}",
            s.max_deleted_entry_id.as_deref().unwrap_or("-")
        ));
    }
    if let Some(d) = &s.dlq {
        lines.push(format!(
            "dead-letter queue: {} ({} entries)",
            d.stream.escaped(),
            count(d.length)
        ));
    }
    if let Some(g) = group.map(|gi| &s.groups[gi]) {
        lines.push(String::new());
        lines.push(format!("group: {}", g.name.escaped()));
        if !g.exists {
            lines.push("the group is configured but does not exist on the server".into());
        } else {
            health_lines(&mut lines, g, lag_series);
            lines.push(format!("consumers: {}", count(g.consumers)));
            if let Some(c) = &g.consumer_summary {
                lines.push(format!(
                    "  {} hold pending entries; {} idle longer than claim_min_idle ({} of them hold nothing: prunable)",
                    count(c.with_pending),
                    count(c.idle_over_claim_min_idle),
                    count(c.idle_over_claim_min_idle_without_pending)
                ));
            }
            lines.push(format!("pending: {}", count(g.pending)));
            match (g.lag, &g.lag_unavailable_reason) {
                (Some(l), _) => lines.push(format!("lag: {}", count(l))),
                (None, Some(why)) => lines.push(format!("lag: n/a — {why}")),
                (None, None) => lines.push("lag: n/a".into()),
            }
            lines.push(format!(
                "entries read: {}",
                g.entries_read
                    .map(count)
                    .unwrap_or_else(|| "unknown".into())
            ));
            lines.push(format!(
                "last delivered id: {}{}",
                g.last_delivered_id.as_deref().unwrap_or("-"),
                g.last_delivered_age_ms
                    .map(|a| format!(" (that entry is {} old; not the time behind)", age(a)))
                    .unwrap_or_default()
            ));
            if let Some(a) = g.oldest_pending_age_ms {
                lines.push(format!(
                    "oldest pending entry: {} old (claim_min_idle {})",
                    age(a),
                    humantime::format_duration(claim_min_idle)
                ));
            }
            for c in g.pending_by_consumer.iter().take(10) {
                lines.push(format!(
                    "  {} holds {}",
                    c.consumer.escaped(),
                    count(c.pending)
                ));
            }
        }
    }
    Popup {
        title: "stream detail".into(),
        lines,
        scroll: 0,
        more: None,
        live: None,
    }
}

/// A group's health: status and the rule that decided it, time behind and
/// how it is known, the window's rates, the ETA, the lag's recent series.
fn health_lines(lines: &mut Vec<String>, g: &crate::model::GroupInfo, lag_series: &[Option<u64>]) {
    let h = &g.health;
    lines.push(format!(
        "status: {}{}",
        h.status.map_or("-", |s| s.word()),
        h.status_reason
            .as_deref()
            .map(|r| format!(" — {}", sanitize::text(r)))
            .unwrap_or_default()
    ));
    match (g.behind_ms, &g.behind_reason) {
        (Some(0), None) => lines.push("behind: 0 (nothing undelivered)".into()),
        (Some(ms), None) => lines.push(format!(
            "behind: {} — the first undelivered entry {} against the server's clock; exact even where Redis reports no lag (tombstones, trimming)",
            age(ms),
            g.first_undelivered_id.as_deref().unwrap_or("-")
        )),
        (Some(ms), Some(why)) => lines.push(format!("behind: at most {} — {why}", age(ms))),
        (None, Some(why)) => lines.push(format!("behind: n/a — {why}")),
        (None, None) => lines.push("behind: n/a".into()),
    }
    let r = |v: Option<f64>| v.map_or("?".into(), |v| format!("{}/s", crate::format::rate(v)));
    if let Some(w) = h.window_s {
        lines.push(format!(
            "over the last {}: in {} · out {} · acked {} · lag now {} (its newer half)",
            age((w * 1000.0) as u64),
            r(h.produced_per_s),
            r(h.consumed_per_s),
            r(h.acked_per_s),
            h.lag_change_per_s
                .map_or("?".into(), crate::model::health::signed_rate)
        ));
        if h.consumed_per_s.is_none() {
            lines.push("  out/s unknown: Redis reports entries-read as NULL for this group".into());
        }
        lines.push(format!("eta: {}", crate::model::health::eta_text(h, g.lag)));
    }
    if lag_series.iter().any(Option::is_some) {
        let known: Vec<u64> = lag_series.iter().flatten().copied().collect();
        lines.push(format!(
            "lag, last {} polls: {} (min {}, max {})",
            lag_series.len(),
            crate::format::spark(lag_series, 60),
            count(known.iter().copied().min().unwrap_or(0)),
            count(known.iter().copied().max().unwrap_or(0))
        ));
    }
}

/// How the dashboard reaches the deployment: mode, master, the SSH tunnel
/// and its forwards, the sentinels (the header's `I`).
pub fn connection(snap: Option<&Snapshot>, endpoint: &str, now_ms: u64) -> Popup {
    let mut lines = Vec::new();
    let Some(s) = snap else {
        lines.push(format!("{} · not connected yet", sanitize::text(endpoint)));
        return Popup {
            title: "connection".into(),
            lines,
            scroll: 0,
            more: None,
            live: None,
        };
    };
    let d = &s.deployment;
    lines.push(format!("mode: {}", d.mode));
    // redeye's connections name themselves; an ACL without CLIENT refuses it.
    for n in &s.nodes {
        lines.push(match &n.client_name {
            Some(name) => format!(
                "client name on {}: {} (CLIENT SETNAME; look for it in CLIENT LIST and the slowlog)",
                sanitize::text(&n.address),
                sanitize::text(name)
            ),
            None => format!(
                "client name on {}: none (CLIENT SETNAME was refused or disabled; the connection is unnamed)",
                sanitize::text(&n.address)
            ),
        });
    }
    if let Some(name) = &d.master_name {
        lines.push(format!("master name: {}", sanitize::text(name)));
    }
    if let Some(m) = &d.master {
        let since = d
            .master_since_ms
            .map(|t| format!(" (since {} ago)", age(now_ms.saturating_sub(t))))
            .unwrap_or_default();
        lines.push(format!("master: {}{since}", sanitize::text(m)));
    }
    match &d.tunnel {
        None => lines.push("tunnel: none (direct connection)".into()),
        Some(t) => {
            lines.push(format!(
                "tunnel: via {} · {}{}",
                sanitize::text(&t.via),
                if t.up { "up" } else { "DOWN" },
                if t.restarts > 0 {
                    format!(" · restarted {} time(s)", t.restarts)
                } else {
                    String::new()
                }
            ));
            if let Some(e) = &t.last_error {
                lines.push(format!("  last error: {}", sanitize::text(e)));
            }
            lines.push(format!("forwards ({}):", t.forwards.len()));
            for (to, local) in &t.forwards {
                lines.push(format!(
                    "  {} → {}",
                    sanitize::text(local),
                    sanitize::text(to)
                ));
            }
        }
    }
    if !d.sentinels.is_empty() {
        lines.push(format!(
            "sentinels: {} reachable of {}, quorum {}",
            d.sentinels.iter().filter(|v| v.reachable).count(),
            d.sentinels.len(),
            d.quorum.map(|q| q.to_string()).unwrap_or("?".into())
        ));
    }
    Popup {
        title: "connection".into(),
        lines,
        scroll: 0,
        more: None,
        live: None,
    }
}
