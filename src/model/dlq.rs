//! The DLQ entry format of the event system (field notes): the metadata
//! fields the dead-lettering code writes beside the payload. One list, used
//! by the requeue script (to strip them), the DLQ pane and the demo.

pub const ORIGINAL_ID: &str = "original_id";
pub const ORIGINAL_STREAM: &str = "original_stream";
pub const ERROR: &str = "error";
pub const RETRY_COUNT: &str = "retry_count";
pub const FAILED_AT: &str = "failed_at";
pub const CONSUMER_GROUP: &str = "consumer_group";
pub const CONSUMER_ID: &str = "consumer_id";

/// Every metadata field; what is not in here is payload (`event`, `message`, ...).
pub const FIELDS: [&str; 7] = [
    ORIGINAL_ID,
    ORIGINAL_STREAM,
    ERROR,
    RETRY_COUNT,
    FAILED_AT,
    CONSUMER_GROUP,
    CONSUMER_ID,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_dead_letter_script_writes_exactly_these_fields() {
        let src = include_str!("../ops/dead_letter.lua");
        for f in super::FIELDS {
            assert!(src.contains(&format!("'{f}'")), "dead_letter.lua lacks {f}");
        }
    }
}
