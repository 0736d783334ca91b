//! The analysis pipeline of a document: bytes → [`ingest::Document`] → QC findings
//! ([`rule_engine::check`]) → candidate sentences ([`candidates`]) → model proposals
//! ([`ai_suggest::suggest`]) → the dual-control cross-check of each
//! ([`rule_engine::crosscheck`]). The result is typed: per candidate the original, the
//! proposal (none when the model copied the sentence or said nothing), its cross-check and
//! provenance, and a [`Summary`] per document.

use crate::ServiceError;
use ai_suggest::{Decoding, Generator, GgufGenerator, Provenance, Template};
use rule_engine::{CrossCheck, Finding, RuleSet, Verdict};
use serde::Serialize;

/// Fewest words a body sentence needs to be a candidate for a rewrite.
pub const MIN_CANDIDATE_WORDS: usize = 15;

/// Candidate sentences of a document: body sentences (not headings, not table cells) of
/// [`MIN_CANDIDATE_WORDS`] words or more (long sentences are where plain-language rewrites
/// help), in reading order, at most `limit`.
pub fn candidates(doc: &ingest::Document, limit: usize) -> Vec<String> {
    doc.blocks
        .iter()
        .filter(|b| {
            !matches!(
                b.kind,
                ingest::BlockKind::Heading { .. } | ingest::BlockKind::Table { .. }
            )
        })
        .flat_map(|b| b.sentences.iter())
        .filter(|s| s.text.split_whitespace().count() >= MIN_CANDIDATE_WORDS)
        .take(limit)
        .map(|s| s.text.clone())
        .collect()
}

/// One candidate sentence after the model and the rules.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceAnalysis {
    pub original: String,
    /// `None` when the model copied the sentence or said nothing (dropped).
    pub proposal: Option<String>,
    /// The cross-check of the proposal (`None` when dropped).
    pub check: Option<CrossCheck>,
    /// How the proposal was made (`None` when dropped).
    pub provenance: Option<Provenance>,
}

impl SentenceAnalysis {
    pub fn dropped(&self) -> bool {
        self.proposal.is_none()
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.check.as_ref().map(|c| c.verdict)
    }
}

/// Counts over the candidates of one document (or one `--text`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub candidates: usize,
    /// The model copied the sentence or said nothing.
    pub dropped: usize,
    pub blocked: usize,
    pub warned: usize,
    pub passed: usize,
}

impl Summary {
    pub fn of(items: &[SentenceAnalysis]) -> Self {
        let mut s = Summary {
            candidates: items.len(),
            ..Summary::default()
        };
        for i in items {
            match i.verdict() {
                None => s.dropped += 1,
                Some(Verdict::Block) => s.blocked += 1,
                Some(Verdict::Warn) => s.warned += 1,
                Some(Verdict::Pass) => s.passed += 1,
            }
        }
        s
    }
}

/// A document's analysis.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentAnalysis {
    pub document_sha256: String,
    pub findings: Vec<Finding>,
    pub sentences: Vec<SentenceAnalysis>,
    pub summary: Summary,
    pub rules_version: String,
    pub rules_hash: String,
}

/// A loaded generator with its prompt template, decoding settings and the rule packs that
/// cross-check its proposals.
pub struct Analyser<'r> {
    generator: GgufGenerator,
    template: Template,
    decoding: Decoding,
    rules: &'r RuleSet,
}

impl std::fmt::Debug for Analyser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser")
            .field("generator", &self.generator.name())
            .field("template", &self.template.id)
            .field("rules", &self.rules.version)
            .finish_non_exhaustive()
    }
}

impl<'r> Analyser<'r> {
    /// Load `entry` (its files verified against the manifest) from `dir`, with the prompt
    /// template named `template` and the decoding settings of the model's prompt format.
    pub fn load(
        entry: &ai_suggest::ModelEntry,
        dir: &std::path::Path,
        template: &str,
        rules: &'r RuleSet,
    ) -> Result<Self, ServiceError> {
        let template = Template::get(template)?;
        let generator = GgufGenerator::load(entry, dir)?;
        let decoding = Decoding::for_format(generator.prompt_format());
        Ok(Self {
            generator,
            template,
            decoding,
            rules,
        })
    }

    pub fn rules(&self) -> &RuleSet {
        self.rules
    }

    /// Proposals for `sentences`, each cross-checked.
    pub fn sentences(
        &mut self,
        sentences: &[String],
    ) -> Result<Vec<SentenceAnalysis>, ServiceError> {
        propose(
            &mut self.generator,
            &self.template,
            &self.decoding,
            self.rules,
            sentences,
        )
    }

    /// The whole pipeline on a document's bytes (at most `limit` candidates).
    pub fn document(
        &mut self,
        bytes: &[u8],
        limits: &ingest::Limits,
        limit: usize,
    ) -> Result<DocumentAnalysis, ServiceError> {
        let doc = ingest::parse_with(bytes, limits)?;
        let findings = rule_engine::check(&doc, self.rules);
        let sentences = self.sentences(&candidates(&doc, limit))?;
        Ok(DocumentAnalysis {
            document_sha256: doc.metadata.sha256.clone(),
            findings,
            summary: Summary::of(&sentences),
            sentences,
            rules_version: self.rules.version.clone(),
            rules_hash: self.rules.hash.clone(),
        })
    }
}

/// Proposals of `generator` for `sentences` (one batch), each cross-checked against its
/// original by `rules`.
pub fn propose(
    generator: &mut dyn Generator,
    template: &Template,
    decoding: &Decoding,
    rules: &RuleSet,
    sentences: &[String],
) -> Result<Vec<SentenceAnalysis>, ServiceError> {
    let proposals = ai_suggest::suggest(generator, template, sentences, decoding)?;
    Ok(sentences
        .iter()
        .zip(proposals)
        .map(|(s, p)| match p {
            None => SentenceAnalysis {
                original: s.clone(),
                proposal: None,
                check: None,
                provenance: None,
            },
            Some(p) => SentenceAnalysis {
                check: Some(rule_engine::crosscheck(&p.original, &p.proposal, rules)),
                original: s.clone(),
                proposal: Some(p.proposal),
                provenance: Some(p.provenance),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(original: &str, proposal: Option<&str>, rules: &RuleSet) -> SentenceAnalysis {
        SentenceAnalysis {
            original: original.into(),
            proposal: proposal.map(str::to_owned),
            check: proposal.map(|p| rule_engine::crosscheck(original, p, rules)),
            provenance: None,
        }
    }

    #[test]
    fn the_summary_counts_drops_and_verdicts() {
        let rules = RuleSet::builtin();
        let o = "Patients received 10 mg of the study drug once daily for 12 weeks.";
        let items = vec![
            item(o, None, &rules),
            item(o, Some(o), &rules),
            item(
                o,
                Some("Patients received 20 mg of the study drug once daily for 12 weeks."),
                &rules,
            ),
        ];
        let s = Summary::of(&items);
        assert_eq!(s.candidates, 3);
        assert_eq!(s.dropped, 1);
        assert_eq!(s.blocked, 1, "a changed dose blocks: {items:?}");
        assert_eq!(s.blocked + s.warned + s.passed + s.dropped, 3);
    }

    fn block(kind: serde_json::Value, text: &str) -> serde_json::Value {
        let mut b = kind;
        b["anchor"] = "b0".into();
        b["text"] = text.into();
        b["page"] = serde_json::Value::Null;
        b["start"] = 0.into();
        b["end"] = 0.into();
        b["sentences"] =
            serde_json::json!([{"anchor": "b0.s0", "text": text, "start": 0, "end": 0}]);
        b
    }

    #[test]
    fn candidates_are_long_body_sentences_only() {
        let long = "This body sentence has clearly more than fifteen words in it so that it qualifies as a candidate today.";
        let long_heading = "A heading that is long enough to have more than fifteen words is still never a candidate at all.";
        let doc: ingest::Document = serde_json::from_value(serde_json::json!({
            "metadata": {"format": "docx", "sha256": "0", "size_bytes": 0, "page_count": null,
                         "title": null, "author": null, "producer": null, "warnings": []},
            "blocks": [
                block(serde_json::json!({"type": "heading", "level": 1, "number": null}), long_heading),
                block(serde_json::json!({"type": "paragraph"}), "Short one."),
                block(serde_json::json!({"type": "paragraph"}), long),
                block(serde_json::json!({"type": "list_item", "level": 0, "marker": null}), long),
            ],
            "headers": [], "footers": [], "toc": [], "notes": [], "revisions": []
        }))
        .expect("document");
        assert_eq!(
            candidates(&doc, 10),
            vec![long.to_string(), long.to_string()]
        );
        assert_eq!(candidates(&doc, 1).len(), 1);
        assert!(candidates(&doc, 0).is_empty());
    }
}
