//! Usernames unique within a tenant regardless of case: "Alice" and "alice" cannot both
//! exist (an expression index, on SQLite and PostgreSQL alike). Login still matches the
//! name exactly: another spelling is an unknown user, never a way around the lockout count
//! of the real one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_users_tenant_username_ci ON users (tenant_id, lower(username))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ux_users_tenant_username_ci")
            .await?;
        Ok(())
    }
}
