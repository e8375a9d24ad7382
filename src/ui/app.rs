//! The dashboard: the shared [`View`], the open pane, each pane's state and
//! list, and key dispatch. No I/O: keys become [`Effect`]s that the event
//! loop carries out, and rendering reads this state only.
//!
//! A key goes to, in order: the confirmation dialog, the input line, the
//! help, a popup, the open pane's key table, then the global key table.
//! Help is written from the same two tables.

use crate::collect::collector::{Cause, Needs};
use crate::model::Snapshot;
pub use crate::ui::detail::Popup;
use crate::ui::palette;
pub use crate::ui::panes::Effect;
pub use crate::ui::panes::Pane;
use crate::ui::panes::{self, Cx, CxMut, Key, States};
use crate::ui::theme::Theme;
pub use crate::ui::view::{ConnState, Input, InputKind, List, ProfileInfo, View};
pub use crate::ui::view::{Replay, ReplayMove};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

pub struct App {
    pub view: View,
    pub pane: Pane,
    pub panes: States,
    lists: [List; Pane::COUNT],
}

impl std::ops::Deref for App {
    type Target = View;
    fn deref(&self) -> &View {
        &self.view
    }
}

impl std::ops::DerefMut for App {
    fn deref_mut(&mut self) -> &mut View {
        &mut self.view
    }
}

/// Keys every pane has.
pub const GLOBAL_KEYS: &[Key] = &[
    Key {
        keys: "q",
        help: "quit (Esc closes popups first)",
        on: |k| matches!(k, KeyCode::Char('q')),
        run: Some(|_, _| vec![Effect::Quit]),
    },
    Key {
        keys: "?",
        help: "this help",
        on: |k| matches!(k, KeyCode::Char('?')),
        run: Some(|cx, _| {
            cx.help = true;
            cx.help_scroll = 0;
            vec![]
        }),
    },
    Key {
        keys: "Tab S-Tab",
        help: "next / previous pane;  1-9 open panes 1-9;  0 then 0-5 open panes 10-15 (0 0 Keys … 0 5 Alerts)",
        on: |k| {
            matches!(
                k,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Char('0'..='9')
            )
        },
        run: Some(tab),
    },
    Key {
        keys: "j k ↓ ↑",
        help: "move;  PgDn PgUp page;  g G first / last",
        on: |k| {
            matches!(
                k,
                KeyCode::Down
                    | KeyCode::Up
                    | KeyCode::Char('j' | 'k' | 'g' | 'G')
                    | KeyCode::PageDown
                    | KeyCode::PageUp
                    | KeyCode::Home
                    | KeyCode::End
            )
        },
        run: Some(movement),
    },
    Key {
        keys: "Enter Esc",
        help: "drill in / open / zoom;  back",
        on: |k| matches!(k, KeyCode::Esc),
        run: Some(|cx, _| {
            let pane = *cx.pane;
            if !cx.list(pane).filter.is_empty() {
                cx.list(pane).filter.clear();
            } else if pane != Pane::Overview {
                cx.switch(Pane::Overview);
            }
            vec![]
        }),
    },
    Key {
        keys: "/",
        help: "filter (Esc clears)",
        on: |k| matches!(k, KeyCode::Char('/')),
        run: Some(|cx, _| {
            let text = cx.list(*cx.pane).filter.clone();
            cx.input = Some(Input {
                kind: InputKind::Filter,
                text,
            });
            vec![]
        }),
    },
    Key {
        keys: "s",
        help: "cycle the sort (the pane's help lists its orders)",
        on: |k| matches!(k, KeyCode::Char('s')),
        run: Some(|cx, _| {
            let pane = *cx.pane;
            let sorts = pane.sorts();
            if !sorts.is_empty() {
                let l = cx.list(pane);
                l.sort = (l.sort + 1) % sorts.len();
                let s = sorts[l.sort];
                cx.status = Some(format!("sorted by {s}"));
            }
            vec![]
        }),
    },
    Key {
        keys: "w",
        help: "chart window: 10m, 1h, 6h, 24h, 7d (history kept at 1 s, 10 s and 1 min)",
        on: |k| matches!(k, KeyCode::Char('w')),
        run: Some(|cx, _| {
            cx.window = (cx.window + 1) % crate::model::series::WINDOWS.len();
            cx.status = Some(format!(
                "charts show the last {}",
                crate::model::series::WINDOWS[cx.window].0
            ));
            vec![]
        }),
    },
    Key {
        keys: "p",
        help: "pause polling",
        on: |k| matches!(k, KeyCode::Char('p')),
        run: Some(|cx, _| {
            cx.paused = !cx.paused;
            vec![Effect::Pause(cx.paused)]
        }),
    },
    Key {
        keys: "I",
        help: "connection: mode, master, SSH tunnel and its forwards (also i where a pane has no i)",
        on: |k| matches!(k, KeyCode::Char('I' | 'i')),
        run: Some(|cx, _| {
            cx.popup = Some(crate::ui::detail::connection(
                cx.snapshot().map(|s| s.as_ref()),
                &cx.profile.endpoint,
                cx.now_ms,
            ));
            vec![]
        }),
    },
    Key {
        keys: "r",
        help: "refresh now",
        on: |k| matches!(k, KeyCode::Char('r')),
        run: Some(|_, _| vec![Effect::Refresh]),
    },
    Key {
        keys: "+ -",
        help: "refresh interval longer / shorter",
        on: |k| matches!(k, KeyCode::Char('+' | '=' | '-')),
        run: Some(|cx, k| {
            let d = if k == KeyCode::Char('-') {
                cx.interval / 2
            } else {
                cx.interval.saturating_mul(2)
            };
            let d = d.clamp(Duration::from_millis(250), Duration::from_secs(60));
            cx.interval = d;
            cx.status = Some(format!("refresh every {}", humantime::format_duration(d)));
            vec![Effect::Interval(d)]
        }),
    },
    Key {
        keys: ":",
        help: "command palette: a pane by name, :profile NAME, :requeue-all, :help, :q (Tab completes)",
        on: |k| matches!(k, KeyCode::Char(':')),
        run: Some(|cx, _| {
            cx.input = Some(Input {
                kind: InputKind::Command,
                text: String::new(),
            });
            vec![]
        }),
    },
    Key {
        keys: "c a R D A x P",
        help: "writes: in the Pending and DLQ panes (see their help)",
        on: |k| matches!(k, KeyCode::Char('c' | 'a' | 'R' | 'D' | 'A' | 'x' | 'P')),
        run: Some(|cx, _| {
            cx.status = Some(format!(
                "write keys work in the {} and {} panes",
                Pane::Pending.named(),
                Pane::Dlq.named()
            ));
            vec![]
        }),
    },
];

fn tab(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let mode = cx.mode();
    let shown = Pane::shown(mode);
    let i = shown.iter().position(|p| p == cx.pane).unwrap_or(0);
    let n = shown.len();
    let to = match k {
        KeyCode::Tab => Some(shown[(i + 1) % n]),
        KeyCode::BackTab => Some(shown[(i + n - 1) % n]),
        // `0`: the next key chooses among panes 10-15 (no timing).
        KeyCode::Char('0') => {
            cx.chord = true;
            None
        }
        KeyCode::Char(c) => c
            .to_digit(10)
            .and_then(|d| Pane::ALL.get(d as usize - 1).copied()),
        _ => None,
    };
    if let Some(p) = to {
        open_pane(cx, p);
    }
    vec![]
}

/// Open a pane by its key, or say why it has nothing to show here.
fn open_pane(cx: &mut CxMut, p: Pane) {
    let mode = cx.mode();
    if p.applies(mode) {
        cx.switch(p);
    } else {
        cx.status = Some(format!(
            "{} does not apply to a {} deployment",
            p.named(),
            mode.as_str()
        ));
    }
}

/// A scroll position after a scrolling key, between 0 and `last`.
fn scrolled(at: usize, code: KeyCode, last: usize) -> usize {
    let at = at.min(last);
    match code {
        KeyCode::Down | KeyCode::Char('j') => at.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => at.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => at.saturating_add(10),
        KeyCode::PageUp => at.saturating_sub(10),
        KeyCode::Char('g') | KeyCode::Home => 0,
        KeyCode::Char('G') | KeyCode::End => last,
        _ => at,
    }
    .min(last)
}

fn movement(cx: &mut CxMut, k: KeyCode) -> Vec<Effect> {
    let delta = match k {
        KeyCode::Down | KeyCode::Char('j') => 1,
        KeyCode::Up | KeyCode::Char('k') => -1,
        KeyCode::PageDown => 10,
        KeyCode::PageUp => -10,
        KeyCode::Home | KeyCode::Char('g') => isize::MIN / 2,
        _ => isize::MAX / 2,
    };
    cx.move_sel(delta);
    vec![]
}

impl App {
    pub fn new(profile: ProfileInfo, theme: Theme, interval: Duration) -> Self {
        App {
            view: View::new(profile, theme, interval),
            pane: Pane::Overview,
            panes: States::default(),
            lists: Default::default(),
        }
    }

    /// What the panes read.
    pub fn cx(&self) -> Cx<'_> {
        Cx {
            view: &self.view,
            panes: &self.panes,
            lists: &self.lists,
            pane: self.pane,
        }
    }

    fn cx_mut(&mut self) -> CxMut<'_> {
        CxMut {
            view: &mut self.view,
            panes: &mut self.panes,
            lists: &mut self.lists,
            pane: &mut self.pane,
        }
    }

    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) {
        self.view.history.push(snap.clone());
        let raw =
            crate::model::alerts::evaluate(&snap, &self.view.history.rates, &self.view.thresholds);
        self.view.alerts = self.view.hysteresis.apply(raw);
        self.view.log.update(snap.taken_at_ms, &self.view.alerts);
        self.view.conn = ConnState::Live;
        let mut cx = self.cx_mut();
        panes::slowlog::on_snapshot(&mut cx);
        panes::streams::on_snapshot(&mut cx);
        panes::pending::on_snapshot(&mut cx);
        cx.clamp();
    }

    /// The dashboard's app for a profile: its header facts, refresh and
    /// alert thresholds.
    pub fn for_profile(p: &crate::config::Profile, theme: Theme) -> App {
        let mut app = App::new(ProfileInfo::of(p), theme, p.refresh);
        app.thresholds = p.alerts.clone();
        app
    }

    /// Replay: show the recording up to its frame `frames.last()`, with the
    /// frames before it as history (the charts' window, sampled).
    pub fn replay_show(&mut self, frames: Vec<crate::record::Frame>) {
        self.view.history = Default::default();
        self.replay_push(frames);
        let mut cx = self.cx_mut();
        cx.clamp();
    }

    /// Replay: frames after the one on screen (playing, or one step on).
    pub fn replay_push(&mut self, frames: Vec<crate::record::Frame>) {
        for f in frames {
            let at = f.snapshot.taken_at_ms;
            self.view.history.push(std::sync::Arc::new(f.snapshot));
            // What was on screen then: the alerts and the log as recorded.
            self.view.alerts = f.alerts;
            self.view.log = f.log;
            self.view.conn = ConnState::Live;
            self.view.now_ms = at;
            if let Some(r) = &mut self.view.replay {
                r.at_ms = at;
            }
        }
    }

    /// The server's count for a write (select-all, autoclaim,
    /// requeue-all): confirm it, or say why not.
    pub fn on_resolved(&mut self, r: Result<crate::ui::write::Resolved, String>) {
        match r {
            Ok(r) => {
                self.view.status = None;
                self.view.ask_confirm_scoped(r.op, Some(r.scope));
            }
            Err(e) => self.view.status = Some(crate::sanitize::text(&e)),
        }
    }

    /// A command sample finished.
    pub fn on_sample(&mut self, sample: crate::model::insight::CommandSample) {
        let c = &mut self.panes.commands;
        c.running = None;
        self.view.status = Some(match &sample.error {
            Some(e) => format!("the sample stopped: {}", crate::sanitize::text(e)),
            None => format!(
                "sampled {} commands in {:.1}s (Commands pane)",
                sample.total, sample.seconds
            ),
        });
        c.result = Some(sample);
    }

    pub fn on_failure(&mut self, error: String, attempt: u32, cause: Cause) {
        let since_ms = match &self.conn {
            ConnState::Failed { since_ms, .. } => *since_ms,
            _ => {
                // A new failure outranks an old status line (e.g. "switched
                // to profile", which would otherwise hide why it is stale).
                self.view.status = None;
                self.now_ms
            }
        };
        self.view.conn = ConnState::Failed {
            error,
            attempt,
            since_ms,
            cause,
        };
    }

    pub fn selected(&self, pane: Pane) -> usize {
        self.cx().selected(pane)
    }

    pub fn filter(&self, pane: Pane) -> &str {
        self.cx().filter(pane)
    }

    pub fn sort(&self, pane: Pane) -> usize {
        self.cx().sort(pane)
    }

    /// Rows the open list of `pane` shows.
    pub fn rows(&self, pane: Pane) -> usize {
        pane.rows(&self.cx())
    }

    /// What the collector should fetch for the open pane.
    pub fn needs(&self) -> Needs {
        let mut n = Needs::default();
        self.pane.needs(&self.cx(), &mut n);
        n
    }

    /// The help of the open pane: its own keys (writes first) and legend,
    /// then the keys of every pane, the tab bar and the commands.
    pub fn help_lines(&self) -> Vec<String> {
        let mut l = Vec::new();
        if self.view.replay.is_some() {
            l.push("— replay —".into());
            l.extend(REPLAY_KEYS.iter().map(|(k, h)| format!("{k:<12} {h}")));
            l.push(String::new());
        }
        if self.view.in_fleet {
            l.push(format!(
                "{:<12} back to the fleet (this environment keeps polling)",
                "F"
            ));
            l.push(String::new());
        }
        let pane = self.pane;
        let own = pane.keys();
        let sorts = pane.sorts();
        if !own.is_empty() || !sorts.is_empty() {
            l.push(format!("— {} ({}) —", pane.title(), pane.key_text()));
            l.extend(panes::help(own));
            if !sorts.is_empty() {
                l.push(format!("{:<12} sort: {}", "s", sorts.join(", ")));
            }
            l.push(String::new());
        }
        let legend = pane.legend();
        if !legend.is_empty() {
            l.push("— what it shows —".into());
            l.extend(legend.iter().map(|(k, h)| format!("{k:<12} {h}")));
            l.push(String::new());
        }
        l.push("— every pane —".into());
        l.extend(panes::help(GLOBAL_KEYS));
        l.push(String::new());
        l.push("— tab bar —".into());
        l.push(format!(
            "{:<12} critical alerts (the {} pane lists them)",
            "▲n",
            Pane::Alerts.named()
        ));
        l.push(format!("{:<12} warnings", "△n"));
        l.push(format!(
            "{:<12} panes that cannot apply here (Sentinel off Sentinel, Nodes off a cluster) are left out; the others keep their numbers",
            "hidden"
        ));
        l.push(String::new());
        l.push("— commands (:, Tab completes) —".into());
        l.extend(
            palette::commands(&self.view.profile.profiles)
                .iter()
                .filter(|c| !c.hidden)
                .map(|c| format!(":{:<11} {}", c.name, c.about)),
        );
        l
    }

    /// The help's scroll after a key (it stops at its last screen).
    fn help_key(&mut self, code: KeyCode) {
        let (rows, total) = self.view.popup_rows.get();
        let (rows, total) = if total == 0 {
            (0, usize::MAX)
        } else {
            (rows, total)
        };
        let last = total.saturating_sub(rows);
        let s = &mut self.view.help_scroll;
        match code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => {
                self.view.help = false;
                *s = 0;
                self.view.popup_rows.set((0, 0));
            }
            _ => *s = scrolled(*s, code, last),
        }
    }

    // ---- keys -----------------------------------------------------------------------

    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let effects = self.dispatch_key(key);
        self.navigate(effects)
    }

    /// Carry out the effects that move between panes (a pane asks for them
    /// and never calls into another pane); the rest go to the event loop.
    fn navigate(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut rest = Vec::with_capacity(effects.len());
        for e in effects {
            match e {
                Effect::Open(p) => self.cx_mut().switch(p),
                Effect::OpenGroup { stream, group } => {
                    panes::pending::open(&mut self.cx_mut(), stream, group)
                }
                other => rest.push(other),
            }
        }
        rest
    }

    fn dispatch_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return vec![Effect::Quit];
        }
        if self.confirm.is_some() {
            return self.confirm_key(key.code);
        }
        if self.input.is_some() {
            return self.input_key(key.code);
        }
        if std::mem::take(&mut self.view.chord) {
            if let KeyCode::Char(c @ '0'..='9') = key.code
                && let Some(p) = Pane::ALL.get(10 + c as usize - '0' as usize - 1)
            {
                open_pane(&mut self.cx_mut(), *p);
            }
            return vec![];
        }
        if self.help {
            self.help_key(key.code);
            return vec![];
        }
        let (rows, total) = self.view.popup_rows.get();
        if let Some(p) = &mut self.view.popup {
            // Not drawn yet: no bound here (drawing clamps).
            let (rows, total) = if total == 0 {
                (0, usize::MAX)
            } else {
                (rows, total)
            };
            let last = total.saturating_sub(rows);
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {
                    self.view.popup = None;
                    self.view.popup_rows.set((0, 0));
                }
                // The whole entry (it is in memory already; 64 KiB of each
                // value were shown).
                KeyCode::Char('L') => {
                    if let Some(e) = p.more.take() {
                        let title = std::mem::take(&mut p.title);
                        *p = crate::ui::detail::entry_whole("", &e);
                        p.title = title;
                        self.view.popup_rows.set((0, 0));
                    }
                }
                code => p.scroll = scrolled(p.scroll, code, last),
            }
            return vec![];
        }
        // Replay: its keys come before the pane's ([ ] and space too).
        if self.view.replay.is_some()
            && let Some(e) = replay_key(&mut self.view, key.code)
        {
            return e;
        }
        let pane_keys = self.pane.keys();
        for k in pane_keys.iter().chain(GLOBAL_KEYS) {
            if let Some(run) = k.run
                && (k.on)(key.code)
            {
                let mut cx = self.cx_mut();
                return run(&mut cx, key.code);
            }
        }
        vec![]
    }

    fn confirm_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(c) = &mut self.view.confirm else {
            return vec![];
        };
        let simple = c.expect == "y";
        match code {
            KeyCode::Esc => {
                self.view.confirm = None;
                self.view.status = Some("cancelled; nothing was changed".into());
            }
            KeyCode::Backspace => {
                c.typed.pop();
            }
            KeyCode::Enter if !simple => {
                if c.typed == c.expect {
                    return self.start_write();
                }
                let msg = format!("type {} exactly to confirm, or Esc", c.expect);
                self.view.status = Some(msg);
            }
            KeyCode::Char('y') if simple => return self.start_write(),
            KeyCode::Char('n') if simple => {
                self.view.confirm = None;
                self.view.status = Some("cancelled; nothing was changed".into());
            }
            KeyCode::Char(ch) if !simple => c.typed.push(ch),
            _ => {}
        }
        vec![]
    }

    fn input_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let pane = self.pane;
        let Some(input) = &mut self.view.input else {
            return vec![];
        };
        let filter = input.kind == InputKind::Filter;
        match code {
            KeyCode::Esc => {
                if filter {
                    self.lists[pane.index()].filter.clear();
                }
                self.view.input = None;
                self.view.suggestion = None;
                vec![]
            }
            KeyCode::Tab if input.kind == InputKind::Command => {
                let (text, chosen) = palette::complete(
                    &input.text,
                    self.view.suggestion,
                    &self.view.profile.profiles,
                );
                input.text = text;
                self.view.suggestion = chosen;
                vec![]
            }
            KeyCode::Down | KeyCode::Up if input.kind == InputKind::Command => {
                let n = palette::suggestions(&input.text, &self.view.profile.profiles).len();
                if n > 0 {
                    let down = code == KeyCode::Down;
                    self.view.suggestion = Some(match self.view.suggestion {
                        None if down => 0,
                        None => n - 1,
                        Some(i) if down => (i + 1) % n,
                        Some(i) => (i + n - 1) % n,
                    });
                }
                vec![]
            }
            KeyCode::Enter => {
                let input = self.view.input.take().expect("input is open");
                let chosen = self.view.suggestion.take();
                match input.kind {
                    InputKind::Filter => vec![],
                    InputKind::Command => {
                        let text = match chosen {
                            Some(i) => {
                                palette::suggestions(&input.text, &self.view.profile.profiles)
                                    .get(i)
                                    .map(|c| c.name.clone())
                                    .unwrap_or(input.text)
                            }
                            None => input.text,
                        };
                        self.command(text.trim())
                    }
                    InputKind::Jump => {
                        let base = self
                            .view
                            .replay
                            .as_ref()
                            .map(|r| r.at_ms)
                            .unwrap_or(self.now_ms);
                        match crate::time::parse_when(&input.text, base) {
                            Some(ms) => vec![Effect::Replay(ReplayMove::Jump(ms))],
                            None => {
                                self.view.status = Some(format!(
                                    "`{}` is not a time: write 2026-11-26 02:15, 02:15 or 40m ago",
                                    crate::sanitize::text(&input.text)
                                ));
                                vec![]
                            }
                        }
                    }
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
                self.view.suggestion = None;
                if filter {
                    self.lists[pane.index()].filter = input.text.clone();
                }
                vec![]
            }
            KeyCode::Char(c) => {
                input.text.push(c);
                self.view.suggestion = None;
                if filter {
                    self.lists[pane.index()].filter = input.text.clone();
                    self.lists[pane.index()].selected = 0;
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn start_write(&mut self) -> Vec<Effect> {
        let Some(c) = self.view.confirm.take() else {
            return vec![];
        };
        self.view.busy = Some(c.op.describe());
        self.view.confirmed = c.op.total();
        self.view.status = Some("working…".into());
        vec![Effect::Write(c.op)]
    }

    /// The result of a write: its counts in the status line; marks cleared.
    pub fn on_write_done(&mut self, result: std::result::Result<crate::ops::Outcome, String>) {
        self.view.busy = None;
        self.view.marks.clear();
        self.view.select_all = false;
        let confirmed = self.view.confirmed.take();
        self.view.status = Some(match result {
            Ok(out) => {
                let done = out.done();
                let differs = match confirmed {
                    Some(n) if n != done && out.stopped.is_none() => format!(
                        " — confirmed {}, {} {}: entries changed between the count and the write (see the counts)",
                        crate::format::count(n),
                        crate::format::count(done.abs_diff(n)),
                        if done > n { "more" } else { "fewer" }
                    ),
                    _ => String::new(),
                };
                format!("{}{differs}", out.summary())
            }
            Err(e) => format!("write failed: {e}"),
        });
    }

    /// A message body fetched for the pending view.
    pub fn show_entry(
        &mut self,
        stream: &crate::model::Name,
        id: &str,
        entry: Option<crate::model::StreamEntry>,
    ) {
        self.view.popup = Some(match entry {
            Some(e) => crate::ui::detail::entry(&format!("{stream} {id}"), &e),
            None => Popup {
                title: format!("{stream} {id}"),
                lines: vec![
                    "This entry is no longer in the stream (trimmed, deleted or requeued).".into(),
                ],
                scroll: 0,
                more: None,
                live: None,
            },
        });
    }

    fn command(&mut self, cmd: &str) -> Vec<Effect> {
        let mut words = cmd.split_whitespace();
        let profiles = &self.view.profile.profiles;
        match (words.next(), words.next()) {
            (Some("q" | "quit"), _) => vec![Effect::Quit],
            (Some("profile"), Some(name)) => vec![Effect::SwitchProfile(name.to_string())],
            (Some("profile"), None) => {
                self.view.status = Some(if profiles.is_empty() {
                    "usage: :profile NAME (this session has no profile file)".into()
                } else {
                    format!("usage: :profile NAME; profiles: {}", profiles.join(", "))
                });
                vec![]
            }
            (Some("help"), _) => {
                let lines = palette::commands(profiles)
                    .into_iter()
                    .filter(|c| !c.hidden)
                    .map(|c| format!(":{:<12} {}", c.name, c.about))
                    .chain([
                        String::new(),
                        "Tab completes (again: the next suggestion), ↑ ↓ choose, Enter runs, Esc cancels; ? shows the keys".into(),
                    ])
                    .collect();
                self.view.popup = Some(Popup {
                    title: "commands (:)".into(),
                    lines,
                    scroll: 0,
                    more: None,
                    live: None,
                });
                vec![]
            }
            (Some("requeue-all"), _) => panes::dlq::requeue_all(&mut self.cx_mut()),
            (Some(p), _) if Pane::by_title(p).is_some() => {
                let pane = Pane::by_title(p).expect("found");
                open_pane(&mut self.cx_mut(), pane);
                vec![]
            }
            (Some(other), _) => {
                let near = palette::suggestions(other, profiles);
                self.view.status = Some(match near.first() {
                    Some(c) => format!(
                        "unknown command :{}; did you mean :{}? (:help lists them, Tab completes)",
                        crate::sanitize::text(other),
                        c.name
                    ),
                    None => format!(
                        "unknown command :{}; :help lists them (Tab completes)",
                        crate::sanitize::text(other)
                    ),
                });
                vec![]
            }
            (None, _) => vec![],
        }
    }
}

/// Replay keys: `t` / `T` one sample back / on, `[` / `]` one minute,
/// `{` / `}` ten minutes, `J` jump to a time, `space` play (1x, 10x, 60x).
pub const REPLAY_KEYS: &[(&str, &str)] = &[
    ("t T", "replay: one sample back / forward"),
    ("[ ]", "replay: one minute back / forward"),
    ("{ }", "replay: ten minutes back / forward"),
    (
        "J",
        "replay: jump to a time (2026-11-26 02:15, 02:15, 40m ago)",
    ),
    ("space", "replay: play at 1x, 10x, 60x, pause"),
];

fn replay_key(view: &mut View, code: KeyCode) -> Option<Vec<Effect>> {
    let m = match code {
        KeyCode::Char('t') => ReplayMove::Step(-1),
        KeyCode::Char('T') => ReplayMove::Step(1),
        KeyCode::Char('[') => ReplayMove::By(-60_000),
        KeyCode::Char(']') => ReplayMove::By(60_000),
        KeyCode::Char('{') => ReplayMove::By(-600_000),
        KeyCode::Char('}') => ReplayMove::By(600_000),
        KeyCode::Char(' ') => ReplayMove::Play,
        KeyCode::Char('J') => {
            view.input = Some(Input {
                kind: InputKind::Jump,
                text: String::new(),
            });
            return Some(vec![]);
        }
        _ => return None,
    };
    Some(vec![Effect::Replay(m)])
}
