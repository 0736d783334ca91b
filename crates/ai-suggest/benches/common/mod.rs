//! What the AI benches share: the sentences they run on.

use std::path::Path;

/// Sentences of `../shared/corpus/clinical/CDISC_Pilot_Study.pdf` (after ingest) with at
/// least `min_words` words, at most `n`; `None`, after a printed line, when it is absent.
pub fn cdisc_sentences(root: &Path, min_words: usize, n: usize) -> Option<Vec<String>> {
    let corpus = root.join("../shared/corpus/clinical/CDISC_Pilot_Study.pdf");
    let Ok(bytes) = std::fs::read(&corpus) else {
        println!("skipped: {} is absent", corpus.display());
        return None;
    };
    let doc = ingest::parse(&bytes).ok()?;
    Some(
        doc.blocks
            .iter()
            .flat_map(|b| b.sentences.iter())
            .filter(|s| s.text.split_whitespace().count() >= min_words)
            .take(n)
            .map(|s| s.text.clone())
            .collect(),
    )
}
