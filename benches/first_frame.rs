//! Time from start to the first full frame through an SSH tunnel with 100 ms
//! of added round-trip time (a delay proxy in the ProxyCommand), for a
//! standalone Redis and for Sentinel, split into phases, each also counted
//! in round trips (phase time / 100 ms).
//!
//! Real processes in a network namespace, as in `tests/ssh.rs`: needs root.
//! Run: `cargo bench --bench first_frame`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::net::{Bastion, MASTER_NAME, Netns, SentinelSet, redis_at};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redeye::collect::collector::{FromCollector, Limits, spawn_on};
use redeye::connect::Link;
use redeye::ui::app::App;
use redeye::ui::theme::Theme;
use std::time::{Duration, Instant};

const RTT_MS: f64 = 100.0;
const RUNS: usize = 5;

struct Phases {
    ssh: f64,
    connect: f64,
    first_frame: f64,
}

async fn once(profile: &redeye::config::Profile) -> Phases {
    let t0 = Instant::now();
    let link = Link::open_with(profile, false).await.expect("tunnel");
    let ssh = t0.elapsed().as_secs_f64() * 1000.0;
    // What the dashboard does next: the collector connects and polls.
    let mut h = spawn_on(link.clone(), Limits::default());
    let t1 = Instant::now();
    let snap = loop {
        match h.rx.recv().await.expect("collector") {
            FromCollector::Snapshot(s) => break s,
            FromCollector::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    let poll_ms = snap.nodes.first().map(|n| n.poll_ms).unwrap_or(0.0);
    let mut app = App::new(
        redeye::ui::view::ProfileInfo::of(profile),
        Theme::default_dark(),
        Duration::from_secs(1),
    );
    app.on_snapshot(snap);
    app.now_ms = redeye::time::now_ms();
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    term.draw(|f| redeye::ui::render::draw(f, &app)).unwrap();
    let total_after_ssh = t1.elapsed().as_secs_f64() * 1000.0;
    drop(h);
    link.close();
    Phases {
        ssh,
        connect: total_after_ssh - poll_ms,
        first_frame: ssh + total_after_ssh,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn report(name: &str, runs: &[Phases]) {
    let ssh = median(runs.iter().map(|p| p.ssh).collect());
    let connect = median(runs.iter().map(|p| p.connect).collect());
    let total = median(runs.iter().map(|p| p.first_frame).collect());
    let poll = total - ssh - connect;
    println!(
        "{name:<11} first frame {total:>6.0} ms = {:.1} RTT | ssh login {ssh:>5.0} ms ({:.1} RTT) | connect {connect:>5.0} ms ({:.1} RTT) | first poll + frame {poll:>4.0} ms ({:.1} RTT)",
        total / RTT_MS,
        ssh / RTT_MS,
        connect / RTT_MS,
        poll / RTT_MS,
    );
}

fn profile(path: &std::path::Path) -> redeye::config::Profile {
    let loaded = redeye::config::load(Some(path)).unwrap().unwrap();
    redeye::config::resolve(&loaded, "p", &|_| None).unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let home = common::Home::new();

    // Standalone behind the bastion.
    let ns = Netns::new();
    let dir = tempfile::tempdir().unwrap();
    let _redis = redis_at(&ns.spot(), dir.path(), 6379, &[]);
    let b = Bastion::start(&ns, &[]);
    b.add_latency((RTT_MS / 2.0) as u64);
    let cfg = home.config(&format!(
        "profiles:\n  p:\n{}    redis:\n      address: 127.0.0.1:6379\n",
        b.ssh_yaml()
    ));
    let p = profile(&cfg);
    let runs: Vec<Phases> = (0..RUNS).map(|_| rt.block_on(once(&p))).collect();
    report("standalone", &runs);
    drop(b);
    drop(ns);

    // Sentinel behind the bastion: three sentinels asked in parallel.
    let ns = Netns::new();
    let set = SentinelSet::start(ns.spot(), &[6379, 6380, 26379, 26380, 26381], &[]);
    let b = Bastion::start(&ns, &[]);
    b.add_latency((RTT_MS / 2.0) as u64);
    let cfg = home.config(&format!(
        "profiles:\n  p:\n{}    redis:\n      sentinel:\n        enabled: true\n        master_name: {MASTER_NAME}\n        addresses: [{}]\n",
        b.ssh_yaml(),
        set.sentinel_addrs()
    ));
    let p = profile(&cfg);
    let runs: Vec<Phases> = (0..RUNS).map(|_| rt.block_on(once(&p))).collect();
    report("sentinel", &runs);
}
