//! The on-call engineer's first minutes, in a real terminal (tmux) on a
//! real server: help that scrolls, the command palette, a tab bar that
//! stays put.

mod common;

use common::tmux::Tmux;
use common::{Home, Server, held, held_by};
use std::time::Duration;

/// A dashboard on `srv` in tmux at `w`x`h`, with a profile file naming
/// three more profiles (their servers are never reached).
fn dashboard(srv: &Server, home: &Home, w: u16, h: u16, extra: &str) -> Tmux {
    let cfg = home.config(&format!(
        "profiles:\n  t:\n    redis:\n      address: {}\n{extra}  staging:\n    redis:\n      address: 127.0.0.1:1\n  production:\n    redis:\n      address: 127.0.0.1:1\n  prod-us:\n    redis:\n      address: 127.0.0.1:1\n",
        srv.addr()
    ));
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let shell = format!(
        "HOME={home} XDG_DATA_HOME={home}/data NO_COLOR=1 {} --config {} --profile t 2>/dev/null",
        bin.display(),
        cfg.display(),
        home = home.dir.path().display(),
    );
    let tmux = Tmux::start(w, h, &shell);
    tmux.wait_for("● live");
    tmux
}

/// Text typed as is (spaces included).
fn typed(tmux: &Tmux, text: &str) {
    tmux.cmd(&["send-keys", "-t", "t", "-l", text]);
}

fn line(screen: &str, n: usize) -> String {
    screen.lines().nth(n).unwrap_or("").to_string()
}

#[test]
fn help_shows_the_panes_write_keys_first_and_scrolls_to_its_end_at_80x24() {
    let srv = Server::plain();
    held(&srv, 5);
    let home = Home::new();
    let tmux = dashboard(&srv, &home, 80, 24, "");
    tmux.keys("5");
    tmux.wait_for("pending entries");
    tmux.keys("?");
    tmux.wait_for("keys — Pending");
    // The footer is drawn last (rows top to bottom): wait for it, or a
    // capture taken mid-draw has the title and not the count.
    let first = tmux.wait_for(" · j/k");
    assert!(
        first.contains("c a R D A"),
        "the write keys on the first screen:\n{first}"
    );
    assert!(first.contains("claim, autoclaim, requeue"), "{first}");
    // The footer counts rows: `1-18/N`.
    let total: usize = first
        .split(" · j/k")
        .next()
        .and_then(|s| s.rsplit('/').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no row count in the help's footer:\n{first}"));
    tmux.keys("j");
    tmux.wait_for(" 2-");
    tmux.keys("PageDown");
    tmux.wait_for(" 12-");
    tmux.keys("G");
    let end = tmux.wait_for(&format!("{total}/{total} · j/k"));
    assert!(
        end.contains(":q "),
        "the last line (:q quit) is shown:\n{end}"
    );
    // Past the end it stays at the end.
    tmux.keys("j");
    std::thread::sleep(Duration::from_millis(300));
    assert!(tmux.screen().contains(&format!("{total}/{total} · j/k")));
    tmux.keys("k");
    tmux.wait_for(&format!("{}/{total} · j/k", total - 1));
    tmux.keys("g");
    tmux.wait_for(" 1-");
    tmux.keys("Escape");
    tmux.wait_without("keys — Pending");
    tmux.keys("q");
    tmux.wait_exit();
}

#[test]
fn the_palette_completes_panes_and_profile_names() {
    let srv = Server::plain();
    let home = Home::new();
    let tmux = dashboard(&srv, &home, 100, 30, "");
    // `:pe` offers both panes whose name starts so.
    tmux.keys(":");
    typed(&tmux, "pe");
    let s = tmux.wait_for(":persistence");
    assert!(s.contains(":pending"), "{s}");
    tmux.keys("Tab");
    tmux.keys("Escape");
    tmux.wait_without("Tab complete");
    // `:persi` + Tab completes to the pane; Enter opens it.
    tmux.keys(":");
    typed(&tmux, "persi");
    tmux.keys("Tab");
    tmux.wait_for(":persistence█");
    tmux.keys("Enter");
    tmux.wait_for("RDB snapshots");
    // `:profile ` + Tab offers the profile file's names.
    tmux.keys(":");
    typed(&tmux, "profile ");
    tmux.keys("Tab");
    let s = tmux.wait_for(":profile staging");
    assert!(
        s.contains(":profile production") && s.contains(":profile prod-us"),
        "{s}"
    );
    tmux.keys("Escape");
    tmux.wait_without("Tab complete");
    // `:help` lists the commands.
    tmux.keys(":");
    typed(&tmux, "help");
    tmux.keys("Enter");
    let s = tmux.wait_for("commands (:)");
    assert!(s.contains(":requeue-all") && s.contains(":profile"), "{s}");
    tmux.keys("Escape");
    tmux.wait_without("commands (:)");
    tmux.keys("q");
    tmux.wait_exit();
}

#[test]
fn a_standalone_tab_bar_has_no_sentinel_or_nodes_and_does_not_move_with_alerts() {
    let srv = Server::plain();
    for i in 0..12 {
        srv.run(&["XGROUP", "CREATE", &format!("s{i}"), "g", "$", "MKSTREAM"]);
    }
    let home = Home::new();
    let tmux = dashboard(
        &srv,
        &home,
        120,
        30,
        "    alerts:\n      lag_warn: 1\n      lag_crit: 1000000\n",
    );
    tmux.wait_for("s11");
    std::thread::sleep(Duration::from_secs(2));
    let before = line(&tmux.screen(), 1);
    assert!(
        !before.contains('△') && !before.contains('▲'),
        "no alerts yet: {before}"
    );
    assert!(
        !before.contains("Sentinel") && !before.contains("Nodes"),
        "{before}"
    );
    assert!(
        before.contains("7 Slow") && before.contains("10 Keys"),
        "{before}"
    );
    for i in 0..12 {
        srv.run(&["XADD", &format!("s{i}"), "*", "f", "v"]);
    }
    let s = tmux.wait_for("△12");
    let after = line(&s, 1);
    let tabs = |l: &str| {
        l.chars()
            .take(110)
            .collect::<String>()
            .trim_end()
            .to_string()
    };
    assert_eq!(tabs(&before), tabs(&after), "the tabs stay where they were");
    // The hidden panes' keys stay unused.
    tmux.keys("8");
    tmux.wait_for("does not apply to a standalone deployment");
    tmux.keys("0");
    tmux.keys("5");
    tmux.wait_for("alert log");
    tmux.keys("q");
    tmux.wait_exit();
}

/// A profile that may write, with entries claimable after a second.
const WRITABLE: &str = "      streams:\n        orders: orders\n        consumer_groups:\n          billing:\n            stream: orders\n        config:\n          claim_min_idle: 1s\n    read_only: false\n    environment: development\n";

fn pending_of(srv: &Server, consumer: &str) -> usize {
    match srv.run(&["XPENDING", "orders", "billing", "-", "+", "10000", consumer]) {
        redis::Value::Array(v) => v.len(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn autoclaim_confirms_the_servers_count_not_the_page_and_reports_it() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    held_by(&srv, "w1", 460);
    std::thread::sleep(Duration::from_millis(1200));
    let home = Home::new();
    let tmux = dashboard(&srv, &home, 120, 36, WRITABLE);
    tmux.keys("5");
    tmux.wait_for("pending entries");
    tmux.keys("a");
    // 460 idle entries, 200 on a page: the confirmation counts the server.
    let s = tmux.wait_for("460 now");
    assert!(
        s.contains("when it runs") && s.contains("counted on the server"),
        "{s}"
    );
    tmux.keys("y");
    let s = tmux.wait_for("claimed 460");
    assert!(!s.contains("confirmed"), "no difference to report: {s}");
    assert_eq!(pending_of(&srv, "w1"), 0);
    tmux.keys("q");
    tmux.wait_exit();
}

/// In the open pane: filter on `filter`, select every match on the server
/// (`*`), then press the write key `key`.
fn filter_all_then(tmux: &Tmux, filter: &str, key: &str) {
    tmux.keys("/");
    typed(tmux, filter);
    tmux.keys("Enter");
    tmux.keys("*");
    tmux.wait_for("ALL matching on the server selected (*)");
    tmux.keys(key);
}

#[test]
fn select_all_with_a_filter_takes_every_match_on_the_server_and_names_the_filter() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    held_by(&srv, "w1", 300);
    held_by(&srv, "w2", 160);
    let home = Home::new();
    let tmux = dashboard(&srv, &home, 120, 36, WRITABLE);
    tmux.keys("5");
    tmux.wait_for("pending entries");
    filter_all_then(&tmux, "w1", "A");
    // 300 match on the server; a page holds 200.
    let s = tmux.wait_for("all 300 pending entries matching filter 'w1' on the server");
    assert!(s.contains("ACKNOWLEDGE 300"), "{s}");
    tmux.keys("y");
    tmux.wait_for("acked 300");
    assert_eq!(pending_of(&srv, "w1"), 0);
    assert_eq!(pending_of(&srv, "w2"), 160, "w2's entries are untouched");
    tmux.keys("q");
    tmux.wait_exit();
}

/// `n` dead letters of `orders` in `orders:dlq` whose error is `error`.
fn dead(srv: &Server, error: &str, n: usize) {
    for i in 0..n {
        srv.run(&[
            "XADD",
            "orders:dlq",
            "*",
            "original_id",
            &format!("1-{i}"),
            "original_stream",
            "orders",
            "error",
            error,
            "retry_count",
            "3",
            "n",
            &i.to_string(),
        ]);
    }
}

fn xlen(srv: &Server, key: &str) -> u64 {
    match srv.run(&["XLEN", key]) {
        redis::Value::Int(n) => n as u64,
        other => panic!("{other:?}"),
    }
}

#[test]
fn dlq_select_all_with_a_filter_requeues_every_match_on_the_server_and_names_the_filter() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    dead(&srv, "timeout", 300);
    dead(&srv, "bad json", 160);
    let home = Home::new();
    let tmux = dashboard(&srv, &home, 120, 36, WRITABLE);
    tmux.keys("6");
    tmux.wait_for("orders:dlq");
    filter_all_then(&tmux, "timeout", "R");
    // 300 match on the server; the pane loads a page of them.
    let s =
        tmux.wait_for("all 300 dead letters of orders:dlq matching filter 'timeout' on the server");
    assert!(!s.contains("bad json"), "{s}");
    tmux.keys("y");
    tmux.wait_for("requeued 300");
    assert_eq!(xlen(&srv, "orders:dlq"), 160, "the 'bad json' letters stay");
    assert_eq!(xlen(&srv, "orders"), 300);
    tmux.keys("q");
    tmux.wait_exit();
}
