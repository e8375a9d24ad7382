//! MONITOR on a connection of its own (it takes the connection over): the
//! command sampler's source of lines. Opened through the link, so through
//! the SSH tunnel and with the profile's TLS and login, like every node.

use super::{Io, Link, dial_io};
use crate::config::Endpoint;
use crate::error::{Failure, Result};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// Lines of MONITOR output from one node.
pub struct Monitor {
    reader: Box<dyn AsyncBufRead + Unpin + Send>,
    pub endpoint: Endpoint,
}

impl Monitor {
    /// The next line (without `+` and CRLF); `None` when the server closed.
    pub async fn next_line(&mut self) -> Result<Option<String>> {
        let mut line = String::new();
        let n =
            self.reader.read_line(&mut line).await.map_err(|e| {
                Failure::runtime(format!("MONITOR on {} stopped: {e}", self.endpoint))
            })?;
        if n == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        Ok(Some(line.strip_prefix('+').unwrap_or(line).to_string()))
    }
}

impl Link {
    /// Start MONITOR on the node announced as `announced`.
    pub async fn monitor(&self, announced: &Endpoint) -> Result<Monitor> {
        let p = self.profile();
        let dial = self.dial(announced).await?;
        let mut cmds = Vec::new();
        if let Some(pw) = &p.password {
            let mut auth = redis::cmd("AUTH");
            if let Some(u) = &p.username {
                auth.arg(u);
            }
            auth.arg(pw.expose());
            cmds.push(("AUTH", auth.get_packed_command()));
        }
        let monitor = super::command(&p.commands, "MONITOR").ok_or_else(|| {
            Failure::config(
                "MONITOR is disabled by this profile's rename_commands; the sampler needs it",
            )
        })?;
        cmds.push(("MONITOR", monitor.get_packed_command()));
        let user = p.username.as_deref().unwrap_or("default");
        let reader = match dial_io(p, announced, &dial, p.tls.as_ref()).await? {
            Io::Plain(s) => start(s, &cmds, announced, user).await?,
            Io::Tls(s) => start(*s, &cmds, announced, user).await?,
        };
        Ok(Monitor {
            reader,
            endpoint: announced.clone(),
        })
    }
}

/// Log in and send MONITOR, each answered before the next.
async fn start<S>(
    stream: S,
    cmds: &[(&str, Vec<u8>)],
    endpoint: &Endpoint,
    user: &str,
) -> Result<Box<dyn AsyncBufRead + Unpin + Send>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut r = BufReader::new(stream);
    for (name, bytes) in cmds {
        let io = |e: std::io::Error| Failure::runtime(format!("{name} on {endpoint} failed: {e}"));
        r.get_mut().write_all(bytes).await.map_err(io)?;
        let mut reply = String::new();
        r.read_line(&mut reply).await.map_err(io)?;
        let reply = reply.trim_end();
        if let Some(err) = reply.strip_prefix('-') {
            let err = crate::sanitize::text(err);
            return Err(Failure::runtime(if err.starts_with("NOPERM") {
                format!("not permitted for user {user}: {name} ({err})")
            } else {
                format!("{name} refused by {endpoint}: {err}")
            }));
        }
        if reply.is_empty() {
            return Err(Failure::runtime(format!(
                "{endpoint} closed the connection at {name}"
            )));
        }
    }
    Ok(Box::new(r))
}
