//! A small text PDF written with lopdf, for end-to-end tests that upload or ingest a PDF.

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

/// A one-page PDF with Helvetica text: each line is `(text, size, bold)`, drawn top-down
/// 24 pt apart from y = 700. Panics only if lopdf cannot serialise (a bug, not input).
pub fn text_pdf(lines: &[(&str, f32, bool)]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = |doc: &mut Document, base: &str| {
        doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => base.to_string(),
            "Encoding" => "WinAnsiEncoding",
        })
    };
    let regular = font(&mut doc, "Helvetica");
    let bold = font(&mut doc, "Helvetica-Bold");
    let mut ops = String::new();
    let mut y = 700.0;
    for (text, size, is_bold) in lines {
        let f = if *is_bold { "F2" } else { "F1" };
        let esc = text
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        ops.push_str(&format!("BT /{f} {size} Tf 72 {y} Td ({esc}) Tj ET\n"));
        y -= 24.0;
    }
    let content = doc.add_object(Stream::new(Dictionary::new(), ops.into_bytes()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => regular, "F2" => bold } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("lopdf writes a PDF to memory");
    out
}
