//! The snapshot: what one collection pass knows about a Redis deployment.
//! Plain data, serialisable as the stable `redeye snapshot --json` document.
//! No I/O here.

pub mod alerts;
mod cluster;
mod deployment;
pub mod dlq;
pub mod filter;
pub mod health;
pub mod history;
pub mod ids;
pub mod insight;
mod name;
pub mod series;

pub use cluster::*;
pub use deployment::*;
pub use name::Name;

use serde::{Deserialize, Serialize};

/// Version of the JSON document; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub schema: u32,
    /// Unix time of the poll, in milliseconds.
    pub taken_at_ms: u64,
    pub profile: String,
    pub endpoint: String,
    pub mode: Mode,
    /// Network round trips this poll took.
    pub round_trips: u32,
    pub server: Option<Server>,
    pub memory: Option<Memory>,
    pub clients: Option<Clients>,
    pub stats: Option<Stats>,
    pub persistence: Option<Persistence>,
    pub keyspace: Vec<KeyspaceDb>,
    pub config: Option<ServerConfig>,
    pub streams: Vec<StreamInfo>,
    /// Latest slow commands (SLOWLOG GET), newest first.
    pub slowlog: Option<Slowlog>,
    /// CLIENT LIST, only while the clients pane is open (bounded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_list: Option<ClientList>,
    /// One page of XPENDING entries, only while a pending view is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_page: Option<PendingPage>,
    /// The consumers of the group whose pending view is open (XINFO
    /// CONSUMERS, most entries held first, at most 500), with the oldest
    /// entry each of the first 50 holders holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_consumers: Option<ConsumerTable>,
    /// One page of DLQ entries, only while the DLQ pane is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dlq_page: Option<EntryPage>,
    /// Sections that could not be read, and why.
    pub problems: Vec<Problem>,
    /// The nodes this poll reached, one round trip each.
    pub nodes: Vec<NodeStatus>,
    /// Mode, master, replicas, sentinels, failovers and the SSH tunnel.
    pub deployment: DeploymentInfo,
    /// Redis Cluster: its state and every node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterState>,
    /// LATENCY LATEST (and HISTORY of one event while the Latency pane asks).
    pub latency: Option<insight::Latency>,
    /// The config advisor (read while its pane is open, and by `snapshot`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisor: Option<insight::Advisor>,
    /// Key families of the background SCAN (dashboard), or of
    /// `snapshot --keys`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<insight::KeyFamilies>,
}

/// One node's part of a poll.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeStatus {
    /// The address the deployment announces (not a tunnel's local port).
    pub address: String,
    /// `master` / `slave`, from INFO.
    pub role: String,
    /// Wall time of this node's round trip.
    pub poll_ms: f64,
    /// This node's own memory figures (the snapshot's `memory` sums them on
    /// a cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// The name redeye's connection to it took (`redeye:<profile>`);
    /// absent when the server refused CLIENT SETNAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
}

/// Raw bytes from Redis; serialised as (lossy) UTF-8, displayed via `sanitize::bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

/// Read back from the (lossy) text it was written as: recordings keep
/// payload bytes that are not UTF-8 as U+FFFD.
impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Bytes(String::deserialize(d)?.into_bytes()))
    }
}

impl Bytes {
    pub fn display(&self) -> String {
        crate::sanitize::bytes(&self.0)
    }

    pub fn as_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Slowlog {
    /// SLOWLOG LEN: entries the server keeps.
    pub len: u64,
    pub entries: Vec<SlowEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlowEntry {
    pub id: u64,
    /// Unix seconds.
    pub time: u64,
    pub duration_us: u64,
    pub args: Vec<Bytes>,
    pub client_addr: String,
    pub client_name: String,
    /// The node that logged it (Cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientList {
    /// Clients the server reported (all of them).
    pub total: usize,
    /// The first rows, bounded.
    pub rows: Vec<ClientRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientRow {
    pub id: u64,
    pub addr: String,
    pub name: String,
    pub user: String,
    pub age_s: u64,
    pub idle_s: u64,
    pub cmd: String,
    pub db: u64,
    pub flags: String,
    /// Output buffer memory (omem), bytes.
    pub omem: u64,
    pub tot_mem: u64,
    /// The node the client is connected to (Cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerTable {
    pub stream: Name,
    pub group: Name,
    pub rows: Vec<ConsumerRow>,
    /// Consumers in the group (rows are cut at 500).
    pub total: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerRow {
    pub name: Name,
    /// Entries it holds (delivered, not acknowledged).
    pub pending: u64,
    /// ms since its last attempt to read.
    pub idle_ms: u64,
    /// Redis 7.2+: ms since its last successful read.
    pub inactive_ms: Option<u64>,
    /// The oldest entry it holds (read for the first 50 holders).
    pub oldest_held_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingPage {
    pub stream: Name,
    pub group: Name,
    /// The page holds only this consumer's entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<Name>,
    /// The page starts after this id (exclusive); "-" for the first page.
    pub after: String,
    pub entries: Vec<PendingEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingEntry {
    pub id: String,
    pub consumer: Name,
    pub idle_ms: u64,
    pub deliveries: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryPage {
    pub stream: Name,
    /// Newest first.
    pub entries: Vec<StreamEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamEntry {
    pub id: String,
    pub fields: Vec<(Bytes, Bytes)>,
}

impl StreamEntry {
    pub fn field(&self, name: &str) -> Option<&Bytes> {
        self.fields
            .iter()
            .find(|(k, _)| k.0 == name.as_bytes())
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Server {
    pub version: String,
    pub mode: String,
    pub role: String,
    pub uptime_seconds: u64,
    /// The server's clock at the poll (`server_time_usec`), ms since the
    /// epoch: ages of stream ids are taken against it, not the client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
    pub os: String,
    pub connected_replicas: u64,
    /// master_repl_offset.
    pub repl_offset: u64,
    /// A replica's link to its master (`up` / `down`); None on a master.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_link_status: Option<String>,
    /// The replicas as the master sees them (INFO replication `slaveN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaLink>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicaLink {
    pub address: String,
    pub state: String,
    pub offset: u64,
    /// Seconds since the last ACK from the replica.
    pub lag_s: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    pub used_bytes: u64,
    pub rss_bytes: u64,
    pub peak_bytes: u64,
    pub fragmentation_ratio: f64,
    /// 0 means no limit.
    pub maxmemory_bytes: u64,
    pub maxmemory_policy: String,
    /// used / maxmemory in percent; null when there is no limit.
    pub used_percent_of_max: Option<f64>,
    pub evicted_keys: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Clients {
    pub connected: u64,
    pub blocked: u64,
    pub rejected_connections: u64,
    pub maxclients: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub ops_per_sec: u64,
    pub total_commands: u64,
    pub total_connections: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    /// hits / (hits + misses); null before any lookup.
    pub hit_rate: Option<f64>,
    pub expired_keys: u64,
    pub evicted_keys: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Persistence {
    pub loading: bool,
    pub aof_enabled: bool,
    pub aof_rewrite_in_progress: bool,
    pub aof_last_write_status: String,
    pub aof_last_bgrewrite_status: String,
    pub rdb_bgsave_in_progress: bool,
    pub rdb_last_bgsave_status: String,
    pub rdb_changes_since_last_save: u64,
    pub rdb_last_save_time: u64,
    /// Seconds the last BGSAVE took (-1: none yet).
    pub rdb_last_bgsave_time_sec: i64,
    /// Seconds the last AOF rewrite took (-1: none yet).
    pub aof_last_rewrite_time_sec: i64,
    /// AOF sizes (0 with AOF off).
    pub aof_current_size: u64,
    pub aof_base_size: u64,
    /// Bytes waiting in the AOF buffer.
    pub aof_buffer_length: u64,
    /// Times an fsync was delayed (a slow disk).
    pub aof_delayed_fsync: u64,
    /// Microseconds the latest fork (BGSAVE / rewrite) took.
    pub latest_fork_usec: u64,
    /// `appendfsync` (from CONFIG GET).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appendfsync: Option<String>,
    /// `save` (from CONFIG GET): "" = no RDB snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyspaceDb {
    pub db: u32,
    pub keys: u64,
    pub expires: u64,
    pub avg_ttl_ms: u64,
}

/// Settings read with CONFIG GET (through the profile's rename map).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub slowlog_log_slower_than_us: Option<i64>,
    pub slowlog_max_len: Option<u64>,
    pub appendonly: Option<String>,
    /// Every setting read (the advisor's list), by name.
    pub settings: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamInfo {
    pub name: Name,
    /// Named in the profile (false: found by discovery).
    pub configured: bool,
    /// False when the key does not exist (the rest is then empty).
    pub exists: bool,
    pub length: u64,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    pub last_generated_id: Option<String>,
    pub max_deleted_entry_id: Option<String>,
    pub entries_added: Option<u64>,
    pub groups: Vec<GroupInfo>,
    pub dlq: Option<DlqInfo>,
    /// The dashboard reads a stream that did not move cheaply (length and
    /// XINFO GROUPS, always this poll's): its other figures (first, last and
    /// last-generated id, max-deleted id, the groups' oldest pending id and
    /// per-consumer counts, the DLQ's oldest and newest id) are then from a
    /// full read this many ms ago. Absent when they were read in this poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_read_ms: Option<u64>,
    /// The clock of the node that holds the stream, at its poll (a
    /// cluster's nodes each have their own): the time behind is taken
    /// against it.
    #[serde(skip)]
    pub node_time_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupInfo {
    pub name: Name,
    /// Named in the profile (as opposed to found on the server).
    pub configured: bool,
    /// False for a configured group that does not exist on the server.
    pub exists: bool,
    pub consumers: u64,
    pub pending: u64,
    pub last_delivered_id: Option<String>,
    pub entries_read: Option<u64>,
    /// Entries not yet delivered to the group. Null when Redis cannot tell.
    pub lag: Option<u64>,
    /// Why `lag` is null.
    pub lag_unavailable_reason: Option<String>,
    /// Lowest pending id (XPENDING summary), for configured groups.
    pub oldest_pending_id: Option<String>,
    /// Milliseconds between the oldest pending entry's creation and the poll.
    pub oldest_pending_age_ms: Option<u64>,
    /// Age of the last-delivered-id at the poll, in milliseconds.
    pub last_delivered_age_ms: Option<u64>,
    /// Pending entries per consumer (XPENDING summary), largest first.
    pub pending_by_consumer: Vec<ConsumerPending>,
    /// Aggregates over XINFO CONSUMERS, for configured groups.
    pub consumer_summary: Option<ConsumerSummary>,
    /// The oldest entry not yet delivered to the group (the first after its
    /// last-delivered id), read without its body. Absent when nothing is
    /// undelivered or it was not read.
    pub first_undelivered_id: Option<String>,
    /// How far behind the group is in time: the age of that entry against
    /// the server's clock, 0 when nothing is undelivered. Null only when it
    /// cannot be known (`behind_reason` says why).
    pub behind_ms: Option<u64>,
    /// Why `behind_ms` is null, or how it was estimated.
    pub behind_reason: Option<String>,
    /// Consumer health over the window (`health.rs`).
    #[serde(flatten)]
    pub health: health::Health,
    /// The last-delivered id the first-undelivered read saw (this poll's
    /// read only; the collector's tracker caches the pair).
    #[serde(skip)]
    pub undelivered_after: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerPending {
    pub consumer: Name,
    pub pending: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerSummary {
    pub total: u64,
    pub with_pending: u64,
    /// Idle longer than the profile's `claim_min_idle`.
    pub idle_over_claim_min_idle: u64,
    pub idle_over_claim_min_idle_without_pending: u64,
    pub max_idle_ms: u64,
    pub min_idle_ms: u64,
    /// Redis 7.2+: the least `inactive` (ms since a consumer's last
    /// successful read) of the group's consumers; absent before 7.2.
    pub min_inactive_ms: Option<u64>,
    /// Consumers holding entries and idle longer than `claim_min_idle`.
    pub dead_holding: u64,
    /// When it was read (the client's clock, ms since the epoch): the
    /// dashboard reads it every `consumers_every` at most.
    pub read_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DlqInfo {
    pub stream: Name,
    pub length: u64,
    /// Id of the oldest / newest dead letter (their ms part is when they failed).
    pub oldest_id: Option<String>,
    pub newest_id: Option<String>,
    /// The dashboard reads a DLQ whose length did not move by XLEN alone:
    /// its oldest and newest id are then from a read this many ms ago.
    /// Absent when they were read in this poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_read_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// ACL denies the command to this user.
    NotPermitted,
    /// The profile disables the command (rename_commands: "").
    Disabled,
    /// Any other error from the server.
    #[default]
    Error,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Problem {
    /// What is missing from the snapshot because of this.
    pub section: Section,
    /// Cluster: the node (announced address) whose reply this was; `None`
    /// for a deployment with one node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub command: String,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    /// The section and, in a cluster, the node it came from.
    pub fn place(&self) -> String {
        match &self.node {
            Some(n) => format!("{n}: {}", self.section),
            None => self.section.to_string(),
        }
    }
}

/// The part of a snapshot a failed read costs. Panes and `check` match on
/// it; it is shown and serialised as the text the JSON always had
/// ("stream orders group g") and parsed back from it (recordings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Section {
    /// INFO: the server, memory, clients, stats, persistence and keyspace figures.
    #[default]
    Info,
    Config,
    Slowlog,
    ClientList,
    Stream(Name),
    Group(Name, Name),
    Dlq(Name),
    PendingEntries,
    DlqEntries,
    Discovery,
    Cluster,
    Latency,
    Advisor,
    Keys,
    /// A whole node that did not answer (a cluster primary down).
    Node,
    /// Text this version does not know (a newer recording).
    Other(String),
}

impl Section {
    /// Whether a problem here costs the figures of stream `name` (its own
    /// read, one of its groups, or its DLQ's).
    pub fn is_stream(&self, name: &Name) -> bool {
        match self {
            Section::Stream(s) | Section::Group(s, _) => s == name,
            _ => false,
        }
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Section::Info => f.write_str("server, memory, clients, stats, persistence, keyspace"),
            Section::Config => f.write_str("config"),
            Section::Slowlog => f.write_str("slowlog"),
            Section::ClientList => f.write_str("client list"),
            Section::Stream(s) => write!(f, "stream {s}"),
            Section::Group(s, g) => write!(f, "stream {s} group {g}"),
            Section::Dlq(s) => write!(f, "dlq {s}"),
            Section::PendingEntries => f.write_str("pending entries"),
            Section::DlqEntries => f.write_str("dlq entries"),
            Section::Discovery => f.write_str("stream discovery"),
            Section::Cluster => f.write_str("cluster"),
            Section::Latency => f.write_str("latency"),
            Section::Advisor => f.write_str("advisor"),
            Section::Keys => f.write_str("keys"),
            Section::Node => f.write_str("node"),
            Section::Other(s) => f.write_str(s),
        }
    }
}

impl std::str::FromStr for Section {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fixed = [
            Section::Info,
            Section::Config,
            Section::Slowlog,
            Section::ClientList,
            Section::PendingEntries,
            Section::DlqEntries,
            Section::Discovery,
            Section::Cluster,
            Section::Latency,
            Section::Advisor,
            Section::Keys,
            Section::Node,
        ];
        if let Some(f) = fixed.into_iter().find(|f| f.to_string() == s) {
            return Ok(f);
        }
        // Older recordings prefixed a cluster node's address ("addr: stream x").
        let s = s.split_once(": ").map_or(s, |(_, rest)| rest);
        if let Some(rest) = s.strip_prefix("stream ") {
            // Names are escaped, so " group " inside one is written escaped too
            // only if it held a space: take the last occurrence.
            return Ok(match rest.rsplit_once(" group ") {
                Some((st, g)) => Section::Group(Name::parse(st), Name::parse(g)),
                None => Section::Stream(Name::parse(rest)),
            });
        }
        if let Some(rest) = s.strip_prefix("dlq ") {
            return Ok(Section::Dlq(Name::parse(rest)));
        }
        Ok(Section::Other(s.to_string()))
    }
}

impl Serialize for Section {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse().unwrap_or_default())
    }
}

impl Snapshot {
    /// The server's clock at the poll (the client's when INFO did not say):
    /// what the ages of stream ids are taken against.
    pub fn server_now(&self) -> u64 {
        self.server
            .as_ref()
            .and_then(|s| s.time_ms)
            .unwrap_or(self.taken_at_ms)
    }
}

/// Hit rate from counters; `None` before any lookup.
pub fn hit_rate(hits: u64, misses: u64) -> Option<f64> {
    let total = hits + misses;
    (total > 0).then(|| hits as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sections_read_back_as_written() {
        use super::{Name, Section};
        for s in [
            Section::Info,
            Section::Keys,
            Section::ClientList,
            Section::Stream(Name::from("orders")),
            Section::Group(Name::from("orders"), Name::from("g 1")),
            Section::Dlq(Name::from("orders:dlq")),
        ] {
            assert_eq!(s.to_string().parse::<Section>().unwrap(), s);
        }
    }

    /// The defect of issue 19: an INFO refusal showed in the Keys pane,
    /// because "keys" was matched as a substring of INFO's "keyspace".
    #[test]
    fn the_keys_section_is_not_infos_keyspace() {
        use super::Section;
        assert!(Section::Info.to_string().contains("keys"));
        assert_ne!(Section::Info, Section::Keys);
        assert_eq!("keys".parse::<Section>().unwrap(), Section::Keys);
    }

    #[test]
    fn hit_rate_is_none_without_lookups() {
        assert_eq!(super::hit_rate(0, 0), None);
        assert_eq!(super::hit_rate(3, 1), Some(0.75));
    }
}
