//! Sentinel, written in redeye: redis-rs's sentinel client finds the master
//! only at connect time and dials the announced address directly, which
//! fails behind SSH. Here every sentinel is asked in parallel
//! (`SENTINEL GET-MASTER-ADDR-BY-NAME`, `MASTER`, `REPLICAS`: one pipeline
//! each), the master is the one a majority of those answering name, and it is
//! confirmed with `ROLE` before it is polled. A subscription on one sentinel
//! (`+switch-master`, `+sdown`, `+odown`, `-odown`, ...) follows failovers at
//! once; a survey every two seconds is the fallback. Sentinels and forwards
//! are reached through the link, so through the tunnel when there is one.

use super::{Link, Login, Node};
use crate::config::{Endpoint, Target};
use crate::error::{Failure, Result};
use crate::model::{DeploymentInfo, Failover, ReplicaView, SentinelEvent, SentinelView};
use redis::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The channels followed on one sentinel.
const CHANNELS: &[&str] = &[
    "+switch-master",
    "+sdown",
    "-sdown",
    "+odown",
    "-odown",
    "+failover-state-select-slave",
    "+failover-end",
    "-failover-abort-no-good-slave",
];
/// The fallback survey's period.
const SURVEY_EVERY: Duration = Duration::from_secs(2);
/// Events kept for the header and the pane.
const EVENTS_KEPT: usize = 50;

/// What one sentinel said about the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The master it names, and its config epoch for that master (higher:
    /// newer; a sentinel that has not heard of a failover yet has a lower one).
    Master(Endpoint, u64),
    /// It does not know the name (nil).
    Unknown,
    /// Unreachable, refused the login, or an error; the sentence says which.
    Failed(String),
}

#[derive(Default)]
struct State {
    master: Option<Endpoint>,
    since_ms: Option<u64>,
    views: Vec<SentinelView>,
    replicas: Vec<ReplicaView>,
    quorum: Option<u64>,
    failovers: Vec<Failover>,
    events: Vec<SentinelEvent>,
    /// When the last survey that named a master ended.
    surveyed: Option<std::time::Instant>,
}

struct Shared {
    master_name: String,
    sentinels: Vec<Endpoint>,
    state: Mutex<State>,
    master_tx: tokio::sync::watch::Sender<Option<Endpoint>>,
    /// Open connections to sentinels, by address.
    conns: tokio::sync::Mutex<HashMap<String, Node>>,
}

/// Follows the master of one Sentinel-managed deployment for the life of a
/// [`Link`].
pub struct Watch {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watch {
    /// Find the master (or fail with one sentence), then follow it.
    pub(super) async fn start(link: Link) -> Result<Watch> {
        let Target::Sentinel {
            master_name,
            addresses,
            ..
        } = &link.profile().target
        else {
            return Err(Failure::runtime("not a Sentinel profile"));
        };
        let (tx, _) = tokio::sync::watch::channel(None);
        let shared = Arc::new(Shared {
            master_name: master_name.clone(),
            sentinels: addresses.clone(),
            state: Mutex::new(State::default()),
            master_tx: tx,
            conns: tokio::sync::Mutex::new(HashMap::new()),
        });
        survey(&link, &shared).await?;
        let task = tokio::spawn(follow(Arc::downgrade(&link.0), shared.clone()));
        Ok(Watch { shared, task })
    }

    /// The master as the sentinels name it now: asked afresh, unless the
    /// last survey is under a second old (the one `start` just made).
    pub(super) async fn find_master(&self, link: &Link) -> Result<Endpoint> {
        let fresh = {
            let st = self.shared.state.lock().expect("state");
            st.surveyed
                .filter(|t| t.elapsed() < Duration::from_secs(1))
                .and(st.master.clone())
        };
        match fresh {
            Some(m) => Ok(m),
            None => survey(link, &self.shared).await,
        }
    }

    /// The master as last known.
    pub fn master(&self) -> Option<Endpoint> {
        self.shared.state.lock().expect("state").master.clone()
    }

    /// Resolves when the master changes.
    pub async fn changed(&self) {
        let mut rx = self.shared.master_tx.subscribe();
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Every address worth a forward: the sentinels and the master.
    pub fn addresses(&self) -> Vec<Endpoint> {
        let mut v = self.shared.sentinels.clone();
        v.extend(self.master());
        v
    }

    pub fn fill(&self, info: &mut DeploymentInfo) {
        let st = self.shared.state.lock().expect("state");
        info.master_name = Some(self.shared.master_name.clone());
        info.master_since_ms = st.since_ms;
        info.replicas = st.replicas.clone();
        info.sentinels = st.views.clone();
        info.quorum = st.quorum;
        let reachable = st.views.iter().filter(|v| v.reachable).count() as u64;
        info.quorum_ok = st
            .quorum
            .map(|q| reachable >= q && reachable * 2 > st.views.len() as u64);
        info.failovers = Some(st.failovers.clone());
        info.events = st.events.clone();
    }
}

fn set_master(shared: &Shared, new: &Endpoint) {
    let mut st = shared.state.lock().expect("state");
    if st.master.as_ref() == Some(new) {
        return;
    }
    let now = crate::time::now_ms();
    if let Some(old) = st.master.take() {
        st.failovers.push(Failover {
            at_ms: now,
            from: old.to_string(),
            to: new.to_string(),
        });
    }
    st.master = Some(new.clone());
    st.since_ms = Some(now);
    for v in &mut st.views {
        v.agrees = v.master.as_deref() == Some(&new.to_string());
    }
    drop(st);
    shared.master_tx.send_replace(Some(new.clone()));
}

fn event(shared: &Shared, event: &str, detail: &str) {
    let mut st = shared.state.lock().expect("state");
    st.events.push(SentinelEvent {
        at_ms: crate::time::now_ms(),
        event: event.to_string(),
        detail: crate::sanitize::text(detail),
    });
    let n = st.events.len();
    if n > EVENTS_KEPT {
        st.events.drain(..n - EVENTS_KEPT);
    }
}

/// The login for sentinels: their own credentials, and TLS unless turned off.
fn sentinel_login(link: &Link) -> Login<'_> {
    let p = link.profile();
    let (username, password, tls) = match &p.target {
        Target::Sentinel {
            username,
            password,
            tls,
            ..
        } => (username.as_deref(), password.as_ref(), *tls),
        _ => (None, None, None),
    };
    Login {
        username,
        password,
        db: 0,
        tls: if tls.unwrap_or(p.tls.is_some()) {
            p.tls.as_ref()
        } else {
            None
        },
        push: None,
        keys: "redis.sentinel.options.username and redis.sentinel.options.password",
        probe: "PING",
    }
}

/// A cached connection to one sentinel.
async fn sentinel_node(link: &Link, shared: &Shared, at: &Endpoint) -> Result<Node> {
    if let Some(n) = shared.conns.lock().await.get(&at.to_string()) {
        return Ok(n.clone());
    }
    let n = link.node_with(at, sentinel_login(link)).await?;
    shared.conns.lock().await.insert(at.to_string(), n.clone());
    Ok(n)
}

/// Ask every sentinel at once; decide the master; record each one's view.
async fn survey(link: &Link, shared: &Shared) -> Result<Endpoint> {
    let name = shared.master_name.as_str();
    let asks = shared.sentinels.iter().map(|s| async move {
        let node = match sentinel_node(link, shared, s).await {
            Ok(n) => n,
            Err(e) => return (s.clone(), Answer::Failed(e.to_string()), None),
        };
        let mut pipe = redis::pipe();
        pipe.cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(name);
        pipe.cmd("SENTINEL").arg("MASTER").arg(name);
        pipe.cmd("SENTINEL").arg("REPLICAS").arg(name);
        match node.pipeline(&pipe).await {
            Err(e) => {
                shared.conns.lock().await.remove(&s.to_string());
                (
                    s.clone(),
                    Answer::Failed(format!("sentinel {s}: {e}")),
                    None,
                )
            }
            Ok(replies) => {
                let epoch = match replies.get(1) {
                    Some(Ok(m)) => {
                        let p = crate::resp::pairs(m);
                        crate::resp::field(&p, "config-epoch")
                            .and_then(crate::resp::int)
                            .unwrap_or(0)
                    }
                    _ => 0,
                };
                let answer = match replies.first() {
                    Some(Ok(v)) => {
                        parse_addr(v).map_or(Answer::Unknown, |m| Answer::Master(m, epoch))
                    }
                    Some(Err(e)) => Answer::Failed(format!(
                        "sentinel {s}: {}",
                        crate::sanitize::text(&e.to_string())
                    )),
                    None => Answer::Failed(format!("sentinel {s}: no reply")),
                };
                (s.clone(), answer, Some(replies))
            }
        }
    });
    let answers = futures_util::future::join_all(asks).await;

    // Each sentinel's view, the quorum and the replicas (from the first that has them).
    let mut views = Vec::new();
    let mut quorum = None;
    let mut replicas: Option<Vec<ReplicaView>> = None;
    for (at, answer, replies) in &answers {
        let mut view = SentinelView {
            address: at.to_string(),
            reachable: !matches!(answer, Answer::Failed(_)),
            ..Default::default()
        };
        match answer {
            Answer::Master(m, _) => view.master = Some(m.to_string()),
            Answer::Failed(e) => view.error = Some(e.clone()),
            Answer::Unknown => view.error = Some(format!("does not know '{name}'")),
        }
        if let Some(r) = replies {
            if let Some(Ok(m)) = r.get(1) {
                let p = crate::resp::pairs(m);
                view.flags = crate::resp::field(&p, "flags").and_then(crate::resp::text);
                quorum = quorum.or(crate::resp::field(&p, "quorum").and_then(crate::resp::int));
            }
            if replicas.is_none()
                && let Some(Ok(list)) = r.get(2)
            {
                replicas = Some(crate::resp::items(list).iter().map(replica).collect());
            }
        }
        views.push(view);
    }
    let decided = decide(
        name,
        &answers
            .iter()
            .map(|(a, b, _)| (a.clone(), b.clone()))
            .collect::<Vec<_>>(),
    );
    {
        let mut st = shared.state.lock().expect("state");
        st.quorum = quorum.or(st.quorum);
        if let Some(r) = replicas {
            st.replicas = r;
        }
        let master = decided.as_ref().ok().map(|m| m.to_string());
        for v in &mut views {
            v.agrees = master.is_some() && v.master == master;
        }
        st.views = views;
    }
    let master = decided?;
    set_master(shared, &master);
    shared.state.lock().expect("state").surveyed = Some(std::time::Instant::now());
    Ok(master)
}

/// `[ip, port]` or nil.
fn parse_addr(v: &Value) -> Option<Endpoint> {
    let items = crate::resp::items(v);
    let host = crate::resp::text(items.first()?)?;
    let port = crate::resp::int(items.get(1)?)?;
    Some(Endpoint {
        host,
        port: u16::try_from(port).ok()?,
    })
}

fn replica(v: &Value) -> ReplicaView {
    let p = crate::resp::pairs(v);
    let t = |k: &str| {
        crate::resp::field(&p, k)
            .and_then(crate::resp::text)
            .unwrap_or_default()
    };
    let ip = t("ip");
    ReplicaView {
        address: if ip.contains(':') {
            format!("[{ip}]:{}", t("port"))
        } else {
            format!("{ip}:{}", t("port"))
        },
        link: t("master-link-status"),
        flags: t("flags"),
        offset: crate::resp::field(&p, "slave-repl-offset").and_then(crate::resp::int),
        lag_bytes: None,
        lag_s: None,
    }
}

/// The master named by the sentinels with the newest config epoch (those
/// that saw the last failover), by majority among them; or one sentence
/// saying why there is none.
pub fn decide(name: &str, answers: &[(Endpoint, Answer)]) -> Result<Endpoint> {
    let newest = answers
        .iter()
        .filter_map(|(_, a)| match a {
            Answer::Master(_, e) => Some(*e),
            _ => None,
        })
        .max();
    let named: Vec<(&Endpoint, &Endpoint)> = answers
        .iter()
        .filter_map(|(s, a)| match a {
            Answer::Master(m, e) if Some(*e) == newest => Some((s, m)),
            _ => None,
        })
        .collect();
    if named.is_empty() {
        if answers.iter().any(|(_, a)| *a == Answer::Unknown) {
            return Err(Failure::config(format!(
                "no sentinel knows a master named '{name}'; check redis.sentinel.master_name (SENTINEL MASTERS on a sentinel lists the names it monitors)"
            )));
        }
        let why: Vec<String> = answers
            .iter()
            .filter_map(|(_, a)| match a {
                Answer::Failed(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        if let Some(first) = why.first()
            && why
                .iter()
                .all(|w| w.contains("rejected the login") || w.contains("requires a password"))
        {
            return Err(Failure::runtime(first.clone()));
        }
        return Err(Failure::runtime(format!(
            "no sentinel of '{name}' answered ({}); check redis.sentinel.addresses (as the bastion sees them, with ssh:) and that the sentinels run",
            why.join("; ")
        )));
    }
    let mut votes: Vec<(&Endpoint, usize)> = Vec::new();
    for (_, m) in &named {
        match votes.iter_mut().find(|(e, _)| e == m) {
            Some((_, n)) => *n += 1,
            None => votes.push((m, 1)),
        }
    }
    votes.sort_by_key(|v| std::cmp::Reverse(v.1));
    if votes.len() == 1 || votes[0].1 * 2 > named.len() {
        return Ok(votes[0].0.clone());
    }
    let said: Vec<String> = named.iter().map(|(s, m)| format!("{s} says {m}")).collect();
    Err(Failure::runtime(format!(
        "the sentinels disagree on the master of '{name}' ({}) and no majority names one; check the sentinels' configuration (SENTINEL MASTER {name} on each), then retry",
        said.join(", ")
    )))
}

/// Check that the node Sentinel names really is a master, from its answer
/// to ROLE (`None`: the user may not run ROLE; trust Sentinel).
pub(super) fn confirm_master(node: &Node, role: Option<&Value>) -> Result<()> {
    let Some(v) = role else { return Ok(()) };
    let role = crate::resp::items(v)
        .first()
        .and_then(crate::resp::text)
        .unwrap_or_default();
    if role == "master" {
        return Ok(());
    }
    Err(Failure::runtime(format!(
        "Sentinel names {} as the master but it reports role '{}' (a failover in progress?); redeye retries",
        node.endpoint,
        crate::sanitize::text(&role)
    )))
}

/// Follow the master: a subscription on one sentinel, and a survey every
/// few seconds. Holds the link only weakly, so dropping the link stops it.
async fn follow(link: Weak<super::LinkInner>, shared: Arc<Shared>) {
    let mut sub: Option<(Node, tokio::sync::mpsc::UnboundedReceiver<redis::PushInfo>)> = None;
    let mut next_survey = tokio::time::Instant::now() + SURVEY_EVERY;
    loop {
        if sub.is_none() {
            let Some(l) = link.upgrade().map(Link) else {
                return;
            };
            sub = subscribe(&l, &shared).await;
        }
        let got = match sub.as_mut() {
            Some((_, rx)) => tokio::select! {
                m = rx.recv() => Some(m),
                _ = tokio::time::sleep_until(next_survey) => None,
            },
            None => {
                tokio::time::sleep_until(next_survey).await;
                None
            }
        };
        match got {
            Some(Some(push)) => on_push(&shared, push),
            Some(None) => sub = None,
            None => {
                next_survey = tokio::time::Instant::now() + SURVEY_EVERY;
                let Some(l) = link.upgrade().map(Link) else {
                    return;
                };
                let _ = survey(&l, &shared).await;
            }
        }
    }
}

async fn subscribe(
    link: &Link,
    shared: &Shared,
) -> Option<(Node, tokio::sync::mpsc::UnboundedReceiver<redis::PushInfo>)> {
    for s in &shared.sentinels {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut login = sentinel_login(link);
        login.push = Some(tx);
        let Ok(node) = link.node_with(s, login).await else {
            continue;
        };
        if node.subscribe(CHANNELS).await.is_ok() {
            return Some((node, rx));
        }
    }
    None
}

fn on_push(shared: &Shared, push: redis::PushInfo) {
    if push.kind != redis::PushKind::Message {
        return;
    }
    let channel = push
        .data
        .first()
        .and_then(crate::resp::text)
        .unwrap_or_default();
    let payload = push
        .data
        .get(1)
        .and_then(crate::resp::text)
        .unwrap_or_default();
    let words: Vec<&str> = payload.split_whitespace().collect();
    if channel == "+switch-master" {
        // <name> <old-ip> <old-port> <new-ip> <new-port>
        if let [name, _, _, ip, port] = words[..]
            && name == shared.master_name
            && let Ok(port) = port.parse()
        {
            event(shared, &channel, &payload);
            set_master(
                shared,
                &Endpoint {
                    host: ip.to_string(),
                    port,
                },
            );
        }
        return;
    }
    // `<type> <name> <ip> <port> @ <master-name> <ip> <port>` for instances
    // of our master; `master <name> ...` for the master itself.
    let ours = words.get(1) == Some(&shared.master_name.as_str())
        || words.get(5) == Some(&shared.master_name.as_str());
    if ours {
        event(shared, &channel, &payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(p: u16) -> Endpoint {
        Endpoint {
            host: "10.0.0.1".into(),
            port: p,
        }
    }

    #[test]
    fn the_majority_names_the_master() {
        let a = vec![
            (ep(1), Answer::Master(ep(6379), 0)),
            (ep(2), Answer::Master(ep(6379), 0)),
            (ep(3), Answer::Master(ep(6380), 0)),
        ];
        assert_eq!(decide("m", &a).unwrap(), ep(6379));
        let a = vec![
            (ep(1), Answer::Master(ep(6379), 0)),
            (ep(2), Answer::Failed("down".into())),
        ];
        assert_eq!(decide("m", &a).unwrap(), ep(6379));
    }

    #[test]
    fn the_sentinel_that_saw_the_failover_wins_over_a_stale_majority() {
        let a = vec![
            (ep(1), Answer::Master(ep(6380), 1)),
            (ep(2), Answer::Master(ep(6379), 0)),
            (ep(3), Answer::Master(ep(6379), 0)),
        ];
        assert_eq!(decide("m", &a).unwrap(), ep(6380));
    }

    #[test]
    fn no_master_is_one_sentence() {
        let a = vec![
            (ep(1), Answer::Master(ep(6379), 0)),
            (ep(2), Answer::Master(ep(6380), 0)),
        ];
        let e = decide("m", &a).unwrap_err().to_string();
        assert!(e.contains("disagree"), "{e}");
        let a = vec![
            (ep(1), Answer::Unknown),
            (ep(2), Answer::Failed("x".into())),
        ];
        let e = decide("m", &a).unwrap_err();
        assert!(e.to_string().contains("master_name"), "{e}");
        assert_eq!(e.exit_code(), 2);
        let a = vec![(ep(1), Answer::Failed("refused".into()))];
        let e = decide("m", &a).unwrap_err();
        assert!(e.to_string().contains("no sentinel of 'm' answered"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }
}
