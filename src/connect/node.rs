//! One Redis node behind the profile's command names and timeouts, and the
//! one classifier of the errors it returns. The redis-rs connection is a
//! private field: nothing outside `connect/` names a connection type.

use crate::config::{CommandNames, Endpoint};
use redis::aio::MultiplexedConnection;
use redis::{FromRedisValue, RedisError, Value};
use std::time::Duration;

/// What went wrong, as far as redeye acts on it. Classified from the error
/// code the server sends (or the I/O failure), never from loose text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// ACL: the user may not run this command or touch this key.
    NoPerm,
    /// EVALSHA of a script the node does not have (yet, or after a failover).
    NoScript,
    /// The consumer group does not exist.
    NoGroup,
    /// XGROUP CREATE of a group that exists.
    BusyGroup,
    /// The key does not exist (XINFO on a missing stream).
    NoSuchKey,
    /// The key holds another type.
    WrongType,
    /// A write reached a replica.
    ReadOnly,
    /// The node is loading its dataset.
    Loading,
    /// Cluster redirection (MOVED / ASK).
    Moved,
    /// A slot is being migrated: try again.
    TryAgain,
    /// The cluster cannot serve the slot.
    ClusterDown,
    /// The command is unknown (renamed or disabled on the server).
    UnknownCommand,
    /// maxclients reached.
    MaxClients,
    /// No reply in time.
    Timeout,
    /// The connection broke.
    Connection,
    Other,
}

/// An error from a node, classified once.
#[derive(Debug, Clone)]
pub struct NodeError {
    pub kind: ErrorKind,
    /// The server's message (sanitised before display by the caller's format).
    pub message: String,
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::sanitize::text(&self.message))
    }
}

/// The one place a redis-rs error becomes an [`ErrorKind`].
pub fn classify(e: &RedisError) -> ErrorKind {
    if e.is_timeout() {
        return ErrorKind::Timeout;
    }
    let code = e.code().unwrap_or("");
    let detail = e.detail().unwrap_or("");
    let text = e.to_string();
    match code {
        "NOPERM" => return ErrorKind::NoPerm,
        "NOSCRIPT" => return ErrorKind::NoScript,
        "NOGROUP" => return ErrorKind::NoGroup,
        "BUSYGROUP" => return ErrorKind::BusyGroup,
        "WRONGTYPE" => return ErrorKind::WrongType,
        "READONLY" => return ErrorKind::ReadOnly,
        "LOADING" => return ErrorKind::Loading,
        "MOVED" | "ASK" => return ErrorKind::Moved,
        "TRYAGAIN" => return ErrorKind::TryAgain,
        "CLUSTERDOWN" => return ErrorKind::ClusterDown,
        _ => {}
    }
    // Plain "-ERR ..." replies: the code is ERR and the detail says which.
    if detail.starts_with("no such key") || text.contains("ERR no such key") {
        ErrorKind::NoSuchKey
    } else if detail.starts_with("unknown command") || text.contains("unknown command") {
        ErrorKind::UnknownCommand
    } else if detail.starts_with("max number of clients") || text.contains("max number of clients")
    {
        ErrorKind::MaxClients
    } else if e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        // A reply cut or garbled on the way: the command may have been
        // applied, and the connection is no longer in step with the server.
        || e.kind() == redis::ErrorKind::Parse
    {
        ErrorKind::Connection
    } else {
        ErrorKind::Other
    }
}

impl From<RedisError> for NodeError {
    fn from(e: RedisError) -> Self {
        NodeError {
            kind: classify(&e),
            message: e.to_string(),
        }
    }
}

/// The client name redeye's connections take for `profile`:
/// `redeye:<profile>`, with anything CLIENT SETNAME refuses (spaces,
/// control characters) or that would not read back plainly made `-`.
pub fn client_name(profile: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '-' })
        .collect();
    format!("redeye:{clean}")
}

/// A live connection to one node (or, in a cluster, a primary that could
/// not be reached: every command fails at once with the reason, and the
/// poll shows the node as a problem and the other primaries' figures).
#[derive(Clone)]
pub struct Node {
    con: Option<MultiplexedConnection>,
    /// Why `con` is `None`.
    down: Option<std::sync::Arc<str>>,
    commands: CommandNames,
    /// The address as the user knows it (announced host, not a tunnel's port).
    pub endpoint: Endpoint,
    /// The ACL user (`default` when none is configured), for permission messages.
    pub user: String,
    read_timeout: Duration,
    write_timeout: Duration,
    /// The poll's stream-info script is loaded on this connection's server
    /// (false: not permitted, renamed away, or flushed: plain XINFO STREAM).
    stream_script: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The name this connection took (`CLIENT SETNAME redeye:<profile>`);
    /// `None` when the server refused it (an ACL without CLIENT).
    named: std::sync::Arc<std::sync::OnceLock<Option<String>>>,
}

/// The poll's XINFO STREAM without entry bodies.
pub const STREAM_INFO: &str = include_str!("../collect/stream_info.lua");
/// The DLQ pane's page without entry bodies.
pub const DLQ_PAGE: &str = include_str!("../collect/dlq_page.lua");
/// The poll's first undelivered entry of each lagging group, without its body.
pub const FIRST_UNDELIVERED: &str = include_str!("../collect/first_undelivered.lua");
/// Their SHA1s, computed once rather than on every poll.
static STREAM_INFO_SHA: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| redis::Script::new(STREAM_INFO).get_hash().to_string());
static DLQ_PAGE_SHA: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| redis::Script::new(DLQ_PAGE).get_hash().to_string());
static FIRST_UNDELIVERED_SHA: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| redis::Script::new(FIRST_UNDELIVERED).get_hash().to_string());

impl Node {
    /// Whether polls may call the stream-info script (EVALSHA).
    pub fn stream_script(&self) -> Option<String> {
        self.stream_script
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| STREAM_INFO_SHA.clone())
    }

    /// Whether polls may call the DLQ page script (EVALSHA).
    pub fn dlq_page_script(&self) -> Option<String> {
        self.stream_script
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| DLQ_PAGE_SHA.clone())
    }

    /// Whether polls may call the first-undelivered script (EVALSHA).
    pub fn first_undelivered_script(&self) -> Option<String> {
        self.stream_script
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| FIRST_UNDELIVERED_SHA.clone())
    }

    /// The scripts are gone from the server (NOSCRIPT): plain commands.
    pub fn stream_script_lost(&self) {
        self.stream_script
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// The client name this connection took, if the server let it.
    pub fn named(&self) -> Option<String> {
        self.named.get().cloned().flatten()
    }

    pub(crate) fn set_named(&self, name: Option<String>) {
        let _ = self.named.set(name);
    }

    pub(crate) fn set_stream_script(&self, loaded: bool) {
        self.stream_script
            .store(loaded, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn new(
        con: MultiplexedConnection,
        commands: CommandNames,
        endpoint: Endpoint,
        user: String,
        read_timeout: Duration,
        write_timeout: Duration,
    ) -> Self {
        Node {
            con: Some(con),
            down: None,
            commands,
            endpoint,
            user,
            read_timeout,
            write_timeout,
            stream_script: Default::default(),
            named: Default::default(),
        }
    }

    /// A cluster primary that could not be connected to: it stands in the
    /// deployment so the others are polled; every command fails with `why`.
    pub(crate) fn unreachable(
        commands: CommandNames,
        endpoint: Endpoint,
        user: String,
        timeouts: (Duration, Duration),
        why: &str,
    ) -> Self {
        Node {
            con: None,
            down: Some(why.into()),
            commands,
            endpoint,
            user,
            read_timeout: timeouts.0,
            write_timeout: timeouts.1,
            stream_script: Default::default(),
            named: Default::default(),
        }
    }

    /// Why this node could not be reached, when it could not.
    pub fn unreachable_because(&self) -> Option<&str> {
        self.down.as_deref()
    }

    fn con(&self) -> Result<MultiplexedConnection, NodeError> {
        self.con.clone().ok_or_else(|| NodeError {
            kind: ErrorKind::Connection,
            message: format!(
                "{} is unreachable: {}",
                self.endpoint,
                self.down.as_deref().unwrap_or("not connected")
            ),
        })
    }

    /// Subscribe to channels; messages arrive on the push sender the
    /// connection was made with (RESP3).
    pub(crate) async fn subscribe(&self, channels: &[&str]) -> Result<(), NodeError> {
        let mut con = self.con()?;
        match tokio::time::timeout(self.read_timeout, con.subscribe(channels)).await {
            Ok(r) => r.map_err(NodeError::from),
            Err(_) => Err(NodeError {
                kind: ErrorKind::Timeout,
                message: "SUBSCRIBE timed out".into(),
            }),
        }
    }

    /// A command by its standard name, renamed as the profile says; `None` if disabled.
    pub fn cmd(&self, name: &str) -> Option<redis::Cmd> {
        super::command(&self.commands, name)
    }

    /// A read: answered within `timeouts.read`.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, NodeError> {
        self.within(self.read_timeout, cmd.query_async(&mut self.con()?))
            .await
    }

    /// A write: answered within `timeouts.write`. On a timeout the write may
    /// or may not have been applied; callers say so.
    pub async fn write<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, NodeError> {
        self.within(self.write_timeout, cmd.query_async(&mut self.con()?))
            .await
    }

    /// A pipeline in one round trip, each reply with its own result.
    pub async fn pipeline(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<Vec<redis::RedisResult<Value>>, NodeError> {
        let mut pipe = pipe.clone();
        pipe.ignore_errors();
        self.within(self.read_timeout, pipe.query_async(&mut self.con()?))
            .await
    }

    /// A pipeline whose replies are all needed (demo, benches).
    pub async fn pipeline_all<T: FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, NodeError> {
        self.within(self.write_timeout, pipe.query_async(&mut self.con()?))
            .await
    }

    /// Run a Lua script: EVALSHA, loading it with EVAL once on NOSCRIPT.
    /// A write: answered within `timeouts.write`.
    pub async fn script(
        &self,
        src: &str,
        keys: &[impl redis::ToRedisArgs],
        args: &[impl redis::ToRedisArgs],
    ) -> ScriptResult {
        let hash = redis::Script::new(src).get_hash().to_string();
        let build = |name: &str, first: &str| -> Option<redis::Cmd> {
            let mut c = self.cmd(name)?;
            c.arg(first).arg(keys.len());
            for k in keys {
                c.arg(k);
            }
            for a in args {
                c.arg(a);
            }
            Some(c)
        };
        let Some(evalsha) = build("EVALSHA", &hash) else {
            return Err(ScriptError::Disabled("EVALSHA"));
        };
        match self.write::<Value>(&evalsha).await {
            Err(e) if e.kind == ErrorKind::NoScript => {
                let Some(eval) = build("EVAL", src) else {
                    return Err(ScriptError::Disabled("EVAL"));
                };
                self.write(&eval).await.map_err(ScriptError::Node)
            }
            other => other.map_err(ScriptError::Node),
        }
    }

    async fn within<T>(
        &self,
        limit: Duration,
        fut: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, NodeError> {
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r.map_err(NodeError::from),
            Err(_) => Err(NodeError {
                kind: ErrorKind::Timeout,
                message: format!(
                    "no reply from {} within {}",
                    self.endpoint,
                    humantime::format_duration(limit)
                ),
            }),
        }
    }
}

pub type ScriptResult = Result<Value, ScriptError>;

#[derive(Debug, Clone)]
pub enum ScriptError {
    /// The profile's rename_commands disables this command.
    Disabled(&'static str),
    Node(NodeError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(msg: &str) -> RedisError {
        // Parse a real error line as the server sends it.
        let reply = format!("-{msg}\r\n");
        let mut parser = redis::Parser::new();
        match parser.parse_value(reply.as_bytes()) {
            Ok(Value::ServerError(e)) => RedisError::from(e),
            other => panic!("not an error reply: {other:?}"),
        }
    }

    #[test]
    fn classifies_the_servers_own_messages() {
        // The exact lines redis-server 7.0 sends.
        let cases = [
            (
                "NOPERM User readonly_user has no permissions to run the 'xadd' command",
                ErrorKind::NoPerm,
            ),
            (
                "NOSCRIPT No matching script. Please use EVAL.",
                ErrorKind::NoScript,
            ),
            (
                "NOGROUP No such key 'orders' or consumer group 'billing' in XREADGROUP with GROUP option",
                ErrorKind::NoGroup,
            ),
            ("ERR no such key", ErrorKind::NoSuchKey),
            (
                "BUSYGROUP Consumer Group name already exists",
                ErrorKind::BusyGroup,
            ),
            (
                "WRONGTYPE Operation against a key holding the wrong kind of value",
                ErrorKind::WrongType,
            ),
            (
                "READONLY You can't write against a read only replica.",
                ErrorKind::ReadOnly,
            ),
            (
                "LOADING Redis is loading the dataset in memory",
                ErrorKind::Loading,
            ),
            ("MOVED 3999 127.0.0.1:6381", ErrorKind::Moved),
            (
                "ERR unknown command 'CONFIG', with args beginning with: 'GET' ",
                ErrorKind::UnknownCommand,
            ),
            ("ERR max number of clients reached", ErrorKind::MaxClients),
            // "not" alone must not read as a permission error.
            (
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
                ErrorKind::Other,
            ),
            (
                "ERR Invalid stream ID specified as stream command argument",
                ErrorKind::Other,
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(classify(&server(line)), kind, "{line}");
        }
    }

    #[test]
    fn a_reply_cut_half_way_is_a_connection_error() {
        let mut parser = redis::Parser::new();
        let cut = parser.parse_value(&b"*3\r\n:1\r\n"[..]).unwrap_err();
        assert_eq!(classify(&cut), ErrorKind::Connection, "{cut}");
    }
}
