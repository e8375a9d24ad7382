//! Pure parsers and judgements for the insight panes: LATENCY LATEST /
//! HISTORY, and the config advisor (the server's settings against the
//! document's recommendations, ACL and renamed commands).

use crate::model::insight::{Advice, LatencyEvent, Severity};
use crate::resp::{field, int, items, pairs, text};
use redis::Value;
use std::collections::BTreeMap;

/// What CONFIG GET reads every poll (never `requirepass` or other secrets).
pub const SETTINGS: &[&str] = &[
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "appendonly",
    "appendfsync",
    "no-appendfsync-on-rewrite",
    "save",
    "maxmemory",
    "maxmemory-policy",
    "tcp-keepalive",
    "timeout",
    "maxclients",
    "io-threads",
    "io-threads-do-reads",
    "protected-mode",
    "bind",
    "latency-monitor-threshold",
];

/// Commands that wipe or reconfigure a server: renamed away or ACL-denied
/// in production, says the document.
pub const DANGEROUS: &[&str] = &["FLUSHALL", "FLUSHDB", "CONFIG", "KEYS", "DEBUG"];

/// LATENCY LATEST: `[event, latest unix s, latest ms, max ms]` rows.
pub fn latency_latest(v: &Value) -> Vec<LatencyEvent> {
    let mut out: Vec<LatencyEvent> = items(v)
        .iter()
        .filter_map(|r| {
            let r = items(r);
            Some(LatencyEvent {
                event: text(r.first()?)?,
                latest_at: int(r.get(1)?)?,
                latest_ms: int(r.get(2)?)?,
                max_ms: int(r.get(3)?)?,
            })
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.latest_at));
    out
}

/// LATENCY HISTORY event: `[unix s, ms]` rows, oldest first.
pub fn latency_history(v: &Value) -> Vec<(u64, u64)> {
    items(v)
        .iter()
        .filter_map(|r| {
            let r = items(r);
            Some((int(r.first()?)?, int(r.get(1)?)?))
        })
        .collect()
}

/// The `default` user as ACL GETUSER shows it (flags and command rules only;
/// its password hashes are never kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AclUser {
    pub on: bool,
    pub nopass: bool,
    pub commands: String,
}

pub fn acl_user(v: &Value) -> AclUser {
    let p = pairs(v);
    let flags: Vec<String> = field(&p, "flags")
        .map(items)
        .unwrap_or_default()
        .iter()
        .filter_map(text)
        .collect();
    AclUser {
        on: flags.iter().any(|f| f == "on"),
        nopass: flags.iter().any(|f| f == "nopass"),
        commands: field(&p, "commands").and_then(text).unwrap_or_default(),
    }
}

/// COMMAND INFO a b c: nil where the server has no such command (renamed).
pub fn commands_present(v: &Value, asked: &[&str]) -> Vec<(String, bool)> {
    let replies = items(v);
    asked
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let present = !matches!(replies.get(i), None | Some(Value::Nil));
            (c.to_string(), present)
        })
        .collect()
}

/// Whether an ACL rule string lets the user run `cmd` (`+@all` without
/// `-cmd`, or `+cmd`). Categories other than `@all` are not resolved.
fn acl_allows(rules: &str, cmd: &str) -> bool {
    let cmd = cmd.to_lowercase();
    let mut allowed = false;
    for r in rules.split_whitespace() {
        let r = r.to_lowercase();
        if r == "+@all" || r == "allcommands" || r == format!("+{cmd}") {
            allowed = true;
        } else if r == "-@all" || r == "nocommands" || r == format!("-{cmd}") {
            allowed = false;
        }
    }
    allowed
}

fn bytes_setting(v: &str) -> Option<u64> {
    v.parse().ok()
}

/// The document's recommendations (redis-configuration.md, "Performance
/// Tuning" and "Security Configuration") against the server's settings.
pub fn advise(
    settings: &BTreeMap<String, String>,
    default_user: Option<&Result<AclUser, String>>,
    present: Option<&[(String, bool)]>,
    production: bool,
) -> Vec<Advice> {
    let mut rows = Vec::new();
    let get = |k: &str| settings.get(k).cloned();
    let mut row = |setting: &str, value: Option<String>, rec: &str, why: &str, sev: Severity| {
        // A setting not read (CONFIG not permitted, renamed away) is never "ok".
        let sev = if value.is_none() { Severity::Info } else { sev };
        rows.push(Advice {
            setting: setting.into(),
            value: value.unwrap_or_else(|| "could not be read".into()),
            recommended: rec.into(),
            why: why.into(),
            severity: sev,
        });
    };
    let prod_warn = if production {
        Severity::Warn
    } else {
        Severity::Info
    };

    let maxmemory = get("maxmemory");
    let mm = maxmemory.as_deref().and_then(bytes_setting);
    row(
        "maxmemory",
        maxmemory.clone(),
        "set (e.g. 2gb)",
        "without a limit Redis grows until the OS kills it; with one, the policy decides what goes",
        match mm {
            Some(0) => prod_warn,
            Some(_) => Severity::Ok,
            None => Severity::Info,
        },
    );
    let policy = get("maxmemory-policy");
    row(
        "maxmemory-policy",
        policy.clone(),
        "allkeys-lru for a cache; noeviction where streams must never lose entries",
        "with noeviction a full server refuses writes; an LRU policy may evict stream keys too",
        match policy.as_deref() {
            Some("noeviction") if mm.is_some_and(|m| m > 0) => Severity::Info,
            Some(_) | None => Severity::Ok,
        },
    );
    let aof = get("appendonly");
    row(
        "appendonly",
        aof.clone(),
        "yes",
        "AOF is the document's persistence for production: RDB alone loses the writes since the last snapshot",
        match aof.as_deref() {
            Some("no") => prod_warn,
            _ => Severity::Ok,
        },
    );
    let fsync = get("appendfsync");
    row(
        "appendfsync",
        fsync.clone(),
        "everysec",
        "always is slow; no leaves flushing to the OS (up to ~30 s of writes lost)",
        match fsync.as_deref() {
            Some("everysec") | None => Severity::Ok,
            Some(_) if aof.as_deref() == Some("yes") => Severity::Warn,
            Some(_) => Severity::Info,
        },
    );
    let keepalive = get("tcp-keepalive");
    row(
        "tcp-keepalive",
        keepalive.clone(),
        "300",
        "dead peers (a consumer's host gone) are detected and their connections closed",
        match keepalive.as_deref().and_then(|v| v.parse::<u64>().ok()) {
            Some(0) => Severity::Warn,
            _ => Severity::Ok,
        },
    );
    let timeout = get("timeout");
    row(
        "timeout",
        timeout.clone(),
        "0 (or 300 on ElastiCache)",
        "a short idle timeout closes blocked XREADGROUP consumers' connections",
        match timeout.as_deref().and_then(|v| v.parse::<u64>().ok()) {
            Some(t) if t > 0 && t < 60 => Severity::Warn,
            _ => Severity::Ok,
        },
    );
    let slower = get("slowlog-log-slower-than");
    row(
        "slowlog-log-slower-than",
        slower.clone(),
        "10000 (µs)",
        "the slowlog should catch commands over 10 ms; negative disables it",
        match slower.as_deref().and_then(|v| v.parse::<i64>().ok()) {
            Some(v) if v < 0 => Severity::Warn,
            Some(v) if v > 100_000 => Severity::Info,
            _ => Severity::Ok,
        },
    );
    let maxlen = get("slowlog-max-len");
    row(
        "slowlog-max-len",
        maxlen.clone(),
        "128",
        "a short slowlog forgets the slow commands before anyone reads them",
        match maxlen.as_deref().and_then(|v| v.parse::<u64>().ok()) {
            Some(v) if v < 64 => Severity::Info,
            _ => Severity::Ok,
        },
    );
    let maxclients = get("maxclients");
    row(
        "maxclients",
        maxclients.clone(),
        "10000",
        "workers open a connection each; too low refuses them (\"max number of clients reached\")",
        match maxclients.as_deref().and_then(|v| v.parse::<u64>().ok()) {
            Some(v) if v < 1000 => Severity::Warn,
            _ => Severity::Ok,
        },
    );
    let threads = get("io-threads");
    row(
        "io-threads",
        threads.clone(),
        "4 (on a host with more than 4 cores)",
        "I/O threads take socket reads and writes off the main thread under many clients",
        match threads.as_deref() {
            Some("1") => Severity::Info,
            _ => Severity::Ok,
        },
    );
    let protected = get("protected-mode");
    let bind = get("bind");
    row(
        "protected-mode",
        protected.clone(),
        "yes",
        "without it, a server bound to a public interface with no password answers anyone",
        match protected.as_deref() {
            Some("no") => Severity::Warn,
            _ => Severity::Ok,
        },
    );
    let public = bind.as_deref().is_some_and(|b| {
        b.split_whitespace()
            .any(|a| !matches!(a.trim_start_matches('-'), "127.0.0.1" | "::1" | "localhost"))
    });
    row(
        "bind",
        bind.clone(),
        "127.0.0.1 ::1 or a private interface",
        "listening on every interface exposes the server beyond its network",
        if bind.as_deref().is_some_and(|b| {
            b.split_whitespace()
                .any(|a| a == "*" || a == "0.0.0.0" || a == "::*")
        }) {
            Severity::Warn
        } else if public {
            Severity::Info
        } else {
            Severity::Ok
        },
    );
    let lmt = get("latency-monitor-threshold");
    row(
        "latency-monitor-threshold",
        lmt.clone(),
        "100 (ms)",
        "0 turns latency monitoring off: LATENCY LATEST stays empty",
        match lmt.as_deref() {
            Some("0") => Severity::Info,
            _ => Severity::Ok,
        },
    );
    match default_user {
        Some(Ok(u)) => row(
            "ACL user default",
            Some(format!(
                "{}{}",
                if u.on { "on" } else { "off" },
                if u.nopass { " nopass" } else { "" }
            )),
            "a password (requirepass / ACL), or off",
            "a default user without a password lets any client that reaches the port do anything",
            if u.on && u.nopass {
                if production {
                    Severity::Crit
                } else {
                    Severity::Warn
                }
            } else {
                Severity::Ok
            },
        ),
        Some(Err(e)) => row(
            "ACL user default",
            Some("could not be read".into()),
            "a password (requirepass / ACL), or off",
            e,
            Severity::Info,
        ),
        None => {}
    }
    if let Some(present) = present {
        let rules = match default_user {
            Some(Ok(u)) if u.on => Some(u.commands.as_str()),
            _ => None,
        };
        for (cmd, here) in present {
            let open = *here && rules.is_none_or(|r| acl_allows(r, cmd));
            row(
                cmd,
                Some(if !*here {
                    "renamed or disabled".into()
                } else if rules.is_some() && open {
                    "enabled for default".into()
                } else if rules.is_some() {
                    "denied to default (ACL)".into()
                } else {
                    "enabled".into()
                }),
                "renamed (rename-command) or denied by ACL",
                "one mistyped command wipes or reconfigures production",
                if open && matches!(cmd.as_str(), "FLUSHALL" | "FLUSHDB" | "CONFIG") {
                    prod_warn
                } else if open {
                    Severity::Info
                } else {
                    Severity::Ok
                },
            );
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn latency_rows() {
        let v = Value::Array(vec![Value::Array(vec![
            bs("command"),
            Value::Int(1_700_000_000),
            Value::Int(250),
            Value::Int(300),
        ])]);
        let e = &latency_latest(&v)[0];
        assert_eq!(
            (e.event.as_str(), e.latest_ms, e.max_ms),
            ("command", 250, 300)
        );
    }

    #[test]
    fn the_advisor_judges_the_documents_settings() {
        let s: BTreeMap<String, String> = [
            ("maxmemory", "0"),
            ("appendonly", "no"),
            ("appendfsync", "everysec"),
            ("tcp-keepalive", "0"),
            ("protected-mode", "no"),
            ("bind", "* -::*"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let user = Ok(AclUser {
            on: true,
            nopass: true,
            commands: "+@all".into(),
        });
        let present = vec![
            ("FLUSHALL".to_string(), true),
            ("CONFIG".to_string(), false),
        ];
        let rows = advise(&s, Some(&user), Some(&present), true);
        // Not read: a note, never ok.
        let r = rows.iter().find(|r| r.setting == "timeout").unwrap();
        assert_eq!(
            (r.value.as_str(), r.severity),
            ("could not be read", Severity::Info)
        );
        let sev = |k: &str| rows.iter().find(|r| r.setting == k).unwrap().severity;
        assert_eq!(sev("maxmemory"), Severity::Warn);
        assert_eq!(sev("appendonly"), Severity::Warn);
        assert_eq!(sev("tcp-keepalive"), Severity::Warn);
        assert_eq!(sev("bind"), Severity::Warn);
        assert_eq!(sev("ACL user default"), Severity::Crit);
        assert_eq!(sev("FLUSHALL"), Severity::Warn);
        assert_eq!(sev("CONFIG"), Severity::Ok);
        assert!(!acl_allows("+@all -flushall", "FLUSHALL"));
        assert!(acl_allows("-@all +flushall", "FLUSHALL"));
    }
}
