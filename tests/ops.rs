//! Writes against real servers: the exact resulting state of stream, PEL and
//! DLQ for every operation; min-idle is never violated; read-only,
//! confirmation and ACL refusals; the audit log; and loss-freedom when the
//! process is killed in the middle of a bulk requeue.

mod common;

use common::{Home, READONLY_PASSWORD, Server, code_out, out};
use redis::Value;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

type Entries = Vec<(String, HashMap<String, String>)>;

fn entries(srv: &Server, stream: &str) -> Entries {
    redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .query(&mut srv.client())
        .unwrap()
}

fn pending(srv: &Server, stream: &str, group: &str) -> Vec<(String, String, u64, u64)> {
    redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .arg("-")
        .arg("+")
        .arg(1_000_000)
        .query(&mut srv.client())
        .unwrap()
}

fn xlen(srv: &Server, stream: &str) -> u64 {
    redis::cmd("XLEN")
        .arg(stream)
        .query(&mut srv.client())
        .unwrap()
}

/// `n` entries on `stream`, group `g` created at 0, and `read` of them delivered to `c1`.
fn setup(srv: &Server, stream: &str, n: usize, read: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let v = srv.run(&[
            "XADD",
            stream,
            "*",
            "event_id",
            &format!("e{i}"),
            "payload",
            &format!("{{\"n\":{i}}}"),
        ]);
        ids.push(redis::from_redis_value::<String>(v).unwrap());
    }
    srv.run(&["XGROUP", "CREATE", stream, "g", "0"]);
    if read > 0 {
        srv.run(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            &read.to_string(),
            "STREAMS",
            stream,
            ">",
        ]);
    }
    ids
}

fn redeye(home: &Home, srv: &Server, args: &[&str]) -> (i32, String, String) {
    code_out(
        home.redeye()
            .env("REDIS_ADDR", srv.addr())
            .env("USER", "oncall-test")
            .args(args),
    )
}

fn audit(home: &Home) -> Vec<serde_json::Value> {
    let o = home
        .redeye()
        .args(["audit", "--json", "--tail", "0"])
        .output()
        .unwrap();
    // JSON lines: one record per line.
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn requeue_puts_entries_back_with_the_same_fields_and_acks_the_old() {
    let srv = Server::plain();
    let ids = setup(&srv, "s", 10, 6);
    std::thread::sleep(Duration::from_millis(300));
    let home = Home::new();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "requeue",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[..3].join(","),
            "--min-idle",
            "200ms",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(so.contains("requeued 3"), "{so}");
    let all = entries(&srv, "s");
    assert_eq!(all.len(), 13);
    let tail: Vec<&str> = all[10..]
        .iter()
        .map(|(_, f)| f["event_id"].as_str())
        .collect();
    assert_eq!(
        tail,
        ["e0", "e1", "e2"],
        "same fields, new entries at the tail"
    );
    assert_eq!(all[10].1["payload"], "{\"n\":0}");
    let pel: Vec<String> = pending(&srv, "s", "g").into_iter().map(|p| p.0).collect();
    assert_eq!(
        pel,
        ids[3..6].to_vec(),
        "the old ones are acknowledged, the others untouched"
    );
    let consumers = format!("{:?}", srv.run(&["XINFO", "CONSUMERS", "s", "g"]));
    assert!(
        consumers.contains("c1"),
        "names are readable here: {consumers}"
    );
    assert!(
        !consumers.contains("redeye-requeue"),
        "the helper consumer is removed: {consumers}"
    );
    let a = audit(&home);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["action"], "requeue");
    assert_eq!(a[0]["count"], 3);
    assert_eq!(a[0]["user"], "oncall-test");
    assert_eq!(a[0]["ids"].as_array().unwrap().len(), 3);
}

#[test]
fn claim_never_takes_an_entry_idle_less_than_min_idle() {
    let srv = Server::plain();
    let ids = setup(&srv, "s", 10, 4);
    std::thread::sleep(Duration::from_millis(1200));
    // Two more deliveries now: these are busy (idle ~0).
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c2",
        "COUNT",
        "2",
        "STREAMS",
        "s",
        ">",
    ]);
    let home = Home::new();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "claim",
            "--stream",
            "s",
            "--group",
            "g",
            "--all",
            "--min-idle",
            "1s",
            "--to",
            "oncall-me",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(so.contains("claimed 4"), "{so}");
    let pel = pending(&srv, "s", "g");
    let owners: HashMap<String, String> = pel.iter().map(|p| (p.0.clone(), p.1.clone())).collect();
    for id in &ids[..4] {
        assert_eq!(owners[id], "oncall-me");
    }
    for id in &ids[4..6] {
        assert_eq!(owners[id], "c2", "a busy entry was stolen");
    }
    // Explicit ids: the busy ones are skipped, not taken.
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "claim",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[4..6].join(","),
            "--min-idle",
            "1s",
            "--to",
            "x",
            "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("claimed 0") && so.contains("skipped 2"), "{so}");
}

#[test]
fn dead_letter_moves_poison_messages_with_metadata_and_acks_them() {
    let srv = Server::plain();
    let ids = setup(&srv, "s", 6, 6);
    // ids[0..2] delivered 5 times (poison), the rest once.
    for _ in 0..4 {
        srv.run(&["XCLAIM", "s", "g", "c1", "0", &ids[0], &ids[1]]);
    }
    std::thread::sleep(Duration::from_millis(300));
    let home = Home::new();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "dead-letter",
            "--stream",
            "s",
            "--group",
            "g",
            "--all",
            "--min-idle",
            "200ms",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(so.contains("moved 2"), "{so}");
    let dlq = entries(&srv, "s:dlq");
    assert_eq!(dlq.len(), 2);
    let f = &dlq[0].1;
    assert_eq!(f["original_id"], ids[0]);
    assert_eq!(f["original_stream"], "s");
    assert_eq!(f["error"], "moved by redeye: poison message");
    assert_eq!(f["retry_count"], "5");
    assert_eq!(f["consumer_group"], "g");
    assert_eq!(f["consumer_id"], "c1");
    assert!(f["failed_at"].parse::<u64>().unwrap() > 1_700_000_000);
    assert_eq!(f["event_id"], "e0");
    assert_eq!(f["payload"], "{\"n\":0}");
    let pel: HashSet<String> = pending(&srv, "s", "g").into_iter().map(|p| p.0).collect();
    assert_eq!(pel, ids[2..].iter().cloned().collect());
    assert_eq!(xlen(&srv, "s"), 6, "the source stream keeps its entries");
}

#[test]
fn ack_and_dlq_requeue_delete_purge() {
    let srv = Server::plain();
    let ids = setup(&srv, "s", 4, 4);
    let home = Home::new();
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "ack", "--stream", "s", "--group", "g", "--ids", &ids[0], "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("acked 1"));
    assert_eq!(pending(&srv, "s", "g").len(), 3);
    // The audit log and its directory are the user's only (0600 / 0700).
    {
        use std::os::unix::fs::PermissionsExt;
        let log = home.dir.path().join("xdg-data/redeye/audit.log");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(log.parent().unwrap()), 0o700);
    }

    // DLQ as the real system writes it: payload under `event`, metadata beside it.
    // One from 1970 first: it is expired for any TTL.
    srv.run(&[
        "XADD",
        "webhook:events:dlq",
        "1000-0",
        "original_id",
        "2-0",
        "event",
        "{\"old\":true}",
    ]);
    for i in 0..5 {
        srv.run(&[
            "XADD",
            "webhook:events:dlq",
            "*",
            "original_id",
            "1-0",
            "original_stream",
            "webhook:events",
            "error",
            "boom",
            "retry_count",
            "3",
            "failed_at",
            "1700000000",
            "consumer_group",
            "webhook-consumers",
            "consumer_id",
            "consumer-1",
            "event",
            &format!("{{\"id\":{i}}}"),
        ]);
    }
    let dlq_ids: Vec<String> = entries(&srv, "webhook:events:dlq")
        .into_iter()
        .map(|e| e.0)
        .collect();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "webhook:events:dlq",
            "--ids",
            &format!("{},{},9-9", dlq_ids[2], dlq_ids[3]),
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(
        so.contains("requeued 2") && so.contains("missing 1"),
        "{so}"
    );
    let back = entries(&srv, "webhook:events");
    assert_eq!(back.len(), 2);
    assert_eq!(
        back[0].1.len(),
        1,
        "only the payload field is restored: {:?}",
        back[0].1
    );
    assert_eq!(back[0].1["event"], "{\"id\":1}");
    assert_eq!(xlen(&srv, "webhook:events:dlq"), 4);

    // Purge the expired one (id 1000-0 is from 1970).
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "purge-expired",
            "--dlq",
            "webhook:events:dlq",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("would 1"), "{so}");
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "purge-expired",
            "--dlq",
            "webhook:events:dlq",
            "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("purged 1"), "{so}");
    let left: Vec<String> = entries(&srv, "webhook:events:dlq")
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(left.len(), 3);
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "delete",
            "--dlq",
            "webhook:events:dlq",
            "--ids",
            &left[0],
            "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("deleted 1"));
    // --all requeues what is left.
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "webhook:events:dlq",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("requeued 2"), "{so}");
    assert_eq!(xlen(&srv, "webhook:events:dlq"), 0);
    assert_eq!(xlen(&srv, "webhook:events"), 4);
    let actions: Vec<String> = audit(&home)
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "ack",
            "dlq-requeue",
            "dlq-purge-expired",
            "dlq-delete",
            "dlq-requeue"
        ],
        "dry runs are not audited"
    );
}

#[test]
fn prune_never_deletes_a_consumer_holding_entries() {
    let srv = Server::plain();
    setup(&srv, "s", 3, 2);
    for c in ["consumer-1", "consumer-2", "consumer-3"] {
        srv.run(&["XGROUP", "CREATECONSUMER", "s", "g", c]);
    }
    std::thread::sleep(Duration::from_millis(300));
    let home = Home::new();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "consumers",
            "prune",
            "--stream",
            "s",
            "--group",
            "g",
            "--idle",
            "100ms",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(so.contains("deleted 3"), "{so}");
    let consumers: Vec<HashMap<String, Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg("s")
        .arg("g")
        .query(&mut srv.client())
        .unwrap();
    assert_eq!(consumers.len(), 1);
    assert_eq!(
        pending(&srv, "s", "g").len(),
        2,
        "c1 and its entries are kept"
    );
}

#[test]
fn read_only_and_unconfirmed_writes_are_refused_and_change_nothing() {
    let srv = Server::plain();
    let ids = setup(&srv, "s", 3, 3);
    let home = Home::new();
    // A profile from the file is read-only unless it says otherwise.
    let cfg = home.config(&format!(
        "profiles:\n  prod:\n    redis:\n      address: {}\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "prod",
            "ack",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[0],
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).1.contains("read-only"), "{}", out(&o).1);
    // --read-only on a writable (loopback zero-config) target.
    let (code, _, se) = redeye(
        &home,
        &srv,
        &[
            "--read-only",
            "ack",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[0],
            "--yes",
        ],
    );
    assert_eq!(code, 2);
    assert!(se.contains("read-only"), "{se}");
    // A dry run is allowed on a read-only profile: it writes nothing.
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "--read-only",
            "ack",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[0],
            "--dry-run",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("would 1"));
    // No --yes and no terminal: refused.
    let (code, _, se) = redeye(
        &home,
        &srv,
        &["ack", "--stream", "s", "--group", "g", "--ids", &ids[0]],
    );
    assert_eq!(code, 2);
    assert!(se.contains("--yes") && se.contains("ACKNOWLEDGE 1"), "{se}");
    assert_eq!(pending(&srv, "s", "g").len(), 3);
    assert!(audit(&home).is_empty());
}

#[test]
fn a_user_without_the_commands_is_told_before_anything_changes() {
    let srv = Server::builder().password().acl_users().start();
    let ids = setup(&srv, "s", 3, 3);
    let home = Home::new();
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .env("REDIS_USERNAME", "readonly_user")
        .env("REDIS_PASSWORD", READONLY_PASSWORD)
        .args([
            "claim",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            &ids[0],
            "--min-idle",
            "0s",
            "--to",
            "x",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = out(&o);
    assert!(
        err.contains("not permitted for user readonly_user: XCLAIM"),
        "{err}"
    );
    assert!(!err.contains(READONLY_PASSWORD));
    assert_eq!(pending(&srv, "s", "g")[0].1, "c1");
    let log = std::fs::read_to_string(home.dir.path().join("xdg-data/redeye/audit.log"))
        .unwrap_or_default();
    assert!(
        !log.contains(READONLY_PASSWORD),
        "the audit log holds a secret"
    );
}

#[test]
fn sigkill_in_the_middle_of_a_bulk_dlq_requeue_loses_and_duplicates_nothing() {
    const N: usize = 100_000;
    let srv = Server::plain();
    fill_dlq(&srv, N);
    assert_eq!(xlen(&srv, "jobs:dlq"), N as u64);
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let mut child = std::process::Command::new(bin)
        .args(["dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes"])
        .env("REDIS_ADDR", srv.addr())
        .env("HOME", home.dir.path())
        .env("XDG_DATA_HOME", home.dir.path().join("xdg-data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once part of the work is done.
    let deadline = Instant::now() + Duration::from_secs(30);
    while xlen(&srv, "jobs") < 5_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let moved = xlen(&srv, "jobs");
    let left = xlen(&srv, "jobs:dlq");
    assert!(
        moved > 0 && left > 0,
        "the kill must land mid-way (moved {moved}, left {left})"
    );
    let ids = |stream: &str| -> HashSet<String> {
        entries(&srv, stream)
            .into_iter()
            .map(|(_, f)| f["event_id"].clone())
            .collect()
    };
    let a = ids("jobs");
    let b = ids("jobs:dlq");
    assert_eq!(a.len() as u64, moved, "no duplicate on the target");
    assert!(a.is_disjoint(&b), "a message is in both places");
    assert_eq!(
        a.len() + b.len(),
        N,
        "every message exactly once across source and DLQ"
    );
}

fn fill_dlq(srv: &Server, n: usize) {
    let mut c = srv.client();
    for start in (0..n).step_by(10_000) {
        let mut p = redis::pipe();
        for i in start..(start + 10_000).min(n) {
            p.cmd("XADD")
                .arg("jobs:dlq")
                .arg("*")
                .arg("original_id")
                .arg("1-0")
                .arg("original_stream")
                .arg("jobs")
                .arg("error")
                .arg("x")
                .arg("event_id")
                .arg(format!("e{i}"))
                .ignore();
        }
        p.query::<()>(&mut c).unwrap();
    }
}

#[test]
fn a_cut_connection_in_the_middle_of_a_bulk_requeue_loses_and_duplicates_nothing() {
    interrupted_bulk_requeue(100_000, None, |srv, _| {
        // Cut every client connection but ours.
        redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .exec(&mut srv.client())
            .unwrap();
    });
}

/// The fault-injection proxy cuts a script's reply half-way: the batch was
/// applied on the server, redeye cannot know it, and says so.
#[test]
fn a_reply_truncated_in_the_middle_of_a_bulk_requeue_loses_and_duplicates_nothing() {
    let srv = Server::plain();
    let proxy = common::proxy::Proxy::start(&srv.addr(), Duration::ZERO);
    interrupted_bulk_requeue(50_000, Some((srv, &proxy)), |_, p| {
        p.unwrap().truncate_next_reply()
    });
}

/// Start `dlq requeue --all` of `n` entries (through the proxy if given),
/// inject `fault` once 5,000 moved, and check every message is exactly once,
/// the exit code and message, and the audit record.
fn interrupted_bulk_requeue(
    n: usize,
    via: Option<(Server, &common::proxy::Proxy)>,
    fault: impl FnOnce(&Server, Option<&common::proxy::Proxy>),
) {
    let (srv, proxy) = match via {
        Some((s, p)) => (s, Some(p)),
        None => (Server::plain(), None),
    };
    let addr = proxy.map(|p| p.addr()).unwrap_or_else(|| srv.addr());
    fill_dlq(&srv, n);
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let child = std::process::Command::new(bin)
        .args(["dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes"])
        .env("REDIS_ADDR", &addr)
        .env("HOME", home.dir.path())
        .env("XDG_DATA_HOME", home.dir.path().join("xdg-data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while xlen(&srv, "jobs") < 5_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    fault(&srv, proxy);
    let o = child.wait_with_output().unwrap();
    let moved = xlen(&srv, "jobs");
    let left = xlen(&srv, "jobs:dlq");
    assert!(!o.status.success(), "redeye must report the fault");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        left > 0,
        "the fault must land mid-way (moved {moved}, left {left})"
    );
    let ids = |stream: &str| -> HashSet<String> {
        entries(&srv, stream)
            .into_iter()
            .map(|(_, f)| f["event_id"].clone())
            .collect()
    };
    let (a, b) = (ids("jobs"), ids("jobs:dlq"));
    assert_eq!(a.len() as u64, moved);
    assert!(a.is_disjoint(&b));
    assert_eq!(a.len() + b.len(), n);
    // The stopped run is in the audit log with the batches it confirmed;
    // the batch in flight when the fault hit may have been applied.
    let log = std::fs::read_to_string(home.dir.path().join("xdg-data/redeye/audit.log")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert!(
        rec["result"].as_str().unwrap().starts_with("stopped:"),
        "{log}"
    );
    let count = rec["count"].as_u64().unwrap();
    assert!(
        count <= moved && moved <= count + 500,
        "audited {count}, moved {moved}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("may or may not have been applied"), "{err}");
}

#[test]
fn dlq_requeue_older_than_leaves_the_recent_ones() {
    let srv = Server::plain();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    for (i, age_ms) in [7_200_000u64, 3_600_000, 60_000, 1_000].iter().enumerate() {
        srv.run(&[
            "XADD",
            "jobs:dlq",
            &format!("{}-0", now - age_ms),
            "original_stream",
            "jobs",
            "event_id",
            &format!("e{i}"),
        ]);
    }
    let home = Home::new();
    let (code, so, _) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "jobs:dlq",
            "--older-than",
            "30m",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0);
    assert!(so.contains("would 2"), "{so}");
    let (code, so, se) = redeye(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "jobs:dlq",
            "--older-than",
            "30m",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{se}");
    assert!(so.contains("requeued 2"), "{so}");
    let left: Vec<String> = entries(&srv, "jobs:dlq")
        .into_iter()
        .map(|(_, f)| f["event_id"].clone())
        .collect();
    assert_eq!(left, ["e2", "e3"]);
}

#[tokio::test]
async fn dashboard_write_ops_run_against_a_real_server_and_are_audited() {
    use redeye::config::{Endpoint, Origin, Profile};
    use redeye::ui::write::WriteOp;
    let srv = Server::plain();
    for i in 0..3 {
        srv.run(&[
            "XADD",
            "jobs:dlq",
            "*",
            "original_stream",
            "jobs",
            "event_id",
            &format!("e{i}"),
        ]);
    }
    let home = Home::new();
    home.own_data_dir();
    let p = Profile::local(
        "t",
        Origin::ZeroConfig,
        Endpoint::parse(&srv.addr()).unwrap(),
    );
    let op = WriteOp::DlqRequeueAll {
        dlq: "jobs:dlq".into(),
        target: "jobs".into(),
        count: 3,
    };
    let out = op.run(&p).await.unwrap();
    assert_eq!(out.counts["requeued"], 3);
    assert_eq!(xlen(&srv, "jobs:dlq"), 0);
    assert_eq!(xlen(&srv, "jobs"), 3);
    let mut ro = p.clone();
    ro.read_only = true;
    assert!(
        op.run(&ro)
            .await
            .unwrap_err()
            .to_string()
            .contains("read-only")
    );
    let log = std::fs::read_to_string(home.dir.path().join("xdg-data/redeye/audit.log")).unwrap();
    assert!(log.contains("\"action\":\"dlq-requeue\""), "{log}");
}

/// A write that could not be recorded is not made: the audit log is checked
/// before the first write (here it cannot be opened: it is a directory).
#[test]
fn a_write_is_refused_before_it_is_made_when_the_audit_log_cannot_be_written() {
    let srv = Server::plain();
    let ids = setup(&srv, "jobs", 3, 3);
    let home = Home::new();
    std::fs::create_dir_all(home.dir.path().join("xdg-data/redeye/audit.log")).unwrap();
    let (code, _, se) = redeye(
        &home,
        &srv,
        &[
            "requeue",
            "--stream",
            "jobs",
            "--group",
            "g",
            "--ids",
            &ids[0],
            "--min-idle",
            "0s",
            "--yes",
        ],
    );
    assert_eq!(code, 1, "{se}");
    assert!(
        se.contains("audit log") && se.contains("nothing was changed"),
        "{se}"
    );
    assert_eq!(xlen(&srv, "jobs"), 3, "nothing added");
    assert_eq!(pending(&srv, "jobs", "g").len(), 3, "nothing acknowledged");
}

/// timeouts.write bounds a write on its own (reads keep timeouts.read), and
/// the message says the write may or may not have been applied.
#[test]
fn timeouts_write_is_enforced_and_says_what_it_means() {
    let srv = Server::plain();
    let ids = setup(&srv, "jobs", 2, 2);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  t:\n    read_only: false\n    redis:\n      address: {}\n      timeouts: {{read: 5s, write: 300ms}}\n",
        srv.addr()
    ));
    // Writes (XACK) wait while the server pauses writes; reads go on.
    srv.run(&["CLIENT", "PAUSE", "3000", "WRITE"]);
    let started = Instant::now();
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "t"])
        .args([
            "ack", "--stream", "jobs", "--group", "g", "--ids", &ids[0], "--yes",
        ])
        .output()
        .unwrap();
    let (_, se) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{se}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "gave up after timeouts.write, not the pause: {:?}",
        started.elapsed()
    );
    assert!(
        se.contains("timeouts.write") && se.contains("may or may not"),
        "{se}"
    );
    srv.run(&["CLIENT", "UNPAUSE"]);
}

/// Bulk requeue of the DLQ's oldest entries removes each batch with one
/// XTRIM MINID (not an XDEL per entry), and only what it copied: newer
/// dead letters stay.
#[test]
fn a_bulk_requeue_of_the_oldest_removes_them_with_xtrim_and_keeps_the_rest() {
    let srv = Server::plain();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut c = srv.client();
    let mut p = redis::pipe();
    // 1,200 entries two hours old (three batches), 5 from now.
    for i in 0..1200u64 {
        p.cmd("XADD")
            .arg("jobs:dlq")
            .arg(format!("{}-{i}", now - 7_200_000))
            .arg("original_stream")
            .arg("jobs")
            .arg("original_id")
            .arg("1-0")
            .arg("event_id")
            .arg(format!("old{i}"))
            .ignore();
    }
    for i in 0..5u64 {
        p.cmd("XADD")
            .arg("jobs:dlq")
            .arg(format!("{now}-{i}"))
            .arg("original_stream")
            .arg("jobs")
            .arg("original_id")
            .arg("1-0")
            .arg("event_id")
            .arg(format!("new{i}"))
            .ignore();
    }
    p.query::<()>(&mut c).unwrap();
    srv.run(&["CONFIG", "RESETSTAT"]);
    let home = Home::new();
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .args([
            "dlq",
            "requeue",
            "--dlq",
            "jobs:dlq",
            "--older-than",
            "1h",
            "--yes",
        ])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{so}{se}");
    assert_eq!(xlen(&srv, "jobs"), 1200);
    let left: Vec<String> = entries(&srv, "jobs:dlq")
        .into_iter()
        .map(|(_, f)| f["event_id"].clone())
        .collect();
    assert_eq!(left, ["new0", "new1", "new2", "new3", "new4"]);
    let stats = match srv.run(&["INFO", "commandstats"]) {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        other => format!("{other:?}"),
    };
    assert!(stats.contains("cmdstat_xtrim:calls=3,"), "{stats}");
    assert!(
        !stats.contains("cmdstat_xdel:"),
        "no XDEL per entry: {stats}"
    );
}

/// Ctrl-C (SIGINT) in the middle of a 100,000-entry requeue: it stops
/// between batches, prints and audits the count so far, exits 130, and
/// every message is in exactly one place. Without a terminal, progress is
/// a plain line every 2 s.
#[test]
fn sigint_stops_a_bulk_requeue_between_batches_with_its_counts() {
    const N: usize = 100_000;
    let srv = Server::plain();
    fill_dlq(&srv, N);
    let home = Home::new();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("redeye"))
        .args([
            "dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes", "--json",
        ])
        .env("REDIS_ADDR", srv.addr())
        .env("HOME", home.dir.path())
        .env("XDG_DATA_HOME", home.dir.path().join("xdg-data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while xlen(&srv, "jobs") < 2_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let o = child.wait_with_output().unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(130), "{so}{se}");
    assert!(
        se.contains("interrupted after") && se.contains("Ctrl-C"),
        "{se}"
    );
    let moved = xlen(&srv, "jobs");
    let left = xlen(&srv, "jobs:dlq");
    assert!(left > 0, "it stopped part-way (moved {moved})");
    assert_eq!(moved + left, N as u64, "every message exactly once");
    let printed: serde_json::Value = serde_json::from_str(&so).unwrap();
    assert_eq!(printed["counts"]["requeued"].as_u64(), Some(moved), "{so}");
    let log = std::fs::read_to_string(home.dir.path().join("xdg-data/redeye/audit.log")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(rec["count"].as_u64(), Some(moved), "{rec}");
    assert!(
        rec["result"].as_str().unwrap().contains("interrupted"),
        "{rec}"
    );
}

#[test]
fn progress_is_a_plain_line_without_a_terminal_and_nothing_with_quiet() {
    let srv = Server::plain();
    fill_dlq(&srv, 5_000);
    let home = Home::new();
    let run = |extra: &[&str], dlq: &str| {
        let o = home
            .redeye()
            .env("REDIS_ADDR", srv.addr())
            .args(["dlq", "requeue", "--dlq", dlq, "--all", "--yes", "--force"])
            .args(extra)
            .output()
            .unwrap();
        let (so, se) = out(&o);
        assert_eq!(o.status.code(), Some(0), "{so}{se}");
        se
    };
    let se = run(&[], "jobs:dlq");
    assert!(
        se.contains("done of 5000") && se.contains("5000 done in"),
        "{se}"
    );
    fill_dlq(&srv, 5_000);
    let se = run(&["--quiet"], "jobs:dlq");
    assert!(!se.contains("done of"), "{se}");
}

/// A typo is an error naming what exists, never a success: a DLQ that is
/// not there, a stream that is not there, a group the stream does not have.
#[test]
fn a_missing_dlq_stream_or_group_is_an_error_naming_what_exists() {
    let srv = Server::plain();
    setup(&srv, "webhook_events", 3, 1);
    srv.run(&["XADD", "webhook_events:dlq", "*", "f", "v"]);
    let home = Home::new();
    let (code, so, se) = redeye(
        &home,
        &srv,
        &["dlq", "requeue", "--dlq", "nosuch:dlq", "--all", "--yes"],
    );
    assert_eq!(code, 1, "{so}{se}");
    assert!(
        se.contains("there is no DLQ nosuch:dlq") && se.contains("webhook_events:dlq"),
        "{se}"
    );
    let (code, _, se) = redeye(
        &home,
        &srv,
        &[
            "requeue",
            "--stream",
            "webhook_events",
            "--group",
            "nosuch",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(code, 1, "{se}");
    assert!(
        se.contains("stream webhook_events has no consumer group nosuch; its groups: g"),
        "{se}"
    );
    assert!(!se.contains("NOGROUP"), "{se}");
    let (code, _, se) = redeye(
        &home,
        &srv,
        &[
            "claim",
            "--stream",
            "webhook_evnets",
            "--group",
            "g",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(code, 1, "{se}");
    assert!(
        se.contains("there is no stream webhook_evnets") && se.contains("webhook_events"),
        "{se}"
    );
    // Nothing was written; each refusal is on record as an error with
    // nothing done.
    let recs = audit(&home);
    assert_eq!(recs.len(), 3, "{recs:?}");
    for r in &recs {
        assert!(
            r["result"]
                .as_str()
                .unwrap()
                .starts_with("error: there is no")
                || r["result"]
                    .as_str()
                    .unwrap()
                    .contains("has no consumer group"),
            "{r}"
        );
        assert_eq!(r["count"], 0, "{r}");
    }
}
