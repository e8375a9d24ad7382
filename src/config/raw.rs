//! The profile file as written: every scalar is kept as a template string and
//! resolved (interpolated, parsed, validated) only for the profile in use.
//!
//! Keys the system's document has but redeye does not use are declared as
//! `IgnoredAny`, so they are accepted silently; anything else is reported as an
//! unknown key by the loader.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;

/// A scalar as written in the file, before `${VAR}` interpolation.
#[derive(Clone, PartialEq, Eq)]
pub struct Templ(pub String);

impl fmt::Debug for Templ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Templates may hold literal passwords: never show them.
        f.write_str("Templ(..)")
    }
}

impl<'de> Deserialize<'de> for Templ {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Templ;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Templ, E> {
                Ok(Templ(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Templ, E> {
                Ok(Templ(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Templ, E> {
                Ok(Templ(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Templ, E> {
                Ok(Templ(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Templ, E> {
                Ok(Templ(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A key the document has and redeye accepts without using. Deserialised with
/// `deserialize_any` (unlike `serde::de::IgnoredAny`) so that it does not count
/// as an unknown key; its value is dropped, so it cannot leak a secret.
#[derive(Debug, Default, Clone, Copy)]
pub struct IgnoredAny;

impl<'de> Deserialize<'de> for IgnoredAny {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(|_| IgnoredAny)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RawFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    /// Named groups of profiles for `redeye fleet NAME`.
    #[serde(default)]
    pub fleets: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawProfile {
    #[serde(default)]
    pub redis: RawRedis,
    /// Reach the deployment through an SSH bastion (OpenSSH client).
    pub ssh: Option<RawSsh>,
    pub read_only: Option<Templ>,
    pub environment: Option<Templ>,
    pub refresh: Option<Templ>,
    /// The window consumer health is judged over (rates, ETA, status).
    pub health_window: Option<Templ>,
    pub theme: Option<Templ>,
    /// Consumer that claims go to (used by the stream-operations commands).
    pub claim_consumer: Option<Templ>,
    pub alerts: Option<RawAlerts>,
    /// Key families by prefix (`"orders:cache:": {kind: ..., ttl: 10m}`).
    #[serde(default)]
    pub key_families: BTreeMap<String, RawKeyFamily>,
    /// `record: true`, or `record: {dir, keep, max_size, payloads}`.
    pub record: Option<RawRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRecord {
    On(Templ),
    With {
        enabled: Option<Templ>,
        dir: Option<Templ>,
        keep: Option<Templ>,
        max_size: Option<Templ>,
        payloads: Option<Templ>,
    },
}

#[derive(Debug, Default, Deserialize)]
pub struct RawKeyFamily {
    pub kind: Option<Templ>,
    /// The TTL its keys should have; a key without one is flagged.
    pub ttl: Option<Templ>,
}

/// `ssh:`: the bastion and how to log in; `~/.ssh/config` does the rest.
#[derive(Debug, Default, Deserialize)]
pub struct RawSsh {
    pub host: Option<Templ>,
    pub user: Option<Templ>,
    pub port: Option<Templ>,
    pub identity_file: Option<Templ>,
    pub jump: Option<Templ>,
    /// An ssh_config file instead of `~/.ssh/config` (`ssh -F`).
    pub config_file: Option<Templ>,
    /// How often ssh checks the bastion answers (ServerAliveInterval); a
    /// link silent for two of these is down.
    pub keepalive: Option<Templ>,
}

/// Alert thresholds (see `model::alerts::Thresholds`).
#[derive(Debug, Default, Deserialize)]
pub struct RawAlerts {
    pub memory_warn_pct: Option<Templ>,
    pub memory_crit_pct: Option<Templ>,
    pub fragmentation_warn: Option<Templ>,
    pub fragmentation_crit: Option<Templ>,
    pub evictions_warn_per_s: Option<Templ>,
    pub lag_warn: Option<Templ>,
    pub lag_crit: Option<Templ>,
    pub pending_warn: Option<Templ>,
    pub pending_crit: Option<Templ>,
    pub oldest_pending_warn: Option<Templ>,
    pub oldest_pending_crit: Option<Templ>,
    pub dlq_warn: Option<Templ>,
    pub slowlog_warn_new: Option<Templ>,
    pub last_save_warn: Option<Templ>,
    pub behind_warn: Option<Templ>,
    pub behind_crit: Option<Templ>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawRedis {
    pub address: Option<Templ>,
    pub password: Option<Templ>,
    pub password_command: Option<Templ>,
    /// How long password_command may run (default 30s).
    pub password_command_timeout: Option<Templ>,
    pub username: Option<Templ>,
    pub db: Option<Templ>,
    #[serde(default)]
    pub timeouts: RawTimeouts,
    #[serde(default)]
    pub tls: RawTls,
    #[serde(default)]
    pub sentinel: RawSentinel,
    #[serde(default)]
    pub cluster: RawCluster,
    #[serde(default)]
    pub elasticache: RawElasticache,
    #[serde(default)]
    pub rename_commands: BTreeMap<String, Templ>,
    #[serde(default)]
    pub streams: RawStreams,
    /// Also accepted beside `streams:` (the document nests it inside).
    pub dlq: Option<RawDlq>,
    // In the document, not used by redeye.
    pub pool: Option<IgnoredAny>,
    pub pipeline: Option<IgnoredAny>,
    pub circuit_breaker: Option<IgnoredAny>,
    pub acl: Option<IgnoredAny>,
    pub bind: Option<IgnoredAny>,
    pub protected_mode: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawTimeouts {
    pub connect: Option<Templ>,
    pub read: Option<Templ>,
    pub write: Option<Templ>,
    pub idle: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawTls {
    pub enabled: Option<Templ>,
    pub cert_file: Option<Templ>,
    pub key_file: Option<Templ>,
    pub ca_file: Option<Templ>,
    #[serde(default)]
    pub options: RawTlsOptions,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawTlsOptions {
    pub skip_verify: Option<Templ>,
    pub server_name: Option<Templ>,
    pub min_version: Option<Templ>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawSentinel {
    pub enabled: Option<Templ>,
    pub master_name: Option<Templ>,
    #[serde(default)]
    pub addresses: Vec<Templ>,
    #[serde(default)]
    pub options: RawSentinelOptions,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawSentinelOptions {
    pub password: Option<Templ>,
    pub username: Option<Templ>,
    pub dial_timeout: Option<Templ>,
    /// TLS to the sentinels (default: as `redis.tls`).
    pub tls: Option<Templ>,
    pub failover_timeout: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawCluster {
    pub enabled: Option<Templ>,
    #[serde(default)]
    pub addresses: Vec<Templ>,
    #[serde(default)]
    pub options: RawClusterOptions,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawClusterOptions {
    pub read_only: Option<Templ>,
    pub max_redirects: Option<IgnoredAny>,
    pub route_by_latency: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawElasticache {
    pub enabled: Option<Templ>,
    pub endpoint: Option<Templ>,
    pub port: Option<Templ>,
    pub auth_token: Option<Templ>,
    #[serde(default)]
    pub cluster_mode: RawElasticacheCluster,
    #[serde(default)]
    pub encryption: RawElasticacheEncryption,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawElasticacheCluster {
    pub enabled: Option<Templ>,
    pub configuration_endpoint: Option<Templ>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawElasticacheEncryption {
    pub at_rest: Option<IgnoredAny>,
    pub in_transit: Option<Templ>,
}

/// `streams:` as in the document: stream aliases (`webhook_events: "webhook-events"`)
/// beside the reserved keys `consumer_groups`, `config` and `dlq`.
#[derive(Debug, Default, Deserialize)]
pub struct RawStreams {
    #[serde(default)]
    pub consumer_groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    pub config: RawStreamConfig,
    pub dlq: Option<RawDlq>,
    #[serde(flatten)]
    pub names: BTreeMap<String, Templ>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawGroup {
    pub stream: Option<Templ>,
    pub start_id: Option<IgnoredAny>,
    /// The group's name on the server when it differs from the key.
    pub name: Option<Templ>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawStreamConfig {
    pub max_len: Option<Templ>,
    pub claim_min_idle: Option<Templ>,
    pub block_duration: Option<IgnoredAny>,
    pub batch_size: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawDlq {
    pub enabled: Option<Templ>,
    pub max_retries: Option<Templ>,
    pub ttl: Option<Templ>,
    /// Suffix that turns a stream name into its DLQ stream name (default `:dlq`).
    pub suffix: Option<Templ>,
}
