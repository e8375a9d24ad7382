//! Keys: key families (caches, idempotency keys, rate limits, sessions,
//! locks, and every other first segment): keys, share, memory, TTLs against
//! the expected TTL, flags; Enter: types and the biggest keys. Read by a
//! background SCAN bounded per poll that runs while this pane is open.

pub use super::defaults::*;

use super::{Cx, CxMut, Key, Pane, cut, table};
use crate::collect::collector::Needs;
use crate::format::{age, bytes, count};
use crate::model::insight::Family;
use super::Effect;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

pub const TITLE: &str = "Keys";
pub const SORTS: &[&str] = &["memory", "keys", "flagged", "prefix"];

pub const KEYS: &[Key] = &[
    Key {
        keys: "Enter i",
        help: "the family's types, TTLs and biggest keys",
        on: |k| matches!(k, KeyCode::Enter | KeyCode::Char('i')),
        run: Some(detail),
    },
    Key {
        keys: "",
        help: "the walk: SCAN 1,000 keys per poll while this pane is open; 20 of them sampled (TYPE, PTTL, MEMORY USAGE)",
        on: |_| false,
        run: None,
    },
];

pub fn list<'a>(cx: &'a Cx) -> Vec<&'a Family> {
    let Some(k) = cx.snapshot().and_then(|s| s.keys.as_ref()) else {
        return Vec::new();
    };
    let f = cx.filter(Pane::Keys).to_lowercase();
    let mut rows: Vec<&Family> = k
        .families
        .iter()
        .filter(|x| {
            f.is_empty()
                || x.prefix.to_lowercase().contains(&f)
                || x.kind.to_lowercase().contains(&f)
        })
        .collect();
    match cx.sort(Pane::Keys) {
        1 => rows.sort_by_key(|x| std::cmp::Reverse(x.estimated_keys)),
        2 => rows.sort_by_key(|x| (x.flag.is_none(), std::cmp::Reverse(x.estimated_bytes))),
        3 => rows.sort_by(|a, b| a.prefix.cmp(&b.prefix)),
        _ => {}
    }
    rows
}

pub fn rows(cx: &Cx) -> usize {
    list(cx).len()
}

pub fn needs(_: &Cx, n: &mut Needs) {
    n.keys = true;
}

fn ttl(ms: Option<u64>) -> String {
    ms.map(age).unwrap_or_else(|| "-".into())
}

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let Some(k) = cx.snapshot().and_then(|s| s.keys.as_ref()) else {
        let msg = super::problem(cx, crate::model::Section::Keys).unwrap_or_else(|| {
            "walking the keyspace: the first step comes with the next poll…".into()
        });
        super::empty(f, area, cx, "key families".into(), &msg, cx.theme.dim());
        return;
    };
    let progress = if k.complete {
        format!(
            "a full pass: {} keys, {} sampled",
            count(k.scanned),
            count(k.sampled)
        )
    } else {
        let pct = if k.dbsize > 0 {
            (k.scanned as f64 * 100.0 / k.dbsize as f64).min(100.0)
        } else {
            0.0
        };
        format!(
            "pass {pct:.0}%: {} of {} keys scanned, {} sampled; counts estimated",
            count(k.scanned),
            count(k.dbsize),
            count(k.sampled)
        )
    };
    let all = list(cx);
    let sel = cx.selected(Pane::Keys);
    let range = super::window(all.len(), sel, area);
    let wide = area.width >= 150;
    let narrow = area.width < 110;
    let rows: Vec<Row> = all[range.clone()]
        .iter()
        .map(|x| {
            let mut cells = vec![cut(&x.prefix, if narrow { 18 } else { 22 })];
            if !narrow {
                cells.push(cut(&x.kind, 18));
            }
            cells.extend([
                count(x.estimated_keys),
                format!("{:.1}%", x.share * 100.0),
                bytes(x.estimated_bytes),
                format!("{}/{}", count(x.no_ttl), count(x.sampled)),
                ttl(x.ttl_median_ms),
                ttl(x.expected_ttl_ms),
            ]);
            if wide {
                cells.push(cut(x.flag.as_deref().unwrap_or(""), 60));
            } else {
                cells.push(if x.flag.is_some() { "⚠".into() } else { String::new() });
            }
            let style = if x.flag.is_some() {
                cx.theme.warn()
            } else {
                ratatui::style::Style::default()
            };
            Row::new(cells).style(style)
        })
        .collect();
    let mut widths = vec![Constraint::Length(if narrow { 18 } else { 22 })];
    if !narrow {
        widths.push(Constraint::Length(18));
    }
    widths.extend([
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
    ]);
    widths.push(if wide {
        Constraint::Fill(1)
    } else {
        Constraint::Length(2)
    });
    let mut header = vec!["FAMILY"];
    if !narrow {
        header.push("KIND");
    }
    header.extend(["KEYS", "SHARE", "MEMORY", "NO TTL", "TTL p50", "EXPECTED"]);
    header.push(if wide { "FLAG" } else { "!" });
    table(
        f,
        area,
        cx,
        format!(
            "key families · {progress} · sort: {}",
            SORTS[cx.sort(Pane::Keys)]
        ),
        &header,
        rows,
        &widths,
        Some(sel.saturating_sub(range.start)),
    );
}

fn detail(cx: &mut CxMut, _: KeyCode) -> Vec<Effect> {
    let c = cx.cx();
    let Some(x) = list(&c).get(c.selected(Pane::Keys)).copied().cloned() else {
        return vec![];
    };
    let mut lines = vec![
        format!("family: {} ({})", x.prefix, x.kind),
        format!(
            "keys seen: {} (estimated in all: {}), {:.1}% of the keys seen",
            count(x.keys),
            count(x.estimated_keys),
            x.share * 100.0
        ),
        format!(
            "memory: {} sampled over {} keys; estimated {} in all",
            bytes(x.sampled_bytes),
            count(x.sampled),
            bytes(x.estimated_bytes)
        ),
        format!(
            "TTL: {} of {} sampled without one; {} expire within a minute; median {}, longest {}; expected {}",
            count(x.no_ttl),
            count(x.sampled),
            count(x.expiring_soon),
            ttl(x.ttl_median_ms),
            ttl(x.ttl_max_ms),
            ttl(x.expected_ttl_ms)
        ),
    ];
    if let Some(flag) = &x.flag {
        lines.push(format!("⚠ {flag}"));
    }
    lines.push(String::new());
    lines.push("types (sampled):".into());
    for (t, n) in &x.types {
        lines.push(format!("  {} {}", crate::sanitize::text(t), count(*n)));
    }
    lines.push(String::new());
    lines.push("biggest sampled keys:".into());
    for b in &x.biggest {
        lines.push(format!(
            "  {}  {}  {}  ttl {}",
            b.name,
            crate::sanitize::text(&b.kind),
            bytes(b.bytes),
            ttl(b.ttl_ms)
        ));
    }
    cx.popup = Some(crate::ui::detail::Popup {
        title: format!("key family {}", x.prefix),
        lines,
        ..Default::default()
    });
    vec![]
}
