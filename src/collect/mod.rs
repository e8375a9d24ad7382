//! One poll = one pipelined round trip per node. Collection is a list of
//! reads (`read/`, one module each: its commands, the handling of their
//! replies, its section and its cadence); `plan.rs` sends them as one
//! pipeline and hands each reply back to its read; `merge.rs` joins the
//! nodes' parts; `cadence.rs` remembers what the last poll saw, so a stream
//! that did not move costs the server only its cheap reads. A command that
//! fails (ACL, renamed away, missing key) costs only its own section.

pub mod cadence;
pub mod collector;
pub mod health;
pub mod info;
pub mod insight;
pub mod keys;
mod merge;
pub mod parse;
pub mod plan;
pub mod read;
pub mod sampler;
pub mod streams;

use crate::config::{Profile, StreamSpec};
use crate::connect::{Deployment, Node};
use crate::error::{Failure, Result};
use crate::model::{
    GroupInfo, Name, NodeStatus, Problem, ProblemKind, Section, Snapshot, StreamInfo,
};
use redis::Value;
use std::collections::BTreeMap;

/// Which consumers to list with XINFO CONSUMERS (heavy on groups with thousands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerScope {
    /// Every configured group (one-off snapshot).
    Configured,
    /// Every group polled (a sampled snapshot's second poll).
    Every,
    /// Only these (stream, group) pairs: the open pending view's, and the one
    /// whose cached summary is oldest.
    Groups(Vec<(Name, Name)>),
    None,
}

/// What one poll asks for, beyond the always-on sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRequest {
    /// Streams to watch: configured first, then discovered.
    pub streams: Vec<StreamSpec>,
    /// Number of SLOWLOG entries to read (0: none).
    pub slowlog: u32,
    pub consumers: ConsumerScope,
    /// CLIENT LIST (clients pane open); rows kept at most.
    pub client_list: Option<usize>,
    /// XPENDING extended form: (stream, group, where the page starts, count).
    pub pending_page: Option<(Name, Name, PageStart, u32)>,
    /// The pending page holds only this consumer's entries.
    pub pending_consumer: Option<Name>,
    /// Consumers of the pending page's group whose oldest held entry is read.
    pub holders: Vec<Name>,
    /// Newest DLQ entries first: (dlq stream, where the page ends, count).
    pub dlq_page: Option<(Name, PageEnd, u32)>,
    /// One SCAN step for stream discovery: (cursor, count).
    pub discover: Option<(u64, u32)>,
    /// The node (index into the deployment's nodes) that runs that step:
    /// in a cluster each primary is scanned in turn, each with its cursor.
    pub discover_node: usize,
    /// Groups seen on the server in an earlier poll but not named in the
    /// profile, by stream: polled like configured ones (XPENDING summary),
    /// but not reported missing when they go.
    pub known_groups: BTreeMap<Name, Vec<Name>>,
    /// LATENCY HISTORY of this event (the Latency pane's selection).
    pub latency_history: Option<String>,
    /// The advisor's reads: MEMORY DOCTOR, LATENCY DOCTOR, COMMAND INFO of
    /// the dangerous commands, ACL GETUSER default.
    pub advisor: bool,
    /// One step of the key-family SCAN, and the keys of the previous step
    /// to probe (type, TTL, memory), on one node.
    pub keys: Option<KeyWork>,
    /// How each stream of `streams` is read this poll (same index), chosen
    /// by the dashboard's cadence. Missing entries: everything, through the
    /// body-dropping script (`redeye snapshot`, which has no previous poll).
    pub reads: Vec<cadence::StreamRead>,
    /// Which groups of each stream get their first undelivered entry read
    /// (same index), chosen by the health tracker. Missing entries: every
    /// group whose lag is not 0 (`redeye snapshot`).
    pub behind: Vec<health::Ask>,
}

/// Where a page of pending entries (oldest first) starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageStart {
    #[default]
    First,
    /// After this id (exclusive): the next page.
    After(String),
}

impl PageStart {
    /// The XPENDING start argument.
    pub fn arg(&self) -> String {
        match self {
            PageStart::First => "-".into(),
            PageStart::After(id) => format!("({id}"),
        }
    }

    /// As the snapshot's `after` field says it.
    pub fn shown(&self) -> String {
        match self {
            PageStart::First => "-".into(),
            PageStart::After(id) => id.clone(),
        }
    }
}

/// Where a page of DLQ entries (newest first) ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageEnd {
    #[default]
    Newest,
    /// Before this id (exclusive): the next, older page.
    Before(String),
}

impl PageEnd {
    /// The XREVRANGE end argument.
    pub fn arg(&self) -> String {
        match self {
            PageEnd::Newest => "+".into(),
            PageEnd::Before(id) => format!("({id}"),
        }
    }
}

/// One step of the key-family walk on node `node`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWork {
    pub node: usize,
    /// SCAN from this cursor (`None`: only probe, the pass on this node ended).
    pub scan: Option<u64>,
    pub probe: Vec<Name>,
}

/// What a key-family step returned.
#[derive(Debug, Clone, Default)]
pub struct KeyStep {
    /// The next cursor (0: this node's pass ended), if a SCAN was sent.
    pub cursor: Option<u64>,
    pub found: Vec<Name>,
    pub probes: Vec<keys::Probe>,
}

impl PollRequest {
    /// What `redeye snapshot` reads.
    pub fn snapshot(profile: &Profile) -> Self {
        PollRequest {
            streams: profile.streams.streams.clone(),
            slowlog: 10,
            consumers: ConsumerScope::Configured,
            client_list: None,
            pending_page: None,
            pending_consumer: None,
            holders: Vec::new(),
            dlq_page: None,
            discover: None,
            discover_node: 0,
            known_groups: BTreeMap::new(),
            latency_history: None,
            advisor: true,
            keys: None,
            reads: Vec::new(),
            behind: Vec::new(),
        }
    }

    /// Which groups of stream `i` get their first undelivered entry read.
    pub fn behind_of(&self, i: usize) -> &health::Ask {
        static ALL: health::Ask = health::Ask::All;
        self.behind.get(i).unwrap_or(&ALL)
    }

    /// How stream `i` is read this poll.
    pub fn read_of(&self, i: usize) -> cadence::StreamRead {
        self.reads.get(i).copied().unwrap_or_default()
    }

    /// Every group of stream `i` to poll: configured first, then those seen before.
    pub(crate) fn groups_of(&self, i: usize) -> Vec<Name> {
        let spec = &self.streams[i];
        let mut out: Vec<Name> = spec.groups.iter().map(|g| g.name.clone()).collect();
        if let Some(known) = self.known_groups.get(&spec.name) {
            for g in known {
                if !out.contains(g) {
                    out.push(g.clone());
                }
            }
        }
        out
    }

    /// Remember the unconfigured groups a snapshot saw, for the next poll.
    pub fn remember_groups(&mut self, snap: &Snapshot) {
        self.known_groups = seen_groups(snap);
    }
}

/// Groups that exist on the server but are not named in the profile.
pub fn seen_groups(snap: &Snapshot) -> BTreeMap<Name, Vec<Name>> {
    snap.streams
        .iter()
        .filter_map(|s| {
            let g: Vec<Name> = s
                .groups
                .iter()
                .filter(|g| g.exists && !g.configured)
                .map(|g| g.name.clone())
                .collect();
            (!g.is_empty()).then(|| (s.name.clone(), g))
        })
        .collect()
}

/// The result of a poll: the snapshot, and what discovery found.
pub struct PollOutcome {
    pub snapshot: Snapshot,
    /// Next SCAN cursor (0 = a full pass finished) and stream names found by this step.
    pub discovered: Option<(u64, Vec<Name>)>,
    /// Bytes of the request sent.
    pub request_bytes: usize,
    /// Cluster: CLUSTER INFO and CLUSTER NODES as this node answered them.
    cluster_info: Option<String>,
    cluster_nodes: Option<String>,
    /// A reply said the cluster's layout moved (MOVED, ASK, CLUSTERDOWN).
    moved: bool,
    /// The key-family step's results.
    pub key_step: Option<KeyStep>,
    /// Streams read in full this poll, with the size of the larger entry
    /// body at their head or tail (the cadence's choice of the script).
    pub bodies: BTreeMap<Name, u64>,
    /// What reads hand to their `after` steps.
    scratch: read::Scratch,
}

impl PollOutcome {
    fn new(snapshot: Snapshot) -> Self {
        PollOutcome {
            snapshot,
            discovered: None,
            request_bytes: 0,
            cluster_info: None,
            cluster_nodes: None,
            moved: false,
            key_step: None,
            bodies: BTreeMap::new(),
            scratch: Default::default(),
        }
    }
}

/// What one node of the deployment is asked in a poll.
pub(crate) struct Part<'a> {
    /// Whether this node owns a key (standalone, Sentinel: every key).
    pub owns: &'a (dyn Fn(&[u8]) -> bool + Sync),
    /// This node runs the poll's discovery SCAN step.
    pub scan: bool,
    /// This node runs the key-family step.
    pub keys: bool,
    /// Cluster: CLUSTER INFO on every node, CLUSTER NODES on the first.
    pub cluster: Option<bool>,
}

pub(crate) fn empty_stream(spec: &StreamSpec, configured: bool) -> StreamInfo {
    StreamInfo {
        name: spec.name.clone(),
        configured,
        exists: false,
        length: 0,
        first_id: None,
        last_id: None,
        last_generated_id: None,
        max_deleted_entry_id: None,
        entries_added: None,
        groups: Vec::new(),
        dlq: None,
        full_read_ms: None,
        node_time_ms: None,
    }
}

/// Add the SCAN results that are new: not configured, not already found, and
/// not DLQ streams (those are shown with their stream, not as streams of their own).
pub fn add_discovered(profile: &Profile, found: &mut Vec<Name>, keys: Vec<Name>) {
    let suffix = &profile.streams.dlq.suffix;
    let configured: std::collections::HashSet<&Name> =
        profile.streams.streams.iter().map(|s| &s.name).collect();
    let mut known: std::collections::HashSet<Name> = found.iter().cloned().collect();
    for k in keys {
        let is_dlq = !suffix.is_empty() && k.ends_with(suffix);
        if !configured.contains(&k) && !is_dlq && known.insert(k.clone()) {
            found.push(k);
        }
    }
}

/// A full discovery pass: stream names not in the profile (DLQ streams left
/// out), by SCAN ... TYPE stream, at most `max_steps` steps of 1,000 keys.
pub async fn discover_all(
    profile: &Profile,
    dep: &Deployment,
    max_steps: usize,
) -> Result<Vec<Name>> {
    let mut found = Vec::new();
    // Every primary holds its own share of the keyspace.
    for conn in dep.nodes() {
        let mut cursor = 0u64;
        for _ in 0..max_steps {
            let mut cmd = conn.cmd("SCAN").ok_or_else(|| {
                Failure::config(
                    "SCAN is disabled by this profile's rename_commands; drop --discover",
                )
            })?;
            cmd.arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .arg("TYPE")
                .arg("stream");
            let v: Value = conn.query(&cmd).await.map_err(|e| {
                Failure::runtime(format!(
                    "stream discovery (SCAN) failed on {}: {e}",
                    conn.endpoint
                ))
            })?;
            let Some((next, keys)) = crate::resp::scan(&v) else {
                break;
            };
            add_discovered(profile, &mut found, keys);
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// One collection pass as `redeye snapshot` does it: one round trip per
/// node, and a second one when the server has groups the profile does not
/// name (their XPENDING summaries need their names first).
pub async fn poll(profile: &Profile, dep: &Deployment) -> Result<Snapshot> {
    let mut req = PollRequest::snapshot(profile);
    snapshot_with(profile, dep, &mut req).await
}

/// [`poll`] with a request (streams found by `--discover` added).
pub async fn snapshot_with(
    profile: &Profile,
    dep: &Deployment,
    req: &mut PollRequest,
) -> Result<Snapshot> {
    let first = poll_with(profile, dep, req).await?.snapshot;
    let seen = seen_groups(&first);
    // XINFO GROUPS already says which hold nothing: no summary to fetch.
    let holding = first
        .streams
        .iter()
        .flat_map(|s| &s.groups)
        .any(|g| g.exists && !g.configured && g.pending > 0);
    if !holding {
        return Ok(first);
    }
    req.known_groups = seen;
    let mut second = poll_with(profile, dep, req).await?.snapshot;
    second.round_trips += first.round_trips;
    Ok(second)
}

/// `redeye snapshot` and `check`: [`snapshot_with`], then, `sample` later,
/// one more poll, so every group has its rates, ETA and status over that
/// span (`collect/health.rs`); the consumers' idle times are read for every
/// group in the second poll. With a zero `sample`: one poll, the time behind
/// only, the rest null with the reason.
pub async fn sampled(
    profile: &Profile,
    dep: &Deployment,
    req: &mut PollRequest,
    sample: std::time::Duration,
) -> Result<Snapshot> {
    let claim = profile.streams.claim_min_idle;
    let mut tracker = health::Tracker::one_shot(sample, profile.health_window);
    let mut first = snapshot_with(profile, dep, req).await?;
    tracker.observe(&mut first, claim);
    if sample.is_zero() {
        for g in first.streams.iter_mut().flat_map(|s| &mut s.groups) {
            g.health = Default::default();
            g.health.status_reason = Some(
                "one poll (--sample 0): rates, ETA and status need two polls some time apart"
                    .into(),
            );
        }
        return Ok(first);
    }
    tokio::time::sleep(sample).await;
    req.known_groups = seen_groups(&first);
    req.consumers = ConsumerScope::Every;
    // Every lagging group's first undelivered entry, read afresh: a
    // one-shot run's figures are exact.
    req.behind = Vec::new();
    let mut second = poll_with(profile, dep, req).await?.snapshot;
    second.round_trips += first.round_trips;
    tracker.observe(&mut second, claim);
    Ok(second)
}

/// One collection pass: one pipelined round trip per node, the nodes in
/// parallel, merged into one snapshot with a section per node.
pub async fn poll_with(
    profile: &Profile,
    dep: &Deployment,
    req: &PollRequest,
) -> Result<PollOutcome> {
    let cluster = dep.cluster().is_some();
    let scan_on = req.discover_node.min(dep.nodes().len().saturating_sub(1));
    let polls = dep.nodes().iter().enumerate().map(|(i, n)| async move {
        let owns = move |key: &[u8]| dep.owner_of(key) == i;
        let part = Part {
            owns: &owns,
            scan: i == scan_on,
            keys: req.keys.as_ref().is_some_and(|w| w.node == i),
            cluster: cluster.then_some(i == 0),
        };
        let started = std::time::Instant::now();
        let r = poll_node(profile, n, req, &part).await;
        (n, started.elapsed(), r)
    });
    let results = futures_util::future::join_all(polls).await;
    let nodes = results.len();
    let mut parts = Vec::new();
    // The primaries that did not answer, and why.
    let mut down: Vec<(crate::config::Endpoint, crate::error::Failure)> = Vec::new();
    for (i, (node, took, result)) in results.into_iter().enumerate() {
        let outcome = match result {
            Ok(o) => o,
            // A cluster primary that does not answer costs its part of the
            // snapshot, not the others': they are what the engineer needs
            // most while it is down. The layout is read again next poll.
            Err(e) if cluster && nodes > 1 => {
                let o = missing_part(profile, dep, req, i, node, &e);
                down.push((node.endpoint.clone(), e));
                o
            }
            Err(e) => return Err(e),
        };
        let status = NodeStatus {
            address: node.endpoint.to_string(),
            role: outcome
                .snapshot
                .server
                .as_ref()
                .map(|s| s.role.clone())
                .unwrap_or_else(|| "unreachable".into()),
            poll_ms: took.as_secs_f64() * 1000.0,
            memory: outcome.snapshot.memory.clone(),
            client_name: node.named(),
        };
        parts.push((status, outcome));
    }
    // Nothing answered (the link itself, a tunnel, is down): an error, and
    // the next connect tries every node afresh.
    if down.len() == nodes {
        return Err(down.swap_remove(0).1);
    }
    if !down.is_empty() {
        // The reconnect this causes does not wait for them again.
        for (at, why) in &down {
            dep.link().note_down(at, &why.to_string());
        }
        dep.mark_stale();
    }
    let mut merged = merge::merge(profile, dep, req, parts)?;
    merged.snapshot.deployment = deployment_info(dep, &merged.snapshot);
    Ok(merged)
}

/// The deployment's layout, with each replica's lag as the master reports it.
fn deployment_info(dep: &Deployment, snap: &Snapshot) -> crate::model::DeploymentInfo {
    let mut info = dep.info();
    if let Some(server) = &snap.server {
        for r in &mut info.replicas {
            if let Some(l) = server.replicas.iter().find(|l| l.address == r.address) {
                r.lag_bytes = Some(server.repl_offset.saturating_sub(l.offset));
                r.lag_s = Some(l.lag_s);
            } else if let Some(o) = r.offset {
                r.lag_bytes = Some(server.repl_offset.saturating_sub(o));
            }
        }
    }
    info
}

/// A node's snapshot before anything is read: every requested stream
/// present as not (yet) existing.
fn base_snapshot(profile: &Profile, conn: &Node, req: &PollRequest, now: u64) -> Snapshot {
    // A set, not a scan of the profile per stream: 10,000 streams made that
    // 100 million comparisons a poll.
    let configured: std::collections::HashSet<&Name> =
        profile.streams.streams.iter().map(|s| &s.name).collect();
    Snapshot {
        schema: crate::model::SCHEMA_VERSION,
        taken_at_ms: now,
        profile: profile.name.clone(),
        endpoint: conn.endpoint.to_string(),
        mode: profile.target.mode(),
        round_trips: 0,
        server: None,
        memory: None,
        clients: None,
        stats: None,
        persistence: None,
        keyspace: Vec::new(),
        config: None,
        streams: req
            .streams
            .iter()
            .map(|s| empty_stream(s, configured.contains(&s.name)))
            .collect(),
        slowlog: None,
        client_list: None,
        pending_page: None,
        pending_consumers: None,
        dlq_page: None,
        problems: Vec::new(),
        nodes: Vec::new(),
        deployment: Default::default(),
        cluster: None,
        latency: None,
        advisor: None,
        keys: None,
    }
}

/// The part of a cluster primary that did not answer: nothing read, a
/// `Section::Node` problem saying why, and one problem per stream and DLQ
/// it owns, so they read "not read", never "missing".
fn missing_part(
    profile: &Profile,
    dep: &Deployment,
    req: &PollRequest,
    i: usize,
    node: &Node,
    e: &crate::error::Failure,
) -> PollOutcome {
    let mut snap = base_snapshot(profile, node, req, crate::time::now_ms());
    let problem = |section: Section, message: String| Problem {
        section,
        node: None,
        command: String::new(),
        kind: ProblemKind::Error,
        message,
    };
    // The slots it serves and the streams that live there: what the
    // engineer cannot see while it is down.
    let slots = dep
        .cluster()
        .and_then(|l| l.shards.get(i))
        .map(|s| merge::slot_ranges(&s.slots))
        .unwrap_or_default();
    let there: Vec<String> = req
        .streams
        .iter()
        .filter(|s| dep.owner_of(s.name.as_bytes()) == i)
        .map(|s| s.name.escaped())
        .collect();
    snap.problems.push(problem(
        Section::Node,
        format!(
            "{} unreachable{}{}: {}",
            node.endpoint,
            if slots.is_empty() {
                String::new()
            } else {
                format!(" (slots {slots})")
            },
            if there.is_empty() {
                String::new()
            } else {
                format!("; its streams not read: {}", there.join(", "))
            },
            crate::sanitize::text(&e.to_string())
        ),
    ));
    let dlq = &profile.streams.dlq;
    for s in &req.streams {
        let why = || format!("not read: its node {} did not answer", node.endpoint);
        if dep.owner_of(s.name.as_bytes()) == i {
            snap.problems
                .push(problem(Section::Stream(s.name.clone()), why()));
        }
        let d = dlq.stream_for(&s.name);
        if dlq.enabled && dep.owner_of(d.as_bytes()) == i {
            snap.problems.push(problem(Section::Dlq(d), why()));
        }
    }
    PollOutcome::new(snap)
}

/// One node's share of a poll: exactly one pipelined round trip. Every read
/// adds its commands to the plan (`read::plan_all`), the plan is sent, and
/// each reply goes to the handler of the read that asked for it.
async fn poll_node(
    profile: &Profile,
    conn: &Node,
    req: &PollRequest,
    part: &Part<'_>,
) -> Result<PollOutcome> {
    let now = crate::time::now_ms();
    let snap = base_snapshot(profile, conn, req, now);
    let cx = read::Ctx { profile, req, part };
    let mut plan = plan::Plan::new(conn);
    read::plan_all(&cx, &mut plan);
    let mut out = PollOutcome::new(snap);
    plan.run(&mut out).await?;
    Ok(out)
}

pub(crate) fn missing_group(name: &Name) -> GroupInfo {
    GroupInfo {
        name: name.clone(),
        configured: true,
        exists: false,
        consumers: 0,
        pending: 0,
        last_delivered_id: None,
        entries_read: None,
        lag: None,
        lag_unavailable_reason: Some("the group does not exist on the server".into()),
        oldest_pending_id: None,
        oldest_pending_age_ms: None,
        last_delivered_age_ms: None,
        pending_by_consumer: Vec::new(),
        consumer_summary: None,
        behind_reason: Some("the group does not exist on the server".into()),
        ..Default::default()
    }
}
