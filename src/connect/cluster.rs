//! Redis Cluster, written in redeye: the topology from `CLUSTER SHARDS`
//! (falling back to `CLUSTER SLOTS` before 7.0), one [`Node`] per primary
//! (reached through the link, so through the SSH tunnel when there is one),
//! and the slot table that routes a key to its owner. redis-rs's cluster
//! client is not used: its pipelines refuse to cross slots, per-node commands
//! (INFO, SLOWLOG, CLIENT LIST) would have to be routed by hand anyway, and
//! its TLS takes PEM bytes rather than the rustls setup every other
//! connection uses.

use crate::config::Endpoint;
use redis::Value;

pub const SLOTS: usize = 16384;

/// The slot of a key: CRC16 (XMODEM) of the key, or of its `{hash tag}`.
pub fn slot_of(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|b| *b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            rest.iter()
                .position(|b| *b == b'}')
                .filter(|close| *close > 0)
                .map(|close| &rest[..close])
        })
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(tagged) % SLOTS as u16
}

/// One node as the cluster announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub id: String,
    pub address: Endpoint,
    pub primary: bool,
    /// `online`, `loading`, `failed` (SHARDS); empty from SLOTS.
    pub health: String,
    pub offset: u64,
}

/// A primary, its slot ranges and its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub slots: Vec<(u16, u16)>,
    pub primary: Announced,
    pub replicas: Vec<Announced>,
}

/// The shards from `CLUSTER SHARDS`. With `tls`, the TLS port is used where
/// announced; the address is the node's preferred endpoint (a host name
/// under `cluster-preferred-endpoint-type hostname`, which TLS verifies).
pub fn parse_shards(v: &Value, tls: bool) -> Vec<Shard> {
    let mut out = Vec::new();
    for shard in crate::resp::items(v) {
        let p = crate::resp::pairs(shard);
        let slots: Vec<u64> = crate::resp::field(&p, "slots")
            .map(|s| {
                crate::resp::items(s)
                    .iter()
                    .filter_map(crate::resp::int)
                    .collect()
            })
            .unwrap_or_default();
        let ranges: Vec<(u16, u16)> = slots
            .chunks(2)
            .filter_map(|c| match c {
                [a, b] => Some((*a as u16, *b as u16)),
                _ => None,
            })
            .collect();
        let mut primary = None;
        let mut replicas = Vec::new();
        for n in crate::resp::field(&p, "nodes")
            .map(crate::resp::items)
            .unwrap_or_default()
        {
            let f = crate::resp::pairs(n);
            let t = |k: &str| crate::resp::field(&f, k).and_then(crate::resp::text);
            let port = if tls {
                crate::resp::field(&f, "tls-port")
                    .and_then(crate::resp::int)
                    .or_else(|| crate::resp::field(&f, "port").and_then(crate::resp::int))
            } else {
                crate::resp::field(&f, "port").and_then(crate::resp::int)
            };
            let host = t("endpoint")
                .filter(|h| !h.is_empty() && h != "?")
                .or_else(|| t("hostname").filter(|h| !h.is_empty()))
                .or_else(|| t("ip"))
                .unwrap_or_default();
            let (Some(port), false) = (port, host.is_empty()) else {
                continue;
            };
            let a = Announced {
                id: t("id").unwrap_or_default(),
                address: Endpoint {
                    host,
                    port: port as u16,
                },
                primary: t("role").as_deref() == Some("master"),
                health: t("health").unwrap_or_default(),
                offset: crate::resp::field(&f, "replication-offset")
                    .and_then(crate::resp::int)
                    .unwrap_or(0),
            };
            if a.primary {
                primary = Some(a);
            } else {
                replicas.push(a);
            }
        }
        // A shard without slots (a failed old primary after its replica
        // took over, a node not yet given slots) holds no data: skipped. A
        // shard whose primary failed with no successor yet is skipped too:
        // its slots are unserved and the cluster state says so.
        if let Some(primary) = primary.filter(|p| p.health != "fail" && !ranges.is_empty()) {
            out.push(Shard {
                slots: ranges,
                primary,
                replicas,
            });
        }
    }
    out.sort_by(|a, b| a.slots.first().cmp(&b.slots.first()));
    out
}

/// The shards from `CLUSTER SLOTS` (before 7.0): `[start, end, [host, port,
/// id], [replica...]...]` per range; ranges of one primary are merged.
pub fn parse_slots(v: &Value) -> Vec<Shard> {
    let mut out: Vec<Shard> = Vec::new();
    for range in crate::resp::items(v) {
        let r = crate::resp::items(range);
        let (Some(start), Some(end)) = (
            r.first().and_then(crate::resp::int),
            r.get(1).and_then(crate::resp::int),
        ) else {
            continue;
        };
        let node = |v: &Value, primary: bool| {
            let n = crate::resp::items(v);
            Some(Announced {
                address: Endpoint {
                    host: crate::resp::text(n.first()?)?,
                    port: crate::resp::int(n.get(1)?)? as u16,
                },
                id: n.get(2).and_then(crate::resp::text).unwrap_or_default(),
                primary,
                health: String::new(),
                offset: 0,
            })
        };
        let Some(primary) = r.get(2).and_then(|v| node(v, true)) else {
            continue;
        };
        let replicas: Vec<Announced> = r[3..].iter().filter_map(|v| node(v, false)).collect();
        match out
            .iter_mut()
            .find(|s| s.primary.address == primary.address)
        {
            Some(s) => s.slots.push((start as u16, end as u16)),
            None => out.push(Shard {
                slots: vec![(start as u16, end as u16)],
                primary,
                replicas,
            }),
        }
    }
    out.sort_by(|a, b| a.slots.first().cmp(&b.slots.first()));
    out
}

/// Which primary (index into `shards`) owns each slot; `u16::MAX`: none.
pub fn slot_table(shards: &[Shard]) -> Vec<u16> {
    let mut t = vec![u16::MAX; SLOTS];
    for (i, s) in shards.iter().enumerate() {
        for &(a, b) in &s.slots {
            for slot in a..=b.min(SLOTS as u16 - 1) {
                t[slot as usize] = i as u16;
            }
        }
    }
    t
}

/// The layout in one string: each primary's node id and slot ranges, in
/// slot order. Two polls with different signatures saw different layouts.
pub fn signature(shards: &[Shard]) -> String {
    signature_of(
        shards
            .iter()
            .map(|s| (s.primary.id.as_str(), s.slots.as_slice())),
    )
}

pub fn signature_of<'a>(primaries: impl Iterator<Item = (&'a str, &'a [(u16, u16)])>) -> String {
    let mut parts: Vec<(u16, String)> = primaries
        .filter(|(_, slots)| !slots.is_empty())
        .map(|(id, slots)| {
            let mut slots = slots.to_vec();
            slots.sort();
            let ranges: Vec<String> = slots.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            (slots[0].0, format!("{id}={}", ranges.join(",")))
        })
        .collect();
    parts.sort();
    parts
        .into_iter()
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of CLUSTER NODES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    pub id: String,
    /// `ip:port` (the client port).
    pub address: String,
    /// The announced host name, if any (`ip:port@cport,hostname`).
    pub hostname: Option<String>,
    pub flags: Vec<String>,
    pub primary_id: Option<String>,
    pub link: String,
    pub slots: Vec<(u16, u16)>,
}

impl NodeLine {
    pub fn is_primary(&self) -> bool {
        self.flags.iter().any(|f| f == "master")
    }
}

/// CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <primary> <ping>
/// <pong> <epoch> <link> <slot>...`; importing/migrating markers skipped.
pub fn parse_nodes(text: &str) -> Vec<NodeLine> {
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 8 {
                return None;
            }
            let (addr, hostname) = match w[1].split_once(',') {
                Some((a, h)) if !h.is_empty() => (a, Some(h.to_string())),
                Some((a, _)) => (a, None),
                None => (w[1], None),
            };
            let address = addr.split('@').next().unwrap_or(addr).to_string();
            let slots = w[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|n| (n, n)),
                })
                .collect();
            Some(NodeLine {
                id: w[0].to_string(),
                address,
                hostname,
                flags: w[2].split(',').map(str::to_string).collect(),
                primary_id: (w[3] != "-").then(|| w[3].to_string()),
                link: w[7].to_string(),
                slots,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_nodes_lines_parse() {
        let text = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 16383
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 master,fail? - 0 1426238316232 5 disconnected
";
        let n = parse_nodes(text);
        assert_eq!(n.len(), 4);
        assert_eq!(n[0].hostname.as_deref(), Some("host-4"));
        assert_eq!(
            n[0].primary_id.as_deref(),
            Some("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca")
        );
        assert!(!n[0].is_primary());
        assert_eq!(n[1].slots, vec![(5461, 10922)]);
        assert_eq!(n[2].slots, vec![(0, 5460), (16383, 16383)]);
        assert_eq!(n[3].link, "disconnected");
        assert!(n[3].flags.contains(&"fail?".to_string()));
        // The same layout gives the same signature from SHARDS and from NODES.
        let from_nodes = signature_of(
            n.iter()
                .filter(|l| l.is_primary())
                .map(|l| (l.id.as_str(), l.slots.as_slice())),
        );
        assert_eq!(
            from_nodes,
            "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca=0-5460,16383-16383 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1=5461-10922"
        );
    }

    #[test]
    fn slots_follow_redis_including_hash_tags() {
        // Values from CLUSTER KEYSLOT on Redis 7.0.
        assert_eq!(slot_of(b"foo"), 12182);
        assert_eq!(slot_of(b"{user1000}.following"), slot_of(b"user1000"));
        assert_eq!(slot_of(b"{orders}"), slot_of(b"{orders}:dlq"));
        // An empty tag `{}` is not a tag: the whole key is hashed.
        assert_eq!(slot_of(b"foo{}{bar}"), 8363);
        assert_eq!(slot_of(b"{orders}:dlq"), slot_of(b"orders"));
    }
}
