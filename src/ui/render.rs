//! Drawing the whole screen from [`App`] state: pure, no I/O, no awaiting.

use crate::collect::collector::Cause;
use crate::format::{age, duration};
use crate::model::Mode;
use crate::sanitize;
use crate::ui::app::{App, ConnState, InputKind, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(f: &mut Frame, app: &App) {
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_header(f, header, app);
    draw_tabs(f, tabs, app);
    app.pane.draw(f, body, &app.cx());
    draw_footer(f, footer, app);
    if let Some(p) = &app.popup {
        let hint = if p.more.is_some() {
            "L whole entry · "
        } else {
            ""
        };
        draw_popup(f, app, &p.title, &p.lines, p.scroll, hint);
    }
    if let Some(c) = &app.confirm {
        let mut lines = vec![sanitize::text(&c.op.describe()), String::new()];
        lines.push(format!(
            "profile {} ({}) · {}",
            app.profile.name, app.profile.environment, app.profile.endpoint
        ));
        lines.push(String::new());
        if c.expect == "y" {
            lines.push("y: go ahead    n / Esc: cancel".into());
        } else {
            lines.push(format!(
                "Type the profile name ({}) and Enter to go ahead; Esc cancels:",
                c.expect
            ));
            lines.push(format!("> {}█", sanitize::text(&c.typed)));
        }
        draw_popup(f, app, "confirm write", &lines, 0, "");
    }
    if app.help {
        let lines = app.help_lines();
        draw_popup(
            f,
            app,
            &format!("keys — {}", app.pane.title()),
            &lines,
            0,
            "",
        );
    }
}

fn draw_header(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let band = t.header(app.profile.environment);
    let snap = app.snapshot();
    // Most important first: a narrow terminal cuts from the right.
    let mut spans = vec![Span::styled(
        format!(
            " {} · {} ",
            sanitize::text(&app.profile.name),
            app.profile.environment
        ),
        band,
    )];
    if app.profile.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            t.warn().add_modifier(Modifier::REVERSED),
        ));
    }
    if let Some(r) = &app.replay {
        spans.push(Span::styled(
            format!(
                " REPLAY {} ◂ ▸ {}/{}{} ",
                crate::time::clock(r.at_ms, r.last_ms.saturating_sub(r.first_ms) >= 86_400_000),
                r.frame + 1,
                r.frames,
                if r.speed > 0 {
                    format!(" ▶ {}x", r.speed)
                } else {
                    String::new()
                }
            ),
            t.warn().add_modifier(Modifier::REVERSED),
        ));
    } else if let Some(rec) = &app.recording {
        spans.push(match rec {
            Ok(_) => Span::styled(" ● REC ", t.crit()),
            Err(e) => Span::styled(
                format!(" REC FAILED: {} ", sanitize::text(e)),
                t.crit().add_modifier(Modifier::REVERSED),
            ),
        });
    }
    let state = match &app.conn {
        _ if app.replay.is_some() => Span::styled(
            format!(
                " recorded {} ",
                crate::time::clock(snap.map(|s| s.taken_at_ms).unwrap_or(0), true)
            ),
            t.dim(),
        ),
        ConnState::Connecting => Span::styled(" connecting… ", t.warn()),
        ConnState::Failed {
            attempt,
            cause: Cause::TunnelDown,
            ..
        } => Span::styled(
            format!(" tunnel down · reconnecting, attempt {attempt} "),
            t.crit(),
        ),
        ConnState::Failed {
            attempt, since_ms, ..
        } => Span::styled(
            format!(
                " STALE since {} · reconnecting, attempt {attempt} ",
                // The age of what is on screen, not of the failure.
                age(app
                    .data_age_ms()
                    .unwrap_or(app.now_ms.saturating_sub(*since_ms)))
            ),
            t.crit(),
        ),
        ConnState::Live if app.is_stale() => Span::styled(
            format!(" STALE since {} ", age(app.data_age_ms().unwrap_or(0))),
            t.crit(),
        ),
        ConnState::Live if app.is_late() && !app.paused => Span::styled(
            format!(
                " ◌ late · data {} old ",
                age(app.data_age_ms().unwrap_or(0))
            ),
            t.warn(),
        ),
        ConnState::Live if app.paused => Span::styled(" PAUSED ", t.warn()),
        ConnState::Live => Span::styled(" ● live ", t.ok()),
    };
    spans.push(state);
    if app.replay.is_none() {
        spans.push(Span::styled(
            format!("every {} ", duration(app.interval)),
            t.dim(),
        ));
    }
    let dep = snap.map(|s| &s.deployment);
    // A failover seen in the last minute is the first thing to know.
    if let Some(f) = dep
        .and_then(|d| d.failovers.as_ref())
        .and_then(|f| f.last())
        .filter(|f| app.now_ms.saturating_sub(f.at_ms) < 60_000)
    {
        spans.push(Span::styled(
            format!(
                " failover: {} → {} ",
                sanitize::text(&f.from),
                sanitize::text(&f.to)
            ),
            t.warn().add_modifier(Modifier::REVERSED),
        ));
    }
    // A cluster whose layout changed in the last minute.
    if let Some(c) = snap.and_then(|s| s.cluster.as_ref()).filter(|c| {
        c.topology_changed_at_ms
            .is_some_and(|t| app.now_ms.saturating_sub(t) < 60_000)
    }) {
        spans.push(Span::styled(
            format!(
                " topology changed: {} ",
                sanitize::text(&c.changed.join(" "))
            ),
            t.warn().add_modifier(Modifier::REVERSED),
        ));
    }
    if let Some(c) = snap.and_then(|s| s.cluster.as_ref())
        && c.state != "ok"
    {
        spans.push(Span::styled(
            format!(" CLUSTER {} ", sanitize::text(&c.state).to_uppercase()),
            t.crit().add_modifier(Modifier::REVERSED),
        ));
    }
    // Sentinel: the master polled now, not the profile's sentinel list.
    let shown = match dep {
        Some(d) if d.mode == Mode::Sentinel => format!(
            "{} @ {}",
            d.master_name.as_deref().unwrap_or("master"),
            d.master.as_deref().unwrap_or("?")
        ),
        Some(d) if d.mode == Mode::Cluster => {
            format!("cluster {}", d.master.as_deref().unwrap_or("?"))
        }
        _ => app.profile.endpoint.clone(),
    };
    spans.push(Span::raw(format!("{} ", sanitize::text(&shown))));
    if let Some(n) = &app.node_scope {
        spans.push(Span::styled(
            format!(" node {} ", sanitize::text(n)),
            t.warn().add_modifier(Modifier::REVERSED),
        ));
    }
    if let Some(tn) = dep.and_then(|d| d.tunnel.as_ref()) {
        spans.push(Span::styled(
            format!("via {} ", sanitize::text(&tn.via)),
            t.dim(),
        ));
    }
    if let Some(sv) = snap.and_then(|s| s.server.as_ref()) {
        spans.push(Span::styled(
            format!(
                "redis {} {} · up {} ",
                sanitize::text(&sv.version),
                sanitize::text(&sv.role),
                age(sv.uptime_seconds * 1000)
            ),
            t.dim(),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let crit = app
        .alerts
        .iter()
        .filter(|a| a.level == crate::model::alerts::Level::Crit)
        .count();
    let warn = app.alerts.len() - crit;
    let mut badges = Vec::new();
    if crit > 0 {
        badges.push(Span::styled(format!(" ▲{crit} "), t.crit()));
    }
    if warn > 0 {
        badges.push(Span::styled(format!(" △{warn} "), t.warn()));
    }
    let badge_w: usize = badges.iter().map(|s| s.width()).sum();
    // Too narrow for every title and the alert counts: the alerts win;
    // other panes' titles shrink to 4 letters, then to their numbers.
    let label = |i: usize, p: Pane, keep: Option<usize>| {
        let title: String = match keep {
            Some(n) if p != app.pane => p.title().chars().take(n).collect(),
            _ => p.title().to_string(),
        };
        if title.is_empty() {
            format!(" {} ", i + 1)
        } else {
            format!(" {} {title} ", i + 1)
        }
    };
    let width = |keep: Option<usize>| -> usize {
        Pane::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| label(i, *p, keep).chars().count())
            .sum()
    };
    let room = (area.width as usize).saturating_sub(badge_w);
    let keep = [None, Some(4), Some(3), Some(0)]
        .into_iter()
        .find(|k| width(*k) <= room)
        .unwrap_or(Some(0));
    let mut spans = Vec::new();
    for (i, p) in Pane::ALL.iter().enumerate() {
        let style = if *p == app.pane {
            t.selected()
        } else {
            t.dim()
        };
        spans.push(Span::styled(label(i, *p, keep), style));
    }
    spans.extend(badges);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if let Some(input) = &app.input {
        let prefix = match input.kind {
            InputKind::Filter => "/",
            InputKind::Command => ":",
            InputKind::Jump => "jump to (2026-11-26 02:15, 02:15, 40m ago): ",
        };
        Line::from(vec![
            Span::styled(prefix, t.accent()),
            Span::raw(sanitize::text(&input.text)),
            Span::styled("█", t.accent()),
        ])
    } else if let Some(b) = &app.busy {
        Line::from(Span::styled(
            format!("working: {}", sanitize::text(b)),
            t.warn(),
        ))
    } else if let Some(s) = &app.status {
        Line::from(Span::styled(sanitize::text(s), t.warn()))
    } else if let ConnState::Failed { error, .. } = &app.conn {
        Line::from(Span::styled(sanitize::text(error), t.crit()))
    } else {
        let filter = app.filter(app.pane);
        let mut spans = vec![Span::styled(
            format!(
                "q quit  ? help  Tab/1-{} panes  Enter open  / filter  s sort  p pause  r refresh  +/- interval  : command",
                crate::ui::app::Pane::COUNT
            ),
            t.dim(),
        )];
        if !filter.is_empty() {
            spans.insert(
                0,
                Span::styled(format!("filter: {}  ", sanitize::text(filter)), t.accent()),
            );
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_popup(f: &mut Frame, app: &App, title: &str, lines: &[String], scroll: usize, hint: &str) {
    let area = f.area();
    let w = (area.width.saturating_sub(4)).min(110);
    // Height of the wrapped text, so the last line (often the question) is never cut.
    let inner = (w.saturating_sub(2)).max(1) as usize;
    let wrapped: usize = lines
        .iter()
        .map(|l| l.chars().count().max(1).div_ceil(inner))
        .sum();
    let h = (area.height.saturating_sub(4))
        .min(wrapped as u16 + 2)
        .max(3);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let text: Vec<Line> = lines
        .iter()
        .skip(scroll)
        .take(h as usize)
        .map(|l| Line::raw(l.clone()))
        .collect();
    let more = if lines.len() > (h as usize).saturating_sub(2) {
        format!(
            " {}/{} · j/k scroll · {hint}Esc close ",
            scroll + 1,
            lines.len()
        )
    } else {
        format!(" {hint}Esc close ")
    };
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), app.theme.title()))
        .title_bottom(Line::from(Span::styled(more, app.theme.dim())).right_aligned());
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        popup,
    );
}
