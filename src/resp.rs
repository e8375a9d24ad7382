//! Decoding of Redis replies (RESP2 flat arrays or RESP3 maps) into plain
//! values: shared by `collect` (polls) and `ops` (writes). Pure; binary data
//! is kept as bytes where it is payload, and names are sanitised before display.

use crate::model::{Bytes, Name, PendingEntry, StreamEntry};
use redis::Value;

/// Text of a scalar reply (lossy for binary; sanitise before display).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

/// A name (key, group, consumer) with its bytes as the server sent them.
pub fn name(v: &Value) -> Option<Name> {
    match v {
        Value::BulkString(b) => Some(Name::from_bytes(b.clone())),
        other => text(other).map(Name::from),
    }
}

pub fn int(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        other => text(other)?.parse().ok(),
    }
}

pub fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

/// Field/value pairs of a map-like reply.
pub fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Map(m) => m.iter().filter_map(|(k, v)| Some((text(k)?, v))).collect(),
        Value::Array(a) => a
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => Some((text(k)?, v)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub fn field<'a>(p: &'a [(String, &'a Value)], name: &str) -> Option<&'a Value> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

pub fn raw(v: &Value) -> Bytes {
    match v {
        Value::BulkString(b) => Bytes(b.clone()),
        other => Bytes(text(other).unwrap_or_default().into_bytes()),
    }
}

/// XPENDING stream group start end count: `[id, consumer, idle, deliveries]` rows.
pub fn pending_entries(v: &Value) -> Vec<PendingEntry> {
    items(v)
        .iter()
        .filter_map(|r| {
            let r = items(r);
            Some(PendingEntry {
                id: text(r.first()?)?,
                consumer: name(r.get(1)?)?,
                idle_ms: int(r.get(2)?)?,
                deliveries: int(r.get(3)?)?,
            })
        })
        .collect()
}

/// XRANGE / XREVRANGE / XCLAIM entries: `[id, [field, value, ...]]`; nil entries skipped.
pub fn entries(v: &Value) -> Vec<StreamEntry> {
    items(v)
        .iter()
        .filter_map(|e| {
            let e = items(e);
            let id = text(e.first()?)?;
            let fields = match e.get(1) {
                Some(Value::Map(m)) => m.iter().map(|(k, v)| (raw(k), raw(v))).collect(),
                Some(f) => items(f)
                    .chunks(2)
                    .filter_map(|c| Some((raw(c.first()?), raw(c.get(1)?))))
                    .collect(),
                None => Vec::new(),
            };
            Some(StreamEntry { id, fields })
        })
        .collect()
}

/// SCAN reply: next cursor and keys.
pub fn scan(v: &Value) -> Option<(u64, Vec<Name>)> {
    let a = items(v);
    let cursor = text(a.first()?)?.parse().ok()?;
    let keys = items(a.get(1)?).iter().filter_map(name).collect();
    Some((cursor, keys))
}
