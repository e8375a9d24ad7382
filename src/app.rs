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
        }) => {
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
            let mut snap = collect::snapshot_with(&profile, &conn, &mut req).await?;
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
        Some(Command::Claim { target, to, flags }) => {
            crate::opscli::claim(&select_profile(&cli)?, target, to.as_ref(), flags).await
        }
        Some(Command::Requeue { target, flags }) => {
            crate::opscli::requeue(&select_profile(&cli)?, target, flags).await
        }
        Some(Command::DeadLetter {
            target,
            dlq,
            reason,
            min_deliveries,
            flags,
        }) => {
            crate::opscli::dead_letter(
                &select_profile(&cli)?,
                target,
                dlq.as_ref(),
                reason,
                *min_deliveries,
                flags,
            )
            .await
        }
        Some(Command::Ack { target, flags }) => {
            crate::opscli::ack(&select_profile(&cli)?, target, flags).await
        }
        Some(Command::Dlq(cmd)) => crate::opscli::dlq(&select_profile(&cli)?, cmd).await,
        Some(Command::Consumers(cmd)) => {
            crate::opscli::consumers(&select_profile(&cli)?, cmd).await
        }
        Some(Command::Audit { tail, json }) => crate::opscli::audit(*tail, *json),
        Some(Command::Demo(args)) => crate::demo::run(args, cli.theme.as_deref()).await,
        None => {
            let profile = select_profile(&cli)?;
            let theme = crate::ui::run::theme_for(cli.theme.as_deref(), &profile)?;
            let config = cli.config.clone();
            let switcher: crate::ui::run::Switcher = Box::new(move |name: &str| {
                let loaded = config::load(config.as_deref())?.ok_or_else(|| {
                    Failure::config("there is no profile file to switch profiles in")
                })?;
                config::resolve(&loaded, name, &config::interp::env_lookup)
            });
            crate::ui::run::run(profile, theme, Some(switcher)).await
        }
    }
}
