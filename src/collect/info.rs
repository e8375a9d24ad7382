//! Pure parser for INFO output.

use crate::model::{Clients, KeyspaceDb, Memory, Persistence, Server, Stats, hit_rate};
use std::collections::HashMap;

/// INFO fields by name (section headers dropped; names are unique across sections).
#[derive(Debug, Default, Clone)]
pub struct Info {
    fields: HashMap<String, String>,
}

/// `ip=10.0.0.2,port=6379,state=online,offset=123,lag=0`.
fn replica_link(v: &str) -> crate::model::ReplicaLink {
    let f: HashMap<&str, &str> = v.split(',').filter_map(|kv| kv.split_once('=')).collect();
    let n = |k: &str| f.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    let ip = f.get("ip").copied().unwrap_or("?");
    let port = f.get("port").copied().unwrap_or("?");
    crate::model::ReplicaLink {
        address: if ip.contains(':') {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        },
        state: f.get("state").copied().unwrap_or("").to_string(),
        offset: n("offset"),
        lag_s: n("lag"),
    }
}

impl Info {
    pub fn parse(text: &str) -> Self {
        let fields = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Info { fields }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    fn u(&self, key: &str) -> u64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    fn i(&self, key: &str) -> i64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(-1)
    }

    fn f(&self, key: &str) -> f64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }

    fn s(&self, key: &str) -> String {
        self.get(key).unwrap_or("").to_string()
    }

    fn b(&self, key: &str) -> bool {
        self.get(key) == Some("1")
    }

    pub fn server(&self) -> Server {
        Server {
            version: self.s("redis_version"),
            mode: self.s("redis_mode"),
            role: self.s("role"),
            uptime_seconds: self.u("uptime_in_seconds"),
            time_ms: self
                .get("server_time_usec")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|us| us / 1000),
            os: self.s("os"),
            connected_replicas: self.u("connected_slaves"),
            repl_offset: self.u("master_repl_offset"),
            master_link_status: self.get("master_link_status").map(str::to_string),
            replicas: (0..self.u("connected_slaves"))
                .filter_map(|i| self.get(&format!("slave{i}")))
                .map(replica_link)
                .collect(),
        }
    }

    pub fn memory(&self) -> Memory {
        let used = self.u("used_memory");
        let max = self.u("maxmemory");
        Memory {
            used_bytes: used,
            rss_bytes: self.u("used_memory_rss"),
            peak_bytes: self.u("used_memory_peak"),
            fragmentation_ratio: self.f("mem_fragmentation_ratio"),
            maxmemory_bytes: max,
            maxmemory_policy: self.s("maxmemory_policy"),
            used_percent_of_max: (max > 0).then(|| used as f64 * 100.0 / max as f64),
            evicted_keys: self.u("evicted_keys"),
        }
    }

    pub fn clients(&self) -> Clients {
        Clients {
            connected: self.u("connected_clients"),
            blocked: self.u("blocked_clients"),
            rejected_connections: self.u("rejected_connections"),
            maxclients: self.get("maxclients").and_then(|v| v.parse().ok()),
        }
    }

    pub fn stats(&self) -> Stats {
        let hits = self.u("keyspace_hits");
        let misses = self.u("keyspace_misses");
        Stats {
            ops_per_sec: self.u("instantaneous_ops_per_sec"),
            total_commands: self.u("total_commands_processed"),
            total_connections: self.u("total_connections_received"),
            keyspace_hits: hits,
            keyspace_misses: misses,
            hit_rate: hit_rate(hits, misses),
            expired_keys: self.u("expired_keys"),
            evicted_keys: self.u("evicted_keys"),
        }
    }

    pub fn persistence(&self) -> Persistence {
        Persistence {
            loading: self.b("loading"),
            aof_enabled: self.b("aof_enabled"),
            aof_rewrite_in_progress: self.b("aof_rewrite_in_progress"),
            aof_last_write_status: self.s("aof_last_write_status"),
            aof_last_bgrewrite_status: self.s("aof_last_bgrewrite_status"),
            rdb_bgsave_in_progress: self.b("rdb_bgsave_in_progress"),
            rdb_last_bgsave_status: self.s("rdb_last_bgsave_status"),
            rdb_changes_since_last_save: self.u("rdb_changes_since_last_save"),
            rdb_last_save_time: self.u("rdb_last_save_time"),
            rdb_last_bgsave_time_sec: self.i("rdb_last_bgsave_time_sec"),
            aof_last_rewrite_time_sec: self.i("aof_last_rewrite_time_sec"),
            aof_current_size: self.u("aof_current_size"),
            aof_base_size: self.u("aof_base_size"),
            aof_buffer_length: self.u("aof_buffer_length"),
            aof_delayed_fsync: self.u("aof_delayed_fsync"),
            latest_fork_usec: self.u("latest_fork_usec"),
            appendfsync: None,
            save: None,
        }
    }

    /// `db0:keys=1,expires=0,avg_ttl=0` lines, in db order.
    pub fn keyspace(&self) -> Vec<KeyspaceDb> {
        let mut dbs: Vec<KeyspaceDb> = self
            .fields
            .iter()
            .filter_map(|(k, v)| {
                let db = k.strip_prefix("db")?.parse().ok()?;
                let mut out = KeyspaceDb {
                    db,
                    keys: 0,
                    expires: 0,
                    avg_ttl_ms: 0,
                };
                for part in v.split(',') {
                    let (name, n) = part.split_once('=')?;
                    let n = n.parse().unwrap_or(0);
                    match name {
                        "keys" => out.keys = n,
                        "expires" => out.expires = n,
                        "avg_ttl" => out.avg_ttl_ms = n,
                        _ => {}
                    }
                }
                Some(out)
            })
            .collect();
        dbs.sort_by_key(|d| d.db);
        dbs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/info-7.0.txt");

    #[test]
    fn parses_real_info_output() {
        let info = Info::parse(FIXTURE);
        let s = info.server();
        assert!(s.version.starts_with("7."), "{}", s.version);
        assert_eq!(s.mode, "standalone");
        assert_eq!(s.role, "master");
        let m = info.memory();
        assert!(m.used_bytes > 0 && m.rss_bytes > 0 && m.peak_bytes > 0);
        assert!(m.fragmentation_ratio > 0.0);
        assert_eq!(m.maxmemory_policy, "allkeys-lru");
        assert_eq!(m.maxmemory_bytes, 1_073_741_824);
        assert!(m.used_percent_of_max.unwrap() < 100.0);
        let c = info.clients();
        assert!(c.connected >= 1);
        assert_eq!(c.maxclients, Some(10000));
        let st = info.stats();
        assert!(st.total_commands > 0);
        assert_eq!(st.hit_rate, hit_rate(st.keyspace_hits, st.keyspace_misses));
        let ks = info.keyspace();
        assert_eq!(ks[0].db, 0);
        assert!(ks[0].keys >= ks[0].expires);
        let p = info.persistence();
        assert!(!p.aof_enabled);
        assert_eq!(p.rdb_last_bgsave_status, "ok");
    }

    #[test]
    fn tolerates_garbage() {
        let info =
            Info::parse("nonsense\r\n# Server\r\nredis_version:7.2.4\r\nused_memory:abc\r\n");
        assert_eq!(info.server().version, "7.2.4");
        assert_eq!(info.memory().used_bytes, 0);
        assert!(info.keyspace().is_empty());
    }
}
