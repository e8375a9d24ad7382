//! Redis Cluster against a real six-node cluster the tests create (three
//! primaries, three replicas): discovery, one round trip per node, the
//! aggregates against each node's own INFO, streams read on their owners,
//! operations routed to the owning node, failover and resharding followed.

mod common;

use common::net::{ClusterSet, Spot, cluster_ports};
use common::{Home, code_out, out, profile_from, snapshot_where};
use std::time::Duration;

/// The dashboard's collector on `set` (profile `c`, [`STREAMS`]), once
/// every stream has been read; the home holds the profile file.
async fn watching(
    set: &ClusterSet,
) -> (
    Home,
    redeye::connect::Link,
    redeye::collect::collector::Handle,
) {
    let home = Home::new();
    let cfg = home.config(&yaml(set, &STREAMS, ""));
    let profile = profile_from(&cfg, "c");
    let link = redeye::connect::Link::open_with(&profile, false)
        .await
        .unwrap();
    let mut h = redeye::collect::collector::spawn_on(
        link.clone(),
        redeye::collect::collector::Limits::default(),
    );
    snapshot_where(&mut h, Duration::from_secs(10), |s| {
        s.streams.iter().all(|x| x.exists)
    })
    .await;
    (home, link, h)
}

/// The streams the partial-cluster tests spread over the primaries.
const STREAMS: [&str; 6] = ["orders", "payments", "emails", "s1", "s2", "s3"];

/// Six nodes that never fail over and serve what they can while a primary
/// is down (`cluster-require-full-coverage no`), `more` config lines beside,
/// each of [`STREAMS`] holding one entry.
fn without_failover(more: &[&str]) -> ClusterSet {
    let mut extra = vec![
        "cluster-require-full-coverage no".to_string(),
        "cluster-replica-no-failover yes".to_string(),
    ];
    extra.extend(more.iter().map(|s| s.to_string()));
    let set = ClusterSet::start_with(Spot::host(), &cluster_ports(6), &extra);
    for s in STREAMS {
        set.cli(&["XADD", s, "*", "n", "1"]);
    }
    set
}

fn yaml(set: &ClusterSet, streams: &[&str], extra: &str) -> String {
    let list: String = streams
        .iter()
        .map(|s| format!("        \"{s}\": \"{s}\"\n"))
        .collect();
    format!(
        "profiles:\n  c:\n    read_only: false\n{extra}    redis:\n      cluster:\n        enabled: true\n        addresses: [{}]\n      streams:\n{list}        consumer_groups:\n          billing: {{stream: \"{}\"}}\n",
        set.seeds(),
        streams[0]
    )
}

fn snapshot(home: &Home, cfg: &std::path::Path) -> serde_json::Value {
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "c",
            "snapshot",
            "--sample",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn info_field(set: &ClusterSet, port: u16, field: &str) -> u64 {
    set.spot
        .cli(port, &["INFO"])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn one_round_trip_per_primary_and_the_sums_match_each_nodes_info() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    // Streams spread over the three primaries; two share a hash tag.
    let streams = [
        "orders",
        "payments",
        "emails",
        "{orders}:audit",
        "s1",
        "s2",
        "s3",
    ];
    for s in &streams {
        for i in 0..3 {
            set.cli(&["XADD", s, "*", "n", &i.to_string()]);
        }
    }
    set.cli(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    set.cli(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "w1",
        "COUNT",
        "2",
        "STREAMS",
        "orders",
        ">",
    ]);
    set.cli(&[
        "XADD",
        "orders:dlq",
        "*",
        "original_id",
        "1-1",
        "original_stream",
        "orders",
    ]);
    for i in 0..50 {
        set.cli(&["SET", &format!("k{i}"), "v"]);
    }
    let owners: std::collections::BTreeSet<u16> = streams.iter().map(|s| set.owner(s)).collect();
    assert_eq!(
        owners.len(),
        3,
        "the test streams should span every primary"
    );

    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    // Each node's memory just before the poll (it moves: client and
    // replication buffers), to bracket the poll's figure with.
    let before: std::collections::BTreeMap<u16, u64> = set
        .ports
        .iter()
        .map(|p| (*p, info_field(&set, *p, "used_memory")))
        .collect();
    let v = snapshot(&home, &cfg);
    assert_eq!(v["mode"], "cluster");
    assert_eq!(v["round_trips"], 3, "one per primary");
    assert_eq!(v["nodes"].as_array().unwrap().len(), 3);
    let c = &v["cluster"];
    assert_eq!(c["state"], "ok");
    assert_eq!(c["slots_ok"], 16384);
    assert_eq!(c["nodes"].as_array().unwrap().len(), 6);
    assert_eq!(c["nodes_up"], 6);

    // The oracle: each primary's own INFO, summed.
    let primaries: Vec<u16> = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["role"] == "primary")
        .map(|n| {
            n["address"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(primaries.len(), 3);
    let keys: u64 = primaries
        .iter()
        .map(|p| set.spot.cli(*p, &["DBSIZE"]).parse::<u64>().unwrap())
        .sum();
    assert_eq!(v["keyspace"][0]["keys"], keys);
    assert_eq!(keys, 7 + 1 + 50);
    // Memory moves between two reads; the sum must be exactly the sum of
    // the per-node figures, and each of those within the node's own INFO
    // read just before and just after the poll (15% slack either side).
    let per_node: Vec<(u16, u64)> = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["role"] == "primary")
        .map(|n| {
            let port = n["address"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (port, n["used_memory"].as_u64().unwrap())
        })
        .collect();
    let seen = v["memory"]["used_bytes"].as_u64().unwrap();
    assert_eq!(seen, per_node.iter().map(|(_, m)| m).sum::<u64>());
    for (port, m) in per_node {
        let now = info_field(&set, port, "used_memory");
        let then = before[&port];
        let (lo, hi) = (then.min(now) as f64 * 0.85, then.max(now) as f64 * 1.15);
        assert!(
            (lo..=hi).contains(&(m as f64)),
            "node {port}: used_memory {m} in the snapshot, {then} before it, {now} after"
        );
    }
    let clients: u64 = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["clients"].as_u64())
        .sum();
    assert_eq!(v["clients"]["connected"], clients);
    let total_cmds: u64 = primaries
        .iter()
        .map(|p| info_field(&set, *p, "total_commands_processed"))
        .sum();
    let seen_cmds = v["stats"]["total_commands"].as_u64().unwrap();
    assert!(
        // The poll's own commands (a script counts with the commands it runs)
        // and the per-node INFO calls land between the two reads.
        seen_cmds <= total_cmds && seen_cmds + 200 > total_cmds,
        "{seen_cmds} vs {total_cmds}"
    );

    // Each stream read on its owner.
    let stream = |name: &str| {
        v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    for s in &streams {
        assert_eq!(stream(s)["exists"], true, "{s}");
        assert_eq!(stream(s)["length"], 3, "{s}");
    }
    let orders = stream("orders");
    let g = &orders["groups"][0];
    assert_eq!(g["name"], "billing");
    assert_eq!(g["pending"], 2);
    assert_eq!(g["lag"], 1);
    // orders:dlq lives on another slot than orders; read on its owner.
    assert_ne!(set.owner("orders"), set.owner("orders:dlq"));
    assert_eq!(orders["dlq"]["length"], 1);
    assert!(
        v["problems"].as_array().unwrap().is_empty(),
        "{}",
        v["problems"]
    );
}

fn length_of(s: &redeye::model::Snapshot, name: &str) -> Option<u64> {
    s.streams
        .iter()
        .find(|x| x.name == name && x.exists)
        .map(|x| x.length)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_primary_and_a_resharding_are_followed_while_polling() {
    use redeye::collect::collector::{Limits, spawn_on};
    let mut set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let streams = ["orders", "payments", "emails"];
    for s in &streams {
        for i in 0..3 {
            set.cli(&["XADD", s, "*", "n", &i.to_string()]);
        }
    }
    // Every primary's replica has the entries (WAIT would cover only the
    // one node redis-cli -c happens to talk to).
    set.wait_replicated();
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let profile = profile_from(&cfg, "c");
    let link = redeye::connect::Link::open_with(&profile, false)
        .await
        .unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    snapshot_where(&mut h, Duration::from_secs(10), |s| {
        streams.iter().all(|n| length_of(s, n) == Some(3))
    })
    .await;

    // Kill the primary owning `orders`: its replica takes over.
    let victim = set.owner("orders");
    set.kill(victim);
    let snap = snapshot_where(&mut h, Duration::from_secs(40), |s| {
        s.cluster
            .as_ref()
            .is_some_and(|c| c.state == "ok" && c.topology_changed_at_ms.is_some())
            && streams.iter().all(|n| length_of(s, n) == Some(3))
    })
    .await;
    let c = snap.cluster.as_ref().unwrap();
    assert!(
        c.changed
            .iter()
            .any(|x| x == &format!("-127.0.0.1:{victim}")),
        "{:?}",
        c.changed
    );
    assert!(
        c.nodes
            .iter()
            .any(|n| n.address.ends_with(&format!(":{victim}")) && n.failing()),
        "the dead node is shown failing: {:?}",
        c.nodes
    );
    set.wait_ok();

    // Move 100 slots between the two primaries that were not involved in
    // the failover (the promoted one holds the newest config epoch), while
    // polling.
    let promoted: Vec<String> = c
        .changed
        .iter()
        .filter_map(|x| x.strip_prefix('+').map(str::to_string))
        .collect();
    let nodes = set.cli(&["CLUSTER", "NODES"]);
    let live: Vec<&str> = nodes
        .lines()
        .filter(|l| l.contains("master") && !l.contains("fail"))
        .filter(|l| !promoted.iter().any(|p| l.contains(&format!(" {p}@"))))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(live.len(), 2, "{nodes}");
    let alive_port = set.owner("payments");
    let out = set
        .spot
        .cmd("redis-cli")
        .args(["--cluster", "reshard", &format!("127.0.0.1:{alive_port}")])
        .args(["--cluster-from", live[0], "--cluster-to", live[1]])
        .args(["--cluster-slots", "100", "--cluster-yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!(
        "resharded: {}",
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
    );
    let snap = snapshot_where(&mut h, Duration::from_secs(60), |s| {
        s.cluster
            .as_ref()
            .is_some_and(|c| c.changed.iter().any(|x| x == "slots moved"))
    })
    .await;
    for n in &streams {
        assert_eq!(length_of(&snap, n), Some(3), "{n} after resharding");
    }
    drop(h);
}

/// A direct connection to one node (for reading a stream on its owner).
fn node_client(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// `field` of every entry of `stream` (read on its owner, in pages).
fn field_values(set: &ClusterSet, stream: &str, field: &str) -> Vec<String> {
    let mut c = node_client(set.owner(stream));
    let mut out = Vec::new();
    let mut start = "-".to_string();
    loop {
        let page: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
            .arg(stream)
            .arg(&start)
            .arg("+")
            .arg("COUNT")
            .arg(10_000)
            .query(&mut c)
            .unwrap();
        for (_, fields) in &page {
            if let Some((_, v)) = fields.iter().find(|(k, _)| k == field) {
                out.push(v.clone());
            }
        }
        match page.last() {
            Some((id, _)) if page.len() == 10_000 => start = format!("({id}"),
            _ => return out,
        }
    }
}

fn redeye(home: &Home, cfg: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    code_out(
        home.redeye()
            .args(["--config", cfg.to_str().unwrap(), "--profile", "c"])
            .args(args),
    )
}

#[test]
fn operations_go_to_the_owning_node_with_and_without_a_shared_hash_tag() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    // `orders` and `orders:dlq` are on different slots (and nodes);
    // `{pay}` and `{pay}:dlq` share one.
    assert_ne!(set.owner("orders"), set.owner("orders:dlq"));
    assert_eq!(set.owner("{pay}"), set.owner("{pay}:dlq"));
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &["orders", "{pay}"], ""));
    for s in ["orders", "{pay}"] {
        set.cli(&["XGROUP", "CREATE", s, "billing", "$", "MKSTREAM"]);
        for i in 0..4 {
            set.cli(&["XADD", s, "*", "event_id", &format!("{s}-{i}")]);
        }
        set.cli(&[
            "XREADGROUP",
            "GROUP",
            "billing",
            "w1",
            "COUNT",
            "4",
            "STREAMS",
            s,
            ">",
        ]);
    }
    let pending = |s: &str| -> Vec<String> {
        let mut c = node_client(set.owner(s));
        let v: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg(s)
            .arg("billing")
            .arg("-")
            .arg("+")
            .arg(10)
            .query(&mut c)
            .unwrap();
        v.into_iter().map(|(id, ..)| id).collect()
    };
    for s in ["orders", "{pay}"] {
        let ids = pending(s);
        // Claim one.
        let (code, _, err) = redeye(
            &home,
            &cfg,
            &[
                "claim",
                "--stream",
                s,
                "--group",
                "billing",
                "--ids",
                &ids[0],
                "--to",
                "oncall",
                "--min-idle",
                "0s",
                "--yes",
            ],
        );
        assert_eq!(code, 0, "claim on {s}: {err}");
        // Dead-letter two: across slots for `orders`, in one script for `{pay}`.
        let (code, stdout, err) = redeye(
            &home,
            &cfg,
            &[
                "dead-letter",
                "--stream",
                s,
                "--group",
                "billing",
                "--ids",
                &format!("{},{}", ids[1], ids[2]),
                "--min-idle",
                "0s",
                "--yes",
                "--json",
            ],
        );
        assert_eq!(code, 0, "dead-letter on {s}: {err}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["counts"]["moved"], 2, "{stdout}");
        let dlq = format!("{s}:dlq");
        assert_eq!(field_values(&set, &dlq, "original_stream"), vec![s, s]);
        assert_eq!(
            field_values(&set, &dlq, "original_id"),
            vec![ids[1].clone(), ids[2].clone()]
        );
        assert_eq!(
            pending(s).len(),
            2,
            "{s}: the moved entries are acknowledged"
        );
        // And back: the DLQ requeue puts the payloads at the stream's tail.
        let (code, stdout, err) = redeye(
            &home,
            &cfg,
            &["dlq", "requeue", "--dlq", &dlq, "--all", "--yes", "--json"],
        );
        assert_eq!(code, 0, "dlq requeue of {dlq}: {err}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["counts"]["requeued"], 2, "{stdout}");
        assert!(field_values(&set, &dlq, "original_id").is_empty());
        let events = field_values(&set, s, "event_id");
        assert_eq!(events.len(), 6, "{events:?}");
        assert_eq!(events[4..], [format!("{s}-1"), format!("{s}-2")]);
    }
    // The audit names the node each write went to.
    let (code, log, _) = redeye(&home, &cfg, &["audit"]);
    assert_eq!(code, 0);
    assert!(
        log.contains(&format!("127.0.0.1:{}", set.owner("orders"))),
        "{log}"
    );
}

#[test]
fn sigkill_in_a_cross_slot_dlq_requeue_loses_nothing_and_the_next_run_leaves_no_duplicate() {
    const N: usize = 100_000;
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    assert_ne!(
        set.cli(&["CLUSTER", "KEYSLOT", "jobs"]),
        set.cli(&["CLUSTER", "KEYSLOT", "jobs:dlq"]),
        "different slots: no single script can move between them"
    );
    {
        let mut c = node_client(set.owner("jobs:dlq"));
        for start in (0..N).step_by(10_000) {
            let mut p = redis::pipe();
            for i in start..(start + 10_000).min(N) {
                p.cmd("XADD")
                    .arg("jobs:dlq")
                    .arg("*")
                    .arg("original_id")
                    .arg("1-0")
                    .arg("original_stream")
                    .arg("jobs")
                    .arg("event_id")
                    .arg(format!("e{i}"))
                    .ignore();
            }
            p.query::<()>(&mut c).unwrap();
        }
    }
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &["jobs"], ""));
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let mut child = std::process::Command::new(bin)
        .args(["--config", cfg.to_str().unwrap(), "--profile", "c"])
        .args(["dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes"])
        .env("HOME", home.dir.path())
        .env("XDG_DATA_HOME", home.dir.path().join("xdg-data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let xlen = |s: &str| -> u64 {
        redis::cmd("XLEN")
            .arg(s)
            .query(&mut node_client(set.owner(s)))
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while xlen("jobs") < 5_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (moved, left) = (xlen("jobs"), xlen("jobs:dlq"));
    assert!(
        moved > 0 && left > 0,
        "the kill must land mid-way (moved {moved}, left {left})"
    );
    // Never lost: every message is somewhere.
    let a: Vec<String> = field_values(&set, "jobs", "event_id");
    let b: Vec<String> = field_values(&set, "jobs:dlq", "event_id");
    let all: std::collections::HashSet<&String> = a.iter().chain(&b).collect();
    assert_eq!(all.len(), N, "a message was lost");
    let dup_after_kill = a.len() + b.len() - N;
    eprintln!("after SIGKILL: moved {moved}, left {left}, in both places {dup_after_kill}");
    // The next run finishes the interrupted batch without copying it again.
    let (code, stdout, err) = redeye(
        &home,
        &cfg,
        &[
            "dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["counts"]["finished_interrupted"].as_u64().unwrap_or(0),
        dup_after_kill as u64,
        "{stdout}"
    );
    let a: Vec<String> = field_values(&set, "jobs", "event_id");
    let unique: std::collections::HashSet<&String> = a.iter().collect();
    assert_eq!(a.len(), N, "every message exactly once on the target");
    assert_eq!(unique.len(), N);
    assert_eq!(xlen("jobs:dlq"), 0);
    let journal: u64 = redis::cmd("HLEN")
        .arg(redeye::ops::cross::journal_key(&"jobs:dlq".into()).unwrap())
        .query(&mut node_client(set.owner("jobs:dlq")))
        .unwrap();
    assert_eq!(journal, 0);
}

#[test]
fn a_crash_between_copy_and_removal_leaves_a_duplicate_the_next_run_resolves() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &["jobs"], ""));
    // Dead-letter across slots, dying after the copies: the entries are both
    // pending (for redeye-dead-letter) and in the DLQ.
    set.cli(&["XGROUP", "CREATE", "jobs", "billing", "$", "MKSTREAM"]);
    for i in 0..10 {
        set.cli(&["XADD", "jobs", "*", "event_id", &format!("e{i}")]);
    }
    set.cli(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "w1",
        "COUNT",
        "10",
        "STREAMS",
        "jobs",
        ">",
    ]);
    let die = |args: &[&str]| {
        let o = home
            .redeye()
            .env("REDEYE_FAULT", "die-after-copy")
            .args(["--config", cfg.to_str().unwrap(), "--profile", "c"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), None, "killed by the fault: {:?}", o);
    };
    die(&[
        "dead-letter",
        "--stream",
        "jobs",
        "--group",
        "billing",
        "--all",
        "--min-idle",
        "0s",
        "--min-deliveries",
        "1",
        "--yes",
    ]);
    assert_eq!(
        field_values(&set, "jobs:dlq", "event_id").len(),
        10,
        "copied"
    );
    let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
        .arg("jobs")
        .arg("billing")
        .arg("-")
        .arg("+")
        .arg(100)
        .query(&mut node_client(set.owner("jobs")))
        .unwrap();
    assert_eq!(pending.len(), 10, "not yet acknowledged");
    assert!(
        pending.iter().all(|p| p.1 == "redeye-dead-letter"),
        "{pending:?}"
    );
    // The next run finishes them: acknowledged, no second copy.
    let (code, stdout, err) = redeye(
        &home,
        &cfg,
        &[
            "dead-letter",
            "--stream",
            "jobs",
            "--group",
            "billing",
            "--all",
            "--min-idle",
            "0s",
            "--min-deliveries",
            "1",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["counts"]["finished_interrupted"], 10, "{stdout}");
    assert_eq!(
        field_values(&set, "jobs:dlq", "event_id").len(),
        10,
        "no second copy"
    );
    let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
        .arg("jobs")
        .arg("billing")
        .arg("-")
        .arg("+")
        .arg(100)
        .query(&mut node_client(set.owner("jobs")))
        .unwrap();
    assert!(pending.is_empty(), "{pending:?}");

    // The same for a DLQ requeue: copies written, dead letters still there.
    die(&["dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes"]);
    assert_eq!(
        field_values(&set, "jobs", "event_id").len(),
        20,
        "copied back"
    );
    assert_eq!(
        field_values(&set, "jobs:dlq", "event_id").len(),
        10,
        "not yet removed"
    );
    let (code, stdout, err) = redeye(
        &home,
        &cfg,
        &[
            "dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["counts"]["finished_interrupted"], 10, "{stdout}");
    assert_eq!(
        field_values(&set, "jobs", "event_id").len(),
        20,
        "no third copy"
    );
    assert!(field_values(&set, "jobs:dlq", "event_id").is_empty());
}

#[test]
fn tls_nodes_announcing_host_names_are_verified_by_those_names() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    // A certificate valid for the name `localhost` only, not for 127.0.0.1:
    // connecting verifies the announced name, or fails.
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let write = |n: &str, pem: String| {
        let p = dir.path().join(n);
        std::fs::write(&p, pem).unwrap();
        p.display().to_string()
    };
    let (ca_file, cert_file, key_file) = (
        write("ca.crt", ca.pem()),
        write("server.crt", cert.pem()),
        write("server.key", key.serialize_pem()),
    );
    let spot = Spot {
        ns: None,
        cli_args: vec![
            "--tls".into(),
            "--cacert".into(),
            ca_file.clone(),
            "--sni".into(),
            "localhost".into(),
        ],
    };
    let set = ClusterSet::start_with(
        spot,
        &cluster_ports(6),
        &[
            "TLS_ONLY".into(),
            format!("tls-cert-file {cert_file}"),
            format!("tls-key-file {key_file}"),
            format!("tls-ca-cert-file {ca_file}"),
            "tls-auth-clients no".into(),
            "tls-cluster yes".into(),
            "tls-replication yes".into(),
            "cluster-announce-hostname localhost".into(),
            "cluster-preferred-endpoint-type hostname".into(),
        ],
    );
    set.cli(&["XADD", "orders", "*", "n", "1"]);
    let home = Home::new();
    let seed = format!("localhost:{}", set.ports[0]);
    let yaml = |tls: &str| {
        format!(
            "profiles:\n  c:\n    redis:\n      tls: {{enabled: true, ca_file: {ca_file}{tls}}}\n      cluster:\n        enabled: true\n        addresses: [{seed}]\n      streams:\n        orders: orders\n"
        )
    };
    let cfg = home.config(&yaml(""));
    let v = snapshot(&home, &cfg);
    assert_eq!(v["mode"], "cluster");
    assert_eq!(v["round_trips"], 3);
    assert_eq!(v["streams"][0]["exists"], true);
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["address"].as_str().unwrap().starts_with("localhost:")),
        "{}",
        v["nodes"]
    );
    // Pinning another name shows the check is real.
    let cfg = home.config(&yaml(", options: {server_name: not-this-host}"));
    let (code, _, err) = redeye(&home, &cfg, &["snapshot"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not-this-host") || err.contains("certificate"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_discovers_streams_on_every_primary() {
    use redeye::collect::collector::{Limits, spawn_on};
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    // Streams the profile does not name, one or more on each primary.
    let names: Vec<String> = (0..12).map(|i| format!("found{i}")).collect();
    for n in &names {
        set.cli(&["XADD", n, "*", "k", "v"]);
    }
    let owners: std::collections::BTreeSet<u16> = names.iter().map(|n| set.owner(n)).collect();
    assert_eq!(owners.len(), 3);
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &["orders"], ""));
    let profile = profile_from(&cfg, "c");
    let link = redeye::connect::Link::open_with(&profile, false)
        .await
        .unwrap();
    let limits = Limits {
        discover_every: 1,
        ..Limits::default()
    };
    let mut h = spawn_on(link, limits);
    let snap = snapshot_where(&mut h, Duration::from_secs(30), |s| {
        names.iter().all(|n| length_of(s, n) == Some(1))
    })
    .await;
    assert!(snap.problems.is_empty(), "{:?}", snap.problems);
}

#[test]
fn an_elasticache_configuration_endpoint_opens_the_whole_cluster() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    set.cli(&["XADD", "orders", "*", "k", "v"]);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  c:\n    redis:\n      elasticache:\n        enabled: true\n        cluster_mode:\n          enabled: true\n          configuration_endpoint: 127.0.0.1:{}\n      streams:\n        orders: orders\n",
        set.ports[3]
    ));
    let v = snapshot(&home, &cfg);
    assert_eq!(v["mode"], "cluster");
    assert_eq!(v["round_trips"], 3);
    assert_eq!(v["cluster"]["nodes"].as_array().unwrap().len(), 6);
    assert_eq!(v["streams"][0]["exists"], true);
}

/// `redeye check` on a cluster: streams on different primaries are judged
/// together (one round trip per primary), with the plugin exit codes.
#[test]
fn check_judges_streams_across_every_primary() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let streams = ["orders", "payments", "emails"];
    for s in &streams {
        set.cli(&["XADD", s, "*", "n", "1"]);
    }
    set.cli(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let check = |args: &[&str]| {
        let o = home
            .redeye()
            .args(["--config", cfg.to_str().unwrap(), "--profile", "c", "check"])
            // The thresholds (a group without consumers is STOPPED over a sample).
            .args(["--sample", "0"])
            .args(args)
            .output()
            .unwrap();
        let (so, se) = out(&o);
        (o.status.code().unwrap_or(-1), format!("{so}{se}"))
    };
    let (code, o) = check(&[]);
    assert_eq!(code, 0, "{o}");
    assert!(o.contains("'orders/billing lag'=1;"), "{o}");
    let (code, o) = check(&["--max-lag", "1"]);
    assert_eq!(code, 2, "{o}");
    assert!(
        o.starts_with("CRITICAL - orders/billing lag 1 (crit 1)"),
        "{o}"
    );
}

/// A cluster primary that does not answer costs its own part of the poll,
/// not the others' (issue 19: merge accepts a node whose part is missing):
/// the live primaries' streams are read, the dead one's streams and the node
/// itself are problems naming it, and the poll is not an error. (Without
/// failover and with `cluster-require-full-coverage no` the live primaries
/// keep answering.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_that_does_not_answer_costs_only_its_part_of_the_poll() {
    use redeye::model::Section;
    let mut set = without_failover(&[]);
    let streams = STREAMS;
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let profile = profile_from(&cfg, "c");
    let dep = redeye::connect::connect(&profile).await.unwrap();
    assert_eq!(dep.nodes().len(), 3);
    let victim = dep.nodes()[0].endpoint.to_string();
    let port: u16 = victim.rsplit(':').next().unwrap().parse().unwrap();
    let owned: Vec<&str> = streams
        .iter()
        .copied()
        .filter(|s| dep.owner_of(s.as_bytes()) == 0)
        .collect();
    assert!(
        !owned.is_empty() && owned.len() < streams.len(),
        "{owned:?}"
    );
    set.kill(port);
    let snap = redeye::collect::poll(&profile, &dep)
        .await
        .expect("the live primaries' part is a snapshot");
    for s in &snap.streams {
        let theirs = owned.contains(&s.name.escaped().as_str());
        let problem = snap
            .problems
            .iter()
            .find(|p| p.section == Section::Stream(s.name.clone()));
        if theirs {
            assert!(!s.exists, "{}", s.name);
            let p = problem.expect("a problem for a stream on the dead node");
            assert!(p.message.contains("did not answer"), "{}", p.message);
        } else {
            assert!(s.exists && s.length == 1, "{}: {s:?}", s.name);
            assert!(problem.is_none(), "{}: {problem:?}", s.name);
        }
    }
    let node = snap
        .problems
        .iter()
        .find(|p| p.section == Section::Node)
        .expect("the node's own problem");
    assert_eq!(node.node.as_deref(), Some(victim.as_str()));
    assert!(
        snap.nodes
            .iter()
            .any(|n| n.address == victim && n.role == "unreachable")
    );
    // The layout is read again on the next poll.
    assert!(!dep.is_current());
}

/// The health oracle on a cluster: a stream on a primary that is not the
/// seed has its time behind read on its own node, against that node's
/// clock: `behind_ms` is the node's TIME less the millisecond part of the
/// first undelivered entry's id (between TIME before and after the run).
#[test]
fn behind_is_exact_for_a_stream_on_a_non_seed_primary() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let seed = set.ports[0];
    let name = ["orders", "payments", "emails", "audit", "jobs", "mail"]
        .into_iter()
        .find(|n| set.owner(n) != seed)
        .expect("a key another primary owns");
    let owner = set.owner(name);
    set.cli(&["XADD", name, "*", "n", "1"]);
    set.cli(&["XGROUP", "CREATE", name, "billing", "0"]);
    set.cli(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "c1",
        "COUNT",
        "1",
        "STREAMS",
        name,
        ">",
    ]);
    std::thread::sleep(Duration::from_millis(50));
    let first = set.cli(&["XADD", name, "*", "n", "2"]);
    std::thread::sleep(Duration::from_millis(300));
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  c:\n    redis:\n      cluster:\n        enabled: true\n        addresses: [\"127.0.0.1:{seed}\"]\n      streams:\n        \"{name}\": \"{name}\"\n        consumer_groups:\n          billing: {{stream: \"{name}\"}}\n"
    ));
    let time = || {
        let t = Spot::host().cli(owner, &["TIME"]);
        let mut w = t.split_whitespace().map(|x| x.parse::<u64>().unwrap());
        w.next().unwrap() * 1000 + w.next().unwrap() / 1000
    };
    let before = time();
    let v = snapshot(&home, &cfg);
    let after = time();
    let g = &v["streams"][0]["groups"][0];
    assert_eq!(g["first_undelivered_id"], first.as_str(), "{g}");
    let ms: u64 = first.split('-').next().unwrap().parse().unwrap();
    let behind = g["behind_ms"].as_u64().unwrap();
    assert!(
        (before - ms..=after - ms).contains(&behind),
        "behind {behind} ms, oracle {}..={} ms",
        before - ms,
        after - ms
    );
}

/// A primary down when redeye starts (killed, no failover): `snapshot`
/// lists the live primaries' streams with their true figures and names the
/// dead node with its slots and the streams it holds; `check` is CRITICAL
/// naming it. (It exited 1, "cannot reach Redis at …", before.)
#[test]
fn a_primary_down_at_start_is_named_and_the_others_are_shown() {
    let mut set = without_failover(&[]);
    let streams = STREAMS;
    let victim = set.owner("orders");
    let dead: Vec<&str> = streams
        .iter()
        .copied()
        .filter(|s| set.owner(s) == victim)
        .collect();
    set.kill(victim);
    std::thread::sleep(Duration::from_millis(200));
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let v = snapshot(&home, &cfg);
    for s in v["streams"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        if dead.contains(&name) {
            assert_eq!(s["exists"], false, "{name}");
        } else {
            assert_eq!(
                (s["exists"].as_bool(), s["length"].as_u64()),
                (Some(true), Some(1)),
                "{name}"
            );
        }
    }
    let node = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["section"] == "node")
        .unwrap_or_else(|| panic!("{}", v["problems"]));
    let msg = node["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("127.0.0.1:{victim} unreachable (slots ")),
        "{msg}"
    );
    for d in &dead {
        assert!(msg.contains(d), "{d} in {msg}");
    }
    let (code, o, err) = code_out(home.redeye().args([
        "--config",
        cfg.to_str().unwrap(),
        "--profile",
        "c",
        "check",
        "--sample",
        "0",
    ]));
    assert_eq!(code, 2, "{o}{err}");
    assert!(
        o.starts_with(&format!("CRITICAL - node 127.0.0.1:{victim} UNREACHABLE")),
        "{o}"
    );
}

/// A three-primary cluster without replicas loses a primary and says
/// `cluster_state:fail`: the figures each live node can still give (INFO:
/// memory, clients, stats) are shown, each stream's problem says why it was
/// not read (CLUSTERDOWN, or its node unreachable), and `check` is CRITICAL
/// naming the dead node.
#[test]
fn a_failed_cluster_still_shows_what_its_live_nodes_give() {
    let mut set = ClusterSet::start(Spot::host(), &cluster_ports(3));
    let streams = ["orders", "payments", "emails", "s1", "s2", "s3"];
    for s in streams {
        set.cli(&["XADD", s, "*", "n", "1"]);
    }
    let victim = set.owner("orders");
    set.kill(victim);
    // The others mark it failed after cluster-node-timeout (1 s).
    let alive = *set.ports.iter().find(|p| **p != victim).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !set
        .spot
        .cli(alive, &["CLUSTER", "INFO"])
        .contains("cluster_state:fail")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the cluster never said fail"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let v = snapshot(&home, &cfg);
    assert!(
        v["memory"]["used_bytes"].as_u64().unwrap() > 0,
        "{}",
        v["memory"]
    );
    assert!(v["clients"]["connected"].as_u64().unwrap() > 0);
    assert_eq!(v["cluster"]["state"], "fail", "{}", v["cluster"]);
    let problems = v["problems"].as_array().unwrap();
    for s in streams {
        let p = problems
            .iter()
            .find(|p| p["section"] == format!("stream {s}"))
            .unwrap_or_else(|| panic!("no problem for {s}: {problems:?}"));
        let m = p["message"].as_str().unwrap();
        assert!(
            m.contains("the cluster is down") || m.contains("did not answer"),
            "{s}: {m}"
        );
    }
    let (code, o, err) = code_out(home.redeye().args([
        "--config",
        cfg.to_str().unwrap(),
        "--profile",
        "c",
        "check",
        "--sample",
        "0",
    ]));
    assert_eq!(code, 2, "{o}{err}");
    assert!(o.starts_with("CRITICAL - "), "{o}");
    assert!(
        o.contains(&format!("127.0.0.1:{victim}")),
        "the dead node is named: {o}"
    );
}

/// The dashboard's collector when a primary dies under it (no failover):
/// within 3 s a snapshot names the dead node and still has every live
/// primary's streams with their figures, and it keeps polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_live_primaries_within_3s_of_one_dying() {
    use redeye::model::Section;
    let mut set = without_failover(&[]);
    let streams = STREAMS;
    let victim = set.owner("orders");
    let live: Vec<&str> = streams
        .iter()
        .copied()
        .filter(|s| set.owner(s) != victim)
        .collect();
    let (_home, link, mut h) = watching(&set).await;
    set.kill(victim);
    let killed = std::time::Instant::now();
    let s = snapshot_where(&mut h, Duration::from_secs(3), |s| {
        s.problems.iter().any(|p| p.section == Section::Node)
            && live.iter().all(|n| {
                s.streams
                    .iter()
                    .any(|x| x.name.escaped() == *n && x.exists && x.length == 1)
            })
    })
    .await;
    eprintln!("shown {:?} after the kill", killed.elapsed());
    let node = s
        .problems
        .iter()
        .find(|p| p.section == Section::Node)
        .unwrap();
    assert!(
        node.message.contains(&format!("127.0.0.1:{victim}")),
        "{}",
        node.message
    );
    // And it goes on polling.
    let at = s.taken_at_ms;
    snapshot_where(&mut h, Duration::from_secs(5), |x| {
        x.taken_at_ms > at + 1000
    })
    .await;
    drop(h);
    link.close();
}

/// A primary that blackholes (SIGSTOP: it accepts, then says nothing) costs
/// one read timeout, once: the collector names it, and from then on polls
/// the live primaries at its refresh rate without waiting for it (a
/// background attempt every 10 s tries it again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_primary_does_not_hold_back_the_others() {
    use redeye::model::Section;
    let set = without_failover(&["cluster-node-timeout 60000"]);
    let victim = set.owner("orders");
    let (_home, link, mut h) = watching(&set).await;
    let pid = set.pid_of(victim).to_string();
    std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap();
    let stopped = std::time::Instant::now();
    let first = snapshot_where(&mut h, Duration::from_secs(6), |s| {
        s.problems.iter().any(|p| p.section == Section::Node)
    })
    .await;
    let named_after = stopped.elapsed();
    // Then polls at about the refresh rate, each with the node named and
    // the live primaries' streams read.
    let mut at = first.taken_at_ms;
    let window = std::time::Instant::now();
    let mut polls = 0;
    while window.elapsed() < Duration::from_secs(6) {
        let s = snapshot_where(&mut h, Duration::from_secs(4), |x| x.taken_at_ms > at).await;
        at = s.taken_at_ms;
        assert!(s.problems.iter().any(|p| p.section == Section::Node));
        assert!(s.streams.iter().filter(|x| x.exists).count() >= 2);
        polls += 1;
    }
    std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap();
    eprintln!("named after {named_after:?}; {polls} polls in the next 6 s");
    assert!(named_after <= Duration::from_secs(5), "{named_after:?}");
    assert!(polls >= 4, "{polls} polls in 6 s");
    drop(h);
    link.close();
}
