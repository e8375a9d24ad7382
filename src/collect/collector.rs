//! The collector task: owns the connection, polls on its own clock, and sends
//! immutable snapshots to the UI over a channel. The UI never awaits Redis.
//!
//! On error it keeps nothing half-done: the UI keeps the last snapshot and
//! marks it stale; the collector reconnects with exponential backoff.

use super::{ConsumerScope, PollRequest, poll_with};
use crate::config::{Profile, StreamSpec};
use crate::connect::{Deployment, Link};
use crate::model::{Name, Snapshot};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the open panes need beyond the always-on sections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Needs {
    pub client_list: bool,
    /// The group whose pending view is open: its consumers and a page of entries.
    pub pending: Option<(Name, Name, super::PageStart)>,
    /// The pending view shows only this consumer's entries.
    pub pending_consumer: Option<Name>,
    /// The DLQ stream whose entries are shown, and where its page ends.
    pub dlq: Option<(Name, super::PageEnd)>,
    /// The Keys pane is open: walk the keyspace, one bounded step a poll.
    pub keys: bool,
    /// The Advisor pane is open: its extra reads.
    pub advisor: bool,
    /// The Latency pane's selected event: its LATENCY HISTORY.
    pub latency_event: Option<String>,
}

#[derive(Debug)]
pub enum ToCollector {
    Refresh,
    Pause(bool),
    Interval(Duration),
    Needs(Needs),
    /// Read one entry (the message body behind a pending id).
    Fetch {
        stream: Name,
        id: String,
    },
}

#[derive(Debug, Clone)]
pub enum FromCollector {
    Connected,
    Snapshot(Arc<Snapshot>),
    /// Connection lost or not yet made; `attempt` counts reconnection tries.
    Failed {
        error: String,
        attempt: u32,
        retry_in: Duration,
        cause: Cause,
    },
    /// The answer to a `Fetch`: `None` when the entry no longer exists.
    Entry {
        stream: Name,
        id: String,
        entry: Option<crate::model::StreamEntry>,
    },
}

/// Why the collector has no fresh data: what the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The server did not answer, refused, or the connection dropped: the
    /// data on screen is stale.
    #[default]
    Lost,
    /// The SSH tunnel's master is down: nothing behind it can be reached
    /// until it is restarted.
    TunnelDown,
    /// The server answered but refused: the login (AUTH / ACL) or a
    /// command the poll needs. Retrying will not help until someone
    /// changes the profile or the ACL.
    Refused,
}

impl Cause {
    /// The cause of a failure to reach the deployment through `link` now.
    pub fn of(link: &Link) -> Self {
        Cause::given(link.tunnel().map(|t| t.status()).as_ref())
    }

    /// The cause, given the tunnel's state (`None`: no tunnel).
    fn given(tunnel: Option<&crate::model::TunnelStatus>) -> Self {
        match tunnel {
            Some(t) if !t.up => Cause::TunnelDown,
            _ => Cause::Lost,
        }
    }
}

/// Tuning of discovery and paging.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Poll every Nth tick with one SCAN step (COUNT `scan_count`) while a pass runs.
    pub discover_every: u64,
    pub scan_count: u32,
    /// Pause between two full discovery passes.
    pub discover_pause: Duration,
    /// Streams watched at most (configured + discovered).
    pub max_streams: usize,
    pub page_size: u32,
    pub client_rows: usize,
    pub slowlog: u32,
    /// How often each configured group's consumers are summarised (XINFO CONSUMERS).
    pub consumers_every: Duration,
    /// Pause between two key-family passes.
    pub keys_pause: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            discover_every: 5,
            scan_count: 1000,
            discover_pause: Duration::from_secs(30),
            max_streams: 2000,
            page_size: 200,
            client_rows: 1000,
            slowlog: 32,
            consumers_every: Duration::from_secs(30),
            keys_pause: Duration::from_secs(60),
        }
    }
}

pub struct Handle {
    pub tx: mpsc::UnboundedSender<ToCollector>,
    pub rx: mpsc::Receiver<FromCollector>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Poll the profile's deployment, reached directly (tests, tools).
pub fn spawn(profile: Profile, limits: Limits) -> Handle {
    let (tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(async move {
        let link = Link::open_with(&profile, false).await;
        match link {
            Ok(link) => run(link, limits, cmd_rx, ev_tx).await,
            Err(e) => {
                let _ = failed(&ev_tx, &mut 0, e, Cause::Lost).await;
            }
        }
    });
    Handle { tx, rx, task }
}

/// Poll through an open link (its SSH tunnel and Sentinel watch are shared
/// with the writes the dashboard makes).
pub fn spawn_on(link: Link, limits: Limits) -> Handle {
    let (tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(run(link, limits, cmd_rx, ev_tx));
    Handle { tx, rx, task }
}

/// The dashboard's poll: what to ask for (the open panes' needs, discovery,
/// the cadence), one round trip per node, and what is remembered between
/// polls (discovered streams, consumer summaries, the last CLIENT LIST, the
/// key walk, the cadence's memory). The collector task drives it;
/// `redeye bench` drives the same one.
pub struct Poller {
    profile: Profile,
    limits: Limits,
    interval: Duration,
    paused: bool,
    needs: Needs,
    discovered: Vec<Name>,
    cursor: Option<u64>,
    /// The node whose keyspace the discovery pass is walking (Cluster: each
    /// primary in turn).
    scan_node: usize,
    next_pass: Instant,
    tick: u64,
    /// The last CLIENT LIST read.
    clients: Option<crate::model::ClientList>,
    /// Groups seen on the server that the profile does not name, by stream:
    /// the next poll reads their XPENDING summary too.
    known_groups: std::collections::BTreeMap<Name, Vec<Name>>,
    /// Consumer summaries by (stream, group), with when they were read.
    consumers: std::collections::HashMap<(Name, Name), (crate::model::ConsumerSummary, Instant)>,
    /// The last consumers table of the open pending view (its holders'
    /// oldest entries are read next poll).
    table: Option<crate::model::ConsumerTable>,
    /// The key-family walk (advances only while the Keys pane is open).
    keys: super::keys::Walk,
    /// What the last polls saw of each stream.
    pub memory: super::cadence::Memory,
    /// What the last polls saw of each group: time behind, rates, status.
    pub health: super::health::Tracker,
}

impl Poller {
    pub fn new(profile: Profile, limits: Limits) -> Self {
        Poller {
            keys: super::keys::Walk::new(&profile, limits.keys_pause),
            interval: profile.refresh,
            health: super::health::Tracker::new(profile.health_window),
            profile,
            limits,
            paused: false,
            needs: Needs::default(),
            discovered: Vec::new(),
            cursor: None,
            scan_node: 0,
            next_pass: Instant::now(),
            tick: 0,
            clients: None,
            table: None,
            known_groups: Default::default(),
            consumers: Default::default(),
            memory: Default::default(),
        }
    }

    /// What the open panes need (as the dashboard sends it).
    pub fn set_needs(&mut self, needs: Needs) {
        self.needs = needs;
    }

    /// One poll of `dep`, with everything the dashboard does with it.
    pub async fn poll(&mut self, dep: &Deployment) -> crate::error::Result<Snapshot> {
        let req = self.request();
        let mut outcome = poll_with(&self.profile, dep, &req).await?;
        if let Some((cursor, keys)) = outcome.discovered.take() {
            self.discovered(cursor, keys, dep.nodes().len());
        }
        let dbsize: u64 = outcome
            .snapshot
            .keyspace
            .iter()
            .filter(|d| i64::from(d.db) == self.profile.db)
            .map(|d| d.keys)
            .sum();
        if let (Some(asked), Some(got)) = (&req.keys, outcome.key_step.take()) {
            self.keys
                .step(asked, got, dep.nodes().len(), dbsize, crate::time::now_ms());
        }
        let mut snap = outcome.snapshot;
        snap.keys = self.keys.report(dbsize);
        self.memory.apply(&mut snap, &req.reads, &outcome.bodies);
        self.merge_consumers(&mut snap);
        self.health
            .observe(&mut snap, self.profile.streams.claim_min_idle);
        self.known_groups = super::seen_groups(&snap);
        self.table = snap.pending_consumers.clone();
        // Keep showing the last CLIENT LIST between throttled reads.
        match (&snap.client_list, self.needs.client_list) {
            (Some(c), _) => self.clients = Some(c.clone()),
            (None, true) => snap.client_list = self.clients.clone(),
            (None, false) => self.clients = None,
        }
        Ok(snap)
    }

    fn request(&mut self) -> PollRequest {
        let mut streams = self.profile.streams.streams.clone();
        for d in &self.discovered {
            if streams.len() >= self.limits.max_streams {
                break;
            }
            streams.push(StreamSpec {
                name: d.clone(),
                groups: Vec::new(),
            });
        }
        self.tick += 1;
        let discover = if self.tick.is_multiple_of(self.limits.discover_every) {
            match self.cursor {
                Some(c) => Some((c, self.limits.scan_count)),
                None if Instant::now() >= self.next_pass => Some((0, self.limits.scan_count)),
                None => None,
            }
        } else {
            None
        };
        let mut groups = Vec::new();
        let pending_page = self.needs.pending.as_ref().map(|(s, g, start)| {
            groups.push((s.clone(), g.clone()));
            (s.clone(), g.clone(), start.clone(), self.limits.page_size)
        });
        // XINFO CONSUMERS is heavy on groups with thousands: each configured
        // group's summary is read every `consumers_every`, and each group
        // with work undelivered or held (the health status needs its
        // consumers' idle times) every half window, the stalest first, a
        // few per poll so the reads spread over the interval.
        let half_window = self.health.window / 2;
        let watched: std::collections::HashSet<(Name, Name)> =
            self.health.watched().into_iter().collect();
        let age = |k: &(Name, Name)| self.consumers.get(k).map(|(_, at)| *at);
        // The watched groups (work undelivered or held): every half window,
        // spread over its polls, the stalest first.
        let mut due: Vec<((Name, Name), Option<Instant>)> = watched
            .iter()
            .filter(|k| !groups.contains(k))
            .map(|k| (k.clone(), age(k)))
            .filter(|(_, at)| {
                at.is_none_or(|t| t.elapsed() >= half_window.min(self.limits.consumers_every))
            })
            .collect();
        due.sort_by_key(|(_, at)| *at);
        let polls = (half_window.as_millis() / self.interval.as_millis().max(1)).max(1) as usize;
        let per_poll = watched.len().div_ceil(polls).max(1);
        let mut stale: Vec<(Name, Name)> = due.into_iter().take(per_poll).map(|(k, _)| k).collect();
        // And one configured group a poll whose summary is older than
        // `consumers_every` (the Streams pane's active count).
        let configured = self
            .profile
            .streams
            .streams
            .iter()
            .flat_map(|s| {
                s.groups
                    .iter()
                    .map(move |g| (s.name.clone(), g.name.clone()))
            })
            .filter(|k| !groups.contains(k) && !watched.contains(k))
            .map(|k| {
                let at = age(&k);
                (k, at)
            })
            .filter(|(_, at)| at.is_none_or(|t| t.elapsed() >= self.limits.consumers_every))
            .min_by_key(|(_, at)| *at)
            .map(|(k, _)| k);
        stale.extend(configured);
        groups.extend(stale);
        let consumers = if groups.is_empty() {
            ConsumerScope::None
        } else {
            ConsumerScope::Groups(groups)
        };
        let reads = self.memory.plan(&streams);
        let behind = self.health.asks(&streams);
        let holders = match (&self.needs.pending, &self.table) {
            (Some((s, g, _)), Some(t)) if &t.stream == s && &t.group == g => t
                .rows
                .iter()
                .filter(|r| r.pending > 0)
                .take(50)
                .map(|r| r.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        PollRequest {
            behind,
            holders,
            pending_consumer: self.needs.pending_consumer.clone(),
            streams,
            slowlog: self.limits.slowlog,
            consumers,
            // On a server with thousands of clients, CLIENT LIST is read every 5th tick.
            client_list: (self.needs.client_list
                && (self
                    .clients
                    .as_ref()
                    .is_none_or(|c| c.total <= self.limits.client_rows)
                    || self.tick.is_multiple_of(5)))
            .then_some(self.limits.client_rows),
            pending_page,
            dlq_page: self
                .needs
                .dlq
                .as_ref()
                .map(|(s, end)| (s.clone(), end.clone(), self.limits.page_size)),
            discover,
            discover_node: self.scan_node,
            known_groups: self.known_groups.clone(),
            latency_history: self.needs.latency_event.clone(),
            advisor: self.needs.advisor,
            keys: self
                .needs
                .keys
                .then(|| self.keys.work(crate::time::now_ms()))
                .flatten(),
            reads,
        }
    }

    /// Remember fresh consumer summaries; fill the others from the cache.
    fn merge_consumers(&mut self, snap: &mut Snapshot) {
        for s in &mut snap.streams {
            for g in &mut s.groups {
                let key = (s.name.clone(), g.name.clone());
                // A group (or stream) that is gone has no consumers: never
                // show a remembered summary beside it.
                if !g.exists {
                    self.consumers.remove(&key);
                    g.consumer_summary = None;
                    continue;
                }
                match &g.consumer_summary {
                    Some(c) => {
                        self.consumers.insert(key, (c.clone(), Instant::now()));
                    }
                    None => g.consumer_summary = self.consumers.get(&key).map(|(c, _)| c.clone()),
                }
            }
        }
    }

    fn discovered(&mut self, cursor: u64, keys: Vec<Name>, nodes: usize) {
        super::add_discovered(&self.profile, &mut self.discovered, keys);
        self.discovered.sort();
        self.cursor = (cursor != 0).then_some(cursor);
        if cursor == 0 {
            if self.scan_node + 1 < nodes {
                // This node is done; the next one starts at cursor 0.
                self.scan_node += 1;
                self.cursor = Some(0);
            } else {
                self.scan_node = 0;
                self.next_pass = Instant::now() + self.limits.discover_pause;
            }
        }
    }

    fn apply(&mut self, cmd: ToCollector) -> bool {
        match cmd {
            ToCollector::Refresh => {
                // A forced refresh (and the one after a write) trusts nothing remembered.
                self.memory.reset();
                true
            }
            ToCollector::Pause(p) => {
                self.paused = p;
                !p
            }
            ToCollector::Interval(d) => {
                self.interval = d;
                false
            }
            ToCollector::Needs(n) => {
                let changed = n != self.needs;
                self.needs = n;
                changed
            }
            ToCollector::Fetch { .. } => false,
        }
    }
}

async fn run(
    link: Link,
    limits: Limits,
    mut cmds: mpsc::UnboundedReceiver<ToCollector>,
    events: mpsc::Sender<FromCollector>,
) {
    let profile = link.profile().clone();
    let mut st = Poller::new(profile, limits);
    let mut conn: Option<Deployment> = None;
    let mut attempt: u32 = 0;
    loop {
        // Fixed rate: the next poll is due one interval after this one
        // started, not after it ended (a slow link must not stretch it).
        let started = Instant::now();
        let mut wait = st.interval;
        // Sentinel named another master: drop the old one at once (it may be
        // a replica now, and reads there would look healthy).
        if conn.as_ref().is_some_and(|c| !c.is_current()) {
            conn = None;
        }
        if conn.is_none() {
            match link.connect().await {
                Ok(c) => {
                    conn = Some(c);
                    attempt = 0;
                    // Another server (a failover, a restart): read everything afresh.
                    st.memory.reset();
                    if events.send(FromCollector::Connected).await.is_err() {
                        return;
                    }
                }
                Err(e) => match failed(&events, &mut attempt, e, Cause::of(&link)).await {
                    Some(w) => wait = w,
                    None => return,
                },
            }
        }
        if let Some(c) = &conn
            && !st.paused
        {
            match st.poll(c).await {
                Ok(snap) => {
                    if events
                        .send(FromCollector::Snapshot(Arc::new(snap)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    conn = None;
                    // A dead ssh master is why every poll fails: say so.
                    let tunnel = link.tunnel().map(|t| t.status());
                    let cause = Cause::given(tunnel.as_ref());
                    let e = match tunnel {
                        Some(t) if cause == Cause::TunnelDown => {
                            crate::error::Failure::runtime(format!(
                                "tunnel down · reconnecting: the ssh master for {} exited ({e})",
                                t.via
                            ))
                        }
                        _ => e,
                    };
                    match failed(&events, &mut attempt, e, cause).await {
                        Some(w) => wait = w,
                        None => return,
                    }
                }
            }
        }
        // Wait for the next tick, or a command that wants a poll now.
        // A fixed rate while polls succeed; after a failure, the backoff
        // counts from now (a slow failure must not turn into no backoff).
        let deadline = if conn.is_some() {
            started + wait
        } else {
            Instant::now() + wait
        };
        loop {
            let changed = async {
                match &conn {
                    Some(c) => c.changed().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                // Commands already queued are applied before an overdue poll.
                biased;
                cmd = cmds.recv() => match cmd {
                    None => return,
                    Some(ToCollector::Fetch { stream, id }) => {
                        if let Some(c) = &conn {
                            let entry = fetch(c, &stream, &id).await;
                            if events.send(FromCollector::Entry { stream, id, entry }).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(cmd) => if st.apply(cmd) && conn.is_some() { break },
                },
                _ = tokio::time::sleep_until(deadline) => break,
                _ = changed => break,
            }
        }
    }
}

/// Count the failure, tell the UI; the backoff to wait, or `None` when the UI is gone.
async fn failed(
    events: &mpsc::Sender<FromCollector>,
    attempt: &mut u32,
    e: crate::error::Failure,
    cause: Cause,
) -> Option<Duration> {
    *attempt += 1;
    let wait = backoff(*attempt);
    let cause = match e {
        crate::error::Failure::Refused(_) => Cause::Refused,
        _ => cause,
    };
    let msg = FromCollector::Failed {
        error: e.to_string(),
        attempt: *attempt,
        retry_in: wait,
        cause,
    };
    events.send(msg).await.ok().map(|_| wait)
}

async fn fetch(dep: &Deployment, stream: &Name, id: &str) -> Option<crate::model::StreamEntry> {
    let node = dep.node_for_key(stream);
    let mut cmd = node.cmd("XRANGE")?;
    cmd.arg(stream).arg(id).arg(id);
    let v: redis::Value = node.query(&cmd).await.ok()?;
    crate::resp::entries(&v).into_iter().next()
}

/// 250ms, 500ms, 1s, ... up to 10s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 250u64.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(10_000))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        use super::backoff;
        assert_eq!(backoff(1).as_millis(), 250);
        assert_eq!(backoff(2).as_millis(), 500);
        assert_eq!(backoff(20).as_millis(), 10_000);
    }
}
