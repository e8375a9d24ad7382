//! The resolved profile and its parts: what the rest of redeye reads.

use crate::model::Name;
use crate::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Staging,
    Production,
}

impl Environment {
    /// Guessed from a profile's name (`prod*` production, `stag*` staging).
    pub fn from_name(name: &str) -> Self {
        crate::config::resolve::environment_from_name(name)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Development => "development",
            Environment::Staging => "staging",
            Environment::Production => "production",
        })
    }
}

/// `host:port`; IPv6 hosts are shown in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        let s = s
            .strip_prefix("redis://")
            .or_else(|| s.strip_prefix("rediss://"))
            .unwrap_or(s)
            .trim_end_matches('/');
        if s.is_empty() {
            return Err("it is empty".into());
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or("an IPv6 address lacks its closing ]")?;
            (h, after.strip_prefix(':'))
        } else if s.matches(':').count() > 1 {
            (s, None) // bare IPv6 without a port
        } else {
            match s.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match port {
            None => 6379,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("port `{p}` is not a number from 1 to 65535"))?,
        };
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        Ok(Endpoint {
            host: host.to_string(),
            port,
        })
    }

    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Standalone(Endpoint),
    Sentinel {
        master_name: String,
        addresses: Vec<Endpoint>,
        password: Option<Secret>,
        username: Option<String>,
        /// TLS to the sentinels; `None`: as the data nodes.
        tls: Option<bool>,
    },
    Cluster {
        addresses: Vec<Endpoint>,
        read_from_replicas: bool,
    },
}

impl Target {
    pub fn mode(&self) -> crate::model::Mode {
        use crate::model::Mode;
        match self {
            Target::Standalone(_) => Mode::Standalone,
            Target::Sentinel { .. } => Mode::Sentinel,
            Target::Cluster { .. } => Mode::Cluster,
        }
    }

    /// A short description of where this target points, for headers and listings.
    pub fn describe(&self) -> String {
        match self {
            Target::Standalone(e) => e.to_string(),
            Target::Sentinel {
                master_name,
                addresses,
                ..
            } => format!("{master_name} via {}", join(addresses)),
            Target::Cluster { addresses, .. } => join(addresses),
        }
    }
}

fn join(eps: &[Endpoint]) -> String {
    eps.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `ssh:`: the bastion the deployment is reached through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSettings {
    /// A Host alias of the ssh_config, or a host name.
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<PathBuf>,
    /// ProxyJump, as `ssh -J` takes it.
    pub jump: Option<String>,
    /// `ssh -F`: an ssh_config instead of `~/.ssh/config`.
    pub config_file: Option<PathBuf>,
    /// ServerAliveInterval; the master gives up after two unanswered
    /// (`ssh.keepalive`, default 5s): a blackholed link is `tunnel down`
    /// within about 10–15 s and restarted.
    pub keepalive: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    V1_2,
    V1_3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub skip_verify: bool,
    pub server_name: Option<String>,
    pub min_version: TlsVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(3),
            write: Duration::from_secs(3),
        }
    }
}

/// A key family the profile names (`key_families:`): prefix, what it is,
/// the TTL its keys should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFamilySpec {
    pub prefix: String,
    pub kind: String,
    pub expected_ttl: Option<Duration>,
    /// Keys of this family are expected to expire (a cache, a lock, a
    /// session): one without a TTL is flagged.
    pub must_expire: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSpec {
    pub name: Name,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSpec {
    pub name: Name,
    pub groups: Vec<GroupSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlqSettings {
    pub enabled: bool,
    pub max_retries: u64,
    pub ttl: Duration,
    pub suffix: String,
}

impl DlqSettings {
    pub fn stream_for(&self, stream: &Name) -> Name {
        stream.with_suffix(&self.suffix)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    pub streams: Vec<StreamSpec>,
    pub max_len: u64,
    pub claim_min_idle: Duration,
    pub dlq: DlqSettings,
}

impl Default for StreamSettings {
    /// The document's streams, groups and settings.
    fn default() -> Self {
        let s = |name: &str, groups: &[&str]| StreamSpec {
            name: name.into(),
            groups: groups
                .iter()
                .map(|g| GroupSpec { name: (*g).into() })
                .collect(),
        };
        StreamSettings {
            streams: vec![
                s("agent_messages", &[]),
                s("task_events", &["task_workers"]),
                s("webhook_events", &["webhook_workers"]),
            ],
            max_len: 100_000,
            claim_min_idle: Duration::from_secs(60),
            dlq: DlqSettings {
                enabled: true,
                max_retries: 3,
                ttl: Duration::from_secs(7 * 24 * 3600),
                suffix: ":dlq".into(),
            },
        }
    }
}

/// Command renames: upper-case name -> name on the server (`None`: disabled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandNames {
    map: BTreeMap<String, Option<String>>,
}

impl CommandNames {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        CommandNames {
            map: pairs
                .into_iter()
                .map(|(k, v)| {
                    let v = v.trim().to_string();
                    (k.trim().to_ascii_uppercase(), (!v.is_empty()).then_some(v))
                })
                .collect(),
        }
    }

    /// The name to send for `command`, or `None` when the profile disables it.
    pub fn resolve<'a>(&'a self, command: &'a str) -> Option<&'a str> {
        match self.map.get(&command.to_ascii_uppercase()) {
            Some(Some(renamed)) => Some(renamed),
            Some(None) => None,
            None => Some(command),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// How a profile was chosen, for headers and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    ZeroConfig,
    Demo,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    /// `redis.elasticache.enabled`: the mode the fleet names (a cluster or
    /// a single node underneath).
    pub elasticache: bool,
    pub origin: Origin,
    pub environment: Environment,
    pub read_only: bool,
    pub refresh: Duration,
    /// Consumer health is judged over this window (`health_window`, 1m).
    pub health_window: Duration,
    pub theme: Option<String>,
    pub claim_consumer: Option<String>,
    pub target: Target,
    /// Reach the target through this SSH bastion.
    pub ssh: Option<SshSettings>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub db: i64,
    pub tls: Option<TlsSettings>,
    pub timeouts: Timeouts,
    pub commands: CommandNames,
    pub streams: StreamSettings,
    pub alerts: crate::model::alerts::Thresholds,
    /// `key_families:`, before the document's own.
    pub key_families: Vec<KeyFamilySpec>,
    /// `record:`: how the dashboard records (it records only when this is
    /// enabled or `--record` is given).
    pub record: RecordSettings,
}

/// Where and how long the recording is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSettings {
    pub enabled: bool,
    /// `None`: `<data dir>/recordings/<profile>`.
    pub dir: Option<PathBuf>,
    pub keep: Duration,
    pub max_bytes: u64,
    /// Record DLQ bodies and slow commands' arguments too.
    pub payloads: bool,
}

impl Default for RecordSettings {
    fn default() -> Self {
        RecordSettings {
            enabled: false,
            dir: None,
            keep: Duration::from_secs(7 * 86_400),
            max_bytes: 1 << 30,
            payloads: false,
        }
    }
}

impl RecordSettings {
    /// The directory the profile's recording lives in.
    pub fn dir_for(&self, profile: &str) -> Option<PathBuf> {
        self.dir.clone().or_else(|| {
            directories::ProjectDirs::from("", "", "redeye")
                .map(|d| d.data_dir().join("recordings").join(profile))
        })
    }
}

impl Profile {
    /// A writable local profile for `localhost`-style targets (demo, tests).
    pub fn local(name: &str, origin: Origin, endpoint: Endpoint) -> Self {
        Profile {
            name: name.into(),
            elasticache: false,
            origin,
            environment: Environment::Development,
            read_only: false,
            refresh: Duration::from_secs(1),
            health_window: Duration::from_secs(60),
            theme: None,
            claim_consumer: None,
            target: Target::Standalone(endpoint),
            ssh: None,
            username: None,
            password: None,
            db: 0,
            tls: None,
            timeouts: Timeouts::default(),
            commands: CommandNames::default(),
            streams: StreamSettings::default(),
            alerts: crate::model::alerts::Thresholds::defaults(Duration::from_secs(60)),
            key_families: Vec::new(),
            record: RecordSettings::default(),
        }
    }
}
