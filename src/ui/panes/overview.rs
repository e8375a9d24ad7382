//! The default screen: alerts, ops, memory, clients, the worst streams, DLQs and
//! the latest slow commands, tiled to fit 80x24 and to use a large terminal.

pub use super::defaults::*;

use super::Effect;
use crossterm::event::KeyCode;
use super::CxMut;
use super::{Cx, Key, Pane, block, cut};
use crate::model::alerts::Level;
use crate::format::{age, bytes, count};
use crate::sanitize;

use super::level_style;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    let alerts_h = (app.alerts.len() as u16 + 2).clamp(3, 6);
    let [alerts, tiles, rest] = Layout::vertical([
        Constraint::Length(alerts_h),
        Constraint::Length(5),
        Constraint::Fill(1),
    ])
    .areas(area);
    draw_alerts(f, alerts, app);
    let [ops, mem, cli] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(tiles);
    draw_ops(f, ops, app);
    draw_memory(f, mem, app);
    draw_clients(f, cli, app);
    if area.width >= 120 {
        let [streams, side] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(54)]).areas(rest);
        draw_streams(f, streams, app);
        draw_side(f, side, app);
    } else {
        let [streams, side] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(5)]).areas(rest);
        draw_streams(f, streams, app);
        draw_side(f, side, app);
    }
}

fn draw_alerts(f: &mut Frame, area: Rect, app: &Cx) {
    let t = &app.theme;
    let lines: Vec<Line> = if app.snapshot().is_none() {
        vec![Line::styled("waiting for the first poll…", t.dim())]
    } else if app.alerts.is_empty() {
        vec![Line::styled("no alerts", t.ok())]
    } else {
        app.alerts
            .iter()
            .take(area.height.saturating_sub(2) as usize)
            .map(|a| {
                let (mark, style) = match a.level {
                    Level::Crit => ("CRIT", t.crit()),
                    Level::Warn => ("WARN", t.warn()),
                };
                Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::styled(sanitize::text(&a.subject), t.accent()),
                    Span::raw(format!("  {}", sanitize::text(&a.text))),
                ])
            })
            .collect()
    };
    let title = format!("alerts ({})", app.alerts.len());
    f.render_widget(
        Paragraph::new(lines).block(block(app, title, app.selected(Pane::Overview) == TILE_ALERTS)),
        area,
    );
}

fn draw_ops(f: &mut Frame, area: Rect, app: &Cx) {
    let snap = app.snapshot();
    let ops = snap.and_then(|s| s.stats.as_ref());
    let title = match ops {
        Some(s) => format!(
            "ops/s {} · hit {}",
            count(s.ops_per_sec),
            s.hit_rate
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "n/a".into())
        ),
        None => "ops/s".into(),
    };
    super::chart(
        f,
        area,
        app,
        title,
        &app.history.ops,
        ratatui::style::Style::default().fg(app.theme.sparkline),
        app.selected(Pane::Overview) == TILE_OPS,
        false,
    );
}

fn draw_memory(f: &mut Frame, area: Rect, app: &Cx) {
    let t = &app.theme;
    let lines = match app.snapshot().and_then(|s| s.memory.as_ref()) {
        None => vec![Line::styled(
            super::problem(app, crate::model::Section::Info).unwrap_or_else(|| "no data".into()),
            t.dim(),
        )],
        Some(m) => {
            let pct = m.used_percent_of_max;
            let used = match pct {
                Some(p) => Span::styled(
                    format!(
                        "{} / {} ({p:.0}%)",
                        bytes(m.used_bytes),
                        bytes(m.maxmemory_bytes)
                    ),
                    level_style(
                        app,
                        p,
                        app.thresholds.memory_warn_pct,
                        app.thresholds.memory_crit_pct,
                    ),
                ),
                None => Span::raw(format!("{} (no maxmemory)", bytes(m.used_bytes))),
            };
            vec![
                Line::from(used),
                Line::raw(format!(
                    "rss {} · frag {:.2}",
                    bytes(m.rss_bytes),
                    m.fragmentation_ratio
                )),
                Line::from(vec![
                    Span::raw("evicted "),
                    Span::styled(
                        format!("{:.0}/s", app.history.rates.evicted_per_s),
                        if app.history.rates.evicted_per_s > 0.0 {
                            t.warn()
                        } else {
                            t.dim()
                        },
                    ),
                    Span::raw(format!(" · {}", sanitize::text(&m.maxmemory_policy))),
                ]),
            ]
        }
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, "memory".into(), app.selected(Pane::Overview) == TILE_MEMORY)),
        area,
    );
}

fn draw_clients(f: &mut Frame, area: Rect, app: &Cx) {
    let t = &app.theme;
    let lines = match app.snapshot().and_then(|s| s.clients.as_ref()) {
        None => vec![Line::styled("no data", t.dim())],
        Some(c) => vec![
            Line::raw(format!(
                "connected {}{}",
                count(c.connected),
                c.maxclients
                    .map(|m| format!(" / {}", count(m)))
                    .unwrap_or_default()
            )),
            Line::raw(format!("blocked {}", count(c.blocked))),
            Line::from(vec![
                Span::raw("rejected "),
                Span::styled(
                    format!(
                        "{} (+{})",
                        count(c.rejected_connections),
                        app.history.rates.rejected_new
                    ),
                    if app.history.rates.rejected_new > 0 {
                        t.crit()
                    } else {
                        t.dim()
                    },
                ),
            ]),
        ],
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, "clients".into(), app.selected(Pane::Overview) == TILE_CLIENTS)),
        area,
    );
}

fn draw_streams(f: &mut Frame, area: Rect, app: &Cx) {
    let Some(snap) = app.snapshot() else {
        f.render_widget(block(app, "streams".into(), app.selected(Pane::Overview) == TILE_STREAMS), area);
        return;
    };
    let rows = super::shared::stream_rows(app);
    let name_of = |r: &super::shared::StreamRow| {
        let s = &snap.streams[r.stream];
        match r.group.map(|gi| &s.groups[gi]) {
            Some(g) => format!("{}/{}", s.name.escaped(), g.name.escaped()),
            None => s.name.escaped(),
        }
    };
    // Names are cut last: the group's status, time behind and lag come
    // first; the pending count, the trend and the oldest entry are added in
    // that order only while the widest name (over every row, so scrolling
    // does not move the columns) still fits beside them.
    let widest = rows
        .iter()
        .map(|r| name_of(r).chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let status_w = rows
        .iter()
        .filter_map(|r| r.group.map(|gi| &snap.streams[r.stream].groups[gi]))
        .map(|g| super::shared::status_cell(app, g).0.chars().count())
        .max()
        .unwrap_or(0)
        .max(6) as u16;
    let inner = area.width.saturating_sub(2) as usize;
    let mut room = inner.saturating_sub(status_w as usize + 8 + 9 + 3);
    let mut fits = |w: usize| {
        let ok = room > widest + w; // the name, the column and a space
        if ok {
            room -= w + 1;
        }
        ok
    };
    let pending_col = fits(9);
    let trend = pending_col && fits(10);
    let oldest_col = trend && fits(10);
    let name_w = room.max(12);
    let table_rows: Vec<Row> = rows[super::window(rows.len(), 0, area)]
        .iter()
        .map(|r| {
            let s = &snap.streams[r.stream];
            let g = r.group.map(|gi| &s.groups[gi]);
            let name = name_of(r);
            let (lag, lag_style) = match g.map(|g| (g.exists, g.lag)) {
                Some((true, Some(l))) => (
                    count(l),
                    level_style(
                        app,
                        l as f64,
                        app.thresholds.lag_warn as f64,
                        app.thresholds.lag_crit as f64,
                    ),
                ),
                Some((true, None)) => ("n/a".into(), app.theme.dim()),
                Some((false, _)) => ("no group".into(), app.theme.warn()),
                None => ("-".into(), app.theme.dim()),
            };
            let (status, status_style) = match g {
                Some(g) => super::shared::status_cell(app, g),
                None => ("-".into(), app.theme.dim()),
            };
            let (behind, behind_style) = match g.filter(|g| g.exists) {
                Some(g) => super::shared::behind_cell(app, g),
                None => ("-".into(), app.theme.dim()),
            };
            let pending = g.map(|g| g.pending).unwrap_or(0);
            let oldest = g.and_then(|g| g.oldest_pending_age_ms);
            let mut cells = vec![
                ratatui::widgets::Cell::from(cut(&name, name_w)),
                ratatui::widgets::Cell::from(status).style(status_style),
                ratatui::widgets::Cell::from(behind).style(behind_style),
                ratatui::widgets::Cell::from(lag).style(lag_style),
            ];
            if trend {
                let series = g
                    .map(|g| app.history.group_lag(&s.name, &g.name))
                    .unwrap_or_default();
                cells.push(ratatui::widgets::Cell::from(crate::format::spark(&series, 10)));
            }
            if pending_col {
                cells.push(ratatui::widgets::Cell::from(count(pending)).style(level_style(
                    app,
                    pending as f64,
                    app.thresholds.pending_warn as f64,
                    app.thresholds.pending_crit as f64,
                )));
            }
            if oldest_col {
                cells.push(
                    ratatui::widgets::Cell::from(oldest.map(age).unwrap_or_else(|| "-".into()))
                        .style(level_style(
                            app,
                            oldest.unwrap_or(0) as f64,
                            app.thresholds.oldest_pending_warn.as_millis() as f64,
                            app.thresholds.oldest_pending_crit.as_millis() as f64,
                        )),
                );
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["STREAM/GROUP", "STATUS", "BEHIND", "LAG"];
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(status_w),
        Constraint::Length(8),
        Constraint::Length(9),
    ];
    if trend {
        header.push("LAG TREND");
        widths.push(Constraint::Length(10));
    }
    if pending_col {
        header.push("PENDING");
        widths.push(Constraint::Length(9));
    }
    if oldest_col {
        header.push("OLDEST");
        widths.push(Constraint::Length(10));
    }
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(app.theme.title()))
        .block(block(
            app,
            format!("streams ({}) — worst first", snap.streams.len()),
            app.selected(Pane::Overview) == TILE_STREAMS,
        ));
    f.render_widget(table, area);
}

fn draw_side(f: &mut Frame, area: Rect, app: &Cx) {
    let t = &app.theme;
    let [dlq, slow] = if area.width >= 100 || area.height < 8 {
        Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(area)
    } else {
        Layout::vertical([Constraint::Ratio(1, 2); 2]).areas(area)
    };
    let dlqs = super::shared::dlq_streams(app);
    let mut dl: Vec<Line> = dlqs
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .take(dlq.height.saturating_sub(2) as usize)
        .map(|(_, name, n)| {
            let growth = app.history.rates.dlq_growth.get(name).copied().unwrap_or(0);
            Line::from(vec![
                Span::raw(format!("{} ", name.escaped())),
                Span::styled(count(*n), if growth > 0 { t.crit() } else { t.warn() }),
                Span::styled(
                    if growth > 0 {
                        format!(" +{growth}")
                    } else {
                        String::new()
                    },
                    t.crit(),
                ),
            ])
        })
        .collect();
    if dl.is_empty() && app.snapshot().is_none() {
        dl.push(Line::styled("waiting for the first poll", t.dim()));
    } else if dl.is_empty() {
        dl.push(Line::styled("all dead-letter queues empty", t.ok()));
    }
    f.render_widget(
        Paragraph::new(dl).block(block(app, "dead letters".into(), app.selected(Pane::Overview) == TILE_DLQ)),
        dlq,
    );
    let sl: Vec<Line> = match app.snapshot().and_then(|s| s.slowlog.as_ref()) {
        None => vec![Line::styled(
            super::problem(app, crate::model::Section::Slowlog).unwrap_or_else(|| "no data".into()),
            t.dim(),
        )],
        Some(s) if s.entries.is_empty() => vec![Line::styled("no slow commands", t.ok())],
        Some(s) => s
            .entries
            .iter()
            .map(|e| {
                let cmd = e
                    .args
                    .iter()
                    .take(2)
                    .map(|a| a.display())
                    .collect::<Vec<_>>()
                    .join(" ");
                let new = app.panes.slowlog.seen.is_some_and(|seen| e.id > seen);
                Line::from(vec![
                    Span::styled(
                        format!("{:>7.1}ms ", e.duration_us as f64 / 1000.0),
                        if new { t.warn() } else { t.dim() },
                    ),
                    Span::raw(cut(&cmd, 30)),
                ])
            })
            .collect(),
    };
    f.render_widget(
        Paragraph::new(sl).block(block(app, "slow commands".into(), app.selected(Pane::Overview) == TILE_SLOW)),
        slow,
    );
}

pub const TITLE: &str = "Overview";
pub const SORTS: &[&str] = &[];

/// The tiles in selection order (top to bottom, left to right, as they
/// are drawn: `j` moves to the next one on screen), and the pane Enter
/// opens from each: the pane that tile summarises.
pub const TILES: [(&str, Pane); 7] = [
    ("alerts", Pane::Alerts),
    ("ops", Pane::Commands),
    ("memory", Pane::Memory),
    ("clients", Pane::Clients),
    ("streams", Pane::Streams),
    ("dead letters", Pane::Dlq),
    ("slow commands", Pane::Slowlog),
];
const TILE_ALERTS: usize = 0;
const TILE_OPS: usize = 1;
const TILE_MEMORY: usize = 2;
const TILE_CLIENTS: usize = 3;
const TILE_STREAMS: usize = 4;
const TILE_DLQ: usize = 5;
const TILE_SLOW: usize = 6;

pub const LEGEND: &[(&str, &str)] = &[
    ("▲ △", "critical / warning level of a tile"),
    ("≤", "an upper bound (the exact figure is read next poll)"),
    ("→ title", "the selected tile: its title in reverse video (Enter opens its pane)"),
];

pub const KEYS: &[Key] = &[
    Key {
        keys: "j k",
        help: "select a tile",
        on: |_| false,
        run: None,
    },
    Key {
        keys: "Enter",
        help: "open the selected tile's pane (alerts, ops → Commands, memory, clients, streams, dead letters, slow commands)",
        on: |k| matches!(k, KeyCode::Enter),
        run: Some(zoom),
    },
];

pub fn rows(_: &Cx) -> usize {
    TILES.len()
}

fn zoom(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let tile = cx.cx().selected(Pane::Overview).min(TILES.len() - 1);
    vec![Effect::Open(TILES[tile].1)]
}
