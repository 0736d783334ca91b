//! The slice-based verification and export as they were before the streaming rewrite
//! ([`crate::ChainVerifier`], [`crate::export::ExportWriter`]), kept verbatim as the oracle
//! the tests compare the streaming code with: not one report and not one byte may differ.
#![allow(dead_code)]

use crate::canonical::{canonical_json, finish, prefix_state};
use crate::checkpoint::Checkpoint;
use crate::event::Event;
use crate::export::Format;
use crate::{ChainReport, GENESIS_HASH, Tamper, TamperKind};
use ed25519_dalek::VerifyingKey;

const REORDER_WINDOW: i64 = 64;

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

/// One JSON object per line: every event, then every checkpoint (`"type"` tells which).
pub fn jsonl(events: &[Event], checkpoints: &[Checkpoint]) -> String {
    let mut out = String::new();
    for e in events {
        let mut v = serde_json::to_value(e).unwrap_or_default();
        v["type"] = "event".into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    for c in checkpoints {
        let mut v = serde_json::to_value(c).unwrap_or_default();
        v["type"] = "checkpoint".into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

const CSV_HEADER: [&str; 17] = [
    "seq",
    "time",
    "actor_user_id",
    "actor_username",
    "actor_printed_name",
    "action",
    "entity_type",
    "entity_id",
    "old_value",
    "new_value",
    "reason",
    "ai",
    "request_id",
    "client_ip",
    "user_agent",
    "prev_hash",
    "hash",
];

fn csv_field(s: &str) -> String {
    // Quote always; double inner quotes. A leading =, +, -, @, tab or carriage return is
    // prefixed with a quote so a spreadsheet does not run it as a formula (OWASP CSV
    // injection).
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn json_text(v: Option<&serde_json::Value>) -> String {
    v.map(|v| {
        let mut s = String::new();
        canonical_json(v, &mut s);
        s
    })
    .unwrap_or_default()
}

/// CSV (RFC 4180) with a header row.
pub fn csv(events: &[Event]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for e in events {
        let ai =
            e.ai.as_ref()
                .map(|a| serde_json::to_value(a).unwrap_or_default());
        let fields = [
            e.seq.to_string(),
            e.time.clone(),
            e.actor.user_id.clone().unwrap_or_default(),
            e.actor.username.clone().unwrap_or_default(),
            e.actor.printed_name.clone().unwrap_or_default(),
            e.action.clone(),
            e.entity_type.clone(),
            e.entity_id.clone().unwrap_or_default(),
            json_text(e.old_value.as_ref()),
            json_text(e.new_value.as_ref()),
            e.reason.clone().unwrap_or_default(),
            json_text(ai.as_ref()),
            e.request.request_id.clone().unwrap_or_default(),
            e.request.client_ip.clone().unwrap_or_default(),
            e.request.user_agent.clone().unwrap_or_default(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A self-contained HTML report: a heading with tenant and verification summary, a table
/// of every event (signature events show signer, time and meaning in their new value), and
/// the checkpoints.
pub fn html(tenant: &str, summary: &str, events: &[Event], checkpoints: &[Checkpoint]) -> String {
    let mut out = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Audit trail: {t}</title>\
         <style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;padding:2px 4px;vertical-align:top;font-size:12px}}table{{border-collapse:collapse}}code{{word-break:break-all}}</style>\
         </head><body><h1>Audit trail of tenant {t}</h1><p>{s}</p><table><tr>",
        t = esc(tenant),
        s = esc(summary)
    );
    for h in [
        "seq",
        "time",
        "actor",
        "action",
        "entity",
        "old value",
        "new value",
        "reason",
        "AI provenance",
        "request",
        "hash",
    ] {
        out.push_str(&format!("<th>{h}</th>"));
    }
    out.push_str("</tr>");
    for e in events {
        let actor = format!(
            "{} ({}, id {})",
            e.actor.printed_name.as_deref().unwrap_or(""),
            e.actor.username.as_deref().unwrap_or("system"),
            e.actor.user_id.as_deref().unwrap_or("-")
        );
        let ai =
            e.ai.as_ref()
                .map(|a| serde_json::to_value(a).unwrap_or_default());
        let req = format!(
            "{} {} {}",
            e.request.request_id.as_deref().unwrap_or(""),
            e.request.client_ip.as_deref().unwrap_or(""),
            e.request.user_agent.as_deref().unwrap_or("")
        );
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
            e.seq,
            esc(&e.time),
            esc(&actor),
            esc(&e.action),
            esc(&e.entity_type),
            esc(e.entity_id.as_deref().unwrap_or("")),
            esc(&json_text(e.old_value.as_ref())),
            esc(&json_text(e.new_value.as_ref())),
            esc(e.reason.as_deref().unwrap_or("")),
            esc(&json_text(ai.as_ref())),
            esc(&req),
            esc(&e.hash),
        ));
    }
    out.push_str("</table><h2>Signed checkpoints</h2><table><tr><th>seq</th><th>time</th><th>head hash</th><th>public key</th><th>signature</th></tr>");
    for c in checkpoints {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            c.seq,
            esc(&c.time),
            esc(&c.head_hash),
            esc(&c.public_key),
            esc(&c.signature)
        ));
    }
    out.push_str("</table></body></html>\n");
    out
}

/// The complete trail of `tenant` in `format`. The HTML report opens with the outcome of
/// verifying the events and checkpoints against the installation's `key`.
pub fn render(
    format: Format,
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &ed25519_dalek::VerifyingKey,
) -> String {
    match format {
        Format::Jsonl => jsonl(events, checkpoints),
        Format::Csv => csv(events),
        Format::Html => {
            let r = verify_chain(tenant, events, checkpoints, key);
            let summary = if r.ok {
                format!(
                    "verified: {} events, head {}, {} checkpoints",
                    r.events, r.head_hash, r.checkpoints_verified
                )
            } else {
                format!("VERIFICATION FAILED: {:?}", r.first_problem)
            };
            html(tenant, &summary, events, checkpoints)
        }
    }
}

/// The store's verification before streaming: the slice walk, the stored head, and every
/// claim against a map of the whole trail (the last event at a sequence number wins).
pub fn verify_all<'c>(
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
    head: (i64, &str),
    claims: impl IntoIterator<Item = crate::SignatureClaim<'c>>,
) -> ChainReport {
    let mut report = verify_chain(tenant, events, checkpoints, key);
    report.check_head(events, head.0, head.1);
    let by_seq: std::collections::HashMap<i64, &Event> =
        events.iter().map(|e| (e.seq, e)).collect();
    report.attest_signatures(claims, |seq| by_seq.get(&seq).copied());
    report
}

/// [`crate::ChainVerifier`] fed owned events one at a time.
pub fn stream(
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> ChainReport {
    let mut v = crate::ChainVerifier::new(tenant, checkpoints.to_vec(), key);
    for e in events {
        v.push(e.clone());
    }
    v.finish()
}

/// The report of the streaming verifier (fed one owned event at a time) and of
/// [`crate::verify_chain`] (the wrapper), both asserted equal to the oracle's.
pub fn assert_same(
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> ChainReport {
    let old = verify_chain(tenant, events, checkpoints, key);
    let streamed = stream(tenant, events, checkpoints, key);
    assert_eq!(
        streamed, old,
        "the streaming verifier differs from the slice walk"
    );
    let wrapped = crate::verify_chain(tenant, events, checkpoints, key);
    assert_eq!(wrapped, old, "verify_chain differs from the slice walk");
    old
}
