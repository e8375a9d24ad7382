//! Frame time with recording on and off: one refresh as the dashboard
//! handles it (a new snapshot into the history and alerts, the hand-over to
//! the recorder when on, a full frame drawn at 200x60) with 1,000 streams.
//! The recorder's thread encodes and writes meanwhile, on the other core.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redeye::ui::app::App;
use redeye::ui::sample::{NOW_MS, snapshot};
use redeye::ui::theme::Theme;
use std::sync::Arc;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let snaps: Vec<Arc<redeye::model::Snapshot>> =
        (0..64).map(|i| Arc::new(snapshot(1000, i))).collect();
    let dir = tempfile::tempdir().unwrap();
    for on in [false, true] {
        let rec = on.then(|| {
            redeye::record::Recorder::start(
                dir.path().to_path_buf(),
                Duration::from_secs(86_400),
                u64::MAX,
                false,
            )
            .unwrap()
        });
        let mut a = App::new(
            redeye::ui::sample::profile_info(),
            Theme::default_dark(),
            Duration::from_secs(1),
        );
        a.now_ms = NOW_MS;
        let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let mut i = 0usize;
        c.bench_function(
            &format!(
                "refresh + frame, 1000 streams, recording {}",
                if on { "on" } else { "off" }
            ),
            |b| {
                b.iter(|| {
                    let s = snaps[i % snaps.len()].clone();
                    i += 1;
                    a.on_snapshot(s.clone());
                    if let Some(r) = &rec {
                        r.record(&s, &a.alerts, &a.log);
                    }
                    term.draw(|f| redeye::ui::render::draw(f, &a)).unwrap();
                })
            },
        );
        if let Some(r) = rec {
            r.flush();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
