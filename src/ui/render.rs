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
use ratatui::widgets::{Block, Clear, Paragraph};

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
    draw_suggestions(f, body, app);
    if let Some(p) = &app.popup {
        let hint = if p.more.is_some() {
            "L whole entry · "
        } else {
            ""
        };
        draw_popup(f, app, &p.title, &p.lines, p.scroll, hint);
    }
    if let Some(c) = &app.confirm {
        let mut lines = vec![sanitize::text(&c.op.describe())];
        if let Some(scope) = &c.scope {
            lines.push(format!("which: {}", sanitize::text(scope)));
        }
        lines.push(String::new());
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
            app.help_scroll,
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
            attempt,
            cause: Cause::Refused,
            ..
        } => Span::styled(
            format!(" REFUSED (login or permission) · retrying, attempt {attempt} "),
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

/// Width kept for the alert counts at the right of the tab bar, whether or
/// not there are alerts: the tabs never move when alerts come and go.
const BADGE_W: u16 = 10;

fn draw_tabs(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let crit = app
        .alerts
        .iter()
        .filter(|a| a.level == crate::model::alerts::Level::Crit)
        .count();
    let warn = app.alerts.len() - crit;
    let n = |c: usize| {
        if c > 99 {
            "99+".to_string()
        } else {
            c.to_string()
        }
    };
    let mut badges = Vec::new();
    if crit > 0 {
        badges.push(Span::styled(format!("▲{}", n(crit)), t.crit()));
    }
    if warn > 0 {
        if !badges.is_empty() {
            badges.push(Span::raw(" "));
        }
        badges.push(Span::styled(format!("△{}", n(warn)), t.warn()));
    }
    let badge_w = BADGE_W.min(area.width / 4);
    let [tabs, alerts] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(badge_w)]).areas(area);
    let mut labels = tab_labels(app.mode(), tabs.width as usize);
    // Numbers only: the open pane's title in a slot of its own after them
    // (as wide as the longest title), so nothing moves.
    let numbers_only = labels
        .iter()
        .all(|(p, l)| l.trim() == p.number().to_string());
    let [tabs, name] = if numbers_only {
        let slot = Pane::ALL.iter().map(|p| p.title().len()).max().unwrap_or(0) as u16 + 2;
        labels = tab_labels(app.mode(), tabs.width.saturating_sub(slot) as usize);
        let used: usize = labels.iter().map(|(_, l)| l.chars().count()).sum();
        let [numbers, name, _] = Layout::horizontal([
            Constraint::Length(used as u16),
            Constraint::Length(slot),
            Constraint::Fill(1),
        ])
        .areas(tabs);
        [numbers, name]
    } else {
        [tabs, Rect::default()]
    };
    if numbers_only {
        f.render_widget(
            Paragraph::new(Span::styled(format!("  {}", app.pane.title()), t.title())),
            name,
        );
    }
    let spans: Vec<Span> = labels
        .into_iter()
        .map(|(p, label)| {
            let style = if p == app.pane { t.selected() } else { t.dim() };
            Span::styled(label, style)
        })
        .collect();
    f.render_widget(Paragraph::new(Line::from(spans)), tabs);
    f.render_widget(
        Paragraph::new(Line::from(badges)).alignment(ratatui::layout::Alignment::Right),
        alerts,
    );
}

/// The tab bar's labels for a mode and a width: the panes that apply, full
/// titles if they fit, else short ones, else numbers. The same for every
/// open pane and alert count.
pub fn tab_labels(mode: crate::model::Mode, width: usize) -> Vec<(Pane, String)> {
    let shown = Pane::shown(mode);
    let label = |p: Pane, tier: usize| match tier {
        0 => format!(" {} {} ", p.number(), p.title()),
        1 => format!(" {} {} ", p.number(), p.short()),
        _ => format!(" {}", p.number()),
    };
    let tier = (0..3)
        .find(|t| {
            shown
                .iter()
                .map(|p| label(*p, *t).chars().count())
                .sum::<usize>()
                <= width
        })
        .unwrap_or(2);
    shown.into_iter().map(|p| (p, label(p, tier))).collect()
}

/// The palette's suggestions, above the footer while `:` is open.
fn draw_suggestions(f: &mut Frame, body: Rect, app: &App) {
    let Some(input) = app.input.as_ref().filter(|i| i.kind == InputKind::Command) else {
        return;
    };
    let list = crate::ui::palette::suggestions(&input.text, &app.profile.profiles);
    if list.is_empty() || body.height < 4 {
        return;
    }
    let fit = (body.height as usize - 2).min(10);
    let chosen = app.suggestion.unwrap_or(0);
    let start = chosen.saturating_sub(fit - 1);
    let w = body.width.min(100);
    let name_w = list
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let lines: Vec<Line> = list
        .iter()
        .enumerate()
        .skip(start)
        .take(fit)
        .map(|(i, c)| {
            let text = crate::format::cut(
                &format!(":{:<name_w$}{}", c.name, c.about),
                w.saturating_sub(2) as usize,
            );
            if app.suggestion == Some(i) {
                Line::styled(text, app.theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let h = lines.len() as u16 + 2;
    let area = Rect {
        x: body.x,
        y: body.y + body.height - h,
        width: w,
        height: h,
    };
    f.render_widget(Clear, area);
    let more = if list.len() > fit {
        format!(" {} more · ", list.len() - fit)
    } else {
        " ".into()
    };
    let block = Block::bordered()
        .border_style(app.theme.accent())
        .title(Span::styled(" commands ", app.theme.title()))
        .title_bottom(
            Line::from(Span::styled(
                format!("{more}Tab complete · ↑↓ choose · Enter run "),
                app.theme.dim(),
            ))
            .right_aligned(),
        );
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_footer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if app.chord {
        let mut spans = vec![Span::styled("0 then: ", t.accent())];
        for p in Pane::ALL.iter().filter(|p| p.number() >= 10) {
            spans.push(Span::raw(format!("{} {}  ", p.number() - 10, p.title())));
        }
        spans.push(Span::styled("(any other key cancels)", t.dim()));
        Line::from(spans)
    } else if let Some(input) = &app.input {
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
            "q quit  ? help  Tab/1-9/0+digit panes  Enter open  / filter  s sort  p pause  r refresh  +/- interval  : command",
            t.dim(),
        )];
        if app.in_fleet {
            spans.insert(0, Span::styled("F fleet  ", t.accent()));
        }
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
    let inner = (w.saturating_sub(2)).max(1) as usize;
    // Wrapped here, so scrolling counts the rows on screen and the last one
    // (often the question) is never cut.
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(l, inner)).collect();
    let h = (area.height.saturating_sub(4))
        .min(wrapped.len() as u16 + 2)
        .max(3);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let rows = (h as usize).saturating_sub(2).max(1);
    app.popup_rows.set((rows, wrapped.len()));
    let scroll = scroll.min(wrapped.len().saturating_sub(rows));
    let text: Vec<Line> = wrapped
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|l| Line::raw(l.clone()))
        .collect();
    let more = if wrapped.len() > rows {
        format!(
            " {}-{}/{} · j/k PgDn g/G scroll · {hint}Esc close ",
            scroll + 1,
            (scroll + rows).min(wrapped.len()),
            wrapped.len()
        )
    } else {
        format!(" {hint}Esc close ")
    };
    let block = Block::bordered()
        .title(Span::styled(format!(" {title} "), app.theme.title()))
        .title_bottom(Line::from(Span::styled(more, app.theme.dim())).right_aligned());
    f.render_widget(Paragraph::new(text).block(block), popup);
}

/// A line cut into rows of `width` characters at spaces (a word longer than
/// a row is cut); rows after the first of a `key         text` help line
/// start under its text.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = if line.chars().nth(12) == Some(' ') && !line.starts_with(' ') {
        13.min(width / 2)
    } else {
        0
    };
    let mut out = Vec::new();
    let mut row = String::new();
    let mut len = 0usize;
    let mut first = true;
    for word in line.split(' ') {
        let wl = word.chars().count();
        if !first && wl > 0 && len + 1 + wl > width {
            out.push(std::mem::take(&mut row));
            row = " ".repeat(indent);
            len = indent;
            first = true;
        }
        if !first {
            row.push(' ');
            len += 1;
        }
        first = false;
        let mut rest: Vec<char> = word.chars().collect();
        while !rest.is_empty() && len + rest.len() > width {
            let take = width.saturating_sub(len).clamp(1, rest.len());
            row.extend(rest.drain(..take));
            out.push(std::mem::take(&mut row));
            row = " ".repeat(indent);
            len = indent;
        }
        len += rest.len();
        row.extend(rest);
    }
    if !row.trim().is_empty() {
        out.push(row);
    }
    out
}
