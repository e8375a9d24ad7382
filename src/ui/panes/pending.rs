//! Pending view of one group: its consumers (what each holds, idle, 7.2's
//! inactive, the oldest entry held; `dead` when it holds entries and is idle
//! longer than claim_min_idle), then XPENDING entries with idle time and
//! delivery count, paged; claimable (idle > claim_min_idle) and poison
//! (deliveries > dlq.max_retries) entries marked. ← → move between the two
//! tables; Enter on a consumer shows only its entries (read from the server,
//! paged), on an entry its message body.

pub use super::defaults::*;

use crate::collect::PageStart;
use crate::collect::collector::Needs;
use crate::model::{Name, PendingEntry};
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
    let Some((stream, group)) = &app.panes.pending.drill else {
        super::empty(
            f,
            area,
            app,
            "pending".into(),
            &format!("choose a group in {} and press Enter", Pane::Streams.named()),
            app.theme.dim(),
        );
        return;
    };
    let table_rows = consumer_rows(app).len();
    let consumers_h = if table_rows == 0 {
        0
    } else {
        (table_rows.min(if area.height >= 40 { 10 } else { 4 }) + 3) as u16
    };
    let [head, consumers, list] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(consumers_h),
        Constraint::Fill(1),
    ])
    .areas(area);
    if consumers_h > 0 {
        draw_consumers(f, consumers, app);
    }
    let st = app
        .snapshot()
        .and_then(|s| s.streams.iter().find(|x| &x.name == stream));
    let g = st.and_then(|s| s.groups.iter().find(|x| &x.name == group));
    let t = &app.theme;
    let mut lines = Vec::new();
    // Deleted or destroyed while this view is open: say so, show no rows.
    let gone = match (st, g) {
        (Some(s), _) if !s.exists => Some(format!(
            "stream {} was deleted (it no longer exists); press Esc",
            stream.escaped()
        )),
        (Some(_), Some(g)) if !g.exists => Some(format!(
            "group {} was destroyed (it no longer exists on {}); press Esc",
            group.escaped(),
            stream.escaped()
        )),
        _ => None,
    };
    if let Some(msg) = &gone {
        lines.push(Line::styled(msg.clone(), t.crit()));
    } else if let Some(g) = g {
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
    let title = format!("{} / {}", stream.escaped(), group.escaped());
    f.render_widget(Paragraph::new(lines).block(block(app, title, false)), head);

    let claim = app.profile.claim_min_idle.as_millis() as u64;
    let rows = self::list(app);
    let range = super::window(rows.len(), app.selected(Pane::Pending), list);
    // The ID column is as wide as the page's widest id (and a mark); the
    // consumer gets the rest, so its name is cut only when there is no room.
    let id_w = rows
        .iter()
        .map(|e| sanitize::text(&e.id).chars().count())
        .max()
        .unwrap_or(0)
        .max(2) as u16
        + 2;
    let consumer_w = (list.width.saturating_sub(2 + id_w + 9 + 10 + 10 + 4) as usize).max(8);
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
                ratatui::widgets::Cell::from(cut(&e.consumer.escaped(), consumer_w)),
                ratatui::widgets::Cell::from(age(e.idle_ms)),
                ratatui::widgets::Cell::from(e.deliveries.to_string()),
                ratatui::widgets::Cell::from(Line::from(mark)),
            ])
            .style(style)
        })
        .collect();
    let page = app.panes.pending.after.len() + 1;
    let none = rows.is_empty();
    table(
        f,
        list,
        app,
        format!(
            "pending entries{} · page {page} · sort: {}{}{}",
            app.panes
                .pending
                .consumer
                .as_ref()
                .map(|c| format!(" of {} (Esc: all)", c.escaped()))
                .unwrap_or_default(),
            Pane::Pending.sorts()[app.sort(Pane::Pending)],
            super::selection_note(app),
            if none { " · none (or loading)" } else { "" }
        ),
        &["ID", "CONSUMER", "IDLE", "DELIVERIES", ""],
        table_rows,
        &[
            Constraint::Length(id_w),
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
        (!app.panes.pending.on_consumers).then(|| app.selected(Pane::Pending) - range.start),
    );
}

/// The consumers table: most entries held first.
fn draw_consumers(f: &mut Frame, area: Rect, app: &Cx) {
    let Some(t) = consumer_table(app) else {
        return;
    };
    let th = &app.theme;
    let claim = app.profile.claim_min_idle.as_millis() as u64;
    let now = app
        .snapshot()
        .map(|s| s.server_now())
        .unwrap_or(app.now_ms);
    let sel = app.panes.pending.consumer_sel.min(t.rows.len().saturating_sub(1));
    let range = super::window(t.rows.len(), sel, area);
    let rows: Vec<Row> = t.rows[range.clone()]
        .iter()
        .map(|r| {
            let dead = r.pending > 0 && r.idle_ms > claim;
            let oldest = r
                .oldest_held_id
                .as_deref()
                .and_then(|id| crate::model::ids::age_ms(id, now))
                .map(age)
                .unwrap_or_else(|| if r.pending > 0 { "?".into() } else { "-".into() });
            let filtered = app.panes.pending.consumer.as_ref() == Some(&r.name);
            Row::new(vec![
                ratatui::widgets::Cell::from(format!(
                    "{}{}",
                    if filtered { "▸ " } else { "" },
                    cut(&r.name.escaped(), 40)
                )),
                ratatui::widgets::Cell::from(count(r.pending)),
                ratatui::widgets::Cell::from(age(r.idle_ms)),
                ratatui::widgets::Cell::from(r.inactive_ms.map(age).unwrap_or_else(|| "-".into())),
                ratatui::widgets::Cell::from(oldest),
                ratatui::widgets::Cell::from(if dead { "dead" } else { "" }),
            ])
            .style(if dead { th.crit() } else { ratatui::style::Style::default() })
        })
        .collect();
    let focus = if app.panes.pending.on_consumers {
        "Enter: only its entries · → entries"
    } else {
        "← to choose one"
    };
    table(
        f,
        area,
        app,
        format!(
            "consumers ({}{}) · {focus}",
            count(t.total as u64),
            if t.total > t.rows.len() {
                format!(", {} shown", t.rows.len())
            } else {
                String::new()
            }
        ),
        &["CONSUMER", "HOLDS", "IDLE", "INACTIVE", "OLDEST HELD", ""],
        rows,
        &[
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(12),
            Constraint::Length(5),
        ],
        app.panes.pending.on_consumers.then(|| sel - range.start),
    );
}

/// The consumers table's rows (the open group's).
fn consumer_rows<'a>(cx: &'a Cx) -> &'a [crate::model::ConsumerRow] {
    consumer_table(cx).map_or(&[], |t| &t.rows[..])
}

/// The consumers table of the open group (not one of another group the
/// snapshot still holds).
fn consumer_table<'a>(cx: &'a Cx) -> Option<&'a crate::model::ConsumerTable> {
    let (stream, group) = cx.panes.pending.drill.as_ref()?;
    cx.snapshot()
        .and_then(|s| s.pending_consumers.as_ref())
        .filter(|t| &t.stream == stream && &t.group == group)
}

fn focus(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let to_consumers = matches!(k, KeyCode::Left | KeyCode::Char('h'));
    cx.panes.pending.on_consumers = to_consumers && !consumer_rows(&cx.cx()).is_empty();
    vec![]
}

fn move_in(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let delta: isize = if matches!(k, KeyCode::Down | KeyCode::Char('j')) {
        1
    } else {
        -1
    };
    if !cx.panes.pending.on_consumers {
        cx.move_sel(delta);
        return vec![];
    }
    let n = consumer_rows(&cx.cx()).len();
    let p = &mut cx.panes.pending;
    p.consumer_sel = p
        .consumer_sel
        .saturating_add_signed(delta)
        .min(n.saturating_sub(1));
    vec![]
}

pub const TITLE: &str = "Pending";
pub const SORTS: &[&str] = &["id", "idle", "deliveries", "consumer"];

#[derive(Default)]
pub struct State {
    /// The group whose pending view is open.
    pub drill: Option<(Name, Name)>,
    /// Server-side pages: the last id of each page before the one shown.
    pub after: Vec<String>,
    /// The keys move in the consumers table (else in the entries).
    pub on_consumers: bool,
    pub consumer_sel: usize,
    /// Show only this consumer's entries.
    pub consumer: Option<Name>,
}

pub const LEGEND: &[(&str, &str)] = &[
    ("HOLDS", "entries the consumer was given and has not acknowledged"),
    ("IDLE", "time since the consumer's last attempt to read"),
    ("INACTIVE", "time since its last successful read (Redis 7.2)"),
    ("OLDEST HELD", "age of the oldest entry it holds"),
    ("dead", "holds entries, idle longer than claim_min_idle"),
    ("▸", "the consumer whose entries are shown"),
    ("* before an id", "a marked entry (space marks)"),
    ("claimable", "yellow: idle longer than claim_min_idle"),
    ("poison", "red: delivered more than dlq.max_retries times"),
    ("/ filter", "matches CONSUMER and the marks (claimable, poison); id:… matches ids"),
];

pub const KEYS: &[Key] = &[
    Key {
        keys: "c a R D A",
        help: "claim, autoclaim, requeue, dead-letter, ack: the marked entries; else with * every match on the server; else the rows the filter shows; else the selected one (a: every idle entry, counted first)",
        on: |k| matches!(k, KeyCode::Char('c' | 'a' | 'R' | 'D' | 'A')),
        run: Some(write),
    },
    Key {
        keys: "P",
        help: "prune consumers holding nothing, idle > claim_min_idle",
        on: |k| matches!(k, KeyCode::Char('P')),
        run: Some(write),
    },
    Key {
        keys: "space",
        help: "mark / unmark the selected entry",
        on: |k| matches!(k, KeyCode::Char(' ')),
        run: Some(mark),
    },
    Key {
        keys: "*",
        help: "select every entry on the server that the filter (and the consumer chosen) matches, not only this page; counted before the confirmation (again: off)",
        on: |k| matches!(k, KeyCode::Char('*')),
        run: Some(select_all),
    },
    Key {
        keys: "← →",
        help: "move between the consumers table and the entries",
        on: |k| matches!(k, KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l')),
        run: Some(focus),
    },
    Key {
        keys: "j k ↓ ↑",
        help: "move in the table chosen with ← →",
        on: |k| matches!(k, KeyCode::Up | KeyCode::Down | KeyCode::Char('j' | 'k')),
        run: Some(move_in),
    },
    Key {
        keys: "Enter",
        help: "on a consumer: only its entries (again: all); on an entry: its message body",
        on: |k| matches!(k, KeyCode::Enter),
        run: Some(body),
    },
    Key {
        keys: "PgDn PgUp",
        help: "at the end / top: next / previous page from the server",
        on: |k| matches!(k, KeyCode::PageDown | KeyCode::PageUp),
        run: Some(page),
    },
    Key {
        keys: "Esc",
        help: "clear the filter, else back to Streams",
        on: |k| matches!(k, KeyCode::Esc),
        run: Some(back),
    },
];

/// Open the pending view of a group.
/// Opened with no group chosen: the worst group, first in the Streams order.
pub fn enter(cx: &mut CxMut) {
    if cx.panes.pending.drill.is_none() {
        cx.panes.pending.drill = super::shared::worst_group(&cx.cx());
    }
}

/// Opened before the streams were read (the first polls read INFO first,
/// the streams at their own cadence): the first snapshot that has them
/// chooses the worst group, as `enter` would have.
pub fn on_snapshot(cx: &mut CxMut) {
    if *cx.pane == Pane::Pending {
        enter(cx);
    }
}

pub fn open(cx: &mut CxMut, stream: Name, group: Name) {
    cx.panes.pending.drill = Some((stream, group));
    cx.panes.pending.after.clear();
    cx.panes.pending.consumer = None;
    cx.panes.pending.on_consumers = false;
    cx.panes.pending.consumer_sel = 0;
    cx.view.marks.clear();
    cx.view.select_all = false;
    cx.list(Pane::Pending).selected = 0;
    cx.switch(Pane::Pending);
}

/// The page of entries of the open group, filtered and sorted.
pub fn list<'a>(cx: &'a Cx) -> Vec<&'a PendingEntry> {
    let Some(page) = cx.snapshot().and_then(|s| s.pending_page.as_ref()) else {
        return Vec::new();
    };
    if cx.panes.pending.drill.as_ref() != Some(&(page.stream.clone(), page.group.clone()))
        || page.consumer != cx.panes.pending.consumer
    {
        return Vec::new();
    }
    let f = cx.filter(Pane::Pending);
    let claim = cx.profile.claim_min_idle.as_millis() as u64;
    let mut rows: Vec<&PendingEntry> = page
        .entries
        .iter()
        .filter(|e| crate::model::filter::pending(e, f, claim, cx.profile.max_retries))
        .collect();
    match cx.sort(Pane::Pending) {
        1 => rows.sort_by_key(|e| std::cmp::Reverse(e.idle_ms)),
        2 => rows.sort_by_key(|e| std::cmp::Reverse(e.deliveries)),
        3 => rows.sort_by(|a, b| a.consumer.cmp(&b.consumer)),
        _ => {}
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(cx: &Cx, n: &mut Needs) {
    if let Some((s, g)) = &cx.panes.pending.drill {
        let after = cx.panes.pending.after.last().cloned();
        let start = after.map_or(PageStart::First, PageStart::After);
        n.pending = Some((s.clone(), g.clone(), start));
        n.pending_consumer = cx.panes.pending.consumer.clone();
    }
}

fn ids(cx: &Cx) -> Vec<String> {
    list(cx).iter().map(|e| e.id.clone()).collect()
}

fn body(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    if cx.panes.pending.on_consumers {
        let c = cx.cx();
        let chosen = consumer_rows(&c)
            .get(c.panes.pending.consumer_sel)
            .map(|r| r.name.clone());
        let p = &mut cx.panes.pending;
        p.consumer = if p.consumer == chosen { None } else { chosen };
        p.on_consumers = false;
        p.after.clear();
        cx.view.marks.clear();
        cx.list(Pane::Pending).selected = 0;
        return vec![];
    }
    let c = cx.cx();
    match (list(&c).get(c.selected(Pane::Pending)), &c.panes.pending.drill) {
        (Some(e), Some((stream, _))) => vec![Effect::FetchEntry {
            stream: stream.clone(),
            id: e.id.clone(),
        }],
        _ => vec![],
    }
}

fn select_all(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    cx.toggle_select_all("entry");
    vec![]
}

fn mark(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    cx.toggle_mark(ids(&cx.cx()));
    vec![]
}

fn page(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    // The page's last id in server order, whatever the sort shown.
    let last = cx
        .snapshot()
        .and_then(|s| s.pending_page.as_ref())
        .and_then(|p| p.entries.last())
        .map(|e| e.id.clone());
    cx.server_page(k, last, |p| &mut p.pending.after)
}

fn back(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    if cx.panes.pending.consumer.is_some() {
        cx.panes.pending.consumer = None;
        cx.panes.pending.after.clear();
        cx.list(Pane::Pending).selected = 0;
        return vec![];
    }
    if cx.list(Pane::Pending).filter.is_empty() {
        return vec![Effect::Open(Pane::Streams)];
    }
    cx.list(Pane::Pending).filter.clear();
    vec![]
}

/// A write key: build the operation and ask for confirmation. The set is
/// exact: the marked entries; else, with `*`, every match on the server
/// (counted first); else the rows the filter shows on this page (named in
/// the confirmation); else the selected row. Autoclaim counts what is idle.
fn write(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let KeyCode::Char(key) = k else { return vec![] };
    let Some((stream, group)) = cx.panes.pending.drill.clone() else {
        cx.status = Some(format!(
            "choose a group in {} and press Enter first",
            Pane::Streams.named()
        ));
        return vec![];
    };
    if cx.refuse_write() {
        return vec![];
    }
    let c = cx.cx();
    let min_idle = c.profile.claim_min_idle;
    let to = c.claim_consumer.clone();
    let dlq = super::shared::dlq_of(&c, &stream);
    let filter = c.filter(Pane::Pending).to_string();
    if key == 'P' {
        cx.ask_confirm(Op::Prune {
            stream,
            group,
            idle: min_idle,
        });
        return vec![];
    }
    if key == 'a' {
        cx.status = Some("counting the idle entries on the server…".into());
        return vec![Effect::Resolve(Resolve::Autoclaim {
            stream,
            group,
            to,
            min_idle,
        })];
    }
    if c.select_all {
        let r = Resolve::Pending {
            stream,
            group,
            consumer: c.panes.pending.consumer.clone(),
            filter,
            key,
            to,
            dlq,
            min_idle,
            max_retries: c.profile.max_retries,
        };
        cx.status = Some("counting the matching entries on the server…".into());
        return vec![Effect::Resolve(r)];
    }
    let Some((ids, scope)) = cx.targets(ids(&cx.cx())) else {
        return vec![];
    };
    let op = crate::ui::write::pending_op(key, stream, group, ids, to, dlq, min_idle);
    cx.ask_confirm_scoped(op, scope);
    vec![]
}
