//! Cluster: CLUSTER INFO on every primary, CLUSTER NODES on the first (the
//! layout check and the Nodes pane; `merge.rs` builds the state from them).

use super::Ctx;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let Some(first) = cx.part.cluster else {
        return;
    };
    plan.add("CLUSTER", ["INFO"], Section::Cluster, |out, r| {
        out.cluster_info = crate::resp::text(&r?);
        Ok(())
    });
    if first {
        plan.add("CLUSTER", ["NODES"], Section::Cluster, |out, r| {
            out.cluster_nodes = crate::resp::text(&r?);
            Ok(())
        });
    }
}
