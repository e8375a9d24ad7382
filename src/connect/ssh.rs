//! SSH tunnels through the real OpenSSH client, so `~/.ssh/config` (Include,
//! Match, ProxyJump), ssh-agent, known_hosts and FIDO keys behave exactly as
//! the engineer's own `ssh`.
//!
//! One control master per profile (`ssh -M -S <socket> -N`), started before
//! the dashboard takes the terminal so that ssh can prompt; each address the
//! deployment announces gets its own forward over it (`-O forward -L
//! 127.0.0.1:<free port>:<host>:<port>`), cached per address. A dead master is
//! restarted (in BatchMode: the terminal belongs to the dashboard by then) and
//! its forwards made anew; it is stopped with `-O exit` when the tunnel is
//! dropped, and by the kernel (PR_SET_PDEATHSIG) if redeye is killed.

use crate::config::{Endpoint, SshSettings};
use crate::error::{Failure, Result};
pub use crate::model::TunnelStatus;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long ssh may take to log in when it can prompt (a passphrase, an OTP,
/// a key touch) and when it cannot.
const LOGIN_INTERACTIVE: Duration = Duration::from_secs(120);
const LOGIN_BATCH: Duration = Duration::from_secs(30);

/// One forward: the announced address and the local port that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub target: Endpoint,
    pub local: u16,
}

struct State {
    master: Option<Child>,
    forwards: BTreeMap<String, Forward>,
    restarts: u32,
    last_error: Option<String>,
}

/// The SSH control directories' names: this, the owner's pid, `-`, random.
const DIR_PREFIX: &str = "redeye-ssh-";

/// Remove the control directories in `base` left by redeye processes that
/// are gone (killed before they could clean up), and only those: a live
/// dashboard's directory (its pid runs) is never touched, nor another
/// user's.
pub fn remove_stale_dirs(base: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let mut removed = 0;
    for e in std::fs::read_dir(base).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let mine = e.metadata().ok().map(|m| m.uid()) == me && me.is_some();
        // Gone, or a zombie its parent has not reaped yet.
        let alive = std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|st| {
            !st.lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'))
        });
        if mine && !alive && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

pub struct Tunnel {
    settings: SshSettings,
    dir: tempfile::TempDir,
    state: Mutex<State>,
}

impl Tunnel {
    /// Start the control master and wait until it is logged in. With
    /// `interactive`, ssh may ask on the terminal; otherwise BatchMode.
    pub async fn open(settings: &SshSettings, interactive: bool) -> Result<Tunnel> {
        // A short path: a Unix socket's path is limited to ~100 bytes. The
        // name holds this process's pid, so a later start can tell the
        // directory of a dashboard that was killed (SIGKILL leaves it) from
        // a live one's.
        use std::os::unix::fs::PermissionsExt;
        let user_only = std::fs::Permissions::from_mode(0o700);
        let prefix = format!("{DIR_PREFIX}{}-", std::process::id());
        let tmp = std::env::temp_dir();
        for base in [Path::new("/tmp"), tmp.as_path()] {
            remove_stale_dirs(base);
        }
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .permissions(user_only.clone())
            .tempdir_in("/tmp")
            .or_else(|_| {
                tempfile::Builder::new()
                    .prefix(&prefix)
                    .permissions(user_only)
                    .tempdir()
            })
            .map_err(|e| {
                Failure::runtime(format!(
                    "cannot make a directory for the SSH control socket: {e}"
                ))
            })?;
        let t = Tunnel {
            settings: settings.clone(),
            dir,
            state: Mutex::new(State {
                master: None,
                forwards: BTreeMap::new(),
                restarts: 0,
                last_error: None,
            }),
        };
        {
            let mut st = t.state.lock().await;
            let child = t.start_master(interactive).await?;
            st.master = Some(child);
        }
        Ok(t)
    }

    /// The bastion as the user wrote it.
    pub fn via(&self) -> &str {
        &self.settings.host
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("m")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("ssh.log")
    }

    /// `ssh` with the profile's options, before the destination.
    fn base(&self) -> Command {
        let s = &self.settings;
        let mut c = Command::new("ssh");
        if let Some(f) = &s.config_file {
            c.arg("-F").arg(f);
        }
        if let Some(u) = &s.user {
            c.arg("-l").arg(u);
        }
        if let Some(p) = s.port {
            c.arg("-p").arg(p.to_string());
        }
        if let Some(i) = &s.identity_file {
            c.arg("-i").arg(i);
        }
        if let Some(j) = &s.jump {
            c.arg("-J").arg(j);
        }
        c.arg("-S").arg(self.socket());
        c
    }

    /// A control command (`-O check|forward|cancel|exit`) to the master.
    fn control(&self, op: &str, forward: Option<&str>) -> Command {
        let mut c = self.base();
        c.arg("-O").arg(op);
        if let Some(f) = forward {
            c.arg("-L").arg(f);
        }
        c.arg("--").arg(&self.settings.host);
        c.stdin(Stdio::null());
        c
    }

    async fn start_master(&self, interactive: bool) -> Result<Child> {
        let _ = std::fs::remove_file(self.socket());
        let log = crate::private::append(&self.log())
            .map_err(|e| Failure::runtime(format!("cannot write the SSH log: {e}")))?;
        let log_len = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut c = self.base();
        c.arg("-M")
            .arg("-N")
            .arg("-E")
            .arg(self.log())
            .args(["-o", "ControlPersist=no"])
            .args(["-o", "ExitOnForwardFailure=yes"])
            // A blackholed link (no RST) is noticed after two silent
            // keepalives; the collector then says `tunnel down` and the
            // master is restarted.
            .arg("-o")
            .arg(format!(
                "ServerAliveInterval={}",
                self.settings.keepalive.as_secs().max(1)
            ))
            .args(["-o", "ServerAliveCountMax=2"]);
        if !interactive {
            c.args(["-o", "BatchMode=yes"]);
        }
        c.arg("--").arg(&self.settings.host);
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        // The master dies with redeye, even on SIGKILL.
        #[cfg(target_os = "linux")]
        unsafe {
            use std::os::unix::process::CommandExt;
            c.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = c.spawn().map_err(|e| {
            Failure::runtime(format!(
                "cannot run ssh ({e}); install the OpenSSH client (apt-get install openssh-client) or remove the profile's ssh: block"
            ))
        })?;
        let limit = if interactive {
            LOGIN_INTERACTIVE
        } else {
            LOGIN_BATCH
        };
        let start = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return Err(self.explain_login(log_len));
            }
            if self.socket().exists() && self.check_now().await {
                return Ok(child);
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::runtime(format!(
                    "ssh to {} did not log in within {}s; check that the bastion is reachable (try `ssh {}`)",
                    self.via(),
                    limit.as_secs(),
                    self.via()
                )));
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    async fn check_now(&self) -> bool {
        let mut c = tokio::process::Command::from(self.control("check", None));
        c.stdout(Stdio::null()).stderr(Stdio::null());
        matches!(c.status().await, Ok(s) if s.success())
    }

    /// Whether the master is alive; if not, restart it (BatchMode) and forget
    /// the forwards, which died with it. `Err` says why it cannot come back.
    pub async fn ensure_up(&self) -> Result<()> {
        let mut st = self.state.lock().await;
        let alive = match st.master.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        };
        if alive && self.check_now().await {
            return Ok(());
        }
        if let Some(mut c) = st.master.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        st.forwards.clear();
        match self.start_master(false).await {
            Ok(c) => {
                st.master = Some(c);
                st.restarts += 1;
                st.last_error = None;
                Ok(())
            }
            Err(e) => {
                let msg = format!("tunnel down · reconnecting: {e}");
                st.last_error = Some(msg.clone());
                Err(Failure::runtime(msg))
            }
        }
    }

    /// The local address that reaches `target` as the bastion sees it: a
    /// forward made on first use and cached. A local port taken in the
    /// meantime by someone else is retried with another.
    pub async fn forward(&self, target: &Endpoint) -> Result<Endpoint> {
        let key = target.to_string();
        let mut st = self.state.lock().await;
        if let Some(f) = st.forwards.get(&key) {
            return Ok(local(f.local));
        }
        let mut last = String::new();
        for _ in 0..8 {
            let port = free_port()?;
            let spec = forward_spec(port, target);
            let mut c = tokio::process::Command::from(self.control("forward", Some(&spec)));
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            let out = c
                .output()
                .await
                .map_err(|e| Failure::runtime(format!("cannot run ssh to add a forward: {e}")))?;
            if out.status.success() {
                st.forwards.insert(
                    key,
                    Forward {
                        target: target.clone(),
                        local: port,
                    },
                );
                return Ok(local(port));
            }
            last = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if !(last.contains("forwarding failed") || last.contains("in use")) {
                break;
            }
        }
        let msg = if last.contains("Control socket connect")
            || last.contains("No such file")
            || last.contains("Connection refused")
        {
            format!(
                "tunnel down · reconnecting: the ssh master for {} is gone",
                self.via()
            )
        } else {
            format!(
                "ssh via {} could not forward to {target}: {}; check the address as the bastion sees it",
                self.via(),
                crate::sanitize::text(&last)
            )
        };
        Err(Failure::runtime(msg))
    }

    /// Cancel the forwards to addresses the deployment no longer announces.
    pub async fn retain(&self, keep: &[Endpoint]) {
        let keep: Vec<String> = keep.iter().map(|e| e.to_string()).collect();
        let mut st = self.state.lock().await;
        let gone: Vec<String> = st
            .forwards
            .keys()
            .filter(|k| !keep.contains(k))
            .cloned()
            .collect();
        for k in gone {
            if let Some(f) = st.forwards.remove(&k) {
                let spec = forward_spec(f.local, &f.target);
                let mut c = tokio::process::Command::from(self.control("cancel", Some(&spec)));
                c.stdout(Stdio::null()).stderr(Stdio::null());
                let _ = c.status().await;
            }
        }
    }

    /// The forward list and state, for the header's `i` and `snapshot --json`.
    pub fn status(&self) -> TunnelStatus {
        let Ok(mut st) = self.state.try_lock() else {
            return TunnelStatus {
                via: self.via().to_string(),
                up: true,
                ..Default::default()
            };
        };
        let up = st
            .master
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
        TunnelStatus {
            via: self.via().to_string(),
            up,
            restarts: st.restarts,
            forwards: st
                .forwards
                .values()
                .map(|f| (f.target.to_string(), local(f.local).to_string()))
                .collect(),
            last_error: st.last_error.clone(),
        }
    }

    /// Why the master exited before logging in, from its log: one sentence
    /// naming the fix.
    fn explain_login(&self, from: u64) -> Failure {
        let all = std::fs::read(self.log()).unwrap_or_default();
        let text = String::from_utf8_lossy(all.get(from as usize..).unwrap_or(&all)).to_string();
        explain(self.via(), &text)
    }

    /// Whether the bastion refused to open a channel (PermitOpen,
    /// AllowTcpForwarding) since the log was `from` bytes long.
    pub fn refused_since(&self, from: u64) -> bool {
        let all = std::fs::read(self.log()).unwrap_or_default();
        let text = String::from_utf8_lossy(all.get(from as usize..).unwrap_or(&[]));
        text.contains("open failed") || text.contains("administratively prohibited")
    }

    /// The log's length now (see [`Tunnel::refused_since`]).
    pub fn log_len(&self) -> u64 {
        std::fs::metadata(self.log()).map(|m| m.len()).unwrap_or(0)
    }
}

impl Tunnel {
    /// Stop the master now (`-O exit`, then a kill if it lingers). Called on
    /// every way out; idempotent.
    pub fn stop(&self) {
        let child = self
            .state
            .try_lock()
            .ok()
            .and_then(|mut st| st.master.take());
        self.stop_master(child);
    }

    fn stop_master(&self, child: Option<Child>) {
        let Some(mut child) = child else { return };
        let _ = self
            .control("exit", None)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let child = self.state.get_mut().master.take();
        self.stop_master(child);
    }
}

fn local(port: u16) -> Endpoint {
    Endpoint {
        host: "127.0.0.1".into(),
        port,
    }
}

/// `-L` spec: local port on 127.0.0.1 to `target` as the bastion sees it
/// (an IPv6 host in brackets).
fn forward_spec(local: u16, target: &Endpoint) -> String {
    if target.host.contains(':') {
        format!("127.0.0.1:{local}:[{}]:{}", target.host, target.port)
    } else {
        format!("127.0.0.1:{local}:{}:{}", target.host, target.port)
    }
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure::runtime(format!("cannot find a free local port for a forward: {e}")))
}

/// ssh's own failures, one sentence each naming the fix (exit 1; a bad
/// option from the `ssh:` block is a config error, exit 2).
pub fn explain(via: &str, log: &str) -> Failure {
    let last = log
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('@') && !l.starts_with("Warning: Permanently"))
        .unwrap_or("ssh exited without saying why");
    let last = crate::sanitize::text(last);
    let has = |s: &str| log.contains(s);
    if has("REMOTE HOST IDENTIFICATION HAS CHANGED") || has("Host key for") && has("has changed") {
        return Failure::runtime(format!(
            "the host key of the bastion {via} has CHANGED since it was recorded in known_hosts (a rebuilt host, or someone in the middle); verify the new key with its owners, then remove the old one with `ssh-keygen -R <host>`"
        ));
    }
    if has("Host key verification failed")
        || has("No ED25519 host key is known")
        || has("host key is known for")
    {
        return Failure::runtime(format!(
            "the host key of the bastion {via} is not in known_hosts; connect once with `ssh {via}` to check and accept it, then start redeye again"
        ));
    }
    if has("Permission denied") || has("Too many authentication failures") {
        return Failure::runtime(format!(
            "the bastion {via} refused the login ({last}); check ssh.user and ssh.identity_file, that your key is in ssh-agent (`ssh-add -l`), or try `ssh {via}`"
        ));
    }
    if has("Could not resolve hostname") {
        return Failure::runtime(format!(
            "cannot resolve the bastion {via} ({last}); check ssh.host or its Host entry in your ssh config"
        ));
    }
    if has("Bad configuration option")
        || has("Bad port")
        || has("bad port")
        || has("Invalid ")
        || has("unknown option")
        || has("Unsupported option")
        || has("terminating, 1 bad configuration options")
    {
        return Failure::config(format!(
            "ssh rejected the options from the profile's ssh: block or the ssh config ({last}); fix the ssh: block"
        ));
    }
    if has("Connection refused")
        || has("Connection timed out")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Connection closed by")
        || has("Connection reset")
        || has("kex_exchange_identification")
        || has("closed by remote host")
    {
        return Failure::runtime(format!(
            "cannot reach the bastion {via} ({last}); check the network or VPN, and ssh.host"
        ));
    }
    Failure::runtime(format!(
        "ssh to the bastion {via} failed ({last}); run `ssh {via}` to see why"
    ))
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn ssh_failures_are_one_sentence_with_a_fix() {
        let e = explain("b", "Host key verification failed.\n");
        assert!(e.to_string().contains("not in known_hosts"), "{e}");
        let e = explain(
            "b",
            "@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n",
        );
        assert!(e.to_string().contains("CHANGED"), "{e}");
        let e = explain("b", "root@b: Permission denied (publickey).\n");
        assert!(e.to_string().contains("refused the login"), "{e}");
        let e = explain("b", "command-line: line 0: Bad configuration option: foo\n");
        assert_eq!(e.exit_code(), 2);
        let e = explain("b", "ssh: connect to host b port 22: Connection refused\n");
        assert!(e.to_string().contains("cannot reach"), "{e}");
    }
}

#[cfg(test)]
mod stale_tests {
    /// A control directory whose redeye is gone (killed: SIGKILL leaves it)
    /// is removed at the next start; a live process's is kept, and so is
    /// anything that is not a control directory.
    #[test]
    fn only_the_directories_of_gone_processes_are_removed() {
        let base = tempfile::tempdir().unwrap();
        // A pid beyond pid_max: no such process.
        let gone = base.path().join("redeye-ssh-4194305-abc");
        let live = base
            .path()
            .join(format!("redeye-ssh-{}-def", std::process::id()));
        let other = base.path().join("redeye-ssh-notapid");
        for d in [&gone, &live, &other] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(gone.join("ssh.log"), "x").unwrap();
        assert_eq!(super::remove_stale_dirs(base.path()), 1);
        assert!(!gone.exists());
        assert!(live.exists() && other.exists());
    }
}
