//! Persistence: RDB (last save, its status and duration, changes since,
//! BGSAVE running, the `save` schedule), AOF (on/off, fsync policy, rewrite
//! running and its last status, sizes, buffer, delayed fsyncs) and the
//! latest fork time. Alerts: a failed save or AOF write, no save for longer
//! than `alerts.last_save_warn`.

pub use super::defaults::*;

use super::{Cx, Key, block};
use crate::format::{age, bytes, count};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const TITLE: &str = "Persistence";
pub const SORTS: &[&str] = &["-"];

pub const KEYS: &[Key] = &[];

pub fn draw(f: &mut Frame, area: Rect, cx: &Cx) {
    let Some(snap) = cx.snapshot() else {
        super::empty(f, area, cx, "persistence".into(), "waiting for the first poll…", cx.theme.dim());
        return;
    };
    let Some(p) = snap.persistence.as_ref() else {
        let msg = super::problem(cx, crate::model::Section::Info).unwrap_or_else(|| "INFO persistence was not read".into());
        super::empty(f, area, cx, "persistence".into(), &msg, cx.theme.dim());
        return;
    };
    let t = &cx.theme;
    let now_s = snap.taken_at_ms / 1000;
    let status = |s: &str| -> Span<'static> {
        if s == "ok" || s.is_empty() {
            Span::styled(sanitize::text(if s.is_empty() { "-" } else { s }), t.ok())
        } else {
            Span::styled(sanitize::text(s), t.crit())
        }
    };
    let kv = |k: &str, v: String| Line::from(vec![Span::styled(format!("  {k:<24}"), t.dim()), Span::raw(v)]);
    let took = |s: i64| if s < 0 { "-".to_string() } else { format!("{s} s") };
    let since_save = now_s.saturating_sub(p.rdb_last_save_time);
    let rdb_off = p.save.as_deref() == Some("");
    let stale_save = !rdb_off
        && p.rdb_changes_since_last_save > 0
        && since_save * 1000 > cx.thresholds.last_save_warn.as_millis() as u64;
    let mut lines = vec![
        Line::styled("RDB snapshots", t.title()),
        Line::from(vec![Span::styled(format!("  {:<24}", "last save"), t.dim()), Span::styled(
            format!("{} ago", age(since_save * 1000)),
            if stale_save { t.warn() } else { Style::default() },
        )]),
        Line::from(vec![Span::styled(format!("  {:<24}", "last BGSAVE status"), t.dim()), status(&p.rdb_last_bgsave_status)]),
        kv("last BGSAVE took", took(p.rdb_last_bgsave_time_sec)),
        kv("changes since last save", count(p.rdb_changes_since_last_save)),
        kv("BGSAVE in progress", if p.rdb_bgsave_in_progress { "yes".into() } else { "no".into() }),
        kv(
            "save schedule",
            match p.save.as_deref() {
                Some("") => "none (save \"\"): no RDB snapshots".into(),
                Some(s) => sanitize::text(s),
                None => "?".into(),
            },
        ),
        Line::raw(""),
        Line::styled("AOF", t.title()),
        kv("appendonly", if p.aof_enabled { "yes".into() } else { "no".into() }),
        kv("appendfsync", p.appendfsync.as_deref().map(sanitize::text).unwrap_or_else(|| "?".into())),
        Line::from(vec![Span::styled(format!("  {:<24}", "last write status"), t.dim()), status(&p.aof_last_write_status)]),
        Line::from(vec![Span::styled(format!("  {:<24}", "last rewrite status"), t.dim()), status(&p.aof_last_bgrewrite_status)]),
        kv("last rewrite took", took(p.aof_last_rewrite_time_sec)),
        kv("rewrite in progress", if p.aof_rewrite_in_progress { "yes".into() } else { "no".into() }),
        kv(
            "size (base)",
            if p.aof_enabled {
                format!("{} ({})", bytes(p.aof_current_size), bytes(p.aof_base_size))
            } else {
                "-".into()
            },
        ),
        kv("buffer", bytes(p.aof_buffer_length)),
        kv("delayed fsyncs", count(p.aof_delayed_fsync)),
        Line::raw(""),
        Line::styled("Fork", t.title()),
        kv("latest fork", format!("{:.1} ms", p.latest_fork_usec as f64 / 1000.0)),
    ];
    if p.loading {
        lines.insert(0, Line::styled("LOADING the dataset from disk", t.crit()));
    }
    if !p.aof_enabled && rdb_off {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "no persistence: neither AOF nor RDB snapshots; a restart loses everything",
            t.warn(),
        ));
    }
    f.render_widget(Paragraph::new(lines).block(block(cx, "persistence and backups".into(), false)), area);
}
