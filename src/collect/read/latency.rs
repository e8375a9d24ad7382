//! LATENCY LATEST every poll; LATENCY HISTORY of the Latency pane's
//! selected event while that pane is open.

use super::Ctx;
use crate::collect::insight;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    plan.add("LATENCY", ["LATEST"], Section::Latency, |out, r| {
        out.snapshot
            .latency
            .get_or_insert_with(Default::default)
            .events = insight::latency_latest(&r?);
        Ok(())
    });
    if let Some(e) = &cx.req.latency_history {
        plan.add(
            "LATENCY",
            ["HISTORY", e.as_str()],
            Section::Latency,
            move |out, r| {
                out.snapshot
                    .latency
                    .get_or_insert_with(Default::default)
                    .history = Some((e.clone(), insight::latency_history(&r?)));
                Ok(())
            },
        );
    }
}
