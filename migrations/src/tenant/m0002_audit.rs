//! The audit trail of a tenant: `audit_events` (the hash chain), `audit_head` (the last
//! sequence number and hash, the row every writer locks first so that concurrent writers
//! queue instead of forking), `audit_checkpoints` (signed heads) and `signatures`
//! (electronic signatures). Triggers refuse UPDATE and DELETE on the events, checkpoints
//! and signatures, and TRUNCATE on PostgreSQL: the application never issues them, and a
//! direct attempt through the application's connection fails.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose rows can never change once written.
const IMMUTABLE: [&str; 3] = ["audit_events", "audit_checkpoints", "signatures"];

const TABLES: &str = "
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    actor_user_id TEXT,
    actor_username TEXT,
    actor_printed_name TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    ai TEXT,
    request_id TEXT,
    client_ip TEXT,
    user_agent TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ix_audit_events_entity ON audit_events (entity_type, entity_id, seq);
CREATE INDEX ix_audit_events_actor ON audit_events (actor_username, seq);
CREATE INDEX ix_audit_events_action ON audit_events (action, seq);
CREATE INDEX ix_audit_events_time ON audit_events (time, seq);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    checkpoint_seq BIGINT NOT NULL,
    checkpoint_time TEXT
);
INSERT INTO audit_head (id, seq, hash, checkpoint_seq, checkpoint_time)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, NULL);
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    tenant TEXT NOT NULL,
    head_hash TEXT NOT NULL,
    time TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE signatures (
    id TEXT PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    signer_user_id TEXT NOT NULL,
    signer_username TEXT NOT NULL,
    signer_printed_name TEXT NOT NULL,
    meaning TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    audit_seq BIGINT NOT NULL
);
CREATE INDEX ix_signatures_record ON signatures (record_type, record_id);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for stmt in TABLES.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            db.execute_unprepared(stmt).await?;
        }
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                // Created in the tenant's schema: the migrator runs with the search path set
                // to it for the transaction.
                db.execute_unprepared(
                    "CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                       RAISE EXCEPTION 'audit records are immutable: % on % refused', TG_OP, TG_TABLE_NAME
                         USING ERRCODE = 'insufficient_privilege';
                     END $$",
                )
                .await?;
                for t in IMMUTABLE {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE ON {t}
                         FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
                         FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in IMMUTABLE {
                    for op in ["UPDATE", "DELETE"] {
                        let lower = op.to_ascii_lowercase();
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {t}_no_{lower} BEFORE {op} ON {t}
                             BEGIN SELECT RAISE(ABORT, 'audit records are immutable: {op} on {t} refused'); END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the audit trail cannot be dropped: it is a regulated record".into(),
        ))
    }
}
