//! One file per pane. Each `draw` reads [`App`](crate::ui::app::App) only.

pub mod clients;
pub mod dlq;
pub mod memory;
pub mod overview;
pub mod pending;
pub mod slowlog;
pub mod streams;

use crate::ui::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

/// A bordered block with a title (highlighted when `focused`).
pub fn block<'a>(app: &App, title: String, focused: bool) -> Block<'a> {
    let b = Block::bordered().title(Span::styled(format!(" {title} "), app.theme.title()));
    if focused {
        b.border_style(app.theme.accent())
    } else {
        b.border_style(app.theme.dim())
    }
}

/// A table with a header and a selected row.
#[allow(clippy::too_many_arguments)]
pub fn table(
    f: &mut Frame,
    area: Rect,
    app: &App,
    title: String,
    header: &[&str],
    rows: Vec<Row>,
    widths: &[Constraint],
    selected: Option<usize>,
) {
    let n = rows.len();
    let t = Table::new(rows, widths.to_vec())
        .header(Row::new(header.iter().map(|h| h.to_string())).style(app.theme.title()))
        .row_highlight_style(app.theme.selected())
        .block(block(app, title, false));
    let mut state = TableState::default().with_selected(selected.filter(|_| n > 0));
    f.render_stateful_widget(t, area, &mut state);
}

/// The rows of a table that fit in `area` (borders and header take 3 lines),
/// scrolled so that `selected` is visible. Only these rows are built: a pane
/// with thousands of rows costs what a screenful costs.
pub fn window(total: usize, selected: usize, area: Rect) -> std::ops::Range<usize> {
    let fit = (area.height as usize).saturating_sub(3).max(1);
    let start = selected
        .min(total.saturating_sub(1))
        .saturating_sub(fit - 1);
    start..(start + fit).min(total)
}

/// A centred hint inside an area (no data yet, not permitted, ...).
pub fn empty(f: &mut Frame, area: Rect, app: &App, title: String, msg: &str, style: Style) {
    let p = Paragraph::new(Line::from(Span::styled(msg.to_string(), style)))
        .block(block(app, title, false));
    f.render_widget(p, area);
}

pub use crate::format::cut;

/// The problem message for a section, if the snapshot has one.
pub fn problem(app: &App, section_part: &str) -> Option<String> {
    app.snapshot()?
        .problems
        .iter()
        .find(|p| p.section.contains(section_part))
        .map(|p| p.message.clone())
}
