//! `redis.tls`: files, verification and the minimum version.

use super::{Resolver, rules};
use crate::config::raw::RawTls;
use crate::config::{TlsSettings, TlsVersion};
use crate::error::Result;

/// The TLS block as written; `enabled` may still be turned on by the target
/// (ElastiCache in-transit encryption).
pub(super) struct Tls {
    pub enabled: Option<bool>,
    settings: TlsSettings,
}

pub(super) fn read(r: &Resolver, tls_raw: &RawTls) -> Result<Tls> {
    let ca_file = r
        .s(&tls_raw.ca_file, "redis.tls.ca_file")?
        .map(|p| rules::home_path(&p));
    let cert_file = r
        .s(&tls_raw.cert_file, "redis.tls.cert_file")?
        .map(|p| rules::home_path(&p));
    let key_file = r
        .s(&tls_raw.key_file, "redis.tls.key_file")?
        .map(|p| rules::home_path(&p));
    let enabled = r.bool(&tls_raw.enabled, "redis.tls.enabled")?;
    if !rules::cert_and_key_agree(cert_file.is_some(), key_file.is_some()) {
        return Err(r.fail(
            "redis.tls",
            "has only one of cert_file and key_file; mutual TLS needs both",
        ));
    }
    let min_version = match r.s(
        &tls_raw.options.min_version,
        "redis.tls.options.min_version",
    )? {
        None => TlsVersion::V1_2,
        Some(v) => match v
            .to_ascii_lowercase()
            .trim_start_matches("tls")
            .trim_start_matches('v')
        {
            "1.2" | "12" => TlsVersion::V1_2,
            "1.3" | "13" => TlsVersion::V1_3,
            _ => {
                return Err(r.fail(
                    "redis.tls.options.min_version",
                    format_args!("is `{v}`; write \"1.2\" or \"1.3\""),
                ));
            }
        },
    };
    let skip_verify = r
        .bool(
            &tls_raw.options.skip_verify,
            "redis.tls.options.skip_verify",
        )?
        .unwrap_or(false);
    let server_name = r.s(
        &tls_raw.options.server_name,
        "redis.tls.options.server_name",
    )?;

    Ok(Tls {
        enabled,
        settings: TlsSettings {
            ca_file,
            cert_file,
            key_file,
            skip_verify,
            server_name,
            min_version,
        },
    })
}

impl Tls {
    /// The settings, if TLS is on.
    pub fn settle(self) -> Option<TlsSettings> {
        let s = self.settings;
        rules::tls_on(self.enabled, s.ca_file.is_some(), s.cert_file.is_some()).then_some(s)
    }
}
