//! Consumer health against a real server, with producer and consumer loops
//! the test runs: the dashboard's own `Poller` (its tracker, its cadence),
//! a short window so a verdict takes seconds.

mod common;

use common::{Server, net_out};
use redeye::collect::collector::{Limits, Poller};
use redeye::model::health::Status;
use redeye::model::{GroupInfo, Snapshot};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(3);
const REFRESH: Duration = Duration::from_millis(250);

fn profile(srv: &Server, streams: &[(&str, &[&str])]) -> redeye::config::Profile {
    let mut p = common::local_profile(&srv.addr(), REFRESH, streams);
    p.health_window = WINDOW;
    p.streams.claim_min_idle = Duration::from_secs(2);
    p
}

fn group<'a>(s: &'a Snapshot, stream: &str, g: &str) -> &'a GroupInfo {
    s.streams
        .iter()
        .find(|x| x.name == stream)
        .and_then(|x| x.groups.iter().find(|y| y.name == g))
        .unwrap_or_else(|| panic!("{stream}/{g} not in the snapshot"))
}

/// A loop on its own connection every `every`, until `stop`.
fn each(
    srv: &Server,
    every: Duration,
    stop: Arc<AtomicBool>,
    mut f: impl FnMut(&mut redis::Connection) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let mut con = srv.client();
    std::thread::spawn(move || {
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            f(&mut con);
            next += every;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    })
}

fn produce(con: &mut redis::Connection, stream: &str) {
    let _: String = redis::cmd("XADD")
        .arg(stream)
        .arg("*")
        .arg("n")
        .arg("1")
        .query(con)
        .unwrap();
}

/// Read one new entry for `consumer` and acknowledge it.
fn consume(con: &mut redis::Connection, stream: &str, g: &str, consumer: &str) {
    let v: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(g)
        .arg(consumer)
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg(stream)
        .arg(">")
        .query(con)
        .unwrap();
    let text = format!("{v:?}");
    // The id is the first bulk string of the reply after the stream name.
    if let Some(id) = text
        .split('"')
        .find(|w| w.contains('-') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        let _: i64 = redis::cmd("XACK")
            .arg(stream)
            .arg(g)
            .arg(id)
            .query(con)
            .unwrap();
    }
}

async fn poll_until(
    poller: &mut Poller,
    dep: &redeye::connect::Deployment,
    limit: Duration,
    f: impl Fn(&Snapshot) -> bool,
) -> (Snapshot, Vec<Snapshot>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let s = poller.poll(dep).await.expect("poll");
        if f(&s) {
            return (s, seen);
        }
        seen.push(s);
        assert!(
            start.elapsed() < limit,
            "not reached in {limit:?}; last: {:#?}",
            seen.last().map(|s| &s.streams)
        );
        tokio::time::sleep(REFRESH).await;
    }
}

/// 50 entries/s in, 10/s out: FALLING BEHIND at about +40/s with the time
/// behind growing; the producer stopped: CATCHING UP, and the ETA it gave
/// matches the time the lag then took to reach 0 (±25%).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_in_ten_out_falls_behind_then_catches_up_on_time() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "events", "workers", "$", "MKSTREAM"]);
    let p = profile(&srv, &[("events", &["workers"])]);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = Poller::new(p, Limits::default());
    let stop_in = Arc::new(AtomicBool::new(false));
    let stop_out = Arc::new(AtomicBool::new(false));
    let producer = each(&srv, Duration::from_millis(20), stop_in.clone(), |c| {
        produce(c, "events")
    });
    let consumer = each(&srv, Duration::from_millis(100), stop_out.clone(), |c| {
        consume(c, "events", "workers", "w1")
    });
    let (s, _) = poll_until(&mut poller, &dep, Duration::from_secs(20), |s| {
        let g = group(s, "events", "workers");
        g.health.status == Some(Status::FallingBehind)
            && g.health.window_s.is_some_and(|w| w >= 2.5)
    })
    .await;
    let g = group(&s, "events", "workers");
    let net = g.health.lag_change_per_s.unwrap();
    assert!(
        (32.0..=48.0).contains(&net),
        "net {net}/s, expected +40/s ±20%"
    );
    let first_behind = g.behind_ms.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = poller.poll(&dep).await.unwrap();
    let later = group(&s, "events", "workers");
    assert!(
        later.behind_ms.unwrap() > first_behind,
        "behind grows: {first_behind} then {:?}",
        later.behind_ms
    );

    stop_in.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    let (s, _) = poll_until(&mut poller, &dep, Duration::from_secs(20), |s| {
        group(s, "events", "workers").health.status == Some(Status::CatchingUp)
    })
    .await;
    let g = group(&s, "events", "workers");
    let eta = g.health.eta_s.expect("an ETA while catching up");
    let asked = Instant::now();
    let (_, _) = poll_until(&mut poller, &dep, Duration::from_secs(120), |s| {
        group(s, "events", "workers").lag == Some(0)
    })
    .await;
    let took = asked.elapsed().as_secs_f64();
    eprintln!("net {net:.1}/s; ETA {eta:.1}s, took {took:.1}s");
    assert!(
        (took - eta).abs() <= eta * 0.25 + REFRESH.as_secs_f64(),
        "ETA {eta:.1}s, took {took:.1}s"
    );
    stop_out.store(true, Ordering::Relaxed);
    consumer.join().unwrap();
    // Nothing undelivered, nothing moving: IDLE within a window.
    let (_, _) = poll_until(&mut poller, &dep, Duration::from_secs(10), |s| {
        group(s, "events", "workers").health.status == Some(Status::Idle)
    })
    .await;
}

/// A consumer that dies with work undelivered: STOPPED within a window; one
/// that keeps polling its own pending list but never gets new entries:
/// STALLED. A group nobody writes to: IDLE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_consumer_is_stopped_a_spinning_one_stalled_a_quiet_group_idle() {
    let srv = Server::plain();
    for _ in 0..50 {
        srv.run(&["XADD", "jobs", "*", "n", "1"]);
    }
    srv.run(&["XADD", "quiet", "*", "n", "1"]);
    for g in ["dead", "spin"] {
        srv.run(&["XGROUP", "CREATE", "jobs", g, "0"]);
        srv.run(&[
            "XREADGROUP",
            "GROUP",
            g,
            "c1",
            "COUNT",
            "5",
            "STREAMS",
            "jobs",
            ">",
        ]);
    }
    srv.run(&["XGROUP", "CREATE", "quiet", "q", "$"]);
    let p = profile(&srv, &[("jobs", &["dead", "spin"]), ("quiet", &["q"])]);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = Poller::new(p, Limits::default());
    // The spinning consumer re-reads its own pending entries (id 0).
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = each(&srv, Duration::from_millis(200), stop.clone(), |c| {
        let _: redis::Value = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg("spin")
            .arg("c1")
            .arg("COUNT")
            .arg(5)
            .arg("STREAMS")
            .arg("jobs")
            .arg("0")
            .query(c)
            .unwrap();
    });
    let started = Instant::now();
    let (s, _) = poll_until(&mut poller, &dep, Duration::from_secs(15), |s| {
        group(s, "jobs", "dead").health.status == Some(Status::Stopped)
            && group(s, "jobs", "spin").health.status == Some(Status::Stalled)
            && group(s, "quiet", "q").health.status == Some(Status::Idle)
    })
    .await;
    // Within one window (plus the half window the consumers' idle times
    // may be old, and a poll).
    assert!(
        started.elapsed() < WINDOW * 2 + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let dead = group(&s, "jobs", "dead");
    assert!(
        dead.health
            .status_reason
            .as_deref()
            .unwrap()
            .contains("no consumer active")
    );
    assert_eq!(dead.lag, Some(45));
    stop.store(true, Ordering::Relaxed);
    spinner.join().unwrap();
}

/// Entries deleted after the group's last-delivered id: Redis reports no
/// lag, yet the time behind stays exact (the first undelivered entry's
/// age against the server's clock), and the status says why it cannot
/// tell the direction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_lag_group_keeps_an_exact_time_behind() {
    let srv = Server::plain();
    let mut ids = Vec::new();
    for _ in 0..40 {
        match srv.run(&["XADD", "tomb", "*", "n", "1"]) {
            redis::Value::BulkString(b) => ids.push(String::from_utf8(b).unwrap()),
            other => panic!("{other:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    srv.run(&["XGROUP", "CREATE", "tomb", "g", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c1",
        "COUNT",
        "3",
        "STREAMS",
        "tomb",
        ">",
    ]);
    srv.run(&["XDEL", "tomb", &ids[30]]);
    let stop = Arc::new(AtomicBool::new(false));
    let consumer = each(&srv, Duration::from_millis(300), stop.clone(), |c| {
        consume(c, "tomb", "g", "c1")
    });
    let p = profile(&srv, &[("tomb", &["g"])]);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = Poller::new(p, Limits::default());
    let (s, _) = poll_until(&mut poller, &dep, Duration::from_secs(10), |s| {
        group(s, "tomb", "g")
            .health
            .window_s
            .is_some_and(|w| w >= 1.0)
    })
    .await;
    let g = group(&s, "tomb", "g");
    assert_eq!(
        g.lag, None,
        "XDEL after the last-delivered id: no lag from Redis"
    );
    let first = g.first_undelivered_id.clone().expect("read");
    let ms: u64 = first.split('-').next().unwrap().parse().unwrap();
    let now = s.server.as_ref().unwrap().time_ms.unwrap();
    assert_eq!(g.behind_ms, Some(now - ms));
    assert_eq!(g.behind_reason, None, "exact, not an estimate");
    assert_eq!(g.health.status, Some(Status::Unknown));
    assert!(
        g.health
            .status_reason
            .as_deref()
            .unwrap()
            .contains("lag is unknown: entries were deleted"),
        "{:?}",
        g.health.status_reason
    );
    stop.store(true, Ordering::Relaxed);
    consumer.join().unwrap();
}

fn server_time_ms(srv: &Server) -> u64 {
    match srv.run(&["TIME"]) {
        redis::Value::Array(v) => {
            let n = |x: &redis::Value| match x {
                redis::Value::BulkString(b) => String::from_utf8_lossy(b).parse::<u64>().unwrap(),
                other => panic!("{other:?}"),
            };
            n(&v[0]) * 1000 + n(&v[1]) / 1000
        }
        other => panic!("{other:?}"),
    }
}

/// The oracle: `behind_ms` is the server's now less the millisecond part of
/// the first undelivered entry's id, as the test reads them itself, within
/// one poll interval; the poll did not carry that entry's 1 MiB body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_is_the_first_undelivered_entrys_age_and_its_body_stays_home() {
    let srv = Server::plain();
    srv.run(&["XADD", "big", "*", "n", "small"]);
    srv.run(&["XGROUP", "CREATE", "big", "g", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c1",
        "COUNT",
        "1",
        "STREAMS",
        "big",
        ">",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let body = "x".repeat(1 << 20);
    let first = match srv.run(&["XADD", "big", "*", "body", &body]) {
        redis::Value::BulkString(b) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    };
    // A small entry at the tail, so the stream's own read is small.
    srv.run(&["XADD", "big", "*", "n", "tail"]);
    std::thread::sleep(Duration::from_millis(700));
    let p = profile(&srv, &[("big", &["g"])]);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = Poller::new(p, Limits::default());
    for _ in 0..3 {
        let before = net_out(&srv);
        let s = poller.poll(&dep).await.unwrap();
        let sent = net_out(&srv) - before;
        let oracle =
            server_time_ms(&srv) - first.split('-').next().unwrap().parse::<u64>().unwrap();
        let g = group(&s, "big", "g");
        assert_eq!(g.first_undelivered_id.as_deref(), Some(first.as_str()));
        let behind = g.behind_ms.unwrap();
        assert!(
            behind <= oracle && oracle - behind <= REFRESH.as_millis() as u64 + 50,
            "behind {behind} ms, oracle {oracle} ms"
        );
        // The first poll reads the stream through the body-dropping script
        // too; no poll carries the megabyte.
        assert!(sent < 256 * 1024, "the poll sent {sent} bytes");
        tokio::time::sleep(REFRESH).await;
    }
}

/// `check` judges the status: a stopped group is CRITICAL (exit 2) and
/// named with its reason; `--sample 0` gives the time behind and no status.
#[test]
fn check_is_critical_for_a_stopped_group_and_snapshot_carries_the_figures() {
    let srv = Server::plain();
    for _ in 0..20 {
        srv.run(&["XADD", "orders", "*", "n", "1"]);
    }
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    let home = common::Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  t:\n    health_window: 2s\n    redis:\n      address: {}\n      streams:\n        orders: orders\n        consumer_groups:\n          billing:\n            stream: orders\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "t",
            "check",
            "--sample",
            "1s",
        ])
        .output()
        .unwrap();
    let (out, err) = common::out(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        out.starts_with("CRITICAL - orders/billing status STOPPED"),
        "{out}"
    );
    assert!(out.contains("'orders/billing behind'="), "{out}");
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "t",
            "snapshot",
            "--json",
            "--sample",
            "0",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let g = &v["streams"][0]["groups"][0];
    assert!(g["behind_ms"].as_u64().is_some(), "{g}");
    assert!(g["status"].is_null() && g["eta_s"].is_null(), "{g}");
    assert!(
        g["status_reason"].as_str().unwrap().contains("--sample 0"),
        "{g}"
    );
    assert_eq!(v["round_trips"], 1);
}

fn client_names(srv: &Server) -> Vec<String> {
    let list = match srv.run(&["CLIENT", "LIST"]) {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        other => format!("{other:?}"),
    };
    list.lines()
        .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("name=")))
        .map(str::to_string)
        .collect()
}

/// redeye's connections take the name `redeye:<profile>` (spaces made
/// `-`), so CLIENT LIST and the slowlog say whose they are; a user the ACL
/// does not allow CLIENT connects all the same, unnamed, and the poll says
/// so (`nodes[].client_name` absent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_named_for_the_profile_and_a_refused_name_is_skipped() {
    let srv = Server::builder().acl_users().password().start();
    let mut p = profile(&srv, &[]);
    p.name = "prod eu".into();
    p.password = Some(redeye::secret::Secret::new(common::ADMIN_PASSWORD));
    let dep = redeye::connect::connect(&p).await.unwrap();
    assert!(
        client_names(&srv).iter().any(|n| n == "redeye:prod-eu"),
        "{:?}",
        client_names(&srv)
    );
    let snap = redeye::collect::poll(&p, &dep).await.unwrap();
    assert_eq!(snap.nodes[0].client_name.as_deref(), Some("redeye:prod-eu"));
    drop(dep);

    let mut ro = profile(&srv, &[]);
    ro.username = Some("readonly_user".into());
    ro.password = Some(redeye::secret::Secret::new(common::READONLY_PASSWORD));
    let dep = redeye::connect::connect(&ro)
        .await
        .expect("connects unnamed");
    let snap = redeye::collect::poll(&ro, &dep).await.unwrap();
    assert_eq!(snap.nodes[0].client_name, None);
    assert!(!client_names(&srv).iter().any(|n| n == "redeye:t"));
}
