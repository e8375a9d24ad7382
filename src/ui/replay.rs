//! `redeye replay`: the same dashboard on a recording. A cursor instead of
//! a collector: each move reads the frame at the cursor (index, one seek)
//! and, as history, the frames of the charts' window before it (at most
//! [`HISTORY_FRAMES`], spread over the window). Writes are disabled.

use crate::error::{Failure, Result};
use crate::record::{Frame, Recording};
use crate::ui::app::{App, Effect, ProfileInfo, Replay, ReplayMove};
use crate::ui::render;
use crate::ui::theme::Theme;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::time::Duration;

/// Frames read as history on a jump.
pub const HISTORY_FRAMES: usize = 720;

/// The frames to show frame `i` with: up to [`HISTORY_FRAMES`] spread over
/// the `span_ms` before it, then `i` itself.
pub fn frames_for(rec: &Recording, i: usize, span_ms: u64) -> Result<Vec<Frame>> {
    let from = rec.at(rec.time(i).saturating_sub(span_ms));
    let n = i - from;
    let step = n.div_ceil(HISTORY_FRAMES).max(1);
    let mut idx: Vec<usize> = (from..i).step_by(step).collect();
    idx.push(i);
    // A damaged frame is left out of the history (the cursor's own frame,
    // if damaged, is the error).
    let last = idx.pop();
    let mut frames: Vec<Frame> = idx.into_iter().filter_map(|j| rec.frame(j).ok()).collect();
    if let Some(i) = last {
        match rec.frame(i) {
            Ok(f) => frames.push(f),
            // Damaged: the last good frame before it stands in.
            Err(e) if frames.is_empty() => return Err(e),
            Err(_) => {}
        }
    }
    Ok(frames)
}

/// Where a move takes the cursor (a frame index).
pub fn target(rec: &Recording, i: usize, m: ReplayMove) -> usize {
    let last = rec.len() - 1;
    match m {
        ReplayMove::Step(d) => (i as i64 + d).clamp(0, last as i64) as usize,
        ReplayMove::By(ms) => {
            let t = (rec.time(i) as i64 + ms).max(0) as u64;
            if ms > 0 {
                // Forward: the first frame at or after the time.
                rec.first_from(t).min(last)
            } else {
                rec.at(t)
            }
        }
        ReplayMove::Jump(t) => rec.at(t),
        ReplayMove::Play => i,
    }
}

pub async fn run(
    rec: Recording,
    start_ms: Option<u64>,
    info: ProfileInfo,
    theme: Theme,
) -> Result<()> {
    let mut app = App::new(info, theme, Duration::from_secs(1));
    let mut i = rec.at(start_ms.unwrap_or_else(|| rec.last_ms()));
    app.replay = Some(Replay {
        at_ms: rec.time(i),
        first_ms: rec.first_ms(),
        last_ms: rec.last_ms(),
        speed: 0,
        frame: i,
        frames: rec.len(),
    });
    let span = |app: &App| crate::model::series::WINDOWS[app.window].1;
    app.replay_show(frames_for(&rec, i, span(&app))?);
    let mut terminal = crate::ui::run::open_terminal()?;
    let result = async {
        let mut events = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut window = app.window;
        loop {
            terminal
                .draw(|f| render::draw(f, &app))
                .map_err(|e| Failure::runtime(format!("cannot draw to the terminal: {e}")))?;
            let mut moves = Vec::new();
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => {
                        for e in app.handle_key(k) {
                            match e {
                                Effect::Quit => return Ok(()),
                                Effect::Replay(m) => moves.push(m),
                                // Nothing else reaches a server in a replay.
                                _ => {}
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(Failure::runtime(format!("terminal input failed: {e}"))),
                    None => return Ok(()),
                },
                _ = tick.tick() => {
                    let speed = app.replay.as_ref().map(|r| r.speed).unwrap_or(0);
                    if speed > 0 {
                        moves.push(ReplayMove::By(100 * i64::from(speed)));
                    }
                }
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
            for m in moves {
                if m == ReplayMove::Play {
                    if let Some(r) = &mut app.replay {
                        r.speed = match r.speed {
                            0 => 1,
                            1 => 10,
                            10 => 60,
                            _ => 0,
                        };
                    }
                    continue;
                }
                let j = target(&rec, i, m);
                if j == i {
                    continue;
                }
                if j > i && j - i <= 60 {
                    // Onward a little: push the frames in between.
                    // Damaged frames in between are stepped over.
                    app.replay_push((i + 1..=j).filter_map(|k| rec.frame(k).ok()).collect());
                } else {
                    app.replay_show(frames_for(&rec, j, span(&app))?);
                }
                i = j;
                if let Some(r) = &mut app.replay {
                    r.frame = i;
                    if i + 1 == rec.len() {
                        r.speed = 0;
                    }
                }
            }
            // A new chart window needs the history of that window.
            if app.window != window {
                window = app.window;
                app.replay_show(frames_for(&rec, i, span(&app))?);
            }
        }
    }
    .await;
    ratatui::restore();
    result
}
