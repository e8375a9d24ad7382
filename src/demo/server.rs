//! A private `redis-server` process: free loopback port, temp dir, stopped and
//! removed when dropped. Used by `redeye demo` and by the test harness.

use crate::error::{Failure, Result};
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const DIR_PREFIX: &str = "redeye-redis-";
const OWNER_FILE: &str = "owner.pid";

/// On Linux, have the kernel send SIGTERM to redis-server when the thread that
/// started it dies, so even `kill -9 redeye` does not leave a server running.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only calls
    // prctl(2), which is async-signal-safe; it allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

fn pid_alive(pid: u32) -> bool {
    // kill(pid, 0) checks existence without signalling.
    // SAFETY: no memory is touched; any pid value is valid to ask about.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

/// Remove temp dirs of private servers whose owner died without cleaning up.
fn remove_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let is_ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        if !is_ours {
            continue;
        }
        let owner = std::fs::read_to_string(path.join(OWNER_FILE))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok());
        if let Some(pid) = owner
            && !pid_alive(pid)
        {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

pub struct RedisProcess {
    pub port: u16,
    child: Child,
    /// Removed on drop, after the server is stopped.
    pub dir: TempDir,
}

/// A free TCP port on loopback (it may be taken again before use; callers retry).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// True when `redis-server` can be run.
pub fn available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl RedisProcess {
    /// Start a server; `extra(port, dir)` returns additional redis.conf lines.
    pub fn start(extra: &dyn Fn(u16, &Path) -> Vec<String>) -> Result<RedisProcess> {
        if !available() {
            return Err(Failure::config(
                "redis-server is not on PATH; install it (apt-get install redis-server, or brew install redis) and try again",
            ));
        }
        remove_orphans();
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(extra)? {
                Ok(p) => return Ok(p),
                Err(log) => last = log,
            }
        }
        Err(Failure::runtime(format!(
            "redis-server did not start (last log line: {}); check that it runs by hand",
            last.lines().last().unwrap_or("none")
        )))
    }

    /// `Ok(Err(log))` means "exited early, retry" (usually a port taken meanwhile).
    fn try_start(
        extra: &dyn Fn(u16, &Path) -> Vec<String>,
    ) -> Result<std::result::Result<RedisProcess, String>> {
        let io = |e: std::io::Error| {
            Failure::runtime(format!("cannot prepare a temp dir for redis-server: {e}"))
        };
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .map_err(io)?;
        let port = free_port();
        let log = dir.path().join("redis.log");
        let mut conf = format!(
            "port {port}\nbind 127.0.0.1\nprotected-mode yes\nsave \"\"\nappendonly no\ndaemonize no\ndir {}\nlogfile {}\n",
            dir.path().display(),
            log.display()
        );
        for line in extra(port, dir.path()) {
            conf.push_str(&line);
            conf.push('\n');
        }
        let conf_path = dir.path().join("redis.conf");
        std::fs::File::create(&conf_path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(io)?;
        // Who owns this dir: a later start removes it if this process died without cleaning up.
        std::fs::write(dir.path().join(OWNER_FILE), std::process::id().to_string()).map_err(io)?;
        let mut cmd = Command::new("redis-server");
        cmd.arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| Failure::runtime(format!("cannot start redis-server: {e}")))?;
        let mut p = RedisProcess { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = p.child.try_wait() {
                return Ok(Err(p.log()));
            }
            // The log line, not a TCP probe: a probe could reach another process's server.
            if p.log().contains("Ready to accept connections") {
                return Ok(Ok(p));
            }
            if Instant::now() > deadline {
                return Err(Failure::runtime(format!(
                    "redis-server did not become ready within 10s: {}",
                    p.log().lines().last().unwrap_or("")
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // TempDir removes the directory after this.
    }
}
