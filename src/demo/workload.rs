//! The demo workload: the event system of the Redis document, behaving as the
//! field notes say the real one does.
//!
//! - Producers XADD webhook, task and agent events (MAXLEN ~ 100000) at a
//!   configurable rate with periodic bursts.
//! - `webhook_workers` (on webhook_events, from `$`) behaves like the real
//!   worker: a new consumer name per read (`consumer-<nanos>`), failures are
//!   never acknowledged and never re-read, and one worker dies holding a batch.
//! - `task_workers` (on task_events, from `0`) behaves like the document: fixed
//!   consumers, a sweeper that claims entries idle longer than
//!   `claim_min_idle` and retries them, and after `max_retries` deliveries moves
//!   them to `task_events:dlq` with the DLQ metadata, atomically (MULTI).
//! - `agent_messages` has a group that nobody reads for a while (growing lag),
//!   and retracted messages are XDEL'd after the group's position (NULL lag).
//! - Caches (`emb:`, `resp:`, `tool:`, `sess:`) with the document's TTLs,
//!   `rate_limit:` counters, `context:lock:` keys, `processed:` idempotency keys
//!   (24h), and an occasional slow script for SLOWLOG.
//!
//! Every acknowledgment is `MULTI; SET processed:<event_id> EX 86400; XACK; EXEC`,
//! so a message is always exactly one of: undelivered, pending, acknowledged
//! (with its processed key), or dead-lettered. The tests count that.

use crate::config::Profile;
use crate::connect::{self, Node};
use crate::error::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Value;
use std::time::Duration;
use tokio::task::JoinSet;

pub const WEBHOOK_STREAM: &str = "webhook_events";
pub const WEBHOOK_GROUP: &str = "webhook_workers";
pub const TASK_STREAM: &str = "task_events";
pub const TASK_GROUP: &str = "task_workers";
pub const AGENT_STREAM: &str = "agent_messages";
pub const AGENT_GROUP: &str = "agent_workers";
pub const DLQ_SUFFIX: &str = ":dlq";
pub const MAX_LEN: u64 = 100_000;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Events per second across all streams (bursts go 5x above it).
    pub rate: f64,
    pub seed: u64,
    /// Probability that processing a message fails.
    pub failure_rate: f64,
    pub claim_min_idle: Duration,
    pub max_retries: u64,
    /// How long `agent_messages` has no reader.
    pub agent_reader_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rate: 50.0,
            seed: 1,
            failure_rate: 0.08,
            claim_min_idle: Duration::from_secs(5),
            max_retries: 3,
            agent_reader_delay: Duration::from_secs(45),
        }
    }
}

/// The streams and groups the workload creates, as a profile would name them.
pub fn stream_settings(s: &Settings) -> crate::config::StreamSettings {
    use crate::config::{GroupSpec, StreamSettings, StreamSpec};
    let spec = |name: &str, group: &str| StreamSpec {
        name: name.into(),
        groups: vec![GroupSpec { name: group.into() }],
    };
    let defaults = StreamSettings::default();
    StreamSettings {
        streams: vec![
            spec(WEBHOOK_STREAM, WEBHOOK_GROUP),
            spec(TASK_STREAM, TASK_GROUP),
            spec(AGENT_STREAM, AGENT_GROUP),
        ],
        claim_min_idle: s.claim_min_idle,
        dlq: crate::config::DlqSettings {
            max_retries: s.max_retries,
            suffix: DLQ_SUFFIX.into(),
            ..defaults.dlq
        },
        ..defaults
    }
}

const EVENT_TYPES: [&str; 6] = [
    "push",
    "pull_request",
    "issues",
    "issue_comment",
    "workflow_run",
    "release",
];
const REPOS: [&str; 5] = [
    "acme/api",
    "acme/web",
    "acme/infra",
    "devmesh/agent-runtime",
    "devmesh/edge-mcp",
];
const SENDERS: [&str; 5] = ["alice", "bob", "carol", "dependabot[bot]", "renovate[bot]"];
const ERRORS: [&str; 4] = [
    "context deadline exceeded",
    "upstream returned 502 Bad Gateway",
    "payload validation failed: missing repository.id",
    "tool execution timed out after 30s",
];

/// Run the workload until the returned set is dropped or aborted.
pub async fn start(profile: &Profile, settings: Settings) -> Result<JoinSet<()>> {
    let admin = connect::connect_one(profile).await?;
    setup(&admin).await?;
    let mut set = JoinSet::new();
    let mut seed = settings.seed;
    let mut next_rng = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        StdRng::seed_from_u64(seed)
    };
    let named = |name: &'static str| {
        let p = profile.clone();
        async move {
            let c = connect::connect_one(&p).await?;
            let _ = c
                .write::<Value>(redis::cmd("CLIENT").arg("SETNAME").arg(name))
                .await;
            Ok::<Node, crate::error::Failure>(c)
        }
    };
    set.spawn(producer(
        named("producer").await?,
        settings.clone(),
        next_rng(),
    ));
    for (i, name) in ["webhook-worker-1", "webhook-worker-2", "webhook-worker-3"]
        .into_iter()
        .enumerate()
    {
        set.spawn(webhook_worker(
            named(name).await?,
            settings.clone(),
            next_rng(),
            i == 2,
        ));
    }
    for name in ["task-worker-1", "task-worker-2"] {
        set.spawn(task_worker(
            named(name).await?,
            name,
            settings.clone(),
            next_rng(),
        ));
    }
    set.spawn(sweeper(
        named("task-sweeper").await?,
        settings.clone(),
        next_rng(),
    ));
    set.spawn(agent_reader(named("agent-reader").await?, settings.clone()));
    set.spawn(caches(
        named("api-cache").await?,
        settings.clone(),
        next_rng(),
    ));
    set.spawn(slow_scripts(named("report-job").await?, next_rng()));
    Ok(set)
}

async fn q(c: &Node, cmd: &redis::Cmd) -> std::result::Result<Value, crate::connect::NodeError> {
    c.write(cmd).await
}

/// Groups as the document configures them; existing ones are kept.
async fn setup(c: &Node) -> Result<()> {
    for (stream, group, start) in [
        (WEBHOOK_STREAM, WEBHOOK_GROUP, "$"),
        (TASK_STREAM, TASK_GROUP, "0"),
        (AGENT_STREAM, AGENT_GROUP, "0"),
    ] {
        let r = q(
            c,
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(stream)
                .arg(group)
                .arg(start)
                .arg("MKSTREAM"),
        )
        .await;
        if let Err(e) = r
            && e.kind != crate::connect::ErrorKind::BusyGroup
        {
            return Err(crate::error::Failure::runtime(format!(
                "cannot create group {group} on {stream}: {e}"
            )));
        }
    }
    Ok(())
}

fn now_ms() -> u64 {
    crate::time::now_ms()
}

fn event_fields(rng: &mut StdRng, stream: &str) -> Vec<(String, String)> {
    let id: u64 = rng.random();
    let event_type = EVENT_TYPES[rng.random_range(0..EVENT_TYPES.len())];
    let repo = REPOS[rng.random_range(0..REPOS.len())];
    let sender = SENDERS[rng.random_range(0..SENDERS.len())];
    let payload = serde_json::json!({
        "action": if rng.random_bool(0.5) { "opened" } else { "synchronize" },
        "repository": {"full_name": repo, "id": rng.random_range(1000..99999)},
        "sender": {"login": sender},
        "size": rng.random_range(1..5000),
    });
    let metadata =
        serde_json::json!({"source": stream, "delivery": format!("{:08x}", rng.random::<u32>())});
    vec![
        ("event_id".into(), format!("evt_{id:016x}")),
        ("event_type".into(), event_type.into()),
        ("repo_name".into(), repo.into()),
        ("sender_name".into(), sender.into()),
        ("payload".into(), payload.to_string()),
        ("timestamp".into(), now_ms().to_string()),
        ("metadata".into(), metadata.to_string()),
    ]
}

async fn producer(c: Node, s: Settings, mut rng: StdRng) {
    let tick = Duration::from_millis(20);
    let mut owed = 0.0f64;
    let started = tokio::time::Instant::now();
    let mut next_retraction = Duration::from_secs(5);
    loop {
        tokio::time::sleep(tick).await;
        // A burst of 5x for 5s every 30s: the webhook group falls behind.
        let t = started.elapsed().as_secs();
        let burst = if t % 30 >= 25 { 5.0 } else { 1.0 };
        owed += s.rate * burst * tick.as_secs_f64();
        let mut pipe = redis::pipe();
        while owed >= 1.0 {
            owed -= 1.0;
            let roll: f64 = rng.random();
            let stream = if roll < 0.6 {
                WEBHOOK_STREAM
            } else if roll < 0.9 {
                TASK_STREAM
            } else {
                AGENT_STREAM
            };
            let mut cmd = redis::cmd("XADD");
            cmd.arg(stream).arg("MAXLEN").arg("~").arg(MAX_LEN).arg("*");
            for (k, v) in event_fields(&mut rng, stream) {
                cmd.arg(k).arg(v);
            }
            pipe.add_command(cmd);
        }
        // Every 5s a message is retracted: XDEL the newest agent message,
        // past the agent group's position, so its lag becomes NULL.
        if started.elapsed() >= next_retraction {
            next_retraction += Duration::from_secs(5);
            let newest: std::result::Result<Value, crate::connect::NodeError> = q(
                &c,
                redis::cmd("XREVRANGE")
                    .arg(AGENT_STREAM)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1),
            )
            .await;
            if let Ok(Value::Array(items)) = newest
                && let Some(Value::Array(entry)) = items.first()
                && let Some(id) = entry.first().and_then(crate::resp::text)
            {
                pipe.cmd("XDEL").arg(AGENT_STREAM).arg(id);
            }
        }
        if !pipe.is_empty() {
            let _: std::result::Result<Value, crate::connect::NodeError> =
                c.pipeline_all(&pipe).await;
        }
    }
}

/// Entries of an XREADGROUP reply: (id, fields).
fn entries(v: &Value) -> Vec<(String, Vec<(String, String)>)> {
    let text = crate::resp::text;
    let mut out = Vec::new();
    let Value::Array(streams) = v else { return out };
    for st in streams {
        let Value::Array(pair) = st else { continue };
        let Some(Value::Array(items)) = pair.get(1) else {
            continue;
        };
        for item in items {
            let Value::Array(e) = item else { continue };
            let Some(id) = e.first().and_then(text) else {
                continue;
            };
            let fields = match e.get(1) {
                Some(Value::Array(kv)) => kv
                    .chunks(2)
                    .filter_map(|c| Some((text(c.first()?)?, text(c.get(1)?)?)))
                    .collect(),
                _ => Vec::new(),
            };
            out.push((id, fields));
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Acknowledge with the idempotency key, atomically.
async fn ack(c: &Node, stream: &str, group: &str, id: &str, fields: &[(String, String)]) {
    let event_id = field(fields, "event_id").unwrap_or(id);
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("SET")
        .arg(format!("processed:{event_id}"))
        .arg(stream)
        .arg("EX")
        .arg(86_400)
        .ignore()
        .cmd("XACK")
        .arg(stream)
        .arg(group)
        .arg(id)
        .ignore();
    let _: std::result::Result<(), crate::connect::NodeError> = c.pipeline_all(&pipe).await;
}

async fn read_group(
    c: &Node,
    stream: &str,
    group: &str,
    consumer: &str,
    count: u32,
    block_ms: u64,
) -> Vec<(String, Vec<(String, String)>)> {
    let r = q(
        c,
        redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(group)
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(stream)
            .arg(">"),
    )
    .await;
    match r {
        Ok(v) => entries(&v),
        Err(_) => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Vec::new()
        }
    }
}

/// The real worker: a new consumer name per read, failures never acknowledged.
async fn webhook_worker(c: Node, s: Settings, mut rng: StdRng, dies: bool) {
    let started = tokio::time::Instant::now();
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let consumer = format!("consumer-{nanos}");
        // Slower than the producer during bursts: the group falls behind.
        let batch = read_group(&c, WEBHOOK_STREAM, WEBHOOK_GROUP, &consumer, 20, 2000).await;
        if dies && started.elapsed() > Duration::from_secs(8) && !batch.is_empty() {
            // This worker dies holding its batch: stuck work for the on-call engineer.
            let _ = q(
                &c,
                redis::cmd("CLIENT")
                    .arg("SETNAME")
                    .arg("webhook-worker-3-dead"),
            )
            .await;
            std::future::pending::<()>().await;
        }
        for (id, fields) in batch {
            tokio::time::sleep(Duration::from_millis(rng.random_range(2..25))).await;
            if rng.random_bool(s.failure_rate) {
                continue; // failed: stays pending forever, as in the real system
            }
            ack(&c, WEBHOOK_STREAM, WEBHOOK_GROUP, &id, &fields).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The document's worker: fixed consumer name.
async fn task_worker(c: Node, name: &'static str, s: Settings, mut rng: StdRng) {
    loop {
        for (id, fields) in read_group(&c, TASK_STREAM, TASK_GROUP, name, 10, 2000).await {
            tokio::time::sleep(Duration::from_millis(rng.random_range(1..15))).await;
            if !rng.random_bool(s.failure_rate) {
                ack(&c, TASK_STREAM, TASK_GROUP, &id, &fields).await;
            }
        }
    }
}

/// Retries idle task entries; after `max_retries` deliveries moves them to the DLQ.
async fn sweeper(c: Node, s: Settings, mut rng: StdRng) {
    let min_idle = s.claim_min_idle.as_millis() as u64;
    let dlq = format!("{TASK_STREAM}{DLQ_SUFFIX}");
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(Value::Array(rows)) = q(
            &c,
            redis::cmd("XPENDING")
                .arg(TASK_STREAM)
                .arg(TASK_GROUP)
                .arg("IDLE")
                .arg(min_idle)
                .arg("-")
                .arg("+")
                .arg(50),
        )
        .await
        else {
            continue;
        };
        for row in rows {
            let Value::Array(r) = row else { continue };
            let text = crate::resp::text;
            let (Some(id), Some(owner), Some(deliveries)) = (
                r.first().and_then(text),
                r.get(1).and_then(text),
                r.get(3).and_then(crate::resp::int),
            ) else {
                continue;
            };
            // Take ownership first: min-idle guarantees nobody is working on it.
            let claimed = q(
                &c,
                redis::cmd("XCLAIM")
                    .arg(TASK_STREAM)
                    .arg(TASK_GROUP)
                    .arg("task-sweeper")
                    .arg(min_idle)
                    .arg(&id),
            )
            .await;
            let Ok(v) = claimed else { continue };
            let Some((id, fields)) =
                entries(&Value::Array(vec![Value::Array(vec![Value::Nil, v])]))
                    .into_iter()
                    .next()
            else {
                continue; // someone else has it, or it was trimmed
            };
            if deliveries >= s.max_retries {
                let mut cmd = redis::cmd("XADD");
                cmd.arg(&dlq)
                    .arg("*")
                    .arg("original_id")
                    .arg(&id)
                    .arg("original_stream")
                    .arg(TASK_STREAM)
                    .arg("error")
                    .arg(ERRORS[rng.random_range(0..ERRORS.len())])
                    .arg("retry_count")
                    .arg(deliveries)
                    .arg("failed_at")
                    .arg(now_ms() / 1000)
                    .arg("consumer_group")
                    .arg(TASK_GROUP)
                    .arg("consumer_id")
                    .arg(&owner);
                for (k, v) in &fields {
                    cmd.arg(k).arg(v);
                }
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .add_command(cmd)
                    .ignore()
                    .cmd("XACK")
                    .arg(TASK_STREAM)
                    .arg(TASK_GROUP)
                    .arg(&id)
                    .ignore();
                let _: std::result::Result<(), crate::connect::NodeError> =
                    c.pipeline_all(&pipe).await;
            } else if !rng.random_bool(s.failure_rate.max(0.5)) {
                // A retry succeeds only sometimes: poison messages keep failing.
                ack(&c, TASK_STREAM, TASK_GROUP, &id, &fields).await;
            }
        }
    }
}

/// Nobody reads agent_messages at first; then a slow reader catches up.
async fn agent_reader(c: Node, s: Settings) {
    tokio::time::sleep(s.agent_reader_delay).await;
    loop {
        for (id, fields) in
            read_group(&c, AGENT_STREAM, AGENT_GROUP, "agent-reader-1", 3, 1000).await
        {
            ack(&c, AGENT_STREAM, AGENT_GROUP, &id, &fields).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// Caches, sessions, rate limits and locks, with the document's TTLs.
async fn caches(c: Node, s: Settings, mut rng: StdRng) {
    let families: [(&str, u64, u32); 4] = [
        ("emb", 900, 300),
        ("resp", 300, 200),
        ("tool", 600, 40),
        ("sess", 1800, 150),
    ];
    let per_tick = (s.rate / 10.0).clamp(1.0, 200.0) as usize;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut pipe = redis::pipe();
        for _ in 0..per_tick {
            let (prefix, ttl, space) = families[rng.random_range(0..families.len())];
            let key = format!("{prefix}:{:04}", rng.random_range(0..space));
            // Reads mostly hit; a miss fills the cache.
            if rng.random_bool(0.7) {
                pipe.cmd("GET").arg(&key).ignore();
            }
            pipe.cmd("SET")
                .arg(&key)
                .arg(rng.random::<u64>().to_string())
                .arg("EX")
                .arg(ttl)
                .arg("NX")
                .ignore();
        }
        let api_key = format!("key_{:02}", rng.random_range(0..20));
        let window = now_ms() / 60_000;
        let rl = format!("rate_limit:{api_key}:{window}");
        pipe.cmd("INCR")
            .arg(&rl)
            .ignore()
            .cmd("EXPIRE")
            .arg(&rl)
            .arg(120)
            .ignore();
        if rng.random_bool(0.2) {
            let lock = format!("context:lock:{:03}", rng.random_range(0..10));
            pipe.cmd("SET")
                .arg(lock)
                .arg("worker")
                .arg("NX")
                .arg("PX")
                .arg(30_000)
                .ignore();
        }
        let _: std::result::Result<(), crate::connect::NodeError> = c.pipeline_all(&pipe).await;
    }
}

/// A reporting job whose script is slow enough for SLOWLOG.
async fn slow_scripts(c: Node, mut rng: StdRng) {
    let script = "local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + i end return n";
    loop {
        tokio::time::sleep(Duration::from_millis(rng.random_range(2000..6000))).await;
        let _ = q(
            &c,
            redis::cmd("EVAL")
                .arg(script)
                .arg(0)
                .arg(rng.random_range(300_000..1_500_000)),
        )
        .await;
    }
}
