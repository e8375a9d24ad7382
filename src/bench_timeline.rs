//! `redeye bench --timeline`: the incident timeline's budgets, measured.
//!
//! - Memory: the dashboard's state (history at every resolution, alerts,
//!   the alert log, the collector's health tracker) after the equivalent of
//!   24 hours, fed synthetically:
//!   one snapshot every 10 s for 24 h (fills the 10 s and 1 min tiers),
//!   then one a second for the last 10 minutes (the 1 s tier). RSS of this
//!   process from /proc/self/status, before and after.
//! - Disk: bytes per recorded refresh, for the demo workload (a private
//!   redis-server, the demo's streams, polled every second for 30 s) and
//!   for synthetic snapshots of 1,000 streams × 3 groups.
//! - Replay: a 24 h recording (86,400 frames at 1 s) is written, opened,
//!   and 20 times a random time is reached: the frame at the cursor, and
//!   the whole jump with the charts' 10-minute history.

use crate::error::{Failure, Result};
use crate::model::Snapshot;
use crate::record::{Recorder, Recording};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The sample snapshot with `streams` streams of 3 groups each, at `at_ms`.
fn synthetic(streams: usize, at_ms: u64, shift: u64) -> Snapshot {
    let mut s = crate::ui::sample::snapshot(streams.saturating_sub(3), shift);
    s.taken_at_ms = at_ms;
    for st in &mut s.streams {
        let g = st.groups[0].clone();
        while st.groups.len() < 3 {
            let mut more = g.clone();
            more.name = g.name.with_suffix(&format!("-{}", st.groups.len()));
            st.groups.push(more);
        }
    }
    s
}

fn memory(streams: usize) -> (u64, u64, u64) {
    let before = rss_kib();
    let mut app = crate::ui::app::App::new(
        crate::ui::sample::profile_info(),
        crate::ui::theme::Theme::monochrome(),
        Duration::from_secs(1),
    );
    // The collector's health tracker lives in the same process.
    let mut tracker = crate::collect::health::Tracker::new(Duration::from_secs(60));
    let start = 1_795_000_000_000u64;
    let base = synthetic(streams, start, 0);
    let mut push = |at: u64, i: u64| {
        let mut s = base.clone();
        s.taken_at_ms = at;
        if let Some(st) = &mut s.stats {
            st.ops_per_sec = 10_000 + i % 977;
        }
        for (k, st) in s.streams.iter_mut().enumerate() {
            st.length += i % (k as u64 + 7);
            st.entries_added = st.entries_added.map(|e| e + i * 3);
        }
        tracker.observe(&mut s, Duration::from_secs(60));
        app.on_snapshot(Arc::new(s));
    };
    let day = 86_400_000u64;
    let mut i = 0;
    let mut at = start;
    while at < start + day - 600_000 {
        push(at, i);
        at += 10_000;
        i += 1;
    }
    while at < start + day {
        push(at, i);
        at += 1_000;
        i += 1;
    }
    let after = rss_kib();
    let buckets: usize = app.history.ops.buckets();
    drop(app);
    drop(tracker);
    (before, after, buckets as u64)
}

async fn demo_bytes(secs: u64, dir: &std::path::Path) -> Result<(u64, usize)> {
    let server = crate::demo::server::RedisProcess::start(&|_, _| vec![])?;
    let endpoint = crate::config::Endpoint::parse(&server.addr()).expect("own address");
    let settings = crate::demo::workload::Settings::default();
    let mut profile = crate::config::Profile::local("demo", crate::config::Origin::Demo, endpoint);
    profile.streams = crate::demo::workload::stream_settings(&settings);
    let mut tasks = crate::demo::workload::start(&profile, settings).await?;
    let rec = Recorder::start(
        dir.to_path_buf(),
        Duration::from_secs(86_400),
        u64::MAX,
        false,
    )?;
    let mut h = crate::collect::collector::spawn(profile.clone(), Default::default());
    // What the dashboard does with each refresh when it records.
    let mut app = crate::ui::app::App::for_profile(&profile, crate::ui::theme::Theme::monochrome());
    let end = Instant::now() + Duration::from_secs(secs);
    let mut frames = 0;
    while Instant::now() < end {
        if let Ok(Some(crate::collect::collector::FromCollector::Snapshot(s))) =
            tokio::time::timeout(Duration::from_secs(2), h.rx.recv()).await
        {
            app.on_snapshot(s.clone());
            rec.record(&s, &app.alerts, &app.log);
            frames += 1;
        }
    }
    rec.flush();
    tasks.abort_all();
    drop(server);
    Ok((dir_bytes(dir), frames))
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    crate::record::size(dir)
}

fn synthetic_bytes(streams: usize, frames: u64, dir: &std::path::Path) -> Result<u64> {
    let rec = Recorder::start(
        dir.to_path_buf(),
        Duration::from_secs(86_400),
        u64::MAX,
        false,
    )?;
    let log = crate::model::alerts::AlertLog::default();
    let start = crate::time::now_ms() - frames * 1000;
    for i in 0..frames {
        let s = synthetic(streams, start + i * 1000, i);
        rec.record(&Arc::new(s), &[], &log);
    }
    rec.flush();
    Ok(dir_bytes(dir))
}

pub async fn run(quick: bool) -> Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix("redeye-bench-")
        .tempdir()
        .map_err(|e| Failure::runtime(format!("cannot make a temp dir: {e}")))?;
    println!("== memory after 24 h of history (RSS of this process) ==");
    for streams in [100usize, 1000] {
        let (before, after, buckets) = memory(streams);
        println!(
            "{streams:>5} streams × 3 groups: RSS {:.1} MiB (was {:.1} MiB before; {buckets} buckets per series)",
            after as f64 / 1024.0,
            before as f64 / 1024.0
        );
    }
    println!("== bytes per recorded refresh ==");
    let secs = if quick { 10 } else { 30 };
    let (bytes, frames) = demo_bytes(secs, &tmp.path().join("demo")).await?;
    let per = bytes as f64 / frames.max(1) as f64;
    println!(
        "demo workload: {frames} refreshes, {bytes} bytes: {per:.0} bytes per refresh; 24 h at 1 s: {:.1} MiB",
        per * 86_400.0 / 1_048_576.0
    );
    let n = 60;
    let bytes = synthetic_bytes(1000, n, &tmp.path().join("s1000"))?;
    let per = bytes as f64 / n as f64;
    println!(
        "1,000 streams × 3 groups: {per:.0} bytes per refresh; 24 h at 1 s: {:.1} MiB",
        per * 86_400.0 / 1_048_576.0
    );
    println!("== replay of a 24 h recording ==");
    let frames = if quick { 8_640 } else { 86_400 };
    let dir = tmp.path().join("day");
    let started = Instant::now();
    synthetic_bytes(3, frames, &dir)?;
    println!(
        "wrote {frames} frames ({:.1} MiB) in {:.1} s",
        dir_bytes(&dir) as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let rec = Recording::open(&dir)?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut seek = Vec::new();
    let mut jump = Vec::new();
    let span = rec.last_ms() - rec.first_ms();
    for k in 0..20u64 {
        let target = rec.first_ms() + span * (k * 7919 % 20) / 20;
        let t = Instant::now();
        let i = rec.at(target);
        rec.frame(i)?;
        seek.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        crate::ui::replay::frames_for(&rec, i, 600_000)?;
        jump.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (s50, smax) = stat(&mut seek);
    let (j50, jmax) = stat(&mut jump);
    println!("open (index of {} frames): {open_ms:.1} ms", rec.len());
    println!("reach a time, the frame at the cursor: median {s50:.2} ms, max {smax:.2} ms");
    println!(
        "reach a time with the charts' 10 min history ({} frames): median {j50:.1} ms, max {jmax:.1} ms",
        crate::ui::replay::HISTORY_FRAMES.min(601)
    );
    Ok(())
}
