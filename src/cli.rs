//! Command-line interface (clap derive).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "redeye",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("REDEYE_GIT_COMMIT"), ")"),
    about = "A terminal dashboard for the on-call engineers of a Redis-backed event system",
    long_about = "redeye watches a Redis deployment (memory, clients, streams, consumer groups, \
pending entries, dead letters) and helps fix stuck work. Without a command it opens the live \
dashboard (press ? in it for the keys).\n\n\
Profiles live in a YAML file (default: ~/.config/redeye/config.yaml; see assets/config.example.yaml). \
Without a profile, redeye connects in zero-config mode from REDIS_ADDR (or REDIS_HOST/REDIS_PORT), \
REDIS_PASSWORD, REDIS_USERNAME, REDIS_DB and REDIS_TLS_* variables, defaulting to localhost:6379.",
    after_help = "Examples:\n  redeye demo\n  redeye --profile production          # the live dashboard\n  redeye profiles\n  redeye --profile staging snapshot\n  redeye --profile staging snapshot --json | jq .streams\n  REDIS_ADDR=10.0.0.5:6380 redeye snapshot\n\nExit codes: 0 ok, 1 runtime failure (network, server, login), 2 configuration or usage error, 130 a write stopped by Ctrl-C; `redeye check`: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
)]
pub struct Cli {
    /// Profile to use (from the config file); without one, zero-config mode or the file's default_profile.
    #[arg(
        long,
        short = 'p',
        global = true,
        env = "REDEYE_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Profile file to read instead of the default location.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "REDEYE_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    // The dashboard's own options: given before a command (`redeye
    // --read-only ack …`, `redeye --theme light demo`), they are not listed
    // in the help of the commands they do nothing for (`check --help`).
    /// Refuse every write, whatever the profile says (the dashboard and the write commands).
    #[arg(long)]
    pub read_only: bool,

    /// Record every refresh of the dashboard to the profile's recording
    /// (as `record: true` in the profile does); `redeye replay` plays it back.
    #[arg(long)]
    pub record: bool,

    /// Colour theme of the dashboard, demo and replay: dark, light,
    /// high-contrast, or a theme file path (NO_COLOR turns colours off).
    #[arg(long, env = "REDEYE_THEME", value_name = "THEME")]
    pub theme: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the profiles in the config file (passwords are never shown).
    Profiles {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Poll the server once and print a summary: server, memory, clients, stats,
    /// persistence, keyspace, and every configured stream with its groups and DLQ.
    Snapshot {
        /// Print the snapshot as JSON (stable schema, see README) for jq, scripts and alerts.
        #[arg(long)]
        json: bool,
        /// Also find streams the profile does not name (SCAN ... TYPE stream, at most
        /// 1,000,000 keys examined) and include them.
        #[arg(long)]
        discover: bool,
        /// Also group the keys into families (caches, idempotency keys, rate
        /// limits, sessions, locks...) by a bounded SCAN: at most N keys
        /// examined (default 100,000), 20 of each 1,000 sampled for type,
        /// TTL and memory.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "100000")]
        keys: Option<u64>,
        /// Poll twice this far apart, so every group has its rates, ETA and
        /// status; `0`: one poll (time behind only; the rest null with the reason).
        #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = humantime::parse_duration)]
        sample: std::time::Duration,
        /// Every environment of the fleet instead of one profile (all
        /// profiles of the file, or the profiles and `fleets:` groups
        /// named), polled in parallel; with --json a JSON array in config
        /// order, one object per environment.
        #[arg(long, value_name = "NAME", num_args = 0..)]
        fleet: Option<Vec<String>>,
    },
    /// Every environment on one screen, worst first: state, worst group,
    /// time behind, lag, dead letters, memory, ops/s, alerts. Enter opens an
    /// environment's dashboard, F returns; all keep polling. NAMEs: profiles
    /// or `fleets:` groups of the file (default: every profile).
    Fleet {
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Open the dashboard on a recording: the profile's (`--profile`), or a
    /// file written by `redeye record export`. Writes are disabled; t/T step,
    /// [ ] one minute, { } ten minutes, J jump, space play.
    Replay {
        /// A recording file (`.redeye`) or directory; default: the profile's recording.
        file: Option<PathBuf>,
        /// Start at this time: `2026-11-26 02:15`, `02:15` (today), `40m ago`;
        /// default: the end of the recording.
        #[arg(short = 't', long = "time", value_name = "WHEN")]
        time: Option<String>,
        /// Print the recorded snapshots from --time on as JSON lines instead (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// The recording: `export` a slice to attach to a ticket, `info`.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Start a private redis-server with a realistic event-system workload and watch it
    /// (needs redis-server on PATH); or, with --workload-only, load a local Redis you name.
    Demo(crate::demo::DemoArgs),
    /// Measure what the dashboard's poll costs the server (round trips, server
    /// time, main-thread CPU) on a private redis-server: 10, 1,000 and 10,000
    /// streams, unchanged and changing (--keyspace, --dlq-requeue, --timeline:
    /// the other benches).
    Bench(crate::bench::BenchArgs),
    /// The writes: claim, requeue, dead-letter, ack, dlq …, consumers prune.
    #[command(flatten)]
    Write(crate::opscli::WriteCommand),
    /// Poll twice --sample apart and judge it for a monitoring agent: exit 0
    /// OK, 1 WARNING, 2 CRITICAL (also unreachable, or no answer within
    /// --timeout), 3 UNKNOWN (not permitted, bad arguments, nothing to judge).
    /// Thresholds default to the profile's alerts; a flag sets the critical one.
    Check(crate::check::CheckArgs),
    /// Print a shell completion script (bash, zsh, fish): commands, flags,
    /// and the profile names in the config file when it is generated.
    /// Install: `redeye completions bash > ~/.local/share/bash-completion/completions/redeye`.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff). Install:
    /// `redeye man > ~/.local/share/man/man1/redeye.1` (then `man redeye`).
    Man,
    /// Print the audit log of writes (newest last); with `--profile NAME`,
    /// only that profile's.
    Audit {
        /// How many records (0: all), after the filters.
        #[arg(long, default_value_t = 50)]
        tail: usize,
        /// Only records since this time (`2026-11-26 02:15`, `02:15`, `3h ago`).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only records of this action (claim, dlq-requeue, ...).
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Write the frames between two times as one self-contained file
    /// (`redeye replay FILE` opens it on another machine), or JSON lines.
    Export {
        /// From this time (`2026-11-26 02:15`, `02:15`, `3h ago`); default: the start.
        #[arg(long, value_name = "WHEN")]
        from: Option<String>,
        /// Up to this time; default: the end.
        #[arg(long, value_name = "WHEN")]
        to: Option<String>,
        /// The file to write (e.g. incident.redeye).
        #[arg(
            short = 'o',
            long,
            value_name = "FILE",
            required_unless_present = "json"
        )]
        output: Option<PathBuf>,
        /// Print the snapshots as JSON lines instead.
        #[arg(long)]
        json: bool,
        /// A recording file or directory instead of the profile's.
        #[arg(long, value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// Where the profile's recording is, its span, frames and size.
    Info {
        /// A recording file or directory instead of the profile's.
        file: Option<PathBuf>,
    },
}
