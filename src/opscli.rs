//! The write operations from the command line, for runbooks and scripts:
//! same safety rules as the dashboard (read-only refusal, confirmation,
//! audit log).

use crate::config::{Environment, Profile};
use crate::connect::{self, Conn};
use crate::error::{Failure, Result};
use crate::ops::{self, DlqSelect, Outcome};
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct WriteFlags {
    /// Show what would happen; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (for scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PendingTarget {
    /// The stream.
    #[arg(long)]
    pub stream: String,
    /// The consumer group.
    #[arg(long)]
    pub group: String,
    /// Pending entry ids (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', num_args = 1.., required_unless_present = "all")]
    pub ids: Vec<String>,
    /// Every pending entry idle at least --min-idle.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Only entries idle at least this long (default: the profile's claim_min_idle).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub min_idle: Option<Duration>,
    /// With --all: only entries held by this consumer.
    #[arg(long)]
    pub consumer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Put dead letters back on their original stream and delete them from the DLQ (atomic per batch).
    Requeue {
        /// The DLQ stream, e.g. webhook_events:dlq.
        #[arg(long)]
        dlq: String,
        #[arg(long, value_delimiter = ',', num_args = 1.., conflicts_with_all = ["all", "older_than"])]
        ids: Vec<String>,
        /// Every entry present when the command starts.
        #[arg(long)]
        all: bool,
        /// Only entries that went to the DLQ longer ago than this.
        #[arg(long, value_parser = humantime::parse_duration, conflicts_with = "all")]
        older_than: Option<Duration>,
        /// Stream for entries without an original_stream field (default: the DLQ name without its suffix).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Delete dead letters (XDEL).
    Delete {
        #[arg(long)]
        dlq: String,
        #[arg(long, value_delimiter = ',', num_args = 1.., required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Drop dead letters older than the TTL (XTRIM MINID), showing the count first.
    PurgeExpired {
        #[arg(long)]
        dlq: String,
        /// Default: the profile's dlq.ttl.
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsumersCommand {
    /// Delete consumers that hold no pending entries and are idle longer than --idle.
    Prune {
        #[arg(long)]
        stream: String,
        #[arg(long)]
        group: String,
        /// Idle time before a consumer counts as dead.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        idle: Duration,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

/// Ask for confirmation, naming the exact action. Production profiles require
/// typing the profile name; without a terminal, `--yes` is required.
pub fn confirm(profile: &Profile, what: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::config(format!(
            "this would {what}; confirm with --yes (or preview with --dry-run)"
        )));
    }
    let expected = if profile.environment == Environment::Production {
        profile.name.clone()
    } else {
        "yes".to_string()
    };
    eprint!(
        "About to {what}.\nProfile '{}' ({}). Type {expected} to go ahead: ",
        profile.name, profile.environment
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::runtime(format!("cannot read the confirmation: {e}")))?;
    if line.trim() != expected {
        return Err(Failure::config("not confirmed; nothing was changed"));
    }
    Ok(())
}

fn print(out: &Outcome, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(out).expect("outcome serialises")
        );
    } else {
        println!("{}", out.summary());
    }
}

fn preview(action: &str, stream: &str, group: Option<&str>, ids: &[String]) -> Outcome {
    let mut o = Outcome {
        action: action.into(),
        stream: stream.into(),
        group: group.map(String::from),
        target: None,
        ids: ids.to_vec(),
        counts: Default::default(),
        dry_run: true,
    };
    o.counts.insert("would".into(), ids.len() as u64);
    o
}

/// Run a write: audit it whatever the result, print the outcome.
async fn finish(
    profile: &Profile,
    conn: &Conn,
    fut: impl Future<Output = Result<Outcome>>,
    json: bool,
    action: &str,
    stream: &str,
) -> Result<()> {
    match fut.await {
        Ok(out) => {
            ops::record(profile, &conn.endpoint.to_string(), &out, "ok")?;
            print(&out, json);
            Ok(())
        }
        Err(e) => {
            let failed = Outcome::failed(action, stream);
            ops::record(
                profile,
                &conn.endpoint.to_string(),
                &failed,
                &format!("error: {e}"),
            )?;
            Err(e)
        }
    }
}

async fn open(profile: &Profile, dry_run: bool) -> Result<Conn> {
    if !dry_run {
        ops::check_writable(profile)?;
    }
    connect::connect(profile).await
}

fn list(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    let more = if ids.len() > 5 {
        format!(" and {} more", ids.len() - 5)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

async fn select(
    conn: &Conn,
    t: &PendingTarget,
    min_idle: Duration,
    min_deliveries: u64,
) -> Result<Vec<String>> {
    if t.all {
        ops::pending_ids(
            conn,
            &t.stream,
            &t.group,
            min_idle,
            t.consumer.as_deref(),
            min_deliveries,
            usize::MAX,
        )
        .await
    } else {
        Ok(t.ids.clone())
    }
}

fn progress_printer(json: bool) -> impl FnMut(u64) {
    let mut last = std::time::Instant::now();
    move |n| {
        if !json && std::io::stderr().is_terminal() && last.elapsed() > Duration::from_millis(250) {
            eprint!("\r{n} done…");
            last = std::time::Instant::now();
        }
    }
}

/// The common start of a write on pending entries: connect (refusing on
/// read-only unless it is a dry run), choose the ids, and handle --dry-run and
/// "nothing to do". `None`: already done.
async fn prepare(
    profile: &Profile,
    t: &PendingTarget,
    f: &WriteFlags,
    action: &str,
    min_deliveries: u64,
) -> Result<Option<(Conn, Duration, Vec<String>)>> {
    let conn = open(profile, f.dry_run).await?;
    let min_idle = t.min_idle.unwrap_or(profile.streams.claim_min_idle);
    let ids = select(&conn, t, min_idle, min_deliveries).await?;
    if f.dry_run {
        print(&preview(action, &t.stream, Some(&t.group), &ids), f.json);
        return Ok(None);
    }
    if ids.is_empty() {
        println!(
            "nothing to {action}: no pending entry of {} group {} idle at least {}{}",
            t.stream,
            t.group,
            humantime::format_duration(min_idle),
            if min_deliveries > 0 {
                format!(" with {min_deliveries}+ deliveries")
            } else {
                String::new()
            }
        );
        return Ok(None);
    }
    Ok(Some((conn, min_idle, ids)))
}

pub async fn claim(
    profile: &Profile,
    t: &PendingTarget,
    to: Option<&str>,
    f: &WriteFlags,
) -> Result<()> {
    let to = to
        .map(String::from)
        .or_else(|| profile.claim_consumer.clone())
        .unwrap_or_else(|| format!("oncall-{}", ops::audit::os_user()));
    let Some((conn, min_idle, ids)) = prepare(profile, t, f, "claim", 0).await? else {
        return Ok(());
    };
    ops::precheck(
        &conn,
        &[&["XCLAIM", &t.stream, &t.group, &to, "0", &ids[0]]],
    )
    .await?;
    confirm(
        profile,
        &format!(
            "claim {} pending entries of stream {} group {} to consumer {to} (only those idle at least {})",
            ids.len(),
            t.stream,
            t.group,
            humantime::format_duration(min_idle)
        ),
        f.yes,
    )?;
    let fut = async {
        if t.all && t.consumer.is_none() {
            let mut p = progress_printer(f.json);
            ops::autoclaim(&conn, &t.stream, &t.group, &to, min_idle, &mut p).await
        } else {
            ops::claim(&conn, &t.stream, &t.group, &to, min_idle, &ids).await
        }
    };
    finish(profile, &conn, fut, f.json, "claim", &t.stream).await
}

pub async fn requeue(profile: &Profile, t: &PendingTarget, f: &WriteFlags) -> Result<()> {
    let Some((conn, min_idle, ids)) = prepare(profile, t, f, "requeue", 0).await? else {
        return Ok(());
    };
    ops::precheck(
        &conn,
        &[
            &["EVALSHA", "0", "0"],
            &["XADD", &t.stream, "*", "f", "v"],
            &["XACK", &t.stream, &t.group, "0-1"],
        ],
    )
    .await?;
    confirm(
        profile,
        &format!(
            "requeue {} pending entries of stream {} group {} ({}): each is added again at the tail of {} and the old one acknowledged",
            ids.len(),
            t.stream,
            t.group,
            list(&ids),
            t.stream
        ),
        f.yes,
    )?;
    let mut p = progress_printer(f.json);
    finish(
        profile,
        &conn,
        ops::requeue_pending(&conn, &t.stream, &t.group, min_idle, &ids, &mut p),
        f.json,
        "requeue",
        &t.stream,
    )
    .await
}

pub async fn dead_letter(
    profile: &Profile,
    t: &PendingTarget,
    dlq: Option<&str>,
    reason: &str,
    min_deliveries: Option<u64>,
    f: &WriteFlags,
) -> Result<()> {
    let dlq = dlq
        .map(String::from)
        .unwrap_or_else(|| profile.streams.dlq.stream_for(&t.stream));
    // --all: poison messages only (delivered more than dlq.max_retries times).
    let min_deliveries = min_deliveries.unwrap_or(if t.all {
        profile.streams.dlq.max_retries + 1
    } else {
        0
    });
    let Some((conn, min_idle, ids)) = prepare(profile, t, f, "dead-letter", min_deliveries).await?
    else {
        return Ok(());
    };
    confirm(
        profile,
        &format!(
            "move {} pending entries of stream {} group {} to the DLQ {dlq} ({}) and acknowledge them",
            ids.len(),
            t.stream,
            t.group,
            list(&ids)
        ),
        f.yes,
    )?;
    finish(
        profile,
        &conn,
        ops::dead_letter(
            &conn,
            &t.stream,
            &t.group,
            &dlq,
            min_idle,
            min_deliveries,
            reason,
            &ids,
        ),
        f.json,
        "dead-letter",
        &t.stream,
    )
    .await
}

pub async fn ack(profile: &Profile, t: &PendingTarget, f: &WriteFlags) -> Result<()> {
    let Some((conn, _, ids)) = prepare(profile, t, f, "ack", 0).await? else {
        return Ok(());
    };
    confirm(
        profile,
        &format!(
            "ACKNOWLEDGE {} pending entries of stream {} group {} ({}) WITHOUT processing them: this work will never be done",
            ids.len(),
            t.stream,
            t.group,
            list(&ids)
        ),
        f.yes,
    )?;
    finish(
        profile,
        &conn,
        ops::ack(&conn, &t.stream, &t.group, &ids),
        f.json,
        "ack",
        &t.stream,
    )
    .await
}

pub async fn dlq(profile: &Profile, cmd: &DlqCommand) -> Result<()> {
    match cmd {
        DlqCommand::Requeue {
            dlq,
            ids,
            all,
            older_than,
            to,
            flags,
        } => {
            let conn = open(profile, flags.dry_run).await?;
            let suffix = &profile.streams.dlq.suffix;
            let fallback = to
                .clone()
                .unwrap_or_else(|| dlq.strip_suffix(suffix.as_str()).unwrap_or(dlq).to_string());
            let sel = if !ids.is_empty() {
                DlqSelect::Ids(ids.clone())
            } else if let Some(d) = older_than {
                // Exclusive, like the count: ids strictly below now - d.
                DlqSelect::UpTo(format!(
                    "({}-0",
                    crate::time::now_ms().saturating_sub(d.as_millis() as u64)
                ))
            } else if *all {
                DlqSelect::UpTo("+".into())
            } else {
                return Err(Failure::config(
                    "say which dead letters: --ids, --all or --older-than",
                ));
            };
            let count = match (&sel, older_than) {
                (DlqSelect::Ids(i), _) => i.len() as u64,
                (DlqSelect::UpTo(_), Some(d)) => ops::count_older(&conn, dlq, *d).await?.0,
                (DlqSelect::UpTo(_), None) => ops::xlen(&conn, dlq).await?,
            };
            if flags.dry_run {
                let mut o = preview("dlq-requeue", dlq, None, ids);
                o.counts.insert("would".into(), count);
                o.target = Some(fallback);
                print(&o, flags.json);
                return Ok(());
            }
            if count == 0 {
                println!("nothing to requeue in {dlq}");
                return Ok(());
            }
            confirm(
                profile,
                &format!(
                    "requeue {count} dead letters of {dlq} to their original stream (default {fallback}) and delete them from the DLQ"
                ),
                flags.yes,
            )?;
            let mut p = progress_printer(flags.json);
            finish(
                profile,
                &conn,
                ops::dlq_requeue(&conn, dlq, &fallback, &sel, &mut p),
                flags.json,
                "dlq-requeue",
                dlq,
            )
            .await
        }
        DlqCommand::Delete { dlq, ids, flags } => {
            let conn = open(profile, flags.dry_run).await?;
            if flags.dry_run {
                print(&preview("dlq-delete", dlq, None, ids), flags.json);
                return Ok(());
            }
            confirm(
                profile,
                &format!(
                    "DELETE {} dead letters from {dlq} ({}); they cannot be recovered",
                    ids.len(),
                    list(ids)
                ),
                flags.yes,
            )?;
            finish(
                profile,
                &conn,
                ops::dlq_delete(&conn, dlq, ids),
                flags.json,
                "dlq-delete",
                dlq,
            )
            .await
        }
        DlqCommand::PurgeExpired { dlq, ttl, flags } => {
            let conn = open(profile, flags.dry_run).await?;
            let ttl = ttl.unwrap_or(profile.streams.dlq.ttl);
            let (n, min_id) = ops::count_older(&conn, dlq, ttl).await?;
            if flags.dry_run || n == 0 {
                let mut o = preview("dlq-purge-expired", dlq, None, &[]);
                o.counts.insert("would".into(), n);
                o.dry_run = flags.dry_run;
                print(&o, flags.json);
                return Ok(());
            }
            confirm(
                profile,
                &format!(
                    "purge {n} dead letters older than {} from {dlq} (ids below {min_id})",
                    humantime::format_duration(ttl)
                ),
                flags.yes,
            )?;
            finish(
                profile,
                &conn,
                ops::purge_expired(&conn, dlq, &min_id),
                flags.json,
                "dlq-purge-expired",
                dlq,
            )
            .await
        }
    }
}

pub async fn consumers(profile: &Profile, cmd: &ConsumersCommand) -> Result<()> {
    let ConsumersCommand::Prune {
        stream,
        group,
        idle,
        flags,
    } = cmd;
    let conn = open(profile, flags.dry_run).await?;
    let names = ops::prunable_consumers(&conn, stream, group, *idle).await?;
    if flags.dry_run {
        print(
            &preview("prune-consumers", stream, Some(group), &names),
            flags.json,
        );
        return Ok(());
    }
    if names.is_empty() {
        println!(
            "no consumer of {stream} group {group} is idle longer than {} with nothing pending",
            humantime::format_duration(*idle)
        );
        return Ok(());
    }
    confirm(
        profile,
        &format!(
            "delete {} consumers of stream {stream} group {group} that hold no pending entries and are idle longer than {} ({})",
            names.len(),
            humantime::format_duration(*idle),
            list(&names)
        ),
        flags.yes,
    )?;
    finish(
        profile,
        &conn,
        ops::prune_consumers(&conn, stream, group, &names),
        flags.json,
        "prune-consumers",
        stream,
    )
    .await
}

pub fn audit(tail: usize, json: bool) -> Result<()> {
    let recs = ops::audit::read(tail)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&recs).expect("records serialise")
        );
        return Ok(());
    }
    if recs.is_empty() {
        println!(
            "the audit log is empty ({})",
            ops::audit::path()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    for r in recs {
        println!(
            "{} {}@{} profile {} {} {} {}{} count {} {}",
            r.time,
            crate::sanitize::text(&r.user),
            crate::sanitize::text(&r.host),
            crate::sanitize::text(&r.profile),
            crate::sanitize::text(&r.endpoint),
            r.action,
            crate::sanitize::text(&r.stream),
            r.group
                .map(|g| format!("/{}", crate::sanitize::text(&g)))
                .unwrap_or_default(),
            r.count,
            crate::sanitize::text(&r.result)
        );
    }
    Ok(())
}
