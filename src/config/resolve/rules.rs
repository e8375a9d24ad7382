//! Rules shared by the profile resolver and zero-config mode, so both read
//! the same words the same way.

/// A boolean as YAML and environment variables spell it.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Mutual TLS needs both the certificate and its key, or neither.
pub fn cert_and_key_agree(cert: bool, key: bool) -> bool {
    cert == key
}

/// TLS is on when asked for; when not said, a CA or client certificate turns it on.
pub fn tls_on(explicit: Option<bool>, ca_file: bool, cert_file: bool) -> bool {
    explicit.unwrap_or(ca_file || cert_file)
}

/// A path as written in a profile: a leading `~/` is the user's home.
pub fn home_path(p: &str) -> std::path::PathBuf {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest),
        _ => std::path::PathBuf::from(p),
    }
}
