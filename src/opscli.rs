//! The write operations from the command line, for runbooks and scripts.
//! Each command chooses what to act on, builds an [`Op`], and asks for
//! confirmation on the terminal; the [`Runner`] applies the rules the
//! dashboard's writes follow too (read-only, ACL pre-check, audit).

use crate::config::Profile;
use crate::connect::Node;
use crate::error::{Failure, Result};
use crate::model::Name;
use crate::ops::runner::{self, Confirmation, Overrides, Runner};
use crate::ops::{self, Action, Op, Outcome};
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

/// A name on the command line: the escaped form redeye shows
/// (`s_bad\xff`, see [`Name::parse`]), or any bytes the shell passes.
pub fn name_arg() -> impl clap::builder::TypedValueParser<Value = Name> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().map(|s| match s.to_str() {
        Some(text) => Name::parse(text),
        None => Name::from_bytes(std::os::unix::ffi::OsStrExt::as_bytes(s.as_os_str())),
    })
}

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
    /// No progress output (the outcome is still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PendingTarget {
    /// The stream.
    #[arg(long, value_parser = crate::opscli::name_arg())]
    pub stream: Name,
    /// The consumer group.
    #[arg(long, value_parser = crate::opscli::name_arg())]
    pub group: Name,
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
    #[arg(long, value_parser = crate::opscli::name_arg())]
    pub consumer: Option<Name>,
}

/// Every write subcommand: the CLI flattens this into its commands, and
/// [`run`] dispatches it, so a new operation changes this file only.
#[derive(Debug, Subcommand)]
pub enum WriteCommand {
    /// Claim pending entries to a consumer (XCLAIM; with --all, XAUTOCLAIM), never one
    /// idle less than --min-idle.
    Claim {
        #[command(flatten)]
        target: PendingTarget,
        /// Consumer to claim to (default: the profile's claim_consumer, else oncall-$USER).
        #[arg(long, value_parser = name_arg())]
        to: Option<Name>,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Put pending entries back at the tail of their stream and acknowledge the old ones (atomic per batch).
    Requeue {
        #[command(flatten)]
        target: PendingTarget,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Move pending entries to the DLQ with its metadata fields and acknowledge them (atomic per batch).
    /// With --all: poison messages, delivered more than dlq.max_retries times.
    DeadLetter {
        #[command(flatten)]
        target: PendingTarget,
        /// DLQ stream (default: <stream><dlq.suffix>).
        #[arg(long, value_parser = name_arg())]
        dlq: Option<Name>,
        /// Recorded in the entry's error field as "moved by redeye: <reason>".
        #[arg(long, default_value = "poison message")]
        reason: String,
        /// Only entries delivered at least this many times.
        #[arg(long)]
        min_deliveries: Option<u64>,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Acknowledge pending entries without processing them (the work is then never done).
    Ack {
        #[command(flatten)]
        target: PendingTarget,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Dead-letter queue operations: requeue, delete, purge-expired.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Consumer operations: prune.
    #[command(subcommand)]
    Consumers(ConsumersCommand),
}

/// Run a write subcommand on `profile`.
pub async fn run(profile: &Profile, cmd: &WriteCommand) -> Result<()> {
    match cmd {
        WriteCommand::Claim { target, to, flags } => {
            claim(profile, target, to.as_ref(), flags).await
        }
        WriteCommand::Requeue { target, flags } => requeue(profile, target, flags).await,
        WriteCommand::DeadLetter {
            target,
            dlq,
            reason,
            min_deliveries,
            flags,
        } => {
            dead_letter(
                profile,
                target,
                dlq.as_ref(),
                reason,
                *min_deliveries,
                flags,
            )
            .await
        }
        WriteCommand::Ack { target, flags } => ack(profile, target, flags).await,
        WriteCommand::Dlq(cmd) => dlq(profile, cmd).await,
        WriteCommand::Consumers(cmd) => consumers(profile, cmd).await,
    }
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Put dead letters back on their original stream and delete them from the DLQ (atomic per batch).
    Requeue {
        /// The DLQ stream, e.g. webhook_events:dlq.
        #[arg(long, value_parser = crate::opscli::name_arg())]
        dlq: Name,
        #[arg(long, value_delimiter = ',', num_args = 1.., conflicts_with_all = ["all", "older_than"])]
        ids: Vec<String>,
        /// Every entry present when the command starts.
        #[arg(long)]
        all: bool,
        /// Only entries that went to the DLQ longer ago than this.
        #[arg(long, value_parser = humantime::parse_duration, conflicts_with = "all")]
        older_than: Option<Duration>,
        /// Stream for entries without an original_stream field (default: the DLQ name without its suffix).
        #[arg(long, value_parser = crate::opscli::name_arg())]
        to: Option<Name>,
        /// Requeue from a stream that does not look like a DLQ (it has
        /// consumer groups, or its entries lack original_stream/original_id).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Delete dead letters (XDEL).
    Delete {
        #[arg(long, value_parser = crate::opscli::name_arg())]
        dlq: Name,
        #[arg(long, value_delimiter = ',', num_args = 1.., required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        flags: WriteFlags,
    },
    /// Drop dead letters older than the TTL (XTRIM MINID), showing the count first.
    PurgeExpired {
        #[arg(long, value_parser = crate::opscli::name_arg())]
        dlq: Name,
        /// Default: the profile's dlq.ttl.
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
        /// Allow a TTL under a minute (which purges nearly every dead letter).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsumersCommand {
    /// Delete consumers that hold no pending entries and are idle longer than --idle.
    Prune {
        #[arg(long, value_parser = crate::opscli::name_arg())]
        stream: Name,
        #[arg(long, value_parser = crate::opscli::name_arg())]
        group: Name,
        /// Idle time before a consumer counts as dead.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        idle: Duration,
        #[command(flatten)]
        flags: WriteFlags,
    },
}

/// Ask for confirmation, naming the exact action, with the runner's policy:
/// production profiles require typing the profile name; without a terminal,
/// `--yes` is required.
pub fn confirm(profile: &Profile, what: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::config(format!(
            "this would {what}; confirm with --yes (or preview with --dry-run)"
        )));
    }
    let expected = match runner::confirmation(profile) {
        Confirmation::Type(word) => word,
        Confirmation::Yes => "yes".to_string(),
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
    for w in &out.warnings {
        eprintln!("redeye: WARNING: {w}");
    }
}

/// Check (read-only, ACL, audit log), confirm, run, print.
async fn execute(
    profile: &Profile,
    runner: &Runner<'_>,
    op: Op,
    what: &str,
    f: &WriteFlags,
) -> Result<()> {
    let checked = runner.check(&op).await?;
    confirm(profile, what, f.yes)?;
    let mut p = Progress::new(op.total(), f);
    // Ctrl-C stops between batches: the one in flight completes (or not at
    // all: each is atomic), then the counts are printed and audited.
    let watch = tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            ops::interrupt();
            eprintln!("\nredeye: Ctrl-C: stopping after the batch in flight…");
        }
    });
    let out = runner.run(checked, &mut |n| p.tick(n)).await;
    watch.abort();
    p.finish();
    let out = out?;
    print(&out, f.json);
    if out.stopped.as_deref() == Some(ops::INTERRUPTED) {
        eprintln!(
            "redeye: interrupted after {} done; the batch in flight completed whole; the audit log records the true count",
            out.done()
        );
        return Err(Failure::Status(130));
    }
    if let Some(why) = &out.stopped {
        return Err(Failure::runtime(format!(
            "stopped after {} done: {why}; the audit log records the true count",
            out.done()
        )));
    }
    Ok(())
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
    node: &Node,
    t: &PendingTarget,
    min_idle: Duration,
    min_deliveries: u64,
) -> Result<Vec<String>> {
    if t.all {
        ops::pending_ids(
            node,
            &t.stream,
            &t.group,
            min_idle,
            t.consumer.as_ref(),
            min_deliveries,
            usize::MAX,
        )
        .await
    } else {
        Ok(t.ids.clone())
    }
}

/// Progress of a long write: a bar on a terminal (done / total, rate,
/// ETA), a plain line every 2 s when stderr is not a terminal (logs, CI),
/// nothing with `--quiet` or `--json`.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines {
        total: Option<u64>,
        started: std::time::Instant,
        /// When the last line was printed (`None`: none yet).
        last: Option<std::time::Instant>,
        done: u64,
    },
    Quiet,
}

impl Progress {
    fn new(total: Option<u64>, f: &WriteFlags) -> Self {
        if f.quiet || f.json {
            return Progress::Quiet;
        }
        let now = std::time::Instant::now();
        if !std::io::stderr().is_terminal() {
            return Progress::Lines {
                total,
                started: now,
                last: None,
                done: 0,
            };
        }
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {human_pos}/{human_len} · {msg} · ETA {eta} · Ctrl-C stops after the batch in flight",
                )
                .expect("template"),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {human_pos} done · {msg}")
                    .expect("template"),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::Bar(bar)
    }

    fn tick(&mut self, n: u64) {
        match self {
            Progress::Bar(b) => {
                b.set_position(n);
                let rate = n as f64 / b.elapsed().as_secs_f64().max(1e-3);
                b.set_message(format!("{}/s", crate::format::count(rate as u64)));
            }
            Progress::Lines {
                total,
                started,
                last,
                done,
            } => {
                *done = n;
                // The first batch, then every 2 s.
                if last.is_none_or(|l| l.elapsed() >= Duration::from_secs(2)) {
                    *last = Some(std::time::Instant::now());
                    let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    eprintln!(
                        "redeye: {} done{} ({rate:.0}/s)",
                        n,
                        total.map(|t| format!(" of {t}")).unwrap_or_default()
                    );
                }
            }
            Progress::Quiet => {}
        }
    }

    fn finish(&self) {
        match self {
            Progress::Bar(b) => b.finish_and_clear(),
            Progress::Lines {
                started,
                done,
                last: Some(_),
                ..
            } => eprintln!(
                "redeye: {done} done in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            _ => {}
        }
    }
}

/// The common start of a write on pending entries: open the runner
/// (refusing on read-only unless it is a dry run), choose the ids, and handle
/// --dry-run and "nothing to do". `None`: already done.
async fn prepare<'a>(
    profile: &'a Profile,
    t: &PendingTarget,
    f: &WriteFlags,
    action: Action,
    min_deliveries: u64,
) -> Result<Option<(Runner<'a>, Duration, Vec<String>)>> {
    let runner = Runner::open(profile, f.dry_run).await?;
    let min_idle = t.min_idle.unwrap_or(profile.streams.claim_min_idle);
    if let Err(e) = group_must_exist(&runner, profile, &t.stream, &t.group).await {
        if !f.dry_run {
            let mut out = ops::Outcome::failed(action, &t.stream);
            out.group = Some(t.group.clone());
            out.ids = t.ids.clone();
            runner.audit_refused(&out, &t.stream, &e);
        }
        return Err(e);
    }
    let node = runner.deployment().node_for_key(&t.stream);
    let ids = select(node, t, min_idle, min_deliveries).await?;
    if f.dry_run {
        print(
            &Outcome::preview(action, &t.stream, Some(&t.group), &ids),
            f.json,
        );
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
    Ok(Some((runner, min_idle, ids)))
}

/// A write on a group that is not there fails in words naming what is:
/// the profile's streams that exist, or the stream's groups (not the
/// server's `NOGROUP No such key … or consumer group …`).
async fn group_must_exist(
    runner: &Runner<'_>,
    profile: &Profile,
    stream: &Name,
    group: &Name,
) -> Result<()> {
    let dep = runner.deployment();
    let node = dep.node_for_key(stream);
    match ops::groups_of(node, stream).await? {
        ops::Groups::Missing => {
            let names: Vec<Name> = profile
                .streams
                .streams
                .iter()
                .map(|s| s.name.clone())
                .collect();
            Err(Failure::runtime(format!(
                "there is no stream {stream} on {}; {}",
                node.endpoint,
                existing("streams of this profile", dep, &names).await
            )))
        }
        ops::Groups::Of(groups) if !groups.contains(group) => Err(Failure::runtime(format!(
            "stream {stream} has no consumer group {group}; {}",
            if groups.is_empty() {
                "it has no groups (create one with XGROUP CREATE)".to_string()
            } else {
                format!(
                    "its groups: {}",
                    groups
                        .iter()
                        .map(Name::escaped)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ))),
        _ => Ok(()),
    }
}

/// "the DLQs here: a:dlq, b:dlq" — which of `names` exist (at most 20 named).
async fn existing(what: &str, dep: &crate::connect::Deployment, names: &[Name]) -> String {
    let mut found = Vec::new();
    for n in names {
        if ops::exists(dep.node_for_key(n), n).await.unwrap_or(false) {
            found.push(n.escaped());
        }
    }
    match found.len() {
        0 => format!("none of the {what} exists here"),
        k if k > 20 => format!(
            "the {what} here: {} and {} more",
            found[..20].join(", "),
            k - 20
        ),
        _ => format!("the {what} here: {}", found.join(", ")),
    }
}

/// A DLQ command on a DLQ that is not there fails naming the DLQs that are
/// (a typo is not "nothing to requeue"); unless a dry run, the refusal is
/// audited with its ids, as a refused claim is.
async fn dlq_must_exist(
    runner: &Runner<'_>,
    profile: &Profile,
    dlq: &Name,
    (action, ids, dry_run): (Action, &[String], bool),
) -> Result<()> {
    let dep = runner.deployment();
    let node = dep.node_for_key(dlq);
    if ops::exists(node, dlq).await? {
        return Ok(());
    }
    let names: Vec<Name> = profile
        .streams
        .streams
        .iter()
        .map(|s| profile.streams.dlq.stream_for(&s.name))
        .collect();
    let e = Failure::runtime(format!(
        "there is no DLQ {dlq} on {}; {}",
        node.endpoint,
        existing("DLQs of this profile", dep, &names).await
    ));
    if !dry_run {
        let mut out = ops::Outcome::failed(action, dlq);
        out.ids = ids.to_vec();
        runner.audit_refused(&out, dlq, &e);
    }
    Err(e)
}

pub async fn claim(
    profile: &Profile,
    t: &PendingTarget,
    to: Option<&Name>,
    f: &WriteFlags,
) -> Result<()> {
    let to = to
        .cloned()
        .unwrap_or_else(|| runner::claim_consumer(profile));
    let Some((runner, min_idle, ids)) = prepare(profile, t, f, Action::Claim, 0).await? else {
        return Ok(());
    };
    let what = format!(
        "claim {} pending entries of stream {} group {} to consumer {to} (only those idle at least {})",
        ids.len(),
        t.stream,
        t.group,
        humantime::format_duration(min_idle)
    );
    let op = if t.all && t.consumer.is_none() {
        Op::Autoclaim {
            stream: t.stream.clone(),
            group: t.group.clone(),
            to,
            min_idle,
            count: ids.len(),
        }
    } else {
        Op::Claim {
            stream: t.stream.clone(),
            group: t.group.clone(),
            ids,
            to,
            min_idle,
        }
    };
    execute(profile, &runner, op, &what, f).await
}

pub async fn requeue(profile: &Profile, t: &PendingTarget, f: &WriteFlags) -> Result<()> {
    let Some((runner, min_idle, ids)) = prepare(profile, t, f, Action::Requeue, 0).await? else {
        return Ok(());
    };
    let what = format!(
        "requeue {} pending entries of stream {} group {} ({}): each is added again at the tail of {} and the old one acknowledged",
        ids.len(),
        t.stream,
        t.group,
        list(&ids),
        t.stream
    );
    let op = Op::Requeue {
        stream: t.stream.clone(),
        group: t.group.clone(),
        ids,
        min_idle,
    };
    execute(profile, &runner, op, &what, f).await
}

pub async fn dead_letter(
    profile: &Profile,
    t: &PendingTarget,
    dlq: Option<&Name>,
    reason: &str,
    min_deliveries: Option<u64>,
    f: &WriteFlags,
) -> Result<()> {
    let dlq = dlq
        .cloned()
        .unwrap_or_else(|| profile.streams.dlq.stream_for(&t.stream));
    // --all: poison messages only (delivered more than dlq.max_retries times).
    let min_deliveries = min_deliveries.unwrap_or(if t.all {
        profile.streams.dlq.max_retries + 1
    } else {
        0
    });
    let Some((runner, min_idle, ids)) =
        prepare(profile, t, f, Action::DeadLetter, min_deliveries).await?
    else {
        return Ok(());
    };
    let what = format!(
        "move {} pending entries of stream {} group {} to the DLQ {dlq} ({}) and acknowledge them",
        ids.len(),
        t.stream,
        t.group,
        list(&ids)
    );
    let op = Op::DeadLetter {
        stream: t.stream.clone(),
        group: t.group.clone(),
        dlq,
        ids,
        min_idle,
        min_deliveries,
        reason: reason.to_string(),
    };
    execute(profile, &runner, op, &what, f).await
}

pub async fn ack(profile: &Profile, t: &PendingTarget, f: &WriteFlags) -> Result<()> {
    let Some((runner, _, ids)) = prepare(profile, t, f, Action::Ack, 0).await? else {
        return Ok(());
    };
    let what = format!(
        "ACKNOWLEDGE {} pending entries of stream {} group {} ({}) WITHOUT processing them: this work will never be done",
        ids.len(),
        t.stream,
        t.group,
        list(&ids)
    );
    let op = Op::Ack {
        stream: t.stream.clone(),
        group: t.group.clone(),
        ids,
    };
    execute(profile, &runner, op, &what, f).await
}

pub async fn dlq(profile: &Profile, cmd: &DlqCommand) -> Result<()> {
    match cmd {
        DlqCommand::Requeue {
            dlq,
            ids,
            all,
            older_than,
            to,
            force,
            flags,
        } => {
            let runner = Runner::open(profile, flags.dry_run)
                .await?
                .overriding(Overrides {
                    not_a_dlq: *force,
                    ..Overrides::default()
                });
            dlq_must_exist(
                &runner,
                profile,
                dlq,
                (Action::DlqRequeue, ids, flags.dry_run),
            )
            .await?;
            let node = runner.deployment().node_for_key(dlq);
            let suffix = &profile.streams.dlq.suffix;
            let target = to
                .clone()
                .unwrap_or_else(|| dlq.strip_suffix(suffix).unwrap_or_else(|| dlq.clone()));
            // Not a DLQ: refused before anything is counted or previewed.
            runner
                .guard(&Op::DlqRequeueAll {
                    dlq: dlq.clone(),
                    target: target.clone(),
                    count: 0,
                })
                .await?;
            let op = if !ids.is_empty() {
                Op::DlqRequeue {
                    dlq: dlq.clone(),
                    target: target.clone(),
                    ids: ids.clone(),
                }
            } else if let Some(d) = older_than {
                // Exclusive, like the count: ids strictly below now - d.
                let (count, min_id) = ops::count_older(node, dlq, *d).await?;
                if count == 0 {
                    let mut o = Outcome::preview(Action::DlqRequeue, dlq, None, &[]);
                    o.would(0);
                    o.dry_run = flags.dry_run;
                    o.warnings.push(format!(
                        "no dead letter in {dlq} is older than {}",
                        humantime::format_duration(*d)
                    ));
                    print(&o, flags.json);
                    return Ok(());
                }
                Op::DlqRequeueOlder {
                    dlq: dlq.clone(),
                    target: target.clone(),
                    end: format!("({min_id}"),
                    count,
                }
            } else if *all {
                Op::DlqRequeueAll {
                    dlq: dlq.clone(),
                    target: target.clone(),
                    count: ops::xlen(node, dlq).await?,
                }
            } else {
                return Err(Failure::config(
                    "say which dead letters: --ids, --all or --older-than",
                ));
            };
            let count = match &op {
                Op::DlqRequeueAll { count, .. } | Op::DlqRequeueOlder { count, .. } => *count,
                _ => ids.len() as u64,
            };
            if flags.dry_run {
                let mut o = Outcome::preview(Action::DlqRequeue, dlq, None, ids);
                o.would(count);
                o.target = Some(target);
                print(&o, flags.json);
                return Ok(());
            }
            if count == 0 {
                println!("nothing to requeue in {dlq}");
                return Ok(());
            }
            let what = format!(
                "requeue {count} dead letters of {dlq} to their original stream (default {target}) and delete them from the DLQ"
            );
            execute(profile, &runner, op, &what, flags).await
        }
        DlqCommand::Delete { dlq, ids, flags } => {
            let runner = Runner::open(profile, flags.dry_run).await?;
            dlq_must_exist(
                &runner,
                profile,
                dlq,
                (Action::DlqDelete, ids, flags.dry_run),
            )
            .await?;
            if flags.dry_run {
                print(
                    &Outcome::preview(Action::DlqDelete, dlq, None, ids),
                    flags.json,
                );
                return Ok(());
            }
            let what = format!(
                "DELETE {} dead letters from {dlq} ({}); they cannot be recovered",
                ids.len(),
                list(ids)
            );
            let op = Op::DlqDelete {
                dlq: dlq.clone(),
                ids: ids.clone(),
            };
            execute(profile, &runner, op, &what, flags).await
        }
        DlqCommand::PurgeExpired {
            dlq,
            ttl,
            force,
            flags,
        } => {
            let ttl = ttl.unwrap_or(profile.streams.dlq.ttl);
            let runner = Runner::open(profile, flags.dry_run)
                .await?
                .overriding(Overrides {
                    short_ttl: *force,
                    ..Overrides::default()
                });
            let op = Op::DlqPurge {
                dlq: dlq.clone(),
                ttl,
            };
            dlq_must_exist(
                &runner,
                profile,
                dlq,
                (Action::DlqPurgeExpired, &[], flags.dry_run),
            )
            .await?;
            // A dry run only counts: it may show what a short TTL would drop.
            if !flags.dry_run {
                runner.guard(&op).await?;
            }
            let node = runner.deployment().node_for_key(dlq);
            let (n, min_id) = ops::count_older(node, dlq, ttl).await?;
            if flags.dry_run || n == 0 {
                let mut o = Outcome::preview(Action::DlqPurgeExpired, dlq, None, &[]);
                o.would(n);
                o.dry_run = flags.dry_run;
                print(&o, flags.json);
                return Ok(());
            }
            let what = format!(
                "purge {n} dead letters older than {} from {dlq} (ids below {min_id})",
                humantime::format_duration(ttl)
            );
            execute(profile, &runner, op, &what, flags).await
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
    let runner = Runner::open(profile, flags.dry_run).await?;
    group_must_exist(&runner, profile, stream, group).await?;
    let node = runner.deployment().node_for_key(stream);
    let names = ops::prunable_consumers(node, stream, group, *idle).await?;
    let names: Vec<String> = names.iter().map(Name::escaped).collect();
    if flags.dry_run {
        print(
            &Outcome::preview(Action::PruneConsumers, stream, Some(group), &names),
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
    let what = format!(
        "delete {} consumers of stream {stream} group {group} that hold no pending entries and are idle longer than {} ({})",
        names.len(),
        humantime::format_duration(*idle),
        list(&names)
    );
    let op = Op::Prune {
        stream: stream.clone(),
        group: group.clone(),
        idle: *idle,
    };
    execute(profile, &runner, op, &what, flags).await
}

pub fn audit(
    tail: usize,
    since_ms: Option<u64>,
    profile: Option<&str>,
    action: Option<&str>,
    json: bool,
) -> Result<()> {
    let (mut recs, bad) = ops::audit::read(0)?;
    recs.retain(|r| {
        profile.is_none_or(|p| r.profile == p)
            && action.is_none_or(|a| r.action == a)
            && since_ms.is_none_or(|t| {
                humantime::parse_rfc3339(&r.time)
                    .ok()
                    .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
                    .is_some_and(|d| d.as_millis() as u64 >= t)
            })
    });
    if tail > 0 && recs.len() > tail {
        recs.drain(..recs.len() - tail);
    }
    if bad > 0 {
        eprintln!(
            "redeye: WARNING: skipped {bad} unreadable line(s) of the audit log (not UTF-8 or not a record)"
        );
    }
    if json {
        // JSON lines: one record per line (`| head -1` is one record).
        for r in &recs {
            println!("{}", serde_json::to_string(r).expect("records serialise"));
        }
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
            "{} {}@{} profile {} {} {} {}{}{} count {} {}",
            r.time,
            crate::sanitize::text(&r.user),
            crate::sanitize::text(&r.host),
            crate::sanitize::text(&r.profile),
            crate::sanitize::text(&r.endpoint),
            r.action,
            r.stream.escaped(),
            r.group
                .map(|g| format!("/{}", g.escaped()))
                .unwrap_or_default(),
            r.target
                .map(|t| format!(" to {}", t.escaped()))
                .unwrap_or_default(),
            r.count,
            crate::sanitize::text(&r.result)
        );
    }
    Ok(())
}
