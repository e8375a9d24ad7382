//! Clients: connected / blocked / rejected with history, and CLIENT LIST
//! (fetched only while this pane is open, bounded), sortable and filterable.

pub use super::defaults::*;

use crate::collect::collector::Needs;
use crate::model::ClientRow;
use super::Effect;
use crossterm::event::KeyCode;
use super::{CxMut, Key};
use super::{cut, table};
use crate::format::{age, count};
use crate::sanitize;
use super::{Cx, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::Row;

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    let [top, list] = Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(area);
    let [conn, blocked] = Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(top);
    let c = app.snapshot().and_then(|s| s.clients.as_ref());
    super::chart(
        f,
        conn,
        app,
        match c {
            Some(c) => format!(
                "connected {} · rejected {}",
                count(c.connected),
                count(c.rejected_connections)
            ),
            None => "connected".into(),
        },
        &app.history.connected,
        Style::default().fg(app.theme.sparkline),
        false,
        false,
    );
    super::chart(
        f,
        blocked,
        app,
        format!(
            "blocked {}",
            c.map(|c| count(c.blocked)).unwrap_or_default()
        ),
        &app.history.blocked,
        app.theme.warn(),
        false,
        false,
    );
    let Some(cl) = app.snapshot().and_then(|s| s.client_list.as_ref()) else {
        let msg =
            super::problem(app, crate::model::Section::ClientList).unwrap_or_else(|| "loading CLIENT LIST…".into());
        super::empty(f, list, app, "clients".into(), &msg, app.theme.dim());
        return;
    };
    let rows = self::list(app);
    let range = super::window(rows.len(), app.selected(Pane::Clients), list);
    let wide = list.width >= 110;
    let table_rows: Vec<Row> = rows[range.clone()]
        .iter()
        .map(|c| {
            let style = if c.flags.contains('b') {
                app.theme.accent()
            } else {
                Style::default()
            };
            // On a cluster the node the client is connected to comes first.
            let addr = match &c.node {
                Some(n) => format!("{} › {}", sanitize::text(n), sanitize::text(&c.addr)),
                None => sanitize::text(&c.addr),
            };
            // redeye's own connections are named `redeye:<profile>`.
            let name = if c.name.starts_with("redeye:") {
                format!("{} (a redeye)", sanitize::text(&c.name))
            } else {
                sanitize::text(&c.name)
            };
            let mut cells = vec![addr, cut(&name, 44)];
            if wide {
                cells.push(cut(&sanitize::text(&c.user), 14));
            }
            cells.extend([
                age(c.age_s * 1000),
                age(c.idle_s * 1000),
                cut(&sanitize::text(&c.cmd), 16),
            ]);
            if wide {
                cells.push(c.db.to_string());
            }
            cells.push(count(c.omem));
            Row::new(cells).style(style)
        })
        .collect();
    let shown = if cl.total > cl.rows.len() {
        format!("first {} of {}", cl.rows.len(), count(cl.total as u64))
    } else {
        count(cl.total as u64)
    };
    table(
        f,
        list,
        app,
        format!(
            "CLIENT LIST ({shown}) · sort: {}",
            Pane::Clients.sorts()[app.sort(Pane::Clients)]
        ),
        if wide {
            &["ADDR", "NAME", "USER", "AGE", "IDLE", "CMD", "DB", "OBUF"]
        } else {
            &["ADDR", "NAME", "AGE", "IDLE", "CMD", "OBUF"]
        },
        table_rows,
        &if wide {
            vec![
                Constraint::Length(21),
                Constraint::Fill(2),
                Constraint::Length(14),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(7),
            ]
        } else {
            vec![
                Constraint::Length(21),
                Constraint::Fill(2),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Length(6),
            ]
        },
        Some(app.selected(Pane::Clients) - range.start),
    );
}

pub const TITLE: &str = "Clients";
pub const SORTS: &[&str] = &["idle", "age", "output buffer", "name"];

pub const KEYS: &[Key] = &[Key {
    keys: "Enter i",
    help: "client detail",
    on: |k| matches!(k, KeyCode::Enter | KeyCode::Char('i')),
    run: Some(detail),
}];

/// CLIENT LIST rows, filtered and sorted.
pub fn list<'a>(cx: &'a Cx) -> Vec<&'a ClientRow> {
    let Some(cl) = cx.snapshot().and_then(|s| s.client_list.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Clients).to_lowercase();
    let mut rows: Vec<_> = cl
        .rows
        .iter()
        .filter(|c| cx.node_scope.is_none() || c.node == cx.node_scope)
        .filter(|c| {
            f.is_empty()
                || c.name.to_lowercase().contains(&f)
                || c.addr.contains(&f)
                || c.node.as_deref().is_some_and(|n| n.contains(&f))
                || c.cmd.contains(&f)
                || c.user.to_lowercase().contains(&f)
        })
        .collect();
    match cx.sort(Pane::Clients) {
        0 => rows.sort_by_key(|c| std::cmp::Reverse(c.idle_s)),
        1 => rows.sort_by_key(|c| std::cmp::Reverse(c.age_s)),
        2 => rows.sort_by_key(|c| std::cmp::Reverse(c.omem)),
        _ => rows.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(_: &Cx, n: &mut Needs) {
    n.client_list = true;
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let popup = list(&c)
        .get(c.selected(Pane::Clients))
        .map(|r| crate::ui::detail::client(r));
    if popup.is_some() {
        cx.popup = popup;
    }
    vec![]
}
