//! Streams: every stream (configured and discovered) × group: length,
//! entries added per second, consumers, pending, lag (NULL → n/a), backlog,
//! oldest pending, last-delivered age. Sortable, filterable, alert colours.

pub use super::defaults::*;

use super::Effect;
use crossterm::event::KeyCode;
use super::{CxMut, Key};
use super::{cut, table};
use crate::format::{age, count};
use super::shared::stream_rows;
use super::{Cx, Pane};
use super::level_style;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    let Some(snap) = app.snapshot() else {
        super::empty(
            f,
            area,
            app,
            "streams".into(),
            "waiting for data…",
            app.theme.dim(),
        );
        return;
    };
    let rows = super::streams::stream_rows(app);
    let range = super::window(rows.len(), app.selected(Pane::Streams), area);
    let th = &app.thresholds;
    let wide = area.width >= 120;
    let table_rows: Vec<Row> = rows[range.clone()]
        .iter()
        .map(|r| {
            let s = &snap.streams[r.stream];
            let g = r.group.map(|gi| &s.groups[gi]);
            let added = app.history.rates.added_per_s.get(&s.name).copied();
            let stream_name = format!(
                "{}{}",
                s.name.escaped(),
                if s.configured { "" } else { " *" }
            );
            let mut cells = vec![
                Cell::from(cut(&stream_name, if wide { 40 } else { 28 })),
                Cell::from(cut(
                    &g.map(|g| g.name.escaped())
                        .unwrap_or_else(|| "—".into()),
                    if wide { 32 } else { 24 },
                )),
                Cell::from(if s.exists {
                    count(s.length)
                } else {
                    "missing".into()
                }),
            ];
            if wide {
                cells.push(Cell::from(
                    added
                        .map(|a| format!("{a:.1}"))
                        .unwrap_or_else(|| "-".into()),
                ));
                cells.push(Cell::from(g.map(consumers_cell).unwrap_or_default()));
            }
            let (lag_text, lag_style) = match g {
                Some(g) if !g.exists => ("no group".to_string(), app.theme.warn()),
                Some(g) => match g.lag {
                    Some(l) => (
                        count(l),
                        level_style(app, l as f64, th.lag_warn as f64, th.lag_crit as f64),
                    ),
                    None => ("n/a".into(), app.theme.dim()),
                },
                None => ("-".into(), app.theme.dim()),
            };
            let pending = g.map(|g| g.pending).unwrap_or(0);
            cells.push(Cell::from(count(pending)).style(level_style(
                app,
                pending as f64,
                th.pending_warn as f64,
                th.pending_crit as f64,
            )));
            cells.push(Cell::from(lag_text).style(lag_style));
            if wide {
                let backlog = g.and_then(|g| g.lag.map(|l| l + g.pending));
                cells.push(Cell::from(
                    backlog.map(count).unwrap_or_else(|| "n/a".into()),
                ));
            }
            let oldest = g.and_then(|g| g.oldest_pending_age_ms);
            cells.push(
                Cell::from(oldest.map(age).unwrap_or_else(|| "-".into())).style(level_style(
                    app,
                    oldest.unwrap_or(0) as f64,
                    th.oldest_pending_warn.as_millis() as f64,
                    th.oldest_pending_crit.as_millis() as f64,
                )),
            );
            if wide {
                cells.push(Cell::from(
                    g.and_then(|g| g.last_delivered_age_ms)
                        .map(age)
                        .unwrap_or_else(|| "-".into()),
                ));
            }
            Row::new(cells)
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "STREAM",
                "GROUP",
                "LENGTH",
                "ADD/S",
                "CONSUMERS",
                "PENDING",
                "LAG",
                "BACKLOG",
                "OLDEST PEND",
                "LAST DELIV",
            ],
            vec![
                Constraint::Fill(3),
                Constraint::Fill(2),
                Constraint::Length(9),
                Constraint::Length(7),
                Constraint::Length(20),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(12),
                Constraint::Length(11),
            ],
        )
    } else {
        (
            vec!["STREAM", "GROUP", "LENGTH", "PENDING", "LAG", "OLDEST"],
            vec![
                Constraint::Fill(3),
                Constraint::Fill(2),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(8),
            ],
        )
    };
    let title = format!(
        "streams ({}, * = discovered) · sort: {} · Enter pending · i detail",
        snap.streams.len(),
        Pane::Streams.sorts()[app.sort(Pane::Streams)]
    );
    table(
        f,
        area,
        app,
        title,
        &header,
        table_rows,
        &widths,
        Some(app.selected(Pane::Streams) - range.start),
    );
}

/// "1,412 (37 active)": active = not idle longer than claim_min_idle, from the
/// group's consumer summary (refreshed every 30s per group).
fn consumers_cell(g: &crate::model::GroupInfo) -> String {
    match &g.consumer_summary {
        Some(c) => format!(
            "{} ({} active)",
            count(g.consumers),
            count(c.total.saturating_sub(c.idle_over_claim_min_idle))
        ),
        None => count(g.consumers),
    }
}

pub const TITLE: &str = "Streams";
pub const SORTS: &[&str] = &["backlog", "lag", "pending", "oldest pending", "name"];

pub const KEYS: &[Key] = &[
    Key {
        keys: "Enter",
        help: "pending view of the selected group",
        on: |k| matches!(k, KeyCode::Enter),
        run: Some(open_group),
    },
    Key {
        keys: "i",
        help: "detail: lag reason, consumers, last delivered",
        on: |k| matches!(k, KeyCode::Char('i')),
        run: Some(detail),
    },
];

pub fn rows(cx: &Cx) -> usize {
    stream_rows(cx).len()
}

fn open_group(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(r) = stream_rows(&c).get(c.selected(Pane::Streams)).cloned() else {
        return vec![];
    };
    let Some(snap) = c.snapshot().cloned() else {
        return vec![];
    };
    let s = &snap.streams[r.stream];
    match r.group {
        Some(gi) => vec![Effect::OpenGroup {
            stream: s.name.clone(),
            group: s.groups[gi].name.clone(),
        }],
        None => detail(cx, k),
    }
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let (Some(snap), Some(r)) = (c.snapshot(), stream_rows(&c).get(c.selected(Pane::Streams)).cloned())
    else {
        return vec![];
    };
    let popup = crate::ui::detail::stream_group(snap, r.stream, r.group, c.profile.claim_min_idle);
    cx.popup = Some(popup);
    vec![]
}
