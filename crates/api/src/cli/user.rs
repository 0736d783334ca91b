//! `dualcheck user add --tenant SLUG USERNAME --role ROLE... --password-stdin`.

use crate::settings::Settings;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from the first line of stdin, never from argv.
    Add {
        #[arg(long)]
        tenant: String,
        username: String,
        /// writer, qa, manager, admin or auditor (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from stdin (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub fn run(args: UserArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        tenant,
        username,
        roles,
        display_name,
        password_stdin: _,
    } = args.command;
    let roles = roles
        .iter()
        .map(|r| store::Role::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let slug = store::Slug::parse(&tenant)?;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    super::serve::runtime()?.block_on(async move {
        let store = super::open_store(settings).await?;
        let u = service::accounts::create_user_as_operator(
            &store,
            &slug,
            store::NewUser {
                username,
                display_name,
                password,
                roles,
            },
            &super::operator(),
        )
        .await?;
        let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "created user {} in tenant {} with roles {} (id {})",
            u.username,
            slug,
            roles.join(","),
            u.id
        );
        Ok(ExitCode::SUCCESS)
    })
}
