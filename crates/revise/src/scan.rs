//! The main document part read once into [`Para`]graphs: their text as ingest reads it,
//! the run each character comes from, and what sits between the characters.
//!
//! Text (the accepted view of tracked changes, as in ingest): the `w:t` of every run of the
//! paragraph, through hyperlinks, content controls, simple fields, smart tags and
//! insertions; `w:tab`/`w:ptab` are a tab and `w:br`/`w:cr` a line break; deletions
//! (`w:del`, `w:moveFrom`), field codes (between a field's `begin` and `separate`), and
//! text boxes, drawings and equations are not text. Paragraphs inside text boxes are not
//! body paragraphs.
//!
//! Whatever could make an edit unsafe is recorded as a [`Hazard`] at its character
//! position (zero-width markers) or on the run (its container chain, a formatting change).

use crate::ReviseError;
use crate::SkipReason;
use crate::xml::{W_NS, Xml, attr};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashSet;
use std::ops::Range;

/// Most fields open at once that are tracked (hostile input guard, as in ingest).
const MAX_FIELD_DEPTH: usize = 64;

/// Something an edit must not cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hazard {
    Field,
    Hyperlink,
    ContentControl,
    TextBox,
    Bookmark,
    Revision,
    NonText,
    Unsupported,
}

impl Hazard {
    pub(crate) fn reason(self) -> SkipReason {
        match self {
            Hazard::Field => SkipReason::Field,
            Hazard::Hyperlink => SkipReason::Hyperlink,
            Hazard::ContentControl => SkipReason::ContentControl,
            Hazard::TextBox => SkipReason::TextBox,
            Hazard::Bookmark => SkipReason::Bookmark,
            Hazard::Revision => SkipReason::ExistingRevision,
            Hazard::NonText => SkipReason::NonTextContent,
            Hazard::Unsupported => SkipReason::UnsupportedMarkup,
        }
    }
}

/// An element between the paragraph and a run (`w:hyperlink`, `w:sdt`, `w:ins`, ...):
/// its kind as a hazard and an id telling two instances apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Container {
    pub kind: Hazard,
    pub id: usize,
}

/// What a child of a run is, for rewriting the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// A `w:t` and its decoded text (one char of the paragraph text per char).
    Text(String),
    /// `w:tab`, `w:ptab`, `w:br` or `w:cr`: one char, copied as it was.
    Char,
    /// Zero width, copied as it was (a footnote reference outside the edited span, a
    /// field character, a text in a field code).
    Keep,
    /// Zero width and without meaning once the run is split (`w:lastRenderedPageBreak`,
    /// an empty `w:t`): left out of a rewritten run.
    Droppable,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: ItemKind,
    /// Bytes of the element in the part.
    pub bytes: Range<usize>,
    /// Paragraph-text position of its first char (or where it sits, if zero width).
    pub pos: usize,
}

/// One `w:r`.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// The whole element, start tag to end tag.
    pub bytes: Range<usize>,
    pub start_tag: Range<usize>,
    pub rpr: Option<Range<usize>>,
    pub items: Vec<Item>,
    /// Containers from the paragraph down to the run.
    pub containers: Vec<Container>,
    /// Its `w:rPr` holds a `w:rPrChange` (a tracked formatting change).
    pub rpr_change: bool,
}

/// One body paragraph.
#[derive(Debug, Clone, Default)]
pub(crate) struct Para {
    /// Paragraph text, not collapsed.
    pub text: Vec<char>,
    /// For each char of `text`, the index of its run in `runs`.
    pub owner: Vec<usize>,
    /// For each char of `text`, whether it is inside a field (a field's result).
    pub in_field: Vec<bool>,
    /// Zero-width hazards at text positions, in document order.
    pub markers: Vec<(usize, Hazard)>,
    pub runs: Vec<Run>,
    /// A table-of-contents line (TOC style or inside a TOC field): ingest keeps those out
    /// of the body, so they are not searched.
    pub toc: bool,
}

impl Para {
    fn mark(&mut self, h: Hazard) {
        self.markers.push((self.text.len(), h));
    }
}

#[derive(Debug, Default)]
struct Field {
    code: String,
    separated: bool,
}

struct Scanner<'a> {
    x: Xml<'a>,
    fields: Vec<Field>,
    /// Ids of Word's `_GoBack` bookmark (its last edit position, without meaning).
    goback: HashSet<String>,
    next_container: usize,
}

/// Read the paragraphs of the main document part `part`.
pub(crate) fn scan(part: &str, bytes: &[u8]) -> Result<Vec<Para>, ReviseError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReviseError::Unsupported {
            reason: format!("the part {part} is encoded in UTF-16"),
        });
    }
    let mut s = Scanner {
        x: Xml::new(part, bytes),
        fields: Vec::new(),
        goback: HashSet::new(),
        next_container: 0,
    };
    s.body()
}

impl<'a> Scanner<'a> {
    fn body(&mut self) -> Result<Vec<Para>, ReviseError> {
        let mut paras = Vec::new();
        let mut root = false;
        loop {
            let (ev, _) = self.x.next()?;
            match ev {
                Event::Start(e) if !root => {
                    check_root(self.x.part(), &e)?;
                    root = true;
                }
                Event::Empty(e) if !root => {
                    check_root(self.x.part(), &e)?;
                    root = true;
                }
                Event::Start(e) => match e.name().as_ref() {
                    b"w:p" => paras.push(self.paragraph()?),
                    // Both branches of a block-level alternate hold the same content.
                    b"mc:AlternateContent" => {
                        self.x.skip(|_| {})?;
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        if !root {
            return Err(self.x.error("the part holds no XML element"));
        }
        Ok(paras)
    }

    fn in_code(&self) -> bool {
        self.fields.iter().any(|f| !f.separated)
    }

    fn in_toc(&self) -> bool {
        self.fields.iter().any(|f| {
            let code = f.code.trim_start();
            code.get(..3).is_some_and(|c| c.eq_ignore_ascii_case("TOC"))
        })
    }

    fn open(&mut self, p: &mut Para, stack: &mut Vec<Option<Container>>, kind: Hazard) {
        p.mark(kind);
        self.next_container += 1;
        stack.push(Some(Container {
            kind,
            id: self.next_container,
        }));
    }

    fn paragraph(&mut self) -> Result<Para, ReviseError> {
        let mut p = Para {
            toc: self.in_toc(),
            ..Para::default()
        };
        let mut stack: Vec<Option<Container>> = Vec::new();
        loop {
            let (ev, range) = self.x.next()?;
            match ev {
                Event::Start(e) => match e.name().as_ref() {
                    b"w:r" => {
                        let containers = stack.iter().flatten().copied().collect();
                        self.run(&mut p, containers, range)?;
                    }
                    b"w:pPr" => {
                        let mut style = None;
                        self.x.skip(|e| {
                            if e.name().as_ref() == b"w:pStyle" {
                                style = attr(e, b"w:val");
                            }
                        })?;
                        if style.is_some_and(|s| {
                            s.get(..3).is_some_and(|c| c.eq_ignore_ascii_case("TOC"))
                        }) {
                            p.toc = true;
                        }
                    }
                    b"w:hyperlink" => self.open(&mut p, &mut stack, Hazard::Hyperlink),
                    b"w:sdt" => self.open(&mut p, &mut stack, Hazard::ContentControl),
                    b"w:fldSimple" => self.open(&mut p, &mut stack, Hazard::Field),
                    b"w:ins" | b"w:moveTo" => self.open(&mut p, &mut stack, Hazard::Revision),
                    b"w:smartTag" | b"w:customXml" | b"w:dir" | b"w:bdo" => {
                        self.open(&mut p, &mut stack, Hazard::Unsupported)
                    }
                    b"w:sdtContent" => stack.push(None),
                    b"w:sdtPr"
                    | b"w:sdtEndPr"
                    | b"w:smartTagPr"
                    | b"w:customXmlPr"
                    | b"w:proofErr"
                    | b"w:permStart"
                    | b"w:permEnd"
                    | b"w:commentRangeStart"
                    | b"w:commentRangeEnd" => {
                        self.x.skip(|_| {})?;
                    }
                    b"w:bookmarkStart" | b"w:bookmarkEnd" => {
                        self.bookmark(&mut p, &e);
                        self.x.skip(|_| {})?;
                    }
                    name => {
                        let h = paragraph_child_hazard(name);
                        self.x.skip(|_| {})?;
                        p.mark(h);
                    }
                },
                Event::Empty(e) => match e.name().as_ref() {
                    b"w:r"
                    | b"w:pPr"
                    | b"w:proofErr"
                    | b"w:permStart"
                    | b"w:permEnd"
                    | b"w:commentRangeStart"
                    | b"w:commentRangeEnd"
                    | b"w:sdtContent" => {}
                    b"w:bookmarkStart" | b"w:bookmarkEnd" => self.bookmark(&mut p, &e),
                    b"w:hyperlink" => p.mark(Hazard::Hyperlink),
                    b"w:sdt" => p.mark(Hazard::ContentControl),
                    b"w:fldSimple" => p.mark(Hazard::Field),
                    b"w:ins" | b"w:moveTo" => p.mark(Hazard::Revision),
                    name => p.mark(paragraph_child_hazard(name)),
                },
                Event::End(_) => match stack.pop() {
                    Some(Some(c)) => p.mark(c.kind),
                    Some(None) => {}
                    None => return Ok(p),
                },
                _ => {}
            }
        }
    }

    fn bookmark(&mut self, p: &mut Para, e: &BytesStart<'_>) {
        let id = attr(e, b"w:id").unwrap_or_default();
        if e.name().as_ref() == b"w:bookmarkStart" {
            if attr(e, b"w:name").as_deref() == Some("_GoBack") {
                self.goback.insert(id);
                return;
            }
        } else if self.goback.contains(&id) {
            return;
        }
        p.mark(Hazard::Bookmark);
    }

    fn field_char(&mut self, kind: Option<String>) {
        match kind.as_deref() {
            Some("begin") if self.fields.len() < MAX_FIELD_DEPTH => {
                self.fields.push(Field::default())
            }
            Some("separate") => {
                if let Some(f) = self.fields.last_mut() {
                    f.separated = true;
                }
            }
            Some("end") => {
                self.fields.pop();
            }
            _ => {}
        }
    }

    fn run(
        &mut self,
        p: &mut Para,
        containers: Vec<Container>,
        start_tag: Range<usize>,
    ) -> Result<(), ReviseError> {
        let index = p.runs.len();
        let mut run = Run {
            bytes: start_tag.clone(),
            start_tag,
            rpr: None,
            items: Vec::new(),
            containers,
            rpr_change: false,
        };
        loop {
            let (ev, range) = self.x.next()?;
            match ev {
                Event::Start(e) => match e.name().as_ref() {
                    b"w:t" => {
                        let (text, end) = self.x.text()?;
                        self.text(p, &mut run, index, text, range.start..end);
                    }
                    b"w:rPr" => {
                        let mut change = false;
                        let end = self
                            .x
                            .skip(|e| change |= e.name().as_ref() == b"w:rPrChange")?;
                        run.rpr_change |= change;
                        if run.rpr.is_none() {
                            run.rpr = Some(range.start..end);
                        }
                    }
                    b"w:instrText" => {
                        let (code, end) = self.x.text()?;
                        if let Some(f) = self.fields.last_mut()
                            && !f.separated
                            && f.code.len() < 4096
                        {
                            f.code.push_str(&code);
                        }
                        if self.in_toc() {
                            p.toc = true;
                        }
                        keep(p, &mut run, Hazard::Field, range.start..end);
                    }
                    b"w:fldChar" => {
                        let kind = attr(&e, b"w:fldCharType");
                        let end = self.x.skip(|_| {})?;
                        self.field_char(kind);
                        keep(p, &mut run, Hazard::Field, range.start..end);
                    }
                    name => {
                        let name = name.to_vec();
                        let end = self.x.skip(|_| {})?;
                        self.run_child(p, &mut run, index, &name, range.start..end);
                    }
                },
                Event::Empty(e) => match e.name().as_ref() {
                    b"w:rPr" => {
                        if run.rpr.is_none() {
                            run.rpr = Some(range);
                        }
                    }
                    b"w:fldChar" => {
                        self.field_char(attr(&e, b"w:fldCharType"));
                        keep(p, &mut run, Hazard::Field, range);
                    }
                    name => {
                        let name = name.to_vec();
                        self.run_child(p, &mut run, index, &name, range);
                    }
                },
                Event::End(_) => {
                    run.bytes = run.bytes.start..range.end;
                    p.runs.push(run);
                    return Ok(());
                }
                _ => {}
            }
        }
    }

    /// A child of a run other than `w:t`, `w:rPr`, `w:instrText` and `w:fldChar`.
    fn run_child(
        &mut self,
        p: &mut Para,
        run: &mut Run,
        index: usize,
        name: &[u8],
        bytes: Range<usize>,
    ) {
        let c = match name {
            b"w:tab" | b"w:ptab" => '\t',
            b"w:br" | b"w:cr" => '\n',
            b"w:lastRenderedPageBreak" | b"w:t" => {
                run.items.push(Item {
                    kind: ItemKind::Droppable,
                    bytes,
                    pos: p.text.len(),
                });
                return;
            }
            b"w:drawing" | b"w:pict" | b"mc:AlternateContent" | b"w:txbxContent" => {
                return keep(p, run, Hazard::TextBox, bytes);
            }
            b"w:delText" | b"w:delInstrText" => return keep(p, run, Hazard::Revision, bytes),
            _ => return keep(p, run, Hazard::NonText, bytes),
        };
        if self.in_code() {
            return keep(p, run, Hazard::Field, bytes);
        }
        run.items.push(Item {
            kind: ItemKind::Char,
            bytes,
            pos: p.text.len(),
        });
        self.push_char(p, index, c);
    }

    fn text(
        &mut self,
        p: &mut Para,
        run: &mut Run,
        index: usize,
        text: String,
        bytes: Range<usize>,
    ) {
        if self.in_code() {
            return keep(p, run, Hazard::Field, bytes);
        }
        let pos = p.text.len();
        for c in text.chars() {
            self.push_char(p, index, c);
        }
        run.items.push(Item {
            kind: ItemKind::Text(text),
            bytes,
            pos,
        });
    }

    fn push_char(&self, p: &mut Para, index: usize, c: char) {
        p.text.push(c);
        p.owner.push(index);
        p.in_field.push(!self.fields.is_empty());
    }
}

/// A zero-width child of a run, copied as it is, with its hazard at its position.
fn keep(p: &mut Para, run: &mut Run, h: Hazard, bytes: Range<usize>) {
    p.mark(h);
    run.items.push(Item {
        kind: ItemKind::Keep,
        bytes,
        pos: p.text.len(),
    });
}

/// The hazard of a paragraph-level element that is not a run or a known container.
fn paragraph_child_hazard(name: &[u8]) -> Hazard {
    match name {
        b"w:del"
        | b"w:moveFrom"
        | b"w:moveFromRangeStart"
        | b"w:moveFromRangeEnd"
        | b"w:moveToRangeStart"
        | b"w:moveToRangeEnd"
        | b"w:customXmlInsRangeStart"
        | b"w:customXmlInsRangeEnd"
        | b"w:customXmlDelRangeStart"
        | b"w:customXmlDelRangeEnd" => Hazard::Revision,
        b"mc:AlternateContent" | b"w:pict" | b"w:drawing" | b"w:txbxContent" => Hazard::TextBox,
        b"w:object" => Hazard::NonText,
        _ => Hazard::Unsupported,
    }
}

fn check_root(part: &str, e: &BytesStart<'_>) -> Result<(), ReviseError> {
    if e.name().as_ref() != b"w:document" {
        return Err(ReviseError::Unsupported {
            reason: format!(
                "the main part {part} has the root <{}>, not <w:document>",
                String::from_utf8_lossy(e.name().as_ref())
            ),
        });
    }
    match attr(e, b"xmlns:w") {
        Some(ns) if ns == W_NS => Ok(()),
        Some(ns) => Err(ReviseError::Unsupported {
            reason: format!(
                "the main part binds w: to {ns} (Strict Open XML); save it as a Word Document (.docx)"
            ),
        }),
        None => Err(ReviseError::Unsupported {
            reason: format!("the main part {part} does not declare the w: namespace on its root"),
        }),
    }
}
