//! Audit events appended per second through the store (each event its own transaction, as
//! a login or a download records it), one writer and 8 concurrent writers, on SQLite and,
//! when reachable, PostgreSQL. `cargo bench -p dualcheck-store --bench append [-- N]`
//! (N events per run, default 4000).

use std::sync::Arc;
use std::time::Instant;
use store::{AuditSigner, By, Slug, Store, StoreConfig};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn run(s: &Store, slug: &str, writers: usize, n: usize) -> f64 {
    s.create_tenant(slug, "bench", &By::system())
        .await
        .expect("tenant");
    let t = Slug::parse(slug).expect("slug");
    let start = Instant::now();
    let per = n / writers;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (s, t) = (s.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let by = By::cli(&format!("bench{w}"));
            for i in 0..per {
                let mut d = by.draft("document.download", "document", Some(format!("{w}-{i}")));
                d.new_value = Some(serde_json::json!({"version": 1, "sha256": "ab".repeat(32)}));
                s.record_now(&t, d).await.expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    let secs = start.elapsed().as_secs_f64();
    let key = audit::SigningKey::from_seed([3u8; 32]);
    let r = s
        .audit_verify(&t, &key.verifying_key(), &[])
        .await
        .expect("verify");
    assert!(r.ok && r.events as usize == per * writers + 1, "{r:?}");
    (per * writers) as f64 / secs
}

async fn open(dir: &std::path::Path, url: Option<String>) -> Store {
    let s = Store::open(StoreConfig {
        data_dir: dir.to_path_buf(),
        database_url: url,
        max_connections: 16,
        runtime_role: None,
    })
    .await
    .expect("open");
    s.migrate().await.expect("migrate");
    s.set_audit_signer(AuditSigner {
        key: Arc::new(audit::SigningKey::from_seed([3u8; 32])),
        every_events: 1000,
    });
    s
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(4000);
    let dir = tempfile::tempdir().expect("tempdir");
    let s = open(dir.path(), None).await;
    let one = run(&s, "one", 1, n).await;
    let eight = run(&s, "eight", 8, n).await;
    println!(
        "sqlite     1 writer  {one:>9.0} events/s   8 writers {eight:>9.0} events/s   ({n} events each)"
    );

    let admin = Store::open(StoreConfig {
        data_dir: dir.path().join("admin"),
        database_url: Some(PG_ADMIN.into()),
        max_connections: 1,
        runtime_role: None,
    })
    .await;
    let Ok(admin) = admin else {
        println!("postgres   skipped: no server at {PG_ADMIN}");
        return;
    };
    let name = format!("dc_bench_{}", uuid::Uuid::new_v4().simple());
    admin.create_database(&name).await.expect("create db");
    let s = open(
        &dir.path().join("pg"),
        Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
    )
    .await;
    let one = run(&s, "one", 1, n).await;
    let eight = run(&s, "eight", 8, n).await;
    println!(
        "postgres   1 writer  {one:>9.0} events/s   8 writers {eight:>9.0} events/s   ({n} events each)"
    );
    drop(s);
    let _ = admin.drop_database(&name).await;
}
