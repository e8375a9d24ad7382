//! One type for every write. The CLI and the dashboard only build an `Op`
//! and confirm it their own way; the [`runner`](super::runner) does the rest.

use super::{DlqSelect, Outcome};
use crate::connect::Deployment;
use crate::error::Result;
use crate::model::Name;
use std::time::Duration;

/// A write, with everything it acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Claim {
        stream: Name,
        group: Name,
        ids: Vec<String>,
        to: Name,
        min_idle: Duration,
    },
    /// XAUTOCLAIM every entry idle at least `min_idle`; `count` is the
    /// estimate shown in the confirmation.
    Autoclaim {
        stream: Name,
        group: Name,
        to: Name,
        min_idle: Duration,
        count: usize,
    },
    Requeue {
        stream: Name,
        group: Name,
        ids: Vec<String>,
        min_idle: Duration,
    },
    DeadLetter {
        stream: Name,
        group: Name,
        dlq: Name,
        ids: Vec<String>,
        min_idle: Duration,
        min_deliveries: u64,
        reason: String,
    },
    Ack {
        stream: Name,
        group: Name,
        ids: Vec<String>,
    },
    DlqRequeue {
        dlq: Name,
        target: Name,
        ids: Vec<String>,
    },
    /// Every entry the DLQ holds when the write starts.
    DlqRequeueAll {
        dlq: Name,
        target: Name,
        count: u64,
    },
    /// Every entry with an id below `end` (exclusive, `(ms-0` form).
    DlqRequeueOlder {
        dlq: Name,
        target: Name,
        end: String,
        count: u64,
    },
    DlqDelete {
        dlq: Name,
        ids: Vec<String>,
    },
    /// Drop entries older than `ttl` (XTRIM MINID at the time it runs).
    DlqPurge {
        dlq: Name,
        ttl: Duration,
    },
    /// Delete the group's consumers that hold nothing and are idle longer
    /// than `idle` (each checked again, atomically).
    Prune {
        stream: Name,
        group: Name,
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

fn d(d: &Duration) -> String {
    humantime::format_duration(*d).to_string()
}

impl Op {
    /// The action name in the audit log (the CLI's subcommand names).
    pub fn action(&self) -> super::Action {
        use super::Action;
        match self {
            Op::Claim { .. } => Action::Claim,
            Op::Autoclaim { .. } => Action::Autoclaim,
            Op::Requeue { .. } => Action::Requeue,
            Op::DeadLetter { .. } => Action::DeadLetter,
            Op::Ack { .. } => Action::Ack,
            Op::DlqRequeue { .. } | Op::DlqRequeueAll { .. } | Op::DlqRequeueOlder { .. } => {
                Action::DlqRequeue
            }
            Op::DlqDelete { .. } => Action::DlqDelete,
            Op::DlqPurge { .. } => Action::DlqPurgeExpired,
            Op::Prune { .. } => Action::PruneConsumers,
        }
    }

    /// The stream the operation acts on (the DLQ for DLQ operations): its key.
    pub fn stream(&self) -> &Name {
        match self {
            Op::Claim { stream, .. }
            | Op::Autoclaim { stream, .. }
            | Op::Requeue { stream, .. }
            | Op::DeadLetter { stream, .. }
            | Op::Ack { stream, .. }
            | Op::Prune { stream, .. } => stream,
            Op::DlqRequeue { dlq, .. }
            | Op::DlqRequeueAll { dlq, .. }
            | Op::DlqRequeueOlder { dlq, .. }
            | Op::DlqDelete { dlq, .. }
            | Op::DlqPurge { dlq, .. } => dlq,
        }
    }

    pub fn group(&self) -> Option<&Name> {
        match self {
            Op::Claim { group, .. }
            | Op::Autoclaim { group, .. }
            | Op::Requeue { group, .. }
            | Op::DeadLetter { group, .. }
            | Op::Ack { group, .. }
            | Op::Prune { group, .. } => Some(group),
            _ => None,
        }
    }

    /// How many entries it will act on, where known beforehand (for a
    /// progress bar): the ids named, or the count shown in the confirmation.
    pub fn total(&self) -> Option<u64> {
        match self {
            Op::DlqRequeueAll { count, .. } | Op::DlqRequeueOlder { count, .. } => Some(*count),
            Op::Autoclaim { count, .. } => Some(*count as u64),
            Op::DlqPurge { .. } | Op::Prune { .. } => None,
            _ => Some(self.ids().len() as u64),
        }
    }

    /// The ids named by the operation (empty for range operations).
    pub fn ids(&self) -> &[String] {
        match self {
            Op::Claim { ids, .. }
            | Op::Requeue { ids, .. }
            | Op::DeadLetter { ids, .. }
            | Op::Ack { ids, .. }
            | Op::DlqRequeue { ids, .. }
            | Op::DlqDelete { ids, .. } => ids,
            _ => &[],
        }
    }

    /// The exact action, count, stream, group and target, for the confirmation.
    pub fn describe(&self) -> String {
        match self {
            Op::Claim {
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
            Op::Autoclaim {
                stream,
                group,
                to,
                min_idle,
                count,
            } => format!(
                "Autoclaim every entry of {stream} / {group} idle at least {} when it runs ({} now) to consumer {to}",
                d(min_idle),
                crate::format::count(*count as u64)
            ),
            Op::Requeue {
                stream, group, ids, ..
            } => format!(
                "Requeue {} of {stream} / {group}: add each again at the tail of {stream}, acknowledge the old one",
                n(ids)
            ),
            Op::DeadLetter {
                stream,
                group,
                dlq,
                ids,
                ..
            } => format!(
                "Dead-letter {} of {stream} / {group}: move to {dlq} with metadata, acknowledge",
                n(ids)
            ),
            Op::Ack { stream, group, ids } => format!(
                "ACKNOWLEDGE {} of {stream} / {group} without processing: this work will never be done",
                n(ids)
            ),
            Op::DlqRequeue { dlq, target, ids } => format!(
                "Requeue {} of {dlq} to their original stream (default {target}) and delete them from the DLQ",
                n(ids)
            ),
            Op::DlqRequeueAll { dlq, target, count } => format!(
                "Requeue ALL {count} dead letters of {dlq} to their original stream (default {target}) and delete them from the DLQ"
            ),
            Op::DlqRequeueOlder {
                dlq, target, count, ..
            } => format!(
                "Requeue the {count} oldest dead letters of {dlq} to their original stream (default {target}) and delete them from the DLQ"
            ),
            Op::DlqDelete { dlq, ids } => {
                format!("DELETE {} from {dlq}; they cannot be recovered", n(ids))
            }
            Op::DlqPurge { dlq, ttl } => {
                format!("Purge every dead letter of {dlq} older than {}", d(ttl))
            }
            Op::Prune {
                stream,
                group,
                idle,
            } => format!(
                "Delete the consumers of {stream} / {group} that hold no pending entries and are idle longer than {} (checked again, atomically, for each)",
                d(idle)
            ),
        }
    }

    /// The commands the operation sends, with their keys, for the ACL pre-check.
    pub fn needs(&self) -> Vec<Vec<Vec<u8>>> {
        let v = |a: &[&[u8]]| a.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
        let first = |ids: &[String]| ids.first().cloned().unwrap_or_else(|| "0-1".into());
        let (x, y) = (b"0".as_slice(), b"0-1".as_slice());
        match self {
            Op::Claim {
                stream,
                group,
                ids,
                to,
                ..
            } => vec![v(&[
                b"XCLAIM",
                stream.as_bytes(),
                group.as_bytes(),
                to.as_bytes(),
                x,
                first(ids).as_bytes(),
            ])],
            Op::Autoclaim {
                stream, group, to, ..
            } => vec![v(&[
                b"XAUTOCLAIM",
                stream.as_bytes(),
                group.as_bytes(),
                to.as_bytes(),
                x,
                b"0-0",
            ])],
            Op::Requeue { stream, group, .. } => vec![
                v(&[b"EVALSHA", x, x]),
                v(&[b"XADD", stream.as_bytes(), b"*", b"f", b"v"]),
                v(&[b"XACK", stream.as_bytes(), group.as_bytes(), y]),
            ],
            Op::DeadLetter {
                stream, group, dlq, ..
            } => vec![
                v(&[b"EVALSHA", x, x]),
                v(&[b"XADD", dlq.as_bytes(), b"*", b"f", b"v"]),
                v(&[b"XACK", stream.as_bytes(), group.as_bytes(), y]),
            ],
            Op::Ack { stream, group, .. } => {
                vec![v(&[b"XACK", stream.as_bytes(), group.as_bytes(), y])]
            }
            Op::DlqRequeue { dlq, target, .. }
            | Op::DlqRequeueAll { dlq, target, .. }
            | Op::DlqRequeueOlder { dlq, target, .. } => vec![
                v(&[b"EVALSHA", x, x]),
                v(&[b"XADD", target.as_bytes(), b"*", b"f", b"v"]),
                v(&[b"XDEL", dlq.as_bytes(), y]),
            ],
            Op::DlqDelete { dlq, .. } => vec![v(&[b"XDEL", dlq.as_bytes(), y])],
            Op::DlqPurge { dlq, .. } => vec![v(&[b"XTRIM", dlq.as_bytes(), b"MINID", x])],
            Op::Prune { stream, group, .. } => vec![
                v(&[b"EVALSHA", x, x]),
                v(&[
                    b"XGROUP",
                    b"DELCONSUMER",
                    stream.as_bytes(),
                    group.as_bytes(),
                    b"c",
                ]),
            ],
        }
    }

    /// Carry the operation out on the node that owns its stream. Only the
    /// runner calls this (after its checks); `progress` sees the running count.
    pub(super) async fn execute(
        &self,
        dep: &Deployment,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Outcome> {
        let node = dep.node_for_key(self.stream());
        match self {
            Op::Claim {
                stream,
                group,
                ids,
                to,
                min_idle,
            } => super::claim(node, stream, group, to, *min_idle, ids).await,
            Op::Autoclaim {
                stream,
                group,
                to,
                min_idle,
                ..
            } => super::autoclaim(node, stream, group, to, *min_idle, progress).await,
            Op::Requeue {
                stream,
                group,
                ids,
                min_idle,
            } => super::requeue_pending(node, stream, group, *min_idle, ids, progress).await,
            Op::DeadLetter {
                stream,
                group,
                dlq,
                ids,
                min_idle,
                min_deliveries,
                reason,
            } => {
                // One script where the stream and its DLQ share a slot; the
                // three-step move of `cross` where they do not (Cluster).
                if dep.same_slot(stream, dlq) {
                    super::dead_letter(
                        node,
                        stream,
                        group,
                        dlq,
                        *min_idle,
                        *min_deliveries,
                        reason,
                        ids,
                    )
                    .await
                } else {
                    super::cross::dead_letter(
                        dep,
                        stream,
                        group,
                        dlq,
                        *min_idle,
                        *min_deliveries,
                        reason,
                        ids,
                    )
                    .await
                }
            }
            Op::Ack { stream, group, ids } => super::ack(node, stream, group, ids).await,
            Op::DlqRequeue { dlq, target, .. }
            | Op::DlqRequeueAll { dlq, target, .. }
            | Op::DlqRequeueOlder { dlq, target, .. } => {
                let sel = match self {
                    Op::DlqRequeue { ids, .. } => DlqSelect::Ids(ids.clone()),
                    Op::DlqRequeueOlder { end, .. } => DlqSelect::UpTo(end.clone()),
                    _ => DlqSelect::UpTo("+".into()),
                };
                // On a cluster a dead letter's target (its original_stream) can
                // be on any slot, and a script touching an undeclared key of
                // another slot fails half-way: always the three-step move there.
                if dep.cluster().is_some() {
                    super::cross::dlq_requeue(dep, dlq, target, &sel, progress).await
                } else {
                    super::dlq_requeue(node, dlq, target, &sel, progress).await
                }
            }
            Op::DlqDelete { dlq, ids } => super::dlq_delete(node, dlq, ids).await,
            Op::DlqPurge { dlq, ttl } => {
                super::purge_expired(node, dlq, &super::min_id_older_than(*ttl)).await
            }
            Op::Prune {
                stream,
                group,
                idle,
            } => {
                let names = super::prunable_consumers(node, stream, group, *idle).await?;
                super::prune_consumers(node, stream, group, &names).await
            }
        }
    }

    /// Run through the runner's checks and audit, as the dashboard does.
    pub async fn run(&self, profile: &crate::config::Profile) -> Result<Outcome> {
        let runner = super::runner::Runner::open(profile, false).await?;
        runner.run(runner.check(self).await?, &mut |_| {}).await
    }

    /// The same through an open link. A write that fails because the master
    /// changed under it is reported, never retried on the new master.
    pub async fn run_on(&self, link: &crate::connect::Link) -> Result<Outcome> {
        let runner = super::runner::Runner::on(link).await?;
        runner.run(runner.check(self).await?, &mut |_| {}).await
    }
}
