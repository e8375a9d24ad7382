//! `redeye check` against real servers: each exit code of the
//! monitoring-plugin convention, its perfdata, and a NULL lag that never
//! reads as OK.

mod common;

use common::{Home, Server, out};

fn config(home: &Home, addr: &str, extra: &str) -> std::path::PathBuf {
    home.config(&format!(
        "profiles:\n  t:\n    redis:\n      address: {addr}\n{extra}      streams:\n        orders: orders\n        consumer_groups:\n          billing:\n            stream: orders\n"
    ))
}

fn check(home: &Home, cfg: &std::path::Path, args: &[&str]) -> (i32, String) {
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "--profile", "t", "check"])
        // The thresholds alone (the status over a sample: tests/health.rs).
        .args(if args.contains(&"--sample") {
            &[][..]
        } else {
            &["--sample", "0"][..]
        })
        .args(args)
        .output()
        .unwrap();
    let (so, se) = out(&o);
    (o.status.code().unwrap_or(-1), format!("{so}{se}"))
}

fn add(srv: &Server, n: usize) {
    let mut c = srv.client();
    let mut p = redis::pipe();
    for i in 0..n {
        p.cmd("XADD")
            .arg("orders")
            .arg("*")
            .arg("n")
            .arg(i)
            .ignore();
    }
    p.query::<()>(&mut c).unwrap();
}

#[test]
fn ok_warning_and_critical_with_perfdata() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let home = Home::new();
    let cfg = config(&home, &srv.addr(), "");
    let (code, o) = check(&home, &cfg, &[]);
    assert_eq!(code, 0, "{o}");
    assert!(o.starts_with("OK - "), "{o}");
    assert!(o.contains("'orders/billing lag'=0;1000;10000;0"), "{o}");
    assert!(o.contains("'orders/billing pending'=0;100;1000;0"), "{o}");

    add(&srv, 1500);
    let (code, o) = check(&home, &cfg, &[]);
    assert_eq!(code, 1, "lag 1,500 is over lag_warn 1,000: {o}");
    assert!(
        o.starts_with("WARNING - orders/billing lag 1,500 (warn 1,000)"),
        "{o}"
    );
    assert!(o.contains("'orders/billing lag'=1500;1000;10000;0"), "{o}");

    let (code, o) = check(&home, &cfg, &["--max-lag", "1000"]);
    assert_eq!(code, 2, "{o}");
    assert!(
        o.starts_with("CRITICAL - orders/billing lag 1,500 (crit 1,000)"),
        "{o}"
    );

    let (code, o) = check(&home, &cfg, &["--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v["status"], "WARNING");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["label"] == "orders/billing lag" && f["value"] == 1500.0)
    );
}

#[test]
fn a_null_lag_is_unknown_with_its_reason_never_ok() {
    let srv = Server::plain();
    add(&srv, 3);
    // A group created at an arbitrary id: Redis cannot count its lag.
    let ids: Vec<String> = match srv.run(&["XRANGE", "orders", "-", "+"]) {
        redis::Value::Array(rows) => rows
            .iter()
            .map(|r| match r {
                redis::Value::Array(x) => match &x[0] {
                    redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => unreachable!(),
                },
                _ => unreachable!(),
            })
            .collect(),
        other => panic!("{other:?}"),
    };
    srv.run(&["XGROUP", "CREATE", "orders", "billing", &ids[1]]);
    let home = Home::new();
    let cfg = config(&home, &srv.addr(), "");
    let (code, o) = check(&home, &cfg, &[]);
    assert_eq!(code, 3, "{o}");
    assert!(
        o.starts_with("UNKNOWN - orders/billing lag unknown ("),
        "{o}"
    );
    assert!(o.contains("'orders/billing lag'=U;"), "{o}");
}

#[test]
fn unreachable_is_critical_not_permitted_and_bad_arguments_are_unknown() {
    let home = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = config(&home, &format!("127.0.0.1:{port}"), "");
    let (code, o) = check(&home, &cfg, &[]);
    assert_eq!(code, 2, "an outage ranks above any partial finding: {o}");
    assert!(o.starts_with("CRITICAL - cannot reach Redis"), "{o}");

    let srv = Server::builder()
        .conf("user watcher on >watch-pw ~* +ping +info +config|get +slowlog +client|list +latency +cluster|info")
        .start();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let cfg = config(
        &home,
        &srv.addr(),
        "      username: watcher\n      password: watch-pw\n",
    );
    let (code, o) = check(&home, &cfg, &[]);
    assert_eq!(code, 3, "{o}");
    assert!(
        o.starts_with("UNKNOWN - ") && o.contains("not permitted for user watcher"),
        "{o}"
    );

    let (code, o) = check(&home, &cfg, &["--max-lag", "lots"]);
    assert_eq!(code, 3, "{o}");
    assert!(o.starts_with("UNKNOWN - bad arguments"), "{o}");
}

/// A server that accepts and then says nothing (SIGSTOP): `check --timeout
/// 5s` ends within 5.5 s, CRITICAL, saying it did not answer; the whole run
/// is bounded, not each step.
#[test]
fn a_stalled_server_is_critical_within_the_timeout() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let home = Home::new();
    let cfg = config(&home, &srv.addr(), "");
    let pid = srv.pid().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let (code, o) = check(&home, &cfg, &["--timeout", "5s", "--sample", "3s"]);
    let took = started.elapsed();
    std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap();
    assert_eq!(code, 2, "{o}");
    assert!(
        o.starts_with("CRITICAL - ") && (o.contains("did not answer") || o.contains("no answer")),
        "{o}"
    );
    assert!(
        took < std::time::Duration::from_millis(5_500),
        "{took:?}: {o}"
    );
}
