//! Private networks and Sentinel deployments for the SSH and Sentinel tests,
//! all real processes: a network namespace (`ip netns`, needs root, as CI
//! runs) holding `sshd` and the Redis processes on its own 127.0.0.1, which
//! the client reaches only through an ssh_config Host alias whose
//! ProxyCommand is `ip netns exec <ns> socat - TCP:127.0.0.1:<sshd port>`.
//! OpenSSH reads `~/.ssh/config` from the passwd entry, not `$HOME`, so the
//! tests hand their ssh_config to redeye with `ssh.config_file`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Where processes run: the host, or a network namespace.
#[derive(Clone)]
pub struct Spot {
    pub ns: Option<String>,
    /// Extra redis-cli arguments (`--tls --cacert ...` for TLS-only servers).
    pub cli_args: Vec<String>,
}

impl Spot {
    pub fn host() -> Spot {
        Spot {
            ns: None,
            cli_args: Vec::new(),
        }
    }

    pub fn cmd(&self, prog: &str) -> Command {
        match &self.ns {
            None => Command::new(prog),
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, prog]);
                c
            }
        }
    }

    /// `redis-cli -p PORT args...`, its output trimmed.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        let out = self
            .cmd("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(&self.cli_args)
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn wait_redis(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.cli(port, &["PING"]) != "PONG" {
            assert!(Instant::now() < deadline, "redis on {port} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A network namespace with its loopback up; its processes are killed and
/// the namespace deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new() -> Netns {
        let name = format!(
            "redeye-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("ip runs")
            .success();
        assert!(
            ok,
            "cannot create a network namespace (the SSH tests need root, as CI has)"
        );
        let ns = Netns { name };
        assert!(
            ns.spot()
                .cmd("ip")
                .args(["link", "set", "lo", "up"])
                .status()
                .unwrap()
                .success()
        );
        ns
    }

    pub fn spot(&self) -> Spot {
        Spot {
            ns: Some(self.name.clone()),
            cli_args: Vec::new(),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A process killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A redis-server in the foreground at `spot`, port `port`, with extra config lines.
pub fn redis_at(spot: &Spot, dir: &Path, port: u16, extra: &[String]) -> Proc {
    let sub = dir.join(format!("r{port}"));
    std::fs::create_dir_all(&sub).unwrap();
    // `TLS_ONLY` in `extra`: the port is a TLS port (and no plain one).
    let tls = extra.iter().any(|l| l == "TLS_ONLY");
    let extra: Vec<String> = extra.iter().filter(|l| *l != "TLS_ONLY").cloned().collect();
    let mut conf = vec![
        if tls {
            format!("port 0\ntls-port {port}")
        } else {
            format!("port {port}")
        },
        "bind 127.0.0.1".into(),
        "save \"\"".into(),
        "appendonly no".into(),
        format!("dir {}", sub.display()),
        format!("logfile {}", sub.join("redis.log").display()),
    ];
    conf.extend(extra.iter().cloned());
    let path = sub.join("redis.conf");
    std::fs::write(&path, conf.join("\n") + "\n").unwrap();
    let child = spot
        .cmd("redis-server")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let p = Proc(child);
    spot.wait_redis(port);
    p
}

/// A sentinel at `port` watching the master at `master` as `production-master`.
pub fn sentinel_at(spot: &Spot, dir: &Path, port: u16, master: u16, extra: &[String]) -> Proc {
    let sub = dir.join(format!("s{port}"));
    std::fs::create_dir_all(&sub).unwrap();
    // `TLS_ONLY` in `extra`: the port is a TLS port (and no plain one).
    let tls = extra.iter().any(|l| l == "TLS_ONLY");
    let extra: Vec<String> = extra.iter().filter(|l| *l != "TLS_ONLY").cloned().collect();
    let mut conf = vec![
        if tls {
            format!("port 0\ntls-port {port}")
        } else {
            format!("port {port}")
        },
        "bind 127.0.0.1".into(),
        format!("dir {}", sub.display()),
        format!("logfile {}", sub.join("sentinel.log").display()),
        format!("sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2"),
        format!("sentinel down-after-milliseconds {MASTER_NAME} 1000"),
        format!("sentinel failover-timeout {MASTER_NAME} 10000"),
    ];
    conf.extend(extra.iter().cloned());
    let path = sub.join("sentinel.conf");
    std::fs::write(&path, conf.join("\n") + "\n").unwrap();
    let child = spot
        .cmd("redis-server")
        .arg(&path)
        .arg("--sentinel")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sentinel starts");
    Proc(child)
}

/// A master, a replica and three sentinels watching `production-master`.
pub struct SentinelSet {
    pub spot: Spot,
    pub master: u16,
    pub replica: u16,
    pub sentinels: Vec<u16>,
    pub dir: TempDir,
    procs: Vec<Proc>,
}

pub const MASTER_NAME: &str = "production-master";

impl SentinelSet {
    /// `ports`: master, replica, then the sentinels. `sentinel_extra` is added
    /// to each sentinel's config (e.g. `requirepass`).
    pub fn start(spot: Spot, ports: &[u16], sentinel_extra: &[String]) -> SentinelSet {
        SentinelSet::start_with(spot, ports, &[], sentinel_extra)
    }

    /// With extra config for the master and replica too (TLS).
    pub fn start_with(
        spot: Spot,
        ports: &[u16],
        data_extra: &[String],
        sentinel_extra: &[String],
    ) -> SentinelSet {
        let dir = tempfile::Builder::new()
            .prefix("redeye-sentinel-")
            .tempdir()
            .unwrap();
        let (master, replica) = (ports[0], ports[1]);
        let mut procs = vec![redis_at(&spot, dir.path(), master, data_extra)];
        let mut replica_conf = data_extra.to_vec();
        replica_conf.push(format!("replicaof 127.0.0.1 {master}"));
        procs.push(redis_at(&spot, dir.path(), replica, &replica_conf));
        // Let the replica sync before the sentinels look.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !spot
            .cli(replica, &["INFO", "replication"])
            .contains("master_link_status:up")
        {
            assert!(Instant::now() < deadline, "replica did not sync");
            std::thread::sleep(Duration::from_millis(50));
        }
        for &p in &ports[2..] {
            procs.push(sentinel_at(&spot, dir.path(), p, master, sentinel_extra));
        }
        let set = SentinelSet {
            spot,
            master,
            replica,
            sentinels: ports[2..].to_vec(),
            dir,
            procs,
        };
        set.wait_settled();
        set
    }

    /// Stop every sentinel (SIGKILL): the data nodes keep running.
    pub fn kill_sentinels(&mut self) {
        self.procs.truncate(2);
    }

    /// Until every sentinel knows the replica and the other sentinels.
    pub fn wait_settled(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let want_others = (self.sentinels.len() - 1).to_string();
        loop {
            let ok = self.sentinels.iter().all(|&s| {
                let m = self.sentinel_cli(s, &["SENTINEL", "MASTER", MASTER_NAME]);
                let lines: Vec<&str> = m.lines().collect();
                let field = |name: &str| {
                    lines
                        .iter()
                        .position(|l| *l == name)
                        .and_then(|i| lines.get(i + 1).copied())
                };
                field("num-slaves") == Some("1")
                    && field("num-other-sentinels") == Some(&want_others)
            });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "sentinels did not settle");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// redis-cli to a sentinel (with its password, if the set has one).
    pub fn sentinel_cli(&self, port: u16, args: &[&str]) -> String {
        let mut full: Vec<&str> = Vec::new();
        let pw;
        if let Some(p) = self.sentinel_password() {
            pw = p;
            full.extend(["-a", pw.as_str(), "--no-auth-warning"]);
        }
        full.extend(args);
        self.spot.cli(port, &full)
    }

    fn sentinel_password(&self) -> Option<String> {
        let conf = std::fs::read_to_string(
            self.dir
                .path()
                .join(format!("s{}", self.sentinels[0]))
                .join("sentinel.conf"),
        )
        .ok()?;
        conf.lines()
            .find_map(|l| l.strip_prefix("requirepass "))
            .map(|s| s.trim_matches('"').to_string())
    }

    /// Fail over and wait until the sentinels name the replica as master.
    pub fn failover(&self) {
        let r = self.sentinel_cli(self.sentinels[0], &["SENTINEL", "FAILOVER", MASTER_NAME]);
        assert_eq!(r, "OK", "SENTINEL FAILOVER: {r}");
    }

    pub fn named_master(&self) -> String {
        self.sentinel_cli(
            self.sentinels[0],
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME],
        )
        .replace('\n', ":")
    }

    pub fn sentinel_addrs(&self) -> String {
        self.sentinels
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// sshd in a namespace, and an ssh_config whose Host alias reaches it.
pub struct Bastion {
    pub dir: TempDir,
    /// The ssh_config for `ssh.config_file`.
    pub config: PathBuf,
    pub alias: &'static str,
    pub known_hosts: PathBuf,
    _sshd: Proc,
}

pub const SSHD_PORT: u16 = 2222;

impl Bastion {
    /// `sshd_extra`: more sshd_config lines (e.g. `PermitOpen 127.0.0.1:1`).
    pub fn start(ns: &Netns, sshd_extra: &[&str]) -> Bastion {
        let dir = tempfile::Builder::new()
            .prefix("redeye-ssh-test-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let keygen = |name: &str| {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(name))
                .status()
                .expect("ssh-keygen runs")
                .success();
            assert!(ok);
        };
        keygen("host_key");
        keygen("user_key");
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let mut conf = vec![
            format!("Port {SSHD_PORT}"),
            "ListenAddress 127.0.0.1".into(),
            format!("HostKey {}", d.join("host_key").display()),
            format!("AuthorizedKeysFile {}", d.join("authorized_keys").display()),
            "StrictModes no".into(),
            "UsePAM no".into(),
            "PermitRootLogin yes".into(),
            format!("PidFile {}", d.join("sshd.pid").display()),
        ];
        conf.extend(sshd_extra.iter().map(|s| s.to_string()));
        std::fs::write(d.join("sshd_config"), conf.join("\n") + "\n").unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let sshd = ns
            .spot()
            .cmd("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .spawn()
            .expect("sshd starts");
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let known_hosts = d.join("known_hosts");
        std::fs::write(&known_hosts, format!("bastion-test {host_pub}")).unwrap();
        let config = d.join("ssh_config");
        std::fs::write(
            &config,
            format!(
                "Host bastion-test\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n  ProxyCommand ip netns exec {} socat - TCP:127.0.0.1:{SSHD_PORT}\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n",
                d.join("user_key").display(),
                ns.name,
                known_hosts.display()
            ),
        )
        .unwrap();
        let b = Bastion {
            dir,
            config,
            alias: "bastion-test",
            known_hosts,
            _sshd: Proc(sshd),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ok = Command::new("ssh")
                .arg("-F")
                .arg(&b.config)
                .args(["-o", "BatchMode=yes", b.alias, "true"])
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "sshd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        b
    }

    /// The profile's `ssh:` block.
    pub fn ssh_yaml(&self) -> String {
        format!(
            "    ssh:\n      host: {}\n      config_file: {}\n",
            self.alias,
            self.config.display()
        )
    }
}

impl Bastion {
    /// Add `ms` of latency each way to the link to the bastion (a delay
    /// proxy in the ProxyCommand): `2 * ms` of round-trip time.
    pub fn add_latency(&self, ms: u64) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/delay.py");
        let cfg = std::fs::read_to_string(&self.config).unwrap();
        let cfg = cfg.replace(
            "ProxyCommand ip netns",
            &format!("ProxyCommand python3 {script} {ms} ip netns"),
        );
        std::fs::write(&self.config, cfg).unwrap();
    }

    /// Pids of ssh processes using this bastion's ssh_config (masters left behind).
    pub fn ssh_pids(&self) -> Vec<String> {
        let out = Command::new("pgrep")
            .arg("-f")
            .arg(format!("ssh -F {}", self.config.display()))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

/// A Redis Cluster: three primaries and three replicas (`redis-cli --cluster
/// create ... --cluster-replicas 1`), cluster-node-timeout 1 s so a killed
/// primary's replica takes over quickly.
pub struct ClusterSet {
    pub spot: Spot,
    pub ports: Vec<u16>,
    pub dir: TempDir,
    procs: Vec<Option<Proc>>,
}

impl ClusterSet {
    pub fn start(spot: Spot, ports: &[u16]) -> ClusterSet {
        ClusterSet::start_with(spot, ports, &[])
    }

    /// With extra config lines on every node (TLS, announced host names).
    pub fn start_with(spot: Spot, ports: &[u16], extra: &[String]) -> ClusterSet {
        let dir = tempfile::Builder::new()
            .prefix("redeye-cluster-")
            .tempdir()
            .unwrap();
        let mut procs = Vec::new();
        for &p in ports {
            let mut conf = vec![
                "cluster-enabled yes".to_string(),
                format!(
                    "cluster-config-file {}",
                    dir.path().join(format!("nodes-{p}.conf")).display()
                ),
                "cluster-node-timeout 1000".into(),
                // Replicas sync at once (the default waits 5 s), so a
                // killed primary's replica is fit to take over.
                "repl-diskless-sync-delay 0".into(),
            ];
            conf.extend(extra.iter().cloned());
            procs.push(Some(redis_at(&spot, dir.path(), p, &conf)));
        }
        let mut create = spot.cmd("redis-cli");
        create.args(&spot.cli_args).arg("--cluster").arg("create");
        for p in ports {
            create.arg(format!("127.0.0.1:{p}"));
        }
        let out = create
            // Six nodes: three primaries with a replica each; three: primaries only.
            .args([
                "--cluster-replicas",
                if ports.len() >= 6 { "1" } else { "0" },
            ])
            .arg("--cluster-yes")
            .output()
            .expect("redis-cli --cluster create runs");
        assert!(
            out.status.success(),
            "cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let set = ClusterSet {
            spot,
            ports: ports.to_vec(),
            dir,
            procs,
        };
        set.wait_ok();
        set
    }

    /// Until every running node says cluster_state:ok and knows its peers.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self
                .ports
                .iter()
                .enumerate()
                .filter(|(i, _)| self.procs[*i].is_some())
                .all(|(_, p)| {
                    let info = self.spot.cli(*p, &["CLUSTER", "INFO"]);
                    let repl = self.spot.cli(*p, &["INFO", "replication"]);
                    info.contains("cluster_state:ok")
                        && (repl.contains("role:master") || repl.contains("master_link_status:up"))
                });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "cluster did not become ok");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Until every live primary's replica has acknowledged all its writes
    /// (WAIT only covers the writes of its own connection).
    pub fn wait_replicated(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let synced = self
                .ports
                .iter()
                .enumerate()
                .filter(|(i, _)| self.procs[*i].is_some())
                .all(|(_, p)| {
                    let r = self.spot.cli(*p, &["INFO", "replication"]);
                    if !r.contains("role:master") {
                        return true;
                    }
                    let field = |k: &str| {
                        r.lines()
                            .find_map(|l| l.trim().strip_prefix(k))
                            .map(str::to_string)
                    };
                    let master = field("master_repl_offset:");
                    let replica = field("slave0:").and_then(|s| {
                        s.split(',')
                            .find_map(|kv| kv.strip_prefix("offset="))
                            .map(str::to_string)
                    });
                    master.is_some() && master == replica
                });
            if synced {
                return;
            }
            assert!(Instant::now() < deadline, "replicas did not catch up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// redis-cli in cluster mode (follows MOVED).
    pub fn cli(&self, args: &[&str]) -> String {
        let alive = self
            .ports
            .iter()
            .enumerate()
            .find(|(i, _)| self.procs[*i].is_some())
            .map(|(_, p)| *p)
            .unwrap();
        let mut full = vec!["-c"];
        full.extend(args);
        self.spot.cli(alive, &full)
    }

    /// The port of the primary owning `key`.
    pub fn owner(&self, key: &str) -> u16 {
        let slot: u16 = self.cli(&["CLUSTER", "KEYSLOT", key]).parse().unwrap();
        let nodes = self.cli(&["CLUSTER", "NODES"]);
        for l in nodes.lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            // Flags are words: `nofailover` is not `fail`.
            let flags: Vec<&str> = w[2].split(',').collect();
            if !flags.contains(&"master") || flags.iter().any(|f| *f == "fail" || *f == "fail?") {
                continue;
            }
            for r in &w[8..] {
                let (a, b) = match r.split_once('-') {
                    Some((a, b)) => (a.parse().unwrap_or(1), b.parse().unwrap_or(0)),
                    None => (r.parse().unwrap_or(1), r.parse().unwrap_or(0)),
                };
                if (a..=b).contains(&slot) {
                    let addr = w[1].split('@').next().unwrap();
                    return addr.rsplit(':').next().unwrap().parse().unwrap();
                }
            }
        }
        panic!("no owner for slot {slot}")
    }

    /// The pid of the node on `port` (for SIGSTOP and the like).
    pub fn pid_of(&self, port: u16) -> u32 {
        let i = self.ports.iter().position(|p| *p == port).unwrap();
        self.procs[i].as_ref().expect("running").0.id()
    }

    /// Kill the node on `port` (SIGKILL).
    pub fn kill(&mut self, port: u16) {
        let i = self.ports.iter().position(|p| *p == port).unwrap();
        self.procs[i] = None;
    }

    pub fn seeds(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `n` ports below 55536 whose cluster bus port (+10000) is free too.
pub fn cluster_ports(n: usize) -> Vec<u16> {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut out = Vec::new();
    while out.len() < n {
        let p: u16 = rng.random_range(20_000..45_000);
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if !out.contains(&p) && free(p) && free(p + 10_000) {
            out.push(p);
        }
    }
    out
}
