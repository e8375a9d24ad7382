//! Nodes (Cluster): each node's role, address, slot ranges and count, memory
//! and % of maxmemory, ops/s, clients, a replica's replication lag, link
//! state and flags (`fail?`, `fail`, `handshake`); nodes that changed in the
//! last topology change are marked.

pub use super::defaults::*;

use super::{Cx, CxMut, Key, Pane, table};
use super::Effect;
use crossterm::event::KeyCode;
use crate::format::{bytes, count};
use crate::model::ClusterNodeRow;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub const TITLE: &str = "Nodes";
pub const SORTS: &[&str] = &["slots", "memory %", "ops/s"];
pub const KEYS: &[Key] = &[Key {
    keys: "Enter",
    help: "scope Memory, Clients and Slowlog to this primary (again: all nodes)",
    on: |k| matches!(k, KeyCode::Enter),
    run: Some(scope),
}];

fn scope(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let picked = list(&c)
        .get(c.selected(Pane::Nodes))
        .map(|n| (n.polled_as.clone(), sanitize::text(&n.address)));
    match picked {
        Some((Some(addr), _)) if cx.node_scope.as_deref() == Some(addr.as_str()) => {
            cx.node_scope = None;
            cx.status = Some("Memory, Clients and Slowlog show all nodes".into());
        }
        Some((Some(addr), _)) => {
            cx.status = Some(format!(
                "Memory, Clients and Slowlog show node {} (Enter on it again: all nodes)",
                sanitize::text(&addr)
            ));
            cx.node_scope = Some(addr);
        }
        Some((None, shown)) => {
            cx.status = Some(format!("{shown} is a replica: redeye polls primaries only"));
        }
        None => {}
    }
    vec![]
}

fn list<'a>(cx: &'a Cx) -> Vec<&'a ClusterNodeRow> {
    let Some(c) = cx.snapshot().and_then(|s| s.cluster.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Nodes).to_lowercase();
    let mut rows: Vec<&ClusterNodeRow> = c
        .nodes
        .iter()
        .filter(|n| {
            f.is_empty()
                || n.address.to_lowercase().contains(&f)
                || n.flags.contains(&f)
                || n.role.contains(&f)
        })
        .collect();
    match cx.sort(Pane::Nodes) {
        1 => rows.sort_by(|a, b| {
            b.memory_pct()
                .unwrap_or(-1.0)
                .total_cmp(&a.memory_pct().unwrap_or(-1.0))
        }),
        2 => rows.sort_by_key(|n| std::cmp::Reverse(n.ops_per_sec.unwrap_or(0))),
        _ => {}
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let Some(snap) = cx.snapshot() else {
        super::empty(f, area, cx, "nodes".into(), "waiting for data…", cx.theme.dim());
        return;
    };
    let Some(c) = &snap.cluster else {
        let msg = format!(
            "this deployment is {}; the Nodes pane shows a Redis Cluster's nodes",
            snap.deployment.mode
        );
        super::empty(f, area, cx, "nodes".into(), &msg, cx.theme.dim());
        return;
    };
    let recent = c
        .topology_changed_at_ms
        .is_some_and(|t| cx.now_ms.saturating_sub(t) < 60_000);
    let all = list(cx);
    let range = super::window(all.len(), cx.selected(Pane::Nodes), area);
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|n| {
            let changed = recent && c.changed.iter().any(|x| x[1..] == n.address);
            let style = if n.failing() {
                cx.theme.crit()
            } else if changed || !n.flags.is_empty() {
                cx.theme.warn()
            } else {
                ratatui::style::Style::default()
            };
            let mem = match (n.used_memory, n.memory_pct()) {
                (Some(u), Some(p)) => format!("{} {p:.0}%", bytes(u)),
                (Some(u), None) => bytes(u),
                _ => String::new(),
            };
            Row::new(vec![
                format!("{}{}", if changed { "* " } else { "" }, n.role),
                sanitize::text(&n.address),
                if n.slots.is_empty() {
                    String::new()
                } else {
                    format!("{} ({})", sanitize::text(&n.slots), count(n.slot_count))
                },
                mem,
                n.ops_per_sec.map(count).unwrap_or_default(),
                n.clients.map(count).unwrap_or_default(),
                n.lag_bytes.map(bytes).unwrap_or_default(),
                format!("{} {}", sanitize::text(&n.link), sanitize::text(&n.flags)),
            ])
            .style(style)
        })
        .collect();
    let changed = if recent {
        format!(" · topology changed: {}", c.changed.join(" "))
    } else {
        String::new()
    };
    table(
        f,
        area,
        cx,
        format!(
            "nodes · cluster {} · slots ok {}/{} · pfail {} · fail {} · {} up, {} down{changed} · sort: {}",
            sanitize::text(&c.state),
            count(c.slots_ok),
            count(c.slots_assigned),
            c.slots_pfail,
            c.slots_fail,
            c.nodes_up,
            c.nodes_down,
            SORTS[cx.sort(Pane::Nodes)]
        ),
        &["ROLE", "ADDRESS", "SLOTS", "MEMORY", "OPS/S", "CLIENTS", "LAG", "LINK FLAGS"],
        rows,
        &[
            Constraint::Length(9),
            Constraint::Length(22),
            Constraint::Length(20),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Fill(1),
        ],
        Some(cx.selected(Pane::Nodes) - range.start),
    );
}
