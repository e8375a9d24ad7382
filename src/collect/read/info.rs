//! INFO: the server, memory, clients, stats, persistence and keyspace
//! figures. Every poll.

use super::Ctx;
use crate::collect::info::Info;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(_: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    plan.add("INFO", [""; 0], Section::Info, |out, r| {
        let text = crate::resp::text(&r?).unwrap_or_default();
        let info = Info::parse(&text);
        let snap = &mut out.snapshot;
        snap.server = Some(info.server());
        snap.memory = Some(info.memory());
        snap.clients = Some(info.clients());
        snap.stats = Some(info.stats());
        snap.persistence = Some(info.persistence());
        snap.keyspace = info.keyspace();
        Ok(())
    });
}
