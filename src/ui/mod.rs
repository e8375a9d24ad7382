//! The dashboard: app state and keys (`app`), drawing (`render`, `panes`),
//! popups (`detail`), themes, and the event loops: live (`run`) and on a
//! recording (`replay`).

pub mod app;
pub mod detail;
pub mod fleet;
pub mod palette;
pub mod panes;
pub mod render;
pub mod replay;
pub mod run;
pub mod sample;
pub mod theme;
pub mod view;
pub mod write;
