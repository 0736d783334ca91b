//! Every command reads the same settings: sections in the file,
//! `DUALCHECK_<SECTION>__<KEY>`
//! in the environment, old flat names with a warning, unknown names refused; secrets never
//! printed; the rule packs of `check`/`crosscheck`/`rules test` are those of `serve` (built
//! in, from any directory); logs are plain when stderr is not a terminal and JSON when
//! asked.

use dualcheck_tests::dualcheck_bin;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};

/// `dualcheck ARGS` in `dir` with `env`, and none of the caller's settings variables.
fn command(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(dualcheck_bin());
    c.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("DUALCHECK_") && !k.starts_with("DUALCHECK_REQUIRE_") {
            c.env_remove(k);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn unknown_and_mistyped_variables_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["rules", "test"],
        &[("DUALCHECK_SERVER_BIND", "x")],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("DUALCHECK_SERVER_BIND"), "{err}");
    assert!(
        err.contains("did you mean DUALCHECK_SERVER__BIND?"),
        "{err}"
    );

    let out = run(
        dir.path(),
        &["settings", "show"],
        &[("DUALCHECK_SESSIONS__IDLE_SECS", "soon")],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("DUALCHECK_SESSIONS__IDLE_SECS"));

    std::fs::write(
        dir.path().join("dc.toml"),
        "[server]\nbind = \"x\"\nbnid = 1\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["--config", "dc.toml", "settings", "show"],
        &[],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bnid") && err.contains("dc.toml"), "{err}");
}

#[test]
fn file_sections_env_and_old_names_meet_in_one_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dc.toml"),
        "[server]\nbind = \"127.0.0.1:9\"\n[sessions]\nidle_secs = 60\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["--config", "dc.toml", "settings", "show"],
        &[
            ("DUALCHECK_SESSIONS__IDLE_SECS", "90"),
            ("DUALCHECK_DB_MAX_CONNECTIONS", "3"),
            (
                "DUALCHECK_DATABASE__URL",
                "postgres://app:hunter2@db.example/dc",
            ),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let v: toml::Table = toml::from_str(&shown).unwrap();
    assert_eq!(v["server"]["bind"].as_str(), Some("127.0.0.1:9"));
    assert_eq!(v["sessions"]["idle_secs"].as_integer(), Some(90));
    assert_eq!(v["database"]["max_connections"].as_integer(), Some(3));
    assert_eq!(
        v["database"]["url"].as_str(),
        Some("postgres://app:***@db.example/dc")
    );
    assert!(!shown.contains("hunter2") && !text(&out.stderr).contains("hunter2"));
    assert!(shown.contains("# fingerprint"), "{shown}");
    // The old name worked and said so, naming the new one.
    let err = text(&out.stderr);
    assert!(
        err.contains("DUALCHECK_DB_MAX_CONNECTIONS")
            && err.contains("DUALCHECK_DATABASE__MAX_CONNECTIONS"),
        "{err}"
    );
}

#[test]
fn offline_commands_use_the_packs_serve_uses() {
    // A directory with no `rules/`: the commands used to read `./rules` and fail here.
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["rules", "test"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("rule packs: built into the binary"), "{said}");
    let version = said
        .lines()
        .find_map(|l| l.strip_prefix("rules "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let out = run(
        dir.path(),
        &[
            "crosscheck",
            "--original",
            "Patients receive 10 mg daily.",
            "--proposal",
            "Patients receive 20 mg daily.",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "block");

    // `[rules] dir` is honoured by every command, a broken pack named.
    let rules = dir.path().join("myrules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("broken.toml"),
        "[pack]\nid = \"broken\"\nversion = \"1\"\n\n[[rule]]\nid = \"x\"\nlevel = \"sometimes\"\n",
    )
    .unwrap();
    let env = [("DUALCHECK_RULES__DIR", rules.to_str().unwrap())];
    for args in [
        &["rules", "test"][..],
        &["crosscheck", "--original", "A b.", "--proposal", "A b."][..],
    ] {
        let out = run(dir.path(), args, &env);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains("broken.toml"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(!version.is_empty());
}

/// Start `serve` in `dir` on a free port (one worker, no model fetch), its output piped.
fn spawn_serve(dir: &std::path::Path, env: &[(&str, &str)]) -> std::process::Child {
    let mut c = command(
        dir,
        &["serve"],
        &[
            ("DUALCHECK_SERVER__BIND", "127.0.0.1:0"),
            ("DUALCHECK_SERVER__WORKERS", "1"),
            ("DUALCHECK_MODELS__AUTO_FETCH", "false"),
        ],
    );
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Start `serve` in `dir`, wait until it listens, stop it, and give its stderr.
fn serve_stderr(dir: &std::path::Path, env: &[(&str, &str)]) -> String {
    let mut child = spawn_serve(dir, env);
    let stdout = child.stdout.take().unwrap();
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("dualcheck listening on "));
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(listening, "serve did not start: {err}");
    err
}

#[test]
fn logs_are_plain_off_a_terminal_and_json_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // An old name, so there is at least one warning line to look at.
    let plain = serve_stderr(dir.path(), &[("DUALCHECK_AUDIT_CHECKPOINT_EVENTS", "500")]);
    assert!(
        plain.contains("DUALCHECK_AUDIT__CHECKPOINT_EVENTS"),
        "{plain}"
    );
    assert!(!plain.contains('\u{1b}'), "ANSI codes in a pipe: {plain:?}");

    let dir = tempfile::tempdir().unwrap();
    let json = serve_stderr(
        dir.path(),
        &[
            ("DUALCHECK_LOG__FORMAT", "json"),
            ("DUALCHECK_AUDIT_CHECKPOINT_EVENTS", "500"),
        ],
    );
    let lines: Vec<&str> = json.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{l}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"WARN\"") && l.contains("DUALCHECK_AUDIT__CHECKPOINT_EVENTS")),
        "{json}"
    );
}

/// A login naming a tenant that does not exist has no trail to go to: it goes to the
/// security log (tenant and client address), never with the password.
#[test]
fn unknown_tenant_attempts_go_to_the_security_log() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_serve(dir.path(), &[]);
    let stdout = child.stdout.take().unwrap();
    let addr = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("dualcheck listening on http://")
                .map(str::to_owned)
        })
        .expect("serve listens");
    let body = r#"{"tenant":"nosuchtenant","username":"mallory","password":"a secret guess 1234"}"#;
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let line = err
        .lines()
        .find(|l| l.contains("login attempt for a tenant that does not exist"))
        .unwrap_or_else(|| panic!("no security log line in: {err}"));
    assert!(
        line.contains("security") && line.contains("nosuchtenant"),
        "{line}"
    );
    assert!(line.contains("127.0.0.1"), "{line}");
    assert!(
        !err.contains("a secret guess"),
        "the password is logged: {err}"
    );
}
