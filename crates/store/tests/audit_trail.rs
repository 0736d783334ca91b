#![allow(clippy::unwrap_used)]
//! The audit trail in the database, on SQLite and (when reachable) PostgreSQL:
//! - tampering through direct SQL as a superuser with the triggers bypassed (changed
//!   payload, deleted, inserted, swapped events, cut tail, a whole chain replaced) is
//!   reported with the right kind and sequence number; the replaced chain only through a
//!   checkpoint held outside the database;
//! - the application's own connection gets an error on UPDATE and DELETE (and TRUNCATE);
//! - 8 concurrent writers x 1,000 events leave a gapless chain that verifies.

use audit::{Event, SigningKey, TamperKind};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use std::sync::Arc;
use store::{AuditSigner, By, Slug, Store, StoreConfig};

mod common;
use common::{drop_db, pg_database as pg_url};

fn key() -> Arc<SigningKey> {
    Arc::new(SigningKey::from_seed([42u8; 32]))
}

async fn open(dir: &std::path::Path, url: Option<String>) -> Store {
    let s = Store::open(StoreConfig {
        data_dir: dir.to_path_buf(),
        database_url: url,
        max_connections: 8,
        runtime_role: None,
    })
    .await
    .unwrap();
    s.migrate().await.unwrap();
    s.set_audit_signer(AuditSigner {
        key: key(),
        every_events: 10,
    });
    s
}

/// A superuser's way into a tenant's tables with the triggers out of the way.
enum Raw {
    Sqlite(DatabaseConnection),
    Postgres(DatabaseConnection, String),
}

impl Raw {
    async fn new(s: &Store, dir: &std::path::Path, url: &Option<String>, slug: &str) -> Raw {
        match url {
            None => {
                let path = dir.join(format!("tenants/{slug}/tenant.db"));
                let c = Database::connect(format!("sqlite://{}?mode=rw", path.display()))
                    .await
                    .unwrap();
                for t in ["audit_events", "audit_checkpoints"] {
                    for op in ["update", "delete"] {
                        c.execute_unprepared(&format!("DROP TRIGGER {t}_no_{op}"))
                            .await
                            .unwrap();
                    }
                }
                let _ = s;
                Raw::Sqlite(c)
            }
            Some(u) => Raw::Postgres(Database::connect(u.as_str()).await.unwrap(), slug.into()),
        }
    }

    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(c) => {
                c.execute_unprepared(sql).await.unwrap();
            }
            Raw::Postgres(c, slug) => {
                let t = c.begin().await.unwrap();
                t.execute_unprepared("SET LOCAL session_replication_role = replica")
                    .await
                    .unwrap();
                t.execute_unprepared(&format!("SET LOCAL search_path TO \"tenant_{slug}\""))
                    .await
                    .unwrap();
                t.execute_unprepared(sql).await.unwrap();
                t.commit().await.unwrap();
            }
        }
    }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or("NULL".into(), q)
}

fn json(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map_or("NULL".into(), |v| q(&v.to_string()))
}

fn insert_sql(e: &Event) -> String {
    format!(
        "INSERT INTO audit_events (seq, time, actor_user_id, actor_username, actor_printed_name, action, entity_type, entity_id, old_value, new_value, reason, ai, request_id, client_ip, user_agent, prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, {}, {}, {}, {})",
        e.seq,
        q(&e.time),
        opt(&e.actor.user_id),
        opt(&e.actor.username),
        opt(&e.actor.printed_name),
        q(&e.action),
        q(&e.entity_type),
        opt(&e.entity_id),
        json(&e.old_value),
        json(&e.new_value),
        opt(&e.reason),
        opt(&e.request.request_id),
        opt(&e.request.client_ip),
        opt(&e.request.user_agent),
        q(&e.prev_hash),
        q(&e.hash),
    )
}

/// Move events `from..` by `delta` without tripping the primary key midway.
async fn shift(raw: &Raw, from: i64, delta: i64) {
    raw.exec(&format!(
        "UPDATE audit_events SET seq = -seq WHERE seq >= {from}"
    ))
    .await;
    raw.exec(&format!(
        "UPDATE audit_events SET seq = -seq + ({delta}) WHERE seq < 0"
    ))
    .await;
}

/// A tenant with 25 events: tenant.create, then document uploads (checkpoints at 10, 20).
async fn tenant_with_events(s: &Store, slug: &str) -> Slug {
    s.create_tenant(slug, "Tamper test", &By::system())
        .await
        .unwrap();
    let t = Slug::parse(slug).unwrap();
    let by = By::cli("tester");
    for i in 2..=25 {
        let mut d = by.draft("document.upload", "document", Some(format!("doc-{i}")));
        d.new_value =
            Some(serde_json::json!({"title": format!("Protocol {i}"), "dose_mg": i * 10}));
        s.record_now(&t, d).await.unwrap();
    }
    t
}

async fn first_problem(
    s: &Store,
    t: &Slug,
    extra: &[audit::Checkpoint],
) -> Option<(i64, TamperKind)> {
    s.audit_verify(t, &key().verifying_key(), extra)
        .await
        .unwrap()
        .first_problem
        .map(|p| (p.seq, p.kind))
}

async fn tampering_is_detected(dir: &std::path::Path, url: Option<String>) {
    let s = open(dir, url.clone()).await;

    // Intact.
    let t = tenant_with_events(&s, "intact").await;
    let r = s
        .audit_verify(&t, &key().verifying_key(), &[])
        .await
        .unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.events, 25);
    assert_eq!(r.checkpoints_verified, 2);
    // The timed checkpoint signs the head when there are events since the last one.
    let cp = s
        .checkpoint(&t)
        .await
        .unwrap()
        .expect("new events since 20");
    assert_eq!(cp.seq, 25);
    assert!(s.checkpoint(&t).await.unwrap().is_none(), "nothing new");
    let r = s
        .audit_verify(&t, &key().verifying_key(), &[])
        .await
        .unwrap();
    assert_eq!(r.checkpoints_verified, 3);

    // The application's own connection cannot change or remove an event.
    for sql in [
        "UPDATE audit_events SET reason = 'x' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 25",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_checkpoints SET head_hash = 'x'",
    ] {
        let e = s.tenant_execute(&t, sql).await;
        assert!(e.is_err(), "{sql} was allowed");
        assert!(
            e.unwrap_err().to_string().contains("immutable"),
            "{sql}: refused for the wrong reason"
        );
    }
    if url.is_some() {
        assert!(s.tenant_execute(&t, "TRUNCATE audit_events").await.is_err());
    }
    assert!(
        s.audit_verify(&t, &key().verifying_key(), &[])
            .await
            .unwrap()
            .ok
    );

    // A changed payload.
    let t = tenant_with_events(&s, "modified").await;
    let raw = Raw::new(&s, dir, &url, "modified").await;
    raw.exec("UPDATE audit_events SET new_value = '{\"title\":\"Protocol 5\",\"dose_mg\":500}' WHERE seq = 5")
        .await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((5, TamperKind::Modified))
    );

    // A deleted event in the middle.
    let t = tenant_with_events(&s, "deleted").await;
    let raw = Raw::new(&s, dir, &url, "deleted").await;
    raw.exec("DELETE FROM audit_events WHERE seq = 7").await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((7, TamperKind::Deleted))
    );

    // A forged event inserted at 12, hashed and linked like a real one, the rest moved up.
    let t = tenant_with_events(&s, "inserted").await;
    let raw = Raw::new(&s, dir, &url, "inserted").await;
    let (events, _) = s.audit_all(&t).await.unwrap();
    let mut forged = events[3].clone();
    forged.seq = 12;
    forged.reason = Some("forged approval".into());
    forged.prev_hash = events[10].hash.clone();
    forged.hash = forged.compute_hash();
    shift(&raw, 12, 1).await;
    raw.exec(&insert_sql(&forged)).await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((12, TamperKind::Inserted))
    );

    // Two events swapped.
    let t = tenant_with_events(&s, "swapped").await;
    let raw = Raw::new(&s, dir, &url, "swapped").await;
    raw.exec("UPDATE audit_events SET seq = -1 WHERE seq = 14")
        .await;
    raw.exec("UPDATE audit_events SET seq = 14 WHERE seq = 15")
        .await;
    raw.exec("UPDATE audit_events SET seq = 15 WHERE seq = -1")
        .await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((14, TamperKind::Reordered))
    );

    // The tail cut after 15: the stored checkpoint at 20 catches it; with the stored
    // checkpoints deleted too, one held elsewhere does.
    let t = tenant_with_events(&s, "truncated").await;
    let (_, held) = s.audit_all(&t).await.unwrap();
    assert_eq!(held.len(), 2);
    let raw = Raw::new(&s, dir, &url, "truncated").await;
    raw.exec("DELETE FROM audit_events WHERE seq > 15").await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((16, TamperKind::Truncated))
    );
    raw.exec("DELETE FROM audit_checkpoints").await;
    // Without checkpoints the stored head still records 20 events: the cut is seen.
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        Some((16, TamperKind::Truncated))
    );
    // Only with the head rewritten too is the cut undetectable from inside.
    let (cut, _) = s.audit_all(&t).await.unwrap();
    raw.exec(&format!(
        "UPDATE audit_head SET seq = 15, hash = '{}', checkpoint_seq = 0",
        cut[14].hash
    ))
    .await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        None,
        "undetectable from inside"
    );
    assert_eq!(
        first_problem(&s, &t, &held).await,
        Some((16, TamperKind::Truncated))
    );

    // The whole chain replaced by a freshly hashed one (and the stored checkpoints removed):
    // self-consistent, caught only by a checkpoint held elsewhere.
    let t = tenant_with_events(&s, "rewritten").await;
    let (events, held) = s.audit_all(&t).await.unwrap();
    let raw = Raw::new(&s, dir, &url, "rewritten").await;
    raw.exec("DELETE FROM audit_events").await;
    raw.exec("DELETE FROM audit_checkpoints").await;
    let mut prev = audit::GENESIS_HASH.to_string();
    for e in &events {
        let mut x = e.clone();
        if let Some(v) = x.new_value.as_mut()
            && v.get("dose_mg").is_some()
        {
            v["dose_mg"] = serde_json::json!(1);
        }
        x.prev_hash = prev.clone();
        x.hash = x.compute_hash();
        prev = x.hash.clone();
        raw.exec(&insert_sql(&x)).await;
    }
    // The stored head still holds the real last hash: caught there, until it is rewritten.
    assert_eq!(
        first_problem(&s, &t, &[]).await.map(|p| p.1),
        Some(TamperKind::Modified)
    );
    raw.exec(&format!(
        "UPDATE audit_head SET hash = '{prev}', checkpoint_seq = 0"
    ))
    .await;
    assert_eq!(
        first_problem(&s, &t, &[]).await,
        None,
        "undetectable from inside"
    );
    assert_eq!(
        first_problem(&s, &t, &held).await,
        Some((10, TamperKind::Modified))
    );
}

async fn concurrent_writers(dir: &std::path::Path, url: Option<String>) {
    let s = open(dir, url).await;
    s.create_tenant("busy", "Busy", &By::system())
        .await
        .unwrap();
    let t = Slug::parse("busy").unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (s, t) = (s.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let by = By::cli(&format!("writer{w}"));
            for i in 0..1000 {
                let mut d = by.draft("document.upload", "document", Some(format!("{w}-{i}")));
                d.new_value = Some(serde_json::json!({ "writer": w, "i": i }));
                s.record_now(&t, d).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (events, cps) = s.audit_all(&t).await.unwrap();
    assert_eq!(events.len(), 8001);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as i64 + 1),
        "gap"
    );
    assert_eq!(cps.len(), 800, "a checkpoint every 10 events");
    let r = s
        .audit_verify(&t, &key().verifying_key(), &[])
        .await
        .unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.checkpoints_verified, 800);
}

#[tokio::test]
async fn sqlite_tampering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    tampering_is_detected(dir.path(), None).await;
}

#[tokio::test]
async fn postgres_tampering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, name)) = pg_url(dir.path()).await else {
        return;
    };
    tampering_is_detected(dir.path(), Some(url)).await;
    drop_db(dir.path(), &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_eight_concurrent_writers_stay_gapless() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_writers(dir.path(), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_eight_concurrent_writers_stay_gapless() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, name)) = pg_url(dir.path()).await else {
        return;
    };
    concurrent_writers(dir.path(), Some(url)).await;
    drop_db(dir.path(), &name).await;
}
