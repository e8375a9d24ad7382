//! What a pane has unless it says otherwise. Every pane module starts with
//! `pub use super::defaults::*;`: an item the module defines itself (its
//! `State`, `rows`, `needs`, …) replaces the default of the same name, so a
//! pane writes only what it has.

use super::{Cx, CxMut, Key};
use crate::collect::collector::Needs;

/// No sort orders.
pub const SORTS: &[&str] = &[];
/// No keys of its own.
pub const KEYS: &[Key] = &[];
/// No symbols or abbreviations to explain.
pub const LEGEND: &[(&str, &str)] = &[];

/// No state of its own.
#[derive(Default)]
pub struct State;

/// No rows to move over.
pub fn rows(_: &Cx) -> usize {
    0
}

/// Nothing beyond the always-on reads.
pub fn needs(_: &Cx, _: &mut Needs) {}

/// Called when the pane is opened (from another pane).
pub fn enter(_: &mut CxMut) {}

/// Called when another pane is opened from this one.
pub fn leave(_: &mut CxMut) {}
