//! The event loop: selects over terminal events, collector messages and a
//! render tick. Rendering never awaits Redis; the collector task does.

use crate::collect::collector::{self, FromCollector, Limits, Needs, ToCollector};
use crate::config::Profile;
use crate::error::{Failure, Result};
use crate::ui::app::{App, Effect};
use crate::ui::render;
use crate::ui::theme::Theme;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::time::Duration;

/// Resolves `:profile NAME` into a profile.
pub type Switcher = Box<dyn Fn(&str) -> Result<Profile> + Send>;

/// The theme for a profile: `--theme`, else the profile's `theme:`, else dark; NO_COLOR wins.
pub fn theme_for(cli_theme: Option<&str>, profile: &Profile) -> Result<Theme> {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return Ok(Theme::monochrome());
    }
    Theme::load(cli_theme.or(profile.theme.as_deref()).unwrap_or("dark"))
}

/// The dashboard on a profile. `profiles`: the profile file's names, which
/// `:profile` completes.
pub async fn run(
    profile: Profile,
    theme: Theme,
    switcher: Option<Switcher>,
    profiles: Vec<String>,
) -> Result<()> {
    // Before the terminal is taken: ssh may ask for a passphrase, an OTP or
    // a key touch here, in the normal terminal.
    if profile.ssh.is_some() {
        eprintln!(
            "redeye: opening the SSH tunnel via {} ...",
            profile.ssh.as_ref().map(|s| s.host.as_str()).unwrap_or("")
        );
    }
    let link = crate::connect::Link::open(&profile).await?;
    let mut terminal = open_terminal()?;
    let result = event_loop(&mut terminal, link.clone(), theme, switcher, profiles).await;
    ratatui::restore();
    link.close();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    link: crate::connect::Link,
    theme: Theme,
    switcher: Option<Switcher>,
    profiles: Vec<String>,
) -> Result<()> {
    let mut events = EventStream::new();
    let mut profile = link.profile().clone();
    // Writes share the dashboard's link (tunnel, Sentinel watch); after a
    // profile switch, each write opens its own.
    let mut link = Some(link);
    let mut handle = collector::spawn_on(link.clone().expect("link"), Limits::default());
    let mut app = new_app(&profile, theme, &profiles);
    let mut recorder = start_recorder(&profile, &mut app)?;
    let (write_tx, mut write_rx) = tokio::sync::mpsc::unbounded_channel();
    let (sample_tx, mut sample_rx) = tokio::sync::mpsc::unbounded_channel();
    let (resolve_tx, mut resolve_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut sent_needs = Needs::default();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::runtime(format!("cannot watch SIGTERM: {e}")))?;
    // The SSH session dropping sends SIGHUP: restore the terminal as for SIGTERM.
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| Failure::runtime(format!("cannot watch SIGHUP: {e}")))?;
    loop {
        app.now_ms = crate::time::now_ms();
        terminal
            .draw(|f| render::draw(f, &app))
            .map_err(|e| Failure::runtime(format!("cannot draw to the terminal: {e}")))?;
        let mut effects = Vec::new();
        #[cfg(unix)]
        let sigterm = term.recv();
        #[cfg(not(unix))]
        let sigterm = std::future::pending::<Option<()>>();
        #[cfg(unix)]
        let sighup = hup.recv();
        #[cfg(not(unix))]
        let sighup = std::future::pending::<Option<()>>();
        tokio::select! {
            // A key waiting beside a snapshot goes first: with thousands of
            // streams a snapshot's history and alerts take the loop a while.
            biased;
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => effects = app.handle_key(k),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Failure::runtime(format!("terminal input failed: {e}"))),
                None => return Ok(()),
            },
            msg = handle.rx.recv() => match msg {
                Some(FromCollector::Snapshot(s)) => {
                    app.on_snapshot(s.clone());
                    // The recorder's thread encodes and writes; here only a hand-over.
                    if let Some(r) = &recorder {
                        r.record(&s, &app.alerts, &app.log);
                        app.recording = Some(match r.error.lock().expect("recorder error lock").clone() {
                            None => Ok(r.dir.display().to_string()),
                            Some(e) => Err(e),
                        });
                    }
                }
                Some(FromCollector::Failed { error, attempt, cause, .. }) => {
                    app.on_failure(error, attempt, cause)
                }
                Some(FromCollector::Connected) => {}
                Some(FromCollector::Entry { stream, id, entry }) => app.show_entry(&stream, &id, entry),
                None => return Err(Failure::runtime("the collector stopped unexpectedly")),
            },
            Some(sample) = sample_rx.recv() => app.on_sample(sample),
            Some(resolved) = resolve_rx.recv() => app.on_resolved(resolved),
            Some(result) = write_rx.recv() => {
                app.on_write_done(result);
                send(&handle, ToCollector::Refresh);
            }
            _ = tick.tick() => {}
            _ = ctrl_c() => return Ok(()),
            _ = sigterm => return Ok(()),
            _ = sighup => return Ok(()),
        }
        for e in effects {
            match e {
                Effect::Quit => return Ok(()),
                Effect::Refresh => send(&handle, ToCollector::Refresh),
                Effect::Pause(p) => send(&handle, ToCollector::Pause(p)),
                Effect::Interval(d) => send(&handle, ToCollector::Interval(d)),
                Effect::FetchEntry { stream, id } => {
                    send(&handle, ToCollector::Fetch { stream, id })
                }
                // Only a replay moves a cursor; App carries out the moves
                // between panes before its effects reach this loop.
                Effect::Replay(_) | Effect::Open(_) | Effect::OpenGroup { .. } => {}
                Effect::Sample(length) => {
                    // MONITOR on connections of its own, in a task: the
                    // dashboard keeps polling and taking keys meanwhile.
                    let p = profile.clone();
                    let l = link.clone();
                    let tx = sample_tx.clone();
                    tokio::spawn(async move {
                        let dep = match &l {
                            Some(l) => l.connect().await,
                            None => crate::connect::connect(&p).await,
                        };
                        let classifier = crate::collect::keys::Classifier::for_profile(&p);
                        let sample = match dep {
                            Ok(d) => crate::collect::sampler::sample(&d, &classifier, length).await,
                            Err(e) => crate::model::insight::CommandSample {
                                error: Some(e.to_string()),
                                ..Default::default()
                            },
                        };
                        let _ = tx.send(sample);
                    });
                }
                Effect::Resolve(r) => {
                    // Paging XPENDING / XRANGE: in a task, the keys keep working.
                    let p = profile.clone();
                    let l = link.clone();
                    let tx = resolve_tx.clone();
                    tokio::spawn(async move {
                        let dep = match &l {
                            Some(l) => l.connect().await,
                            None => crate::connect::connect(&p).await,
                        };
                        let r = match dep {
                            Ok(d) => crate::ui::write::resolve(&d, r).await,
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = tx.send(r);
                    });
                }
                Effect::Write(op) => {
                    // In a task of its own: the UI keeps drawing and taking keys.
                    let p = profile.clone();
                    let l = link.clone();
                    let tx = write_tx.clone();
                    tokio::spawn(async move {
                        let result = match &l {
                            Some(l) => op.run_on(l).await,
                            None => op.run(&p).await,
                        }
                        .map_err(|e| e.to_string());
                        let _ = tx.send(result);
                    });
                }
                Effect::SwitchProfile(name) => match switcher.as_ref().map(|s| s(&name)) {
                    Some(Ok(p)) => {
                        let theme = app.theme.clone();
                        handle = collector::spawn(p.clone(), Limits::default());
                        link = None;
                        app = new_app(&p, theme, &profiles);
                        recorder = match start_recorder(&p, &mut app) {
                            Ok(r) => r,
                            Err(e) => {
                                app.recording = Some(Err(e.to_string()));
                                None
                            }
                        };
                        app.status = Some(format!("switched to profile '{}'", p.name));
                        sent_needs = Needs::default();
                        profile = p;
                    }
                    Some(Err(e)) => app.status = Some(e.to_string()),
                    None => {
                        app.status = Some("this session has no profile file to switch in".into())
                    }
                },
            }
        }
        let needs = app.needs();
        if needs != sent_needs {
            send(&handle, ToCollector::Needs(needs.clone()));
            sent_needs = needs;
        }
    }
}

/// Take the terminal (alternate screen, raw mode); `ratatui::restore` gives it back.
pub fn open_terminal() -> Result<ratatui::DefaultTerminal> {
    ratatui::try_init().map_err(|e| {
        Failure::runtime(format!(
            "cannot open the terminal ({e}); run redeye in an interactive terminal"
        ))
    })
}

/// The profile's recorder, when it records (`--record` or `record:`).
fn start_recorder(p: &Profile, app: &mut App) -> Result<Option<crate::record::Recorder>> {
    if !p.record.enabled {
        return Ok(None);
    }
    let dir = p.record.dir_for(&p.name).ok_or_else(|| {
        Failure::runtime(
            "no data directory to record into (HOME unset?); set record.dir in the profile",
        )
    })?;
    let r =
        crate::record::Recorder::start(dir, p.record.keep, p.record.max_bytes, p.record.payloads)?;
    app.recording = Some(Ok(r.dir.display().to_string()));
    Ok(Some(r))
}

fn new_app(p: &Profile, theme: Theme, profiles: &[String]) -> App {
    let mut app = App::for_profile(p, theme);
    app.view.profile.profiles = profiles.to_vec();
    if let Some(c) = &p.claim_consumer {
        app.claim_consumer = crate::model::Name::parse(c);
    }
    app
}

async fn ctrl_c() {
    // In raw mode Ctrl-C arrives as a key; this covers a signal sent from outside.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn send(h: &collector::Handle, cmd: ToCollector) {
    let _ = h.tx.send(cmd);
}
