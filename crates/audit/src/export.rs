//! Exports of the trail: JSON Lines (machine-readable, complete), CSV (one row per event,
//! values as canonical JSON) and HTML (human-readable, every field shown).

use crate::canonical::canonical_json;
use crate::checkpoint::Checkpoint;
use crate::event::Event;

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
            let r = crate::verify_chain(tenant, events, checkpoints, key);
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

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_cannot_start_a_formula() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            let f = csv_field(&format!("{lead}HYPERLINK(\"x\")"));
            assert!(f.starts_with("\"'"), "{f:?}");
        }
        assert_eq!(csv_field("plain \"quoted\""), "\"plain \"\"quoted\"\"\"");
    }
}
