//! The snapshot: what one collection pass knows about a Redis deployment.
//! Plain data, serialisable as the stable `redeye snapshot --json` document.
//! No I/O here.

pub mod alerts;
mod cluster;
mod deployment;
pub mod dlq;
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
    pub mode: String,
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
pub struct PendingPage {
    pub stream: Name,
    pub group: Name,
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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DlqInfo {
    pub stream: Name,
    pub length: u64,
    /// Id of the oldest / newest dead letter (their ms part is when they failed).
    pub oldest_id: Option<String>,
    pub newest_id: Option<String>,
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
    /// What is missing from the snapshot because of this (e.g. "server", "stream webhook_events").
    pub section: String,
    pub command: String,
    pub kind: ProblemKind,
    pub message: String,
}

/// Hit rate from counters; `None` before any lookup.
pub fn hit_rate(hits: u64, misses: u64) -> Option<f64> {
    let total = hits + misses;
    (total > 0).then(|| hits as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hit_rate_is_none_without_lookups() {
        assert_eq!(super::hit_rate(0, 0), None);
        assert_eq!(super::hit_rate(3, 1), Some(0.75));
    }
}
