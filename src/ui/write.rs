//! Writes from the dashboard: what a key asks for, how it is confirmed, and
//! how it is carried out (in a task of its own, never in the UI loop).

use crate::config::Profile;
use crate::error::Result;
use crate::ops::{self, DlqSelect, Outcome};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Claim {
        stream: String,
        group: String,
        ids: Vec<String>,
        to: String,
        min_idle: Duration,
    },
    Autoclaim {
        stream: String,
        group: String,
        to: String,
        min_idle: Duration,
        count: usize,
    },
    Requeue {
        stream: String,
        group: String,
        ids: Vec<String>,
        min_idle: Duration,
    },
    DeadLetter {
        stream: String,
        group: String,
        dlq: String,
        ids: Vec<String>,
        min_idle: Duration,
    },
    Ack {
        stream: String,
        group: String,
        ids: Vec<String>,
    },
    DlqRequeue {
        dlq: String,
        target: String,
        ids: Vec<String>,
    },
    DlqDelete {
        dlq: String,
        ids: Vec<String>,
    },
    DlqPurge {
        dlq: String,
        ttl: Duration,
    },
    /// Every entry the DLQ holds when the write starts.
    DlqRequeueAll {
        dlq: String,
        target: String,
        count: u64,
    },
    /// Delete the group's consumers that hold nothing and are idle longer than `idle`.
    Prune {
        stream: String,
        group: String,
        idle: Duration,
    },
}

fn n(ids: &[String]) -> String {
    if ids.len() == 1 {
        format!("entry {}", ids[0])
    } else {
        format!("{} entries", ids.len())
    }
}

impl WriteOp {
    /// The action and stream as the audit log names them (the same names the
    /// CLI's writes use), for recording a write that failed.
    pub fn audit_name(&self) -> (&'static str, &str) {
        match self {
            WriteOp::Claim { stream, .. } => ("claim", stream),
            WriteOp::Autoclaim { stream, .. } => ("autoclaim", stream),
            WriteOp::Requeue { stream, .. } => ("requeue", stream),
            WriteOp::DeadLetter { stream, .. } => ("dead-letter", stream),
            WriteOp::Ack { stream, .. } => ("ack", stream),
            WriteOp::DlqRequeue { dlq, .. } | WriteOp::DlqRequeueAll { dlq, .. } => {
                ("dlq-requeue", dlq)
            }
            WriteOp::DlqDelete { dlq, .. } => ("dlq-delete", dlq),
            WriteOp::DlqPurge { dlq, .. } => ("dlq-purge-expired", dlq),
            WriteOp::Prune { stream, .. } => ("prune-consumers", stream),
        }
    }

    /// The exact action, count, stream, group and target, for the confirmation.
    pub fn describe(&self) -> String {
        let d = |d: &Duration| humantime::format_duration(*d).to_string();
        match self {
            WriteOp::Claim {
                stream,
                group,
                ids,
                to,
                min_idle,
            } => format!(
                "Claim {} of {stream} / {group} to consumer {to} (only if idle at least {})",
                n(ids),
                d(min_idle)
            ),
            WriteOp::Autoclaim {
                stream,
                group,
                to,
                min_idle,
                count,
            } => format!(
                "Autoclaim every entry of {stream} / {group} idle at least {} (about {count} now) to consumer {to}",
                d(min_idle)
            ),
            WriteOp::Requeue {
                stream, group, ids, ..
            } => format!(
                "Requeue {} of {stream} / {group}: add each again at the tail of {stream}, acknowledge the old one",
                n(ids)
            ),
            WriteOp::DeadLetter {
                stream,
                group,
                dlq,
                ids,
                ..
            } => format!(
                "Dead-letter {} of {stream} / {group}: move to {dlq} with metadata, acknowledge",
                n(ids)
            ),
            WriteOp::Ack { stream, group, ids } => format!(
                "ACKNOWLEDGE {} of {stream} / {group} without processing: this work will never be done",
                n(ids)
            ),
            WriteOp::DlqRequeue { dlq, target, ids } => format!(
                "Requeue {} of {dlq} to their original stream (default {target}) and delete them from the DLQ",
                n(ids)
            ),
            WriteOp::DlqDelete { dlq, ids } => {
                format!("DELETE {} from {dlq}; they cannot be recovered", n(ids))
            }
            WriteOp::DlqPurge { dlq, ttl } => {
                format!("Purge every dead letter of {dlq} older than {}", d(ttl))
            }
            WriteOp::DlqRequeueAll { dlq, target, count } => format!(
                "Requeue ALL {count} dead letters of {dlq} to their original stream (default {target}) and delete them from the DLQ"
            ),
            WriteOp::Prune {
                stream,
                group,
                idle,
            } => format!(
                "Delete the consumers of {stream} / {group} that hold no pending entries and are idle longer than {} (checked again, atomically, for each)",
                d(idle)
            ),
        }
    }

    pub async fn run(&self, profile: &Profile) -> Result<Outcome> {
        ops::check_writable(profile)?;
        let conn = crate::connect::connect(profile).await?;
        let result = match self {
            WriteOp::Claim {
                stream,
                group,
                ids,
                to,
                min_idle,
            } => ops::claim(&conn, stream, group, to, *min_idle, ids).await,
            WriteOp::Autoclaim {
                stream,
                group,
                to,
                min_idle,
                ..
            } => ops::autoclaim(&conn, stream, group, to, *min_idle, &mut |_| {}).await,
            WriteOp::Requeue {
                stream,
                group,
                ids,
                min_idle,
            } => ops::requeue_pending(&conn, stream, group, *min_idle, ids, &mut |_| {}).await,
            WriteOp::DeadLetter {
                stream,
                group,
                dlq,
                ids,
                min_idle,
            } => {
                ops::dead_letter(
                    &conn,
                    stream,
                    group,
                    dlq,
                    *min_idle,
                    0,
                    "moved from the redeye dashboard",
                    ids,
                )
                .await
            }
            WriteOp::Ack { stream, group, ids } => ops::ack(&conn, stream, group, ids).await,
            WriteOp::DlqRequeue { dlq, target, ids } => {
                ops::dlq_requeue(
                    &conn,
                    dlq,
                    target,
                    &DlqSelect::Ids(ids.clone()),
                    &mut |_| {},
                )
                .await
            }
            WriteOp::DlqDelete { dlq, ids } => ops::dlq_delete(&conn, dlq, ids).await,
            WriteOp::DlqPurge { dlq, ttl } => {
                let (_, min_id) = ops::count_older(&conn, dlq, *ttl).await?;
                ops::purge_expired(&conn, dlq, &min_id).await
            }
            WriteOp::DlqRequeueAll { dlq, target, .. } => {
                ops::dlq_requeue(
                    &conn,
                    dlq,
                    target,
                    &DlqSelect::UpTo("+".into()),
                    &mut |_| {},
                )
                .await
            }
            WriteOp::Prune {
                stream,
                group,
                idle,
            } => {
                let names = ops::prunable_consumers(&conn, stream, group, *idle).await?;
                ops::prune_consumers(&conn, stream, group, &names).await
            }
        };
        let endpoint = conn.endpoint.to_string();
        match &result {
            Ok(out) => ops::record(profile, &endpoint, out, "ok")?,
            Err(e) => {
                let (action, stream) = self.audit_name();
                let failed = Outcome::failed(action, stream);
                ops::record(profile, &endpoint, &failed, &format!("error: {e}"))?;
            }
        }
        result
    }
}

/// A confirmation in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub op: WriteOp,
    /// What must be typed: the profile name on production, else "y".
    pub expect: String,
    pub typed: String,
}
