//! Moves between keys on different cluster slots, where one Lua script cannot
//! do the move (a script may only touch keys of one slot, and Redis does not
//! roll back a script that fails half-way). Three steps, in this order:
//!
//! 1. On the source's node, one script notes the batch as "being moved" and
//!    reads it: DLQ requeue notes each dead letter in a journal hash in the
//!    DLQ's slot; dead-lettering claims each entry to the consumer
//!    `redeye-dead-letter`. Nothing is removed.
//! 2. On the destination's node(s), the copies are written (XADD), each
//!    carrying `original_id` / `original_stream` and, for a requeue,
//!    `requeued_from` (`<dlq> <id>`).
//! 3. On the source's node, one script removes the sources whose copy was
//!    written (XDEL / XACK) and clears the notes.
//!
//! A crash between 2 and 3 leaves a copy and its source: never a loss. The
//! next run of the same operation first finishes such interrupted moves: for
//! each note it looks for the copy on the destination (by `requeued_from` /
//! `original_id`, from the time of the note); found, it removes the source
//! (reported as `finished_interrupted`), so no duplicate is left behind; not
//! found, the copy was never written and the entry is moved normally.

use super::{BATCH, DlqSelect, Outcome, call, ints, num, s, script, stop_here};
use crate::connect::{Deployment, Node};
use crate::error::{Failure, Result};
use crate::model::dlq::{FIELDS, ORIGINAL_ID, ORIGINAL_STREAM};
use crate::model::{Name, StreamEntry};
use redis::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const DLQ_TAKE: &str = include_str!("dlq_take.lua");
const DLQ_FINISH: &str = include_str!("dlq_finish.lua");
const DEAD_LETTER_TAKE: &str = include_str!("dead_letter_take.lua");
/// The consumer that holds entries being dead-lettered across slots.
pub const MOVER: &str = "redeye-dead-letter";
/// The field a requeued copy carries: `<dlq> <dlq entry id>`.
pub const REQUEUED_FROM: &str = "requeued_from";
/// Clocks of different nodes differ: look for copies from this much earlier.
const CLOCK_SLACK_MS: u64 = 60_000;
/// Entries read at most when looking for interrupted copies.
const SEARCH_LIMIT: usize = 200_000;

/// Fault injection for the tests: `REDEYE_FAULT=die-after-copy` kills the
/// process (SIGKILL, as a crash would) right after the first batch's copies
/// are written, before the sources are removed.
fn die_after_copy() {
    if std::env::var("REDEYE_FAULT").as_deref() == Ok("die-after-copy") {
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// A key in the same slot as `dlq` for its journal of moves in flight.
pub fn journal_key(dlq: &Name) -> Result<Name> {
    let slot = crate::connect::cluster::slot_of(dlq.as_bytes());
    let mut braced = b"{".to_vec();
    braced.extend_from_slice(dlq.as_bytes());
    braced.push(b'}');
    [
        dlq.with_suffix(":redeye-journal"),
        Name::from_bytes(braced).with_suffix(":redeye-journal"),
    ]
    .into_iter()
    .find(|k| crate::connect::cluster::slot_of(k.as_bytes()) == slot)
    .ok_or_else(|| {
        Failure::runtime(format!(
            "cannot name a journal key in the slot of {dlq}; rename the DLQ or use a hash tag"
        ))
    })
}

/// The `requeued_from` marker of a copy: `<dlq> <id>`, with the DLQ's bytes.
fn marker(dlq: &Name, id: &str) -> Vec<u8> {
    dlq.with_suffix(" ").with_suffix(id).into_bytes()
}

fn text(b: &crate::model::Bytes) -> String {
    String::from_utf8_lossy(&b.0).into_owned()
}

/// The copy of a dead letter for its target: payload fields as they were,
/// plus where it came from.
fn requeue_copy(dlq: &Name, e: &StreamEntry, fallback: &Name) -> (Name, Vec<Vec<u8>>) {
    let mut target = fallback.clone();
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut original_id = None;
    for (k, v) in &e.fields {
        let key = text(k);
        if key == ORIGINAL_STREAM && !v.0.is_empty() {
            target = Name::from_bytes(v.0.clone());
        }
        if key == ORIGINAL_ID {
            original_id = Some(v.0.clone());
        }
        if !FIELDS.contains(&key.as_str()) {
            out.push(k.0.clone());
            out.push(v.0.clone());
        }
    }
    if out.is_empty() {
        out.extend([b"payload".to_vec(), Vec::new()]);
    }
    if let Some(id) = original_id {
        out.extend([ORIGINAL_ID.as_bytes().to_vec(), id]);
    }
    out.extend([
        ORIGINAL_STREAM.as_bytes().to_vec(),
        target.as_bytes().to_vec(),
        REQUEUED_FROM.as_bytes().to_vec(),
        marker(dlq, &e.id),
    ]);
    (target, out)
}

/// XADD each copy on its target's node, one pipeline per node. Returns,
/// per copy, whether it was written (and the error if not).
async fn write_copies(
    dep: &Deployment,
    copies: &[(Name, Vec<Vec<u8>>)],
) -> Vec<std::result::Result<(), String>> {
    let mut by_node: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, (target, _)) in copies.iter().enumerate() {
        by_node
            .entry(dep.owner_of(target.as_bytes()))
            .or_default()
            .push(i);
    }
    let mut results: Vec<std::result::Result<(), String>> =
        vec![Err("not written".into()); copies.len()];
    let sends = by_node.iter().map(|(node, idx)| {
        let node = &dep.nodes()[*node];
        let mut pipe = redis::pipe();
        for i in idx {
            let (target, fields) = &copies[*i];
            if let Some(mut c) = node.cmd("XADD") {
                c.arg(target).arg("*");
                for f in fields {
                    c.arg(f.as_slice());
                }
                pipe.add_command(c);
            }
        }
        async move { (idx, node.pipeline(&pipe).await) }
    });
    for (idx, r) in futures_util::future::join_all(sends).await {
        match r {
            Ok(replies) => {
                for (i, rep) in idx.iter().zip(replies) {
                    results[*i] = rep
                        .map(|_| ())
                        .map_err(|e| crate::sanitize::text(&e.to_string()));
                }
            }
            Err(e) => {
                for i in idx {
                    results[*i] = Err(e.to_string());
                }
            }
        }
    }
    results
}

/// The values of `field` in `stream`'s entries added since `since_ms` (with
/// slack for clock differences): one pass, however many copies are sought.
async fn values_since(
    node: &Node,
    stream: &Name,
    since_ms: u64,
    field: &str,
) -> Result<std::collections::HashSet<Vec<u8>>> {
    let mut start = format!("{}-0", since_ms.saturating_sub(CLOCK_SLACK_MS));
    let mut read = 0usize;
    let mut out = std::collections::HashSet::new();
    loop {
        let v = call(
            node,
            "XRANGE",
            &[s(stream), s(&start), s("+"), s("COUNT"), num(1000)],
        )
        .await?;
        let page = crate::resp::entries(&v);
        for e in &page {
            for (k, v) in &e.fields {
                if k.0 == field.as_bytes() {
                    out.insert(v.0.clone());
                }
            }
        }
        read += page.len();
        match page.last() {
            Some(e) if page.len() == 1000 && read < SEARCH_LIMIT => start = format!("({}", e.id),
            _ => return Ok(out),
        }
    }
}

/// Finish the DLQ requeues an earlier run left between its steps 2 and 3.
async fn finish_interrupted_requeues(
    dep: &Deployment,
    dlq: &Name,
    journal: &Name,
    fallback: &Name,
    out: &mut Outcome,
) -> Result<()> {
    let node = dep.node_for_key(dlq);
    let noted = crate::resp::pairs(&call(node, "HGETALL", &[s(journal)]).await?)
        .into_iter()
        .map(|(id, t)| (id, crate::resp::int(t).unwrap_or(0)))
        .collect::<Vec<_>>();
    // The noted entries still in the DLQ, with their targets.
    let mut waiting: Vec<(String, Name, u64)> = Vec::new();
    let mut finish: Vec<Vec<u8>> = Vec::new();
    for (id, since) in noted {
        let v = call(node, "XRANGE", &[s(dlq), s(&id), s(&id)]).await?;
        match crate::resp::entries(&v).into_iter().next() {
            Some(e) => waiting.push((id, requeue_copy(dlq, &e, fallback).0, since)),
            None => finish.extend([s(id), s("keep")]),
        }
    }
    // One pass over each target for the copies' markers.
    let mut targets: BTreeMap<Name, u64> = BTreeMap::new();
    for (_, t, since) in &waiting {
        let e = targets.entry(t.clone()).or_insert(*since);
        *e = (*e).min(*since);
    }
    let mut found = std::collections::HashSet::new();
    for (t, since) in targets {
        found.extend(values_since(dep.node_for_key(&t), &t, since, REQUEUED_FROM).await?);
    }
    for (id, _, _) in waiting {
        if found.contains(&marker(dlq, &id)) {
            finish.extend([s(id), s("del")]);
            out.add("finished_interrupted", 1);
        } else {
            finish.extend([s(id), s("keep")]);
        }
    }
    if !finish.is_empty() {
        script(node, DLQ_FINISH, &[dlq, journal], &finish).await?;
    }
    Ok(())
}

/// Requeue dead letters whose targets may be on other slots (Cluster).
pub async fn dlq_requeue(
    dep: &Deployment,
    dlq: &Name,
    fallback: &Name,
    sel: &DlqSelect,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Outcome> {
    let mut out = Outcome::new(super::Action::DlqRequeue, dlq, None);
    out.target = Some(fallback.clone());
    let journal = journal_key(dlq)?;
    let node = dep.node_for_key(dlq);
    finish_interrupted_requeues(dep, dlq, &journal, fallback, &mut out).await?;
    let now = || num(crate::time::now_ms());
    // Batches: ('ids', chunk) or ('range', start, end).
    let mut ranges: Option<(String, String)> = None;
    let mut chunks: Vec<Vec<String>> = Vec::new();
    match sel {
        DlqSelect::Ids(ids) => chunks = ids.chunks(BATCH).map(|c| c.to_vec()).collect(),
        DlqSelect::UpTo(end) => {
            let end = if end == "+" {
                let v = call(
                    node,
                    "XREVRANGE",
                    &[s(dlq), s("+"), s("-"), s("COUNT"), num(1)],
                )
                .await?;
                match crate::resp::entries(&v).into_iter().next() {
                    Some(e) => e.id,
                    None => return Ok(out),
                }
            } else {
                end.clone()
            };
            ranges = Some(("-".to_string(), end));
        }
    }
    let mut next_chunk = 0;
    loop {
        if stop_here(&mut out) {
            break;
        }
        let args: Vec<Vec<u8>> = match (&ranges, chunks.get(next_chunk)) {
            (Some((start, end)), _) => {
                vec![s("range"), now(), s(start), s(end), num(BATCH)]
            }
            (None, Some(c)) => {
                next_chunk += 1;
                let mut a = vec![s("ids"), now()];
                a.extend(c.iter().map(s));
                a
            }
            (None, None) => break,
        };
        let v = script(node, DLQ_TAKE, &[dlq, &journal], &args).await?;
        let parts = crate::resp::items(&v);
        let entries = parts.first().map(crate::resp::entries).unwrap_or_default();
        out.add(
            "missing",
            parts
                .get(1)
                .map(|m| crate::resp::items(m).len() as u64)
                .unwrap_or(0),
        );
        let next = parts.get(2).and_then(crate::resp::text).unwrap_or_default();
        let copies: Vec<(Name, Vec<Vec<u8>>)> = entries
            .iter()
            .map(|e| requeue_copy(dlq, e, fallback))
            .collect();
        let written = write_copies(dep, &copies).await;
        die_after_copy();
        let mut finish = Vec::new();
        for (e, w) in entries.iter().zip(&written) {
            match w {
                Ok(()) => finish.extend([s(&e.id), s("del")]),
                Err(why) => {
                    finish.extend([s(&e.id), s("keep")]);
                    out.add("failed", 1);
                    out.warnings.push(format!(
                        "{} not requeued (left in the DLQ): {why}",
                        crate::sanitize::text(&e.id)
                    ));
                }
            }
        }
        if !finish.is_empty() {
            let n = crate::resp::int(&script(node, DLQ_FINISH, &[dlq, &journal], &finish).await?)
                .unwrap_or(0);
            out.add("requeued", n);
        }
        out.ids.extend(entries.iter().map(|e| e.id.clone()));
        progress(out.done());
        match &mut ranges {
            Some((start, _)) if !next.is_empty() => *start = next,
            Some(_) => break,
            None => {}
        }
    }
    if let DlqSelect::Ids(ids) = sel {
        out.ids = ids.clone();
    }
    Ok(out)
}

/// Finish dead-letterings an earlier run left between its steps 2 and 3:
/// entries still pending for [`MOVER`] whose copy is in the DLQ are acked.
async fn finish_interrupted_dead_letters(
    dep: &Deployment,
    stream: &Name,
    group: &Name,
    dlq: &Name,
    out: &mut Outcome,
) -> Result<()> {
    let node = dep.node_for_key(stream);
    let v = call(
        node,
        "XPENDING",
        &[s(stream), s(group), s("-"), s("+"), num(10_000), s(MOVER)],
    )
    .await?;
    let now = crate::time::now_ms();
    let held = crate::resp::pending_entries(&v);
    let Some(since) = held.iter().map(|p| now.saturating_sub(p.idle_ms)).min() else {
        return Ok(());
    };
    let copied = values_since(dep.node_for_key(dlq), dlq, since, ORIGINAL_ID).await?;
    let done: Vec<String> = held
        .iter()
        .filter(|p| copied.contains(p.id.as_bytes()))
        .map(|p| p.id.clone())
        .collect();
    if !done.is_empty() {
        let mut args = vec![s(stream), s(group)];
        args.extend(done.iter().map(s));
        let n = crate::resp::int(&call(node, "XACK", &args).await?).unwrap_or(0);
        out.add("finished_interrupted", n);
    }
    Ok(())
}

/// Dead-letter entries to a DLQ on another slot (Cluster).
#[allow(clippy::too_many_arguments)]
pub async fn dead_letter(
    dep: &Deployment,
    stream: &Name,
    group: &Name,
    dlq: &Name,
    min_idle: Duration,
    min_deliveries: u64,
    reason: &str,
    ids: &[String],
) -> Result<Outcome> {
    let mut out = Outcome::new(super::Action::DeadLetter, stream, Some(group));
    out.target = Some(dlq.clone());
    finish_interrupted_dead_letters(dep, stream, group, dlq, &mut out).await?;
    let node = dep.node_for_key(stream);
    let failed_at = num(crate::time::now_ms() / 1000);
    let error = format!("moved by redeye: {reason}");
    for chunk in ids.chunks(BATCH) {
        if stop_here(&mut out) {
            break;
        }
        let mut args = vec![
            s(group),
            s(MOVER),
            num(min_idle.as_millis()),
            num(min_deliveries),
        ];
        args.extend(chunk.iter().map(s));
        let v = script(node, DEAD_LETTER_TAKE, &[stream], &args).await?;
        let parts = crate::resp::items(&v);
        let counts = ints(&Value::Array(parts.get(1..).unwrap_or(&[]).to_vec()));
        out.add("skipped", counts.first().copied().unwrap_or(0));
        out.add("gone", counts.get(1).copied().unwrap_or(0));
        let moving: Vec<(String, Vec<Vec<u8>>)> = parts
            .first()
            .map(crate::resp::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| {
                let m = crate::resp::items(m);
                let id = crate::resp::text(m.first()?)?;
                let owner = crate::resp::raw(m.get(1)?);
                let deliveries = crate::resp::text(m.get(2)?)?;
                let mut fields: Vec<Vec<u8>> = [
                    (ORIGINAL_ID, id.clone().into_bytes()),
                    (ORIGINAL_STREAM, stream.as_bytes().to_vec()),
                    ("error", error.clone().into_bytes()),
                    ("retry_count", deliveries.into_bytes()),
                    ("failed_at", failed_at.clone()),
                    ("consumer_group", group.as_bytes().to_vec()),
                    ("consumer_id", owner.0),
                ]
                .into_iter()
                .flat_map(|(k, v)| [k.as_bytes().to_vec(), v])
                .collect();
                for f in crate::resp::items(m.get(3)?) {
                    fields.push(crate::resp::raw(f).0);
                }
                Some((id, fields))
            })
            .collect();
        let copies: Vec<(Name, Vec<Vec<u8>>)> = moving
            .iter()
            .map(|(_, f)| (dlq.clone(), f.clone()))
            .collect();
        let written = write_copies(dep, &copies).await;
        die_after_copy();
        let mut ack = vec![s(stream), s(group)];
        for ((id, _), w) in moving.iter().zip(&written) {
            match w {
                Ok(()) => ack.push(s(id)),
                Err(why) => {
                    out.add("failed", 1);
                    out.warnings.push(format!(
                        "{} not dead-lettered (still pending for {MOVER}): {why}",
                        crate::sanitize::text(id)
                    ));
                }
            }
        }
        if ack.len() > 2 {
            let n = crate::resp::int(&call(node, "XACK", &ack).await?).unwrap_or(0);
            out.add("moved", n);
        }
    }
    out.ids = ids.to_vec();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::cluster::slot_of;

    #[test]
    fn the_journal_shares_the_dlq_slot() {
        for dlq in ["orders:dlq", "{orders}:dlq", "x{y}z"] {
            let j = journal_key(&dlq.into()).unwrap();
            assert_eq!(
                slot_of(j.as_bytes()),
                slot_of(dlq.as_bytes()),
                "{dlq} → {j}"
            );
        }
        // A name no journal key can share a slot with is refused, not guessed.
        assert!(journal_key(&"a{}b{:dlq".into()).is_err());
    }
}
