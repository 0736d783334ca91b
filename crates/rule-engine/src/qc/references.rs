//! Cross-references (sections, appendices, tables, figures, listings) resolved against the
//! headings and captions the document has, and the numbering of tables and figures.

use super::*;

pub(super) static XREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(Section|Table|Figure|Appendix)\s+(\d+(?:\.\d+)*)(?-u:\b)")
        .unwrap_or_else(|e| panic!("{e}"))
});
pub(super) static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(Table|Figure)\s+(\d+)(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});

/// A caption or label with its (possibly multi-level) number: "Table 14.2.1", "Appendix 2".
pub(super) static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(Table|Figure|Appendix|Attachment)\s+(\d+(?:\.\d+)*)(?-u:\b)")
        .unwrap_or_else(|e| panic!("{e}"))
});
/// A heading the PDF gave as a paragraph: "10.3. Adverse Events ...".
pub(super) static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d+(?:\.\d+)*)\.?\s+\p{Lu}").unwrap_or_else(|e| panic!("{e}"))
});
/// After a reference: another document's table or section ("Table 3 of the SAP").
pub(super) static ELSEWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:of|in)\s+(?:the\s+)?(?:\p{Lu}[\w-]*\s*){1,4}(?:(?-u:\b)|$)")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// Cross-references ("see Section 9.4", "Table 14.2.1", "Appendix 2") that nothing in the
/// document can be: section numbers are the headings' (a subsection "9.4.1" or a numbered
/// paragraph "9.4. Title" vouches for "9.4"), tables, figures and appendices their captions
/// and labels in the body or the table of contents. A kind the document never labels is not
/// checked, nor a reference to another document ("Table 3 of the SAP").
pub(super) fn cross_references(doc: &Document, units: &[Unit<'_>], out: &mut Vec<Finding>) {
    let mut sections: HashSet<String> = HashSet::new();
    let mut labels: HashSet<(String, String)> = HashSet::new();
    let mut kinds: HashSet<String> = HashSet::new();
    let section = |n: &str, sections: &mut HashSet<String>| {
        let n = n.trim_end_matches('.');
        // "9.4.1" vouches for "9.4" and "9".
        let mut s = n;
        loop {
            sections.insert(s.to_string());
            match s.rfind('.') {
                Some(i) => s = &s[..i],
                None => break,
            }
        }
    };
    let mut label = |text: &str, labels: &mut HashSet<(String, String)>| {
        // Labels anywhere at the start of a line: "Appendix 1. Abbreviations", a caption.
        for line in text.lines() {
            if let Some(c) = LABELLED.captures(line) {
                let kind = c[1].to_lowercase();
                kinds.insert(kind.clone());
                let mut n = c[2].to_string();
                loop {
                    labels.insert((kind.clone(), n.clone()));
                    match n.rfind('.') {
                        Some(i) => n.truncate(i),
                        None => break,
                    }
                }
            }
        }
    };
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Heading {
                number: Some(n), ..
            } => section(n, &mut sections),
            BlockKind::Paragraph | BlockKind::Heading { .. } => {
                if let Some(c) = NUMBERED.captures(&b.text) {
                    section(&c[1], &mut sections);
                }
            }
            _ => {}
        }
        label(&b.text, &mut labels);
    }
    for t in &doc.toc {
        if let Some(n) = &t.number {
            section(n, &mut sections);
        }
        label(&t.text, &mut labels);
    }
    let numbered_headings = doc.blocks.iter().any(|b| {
        matches!(
            b.kind,
            BlockKind::Heading {
                number: Some(_),
                ..
            }
        )
    }) || doc.toc.iter().any(|t| t.number.is_some());
    for u in units {
        if u.heading || LABELLED.is_match(u.text) {
            continue;
        }
        for c in XREF.captures_iter(u.text) {
            let (kind, num) = (c[1].to_lowercase(), c[2].to_string());
            let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
            if ELSEWHERE.is_match(&u.text[m.1..]) {
                continue;
            }
            let ok = match kind.as_str() {
                "section" => !numbered_headings || sections.contains(&num),
                _ => !kinds.contains(&kind) || labels.contains(&(kind.clone(), num.clone())),
            };
            if !ok {
                out.push(builtin(
                    "qc.cross-reference",
                    Level::Warn,
                    format!(
                        "{} {num} is referenced but the document has no such {kind}",
                        &c[1]
                    ),
                    u,
                    m,
                ));
            }
        }
    }
}

/// Table and figure captions numbered out of sequence.
pub(super) fn numbering(doc: &Document, out: &mut Vec<Finding>) {
    let mut last: HashMap<String, u32> = HashMap::new();
    for b in &doc.blocks {
        if let Some(c) = CAPTION.captures(&b.text) {
            let kind = c[1].to_string();
            let Ok(n) = c[2].parse::<u32>() else { continue };
            let prev = last.get(&kind).copied().unwrap_or(0);
            if n != prev + 1 && n > prev {
                let u = Unit {
                    anchor: b.anchor.clone(),
                    text: &b.text,
                    heading: false,
                };
                out.push(builtin(
                    "qc.numbering",
                    Level::Warn,
                    format!("{kind} {n} follows {kind} {prev}"),
                    &u,
                    (0, b.text.len().min(c[0].len())),
                ));
            }
            last.insert(kind, n.max(prev));
        }
    }
}
