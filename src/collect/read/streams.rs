//! Each watched stream on the node that owns it: XINFO GROUPS every poll
//! (lag, pending, last-delivered id, entries-read: always this poll's), then
//! as the cadence chose (`PollRequest::reads`):
//!
//! - a full read: XINFO STREAM (through the body-dropping script for a
//!   stream not seen yet or last seen with a large entry at its head or
//!   tail) and the XPENDING summary of each group;
//! - a cheap read: XLEN only; `cadence::Memory` fills the rest from the
//!   last full read and marks it with its age.
//!
//! XINFO CONSUMERS of the groups the collector asks for (the open pending
//! view, and stale summaries of configured and lagging groups).
//!
//! The first undelivered entry of each lagging group, for its time behind:
//! `first_undelivered.lua` (XINFO GROUPS and one bodiless XRANGE per
//! group), for the groups the health tracker asks (`PollRequest::behind`).

use super::Ctx;
use crate::collect::health::Ask;
use crate::collect::plan::{Handled, Plan, Reply, is_missing};
use crate::collect::{ConsumerScope, PollOutcome, missing_group, streams};
use crate::connect::ErrorKind;
use crate::model::{Name, Section};

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let claim_ms = cx.profile.streams.claim_min_idle.as_millis() as u64;
    for (i, spec) in cx.req.streams.iter().enumerate() {
        let name = spec.name.as_bytes();
        if !cx.owns(name) {
            continue;
        }
        let how = cx.req.read_of(i);
        let section = || Section::Stream(spec.name.clone());
        if how.full {
            plan.xinfo_stream(spec.name.clone(), how.script, section(), move |out, r| {
                stream_reply(out, i, &spec.name, r)
            });
        } else {
            plan.add("XLEN", [name], section(), move |out, r| {
                out.snapshot.streams[i].length = crate::resp::int(&r?).unwrap_or(0);
                Ok(())
            });
        }
        plan.add("XINFO", [&b"GROUPS"[..], name], section(), move |out, r| {
            let v = match r {
                // A missing stream is a fact, not a problem.
                Err(e) if e.kind == ErrorKind::NoSuchKey => return Ok(()),
                r => r?,
            };
            let s = &mut out.snapshot.streams[i];
            s.exists = true;
            // Ages against the server's clock (INFO, read first in this
            // pipeline), the client's when INFO was refused.
            let now = out.snapshot.server_now();
            let s = &mut out.snapshot.streams[i];
            s.node_time_ms = Some(now);
            let mut found = streams::groups(&v, s, now);
            for g in &mut found {
                g.configured = spec.groups.iter().any(|c| c.name == g.name);
            }
            s.groups = found;
            Ok(())
        });
        // The first undelivered entry of the lagging groups (time behind),
        // without its body; none when the script cannot run (the tracker
        // then gives an upper bound and says so).
        let ask = cx.req.behind_of(i);
        if *ask != Ask::Nothing
            && let Some(sha) = plan.runnable(plan.conn.first_undelivered_script())
        {
            let args: Vec<&[u8]> = match ask {
                Ask::Groups(g) => g.iter().map(Name::as_bytes).collect(),
                _ => Vec::new(),
            };
            plan.add_script(&sha, name, args, "XRANGE", section(), move |out, r| {
                let v = match r {
                    Err(e) if e.kind == ErrorKind::NoSuchKey => return Ok(()),
                    r => r?,
                };
                let s = &mut out.snapshot.streams[i];
                for row in crate::resp::items(&v) {
                    let row = crate::resp::items(row);
                    let (Some(g), Some(last)) = (
                        row.first().and_then(crate::resp::name),
                        row.get(1).and_then(crate::resp::text),
                    ) else {
                        continue;
                    };
                    if let Some(grp) = s.groups.iter_mut().find(|x| x.name == g) {
                        grp.first_undelivered_id = row.get(2).and_then(crate::resp::text);
                        grp.undelivered_after = Some(last);
                    }
                }
                Ok(())
            });
        }
        for g in cx.req.groups_of(i) {
            let gsection = Section::Group(spec.name.clone(), g.clone());
            if how.full {
                let group = g.clone();
                plan.add(
                    "XPENDING",
                    [name, g.as_bytes()],
                    gsection.clone(),
                    move |out, r| {
                        let v = match r {
                            // Gone with its stream, or never there: a
                            // configured one is listed missing below.
                            Err(e) if is_missing(&e) => return Ok(()),
                            r => r?,
                        };
                        let server_now = out.snapshot.server_now();
                        let s = &mut out.snapshot.streams[i];
                        if let Some(grp) = s.groups.iter_mut().find(|x| x.name == group) {
                            streams::apply_pending_summary(grp, &v, server_now);
                        }
                        Ok(())
                    },
                );
            }
            let wanted = match &cx.req.consumers {
                ConsumerScope::Configured => spec.groups.iter().any(|c| c.name == g),
                ConsumerScope::Every => true,
                ConsumerScope::Groups(list) => {
                    list.iter().any(|(st, gr)| st == &spec.name && gr == &g)
                }
                ConsumerScope::None => false,
            };
            if wanted {
                let args = [&b"CONSUMERS"[..], name, g.as_bytes()].map(<[u8]>::to_vec);
                plan.add("XINFO", args, gsection, move |out, r| {
                    let v = match r {
                        Err(e) if is_missing(&e) => return Ok(()),
                        r => r?,
                    };
                    let open = cx
                        .req
                        .pending_page
                        .as_ref()
                        .is_some_and(|(ps, pg, ..)| ps == &spec.name && pg == &g);
                    if open {
                        let (rows, total) = streams::consumer_rows(&v, 500);
                        out.snapshot.pending_consumers = Some(crate::model::ConsumerTable {
                            stream: spec.name.clone(),
                            group: g.clone(),
                            rows,
                            total,
                        });
                    }
                    let s = &mut out.snapshot.streams[i];
                    if let Some(grp) = s.groups.iter_mut().find(|x| x.name == g) {
                        grp.consumer_summary = Some(streams::consumer_summary(&v, claim_ms));
                    }
                    Ok(())
                });
            }
        }
    }
    // Configured groups the server does not have (a group seen before and
    // gone now is simply gone).
    plan.after(move |out| {
        for (i, spec) in cx.req.streams.iter().enumerate() {
            let s = &mut out.snapshot.streams[i];
            for g in &spec.groups {
                if !s.groups.iter().any(|x| x.name == g.name) {
                    s.groups.push(missing_group(&g.name));
                }
            }
        }
    });
}

/// XINFO STREAM (or the script's form of it): the stream's own figures; the
/// groups and DLQ read by other commands are kept.
fn stream_reply(out: &mut PollOutcome, i: usize, name: &Name, r: Reply) -> Handled {
    let v = match r {
        Err(e) if e.kind == ErrorKind::NoSuchKey => return Ok(()),
        r => r?,
    };
    let old = &mut out.snapshot.streams[i];
    let mut s = streams::stream(name, &v);
    s.configured = old.configured;
    s.dlq = old.dlq.take();
    s.groups = std::mem::take(&mut old.groups);
    *old = s;
    Ok(())
}
