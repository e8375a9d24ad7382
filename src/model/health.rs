//! Consumer health: a group's rates over a window of polls, when it will
//! be clear, and a status judged by rules adapted from Burrow's evaluation
//! of a consumer over a sliding window (README, "Consumer health"). Pure:
//! the collector's tracker (`collect/health.rs`) keeps the observations.

use super::ConsumerSummary;
use serde::{Deserialize, Serialize};

/// A group's status over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing undelivered, or keeping up with what arrives.
    Ok,
    /// No entries added or read in the window, nothing held.
    Idle,
    /// Undelivered work that is shrinking.
    CatchingUp,
    /// Undelivered work growing over the window.
    FallingBehind,
    /// Nothing to judge by (the reason says what is missing).
    Unknown,
    /// Nothing undelivered, but entries held by consumers idle longer than
    /// `claim_min_idle`: work taken and abandoned.
    Stuck,
    /// Undelivered work, consumers polling, entries-read not advancing.
    Stalled,
    /// Undelivered work and no consumer active within the window.
    Stopped,
}

impl Status {
    /// As the screen and `check` say it.
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Idle => "IDLE",
            Status::CatchingUp => "CATCHING UP",
            Status::FallingBehind => "FALLING BEHIND",
            Status::Unknown => "UNKNOWN",
            Status::Stuck => "STUCK",
            Status::Stalled => "STALLED",
            Status::Stopped => "STOPPED",
        }
    }

    /// Stalled, stopped or stuck: someone has to act.
    pub fn is_critical(self) -> bool {
        matches!(self, Status::Stalled | Status::Stopped | Status::Stuck)
    }

    /// The alert it raises (and `check`'s judgement): critical when someone
    /// has to act, a warning when falling behind, none otherwise.
    pub fn level(self) -> Option<super::alerts::Level> {
        use super::alerts::Level;
        match self {
            s if s.is_critical() => Some(Level::Crit),
            Status::FallingBehind => Some(Level::Warn),
            _ => None,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// A group's health figures over the window (flattened into the group's
/// JSON). Every field is null when it cannot be known; `status_reason` says
/// why, or which rule decided the status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    /// Seconds the rates span (the window, or less while it fills).
    pub window_s: Option<f64>,
    /// Entries added to the stream per second (Δ entries-added).
    pub produced_per_s: Option<f64>,
    /// Entries delivered to the group per second (Δ entries-read); null
    /// while Redis reports entries-read as NULL.
    pub consumed_per_s: Option<f64>,
    /// Entries acknowledged per second (Δ entries-read − Δ pending).
    pub acked_per_s: Option<f64>,
    /// Change of the lag per second over the newer half of the window
    /// (positive: falling behind): the current direction.
    pub lag_change_per_s: Option<f64>,
    /// Seconds until the lag reaches 0 at the current rates (0 when it is
    /// 0; null when it is not shrinking).
    pub eta_s: Option<f64>,
    pub status: Option<Status>,
    pub status_reason: Option<String>,
}

/// One poll's figures of a group, as the window keeps them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// The server's clock at the poll.
    pub at_ms: u64,
    pub added: Option<u64>,
    pub read: Option<u64>,
    pub pending: u64,
    pub lag: Option<u64>,
    /// The millisecond part of the last-delivered id (progress when
    /// entries-read is NULL).
    pub delivered_ms: u64,
}

/// What the judgement needs beside the observations.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The span the rates should cover (a stall is judged only over it).
    pub window_ms: u64,
    /// A consumer seen within this is active (the profile's window).
    pub active_within_ms: u64,
    pub claim_min_idle_ms: u64,
    /// Something is undelivered now (lag > 0, or an entry after the
    /// last-delivered id).
    pub undelivered: bool,
    /// Consumers in the group (XINFO GROUPS, this poll).
    pub consumers: u64,
    /// The last XINFO CONSUMERS summary and how old it is (ms).
    pub summary: Option<(&'a ConsumerSummary, u64)>,
    /// Why Redis gives no lag, when it does not.
    pub null_lag_reason: Option<&'a str>,
}

fn per_s(d: f64, span_s: f64) -> f64 {
    d / span_s
}

/// Rates, ETA and status from `obs` (oldest first; the last is this poll).
pub fn judge(obs: &[Obs], f: &Facts) -> Health {
    let mut h = Health::default();
    let (Some(first), Some(last)) = (obs.first(), obs.last()) else {
        return h;
    };
    let span_ms = last.at_ms.saturating_sub(first.at_ms);
    let unknown = |h: &mut Health, why: String| {
        h.status = Some(Status::Unknown);
        h.status_reason = Some(why);
    };
    if obs.len() < 2 || span_ms == 0 {
        unknown(&mut h, "one poll so far: rates need two".into());
        return h;
    }
    let span_s = span_ms as f64 / 1000.0;
    h.window_s = Some(span_s);
    let delta = |a: Option<u64>, b: Option<u64>| Some(b? as f64 - a? as f64);
    h.produced_per_s = delta(first.added, last.added).map(|d| per_s(d.max(0.0), span_s));
    let read_delta = delta(first.read, last.read);
    h.consumed_per_s = read_delta.map(|d| per_s(d.max(0.0), span_s));
    let pending_delta = last.pending as f64 - first.pending as f64;
    h.acked_per_s = read_delta.map(|d| per_s((d - pending_delta).max(0.0), span_s));
    // Which way it is heading now: the lag's change over the newer half of
    // the window (from the last observation at or before its middle), so a
    // lag that rose and is now falling is catching up, and the ETA is at
    // the current rate.
    let middle = last.at_ms.saturating_sub(span_ms / 2);
    let from = obs
        .iter()
        .rev()
        .find(|o| o.at_ms <= middle && o.at_ms < last.at_ms)
        .unwrap_or(first);
    let recent_s = last.at_ms.saturating_sub(from.at_ms).max(1) as f64 / 1000.0;
    h.lag_change_per_s = delta(from.lag, last.lag)
        .map(|d| per_s(d, recent_s))
        .or_else(|| {
            Some(
                per_s(delta(from.added, last.added)?, recent_s)
                    - per_s(delta(from.read, last.read)?, recent_s),
            )
        });
    let grew = delta(first.lag, last.lag).is_some_and(|d| d > 0.0);
    let net = h.lag_change_per_s;
    h.eta_s = match (last.lag, net) {
        (Some(0), _) => Some(0.0),
        (Some(lag), Some(n)) if n < 0.0 => Some(lag as f64 / -n),
        (None, _) if !f.undelivered => Some(0.0),
        _ => None,
    };
    let window = crate::format::age(f.window_ms);
    let (status, why) = if !f.undelivered {
        let dead = f.summary.map_or(0, |(s, _)| s.dead_holding);
        let quiet = h.produced_per_s == Some(0.0)
            && read_delta.is_none_or(|d| d == 0.0)
            && pending_delta == 0.0
            && last.pending == 0;
        if dead > 0 {
            (
                Status::Stuck,
                format!(
                    "nothing undelivered, but {dead} consumer(s) hold {} entries and have been idle over claim_min_idle ({}): work taken and abandoned",
                    last.pending,
                    crate::format::age(f.claim_min_idle_ms)
                ),
            )
        } else if quiet {
            (
                Status::Idle,
                format!(
                    "no entries added or read in the last {}",
                    crate::format::age(span_ms)
                ),
            )
        } else {
            (Status::Ok, "nothing undelivered".into())
        }
    } else {
        // Progress: entries-read moved (or, while it is NULL, the
        // last-delivered id did).
        let progressed = match read_delta {
            Some(d) => d > 0.0,
            None => last.delivered_ms > first.delivered_ms,
        };
        // The most recently seen consumer, as of now. `idle` is the time
        // since its last attempt to read (7.2's `inactive`, since its last
        // successful one, is not what "polling" means).
        let seen_ago = f.summary.map(|(s, age)| s.min_idle_ms.saturating_add(age));
        let full = span_ms * 10 >= f.window_ms * 9;
        if f.consumers == 0 {
            (
                Status::Stopped,
                "undelivered entries and no consumer in the group".into(),
            )
        } else if !progressed && seen_ago.is_some_and(|a| a > f.active_within_ms) {
            (
                Status::Stopped,
                format!(
                    "undelivered entries and no consumer active within the window ({}): the last was seen {} ago",
                    crate::format::age(f.active_within_ms),
                    crate::format::age(seen_ago.unwrap_or(0))
                ),
            )
        } else if !progressed && full {
            match seen_ago {
                Some(a) => (
                    Status::Stalled,
                    format!(
                        "undelivered entries, consumers polling (one seen {} ago), but entries-read has not moved in {}",
                        crate::format::age(a),
                        crate::format::age(span_ms)
                    ),
                ),
                None => (
                    Status::Unknown,
                    format!(
                        "entries-read has not moved in {}; the consumers' idle times are not read yet",
                        crate::format::age(span_ms)
                    ),
                ),
            }
        } else if !progressed {
            (
                Status::Unknown,
                format!(
                    "no progress in the {} watched so far; a stall is judged over the whole window ({window})",
                    crate::format::age(span_ms)
                ),
            )
        } else {
            let min_lag = obs.iter().filter_map(|o| o.lag).min();
            match (net, f.null_lag_reason) {
                (_, Some(reason)) if last.lag.is_none() => (
                    Status::Unknown,
                    format!("consuming, but the lag is unknown: {reason}"),
                ),
                (Some(n), _) if n > 0.0 && grew && min_lag != Some(0) => (
                    Status::FallingBehind,
                    format!(
                        "lag grew over {}, now {}",
                        crate::format::age(span_ms),
                        signed_rate(n)
                    ),
                ),
                (Some(n), _) if n < 0.0 => (
                    Status::CatchingUp,
                    format!(
                        "lag shrinking {} (over the last {})",
                        signed_rate(n),
                        crate::format::age((recent_s * 1000.0) as u64)
                    ),
                ),
                _ => (Status::Ok, "consuming as fast as entries arrive".into()),
            }
        }
    };
    h.status = Some(status);
    h.status_reason = Some(why);
    h
}

/// "+40/s", "-10/s", "+0.5/s".
pub fn signed_rate(r: f64) -> String {
    let sign = if r >= 0.0 { "+" } else { "-" };
    format!("{sign}{}/s", crate::format::rate(r))
}

/// The ETA as a person reads it: "clear", "clear in ~1m 20s", "falling
/// behind +40/s", "not draining".
pub fn eta_text(h: &Health, lag: Option<u64>) -> String {
    match (h.eta_s, h.lag_change_per_s) {
        (Some(e), _) if e <= 0.0 => "clear".into(),
        (Some(e), _) => format!("clear in ~{}", crate::format::age((e * 1000.0) as u64)),
        (None, Some(n)) if n > 0.0 && lag != Some(0) => {
            format!("falling behind {}", signed_rate(n))
        }
        (None, Some(_)) => "not draining".into(),
        (None, None) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(at_s: u64, added: u64, read: u64, pending: u64) -> Obs {
        Obs {
            at_ms: at_s * 1000,
            added: Some(added),
            read: Some(read),
            pending,
            lag: Some(added - read),
            delivered_ms: read,
        }
    }

    fn facts(undelivered: bool, summary: Option<(&ConsumerSummary, u64)>) -> Facts<'_> {
        Facts {
            window_ms: 60_000,
            active_within_ms: 60_000,
            claim_min_idle_ms: 30_000,
            undelivered,
            consumers: 1,
            summary,
            null_lag_reason: None,
        }
    }

    fn active() -> ConsumerSummary {
        ConsumerSummary {
            total: 1,
            min_idle_ms: 100,
            ..Default::default()
        }
    }

    #[test]
    fn fifty_in_ten_out_is_falling_behind_at_forty_a_second() {
        let a = active();
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 50 * t + 100, 10 * t, 5)).collect();
        let h = judge(&w, &facts(true, Some((&a, 0))));
        assert_eq!(h.status, Some(Status::FallingBehind), "{h:?}");
        assert_eq!(h.lag_change_per_s, Some(40.0));
        assert_eq!(
            (h.produced_per_s, h.consumed_per_s),
            (Some(50.0), Some(10.0))
        );
        assert_eq!(h.eta_s, None);
        assert_eq!(eta_text(&h, Some(2500)), "falling behind +40/s");
    }

    #[test]
    fn a_draining_group_is_catching_up_with_an_eta() {
        let a = active();
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 1000, 10 * t, 0)).collect();
        let h = judge(&w, &facts(true, Some((&a, 0))));
        assert_eq!(h.status, Some(Status::CatchingUp));
        // 400 left at 10/s.
        assert_eq!(h.eta_s, Some(40.0));
        assert_eq!(eta_text(&h, Some(400)), "clear in ~40s");
    }

    #[test]
    fn no_progress_with_consumers_polling_is_stalled_and_without_them_stopped() {
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 500 + t, 100, 20)).collect();
        let a = active();
        assert_eq!(
            judge(&w, &facts(true, Some((&a, 0)))).status,
            Some(Status::Stalled)
        );
        let gone = ConsumerSummary {
            total: 1,
            min_idle_ms: 61_000,
            ..Default::default()
        };
        assert_eq!(
            judge(&w, &facts(true, Some((&gone, 0)))).status,
            Some(Status::Stopped)
        );
        // Without their idle times, a stall cannot be told from a stop.
        assert_eq!(judge(&w, &facts(true, None)).status, Some(Status::Unknown));
        // Half a window without progress is not yet a stall.
        assert_eq!(
            judge(&w[..20], &facts(true, Some((&a, 0)))).status,
            Some(Status::Unknown)
        );
        // ... but idle consumers past the window are a stop at once.
        assert_eq!(
            judge(&w[..20], &facts(true, Some((&gone, 0)))).status,
            Some(Status::Stopped)
        );
    }

    #[test]
    fn abandoned_work_with_nothing_undelivered_is_stuck() {
        let s = ConsumerSummary {
            total: 2,
            dead_holding: 1,
            ..Default::default()
        };
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 100, 100, 20)).collect();
        assert_eq!(
            judge(&w, &facts(false, Some((&s, 0)))).status,
            Some(Status::Stuck)
        );
    }

    #[test]
    fn no_traffic_is_idle_and_keeping_up_is_ok() {
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 100, 100, 0)).collect();
        assert_eq!(judge(&w, &facts(false, None)).status, Some(Status::Idle));
        let w: Vec<Obs> = (0..=60).map(|t| obs(t, 10 * t, 10 * t, 0)).collect();
        assert_eq!(judge(&w, &facts(false, None)).status, Some(Status::Ok));
        // A batch consumer whose lag touches 0 in the window is keeping up.
        let w: Vec<Obs> = (0..=60)
            .map(|t| obs(t, 10 * t + (t % 2) * 5 + t / 30, 10 * t, 0))
            .collect();
        let a = active();
        assert_eq!(
            judge(&w, &facts(true, Some((&a, 0)))).status,
            Some(Status::Ok)
        );
    }

    /// A lag that rose and is now falling is catching up, its ETA at the
    /// current rate.
    #[test]
    fn a_lag_that_rose_and_now_falls_is_catching_up() {
        let a = active();
        let w: Vec<Obs> = (0..=60)
            .map(|t| {
                let lag = if t <= 20 { 10 * t } else { 200 - 4 * (t - 20) };
                Obs {
                    lag: Some(lag),
                    read: Some(1_000 + 10 * t),
                    added: Some(1_000 + 10 * t + lag),
                    ..obs(t, 0, 0, 0)
                }
            })
            .collect();
        let h = judge(&w, &facts(true, Some((&a, 0))));
        assert_eq!(h.status, Some(Status::CatchingUp), "{h:?}");
        assert_eq!(h.lag_change_per_s, Some(-4.0));
        // 40 left at 4/s.
        assert_eq!(h.eta_s, Some(10.0));
    }

    #[test]
    fn one_poll_is_unknown_with_its_reason() {
        let h = judge(&[obs(0, 1, 0, 0)], &facts(true, None));
        assert_eq!(h.status, Some(Status::Unknown));
        assert!(h.status_reason.unwrap().contains("rates need two"));
        assert_eq!(h.produced_per_s, None);
    }
}
