#![allow(clippy::unwrap_used)]
//! The model hub: the built-in manifest, a manifest file replacing it, and the state and
//! message of a model whose weights are absent.

use ai_suggest::Role;
use service::ServiceError;
use service::models::{ModelHub, ModelState, load_manifest};

#[test]
fn the_builtin_manifest_parses_and_has_default_models() {
    let m = load_manifest(None).expect("built-in manifest");
    assert!(m.default_for(Role::Generator).is_some());
    assert!(m.default_for(Role::Embedder).is_some());
}

#[test]
fn a_manifest_file_replaces_the_builtin_one_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("m.toml");
    std::fs::write(&p, "manifest_version = 1\n").expect("write");
    assert!(load_manifest(Some(&p)).expect("parses").models.is_empty());
    std::fs::write(&p, "manifest_version = \"x\"\n").expect("write");
    assert!(matches!(
        load_manifest(Some(&p)),
        Err(ServiceError::Manifest { .. })
    ));
    assert!(matches!(
        load_manifest(Some(&dir.path().join("absent.toml"))),
        Err(ServiceError::Read { .. })
    ));
}

#[test]
fn missing_weights_without_fetch_say_how_to_get_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = ModelHub::new(
        dir.path().to_path_buf(),
        load_manifest(None).expect("manifest"),
        false,
    );
    let entry = hub.entry(None, Role::Generator).expect("default").clone();
    let err = hub
        .ensure_blocking(&entry, false, &mut |_| {})
        .expect_err("not installed");
    assert!(err.to_string().contains("dualcheck models fetch"), "{err}");
    let v = hub.views();
    let g = v.iter().find(|m| m.name == entry.name).expect("listed");
    assert_eq!(g.state, ModelState::Missing);
}
