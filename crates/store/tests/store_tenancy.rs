#![allow(clippy::unwrap_used)]
//! Store-level tests on SQLite and, when reachable, PostgreSQL: tenant creation, isolation
//! between tenants, one unit of work per tenant change (no commit without its audit event),
//! blobs written atomically, migrations idempotent. Login, lockout and signing policy are
//! tested in `crates/service/tests/accounts.rs`.

use store::documents::{self, NewVersion};
use store::{Slug, Store, StoreConfig, StoreError};

mod common;
use common::drop_db;

async fn sqlite_store(dir: &std::path::Path) -> Store {
    let s = Store::open(StoreConfig {
        data_dir: dir.to_path_buf(),
        database_url: None,
        max_connections: 4,
        runtime_role: None,
    })
    .await
    .unwrap();
    s.migrate().await.unwrap();
    s
}

/// A fresh PostgreSQL database, migrated, or `None` when there is no server.
async fn pg_store(dir: &std::path::Path) -> Option<(Store, String)> {
    let (url, name) = common::pg_database(dir).await?;
    let s = Store::open(StoreConfig {
        data_dir: dir.to_path_buf(),
        database_url: Some(url),
        max_connections: 4,
        runtime_role: None,
    })
    .await
    .unwrap();
    s.migrate().await.unwrap();
    Some((s, name))
}

fn new_version(by: uuid::Uuid) -> NewVersion {
    NewVersion {
        title: "Protocol".into(),
        filename: "protocol.pdf".into(),
        format: "pdf".into(),
        media_type: "application/pdf".into(),
        blob_sha256: "0".repeat(64),
        size_bytes: 3,
        structure: "{}".into(),
        created_by: by,
    }
}

async fn isolation(s: &Store) {
    s.create_tenant("alpha", "Alpha", &store::By::system())
        .await
        .unwrap();
    s.create_tenant("beta", "Beta", &store::By::system())
        .await
        .unwrap();
    assert!(matches!(
        s.create_tenant("alpha", "again", &store::By::system())
            .await,
        Err(StoreError::TenantExists(_))
    ));
    assert!(matches!(
        s.create_tenant("x\"; drop", "bad", &store::By::system())
            .await,
        Err(StoreError::InvalidSlug(_))
    ));
    let a = Slug::parse("alpha").unwrap();
    let b = Slug::parse("beta").unwrap();
    let by = uuid::Uuid::new_v4();
    let (doc, v) = s
        .tenant_write(&a, |uow| {
            Box::pin(async move {
                let (d, v) = documents::create(uow.txn(), new_version(by)).await?;
                uow.record(store::By::system().draft("document.upload", "document", None))
                    .await?;
                Ok((d, v))
            })
        })
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    let id = doc.id;
    let seen_a = s
        .tenant_read(&a, move |txn| {
            Box::pin(async move { documents::get(txn, id).await })
        })
        .await
        .unwrap();
    assert!(seen_a.is_some());
    let seen_b = s
        .tenant_read(&b, move |txn| {
            Box::pin(async move { documents::get(txn, id).await })
        })
        .await
        .unwrap();
    assert!(seen_b.is_none(), "tenant b sees tenant a's document");
    let (list_b, total_b) = s
        .tenant_read(&b, |txn| {
            Box::pin(async move { documents::list(txn, 50, 0).await })
        })
        .await
        .unwrap();
    assert!(list_b.is_empty());
    assert_eq!(total_b, 0);
    // A failing unit of work rolls back, its event with it.
    let r: Result<(), StoreError> = s
        .tenant_write(&b, |uow| {
            Box::pin(async move {
                documents::create(uow.txn(), new_version(by)).await?;
                uow.record(store::By::system().draft("document.upload", "document", None))
                    .await?;
                Err(StoreError::Internal("abort".into()))
            })
        })
        .await;
    assert!(r.is_err());
    // A change that records no event does not commit.
    let r = s
        .tenant_write(&b, |uow| {
            Box::pin(async move { documents::create(uow.txn(), new_version(by)).await })
        })
        .await;
    assert!(matches!(r, Err(StoreError::Unrecorded)), "{r:?}");
    // A read never commits, even a write smuggled into it.
    let r = s
        .tenant_read(&b, |txn| {
            Box::pin(async move { documents::create(txn, new_version(by)).await })
        })
        .await;
    assert!(r.is_ok());
    let (events_b, _) = s.audit_all(&b).await.unwrap();
    assert!(
        !events_b.iter().any(|e| e.action == "document.upload"),
        "{events_b:?}"
    );
    let (_, total_b) = s
        .tenant_read(&b, |txn| {
            Box::pin(async move { documents::list(txn, 50, 0).await })
        })
        .await
        .unwrap();
    assert_eq!(total_b, 0);
    // Migrations are idempotent and report every tenant.
    let report = s.migrate().await.unwrap();
    assert_eq!(report.len(), 3);
    assert!(report.iter().all(|r| r.applied == 0));
    assert!(s.migrations_current().await.unwrap());
}

/// Documents and versions are append-only: the service's own connection cannot change or
/// delete a version, delete a document (nor its versions through the cascade) or change a
/// document's identity; a new version and its document's pointer still work.
async fn records_are_append_only(s: &Store) {
    s.create_tenant("gamma", "Gamma", &store::By::system())
        .await
        .unwrap();
    let t = Slug::parse("gamma").unwrap();
    let by = uuid::Uuid::new_v4();
    let (doc, _) = s
        .tenant_write(&t, |uow| {
            Box::pin(async move {
                let (d, v) = documents::create(uow.txn(), new_version(by)).await?;
                uow.record(store::By::system().draft("document.upload", "document", None))
                    .await?;
                Ok((d, v))
            })
        })
        .await
        .unwrap();
    let other = uuid::Uuid::new_v4();
    for sql in [
        "UPDATE document_versions SET blob_sha256 = 'x'".to_string(),
        "UPDATE document_versions SET structure = '{}'".to_string(),
        "DELETE FROM document_versions".to_string(),
        "DELETE FROM documents".to_string(),
        format!("UPDATE documents SET created_by = '{other}'"),
        format!("UPDATE documents SET id = '{other}'"),
    ] {
        let e = s.tenant_execute(&t, &sql).await;
        assert!(e.is_err(), "{sql} was allowed");
        assert!(
            e.unwrap_err().to_string().contains("append-only"),
            "{sql}: refused for the wrong reason"
        );
    }
    // What a new version does to its document is still allowed.
    s.tenant_execute(
        &t,
        "UPDATE documents SET current_version = 1, title = 'Protocol B'",
    )
    .await
    .unwrap();
    let id = doc.id;
    let (d, versions) = s
        .tenant_read(&t, move |txn| {
            Box::pin(async move {
                let d = documents::get(txn, id).await?;
                let n = documents::versions(txn, id).await?.map_or(0, |v| v.len());
                Ok((d, n))
            })
        })
        .await
        .unwrap();
    assert_eq!(d.unwrap().0.title, "Protocol B");
    assert_eq!(versions, 1, "the version is still there");
}

#[tokio::test]
async fn sqlite_records_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_store(dir.path()).await;
    records_are_append_only(&s).await;
}

#[tokio::test]
async fn postgres_records_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let Some((s, name)) = pg_store(dir.path()).await else {
        return;
    };
    records_are_append_only(&s).await;
    assert!(
        s.tenant_execute(&Slug::parse("gamma").unwrap(), "TRUNCATE document_versions")
            .await
            .is_err()
    );
    drop(s);
    drop_db(dir.path(), &name).await;
}

#[tokio::test]
async fn sqlite_tenants_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_store(dir.path()).await;
    isolation(&s).await;
    assert!(dir.path().join("tenants/alpha/tenant.db").is_file());
    assert!(dir.path().join("control.db").is_file());
}

#[tokio::test]
async fn postgres_tenants_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let Some((s, name)) = pg_store(dir.path()).await else {
        return;
    };
    isolation(&s).await;
    // Looking into the schemas directly: the row is in tenant_alpha only.
    assert_eq!(
        s.count_rows_in_schema("alpha", "documents").await.unwrap(),
        1
    );
    assert_eq!(
        s.count_rows_in_schema("beta", "documents").await.unwrap(),
        0
    );
    drop(s);
    drop_db(dir.path(), &name).await;
}

#[test]
fn blobs_are_content_addressed_and_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let b = store::BlobStore::new(dir.path().join("blobs"));
    let sha = b.put(b"hello").unwrap();
    assert_eq!(
        sha,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(b.put(b"hello").unwrap(), sha);
    assert_eq!(b.get(&sha).unwrap(), b"hello");
    // No temporary files remain; the blob is under its final name only.
    let files: Vec<_> = walk(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(&sha));
    // Hostile or unknown addresses are not found, never read outside the store.
    assert!(matches!(
        b.get("../../etc/passwd"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        b.get(&"a".repeat(64)),
        Err(StoreError::NotFound(_))
    ));
    // A tampered blob is reported, not served.
    std::fs::write(&files[0], b"HELLO").unwrap();
    assert!(matches!(b.get(&sha), Err(StoreError::CorruptBlob(_))));
}

/// A real upload (a PDF of the fixture kit): stored once under its digest, read back byte
/// for byte; one changed byte inside the document (a dose digit) is caught on read.
#[test]
fn a_real_pdf_reads_back_exactly_and_one_changed_byte_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let b = store::BlobStore::new(dir.path().join("blobs"));
    let pdf = testkit::pdf::text_pdf(&["Participants receive 10 mg once daily."]);
    let sha = b.put(&pdf).unwrap();
    assert_eq!(b.get(&sha).unwrap(), pdf);
    let at = pdf.windows(5).position(|w| w == b"10 mg").unwrap();
    let mut changed = pdf.clone();
    changed[at] = b'4';
    let files = walk(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::write(&files[0], &changed).unwrap();
    match b.get(&sha) {
        Err(StoreError::CorruptBlob(s)) => assert_eq!(s, sha),
        other => panic!("a changed blob must be refused, got {other:?}"),
    }
    // The same document uploaded again replaces the damaged file instead of trusting it.
    assert_eq!(b.put(&pdf).unwrap(), sha);
    assert_eq!(b.get(&sha).unwrap(), pdf);
    assert_eq!(walk(dir.path()).len(), 1, "no temporary file left");
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        } else {
            out.push(e);
        }
    }
    out
}
