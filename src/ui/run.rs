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

/// Where the event loop's tasks answer: each answer names its environment.
struct Tasks {
    write: tokio::sync::mpsc::UnboundedSender<(
        usize,
        std::result::Result<crate::ops::Outcome, String>,
    )>,
    sample: tokio::sync::mpsc::UnboundedSender<(usize, crate::model::insight::CommandSample)>,
    resolve: tokio::sync::mpsc::UnboundedSender<(
        usize,
        std::result::Result<crate::ui::write::Resolved, String>,
    )>,
}

/// One environment the loop runs: its profile, link, collector, dashboard
/// state and recorder. The dashboard runs one; the fleet several, all
/// polling whichever is on screen.
pub struct Env {
    pub profile: Profile,
    /// Writes share the dashboard's link (tunnel, Sentinel watch); after a
    /// profile switch, each write opens its own.
    link: Option<crate::connect::Link>,
    handle: collector::Handle,
    pub app: App,
    recorder: Option<crate::record::Recorder>,
    sent_needs: Needs,
}

impl Env {
    /// Start polling through `link`; a recorder when the profile records.
    pub fn start(link: crate::connect::Link, theme: Theme, profiles: &[String]) -> Result<Env> {
        let profile = link.profile().clone();
        let handle = collector::spawn_on(link.clone(), Limits::default());
        let mut app = new_app(&profile, theme, profiles);
        let recorder = start_recorder(&profile, &mut app)?;
        Ok(Env {
            profile,
            link: Some(link),
            handle,
            app,
            recorder,
            sent_needs: Needs::default(),
        })
    }

    /// An environment of the fleet (F returns from its dashboard); when it
    /// cannot start (its recorder), its link is closed and the reason given.
    fn in_fleet(
        link: crate::connect::Link,
        theme: Theme,
        profiles: &[String],
    ) -> std::result::Result<Env, String> {
        match Env::start(link.clone(), theme, profiles) {
            Ok(mut e) => {
                e.app.view.in_fleet = true;
                Ok(e)
            }
            Err(e) => {
                link.close();
                Err(e.to_string())
            }
        }
    }

    /// A message from this environment's collector.
    fn on_message(&mut self, msg: FromCollector) {
        let app = &mut self.app;
        match msg {
            FromCollector::Snapshot(s) => {
                app.on_snapshot(s.clone());
                // The recorder's thread encodes and writes; here only a hand-over.
                if let Some(r) = &self.recorder {
                    r.record(&s, &app.alerts, &app.log);
                    app.recording =
                        Some(match r.error.lock().expect("recorder error lock").clone() {
                            None => Ok(r.dir.display().to_string()),
                            Some(e) => Err(e),
                        });
                }
            }
            FromCollector::Failed {
                error,
                attempt,
                cause,
                ..
            } => app.on_failure(error, attempt, cause),
            FromCollector::Connected => {}
            FromCollector::Entry { stream, id, entry } => app.show_entry(&stream, &id, entry),
        }
    }

    /// Tell the collector what the open pane needs, when that changed; an
    /// environment off screen (behind the fleet's table) polls as the
    /// Overview does, whatever pane it was left on.
    fn sync_needs(&mut self, on_screen: bool) {
        let needs = if on_screen {
            self.app.needs()
        } else {
            Needs::default()
        };
        if needs != self.sent_needs {
            send(&self.handle, ToCollector::Needs(needs.clone()));
            self.sent_needs = needs;
        }
    }

    /// Carry out a key's effects; `true` when one of them quits.
    fn apply(
        &mut self,
        me: usize,
        effects: Vec<Effect>,
        tasks: &Tasks,
        switcher: Option<&Switcher>,
        profiles: &[String],
    ) -> bool {
        for e in effects {
            match e {
                Effect::Quit => return true,
                Effect::Refresh => send(&self.handle, ToCollector::Refresh),
                Effect::Pause(p) => send(&self.handle, ToCollector::Pause(p)),
                Effect::Interval(d) => send(&self.handle, ToCollector::Interval(d)),
                Effect::FetchEntry { stream, id } => {
                    send(&self.handle, ToCollector::Fetch { stream, id })
                }
                // Only a replay moves a cursor; App carries out the moves
                // between panes before its effects reach this loop.
                Effect::Replay(_) | Effect::Open(_) | Effect::OpenGroup { .. } => {}
                Effect::Sample(length) => {
                    // MONITOR on connections of its own, in a task: the
                    // dashboard keeps polling and taking keys meanwhile.
                    let p = self.profile.clone();
                    let l = self.link.clone();
                    let tx = tasks.sample.clone();
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
                        let _ = tx.send((me, sample));
                    });
                }
                Effect::Resolve(r) => {
                    // Paging XPENDING / XRANGE: in a task, the keys keep working.
                    let p = self.profile.clone();
                    let l = self.link.clone();
                    let tx = tasks.resolve.clone();
                    tokio::spawn(async move {
                        let dep = match &l {
                            Some(l) => l.connect().await,
                            None => crate::connect::connect(&p).await,
                        };
                        let r = match dep {
                            Ok(d) => crate::ui::write::resolve(&d, r).await,
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = tx.send((me, r));
                    });
                }
                Effect::Write(op) => {
                    // In a task of its own: the UI keeps drawing and taking keys.
                    let p = self.profile.clone();
                    let l = self.link.clone();
                    let tx = tasks.write.clone();
                    tokio::spawn(async move {
                        let result = match &l {
                            Some(l) => op.run_on(l).await,
                            None => op.run(&p).await,
                        }
                        .map_err(|e| e.to_string());
                        let _ = tx.send((me, result));
                    });
                }
                Effect::SwitchProfile(name) => match switcher.map(|s| s(&name)) {
                    Some(Ok(p)) => {
                        let theme = self.app.theme.clone();
                        self.handle = collector::spawn(p.clone(), Limits::default());
                        if let Some(l) = self.link.take() {
                            l.close();
                        }
                        self.app = new_app(&p, theme, profiles);
                        self.recorder = match start_recorder(&p, &mut self.app) {
                            Ok(r) => r,
                            Err(e) => {
                                self.app.recording = Some(Err(e.to_string()));
                                None
                            }
                        };
                        self.app.status = Some(format!("switched to profile '{}'", p.name));
                        self.sent_needs = Needs::default();
                        self.profile = p;
                    }
                    Some(Err(e)) => self.app.status = Some(e.to_string()),
                    None => {
                        self.app.status = Some(if self.app.view.in_fleet {
                            "in the fleet each environment keeps its profile: F returns to the fleet, Enter opens another".into()
                        } else {
                            "this session has no profile file to switch in".into()
                        })
                    }
                },
            }
        }
        false
    }

    /// Stop polling, then close the link (`-O exit` for a tunnel): the
    /// collector goes first, so it holds no part of the tunnel's state
    /// when it is stopped.
    pub fn close(self) {
        let Env { link, handle, .. } = self;
        drop(handle);
        if let Some(l) = link {
            l.close();
        }
    }
}

/// What the loop draws and sends keys to: one dashboard, or a fleet with
/// one of its environments open (or none: the fleet's table).
pub enum Screen {
    Dashboard,
    Fleet(crate::ui::fleet::Fleet),
}

impl Screen {
    /// The environment whose dashboard is on screen (none: the fleet's table).
    fn open(&self) -> Option<usize> {
        match self {
            Screen::Dashboard => Some(0),
            Screen::Fleet(f) => f.open,
        }
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    link: crate::connect::Link,
    theme: Theme,
    switcher: Option<Switcher>,
    profiles: Vec<String>,
) -> Result<()> {
    let mut envs = vec![Env::start(link, theme, &profiles)?];
    let r = run_loop(
        terminal,
        &mut envs,
        Screen::Dashboard,
        switcher,
        profiles,
        None,
    )
    .await;
    for e in envs {
        e.close();
    }
    r
}

/// The loop over terminal events, every environment's collector, the
/// tasks' answers and a render tick.
/// `late`: members of a fleet whose link opens after the start (their
/// tunnel retried in the background); each joins the table when it does.
pub async fn run_loop(
    terminal: &mut ratatui::DefaultTerminal,
    envs: &mut Vec<Env>,
    mut screen: Screen,
    switcher: Option<Switcher>,
    profiles: Vec<String>,
    mut late: Option<tokio::sync::mpsc::UnboundedReceiver<Late>>,
) -> Result<()> {
    let mut events = EventStream::new();
    let (write_tx, mut write_rx) = tokio::sync::mpsc::unbounded_channel();
    let (sample_tx, mut sample_rx) = tokio::sync::mpsc::unbounded_channel();
    let (resolve_tx, mut resolve_rx) = tokio::sync::mpsc::unbounded_channel();
    let tasks = Tasks {
        write: write_tx,
        sample: sample_tx,
        resolve: resolve_tx,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::runtime(format!("cannot watch SIGTERM: {e}")))?;
    // The SSH session dropping sends SIGHUP: restore the terminal as for SIGTERM.
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| Failure::runtime(format!("cannot watch SIGHUP: {e}")))?;
    // Which collector is asked first, turn about, so a busy environment
    // cannot starve the others.
    let mut first = 0usize;
    loop {
        let now = crate::time::now_ms();
        for e in envs.iter_mut() {
            e.app.now_ms = now;
        }
        let open = screen.open();
        terminal
            .draw(|f| match (&screen, open) {
                (_, Some(i)) => render::draw(f, &envs[i].app),
                (Screen::Fleet(fleet), None) => crate::ui::fleet::draw(f, fleet, &apps(envs)),
                (Screen::Dashboard, None) => {}
            })
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
        let n = envs.len();
        let collected = std::future::poll_fn(|cx| {
            for k in 0..n {
                let i = (first + k) % n;
                if let std::task::Poll::Ready(m) = envs[i].handle.rx.poll_recv(cx) {
                    return std::task::Poll::Ready((i, m));
                }
            }
            std::task::Poll::Pending
        });
        let joined = async {
            match &mut late {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // A key waiting beside a snapshot goes first: with thousands of
            // streams a snapshot's history and alerts take the loop a while.
            biased;
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => match (&mut screen, open) {
                    (Screen::Fleet(fleet), Some(i)) if crate::ui::fleet::is_back(&envs[i].app, k) => fleet.open = None,
                    (Screen::Fleet(fleet), None) => match crate::ui::fleet::on_key(fleet, &apps(envs), k) {
                        crate::ui::fleet::Outcome::Quit => return Ok(()),
                        crate::ui::fleet::Outcome::Stay => {}
                    },
                    (_, Some(i)) => effects.push((i, envs[i].app.handle_key(k))),
                    (Screen::Dashboard, None) => {}
                },
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Failure::runtime(format!("terminal input failed: {e}"))),
                None => return Ok(()),
            },
            (i, msg) = collected => {
                first = (i + 1) % n;
                match msg {
                    Some(m) => envs[i].on_message(m),
                    None => return Err(Failure::runtime(format!(
                        "the collector of {} stopped unexpectedly",
                        envs[i].profile.name
                    ))),
                }
            },
            Some(l) = joined => {
                if let Screen::Fleet(table) = &mut screen {
                    match l {
                        Late::Still(name, why) => {
                            if let Some(b) = table.broken.iter_mut().find(|b| b.0 == name) {
                                b.1 = why;
                            }
                        }
                        Late::Up(link) => {
                            let name = link.profile().name.clone();
                            let theme = envs[0].app.theme.clone();
                            match Env::in_fleet(link, theme, &profiles) {
                                Ok(e) => {
                                    table.broken.retain(|b| b.0 != name);
                                    envs.push(e);
                                }
                                Err(err) => {
                                    if let Some(b) = table.broken.iter_mut().find(|b| b.0 == name) {
                                        b.1 = err;
                                    }
                                }
                            }
                        }
                    }
                }
            },
            Some((i, sample)) = sample_rx.recv() => envs[i].app.on_sample(sample),
            Some((i, resolved)) = resolve_rx.recv() => envs[i].app.on_resolved(resolved),
            Some((i, result)) = write_rx.recv() => {
                envs[i].app.on_write_done(result);
                send(&envs[i].handle, ToCollector::Refresh);
            }
            _ = tick.tick() => {}
            _ = ctrl_c() => return Ok(()),
            _ = sigterm => return Ok(()),
            _ = sighup => return Ok(()),
        }
        for (i, effects) in effects {
            if envs[i].apply(i, effects, &tasks, switcher.as_ref(), &profiles) {
                return Ok(());
            }
        }
        let open = screen.open();
        for (i, e) in envs.iter_mut().enumerate() {
            e.sync_needs(open == Some(i));
        }
    }
}

/// The environments' dashboards, for the fleet's table.
fn apps(envs: &[Env]) -> Vec<&App> {
    envs.iter().map(|e| &e.app).collect()
}

/// Open every member's link in parallel, in BatchMode (no prompt); those
/// whose tunnel wanted a passphrase, a password or a host-key answer are
/// then opened one after another with ssh allowed to ask, before the
/// terminal is taken. The rest that failed are rows saying why.
async fn open_links(
    members: Vec<crate::config::Member>,
) -> (
    Vec<crate::connect::Link>,
    Vec<(String, String)>,
    Vec<Profile>,
) {
    let tasks: Vec<_> = members
        .into_iter()
        .map(|m| {
            tokio::spawn(async move {
                match m.profile {
                    Err(e) => (m.name, None, Err(e)),
                    Ok(p) => {
                        let r = crate::connect::Link::open_with(&p, false).await;
                        (m.name, Some(p), r)
                    }
                }
            })
        })
        .collect();
    let mut links = Vec::new();
    let mut broken = Vec::new();
    let mut retry = Vec::new();
    let interactive = crate::connect::interactive();
    for t in tasks {
        let (name, profile, r) = t.await.expect("a link task panicked");
        match (r, profile) {
            (Ok(l), _) => links.push(l),
            (Err(e), Some(p)) if interactive && p.ssh.is_some() && wants_an_answer(&e) => {
                eprintln!(
                    "redeye: {name}: the SSH tunnel needs an answer; opening it with ssh allowed to ask ..."
                );
                match crate::connect::Link::open_with(&p, true).await {
                    Ok(l) => links.push(l),
                    Err(e) => broken.push((name, e.to_string())),
                }
            }
            // A tunnel that could not open (the bastion down, say) is
            // tried again in the background, in BatchMode.
            (Err(e), Some(p)) => {
                broken.push((name, e.to_string()));
                retry.push(p);
            }
            (Err(e), None) => broken.push((name, e.to_string())),
        }
    }
    (links, broken, retry)
}

/// How often a fleet member whose tunnel could not open is tried again.
const RETRY_LINK: Duration = Duration::from_secs(5);

/// What a retried member's task reports: its link, or why not yet.
pub enum Late {
    Up(crate::connect::Link),
    Still(String, String),
}

/// Try `p`'s link again every `RETRY_LINK` (BatchMode) until it opens or
/// the fleet is gone.
fn retry_link(p: Profile, tx: tokio::sync::mpsc::UnboundedSender<Late>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RETRY_LINK).await;
            let msg = match crate::connect::Link::open_with(&p, false).await {
                Ok(l) => Late::Up(l),
                Err(e) => Late::Still(p.name.clone(), e.to_string()),
            };
            let up = matches!(msg, Late::Up(_));
            if tx.send(msg).is_err() || up {
                return;
            }
        }
    });
}

/// A BatchMode ssh refused for want of a passphrase, a password or a
/// host-key answer (what an interactive retry can give it).
fn wants_an_answer(e: &Failure) -> bool {
    let m = e.to_string();
    [
        "Permission denied",
        "Host key verification failed",
        "passphrase",
        "password",
    ]
    .iter()
    .any(|s| m.contains(s))
}

/// `redeye fleet`: start every environment, take the terminal, run the
/// loop with the fleet's table (`ui::fleet`) on screen.
pub async fn fleet(members: Vec<crate::config::Member>, cli_theme: Option<&str>) -> Result<()> {
    let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
    if members
        .iter()
        .any(|m| m.profile.as_ref().is_ok_and(|p| p.ssh.is_some()))
    {
        eprintln!("redeye: opening the SSH tunnels ...");
    }
    let first_profile: Option<Profile> = members
        .iter()
        .find_map(|m| m.profile.as_ref().ok().cloned());
    let theme = match &first_profile {
        Some(p) => theme_for(cli_theme, p)?,
        None => Theme::monochrome(),
    };
    let (links, broken, retry) = open_links(members).await;
    let (late_tx, late_rx) = tokio::sync::mpsc::unbounded_channel();
    for p in retry {
        retry_link(p, late_tx.clone());
    }
    let mut envs = Vec::new();
    let mut broken = broken;
    for l in links {
        let name = l.profile().name.clone();
        match Env::in_fleet(l, theme.clone(), &names) {
            Ok(e) => envs.push(e),
            Err(why) => broken.push((name, why)),
        }
    }
    if envs.is_empty() {
        let why: Vec<String> = broken.iter().map(|(n, w)| format!("{n}: {w}")).collect();
        return Err(Failure::runtime(format!(
            "no environment of the fleet could be started ({})",
            why.join("; ")
        )));
    }
    let mut terminal = open_terminal()?;
    let table = crate::ui::fleet::Fleet {
        broken,
        ..Default::default()
    };
    let result = run_loop(
        &mut terminal,
        &mut envs,
        Screen::Fleet(table),
        None,
        names,
        Some(late_rx),
    )
    .await;
    ratatui::restore();
    for e in envs {
        e.close();
    }
    result
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
