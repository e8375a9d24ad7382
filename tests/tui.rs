//! The dashboard as a person uses it: `redeye demo` inside tmux (a real
//! pseudo-terminal), keys sent with send-keys, the screen read with
//! capture-pane. Also proves `q` stops the demo server and removes its dir.

mod common;

use common::Home;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Tmux {
            socket: format!("redeye-test-{}-{nanos}", std::process::id()),
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        self.cmd(&["send-keys", "-t", "t", keys]);
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "`{what}` never appeared; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.cmd(&["has-session", "-t", "t"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

#[test]
fn demo_dashboard_in_a_terminal_then_q_cleans_up() {
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    let stderr = home.dir.path().join("stderr.txt");
    let tmux = Tmux::new();
    let shell = format!(
        "HOME={} NO_COLOR=1 {} demo --claim-min-idle 2s 2>{}",
        home.dir.path().display(),
        bin.display(),
        stderr.display()
    );
    let o = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "80",
        "-y",
        "24",
        &shell,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

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
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!tmux.alive(), "redeye did not exit on q");
    let err = std::fs::read_to_string(&stderr).unwrap();
    let first = err.lines().next().unwrap_or("");
    let pid = first
        .split("(pid ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let dir = first
        .split("data in ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');
    assert!(err.contains("server stopped"), "{err}");
    assert!(!std::path::Path::new(dir).exists(), "{dir} still exists");
    let alive = Command::new("kill")
        .args(["-0", pid])
        .status()
        .unwrap()
        .success();
    assert!(!alive, "redis-server {pid} still runs");
}
