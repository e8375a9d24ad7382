//! One step of the key-family walk while the Keys pane is open: a SCAN on
//! the node whose turn it is, and the probe (TYPE, PTTL, MEMORY USAGE) of
//! the previous step's sample, each key on the node that owns it.

use super::Ctx;
use crate::collect::plan::Plan;
use crate::collect::{KeyStep, keys};
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let Some(work) = &cx.req.keys else {
        return;
    };
    if let Some(cursor) = work.scan.filter(|_| cx.part.keys) {
        let args = [cursor.to_string(), "COUNT".into(), keys::STEP.to_string()];
        plan.add("SCAN", args, Section::Keys, |out, r| {
            if let Some((cursor, found)) = crate::resp::scan(&r?) {
                let step = out.key_step.get_or_insert_with(Default::default);
                step.cursor = Some(cursor);
                step.found = found;
            }
            Ok(())
        });
    }
    for (i, k) in work.probe.iter().enumerate() {
        if !cx.owns(k.as_bytes()) {
            continue;
        }
        for (which, (command, args)) in keys::probe_commands(k).into_iter().enumerate() {
            plan.add(command, args, Section::Keys, move |out, r| {
                // A key gone between SCAN and its probe: nothing to say.
                if let Ok(v) = r {
                    out.scratch
                        .probes
                        .entry(i)
                        .or_insert_with(|| keys::Probe::new(k.clone()))
                        .set(which, &v);
                }
                Ok(())
            });
        }
    }
    let scanned_here = work.scan.is_some() && cx.part.keys;
    plan.after(move |out| {
        let probes = std::mem::take(&mut out.scratch.probes);
        if !probes.is_empty() {
            out.key_step.get_or_insert_with(Default::default).probes =
                probes.into_values().collect();
        } else if scanned_here && out.key_step.is_none() {
            out.key_step = Some(KeyStep::default());
        }
    });
}
