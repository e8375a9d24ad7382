//! tmux as a person's terminal: a real pseudo-terminal, keys sent with
//! send-keys, the screen read with capture-pane.

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its socket), with one session `t`.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn new() -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Tmux {
            socket: format!("redeye-test-{}-{nanos}", std::process::id()),
        }
    }

    /// A session `t` of `w`x`h` running `shell` (a sh command line).
    pub fn start(w: u16, h: u16, shell: &str) -> Tmux {
        let tmux = Tmux::new();
        let o = tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            shell,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &str) {
        self.cmd(&["send-keys", "-t", "t", keys]);
    }

    pub fn wait_for(&self, what: &str) -> String {
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

    /// Wait until `what` is off the screen (a popup closed). After `Escape`,
    /// a key sent at once can reach the program in the same read and be
    /// taken for Alt+key: wait for the Escape to act first.
    pub fn wait_without(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if !s.contains(what) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{what}` never went away; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn alive(&self) -> bool {
        self.cmd(&["has-session", "-t", "t"]).status.success()
    }

    /// Wait up to 10 s for the program in the session to exit.
    pub fn wait_exit(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}
