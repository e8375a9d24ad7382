//! Slowlog: id, time, duration, command with arguments (long ones cut, binary
//! shown escaped), client; entries new since you last looked are highlighted.

use super::{cut, table};
use crate::format::count;
use crate::sanitize;
use crate::ui::app::{App, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(sl) = app.snapshot().and_then(|s| s.slowlog.as_ref()) else {
        let msg = super::problem(app, "slowlog").unwrap_or_else(|| "waiting for data…".into());
        super::empty(f, area, app, "slowlog".into(), &msg, app.theme.dim());
        return;
    };
    let now_s = app.snapshot().map(|s| s.taken_at_ms / 1000).unwrap_or(0);
    let client_w: u16 = if area.width >= 120 { 30 } else { 16 };
    let cmd_w = (area.width as usize)
        .saturating_sub(36 + client_w as usize)
        .max(20);
    let all = app.slow_rows();
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
            let new = app.slowlog_seen.is_none_or(|seen| e.id > seen);
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
                        "{} {}",
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
