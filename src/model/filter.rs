//! The `/` filters of the Pending and DLQ tables, shared by the table and
//! by select-all's read on the server (`ui::write::resolve`), so both take
//! exactly the same entries.

use super::{PendingEntry, StreamEntry};

/// Whether an entry matches the filter as the table shows it: its
/// consumer or its mark (`claimable`, `poison`); ids only when asked
/// (`id:1732…`). Case is ignored.
pub fn pending(e: &PendingEntry, filter: &str, claim_ms: u64, max_retries: u64) -> bool {
    let f = filter.trim().to_lowercase();
    if f.is_empty() {
        return true;
    }
    if let Some(id) = f.strip_prefix("id:") {
        return e.id.contains(id.trim());
    }
    let mark = if e.deliveries > max_retries {
        "poison"
    } else if e.idle_ms > claim_ms {
        "claimable"
    } else {
        ""
    };
    e.consumer.escaped().to_lowercase().contains(&f) || (!mark.is_empty() && mark.contains(&f))
}

/// Whether a dead letter matches the filter as the table shows it: its
/// original stream or its error; ids (its own and the original) only when
/// asked (`id:1732…`). Case is ignored.
pub fn dead_letter(e: &StreamEntry, filter: &str) -> bool {
    let f = filter.trim().to_lowercase();
    if f.is_empty() {
        return true;
    }
    let field = |k: &str| {
        e.field(k)
            .map(|v| v.as_str_lossy().to_lowercase())
            .unwrap_or_default()
    };
    if let Some(id) = f.strip_prefix("id:") {
        let id = id.trim();
        return e.id.contains(id) || field(crate::model::dlq::ORIGINAL_ID).contains(id);
    }
    field(crate::model::dlq::ORIGINAL_STREAM).contains(&f)
        || field(crate::model::dlq::ERROR).contains(&f)
}
