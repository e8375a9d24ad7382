//! Writes: claim, autoclaim, requeue, dead-letter, ack, DLQ requeue/delete/
//! purge, consumer pruning. Moves are one Lua script call per batch (atomic
//! on one node).
//!
//! Callers build an [`Op`] and hand it to the [`runner`], which alone holds
//! the policy: read-only refusal, ACL pre-check, confirmation word, audit.
//! The functions here are the primitives an `Op` executes, each on the node
//! that owns its key.

pub mod audit;
pub mod cross;
mod op;
pub mod runner;

pub use op::Op;

use crate::connect::{ErrorKind, Node, NodeError, ScriptError};
use crate::error::{Failure, Result};
use crate::model::Name;
use redis::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const REQUEUE_PENDING: &str = include_str!("requeue_pending.lua");
const DEAD_LETTER: &str = include_str!("dead_letter.lua");
const DLQ_REQUEUE: &str = include_str!("dlq_requeue.lua");
const PRUNE_CONSUMERS: &str = include_str!("prune_consumers.lua");

/// Set by Ctrl-C during a CLI write: the operation stops between batches
/// (the batch in flight completes or not at all: each is atomic).
static INTERRUPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What `Outcome::stopped` says after Ctrl-C.
pub const INTERRUPTED: &str = "interrupted (Ctrl-C) between two batches";

/// Ask running operations to stop before their next batch.
pub fn interrupt() {
    INTERRUPT.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Before a batch: stop here if interrupted, saying so in the outcome.
fn stop_here(out: &mut Outcome) -> bool {
    let stop = INTERRUPT.load(std::sync::atomic::Ordering::SeqCst);
    if stop {
        out.stopped = Some(INTERRUPTED.into());
    }
    stop
}

/// Entries per script call: bounded work per atomic step.
pub const BATCH: usize = 500;

/// Which write an [`Outcome`] (and its audit record) is of. Serialised as
/// the words the JSON and the audit log always had (`dlq-requeue`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Claim,
    Autoclaim,
    Requeue,
    DeadLetter,
    Ack,
    DlqRequeue,
    DlqDelete,
    DlqPurgeExpired,
    PruneConsumers,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Autoclaim => "autoclaim",
            Action::Requeue => "requeue",
            Action::DeadLetter => "dead-letter",
            Action::Ack => "ack",
            Action::DlqRequeue => "dlq-requeue",
            Action::DlqDelete => "dlq-delete",
            Action::DlqPurgeExpired => "dlq-purge-expired",
            Action::PruneConsumers => "prune-consumers",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one operation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub action: Action,
    pub stream: Name,
    pub group: Option<Name>,
    pub target: Option<Name>,
    /// Ids acted on (or that would be, in a dry run).
    pub ids: Vec<String>,
    /// Counters such as requeued / skipped / gone.
    pub counts: BTreeMap<String, u64>,
    pub dry_run: bool,
    /// Loud notes about a write that was made (e.g. its audit record failed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the operation stopped part-way (e.g. OOM under maxmemory); the
    /// counts are what was done before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl Outcome {
    fn new(action: Action, stream: &Name, group: Option<&Name>) -> Self {
        Outcome {
            action,
            stream: stream.clone(),
            group: group.cloned(),
            target: None,
            ids: Vec::new(),
            counts: BTreeMap::new(),
            dry_run: false,
            warnings: Vec::new(),
            stopped: None,
        }
    }

    /// The record of a write that failed before it could report counts.
    pub fn failed(action: Action, stream: &Name) -> Self {
        Outcome::new(action, stream, None)
    }

    /// The record of a dry run: what would be acted on.
    pub fn preview(action: Action, stream: &Name, group: Option<&Name>, ids: &[String]) -> Self {
        let mut o = Outcome::new(action, stream, group);
        o.ids = ids.to_vec();
        o.dry_run = true;
        o.would(ids.len() as u64);
        o
    }

    /// A dry run's count: how many entries the write would act on.
    pub fn would(&mut self, n: u64) {
        self.counts.insert("would".into(), n);
    }

    fn add(&mut self, key: &str, n: u64) {
        *self.counts.entry(key.into()).or_default() += n;
    }

    /// The main count: what the action did.
    pub fn done(&self) -> u64 {
        ["claimed", "requeued", "moved", "acked", "deleted", "purged"]
            .iter()
            .filter_map(|k| self.counts.get(*k))
            .sum()
    }

    pub fn summary(&self) -> String {
        let counts = self
            .counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut warnings: String = self
            .warnings
            .iter()
            .map(|w| format!(" — WARNING: {w}"))
            .collect();
        if let Some(s) = &self.stopped {
            warnings.push_str(&format!(" — STOPPED: {}", crate::sanitize::text(s)));
        }
        format!(
            "{}{} on {}{}: {}{warnings}",
            if self.dry_run { "dry run: " } else { "" },
            self.action,
            self.stream,
            self.group
                .as_ref()
                .map(|g| format!(" group {g}"))
                .unwrap_or_default(),
            if counts.is_empty() {
                "nothing to do".into()
            } else {
                counts
            }
        )
    }
}

fn server_err(conn: &Node, what: &str, e: NodeError) -> Failure {
    match e.kind {
        ErrorKind::NoPerm => {
            Failure::runtime(format!("not permitted for user {}: {what}", conn.user))
        }
        ErrorKind::Timeout => Failure::runtime(format!(
            "{what} got no reply from {} within redis.timeouts.write; the write may or may not have been applied: check before running it again",
            conn.endpoint
        )),
        ErrorKind::ReadOnly => refused(conn, what, "it is a read-only replica now (failover?)", ""),
        ErrorKind::ClusterDown => refused(
            conn,
            what,
            "the cluster is down (CLUSTERDOWN: a primary failed and no replica took over yet, or slots are unassigned)",
            "; retry once `redeye snapshot` shows cluster state ok",
        ),
        ErrorKind::TryAgain => refused(
            conn,
            what,
            "its slot is being migrated (TRYAGAIN)",
            "; retry in a moment",
        ),
        ErrorKind::Moved => refused(
            conn,
            what,
            "the key's slot moved to another node (MOVED/ASK: a resharding or failover)",
            "; run it again",
        ),
        ErrorKind::Connection => Failure::runtime(format!(
            "{what} lost the connection to {} ({e}); the batch in flight may or may not have been applied (whole, either way): check before running it again",
            conn.endpoint
        )),
        _ => Failure::runtime(format!("{what} failed on {}: {e}", conn.endpoint)),
    }
}

/// A write the node refused before applying anything.
fn refused(conn: &Node, what: &str, why: &str, then: &str) -> Failure {
    Failure::runtime(format!(
        "{what} was refused by {}: {why}; nothing was changed by this call{then}",
        conn.endpoint
    ))
}

/// Check with ACL DRYRUN that the user may run each command, where the server
/// lets us ask. ACL DRYRUN answers OK or a sentence saying why not; if asking
/// is refused or unknown (before 7.0), the write itself will say "not permitted".
pub async fn precheck(conn: &Node, commands: &[Vec<Vec<u8>>]) -> Result<()> {
    for args in commands {
        let Some(mut cmd) = conn.cmd("ACL") else {
            return Ok(());
        };
        cmd.arg("DRYRUN").arg(&conn.user);
        for a in args {
            cmd.arg(a);
        }
        match conn.query::<Value>(&cmd).await {
            Ok(Value::Okay) => {}
            Ok(Value::SimpleString(s)) if s == "OK" => {}
            Ok(_) => {
                return Err(Failure::runtime(format!(
                    "not permitted for user {}: {}",
                    conn.user,
                    String::from_utf8_lossy(&args[0])
                )));
            }
            Err(_) => return Ok(()), // cannot ask: the write will tell
        }
    }
    Ok(())
}

async fn script(conn: &Node, src: &str, keys: &[&Name], args: &[Vec<u8>]) -> Result<Value> {
    conn.script(src, keys, args).await.map_err(|e| match e {
        ScriptError::Disabled(name) => Failure::config(format!(
            "{name} is disabled by this profile's rename_commands; redeye needs it for atomic moves"
        )),
        ScriptError::Node(e) => server_err(conn, "EVALSHA", e),
    })
}

fn ints(v: &Value) -> Vec<u64> {
    match v {
        Value::Array(a) => a.iter().map(|x| crate::resp::int(x).unwrap_or(0)).collect(),
        _ => Vec::new(),
    }
}

async fn call(conn: &Node, name: &str, args: &[Vec<u8>]) -> Result<Value> {
    let mut cmd = conn.cmd(name).ok_or_else(|| {
        Failure::config(format!(
            "{name} is disabled by this profile's rename_commands"
        ))
    })?;
    for a in args {
        cmd.arg(a);
    }
    conn.write(&cmd)
        .await
        .map_err(|e| server_err(conn, name, e))
}

/// An argument as bytes: names are sent exactly as the server holds them.
fn s(x: impl AsRef<[u8]>) -> Vec<u8> {
    x.as_ref().to_vec()
}

/// A number as an argument.
fn num(x: impl ToString) -> Vec<u8> {
    x.to_string().into_bytes()
}

/// Pending entries idle at least `min_idle` (paged XPENDING), with deliveries.
pub async fn pending_ids(
    conn: &Node,
    stream: &Name,
    group: &Name,
    min_idle: Duration,
    consumer: Option<&Name>,
    min_deliveries: u64,
    limit: usize,
) -> Result<Vec<String>> {
    let rows = pending_rows(
        conn,
        stream,
        group,
        min_idle,
        consumer,
        |e| e.deliveries >= min_deliveries,
        limit,
    )
    .await?;
    Ok(rows.into_iter().map(|e| e.id).collect())
}

/// The pending entries (paged XPENDING, 1,000 a page) idle at least
/// `min_idle`, of `consumer` if given, that `keep` accepts: at most `limit`.
pub async fn pending_rows(
    conn: &Node,
    stream: &Name,
    group: &Name,
    min_idle: Duration,
    consumer: Option<&Name>,
    keep: impl Fn(&crate::model::PendingEntry) -> bool,
    limit: usize,
) -> Result<Vec<crate::model::PendingEntry>> {
    let mut out = Vec::new();
    let mut start = "-".to_string();
    loop {
        let mut args = vec![
            s(stream),
            s(group),
            s("IDLE"),
            num(min_idle.as_millis()),
            start.clone().into_bytes(),
            s("+"),
            num(1000),
        ];
        if let Some(c) = consumer {
            args.push(s(c));
        }
        let v = call(conn, "XPENDING", &args).await?;
        let page = crate::resp::pending_entries(&v);
        let n = page.len();
        let last = page.last().map(|e| e.id.clone());
        out.extend(page.into_iter().filter(|e| keep(e)));
        match last {
            Some(last) if n == 1000 && out.len() < limit => start = format!("({last}"),
            _ => break,
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// The entries of a stream, oldest first (paged XRANGE, 500 a page), that
/// `keep` accepts: at most `limit`.
pub async fn entries_where(
    conn: &Node,
    stream: &Name,
    keep: impl Fn(&crate::model::StreamEntry) -> bool,
    limit: usize,
) -> Result<Vec<crate::model::StreamEntry>> {
    let mut out = Vec::new();
    let mut start = "-".to_string();
    loop {
        let v = call(
            conn,
            "XRANGE",
            &[
                s(stream),
                start.clone().into_bytes(),
                s("+"),
                s("COUNT"),
                num(500),
            ],
        )
        .await?;
        let page = crate::resp::entries(&v);
        let n = page.len();
        let last = page.last().map(|e| e.id.clone());
        out.extend(page.into_iter().filter(|e| keep(e)));
        match last {
            Some(last) if n == 500 && out.len() < limit => start = format!("({last}"),
            _ => break,
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// XCLAIM the entries to `to`, never one idle less than `min_idle`.
pub async fn claim(
    conn: &Node,
    stream: &Name,
    group: &Name,
    to: &Name,
    min_idle: Duration,
    ids: &[String],
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::Claim, stream, Some(group));
    out.target = Some(to.clone());
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![s(stream), s(group), s(to), num(min_idle.as_millis())];
        args.extend(chunk.iter().map(s));
        args.push(s("JUSTID"));
        let v = call(conn, "XCLAIM", &args).await?;
        let claimed = match &v {
            Value::Array(a) => a.len() as u64,
            _ => 0,
        };
        out.add("claimed", claimed);
        out.add("skipped", chunk.len() as u64 - claimed);
    }
    out.ids = ids.to_vec();
    Ok(out)
}

/// XAUTOCLAIM everything idle at least `min_idle`, in pages; `progress` sees the running count.
pub async fn autoclaim(
    conn: &Node,
    stream: &Name,
    group: &Name,
    to: &Name,
    min_idle: Duration,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::Autoclaim, stream, Some(group));
    out.target = Some(to.clone());
    let mut cursor = "0-0".to_string();
    loop {
        if stop_here(&mut out) {
            break;
        }
        let v = call(
            conn,
            "XAUTOCLAIM",
            &[
                s(stream),
                s(group),
                s(to),
                num(min_idle.as_millis()),
                cursor.clone().into_bytes(),
                s("COUNT"),
                num(BATCH),
                s("JUSTID"),
            ],
        )
        .await?;
        let Value::Array(parts) = v else { break };
        let next = parts
            .first()
            .and_then(crate::resp::text)
            .unwrap_or_else(|| "0-0".into());
        if let Some(Value::Array(ids)) = parts.get(1) {
            out.add("claimed", ids.len() as u64);
            for id in ids.iter().filter_map(crate::resp::text) {
                if out.ids.len() < audit::MAX_IDS {
                    out.ids.push(id);
                }
            }
        }
        if let Some(Value::Array(deleted)) = parts.get(2) {
            out.add("gone", deleted.len() as u64);
        }
        progress(out.done());
        if next == "0-0" {
            break;
        }
        cursor = next;
    }
    Ok(out)
}

/// Requeue pending entries at the tail of their stream and ack the old ones (Lua, per batch).
pub async fn requeue_pending(
    conn: &Node,
    stream: &Name,
    group: &Name,
    min_idle: Duration,
    ids: &[String],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::Requeue, stream, Some(group));
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![s(group), s("redeye-requeue"), num(min_idle.as_millis())];
        args.extend(chunk.iter().map(s));
        let v = match script(conn, REQUEUE_PENDING, &[stream], &args).await {
            Ok(v) => v,
            Err(e) => return stop_or_fail(out, e),
        };
        let r = ints(&v);
        out.add("requeued", r.first().copied().unwrap_or(0));
        out.add("skipped", r.get(1).copied().unwrap_or(0));
        out.add("gone", r.get(2).copied().unwrap_or(0));
        progress(out.done());
    }
    out.ids = ids.to_vec();
    Ok(out)
}

/// Move pending entries to the DLQ with metadata, and ack them (Lua, per batch).
#[allow(clippy::too_many_arguments)]
pub async fn dead_letter(
    conn: &Node,
    stream: &Name,
    group: &Name,
    dlq: &Name,
    min_idle: Duration,
    min_deliveries: u64,
    reason: &str,
    ids: &[String],
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::DeadLetter, stream, Some(group));
    out.target = Some(dlq.clone());
    let failed_at = crate::time::now_ms() / 1000;
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![
            s(group),
            s("redeye-dead-letter"),
            num(min_idle.as_millis()),
            num(min_deliveries),
            format!("moved by redeye: {reason}").into_bytes(),
            num(failed_at),
        ];
        args.extend(chunk.iter().map(s));
        let v = match script(conn, DEAD_LETTER, &[stream, dlq], &args).await {
            Ok(v) => v,
            Err(e) => return stop_or_fail(out, e),
        };
        let r = ints(&v);
        out.add("moved", r.first().copied().unwrap_or(0));
        out.add("skipped", r.get(1).copied().unwrap_or(0));
        out.add("gone", r.get(2).copied().unwrap_or(0));
        if let Some(e) = crate::resp::items(&v)
            .get(3)
            .and_then(crate::resp::text)
            .filter(|e| !e.is_empty())
        {
            out.stopped = Some(e);
            break;
        }
    }
    out.ids = ids.to_vec();
    Ok(out)
}

/// XACK: the work is then never processed.
pub async fn ack(conn: &Node, stream: &Name, group: &Name, ids: &[String]) -> Result<Outcome> {
    let mut out = Outcome::new(Action::Ack, stream, Some(group));
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![s(stream), s(group)];
        args.extend(chunk.iter().map(s));
        let n = crate::resp::int(&call(conn, "XACK", &args).await?).unwrap_or(0);
        out.add("acked", n);
        out.add("skipped", chunk.len() as u64 - n);
    }
    out.ids = ids.to_vec();
    Ok(out)
}

/// Which dead letters.
#[derive(Debug, Clone)]
pub enum DlqSelect {
    Ids(Vec<String>),
    /// Every entry up to this id (inclusive): `+` for all at the start of the run.
    UpTo(String),
}

/// Requeue dead letters to their original stream and XDEL them (Lua, per batch).
pub async fn dlq_requeue(
    conn: &Node,
    dlq: &Name,
    fallback_target: &Name,
    sel: &DlqSelect,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::DlqRequeue, dlq, None);
    out.target = Some(fallback_target.clone());
    match sel {
        DlqSelect::Ids(ids) => {
            for chunk in ids.chunks(BATCH) {
                if stop_here(&mut out) {
                    break;
                }
                let mut args = vec![s("ids"), crate::model::dlq::FIELDS.join(",").into_bytes()];
                args.extend(chunk.iter().map(s));
                let v = match script(conn, DLQ_REQUEUE, &[dlq, fallback_target], &args).await {
                    Ok(v) => v,
                    Err(e) => return stop_or_fail(out, e),
                };
                requeue_reply(&v, &mut out);
                progress(out.done());
                if out.stopped.is_some() {
                    break;
                }
            }
            out.ids = ids.clone();
        }
        DlqSelect::UpTo(end) => {
            // Fix the end at the start so entries added meanwhile are left alone.
            let end = if end == "+" {
                last_id(conn, dlq).await?.unwrap_or_else(|| "0-0".into())
            } else {
                end.clone()
            };
            let mut start = s("-");
            loop {
                if stop_here(&mut out) {
                    break;
                }
                let v = script(
                    conn,
                    DLQ_REQUEUE,
                    &[dlq, fallback_target],
                    &[
                        s("range"),
                        crate::model::dlq::FIELDS.join(",").into_bytes(),
                        start.clone(),
                        end.clone().into_bytes(),
                        num(BATCH),
                    ],
                )
                .await;
                let v = match v {
                    Ok(v) => v,
                    Err(e) => return stop_or_fail(out, e),
                };
                requeue_reply(&v, &mut out);
                progress(out.done());
                let next = match &v {
                    Value::Array(a) => a.get(2).and_then(crate::resp::text).unwrap_or_default(),
                    _ => String::new(),
                };
                if next.is_empty() || out.stopped.is_some() {
                    break;
                }
                start = next.into_bytes();
            }
        }
    }
    Ok(out)
}

/// A batch failed as a whole (e.g. OOM refused the script at its start):
/// with earlier batches done, report those as the true count, stopped;
/// with none done, the error.
fn stop_or_fail(mut out: Outcome, e: Failure) -> Result<Outcome> {
    if out.done() == 0 {
        return Err(e);
    }
    out.stopped = Some(e.to_string());
    Ok(out)
}

/// Counts, skipped entries (with why) and a stop from one dlq_requeue.lua call.
fn requeue_reply(v: &Value, out: &mut Outcome) {
    let parts = crate::resp::items(v);
    let n = |i: usize| parts.get(i).and_then(crate::resp::int).unwrap_or(0);
    out.add("requeued", n(0));
    out.add("missing", n(1));
    for s in parts.get(3).map(crate::resp::items).unwrap_or_default() {
        let f = crate::resp::items(s);
        let t = |i: usize| f.get(i).and_then(crate::resp::text).unwrap_or_default();
        out.add("skipped", 1);
        out.warnings.push(format!(
            "skipped {} → {} is not a stream (it holds a {}); left in the DLQ",
            crate::sanitize::text(&t(0)),
            f.get(1)
                .map(|v| crate::resp::raw(v).display())
                .unwrap_or_default(),
            crate::sanitize::text(&t(2))
        ));
    }
    if let Some(e) = parts
        .get(4)
        .and_then(crate::resp::text)
        .filter(|e| !e.is_empty())
    {
        out.stopped = Some(format!("the server refused a write at {e}"));
    }
}

/// Refuse to requeue from a stream that is not a dead-letter queue: one with
/// consumer groups is live (its entries would be delivered again under new
/// ids), and dead letters carry `original_stream` / `original_id`.
pub async fn looks_like_a_dlq(conn: &Node, dlq: &Name) -> Result<()> {
    let shown = dlq.escaped();
    match call(conn, "XINFO", &[s("GROUPS"), s(dlq)]).await {
        Ok(v) if !crate::resp::items(&v).is_empty() => {
            return Err(Failure::config(format!(
                "{shown} has consumer groups, so it is a live stream, not a dead-letter queue: requeueing would deliver its entries again under new ids; name the DLQ (e.g. {shown}:dlq), or add --force"
            )));
        }
        _ => {}
    }
    let v = call(
        conn,
        "XRANGE",
        &[s(dlq), s("-"), s("+"), s("COUNT"), num(1)],
    )
    .await?;
    if let Some(e) = crate::resp::entries(&v).into_iter().next()
        && e.field(crate::model::dlq::ORIGINAL_STREAM).is_none()
        && e.field(crate::model::dlq::ORIGINAL_ID).is_none()
    {
        return Err(Failure::config(format!(
            "the entries of {shown} have no original_stream or original_id field, so it does not look like a dead-letter queue; check --dlq, or add --force"
        )));
    }
    Ok(())
}

/// What XINFO GROUPS says of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Groups {
    /// There is no such key.
    Missing,
    /// A stream with these groups.
    Of(Vec<Name>),
    /// Cannot tell (XINFO renamed away or not permitted): the write finds out.
    Unknown,
}

/// The names of a stream's groups. A key of another type is an error in words.
pub async fn groups_of(conn: &Node, stream: &Name) -> Result<Groups> {
    let Some(mut cmd) = conn.cmd("XINFO") else {
        return Ok(Groups::Unknown);
    };
    cmd.arg("GROUPS").arg(stream.as_bytes());
    match conn.query::<Value>(&cmd).await {
        Ok(v) => Ok(Groups::Of(
            crate::resp::items(&v)
                .iter()
                .filter_map(|g| {
                    let p = crate::resp::pairs(g);
                    crate::resp::field(&p, "name").and_then(crate::resp::name)
                })
                .collect(),
        )),
        Err(e) if e.kind == ErrorKind::NoSuchKey => Ok(Groups::Missing),
        Err(e) if e.kind == ErrorKind::WrongType => Err(Failure::runtime(format!(
            "{stream} on {} is not a stream; name a stream",
            conn.endpoint
        ))),
        Err(e) if e.kind == ErrorKind::NoPerm => Ok(Groups::Unknown),
        Err(e) => Err(server_err(conn, "XINFO GROUPS", e)),
    }
}

/// Whether a key exists.
pub async fn exists(conn: &Node, key: &Name) -> Result<bool> {
    let mut cmd = redis::cmd("EXISTS");
    cmd.arg(key.as_bytes());
    conn.query::<u64>(&cmd)
        .await
        .map(|n| n > 0)
        .map_err(|e| server_err(conn, "EXISTS", e))
}

pub async fn xlen(conn: &Node, stream: &Name) -> Result<u64> {
    Ok(crate::resp::int(&call(conn, "XLEN", &[s(stream)]).await?).unwrap_or(0))
}

async fn last_id(conn: &Node, stream: &Name) -> Result<Option<String>> {
    let v = call(
        conn,
        "XREVRANGE",
        &[s(stream), s("+"), s("-"), s("COUNT"), num(1)],
    )
    .await?;
    Ok(crate::resp::entries(&v).into_iter().next().map(|e| e.id))
}

/// XDEL dead letters.
pub async fn dlq_delete(conn: &Node, dlq: &Name, ids: &[String]) -> Result<Outcome> {
    let mut out = Outcome::new(Action::DlqDelete, dlq, None);
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![s(dlq)];
        args.extend(chunk.iter().map(s));
        let n = crate::resp::int(&call(conn, "XDEL", &args).await?).unwrap_or(0);
        out.add("deleted", n);
        out.add("missing", chunk.len() as u64 - n);
    }
    out.ids = ids.to_vec();
    Ok(out)
}

/// The first id that is not older than `age` now.
pub fn min_id_older_than(age: Duration) -> String {
    format!(
        "{}-0",
        crate::time::now_ms().saturating_sub(age.as_millis() as u64)
    )
}

/// Entries older than `ttl` (ids below now - ttl), counted in pages.
pub async fn count_older(conn: &Node, dlq: &Name, ttl: Duration) -> Result<(u64, String)> {
    // Older than the epoch (`100y`): nothing can be; Redis would reject the
    // exclusive bound below 0-0 ("invalid end ID").
    if ttl.as_millis() >= u128::from(crate::time::now_ms()) {
        return Ok((0, "0-0".into()));
    }
    let min_id = min_id_older_than(ttl);
    let mut n = 0u64;
    let mut start = "-".to_string();
    loop {
        let v = call(
            conn,
            "XRANGE",
            &[
                s(dlq),
                s(&start),
                s(format!("({min_id}")),
                s("COUNT"),
                num(1000),
            ],
        )
        .await?;
        let page = crate::resp::entries(&v);
        n += page.len() as u64;
        match page.last() {
            Some(e) if page.len() == 1000 => start = format!("({}", e.id),
            _ => break,
        }
    }
    Ok((n, min_id))
}

/// Drop dead letters older than `ttl`: XTRIM MINID (exact).
pub async fn purge_expired(conn: &Node, dlq: &Name, min_id: &str) -> Result<Outcome> {
    let mut out = Outcome::new(Action::DlqPurgeExpired, dlq, None);
    let n = crate::resp::int(&call(conn, "XTRIM", &[s(dlq), s("MINID"), s("="), s(min_id)]).await?)
        .unwrap_or(0);
    out.add("purged", n);
    out.ids = vec![format!("< {min_id}")];
    Ok(out)
}

/// Consumers with zero pending idle longer than `idle`.
pub async fn prunable_consumers(
    conn: &Node,
    stream: &Name,
    group: &Name,
    idle: Duration,
) -> Result<Vec<Name>> {
    let v = call(conn, "XINFO", &[s("CONSUMERS"), s(stream), s(group)]).await?;
    let Value::Array(items) = v else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in &items {
        let p = crate::resp::pairs(c);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        let pending = get("pending").and_then(crate::resp::int).unwrap_or(1);
        let idle_ms = get("idle").and_then(crate::resp::int).unwrap_or(0);
        if pending == 0
            && idle_ms > idle.as_millis() as u64
            && let Some(name) = get("name").and_then(crate::resp::name)
        {
            out.push(name);
        }
    }
    Ok(out)
}

/// XGROUP DELCONSUMER for consumers holding nothing (checked atomically, Lua).
pub async fn prune_consumers(
    conn: &Node,
    stream: &Name,
    group: &Name,
    names: &[Name],
) -> Result<Outcome> {
    let mut out = Outcome::new(Action::PruneConsumers, stream, Some(group));
    for chunk in names.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![s(group)];
        args.extend(chunk.iter().map(s));
        let r = ints(&script(conn, PRUNE_CONSUMERS, &[stream], &args).await?);
        out.add("deleted", r.first().copied().unwrap_or(0));
        out.add("kept", r.get(1).copied().unwrap_or(0));
    }
    out.ids = names.iter().map(Name::escaped).collect();
    Ok(out)
}
