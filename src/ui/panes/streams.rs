//! Streams: every stream (configured and discovered) × group: its health
//! status, time behind, lag (NULL → n/a) and the lag's trend, pending, the
//! rates in and out, when it will be clear; at 170 columns also length,
//! consumers and the oldest pending entry. Sortable, filterable, alert
//! colours.

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
    // 80 columns: who, status, behind, lag, pending; 120: rates, ETA and
    // the lag's trend; 170: length, consumers, oldest pending too.
    let wide = area.width >= 120;
    let full = area.width >= 170;
    // The names share what the figures leave in proportion to the widest
    // of each (over every row, so scrolling does not move the columns): a
    // name is cut only when the row has no room left for it.
    let widest = |f: &dyn Fn(&super::shared::StreamRow) -> usize| {
        rows.iter().map(f).max().unwrap_or(0).max(6) as u16
    };
    let stream_w = widest(&|r| snap.streams[r.stream].name.escaped().chars().count() + 2);
    let group_w = widest(&|r| {
        r.group
            .map(|gi| snap.streams[r.stream].groups[gi].name.escaped().chars().count())
            .unwrap_or(1)
    });
    let cols: Vec<(&str, Constraint, bool)> = vec![
        ("STREAM", Constraint::Fill(stream_w), true),
        ("GROUP", Constraint::Fill(group_w), true),
        ("LENGTH", Constraint::Length(9), full),
        ("STATUS", Constraint::Length(14), true),
        ("BEHIND", Constraint::Length(9), true),
        ("LAG", Constraint::Length(9), true),
        ("LAG TREND", Constraint::Length(10), wide),
        ("PENDING", Constraint::Length(9), true),
        ("IN/S", Constraint::Length(7), wide),
        ("OUT/S", Constraint::Length(7), wide),
        ("ETA", Constraint::Length(13), wide),
        ("CONSUMERS", Constraint::Length(18), full),
        ("OLDEST PEND", Constraint::Length(11), full),
    ];
    let shown: Vec<bool> = cols.iter().map(|c| c.2).collect();
    let table_rows: Vec<Row> = rows[range.clone()]
        .iter()
        .map(|r| {
            let s = &snap.streams[r.stream];
            let g = r.group.map(|gi| &s.groups[gi]);
            let live = g.filter(|g| g.exists);
            let stream_name = format!(
                "{}{}",
                s.name.escaped(),
                if s.configured { "" } else { " *" }
            );
            let (status, status_style) = match g {
                Some(g) => super::shared::status_cell(app, g),
                None => ("-".into(), app.theme.dim()),
            };
            let (behind, behind_style) = match live {
                Some(g) => super::shared::behind_cell(app, g),
                None => ("-".into(), app.theme.dim()),
            };
            let (lag_text, lag_style) = match live {
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
            let trend = live
                .map(|g| crate::format::spark(&app.history.group_lag(&s.name, &g.name), 10))
                .unwrap_or_default();
            let added = app.history.rates.added_per_s.get(&s.name).copied();
            let oldest = g.and_then(|g| g.oldest_pending_age_ms);
            let cells: Vec<Cell> = vec![
                Cell::from(cut(&stream_name, if wide { 40 } else { 28 })),
                Cell::from(cut(
                    &g.map(|g| g.name.escaped()).unwrap_or_else(|| "—".into()),
                    if wide { 32 } else { 24 },
                )),
                Cell::from(if s.exists {
                    count(s.length)
                } else {
                    "missing".into()
                }),
                Cell::from(status).style(status_style),
                Cell::from(behind).style(behind_style),
                Cell::from(lag_text).style(lag_style),
                Cell::from(trend),
                Cell::from(count(pending)).style(level_style(
                    app,
                    pending as f64,
                    th.pending_warn as f64,
                    th.pending_crit as f64,
                )),
                Cell::from(
                    live.and_then(|g| g.health.produced_per_s)
                        .or(added)
                        .map(crate::format::rate)
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(
                    live.map(|g| super::shared::rate_cell(g.health.consumed_per_s))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(live.map(super::shared::eta_cell).unwrap_or_else(|| "-".into())),
                Cell::from(g.map(consumers_cell).unwrap_or_default()),
                Cell::from(oldest.map(age).unwrap_or_else(|| "-".into())).style(level_style(
                    app,
                    oldest.unwrap_or(0) as f64,
                    th.oldest_pending_warn.as_millis() as f64,
                    th.oldest_pending_crit.as_millis() as f64,
                )),
            ];
            Row::new(
                cells
                    .into_iter()
                    .zip(&shown)
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| c),
            )
        })
        .collect();
    let header: Vec<&str> = cols.iter().filter(|c| c.2).map(|c| c.0).collect();
    let widths: Vec<Constraint> = cols.iter().filter(|c| c.2).map(|c| c.1).collect();
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
pub const SORTS: &[&str] = &[
    "backlog",
    "lag",
    "pending",
    "oldest pending",
    "name",
    "behind",
    "status",
];

pub const LEGEND: &[(&str, &str)] = &[
    ("STATUS", "OK · IDLE (nothing to do) · CATCHING UP · FALLING BEHIND · STALLED (delivered, not acked) · STOPPED (no consumer active) · STUCK · UNKNOWN"),
    ("BEHIND", "age of the oldest entry not yet delivered to the group (server clock); ≤ an upper bound"),
    ("LAG", "entries added but not yet delivered to the group"),
    ("LAG TREND", "the group's lag over its last 120 polls"),
    ("PENDING", "delivered to a consumer, not yet acknowledged"),
    ("IN/S OUT/S", "entries added / delivered per second over health_window"),
    ("ETA", "time until the lag is gone at the current rate; ∞ when it grows"),
    ("OLDEST PEND", "age of the oldest pending entry"),
    ("n/a", "the figure cannot be known (explicit ids, or Redis gives no lag)"),
];

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
    let s = &snap.streams[r.stream];
    let series = r
        .group
        .map(|gi| c.history.group_lag(&s.name, &s.groups[gi].name))
        .unwrap_or_default();
    let popup = crate::ui::detail::stream_group(
        snap,
        r.stream,
        r.group,
        c.profile.claim_min_idle,
        &series,
    );
    cx.popup = Some(crate::ui::detail::Popup {
        live: Some((s.name.clone(), r.group.map(|gi| s.groups[gi].name.clone()))),
        ..popup
    });
    vec![]
}

/// An open `i` detail follows the polls: rebuilt from the new snapshot at
/// the same scroll (its length, rates and status are now's, not a copy of
/// when it was opened).
pub fn on_snapshot(cx: &mut CxMut) {
    let Some((stream, group)) = cx.popup.as_ref().and_then(|p| p.live.clone()) else {
        return;
    };
    let c = cx.cx();
    let Some(snap) = c.snapshot() else { return };
    let Some(si) = snap.streams.iter().position(|s| s.name == stream) else {
        return;
    };
    let gi = match &group {
        Some(g) => match snap.streams[si].groups.iter().position(|x| &x.name == g) {
            Some(gi) => Some(gi),
            None => return,
        },
        None => None,
    };
    let series = group
        .as_ref()
        .map(|g| c.history.group_lag(&stream, g))
        .unwrap_or_default();
    let popup = crate::ui::detail::stream_group(snap, si, gi, c.profile.claim_min_idle, &series);
    let scroll = cx.popup.as_ref().map(|p| p.scroll).unwrap_or(0);
    cx.popup = Some(crate::ui::detail::Popup {
        scroll: scroll.min(popup.lines.len().saturating_sub(1)),
        live: Some((stream, group)),
        ..popup
    });
}
