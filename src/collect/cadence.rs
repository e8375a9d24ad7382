//! The dashboard's cadence: what the last polls saw of each stream, so that
//! a stream that did not move costs the server only its cheap reads.
//!
//! Every poll reads each stream's XINFO GROUPS (lag, pending, last-delivered
//! id, entries-read: exact, this poll's), its XLEN and its DLQ's XLEN. The
//! heavier reads (XINFO STREAM, each group's XPENDING summary, the DLQ's
//! oldest and newest id) run:
//!
//! - on a stream's first poll, and on every poll after `reset` (a forced
//!   refresh, a write, a reconnect);
//! - on the poll after its cheap figures moved (length, or any group's
//!   last-delivered id, entries-read, pending or lag; the DLQ's length for
//!   the DLQ's read);
//! - every [`Memory::every`]th poll, staggered across streams;
//! - on every poll for a stream with no group lag to watch (no group, or
//!   Redis reports the lag as NULL): a capped stream's length does not move,
//!   so only its full read shows new entries;
//! - on the poll after a group the profile does not name was found holding
//!   entries (its XPENDING summary needs its name).
//!
//! In between, the heavier figures come from the last full read and the
//! stream says how old they are (`StreamInfo::full_read_ms`, and the DLQ's
//! `DlqInfo::full_read_ms`). The
//! body-dropping script (21 µs where a plain XINFO STREAM costs 4) is used
//! for a stream's (and a DLQ's) first read and for those whose last read
//! showed an entry body of [`BIG`] bytes or more at their head or tail.
//!
//! `redeye snapshot` has no memory: it reads everything, through the script.

use crate::config::StreamSpec;
use crate::model::ids;
use crate::model::{DlqInfo, Name, Snapshot, StreamInfo};
use std::collections::{BTreeMap, HashMap};

/// An entry body at least this large at a stream's head or tail makes its
/// full reads go through the body-dropping script.
pub const BIG: u64 = 4096;

/// How one stream is read in one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamRead {
    /// XINFO STREAM and the groups' XPENDING summaries (else XLEN only).
    pub full: bool,
    /// XINFO STREAM through the body-dropping script.
    pub script: bool,
    /// The DLQ's XINFO STREAM (else its XLEN only).
    pub dlq_full: bool,
    /// The DLQ's XINFO STREAM through the body-dropping script.
    pub dlq_script: bool,
}

impl Default for StreamRead {
    /// Everything, safely: what a poll without memory reads.
    fn default() -> Self {
        StreamRead {
            full: true,
            script: true,
            dlq_full: true,
            dlq_script: true,
        }
    }
}

/// A group's cheap figures: name, last-delivered id, entries-read, pending, lag.
type GroupFigures = (Name, Option<String>, Option<u64>, u64, Option<u64>);

/// The cheap figures of a stream: when they move, the stream is read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    length: u64,
    groups: Vec<GroupFigures>,
}

impl Signature {
    fn of(s: &StreamInfo) -> Self {
        Signature {
            length: s.length,
            groups: s
                .groups
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        g.last_delivered_id.clone(),
                        g.entries_read,
                        g.pending,
                        g.lag,
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Seen {
    signature: Signature,
    /// The last full read of the stream (its groups with their XPENDING
    /// summaries), and when it was taken.
    full: StreamInfo,
    full_at_ms: u64,
    /// Its last read showed a large entry body: use the script.
    big: bool,
    /// The cheap figures moved since that read: read in full next poll.
    moved: bool,
    /// The DLQ's last full read, when, and whether its length moved since.
    dlq: Option<(DlqInfo, u64)>,
    dlq_moved: bool,
    /// The DLQ's last read showed a large entry body: use the script.
    dlq_big: bool,
}

/// What the dashboard remembers between polls.
#[derive(Debug, Clone)]
pub struct Memory {
    /// Read each stream in full at least every this many polls.
    pub every: u64,
    /// False: read everything every poll, through the script, as before the
    /// cadence (and as `snapshot` does); `redeye bench` compares with it.
    pub remember: bool,
    tick: u64,
    reset: bool,
    seen: HashMap<Name, Seen>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            every: 60,
            remember: true,
            tick: 0,
            reset: false,
            seen: HashMap::new(),
        }
    }
}

impl Memory {
    /// Read every stream in full next poll (a forced refresh, a write, a
    /// reconnect: nothing remembered is trusted).
    pub fn reset(&mut self) {
        self.reset = true;
    }

    /// How each of `streams` is read this poll.
    pub fn plan(&mut self, streams: &[StreamSpec]) -> Vec<StreamRead> {
        self.tick += 1;
        let reset = std::mem::take(&mut self.reset);
        if reset || !self.remember {
            self.seen.clear();
        }
        streams
            .iter()
            .enumerate()
            .map(|(i, s)| match self.seen.get(&s.name) {
                None => StreamRead::default(),
                Some(seen) => {
                    let due = (self.tick + i as u64).is_multiple_of(self.every.max(1));
                    let nothing_to_watch = seen.full.groups.iter().all(|g| g.lag.is_none());
                    // A group found on the server in that read holds entries
                    // but had no XPENDING summary yet (the poll did not know
                    // its name): read it now, not in a minute.
                    let unsummarised = seen
                        .full
                        .groups
                        .iter()
                        .any(|g| g.exists && g.pending > 0 && g.oldest_pending_id.is_none());
                    StreamRead {
                        full: due || seen.moved || nothing_to_watch || unsummarised,
                        script: seen.big,
                        dlq_full: due || seen.dlq_moved || seen.dlq.is_none(),
                        dlq_script: seen.dlq.is_none() || seen.dlq_big,
                    }
                }
            })
            .collect()
    }

    /// Remember what this poll read in full; fill what it read cheaply from
    /// the last full read, marked with its age. `bodies`: the entry body
    /// sizes of the streams read in full.
    pub fn apply(
        &mut self,
        snap: &mut Snapshot,
        reads: &[StreamRead],
        bodies: &BTreeMap<Name, u64>,
    ) {
        let now = snap.server_now();
        for (i, s) in snap.streams.iter_mut().enumerate() {
            let how = reads.get(i).copied().unwrap_or_default();
            if !s.exists {
                // Gone (or never there): read it afresh when it appears.
                self.seen.remove(&s.name);
                continue;
            }
            let signature = Signature::of(s);
            let seen = if how.full {
                let last = self.seen.remove(&s.name);
                let big = bodies.get(&s.name).copied().unwrap_or(0) >= BIG;
                let seen = Seen {
                    signature,
                    full: StreamInfo {
                        dlq: None,
                        ..s.clone()
                    },
                    full_at_ms: now,
                    big,
                    moved: false,
                    dlq: last.as_ref().and_then(|l| l.dlq.clone()),
                    dlq_big: last.as_ref().is_some_and(|l| l.dlq_big),
                    dlq_moved: last.is_some_and(|l| l.dlq_moved),
                };
                self.seen
                    .entry(s.name.clone())
                    .insert_entry(seen)
                    .into_mut()
            } else {
                let Some(seen) = self.seen.get_mut(&s.name) else {
                    continue;
                };
                if signature != seen.signature {
                    seen.moved = true;
                    seen.signature = signature;
                }
                fill(s, &seen.full, now);
                s.full_read_ms = Some(now.saturating_sub(seen.full_at_ms));
                seen
            };
            let Some(d) = &mut s.dlq else {
                continue;
            };
            if how.dlq_full {
                seen.dlq = Some((d.clone(), now));
                seen.dlq_moved = false;
                seen.dlq_big = bodies.get(&d.stream).copied().unwrap_or(0) >= BIG;
            } else if let Some((known, at)) = &seen.dlq {
                if d.length != known.length {
                    seen.dlq_moved = true;
                }
                if d.length > 0 {
                    d.oldest_id = known.oldest_id.clone();
                    d.newest_id = known.newest_id.clone();
                    d.full_read_ms = Some(now.saturating_sub(*at));
                }
            }
        }
    }
}

/// A cheaply read stream's heavier figures, from its last full read.
fn fill(s: &mut StreamInfo, full: &StreamInfo, now: u64) {
    s.first_id = full.first_id.clone();
    s.last_id = full.last_id.clone();
    s.last_generated_id = full.last_generated_id.clone();
    s.max_deleted_entry_id = full.max_deleted_entry_id.clone();
    // Redis's lag is entries-added less entries-read: exact where known.
    s.entries_added = s
        .groups
        .iter()
        .filter_map(|g| Some(g.entries_read? + g.lag?))
        .max()
        .or(full.entries_added);
    for g in &mut s.groups {
        if g.lag.is_none() {
            g.lag_unavailable_reason = Some(crate::collect::streams::null_lag_reason(
                g.entries_read,
                g.last_delivered_id.as_deref(),
                full,
            ));
        }
        if g.pending == 0 {
            continue;
        }
        let Some(old) = full.groups.iter().find(|o| o.name == g.name) else {
            continue;
        };
        g.oldest_pending_id = old.oldest_pending_id.clone();
        g.oldest_pending_age_ms = g
            .oldest_pending_id
            .as_deref()
            .and_then(|id| ids::age_ms(id, now));
        g.pending_by_consumer = old.pending_by_consumer.clone();
    }
}
