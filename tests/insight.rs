//! The insight panes' figures against real servers (issue 12): key families
//! with TTLs and memory from a bounded walk, persistence states and their
//! alerts, latency events, the config advisor, and the MONITOR sampler.

mod common;

use common::{Home, Server, out};
use std::time::{Duration, Instant};

fn snapshot_json(home: &Home, addr: &str, args: &[&str]) -> serde_json::Value {
    let o = home
        .redeye()
        .env("REDIS_ADDR", addr)
        .arg("snapshot")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    serde_json::from_str(&so).unwrap()
}

/// 300 embedding-cache keys with a 15m TTL, 200 sessions without a TTL
/// (flagged), 100 idempotency keys, 50 order hashes, 10 plain keys and one
/// 100 KB embedding.
fn fill(srv: &Server) {
    let mut c = srv.client();
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET")
            .arg(format!("emb:t1:m:{i}"))
            .arg("v")
            .arg("EX")
            .arg(900)
            .ignore();
    }
    for i in 0..200 {
        p.cmd("SET").arg(format!("sess:{i}")).arg("s").ignore();
    }
    for i in 0..100 {
        p.cmd("SET")
            .arg(format!("webhook:processed:evt_{i}"))
            .arg(1)
            .arg("EX")
            .arg(86_400)
            .ignore();
    }
    for i in 0..50 {
        p.cmd("HSET")
            .arg(format!("orders:{i}"))
            .arg("total")
            .arg(i)
            .ignore();
    }
    for i in 0..10 {
        p.cmd("SET").arg(format!("plain{i}")).arg("x").ignore();
    }
    p.cmd("SET")
        .arg("emb:t1:m:big")
        .arg("x".repeat(100_000))
        .arg("EX")
        .arg(900)
        .ignore();
    p.query::<()>(&mut c).unwrap();
}

fn family<'a>(snap: &'a serde_json::Value, prefix: &str) -> &'a serde_json::Value {
    snap["keys"]["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["prefix"] == prefix)
        .unwrap_or_else(|| panic!("no family {prefix} in {}", snap["keys"]))
}

#[test]
fn key_families_are_counted_sampled_and_flagged_by_a_bounded_walk() {
    let srv = Server::plain();
    fill(&srv);
    let home = Home::new();
    let snap = snapshot_json(&home, &srv.addr(), &["--keys"]);
    let k = &snap["keys"];
    assert_eq!(k["complete"], true, "{k}");
    assert_eq!(k["scanned"], 661, "{k}");
    assert!(k["sampled"].as_u64().unwrap() > 0);
    let emb = family(&snap, "emb:");
    assert_eq!(
        (emb["keys"].as_u64(), emb["kind"].as_str()),
        (Some(301), Some("embedding cache"))
    );
    assert_eq!(emb["expected_ttl_ms"], 900_000);
    assert_eq!(emb["no_ttl"], 0, "{emb}");
    assert!(emb["flag"].is_null(), "{emb}");
    let sess = family(&snap, "sess:");
    assert_eq!(sess["keys"], 200);
    assert!(
        sess["flag"].as_str().unwrap().contains("have no TTL"),
        "a session without a TTL is flagged: {sess}"
    );
    let idem = family(&snap, "webhook:processed:");
    assert_eq!(
        (idem["keys"].as_u64(), idem["kind"].as_str()),
        (Some(100), Some("idempotency"))
    );
    let orders = family(&snap, "orders:");
    assert_eq!(
        (orders["keys"].as_u64(), orders["kind"].as_str()),
        (Some(50), Some("found"))
    );
    assert_eq!(family(&snap, "(other)")["keys"], 10);
    let share: f64 = snap["keys"]["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-6, "shares add up: {share}");
}

#[test]
fn a_walk_cut_short_reports_a_partial_pass_scaled_to_the_keyspace() {
    let srv = Server::builder().conf("enable-debug-command yes").start();
    srv.run(&["DEBUG", "POPULATE", "20000", "cache"]);
    let home = Home::new();
    let part = snapshot_json(&home, &srv.addr(), &["--keys", "1000"]);
    let k = &part["keys"];
    assert_eq!(k["complete"], false, "{k}");
    let scanned = k["scanned"].as_u64().unwrap();
    assert!(
        (1000..3000).contains(&scanned),
        "bounded: {scanned} keys scanned"
    );
    let est = family(&part, "cache:")["estimated_keys"].as_u64().unwrap();
    assert_eq!(est, 20_000, "scaled to the keyspace");
}

#[test]
fn a_profiles_key_family_sets_its_expected_ttl() {
    let srv = Server::plain();
    fill(&srv);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  t:\n    redis:\n      address: {}\n    key_families:\n      \"orders:\": {{kind: order cache, ttl: 10m}}\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "t"])
        .args(["snapshot", "--json", "--keys"])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    let snap: serde_json::Value = serde_json::from_str(&so).unwrap();
    let orders = family(&snap, "orders:");
    assert_eq!(orders["kind"], "order cache");
    assert_eq!(orders["expected_ttl_ms"], 600_000);
    assert!(
        orders["flag"].as_str().unwrap().contains("have no TTL"),
        "{orders}"
    );
    assert_eq!(orders["types"]["hash"], orders["sampled"]);
    // The biggest sampled embedding is the 100 KB one, when sampled.
    let emb = family(&snap, "emb:");
    let biggest = &emb["biggest"][0];
    assert_eq!(biggest["type"], "string");
    assert!(
        biggest["bytes"].as_u64().unwrap() > 0 && biggest["ttl_ms"].as_u64().unwrap() <= 900_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_walks_the_keyspace_while_the_keys_pane_is_open() {
    use redeye::collect::collector::{FromCollector, Limits, Needs, ToCollector, spawn};
    let srv = Server::builder().conf("enable-debug-command yes").start();
    srv.run(&["DEBUG", "POPULATE", "5000", "cache"]);
    let mut profile = redeye::config::Profile::local(
        "t",
        redeye::config::Origin::ZeroConfig,
        redeye::config::Endpoint::parse(&srv.addr()).unwrap(),
    );
    profile.refresh = Duration::from_millis(100);
    let mut h = spawn(profile, Limits::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut asked = false;
    let keys = loop {
        assert!(Instant::now() < deadline, "no complete pass in time");
        let msg = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let FromCollector::Snapshot(s) = msg {
            if !asked {
                // Closed pane: no walk.
                assert!(s.keys.is_none());
                h.tx.send(ToCollector::Needs(Needs {
                    keys: true,
                    ..Default::default()
                }))
                .unwrap();
                asked = true;
                continue;
            }
            if let Some(k) = &s.keys
                && k.complete
            {
                break k.clone();
            }
        }
    };
    assert!(keys.scanned >= 5000, "{}", keys.scanned);
    let cache = keys.families.iter().find(|f| f.prefix == "cache:").unwrap();
    assert_eq!(cache.keys, keys.scanned);
    assert!(cache.sampled >= 60, "20 probes a step: {}", cache.sampled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistence_figures_and_a_failed_save_raise_alerts() {
    let srv = Server::builder()
        .conf("enable-protected-configs yes")
        .conf("save 3600 1")
        .start();
    let profile = redeye::config::Profile::local(
        "t",
        redeye::config::Origin::ZeroConfig,
        redeye::config::Endpoint::parse(&srv.addr()).unwrap(),
    );
    let dep = redeye::connect::connect(&profile).await.unwrap();
    srv.run(&["SET", "k", "v"]);
    srv.run(&["BGSAVE"]);
    let wait_saved = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = match srv.run(&["INFO", "persistence"]) {
                redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
                redis::Value::VerbatimString { text, .. } => text,
                _ => String::new(),
            };
            if info.contains("rdb_bgsave_in_progress:0") {
                return;
            }
            assert!(Instant::now() < deadline, "{what} did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_saved("BGSAVE");
    let snap = redeye::collect::poll(&profile, &dep).await.unwrap();
    let p = snap.persistence.as_ref().unwrap();
    assert_eq!(p.rdb_last_bgsave_status, "ok");
    assert!(snap.taken_at_ms / 1000 - p.rdb_last_save_time < 30);
    assert_eq!(p.save.as_deref(), Some("3600 1"));
    assert!(!p.aof_enabled);
    let alerts = redeye::model::alerts::evaluate(&snap, &Default::default(), &profile.alerts);
    assert!(
        !alerts.iter().any(|a| a.subject == "persistence"),
        "{alerts:?}"
    );

    // AOF on: seen with its fsync policy.
    srv.run(&["CONFIG", "SET", "appendonly", "yes"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let snap = loop {
        let s = redeye::collect::poll(&profile, &dep).await.unwrap();
        let p = s.persistence.as_ref().unwrap();
        if p.aof_enabled && !p.aof_rewrite_in_progress {
            break s;
        }
        assert!(Instant::now() < deadline, "AOF never came on");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        snap.persistence.as_ref().unwrap().appendfsync.as_deref(),
        Some("everysec")
    );

    // No save for longer than the profile allows, with changes waiting.
    let mut strict = profile.clone();
    strict.alerts.last_save_warn = Duration::from_secs(1);
    srv.run(&["SET", "k3", "v"]);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let snap = redeye::collect::poll(&strict, &dep).await.unwrap();
    let alerts = redeye::model::alerts::evaluate(&snap, &Default::default(), &strict.alerts);
    assert!(
        alerts.iter().any(|a| a.text.contains("no RDB save for")),
        "{alerts:?}"
    );

    // A save that cannot be written: the BGSAVE fails, a critical alert says so.
    srv.run(&["CONFIG", "SET", "dir", "/proc"]);
    srv.run(&["SET", "k2", "v"]);
    srv.run(&["BGSAVE", "SCHEDULE"]);
    wait_saved("the failing BGSAVE");
    std::thread::sleep(Duration::from_millis(200));
    let snap = redeye::collect::poll(&profile, &dep).await.unwrap();
    assert_eq!(
        snap.persistence.as_ref().unwrap().rdb_last_bgsave_status,
        "err"
    );
    let alerts = redeye::model::alerts::evaluate(&snap, &Default::default(), &profile.alerts);
    assert!(
        alerts
            .iter()
            .any(|a| a.level == redeye::model::alerts::Level::Crit
                && a.text.contains("BGSAVE failed")),
        "{alerts:?}"
    );
}

#[test]
fn latency_events_are_read_and_monitoring_off_is_said() {
    let srv = Server::builder().conf("enable-debug-command yes").start();
    let home = Home::new();
    let snap = snapshot_json(&home, &srv.addr(), &[]);
    assert_eq!(snap["latency"]["threshold_ms"], 0);
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .arg("snapshot")
        .output()
        .unwrap();
    assert!(
        out(&o).0.contains("latency      monitoring off"),
        "{}",
        out(&o).0
    );
    srv.run(&["CONFIG", "SET", "latency-monitor-threshold", "50"]);
    srv.run(&["DEBUG", "SLEEP", "0.12"]);
    let snap = snapshot_json(&home, &srv.addr(), &[]);
    let ev = snap["latency"]["events"].as_array().unwrap();
    let cmd = ev
        .iter()
        .find(|e| e["event"] == "command")
        .unwrap_or_else(|| panic!("{ev:?}"));
    assert!(cmd["latest_ms"].as_u64().unwrap() >= 100, "{cmd}");
    assert!(snap["latency"]["doctor"].as_str().unwrap().len() > 20);
}

#[test]
fn the_advisor_judges_a_production_server_against_the_document() {
    let srv = Server::builder()
        .rename("FLUSHDB", "")
        .conf("tcp-keepalive 0")
        .start();
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  prod:\n    environment: production\n    redis:\n      address: {}\n      rename_commands:\n        FLUSHDB: \"\"\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "prod"])
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    let snap: serde_json::Value = serde_json::from_str(&so).unwrap();
    let rows = snap["advisor"]["rows"].as_array().unwrap();
    let row = |k: &str| {
        rows.iter()
            .find(|r| r["setting"] == k)
            .unwrap_or_else(|| panic!("no {k}: {rows:?}"))
    };
    assert_eq!(row("maxmemory")["severity"], "warn");
    assert_eq!(row("appendonly")["severity"], "warn");
    assert_eq!(row("tcp-keepalive")["value"], "0");
    assert_eq!(row("tcp-keepalive")["severity"], "warn");
    assert_eq!(row("ACL user default")["value"], "on nopass");
    assert_eq!(row("ACL user default")["severity"], "crit");
    assert_eq!(row("FLUSHDB")["value"], "renamed or disabled");
    assert_eq!(row("FLUSHDB")["severity"], "ok");
    assert_eq!(row("FLUSHALL")["severity"], "warn");
    assert!(snap["advisor"]["memory_doctor"].as_str().is_some());
    // No secret is read: requirepass is not among the settings.
    assert!(snap["config"]["settings"].get("requirepass").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sampler_counts_commands_families_and_clients_then_stops() {
    let srv = Server::builder().acl_users().start();
    let addr = srv.addr();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let mut c = srv.client();
    let load = std::thread::spawn(move || {
        let mut i = 0u64;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            let _: () = redis::cmd("SET")
                .arg(format!("emb:{i}"))
                .arg(1)
                .query(&mut c)
                .unwrap();
            let _: String = redis::cmd("XADD")
                .arg("orders")
                .arg("*")
                .arg("n")
                .arg(i)
                .query(&mut c)
                .unwrap();
            i += 1;
        }
    });
    let profile = redeye::config::Profile::local(
        "t",
        redeye::config::Origin::ZeroConfig,
        redeye::config::Endpoint::parse(&addr).unwrap(),
    );
    let dep = redeye::connect::connect(&profile).await.unwrap();
    let classifier = redeye::collect::keys::Classifier::for_profile(&profile);
    let started = Instant::now();
    let s = redeye::collect::sampler::sample(&dep, &classifier, Duration::from_secs(1)).await;
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.join().unwrap();
    assert!(s.error.is_none(), "{:?}", s.error);
    assert!(
        took < Duration::from_secs(3),
        "it stops by itself: {took:?}"
    );
    assert!(s.total > 100, "{}", s.total);
    let n = |v: &[(String, u64)], k: &str| v.iter().find(|(x, _)| x == k).map(|(_, n)| *n);
    assert!(
        n(&s.commands, "SET").is_some() && n(&s.commands, "XADD").is_some(),
        "{:?}",
        s.commands
    );
    assert!(n(&s.prefixes, "emb:").unwrap() > 50, "{:?}", s.prefixes);
    assert!(!s.clients.is_empty());

    // A user without MONITOR: one sentence, no sample.
    let mut ro = profile.clone();
    ro.username = Some("readonly_user".into());
    ro.password = Some(redeye::secret::Secret::new(common::READONLY_PASSWORD));
    let dep = redeye::connect::connect(&ro).await.unwrap();
    let s = redeye::collect::sampler::sample(&dep, &classifier, Duration::from_secs(1)).await;
    assert!(
        s.error
            .as_deref()
            .unwrap()
            .contains("not permitted for user readonly_user: MONITOR"),
        "{:?}",
        s.error
    );
}
