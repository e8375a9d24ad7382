//! The audit log: one JSON line per write, in the data directory. Never a
//! password: records hold names, ids and counts only.

use crate::error::{Failure, Result};
use crate::model::Name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// Ids kept in one record at most (the count is always exact).
pub const MAX_IDS: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub time: String,
    pub user: String,
    pub host: String,
    pub profile: String,
    pub endpoint: String,
    pub action: String,
    /// Names in the escaped form (`\xff` for a byte that is not UTF-8).
    pub stream: Name,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Name>,
    pub ids: Vec<String>,
    pub ids_truncated: bool,
    pub count: u64,
    pub result: String,
    pub details: BTreeMap<String, u64>,
}

pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "redeye").map(|d| d.data_dir().join("audit.log"))
}

pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn open_log() -> Result<(std::fs::File, PathBuf)> {
    let p = path()
        .ok_or_else(|| Failure::runtime("no data directory for the audit log (HOME unset?)"))?;
    if let Some(dir) = p.parent() {
        crate::private::create_dir(dir).map_err(|e| {
            Failure::runtime(format!(
                "cannot create {} for the audit log: {e}; fix its permissions (or set XDG_DATA_HOME) and try again — nothing was changed",
                dir.display()
            ))
        })?;
    }
    let f = crate::private::append(&p).map_err(|e| {
            Failure::runtime(format!(
                "cannot open the audit log {}: {e}; fix its permissions (or set XDG_DATA_HOME) and try again — nothing was changed",
                p.display()
            ))
        })?;
    Ok((f, p))
}

/// Whether a record could be appended now: checked before a write, so a
/// write is never made that cannot be recorded.
pub fn check_appendable() -> Result<()> {
    open_log().map(|_| ())
}

/// Append one record.
pub fn append(rec: &Record) -> Result<()> {
    let (mut f, p) = open_log()?;
    let line = serde_json::to_string(rec).expect("record serialises");
    writeln!(f, "{line}")
        .map_err(|e| Failure::runtime(format!("cannot write the audit log {}: {e}", p.display())))
}

/// The last `n` records (all when `n` is 0).
/// The last `n` records (0: all), and how many lines could not be read
/// (not UTF-8, not a record): skipped and counted, never fatal.
pub fn read(n: usize) -> Result<(Vec<Record>, usize)> {
    let Some(p) = path() else {
        return Ok((Vec::new(), 0));
    };
    let bytes = match std::fs::read(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => {
            return Err(Failure::runtime(format!(
                "cannot read the audit log {}: {e}",
                p.display()
            )));
        }
    };
    let mut bad = 0;
    let mut recs: Vec<Record> = Vec::new();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match std::str::from_utf8(line)
            .ok()
            .and_then(|l| serde_json::from_str(l).ok())
        {
            Some(r) => recs.push(r),
            None => bad += 1,
        }
    }
    if n > 0 && recs.len() > n {
        recs.drain(..recs.len() - n);
    }
    Ok((recs, bad))
}
