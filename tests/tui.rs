//! The dashboard as a person uses it: `redeye demo` inside tmux (a real
//! pseudo-terminal), keys sent with send-keys, the screen read with
//! capture-pane. Also proves `q` stops the demo server and removes its dir.

mod common;

use common::tmux::Tmux;
use common::{DemoServer, Home, demo_server, pid_alive};
use std::process::Command;
use std::time::Duration;

#[test]
fn demo_dashboard_in_a_terminal_then_q_cleans_up() {
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let stderr = home.dir.path().join("stderr.txt");
    let shell = format!(
        "HOME={} NO_COLOR=1 {} demo --claim-min-idle 2s 2>{}",
        home.dir.path().display(),
        bin.display(),
        stderr.display()
    );
    let tmux = Tmux::start(80, 24, &shell);

    let s = tmux.wait_for("● live");
    assert!(s.contains("demo · development"), "{s}");
    tmux.wait_for("webhook_events/webhook_workers");

    tmux.keys("4");
    let s = tmux.wait_for("sort: backlog");
    assert!(s.contains("task_events"), "{s}");
    tmux.keys("Enter");
    tmux.wait_for("pending entries");
    tmux.keys("?");
    tmux.wait_for("keys — Pending");
    tmux.keys("Escape");
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("7");
    tmux.wait_for("slowlog (");

    tmux.keys("q");
    tmux.wait_exit();
    assert!(!tmux.alive(), "redeye did not exit on q");
    let err = std::fs::read_to_string(&stderr).unwrap();
    let first = err.lines().next().unwrap_or("");
    let DemoServer { pid, dir } = demo_server(first);
    assert!(err.contains("server stopped"), "{err}");
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(!pid_alive(&pid), "redis-server {pid} still runs");
}

#[test]
fn mark_entries_press_requeue_confirm_and_see_the_result() {
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let shell = format!(
        "HOME={} XDG_DATA_HOME={}/data USER=oncall-e2e NO_COLOR=1 {} demo --claim-min-idle 1s --failure-rate 0.5 2>/dev/null",
        home.dir.path().display(),
        home.dir.path().display(),
        bin.display(),
    );
    let tmux = Tmux::start(100, 30, &shell);
    tmux.wait_for("● live");
    // Let failed webhook messages sit long enough to be claimable.
    std::thread::sleep(Duration::from_secs(4));
    tmux.keys("5");
    tmux.wait_for("claimable");
    tmux.keys("Space");
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys("Space");
    tmux.wait_for("2 marked");
    tmux.keys("R");
    let s = tmux.wait_for("y: go ahead");
    assert!(
        s.contains("Requeue 2 entries of webhook_events / webhook_workers"),
        "{s}"
    );
    tmux.keys("y");
    let s = tmux.wait_for("requeued");
    assert!(
        s.contains("requeue on webhook_events group webhook_workers") && s.contains("requeued 2"),
        "{s}"
    );
    assert!(
        !s.contains("marked"),
        "marks are cleared after the write:\n{s}"
    );
    tmux.keys("q");
    tmux.wait_exit();
    let log = std::fs::read_to_string(home.dir.path().join("data/redeye/audit.log")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(rec["action"], "requeue");
    assert_eq!(rec["count"], 2);
    assert_eq!(rec["profile"], "demo");
    assert_eq!(rec["user"], "oncall-e2e");
}

#[test]
fn sighup_restores_the_terminal_like_sigterm() {
    // The SSH session dropping sends SIGHUP to the dashboard.
    let srv = common::Server::plain();
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let shell = format!(
        "env HOME={} REDIS_ADDR={} NO_COLOR=1 {}; echo EXIT=$?; sleep 30",
        home.dir.path().display(),
        srv.addr(),
        bin.display()
    );
    let tmux = Tmux::start(80, 24, &shell);
    tmux.wait_for("● live");
    let sh = String::from_utf8_lossy(
        &tmux
            .cmd(&["display", "-p", "-t", "t", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_string();
    let child = Command::new("pgrep").args(["-P", &sh]).output().unwrap();
    let pid = String::from_utf8_lossy(&child.stdout).trim().to_string();
    assert!(!pid.is_empty(), "redeye's pid");
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let s = tmux.wait_for("EXIT=");
    assert!(s.contains("EXIT=0"), "{s}");
    let state = String::from_utf8_lossy(
        &tmux
            .cmd(&["display", "-p", "-t", "t", "#{alternate_on} #{cursor_flag}"])
            .stdout,
    )
    .trim()
    .to_string();
    // Alternate screen off, cursor shown.
    assert_eq!(state, "0 1", "alternate screen, cursor");
}
