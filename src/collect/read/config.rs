//! CONFIG GET of the settings the panes and the advisor show. Every poll;
//! the persistence and latency figures take theirs from it.

use super::Ctx;
use crate::collect::insight::SETTINGS;
use crate::collect::plan::Plan;
use crate::model::{Section, ServerConfig};

pub(super) fn plan<'a>(_: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    let args = std::iter::once("GET").chain(SETTINGS.iter().copied());
    plan.add("CONFIG", args, Section::Config, |out, r| {
        let v = r?;
        let p = crate::resp::pairs(&v);
        let get = |k: &str| {
            p.iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| crate::resp::text(v))
        };
        out.snapshot.config = Some(ServerConfig {
            slowlog_log_slower_than_us: get("slowlog-log-slower-than").and_then(|v| v.parse().ok()),
            slowlog_max_len: get("slowlog-max-len").and_then(|v| v.parse().ok()),
            appendonly: get("appendonly"),
            settings: p
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), crate::resp::text(v)?)))
                .collect(),
        });
        Ok(())
    });
    // The settings the panes show beside the INFO figures.
    plan.after(|out| {
        let snap = &mut out.snapshot;
        if let (Some(p), Some(c)) = (&mut snap.persistence, &snap.config) {
            p.appendfsync = c.settings.get("appendfsync").cloned();
            p.save = c.settings.get("save").cloned();
        }
        if let Some(c) = &snap.config {
            let l = snap.latency.get_or_insert_with(Default::default);
            l.threshold_ms = c
                .settings
                .get("latency-monitor-threshold")
                .and_then(|v| v.parse().ok());
        }
    });
}
