//! `redeye check`: one poll judged against thresholds, for a monitoring
//! agent or cron, with the monitoring-plugin convention: exit 0 OK, 1
//! WARNING, 2 CRITICAL (also: unreachable, or no answer within
//! `--timeout`), 3 UNKNOWN (not permitted, bad arguments, nothing to judge
//! by: never a false OK). Output: one status line naming the worst
//! finding, `|`, then perfdata (`'label'=value;warn;crit;min`), or `--json`.

use crate::error::Failure;
use crate::model::Snapshot;
use crate::model::alerts::Thresholds;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Only this stream (default: every stream the profile names).
    #[arg(long, value_parser = crate::opscli::name_arg())]
    pub stream: Option<crate::model::Name>,
    /// Only this group.
    #[arg(long, value_parser = crate::opscli::name_arg())]
    pub group: Option<crate::model::Name>,
    /// Critical above this many undelivered entries (default: alerts.lag_crit).
    #[arg(long, value_name = "N")]
    pub max_lag: Option<u64>,
    /// Critical above this many pending entries (default: alerts.pending_crit).
    #[arg(long, value_name = "N")]
    pub max_pending: Option<u64>,
    /// Critical when the oldest pending entry is older (default: alerts.oldest_pending_crit).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_oldest_pending: Option<Duration>,
    /// Critical above this many dead letters (default: 10 × alerts.dlq_warn).
    #[arg(long, value_name = "N")]
    pub max_dlq: Option<u64>,
    /// Critical above this % of maxmemory (default: alerts.memory_crit_pct).
    #[arg(long, value_name = "PCT")]
    pub max_memory_pct: Option<f64>,
    /// Critical when a group is further behind in time: the age of its
    /// oldest undelivered entry (default: alerts.behind_crit).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_behind: Option<Duration>,
    /// Poll twice this far apart to judge each group's rates and status
    /// (stalled, stopped, stuck: CRITICAL; falling behind: WARNING); `0`:
    /// one poll, no status.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = humantime::parse_duration)]
    pub sample: Duration,
    /// The whole run, from connecting to the last reply, ends within this
    /// (monitoring agents kill a plugin at their own limit, usually 10 s, and
    /// lose its reason): no answer in time is CRITICAL. A `--sample` that
    /// does not fit in half of it is cut to a third of it.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Print every finding as JSON instead.
    #[arg(long)]
    pub json: bool,
    /// Judge every environment of the fleet at once (all profiles of the
    /// file, or the profiles and `fleets:` groups named), in parallel: the
    /// worst decides the exit code; the line names each one past OK.
    #[arg(long, value_name = "NAME", num_args = 0..)]
    pub fleet: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Unknown,
    Warning,
    Critical,
}

impl Status {
    /// The plugin exit code.
    pub fn code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// One measured figure against its thresholds.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub label: String,
    /// `None`: unknown (`reason` says why) — never read as 0.
    pub value: Option<f64>,
    pub warn: f64,
    pub crit: f64,
    pub unit: &'static str,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A word instead of a number (a group's status: `STALLED`); no perfdata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
    /// A figure reported for graphs only (a rate): perfdata without
    /// thresholds, never judged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub informational: bool,
}

impl Finding {
    fn judge(label: String, value: Option<f64>, warn: f64, crit: f64, unit: &'static str) -> Self {
        let status = match value {
            None => Status::Unknown,
            Some(v) if v >= crit => Status::Critical,
            Some(v) if v >= warn => Status::Warning,
            Some(_) => Status::Ok,
        };
        Finding {
            label,
            value,
            warn,
            crit,
            unit,
            status,
            reason: None,
            word: None,
            informational: false,
        }
    }

    /// A rate, for graphs: perfdata only.
    fn info(label: String, value: f64, unit: &'static str) -> Self {
        let mut f = Finding::judge(label, Some(value), f64::INFINITY, f64::INFINITY, unit);
        f.status = Status::Ok;
        f.informational = true;
        f
    }

    /// A judgement in a word (a group's status, an unreachable node), with
    /// its reason; no perfdata.
    fn word(label: String, status: Status, word: String, reason: Option<String>) -> Self {
        let mut f = Finding::judge(label, None, 0.0, 0.0, "");
        f.status = status;
        f.word = Some(word);
        f.reason = reason;
        f
    }

    /// A group's consumer-health status: stalled, stopped or stuck are
    /// critical, falling behind a warning, the rest OK.
    fn status(label: String, status: crate::model::health::Status, reason: Option<String>) -> Self {
        use crate::model::alerts::Level;
        let level = match status.level() {
            Some(Level::Crit) => Status::Critical,
            Some(Level::Warn) => Status::Warning,
            None => Status::Ok,
        };
        Finding::word(label, level, status.word().into(), reason)
    }

    /// A figure that could not be measured, and why.
    fn unknown(label: String, warn: f64, crit: f64, reason: String) -> Self {
        let mut f = Finding::judge(label, None, warn, crit, "");
        f.reason = Some(reason);
        f
    }

    fn shown(&self, v: f64) -> String {
        if self.unit == "s" {
            crate::format::age((v * 1000.0) as u64)
        } else if self.unit == "%" {
            format!("{v:.0}%")
        } else {
            crate::format::count(v as u64)
        }
    }

    fn sentence(&self) -> String {
        if let Some(w) = &self.word {
            return format!(
                "{} {w}{}",
                self.label,
                self.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
        match self.value {
            None => format!(
                "{} unknown{}",
                self.label,
                self.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            Some(v) => {
                let (what, limit) = match self.status {
                    Status::Critical => ("crit", self.crit),
                    _ => ("warn", self.warn),
                };
                format!(
                    "{} {} ({what} {})",
                    self.label,
                    self.shown(v),
                    self.shown(limit)
                )
            }
        }
    }

    fn perfdata(&self) -> Option<String> {
        if self.word.is_some() {
            return None;
        }
        let v = self.value.map(trim).unwrap_or_else(|| "U".into());
        let label = self.label.replace('\'', "\"").replace('=', ":");
        if self.informational {
            return Some(format!("'{label}'={v}{};;;", self.unit));
        }
        Some(format!(
            "'{label}'={v}{};{};{};0",
            self.unit,
            trim(self.warn),
            trim(self.crit)
        ))
    }
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The thresholds: the profile's `alerts:`, a flag overriding the critical
/// one (the warning one then never above it).
fn limits(t: &Thresholds, a: &CheckArgs) -> [(f64, f64); 6] {
    let pair = |warn: f64, crit: f64, flag: Option<f64>| match flag {
        Some(c) => (warn.min(c), c),
        None => (warn, crit),
    };
    [
        pair(
            t.lag_warn as f64,
            t.lag_crit as f64,
            a.max_lag.map(|v| v as f64),
        ),
        pair(
            t.pending_warn as f64,
            t.pending_crit as f64,
            a.max_pending.map(|v| v as f64),
        ),
        pair(
            t.oldest_pending_warn.as_secs_f64(),
            t.oldest_pending_crit.as_secs_f64(),
            a.max_oldest_pending.map(|d| d.as_secs_f64()),
        ),
        pair(
            t.dlq_warn as f64,
            (t.dlq_warn * 10).max(1) as f64,
            a.max_dlq.map(|v| v as f64),
        ),
        pair(t.memory_warn_pct, t.memory_crit_pct, a.max_memory_pct),
        pair(
            t.behind_warn.as_secs_f64(),
            t.behind_crit.as_secs_f64(),
            a.max_behind.map(|d| d.as_secs_f64()),
        ),
    ]
}

/// Every finding of a snapshot.
pub fn findings(s: &Snapshot, t: &Thresholds, a: &CheckArgs) -> Vec<Finding> {
    let [lag, pending, oldest, dlq, mem, behind] = limits(t, a);
    let mut out = Vec::new();
    // A cluster that says it is down: CRITICAL, naming the failing nodes.
    if let Some(c) = &s.cluster
        && c.state != "ok"
    {
        let failing: Vec<String> = c
            .nodes
            .iter()
            .filter(|n| n.failing())
            .map(|n| format!("{} ({} {})", n.address, n.role, n.flags))
            .collect();
        out.push(Finding::word(
            "cluster".into(),
            Status::Critical,
            format!("state {}", c.state),
            Some(format!(
                "slots ok {} of 16384; failing: {}",
                c.slots_ok,
                if failing.is_empty() {
                    "none named".to_string()
                } else {
                    failing.join(", ")
                }
            )),
        ));
    }
    // A cluster primary that did not answer: its slots and streams are out
    // of sight, an outage (CRITICAL), named with what it serves.
    for p in s
        .problems
        .iter()
        .filter(|p| p.section == crate::model::Section::Node)
    {
        out.push(Finding::word(
            format!("node {}", p.node.as_deref().unwrap_or("?")),
            Status::Critical,
            "UNREACHABLE".into(),
            Some(p.message.clone()),
        ));
    }
    if a.stream.is_none()
        && let Some(m) = &s.memory
        && let Some(pct) = m.used_percent_of_max
    {
        out.push(Finding::judge(
            "memory".into(),
            Some(pct),
            mem.0,
            mem.1,
            "%",
        ));
    }
    for st in s
        .streams
        .iter()
        .filter(|st| a.stream.as_ref().is_none_or(|n| *n == st.name))
    {
        // Not read (not permitted, disabled): unknown, with the server's reason.
        let section = crate::model::Section::Stream(st.name.clone());
        if let Some(p) = s.problems.iter().find(|p| p.section == section) {
            out.push(Finding::unknown(
                format!("{} length", st.name),
                0.0,
                0.0,
                p.message.clone(),
            ));
            continue;
        }
        if !st.exists {
            out.push(Finding::unknown(
                format!("{} length", st.name),
                0.0,
                0.0,
                "the stream does not exist".into(),
            ));
            continue;
        }
        for g in st
            .groups
            .iter()
            .filter(|g| a.group.as_ref().is_none_or(|n| *n == g.name))
        {
            let who = format!("{}/{}", st.name, g.name);
            if !g.exists {
                out.push(Finding::unknown(
                    format!("{who} lag"),
                    lag.0,
                    lag.1,
                    "the group does not exist".into(),
                ));
                continue;
            }
            let mut f = Finding::judge(
                format!("{who} lag"),
                g.lag.map(|v| v as f64),
                lag.0,
                lag.1,
                "",
            );
            if g.lag.is_none() {
                f.reason = g
                    .lag_unavailable_reason
                    .clone()
                    .or(Some("Redis did not report it".into()));
            }
            out.push(f);
            out.push(Finding::judge(
                format!("{who} pending"),
                Some(g.pending as f64),
                pending.0,
                pending.1,
                "",
            ));
            out.push(Finding::judge(
                format!("{who} oldest pending"),
                Some(g.oldest_pending_age_ms.unwrap_or(0) as f64 / 1000.0),
                oldest.0,
                oldest.1,
                "s",
            ));
            let mut f = Finding::judge(
                format!("{who} behind"),
                g.behind_ms.map(|ms| ms as f64 / 1000.0),
                behind.0,
                behind.1,
                "s",
            );
            if g.behind_ms.is_none() {
                f.reason = g.behind_reason.clone();
            }
            out.push(f);
            let h = &g.health;
            if let Some(st) = h.status {
                out.push(Finding::status(
                    format!("{who} status"),
                    st,
                    h.status_reason.clone(),
                ));
            }
            for (what, v) in [
                ("produced", h.produced_per_s),
                ("consumed", h.consumed_per_s),
                ("lag change", h.lag_change_per_s),
            ] {
                if let Some(v) = v {
                    out.push(Finding::info(format!("{who} {what}/s"), v, ""));
                }
            }
        }
        if let Some(d) = &st.dlq
            && a.group.is_none()
        {
            out.push(Finding::judge(
                format!("{} dead letters", d.stream),
                Some(d.length as f64),
                dlq.0,
                dlq.1,
                "",
            ));
        }
    }
    out
}

/// The longest text before the perfdata: Nagios keeps the first line's
/// first few hundred characters in its status views.
const LINE_MAX: usize = 300;

/// The status line (with perfdata) and the exit status.
pub fn report(findings: &[Finding], problems: &[String]) -> (Status, String) {
    let (status, text, perf) = summarize(findings, problems);
    (status, line_of(status, &text, perf.as_deref()))
}

/// `STATUS - text | perfdata`; without a perfdata section when there is none
/// to give (nothing judged, or nothing polled).
fn line_of(status: Status, text: &str, perf: Option<&[String]>) -> String {
    match perf {
        None => format!("{} - {text}", status.word()),
        Some(p) => format!("{} - {text} | {}", status.word(), p.join(" ")),
    }
}

/// The worst status, the text naming the findings (without the status
/// word), and the perfdata items.
fn summarize(findings: &[Finding], problems: &[String]) -> (Status, String, Option<Vec<String>>) {
    let mut worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Ok);
    if !problems.is_empty() {
        worst = worst.max(Status::Unknown);
    }
    if findings.is_empty() && problems.is_empty() {
        return (
            Status::Unknown,
            "nothing to check: no stream or group matched".into(),
            None,
        );
    }
    let mut bad: Vec<&Finding> = findings.iter().filter(|f| f.status == worst).collect();
    bad.sort_by(|a, b| {
        let over = |f: &Finding| f.value.map(|v| v / f.crit.max(1e-9)).unwrap_or(0.0);
        over(b).total_cmp(&over(a))
    });
    let head = match (worst, bad.first(), problems.first()) {
        (Status::Ok, _, _) => format!("{} figures within their thresholds", findings.len()),
        (Status::Unknown, None, Some(p)) => p.clone(),
        (_, Some(f), _) => f.sentence(),
        (_, None, _) => String::new(),
    };
    // Every other finding that is not OK (worst first), and the sections
    // not read, named, as long as the text stays within what monitoring
    // UIs keep (LINE_MAX characters); past that, how many more.
    let first = bad.first().copied();
    let mut others: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status != Status::Ok && !first.is_some_and(|b| std::ptr::eq(*f, b)))
        .collect();
    others.sort_by_key(|f| std::cmp::Reverse(f.status));
    let mut rest: Vec<String> = others
        .iter()
        .map(|f| format!("{} {}", f.status.word(), f.sentence()))
        .collect();
    rest.extend(
        problems
            .iter()
            .skip(usize::from(matches!(
                (worst, bad.first()),
                (Status::Unknown, None)
            )))
            .cloned(),
    );
    let mut text = crate::sanitize::text(&head);
    let mut left = rest.len();
    for r in &rest {
        let r = crate::sanitize::text(r);
        let tail = if left > 1 {
            format!("; {} more", left - 1).len()
        } else {
            0
        };
        if text.chars().count() + 2 + r.chars().count() + tail > LINE_MAX {
            break;
        }
        text.push_str("; ");
        text.push_str(&r);
        left -= 1;
    }
    if left > 0 {
        text.push_str(&format!("; {left} more"));
    }
    let perf: Vec<String> = findings.iter().filter_map(Finding::perfdata).collect();
    (worst, text, Some(perf))
}

/// Run the check. A deployment that cannot be reached or does not answer
/// (within `--timeout`) is CRITICAL (exit 2), as `check_tcp` and
/// `check_redis` say it, so a total outage never ranks below a partial one;
/// UNKNOWN (exit 3) is for what redeye cannot judge: a bad profile or
/// arguments, a login or permission refused, nothing to judge by.
/// `profile`: the selected profile, or why there is none.
pub async fn run(
    profile: crate::error::Result<crate::config::Profile>,
    a: &CheckArgs,
    started: std::time::Instant,
) -> i32 {
    let v = judge(profile, a, started).await;
    v.print(a.json);
    v.status.code()
}

/// What a check found: its status, the text naming why (without the
/// status word), its perfdata items (none when nothing was polled), and
/// the findings and problems behind it.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub summary: String,
    pub perf: Option<Vec<String>>,
    pub findings: Vec<Finding>,
    pub problems: Vec<String>,
}

impl Verdict {
    fn only(status: Status, why: &str) -> Verdict {
        Verdict {
            status,
            summary: crate::sanitize::text(why),
            perf: None,
            findings: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The monitoring plugin's line: `STATUS - summary | perfdata`.
    pub fn line(&self) -> String {
        line_of(self.status, &self.summary, self.perf.as_deref())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status,
            "code": self.status.code(),
            "summary": self.summary,
            "findings": self.findings,
            "problems": self.problems,
        })
    }

    fn print(&self, json: bool) {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json()).expect("findings serialise")
            );
        } else {
            println!("{}", self.line());
        }
    }
}

/// Judge one profile (see `run`), printing nothing.
pub async fn judge(
    profile: crate::error::Result<crate::config::Profile>,
    a: &CheckArgs,
    started: std::time::Instant,
) -> Verdict {
    let profile = match profile {
        Ok(p) => p,
        Err(e) => return Verdict::only(Status::Unknown, &e.to_string()),
    };
    // What is left of --timeout after loading the profile (a
    // password_command); two polls must fit in it.
    let left = a.timeout.saturating_sub(started.elapsed());
    if left.is_zero() {
        return Verdict::only(
            Status::Unknown,
            &format!(
                "loading the profile took longer than --timeout {} (its password_command?); nothing was polled",
                humantime::format_duration(a.timeout)
            ),
        );
    }
    let sample = if a.sample * 2 >= left {
        left / 3
    } else {
        a.sample
    };
    let polled = tokio::time::timeout(left, async {
        let dep = crate::connect::connect(&profile).await?;
        let mut req = crate::collect::PollRequest::snapshot(&profile);
        req.advisor = false;
        crate::collect::sampled(&profile, &dep, &mut req, sample).await
    })
    .await;
    let snap = match polled {
        Err(_) => {
            return Verdict::only(
                Status::Critical,
                &format!(
                    "no answer from {} within --timeout {}: the server is stalled, overloaded or unreachable",
                    profile.target.describe(),
                    humantime::format_duration(a.timeout)
                ),
            );
        }
        // Refused (login, permission) or misconfigured: redeye cannot judge.
        Ok(Err(e @ (Failure::Refused(_) | Failure::Config(_)))) => {
            return Verdict::only(Status::Unknown, &e.to_string());
        }
        // Unreachable, or it stopped answering: an outage.
        Ok(Err(e)) => return Verdict::only(Status::Critical, &e.to_string()),
        Ok(Ok(s)) => s,
    };
    let findings = findings(&snap, &profile.alerts, a);
    // A section that could not be read (not permitted, disabled) is unknown.
    let problems: Vec<String> = snap
        .problems
        .iter()
        .filter(|p| {
            use crate::model::Section;
            matches!(
                p.section,
                Section::Info | Section::Stream(_) | Section::Group(..)
            )
        })
        .map(|p| format!("{}: {}", p.place(), p.message))
        .collect();
    let (status, summary, perf) = summarize(&findings, &problems);
    Verdict {
        status,
        summary,
        perf,
        findings,
        problems,
    }
}

/// The fleet's verdict from each environment's (in order): the worst
/// status decides (CRITICAL > WARNING > UNKNOWN > OK); the line names each
/// environment past OK with its own summary, worst first, within
/// `LINE_MAX`; the perfdata of each environment, its labels prefixed with
/// the profile name.
pub fn fleet_report(each: &[(String, Verdict)]) -> Verdict {
    let worst = each
        .iter()
        .map(|(_, v)| v.status)
        .max()
        .unwrap_or(Status::Unknown);
    if each.is_empty() {
        return Verdict::only(Status::Unknown, "the fleet has no environment");
    }
    let mut bad: Vec<&(String, Verdict)> = each
        .iter()
        .filter(|(_, v)| v.status != Status::Ok)
        .collect();
    bad.sort_by_key(|(_, v)| std::cmp::Reverse(v.status));
    let ok = each.len() - bad.len();
    let mut text = if bad.is_empty() {
        format!("{} environments OK", each.len())
    } else {
        String::new()
    };
    // Each environment past OK is named with its status; its own summary
    // gets an equal share of LINE_MAX (cut with …), so one long reason
    // cannot hide the others.
    let n = bad.len().max(1);
    let share = (LINE_MAX.saturating_sub(2 * (n - 1)) / n).max(24);
    let mut left = bad.len();
    for (name, v) in &bad {
        let head = format!("{name} {}", v.status.word());
        let room = share.saturating_sub(head.chars().count() + 3);
        let summary = crate::format::cut(&v.summary, room.max(8));
        let part = format!("{head} ({summary})");
        let sep = if text.is_empty() { "" } else { "; " };
        let tail = if left > 1 {
            format!("; {} more environments", left - 1).len()
        } else {
            0
        };
        if !text.is_empty()
            && text.chars().count() + sep.len() + part.chars().count() + tail > LINE_MAX
        {
            break;
        }
        text.push_str(sep);
        text.push_str(&part);
        left -= 1;
    }
    if left > 0 {
        text.push_str(&format!("; {left} more environments"));
    }
    if !bad.is_empty() && ok > 0 {
        text.push_str(&format!("; {ok} OK"));
    }
    // Each environment's perfdata, its labels (always quoted) prefixed
    // with the profile.
    let perf: Vec<String> = each
        .iter()
        .flat_map(|(name, v)| {
            v.perf
                .iter()
                .flatten()
                .map(move |p| match p.strip_prefix('\'') {
                    Some(rest) => format!("'{name} {rest}"),
                    None => p.clone(),
                })
        })
        .collect();
    Verdict {
        status: worst,
        summary: text,
        perf: Some(perf),
        findings: Vec::new(),
        problems: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each consumer-health status gives its exit code: stalled, stopped and
    /// stuck are CRITICAL (2), falling behind WARNING (1), the rest OK (0);
    /// the line names the group, the status and its reason.
    #[test]
    fn each_status_has_its_exit_code() {
        use crate::model::health::Status as H;
        let args = <CheckArgs as clap::FromArgMatches>::from_arg_matches(
            &<CheckArgs as clap::Args>::augment_args(clap::Command::new("check"))
                .get_matches_from(["check"]),
        )
        .unwrap();
        let t = Thresholds::defaults(Duration::from_secs(60));
        for (status, code) in [
            (H::Ok, 0),
            (H::Idle, 0),
            (H::CatchingUp, 0),
            (H::Unknown, 0),
            (H::FallingBehind, 1),
            (H::Stalled, 2),
            (H::Stopped, 2),
            (H::Stuck, 2),
        ] {
            let mut snap = crate::ui::sample::snapshot(0, 0);
            snap.memory = None;
            snap.streams.truncate(1);
            snap.streams[0].dlq = None;
            let g = &mut snap.streams[0].groups[0];
            (g.lag, g.pending, g.oldest_pending_age_ms, g.behind_ms) =
                (Some(1), 0, None, Some(1_000));
            g.health.status = Some(status);
            g.health.status_reason = Some("the rule".into());
            let (st, line) = report(&findings(&snap, &t, &args), &[]);
            assert_eq!(st.code(), code, "{status:?}: {line}");
            if code > 0 {
                assert!(
                    line.contains(&format!(
                        "webhook_events/webhook_workers status {} (the rule)",
                        status.word()
                    )),
                    "{line}"
                );
            }
        }
    }

    /// Every finding past the first is named, until the text reaches
    /// LINE_MAX; then how many more.
    #[test]
    fn the_line_names_the_other_findings_within_300_characters() {
        let f = |i: usize, lag: f64| {
            Finding::judge(
                format!("stream{i}/group lag"),
                Some(lag),
                1000.0,
                10000.0,
                "",
            )
        };
        let (_, line) = report(&[f(1, 20000.0), f(2, 1500.0), f(3, 1200.0)], &[]);
        let text = line.split(" | ").next().unwrap();
        assert!(text.starts_with("CRITICAL - stream1/group lag"), "{line}");
        assert!(
            text.contains("; WARNING stream2/group lag")
                && text.contains("; WARNING stream3/group lag"),
            "{line}"
        );
        assert!(!text.contains("more"), "{line}");
        let many: Vec<Finding> = (0..40).map(|i| f(i, 2000.0 + i as f64)).collect();
        let (_, line) = report(&many, &[]);
        let text = line.split(" | ").next().unwrap();
        assert!(
            text.chars().count() <= 300 + "WARNING - ".len(),
            "{} chars: {text}",
            text.len()
        );
        assert!(text.ends_with(" more"), "{text}");
    }

    #[test]
    fn perfdata_and_null_lag() {
        let mut f = Finding::judge(
            "orders/billing lag".into(),
            Some(500.0),
            1000.0,
            10000.0,
            "",
        );
        assert_eq!(
            f.perfdata().unwrap(),
            "'orders/billing lag'=500;1000;10000;0"
        );
        f = Finding::judge("orders/billing lag".into(), None, 1000.0, 10000.0, "");
        assert_eq!(f.status, Status::Unknown);
        assert_eq!(f.perfdata().unwrap(), "'orders/billing lag'=U;1000;10000;0");
        let old = Finding::judge(
            "orders/billing oldest pending".into(),
            Some(840.0),
            60.0,
            600.0,
            "s",
        );
        let (s, line) = report(&[old, f], &[]);
        assert_eq!(s, Status::Critical);
        assert!(
            line.starts_with(
                "CRITICAL - orders/billing oldest pending 14m 0s (crit 10m 0s); UNKNOWN orders/billing lag"
            ),
            "{line}"
        );
    }
}
