//! `dualcheck migrate`, `tenant create|list` and `user add` as an operator runs them.

use dualcheck_tests::dualcheck_bin;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_env(data, args, stdin, &[])
}

fn run_env(
    data: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Output {
    let mut child = Command::new(dualcheck_bin())
        .args(args)
        .envs(env.iter().copied())
        .env("DUALCHECK_STORAGE__DATA_DIR", data)
        .env_remove("DUALCHECK_DATABASE__URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        // The command may exit before reading stdin (bad arguments): a broken pipe is fine.
        let _ = input.write_all(s.as_bytes());
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn tenants_users_and_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["tenant", "create", "acme", "--name", "Acme Pharma"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &data,
        &["tenant", "create", "beta", "--name", "Beta Bio"],
        None,
    );
    assert!(out.status.success());
    let out = run(&data, &["tenant", "list"], None);
    let listed = text(&out.stdout);
    assert!(listed.contains("acme\tAcme Pharma") && listed.contains("beta\tBeta Bio"));

    // One line per target; idempotent.
    let out = run(&data, &["migrate"], None);
    assert!(out.status.success());
    let lines = text(&out.stdout);
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(
        lines.contains("control:")
            && lines.contains("tenant acme:")
            && lines.contains("tenant beta:")
    );
    assert!(
        lines
            .lines()
            .all(|l| l.contains(": 0 migration(s) applied")),
        "{lines}"
    );

    let out = run(
        &data,
        &[
            "user",
            "add",
            "--tenant",
            "acme",
            "alice",
            "--role",
            "writer",
            "--role",
            "qa",
            "--password-stdin",
        ],
        Some("alice has a long passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("roles writer,qa"));
    assert!(
        !text(&out.stdout).contains("passphrase"),
        "never echo the password"
    );

    // The operator resets a password: a change is due at the next login.
    let reset = [
        "user",
        "reset-password",
        "--tenant",
        "acme",
        "alice",
        "--password-stdin",
        "--actor",
        "Olga Operator",
    ];
    let out = run(&data, &reset, Some("a temporary passphrase\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("must choose a new one"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&data, &reset, Some("short\n"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 12"),
        "{}",
        text(&out.stderr)
    );
    let nobody = [
        "user",
        "reset-password",
        "--tenant",
        "acme",
        "nobody",
        "--password-stdin",
    ];
    let out = run(&data, &nobody, Some("a temporary passphrase\n"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &data,
        &["audit", "export", "--tenant", "acme", "--format", "csv"],
        None,
    );
    let csv = text(&out.stdout);
    assert!(csv.contains("user.password_reset"), "{csv}");
    assert!(
        csv.contains("Olga Operator ("),
        "the --actor name is recorded: {csv}"
    );
    assert!(!csv.contains("temporary passphrase"));
}

#[test]
fn bad_input_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, stdin, needle) in [
        (
            vec!["tenant", "create", "Bad-Slug", "--name", "x"],
            None,
            "invalid tenant slug",
        ),
        (
            vec!["tenant", "create", "a\"; drop", "--name", "x"],
            None,
            "invalid tenant slug",
        ),
        (
            vec![
                "user",
                "add",
                "--tenant",
                "nosuch",
                "bob",
                "--role",
                "writer",
                "--password-stdin",
            ],
            Some("bob has a long passphrase\n"),
            "does not exist",
        ),
        (
            vec![
                "user",
                "add",
                "--tenant",
                "demo",
                "bob",
                "--role",
                "boss",
                "--password-stdin",
            ],
            Some("bob has a long passphrase\n"),
            "unknown role",
        ),
    ] {
        let out = run(&data, &args, stdin);
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let out = run(&data, &["tenant", "create", "acme", "--name", "Acme"], None);
    assert!(out.status.success());
    let out = run(
        &data,
        &[
            "user",
            "add",
            "--tenant",
            "acme",
            "bob",
            "--role",
            "writer",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 12 characters"));
    // The password is never accepted on the command line.
    let out = run(
        &data,
        &[
            "user",
            "add",
            "--tenant",
            "acme",
            "carol",
            "--role",
            "writer",
            "--password",
            "x",
        ],
        None,
    );
    assert!(!out.status.success());
}

/// `audit verify` and `audit export` on an operator's data directory; a payload changed
/// behind the application's back (triggers dropped, as a superuser could) makes `verify`
/// exit non-zero naming the sequence number.
#[test]
fn audit_verify_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["tenant", "create", "acme", "--name", "Acme"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = data.join("audit-signing.key");
    assert!(
        key.is_file(),
        "the installation key is created on first use"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let out = run(
        &data,
        &[
            "user",
            "add",
            "--tenant",
            "acme",
            "wendy",
            "--role",
            "writer",
            "--password-stdin",
        ],
        Some("wendy has a long passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&data, &["audit", "verify", "--tenant", "acme"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: tenant acme, 2 events"),
        "{}",
        text(&out.stdout)
    );

    let export = dir.path().join("trail.jsonl");
    let out = run(
        &data,
        &[
            "audit",
            "export",
            "--tenant",
            "acme",
            "--out",
            export.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = std::fs::read_to_string(&export).unwrap();
    let actions: Vec<String> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned))
        .collect();
    assert_eq!(actions, ["tenant.create", "user.create", "audit.export"]);
    assert!(!lines.contains("wendy has a long passphrase"));
    let out = run(
        &data,
        &["audit", "export", "--tenant", "acme", "--format", "html"],
        None,
    );
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("verified: 4 events"),
        "{}",
        text(&out.stdout)
    );
    let out = run(
        &data,
        &["audit", "export", "--tenant", "acme", "--format", "pdf"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("use jsonl, csv or html"));

    // Tamper as a superuser would: drop the trigger, change the user.create payload.
    let db = data.join("tenants/acme/tenant.db");
    let py = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute('DROP TRIGGER audit_events_no_update'); \
         c.execute(\"UPDATE audit_events SET new_value = replace(new_value, 'writer', 'admin') WHERE seq = 2\"); c.commit()",
        db.to_str().unwrap()
    );
    let ok = Command::new("python3").args(["-c", &py]).status();
    if !ok.is_ok_and(|s| s.success()) {
        testkit::skip(
            testkit::Require::Tools,
            "the tamper step: no python3 with sqlite3",
        );
        return;
    }
    let out = run(&data, &["audit", "verify", "--tenant", "acme"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("NOT intact: Modified at sequence 2"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = run(&data, &["audit", "verify", "--tenant", "nope"], None);
    assert!(!out.status.success());
}

/// `audit verify` never creates a signing key (a verifier that mints one would pass any
/// chain without checkpoints); `--public-key` pins the expected key, and a checkpoint
/// signed by another key is refused.
#[test]
fn audit_verify_never_creates_a_key_and_pins_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A checkpoint at every event, so that the key matters.
    let every = [("DUALCHECK_AUDIT__CHECKPOINT_EVENTS", "1")];
    let out = run_env(
        &data,
        &["tenant", "create", "acme", "--name", "Acme"],
        None,
        &every,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = data.join("audit-signing.key");
    let public = dir.path().join("expected.pub");
    std::fs::rename(data.join("audit-signing.key.pub"), &public).unwrap();
    std::fs::rename(&key, dir.path().join("elsewhere.key")).unwrap();

    let out = run(&data, &["audit", "verify", "--tenant", "acme"], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no such file"),
        "{}",
        text(&out.stderr)
    );
    assert!(!key.exists(), "verify created a signing key");

    let pinned = [
        "audit",
        "verify",
        "--tenant",
        "acme",
        "--public-key",
        public.to_str().unwrap(),
    ];
    let out = run(&data, &pinned, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 checkpoints verified"),
        "{}",
        text(&out.stdout)
    );
    assert!(!key.exists());

    // Another key: the checkpoint does not verify.
    let other = dir.path().join("other.pub");
    std::fs::write(
        &other,
        format!("{}\n", audit::SigningKey::generate().public_hex()),
    )
    .unwrap();
    let out = run(
        &data,
        &[
            "audit",
            "verify",
            "--tenant",
            "acme",
            "--public-key",
            other.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("BadCheckpointSignature"),
        "{}",
        text(&out.stderr)
    );
    // Not a key at all.
    std::fs::write(&other, "not hex").unwrap();
    let out = run(
        &data,
        &[
            "audit",
            "verify",
            "--tenant",
            "acme",
            "--public-key",
            other.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("64 hex digits"),
        "{}",
        text(&out.stderr)
    );
}

/// `[audit] checkpoint_copy`: the server appends every signed checkpoint to a file outside
/// the database; a tail cut together with its stored checkpoints (as a superuser could)
/// passes `audit verify` alone, and fails it against the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_copied_outside_catch_a_cut_tail() {
    use dualcheck_tests::server::{Db, TestServer};
    let outside = tempfile::tempdir().unwrap();
    let copy = outside.path().join("checkpoints.jsonl");
    let copy_setting = copy.clone();
    let s = TestServer::start(Db::Sqlite, move |c| {
        c.audit.checkpoint_events = 2;
        c.audit.checkpoint_copy = Some(copy_setting);
    })
    .await
    .unwrap();
    for name in ["ann", "ben", "cat", "dan"] {
        s.token("acme", name, &[store::Role::Writer]).await;
    }
    // tenant.create + 4 x (user.create, auth.login) = 9 events: checkpoints at 2, 4, 6, 8.
    let mut lines = 0;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&copy).unwrap_or_default();
        lines = text
            .lines()
            .filter(|l| l.contains("\"tenant\":\"acme\""))
            .count();
        if lines >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(lines >= 4, "checkpoints copied: {lines}");
    let data = s.store.data_dir().to_owned();
    let copy_arg = copy.to_str().unwrap();
    let out = run(
        &data,
        &[
            "audit",
            "verify",
            "--tenant",
            "acme",
            "--checkpoints",
            copy_arg,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Cut the last five events and the checkpoints covering them, and move the head back:
    // consistent in itself.
    let db = data.join("tenants/acme/tenant.db");
    let py = format!(
        "import sqlite3; c = sqlite3.connect({:?}); \
         c.execute('DROP TRIGGER audit_events_no_delete'); \
         c.execute('DROP TRIGGER audit_checkpoints_no_delete'); \
         c.execute('DELETE FROM audit_events WHERE seq > 4'); \
         c.execute('DELETE FROM audit_checkpoints WHERE seq > 4'); \
         h = c.execute('SELECT hash FROM audit_events WHERE seq = 4').fetchone()[0]; \
         c.execute('UPDATE audit_head SET seq = 4, hash = ?, checkpoint_seq = 4', (h,)); c.commit()",
        db.to_str().unwrap()
    );
    let ok = Command::new("python3").args(["-c", &py]).status().unwrap();
    assert!(ok.success());
    let out = run(&data, &["audit", "verify", "--tenant", "acme"], None);
    assert!(
        out.status.success(),
        "the cut is not visible from the database alone"
    );
    let out = run(
        &data,
        &[
            "audit",
            "verify",
            "--tenant",
            "acme",
            "--checkpoints",
            copy_arg,
        ],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("the chain ends at 4"), "{err}");
    s.finish().await;
}
