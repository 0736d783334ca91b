//! Every refusal: a sentence whose edit would cross a field, a hyperlink's boundary, a
//! content control, a text box or drawing, a bookmark's edge, a pending revision, or a
//! run holding something other than text, is skipped with that reason and the document
//! is returned untouched; the same things just outside the sentence do not stop it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{View, document, edit, package, texts};
use revise::{Options, SkipReason, apply_tracked_changes};

const SENTENCE: &str = "Alpha beta gamma delta.";

fn r(t: &str) -> String {
    format!(r#"<w:r><w:t xml:space="preserve">{t}</w:t></w:r>"#)
}

/// `Alpha beta ` + `middle` + `gamma delta.` in one paragraph.
fn around(middle: &str) -> String {
    format!(
        "<w:p>{}{middle}{}</w:p>",
        r("Alpha beta "),
        r("gamma delta.")
    )
}

fn field(code: &str, result: &str) -> String {
    format!(
        r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">{code}</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{result}<w:r><w:fldChar w:fldCharType="end"/></w:r>"#
    )
}

const INS: &str = r#"w:id="3" w:author="Someone" w:date="2025-01-01T00:00:00Z""#;

fn cases() -> Vec<(&'static str, String, SkipReason)> {
    use SkipReason::*;
    vec![
        (
            "a field result inside",
            format!(
                "<w:p>{}{}{}</w:p>",
                r("Alpha beta "),
                field(" REF _Ref1 \\h ", &r("gamma")),
                r(" delta.")
            ),
            Field,
        ),
        (
            "the whole sentence is a field result",
            format!("<w:p>{}</w:p>", field(" REF _Ref1 ", &r(SENTENCE))),
            Field,
        ),
        ("an empty field inside", around(&field(" PAGE ", "")), Field),
        (
            "a simple field",
            format!(
                r#"<w:p>{}<w:fldSimple w:instr=" PAGE "><w:r><w:t>gamma</w:t></w:r></w:fldSimple>{}</w:p>"#,
                r("Alpha beta "),
                r(" delta.")
            ),
            Field,
        ),
        (
            "a hyperlink's boundary",
            format!(
                r#"<w:p>{}<w:hyperlink r:id="rId5"><w:r><w:t>gamma</w:t></w:r></w:hyperlink>{}</w:p>"#,
                r("Alpha beta "),
                r(" delta.")
            ),
            Hyperlink,
        ),
        (
            "a sentence in a content control",
            format!(
                r#"<w:p><w:sdt><w:sdtPr><w:alias w:val="Objective"/></w:sdtPr><w:sdtContent>{}</w:sdtContent></w:sdt></w:p>"#,
                r(SENTENCE)
            ),
            ContentControl,
        ),
        (
            "a content control inside",
            around(r#"<w:sdt><w:sdtPr><w:tag w:val="t"/></w:sdtPr><w:sdtContent/></w:sdt>"#),
            ContentControl,
        ),
        (
            "a drawing inside a run",
            r#"<w:p><w:r><w:t xml:space="preserve">Alpha beta </w:t><w:drawing><wp:inline><wp:docPr w:id="1" name="Picture 1"/></wp:inline></w:drawing><w:t>gamma delta.</w:t></w:r></w:p>"#
                .to_string(),
            TextBox,
        ),
        (
            "a text box",
            around(
                r#"<w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>Inside the box.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"#,
            ),
            TextBox,
        ),
        (
            "alternate content",
            around(
                r#"<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing/></mc:Choice><mc:Fallback><w:pict/></mc:Fallback></mc:AlternateContent></w:r>"#,
            ),
            TextBox,
        ),
        (
            "a bookmark's start",
            around(r#"<w:bookmarkStart w:id="5" w:name="_Ref123"/>"#),
            Bookmark,
        ),
        (
            "a bookmark's end",
            format!(
                r#"<w:p><w:bookmarkStart w:id="5" w:name="_Ref123"/>{}<w:bookmarkEnd w:id="5"/>{}</w:p>"#,
                r("Alpha beta "),
                r("gamma delta.")
            ),
            Bookmark,
        ),
        (
            "an insertion",
            format!(
                "<w:p>{}<w:ins {INS}>{}</w:ins>{}</w:p>",
                r("Alpha beta "),
                r("gamma"),
                r(" delta.")
            ),
            ExistingRevision,
        ),
        (
            "a deletion",
            around(&format!(
                "<w:del {INS}><w:r><w:delText>old </w:delText></w:r></w:del>"
            )),
            ExistingRevision,
        ),
        (
            "a move",
            format!(
                r#"<w:p>{}<w:moveTo {INS}>{}</w:moveTo>{}</w:p>"#,
                r("Alpha beta "),
                r("gamma"),
                r(" delta.")
            ),
            ExistingRevision,
        ),
        (
            "a moved-away text",
            around(&format!(
                "<w:moveFrom {INS}><w:r><w:t>old </w:t></w:r></w:moveFrom>"
            )),
            ExistingRevision,
        ),
        (
            "a formatting change",
            format!(
                r#"<w:p><w:r><w:rPr><w:b/><w:rPrChange {INS}><w:rPr/></w:rPrChange></w:rPr><w:t>{SENTENCE}</w:t></w:r></w:p>"#
            ),
            ExistingRevision,
        ),
        (
            "a footnote reference",
            around(
                r#"<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="97"/></w:r>"#,
            ),
            NonTextContent,
        ),
        (
            "a symbol",
            around(r#"<w:r><w:sym w:font="Symbol" w:char="F062"/></w:r>"#),
            NonTextContent,
        ),
        (
            "an object",
            around(r#"<w:r><w:object><v:shape id="o1"/></w:object></w:r>"#),
            NonTextContent,
        ),
        (
            "a non-breaking hyphen",
            r#"<w:p><w:r><w:t>Alpha beta gam</w:t><w:noBreakHyphen/><w:t>ma delta.</w:t></w:r></w:p>"#
                .to_string(),
            NonTextContent,
        ),
        (
            "a comment reference",
            around(r#"<w:r><w:commentReference w:id="7"/></w:r>"#),
            NonTextContent,
        ),
        (
            "a smart tag",
            format!(
                r#"<w:p>{}<w:smartTag w:uri="urn:x" w:element="place"><w:r><w:t>gamma</w:t></w:r></w:smartTag>{}</w:p>"#,
                r("Alpha beta "),
                r(" delta.")
            ),
            UnsupportedMarkup,
        ),
        (
            "an equation",
            around(r#"<m:oMath><m:r><m:t>x</m:t></m:r></m:oMath>"#),
            UnsupportedMarkup,
        ),
    ]
}

#[test]
fn each_refusal_is_skipped_with_its_reason_and_nothing_is_written() {
    for (what, p, reason) in cases() {
        let input = package(&p);
        // ingest reads the sentence as the writer does (so the refusal is not a miss).
        let doc = ingest::parse(&input).unwrap();
        assert!(
            doc.sentences().any(|s| s.text == SENTENCE),
            "{what}: ingest reads {:?}",
            doc.sentences().map(|s| s.text.clone()).collect::<Vec<_>>()
        );
        let e = edit("s", SENTENCE, 0, "Alpha beta epsilon delta.");
        let out = apply_tracked_changes(&input, &[e], &Options::default()).unwrap();
        assert!(out.applied.is_empty(), "{what}: applied");
        assert_eq!(out.skipped.len(), 1, "{what}");
        assert_eq!(out.skipped[0].reason, reason, "{what}");
        assert_eq!(
            out.bytes, input,
            "{what}: the input must come back unchanged"
        );
    }
}

#[test]
fn text_box_paragraphs_are_not_body_paragraphs() {
    let p = around(
        r#"<w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>Inside the box.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"#,
    );
    let e = edit("s", "Inside the box.", 0, "Inside the frame.");
    let out = apply_tracked_changes(&package(&p), &[e], &Options::default()).unwrap();
    assert_eq!(out.skipped[0].reason, SkipReason::NotFound);
}

#[test]
fn the_same_things_next_to_the_sentence_do_not_stop_it() {
    let bm = |id: &str| format!(r#"<w:bookmarkStart w:id="{id}" w:name="_Ref{id}"/>"#);
    let body = format!(
        "<w:p>{}{}{}<w:bookmarkEnd w:id=\"5\"/>{}{}{}</w:p>",
        field(" REF _Ref9 ", &r("See section 3.")),
        r(" "),
        bm("5") + &r(SENTENCE),
        r#"<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="97"/></w:r>"#,
        r(" Next "),
        r#"<w:hyperlink r:id="rId5"><w:r><w:t>link.</w:t></w:r></w:hyperlink>"#,
    );
    let input = package(&body);
    let e = edit("s", SENTENCE, 0, "Alpha beta epsilon delta.");
    let out = apply_tracked_changes(&input, &[e], &Options::default()).unwrap();
    assert_eq!(out.applied, vec!["s"], "{:?}", out.skipped);
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["See section 3. Alpha beta epsilon delta. Next link."]
    );
    assert_eq!(
        texts(&xml, View::Reject),
        vec!["See section 3. Alpha beta gamma delta. Next link."]
    );
    assert!(xml.contains(r#"<w:footnoteReference w:id="97"/>"#));
    assert!(xml.contains(r#"<w:bookmarkEnd w:id="5"/>"#));
    // A footnote reference in the same run, right after the sentence, stays after it.
    let body = format!(
        r#"<w:p><w:r><w:t>{SENTENCE}</w:t><w:footnoteReference w:id="97"/><w:t xml:space="preserve"> More.</w:t></w:r></w:p>"#
    );
    let e = edit("s", SENTENCE, 0, "Alpha beta epsilon delta.");
    let out = apply_tracked_changes(&package(&body), &[e], &Options::default()).unwrap();
    assert_eq!(out.applied, vec!["s"], "{:?}", out.skipped);
    let xml = document(&out.bytes);
    let del = xml.find("<w:delText>gamma</w:delText>").unwrap();
    let fref = xml.find("<w:footnoteReference w:id=\"97\"/>").unwrap();
    let more = xml.find("> More.</w:t>").unwrap();
    assert!(del < fref && fref < more, "{xml}");
}
