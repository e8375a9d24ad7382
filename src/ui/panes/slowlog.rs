//! Slowlog: id, time, duration, command with arguments (long ones cut, binary
//! shown escaped), client; entries new since you last looked are highlighted.

pub use super::defaults::*;

use crate::model::SlowEntry;
use super::Effect;
use crossterm::event::KeyCode;
use super::{CxMut, Key};
use super::{cut, table};
use crate::format::count;
use crate::sanitize;
use super::{Cx, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    let Some(sl) = app.snapshot().and_then(|s| s.slowlog.as_ref()) else {
        let msg = super::problem(app, crate::model::Section::Slowlog).unwrap_or_else(|| "waiting for data…".into());
        super::empty(f, area, app, "slowlog".into(), &msg, app.theme.dim());
        return;
    };
    let now_s = app.snapshot().map(|s| s.taken_at_ms / 1000).unwrap_or(0);
    let client_w: u16 = if area.width >= 120 { 30 } else { 16 };
    let cmd_w = (area.width as usize)
        .saturating_sub(36 + client_w as usize)
        .max(20);
    let all = self::list(app);
    let range = super::window(all.len(), app.selected(Pane::Slowlog), area);
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|e| {
            let cmd = e
                .args
                .iter()
                .map(|a| cut(&a.display(), 40))
                .collect::<Vec<_>>()
                .join(" ");
            let new = app.panes.slowlog.seen.is_none_or(|seen| e.id > seen);
            let style = if new {
                app.theme.warn()
            } else {
                ratatui::style::Style::default()
            };
            Row::new(vec![
                e.id.to_string(),
                format!(
                    "{} ago",
                    crate::format::age(now_s.saturating_sub(e.time) * 1000)
                ),
                format!("{} µs", count(e.duration_us)),
                cut(&cmd, cmd_w),
                cut(
                    &format!(
                        "{}{} {}",
                        // On a cluster: the node that logged it.
                        e.node
                            .as_deref()
                            .map(|n| format!("@{} ", sanitize::text(n)))
                            .unwrap_or_default(),
                        sanitize::text(&e.client_name),
                        sanitize::text(&e.client_addr)
                    ),
                    client_w as usize,
                ),
            ])
            .style(style)
        })
        .collect();
    table(
        f,
        area,
        app,
        format!(
            "slowlog ({} kept by the server) · sort: {}",
            count(sl.len),
            Pane::Slowlog.sorts()[app.sort(Pane::Slowlog)]
        ),
        &["ID", "WHEN", "DURATION", "COMMAND", "CLIENT"],
        rows,
        &[
            Constraint::Length(6),
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Fill(1),
            Constraint::Length(client_w),
        ],
        Some(app.selected(Pane::Slowlog) - range.start),
    );
}

pub const TITLE: &str = "Slowlog";
pub const SORTS: &[&str] = &["newest", "duration"];

/// Slowlog ids above `seen` are new since the pane was last looked at.
#[derive(Default)]
pub struct State {
    pub seen: Option<u64>,
}

pub const KEYS: &[Key] = &[Key {
    keys: "Enter i",
    help: "all arguments of the command",
    on: |k| matches!(k, KeyCode::Enter | KeyCode::Char('i')),
    run: Some(detail),
}];

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a SlowEntry> {
    let Some(sl) = cx.snapshot().and_then(|s| s.slowlog.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Slowlog).to_lowercase();
    let mut rows: Vec<_> = sl
        .entries
        .iter()
        .filter(|e| cx.node_scope.is_none() || e.node == cx.node_scope)
        .filter(|e| {
            f.is_empty()
                || e.args
                    .iter()
                    .any(|a| a.as_str_lossy().to_lowercase().contains(&f))
                || e.client_name.to_lowercase().contains(&f)
        })
        .collect();
    if cx.sort(Pane::Slowlog) == 1 {
        rows.sort_by_key(|e| std::cmp::Reverse(e.duration_us));
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

fn newest(cx: &Cx) -> Option<u64> {
    cx.snapshot()
        .and_then(|s| s.slowlog.as_ref())
        .and_then(|s| s.entries.first())
        .map(|e| e.id)
}

/// Everything shown so far counts as seen (on leaving the pane).
/// Leaving the slowlog marks what it showed as seen.
pub fn leave(cx: &mut CxMut) {
    mark_seen(cx);
}

pub fn mark_seen(cx: &mut CxMut) {
    cx.panes.slowlog.seen = newest(&cx.cx());
}

/// New data: start counting new entries from the first snapshot.
pub fn on_snapshot(cx: &mut CxMut) {
    if *cx.pane != Pane::Slowlog && cx.panes.slowlog.seen.is_none() {
        mark_seen(cx);
    }
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let popup = list(&c)
        .get(c.selected(Pane::Slowlog))
        .map(|e| crate::ui::detail::slow(e));
    if popup.is_some() {
        cx.popup = popup;
    }
    vec![]
}
