//! The streaming verifier against the slice walk as it was before streaming
//! ([`crate::oracle`]): the same report for every tampering, at random positions in chains
//! of 50 to 2,000 events, with checkpoints good, forged, foreign and beyond the end; and
//! the store's whole check (head, signatures) through [`ChainVerifier::finish_with`].
#![allow(clippy::unwrap_used)]

use super::*;
use crate::oracle::{assert_same, verify_all};
use crate::{Actor, EventDraft, SigningKey};
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

/// SplitMix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn key() -> SigningKey {
    SigningKey::from_seed([7u8; 32])
}

/// A chain of `n` events: uploads, some signature events (every 7th), some AI-produced
/// values, and a clock that now and then steps back.
fn chain(n: usize, rng: &mut Rng) -> Vec<Event> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    let mut prev = GENESIS_HASH.to_string();
    (1..=n as i64)
        .map(|seq| {
            let d = if seq % 7 == 0 {
                let mut d = EventDraft::new(
                    Actor::user(format!("u{}", seq % 3), "signer", "Sam Signer"),
                    SIGNATURE_ACTION,
                    "document_version",
                    Some(format!("doc{seq}/v1")),
                );
                d.new_value = Some(json!({
                    "signature_id": format!("sig{seq}"),
                    "meaning": "authored",
                    "record_sha256": format!("{seq:064x}"),
                }));
                d
            } else {
                let mut d = EventDraft::new(
                    Actor::user("7", "mwriter", "Mary Writer"),
                    "document.upload",
                    "document",
                    Some(format!("{seq}")),
                );
                d.new_value = Some(json!({"title": format!("Protocol {seq}"), "n": seq}));
                if seq % 11 == 0 {
                    d.ai = Some(crate::AiProvenance {
                        model: "m".into(),
                        weights_sha256: "w".into(),
                        template_id: "t".into(),
                        template_sha256: "ts".into(),
                        decoding: json!({"greedy": true}),
                        input_sha256: "i".into(),
                    });
                }
                d
            };
            let back = if rng.chance(2) { -90 } else { 0 };
            let e = d.seal(seq, t0 + Duration::seconds(seq + back), &prev);
            prev = e.hash.clone();
            e
        })
        .collect()
}

fn reseal(e: &mut Event) {
    e.hash = e.compute_hash();
}

/// Re-link and re-hash every event from `from` on (a rewrite from there).
fn relink_from(c: &mut [Event], from: usize) {
    for i in from..c.len() {
        c[i].prev_hash = if i == 0 {
            GENESIS_HASH.to_string()
        } else {
            c[i - 1].hash.clone()
        };
        reseal(&mut c[i]);
    }
}

fn renumber_from(c: &mut [Event], from: usize, by: i64) {
    for e in c.iter_mut().skip(from) {
        e.seq += by;
    }
}

/// One random tampering of the stored rows; returns what it did (for failure messages).
fn tamper(c: &mut Vec<Event>, rng: &mut Rng) -> String {
    if c.len() < 4 {
        return "none".into();
    }
    let n = c.len();
    let p = rng.range(0, n);
    match rng.range(0, 9) {
        0 => {
            let k = rng.range(1, 4).min(n - p);
            c.drain(p..p + k);
            let renumber = rng.chance(50);
            if renumber {
                renumber_from(c, p, -(k as i64));
            }
            format!("delete {k} at {p} renumber {renumber}")
        }
        1 => {
            let mut forged = c[rng.range(0, n)].clone();
            forged.seq = p as i64 + 1;
            forged.reason = Some("forged".into());
            forged.prev_hash = if p == 0 {
                GENESIS_HASH.to_string()
            } else {
                c[p - 1].hash.clone()
            };
            let well = rng.chance(50);
            if well {
                reseal(&mut forged);
            } else {
                forged.hash = "ab".repeat(32);
            }
            let renumber = rng.chance(70);
            if renumber {
                renumber_from(c, p, 1);
            }
            c.insert(p, forged);
            format!("insert at {p} well {well} renumber {renumber}")
        }
        2 => {
            let how = rng.range(0, 4);
            match how {
                0 => c[p].new_value = Some(json!({"changed": p})),
                1 => c[p].reason = Some("backdated".into()),
                2 => c[p].time = "2020-01-01T00:00:00.000000+00:00".into(),
                _ => c[p].actor.printed_name = Some("Someone Else".into()),
            }
            let rehash = rng.range(0, 3);
            match rehash {
                0 => {}
                1 => reseal(&mut c[p]),
                _ => relink_from(c, p),
            }
            format!("modify {how} at {p} rehash {rehash}")
        }
        3 => {
            let d = rng.range(1, 200);
            let q = (p + d).min(n - 1);
            c.swap(p, q);
            let renumber = rng.chance(70);
            if renumber {
                let (a, b) = (c[p].seq, c[q].seq);
                c[p].seq = b;
                c[q].seq = a;
            }
            format!("swap {p} {q} renumber {renumber}")
        }
        4 => {
            let keep = rng.range(1, n);
            c.truncate(keep);
            format!("truncate to {keep}")
        }
        5 => {
            // A copy of an original event appears far later; the original is changed and
            // re-hashed in place (its successor then links to the copy).
            let q = rng.range(p, n) + 1;
            let copy = c[p].clone();
            c[p].reason = Some("rewritten".into());
            reseal(&mut c[p]);
            c.insert(q.min(c.len()), copy);
            format!("copy {p} to {q}")
        }
        6 => {
            let by = rng.range(1, 100) as i64;
            c[p].seq += by;
            format!("seq of {p} + {by}")
        }
        7 => {
            // A block moves by up to 150 positions.
            let k = rng.range(1, 5).min(n - p);
            let block: Vec<Event> = c.drain(p..p + k).collect();
            let to = rng.range(0, c.len() + 1).min(p + 150);
            let renumber = rng.chance(50);
            for (j, e) in block.into_iter().enumerate() {
                c.insert(to + j, e);
            }
            if renumber {
                for (i, e) in c.iter_mut().enumerate() {
                    e.seq = i as i64 + 1;
                }
            }
            format!("move {k} from {p} to {to} renumber {renumber}")
        }
        _ => {
            // The predecessor of p changed and re-hashed, the rest intact: p links over it.
            if p > 0 {
                c[p - 1].reason = Some("re-hashed".into());
                reseal(&mut c[p - 1]);
            }
            format!("rehash predecessor of {p}")
        }
    }
}

/// Checkpoints over the original chain: good ones, forged ones (another key), another
/// tenant's, one beyond the end, one with a hash no event has.
fn checkpoints(orig: &[Event], rng: &mut Rng) -> Vec<Checkpoint> {
    let forger = SigningKey::from_seed([8u8; 32]);
    let n = orig.len();
    let mut cps = Vec::new();
    for _ in 0..rng.range(0, 6) {
        let i = rng.range(0, n);
        let (seq, hash) = (orig[i].seq, orig[i].hash.as_str());
        let time = "2026-11-23T09:00:00+00:00";
        cps.push(match rng.range(0, 6) {
            0 => Checkpoint::sign(&forger, "acme", seq, hash, time),
            1 => Checkpoint::sign(&key(), "beta", seq, hash, time),
            2 => Checkpoint::sign(
                &key(),
                "acme",
                n as i64 + rng.range(1, 20) as i64,
                hash,
                time,
            ),
            3 => Checkpoint::sign(&key(), "acme", seq, &"cd".repeat(32), time),
            _ => Checkpoint::sign(&key(), "acme", seq, hash, time),
        });
    }
    cps
}

/// Stored signatures: genuine ones (from their events), and forged ones pointing at
/// another action's event, at no event, or carrying another hash.
fn claims(orig: &[Event], rng: &mut Rng) -> Vec<(String, String, String, String, i64)> {
    let mut out = Vec::new();
    for e in orig.iter().filter(|e| e.action == SIGNATURE_ACTION) {
        let v = e.new_value.as_ref().unwrap();
        let sha = v["record_sha256"].as_str().unwrap().to_string();
        let sha = if rng.chance(10) { "ff".repeat(32) } else { sha };
        out.push((
            v["signature_id"].as_str().unwrap().to_string(),
            e.entity_id.clone().unwrap(),
            sha,
            e.actor.user_id.clone().unwrap(),
            e.seq,
        ));
    }
    for _ in 0..rng.range(0, 3) {
        let seq = rng.range(1, orig.len() + 10) as i64;
        out.push((
            "forged".into(),
            "doc/v1".into(),
            "aa".into(),
            "u1".into(),
            seq,
        ));
    }
    out
}

fn claim(c: &(String, String, String, String, i64)) -> SignatureClaim<'_> {
    SignatureClaim {
        id: &c.0,
        record_type: "document_version",
        record_id: &c.1,
        record_sha256: &c.2,
        signer_user_id: &c.3,
        meaning: "authored",
        audit_seq: c.4,
    }
}

/// The store's flow through the verifier (keep the claimed events, push, finish with head
/// and claims, then the foreign stored checkpoints) equals the slice-based one.
fn assert_same_with_head_and_claims(
    events: &[Event],
    cps: &[Checkpoint],
    head: (i64, &str),
    claims: &[(String, String, String, String, i64)],
    what: &str,
) {
    let vk = key().verifying_key();
    let mut old = verify_all("acme", events, cps, &vk, head, claims.iter().map(claim));
    old.check_foreign_checkpoints("acme", cps);
    let mut v = ChainVerifier::new("acme", cps.to_vec(), &vk);
    v.keep_events_at(claims.iter().map(|c| c.4));
    for e in events {
        v.push(e.clone());
    }
    assert_eq!(v.events(), events.len() as u64);
    assert_eq!(v.last(), events.last().map(|e| (e.seq, e.hash.as_str())));
    let mut new = v.finish_with(Some(head), claims.iter().map(claim));
    new.check_foreign_checkpoints("acme", cps);
    assert_eq!(new, old, "{what}");
}

#[test]
fn random_tampering_gives_the_report_of_the_slice_walk() {
    let mut rng = Rng(0x5EED_0001);
    let mut kinds = std::collections::BTreeMap::new();
    for case in 0..160 {
        let n = rng.range(50, 2001);
        let orig = chain(n, &mut rng);
        let mut c = orig.clone();
        let mut what = Vec::new();
        for _ in 0..rng.range(0, 3) {
            what.push(tamper(&mut c, &mut rng));
        }
        let cps = checkpoints(&orig, &mut rng);
        let what = format!(
            "case {case}, {n} events: {what:?}, {} checkpoints",
            cps.len()
        );
        let r = assert_same("acme", &c, &cps, &key().verifying_key());
        *kinds
            .entry(format!("{:?}", r.first_problem.as_ref().map(|p| p.kind)))
            .or_insert(0) += 1;
        let head = (orig.len() as i64, orig[orig.len() - 1].hash.as_str());
        assert_same_with_head_and_claims(&c, &cps, head, &claims(&orig, &mut rng), &what);
    }
    // The generator reaches every verdict of the walk and the checkpoints.
    for k in [
        "None",
        "Some(Modified)",
        "Some(Deleted)",
        "Some(Inserted)",
        "Some(Reordered)",
        "Some(Truncated)",
        "Some(BadCheckpointSignature)",
    ] {
        assert!(kinds.contains_key(k), "{k} never came up: {kinds:?}");
    }
}

#[test]
fn the_verdict_settled_after_the_window_is_the_slice_walks() {
    // Event 10's predecessor is re-hashed in place and its original copy comes back far
    // after the lookahead window (or never): reordered, or modified.
    let mut rng = Rng(3);
    let orig = chain(600, &mut rng);
    for (at, copy_to) in [
        (9, Some(11)),
        (9, Some(9 + LOOKAHEAD)),
        (9, Some(10 + LOOKAHEAD)),
        (9, Some(11 + LOOKAHEAD)),
        (9, Some(500)),
        (9, None),
        (590, Some(600)),
    ] {
        let mut c = orig.clone();
        let copy = c[at - 1].clone();
        c[at - 1].reason = Some("rewritten".into());
        reseal(&mut c[at - 1]);
        if let Some(q) = copy_to {
            c.insert(q, copy);
        }
        let r = assert_same("acme", &c, &[], &key().verifying_key());
        let p = r.first_problem.unwrap();
        if copy_to.is_some() {
            assert_eq!((p.seq, p.kind), (at as i64 + 1, TamperKind::Reordered));
        } else {
            assert_eq!((p.seq, p.kind), (at as i64, TamperKind::Modified));
        }
    }
}

#[test]
fn anomalies_at_the_edges_of_the_window_match() {
    let mut rng = Rng(4);
    let orig = chain(400, &mut rng);
    // First, second and last events; swaps at exactly the reorder window and beyond.
    for p in [0, 1, 2, 399] {
        let mut c = orig.clone();
        c[p].reason = Some("x".into());
        assert_same("acme", &c, &[], &key().verifying_key());
        let mut c = orig.clone();
        c.remove(p);
        assert_same("acme", &c, &[], &key().verifying_key());
    }
    for d in [63, 64, 65, 127, 128, 129, 130] {
        let mut c = orig.clone();
        c.swap(5, 5 + d);
        let (a, b) = (c[5].seq, c[5 + d].seq);
        c[5].seq = b;
        c[5 + d].seq = a;
        assert_same("acme", &c, &[], &key().verifying_key());
    }
    // An event moved forward by exactly the lookahead (reordered) or one more (deleted),
    // its sequence number kept or renumbered.
    for d in [LOOKAHEAD - 1, LOOKAHEAD, LOOKAHEAD + 1] {
        for renumber in [false, true] {
            let mut c = orig.clone();
            let e = c.remove(20);
            c.insert(20 + d, e);
            if renumber {
                for (i, e) in c.iter_mut().enumerate() {
                    e.seq = i as i64 + 1;
                }
            }
            let r = assert_same("acme", &c, &[], &key().verifying_key());
            if !renumber {
                let kind = r.first_problem.unwrap().kind;
                let want = if d <= LOOKAHEAD {
                    TamperKind::Reordered
                } else {
                    TamperKind::Deleted
                };
                assert_eq!(kind, want, "moved by {d}");
            }
        }
    }
    assert_same("acme", &[], &[], &key().verifying_key());
    assert_same("acme", &orig[..1], &[], &key().verifying_key());
}

#[test]
fn finish_with_checks_the_head_and_the_signatures() {
    let mut rng = Rng(5);
    let c = chain(30, &mut rng);
    let cl = claims(&c, &mut Rng(6));
    let head = (30, c[29].hash.as_str());
    assert_same_with_head_and_claims(&c, &[], head, &cl, "intact");
    assert_same_with_head_and_claims(&c[..20], &[], head, &cl, "cut");
    // A claim pointing at an upload: the same problem text when its sequence is kept.
    let forged = vec![("s".into(), "3".into(), "x".into(), "7".into(), 3)];
    assert_same_with_head_and_claims(&c, &[], head, &forged, "claim at an upload");
    let mut v = ChainVerifier::new("acme", Vec::new(), &key().verifying_key());
    v.keep_events_at([3]);
    for e in &c {
        v.push(e.clone());
    }
    assert_eq!(v.event_at(3).map(|e| e.seq), Some(3));
    assert_eq!(
        v.event_at(7).map(|e| e.action.as_str()),
        Some(SIGNATURE_ACTION)
    );
    assert!(v.event_at(4).is_none(), "uploads are not kept");
    let r = v.finish_with(None, forged.iter().map(claim));
    assert_eq!(r.signatures_checked, 1);
    assert!(
        r.unattested_signatures[0]
            .problem
            .contains("document.upload")
    );
    assert!(!r.ok);
}

#[test]
fn memory_holds_only_the_window_and_signature_events() {
    let mut rng = Rng(7);
    let mut c = chain(2000, &mut rng);
    c[100].reason = Some("x".into());
    let mut v = ChainVerifier::new("acme", Vec::new(), &key().verifying_key());
    for (i, e) in c.iter().enumerate() {
        v.push(e.clone());
        let held = match &v.walk {
            Walk::Intact(r) => r.len(),
            Walk::Collecting { window, .. } => window.len(),
            Walk::Pending(_) | Walk::Done(_) => 0,
        };
        assert!(
            held <= LOOKBEHIND + 1 + LOOKAHEAD,
            "{held} events held at {i}"
        );
    }
    assert!(matches!(v.walk, Walk::Done(_)));
    assert_eq!(v.kept.len(), 2000 / 7);
}
