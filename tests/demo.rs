//! `redeye demo`: the workload against a real server, its invariants, and the
//! private server's cleanup.

mod common;

use common::{DemoServer, Home, Server, demo_server, out, pid_alive, wait_gone};
use redis::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn text(v: &Value) -> String {
    redis::from_redis_value_ref::<String>(v).unwrap()
}

fn entries(v: Value) -> Vec<(String, HashMap<String, String>)> {
    redis::from_redis_value::<Vec<(String, HashMap<String, String>)>>(v).unwrap()
}

fn run_workload(srv: &Server, extra: &[&str]) {
    let home = Home::new();
    let addr = srv.addr();
    let mut args = vec!["demo", "--workload-only", "--address", addr.as_str()];
    args.extend_from_slice(extra);
    let o = home.redeye().args(&args).output().unwrap();
    assert!(o.status.success(), "workload failed: {}", out(&o).1);
}

fn is_after(a: &str, b: &str) -> bool {
    let p = |s: &str| {
        let (m, q) = s.split_once('-').unwrap();
        (m.parse::<u64>().unwrap(), q.parse::<u64>().unwrap())
    };
    p(a) > p(b)
}

/// Every message in the stream is exactly one of: undelivered, pending, acknowledged, dead-lettered.
fn check_conservation(srv: &Server, stream: &str, group: &str) -> [usize; 4] {
    let mut c = srv.client();
    let groups: Vec<HashMap<String, Value>> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(stream)
        .query(&mut c)
        .unwrap();
    let g = groups.iter().find(|g| text(&g["name"]) == group).unwrap();
    let last = text(&g["last-delivered-id"]);
    let all = entries(
        redis::cmd("XRANGE")
            .arg(stream)
            .arg("-")
            .arg("+")
            .query(&mut c)
            .unwrap(),
    );
    let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .arg("-")
        .arg("+")
        .arg(1_000_000)
        .query(&mut c)
        .unwrap();
    let pending: HashSet<String> = pending.into_iter().map(|p| p.0).collect();
    let dlq = entries(
        redis::cmd("XRANGE")
            .arg(format!("{stream}:dlq"))
            .arg("-")
            .arg("+")
            .query(&mut c)
            .unwrap(),
    );
    let dead: HashSet<String> = dlq.iter().map(|(_, f)| f["original_id"].clone()).collect();
    let mut counts = [0usize; 4];
    for (id, fields) in &all {
        let event = &fields["event_id"];
        let acked: bool = redis::cmd("EXISTS")
            .arg(format!("processed:{event}"))
            .query(&mut c)
            .unwrap();
        let states = [
            is_after(id, &last),
            pending.contains(id),
            acked,
            dead.contains(id),
        ];
        let n = states.iter().filter(|s| **s).count();
        assert_eq!(
            n, 1,
            "{stream}/{group}: entry {id} is in {states:?} (undelivered, pending, acked, dlq)"
        );
        for (i, s) in states.iter().enumerate() {
            counts[i] += usize::from(*s);
        }
    }
    assert_eq!(counts.iter().sum::<usize>(), all.len());
    counts
}

#[test]
fn workload_builds_every_kind_of_trouble_and_loses_nothing() {
    let srv = Server::builder()
        .conf("slowlog-log-slower-than 1000")
        .start();
    run_workload(
        &srv,
        &[
            "--duration",
            "9s",
            "--seed",
            "7",
            "--rate",
            "150",
            "--failure-rate",
            "0.3",
            "--claim-min-idle",
            "300ms",
            "--agent-reader-delay",
            "4s",
        ],
    );
    let mut c = srv.client();

    // Streams and groups.
    for s in ["webhook_events", "task_events", "agent_messages"] {
        let len: u64 = redis::cmd("XLEN").arg(s).query(&mut c).unwrap();
        assert!(len > 20, "{s} has only {len} entries");
    }
    let entry = &entries(
        redis::cmd("XRANGE")
            .arg("webhook_events")
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1)
            .query(&mut c)
            .unwrap(),
    )[0]
    .1;
    for f in [
        "event_id",
        "event_type",
        "repo_name",
        "sender_name",
        "payload",
        "timestamp",
        "metadata",
    ] {
        assert!(entry.contains_key(f), "webhook entry lacks {f}: {entry:?}");
    }
    serde_json::from_str::<serde_json::Value>(&entry["payload"]).expect("payload is JSON");

    // Conservation, per group. No XDEL/trim happened on these two streams.
    let web = check_conservation(&srv, "webhook_events", "webhook_workers");
    let task = check_conservation(&srv, "task_events", "task_workers");
    assert!(web[1] > 0, "failed webhook messages stay pending: {web:?}");
    assert!(
        web[2] > 0 && task[2] > 0,
        "messages get acknowledged: {web:?} {task:?}"
    );
    assert!(task[3] > 0, "poison task messages reach the DLQ: {task:?}");
    let added: u64 = redis::cmd("XLEN")
        .arg("webhook_events")
        .query(&mut c)
        .unwrap();
    assert_eq!(added as usize, web.iter().sum::<usize>());

    // DLQ entries carry the metadata and the payload.
    let dlq = entries(
        redis::cmd("XRANGE")
            .arg("task_events:dlq")
            .arg("-")
            .arg("+")
            .query(&mut c)
            .unwrap(),
    );
    for (_, f) in &dlq {
        for k in [
            "original_id",
            "original_stream",
            "error",
            "retry_count",
            "failed_at",
            "consumer_group",
            "consumer_id",
            "event_id",
            "payload",
        ] {
            assert!(f.contains_key(k), "DLQ entry lacks {k}: {f:?}");
        }
        assert_eq!(f["original_stream"], "task_events");
        assert!(f["retry_count"].parse::<u64>().unwrap() >= 3);
    }

    // Consumer churn: many consumer names in the webhook group.
    let consumers: Vec<HashMap<String, Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg("webhook_events")
        .arg("webhook_workers")
        .query(&mut c)
        .unwrap();
    assert!(consumers.len() > 20, "only {} consumers", consumers.len());
    assert!(
        consumers
            .iter()
            .all(|c| text(&c["name"]).starts_with("consumer-"))
    );

    // agent_messages: entries were retracted after the group's position (NULL lag can happen).
    let info: HashMap<String, Value> = redis::cmd("XINFO")
        .arg("STREAM")
        .arg("agent_messages")
        .query(&mut c)
        .unwrap();
    assert_ne!(
        text(&info["max-deleted-entry-id"]),
        "0-0",
        "an agent message was XDEL'd"
    );

    // Key families with TTLs.
    for (prefix, max_ttl) in [
        ("processed:", 86_400),
        ("emb:", 900),
        ("resp:", 300),
        ("tool:", 600),
        ("sess:", 1_800),
        ("rate_limit:", 120),
        ("context:lock:", 30),
    ] {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut c)
            .unwrap();
        assert!(!keys.is_empty(), "no {prefix} keys");
        let ttl: i64 = redis::cmd("TTL").arg(&keys[0]).query(&mut c).unwrap();
        assert!(ttl > 0 && ttl <= max_ttl, "{} has TTL {ttl}", keys[0]);
    }

    // Slow commands.
    let slow: u64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut c).unwrap();
    assert!(slow > 0, "no slowlog entries");
}

#[test]
fn same_seed_same_operations() {
    let ids = |seed: &str| {
        let srv = Server::plain();
        run_workload(&srv, &["--duration", "2s", "--seed", seed, "--rate", "100"]);
        let all = entries(
            redis::cmd("XRANGE")
                .arg("webhook_events")
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(40)
                .query(&mut srv.client())
                .unwrap(),
        );
        all.into_iter()
            .map(|(_, f)| f["event_id"].clone())
            .collect::<Vec<_>>()
    };
    let a = ids("7");
    let b = ids("7");
    let n = a.len().min(b.len());
    assert!(n >= 20, "too few events: {n}");
    assert_eq!(a[..n], b[..n]);
    assert_ne!(ids("8")[..20], a[..20]);
}

#[test]
fn workload_refuses_a_non_loopback_address() {
    let home = Home::new();
    let o = home
        .redeye()
        .args(["demo", "--workload-only", "--address", "10.1.2.3:6379"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("loopback"), "{}", out(&o).1);
}

#[test]
fn demo_without_redis_server_says_how_to_install_it() {
    let home = Home::new();
    let o = home
        .redeye()
        .env("PATH", "/nonexistent")
        .args(["demo", "--duration", "1s"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = out(&o);
    assert!(
        err.contains("redis-server is not on PATH") && err.contains("apt-get install redis-server"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn demo_server_and_temp_dir_are_gone_after_sigterm_and_after_duration() {
    use std::io::{BufRead, BufReader};
    for stop in ["sigterm", "duration"] {
        let home = Home::new();
        let bin = assert_cmd::cargo::cargo_bin("redeye");
        let duration = if stop == "sigterm" { "120s" } else { "3s" };
        let mut child = std::process::Command::new(bin)
            .args(["demo", "--print", "--duration", duration, "--rate", "20"])
            .env("HOME", home.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        // "redeye demo: private redis-server on 127.0.0.1:PORT (pid N, data in DIR)"
        let DemoServer { pid, dir } = demo_server(&first);
        assert!(pid_alive(&pid) && dir.exists(), "{first}");
        std::thread::sleep(Duration::from_millis(1500));
        if stop == "sigterm" {
            std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
        }
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let status = child.wait().unwrap();
        assert!(status.success(), "{stop}: {rest:?}");
        assert!(
            wait_gone(&pid, Duration::from_secs(5)),
            "{stop}: redis-server {pid} still runs"
        );
        assert!(!dir.exists(), "{stop}: {} still exists", dir.display());
    }
}

#[test]
fn after_sigkill_the_server_stops_and_the_next_demo_removes_the_dir() {
    use std::io::{BufRead, BufReader};
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let mut child = std::process::Command::new(&bin)
        .args(["demo", "--print", "--duration", "120s", "--rate", "20"])
        .env("HOME", home.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let DemoServer { pid, dir } = demo_server(&first);
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    assert!(
        wait_gone(&pid, Duration::from_secs(10)),
        "redis-server {pid} outlived a SIGKILLed redeye"
    );
    // No destructor ran, so only a sweep removes the dir: the next private server
    // started anywhere (here, or a test running beside this one) does it.
    let o = home
        .redeye()
        .env("TMPDIR", std::env::temp_dir())
        .args(["demo", "--print", "--duration", "1s", "--rate", "5"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(!dir.exists(), "{} was left behind", dir.display());
}
