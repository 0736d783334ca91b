use super::*;
use ingest::{Block, Cell, Format, Metadata, Sentence};

/// A block of a test document.
enum B<'a> {
    H(u8, &'a str),
    P(&'a str),
    L(&'a str),
    T(&'a [&'a [&'a str]]),
}

fn sentences(owner: &str, text: &str) -> Vec<Sentence> {
    ingest::sentences::split(text)
        .into_iter()
        .enumerate()
        .map(|(i, (start, end, text))| Sentence {
            anchor: format!("{owner}.s{i}"),
            text,
            start,
            end,
        })
        .collect()
}

fn doc(blocks: &[B<'_>]) -> Document {
    let blocks = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let anchor = format!("b{i}");
            let (kind, text, sents) = match b {
                B::H(level, t) => (
                    BlockKind::Heading {
                        level: *level,
                        number: None,
                    },
                    t.to_string(),
                    sentences(&anchor, t),
                ),
                B::P(t) => (BlockKind::Paragraph, t.to_string(), sentences(&anchor, t)),
                B::L(t) => (
                    BlockKind::ListItem {
                        level: 1,
                        marker: Some("•".into()),
                    },
                    t.to_string(),
                    sentences(&anchor, t),
                ),
                B::T(rows) => {
                    let rows: Vec<Vec<Cell>> = rows
                        .iter()
                        .enumerate()
                        .map(|(r, row)| {
                            row.iter()
                                .enumerate()
                                .map(|(c, t)| {
                                    let a = format!("{anchor}.r{r}c{c}");
                                    Cell {
                                        sentences: sentences(&a, t),
                                        anchor: a,
                                        text: t.to_string(),
                                    }
                                })
                                .collect()
                        })
                        .collect();
                    let text = rows
                        .iter()
                        .map(|r| {
                            r.iter()
                                .map(|c| c.text.as_str())
                                .collect::<Vec<_>>()
                                .join("\t")
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    (BlockKind::Table { rows }, text, Vec::new())
                }
            };
            Block {
                anchor,
                kind,
                end: text.chars().count(),
                text,
                page: None,
                start: 0,
                sentences: sents,
            }
        })
        .collect();
    Document {
        metadata: Metadata {
            format: Format::Docx,
            sha256: String::new(),
            size_bytes: 0,
            page_count: None,
            title: None,
            author: None,
            producer: None,
            warnings: Vec::new(),
        },
        blocks,
        headers: Vec::new(),
        footers: Vec::new(),
        toc: Vec::new(),
        notes: Vec::new(),
        revisions: Vec::new(),
    }
}

fn rules() -> &'static RuleSet {
    static R: LazyLock<RuleSet> = LazyLock::new(RuleSet::builtin);
    &R
}

/// Abbreviation findings (any rule) as (rule, abbreviation text).
fn abbrev_findings(d: &Document) -> Vec<(String, String)> {
    let texts: HashMap<String, String> = units(d)
        .iter()
        .map(|u| (u.anchor.clone(), u.text.to_string()))
        .collect();
    check(d, rules())
        .into_iter()
        .filter(|f| f.rule_id.contains("abbreviation") && f.rule_id != "qc.abbreviation.unused")
        .map(|f| {
            let t = texts.get(&f.anchor).cloned().unwrap_or_default();
            let m: String = t.chars().skip(f.span.0).take(f.span.1 - f.span.0).collect();
            (f.rule_id, m)
        })
        .collect()
}

fn undefined(d: &Document) -> Vec<String> {
    let mut v: Vec<String> = abbrev_findings(d).into_iter().map(|(_, m)| m).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn one_finding_per_abbreviation_naming_the_rules_that_agree() {
    let d = doc(&[B::P("The QZX score was recorded at every visit.")]);
    let f = check(&d, rules());
    let on: Vec<&Finding> = f.iter().filter(|f| f.span == (4, 7)).collect();
    assert_eq!(on.len(), 1, "{f:?}");
    assert_eq!(on[0].rule_id, "qc.abbreviation.undefined");
    assert_eq!(on[0].also, vec!["style.abbreviation-defined".to_string()]);
    // `also` is serialised only when rules agreed.
    let json = serde_json::to_value(on[0]).unwrap();
    assert_eq!(json["also"][0], "style.abbreviation-defined");
    let other = f
        .iter()
        .find(|f| f.also.is_empty())
        .map(serde_json::to_value);
    if let Some(Ok(v)) = other {
        assert!(v.get("also").is_none(), "{v}");
    }
    // Used before its definition: one finding too.
    let d = doc(&[
        B::P("The QZX score was recorded at every visit."),
        B::P("The quality zone index (QZX) is a composite score."),
    ]);
    let f: Vec<Finding> = check(&d, rules())
        .into_iter()
        .filter(|f| f.rule_id.contains("abbreviation"))
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule_id, "qc.abbreviation.before-definition");
    assert_eq!(f[0].also, vec!["style.abbreviation-defined".to_string()]);
}

#[test]
fn merge_keeps_distinct_problems_and_spans() {
    let d = doc(&[B::P(
        "The QZX and the WVK scores were recorded at every visit by the site.",
    )]);
    let f: Vec<Finding> = check(&d, rules())
        .into_iter()
        .filter(|f| f.rule_id.contains("abbreviation"))
        .collect();
    assert_eq!(f.len(), 2, "{f:?}");
}

#[test]
fn definitions_in_every_form() {
    for text in [
        "Quality zone index (QZX) was scored. QZX rose.",
        "QZX (quality zone index) was scored. QZX rose.",
        "Scores: QZX = quality zone index; WVK = wave velocity kinetics. QZX and WVK rose.",
        "QZX: quality zone index. QZX rose.",
        "Inductively coupled zone spectrometry (ICZ-MS) was used. ICZ and MS samples were kept.",
    ] {
        let d = doc(&[B::P(text)]);
        assert_eq!(undefined(&d), Vec::<String>::new(), "{text}");
    }
    // Not a definition: the colon form needs matching initials, and a lower-case
    // parenthesis after an abbreviation must start like it.
    let d = doc(&[B::P("QZX: see the manual. QZX (see below) rose.")]);
    assert_eq!(undefined(&d), vec!["QZX".to_string()]);
}

#[test]
fn defined_twice_in_prose_only() {
    let twice = |blocks: &[B<'_>]| -> usize {
        check(&doc(blocks), rules())
            .iter()
            .filter(|f| f.rule_id == "qc.abbreviation.defined-twice")
            .count()
    };
    let first = B::P("The quality zone index (QZX) is scored at each visit.");
    assert_eq!(
        twice(&[
            B::P("The quality zone index (QZX) is scored at each visit."),
            B::P("Each quality zone index (QZX) score is kept."),
        ]),
        1
    );
    // Not again: in a table cell, a heading, or a part of a compound abbreviation.
    assert_eq!(twice(&[first, B::T(&[&["Quality zone index (QZX)"]])]), 0);
    assert_eq!(
        twice(&[
            B::P("The quality zone index (QZX) is scored at each visit."),
            B::H(2, "The Quality Zone Index (QZX)"),
        ]),
        0
    );
    assert_eq!(
        twice(&[
            B::P("The quality zone index revised (QZX-R) is scored at each visit."),
            B::P("The original quality zone index (QZX) was shorter."),
        ]),
        0
    );
}

#[test]
fn a_table_footnote_defines_for_the_table_above() {
    let d = doc(&[
        B::T(&[&["Visit", "QZX"], &["1", "WVK"]]),
        B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
        B::P("Later the QZX was repeated."),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
    // A table the PDF broke into pieces, after its caption: the footnote covers all.
    let d = doc(&[
        B::P("The quality zone index is a score."),
        B::P("Table 3: Dose Changes"),
        B::T(&[&["Visit", "QZX"]]),
        B::H(3, "Visit Dose Result"),
        B::P("continued text of a cell"),
        B::P("more text of a cell"),
        B::P("and more"),
        B::T(&[&["Week 2", "WVK"]]),
        B::P("a Footnote marker text."),
        B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
    // A section heading ends the table's region.
    let d = doc(&[
        B::T(&[&["Visit", "QZX"]]),
        B::H(2, "Dosing"),
        B::T(&[&["Week 2", "WVK"]]),
        B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
    ]);
    assert_eq!(undefined(&d), vec!["QZX".to_string()]);
    // Without a table before it, a footnote defines from where it stands.
    let d = doc(&[
        B::P("The QZX was measured."),
        B::P("Abbreviations: QZX = quality zone index."),
    ]);
    assert_eq!(undefined(&d), vec!["QZX".to_string()]);
    // A footnote the PDF ran into the last cell's sentence works the same.
    let d = doc(&[
        B::T(&[&["Visit", "QZX"]]),
        B::P("end of table) Abbreviations: QZX = quality zone index."),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
}

#[test]
fn the_abbreviation_list_defines_for_the_whole_document() {
    let body = [
        B::P("The QZX and the WVK were measured at every visit, and the RSVP."),
        B::L("LMNP results are sent to the sponsor."),
    ];
    for heading in [
        "Abbreviations",
        "10.6. List of Abbreviations",
        "Appendix 1. Abbreviations and Definitions",
        "Glossary",
        "Definitions of Terms",
    ] {
        let mut blocks: Vec<B<'_>> = vec![B::H(1, "Introduction")];
        blocks.extend(body.iter().map(|b| match b {
            B::P(t) => B::P(t),
            B::L(t) => B::L(t),
            _ => B::P(""),
        }));
        blocks.push(B::H(1, heading));
        blocks.push(B::H(3, "Abbreviation Definition"));
        blocks.push(B::T(&[
            &["QZX", "quality zone index"],
            &["WVK/LMNP", "wave velocity kinetics"],
            &["RSVPmax", "maximal response"],
        ]));
        blocks.push(B::H(1, "Protocol History"));
        blocks.push(B::P("The RSTU score is new."));
        let d = doc(&blocks);
        assert_eq!(undefined(&d), vec!["RSTU".to_string()], "{heading}");
    }
    // A list in paragraphs under a table caption, as PDFs give it.
    let d = doc(&[
        B::H(2, "Appendix"),
        B::P("Table 11: List of Abbreviations and Definitions of Terms"),
        B::P("QZX quality zone index"),
        B::H(2, "Next"),
        B::P("The QZX was measured."),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
    // Without the list the same text is flagged.
    let d = doc(&[B::H(1, "Background"), B::P("The QZX was measured.")]);
    assert_eq!(undefined(&d), vec!["QZX".to_string()]);
}

#[test]
fn words_that_are_not_abbreviations() {
    for text in [
        "Study ABC123-XY-01 enrolled adults with T2DM and an ATP7B variant.",
        "The Phase II and Phase IV studies ended in MAY 2021.",
        "Participants MUST fast overnight before the visit.",
        "SEE THE SCHEDULE OF ACTIVITIES FOR THE VISIT",
        "Doses of 10 IU were given with 5 mL of HCl in water.",
        "The application IND: 119006 was filed in Boston, MA 02210.",
        "Each kit is made by Acme ZYX Ltd. for the site.",
        "Smith JR, Jones AB. Fasting and glucose. Lancet. 2001;3:1-9.",
        "Doe KT. A trial of fasting.",
        "Heart rate and the PR, QRS and QT intervals were read.",
    ] {
        let d = doc(&[B::P(text)]);
        assert_eq!(undefined(&d), Vec::<String>::new(), "{text}");
    }
    // Headings and the title page's acronym are not uses either.
    let d = doc(&[
        B::H(1, "The QUASAR Study of Fasting"),
        B::P("QUASAR enrolled 40 adults."),
        B::H(2, "INCLUSION CRITERIA"),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
    // The reference list's journals are not uses.
    let d = doc(&[
        B::H(1, "References"),
        B::P("Doe K. Fasting. BMJ Open. 2001."),
    ]);
    assert_eq!(undefined(&d), Vec::<String>::new());
    // A word of the English list that the document defines is an abbreviation.
    let d = doc(&[
        B::P("The ADAS total was scored at each visit."),
        B::P("The Alzheimer Disease Assessment Scale (ADAS) is a test."),
    ]);
    assert_eq!(
        abbrev_findings(&d),
        vec![(
            "qc.abbreviation.before-definition".to_string(),
            "ADAS".to_string()
        )]
    );
    // A single capitalised word after a name in prose is still an abbreviation.
    let d = doc(&[B::P("The nurse told Maria QZX was due.")]);
    assert_eq!(undefined(&d), vec!["QZX".to_string()]);
}

fn xrefs(d: &Document) -> Vec<String> {
    check(d, rules())
        .into_iter()
        .filter(|f| f.rule_id == "qc.cross-reference")
        .map(|f| f.message)
        .collect()
}

#[test]
fn cross_references_resolve_against_what_the_document_has() {
    let numbered = |n: &str| BlockKind::Heading {
        level: 2,
        number: Some(n.into()),
    };
    let mut d = doc(&[
        B::H(2, "9.4.1. Dose Changes"),
        B::P("10.3. Adverse Events: Definitions and Procedures"),
        B::P("Table 14.2.1: Vital Signs by Visit"),
        B::P("Figure 2: Study Design"),
        B::H(1, "Appendix 2. Clinical Laboratory Tests"),
        B::P(
            "See Section 9.4, Section 9, Section 10.3, Table 14.2.1, Table 14.2, Figure 2 \
             and Appendix 2 for details.",
        ),
        B::P("Doses follow Table 7 of the Pharmacy Manual."),
        B::P("See Section 12.1, Table 14.3.1, Figure 5 and Appendix 4."),
    ]);
    d.blocks[0].kind = numbered("9.4.1.");
    d.blocks[4].kind = numbered("");
    let found = xrefs(&d);
    assert_eq!(
        found,
        vec![
            "Section 12.1 is referenced but the document has no such section",
            "Table 14.3.1 is referenced but the document has no such table",
            "Figure 5 is referenced but the document has no such figure",
            "Appendix 4 is referenced but the document has no such appendix",
        ],
    );
    // A kind the document never labels cannot be checked.
    let d = doc(&[B::P("See Table 3 and Appendix 9.")]);
    assert_eq!(xrefs(&d), Vec::<String>::new());
}

#[test]
fn roman_numerals() {
    for r in ["II", "IV", "IX", "XII", "XL", "CX"] {
        assert!(roman(r), "{r}");
    }
    for r in ["IIII", "VX", "IC", "ALT", ""] {
        assert!(!roman(r), "{r}");
    }
    // A numeral the document defines is an abbreviation: "IV" for intravenous.
    let d = doc(&[
        B::P("Doses in Phase IV are given as an IV infusion."),
        B::P("Intravenous (IV) doses are weighed."),
    ]);
    assert_eq!(
        abbrev_findings(&d),
        vec![(
            "qc.abbreviation.before-definition".to_string(),
            "IV".to_string()
        )]
    );
}

#[test]
fn shipped_qc_examples() {
    let q = &rules().qc;
    assert!(!q.examples.flag.is_empty() && !q.examples.pass_.is_empty());
    for text in &q.examples.flag {
        let d = doc(&[B::P(text)]);
        assert!(!undefined(&d).is_empty(), "must flag: {text}");
    }
    for text in &q.examples.pass_ {
        let d = doc(&[B::P(text)]);
        assert_eq!(undefined(&d), Vec::<String>::new(), "must pass: {text}");
    }
}
