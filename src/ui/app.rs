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
            vec![]
        }),
    },
    Key {
        keys: "Tab S-Tab",
        help: "next / previous pane;  1-9 jump to a pane, 0 to pane 10, two digits (1 then 1-5) within a second to 11-15",
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
        help: "command: :profile NAME, :<pane name>, :requeue-all, :q",
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
    let n = Pane::COUNT;
    let i = cx.pane.index();
    let to = match k {
        KeyCode::Tab => Some((i + 1) % n),
        KeyCode::BackTab => Some((i + n - 1) % n),
        KeyCode::Char(c) => c.to_digit(10).map(|d| {
            let d = d as usize;
            let now = cx.now_ms;
            // `1` then a digit within a second: the panes past 9.
            let after_one = matches!(cx.digit, Some((1, t)) if now.saturating_sub(t) < 1_000);
            if after_one && 10 + d <= n {
                cx.digit = None;
                10 + d - 1
            } else if d == 0 {
                cx.digit = None;
                9
            } else {
                cx.digit = Some((d, now));
                d - 1
            }
        }),
        _ => None,
    };
    if let Some(p) = to.and_then(|i| Pane::ALL.get(i)) {
        cx.switch(*p);
    }
    vec![]
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

    /// The help of the open pane: global keys, then the pane's.
    pub fn help_lines(&self) -> Vec<String> {
        let mut l = Vec::new();
        if self.view.replay.is_some() {
            l.extend(REPLAY_KEYS.iter().map(|(k, h)| format!("{k:<12} {h}")));
            l.push(String::new());
        }
        l.extend(panes::help(GLOBAL_KEYS));
        l.push(String::new());
        let sorts = self.pane.sorts();
        if !sorts.is_empty() {
            l.push(format!("{:<12} sort: {}", "s", sorts.join(", ")));
        }
        l.extend(panes::help(self.pane.keys()));
        l
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
        if self.help {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
            ) {
                self.view.help = false;
            }
            return vec![];
        }
        if let Some(p) = &mut self.view.popup {
            let last = p.lines.len().saturating_sub(1);
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => self.view.popup = None,
                KeyCode::Down | KeyCode::Char('j') => p.scroll = (p.scroll + 1).min(last),
                KeyCode::Up | KeyCode::Char('k') => p.scroll = p.scroll.saturating_sub(1),
                KeyCode::PageDown => p.scroll = (p.scroll + 10).min(last),
                KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
                KeyCode::Char('g') | KeyCode::Home => p.scroll = 0,
                KeyCode::Char('G') | KeyCode::End => p.scroll = last,
                // The whole entry (it is in memory already; 64 KiB of each
                // value were shown).
                KeyCode::Char('L') => {
                    if let Some(e) = p.more.take() {
                        let title = std::mem::take(&mut p.title);
                        *p = crate::ui::detail::entry_whole("", &e);
                        p.title = title;
                    }
                }
                _ => {}
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
                vec![]
            }
            KeyCode::Enter => {
                let input = self.view.input.take().expect("input is open");
                match input.kind {
                    InputKind::Filter => vec![],
                    InputKind::Command => self.command(input.text.trim()),
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
                if filter {
                    self.lists[pane.index()].filter = input.text.clone();
                }
                vec![]
            }
            KeyCode::Char(c) => {
                input.text.push(c);
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
        self.view.status = Some("working…".into());
        vec![Effect::Write(c.op)]
    }

    /// The result of a write: its counts in the status line; marks cleared.
    pub fn on_write_done(&mut self, result: std::result::Result<crate::ops::Outcome, String>) {
        self.view.busy = None;
        self.view.marks.clear();
        self.view.status = Some(match result {
            Ok(out) => out.summary(),
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
            },
        });
    }

    fn command(&mut self, cmd: &str) -> Vec<Effect> {
        let mut words = cmd.split_whitespace();
        match (words.next(), words.next()) {
            (Some("q" | "quit"), _) => vec![Effect::Quit],
            (Some("profile"), Some(name)) => vec![Effect::SwitchProfile(name.to_string())],
            (Some("profile"), None) => {
                self.view.status = Some("usage: :profile NAME".into());
                vec![]
            }
            (Some("requeue-all"), _) => {
                panes::dlq::requeue_all(&mut self.cx_mut());
                vec![]
            }
            (Some(p), _) if Pane::by_title(p).is_some() => {
                let pane = Pane::by_title(p).expect("found");
                self.cx_mut().switch(pane);
                vec![]
            }
            (Some(other), _) => {
                self.view.status = Some(format!(
                    "unknown command :{}; try :profile NAME, :streams, :q",
                    crate::sanitize::text(other)
                ));
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
