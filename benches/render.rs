//! Render time of a full frame at 200x60 with 1,000 streams (target: < 2 ms),
//! and at 80x24, for the overview and the streams pane.

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use redeye::ui::app::App;
use redeye::ui::sample::{NOW_MS, snapshot};
use redeye::ui::theme::Theme;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn app(streams: usize) -> App {
    let info = redeye::ui::sample::profile_info();
    let mut a = App::new(info, Theme::default_dark(), Duration::from_secs(1));
    for shift in 0..120 {
        a.on_snapshot(Arc::new(snapshot(streams, shift)));
    }
    a.now_ms = NOW_MS + 121_000;
    a
}

fn bench(c: &mut Criterion) {
    for (pane_key, pane) in [('1', "overview"), ('4', "streams")] {
        for (w, h) in [(200u16, 60u16), (80, 24)] {
            let mut a = app(1000);
            a.handle_key(KeyEvent::new(KeyCode::Char(pane_key), KeyModifiers::NONE));
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            c.bench_function(&format!("render {pane} {w}x{h} 1000 streams"), |b| {
                b.iter(|| {
                    term.draw(|f| redeye::ui::render::draw(f, black_box(&a)))
                        .unwrap();
                })
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
