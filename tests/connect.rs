//! Connection modes and their errors, each against a real redis-server:
//! password, ACL users, TLS (server-verified and mutual), renamed commands,
//! unreachable hosts. Every user-caused error is one line with a fix.

mod common;

use common::{ADMIN_PASSWORD, APP_PASSWORD, Home, READONLY_PASSWORD, Server, one_line, out};

/// Run `redeye snapshot` with a one-profile config; returns (status code, stdout, stderr).
fn snapshot_with(
    home: &Home,
    profile_yaml: &str,
    extra_env: &[(&str, &str)],
) -> (i32, String, String) {
    let cfg = home.config(&format!("profiles:\n  t:\n{profile_yaml}"));
    let mut c = home.redeye();
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let o = c
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "t",
            "snapshot",
        ])
        .output()
        .unwrap();
    let (so, se) = out(&o);
    (o.status.code().unwrap_or(-1), so, se)
}

#[test]
fn password_right_wrong_and_missing() {
    let srv = Server::builder().password().start();
    let home = Home::new();
    let ok = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      password: ${{PW}}\n",
            srv.addr()
        ),
        &[("PW", ADMIN_PASSWORD)],
    );
    assert_eq!(ok.0, 0, "{}", ok.2);
    assert!(ok.1.contains("redis 7"), "{}", ok.1);

    let wrong = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      password: nope-wrong\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(wrong.0, 1);
    let line = one_line(&wrong.2);
    assert!(
        line.contains("rejected the login") && line.contains("redis.password"),
        "{line}"
    );
    assert!(
        !wrong.2.contains("nope-wrong"),
        "the password leaked into the message"
    );

    let missing = snapshot_with(
        &home,
        &format!("    redis:\n      address: {}\n", srv.addr()),
        &[],
    );
    assert_eq!(missing.0, 1);
    let line = one_line(&missing.2);
    assert!(line.contains("requires a password"), "{line}");
}

#[test]
fn password_command_supplies_the_password_and_failures_are_clear() {
    let srv = Server::builder().password().start();
    let home = Home::new();
    let ok = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      password_command: \"printf '%s\\n' {ADMIN_PASSWORD}\"\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(ok.0, 0, "{}", ok.2);
    let bad = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      password_command: \"exit 3\"\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(bad.0, 2);
    assert!(
        one_line(&bad.2).contains("password_command failed"),
        "{}",
        bad.2
    );
}

#[test]
fn acl_users_and_a_permission_error_costs_only_its_section() {
    let srv = Server::builder().password().acl_users().start();
    srv.run(&["XADD", "webhook_events", "*", "a", "1"]);
    let home = Home::new();

    // app_user: +@all -config. Everything but the CONFIG section.
    let app = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      username: app_user\n      password: {APP_PASSWORD}\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(app.0, 0, "{}", app.2);
    assert!(app.1.contains("memory "), "{}", app.1);
    assert!(
        app.1.contains("not permitted for user app_user: CONFIG"),
        "{}",
        app.1
    );

    // readonly_user: +@read. INFO is not a read command; streams still print.
    let ro = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      username: readonly_user\n      password: {READONLY_PASSWORD}\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(ro.0, 0, "{}", ro.2);
    assert!(
        ro.1.contains("not permitted for user readonly_user: INFO"),
        "{}",
        ro.1
    );
    assert!(ro.1.contains("webhook_events  length 1"), "{}", ro.1);

    // JSON marks the section as not_permitted.
    let cfg = home.config(&format!(
        "profiles:\n  t:\n    redis:\n      address: {}\n      username: readonly_user\n      password: {READONLY_PASSWORD}\n",
        srv.addr()
    ));
    let o = home
        .redeye()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "-p",
            "t",
            "snapshot",
            "--json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["server"].is_null());
    let probs = json["problems"].as_array().unwrap();
    assert!(
        probs
            .iter()
            .any(|p| p["command"] == "INFO" && p["kind"] == "not_permitted"),
        "{json:#}"
    );

    // Wrong user.
    let nouser = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      username: nobody\n      password: x\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(nouser.0, 1);
    assert!(
        one_line(&nouser.2).contains("user 'nobody'"),
        "{}",
        nouser.2
    );
}

#[test]
fn renamed_config_command_is_used_through_the_profile_map() {
    let srv = Server::builder()
        .rename("CONFIG", "CONFIG_e8f9c6d5")
        .rename("FLUSHALL", "")
        .start();
    let home = Home::new();
    let mapped = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      rename_commands:\n        CONFIG: \"CONFIG_e8f9c6d5\"\n        FLUSHALL: \"\"\n",
            srv.addr()
        ),
        &[],
    );
    assert_eq!(mapped.0, 0, "{}", mapped.2);
    assert!(mapped.1.contains("slowlog-max-len 128"), "{}", mapped.1);
    assert!(!mapped.1.contains("! config"), "{}", mapped.1);

    // Without the map the server does not know CONFIG: the section says how to fix it.
    let unmapped = snapshot_with(
        &home,
        &format!("    redis:\n      address: {}\n", srv.addr()),
        &[],
    );
    assert_eq!(unmapped.0, 0, "{}", unmapped.2);
    assert!(unmapped.1.contains("rename_commands"), "{}", unmapped.1);

    // A command disabled in the profile ("") is never sent.
    let disabled = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      rename_commands:\n        CONFIG: \"\"\n",
            srv.addr()
        ),
        &[],
    );
    assert!(
        disabled
            .1
            .contains("CONFIG is disabled by this profile's rename_commands"),
        "{}",
        disabled.1
    );
}

fn tls_profile(addr: &str, extra: &str) -> String {
    format!("    redis:\n      address: {addr}\n      tls:\n        enabled: true\n{extra}")
}

#[test]
fn tls_with_ca_and_every_failure_named() {
    let srv = Server::builder().tls("no").start();
    let c = srv.certs();
    let home = Home::new();

    let ok = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!("        ca_file: {}\n", c.ca.display()),
        ),
        &[],
    );
    assert_eq!(ok.0, 0, "{}", ok.2);
    assert!(ok.1.contains("redis 7"));

    // Untrusted issuer.
    let untrusted = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!("        ca_file: {}\n", c.other_ca.display()),
        ),
        &[],
    );
    assert_eq!(untrusted.0, 1);
    let line = one_line(&untrusted.2);
    assert!(
        line.contains("TLS verification failed") && line.contains("not trusted"),
        "{line}"
    );

    // Name mismatch, via server_name override.
    let name = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!(
                "        ca_file: {}\n        options:\n          server_name: redis.example.com\n",
                c.ca.display()
            ),
        ),
        &[],
    );
    assert_eq!(name.0, 1);
    let line = one_line(&name.2);
    assert!(
        line.contains("TLS verification failed") && line.contains("server_name"),
        "{line}"
    );

    // The same override, right name: works when connecting by IP.
    let right = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!(
                "        ca_file: {}\n        options:\n          server_name: localhost\n          min_version: \"1.3\"\n",
                c.ca.display()
            ),
        ),
        &[],
    );
    assert_eq!(right.0, 0, "{}", right.2);

    // skip_verify works, with a visible warning.
    let skip = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            "        options:\n          skip_verify: true\n",
        ),
        &[],
    );
    assert_eq!(skip.0, 0, "{}", skip.2);
    assert!(
        skip.2.contains("skip_verify") && skip.2.contains("NOT checked"),
        "{}",
        skip.2
    );

    // TLS to the plain port: a handshake failure, said as such.
    let plain = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      timeouts:\n        connect: 1s\n      tls:\n        enabled: true\n        ca_file: {}\n",
            srv.addr(),
            c.ca.display()
        ),
        &[],
    );
    assert_eq!(plain.0, 1);
    let line = one_line(&plain.2);
    assert!(
        line.contains("TLS handshake") && line.contains("plain"),
        "{line}"
    );

    // Plain to the TLS port.
    let notls = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {}\n      timeouts:\n        read: 1s\n",
            srv.tls_addr()
        ),
        &[],
    );
    assert_eq!(notls.0, 1);
    let line = one_line(&notls.2);
    assert!(line.contains("TLS"), "{line}");

    // A CA file that does not exist is a config error.
    let nofile = snapshot_with(
        &home,
        &tls_profile(&srv.tls_addr(), "        ca_file: /nonexistent/ca.pem\n"),
        &[],
    );
    assert_eq!(nofile.0, 2);
    assert!(
        one_line(&nofile.2).contains("/nonexistent/ca.pem"),
        "{}",
        nofile.2
    );
}

#[test]
fn mutual_tls_needs_and_accepts_a_client_certificate() {
    let srv = Server::builder().tls("yes").start();
    let c = srv.certs();
    let home = Home::new();
    let ok = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!(
                "        ca_file: {}\n        cert_file: {}\n        key_file: {}\n",
                c.ca.display(),
                c.client_cert.display(),
                c.client_key.display()
            ),
        ),
        &[],
    );
    assert_eq!(ok.0, 0, "{}", ok.2);

    let nocert = snapshot_with(
        &home,
        &tls_profile(
            &srv.tls_addr(),
            &format!("        ca_file: {}\n", c.ca.display()),
        ),
        &[],
    );
    assert_eq!(nocert.0, 1);
    let line = one_line(&nocert.2);
    assert!(line.contains("client certificate"), "{line}");

    // Zero-config TLS from REDIS_TLS_* variables.
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.tls_addr())
        .env("REDIS_TLS_ENABLED", "true")
        .env("REDIS_TLS_CA_FILE", &c.ca)
        .env("REDIS_TLS_CERT_FILE", &c.client_cert)
        .env("REDIS_TLS_KEY_FILE", &c.client_key)
        .arg("snapshot")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o).1);
}

#[test]
fn unreachable_host_names_address_and_timeout() {
    let home = Home::new();
    let port = common::free_port(); // nothing listens there
    let refused = snapshot_with(
        &home,
        &format!("    redis:\n      address: 127.0.0.1:{port}\n"),
        &[],
    );
    assert_eq!(refused.0, 1);
    let line = one_line(&refused.2);
    assert!(
        line.contains(&format!("127.0.0.1:{port}")) && line.contains("refused"),
        "{line}"
    );

    // A blackhole address: TEST-NET-1 is never routed, so the connect times out.
    // Only a loopback listener that never accepts is used here, to stay on this machine:
    // a bound socket with a zero backlog that we never accept from.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = snapshot_with(
        &home,
        &format!(
            "    redis:\n      address: {addr}\n      timeouts:\n        connect: 300ms\n        read: 300ms\n"
        ),
        &[],
    );
    assert_eq!(silent.0, 1);
    let line = one_line(&silent.2);
    assert!(
        line.contains(&addr.to_string()) && line.contains("300ms"),
        "{line}"
    );
    drop(listener);
}

#[test]
fn db_number_is_selected() {
    let srv = Server::plain();
    srv.run(&["SELECT", "3"]);
    let mut c = srv.client();
    redis::cmd("SELECT").arg(3).exec(&mut c).unwrap();
    redis::cmd("SET").arg("k").arg("v").exec(&mut c).unwrap();
    let home = Home::new();
    let o = home
        .redeye()
        .env("REDIS_ADDR", srv.addr())
        .env("REDIS_DB", "3")
        .args(["snapshot"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(out(&o).0.contains("db3 1 keys"), "{}", out(&o).0);
}
