//! # dualcheck-tests
//!
//! End-to-end tests of the real `dualcheck` binary (and, as the service grows, the real
//! HTTP server against real databases). Helpers shared by the test files live here.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Path of the `dualcheck` binary, built once per test process with the same cargo and
/// target directory (`cargo build -p dualcheck-api --bin dualcheck`: a no-op when it is up to
/// date). `cargo test --workspace` does not rebuild a binary of another package, so a binary
/// found beside the test executables may be older than the code under test: never used.
pub fn dualcheck_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
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

pub mod server;
