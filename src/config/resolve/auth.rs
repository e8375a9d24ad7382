//! Authentication: username, password or password_command, database.

use crate::error::{Failure, Result};
use crate::secret::Secret;

/// How long a password_command may run by default (a password manager may
/// ask for its own passphrase first).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub(super) fn run_password_command(
    profile: &str,
    cmd: &str,
    limit: std::time::Duration,
) -> Result<Secret> {
    use std::io::IsTerminal;
    use std::io::Read;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            Failure::config(format!(
                "profile '{profile}': redis.password_command could not be started ({e}); check that sh exists"
            ))
        })?;
    // Read stdout on a thread so a command that prints a lot cannot block.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let started = std::time::Instant::now();
    let mut said = false;
    let status = loop {
        if let Some(st) = child.try_wait().ok().flatten() {
            break st;
        }
        if !said
            && started.elapsed() > std::time::Duration::from_secs(1)
            && std::io::stderr().is_terminal()
        {
            eprintln!(
                "redeye: waiting for redis.password_command of profile '{profile}' (at most {})...",
                humantime::format_duration(limit)
            );
            said = true;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::config(format!(
                "profile '{profile}': redis.password_command hung: no answer within {} (redis.password_command_timeout); run it by hand to see what it waits for",
                humantime::format_duration(limit)
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = std::process::Output {
        status,
        stdout: reader.join().unwrap_or_default(),
        stderr: Vec::new(),
    };
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
