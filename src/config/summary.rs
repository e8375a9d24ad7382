//! `redeye profiles`: a line per profile, never resolving secrets.

use super::resolve::{Secrets, environment_from_name, resolve_raw};
use super::{Loaded, Origin};
use serde::Serialize;

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
    /// The SSH bastion (`ssh.host`), if the profile goes through one.
    pub via: Option<String>,
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
            let via = raw
                .ssh
                .as_ref()
                .and_then(|s| s.host.as_ref())
                .map(|h| crate::sanitize::text(&h.0));
            ProfileSummary {
                via,
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
