//! Alert levels from a snapshot, its rates and the profile's thresholds.

use super::Snapshot;
use super::history::Rates;
use crate::format::count;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Warn,
    Crit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Alert {
    pub level: Level,
    /// What it is about: "memory", "stream webhook_events/webhook_workers", ...
    pub subject: String,
    pub text: String,
}

/// Thresholds; every one can be overridden per profile under `alerts:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub memory_warn_pct: f64,
    pub memory_crit_pct: f64,
    pub fragmentation_warn: f64,
    pub fragmentation_crit: f64,
    /// Fragmentation is only judged above this RSS (tiny instances always look fragmented).
    pub fragmentation_min_rss: u64,
    pub evictions_warn_per_s: f64,
    pub lag_warn: u64,
    pub lag_crit: u64,
    pub pending_warn: u64,
    pub pending_crit: u64,
    pub oldest_pending_warn: Duration,
    pub oldest_pending_crit: Duration,
    pub dlq_warn: u64,
    pub slowlog_warn_new: u64,
    /// Warn when RDB snapshots are configured, there are unsaved changes,
    /// and the last save is older than this.
    pub last_save_warn: Duration,
    /// A group's time behind (the age of its oldest undelivered entry).
    pub behind_warn: Duration,
    pub behind_crit: Duration,
}

impl Thresholds {
    /// Defaults; the oldest-pending thresholds follow `claim_min_idle`.
    pub fn defaults(claim_min_idle: Duration) -> Self {
        Thresholds {
            memory_warn_pct: 80.0,
            memory_crit_pct: 95.0,
            fragmentation_warn: 1.5,
            fragmentation_crit: 3.0,
            fragmentation_min_rss: 64 * 1024 * 1024,
            evictions_warn_per_s: 0.0,
            lag_warn: 1_000,
            lag_crit: 10_000,
            pending_warn: 100,
            pending_crit: 1_000,
            oldest_pending_warn: claim_min_idle,
            oldest_pending_crit: claim_min_idle * 10,
            dlq_warn: 1,
            slowlog_warn_new: 1,
            last_save_warn: Duration::from_secs(2 * 3600),
            behind_warn: Duration::from_secs(5 * 60),
            behind_crit: Duration::from_secs(30 * 60),
        }
    }
}

fn level(v: f64, warn: f64, crit: f64) -> Option<Level> {
    if v >= crit {
        Some(Level::Crit)
    } else if v >= warn {
        Some(Level::Warn)
    } else {
        None
    }
}

/// Active alerts, critical first.
pub fn evaluate(s: &Snapshot, r: &Rates, t: &Thresholds) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut add = |level: Level, subject: String, text: String| {
        out.push(Alert {
            level,
            subject,
            text,
        })
    };
    if let Some(m) = &s.memory {
        if let Some(pct) = m.used_percent_of_max
            && let Some(l) = level(pct, t.memory_warn_pct, t.memory_crit_pct)
        {
            add(
                l,
                "memory".into(),
                format!("memory at {pct:.0}% of maxmemory"),
            );
        }
        if m.rss_bytes >= t.fragmentation_min_rss
            && let Some(l) = level(
                m.fragmentation_ratio,
                t.fragmentation_warn,
                t.fragmentation_crit,
            )
        {
            add(
                l,
                "memory".into(),
                format!("fragmentation ratio {:.2}", m.fragmentation_ratio),
            );
        }
    }
    if r.evicted_per_s > t.evictions_warn_per_s {
        add(
            Level::Warn,
            "memory".into(),
            format!("evicting {:.0} keys/s", r.evicted_per_s),
        );
    }
    if r.rejected_new > 0 {
        add(
            Level::Crit,
            "clients".into(),
            format!(
                "{} connections rejected since last poll",
                count(r.rejected_new)
            ),
        );
    }
    // A replica that lost its master serves stale data.
    if let Some(sv) = &s.server
        && sv.master_link_status.as_deref() == Some("down")
    {
        add(
            Level::Crit,
            "replication".into(),
            "this replica's link to its master is down (master_link_status:down): its data is stale".into(),
        );
    }
    if let Some(p) = &s.persistence {
        if p.rdb_last_bgsave_status == "err" {
            add(
                Level::Crit,
                "persistence".into(),
                "the last BGSAVE failed (rdb_last_bgsave_status:err): no fresh RDB snapshot; check the disk and the server log".into(),
            );
        }
        if p.aof_enabled && p.aof_last_write_status == "err" {
            add(
                Level::Crit,
                "persistence".into(),
                "writing the AOF failed (aof_last_write_status:err): writes may be refused; check the disk".into(),
            );
        }
        if p.aof_last_bgrewrite_status == "err" {
            add(
                Level::Warn,
                "persistence".into(),
                "the last AOF rewrite failed (aof_last_bgrewrite_status:err)".into(),
            );
        }
        let age_s = (s.taken_at_ms / 1000).saturating_sub(p.rdb_last_save_time);
        if p.save.as_deref() != Some("")
            && p.rdb_changes_since_last_save > 0
            && p.rdb_last_save_time > 0
            && age_s > t.last_save_warn.as_secs()
        {
            add(
                Level::Warn,
                "persistence".into(),
                format!(
                    "no RDB save for {} ({} changes unsaved; alerts.last_save_warn {})",
                    humantime::format_duration(Duration::from_secs(age_s)),
                    p.rdb_changes_since_last_save,
                    humantime::format_duration(t.last_save_warn)
                ),
            );
        }
    }
    // Sentinel: none of the sentinels answers. The last known master is
    // still polled, but a failover would not be followed.
    let sentinels = &s.deployment.sentinels;
    if !sentinels.is_empty() && sentinels.iter().all(|v| !v.reachable) {
        add(
            Level::Crit,
            "sentinel".into(),
            format!(
                "no sentinel reachable ({} configured): failover following paused; polling the last known master {}",
                sentinels.len(),
                s.deployment.master.as_deref().unwrap_or("-")
            ),
        );
    }
    if let Some(c) = &s.cluster {
        if c.state != "ok" {
            add(
                Level::Crit,
                "cluster".into(),
                format!(
                    "cluster_state {} · slots ok {} of 16384, pfail {}, fail {}",
                    c.state, c.slots_ok, c.slots_pfail, c.slots_fail
                ),
            );
        }
        for n in c.nodes.iter().filter(|n| n.failing()) {
            add(
                Level::Crit,
                format!("node {}", n.address),
                format!("{} {} ({})", n.role, n.link, n.flags),
            );
        }
    }
    for st in &s.streams {
        for g in &st.groups {
            if !g.exists {
                continue;
            }
            let subject = format!("{}/{}", st.name, g.name);
            if let Some(lag) = g.lag
                && let Some(l) = level(lag as f64, t.lag_warn as f64, t.lag_crit as f64)
            {
                add(l, subject.clone(), format!("lag {}", count(lag)));
            }
            if let Some(l) = level(
                g.pending as f64,
                t.pending_warn as f64,
                t.pending_crit as f64,
            ) {
                add(l, subject.clone(), format!("{} pending", count(g.pending)));
            }
            if let Some(b) = g.behind_ms
                && let Some(l) = level(
                    b as f64,
                    t.behind_warn.as_millis() as f64,
                    t.behind_crit.as_millis() as f64,
                )
            {
                add(
                    l,
                    subject.clone(),
                    format!("behind {}", crate::format::age(b)),
                );
            }
            if let Some(st) = g.health.status
                && let Some(l) = st.level()
            {
                let why = g.health.status_reason.as_deref().unwrap_or("");
                add(l, subject.clone(), format!("{st}: {why}"));
            }
            if let Some(age) = g.oldest_pending_age_ms
                && let Some(l) = level(
                    age as f64,
                    t.oldest_pending_warn.as_millis() as f64,
                    t.oldest_pending_crit.as_millis() as f64,
                )
            {
                add(
                    l,
                    subject,
                    format!("oldest pending entry {} old", crate::format::age(age)),
                );
            }
        }
        if let Some(d) = &st.dlq
            && d.length >= t.dlq_warn
        {
            let growth = r.dlq_growth.get(&d.stream).copied().unwrap_or(0);
            if growth > 0 {
                add(
                    Level::Crit,
                    format!("dlq {}", d.stream),
                    format!(
                        "{} dead letters, +{} since last poll",
                        count(d.length),
                        count(growth as u64)
                    ),
                );
            } else {
                add(
                    Level::Warn,
                    format!("dlq {}", d.stream),
                    format!("{} dead letters", count(d.length)),
                );
            }
        }
    }
    if r.slowlog_new >= t.slowlog_warn_new && t.slowlog_warn_new > 0 {
        add(
            Level::Warn,
            "slowlog".into(),
            format!("{} new slow commands", count(r.slowlog_new)),
        );
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.level));
    out
}

/// One alert from when it was raised to when it cleared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogEntry {
    pub level: Level,
    pub subject: String,
    /// The text when it was raised, and the latest one.
    pub first: String,
    pub last: String,
    pub raised_ms: u64,
    /// `None` while it is still active.
    pub cleared_ms: Option<u64>,
    /// The text at its worst figure (the highest lag, the most dead
    /// letters, the longest behind); empty: as `last`.
    pub peak: String,
    /// Every change of level after it was raised (WARN → CRIT and back),
    /// with its time.
    pub steps: Vec<Step>,
}

/// An alert's level changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    pub at_ms: u64,
    pub level: Level,
}

impl LogEntry {
    /// The level it has now (its last step, else the one it was raised at).
    pub fn level_now(&self) -> Level {
        self.steps.last().map_or(self.raised_level(), |s| s.level)
    }

    /// The level it was raised at.
    pub fn raised_level(&self) -> Level {
        match self.steps.first() {
            // The first step left the raised level.
            Some(s) if s.level == Level::Crit => Level::Warn,
            Some(_) => Level::Crit,
            None => self.level,
        }
    }

    /// The text at its peak.
    pub fn peak(&self) -> &str {
        if self.peak.is_empty() {
            &self.last
        } else {
            &self.peak
        }
    }
}

/// The figure an alert's text states: the first number (`lag 1,922`,
/// `47 dead letters`, `memory at 81%`), or a duration (`behind 3m 28s`,
/// `oldest pending entry 12m old`) in seconds. `None`: no figure.
pub fn figure(text: &str) -> Option<f64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let w = words[i];
    let unit = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !unit.is_empty() && unit.chars().all(|c| c.is_ascii_alphabetic()) {
        // A duration: this word and the duration words after it.
        let text: Vec<&str> = words[i..]
            .iter()
            .take_while(|w| {
                w.starts_with(|c: char| c.is_ascii_digit())
                    && w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                        .chars()
                        .all(|c| c.is_ascii_alphabetic())
            })
            .copied()
            .collect();
        return humantime::parse_duration(&text.join(" "))
            .ok()
            .map(|d| d.as_secs_f64());
    }
    let n: String = w
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
        .filter(|c| *c != ',')
        .collect();
    n.parse().ok()
}

/// Every alert raised and cleared, newest first, with its times: "when did
/// lag start rising?" has an answer. Keeps every active alert and the
/// newest [`AlertLog::KEEP`] cleared ones (an active alert dropped from the
/// log would be raised again by the next poll: with 10,000 streams in
/// alarm, every poll).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertLog {
    pub entries: Vec<LogEntry>,
}

/// What identifies an alert across polls: its subject and its text without
/// the figures (`lag 1500` and `lag 1600` are the same alert), hashed
/// without building strings (20,000 alerts a poll at 10,000 streams).
fn kind(a: &Alert) -> u64 {
    kind_of(&a.subject, &a.text)
}

fn kind_of(subject: &str, text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    subject.hash(&mut h);
    shape(text, |w| w.hash(&mut h));
    h.finish()
}

/// The words of an alert's text that say what it is about: up to the first
/// `,` or `:` (`3 dead letters, +2 since last poll` and `3 dead letters`
/// are one alert; `STALLED: …` is the status), without the words holding a
/// figure (`lag 1500` and `lag 1600`, `behind 59s` and `behind 1m 2s`).
fn shape(text: &str, mut each: impl FnMut(&str)) {
    let head = text.split([',', ':']).next().unwrap_or(text);
    for w in head
        .split_whitespace()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
    {
        each(w);
    }
}

/// Alert levels that change only after holding for [`Hysteresis::HOLD`]
/// polls in a row (raised, cleared, or moved between WARN and CRIT), so a
/// figure sitting on a threshold (a lag around `lag_warn`, a DLQ that grows
/// now and then) does not flap. One for every alert the dashboard shows.
#[derive(Debug, Clone, Default)]
pub struct Hysteresis {
    state: std::collections::HashMap<u64, Held>,
    /// Polls seen: the first [`Hysteresis::HOLD`] show their levels as they
    /// are (a dashboard opened on an incident shows it at once).
    polls: u32,
}

#[derive(Debug, Clone)]
struct Held {
    /// The level shown, and the latest alert of this kind.
    shown: Option<Level>,
    alert: Alert,
    /// A run of polls away from the shown level: where it goes (the
    /// level it would show) and how many polls it has lasted.
    run: Option<(Option<Level>, u32)>,
}

impl Hysteresis {
    pub const HOLD: u32 = 3;

    /// The alerts to show, given this poll's.
    pub fn apply(&mut self, alerts: Vec<Alert>) -> Vec<Alert> {
        let warming = self.polls < Self::HOLD;
        self.polls = self.polls.saturating_add(1);
        // This poll's alerts by kind (the worse level of a kind), in the
        // order they came: the output keeps it, so the screen does not
        // shuffle alerts of one level from poll to poll.
        let mut order: Vec<u64> = Vec::new();
        let mut now: std::collections::HashMap<u64, Alert> = std::collections::HashMap::new();
        for a in alerts {
            let k = kind(&a);
            match now.get(&k) {
                Some(b) if b.level >= a.level => {}
                Some(_) => {
                    now.insert(k, a);
                }
                None => {
                    order.push(k);
                    now.insert(k, a);
                }
            }
        }
        for (k, held) in &mut self.state {
            let level = now.get(k).map(|a| a.level);
            if warming {
                held.shown = level;
                held.run = None;
            } else {
                held.step(level);
            }
        }
        for (k, a) in now.iter() {
            match self.state.get_mut(k) {
                Some(h) => h.alert.clone_from(a),
                None => {
                    let mut h = Held {
                        shown: None,
                        alert: a.clone(),
                        run: None,
                    };
                    if warming {
                        h.shown = Some(a.level);
                    } else {
                        h.step(Some(a.level));
                    }
                    self.state.insert(*k, h);
                }
            }
        }
        self.state
            .retain(|_, h| h.shown.is_some() || h.run.is_some());
        // Shown: this poll's in their order, then those held though gone
        // this poll (by subject and text); critical first, stably.
        let mut gone: Vec<&Held> = self
            .state
            .iter()
            .filter(|(k, _)| !now.contains_key(k))
            .map(|(_, h)| h)
            .collect();
        gone.sort_by(|a, b| {
            (&a.alert.subject, &a.alert.text).cmp(&(&b.alert.subject, &b.alert.text))
        });
        let mut out: Vec<Alert> = order
            .iter()
            .filter_map(|k| self.state.get(k))
            .chain(gone)
            .filter_map(|h| {
                let mut a = h.alert.clone();
                a.level = h.shown?;
                Some(a)
            })
            .collect();
        out.sort_by_key(|a| std::cmp::Reverse(a.level));
        out
    }
}

impl Held {
    /// One poll at `level` (`None`: absent). A run of polls all above the
    /// shown level raises it, after HOLD polls, to the lowest of them; a
    /// run all below lowers it to the highest of them; a poll at the shown
    /// level ends the run.
    fn step(&mut self, level: Option<Level>) {
        if level == self.shown {
            self.run = None;
            return;
        }
        let up = level > self.shown;
        self.run = match self.run {
            Some((to, polls)) if (to > self.shown) == up => {
                let to = if up { to.min(level) } else { to.max(level) };
                Some((to, polls + 1))
            }
            _ => Some((level, 1)),
        };
        if let Some((to, polls)) = self.run
            && polls >= Hysteresis::HOLD
        {
            self.shown = to;
            self.run = None;
        }
    }
}

impl AlertLog {
    pub const KEEP: usize = 500;

    /// Compare the alerts of a poll at `at_ms` with the active ones: new
    /// ones are raised, gone ones cleared, the rest get their latest text
    /// (and the worse level if it rose).
    pub fn update(&mut self, at_ms: u64, alerts: &[Alert]) {
        // One pass each way, by kind: thousands of alerts stay cheap.
        let mut now: std::collections::HashMap<u64, &Alert> =
            alerts.iter().map(|a| (kind(a), a)).collect();
        for e in self.entries.iter_mut().filter(|e| e.cleared_ms.is_none()) {
            match now.remove(&kind_of(&e.subject, &e.last)) {
                Some(a) => {
                    if e.last != a.text {
                        if figure(&a.text) > figure(e.peak()) {
                            e.peak.clone_from(&a.text);
                        }
                        e.last.clone_from(&a.text);
                    }
                    if a.level != e.level_now() {
                        e.steps.push(Step {
                            at_ms,
                            level: a.level,
                        });
                    }
                    e.level = e.level.max(a.level);
                }
                None => e.cleared_ms = Some(at_ms),
            }
        }
        // What is left is new, in the order the alerts came.
        let mut raised: Vec<&Alert> = alerts
            .iter()
            .filter(|a| now.contains_key(&kind(a)))
            .collect();
        raised.dedup_by_key(|a| kind(a));
        // The new ones in front, in one pass (not one insert at the front each).
        let mut entries: Vec<LogEntry> = raised
            .into_iter()
            .map(|a| LogEntry {
                level: a.level,
                subject: a.subject.clone(),
                first: a.text.clone(),
                last: a.text.clone(),
                raised_ms: at_ms,
                cleared_ms: None,
                peak: String::new(),
                steps: Vec::new(),
            })
            .collect();
        entries.append(&mut self.entries);
        let mut cleared = 0;
        entries.retain(|e| {
            if e.cleared_ms.is_none() {
                return true;
            }
            cleared += 1;
            cleared <= Self::KEEP
        });
        self.entries = entries;
    }
}

#[cfg(test)]
mod log_tests {
    use super::*;

    /// A DLQ growing by one entry every third poll for 60 polls, through
    /// `evaluate`, the hysteresis and the log as the dashboard runs them:
    /// at most two transitions are logged, and the log shows the peak.
    #[test]
    fn a_dlq_growing_every_third_poll_logs_at_most_two_transitions_and_its_peak() {
        use crate::model::{DlqInfo, Name, StreamInfo};
        let t = Thresholds::defaults(Duration::from_secs(60));
        let mut h = Hysteresis::default();
        let mut log = AlertLog::default();
        let dlq = Name::from("orders:dlq");
        let mut length = 40u64;
        for poll in 0..60u64 {
            let grew = poll % 3 == 0;
            length += u64::from(grew);
            let snap = Snapshot {
                streams: vec![StreamInfo {
                    name: Name::from("orders"),
                    exists: true,
                    dlq: Some(DlqInfo {
                        stream: dlq.clone(),
                        length,
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let mut rates = crate::model::history::Rates::default();
            rates.dlq_growth.insert(dlq.clone(), i64::from(grew));
            let shown = h.apply(evaluate(&snap, &rates, &t));
            log.update(poll * 1000, &shown);
        }
        assert_eq!(log.entries.len(), 1, "{:?}", log.entries);
        let e = &log.entries[0];
        let transitions = 1 + e.steps.len() + usize::from(e.cleared_ms.is_some());
        assert!(transitions <= 2, "{e:?}");
        assert_eq!(figure(e.peak()), Some(60.0), "{e:?}");
        assert!(e.peak().starts_with("60 dead letters"), "{e:?}");
    }

    #[test]
    fn figures_are_read_from_numbers_and_durations() {
        assert_eq!(figure("lag 1,922"), Some(1922.0));
        assert_eq!(figure("47 dead letters, +2 since last poll"), Some(47.0));
        assert_eq!(figure("memory at 81% of maxmemory"), Some(81.0));
        assert_eq!(figure("behind 3m 28s"), Some(208.0));
        assert_eq!(figure("oldest pending entry 1h 2m old"), Some(3720.0));
        assert_eq!(figure("STALLED: nothing acked"), None);
    }

    /// A WARN that turns CRIT and back is logged as steps, with times.
    #[test]
    fn escalations_are_logged_with_their_times() {
        let mut log = AlertLog::default();
        log.update(1, &[at(Level::Warn, "s/g", "lag 1,500")]);
        log.update(2, &[at(Level::Crit, "s/g", "lag 12,000")]);
        log.update(3, &[at(Level::Warn, "s/g", "lag 2,000")]);
        let e = &log.entries[0];
        assert_eq!(e.raised_level(), Level::Warn);
        assert_eq!(
            e.steps,
            vec![
                Step {
                    at_ms: 2,
                    level: Level::Crit
                },
                Step {
                    at_ms: 3,
                    level: Level::Warn
                }
            ]
        );
        assert_eq!(e.level_now(), Level::Warn);
        assert_eq!(
            (e.first.as_str(), e.peak(), e.last.as_str()),
            ("lag 1,500", "lag 12,000", "lag 2,000")
        );
    }

    fn at(level: Level, subject: &str, text: &str) -> Alert {
        Alert {
            level,
            subject: subject.into(),
            text: text.into(),
        }
    }

    /// A DLQ growing every other poll and a lag around its threshold: the
    /// levels hold instead of flapping, and change once the new one held.
    #[test]
    fn levels_on_a_threshold_do_not_flap() {
        let mut h = Hysteresis::default();
        // The first polls show what is (a dashboard opened on an incident).
        assert_eq!(
            h.apply(vec![at(Level::Warn, "m", "memory at 81% of maxmemory")])
                .len(),
            1
        );
        for _ in 1..Hysteresis::HOLD {
            h.apply(vec![]);
        }
        let mut seen = Vec::new();
        for poll in 0..12u32 {
            let dlq = if poll % 2 == 0 {
                at(Level::Crit, "dlq d", "3 dead letters, +1 since last poll")
            } else {
                at(Level::Warn, "dlq d", "3 dead letters")
            };
            let mut alerts = vec![dlq];
            if poll % 4 != 3 {
                alerts.push(at(Level::Warn, "s/g", &format!("lag {}", 1000 + poll)));
            }
            let shown = h.apply(alerts);
            seen.push(
                shown
                    .iter()
                    .map(|a| format!("{}:{:?}", a.subject, a.level))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        // Nothing for the first HOLD-1 polls, then one stable answer.
        assert!(!seen[0].contains("dlq"), "{seen:?}");
        assert!(seen[3..].windows(2).all(|w| w[0] == w[1]), "{seen:?}");
        assert!(
            seen[11].contains("dlq d:Warn") && seen[11].contains("s/g:Warn"),
            "{seen:?}"
        );
        // Held CRIT for three polls: it rises, and clears three polls after it ends.
        for _ in 0..3 {
            h.apply(vec![at(
                Level::Crit,
                "dlq d",
                "9 dead letters, +3 since last poll",
            )]);
        }
        assert_eq!(h.apply(vec![])[0].level, Level::Crit);
        h.apply(vec![]);
        assert!(h.apply(vec![]).is_empty());
    }

    fn a(subject: &str, text: &str) -> Alert {
        Alert {
            level: Level::Warn,
            subject: subject.into(),
            text: text.into(),
        }
    }

    /// 10,000 streams in alarm: each alert is raised once and stays one
    /// entry (the log once kept 500, so the other 9,500 were raised again on
    /// every poll, each inserted at the front: seconds of a frozen UI).
    #[test]
    fn ten_thousand_active_alerts_stay_logged_once() {
        let alerts: Vec<Alert> = (0..10_000)
            .map(|i| a(&format!("s{i}/g"), &format!("lag {}", 1000 + i)))
            .collect();
        let mut log = AlertLog::default();
        for poll in 0..3u64 {
            log.update(1_000 * (poll + 1), &alerts);
        }
        assert_eq!(log.entries.len(), 10_000);
        assert!(
            log.entries
                .iter()
                .all(|e| e.raised_ms == 1_000 && e.cleared_ms.is_none())
        );
        // Cleared ones are kept up to KEEP, the active ones all.
        log.update(4_000, &alerts[..100]);
        assert_eq!(log.entries.len(), 100 + AlertLog::KEEP);
        assert_eq!(
            log.entries
                .iter()
                .filter(|e| e.cleared_ms.is_none())
                .count(),
            100
        );
    }

    #[test]
    fn alerts_are_raised_followed_and_cleared() {
        let mut log = AlertLog::default();
        log.update(1_000, &[a("orders/billing", "lag 1500")]);
        log.update(
            2_000,
            &[
                a("orders/billing", "lag 1600"),
                a("memory", "memory at 81% of maxmemory"),
            ],
        );
        assert_eq!(log.entries.len(), 2);
        let lag = log
            .entries
            .iter()
            .find(|e| e.subject == "orders/billing")
            .unwrap();
        assert_eq!(
            (lag.raised_ms, lag.first.as_str(), lag.last.as_str()),
            (1_000, "lag 1500", "lag 1600")
        );
        log.update(3_000, &[a("memory", "memory at 82% of maxmemory")]);
        let lag = log
            .entries
            .iter()
            .find(|e| e.subject == "orders/billing")
            .unwrap();
        assert_eq!(lag.cleared_ms, Some(3_000));
        log.update(4_000, &[a("orders/billing", "lag 2000")]);
        assert_eq!(log.entries.len(), 3, "raised again: a new entry");
        assert_eq!(log.entries[0].raised_ms, 4_000);
    }
}
