//! The dashboard, headless: every pane rendered with TestBackend at 80x24 and
//! 200x60 (insta snapshots), and the keymap's behaviour.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redeye::config::Environment;
use redeye::ui::app::{App, Effect, Pane};
use redeye::ui::sample::{NOW_MS, snapshot};
use redeye::ui::theme::Theme;
use std::sync::Arc;
use std::time::Duration;

fn app() -> App {
    // Chart axes show local clock times: the snapshots are taken in UTC,
    // set before the first time is formatted in this process.
    // SAFETY: every test sets the same value; nothing reads it concurrently
    // in a way that a torn read could matter.
    unsafe { std::env::set_var("TZ", "UTC") };
    let info = redeye::ui::sample::profile_info();
    let mut app = App::new(info, Theme::monochrome(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(snapshot(0, 0)));
    app.on_snapshot(Arc::new(snapshot(0, 1)));
    app.now_ms = NOW_MS + 1_200;
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| redeye::ui::render::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    assert!(
        !out.contains('\x1b'),
        "an escape sequence reached the screen"
    );
    out
}

fn open(app: &mut App, pane: Pane) {
    match pane {
        Pane::Pending => {
            key(app, KeyCode::Char('4'));
            key(app, KeyCode::Enter);
        }
        // A pane that does not apply to the deployment has no key: drawn as is.
        p if !p.applies(app.mode()) => app.pane = p,
        // Panes past 9: `0` then the last digit (`0` `0` is pane 10).
        p if p.index() >= 9 => {
            key(app, KeyCode::Char('0'));
            key(app, KeyCode::Char(char::from(b'0' + (p.index() - 9) as u8)));
        }
        p => {
            key(app, KeyCode::Char(char::from(b'1' + p.index() as u8)));
        }
    }
    assert_eq!(app.pane, pane);
}

#[test]
fn every_pane_at_80x24_and_200x60() {
    for pane in Pane::ALL {
        let mut a = app();
        open(&mut a, pane);
        for (w, h) in [(80, 24), (200, 60)] {
            let screen = render(&a, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", pane.title().to_lowercase()), screen);
        }
    }
}

#[test]
fn header_shows_profile_state_and_read_only_at_80_columns() {
    let a = app();
    let screen = render(&a, 80, 24);
    let header = screen.lines().next().unwrap();
    assert!(header.contains("production · production"), "{header}");
    assert!(header.contains("READ-ONLY"), "{header}");
    assert!(header.contains("live"), "{header}");
}

#[test]
fn header_names_the_master_the_bastion_and_a_fresh_failover() {
    let mut a = app();
    let screen = render(&a, 200, 60);
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("production-master @ 10.0.4.21:6379")
            && header.contains("via bastion-prod"),
        "{header}"
    );
    // The sample's failover is 40 minutes old: not in the header.
    assert!(!header.contains("failover"), "{header}");
    let mut snap = snapshot(0, 2);
    snap.taken_at_ms = NOW_MS + 2_000;
    snap.deployment.master = Some("10.0.4.22:6379".into());
    snap.deployment
        .failovers
        .as_mut()
        .unwrap()
        .push(redeye::model::Failover {
            at_ms: NOW_MS + 1_500,
            from: "10.0.4.21:6379".into(),
            to: "10.0.4.22:6379".into(),
        });
    a.on_snapshot(Arc::new(snap));
    a.now_ms = NOW_MS + 2_200;
    let screen = render(&a, 200, 60);
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("failover: 10.0.4.21:6379 → 10.0.4.22:6379")
            && header.contains("production-master @ 10.0.4.22:6379"),
        "{header}"
    );
    // Tunnel down is said as such.
    a.on_failure(
        "tunnel down · reconnecting: the ssh master for bastion-prod exited".into(),
        1,
        redeye::collect::collector::Cause::TunnelDown,
    );
    let header = render(&a, 200, 60).lines().next().unwrap().to_string();
    assert!(
        header.contains("tunnel down · reconnecting, attempt 1"),
        "{header}"
    );
    // I lists the forwards.
    key(&mut a, KeyCode::Char('I'));
    let screen = render(&a, 120, 40);
    assert!(
        screen.contains("tunnel: via bastion-prod · up")
            && screen.contains("127.0.0.1:40113 → 10.0.4.21:6379"),
        "{screen}"
    );
}

#[test]
fn stale_and_reconnecting_is_said_in_the_header() {
    let mut a = app();
    a.on_failure(
        "lost Redis at 10.0.4.21:6379 while polling (timed out)".into(),
        3,
        redeye::collect::collector::Cause::Lost,
    );
    a.now_ms = NOW_MS + 13_000;
    let screen = render(&a, 80, 24);
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("STALE since 12s") && header.contains("attempt 3"),
        "{header}"
    );
    assert!(
        screen.contains("lost Redis"),
        "the error is shown in the footer"
    );
    // Data stays on screen and keys still work.
    key(&mut a, KeyCode::Char('4'));
    assert!(render(&a, 80, 24).contains("webhook_events"));
}

#[test]
fn null_lag_is_na_never_zero_and_detail_gives_the_reason() {
    let mut a = app();
    open(&mut a, Pane::Streams);
    let screen = render(&a, 200, 60);
    let line = screen
        .lines()
        .find(|l| l.contains("agent_messages"))
        .unwrap();
    assert!(line.contains("n/a"), "{line}");
    typed(&mut a, "/agent");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('i'));
    let popup = a.popup.as_ref().expect("detail popup");
    assert!(
        popup
            .lines
            .iter()
            .any(|l| l.starts_with("lag: n/a — entries were deleted")),
        "{:?}",
        popup.lines
    );
}

#[test]
fn filter_sort_and_escape() {
    let mut a = app();
    a.on_snapshot(Arc::new(snapshot(20, 2)));
    open(&mut a, Pane::Streams);
    assert_eq!(a.rows(Pane::Streams), 23);
    typed(&mut a, "/tenant:000");
    assert_eq!(a.rows(Pane::Streams), 10);
    key(&mut a, KeyCode::Enter); // keep the filter, leave input
    assert_eq!(a.filter(Pane::Streams), "tenant:000");
    key(&mut a, KeyCode::Esc); // clears the filter first
    assert_eq!(a.rows(Pane::Streams), 23);
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(a.sort(Pane::Streams), 1);
    key(&mut a, KeyCode::Esc); // back to the overview
    assert_eq!(a.pane, Pane::Overview);
}

#[test]
fn pending_opens_on_the_group_whose_entries_a_dead_consumer_holds() {
    use redeye::model::{ConsumerSummary, GroupInfo, StreamInfo};
    let mut snap = snapshot(0, 1);
    let group = |name: &str, pending: u64, oldest: u64, dead: u64| GroupInfo {
        name: name.into(),
        exists: true,
        pending,
        oldest_pending_age_ms: (pending > 0).then_some(oldest),
        consumer_summary: Some(ConsumerSummary {
            dead_holding: dead,
            ..Default::default()
        }),
        ..Default::default()
    };
    let stream = |name: &str, groups: Vec<GroupInfo>| StreamInfo {
        name: name.into(),
        exists: true,
        groups,
        ..Default::default()
    };
    // The first by name holds nothing; an older backlog is held by live
    // consumers; the dead consumer's 120 entries win.
    snap.streams = vec![
        stream("invoices", vec![group("audit", 0, 0, 0)]),
        stream("emails", vec![group("digest", 120, 60_000, 1)]),
        stream("orders", vec![group("billing", 400, 900_000, 0)]),
    ];
    let mut a = app();
    a.on_snapshot(Arc::new(snap.clone()));
    key(&mut a, KeyCode::Char('5'));
    assert_eq!(
        a.panes.pending.drill,
        Some(("emails".into(), "digest".into()))
    );
    // Opened before the streams were read (a first poll has INFO only):
    // the first snapshot that has them chooses, as opening would have.
    let mut a = app();
    let mut first = snapshot(0, 1);
    first.streams.clear();
    a.on_snapshot(Arc::new(first));
    key(&mut a, KeyCode::Char('5'));
    assert_eq!(a.panes.pending.drill, None);
    a.on_snapshot(Arc::new(snap));
    assert_eq!(
        a.panes.pending.drill,
        Some(("emails".into(), "digest".into()))
    );
}

#[test]
fn drill_into_pending_and_fetch_a_message() {
    let mut a = app();
    open(&mut a, Pane::Pending);
    assert_eq!(
        a.panes.pending.drill,
        Some(("webhook_events".into(), "webhook_workers".into()))
    );
    let needs = a.needs();
    assert_eq!(
        needs.pending,
        Some((
            "webhook_events".into(),
            "webhook_workers".into(),
            redeye::collect::PageStart::First
        ))
    );
    assert_eq!(a.rows(Pane::Pending), 40);
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(&fx[..], [Effect::FetchEntry { stream, .. }] if stream == "webhook_events"));
    // PgDn at the end asks for the next page, after the last id.
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(key(&mut a, KeyCode::PageDown), vec![Effect::Refresh]);
    assert!(matches!(
        a.needs().pending.unwrap().2,
        redeye::collect::PageStart::After(id) if id.ends_with("-39")
    ));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.pane, Pane::Streams);
}

#[test]
fn dlq_entry_popup_pretty_prints_json() {
    let mut a = app();
    open(&mut a, Pane::Dlq);
    key(&mut a, KeyCode::Enter);
    let p = a.popup.clone().expect("entry popup");
    assert!(p.lines.iter().any(|l| l == "payload:"), "{:?}", p.lines);
    assert!(
        p.lines
            .iter()
            .any(|l| l.contains("\"full_name\": \"acme/api\""))
    );
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.popup.as_ref().unwrap().scroll, 1);
    key(&mut a, KeyCode::Esc);
    assert!(a.popup.is_none());
    assert_eq!(a.pane, Pane::Dlq, "Esc closes the popup first");
}

#[test]
fn quit_help_pause_interval_command_line() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert!(a.help);
    assert_eq!(
        key(&mut a, KeyCode::Char('q')),
        vec![],
        "q closes help first"
    );
    assert!(!a.help);
    assert_eq!(key(&mut a, KeyCode::Char('p')), vec![Effect::Pause(true)]);
    assert_eq!(
        key(&mut a, KeyCode::Char('+')),
        vec![Effect::Interval(Duration::from_secs(2))]
    );
    for _ in 0..10 {
        key(&mut a, KeyCode::Char('-'));
    }
    assert_eq!(
        a.interval,
        Duration::from_millis(250),
        "interval has a floor"
    );
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "profile staging");
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::SwitchProfile("staging".into())]
    );
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.pane, Pane::Memory);
    key(&mut a, KeyCode::BackTab);
    key(&mut a, KeyCode::BackTab);
    assert_eq!(
        a.pane,
        Pane::Alerts,
        "BackTab from the first pane wraps to the last"
    );
    // Panes past 9: `0` then the last digit, with no timing.
    key(&mut a, KeyCode::Char('0'));
    assert_eq!(a.pane, Pane::Alerts, "0 alone waits for the digit");
    a.now_ms += 5_000;
    key(&mut a, KeyCode::Char('0'));
    assert_eq!(a.pane, Pane::Keys);
    key(&mut a, KeyCode::Char('0'));
    key(&mut a, KeyCode::Char('2'));
    assert_eq!(a.pane, Pane::Latency);
    key(&mut a, KeyCode::Char('1'));
    a.now_ms += 10;
    key(&mut a, KeyCode::Char('3'));
    assert_eq!(a.pane, Pane::Clients, "1 then 3 is pane 3, however fast");
    key(&mut a, KeyCode::Char('9'));
    assert_eq!(a.pane, Pane::Clients, "Nodes has no key off a cluster");
    assert!(a.status.as_deref().unwrap_or("").contains("does not apply"));
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "advisor");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.pane, Pane::Advisor);
    assert_eq!(key(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
    assert_eq!(
        a.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        vec![Effect::Quit]
    );
}

#[test]
fn write_keys_are_refused_on_read_only() {
    let mut a = app();
    open(&mut a, Pane::Pending);
    assert_eq!(key(&mut a, KeyCode::Char('c')), vec![]);
    assert!(a.status.as_deref().unwrap().contains("read-only"));
    assert!(a.confirm.is_none());
}

fn writable(env: Environment) -> App {
    let mut a = app();
    a.profile.read_only = false;
    a.profile.environment = env;
    a
}

#[test]
fn mark_then_requeue_asks_then_runs_the_exact_operation() {
    use redeye::ui::write::WriteOp;
    let mut a = writable(Environment::Development);
    open(&mut a, Pane::Pending);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.marks.len(), 2);
    assert!(render(&a, 80, 24).contains("2 marked"));
    assert!(
        key(&mut a, KeyCode::Char('R')).is_empty(),
        "nothing runs before confirmation"
    );
    let c = a.confirm.clone().expect("confirmation");
    assert!(
        c.op.describe()
            .starts_with("Requeue 2 entries of webhook_events / webhook_workers"),
        "{}",
        c.op.describe()
    );
    assert!(render(&a, 80, 24).contains("y: go ahead"));
    let fx = key(&mut a, KeyCode::Char('y'));
    match &fx[..] {
        [
            Effect::Write(WriteOp::Requeue {
                stream, group, ids, ..
            }),
        ] => {
            assert_eq!(
                (stream.to_str().unwrap(), group.to_str().unwrap()),
                ("webhook_events", "webhook_workers")
            );
            assert_eq!(ids.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(a.busy.is_some());
    a.on_write_done(Err("boom".into()));
    assert!(a.marks.is_empty() && a.busy.is_none());
    assert!(a.status.as_deref().unwrap().contains("write failed: boom"));
}

#[test]
fn production_requires_typing_the_profile_name_and_esc_cancels() {
    let mut a = writable(Environment::Production);
    open(&mut a, Pane::Dlq);
    key(&mut a, KeyCode::Char('x'));
    assert_eq!(a.confirm.as_ref().unwrap().expect, "production");
    assert!(key(&mut a, KeyCode::Char('y')).is_empty());
    assert!(
        key(&mut a, KeyCode::Enter).is_empty(),
        "'y' is not the profile name"
    );
    assert!(a.confirm.is_some());
    for _ in 0..1 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "production");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Write(redeye::ui::write::WriteOp::DlqDelete { dlq, ids })] if dlq == "task_events:dlq" && ids.len() == 1)
    );
    a.on_write_done(Err("test".into()));
    key(&mut a, KeyCode::Char('P'));
    assert!(a.confirm.is_some());
    key(&mut a, KeyCode::Esc);
    assert!(a.confirm.is_none());
    assert!(a.status.as_deref().unwrap().contains("cancelled"));
}

#[test]
fn clients_list_is_only_requested_while_its_pane_is_open() {
    let mut a = app();
    assert!(!a.needs().client_list);
    open(&mut a, Pane::Clients);
    assert!(a.needs().client_list);
    key(&mut a, KeyCode::Char('1'));
    assert!(!a.needs().client_list);
}

#[test]
fn long_tables_scroll_to_keep_the_selection_visible() {
    let mut a = app();
    a.on_snapshot(Arc::new(snapshot(1000, 2)));
    open(&mut a, Pane::Streams);
    key(&mut a, KeyCode::Char('s')); // lag
    key(&mut a, KeyCode::Char('s')); // pending
    key(&mut a, KeyCode::Char('s')); // oldest
    key(&mut a, KeyCode::Char('s')); // name
    key(&mut a, KeyCode::Char('G'));
    let screen = render(&a, 80, 24);
    assert!(
        screen.contains("webhook_events"),
        "last row by name is visible:\n{screen}"
    );
    assert!(
        !screen.contains("agent_messages"),
        "the first rows scrolled away:\n{screen}"
    );
    key(&mut a, KeyCode::Char('g'));
    assert!(render(&a, 80, 24).contains("agent_messages"));
}

#[test]
fn a_filter_selects_what_a_write_acts_on_and_p_prunes_consumers() {
    use redeye::ui::write::WriteOp;
    let mut a = writable(Environment::Development);
    open(&mut a, Pane::Pending);
    // Ids are matched only when asked (`id:`): a plain filter matches the
    // columns a reader sees (the consumer, the marks).
    typed(&mut a, "/-3");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.rows(Pane::Pending), 0, "no consumer or mark contains -3");
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..3 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "id:-3");
    key(&mut a, KeyCode::Enter);
    let shown = a.rows(Pane::Pending);
    assert!(shown > 1 && shown < 40, "{shown}");
    key(&mut a, KeyCode::Char('A'));
    let c = a.confirm.as_ref().unwrap();
    match &c.op {
        WriteOp::Ack { ids, .. } => assert_eq!(ids.len(), shown, "every filtered row"),
        other => panic!("{other:?}"),
    }
    let scope = c.scope.as_deref().unwrap_or_default();
    assert!(
        scope.contains("filter 'id:-3'") && scope.contains(&format!("the {shown} rows")),
        "the confirmation names the filter: {scope}"
    );
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('P'));
    assert!(
        matches!(&a.confirm.as_ref().unwrap().op, WriteOp::Prune { group, .. } if group == "webhook_workers")
    );
}

#[test]
fn requeue_all_from_the_command_line_of_the_dlq_pane() {
    use redeye::ui::write::{Resolve, Resolved, WriteOp};
    let mut a = writable(Environment::Staging);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "requeue-all");
    key(&mut a, KeyCode::Enter);
    assert!(a.confirm.is_none(), "only in the DLQ pane");
    open(&mut a, Pane::Dlq);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "requeue-all");
    // The page is not the count: the server is asked how many there are
    // before the question.
    let fx = key(&mut a, KeyCode::Enter);
    assert!(a.confirm.is_none(), "counted first");
    let [Effect::Resolve(Resolve::DlqAll { dlq, target })] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(dlq == "task_events:dlq" && target == "task_events");
    a.on_resolved(Ok(Resolved {
        op: WriteOp::DlqRequeueAll {
            dlq: dlq.clone(),
            target: target.clone(),
            count: 61,
        },
        scope: "every dead letter in task_events:dlq when it runs: 61 now (counted on the server)"
            .into(),
    }));
    let c = a.confirm.clone().expect("confirmation");
    assert!(c.op.describe().contains("ALL 61 dead letters"));
    let screen = render(&a, 120, 36);
    assert!(
        screen.contains("when it runs: 61 now"),
        "the confirmation says the set is what is there when it runs:\n{screen}"
    );
    assert!(matches!(
        &key(&mut a, KeyCode::Char('y'))[..],
        [Effect::Write(WriteOp::DlqRequeueAll { .. })]
    ));
}

#[test]
fn enter_on_a_cluster_node_scopes_memory_clients_and_slowlog() {
    use redeye::model::{ClusterNodeRow, ClusterState, NodeStatus};
    let mut a = app();
    let mut snap = snapshot(0, 2);
    let mut node_mem = snap.memory.clone().unwrap();
    node_mem.used_bytes = 123 * 1024 * 1024;
    node_mem.used_percent_of_max = None;
    node_mem.maxmemory_bytes = 0;
    snap.nodes = ["10.0.5.1:6379", "10.0.5.2:6379"]
        .iter()
        .map(|a| NodeStatus {
            address: a.to_string(),
            role: "master".into(),
            poll_ms: 0.4,
            memory: Some(node_mem.clone()),
            client_name: None,
        })
        .collect();
    snap.nodes[1].memory.as_mut().unwrap().used_bytes = 7 * 1024 * 1024;
    snap.deployment.mode = redeye::model::Mode::Cluster;
    snap.cluster = Some(ClusterState {
        state: "ok".into(),
        slots_ok: 16384,
        slots_assigned: 16384,
        nodes: ["10.0.5.1:6379", "10.0.5.2:6379"]
            .iter()
            .map(|a| ClusterNodeRow {
                id: a.to_string(),
                address: a.to_string(),
                polled_as: Some(a.to_string()),
                role: "primary".into(),
                link: "connected".into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    });
    if let Some(sl) = snap.slowlog.as_mut() {
        for (i, e) in sl.entries.iter_mut().enumerate() {
            e.node = Some(
                if i % 2 == 0 {
                    "10.0.5.1:6379"
                } else {
                    "10.0.5.2:6379"
                }
                .into(),
            );
        }
    }
    a.on_snapshot(Arc::new(snap));
    key(&mut a, KeyCode::Char('9'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.node_scope.as_deref(), Some("10.0.5.2:6379"));
    key(&mut a, KeyCode::Char('2'));
    let screen = render(&a, 120, 40);
    assert!(screen.contains("7.0 MiB used"), "{screen}");
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("node 10.0.5.2:6379")
    );
    key(&mut a, KeyCode::Char('7'));
    let screen = render(&a, 160, 40);
    assert!(
        screen.contains("@10.0.5.2:6379") && !screen.contains("@10.0.5.1:6379"),
        "{screen}"
    );
    // Enter on the same node again: all nodes.
    key(&mut a, KeyCode::Char('9'));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.node_scope, None);
}

#[test]
fn a_replica_without_its_master_is_a_critical_alert() {
    let mut a = app();
    let mut snap = snapshot(0, 2);
    let sv = snap.server.as_mut().unwrap();
    sv.role = "slave".into();
    sv.master_link_status = Some("down".into());
    // Alerts hold for a few polls before they show (no flapping).
    let snap = Arc::new(snap);
    for _ in 0..redeye::model::alerts::Hysteresis::HOLD {
        a.on_snapshot(snap.clone());
    }
    assert!(
        a.alerts.iter().any(|al| al.subject == "replication"
            && al.level == redeye::model::alerts::Level::Crit
            && al.text.contains("master_link_status:down")),
        "{:?}",
        a.alerts
    );
}

#[test]
fn a_connection_error_after_a_profile_switch_is_shown() {
    let mut a = app();
    a.status = Some("switched to profile 'staging'".into());
    a.on_failure(
        "Redis at 10.0.9.9:6379 rejected the login for user 'default': wrong password".into(),
        1,
        redeye::collect::collector::Cause::Lost,
    );
    let screen = render(&a, 120, 30);
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("rejected the login"), "{footer}");
}

#[test]
fn a_late_poll_shows_the_data_age_at_once_and_nothing_claims_empty_before_the_first() {
    let mut a = app();
    // Half an interval (at least 500 ms) past due: late, with the age.
    a.now_ms = NOW_MS + 1_000 + 1_800;
    let header = render(&a, 120, 30).lines().next().unwrap().to_string();
    assert!(header.contains("late · data 1s old"), "{header}");
    assert!(!header.contains("● live"), "{header}");
    let fresh = App::new(
        redeye::ui::sample::profile_info(),
        Theme::monochrome(),
        Duration::from_secs(1),
    );
    let screen = render(&fresh, 120, 30);
    assert!(screen.contains("waiting for the first poll"), "{screen}");
    assert!(!screen.contains("all dead-letter queues empty"), "{screen}");
}

#[test]
fn opening_a_dead_letter_whose_body_was_left_out_loads_it() {
    let mut a = app();
    let mut snap = snapshot(0, 2);
    let page = snap.dlq_page.as_mut().expect("the sample has a DLQ page");
    for e in &mut page.entries {
        e.fields.push((
            redeye::model::Bytes(b"redeye:omitted_bytes".to_vec()),
            redeye::model::Bytes(b"1048576".to_vec()),
        ));
    }
    let stream = page.stream.clone();
    a.on_snapshot(Arc::new(snap));
    key(&mut a, KeyCode::Char('6'));
    let effects = key(&mut a, KeyCode::Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::FetchEntry { stream: s, .. } if *s == stream)),
        "{effects:?}"
    );
    let screen = render(&a, 120, 30);
    assert!(screen.contains("loading the whole entry"), "{screen}");
}

/// A loaded dead letter of 1 MiB: the popup shows 64 KiB of it with the
/// size, and `L` shows the whole entry, scrollable line by line.
#[test]
fn a_megabyte_value_shows_64_kib_then_l_shows_it_all() {
    let mut a = app();
    let snap = snapshot(0, 2);
    let stream = snap.dlq_page.as_ref().unwrap().stream.clone();
    a.on_snapshot(Arc::new(snap));
    key(&mut a, KeyCode::Char('6'));
    let mut body = "x".repeat(1024 * 1024);
    body.push_str("THE-END");
    let entry = redeye::model::StreamEntry {
        id: "1-0".into(),
        fields: vec![(
            redeye::model::Bytes(b"payload".to_vec()),
            redeye::model::Bytes(body.into_bytes()),
        )],
    };
    a.show_entry(&stream, "1-0", Some(entry));
    let p = a.view.popup.as_ref().unwrap();
    let text = p.lines.join("\n");
    assert!(
        text.contains("more bytes not shown (1048583 in all)"),
        "{}",
        &text[text.len() - 200..]
    );
    assert!(!text.contains("THE-END"));
    assert!(render(&a, 120, 30).contains("L whole entry"));
    key(&mut a, KeyCode::Char('L'));
    let p = a.view.popup.as_ref().unwrap();
    assert!(
        p.lines.last().unwrap().ends_with("THE-END"),
        "the tail is shown"
    );
    assert!(
        p.lines.iter().all(|l| l.chars().count() <= 600),
        "long values are cut into lines"
    );
    assert!(p.more.is_none());
    key(&mut a, KeyCode::Char('G'));
    assert!(
        render(&a, 120, 30).contains("THE-END"),
        "the last line can be scrolled to"
    );
}

/// The sampler on a production profile: the first `M` warns, the second
/// starts it; its result fills the Commands pane.
#[test]
fn the_command_sampler_asks_twice_on_production_then_shows_its_counts() {
    let mut a = app();
    open(&mut a, Pane::Commands);
    assert!(key(&mut a, KeyCode::Char('M')).is_empty());
    assert!(
        a.status.as_deref().unwrap().contains("press M again"),
        "{:?}",
        a.status
    );
    key(&mut a, KeyCode::Char('>'));
    assert_eq!(
        key(&mut a, KeyCode::Char('M')),
        vec![Effect::Sample(Duration::from_secs(10))]
    );
    assert!(
        key(&mut a, KeyCode::Char('M')).is_empty(),
        "one sample at a time"
    );
    a.on_sample(redeye::model::insight::CommandSample {
        started_ms: NOW_MS,
        seconds: 10.0,
        total: 1200,
        commands: vec![("XADD".into(), 700), ("SET".into(), 500)],
        prefixes: vec![("emb:".into(), 500)],
        clients: vec![("10.0.4.7:51234".into(), 1200)],
        error: None,
    });
    let screen = render(&a, 120, 30);
    assert!(
        screen.contains("1,200 commands in 10.0s") && screen.contains("XADD"),
        "{screen}"
    );
    assert!(
        screen.contains("emb:") && screen.contains("10.0.4.7:51234"),
        "{screen}"
    );
}

/// Issue 19's defect: an INFO refusal ("keyspace" is one of INFO's sections)
/// was shown as the Keys pane's problem, because "keys" was matched as a
/// substring. Sections are typed now: the Keys pane shows its own only.
#[test]
fn an_info_refusal_is_not_shown_in_the_keys_pane() {
    use redeye::model::{Problem, ProblemKind, Section};
    let mut a = app();
    let mut s = snapshot(0, 2);
    s.keys = None;
    s.problems.push(Problem {
        section: Section::Info,
        node: None,
        command: "INFO".into(),
        kind: ProblemKind::NotPermitted,
        message: "not permitted for user ro: INFO".into(),
    });
    a.on_snapshot(Arc::new(s.clone()));
    open(&mut a, Pane::Keys);
    let screen = render(&a, 120, 30);
    assert!(
        !screen.contains("not permitted for user ro: INFO"),
        "{screen}"
    );
    assert!(screen.contains("walking the keyspace"), "{screen}");
    // A refusal of the key walk itself is shown there.
    s.problems.push(Problem {
        section: Section::Keys,
        node: None,
        command: "SCAN".into(),
        kind: ProblemKind::NotPermitted,
        message: "not permitted for user ro: SCAN".into(),
    });
    a.on_snapshot(Arc::new(s));
    let screen = render(&a, 120, 30);
    assert!(
        screen.contains("not permitted for user ro: SCAN"),
        "{screen}"
    );
}

/// The Pending pane's consumers table: most held first, the dead one (holds
/// entries, idle past claim_min_idle) marked; ← and Enter on a consumer ask
/// the collector for that consumer's entries only; Esc shows all again.
#[test]
fn a_consumer_chosen_in_the_pending_pane_filters_its_entries() {
    let mut a = app();
    open(&mut a, Pane::Streams);
    key(&mut a, KeyCode::Enter);
    let screen = render(&a, 120, 40);
    assert!(screen.contains("consumers (1,412"), "{screen}");
    let dead = screen
        .lines()
        .find(|l| l.contains("worker-3f9a-dead"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(dead.contains("dead") && dead.contains(" 20 "), "{dead}");
    key(&mut a, KeyCode::Left);
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.needs().pending_consumer,
        Some(redeye::model::Name::from("worker-81c2")),
        "the second row, by entries held"
    );
    let screen = render(&a, 120, 40);
    assert!(
        screen.contains("pending entries of worker-81c2 (Esc: all)"),
        "{screen}"
    );
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.needs().pending_consumer, None);
    assert_eq!(a.pane, Pane::Pending, "Esc first clears the consumer");
}

/// The Streams row says where a group is going: status, time behind, rates
/// and ETA, as the snapshot's health figures give them.
#[test]
fn the_streams_pane_shows_status_behind_rates_and_eta() {
    let mut a = app();
    open(&mut a, Pane::Streams);
    let screen = render(&a, 160, 30);
    let row = screen
        .lines()
        .find(|l| l.contains("webhook_events"))
        .unwrap_or_else(|| panic!("{screen}"));
    for want in [
        "FALLING BEHIND",
        "12m 40s",
        "2,406",
        "50",
        "10",
        "growing +40/s",
    ] {
        assert!(row.contains(want), "{want} in {row}");
    }
    key(&mut a, KeyCode::Char('i'));
    let screen = render(&a, 160, 40);
    assert!(
        screen.contains("status: FALLING BEHIND — lag grew over 1m, now +40/s"),
        "{screen}"
    );
    assert!(screen.contains("against the server's clock"), "{screen}");
}

#[test]
fn the_selected_overview_tile_is_reverse_video_and_enter_opens_its_pane() {
    use ratatui::style::Modifier;
    let mut a = app();
    // Monochrome (NO_COLOR): the selection must not be a colour only.
    let reversed_title = |a: &App, title: &str| {
        let mut t = Terminal::new(TestBackend::new(120, 36)).unwrap();
        t.draw(|f| redeye::ui::render::draw(f, a)).unwrap();
        let buf = t.backend().buffer().clone();
        let mut found = Vec::new();
        for y in 0..36u16 {
            let line: String = (0..120u16)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            for (i, _) in line.match_indices(&format!("→ {title}")) {
                let x = line[..i].chars().count() as u16;
                found.push(buf[(x, y)].modifier.contains(Modifier::REVERSED));
            }
        }
        found
    };
    assert_eq!(reversed_title(&a, "alerts"), vec![true]);
    // j walks the tiles in the order they are drawn; Enter opens the one chosen.
    for (title, pane) in [
        ("ops/s", Pane::Commands),
        ("memory", Pane::Memory),
        ("clients", Pane::Clients),
        ("streams", Pane::Streams),
        ("dead letters", Pane::Dlq),
        ("slow commands", Pane::Slowlog),
    ] {
        key(&mut a, KeyCode::Char('j'));
        assert_eq!(reversed_title(&a, title), vec![true], "{title}");
        assert_eq!(reversed_title(&a, "alerts"), Vec::<bool>::new());
        key(&mut a, KeyCode::Enter);
        assert_eq!(a.pane, pane, "{title}");
        key(&mut a, KeyCode::Char('1'));
        assert_eq!(a.pane, Pane::Overview);
    }
}

#[test]
fn the_detail_popup_follows_the_polls_at_its_scroll() {
    let mut a = app();
    open(&mut a, Pane::Streams);
    key(&mut a, KeyCode::Char('i'));
    let text = |a: &App| a.popup.as_ref().expect("popup").lines.join("\n");
    assert!(text(&a).contains("48,251"), "{}", text(&a));
    key(&mut a, KeyCode::Char('j'));
    let scroll = a.popup.as_ref().unwrap().scroll;
    a.on_snapshot(Arc::new(snapshot(0, 3)));
    assert!(text(&a).contains("48,331"), "rebuilt: {}", text(&a));
    assert!(!text(&a).contains("48,251"));
    assert_eq!(a.popup.as_ref().unwrap().scroll, scroll, "same scroll");
}
