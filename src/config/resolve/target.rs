//! Where to connect: standalone address, Sentinel, Cluster, ElastiCache.

use super::Resolver;
use super::tls::Tls;
use crate::config::Target;
use crate::config::raw::{RawRedis, Templ};
use crate::error::Result;
use crate::secret::Secret;

/// Reads a secret (or skips it when secrets are not resolved).
pub(super) type SecretFn<'a> = dyn Fn(&Option<Templ>, &str) -> Result<Option<String>> + 'a;

pub(super) fn resolve(
    r: &Resolver,
    redis: &RawRedis,
    secret: &SecretFn,
    password: &mut Option<String>,
    tls: &mut Tls,
) -> Result<Target> {
    let sentinel_on = r
        .bool(&redis.sentinel.enabled, "redis.sentinel.enabled")?
        .unwrap_or(false);
    let cluster_on = r
        .bool(&redis.cluster.enabled, "redis.cluster.enabled")?
        .unwrap_or(false);
    let ec = &redis.elasticache;
    let ec_on = r
        .bool(&ec.enabled, "redis.elasticache.enabled")?
        .unwrap_or(false);
    if sentinel_on && (cluster_on || ec_on) {
        return Err(r.fail(
            "redis",
            "enables both sentinel and cluster/elasticache; a deployment is one or the other, so disable one",
        ));
    }
    let address = r.s(&redis.address, "redis.address")?;
    let target = if ec_on {
        if let Some(token) = secret(&ec.auth_token, "redis.elasticache.auth_token")? {
            if password.is_some() {
                return Err(r.fail(
                    "redis.elasticache.auth_token",
                    "and redis.password are both set; keep only one",
                ));
            }
            *password = Some(token);
        }
        if r.bool(
            &ec.encryption.in_transit,
            "redis.elasticache.encryption.in_transit",
        )? == Some(true)
        {
            tls.enabled = Some(true);
        }
        let port = r.uint(&ec.port, "redis.elasticache.port")?.unwrap_or(6379);
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| r.fail("redis.elasticache.port", "is not a port from 1 to 65535"))?;
        let ec_cluster = r
            .bool(
                &ec.cluster_mode.enabled,
                "redis.elasticache.cluster_mode.enabled",
            )?
            .unwrap_or(false);
        let cfg_ep = r.s(
            &ec.cluster_mode.configuration_endpoint,
            "redis.elasticache.cluster_mode.configuration_endpoint",
        )?;
        let endpoint = r.s(&ec.endpoint, "redis.elasticache.endpoint")?;
        let with_port = |host: String| {
            if host.contains(':') && !host.starts_with('[') {
                host
            } else {
                format!("{host}:{port}")
            }
        };
        if ec_cluster {
            let ep = cfg_ep.or(endpoint).ok_or_else(|| {
                r.fail(
                    "redis.elasticache.cluster_mode",
                    "is enabled but neither configuration_endpoint nor endpoint is set; set configuration_endpoint",
                )
            })?;
            Target::Cluster {
                addresses: vec![r.endpoint(
                    &with_port(ep),
                    "redis.elasticache.cluster_mode.configuration_endpoint",
                )?],
                read_from_replicas: false,
            }
        } else {
            let ep = endpoint.ok_or_else(|| {
                r.fail(
                    "redis.elasticache.endpoint",
                    "is not set; set it to the primary endpoint",
                )
            })?;
            Target::Standalone(r.endpoint(&with_port(ep), "redis.elasticache.endpoint")?)
        }
    } else if sentinel_on {
        let master_name = r
            .s(&redis.sentinel.master_name, "redis.sentinel.master_name")?
            .ok_or_else(|| {
                r.fail(
                    "redis.sentinel.master_name",
                    "is not set; Sentinel needs the master's name",
                )
            })?;
        let addresses = r.endpoints(&redis.sentinel.addresses, "redis.sentinel.addresses")?;
        if addresses.is_empty() {
            return Err(r.fail(
                "redis.sentinel.addresses",
                "is empty; list at least one sentinel host:port",
            ));
        }
        let opts = &redis.sentinel.options;
        Target::Sentinel {
            master_name,
            addresses,
            password: secret(&opts.password, "redis.sentinel.options.password")?.map(Secret::new),
            username: r.s(&opts.username, "redis.sentinel.options.username")?,
            tls: r.bool(&opts.tls, "redis.sentinel.options.tls")?,
        }
    } else if cluster_on {
        let addresses = r.endpoints(&redis.cluster.addresses, "redis.cluster.addresses")?;
        if addresses.is_empty() {
            return Err(r.fail(
                "redis.cluster.addresses",
                "is empty; list at least one node host:port",
            ));
        }
        Target::Cluster {
            addresses,
            read_from_replicas: r
                .bool(
                    &redis.cluster.options.read_only,
                    "redis.cluster.options.read_only",
                )?
                .unwrap_or(false),
        }
    } else {
        let a = address.as_deref().unwrap_or("localhost:6379");
        Target::Standalone(r.endpoint(a, "redis.address")?)
    };
    Ok(target)
}
