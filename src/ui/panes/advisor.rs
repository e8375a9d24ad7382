//! Advisor: the server's settings against the document's recommendations
//! (memory, persistence, keepalive, timeouts, slowlog, clients, threads,
//! network exposure, ACL default user, dangerous commands), worst first;
//! `d`: MEMORY DOCTOR and LATENCY DOCTOR. Read while this pane is open.

pub use super::defaults::*;

use super::{Cx, CxMut, Key, Pane, cut, table};
use crate::collect::collector::Needs;
use crate::model::insight::{Advice, Severity};
use crate::sanitize;
use super::Effect;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub const TITLE: &str = "Advisor";
pub const SORTS: &[&str] = &["severity", "setting"];

pub const KEYS: &[Key] = &[
    Key {
        keys: "Enter i",
        help: "the row in full: value, recommendation and why",
        on: |k| matches!(k, KeyCode::Enter | KeyCode::Char('i')),
        run: Some(detail),
    },
    Key {
        keys: "d",
        help: "MEMORY DOCTOR and LATENCY DOCTOR, as the server says them",
        on: |k| k == KeyCode::Char('d'),
        run: Some(doctor),
    },
];

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a Advice> {
    let Some(a) = cx.snapshot().and_then(|s| s.advisor.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Advisor).to_lowercase();
    let mut rows: Vec<&Advice> = a
        .rows
        .iter()
        .filter(|r| {
            f.is_empty()
                || r.setting.to_lowercase().contains(&f)
                || r.why.to_lowercase().contains(&f)
        })
        .collect();
    if cx.sort(Pane::Advisor) == 0 {
        rows.sort_by_key(|r| std::cmp::Reverse(r.severity));
    } else {
        rows.sort_by(|a, b| a.setting.cmp(&b.setting));
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(_: &Cx, n: &mut Needs) {
    n.advisor = true;
}

fn word(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "ok",
        Severity::Info => "note",
        Severity::Warn => "WARN",
        Severity::Crit => "CRIT",
    }
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let all = list(cx);
    if all.is_empty() {
        let msg = super::problem(cx, crate::model::Section::Config)
            .or_else(|| super::problem(cx, crate::model::Section::Advisor))
            .unwrap_or_else(|| "reading the server's settings with the next poll…".into());
        super::empty(f, area, cx, "config advisor".into(), &msg, cx.theme.dim());
        return;
    }
    let sel = cx.selected(Pane::Advisor);
    let range = super::window(all.len(), sel, area);
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|r| {
            let style = match r.severity {
                Severity::Crit => cx.theme.crit(),
                Severity::Warn => cx.theme.warn(),
                Severity::Info => cx.theme.dim(),
                Severity::Ok => cx.theme.ok(),
            };
            Row::new(vec![
                word(r.severity).to_string(),
                cut(&r.setting, 26),
                cut(&sanitize::text(&r.value), 24),
                cut(&r.recommended, 30),
                r.why.clone(),
            ])
            .style(style)
        })
        .collect();
    let bad = all.iter().filter(|r| r.severity >= Severity::Warn).count();
    table(
        f,
        area,
        cx,
        format!(
            "config advisor · {bad} to look at · Enter: why · d: doctors · sort: {}",
            SORTS[cx.sort(Pane::Advisor)]
        ),
        &["", "SETTING", "VALUE", "RECOMMENDED", "WHY"],
        rows,
        &[
            Constraint::Length(5),
            Constraint::Length(26),
            Constraint::Length(24),
            Constraint::Length(30),
            Constraint::Fill(1),
        ],
        Some(sel.saturating_sub(range.start)),
    );
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(r) = list(&c).get(c.selected(Pane::Advisor)).copied().cloned() else {
        return vec![];
    };
    cx.popup = Some(crate::ui::detail::Popup {
        title: format!("advisor: {}", r.setting),
        lines: vec![
            format!("severity: {}", word(r.severity)),
            format!("value: {}", sanitize::text(&r.value)),
            format!("recommended: {}", r.recommended),
            format!("why: {}", r.why),
        ],
        ..Default::default()
    });
    vec![]
}

fn doctor(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(snap) = c.snapshot() else {
        return vec![];
    };
    let mut lines = vec!["MEMORY DOCTOR".to_string()];
    let text = |t: Option<&String>| match t {
        Some(t) => t.lines().map(sanitize::text).collect::<Vec<_>>(),
        None => vec!["(not read: not permitted, disabled, or not polled yet)".into()],
    };
    lines.extend(text(snap.advisor.as_ref().and_then(|a| a.memory_doctor.as_ref())));
    lines.push(String::new());
    lines.push("LATENCY DOCTOR".into());
    lines.extend(text(snap.latency.as_ref().and_then(|l| l.doctor.as_ref())));
    cx.popup = Some(crate::ui::detail::Popup {
        title: "the server's own doctors".into(),
        lines,
        ..Default::default()
    });
    vec![]
}
