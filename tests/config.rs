//! Profiles, the config file and the CLI's user errors (no server needed,
//! except where a profile must win over a stray REDIS_ADDR).

mod common;

use common::{Home, Server, code_out, one_line};

fn run(home: &Home, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = home.redeye();
    for (k, v) in envs {
        c.env(k, v);
    }
    code_out(c.args(args))
}

fn error_line(stderr: &str) -> String {
    one_line(stderr).to_string()
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.yaml");

#[test]
fn example_file_loads_and_lists_every_profile_without_secrets() {
    let home = Home::new();
    let (code, stdout, stderr) = run(
        &home,
        &["--config", EXAMPLE, "profiles"],
        &[("REDIS_PASSWORD", "pw-in-env-123")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.is_empty(),
        "the example file must load without warnings: {stderr}"
    );
    for p in ["development", "staging", "production"] {
        assert!(stdout.contains(p), "{stdout}");
    }
    assert!(stdout.contains("sentinel"), "{stdout}");
    assert!(stdout.contains("password_command"), "{stdout}");
    assert!(
        stdout.contains("* development"),
        "default profile marked: {stdout}"
    );
    assert!(!stdout.contains("pw-in-env-123"));

    let (code, json, _) = run(&home, &["--config", EXAMPLE, "profiles", "--json"], &[]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let prod = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "production")
        .unwrap();
    assert_eq!(prod["environment"], "production");
    assert_eq!(prod["mode"], "sentinel");
    assert_eq!(prod["tls"], true);
    assert_eq!(prod["read_only"], true);
    assert_eq!(prod["username"], "readonly_user");
}

#[test]
fn literal_passwords_never_appear_in_listings_or_errors() {
    let home = Home::new();
    let cfg = home.config(
        "profiles:\n  a:\n    redis:\n      address: 127.0.0.1:1\n      password: hunter2-literal\n      timeouts:\n        connect: 200ms\n",
    );
    let c = cfg.to_str().unwrap();
    let (_, so, se) = run(&home, &["--config", c, "profiles"], &[]);
    assert!(!so.contains("hunter2") && !se.contains("hunter2"));
    let (code, so, se) = run(&home, &["--config", c, "-p", "a", "snapshot"], &[]);
    assert_eq!(code, 1);
    assert!(!so.contains("hunter2") && !se.contains("hunter2"), "{se}");
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let home = Home::new();
    let (code, _, stderr) = run(
        &home,
        &["--config", EXAMPLE, "--profile", "prod", "snapshot"],
        &[],
    );
    assert_eq!(code, 2);
    let line = error_line(&stderr);
    assert!(line.contains("unknown profile 'prod'"), "{line}");
    assert!(line.contains("development, production, staging"), "{line}");

    // Also through REDEYE_PROFILE / REDEYE_CONFIG.
    let (code, _, stderr) = run(
        &home,
        &["snapshot"],
        &[("REDEYE_CONFIG", EXAMPLE), ("REDEYE_PROFILE", "nope")],
    );
    assert_eq!(code, 2);
    assert!(error_line(&stderr).contains("unknown profile 'nope'"));
}

#[test]
fn missing_config_file_given_explicitly() {
    let home = Home::new();
    let (code, _, stderr) = run(
        &home,
        &["--config", "/nonexistent/redeye.yaml", "profiles"],
        &[],
    );
    assert_eq!(code, 2);
    let line = error_line(&stderr);
    assert!(
        line.contains("/nonexistent/redeye.yaml") && line.contains("does not exist"),
        "{line}"
    );

    // --profile with no config file anywhere.
    let (code, _, stderr) = run(&home, &["--profile", "staging", "snapshot"], &[]);
    assert_eq!(code, 2);
    let line = error_line(&stderr);
    assert!(
        line.contains("no config file") && line.contains("config.yaml"),
        "{line}"
    );
}

#[test]
fn default_config_location_is_used() {
    let home = Home::new();
    let dir = home.dir.path().join("xdg-config/redeye");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(EXAMPLE, dir.join("config.yaml")).unwrap();
    let (code, stdout, stderr) = run(&home, &["profiles"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("staging"));
}

#[test]
fn yaml_syntax_error_names_file_line_and_column() {
    let home = Home::new();
    let cfg = home.config("profiles:\n  a:\n    redis:\n      address: \"unterminated\n  b: {\n");
    let (code, _, stderr) = run(&home, &["--config", cfg.to_str().unwrap(), "profiles"], &[]);
    assert_eq!(code, 2);
    let line = error_line(&stderr);
    assert!(line.contains(&format!("{}:4:", cfg.display())), "{line}");
    assert!(line.contains("unclosed quote"), "{line}");
}

#[test]
fn missing_variable_names_the_variable_and_the_profile() {
    let home = Home::new();
    let cfg = home.config("profiles:\n  staging:\n    redis:\n      address: localhost:6379\n      password: ${REDIS_PASSWORD}\n");
    let (code, _, stderr) = run(
        &home,
        &[
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "staging",
            "snapshot",
        ],
        &[],
    );
    assert_eq!(code, 2);
    let line = error_line(&stderr);
    assert!(
        line.contains("REDIS_PASSWORD") && line.contains("'staging'"),
        "{line}"
    );
    // An empty variable counts as unset too.
    let (code, _, _) = run(
        &home,
        &[
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "staging",
            "snapshot",
        ],
        &[("REDIS_PASSWORD", "")],
    );
    assert_eq!(code, 2);
}

#[test]
fn unknown_keys_warn_with_file_and_line_but_document_keys_do_not() {
    let home = Home::new();
    let cfg = home.config(
        "profiles:\n  a:\n    redis:\n      address: localhost:6379\n      pasword: secret-typo\n      pool:\n        size: 50\n      circuit_breaker:\n        enabled: true\n      pipeline:\n        enabled: true\n    refrsh: 2s\n",
    );
    let (code, _, stderr) = run(&home, &["--config", cfg.to_str().unwrap(), "profiles"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:5: unknown key `profiles.a.redis.pasword`",
            cfg.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(":12: unknown key `profiles.a.refrsh`"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        2,
        "pool/circuit_breaker/pipeline are accepted: {stderr}"
    );
    assert!(!stderr.contains("secret-typo"));
}

#[test]
fn bad_values_are_config_errors_naming_the_key() {
    let home = Home::new();
    let cases = [
        ("      address: localhost:99999\n", "redis.address"),
        ("      db: seven\n", "redis.db"),
        (
            "      timeouts:\n        connect: fast\n",
            "redis.timeouts.connect",
        ),
        ("      tls:\n        enabled: maybe\n", "redis.tls.enabled"),
        ("      tls:\n        cert_file: /a.crt\n", "key_file"),
        (
            "      tls:\n        enabled: true\n        options:\n          min_version: \"1.0\"\n",
            "min_version",
        ),
        (
            "      sentinel:\n        enabled: true\n        addresses: [s1:26379]\n",
            "master_name",
        ),
        (
            "      cluster:\n        enabled: true\n",
            "redis.cluster.addresses",
        ),
        (
            "      sentinel:\n        enabled: true\n        master_name: m\n        addresses: [s:1]\n      cluster:\n        enabled: true\n        addresses: [c:1]\n",
            "both sentinel and cluster",
        ),
    ];
    for (yaml, needle) in cases {
        let cfg = home.config(&format!("profiles:\n  a:\n    redis:\n{yaml}"));
        let (code, _, stderr) = run(
            &home,
            &["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"],
            &[],
        );
        assert_eq!(code, 2, "{yaml}: {stderr}");
        let line = error_line(&stderr);
        assert!(
            line.contains(needle) && line.contains("profile 'a'"),
            "{yaml}: {line}"
        );
    }
    let cfg = home.config("profiles:\n  a:\n    environment: prd\n");
    let (code, _, stderr) = run(
        &home,
        &["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(error_line(&stderr).contains("development, staging or production"));
}

#[test]
fn bad_ssh_blocks_are_config_errors_naming_the_key() {
    let home = Home::new();
    let cases = [
        ("    ssh:\n      user: me\n", "ssh.host"),
        (
            "    ssh:\n      host: \"-oProxyCommand=touch /tmp/x\"\n",
            "starts with '-'",
        ),
        (
            "    ssh:\n      host: bastion\n      port: 70000\n",
            "ssh.port",
        ),
        (
            "    ssh:\n      host: me@bastion\n      user: you\n",
            "ssh.user",
        ),
        (
            "    ssh:\n      host: bastion:22\n      port: 2222\n",
            "ssh.port",
        ),
        (
            "    ssh:\n      host: bastion\n      config_file: /no/such/ssh_config\n",
            "ssh.config_file",
        ),
        (
            "    ssh:\n      host: bastion\n      jump: \"a b\"\n",
            "ssh.jump",
        ),
    ];
    for (yaml, needle) in cases {
        let cfg = home.config(&format!(
            "profiles:\n  a:\n{yaml}    redis:\n      address: 10.0.0.1:6379\n"
        ));
        let (code, _, stderr) = run(
            &home,
            &["--config", cfg.to_str().unwrap(), "-p", "a", "snapshot"],
            &[],
        );
        assert_eq!(code, 2, "{yaml}: {stderr}");
        let line = error_line(&stderr);
        assert!(
            line.contains(needle) && line.contains("profile 'a'"),
            "{yaml}: {line}"
        );
    }
    // The listing says which bastion a profile goes through.
    let cfg = home.config("profiles:\n  a:\n    ssh:\n      host: ops@bastion-prod:2222\n    redis:\n      address: 10.0.0.1:6379\n");
    let (code, so, _) = run(&home, &["--config", cfg.to_str().unwrap(), "profiles"], &[]);
    assert_eq!(code, 0);
    assert!(so.contains("via ssh ops@bastion-prod:2222"), "{so}");
}

#[test]
fn sentinel_cluster_and_elasticache_profiles_validate_and_name_unreachable_seeds() {
    let home = Home::new();
    let (code, _, stderr) = run(
        &home,
        &["--config", EXAMPLE, "-p", "production", "snapshot"],
        &[],
    );
    // password_command would run first: the example's `pass` is not installed, so that fails cleanly.
    assert_eq!(code, 2, "{stderr}");
    error_line(&stderr);
    let cfg = home.config(
        "profiles:\n  c:\n    redis:\n      cluster:\n        enabled: true\n        addresses: [n1:6379, n2:6379]\n  e:\n    redis:\n      elasticache:\n        enabled: true\n        endpoint: my.cache.amazonaws.com\n        port: 6380\n        auth_token: tok\n        encryption:\n          in_transit: true\n",
    );
    let (code, _, stderr) = run(
        &home,
        &["--config", cfg.to_str().unwrap(), "-p", "c", "snapshot"],
        &[],
    );
    // Seeds that cannot be reached: one line naming them, a runtime error.
    assert_eq!(code, 1, "{stderr}");
    let line = error_line(&stderr);
    assert!(
        line.contains("no cluster node answered")
            && line.contains("n1:6379")
            && line.contains("n2:6379"),
        "{line}"
    );
    let (code, so, _) = run(
        &home,
        &["--config", cfg.to_str().unwrap(), "profiles", "--json"],
        &[],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&so).unwrap();
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "e")
        .unwrap();
    assert_eq!(e["endpoint"], "my.cache.amazonaws.com:6380");
    assert_eq!(e["tls"], true);
    assert_eq!(e["auth"], "password (hidden)");
}

#[test]
fn a_selected_profile_ignores_a_stray_redis_addr() {
    let srv = Server::plain();
    let home = Home::new();
    let cfg = home.config(&format!(
        "profiles:\n  prod:\n    redis:\n      address: {}\n",
        srv.addr()
    ));
    let (code, stdout, stderr) = run(
        &home,
        &["--config", cfg.to_str().unwrap(), "-p", "prod", "snapshot"],
        &[("REDIS_ADDR", "127.0.0.1:1"), ("REDIS_HOST", "10.9.9.9")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&srv.addr()), "{stdout}");
}

#[test]
fn zero_config_from_host_and_port_and_bad_values() {
    let srv = Server::plain();
    let home = Home::new();
    let (code, stdout, stderr) = run(
        &home,
        &["snapshot"],
        &[
            ("REDIS_HOST", "127.0.0.1"),
            ("REDIS_PORT", &srv.port.to_string()),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(zero-config)"));
    let (code, _, stderr) = run(
        &home,
        &["snapshot"],
        &[("REDIS_ADDR", "localhost:notaport")],
    );
    assert_eq!(code, 2);
    assert!(error_line(&stderr).contains("REDIS_ADDR"));
    let (code, _, stderr) = run(
        &home,
        &["snapshot"],
        &[("REDIS_ADDR", &srv.addr()), ("REDIS_DB", "x")],
    );
    assert_eq!(code, 2);
    assert!(error_line(&stderr).contains("REDIS_DB"));
}

#[test]
fn help_and_usage_errors() {
    let home = Home::new();
    let (code, stdout, _) = run(&home, &["--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("snapshot") && stdout.contains("profiles") && stdout.contains("REDIS_ADDR")
    );
    let (code, _, _) = run(&home, &["snapshot", "--bogus"], &[]);
    assert_eq!(code, 2);
}
