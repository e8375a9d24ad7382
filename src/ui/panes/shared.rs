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

/// The first group in the Streams order: what Pending opens by default.
pub fn worst_group(cx: &Cx) -> Option<(Name, Name)> {
    let snap = cx.snapshot()?;
    let r = stream_rows(cx).into_iter().find(|r| r.group.is_some())?;
    let s = &snap.streams[r.stream];
    Some((s.name.clone(), s.groups[r.group?].name.clone()))
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
