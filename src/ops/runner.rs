//! The one operation runner. Every write, from the CLI or the dashboard,
//! passes here, and only here live the rules:
//!
//! 1. read-only profiles refuse, before connecting;
//! 2. the guards against a write that is almost surely a mistake
//!    ([`Runner::guard`]): requeueing from a stream that is not a DLQ, a
//!    purge that would drop nearly every dead letter. The CLI's `--force`
//!    lifts them ([`Overrides`]); the dashboard cannot;
//! 3. the ACL pre-check (ACL DRYRUN of each command the op sends);
//! 4. the audit log must be appendable *before* the first write (else
//!    nothing is changed);
//! 5. the confirmation policy (the word to type) — the CLI and the dashboard
//!    ask in their own way, with the word from [`confirmation`];
//! 6. execution, on the node that owns the key;
//! 7. the audit record, also of a write that failed. If the record fails
//!    after a write succeeded, the write is reported done, with a loud warning.

use super::{Op, Outcome, audit};
use crate::config::{Environment, Profile};
use crate::connect::Deployment;
use crate::error::{Failure, Result};

/// What the user must do to confirm a write on this profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// A plain yes.
    Yes,
    /// Type this word (the profile name: production profiles).
    Type(String),
}

/// The confirmation policy: production profiles need the profile name typed.
pub fn confirmation(profile: &Profile) -> Confirmation {
    confirmation_for(profile.environment, &profile.name)
}

/// [`confirmation`] from the profile's environment and name.
pub fn confirmation_for(environment: Environment, name: &str) -> Confirmation {
    if environment == Environment::Production {
        Confirmation::Type(name.to_string())
    } else {
        Confirmation::Yes
    }
}

/// Refuse writes on read-only profiles, before anything is sent.
pub fn check_writable(profile: &Profile) -> Result<()> {
    writable(profile.read_only, &profile.name)
}

/// [`check_writable`] from the profile's flag and name (the dashboard asks
/// before it opens a confirmation).
pub fn writable(read_only: bool, name: &str) -> Result<()> {
    if read_only {
        return Err(Failure::config(format!(
            "profile '{name}' is read-only, so redeye refuses to write; set read_only: false in the profile (and drop --read-only) to allow it"
        )));
    }
    Ok(())
}

/// The consumer that claims go to unless the profile names one.
pub fn claim_consumer(profile: &Profile) -> crate::model::Name {
    match &profile.claim_consumer {
        Some(c) => crate::model::Name::parse(c),
        None => claim_consumer_default(),
    }
}

/// `oncall-$USER`.
pub fn claim_consumer_default() -> crate::model::Name {
    format!("oncall-{}", audit::os_user()).into()
}

/// An operation that passed [`Runner::check`]; the only way to [`Runner::run`] one.
pub struct Checked<'o>(&'o Op);

/// The guards a user may lift on the command line (`--force`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Requeue from a stream that does not look like a DLQ.
    pub not_a_dlq: bool,
    /// Purge with a TTL under [`MIN_PURGE_TTL`].
    pub short_ttl: bool,
}

/// A purge with a shorter TTL drops nearly every dead letter.
pub const MIN_PURGE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// A connected runner for one profile.
pub struct Runner<'a> {
    profile: &'a Profile,
    dep: Deployment,
    overrides: Overrides,
}

impl<'a> Runner<'a> {
    /// Refuse on a read-only profile (unless this is a dry run), then connect.
    pub async fn open(profile: &'a Profile, dry_run: bool) -> Result<Runner<'a>> {
        if !dry_run {
            check_writable(profile)?;
        }
        let dep = crate::connect::connect(profile).await?;
        Ok(Runner {
            profile,
            dep,
            overrides: Overrides::default(),
        })
    }

    /// Refuse on a read-only profile, then connect through an open link (the
    /// dashboard's: its tunnel, and Sentinel's master as it is now).
    pub async fn on(link: &'a crate::connect::Link) -> Result<Runner<'a>> {
        let profile = link.profile();
        check_writable(profile)?;
        let dep = link.connect().await?;
        Ok(Runner {
            profile,
            dep,
            overrides: Overrides::default(),
        })
    }

    /// Refuse when Sentinel has named another master since this runner
    /// connected: a write there would be lost when the old master becomes a
    /// replica, and the new one was not what the user confirmed.
    fn still_master(&self) -> Result<()> {
        if self.dep.is_current() {
            return Ok(());
        }
        Err(crate::error::Failure::runtime(format!(
            "the master changed (failover) since this write was prepared on {}; nothing was written; look at the new master and run it again",
            self.dep.describe()
        )))
    }

    /// Lift the guards the user lifted (`--force`).
    pub fn overriding(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
        self
    }

    /// The guards against a write that is almost surely a mistake, for the
    /// CLI and the dashboard alike: a requeue from a stream that does not
    /// look like a DLQ (it has consumer groups, or its entries lack
    /// original_stream/original_id), a purge with a TTL under a minute.
    /// Part of [`Runner::check`]; the CLI also calls it before a dry run.
    pub async fn guard(&self, op: &Op) -> Result<()> {
        match op {
            Op::DlqRequeue { dlq, .. }
            | Op::DlqRequeueAll { dlq, .. }
            | Op::DlqRequeueOlder { dlq, .. }
                if !self.overrides.not_a_dlq =>
            {
                super::looks_like_a_dlq(self.dep.node_for_key(dlq), dlq).await
            }
            Op::DlqPurge { dlq, ttl } if *ttl < MIN_PURGE_TTL && !self.overrides.short_ttl => {
                Err(Failure::config(format!(
                    "a TTL of {} would purge every dead letter older than that, which is nearly all of {dlq}; nothing was changed (give a longer TTL, or on the command line add --force if that is what you mean)",
                    humantime::format_duration(*ttl)
                )))
            }
            _ => Ok(()),
        }
    }

    /// The deployment, for reading what an operation will act on.
    pub fn deployment(&self) -> &Deployment {
        &self.dep
    }

    /// Everything that can refuse the write without changing anything:
    /// read-only, ACL, and whether the audit log can take the record. Only
    /// a [`Checked`] operation can be run.
    pub async fn check<'o>(&self, op: &'o Op) -> Result<Checked<'o>> {
        check_writable(self.profile)?;
        if let Some(bad) = op
            .ids()
            .iter()
            .find(|id| !crate::model::ids::is_stream_id(id))
        {
            return Err(crate::error::Failure::config(format!(
                "`{}` is not a stream id (write ids like 1700000000000-0); nothing was sent",
                crate::sanitize::text(bad)
            )));
        }
        self.still_master()?;
        self.guard(op).await?;
        let node = self.dep.node_for_key(op.stream());
        super::precheck(node, &op.needs()).await?;
        audit::check_appendable()?;
        Ok(Checked(op))
    }

    /// Execute a checked operation and audit it. The CLI checks, confirms,
    /// then runs, so the checks are made once, before the question.
    pub async fn run(
        &self,
        checked: Checked<'_>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Outcome> {
        let op = checked.0;
        // Checked and confirmed against one master; never run on another.
        self.still_master()?;
        let result = op.execute(&self.dep, progress).await;
        let endpoint = self.dep.node_for_key(op.stream()).endpoint.to_string();
        match result {
            Ok(mut out) => {
                let result = match &out.stopped {
                    Some(why) => format!("stopped: {why}"),
                    None => "ok".to_string(),
                };
                if let Err(e) = record(self.profile, &endpoint, &out, &result) {
                    out.warnings.push(format!(
                        "the change WAS made, but its audit record could not be written ({e}); note it by hand"
                    ));
                }
                Ok(out)
            }
            Err(e) => {
                let mut failed = Outcome::failed(op.action(), op.stream());
                failed.group = op.group().cloned();
                failed.ids = op.ids().to_vec();
                // The failure itself is what the user must see; a failed
                // record of it is secondary.
                let _ = record(self.profile, &endpoint, &failed, &format!("error: {e}"));
                Err(e)
            }
        }
    }
}

impl Runner<'_> {
    /// Audit a write refused before anything was sent because what it names
    /// is not there (a missing stream, group or DLQ): who tried what stays
    /// on record with the error. Nothing was changed, so a failure to write
    /// this record is not reported over the refusal itself.
    pub fn audit_refused(&self, out: &Outcome, key: &crate::model::Name, e: &Failure) {
        let endpoint = self.dep.node_for_key(key).endpoint.to_string();
        let _ = record(self.profile, &endpoint, out, &format!("error: {e}"));
    }
}

/// Write the audit record of an operation (also of one that failed).
fn record(profile: &Profile, endpoint: &str, out: &Outcome, result: &str) -> Result<()> {
    let truncated = out.ids.len() > audit::MAX_IDS;
    audit::append(&audit::Record {
        time: audit::now(),
        user: audit::os_user(),
        host: audit::host(),
        profile: profile.name.clone(),
        endpoint: endpoint.to_string(),
        action: out.action.to_string(),
        stream: out.stream.clone(),
        group: out.group.clone(),
        target: out.target.clone(),
        ids: out.ids.iter().take(audit::MAX_IDS).cloned().collect(),
        ids_truncated: truncated,
        count: out.done(),
        result: result.to_string(),
        details: out.counts.clone(),
    })
}
