//! SLOWLOG GET n and SLOWLOG LEN, every poll the request asks for them.

use super::Ctx;
use crate::collect::parse;
use crate::collect::plan::Plan;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    if cx.req.slowlog == 0 {
        return;
    }
    let n = cx.req.slowlog.to_string();
    plan.add(
        "SLOWLOG",
        ["GET", n.as_str()],
        Section::Slowlog,
        |out, r| {
            out.snapshot.slowlog = Some(parse::slowlog(&r?, 0));
            Ok(())
        },
    );
    plan.add("SLOWLOG", ["LEN"], Section::Slowlog, |out, r| {
        out.scratch.slowlog_len = crate::resp::int(&r?).unwrap_or(0);
        Ok(())
    });
    plan.after(|out| {
        if let Some(sl) = &mut out.snapshot.slowlog {
            sl.len = out.scratch.slowlog_len;
        }
    });
}
