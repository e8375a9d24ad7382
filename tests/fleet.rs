//! The fleet: several environments at once, on real servers — `snapshot
//! --fleet`, `check --fleet`, and `redeye fleet` in tmux.

mod common;

use common::tmux::Tmux;
use common::{Home, Server, code_out, held};
use std::time::{Duration, Instant};

/// A private server whose `orders` / `billing` has `n` entries held by `w1`.
fn backlog(n: usize) -> Server {
    let srv = Server::plain();
    held(&srv, n);
    srv
}

/// A free port nothing listens on (an environment whose server is down).
fn down() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A profile on `addr` naming `orders` / `billing`; `extra` is indented
/// under the profile.
fn profile(name: &str, addr: &str, extra: &str) -> String {
    format!(
        "  {name}:\n    redis:\n      address: {addr}\n      streams:\n        orders: orders\n        consumer_groups:\n          billing:\n            stream: orders\n        config:\n          claim_min_idle: 1s\n{extra}"
    )
}

#[test]
fn check_fleet_the_worst_environment_decides_the_exit_code() {
    let ok = backlog(0);
    let warn = backlog(150); // pending_warn 100, pending_crit 1000
    let acl = Server::builder()
        .conf("user watcher on >watch-pw ~* +ping +info +config|get +slowlog +client|list +latency +cluster|info")
        .start();
    held(&acl, 0);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n{}{}{}{}fleets:\n  all-ok: [ok]\n  one-warning: [ok, warn]\n  one-down: [ok, warn, down]\n  unknown-beside-warning: [warn, acl]\n  unknown-alone: [ok, acl]\n",
        profile("ok", &ok.addr(), ""),
        profile("warn", &warn.addr(), ""),
        profile("down", &down(), ""),
        profile(
            "acl",
            &acl.addr(),
            "      username: watcher\n      password: watch-pw\n"
        ),
    ));
    let check = |fleet: &str| {
        let (code, out, err) = code_out(home.redeye().args([
            "--config",
            cfg.to_str().unwrap(),
            "check",
            "--sample",
            "0s",
            "--fleet",
            fleet,
        ]));
        (code, format!("{out}{err}"))
    };
    let (code, o) = check("all-ok");
    assert_eq!(code, 0, "{o}");
    assert!(o.starts_with("OK - 1 environments OK |"), "{o}");
    let (code, o) = check("one-warning");
    assert_eq!(code, 1, "{o}");
    assert!(
        o.starts_with("WARNING - warn WARNING (orders/billing pending 150"),
        "{o}"
    );
    assert!(o.contains("; 1 OK |"), "{o}");
    assert!(
        o.contains("'warn orders/billing pending'=150;"),
        "perfdata per environment: {o}"
    );
    assert!(o.contains("'ok orders/billing pending'=0;"), "{o}");
    // --json: the fleet's status and each environment's own verdict.
    let (code, out, err) = code_out(home.redeye().args([
        "--config",
        cfg.to_str().unwrap(),
        "check",
        "--sample",
        "0s",
        "--json",
        "--fleet",
        "one-warning",
    ]));
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "WARNING");
    let envs = v["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2, "{out}");
    assert_eq!(
        (envs[0]["profile"].as_str(), envs[0]["code"].as_i64()),
        (Some("ok"), Some(0))
    );
    assert_eq!(
        (envs[1]["profile"].as_str(), envs[1]["code"].as_i64()),
        (Some("warn"), Some(1))
    );
    let (code, o) = check("one-down");
    assert_eq!(code, 2, "an unreachable environment is CRITICAL: {o}");
    assert!(
        o.starts_with("CRITICAL - down CRITICAL (cannot reach Redis"),
        "{o}"
    );
    assert!(
        o.contains("; warn WARNING ("),
        "each environment past OK is named: {o}"
    );
    let (code, o) = check("unknown-beside-warning");
    assert_eq!(code, 1, "WARNING outranks UNKNOWN: {o}");
    assert!(o.contains("acl UNKNOWN ("), "{o}");
    let (code, o) = check("unknown-alone");
    assert_eq!(code, 3, "{o}");
    // A name that is neither a profile nor a fleet: UNKNOWN, naming both.
    let (code, o) = check("nosuch");
    assert_eq!(code, 3, "{o}");
    assert!(o.contains("profiles: ok, warn, down, acl; fleets: "), "{o}");
}

#[test]
fn snapshot_fleet_is_a_json_array_in_file_order_with_the_reason_of_the_unreachable() {
    let a = backlog(7);
    let b = backlog(3);
    let home = Home::new();
    // Not in alphabetical order: the file's order is kept.
    let cfg = home.config(&format!(
        "profiles:\n{}{}{}",
        profile("zeta", &a.addr(), ""),
        profile("alpha-down", &down(), ""),
        profile("mid", &b.addr(), ""),
    ));
    let v = snapshot_fleet(&home, &cfg);
    let envs = v.as_array().unwrap();
    let names: Vec<&str> = envs
        .iter()
        .map(|e| e["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["zeta", "alpha-down", "mid"]);
    assert_eq!(envs[1]["state"], "unreachable");
    assert!(
        envs[1]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach Redis"),
        "{}",
        envs[1]
    );
    assert!(envs[1]["snapshot"].is_null());
    // Each live one is its own server's figures (the oracle: XPENDING).
    for (env, srv) in [(&envs[0], &a), (&envs[2], &b)] {
        assert_eq!(env["state"], "live");
        let g = &env["snapshot"]["streams"][0]["groups"][0];
        let pending = pending_on(srv);
        assert_eq!(
            g["pending"].as_u64().unwrap(),
            pending,
            "{}",
            env["profile"]
        );
    }
}

/// `redeye snapshot --fleet --json --sample 0s` on `cfg`: the array.
fn snapshot_fleet(home: &Home, cfg: &std::path::Path) -> serde_json::Value {
    let (code, out, err) = code_out(home.redeye().args([
        "--config",
        cfg.to_str().unwrap(),
        "snapshot",
        "--fleet",
        "--json",
        "--sample",
        "0s",
    ]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// `orders` / `billing`'s pending count as `srv` itself says it.
fn pending_on(srv: &Server) -> u64 {
    match srv.run(&["XPENDING", "orders", "billing"]) {
        redis::Value::Array(v) => match &v[0] {
            redis::Value::Int(n) => *n as u64,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// Kill `srv` (SIGKILL): the row of `name` must say stale within 3 s, and
/// the rows of `others` still live then.
fn kill_then_stale(tmux: &Tmux, srv: &Server, name: &str, others: &[&str]) {
    let killed = Instant::now();
    std::process::Command::new("kill")
        .args(["-9", &srv.pid().to_string()])
        .status()
        .unwrap();
    loop {
        let s = tmux.screen();
        if row_of(&s, name).contains("stale") {
            for o in others {
                assert!(row_of(&s, o).contains("live"), "{o}:\n{s}");
            }
            return;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(3),
            "{name} never turned stale within 3 s:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `redeye fleet` in tmux on `cfg`, in `home`.
fn fleet(home: &Home, cfg: &std::path::Path, w: u16, h: u16) -> Tmux {
    fleet_with(home, cfg, w, h, "")
}

/// The same with root flags (`--record`) before `fleet`.
fn fleet_with(home: &Home, cfg: &std::path::Path, w: u16, h: u16, flags: &str) -> Tmux {
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let shell = format!(
        "HOME={home} XDG_DATA_HOME={home}/xdg-data NO_COLOR=1 {} --config {} {flags} fleet 2>/dev/null",
        bin.display(),
        cfg.display(),
        home = home.dir.path().display(),
    );
    let tmux = Tmux::start(w, h, &shell);
    tmux.wait_for("redeye fleet");
    tmux
}

/// Wait until the screen passes `ok` (a capture can be taken mid-draw:
/// the header of the new frame over the rows of the last).
fn wait_screen(tmux: &Tmux, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = tmux.screen();
        if ok(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "never {what}:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until each row `name` contains its `what`.
fn wait_rows(tmux: &Tmux, rows: &[(&str, &str)]) -> String {
    wait_screen(tmux, &format!("{rows:?}"), |s| {
        rows.iter().all(|(n, w)| row_of(s, n).contains(w))
    })
}

/// The table row of environment `name`.
fn row_of(screen: &str, name: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {name} ")))
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_fleet_shows_every_environment_and_a_killed_server_turns_only_its_row_stale() {
    let a = backlog(5);
    let b = backlog(0);
    let locked = Server::builder().password().start();
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n{}{}{}{}",
        profile("east", &a.addr(), ""),
        profile("west", &b.addr(), ""),
        profile("gone", &down(), ""),
        profile(
            "locked",
            &locked.addr(),
            "      password: not-the-password\n"
        ),
    ));
    let tmux = fleet(&home, &cfg, 120, 20);
    tmux.wait_for("2 live");
    let s = wait_rows(
        &tmux,
        &[
            ("gone", "unreachable"),
            ("locked", "login refused"),
            ("east", "orders/billing"),
            ("west", "live"),
        ],
    );
    // The unreachable and refused ones first, then east (5 pending, its
    // worst group), then west.
    let order: Vec<usize> = ["locked", "east", "west"]
        .iter()
        .map(|n| s.find(&format!(" {n} ")).unwrap())
        .collect();
    assert!(
        order[0] < order[1] && order[1] < order[2],
        "worst first:\n{s}"
    );
    assert!(row_of(&s, "east").contains("orders/billing"), "{s}");
    // Kill west's server: its row turns stale within 3 s; east stays live.
    kill_then_stale(&tmux, &b, "west", &["east"]);
    // The keys answer meanwhile: the filter narrows the table.
    tmux.keys("/");
    tmux.cmd(&["send-keys", "-t", "t", "-l", "east"]);
    tmux.keys("Enter");
    tmux.wait_for("filter: east");
    wait_screen(&tmux, "west filtered out", |s| {
        row_of(s, "west").is_empty() && !row_of(s, "east").is_empty()
    });
    tmux.keys("q");
    tmux.wait_exit();
}

#[test]
fn enter_opens_the_cluster_environment_where_a_claim_is_confirmed_and_audited_under_its_profile() {
    use common::net::{ClusterSet, Spot, cluster_ports};
    let a = backlog(0);
    let grid = ClusterSet::start(Spot::host(), &cluster_ports(6));
    seed(&|x: &[&str]| grid.cli(x), 40);
    std::thread::sleep(Duration::from_millis(1200)); // idle past claim_min_idle
    let home = Home::new();
    let writable = "    read_only: false\n    environment: development\n";
    let cfg = home.config(&format!(
        "profiles:\n{}  grid:\n{writable}    redis:\n      cluster:\n        enabled: true\n        addresses: [{}]\n{STREAMS}        config:\n          claim_min_idle: 1s\n",
        profile("quiet", &a.addr(), writable),
        grid.seeds(),
    ));
    let tmux = fleet(&home, &cfg, 120, 36);
    tmux.wait_for("2 live");
    // grid (40 pending) is first: Enter opens its dashboard.
    let s = wait_rows(&tmux, &[("grid", "orders/billing"), ("quiet", "live")]);
    assert!(
        s.find(" grid ").unwrap() < s.find(" quiet ").unwrap(),
        "worst first:\n{s}"
    );
    tmux.keys("Enter");
    tmux.wait_for("grid · development");
    tmux.keys("5");
    tmux.wait_for("pending entries");
    tmux.keys("a");
    let s = tmux.wait_for("40 now");
    assert!(
        s.contains("grid"),
        "the confirmation names the profile:\n{s}"
    );
    tmux.keys("y");
    tmux.wait_for("claimed 40");
    tmux.keys("F");
    tmux.wait_for("redeye fleet");
    tmux.keys("q");
    tmux.wait_exit();
    let (code, out, err) = code_out(home.redeye().args(["audit", "--json"]));
    assert_eq!(code, 0, "{err}");
    let claims: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(claims.len(), 1, "{out}");
    assert_eq!(claims[0]["profile"], "grid", "{out}");
    assert_eq!(claims[0]["count"], 40, "{out}");
}

/// `orders` / `billing` with `n` entries delivered to `w1`, through `cli`
/// (a redis-cli of a deployment: Sentinel's master, a cluster, a namespace).
fn seed(cli: &dyn Fn(&[&str]) -> String, n: usize) {
    cli(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    for i in 0..n {
        cli(&["XADD", "orders", "*", "n", &i.to_string()]);
    }
    cli(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "w1",
        "COUNT",
        "1000",
        "STREAMS",
        "orders",
        ">",
    ]);
}

/// The group's pending count as the server itself says it (XPENDING's summary).
fn pending_by(cli: &dyn Fn(&[&str]) -> String) -> u64 {
    cli(&["XPENDING", "orders", "billing"])
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

const STREAMS: &str = "      streams:\n        orders: orders\n        consumer_groups:\n          billing:\n            stream: orders\n";

#[test]
fn standalone_sentinel_cluster_and_a_tunnelled_one_each_live_with_their_true_worst_group() {
    use common::net::{
        Bastion, ClusterSet, MASTER_NAME, Netns, SentinelSet, Spot, cluster_ports, redis_at,
    };
    let edge = backlog(5);
    let ports: Vec<u16> = (0..5).map(|_| common::free_port()).collect();
    let ha = SentinelSet::start(Spot::host(), &ports, &[]);
    let ha_cli = |a: &[&str]| ha.spot.cli(ha.master, a);
    seed(&ha_cli, 9);
    let grid = ClusterSet::start(Spot::host(), &cluster_ports(6));
    let grid_cli = |a: &[&str]| grid.cli(a);
    seed(&grid_cli, 3);
    // A Redis only a bastion in a network namespace reaches.
    let ns = Netns::new();
    let ns_dir = tempfile::tempdir().unwrap();
    let _private = redis_at(&ns.spot(), ns_dir.path(), 6379, &[]);
    let private_cli = |a: &[&str]| ns.spot().cli(6379, a);
    seed(&private_cli, 2);
    let bastion = Bastion::start(&ns, &[]);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  edge:\n    redis:\n      address: {}\n{STREAMS}  ha:\n    redis:\n      sentinel:\n        enabled: true\n        master_name: {MASTER_NAME}\n        addresses: [{}]\n{STREAMS}  grid:\n    redis:\n      cluster:\n        enabled: true\n        addresses: [{}]\n{STREAMS}  private:\n{}    redis:\n      address: 127.0.0.1:6379\n{STREAMS}  down:\n    redis:\n      address: {}\n{STREAMS}",
        edge.addr(),
        ha.sentinel_addrs(),
        grid.seeds(),
        bastion.ssh_yaml(),
        down(),
    ));
    let v = snapshot_fleet(&home, &cfg);
    let by = |name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|e| e["profile"] == name)
            .unwrap()
            .clone()
    };
    let edge_pending = pending_on(&edge);
    for (name, mode, pending) in [
        ("edge", "standalone", edge_pending),
        ("ha", "sentinel", pending_by(&ha_cli)),
        ("grid", "cluster", pending_by(&grid_cli)),
        ("private", "standalone", pending_by(&private_cli)),
    ] {
        let e = by(name);
        assert_eq!(e["state"], "live", "{e}");
        assert_eq!(e["snapshot"]["mode"], mode, "{name}");
        let g = &e["snapshot"]["streams"][0]["groups"][0];
        assert_eq!(g["pending"].as_u64().unwrap(), pending, "{name}: {g}");
    }
    assert_eq!(
        by("private")["snapshot"]["deployment"]["tunnel"]["via"],
        "bastion-test"
    );
    assert_eq!(by("down")["state"], "unreachable");

    // The screen: four live, one unreachable with its reason; edge's
    // server killed turns only edge's row stale, within 3 s.
    let tmux = fleet(&home, &cfg, 160, 20);
    tmux.wait_for("4 live");
    wait_rows(
        &tmux,
        &[
            ("down", "unreachable"),
            ("ha", "orders/billing"),
            ("grid", "orders/billing"),
            ("private", "orders/billing"),
            ("edge", "orders/billing"),
        ],
    );
    kill_then_stale(&tmux, &edge, "edge", &["ha", "grid", "private"]);
    tmux.keys("q");
    tmux.wait_exit();
}

#[test]
fn record_in_the_fleet_records_each_environment_to_its_own_recording() {
    let a = backlog(2);
    let b = backlog(6);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n{}{}",
        profile("east", &a.addr(), ""),
        profile("west", &b.addr(), ""),
    ));
    let tmux = fleet_with(&home, &cfg, 120, 20, "--record");
    tmux.wait_for("2 live");
    std::thread::sleep(Duration::from_millis(2500));
    tmux.keys("q");
    tmux.wait_exit();
    for (name, pending) in [("east", 2), ("west", 6)] {
        let (code, out, err) = code_out(home.redeye().args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            name,
            "replay",
            "--json",
        ]));
        assert_eq!(code, 0, "{name}: {err}");
        let frames: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(frames.len() >= 2, "{name}: {} frames", frames.len());
        for f in &frames {
            let snap = if f.get("snapshot").is_some() {
                &f["snapshot"]
            } else {
                f
            };
            assert_eq!(
                snap["profile"], name,
                "{name}'s recording holds only its own frames"
            );
            assert_eq!(
                snap["streams"][0]["groups"][0]["pending"], pending,
                "{name}"
            );
        }
    }
}

#[test]
fn a_tunnel_that_could_not_open_is_tried_again_and_its_environment_joins() {
    use common::net::{Bastion, Netns, redis_at};
    let a = backlog(1);
    let ns = Netns::new();
    let ns_dir = tempfile::tempdir().unwrap();
    let _private = redis_at(&ns.spot(), ns_dir.path(), 6379, &[]);
    seed(&|x: &[&str]| ns.spot().cli(6379, x), 4);
    let bastion = Bastion::start(&ns, &[]);
    // The bastion unreachable at the start: its ProxyCommand points nowhere.
    let good = std::fs::read_to_string(&bastion.config).unwrap();
    std::fs::write(
        &bastion.config,
        good.replace("TCP:127.0.0.1:2222", "TCP:127.0.0.1:2223"),
    )
    .unwrap();
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n{}  private:\n{}    redis:\n      address: 127.0.0.1:6379\n{STREAMS}",
        profile("open", &a.addr(), ""),
        bastion.ssh_yaml(),
    ));
    let tmux = fleet(&home, &cfg, 140, 20);
    tmux.wait_for("1 live");
    let s = wait_rows(&tmux, &[("private", "not started")]);
    assert!(s.contains("could not start"), "{s}");
    // The bastion back: within a retry or two the environment is live.
    std::fs::write(&bastion.config, good).unwrap();
    tmux.wait_for("2 live");
    wait_rows(&tmux, &[("private", "orders/billing")]);
    wait_screen(&tmux, "the row of the retried one replaced", |s| {
        !s.contains("could not start")
    });
    tmux.keys("q");
    tmux.wait_exit();
}
