//! Documents and their versions are regulated records, append-only like the audit trail:
//! a version row can be neither changed nor deleted (a new version is a new row); a
//! document row cannot be deleted (which would also cascade to its versions) and keeps its
//! identity (`id`, `created_by`, `created_at`); its title, current version and update time
//! change only with a new version, which the trail records. Raw SQL on the service's own
//! connection is refused by the database, on PostgreSQL also `TRUNCATE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements: Vec<String> = match db.get_database_backend() {
            DatabaseBackend::Postgres => vec![
                "CREATE FUNCTION record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   RAISE EXCEPTION 'records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
                     USING ERRCODE = 'insufficient_privilege';
                 END $$"
                    .into(),
                "CREATE FUNCTION record_keep_identity() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_by IS DISTINCT FROM OLD.created_by
                      OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                     RAISE EXCEPTION 'records are append-only: the identity of % cannot change', TG_TABLE_NAME
                       USING ERRCODE = 'insufficient_privilege';
                   END IF;
                   RETURN NEW;
                 END $$"
                    .into(),
                "CREATE TRIGGER document_versions_immutable BEFORE UPDATE OR DELETE ON document_versions
                 FOR EACH ROW EXECUTE FUNCTION record_refuse_change()"
                    .into(),
                "CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
                 FOR EACH ROW EXECUTE FUNCTION record_refuse_change()"
                    .into(),
                "CREATE TRIGGER documents_identity BEFORE UPDATE ON documents
                 FOR EACH ROW EXECUTE FUNCTION record_keep_identity()"
                    .into(),
                "CREATE TRIGGER document_versions_no_truncate BEFORE TRUNCATE ON document_versions
                 FOR EACH STATEMENT EXECUTE FUNCTION record_refuse_change()"
                    .into(),
                "CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
                 FOR EACH STATEMENT EXECUTE FUNCTION record_refuse_change()"
                    .into(),
            ],
            _ => vec![
                "CREATE TRIGGER document_versions_no_update BEFORE UPDATE ON document_versions
                 BEGIN SELECT RAISE(ABORT, 'records are append-only: UPDATE on document_versions refused'); END"
                    .into(),
                "CREATE TRIGGER document_versions_no_delete BEFORE DELETE ON document_versions
                 BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE on document_versions refused'); END"
                    .into(),
                "CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
                 BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE on documents refused'); END"
                    .into(),
                "CREATE TRIGGER documents_identity BEFORE UPDATE ON documents
                 WHEN NEW.id IS NOT OLD.id OR NEW.created_by IS NOT OLD.created_by
                   OR NEW.created_at IS NOT OLD.created_at
                 BEGIN SELECT RAISE(ABORT, 'records are append-only: the identity of documents cannot change'); END"
                    .into(),
            ],
        };
        for s in statements {
            db.execute_unprepared(&s).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "documents and versions stay append-only: they are regulated records".into(),
        ))
    }
}
