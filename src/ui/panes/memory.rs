//! Memory: used / rss / peak / maxmemory gauge, fragmentation, policy,
//! evictions and expirations per second, and history.

pub use super::defaults::*;

use super::block;
use crate::format::{bytes, count};
use crate::sanitize;
use super::{Cx, Key};
use super::level_style;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Gauge, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &Cx) {
    // Scoped to one cluster node (Nodes pane, Enter): that node's figures.
    let scoped = app.node_scope.as_deref().and_then(|n| {
        app.snapshot()?
            .nodes
            .iter()
            .find(|s| s.address == n)?
            .memory
            .as_ref()
    });
    let Some(m) = scoped.or_else(|| app.snapshot().and_then(|s| s.memory.as_ref())) else {
        let msg = super::problem(app, crate::model::Section::Info).unwrap_or_else(|| "waiting for data…".into());
        super::empty(f, area, app, "memory".into(), &msg, app.theme.dim());
        return;
    };
    let [gauge, facts, hist, evict] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Fill(1),
        Constraint::Length(5),
    ])
    .areas(area);
    let (ratio, label) = match m.used_percent_of_max {
        Some(p) => (
            (p / 100.0).clamp(0.0, 1.0),
            format!(
                "{} of {} ({p:.1}%)",
                bytes(m.used_bytes),
                bytes(m.maxmemory_bytes)
            ),
        ),
        None => (
            0.0,
            format!("{} used, no maxmemory set", bytes(m.used_bytes)),
        ),
    };
    let style = match m.used_percent_of_max {
        Some(p) => level_style(
            app,
            p,
            app.thresholds.memory_warn_pct,
            app.thresholds.memory_crit_pct,
        ),
        None => Style::default(),
    };
    f.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(Style::default().fg(app.theme.gauge))
            .style(style)
            .block(block(app, "used / maxmemory".into(), false)),
        gauge,
    );
    let r = &app.history.rates;
    let lines = vec![
        Line::raw(format!("used       {}", bytes(m.used_bytes))),
        Line::raw(format!(
            "rss        {}   peak {}",
            bytes(m.rss_bytes),
            bytes(m.peak_bytes)
        )),
        Line::styled(
            format!("frag ratio {:.2}", m.fragmentation_ratio),
            if m.rss_bytes >= app.thresholds.fragmentation_min_rss {
                level_style(
                    app,
                    m.fragmentation_ratio,
                    app.thresholds.fragmentation_warn,
                    app.thresholds.fragmentation_crit,
                )
            } else {
                Style::default()
            },
        ),
        Line::raw(format!(
            "policy     {}   evicted {} ({:.0}/s)   expired/s {:.0}",
            sanitize::text(&m.maxmemory_policy),
            count(m.evicted_keys),
            r.evicted_per_s,
            r.expired_per_s
        )),
    ];
    f.render_widget(
        Paragraph::new(lines).block(block(app, "memory".into(), false)),
        facts,
    );
    let (_, span) = crate::model::series::WINDOWS[app.window];
    let end = app.snapshot().map(|s| s.taken_at_ms).unwrap_or(app.now_ms);
    let cols = app.history.used_memory.window(end, span, hist.width.saturating_sub(2) as usize);
    let max = cols.iter().flatten().map(|c| c.max).max().unwrap_or(0);
    let min = cols.iter().flatten().map(|c| c.min).min().unwrap_or(0);
    // Show variation, not the absolute level: drawn above the window's minimum.
    super::chart(
        f,
        hist,
        app,
        format!("used memory ({} – {})", bytes(min), bytes(max)),
        &app.history.used_memory,
        Style::default().fg(app.theme.sparkline),
        false,
        true,
    );
    super::chart(
        f,
        evict,
        app,
        "evictions per second".into(),
        &app.history.evicted_per_s,
        app.theme.warn(),
        false,
        false,
    );
}

pub const TITLE: &str = "Memory";
pub const SORTS: &[&str] = &[];

pub const KEYS: &[Key] = &[Key {
    keys: "",
    help: "(history of used memory and evictions)",
    on: |_| false,
    run: None,
}];

