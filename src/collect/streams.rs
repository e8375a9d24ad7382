//! Pure parsers for XINFO STREAM, XINFO GROUPS, XINFO CONSUMERS and the
//! XPENDING summary, over RESP2 (flat arrays) or RESP3 (maps) replies.

use crate::model::Name;
use crate::model::ids;
use crate::model::{ConsumerPending, ConsumerSummary, GroupInfo, StreamInfo};
use crate::resp::{field, int, items, name as bytes_name, pairs, text};
use redis::Value;

fn entry_id(v: &Value) -> Option<String> {
    // first-entry / last-entry: [id, [field, value, ...]] or nil
    items(v).first().and_then(text)
}

/// XINFO STREAM (not FULL).
pub fn stream(name: &Name, v: &Value) -> StreamInfo {
    let p = pairs(v);
    let s = |k: &str| field(&p, k).and_then(text);
    StreamInfo {
        name: name.clone(),
        configured: false,
        exists: true,
        length: field(&p, "length").and_then(int).unwrap_or(0),
        first_id: field(&p, "first-entry").and_then(entry_id),
        last_id: field(&p, "last-entry").and_then(entry_id),
        last_generated_id: s("last-generated-id"),
        max_deleted_entry_id: s("max-deleted-entry-id"),
        entries_added: field(&p, "entries-added").and_then(int),
        groups: Vec::new(),
        dlq: None,
        full_read_ms: None,
        node_time_ms: None,
    }
}

/// The size of the larger entry body at the stream's head or tail: what a
/// plain XINFO STREAM sent, or (the stream-info script) what it dropped.
pub fn body_bytes(v: &Value) -> u64 {
    let p = pairs(v);
    if let Some(n) = field(&p, "redeye-dropped-bytes").and_then(int) {
        return n;
    }
    ["first-entry", "last-entry"]
        .iter()
        .filter_map(|k| field(&p, k))
        .map(|e| {
            items(e)
                .get(1)
                .map(items)
                .unwrap_or(&[])
                .iter()
                .map(|x| match x {
                    Value::BulkString(b) => b.len() as u64,
                    _ => 0,
                })
                .sum::<u64>()
        })
        .max()
        .unwrap_or(0)
}

/// XINFO GROUPS. `stream` supplies max-deleted-entry-id for the NULL-lag reason.
pub fn groups(v: &Value, stream: &StreamInfo, now_ms: u64) -> Vec<GroupInfo> {
    items(v)
        .iter()
        .map(|g| {
            let p = pairs(g);
            let last = field(&p, "last-delivered-id").and_then(text);
            let entries_read = field(&p, "entries-read").and_then(int);
            let lag = field(&p, "lag").and_then(int);
            let reason = if lag.is_some() {
                None
            } else {
                Some(null_lag_reason(entries_read, last.as_deref(), stream))
            };
            GroupInfo {
                name: field(&p, "name").and_then(bytes_name).unwrap_or_default(),
                configured: false,
                exists: true,
                consumers: field(&p, "consumers").and_then(int).unwrap_or(0),
                pending: field(&p, "pending").and_then(int).unwrap_or(0),
                last_delivered_age_ms: last
                    .as_deref()
                    .filter(|id| *id != "0-0")
                    .and_then(|id| ids::age_ms(id, now_ms)),
                last_delivered_id: last,
                entries_read,
                lag,
                lag_unavailable_reason: reason,
                oldest_pending_id: None,
                oldest_pending_age_ms: None,
                pending_by_consumer: Vec::new(),
                consumer_summary: None,
                ..Default::default()
            }
        })
        .collect()
}

/// Why Redis returned a NULL lag for a group.
pub fn null_lag_reason(
    entries_read: Option<u64>,
    last_delivered: Option<&str>,
    s: &StreamInfo,
) -> String {
    let deleted_after = match (s.max_deleted_entry_id.as_deref(), last_delivered) {
        (Some(del), Some(last)) => del != "0-0" && ids::is_after(del, last),
        _ => false,
    };
    if deleted_after {
        "entries were deleted (XDEL) after the group's last-delivered-id, so Redis cannot count the undelivered entries".into()
    } else if entries_read.is_none() {
        "the group's entries-read counter is unknown (group created at an arbitrary ID or moved with XGROUP SETID), so Redis cannot count the undelivered entries".into()
    } else {
        "Redis did not report a lag for this group".into()
    }
}

/// XPENDING <stream> <group> (summary form): count, lowest id, highest id, per consumer.
pub fn apply_pending_summary(g: &mut GroupInfo, v: &Value, now_ms: u64) {
    let a = items(v);
    if let Some(n) = a.first().and_then(int) {
        g.pending = n;
    }
    g.oldest_pending_id = a.get(1).and_then(text);
    g.oldest_pending_age_ms = g
        .oldest_pending_id
        .as_deref()
        .and_then(|id| ids::age_ms(id, now_ms));
    let mut per: Vec<ConsumerPending> = a
        .get(3)
        .map(items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|c| {
            let c = items(c);
            Some(ConsumerPending {
                consumer: bytes_name(c.first()?)?,
                pending: int(c.get(1)?)?,
            })
        })
        .collect();
    per.sort_by(|a, b| {
        b.pending
            .cmp(&a.pending)
            .then_with(|| a.consumer.cmp(&b.consumer))
    });
    g.pending_by_consumer = per;
}

/// XINFO CONSUMERS aggregated: real deployments have thousands of dead consumer names.
pub fn consumer_summary(v: &Value, claim_min_idle_ms: u64) -> ConsumerSummary {
    let mut s = ConsumerSummary {
        total: 0,
        with_pending: 0,
        idle_over_claim_min_idle: 0,
        idle_over_claim_min_idle_without_pending: 0,
        max_idle_ms: 0,
        min_idle_ms: 0,
        min_inactive_ms: None,
        dead_holding: 0,
        read_ms: crate::time::now_ms(),
    };
    let mut min_idle = u64::MAX;
    for c in items(v) {
        let p = pairs(c);
        let pending = field(&p, "pending").and_then(int).unwrap_or(0);
        let idle = field(&p, "idle").and_then(int).unwrap_or(0);
        s.total += 1;
        if pending > 0 {
            s.with_pending += 1;
        }
        if idle > claim_min_idle_ms {
            s.idle_over_claim_min_idle += 1;
            if pending == 0 {
                s.idle_over_claim_min_idle_without_pending += 1;
            } else {
                s.dead_holding += 1;
            }
        }
        // Redis 7.2+: ms since the consumer's last successful read (-1: never).
        if let Some(inactive) = field(&p, "inactive").and_then(int) {
            s.min_inactive_ms = Some(s.min_inactive_ms.map_or(inactive, |m| m.min(inactive)));
        }
        s.max_idle_ms = s.max_idle_ms.max(idle);
        min_idle = min_idle.min(idle);
    }
    s.min_idle_ms = if s.total == 0 { 0 } else { min_idle };
    s
}

/// XINFO CONSUMERS as rows: most entries held first, then by name; at
/// most `keep`.
pub fn consumer_rows(v: &Value, keep: usize) -> (Vec<crate::model::ConsumerRow>, usize) {
    let mut rows: Vec<crate::model::ConsumerRow> = items(v)
        .iter()
        .map(|c| {
            let p = pairs(c);
            crate::model::ConsumerRow {
                name: field(&p, "name").and_then(bytes_name).unwrap_or_default(),
                pending: field(&p, "pending").and_then(int).unwrap_or(0),
                idle_ms: field(&p, "idle").and_then(int).unwrap_or(0),
                inactive_ms: field(&p, "inactive").and_then(int),
                oldest_held_id: None,
            }
        })
        .collect();
    let total = rows.len();
    // Most held first, then by name: a stable order the cursor can stay in
    // while idle times change every poll.
    rows.sort_by(|a, b| b.pending.cmp(&a.pending).then_with(|| a.name.cmp(&b.name)));
    rows.truncate(keep);
    (rows, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn stream_fixture(max_deleted: &str) -> StreamInfo {
        stream(
            &"s".into(),
            &Value::Array(vec![
                bs("length"),
                Value::Int(3),
                bs("max-deleted-entry-id"),
                bs(max_deleted),
                bs("entries-added"),
                Value::Int(4),
                bs("first-entry"),
                Value::Array(vec![bs("1-0"), Value::Array(vec![bs("f"), bs("v")])]),
                bs("last-entry"),
                Value::Array(vec![bs("4-0"), Value::Array(vec![])]),
            ]),
        )
    }

    #[test]
    fn stream_fields() {
        let s = stream_fixture("0-0");
        assert_eq!(s.length, 3);
        assert_eq!(s.first_id.as_deref(), Some("1-0"));
        assert_eq!(s.last_id.as_deref(), Some("4-0"));
        assert_eq!(s.entries_added, Some(4));
    }

    #[test]
    fn null_lag_is_kept_null_with_reason() {
        let s = stream_fixture("3-0");
        let v = Value::Array(vec![Value::Array(vec![
            bs("name"),
            bs("g"),
            bs("consumers"),
            Value::Int(2),
            bs("pending"),
            Value::Int(1),
            bs("last-delivered-id"),
            bs("2-0"),
            bs("entries-read"),
            Value::Int(2),
            bs("lag"),
            Value::Nil,
        ])]);
        let g = &groups(&v, &s, 10)[0];
        assert_eq!(g.lag, None);
        assert!(
            g.lag_unavailable_reason
                .as_deref()
                .unwrap()
                .contains("XDEL")
        );
        assert_eq!(g.consumers, 2);

        let unknown = null_lag_reason(None, Some("2-0"), &stream_fixture("0-0"));
        assert!(unknown.contains("entries-read"));
    }

    #[test]
    fn pending_summary_and_consumers() {
        let mut g = groups(
            &Value::Array(vec![Value::Array(vec![
                bs("name"),
                bs("g"),
                bs("lag"),
                Value::Int(0),
            ])]),
            &stream_fixture("0-0"),
            0,
        )
        .remove(0);
        let v = Value::Array(vec![
            Value::Int(3),
            bs("1000-0"),
            bs("3000-0"),
            Value::Array(vec![
                Value::Array(vec![bs("a"), bs("1")]),
                Value::Array(vec![bs("b"), bs("2")]),
            ]),
        ]);
        apply_pending_summary(&mut g, &v, 5000);
        assert_eq!(g.pending, 3);
        assert_eq!(g.oldest_pending_age_ms, Some(4000));
        assert_eq!(g.pending_by_consumer[0].consumer, "b");

        let c = |name: &str, pending: i64, idle: i64| {
            Value::Array(vec![
                bs("name"),
                bs(name),
                bs("pending"),
                Value::Int(pending),
                bs("idle"),
                Value::Int(idle),
            ])
        };
        let s = consumer_summary(
            &Value::Array(vec![c("a", 0, 90_000), c("b", 2, 70_000), c("c", 0, 10)]),
            60_000,
        );
        assert_eq!(
            (s.total, s.with_pending, s.idle_over_claim_min_idle),
            (3, 1, 2)
        );
        assert_eq!(s.idle_over_claim_min_idle_without_pending, 1);
        assert_eq!((s.min_idle_ms, s.max_idle_ms), (10, 90_000));
    }
}
