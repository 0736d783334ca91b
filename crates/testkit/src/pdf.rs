//! PDF fixtures written with lopdf, shared by the ingest, store and end-to-end tests.
//!
//! Every fixture is built here from text we choose, so each test knows exactly which
//! headings, paragraphs, tables, headers, footers and table-of-contents lines the PDF holds.
//! Fonts: `F1` Helvetica and `F2` Helvetica-Bold (WinAnsiEncoding, every glyph 500/1000 em
//! wide, so the layout below can compute where a string ends), and `F3` a Type0 font
//! (Identity-H) whose only way to Unicode is its `/ToUnicode` CMap, including a CID that maps
//! to the two letters of the "fi" ligature.
// Fixture builders: a failure to serialise is a bug of the fixture, never input.
#![allow(clippy::unwrap_used)]

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// Page width and height (US Letter).
pub const W: f32 = 612.0;
pub const H: f32 = 792.0;

/// One page's drawing operations, collected as text.
#[derive(Debug, Default)]
pub struct Page {
    ops: String,
}

impl Page {
    /// Show `text` in the WinAnsi font `font` (`F1` regular, `F2` bold) at (x, y).
    pub fn text(&mut self, font: &str, size: f32, x: f32, y: f32, text: &str) -> &mut Self {
        let mut lit = String::new();
        for b in win_ansi(text) {
            match b {
                b'(' | b')' | b'\\' => {
                    lit.push('\\');
                    lit.push(b as char);
                }
                32..=126 => lit.push(b as char),
                _ => lit.push_str(&format!("\\{b:03o}")),
            }
        }
        self.ops
            .push_str(&format!("BT /{font} {size} Tf {x} {y} Td ({lit}) Tj ET\n"));
        self
    }

    /// Show `text` through the Type0 font F3 (every char must be in [`TYPE0_CHARS`], or be
    /// the "ﬁ" ligature).
    pub fn type0(&mut self, size: f32, x: f32, y: f32, text: &str) -> &mut Self {
        let mut hex = String::new();
        for c in text.chars() {
            let cid =
                type0_cid(c).unwrap_or_else(|| panic!("{c:?} is not in the Type0 fixture font"));
            hex.push_str(&format!("{cid:04X}"));
        }
        self.ops
            .push_str(&format!("BT /F3 {size} Tf {x} {y} Td <{hex}> Tj ET\n"));
        self
    }

    /// A filled rectangle (drawing only, no text).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) -> &mut Self {
        self.ops.push_str(&format!("0.5 g {x} {y} {w} {h} re f\n"));
        self
    }

    /// Width of `text` at `size` in the fixture's WinAnsi fonts.
    pub fn width(text: &str, size: f32) -> f32 {
        text.chars().count() as f32 * 0.5 * size
    }

    /// Lay out a paragraph of lines at 12 pt, 14 pt apart, from `y` down; returns the next y.
    pub fn lines(&mut self, x: f32, mut y: f32, lines: &[&str]) -> f32 {
        for l in lines {
            self.text("F1", 10.0, x, y, l);
            y -= 13.0;
        }
        y
    }
}

/// Characters the Type0 fixture font can show (CID = index + 1), and the ligature CID.
pub const TYPE0_CHARS: &str = " .,CLIMNPRSTacdefghilmnoprstuvyéï";
const LIGATURE_FI: u16 = 200;

fn type0_cid(c: char) -> Option<u16> {
    if c == 'ﬁ' {
        return Some(LIGATURE_FI);
    }
    TYPE0_CHARS
        .chars()
        .position(|x| x == c)
        .map(|i| i as u16 + 1)
}

fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '’' => 0x92,
            c if (c as u32) < 256 => c as u8,
            _ => b'?',
        })
        .collect()
}

fn to_unicode_cmap() -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let chars: Vec<char> = TYPE0_CHARS.chars().collect();
    s.push_str(&format!("{} beginbfchar\n", chars.len() + 1));
    for (i, c) in chars.iter().enumerate() {
        s.push_str(&format!("<{:04X}> <{:04X}>\n", i + 1, *c as u32));
    }
    s.push_str(&format!("<{LIGATURE_FI:04X}> <00660069>\n"));
    s.push_str("endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// Options for [`build`].
#[derive(Debug, Clone)]
pub struct Options {
    pub title: Option<String>,
    /// Give the Type0 font its /ToUnicode map (without it the text cannot be decoded).
    pub to_unicode: bool,
    /// Compress content streams with Flate.
    pub compress: bool,
    /// Add a Standard security handler that no password opens (arbitrary O and U entries).
    pub locked: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            title: Some("Fixture Protocol".into()),
            to_unicode: true,
            compress: true,
            locked: false,
        }
    }
}

/// Build a PDF from pages.
pub fn build(pages: &[Page], opts: &Options) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let simple = |doc: &mut Document, base: &str| -> ObjectId {
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => base.to_string(),
            "Encoding" => "WinAnsiEncoding",
            "FirstChar" => 32,
            "LastChar" => 255,
            "Widths" => (32..=255).map(|_| Object::Integer(500)).collect::<Vec<_>>(),
        })
    };
    let f1 = simple(&mut doc, "Helvetica");
    let f2 = simple(&mut doc, "Helvetica-Bold");
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "FixtureSans",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "DW" => 500,
    });
    let mut f3 = dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "FixtureSans",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![Object::Reference(cid_font)],
    };
    if opts.to_unicode {
        let cmap = doc.add_object(Stream::new(Dictionary::new(), to_unicode_cmap()));
        f3.set("ToUnicode", cmap);
    }
    let f3 = doc.add_object(f3);
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => f1, "F2" => f2, "F3" => f3 },
    });
    let mut kids = Vec::new();
    for page in pages {
        let mut stream = Stream::new(Dictionary::new(), page.ops.clone().into_bytes());
        if opts.compress {
            stream.compress().unwrap();
        }
        let content = doc.add_object(stream);
        let id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content,
            "Resources" => resources,
        });
        kids.push(Object::Reference(id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "MediaBox" => vec![0.into(), 0.into(), W.into(), H.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if let Some(t) = &opts.title {
        let info = doc.add_object(dictionary! {
            "Title" => Object::string_literal(t.as_str()),
            "Producer" => Object::string_literal("dualcheck test fixtures"),
        });
        doc.trailer.set("Info", info);
    }
    if opts.locked {
        let encrypt = doc.add_object(dictionary! {
            "Filter" => "Standard",
            "V" => 1,
            "R" => 2,
            "Length" => 40,
            "P" => -4,
            "O" => Object::String(vec![0x11; 32], lopdf::StringFormat::Hexadecimal),
            "U" => Object::String(vec![0x22; 32], lopdf::StringFormat::Hexadecimal),
        });
        doc.trailer.set("Encrypt", encrypt);
        let id = Object::String(vec![0x42; 16], lopdf::StringFormat::Hexadecimal);
        doc.trailer.set("ID", vec![id.clone(), id]);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Running header and footer on every page of [`protocol`].
pub const HEADER: &str = "CONFIDENTIAL Protocol ABC-123 Version 2.0";

fn furniture(p: &mut Page, n: usize, of: usize) {
    p.text("F1", 8.0, 72.0, 760.0, HEADER);
    p.text("F1", 8.0, 270.0, 30.0, &format!("Page {n} of {of}"));
}

/// A three-page protocol: title and table of contents, body with headings, a hyphenated
/// paragraph, a bulleted list and a table, then a page in the Type0 font.
pub fn protocol() -> Vec<u8> {
    let n = 4;
    let mut p1 = Page::default();
    furniture(&mut p1, 1, n);
    p1.text("F2", 18.0, 72.0, 700.0, "Clinical Study Protocol");
    p1.text(
        "F1",
        11.0,
        72.0,
        670.0,
        "A Phase 2 Study of Examplumab in Adults with Mild Asthma",
    );
    p1.text("F2", 14.0, 72.0, 600.0, "Table of Contents");
    let toc = [
        ("1 Introduction", "2"),
        ("2 Study Objectives", "2"),
        ("2.1 Primary Objective", "3"),
        ("3 Safety Reporting", "4"),
    ];
    let mut y = 575.0;
    for (title, page) in toc {
        let dots = ".".repeat(60 - title.len());
        p1.text("F1", 10.0, 72.0, y, &format!("{title} {dots} {page}"));
        y -= 16.0;
    }

    let mut p2 = Page::default();
    furniture(&mut p2, 2, n);
    p2.text("F2", 14.0, 72.0, 700.0, "1 Introduction");
    let y = p2.lines(
        72.0,
        675.0,
        &[
            "The study evaluates the safety and tolerabil-",
            "ity of examplumab in adults with mild asthma, e.g. those",
            "using a rescue inhaler. The response rate was 5.6% vs. 3.2%",
            "(p<0.05). Dr. Smith led the review of all results.",
        ],
    );
    p2.text("F2", 14.0, 72.0, y - 20.0, "2 Study Objectives");
    p2.text("F2", 12.0, 72.0, y - 48.0, "2.1 Primary Objective");
    let y = p2.lines(
        72.0,
        y - 70.0,
        &["The primary objective is to compare the rate of asthma exacerbations."],
    );
    p2.text("F1", 10.0, 72.0, y - 8.0, "•");
    p2.text(
        "F1",
        10.0,
        90.0,
        y - 8.0,
        "Participants receive 50 mg once daily.",
    );
    p2.text("F1", 10.0, 72.0, y - 22.0, "•");
    p2.text(
        "F1",
        10.0,
        90.0,
        y - 22.0,
        "No dose may exceed 100 mg per day.",
    );

    let mut p3 = Page::default();
    furniture(&mut p3, 3, n);
    p3.text("F2", 12.0, 72.0, 700.0, "2.2 Exacerbation Rates");
    let rows = [
        ["Group", "Participants", "Rate"],
        ["Placebo", "86", "12.1%"],
        ["Examplumab 50 mg", "84", "7.4%"],
    ];
    let mut y = 670.0;
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            p3.text("F1", 10.0, 72.0 + 170.0 * i as f32, y, cell);
        }
        y -= 14.0;
    }
    p3.lines(
        72.0,
        y - 20.0,
        &["Exacerbations were less frequent with examplumab than with placebo."],
    );

    let mut p4 = Page::default();
    furniture(&mut p4, 4, n);
    p4.text("F2", 14.0, 72.0, 700.0, "3 Safety Reporting");
    p4.type0(10.0, 72.0, 675.0, "The ﬁnal safety data are reported in");
    p4.type0(10.0, 72.0, 662.0, "the Café Study naïve cohort.");
    build(&[p1, p2, p3, p4], &Options::default())
}

/// A one-page PDF without document information: each line is `(text, size, bold)`, drawn
/// top-down 24 pt apart from y = 700 at x = 72 (a larger bold line reads as a heading).
pub fn styled_pdf(lines: &[(&str, f32, bool)]) -> Vec<u8> {
    let mut page = Page::default();
    let mut y = 700.0;
    for (text, size, bold) in lines {
        page.text(if *bold { "F2" } else { "F1" }, *size, 72.0, y, text);
        y -= 24.0;
    }
    build(&[page], &plain())
}

/// A one-page PDF without document information: `lines` in 12 pt regular, 14 pt apart from
/// y = 720 (one paragraph per line when each ends a sentence).
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut page = Page::default();
    let mut y = 720.0;
    for l in lines {
        page.text("F1", 12.0, 72.0, y, l);
        y -= 14.0;
    }
    build(&[page], &plain())
}

fn plain() -> Options {
    Options {
        title: None,
        compress: false,
        ..Options::default()
    }
}
