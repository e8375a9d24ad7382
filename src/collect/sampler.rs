//! The command sampler: MONITOR on every node for a few seconds (at most
//! [`MAX`]), then it stops by itself. What it keeps are counts: commands,
//! key families of each command's first key, client addresses.

use super::keys::Classifier;
use crate::connect::Deployment;
use crate::model::insight::CommandSample;
use std::collections::HashMap;
use std::time::Duration;

/// The longest a sample may run.
pub const MAX: Duration = Duration::from_secs(60);
/// The default length.
pub const DEFAULT: Duration = Duration::from_secs(5);
/// Rows kept in each top list.
const TOP: usize = 15;

/// One MONITOR line: `1700000000.123456 [0 127.0.0.1:5555] "XADD" "k" ...`
/// (`[0 lua]` for a script's calls): the client and the arguments.
pub fn parse_line(line: &str) -> Option<(String, Vec<Vec<u8>>)> {
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let client = line[open + 1..close]
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_string();
    let mut args = Vec::new();
    let b = &line.as_bytes()[close + 1..];
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        i += 1;
        let mut arg = Vec::new();
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' && i + 1 < b.len() {
                i += 1;
                match b[i] {
                    b'n' => arg.push(b'\n'),
                    b'r' => arg.push(b'\r'),
                    b't' => arg.push(b'\t'),
                    b'a' => arg.push(7),
                    b'b' => arg.push(8),
                    b'x' if i + 2 < b.len() => {
                        let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
                        arg.push(u8::from_str_radix(hex, 16).ok()?);
                        i += 2;
                    }
                    c => arg.push(c),
                }
            } else {
                arg.push(b[i]);
            }
            i += 1;
        }
        args.push(arg);
        i += 1;
    }
    (!args.is_empty()).then_some((client, args))
}

/// The first key a command names, where it names one.
fn first_key<'a>(cmd: &str, args: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    const KEYLESS: &[&str] = &[
        "PING",
        "INFO",
        "CONFIG",
        "CLIENT",
        "SELECT",
        "AUTH",
        "HELLO",
        "MULTI",
        "EXEC",
        "DISCARD",
        "SCAN",
        "SLOWLOG",
        "LATENCY",
        "COMMAND",
        "ACL",
        "CLUSTER",
        "ROLE",
        "DBSIZE",
        "TIME",
        "ECHO",
        "SCRIPT",
        "FLUSHALL",
        "FLUSHDB",
        "SUBSCRIBE",
        "PSUBSCRIBE",
        "PUBLISH",
        "READONLY",
        "QUIT",
        "RESET",
        "SAVE",
        "BGSAVE",
        "BGREWRITEAOF",
        "LASTSAVE",
        "SHUTDOWN",
        "DEBUG",
        "WAIT",
        "SENTINEL",
        "REPLICAOF",
        "SLAVEOF",
        "FUNCTION",
        "MONITOR",
        "KEYS",
        "RANDOMKEY",
    ];
    let arg = |i: usize| args.get(i).map(Vec::as_slice);
    match cmd {
        c if KEYLESS.contains(&c) => None,
        "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO" | "FCALL" | "FCALL_RO" => {
            let n: usize = std::str::from_utf8(arg(2)?).ok()?.parse().ok()?;
            (n > 0).then(|| arg(3)).flatten()
        }
        "XREAD" | "XREADGROUP" => {
            let at = args
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"STREAMS"))?;
            arg(at + 1)
        }
        "XINFO" | "XGROUP" | "OBJECT" | "MEMORY" => arg(2),
        _ => arg(1),
    }
}

/// Counts of what the server was asked.
#[derive(Debug, Default)]
pub struct Tally {
    total: u64,
    commands: HashMap<String, u64>,
    prefixes: HashMap<String, u64>,
    clients: HashMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, c: &Classifier, line: &str) {
        let Some((client, args)) = parse_line(line) else {
            return;
        };
        let cmd = String::from_utf8_lossy(&args[0]).to_uppercase();
        if let Some(k) = first_key(&cmd, &args) {
            *self.prefixes.entry(c.family(k).0).or_default() += 1;
        }
        self.total += 1;
        *self
            .clients
            .entry(crate::sanitize::text(&client))
            .or_default() += 1;
        *self
            .commands
            .entry(crate::sanitize::text(&cmd))
            .or_default() += 1;
    }

    pub fn report(self, started_ms: u64, seconds: f64, error: Option<String>) -> CommandSample {
        let top = |m: HashMap<String, u64>| {
            let mut v: Vec<(String, u64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(TOP);
            v
        };
        CommandSample {
            started_ms,
            seconds,
            total: self.total,
            commands: top(self.commands),
            prefixes: top(self.prefixes),
            clients: top(self.clients),
            error,
        }
    }
}

/// MONITOR every node of `dep` for `length` (at most [`MAX`]), then stop.
pub async fn sample(dep: &Deployment, classifier: &Classifier, length: Duration) -> CommandSample {
    let length = length.min(MAX);
    let started_ms = crate::time::now_ms();
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + length;
    let mut tally = Tally::default();
    let mut error = None;
    let mut monitors = Vec::new();
    for n in dep.nodes() {
        match dep.link().monitor(&n.endpoint).await {
            Ok(m) => monitors.push(m),
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    if error.is_none() {
        // Lines from every node into one tally, until the deadline.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String, String>>(4096);
        for mut m in monitors {
            let tx = tx.clone();
            tokio::spawn(async move {
                loop {
                    let line = tokio::select! {
                        l = m.next_line() => l,
                        _ = tokio::time::sleep_until(deadline) => return,
                    };
                    let msg = match line {
                        Ok(Some(l)) => Ok(l),
                        Ok(None) => Err(format!("{} closed the MONITOR connection", m.endpoint)),
                        Err(e) => Err(e.to_string()),
                    };
                    let stop = msg.is_err();
                    if tx.send(msg).await.is_err() || stop {
                        return;
                    }
                }
            });
        }
        drop(tx);
        loop {
            tokio::select! {
                m = rx.recv() => match m {
                    Some(Ok(line)) => tally.add(classifier, &line),
                    Some(Err(e)) => { error = Some(e); break }
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
    }
    tally.report(started_ms, started.elapsed().as_secs_f64(), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_parse_with_escapes() {
        let (client, args) = parse_line(
            r#"1700000000.123456 [0 127.0.0.1:5555] "XADD" "s_bad\xff" "*" "f" "a\"b\\c\n""#,
        )
        .unwrap();
        assert_eq!(client, "127.0.0.1:5555");
        assert_eq!(args[1], b"s_bad\xff");
        assert_eq!(args[4], b"a\"b\\c\n");
        let (client, args) =
            parse_line(r#"1700000000.1 [0 lua] "XACK" "orders" "g" "1-0""#).unwrap();
        assert_eq!((client.as_str(), args.len()), ("lua", 4));
    }

    #[test]
    fn first_keys() {
        let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(first_key("GET", &a(&["GET", "emb:1"])), Some(&b"emb:1"[..]));
        assert_eq!(first_key("PING", &a(&["PING"])), None);
        assert_eq!(
            first_key(
                "XREADGROUP",
                &a(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "orders", ">"])
            ),
            Some(&b"orders"[..])
        );
        assert_eq!(
            first_key("EVALSHA", &a(&["EVALSHA", "abc", "1", "k"])),
            Some(&b"k"[..])
        );
        assert_eq!(first_key("EVALSHA", &a(&["EVALSHA", "abc", "0"])), None);
        assert_eq!(
            first_key("XINFO", &a(&["XINFO", "STREAM", "s"])),
            Some(&b"s"[..])
        );
    }
}
