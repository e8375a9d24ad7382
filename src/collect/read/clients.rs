//! CLIENT LIST while the Clients pane is open (the collector throttles it
//! on servers with thousands of clients).

use super::Ctx;
use crate::collect::parse;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let Some(rows) = cx.req.client_list else {
        return;
    };
    plan.add("CLIENT", ["LIST"], Section::ClientList, move |out, r| {
        let text = crate::resp::text(&r?).unwrap_or_default();
        out.snapshot.client_list = Some(parse::client_list(&text, rows));
        Ok(())
    });
}
