//! Merging the nodes' parts of one poll into one snapshot. One node (standalone,
//! Sentinel's master): its part is the snapshot. A cluster: sums of INFO
//! (memory, clients, ops, keys), the worst memory % of any node, slowlog and
//! CLIENT LIST with the node of each row, each stream from the node owning it
//! and its DLQ from the node owning the DLQ, and the cluster's state from
//! CLUSTER INFO and CLUSTER NODES.

use super::{PollOutcome, PollRequest};
use crate::config::Profile;
use crate::connect::{Deployment, cluster};
use crate::error::{Failure, Result};
use crate::model::{ClusterNodeRow, ClusterState, NodeStatus, Snapshot};

pub(super) fn merge(
    profile: &Profile,
    dep: &Deployment,
    req: &PollRequest,
    parts: Vec<(NodeStatus, PollOutcome)>,
) -> Result<PollOutcome> {
    let mut parts = parts.into_iter();
    let Some((status, mut first)) = parts.next() else {
        return Err(Failure::runtime("the deployment has no node to poll"));
    };
    first.snapshot.mode = dep.mode();
    first.snapshot.nodes = vec![status];
    let rest: Vec<(NodeStatus, PollOutcome)> = parts.collect();
    if dep.cluster().is_none() && rest.is_empty() {
        return Ok(first);
    }
    let dlq = &profile.streams.dlq;
    let mut all: Vec<(NodeStatus, PollOutcome)> = Vec::with_capacity(rest.len() + 1);
    let status0 = first.snapshot.nodes.remove(0);
    all.push((status0, first));
    all.extend(rest);

    // Streams from their owners; DLQs from theirs (moved out, not copied).
    let last = all.len() - 1;
    let streams = (0..req.streams.len())
        .map(|i| {
            let name = &req.streams[i].name;
            let dlq_owner = dep.owner_of(dlq.stream_for(name).as_bytes()).min(last);
            let dlq_info = all[dlq_owner].1.snapshot.streams[i].dlq.take();
            let owner = dep.owner_of(name.as_bytes()).min(last);
            let mut s = std::mem::replace(
                &mut all[owner].1.snapshot.streams[i],
                super::empty_stream(&req.streams[i], false),
            );
            s.dlq = dlq_info;
            s
        })
        .collect();
    let (pending_page, pending_consumers) = req
        .pending_page
        .as_ref()
        .map(|(s, ..)| {
            let o = dep.owner_of(s.as_bytes()).min(last);
            let part = &mut all[o].1.snapshot;
            (part.pending_page.take(), part.pending_consumers.take())
        })
        .unwrap_or_default();
    let dlq_page = req.dlq_page.as_ref().and_then(|(s, ..)| {
        let o = dep.owner_of(s.as_bytes()).min(last);
        all[o].1.snapshot.dlq_page.take()
    });

    let cluster_nodes = all[0].1.cluster_nodes.clone();
    let cluster_info = all.iter().find_map(|(_, o)| o.cluster_info.clone());
    let moved = all.iter().any(|(_, o)| o.moved);
    let discovered = all.iter_mut().find_map(|(_, o)| o.discovered.take());
    // The SCAN step from the node that walked; probes from each key's owner.
    let mut key_step: Option<super::KeyStep> = None;
    for (_, o) in &mut all {
        if let Some(ks) = o.key_step.take() {
            let k = key_step.get_or_insert_with(Default::default);
            if ks.cursor.is_some() {
                k.cursor = ks.cursor;
                k.found = ks.found;
            }
            k.probes.extend(ks.probes);
        }
    }
    let request_bytes = all.iter().map(|(_, o)| o.request_bytes).sum();
    let bodies = all
        .iter_mut()
        .flat_map(|(_, o)| std::mem::take(&mut o.bodies))
        .collect();
    let statuses: Vec<NodeStatus> = all.iter().map(|(s, _)| s.clone()).collect();
    let mut snaps: Vec<(String, Snapshot)> = all
        .into_iter()
        .map(|(st, o)| (st.address.clone(), o.snapshot))
        .collect();
    // Each part's streams were moved out above: drop the placeholders.
    for (_, s) in &mut snaps {
        s.streams = Vec::new();
    }
    let mut snap = sum(&snaps, req);
    snap.nodes = statuses;
    snap.streams = streams;
    snap.pending_page = pending_page;
    snap.pending_consumers = pending_consumers;
    snap.dlq_page = dlq_page;
    snap.mode = dep.mode();
    snap.endpoint = dep.describe();

    if let Some(layout) = dep.cluster() {
        let mut state = cluster_state(
            cluster_info.as_deref(),
            cluster_nodes.as_deref(),
            &snaps,
            layout,
        );
        // Another layout than the deployment was built on: reconnect.
        let seen = cluster_nodes.as_deref().map(|t| {
            let lines = cluster::parse_nodes(t);
            cluster::signature_of(
                lines
                    .iter()
                    .filter(|l| l.is_primary() && !l.flags.iter().any(|f| f == "fail"))
                    .map(|l| (l.id.as_str(), l.slots.as_slice())),
            )
        });
        if moved || seen.is_some_and(|s| s != layout.signature) {
            dep.mark_stale();
        }
        if let Some(c) = dep.link().topology_change() {
            state.topology_changed_at_ms = Some(c.at_ms);
            state.changed = c
                .added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(c.removed.iter().map(|r| format!("-{r}")))
                .collect();
            if c.slots_moved {
                state.changed.push("slots moved".into());
            }
        }
        snap.cluster = Some(state);
    }
    Ok(PollOutcome {
        snapshot: snap,
        discovered,
        request_bytes,
        cluster_info,
        cluster_nodes,
        moved,
        key_step,
        bodies,
        scratch: Default::default(),
    })
}

/// Sums over the nodes; the worst memory %; rows tagged with their node.
fn sum(snaps: &[(String, Snapshot)], req: &PollRequest) -> Snapshot {
    // The first node that answered (a cluster primary down has no figures).
    let base = snaps
        .iter()
        .position(|(_, s)| s.server.is_some())
        .unwrap_or(0);
    let mut out = snaps[base].1.clone();
    out.nodes = Vec::new();
    out.round_trips = snaps.iter().map(|(_, s)| s.round_trips).sum();
    out.problems = snaps
        .iter()
        .flat_map(|(addr, s)| {
            s.problems.iter().cloned().map(move |mut p| {
                p.node = Some(addr.clone());
                p
            })
        })
        .collect();
    if let Some(m) = &mut out.memory {
        let ms: Vec<_> = snaps
            .iter()
            .filter_map(|(_, s)| s.memory.as_ref())
            .collect();
        m.used_bytes = ms.iter().map(|m| m.used_bytes).sum();
        m.rss_bytes = ms.iter().map(|m| m.rss_bytes).sum();
        m.peak_bytes = ms.iter().map(|m| m.peak_bytes).sum();
        m.evicted_keys = ms.iter().map(|m| m.evicted_keys).sum();
        m.maxmemory_bytes = if ms.iter().all(|m| m.maxmemory_bytes > 0) {
            ms.iter().map(|m| m.maxmemory_bytes).sum()
        } else {
            0
        };
        m.fragmentation_ratio = if m.used_bytes > 0 {
            m.rss_bytes as f64 / m.used_bytes as f64
        } else {
            0.0
        };
        // The alert must fire when one node is full, whatever the others.
        m.used_percent_of_max = ms
            .iter()
            .filter_map(|m| m.used_percent_of_max)
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))));
    }
    if let Some(c) = &mut out.clients {
        let cs: Vec<_> = snaps
            .iter()
            .filter_map(|(_, s)| s.clients.as_ref())
            .collect();
        c.connected = cs.iter().map(|c| c.connected).sum();
        c.blocked = cs.iter().map(|c| c.blocked).sum();
        c.rejected_connections = cs.iter().map(|c| c.rejected_connections).sum();
        c.maxclients = cs.iter().map(|c| c.maxclients).sum();
    }
    if let Some(st) = &mut out.stats {
        let ss: Vec<_> = snaps.iter().filter_map(|(_, s)| s.stats.as_ref()).collect();
        st.ops_per_sec = ss.iter().map(|s| s.ops_per_sec).sum();
        st.total_commands = ss.iter().map(|s| s.total_commands).sum();
        st.total_connections = ss.iter().map(|s| s.total_connections).sum();
        st.keyspace_hits = ss.iter().map(|s| s.keyspace_hits).sum();
        st.keyspace_misses = ss.iter().map(|s| s.keyspace_misses).sum();
        st.expired_keys = ss.iter().map(|s| s.expired_keys).sum();
        st.evicted_keys = ss.iter().map(|s| s.evicted_keys).sum();
        let looked = st.keyspace_hits + st.keyspace_misses;
        st.hit_rate = (looked > 0).then(|| st.keyspace_hits as f64 / looked as f64);
    }
    if let Some(sv) = &mut out.server {
        sv.connected_replicas = snaps
            .iter()
            .filter_map(|(_, s)| s.server.as_ref())
            .map(|s| s.connected_replicas)
            .sum();
    }
    // The persistence of the node whose last save failed, if any.
    if let Some(p) = snaps
        .iter()
        .filter_map(|(_, s)| s.persistence.as_ref())
        .find(|p| p.rdb_last_bgsave_status != "ok" || p.aof_last_write_status != "ok")
    {
        out.persistence = Some(p.clone());
    }
    let mut keyspace: Vec<crate::model::KeyspaceDb> = Vec::new();
    for (_, s) in snaps {
        for k in &s.keyspace {
            match keyspace.iter_mut().find(|x| x.db == k.db) {
                Some(x) => {
                    x.keys += k.keys;
                    x.expires += k.expires;
                    x.avg_ttl_ms = x.avg_ttl_ms.max(k.avg_ttl_ms);
                }
                None => keyspace.push(k.clone()),
            }
        }
    }
    out.keyspace = keyspace;
    if out.slowlog.is_some() {
        let mut entries: Vec<crate::model::SlowEntry> = snaps
            .iter()
            .flat_map(|(addr, s)| {
                s.slowlog
                    .iter()
                    .flat_map(|l| l.entries.iter())
                    .cloned()
                    .map(move |mut e| {
                        e.node = Some(addr.clone());
                        e
                    })
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse((e.time, e.id)));
        entries.truncate(req.slowlog as usize);
        out.slowlog = Some(crate::model::Slowlog {
            len: snaps
                .iter()
                .filter_map(|(_, s)| s.slowlog.as_ref())
                .map(|l| l.len)
                .sum(),
            entries,
        });
    }
    if out.client_list.is_some() {
        let limit = req.client_list.unwrap_or(1000);
        let mut rows: Vec<crate::model::ClientRow> = snaps
            .iter()
            .flat_map(|(addr, s)| {
                s.client_list
                    .iter()
                    .flat_map(|l| l.rows.iter())
                    .cloned()
                    .map(move |mut r| {
                        r.node = Some(addr.clone());
                        r
                    })
            })
            .collect();
        rows.truncate(limit);
        out.client_list = Some(crate::model::ClientList {
            total: snaps
                .iter()
                .filter_map(|(_, s)| s.client_list.as_ref())
                .map(|l| l.total)
                .sum(),
            rows,
        });
    }
    out
}

/// CLUSTER INFO's state and counters, every node of CLUSTER NODES, and each
/// polled primary's INFO figures.
fn cluster_state(
    info: Option<&str>,
    nodes: Option<&str>,
    snaps: &[(String, Snapshot)],
    layout: &crate::connect::ClusterLayout,
) -> ClusterState {
    let fields: std::collections::HashMap<&str, &str> = info
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.trim().split_once(':'))
        .collect();
    let n = |k: &str| fields.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    let lines = cluster::parse_nodes(nodes.unwrap_or(""));
    // INFO of a polled primary, by node id (shards are in `nodes` order).
    let polled = |id: &str| {
        layout
            .shards
            .iter()
            .position(|s| s.primary.id == id)
            .and_then(|i| snaps.get(i))
            .map(|(_, s)| s)
    };
    let offset_of = |id: &str| {
        polled(id)
            .and_then(|s| s.server.as_ref())
            .map(|s| s.repl_offset)
    };
    let rows: Vec<ClusterNodeRow> = lines
        .iter()
        .map(|l| {
            let primary = l.is_primary();
            let s = if primary { polled(&l.id) } else { None };
            let address = match &l.hostname {
                Some(h) => format!("{h} ({})", l.address),
                None => l.address.clone(),
            };
            // A replica's lag: its primary's offset minus what the primary
            // says the replica acknowledged.
            let lag_bytes = l.primary_id.as_deref().and_then(|pid| {
                let ps = polled(pid)?.server.as_ref()?;
                let r = ps.replicas.iter().find(|r| r.address == l.address)?;
                Some(offset_of(pid)?.saturating_sub(r.offset))
            });
            let polled_as = layout
                .shards
                .iter()
                .position(|s| s.primary.id == l.id)
                .and_then(|i| snaps.get(i))
                .map(|(a, _)| a.clone())
                .filter(|_| primary);
            ClusterNodeRow {
                id: l.id.clone(),
                address,
                polled_as,
                role: if primary { "primary" } else { "replica" }.into(),
                primary_id: l.primary_id.clone(),
                flags: l
                    .flags
                    .iter()
                    .filter(|f| !matches!(f.as_str(), "myself" | "master" | "slave"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                link: l.link.clone(),
                slots: slot_ranges(&l.slots),
                slot_count: l.slots.iter().map(|(a, b)| u64::from(b - a) + 1).sum(),
                used_memory: s.and_then(|s| s.memory.as_ref()).map(|m| m.used_bytes),
                maxmemory: s.and_then(|s| s.memory.as_ref()).map(|m| m.maxmemory_bytes),
                ops_per_sec: s.and_then(|s| s.stats.as_ref()).map(|x| x.ops_per_sec),
                clients: s.and_then(|s| s.clients.as_ref()).map(|c| c.connected),
                lag_bytes,
            }
        })
        .collect();
    // Each primary (in slot order) followed by its replicas.
    let first_slot = |r: &ClusterNodeRow| {
        lines
            .iter()
            .find(|l| l.id == r.id)
            .and_then(|l| l.slots.first().map(|s| s.0))
            .unwrap_or(u16::MAX)
    };
    let mut primaries: Vec<&ClusterNodeRow> = rows.iter().filter(|r| r.role == "primary").collect();
    primaries.sort_by_key(|r| first_slot(r));
    let mut ordered: Vec<ClusterNodeRow> = Vec::with_capacity(rows.len());
    for p in primaries {
        ordered.push(p.clone());
        ordered.extend(
            rows.iter()
                .filter(|r| r.primary_id.as_deref() == Some(&p.id))
                .cloned(),
        );
    }
    let orphans: Vec<ClusterNodeRow> = rows
        .iter()
        .filter(|r| !ordered.iter().any(|o| o.id == r.id))
        .cloned()
        .collect();
    ordered.extend(orphans);
    let rows = ordered;
    let down = rows.iter().filter(|r| r.failing()).count() as u64;
    ClusterState {
        state: fields.get("cluster_state").unwrap_or(&"?").to_string(),
        slots_assigned: n("cluster_slots_assigned"),
        slots_ok: n("cluster_slots_ok"),
        slots_pfail: n("cluster_slots_pfail"),
        slots_fail: n("cluster_slots_fail"),
        known_nodes: n("cluster_known_nodes"),
        size: n("cluster_size"),
        current_epoch: n("cluster_current_epoch"),
        nodes_up: rows.len() as u64 - down,
        nodes_down: down,
        nodes: rows,
        topology_changed_at_ms: None,
        changed: Vec::new(),
    }
}

/// Slot ranges as the cluster shows them: `0-5460,5462`.
pub(crate) fn slot_ranges(slots: &[(u16, u16)]) -> String {
    slots
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}
