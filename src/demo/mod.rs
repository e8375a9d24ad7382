//! `redeye demo`: a private redis-server with a realistic event-system
//! workload, so anyone can see redeye live in one command.

pub mod server;
pub mod workload;

use crate::config::{Endpoint, Origin, Profile};
use crate::error::{Failure, Result};
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Only run the workload, against the Redis at --address (no private server, no display).
    #[arg(long)]
    pub workload_only: bool,
    /// Redis to run the workload against with --workload-only (loopback only: the workload writes).
    #[arg(long, value_name = "HOST:PORT", requires = "workload_only")]
    pub address: Option<String>,
    /// With --print or --workload-only: stop after this long (e.g. 60s, 10m);
    /// default: until Ctrl-C or SIGTERM. The dashboard runs until q.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Seed for the workload's random choices: the same seed gives the same operations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Events per second across all streams (bursts run at 5x).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Share of messages whose processing fails (0.0 to 1.0).
    #[arg(long, default_value_t = 0.08)]
    pub failure_rate: f64,
    /// Idle time after which the task sweeper claims and retries a pending entry.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub claim_min_idle: Duration,
    /// Print a snapshot every 5s instead of opening the dashboard (for logs and CI).
    #[arg(long, conflicts_with = "workload_only")]
    pub print: bool,
    /// How long agent_messages has no reader (its lag grows meanwhile).
    #[arg(long, default_value = "45s", value_parser = humantime::parse_duration)]
    pub agent_reader_delay: Duration,
}

impl DemoArgs {
    fn settings(&self) -> Result<workload::Settings> {
        if !(0.0..=1.0).contains(&self.failure_rate) {
            return Err(Failure::config(
                "--failure-rate must be between 0.0 and 1.0",
            ));
        }
        if !(self.rate > 0.0 && self.rate <= 100_000.0) {
            return Err(Failure::config(
                "--rate must be above 0 and at most 100000 events per second",
            ));
        }
        Ok(workload::Settings {
            rate: self.rate,
            seed: self.seed,
            failure_rate: self.failure_rate,
            claim_min_idle: self.claim_min_idle,
            max_retries: 3,
            agent_reader_delay: self.agent_reader_delay,
        })
    }
}

/// The built-in `demo` profile: writable, development, the workload's streams.
pub fn demo_profile(endpoint: Endpoint, settings: &workload::Settings) -> Profile {
    let mut p = Profile::local("demo", Origin::Demo, endpoint);
    p.streams = workload::stream_settings(settings);
    p.alerts = crate::model::alerts::Thresholds::defaults(settings.claim_min_idle);
    p
}

/// Wait for Ctrl-C, SIGTERM or the duration, whichever comes first.
async fn stop_signal(duration: Option<Duration>) -> &'static str {
    let limit = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term => "terminated",
        _ = limit => "duration reached",
    }
}

/// `record`: the global `--record` (the demo's recording is `demo`'s, in the data dir).
pub async fn run(args: &DemoArgs, theme: Option<&str>, record: bool) -> Result<()> {
    let settings = args.settings()?;
    if args.workload_only {
        let addr = args.address.as_deref().ok_or_else(|| {
            Failure::config("--workload-only needs --address HOST:PORT of the Redis to load")
        })?;
        let endpoint = Endpoint::parse(addr).map_err(|why| {
            Failure::config(format!("--address `{addr}` is not host:port ({why})"))
        })?;
        if !endpoint.is_loopback() {
            return Err(Failure::config(format!(
                "--address {endpoint} is not a loopback address; the demo workload writes test data, so run it only against a local Redis"
            )));
        }
        let profile = demo_profile(endpoint.clone(), &settings);
        let mut tasks = workload::start(&profile, settings).await?;
        eprintln!(
            "redeye demo: workload running against {endpoint} (seed {}, {} events/s); Ctrl-C to stop",
            args.seed, args.rate
        );
        let why = tokio::select! {
            w = stop_signal(args.duration) => w,
            Some(res) = tasks.join_next() => {
                tasks.abort_all();
                return Err(Failure::runtime(format!("a workload task ended unexpectedly: {res:?}")));
            }
        };
        tasks.abort_all();
        eprintln!("redeye demo: workload stopped ({why})");
        return Ok(());
    }

    let server = server::RedisProcess::start(&|_, _| {
        vec![
            // Small threshold so the workload's slow scripts show up in SLOWLOG.
            "slowlog-log-slower-than 2000".into(),
            "slowlog-max-len 256".into(),
            "maxmemory 256mb".into(),
            "maxmemory-policy allkeys-lru".into(),
        ]
    })?;
    eprintln!(
        "redeye demo: private redis-server on {} (pid {}, data in {})",
        server.addr(),
        server.pid(),
        server.dir.path().display()
    );
    let endpoint = Endpoint::parse(&server.addr()).expect("own address parses");
    let mut profile = demo_profile(endpoint, &settings);
    profile.record.enabled = record;
    let result = if args.print {
        show(&profile, settings, args.duration).await
    } else {
        dashboard(&profile, settings, theme).await
    };
    drop(server); // stop it and remove its dir on every path out of here
    eprintln!("redeye demo: server stopped and its temp dir removed");
    result
}

/// The dashboard on the demo server, with the workload running behind it.
async fn dashboard(
    profile: &Profile,
    settings: workload::Settings,
    theme: Option<&str>,
) -> Result<()> {
    let mut tasks = workload::start(profile, settings).await?;
    let theme = crate::ui::run::theme_for(theme, profile)?;
    let result = crate::ui::run::run(profile.clone(), theme, None, Vec::new()).await;
    tasks.abort_all();
    result
}

/// `--print`: a snapshot every few seconds, for logs.
async fn show(
    profile: &Profile,
    settings: workload::Settings,
    duration: Option<Duration>,
) -> Result<()> {
    let mut tasks = workload::start(profile, settings).await?;
    let conn = crate::connect::connect(profile).await?;
    eprintln!("redeye demo: workload running; a snapshot every 5s; Ctrl-C to stop");
    let printer = async {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tick.tick().await;
            match crate::collect::poll(profile, &conn).await {
                Ok(snap) => println!("{}", crate::report::snapshot_text(&snap)),
                Err(e) => eprintln!("redeye demo: {e}"),
            }
        }
    };
    let why = tokio::select! {
        w = stop_signal(duration) => w,
        _ = printer => "printer ended",
    };
    tasks.abort_all();
    eprintln!("redeye demo: stopping ({why})");
    Ok(())
}
