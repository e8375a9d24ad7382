//! Redis Cluster as one poll saw it: CLUSTER INFO of the first primary,
//! every node from CLUSTER NODES, enriched with each primary's INFO.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterState {
    /// `cluster_state`: `ok` or `fail`.
    pub state: String,
    pub slots_assigned: u64,
    pub slots_ok: u64,
    pub slots_pfail: u64,
    pub slots_fail: u64,
    pub known_nodes: u64,
    /// Primaries serving slots.
    pub size: u64,
    pub current_epoch: u64,
    /// Nodes without `fail`/`fail?` flags, and with.
    pub nodes_up: u64,
    pub nodes_down: u64,
    pub nodes: Vec<ClusterNodeRow>,
    /// When the layout last changed (a failover, a resharding, a node added
    /// or removed), as this session saw it, and what changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology_changed_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterNodeRow {
    pub id: String,
    pub address: String,
    /// The address redeye polls this primary at (as in `nodes[]`, slowlog
    /// and client rows); None for replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polled_as: Option<String>,
    /// `primary` or `replica`.
    pub role: String,
    /// A replica's primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_id: Option<String>,
    /// Flags from CLUSTER NODES without `myself`, `master`, `slave`: `fail?`,
    /// `fail`, `handshake`, `noaddr`, `nofailover`.
    pub flags: String,
    /// `connected` / `disconnected`.
    pub link: String,
    /// Slot ranges, e.g. `0-5460`.
    pub slots: String,
    pub slot_count: u64,
    /// From the primary's own INFO (polled primaries only).
    pub used_memory: Option<u64>,
    pub maxmemory: Option<u64>,
    pub ops_per_sec: Option<u64>,
    pub clients: Option<u64>,
    /// A replica's replication lag behind its primary, in bytes.
    pub lag_bytes: Option<u64>,
}

impl ClusterNodeRow {
    /// used / maxmemory in percent.
    pub fn memory_pct(&self) -> Option<f64> {
        match (self.used_memory, self.maxmemory) {
            (Some(u), Some(m)) if m > 0 => Some(u as f64 * 100.0 / m as f64),
            _ => None,
        }
    }

    pub fn failing(&self) -> bool {
        // Flags are words: `nofailover` is not `fail`.
        self.flags
            .split(',')
            .any(|f| f.trim() == "fail" || f.trim() == "fail?")
            || self.link == "disconnected"
    }
}
