//! Profiles: file discovery, `${VAR:-default}` interpolation, zero-config mode
//! from environment variables, and validation into a [`Profile`].

pub mod interp;
mod locate;
pub mod raw;

use crate::error::{Failure, Result};
use crate::secret::Secret;
use raw::{RawDlq, RawFile, RawProfile, Templ};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the config file is looked for when neither `--config` nor `REDEYE_CONFIG` is given.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "redeye").map(|d| d.config_dir().join("config.yaml"))
}

/// A parsed profile file and the warnings it produced.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub file: RawFile,
    pub warnings: Vec<String>,
}

/// Load the config file: `explicit` (from `--config` / `REDEYE_CONFIG`) must exist;
/// the default location may be absent (`Ok(None)`).
pub fn load(explicit: Option<&Path>) -> Result<Option<Loaded>> {
    let (path, must_exist) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => match default_config_path() {
            Some(p) => (p, false),
            None => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::config(format!(
                "config file {} does not exist; check the path given with --config or REDEYE_CONFIG",
                path.display()
            )));
        }
        Err(e) => {
            return Err(Failure::config(format!(
                "cannot read config file {}: {e}; check its permissions",
                path.display()
            )));
        }
    };
    parse(&path, &text).map(Some)
}

/// Parse profile-file text; `path` is used in messages only.
pub fn parse(path: &Path, text: &str) -> Result<Loaded> {
    let mut ignored: Vec<Vec<String>> = Vec::new();
    let parsed = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_ignored::deserialize(de, |p| ignored.push(segments(&p)))
    });
    let file: Option<RawFile> = match parsed {
        Ok(f) => f,
        Err(e) => {
            let at = e
                .location()
                .map(|l| format!("{}:{}:{}", path.display(), l.line(), l.column()))
                .unwrap_or_else(|| path.display().to_string());
            let msg = e.without_snippet().to_string();
            let msg = msg
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .trim()
                .to_string();
            return Err(Failure::config(format!(
                "{at}: the config file is not valid: {msg}; fix the YAML there"
            )));
        }
    };
    let file = file.unwrap_or_default();
    let warnings = ignored
        .iter()
        .map(|segs| {
            let line = locate::line_of(text, segs)
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            format!(
                "warning: {}{line}: unknown key `{}` is ignored; check its spelling against the profile reference",
                path.display(),
                segs.join(".")
            )
        })
        .collect();
    Ok(Loaded {
        path: path.to_path_buf(),
        file,
        warnings,
    })
}

fn segments(p: &serde_ignored::Path) -> Vec<String> {
    use serde_ignored::Path as P;
    let mut out = match p {
        P::Root => return Vec::new(),
        P::Seq { parent, .. }
        | P::Map { parent, .. }
        | P::Some { parent }
        | P::NewtypeStruct { parent }
        | P::NewtypeVariant { parent } => segments(parent),
    };
    match p {
        P::Seq { index, .. } => out.push(index.to_string()),
        P::Map { key, .. } => out.push(key.clone()),
        _ => {}
    }
    out
}

// ---------------------------------------------------------------------------
// Resolved profile

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Staging,
    Production,
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
    },
    Cluster {
        addresses: Vec<Endpoint>,
        read_from_replicas: bool,
    },
}

impl Target {
    pub fn mode(&self) -> &'static str {
        match self {
            Target::Standalone(_) => "standalone",
            Target::Sentinel { .. } => "sentinel",
            Target::Cluster { .. } => "cluster",
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSpec {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSpec {
    pub name: String,
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
    pub fn stream_for(&self, stream: &str) -> String {
        format!("{stream}{}", self.suffix)
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
                .map(|g| GroupSpec {
                    name: g.to_string(),
                })
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
    pub origin: Origin,
    pub environment: Environment,
    pub read_only: bool,
    pub refresh: Duration,
    pub theme: Option<String>,
    pub claim_consumer: Option<String>,
    pub target: Target,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub db: i64,
    pub tls: Option<TlsSettings>,
    pub timeouts: Timeouts,
    pub commands: CommandNames,
    pub streams: StreamSettings,
    pub alerts: crate::model::alerts::Thresholds,
}

impl Profile {
    /// A writable local profile for `localhost`-style targets (demo, tests).
    pub fn local(name: &str, origin: Origin, endpoint: Endpoint) -> Self {
        Profile {
            name: name.into(),
            origin,
            environment: Environment::Development,
            read_only: false,
            refresh: Duration::from_secs(1),
            theme: None,
            claim_consumer: None,
            target: Target::Standalone(endpoint),
            username: None,
            password: None,
            db: 0,
            tls: None,
            timeouts: Timeouts::default(),
            commands: CommandNames::default(),
            streams: StreamSettings::default(),
            alerts: crate::model::alerts::Thresholds::defaults(Duration::from_secs(60)),
        }
    }
}

/// Resolves one raw profile: interpolation, parsing, validation, all errors naming the profile.
struct Resolver<'a> {
    profile: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Resolver<'_> {
    fn fail(&self, key: &str, why: impl fmt::Display) -> Failure {
        Failure::config(format!("profile '{}': {key} {why}", self.profile))
    }

    /// Interpolated value; an empty result counts as absent.
    fn s(&self, t: &Option<Templ>, key: &str) -> Result<Option<String>> {
        let Some(t) = t else { return Ok(None) };
        match interp::expand(&t.0, self.lookup) {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => Ok(Some(v.trim().to_string())),
            Err(interp::InterpError::Missing(var)) => Err(Failure::config(format!(
                "profile '{}': {key} uses ${{{var}}}, which is not set; export {var} or write ${{{var}:-default}}",
                self.profile
            ))),
            Err(interp::InterpError::Unclosed(_)) => {
                Err(self.fail(key, "has a `${` without its closing `}`; close it"))
            }
        }
    }

    fn bool(&self, t: &Option<Templ>, key: &str) -> Result<Option<bool>> {
        match self.s(t, key)? {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(Some(true)),
                "false" | "no" | "off" | "0" => Ok(Some(false)),
                _ => Err(self.fail(
                    key,
                    format_args!("is `{v}`, not true or false; write true or false"),
                )),
            },
        }
    }

    fn uint(&self, t: &Option<Templ>, key: &str) -> Result<Option<u64>> {
        match self.s(t, key)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                self.fail(
                    key,
                    format_args!("is `{v}`, not a whole number; write a number like 3"),
                )
            }),
        }
    }

    fn duration(&self, t: &Option<Templ>, key: &str) -> Result<Option<Duration>> {
        match self.s(t, key)? {
            None => Ok(None),
            Some(v) => humantime::parse_duration(&v).map(Some).map_err(|e| {
                self.fail(
                    key,
                    format_args!("is `{v}`, not a duration ({e}); write e.g. 500ms, 5s, 7d"),
                )
            }),
        }
    }

    fn endpoint(&self, v: &str, key: &str) -> Result<Endpoint> {
        Endpoint::parse(v).map_err(|why| {
            self.fail(
                key,
                format_args!("`{v}` is not a host:port address ({why}); write e.g. localhost:6379"),
            )
        })
    }

    fn endpoints(&self, list: &[Templ], key: &str) -> Result<Vec<Endpoint>> {
        let mut out = Vec::new();
        for (i, t) in list.iter().enumerate() {
            let k = format!("{key}[{i}]");
            if let Some(v) = self.s(&Some(t.clone()), &k)? {
                out.push(self.endpoint(&v, &k)?);
            }
        }
        Ok(out)
    }
}

/// Guess the environment from a profile's name when it does not say.
fn environment_from_name(name: &str) -> Environment {
    let n = name.to_ascii_lowercase();
    if n.starts_with("prod") || n.contains("-prod") || n.contains("_prod") {
        Environment::Production
    } else if n.starts_with("stag") || n.contains("-stag") || n.contains("_stag") {
        Environment::Staging
    } else {
        Environment::Development
    }
}

/// Resolve the named profile from a loaded file, with `lookup` for `${VAR}`s.
pub fn resolve(
    loaded: &Loaded,
    name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Profile> {
    let Some(raw) = loaded.file.profiles.get(name) else {
        let known: Vec<&str> = loaded.file.profiles.keys().map(String::as_str).collect();
        let list = if known.is_empty() {
            "it defines no profiles".to_string()
        } else {
            format!("known profiles: {}", known.join(", "))
        };
        return Err(Failure::config(format!(
            "unknown profile '{name}' in {} ({list}); pick one of those or add it to the file",
            loaded.path.display()
        )));
    };
    resolve_raw(
        name,
        raw,
        Origin::File(loaded.path.clone()),
        lookup,
        Secrets::Resolve,
    )
}

/// Whether resolution reads secrets (runs password_command, interpolates passwords).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrets {
    Resolve,
    Skip,
}

fn resolve_raw(
    name: &str,
    raw: &RawProfile,
    origin: Origin,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: Secrets,
) -> Result<Profile> {
    let r = Resolver {
        profile: name,
        lookup,
    };
    let redis = &raw.redis;

    let environment = match r.s(&raw.environment, "environment")? {
        None => environment_from_name(name),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "development" | "dev" => Environment::Development,
            "staging" | "stage" => Environment::Staging,
            "production" | "prod" => Environment::Production,
            _ => {
                return Err(r.fail(
                    "environment",
                    format_args!("is `{v}`; write development, staging or production"),
                ));
            }
        },
    };
    let refresh = r
        .duration(&raw.refresh, "refresh")?
        .unwrap_or(Duration::from_secs(1));
    if refresh < Duration::from_millis(100) {
        return Err(r.fail("refresh", "is below 100ms; poll at most ten times a second"));
    }

    // Authentication.
    let secret = |t: &Option<Templ>, key: &str| match secrets {
        Secrets::Resolve => r.s(t, key),
        Secrets::Skip => Ok(None),
    };
    let mut password = secret(&redis.password, "redis.password")?;
    let password_command = secret(&redis.password_command, "redis.password_command")?;
    let username = r.s(&redis.username, "redis.username")?;
    let db = match r.uint(&redis.db, "redis.db")? {
        None => 0,
        Some(d) if d <= i64::MAX as u64 => d as i64,
        Some(_) => {
            return Err(r.fail(
                "redis.db",
                "is too large; Redis databases are numbered from 0",
            ));
        }
    };

    // TLS.
    let tls_raw = &redis.tls;
    let ca_file = r
        .s(&tls_raw.ca_file, "redis.tls.ca_file")?
        .map(PathBuf::from);
    let cert_file = r
        .s(&tls_raw.cert_file, "redis.tls.cert_file")?
        .map(PathBuf::from);
    let key_file = r
        .s(&tls_raw.key_file, "redis.tls.key_file")?
        .map(PathBuf::from);
    let mut tls_enabled = r.bool(&tls_raw.enabled, "redis.tls.enabled")?;
    if cert_file.is_some() != key_file.is_some() {
        return Err(r.fail(
            "redis.tls",
            "has only one of cert_file and key_file; mutual TLS needs both",
        ));
    }
    let min_version = match r.s(
        &tls_raw.options.min_version,
        "redis.tls.options.min_version",
    )? {
        None => TlsVersion::V1_2,
        Some(v) => match v
            .to_ascii_lowercase()
            .trim_start_matches("tls")
            .trim_start_matches('v')
        {
            "1.2" | "12" => TlsVersion::V1_2,
            "1.3" | "13" => TlsVersion::V1_3,
            _ => {
                return Err(r.fail(
                    "redis.tls.options.min_version",
                    format_args!("is `{v}`; write \"1.2\" or \"1.3\""),
                ));
            }
        },
    };
    let skip_verify = r
        .bool(
            &tls_raw.options.skip_verify,
            "redis.tls.options.skip_verify",
        )?
        .unwrap_or(false);
    let server_name = r.s(
        &tls_raw.options.server_name,
        "redis.tls.options.server_name",
    )?;

    // Topology.
    let sentinel_on = r
        .bool(&redis.sentinel.enabled, "redis.sentinel.enabled")?
        .unwrap_or(false);
    let cluster_on = r
        .bool(&redis.cluster.enabled, "redis.cluster.enabled")?
        .unwrap_or(false);
    let ec = &redis.elasticache;
    let ec_on = r
        .bool(&ec.enabled, "redis.elasticache.enabled")?
        .unwrap_or(false);
    if sentinel_on && (cluster_on || ec_on) {
        return Err(r.fail(
            "redis",
            "enables both sentinel and cluster/elasticache; a deployment is one or the other, so disable one",
        ));
    }
    let address = r.s(&redis.address, "redis.address")?;
    let target = if ec_on {
        if let Some(token) = secret(&ec.auth_token, "redis.elasticache.auth_token")? {
            if password.is_some() {
                return Err(r.fail(
                    "redis.elasticache.auth_token",
                    "and redis.password are both set; keep only one",
                ));
            }
            password = Some(token);
        }
        if r.bool(
            &ec.encryption.in_transit,
            "redis.elasticache.encryption.in_transit",
        )? == Some(true)
        {
            tls_enabled = Some(true);
        }
        let port = r.uint(&ec.port, "redis.elasticache.port")?.unwrap_or(6379);
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| r.fail("redis.elasticache.port", "is not a port from 1 to 65535"))?;
        let ec_cluster = r
            .bool(
                &ec.cluster_mode.enabled,
                "redis.elasticache.cluster_mode.enabled",
            )?
            .unwrap_or(false);
        let cfg_ep = r.s(
            &ec.cluster_mode.configuration_endpoint,
            "redis.elasticache.cluster_mode.configuration_endpoint",
        )?;
        let endpoint = r.s(&ec.endpoint, "redis.elasticache.endpoint")?;
        let with_port = |host: String| {
            if host.contains(':') && !host.starts_with('[') {
                host
            } else {
                format!("{host}:{port}")
            }
        };
        if ec_cluster {
            let ep = cfg_ep.or(endpoint).ok_or_else(|| {
                r.fail(
                    "redis.elasticache.cluster_mode",
                    "is enabled but neither configuration_endpoint nor endpoint is set; set configuration_endpoint",
                )
            })?;
            Target::Cluster {
                addresses: vec![r.endpoint(
                    &with_port(ep),
                    "redis.elasticache.cluster_mode.configuration_endpoint",
                )?],
                read_from_replicas: false,
            }
        } else {
            let ep = endpoint.ok_or_else(|| {
                r.fail(
                    "redis.elasticache.endpoint",
                    "is not set; set it to the primary endpoint",
                )
            })?;
            Target::Standalone(r.endpoint(&with_port(ep), "redis.elasticache.endpoint")?)
        }
    } else if sentinel_on {
        let master_name = r
            .s(&redis.sentinel.master_name, "redis.sentinel.master_name")?
            .ok_or_else(|| {
                r.fail(
                    "redis.sentinel.master_name",
                    "is not set; Sentinel needs the master's name",
                )
            })?;
        let addresses = r.endpoints(&redis.sentinel.addresses, "redis.sentinel.addresses")?;
        if addresses.is_empty() {
            return Err(r.fail(
                "redis.sentinel.addresses",
                "is empty; list at least one sentinel host:port",
            ));
        }
        let opts = &redis.sentinel.options;
        Target::Sentinel {
            master_name,
            addresses,
            password: secret(&opts.password, "redis.sentinel.options.password")?.map(Secret::new),
            username: r.s(&opts.username, "redis.sentinel.options.username")?,
        }
    } else if cluster_on {
        let addresses = r.endpoints(&redis.cluster.addresses, "redis.cluster.addresses")?;
        if addresses.is_empty() {
            return Err(r.fail(
                "redis.cluster.addresses",
                "is empty; list at least one node host:port",
            ));
        }
        Target::Cluster {
            addresses,
            read_from_replicas: r
                .bool(
                    &redis.cluster.options.read_only,
                    "redis.cluster.options.read_only",
                )?
                .unwrap_or(false),
        }
    } else {
        let a = address.as_deref().unwrap_or("localhost:6379");
        Target::Standalone(r.endpoint(a, "redis.address")?)
    };

    if password.is_some() && password_command.is_some() {
        return Err(r.fail(
            "redis.password_command",
            "and redis.password are both set; keep only one",
        ));
    }
    let password = match password_command {
        Some(cmd) => Some(run_password_command(name, &cmd)?),
        None => password.map(Secret::new),
    };

    let tls = tls_enabled
        .unwrap_or(ca_file.is_some() || cert_file.is_some())
        .then_some(TlsSettings {
            ca_file,
            cert_file,
            key_file,
            skip_verify,
            server_name,
            min_version,
        });

    let mut timeouts = Timeouts::default();
    if let Some(d) = r.duration(&redis.timeouts.connect, "redis.timeouts.connect")? {
        timeouts.connect = d;
    }
    if let Some(d) = r.duration(&redis.timeouts.read, "redis.timeouts.read")? {
        timeouts.read = d;
    }
    if let Some(d) = r.duration(&redis.timeouts.write, "redis.timeouts.write")? {
        timeouts.write = d;
    }
    if let Target::Sentinel { .. } = target
        && let Some(d) = r.duration(
            &redis.sentinel.options.dial_timeout,
            "redis.sentinel.options.dial_timeout",
        )?
    {
        timeouts.connect = d;
    }
    for (k, d) in [("connect", timeouts.connect), ("read", timeouts.read)] {
        if d.is_zero() {
            return Err(r.fail(
                &format!("redis.timeouts.{k}"),
                "is zero; give a positive duration like 5s",
            ));
        }
    }

    let mut renames = Vec::new();
    for (k, v) in &redis.rename_commands {
        let v = match interp::expand(&v.0, lookup) {
            Ok(v) => v,
            Err(_) => r
                .s(&Some(v.clone()), &format!("redis.rename_commands.{k}"))?
                .unwrap_or_default(),
        };
        renames.push((k.clone(), v));
    }
    let commands = CommandNames::from_pairs(renames);

    let streams = resolve_streams(&r, raw)?;
    let alerts = resolve_alerts(&r, raw, streams.claim_min_idle)?;

    let read_only = match r.bool(&raw.read_only, "read_only")? {
        Some(v) => v,
        None => match (&origin, &target) {
            (Origin::File(_), _) => true,
            (_, Target::Standalone(ep)) => !ep.is_loopback(),
            _ => true,
        },
    };

    Ok(Profile {
        name: name.to_string(),
        origin,
        environment,
        read_only,
        refresh,
        theme: r.s(&raw.theme, "theme")?,
        claim_consumer: r.s(&raw.claim_consumer, "claim_consumer")?,
        target,
        username,
        password,
        db,
        tls,
        timeouts,
        commands,
        streams,
        alerts,
    })
}

fn resolve_alerts(
    r: &Resolver,
    raw: &RawProfile,
    claim_min_idle: Duration,
) -> Result<crate::model::alerts::Thresholds> {
    let mut t = crate::model::alerts::Thresholds::defaults(claim_min_idle);
    let Some(a) = &raw.alerts else { return Ok(t) };
    let num = |v: &Option<Templ>, key: &str| -> Result<Option<f64>> {
        match r.s(v, &format!("alerts.{key}"))? {
            None => Ok(None),
            Some(s) => s.parse::<f64>().map(Some).map_err(|_| {
                r.fail(
                    &format!("alerts.{key}"),
                    format_args!("is `{s}`, not a number"),
                )
            }),
        }
    };
    macro_rules! set {
        ($field:ident, f64) => {
            if let Some(v) = num(&a.$field, stringify!($field))? {
                t.$field = v;
            }
        };
        ($field:ident, u64) => {
            if let Some(v) = r.uint(&a.$field, concat!("alerts.", stringify!($field)))? {
                t.$field = v;
            }
        };
        ($field:ident, dur) => {
            if let Some(v) = r.duration(&a.$field, concat!("alerts.", stringify!($field)))? {
                t.$field = v;
            }
        };
    }
    set!(memory_warn_pct, f64);
    set!(memory_crit_pct, f64);
    set!(fragmentation_warn, f64);
    set!(fragmentation_crit, f64);
    set!(evictions_warn_per_s, f64);
    set!(lag_warn, u64);
    set!(lag_crit, u64);
    set!(pending_warn, u64);
    set!(pending_crit, u64);
    set!(oldest_pending_warn, dur);
    set!(oldest_pending_crit, dur);
    set!(dlq_warn, u64);
    set!(slowlog_warn_new, u64);
    Ok(t)
}

fn resolve_streams(r: &Resolver, raw: &RawProfile) -> Result<StreamSettings> {
    let defaults = StreamSettings::default();
    let s = &raw.redis.streams;
    let mut settings = StreamSettings {
        streams: Vec::new(),
        ..defaults.clone()
    };
    if let Some(n) = r.uint(&s.config.max_len, "redis.streams.config.max_len")? {
        settings.max_len = n;
    }
    if let Some(d) = r.duration(
        &s.config.claim_min_idle,
        "redis.streams.config.claim_min_idle",
    )? {
        settings.claim_min_idle = d;
    }
    let dlq: Option<&RawDlq> = s.dlq.as_ref().or(raw.redis.dlq.as_ref());
    if let Some(d) = dlq {
        if let Some(v) = r.bool(&d.enabled, "redis.streams.dlq.enabled")? {
            settings.dlq.enabled = v;
        }
        if let Some(v) = r.uint(&d.max_retries, "redis.streams.dlq.max_retries")? {
            settings.dlq.max_retries = v;
        }
        if let Some(v) = r.duration(&d.ttl, "redis.streams.dlq.ttl")? {
            settings.dlq.ttl = v;
        }
        if let Some(v) = r.s(&d.suffix, "redis.streams.dlq.suffix")? {
            settings.dlq.suffix = v;
        }
    }

    if s.names.is_empty() && s.consumer_groups.is_empty() {
        settings.streams = defaults.streams;
        return Ok(settings);
    }
    // alias -> real stream name
    let mut aliases: BTreeMap<&str, String> = BTreeMap::new();
    for (alias, t) in &s.names {
        let key = format!("redis.streams.{alias}");
        let real = r
            .s(&Some(t.clone()), &key)?
            .ok_or_else(|| r.fail(&key, "is empty; give the stream's name"))?;
        aliases.insert(alias, real.clone());
        if !settings.streams.iter().any(|x| x.name == real) {
            settings.streams.push(StreamSpec {
                name: real,
                groups: Vec::new(),
            });
        }
    }
    for (key, g) in &s.consumer_groups {
        let k = format!("redis.streams.consumer_groups.{key}");
        let stream = r.s(&g.stream, &format!("{k}.stream"))?.ok_or_else(|| {
            r.fail(
                &format!("{k}.stream"),
                "is not set; name the stream this group reads",
            )
        })?;
        let real = aliases.get(stream.as_str()).cloned().unwrap_or(stream);
        let group = r
            .s(&g.name, &format!("{k}.name"))?
            .unwrap_or_else(|| key.clone());
        let idx = match settings.streams.iter().position(|x| x.name == real) {
            Some(i) => i,
            None => {
                settings.streams.push(StreamSpec {
                    name: real,
                    groups: Vec::new(),
                });
                settings.streams.len() - 1
            }
        };
        let spec = &mut settings.streams[idx];
        if !spec.groups.iter().any(|x| x.name == group) {
            spec.groups.push(GroupSpec { name: group });
        }
    }
    Ok(settings)
}

fn run_password_command(profile: &str, cmd: &str) -> Result<Secret> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Failure::config(format!(
                "profile '{profile}': redis.password_command could not be started ({e}); check that sh exists"
            ))
        })?;
    if !out.status.success() {
        return Err(Failure::config(format!(
            "profile '{profile}': redis.password_command failed ({}); run it by hand to see why",
            out.status
        )));
    }
    let pw = String::from_utf8(out.stdout).map_err(|_| {
        Failure::config(format!(
            "profile '{profile}': redis.password_command printed something that is not UTF-8 text"
        ))
    })?;
    let pw = pw.trim();
    if pw.is_empty() {
        return Err(Failure::config(format!(
            "profile '{profile}': redis.password_command printed nothing; it must print the password"
        )));
    }
    Ok(Secret::new(pw))
}

/// Zero-config mode: a profile built from `REDIS_*` environment variables.
pub fn zero_config(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Profile> {
    let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
    let fail = |var: &str, why: &str| Failure::config(format!("{var} {why}"));
    let address = match get("REDIS_ADDR") {
        Some(a) => a,
        None => match (get("REDIS_HOST"), get("REDIS_PORT")) {
            (None, None) => "localhost:6379".to_string(),
            (h, p) => {
                let h = h.unwrap_or_else(|| "localhost".into());
                let host = if h.contains(':') { format!("[{h}]") } else { h };
                format!("{host}:{}", p.unwrap_or_else(|| "6379".into()))
            }
        },
    };
    let endpoint = Endpoint::parse(&address).map_err(|why| {
        fail(
            "REDIS_ADDR",
            &format!("`{address}` is not a host:port address ({why}); set it like localhost:6379"),
        )
    })?;
    let mut p = Profile::local("(zero-config)", Origin::ZeroConfig, endpoint.clone());
    p.read_only = !endpoint.is_loopback();
    p.password = get("REDIS_PASSWORD").map(Secret::new);
    p.username = get("REDIS_USERNAME");
    if let Some(db) = get("REDIS_DB") {
        p.db = db
            .trim()
            .parse::<u32>()
            .map_err(|_| {
                fail(
                    "REDIS_DB",
                    &format!("is `{db}`, not a database number; set it like 0"),
                )
            })?
            .into();
    }
    let flag = |var: &str| -> Result<bool> {
        match get(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
            Some(v) => Err(fail(var, &format!("is `{v}`; set it to true or false"))),
        }
    };
    let ca_file = get("REDIS_TLS_CA_FILE").map(PathBuf::from);
    let cert_file = get("REDIS_TLS_CERT_FILE").map(PathBuf::from);
    let key_file = get("REDIS_TLS_KEY_FILE").map(PathBuf::from);
    if cert_file.is_some() != key_file.is_some() {
        return Err(Failure::config(
            "REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together for mutual TLS",
        ));
    }
    if flag("REDIS_TLS_ENABLED")? || ca_file.is_some() || cert_file.is_some() {
        p.tls = Some(TlsSettings {
            ca_file,
            cert_file,
            key_file,
            skip_verify: flag("REDIS_TLS_SKIP_VERIFY")?,
            server_name: None,
            min_version: TlsVersion::V1_2,
        });
    }
    Ok(p)
}

/// A one-line summary of a profile for `redeye profiles`, without resolving secrets
/// or failing on unset variables.
#[derive(Debug, Serialize)]
pub struct ProfileSummary {
    pub name: String,
    pub default: bool,
    pub environment: String,
    pub mode: String,
    pub endpoint: String,
    pub tls: bool,
    pub username: Option<String>,
    pub auth: String,
    pub read_only: bool,
    pub problem: Option<String>,
}

pub fn summarize(loaded: &Loaded, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<ProfileSummary> {
    loaded
        .file
        .profiles
        .iter()
        .map(|(name, raw)| {
            let is_default = loaded.file.default_profile.as_deref() == Some(name.as_str());
            let auth = if raw.redis.password_command.is_some() {
                "password_command"
            } else if [&raw.redis.password, &raw.redis.elasticache.auth_token]
                .iter()
                .any(|t| t.as_ref().is_some_and(|t| !t.0.trim().is_empty()))
            {
                "password (hidden)"
            } else {
                "none"
            };
            // No secrets in a listing: password_command is not run, ${VAR}s of secrets not read.
            let resolved = resolve_raw(
                name,
                raw,
                Origin::File(loaded.path.clone()),
                lookup,
                Secrets::Skip,
            );
            let (environment, mode, endpoint, tls, username, read_only, problem) = match resolved {
                Ok(p) => (
                    p.environment.to_string(),
                    p.target.mode().to_string(),
                    p.target.describe(),
                    p.tls.is_some(),
                    p.username.clone(),
                    p.read_only,
                    None,
                ),
                Err(e) => (
                    environment_from_name(name).to_string(),
                    "?".into(),
                    raw.redis
                        .address
                        .as_ref()
                        .map(|t| t.0.clone())
                        .unwrap_or_else(|| "?".into()),
                    false,
                    None,
                    true,
                    Some(e.message().to_string()),
                ),
            };
            ProfileSummary {
                name: name.clone(),
                default: is_default,
                environment,
                mode,
                endpoint,
                tls,
                username,
                auth: auth.into(),
                read_only,
                problem,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Loaded {
        parse(Path::new("t.yaml"), yaml).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn stream_aliases_groups_and_dlq_settings() {
        let l = load(
            r#"
profiles:
  p:
    redis:
      streams:
        webhook_events: "webhook-events"
        consumer_groups:
          webhook-processors:
            stream: webhook_events
          agents:
            stream: "agent:messages"
        config:
          claim_min_idle: 5s
        dlq:
          max_retries: 5
          ttl: 24h
"#,
        );
        let p = resolve(&l, "p", &no_env).unwrap();
        let s = &p.streams;
        assert_eq!(s.claim_min_idle, Duration::from_secs(5));
        assert_eq!(s.dlq.max_retries, 5);
        assert_eq!(s.dlq.ttl, Duration::from_secs(86400));
        assert_eq!(s.dlq.stream_for("webhook-events"), "webhook-events:dlq");
        let names: Vec<_> = s.streams.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["webhook-events", "agent:messages"]);
        assert_eq!(s.streams[0].groups[0].name, "webhook-processors");
        assert_eq!(s.streams[1].groups[0].name, "agents");
    }

    #[test]
    fn defaults_are_the_documents() {
        let p = resolve(
            &load("profiles:\n  staging-eu: {}\n"),
            "staging-eu",
            &no_env,
        )
        .unwrap();
        assert_eq!(p.environment, Environment::Staging);
        assert!(
            p.read_only,
            "file profiles are read-only unless they say otherwise"
        );
        assert_eq!(p.refresh, Duration::from_secs(1));
        assert_eq!(p.timeouts, Timeouts::default());
        assert_eq!(
            p.target,
            Target::Standalone(Endpoint::parse("localhost:6379").unwrap())
        );
        assert_eq!(p.streams, StreamSettings::default());
        assert_eq!(p.streams.claim_min_idle, Duration::from_secs(60));
        assert_eq!(p.streams.dlq.ttl, Duration::from_secs(7 * 86400));
    }

    #[test]
    fn interpolation_in_non_string_fields() {
        let l = load(
            "profiles:\n  p:\n    read_only: ${RO:-false}\n    redis:\n      db: ${REDIS_DB:-2}\n      tls:\n        enabled: ${TLS:-false}\n",
        );
        let p = resolve(&l, "p", &no_env).unwrap();
        assert_eq!(p.db, 2);
        assert!(p.tls.is_none());
        assert!(!p.read_only);
        let env = |k: &str| (k == "REDIS_DB").then(|| "5".to_string());
        assert_eq!(resolve(&l, "p", &env).unwrap().db, 5);
    }

    #[test]
    fn zero_config_is_writable_only_on_loopback() {
        let env = |k: &str| (k == "REDIS_ADDR").then(|| "127.0.0.1:6390".to_string());
        assert!(!zero_config(&env).unwrap().read_only);
        let env = |k: &str| (k == "REDIS_ADDR").then(|| "10.0.0.5:6380".to_string());
        let p = zero_config(&env).unwrap();
        assert!(p.read_only);
        assert_eq!(p.target.describe(), "10.0.0.5:6380");
    }

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::parse("h").unwrap().port, 6379);
        assert_eq!(
            Endpoint::parse("[::1]:7000").unwrap().to_string(),
            "[::1]:7000"
        );
        assert!(Endpoint::parse("[::1]:7000").unwrap().is_loopback());
        assert!(Endpoint::parse("h:0").is_err());
        assert!(Endpoint::parse(":6379").is_err());
        assert_eq!(
            Endpoint::parse("redis://r.example:6380/").unwrap().host,
            "r.example"
        );
    }

    #[test]
    fn command_names() {
        let n = CommandNames::from_pairs([
            ("config".to_string(), "CONFIG_x".to_string()),
            ("FLUSHALL".to_string(), "".to_string()),
        ]);
        assert_eq!(n.resolve("CONFIG"), Some("CONFIG_x"));
        assert_eq!(n.resolve("FLUSHALL"), None);
        assert_eq!(n.resolve("INFO"), Some("INFO"));
    }

    #[test]
    fn debug_of_a_profile_hides_the_password() {
        let l = load("profiles:\n  p:\n    redis:\n      password: s3cr3t-value\n");
        let p = resolve(&l, "p", &no_env).unwrap();
        assert!(!format!("{p:?}").contains("s3cr3t-value"));
        assert!(!format!("{l:?}").contains("s3cr3t-value"));
    }
}
