//! # dualcheck-rule-engine
//!
//! The deterministic half of dual control.
//!
//! - [`crosscheck()`]: facts of an original sentence against an AI proposal (numbers with
//!   units, comparators, negation, quantifiers, modals, frequencies, routes, logic words,
//!   identifiers, drug names, dates, names, abbreviations, claims, group binding, length);
//!   verdict `block`, `warn` or `pass` with one reason per difference and spans on both
//!   sides. A `block` can never be accepted; a `warn` needs a reviewer's reason.
//! - [`RuleSet`]: versioned TOML packs from `rules/` with a content hash recorded with
//!   every verdict; [`test_examples`] runs each rule's examples.
//! - [`check`]: document QC findings on an ingested [`ingest::Document`].
//! - [`rewrites()`]: rewrites the rules can make (the safe-edit classes applied), cross-checked too.
//!
//! No model, no database, no HTTP: plain functions over text.

pub mod crosscheck;
pub mod edits;
mod error;
pub mod examples;
pub mod facts;
pub mod lexicon;
mod names;
pub mod pack;
pub mod prose;
pub mod qc;
pub mod rewrites;
pub mod text;

pub use crosscheck::{
    CrossCheck, Reason, Verdict, crosscheck, crosscheck_in_document, crosscheck_with,
};
pub use edits::Definitions;
pub use error::RuleError;
pub use examples::{Mismatch, test_examples};
pub use facts::{FactCheck, FactKind};
pub use lexicon::Lexicon;
pub use pack::{EditClass, Level, Rule, RuleSet};
pub use qc::{Finding, check};
pub use rewrites::{Rewrite, rewrites};
