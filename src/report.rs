//! Plain-text rendering of a snapshot and of the profile list, for
//! `redeye snapshot` and `redeye profiles`. Every string from Redis is sanitised.

use crate::config::ProfileSummary;
use crate::format::{age, bytes, count, cut};
use crate::model::{GroupInfo, Snapshot};
use crate::sanitize::text as clean;
use std::fmt::Write;

pub fn snapshot_text(s: &Snapshot) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "redeye snapshot · profile {} · {} · {}",
        clean(&s.profile),
        s.endpoint,
        s.mode
    );
    if let Some(sv) = &s.server {
        let _ = writeln!(
            o,
            "server       redis {} · {} · role {} · up {} · replicas {}",
            clean(&sv.version),
            clean(&sv.mode),
            clean(&sv.role),
            age(sv.uptime_seconds * 1000),
            sv.connected_replicas
        );
    }
    if let Some(m) = &s.memory {
        let max = if m.maxmemory_bytes == 0 {
            "no maxmemory".to_string()
        } else {
            format!(
                "of {} ({:.1}%)",
                bytes(m.maxmemory_bytes),
                m.used_percent_of_max.unwrap_or(0.0)
            )
        };
        let _ = writeln!(
            o,
            "memory       used {} {max} · rss {} · peak {} · fragmentation {:.2} · policy {} · evicted {}",
            bytes(m.used_bytes),
            bytes(m.rss_bytes),
            bytes(m.peak_bytes),
            m.fragmentation_ratio,
            clean(&m.maxmemory_policy),
            count(m.evicted_keys)
        );
    }
    if let Some(c) = &s.clients {
        let _ = writeln!(
            o,
            "clients      connected {} · blocked {} · rejected {}{}",
            count(c.connected),
            count(c.blocked),
            count(c.rejected_connections),
            c.maxclients
                .map(|m| format!(" · max {}", count(m)))
                .unwrap_or_default()
        );
    }
    if let Some(st) = &s.stats {
        let hit = st
            .hit_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "n/a (no lookups yet)".into());
        let _ = writeln!(
            o,
            "stats        ops/s {} · commands {} · hit rate {hit} ({} hits, {} misses) · expired {}",
            count(st.ops_per_sec),
            count(st.total_commands),
            count(st.keyspace_hits),
            count(st.keyspace_misses),
            count(st.expired_keys)
        );
    }
    if let Some(p) = &s.persistence {
        let aof = if p.aof_enabled {
            format!(
                "aof on (last write {}{})",
                clean(&p.aof_last_write_status),
                if p.aof_rewrite_in_progress {
                    ", rewriting"
                } else {
                    ""
                }
            )
        } else {
            "aof off".into()
        };
        let _ = writeln!(
            o,
            "persistence  {aof} · rdb last bgsave {}{} · {} changes since last save{}",
            clean(&p.rdb_last_bgsave_status),
            if p.rdb_bgsave_in_progress {
                " (saving)"
            } else {
                ""
            },
            count(p.rdb_changes_since_last_save),
            if p.loading { " · LOADING" } else { "" }
        );
    }
    if s.server.is_some() {
        let ks = if s.keyspace.is_empty() {
            "empty".to_string()
        } else {
            s.keyspace
                .iter()
                .map(|d| {
                    format!(
                        "db{} {} keys ({} with TTL)",
                        d.db,
                        count(d.keys),
                        count(d.expires)
                    )
                })
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let _ = writeln!(o, "keyspace     {ks}");
    }
    if let Some(c) = &s.config {
        let _ = writeln!(
            o,
            "config       slowlog-log-slower-than {} · slowlog-max-len {} · appendonly {}",
            c.slowlog_log_slower_than_us
                .map(|v| format!("{v}µs"))
                .unwrap_or_else(|| "?".into()),
            c.slowlog_max_len
                .map(|v| v.to_string())
                .unwrap_or_else(|| "?".into()),
            c.appendonly
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "?".into())
        );
    }
    if let Some(c) = &s.cluster {
        let _ = writeln!(
            o,
            "cluster      state {} · slots ok {} of {} assigned · pfail {} · fail {} · nodes {} up, {} down · epoch {}",
            clean(&c.state),
            c.slots_ok,
            c.slots_assigned,
            c.slots_pfail,
            c.slots_fail,
            c.nodes_up,
            c.nodes_down,
            c.current_epoch
        );
        for n in &c.nodes {
            let mem = match (n.used_memory, n.memory_pct()) {
                (Some(u), Some(p)) => format!(" · memory {} ({p:.0}%)", crate::format::bytes(u)),
                (Some(u), None) => format!(" · memory {}", crate::format::bytes(u)),
                _ => String::new(),
            };
            let lag = n
                .lag_bytes
                .map(|l| format!(" · lag {}", crate::format::bytes(l)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<8} {}{}{}{}{}{}",
                n.role,
                clean(&n.address),
                if n.slots.is_empty() {
                    String::new()
                } else {
                    format!(" · slots {} ({})", clean(&n.slots), n.slot_count)
                },
                mem,
                n.ops_per_sec
                    .map(|x| format!(" · ops/s {x}"))
                    .unwrap_or_default(),
                lag,
                if n.flags.is_empty() && n.link == "connected" {
                    String::new()
                } else {
                    format!(" · {} {}", clean(&n.flags), clean(&n.link))
                }
            );
        }
    }
    if !s.streams.is_empty() {
        let _ = writeln!(o, "streams");
    }
    for st in &s.streams {
        if !st.exists {
            let _ = writeln!(o, "  {}  (does not exist)", st.name.escaped());
        } else {
            let _ = writeln!(
                o,
                "  {}  length {} · added {} · last id {}",
                st.name.escaped(),
                count(st.length),
                st.entries_added.map(count).unwrap_or_else(|| "?".into()),
                st.last_id
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "-".into())
            );
        }
        if let Some(d) = &st.dlq {
            let _ = writeln!(
                o,
                "    dlq {}  length {}",
                d.stream.escaped(),
                count(d.length)
            );
        }
        for g in &st.groups {
            let _ = writeln!(o, "    {}", group_line(g));
        }
    }
    if let Some(sl) = &s.slowlog {
        let _ = writeln!(o, "slowlog      {} entries kept", count(sl.len));
        for e in sl.entries.iter().take(5) {
            let cmd = e
                .args
                .iter()
                .take(4)
                .map(|a| cut(&a.display(), 40))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(
                o,
                "  #{} {} µs  {cmd}  ({} {})",
                e.id,
                count(e.duration_us),
                clean(&e.client_addr),
                clean(&e.client_name)
            );
        }
    }
    if let Some(l) = &s.latency {
        match l.threshold_ms {
            Some(0) => {
                let _ = writeln!(
                    o,
                    "latency      monitoring off (latency-monitor-threshold 0)"
                );
            }
            _ if l.events.is_empty() => {
                let _ = writeln!(o, "latency      no event over the threshold");
            }
            _ => {
                let ev: Vec<String> = l
                    .events
                    .iter()
                    .map(|e| format!("{} {} ms (max {})", clean(&e.event), e.latest_ms, e.max_ms))
                    .collect();
                let _ = writeln!(o, "latency      {}", ev.join(" · "));
            }
        }
    }
    if let Some(a) = &s.advisor {
        for r in a
            .rows
            .iter()
            .filter(|r| r.severity >= crate::model::insight::Severity::Warn)
        {
            let _ = writeln!(
                o,
                "advisor      {:?} {} = {} (recommended {}): {}",
                r.severity,
                r.setting,
                clean(&r.value),
                r.recommended,
                r.why
            );
        }
    }
    if let Some(k) = &s.keys {
        let _ = writeln!(
            o,
            "key families {} keys scanned of {}{}, {} sampled",
            count(k.scanned),
            count(k.dbsize),
            if k.complete {
                " (a full pass)"
            } else {
                " (partial: counts estimated)"
            },
            count(k.sampled)
        );
        for f in k.families.iter().take(20) {
            let _ = writeln!(
                o,
                "  {:<22} {:<18} {:>10} keys  {:>10}  no TTL {}/{}{}",
                f.prefix,
                f.kind,
                count(f.estimated_keys),
                crate::format::bytes(f.estimated_bytes),
                f.no_ttl,
                f.sampled,
                f.flag
                    .as_deref()
                    .map(|x| format!("  ⚠ {x}"))
                    .unwrap_or_default()
            );
        }
    }
    for p in &s.problems {
        let _ = writeln!(o, "! {}: {}", clean(&p.place()), p.message);
    }
    o
}

fn group_line(g: &GroupInfo) -> String {
    if !g.exists {
        return format!(
            "group {}  (configured, does not exist on the server)",
            g.name.escaped()
        );
    }
    let lag = match g.lag {
        Some(l) => count(l),
        None => "n/a".into(),
    };
    let mut line = format!(
        "group {}  consumers {} · pending {} · lag {lag} · last delivered {}",
        g.name.escaped(),
        count(g.consumers),
        count(g.pending),
        g.last_delivered_id
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "-".into())
    );
    if let Some(a) = g.oldest_pending_age_ms {
        let _ = write!(line, " · oldest pending entry {} old", age(a));
    }
    if let Some(c) = &g.consumer_summary {
        let _ = write!(
            line,
            " · consumers with pending {} · idle past claim_min_idle {} ({} holding nothing)",
            count(c.with_pending),
            count(c.idle_over_claim_min_idle),
            count(c.idle_over_claim_min_idle_without_pending)
        );
    }
    if let Some(r) = &g.lag_unavailable_reason {
        let _ = write!(line, "\n      lag n/a: {r}");
    }
    // Where it is going (consumer health).
    let behind = match (g.behind_ms, &g.behind_reason) {
        (Some(0), _) => "0".to_string(),
        (Some(ms), None) => age(ms),
        (Some(ms), Some(_)) => format!("at most {}", age(ms)),
        (None, _) => "n/a".into(),
    };
    let h = &g.health;
    let rate = |v: Option<f64>| v.map_or("?".into(), crate::format::rate);
    let _ = write!(
        line,
        "\n      {} · behind {behind}",
        h.status.map_or("status n/a", |s| s.word())
    );
    if h.window_s.is_some() {
        let _ = write!(
            line,
            " · in {}/s · out {}/s · {}",
            rate(h.produced_per_s),
            rate(h.consumed_per_s),
            crate::model::health::eta_text(h, g.lag)
        );
    }
    if let Some(r) = &h.status_reason {
        let _ = write!(line, " — {}", clean(r));
    }
    if let (None, Some(r)) = (g.behind_ms, &g.behind_reason) {
        let _ = write!(line, "\n      behind n/a: {}", clean(r));
    }
    line
}

pub fn profiles_text(list: &[ProfileSummary]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<2}{:<16} {:<12} {:<11} {:<32} {:<4} {:<16} {:<18} ACCESS",
        "", "PROFILE", "ENVIRONMENT", "MODE", "ENDPOINT", "TLS", "USER", "AUTH"
    );
    for p in list {
        let _ = writeln!(
            o,
            "{:<2}{:<16} {:<12} {:<11} {:<32} {:<4} {:<16} {:<18} {}",
            if p.default { "*" } else { "" },
            p.name,
            p.environment,
            p.mode,
            p.endpoint,
            if p.tls { "yes" } else { "no" },
            p.username.as_deref().unwrap_or("-"),
            p.auth,
            if p.read_only { "read-only" } else { "writable" }
        );
        if let Some(via) = &p.via {
            let _ = writeln!(o, "    via ssh {via}");
        }
        if let Some(problem) = &p.problem {
            let _ = writeln!(o, "    ! {problem}");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(age(90_061_000), "1d 1h");
        assert_eq!(age(61_000), "1m 1s");
        assert_eq!(age(15), "15ms");
    }
}
