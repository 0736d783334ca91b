//! What `serve` checks before it listens: a malformed rule pack or an audit key readable by
//! others stops it with an error naming the file; a good start is recorded in every
//! tenant's trail with the rule packs' version and hash and the audit public key.

use dualcheck_api::Settings;
use dualcheck_tests::server::{Db, TestServer};
use store::Slug;

fn settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".into();
    s.storage.data_dir = dir.join("data");
    s.server.workers = Some(1);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_rule_pack_stops_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("broken.toml"),
        "[pack]\nid = \"broken\"\nversion = \"1\"\n\n[[rule]]\nid = \"x\"\nlevel = \"sometimes\"\n",
    )
    .unwrap();
    let mut s = settings(dir.path());
    s.rules.dir = Some(rules);
    let err = dualcheck_api::build(s)
        .await
        .expect_err("refused")
        .to_string();
    assert!(err.contains("broken.toml"), "{err}");
    assert!(err.contains("line"), "{err}");
    // Nothing was created: the check runs before the databases are touched.
    assert!(!dir.path().join("data/control.db").exists());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_key_readable_by_others_stops_the_service() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("audit.key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut s = settings(dir.path());
    s.audit.key_path = Some(key);
    let err = dualcheck_api::build(s)
        .await
        .expect_err("refused")
        .to_string();
    assert!(err.contains("chmod 600"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_is_recorded_with_rules_and_key() {
    let s = TestServer::start(Db::Sqlite, |_| {}).await.unwrap();
    let demo = Slug::parse("demo").unwrap();
    let (events, _) = s.store.audit_all(&demo).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["tenant.create", "user.create", "system.start"]);
    let v = events[2].new_value.clone().unwrap();
    let rules = rule_engine::RuleSet::builtin();
    assert_eq!(v["rules"]["sha256"], rules.hash.as_str());
    assert_eq!(v["rules"]["version"], rules.version.as_str());
    assert_eq!(v["settings_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(v["audit_public_key"].as_str().unwrap().len(), 64);
    s.finish().await;
}
