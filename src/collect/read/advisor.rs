//! The advisor's extra reads (MEMORY DOCTOR, LATENCY DOCTOR, COMMAND INFO
//! of the dangerous commands, ACL GETUSER default), while the Advisor pane
//! is open and in `snapshot`; the judgement of the settings read by
//! `config`.

use super::Ctx;
use crate::collect::insight;
use crate::collect::plan::{Plan, problem_for};
use crate::config::Environment;
use crate::model::Section;

pub(super) fn plan<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    if !cx.req.advisor {
        return;
    }
    let text = |v| crate::resp::text(&v);
    plan.add("MEMORY", ["DOCTOR"], Section::Advisor, move |out, r| {
        out.scratch.memory_doctor = text(r?);
        Ok(())
    });
    plan.add("LATENCY", ["DOCTOR"], Section::Advisor, move |out, r| {
        out.scratch.latency_doctor = text(r?);
        Ok(())
    });
    let args = std::iter::once("INFO").chain(insight::DANGEROUS.iter().copied());
    plan.add("COMMAND", args, Section::Advisor, |out, r| {
        out.scratch.present = Some(insight::commands_present(&r?, insight::DANGEROUS));
        Ok(())
    });
    let user = plan.conn.user.clone();
    plan.add(
        "ACL",
        ["GETUSER", "default"],
        Section::Advisor,
        move |out, r| {
            out.scratch.default_user = Some(match r {
                Ok(v) => Ok(insight::acl_user(&v)),
                Err(e) => Err(problem_for(&e, "ACL", Section::Advisor, &user).message),
            });
            Ok(())
        },
    );
    let production = cx.profile.environment == Environment::Production;
    plan.after(move |out| {
        let s = &mut out.scratch;
        let snap = &mut out.snapshot;
        let settings = snap
            .config
            .as_ref()
            .map(|c| c.settings.clone())
            .unwrap_or_default();
        snap.advisor = Some(crate::model::insight::Advisor {
            rows: insight::advise(
                &settings,
                s.default_user.as_ref(),
                s.present.as_deref(),
                production,
            ),
            memory_doctor: s.memory_doctor.take(),
        });
        if let Some(l) = &mut snap.latency {
            l.doctor = s.latency_doctor.take();
        }
    });
}
