//! Canonical encoding of an event, the input of its hash.
//!
//! Every field is encoded, in a fixed order, as a one-byte tag followed by its value:
//! absent (`0x00`), string (`0x01`, u64 big-endian byte length, UTF-8 bytes), integer
//! (`0x02`, i64 big-endian) or JSON (`0x03`, then the canonical JSON text as a string:
//! object keys sorted by their UTF-16-independent byte order, no whitespace, numbers as
//! serde_json prints them). Length prefixes make the encoding injective: no two different
//! events encode to the same bytes. A domain label and version start the encoding, and the
//! sequence number ends it, so that [`event_digest`] can try another sequence number
//! cheaply when classifying a reordering.

use crate::event::Event;
use serde_json::Value;
use sha2::{Digest, Sha256};

const DOMAIN: &[u8] = b"dualcheck.audit.event.v1";

fn put_str(h: &mut Sha256, s: &str) {
    h.update([1u8]);
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        Some(s) => put_str(h, s),
        None => h.update([0u8]),
    }
}

fn put_int(h: &mut Sha256, v: i64) {
    h.update([2u8]);
    h.update(v.to_be_bytes());
}

fn put_json(h: &mut Sha256, v: Option<&Value>) {
    match v {
        Some(v) => {
            h.update([3u8]);
            JSON_BUF.with_borrow_mut(|buf| {
                buf.clear();
                write_json(v, buf);
                h.update([1u8]);
                h.update((buf.len() as u64).to_be_bytes());
                h.update(buf.as_slice());
            });
        }
        None => h.update([0u8]),
    }
}

thread_local! {
    static JSON_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Canonical JSON text: object keys sorted by their bytes, no whitespace, strings with only
/// `"`, `\` and control characters escaped (as `\u00xx`), numbers as serde_json prints
/// them. Independent of the map order serde_json was built with.
pub fn canonical_json(v: &Value, out: &mut String) {
    let mut buf = Vec::new();
    write_json(v, &mut buf);
    out.push_str(&String::from_utf8_lossy(&buf));
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn write_json(v: &Value, out: &mut Vec<u8>) {
    use std::io::Write;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(x, out);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            let sorted = m.keys().zip(m.keys().skip(1)).all(|(a, b)| a <= b);
            let mut first = true;
            let mut entry = |k: &String, x: &Value, out: &mut Vec<u8>| {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(k, out);
                out.push(b':');
                write_json(x, out);
            };
            if sorted {
                for (k, x) in m {
                    entry(k, x, out);
                }
            } else {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                for k in keys {
                    entry(k, &m[k], out);
                }
            }
            out.push(b'}');
        }
    }
}

/// The hasher state after every field but the sequence number.
pub(crate) fn prefix_state(e: &Event) -> Sha256 {
    let mut h = Sha256::new();
    put_str(&mut h, std::str::from_utf8(DOMAIN).unwrap_or_default());
    put_str(&mut h, &e.time);
    put_opt(&mut h, e.actor.user_id.as_deref());
    put_opt(&mut h, e.actor.username.as_deref());
    put_opt(&mut h, e.actor.printed_name.as_deref());
    put_str(&mut h, &e.action);
    put_str(&mut h, &e.entity_type);
    put_opt(&mut h, e.entity_id.as_deref());
    put_json(&mut h, e.old_value.as_ref());
    put_json(&mut h, e.new_value.as_ref());
    put_opt(&mut h, e.reason.as_deref());
    match &e.ai {
        Some(ai) => {
            h.update([4u8]);
            put_str(&mut h, &ai.model);
            put_str(&mut h, &ai.weights_sha256);
            put_str(&mut h, &ai.template_id);
            put_str(&mut h, &ai.template_sha256);
            put_json(&mut h, Some(&ai.decoding));
            put_str(&mut h, &ai.input_sha256);
        }
        None => h.update([0u8]),
    }
    put_opt(&mut h, e.request.request_id.as_deref());
    put_opt(&mut h, e.request.client_ip.as_deref());
    put_opt(&mut h, e.request.user_agent.as_deref());
    put_str(&mut h, &e.prev_hash);
    h
}

/// Finish a prefix state with a sequence number.
pub(crate) fn finish(mut h: Sha256, seq: i64) -> [u8; 32] {
    put_int(&mut h, seq);
    h.finalize().into()
}

/// SHA-256 of the canonical encoding of `e` as if its sequence number were `seq`.
pub fn event_digest(e: &Event, seq: i64) -> [u8; 32] {
    finish(prefix_state(e), seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_canonical_whatever_the_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"é"}}"#).unwrap_or_default();
        let mut s = String::new();
        canonical_json(&a, &mut s);
        assert_eq!(s, r#"{"a":{"x":"é","y":[1,2]},"b":1}"#);
        let mut t = String::new();
        canonical_json(&json!({"a": {"y": [1, 2], "x": "é"}, "b": 1}), &mut t);
        assert_eq!(s, t);
    }

    #[test]
    fn strings_escape_only_quotes_backslashes_and_controls() {
        let mut s = String::new();
        canonical_json(&json!({"k": "a\"b\\c\nd/é"}), &mut s);
        assert_eq!(s, r#"{"k":"a\"b\\c\u000ad/é"}"#);
    }

    #[test]
    fn absent_and_empty_differ() {
        use crate::{Actor, EventDraft};
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
        let a = EventDraft::new(Actor::system(), "x", "y", None).seal(1, t, "0");
        let b = EventDraft::new(Actor::system(), "x", "y", Some(String::new())).seal(1, t, "0");
        assert_ne!(a.hash, b.hash);
    }
}
