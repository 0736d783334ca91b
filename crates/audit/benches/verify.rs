//! Hash-chain speed on one core: sealing (hashing) events and verifying a chain of
//! 1,000,000 events with a signed checkpoint, in memory (the database read is measured by
//! the end-to-end benchmark). `cargo bench -p dualcheck-audit --bench verify`.
//! Target: verification >= 500,000 events/s.
#![allow(clippy::unwrap_used)]

use audit::{Actor, Checkpoint, EventDraft, GENESIS_HASH, SigningKey, verify_chain};
use chrono::Utc;
use serde_json::json;
use std::time::Instant;

fn main() {
    let n: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let key = SigningKey::from_seed([1; 32]);
    let t0 = Utc::now();
    let start = Instant::now();
    let mut prev = GENESIS_HASH.to_string();
    let mut events = Vec::with_capacity(n as usize);
    for seq in 1..=n {
        let mut d = EventDraft::new(
            Actor::user("42", "qa.reviewer", "Quinn Reviewer"),
            "suggestion.decision",
            "suggestion",
            Some(seq.to_string()),
        );
        d.old_value = Some(json!({"status": "proposed"}));
        d.new_value =
            Some(json!({"status": "accepted", "text": "Patients received 50 mg once daily."}));
        d.reason = Some("faithful rewrite".into());
        d.request.request_id = Some(format!("req-{seq}"));
        d.request.client_ip = Some("10.0.0.7".into());
        d.request.user_agent = Some("Mozilla/5.0".into());
        let e = d.seal(seq, t0, &prev);
        prev.clone_from(&e.hash);
        events.push(e);
    }
    let seal = start.elapsed();
    let cp = Checkpoint::sign(&key, "bench", n, &prev, "2026-11-23T09:00:00+00:00");
    let start = Instant::now();
    let report = verify_chain("bench", &events, &[cp], &key.verifying_key());
    let verify = start.elapsed();
    assert!(report.ok);
    println!(
        "sealed {n} events in {:.2} s: {:.0} events/s",
        seal.as_secs_f64(),
        n as f64 / seal.as_secs_f64()
    );
    println!(
        "verified {n} events in {:.2} s: {:.0} events/s on one core (target >= 500,000)",
        verify.as_secs_f64(),
        n as f64 / verify.as_secs_f64()
    );
}
