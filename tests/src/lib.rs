//! # dualcheck-tests
//!
//! End-to-end tests of the real `dualcheck` binary (and, as the service grows, the real
//! HTTP server against real databases). Helpers shared by the test files live here.

pub mod pdf;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Path of the `dualcheck` binary: the one `cargo test --workspace` (the README's test
/// command) built beside the test executables; otherwise, or with `DUALCHECK_TEST_REBUILD`
/// set (after editing `crates/api` and running only this crate's tests), built once per
/// test process with the same cargo and target directory.
pub fn dualcheck_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // `cargo test --workspace` builds the binary beside the test executables (with the
        // workspace's feature set); building it again with `-p` alone would compile the
        // heavy dependencies a second time with other features.
        if let Some(bin) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(|d| d.join("dualcheck")))
            .filter(|b| b.is_file())
            && std::env::var_os("DUALCHECK_TEST_REBUILD").is_none()
        {
            return bin;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "dualcheck-api",
                "--bin",
                "dualcheck",
                "--message-format=json",
            ])
            .current_dir(workspace_root())
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "building dualcheck failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "dualcheck")
            .find_map(|v| v["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the dualcheck executable")
    })
    .clone()
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `../shared/corpus` beside the checkout, if present (CI has it; a bare clone may not):
/// `None` after a printed `skipped: ...` line, a panic under `DUALCHECK_REQUIRE_SHARED=1`.
pub fn shared_corpus() -> Option<PathBuf> {
    testkit::require::shared("corpus")
}

pub mod samples;
pub mod server;
