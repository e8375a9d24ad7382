//! Commands: a time-boxed MONITOR (5 s by default, at most 60 s) that stops
//! by itself: top commands, top key families, top clients. MONITOR costs
//! the server (it copies every command to us): on a production profile the
//! first `M` only warns, a second within 5 s starts it.

pub use super::defaults::*;

use super::{Cx, CxMut, Key, table};
use crate::collect::sampler;
use crate::config::Environment;
use crate::format::count;
use crate::model::insight::CommandSample;
use super::Effect;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Row;
use std::time::Duration;

pub const TITLE: &str = "Commands";
pub const SORTS: &[&str] = &["count"];

pub struct State {
    pub result: Option<CommandSample>,
    /// A sample is running: since (unix ms) and for how long.
    pub running: Option<(u64, Duration)>,
    /// Production: `M` pressed once at this time (a second press starts).
    pub armed_ms: Option<u64>,
    pub length: Duration,
}

impl Default for State {
    fn default() -> Self {
        State {
            result: None,
            running: None,
            armed_ms: None,
            length: sampler::DEFAULT,
        }
    }
}

pub const KEYS: &[Key] = &[
    Key {
        keys: "M",
        help: "sample with MONITOR for the chosen length, then stop (production: press twice)",
        on: |k| k == KeyCode::Char('M'),
        run: Some(start),
    },
    Key {
        keys: "< >",
        help: "shorter / longer sample (1 s to 60 s)",
        on: |k| matches!(k, KeyCode::Char('<' | '>')),
        run: Some(length),
    },
];

fn start(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let now = cx.now_ms;
    if cx.panes.commands.running.is_some() {
        cx.status = Some("a sample is running; it stops by itself".into());
        return vec![];
    }
    let len = cx.panes.commands.length;
    if cx.profile.environment == Environment::Production {
        let armed = cx
            .panes
            .commands
            .armed_ms
            .is_some_and(|t| now.saturating_sub(t) < 5_000);
        if !armed {
            cx.panes.commands.armed_ms = Some(now);
            cx.status = Some(format!(
                "MONITOR on production copies every command to redeye for {}s and can cut the server's throughput by half: press M again within 5 s to start",
                len.as_secs()
            ));
            return vec![];
        }
    }
    cx.panes.commands.armed_ms = None;
    cx.panes.commands.running = Some((now, len));
    cx.status = Some(format!("sampling with MONITOR for {}s…", len.as_secs()));
    vec![Effect::Sample(len)]
}

fn length(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let s = cx.panes.commands.length.as_secs();
    let next = match k {
        KeyCode::Char('<') => [1, 2, 5, 10, 20, 30].into_iter().rev().find(|v| *v < s).unwrap_or(1),
        _ => [2, 5, 10, 20, 30, 60].into_iter().find(|v| *v > s).unwrap_or(60),
    };
    cx.panes.commands.length = Duration::from_secs(next).min(sampler::MAX);
    cx.status = Some(format!("sample length {next}s"));
    vec![]
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let st = &cx.panes.commands;
    let t = &cx.theme;
    let Some(r) = &st.result else {
        let msg = match st.running {
            Some((since, len)) => format!(
                "sampling with MONITOR: {}s of {}s…",
                cx.now_ms.saturating_sub(since) / 1000,
                len.as_secs()
            ),
            None => format!(
                "M samples what the server is asked for {}s with MONITOR (< > change the length); it stops by itself. MONITOR costs the server: use it briefly on production.",
                st.length.as_secs()
            ),
        };
        super::empty(f, area, cx, "command sampler".into(), &msg, t.dim());
        return;
    };
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let [a, b, c] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(33),
        Constraint::Percentage(33),
    ])
    .areas(body);
    let rate = if r.seconds > 0.0 {
        r.total as f64 / r.seconds
    } else {
        0.0
    };
    let head = match (&r.error, st.running) {
        (_, Some(_)) => "sampling again…".to_string(),
        (Some(e), _) => format!("stopped early: {}", crate::sanitize::text(e)),
        (None, None) => format!(
            "{} commands in {:.1}s ({rate:.0}/s, redeye's own polls included) · M again",
            count(r.total),
            r.seconds
        ),
    };
    let rows = |v: &[(String, u64)]| -> Vec<Row> {
        v.iter()
            .map(|(k, n)| {
                Row::new(vec![
                    k.clone(),
                    count(*n),
                    format!("{:.0}%", *n as f64 * 100.0 / r.total.max(1) as f64),
                ])
            })
            .collect()
    };
    let widths = [Constraint::Fill(1), Constraint::Length(9), Constraint::Length(5)];
    f.render_widget(
        ratatui::widgets::Paragraph::new(ratatui::text::Line::styled(
            format!(" command sample · {head}"),
            t.title(),
        )),
        top,
    );
    table(f, a, cx, "commands".into(), &["COMMAND", "COUNT", "%"], rows(&r.commands), &widths, None);
    table(f, b, cx, "key families (first key)".into(), &["FAMILY", "COUNT", "%"], rows(&r.prefixes), &widths, None);
    table(f, c, cx, "clients".into(), &["CLIENT", "COUNT", "%"], rows(&r.clients), &widths, None);
}
