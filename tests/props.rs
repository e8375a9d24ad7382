//! Property tests: every parser of a server reply, the `${}` interpolator and
//! the profile loader take arbitrary input and return a value or an error,
//! never a panic. Replies are generated as arbitrary RESP values (nested
//! arrays and maps of integers, bulk strings with any bytes, nils, doubles),
//! with field names drawn from the ones the parsers look for, so the deep
//! paths are reached too.

use proptest::prelude::*;
use redeye::collect::{info::Info, parse, streams};
use redeye::model::{GroupInfo, StreamInfo};
use redis::Value;

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Names the parsers look for.
        prop::sample::select(vec![
            "name",
            "length",
            "groups",
            "first-entry",
            "last-entry",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
            "entries-read",
            "lag",
            "pending",
            "consumers",
            "last-delivered-id",
            "idle",
            "inactive",
            "slots",
            "nodes",
            "id",
            "port",
            "tls-port",
            "ip",
            "endpoint",
            "hostname",
            "role",
            "master",
            "replication-offset",
            "health",
            "flags",
            "quorum",
            "config-epoch",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        // Ids, numbers and anything at all.
        "[0-9]{1,14}(-[0-9]{1,3})?".prop_map(|s| s.into_bytes()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<i64>().prop_map(Value::Int),
        word().prop_map(Value::BulkString),
        "[ -~]{0,16}".prop_map(Value::SimpleString),
        Just(Value::Okay),
        any::<f64>().prop_map(Value::Double),
    ];
    leaf.prop_recursive(5, 96, 10, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..10).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..8).prop_map(Value::Map),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~\\n\\r:,=#]{0,400}",
        prop::collection::vec(
            prop_oneof![
                "[a-z_]{1,20}:[ -~]{0,30}",
                "slave[0-9]:ip=[0-9.]{0,15},port=[0-9]{0,6},state=[a-z]{0,8},offset=[0-9-]{0,12},lag=[0-9-]{0,5}",
                "db[0-9]{1,2}:keys=[0-9-]{0,8},expires=[0-9-]{0,8},avg_ttl=[0-9-]{0,8}",
                "id=[0-9]{0,5} addr=[ -~]{0,20} name=[ -~]{0,8} age=[0-9-]{0,5} idle=[0-9]{0,5} cmd=[a-z]{0,6}",
                "[0-9a-f]{40} [0-9.:@,a-z]{0,30} [a-z,?]{0,20} [-0-9a-f]{0,40} [0-9]{0,5} [0-9]{0,5} [0-9]{0,3} [a-z]{0,12}( [0-9\\[\\]<>-]{0,12}){0,4}",
                "# [A-Za-z]{0,12}",
            ],
            0..30,
        )
        .prop_map(|l| l.join("\r\n")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn info_text_never_panics(t in text()) {
        let i = Info::parse(&t);
        let _ = (i.server(), i.memory(), i.clients(), i.stats(), i.persistence(), i.keyspace());
    }

    #[test]
    fn client_list_never_panics(t in text(), limit in 0usize..50) {
        let l = parse::client_list(&t, limit);
        prop_assert!(l.rows.len() <= limit.max(l.rows.len()));
    }

    #[test]
    fn cluster_nodes_never_panics(t in text()) {
        let _ = redeye::connect::cluster::parse_nodes(&t);
    }

    #[test]
    fn reply_parsers_never_panic(v in value(), now in any::<u64>()) {
        let _ = parse::slowlog(&v, 3);
        let s: StreamInfo = streams::stream(&"s".into(), &v);
        let gs: Vec<GroupInfo> = streams::groups(&v, &s, now);
        if let Some(mut g) = gs.into_iter().next() {
            streams::apply_pending_summary(&mut g, &v, now);
        }
        let _ = streams::consumer_summary(&v, 60_000);
        let _ = redeye::resp::pending_entries(&v);
        let _ = redeye::resp::entries(&v);
        let _ = redeye::resp::scan(&v);
        let _ = redeye::connect::cluster::parse_shards(&v, false);
        let _ = redeye::connect::cluster::parse_shards(&v, true);
        let _ = redeye::connect::cluster::parse_slots(&v);
    }

    #[test]
    fn interpolation_never_panics_and_never_leaks_a_template(
        t in "[ -~]{0,60}",
        set in prop::collection::vec(("[A-Z]{1,3}", "[ -~]{0,8}"), 0..4),
    ) {
        let lookup = |n: &str| set.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if let Ok(out) = redeye::config::interp::expand(&t, &lookup) {
            // An expanded value only holds `${` if a variable's value did.
            let explained = set.iter().any(|(_, v)| v.contains('$') || v.contains('{')) || t.contains("$$");
            let leaked = out.contains("${") && !explained;
            prop_assert!(!leaked, "unexpanded template in {:?} from {:?}", out, t);
        }
    }

    #[test]
    fn the_profile_loader_never_panics(y in "[ -~\\n]{0,300}") {
        let _ = redeye::config::parse(std::path::Path::new("fuzz.yaml"), &y);
    }

    #[test]
    fn the_profile_loader_never_panics_on_profile_shaped_yaml(
        keys in prop::collection::vec(
            prop::sample::select(vec![
                "address", "password", "db", "refresh", "environment", "read_only",
                "timeouts", "tls", "sentinel", "cluster", "ssh", "streams", "alerts",
            ]),
            0..6,
        ),
        vals in prop::collection::vec("[ -~]{0,20}", 0..6),
    ) {
        let body: String = keys
            .iter()
            .zip(vals.iter())
            .map(|(k, v)| format!("      {k}: {:?}\n", v))
            .collect();
        let yaml = format!("profiles:\n  p:\n    redis:\n{body}");
        if let Ok(loaded) = redeye::config::parse(std::path::Path::new("p.yaml"), &yaml) {
            let _ = redeye::config::resolve(&loaded, "p", &|_| None);
        }
    }
}

/// A recording file of arbitrary bytes — garbage, a valid header followed
/// by garbage, truncations and bit flips of a real recording, absurd
/// lengths — opens or fails with a sentence; reading every frame it lists
/// never panics.
mod recording_fuzz {
    use proptest::prelude::*;
    use redeye::record::{Recorder, Recording};
    use std::sync::Arc;
    use std::time::Duration;

    fn real_recording() -> Vec<u8> {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        BYTES
            .get_or_init(|| {
                let dir = tempfile::tempdir().unwrap();
                let rec = Recorder::start(
                    dir.path().to_path_buf(),
                    Duration::from_secs(86_400),
                    1 << 30,
                    false,
                )
                .unwrap();
                let start = redeye::time::now_ms() - 10_000;
                for i in 0..6 {
                    let mut s = redeye::ui::sample::snapshot(0, i);
                    s.taken_at_ms = start + i * 1000;
                    rec.record(&Arc::new(s), &[], &Default::default());
                }
                rec.flush();
                drop(rec);
                let f = std::fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|x| x == "redeye"))
                    .unwrap();
                std::fs::read(f).unwrap()
            })
            .clone()
    }

    fn read_all(bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.redeye");
        std::fs::write(&f, bytes).unwrap();
        if let Ok(rec) = Recording::open(&f) {
            for i in 0..rec.len() {
                let _ = rec.frame(i);
            }
            let _ = rec.export(0, u64::MAX, &dir.path().join("out.redeye"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..2048), header in any::<bool>()) {
            let mut bytes = if header { real_recording()[..12].to_vec() } else { Vec::new() };
            bytes.extend(data);
            read_all(&bytes);
        }

        #[test]
        fn flips_and_cuts_of_a_real_recording(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
            absurd in any::<Option<prop::sample::Index>>(),
        ) {
            let mut bytes = real_recording();
            for (at, x) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= x;
            }
            // An absurd length in some frame head's place.
            if let Some(at) = absurd {
                let i = 12 + at.index(bytes.len() - 16);
                bytes[i..i + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            }
            let keep = 12 + cut.index(bytes.len() - 11);
            bytes.truncate(keep);
            read_all(&bytes);
        }
    }
}
