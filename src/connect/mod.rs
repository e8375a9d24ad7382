//! Building a connection from a profile: TCP or TLS (rustls), ACL user and
//! password, DB, timeouts and renamed commands. Every failure a user can cause
//! becomes one sentence naming the cause and the fix.

mod node;
pub mod tls;

pub use node::{ErrorKind, Node, NodeError, ScriptError, ScriptResult, classify};

use crate::config::{CommandNames, Endpoint, Profile, Target};
use crate::error::{Failure, Result};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisConnectionInfo, RedisError};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// What a profile connects to: today one standalone node. Sentinel and
/// Cluster live here too, yielding their nodes the same way, so `collect` and
/// `ops` never know which mode they run against.
#[derive(Clone)]
pub struct Deployment {
    nodes: Vec<Node>,
    mode: &'static str,
}

impl Deployment {
    /// Every node to poll (one pipelined round trip each per poll).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node that owns `key` (standalone: the only one).
    pub fn node_for_key(&self, _key: &str) -> &Node {
        &self.nodes[0]
    }

    /// The node for commands that are not about one key (ACL, SCAN on standalone).
    pub fn primary(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn mode(&self) -> &'static str {
        self.mode
    }

    /// The address shown in headers and audit records.
    pub fn describe(&self) -> String {
        self.primary().endpoint.to_string()
    }
}

/// Build a command through the rename map. Multi-word commands (`XINFO STREAM`)
/// are renamed by their first word, as Redis does.
pub fn command(names: &CommandNames, name: &str) -> Option<redis::Cmd> {
    let mut words = name.split_whitespace();
    let first = words.next()?;
    let mut cmd = redis::cmd(names.resolve(first)?);
    for w in words {
        cmd.arg(w);
    }
    Some(cmd)
}

/// Print warnings that the user must see before connecting (to stderr).
pub fn warnings(profile: &Profile) -> Vec<String> {
    let mut w = Vec::new();
    if profile.tls.as_ref().is_some_and(|t| t.skip_verify) {
        w.push(format!(
            "warning: profile '{}' has redis.tls.options.skip_verify: true — the server's certificate is NOT checked, so anyone in the path can pose as it",
            profile.name
        ));
    }
    w
}

/// Connect to the profile's deployment.
pub async fn connect(profile: &Profile) -> Result<Deployment> {
    let endpoint = match &profile.target {
        Target::Standalone(e) => e.clone(),
        Target::Sentinel { .. } => {
            return Err(Failure::config(format!(
                "profile '{}' uses Sentinel, which this version of redeye cannot connect through yet; point redis.address at the current master meanwhile",
                profile.name
            )));
        }
        Target::Cluster { .. } => {
            return Err(Failure::config(format!(
                "profile '{}' uses Redis Cluster, which this version of redeye cannot connect to yet; point redis.address at one node meanwhile",
                profile.name
            )));
        }
    };
    let node = connect_node(profile, &endpoint).await?;
    Ok(Deployment {
        nodes: vec![node],
        mode: "standalone",
    })
}

/// The single node of a standalone profile (demo and bench tooling).
pub async fn connect_one(profile: &Profile) -> Result<Node> {
    Ok(connect(profile).await?.primary().clone())
}

/// Connect to one node with the profile's credentials, TLS and timeouts.
pub async fn connect_node(profile: &Profile, endpoint: &Endpoint) -> Result<Node> {
    // Everything that can fail without the network fails first.
    let tls = match &profile.tls {
        Some(t) => Some((
            Arc::new(tls::client_config(t)?),
            tls::server_name(t, &endpoint.host)?,
        )),
        None => None,
    };
    let limit = profile.timeouts.connect;
    let tcp = match tokio::time::timeout(
        limit,
        TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
    )
    .await
    {
        Err(_) => {
            return Err(Failure::runtime(format!(
                "cannot reach Redis at {endpoint}: no answer within {} (redis.timeouts.connect); check the address, the firewall or your SSH tunnel",
                humantime::format_duration(limit)
            )));
        }
        Ok(Err(e)) => return Err(Failure::runtime(tcp_error(endpoint, &e))),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);

    let mut info = RedisConnectionInfo::default()
        .set_db(profile.db)
        .set_lib_name("redeye", env!("CARGO_PKG_VERSION"));
    if let Some(u) = &profile.username {
        info = info.set_username(u);
    }
    if let Some(p) = &profile.password {
        info = info.set_password(p.expose());
    }
    let user = profile
        .username
        .clone()
        .unwrap_or_else(|| "default".to_string());

    let con = match tls {
        None => setup(tcp, &info, profile, endpoint, false).await?,
        Some((config, name)) => {
            let connector = tokio_rustls::TlsConnector::from(config);
            let stream = match tokio::time::timeout(limit, connector.connect(name, tcp)).await {
                Err(_) => {
                    return Err(Failure::runtime(format!(
                        "TLS handshake with {endpoint} did not finish within {} (redis.timeouts.connect); is this a plain (non-TLS) port? use the TLS port or disable redis.tls",
                        humantime::format_duration(limit)
                    )));
                }
                Ok(Err(e)) => {
                    let msg = tls::explain(&e, &endpoint.to_string()).unwrap_or_else(|| {
                        if e.kind() == std::io::ErrorKind::UnexpectedEof {
                            format!(
                                "TLS handshake with {endpoint} failed: the server closed the connection; is this a TLS port, and does it need a client certificate?"
                            )
                        } else {
                            format!("TLS handshake with {endpoint} failed: {e}; check redis.tls")
                        }
                    });
                    return Err(Failure::runtime(msg));
                }
                Ok(Ok(s)) => s,
            };
            setup(stream, &info, profile, endpoint, true).await?
        }
    };
    let node = Node::new(
        con.clone(),
        profile.commands.clone(),
        endpoint.clone(),
        user.clone(),
        profile.timeouts.read,
        profile.timeouts.write,
    );
    // Prove the session works (NOAUTH shows up here, not in the handshake).
    let mut con = con;
    let ping = command(&profile.commands, "PING").unwrap_or_else(|| redis::cmd("PING"));
    let pong: std::result::Result<redis::Value, RedisError> = ping.query_async(&mut con).await;
    // NOPERM means logged in but not allowed PING (e.g. a +@read user): fine.
    if let Err(e) = pong
        && classify(&e) != ErrorKind::NoPerm
    {
        return Err(session_error(
            &e,
            profile,
            endpoint,
            &user,
            profile.tls.is_some(),
        ));
    }
    Ok(node)
}

async fn setup<S>(
    stream: S,
    info: &RedisConnectionInfo,
    profile: &Profile,
    endpoint: &Endpoint,
    tls: bool,
) -> Result<MultiplexedConnection>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = AsyncConnectionConfig::new()
        // Node applies read or write per call; this is the outer bound.
        .set_response_timeout(Some(profile.timeouts.read.max(profile.timeouts.write)))
        .set_connection_timeout(Some(profile.timeouts.connect));
    let user = profile.username.as_deref().unwrap_or("default");
    let made = tokio::time::timeout(
        profile.timeouts.connect + profile.timeouts.read,
        MultiplexedConnection::new_with_config(info, stream, config),
    )
    .await;
    match made {
        Err(_) => Err(Failure::runtime(format!(
            "Redis at {endpoint} accepted the connection but did not answer within {}; is it a Redis port{}?",
            humantime::format_duration(profile.timeouts.read),
            if tls {
                ""
            } else {
                ", and does it expect TLS (redis.tls.enabled)"
            }
        ))),
        Ok(Err(e)) => Err(session_error(&e, profile, endpoint, user, tls)),
        Ok(Ok((con, driver))) => {
            tokio::spawn(driver);
            Ok(con)
        }
    }
}

fn tcp_error(endpoint: &Endpoint, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => format!(
            "cannot reach Redis at {endpoint}: connection refused; check that redis-server runs there and the port is right (or that your SSH tunnel is up)"
        ),
        K::TimedOut => format!(
            "cannot reach Redis at {endpoint}: the connection timed out; check the address, the firewall or your SSH tunnel"
        ),
        _ if e.to_string().contains("lookup")
            || e.to_string().contains("resolve")
            || e.to_string().contains("Name or service") =>
        {
            format!(
                "cannot resolve the host of {endpoint} ({e}); check the spelling of redis.address"
            )
        }
        _ => format!("cannot reach Redis at {endpoint}: {e}; check the address and the network"),
    }
}

/// Explain an error raised while setting up or first using a session.
fn session_error(
    e: &RedisError,
    profile: &Profile,
    endpoint: &Endpoint,
    user: &str,
    tls: bool,
) -> Failure {
    let code = e.code().unwrap_or("");
    let text = e.to_string();
    let has_password = profile.password.is_some();
    if code == "WRONGPASS"
        || text.contains("WRONGPASS")
        || e.kind() == redis::ErrorKind::AuthenticationFailed
    {
        let why = if has_password {
            "wrong password, no such (enabled) user, or the server has no password set"
        } else {
            "no such (enabled) user"
        };
        return Failure::runtime(format!(
            "Redis at {endpoint} rejected the login for user '{user}': {why}; check redis.username and redis.password"
        ));
    }
    if code == "NOAUTH" || text.contains("NOAUTH") {
        return Failure::runtime(format!(
            "Redis at {endpoint} requires a password and the profile gives none; set redis.password (or REDIS_PASSWORD in zero-config mode)"
        ));
    }
    let kind = classify(e);
    if kind == ErrorKind::MaxClients {
        return Failure::runtime(format!(
            "Redis at {endpoint} refused the connection: max number of clients reached (maxclients); close idle clients (CLIENT LIST / CLIENT KILL) or raise maxclients"
        ));
    }
    if kind == ErrorKind::NoPerm {
        return Failure::runtime(format!(
            "Redis at {endpoint}: user '{user}' may not run the connection setup ({}); grant it +select +client|setinfo",
            crate::sanitize::text(e.detail().unwrap_or(&text))
        ));
    }
    if let Some(msg) = tls::explain(e, &endpoint.to_string()) {
        return Failure::runtime(msg);
    }
    if tls && (text.contains("alert") || text.contains("Certificate")) {
        return Failure::runtime(format!(
            "TLS session with {endpoint} was refused by the server ({}); if it requires a client certificate, set redis.tls.cert_file and key_file",
            crate::sanitize::text(&text)
        ));
    }
    if e.is_io_error() || e.is_connection_dropped() {
        return Failure::runtime(format!(
            "Redis at {endpoint} closed the connection during setup{}; check the port and redis.tls",
            if tls { "" } else { " (does it expect TLS?)" }
        ));
    }
    if e.is_timeout() {
        return Failure::runtime(format!(
            "Redis at {endpoint} did not answer within {} (redis.timeouts.read); the server may be overloaded or this is not a Redis port",
            humantime::format_duration(profile.timeouts.read)
        ));
    }
    if text.contains("DB index is out of range") || text.contains("invalid DB index") {
        return Failure::config(format!(
            "Redis at {endpoint} has no database {} ; set redis.db to an existing database number",
            profile.db
        ));
    }
    Failure::runtime(format!(
        "Redis at {endpoint} refused the connection setup: {}",
        crate::sanitize::text(&text)
    ))
}
