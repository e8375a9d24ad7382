//! What the insight panes show: key families (caches, idempotency keys,
//! rate limits, sessions, locks), latency events, the config advisor's rows
//! and a command sample. Plain data, part of `snapshot --json`.

use super::Name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// LATENCY LATEST, and LATENCY HISTORY of one event when asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    /// `latency-monitor-threshold` in ms; 0 = monitoring off (no events).
    pub threshold_ms: Option<u64>,
    pub events: Vec<LatencyEvent>,
    /// (event, [(unix seconds, ms)]) for the event asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<(String, Vec<(u64, u64)>)>,
    /// LATENCY DOCTOR's report (Advisor pane and `snapshot`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doctor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LatencyEvent {
    pub event: String,
    /// Unix seconds of the latest spike.
    pub latest_at: u64,
    pub latest_ms: u64,
    pub max_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Ok,
    Info,
    Warn,
    Crit,
}

/// One setting against the document's recommendation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Advice {
    pub setting: String,
    /// As the server has it (`?` when it could not be read).
    pub value: String,
    pub recommended: String,
    pub why: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Advisor {
    pub rows: Vec<Advice>,
    /// MEMORY DOCTOR's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_doctor: Option<String>,
}

/// Key families found by the background SCAN.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyFamilies {
    /// The figures are of a whole SCAN pass (false: a pass in progress).
    pub complete: bool,
    /// Keys the pass has seen (SCAN may return a key twice; rare).
    pub scanned: u64,
    /// Keys the server holds (INFO keyspace), to scale counts when partial.
    pub dbsize: u64,
    /// Keys whose type, TTL and memory were read (a sample of each step).
    pub sampled: u64,
    /// Unix ms the pass started / finished.
    pub started_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<u64>,
    /// Largest first by estimated memory.
    pub families: Vec<Family>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Family {
    /// The prefix (`emb:`), or the first segment with `:` for families
    /// found by their name, or `(other)`.
    pub prefix: String,
    /// What it is: from the profile's `key_families`, the document's or the
    /// system's known families (`embedding cache`, `idempotency`...), or
    /// `found` for a first segment nobody named.
    pub kind: String,
    /// Keys of this family the pass saw.
    pub keys: u64,
    /// `keys` scaled to the whole keyspace while the pass is partial.
    pub estimated_keys: u64,
    /// Share of the keys seen, 0..1.
    pub share: f64,
    /// Keys whose TTL, type and memory were read.
    pub sampled: u64,
    /// MEMORY USAGE summed over the sample.
    pub sampled_bytes: u64,
    /// Mean sampled size × estimated keys.
    pub estimated_bytes: u64,
    /// Sampled keys without a TTL.
    pub no_ttl: u64,
    /// Sampled keys expiring within a minute.
    pub expiring_soon: u64,
    /// Median / largest TTL of the sampled keys that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_median_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_max_ms: Option<u64>,
    /// The TTL the profile or the document expects for this family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_ttl_ms: Option<u64>,
    /// What looks wrong (e.g. cache keys without a TTL), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Sampled keys by type.
    pub types: BTreeMap<String, u64>,
    /// The biggest sampled keys, largest first.
    pub biggest: Vec<BigKey>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BigKey {
    pub name: Name,
    #[serde(rename = "type")]
    pub kind: String,
    pub bytes: u64,
    /// Milliseconds to live; `None`: no TTL.
    pub ttl_ms: Option<u64>,
}

/// A time-boxed MONITOR: what the server was asked, by whom.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CommandSample {
    pub started_ms: u64,
    pub seconds: f64,
    /// Commands seen in all.
    pub total: u64,
    /// Largest first: (command, count).
    pub commands: Vec<(String, u64)>,
    /// (key family or prefix, count), of each command's first key.
    pub prefixes: Vec<(String, u64)>,
    /// (client address, count).
    pub clients: Vec<(String, u64)>,
    /// Why it stopped early, if it did (not permitted, connection lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
