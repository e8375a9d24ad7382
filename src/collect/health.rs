//! The health tracker: what the last polls saw of each group, so each poll
//! can say how far behind a group is in time, how fast it moves and its
//! status (`model::health::judge`).
//!
//! - **Time behind** is the age, against the server's clock, of the first
//!   entry after the group's last-delivered id. That id is read by
//!   `first_undelivered.lua` without the entry's body, only for groups with
//!   something undelivered, and cached with the last-delivered id it
//!   followed: it is read again only when that id moves (a group that
//!   consumes is read every poll, a stalled one once) or the entry is gone
//!   (the stream's head passed it, or max-deleted-entry-id reached it).
//!   A poll that has neither gives an upper bound and says so.
//! - **Rates** come from a window of observations (the profile's
//!   `health_window`, default 1 minute), kept at most 30 per group plus the
//!   newest, so 3,000 groups cost a few MiB.
//!
//! The dashboard's `Poller` owns one tracker; `redeye snapshot` and `check`
//! feed it two polls `--sample` apart.

use crate::config::StreamSpec;
use crate::model::health::{self, Facts, Obs};
use crate::model::{GroupInfo, Name, Snapshot, StreamInfo, ids};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Which groups of a stream get their first undelivered entry read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ask {
    /// Every group whose lag is not 0 (a stream not seen before).
    #[default]
    All,
    Groups(Vec<Name>),
    Nothing,
}

/// Observations kept per window (plus the newest).
const KEPT: u64 = 30;

#[derive(Debug, Default)]
struct Track {
    obs: VecDeque<Obs>,
    /// The last-delivered id and the entry after it, as last read.
    first: Option<Cached>,
    /// The last-delivered id at the last poll.
    last: Option<String>,
    /// Read the first undelivered entry next poll.
    ask: bool,
    /// Undelivered work or entries held: its consumers' idle times matter.
    watch: bool,
    seen: u64,
}

#[derive(Debug)]
pub struct Tracker {
    /// Rates span this (the dashboard's `health_window`, a one-shot run's
    /// `--sample`).
    pub window: Duration,
    /// A consumer seen within this is active (always `health_window`).
    pub active_within: Duration,
    /// False: ask for no first-undelivered reads and no consumers' idle
    /// times (`redeye bench` measures what they add).
    pub reads: bool,
    streams: HashMap<Name, HashMap<Name, Track>>,
    tick: u64,
}

impl Tracker {
    pub fn new(window: Duration) -> Self {
        Self::one_shot(window, window)
    }

    /// Two polls `sample` apart; consumers judged active within `window`.
    pub fn one_shot(sample: Duration, window: Duration) -> Self {
        Tracker {
            window: sample,
            active_within: window,
            reads: true,
            streams: HashMap::new(),
            tick: 0,
        }
    }

    /// What to read next poll for each of `streams`.
    pub fn asks(&self, streams: &[StreamSpec]) -> Vec<Ask> {
        if !self.reads {
            return vec![Ask::Nothing; streams.len()];
        }
        streams
            .iter()
            .map(|s| match self.streams.get(&s.name) {
                None => Ask::All,
                Some(groups) => {
                    let list: Vec<Name> = groups
                        .iter()
                        .filter(|(_, t)| t.ask)
                        .map(|(g, _)| g.clone())
                        .collect();
                    if list.is_empty() {
                        Ask::Nothing
                    } else {
                        Ask::Groups(list)
                    }
                }
            })
            .collect()
    }

    /// Groups whose consumers' idle times the status needs (something
    /// undelivered or held).
    pub fn watched(&self) -> Vec<(Name, Name)> {
        if !self.reads {
            return Vec::new();
        }
        self.streams
            .iter()
            .flat_map(|(s, groups)| {
                groups
                    .iter()
                    .filter(|(_, t)| t.watch)
                    .map(move |(g, _)| (s.clone(), g.clone()))
            })
            .collect()
    }

    /// Give every group of `snap` its time behind, rates and status, and
    /// remember what the next poll should read.
    pub fn observe(&mut self, snap: &mut Snapshot, claim_min_idle: Duration) {
        self.tick += 1;
        let tick = self.tick;
        let now = snap.server_now();
        let client_now = snap.taken_at_ms;
        let window_ms = self.window.as_millis() as u64;
        let claim_ms = claim_min_idle.as_millis() as u64;
        for s in &mut snap.streams {
            if !s.exists {
                continue;
            }
            if !self.streams.contains_key(&s.name) {
                self.streams.insert(s.name.clone(), HashMap::new());
            }
            let tracks = self.streams.get_mut(&s.name).expect("inserted above");
            let stream_view = StreamView::of(s);
            // Its own node's clock (a cluster's nodes each have theirs).
            let now = s.node_time_ms.unwrap_or(now);
            for g in &mut s.groups {
                if !g.exists {
                    continue;
                }
                if !tracks.contains_key(&g.name) {
                    tracks.insert(g.name.clone(), Track::default());
                }
                let t = tracks.get_mut(&g.name).expect("inserted above");
                t.seen = tick;
                // Seen before (it has observations) and the id moved since.
                let moved = !t.obs.is_empty() && t.last != g.last_delivered_id;
                if t.last != g.last_delivered_id {
                    t.last.clone_from(&g.last_delivered_id);
                }
                let exact = behind(g, t, &stream_view, now);
                let undelivered = g.lag.is_some_and(|l| l > 0)
                    || (g.lag.is_none() && g.first_undelivered_id.is_some())
                    || g.behind_ms.is_some_and(|b| b > 0);
                let obs = Obs {
                    at_ms: now,
                    added: stream_view.added,
                    read: g.entries_read,
                    pending: g.pending,
                    lag: g.lag,
                    delivered_ms: delivered_ms(g).unwrap_or(0),
                };
                keep(&mut t.obs, obs, window_ms);
                let summary = g
                    .consumer_summary
                    .as_ref()
                    .map(|c| (c, client_now.saturating_sub(c.read_ms)));
                let facts = Facts {
                    window_ms,
                    active_within_ms: self.active_within.as_millis() as u64,
                    claim_min_idle_ms: claim_ms,
                    undelivered,
                    consumers: g.consumers,
                    summary,
                    null_lag_reason: g.lag_unavailable_reason.as_deref(),
                };
                g.health = health::judge(t.obs.make_contiguous(), &facts);
                t.ask = undelivered && (moved || !exact);
                t.watch = undelivered || g.pending > 0;
            }
            tracks.retain(|_, t| t.seen == tick);
        }
        self.streams
            .retain(|_, g| g.values().any(|t| t.seen == tick));
    }
}

/// What the behind rules need of a group's stream.
struct StreamView {
    added: Option<u64>,
    head: Option<String>,
    max_deleted: Option<String>,
}

impl StreamView {
    fn of(s: &StreamInfo) -> Self {
        StreamView {
            added: s.entries_added,
            head: s.first_id.clone(),
            max_deleted: s.max_deleted_entry_id.clone(),
        }
    }

    /// Whether entry `id` may still be in the stream: the head has not
    /// passed it, nor a deletion (XDEL or trimming) reached it.
    fn still_has(&self, id: &str) -> bool {
        let passed = |edge: &Option<String>, inclusive: bool| {
            edge.as_deref()
                .is_some_and(|e| e != "0-0" && (ids::is_after(e, id) || (inclusive && e == id)))
        };
        !passed(&self.head, false) && !passed(&self.max_deleted, true)
    }
}

fn delivered_ms(g: &GroupInfo) -> Option<u64> {
    g.last_delivered_id
        .as_deref()
        .and_then(ids::parse)
        .map(|(ms, _)| ms)
}

/// Ids whose millisecond part cannot be a time: before 2000, or more than a
/// day past the server's clock (producers that set their own ids).
fn plausible(ms: u64, now: u64) -> bool {
    (946_684_800_000..=now + 86_400_000).contains(&ms)
}

/// The first entry after a last-delivered id, as read.
#[derive(Debug, Clone)]
struct Cached {
    after: String,
    first: Option<String>,
    /// The stream's max-deleted-entry-id at the read: when it moves, the
    /// entry may be gone.
    deleted: Option<String>,
    /// The stream's entries-added at the read: while it stands still,
    /// "nothing after it" stays true.
    added: Option<u64>,
}

/// The group's first undelivered entry (read this poll, or cached for its
/// last-delivered id) and its time behind. Returns whether it is exact.
fn behind(g: &mut GroupInfo, t: &mut Track, s: &StreamView, now: u64) -> bool {
    if let Some(after) = g.undelivered_after.take() {
        t.first = Some(Cached {
            after,
            first: g.first_undelivered_id.clone(),
            deleted: s.max_deleted.clone(),
            added: s.added,
        });
    } else if g.lag == Some(0) {
        if let Some(l) = &g.last_delivered_id {
            t.first = Some(Cached {
                after: l.clone(),
                first: None,
                deleted: s.max_deleted.clone(),
                added: s.added,
            });
        }
        g.first_undelivered_id = None;
        (g.behind_ms, g.behind_reason) = (Some(0), None);
        return true;
    } else {
        // Something is undelivered (or Redis cannot say): the cached entry
        // serves if it follows this last-delivered id and is still there.
        let same = t
            .first
            .as_ref()
            .filter(|c| Some(&c.after) == g.last_delivered_id.as_ref());
        // Nothing after it when read, and nothing added since: still nothing.
        if same.is_some_and(|c| c.first.is_none() && c.added.is_some() && c.added == s.added) {
            g.first_undelivered_id = None;
            (g.behind_ms, g.behind_reason) = (Some(0), None);
            return true;
        }
        match same.and_then(|c| Some((c.first.clone()?, c.deleted != s.max_deleted))) {
            Some((f, _)) if !s.still_has(&f) => {
                estimate(g, t, s, now);
                return false;
            }
            Some((f, maybe_gone)) => {
                g.first_undelivered_id = Some(f);
                if maybe_gone {
                    set_behind(g, now);
                    if g.behind_ms.is_some() {
                        g.behind_reason = Some(
                            "an upper bound: entries were deleted since the first undelivered one was read (it may be gone); read again next poll".into(),
                        );
                    }
                    return false;
                }
            }
            None => {
                estimate(g, t, s, now);
                return false;
            }
        }
    }
    set_behind(g, now);
    true
}

/// The time behind from `first_undelivered_id` (none: 0).
fn set_behind(g: &mut GroupInfo, now: u64) {
    (g.behind_ms, g.behind_reason) = match g.first_undelivered_id.as_deref() {
        None => (Some(0), None),
        Some(id) => match ids::parse(id) {
            Some((ms, _)) if plausible(ms, now) => (Some(now.saturating_sub(ms)), None),
            _ => (
                None,
                Some(format!(
                    "the first undelivered entry's id ({id}) is not a time: producers set their own ids, so the time behind cannot be known"
                )),
            ),
        },
    };
}

/// No usable read of the entry after the last-delivered id this poll: an
/// upper bound, said as such — the least of the age of the last delivered
/// entry, of the stream's head (the entry is after both), and, when nothing
/// was undelivered at the last poll, the time since it.
fn estimate(g: &mut GroupInfo, t: &Track, s: &StreamView, now: u64) {
    let since_clear = t
        .obs
        .back()
        .filter(|o| o.lag == Some(0) && o.delivered_ms == delivered_ms(g).unwrap_or(0))
        .map(|o| now.saturating_sub(o.at_ms));
    let age = |id: Option<&str>| {
        id.and_then(ids::parse)
            .map(|(ms, _)| ms)
            .filter(|ms| *ms > 0 && plausible(*ms, now))
            .map(|ms| now.saturating_sub(ms))
    };
    let bound = [
        since_clear,
        age(g.last_delivered_id.as_deref()),
        age(s.head.as_deref()),
    ]
    .into_iter()
    .flatten()
    .min();
    g.first_undelivered_id = None;
    g.behind_ms = bound;
    g.behind_reason = Some(match bound {
        Some(_) => "an upper bound: the entry after the last-delivered id was not read this poll (it is read when the group has something undelivered and its last-delivered id moved, or the entry may be gone)".into(),
        None => "the entry after the last-delivered id was not read, and neither that id nor the stream's head is a time".into(),
    });
}

/// Add `o` to the window: at most [`KEPT`] observations a window apart
/// plus the newest, and one at or before the window's start.
fn keep(obs: &mut VecDeque<Obs>, o: Obs, window_ms: u64) {
    // The clock went back, or the stream was made again: start over.
    if obs
        .back()
        .is_some_and(|b| o.at_ms < b.at_ms || o.added < b.added)
    {
        obs.clear();
    }
    let step = (window_ms / KEPT).max(1);
    let n = obs.len();
    // The newest one stays only once it is a step past the one before.
    if n >= 2 && obs[n - 1].at_ms.saturating_sub(obs[n - 2].at_ms) < step {
        obs[n - 1] = o;
    } else {
        obs.push_back(o);
    }
    let start = o.at_ms.saturating_sub(window_ms);
    while obs.len() > 2 && obs[1].at_ms <= start {
        obs.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(at_s: u64) -> Obs {
        Obs {
            at_ms: at_s * 1000,
            added: Some(at_s),
            read: Some(0),
            pending: 0,
            lag: Some(at_s),
            delivered_ms: 0,
        }
    }

    /// A minute at one poll a second keeps about 31 observations, the
    /// oldest at or before the window's start.
    #[test]
    fn the_window_is_bounded_and_reaches_back_a_window() {
        let mut w = VecDeque::new();
        for t in 0..600 {
            keep(&mut w, o(t), 60_000);
        }
        assert!(w.len() <= 33, "{}", w.len());
        assert_eq!(w.back().unwrap().at_ms, 599_000);
        let span = w.back().unwrap().at_ms - w.front().unwrap().at_ms;
        assert!((58_000..=62_000).contains(&span), "{span}");
    }

    /// Producers that set their own ids (`5-1`): the time behind cannot be
    /// known, and the reason says so; a real id gives its age.
    #[test]
    fn ids_that_are_not_times_give_no_time_behind() {
        let mut g = GroupInfo {
            first_undelivered_id: Some("5-1".into()),
            ..Default::default()
        };
        let now = 1_796_000_000_000;
        set_behind(&mut g, now);
        assert_eq!(g.behind_ms, None);
        assert!(
            g.behind_reason
                .as_deref()
                .unwrap()
                .contains("producers set their own ids")
        );
        g.first_undelivered_id = Some(format!("{}-0", now - 1500));
        set_behind(&mut g, now);
        assert_eq!((g.behind_ms, g.behind_reason), (Some(1500), None));
    }

    #[test]
    fn an_entry_the_head_passed_or_a_deletion_reached_is_gone() {
        let s = StreamView {
            added: None,
            head: Some("200-0".into()),
            max_deleted: Some("150-0".into()),
        };
        assert!(s.still_has("200-0"));
        assert!(s.still_has("300-0"));
        assert!(!s.still_has("150-0"));
        assert!(!s.still_has("100-0"));
    }
}
