//! `redis.timeouts` (and Sentinel's dial_timeout).

use super::Resolver;
use crate::config::raw::RawRedis;
use crate::config::{Target, Timeouts};
use crate::error::Result;

pub(super) fn resolve(r: &Resolver, redis: &RawRedis, target: &Target) -> Result<Timeouts> {
    let mut timeouts = Timeouts::default();
    if let Some(d) = r.duration(&redis.timeouts.connect, "redis.timeouts.connect")? {
        timeouts.connect = d;
    }
    if let Some(d) = r.duration(&redis.timeouts.read, "redis.timeouts.read")? {
        timeouts.read = d;
    }
    if let Some(d) = r.duration(&redis.timeouts.write, "redis.timeouts.write")? {
        timeouts.write = d;
    }
    if let Target::Sentinel { .. } = target
        && let Some(d) = r.duration(
            &redis.sentinel.options.dial_timeout,
            "redis.sentinel.options.dial_timeout",
        )?
    {
        timeouts.connect = d;
    }
    for (k, d) in [("connect", timeouts.connect), ("read", timeouts.read)] {
        if d.is_zero() {
            return Err(r.fail(
                &format!("redis.timeouts.{k}"),
                "is zero; give a positive duration like 5s",
            ));
        }
    }
    Ok(timeouts)
}
