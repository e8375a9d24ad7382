//! The dashboard: app state and keys (`app`), drawing (`render`, `panes`),
//! popups (`detail`), themes, and the event loop (`run`).

pub mod app;
pub mod detail;
pub mod panes;
pub mod render;
pub mod run;
pub mod sample;
pub mod theme;
pub mod view;
pub mod write;
