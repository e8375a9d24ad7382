//! `redis.streams` (names, groups, DLQ) and `alerts`.

use super::Resolver;
use crate::config::raw::{RawDlq, RawProfile, Templ};
use crate::config::{GroupSpec, StreamSettings, StreamSpec};
use crate::error::Result;
use crate::model::Name;
use std::collections::BTreeMap;
use std::time::Duration;

pub(super) fn resolve_alerts(
    r: &Resolver,
    raw: &RawProfile,
    claim_min_idle: Duration,
) -> Result<crate::model::alerts::Thresholds> {
    let mut t = crate::model::alerts::Thresholds::defaults(claim_min_idle);
    let Some(a) = &raw.alerts else { return Ok(t) };
    let num = |v: &Option<Templ>, key: &str| -> Result<Option<f64>> {
        match r.s(v, &format!("alerts.{key}"))? {
            None => Ok(None),
            Some(s) => s.parse::<f64>().map(Some).map_err(|_| {
                r.fail(
                    &format!("alerts.{key}"),
                    format_args!("is `{s}`, not a number"),
                )
            }),
        }
    };
    macro_rules! set {
        ($field:ident, f64) => {
            if let Some(v) = num(&a.$field, stringify!($field))? {
                t.$field = v;
            }
        };
        ($field:ident, u64) => {
            if let Some(v) = r.uint(&a.$field, concat!("alerts.", stringify!($field)))? {
                t.$field = v;
            }
        };
        ($field:ident, dur) => {
            if let Some(v) = r.duration(&a.$field, concat!("alerts.", stringify!($field)))? {
                t.$field = v;
            }
        };
    }
    set!(memory_warn_pct, f64);
    set!(memory_crit_pct, f64);
    set!(fragmentation_warn, f64);
    set!(fragmentation_crit, f64);
    set!(evictions_warn_per_s, f64);
    set!(lag_warn, u64);
    set!(lag_crit, u64);
    set!(pending_warn, u64);
    set!(pending_crit, u64);
    set!(oldest_pending_warn, dur);
    set!(oldest_pending_crit, dur);
    set!(dlq_warn, u64);
    set!(slowlog_warn_new, u64);
    set!(last_save_warn, dur);
    set!(behind_warn, dur);
    set!(behind_crit, dur);
    Ok(t)
}

/// `1GiB`, `500MB`, `2048` (bytes).
fn size(r: &Resolver, v: &Option<Templ>, key: &str) -> Result<Option<u64>> {
    let Some(s) = r.s(v, key)? else {
        return Ok(None);
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => f64::NAN,
    };
    match n.parse::<f64>() {
        Ok(v) if mult.is_finite() && v > 0.0 => Ok(Some((v * mult) as u64)),
        _ => Err(r.fail(
            key,
            format_args!("is `{t}`, not a size; write e.g. 1GiB or 500MB"),
        )),
    }
}

/// `record:` (`true`, or `{enabled, dir, keep, max_size, payloads}`).
pub(super) fn resolve_record(
    r: &Resolver,
    raw: &RawProfile,
) -> Result<crate::config::RecordSettings> {
    let mut out = crate::config::RecordSettings::default();
    match &raw.record {
        None => {}
        Some(crate::config::raw::RawRecord::On(t)) => {
            out.enabled = r.bool(&Some(t.clone()), "record")?.unwrap_or(false);
        }
        Some(crate::config::raw::RawRecord::With {
            enabled,
            dir,
            keep,
            max_size,
            payloads,
        }) => {
            out.enabled = r.bool(enabled, "record.enabled")?.unwrap_or(true);
            out.dir = r.s(dir, "record.dir")?.map(|d| super::rules::home_path(&d));
            if let Some(k) = r.duration(keep, "record.keep")? {
                out.keep = k;
            }
            if let Some(m) = size(r, max_size, "record.max_size")? {
                out.max_bytes = m;
            }
            out.payloads = r.bool(payloads, "record.payloads")?.unwrap_or(false);
        }
    }
    Ok(out)
}

/// `key_families:`: prefix → what it is and the TTL its keys should have.
pub(super) fn resolve_key_families(
    r: &Resolver,
    raw: &RawProfile,
) -> Result<Vec<crate::config::KeyFamilySpec>> {
    let mut out = Vec::new();
    for (prefix, f) in &raw.key_families {
        if prefix.is_empty() {
            return Err(r.fail(
                "key_families",
                "has an empty prefix; name the keys' prefix, e.g. \"orders:cache:\"",
            ));
        }
        let key = format!("key_families.{prefix}");
        let expected_ttl = r.duration(&f.ttl, &format!("{key}.ttl"))?;
        out.push(crate::config::KeyFamilySpec {
            prefix: prefix.clone(),
            kind: r
                .s(&f.kind, &format!("{key}.kind"))?
                .unwrap_or_else(|| prefix.trim_end_matches(':').to_string()),
            expected_ttl,
            must_expire: expected_ttl.is_some(),
        });
    }
    Ok(out)
}

pub(super) fn resolve_streams(r: &Resolver, raw: &RawProfile) -> Result<StreamSettings> {
    let defaults = StreamSettings::default();
    let s = &raw.redis.streams;
    let mut settings = StreamSettings {
        streams: Vec::new(),
        ..defaults.clone()
    };
    if let Some(n) = r.uint(&s.config.max_len, "redis.streams.config.max_len")? {
        settings.max_len = n;
    }
    if let Some(d) = r.duration(
        &s.config.claim_min_idle,
        "redis.streams.config.claim_min_idle",
    )? {
        settings.claim_min_idle = d;
    }
    let dlq: Option<&RawDlq> = s.dlq.as_ref().or(raw.redis.dlq.as_ref());
    if let Some(d) = dlq {
        if let Some(v) = r.bool(&d.enabled, "redis.streams.dlq.enabled")? {
            settings.dlq.enabled = v;
        }
        if let Some(v) = r.uint(&d.max_retries, "redis.streams.dlq.max_retries")? {
            settings.dlq.max_retries = v;
        }
        if let Some(v) = r.duration(&d.ttl, "redis.streams.dlq.ttl")? {
            settings.dlq.ttl = v;
        }
        if let Some(v) = r.s(&d.suffix, "redis.streams.dlq.suffix")? {
            settings.dlq.suffix = v;
        }
    }

    if s.names.is_empty() && s.consumer_groups.is_empty() {
        settings.streams = defaults.streams;
        return Ok(settings);
    }
    // alias -> real stream name
    // Names may be written in the escaped form redeye shows (`s_bad\xff`).
    let mut aliases: BTreeMap<&str, Name> = BTreeMap::new();
    for (alias, t) in &s.names {
        let key = format!("redis.streams.{alias}");
        let real = r
            .s(&Some(t.clone()), &key)?
            .map(|n| Name::parse(&n))
            .ok_or_else(|| r.fail(&key, "is empty; give the stream's name"))?;
        aliases.insert(alias, real.clone());
        if !settings.streams.iter().any(|x| x.name == real) {
            settings.streams.push(StreamSpec {
                name: real,
                groups: Vec::new(),
            });
        }
    }
    for (key, g) in &s.consumer_groups {
        let k = format!("redis.streams.consumer_groups.{key}");
        let stream = r.s(&g.stream, &format!("{k}.stream"))?.ok_or_else(|| {
            r.fail(
                &format!("{k}.stream"),
                "is not set; name the stream this group reads",
            )
        })?;
        let real = aliases
            .get(stream.as_str())
            .cloned()
            .unwrap_or_else(|| Name::parse(&stream));
        let group = Name::parse(
            &r.s(&g.name, &format!("{k}.name"))?
                .unwrap_or_else(|| key.clone()),
        );
        let idx = match settings.streams.iter().position(|x| x.name == real) {
            Some(i) => i,
            None => {
                settings.streams.push(StreamSpec {
                    name: real,
                    groups: Vec::new(),
                });
                settings.streams.len() - 1
            }
        };
        let spec = &mut settings.streams[idx];
        if !spec.groups.iter().any(|x| x.name == group) {
            spec.groups.push(GroupSpec { name: group });
        }
    }
    Ok(settings)
}
