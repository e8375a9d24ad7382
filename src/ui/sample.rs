//! A deterministic, realistic snapshot for render tests and benchmarks:
//! the demo's streams plus `extra` generated streams, with every optional
//! section filled, at a fixed time.

use crate::model::*;

pub const NOW_MS: u64 = 1_795_000_000_000;

fn b(s: &str) -> Bytes {
    Bytes(s.as_bytes().to_vec())
}

fn group(name: &str, pending: u64, lag: Option<u64>, oldest_s: u64) -> GroupInfo {
    GroupInfo {
        name: name.into(),
        configured: true,
        exists: true,
        consumers: 1412,
        pending,
        last_delivered_id: Some(format!("{}-0", NOW_MS - 2_000)),
        entries_read: lag.map(|_| 90_000),
        lag,
        lag_unavailable_reason: lag.is_none().then(|| {
            "entries were deleted (XDEL) after the group's last-delivered-id, so Redis cannot count the undelivered entries".into()
        }),
        oldest_pending_id: Some(format!("{}-0", NOW_MS - oldest_s * 1000)),
        oldest_pending_age_ms: Some(oldest_s * 1000),
        last_delivered_age_ms: Some(2_000),
        pending_by_consumer: vec![ConsumerPending {
            consumer: "consumer-1795000000000123456".into(),
            pending: pending.min(20),
        }],
        consumer_summary: Some(ConsumerSummary {
            total: 1412,
            with_pending: 37,
            idle_over_claim_min_idle: 1398,
            idle_over_claim_min_idle_without_pending: 1361,
            max_idle_ms: 3_600_000,
            min_idle_ms: 12,
            min_inactive_ms: None,
            dead_holding: 2,
            read_ms: NOW_MS,
        }),
        first_undelivered_id: lag
            .filter(|l| *l > 0)
            .map(|_| format!("{}-0", NOW_MS - oldest_s * 400)),
        behind_ms: Some(match lag {
            Some(0) => 0,
            _ => oldest_s * 400,
        }),
        behind_reason: None,
        health: sample_health(lag),
        undelivered_after: None,
    }
}

/// Rates and a status that go with the sample's lag.
fn sample_health(lag: Option<u64>) -> crate::model::health::Health {
    use crate::model::health::{Health, Status};
    let (produced, consumed, status, reason) = match lag {
        Some(0) => (12.0, 12.0, Status::Ok, "nothing undelivered"),
        Some(l) if l > 1_000 => (
            50.0,
            10.0,
            Status::FallingBehind,
            "lag grew over 1m, now +40/s",
        ),
        Some(_) => (
            8.0,
            20.0,
            Status::CatchingUp,
            "lag shrinking -12/s (over the last 30s)",
        ),
        None => (
            5.0,
            5.0,
            Status::Unknown,
            "consuming, but the lag is unknown",
        ),
    };
    let net = lag.map(|_| produced - consumed);
    Health {
        window_s: Some(60.0),
        produced_per_s: Some(produced),
        consumed_per_s: lag.map(|_| consumed),
        acked_per_s: lag.map(|_| consumed),
        lag_change_per_s: net,
        eta_s: match (lag, net) {
            (Some(0), _) => Some(0.0),
            (Some(l), Some(n)) if n < 0.0 => Some(l as f64 / -n),
            _ => None,
        },
        status: Some(status),
        status_reason: Some(reason.into()),
    }
}

fn stream(name: &str, length: u64, groups: Vec<GroupInfo>, dlq: u64) -> StreamInfo {
    StreamInfo {
        name: name.into(),
        configured: true,
        exists: true,
        length,
        first_id: Some(format!("{}-0", NOW_MS - 3_600_000)),
        last_id: Some(format!("{}-0", NOW_MS - 1_000)),
        last_generated_id: Some(format!("{}-0", NOW_MS - 1_000)),
        max_deleted_entry_id: Some("0-0".into()),
        entries_added: Some(length + 17),
        groups,
        full_read_ms: None,
        node_time_ms: None,
        dlq: Some(DlqInfo {
            stream: format!("{name}:dlq").into(),
            length: dlq,
            oldest_id: (dlq > 0).then(|| format!("{}-0", NOW_MS - 9 * 86_400_000)),
            newest_id: (dlq > 0).then(|| format!("{}-0", NOW_MS - 180_000)),
            full_read_ms: None,
        }),
    }
}

/// A snapshot at [`NOW_MS`]; `shift` moves counters so two samples give rates.
pub fn snapshot(extra_streams: usize, shift: u64) -> Snapshot {
    let now = NOW_MS + shift * 1000;
    let mut streams = vec![
        stream(
            "webhook_events",
            48_211 + shift * 40,
            vec![group("webhook_workers", 1_318, Some(2_406), 1_900)],
            12,
        ),
        stream(
            "task_events",
            9_140 + shift * 10,
            vec![group("task_workers", 42, Some(0), 14)],
            57 + shift * 3,
        ),
        stream(
            "agent_messages",
            3_377 + shift * 2,
            vec![group("agent_workers", 0, None, 0)],
            0,
        ),
    ];
    streams[2].groups[0].oldest_pending_age_ms = None;
    for i in 0..extra_streams {
        let mut s = stream(
            &format!("tenant:{i:04}:events"),
            1_000 + i as u64,
            vec![group(
                "workers",
                (i % 50) as u64,
                Some((i * 7 % 300) as u64),
                (i % 90) as u64,
            )],
            0,
        );
        s.configured = false;
        streams.push(s);
    }
    let entry = |id: u64, error: &str| StreamEntry {
        id: format!("{}-0", NOW_MS - id * 60_000),
        fields: vec![
            (b("original_id"), b(&format!("{}-0", NOW_MS - id * 61_000))),
            (b("original_stream"), b("task_events")),
            (b("error"), b(error)),
            (b("retry_count"), b("3")),
            (
                b("failed_at"),
                b(&((NOW_MS - id * 60_000) / 1000).to_string()),
            ),
            (b("consumer_group"), b("task_workers")),
            (b("consumer_id"), b("task-worker-2")),
            (b("event_id"), b("evt_5f1c9a7e22b04d1e")),
            (
                b("payload"),
                b(
                    r#"{"action":"opened","repository":{"full_name":"acme/api","id":4242},"size":812}"#,
                ),
            ),
        ],
    };
    Snapshot {
        schema: SCHEMA_VERSION,
        taken_at_ms: now,
        profile: "production".into(),
        endpoint: "10.0.4.21:6379".into(),
        mode: crate::model::Mode::Standalone,
        round_trips: 1,
        server: Some(Server {
            version: "7.0.15".into(),
            mode: "standalone".into(),
            role: "master".into(),
            uptime_seconds: 1_209_600,
            time_ms: Some(NOW_MS),
            os: "Linux".into(),
            connected_replicas: 2,
            repl_offset: 0,
            master_link_status: None,
            replicas: Vec::new(),
        }),
        memory: Some(Memory {
            used_bytes: 1_717_986_918 + shift * 1_000_000,
            rss_bytes: 2_040_109_465,
            peak_bytes: 1_800_000_000,
            fragmentation_ratio: 1.19,
            maxmemory_bytes: 2_147_483_648,
            maxmemory_policy: "allkeys-lru".into(),
            used_percent_of_max: Some(80.0 + shift as f64 * 0.05),
            evicted_keys: 120 + shift * 4,
        }),
        clients: Some(Clients {
            connected: 412,
            blocked: 38,
            rejected_connections: 3,
            maxclients: Some(10_000),
        }),
        stats: Some(Stats {
            ops_per_sec: 18_400 + shift * 100,
            total_commands: 9_811_223_004,
            total_connections: 77_120,
            keyspace_hits: 8_100_000,
            keyspace_misses: 1_900_000,
            hit_rate: Some(0.81),
            expired_keys: 400_000 + shift * 30,
            evicted_keys: 120 + shift * 4,
        }),
        persistence: Some(Persistence {
            loading: false,
            aof_enabled: true,
            aof_rewrite_in_progress: false,
            aof_last_write_status: "ok".into(),
            aof_last_bgrewrite_status: "ok".into(),
            rdb_bgsave_in_progress: false,
            rdb_last_bgsave_status: "ok".into(),
            rdb_changes_since_last_save: 8_812,
            rdb_last_save_time: now / 1000 - 300,
            rdb_last_bgsave_time_sec: 4,
            aof_last_rewrite_time_sec: 6,
            aof_current_size: 912_000_000,
            aof_base_size: 640_000_000,
            aof_buffer_length: 0,
            aof_delayed_fsync: 2,
            latest_fork_usec: 41_200,
            appendfsync: Some("everysec".into()),
            save: Some("3600 1 300 100 60 10000".into()),
        }),
        keyspace: vec![KeyspaceDb {
            db: 0,
            keys: 2_311_004,
            expires: 2_100_311,
            avg_ttl_ms: 3_400_000,
        }],
        config: Some(ServerConfig {
            slowlog_log_slower_than_us: Some(10_000),
            slowlog_max_len: Some(128),
            appendonly: Some("yes".into()),
            settings: settings(),
        }),
        streams,
        slowlog: Some(Slowlog {
            len: 128,
            entries: (0..6u64)
                .map(|i| SlowEntry {
                    id: 900 + shift + 5 - i,
                    time: now / 1000 - i * 40,
                    duration_us: 12_000 + i * 7_331,
                    args: vec![
                        b(if i % 2 == 0 { "XRANGE" } else { "EVAL" }),
                        b("webhook_events"),
                        Bytes(vec![0xff, 0x1b, b'[', b'2', b'J']),
                        b(&"x".repeat(90)),
                    ],
                    client_addr: "10.0.7.3:51234".into(),
                    client_name: "webhook-worker-2".into(),
                    node: None,
                })
                .collect(),
        }),
        client_list: Some(ClientList {
            total: 412,
            rows: (0..30u64)
                .map(|i| ClientRow {
                    id: 1000 + i,
                    addr: format!("10.0.7.{}:{}", i % 9, 50_000 + i),
                    name: if i % 3 == 0 {
                        format!("webhook-worker-{i}")
                    } else {
                        String::new()
                    },
                    user: "app_user".into(),
                    age_s: 86_400 - i * 100,
                    idle_s: i * 13 % 600,
                    cmd: if i % 4 == 0 {
                        "xreadgroup".into()
                    } else {
                        "xack".into()
                    },
                    db: 0,
                    flags: if i % 4 == 0 { "b".into() } else { "N".into() },
                    omem: i * 1024 % 9000,
                    tot_mem: 22_000 + i,
                    node: None,
                })
                .collect(),
        }),
        pending_page: Some(PendingPage {
            stream: "webhook_events".into(),
            group: "webhook_workers".into(),
            consumer: None,
            after: "-".into(),
            entries: (0..40u64)
                .map(|i| PendingEntry {
                    id: format!("{}-{i}", NOW_MS - 1_900_000 + i * 1000),
                    consumer: format!("consumer-17950000{:011}", i * 7919 % 100_000).into(),
                    idle_ms: 1_900_000 - i * 45_000,
                    deliveries: 1 + i % 6,
                })
                .collect(),
        }),
        pending_consumers: Some(crate::model::ConsumerTable {
            stream: "webhook_events".into(),
            group: "webhook_workers".into(),
            total: 1412,
            rows: [
                ("worker-3f9a-dead", 20, 1_950_000, 1_950_000),
                ("worker-81c2", 9, 120, 4_000),
                ("worker-0d77", 7, 80, 2_500),
                ("worker-5e10", 2, 40, 900),
                ("worker-9ab4", 0, 15, 15),
            ]
            .into_iter()
            .enumerate()
            .map(
                |(i, (name, pending, idle, inactive))| crate::model::ConsumerRow {
                    name: name.into(),
                    pending,
                    idle_ms: idle,
                    inactive_ms: Some(inactive),
                    oldest_held_id: (pending > 0)
                        .then(|| format!("{}-{i}", NOW_MS - 1_900_000 + i as u64 * 60_000)),
                },
            )
            .collect(),
        }),
        dlq_page: Some(EntryPage {
            stream: "task_events:dlq".into(),
            entries: vec![
                entry(3, "tool execution timed out after 30s"),
                entry(12, "upstream returned 502 Bad Gateway"),
                entry(15_000, "payload validation failed: missing repository.id"),
            ],
        }),
        problems: Vec::new(),
        nodes: Vec::new(),
        deployment: deployment(),
        cluster: None,
        latency: Some(latency(now)),
        advisor: Some(advisor(now)),
        keys: Some(keys(now)),
    }
}

fn latency(now: u64) -> insight::Latency {
    let ev = |event: &str, ago: u64, latest: u64, max: u64| insight::LatencyEvent {
        event: event.into(),
        latest_at: now / 1000 - ago,
        latest_ms: latest,
        max_ms: max,
    };
    insight::Latency {
        threshold_ms: Some(100),
        events: vec![
            ev("command", 42, 180, 950),
            ev("fork", 300, 120, 410),
            ev("aof-fsync-always", 3_600, 104, 104),
        ],
        history: Some((
            "command".into(),
            (0..12u64)
                .map(|i| (now / 1000 - 600 + i * 50, 100 + (i * 37) % 200))
                .collect(),
        )),
        doctor: None,
    }
}

/// The server's settings as CONFIG GET read them (the advisor's list).
fn settings() -> std::collections::BTreeMap<String, String> {
    [
        ("maxmemory", "2147483648"),
        ("maxmemory-policy", "allkeys-lru"),
        ("appendonly", "yes"),
        ("appendfsync", "everysec"),
        ("tcp-keepalive", "300"),
        ("timeout", "0"),
        ("slowlog-log-slower-than", "10000"),
        ("slowlog-max-len", "128"),
        ("maxclients", "10000"),
        ("io-threads", "1"),
        ("protected-mode", "yes"),
        ("bind", "10.0.4.21"),
        ("latency-monitor-threshold", "100"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn advisor(_now: u64) -> insight::Advisor {
    let settings = settings();
    let user = Ok(crate::collect::insight::AclUser {
        on: true,
        nopass: false,
        commands: "+@all -flushall -flushdb".into(),
    });
    let present = vec![
        ("FLUSHALL".to_string(), true),
        ("FLUSHDB".to_string(), true),
        ("CONFIG".to_string(), false),
        ("KEYS".to_string(), true),
        ("DEBUG".to_string(), true),
    ];
    insight::Advisor {
        rows: crate::collect::insight::advise(&settings, Some(&user), Some(&present), true),
        memory_doctor: Some("Sam, I detected a few issues in this Redis instance memory implants:\n\n * High allocator fragmentation: this instance has an allocator external fragmentation greater than 1.1.".into()),
    }
}

fn keys(now: u64) -> insight::KeyFamilies {
    let fam = |prefix: &str,
               kind: &str,
               keys: u64,
               bytes: u64,
               no_ttl: u64,
               ttl: Option<u64>,
               expected: Option<u64>,
               flag: Option<&str>| insight::Family {
        prefix: prefix.into(),
        kind: kind.into(),
        keys,
        estimated_keys: keys * 10,
        share: keys as f64 / 23_110.0,
        sampled: 20,
        sampled_bytes: bytes * 20,
        estimated_bytes: bytes * keys * 10,
        no_ttl,
        expiring_soon: 1,
        ttl_median_ms: ttl,
        ttl_max_ms: ttl.map(|t| t * 2),
        expected_ttl_ms: expected,
        flag: flag.map(String::from),
        types: [("string".to_string(), 20)].into_iter().collect(),
        biggest: vec![insight::BigKey {
            name: format!("{prefix}tenant-7:large").into(),
            kind: "string".into(),
            bytes: bytes * 40,
            ttl_ms: ttl,
        }],
    };
    insight::KeyFamilies {
        complete: false,
        scanned: 23_110,
        dbsize: 2_311_004,
        sampled: 120,
        started_ms: now - 60_000,
        finished_ms: None,
        families: vec![
            fam(
                "emb:",
                "embedding cache",
                9_100,
                6_200,
                0,
                Some(600_000),
                Some(900_000),
                None,
            ),
            fam(
                "webhook:processed:",
                "idempotency",
                8_020,
                120,
                0,
                Some(50_000_000),
                Some(86_400_000),
                None,
            ),
            fam(
                "sess:",
                "sessions",
                3_400,
                900,
                4,
                Some(1_200_000),
                Some(1_800_000),
                Some(
                    "4 of 20 sampled keys have no TTL (sessions keys should expire, expected 30m)",
                ),
            ),
            fam(
                "auth:ratelimit:",
                "rate limits",
                2_100,
                90,
                0,
                Some(40_000),
                None,
                None,
            ),
            fam("orders:", "found", 410, 300, 20, None, None, None),
            fam("(other)", "found", 80, 64, 20, None, None, None),
        ],
    }
}

/// The header facts matching [`snapshot`]: a read-only production profile.
pub fn profile_info() -> crate::ui::app::ProfileInfo {
    crate::ui::app::ProfileInfo {
        elasticache: false,
        name: "production".into(),
        environment: crate::config::Environment::Production,
        endpoint: "10.0.4.21:6379".into(),
        read_only: true,
        claim_min_idle: std::time::Duration::from_secs(60),
        max_retries: 3,
        dlq_ttl: std::time::Duration::from_secs(7 * 86400),
        mode: crate::model::Mode::Sentinel,
        profiles: vec!["production".into(), "staging".into(), "development".into()],
    }
}

/// The example's production deployment: Sentinel behind a bastion, one
/// replica lagging, one sentinel unreachable, a failover 40 minutes ago.
pub fn deployment() -> DeploymentInfo {
    let s = |a: &str, reachable: bool| SentinelView {
        address: a.into(),
        reachable,
        master: reachable.then(|| "10.0.4.21:6379".to_string()),
        agrees: reachable,
        flags: reachable.then(|| "master".to_string()),
        error: (!reachable)
            .then(|| "cannot reach Redis at 10.0.4.33:26379: connection refused".to_string()),
    };
    DeploymentInfo {
        mode: crate::model::Mode::Sentinel,
        master: Some("10.0.4.21:6379".into()),
        master_name: Some("production-master".into()),
        master_since_ms: Some(NOW_MS - 40 * 60_000),
        replicas: vec![
            ReplicaView {
                address: "10.0.4.22:6379".into(),
                link: "ok".into(),
                flags: "slave".into(),
                offset: Some(981_200_100),
                lag_bytes: Some(0),
                lag_s: Some(0),
            },
            ReplicaView {
                address: "10.0.4.23:6379".into(),
                link: "ok".into(),
                flags: "slave".into(),
                offset: Some(980_100_000),
                lag_bytes: Some(1_100_100),
                lag_s: Some(4),
            },
        ],
        sentinels: vec![
            s("10.0.4.31:26379", true),
            s("10.0.4.32:26379", true),
            s("10.0.4.33:26379", false),
        ],
        quorum: Some(2),
        quorum_ok: Some(true),
        failovers: Some(vec![Failover {
            at_ms: NOW_MS - 40 * 60_000,
            from: "10.0.4.23:6379".into(),
            to: "10.0.4.21:6379".into(),
        }]),
        events: vec![SentinelEvent {
            at_ms: NOW_MS - 40 * 60_000 - 3_000,
            event: "+odown".into(),
            detail: "master production-master 10.0.4.23 6379 #quorum 2/2".into(),
        }],
        tunnel: Some(TunnelStatus {
            via: "bastion-prod".into(),
            up: true,
            restarts: 0,
            forwards: vec![
                ("10.0.4.31:26379".into(), "127.0.0.1:40111".into()),
                ("10.0.4.32:26379".into(), "127.0.0.1:40112".into()),
                ("10.0.4.21:6379".into(), "127.0.0.1:40113".into()),
            ],
            last_error: None,
        }),
    }
}
