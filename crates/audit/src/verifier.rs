//! Streaming verification of a stored chain: [`ChainVerifier`] takes the events one at a
//! time, in stored order, recomputes every hash and link, checks the signed checkpoints and
//! names the first bad sequence number and what happened there, in memory bounded by the
//! classification window, the checkpoints and the `signature.sign` events, not by the
//! length of the trail. [`crate::verify_chain`] is a thin wrapper over it.
//!
//! The walk keeps the previous hash and the last two events while every event is in place.
//! At the first anomaly it buffers up to `2 * REORDER_WINDOW` following events and
//! classifies on that window; the one verdict that depends on the rest of the trail (does
//! a later event carry the hash this one links to?) is settled as the rest streams by.

use crate::attest::{SIGNATURE_ACTION, SignatureClaim};
use crate::canonical::{finish, prefix_state};
use crate::chain::{ChainReport, GENESIS_HASH, Tamper, TamperKind};
use crate::checkpoint::Checkpoint;
use crate::event::Event;
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::VerifyingKey;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet, VecDeque};

/// How far from its stored position an event's original sequence number is searched for
/// when its hash does not match (a reordering moves events, usually not far).
const REORDER_WINDOW: i64 = 64;

/// Events after the first anomaly that its classification looks at.
const LOOKAHEAD: usize = 2 * REORDER_WINDOW as usize;

/// Events before the first anomaly that its classification looks at.
const LOOKBEHIND: usize = 2;

/// Verifies a tenant's chain fed one event at a time (ascending stored order, as
/// [`crate::verify_chain`] takes them), for trails too long to hold in memory.
///
/// ```
/// # use audit::{ChainVerifier, SigningKey};
/// # let key = SigningKey::from_seed([1; 32]).verifying_key();
/// # let pages: Vec<Vec<audit::Event>> = Vec::new();
/// let mut v = ChainVerifier::new("acme", Vec::new(), &key);
/// for page in pages {
///     for e in page {
///         v.push(e);
///     }
/// }
/// let report = v.finish();
/// assert!(report.ok);
/// ```
///
/// Memory: the checkpoints, the last two events, the `signature.sign` events (and those at
/// sequence numbers given to [`ChainVerifier::keep_events_at`]), and, once the chain is
/// found broken, at most `2 * 64` events while the first problem is classified.
///
/// `E` is how the events are held: owned (the default, for events read page by page) or
/// borrowed from a slice that outlives the verifier (what [`crate::verify_chain`] uses, to
/// verify without copying).
#[derive(Debug)]
pub struct ChainVerifier<E: Borrow<Event> = Event> {
    /// This tenant's checkpoints in the order given (others' are ignored, as held ones of
    /// another tenant are), each with whether its signature verifies.
    checkpoints: Vec<(Checkpoint, bool)>,
    /// The hash of the first event streamed with each checkpoint's sequence number.
    at_checkpoint: HashMap<i64, Option<String>>,
    events: u64,
    /// Sequence number and hash of the last event pushed.
    last: Option<(i64, String)>,
    /// The buffer the next event's hash is copied into.
    spare: String,
    /// The parsed time of the last event pushed (`None` when it does not parse).
    last_time: Option<DateTime<FixedOffset>>,
    time_reversals: Vec<i64>,
    walk: Walk<E>,
    /// Sequence numbers whose events are kept whatever their action.
    watched: HashSet<i64>,
    /// The last event pushed at each kept sequence number.
    kept: HashMap<i64, Event>,
}

/// Where the chain walk is.
#[derive(Debug)]
enum Walk<E> {
    /// Every event so far is in place; the last (at most) two are kept for a classification.
    Intact(VecDeque<E>),
    /// The event at `window[at]` is the first anomaly; the events after it are collected
    /// up to [`LOOKAHEAD`].
    Collecting {
        window: Vec<E>,
        at: usize,
        /// Its position in the chain, from 1.
        expected: i64,
        /// The hash of the event before it ([`GENESIS_HASH`] for the first).
        prev: String,
    },
    /// Classified, unless a later event carries `hash`: then it is `found`.
    Pending(Unless),
    /// The first problem, final.
    Done(Tamper),
}

/// A verdict that the rest of the trail settles.
#[derive(Debug)]
struct Unless {
    hash: String,
    found: Tamper,
    otherwise: Tamper,
}

/// The classification of the first anomaly.
enum Verdict {
    Final(Tamper),
    Unless(Unless),
}

impl ChainVerifier {
    /// Start verifying `tenant`'s chain against `checkpoints` (stored in the database or
    /// held elsewhere; those of other tenants are skipped) and the installation's `key`.
    pub fn new(tenant: &str, checkpoints: Vec<Checkpoint>, key: &VerifyingKey) -> Self {
        Self::start(tenant, checkpoints, key)
    }
}

impl ChainVerifier<&Event> {
    /// [`ChainVerifier::new`] for events borrowed from a slice that outlives the verifier.
    pub(crate) fn borrowing(
        tenant: &str,
        checkpoints: Vec<Checkpoint>,
        key: &VerifyingKey,
    ) -> Self {
        Self::start(tenant, checkpoints, key)
    }
}

impl<E: Borrow<Event>> ChainVerifier<E> {
    fn start(tenant: &str, checkpoints: Vec<Checkpoint>, key: &VerifyingKey) -> Self {
        let checkpoints: Vec<(Checkpoint, bool)> = checkpoints
            .into_iter()
            .filter(|c| c.tenant == tenant)
            .map(|c| {
                let ok = c.verify(key).is_ok();
                (c, ok)
            })
            .collect();
        let at_checkpoint = checkpoints
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(c, _)| (c.seq, None))
            .collect();
        Self {
            checkpoints,
            at_checkpoint,
            events: 0,
            last: None,
            spare: String::new(),
            last_time: None,
            time_reversals: Vec::new(),
            walk: Walk::Intact(VecDeque::with_capacity(LOOKBEHIND + 1)),
            watched: HashSet::new(),
            kept: HashMap::new(),
        }
    }

    /// Also keep the events at these sequence numbers, whatever their action, for
    /// [`ChainVerifier::event_at`] and [`ChainVerifier::finish_with`]. Call it before
    /// pushing, with the `audit_seq` of every stored signature: a claim that points at an
    /// event of another action is then reported with that action, exactly as
    /// [`ChainReport::attest_signatures`] over the whole trail reports it (without it, the
    /// claim is still unattested, as "no audit event ... records it").
    pub fn keep_events_at(&mut self, seqs: impl IntoIterator<Item = i64>) {
        self.watched.extend(seqs);
    }

    /// The next event of the chain, in stored order.
    pub fn push(&mut self, event: E) {
        let e = event.borrow();
        self.events += 1;
        let time = chrono::DateTime::parse_from_rfc3339(&e.time).ok();
        if let (Some(a), Some(b)) = (self.last_time, time)
            && b < a
        {
            self.time_reversals.push(e.seq);
        }
        self.last_time = time;
        if let Some(slot @ None) = self.at_checkpoint.get_mut(&e.seq) {
            *slot = Some(e.hash.clone());
        }
        if e.action == SIGNATURE_ACTION
            || self.watched.contains(&e.seq)
            || self.kept.contains_key(&e.seq)
        {
            // The last event at a sequence number wins, as in a map built from the trail.
            self.kept.insert(e.seq, e.clone());
        }
        // The last hash and the previous one trade buffers: no allocation per event.
        let mut hash = std::mem::take(&mut self.spare);
        hash.clone_from(&e.hash);
        let prev = match self.last.replace((e.seq, hash)) {
            Some((_, prev)) => prev,
            None => GENESIS_HASH.to_string(),
        };
        self.step(event, &prev);
        self.spare = prev;
    }

    /// Advance the chain walk by `e`, whose predecessor hashes to `prev`.
    fn step(&mut self, event: E, prev: &str) {
        let e = event.borrow();
        let walk = std::mem::replace(&mut self.walk, Walk::Intact(VecDeque::new()));
        self.walk = match walk {
            Walk::Intact(mut recent) => {
                let expected = self.events as i64;
                // The fast path: right place, right hash, right link.
                if e.seq == expected
                    && e.prev_hash == prev
                    && hash_matches(&finish(prefix_state(e), e.seq), &e.hash)
                {
                    if recent.len() == LOOKBEHIND {
                        recent.pop_front();
                    }
                    recent.push_back(event);
                    Walk::Intact(recent)
                } else {
                    let mut window: Vec<E> = Vec::with_capacity(LOOKBEHIND + 1 + LOOKAHEAD);
                    window.extend(recent);
                    let at = window.len();
                    window.push(event);
                    Walk::Collecting {
                        window,
                        at,
                        expected,
                        prev: prev.to_owned(),
                    }
                }
            }
            Walk::Collecting {
                mut window,
                at,
                expected,
                prev,
            } => {
                window.push(event);
                if window.len() - at > LOOKAHEAD {
                    settle(classify(&window, at, expected, &prev))
                } else {
                    Walk::Collecting {
                        window,
                        at,
                        expected,
                        prev,
                    }
                }
            }
            Walk::Pending(u) if e.hash == u.hash => Walk::Done(u.found),
            w @ (Walk::Pending(_) | Walk::Done(_)) => w,
        };
    }

    /// How many events were pushed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Sequence number and hash of the last event pushed (what [`ChainReport::check_head_last`]
    /// compares with the stored head).
    pub fn last(&self) -> Option<(i64, &str)> {
        self.last.as_ref().map(|(s, h)| (*s, h.as_str()))
    }

    /// The last event pushed at `seq`, if it was kept: every `signature.sign` event and
    /// every event at a sequence number given to [`ChainVerifier::keep_events_at`].
    pub fn event_at(&self, seq: i64) -> Option<&Event> {
        self.kept.get(&seq)
    }

    /// The report [`crate::verify_chain`] gives for the events pushed.
    pub fn finish(self) -> ChainReport {
        let mut problem = match self.walk {
            Walk::Intact(_) => None,
            Walk::Collecting {
                window,
                at,
                expected,
                prev,
            } => Some(match classify(&window, at, expected, &prev) {
                Verdict::Final(t) => t,
                Verdict::Unless(u) => u.otherwise,
            }),
            Walk::Pending(u) => Some(u.otherwise),
            Walk::Done(t) => Some(t),
        };
        let mut checkpoints_verified = 0;
        let last_seq = self.last.as_ref().map(|(s, _)| *s);
        // Checkpoints: signature, then the chain must still hold the signed head.
        for (cp, signature_ok) in &self.checkpoints {
            let found = if !signature_ok {
                Some(Tamper {
                    seq: cp.seq,
                    kind: TamperKind::BadCheckpointSignature,
                    detail: format!(
                        "the checkpoint at sequence {} made {} does not verify with the installation key",
                        cp.seq, cp.time
                    ),
                })
            } else {
                match self.at_checkpoint.get(&cp.seq).and_then(|h| h.as_deref()) {
                    Some(hash) if hash == cp.head_hash => {
                        checkpoints_verified += 1;
                        None
                    }
                    Some(hash) => Some(Tamper {
                        seq: cp.seq,
                        kind: TamperKind::Modified,
                        detail: format!(
                            "the chain was rewritten: event {} hashes to {} but the checkpoint signed {} recorded {}",
                            cp.seq, hash, cp.time, cp.head_hash
                        ),
                    }),
                    None if last_seq.is_none_or(|l| l < cp.seq) => {
                        let last = last_seq.unwrap_or(0);
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
        ChainReport {
            ok: problem.is_none(),
            events: self.events,
            head_hash: self
                .last
                .map_or_else(|| GENESIS_HASH.to_string(), |(_, h)| h),
            checkpoints_verified,
            first_problem: problem,
            signatures_checked: 0,
            unattested_signatures: Vec::new(),
            time_reversals: self.time_reversals,
        }
    }

    /// [`ChainVerifier::finish`], then the checks that need the trail's end and its
    /// signature events: the last event against the stored `head` (sequence number and hash,
    /// as [`ChainReport::check_head_last`]; `None` when there is no stored head to compare),
    /// and every stored signature's `claims` against the kept events (as
    /// [`ChainReport::attest_signatures`]). Checkpoints of other tenants stored in this
    /// trail are the caller's to report ([`ChainReport::check_foreign_checkpoints`]): the
    /// verifier cannot tell stored from held ones.
    pub fn finish_with<'c>(
        mut self,
        head: Option<(i64, &str)>,
        claims: impl IntoIterator<Item = SignatureClaim<'c>>,
    ) -> ChainReport {
        let kept = std::mem::take(&mut self.kept);
        let last = self.last.clone();
        let mut report = self.finish();
        if let Some((head_seq, head_hash)) = head {
            report.check_head_last(
                last.as_ref().map(|(s, h)| (*s, h.as_str())),
                head_seq,
                head_hash,
            );
        }
        report.attest_signatures(claims, |seq| kept.get(&seq));
        report
    }
}

/// The walk state after a classification.
fn settle<E>(v: Verdict) -> Walk<E> {
    match v {
        Verdict::Final(t) => Walk::Done(t),
        Verdict::Unless(u) => Walk::Pending(u),
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

/// Classify the first anomaly, `events[i]`, at chain position `expected` after an event
/// hashing to `prev`. `events` holds up to [`LOOKBEHIND`] events before it (all there are
/// when fewer) and up to [`LOOKAHEAD`] after it (all there are when fewer).
fn classify<E: Borrow<Event>>(window: &[E], i: usize, expected: i64, prev: &str) -> Verdict {
    let events: Vec<&Event> = window.iter().map(Borrow::borrow).collect();
    let row = |j: usize| Row {
        e: events[j],
        orig_seq: orig_seq(events[j]),
    };
    let r = row(i);
    let t =
        |seq: i64, kind: TamperKind, detail: String| Verdict::Final(Tamper { seq, kind, detail });

    // This event was written later than the one that should be here, which comes later:
    // the order was changed.
    if r.orig_seq.is_some_and(|s| s > expected)
        && (i + 1..events.len().min(i + 1 + LOOKAHEAD))
            .any(|j| orig_seq(events[j]) == Some(expected))
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
                let found = Tamper {
                    seq: r.e.seq,
                    kind: TamperKind::Reordered,
                    detail: format!(
                        "event {} links to an event that now comes after it",
                        r.e.seq
                    ),
                };
                if events[i + 1..].iter().any(|x| x.hash == r.e.prev_hash) {
                    return Verdict::Final(found);
                }
                // The events after the window decide.
                return Verdict::Unless(Unless {
                    hash: r.e.prev_hash.clone(),
                    found,
                    otherwise: Tamper {
                        seq: expected - 1,
                        kind: TamperKind::Modified,
                        detail: format!(
                            "event {} links to a different predecessor: event {} was changed and re-hashed",
                            r.e.seq,
                            expected - 1
                        ),
                    },
                });
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
mod tests;
