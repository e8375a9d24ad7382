//! Authentication: username, password or password_command, database.

use crate::error::{Failure, Result};
use crate::secret::Secret;

pub(super) fn run_password_command(profile: &str, cmd: &str) -> Result<Secret> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Failure::config(format!(
                "profile '{profile}': redis.password_command could not be started ({e}); check that sh exists"
            ))
        })?;
    if !out.status.success() {
        return Err(Failure::config(format!(
            "profile '{profile}': redis.password_command failed ({}); run it by hand to see why",
            out.status
        )));
    }
    let pw = String::from_utf8(out.stdout).map_err(|_| {
        Failure::config(format!(
            "profile '{profile}': redis.password_command printed something that is not UTF-8 text"
        ))
    })?;
    let pw = pw.trim();
    if pw.is_empty() {
        return Err(Failure::config(format!(
            "profile '{profile}': redis.password_command printed nothing; it must print the password"
        )));
    }
    Ok(Secret::new(pw))
}
