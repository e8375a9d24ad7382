//! One node's poll as a plan: every read adds its commands, each with the
//! handler that reads its reply into the node's part, then the plan is sent
//! as one pipeline (one round trip) and the replies are handed back in order.
//!
//! A handler returns the error it does not handle itself; the plan turns it
//! into a [`Problem`] of the handler's [`Section`], so a refused or failing
//! command costs only its own section. A command the profile renames away is
//! a problem before anything is sent.

use super::PollOutcome;
use crate::connect::{ErrorKind, Node, NodeError};
use crate::model::{Name, Problem, ProblemKind, Section};
use redis::Value;

/// A reply: the value, or the server's error classified by `connect::classify`.
pub type Reply = std::result::Result<Value, NodeError>;

/// What a handler gives back: `Err` for an error it leaves to the plan.
pub type Handled = std::result::Result<(), NodeError>;

type Handler<'a> = Box<dyn FnOnce(&mut PollOutcome, Reply) -> Handled + Send + 'a>;
type After<'a> = Box<dyn FnOnce(&mut PollOutcome) + Send + 'a>;

struct Step<'a> {
    command: &'static str,
    section: Section,
    handler: Handler<'a>,
}

/// The commands of one node's poll, in order, with their handlers.
pub struct Plan<'a> {
    pub conn: &'a Node,
    pipe: redis::Pipeline,
    steps: Vec<Step<'a>>,
    problems: Vec<Problem>,
    /// Steps run after every reply is read (cross-read fix-ups, e.g. the
    /// persistence pane's settings from CONFIG GET), in the order added.
    after: Vec<After<'a>>,
}

impl<'a> Plan<'a> {
    pub fn new(conn: &'a Node) -> Self {
        Plan {
            conn,
            pipe: redis::pipe(),
            steps: Vec::new(),
            problems: Vec::new(),
            after: Vec::new(),
        }
    }

    /// Add `command args…` (the command through the profile's rename map),
    /// its reply read by `handler`. Arguments are bytes: names go out as the
    /// server holds them.
    pub fn add<A: AsRef<[u8]>>(
        &mut self,
        command: &'static str,
        args: impl IntoIterator<Item = A>,
        section: Section,
        handler: impl FnOnce(&mut PollOutcome, Reply) -> Handled + Send + 'a,
    ) {
        let Some(mut cmd) = self.conn.cmd(command) else {
            self.problems.push(disabled(command, section));
            return;
        };
        for a in args {
            cmd.arg(a.as_ref());
        }
        self.push(cmd, command, section, handler);
    }

    /// Add `EVALSHA sha 1 key args…` (a read-only script of redeye's own);
    /// `shown` names the command it stands for in problems (`XINFO`).
    pub fn add_script<A: AsRef<[u8]>>(
        &mut self,
        sha: &str,
        key: &[u8],
        args: impl IntoIterator<Item = A>,
        shown: &'static str,
        section: Section,
        handler: impl FnOnce(&mut PollOutcome, Reply) -> Handled + Send + 'a,
    ) {
        let Some(mut cmd) = self.conn.cmd("EVALSHA") else {
            self.problems.push(disabled("EVALSHA", section));
            return;
        };
        cmd.arg(sha).arg(1).arg(key);
        for a in args {
            cmd.arg(a.as_ref());
        }
        self.push(cmd, shown, section, handler);
    }

    /// Run `f` once every reply is read.
    pub fn after(&mut self, f: impl FnOnce(&mut PollOutcome) + Send + 'a) {
        self.after.push(Box::new(f));
    }

    fn push(
        &mut self,
        cmd: redis::Cmd,
        command: &'static str,
        section: Section,
        handler: impl FnOnce(&mut PollOutcome, Reply) -> Handled + Send + 'a,
    ) {
        self.pipe.add_command(cmd);
        self.steps.push(Step {
            command,
            section,
            handler: Box::new(handler),
        });
    }

    /// `sha` if this connection can run it: loaded, and EVALSHA not renamed
    /// away by the profile (else the caller sends the plain command).
    pub fn runnable(&self, sha: Option<String>) -> Option<String> {
        sha.filter(|_| self.conn.cmd("EVALSHA").is_some())
    }

    /// XINFO STREAM of `key`: through the body-dropping `stream_info.lua`
    /// when `drop_bodies` and the connection can run it, else plain. The
    /// size of the larger body at the head or tail (sent, or dropped) goes
    /// to `PollOutcome::bodies`, for the cadence's choice next time.
    pub fn xinfo_stream(
        &mut self,
        key: Name,
        drop_bodies: bool,
        section: Section,
        handler: impl FnOnce(&mut PollOutcome, Reply) -> Handled + Send + 'a,
    ) {
        let script = self.runnable(self.conn.stream_script().filter(|_| drop_bodies));
        let bytes = key.as_bytes().to_vec();
        let read = move |out: &mut PollOutcome, r: Reply| {
            if let Ok(v) = &r {
                out.bodies
                    .insert(key, crate::collect::streams::body_bytes(v));
            }
            handler(out, r)
        };
        match script {
            Some(sha) => self.add_script(&sha, &bytes, [""; 0], "XINFO", section, read),
            None => self.add("XINFO", [&b"STREAM"[..], &bytes], section, read),
        }
    }

    /// Send the plan as one pipeline and read every reply into `out`.
    pub async fn run(self, out: &mut PollOutcome) -> crate::error::Result<()> {
        let conn = self.conn;
        out.snapshot.problems.extend(self.problems);
        out.request_bytes = self.pipe.get_packed_pipeline().len();
        let replies: Vec<redis::RedisResult<Value>> = if self.steps.is_empty() {
            Vec::new()
        } else {
            out.snapshot.round_trips = 1;
            conn.pipeline(&self.pipe).await.map_err(|e| {
                crate::error::Failure::runtime(format!(
                    "lost Redis at {} while polling ({e}); check the server and the network",
                    conn.endpoint
                ))
            })?
        };
        for (step, reply) in self.steps.into_iter().zip(replies) {
            let reply = reply.map_err(NodeError::from);
            if let Err(e) = &reply {
                if matches!(
                    e.kind,
                    ErrorKind::Moved | ErrorKind::ClusterDown | ErrorKind::TryAgain
                ) {
                    out.moved = true;
                }
                // A script was flushed: plain commands from now on.
                if e.kind == ErrorKind::NoScript {
                    conn.stream_script_lost();
                }
            }
            if let Err(e) = (step.handler)(out, reply) {
                out.snapshot
                    .problems
                    .push(problem_for(&e, step.command, step.section, &conn.user));
            }
        }
        for f in self.after {
            f(out);
        }
        Ok(())
    }
}

fn disabled(command: &str, section: Section) -> Problem {
    Problem {
        section,
        node: None,
        command: command.to_string(),
        kind: ProblemKind::Disabled,
        message: format!("{command} is disabled by this profile's rename_commands"),
    }
}

/// The problem an error from the server makes of a section.
pub fn problem_for(err: &NodeError, command: &str, section: Section, user: &str) -> Problem {
    let (kind, message) = match err.kind {
        ErrorKind::NoPerm => (
            ProblemKind::NotPermitted,
            format!("not permitted for user {user}: {command}"),
        ),
        ErrorKind::UnknownCommand => (
            ProblemKind::Error,
            format!(
                "the server does not know {command} (renamed on the server?); map it under redis.rename_commands"
            ),
        ),
        ErrorKind::ClusterDown => (
            ProblemKind::Error,
            format!(
                "not read: the cluster is down (a primary is unreachable and its slots are not covered), so the live nodes refuse {command} until it recovers (cluster-allow-reads-when-down yes would let them answer); the server said: {}",
                crate::sanitize::text(&err.message)
            ),
        ),
        _ => (ProblemKind::Error, crate::sanitize::text(&err.message)),
    };
    Problem {
        section,
        node: None,
        command: command.to_string(),
        kind,
        message,
    }
}

/// The error kinds that mean "no such key" or "no such group": facts about
/// the data, not problems.
pub fn is_missing(e: &NodeError) -> bool {
    matches!(e.kind, ErrorKind::NoSuchKey | ErrorKind::NoGroup)
}
