//! `dualcheck rules test [DIR]`: every rule's examples must behave as declared.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rule_engine::{RuleSet, test_examples};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Run every rule's examples; non-zero exit on any mismatch or malformed pack.
    Test {
        /// Rules directory (default `rules`).
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
}

/// Load the rule packs of `dir`; a malformed pack is an error naming file, line and field.
pub fn load(dir: &Path) -> anyhow::Result<RuleSet> {
    RuleSet::load_dir(dir)
        .with_context(|| format!("cannot load the rule packs in {}", dir.display()))
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Test { dir } => {
            let rules = load(&dir)?;
            let (bad, n) = test_examples(&rules);
            println!("rules {} (sha256 {})", rules.version, rules.hash);
            println!("{} rules, {n} examples", rules.rules.len());
            for m in &bad {
                println!(
                    "FAIL {}: expected {} on: {}",
                    m.rule_id, m.expected, m.example
                );
            }
            if !bad.is_empty() {
                bail!(
                    "{} of {n} rule examples did not behave as declared",
                    bad.len()
                );
            }
            println!("all examples behave as declared");
            Ok(ExitCode::SUCCESS)
        }
    }
}
