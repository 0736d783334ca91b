use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(text: &str) -> Result<(Settings, Vec<String>), SettingsError> {
    Settings::from_toml(text, Path::new("test.toml"))
}

#[test]
fn env_overrides_file_and_defaults() {
    let (mut s, notices) =
        parse("[server]\nbind = \"0.0.0.0:9000\"\nmax_upload_bytes = 10\n").expect("toml");
    assert!(notices.is_empty());
    assert_eq!(s.server.bind, "0.0.0.0:9000");
    s.apply_env(vars(&[
        ("DUALCHECK_SERVER__BIND", "127.0.0.1:1"),
        ("DUALCHECK_SESSIONS__IDLE_SECS", "5"),
        ("DUALCHECK_MODELS__AUTO_FETCH", "off"),
        ("DUALCHECK_DATABASE__URL", "postgres://u:pw@h/d"),
        ("OTHER", "x"),
    ]))
    .expect("env");
    assert_eq!(s.server.bind, "127.0.0.1:1");
    assert_eq!(s.sessions.idle_secs, 5);
    assert_eq!(s.server.max_upload_bytes, 10);
    assert!(!s.models.auto_fetch);
    assert_eq!(
        s.store_config().database_url.as_deref(),
        Some("postgres://u:pw@h/d")
    );
    // An empty value unsets an optional setting.
    s.apply_env(vars(&[("DUALCHECK_DATABASE__URL", "")]))
        .expect("unset");
    assert_eq!(s.database.url, None);
}

#[test]
fn every_setting_has_a_generic_env_name() {
    for f in Settings::fields() {
        let mut s = Settings::default();
        // A value every kind accepts is not available; check the name is known instead.
        let err = s.apply_env(vars(&[(&f.env_name(), "\u{1}not a value\u{1}")]));
        match err {
            Ok(_) => {} // strings accept anything
            Err(SettingsError::Env { var, .. }) => assert_eq!(var, f.env_name()),
            Err(e) => panic!("{}: {e}", f.env_name()),
        }
    }
    assert_eq!(
        Settings::SECTIONS,
        &[
            "server", "storage", "ingest", "database", "sessions", "limits", "audit", "models",
            "rules", "workers", "log"
        ]
    );
}

#[test]
fn wrong_types_are_refused_with_the_variable_name() {
    let mut s = Settings::default();
    let e = s
        .apply_env(vars(&[("DUALCHECK_SERVER__MAX_UPLOAD_BYTES", "lots")]))
        .expect_err("not a number");
    assert!(
        e.to_string().contains("DUALCHECK_SERVER__MAX_UPLOAD_BYTES"),
        "{e}"
    );
    let e = s
        .apply_env(vars(&[("DUALCHECK_LOG__FORMAT", "xml")]))
        .expect_err("not a format");
    assert!(e.to_string().contains("auto, plain or json"), "{e}");
}

#[test]
fn unknown_variables_and_keys_are_refused_by_name() {
    let mut s = Settings::default();
    let e = s
        .apply_env(vars(&[("DUALCHECK_SERVER_BIND", "x")]))
        .expect_err("one underscore");
    let msg = e.to_string();
    assert!(msg.contains("DUALCHECK_SERVER_BIND"), "{msg}");
    assert!(
        msg.contains("did you mean DUALCHECK_SERVER__BIND?"),
        "{msg}"
    );
    let e = s
        .apply_env(vars(&[("DUALCHECK_SERVER__PORT", "1")]))
        .expect_err("no such key");
    assert!(e.to_string().contains("DUALCHECK_SERVER__PORT"), "{e}");
    // Switches of the test suite are not settings and pass.
    s.apply_env(vars(&[("DUALCHECK_REQUIRE_PG", "1")]))
        .expect("harness switch");

    let e = parse("[server]\nbind = \"x\"\nport = 1\n").expect_err("unknown key");
    let msg = e.to_string();
    assert!(msg.contains("port") && msg.contains("line 3"), "{msg}");
    let e = parse("[serverr]\nbind = \"x\"\n").expect_err("unknown section");
    assert!(e.to_string().contains("serverr"), "{e}");
}

#[test]
fn old_names_are_read_with_a_warning() {
    let mut s = Settings::default();
    let notices = s
        .apply_env(vars(&[
            ("DUALCHECK_BIND", "127.0.0.1:2"),
            ("DUALCHECK_MODELS_DIR", "/m"),
            ("DUALCHECK_NO_MODEL_FETCH", "1"),
        ]))
        .expect("aliases");
    assert_eq!(s.server.bind, "127.0.0.1:2");
    assert_eq!(s.models.dir, PathBuf::from("/m"));
    assert!(!s.models.auto_fetch);
    assert_eq!(notices.len(), 3);
    assert!(notices.iter().any(|n| n.contains("DUALCHECK_SERVER__BIND")));
    let e = s
        .apply_env(vars(&[
            ("DUALCHECK_BIND", "a"),
            ("DUALCHECK_SERVER__BIND", "b"),
        ]))
        .expect_err("both");
    assert!(e.to_string().contains("remove DUALCHECK_BIND"), "{e}");

    let (s, notices) =
        parse("bind = \"0.0.0.0:1\"\ndb_max_connections = 3\n[audit]\ncheckpoint_events = 7\n")
            .expect("old file");
    assert_eq!(s.server.bind, "0.0.0.0:1");
    assert_eq!(s.database.max_connections, 3);
    assert_eq!(s.audit.checkpoint_events, 7);
    assert_eq!(notices.len(), 2);
    let e = parse("bind = \"a\"\n[server]\nbind = \"b\"\n").expect_err("both in file");
    assert!(e.to_string().contains("remove `bind`"), "{e}");
}

#[test]
fn secrets_stay_out_of_debug_and_fingerprint() {
    let mut s = Settings::default();
    s.apply_env(vars(&[(
        "DUALCHECK_DATABASE__URL",
        "postgres://app:hunter2@db/dc",
    )]))
    .expect("env");
    assert!(!format!("{s:?}").contains("hunter2"));
    assert!(!s.to_redacted_toml().contains("hunter2"));
    let mut other = s.clone();
    other
        .apply_env(vars(&[(
            "DUALCHECK_DATABASE__URL",
            "postgres://app:other@db/dc",
        )]))
        .expect("env");
    // Same settings but for the password: same fingerprint (the password is not in it) ...
    assert_eq!(s.fingerprint(), other.fingerprint());
    // ... and a changed setting changes it.
    other.server.bind = "0.0.0.0:1".into();
    assert_ne!(s.fingerprint(), other.fingerprint());
}

#[test]
fn validation_names_the_setting() {
    for (var, val, says) in [
        ("DUALCHECK_SESSIONS__IDLE_SECS", "0", "sessions.idle_secs"),
        ("DUALCHECK_SERVER__TLS_CERT", "/c.pem", "server.tls_key"),
        ("DUALCHECK_SERVER__WORKERS", "0", "server.workers"),
        (
            "DUALCHECK_SESSIONS__ABSOLUTE_SECS",
            "18446744073709551615",
            "sessions.absolute_secs",
        ),
        (
            "DUALCHECK_AUDIT__CHECKPOINT_MINUTES",
            "9999999999",
            "audit.checkpoint_minutes",
        ),
        ("DUALCHECK_SERVER__METRICS_TOKEN", "short", "32"),
    ] {
        let e =
            Settings::load_from(Some(Path::new("/dev/null")), vars(&[(var, val)])).expect_err(var);
        assert!(e.to_string().contains(says), "{var}: {e}");
    }
}

#[test]
fn the_metrics_token_is_never_shown() {
    let token = "a metrics token that nobody may read in a log";
    let s = Settings::load_from(
        Some(Path::new("/dev/null")),
        vars(&[("DUALCHECK_SERVER__METRICS_TOKEN", token)]),
    )
    .expect("a long token is accepted")
    .settings;
    assert_eq!(
        s.server.metrics_token.as_ref().map(|t| t.expose()),
        Some(token)
    );
    assert!(!format!("{s:?}").contains(token));
    assert!(!s.to_redacted_toml().contains(token));
}
