//! The outcome of verifying a stored chain ([`ChainReport`]: the first bad sequence number
//! and what happened there, [`Tamper`]), the checks made outside the chain walk (the stored
//! head, stored checkpoints of other tenants, stored signatures), and [`verify_chain`] for
//! a trail held in memory. The walk itself is [`ChainVerifier`]'s, which streams.

use crate::attest::{SignatureClaim, UnattestedSignature, attest_signature};
use crate::checkpoint::Checkpoint;
use crate::event::Event;
use crate::verifier::ChainVerifier;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

/// The outcome of [`verify_chain`] and [`ChainVerifier::finish`].
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
        self.check_head_last(
            events.last().map(|e| (e.seq, e.hash.as_str())),
            head_seq,
            head_hash,
        );
    }

    /// [`ChainReport::check_head`] with only what it needs: the sequence number and hash of
    /// the chain's last event (`None` when the chain is empty), e.g.
    /// [`ChainVerifier::last`].
    pub fn check_head_last(&mut self, last: Option<(i64, &str)>, head_seq: i64, head_hash: &str) {
        let last_hash = last.map(|(_, h)| h);
        let last = last.map_or(0, |(s, _)| s);
        if last < head_seq {
            self.flag(Tamper {
                seq: last + 1,
                kind: TamperKind::Truncated,
                detail: format!(
                    "the chain ends at {last} but its head records {head_seq} events: the tail was cut"
                ),
            });
        } else if last == head_seq && head_seq > 0 && last_hash.is_some_and(|h| h != head_hash) {
            self.flag(Tamper {
                seq: last,
                kind: TamperKind::Modified,
                detail: format!(
                    "the last event {last} hashes to {} but the head records {head_hash}",
                    last_hash.unwrap_or("")
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

    /// Check each stored signature against the event at its `audit_seq` (`event_at` gives
    /// the tenant's event at a sequence number: from a map of the whole trail, or
    /// [`ChainVerifier::event_at`]); any that is not attested makes the report not ok.
    pub fn attest_signatures<'c, 'e>(
        &mut self,
        claims: impl IntoIterator<Item = SignatureClaim<'c>>,
        event_at: impl Fn(i64) -> Option<&'e Event>,
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

/// Verify `events` (as stored, in ascending sequence order) and `checkpoints` (from the
/// database or held elsewhere) against the installation's public key: a
/// [`ChainVerifier`] fed the slice, for trails that fit in memory.
pub fn verify_chain(
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> ChainReport {
    let mut v = ChainVerifier::borrowing(tenant, checkpoints.to_vec(), key);
    for e in events {
        v.push(e);
    }
    v.finish()
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

    /// Every verification in these tests is also made by the streaming verifier fed one
    /// event at a time and by the slice walk as it was before streaming: all three agree.
    fn verify_chain(
        tenant: &str,
        events: &[Event],
        checkpoints: &[Checkpoint],
        key: &VerifyingKey,
    ) -> ChainReport {
        crate::oracle::assert_same(tenant, events, checkpoints, key)
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
