//! Tracked changes on fixtures written by hand: run splits with formatting copied, white
//! space, several edits in a paragraph, occurrences, ids, comments, escaping, and what
//! must stay byte for byte (the other parts, and the main part outside the edited runs).
#![allow(clippy::unwrap_used)]

mod common;

use common::{View, document, edit, entries, package, para, part, texts};
use revise::{Options, SkipReason, apply_tracked_changes};

fn no_comments() -> Options {
    Options {
        comments: false,
        ..Options::default()
    }
}

/// Every `w:id` value written by the change (on w:ins, w:del, comments) in `xml`.
fn revision_ids(xml: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for tag in [
        "<w:ins w:id=\"",
        "<w:del w:id=\"",
        "<w:commentRangeStart w:id=\"",
    ] {
        for (i, _) in xml.match_indices(tag) {
            let rest = &xml[i + tag.len()..];
            ids.push(rest[..rest.find('"').unwrap()].parse().unwrap());
        }
    }
    ids
}

#[test]
fn a_run_is_split_at_the_changed_word_with_its_formatting_copied() {
    let body = r#"<w:p><w:r w:rsidR="00AB12CD"><w:rPr><w:b/><w:i/></w:rPr><w:t>The dose was 10 mg daily.</w:t></w:r></w:p>"#;
    let input = package(body);
    let e = edit(
        "s1",
        "The dose was 10 mg daily.",
        0,
        "The dose was 20 mg daily.",
    );
    let out = apply_tracked_changes(&input, &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s1"]);
    assert!(out.skipped.is_empty());
    let xml = document(&out.bytes);
    let run = r#"<w:r w:rsidR="00AB12CD"><w:rPr><w:b/><w:i/></w:rPr>"#;
    let expected = format!(
        r#"<w:p>{run}<w:t xml:space="preserve">The dose was </w:t></w:r><w:del w:id="98" w:author="dualcheck AI (1a2b3c4d)" w:date="2026-12-03T10:00:00Z">{run}<w:delText>10</w:delText></w:r></w:del><w:ins w:id="99" w:author="dualcheck AI (1a2b3c4d)" w:date="2026-12-03T10:00:00Z">{run}<w:t>20</w:t></w:r></w:ins>{run}<w:t xml:space="preserve"> mg daily.</w:t></w:r></w:p>"#
    );
    assert!(xml.contains(&expected), "{xml}");
    assert_eq!(texts(&xml, View::Accept), vec!["The dose was 20 mg daily."]);
    assert_eq!(texts(&xml, View::Reject), vec!["The dose was 10 mg daily."]);
}

#[test]
fn a_sentence_over_several_runs_keeps_each_runs_formatting() {
    let body = r#"<w:p><w:r><w:t xml:space="preserve">Patients </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>should</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve"> fast before dosing.</w:t></w:r></w:p>"#;
    let e = edit(
        "s1",
        "Patients should fast before dosing.",
        0,
        "Patients must fast overnight before dosing.",
    );
    let out = apply_tracked_changes(&package(body), &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s1"]);
    let xml = document(&out.bytes);
    // "should" -> "must" in the bold run, "overnight " inserted in the italic run.
    assert!(
        xml.contains(r#"<w:r><w:rPr><w:b/></w:rPr><w:delText>should</w:delText></w:r></w:del>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<w:r><w:rPr><w:b/></w:rPr><w:t>must</w:t></w:r></w:ins>"#),
        "{xml}"
    );
    assert!(
        xml.contains(
            r#"<w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">overnight </w:t></w:r></w:ins>"#
        ),
        "{xml}"
    );
    // The first run is untouched, byte for byte.
    assert!(xml.contains(r#"<w:p><w:r><w:t xml:space="preserve">Patients </w:t></w:r><w:del"#));
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["Patients must fast overnight before dosing."]
    );
    assert_eq!(
        texts(&xml, View::Reject),
        vec!["Patients should fast before dosing."]
    );
}

#[test]
fn leading_and_trailing_spaces_are_preserved() {
    let body = para(&[
        "  Blood samples ",
        "were taken  ",
        " at   baseline. ",
        "Next one.",
    ]);
    let e = edit(
        "s1",
        "Blood samples were taken at baseline.",
        0,
        "Blood samples were drawn at baseline.",
    );
    let out = apply_tracked_changes(&package(&body), &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s1"]);
    let xml = document(&out.bytes);
    assert!(
        xml.contains(r#"<w:t xml:space="preserve">were </w:t>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<w:delText>taken</w:delText>"#), "{xml}");
    assert!(
        xml.contains(r#"<w:t xml:space="preserve">  </w:t>"#),
        "{xml}"
    );
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["Blood samples were drawn at baseline. Next one."]
    );
    assert_eq!(
        texts(&xml, View::Reject),
        vec!["Blood samples were taken at baseline. Next one."]
    );
    // Deleting a word deletes the white space after it too (here over two runs), and
    // nothing else.
    let e = edit(
        "s2",
        "Blood samples were taken at baseline.",
        0,
        "Blood samples were at baseline.",
    );
    let out = apply_tracked_changes(&package(&body), &[e], &no_comments()).unwrap();
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["Blood samples were at baseline. Next one."]
    );
    assert!(
        xml.contains(r#"<w:delText xml:space="preserve">taken  </w:delText>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<w:delText xml:space="preserve"> </w:delText>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<w:t xml:space="preserve">at   baseline. </w:t>"#),
        "{xml}"
    );
}

#[test]
fn two_edits_in_one_paragraph_and_one_run() {
    let body = para(&["First sentence is here. Second sentence is there. Third one."]);
    let edits = [
        edit(
            "b",
            "Second sentence is there.",
            0,
            "Second sentence was there.",
        ),
        edit("a", "First sentence is here.", 0, "First line is here."),
    ];
    let out = apply_tracked_changes(&package(&body), &edits, &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["b", "a"]);
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["First line is here. Second sentence was there. Third one."]
    );
    assert_eq!(
        texts(&xml, View::Reject),
        vec!["First sentence is here. Second sentence is there. Third one."]
    );
    let ids = revision_ids(&xml);
    assert_eq!(ids.len(), 4);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{ids:?}");
}

#[test]
fn overlapping_duplicate_unchanged_invalid_and_missing_edits_are_skipped() {
    let body = para(&["One two three four. Five six seven eight."]);
    let mut bad = edit("bad", "Five six seven eight.", 0, "Five \u{1} seven eight.");
    bad.comment = None;
    let edits = [
        edit("a", "One two three four.", 0, "One two three five."),
        edit("b", "One two three four.", 0, "One too three four."),
        edit("a", "Five six seven eight.", 0, "Five six seven nine."),
        edit("c", "Five six seven eight.", 0, "Five  six seven   eight."),
        bad,
        edit("d", "Five six seven eight.", 1, "Five six seven nine."),
        edit("e", "Not in the text at all.", 0, "Nor this."),
        edit("f", "six seven", 0, "6 7"),
        edit("g", "   ", 0, "x"),
        {
            let mut e = edit("h", "Five six seven eight.", 0, "Five six seven nine.");
            e.author = "bell \u{7}".into();
            e
        },
        {
            let mut e = edit("i", "Five six seven eight.", 0, "Five six seven nine.");
            e.comment = Some("form feed \u{c}".into());
            e
        },
    ];
    let out = apply_tracked_changes(&package(&body), &edits, &Options::default()).unwrap();
    assert_eq!(out.applied, vec!["a"]);
    let got: Vec<(&str, SkipReason)> = out
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            ("b", SkipReason::Overlaps),
            ("a", SkipReason::DuplicateId),
            ("c", SkipReason::Unchanged),
            ("bad", SkipReason::InvalidText),
            ("d", SkipReason::NotFound),
            ("e", SkipReason::NotFound),
            // Not at sentence boundaries.
            ("f", SkipReason::NotFound),
            ("g", SkipReason::InvalidText),
            ("h", SkipReason::InvalidText),
            ("i", SkipReason::InvalidText),
        ]
    );
    for s in &out.skipped {
        assert!(!s.reason.message().is_empty());
        assert_eq!(
            serde_json::to_value(s.reason).unwrap(),
            serde_json::Value::String(s.reason.code().to_string())
        );
    }
}

#[test]
fn the_occurrence_picks_the_paragraph_in_reading_order_tables_included() {
    let cell = |t: &str| format!("<w:tc>{}</w:tc>", para(&[t]));
    let body = format!(
        "{}<w:tbl><w:tr>{}{}</w:tr></w:tbl>{}",
        para(&["The visit is on day one."]),
        cell("Other text here now."),
        cell("The visit is on day one."),
        para(&["The visit is on day one."]),
    );
    let e = edit(
        "s",
        "The visit is on day one.",
        1,
        "The visit is on day two.",
    );
    let out = apply_tracked_changes(&package(&body), &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s"]);
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec![
            "The visit is on day one.",
            "Other text here now.",
            "The visit is on day two.",
            "The visit is on day one."
        ]
    );
}

#[test]
fn tabs_breaks_and_nbsp_match_as_white_space() {
    let body = r#"<w:p><w:r><w:t>Dose:</w:t><w:tab/><w:t xml:space="preserve">10</w:t><w:t>&#160;mg</w:t><w:br/><w:t>once daily.</w:t></w:r></w:p>"#;
    let e = edit(
        "s",
        "Dose: 10 mg once daily.",
        0,
        "Dose: 10 mg twice daily.",
    );
    let out = apply_tracked_changes(&package(body), &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s"]);
    let xml = document(&out.bytes);
    // The tab and the break are copied into the pieces they fall in.
    assert!(xml.contains("<w:tab/>") && xml.contains("<w:br/>"), "{xml}");
    assert_eq!(texts(&xml, View::Accept), vec!["Dose: 10 mg twice daily."]);
    // The non-breaking space is kept as it was.
    assert!(
        xml.contains("<w:t>10\u{a0}mg</w:t><w:br/></w:r><w:del"),
        "{xml}"
    );
}

#[test]
fn text_is_escaped() {
    let body = para(&["Values were p &lt; 0.05 in arm A."]);
    let e = edit(
        "s",
        "Values were p < 0.05 in arm A.",
        0,
        "Values were p < 0.01 & \"significant\" in <arm> A.",
    );
    let out = apply_tracked_changes(&package(&body), &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s"]);
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["Values were p < 0.01 & \"significant\" in <arm> A."]
    );
    assert!(xml.contains("&lt;arm&gt;"), "{xml}");
}

#[test]
fn revision_ids_are_above_every_id_in_the_package() {
    // Bookmark id 120 in the body, footnote id 97 in footnotes.xml.
    let body = format!(
        r#"<w:p><w:bookmarkStart w:id="120" w:name="_Toc1"/><w:r><w:t>Heading text</w:t></w:r><w:bookmarkEnd w:id="120"/></w:p>{}"#,
        para(&["Alpha beta gamma delta."])
    );
    let mut e = edit(
        "s",
        "Alpha beta gamma delta.",
        0,
        "Alpha beta epsilon delta.",
    );
    e.comment = Some("Accepted by Jane Doe (qa)".into());
    let out = apply_tracked_changes(&package(&body), &[e], &Options::default()).unwrap();
    let xml = document(&out.bytes);
    let ids = revision_ids(&xml);
    assert_eq!(ids.len(), 3, "{xml}");
    assert!(ids.iter().all(|&i| i > 120), "{ids:?}");
    // Without the bookmark the footnotes part's 97 is the highest.
    let out = apply_tracked_changes(
        &package(&para(&["Alpha beta gamma delta."])),
        &[edit(
            "s",
            "Alpha beta gamma delta.",
            0,
            "Alpha beta epsilon delta.",
        )],
        &no_comments(),
    )
    .unwrap();
    assert!(revision_ids(&document(&out.bytes)).iter().all(|&i| i > 97));
}

#[test]
fn untouched_parts_and_markup_stay_byte_for_byte() {
    let before = para(&["Untouched paragraph before."]);
    let edited_before_run = r#"<w:p w14:paraId="1A2B3C4D"><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:t xml:space="preserve">Kept run. </w:t></w:r><w:proofErr w:type="spellStart"/>"#;
    let edited_run =
        r#"<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t>Alpha beta gamma delta.</w:t></w:r>"#;
    let edited_after_run = r#"<w:proofErr w:type="spellEnd"/><w:r><w:t xml:space="preserve"> Also kept.</w:t></w:r></w:p>"#;
    let after = r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell   text &amp; more</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#;
    let body = format!("{before}{edited_before_run}{edited_run}{edited_after_run}{after}");
    let input = package(&body);
    let e = edit(
        "s",
        "Alpha beta gamma delta.",
        0,
        "Alpha beta epsilon delta.",
    );
    let out = apply_tracked_changes(&input, &[e], &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["s"]);

    // Every other entry: same names, same order, same content.
    let (a, b) = (entries(&input), entries(&out.bytes));
    assert_eq!(
        a.iter().map(|e| &e.0).collect::<Vec<_>>(),
        b.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name != "word/document.xml" {
            assert_eq!(x, y, "{name} changed");
        }
    }
    // The main part: everything but the edited run is the input's bytes.
    let (old, new) = (
        String::from_utf8(part(&input, "word/document.xml")).unwrap(),
        document(&out.bytes),
    );
    let at = old.find(edited_run).unwrap();
    let end = at + edited_run.len();
    assert!(new.starts_with(&old[..at]), "{new}");
    assert!(new.ends_with(&old[end..]), "{new}");
    let middle = &new[at..new.len() - (old.len() - end)];
    assert!(
        middle.starts_with("<w:r><w:rPr><w:u w:val=\"single\"/></w:rPr>"),
        "{middle}"
    );
    assert!(!middle.contains("proofErr"), "{middle}");
}

#[test]
fn comments_are_added_with_their_part_relationship_and_content_type() {
    let body = para(&["Alpha beta gamma delta. Second sentence here."]);
    let input = package(&body);
    let mut e1 = edit(
        "s1",
        "Alpha beta gamma delta.",
        0,
        "Alpha beta epsilon delta.",
    );
    e1.comment = Some(
        "Accepted by Jane Doe (qa), 2026-12-03T10:00:00Z, reason: clearer & <shorter>\nSecond line"
            .into(),
    );
    let mut e2 = edit("s2", "Second sentence here.", 0, "Second sentence there.");
    e2.comment = Some("Accepted by John Roe (qa)".into());
    let out = apply_tracked_changes(&input, &[e1, e2], &Options::default()).unwrap();
    assert_eq!(out.applied, vec!["s1", "s2"]);
    let xml = document(&out.bytes);
    assert_eq!(xml.matches("<w:commentRangeStart").count(), 2, "{xml}");
    assert_eq!(xml.matches("<w:commentReference").count(), 2, "{xml}");
    let comments = String::from_utf8(part(&out.bytes, "word/comments.xml")).unwrap();
    assert!(comments.contains("w:author=\"dualcheck\""), "{comments}");
    assert!(
        comments.contains("w:date=\"2026-12-03T10:00:00Z\""),
        "{comments}"
    );
    assert!(
        comments.contains("clearer &amp; &lt;shorter&gt;"),
        "{comments}"
    );
    assert!(comments.contains("<w:t>Second line</w:t>"), "{comments}");
    // The comment ids in the body are those of the comments part.
    for (i, _) in comments.match_indices("<w:comment w:id=\"") {
        let id = &comments[i + 17..i + 17 + comments[i + 17..].find('"').unwrap()];
        assert!(
            xml.contains(&format!("<w:commentRangeStart w:id=\"{id}\"/>")),
            "{id}"
        );
    }
    // Relationship and content type: the original parts with one element inserted.
    let rels = String::from_utf8(part(&out.bytes, "word/_rels/document.xml.rels")).unwrap();
    assert!(
        rels.contains("relationships/comments\" Target=\"comments.xml\""),
        "{rels}"
    );
    assert_eq!(
        rels.replace(
            &rels[rels.find("<Relationship Id=\"rId2\"").unwrap()
                ..rels.find("</Relationships>").unwrap()],
            ""
        ),
        common::DOCUMENT_RELS
    );
    let types = String::from_utf8(part(&out.bytes, "[Content_Types].xml")).unwrap();
    assert!(types.contains("<Override PartName=\"/word/comments.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml\"/></Types>"), "{types}");
    // The new part comes last; the others keep their order.
    let names: Vec<String> = entries(&out.bytes).into_iter().map(|e| e.0).collect();
    assert_eq!(names.last().map(String::as_str), Some("word/comments.xml"));
    assert_eq!(
        texts(&comments, View::Accept)[0],
        "Accepted by Jane Doe (qa), 2026-12-03T10:00:00Z, reason: clearer & <shorter>"
    );

    // A sentence changed in a first pass holds pending changes: refused in a second.
    let mut again = edit(
        "s3",
        "Alpha beta epsilon delta.",
        0,
        "Alpha beta zeta delta.",
    );
    again.comment = Some("Third".into());
    let second = apply_tracked_changes(&out.bytes, &[again], &Options::default()).unwrap();
    assert_eq!(second.skipped[0].reason, SkipReason::ExistingRevision);

    // A second pass on another sentence extends the comments part the first one wrote.
    let mut e5 = edit("s5", "Alpha beta gamma delta.", 0, "Alpha beta eta delta.");
    e5.comment = Some("Fifth".into());
    let fresh = apply_tracked_changes(&input, &[e5], &Options::default()).unwrap();
    let mut e6 = edit(
        "s6",
        "Second sentence here.",
        0,
        "Second sentence here too.",
    );
    e6.comment = Some("Sixth".into());
    let fresh2 = apply_tracked_changes(&fresh.bytes, &[e6], &Options::default()).unwrap();
    assert_eq!(fresh2.applied, vec!["s6"]);
    let comments = String::from_utf8(part(&fresh2.bytes, "word/comments.xml")).unwrap();
    assert!(
        comments.contains("Fifth") && comments.contains("Sixth"),
        "{comments}"
    );
    let rels = String::from_utf8(part(&fresh2.bytes, "word/_rels/document.xml.rels")).unwrap();
    assert_eq!(rels.matches("relationships/comments").count(), 1, "{rels}");
    let types = String::from_utf8(part(&fresh2.bytes, "[Content_Types].xml")).unwrap();
    assert_eq!(types.matches("/word/comments.xml").count(), 1, "{types}");
}

#[test]
fn an_edit_inside_one_hyperlink_and_across_gobak_is_written() {
    let body = r#"<w:p><w:hyperlink r:id="rId9"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>See the protocol appendix now.</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> The visit </w:t></w:r><w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/><w:r><w:t>is on day one.</w:t></w:r></w:p>"#;
    let edits = [
        edit(
            "h",
            "See the protocol appendix now.",
            0,
            "See the protocol annex now.",
        ),
        edit(
            "g",
            "The visit is on day one.",
            0,
            "The visit is on day two.",
        ),
    ];
    let out = apply_tracked_changes(&package(body), &edits, &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["h", "g"], "{:?}", out.skipped);
    let xml = document(&out.bytes);
    assert!(xml.contains(r#"<w:hyperlink r:id="rId9"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">See the protocol </w:t></w:r><w:del"#), "{xml}");
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["See the protocol annex now. The visit is on day two."]
    );
}

#[test]
fn nothing_written_returns_the_input_unchanged() {
    let input = package(&para(&["Alpha beta gamma delta."]));
    let out = apply_tracked_changes(
        &input,
        &[edit("x", "Missing sentence here.", 0, "Other.")],
        &Options::default(),
    )
    .unwrap();
    assert_eq!(out.bytes, input);
    assert!(out.applied.is_empty());
    assert_eq!(out.skipped.len(), 1);
    let out = apply_tracked_changes(&input, &[], &Options::default()).unwrap();
    assert_eq!(out.bytes, input);
}

#[test]
fn the_replacement_may_delete_or_rewrite_the_whole_sentence() {
    let body = para(&["Keep this. Drop this sentence entirely. Keep that."]);
    let edits = [edit("d", "Drop this sentence entirely.", 0, "")];
    let out = apply_tracked_changes(&package(&body), &edits, &no_comments()).unwrap();
    assert_eq!(out.applied, vec!["d"]);
    let xml = document(&out.bytes);
    assert_eq!(texts(&xml, View::Accept), vec!["Keep this. Keep that."]);
    let edits = [edit("r", "Keep that.", 0, "Entirely different words!")];
    let out = apply_tracked_changes(&package(&body), &edits, &no_comments()).unwrap();
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec!["Keep this. Drop this sentence entirely. Entirely different words!"]
    );
    assert_eq!(
        texts(&xml, View::Reject),
        vec!["Keep this. Drop this sentence entirely. Keep that."]
    );
}

#[test]
fn table_of_contents_lines_are_not_searched() {
    let toc = r#"<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:r><w:t xml:space="preserve">Safety reporting is required.</w:t></w:r></w:p>"#;
    let body = format!("{toc}{}", para(&["Safety reporting is required."]));
    let input = package(&body);
    let doc = ingest::parse(&input).unwrap();
    let s = doc.sentences().next().unwrap();
    assert_eq!(revise::occurrence_of(&doc, &s.anchor), Some(0));
    let e = edit(
        "s",
        "Safety reporting is required.",
        0,
        "Safety reporting is mandatory.",
    );
    let out = apply_tracked_changes(&input, &[e], &no_comments()).unwrap();
    let xml = document(&out.bytes);
    assert_eq!(
        texts(&xml, View::Accept),
        vec![
            "Safety reporting is required.",
            "Safety reporting is mandatory."
        ]
    );
}

#[test]
fn occurrence_of_points_each_ingest_sentence_at_its_own_place() {
    let cell = |t: &str| format!("<w:tc>{}</w:tc>", para(&[t]));
    let body = format!(
        "{}<w:tbl><w:tr>{}{}</w:tr></w:tbl>{}{}",
        para(&["Repeat me here. Other words. Repeat me here."]),
        cell("Repeat me here."),
        cell("Stop. Repeat me here."),
        para(&["Say Repeat me here. Then stop."]),
        para(&["Repeat me here."]),
    );
    let input = package(&body);
    let doc = ingest::parse(&input).unwrap();
    let targets: Vec<&ingest::Sentence> = doc
        .sentences()
        .filter(|s| s.text == "Repeat me here.")
        .collect();
    assert_eq!(targets.len(), 5);
    for (k, s) in targets.iter().enumerate() {
        let occ = revise::occurrence_of(&doc, &s.anchor).unwrap();
        assert_eq!(occ, k, "{}", s.anchor);
        let e = edit("s", "Repeat me here.", occ, "Repeat me there.");
        let out = apply_tracked_changes(&input, &[e], &no_comments()).unwrap();
        let after = ingest::parse(&out.bytes).unwrap();
        let changed: Vec<String> = after
            .sentences()
            .filter(|x| x.text == "Repeat me there.")
            .map(|x| x.anchor.clone())
            .collect();
        assert_eq!(changed, vec![s.anchor.clone()]);
    }
    assert_eq!(revise::occurrence_of(&doc, "b99.s0"), None);
}
