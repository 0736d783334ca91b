//! Verification of a stored chain: recompute every hash and link, check the signed
//! checkpoints, and name the first bad sequence number and what happened there.

use crate::attest::{SignatureClaim, UnattestedSignature, attest_signature};
use crate::canonical::{finish, prefix_state};
use crate::checkpoint::Checkpoint;
use crate::event::Event;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How far from its stored position an event's original sequence number is searched for
/// when its hash does not match (a reordering moves events, usually not far).
const REORDER_WINDOW: i64 = 64;

/// What happened at the first bad sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TamperKind {
    /// The event's content (or its sequence number) was changed after it was written, or the
    /// chain no longer matches a signed checkpoint (rewritten).
    Modified,
    /// One or more events are missing here.
    Deleted,
    /// An event that the chain never linked was added here.
    Inserted,
    /// Events are out of their original order.
    Reordered,
    /// Events after this sequence number, covered by a signed checkpoint, are gone.
    Truncated,
    /// A checkpoint's signature does not verify with the installation key.
    BadCheckpointSignature,
    /// A checkpoint of another tenant is stored in this tenant's trail (copied in).
    ForeignCheckpoint,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tamper {
    pub seq: i64,
    pub kind: TamperKind,
    pub detail: String,
}

/// The outcome of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub events: u64,
    /// Hash of the last event (or [`GENESIS_HASH`] when empty).
    pub head_hash: String,
    pub checkpoints_verified: u64,
    pub first_problem: Option<Tamper>,
    /// Stored signatures checked against their `signature.sign` events.
    pub signatures_checked: u64,
    /// Signatures the chain does not attest (forged or altered rows): each makes `ok` false.
    pub unattested_signatures: Vec<UnattestedSignature>,
    /// Sequence numbers whose event time is earlier than the previous event's: a clock
    /// stepped back or a backdated event. Reported for review; the chain itself may hold.
    pub time_reversals: Vec<i64>,
}

impl ChainReport {
    /// Record a problem found outside the chain walk (the stored head, a stored
    /// checkpoint): the report is not ok, and the lowest sequence number stays first.
    pub fn flag(&mut self, t: Tamper) {
        self.ok = false;
        if self.first_problem.as_ref().is_none_or(|p| t.seq < p.seq) {
            self.first_problem = Some(t);
        }
    }

    /// Compare the chain's last event with the stored head (sequence number and hash that
    /// every append updates): a tail cut below the head, or a head that no event matches.
    pub fn check_head(&mut self, events: &[Event], head_seq: i64, head_hash: &str) {
        let last = events.last().map_or(0, |e| e.seq);
        if last < head_seq {
            self.flag(Tamper {
                seq: last + 1,
                kind: TamperKind::Truncated,
                detail: format!(
                    "the chain ends at {last} but its head records {head_seq} events: the tail was cut"
                ),
            });
        } else if last == head_seq
            && head_seq > 0
            && events.last().is_some_and(|e| e.hash != head_hash)
        {
            self.flag(Tamper {
                seq: last,
                kind: TamperKind::Modified,
                detail: format!(
                    "the last event {last} hashes to {} but the head records {head_hash}",
                    events.last().map_or("", |e| e.hash.as_str())
                ),
            });
        } else if last > head_seq {
            self.flag(Tamper {
                seq: head_seq + 1,
                kind: TamperKind::Inserted,
                detail: format!(
                    "the chain goes on to {last} but its head records {head_seq} events: events were appended behind the application's back"
                ),
            });
        }
    }

    /// Checkpoints stored in this tenant's trail that name another tenant.
    pub fn check_foreign_checkpoints(&mut self, tenant: &str, stored: &[Checkpoint]) {
        for cp in stored.iter().filter(|c| c.tenant != tenant) {
            self.flag(Tamper {
                seq: cp.seq,
                kind: TamperKind::ForeignCheckpoint,
                detail: format!(
                    "a checkpoint of tenant {:?} (sequence {}, made {}) is stored in the trail of {tenant:?}",
                    cp.tenant, cp.seq, cp.time
                ),
            });
        }
    }

    /// Check each stored signature against the event at its `audit_seq` (`events` holds
    /// the tenant's events by sequence number); any that is not attested makes the report
    /// not ok.
    pub fn attest_signatures<'a>(
        &mut self,
        claims: impl IntoIterator<Item = SignatureClaim<'a>>,
        event_at: impl Fn(i64) -> Option<&'a Event>,
    ) {
        for c in claims {
            self.signatures_checked += 1;
            if let Err(problem) = attest_signature(&c, event_at(c.audit_seq)) {
                self.ok = false;
                self.unattested_signatures.push(UnattestedSignature {
                    signature_id: c.id.to_owned(),
                    record_id: c.record_id.to_owned(),
                    audit_seq: c.audit_seq,
                    problem,
                });
            }
        }
    }
}

struct Row<'a> {
    e: &'a Event,
    /// The sequence number the stored hash was computed with, when it is within the search
    /// window; `None` when the content itself changed.
    orig_seq: Option<i64>,
}

/// Compare a digest with a stored lower-case hex hash without allocating.
fn hash_matches(digest: &[u8; 32], stored: &str) -> bool {
    let mut buf = [0u8; 64];
    hex::encode_to_slice(digest, &mut buf).is_ok() && buf.as_slice() == stored.as_bytes()
}

fn orig_seq(e: &Event) -> Option<i64> {
    let Ok(stored) = hex::decode(&e.hash) else {
        return None;
    };
    let state = prefix_state(e);
    if finish(state.clone(), e.seq).as_slice() == stored.as_slice() {
        return Some(e.seq);
    }
    (1.max(e.seq - REORDER_WINDOW)..=e.seq + REORDER_WINDOW)
        .filter(|s| *s != e.seq)
        .find(|s| finish(state.clone(), *s).as_slice() == stored.as_slice())
}

/// Verify `events` (as stored, in ascending sequence order) and `checkpoints` (from the
/// database or held elsewhere) against the installation's public key.
pub fn verify_chain(
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> ChainReport {
    let mut report = ChainReport {
        ok: true,
        events: events.len() as u64,
        head_hash: events
            .last()
            .map_or_else(|| GENESIS_HASH.to_string(), |e| e.hash.clone()),
        checkpoints_verified: 0,
        first_problem: None,
        signatures_checked: 0,
        unattested_signatures: Vec::new(),
        time_reversals: time_reversals(events),
    };
    let mut problem: Option<Tamper> = chain_problem(events);

    // Checkpoints: signature, then the chain must still hold the signed head.
    for cp in checkpoints {
        if cp.tenant != tenant {
            continue;
        }
        let found = if cp.verify(key).is_err() {
            Some(Tamper {
                seq: cp.seq,
                kind: TamperKind::BadCheckpointSignature,
                detail: format!(
                    "the checkpoint at sequence {} made {} does not verify with the installation key",
                    cp.seq, cp.time
                ),
            })
        } else {
            match events.iter().find(|e| e.seq == cp.seq) {
                Some(e) if e.hash == cp.head_hash => {
                    report.checkpoints_verified += 1;
                    None
                }
                Some(e) => Some(Tamper {
                    seq: e.seq,
                    kind: TamperKind::Modified,
                    detail: format!(
                        "the chain was rewritten: event {} hashes to {} but the checkpoint signed {} recorded {}",
                        e.seq, e.hash, cp.time, cp.head_hash
                    ),
                }),
                None if events.last().is_none_or(|l| l.seq < cp.seq) => {
                    let last = events.last().map_or(0, |l| l.seq);
                    Some(Tamper {
                        seq: last + 1,
                        kind: TamperKind::Truncated,
                        detail: format!(
                            "the chain ends at {last} but the checkpoint signed {} covers up to {}",
                            cp.time, cp.seq
                        ),
                    })
                }
                // Missing in the middle: the chain walk already reports the deletion.
                None => None,
            }
        };
        if let Some(f) = found
            && problem.as_ref().is_none_or(|p| f.seq < p.seq)
        {
            problem = Some(f);
        }
    }
    if let Some(p) = problem {
        report.ok = false;
        report.first_problem = Some(p);
    }
    report
}

/// Events whose time is earlier than their predecessor's.
fn time_reversals(events: &[Event]) -> Vec<i64> {
    let parse = |e: &Event| chrono::DateTime::parse_from_rfc3339(&e.time).ok();
    events
        .windows(2)
        .filter_map(|w| match (parse(&w[0]), parse(&w[1])) {
            (Some(a), Some(b)) if b < a => Some(w[1].seq),
            _ => None,
        })
        .collect()
}

/// Walk the chain; classify the first anomaly.
fn chain_problem(events: &[Event]) -> Option<Tamper> {
    let mut prev = GENESIS_HASH;
    for (i, e) in events.iter().enumerate() {
        let expected = i as i64 + 1;
        // The fast path: right place, right hash, right link.
        if e.seq == expected
            && e.prev_hash == prev
            && hash_matches(&finish(prefix_state(e), e.seq), &e.hash)
        {
            prev = &e.hash;
            continue;
        }
        return Some(classify(events, i, expected, prev));
    }
    None
}

fn classify(events: &[Event], i: usize, expected: i64, prev: &str) -> Tamper {
    let row = |j: usize| Row {
        e: &events[j],
        orig_seq: orig_seq(&events[j]),
    };
    let r = row(i);
    let t = |seq: i64, kind: TamperKind, detail: String| Tamper { seq, kind, detail };

    // This event was written later than the one that should be here, which comes later:
    // the order was changed.
    if r.orig_seq.is_some_and(|s| s > expected)
        && (i + 1..events.len().min(i + 1 + 2 * REORDER_WINDOW as usize))
            .any(|j| orig_seq(&events[j]) == Some(expected))
    {
        return t(
            expected,
            TamperKind::Reordered,
            format!(
                "the event written as {} is at position {expected}; event {expected} comes later",
                r.orig_seq.unwrap_or_default()
            ),
        );
    }
    // The next event links over this one: this one was added.
    if let Some(next) = events.get(i + 1)
        && r.orig_seq.is_none_or(|s| s == expected)
        && next.prev_hash == prev
        && orig_seq(next) == Some(expected)
    {
        return t(
            r.e.seq,
            TamperKind::Inserted,
            format!(
                "event {} is not part of the chain: event {} links to {}",
                r.e.seq,
                next.seq,
                expected - 1
            ),
        );
    }
    // The previous event was added (and hashed like a real one): this one links over it.
    let links_over_previous = i >= 2 && r.e.prev_hash == events[i - 2].hash;
    match r.orig_seq {
        None => {
            if links_over_previous {
                return t(
                    events[i - 1].seq,
                    TamperKind::Inserted,
                    format!("event {} is not part of the chain", events[i - 1].seq),
                );
            }
            t(
                r.e.seq,
                TamperKind::Modified,
                format!(
                    "event {} does not hash to its recorded hash: its content was changed",
                    r.e.seq
                ),
            )
        }
        Some(s) if s > expected => t(
            expected,
            TamperKind::Deleted,
            format!("events {expected} to {} are missing", s - 1),
        ),
        Some(s) if s < expected => {
            if links_over_previous {
                t(
                    events[i - 1].seq,
                    TamperKind::Inserted,
                    format!("event {} is not part of the chain", events[i - 1].seq),
                )
            } else {
                t(
                    r.e.seq,
                    TamperKind::Reordered,
                    format!("the event written as {s} is at position {expected}"),
                )
            }
        }
        Some(_) => {
            if r.e.prev_hash != prev {
                if links_over_previous {
                    return t(
                        events[i - 1].seq,
                        TamperKind::Inserted,
                        format!("event {} is not part of the chain", events[i - 1].seq),
                    );
                }
                if events[i + 1..].iter().any(|x| x.hash == r.e.prev_hash) {
                    return t(
                        r.e.seq,
                        TamperKind::Reordered,
                        format!(
                            "event {} links to an event that now comes after it",
                            r.e.seq
                        ),
                    );
                }
                return t(
                    expected - 1,
                    TamperKind::Modified,
                    format!(
                        "event {} links to a different predecessor: event {} was changed and re-hashed",
                        r.e.seq,
                        expected - 1
                    ),
                );
            }
            t(
                r.e.seq,
                TamperKind::Modified,
                format!(
                    "event at position {expected} carries sequence number {}",
                    r.e.seq
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Actor, EventDraft, SigningKey};
    use chrono::{Duration, TimeZone, Utc};
    use serde_json::json;

    fn chain(n: i64) -> Vec<Event> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut d = EventDraft::new(
                    Actor::user("7", "mwriter", "Mary Writer"),
                    "document.upload",
                    "document",
                    Some(format!("{seq}")),
                );
                d.new_value = Some(json!({"title": format!("Protocol {seq}"), "n": seq}));
                let e = d.seal(seq, t0 + Duration::seconds(seq), &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn key() -> SigningKey {
        SigningKey::from_seed([7u8; 32])
    }

    fn check(events: &[Event], cps: &[Checkpoint]) -> Option<(i64, TamperKind)> {
        verify_chain("acme", events, cps, &key().verifying_key())
            .first_problem
            .map(|p| (p.seq, p.kind))
    }

    fn renumber(e: &mut Event, seq: i64) {
        e.seq = seq;
    }

    fn reseal(e: &Event, seq: i64, prev: &str) -> Event {
        let mut x = e.clone();
        x.seq = seq;
        x.prev_hash = prev.into();
        x.hash = x.compute_hash();
        x
    }

    #[test]
    fn a_tail_cut_below_the_head_is_caught_without_a_checkpoint() {
        let c = chain(10);
        let mut r = verify_chain("acme", &c[..8], &[], &key().verifying_key());
        assert!(r.ok, "the walk alone cannot see a cut tail");
        r.check_head(&c[..8], 10, &c[9].hash);
        assert!(!r.ok);
        let p = r.first_problem.unwrap();
        assert_eq!((p.seq, p.kind), (9, TamperKind::Truncated));
        // A head that matches, and one no event matches.
        let mut r = verify_chain("acme", &c, &[], &key().verifying_key());
        r.check_head(&c, 10, &c[9].hash);
        assert!(r.ok, "{r:?}");
        r.check_head(&c, 10, &c[8].hash);
        assert_eq!(r.first_problem.unwrap().kind, TamperKind::Modified);
        let mut r = verify_chain("acme", &c, &[], &key().verifying_key());
        r.check_head(&c, 9, &c[8].hash);
        assert_eq!(r.first_problem.unwrap().kind, TamperKind::Inserted);
    }

    #[test]
    fn a_stored_checkpoint_of_another_tenant_is_reported() {
        let c = chain(5);
        let other = Checkpoint::sign(&key(), "beta", 5, &c[4].hash, "2026-11-23T09:00:00+00:00");
        let mut r = verify_chain(
            "acme",
            &c,
            std::slice::from_ref(&other),
            &key().verifying_key(),
        );
        assert!(r.ok, "held checkpoints of other tenants are ignored");
        r.check_foreign_checkpoints("acme", &[other]);
        assert_eq!(r.first_problem.unwrap().kind, TamperKind::ForeignCheckpoint);
    }

    #[test]
    fn event_times_that_go_backwards_are_listed() {
        let mut c = chain(4);
        c[2].time = "2026-11-23T07:00:00.000000+00:00".into();
        let r = verify_chain("acme", &c, &[], &key().verifying_key());
        assert_eq!(r.time_reversals, vec![3]);
        assert!(
            !r.ok,
            "the time was changed after writing: the hash says so"
        );
        assert!(
            verify_chain("acme", &chain(4), &[], &key().verifying_key())
                .time_reversals
                .is_empty()
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(50);
        let cp = Checkpoint::sign(&key(), "acme", 50, &c[49].hash, "2026-11-23T09:00:00+00:00");
        let r = verify_chain("acme", &c, &[cp], &key().verifying_key());
        assert!(r.ok, "{r:?}");
        assert_eq!(r.events, 50);
        assert_eq!(r.head_hash, c[49].hash);
        assert_eq!(r.checkpoints_verified, 1);
        assert!(verify_chain("acme", &[], &[], &key().verifying_key()).ok);
    }

    #[test]
    fn a_changed_payload_is_modified() {
        let mut c = chain(20);
        c[9].new_value = Some(json!({"title": "Protocol 10", "n": 11}));
        assert_eq!(check(&c, &[]), Some((10, TamperKind::Modified)));
        let mut c = chain(20);
        c[4].actor.printed_name = Some("Someone Else".into());
        assert_eq!(check(&c, &[]), Some((5, TamperKind::Modified)));
    }

    #[test]
    fn a_changed_and_rehashed_event_is_modified() {
        let mut c = chain(20);
        c[9].reason = Some("backdated".into());
        c[9].hash = c[9].compute_hash();
        assert_eq!(check(&c, &[]), Some((10, TamperKind::Modified)));
    }

    #[test]
    fn a_deleted_event_is_deleted_with_or_without_renumbering() {
        let mut c = chain(20);
        c.remove(9);
        assert_eq!(check(&c, &[]), Some((10, TamperKind::Deleted)));
        for e in c.iter_mut().skip(9) {
            let s = e.seq - 1;
            renumber(e, s);
        }
        assert_eq!(check(&c, &[]), Some((10, TamperKind::Deleted)));
    }

    #[test]
    fn an_inserted_event_is_inserted_forged_well_or_badly() {
        let c = chain(20);
        // Renumber 10.. up by one and put a forged event at 10, hashed like a real one.
        let mut forged = reseal(&c[0], 10, &c[8].hash);
        forged.reason = Some("forged".into());
        forged.hash = forged.compute_hash();
        let mut d: Vec<Event> = c[..9].to_vec();
        d.push(forged.clone());
        for e in &c[9..] {
            let mut e = e.clone();
            e.seq += 1;
            d.push(e);
        }
        assert_eq!(check(&d, &[]), Some((10, TamperKind::Inserted)));
        // The same with a forged event whose hash is garbage.
        d[9].hash = "ab".repeat(32);
        assert_eq!(check(&d, &[]), Some((10, TamperKind::Inserted)));
    }

    #[test]
    fn swapped_events_are_reordered() {
        let mut c = chain(20);
        c.swap(9, 10);
        // Swapping rows keeps their stored sequence numbers: sort as the database would.
        let (a, b) = (c[9].seq, c[10].seq);
        renumber(&mut c[9], b);
        renumber(&mut c[10], a);
        assert_eq!(check(&c, &[]), Some((10, TamperKind::Reordered)));
    }

    #[test]
    fn a_cut_tail_is_caught_by_a_checkpoint_only() {
        let c = chain(30);
        let cp = Checkpoint::sign(&key(), "acme", 30, &c[29].hash, "2026-11-23T09:00:00+00:00");
        let cut = &c[..25];
        assert_eq!(check(cut, &[]), None);
        assert_eq!(
            check(cut, std::slice::from_ref(&cp)),
            Some((26, TamperKind::Truncated))
        );
    }

    #[test]
    fn a_rewritten_chain_is_caught_by_a_checkpoint_only() {
        let c = chain(30);
        let cp = Checkpoint::sign(&key(), "acme", 20, &c[19].hash, "2026-11-23T09:00:00+00:00");
        let mut prev = GENESIS_HASH.to_string();
        let rewritten: Vec<Event> = c
            .iter()
            .map(|e| {
                let mut x = e.clone();
                x.reason = Some("rewritten".into());
                let x = reseal(&x, e.seq, &prev);
                prev = x.hash.clone();
                x
            })
            .collect();
        assert_eq!(check(&rewritten, &[]), None);
        assert_eq!(check(&rewritten, &[cp]), Some((20, TamperKind::Modified)));
    }

    #[test]
    fn a_forged_checkpoint_is_reported() {
        let c = chain(5);
        let other = SigningKey::from_seed([8u8; 32]);
        let cp = Checkpoint::sign(&other, "acme", 5, &c[4].hash, "2026-11-23T09:00:00+00:00");
        assert_eq!(
            check(&c, &[cp]),
            Some((5, TamperKind::BadCheckpointSignature))
        );
    }
}
