//! Documents, their versions and the blobs holding the original uploads.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    Title,
    Filename,
    Format,
    CurrentVersion,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DocumentVersions {
    Table,
    Id,
    DocumentId,
    Version,
    Filename,
    Format,
    BlobSha256,
    SizeBytes,
    Structure,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Sha256,
    SizeBytes,
    MediaType,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Blobs::Table)
                .if_not_exists()
                .col(string_len(Blobs::Sha256, 64).primary_key())
                .col(big_integer(Blobs::SizeBytes))
                .col(string_len(Blobs::MediaType, 128))
                .col(timestamp_with_time_zone(Blobs::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .if_not_exists()
                .col(uuid(Documents::Id).primary_key())
                .col(string(Documents::Title))
                .col(string(Documents::Filename))
                .col(string_len(Documents::Format, 16))
                .col(integer(Documents::CurrentVersion))
                .col(uuid(Documents::CreatedBy))
                .col(timestamp_with_time_zone(Documents::CreatedAt))
                .col(timestamp_with_time_zone(Documents::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_documents_created_at")
                .table(Documents::Table)
                .col(Documents::CreatedAt)
                .col(Documents::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DocumentVersions::Table)
                .if_not_exists()
                .col(uuid(DocumentVersions::Id).primary_key())
                .col(uuid(DocumentVersions::DocumentId))
                .col(integer(DocumentVersions::Version))
                .col(string(DocumentVersions::Filename))
                .col(string_len(DocumentVersions::Format, 16))
                .col(string_len(DocumentVersions::BlobSha256, 64))
                .col(big_integer(DocumentVersions::SizeBytes))
                .col(text(DocumentVersions::Structure))
                .col(uuid(DocumentVersions::CreatedBy))
                .col(timestamp_with_time_zone(DocumentVersions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DocumentVersions::Table, DocumentVersions::DocumentId)
                        .to(Documents::Table, Documents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(DocumentVersions::Table, DocumentVersions::BlobSha256)
                        .to(Blobs::Table, Blobs::Sha256),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_document_versions_doc_version")
                .table(DocumentVersions::Table)
                .col(DocumentVersions::DocumentId)
                .col(DocumentVersions::Version)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            DocumentVersions::Table.into_iden(),
            Documents::Table.into_iden(),
            Blobs::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
