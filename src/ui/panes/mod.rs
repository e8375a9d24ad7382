//! The panes, one module each, and the one list of them.
//!
//! A pane module owns its state (`State`), its rows, its keys and their help
//! lines (`KEYS`: the same table handles the key and writes the help), what
//! it asks the collector for (`needs`), what happens when it is opened and
//! left (`enter`, `leave`), and its drawing (`draw`). It starts with
//! `pub use super::defaults::*;` and defines only what it has:
//!
//! ```text
//! pub const TITLE: &str;                  tab bar, `:` command, help title (required)
//! pub fn draw(f: &mut Frame, area: Rect, cx: &Cx);                      (required)
//! pub const SORTS: &[&str];               what `s` cycles through     (default: none)
//! pub const KEYS: &[Key];                 the pane's own keys, with help  (none)
//! pub const LEGEND: &[(&str, &str)];      its symbols and columns, explained (none)
//! #[derive(Default)] pub struct State;    what only this pane keeps       (none)
//! pub fn rows(cx: &Cx) -> usize;          rows the cursor moves over      (0)
//! pub fn needs(cx: &Cx, n: &mut Needs);   collector needs while it is open (none)
//! pub fn enter(cx: &mut CxMut);           when it is opened               (nothing)
//! pub fn leave(cx: &mut CxMut);           when another pane is opened     (nothing)
//! ```
//!
//! A pane never calls into another pane: it returns `Effect::Open(Pane)` or
//! `Effect::OpenGroup` and `App` moves; what several panes read is in
//! `shared.rs`. Pane numbers in text come from [`Pane::named`].
//!
//! Adding a pane: one new file, and one line in `panes!` below.

use crate::collect::collector::Needs;
use crate::model::Section;
use crate::ui::view::{List, View};
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;

macro_rules! panes {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Which pane, in tab order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Pane { $($variant),* }

        impl Pane {
            pub const COUNT: usize = [$(stringify!($variant)),*].len();
            pub const ALL: [Pane; Pane::COUNT] = [$(Pane::$variant),*];

            pub fn title(self) -> &'static str {
                match self { $(Pane::$variant => $module::TITLE),* }
            }
            /// Sort orders the pane offers (`s` cycles).
            pub fn sorts(self) -> &'static [&'static str] {
                match self { $(Pane::$variant => $module::SORTS),* }
            }
            /// The pane's own keys (help is written from the same table).
            pub fn keys(self) -> &'static [Key] {
                match self { $(Pane::$variant => $module::KEYS),* }
            }
            /// What the pane's symbols, colours and column names mean.
            pub fn legend(self) -> &'static [(&'static str, &'static str)] {
                match self { $(Pane::$variant => $module::LEGEND),* }
            }
            pub fn rows(self, cx: &Cx) -> usize {
                match self { $(Pane::$variant => $module::rows(cx)),* }
            }
            pub fn needs(self, cx: &Cx, n: &mut Needs) {
                match self { $(Pane::$variant => $module::needs(cx, n)),* }
            }
            fn enter(self, cx: &mut CxMut) {
                match self { $(Pane::$variant => $module::enter(cx)),* }
            }
            fn leave(self, cx: &mut CxMut) {
                match self { $(Pane::$variant => $module::leave(cx)),* }
            }
            pub fn draw(self, f: &mut Frame, area: Rect, cx: &Cx) {
                match self { $(Pane::$variant => $module::draw(f, area, cx)),* }
            }
        }

        /// Every pane's own state.
        #[derive(Default)]
        pub struct States { $(pub $module: $module::State),* }
    };
}

pub mod defaults;
mod effect;
pub mod shared;

pub use effect::Effect;

panes! {
    Overview => overview,
    Memory => memory,
    Clients => clients,
    Streams => streams,
    Pending => pending,
    Dlq => dlq,
    Slowlog => slowlog,
    Sentinel => sentinel,
    Nodes => nodes,
    Keys => keys,
    Persistence => persistence,
    Latency => latency,
    Advisor => advisor,
    Commands => commands,
    Alerts => alerts,
}

impl Pane {
    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The number its digit key opens: `1`-`9`, then 10-15 by `0` and the
    /// last digit (`0 0` = 10, `0 5` = 15). The same in every deployment: a
    /// pane that does not apply leaves its number unused.
    pub fn number(self) -> usize {
        self.index() + 1
    }

    /// The keys that open it, as the help and the palette say them.
    pub fn key_text(self) -> String {
        let n = self.number();
        if n <= 9 {
            n.to_string()
        } else {
            format!("0 {}", n - 10)
        }
    }

    /// Whether the pane can show anything on a deployment of this mode:
    /// Sentinel only on Sentinel, Nodes only on a cluster.
    pub fn applies(self, mode: crate::model::Mode) -> bool {
        use crate::model::Mode;
        match self {
            Pane::Sentinel => mode == Mode::Sentinel,
            Pane::Nodes => mode == Mode::Cluster,
            _ => true,
        }
    }

    /// A short title for a narrow tab bar (at most 4 letters).
    pub fn short(self) -> &'static str {
        match self {
            Pane::Overview => "Over",
            Pane::Memory => "Mem",
            Pane::Clients => "Cli",
            Pane::Streams => "Strm",
            Pane::Pending => "Pend",
            Pane::Dlq => "DLQ",
            Pane::Slowlog => "Slow",
            Pane::Sentinel => "Sent",
            Pane::Nodes => "Node",
            Pane::Keys => "Keys",
            Pane::Persistence => "Pers",
            Pane::Latency => "Lat",
            Pane::Advisor => "Adv",
            Pane::Commands => "Cmd",
            Pane::Alerts => "Alrt",
        }
    }

    /// What the pane shows, in one line (the palette's description).
    pub fn about(self) -> &'static str {
        match self {
            Pane::Overview => "the deployment at a glance: a tile per concern, worst first",
            Pane::Memory => "used memory, fragmentation, evictions, per node",
            Pane::Clients => "connected clients, blocked, buffers; which are redeye",
            Pane::Streams => "every group: status, time behind, lag, rates, ETA",
            Pane::Pending => "a group's pending entries and its consumers; claim, requeue, ack",
            Pane::Dlq => "dead-letter queues and their entries; requeue, delete, purge",
            Pane::Slowlog => "the slow log, newest first",
            Pane::Sentinel => "sentinels, the master they agree on, failovers",
            Pane::Nodes => "cluster nodes, slots, replicas, state",
            Pane::Keys => "key families by prefix: count, memory, TTL",
            Pane::Persistence => "RDB / AOF state, last save, fork time",
            Pane::Latency => "latency events and their history",
            Pane::Advisor => "configuration findings with their fix",
            Pane::Commands => "a short MONITOR sample: which commands, from whom",
            Pane::Alerts => "the alert log: raised, peak, escalations, cleared",
        }
    }

    /// "Streams (4)": the pane as text names it.
    pub fn named(self) -> String {
        format!("{} ({})", self.title(), self.number())
    }

    pub fn by_title(name: &str) -> Option<Pane> {
        Pane::ALL
            .into_iter()
            .find(|p| p.title().eq_ignore_ascii_case(name))
    }

    /// The panes the tab bar shows for a deployment of this mode, in order.
    pub fn shown(mode: crate::model::Mode) -> Vec<Pane> {
        Pane::ALL.into_iter().filter(|p| p.applies(mode)).collect()
    }
}

/// One key binding: what the help shows, which keys match, what it does.
pub struct Key {
    /// The keys as the help shows them (`space`, `c a R`, ...).
    pub keys: &'static str,
    pub help: &'static str,
    pub on: fn(KeyCode) -> bool,
    /// `None`: this entry is help only (a note, or handled by the list keys).
    pub run: Option<fn(&mut CxMut, KeyCode) -> Vec<Effect>>,
}

/// Help lines from a key table.
pub fn help(keys: &[Key]) -> Vec<String> {
    keys.iter()
        .map(|k| format!("{:<12} {}", k.keys, k.help))
        .collect()
}

/// What a pane reads: the shared view, every pane's state and list.
pub struct Cx<'a> {
    pub view: &'a View,
    pub panes: &'a States,
    pub lists: &'a [List; Pane::COUNT],
    pub pane: Pane,
}

impl std::ops::Deref for Cx<'_> {
    type Target = View;
    fn deref(&self) -> &View {
        self.view
    }
}

impl<'a> Cx<'a> {
    pub fn selected(&self, pane: Pane) -> usize {
        self.lists[pane.index()].selected
    }
    pub fn filter(&self, pane: Pane) -> &'a str {
        &self.lists[pane.index()].filter
    }
    pub fn sort(&self, pane: Pane) -> usize {
        self.lists[pane.index()].sort
    }
}

/// What a pane's key handler may change.
pub struct CxMut<'a> {
    pub view: &'a mut View,
    pub panes: &'a mut States,
    pub lists: &'a mut [List; Pane::COUNT],
    pub pane: &'a mut Pane,
}

impl std::ops::Deref for CxMut<'_> {
    type Target = View;
    fn deref(&self) -> &View {
        self.view
    }
}

impl std::ops::DerefMut for CxMut<'_> {
    fn deref_mut(&mut self) -> &mut View {
        self.view
    }
}

impl CxMut<'_> {
    /// A read-only view of the same state.
    pub fn cx(&self) -> Cx<'_> {
        Cx {
            view: self.view,
            panes: self.panes,
            lists: self.lists,
            pane: *self.pane,
        }
    }

    pub fn list(&mut self, pane: Pane) -> &mut List {
        &mut self.lists[pane.index()]
    }

    /// Move the selection of the open pane by `delta` rows.
    pub fn move_sel(&mut self, delta: isize) {
        let pane = *self.pane;
        let n = pane.rows(&self.cx());
        let l = self.list(pane);
        if n == 0 {
            l.selected = 0;
            return;
        }
        l.selected = (l.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    /// Open a pane: the current one's `leave` (marks are cleared), then the
    /// new one's `enter`.
    pub fn switch(&mut self, to: Pane) {
        let from = *self.pane;
        if to != from {
            self.view.marks.clear();
            self.view.select_all = false;
            from.leave(self);
        }
        to.enter(self);
        *self.pane = to;
        self.view.status = None;
    }

    /// Clamp every selection to its pane's rows (after new data).
    pub fn clamp(&mut self) {
        for p in Pane::ALL {
            let n = p.rows(&self.cx());
            let l = self.list(p);
            if l.selected >= n {
                l.selected = n.saturating_sub(1);
            }
        }
    }

    /// What a write key acts on: the marked ids; else, with a filter, every
    /// row the filter shows (with the scope line naming the filter); else
    /// the selected row. `None` (and the status says so) when nothing is.
    pub fn targets(&mut self, rows: Vec<String>) -> Option<(Vec<String>, Option<String>)> {
        if !self.view.marks.is_empty() {
            return Some((self.view.marks.iter().cloned().collect(), None));
        }
        let l = &self.lists[self.pane.index()];
        let (ids, scope) = if l.filter.is_empty() {
            (rows.into_iter().nth(l.selected).into_iter().collect(), None)
        } else {
            let scope = format!(
                "the {} rows filter '{}' shows on this page (* selects every match on the server)",
                rows.len(),
                crate::sanitize::text(&l.filter)
            );
            (rows, Some(scope))
        };
        if ids.is_empty() {
            self.status = Some("nothing selected".into());
            return None;
        }
        Some((ids, scope))
    }

    /// `*`: every entry on the server that the filter matches (`what`
    /// names them), or back to the marks and the rows shown.
    pub fn toggle_select_all(&mut self, what: &str) {
        self.view.select_all = !self.view.select_all;
        self.view.marks.clear();
        self.status = Some(if self.view.select_all {
            format!(
                "every matching {what} on the server is selected (counted when you press a write key; * again: off)"
            )
        } else {
            "selection: the marked entries, else the rows shown".into()
        });
    }

    /// PgDn / PgUp in a list the server pages: at the last row PgDn asks for
    /// the page after `last` (pushed on `stack`), at the first row PgUp goes
    /// back a page; elsewhere they move by ten rows.
    pub fn server_page(
        &mut self,
        k: KeyCode,
        last: Option<String>,
        stack: fn(&mut States) -> &mut Vec<String>,
    ) -> Vec<Effect> {
        let pane = *self.pane;
        let n = pane.rows(&self.cx());
        let sel = self.lists[pane.index()].selected;
        match k {
            KeyCode::PageDown if sel + 1 >= n => {
                if let Some(last) = last {
                    stack(self.panes).push(last);
                    self.list(pane).selected = 0;
                    return vec![Effect::Refresh];
                }
            }
            KeyCode::PageUp if sel == 0 && !stack(self.panes).is_empty() => {
                stack(self.panes).pop();
                return vec![Effect::Refresh];
            }
            _ => {}
        }
        self.move_sel(if k == KeyCode::PageDown { 10 } else { -10 });
        vec![]
    }

    /// Toggle the mark on the selected row's id (of the ids the open pane
    /// shows, in order) and move down.
    /// Mark or unmark the selected row (marking ends a `*` select-all:
    /// the marks are the set again).
    pub fn toggle_mark(&mut self, shown: Vec<String>) {
        self.view.select_all = false;
        let selected = self.lists[self.pane.index()].selected;
        if let Some(id) = shown.into_iter().nth(selected)
            && !self.view.marks.remove(&id)
        {
            self.view.marks.insert(id);
        }
        self.move_sel(1);
    }
}

// ---- drawing helpers shared by the panes ------------------------------------------

/// What the write keys act on, in a table's title: ` · 3 marked`, or
/// ` · ALL matching on the server (*)`; nothing for the selected row.
pub fn selection_note(app: &Cx) -> String {
    if app.select_all {
        " · ALL matching on the server selected (*)".into()
    } else if app.marks.is_empty() {
        String::new()
    } else {
        format!(" · {} marked", app.marks.len())
    }
}

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

/// A bordered block with a title (highlighted when `focused`).
/// A bordered block. A focused one (the selected Overview tile, the
/// Pending table the arrows act on) says so without colour too: `→` and
/// its title in reverse video, readable under `NO_COLOR`.
pub fn block<'a>(view: &View, title: String, focused: bool) -> Block<'a> {
    if focused {
        Block::bordered()
            .title(Span::styled(
                format!(" → {title} "),
                view.theme
                    .title()
                    .add_modifier(ratatui::style::Modifier::REVERSED),
            ))
            .border_style(view.theme.accent())
    } else {
        Block::bordered()
            .title(Span::styled(format!(" {title} "), view.theme.title()))
            .border_style(view.theme.dim())
    }
}

/// A table with a header and a selected row.
#[allow(clippy::too_many_arguments)]
pub fn table(
    f: &mut Frame,
    area: Rect,
    view: &View,
    title: String,
    header: &[&str],
    rows: Vec<Row>,
    widths: &[Constraint],
    selected: Option<usize>,
) {
    let n = rows.len();
    let t = Table::new(rows, widths.to_vec())
        .header(Row::new(header.iter().map(|h| h.to_string())).style(view.theme.title()))
        .row_highlight_style(view.theme.selected())
        .block(block(view, title, false));
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
pub fn empty(f: &mut Frame, area: Rect, view: &View, title: String, msg: &str, style: Style) {
    let p = Paragraph::new(Line::from(Span::styled(msg.to_string(), style)))
        .wrap(ratatui::widgets::Wrap { trim: true })
        .block(block(view, title, false));
    f.render_widget(p, area);
}

pub use crate::format::cut;

/// A sparkline of `series` over the chart window (`w` cycles 10m / 1h / 6h
/// / 24h / 7d), ending at the data on screen; clock times on its bottom
/// border. Each column is the peak of its time slice (spikes stay visible).
/// `relative`: drawn above the window's minimum (shows variation).
#[allow(clippy::too_many_arguments)]
pub fn chart(
    f: &mut Frame,
    area: Rect,
    view: &View,
    title: String,
    series: &crate::model::series::Series,
    style: Style,
    focused: bool,
    relative: bool,
) {
    let (label, span) = crate::model::series::WINDOWS[view.window];
    let end = view
        .snapshot()
        .map(|s| s.taken_at_ms)
        .unwrap_or(view.now_ms);
    let cols = area.width.saturating_sub(2) as usize;
    let mut data = series.peaks(end, span, cols);
    if relative {
        let min = data.iter().copied().filter(|v| *v > 0).min().unwrap_or(0);
        data = data
            .iter()
            .map(|v| v.saturating_sub(min) + u64::from(*v > 0))
            .collect();
    }
    let day = span >= 86_400_000;
    let b = block(view, title, focused)
        .title_bottom(Line::from(crate::time::clock(end.saturating_sub(span), day)).left_aligned())
        .title_bottom(
            Line::from(Span::styled(format!(" {label} · w "), view.theme.dim())).centered(),
        )
        .title_bottom(Line::from(crate::time::clock(end, day)).right_aligned());
    f.render_widget(
        ratatui::widgets::Sparkline::default()
            .data(&data)
            .style(style)
            .block(b),
        area,
    );
}

/// The problem message for a section, if the snapshot has one.
pub fn problem(view: &View, section: Section) -> Option<String> {
    view.snapshot()?
        .problems
        .iter()
        .find(|p| p.section == section)
        .map(|p| p.message.clone())
}

/// Style for a value against warn/crit thresholds.
pub fn level_style(view: &View, v: f64, warn: f64, crit: f64) -> Style {
    if v >= crit {
        view.theme.crit()
    } else if v >= warn {
        view.theme.warn()
    } else {
        Style::default()
    }
}
