//! Exports of the trail: JSON Lines (machine-readable, complete), CSV (one row per event,
//! values as canonical JSON) and HTML (human-readable, every field shown).
//!
//! [`ExportWriter`] writes any of them to an [`std::io::Write`] one event at a time, for
//! trails too long to hold in memory; [`jsonl`], [`csv`], [`html`] and [`render`] are thin
//! wrappers over it for a trail held in a slice.

use crate::canonical::canonical_json;
use crate::chain::ChainReport;
use crate::checkpoint::Checkpoint;
use crate::event::Event;
use std::io::{self, Write};

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

const HTML_COLUMNS: [&str; 11] = [
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The line the HTML report opens with: the outcome of verifying the trail (in a first
/// pass, e.g. with [`crate::ChainVerifier`], when the export streams).
pub fn summary(r: &ChainReport) -> String {
    if r.ok {
        format!(
            "verified: {} events, head {}, {} checkpoints",
            r.events, r.head_hash, r.checkpoints_verified
        )
    } else {
        format!("VERIFICATION FAILED: {:?}", r.first_problem)
    }
}

/// Where an [`ExportWriter`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing written yet: [`ExportWriter::header`] comes next.
    New,
    /// The header is written: events, then [`ExportWriter::finish`].
    Events,
}

/// Writes an export one event at a time, byte for byte what [`jsonl`], [`csv`], [`html`]
/// and [`render`] return for the same trail:
///
/// ```
/// # use audit::export::{ExportWriter, Format};
/// # let (events, checkpoints): (Vec<audit::Event>, Vec<audit::Checkpoint>) = (vec![], vec![]);
/// let mut out = Vec::new();
/// let mut w = ExportWriter::new(Format::Html, "acme", &mut out);
/// w.header("verified: 0 events")?;
/// for e in &events {
///     w.event(e)?;
/// }
/// w.finish(&checkpoints)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`ExportWriter::header`] comes first (the summary shows in HTML only: build it with
/// [`summary`] from a verification pass; JSON Lines and CSV ignore it), then every event
/// in stored order, then [`ExportWriter::finish`] with the checkpoints (listed after the
/// events in JSON Lines and HTML; CSV has none). Out of order, a call fails with
/// [`io::ErrorKind::InvalidInput`] and writes nothing. Each event is one `write_all`: wrap
/// a file or socket in an [`io::BufWriter`].
pub struct ExportWriter<W: Write> {
    format: Format,
    tenant: String,
    out: W,
    stage: Stage,
    /// The current line or row, reused.
    buf: String,
}

impl<W: Write> std::fmt::Debug for ExportWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportWriter")
            .field("format", &self.format)
            .field("tenant", &self.tenant)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

fn out_of_order(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("export writer: {what}"),
    )
}

impl<W: Write> ExportWriter<W> {
    /// A writer of `tenant`'s trail in `format` to `out`; writes nothing yet.
    pub fn new(format: Format, tenant: &str, out: W) -> Self {
        Self {
            format,
            tenant: tenant.to_owned(),
            out,
            stage: Stage::New,
            buf: String::new(),
        }
    }

    /// Open the export: the CSV header row, or the HTML heading with the tenant, `summary`
    /// and the table head (JSON Lines has none). Once, before any event.
    pub fn header(&mut self, summary: &str) -> io::Result<()> {
        if self.stage != Stage::New {
            return Err(out_of_order("header() was already written"));
        }
        let head = match self.format {
            Format::Jsonl => String::new(),
            Format::Csv => {
                let mut out = CSV_HEADER.join(",");
                out.push_str("\r\n");
                out
            }
            Format::Html => {
                let mut out = format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Audit trail: {t}</title>\
                     <style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;padding:2px 4px;vertical-align:top;font-size:12px}}table{{border-collapse:collapse}}code{{word-break:break-all}}</style>\
                     </head><body><h1>Audit trail of tenant {t}</h1><p>{s}</p><table><tr>",
                    t = esc(&self.tenant),
                    s = esc(summary)
                );
                for h in HTML_COLUMNS {
                    out.push_str(&format!("<th>{h}</th>"));
                }
                out.push_str("</tr>");
                out
            }
        };
        self.out.write_all(head.as_bytes())?;
        self.stage = Stage::Events;
        Ok(())
    }

    /// The next event, in stored order.
    pub fn event(&mut self, e: &Event) -> io::Result<()> {
        if self.stage != Stage::Events {
            return Err(out_of_order("event() before header()"));
        }
        self.buf.clear();
        match self.format {
            Format::Jsonl => jsonl_line(&mut self.buf, e, "event"),
            Format::Csv => csv_row(&mut self.buf, e),
            Format::Html => html_row(&mut self.buf, e),
        }
        self.out.write_all(self.buf.as_bytes())
    }

    /// Close the export with the `checkpoints` (JSON Lines: a line each; HTML: their table;
    /// CSV: nothing), flush, and give the output back.
    pub fn finish(mut self, checkpoints: &[Checkpoint]) -> io::Result<W> {
        if self.stage != Stage::Events {
            return Err(out_of_order("finish() before header()"));
        }
        match self.format {
            Format::Jsonl => {
                for c in checkpoints {
                    self.buf.clear();
                    jsonl_line(&mut self.buf, c, "checkpoint");
                    self.out.write_all(self.buf.as_bytes())?;
                }
            }
            Format::Csv => {}
            Format::Html => {
                self.buf.clear();
                self.buf.push_str("</table><h2>Signed checkpoints</h2><table><tr><th>seq</th><th>time</th><th>head hash</th><th>public key</th><th>signature</th></tr>");
                for c in checkpoints {
                    self.buf.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                        c.seq,
                        esc(&c.time),
                        esc(&c.head_hash),
                        esc(&c.public_key),
                        esc(&c.signature)
                    ));
                }
                self.buf.push_str("</table></body></html>\n");
                self.out.write_all(self.buf.as_bytes())?;
            }
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One JSON Lines line: the record's fields and `"type"`.
fn jsonl_line(out: &mut String, record: &impl serde::Serialize, kind: &str) {
    let mut v = serde_json::to_value(record).unwrap_or_default();
    v["type"] = kind.into();
    out.push_str(&v.to_string());
    out.push('\n');
}

fn csv_row(out: &mut String, e: &Event) {
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

fn html_row(out: &mut String, e: &Event) {
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

/// The whole export of a trail held in memory, through an [`ExportWriter`] over a buffer.
fn write_all(
    format: Format,
    tenant: &str,
    summary: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
) -> String {
    let mut out = Vec::new();
    let written = (|| {
        let mut w = ExportWriter::new(format, tenant, &mut out);
        w.header(summary)?;
        for e in events {
            w.event(e)?;
        }
        w.finish(checkpoints).map(|_| ())
    })();
    // Writing to a Vec does not fail, and every piece written is a str.
    debug_assert!(written.is_ok());
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One JSON object per line: every event, then every checkpoint (`"type"` tells which).
pub fn jsonl(events: &[Event], checkpoints: &[Checkpoint]) -> String {
    write_all(Format::Jsonl, "", "", events, checkpoints)
}

/// CSV (RFC 4180) with a header row.
pub fn csv(events: &[Event]) -> String {
    write_all(Format::Csv, "", "", events, &[])
}

/// A self-contained HTML report: a heading with tenant and verification summary, a table
/// of every event (signature events show signer, time and meaning in their new value), and
/// the checkpoints.
pub fn html(tenant: &str, summary: &str, events: &[Event], checkpoints: &[Checkpoint]) -> String {
    write_all(Format::Html, tenant, summary, events, checkpoints)
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Html,
}

impl Format {
    /// `jsonl`, `csv` or `html`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jsonl" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// The complete trail of `tenant` in `format`. The HTML report opens with the outcome of
/// verifying the events and checkpoints against the installation's `key` ([`summary`]).
pub fn render(
    format: Format,
    tenant: &str,
    events: &[Event],
    checkpoints: &[Checkpoint],
    key: &ed25519_dalek::VerifyingKey,
) -> String {
    let summary = match format {
        Format::Jsonl | Format::Csv => String::new(),
        Format::Html => summary(&crate::verify_chain(tenant, events, checkpoints, key)),
    };
    write_all(format, tenant, &summary, events, checkpoints)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Actor, AiProvenance, EventDraft, GENESIS_HASH, SigningKey, oracle};
    use chrono::{Duration, TimeZone, Utc};
    use serde_json::json;

    /// Events with everything an export escapes: formula leads, quotes, markup, newlines,
    /// non-ASCII, absent fields, AI provenance, the system actor.
    fn trail(n: i64) -> Vec<Event> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let nasty = [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2",
            "@SUM",
            "\tTab",
            "\rCR",
            "<b>&'\"</b>",
            "line\nbreak",
            "Müller, \"Hans\"",
            "",
        ];
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let s = nasty[seq as usize % nasty.len()];
                let actor = if seq % 5 == 0 {
                    Actor::system()
                } else {
                    Actor::user(format!("{seq}"), s, format!("Name {s}"))
                };
                let mut d = EventDraft::new(
                    actor,
                    "document.upload",
                    s,
                    (seq % 3 != 0).then(|| s.to_string()),
                );
                d.old_value = (seq % 2 == 0).then(|| json!({"z": s, "a": [1, 2.5, null]}));
                d.new_value = Some(json!({"title": s, "n": seq}));
                d.reason = (seq % 4 == 0).then(|| s.to_string());
                if seq % 3 == 0 {
                    d.ai = Some(AiProvenance {
                        model: s.into(),
                        weights_sha256: "w".into(),
                        template_id: "t".into(),
                        template_sha256: "ts".into(),
                        decoding: json!({"greedy": true, "stop": [s]}),
                        input_sha256: "i".into(),
                    });
                }
                d.request.request_id = Some(format!("req-{seq}"));
                d.request.client_ip = (seq % 2 == 1).then(|| "10.0.0.7".into());
                d.request.user_agent = Some(s.into());
                let e = d.seal(seq, t0 + Duration::seconds(seq), &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn stream(
        format: Format,
        tenant: &str,
        summary: &str,
        events: &[Event],
        cps: &[Checkpoint],
    ) -> Vec<u8> {
        let mut w = ExportWriter::new(format, tenant, Vec::new());
        w.header(summary).unwrap();
        for e in events {
            w.event(e).unwrap();
        }
        w.finish(cps).unwrap()
    }

    #[test]
    fn the_writers_fed_event_by_event_write_the_old_exports_byte_for_byte() {
        let key = SigningKey::from_seed([7u8; 32]);
        let vk = key.verifying_key();
        let good = trail(40);
        let mut bad = good.clone();
        bad[17].reason = Some("changed".into());
        for events in [good.clone(), bad, Vec::new()] {
            let cps = match events.last() {
                Some(l) => vec![
                    Checkpoint::sign(&key, "acme", l.seq, &l.hash, "2026-11-23T09:00:00+00:00"),
                    Checkpoint::sign(&key, "<b>", 1, "x", "t"),
                ],
                None => Vec::new(),
            };
            for tenant in ["acme", "<a&b>"] {
                let summary = summary(&crate::verify_chain(tenant, &events, &cps, &vk));
                assert_eq!(
                    stream(Format::Jsonl, tenant, &summary, &events, &cps),
                    oracle::jsonl(&events, &cps).into_bytes()
                );
                assert_eq!(
                    stream(Format::Csv, tenant, &summary, &events, &cps),
                    oracle::csv(&events).into_bytes()
                );
                assert_eq!(
                    stream(Format::Html, tenant, &summary, &events, &cps),
                    oracle::html(tenant, &summary, &events, &cps).into_bytes()
                );
                assert_eq!(jsonl(&events, &cps), oracle::jsonl(&events, &cps));
                assert_eq!(csv(&events), oracle::csv(&events));
                assert_eq!(
                    html(tenant, &summary, &events, &cps),
                    oracle::html(tenant, &summary, &events, &cps)
                );
                for f in [Format::Jsonl, Format::Csv, Format::Html] {
                    assert_eq!(
                        render(f, tenant, &events, &cps, &vk),
                        oracle::render(f, tenant, &events, &cps, &vk),
                        "{f:?}"
                    );
                }
            }
        }
        assert!(render(Format::Html, "acme", &good, &[], &vk).contains("<p>verified: 40 events"));
    }

    #[test]
    fn the_writer_refuses_calls_out_of_order() {
        let e = &trail(1)[0];
        let mut w = ExportWriter::new(Format::Csv, "acme", Vec::new());
        assert_eq!(w.event(e).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        w.header("").unwrap();
        assert_eq!(
            w.header("").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        w.event(e).unwrap();
        let out = w.finish(&[]).unwrap();
        assert_eq!(out, oracle::csv(std::slice::from_ref(e)).into_bytes());
        let w = ExportWriter::new(Format::Html, "acme", Vec::new());
        assert_eq!(
            w.finish(&[]).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn csv_fields_cannot_start_a_formula() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            let f = csv_field(&format!("{lead}HYPERLINK(\"x\")"));
            assert!(f.starts_with("\"'"), "{f:?}");
        }
        assert_eq!(csv_field("plain \"quoted\""), "\"plain \"\"quoted\"\"\"");
    }
}
