//! Dead-letter queues: each DLQ with size and growth; the selected DLQ's
//! entries (newest first) with original stream and id, error, retry count,
//! failed at and age versus dlq.ttl. Enter shows the whole entry.

pub use super::defaults::*;

use crate::collect::PageEnd;
use crate::collect::collector::Needs;
use crate::model::{Name, StreamEntry};
use crate::ops::Op;
use crate::ui::write::Resolve;
use super::Effect;
use crossterm::event::KeyCode;
use super::{CxMut, Key};
use super::{block, cut, table};
use crate::format::{age, count};
use crate::sanitize;
use super::{Cx, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    let t = &app.theme;
    let list = super::shared::dlq_streams(app);
    let current = super::dlq::current(app);
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
                        name.escaped(),
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
    let rows = self::list(app);
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
            let failed_at = get(crate::model::dlq::FAILED_AT)
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
                        &format!("{} {}", get(crate::model::dlq::ORIGINAL_STREAM), get(crate::model::dlq::ORIGINAL_ID)),
                        48,
                    ),
                    cut(&get(crate::model::dlq::ERROR), 80),
                    get(crate::model::dlq::RETRY_COUNT),
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
                    get(crate::model::dlq::ORIGINAL_ID),
                    get(crate::model::dlq::ERROR),
                    get(crate::model::dlq::RETRY_COUNT),
                    format!("{}{expired}", age(entry_age)),
                ]
            };
            Row::new(cells).style(style)
        })
        .collect();
    let page = app.panes.dlq.before.len() + 1;
    table(
        f,
        entries,
        app,
        format!(
            "{} · newest first · page {page}{}",
            current.as_ref().map(Name::escaped).unwrap_or_default(),
            super::selection_note(app)
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
fn ages<'a>(app: &Cx, dlq: &Name) -> Span<'a> {
    let t = &app.theme;
    let Some(snap) = app.snapshot() else {
        return Span::raw("");
    };
    let Some(info) = snap
        .streams
        .iter()
        .filter_map(|s| s.dlq.as_ref())
        .find(|d| &d.stream == dlq)
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

pub const TITLE: &str = "DLQ";
pub const SORTS: &[&str] = &[];

#[derive(Default)]
pub struct State {
    /// The DLQ stream shown, by name (default: the longest).
    pub stream: Option<Name>,
    /// Server-side pages: the last id of each page before the one shown.
    pub before: Vec<String>,
}

pub const LEGEND: &[(&str, &str)] = &[
    ("ORIGINAL", "the stream and id the entry failed on"),
    ("RETRIES", "deliveries before it was dead-lettered"),
    ("FAILED", "when it was moved to the DLQ"),
    ("AGE", "age of the dead letter; expired: older than dlq.ttl (dimmed)"),
    ("(+n)", "entries added to the DLQ since the last poll"),
    ("▶", "the DLQ shown"),
    ("* before an id", "a marked entry (space marks)"),
    ("/ filter", "matches ORIGINAL stream and ERROR; id:… matches ids"),
];

pub const KEYS: &[Key] = &[
    Key {
        keys: "[ ]",
        help: "previous / next DLQ stream",
        on: |k| matches!(k, KeyCode::Char('[' | ']')),
        run: Some(cycle),
    },
    Key {
        keys: "Enter i",
        help: "the whole dead letter, JSON pretty-printed",
        on: |k| matches!(k, KeyCode::Enter | KeyCode::Char('i')),
        run: Some(detail),
    },
    Key {
        keys: "PgDn at end",
        help: "older entries (PgUp at the top: newer)",
        on: |k| matches!(k, KeyCode::PageDown | KeyCode::PageUp),
        run: Some(page),
    },
    Key {
        keys: "space",
        help: "mark / unmark the selected entry",
        on: |k| matches!(k, KeyCode::Char(' ')),
        run: Some(mark),
    },
    Key {
        keys: "*",
        help: "select every dead letter on the server that the filter matches, not only this page; counted before the confirmation (again: off)",
        on: |k| matches!(k, KeyCode::Char('*')),
        run: Some(select_all),
    },
    Key {
        keys: "R x",
        help: "requeue, delete: the marked entries; else with * every match on the server; else the rows the filter shows; else the selected one",
        on: |k| matches!(k, KeyCode::Char('R' | 'x')),
        run: Some(write),
    },
    Key {
        keys: "P",
        help: "purge entries older than dlq.ttl",
        on: |k| matches!(k, KeyCode::Char('P')),
        run: Some(write),
    },
    Key {
        keys: ":requeue-all",
        help: "requeue every entry of this DLQ (Sidekiq's retry all)",
        on: |_| false,
        run: None,
    },
];

/// The DLQ shown: the chosen one while it exists, else the longest.
pub fn current(cx: &Cx) -> Option<Name> {
    let list = super::shared::dlq_streams(cx);
    match &cx.panes.dlq.stream {
        Some(d) if list.iter().any(|(_, n, _)| n == d) => Some(d.clone()),
        _ => list
            .iter()
            .max_by_key(|(_, _, len)| *len)
            .map(|(_, n, _)| n.clone()),
    }
}

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a StreamEntry> {
    let Some(page) = cx.snapshot().and_then(|s| s.dlq_page.as_ref()) else {
        return Vec::new();
    };
    if Some(&page.stream) != current(cx).as_ref() {
        return Vec::new();
    }
    let f = cx.filter(Pane::Dlq);
    page.entries.iter().filter(|e| crate::model::filter::dead_letter(e, f)).collect()
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(cx: &Cx, n: &mut Needs) {
    if let Some(d) = current(cx) {
        let before = cx.panes.dlq.before.last().cloned();
        n.dlq = Some((d, before.map_or(PageEnd::Newest, PageEnd::Before)));
    }
}

fn cycle(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let list = super::shared::dlq_streams(&c);
    if list.is_empty() {
        return vec![];
    }
    let cur = current(&c);
    let i = list
        .iter()
        .position(|(_, n, _)| Some(n) == cur.as_ref())
        .unwrap_or(0) as isize;
    let dir = if k == KeyCode::Char('[') { -1 } else { 1 };
    let next = (i + dir).rem_euclid(list.len() as isize) as usize;
    cx.panes.dlq.stream = Some(list[next].1.clone());
    cx.view.marks.clear();
    cx.view.select_all = false;
    cx.panes.dlq.before.clear();
    cx.list(Pane::Dlq).selected = 0;
    vec![]
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(e) = list(&c).get(c.selected(Pane::Dlq)).copied() else {
        return vec![];
    };
    // The page carries no bodies: load this one entry now.
    if let Some(omitted) = e.field("redeye:omitted_bytes").map(|b| b.display())
        && let Some(stream) = c.snapshot().and_then(|s| s.dlq_page.as_ref()).map(|p| p.stream.clone())
    {
        let id = e.id.clone();
        cx.popup = Some(crate::ui::detail::Popup {
            title: format!("dead letter {}", crate::sanitize::text(&id)),
            lines: vec![format!("loading the whole entry ({omitted} bytes not in the page)…")],
            scroll: 0,
            more: None,
            live: None,
        });
        return vec![Effect::FetchEntry { stream, id }];
    }
    cx.popup = Some(crate::ui::detail::entry(&format!("dead letter {}", e.id), e));
    vec![]
}

/// The ids of the rows shown, in order.
fn ids(cx: &Cx) -> Vec<String> {
    list(cx).iter().map(|e| e.id.clone()).collect()
}

fn mark(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    cx.toggle_mark(ids(&cx.cx()));
    vec![]
}

fn page(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let last = list(&cx.cx()).last().map(|e| e.id.clone());
    cx.server_page(k, last, |p| &mut p.dlq.before)
}

/// A write key: the marked entries; else, with `*`, every match on the
/// server (counted first); else the rows the filter shows on this page
/// (named in the confirmation); else the selected row.
fn write(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(dlq) = current(&c) else {
        cx.status = Some("no DLQ stream".into());
        return vec![];
    };
    let target = super::shared::dlq_streams(&c)
        .into_iter()
        .find(|(_, d, _)| *d == dlq)
        .map(|(s, _, _)| s)
        .unwrap_or_default();
    let ttl = c.profile.dlq_ttl;
    let filter = c.filter(Pane::Dlq).to_string();
    let select_all = c.select_all;
    if cx.refuse_write() {
        return vec![];
    }
    if k == KeyCode::Char('P') {
        cx.ask_confirm(Op::DlqPurge { dlq, ttl });
        return vec![];
    }
    let KeyCode::Char(key) = k else {
        return vec![];
    };
    if select_all {
        cx.status = Some("counting the matching dead letters on the server…".into());
        return vec![Effect::Resolve(Resolve::Dlq {
            dlq,
            target,
            filter,
            key,
        })];
    }
    let Some((ids, scope)) = cx.targets(ids(&cx.cx())) else {
        return vec![];
    };
    let op = if key == 'R' {
        Op::DlqRequeue { dlq, target, ids }
    } else {
        Op::DlqDelete { dlq, ids }
    };
    cx.ask_confirm_scoped(op, scope);
    vec![]
}

fn select_all(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    cx.toggle_select_all("dead letter");
    vec![]
}

/// `:requeue-all`: every entry of the DLQ shown (Sidekiq's "retry all"),
/// counted on the server before the confirmation.
pub fn requeue_all(cx: &mut CxMut) -> Vec<Effect> {
    if *cx.pane != Pane::Dlq {
        cx.status = Some(format!(":requeue-all works in the {} pane", Pane::Dlq.named()));
        return vec![];
    }
    let c = cx.cx();
    let Some((target, dlq, _)) =
        current(&c).and_then(|d| super::shared::dlq_streams(&c).into_iter().find(|(_, n, _)| *n == d))
    else {
        cx.status = Some("no DLQ stream".into());
        return vec![];
    };
    if cx.refuse_write() {
        return vec![];
    }
    cx.status = Some("counting the dead letters on the server…".into());
    vec![Effect::Resolve(Resolve::DlqAll { dlq, target })]
}
