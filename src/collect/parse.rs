//! Pure parsers for SLOWLOG GET and CLIENT LIST.

use crate::model::{ClientList, ClientRow, SlowEntry, Slowlog};
#[cfg(test)]
use crate::resp::{entries, pending_entries, scan};
use crate::resp::{int, items, raw, text};
use redis::Value;

/// SLOWLOG GET: `[id, time, duration_us, [args...], addr, name]` per entry.
pub fn slowlog(v: &Value, len: u64) -> Slowlog {
    let entries = items(v)
        .iter()
        .filter_map(|e| {
            let e = items(e);
            Some(SlowEntry {
                id: int(e.first()?)?,
                time: int(e.get(1)?)?,
                duration_us: int(e.get(2)?)?,
                args: items(e.get(3)?).iter().map(raw).collect(),
                client_addr: e.get(4).and_then(text).unwrap_or_default(),
                client_name: e.get(5).and_then(text).unwrap_or_default(),
                node: None,
            })
        })
        .collect();
    Slowlog { len, entries }
}

/// CLIENT LIST text; keeps at most `limit` rows (all are counted).
pub fn client_list(text: &str, limit: usize) -> ClientList {
    let mut total = 0;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        total += 1;
        if rows.len() >= limit {
            continue;
        }
        let get = |key: &str| {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
                .unwrap_or("")
        };
        let n = |key: &str| get(key).parse().unwrap_or(0);
        rows.push(ClientRow {
            id: n("id"),
            addr: get("addr").to_string(),
            name: get("name").to_string(),
            user: get("user").to_string(),
            age_s: n("age"),
            idle_s: n("idle"),
            cmd: get("cmd").to_string(),
            db: n("db"),
            flags: get("flags").to_string(),
            omem: n("omem"),
            tot_mem: n("tot-mem"),
            node: None,
        });
    }
    ClientList { total, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn client_list_from_real_output() {
        let text = include_str!("../../tests/fixtures/client-list-7.0.txt");
        let all = client_list(text, 1000);
        assert!(all.total >= 2);
        assert_eq!(all.rows.len(), all.total);
        let named = all
            .rows
            .iter()
            .find(|r| r.name == "blocked-reader")
            .expect("named client");
        assert_eq!(named.cmd, "xreadgroup");
        assert!(named.flags.contains('b'), "blocked flag: {}", named.flags);
        assert_eq!(named.user, "default");
        let bounded = client_list(text, 1);
        assert_eq!((bounded.total, bounded.rows.len()), (all.total, 1));
    }

    #[test]
    fn slowlog_with_binary_args() {
        let v = Value::Array(vec![Value::Array(vec![
            Value::Int(7),
            Value::Int(1_700_000_000),
            Value::Int(12_345),
            Value::Array(vec![bs("SET"), Value::BulkString(vec![0xff, 0x1b, b'k'])]),
            bs("127.0.0.1:5555"),
            bs("worker"),
        ])]);
        let s = slowlog(&v, 3);
        assert_eq!(s.len, 3);
        let e = &s.entries[0];
        assert_eq!((e.id, e.duration_us), (7, 12_345));
        assert_eq!(e.args[1].display(), "\\xff\\u{1b}k");
        assert_eq!(e.client_name, "worker");
    }

    #[test]
    fn pending_and_entries_and_scan() {
        let p = pending_entries(&Value::Array(vec![Value::Array(vec![
            bs("1-0"),
            bs("c1"),
            Value::Int(5000),
            Value::Int(4),
        ])]));
        assert_eq!(
            (
                p[0].consumer.to_str().unwrap(),
                p[0].idle_ms,
                p[0].deliveries
            ),
            ("c1", 5000, 4)
        );
        let e = entries(&Value::Array(vec![
            Value::Array(vec![bs("2-0"), Value::Array(vec![bs("f"), bs("v")])]),
            Value::Nil,
        ]));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field("f").unwrap().display(), "v");
        let (cursor, keys) = scan(&Value::Array(vec![
            bs("17"),
            Value::Array(vec![bs("a"), bs("b")]),
        ]))
        .unwrap();
        assert_eq!((cursor, keys.len()), (17, 2));
    }
}
