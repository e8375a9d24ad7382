//! The reads of a poll, one module each. A read adds its commands to a
//! node's [`Plan`] with the handler of each reply, names the [`Section`] a
//! failure costs, and decides from the request (its cadence) whether it is
//! read at all this poll. Merging across cluster nodes is in `merge.rs`, in
//! the order of this list.
//!
//! Adding a figure from a new command: one module here, one field in the
//! model, one line in [`plan_all`].
//!
//! [`Section`]: crate::model::Section

use super::plan::Plan;
use super::{Part, PollRequest};
use crate::config::Profile;

mod advisor;
mod clients;
mod cluster;
mod config;
mod discover;
mod dlq;
mod info;
mod keys;
mod latency;
mod pages;
mod slowlog;
mod streams;

/// What every read sees of the poll.
pub(crate) struct Ctx<'a> {
    pub profile: &'a Profile,
    pub req: &'a PollRequest,
    pub part: &'a Part<'a>,
}

impl Ctx<'_> {
    fn owns(&self, key: &[u8]) -> bool {
        (self.part.owns)(key)
    }
}

/// What reads pass from their handlers to their `after` steps.
#[derive(Default)]
pub(crate) struct Scratch {
    slowlog_len: u64,
    probes: std::collections::BTreeMap<usize, crate::collect::keys::Probe>,
    default_user: Option<Result<crate::collect::insight::AclUser, String>>,
    present: Option<Vec<(String, bool)>>,
    memory_doctor: Option<String>,
    latency_doctor: Option<String>,
}

/// Every read, in the order its commands go out.
pub(crate) fn plan_all<'a>(cx: &'a Ctx<'a>, plan: &mut Plan<'a>) {
    info::plan(cx, plan);
    config::plan(cx, plan);
    latency::plan(cx, plan);
    advisor::plan(cx, plan);
    keys::plan(cx, plan);
    slowlog::plan(cx, plan);
    clients::plan(cx, plan);
    cluster::plan(cx, plan);
    streams::plan(cx, plan);
    dlq::plan(cx, plan);
    pages::plan(cx, plan);
    discover::plan(cx, plan);
}
