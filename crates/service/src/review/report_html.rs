//! The review report ([`Report`]) as one self-contained HTML5 page, the copy a QA lead files
//! or prints: no external asset, no script, the style inline with an A4 print style (a page
//! per section, table headers repeated on every page, long words, hashes and identifiers
//! wrapped rather than clipped). Every text taken from the report is escaped ([`esc`]);
//! only this file's literal markup is written as is.
//!
//! Sections: the document's identity (title, id, file, SHA-256, version, review state),
//! rule-pack and model hashes, a summary (findings by level and status, suggestions by
//! verdict and status), the state history, the version's signatures, the findings (with
//! the suppression's reason and signature), the suggestions (original and proposal, the
//! word-level diff as `<del>`/`<ins>`, verdict and reasons, provenance, each decision with
//! its reviewer, reason code, reason and signature manifestation), the tracked-change
//! notes, the audit excerpt and the chain verification result.

use super::html::esc;
use super::read::word_diff;
use super::report::{Report, ReportSignature, ReportSuggestion};
use chrono::{DateTime, SecondsFormat, Utc};
use rule_engine::{Level, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write;
use store::SuggestionStatus;

/// The page's style: screen and print (A4).
const STYLE: &str = "\
:root{color-scheme:light}\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Liberation Sans',Arial,sans-serif;\
font-size:10.5pt;line-height:1.4;color:#111;margin:0 auto;max-width:60rem;padding:1rem}\
h1{font-size:18pt;margin:0 0 .4rem}h2{font-size:14pt;border-bottom:2px solid #333;margin-top:1.6rem}\
h3{font-size:11.5pt;margin:1rem 0 .3rem}h4{font-size:10.5pt;margin:.6rem 0 .2rem}\
table{border-collapse:collapse;width:100%;margin:.3rem 0}\
th,td{border:1px solid #999;padding:.15rem .35rem;vertical-align:top;text-align:left}\
th{background:#eee}td.n{text-align:right}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}\
dl.meta dt{font-weight:600}dl.meta dd{margin:0}\
code,.hash{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:9pt}\
body,td,dd,li,p,code{overflow-wrap:anywhere;word-break:break-word;hyphens:auto}\
del{background:#fdd;color:#700;text-decoration:line-through}\
ins{background:#dfd;color:#060;text-decoration:underline}\
.verdict{font-weight:700;padding:0 .3rem;border:1px solid currentColor}\
.v-pass{color:#060}.v-warn{color:#850}.v-block{color:#a00}\
.ok{color:#060;font-weight:700}.bad{color:#a00;font-weight:700}\
article.suggestion{border:1px solid #bbb;padding:.3rem .6rem;margin:.6rem 0}\
.muted{color:#555}\
@page{size:A4;margin:16mm 14mm 18mm}\
@media print{body{max-width:none;padding:0;font-size:9.5pt}\
section{break-before:page}section.identity{break-before:auto}\
h2,h3,h4{break-after:avoid}thead{display:table-header-group}\
tr,dl.meta,article.suggestion{break-inside:avoid}\
del,ins{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// The page of `r`.
pub(super) fn render(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024 + r.suggestions.len() * 2048);
    let d = &r.document;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Review report: {} v{}</title><style>{STYLE}</style></head><body><main>\n",
        esc(&d.title),
        d.version
    );
    identity(&mut out, r);
    summary(&mut out, r);
    signatures(&mut out, r);
    findings(&mut out, r);
    out.push_str("<section class=\"suggestions\"><h2>Suggestions</h2>\n");
    if r.suggestions.is_empty() {
        out.push_str("<p>None: the analysis made no suggestion.</p>\n");
    }
    for (i, s) in r.suggestions.iter().enumerate() {
        suggestion(&mut out, i + 1, s);
    }
    out.push_str("</section>\n");
    tracked_changes(&mut out, r);
    audit_excerpt(&mut out, r);
    chain(&mut out, r);
    out.push_str("</main></body></html>\n");
    out
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// One `<dt>`/`<dd>` pair; `code` writes the value as an identifier or hash.
fn item(out: &mut String, label: &str, value: &str, code: bool) {
    let (open, close) = if code {
        ("<code>", "</code>")
    } else {
        ("", "")
    };
    let _ = write!(out, "<dt>{label}</dt><dd>{open}{}{close}</dd>", esc(value));
}

fn head(out: &mut String, columns: &[&str]) {
    out.push_str("<table><thead><tr>");
    for c in columns {
        let _ = write!(out, "<th>{c}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
}

fn identity(out: &mut String, r: &Report) {
    let d = &r.document;
    let _ = write!(
        out,
        "<section class=\"identity\"><h1>Review report</h1><p class=\"muted\">{}</p><dl class=\"meta\">",
        esc(&d.title)
    );
    item(out, "Title", &d.title, false);
    item(out, "Document id", &d.id.to_string(), true);
    item(
        out,
        "File",
        &format!("{} ({})", d.filename, d.format),
        false,
    );
    item(out, "SHA-256", &d.sha256, true);
    item(out, "Version", &d.version.to_string(), false);
    let state = format!(
        "{}{}",
        r.review.state,
        if r.review.locked { " (locked)" } else { "" }
    );
    item(out, "Review state", &state, false);
    if let Some(a) = &r.analysis {
        let when = a.finished_at.as_ref().map(time).unwrap_or_default();
        item(
            out,
            "Analysis",
            &format!("{} ({}, {when})", a.id, a.state),
            true,
        );
    }
    item(
        out,
        "Rule packs",
        r.rules_version.as_deref().unwrap_or("-"),
        false,
    );
    item(
        out,
        "Rule-pack hash",
        r.rules_hash.as_deref().unwrap_or("-"),
        true,
    );
    item(out, "Exported at", &time(&r.exported_at), false);
    item(out, "Exported by", &r.exported_by, false);
    out.push_str("</dl>\n<h3>Models</h3>\n");
    if r.models.is_empty() {
        out.push_str("<p>None: no stored suggestion came from or was ranked by a model.</p>\n");
    } else {
        head(
            out,
            &["Model", "Weights SHA-256", "Template", "Template SHA-256"],
        );
        for m in &r.models {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&m.name),
                esc(&m.sha256),
                esc(&m.template_id),
                esc(&m.template_sha256)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("<h3>Review state history</h3>\n");
    head(out, &["From", "To", "At", "By", "Reason"]);
    for h in &r.review.history {
        let by = h.by.map(|u| u.to_string()).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&h.from),
            esc(&h.to),
            esc(&time(&h.at)),
            esc(&by),
            esc(h.reason.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// A table of the counts of `(row, column)` pairs: the rows and columns given (every
/// name the value can take), then any other value found.
fn tally<'a>(
    out: &mut String,
    caption: &str,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    rows: &[&'a str],
    columns: &[&'a str],
) {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut rows, mut columns) = (rows.to_vec(), columns.to_vec());
    for (r, c) in pairs {
        *counts.entry((r, c)).or_default() += 1;
        if !rows.contains(&r) {
            rows.push(r);
        }
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    let _ = write!(out, "<h3>{caption}</h3><table><thead><tr><th></th>");
    for c in &columns {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("<th>total</th></tr></thead><tbody>\n");
    for r in &rows {
        let _ = write!(out, "<tr><th>{}</th>", esc(r));
        let mut total = 0;
        for c in &columns {
            let n = counts.get(&(*r, *c)).copied().unwrap_or(0);
            total += n;
            let _ = write!(out, "<td class=\"n\">{n}</td>");
        }
        let _ = writeln!(out, "<td class=\"n\">{total}</td></tr>");
    }
    let all: usize = counts.values().sum();
    let _ = writeln!(
        out,
        "<tr><th>total</th><td class=\"n\" colspan=\"{}\">{all}</td></tr></tbody></table>",
        columns.len() + 1
    );
}

fn summary(out: &mut String, r: &Report) {
    out.push_str("<section class=\"summary\"><h2>Summary</h2>\n");
    tally(
        out,
        "Suggestions by verdict and status",
        r.suggestions
            .iter()
            .map(|s| (s.suggestion.verdict.as_str(), s.suggestion.status.as_str())),
        &Verdict::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        &SuggestionStatus::ALL.map(SuggestionStatus::as_str),
    );
    tally(
        out,
        "Findings by level and status",
        r.findings
            .iter()
            .map(|f| (f.finding.level.as_str(), f.finding.status.as_str())),
        &Level::ALL
            .iter()
            .rev()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
        &["open", "suppressed"],
    );
    out.push_str("</section>\n");
}

fn signature_cells(out: &mut String, s: Option<&ReportSignature>) {
    match s {
        Some(s) => {
            let _ = write!(
                out,
                "<td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&s.printed_name),
                esc(&s.username),
                esc(&s.signed_at),
                esc(&s.meaning),
                esc(&s.manifestation)
            );
        }
        None => out.push_str("<td colspan=\"4\" class=\"bad\">no signature found</td>"),
    }
}

fn signatures(out: &mut String, r: &Report) {
    out.push_str("<section class=\"signatures\"><h2>Signatures of the version</h2>\n");
    if r.version_signatures.is_empty() {
        out.push_str("<p>None.</p></section>\n");
        return;
    }
    head(
        out,
        &[
            "Printed name",
            "Signed at",
            "Meaning",
            "Manifestation",
            "Id",
        ],
    );
    for s in &r.version_signatures {
        out.push_str("<tr>");
        signature_cells(out, Some(s));
        let _ = writeln!(out, "<td><code>{}</code></td></tr>", esc(&s.id));
    }
    out.push_str("</tbody></table></section>\n");
}

fn findings(out: &mut String, r: &Report) {
    out.push_str("<section class=\"findings\"><h2>Findings</h2>\n");
    if r.findings.is_empty() {
        out.push_str("<p>None.</p></section>\n");
        return;
    }
    head(
        out,
        &[
            "Rule",
            "Level",
            "Section",
            "Message",
            "Status",
            "Suppression",
        ],
    );
    for f in &r.findings {
        let v = &f.finding;
        let suppression = match (&v.suppression, &f.suppression_signature) {
            (Some(s), Some(g)) => format!("{} (signed: {})", s.reason, g.manifestation),
            (Some(s), None) => format!("{} (no signature found)", s.reason),
            (None, _) => String::new(),
        };
        let message = match &v.replacement {
            Some(to) => format!("{} (replacement: {to})", v.message),
            None => v.message.clone(),
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.rule_id),
            esc(&v.level),
            esc(v.section.as_deref().unwrap_or("")),
            esc(&message),
            esc(&v.status),
            esc(&suppression)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// The word-level diff of a suggestion: removed words in `<del>`, added ones in `<ins>`.
fn diff(out: &mut String, original: &str, proposal: &str) {
    for part in word_diff(original, proposal) {
        let (open, close) = match part.op {
            "delete" => ("<del>", "</del>"),
            "insert" => ("<ins>", "</ins>"),
            _ => ("", ""),
        };
        let _ = write!(out, "{open}{}{close}", esc(&part.text));
    }
}

fn provenance(s: &ReportSuggestion) -> String {
    let Some(p) = &s.provenance else {
        return match s.suggestion.source.as_str() {
            "edit" => "the reviewer's own text".into(),
            _ => "-".into(),
        };
    };
    let text = |k: &str| p[k].as_str().unwrap_or("-").to_owned();
    if s.suggestion.source == "rule" && p["ranking_model"].is_null() {
        return "made by the rules (the only rewrite: no model chose it)".into();
    }
    match p["ranking_model"].as_str() {
        Some(m) => format!(
            "made by the rules, ranked by {m} (weights {}, template {} {}, score {})",
            text("model_sha256"),
            text("template_id"),
            text("template_sha256"),
            p["score"]
        ),
        None => format!(
            "written by {} (weights {}, template {} {})",
            text("model"),
            text("model_sha256"),
            text("template_id"),
            text("template_sha256")
        ),
    }
}

fn suggestion(out: &mut String, n: usize, s: &ReportSuggestion) {
    let v = &s.suggestion;
    let _ = write!(
        out,
        "<article class=\"suggestion\" id=\"s-{}\"><h3>Suggestion {n}: \
         <span class=\"verdict v-{}\">{}</span> {}</h3><dl class=\"meta\">",
        v.id,
        esc(&v.verdict),
        esc(&v.verdict),
        esc(&v.status)
    );
    item(out, "Id", &v.id.to_string(), true);
    item(out, "Source", &v.source, false);
    if let Some(p) = v.parent_id {
        item(out, "Edit of", &p.to_string(), true);
    }
    item(out, "Section", v.section.as_deref().unwrap_or("-"), false);
    item(out, "Anchor", &v.anchor, true);
    item(out, "Provenance", &provenance(s), false);
    out.push_str("</dl><table><tbody><tr><th>Original</th><td class=\"original\">");
    let _ = write!(out, "{}", esc(&v.original));
    out.push_str("</td></tr><tr><th>Proposal</th><td class=\"proposal\">");
    let _ = write!(out, "{}", esc(&v.proposal));
    out.push_str("</td></tr><tr><th>Changes</th><td class=\"diff\">");
    diff(out, &v.original, &v.proposal);
    out.push_str("</td></tr></tbody></table>\n<h4>Cross-check</h4>");
    let reasons = v.reasons.as_array().map(Vec::as_slice).unwrap_or_default();
    if reasons.is_empty() {
        out.push_str("<p>No reason given: every difference is of a class the rules allow.</p>");
    } else {
        out.push_str("<ul>");
        for r in reasons {
            let t = |k: &str| r[k].as_str().unwrap_or_default();
            let _ = write!(
                out,
                "<li><b>{}</b> {} (<code>{}</code>): {}</li>",
                esc(t("level")),
                esc(t("kind")),
                esc(t("rule_id")),
                esc(t("message"))
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("\n<h4>Decisions</h4>");
    if s.decisions.is_empty() {
        let why = if v.status == "blocked" {
            "None: a blocked proposal cannot be accepted and needs no decision."
        } else {
            "None."
        };
        let _ = writeln!(out, "<p>{why}</p></article>");
        return;
    }
    head(
        out,
        &[
            "Decision",
            "Reviewer",
            "Reason code",
            "Reason",
            "Decided at",
            "Signed by",
            "Signed at",
            "Meaning",
            "Manifestation",
        ],
    );
    for d in &s.decisions {
        let dv = &d.decision;
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&dv.decision),
            esc(d.reviewer.as_deref().unwrap_or("-")),
            esc(dv.reason_code.as_deref().unwrap_or("-")),
            esc(dv.reason.as_deref().unwrap_or("")),
            esc(&time(&dv.at))
        );
        signature_cells(out, d.signature.as_ref());
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></article>\n");
}

fn tracked_changes(out: &mut String, r: &Report) {
    out.push_str("<section class=\"tracked\"><h2>Tracked-change notes</h2>\n");
    if r.tracked_changes_skipped.is_empty() {
        out.push_str(
            "<p>Every accepted suggestion is written as a tracked change in the DOCX export.</p></section>\n",
        );
        return;
    }
    out.push_str("<p>Accepted suggestions the DOCX export does not carry:</p>");
    head(out, &["Suggestion", "Reason", "Detail"]);
    for s in &r.tracked_changes_skipped {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&s.suggestion_id),
            esc(&s.reason),
            esc(&s.message)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn audit_excerpt(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "<section class=\"audit\"><h2>Audit excerpt</h2><p>This document's {} event(s) in the \
         tenant's trail, oldest first.</p>",
        r.audit_excerpt.len()
    );
    head(
        out,
        &[
            "Seq",
            "Time",
            "Actor",
            "Action",
            "Record",
            "Reason",
            "Event hash",
        ],
    );
    for e in &r.audit_excerpt {
        let actor = match (&e.actor.printed_name, &e.actor.username) {
            (Some(n), Some(u)) => format!("{n} ({u})"),
            (Some(n), None) => n.clone(),
            (None, Some(u)) => u.clone(),
            (None, None) => "system".into(),
        };
        let record = format!("{} {}", e.entity_type, e.entity_id.as_deref().unwrap_or(""));
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
             <td>{}</td><td><code>{}</code></td></tr>",
            e.seq,
            esc(&e.time),
            esc(&actor),
            esc(&e.action),
            esc(&record),
            esc(e.reason.as_deref().unwrap_or("")),
            esc(&e.hash)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn chain(out: &mut String, r: &Report) {
    let c = &r.chain;
    let (class, verdict) = if c.ok { ("ok", "yes") } else { ("bad", "NO") };
    let _ = write!(
        out,
        "<section class=\"chain\"><h2>Chain verification</h2>\
         <p class=\"{class}\">Audit chain verified: {verdict}</p><dl class=\"meta\">"
    );
    item(out, "Verified", verdict, false);
    item(out, "Events", &c.events.to_string(), false);
    item(out, "Head hash", &c.head_hash, true);
    item(
        out,
        "Checkpoints verified",
        &c.checkpoints_verified.to_string(),
        false,
    );
    item(
        out,
        "Signatures checked",
        &c.signatures_checked.to_string(),
        false,
    );
    let first = c.first_problem.as_ref().map_or_else(
        || "none".to_owned(),
        |t| {
            let kind = serde_json::to_value(t.kind).unwrap_or_default();
            format!(
                "at sequence {}: {} ({})",
                t.seq,
                kind.as_str().unwrap_or("?"),
                t.detail
            )
        },
    );
    item(out, "First problem", &first, false);
    let unattested = if c.unattested_signatures.is_empty() {
        "none".to_owned()
    } else {
        c.unattested_signatures
            .iter()
            .map(|u| {
                format!(
                    "{} on {} (seq {}): {}",
                    u.signature_id, u.record_id, u.audit_seq, u.problem
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    item(out, "Unattested signatures", &unattested, false);
    let reversals = if c.time_reversals.is_empty() {
        "none".to_owned()
    } else {
        c.time_reversals
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    item(out, "Time reversals at", &reversals, false);
    out.push_str("</dl></section>\n");
}

#[cfg(test)]
#[path = "report_html_tests.rs"]
mod tests;
