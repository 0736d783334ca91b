//! DOCX fixtures built with docx-rs's writer, shared by the ingest, rule-engine and
//! end-to-end tests.

use docx_rs::{
    AbstractNumbering, Comment, Delete, Docx, Footer, Footnote, Header, IndentLevel, Insert, Level,
    LevelJc, LevelText, NumberFormat, Numbering, NumberingId, Paragraph, Run, Start, Style,
    StyleType, Table, TableCell, TableRow,
};

fn level(i: usize, fmt: &str, text: &str) -> Level {
    Level::new(
        i,
        Start::new(1),
        NumberFormat::new(fmt),
        LevelText::new(text),
        LevelJc::new("left"),
    )
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text))
}

fn cell(text: &str) -> TableCell {
    TableCell::new().add_paragraph(para(text))
}

/// Pack a docx-rs document into bytes.
pub fn pack(docx: Docx) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut buf)
        .expect("docx-rs packs the fixture");
    buf.into_inner()
}

/// A small clinical protocol exercising every DOCX feature the back-end reads.
pub fn protocol() -> Vec<u8> {
    let styles = [
        ("Title", "Title"),
        ("Heading1", "heading 1"),
        ("Heading2", "heading 2"),
        ("Heading3", "heading 3"),
        ("TOC1", "toc 1"),
        ("TOC2", "toc 2"),
    ];
    let mut docx = Docx::new();
    for (id, name) in styles {
        docx = docx.add_style(Style::new(id, StyleType::Paragraph).name(name));
    }
    // A custom style based on Heading 2 is a level-2 heading too.
    docx = docx.add_style(
        Style::new("ProtocolSection", StyleType::Paragraph)
            .name("Protocol Section")
            .based_on("Heading2"),
    );
    docx = docx
        // 1: heading numbering "1." / "1.1"
        .add_abstract_numbering(
            AbstractNumbering::new(1)
                .add_level(level(0, "decimal", "%1."))
                .add_level(level(1, "decimal", "%1.%2")),
        )
        .add_numbering(Numbering::new(1, 1))
        // 2: a numbered list "1." / "a)"
        .add_abstract_numbering(
            AbstractNumbering::new(2)
                .add_level(level(0, "decimal", "%1."))
                .add_level(level(1, "lowerLetter", "%2)")),
        )
        .add_numbering(Numbering::new(2, 2))
        // 3: a bullet list (Symbol font bullet, as Word writes it)
        .add_abstract_numbering(
            AbstractNumbering::new(3)
                .add_level(level(0, "bullet", "\u{F0B7}"))
                .add_level(level(1, "bullet", "o")),
        )
        .add_numbering(Numbering::new(3, 3));

    let mut footnote = Footnote::new();
    let footnote = footnote.add_content(para("Data on file, Sponsor Study Report 2021."));

    docx = docx
        .header(Header::new().add_paragraph(para("Protocol XAN-301 Confidential")))
        .footer(Footer::new().add_paragraph(para("Version 2.0 Final")))
        .add_paragraph(para("A Phase 3 Study of Xanomeline").style("Title"))
        .add_paragraph(para("1. Introduction\t3").style("TOC1"))
        .add_paragraph(para("1.1 Background\t4").style("TOC2"))
        .add_paragraph(
            para("Introduction")
                .style("Heading1")
                .numbering(NumberingId::new(1), IndentLevel::new(0)),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text(
                    "Xanomeline is a muscarinic agonist, e.g. at M1 and M4 receptors. \
                     The mean age was 74.5 years vs. 73.9 years in the placebo arm. \
                     Dr. Smith reviewed the data.",
                ))
                .add_run(Run::new().add_footnote_reference(footnote)),
        )
        .add_paragraph(
            para("Background")
                .style("Heading2")
                .numbering(NumberingId::new(1), IndentLevel::new(1)),
        )
        .add_paragraph(
            Paragraph::new()
                .add_comment_start(
                    Comment::new(1)
                        .author("QA Reviewer")
                        .date("2024-03-01T10:00:00Z")
                        .add_paragraph(para("Please cite the source of the dose.")),
                )
                .add_run(Run::new().add_text("Patients received 75 mg daily."))
                .add_comment_end(1),
        )
        .add_paragraph(para("3.4.2.1 Inclusion Criteria").style("Heading3"))
        .add_paragraph(
            para("Age 65 years or older.").numbering(NumberingId::new(2), IndentLevel::new(0)),
        )
        .add_paragraph(
            para("Mild to moderate disease.").numbering(NumberingId::new(2), IndentLevel::new(0)),
        )
        .add_paragraph(
            para("MMSE score 10 to 23.").numbering(NumberingId::new(2), IndentLevel::new(1)),
        )
        .add_paragraph(
            para("Written informed consent.").numbering(NumberingId::new(2), IndentLevel::new(0)),
        )
        .add_paragraph(para("Study Procedures").style("ProtocolSection"))
        .add_paragraph(
            para("Vital signs at each visit.").numbering(NumberingId::new(3), IndentLevel::new(0)),
        )
        .add_paragraph(
            para("ECG at screening.").numbering(NumberingId::new(3), IndentLevel::new(1)),
        )
        .add_table(Table::new(vec![
            TableRow::new(vec![cell("Arm"), cell("N"), cell("Dose")]),
            TableRow::new(vec![cell("Placebo"), cell("86"), cell("0 mg")]),
            TableRow::new(vec![
                cell("Xanomeline"),
                cell("84"),
                TableCell::new()
                    .add_paragraph(para("75 mg"))
                    .add_paragraph(para("once daily")),
            ]),
        ]))
        .add_paragraph(para("Safety Notes").outline_lvl(0))
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("The dose was "))
                .add_delete(
                    Delete::new()
                        .author("Medical Writer")
                        .date("2024-03-02T09:00:00Z")
                        .add_run(Run::new().add_delete_text("50 mg")),
                )
                .add_insert(
                    Insert::new(Run::new().add_text("75 mg"))
                        .author("Medical Writer")
                        .date("2024-03-02T09:00:00Z"),
                )
                .add_run(Run::new().add_text(" per day.")),
        );
    pack(docx)
}

/// A document of plain paragraphs (no styles), one per item of `paragraphs`.
pub fn paragraphs(paragraphs: &[&str]) -> Vec<u8> {
    let mut docx = Docx::new();
    for p in paragraphs {
        docx = docx.add_paragraph(para(p));
    }
    pack(docx)
}

/// A document of numbered sections: each `(level, heading, paragraphs)` is a heading of
/// style Heading 1 or Heading 2 numbered by Word's list numbering ("1", "1.1": the number
/// is not in the heading's text) followed by its paragraphs.
pub fn outline(sections: &[(usize, &str, &[&str])]) -> Vec<u8> {
    let mut docx = Docx::new()
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("heading 1"))
        .add_style(Style::new("Heading2", StyleType::Paragraph).name("heading 2"))
        .add_abstract_numbering(
            AbstractNumbering::new(1)
                .add_level(level(0, "decimal", "%1"))
                .add_level(level(1, "decimal", "%1.%2")),
        )
        .add_numbering(Numbering::new(1, 1));
    for (depth, heading, paragraphs) in sections {
        let depth = (*depth).clamp(1, 2);
        docx = docx.add_paragraph(
            para(heading)
                .style(&format!("Heading{depth}"))
                .numbering(NumberingId::new(1), IndentLevel::new(depth - 1)),
        );
        for p in *paragraphs {
            docx = docx.add_paragraph(para(p));
        }
    }
    pack(docx)
}
