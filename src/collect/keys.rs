//! Key families from a SCAN that is bounded per step and resumes where it
//! stopped: every key a step returns is counted in its family; a sample of
//! them (at most [`PROBES`] per step) has its type, TTL and memory read in
//! the next poll's round trip. Never KEYS, never a whole keyspace at once.

use crate::config::Profile;
use crate::model::Name;
use crate::model::insight::{BigKey, Family, KeyFamilies};
use std::collections::BTreeMap;
use std::time::Duration;

/// Keys of one step whose type, TTL and memory are read.
pub const PROBES: usize = 20;
/// Keys one SCAN step asks for (COUNT).
pub const STEP: u32 = 1000;
/// Families kept at most; beyond, keys count as `(other)`.
const MAX_FAMILIES: usize = 200;
/// Biggest keys kept per family.
const BIGGEST: usize = 3;

pub use crate::config::KeyFamilySpec as KnownFamily;

fn known(prefix: &str, kind: &str, ttl: Option<u64>, must_expire: bool) -> KnownFamily {
    KnownFamily {
        prefix: prefix.into(),
        kind: kind.into(),
        expected_ttl: ttl.map(Duration::from_secs),
        must_expire,
    }
}

/// The document's families (`cache.prefixes`, `cache.ttl`, idempotency,
/// rate limits) and the real system's (DESIGN.md): profile ones come first.
pub fn builtin() -> Vec<KnownFamily> {
    vec![
        known("emb:", "embedding cache", Some(15 * 60), true),
        known("embedding:", "embedding cache", Some(15 * 60), true),
        known("resp:", "API response cache", Some(5 * 60), true),
        known("response:", "API response cache", Some(5 * 60), true),
        known("tool:", "tool spec cache", Some(10 * 60), true),
        known("sess:", "sessions", Some(30 * 60), true),
        known("session:", "sessions", Some(30 * 60), true),
        known("webhook:processed:", "idempotency", Some(24 * 3600), true),
        known("processed:", "idempotency", Some(24 * 3600), true),
        known("rate_limit:", "rate limits", None, true),
        known("auth:ratelimit:", "rate limits", None, true),
        known("context:lock:", "locks", None, true),
    ]
}

/// Assigns keys to families: the longest known prefix, else the first
/// `:`-segment, else `(other)`.
#[derive(Debug, Clone)]
pub struct Classifier {
    known: Vec<KnownFamily>,
}

impl Classifier {
    pub fn for_profile(profile: &Profile) -> Self {
        let mut known = profile.key_families.clone();
        for b in builtin() {
            if !known.iter().any(|k| k.prefix == b.prefix) {
                known.push(b);
            }
        }
        // Longest first, so `webhook:processed:` wins over `processed:`-like
        // shorter ones and over the first segment.
        known.sort_by_key(|k| std::cmp::Reverse(k.prefix.len()));
        Classifier { known }
    }

    /// The family's prefix and its known description, if any.
    pub fn family(&self, key: &[u8]) -> (String, Option<&KnownFamily>) {
        if let Some(k) = self
            .known
            .iter()
            .find(|k| key.starts_with(k.prefix.as_bytes()))
        {
            return (k.prefix.clone(), Some(k));
        }
        match key.iter().position(|b| *b == b':') {
            Some(i) if i > 0 => (format!("{}:", crate::sanitize::bytes(&key[..i])), None),
            _ => ("(other)".into(), None),
        }
    }
}

/// What one probe read of a key.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: Name,
    pub kind: String,
    /// PTTL: -1 no TTL, -2 gone.
    pub pttl: i64,
    pub bytes: u64,
}

/// The commands that probe a key, in the order [`Probe::set`] reads their
/// replies: TYPE, PTTL, MEMORY USAGE (5 samples of a collection's elements).
pub fn probe_commands(k: &Name) -> [(&'static str, Vec<Vec<u8>>); 3] {
    let k = k.as_bytes().to_vec();
    [
        ("TYPE", vec![k.clone()]),
        ("PTTL", vec![k.clone()]),
        (
            "MEMORY",
            vec![b"USAGE".to_vec(), k, b"SAMPLES".to_vec(), b"5".to_vec()],
        ),
    ]
}

impl Probe {
    /// Nothing read yet (a key with no reply counts as gone).
    pub fn new(name: Name) -> Self {
        Probe {
            name,
            kind: String::new(),
            pttl: -2,
            bytes: 0,
        }
    }

    /// The reply to probe command `which` of [`probe_commands`].
    pub fn set(&mut self, which: usize, v: &redis::Value) {
        match which {
            0 => self.kind = crate::resp::text(v).unwrap_or_default(),
            1 => {
                self.pttl = match v {
                    redis::Value::Int(t) => *t,
                    _ => -2,
                }
            }
            _ => self.bytes = crate::resp::int(v).unwrap_or(0),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Acc {
    keys: u64,
    sampled: u64,
    bytes: u64,
    no_ttl: u64,
    soon: u64,
    ttls: Vec<u64>,
    types: BTreeMap<String, u64>,
    biggest: Vec<BigKey>,
}

/// One pass's running figures.
#[derive(Debug, Default, Clone)]
pub struct Pass {
    started_ms: u64,
    scanned: u64,
    sampled: u64,
    families: BTreeMap<String, Acc>,
}

impl Pass {
    pub fn new(now_ms: u64) -> Self {
        Pass {
            started_ms: now_ms,
            ..Default::default()
        }
    }

    /// Count the keys of one SCAN step; returns those to probe.
    pub fn count(&mut self, c: &Classifier, keys: &[Name]) -> Vec<Name> {
        let mut by_family: BTreeMap<String, Vec<&Name>> = BTreeMap::new();
        for k in keys {
            let (mut fam, _) = c.family(k.as_bytes());
            if !self.families.contains_key(&fam) && self.families.len() >= MAX_FAMILIES {
                fam = "(other)".into();
            }
            self.families.entry(fam.clone()).or_default().keys += 1;
            by_family.entry(fam).or_default().push(k);
        }
        self.scanned += keys.len() as u64;
        // Stratified: one key of each family in turn, spread over each
        // family's keys, so a small family is sampled too.
        let mut out = Vec::with_capacity(PROBES);
        let mut round = 0;
        while out.len() < PROBES {
            let before = out.len();
            for ks in by_family.values() {
                let every = ks.len().div_ceil(PROBES).max(1);
                if let Some(k) = ks.get(round * every)
                    && out.len() < PROBES
                {
                    out.push((*k).clone());
                }
            }
            if out.len() == before {
                break;
            }
            round += 1;
        }
        out
    }

    /// Add what the probes read.
    pub fn probed(&mut self, c: &Classifier, probes: Vec<Probe>) {
        for p in probes.into_iter().filter(|p| p.pttl != -2) {
            let (fam, _) = c.family(p.name.as_bytes());
            let Some(a) = self.families.get_mut(&fam) else {
                continue;
            };
            a.sampled += 1;
            self.sampled += 1;
            a.bytes += p.bytes;
            match p.pttl {
                -1 => a.no_ttl += 1,
                t if t >= 0 => {
                    a.ttls.push(t as u64);
                    if t < 60_000 {
                        a.soon += 1;
                    }
                }
                _ => {}
            }
            *a.types.entry(p.kind.clone()).or_default() += 1;
            a.biggest.push(BigKey {
                name: p.name,
                kind: p.kind,
                bytes: p.bytes,
                ttl_ms: u64::try_from(p.pttl).ok(),
            });
            a.biggest.sort_by_key(|b| std::cmp::Reverse(b.bytes));
            a.biggest.truncate(BIGGEST);
        }
    }

    /// The figures so far; `dbsize` scales counts while the pass is partial.
    pub fn report(&self, c: &Classifier, dbsize: u64, finished_ms: Option<u64>) -> KeyFamilies {
        let complete = finished_ms.is_some();
        let scale = if complete || self.scanned == 0 {
            1.0
        } else {
            (dbsize as f64 / self.scanned as f64).max(1.0)
        };
        let mut families: Vec<Family> = self
            .families
            .iter()
            .map(|(prefix, a)| {
                let known = c.known.iter().find(|k| &k.prefix == prefix);
                let estimated_keys = (a.keys as f64 * scale).round() as u64;
                let mean = if a.sampled > 0 {
                    a.bytes as f64 / a.sampled as f64
                } else {
                    0.0
                };
                let mut ttls = a.ttls.clone();
                ttls.sort_unstable();
                let expected = known.and_then(|k| k.expected_ttl);
                let flag = flag(known, a, ttls.last().copied());
                Family {
                    prefix: prefix.clone(),
                    kind: known
                        .map(|k| k.kind.clone())
                        .unwrap_or_else(|| "found".into()),
                    keys: a.keys,
                    estimated_keys,
                    share: if self.scanned > 0 {
                        a.keys as f64 / self.scanned as f64
                    } else {
                        0.0
                    },
                    sampled: a.sampled,
                    sampled_bytes: a.bytes,
                    estimated_bytes: (mean * estimated_keys as f64).round() as u64,
                    no_ttl: a.no_ttl,
                    expiring_soon: a.soon,
                    ttl_median_ms: ttls.get(ttls.len() / 2).copied(),
                    ttl_max_ms: ttls.last().copied(),
                    expected_ttl_ms: expected.map(|d| d.as_millis() as u64),
                    flag,
                    types: a.types.clone(),
                    biggest: a.biggest.clone(),
                }
            })
            .collect();
        families.sort_by(|a, b| {
            b.estimated_bytes
                .cmp(&a.estimated_bytes)
                .then(b.keys.cmp(&a.keys))
        });
        KeyFamilies {
            complete,
            scanned: self.scanned,
            dbsize,
            sampled: self.sampled,
            started_ms: self.started_ms,
            finished_ms,
            families,
        }
    }
}

/// The walk over every node's keyspace, one bounded step per poll: which
/// step comes next, what the steps found, the last complete pass.
#[derive(Debug, Clone)]
pub struct Walk {
    classifier: Classifier,
    pass: Option<Pass>,
    node: usize,
    /// The next SCAN cursor on `node` (`None`: this node's keys are walked).
    cursor: Option<u64>,
    /// The previous step's keys to probe.
    probe: Vec<Name>,
    last: Option<KeyFamilies>,
    /// No new pass before this (unix ms).
    next_pass_ms: u64,
    pause: Duration,
}

impl Walk {
    pub fn new(profile: &Profile, pause: Duration) -> Self {
        Walk {
            classifier: Classifier::for_profile(profile),
            pass: None,
            node: 0,
            cursor: None,
            probe: Vec::new(),
            last: None,
            next_pass_ms: 0,
            pause,
        }
    }

    /// The step to ask for in the next poll, starting a pass when due.
    pub fn work(&mut self, now_ms: u64) -> Option<super::KeyWork> {
        if self.pass.is_none() {
            if now_ms < self.next_pass_ms {
                return None;
            }
            self.pass = Some(Pass::new(now_ms));
            self.node = 0;
            self.cursor = Some(0);
        }
        Some(super::KeyWork {
            node: self.node,
            scan: self.cursor,
            probe: self.probe.clone(),
        })
    }

    /// Take a step's results. `nodes` is how many nodes the deployment has;
    /// `dbsize` the keys it holds.
    pub fn step(
        &mut self,
        asked: &super::KeyWork,
        got: super::KeyStep,
        nodes: usize,
        dbsize: u64,
        now_ms: u64,
    ) {
        let Some(pass) = &mut self.pass else { return };
        pass.probed(&self.classifier, got.probes);
        self.probe.clear();
        match (asked.scan, got.cursor) {
            (Some(_), Some(next)) => {
                self.probe = pass.count(&self.classifier, &got.found);
                self.cursor = (next != 0).then_some(next);
            }
            // The SCAN itself failed (not permitted, renamed): stop this pass;
            // the problem is in the snapshot.
            (Some(_), None) => {
                self.pass = None;
                self.next_pass_ms = now_ms + self.pause.as_millis() as u64;
                return;
            }
            (None, _) => {}
        }
        if self.cursor.is_none() && self.probe.is_empty() {
            if self.node + 1 < nodes {
                self.node += 1;
                self.cursor = Some(0);
            } else if let Some(p) = self.pass.take() {
                self.last = Some(p.report(&self.classifier, dbsize, Some(now_ms)));
                self.next_pass_ms = now_ms + self.pause.as_millis() as u64;
            }
        }
    }

    /// The last complete pass, else the one in progress (scaled to `dbsize`).
    pub fn report(&self, dbsize: u64) -> Option<KeyFamilies> {
        match (&self.last, &self.pass) {
            (Some(l), _) => Some(l.clone()),
            (None, Some(p)) => Some(p.report(&self.classifier, dbsize, None)),
            (None, None) => None,
        }
    }

    pub fn complete(&self) -> bool {
        self.last.is_some() && self.pass.is_none()
    }
}

/// `snapshot --keys`: walk every node's keyspace, at most `limit` keys in
/// all, one SCAN step and one pipeline of probes per round trip.
pub async fn walk_all(
    profile: &Profile,
    dep: &crate::connect::Deployment,
    limit: u64,
    dbsize: u64,
) -> crate::error::Result<KeyFamilies> {
    use crate::error::Failure;
    let mut walk = Walk::new(profile, Duration::from_secs(3600));
    let nodes = dep.nodes().len();
    let mut scanned = 0u64;
    loop {
        let now = crate::time::now_ms();
        let Some(mut w) = walk.work(now) else { break };
        if scanned >= limit {
            // Enough: probe what is waiting, scan no more; the figures are
            // then those of a partial pass, scaled to the keyspace.
            if w.probe.is_empty() {
                break;
            }
            w.scan = None;
        }
        let node = &dep.nodes()[w.node.min(nodes - 1)];
        let mut got = super::KeyStep::default();
        if let Some(cursor) = w.scan {
            let mut cmd = node.cmd("SCAN").ok_or_else(|| {
                Failure::config("SCAN is disabled by this profile's rename_commands; drop --keys")
            })?;
            cmd.arg(cursor).arg("COUNT").arg(STEP);
            let v: redis::Value = node.query(&cmd).await.map_err(|e| {
                Failure::runtime(format!(
                    "the key walk (SCAN) failed on {}: {e}",
                    node.endpoint
                ))
            })?;
            if let Some((next, found)) = crate::resp::scan(&v) {
                scanned += found.len() as u64;
                got.cursor = Some(next);
                got.found = found;
            }
        }
        let mut pipe = redis::pipe();
        let mut asked = Vec::new();
        for k in &w.probe {
            let owner = dep.node_for_key(k);
            if !std::ptr::eq(owner, node) {
                continue;
            }
            let cmds: Option<Vec<redis::Cmd>> = probe_commands(k)
                .into_iter()
                .map(|(name, args)| {
                    let mut c = node.cmd(name)?;
                    for a in args {
                        c.arg(a);
                    }
                    Some(c)
                })
                .collect();
            let Some(cmds) = cmds else { break };
            for c in cmds {
                pipe.add_command(c);
            }
            asked.push(k.clone());
        }
        if !asked.is_empty()
            && let Ok(replies) = node.pipeline(&pipe).await
        {
            for (k, r) in asked.into_iter().zip(replies.chunks(3)) {
                let mut p = Probe::new(k);
                for (which, v) in r.iter().enumerate() {
                    if let Ok(v) = v {
                        p.set(which, v);
                    }
                }
                got.probes.push(p);
            }
        }
        walk.step(&w, got, nodes, dbsize, now);
        if walk.complete() {
            break;
        }
    }
    walk.report(dbsize)
        .ok_or_else(|| Failure::runtime("the key walk found nothing to report"))
}

/// What looks wrong with a family's sample.
fn flag(known: Option<&KnownFamily>, a: &Acc, max_ttl: Option<u64>) -> Option<String> {
    let k = known?;
    if k.must_expire && a.no_ttl > 0 {
        return Some(format!(
            "{} of {} sampled keys have no TTL ({} keys should expire{})",
            a.no_ttl,
            a.sampled,
            k.kind,
            k.expected_ttl
                .map(|t| format!(", expected {}", humantime::format_duration(t)))
                .unwrap_or_default()
        ));
    }
    if let (Some(exp), Some(max)) = (k.expected_ttl, max_ttl)
        && max > exp.as_millis() as u64 * 11 / 10
    {
        return Some(format!(
            "TTL up to {} where {} is expected",
            humantime::format_duration(Duration::from_secs(max / 1000)),
            humantime::format_duration(exp)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        let mut known = builtin();
        known.sort_by_key(|k| std::cmp::Reverse(k.prefix.len()));
        Classifier { known }
    }

    #[test]
    fn families_by_longest_prefix_then_first_segment() {
        let c = classifier();
        assert_eq!(c.family(b"webhook:processed:e1").0, "webhook:processed:");
        assert_eq!(c.family(b"emb:t1:m:h").0, "emb:");
        assert_eq!(c.family(b"orders:42").0, "orders:");
        assert_eq!(c.family(b"plainkey").0, "(other)");
        assert_eq!(c.family(b"\xff:x").0, "\\xff:");
    }

    #[test]
    fn every_family_of_a_step_is_sampled() {
        let c = classifier();
        let mut p = Pass::new(0);
        let keys: Vec<Name> = (0..1000)
            .map(|i| Name::from(format!("emb:{i}")))
            .chain([Name::from("sess:1"), Name::from("orders:1")])
            .collect();
        let probe = p.count(&c, &keys);
        assert_eq!(probe.len(), PROBES);
        assert!(probe.contains(&Name::from("sess:1")) && probe.contains(&Name::from("orders:1")));
    }

    #[test]
    fn a_cache_key_without_ttl_is_flagged_and_counts_scale_while_partial() {
        let c = classifier();
        let mut p = Pass::new(0);
        let keys: Vec<Name> = (0..10)
            .map(|i| Name::from(format!("emb:{i}")))
            .chain((0..30).map(|i| Name::from(format!("orders:{i}"))))
            .collect();
        let probe = p.count(&c, &keys);
        assert!(probe.len() <= PROBES);
        p.probed(
            &c,
            vec![
                Probe {
                    name: "emb:1".into(),
                    kind: "string".into(),
                    pttl: -1,
                    bytes: 100,
                },
                Probe {
                    name: "emb:2".into(),
                    kind: "string".into(),
                    pttl: 600_000,
                    bytes: 300,
                },
            ],
        );
        let r = p.report(&c, 400, None);
        assert!(!r.complete);
        let emb = r.families.iter().find(|f| f.prefix == "emb:").unwrap();
        assert_eq!((emb.keys, emb.estimated_keys), (10, 100));
        assert_eq!(emb.estimated_bytes, 200 * 100);
        assert!(
            emb.flag
                .as_deref()
                .unwrap()
                .contains("1 of 2 sampled keys have no TTL")
        );
        assert_eq!(emb.biggest[0].bytes, 300);
        let orders = r.families.iter().find(|f| f.prefix == "orders:").unwrap();
        assert_eq!(orders.kind, "found");
        assert!((orders.share - 0.75).abs() < 1e-9);
    }
}
