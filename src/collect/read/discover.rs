//! One SCAN … TYPE stream step of stream discovery, on the node whose
//! keyspace the pass is walking (the collector's cadence: every Nth poll
//! while a pass runs).

use super::Ctx;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let Some((cursor, count)) = cx.req.discover.filter(|_| cx.part.scan) else {
        return;
    };
    let args = [
        cursor.to_string(),
        "COUNT".into(),
        count.to_string(),
        "TYPE".into(),
        "stream".into(),
    ];
    plan.add("SCAN", args, Section::Discovery, |out, r| {
        out.discovered = crate::resp::scan(&r?);
        Ok(())
    });
}
