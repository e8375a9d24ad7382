//! Alerts: every alert raised and cleared this session (or, in a replay, up
//! to the cursor as recorded), with when it was raised and how long it
//! lasted: "when did lag start rising?" has an answer.

pub use super::defaults::*;

use super::{Cx, Key, Pane, cut, table};
use crate::format::age;
use crate::model::alerts::{Level, LogEntry};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub const TITLE: &str = "Alerts";
pub const SORTS: &[&str] = &["newest", "longest", "active first"];

pub const KEYS: &[Key] = &[];

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a LogEntry> {
    let f = cx.filter(Pane::Alerts).to_lowercase();
    let now = cx.now_ms;
    let mut rows: Vec<&LogEntry> = cx
        .log
        .entries
        .iter()
        .filter(|e| {
            f.is_empty()
                || e.subject.to_lowercase().contains(&f)
                || e.last.to_lowercase().contains(&f)
        })
        .collect();
    let lasted = |e: &LogEntry| e.cleared_ms.unwrap_or(now).saturating_sub(e.raised_ms);
    match cx.sort(Pane::Alerts) {
        1 => rows.sort_by_key(|e| std::cmp::Reverse(lasted(e))),
        2 => rows.sort_by_key(|e| e.cleared_ms.is_some()),
        _ => {}
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let all = list(cx);
    if all.is_empty() {
        super::empty(
            f,
            area,
            cx,
            "alert log".into(),
            "no alert raised yet (this session, or up to the replay's cursor)",
            cx.theme.dim(),
        );
        return;
    }
    let sel = cx.selected(Pane::Alerts);
    let range = super::window(all.len(), sel, area);
    let active = all.iter().filter(|e| e.cleared_ms.is_none()).count();
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|e| {
            let style = match (e.cleared_ms, e.level_now()) {
                (Some(_), _) => cx.theme.dim(),
                (None, Level::Crit) => cx.theme.crit(),
                (None, Level::Warn) => cx.theme.warn(),
            };
            let lasted = e.cleared_ms.unwrap_or(cx.now_ms).saturating_sub(e.raised_ms);
            Row::new(vec![
                level_word(e.level_now()).to_string(),
                cut(&sanitize::text(&e.subject), 30),
                crate::time::clock(e.raised_ms, false),
                match e.cleared_ms {
                    Some(c) => format!("{} (cleared {})", age(lasted), crate::time::clock(c, false)),
                    None => format!("{} and on", age(lasted)),
                },
                what(e),
            ])
            .style(style)
        })
        .collect();
    table(
        f,
        area,
        cx,
        format!(
            "alert log · {} active, {} in all · sort: {}",
            active,
            all.len(),
            SORTS[cx.sort(Pane::Alerts)]
        ),
        &["", "SUBJECT", "RAISED", "LASTED", "WHAT (raised → peak → latest · level changes)"],
        rows,
        &[
            Constraint::Length(5),
            Constraint::Length(30),
            Constraint::Length(9),
            Constraint::Length(28),
            Constraint::Fill(1),
        ],
        Some(sel.saturating_sub(range.start)),
    );
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Crit => "CRIT",
        Level::Warn => "WARN",
    }
}

/// `lag 1,500 → peak lag 12,000 → lag 2,000 · CRIT 02:14:05, WARN 02:20:10`:
/// the text when raised, at its peak and now, and every change of level.
pub fn what(e: &crate::model::alerts::LogEntry) -> String {
    let mut parts = vec![sanitize::text(&e.first)];
    let peak = e.peak();
    if peak != e.first && peak != e.last {
        parts.push(format!("peak {}", sanitize::text(peak)));
    }
    if e.last != e.first {
        parts.push(sanitize::text(&e.last));
    }
    let mut text = parts.join(" → ");
    if !e.steps.is_empty() {
        let steps: Vec<String> = e
            .steps
            .iter()
            .map(|s| format!("{} {}", level_word(s.level), crate::time::clock(s.at_ms, false)))
            .collect();
        text.push_str(&format!(" · {}", steps.join(", ")));
    }
    text
}
