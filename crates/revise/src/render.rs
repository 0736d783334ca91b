//! Writing the planned edits into the main part: only the runs an edit touches are
//! rewritten, everything else is copied from the input byte for byte.
//!
//! A touched run becomes a sequence of pieces, each a copy of the run's start tag and
//! `w:rPr` around part of its content: unchanged text in a plain `w:r`, deleted text in a
//! `w:r` with `w:delText` inside `w:del`, inserted text in a `w:r` inside `w:ins` (with the
//! formatting of the run it follows), tabs and breaks copied into the piece they fall in.
//! Comment ranges and their reference run sit around the changed words. Every `w:ins`,
//! `w:del` and comment gets its own `w:id`, above every `w:id` in the package.

use crate::plan::{Anchor, Op, Planned};
use crate::scan::{ItemKind, Para, Run};
use crate::xml::escape;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

/// `w:author` and `w:date` of one edit's revisions.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub author: String,
    pub date: String,
}

/// Hands out `w:id`s.
#[derive(Debug)]
pub(crate) struct Ids {
    pub next: u64,
}

impl Ids {
    pub(crate) fn take(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

/// What is written at an anchor.
#[derive(Debug, Clone)]
enum Gen {
    Ins { edit: usize, text: String },
    CommentStart(u64),
    CommentEnd(u64),
}

/// The main part with the edits written. `comment_ids` maps an edit index to the id of
/// its comment.
pub(crate) fn render(
    src: &[u8],
    paras: &[Para],
    planned: &[Planned],
    stamps: &[Stamp],
    comment_ids: &HashMap<usize, u64>,
    ids: &mut Ids,
) -> Vec<u8> {
    let mut by_para: BTreeMap<usize, Vec<&Planned>> = BTreeMap::new();
    for p in planned {
        by_para.entry(p.para).or_default().push(p);
    }
    let mut splices: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    for (pi, plans) in by_para {
        let para = &paras[pi];
        let mut deleted: HashMap<usize, usize> = HashMap::new();
        let mut anchors: BTreeMap<(usize, u8), Vec<Gen>> = BTreeMap::new();
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        for plan in plans {
            let cid = comment_ids.get(&plan.edit).copied();
            let mut put = |a: Anchor, g: Gen, touched: &mut BTreeSet<usize>| {
                touched.insert(para.owner[a.char()]);
                anchors.entry(a.key()).or_default().push(g);
            };
            for (i, op) in plan.ops.iter().enumerate() {
                let first = i == 0;
                let last = i + 1 == plan.ops.len();
                match op {
                    Op::Del(r) => {
                        if first && let Some(c) = cid {
                            put(Anchor::Before(r.start), Gen::CommentStart(c), &mut touched);
                        }
                        for p in r.clone() {
                            deleted.insert(p, plan.edit);
                            touched.insert(para.owner[p]);
                        }
                        if last && let Some(c) = cid {
                            put(Anchor::After(r.end - 1), Gen::CommentEnd(c), &mut touched);
                        }
                    }
                    Op::Ins(a, text) => {
                        if first && let Some(c) = cid {
                            put(*a, Gen::CommentStart(c), &mut touched);
                        }
                        let g = Gen::Ins {
                            edit: plan.edit,
                            text: text.clone(),
                        };
                        put(*a, g, &mut touched);
                        if last && let Some(c) = cid {
                            put(*a, Gen::CommentEnd(c), &mut touched);
                        }
                    }
                }
            }
        }
        for r in touched {
            let run = &para.runs[r];
            let mut w = RunWriter {
                src,
                run,
                stamps,
                ids,
                out: Vec::new(),
                piece: Piece::None,
                body: Vec::new(),
                text: String::new(),
            };
            w.write(&deleted, &anchors);
            splices.push((run.bytes.clone(), w.out));
        }
    }
    splices.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(src.len() + splices.len() * 512);
    let mut at = 0usize;
    for (r, bytes) in splices {
        out.extend_from_slice(&src[at..r.start]);
        out.extend_from_slice(&bytes);
        at = r.end;
    }
    out.extend_from_slice(&src[at..]);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    None,
    Plain,
    Del(usize),
}

struct RunWriter<'a> {
    src: &'a [u8],
    run: &'a Run,
    stamps: &'a [Stamp],
    ids: &'a mut Ids,
    out: Vec<u8>,
    piece: Piece,
    /// Content of the open piece (after its `w:rPr`).
    body: Vec<u8>,
    /// Text of the open piece not yet in `body`.
    text: String,
}

impl RunWriter<'_> {
    fn write(
        &mut self,
        deleted: &HashMap<usize, usize>,
        anchors: &BTreeMap<(usize, u8), Vec<Gen>>,
    ) {
        for item in &self.run.items {
            match &item.kind {
                ItemKind::Text(t) => {
                    for (k, c) in t.chars().enumerate() {
                        let p = item.pos + k;
                        self.anchored(anchors, Anchor::Before(p));
                        self.open(deleted.get(&p).map_or(Piece::Plain, |&e| Piece::Del(e)));
                        self.text.push(c);
                        self.anchored(anchors, Anchor::After(p));
                    }
                }
                ItemKind::Char => {
                    let p = item.pos;
                    self.anchored(anchors, Anchor::Before(p));
                    self.open(deleted.get(&p).map_or(Piece::Plain, |&e| Piece::Del(e)));
                    self.raw(item.bytes.clone());
                    self.anchored(anchors, Anchor::After(p));
                }
                ItemKind::Keep => {
                    self.open(Piece::Plain);
                    self.raw(item.bytes.clone());
                }
                ItemKind::Droppable => {}
            }
        }
        self.close();
    }

    fn anchored(&mut self, anchors: &BTreeMap<(usize, u8), Vec<Gen>>, a: Anchor) {
        let Some(gens) = anchors.get(&a.key()) else {
            return;
        };
        for g in gens {
            self.close();
            match g {
                Gen::Ins { edit, text } => {
                    let id = self.ids.take();
                    self.revision_start("w:ins", id, *edit);
                    self.run_start();
                    text_element(&mut self.out, "w:t", text);
                    self.out.extend_from_slice(b"</w:r></w:ins>");
                }
                Gen::CommentStart(id) => {
                    self.out.extend_from_slice(
                        format!("<w:commentRangeStart w:id=\"{id}\"/>").as_bytes(),
                    );
                }
                Gen::CommentEnd(id) => {
                    self.out.extend_from_slice(
                        format!(
                            "<w:commentRangeEnd w:id=\"{id}\"/><w:r><w:commentReference w:id=\"{id}\"/></w:r>"
                        )
                        .as_bytes(),
                    );
                }
            }
        }
    }

    fn raw(&mut self, bytes: Range<usize>) {
        self.flush_text();
        self.body.extend_from_slice(&self.src[bytes]);
    }

    fn open(&mut self, piece: Piece) {
        if self.piece != piece {
            self.close();
            self.piece = piece;
        }
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let tag = match self.piece {
            Piece::Del(_) => "w:delText",
            _ => "w:t",
        };
        let text = std::mem::take(&mut self.text);
        text_element(&mut self.body, tag, &text);
    }

    fn close(&mut self) {
        self.flush_text();
        let piece = std::mem::replace(&mut self.piece, Piece::None);
        if self.body.is_empty() {
            return;
        }
        let body = std::mem::take(&mut self.body);
        match piece {
            Piece::Del(edit) => {
                let id = self.ids.take();
                self.revision_start("w:del", id, edit);
                self.run_start();
                self.out.extend_from_slice(&body);
                self.out.extend_from_slice(b"</w:r></w:del>");
            }
            Piece::Plain | Piece::None => {
                self.run_start();
                self.out.extend_from_slice(&body);
                self.out.extend_from_slice(b"</w:r>");
            }
        }
    }

    /// The run's own start tag and `w:rPr`, copied.
    fn run_start(&mut self) {
        self.out
            .extend_from_slice(&self.src[self.run.start_tag.clone()]);
        if let Some(r) = &self.run.rpr {
            self.out.extend_from_slice(&self.src[r.clone()]);
        }
    }

    fn revision_start(&mut self, tag: &str, id: u64, edit: usize) {
        let (author, date) = self
            .stamps
            .get(edit)
            .map_or(("", ""), |s| (s.author.as_str(), s.date.as_str()));
        self.out.extend_from_slice(
            format!(
                "<{tag} w:id=\"{id}\" w:author=\"{}\" w:date=\"{}\">",
                escape(author),
                escape(date)
            )
            .as_bytes(),
        );
    }
}

/// `<tag>text</tag>`, escaped, with `xml:space="preserve"` when the text starts or ends
/// with white space.
pub(crate) fn text_element(out: &mut Vec<u8>, tag: &str, text: &str) {
    let preserve = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    out.push(b'<');
    out.extend_from_slice(tag.as_bytes());
    if preserve {
        out.extend_from_slice(b" xml:space=\"preserve\"");
    }
    out.push(b'>');
    out.extend_from_slice(escape(text).as_bytes());
    out.extend_from_slice(b"</");
    out.extend_from_slice(tag.as_bytes());
    out.push(b'>');
}
