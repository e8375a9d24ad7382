//! Resolving a raw profile into a [`Profile`]: interpolation, parsing and
//! validation, every error naming the profile and the key. Cut by concern:
//! the target (`target`), TLS (`tls`), authentication (`auth`), timeouts
//! (`timeouts`), streams and alerts (`streams`); `rules` is shared with
//! zero-config mode.

mod auth;
pub(crate) mod rules;
mod ssh;
mod streams;
mod target;
mod timeouts;
mod tls;

use crate::config::interp;
use crate::config::raw::{RawProfile, Templ};
use crate::config::{CommandNames, Endpoint, Environment, Loaded, Origin, Profile, Target};
use crate::error::{Failure, Result};
use crate::secret::Secret;
use std::fmt;
use std::time::Duration;

/// Resolves one raw profile: interpolation, parsing, validation, all errors naming the profile.
pub(super) struct Resolver<'a> {
    profile: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Resolver<'_> {
    pub(super) fn fail(&self, key: &str, why: impl fmt::Display) -> Failure {
        Failure::config(format!("profile '{}': {key} {why}", self.profile))
    }

    /// Interpolated value; an empty result counts as absent.
    pub(super) fn s(&self, t: &Option<Templ>, key: &str) -> Result<Option<String>> {
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

    pub(super) fn bool(&self, t: &Option<Templ>, key: &str) -> Result<Option<bool>> {
        match self.s(t, key)? {
            None => Ok(None),
            Some(v) => match rules::parse_bool(&v) {
                Some(b) => Ok(Some(b)),
                None => Err(self.fail(
                    key,
                    format_args!("is `{v}`, not true or false; write true or false"),
                )),
            },
        }
    }

    pub(super) fn uint(&self, t: &Option<Templ>, key: &str) -> Result<Option<u64>> {
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

    pub(super) fn duration(&self, t: &Option<Templ>, key: &str) -> Result<Option<Duration>> {
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

    pub(super) fn endpoint(&self, v: &str, key: &str) -> Result<Endpoint> {
        Endpoint::parse(v).map_err(|why| {
            self.fail(
                key,
                format_args!("`{v}` is not a host:port address ({why}); write e.g. localhost:6379"),
            )
        })
    }

    pub(super) fn endpoints(&self, list: &[Templ], key: &str) -> Result<Vec<Endpoint>> {
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
pub(crate) fn environment_from_name(name: &str) -> Environment {
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
pub(crate) enum Secrets {
    Resolve,
    Skip,
}

pub(crate) fn resolve_raw(
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
    if refresh > Duration::from_secs(3600) {
        return Err(r.fail(
            "refresh",
            format_args!(
                "is {}, above the 1h limit (the dashboard would look live and never poll); write at most 1h",
                humantime::format_duration(refresh)
            ),
        ));
    }
    let health_window = r
        .duration(&raw.health_window, "health_window")?
        .unwrap_or(Duration::from_secs(60));
    if health_window < refresh * 2 || health_window > Duration::from_secs(3600) {
        return Err(r.fail(
            "health_window",
            format_args!(
                "is {}; it must hold at least two polls (refresh {}) and at most 1h",
                humantime::format_duration(health_window),
                humantime::format_duration(refresh)
            ),
        ));
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

    let mut tls = tls::read(&r, &redis.tls)?;
    let target = target::resolve(&r, redis, &secret, &mut password, &mut tls)?;

    if password.is_some() && password_command.is_some() {
        return Err(r.fail(
            "redis.password_command",
            "and redis.password are both set; keep only one",
        ));
    }
    let pw_limit = r
        .duration(
            &redis.password_command_timeout,
            "redis.password_command_timeout",
        )?
        .unwrap_or(auth::DEFAULT_TIMEOUT);
    let password = match password_command {
        Some(cmd) => Some(auth::run_password_command(name, &cmd, pw_limit)?),
        None => password.map(Secret::new),
    };

    let tls = tls.settle();
    let ssh = ssh::resolve(&r, raw.ssh.as_ref())?;
    let timeouts = timeouts::resolve(&r, redis, &target)?;

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

    let streams = streams::resolve_streams(&r, raw)?;
    let alerts = streams::resolve_alerts(&r, raw, streams.claim_min_idle)?;
    let key_families = streams::resolve_key_families(&r, raw)?;
    let record = streams::resolve_record(&r, raw)?;

    let read_only = match r.bool(&raw.read_only, "read_only")? {
        Some(v) => v,
        None => match (&origin, &target) {
            (Origin::File(_), _) => true,
            (_, Target::Standalone(ep)) => !ep.is_loopback(),
            _ => true,
        },
    };

    let elasticache = r
        .bool(&raw.redis.elasticache.enabled, "redis.elasticache.enabled")?
        .unwrap_or(false);
    Ok(Profile {
        name: name.to_string(),
        elasticache,
        origin,
        environment,
        read_only,
        refresh,
        health_window,
        theme: r.s(&raw.theme, "theme")?,
        claim_consumer: r.s(&raw.claim_consumer, "claim_consumer")?,
        target,
        ssh,
        username,
        password,
        db,
        tls,
        timeouts,
        commands,
        streams,
        alerts,
        key_families,
        record,
    })
}
