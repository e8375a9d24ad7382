//! The fleet: several environments (profiles) at once. Which profiles a
//! fleet covers, and the fleet forms of `snapshot` and `check`, each
//! environment polled in a task of its own so a slow one delays none of
//! the others. The fleet screen is `ui::fleet`.

use crate::config::{self, Member};
use crate::error::{Failure, Result};
use crate::model::Snapshot;
use serde::Serialize;

/// The members of `redeye fleet NAMES` (none: every profile of the file,
/// in the file's order), with the root flags applied as the dashboard
/// applies them (`--read-only`, `--record`).
pub fn members(
    config: Option<&std::path::Path>,
    names: &[String],
    read_only: bool,
    record: bool,
) -> Result<Vec<Member>> {
    let loaded = config::load(config)?.ok_or_else(|| {
        let path = config::default_config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the default location".into());
        Failure::config(format!(
            "the fleet is the profiles of a config file, and there is none at {path}; create one (see assets/config.example.yaml) or pass --config PATH"
        ))
    })?;
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    let mut members = loaded.members(names, &config::interp::env_lookup)?;
    for m in &mut members {
        if let Ok(p) = &mut m.profile {
            p.read_only |= read_only;
            p.record.enabled |= record;
        }
    }
    Ok(members)
}

/// One environment in `snapshot --fleet --json`.
#[derive(Debug, Serialize)]
pub struct EnvSnapshot {
    pub profile: String,
    pub environment: Option<String>,
    /// `live`, `unreachable`, `refused` (login or permission) or `config`.
    pub state: &'static str,
    pub error: Option<String>,
    pub snapshot: Option<Snapshot>,
}

/// Poll every member in parallel (each as `redeye snapshot` would, with
/// `sample`), in the members' order.
pub async fn snapshots(members: Vec<Member>, sample: std::time::Duration) -> Vec<EnvSnapshot> {
    let tasks: Vec<_> = members
        .into_iter()
        .map(|m| {
            tokio::spawn(async move {
                let environment = m.profile.as_ref().ok().map(|p| p.environment.to_string());
                let polled = match m.profile {
                    Err(e) => Err(e),
                    Ok(p) => {
                        async {
                            let conn = crate::connect::connect(&p).await?;
                            let mut req = crate::collect::PollRequest::snapshot(&p);
                            crate::collect::sampled(&p, &conn, &mut req, sample).await
                        }
                        .await
                    }
                };
                let (state, error, snapshot) = match polled {
                    Ok(s) => ("live", None, Some(s)),
                    Err(e) => (
                        state_of(&e),
                        Some(crate::sanitize::text(&e.to_string())),
                        None,
                    ),
                };
                EnvSnapshot {
                    profile: m.name,
                    environment,
                    state,
                    error,
                    snapshot,
                }
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("a fleet snapshot task panicked"));
    }
    out
}

fn state_of(e: &Failure) -> &'static str {
    match e {
        Failure::Refused(_) => "refused",
        Failure::Config(_) => "config",
        _ => "unreachable",
    }
}

/// `redeye check --fleet`: every member judged in parallel, each within
/// `--timeout`; the fleet's line and exit code from `check::fleet_report`.
pub async fn check(members: Vec<Member>, a: &crate::check::CheckArgs) -> i32 {
    let started = std::time::Instant::now();
    let tasks: Vec<_> = members
        .into_iter()
        .map(|m| {
            let a = a.clone();
            tokio::spawn(async move { (m.name, crate::check::judge(m.profile, &a, started).await) })
        })
        .collect();
    let mut each = Vec::with_capacity(tasks.len());
    for t in tasks {
        each.push(t.await.expect("a fleet check task panicked"));
    }
    let fleet = crate::check::fleet_report(&each);
    if a.json {
        let envs: Vec<serde_json::Value> = each
            .iter()
            .map(|(name, v)| {
                let mut j = v.json();
                j["profile"] = serde_json::Value::String(name.clone());
                j
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "status": fleet.status,
                "code": fleet.status.code(),
                "summary": fleet.summary,
                "environments": envs,
            }))
            .expect("verdicts serialise")
        );
    } else {
        println!("{}", fleet.line());
    }
    fleet.status.code()
}
