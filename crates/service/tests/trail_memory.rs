#![allow(clippy::unwrap_used)]
//! A trail of a million events is verified and exported in bounded memory: the store reads
//! it in pages, the verifier and the export writer stream (peak RSS under 200 MB, read from
//! `VmHWM`). Its own test binary, so no other test inflates the figure. SQLite: the paging
//! is the same code on both engines.
//!
//! `DUALCHECK_TRAIL_EVENTS=n` changes the count (default 1,000,000).

use audit::{Actor, EventDraft};
use store::{By, Slug, Store, StoreConfig};

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Append `n` valid events after the trail's head, in multi-row inserts of 500 (behind the
/// application: a million single appends would take long), and move the head.
async fn append_chain(store: &Store, slug: &Slug, n: u64) -> (i64, String) {
    let first = store.audit_events_after(slug, 0, 1).await.unwrap();
    let (mut seq, mut prev) = (first[0].seq, first[0].hash.clone());
    let t0 = chrono::Utc::now();
    let mut left = n;
    while left > 0 {
        let batch = left.min(500);
        let mut sql = String::from(
            "INSERT INTO audit_events (seq, time, actor_user_id, actor_username, actor_printed_name, action, \
             entity_type, entity_id, old_value, new_value, reason, ai, request_id, client_ip, user_agent, prev_hash, hash) VALUES ",
        );
        for i in 0..batch {
            seq += 1;
            let mut d = EventDraft::new(
                Actor::user(
                    format!("u{}", seq % 7),
                    format!("user{}", seq % 7),
                    "A User".to_owned(),
                ),
                "document.download",
                "document",
                Some(format!("doc-{}", seq % 1000)),
            );
            d.new_value = Some(serde_json::json!({ "version": seq % 5 + 1 }));
            let e = d.seal(seq, t0 + chrono::Duration::microseconds(seq), &prev);
            if i > 0 {
                sql.push(',');
            }
            let nv = serde_json::to_string(&e.new_value).unwrap();
            sql.push_str(&format!(
                "({}, '{}', '{}', '{}', 'A User', '{}', '{}', '{}', NULL, '{}', NULL, NULL, NULL, NULL, NULL, '{}', '{}')",
                e.seq,
                e.time,
                e.actor.user_id.as_deref().unwrap(),
                e.actor.username.as_deref().unwrap(),
                e.action,
                e.entity_type,
                e.entity_id.as_deref().unwrap(),
                nv,
                e.prev_hash,
                e.hash
            ));
            prev = e.hash;
        }
        store.tenant_execute(slug, &sql).await.unwrap();
        left -= batch;
    }
    store
        .tenant_execute(
            slug,
            &format!("UPDATE audit_head SET seq = {seq}, hash = '{prev}' WHERE id = 1"),
        )
        .await
        .unwrap();
    (seq, prev)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_verify_and_export_in_bounded_memory() {
    let n: u64 = std::env::var("DUALCHECK_TRAIL_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        max_connections: 2,
        runtime_role: None,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store
        .create_tenant("acme", "Acme", &By::system())
        .await
        .unwrap();
    let slug = Slug::parse("acme").unwrap();
    let started = std::time::Instant::now();
    let (last, _) = append_chain(&store, &slug, n).await;
    let appended = started.elapsed();
    let before = vm_hwm_kib();

    let key = audit::SigningKey::generate().verifying_key();
    let started = std::time::Instant::now();
    let report = service::audit_trail::verify_as_operator(&store, &slug, &key, &[])
        .await
        .unwrap();
    let verified = started.elapsed();
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.events, n + 1);
    assert_eq!(last as u64, n + 1);

    let out = dir.path().join("trail.html");
    let started = std::time::Instant::now();
    let export =
        service::audit_trail::export_as_operator(&store, &slug, &By::system(), "html", &key, &out)
            .await
            .unwrap();
    let exported = started.elapsed();
    assert_eq!(export.events, n + 2, "its own audit.export event included");
    let size = std::fs::metadata(&out).unwrap().len();
    let mut head = Vec::new();
    {
        use std::io::Read;
        let f = std::fs::File::open(&out).unwrap();
        f.take(2000).read_to_end(&mut head).unwrap();
    }
    assert!(
        String::from_utf8_lossy(&head).contains(&format!("verified: {} events", n + 2)),
        "the report opens with the verification"
    );
    let peak = vm_hwm_kib();
    println!(
        "{n} events: appended in {appended:.1?}, verified in {verified:.1?}, exported (html, {} MB) in {exported:.1?}; VmHWM {before} kB before, {peak} kB after",
        size / 1_000_000
    );
    assert!(peak < 200 * 1024, "peak RSS {peak} kB, over 200 MB");
}
