//! Headers and footers: every header and footer part the main document relates to (all
//! sections, first/even/default), read with docx-rs's `Header`/`Footer` readers. One
//! [`PageFurniture`] per distinct part text, its non-empty paragraphs (and table rows,
//! cells tab-separated) joined by `\n`; `pages` stays empty (DOCX has no pages).

use super::body::BodyReader;
use super::xml::Rel;
use super::{archive::Parts, part_error, text};
use crate::IngestError;
use crate::model::PageFurniture;
use docx_rs::FromXML;

/// `(headers, footers)` in relationship order, duplicates dropped.
pub(crate) fn read(
    reader: &mut BodyReader<'_>,
    rels: &[Rel],
    parts: &Parts,
) -> Result<(Vec<PageFurniture>, Vec<PageFurniture>), IngestError> {
    let mut headers: Vec<PageFurniture> = Vec::new();
    let mut footers: Vec<PageFurniture> = Vec::new();
    for r in rels {
        let Some(b) = parts.get(&r.target) else {
            continue;
        };
        let (position, texts) = match r.kind.as_str() {
            "header" => {
                let h = docx_rs::Header::from_xml(b).map_err(|e| part_error(&r.target, e))?;
                ("header", furniture_text_header(reader, &h.children))
            }
            "footer" => {
                let f = docx_rs::Footer::from_xml(b).map_err(|e| part_error(&r.target, e))?;
                ("footer", furniture_text_footer(reader, &f.children))
            }
            _ => continue,
        };
        reader.text.reset_fields();
        if texts.is_empty() {
            continue;
        }
        let item = PageFurniture {
            position: position.to_string(),
            text: texts.join("\n"),
            pages: Vec::new(),
        };
        let list = if position == "header" {
            &mut headers
        } else {
            &mut footers
        };
        if !list.contains(&item) {
            list.push(item);
        }
    }

    Ok((headers, footers))
}

fn furniture_text_header(
    reader: &mut BodyReader<'_>,
    children: &[docx_rs::HeaderChild],
) -> Vec<String> {
    let mut out = Vec::new();
    for c in children {
        match c {
            docx_rs::HeaderChild::Paragraph(p) => push_para(reader, p, &mut out),
            docx_rs::HeaderChild::Table(t) => push_table(reader, t, &mut out),
            docx_rs::HeaderChild::StructuredDataTag(sdt) => push_sdt(reader, sdt, &mut out),
        }
    }
    out
}

fn furniture_text_footer(
    reader: &mut BodyReader<'_>,
    children: &[docx_rs::FooterChild],
) -> Vec<String> {
    let mut out = Vec::new();
    for c in children {
        match c {
            docx_rs::FooterChild::Paragraph(p) => push_para(reader, p, &mut out),
            docx_rs::FooterChild::Table(t) => push_table(reader, t, &mut out),
            docx_rs::FooterChild::StructuredDataTag(sdt) => push_sdt(reader, sdt, &mut out),
        }
    }
    out
}

fn push_para(reader: &mut BodyReader<'_>, p: &docx_rs::Paragraph, out: &mut Vec<String>) {
    let t = text::collapse(&reader.text.paragraph(p).text);
    if !t.is_empty() {
        out.push(t);
    }
}

fn push_table(reader: &mut BodyReader<'_>, t: &docx_rs::Table, out: &mut Vec<String>) {
    for row in reader.table_rows(t, 0) {
        let line = row
            .iter()
            .map(|c| text::collapse(c))
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("\t");
        if !line.is_empty() {
            out.push(line);
        }
    }
}

fn push_sdt(reader: &mut BodyReader<'_>, sdt: &docx_rs::StructuredDataTag, out: &mut Vec<String>) {
    for c in &sdt.children {
        match c {
            docx_rs::StructuredDataTagChild::Paragraph(p) => push_para(reader, p, out),
            docx_rs::StructuredDataTagChild::Table(t) => push_table(reader, t, out),
            _ => {}
        }
    }
}
