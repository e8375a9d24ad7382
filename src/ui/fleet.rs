//! `redeye fleet`'s table: every environment on one screen, worst first,
//! and one key into any of them. Each environment is a `ui::run::Env` with
//! its own link, collector (at its own refresh) and dashboard `App`; this
//! module draws the table from those `App`s and takes the table's keys.
//! The event loop (`ui::run::run_loop`, started by `ui::run::fleet`) owns
//! the environments.

use crate::format::{age, count, spark};
use crate::model::alerts::Level;
use crate::model::health::Status;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::theme::Theme;
use crate::ui::view::ConnState;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

/// The fleet table's state: which row is chosen, its filter, and which
/// environment's dashboard is open (None: the table).
#[derive(Debug, Default)]
pub struct Fleet {
    pub open: Option<usize>,
    pub selected: usize,
    pub filter: String,
    /// `/` was pressed: keys edit the filter.
    pub typing: bool,
    /// Environments that could not be started (profile or tunnel): name, why.
    pub broken: Vec<(String, String)>,
}

/// What the table shows of one environment, from its dashboard's state.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRow {
    pub index: usize,
    pub name: String,
    pub environment: crate::config::Environment,
    pub mode: String,
    /// live, connecting, stale since …, tunnel down
    pub state: String,
    pub state_bad: bool,
    /// The worst group: `stream/group`, its status word and time behind as
    /// the Streams pane writes them (`shared::status_cell`, `behind_cell`),
    /// its lag.
    pub worst: Option<(String, String, String, Option<u64>)>,
    /// The worst group's time behind, for the order.
    pub behind_ms: u64,
    /// How bad the worst group's status is (3 critical … 0 fine).
    pub severity: u8,
    pub lag_series: Vec<Option<u64>>,
    pub dead_letters: u64,
    pub dlq_growth: i64,
    pub memory_pct: Option<f64>,
    pub ops: Option<u64>,
    pub crit: usize,
    pub warn: usize,
}

impl FleetRow {
    /// The worst group's time behind as the table shows it.
    pub fn behind_text(&self) -> String {
        match &self.worst {
            Some((_, _, b, _)) => b.clone(),
            None => "-".into(),
        }
    }

    pub fn lag_text(&self) -> String {
        match &self.worst {
            Some((_, _, _, Some(l))) => count(*l),
            Some((_, _, _, None)) => "n/a".into(),
            None => "-".into(),
        }
    }

    /// Dead letters, and their growth since the last poll.
    pub fn dlq_text(&self) -> (String, String) {
        (
            count(self.dead_letters),
            if self.dlq_growth > 0 {
                format!(" +{}", self.dlq_growth)
            } else {
                String::new()
            },
        )
    }

    pub fn alerts_text(&self) -> String {
        match (self.crit, self.warn) {
            (0, 0) => "-".into(),
            (c, w) => format!("▲{c} △{w}"),
        }
    }
}

fn severity(s: Option<Status>) -> u8 {
    match s {
        Some(s) if s.is_critical() => 3,
        Some(Status::FallingBehind) => 2,
        Some(Status::CatchingUp) => 1,
        _ => 0,
    }
}

/// One environment's row.
pub fn row(index: usize, app: &App) -> FleetRow {
    let v = &app.view;
    let snap = v.snapshot();
    let (state, state_bad) = match &v.conn {
        ConnState::Connecting => ("connecting".to_string(), false),
        ConnState::Live if v.paused => ("paused".into(), false),
        ConnState::Live => ("live".into(), false),
        ConnState::Failed {
            cause, since_ms, ..
        } => {
            let since = age(app.now_ms.saturating_sub(*since_ms));
            match cause {
                crate::collect::collector::Cause::TunnelDown => {
                    (format!("tunnel down for {since}"), true)
                }
                crate::collect::collector::Cause::Lost if snap.is_some() => {
                    (format!("stale for {since}"), true)
                }
                crate::collect::collector::Cause::Lost => ("unreachable".into(), true),
                crate::collect::collector::Cause::Refused => ("login refused".into(), true),
            }
        }
    };
    let cx = app.cx();
    let mut worst = None;
    let mut sev = 0;
    let mut behind_ms = 0;
    let mut lag_series = Vec::new();
    if let Some(s) = snap {
        let best = s
            .streams
            .iter()
            .flat_map(|st| st.groups.iter().filter(|g| g.exists).map(move |g| (st, g)))
            .max_by_key(|(st, g)| {
                (
                    severity(g.health.status),
                    g.behind_ms.unwrap_or(0),
                    g.lag.unwrap_or(0),
                    std::cmp::Reverse((st.name.clone(), g.name.clone())),
                )
            });
        if let Some((st, g)) = best {
            sev = severity(g.health.status);
            behind_ms = g.behind_ms.unwrap_or(0);
            worst = Some((
                format!("{}/{}", st.name.escaped(), g.name.escaped()),
                super::panes::shared::status_cell(&cx, g).0,
                super::panes::shared::behind_cell(&cx, g).0,
                g.lag,
            ));
            lag_series = v.history.group_lag(&st.name, &g.name);
        }
    }
    let dead_letters = super::panes::shared::dlq_streams(&cx)
        .iter()
        .map(|(_, _, n)| n)
        .sum();
    FleetRow {
        index,
        name: v.profile.name.clone(),
        environment: v.profile.environment,
        mode: if v.profile.elasticache {
            format!("elasticache {}", v.mode())
        } else {
            v.mode().as_str().to_string()
        },
        state,
        state_bad,
        worst,
        behind_ms,
        severity: sev,
        lag_series,
        dead_letters,
        dlq_growth: v.history.rates.dlq_growth.values().sum(),
        memory_pct: snap
            .and_then(|s| s.memory.as_ref())
            .and_then(|m| m.used_percent_of_max),
        ops: snap.and_then(|s| s.stats.as_ref()).map(|s| s.ops_per_sec),
        crit: v.alerts.iter().filter(|a| a.level == Level::Crit).count(),
        warn: v.alerts.iter().filter(|a| a.level == Level::Warn).count(),
    }
}

/// The rows the table shows: filtered (name, environment, mode, state or
/// worst group contain the filter), worst first — unreachable or stale,
/// then critical alerts, warnings, the worst group's status, its time
/// behind; ties in the file's order.
pub fn rows(apps: &[&App], filter: &str) -> Vec<FleetRow> {
    let f = filter.to_lowercase();
    let mut rows: Vec<FleetRow> = apps
        .iter()
        .enumerate()
        .map(|(i, a)| row(i, a))
        .filter(|r| {
            f.is_empty()
                || [
                    r.name.as_str(),
                    &r.environment.to_string(),
                    &r.mode,
                    &r.state,
                    r.worst.as_ref().map(|w| w.0.as_str()).unwrap_or(""),
                ]
                .iter()
                .any(|s| s.to_lowercase().contains(&f))
        })
        .collect();
    rows.sort_by_key(|r| {
        std::cmp::Reverse((
            r.state_bad,
            r.crit,
            r.warn,
            r.severity,
            r.behind_ms,
            std::cmp::Reverse(r.index),
        ))
    });
    rows
}

pub fn draw(f: &mut Frame, fleet: &Fleet, apps: &[&App]) {
    let theme = apps
        .first()
        .map(|a| a.theme.clone())
        .unwrap_or_else(Theme::monochrome);
    let t = &theme;
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let rows = rows(apps, &fleet.filter);
    let live = apps
        .iter()
        .filter(|a| matches!(a.view.conn, ConnState::Live))
        .count();
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" redeye fleet ", t.title().add_modifier(Modifier::REVERSED)),
            Span::raw(format!(
                " {} environments · {live} live{}",
                apps.len() + fleet.broken.len(),
                if fleet.broken.is_empty() {
                    String::new()
                } else {
                    format!(" · {} could not start", fleet.broken.len())
                }
            )),
        ])),
        head,
    );
    let header = [
        "ENVIRONMENT",
        "MODE",
        "STATE",
        "WORST GROUP",
        "STATUS",
        "BEHIND",
        "LAG",
        "LAG TREND",
        "DLQ",
        "MEM",
        "OPS/S",
        "ALERTS",
    ];
    // Columns by what they are worth at 3 a.m.: the group's name is cut
    // last; the trend, the mode, ops/s and memory go first when the
    // terminal is narrow.
    let env_width = |word: bool| {
        rows.iter()
            .map(|r| {
                r.name.chars().count()
                    + 2
                    + if word {
                        r.environment.to_string().len() + 1
                    } else {
                        0
                    }
            })
            .chain(fleet.broken.iter().map(|(n, _)| n.chars().count() + 2))
            .max()
            .unwrap_or(12)
            .max(12) as u16
    };
    let env_w = env_width(true);
    let group_w = rows
        .iter()
        .filter_map(|r| r.worst.as_ref().map(|w| w.0.chars().count()))
        .max()
        .unwrap_or(11)
        .max(11) as u16;
    let widest = |f: &dyn Fn(&FleetRow) -> usize, min: usize| -> u16 {
        rows.iter().map(f).max().unwrap_or(min).max(min) as u16
    };
    let state_w =
        widest(&|r| r.state.chars().count(), 5).max(if fleet.broken.is_empty() { 5 } else { 11 });
    let status_w = widest(&|r| r.worst.as_ref().map(|w| w.1.len()).unwrap_or(1), 6);
    let mode_w = widest(&|r| r.mode.len(), 4);
    // The figures' columns are as wide as what they show (and their header).
    let behind_w = widest(&|r| r.behind_text().chars().count(), 6);
    let lag_w = widest(&|r| r.lag_text().chars().count(), 3);
    let dlq_w = widest(
        &|r| {
            let (a, b) = r.dlq_text();
            a.chars().count() + b.chars().count()
        },
        3,
    );
    let alerts_w = widest(&|r| r.alerts_text().chars().count(), 6);
    let mut widths: Vec<(usize, u16)> = vec![
        (0, env_w),
        (1, mode_w),
        (2, state_w),
        (3, group_w),
        (4, status_w),
        (5, behind_w),
        (6, lag_w),
        (7, 10),
        (8, dlq_w),
        (9, 4),
        (10, 7),
        (11, alerts_w),
    ];
    let inner = body.width.saturating_sub(2);
    for drop in [7, 1, 10, 9] {
        let need: u16 = widths.iter().map(|(_, w)| w + 1).sum();
        if need <= inner {
            break;
        }
        widths.retain(|(i, _)| *i != drop);
    }
    // Still too narrow: the environment's word goes (its colour band stays).
    let short_env = widths.iter().map(|(_, w)| w + 1).sum::<u16>() > inner;
    if short_env {
        widths[0].1 = env_width(false);
    }
    let mut table_rows: Vec<Vec<Cell<'static>>> = rows
        .iter()
        .map(|r| {
            let band = t.header(r.environment);
            let (group, status) = match &r.worst {
                Some((g, s, _, _)) => (g.clone(), s.clone()),
                None => ("-".into(), "-".into()),
            };
            let (behind, lag) = (r.behind_text(), r.lag_text());
            let status_style = match r.severity {
                3 => t.crit(),
                2 => t.warn(),
                _ => Style::default(),
            };
            let alerts = Span::styled(
                r.alerts_text(),
                match (r.crit, r.warn) {
                    (0, 0) => t.dim(),
                    (0, _) => t.warn(),
                    _ => t.crit(),
                },
            );
            let (dead, growth) = r.dlq_text();
            vec![
                Cell::from(Line::from(vec![
                    Span::styled(" ", band),
                    Span::raw(format!(" {}", sanitize::text(&r.name))),
                    Span::styled(
                        if short_env {
                            String::new()
                        } else {
                            format!(" {}", r.environment)
                        },
                        t.dim(),
                    ),
                ])),
                Cell::from(r.mode.clone()),
                Cell::from(r.state.clone()).style(if r.state_bad { t.crit() } else { t.ok() }),
                Cell::from(group),
                Cell::from(status).style(status_style),
                Cell::from(behind),
                Cell::from(lag),
                Cell::from(spark(&r.lag_series, 10)),
                Cell::from(Line::from(vec![
                    Span::raw(dead),
                    Span::styled(growth, t.crit()),
                ])),
                Cell::from(
                    r.memory_pct
                        .map(|p| format!("{p:.0}%"))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::from(r.ops.map(count).unwrap_or_else(|| "-".into())),
                Cell::from(Line::from(alerts)),
            ]
        })
        .collect();
    for (name, why) in &fleet.broken {
        let mut cells = vec![
            Cell::from(format!("  {}", sanitize::text(name))),
            Cell::from("-"),
            Cell::from("not started").style(t.crit()),
            Cell::from(sanitize::text(why)).style(t.crit()),
        ];
        cells.resize(12, Cell::from(""));
        table_rows.push(cells);
    }
    let keep: Vec<usize> = widths.iter().map(|(i, _)| *i).collect();
    let pick = |cells: Vec<Cell<'static>>| -> Vec<Cell<'static>> {
        cells
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, c)| c)
            .collect()
    };
    let table_rows: Vec<Row> = table_rows
        .into_iter()
        .map(|cells| Row::new(pick(cells)))
        .collect();
    let header: Vec<&str> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, h)| *h)
        .collect();
    let widths: Vec<Constraint> = widths
        .iter()
        .map(|(i, w)| {
            if *i == 3 {
                Constraint::Fill(1)
            } else {
                Constraint::Length(*w)
            }
        })
        .collect();
    let title = if fleet.filter.is_empty() {
        " environments — worst first · Enter open · F back from one · / filter ".to_string()
    } else {
        format!(
            " environments — worst first · filter: {} ",
            sanitize::text(&fleet.filter)
        )
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(t.title()))
        .row_highlight_style(t.selected())
        .block(Block::default().borders(Borders::ALL).title(title));
    let mut state = TableState::default();
    if !rows.is_empty() {
        state.select(Some(fleet.selected.min(rows.len() - 1)));
    }
    f.render_stateful_widget(table, body, &mut state);
    let footer = if fleet.typing {
        Line::from(vec![
            Span::styled("/", t.accent()),
            Span::raw(sanitize::text(&fleet.filter)),
            Span::styled("█", t.accent()),
        ])
    } else {
        Line::styled(
            "q quit  j/k move  Enter open the environment's dashboard (F returns)  / filter  Esc clear",
            t.dim(),
        )
    };
    f.render_widget(Paragraph::new(footer), foot);
}

/// What a key on the table asks the loop for.
pub enum Outcome {
    Stay,
    Quit,
}

pub fn on_key(fleet: &mut Fleet, apps: &[&App], k: KeyEvent) -> Outcome {
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        return Outcome::Quit;
    }
    if fleet.typing {
        match k.code {
            KeyCode::Enter | KeyCode::Esc => fleet.typing = false,
            KeyCode::Backspace => {
                fleet.filter.pop();
            }
            KeyCode::Char(c) => fleet.filter.push(c),
            _ => {}
        }
        fleet.selected = 0;
        return Outcome::Stay;
    }
    let n = rows(apps, &fleet.filter).len();
    match k.code {
        KeyCode::Char('q') => return Outcome::Quit,
        KeyCode::Down | KeyCode::Char('j') => {
            fleet.selected = (fleet.selected + 1).min(n.saturating_sub(1))
        }
        KeyCode::Up | KeyCode::Char('k') => fleet.selected = fleet.selected.saturating_sub(1),
        KeyCode::Char('g') | KeyCode::Home => fleet.selected = 0,
        KeyCode::Char('G') | KeyCode::End => fleet.selected = n.saturating_sub(1),
        KeyCode::Char('/') => fleet.typing = true,
        KeyCode::Esc => {
            fleet.filter.clear();
            fleet.selected = 0;
        }
        KeyCode::Enter => {
            if let Some(r) = rows(apps, &fleet.filter).get(fleet.selected) {
                fleet.open = Some(r.index);
            }
        }
        _ => {}
    }
    Outcome::Stay
}

/// `F` in an environment's dashboard goes back to the fleet, unless the
/// dashboard is taking text or waiting for a confirmation.
pub fn is_back(app: &App, k: KeyEvent) -> bool {
    k.code == KeyCode::Char('F')
        && app.view.input.is_none()
        && app.view.confirm.is_none()
        && !app.view.help
}
