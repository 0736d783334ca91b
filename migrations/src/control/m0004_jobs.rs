//! The job queue index: one row per analysis job of any tenant, so that workers poll one
//! table. The job's record (options, progress, results) is in the tenant's schema; this row
//! holds what a claim needs: state, when it may run, the lease (token and expiry, in epoch
//! milliseconds so both engines compare integers) and the attempt count.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobQueue {
    Table,
    JobId,
    TenantSlug,
    State,
    RunAtMs,
    LeaseToken,
    LeaseExpiresMs,
    Attempts,
    UpdatedAtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobQueue::Table)
                .if_not_exists()
                .col(uuid(JobQueue::JobId).primary_key())
                .col(string_len(JobQueue::TenantSlug, 64))
                .col(string_len(JobQueue::State, 16))
                .col(big_integer(JobQueue::RunAtMs))
                .col(string_len_null(JobQueue::LeaseToken, 36))
                .col(big_integer_null(JobQueue::LeaseExpiresMs))
                .col(integer(JobQueue::Attempts).default(0))
                .col(big_integer(JobQueue::UpdatedAtMs))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_queue_state_run_at")
                .table(JobQueue::Table)
                .col(JobQueue::State)
                .col(JobQueue::RunAtMs)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(JobQueue::Table).to_owned())
            .await
    }
}
