//! SSH tunnels and Sentinel behind them, against real processes: a network
//! namespace the client cannot reach directly, holding sshd and Redis on its
//! own 127.0.0.1 (see `common/net.rs`). Needs root (CI runs as root).

mod common;

use common::net::{Bastion, MASTER_NAME, Netns, SentinelSet, redis_at};
use common::{Home, out, profile_from, snapshot_where};
use std::time::{Duration, Instant};

/// A stream only the namespace's Redis has: seeing it proves which server
/// redeye talked to (the host's own 127.0.0.1:6379 is another server).
const MARKER: &str = "marker-only-in-the-namespace";

/// A private Redis holding the marker stream, reached only through a
/// bastion in a network namespace, and a home whose profile `behind` goes
/// there. Fields drop in this order: the profile, the bastion, Redis, the
/// namespace.
struct Behind {
    cfg: std::path::PathBuf,
    home: Home,
    b: Bastion,
    _redis: common::net::Proc,
    _dir: tempfile::TempDir,
    _ns: Netns,
}

fn behind() -> Behind {
    let ns = Netns::new();
    let dir = tempfile::tempdir().unwrap();
    let redis = redis_at(&ns.spot(), dir.path(), 6379, &[]);
    ns.spot().cli(6379, &["XADD", MARKER, "*", "k", "v"]);
    let b = Bastion::start(&ns, &[]);
    let home = Home::new();
    let cfg = home.config(&standalone_profile(&b));
    Behind {
        cfg,
        home,
        b,
        _redis: redis,
        _dir: dir,
        _ns: ns,
    }
}

fn standalone_profile(b: &Bastion) -> String {
    format!(
        "profiles:\n  behind:\n{}    redis:\n      address: 127.0.0.1:6379\n      streams:\n        marker: {MARKER}\n",
        b.ssh_yaml()
    )
}

#[test]
fn snapshot_through_the_tunnel_reaches_the_private_redis() {
    let t = behind();
    let (b, home, cfg) = (&t.b, &t.home, &t.cfg);
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "behind"])
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["streams"][0]["exists"], true, "{stdout}");
    assert_eq!(v["streams"][0]["length"], 1);
    assert_eq!(v["deployment"]["tunnel"]["via"], "bastion-test");
    assert_eq!(v["deployment"]["master"], "127.0.0.1:6379");
    // The forward is listed under the announced address.
    let fwd = &v["deployment"]["tunnel"]["forwards"][0];
    assert_eq!(fwd[0], "127.0.0.1:6379", "{stdout}");
    assert_ne!(fwd[1], "127.0.0.1:6379");
    // The master was stopped on the way out.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        b.ssh_pids().is_empty(),
        "ssh left running: {:?}",
        b.ssh_pids()
    );
}

fn sentinel_yaml(b: Option<&Bastion>, set: &SentinelSet, extra_sentinel: &str) -> String {
    format!(
        "profiles:\n  production:\n    read_only: false\n{}    redis:\n      sentinel:\n        enabled: true\n        master_name: {MASTER_NAME}\n        addresses: [{}]\n{extra_sentinel}      streams:\n        marker: {MARKER}\n        orders: orders\n        consumer_groups:\n          billing: {{stream: orders}}\n",
        b.map(|b| b.ssh_yaml()).unwrap_or_default(),
        set.sentinel_addrs()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_behind_ssh_follows_a_failover_and_a_write_in_flight_fails_cleanly() {
    use redeye::collect::collector::{Limits, spawn_on};
    use redeye::connect::Link;
    use redeye::ops::Op;
    let ns = Netns::new();
    let spot = ns.spot();
    let set = SentinelSet::start(spot.clone(), &[6379, 6380, 26379, 26380, 26381], &[]);
    spot.cli(6379, &["XADD", MARKER, "*", "k", "v"]);
    spot.cli(
        6379,
        &["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"],
    );
    let id = spot.cli(6379, &["XADD", "orders", "*", "n", "1"]);
    spot.cli(
        6379,
        &[
            "XREADGROUP",
            "GROUP",
            "billing",
            "worker-1",
            "COUNT",
            "1",
            "STREAMS",
            "orders",
            ">",
        ],
    );
    spot.cli(6379, &["WAIT", "1", "2000"]);
    let b = Bastion::start(&ns, &[]);
    let home = Home::new();
    let cfg = home.config(&sentinel_yaml(Some(&b), &set, ""));
    // The in-process writes below audit into this test's data dir.
    home.own_data_dir();

    // The CLI finds the master through the sentinels, through the tunnel.
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "production"])
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["deployment"]["mode"], "sentinel");
    assert_eq!(v["deployment"]["master"], "127.0.0.1:6379", "{stdout}");
    assert_eq!(v["streams"][0]["exists"], true, "{stdout}");
    assert_eq!(v["deployment"]["sentinels"].as_array().unwrap().len(), 3);
    assert_eq!(v["deployment"]["replicas"][0]["address"], "127.0.0.1:6380");
    assert_eq!(v["deployment"]["quorum"], 2);

    // The dashboard's collector follows a failover.
    let profile = profile_from(&cfg, "production");
    let link = Link::open_with(&profile, false).await.unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    snapshot_where(&mut h, Duration::from_secs(10), |s| {
        s.deployment.master.as_deref() == Some("127.0.0.1:6379")
    })
    .await;
    // A write opened on the old master before the failover...
    let before = redeye::ops::runner::Runner::on(&link).await.unwrap();
    let claim = Op::Claim {
        stream: "orders".into(),
        group: "billing".into(),
        ids: vec![id.clone()],
        to: "oncall".into(),
        min_idle: Duration::ZERO,
    };
    let started = Instant::now();
    set.failover();
    let snap = snapshot_where(&mut h, Duration::from_secs(30), |s| {
        s.deployment.master.as_deref() == Some("127.0.0.1:6380")
    })
    .await;
    let took = started.elapsed();
    let failovers = snap.deployment.failovers.clone().unwrap();
    assert_eq!(failovers.len(), 1, "{failovers:?}");
    assert_eq!(failovers[0].from, "127.0.0.1:6379");
    assert_eq!(failovers[0].to, "127.0.0.1:6380");
    // Polled the new master within 2 s of the switch.
    let lag = snap.taken_at_ms.saturating_sub(failovers[0].at_ms);
    assert!(
        lag <= 2000,
        "polled the new master {lag} ms after the switch"
    );
    assert!(snap.streams[0].exists);
    eprintln!("failover seen after {took:?}, new master polled {lag} ms after the switch");

    // ...runs after it: it fails with the reason, and changes nothing.
    let err = match before.check(&claim).await {
        Err(e) => e.to_string(),
        Ok(c) => before
            .run(c, &mut |_| {})
            .await
            .expect_err("write to the old master fails")
            .to_string(),
    };
    assert!(
        err.contains("master changed") || err.contains("read-only replica"),
        "{err}"
    );
    let owner = spot.cli(6380, &["XPENDING", "orders", "billing", "-", "+", "10"]);
    assert!(owner.contains("worker-1"), "{owner}");
    // A claim started after the failover goes to the new master.
    let after = redeye::ops::runner::Runner::on(&link).await.unwrap();
    let outcome = after
        .run(after.check(&claim).await.unwrap(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(outcome.ids, vec![id.clone()], "{outcome:?}");
    let owner = spot.cli(6380, &["XPENDING", "orders", "billing", "-", "+", "10"]);
    assert!(owner.contains("oncall"), "{owner}");
    drop(h);
    link.close();
}

/// `redeye snapshot` through a bastion set up by `prepare`; (exit code, stderr).
fn snapshot_via(sshd_extra: &[&str], prepare: impl Fn(&Bastion)) -> (i32, String) {
    let ns = Netns::new();
    let dir = tempfile::tempdir().unwrap();
    let _redis = redis_at(&ns.spot(), dir.path(), 6379, &[]);
    let b = Bastion::start(&ns, sshd_extra);
    prepare(&b);
    let home = Home::new();
    let cfg = home.config(&standalone_profile(&b));
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "behind"])
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (_, stderr) = out(&o);
    std::thread::sleep(Duration::from_millis(200));
    assert!(b.ssh_pids().is_empty(), "ssh left running after a failure");
    (o.status.code().unwrap_or(-1), stderr)
}

fn one_line(stderr: &str) {
    eprintln!("message: {}", stderr.trim());
    assert_eq!(stderr.trim().lines().count(), 1, "not one line: {stderr}");
}

#[test]
fn a_changed_host_key_is_refused_with_the_fix() {
    let (code, stderr) = snapshot_via(&[], |b| {
        let other = b.dir.path().join("other_key");
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&other)
            .status()
            .unwrap();
        let key = std::fs::read_to_string(other.with_extension("pub")).unwrap();
        std::fs::write(&b.known_hosts, format!("bastion-test {key}")).unwrap();
    });
    assert_eq!(code, 1, "{stderr}");
    one_line(&stderr);
    assert!(
        stderr.contains("host key of the bastion bastion-test has CHANGED"),
        "{stderr}"
    );
    assert!(stderr.contains("ssh-keygen -R"), "{stderr}");
}

#[test]
fn an_unknown_host_key_says_how_to_accept_it() {
    let (code, stderr) = snapshot_via(&[], |b| std::fs::write(&b.known_hosts, "").unwrap());
    assert_eq!(code, 1, "{stderr}");
    one_line(&stderr);
    assert!(stderr.contains("is not in known_hosts"), "{stderr}");
}

#[test]
fn a_refused_login_names_the_keys_to_check() {
    let (code, stderr) = snapshot_via(&[], |b| {
        std::fs::write(b.dir.path().join("authorized_keys"), "").unwrap()
    });
    assert_eq!(code, 1, "{stderr}");
    one_line(&stderr);
    assert!(stderr.contains("refused the login"), "{stderr}");
    assert!(stderr.contains("ssh.identity_file"), "{stderr}");
}

#[test]
fn a_forward_refused_by_permitopen_is_named() {
    let (code, stderr) = snapshot_via(&["PermitOpen 127.0.0.1:1"], |_| {});
    assert_eq!(code, 1, "{stderr}");
    one_line(&stderr);
    assert!(
        stderr.contains("refused to forward to 127.0.0.1:6379"),
        "{stderr}"
    );
    assert!(stderr.contains("PermitOpen"), "{stderr}");
}

#[test]
fn an_unreachable_bastion_is_one_line() {
    let (code, stderr) = snapshot_via(&[], |b| {
        let cfg = std::fs::read_to_string(&b.config).unwrap();
        std::fs::write(
            &b.config,
            cfg.replace("TCP:127.0.0.1:2222", "TCP:127.0.0.1:2223"),
        )
        .unwrap();
    });
    assert_eq!(code, 1, "{stderr}");
    one_line(&stderr);
    assert!(
        stderr.contains("cannot reach the bastion bastion-test"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_ssh_master_is_restarted_and_the_dashboard_recovers() {
    use redeye::collect::collector::{FromCollector, Limits, spawn_on};
    use redeye::connect::Link;
    let t = behind();
    let b = &t.b;
    let profile = profile_from(&t.cfg, "behind");
    let link = Link::open_with(&profile, false).await.unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    snapshot_where(&mut h, Duration::from_secs(10), |s| s.streams[0].exists).await;
    let masters = b.ssh_pids();
    assert_eq!(masters.len(), 1, "{masters:?}");
    std::process::Command::new("kill")
        .args(["-9", &masters[0]])
        .status()
        .unwrap();
    // The header's text: tunnel down, then live again by itself.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut saw_down = None;
    loop {
        let msg = tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .expect("recovery in time")
            .unwrap();
        match msg {
            FromCollector::Failed { error, cause, .. } => saw_down = Some((error, cause)),
            FromCollector::Snapshot(s) if saw_down.is_some() => {
                assert!(s.streams[0].exists);
                let t = s.deployment.tunnel.clone().unwrap();
                assert!(t.up && t.restarts == 1, "{t:?}");
                break;
            }
            _ => {}
        }
    }
    let (down, cause) = saw_down.unwrap();
    assert!(down.starts_with("tunnel down · reconnecting"), "{down}");
    // The header decides by the typed cause, not the text.
    assert_eq!(
        cause,
        redeye::collect::collector::Cause::TunnelDown,
        "{down}"
    );
    let now = b.ssh_pids();
    assert_eq!(now.len(), 1, "one new master: {now:?}");
    assert_ne!(now[0], masters[0]);
    drop(h);
    link.close();
    std::thread::sleep(Duration::from_millis(200));
    assert!(b.ssh_pids().is_empty(), "stopped on the way out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_behind_ssh_is_polled_and_written_and_survives_a_dead_tunnel() {
    use common::net::ClusterSet;
    use redeye::collect::collector::{FromCollector, Limits, spawn_on};
    use redeye::connect::Link;
    let ns = Netns::new();
    let set = ClusterSet::start(ns.spot(), &[7001, 7002, 7003, 7004, 7005, 7006]);
    set.cli(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let id = set.cli(&["XADD", "orders", "*", "n", "1"]);
    set.cli(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "w1",
        "COUNT",
        "1",
        "STREAMS",
        "orders",
        ">",
    ]);
    for s in ["payments", "emails"] {
        set.cli(&["XADD", s, "*", "n", "1"]);
    }
    let b = Bastion::start(&ns, &[]);
    let home = Home::new();
    // One seed: the others are found through CLUSTER SHARDS and forwarded.
    let cfg = home.config(&format!(
        "profiles:\n  c:\n    read_only: false\n{}    redis:\n      cluster:\n        enabled: true\n        addresses: [127.0.0.1:7001]\n      streams:\n        orders: orders\n        payments: payments\n        emails: emails\n        consumer_groups:\n          billing: {{stream: orders}}\n",
        b.ssh_yaml()
    ));
    home.own_data_dir();
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "c",
            "snapshot",
            "--json",
            "--sample",
            "0",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["mode"], "cluster");
    assert_eq!(v["round_trips"], 3);
    assert!(
        v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["exists"] == true),
        "{stdout}"
    );
    // Three primaries plus the seed forwarded (the seed is one of them).
    assert_eq!(
        v["deployment"]["tunnel"]["forwards"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{stdout}"
    );

    let profile = profile_from(&cfg, "c");
    let link = Link::open_with(&profile, false).await.unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    snapshot_where(&mut h, Duration::from_secs(10), |s| {
        s.streams.iter().all(|x| x.exists)
    })
    .await;
    // A claim goes to the node owning `orders`, through its own forward.
    let runner = redeye::ops::runner::Runner::on(&link).await.unwrap();
    let claim = redeye::ops::Op::Claim {
        stream: "orders".into(),
        group: "billing".into(),
        ids: vec![id.clone()],
        to: "oncall".into(),
        min_idle: Duration::ZERO,
    };
    let outcome = runner
        .run(runner.check(&claim).await.unwrap(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(outcome.ids, vec![id]);
    assert!(
        set.cli(&["XPENDING", "orders", "billing", "-", "+", "10"])
            .contains("oncall")
    );
    drop(runner);
    // Kill the ssh master: down, then back by itself.
    let masters = b.ssh_pids();
    std::process::Command::new("kill")
        .args(["-9", &masters[0]])
        .status()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut down = false;
    loop {
        match tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .expect("recovery")
            .unwrap()
        {
            FromCollector::Failed { .. } => down = true,
            FromCollector::Snapshot(s) if down => {
                assert!(s.streams.iter().all(|x| x.exists));
                assert_eq!(s.deployment.tunnel.as_ref().unwrap().restarts, 1);
                break;
            }
            _ => {}
        }
    }
    drop(h);
    link.close();
}

/// The control directories (`/tmp/redeye-ssh-<pid>-*`) of the redeye
/// process `pid`.
fn control_dirs(pid: u32) -> Vec<std::path::PathBuf> {
    std::fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("redeye-ssh-{pid}-"))
            })
        })
        .collect()
}

/// A dashboard through the tunnel whose terminal closes (SIGHUP: the end of
/// an SSH session to the bastion), or that is told to stop (SIGTERM), ends
/// its ssh master and removes its own control directory (0700, with its log
/// 0600, while it ran); one killed with SIGKILL leaves it, and the next
/// start removes it (its process is gone) but never a live dashboard's.
#[test]
fn the_control_directory_is_private_and_gone_after_sighup_sigterm_and_sigkill() {
    use std::os::unix::fs::PermissionsExt;
    let t = behind();
    let (b, home, cfg) = (&t.b, &t.home, &t.cfg);
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let start = || -> (common::tmux::Tmux, u32) {
        let shell = format!(
            "exec env HOME={h} XDG_DATA_HOME={h}/data NO_COLOR=1 {bin} --config {cfg} --profile behind 2>/dev/null",
            h = home.dir.path().display(),
            bin = bin.display(),
            cfg = cfg.display()
        );
        let tmux = common::tmux::Tmux::start(120, 30, &shell);
        tmux.wait_for("● live");
        let pid = String::from_utf8_lossy(
            &tmux
                .cmd(&["list-panes", "-t", "t", "-F", "#{pane_pid}"])
                .stdout,
        )
        .trim()
        .parse()
        .unwrap();
        (tmux, pid)
    };
    for signal in ["HUP", "TERM"] {
        let (_tmux, pid) = start();
        let dirs = control_dirs(pid);
        assert_eq!(dirs.len(), 1, "{dirs:?}");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dirs[0]), 0o700);
        assert_eq!(mode(&dirs[0].join("ssh.log")), 0o600);
        std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while dirs[0].exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!dirs[0].exists(), "SIG{signal} left {}", dirs[0].display());
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            b.ssh_pids().is_empty(),
            "SIG{signal} left ssh running: {:?}",
            b.ssh_pids()
        );
    }
    // SIGKILL: nothing can clean up; the next start does, and keeps the
    // live one's.
    let (_tmux, killed) = start();
    let left = control_dirs(killed);
    std::process::Command::new("kill")
        .args(["-KILL", &killed.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(left[0].exists());
    let (tmux2, live) = start();
    assert!(
        !left[0].exists(),
        "the dead dashboard's directory is removed at the next start"
    );
    assert_eq!(control_dirs(live).len(), 1);
    tmux2.keys("q");
    tmux2.wait_exit();
    assert!(control_dirs(live).is_empty());
    // The killed dashboard's ssh master outlives it; stop it for the bastion's sake.
    for p in b.ssh_pids() {
        let _ = std::process::Command::new("kill").arg(&p).status();
    }
}

/// The link to the bastion blackholed (its ProxyCommand stopped: packets go
/// nowhere, no RST): ssh's keepalives (`ssh.keepalive`, 5 s, two missed)
/// end the master, the collector says `tunnel down` within 20 s, restarts
/// the master in BatchMode and is live again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_link_is_tunnel_down_then_recovers() {
    use redeye::collect::collector::{Cause, FromCollector, Limits, spawn_on};
    use redeye::connect::Link;
    let t = behind();
    let b = &t.b;
    let profile = profile_from(&t.cfg, "behind");
    assert_eq!(
        profile.ssh.as_ref().unwrap().keepalive,
        Duration::from_secs(5)
    );
    let link = Link::open_with(&profile, false).await.unwrap();
    let mut h = spawn_on(link.clone(), Limits::default());
    snapshot_where(&mut h, Duration::from_secs(10), |s| s.streams[0].exists).await;
    let master = b.ssh_pids();
    assert_eq!(master.len(), 1, "{master:?}");
    let proxy = String::from_utf8_lossy(
        &std::process::Command::new("pgrep")
            .args(["-P", &master[0]])
            .output()
            .unwrap()
            .stdout,
    )
    .split_whitespace()
    .next()
    .expect("the ProxyCommand runs under the master")
    .to_string();
    std::process::Command::new("kill")
        .args(["-STOP", &proxy])
        .status()
        .unwrap();
    let blackholed = Instant::now();
    let mut down_after = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let msg = tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .expect("tunnel down, then live again, in time")
            .unwrap();
        match msg {
            FromCollector::Failed {
                cause: Cause::TunnelDown,
                ..
            } => {
                down_after.get_or_insert(blackholed.elapsed());
            }
            FromCollector::Snapshot(s) if down_after.is_some() => {
                assert!(s.streams[0].exists);
                break;
            }
            _ => {}
        }
    }
    let down = down_after.unwrap();
    let back = blackholed.elapsed();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &proxy])
        .status();
    eprintln!("tunnel down after {down:?}, live again after {back:?}");
    assert!(
        down <= Duration::from_secs(20),
        "tunnel down after {down:?}"
    );
    assert!(
        back - down <= Duration::from_secs(10),
        "live {back:?}, down {down:?}"
    );
    drop(h);
    link.close();
}
