//! The collector against a real server: one round trip per poll, discovery,
//! pane-dependent fetches, and staleness + reconnection when the server stalls.

mod common;

use common::{Server, calls};
use redeye::collect::collector::{self, FromCollector, Limits, Needs, ToCollector};
use redeye::collect::{ConsumerScope, PollRequest, poll_with};
use redeye::config::{Endpoint, GroupSpec, Origin, Profile, StreamSpec};
use std::time::Duration;

fn profile(srv: &Server) -> Profile {
    let mut p = Profile::local(
        "t",
        Origin::ZeroConfig,
        Endpoint::parse(&srv.addr()).unwrap(),
    );
    p.timeouts.read = Duration::from_millis(400);
    p.timeouts.connect = Duration::from_millis(400);
    p.refresh = Duration::from_millis(100);
    p.streams.streams = vec![StreamSpec {
        name: "orders".into(),
        groups: vec![GroupSpec {
            name: "billing".into(),
        }],
    }];
    p
}

async fn next_snapshot(h: &mut collector::Handle) -> std::sync::Arc<redeye::model::Snapshot> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .expect("collector answers")
        {
            Some(FromCollector::Snapshot(s)) => return s,
            Some(_) => continue,
            None => panic!("collector ended"),
        }
    }
}

#[tokio::test]
async fn pane_needs_change_what_one_poll_reads() {
    let srv = Server::plain();
    for i in 0..30 {
        srv.run(&["XADD", "orders", "*", "n", &i.to_string()]);
    }
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "c1",
        "COUNT",
        "12",
        "STREAMS",
        "orders",
        ">",
    ]);
    srv.run(&[
        "XADD",
        "orders:dlq",
        "*",
        "original_id",
        "1-0",
        "error",
        "boom",
    ]);
    let p = profile(&srv);
    let conn = redeye::connect::connect(&p).await.unwrap();
    let req = PollRequest {
        behind: Vec::new(),
        holders: Vec::new(),
        pending_consumer: None,
        streams: p.streams.streams.clone(),
        slowlog: 5,
        consumers: ConsumerScope::Groups(vec![("orders".into(), "billing".into())]),
        client_list: Some(10),
        pending_page: Some((
            "orders".into(),
            "billing".into(),
            redeye::collect::PageStart::First,
            5,
        )),
        dlq_page: Some(("orders:dlq".into(), redeye::collect::PageEnd::Newest, 10)),
        discover: Some((0, 1000)),
        discover_node: 0,
        known_groups: Default::default(),
        latency_history: Some("command".into()),
        advisor: true,
        keys: Some(redeye::collect::KeyWork {
            node: 0,
            scan: Some(0),
            probe: vec!["orders".into()],
        }),
        reads: Vec::new(),
    };
    let out = poll_with(&p, &conn, &req).await.unwrap();
    let s = &out.snapshot;
    assert_eq!(s.round_trips, 1);
    // The insight panes' reads ride in the same round trip.
    let step = out.key_step.as_ref().expect("a key-family step");
    assert!(step.cursor.is_some() && !step.found.is_empty());
    assert_eq!(step.probes[0].kind, "stream");
    assert!(s.advisor.as_ref().is_some_and(|a| !a.rows.is_empty()));
    assert!(s.latency.as_ref().unwrap().history.is_some());
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let page = s.pending_page.as_ref().unwrap();
    assert_eq!(page.entries.len(), 5);
    assert!(
        page.entries
            .iter()
            .all(|e| e.consumer == "c1" && e.deliveries == 1)
    );
    // The next page starts after the last id.
    let req2 = PollRequest {
        pending_page: Some((
            "orders".into(),
            "billing".into(),
            redeye::collect::PageStart::After(page.entries[4].id.clone()),
            100,
        )),
        ..req.clone()
    };
    let out2 = poll_with(&p, &conn, &req2).await.unwrap();
    assert_eq!(out2.snapshot.pending_page.unwrap().entries.len(), 7);
    assert_eq!(
        s.dlq_page.as_ref().unwrap().entries[0]
            .field("error")
            .unwrap()
            .display(),
        "boom"
    );
    let cl = s.client_list.as_ref().unwrap();
    assert!(
        cl.rows.iter().any(|c| c.cmd == "client|list"),
        "our own connection is listed"
    );
    assert!(s.slowlog.is_some());
    let g = &s.streams[0].groups[0];
    assert_eq!(g.consumer_summary.as_ref().unwrap().total, 1);
    let (cursor, keys) = out.discovered.unwrap();
    assert_eq!(cursor, 0);
    assert!(keys.contains(&"orders".into()) && keys.contains(&"orders:dlq".into()));
}

#[tokio::test]
async fn discovers_streams_and_keeps_dlqs_with_their_stream() {
    let srv = Server::plain();
    srv.run(&["XADD", "orders", "*", "a", "1"]);
    srv.run(&["XADD", "agent:messages", "*", "a", "1"]);
    srv.run(&["XADD", "agent:messages:dlq", "*", "a", "1"]);
    srv.run(&["SET", "not-a-stream", "x"]);
    let limits = Limits {
        discover_every: 1,
        ..Limits::default()
    };
    let mut h = collector::spawn(profile(&srv), limits);
    let mut names = Vec::new();
    for _ in 0..5 {
        let s = next_snapshot(&mut h).await;
        names = s
            .streams
            .iter()
            .map(|s| (s.name.clone(), s.configured))
            .collect();
        if names.len() > 1 {
            break;
        }
    }
    assert_eq!(
        names,
        vec![("orders".into(), true), ("agent:messages".into(), false)],
        "discovered streams are added once, DLQ streams are not listed as streams"
    );
}

#[tokio::test]
async fn a_stalled_server_makes_data_stale_then_the_collector_reconnects() {
    let srv = Server::plain();
    let mut h = collector::spawn(profile(&srv), Limits::default());
    next_snapshot(&mut h).await;
    let pid = srv.pid().to_string();
    std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap();
    // The UI side is told, without waiting on the network itself.
    let failed = loop {
        match tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
            .await
            .unwrap()
        {
            Some(FromCollector::Failed { error, attempt, .. }) => break (error, attempt),
            Some(_) => continue,
            None => panic!("collector ended"),
        }
    };
    assert!(failed.0.contains(&srv.addr()), "{}", failed.0);
    assert!(failed.1 >= 1);
    // Commands are still accepted while it is down.
    h.tx.send(ToCollector::Needs(Needs {
        client_list: true,
        ..Needs::default()
    }))
    .unwrap();
    std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap();
    let s = next_snapshot(&mut h).await;
    assert!(
        s.client_list.is_some(),
        "after reconnecting, the open pane's needs are served"
    );
}

#[tokio::test]
async fn consumer_summaries_come_round_for_configured_groups_and_are_cached() {
    let srv = Server::plain();
    srv.run(&["XADD", "orders", "*", "a", "1"]);
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    srv.run(&[
        "XGROUP",
        "CREATECONSUMER",
        "orders",
        "billing",
        "consumer-1",
    ]);
    srv.run(&[
        "XGROUP",
        "CREATECONSUMER",
        "orders",
        "billing",
        "consumer-2",
    ]);
    let mut h = collector::spawn(profile(&srv), Limits::default());
    for _ in 0..3 {
        let s = next_snapshot(&mut h).await;
        let g = &s.streams[0].groups[0];
        let c = g
            .consumer_summary
            .as_ref()
            .expect("summary, read or cached");
        assert_eq!(c.total, 2);
    }
}

/// A server whose stream `orders` has a group the test profile does not
/// name, `framework`, holding one entry.
fn server_with_an_unnamed_group() -> Server {
    let srv = Server::plain();
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    srv.run(&["XGROUP", "CREATE", "orders", "framework", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "framework",
        "w",
        "STREAMS",
        "orders",
        ">",
    ]);
    srv
}

/// The `framework` group of the snapshot's first stream.
fn framework(s: &redeye::model::Snapshot) -> redeye::model::GroupInfo {
    s.streams[0]
        .groups
        .iter()
        .find(|g| g.name == "framework")
        .cloned()
        .expect("the group is listed")
}

/// The dashboard's polls read the XPENDING summary of groups the profile does
/// not name, once a poll has seen them: their oldest pending entry shows.
#[tokio::test]
async fn groups_seen_on_the_server_get_their_oldest_pending_entry() {
    let srv = server_with_an_unnamed_group();
    let mut h = collector::spawn(profile(&srv), Limits::default());
    let first = next_snapshot(&mut h).await;
    let g = framework;
    assert!(!g(&first).configured);
    h.tx.send(ToCollector::Refresh).unwrap();
    let second = next_snapshot(&mut h).await;
    assert_eq!(second.round_trips, 1, "still one round trip per poll");
    assert!(g(&second).oldest_pending_id.is_some(), "{:?}", g(&second));
}

/// The cadence (issue 19): a stream that changes between polls shows its new
/// length, lag and pending in the very next poll (from its cheap reads), is
/// read in full in the poll after; a stream that does not change is never
/// read in full again; a forced refresh reads everything.
#[tokio::test]
async fn a_changed_stream_shows_its_new_figures_next_poll_and_an_unchanged_one_is_not_reread() {
    let srv = Server::plain();
    for s in ["a", "b"] {
        for i in 0..3 {
            srv.run(&["XADD", s, "*", "n", &i.to_string()]);
            srv.run(&["XADD", &format!("{s}:dlq"), "*", "original_stream", s]);
        }
        srv.run(&["XGROUP", "CREATE", s, "g", "0"]);
        srv.run(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            "2",
            "STREAMS",
            s,
            ">",
        ]);
    }
    let mut p = profile(&srv);
    p.streams.streams = ["a", "b"]
        .iter()
        .map(|s| StreamSpec {
            name: (*s).into(),
            groups: vec![GroupSpec { name: "g".into() }],
        })
        .collect();
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = collector::Poller::new(p.clone(), Limits::default());
    // No every-Nth full read inside this test.
    poller.memory.every = 1_000;
    let first = poller.poll(&dep).await.unwrap();
    assert_eq!(first.streams[0].length, 3);
    assert_eq!(first.streams[0].full_read_ms, None);

    // Nothing changed: no stream is read in full.
    srv.run(&["CONFIG", "RESETSTAT"]);
    let second = poller.poll(&dep).await.unwrap();
    assert_eq!(second.round_trips, 1);
    assert_eq!(calls(&srv, "xinfo|stream") + calls(&srv, "evalsha"), 0);
    assert_eq!(calls(&srv, "xpending"), 0);
    let a = &second.streams[0];
    assert!(a.full_read_ms.is_some());
    // The heavier figures are the last full read's, still shown.
    assert_eq!(a.last_id, first.streams[0].last_id);
    assert_eq!(
        a.groups[0].oldest_pending_id,
        first.streams[0].groups[0].oldest_pending_id
    );
    assert_eq!(a.dlq.as_ref().unwrap().length, 3);
    assert!(a.dlq.as_ref().unwrap().newest_id.is_some());
    assert!(a.dlq.as_ref().unwrap().full_read_ms.is_some());

    // a moves: one XADD, one more delivered.
    srv.run(&["XADD", "a", "*", "n", "new"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c2",
        "COUNT",
        "1",
        "STREAMS",
        "a",
        ">",
    ]);
    let third = poller.poll(&dep).await.unwrap();
    let a = &third.streams[0];
    assert_eq!(a.length, 4, "length from this poll");
    assert_eq!(a.groups[0].lag, Some(1), "lag from this poll");
    assert_eq!(a.groups[0].pending, 3, "pending from this poll");
    assert_eq!(a.entries_added, Some(4));
    assert_eq!(calls(&srv, "xinfo|stream") + calls(&srv, "evalsha"), 0);

    // The poll after: a is read in full (plain XINFO STREAM: its entries are
    // small), b is not.
    srv.run(&["CONFIG", "RESETSTAT"]);
    let fourth = poller.poll(&dep).await.unwrap();
    assert_eq!(calls(&srv, "xinfo|stream"), 1);
    // The one script call is the health read of a's group (its last-delivered
    // id moved and it lags: first_undelivered.lua, one XRANGE), not the
    // stream's read.
    assert_eq!(calls(&srv, "evalsha"), calls(&srv, "xrange"));
    assert_eq!(calls(&srv, "xpending"), 1);
    assert_eq!(fourth.streams[0].full_read_ms, None);
    assert!(fourth.streams[1].full_read_ms.is_some());
    let by_consumer = &fourth.streams[0].groups[0].pending_by_consumer;
    assert_eq!(
        by_consumer.len(),
        2,
        "c1 and c2 hold entries: {by_consumer:?}"
    );

    // A forced refresh trusts nothing remembered: everything through the
    // body-dropping script (2 streams + 2 DLQs).
    srv.run(&["CONFIG", "RESETSTAT"]);
    poller.memory.reset();
    let fifth = poller.poll(&dep).await.unwrap();
    assert_eq!(calls(&srv, "evalsha"), 4);
    assert!(fifth.streams.iter().all(|s| s.full_read_ms.is_none()));
}

/// A group the profile does not name, found holding entries, gets its
/// oldest pending entry on the next poll by itself (no refresh): the cadence
/// reads its stream in full once more for its XPENDING summary, then not.
#[tokio::test]
async fn a_group_found_on_the_server_gets_its_pending_summary_on_the_next_poll() {
    let srv = server_with_an_unnamed_group();
    let p = profile(&srv);
    let dep = redeye::connect::connect(&p).await.unwrap();
    let mut poller = collector::Poller::new(p, Limits::default());
    poller.memory.every = 1_000;
    let g = framework;
    let first = poller.poll(&dep).await.unwrap();
    assert!(!g(&first).configured && g(&first).oldest_pending_id.is_none());
    let second = poller.poll(&dep).await.unwrap();
    assert!(g(&second).oldest_pending_id.is_some(), "{:?}", g(&second));
    srv.run(&["CONFIG", "RESETSTAT"]);
    let third = poller.poll(&dep).await.unwrap();
    assert!(
        g(&third).oldest_pending_id.is_some(),
        "kept from the full read"
    );
    assert_eq!(calls(&srv, "xpending"), 0, "and not read again");
}
