//! The password lifecycle: `users.must_change_password` (set for the bootstrap admin and by
//! an admin's reset; the user must choose a new password before doing anything else) and
//! `password_history` (the hashes a user had, so a recent one cannot be chosen again).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum PasswordHistory {
    Table,
    Id,
    UserId,
    PasswordHash,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::MustChangePassword).default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PasswordHistory::Table)
                .if_not_exists()
                .col(pk_auto(PasswordHistory::Id).big_integer())
                .col(uuid(PasswordHistory::UserId))
                .col(string(PasswordHistory::PasswordHash))
                .col(timestamp_with_time_zone(PasswordHistory::RetiredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PasswordHistory::Table, PasswordHistory::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_password_history_user")
                .table(PasswordHistory::Table)
                .col(PasswordHistory::UserId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PasswordHistory::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .drop_column(Users::MustChangePassword)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
