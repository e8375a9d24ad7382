//! What a key asks of the world outside the pane: the event loop's work
//! (refresh, writes, samples, …) and moves between panes, which `App`
//! carries out. Here, beside the pane list, so that `view` need not know
//! which panes exist.

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    Refresh,
    Pause(bool),
    Interval(std::time::Duration),
    SwitchProfile(String),
    FetchEntry {
        stream: crate::model::Name,
        id: String,
    },
    /// A confirmed write, to run in the background.
    Write(crate::ui::write::WriteOp),
    /// Count on the server what a write would cover, then confirm it.
    Resolve(crate::ui::write::Resolve),
    /// Sample the server's commands with MONITOR for this long.
    Sample(std::time::Duration),
    /// Replay: move the cursor.
    Replay(crate::ui::view::ReplayMove),
    /// Open this pane (a pane asks; `App` switches, leaving and entering).
    Open(super::Pane),
    /// Open the Pending pane on this group.
    OpenGroup {
        stream: crate::model::Name,
        group: crate::model::Name,
    },
}
