//! `dualcheck user add --tenant SLUG USERNAME --role ROLE... --password-stdin` (the user
//! must change the password at first login) and `dualcheck user reset-password --tenant
//! SLUG USERNAME --password-stdin`.

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
    /// Set a temporary password (first line of stdin); the user's sessions are revoked and
    /// they must choose a new password at next login.
    ResetPassword {
        #[arg(long)]
        tenant: String,
        username: String,
        /// Read the password from stdin (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn run(args: UserArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let (tenant, username, roles, display_name) = match args.command {
        UserCommand::Add {
            tenant,
            username,
            roles,
            display_name,
            password_stdin: _,
        } => (tenant, username, roles, display_name),
        UserCommand::ResetPassword {
            tenant,
            username,
            password_stdin: _,
        } => {
            let slug = store::Slug::parse(&tenant)?;
            let password = read_password()?;
            return super::serve::runtime()?.block_on(async move {
                let store = super::open_store(settings).await?;
                let u = service::passwords::reset_as_operator(
                    &store,
                    &slug,
                    &username,
                    &password,
                    &super::operator(),
                )
                .await?;
                println!(
                    "reset the password of {} in tenant {}: they must choose a new one at next login",
                    u.username, slug
                );
                Ok(ExitCode::SUCCESS)
            });
        }
    };
    let roles = roles
        .iter()
        .map(|r| store::Role::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let slug = store::Slug::parse(&tenant)?;
    let password = read_password()?;
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
                must_change_password: true,
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
