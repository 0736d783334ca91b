//! `dualcheck ingest FILE [--json]`.

use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use ingest::{BlockKind, Document};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The PDF or DOCX file to read (the format is detected from its content).
    pub file: PathBuf,
    /// Print the whole document as JSON instead of the outline.
    #[arg(long)]
    pub json: bool,
    /// Largest file accepted, in bytes (default: `[server] max_upload_bytes`, the
    /// service's upload limit).
    #[arg(long)]
    pub max_bytes: Option<u64>,
}

pub fn run(args: IngestArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut limits = settings.ingest_limits();
    if let Some(max) = args.max_bytes {
        limits.max_bytes = max;
    }
    let doc = ingest::parse_with(&bytes, &limits)
        .with_context(|| format!("cannot ingest {}", args.file.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        write_outline(&mut out, &doc)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_outline(out: &mut impl Write, doc: &Document) -> std::io::Result<()> {
    let m = &doc.metadata;
    writeln!(out, "format:    {}", m.format.as_str())?;
    writeln!(out, "sha256:    {}", m.sha256)?;
    if let Some(p) = m.page_count {
        writeln!(out, "pages:     {p}")?;
    }
    if let Some(t) = &m.title {
        writeln!(out, "title:     {t}")?;
    }
    if let Some(p) = &m.producer {
        writeln!(out, "producer:  {p}")?;
    }
    let (mut paras, mut items, mut tables) = (0, 0, 0);
    for b in &doc.blocks {
        match b.kind {
            BlockKind::Paragraph => paras += 1,
            BlockKind::ListItem { .. } => items += 1,
            BlockKind::Table { .. } => tables += 1,
            BlockKind::Heading { .. } => {}
        }
    }
    writeln!(
        out,
        "counts:    {} headings, {paras} paragraphs, {items} list items, {tables} tables, {} sentences",
        doc.headings().count(),
        doc.sentences().count()
    )?;
    writeln!(
        out,
        "apart:     {} headers, {} footers, {} table-of-contents entries, {} notes, {} revisions",
        doc.headers.len(),
        doc.footers.len(),
        doc.toc.len(),
        doc.notes.len(),
        doc.revisions.len()
    )?;
    for w in &m.warnings {
        writeln!(out, "warning:   [{}] {}", w.code, w.message)?;
    }
    writeln!(out, "outline:")?;
    for h in doc.headings() {
        if let BlockKind::Heading { level, .. } = h.kind {
            let indent = "  ".repeat(level.saturating_sub(1) as usize);
            let page = h.page.map(|p| format!("  (p. {p})")).unwrap_or_default();
            writeln!(out, "  {indent}{}{page}", h.text)?;
        }
    }
    Ok(())
}
