//! One poll = one pipelined round trip per node. The plan lists every command
//! the open panes need; replies are matched back to the plan and parsed by
//! pure functions. A command that fails (ACL, renamed away, missing key) costs
//! only its own section.

pub mod collector;
pub mod info;
pub mod insight;
pub mod keys;
mod merge;
pub mod parse;
pub mod sampler;
pub mod streams;

use crate::config::{Profile, StreamSpec};
use crate::connect::{Deployment, ErrorKind, Node, NodeError};
use crate::error::{Failure, Result};
use crate::model::{
    DlqInfo, EntryPage, GroupInfo, Name, NodeStatus, PendingPage, Problem, ProblemKind,
    ServerConfig, Snapshot, StreamInfo,
};
use redis::Value;
use std::collections::BTreeMap;

/// Which consumers to list with XINFO CONSUMERS (heavy on groups with thousands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerScope {
    /// Every configured group (one-off snapshot).
    Configured,
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
    /// XPENDING extended form: (stream, group, after id ("-" = start), count).
    pub pending_page: Option<(Name, Name, String, u32)>,
    /// Newest DLQ entries: (dlq stream, before id ("+" = newest), count).
    pub dlq_page: Option<(Name, String, u32)>,
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
            dlq_page: None,
            discover: None,
            discover_node: 0,
            known_groups: BTreeMap::new(),
            latency_history: None,
            advisor: true,
            keys: None,
        }
    }

    /// Every group of stream `i` to poll: configured first, then those seen before.
    fn groups_of(&self, i: usize) -> Vec<Name> {
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
}

/// What one pipelined command is for.
enum Slot {
    Info,
    ConfigGet,
    SlowlogGet,
    SlowlogLen,
    ClientList,
    Stream(usize),
    Groups(usize),
    Pending(usize, Name),
    Consumers(usize, Name),
    DlqLen(usize),
    PendingPage,
    DlqPage,
    Scan,
    ClusterInfo,
    ClusterNodes,
    LatencyLatest,
    LatencyHistory,
    MemoryDoctor,
    LatencyDoctor,
    CommandInfo,
    AclDefault,
    KeyScan,
    KeyType(usize),
    KeyTtl(usize),
    KeyMem(usize),
}

impl Slot {
    fn command(&self) -> &'static str {
        match self {
            Slot::Info => "INFO",
            Slot::ConfigGet => "CONFIG",
            Slot::SlowlogGet | Slot::SlowlogLen => "SLOWLOG",
            Slot::ClientList => "CLIENT",
            Slot::Stream(_) | Slot::Groups(_) | Slot::Consumers(..) => "XINFO",
            Slot::Pending(..) | Slot::PendingPage => "XPENDING",
            // XINFO STREAM, not XLEN: the first and last ids give the DLQ's ages.
            Slot::DlqLen(_) => "XINFO",
            Slot::DlqPage => "XREVRANGE",
            Slot::Scan => "SCAN",
            Slot::ClusterInfo | Slot::ClusterNodes => "CLUSTER",
            Slot::LatencyLatest | Slot::LatencyHistory | Slot::LatencyDoctor => "LATENCY",
            Slot::MemoryDoctor | Slot::KeyMem(_) => "MEMORY",
            Slot::CommandInfo => "COMMAND",
            Slot::AclDefault => "ACL",
            Slot::KeyScan => "SCAN",
            Slot::KeyType(_) => "TYPE",
            Slot::KeyTtl(_) => "PTTL",
        }
    }

    fn section(&self, req: &PollRequest, dlq: &crate::config::DlqSettings) -> String {
        match self {
            Slot::Info => "server, memory, clients, stats, persistence, keyspace".into(),
            Slot::ConfigGet => "config".into(),
            Slot::SlowlogGet | Slot::SlowlogLen => "slowlog".into(),
            Slot::ClientList => "client list".into(),
            Slot::Stream(i) | Slot::Groups(i) => format!("stream {}", req.streams[*i].name),
            Slot::Pending(i, g) | Slot::Consumers(i, g) => {
                format!("stream {} group {g}", req.streams[*i].name)
            }
            Slot::DlqLen(i) => format!("dlq {}", dlq.stream_for(&req.streams[*i].name)),
            Slot::PendingPage => "pending entries".into(),
            Slot::DlqPage => "dlq entries".into(),
            Slot::Scan => "stream discovery".into(),
            Slot::ClusterInfo | Slot::ClusterNodes => "cluster".into(),
            Slot::LatencyLatest | Slot::LatencyHistory => "latency".into(),
            Slot::MemoryDoctor | Slot::LatencyDoctor | Slot::CommandInfo | Slot::AclDefault => {
                "advisor".into()
            }
            Slot::KeyScan | Slot::KeyType(_) | Slot::KeyTtl(_) | Slot::KeyMem(_) => "keys".into(),
        }
    }
}

/// What one node of the deployment is asked in a poll.
struct Part<'a> {
    /// Whether this node owns a key (standalone, Sentinel: every key).
    owns: &'a (dyn Fn(&[u8]) -> bool + Sync),
    /// This node runs the poll's discovery SCAN step.
    scan: bool,
    /// This node runs the key-family step.
    keys: bool,
    /// Cluster: CLUSTER INFO on every node, CLUSTER NODES on the first.
    cluster: Option<bool>,
}

/// Build the commands of one poll, in order, skipping those the profile disables.
fn plan(
    profile: &Profile,
    conn: &Node,
    req: &PollRequest,
    part: &Part,
    problems: &mut Vec<Problem>,
) -> (redis::Pipeline, Vec<Slot>) {
    let mut pipe = redis::pipe();
    let mut slots = Vec::new();
    let dlq = &profile.streams.dlq;
    // XINFO STREAM and the DLQ page through the scripts that drop entry
    // bodies, where loaded.
    let evalsha = conn.cmd("EVALSHA");
    let stream_sha = conn.stream_script().filter(|_| evalsha.is_some());
    let page_sha = conn.dlq_page_script().filter(|_| evalsha.is_some());
    let mut add = |slot: Slot, args: Vec<Vec<u8>>| match conn.cmd(slot.command()) {
        Some(plain) => {
            let script = |sha: &String, keys_and_args: &[&[u8]]| {
                let mut c = evalsha.clone().expect("checked with the sha");
                c.arg(sha).arg(1);
                for a in keys_and_args {
                    c.arg(*a);
                }
                c
            };
            let c = match (&slot, &stream_sha, &page_sha) {
                // args: "STREAM", name
                (Slot::Stream(_) | Slot::DlqLen(_), Some(sha), _) => {
                    script(sha, &[args.last().map(Vec::as_slice).unwrap_or_default()])
                }
                // args: stream, end, "-", "COUNT", count
                (Slot::DlqPage, _, Some(sha)) => script(
                    sha,
                    &[
                        &args[0],
                        &args[1],
                        args.get(4).map(Vec::as_slice).unwrap_or_default(),
                        crate::model::dlq::FIELDS.join(",").as_bytes(),
                    ],
                ),
                _ => {
                    let mut c = plain;
                    for a in args {
                        c.arg(a);
                    }
                    c
                }
            };
            pipe.add_command(c);
            slots.push(slot);
        }
        None => problems.push(Problem {
            section: slot.section(req, dlq),
            command: slot.command().to_string(),
            kind: ProblemKind::Disabled,
            message: format!(
                "{} is disabled by this profile's rename_commands",
                slot.command()
            ),
        }),
    };
    // Arguments as bytes: names are sent exactly as the server holds them.
    fn b(x: impl AsRef<[u8]>) -> Vec<u8> {
        x.as_ref().to_vec()
    }
    let s = |v: &[&str]| v.iter().map(b).collect::<Vec<_>>();
    add(Slot::Info, vec![]);
    let mut config = vec![b("GET")];
    config.extend(insight::SETTINGS.iter().map(b));
    add(Slot::ConfigGet, config);
    add(Slot::LatencyLatest, s(&["LATEST"]));
    if let Some(e) = &req.latency_history {
        add(Slot::LatencyHistory, vec![b("HISTORY"), b(e)]);
    }
    if req.advisor {
        add(Slot::MemoryDoctor, s(&["DOCTOR"]));
        add(Slot::LatencyDoctor, s(&["DOCTOR"]));
        let mut info = vec![b("INFO")];
        info.extend(insight::DANGEROUS.iter().map(b));
        add(Slot::CommandInfo, info);
        add(Slot::AclDefault, s(&["GETUSER", "default"]));
    }
    if let Some(cursor) = req.keys.as_ref().filter(|_| part.keys).and_then(|w| w.scan) {
        add(
            Slot::KeyScan,
            vec![b(cursor.to_string()), b("COUNT"), b(keys::STEP.to_string())],
        );
    }
    if let Some(w) = &req.keys {
        // Each probed key on the node that owns it.
        for (i, k) in w
            .probe
            .iter()
            .enumerate()
            .filter(|(_, k)| (part.owns)(k.as_bytes()))
        {
            let slots = [Slot::KeyType(i), Slot::KeyTtl(i), Slot::KeyMem(i)];
            for (slot, (_, args)) in slots.into_iter().zip(keys::probe_commands(k)) {
                add(slot, args);
            }
        }
    }
    if req.slowlog > 0 {
        add(Slot::SlowlogGet, vec![b("GET"), b(req.slowlog.to_string())]);
        add(Slot::SlowlogLen, s(&["LEN"]));
    }
    if req.client_list.is_some() {
        add(Slot::ClientList, s(&["LIST"]));
    }
    if let Some(first) = part.cluster {
        add(Slot::ClusterInfo, s(&["INFO"]));
        if first {
            add(Slot::ClusterNodes, s(&["NODES"]));
        }
    }
    for (i, spec) in req.streams.iter().enumerate() {
        let name = spec.name.as_bytes();
        let dlq_name = dlq.stream_for(&spec.name);
        if dlq.enabled && (part.owns)(dlq_name.as_bytes()) {
            add(Slot::DlqLen(i), vec![b("STREAM"), dlq_name.into_bytes()]);
        }
        if !(part.owns)(name) {
            continue;
        }
        add(Slot::Stream(i), vec![b("STREAM"), b(name)]);
        add(Slot::Groups(i), vec![b("GROUPS"), b(name)]);
        for g in req.groups_of(i) {
            add(Slot::Pending(i, g.clone()), vec![b(name), b(g.as_bytes())]);
            let wanted = match &req.consumers {
                ConsumerScope::Configured => spec.groups.iter().any(|c| c.name == g),
                ConsumerScope::Groups(list) => {
                    list.iter().any(|(st, gr)| st == &spec.name && gr == &g)
                }
                ConsumerScope::None => false,
            };
            if wanted {
                add(
                    Slot::Consumers(i, g.clone()),
                    vec![b("CONSUMERS"), b(name), g.into_bytes()],
                );
            }
        }
    }
    if let Some((stream, group, after, count)) = req
        .pending_page
        .as_ref()
        .filter(|(stream, ..)| (part.owns)(stream.as_bytes()))
    {
        let start = if after == "-" {
            "-".to_string()
        } else {
            format!("({after}")
        };
        add(
            Slot::PendingPage,
            vec![
                b(stream.as_bytes()),
                b(group.as_bytes()),
                b(start),
                b("+"),
                b(count.to_string()),
            ],
        );
    }
    if let Some((stream, before, count)) = req
        .dlq_page
        .as_ref()
        .filter(|(stream, ..)| (part.owns)(stream.as_bytes()))
    {
        let end = if before == "+" {
            "+".to_string()
        } else {
            format!("({before}")
        };
        add(
            Slot::DlqPage,
            vec![
                b(stream.as_bytes()),
                b(end),
                b("-"),
                b("COUNT"),
                b(count.to_string()),
            ],
        );
    }
    if let Some((cursor, count)) = req.discover.filter(|_| part.scan) {
        add(
            Slot::Scan,
            vec![
                b(cursor.to_string()),
                b("COUNT"),
                b(count.to_string()),
                b("TYPE"),
                b("stream"),
            ],
        );
    }
    (pipe, slots)
}

fn problem_for(err: &NodeError, slot: &Slot, section: String, user: &str) -> Problem {
    let (kind, message) = match err.kind {
        ErrorKind::NoPerm => (
            ProblemKind::NotPermitted,
            format!("not permitted for user {user}: {}", slot.command()),
        ),
        ErrorKind::UnknownCommand => (
            ProblemKind::Error,
            format!(
                "the server does not know {} (renamed on the server?); map it under redis.rename_commands",
                slot.command()
            ),
        ),
        _ => (ProblemKind::Error, crate::sanitize::text(&err.message)),
    };
    Problem {
        section,
        command: slot.command().to_string(),
        kind,
        message,
    }
}

fn is_no_such_key(err: &NodeError) -> bool {
    err.kind == ErrorKind::NoSuchKey
}

fn is_no_group(err: &NodeError) -> bool {
    err.kind == ErrorKind::NoGroup
}

fn empty_stream(spec: &StreamSpec, configured: bool) -> StreamInfo {
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
    }
}

/// Add the SCAN results that are new: not configured, not already found, and
/// not DLQ streams (those are shown with their stream, not as streams of their own).
pub fn add_discovered(profile: &Profile, found: &mut Vec<Name>, keys: Vec<Name>) {
    let suffix = &profile.streams.dlq.suffix;
    for k in keys {
        let configured = profile.streams.streams.iter().any(|s| s.name == k);
        let is_dlq = !suffix.is_empty() && k.ends_with(suffix);
        if !configured && !is_dlq && !found.contains(&k) {
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
    let mut parts = Vec::new();
    for (node, took, result) in results {
        let outcome = result?;
        let status = NodeStatus {
            address: node.endpoint.to_string(),
            role: outcome
                .snapshot
                .server
                .as_ref()
                .map(|s| s.role.clone())
                .unwrap_or_default(),
            poll_ms: took.as_secs_f64() * 1000.0,
            memory: outcome.snapshot.memory.clone(),
        };
        parts.push((status, outcome));
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

/// One node's share of a poll: exactly one pipelined round trip.
async fn poll_node(
    profile: &Profile,
    conn: &Node,
    req: &PollRequest,
    part: &Part<'_>,
) -> Result<PollOutcome> {
    let mut problems = Vec::new();
    let (pipe, slots) = plan(profile, conn, req, part, &mut problems);
    let request_bytes = pipe.get_packed_pipeline().len();
    let replies: Vec<redis::RedisResult<Value>> = if slots.is_empty() {
        Vec::new()
    } else {
        conn.pipeline(&pipe).await.map_err(|e| {
            Failure::runtime(format!(
                "lost Redis at {} while polling ({e}); check the server and the network",
                conn.endpoint
            ))
        })?
    };
    let now = crate::time::now_ms();
    let configured = |name: &Name| profile.streams.streams.iter().any(|s| &s.name == name);
    let mut snap = Snapshot {
        schema: crate::model::SCHEMA_VERSION,
        taken_at_ms: now,
        profile: profile.name.clone(),
        endpoint: conn.endpoint.to_string(),
        mode: profile.target.mode().to_string(),
        round_trips: u32::from(!slots.is_empty()),
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
            .map(|s| empty_stream(s, configured(&s.name)))
            .collect(),
        slowlog: None,
        client_list: None,
        pending_page: None,
        dlq_page: None,
        problems,
        nodes: Vec::new(),
        deployment: Default::default(),
        cluster: None,
        latency: None,
        advisor: None,
        keys: None,
    };
    let mut key_step: Option<KeyStep> = None;
    let mut probes: BTreeMap<usize, keys::Probe> = BTreeMap::new();
    let mut default_user: Option<std::result::Result<insight::AclUser, String>> = None;
    let mut present: Option<Vec<(String, bool)>> = None;
    let mut doctor: (Option<String>, Option<String>) = (None, None);
    let mut discovered = None;
    let mut cluster_info = None;
    let mut cluster_nodes = None;
    let mut moved = false;
    let mut slowlog_len = 0;
    let claim_ms = profile.streams.claim_min_idle.as_millis() as u64;
    let dlq = &profile.streams.dlq;
    for (slot, reply) in slots.iter().zip(replies) {
        let v = match reply {
            Ok(v) => v,
            Err(e) => {
                let e = NodeError::from(e);
                if matches!(
                    e.kind,
                    ErrorKind::Moved | ErrorKind::ClusterDown | ErrorKind::TryAgain
                ) {
                    moved = true;
                }
                // The stream-info script was flushed: XINFO STREAM from now on.
                if e.kind == ErrorKind::NoScript {
                    conn.stream_script_lost();
                }
                match slot {
                    // A missing stream is a fact, not a problem.
                    Slot::Stream(_) | Slot::Groups(_) if is_no_such_key(&e) => {}
                    // A configured group missing on the server: shown as such.
                    Slot::Pending(i, g) | Slot::Consumers(i, g)
                        if is_no_group(&e) || is_no_such_key(&e) =>
                    {
                        let s = &mut snap.streams[*i];
                        let configured = req.streams[*i].groups.iter().any(|c| &c.name == g);
                        // A group seen before and gone now is simply gone.
                        if configured && !s.groups.iter().any(|x| &x.name == g) {
                            s.groups.push(missing_group(g));
                        }
                    }
                    Slot::PendingPage | Slot::DlqPage if is_no_group(&e) || is_no_such_key(&e) => {}
                    // A key gone between SCAN and its probe: nothing to say.
                    Slot::KeyType(_) | Slot::KeyTtl(_) | Slot::KeyMem(_) => {}
                    Slot::AclDefault => {
                        default_user =
                            Some(Err(problem_for(&e, slot, String::new(), &conn.user).message));
                    }
                    // No DLQ stream yet: an empty DLQ.
                    Slot::DlqLen(i) if is_no_such_key(&e) => {
                        snap.streams[*i].dlq = Some(DlqInfo {
                            stream: dlq.stream_for(&req.streams[*i].name),
                            length: 0,
                            oldest_id: None,
                            newest_id: None,
                        });
                    }
                    _ => snap.problems.push(problem_for(
                        &e,
                        slot,
                        slot.section(req, dlq),
                        &conn.user,
                    )),
                }
                continue;
            }
        };
        match slot {
            Slot::Info => {
                let text = crate::resp::text(&v).unwrap_or_default();
                let info = info::Info::parse(&text);
                snap.server = Some(info.server());
                snap.memory = Some(info.memory());
                snap.clients = Some(info.clients());
                snap.stats = Some(info.stats());
                snap.persistence = Some(info.persistence());
                snap.keyspace = info.keyspace();
            }
            Slot::ConfigGet => {
                let p = crate::resp::pairs(&v);
                let get = |k: &str| {
                    p.iter()
                        .find(|(n, _)| n == k)
                        .and_then(|(_, v)| crate::resp::text(v))
                };
                snap.config = Some(ServerConfig {
                    slowlog_log_slower_than_us: get("slowlog-log-slower-than")
                        .and_then(|v| v.parse().ok()),
                    slowlog_max_len: get("slowlog-max-len").and_then(|v| v.parse().ok()),
                    appendonly: get("appendonly"),
                    settings: p
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), crate::resp::text(v)?)))
                        .collect(),
                });
            }
            Slot::SlowlogGet => snap.slowlog = Some(parse::slowlog(&v, 0)),
            Slot::LatencyLatest => {
                snap.latency.get_or_insert_with(Default::default).events =
                    insight::latency_latest(&v)
            }
            Slot::LatencyHistory => {
                if let Some(e) = &req.latency_history {
                    snap.latency.get_or_insert_with(Default::default).history =
                        Some((e.clone(), insight::latency_history(&v)));
                }
            }
            Slot::MemoryDoctor => doctor.0 = crate::resp::text(&v),
            Slot::LatencyDoctor => doctor.1 = crate::resp::text(&v),
            Slot::CommandInfo => present = Some(insight::commands_present(&v, insight::DANGEROUS)),
            Slot::AclDefault => default_user = Some(Ok(insight::acl_user(&v))),
            Slot::KeyScan => {
                if let Some((cursor, found)) = crate::resp::scan(&v) {
                    let step = key_step.get_or_insert_with(Default::default);
                    step.cursor = Some(cursor);
                    step.found = found;
                }
            }
            Slot::KeyType(i) | Slot::KeyTtl(i) | Slot::KeyMem(i) => {
                let Some(name) = req.keys.as_ref().and_then(|w| w.probe.get(*i)) else {
                    continue;
                };
                let which = match slot {
                    Slot::KeyType(_) => 0,
                    Slot::KeyTtl(_) => 1,
                    _ => 2,
                };
                probes
                    .entry(*i)
                    .or_insert_with(|| keys::Probe::new(name.clone()))
                    .set(which, &v);
            }
            Slot::SlowlogLen => slowlog_len = crate::resp::int(&v).unwrap_or(0),
            Slot::ClientList => {
                let text = crate::resp::text(&v).unwrap_or_default();
                snap.client_list = Some(parse::client_list(&text, req.client_list.unwrap_or(500)));
            }
            Slot::Stream(i) => {
                let mut s = streams::stream(&req.streams[*i].name, &v);
                s.configured = snap.streams[*i].configured;
                s.dlq = snap.streams[*i].dlq.take();
                s.groups = std::mem::take(&mut snap.streams[*i].groups);
                snap.streams[*i] = s;
            }
            Slot::Groups(i) => {
                let s = &mut snap.streams[*i];
                let mut found = streams::groups(&v, s, now);
                for g in &mut found {
                    g.configured = req.streams[*i].groups.iter().any(|c| c.name == g.name);
                }
                s.groups = found;
            }
            Slot::Pending(i, g) => {
                if let Some(group) = snap.streams[*i].groups.iter_mut().find(|x| &x.name == g) {
                    streams::apply_pending_summary(group, &v, now);
                }
            }
            Slot::Consumers(i, g) => {
                if let Some(group) = snap.streams[*i].groups.iter_mut().find(|x| &x.name == g) {
                    group.consumer_summary = Some(streams::consumer_summary(&v, claim_ms));
                }
            }
            Slot::DlqLen(i) => {
                let name = dlq.stream_for(&req.streams[*i].name);
                let info = streams::stream(&name, &v);
                snap.streams[*i].dlq = Some(DlqInfo {
                    stream: name,
                    length: info.length,
                    oldest_id: info.first_id,
                    newest_id: info.last_id,
                });
            }
            Slot::PendingPage => {
                if let Some((stream, group, after, _)) = &req.pending_page {
                    snap.pending_page = Some(PendingPage {
                        stream: stream.clone(),
                        group: group.clone(),
                        after: after.clone(),
                        entries: crate::resp::pending_entries(&v),
                    });
                }
            }
            Slot::DlqPage => {
                if let Some((stream, _, _)) = &req.dlq_page {
                    snap.dlq_page = Some(EntryPage {
                        stream: stream.clone(),
                        entries: crate::resp::entries(&v),
                    });
                }
            }
            Slot::Scan => discovered = crate::resp::scan(&v),
            Slot::ClusterInfo => cluster_info = crate::resp::text(&v),
            Slot::ClusterNodes => cluster_nodes = crate::resp::text(&v),
        }
    }
    if let Some(sl) = &mut snap.slowlog {
        sl.len = slowlog_len;
    }
    // Configured groups the server does not have.
    for (i, spec) in req.streams.iter().enumerate() {
        let s = &mut snap.streams[i];
        for g in &spec.groups {
            if !s.groups.iter().any(|x| x.name == g.name) {
                s.groups.push(missing_group(&g.name));
            }
        }
    }
    // The settings the pane shows beside the INFO figures.
    if let (Some(p), Some(c)) = (&mut snap.persistence, &snap.config) {
        p.appendfsync = c.settings.get("appendfsync").cloned();
        p.save = c.settings.get("save").cloned();
    }
    if let Some(c) = &snap.config {
        let l = snap.latency.get_or_insert_with(Default::default);
        l.threshold_ms = c
            .settings
            .get("latency-monitor-threshold")
            .and_then(|v| v.parse().ok());
    }
    if req.advisor {
        let settings = snap
            .config
            .as_ref()
            .map(|c| c.settings.clone())
            .unwrap_or_default();
        snap.advisor = Some(crate::model::insight::Advisor {
            rows: insight::advise(
                &settings,
                default_user.as_ref(),
                present.as_deref(),
                profile.environment == crate::config::Environment::Production,
            ),
            memory_doctor: doctor.0,
        });
        if let Some(l) = &mut snap.latency {
            l.doctor = doctor.1;
        }
    }
    if !probes.is_empty() {
        key_step.get_or_insert_with(Default::default).probes = probes.into_values().collect();
    } else if req.keys.as_ref().is_some_and(|w| w.scan.is_some()) && part.keys && key_step.is_none()
    {
        key_step = Some(KeyStep::default());
    }
    Ok(PollOutcome {
        snapshot: snap,
        discovered,
        request_bytes,
        cluster_info,
        cluster_nodes,
        moved,
        key_step,
    })
}

fn missing_group(name: &Name) -> GroupInfo {
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
    }
}
