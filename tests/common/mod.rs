//! Test harness: real `redis-server` processes on free loopback ports in temp
//! dirs, stopped (and the dir removed) when the handle drops, also when a test
//! panics. No mocks. The process handling is the library's own
//! (`redeye::demo::server`), shared with `redeye demo`.
//!
//! We do not use redis-rs's `redis-test` crate: it is built around redis-rs's
//! own suite (module loading, cluster scripts) and generates certificates with
//! the openssl CLI; this harness needs ACL users, renamed commands and rcgen
//! certificates with a client identity, in ~200 lines.

#![allow(dead_code)]

pub mod tmux;

pub mod net;
pub mod proxy;

use redeye::demo::server::RedisProcess;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN_PASSWORD: &str = "admin-s3cret-pw";
pub const APP_PASSWORD: &str = "app-s3cret-pw";
pub const READONLY_PASSWORD: &str = "ro-s3cret-pw";

/// Certificates generated at test time: a CA, a server cert for localhost /
/// 127.0.0.1, a client cert for mutual TLS, and an unrelated CA.
pub struct Certs {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub other_ca: PathBuf,
}

impl Certs {
    pub fn generate(dir: &Path) -> Certs {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair,
        };
        let ca_params = |cn: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, cn);
            p
        };
        let ca =
            CertifiedIssuer::self_signed(ca_params("redeye test CA"), KeyPair::generate().unwrap())
                .unwrap();
        let other =
            CertifiedIssuer::self_signed(ca_params("unrelated CA"), KeyPair::generate().unwrap())
                .unwrap();
        let mut sp =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        sp.distinguished_name.push(DnType::CommonName, "localhost");
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let skey = KeyPair::generate().unwrap();
        let scert = sp.signed_by(&skey, &ca).unwrap();
        let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
        cp.distinguished_name
            .push(DnType::CommonName, "redeye-client");
        cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let ckey = KeyPair::generate().unwrap();
        let ccert = cp.signed_by(&ckey, &ca).unwrap();
        let write = |name: &str, pem: String| {
            let p = dir.join(name);
            std::fs::write(&p, pem).unwrap();
            p
        };
        Certs {
            ca: write("ca.crt", ca.pem()),
            server_cert: write("server.crt", scert.pem()),
            server_key: write("server.key", skey.serialize_pem()),
            client_cert: write("client.crt", ccert.pem()),
            client_key: write("client.key", ckey.serialize_pem()),
            other_ca: write("other-ca.crt", other.pem()),
        }
    }
}

#[derive(Default)]
pub struct Builder {
    requirepass: Option<String>,
    acl_users: bool,
    tls: Option<&'static str>,
    renames: Vec<(String, String)>,
    extra: Vec<String>,
}

impl Builder {
    /// `requirepass` for the default user.
    pub fn password(mut self) -> Self {
        self.requirepass = Some(ADMIN_PASSWORD.into());
        self
    }

    /// The document's ACL users: app_user (+@all -flushdb -flushall -config) and readonly_user (+@read).
    pub fn acl_users(mut self) -> Self {
        self.acl_users = true;
        self
    }

    /// A TLS port beside the plain one; `auth_clients` is `no`, `yes` or `optional`.
    pub fn tls(mut self, auth_clients: &'static str) -> Self {
        self.tls = Some(auth_clients);
        self
    }

    pub fn rename(mut self, command: &str, to: &str) -> Self {
        self.renames.push((command.into(), to.into()));
        self
    }

    pub fn conf(mut self, line: &str) -> Self {
        self.extra.push(line.into());
        self
    }

    pub fn start(self) -> Server {
        let tls_port = std::cell::Cell::new(None);
        let certs = std::cell::RefCell::new(None);
        let proc = RedisProcess::start(&|_port, dir| {
            let mut conf = Vec::new();
            if let Some(pw) = &self.requirepass {
                conf.push(format!("requirepass {pw}"));
            }
            if self.acl_users {
                conf.push(format!(
                    "user app_user on >{APP_PASSWORD} ~* &* +@all -flushdb -flushall -config"
                ));
                conf.push(format!(
                    "user readonly_user on >{READONLY_PASSWORD} ~* &* +@read"
                ));
            }
            if let Some(auth) = self.tls {
                let c = Certs::generate(dir);
                let tp = free_port();
                conf.push(format!("tls-port {tp}"));
                conf.push(format!("tls-cert-file {}", c.server_cert.display()));
                conf.push(format!("tls-key-file {}", c.server_key.display()));
                conf.push(format!("tls-ca-cert-file {}", c.ca.display()));
                conf.push(format!("tls-auth-clients {auth}"));
                tls_port.set(Some(tp));
                *certs.borrow_mut() = Some(c);
            }
            for (cmd, to) in &self.renames {
                conf.push(format!("rename-command {cmd} \"{to}\""));
            }
            conf.extend(self.extra.iter().cloned());
            conf
        })
        .expect("redis-server starts");
        Server {
            port: proc.port,
            tls_port: tls_port.get(),
            certs: certs.into_inner(),
            password: self.requirepass.clone(),
            proc,
        }
    }
}

pub struct Server {
    pub port: u16,
    pub tls_port: Option<u16>,
    pub certs: Option<Certs>,
    password: Option<String>,
    proc: RedisProcess,
}

impl Server {
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn plain() -> Server {
        Builder::default().start()
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn tls_addr(&self) -> String {
        format!("127.0.0.1:{}", self.tls_port.expect("server has TLS"))
    }

    pub fn certs(&self) -> &Certs {
        self.certs.as_ref().expect("server has TLS")
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    /// An admin connection over the plain port, for setting up data.
    pub fn client(&self) -> redis::Connection {
        let url = match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        };
        redis::Client::open(url).unwrap().get_connection().unwrap()
    }

    /// Run one command as admin; panics on error.
    pub fn run(&self, args: &[&str]) -> redis::Value {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query(&mut self.client()).unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }
}

pub use redeye::demo::server::free_port;

/// A home for one test: an isolated HOME/XDG dir and optional profile file.
pub struct Home {
    pub dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::Builder::new()
                .prefix("redeye-home-")
                .tempdir()
                .unwrap(),
        }
    }

    /// Write a profile file into the temp dir and return its path.
    /// Writes made in this test's own process (as the dashboard makes
    /// them) audit into this home's data dir, not the user's.
    pub fn own_data_dir(&self) {
        // SAFETY: the tests that write in-process all point it at a home of
        // their own before they write; nothing reads it concurrently in a
        // way that a torn read could matter.
        unsafe { std::env::set_var("XDG_DATA_HOME", self.dir.path().join("xdg-data")) };
    }

    pub fn config(&self, yaml: &str) -> PathBuf {
        let p = self.dir.path().join("config.yaml");
        std::fs::write(&p, yaml).unwrap();
        // As a careful user keeps it: readable by its owner only (a file
        // others can read gets a warning when it holds a literal password).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        p
    }

    /// The built binary with a clean environment (no REDIS_*/REDEYE_* leaking in).
    pub fn redeye(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("redeye").unwrap();
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.dir.path().join("xdg-data"))
            .timeout(Duration::from_secs(60));
        c
    }
}

/// stdout/stderr of a finished command as text.
pub fn out(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The private server `redeye demo` reports on its first stderr line:
/// "redeye demo: private redis-server on ADDR (pid N, data in DIR)".
pub struct DemoServer {
    pub pid: String,
    pub dir: PathBuf,
}

pub fn demo_server(line: &str) -> DemoServer {
    let field = |after: &str, end: char| {
        line.split(after)
            .nth(1)
            .and_then(|rest| rest.split(end).next())
            .unwrap_or_else(|| panic!("not the demo's server line: {line}"))
            .to_string()
    };
    DemoServer {
        pid: field("(pid ", ','),
        dir: PathBuf::from(field("data in ", ')')),
    }
}

pub fn pid_alive(pid: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Wait up to `limit` for the process to be gone; true when it is.
pub fn wait_gone(pid: &str, limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while pid_alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    !pid_alive(pid)
}

/// Run a redeye command to the end: (exit code, stdout, stderr).
pub fn code_out(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let o = cmd.output().unwrap();
    let (so, se) = out(&o);
    (o.status.code().unwrap_or(-1), so, se)
}

/// The one line of a user-facing error (warnings aside), checked to be one
/// line and no backtrace.
pub fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one line of error, got: {stderr}");
    assert!(
        !stderr.contains("Backtrace") && !stderr.contains("panicked"),
        "{stderr}"
    );
    lines[0]
}

/// Profile `name` of the config file at `path`, resolved as the CLI does.
pub fn profile_from(path: &Path, name: &str) -> redeye::config::Profile {
    let loaded = redeye::config::load(Some(path)).unwrap().unwrap();
    redeye::config::resolve(&loaded, name, &|_| None).unwrap()
}

/// A zero-config profile at `addr` polling every `refresh`, watching
/// `streams` (name, groups).
pub fn local_profile(
    addr: &str,
    refresh: Duration,
    streams: &[(&str, &[&str])],
) -> redeye::config::Profile {
    let mut p = redeye::config::Profile::local(
        "t",
        redeye::config::Origin::ZeroConfig,
        redeye::config::Endpoint::parse(addr).unwrap(),
    );
    p.refresh = refresh;
    p.streams.streams = streams
        .iter()
        .map(|(name, groups)| redeye::config::StreamSpec {
            name: (*name).into(),
            groups: groups
                .iter()
                .map(|g| redeye::config::GroupSpec { name: (*g).into() })
                .collect(),
        })
        .collect();
    p
}

/// Wait for the collector's next snapshot matching `f`, up to `limit`.
pub async fn snapshot_where(
    h: &mut redeye::collect::collector::Handle,
    limit: Duration,
    f: impl Fn(&redeye::model::Snapshot) -> bool,
) -> std::sync::Arc<redeye::model::Snapshot> {
    use redeye::collect::collector::FromCollector;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .expect("a matching snapshot in time")
            .expect("collector alive");
        match msg {
            FromCollector::Snapshot(s) if f(&s) => return s,
            // What did not match, for the log of a test that times out.
            FromCollector::Snapshot(s) => eprintln!(
                "snapshot: cluster {:?} changed {:?} problems {:?}",
                s.cluster.as_ref().map(|c| c.state.clone()),
                s.cluster.as_ref().map(|c| c.changed.clone()),
                s.problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
            ),
            _ => {}
        }
    }
}

/// Calls of `cmd` (`xinfo|stream`, `evalsha`, …) in the server's INFO
/// commandstats since its last CONFIG RESETSTAT (0: never called).
pub fn calls(srv: &Server, cmd: &str) -> u64 {
    let info = match srv.run(&["INFO", "commandstats"]) {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        other => panic!("{other:?}"),
    };
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:")))
        .and_then(|r| r.split(',').find_map(|p| p.strip_prefix("calls=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The server's `total_net_output_bytes` (INFO stats): what it has sent.
pub fn net_out(srv: &Server) -> u64 {
    let info = match srv.run(&["INFO", "stats"]) {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        other => format!("{other:?}"),
    };
    info.lines()
        .find_map(|l| l.strip_prefix("total_net_output_bytes:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// `n` new entries of `orders`, delivered to `consumer` of its group
/// `billing` and not acknowledged.
pub fn held_by(srv: &Server, consumer: &str, n: usize) {
    for i in 0..n {
        srv.run(&["XADD", "orders", "*", "n", &i.to_string()]);
    }
    if n > 0 {
        srv.run(&[
            "XREADGROUP",
            "GROUP",
            "billing",
            consumer,
            "COUNT",
            &n.to_string(),
            "STREAMS",
            "orders",
            ">",
        ]);
    }
}

/// `orders` with a group `billing` created at its end, then `n` entries
/// held by `w1`.
pub fn held(srv: &Server, n: usize) {
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    held_by(srv, "w1", n);
}
