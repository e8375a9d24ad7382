//! Zero-config mode: a profile from the `REDIS_*` environment variables of
//! the system's own documentation, read by the resolver's rules.

use super::resolve::rules;
use super::{Endpoint, Origin, Profile, TlsSettings, TlsVersion};
use crate::error::{Failure, Result};
use crate::secret::Secret;
use std::path::PathBuf;

/// Zero-config mode: a profile built from `REDIS_*` environment variables.
pub fn zero_config(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Profile> {
    let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
    let fail = |var: &str, why: &str| Failure::config(format!("{var} {why}"));
    let address = match get("REDIS_ADDR") {
        Some(a) => a,
        None => match (get("REDIS_HOST"), get("REDIS_PORT")) {
            (None, None) => "localhost:6379".to_string(),
            (h, p) => {
                let h = h.unwrap_or_else(|| "localhost".into());
                let host = if h.contains(':') { format!("[{h}]") } else { h };
                format!("{host}:{}", p.unwrap_or_else(|| "6379".into()))
            }
        },
    };
    let endpoint = Endpoint::parse(&address).map_err(|why| {
        fail(
            "REDIS_ADDR",
            &format!("`{address}` is not a host:port address ({why}); set it like localhost:6379"),
        )
    })?;
    let mut p = Profile::local("(zero-config)", Origin::ZeroConfig, endpoint.clone());
    p.read_only = !endpoint.is_loopback();
    p.password = get("REDIS_PASSWORD").map(Secret::new);
    p.username = get("REDIS_USERNAME");
    if let Some(db) = get("REDIS_DB") {
        p.db = db
            .trim()
            .parse::<u32>()
            .map_err(|_| {
                fail(
                    "REDIS_DB",
                    &format!("is `{db}`, not a database number; set it like 0"),
                )
            })?
            .into();
    }
    let flag = |var: &str| -> Result<Option<bool>> {
        match get(var) {
            None => Ok(None),
            Some(v) => rules::parse_bool(&v)
                .map(Some)
                .ok_or_else(|| fail(var, &format!("is `{v}`; set it to true or false"))),
        }
    };
    let ca_file = get("REDIS_TLS_CA_FILE").map(PathBuf::from);
    let cert_file = get("REDIS_TLS_CERT_FILE").map(PathBuf::from);
    let key_file = get("REDIS_TLS_KEY_FILE").map(PathBuf::from);
    if !rules::cert_and_key_agree(cert_file.is_some(), key_file.is_some()) {
        return Err(Failure::config(
            "REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together for mutual TLS",
        ));
    }
    if rules::tls_on(
        flag("REDIS_TLS_ENABLED")?,
        ca_file.is_some(),
        cert_file.is_some(),
    ) {
        p.tls = Some(TlsSettings {
            ca_file,
            cert_file,
            key_file,
            skip_verify: flag("REDIS_TLS_SKIP_VERIFY")?.unwrap_or(false),
            server_name: None,
            min_version: TlsVersion::V1_2,
        });
    }
    Ok(p)
}
