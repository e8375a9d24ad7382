//! `redeye bench`: the per-poll cost of the dashboard's own poll (the
//! collector's `Poller`, with its cadence), measured on a private
//! redis-server: round trips (counted on the client), server time (INFO
//! commandstats after CONFIG RESETSTAT, the workload's commands left out),
//! the main thread's CPU (net of the workload alone) and client time, on
//! streams of 100 entries, each with a group holding 30 pending entries and
//! a DLQ of 3. `--keyspace`: the full-read poll against 1,000 vs 1,000,000
//! unrelated keys.

use crate::collect::collector::{Limits, Poller};
use crate::collect::{ConsumerScope, PollRequest, poll_with};
use crate::config::{Endpoint, GroupSpec, Origin, Profile, StreamSpec};
use crate::connect::{self, Node};
use crate::demo::server::RedisProcess;
use crate::error::{Failure, Result};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Polls per scenario (after the first, which is not counted).
    #[arg(long, default_value_t = 60)]
    pub polls: u32,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Skip the 10,000-stream scenario (and, with --keyspace, the
    /// 1,000,000-key ones): they take a while to populate.
    #[arg(long)]
    pub quick: bool,
    /// Instead: what a poll that reads every stream in full (as `redeye
    /// snapshot` does) costs with 1,000 vs 1,000,000 unrelated keys, with a
    /// discovery SCAN step and with a key-family step.
    #[arg(long)]
    pub keyspace: bool,
    /// Instead: bulk DLQ requeue of this many entries, against a naive
    /// one-XADD-one-XDEL-per-message loop and redis-benchmark's raw XADD rate.
    #[arg(long, value_name = "N")]
    pub dlq_requeue: Option<usize>,
    /// Instead: the incident timeline's budgets: memory after 24 h of
    /// history (100 and 1,000 streams × 3 groups), bytes per recorded
    /// refresh (the demo workload, 1,000 streams), and how fast a replay of
    /// a 24 h recording reaches a time.
    #[arg(long)]
    pub timeline: bool,
}

async fn fill_dlq(c: &Node, dlq: &str, n: usize) -> Result<()> {
    for start in (0..n).step_by(10_000) {
        let mut p = redis::pipe();
        for i in start..(start + 10_000).min(n) {
            p.cmd("XADD")
                .arg(dlq)
                .arg("*")
                .arg("original_id")
                .arg("1-0")
                .arg("original_stream")
                .arg("bench:jobs")
                .arg("error")
                .arg("boom")
                .arg("retry_count")
                .arg(3)
                .arg("event_id")
                .arg(format!("evt_{i:08}"))
                .arg("event")
                .arg(r#"{"type":"push","repo":"acme/api","size":812}"#)
                .ignore();
        }
        c.pipeline_all::<()>(&p)
            .await
            .map_err(|e| Failure::runtime(format!("bench setup failed: {e}")))?;
    }
    Ok(())
}

/// Bulk DLQ requeue (Lua, batches of 500) vs a naive per-message loop, and redis-benchmark XADD.
async fn dlq_bench(n: usize, json: bool) -> Result<()> {
    let server = RedisProcess::start(&|_, _| Vec::new())?;
    let endpoint = Endpoint::parse(&server.addr()).expect("own address");
    let profile = Profile::local("bench", Origin::Demo, endpoint);
    let c = connect::connect_one(&profile).await?;

    fill_dlq(&c, "bench:jobs:dlq", n).await?;
    q(&c, &["CONFIG", "RESETSTAT"]).await?;
    let t = Instant::now();
    let out = crate::ops::dlq_requeue(
        &c,
        &"bench:jobs:dlq".into(),
        &"bench:jobs".into(),
        &crate::ops::DlqSelect::UpTo("+".into()),
        &mut |_| {},
    )
    .await?;
    let bulk = t.elapsed().as_secs_f64();
    assert_eq!(out.done() as usize, n, "bulk requeue moved every entry");
    // Server time per message by command; the script's own overhead is its
    // EVALSHA time less the commands it ran (commandstats counts both).
    let stats = crate::resp::text(&q(&c, &["INFO", "commandstats"]).await?).unwrap_or_default();
    let usec = |cmd: &str| stat(&stats, cmd, "usec");
    let per = |u: f64| u / n as f64;
    let (xadd, xtrim, xdel) = (usec("xadd"), usec("xtrim"), usec("xdel"));
    let reads = usec("xrange") + usec("type");
    let script = usec("evalsha") + usec("eval");
    let overhead = (script - xadd - xtrim - xdel - reads).max(0.0);

    // The naive loop: read one, XADD it, XDEL it, one round trip each.
    fill_dlq(&c, "bench:naive:dlq", n).await?;
    let t = Instant::now();
    let mut moved = 0usize;
    loop {
        let v: redis::Value = c
            .write(
                redis::cmd("XRANGE")
                    .arg("bench:naive:dlq")
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(500),
            )
            .await
            .map_err(|e| Failure::runtime(e.to_string()))?;
        let page = crate::resp::entries(&v);
        if page.is_empty() {
            break;
        }
        for e in page {
            let mut add = redis::cmd("XADD");
            add.arg("bench:naive").arg("*");
            for (k, v) in &e.fields {
                add.arg(&k.0).arg(&v.0);
            }
            c.write::<()>(&add)
                .await
                .map_err(|e| Failure::runtime(e.to_string()))?;
            c.write::<()>(redis::cmd("XDEL").arg("bench:naive:dlq").arg(&e.id))
                .await
                .map_err(|e| Failure::runtime(e.to_string()))?;
            moved += 1;
        }
    }
    let naive = t.elapsed().as_secs_f64();

    // redis-benchmark's raw XADD rate, one client pipelining 64: what the
    // server can take from one connection.
    let raw = std::process::Command::new("redis-benchmark")
        .args([
            "-p",
            &server.port.to_string(),
            "-n",
            &n.to_string(),
            "-P",
            "64",
            "-c",
            "1",
            "-q",
            "XADD",
            "bench:raw",
            "*",
            "f",
            "v",
        ])
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            // "XADD bench:raw * f v: 123456.79 requests per second, p50=..."
            let after = text
                .rsplit(':')
                .find(|p| p.contains("requests per second"))?;
            after.split_whitespace().next()?.parse::<f64>().ok()
        });
    drop(server);

    let bulk_rate = n as f64 / bulk;
    let naive_rate = moved as f64 / naive;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "entries": n,
                "bulk_seconds": bulk, "bulk_per_second": bulk_rate,
                "naive_seconds": naive, "naive_per_second": naive_rate,
                "speedup": bulk_rate / naive_rate,
                "redis_benchmark_xadd_per_second": raw,
                "server_us_per_message": {
                    "xadd": per(xadd), "removal_xtrim": per(xtrim), "removal_xdel": per(xdel),
                    "reads_xrange_type": per(reads), "script_overhead": per(overhead),
                    "evalsha_total": per(script),
                },
            })
        );
    } else {
        println!(
            "bulk DLQ requeue of {n} entries (Lua, {} per call): {bulk:.2} s = {bulk_rate:.0} msg/s",
            crate::ops::BATCH
        );
        println!(
            "naive loop (XADD + XDEL per message, one round trip each): {naive:.2} s = {naive_rate:.0} msg/s"
        );
        println!("speedup: {:.1}x", bulk_rate / naive_rate);
        println!(
            "server µs per message (INFO commandstats): XADD {:.2}, removal {:.2} (XTRIM MINID {:.2}, XDEL {:.2}), reads {:.2} (XRANGE, TYPE), script overhead {:.2}; the script in all {:.2}",
            per(xadd),
            per(xtrim + xdel),
            per(xtrim),
            per(xdel),
            per(reads),
            per(overhead),
            per(script)
        );
        match raw {
            Some(r) => println!(
                "redis-benchmark -P 64 -c 1 XADD: {r:.0} req/s; the bulk requeue moves messages at {:.2}x that rate (each move is an XADD and its removal)",
                bulk_rate / r
            ),
            None => println!(
                "redis-benchmark not found (apt-get install redis-tools): raw XADD rate not measured"
            ),
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: String,
    pub streams: usize,
    pub unrelated_keys: u64,
    pub discovery_step: bool,
    pub polls: u32,
    pub round_trips_per_poll: f64,
    pub commands_per_poll: f64,
    pub server_us_per_poll: f64,
    pub bytes_in_per_poll: f64,
    pub bytes_out_per_poll: f64,
    pub client_ms_per_poll: f64,
}

async fn q(c: &Node, args: &[&str]) -> Result<redis::Value> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    c.write(&cmd)
        .await
        .map_err(|e| Failure::runtime(format!("bench setup failed on {}: {e}", args[0])))
}

fn info_field(text: &str, key: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// One field (`usec`, `usec_per_call`, …) of one command in INFO
/// commandstats; 0 when the command was not called.
fn stat(stats: &str, cmd: &str, field: &str) -> f64 {
    stats
        .lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:")))
        .and_then(|r| {
            r.split(',')
                .find_map(|p| p.strip_prefix(field)?.strip_prefix('='))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Sum of `usec=` and `calls=` over the commands of INFO commandstats that
/// `keep` (given the command's name, e.g. `xinfo|groups`) keeps.
fn commandstats(text: &str, keep: impl Fn(&str) -> bool) -> (f64, f64) {
    let mut usec = 0.0;
    let mut calls = 0.0;
    for (_, fields) in text
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_")?.split_once(':'))
        .filter(|(name, _)| keep(name))
    {
        for part in fields.split(',') {
            if let Some(v) = part.strip_prefix("usec=") {
                usec += v.parse::<f64>().unwrap_or(0.0);
            }
            if let Some(v) = part.strip_prefix("calls=") {
                calls += v.parse::<f64>().unwrap_or(0.0);
            }
        }
    }
    (usec, calls)
}

/// The keyspace bench's streams: 5 entries, a group holding 2, no DLQ.
async fn setup_streams(c: &Node, n: usize) -> Result<Vec<StreamSpec>> {
    streams_of(c, "bench:stream", 0..n, 5, 2, 0).await
}

async fn measure(
    profile: &Profile,
    conn: &connect::Deployment,
    admin: &Node,
    req: &PollRequest,
    polls: u32,
    label: &str,
    keys: u64,
) -> Result<Row> {
    q(admin, &["CONFIG", "RESETSTAT"]).await?;
    let mut round_trips = 0u64;
    let started = Instant::now();
    for _ in 0..polls {
        let out = poll_with(profile, conn, req).await?;
        round_trips += u64::from(out.snapshot.round_trips);
    }
    let elapsed = started.elapsed();
    let stats = crate::resp::text(&q(admin, &["INFO", "commandstats"]).await?).unwrap_or_default();
    let (net_in, net_out) = net_bytes(admin).await?;
    let (usec, calls) = commandstats(&stats, |_| true);
    let p = f64::from(polls);
    Ok(Row {
        scenario: label.to_string(),
        streams: req.streams.len(),
        unrelated_keys: keys,
        discovery_step: req.discover.is_some(),
        polls,
        round_trips_per_poll: round_trips as f64 / p,
        commands_per_poll: calls / p,
        server_us_per_poll: usec / p,
        // The two INFO calls of the measurement are in these counters too: a few hundred bytes in all.
        bytes_in_per_poll: net_in / p,
        bytes_out_per_poll: net_out / p,
        client_ms_per_poll: elapsed.as_secs_f64() * 1000.0 / p,
    })
}

pub async fn run(args: &BenchArgs) -> Result<()> {
    if args.timeline {
        return crate::bench_timeline::run(args.quick).await;
    }
    if let Some(n) = args.dlq_requeue {
        if n == 0 {
            return Err(Failure::config(
                "--dlq-requeue needs a number of entries above 0",
            ));
        }
        return dlq_bench(n, args.json).await;
    }
    if args.polls == 0 {
        return Err(Failure::config("--polls must be at least 1"));
    }
    if args.keyspace {
        return keyspace(args).await;
    }
    poll_cost(args).await
}

/// The full-read poll against the keyspace's size, discovery and key steps.
async fn keyspace(args: &BenchArgs) -> Result<()> {
    let server = RedisProcess::start(&|_, _| vec!["enable-debug-command local".into()])?;
    let endpoint = Endpoint::parse(&server.addr()).expect("own address");
    let mut profile = Profile::local("bench", Origin::Demo, endpoint);
    let admin = connect::connect_one(&profile).await?;
    let mut rows = Vec::new();
    let all = setup_streams(&admin, 1000).await?;
    q(&admin, &["DEBUG", "POPULATE", "1000", "unrelated"]).await?;
    let mut key_counts = vec![1_000u64];
    if !args.quick {
        key_counts.push(1_000_000);
    }
    for keys in key_counts {
        if keys > 1_000 {
            q(
                &admin,
                &["DEBUG", "POPULATE", &keys.to_string(), "unrelated"],
            )
            .await?;
        }
        for n in [10usize, 1000] {
            profile.streams.streams = all[..n].to_vec();
            let conn = connect::connect(&profile).await?;
            // What the dashboard polls with the default panes (overview).
            let base = PollRequest {
                behind: Vec::new(),
                streams: profile.streams.streams.clone(),
                slowlog: 32,
                consumers: ConsumerScope::None,
                client_list: None,
                pending_page: None,
                pending_consumer: None,
                holders: Vec::new(),
                dlq_page: None,
                discover: None,
                discover_node: 0,
                known_groups: Default::default(),
                latency_history: None,
                advisor: false,
                keys: None,
                reads: Vec::new(),
            };
            let label = format!("{n} streams, {keys} other keys");
            rows.push(measure(&profile, &conn, &admin, &base, args.polls, &label, keys).await?);
            if n == 10 {
                // A poll that also carries one discovery step (every 5th tick during a pass).
                let with_scan = PollRequest {
                    discover: Some((0, 1000)),
                    ..base.clone()
                };
                let label = format!("{n} streams, {keys} other keys, + SCAN step");
                rows.push(
                    measure(
                        &profile, &conn, &admin, &with_scan, args.polls, &label, keys,
                    )
                    .await?,
                );
                // A poll while the Keys pane is open: one key-family step
                // (SCAN COUNT 1000) and the previous step's 20 probes.
                let with_keys = PollRequest {
                    keys: Some(crate::collect::KeyWork {
                        node: 0,
                        scan: Some(0),
                        probe: (0..crate::collect::keys::PROBES)
                            .map(|i| format!("unrelated:{i}").into())
                            .collect(),
                    }),
                    ..base.clone()
                };
                let label = format!("{n} streams, {keys} other keys, + key step");
                rows.push(
                    measure(
                        &profile, &conn, &admin, &with_keys, args.polls, &label, keys,
                    )
                    .await?,
                );
            }
        }
    }
    drop(server);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
    } else {
        println!(
            "{:<42} {:>8} {:>9} {:>11} {:>11} {:>11} {:>10}",
            "scenario", "rt/poll", "cmds/poll", "server µs", "bytes in", "bytes out", "client ms"
        );
        for r in &rows {
            println!(
                "{:<42} {:>8.2} {:>9.1} {:>11.1} {:>11.0} {:>11.0} {:>10.2}",
                r.scenario,
                r.round_trips_per_poll,
                r.commands_per_poll,
                r.server_us_per_poll,
                r.bytes_in_per_poll,
                r.bytes_out_per_poll,
                r.client_ms_per_poll
            );
        }
        println!(
            "({} polls per scenario on a private redis-server; server µs from INFO commandstats)",
            args.polls
        );
    }
    Ok(())
}

/// Between polls: what the streams receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    None,
    /// 10% of the streams (a different tenth each poll) get one XADD and one
    /// XREADGROUP + XACK.
    TenthConsumed,
    /// Every stream gets one XADD.
    AllAdded,
}

/// The poll-cost dataset: streams `from..from+n`, each with 100 entries, a
/// group `workers` whose consumer c1 holds 30 pending entries, and a DLQ of 3.
async fn dataset(c: &Node, from: usize, n: usize) -> Result<Vec<StreamSpec>> {
    streams_of(c, "bench:s", from..from + n, 100, 30, 3).await
}

/// Streams `prefix:NNNNN` for `which`, each with `entries` entries, a group
/// `workers` whose consumer c1 holds `pending` of them, and a DLQ of `dlq`.
async fn streams_of(
    c: &Node,
    prefix: &str,
    which: std::ops::Range<usize>,
    entries: usize,
    pending: usize,
    dlq: usize,
) -> Result<Vec<StreamSpec>> {
    let mut specs = Vec::new();
    for chunk in which.collect::<Vec<_>>().chunks(100) {
        let mut pipe = redis::pipe();
        for &i in chunk {
            let name = format!("{prefix}:{i:05}");
            for j in 0..entries {
                pipe.cmd("XADD")
                    .arg(&name)
                    .arg("*")
                    .arg("n")
                    .arg(j)
                    .ignore();
            }
            pipe.cmd("XGROUP")
                .arg("CREATE")
                .arg(&name)
                .arg("workers")
                .arg("0")
                .ignore();
            pipe.cmd("XREADGROUP")
                .arg("GROUP")
                .arg("workers")
                .arg("c1")
                .arg("COUNT")
                .arg(pending)
                .arg("STREAMS")
                .arg(&name)
                .arg(">")
                .ignore();
            for j in 0..dlq {
                pipe.cmd("XADD")
                    .arg(format!("{name}:dlq"))
                    .arg("*")
                    .arg("original_stream")
                    .arg(&name)
                    .arg("original_id")
                    .arg(format!("1-{j}"))
                    .arg("error")
                    .arg("boom")
                    .ignore();
            }
            specs.push(StreamSpec {
                name: name.into(),
                groups: vec![GroupSpec {
                    name: "workers".into(),
                }],
            });
        }
        c.pipeline_all::<()>(&pipe)
            .await
            .map_err(|e| Failure::runtime(format!("bench setup failed: {e}")))?;
    }
    Ok(specs)
}

/// The workload's commands before poll `p`.
async fn work(c: &Node, streams: &[StreamSpec], w: Workload, p: usize) -> Result<()> {
    let fail =
        |e: crate::connect::NodeError| Failure::runtime(format!("bench workload failed: {e}"));
    let n = streams.len();
    match w {
        Workload::None => {}
        Workload::AllAdded => {
            let mut pipe = redis::pipe();
            for s in streams {
                pipe.cmd("XADD")
                    .arg(&s.name)
                    .arg("*")
                    .arg("n")
                    .arg(p)
                    .ignore();
            }
            c.pipeline_all::<()>(&pipe).await.map_err(fail)?;
        }
        Workload::TenthConsumed => {
            let tenth = (n / 10).max(1);
            let chosen: Vec<&StreamSpec> =
                (0..tenth).map(|j| &streams[(p * tenth + j) % n]).collect();
            let mut pipe = redis::pipe();
            for s in &chosen {
                pipe.cmd("XADD")
                    .arg(&s.name)
                    .arg("*")
                    .arg("n")
                    .arg(p)
                    .ignore();
                pipe.cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg("workers")
                    .arg("c2")
                    .arg("COUNT")
                    .arg(1)
                    .arg("STREAMS")
                    .arg(&s.name)
                    .arg(">");
            }
            let read: Vec<redis::Value> = c.pipeline_all(&pipe).await.map_err(fail)?;
            let mut ack = redis::pipe();
            for (s, v) in chosen.iter().zip(&read) {
                // [[stream, [[id, fields]]]] (RESP2) or a map (RESP3).
                let id = crate::resp::items(v)
                    .first()
                    .map(crate::resp::items)
                    .and_then(|x| x.get(1))
                    .map(crate::resp::entries)
                    .and_then(|e| e.into_iter().next())
                    .map(|e| e.id)
                    .or_else(|| {
                        crate::resp::pairs(v)
                            .into_iter()
                            .next()
                            .map(|(_, e)| crate::resp::entries(e))
                            .and_then(|e| e.into_iter().next())
                            .map(|e| e.id)
                    });
                if let Some(id) = id {
                    ack.cmd("XACK").arg(&s.name).arg("workers").arg(id).ignore();
                }
            }
            c.pipeline_all::<()>(&ack).await.map_err(fail)?;
        }
    }
    Ok(())
}

/// Commands the workload and the measurement send, left out of the poll's cost.
const NOT_THE_POLL: &[&str] = &["xadd", "xreadgroup", "xack", "config|resetstat"];

/// The server's network counters so far: (bytes in, bytes out).
async fn net_bytes(c: &Node) -> Result<(f64, f64)> {
    let text = crate::resp::text(&q(c, &["INFO", "stats"]).await?).unwrap_or_default();
    Ok((
        info_field(&text, "total_net_input_bytes"),
        info_field(&text, "total_net_output_bytes"),
    ))
}

/// The main thread's CPU time so far, in µs.
async fn main_thread_cpu_us(c: &Node) -> Result<f64> {
    let text = crate::resp::text(&q(c, &["INFO", "cpu"]).await?).unwrap_or_default();
    Ok((info_field(&text, "used_cpu_sys_main_thread")
        + info_field(&text, "used_cpu_user_main_thread"))
        * 1e6)
}

#[derive(Debug, Serialize)]
pub struct CostRow {
    pub scenario: String,
    pub streams: usize,
    pub polls: u32,
    pub round_trips_per_poll: f64,
    pub commands_per_poll: f64,
    pub server_us_per_poll: f64,
    pub target_us_per_poll: Option<f64>,
    /// used_cpu_sys_main_thread + used_cpu_user_main_thread per poll, less
    /// the same workload run alone over the same time.
    pub main_thread_cpu_us_per_poll: f64,
    pub client_ms_per_poll: f64,
    /// The server's network counters per poll (total_net_input_bytes /
    /// total_net_output_bytes), less the same workload run alone.
    pub bytes_in_per_poll: f64,
    pub bytes_out_per_poll: f64,
    /// This machine's speed, for comparing runs: the server's µs per call
    /// of the cheap reads every stream costs every poll.
    pub xinfo_groups_us_per_call: f64,
    pub xlen_us_per_call: f64,
}

/// One row of the poll-cost table.
struct Scenario {
    label: &'static str,
    /// What the streams receive between polls.
    work: Workload,
    target_us: Option<f64>,
    /// The cadence on (the dashboard as it is), or off: every stream read
    /// in full every poll, through the script, as before it.
    cadence: bool,
    /// The health reads on (first undelivered entries, the lagging groups'
    /// consumers), or off: what they add.
    health: bool,
}

impl Scenario {
    fn new(label: &'static str, work: Workload, target_us: Option<f64>) -> Self {
        Scenario {
            label,
            work,
            target_us,
            cadence: true,
            health: true,
        }
    }
}

/// `polls` polls of the dashboard's Poller (default panes) on `streams`,
/// after a first poll that is not counted, in scenario `sc`.
async fn measure_poller(
    base: &Profile,
    admin: &Node,
    streams: &[StreamSpec],
    polls: u32,
    sc: &Scenario,
) -> Result<CostRow> {
    let (w, label, target) = (sc.work, sc.label, sc.target_us);
    let mut profile = base.clone();
    profile.streams.streams = streams.to_vec();
    let dep = connect::connect(&profile).await?;
    let mut poller = Poller::new(profile, Limits::default());
    poller.memory.remember = sc.cadence;
    poller.health.reads = sc.health;
    poller.poll(&dep).await?;
    let cpu0 = main_thread_cpu_us(admin).await?;
    q(admin, &["CONFIG", "RESETSTAT"]).await?;
    // After the reset: it zeroes the network counters too.
    let net0 = net_bytes(admin).await?;
    let mut round_trips = 0u64;
    let mut client = std::time::Duration::ZERO;
    let started = Instant::now();
    for p in 0..polls as usize {
        work(admin, streams, w, p).await?;
        let t = Instant::now();
        let snap = poller.poll(&dep).await?;
        client += t.elapsed();
        round_trips += u64::from(snap.round_trips);
    }
    let took = started.elapsed();
    let stats = crate::resp::text(&q(admin, &["INFO", "commandstats"]).await?).unwrap_or_default();
    let cpu1 = main_thread_cpu_us(admin).await?;
    let net1 = net_bytes(admin).await?;
    // The baseline: the same workload alone, paced over the same time.
    let pause = took / polls.max(1);
    let bnet0 = net_bytes(admin).await?;
    let b0 = main_thread_cpu_us(admin).await?;
    for p in 0..polls as usize {
        let t = Instant::now();
        work(admin, streams, w, polls as usize + p).await?;
        tokio::time::sleep(pause.saturating_sub(t.elapsed())).await;
    }
    let b1 = main_thread_cpu_us(admin).await?;
    let bnet1 = net_bytes(admin).await?;
    let (usec, calls) = commandstats(&stats, |name| !NOT_THE_POLL.contains(&name));
    if std::env::var_os("REDEYE_BENCH_STATS").is_some() {
        eprintln!("{label}:\n{stats}");
    }
    let n = f64::from(polls);
    Ok(CostRow {
        scenario: label.to_string(),
        streams: streams.len(),
        polls,
        round_trips_per_poll: round_trips as f64 / n,
        commands_per_poll: calls / n,
        server_us_per_poll: usec / n,
        target_us_per_poll: target,
        main_thread_cpu_us_per_poll: ((cpu1 - cpu0) - (b1 - b0)).max(0.0) / n,
        client_ms_per_poll: client.as_secs_f64() * 1000.0 / n,
        bytes_in_per_poll: ((net1.0 - net0.0) - (bnet1.0 - bnet0.0)).max(0.0) / n,
        bytes_out_per_poll: ((net1.1 - net0.1) - (bnet1.1 - bnet0.1)).max(0.0) / n,
        xinfo_groups_us_per_call: stat(&stats, "xinfo|groups", "usec_per_call"),
        xlen_us_per_call: stat(&stats, "xlen", "usec_per_call"),
    })
}

/// The dashboard's poll on the issue's dataset, in the scenarios of its table.
async fn poll_cost(args: &BenchArgs) -> Result<()> {
    let server = RedisProcess::start(&|_, _| Vec::new())?;
    let endpoint = Endpoint::parse(&server.addr()).expect("own address");
    let profile = Profile::local("bench", Origin::Demo, endpoint);
    let admin = connect::connect_one(&profile).await?;
    let mut rows = Vec::new();
    let polls = args.polls;
    // The dashboard discovers streams it is not told of: the server holds
    // only the streams of the scenario.
    let mut all = dataset(&admin, 0, 10).await?;
    let ten = Scenario::new("10 streams", Workload::None, Some(250.0));
    rows.push(measure_poller(&profile, &admin, &all, polls, &ten).await?);
    let ten_off = Scenario {
        health: false,
        ..Scenario::new("10 streams, health reads off", Workload::None, None)
    };
    rows.push(measure_poller(&profile, &admin, &all, polls, &ten_off).await?);
    all.extend(dataset(&admin, 10, 990).await?);
    let scenarios = [
        Scenario::new("1,000 streams, none changed", Workload::None, Some(3_000.0)),
        Scenario::new(
            "1,000 streams, 10% XADD + XREADGROUP + XACK",
            Workload::TenthConsumed,
            Some(5_000.0),
        ),
        Scenario::new(
            "1,000 streams, every one an XADD",
            Workload::AllAdded,
            Some(12_000.0),
        ),
        Scenario {
            health: false,
            ..Scenario::new(
                "1,000 streams, none changed, health reads off",
                Workload::None,
                None,
            )
        },
        Scenario {
            health: false,
            ..Scenario::new(
                "1,000 streams, 10% consumed, health reads off",
                Workload::TenthConsumed,
                None,
            )
        },
        Scenario {
            cadence: false,
            ..Scenario::new(
                "1,000 streams, before: all read in full",
                Workload::None,
                None,
            )
        },
    ];
    for sc in &scenarios {
        rows.push(measure_poller(&profile, &admin, &all, polls, sc).await?);
    }
    if !args.quick {
        all.extend(dataset(&admin, 1000, 9000).await?);
        let big = Scenario::new("10,000 streams, none changed", Workload::None, None);
        rows.push(measure_poller(&profile, &admin, &all, polls, &big).await?);
    }
    drop(server);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
        return Ok(());
    }
    println!(
        "{:<50} {:>7} {:>9} {:>10} {:>8} {:>13} {:>10} {:>17} {:>14}",
        "scenario",
        "rt/poll",
        "cmds/poll",
        "server µs",
        "target",
        "main CPU µs",
        "client ms",
        "bytes in/out",
        "µs/call GR/LEN"
    );
    for r in &rows {
        println!(
            "{:<50} {:>7.2} {:>9.1} {:>10.1} {:>8} {:>13.1} {:>10.2} {:>8.0}/{:<8.0} {:>8.2}/{:.2}",
            r.scenario,
            r.round_trips_per_poll,
            r.commands_per_poll,
            r.server_us_per_poll,
            r.target_us_per_poll
                .map_or("stated".to_string(), |t| format!("≤{t:.0}")),
            r.main_thread_cpu_us_per_poll,
            r.client_ms_per_poll,
            r.bytes_in_per_poll,
            r.bytes_out_per_poll,
            r.xinfo_groups_us_per_call,
            r.xlen_us_per_call
        );
    }
    println!(
        "({} polls per scenario after a first one, on a private redis-server; each stream: 100 entries, a group with 30 pending, a DLQ of 3; server µs from INFO commandstats without the workload's commands; main CPU net of the workload alone; the last column is this machine's server µs per XINFO GROUPS / XLEN call, for comparing runs)",
        args.polls
    );
    Ok(())
}
