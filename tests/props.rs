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
