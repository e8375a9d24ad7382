//! Redis Cluster against a real six-node cluster the tests create (three
//! primaries, three replicas): discovery, one round trip per node, the
//! aggregates against each node's own INFO, streams read on their owners,
//! operations routed to the owning node, failover and resharding followed.

mod common;

use common::net::{ClusterSet, Spot, cluster_ports};
use common::{Home, out};
use std::time::Duration;

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
    // the per-node figures, and each of those close to the node's own INFO.
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
        let diff = (m as f64 - now as f64).abs() / now as f64;
        assert!(
            diff < 0.15,
            "node {port}: used_memory {m} in the snapshot, {now} now"
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
        seen_cmds <= total_cmds && seen_cmds + 50 > total_cmds,
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

fn profile_from(path: &std::path::Path) -> redeye::config::Profile {
    let loaded = redeye::config::load(Some(path)).unwrap().unwrap();
    redeye::config::resolve(&loaded, "c", &|_| None).unwrap()
}

async fn snapshot_where(
    h: &mut redeye::collect::collector::Handle,
    limit: Duration,
    f: impl Fn(&redeye::model::Snapshot) -> bool,
) -> std::sync::Arc<redeye::model::Snapshot> {
    use redeye::collect::collector::FromCollector;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .expect("a matching snapshot in time")
            .expect("collector alive");
        match msg {
            FromCollector::Snapshot(s) if f(&s) => return s,
            FromCollector::Snapshot(s) => eprintln!(
                "snapshot: state {:?} changed {:?} problems {:?}",
                s.cluster.as_ref().map(|c| c.state.clone()),
                s.cluster.as_ref().map(|c| c.changed.clone()),
                s.problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
            ),
            FromCollector::Failed { error, .. } => eprintln!("failed: {error}"),
            _ => {}
        }
    }
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
    set.cli(&["WAIT", "1", "1000"]);
    let home = Home::new();
    let cfg = home.config(&yaml(&set, &streams, ""));
    let profile = profile_from(&cfg);
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

    // Move 100 slots between two live primaries while polling.
    let nodes = set.cli(&["CLUSTER", "NODES"]);
    let live: Vec<&str> = nodes
        .lines()
        .filter(|l| l.contains("master") && !l.contains("fail"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
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
    let snap = snapshot_where(&mut h, Duration::from_secs(30), |s| {
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
