//! `dualcheck rules test [DIR]`: every rule's examples must behave as declared.

use crate::settings::Settings;
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
        /// Rule packs directory (default: `[rules] dir`, else the packs built into the
        /// binary: the ones `serve` uses).
        dir: Option<PathBuf>,
    },
}

/// The rule packs a command uses: `dir` when given, else those of the settings (`[rules]
/// dir`, else built in), the same as `serve`. A malformed pack is an error naming file,
/// line and field.
pub fn resolve(dir: Option<&Path>, settings: &Settings) -> anyhow::Result<RuleSet> {
    match dir.or(settings.rules.dir.as_deref()) {
        Some(dir) => RuleSet::load_dir(dir)
            .with_context(|| format!("cannot load the rule packs in {}", dir.display())),
        None => Ok(RuleSet::builtin()),
    }
}

pub fn run(args: RulesArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Test { dir } => {
            let rules = resolve(dir.as_deref(), settings)?;
            let source = dir
                .as_deref()
                .or(settings.rules.dir.as_deref())
                .map_or("built into the binary".to_string(), |d| {
                    d.display().to_string()
                });
            println!("rule packs: {source}");
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
