//! The review workflow: analysis jobs, the findings and suggestions they store, the
//! reviewers' decisions and the suppressions of findings, and the state of each document
//! version (draft, in review, reviewed, approved, rejected) with its history.
//!
//! Findings, suggestions, decisions, suppressions and state changes are regulated records:
//! none can be deleted; decisions, suppressions and state changes cannot be changed either;
//! a suggestion's only changing column is its `status` (what its decisions made of it) and
//! a version state's `state` (its history is in `version_state_changes`). A job row changes
//! while it runs (state, lease, progress) and cannot be deleted.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AnalysisJobs {
    Table,
    Id,
    DocumentId,
    Version,
    RequestedBy,
    Options,
    State,
    Attempts,
    LeaseToken,
    ProgressDone,
    ProgressTotal,
    Summary,
    Timings,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    JobId,
    DocumentId,
    Version,
    Ordinal,
    RuleId,
    Level,
    Anchor,
    Section,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FindingSuppressions {
    Table,
    Id,
    FindingId,
    Reason,
    SuppressedBy,
    SignatureId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Suggestions {
    Table,
    Id,
    Key,
    JobId,
    DocumentId,
    Version,
    Anchor,
    Section,
    Source,
    ParentId,
    Original,
    Proposal,
    Verdict,
    CheckJson,
    Provenance,
    RuleIds,
    Status,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Decisions {
    Table,
    Id,
    SuggestionId,
    Decision,
    EditId,
    ReasonCode,
    Reason,
    DecidedBy,
    SignatureId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VersionStates {
    Table,
    DocumentId,
    Version,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum VersionStateChanges {
    Table,
    Id,
    DocumentId,
    Version,
    FromState,
    ToState,
    ChangedBy,
    Reason,
    CreatedAt,
}

/// Tables whose rows can never be changed or deleted, and those that can change but never
/// be deleted.
const IMMUTABLE: &[&str] = &[
    "findings",
    "finding_suppressions",
    "decisions",
    "version_state_changes",
];
const NO_DELETE: &[&str] = &["analysis_jobs", "suggestions", "version_states"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AnalysisJobs::Table)
                .if_not_exists()
                .col(uuid(AnalysisJobs::Id).primary_key())
                .col(uuid(AnalysisJobs::DocumentId))
                .col(integer(AnalysisJobs::Version))
                .col(uuid(AnalysisJobs::RequestedBy))
                .col(text(AnalysisJobs::Options))
                .col(string_len(AnalysisJobs::State, 16))
                .col(integer(AnalysisJobs::Attempts).default(0))
                .col(string_len_null(AnalysisJobs::LeaseToken, 36))
                .col(integer(AnalysisJobs::ProgressDone).default(0))
                .col(integer_null(AnalysisJobs::ProgressTotal))
                .col(text_null(AnalysisJobs::Summary))
                .col(text_null(AnalysisJobs::Timings))
                .col(text_null(AnalysisJobs::Error))
                .col(timestamp_with_time_zone(AnalysisJobs::CreatedAt))
                .col(timestamp_with_time_zone_null(AnalysisJobs::StartedAt))
                .col(timestamp_with_time_zone_null(AnalysisJobs::FinishedAt))
                .col(timestamp_with_time_zone(AnalysisJobs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_analysis_jobs_document")
                .table(AnalysisJobs::Table)
                .col(AnalysisJobs::DocumentId)
                .col(AnalysisJobs::Version)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Findings::Table)
                .if_not_exists()
                .col(uuid(Findings::Id).primary_key())
                .col(uuid(Findings::JobId))
                .col(uuid(Findings::DocumentId))
                .col(integer(Findings::Version))
                .col(integer(Findings::Ordinal))
                .col(string_len(Findings::RuleId, 128))
                .col(string_len(Findings::Level, 16))
                .col(string_len_null(Findings::Anchor, 64))
                .col(string_len_null(Findings::Section, 300))
                .col(text(Findings::Body))
                .col(timestamp_with_time_zone(Findings::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_findings_job_ordinal")
                .table(Findings::Table)
                .col(Findings::JobId)
                .col(Findings::Ordinal)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_findings_document")
                .table(Findings::Table)
                .col(Findings::DocumentId)
                .col(Findings::Version)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FindingSuppressions::Table)
                .if_not_exists()
                .col(uuid(FindingSuppressions::Id).primary_key())
                .col(uuid(FindingSuppressions::FindingId).unique_key())
                .col(text(FindingSuppressions::Reason))
                .col(uuid(FindingSuppressions::SuppressedBy))
                .col(string_len(FindingSuppressions::SignatureId, 64))
                .col(timestamp_with_time_zone(FindingSuppressions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(FindingSuppressions::Table, FindingSuppressions::FindingId)
                        .to(Findings::Table, Findings::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Suggestions::Table)
                .if_not_exists()
                .col(uuid(Suggestions::Id).primary_key())
                .col(string_len(Suggestions::Key, 200).unique_key())
                .col(uuid(Suggestions::JobId))
                .col(uuid(Suggestions::DocumentId))
                .col(integer(Suggestions::Version))
                .col(string_len(Suggestions::Anchor, 64))
                .col(string_len_null(Suggestions::Section, 300))
                .col(string_len(Suggestions::Source, 8))
                .col(uuid_null(Suggestions::ParentId))
                .col(text(Suggestions::Original))
                .col(text(Suggestions::Proposal))
                .col(string_len(Suggestions::Verdict, 8))
                .col(text(Suggestions::CheckJson))
                .col(text_null(Suggestions::Provenance))
                .col(text(Suggestions::RuleIds))
                .col(string_len(Suggestions::Status, 16))
                .col(uuid_null(Suggestions::CreatedBy))
                .col(timestamp_with_time_zone(Suggestions::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_suggestions_document")
                .table(Suggestions::Table)
                .col(Suggestions::DocumentId)
                .col(Suggestions::Version)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Decisions::Table)
                .if_not_exists()
                .col(uuid(Decisions::Id).primary_key())
                .col(uuid(Decisions::SuggestionId))
                .col(string_len(Decisions::Decision, 8))
                .col(uuid_null(Decisions::EditId))
                .col(string_len_null(Decisions::ReasonCode, 32))
                .col(text_null(Decisions::Reason))
                .col(uuid(Decisions::DecidedBy))
                .col(string_len(Decisions::SignatureId, 64))
                .col(timestamp_with_time_zone(Decisions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Decisions::Table, Decisions::SuggestionId)
                        .to(Suggestions::Table, Suggestions::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_decisions_suggestion")
                .table(Decisions::Table)
                .col(Decisions::SuggestionId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VersionStates::Table)
                .if_not_exists()
                .col(uuid(VersionStates::DocumentId))
                .col(integer(VersionStates::Version))
                .col(string_len(VersionStates::State, 16))
                .col(timestamp_with_time_zone(VersionStates::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(VersionStates::DocumentId)
                        .col(VersionStates::Version),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VersionStateChanges::Table)
                .if_not_exists()
                .col(uuid(VersionStateChanges::Id).primary_key())
                .col(uuid(VersionStateChanges::DocumentId))
                .col(integer(VersionStateChanges::Version))
                .col(string_len(VersionStateChanges::FromState, 16))
                .col(string_len(VersionStateChanges::ToState, 16))
                .col(uuid_null(VersionStateChanges::ChangedBy))
                .col(text_null(VersionStateChanges::Reason))
                .col(timestamp_with_time_zone(VersionStateChanges::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_version_state_changes_version")
                .table(VersionStateChanges::Table)
                .col(VersionStateChanges::DocumentId)
                .col(VersionStateChanges::Version)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        for t in IMMUTABLE.iter().chain(NO_DELETE) {
            let ops: &[&str] = if IMMUTABLE.contains(t) {
                &["UPDATE", "DELETE"]
            } else {
                &["DELETE"]
            };
            if postgres {
                // record_refuse_change() is created by m0003_records.
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {t}_append_only BEFORE {} ON {t}
                     FOR EACH ROW EXECUTE FUNCTION record_refuse_change()",
                    ops.join(" OR ")
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
                     FOR EACH STATEMENT EXECUTE FUNCTION record_refuse_change()"
                ))
                .await?;
            } else {
                for op in ops {
                    let lower = op.to_lowercase();
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {t}_no_{lower} BEFORE {op} ON {t}
                         BEGIN SELECT RAISE(ABORT, 'records are append-only: {op} on {t} refused'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "findings, suggestions and decisions stay: they are regulated records".into(),
        ))
    }
}
