//! The dashboard's shared state: what every pane reads (the profile, the
//! snapshot history, alerts, the connection state) and the generic list
//! state of each pane (selection, filter, sort). No I/O, and no knowledge of
//! which panes exist: that is `panes/mod.rs`'s list.

use crate::config::{Environment, Profile};
use crate::model::Snapshot;
use crate::model::alerts::{Alert, Thresholds};
use crate::model::history::History;
use crate::ui::detail::Popup;
use crate::ui::theme::Theme;
use std::sync::Arc;
use std::time::Duration;

/// Connection state as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    Connecting,
    Live,
    Failed {
        error: String,
        attempt: u32,
        since_ms: u64,
        /// What the header says: stale, or the tunnel is down.
        cause: crate::collect::collector::Cause,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Filter,
    Command,
    /// Replay: the time to jump to.
    Jump,
}

/// Replay: where the cursor is in the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub at_ms: u64,
    pub first_ms: u64,
    pub last_ms: u64,
    /// 0: paused; else the playing speed (1, 10, 60).
    pub speed: u32,
    pub frame: usize,
    pub frames: usize,
}

/// A move of the replay cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayMove {
    /// By samples (frames).
    Step(i64),
    /// By time, in ms.
    By(i64),
    /// To a time (unix ms).
    Jump(u64),
    /// Cycle the speed: paused, 1x, 10x, 60x.
    Play,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
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
    /// The deployment the profile names (the snapshot's, once there is one, wins).
    pub mode: crate::model::Mode,
    /// The profile file's profile names (`:profile` completes them).
    pub profiles: Vec<String>,
    /// An ElastiCache profile (the fleet names its mode so).
    pub elasticache: bool,
}

impl ProfileInfo {
    pub fn of(p: &Profile) -> Self {
        ProfileInfo {
            elasticache: p.elasticache,
            name: p.name.clone(),
            environment: p.environment,
            endpoint: p.target.describe(),
            read_only: p.read_only,
            claim_min_idle: p.streams.claim_min_idle,
            max_retries: p.streams.dlq.max_retries,
            dlq_ttl: p.streams.dlq.ttl,
            mode: match p.target {
                crate::config::Target::Standalone(_) => crate::model::Mode::Standalone,
                crate::config::Target::Sentinel { .. } => crate::model::Mode::Sentinel,
                crate::config::Target::Cluster { .. } => crate::model::Mode::Cluster,
            },
            profiles: Vec::new(),
        }
    }
}

/// A pane's list: the selected row, the filter typed with `/`, the sort chosen with `s`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct List {
    pub selected: usize,
    pub filter: String,
    pub sort: usize,
}

/// The state every pane shares.
pub struct View {
    pub profile: ProfileInfo,
    /// Opened from `redeye fleet`: F returns to the fleet's table.
    pub in_fleet: bool,
    pub theme: Theme,
    pub history: History,
    pub alerts: Vec<Alert>,
    pub thresholds: Thresholds,
    pub conn: ConnState,
    /// Wall clock of the UI, set by the event loop (keeps rendering pure).
    pub now_ms: u64,
    pub paused: bool,
    pub interval: Duration,
    pub input: Option<Input>,
    pub popup: Option<Popup>,
    pub help: bool,
    /// The help's first line shown.
    pub help_scroll: usize,
    /// Rows the last drawn popup (or help) shows and its rows in all:
    /// scrolling stops at the end. Set by the renderer, read by the keys.
    pub popup_rows: std::cell::Cell<(usize, usize)>,
    /// Palette: the suggestion chosen with Tab / ↑ ↓ (index into the list).
    pub suggestion: Option<usize>,
    pub status: Option<String>,
    /// Marked entry ids (space) in the open pane; cleared when the pane changes.
    pub marks: std::collections::BTreeSet<String>,
    /// `*`: the writes take every entry on the server that the filter (and
    /// the chosen consumer) matches, counted before the confirmation;
    /// cleared with the marks.
    pub select_all: bool,
    /// The count the running write was confirmed with (its result says how
    /// the real count differs).
    pub confirmed: Option<u64>,
    pub confirm: Option<crate::ui::write::Confirm>,
    /// Consumer that claims go to.
    pub claim_consumer: crate::model::Name,
    /// A write is running: its description.
    pub busy: Option<String>,
    /// Cluster: the node (its polled address) the Memory, Clients and
    /// Slowlog panes are scoped to; None: all nodes.
    pub node_scope: Option<String>,
    /// `0` was typed: the next digit opens pane 10 + digit.
    pub chord: bool,
    /// The charts' window: an index into `model::series::WINDOWS` (`w`).
    pub window: usize,
    /// Every alert raised and cleared, with its times (the Alerts pane).
    pub log: crate::model::alerts::AlertLog,
    /// Holds alert levels for a few polls before they change (no flapping).
    pub hysteresis: crate::model::alerts::Hysteresis,
    /// Replaying a recording (writes are off): the cursor.
    pub replay: Option<Replay>,
    /// Recording: where to, or why it fails (the header says so).
    pub recording: Option<Result<String, String>>,
}

impl View {
    pub fn new(profile: ProfileInfo, theme: Theme, interval: Duration) -> Self {
        let thresholds = Thresholds::defaults(profile.claim_min_idle);
        View {
            profile,
            theme,
            history: History::default(),
            alerts: Vec::new(),
            hysteresis: Default::default(),
            thresholds,
            conn: ConnState::Connecting,
            now_ms: crate::time::now_ms(),
            paused: false,
            interval,
            input: None,
            popup: None,
            help: false,
            help_scroll: 0,
            popup_rows: std::cell::Cell::new((0, 0)),
            suggestion: None,
            status: None,
            marks: Default::default(),
            select_all: false,
            confirmed: None,
            in_fleet: false,
            confirm: None,
            claim_consumer: crate::ops::runner::claim_consumer_default(),
            busy: None,
            node_scope: None,
            chord: false,
            window: 0,
            log: Default::default(),
            replay: None,
            recording: None,
        }
    }

    pub fn snapshot(&self) -> Option<&Arc<Snapshot>> {
        self.history.latest()
    }

    /// The deployment's mode: the latest snapshot's, else the profile's.
    pub fn mode(&self) -> crate::model::Mode {
        self.snapshot()
            .map(|s| s.deployment.mode)
            .unwrap_or(self.profile.mode)
    }

    /// Age of the data on screen, in ms.
    pub fn data_age_ms(&self) -> Option<u64> {
        self.snapshot()
            .map(|s| self.now_ms.saturating_sub(s.taken_at_ms))
    }

    /// Stale: the connection failed, or no fresh data for three intervals.
    /// The next poll is overdue (half an interval past due, at least 500 ms):
    /// the header shows the data's age at once, before it counts as stale.
    pub fn is_late(&self) -> bool {
        let every = self.interval.as_millis() as u64;
        !self.paused
            && self
                .data_age_ms()
                .is_some_and(|a| a > every + (every / 2).max(500))
    }

    pub fn is_stale(&self) -> bool {
        matches!(self.conn, ConnState::Failed { .. })
            || (!self.paused
                && self
                    .data_age_ms()
                    .is_some_and(|a| a > 3 * self.interval.as_millis() as u64 + 1000))
    }

    /// Why a write cannot be asked for here (a replay, a read-only
    /// profile, a write still running); said in the status line.
    pub fn refuse_write(&mut self) -> bool {
        let why = if self.replay.is_some() {
            Some("this is a replay of a recording: writes are disabled (run redeye on the live profile to act)".to_string())
        } else if let Err(refused) =
            crate::ops::runner::writable(self.profile.read_only, &self.profile.name)
        {
            Some(refused.to_string())
        } else if self.busy.is_some() {
            Some("a write is still running; wait for its result".into())
        } else {
            None
        };
        let refused = why.is_some();
        if let Some(w) = why {
            self.status = Some(w);
        }
        refused
    }

    /// Open the confirmation of a write. The runner's policy decides whether
    /// the profile may write and the word to type; the runner checks again
    /// when the write runs.
    pub fn ask_confirm(&mut self, op: crate::ops::Op) {
        self.ask_confirm_scoped(op, None)
    }

    /// The same, saying which entries and how they were chosen.
    pub fn ask_confirm_scoped(&mut self, op: crate::ops::Op, scope: Option<String>) {
        if self.refuse_write() {
            return;
        }
        let expect = match crate::ops::runner::confirmation_for(
            self.profile.environment,
            &self.profile.name,
        ) {
            crate::ops::runner::Confirmation::Type(word) => word,
            crate::ops::runner::Confirmation::Yes => "y".into(),
        };
        self.confirm = Some(crate::ui::write::Confirm {
            op,
            expect,
            typed: String::new(),
            scope,
        });
    }
}
