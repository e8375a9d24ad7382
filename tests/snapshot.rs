//! `redeye snapshot` against real redis-server processes.

mod common;

use common::{Home, Server, out};
use serde_json::Value as Json;

fn snapshot_json(home: &Home, envs: &[(&str, &str)], args: &[&str]) -> Json {
    let mut cmd = home.redeye();
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd
        .args(args)
        .args(["snapshot", "--json", "--sample", "0"])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "snapshot failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn stream<'a>(snap: &'a Json, name: &str) -> &'a Json {
    snap["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stream {name} in {snap:#}"))
}

fn group<'a>(s: &'a Json, name: &str) -> &'a Json {
    s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {s:#}"))
}

#[test]
fn zero_config_snapshot_reports_every_section() {
    let srv = Server::builder()
        .conf("maxmemory 64mb")
        .conf("maxmemory-policy allkeys-lru")
        .start();
    srv.run(&["SET", "sess:1", "x", "EX", "1800"]);
    srv.run(&["SET", "emb:a", "y"]);
    srv.run(&["GET", "emb:a"]);
    srv.run(&["GET", "missing"]);
    let home = Home::new();
    let snap = snapshot_json(&home, &[("REDIS_ADDR", &srv.addr())], &[]);
    assert_eq!(snap["schema"], 1);
    assert_eq!(snap["profile"], "(zero-config)");
    assert_eq!(snap["endpoint"], srv.addr());
    assert_eq!(snap["round_trips"], 1, "one pipelined round trip per poll");
    assert!(snap["server"]["version"].as_str().unwrap().starts_with('7'));
    assert_eq!(snap["server"]["role"], "master");
    assert_eq!(snap["memory"]["maxmemory_bytes"], 64 * 1024 * 1024);
    assert_eq!(snap["memory"]["maxmemory_policy"], "allkeys-lru");
    assert!(snap["memory"]["used_bytes"].as_u64().unwrap() > 0);
    assert!(snap["memory"]["fragmentation_ratio"].as_f64().unwrap() > 0.0);
    assert!(snap["clients"]["connected"].as_u64().unwrap() >= 1);
    assert_eq!(snap["stats"]["keyspace_hits"], 1);
    assert_eq!(snap["stats"]["keyspace_misses"], 1);
    assert_eq!(snap["stats"]["hit_rate"], 0.5);
    assert_eq!(snap["persistence"]["aof_enabled"], false);
    assert_eq!(snap["keyspace"][0]["db"], 0);
    assert_eq!(snap["keyspace"][0]["keys"], 2);
    assert_eq!(snap["keyspace"][0]["expires"], 1);
    assert_eq!(snap["config"]["slowlog_max_len"], 128);
    assert_eq!(snap["problems"].as_array().unwrap().len(), 0, "{snap:#}");
    // The document's streams are the defaults; none exist yet.
    assert_eq!(stream(&snap, "webhook_events")["exists"], false);
    assert_eq!(
        group(stream(&snap, "webhook_events"), "webhook_workers")["exists"],
        false
    );
}

#[test]
fn streams_groups_pending_lag_and_dlq() {
    let srv = Server::plain();
    for i in 0..10 {
        srv.run(&["XADD", "webhook-events", "*", "event_id", &i.to_string()]);
    }
    srv.run(&[
        "XGROUP",
        "CREATE",
        "webhook-events",
        "webhook-processors",
        "0",
    ]);
    // Two consumers read 4 entries; one acks one.
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "webhook-processors",
        "consumer-1",
        "COUNT",
        "3",
        "STREAMS",
        "webhook-events",
        ">",
    ]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "webhook-processors",
        "consumer-2",
        "COUNT",
        "1",
        "STREAMS",
        "webhook-events",
        ">",
    ]);
    srv.run(&[
        "XGROUP",
        "CREATECONSUMER",
        "webhook-events",
        "webhook-processors",
        "consumer-idle",
    ]);
    srv.run(&[
        "XADD",
        "webhook-events:dlq",
        "*",
        "original_id",
        "1-0",
        "error",
        "boom",
    ]);
    srv.run(&[
        "XADD",
        "webhook-events:dlq",
        "*",
        "original_id",
        "2-0",
        "error",
        "boom",
    ]);
    let home = Home::new();
    let cfg = home.config(
        r#"
default_profile: local
profiles:
  local:
    redis:
      address: ${TEST_ADDR}
      streams:
        webhook_events: "webhook-events"
        consumer_groups:
          webhook-processors:
            stream: webhook_events
          ghost-group:
            stream: webhook_events
"#,
    );
    let snap = snapshot_json(
        &home,
        &[("TEST_ADDR", &srv.addr())],
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(snap["profile"], "local");
    let s = stream(&snap, "webhook-events");
    assert_eq!(s["exists"], true);
    assert_eq!(s["length"], 10);
    assert_eq!(s["entries_added"], 10);
    assert_eq!(s["dlq"]["stream"], "webhook-events:dlq");
    assert_eq!(s["dlq"]["length"], 2);
    let g = group(s, "webhook-processors");
    assert_eq!(g["configured"], true);
    assert_eq!(g["consumers"], 3);
    assert_eq!(g["pending"], 4);
    assert_eq!(g["entries_read"], 4);
    assert_eq!(g["lag"], 6);
    assert!(g["lag_unavailable_reason"].is_null());
    assert_eq!(g["pending_by_consumer"][0]["consumer"], "consumer-1");
    assert_eq!(g["pending_by_consumer"][0]["pending"], 3);
    assert_eq!(g["consumer_summary"]["total"], 3);
    assert_eq!(g["consumer_summary"]["with_pending"], 2);
    assert!(g["oldest_pending_id"].is_string());
    let ghost = group(s, "ghost-group");
    assert_eq!(ghost["exists"], false);
}

#[test]
fn null_lag_is_null_with_a_reason_never_zero() {
    let srv = Server::plain();
    let mut ids = Vec::new();
    for i in 0..5 {
        let v = srv.run(&["XADD", "webhook_events", "*", "n", &i.to_string()]);
        ids.push(redis::from_redis_value::<String>(v).unwrap());
    }
    srv.run(&["XGROUP", "CREATE", "webhook_events", "webhook_workers", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "webhook_workers",
        "c",
        "COUNT",
        "2",
        "STREAMS",
        "webhook_events",
        ">",
    ]);
    // Delete an entry after last-delivered-id: Redis can no longer count the lag.
    srv.run(&["XDEL", "webhook_events", &ids[3]]);
    // A group created at an arbitrary ID.
    srv.run(&["XGROUP", "CREATE", "webhook_events", "mid-group", &ids[1]]);
    let home = Home::new();
    let snap = snapshot_json(&home, &[("REDIS_ADDR", &srv.addr())], &[]);
    let s = stream(&snap, "webhook_events");
    let g = group(s, "webhook_workers");
    assert!(g["lag"].is_null(), "lag must be null, not 0: {g:#}");
    assert!(
        g["lag_unavailable_reason"]
            .as_str()
            .unwrap()
            .contains("XDEL")
    );
    let m = group(s, "mid-group");
    assert!(m["lag"].is_null(), "{m:#}");
    assert!(m["lag_unavailable_reason"].as_str().is_some());
    assert_eq!(m["configured"], false, "discovered groups are listed too");

    // The text form says n/a with the reason.
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .arg("snapshot")
        .output()
        .unwrap();
    let (stdout, _) = out(&o);
    assert!(o.status.success());
    assert!(stdout.contains("lag n/a"), "{stdout}");
    assert!(stdout.contains("XDEL"), "{stdout}");
}

#[test]
fn text_snapshot_sanitises_names_from_redis() {
    let srv = Server::plain();
    let evil = "evil\x1b[2J\x07name";
    srv.run(&["XADD", "s", "*", "f", "v"]);
    srv.run(&["XGROUP", "CREATE", "s", evil, "0"]);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  p:\n    read_only: true\n    redis:\n      address: {}\n      streams:\n        s: s\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "p",
            "snapshot",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(!stdout.contains('\x1b'), "raw escape reached the terminal");
    assert!(!stdout.contains('\x07'));
    assert!(stdout.contains("evil\\u{1b}[2J\\u{7}name"), "{stdout}");
}

#[test]
fn discover_adds_streams_the_profile_does_not_name() {
    let srv = Server::plain();
    srv.run(&["XADD", "webhook-events", "*", "a", "1"]);
    srv.run(&[
        "XGROUP",
        "CREATE",
        "webhook-events",
        "webhook-processors",
        "0",
    ]);
    srv.run(&["XADD", "webhook-events:dlq", "*", "a", "1"]);
    srv.run(&["SET", "unrelated", "x"]);
    let home = Home::new();
    let plain = snapshot_json(&home, &[("REDIS_ADDR", &srv.addr())], &[]);
    assert!(
        plain["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "webhook-events")
    );
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .args(["snapshot", "--json", "--discover", "--sample", "0"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o).1);
    let snap: Json = serde_json::from_slice(&o.stdout).unwrap();
    let s = stream(&snap, "webhook-events");
    assert_eq!(s["configured"], false);
    assert_eq!(s["length"], 1);
    assert_eq!(
        group(s, "webhook-processors")["lag"],
        1,
        "one entry, not yet delivered"
    );
    assert!(
        snap["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "webhook-events:dlq"),
        "DLQ streams are not listed as streams"
    );
    assert_eq!(
        snap["round_trips"], 1,
        "discovery runs before the one-round-trip poll"
    );
}

/// A group the profile does not name (a third-party worker framework's) gets
/// the same XPENDING summary as a configured one: its oldest pending entry.
#[test]
fn a_discovered_group_has_its_oldest_pending_entry() {
    let srv = Server::plain();
    for i in 0..99 {
        srv.run(&["XADD", "webhook_events", "*", "n", &i.to_string()]);
    }
    srv.run(&[
        "XGROUP",
        "CREATE",
        "webhook_events",
        "framework-workers",
        "0",
    ]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "framework-workers",
        "w1",
        "STREAMS",
        "webhook_events",
        ">",
    ]);
    let home = Home::new();
    let snap = snapshot_json(&home, &[("REDIS_ADDR", &srv.addr())], &[]);
    let s = stream(&snap, "webhook_events");
    let g = group(s, "framework-workers");
    assert_eq!(g["configured"], false);
    assert_eq!(g["pending"], 99);
    assert!(
        g["oldest_pending_id"]
            .as_str()
            .is_some_and(|id| id.contains('-')),
        "oldest pending of an unconfigured group: {g}"
    );
    assert_eq!(snap["round_trips"], 2, "groups first, then their summaries");
}
