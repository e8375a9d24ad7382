//! `ssh:`: the bastion. Only what redeye passes to OpenSSH is checked here;
//! `~/.ssh/config` (or `config_file`) supplies the rest, as for the user's own
//! `ssh`.

use super::{Resolver, rules};
use crate::config::SshSettings;
use crate::config::raw::RawSsh;
use crate::error::Result;

pub(super) fn resolve(r: &Resolver, raw: Option<&RawSsh>) -> Result<Option<SshSettings>> {
    let Some(raw) = raw else { return Ok(None) };
    let Some(written) = r.s(&raw.host, "ssh.host")? else {
        return Err(r.fail(
            "ssh.host",
            "is not set; name the bastion (a Host alias from ~/.ssh/config, or user@host[:port])",
        ));
    };
    let (user_in_host, rest) = match written.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h.to_string()),
        None => (None, written.clone()),
    };
    let (host, port_in_host) = split_port(&rest);
    let host = word(r, "ssh.host", host)?;
    let user = match (user_in_host, r.s(&raw.user, "ssh.user")?) {
        (Some(_), Some(_)) => {
            return Err(r.fail(
                "ssh.user",
                "is set and ssh.host names a user too (user@host); keep one",
            ));
        }
        (a, b) => a.or(b).map(|u| word(r, "ssh.user", u)).transpose()?,
    };
    let port_key = r.uint(&raw.port, "ssh.port")?;
    let port = match (port_in_host, port_key) {
        (Some(_), Some(_)) => {
            return Err(r.fail(
                "ssh.port",
                "is set and ssh.host names a port too (host:port); keep one",
            ));
        }
        (Some(p), None) => Some(
            p.parse::<u64>()
                .map_err(|_| r.fail("ssh.host", format_args!("has port `{p}`, not a number")))?,
        ),
        (None, p) => p,
    };
    let port = port
        .map(|p| {
            u16::try_from(p)
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| r.fail("ssh.port", "is not a port from 1 to 65535"))
        })
        .transpose()?;
    let jump = r
        .s(&raw.jump, "ssh.jump")?
        .map(|j| word(r, "ssh.jump", j))
        .transpose()?;
    let identity_file = r
        .s(&raw.identity_file, "ssh.identity_file")?
        .map(|p| rules::home_path(&p));
    let config_file = r
        .s(&raw.config_file, "ssh.config_file")?
        .map(|p| rules::home_path(&p));
    if let Some(f) = &config_file
        && !f.is_file()
    {
        return Err(r.fail(
            "ssh.config_file",
            format_args!(
                "is {}, which is not a readable file; fix the path or remove the key to use ~/.ssh/config",
                f.display()
            ),
        ));
    }
    let keepalive = r
        .duration(&raw.keepalive, "ssh.keepalive")?
        .unwrap_or(std::time::Duration::from_secs(5));
    if keepalive < std::time::Duration::from_secs(1) {
        return Err(r.fail(
            "ssh.keepalive",
            "is under 1s (ssh counts it in whole seconds); write 1s or more",
        ));
    }
    Ok(Some(SshSettings {
        host,
        user,
        port,
        identity_file,
        jump,
        config_file,
        keepalive,
    }))
}

/// `host:port` → (host, Some(port)); `[v6]:port` and bare IPv6 are kept whole.
fn split_port(s: &str) -> (String, Option<String>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, after)) = rest.split_once(']')
    {
        return (h.to_string(), after.strip_prefix(':').map(str::to_string));
    }
    match s.split_once(':') {
        Some((h, p)) if !p.contains(':') => (h.to_string(), Some(p.to_string())),
        _ => (s.to_string(), None),
    }
}

/// One word ssh will read as a name, never as an option.
fn word(r: &Resolver, key: &str, v: String) -> Result<String> {
    if v.is_empty() || v.starts_with('-') || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(r.fail(
            key,
            format_args!(
                "is `{}`, which is not a host or user name (it is empty, starts with '-' or holds spaces); write a name like bastion-prod",
                crate::sanitize::text(&v)
            ),
        ));
    }
    Ok(v)
}
