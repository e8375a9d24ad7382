//! The open pane's page: a page of a group's pending entries (XPENDING,
//! extended form) or of a DLQ's newest entries (XREVRANGE, through the
//! body-dropping `dlq_page.lua` where loaded), on the node owning the key.

use super::Ctx;
use crate::collect::plan::{Plan, is_missing};
use crate::model::{EntryPage, PendingPage, Section};

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    if let Some((stream, group, start, count)) = cx
        .req
        .pending_page
        .as_ref()
        .filter(|(stream, ..)| cx.owns(stream.as_bytes()))
    {
        let mut args = vec![
            stream.as_bytes().to_vec(),
            group.as_bytes().to_vec(),
            start.arg().into_bytes(),
            b"+".to_vec(),
            count.to_string().into_bytes(),
        ];
        let consumer = cx.req.pending_consumer.clone();
        if let Some(c) = &consumer {
            args.push(c.as_bytes().to_vec());
        }
        // The oldest entry each holder holds (XPENDING … 1 consumer), for
        // the consumers table; names from the last poll's table.
        for h in &cx.req.holders {
            let args = [
                stream.as_bytes(),
                group.as_bytes(),
                b"-",
                b"+",
                b"1",
                h.as_bytes(),
            ];
            plan.add("XPENDING", args, Section::PendingEntries, move |out, r| {
                let v = match r {
                    Err(e) if is_missing(&e) => return Ok(()),
                    r => r?,
                };
                let oldest = crate::resp::pending_entries(&v).into_iter().next();
                if let (Some(t), Some(e)) = (&mut out.snapshot.pending_consumers, oldest)
                    && let Some(row) = t.rows.iter_mut().find(|r| r.name == *h)
                {
                    row.oldest_held_id = Some(e.id);
                }
                Ok(())
            });
        }
        plan.add("XPENDING", args, Section::PendingEntries, move |out, r| {
            let v = match r {
                Err(e) if is_missing(&e) => return Ok(()),
                r => r?,
            };
            out.snapshot.pending_page = Some(PendingPage {
                stream: stream.clone(),
                group: group.clone(),
                consumer,
                after: start.shown(),
                entries: crate::resp::pending_entries(&v),
            });
            Ok(())
        });
    }
    if let Some((stream, end, count)) = cx
        .req
        .dlq_page
        .as_ref()
        .filter(|(stream, ..)| cx.owns(stream.as_bytes()))
    {
        let handler = move |out: &mut crate::collect::PollOutcome, r| {
            let v = match r {
                Err(e) if is_missing(&e) => return Ok(()),
                r => r?,
            };
            out.snapshot.dlq_page = Some(EntryPage {
                stream: stream.clone(),
                entries: crate::resp::entries(&v),
            });
            Ok(())
        };
        let count = count.to_string();
        match plan.runnable(plan.conn.dlq_page_script()) {
            Some(sha) => {
                let fields = crate::model::dlq::FIELDS.join(",");
                let args = [end.arg(), count, fields];
                plan.add_script(
                    &sha,
                    stream.as_bytes(),
                    args,
                    "XREVRANGE",
                    Section::DlqEntries,
                    handler,
                );
            }
            None => {
                let args = vec![
                    stream.as_bytes().to_vec(),
                    end.arg().into_bytes(),
                    b"-".to_vec(),
                    b"COUNT".to_vec(),
                    count.into_bytes(),
                ];
                plan.add("XREVRANGE", args, Section::DlqEntries, handler);
            }
        }
    }
}
