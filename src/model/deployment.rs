//! How the deployment is laid out and reached: its mode, the master Sentinel
//! names, the replicas and sentinels, failovers seen, and the SSH tunnel.
//! Part of the `snapshot --json` schema (`deployment`).

use serde::{Deserialize, Serialize};

/// How a deployment is laid out: from the profile's target, through the
/// `Deployment`, to what the header and panes show. Serialised as the words
/// the JSON always had (`standalone`, `sentinel`, `cluster`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Standalone,
    Sentinel,
    Cluster,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Standalone => "standalone",
            Mode::Sentinel => "sentinel",
            Mode::Cluster => "cluster",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentInfo {
    pub mode: Mode,
    /// The master polled, as the deployment announces it.
    pub master: Option<String>,
    /// Sentinel: the master's name, and since when (unix ms) it is master as
    /// far as this session knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaView>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentinels: Vec<SentinelView>,
    /// Sentinels needed to agree that the master is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u64>,
    /// Whether enough sentinels are reachable to reach the quorum and to
    /// authorise a failover (a majority).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum_ok: Option<bool>,
    /// Failovers seen this session, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failovers: Option<Vec<Failover>>,
    /// Recent Sentinel events (+sdown, +odown, -odown, ...), newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<SentinelEvent>,
    /// The SSH tunnel the deployment is reached through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicaView {
    pub address: String,
    /// `ok` / `err` (master-link-status as Sentinel sees it).
    pub link: String,
    pub flags: String,
    pub offset: Option<u64>,
    /// Bytes behind the master's replication offset.
    pub lag_bytes: Option<u64>,
    /// Seconds since the replica last heard from the master (INFO replication `lag`).
    pub lag_s: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentinelView {
    pub address: String,
    pub reachable: bool,
    /// The master this sentinel names.
    pub master: Option<String>,
    /// Whether it names the master redeye polls.
    pub agrees: bool,
    /// Its flags for the master (`master`, `s_down`, `o_down`, ...).
    pub flags: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Failover {
    pub at_ms: u64,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentinelEvent {
    pub at_ms: u64,
    /// The channel: `+sdown`, `+odown`, `-odown`, `+switch-master`, ...
    pub event: String,
    pub detail: String,
}

/// What the header's `i` lists about the tunnel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TunnelStatus {
    /// The bastion as written in `ssh.host`.
    pub via: String,
    pub up: bool,
    /// Times the master was restarted after dying.
    pub restarts: u32,
    /// `announced host:port` → `127.0.0.1:port`.
    pub forwards: Vec<(String, String)>,
    pub last_error: Option<String>,
}
