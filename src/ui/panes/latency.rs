//! Latency: the server's latency events (LATENCY LATEST, and the selected
//! event's LATENCY HISTORY), or how to turn monitoring on; the round trip
//! of each poll as redeye measured it, with history; the slowlog rate.

pub use super::defaults::*;

use super::{Cx, Key, Pane, block, table};
use crate::collect::collector::Needs;
use crate::format::{age, count};
use crate::model::insight::LatencyEvent;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Sparkline};

pub const TITLE: &str = "Latency";
pub const SORTS: &[&str] = &["latest", "max"];

pub const KEYS: &[Key] = &[Key {
    keys: "j k",
    help: "choose the event whose history is drawn",
    on: |_| false,
    run: None,
}];

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a LatencyEvent> {
    let Some(l) = cx.snapshot().and_then(|s| s.latency.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Latency).to_lowercase();
    let mut rows: Vec<_> = l
        .events
        .iter()
        .filter(|e| f.is_empty() || e.event.to_lowercase().contains(&f))
        .collect();
    if cx.sort(Pane::Latency) == 1 {
        rows.sort_by_key(|e| std::cmp::Reverse(e.max_ms));
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(cx: &Cx, n: &mut Needs) {
    n.latency_event = list(cx)
        .get(cx.selected(Pane::Latency))
        .map(|e| e.event.clone());
}

/// p50 and max of a series.
fn p50_max(v: &[u64]) -> (u64, u64) {
    let mut s = v.to_vec();
    s.sort_unstable();
    (
        s.get(s.len() / 2).copied().unwrap_or(0),
        s.last().copied().unwrap_or(0),
    )
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let Some(snap) = cx.snapshot() else {
        super::empty(f, area, cx, "latency".into(), "waiting for the first poll…", cx.theme.dim());
        return;
    };
    let t = &cx.theme;
    let [events, hist, rtt, slow] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(4),
    ])
    .areas(area);
    let lat = snap.latency.as_ref();
    let off = lat.and_then(|l| l.threshold_ms) == Some(0);
    let all = list(cx);
    if all.is_empty() {
        let msg = if let Some(p) = super::problem(cx, crate::model::Section::Latency) {
            p
        } else if off {
            "latency monitoring is off (latency-monitor-threshold 0): CONFIG SET latency-monitor-threshold 100 records every event over 100 ms (through the profile's CONFIG rename)".into()
        } else {
            format!(
                "no latency event over {} ms since the server started or LATENCY RESET",
                lat.and_then(|l| l.threshold_ms).map(count).unwrap_or_else(|| "?".into())
            )
        };
        super::empty(f, events, cx, "latency events".into(), &msg, t.dim());
    } else {
        let sel = cx.selected(Pane::Latency);
        let range = super::window(all.len(), sel, events);
        let now_s = snap.taken_at_ms / 1000;
        let rows: Vec<Row> = all[range.clone()]
            .iter()
            .map(|e| {
                Row::new(vec![
                    sanitize::text(&e.event),
                    format!("{} ms", count(e.latest_ms)),
                    format!("{} ago", age(now_s.saturating_sub(e.latest_at) * 1000)),
                    format!("{} ms", count(e.max_ms)),
                ])
            })
            .collect();
        table(
            f,
            events,
            cx,
            format!(
                "latency events over {} ms (LATENCY LATEST) · sort: {}",
                lat.and_then(|l| l.threshold_ms).map(count).unwrap_or_else(|| "?".into()),
                SORTS[cx.sort(Pane::Latency)]
            ),
            &["EVENT", "LATEST", "WHEN", "MAX"],
            rows,
            &[
                Constraint::Fill(1),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Length(12),
            ],
            Some(sel.saturating_sub(range.start)),
        );
    }
    match lat.and_then(|l| l.history.as_ref()) {
        Some((event, points)) if !points.is_empty() => {
            let v: Vec<u64> = points.iter().map(|(_, ms)| *ms).collect();
            let (p50, max) = p50_max(&v);
            f.render_widget(
                Sparkline::default()
                    .data(&v)
                    .style(ratatui::style::Style::default().fg(t.sparkline))
                    .block(block(
                        cx,
                        format!(
                            "{} history (LATENCY HISTORY, {} points): p50 {} ms, max {} ms",
                            sanitize::text(event),
                            v.len(),
                            count(p50),
                            count(max)
                        ),
                        false,
                    )),
                hist,
            );
        }
        _ => f.render_widget(
            Paragraph::new(Line::styled("select an event to see its history", t.dim()))
                .block(block(cx, "event history".into(), false)),
            hist,
        ),
    }
    let us = cx.history.poll_us.tail(600);
    let (p50, max) = p50_max(&us);
    super::chart(
        f,
        rtt,
        cx,
        format!(
            "poll round trip (client side): last {:.1} ms · p50 {:.1} ms · max {:.1} ms (last 10m)",
            us.last().copied().unwrap_or(0) as f64 / 1000.0,
            p50 as f64 / 1000.0,
            max as f64 / 1000.0
        ),
        &cx.history.poll_us,
        ratatui::style::Style::default().fg(t.sparkline),
        false,
        false,
    );
    let new = cx.history.slowlog_new.tail(600);
    let minutes = (new.len() as f64 * cx.interval.as_secs_f64() / 60.0).max(1.0 / 60.0);
    let per_min = new.iter().sum::<u64>() as f64 / minutes;
    let threshold = snap
        .config
        .as_ref()
        .and_then(|c| c.slowlog_log_slower_than_us)
        .map(|u| format!("{} µs", count(u.max(0) as u64)))
        .unwrap_or_else(|| "?".into());
    f.render_widget(
        Paragraph::new(vec![Line::raw(format!(
            "{per_min:.1} slow commands per minute over the last {} (slower than {threshold}); {} kept by the server",
            age((minutes * 60_000.0) as u64),
            snap.slowlog.as_ref().map(|s| count(s.len)).unwrap_or_else(|| "?".into())
        ))])
        .block(block(cx, "slowlog rate".into(), false)),
        slow,
    );
}
