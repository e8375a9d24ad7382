//! Dispatch of the CLI commands.

use crate::cli::{Cli, Command};
use crate::config::{self, Profile};
use crate::error::{Failure, Result};
use crate::{collect, connect, report};

/// Pick the profile: `--profile` / `REDEYE_PROFILE`, else the file's
/// `default_profile`, else zero-config mode from `REDIS_*` variables.
/// Warnings (unknown keys, skip_verify) go to stderr.
pub fn select_profile(cli: &Cli) -> Result<Profile> {
    let loaded = config::load(cli.config.as_deref())?;
    if let Some(l) = &loaded {
        for w in &l.warnings {
            eprintln!("{w}");
        }
    }
    let lookup = &config::interp::env_lookup;
    let name = cli
        .profile
        .clone()
        .or_else(|| loaded.as_ref().and_then(|l| l.file.default_profile.clone()));
    let profile = match (name, &loaded) {
        (Some(name), Some(l)) => config::resolve(l, &name, lookup)?,
        (Some(name), None) => {
            let path = config::default_config_path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the default location".into());
            return Err(Failure::config(format!(
                "profile '{name}' was asked for, but there is no config file at {path}; create one (see assets/config.example.yaml) or pass --config PATH"
            )));
        }
        (None, _) => config::zero_config(lookup)?,
    };
    for w in connect::warnings(&profile) {
        eprintln!("{w}");
    }
    // What redeye writes (the audit log, the profile's recording) should be
    // its user's only: say so once when others can read it.
    let audit = crate::ops::audit::path();
    let rec = profile.record.dir_for(&profile.name);
    let mine: Vec<(&str, &std::path::Path)> = [
        ("the audit log", audit.as_deref()),
        ("the recording", rec.as_deref()),
    ]
    .into_iter()
    .filter_map(|(what, p)| Some((what, p?)))
    .collect();
    for (what, p) in mine {
        for w in crate::private::warnings(what, &[p]) {
            eprintln!("{w}");
        }
    }
    let mut profile = profile;
    if cli.read_only {
        profile.read_only = true;
    }
    Ok(profile)
}

pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Some(Command::Profiles { json }) => {
            let Some(loaded) = config::load(cli.config.as_deref())? else {
                let path = config::default_config_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                return Err(Failure::config(format!(
                    "there is no config file at {path}; create one (see assets/config.example.yaml) or pass --config PATH"
                )));
            };
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            let list = config::summarize(&loaded, &config::interp::env_lookup);
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("summary serialises")
                );
            } else {
                print!("{}", report::profiles_text(&list));
            }
            Ok(())
        }
        Some(Command::Snapshot {
            json,
            discover,
            keys,
            sample,
            fleet,
        }) => {
            if let Some(names) = fleet {
                if *discover || keys.is_some() {
                    return Err(Failure::config(
                        "--fleet polls each environment as the dashboard does; --discover and --keys work on one profile: drop them, or name the profile with --profile",
                    ));
                }
                let envs = crate::fleet::snapshots(
                    crate::fleet::members(cli.config.as_deref(), names, cli.read_only, cli.record)?,
                    *sample,
                )
                .await;
                if *json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&envs).expect("fleet serialises")
                    );
                } else {
                    for e in &envs {
                        match (&e.snapshot, &e.error) {
                            (Some(s), _) => print!(
                                "== {} ({})\n{}",
                                e.profile,
                                e.environment.as_deref().unwrap_or("?"),
                                report::snapshot_text(s)
                            ),
                            (None, err) => println!(
                                "== {}: {} — {}\n",
                                e.profile,
                                e.state,
                                err.as_deref().unwrap_or("")
                            ),
                        }
                    }
                }
                return Ok(());
            }
            let profile = select_profile(&cli)?;
            let conn = connect::connect(&profile).await?;
            let mut req = collect::PollRequest::snapshot(&profile);
            if *discover {
                for name in collect::discover_all(&profile, &conn, 1000).await? {
                    req.streams.push(crate::config::StreamSpec {
                        name,
                        groups: Vec::new(),
                    });
                }
            }
            let mut snap = collect::sampled(&profile, &conn, &mut req, *sample).await?;
            if let Some(limit) = keys {
                let dbsize = snap
                    .keyspace
                    .iter()
                    .filter(|d| i64::from(d.db) == profile.db)
                    .map(|d| d.keys)
                    .sum();
                snap.keys = Some(collect::keys::walk_all(&profile, &conn, *limit, dbsize).await?);
            }
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&snap).expect("snapshot serialises")
                );
            } else {
                print!("{}", report::snapshot_text(&snap));
            }
            Ok(())
        }
        Some(Command::Bench(args)) => crate::bench::run(args).await,
        Some(Command::Check(args)) => {
            // --timeout counts from here: loading the profile (a
            // password_command) is part of the run.
            let started = std::time::Instant::now();
            if let Some(names) = &args.fleet {
                // A fleet that cannot be listed is a usage error (UNKNOWN).
                let members = match crate::fleet::members(
                    cli.config.as_deref(),
                    names,
                    cli.read_only,
                    cli.record,
                ) {
                    Ok(m) => m,
                    Err(e) => {
                        println!("UNKNOWN - {}", crate::sanitize::text(&e.to_string()));
                        return Err(Failure::Status(3));
                    }
                };
                return match crate::fleet::check(members, args).await {
                    0 => Ok(()),
                    code => Err(Failure::Status(code)),
                };
            }
            let profile = select_profile(&cli);
            match crate::check::run(profile, args, started).await {
                0 => Ok(()),
                code => Err(Failure::Status(code)),
            }
        }
        Some(Command::Write(cmd)) => crate::opscli::run(&select_profile(&cli)?, cmd).await,
        Some(Command::Audit {
            tail,
            since,
            action,
            json,
        }) => {
            let since = when(since.as_deref(), crate::time::now_ms(), "--since")?;
            crate::opscli::audit(
                *tail,
                since,
                cli.profile.as_deref(),
                action.as_deref(),
                *json,
            )
        }
        Some(Command::Completions { shell }) => {
            completions(*shell, &cli);
            Ok(())
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                // `redeye man | head`: the reader went away; end quietly.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| Failure::runtime(format!("cannot write the man page: {e}"))),
            }
        }
        Some(Command::Demo(args)) => crate::demo::run(args, cli.theme.as_deref(), cli.record).await,
        Some(Command::Replay { file, time, json }) => {
            replay(&cli, file.as_deref(), time.as_deref(), *json).await
        }
        Some(Command::Record(cmd)) => record(&cli, cmd),
        Some(Command::Fleet { names }) => {
            crate::ui::run::fleet(
                crate::fleet::members(cli.config.as_deref(), names, cli.read_only, cli.record)?,
                cli.theme.as_deref(),
            )
            .await
        }
        None => {
            let mut profile = select_profile(&cli)?;
            profile.record.enabled |= cli.record;
            let theme = crate::ui::run::theme_for(cli.theme.as_deref(), &profile)?;
            let config = cli.config.clone();
            let names = config::load(config.as_deref())
                .ok()
                .flatten()
                .map(|l| l.file.profiles.keys().cloned().collect())
                .unwrap_or_default();
            let switcher: crate::ui::run::Switcher = Box::new(move |name: &str| {
                let loaded = config::load(config.as_deref())?.ok_or_else(|| {
                    Failure::config("there is no profile file to switch profiles in")
                })?;
                config::resolve(&loaded, name, &config::interp::env_lookup)
            });
            crate::ui::run::run(profile, theme, Some(switcher), names).await
        }
    }
}

/// The recording to read: a file or directory given, else the profile's.
fn recording_path(
    cli: &Cli,
    given: Option<&std::path::Path>,
) -> Result<(std::path::PathBuf, Option<Profile>)> {
    if let Some(p) = given {
        return Ok((p.to_path_buf(), None));
    }
    let profile = select_profile(cli)?;
    let dir = profile.record.dir_for(&profile.name).ok_or_else(|| {
        Failure::config("no data directory to find the recording in (HOME unset?); name the file")
    })?;
    Ok((dir, Some(profile)))
}

fn when(s: Option<&str>, now: u64, what: &str) -> Result<Option<u64>> {
    s.map(|t| {
        crate::time::parse_when(t, now).ok_or_else(|| {
            Failure::config(format!(
                "{what} `{t}` is not a time: write 2026-11-26 02:15, 02:15 (today) or 40m ago"
            ))
        })
    })
    .transpose()
}

async fn replay(
    cli: &Cli,
    file: Option<&std::path::Path>,
    time: Option<&str>,
    json: bool,
) -> Result<()> {
    let (path, profile) = recording_path(cli, file)?;
    let rec = crate::record::Recording::open(&path)?;
    let start = when(time, crate::time::now_ms(), "--time")?;
    if json {
        // From the frame on screen at --time.
        return json_lines(&rec, start.map(|t| rec.at(t)).unwrap_or(0), u64::MAX);
    }
    // The first frame that reads (a damaged one is skipped).
    let first = match (0..rec.len()).find_map(|i| rec.frame(i).ok()) {
        Some(f) => f.snapshot,
        None => rec.frame(0)?.snapshot,
    };
    let info = match &profile {
        Some(p) => crate::ui::app::ProfileInfo::of(p),
        None => crate::ui::app::ProfileInfo {
            elasticache: false,
            name: first.profile.clone(),
            environment: crate::config::Environment::from_name(&first.profile),
            endpoint: first.endpoint.clone(),
            read_only: true,
            claim_min_idle: std::time::Duration::from_secs(60),
            max_retries: 3,
            dlq_ttl: std::time::Duration::from_secs(7 * 86_400),
            mode: first.deployment.mode,
            profiles: Vec::new(),
        },
    };
    let theme = match &profile {
        Some(p) => crate::ui::run::theme_for(cli.theme.as_deref(), p)?,
        None => crate::ui::theme::Theme::load(cli.theme.as_deref().unwrap_or("dark"))?,
    };
    crate::ui::replay::run(rec, start, info, theme).await
}

/// The snapshots of frames `from..` taken up to `to_ms`, one JSON line each;
/// damaged frames are skipped and counted once at the end (stderr).
fn json_lines(rec: &crate::record::Recording, from: usize, to_ms: u64) -> Result<()> {
    let mut skipped = rec.damaged();
    for i in (from..rec.len()).take_while(|i| rec.time(*i) <= to_ms) {
        let Ok(frame) = rec.frame(i) else {
            skipped += 1;
            continue;
        };
        println!(
            "{}",
            serde_json::to_string(&frame.snapshot).expect("snapshot serialises")
        );
    }
    if skipped > 0 {
        eprintln!("redeye: skipped {skipped} damaged frames");
    }
    Ok(())
}

fn record(cli: &Cli, cmd: &crate::cli::RecordCommand) -> Result<()> {
    use crate::cli::RecordCommand;
    match cmd {
        RecordCommand::Info { file } => {
            let (path, _) = recording_path(cli, file.as_deref())?;
            let rec = crate::record::Recording::open(&path)?;
            let size = crate::record::size(&path);
            println!("recording  {}", path.display());
            println!(
                "span       {} → {} ({})",
                crate::time::clock(rec.first_ms(), true),
                crate::time::clock(rec.last_ms(), true),
                crate::format::age(rec.last_ms() - rec.first_ms())
            );
            println!(
                "frames     {} · {} on disk · {} per frame",
                crate::format::count(rec.len() as u64),
                crate::format::bytes(size),
                crate::format::bytes(size / rec.len().max(1) as u64)
            );
            if rec.damaged() > 0 {
                println!("damaged    {} stretches skipped", rec.damaged());
            }
            for (f, n) in rec.files() {
                println!(
                    "file       {} ({} frames)",
                    f.display(),
                    crate::format::count(n as u64)
                );
            }
            Ok(())
        }
        RecordCommand::Export {
            from,
            to,
            output,
            json,
            input,
        } => {
            let (path, _) = recording_path(cli, input.as_deref())?;
            let rec = crate::record::Recording::open(&path)?;
            let now = crate::time::now_ms();
            let from = when(from.as_deref(), now, "--from")?.unwrap_or(0);
            let to = when(to.as_deref(), now, "--to")?.unwrap_or(u64::MAX);
            if from > to {
                return Err(Failure::config("--from is after --to; swap them"));
            }
            if *json {
                return json_lines(&rec, rec.first_from(from), to);
            }
            let out = output.as_ref().expect("clap requires -o without --json");
            let (n, left_out) = rec.export(from, to, out)?;
            let skipped = left_out + rec.damaged();
            if skipped > 0 {
                eprintln!("redeye: skipped {skipped} damaged frames");
            }
            if n == 0 {
                let _ = std::fs::remove_file(out);
                return Err(Failure::config(format!(
                    "the recording has no frame between those times (it spans {} to {})",
                    crate::time::clock(rec.first_ms(), true),
                    crate::time::clock(rec.last_ms(), true)
                )));
            }
            eprintln!("wrote {n} frames to {}", out.display());
            Ok(())
        }
    }
}

/// A completion script, with the config file's profile names offered for
/// `--profile` (as they are when it is generated).
fn completions(shell: clap_complete::Shell, cli: &Cli) {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let names: Vec<String> = config::load(cli.config.as_deref())
        .ok()
        .flatten()
        .map(|l| l.file.profiles.keys().cloned().collect())
        .unwrap_or_default();
    if !names.is_empty() {
        cmd = cmd.mut_arg("profile", |a| {
            a.value_parser(clap::builder::PossibleValuesParser::new(
                names
                    .iter()
                    .map(|n| clap::builder::PossibleValue::new(n.clone())),
            ))
        });
    }
    clap_complete::generate(shell, &mut cmd, "redeye", &mut std::io::stdout());
}
