//! The incident timeline (issue 13) against real servers and real files:
//! recording the demo workload and replaying it, a crash's half-written
//! frame, an old recording, retention, what is kept out of the store, and
//! replay in a terminal.

mod common;

use common::{Home, Server, out};
use redeye::collect::collector::{FromCollector, Limits, Needs, ToCollector, spawn};
use redeye::record::{Recorder, Recording};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn profile(addr: &str) -> redeye::config::Profile {
    let mut p = redeye::config::Profile::local(
        "t",
        redeye::config::Origin::ZeroConfig,
        redeye::config::Endpoint::parse(addr).unwrap(),
    );
    p.refresh = Duration::from_millis(1000);
    p
}

/// Poll with the collector for `secs`, record every snapshot, return them.
async fn record_for(
    p: redeye::config::Profile,
    secs: u64,
    dir: &std::path::Path,
    payloads: bool,
    needs: Needs,
) -> Vec<Arc<redeye::model::Snapshot>> {
    let rec = Recorder::start(
        dir.to_path_buf(),
        Duration::from_secs(86_400),
        1 << 30,
        payloads,
    )
    .unwrap();
    let mut h = spawn(p.clone(), Limits::default());
    h.tx.send(ToCollector::Needs(needs)).unwrap();
    // What the dashboard does with each refresh when it records.
    let mut app = redeye::ui::app::App::for_profile(&p, redeye::ui::theme::Theme::monochrome());
    let mut seen = Vec::new();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), h.rx.recv()).await else {
            continue;
        };
        if let FromCollector::Snapshot(s) = msg {
            app.on_snapshot(s.clone());
            rec.record(&s, &app.alerts, &app.log);
            seen.push(s);
        }
    }
    rec.flush();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_demo_replays_exactly_the_snapshot_it_recorded() {
    let srv = Server::plain();
    let home = Home::new();
    // The demo's workload against our server, for the whole recording.
    let mut workload = std::process::Command::new(assert_cmd::cargo::cargo_bin("redeye"))
        .args([
            "demo",
            "--workload-only",
            "--address",
            &srv.addr(),
            "--duration",
            "40s",
        ])
        .env("HOME", home.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut p = profile(&srv.addr());
    p.streams = redeye::demo::workload::stream_settings(&Default::default());
    let dir = home.dir.path().join("rec");
    let needs = Needs {
        dlq: Some(("task_events:dlq".into(), redeye::collect::PageEnd::Newest)),
        ..Default::default()
    };
    let seen = record_for(p, 30, &dir, false, needs).await;
    let _ = workload.kill();
    let _ = workload.wait();
    assert!(seen.len() >= 25, "{} refreshes in 30 s", seen.len());

    let rec = Recording::open(&dir).unwrap();
    assert_eq!(rec.len(), seen.len(), "every refresh is a frame");
    // A time in the middle: the frame on screen then is the one recorded.
    let pick = &seen[seen.len() / 2];
    let i = rec.at(pick.taken_at_ms + 500);
    let frame = rec.frame(i).unwrap();
    let mut expected = (**pick).clone();
    redeye::record::strip_payloads(&mut expected);
    assert_eq!(
        serde_json::to_value(&frame.snapshot).unwrap(),
        serde_json::to_value(&expected).unwrap(),
        "the replayed snapshot equals the recorded one"
    );
    assert!(frame.snapshot.streams.iter().any(|s| s.length > 0));

    // JSON lines for scripts, and a self-contained export that replays elsewhere.
    let o = home
        .redeye()
        .args(["replay", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    assert_eq!(so.lines().count(), seen.len());
    let file = home.dir.path().join("incident.redeye");
    let from = redeye::time::clock(seen[5].taken_at_ms, false);
    let o = home
        .redeye()
        .args(["record", "export", "--input", dir.to_str().unwrap()])
        .args([
            "--from",
            &format!("{} {from}", day(seen[5].taken_at_ms)),
            "-o",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o).1);
    let slice = Recording::open(&file).unwrap();
    assert!(
        slice.len() >= seen.len() - 6 && slice.len() < seen.len(),
        "{}",
        slice.len()
    );
    assert_eq!(
        serde_json::to_value(&slice.frame(slice.len() - 1).unwrap().snapshot).unwrap(),
        serde_json::to_value(&rec.frame(rec.len() - 1).unwrap().snapshot).unwrap()
    );
}

fn day(ms: u64) -> String {
    redeye::time::date(ms)
}

/// A few frames of a small server, written to `dir`.
async fn small_recording(dir: &std::path::Path, secs: u64) -> Vec<Arc<redeye::model::Snapshot>> {
    let srv = Server::plain();
    srv.run(&["XADD", "orders", "*", "n", "1"]);
    let mut p = profile(&srv.addr());
    p.refresh = Duration::from_millis(200);
    record_for(p, secs, dir, false, Needs::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_cut_by_a_crash_is_skipped_and_the_rest_replays() {
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    let seen = small_recording(&dir, 2).await;
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "redeye"))
        .unwrap();
    let full = std::fs::read(&file).unwrap();
    // Cut the last frame in half, as a crash during its write would; the
    // index still names it.
    let cut = full.len() - 40;
    std::fs::write(&file, &full[..cut]).unwrap();
    let rec = Recording::open(&dir).unwrap();
    assert_eq!(rec.len(), seen.len() - 1, "the half frame is skipped");
    rec.frame(rec.len() - 1).unwrap();
    // Without its index too: found by a scan, the same frames.
    std::fs::remove_file(file.with_extension("idx")).unwrap();
    let rec = Recording::open(&dir).unwrap();
    assert_eq!(rec.len(), seen.len() - 1);
    // Garbage after a whole frame (a torn write of the next one's head).
    let mut torn = full[..cut].to_vec();
    torn.extend_from_slice(&[0xff; 7]);
    std::fs::write(&file, &torn).unwrap();
    assert_eq!(Recording::open(&dir).unwrap().len(), seen.len() - 1);
}

/// A recording from an older redeye: its snapshots lack the fields added
/// since (latency, advisor, keys, persistence details). It opens, replays,
/// and the missing parts are empty.
#[test]
fn an_old_recording_still_opens() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recording-v1.redeye");
    let rec = Recording::open(&path).unwrap();
    assert_eq!(rec.len(), 3);
    let f = rec.frame(2).unwrap();
    assert_eq!(f.snapshot.profile, "production");
    assert_eq!(f.snapshot.streams[0].name, "webhook_events");
    assert!(f.snapshot.latency.is_none() && f.snapshot.keys.is_none());
    assert_eq!(f.log.entries.len(), 1);
    // And in the dashboard's JSON lines.
    let home = Home::new();
    let o = home
        .redeye()
        .args(["replay", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o).1);
    assert_eq!(out(&o).0.lines().count(), 3);
}

#[test]
fn retention_deletes_the_oldest_days_first() {
    let home = Home::new();
    let dir = home.dir.path();
    let now = redeye::time::now_ms();
    let days: Vec<String> = (0..6u64).rev().map(|d| day(now - d * 86_400_000)).collect();
    for d in &days {
        std::fs::write(dir.join(format!("{d}.redeye")), vec![0u8; 1000]).unwrap();
        std::fs::write(dir.join(format!("{d}.idx")), vec![0u8; 24]).unwrap();
    }
    // Keep 3 days: the three oldest go.
    let gone = redeye::record::retain(dir, now, Duration::from_secs(3 * 86_400), u64::MAX);
    let names: Vec<String> = gone
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(names, days[..2].to_vec(), "older than 3 days, oldest first");
    // A size limit: oldest first until under it; today's file stays.
    let gone = redeye::record::retain(dir, now, Duration::from_secs(30 * 86_400), 2_100);
    let names: Vec<String> = gone
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into())
        .collect();
    assert_eq!(names, days[2..4].to_vec());
    assert!(dir.join(format!("{}.redeye", days[5])).exists());
    assert!(
        !dir.join(format!("{}.idx", days[2])).exists(),
        "its index goes with it"
    );
}

/// Every decompressed frame of a recording directory, as bytes.
fn decompressed(dir: &std::path::Path) -> Vec<u8> {
    let rec = Recording::open(dir).unwrap();
    let mut all = Vec::new();
    for i in 0..rec.len() {
        let f = rec.frame(i).unwrap();
        all.extend(serde_json::to_vec(&f).unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_payload_and_no_password_reach_the_store_unless_asked() {
    let srv = Server::builder()
        .password()
        .conf("slowlog-log-slower-than 0")
        .start();
    let mut c = srv.client();
    for i in 0..3 {
        let _: String = redis::cmd("XADD")
            .arg("jobs:dlq")
            .arg("*")
            .arg("original_stream")
            .arg("jobs")
            .arg("error")
            .arg("boom")
            .arg("event")
            .arg(format!("SECRET-PAYLOAD-{i}"))
            .query(&mut c)
            .unwrap();
    }
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("SECRET-VALUE")
        .query(&mut c)
        .unwrap();
    let mut p = profile(&srv.addr());
    p.password = Some(redeye::secret::Secret::new(common::ADMIN_PASSWORD));
    p.refresh = Duration::from_millis(300);
    p.streams.streams = vec![redeye::config::StreamSpec {
        name: "jobs".into(),
        groups: vec![],
    }];
    let needs = || Needs {
        dlq: Some(("jobs:dlq".into(), redeye::collect::PageEnd::Newest)),
        ..Default::default()
    };
    let home = Home::new();
    let dir = home.dir.path().join("plain");
    let seen = record_for(p.clone(), 2, &dir, false, needs()).await;
    assert!(
        seen.iter()
            .any(|s| s.dlq_page.as_ref().is_some_and(|d| !d.entries.is_empty())),
        "the DLQ page was polled"
    );
    let text = decompressed(&dir);
    let has = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has(&text, "SECRET-PAYLOAD"), "no DLQ body in the store");
    assert!(
        !has(&text, "SECRET-VALUE"),
        "no slow command's value in the store"
    );
    assert!(has(&text, "original_stream"), "the DLQ metadata is kept");
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let raw = std::fs::read(f.path()).unwrap();
        assert!(!has(&raw, common::ADMIN_PASSWORD));
    }
    assert!(
        !has(&text, common::ADMIN_PASSWORD),
        "no password, compressed or not"
    );
    // Asked for: the bodies are there.
    let dir = home.dir.path().join("payloads");
    record_for(p, 2, &dir, true, needs()).await;
    assert!(has(&decompressed(&dir), "SECRET-PAYLOAD"));
}

/// Writes the old-recording fixture (run by hand: `cargo test --test
/// timeline write_old_fixture -- --ignored`). Its frames are what a redeye
/// before the insight panes wrote: snapshots without `latency`, `advisor`,
/// `keys`, and persistence with the first nine fields only.
#[test]
#[ignore]
fn write_old_fixture() {
    let snap = |i: u64| {
        serde_json::json!({
            "schema": 1, "taken_at_ms": 1_795_600_000_000u64 + i * 1000, "profile": "production",
            "endpoint": "10.0.4.21:6379", "mode": "standalone", "round_trips": 1,
            "server": {"version": "7.0.15", "mode": "standalone", "role": "master", "uptime_seconds": 100 + i,
                       "os": "Linux", "connected_replicas": 0, "repl_offset": 0, "master_link_status": null, "replicas": []},
            "memory": null, "clients": null, "stats": null,
            "persistence": {"loading": false, "aof_enabled": false, "aof_rewrite_in_progress": false,
                "aof_last_write_status": "ok", "aof_last_bgrewrite_status": "ok", "rdb_bgsave_in_progress": false,
                "rdb_last_bgsave_status": "ok", "rdb_changes_since_last_save": 3, "rdb_last_save_time": 1_795_599_000u64},
            "keyspace": [], "config": null,
            "streams": [{"name": "webhook_events", "configured": true, "exists": true, "length": 10 + i,
                "first_id": null, "last_id": null, "last_generated_id": null, "max_deleted_entry_id": null,
                "entries_added": 10 + i, "groups": [], "dlq": null}],
            "slowlog": null, "problems": [], "nodes": [],
            "deployment": {"mode": "standalone", "master": "10.0.4.21:6379"}
        })
    };
    let frame = |i: u64| {
        serde_json::json!({
            "schema": 1, "snapshot": snap(i), "alerts": [],
            "log": {"entries": [{"level": "warn", "subject": "memory", "first": "memory at 81% of maxmemory",
                                  "last": "memory at 82% of maxmemory", "raised_ms": 1_795_600_000_000u64, "cleared_ms": null}]}
        })
    };
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recording-v1.redeye");
    let mut out = Vec::new();
    out.extend_from_slice(b"REDEYE-REC");
    out.extend_from_slice(&1u16.to_le_bytes());
    for i in 0..3 {
        let mut cbor = Vec::new();
        ciborium::into_writer(&frame(i), &mut cbor).unwrap();
        let z = zstd::encode_all(cbor.as_slice(), 3).unwrap();
        out.extend_from_slice(&(z.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&z).to_le_bytes());
        out.extend_from_slice(&(1_795_600_000_000u64 + i * 1000).to_le_bytes());
        out.extend_from_slice(&z);
    }
    std::fs::write(path, out).unwrap();
}

/// Replay in a terminal: the header's time moves back with `t`, and the
/// Streams pane shows the lag as it was then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_in_a_terminal_steps_back_to_an_earlier_lag() {
    let srv = Server::plain();
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let addr = srv.addr();
    // Lag grows by one entry every 100 ms while recording.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let mut c = srv.client();
    let feeder = std::thread::spawn(move || {
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            let _: String = redis::cmd("XADD")
                .arg("orders")
                .arg("*")
                .arg("n")
                .arg(1)
                .query(&mut c)
                .unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let mut p = profile(&addr);
    p.refresh = Duration::from_millis(500);
    p.streams.streams = vec![redeye::config::StreamSpec {
        name: "orders".into(),
        groups: vec![redeye::config::GroupSpec {
            name: "billing".into(),
        }],
    }];
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    let seen = record_for(p, 4, &dir, false, Needs::default()).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    feeder.join().unwrap();
    let lag = |s: &redeye::model::Snapshot| s.streams[0].groups[0].lag.unwrap();
    let (last, before) = (&seen[seen.len() - 1], &seen[seen.len() - 3]);
    assert!(lag(last) > lag(before));

    let tmux = format!("redeye-replay-{}", std::process::id());
    let t = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &tmux])
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)")
    };
    let screen =
        || String::from_utf8_lossy(&t(&["capture-pane", "-p", "-t", "r"]).stdout).into_owned();
    let wait = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = screen();
            if s.contains(what) {
                return s;
            }
            assert!(Instant::now() < deadline, "`{what}` never appeared:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let bin = assert_cmd::cargo::cargo_bin("redeye");
    t(&[
        "new-session",
        "-d",
        "-s",
        "r",
        "-x",
        "140",
        "-y",
        "30",
        &format!(
            "TZ=UTC HOME={} {} replay {}",
            home.dir.path().display(),
            bin.display(),
            dir.display()
        ),
    ]);
    let clock = |ms: u64| {
        let secs = ms / 1000;
        format!(
            "{:02}:{:02}:{:02}",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        )
    };
    wait(&format!("REPLAY {}", clock(last.taken_at_ms)));
    t(&["send-keys", "-t", "r", "4"]);
    // The Streams pane's header (the Overview's alert names the group too).
    let s = wait("BEHIND");
    let row = |s: &str| {
        s.lines()
            .find(|l| l.contains("orders") && l.contains("billing") && !l.contains("CRIT"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row(&s).contains(&lag(last).to_string()),
        "lag {} on screen:\n{s}",
        lag(last)
    );
    t(&["send-keys", "-t", "r", "t"]);
    t(&["send-keys", "-t", "r", "t"]);
    // Frames are 500 ms apart and the clock shows seconds: wait for the
    // frame counter two back, then check the time too.
    let s = wait(&format!("◂ ▸ {}/{}", seen.len() - 2, seen.len()));
    assert!(
        s.contains(&format!("REPLAY {}", clock(before.taken_at_ms))),
        "{s}"
    );
    assert!(
        row(&s)
            .split_whitespace()
            .any(|w| w == lag(before).to_string()),
        "two samples back, lag {}:\n{s}",
        lag(before)
    );
    // Writes are off in a replay.
    t(&["send-keys", "-t", "r", "5"]);
    t(&["send-keys", "-t", "r", "a"]);
    wait("writes are disabled");
    t(&["send-keys", "-t", "r", "q"]);
    t(&["kill-server"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_json_into_a_reader_that_goes_away_ends_quietly() {
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    small_recording(&dir, 2).await;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_redeye"))
        .args(["replay", dir.to_str().unwrap(), "--json"])
        .env("HOME", home.dir.path())
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The consumer-health figures are part of what is recorded: a replayed
/// frame has the time behind, rates and status the dashboard had, and
/// `replay --json` prints them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_figures_survive_a_recording_and_a_replay() {
    let srv = Server::plain();
    for _ in 0..30 {
        srv.run(&["XADD", "orders", "*", "n", "1"]);
    }
    srv.run(&["XGROUP", "CREATE", "orders", "billing", "0"]);
    srv.run(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "c1",
        "COUNT",
        "10",
        "STREAMS",
        "orders",
        ">",
    ]);
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    let p = common::local_profile(
        &srv.addr(),
        Duration::from_millis(200),
        &[("orders", &["billing"])],
    );
    let seen = record_for(p, 2, &dir, false, Needs::default()).await;
    let last = seen.last().unwrap();
    let g = |s: &redeye::model::Snapshot| {
        s.streams[0]
            .groups
            .iter()
            .find(|g| g.name == "billing")
            .cloned()
            .unwrap()
    };
    let live = g(last);
    assert!(live.behind_ms.is_some_and(|b| b > 0), "{live:?}");
    assert!(
        live.health.status.is_some() && live.health.window_s.is_some(),
        "{live:?}"
    );
    let rec = Recording::open(&dir).unwrap();
    let frame = rec.frame(rec.len() - 1).unwrap();
    let replayed = g(&frame.snapshot);
    assert_eq!(replayed.behind_ms, live.behind_ms);
    assert_eq!(replayed.first_undelivered_id, live.first_undelivered_id);
    assert_eq!(replayed.health, live.health);
    let o = home
        .redeye()
        .args(["replay", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let (text, err) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let j = &line["streams"][0]["groups"][0];
    assert_eq!(j["behind_ms"].as_u64(), live.behind_ms, "{j}");
    assert!(j["status"].is_string(), "{j}");
}

/// What redeye writes is its user's only: a recording's day file, its
/// index, its directory and an export are 0600 / 0700 under the usual
/// umask 022 (they were 0644 / 0755, readable by every user of a shared
/// bastion).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_and_exports_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let dir = home.dir.path().join("rec/t");
    small_recording(&dir, 1).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&home.dir.path().join("rec")), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(files.len() >= 2, "a day file and its index: {files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let file = home.dir.path().join("incident.redeye");
    let o = home
        .redeye()
        .args(["record", "export", "--input", dir.to_str().unwrap(), "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o).1);
    assert_eq!(mode(&file), 0o600);
}

/// `n` frames of the sample snapshot, `step_ms` apart from `start`, handed
/// to `rec`.
fn synthetic_frames(rec: &Recorder, start: u64, step_ms: u64, n: u64) {
    for i in 0..n {
        let mut s = redeye::ui::sample::snapshot(0, i);
        s.taken_at_ms = start + i * step_ms;
        rec.record(
            &Arc::new(s),
            &[],
            &redeye::model::alerts::AlertLog::default(),
        );
    }
}

/// Two dashboards recording one profile at once (two engineers on one
/// bastion): the second records to a file of its own (today's file is
/// locked by the first), so no frame is interleaved with another; replay
/// reads every frame of both, in time order, none damaged, and `record
/// info` lists both files.
#[test]
fn two_recorders_of_one_profile_never_share_a_file() {
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    let start = redeye::time::now_ms() - 60_000;
    let open =
        || Recorder::start(dir.clone(), Duration::from_secs(86_400), 1 << 30, false).unwrap();
    let (a, b) = (open(), open());
    for round in 0..12u64 {
        synthetic_frames(&a, start + round * 1000, 1, 1);
        synthetic_frames(&b, start + round * 1000 + 500, 1, 1);
    }
    a.flush();
    b.flush();
    let rec = Recording::open(&dir).unwrap();
    assert_eq!(rec.len(), 24);
    assert_eq!(rec.damaged(), 0);
    assert_eq!(rec.files().len(), 2, "{:?}", rec.files());
    let times: Vec<u64> = (0..rec.len()).map(|i| rec.time(i)).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    for i in 0..rec.len() {
        rec.frame(i).unwrap_or_else(|e| panic!("frame {i}: {e}"));
    }
    drop((a, b));
    let o = home
        .redeye()
        .args(["record", "info", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let (text, err) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("file ")).count(),
        2,
        "{text}"
    );
}

/// One flipped byte in the third of 24 frames: replay skips that frame,
/// says so once, and shows every other one — found through the index, and
/// without it (a scan that finds the next intact frame past the damage).
#[test]
fn a_damaged_frame_is_skipped_and_the_rest_replays() {
    let home = Home::new();
    let dir = home.dir.path().join("rec");
    let rec = Recorder::start(dir.clone(), Duration::from_secs(86_400), 1 << 30, false).unwrap();
    synthetic_frames(&rec, redeye::time::now_ms() - 60_000, 1000, 24);
    rec.flush();
    drop(rec);
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "redeye"))
        .unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    // The middle of the third frame (frames are about the same size).
    let frame = (bytes.len() - 12) / 24;
    bytes[12 + 2 * frame + frame / 2] ^= 0x10;
    std::fs::write(&file, &bytes).unwrap();
    let replay = || {
        let o = home
            .redeye()
            .args(["replay", dir.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        let (text, err) = out(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        (text.lines().count(), err)
    };
    let (shown, err) = replay();
    assert_eq!(shown, 23, "{err}");
    assert_eq!(err.matches("skipped 1 damaged frames").count(), 1, "{err}");
    std::fs::remove_file(file.with_extension("idx")).unwrap();
    let (shown, err) = replay();
    assert!(shown >= 22, "{shown}: {err}");
    assert_eq!(err.matches("skipped 1 damaged frames").count(), 1, "{err}");
}
