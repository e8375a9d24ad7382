//! redeye: a terminal dashboard for the on-call engineers of a Redis-backed
//! event system. The binary is a thin shell over this library so that tests and
//! benchmarks reach the internals.
//!
//! Data flows one way: `connect` → `collect` → `model` → output.

pub mod app;
pub mod bench;
pub mod bench_timeline;
pub mod check;
pub mod cli;
pub mod collect;
pub mod config;
pub mod connect;
pub mod demo;
pub mod error;
pub mod fleet;
pub mod format;
pub mod model;
pub mod ops;
pub mod opscli;
pub mod private;
pub mod record;
pub mod report;
pub mod resp;
pub mod sanitize;
pub mod secret;
pub mod time;
pub mod ui;
