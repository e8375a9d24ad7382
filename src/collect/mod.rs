//! One poll = one pipelined round trip per node. The plan lists every command
//! the snapshot needs; replies are matched back to the plan and parsed by pure
//! functions. A command that fails (ACL, renamed away, missing key) costs only
//! its own section.

pub mod info;
pub mod streams;

use crate::config::Profile;
use crate::connect::Conn;
use crate::error::{Failure, Result};
use crate::model::{DlqInfo, GroupInfo, Problem, ProblemKind, ServerConfig, Snapshot, StreamInfo};
use redis::{RedisError, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// What one pipelined command is for.
enum Slot {
    Info,
    ConfigGet,
    Stream(usize),
    Groups(usize),
    Pending(usize, String),
    Consumers(usize, String),
    DlqLen(usize),
}

impl Slot {
    fn command(&self) -> &'static str {
        match self {
            Slot::Info => "INFO",
            Slot::ConfigGet => "CONFIG",
            Slot::Stream(_) => "XINFO",
            Slot::Groups(_) => "XINFO",
            Slot::Pending(..) => "XPENDING",
            Slot::Consumers(..) => "XINFO",
            Slot::DlqLen(_) => "XLEN",
        }
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Build the commands of one poll, in order, skipping those the profile disables.
fn plan(
    profile: &Profile,
    conn: &Conn,
    problems: &mut Vec<Problem>,
) -> (redis::Pipeline, Vec<Slot>) {
    let mut pipe = redis::pipe();
    let mut slots = Vec::new();
    let mut add = |slot: Slot, build: &dyn Fn(redis::Cmd) -> redis::Cmd, section: String| match conn
        .cmd(slot.command())
    {
        Some(c) => {
            pipe.add_command(build(c));
            slots.push(slot);
        }
        None => problems.push(Problem {
            section,
            command: slot.command().to_string(),
            kind: ProblemKind::Disabled,
            message: format!(
                "{} is disabled by this profile's rename_commands",
                slot.command()
            ),
        }),
    };
    add(
        Slot::Info,
        &|c| c,
        "server, memory, clients, stats, persistence, keyspace".into(),
    );
    add(
        Slot::ConfigGet,
        &|mut c| {
            c.arg("GET")
                .arg("slowlog-log-slower-than")
                .arg("slowlog-max-len")
                .arg("appendonly");
            c
        },
        "config".into(),
    );
    for (i, spec) in profile.streams.streams.iter().enumerate() {
        let name = spec.name.clone();
        let section = format!("stream {name}");
        add(
            Slot::Stream(i),
            &|mut c| {
                c.arg("STREAM").arg(&name);
                c
            },
            section.clone(),
        );
        add(
            Slot::Groups(i),
            &|mut c| {
                c.arg("GROUPS").arg(&name);
                c
            },
            section.clone(),
        );
        for g in &spec.groups {
            let group = g.name.clone();
            add(
                Slot::Pending(i, group.clone()),
                &|mut c| {
                    c.arg(&name).arg(&group);
                    c
                },
                format!("{section} group {group}"),
            );
            add(
                Slot::Consumers(i, group.clone()),
                &|mut c| {
                    c.arg("CONSUMERS").arg(&name).arg(&group);
                    c
                },
                format!("{section} group {group}"),
            );
        }
        if profile.streams.dlq.enabled {
            let dlq = profile.streams.dlq.stream_for(&name);
            add(
                Slot::DlqLen(i),
                &|mut c| {
                    c.arg(&dlq);
                    c
                },
                format!("dlq {dlq}"),
            );
        }
    }
    (pipe, slots)
}

fn problem_for(err: &RedisError, slot: &Slot, section: String, user: &str) -> Problem {
    let text = err.to_string();
    let not_permitted = err.code() == Some("NOPERM") || text.contains("NOPERM");
    let unknown = err.code() == Some("ERR") && text.contains("unknown command");
    let (kind, message) = if not_permitted {
        (
            ProblemKind::NotPermitted,
            format!("not permitted for user {user}: {}", slot.command()),
        )
    } else if unknown {
        (
            ProblemKind::Error,
            format!(
                "the server does not know {} (renamed on the server?); map it under redis.rename_commands",
                slot.command()
            ),
        )
    } else {
        (ProblemKind::Error, crate::sanitize::text(&text))
    };
    Problem {
        section,
        command: slot.command().to_string(),
        kind,
        message,
    }
}

fn is_no_such_key(err: &RedisError) -> bool {
    err.to_string().contains("no such key")
}

fn is_no_group(err: &RedisError) -> bool {
    err.code() == Some("NOGROUP") || err.to_string().contains("NOGROUP")
}

/// One collection pass: one pipelined round trip.
pub async fn poll(profile: &Profile, conn: &Conn) -> Result<Snapshot> {
    let mut problems = Vec::new();
    let (pipe, slots) = plan(profile, conn, &mut problems);
    let mut con = conn.con.clone();
    let replies: Vec<redis::RedisResult<Value>> = if slots.is_empty() {
        Vec::new()
    } else {
        pipe.clone()
            .ignore_errors()
            .query_async(&mut con)
            .await
            .map_err(|e| {
                Failure::runtime(format!(
                    "lost Redis at {} while polling ({}); check the server and the network",
                    conn.endpoint,
                    crate::sanitize::text(&e.to_string())
                ))
            })?
    };
    let now = now_ms();
    let mut snap = Snapshot {
        schema: crate::model::SCHEMA_VERSION,
        taken_at_ms: now,
        profile: profile.name.clone(),
        endpoint: conn.endpoint.to_string(),
        mode: profile.target.mode().to_string(),
        round_trips: u32::from(!slots.is_empty()),
        server: None,
        memory: None,
        clients: None,
        stats: None,
        persistence: None,
        keyspace: Vec::new(),
        config: None,
        streams: profile
            .streams
            .streams
            .iter()
            .map(|s| StreamInfo {
                name: s.name.clone(),
                exists: false,
                length: 0,
                first_id: None,
                last_id: None,
                last_generated_id: None,
                max_deleted_entry_id: None,
                entries_added: None,
                groups: Vec::new(),
                dlq: None,
            })
            .collect(),
        problems,
    };
    let claim_ms = profile.streams.claim_min_idle.as_millis() as u64;
    for (slot, reply) in slots.iter().zip(replies) {
        let section = |slot: &Slot| match slot {
            Slot::Info => "server, memory, clients, stats, persistence, keyspace".to_string(),
            Slot::ConfigGet => "config".to_string(),
            Slot::Stream(i) | Slot::Groups(i) => {
                format!("stream {}", profile.streams.streams[*i].name)
            }
            Slot::Pending(i, g) | Slot::Consumers(i, g) => {
                format!("stream {} group {g}", profile.streams.streams[*i].name)
            }
            Slot::DlqLen(i) => format!(
                "dlq {}",
                profile
                    .streams
                    .dlq
                    .stream_for(&profile.streams.streams[*i].name)
            ),
        };
        let v = match reply {
            Ok(v) => v,
            Err(e) => {
                match slot {
                    // A missing stream is a fact, not a problem.
                    Slot::Stream(_) | Slot::Groups(_) if is_no_such_key(&e) => {}
                    // A configured group missing on the server: shown as such.
                    Slot::Pending(i, g) | Slot::Consumers(i, g)
                        if is_no_group(&e) || is_no_such_key(&e) =>
                    {
                        let s = &mut snap.streams[*i];
                        if !s.groups.iter().any(|x| &x.name == g) {
                            s.groups.push(missing_group(g));
                        }
                    }
                    _ => snap
                        .problems
                        .push(problem_for(&e, slot, section(slot), &conn.user)),
                }
                continue;
            }
        };
        match slot {
            Slot::Info => {
                let text = streams::text(&v).unwrap_or_default();
                let info = info::Info::parse(&text);
                snap.server = Some(info.server());
                snap.memory = Some(info.memory());
                snap.clients = Some(info.clients());
                snap.stats = Some(info.stats());
                snap.persistence = Some(info.persistence());
                snap.keyspace = info.keyspace();
            }
            Slot::ConfigGet => {
                let p = streams::pairs(&v);
                let get = |k: &str| {
                    p.iter()
                        .find(|(n, _)| n == k)
                        .and_then(|(_, v)| streams::text(v))
                };
                snap.config = Some(ServerConfig {
                    slowlog_log_slower_than_us: get("slowlog-log-slower-than")
                        .and_then(|v| v.parse().ok()),
                    slowlog_max_len: get("slowlog-max-len").and_then(|v| v.parse().ok()),
                    appendonly: get("appendonly"),
                });
            }
            Slot::Stream(i) => {
                let dlq = snap.streams[*i].dlq.take();
                let groups = std::mem::take(&mut snap.streams[*i].groups);
                let mut s = streams::stream(&profile.streams.streams[*i].name, &v);
                s.dlq = dlq;
                s.groups = groups;
                snap.streams[*i] = s;
            }
            Slot::Groups(i) => {
                let s = &mut snap.streams[*i];
                let mut found = streams::groups(&v, s, now);
                for g in &mut found {
                    g.configured = profile.streams.streams[*i]
                        .groups
                        .iter()
                        .any(|c| c.name == g.name);
                }
                s.groups = found;
            }
            Slot::Pending(i, g) => {
                if let Some(group) = snap.streams[*i].groups.iter_mut().find(|x| &x.name == g) {
                    streams::apply_pending_summary(group, &v, now);
                }
            }
            Slot::Consumers(i, g) => {
                if let Some(group) = snap.streams[*i].groups.iter_mut().find(|x| &x.name == g) {
                    group.consumer_summary = Some(streams::consumer_summary(&v, claim_ms));
                }
            }
            Slot::DlqLen(i) => {
                let name = profile
                    .streams
                    .dlq
                    .stream_for(&profile.streams.streams[*i].name);
                snap.streams[*i].dlq = Some(DlqInfo {
                    stream: name,
                    length: streams::int(&v).unwrap_or(0),
                });
            }
        }
    }
    // Configured groups the server does not have.
    for (i, spec) in profile.streams.streams.iter().enumerate() {
        let s = &mut snap.streams[i];
        for g in &spec.groups {
            if !s.groups.iter().any(|x| x.name == g.name) {
                s.groups.push(missing_group(&g.name));
            }
        }
    }
    Ok(snap)
}

fn missing_group(name: &str) -> GroupInfo {
    GroupInfo {
        name: name.to_string(),
        configured: true,
        exists: false,
        consumers: 0,
        pending: 0,
        last_delivered_id: None,
        entries_read: None,
        lag: None,
        lag_unavailable_reason: Some("the group does not exist on the server".into()),
        oldest_pending_id: None,
        oldest_pending_age_ms: None,
        last_delivered_age_ms: None,
        pending_by_consumer: Vec::new(),
        consumer_summary: None,
    }
}
