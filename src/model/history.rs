//! Bounded history and rates derived from deltas between polls. Memory stays
//! bounded however long redeye runs: every series keeps 10 minutes at 1 s,
//! 6 hours at 10 s and 7 days at 1 min (`series.rs`), and per-stream series
//! are dropped when the stream disappears.

use super::series::Series;
use super::{Name, Snapshot};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Rates {
    pub evicted_per_s: f64,
    pub expired_per_s: f64,
    /// Rejected connections since the previous poll.
    pub rejected_new: u64,
    /// New SLOWLOG entries since the previous poll.
    pub slowlog_new: u64,
    /// Entries added per second, by stream.
    pub added_per_s: HashMap<Name, f64>,
    /// DLQ length change since the previous poll, by DLQ stream.
    pub dlq_growth: HashMap<Name, i64>,
}

#[derive(Debug, Clone, Default)]
pub struct StreamSeries {
    pub length: Series<u32>,
    pub added_per_s: Series<u32>,
    /// Each group's lag at the last [`GROUP_POLLS`] polls, oldest first
    /// (`u32::MAX`: unknown): what the group sparklines draw. Short on
    /// purpose: 3,000 groups × 24 h of tiers would not fit the RSS budget.
    pub groups: HashMap<Name, VecDeque<u32>>,
}

/// Polls of lag kept per group for its sparkline.
pub const GROUP_POLLS: usize = 120;

#[derive(Debug, Clone, Default)]
pub struct History {
    pub ops: Series,
    pub used_memory: Series,
    pub connected: Series,
    pub blocked: Series,
    pub evicted_per_s: Series,
    pub expired_per_s: Series,
    /// The poll's round trip as the client measured it (slowest node), µs.
    pub poll_us: Series,
    /// Slow commands new in each poll.
    pub slowlog_new: Series,
    pub streams: HashMap<Name, StreamSeries>,
    pub rates: Rates,
    /// Highest slowlog id seen so far (to mark new entries).
    pub slowlog_seen: Option<u64>,
    prev: Option<Arc<Snapshot>>,
}

impl History {
    pub fn push(&mut self, snap: Arc<Snapshot>) {
        let at = snap.taken_at_ms;
        let mut rates = Rates::default();
        if let Some(prev) = &self.prev {
            let secs =
                (snap.taken_at_ms.saturating_sub(prev.taken_at_ms) as f64 / 1000.0).max(0.001);
            if let (Some(a), Some(b)) = (&prev.stats, &snap.stats) {
                rates.evicted_per_s = b.evicted_keys.saturating_sub(a.evicted_keys) as f64 / secs;
                rates.expired_per_s = b.expired_keys.saturating_sub(a.expired_keys) as f64 / secs;
            }
            if let (Some(a), Some(b)) = (&prev.clients, &snap.clients) {
                rates.rejected_new = b
                    .rejected_connections
                    .saturating_sub(a.rejected_connections);
            }
            // By name: a linear search per stream would be quadratic with thousands of streams.
            let by_name: HashMap<&Name, &super::StreamInfo> =
                prev.streams.iter().map(|p| (&p.name, p)).collect();
            for s in &snap.streams {
                if let Some(p) = by_name.get(&s.name) {
                    if let (Some(a), Some(b)) = (p.entries_added, s.entries_added) {
                        rates
                            .added_per_s
                            .insert(s.name.clone(), b.saturating_sub(a) as f64 / secs);
                    }
                    if let (Some(a), Some(b)) = (&p.dlq, &s.dlq) {
                        rates
                            .dlq_growth
                            .insert(b.stream.clone(), b.length as i64 - a.length as i64);
                    }
                }
            }
        }
        if let Some(sl) = &snap.slowlog {
            let newest = sl.entries.first().map(|e| e.id);
            rates.slowlog_new = match self.slowlog_seen {
                Some(seen) => sl.entries.iter().filter(|e| e.id > seen).count() as u64,
                None => 0,
            };
            if let Some(n) = newest {
                self.slowlog_seen = Some(self.slowlog_seen.map_or(n, |s| s.max(n)));
            }
        }
        if let Some(st) = &snap.stats {
            self.ops.push(at, st.ops_per_sec);
        }
        if let Some(slowest) = snap.nodes.iter().map(|n| n.poll_ms).reduce(f64::max) {
            self.poll_us.push(at, (slowest * 1000.0).round() as u64);
        }
        self.slowlog_new.push(at, rates.slowlog_new);
        if let Some(m) = &snap.memory {
            self.used_memory.push(at, m.used_bytes);
        }
        if let Some(c) = &snap.clients {
            self.connected.push(at, c.connected);
            self.blocked.push(at, c.blocked);
        }
        self.evicted_per_s
            .push(at, rates.evicted_per_s.round() as u64);
        self.expired_per_s
            .push(at, rates.expired_per_s.round() as u64);
        let present: std::collections::HashSet<&Name> =
            snap.streams.iter().map(|s| &s.name).collect();
        self.streams.retain(|name, _| present.contains(name));
        for s in &snap.streams {
            // The name is cloned only for a stream seen the first time.
            if !self.streams.contains_key(&s.name) {
                self.streams.insert(s.name.clone(), Default::default());
            }
            let series = self.streams.get_mut(&s.name).expect("inserted above");
            series.length.push(at, s.length);
            series.added_per_s.push(
                at,
                rates
                    .added_per_s
                    .get(&s.name)
                    .copied()
                    .unwrap_or(0.0)
                    .round() as u64,
            );
            series
                .groups
                .retain(|name, _| s.groups.iter().any(|g| g.exists && &g.name == name));
            for g in s.groups.iter().filter(|g| g.exists) {
                if !series.groups.contains_key(&g.name) {
                    series
                        .groups
                        .insert(g.name.clone(), VecDeque::with_capacity(GROUP_POLLS));
                }
                let ring = series.groups.get_mut(&g.name).expect("inserted above");
                if ring.len() == GROUP_POLLS {
                    ring.pop_front();
                }
                ring.push_back(
                    g.lag
                        .map_or(u32::MAX, |l| l.min(u64::from(u32::MAX - 1)) as u32),
                );
            }
        }
        self.rates = rates;
        self.prev = Some(snap);
    }

    /// The last polls' lag of `group` in `stream`, oldest first.
    pub fn group_lag(&self, stream: &Name, group: &Name) -> Vec<Option<u64>> {
        self.streams
            .get(stream)
            .and_then(|s| s.groups.get(group))
            .map(|r| {
                r.iter()
                    .map(|v| (*v != u32::MAX).then_some(u64::from(*v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn latest(&self) -> Option<&Arc<Snapshot>> {
        self.prev.as_ref()
    }
}
