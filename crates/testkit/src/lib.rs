//! # dualcheck-testkit
//!
//! Test support shared by the test suites of the workspace (a dev-dependency only; never
//! shipped):
//!
//! - [`require`]: what a test may skip on a developer's machine and must not skip in CI
//!   (`DUALCHECK_REQUIRE_PG`, `_MODELS`, `_SHARED`, `_TOOLS`; `.ci/run` sets them);
//! - [`pdf`] and [`docx`]: fixture documents built in code, whose headings, tables,
//!   sentences, headers, footers and revisions each test knows exactly.

pub mod docx;
pub mod pdf;
pub mod require;

pub use require::{Require, skip};
