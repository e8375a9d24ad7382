//! Writes from the dashboard: the confirmation dialog's state, and the
//! count made on the server before a confirmation whose set is more than
//! the rows on screen (select-all, autoclaim, requeue-all). The operation
//! is an [`ops::Op`](crate::ops::Op), run by the one runner in a task of its
//! own, never in the UI loop.

use crate::connect::Deployment;
use crate::model::Name;
use std::time::Duration;

/// The dashboard builds the same [`Op`](crate::ops::Op) the CLI does.
pub use crate::ops::Op as WriteOp;

/// A confirmation in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub op: WriteOp,
    /// What must be typed: the profile name on production, else "y".
    pub expect: String,
    pub typed: String,
    /// Which entries and how they were chosen (a filter, every match on
    /// the server, "everything idle when it runs"), said under the action.
    pub scope: Option<String>,
}

/// Most entries a selection counted on the server may name; past it the
/// CLI's `--all` (which pages) is the tool.
pub const SELECT_MAX: usize = 10_000;

/// A write whose entries are read from the server before it is confirmed.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolve {
    /// Autoclaim: how many are idle at least `min_idle` now.
    Autoclaim {
        stream: Name,
        group: Name,
        to: Name,
        min_idle: Duration,
    },
    /// `:requeue-all`: how many dead letters the DLQ holds now.
    DlqAll { dlq: Name, target: Name },
    /// Every pending entry of the group (of `consumer` if given) that the
    /// filter matches, on the server: `key` is the write (c R D A).
    Pending {
        stream: Name,
        group: Name,
        consumer: Option<Name>,
        filter: String,
        key: char,
        to: Name,
        dlq: Name,
        min_idle: Duration,
        max_retries: u64,
    },
    /// Every dead letter the filter matches: `key` is R (requeue) or x (delete).
    Dlq {
        dlq: Name,
        target: Name,
        filter: String,
        key: char,
    },
}

/// The write to confirm and what it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub op: WriteOp,
    pub scope: String,
}

fn filtered(filter: &str) -> String {
    if filter.is_empty() {
        String::new()
    } else {
        format!(" matching filter '{}'", crate::sanitize::text(filter))
    }
}

/// Read what `r` covers on the server (in a task: it pages through XPENDING
/// or XRANGE) and build the exact write.
pub async fn resolve(dep: &Deployment, r: Resolve) -> Result<Resolved, String> {
    use crate::ops::{self, Op};
    let count = crate::format::count;
    match r {
        Resolve::Autoclaim {
            stream,
            group,
            to,
            min_idle,
        } => {
            let node = dep.node_for_key(&stream);
            let n = ops::pending_rows(node, &stream, &group, min_idle, None, |_| true, usize::MAX)
                .await
                .map_err(|e| e.to_string())?
                .len();
            Ok(Resolved {
                scope: format!(
                    "every entry idle at least {} when it runs: {} now (counted on the server)",
                    humantime::format_duration(min_idle),
                    count(n as u64)
                ),
                op: Op::Autoclaim {
                    stream,
                    group,
                    to,
                    min_idle,
                    count: n,
                },
            })
        }
        Resolve::DlqAll { dlq, target } => {
            let n = ops::xlen(dep.node_for_key(&dlq), &dlq)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Resolved {
                scope: format!(
                    "every dead letter in {dlq} when it runs: {} now (counted on the server)",
                    count(n)
                ),
                op: Op::DlqRequeueAll {
                    dlq,
                    target,
                    count: n,
                },
            })
        }
        Resolve::Pending {
            stream,
            group,
            consumer,
            filter,
            key,
            to,
            dlq,
            min_idle,
            max_retries,
        } => {
            let node = dep.node_for_key(&stream);
            let claim_ms = min_idle.as_millis() as u64;
            let rows = ops::pending_rows(
                node,
                &stream,
                &group,
                Duration::ZERO,
                consumer.as_ref(),
                |e| crate::model::filter::pending(e, &filter, claim_ms, max_retries),
                SELECT_MAX + 1,
            )
            .await
            .map_err(|e| e.to_string())?;
            let ids = selected(
                rows.into_iter().map(|e| e.id).collect(),
                ("pending entries", "pending entry"),
                "redeye requeue --stream … --group … --all pages through them",
            )?;
            let scope = format!(
                "all {} pending entries{}{} on the server, not only this page",
                count(ids.len() as u64),
                consumer
                    .as_ref()
                    .map(|c| format!(" held by {c}"))
                    .unwrap_or_default(),
                filtered(&filter)
            );
            let op = pending_op(key, stream, group, ids, to, dlq, min_idle);
            Ok(Resolved { op, scope })
        }
        Resolve::Dlq {
            dlq,
            target,
            filter,
            key,
        } => {
            let node = dep.node_for_key(&dlq);
            let rows = ops::entries_where(
                node,
                &dlq,
                |e| crate::model::filter::dead_letter(e, &filter),
                SELECT_MAX + 1,
            )
            .await
            .map_err(|e| e.to_string())?;
            let ids = selected(
                rows.into_iter().map(|e| e.id).collect(),
                ("dead letters", "dead letter"),
                "redeye dlq requeue --all",
            )?;
            let scope = format!(
                "all {} dead letters of {dlq}{} on the server, not only this page",
                count(ids.len() as u64),
                filtered(&filter)
            );
            let op = if key == 'R' {
                Op::DlqRequeue { dlq, target, ids }
            } else {
                Op::DlqDelete { dlq, ids }
            };
            Ok(Resolved { op, scope })
        }
    }
}

/// The ids select-all read (at most `SELECT_MAX + 1`), refused when there
/// are more than `SELECT_MAX` (the CLI `cli` pages through them) or none.
/// `what`: the entries' name, plural and singular.
fn selected(ids: Vec<String>, what: (&str, &str), cli: &str) -> Result<Vec<String>, String> {
    if ids.len() > SELECT_MAX {
        return Err(format!(
            "more than {} {} match: narrow the filter, or use the CLI ({cli})",
            crate::format::count(SELECT_MAX as u64),
            what.0
        ));
    }
    if ids.is_empty() {
        return Err(format!(
            "no {} matches on the server; nothing to do",
            what.1
        ));
    }
    Ok(ids)
}

/// The write a Pending key makes on `ids`: `c` claim to `to`, `R` requeue,
/// `D` dead-letter to `dlq`, else (`A`) ack.
pub fn pending_op(
    key: char,
    stream: Name,
    group: Name,
    ids: Vec<String>,
    to: Name,
    dlq: Name,
    min_idle: Duration,
) -> crate::ops::Op {
    use crate::ops::Op;
    match key {
        'c' => Op::Claim {
            stream,
            group,
            ids,
            to,
            min_idle,
        },
        'R' => Op::Requeue {
            stream,
            group,
            ids,
            min_idle,
        },
        'D' => Op::DeadLetter {
            stream,
            group,
            dlq,
            ids,
            min_idle,
            min_deliveries: 0,
            reason: "moved from the redeye dashboard".into(),
        },
        _ => Op::Ack { stream, group, ids },
    }
}
