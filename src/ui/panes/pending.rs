//! Pending view of one group: XPENDING entries with idle time and delivery
//! count, paged; claimable (idle > claim_min_idle) and poison (deliveries >
//! dlq.max_retries) entries marked. Enter shows the message body.

use super::{block, cut, table};
use crate::format::{age, count};
use crate::sanitize;
use crate::ui::app::{App, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some((stream, group)) = &app.drill else {
        super::empty(
            f,
            area,
            app,
            "pending".into(),
            "choose a group in Streams (4) and press Enter",
            app.theme.dim(),
        );
        return;
    };
    let [head, list] = Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(area);
    let g = app
        .snapshot()
        .and_then(|s| s.streams.iter().find(|x| &x.name == stream))
        .and_then(|s| s.groups.iter().find(|x| &x.name == group));
    let t = &app.theme;
    let mut lines = Vec::new();
    if let Some(g) = g {
        lines.push(Line::raw(format!(
            "pending {} · consumers {} · lag {} · claim_min_idle {} · max_retries {}",
            count(g.pending),
            count(g.consumers),
            g.lag.map(count).unwrap_or_else(|| "n/a".into()),
            humantime::format_duration(app.profile.claim_min_idle),
            app.profile.max_retries
        )));
        if let Some(c) = &g.consumer_summary {
            lines.push(Line::raw(format!(
                "consumers holding entries {} · idle > claim_min_idle {} ({} hold nothing: prunable)",
                count(c.with_pending),
                count(c.idle_over_claim_min_idle),
                count(c.idle_over_claim_min_idle_without_pending)
            )));
        }
    }
    let title = format!("{} / {}", sanitize::text(stream), sanitize::text(group));
    f.render_widget(Paragraph::new(lines).block(block(app, title, false)), head);

    let claim = app.profile.claim_min_idle.as_millis() as u64;
    let rows = app.pending_rows();
    let range = super::window(rows.len(), app.selected(Pane::Pending), list);
    let table_rows: Vec<Row> = rows[range.clone()]
        .iter()
        .map(|e| {
            let poison = e.deliveries > app.profile.max_retries;
            let claimable = e.idle_ms > claim;
            let mark = match (poison, claimable) {
                (true, _) => Span::styled("poison", t.crit()),
                (false, true) => Span::styled("claimable", t.warn()),
                _ => Span::styled("", t.dim()),
            };
            let style = if poison {
                t.crit()
            } else if claimable {
                t.warn()
            } else {
                ratatui::style::Style::default()
            };
            Row::new(vec![
                ratatui::widgets::Cell::from(format!(
                    "{}{}",
                    if app.marks.contains(&e.id) { "* " } else { "" },
                    sanitize::text(&e.id)
                )),
                ratatui::widgets::Cell::from(cut(&sanitize::text(&e.consumer), 28)),
                ratatui::widgets::Cell::from(age(e.idle_ms)),
                ratatui::widgets::Cell::from(e.deliveries.to_string()),
                ratatui::widgets::Cell::from(Line::from(mark)),
            ])
            .style(style)
        })
        .collect();
    let page = app.pending_after.len() + 1;
    let none = rows.is_empty();
    table(
        f,
        list,
        app,
        format!(
            "pending entries · page {page} · sort: {}{}{}",
            Pane::Pending.sorts()[app.sort(Pane::Pending)],
            if app.marks.is_empty() {
                String::new()
            } else {
                format!(" · {} marked", app.marks.len())
            },
            if none { " · none (or loading)" } else { "" }
        ),
        &["ID", "CONSUMER", "IDLE", "DELIVERIES", ""],
        table_rows,
        &[
            Constraint::Length(24),
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
        Some(app.selected(Pane::Pending) - range.start),
    );
}
