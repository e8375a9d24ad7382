//! redeye in runbooks (issue 14): shell completions with the config's
//! profile names, the man page, `--version` with the git commit, and the
//! audit log's filters.

mod common;

use common::{Home, out};

#[test]
fn version_completions_and_man_page() {
    let home = Home::new();
    let o = home.redeye().arg("--version").output().unwrap();
    let (so, _) = out(&o);
    assert!(so.starts_with("redeye ") && so.contains("(git "), "{so}");

    let cfg = home.config(
        "profiles:\n  production:\n    redis: {address: \"10.0.0.1:6379\"}\n  staging-eu:\n    redis: {address: \"10.0.0.2:6379\"}\n",
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = home
            .redeye()
            .args(["--config", cfg.to_str().unwrap(), "completions", shell])
            .output()
            .unwrap();
        let (so, se) = out(&o);
        assert_eq!(o.status.code(), Some(0), "{shell}: {se}");
        assert!(
            so.contains("snapshot") && so.contains("dlq"),
            "{shell}: commands"
        );
        assert!(
            so.contains("production") && so.contains("staging-eu"),
            "{shell}: profile names"
        );
    }
    let o = home.redeye().arg("man").output().unwrap();
    let (so, _) = out(&o);
    assert!(
        so.contains(".TH redeye 1") && so.contains("check"),
        "{}",
        &so[..200.min(so.len())]
    );
}

/// `check --help` lists only what acts on `check`; an empty `REDEYE_*`
/// variable is unset, not a flag without its value.
#[test]
fn check_help_has_no_dashboard_flags_and_an_empty_redeye_config_is_unset() {
    let home = Home::new();
    let o = home.redeye().args(["check", "--help"]).output().unwrap();
    let (so, _) = out(&o);
    assert!(so.contains("--max-behind"), "{so}");
    for flag in ["--theme", "--record", "--read-only"] {
        assert!(!so.contains(flag), "check --help mentions {flag}:\n{so}");
    }
    let cfg = home.config("profiles:\n  a:\n    redis:\n      address: 127.0.0.1:1\n");
    let o = home
        .redeye()
        .env("REDEYE_CONFIG", "")
        .env("REDEYE_PROFILE", "")
        .args(["--config", cfg.to_str().unwrap(), "profiles"])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    assert!(so.contains('a'), "{so}");
}

#[test]
fn the_audit_log_filters_by_time_profile_and_action() {
    let home = Home::new();
    let dir = home.dir.path().join("xdg-data/redeye");
    std::fs::create_dir_all(&dir).unwrap();
    let now = std::time::SystemTime::now();
    let at = |ago_s: u64| {
        humantime::format_rfc3339_seconds(now - std::time::Duration::from_secs(ago_s)).to_string()
    };
    let rec = |time: String, profile: &str, action: &str| {
        let mut r = serde_json::json!({
            "time": time, "user": "u", "host": "h", "profile": profile, "endpoint": "e",
            "action": action, "stream": "orders", "ids": [], "ids_truncated": false,
            "count": 1, "result": "ok", "details": {}
        });
        if action == "claim" {
            r["group"] = "billing".into();
            r["target"] = "worker-9".into();
        }
        r.to_string()
    };
    let lines = [
        rec(at(7200), "production", "claim"),
        rec(at(600), "production", "dlq-requeue"),
        rec(at(60), "staging", "dlq-requeue"),
    ];
    std::fs::write(dir.join("audit.log"), lines.join("\n") + "\n").unwrap();
    let audit = |args: &[&str]| {
        let o = home
            .redeye()
            .arg("audit")
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        let (so, se) = out(&o);
        assert_eq!(o.status.code(), Some(0), "{se}");
        // JSON lines: one complete record per line.
        let v: Vec<serde_json::Value> = so
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        v.iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["profile"].as_str().unwrap(),
                    r["action"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(audit(&[]).len(), 3);
    // `audit --json | head -1` is one whole record; the text line names a
    // claim's target.
    let o = home.redeye().args(["audit", "--json"]).output().unwrap();
    let first = String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let rec: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(rec["action"], "claim");
    let o = home.redeye().arg("audit").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        text.lines().next().unwrap().contains(" to worker-9 "),
        "{text}"
    );
    assert_eq!(
        audit(&["--since", "1h ago"]),
        ["production/dlq-requeue", "staging/dlq-requeue"]
    );
    assert_eq!(
        audit(&["--profile", "production"]),
        ["production/claim", "production/dlq-requeue"]
    );
    assert_eq!(
        audit(&["--action", "dlq-requeue", "--profile", "staging"]),
        ["staging/dlq-requeue"]
    );
    let o = home
        .redeye()
        .args(["audit", "--since", "yesterdayish"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Run redeye with its stdout a pipe whose reader is already gone (as in
/// `redeye man | head -0`): it must end quietly with 0, no panic, no error.
pub fn with_reader_gone(cmd: &mut std::process::Command) -> (Option<i32>, String) {
    use std::process::Stdio;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = cmd
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn commands_whose_reader_goes_away_end_quietly() {
    let home = Home::new();
    for args in [&["man"][..], &["completions", "bash"], &["--help"]] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_redeye"));
        cmd.args(args).env("HOME", home.dir.path());
        let (code, stderr) = with_reader_gone(&mut cmd);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}
