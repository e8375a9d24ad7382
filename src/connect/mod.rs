//! Building a connection from a profile: TCP or TLS (rustls), ACL user and
//! password, DB, timeouts and renamed commands. Every failure a user can cause
//! becomes one sentence naming the cause and the fix.

pub mod cluster;
pub mod monitor;
mod node;
pub mod sentinel;
pub mod ssh;
pub mod tls;

pub use node::{ErrorKind, Node, NodeError, ScriptError, ScriptResult, classify};

use crate::config::{CommandNames, Endpoint, Profile, Target};
use crate::error::{Failure, Result};
use crate::model::{DeploymentInfo, Mode};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisConnectionInfo, RedisError};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// What a profile connects to: standalone, or the current master found
/// through Sentinel (Cluster next), yielding its nodes the same way, so
/// `collect` and `ops` never know which mode they run against.
#[derive(Clone)]
pub struct Deployment {
    nodes: Vec<Node>,
    mode: Mode,
    /// Keeps the tunnel and the Sentinel watch alive while the deployment is used.
    link: Link,
    /// Cluster: the shards (in `nodes` order) and the owner of each slot.
    cluster: Option<Arc<ClusterLayout>>,
    /// Set when a poll saw another topology (MOVED, a changed CLUSTER SHARDS).
    stale: Arc<std::sync::atomic::AtomicBool>,
}

/// A cluster's layout as this deployment was built on it.
pub struct ClusterLayout {
    pub shards: Vec<cluster::Shard>,
    owners: Vec<u16>,
    pub signature: String,
}

impl Deployment {
    /// Every node to poll (one pipelined round trip each per poll).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node that owns `key` (standalone and Sentinel: the master).
    pub fn node_for_key(&self, key: impl AsRef<[u8]>) -> &Node {
        &self.nodes[self.owner_of(key.as_ref())]
    }

    /// Index into [`Deployment::nodes`] of the node owning `key` (a slot no
    /// node serves goes to the first; the command then fails with CLUSTERDOWN).
    pub fn owner_of(&self, key: &[u8]) -> usize {
        match &self.cluster {
            None => 0,
            Some(c) => {
                let o = c.owners[cluster::slot_of(key) as usize];
                if (o as usize) < self.nodes.len() {
                    o as usize
                } else {
                    0
                }
            }
        }
    }

    /// Whether two keys live in one slot (and a script may touch both).
    pub fn same_slot(&self, a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
        self.cluster.is_none() || cluster::slot_of(a.as_ref()) == cluster::slot_of(b.as_ref())
    }

    /// The link this deployment was made through.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The cluster layout (None outside Cluster).
    pub fn cluster(&self) -> Option<&ClusterLayout> {
        self.cluster.as_deref()
    }

    /// A poll saw the topology change: reconnect before the next poll.
    pub fn mark_stale(&self) {
        self.stale.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The node for commands that are not about one key (ACL, SCAN on standalone).
    pub fn primary(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The address shown in headers and audit records (a cluster: its
    /// first primary and how many more).
    pub fn describe(&self) -> String {
        match self.nodes.len() {
            1 => self.primary().endpoint.to_string(),
            n => format!("{} +{} primaries", self.primary().endpoint, n - 1),
        }
    }

    /// False once Sentinel has named another master, or a poll saw the
    /// cluster's topology change: poll no more, reconnect.
    pub fn is_current(&self) -> bool {
        if self.stale.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        match self.link.watch() {
            Some(w) => w.master().as_ref() == Some(&self.primary().endpoint),
            None => true,
        }
    }

    /// Resolves when the deployment may have changed (a failover): the
    /// collector reconnects at once instead of at its next tick.
    pub async fn changed(&self) {
        match self.link.watch() {
            Some(w) => w.changed().await,
            None => std::future::pending().await,
        }
    }

    /// How the deployment is reached and laid out, for `snapshot --json`,
    /// the header and the Sentinel pane.
    pub fn info(&self) -> DeploymentInfo {
        let mut info = DeploymentInfo {
            mode: self.mode,
            master: Some(self.describe()),
            tunnel: self.link.tunnel().map(|t| t.status()),
            ..Default::default()
        };
        if let Some(w) = self.link.watch() {
            w.fill(&mut info);
        }
        info
    }
}

/// Build a command through the rename map. Multi-word commands (`XINFO STREAM`)
/// are renamed by their first word, as Redis does.
pub fn command(names: &CommandNames, name: &str) -> Option<redis::Cmd> {
    let mut words = name.split_whitespace();
    let first = words.next()?;
    let mut cmd = redis::cmd(names.resolve(first)?);
    for w in words {
        cmd.arg(w);
    }
    Some(cmd)
}

/// Print warnings that the user must see before connecting (to stderr).
pub fn warnings(profile: &Profile) -> Vec<String> {
    let mut w = Vec::new();
    if profile.tls.as_ref().is_some_and(|t| t.skip_verify) {
        w.push(format!(
            "warning: profile '{}' has redis.tls.options.skip_verify: true — the server's certificate is NOT checked, so anyone in the path can pose as it",
            profile.name
        ));
    }
    w
}

/// Connect to the profile's deployment (opening its SSH tunnel first if it
/// has one; the tunnel lives as long as the returned deployment).
pub async fn connect(profile: &Profile) -> Result<Deployment> {
    Link::open(profile).await?.connect().await
}

/// The single node of a standalone profile (demo and bench tooling).
pub async fn connect_one(profile: &Profile) -> Result<Node> {
    Ok(connect(profile).await?.primary().clone())
}

/// How this process reaches one profile's deployment: directly, or through
/// its SSH tunnel; with Sentinel, the watch that follows the master. Made
/// once (the SSH login may prompt, so before the dashboard takes the
/// terminal) and shared by the collector and every write; cheap to clone.
#[derive(Clone)]
pub struct Link(Arc<LinkInner>);

struct LinkInner {
    profile: Profile,
    tunnel: Option<ssh::Tunnel>,
    /// Cluster: the layouts seen, to say what changed.
    topology: std::sync::Mutex<Topologies>,
    watch: std::sync::OnceLock<sentinel::Watch>,
    start: tokio::sync::Mutex<()>,
    /// Cluster primaries that could not be reached (a failed connect or
    /// poll), with when and why: a reconnect does not wait for them; a
    /// background attempt every [`RETRY_DOWN`] brings one back, so a
    /// blackholed primary never holds back the others' figures.
    down: std::sync::Mutex<std::collections::HashMap<String, Down>>,
}

struct Down {
    since: std::time::Instant,
    why: String,
    /// A background attempt to reach it is running.
    trying: bool,
}

/// Whether ssh may ask on this terminal (stdin and stderr are one).
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// How often an unreachable cluster primary is tried again.
const RETRY_DOWN: std::time::Duration = std::time::Duration::from_secs(10);

impl Link {
    /// Open the profile's tunnel, if any. ssh may prompt when a terminal is
    /// attached (stdin and stderr); otherwise it runs in BatchMode.
    pub async fn open(profile: &Profile) -> Result<Link> {
        Link::open_with(profile, interactive()).await
    }

    pub async fn open_with(profile: &Profile, interactive: bool) -> Result<Link> {
        let tunnel = match &profile.ssh {
            Some(s) => Some(ssh::Tunnel::open(s, interactive).await?),
            None => None,
        };
        Ok(Link(Arc::new(LinkInner {
            profile: profile.clone(),
            tunnel,
            topology: Default::default(),
            watch: std::sync::OnceLock::new(),
            start: tokio::sync::Mutex::new(()),
            down: Default::default(),
        })))
    }

    pub fn profile(&self) -> &Profile {
        &self.0.profile
    }

    /// A cluster primary did not answer (a connect or a poll): reconnects
    /// stop waiting for it until a background attempt reaches it again.
    pub fn note_down(&self, a: &Endpoint, why: &str) {
        let mut down = self.0.down.lock().expect("down");
        let e = down.entry(a.to_string()).or_insert_with(|| Down {
            since: std::time::Instant::now(),
            why: String::new(),
            trying: false,
        });
        e.why = why.to_string();
    }

    /// `a` answered a connect: no longer down.
    fn note_up(&self, a: &Endpoint) {
        self.0.down.lock().expect("down").remove(&a.to_string());
    }

    /// Why `a` is known down, starting a background attempt to reach it
    /// when the last began more than [`RETRY_DOWN`] ago; `None`: not down.
    fn down_reason(&self, a: &Endpoint) -> Option<String> {
        let mut down = self.0.down.lock().expect("down");
        let d = down.get_mut(&a.to_string())?;
        if !d.trying && d.since.elapsed() >= RETRY_DOWN {
            d.trying = true;
            let link = self.clone();
            let a = a.clone();
            tokio::spawn(async move {
                let r = link.node(&a).await;
                let mut down = link.0.down.lock().expect("down");
                match r {
                    Ok(_) => {
                        down.remove(&a.to_string());
                    }
                    Err(e) => {
                        if let Some(d) = down.get_mut(&a.to_string()) {
                            d.since = std::time::Instant::now();
                            d.why = e.to_string();
                            d.trying = false;
                        }
                    }
                }
            });
        }
        Some(d.why.clone())
    }

    /// Stop the SSH tunnel now, whoever else still holds the link (the
    /// dashboard calls this on its way out).
    pub fn close(&self) {
        if let Some(t) = self.tunnel() {
            t.stop();
        }
    }

    pub fn tunnel(&self) -> Option<&ssh::Tunnel> {
        self.0.tunnel.as_ref()
    }

    pub(crate) fn watch(&self) -> Option<&sentinel::Watch> {
        self.0.watch.get()
    }

    /// Connect to the deployment as it is now.
    pub async fn connect(&self) -> Result<Deployment> {
        if let Some(t) = self.tunnel() {
            t.ensure_up().await?;
        }
        let profile = self.profile();
        let (node, mode) = match &profile.target {
            Target::Standalone(e) => (self.node(e).await?, Mode::Standalone),
            Target::Sentinel { .. } => {
                let watch = self.sentinel().await?;
                let master = watch.find_master(self).await?;
                let mut login = self.login();
                login.probe = "ROLE";
                let (node, role) = self.node_probed(&master, login).await?;
                sentinel::confirm_master(&node, role.as_ref())?;
                if let Some(t) = self.tunnel() {
                    t.retain(&watch.addresses()).await;
                }
                (node, Mode::Sentinel)
            }
            Target::Cluster { addresses, .. } => return self.connect_cluster(addresses).await,
        };
        Ok(Deployment {
            nodes: vec![node],
            mode,
            link: self.clone(),
            cluster: None,
            stale: Default::default(),
        })
    }

    /// Cluster: the topology from the first seed that answers, then one
    /// connection per primary, made in parallel.
    async fn connect_cluster(&self, seeds: &[Endpoint]) -> Result<Deployment> {
        let profile = self.profile();
        if profile.db != 0 {
            return Err(Failure::config(format!(
                "profile '{}': redis.db is {}, but Redis Cluster has only database 0; set redis.db: 0",
                profile.name, profile.db
            )));
        }
        // Ask the primaries of the layout last seen first, then the seeds: the
        // polls compare against a primary's view, and asking a node whose
        // view lags would flip between two layouts.
        let mut ask: Vec<Endpoint> = self
            .0
            .topology
            .lock()
            .expect("topology")
            .primaries
            .iter()
            .filter_map(|a| Endpoint::parse(a).ok())
            .collect();
        for s in seeds {
            if !ask.contains(s) {
                ask.push(s.clone());
            }
        }
        // Nodes known down last: one that blackholes would hold the layout
        // read for a whole connect timeout.
        {
            let down = self.0.down.lock().expect("down");
            ask.sort_by_key(|a| down.contains_key(&a.to_string()));
        }
        let mut why = Vec::new();
        let mut shards = None;
        for seed in &ask {
            match self.topology(seed).await {
                Ok(s) => {
                    shards = Some(s);
                    break;
                }
                Err(e) => why.push(e.to_string()),
            }
        }
        let Some(shards) = shards else {
            return Err(Failure::runtime(format!(
                "no cluster node answered ({}); check redis.cluster.addresses{}",
                why.join("; "),
                if self.tunnel().is_some() {
                    " (as the bastion sees them)"
                } else {
                    ""
                }
            )));
        };
        if shards.is_empty() {
            return Err(Failure::runtime(
                "the cluster has no primary serving slots (CLUSTER SHARDS is empty); is it created? (redis-cli --cluster create)",
            ));
        }
        // A primary that cannot be reached stands in as unreachable: the
        // others are polled (their figures are what the engineer needs
        // most while it is down), the poll names it, and the layout is read
        // again next poll. With none reachable, the first reason.
        // Known down: stands in as unreachable at once (retried in the
        // background now and then) — unless every primary is, when each is
        // tried again now (the link itself was down, e.g. a tunnel).
        let all_down = {
            let down = self.0.down.lock().expect("down");
            shards
                .iter()
                .all(|s| down.contains_key(&s.primary.address.to_string()))
        };
        let tries = futures_util::future::join_all(shards.iter().map(|s| async move {
            let a = &s.primary.address;
            if !all_down && let Some(why) = self.down_reason(a) {
                return Err(Failure::runtime(why));
            }
            let r = self.node(a).await;
            match &r {
                Err(e) => self.note_down(a, &e.to_string()),
                Ok(_) => self.note_up(a),
            }
            r
        }))
        .await;
        if tries.iter().all(|t| t.is_err()) {
            return Err(tries.into_iter().find_map(|t| t.err()).expect("all failed"));
        }
        let login = self.login();
        let user = login.username.unwrap_or("default").to_string();
        let nodes: Vec<Node> = tries
            .into_iter()
            .zip(&shards)
            .map(|(t, s)| match t {
                Ok(n) => n,
                Err(e) => Node::unreachable(
                    profile.commands.clone(),
                    s.primary.address.clone(),
                    user.clone(),
                    (profile.timeouts.read, profile.timeouts.write),
                    &e.to_string(),
                ),
            })
            .collect();
        if let Some(t) = self.tunnel() {
            let mut keep: Vec<Endpoint> = seeds.to_vec();
            keep.extend(shards.iter().map(|s| s.primary.address.clone()));
            t.retain(&keep).await;
        }
        let layout = ClusterLayout {
            owners: cluster::slot_table(&shards),
            signature: cluster::signature(&shards),
            shards,
        };
        self.0.topology.lock().expect("topology").seen(&layout);
        Ok(Deployment {
            nodes,
            mode: Mode::Cluster,
            link: self.clone(),
            cluster: Some(Arc::new(layout)),
            stale: Default::default(),
        })
    }

    /// The shards as one node reports them.
    async fn topology(&self, seed: &Endpoint) -> Result<Vec<cluster::Shard>> {
        let node = self.node(seed).await?;
        let tls = self.profile().tls.is_some();
        match node
            .query::<redis::Value>(&redis::cmd("CLUSTER").arg("SHARDS").clone())
            .await
        {
            Ok(v) => Ok(cluster::parse_shards(&v, tls)),
            Err(e)
                if e.kind == ErrorKind::UnknownCommand
                    || e.message.contains("Unknown subcommand") =>
            {
                let v: redis::Value = node
                    .query(&redis::cmd("CLUSTER").arg("SLOTS").clone())
                    .await
                    .map_err(|e| Failure::runtime(format!("{seed}: CLUSTER SLOTS: {e}")))?;
                Ok(cluster::parse_slots(&v))
            }
            Err(e) if e.message.contains("cluster support disabled") => {
                Err(Failure::config(format!(
                    "{seed} is not a cluster node (cluster support disabled); use redis.address for a standalone server, or list the cluster's nodes"
                )))
            }
            Err(e) => Err(Failure::runtime(format!("{seed}: CLUSTER SHARDS: {e}"))),
        }
    }

    /// What changed in the cluster's layout, as this link saw it.
    pub fn topology_change(&self) -> Option<TopologyChange> {
        self.0.topology.lock().expect("topology").last.clone()
    }

    /// The Sentinel watch, started on first use.
    async fn sentinel(&self) -> Result<&sentinel::Watch> {
        let _one = self.0.start.lock().await;
        if let Some(w) = self.0.watch.get() {
            return Ok(w);
        }
        let w = sentinel::Watch::start(self.clone()).await?;
        Ok(self.0.watch.get_or_init(|| w))
    }

    /// Where to dial `announced`: itself, or its forward through the tunnel.
    async fn dial(&self, announced: &Endpoint) -> Result<Endpoint> {
        match self.tunnel() {
            Some(t) => t.forward(announced).await,
            None => Ok(announced.clone()),
        }
    }

    /// A data node at the address the deployment announces, with the
    /// profile's credentials.
    pub async fn node(&self, announced: &Endpoint) -> Result<Node> {
        self.node_with(announced, self.login()).await
    }

    /// The profile's login for data nodes.
    fn login(&self) -> Login<'_> {
        let p = self.profile();
        Login {
            username: p.username.as_deref(),
            password: p.password.as_ref(),
            db: p.db,
            tls: p.tls.as_ref(),
            push: None,
            keys: DATA_KEYS,
            probe: "PING",
        }
    }

    /// A node with the given login, through the tunnel when there is one; a
    /// connection the bastion refused to forward is named as such.
    pub(crate) async fn node_with(&self, announced: &Endpoint, login: Login<'_>) -> Result<Node> {
        Ok(self.node_probed(announced, login).await?.0)
    }

    /// The same, with the reply to the login's probe command (`None` when
    /// the ACL user may not run it).
    pub(crate) async fn node_probed(
        &self,
        announced: &Endpoint,
        login: Login<'_>,
    ) -> Result<(Node, Option<redis::Value>)> {
        let dial = self.dial(announced).await?;
        let mark = self.tunnel().map(|t| t.log_len());
        match connect_at(self.profile(), announced, &dial, login).await {
            Ok(n) => Ok(n),
            Err(e) => {
                if let (Some(t), Some(mark)) = (self.tunnel(), mark) {
                    // ssh logs the refusal a moment after closing the channel.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    if t.refused_since(mark) {
                        return Err(Failure::runtime(format!(
                            "the bastion {} refused to forward to {announced} (its sshd's PermitOpen or AllowTcpForwarding); ask for that address to be allowed, or check it is the address the bastion sees",
                            t.via()
                        )));
                    }
                }
                Err(e)
            }
        }
    }
}

/// The cluster layouts a link has seen.
#[derive(Default)]
struct Topologies {
    signature: Option<String>,
    primaries: Vec<String>,
    last: Option<TopologyChange>,
}

/// A change of the cluster's layout between two connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyChange {
    pub at_ms: u64,
    /// Primaries that are new, and those that are gone.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Slot ownership changed (resharding) among the same primaries.
    pub slots_moved: bool,
}

impl Topologies {
    fn seen(&mut self, layout: &ClusterLayout) {
        let primaries: Vec<String> = layout
            .shards
            .iter()
            .map(|s| s.primary.address.to_string())
            .collect();
        if let Some(old) = &self.signature
            && *old != layout.signature
        {
            let added: Vec<String> = primaries
                .iter()
                .filter(|p| !self.primaries.contains(p))
                .cloned()
                .collect();
            let removed: Vec<String> = self
                .primaries
                .iter()
                .filter(|p| !primaries.contains(p))
                .cloned()
                .collect();
            let now = crate::time::now_ms();
            let slots_moved = added.is_empty() && removed.is_empty();
            // Changes within a minute are one event (a primary fails: it
            // goes, then its replica comes).
            let (mut added, mut removed, mut moved) = (added, removed, slots_moved);
            if let Some(prev) = self
                .last
                .take()
                .filter(|p| now.saturating_sub(p.at_ms) < 60_000)
            {
                let a: Vec<String> = prev
                    .added
                    .into_iter()
                    .filter(|x| !removed.contains(x))
                    .collect();
                let r: Vec<String> = prev
                    .removed
                    .into_iter()
                    .filter(|x| !added.contains(x))
                    .collect();
                added.retain(|x| !r.contains(x));
                removed.retain(|x| !a.contains(x));
                added.extend(a);
                removed.extend(r);
                moved |= prev.slots_moved;
            }
            self.last = Some(TopologyChange {
                at_ms: now,
                slots_moved: moved,
                added,
                removed,
            });
        }
        self.signature = Some(layout.signature.clone());
        self.primaries = primaries;
    }
}

const DATA_KEYS: &str = "redis.username and redis.password";

/// Who to log in as on one node.
pub(crate) struct Login<'a> {
    pub username: Option<&'a str>,
    pub password: Option<&'a crate::secret::Secret>,
    pub db: i64,
    pub tls: Option<&'a crate::config::TlsSettings>,
    /// RESP3 with pushes sent here (Sentinel's event subscription).
    pub push: Option<tokio::sync::mpsc::UnboundedSender<redis::PushInfo>>,
    /// The profile keys that hold this login.
    pub keys: &'static str,
    /// The command that proves the session works (PING, or ROLE).
    pub probe: &'static str,
}

/// Connect to one node with the profile's credentials, TLS and timeouts
/// (direct; tests and tools).
pub async fn connect_node(profile: &Profile, endpoint: &Endpoint) -> Result<Node> {
    let login = Login {
        username: profile.username.as_deref(),
        password: profile.password.as_ref(),
        db: profile.db,
        tls: profile.tls.as_ref(),
        push: None,
        keys: DATA_KEYS,
        probe: "PING",
    };
    Ok(connect_at(profile, endpoint, endpoint, login).await?.0)
}

/// A connection to one node: TCP, or TLS over it.
pub(crate) enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Dial `dial` for `endpoint`, with TLS when the profile says so (the
/// announced name verified), each step within `redis.timeouts.connect`.
pub(crate) async fn dial_io(
    profile: &Profile,
    endpoint: &Endpoint,
    dial: &Endpoint,
    tls: Option<&crate::config::TlsSettings>,
) -> Result<Io> {
    // Everything that can fail without the network fails first.
    let tls = match tls {
        Some(t) => Some((
            Arc::new(tls::client_config(t)?),
            tls::server_name(t, &endpoint.host)?,
        )),
        None => None,
    };
    let limit = profile.timeouts.connect;
    let tcp = match tokio::time::timeout(limit, TcpStream::connect((dial.host.as_str(), dial.port)))
        .await
    {
        Err(_) => {
            return Err(Failure::runtime(format!(
                "cannot reach Redis at {endpoint}: no answer within {} (redis.timeouts.connect); check the address, the firewall or your SSH tunnel",
                humantime::format_duration(limit)
            )));
        }
        Ok(Err(e)) => return Err(Failure::runtime(tcp_error(endpoint, &e))),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    let Some((config, name)) = tls else {
        return Ok(Io::Plain(tcp));
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(limit, connector.connect(name, tcp)).await {
        Err(_) => Err(Failure::runtime(format!(
            "TLS handshake with {endpoint} did not finish within {} (redis.timeouts.connect); is this a plain (non-TLS) port? use the TLS port or disable redis.tls",
            humantime::format_duration(limit)
        ))),
        Ok(Err(e)) => {
            let msg = tls::explain(&e, &endpoint.to_string()).unwrap_or_else(|| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    format!(
                        "TLS handshake with {endpoint} failed: the server closed the connection; is this a TLS port, and does it need a client certificate?"
                    )
                } else {
                    format!("TLS handshake with {endpoint} failed: {e}; check redis.tls")
                }
            });
            Err(Failure::runtime(msg))
        }
        Ok(Ok(s)) => Ok(Io::Tls(Box::new(s))),
    }
}

/// Connect to `announced` by dialling `dial` (the same, or a tunnel's local
/// port). TLS verifies the announced name (or `tls.options.server_name`),
/// never the tunnel's 127.0.0.1.
async fn connect_at(
    profile: &Profile,
    endpoint: &Endpoint,
    dial: &Endpoint,
    login: Login<'_>,
) -> Result<(Node, Option<redis::Value>)> {
    let io = dial_io(profile, endpoint, dial, login.tls).await?;
    let mut info = RedisConnectionInfo::default()
        .set_db(login.db)
        .set_lib_name("redeye", env!("CARGO_PKG_VERSION"));
    if login.push.is_some() {
        info = info.set_protocol(redis::ProtocolVersion::RESP3);
    }
    if let Some(u) = login.username {
        info = info.set_username(u);
    }
    if let Some(p) = login.password {
        info = info.set_password(p.expose());
    }
    let user = login.username.unwrap_or("default").to_string();
    let mut cx = Cx {
        profile,
        endpoint,
        user: &user,
        tls: false,
        has_password: login.password.is_some(),
        keys: login.keys,
    };
    let push = login.push.clone();

    let con = match io {
        Io::Plain(tcp) => match setup(tcp, &info, &cx, push).await {
            Ok(c) => c,
            // The server may have said why before closing (maxclients):
            // read it on a fresh connection rather than guess.
            Err(e) => return Err(refusal(dial, endpoint).await.unwrap_or(e)),
        },
        Io::Tls(stream) => {
            cx.tls = true;
            setup(*stream, &info, &cx, push).await?
        }
    };
    let node = Node::new(
        con.clone(),
        profile.commands.clone(),
        endpoint.clone(),
        user.clone(),
        profile.timeouts.read,
        profile.timeouts.write,
    );
    // Prove the session works (NOAUTH shows up here, not in the handshake).
    // The probe is PING, or a command whose answer the caller needs anyway
    // (ROLE for a Sentinel master): one round trip either way.
    // Data nodes also load the poll's stream-info script in the same round
    // trip; a user not allowed SCRIPT (or a server without it) polls with
    // plain XINFO STREAM.
    let mut con = con;
    let ping = command(&profile.commands, login.probe).unwrap_or_else(|| redis::cmd(login.probe));
    let load = (login.keys == DATA_KEYS && login.push.is_none())
        .then(|| command(&profile.commands, "SCRIPT LOAD"))
        .flatten()
        .filter(|_| command(&profile.commands, "EVALSHA").is_some());
    let pong: std::result::Result<redis::Value, RedisError> = match load {
        None => ping.query_async(&mut con).await,
        Some(load) => {
            // The name rides in the same round trip; refused (an ACL
            // without CLIENT), the connection simply stays unnamed.
            let name = node::client_name(&profile.name);
            let setname = command(&profile.commands, "CLIENT SETNAME");
            let mut pipe = redis::pipe();
            pipe.add_command(ping);
            let scripts = [node::STREAM_INFO, node::DLQ_PAGE, node::FIRST_UNDELIVERED];
            for src in scripts {
                let mut l = load.clone();
                l.arg(src);
                pipe.add_command(l);
            }
            if let Some(mut c) = setname.clone() {
                c.arg(&name);
                pipe.add_command(c);
            }
            pipe.ignore_errors();
            let expected = 1 + scripts.len() + usize::from(setname.is_some());
            match pipe
                .query_async::<Vec<redis::RedisResult<redis::Value>>>(&mut con)
                .await
            {
                Ok(mut replies) if replies.len() == expected => {
                    let loaded = &replies[1..=scripts.len()];
                    node.set_stream_script(loaded.iter().all(|r| r.is_ok()));
                    let named = setname.is_some() && replies.last().is_some_and(|r| r.is_ok());
                    node.set_named(named.then_some(name));
                    replies.remove(0)
                }
                Ok(_) => Err(RedisError::from((
                    redis::ErrorKind::Client,
                    "unexpected reply count",
                ))),
                Err(e) => Err(e),
            }
        }
    };
    match pong {
        Ok(v) => Ok((node, Some(v))),
        // NOPERM: logged in but not allowed the probe (e.g. a +@read user): fine.
        Err(e) if classify(&e) == ErrorKind::NoPerm => Ok((node, None)),
        Err(e) => Err(session_error(&e, &cx)),
    }
}

/// What error messages about one connection's setup need to know.
struct Cx<'a> {
    profile: &'a Profile,
    endpoint: &'a Endpoint,
    user: &'a str,
    tls: bool,
    has_password: bool,
    /// The profile keys that hold this login, for "check ..." advice.
    keys: &'static str,
}

async fn setup<S>(
    stream: S,
    info: &RedisConnectionInfo,
    cx: &Cx<'_>,
    push: Option<tokio::sync::mpsc::UnboundedSender<redis::PushInfo>>,
) -> Result<MultiplexedConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (profile, endpoint, tls) = (cx.profile, cx.endpoint, cx.tls);
    let mut config = AsyncConnectionConfig::new()
        // Node applies read or write per call; this is the outer bound.
        .set_response_timeout(Some(profile.timeouts.read.max(profile.timeouts.write)))
        .set_connection_timeout(Some(profile.timeouts.connect));
    if let Some(tx) = push {
        config = config.set_push_sender(tx);
    }
    let made = tokio::time::timeout(
        profile.timeouts.connect + profile.timeouts.read,
        MultiplexedConnection::new_with_config(info, stream, config),
    )
    .await;
    match made {
        Err(_) => Err(Failure::runtime(format!(
            "Redis at {endpoint} accepted the connection but did not answer within {}: stalled, overloaded, or not speaking Redis{}",
            humantime::format_duration(profile.timeouts.read),
            if tls {
                ""
            } else {
                " (or it expects TLS: redis.tls.enabled)"
            }
        ))),
        Ok(Err(e)) => Err(session_error(&e, cx)),
        Ok(Ok((con, driver))) => {
            tokio::spawn(driver);
            Ok(con)
        }
    }
}

/// What a server says to a new connection it will not serve (it writes an
/// error and closes before any command): `None` if it says nothing.
async fn refusal(dial: &Endpoint, endpoint: &Endpoint) -> Option<Failure> {
    use tokio::io::AsyncReadExt;
    let probe = async {
        let mut s = TcpStream::connect((dial.host.as_str(), dial.port))
            .await
            .ok()?;
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).await.ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).trim().to_string())
    };
    let said = tokio::time::timeout(std::time::Duration::from_millis(500), probe)
        .await
        .ok()??;
    let said = said.strip_prefix('-')?;
    if said.contains("max number of clients") {
        return Some(Failure::runtime(format!(
            "Redis at {endpoint} refused the connection: max number of clients reached (maxclients); close idle clients (CLIENT LIST / CLIENT KILL) or raise maxclients"
        )));
    }
    Some(Failure::runtime(format!(
        "Redis at {endpoint} refused the connection: {}",
        crate::sanitize::text(said)
    )))
}

fn tcp_error(endpoint: &Endpoint, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => format!(
            "cannot reach Redis at {endpoint}: connection refused; check that redis-server runs there and the port is right (or that your SSH tunnel is up)"
        ),
        K::TimedOut => format!(
            "cannot reach Redis at {endpoint}: the connection timed out; check the address, the firewall or your SSH tunnel"
        ),
        _ if e.to_string().contains("lookup")
            || e.to_string().contains("resolve")
            || e.to_string().contains("Name or service") =>
        {
            format!(
                "cannot resolve the host of {endpoint} ({e}); check the spelling of redis.address"
            )
        }
        _ => format!("cannot reach Redis at {endpoint}: {e}; check the address and the network"),
    }
}

/// Explain an error raised while setting up or first using a session.
fn session_error(e: &RedisError, cx: &Cx<'_>) -> Failure {
    let (profile, endpoint, user, tls) = (cx.profile, cx.endpoint, cx.user, cx.tls);
    let code = e.code().unwrap_or("");
    let text = e.to_string();
    let has_password = cx.has_password;
    if code == "WRONGPASS"
        || text.contains("WRONGPASS")
        || e.kind() == redis::ErrorKind::AuthenticationFailed
    {
        let why = if has_password {
            "wrong password, no such (enabled) user, or the server has no password set"
        } else {
            "no such (enabled) user"
        };
        return Failure::refused(format!(
            "Redis at {endpoint} rejected the login for user '{user}': {why}; check {}",
            cx.keys
        ));
    }
    if code == "NOAUTH" || text.contains("NOAUTH") {
        return Failure::refused(format!(
            "Redis at {endpoint} requires a password and the profile gives none; set redis.password (or REDIS_PASSWORD in zero-config mode)"
        ));
    }
    let kind = classify(e);
    if kind == ErrorKind::MaxClients {
        return Failure::runtime(format!(
            "Redis at {endpoint} refused the connection: max number of clients reached (maxclients); close idle clients (CLIENT LIST / CLIENT KILL) or raise maxclients"
        ));
    }
    if kind == ErrorKind::NoPerm {
        return Failure::refused(format!(
            "Redis at {endpoint}: user '{user}' may not run the connection setup ({}); grant it +select +client|setinfo",
            crate::sanitize::text(e.detail().unwrap_or(&text))
        ));
    }
    if let Some(msg) = tls::explain(e, &endpoint.to_string()) {
        return Failure::runtime(msg);
    }
    if tls && (text.contains("alert") || text.contains("Certificate")) {
        return Failure::runtime(format!(
            "TLS session with {endpoint} was refused by the server ({}); if it requires a client certificate, set redis.tls.cert_file and key_file",
            crate::sanitize::text(&text)
        ));
    }
    if e.is_io_error() || e.is_connection_dropped() {
        return Failure::runtime(format!(
            "Redis at {endpoint} closed the connection during setup{}; check the port and redis.tls",
            if tls { "" } else { " (does it expect TLS?)" }
        ));
    }
    if e.is_timeout() {
        return Failure::runtime(format!(
            "Redis at {endpoint} did not answer within {} (redis.timeouts.read); the server may be overloaded or this is not a Redis port",
            humantime::format_duration(profile.timeouts.read)
        ));
    }
    if text.contains("DB index is out of range") || text.contains("invalid DB index") {
        return Failure::config(format!(
            "Redis at {endpoint} has no database {} ; set redis.db to an existing database number",
            profile.db
        ));
    }
    Failure::runtime(format!(
        "Redis at {endpoint} refused the connection setup: {}",
        crate::sanitize::text(&text)
    ))
}
