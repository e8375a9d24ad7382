//! Dashboard state and key handling. No I/O: keys become [`Effect`]s that the
//! event loop carries out (talking to the collector), and rendering reads this
//! state only.

use crate::collect::collector::Needs;
use crate::config::{Environment, Profile};
use crate::model::alerts::{self, Alert, Thresholds};
use crate::model::history::History;
use crate::model::{PendingEntry, Snapshot, StreamEntry};
use crate::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Memory,
    Clients,
    Streams,
    Pending,
    Dlq,
    Slowlog,
}

impl Pane {
    pub const ALL: [Pane; 7] = [
        Pane::Overview,
        Pane::Memory,
        Pane::Clients,
        Pane::Streams,
        Pane::Pending,
        Pane::Dlq,
        Pane::Slowlog,
    ];

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Overview => "Overview",
            Pane::Memory => "Memory",
            Pane::Clients => "Clients",
            Pane::Streams => "Streams",
            Pane::Pending => "Pending",
            Pane::Dlq => "DLQ",
            Pane::Slowlog => "Slowlog",
        }
    }

    /// Sort orders a pane offers (`s` cycles).
    pub fn sorts(self) -> &'static [&'static str] {
        match self {
            Pane::Streams => &["backlog", "lag", "pending", "oldest pending", "name"],
            Pane::Clients => &["idle", "age", "output buffer", "name"],
            Pane::Pending => &["id", "idle", "deliveries", "consumer"],
            Pane::Slowlog => &["newest", "duration"],
            _ => &[],
        }
    }
}

/// Connection state as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    Connecting,
    Live,
    Failed {
        error: String,
        attempt: u32,
        since_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Popup {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    Refresh,
    Pause(bool),
    Interval(Duration),
    SwitchProfile(String),
    FetchEntry {
        stream: String,
        id: String,
    },
    /// A confirmed write, to run in the background.
    Write(crate::ui::write::WriteOp),
}

/// The header's fixed facts about the profile.
#[derive(Debug, Clone)]
pub struct ProfileInfo {
    pub name: String,
    pub environment: Environment,
    pub endpoint: String,
    pub read_only: bool,
    pub claim_min_idle: Duration,
    pub max_retries: u64,
    pub dlq_ttl: Duration,
}

impl ProfileInfo {
    pub fn of(p: &Profile) -> Self {
        ProfileInfo {
            name: p.name.clone(),
            environment: p.environment,
            endpoint: p.target.describe(),
            read_only: p.read_only,
            claim_min_idle: p.streams.claim_min_idle,
            max_retries: p.streams.dlq.max_retries,
            dlq_ttl: p.streams.dlq.ttl,
        }
    }
}

/// One row of the streams table: a stream × group (or a stream without groups).
#[derive(Debug, Clone)]
pub struct StreamRow {
    pub stream: usize,
    pub group: Option<usize>,
}

pub struct App {
    pub profile: ProfileInfo,
    pub theme: Theme,
    pub pane: Pane,
    pub history: History,
    pub alerts: Vec<Alert>,
    pub thresholds: Thresholds,
    pub conn: ConnState,
    /// Wall clock of the UI, set by the event loop (keeps rendering pure).
    pub now_ms: u64,
    pub paused: bool,
    pub interval: Duration,
    selected: [usize; 7],
    filters: [String; 7],
    sorts: [usize; 7],
    pub input: Option<Input>,
    pub popup: Option<Popup>,
    pub help: bool,
    /// Selected tile on the overview (Enter zooms it).
    pub tile: usize,
    /// The group whose pending view is open.
    pub drill: Option<(String, String)>,
    pub pending_after: Vec<String>,
    /// The DLQ stream shown in the DLQ pane, by name.
    pub dlq_stream: Option<String>,
    pub dlq_before: Vec<String>,
    pub status: Option<String>,
    /// Slowlog ids above this are new since the pane was last looked at.
    pub slowlog_seen: Option<u64>,
    /// Marked entry ids (space), for the pending view or the DLQ shown.
    pub marks: std::collections::BTreeSet<String>,
    pub confirm: Option<crate::ui::write::Confirm>,
    /// Consumer that claims go to.
    pub claim_consumer: String,
    /// A write is running: its description.
    pub busy: Option<String>,
}

pub const TILES: [(&str, Pane); 5] = [
    ("alerts & streams", Pane::Streams),
    ("ops", Pane::Overview),
    ("memory", Pane::Memory),
    ("clients", Pane::Clients),
    ("dlq & slowlog", Pane::Dlq),
];

impl App {
    pub fn new(profile: ProfileInfo, theme: Theme, interval: Duration) -> Self {
        let thresholds = Thresholds::defaults(profile.claim_min_idle);
        App {
            profile,
            theme,
            pane: Pane::Overview,
            history: History::default(),
            alerts: Vec::new(),
            thresholds,
            conn: ConnState::Connecting,
            now_ms: crate::time::now_ms(),
            paused: false,
            interval,
            selected: [0; 7],
            filters: Default::default(),
            sorts: [0; 7],
            input: None,
            popup: None,
            help: false,
            tile: 0,
            drill: None,
            pending_after: Vec::new(),
            dlq_stream: None,
            dlq_before: Vec::new(),
            status: None,
            slowlog_seen: None,
            marks: Default::default(),
            confirm: None,
            claim_consumer: format!("oncall-{}", crate::ops::audit::os_user()),
            busy: None,
        }
    }

    pub fn snapshot(&self) -> Option<&Arc<Snapshot>> {
        self.history.latest()
    }

    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) {
        self.history.push(snap.clone());
        self.alerts = alerts::evaluate(&snap, &self.history.rates, &self.thresholds);
        self.conn = ConnState::Live;
        if self.pane != Pane::Slowlog && self.slowlog_seen.is_none() {
            self.slowlog_seen = snap
                .slowlog
                .as_ref()
                .and_then(|s| s.entries.first())
                .map(|e| e.id);
        }
        self.clamp_selection();
    }

    pub fn on_failure(&mut self, error: String, attempt: u32) {
        let since_ms = match &self.conn {
            ConnState::Failed { since_ms, .. } => *since_ms,
            _ => self.now_ms,
        };
        self.conn = ConnState::Failed {
            error,
            attempt,
            since_ms,
        };
    }

    /// Age of the data on screen, in ms.
    pub fn data_age_ms(&self) -> Option<u64> {
        self.snapshot()
            .map(|s| self.now_ms.saturating_sub(s.taken_at_ms))
    }

    /// Stale: the connection failed, or no fresh data for three intervals.
    pub fn is_stale(&self) -> bool {
        matches!(self.conn, ConnState::Failed { .. })
            || (!self.paused
                && self
                    .data_age_ms()
                    .is_some_and(|a| a > 3 * self.interval.as_millis() as u64 + 1000))
    }

    pub fn selected(&self, pane: Pane) -> usize {
        self.selected[pane.index()]
    }

    pub fn filter(&self, pane: Pane) -> &str {
        &self.filters[pane.index()]
    }

    pub fn sort(&self, pane: Pane) -> usize {
        self.sorts[pane.index()]
    }

    /// What the collector should fetch for the open pane.
    pub fn needs(&self) -> Needs {
        Needs {
            client_list: self.pane == Pane::Clients,
            pending: match (&self.drill, self.pane) {
                (Some((s, g)), Pane::Pending) => Some((
                    s.clone(),
                    g.clone(),
                    self.pending_after
                        .last()
                        .cloned()
                        .unwrap_or_else(|| "-".into()),
                )),
                _ => None,
            },
            dlq: match (self.pane, self.current_dlq()) {
                (Pane::Dlq, Some(d)) => Some((
                    d,
                    self.dlq_before
                        .last()
                        .cloned()
                        .unwrap_or_else(|| "+".into()),
                )),
                _ => None,
            },
        }
    }

    // ---- rows, shared by rendering and key handling --------------------------------

    pub fn stream_rows(&self) -> Vec<StreamRow> {
        let Some(snap) = self.snapshot() else {
            return Vec::new();
        };
        let f = self.filter(Pane::Streams).to_lowercase();
        let mut rows = Vec::new();
        for (si, s) in snap.streams.iter().enumerate() {
            if s.groups.is_empty() {
                if f.is_empty() || s.name.to_lowercase().contains(&f) {
                    rows.push(StreamRow {
                        stream: si,
                        group: None,
                    });
                }
                continue;
            }
            for (gi, g) in s.groups.iter().enumerate() {
                if f.is_empty()
                    || s.name.to_lowercase().contains(&f)
                    || g.name.to_lowercase().contains(&f)
                {
                    rows.push(StreamRow {
                        stream: si,
                        group: Some(gi),
                    });
                }
            }
        }
        let key = |r: &StreamRow| -> (u64, u64, u64, u64) {
            let g = r.group.map(|gi| &snap.streams[r.stream].groups[gi]);
            let lag = g.and_then(|g| g.lag).unwrap_or(0);
            let pending = g.map(|g| g.pending).unwrap_or(0);
            let oldest = g.and_then(|g| g.oldest_pending_age_ms).unwrap_or(0);
            (lag + pending, lag, pending, oldest)
        };
        match self.sort(Pane::Streams) {
            0 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).0)),
            1 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).1)),
            2 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).2)),
            3 => rows.sort_by_key(|r| std::cmp::Reverse(key(r).3)),
            _ => rows.sort_by(|a, b| {
                let n = |r: &StreamRow| {
                    (
                        snap.streams[r.stream].name.clone(),
                        r.group
                            .map(|g| snap.streams[r.stream].groups[g].name.clone()),
                    )
                };
                n(a).cmp(&n(b))
            }),
        }
        rows
    }

    pub fn pending_rows(&self) -> Vec<&PendingEntry> {
        let Some(page) = self.snapshot().and_then(|s| s.pending_page.as_ref()) else {
            return Vec::new();
        };
        if self.drill.as_ref() != Some(&(page.stream.clone(), page.group.clone())) {
            return Vec::new();
        }
        let f = self.filter(Pane::Pending).to_lowercase();
        let mut rows: Vec<&PendingEntry> = page
            .entries
            .iter()
            .filter(|e| f.is_empty() || e.consumer.to_lowercase().contains(&f) || e.id.contains(&f))
            .collect();
        match self.sort(Pane::Pending) {
            1 => rows.sort_by_key(|e| std::cmp::Reverse(e.idle_ms)),
            2 => rows.sort_by_key(|e| std::cmp::Reverse(e.deliveries)),
            3 => rows.sort_by(|a, b| a.consumer.cmp(&b.consumer)),
            _ => {}
        }
        rows
    }

    /// DLQ streams known from the snapshot: (stream, dlq name, length).
    pub fn dlq_streams(&self) -> Vec<(String, String, u64)> {
        let Some(snap) = self.snapshot() else {
            return Vec::new();
        };
        snap.streams
            .iter()
            .filter_map(|s| {
                s.dlq
                    .as_ref()
                    .map(|d| (s.name.clone(), d.stream.clone(), d.length))
            })
            .collect()
    }

    pub fn current_dlq(&self) -> Option<String> {
        let list = self.dlq_streams();
        match &self.dlq_stream {
            Some(d) if list.iter().any(|(_, n, _)| n == d) => Some(d.clone()),
            _ => list
                .iter()
                .max_by_key(|(_, _, len)| *len)
                .map(|(_, n, _)| n.clone()),
        }
    }

    pub fn dlq_rows(&self) -> Vec<&StreamEntry> {
        let Some(page) = self.snapshot().and_then(|s| s.dlq_page.as_ref()) else {
            return Vec::new();
        };
        if Some(&page.stream) != self.current_dlq().as_ref() {
            return Vec::new();
        }
        let f = self.filter(Pane::Dlq).to_lowercase();
        page.entries
            .iter()
            .filter(|e| {
                f.is_empty()
                    || e.id.contains(&f)
                    || e.fields
                        .iter()
                        .any(|(_, v)| v.as_str_lossy().to_lowercase().contains(&f))
            })
            .collect()
    }

    pub fn slow_rows(&self) -> Vec<&crate::model::SlowEntry> {
        let Some(sl) = self.snapshot().and_then(|s| s.slowlog.as_ref()) else {
            return Vec::new();
        };
        let f = self.filter(Pane::Slowlog).to_lowercase();
        let mut rows: Vec<_> = sl
            .entries
            .iter()
            .filter(|e| {
                f.is_empty()
                    || e.args
                        .iter()
                        .any(|a| a.as_str_lossy().to_lowercase().contains(&f))
                    || e.client_name.to_lowercase().contains(&f)
            })
            .collect();
        if self.sort(Pane::Slowlog) == 1 {
            rows.sort_by_key(|e| std::cmp::Reverse(e.duration_us));
        }
        rows
    }

    pub fn client_rows(&self) -> Vec<&crate::model::ClientRow> {
        let Some(cl) = self.snapshot().and_then(|s| s.client_list.as_ref()) else {
            return Vec::new();
        };
        let f = self.filter(Pane::Clients).to_lowercase();
        let mut rows: Vec<_> = cl
            .rows
            .iter()
            .filter(|c| {
                f.is_empty()
                    || c.name.to_lowercase().contains(&f)
                    || c.addr.contains(&f)
                    || c.cmd.contains(&f)
                    || c.user.to_lowercase().contains(&f)
            })
            .collect();
        match self.sort(Pane::Clients) {
            0 => rows.sort_by_key(|c| std::cmp::Reverse(c.idle_s)),
            1 => rows.sort_by_key(|c| std::cmp::Reverse(c.age_s)),
            2 => rows.sort_by_key(|c| std::cmp::Reverse(c.omem)),
            _ => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        }
        rows
    }

    fn row_count(&self, pane: Pane) -> usize {
        match pane {
            Pane::Overview => TILES.len(),
            Pane::Streams => self.stream_rows().len(),
            Pane::Pending => self.pending_rows().len(),
            Pane::Dlq => self.dlq_rows().len(),
            Pane::Slowlog => self.slow_rows().len(),
            Pane::Clients => self.client_rows().len(),
            Pane::Memory => 0,
        }
    }

    fn clamp_selection(&mut self) {
        for p in Pane::ALL {
            let n = self.row_count(p);
            let i = p.index();
            if self.selected[i] >= n {
                self.selected[i] = n.saturating_sub(1);
            }
        }
    }

    fn move_sel(&mut self, delta: isize) {
        let n = self.row_count(self.pane);
        let i = self.pane.index();
        if n == 0 {
            self.selected[i] = 0;
            return;
        }
        let cur = self.selected[i] as isize;
        self.selected[i] = (cur + delta).clamp(0, n as isize - 1) as usize;
        if self.pane == Pane::Overview {
            self.tile = self.selected[i];
        }
    }

    fn switch(&mut self, pane: Pane) {
        if pane == Pane::Pending && self.drill.is_none() {
            // Open the worst group's pending view.
            if let Some(snap) = self.snapshot().cloned() {
                let rows = self.stream_rows();
                if let Some(r) = rows.iter().find(|r| r.group.is_some()) {
                    let s = &snap.streams[r.stream];
                    let g = &s.groups[r.group.unwrap_or(0)];
                    self.drill = Some((s.name.clone(), g.name.clone()));
                }
            }
        }
        if pane != self.pane {
            self.marks.clear();
        }
        if self.pane == Pane::Slowlog && pane != Pane::Slowlog {
            self.slowlog_seen = self
                .snapshot()
                .and_then(|s| s.slowlog.as_ref())
                .and_then(|s| s.entries.first())
                .map(|e| e.id);
        }
        self.pane = pane;
        self.status = None;
    }

    // ---- keys -----------------------------------------------------------------------

    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return vec![Effect::Quit];
        }
        if let Some(c) = &mut self.confirm {
            match key.code {
                KeyCode::Esc => {
                    self.confirm = None;
                    self.status = Some("cancelled; nothing was changed".into());
                }
                KeyCode::Backspace => {
                    c.typed.pop();
                }
                KeyCode::Enter if c.expect != "y" => {
                    if c.typed == c.expect {
                        let op = c.op.clone();
                        return self.start_write(op);
                    }
                    self.status = Some(format!("type {} exactly to confirm, or Esc", c.expect));
                }
                KeyCode::Char('y') if c.expect == "y" => {
                    let op = c.op.clone();
                    return self.start_write(op);
                }
                KeyCode::Char('n') if c.expect == "y" => {
                    self.confirm = None;
                    self.status = Some("cancelled; nothing was changed".into());
                }
                KeyCode::Char(ch) if c.expect != "y" => c.typed.push(ch),
                _ => {}
            }
            return vec![];
        }
        if let Some(input) = &mut self.input {
            return match key.code {
                KeyCode::Esc => {
                    if input.kind == InputKind::Filter {
                        self.filters[self.pane.index()].clear();
                    }
                    self.input = None;
                    vec![]
                }
                KeyCode::Enter => {
                    let input = self.input.take().expect("input is open");
                    match input.kind {
                        InputKind::Filter => vec![],
                        InputKind::Command => self.command(input.text.trim()),
                    }
                }
                KeyCode::Backspace => {
                    input.text.pop();
                    if input.kind == InputKind::Filter {
                        self.filters[self.pane.index()] = input.text.clone();
                    }
                    vec![]
                }
                KeyCode::Char(c) => {
                    input.text.push(c);
                    if input.kind == InputKind::Filter {
                        self.filters[self.pane.index()] = input.text.clone();
                        self.selected[self.pane.index()] = 0;
                    }
                    vec![]
                }
                _ => vec![],
            };
        }
        if self.help {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
            ) {
                self.help = false;
            }
            return vec![];
        }
        if let Some(p) = &mut self.popup {
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => self.popup = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    p.scroll = (p.scroll + 1).min(p.lines.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => p.scroll = p.scroll.saturating_sub(1),
                KeyCode::PageDown => {
                    p.scroll = (p.scroll + 10).min(p.lines.len().saturating_sub(1))
                }
                KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
                KeyCode::Char('g') | KeyCode::Home => p.scroll = 0,
                KeyCode::Char('G') | KeyCode::End => p.scroll = p.lines.len().saturating_sub(1),
                _ => {}
            }
            return vec![];
        }
        match key.code {
            KeyCode::Char('q') => return vec![Effect::Quit],
            KeyCode::Char('?') => self.help = true,
            KeyCode::Esc => {
                if !self.filters[self.pane.index()].is_empty() {
                    self.filters[self.pane.index()].clear();
                } else {
                    match self.pane {
                        Pane::Pending => self.switch(Pane::Streams),
                        Pane::Overview => {}
                        _ => self.switch(Pane::Overview),
                    }
                }
            }
            KeyCode::Tab => self.switch(Pane::ALL[(self.pane.index() + 1) % 7]),
            KeyCode::BackTab => self.switch(Pane::ALL[(self.pane.index() + 6) % 7]),
            KeyCode::Char(c @ '1'..='7') => self.switch(Pane::ALL[c as usize - '1' as usize]),
            KeyCode::Down | KeyCode::Char('j') => self.move_sel(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_sel(-1),
            KeyCode::PageDown => return self.page(1),
            KeyCode::PageUp => return self.page(-1),
            KeyCode::Home | KeyCode::Char('g') => self.move_sel(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_sel(isize::MAX / 2),
            KeyCode::Char('/') => {
                self.input = Some(Input {
                    kind: InputKind::Filter,
                    text: self.filters[self.pane.index()].clone(),
                })
            }
            KeyCode::Char(':') => {
                self.input = Some(Input {
                    kind: InputKind::Command,
                    text: String::new(),
                })
            }
            KeyCode::Char('s') => {
                let n = self.pane.sorts().len();
                if n > 0 {
                    let i = self.pane.index();
                    self.sorts[i] = (self.sorts[i] + 1) % n;
                    self.status = Some(format!("sorted by {}", self.pane.sorts()[self.sorts[i]]));
                }
            }
            KeyCode::Char('p') => {
                self.paused = !self.paused;
                return vec![Effect::Pause(self.paused)];
            }
            KeyCode::Char('r') => return vec![Effect::Refresh],
            KeyCode::Char('+') | KeyCode::Char('=') => {
                return self.set_interval(self.interval.saturating_mul(2));
            }
            KeyCode::Char('-') => return self.set_interval(self.interval / 2),
            KeyCode::Enter => return self.enter(),
            KeyCode::Char('i') => self.detail(),
            KeyCode::Char('[') if self.pane == Pane::Dlq => self.cycle_dlq(-1),
            KeyCode::Char(']') if self.pane == Pane::Dlq => self.cycle_dlq(1),
            KeyCode::Char(' ') if matches!(self.pane, Pane::Pending | Pane::Dlq) => {
                self.toggle_mark()
            }
            KeyCode::Char(c @ ('c' | 'a' | 'R' | 'D' | 'A' | 'x' | 'P')) => self.ask_write(c),
            _ => {}
        }
        vec![]
    }

    fn toggle_mark(&mut self) {
        let id = match self.pane {
            Pane::Pending => self
                .pending_rows()
                .get(self.selected(Pane::Pending))
                .map(|e| e.id.clone()),
            Pane::Dlq => self
                .dlq_rows()
                .get(self.selected(Pane::Dlq))
                .map(|e| e.id.clone()),
            _ => None,
        };
        if let Some(id) = id
            && !self.marks.remove(&id)
        {
            self.marks.insert(id);
        }
        self.move_sel(1);
    }

    /// The marked ids, or the selected row's id when nothing is marked.
    /// The marked ids; else, with a filter, every row the filter shows; else the selected row.
    fn targets(&self) -> Vec<String> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        if !self.filter(self.pane).is_empty() {
            return match self.pane {
                Pane::Pending => self.pending_rows().iter().map(|e| e.id.clone()).collect(),
                Pane::Dlq => self.dlq_rows().iter().map(|e| e.id.clone()).collect(),
                _ => Vec::new(),
            };
        }
        match self.pane {
            Pane::Pending => self
                .pending_rows()
                .get(self.selected(Pane::Pending))
                .map(|e| vec![e.id.clone()]),
            Pane::Dlq => self
                .dlq_rows()
                .get(self.selected(Pane::Dlq))
                .map(|e| vec![e.id.clone()]),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// A write key: build the operation and ask for confirmation.
    fn ask_write(&mut self, key: char) {
        use crate::ui::write::WriteOp;
        if !matches!(self.pane, Pane::Pending | Pane::Dlq) {
            self.status = Some("write keys work in the Pending (5) and DLQ (6) panes".into());
            return;
        }
        if self.profile.read_only {
            self.status = Some(format!(
                "profile '{}' is read-only: writes are refused (set read_only: false in the profile to allow them)",
                self.profile.name
            ));
            return;
        }
        if self.busy.is_some() {
            self.status = Some("a write is still running; wait for its result".into());
            return;
        }
        let ids = self.targets();
        let min_idle = self.profile.claim_min_idle;
        let op = match (self.pane, key, &self.drill) {
            (Pane::Pending, 'P', Some((stream, group))) => Some(WriteOp::Prune {
                stream: stream.clone(),
                group: group.clone(),
                idle: min_idle,
            }),
            (Pane::Pending, 'a', Some((stream, group))) => Some(WriteOp::Autoclaim {
                stream: stream.clone(),
                group: group.clone(),
                to: self.claim_consumer.clone(),
                min_idle,
                count: self
                    .pending_rows()
                    .iter()
                    .filter(|e| e.idle_ms >= min_idle.as_millis() as u64)
                    .count(),
            }),
            (Pane::Pending, _, Some(_)) if ids.is_empty() => None,
            (Pane::Pending, c, Some((stream, group))) => {
                let (stream, group) = (stream.clone(), group.clone());
                match c {
                    'c' => Some(WriteOp::Claim {
                        stream,
                        group,
                        ids,
                        to: self.claim_consumer.clone(),
                        min_idle,
                    }),
                    'R' => Some(WriteOp::Requeue {
                        stream,
                        group,
                        ids,
                        min_idle,
                    }),
                    'D' => Some(WriteOp::DeadLetter {
                        dlq: self.dlq_of(&stream),
                        stream,
                        group,
                        ids,
                        min_idle,
                    }),
                    'A' => Some(WriteOp::Ack { stream, group, ids }),
                    _ => None,
                }
            }
            (Pane::Dlq, c, _) => match (self.current_dlq(), c) {
                (Some(dlq), 'P') => Some(WriteOp::DlqPurge {
                    dlq,
                    ttl: self.profile.dlq_ttl,
                }),
                (Some(_), _) if ids.is_empty() => None,
                (Some(dlq), 'R') => {
                    let target = self
                        .dlq_streams()
                        .into_iter()
                        .find(|(_, d, _)| *d == dlq)
                        .map(|(s, _, _)| s)
                        .unwrap_or_default();
                    Some(WriteOp::DlqRequeue { dlq, target, ids })
                }
                (Some(dlq), 'x') => Some(WriteOp::DlqDelete { dlq, ids }),
                _ => None,
            },
            _ => None,
        };
        match op {
            None => {
                self.status = Some(match (self.pane, key) {
                    (Pane::Pending, 'c' | 'a' | 'R' | 'D' | 'A') | (Pane::Dlq, 'R' | 'x' | 'P') => {
                        "nothing selected".into()
                    }
                    (Pane::Pending, _) => {
                        "in Pending: c claim, a autoclaim, R requeue, D dead-letter, A ack, P prune consumers".into()
                    }
                    _ => "in DLQ: R requeue, x delete, P purge expired".into(),
                })
            }
            Some(op) => {
                let expect = if self.profile.environment == Environment::Production {
                    self.profile.name.clone()
                } else {
                    "y".into()
                };
                self.confirm = Some(crate::ui::write::Confirm {
                    op,
                    expect,
                    typed: String::new(),
                });
            }
        }
    }

    /// `:requeue-all` in the DLQ pane: every entry of the DLQ shown (Sidekiq's "retry all").
    fn ask_requeue_all(&mut self) {
        if self.pane != Pane::Dlq {
            self.status = Some(":requeue-all works in the DLQ pane (6)".into());
            return;
        }
        if self.profile.read_only {
            self.status = Some(format!(
                "profile '{}' is read-only: writes are refused",
                self.profile.name
            ));
            return;
        }
        let Some((target, dlq, count)) = self
            .current_dlq()
            .and_then(|d| self.dlq_streams().into_iter().find(|(_, n, _)| *n == d))
        else {
            self.status = Some("no DLQ stream".into());
            return;
        };
        let expect = if self.profile.environment == Environment::Production {
            self.profile.name.clone()
        } else {
            "y".into()
        };
        self.confirm = Some(crate::ui::write::Confirm {
            op: crate::ui::write::WriteOp::DlqRequeueAll { dlq, target, count },
            expect,
            typed: String::new(),
        });
    }

    /// The DLQ stream of `stream`, as the collector named it (`<stream>:dlq` if it did not).
    fn dlq_of(&self, stream: &str) -> String {
        self.dlq_streams()
            .into_iter()
            .find(|(s, _, _)| s == stream)
            .map(|(_, dlq, _)| dlq)
            .unwrap_or_else(|| format!("{stream}:dlq"))
    }

    fn start_write(&mut self, op: crate::ui::write::WriteOp) -> Vec<Effect> {
        self.confirm = None;
        self.busy = Some(op.describe());
        self.status = Some("working…".into());
        vec![Effect::Write(op)]
    }

    /// The result of a write: its counts in the status line; marks cleared.
    pub fn on_write_done(&mut self, result: std::result::Result<crate::ops::Outcome, String>) {
        self.busy = None;
        self.marks.clear();
        self.status = Some(match result {
            Ok(out) => out.summary(),
            Err(e) => format!("write failed: {e}"),
        });
    }

    fn set_interval(&mut self, d: Duration) -> Vec<Effect> {
        let d = d.clamp(Duration::from_millis(250), Duration::from_secs(60));
        self.interval = d;
        self.status = Some(format!("refresh every {}", humantime::format_duration(d)));
        vec![Effect::Interval(d)]
    }

    fn page(&mut self, dir: isize) -> Vec<Effect> {
        // Server-side paging for the pending and DLQ lists; otherwise move by a screen.
        let at_end = self.selected(self.pane) + 1 >= self.row_count(self.pane);
        let at_start = self.selected(self.pane) == 0;
        match self.pane {
            Pane::Pending if dir > 0 && at_end => {
                if let Some(last) = self.pending_rows_unsorted_last() {
                    self.pending_after.push(last);
                    self.selected[self.pane.index()] = 0;
                    return vec![Effect::Refresh];
                }
            }
            Pane::Pending if dir < 0 && at_start && !self.pending_after.is_empty() => {
                self.pending_after.pop();
                return vec![Effect::Refresh];
            }
            Pane::Dlq if dir > 0 && at_end => {
                if let Some(last) = self.dlq_rows().last().map(|e| e.id.clone()) {
                    self.dlq_before.push(last);
                    self.selected[self.pane.index()] = 0;
                    return vec![Effect::Refresh];
                }
            }
            Pane::Dlq if dir < 0 && at_start && !self.dlq_before.is_empty() => {
                self.dlq_before.pop();
                return vec![Effect::Refresh];
            }
            _ => {}
        }
        self.move_sel(dir * 10);
        vec![]
    }

    fn pending_rows_unsorted_last(&self) -> Option<String> {
        self.snapshot()
            .and_then(|s| s.pending_page.as_ref())
            .and_then(|p| p.entries.last())
            .map(|e| e.id.clone())
    }

    fn cycle_dlq(&mut self, dir: isize) {
        let list = self.dlq_streams();
        if list.is_empty() {
            return;
        }
        let cur = self.current_dlq();
        let i = list
            .iter()
            .position(|(_, n, _)| Some(n) == cur.as_ref())
            .unwrap_or(0) as isize;
        let next = (i + dir).rem_euclid(list.len() as isize) as usize;
        self.dlq_stream = Some(list[next].1.clone());
        self.marks.clear();
        self.dlq_before.clear();
        self.selected[Pane::Dlq.index()] = 0;
    }

    fn enter(&mut self) -> Vec<Effect> {
        match self.pane {
            Pane::Overview => {
                let (_, pane) = TILES[self.tile.min(TILES.len() - 1)];
                let target = if self.tile == 1 { Pane::Memory } else { pane };
                self.switch(target);
                if self.tile == 4 && self.dlq_streams().iter().all(|(_, _, n)| *n == 0) {
                    self.switch(Pane::Slowlog);
                }
            }
            Pane::Streams => {
                let rows = self.stream_rows();
                let Some(r) = rows.get(self.selected(Pane::Streams)) else {
                    return vec![];
                };
                let Some(snap) = self.snapshot().cloned() else {
                    return vec![];
                };
                let s = &snap.streams[r.stream];
                match r.group {
                    Some(gi) => {
                        self.drill = Some((s.name.clone(), s.groups[gi].name.clone()));
                        self.marks.clear();
                        self.pending_after.clear();
                        self.selected[Pane::Pending.index()] = 0;
                        self.switch(Pane::Pending);
                    }
                    None => self.detail(),
                }
            }
            Pane::Pending => {
                let rows = self.pending_rows();
                if let (Some(e), Some((stream, _))) =
                    (rows.get(self.selected(Pane::Pending)), &self.drill)
                {
                    return vec![Effect::FetchEntry {
                        stream: stream.clone(),
                        id: e.id.clone(),
                    }];
                }
            }
            Pane::Dlq | Pane::Slowlog | Pane::Clients => self.detail(),
            Pane::Memory => {}
        }
        vec![]
    }

    /// Detail popup for the selected row.
    fn detail(&mut self) {
        let Some(snap) = self.snapshot().cloned() else {
            return;
        };
        let popup = match self.pane {
            Pane::Streams => {
                let rows = self.stream_rows();
                let Some(r) = rows.get(self.selected(Pane::Streams)) else {
                    return;
                };
                Some(crate::ui::detail::stream_group(&snap, r, &self.profile))
            }
            Pane::Dlq => self
                .dlq_rows()
                .get(self.selected(Pane::Dlq))
                .map(|e| crate::ui::detail::entry(&format!("dead letter {}", e.id), e)),
            Pane::Slowlog => self
                .slow_rows()
                .get(self.selected(Pane::Slowlog))
                .map(|e| crate::ui::detail::slow(e)),
            Pane::Clients => self
                .client_rows()
                .get(self.selected(Pane::Clients))
                .map(|c| crate::ui::detail::client(c)),
            _ => None,
        };
        if popup.is_some() {
            self.popup = popup;
        }
    }

    /// A message body fetched for the pending view.
    pub fn show_entry(&mut self, stream: &str, id: &str, entry: Option<StreamEntry>) {
        self.popup = Some(match entry {
            Some(e) => crate::ui::detail::entry(&format!("{stream} {id}"), &e),
            None => Popup {
                title: format!("{stream} {id}"),
                lines: vec![
                    "This entry is no longer in the stream (trimmed or deleted);".into(),
                    "its id is still in the pending list.".into(),
                ],
                scroll: 0,
            },
        });
    }

    fn command(&mut self, cmd: &str) -> Vec<Effect> {
        let mut words = cmd.split_whitespace();
        match (words.next(), words.next()) {
            (Some("q" | "quit"), _) => vec![Effect::Quit],
            (Some("profile"), Some(name)) => vec![Effect::SwitchProfile(name.to_string())],
            (Some("profile"), None) => {
                self.status = Some("usage: :profile NAME".into());
                vec![]
            }
            (Some("requeue-all"), _) => {
                self.ask_requeue_all();
                vec![]
            }
            (Some(p), _) if Pane::ALL.iter().any(|x| x.title().eq_ignore_ascii_case(p)) => {
                let pane = *Pane::ALL
                    .iter()
                    .find(|x| x.title().eq_ignore_ascii_case(p))
                    .expect("found");
                self.switch(pane);
                vec![]
            }
            (Some(other), _) => {
                self.status = Some(format!(
                    "unknown command :{}; try :profile NAME, :streams, :q",
                    crate::sanitize::text(other)
                ));
                vec![]
            }
            (None, _) => vec![],
        }
    }
}
