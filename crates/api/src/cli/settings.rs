//! `dualcheck settings show` (the settings in effect, as TOML, secrets redacted, with their
//! fingerprint) and `dualcheck settings reference` (the README's table of every setting).

use crate::settings::Settings;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    pub command: SettingsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// The settings in effect (defaults, file, environment) as TOML, the database password
    /// as `***`, and the fingerprint `serve` records at start-up.
    Show,
    /// Every setting: file key, environment variable, type, default, what it does
    /// (Markdown, as in the README).
    Reference,
}

impl SettingsArgs {
    pub fn is_reference(&self) -> bool {
        matches!(self.command, SettingsCommand::Reference)
    }
}

pub fn run(args: SettingsArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    match args.command {
        SettingsCommand::Show => {
            print!("{}", settings.to_redacted_toml());
            println!(
                "# fingerprint (recorded by serve at start-up): {}",
                settings.fingerprint()
            );
        }
        SettingsCommand::Reference => print!("{}", Settings::reference()),
    }
    Ok(ExitCode::SUCCESS)
}
