//! Defects found when redeye was tried as a hostile user would (issue 11),
//! each against a real server: bad ids, TTLs and durations, unreadable audit
//! lines, world-readable secrets, huge files, a replica without its master,
//! SIGHUP, and polls that drift on a slow link.

mod common;

use common::{Home, Server, calls, code_out, local_profile, net_out, out};
use std::time::Duration;

fn run(home: &Home, srv: &Server, args: &[&str]) -> (i32, String, String) {
    code_out(home.redeye().env("REDIS_ADDR", srv.addr()).args(args))
}

#[test]
fn ids_that_are_not_stream_ids_never_reach_the_server() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    srv.run(&["CONFIG", "RESETSTAT"]);
    let home = Home::new();
    for bad in ["FORCE", "JUSTID", "RETRYCOUNT", "+", "1-2-3"] {
        let (code, _, err) = run(
            &home,
            &srv,
            &[
                "claim", "--stream", "s", "--group", "g", "--ids", bad, "--to", "me", "--yes",
            ],
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("is not a stream id") && err.contains("nothing was sent"),
            "{err}"
        );
    }
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "ack",
            "--stream",
            "s",
            "--group",
            "g",
            "--ids",
            "0-1,FORCE",
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        calls(&srv, "xclaim") == 0 && calls(&srv, "xack") == 0,
        "a bad id was sent"
    );
}

#[test]
fn a_century_is_nothing_to_requeue_and_a_ttl_under_a_minute_needs_force() {
    let srv = Server::plain();
    for i in 0..3 {
        srv.run(&[
            "XADD",
            "jobs:dlq",
            "*",
            "original_stream",
            "jobs",
            "n",
            &i.to_string(),
        ]);
    }
    let home = Home::new();
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "jobs:dlq",
            "--older-than",
            "100y",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("no dead letter in jobs:dlq is older than"),
        "{err}"
    );
    assert!(!err.contains("invalid end ID"));
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "dlq",
            "purge-expired",
            "--dlq",
            "jobs:dlq",
            "--ttl",
            "0s",
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        srv.run(&["XLEN", "jobs:dlq"]),
        redis::Value::Int(3),
        "nothing purged"
    );
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "dlq",
            "purge-expired",
            "--dlq",
            "jobs:dlq",
            "--ttl",
            "0s",
            "--force",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(srv.run(&["XLEN", "jobs:dlq"]), redis::Value::Int(0));
}

#[test]
fn unreadable_audit_lines_are_skipped_and_counted() {
    let srv = Server::plain();
    srv.run(&["XADD", "jobs:dlq", "*", "original_stream", "jobs", "n", "1"]);
    let home = Home::new();
    let (code, _, err) = run(
        &home,
        &srv,
        &["dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    let log = home.dir.path().join("xdg-data/redeye/audit.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(b"\xff\xfe not utf-8\n{\"half\": \n");
    std::fs::write(&log, bytes).unwrap();
    let (code, stdout, err) = run(&home, &srv, &["audit"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("dlq-requeue"), "{stdout}");
    assert!(err.contains("skipped 2 unreadable line(s)"), "{err}");
}

#[test]
fn refresh_is_bounded_to_an_hour() {
    let home = Home::new();
    let cfg = home
        .config("profiles:\n  a:\n    refresh: 100y\n    redis:\n      address: 10.0.0.1:6379\n");
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"])
        .output()
        .unwrap();
    let (_, err) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("refresh") && err.contains("1h"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_literal_password_in_a_file_others_can_read_warns() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let list = |yaml: &str, mode: u32| {
        let cfg = home.config(yaml);
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(mode)).unwrap();
        let o = home
            .redeye()
            .env("PW", "x")
            .args(["--config", cfg.to_str().unwrap(), "profiles"])
            .output()
            .unwrap();
        out(&o).1
    };
    let literal = "profiles:\n  a:\n    redis:\n      password: hunter2-literal\n";
    let err = list(literal, 0o644);
    assert!(
        err.contains("holds a literal password") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2-literal"),
        "the warning shows the password"
    );
    assert!(!list(literal, 0o600).contains("literal password"));
    assert!(
        !list(
            "profiles:\n  a:\n    redis:\n      password: ${PW}\n",
            0o644
        )
        .contains("literal password")
    );
}

#[test]
fn a_huge_yaml_file_is_refused_in_words() {
    let home = Home::new();
    let mut yaml = String::from("profiles: {}\nnoise: [");
    for _ in 0..300_000 {
        yaml.push_str("1,");
    }
    yaml.push_str("1]\n");
    let cfg = home.config(&yaml);
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "profiles"])
        .output()
        .unwrap();
    let (_, err) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("too large or too deeply nested"), "{err}");
    assert!(!err.contains("budget") && !err.contains("Nodes {"), "{err}");
}

#[test]
fn a_replica_whose_master_is_gone_says_so() {
    let dead = common::free_port();
    let replica = Server::builder()
        .conf(&format!("replicaof 127.0.0.1 {dead}"))
        .start();
    let home = Home::new();
    std::thread::sleep(Duration::from_millis(300));
    let (code, stdout, err) = run(&home, &replica, &["snapshot", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["server"]["role"], "slave");
    assert_eq!(v["server"]["master_link_status"], "down", "{}", v["server"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_keep_a_fixed_rate_on_a_slow_link() {
    use redeye::collect::collector::{FromCollector, Limits, spawn};
    let srv = Server::plain();
    // 100 ms each way: every poll's round trip takes 200 ms.
    let proxy = common::proxy::Proxy::start(&srv.addr(), Duration::from_millis(100));
    let mut profile = local_profile(&proxy.addr(), Duration::from_millis(500), &[]);
    profile.streams = Default::default();
    let mut h = spawn(profile, Limits::default());
    let mut at = Vec::new();
    while at.len() < 7 {
        match tokio::time::timeout(Duration::from_secs(20), h.rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            FromCollector::Snapshot(s) => at.push(s.taken_at_ms),
            FromCollector::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    let spans: Vec<u64> = at.windows(2).skip(1).map(|w| w[1] - w[0]).collect();
    let mean = spans.iter().sum::<u64>() / spans.len() as u64;
    // Before: 500 ms + the 200 ms round trip between polls.
    assert!(
        (450..=580).contains(&mean),
        "polls every {mean} ms: {spans:?}"
    );
}

#[test]
fn maxclients_is_named_not_guessed_as_tls() {
    let srv = Server::builder().conf("maxclients 1").start();
    // The one client slot, taken.
    let _held = srv.client();
    let home = Home::new();
    let (code, _, err) = run(&home, &srv, &["snapshot"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("max number of clients reached (maxclients)"),
        "{err}"
    );
    assert!(!err.contains("TLS"), "{err}");
}

#[test]
fn a_hanging_password_command_times_out_with_a_sentence() {
    let home = Home::new();
    let cfg = home.config(
        "profiles:\n  a:\n    redis:\n      address: 127.0.0.1:1\n      password_command: sleep 100\n      password_command_timeout: 1s\n",
    );
    let started = std::time::Instant::now();
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"])
        .output()
        .unwrap();
    let (_, err) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("password_command hung") && err.contains("1s"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_nested_default_is_expanded_never_sent_as_text() {
    let srv = Server::builder().password().start();
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  a:\n    read_only: true\n    redis:\n      address: {}\n      password: ${{PW:-${{FALLBACK}}}}\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .env("FALLBACK", common::ADMIN_PASSWORD)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "a",
            "snapshot",
            "--json",
        ])
        .output()
        .unwrap();
    let (_, err) = out(&o);
    assert!(o.status.success(), "{err}");
    // Without FALLBACK: the missing variable is named, nothing is sent.
    let o = home
        .redeye()
        .args(["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"])
        .output()
        .unwrap();
    let (_, err) = out(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("${FALLBACK}") && err.contains("not set"),
        "{err}"
    );
}

fn fill(srv: &Server, n: usize, target_at: impl Fn(usize) -> String, body: usize) {
    let mut c = srv.client();
    let mut p = redis::pipe();
    for i in 0..n {
        p.cmd("XADD")
            .arg("jobs:dlq")
            .arg("*")
            .arg("original_id")
            .arg("1-0")
            .arg("original_stream")
            .arg(target_at(i))
            .arg("event_id")
            .arg(format!("e{i}"))
            .arg("body")
            .arg("x".repeat(body))
            .ignore();
    }
    p.query::<()>(&mut c).unwrap();
}

fn last_audit(home: &Home) -> serde_json::Value {
    let log = std::fs::read_to_string(home.dir.path().join("xdg-data/redeye/audit.log")).unwrap();
    serde_json::from_str(log.lines().last().unwrap()).unwrap()
}

#[test]
fn a_bad_target_in_a_batch_is_skipped_and_named_and_never_blocks_the_rest() {
    let srv = Server::plain();
    srv.run(&["SET", "notastream", "x"]);
    fill(
        &srv,
        500,
        |i| {
            if i == 249 {
                "notastream".into()
            } else {
                "jobs".into()
            }
        },
        10,
    );
    let home = Home::new();
    for run_no in 0..2 {
        let (code, stdout, err) = run(
            &home,
            &srv,
            &[
                "dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes", "--json",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            v["counts"]["requeued"].as_u64().unwrap_or(0),
            if run_no == 0 { 499 } else { 0 },
            "{stdout}"
        );
        assert_eq!(v["counts"]["skipped"], 1, "{stdout}");
        assert!(
            err.contains("→ notastream is not a stream (it holds a string)"),
            "{err}"
        );
        let rec = last_audit(&home);
        assert_eq!(rec["count"], if run_no == 0 { 499 } else { 0 });
        assert_eq!(rec["result"], "ok");
    }
    assert_eq!(srv.run(&["XLEN", "jobs"]), redis::Value::Int(499));
    assert_eq!(srv.run(&["XLEN", "jobs:dlq"]), redis::Value::Int(1));
}

#[test]
fn a_write_refused_mid_batch_reports_and_audits_the_true_count() {
    let srv = Server::plain();
    // Each copy goes to a new stream key (memory grows ~5 KB per move, and
    // deleting small dead letters frees little). Redis decides a script's
    // OOM state when the script starts (a script without flags is refused
    // its first write only if memory was over the limit then), so the
    // limit sits 1.5 MB above the start: the first script of 500 moves runs
    // whole (~2.5 MB) and the second is refused at its first XADD. (300 KB
    // of room was too little: the first script was refused now and then.)
    fill(&srv, 1000, |i| format!("t{i}"), 10);
    let used: u64 = {
        let info = match srv.run(&["INFO", "memory"]) {
            redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
            redis::Value::VerbatimString { text, .. } => text,
            other => format!("{other:?}"),
        };
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    srv.run(&[
        "CONFIG",
        "SET",
        "maxmemory",
        &(used + 1_500_000).to_string(),
    ]);
    let home = Home::new();
    let (code, stdout, err) = run(
        &home,
        &srv,
        &[
            "dlq", "requeue", "--dlq", "jobs:dlq", "--all", "--yes", "--json",
        ],
    );
    srv.run(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(code, 1, "{stdout} {err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let done = v["counts"]["requeued"].as_u64().unwrap();
    assert!(done > 0 && done < 1000, "{stdout}");
    assert!(
        err.contains(&format!("stopped after {done} done")) && err.contains("OOM"),
        "{err}"
    );
    let moved = match srv.run(&["DBSIZE"]) {
        redis::Value::Int(n) => n as u64 - 1,
        other => panic!("{other:?}"),
    };
    assert_eq!(moved, done, "the count is the truth");
    assert_eq!(
        srv.run(&["XLEN", "jobs:dlq"]),
        redis::Value::Int(1000 - done as i64)
    );
    let rec = last_audit(&home);
    assert_eq!(rec["count"], done);
    assert!(
        rec["result"].as_str().unwrap().starts_with("stopped:"),
        "{rec}"
    );
}

#[test]
fn a_live_stream_is_refused_as_a_dlq_unless_forced() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    for i in 0..3 {
        srv.run(&["XADD", "orders", "*", "n", &i.to_string()]);
    }
    srv.run(&["XADD", "plain", "*", "n", "1"]);
    let home = Home::new();
    let (code, _, err) = run(
        &home,
        &srv,
        &["dlq", "requeue", "--dlq", "orders", "--all", "--yes"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("has consumer groups, so it is a live stream"),
        "{err}"
    );
    let (code, _, err) = run(
        &home,
        &srv,
        &["dlq", "requeue", "--dlq", "plain", "--all", "--yes"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no original_stream or original_id"), "{err}");
    assert_eq!(srv.run(&["XLEN", "orders"]), redis::Value::Int(3));
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "plain",
            "--to",
            "elsewhere",
            "--all",
            "--force",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(srv.run(&["XLEN", "elsewhere"]), redis::Value::Int(1));
}

#[test]
fn a_failed_claim_is_audited_with_its_ids() {
    let srv = Server::plain();
    srv.run(&["XADD", "s", "*", "n", "1"]);
    let home = Home::new();
    let (code, _, err) = run(
        &home,
        &srv,
        &[
            "claim", "--stream", "s", "--group", "nogroup", "--ids", "1-0", "--to", "me", "--yes",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let rec = last_audit(&home);
    assert_eq!(rec["ids"], serde_json::json!(["1-0"]), "{rec}");
    assert!(
        rec["result"].as_str().unwrap().starts_with("error:"),
        "{rec}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_deleted_under_the_pending_view_is_said_and_its_rows_cleared() {
    use redeye::collect::collector::{FromCollector, Limits, Needs, ToCollector, spawn};
    use redeye::ui::app::{App, Pane};
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "w1",
        "STREAMS",
        "orders",
        ">",
    ]);
    let profile = local_profile(
        &srv.addr(),
        Duration::from_millis(200),
        &[("orders", &["billing"])],
    );
    let mut h = spawn(profile, Limits::default());
    h.tx.send(ToCollector::Needs(Needs {
        pending: Some((
            "orders".into(),
            "billing".into(),
            redeye::collect::PageStart::First,
        )),
        ..Default::default()
    }))
    .unwrap();
    let mut app = App::new(
        redeye::ui::sample::profile_info(),
        redeye::ui::theme::Theme::monochrome(),
        Duration::from_secs(1),
    );
    let mut deleted = false;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
            .unwrap();
        let FromCollector::Snapshot(s) = msg else {
            continue;
        };
        let g = &s.streams[0].groups[0];
        if !deleted
            && s.pending_page
                .as_ref()
                .is_some_and(|p| p.entries.len() == 1)
            && g.consumer_summary.is_some()
        {
            srv.run(&["DEL", "orders"]);
            deleted = true;
            continue;
        }
        if deleted && !s.streams[0].exists {
            assert!(s.pending_page.is_none(), "stale rows");
            assert!(
                g.consumer_summary.is_none(),
                "a remembered consumer summary beside a deleted stream"
            );
            app.on_snapshot(s.clone());
            break;
        }
    }
    app.panes.pending.drill = Some(("orders".into(), "billing".into()));
    app.pane = Pane::Pending;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 20)).unwrap();
    t.draw(|f| redeye::ui::render::draw(f, &app)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("stream orders was deleted"), "{screen}");
    assert!(!screen.contains("consumers holding entries"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_link_a_cut_one_and_a_truncated_reply_are_all_recovered_from() {
    use redeye::collect::collector::{FromCollector, Limits, spawn};
    let srv = Server::plain();
    let proxy = common::proxy::Proxy::start(&srv.addr(), Duration::ZERO);
    let mut profile = local_profile(&proxy.addr(), Duration::from_millis(200), &[]);
    profile.streams = Default::default();
    profile.timeouts.read = Duration::from_millis(500);
    let mut h = spawn(profile, Limits::default());
    async fn next(h: &mut redeye::collect::collector::Handle) -> FromCollector {
        tokio::time::timeout(Duration::from_secs(15), h.rx.recv())
            .await
            .expect("a message in time")
            .expect("collector alive")
    }
    // Live first.
    loop {
        if let FromCollector::Snapshot(_) = next(&mut h).await {
            break;
        }
    }
    for fault in ["stall", "cut", "truncate"] {
        match fault {
            "stall" => proxy.stall(true),
            "cut" => proxy.cut(),
            _ => proxy.truncate_next_reply(),
        }
        // The UI is told...
        let error = loop {
            if let FromCollector::Failed { error, .. } = next(&mut h).await {
                break error;
            }
        };
        assert!(error.contains(&proxy.addr()), "{fault}: {error}");
        proxy.stall(false);
        // ...and it comes back by itself.
        loop {
            if let FromCollector::Snapshot(s) = next(&mut h).await {
                assert!(s.server.is_some(), "{fault}");
                break;
            }
        }
    }
}

#[test]
fn a_megabyte_entry_at_a_streams_head_is_not_sent_with_every_poll() {
    let srv = Server::plain();
    let big = "x".repeat(1024 * 1024);
    srv.run(&["XADD", "orders", "*", "body", &big]);
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    srv.run(&["XADD", "orders", "*", "body", &big]);
    srv.run(&[
        "XADD",
        "orders:dlq",
        "*",
        "original_stream",
        "orders",
        "body",
        &big,
    ]);
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  a:\n    redis:\n      address: {}\n      streams:\n        orders: orders\n",
        srv.addr()
    ));
    let before = net_out(&srv);
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "a",
            "snapshot",
            "--json",
        ])
        .output()
        .unwrap();
    let (stdout, err) = out(&o);
    assert!(o.status.success(), "{err}");
    let sent = net_out(&srv) - before;
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["streams"][0]["length"], 3);
    assert!(
        v["streams"][0]["first_id"].is_string() && v["streams"][0]["dlq"]["oldest_id"].is_string()
    );
    // Three 1 MiB entries sit at the heads and tails read: none is sent.
    assert!(
        sent < 256 * 1024,
        "the server sent {sent} bytes for one snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flushed_script_cache_falls_back_to_xinfo_by_itself() {
    use redeye::collect::collector::{FromCollector, Limits, spawn};
    let srv = Server::plain();
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    let profile = local_profile(&srv.addr(), Duration::from_millis(200), &[("orders", &[])]);
    let mut h = spawn(profile, Limits::default());
    let mut flushed = false;
    let mut good_after_flush = 0;
    while good_after_flush < 3 {
        let msg = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let FromCollector::Snapshot(s) = msg {
            if !flushed && s.streams[0].exists {
                srv.run(&["SCRIPT", "FLUSH"]);
                flushed = true;
            } else if flushed && s.streams[0].exists && s.problems.is_empty() {
                good_after_flush += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_megabyte_dead_letters_stays_under_the_poll_budget() {
    use redeye::collect::collector::{FromCollector, Limits, Needs, ToCollector, spawn};
    let srv = Server::plain();
    {
        let mut c = srv.client();
        let big = "x".repeat(1024 * 1024);
        for i in 0..100 {
            redis::cmd("XADD")
                .arg("orders:dlq")
                .arg("*")
                .arg("original_stream")
                .arg("orders")
                .arg("error")
                .arg("boom")
                .arg("event_id")
                .arg(format!("e{i}"))
                .arg("body")
                .arg(&big)
                .exec(&mut c)
                .unwrap();
        }
    }
    let profile = local_profile(&srv.addr(), Duration::from_millis(200), &[("orders", &[])]);
    let mut h = spawn(profile, Limits::default());
    h.tx.send(ToCollector::Needs(Needs {
        dlq: Some(("orders:dlq".into(), redeye::collect::PageEnd::Newest)),
        ..Default::default()
    }))
    .unwrap();
    let mut polls = 0;
    let mut start = 0;
    let mut last_id = String::new();
    while polls < 4 {
        let msg = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let FromCollector::Snapshot(s) = msg
            && let Some(p) = &s.dlq_page
        {
            assert_eq!(p.entries.len(), 100);
            let e = &p.entries[0];
            assert_eq!(
                e.field("event_id").map(|b| b.display()).as_deref(),
                Some("e99")
            );
            assert!(
                e.field("redeye:omitted_bytes").is_some(),
                "the body was sent"
            );
            last_id = e.id.clone();
            if polls == 0 {
                start = net_out(&srv);
            }
            polls += 1;
        }
    }
    let per_poll = (net_out(&srv) - start) / 3;
    assert!(per_poll < 256 * 1024, "{per_poll} bytes per poll");
    // Opening one loads that entry whole.
    h.tx.send(ToCollector::Fetch {
        stream: "orders:dlq".into(),
        id: last_id.clone(),
    })
    .unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let FromCollector::Entry { id, entry, .. } = msg {
            assert_eq!(id, last_id);
            let e = entry.unwrap();
            assert_eq!(e.field("body").unwrap().0.len(), 1024 * 1024);
            break;
        }
    }
}

/// Defect 5: a stream whose name is not UTF-8 was queried under a lossy
/// name (`s_bad\u{fffd}`) and shown as missing. Names are bytes end to end:
/// found by discovery, polled, shown escaped (`s_bad\xff`), and acted on
/// whether the name is typed escaped or passed as raw bytes.
#[test]
fn a_stream_named_with_bytes_that_are_not_utf8_is_polled_shown_and_acted_on() {
    use std::os::unix::ffi::OsStrExt;
    let srv = Server::plain();
    let mut c = srv.client();
    let (s, dlq) = (&b"s_bad\xff"[..], &b"s_bad\xff:dlq"[..]);
    for i in 0..3 {
        redis::cmd("XADD")
            .arg(s)
            .arg("*")
            .arg("n")
            .arg(i)
            .query::<()>(&mut c)
            .unwrap();
    }
    for g in ["g1", "g2"] {
        redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(s)
            .arg(g)
            .arg("0")
            .query::<()>(&mut c)
            .unwrap();
    }
    redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("g1")
        .arg(&b"c\xfe"[..])
        .arg("STREAMS")
        .arg(s)
        .arg(">")
        .query::<redis::Value>(&mut c)
        .unwrap();
    for i in 0..2 {
        redis::cmd("XADD")
            .arg(dlq)
            .arg("*")
            .arg("original_stream")
            .arg(s)
            .arg("original_id")
            .arg(format!("1-{i}"))
            .arg("n")
            .arg(i)
            .query::<()>(&mut c)
            .unwrap();
    }
    let home = Home::new();

    let (code, json, err) = run(&home, &srv, &["snapshot", "--discover", "--json"]);
    assert_eq!(code, 0, "{err}");
    let snap: serde_json::Value = serde_json::from_str(&json).unwrap();
    let st = snap["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "s_bad\\xff")
        .unwrap_or_else(|| panic!("no s_bad\\xff in {}", snap["streams"]));
    assert_eq!(st["exists"], true, "{st}");
    assert_eq!(st["length"], 3, "{st}");
    assert_eq!(st["groups"].as_array().unwrap().len(), 2, "{st}");
    let g1 = &st["groups"][0];
    assert_eq!(
        (g1["name"].as_str(), g1["pending"].as_u64()),
        (Some("g1"), Some(3))
    );
    assert_eq!(g1["pending_by_consumer"][0]["consumer"], "c\\xfe", "{g1}");
    assert_eq!(st["dlq"]["stream"], "s_bad\\xff:dlq", "{st}");
    assert_eq!(st["dlq"]["length"], 2, "{st}");

    let (code, text, err) = run(&home, &srv, &["snapshot", "--discover"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("s_bad\\xff") && !text.contains('\u{fffd}'),
        "{text}"
    );

    // Raw bytes on the command line reach the same key.
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .args(["claim", "--stream"])
        .arg(std::ffi::OsStr::from_bytes(s))
        .args([
            "--group",
            "g1",
            "--all",
            "--min-idle",
            "0s",
            "--to",
            "me",
            "--yes",
        ])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{so}{se}");
    let held: redis::Value = redis::cmd("XPENDING")
        .arg(s)
        .arg("g1")
        .arg("-")
        .arg("+")
        .arg(10)
        .arg("me")
        .query(&mut c)
        .unwrap();
    assert_eq!(redeye::resp::items(&held).len(), 3, "claimed to me");

    // The escaped form, as shown, reaches it too.
    let (code, so, se) = run(
        &home,
        &srv,
        &[
            "dlq",
            "requeue",
            "--dlq",
            "s_bad\\xff:dlq",
            "--all",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{so}{se}");
    let len = |k: &[u8], c: &mut redis::Connection| -> u64 {
        redis::cmd("XLEN").arg(k).query(c).unwrap()
    };
    assert_eq!(
        len(s, &mut c),
        5,
        "both dead letters back on the real stream"
    );
    assert_eq!(len(dlq, &mut c), 0);
    let lossy: u64 = redis::cmd("EXISTS")
        .arg("s_bad\u{fffd}")
        .query(&mut c)
        .unwrap();
    assert_eq!(lossy, 0, "no key under a lossy name was written");
    assert_eq!(last_audit(&home)["stream"], "s_bad\\xff:dlq");
}

/// One write policy (issue 19): the dashboard's DLQ writes (`Op::run`, as
/// the dashboard's write task runs them) meet the same guards as the CLI's:
/// no requeue from a live stream or a stream that is not a DLQ, no purge
/// with a TTL under a minute; nothing is changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_dlq_writes_meet_the_clis_guards() {
    use redeye::ui::write::WriteOp;
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    for i in 0..3 {
        srv.run(&["XADD", "orders", "*", "n", &i.to_string()]);
        srv.run(&["XADD", "plain", "*", "n", &i.to_string()]);
        srv.run(&[
            "XADD",
            "jobs:dlq",
            "*",
            "original_stream",
            "jobs",
            "n",
            &i.to_string(),
        ]);
    }
    let home = Home::new();
    home.own_data_dir();
    let p = local_profile(&srv.addr(), Duration::from_secs(1), &[]);
    let xlen = |k: &str| srv.run(&["XLEN", k]);
    for (dlq, why) in [
        ("orders", "has consumer groups, so it is a live stream"),
        ("plain", "no original_stream or original_id"),
    ] {
        let op = WriteOp::DlqRequeueAll {
            dlq: dlq.into(),
            target: "elsewhere".into(),
            count: 3,
        };
        let err = op.run(&p).await.unwrap_err().to_string();
        assert!(err.contains(why), "{dlq}: {err}");
        assert_eq!(xlen(dlq), redis::Value::Int(3), "{dlq} unchanged");
        assert_eq!(xlen("elsewhere"), redis::Value::Int(0));
    }
    let purge = WriteOp::DlqPurge {
        dlq: "jobs:dlq".into(),
        ttl: Duration::from_secs(5),
    };
    std::thread::sleep(Duration::from_millis(10));
    let err = purge.run(&p).await.unwrap_err().to_string();
    assert!(err.contains("would purge every dead letter"), "{err}");
    assert_eq!(xlen("jobs:dlq"), redis::Value::Int(3));
    // A real DLQ passes the guard.
    let ok = WriteOp::DlqRequeueAll {
        dlq: "jobs:dlq".into(),
        target: "jobs".into(),
        count: 3,
    };
    assert_eq!(ok.run(&p).await.unwrap().counts["requeued"], 3);
    assert_eq!(xlen("jobs"), redis::Value::Int(3));
}

/// The dashboard's cadence keeps the big-entry protection: a stream and a
/// DLQ whose first read (through the script) showed a 1 MiB entry at the
/// head or tail keep being read through the script, on every full read:
/// after a change, on a forced refresh, and on the cheap polls in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_entry_stays_off_the_wire_in_the_dashboards_polls_too() {
    use redeye::collect::collector::{Limits, Poller};
    let srv = Server::plain();
    let big = "x".repeat(1024 * 1024);
    srv.run(&["XADD", "orders", "*", "body", &big]);
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    srv.run(&["XADD", "orders", "*", "body", &big]);
    srv.run(&["XGROUP", "CREATE", "orders", "g", "0"]);
    srv.run(&[
        "XADD",
        "orders:dlq",
        "*",
        "original_stream",
        "orders",
        "body",
        &big,
    ]);
    let p = local_profile(&srv.addr(), Duration::from_secs(1), &[("orders", &["g"])]);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = Poller::new(p, Limits::default());
    for step in 0..6 {
        match step {
            // A change: the next poll reads the stream in full.
            2 => {
                srv.run(&[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "orders",
                    ">",
                ]);
            }
            // A forced refresh: everything in full.
            4 => poller.memory.reset(),
            _ => {}
        }
        let before = net_out(&srv);
        let s = poller.poll(&dep).await.unwrap();
        let sent = net_out(&srv) - before;
        assert!(
            sent < 256 * 1024,
            "poll {step}: the server sent {sent} bytes"
        );
        assert_eq!(s.streams[0].length, 3);
        assert!(
            s.streams[0].last_id.is_some()
                && s.streams[0].dlq.as_ref().unwrap().newest_id.is_some()
        );
    }
}
