//! Sentinel: the master (address, since when), the replicas (link, lag in
//! bytes and seconds), each sentinel's view (reachable, agrees on the master,
//! flags), the quorum and whether it can be reached, and the failovers seen
//! this session.

pub use super::defaults::*;

use super::{Cx, Key, Pane, table};
use crate::format::{age, bytes};
use crate::model::{DeploymentInfo, Mode};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub const TITLE: &str = "Sentinel";
pub const SORTS: &[&str] = &["role"];
pub const KEYS: &[Key] = &[];

/// One row: kind, address, state, lag, detail; and whether it is bad news.
type Line = ([String; 5], bool);

fn lines(d: &DeploymentInfo, now_ms: u64) -> Vec<Line> {
    let mut out = Vec::new();
    if let Some(m) = &d.master {
        out.push((
            [
                "master".into(),
                sanitize::text(m),
                d.master_since_ms
                    .map(|t| format!("since {}", age(now_ms.saturating_sub(t))))
                    .unwrap_or_default(),
                String::new(),
                d.master_name.as_deref().map(sanitize::text).unwrap_or_default(),
            ],
            false,
        ));
    }
    for r in &d.replicas {
        let bad = r.link != "ok" || r.flags.contains("down");
        out.push((
            [
                "replica".into(),
                sanitize::text(&r.address),
                format!("link {}", sanitize::text(&r.link)),
                match (r.lag_bytes, r.lag_s) {
                    (Some(b), Some(s)) => format!("{} · {s}s", bytes(b)),
                    (Some(b), None) => bytes(b),
                    _ => "?".into(),
                },
                sanitize::text(&r.flags),
            ],
            bad,
        ));
    }
    for s in &d.sentinels {
        let state = match (s.reachable, s.agrees) {
            (false, _) => "UNREACHABLE",
            (true, true) => "agrees",
            (true, false) => "DISAGREES",
        };
        let detail = match (&s.error, &s.master, &s.flags) {
            (Some(e), _, _) => sanitize::text(e),
            (None, Some(m), Some(f)) => format!("names {} · {}", sanitize::text(m), sanitize::text(f)),
            (None, Some(m), None) => format!("names {}", sanitize::text(m)),
            _ => String::new(),
        };
        out.push((
            [
                Mode::Sentinel.as_str().into(),
                sanitize::text(&s.address),
                state.into(),
                String::new(),
                detail,
            ],
            !(s.reachable && s.agrees),
        ));
    }
    for f in d.failovers.iter().flatten().rev() {
        out.push((
            [
                "failover".into(),
                sanitize::text(&f.to),
                format!("{} ago", age(now_ms.saturating_sub(f.at_ms))),
                String::new(),
                format!("{} → {}", sanitize::text(&f.from), sanitize::text(&f.to)),
            ],
            false,
        ));
    }
    for e in d.events.iter().rev().take(10) {
        out.push((
            [
                "event".into(),
                sanitize::text(&e.event),
                format!("{} ago", age(now_ms.saturating_sub(e.at_ms))),
                String::new(),
                sanitize::text(&e.detail),
            ],
            e.event.starts_with('+') && e.event.contains("down"),
        ));
    }
    out
}

pub fn rows(cx: &Cx) -> usize {
    cx.snapshot()
        .map(|s| lines(&s.deployment, cx.now_ms).len())
        .unwrap_or(0)
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let Some(snap) = cx.snapshot() else {
        super::empty(f, area, cx, Mode::Sentinel.as_str().into(), "waiting for data…", cx.theme.dim());
        return;
    };
    let d = &snap.deployment;
    if d.mode != Mode::Sentinel {
        let msg = format!(
            "this deployment is {}; the Sentinel pane shows a Sentinel deployment's master, replicas, sentinels and failovers",
            d.mode
        );
        super::empty(f, area, cx, Mode::Sentinel.as_str().into(), &msg, cx.theme.dim());
        return;
    }
    let all = lines(d, cx.now_ms);
    let range = super::window(all.len(), cx.selected(Pane::Sentinel), area);
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|(cells, bad)| {
            let style = if *bad {
                cx.theme.crit()
            } else {
                ratatui::style::Style::default()
            };
            Row::new(cells.to_vec()).style(style)
        })
        .collect();
    let reachable = d.sentinels.iter().filter(|s| s.reachable).count();
    let quorum = match (d.quorum, d.quorum_ok) {
        (Some(q), Some(true)) => format!("quorum {q}: reachable"),
        (Some(q), _) => format!("quorum {q}: NOT reachable"),
        _ => "quorum ?".into(),
    };
    table(
        f,
        area,
        cx,
        format!(
            "sentinel · {} sentinels reachable of {} · {quorum} · {} failover(s) this session",
            reachable,
            d.sentinels.len(),
            d.failovers.as_ref().map(Vec::len).unwrap_or(0)
        ),
        &["ROLE", "ADDRESS", "STATE", "LAG", "DETAIL"],
        rows,
        &if area.width >= 120 {
            [
                Constraint::Length(9),
                Constraint::Length(32),
                Constraint::Length(16),
                Constraint::Length(14),
                Constraint::Fill(1),
            ]
        } else {
            [
                Constraint::Length(9),
                Constraint::Length(21),
                Constraint::Length(12),
                Constraint::Length(14),
                Constraint::Fill(1),
            ]
        },
        Some(cx.selected(Pane::Sentinel) - range.start),
    );
}
