//! What several panes read: the stream rows in the Streams pane's order
//! (the Overview shows them too, and Pending opens the first group), and
//! the DLQs the snapshot knows. Panes read these here, never from another
//! pane's module.

use super::{Cx, Pane};
use crate::model::Name;

/// One row of the streams table: a stream × group (or a stream without groups).
#[derive(Debug, Clone)]
pub struct StreamRow {
    pub stream: usize,
    pub group: Option<usize>,
}

/// The rows, filtered and sorted as the Streams pane shows them.
pub fn stream_rows(cx: &Cx) -> Vec<StreamRow> {
    let Some(snap) = cx.snapshot() else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Streams).to_lowercase();
    let mut rows = Vec::new();
    for (si, s) in snap.streams.iter().enumerate() {
        if s.groups.is_empty() {
            if f.is_empty() || s.name.escaped().to_lowercase().contains(&f) {
                rows.push(StreamRow {
                    stream: si,
                    group: None,
                });
            }
            continue;
        }
        for (gi, g) in s.groups.iter().enumerate() {
            if f.is_empty()
                || s.name.escaped().to_lowercase().contains(&f)
                || g.name.escaped().to_lowercase().contains(&f)
            {
                rows.push(StreamRow {
                    stream: si,
                    group: Some(gi),
                });
            }
        }
    }
    let key = |r: &StreamRow| -> (u64, u64, u64, u64) {
        let g = r.group.map(|gi| &snap.streams[r.stream].groups[gi]);
        let lag = g.and_then(|g| g.lag).unwrap_or(0);
        let pending = g.map(|g| g.pending).unwrap_or(0);
        let oldest = g.and_then(|g| g.oldest_pending_age_ms).unwrap_or(0);
        (lag + pending, lag, pending, oldest)
    };
    match cx.sort(Pane::Streams) {
        0 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).0)),
        1 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).1)),
        2 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).2)),
        3 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).3)),
        5 => rows.sort_by_key(|r| {
            let g = r.group.map(|gi| &snap.streams[r.stream].groups[gi]);
            std::cmp::Reverse(g.and_then(|g| g.behind_ms).unwrap_or(0))
        }),
        6 => rows.sort_by_key(|r| {
            let g = r.group.map(|gi| &snap.streams[r.stream].groups[gi]);
            let st = g.and_then(|g| g.health.status);
            std::cmp::Reverse((st, key(r).0))
        }),
        _ => rows.sort_by(|a, b| {
            let n = |r: &StreamRow| {
                (
                    snap.streams[r.stream].name.clone(),
                    r.group
                        .map(|g| snap.streams[r.stream].groups[g].name.clone()),
                )
            };
            n(a).cmp(&n(b))
        }),
    }
    rows
}

/// The group that most needs a hand, which Pending opens by default: one
/// whose entries are held by dead consumers (holding entries, idle longer
/// than `claim_min_idle`) first, then the oldest pending entry, then the
/// most pending; a group with nothing pending comes last (by name). Not
/// the first by name: `invoices / audit` with nothing pending must not
/// hide `emails / digest` holding 120 entries of a dead consumer.
pub fn worst_group(cx: &Cx) -> Option<(Name, Name)> {
    let snap = cx.snapshot()?;
    snap.streams
        .iter()
        .flat_map(|s| s.groups.iter().filter(|g| g.exists).map(move |g| (s, g)))
        .max_by_key(|(s, g)| {
            let dead = g
                .consumer_summary
                .as_ref()
                .is_some_and(|c| c.dead_holding > 0);
            (
                g.pending > 0 && dead,
                g.pending > 0,
                g.oldest_pending_age_ms.unwrap_or(0),
                g.pending,
                // Ties: the first by name wins (max_by_key keeps the last).
                std::cmp::Reverse((s.name.clone(), g.name.clone())),
            )
        })
        .map(|(s, g)| (s.name.clone(), g.name.clone()))
}

/// DLQ streams known from the snapshot: (stream, dlq name, length).
pub fn dlq_streams(cx: &Cx) -> Vec<(Name, Name, u64)> {
    let Some(snap) = cx.snapshot() else {
        return Vec::new();
    };
    snap.streams
        .iter()
        .filter_map(|s| {
            s.dlq
                .as_ref()
                .map(|d| (s.name.clone(), d.stream.clone(), d.length))
        })
        .collect()
}

/// The DLQ stream of `stream`, as the collector named it (`<stream>:dlq` if it did not).
pub fn dlq_of(cx: &Cx, stream: &Name) -> Name {
    dlq_streams(cx)
        .into_iter()
        .find(|(s, _, _)| s == stream)
        .map(|(_, dlq, _)| dlq)
        .unwrap_or_else(|| stream.with_suffix(":dlq"))
}

/// A group's status as a cell: the word and its colour (stalled, stopped,
/// stuck: critical; falling behind: warning; unknown: dim).
pub fn status_cell(cx: &Cx, g: &crate::model::GroupInfo) -> (String, ratatui::style::Style) {
    use crate::model::health::Status;
    if !g.exists {
        return ("no group".into(), cx.theme.warn());
    }
    match g.health.status {
        Some(s) if s.is_critical() => (s.word().into(), cx.theme.crit()),
        Some(Status::FallingBehind) => (Status::FallingBehind.word().into(), cx.theme.warn()),
        Some(Status::Unknown) | None => ("UNKNOWN".into(), cx.theme.dim()),
        Some(s) => (s.word().into(), ratatui::style::Style::default()),
    }
}

/// A group's time behind as a cell, coloured by `alerts.behind_warn/crit`;
/// `n/a` when it cannot be known, `≤` before an upper bound.
pub fn behind_cell(cx: &Cx, g: &crate::model::GroupInfo) -> (String, ratatui::style::Style) {
    let th = &cx.thresholds;
    match g.behind_ms {
        None => ("n/a".into(), cx.theme.dim()),
        Some(ms) => {
            let bound = if g.behind_reason.is_some() { "≤" } else { "" };
            (
                format!(
                    "{bound}{}",
                    if ms == 0 {
                        "0".into()
                    } else {
                        crate::format::age(ms)
                    }
                ),
                super::level_style(
                    cx,
                    ms as f64,
                    th.behind_warn.as_millis() as f64,
                    th.behind_crit.as_millis() as f64,
                ),
            )
        }
    }
}

/// When the lag reaches 0: `clear`, `~1m 20s`, `growing`, `not draining`.
pub fn eta_cell(g: &crate::model::GroupInfo) -> String {
    use crate::model::health::Status;
    let h = &g.health;
    match (h.eta_s, h.lag_change_per_s) {
        (Some(e), _) if e <= 0.0 => "clear".into(),
        // The lag rose over the window but touched 0 in it: keeping up.
        (None, Some(n)) if n > 0.0 && h.status == Some(Status::Ok) => "keeping up".into(),
        (Some(e), _) => format!("~{}", crate::format::age((e * 1000.0) as u64)),
        (None, Some(n)) if n > 0.0 => format!("growing {}", crate::model::health::signed_rate(n)),
        (None, Some(_)) => "not draining".into(),
        (None, None) => "-".into(),
    }
}

/// An optional rate per second as a cell.
pub fn rate_cell(r: Option<f64>) -> String {
    r.map(crate::format::rate).unwrap_or_else(|| "?".into())
}
