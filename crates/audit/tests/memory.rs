//! Bounded memory: a trail of 1,000,000 events is verified with [`audit::ChainVerifier`]
//! and exported as the HTML report with [`audit::export::ExportWriter`] (two passes, as the
//! service does: the report opens with the verification summary) with a peak resident set
//! under 200 MB. (JSON Lines and CSV go through the same writer, one buffered line at a
//! time; HTML is the slowest to build, about 20 s of the test's 35 s in a debug build.) Each event is built when it is needed and dropped after
//! use, as when the store reads pages. Its own test binary, so that no other test inflates
//! the peak; Linux only (`VmHWM` of `/proc/self/status`).
//!
//! `AUDIT_MEMORY_EVENTS=n` changes the number of events (default 1,000,000).
#![allow(clippy::unwrap_used)]

use audit::export::{ExportWriter, Format, summary};
use audit::{
    Actor, ChainVerifier, Checkpoint, Event, EventDraft, GENESIS_HASH, SIGNATURE_ACTION, SigningKey,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::time::Instant;

const LIMIT_KB: u64 = 200 * 1024;

/// The peak resident set of this process, in kB.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The trail, one event at a time: uploads with a small payload, a `signature.sign` event
/// every 1,000. Cheap to build (no AI provenance, short strings), sealed as the store does.
struct Trail {
    t0: DateTime<Utc>,
    seq: i64,
    n: i64,
    prev: String,
}

impl Trail {
    fn new(n: i64) -> Self {
        Self {
            t0: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
            seq: 0,
            n,
            prev: GENESIS_HASH.to_string(),
        }
    }
}

impl Iterator for Trail {
    type Item = Event;
    fn next(&mut self) -> Option<Event> {
        if self.seq == self.n {
            return None;
        }
        self.seq += 1;
        let seq = self.seq;
        let signing = seq % 1000 == 0;
        let mut d = EventDraft::new(
            Actor::user("7", "mwriter", "Mary Writer"),
            if signing {
                SIGNATURE_ACTION
            } else {
                "document.upload"
            },
            "document",
            Some(seq.to_string()),
        );
        d.new_value = Some(serde_json::Value::String(format!("Protocol {seq}")));
        let e = d.seal(seq, self.t0 + Duration::milliseconds(seq), &self.prev);
        self.prev.clone_from(&e.hash);
        Some(e)
    }
}

#[test]
fn a_million_events_verify_and_export_in_bounded_memory() {
    let n: i64 = std::env::var("AUDIT_MEMORY_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let key = SigningKey::from_seed([1; 32]);
    let start = Instant::now();
    let before = vm_hwm_kb();

    // A checkpoint early in the trail (building the trail to its end only to sign the head
    // would cost another pass), as a scheduled checkpoint would have signed it.
    let at = n.min(1000);
    let signed = Trail::new(at).last().map(|e| e.hash).unwrap_or_default();
    let cps = vec![Checkpoint::sign(
        &key,
        "bench",
        at,
        &signed,
        "2026-11-23T09:00:00+00:00",
    )];
    let built = start.elapsed();

    // Pass 1: verify.
    let mut v = ChainVerifier::new("bench", cps.clone(), &key.verifying_key());
    for e in Trail::new(n) {
        v.push(e);
    }
    let last = v.last().map(|(s, h)| (s, h.to_string()));
    let report = v.finish_with(last.as_ref().map(|(s, h)| (*s, h.as_str())), []);
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.events, n as u64);
    assert_eq!(report.checkpoints_verified, 1);
    let verified = start.elapsed();

    // Pass 2: the HTML report, opening with the summary of pass 1.
    let mut w = ExportWriter::new(Format::Html, "bench", std::io::sink());
    w.header(&summary(&report)).unwrap();
    for e in Trail::new(n) {
        w.event(&e).unwrap();
    }
    w.finish(&cps).unwrap();
    let exported = start.elapsed();

    let peak = vm_hwm_kb();
    eprintln!(
        "{n} events: built {:.1} s, verified {:.1} s, exported (html) {:.1} s; \
         VmHWM {} kB before, {} kB after (limit {LIMIT_KB} kB)",
        built.as_secs_f64(),
        (verified - built).as_secs_f64(),
        (exported - verified).as_secs_f64(),
        before,
        peak
    );
    assert!(peak < LIMIT_KB, "peak RSS {peak} kB, limit {LIMIT_KB} kB");
}
