//! Per-poll wall time on a six-node cluster (three primaries polled in
//! parallel, one round trip each) against one primary of it polled alone as
//! a standalone server with the streams it owns. Goal: at most 1.5x.
//! Run: `cargo bench --bench cluster_poll` (starts its own cluster).

#[path = "../tests/common/mod.rs"]
mod common;

use common::net::{ClusterSet, Spot, cluster_ports};
use redeye::collect::{PollRequest, poll_with};
use std::time::Instant;

const STREAMS: usize = 30;
const POLLS: usize = 50;

fn profile(home: &common::Home, redis: &str, streams: &[String]) -> redeye::config::Profile {
    let list: String = streams
        .iter()
        .map(|s| format!("        {s}: {s}\n"))
        .collect();
    let groups: String = streams
        .iter()
        .map(|s| format!("          g_{s}: {{stream: {s}, name: workers}}\n"))
        .collect();
    let cfg = home.config(&format!(
        "profiles:\n  p:\n    redis:\n{redis}      streams:\n{list}        dlq: {{enabled: false}}\n        consumer_groups:\n{groups}"
    ));
    let loaded = redeye::config::load(Some(&cfg)).unwrap().unwrap();
    redeye::config::resolve(&loaded, "p", &|_| None).unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

async fn measure(p: &redeye::config::Profile) -> (f64, u32) {
    let dep = redeye::connect::connect(p).await.unwrap();
    let req = PollRequest::snapshot(p);
    let mut times = Vec::new();
    let mut rts = 0;
    for _ in 0..POLLS {
        let t = Instant::now();
        let o = poll_with(p, &dep, &req).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        rts = o.snapshot.round_trips;
        if times.len() == POLLS {
            let per: Vec<String> = o
                .snapshot
                .nodes
                .iter()
                .map(|n| format!("{:.2}", n.poll_ms))
                .collect();
            println!("  last poll, per node ms: {}", per.join(" "));
        }
        assert!(o.snapshot.problems.is_empty(), "{:?}", o.snapshot.problems);
    }
    (median(times), rts)
}

fn main() {
    let set = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let names: Vec<String> = (0..STREAMS).map(|i| format!("s{i}")).collect();
    for s in &names {
        set.cli(&["XGROUP", "CREATE", s, "workers", "$", "MKSTREAM"]);
        for i in 0..100 {
            set.cli(&["XADD", s, "*", "n", &i.to_string()]);
        }
    }
    let home = common::Home::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeds = set.seeds();
    let cluster = profile(
        &home,
        &format!("      cluster: {{enabled: true, addresses: [{seeds}]}}\n"),
        &names,
    );
    let port = set.owner("s0");
    let owned: Vec<String> = names
        .iter()
        .filter(|s| set.owner(s) == port)
        .cloned()
        .collect();
    let one = profile(&home, &format!("      address: 127.0.0.1:{port}\n"), &owned);
    let (c_ms, c_rt) = rt.block_on(measure(&cluster));
    let (o_ms, o_rt) = rt.block_on(measure(&one));
    println!(
        "cluster (3 primaries, {STREAMS} streams): {c_ms:.2} ms/poll, {c_rt} round trips (1 per primary)"
    );
    println!(
        "one primary ({} of its streams):        {o_ms:.2} ms/poll, {o_rt} round trip",
        owned.len()
    );
    println!("ratio: {:.2}x (goal <= 1.5x)", c_ms / o_ms);
}
