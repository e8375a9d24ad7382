//! Dead-letter queues: each DLQ with size and growth; the selected DLQ's
//! entries (newest first) with original stream and id, error, retry count,
//! failed at and age versus dlq.ttl. Enter shows the whole entry.

use super::{block, cut, table};
use crate::format::{age, count};
use crate::sanitize;
use crate::ui::app::{App, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let list = app.dlq_streams();
    let current = app.current_dlq();
    let h = (list.len() as u16 + 2).clamp(3, 8);
    let [top, entries] = Layout::vertical([Constraint::Length(h), Constraint::Fill(1)]).areas(area);
    let lines: Vec<Line> = if list.is_empty() {
        vec![Line::styled(
            "no DLQ streams (dlq.enabled is off, or no streams)",
            t.dim(),
        )]
    } else {
        list.iter()
            .map(|(_, name, len)| {
                let growth = app.history.rates.dlq_growth.get(name).copied().unwrap_or(0);
                let sel = Some(name) == current.as_ref();
                Line::from(vec![
                    Span::styled(if sel { "▶ " } else { "  " }, t.accent()),
                    Span::styled(
                        sanitize::text(name),
                        if sel {
                            t.title()
                        } else {
                            ratatui::style::Style::default()
                        },
                    ),
                    Span::raw(format!("  {} entries", count(*len))),
                    Span::styled(
                        if growth != 0 {
                            format!(" ({growth:+})")
                        } else {
                            String::new()
                        },
                        if growth > 0 { t.crit() } else { t.dim() },
                    ),
                    ages(app, name),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(block(
            app,
            format!(
                "dead-letter queues · ttl {} · [ ] switch",
                humantime::format_duration(app.profile.dlq_ttl)
            ),
            false,
        )),
        top,
    );
    let ttl_ms = app.profile.dlq_ttl.as_millis() as u64;
    let now = app.snapshot().map(|s| s.taken_at_ms).unwrap_or(app.now_ms);
    let rows = app.dlq_rows();
    let range = super::window(rows.len(), app.selected(Pane::Dlq), entries);
    let wide = entries.width >= 120;
    let table_rows: Vec<Row> = rows[range.clone()]
        .iter()
        .map(|e| {
            let get = |k: &str| e.field(k).map(|v| v.display()).unwrap_or_default();
            let entry_age = crate::model::ids::age_ms(&e.id, now).unwrap_or(0);
            let style = if entry_age > ttl_ms {
                t.dim()
            } else {
                ratatui::style::Style::default()
            };
            let failed_at = get("failed_at")
                .parse::<u64>()
                .map(|s| age(now.saturating_sub(s * 1000)) + " ago")
                .unwrap_or_else(|_| "-".into());
            let expired = if entry_age > ttl_ms { " expired" } else { "" };
            let cells = if wide {
                vec![
                    format!(
                        "{}{}",
                        if app.marks.contains(&e.id) { "* " } else { "" },
                        sanitize::text(&e.id)
                    ),
                    cut(
                        &format!("{} {}", get("original_stream"), get("original_id")),
                        48,
                    ),
                    cut(&get("error"), 80),
                    get("retry_count"),
                    failed_at,
                    format!("{}{expired}", age(entry_age)),
                ]
            } else {
                vec![
                    format!(
                        "{}{}",
                        if app.marks.contains(&e.id) { "*" } else { "" },
                        sanitize::text(&e.id)
                    ),
                    get("original_id"),
                    get("error"),
                    get("retry_count"),
                    format!("{}{expired}", age(entry_age)),
                ]
            };
            Row::new(cells).style(style)
        })
        .collect();
    let page = app.dlq_before.len() + 1;
    table(
        f,
        entries,
        app,
        format!(
            "{} · newest first · page {page}",
            current.as_deref().map(sanitize::text).unwrap_or_default()
        ),
        if wide {
            &["ID", "ORIGINAL", "ERROR", "RETRIES", "FAILED", "AGE"]
        } else {
            &["ID", "ORIGINAL ID", "ERROR", "TRIES", "AGE"]
        },
        table_rows,
        &if wide {
            vec![
                Constraint::Length(16),
                Constraint::Fill(2),
                Constraint::Fill(3),
                Constraint::Length(7),
                Constraint::Length(12),
                Constraint::Length(16),
            ]
        } else {
            vec![
                Constraint::Length(15),
                Constraint::Length(15),
                Constraint::Fill(1),
                Constraint::Length(5),
                Constraint::Length(9),
            ]
        },
        Some(app.selected(Pane::Dlq) - range.start),
    );
}

/// "oldest 9d 0h (past ttl) · newest 3m 0s" for one DLQ, from its first and last ids.
fn ages<'a>(app: &App, dlq: &str) -> Span<'a> {
    let t = &app.theme;
    let Some(snap) = app.snapshot() else {
        return Span::raw("");
    };
    let Some(info) = snap
        .streams
        .iter()
        .filter_map(|s| s.dlq.as_ref())
        .find(|d| d.stream == dlq)
    else {
        return Span::raw("");
    };
    let now = snap.taken_at_ms;
    let age_of = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| crate::model::ids::age_ms(id, now))
    };
    match (age_of(&info.oldest_id), age_of(&info.newest_id)) {
        (Some(old), Some(new)) => {
            let expired = old > app.profile.dlq_ttl.as_millis() as u64;
            Span::styled(
                format!(
                    " · oldest {}{} · newest {}",
                    age(old),
                    if expired { " past ttl" } else { "" },
                    age(new)
                ),
                if expired { t.warn() } else { t.dim() },
            )
        }
        _ => Span::raw(""),
    }
}
