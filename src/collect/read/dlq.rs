//! Each watched stream's DLQ, on the node that owns the DLQ key: XLEN every
//! poll (its growth is what alerts), and when the cadence asks for it (first
//! read, the length moved, every Nth poll) its oldest and newest id, by
//! XINFO STREAM, through the body-dropping script on the first read and
//! while the last one showed a large dead letter at the DLQ's head or tail.
//! Between those reads `cadence::Memory` keeps the ids.

use super::Ctx;
use crate::collect::plan::{Handled, Plan, Reply};
use crate::collect::{PollOutcome, streams};
use crate::connect::ErrorKind;
use crate::model::{DlqInfo, Name, Section};

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let dlq = &cx.profile.streams.dlq;
    if !dlq.enabled {
        return;
    }
    for (i, spec) in cx.req.streams.iter().enumerate() {
        let name = dlq.stream_for(&spec.name);
        if !cx.owns(name.as_bytes()) {
            continue;
        }
        let section = Section::Dlq(name.clone());
        let how = cx.req.read_of(i);
        if how.dlq_full {
            let key = name.clone();
            let read = move |out: &mut PollOutcome, r: Reply| {
                let v = match r {
                    // No DLQ stream yet: an empty DLQ.
                    Err(e) if e.kind == ErrorKind::NoSuchKey => {
                        return set(out, i, empty(name));
                    }
                    r => r?,
                };
                let info = streams::stream(&name, &v);
                let dlq = DlqInfo {
                    stream: name,
                    length: info.length,
                    oldest_id: info.first_id,
                    newest_id: info.last_id,
                    full_read_ms: None,
                };
                set(out, i, dlq)
            };
            plan.xinfo_stream(key, how.dlq_script, section, read);
        } else {
            plan.add(
                "XLEN",
                [name.as_bytes().to_vec()],
                section,
                move |out, r| {
                    let mut d = empty(name);
                    d.length = crate::resp::int(&r?).unwrap_or(0);
                    set(out, i, d)
                },
            );
        }
    }
}

fn empty(stream: Name) -> DlqInfo {
    DlqInfo {
        stream,
        length: 0,
        oldest_id: None,
        newest_id: None,
        full_read_ms: None,
    }
}

fn set(out: &mut PollOutcome, i: usize, d: DlqInfo) -> Handled {
    out.snapshot.streams[i].dlq = Some(d);
    Ok(())
}
