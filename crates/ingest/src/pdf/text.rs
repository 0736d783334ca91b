//! Content-stream interpretation: the text operators of one page (and of the form
//! XObjects it draws) become positioned text fragments.
//!
//! Positions are in default user space (points, y up). A fragment is a run of glyphs on one
//! baseline with no gap wider than [`CELL_GAP`] font sizes; word spaces are inferred where
//! the gap between two glyphs exceeds [`SPACE_GAP`] font sizes (as well as kept where the PDF
//! draws a space glyph).

use super::fonts::{FontInfo, deref};
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;

/// A gap wider than this many font sizes starts a new fragment (a column or table cell).
pub(crate) const CELL_GAP: f32 = 1.5;
/// A gap wider than this many font sizes is a word space.
pub(crate) const SPACE_GAP: f32 = 0.15;
/// Operations interpreted per page, at most: a guard against pathological streams.
const MAX_OPS_PER_PAGE: usize = 2_000_000;
/// Form XObjects nested deeper than this are not followed.
const MAX_FORM_DEPTH: usize = 8;
/// Largest decompressed content stream read.
pub(crate) const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Fragment {
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
    bold_chars: u32,
    chars: u32,
    pending_space: bool,
}

impl Fragment {
    pub fn bold(&self) -> bool {
        self.chars > 0 && self.bold_chars * 2 > self.chars
    }
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

#[derive(Clone, Copy)]
struct TextState {
    font: Option<usize>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
}

#[derive(Clone, Copy)]
struct GState {
    ctm: Matrix,
    ts: TextState,
}

/// Fonts of the whole document, decoded once and shared by every page.
#[derive(Debug, Default)]
pub(crate) struct FontCache<'a> {
    fonts: Vec<FontInfo<'a>>,
    by_id: HashMap<ObjectId, usize>,
    pub undecodable_fonts: usize,
}

impl<'a> FontCache<'a> {
    fn font_index(&mut self, doc: &'a Document, obj: &'a Object) -> Option<usize> {
        match obj {
            Object::Reference(id) => {
                if let Some(i) = self.by_id.get(id) {
                    return Some(*i);
                }
                let dict = doc.get_object(*id).ok()?.as_dict().ok()?;
                let i = self.push(FontInfo::new(doc, dict));
                self.by_id.insert(*id, i);
                Some(i)
            }
            Object::Dictionary(dict) => Some(self.push(FontInfo::new(doc, dict))),
            _ => None,
        }
    }

    fn push(&mut self, f: FontInfo<'a>) -> usize {
        if f.undecodable {
            self.undecodable_fonts += 1;
        }
        self.fonts.push(f);
        self.fonts.len() - 1
    }
}

/// What may still be decoded from the document's compressed content streams (shared by
/// every page; each decoding counts, so a form drawn on every page counts each time).
#[derive(Debug)]
pub(crate) struct DecodeBudget {
    left: u64,
    /// Set once a stream did not fit: the caller stops with an error.
    pub exceeded: bool,
}

impl DecodeBudget {
    pub fn new(limit: u64) -> Self {
        Self {
            left: limit,
            exceeded: false,
        }
    }

    /// Decode `stream` within the budget (and the per-stream cap): `None` when it cannot
    /// be decoded, or is over what is left (then `exceeded` is set).
    fn decode(&mut self, stream: &lopdf::Stream) -> Option<Vec<u8>> {
        if self.exceeded {
            return None;
        }
        let cap = self.left.min(MAX_STREAM_BYTES as u64);
        match stream.decompressed_content_with_limit(cap as usize) {
            Ok(data) => {
                self.left -= (data.len() as u64).min(self.left);
                Some(data)
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) if cap < MAX_STREAM_BYTES as u64 => {
                self.exceeded = true;
                None
            }
            Err(_) => None,
        }
    }
}

/// Interprets one page's content.
pub(crate) struct PageReader<'d, 'c> {
    doc: &'d Document,
    fonts: &'c mut FontCache<'d>,
    budget: &'c mut DecodeBudget,
    pub fragments: Vec<Fragment>,
    ops: usize,
    pub truncated: bool,
}

impl<'d, 'c> PageReader<'d, 'c> {
    pub fn new(
        doc: &'d Document,
        fonts: &'c mut FontCache<'d>,
        budget: &'c mut DecodeBudget,
    ) -> Self {
        Self {
            doc,
            fonts,
            budget,
            fragments: Vec::new(),
            ops: 0,
            truncated: false,
        }
    }

    /// Read the page's content streams with its (inherited) resources.
    pub fn read_page(&mut self, page_id: ObjectId) {
        let doc = self.doc;
        let resources = page_resources(doc, page_id);
        let mut content = Vec::new();
        for id in doc.get_page_contents(page_id) {
            if let Ok(stream) = doc.get_object(id).and_then(Object::as_stream)
                && let Some(data) = self.budget.decode(stream)
            {
                content.extend_from_slice(&data);
                content.push(b'\n');
            }
        }
        let gs = GState {
            ctm: IDENTITY,
            ts: TextState {
                font: None,
                size: 0.0,
                char_spacing: 0.0,
                word_spacing: 0.0,
                h_scale: 1.0,
                leading: 0.0,
                rise: 0.0,
            },
        };
        self.run(&content, &resources, gs, 0);
    }

    fn run(&mut self, content: &[u8], resources: &[&'d Dictionary], mut gs: GState, depth: usize) {
        let doc = self.doc;
        let mut stack: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut local_fonts: HashMap<Vec<u8>, Option<usize>> = HashMap::new();
        for op in Content::decode_iter(content) {
            let Ok(op) = op else { break };
            self.ops += 1;
            if self.ops > MAX_OPS_PER_PAGE {
                self.truncated = true;
                return;
            }
            let Operation { operator, operands } = op;
            let num = |i: usize| {
                operands
                    .get(i)
                    .and_then(|o| o.as_float().ok())
                    .unwrap_or(0.0)
            };
            match operator.as_str() {
                "q" if stack.len() < 256 => {
                    stack.push(gs);
                }
                "Q" => {
                    if let Some(g) = stack.pop() {
                        gs = g;
                    }
                }
                "cm" => {
                    let m = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    gs.ctm = mul(&m, &gs.ctm);
                }
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    let name = operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .unwrap_or(b"");
                    let idx = match local_fonts.get(name) {
                        Some(i) => *i,
                        None => {
                            let i = find_resource(doc, resources, b"Font", name)
                                .and_then(|o| self.fonts.font_index(doc, o));
                            local_fonts.insert(name.to_vec(), i);
                            i
                        }
                    };
                    gs.ts.font = idx;
                    gs.ts.size = num(1);
                }
                "Tc" => gs.ts.char_spacing = num(0),
                "Tw" => gs.ts.word_spacing = num(0),
                "Tz" => gs.ts.h_scale = num(0) / 100.0,
                "TL" => gs.ts.leading = num(0),
                "Ts" => gs.ts.rise = num(0),
                "Td" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "TD" => {
                    gs.ts.leading = -num(1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.ts.leading], &tlm);
                    tm = tlm;
                }
                "Tj" => {
                    if let Some(Ok(s)) = operands.first().map(Object::as_str) {
                        self.show(s, &gs, &mut tm);
                    }
                }
                "'" | "\"" => {
                    if operator == "\"" {
                        gs.ts.word_spacing = num(0);
                        gs.ts.char_spacing = num(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.ts.leading], &tlm);
                    tm = tlm;
                    if let Some(Ok(s)) = operands.last().map(Object::as_str) {
                        self.show(s, &gs, &mut tm);
                    }
                }
                "TJ" => {
                    if let Some(Ok(items)) = operands.first().map(Object::as_array) {
                        for item in items {
                            match item {
                                Object::String(s, _) => self.show(s, &gs, &mut tm),
                                other => {
                                    if let Ok(n) = other.as_float() {
                                        let tx = -n / 1000.0 * gs.ts.size * gs.ts.h_scale;
                                        tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                    }
                                }
                            }
                        }
                    }
                }
                "Do" if depth < MAX_FORM_DEPTH => {
                    let name = operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .unwrap_or(b"");
                    if let Some(Object::Reference(id)) =
                        find_resource(doc, resources, b"XObject", name)
                        && let Ok(form) = doc.get_object(*id).and_then(Object::as_stream)
                        && form.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form")
                        && let Some(data) = self.budget.decode(form)
                    {
                        let mut inner = gs;
                        if let Ok(m) = form.dict.get(b"Matrix").and_then(Object::as_array)
                            && m.len() == 6
                        {
                            let m: Vec<f32> =
                                m.iter().map(|o| o.as_float().unwrap_or(0.0)).collect();
                            inner.ctm = mul(&[m[0], m[1], m[2], m[3], m[4], m[5]], &gs.ctm);
                        }
                        let mut res: Vec<&'d Dictionary> = Vec::new();
                        if let Some(r) = deref(doc, form.dict.get(b"Resources").ok())
                            .and_then(|o| o.as_dict().ok())
                        {
                            res.push(r);
                        }
                        res.extend_from_slice(resources);
                        self.run(&data, &res, inner, depth + 1);
                        if self.truncated {
                            return;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn show(&mut self, bytes: &[u8], gs: &GState, tm: &mut Matrix) {
        let Some(fi) = gs.ts.font else { return };
        let ts = gs.ts;
        let font = &self.fonts.fonts[fi];
        let bold = font.bold;
        if font.undecodable {
            return;
        }
        let mut buf = String::new();
        let mut glyphs: Vec<(usize, usize, f32, f32, f32, f32)> = Vec::new();
        let base = mul(tm, &gs.ctm);
        let scale = (base[2] * base[2] + base[3] * base[3]).sqrt();
        font.for_each_glyph(bytes, |text, w, is_space| {
            let m = mul(tm, &gs.ctm);
            let x = ts.rise * m[2] + m[4];
            let y = ts.rise * m[3] + m[5];
            let mut tx = w / 1000.0 * ts.size + ts.char_spacing;
            if is_space {
                tx += ts.word_spacing;
            }
            tx *= ts.h_scale;
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
            let x_end = x + tx * m[0];
            let s = buf.len();
            buf.push_str(text);
            glyphs.push((s, buf.len(), x, x_end, y, ts.size * scale));
        });
        for (s, e, x, x_end, y, size) in glyphs {
            self.push_glyph(&buf[s..e], x, x_end, y, size, bold);
        }
    }

    fn push_glyph(&mut self, text: &str, x: f32, x_end: f32, y: f32, size: f32, bold: bool) {
        let size = if size.is_finite() && size > 0.1 {
            size
        } else {
            1.0
        };
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let is_space = text.chars().all(char::is_whitespace);
        if let Some(f) = self.fragments.last_mut() {
            let tol = 0.35 * f.size.max(size);
            let gap = x - f.x1;
            if (y - f.y).abs() < tol && gap > -0.6 * size && gap < CELL_GAP * size {
                if is_space {
                    // Remember the space but not its advance: word spacing (Tw) and kerning
                    // after it may move the pen back, and the next word still follows.
                    f.pending_space = true;
                    return;
                }
                if (f.pending_space || gap > SPACE_GAP * size) && !f.text.ends_with(' ') {
                    f.text.push(' ');
                }
                f.pending_space = false;
                f.text.push_str(text);
                f.x1 = f.x1.max(x_end);
                f.chars += 1;
                if bold {
                    f.bold_chars += 1;
                }
                f.size = f.size.max(size);
                return;
            }
        }
        if is_space || text.is_empty() {
            return;
        }
        self.fragments.push(Fragment {
            x0: x,
            x1: x_end.max(x),
            y,
            size,
            text: text.to_string(),
            bold_chars: u32::from(bold),
            chars: 1,
            pending_space: false,
        });
    }
}

/// The page's resource dictionaries, nearest first (a page inherits from its ancestors).
fn page_resources(doc: &Document, page_id: ObjectId) -> Vec<&Dictionary> {
    let mut out = Vec::new();
    if let Ok((dict, ids)) = doc.get_page_resources(page_id) {
        if let Some(d) = dict {
            out.push(d);
        }
        for id in ids {
            if let Ok(d) = doc.get_dictionary(id) {
                out.push(d);
            }
        }
    }
    out
}

fn find_resource<'d>(
    doc: &'d Document,
    resources: &[&'d Dictionary],
    category: &[u8],
    name: &[u8],
) -> Option<&'d Object> {
    resources.iter().find_map(|r| {
        let cat = deref(doc, r.get(category).ok())?.as_dict().ok()?;
        cat.get(name).ok()
    })
}
