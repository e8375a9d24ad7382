//! Profiles: file discovery, `${VAR:-default}` interpolation, zero-config mode
//! from environment variables, and validation into a [`Profile`].

pub mod interp;
mod locate;
pub mod raw;
mod resolve;
mod summary;
mod types;
mod zero;

pub use resolve::resolve;
pub use summary::{ProfileSummary, summarize};
pub use types::*;
pub use zero::zero_config;

use crate::error::{Failure, Result};
use raw::RawFile;
use std::path::{Path, PathBuf};

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
    /// The profile names in the order the file writes them (the fleet's
    /// and `snapshot --fleet`'s order).
    pub order: Vec<String>,
}

/// One environment of a fleet: its profile name and the resolved profile,
/// or why it could not be resolved (a failed password_command, a bad
/// value): that environment shows the error, the others still run.
pub struct Member {
    pub name: String,
    pub profile: Result<Profile>,
}

impl Loaded {
    /// The members of a fleet named by `names` (see `fleet`), each resolved.
    pub fn members(
        &self,
        names: &[String],
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Member>> {
        let names = self.fleet(names)?;
        if names.is_empty() {
            return Err(Failure::config(format!(
                "{} has no profiles; add one under profiles:",
                self.path.display()
            )));
        }
        Ok(names
            .into_iter()
            .map(|name| Member {
                profile: resolve(self, &name, lookup),
                name,
            })
            .collect())
    }

    /// The profiles a fleet covers: none named, every profile in file
    /// order; else each name is a profile or a `fleets:` group (expanded),
    /// duplicates dropped. An unknown name is an error naming what exists.
    pub fn fleet(&self, names: &[String]) -> Result<Vec<String>> {
        if names.is_empty() {
            return Ok(self.order.clone());
        }
        let mut out: Vec<String> = Vec::new();
        for n in names {
            let members: Vec<String> = if self.file.profiles.contains_key(n) {
                vec![n.clone()]
            } else if let Some(group) = self.file.fleets.get(n) {
                for m in group {
                    if !self.file.profiles.contains_key(m) {
                        return Err(Failure::config(format!(
                            "{}: fleet '{n}' names profile '{m}', which is not in the file (profiles: {}); fix the fleets: entry",
                            self.path.display(),
                            self.order.join(", ")
                        )));
                    }
                }
                group.clone()
            } else {
                let fleets: Vec<&str> = self.file.fleets.keys().map(String::as_str).collect();
                return Err(Failure::config(format!(
                    "'{n}' is neither a profile nor a fleet in {} (profiles: {}; fleets: {}); pick one of those",
                    self.path.display(),
                    self.order.join(", "),
                    if fleets.is_empty() {
                        "none".to_string()
                    } else {
                        fleets.join(", ")
                    }
                )));
            };
            for m in members {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }
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
    let mut loaded = parse(&path, &text)?;
    if let Some(w) = readable_secret_warning(&path, &loaded.file) {
        loaded.warnings.push(w);
    }
    Ok(Some(loaded))
}

/// Like ssh for private keys: a file holding a literal password that others
/// may read gets a warning (not one whose passwords come from `${VAR}` or
/// `password_command`).
fn readable_secret_warning(path: &Path, file: &RawFile) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o044 == 0 {
            return None;
        }
        let literal = |t: &Option<raw::Templ>| {
            t.as_ref()
                .is_some_and(|t| !t.0.trim().is_empty() && !t.0.contains("${"))
        };
        let holder = file.profiles.iter().find(|(_, p)| {
            literal(&p.redis.password)
                || literal(&p.redis.elasticache.auth_token)
                || literal(&p.redis.sentinel.options.password)
        })?;
        Some(format!(
            "warning: {} holds a literal password (profile '{}') and is readable by others (mode {:o}); run chmod 600 {}, or use ${{VAR}} or password_command",
            path.display(),
            holder.0,
            mode & 0o777,
            path.display()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        None
    }
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
            if msg.contains("budget") {
                return Err(Failure::config(format!(
                    "{}: the config file is too large or too deeply nested to be a profile file ({} bytes; profile files are a few KB); check that --config names the right file",
                    path.display(),
                    text.len()
                )));
            }
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
    let mut order: Vec<String> = file.profiles.keys().cloned().collect();
    order.sort_by_key(|n| {
        locate::line_of(text, &["profiles".to_string(), n.clone()]).unwrap_or(usize::MAX)
    });
    Ok(Loaded {
        path: path.to_path_buf(),
        file,
        warnings,
        order,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        assert_eq!(
            s.dlq.stream_for(&"webhook-events".into()),
            "webhook-events:dlq"
        );
        let names: Vec<_> = s.streams.iter().map(|x| x.name.to_str().unwrap()).collect();
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
