//! Sentinel without SSH, on loopback: real masters, replicas and sentinels.
//! The master is found through the sentinels (with their own password, over
//! TLS), and every way discovery can fail is one sentence with its exit code.

mod common;

use common::net::{MASTER_NAME, SentinelSet, Spot, redis_at, sentinel_at};
use common::{Certs, Home, code_out, free_port};

fn ports(n: usize) -> Vec<u16> {
    (0..n).map(|_| free_port()).collect()
}

fn profile(addresses: &str, extra_sentinel: &str, extra_redis: &str) -> String {
    format!(
        "profiles:\n  production:\n    redis:\n{extra_redis}      sentinel:\n        enabled: true\n        master_name: {MASTER_NAME}\n        addresses: [{addresses}]\n{extra_sentinel}"
    )
}

fn snapshot(home: &Home, yaml: &str) -> (i32, String, String) {
    let cfg = home.config(yaml);
    code_out(
        home.redeye()
            .args(["--config", cfg.to_str().unwrap(), "--profile", "production"])
            .args(["snapshot", "--json"]),
    )
}

#[test]
fn the_master_is_found_through_sentinels_with_their_own_password() {
    let p = ports(5);
    let set = SentinelSet::start(
        Spot::host(),
        &p,
        &[
            "requirepass \"sentinel-pw\"".into(),
            "sentinel sentinel-pass sentinel-pw".into(),
        ],
    );
    let home = Home::new();
    let ok = profile(
        &set.sentinel_addrs(),
        "        options: {password: sentinel-pw}\n",
        "",
    );
    let (code, stdout, stderr) = snapshot(&home, &ok);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["deployment"]["mode"], "sentinel");
    assert_eq!(v["deployment"]["master"], format!("127.0.0.1:{}", p[0]));
    assert_eq!(v["deployment"]["master_name"], MASTER_NAME);
    assert_eq!(v["deployment"]["quorum_ok"], true);
    assert!(
        v["deployment"]["sentinels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["agrees"] == true),
        "{stdout}"
    );
    assert_eq!(v["deployment"]["failovers"], serde_json::json!([]));
    // The password is never printed.
    assert!(!stdout.contains("sentinel-pw") && !stderr.contains("sentinel-pw"));

    let wrong = profile(
        &set.sentinel_addrs(),
        "        options: {password: not-it}\n",
        "",
    );
    let (code, _, stderr) = snapshot(&home, &wrong);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("rejected the login") && stderr.contains("redis.sentinel.options"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-it"));
}

#[test]
fn sentinels_and_data_nodes_over_tls() {
    let p = ports(5);
    let dir = tempfile::tempdir().unwrap();
    let c = Certs::generate(dir.path());
    let tls = vec![
        "TLS_ONLY".to_string(),
        format!("tls-cert-file {}", c.server_cert.display()),
        format!("tls-key-file {}", c.server_key.display()),
        format!("tls-ca-cert-file {}", c.ca.display()),
        "tls-auth-clients no".into(),
        "tls-replication yes".into(),
    ];
    let spot = Spot {
        ns: None,
        cli_args: vec![
            "--tls".into(),
            "--cacert".into(),
            c.ca.display().to_string(),
        ],
    };
    let _set = SentinelSet::start_with(spot, &p, &tls, &tls);
    let home = Home::new();
    let yaml = profile(
        &p[2..]
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", "),
        "",
        &format!(
            "      tls: {{enabled: true, ca_file: {}}}\n",
            c.ca.display()
        ),
    );
    let (code, stdout, stderr) = snapshot(&home, &yaml);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["deployment"]["master"], format!("127.0.0.1:{}", p[0]));
    assert_eq!(
        v["deployment"]["replicas"][0]["address"],
        format!("127.0.0.1:{}", p[1])
    );
}

#[test]
fn an_unknown_master_name_is_a_config_error() {
    let p = ports(5);
    let set = SentinelSet::start(Spot::host(), &p, &[]);
    let home = Home::new();
    let yaml = profile(&set.sentinel_addrs(), "", "").replace(
        &format!("master_name: {MASTER_NAME}"),
        "master_name: no-such-master",
    );
    let (code, _, stderr) = snapshot(&home, &yaml);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no sentinel knows a master named 'no-such-master'"),
        "{stderr}"
    );
}

#[test]
fn all_sentinels_down_is_one_line() {
    let p = ports(2);
    let home = Home::new();
    let yaml = profile(
        &format!("\"127.0.0.1:{}\", \"127.0.0.1:{}\"", p[0], p[1]),
        "",
        "",
    );
    let (code, _, stderr) = snapshot(&home, &yaml);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no sentinel of 'production-master' answered"),
        "{stderr}"
    );
    assert!(stderr.contains("connection refused"), "{stderr}");
}

#[test]
fn sentinels_naming_different_masters_are_refused() {
    // Two unrelated masters, each watched by a sentinel under the same name:
    // no majority, so no guess.
    let p = ports(4);
    let dir = tempfile::tempdir().unwrap();
    let spot = Spot::host();
    let _m1 = redis_at(&spot, dir.path(), p[0], &[]);
    let _m2 = redis_at(&spot, dir.path(), p[1], &[]);
    let _s1 = sentinel_at(&spot, dir.path(), p[2], p[0], &[]);
    let _s2 = sentinel_at(&spot, dir.path(), p[3], p[1], &[]);
    spot.wait_redis(p[2]);
    spot.wait_redis(p[3]);
    let home = Home::new();
    let yaml = profile(
        &format!("\"127.0.0.1:{}\", \"127.0.0.1:{}\"", p[2], p[3]),
        "",
        "",
    );
    let (code, _, stderr) = snapshot(&home, &yaml);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("the sentinels disagree"), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", p[0]))
            && stderr.contains(&format!("127.0.0.1:{}", p[1])),
        "{stderr}"
    );
}

/// Every sentinel gone while the dashboard runs: it keeps polling the last
/// known master (its figures stay live), the snapshot shows each sentinel
/// unreachable, and a critical alert says failover following is paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_sentinel_gone_the_last_master_is_still_polled() {
    use redeye::collect::collector::{Limits, spawn_on};
    let p = ports(5);
    let mut set = SentinelSet::start(Spot::host(), &p, &[]);
    set.wait_settled();
    let home = Home::new();
    let cfg = home.config(&profile(&set.sentinel_addrs(), "", ""));
    let prof = common::profile_from(&cfg, "production");
    let link = redeye::connect::Link::open_with(&prof, false)
        .await
        .unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    common::snapshot_where(&mut h, std::time::Duration::from_secs(10), |s| {
        s.server.is_some()
    })
    .await;
    set.kill_sentinels();
    let master = format!("127.0.0.1:{}", p[0]);
    let s = common::snapshot_where(&mut h, std::time::Duration::from_secs(15), |s| {
        !s.deployment.sentinels.is_empty()
            && s.deployment.sentinels.iter().all(|v| !v.reachable)
            && s.server.is_some()
    })
    .await;
    assert_eq!(s.deployment.master.as_deref(), Some(master.as_str()));
    let alerts = redeye::model::alerts::evaluate(
        &s,
        &Default::default(),
        &redeye::model::alerts::Thresholds::defaults(std::time::Duration::from_secs(60)),
    );
    assert!(
        alerts.iter().any(|a| a.subject == "sentinel"
            && a.level == redeye::model::alerts::Level::Crit
            && a.text.contains("failover following paused")),
        "{alerts:?}"
    );
    // Still live a few polls later.
    let later = common::snapshot_where(&mut h, std::time::Duration::from_secs(5), |x| {
        x.taken_at_ms > s.taken_at_ms + 1500
    })
    .await;
    assert!(later.server.is_some());
    drop(h);
    link.close();
}
