//! The analysis pipeline of a document: bytes → [`ingest::Document`] → QC findings
//! ([`rule_engine::check`]) → candidate sentences (prose only, [`rule_engine::prose`]) →
//! for each: the model's own proposal ([`ai_suggest::suggest`]) and the rewrites the rules
//! can make ([`rule_engine::rewrites`]) ranked by the model ([`ai_suggest::rank`]) → the
//! dual-control cross-check of each, under the abbreviations the document defined before
//! the sentence. The result is typed: per candidate the original, the model's proposal
//! (none when it copied the sentence or said nothing) with its cross-check and provenance,
//! the best rule-made rewrite with its score, what is offered to a reviewer, and a
//! [`Summary`] per document.

use crate::ServiceError;
use ai_suggest::{Decoding, Generator, GgufGenerator, Provenance, Template};
use rule_engine::prose::Candidate;
use rule_engine::{CrossCheck, Definitions, Finding, RuleSet, Verdict};
use serde::Serialize;

/// Fewest words a body sentence needs to be a candidate for a rewrite.
pub const MIN_CANDIDATE_WORDS: usize = 15;

/// Most rule-made rewrites the model ranks per sentence.
pub const MAX_REWRITES: usize = 6;

/// Fewest words a candidate needs for the model to write its own proposal (the rules'
/// rewrites are made for every candidate). Long sentences are where a plain-language
/// rewrite helps most, and the model's generation is where an analysis spends its time.
pub const MODEL_MIN_WORDS: usize = 25;

/// Candidate sentences of a document: prose body sentences of [`MIN_CANDIDATE_WORDS`]
/// words or more, in reading order, at most `limit`, each with the definitions made before
/// it.
pub fn candidates(doc: &ingest::Document, limit: usize) -> rule_engine::prose::Selection {
    rule_engine::prose::select(doc, MIN_CANDIDATE_WORDS, limit)
}

/// What the pipeline asks for (both by default; one alone to measure it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approach {
    /// The model writes its own proposal.
    pub model_proposals: bool,
    /// The rules make rewrites and the model ranks them.
    pub rule_rewrites: bool,
    /// The model writes its own proposal only for candidates of this many words or more.
    pub model_min_words: usize,
}

impl Default for Approach {
    fn default() -> Self {
        Self {
            model_proposals: true,
            rule_rewrites: true,
            model_min_words: MODEL_MIN_WORDS,
        }
    }
}

/// The best rule-made rewrite of a sentence: the only one, or the one the model ranked
/// first.
#[derive(Debug, Clone, Serialize)]
pub struct RankedRewrite {
    pub text: String,
    /// The edit rules applied.
    pub rule_ids: Vec<String>,
    pub check: CrossCheck,
    /// How many rule-made rewrites there were to choose from.
    pub ranked: usize,
    /// How the model chose among two or more; `None` when the rules made only one (no
    /// model was involved).
    pub ranking: Option<Ranking>,
}

/// The model's choice among rule-made rewrites.
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    /// Mean log probability per token of the chosen rewrite (higher: likelier).
    pub score: f64,
    pub model: String,
    pub model_sha256: String,
    pub template_id: String,
    pub template_sha256: String,
}

/// Where an offered proposal comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Model,
    Rules,
}

/// One candidate sentence after the model and the rules.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceAnalysis {
    /// The sentence's anchor in the document (`b12.s0`); empty for `--text`.
    pub anchor: String,
    pub original: String,
    /// Whether the model was asked for its own proposal (model proposals on, and the
    /// sentence long enough: [`Approach::model_min_words`]).
    pub asked: bool,
    /// The model's own proposal; `None` when it was not asked, copied the sentence or said
    /// nothing.
    pub proposal: Option<String>,
    /// The cross-check of the model's proposal.
    pub check: Option<CrossCheck>,
    /// How the model's proposal was made.
    pub provenance: Option<Provenance>,
    /// The best rule-made rewrite, ranked by the model (every one passes the check).
    pub rewrite: Option<RankedRewrite>,
}

impl SentenceAnalysis {
    /// The model was asked and only copied the sentence or said nothing.
    pub fn dropped(&self) -> bool {
        self.asked && self.proposal.is_none()
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.check.as_ref().map(|c| c.verdict)
    }

    /// What a reviewer is offered: the model's proposal when it passes and changes wording,
    /// otherwise the best rule-made rewrite, otherwise the model's passing proposal.
    pub fn offered(&self) -> Option<(Source, &str, &CrossCheck)> {
        let model = match (&self.proposal, &self.check) {
            (Some(p), Some(c)) if c.verdict == Verdict::Pass => {
                Some((Source::Model, p.as_str(), c))
            }
            _ => None,
        };
        let rules = self
            .rewrite
            .as_ref()
            .map(|r| (Source::Rules, r.text.as_str(), &r.check));
        match (model, rules) {
            (Some(m), _) if m.2.substantive() => Some(m),
            (_, Some(r)) => Some(r),
            (m, None) => m,
        }
    }
}

/// Counts over the candidates of one document (or one `--text`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub candidates: usize,
    /// Body sentences long enough but not prose (addresses, title-page fields, table rows,
    /// footnote-marker lines, lists of codes), left out.
    pub not_prose: usize,
    /// Candidates the model was asked to rewrite (long enough, model proposals on).
    pub asked: usize,
    /// The model copied the sentence or said nothing.
    pub dropped: usize,
    /// The model's proposals by verdict.
    pub blocked: usize,
    pub warned: usize,
    pub passed: usize,
    /// Sentences with a rule-made rewrite (each passes).
    pub rule_rewrites: usize,
    /// Sentences with a passing proposal offered to a reviewer.
    pub offered: usize,
    /// Offered proposals that change wording (a plain-language substitution or an
    /// abbreviation), not only punctuation, articles or linking words.
    pub substantive: usize,
}

impl Summary {
    pub fn of(items: &[SentenceAnalysis]) -> Self {
        let mut s = Summary {
            candidates: items.len(),
            ..Summary::default()
        };
        for i in items {
            s.asked += usize::from(i.asked);
            match i.verdict() {
                None => s.dropped += usize::from(i.asked),
                Some(Verdict::Block) => s.blocked += 1,
                Some(Verdict::Warn) => s.warned += 1,
                Some(Verdict::Pass) => s.passed += 1,
            }
            s.rule_rewrites += usize::from(i.rewrite.is_some());
            if let Some((_, _, c)) = i.offered() {
                s.offered += 1;
                s.substantive += usize::from(c.substantive());
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
    approach: Approach,
}

impl std::fmt::Debug for Analyser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser")
            .field("generator", &self.generator.name())
            .field("template", &self.template.id)
            .field("rules", &self.rules.version)
            .field("approach", &self.approach)
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
            approach: Approach::default(),
        })
    }

    /// Ask for the model's proposals, the ranked rule rewrites, or both.
    pub fn with_approach(mut self, approach: Approach) -> Self {
        self.approach = approach;
        self
    }

    /// Change what is asked for (a worker reuses one loaded model across jobs).
    pub fn set_approach(&mut self, approach: Approach) {
        self.approach = approach;
    }

    pub fn rules(&self) -> &RuleSet {
        self.rules
    }

    /// Use the prompt template named `name` from now on.
    pub fn set_template(&mut self, name: &str) -> Result<(), ServiceError> {
        self.template = Template::get(name)?;
        Ok(())
    }

    /// The template in use.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Proposals for sentences given on their own (no document around them).
    pub fn sentences(
        &mut self,
        sentences: &[String],
    ) -> Result<Vec<SentenceAnalysis>, ServiceError> {
        let cands: Vec<Candidate> = sentences
            .iter()
            .map(|s| Candidate {
                anchor: String::new(),
                text: s.clone(),
                earlier: Definitions::default(),
            })
            .collect();
        self.candidates(&cands)
    }

    /// Proposals for a document's candidates, each cross-checked.
    pub fn candidates(
        &mut self,
        cands: &[Candidate],
    ) -> Result<Vec<SentenceAnalysis>, ServiceError> {
        propose(
            &mut self.generator,
            &self.template,
            &self.decoding,
            self.rules,
            cands,
            self.approach,
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
        let selection = candidates(&doc, limit);
        let sentences = self.candidates(&selection.candidates)?;
        let mut summary = Summary::of(&sentences);
        summary.not_prose = selection.not_prose;
        Ok(DocumentAnalysis {
            document_sha256: doc.metadata.sha256.clone(),
            findings,
            summary,
            sentences,
            rules_version: self.rules.version.clone(),
            rules_hash: self.rules.hash.clone(),
        })
    }
}

/// The best of the rule-made rewrites of `c`, as `generator` ranks them (ties: the first,
/// which applies every edit). A single rewrite is taken as it is: the model is not asked.
fn ranked_rewrite(
    generator: &mut dyn Generator,
    template: &Template,
    rules: &RuleSet,
    c: &Candidate,
) -> Result<Option<RankedRewrite>, ServiceError> {
    let rewrites = rule_engine::rewrites(&c.text, rules, &c.earlier, MAX_REWRITES);
    if rewrites.is_empty() {
        return Ok(None);
    }
    if let [only] = rewrites.as_slice() {
        return Ok(Some(RankedRewrite {
            text: only.text.clone(),
            rule_ids: only.edits.iter().map(|e| e.rule_id.clone()).collect(),
            check: only.check.clone(),
            ranked: 1,
            ranking: None,
        }));
    }
    let texts: Vec<String> = rewrites.iter().map(|r| r.text.clone()).collect();
    let scores = ai_suggest::rank(generator, template, &c.text, &texts)?;
    let best = scores
        .iter()
        .enumerate()
        .fold(None::<(usize, f64)>, |b, (i, s)| match b {
            Some((_, m)) if m >= s.mean() => b,
            _ => Some((i, s.mean())),
        });
    let Some((i, score)) = best else {
        return Ok(None);
    };
    let r = &rewrites[i];
    Ok(Some(RankedRewrite {
        text: r.text.clone(),
        rule_ids: r.edits.iter().map(|e| e.rule_id.clone()).collect(),
        check: r.check.clone(),
        ranked: rewrites.len(),
        ranking: Some(Ranking {
            score,
            model: generator.name().to_string(),
            model_sha256: generator.weights_sha256().to_string(),
            template_id: template.id.clone(),
            template_sha256: template.sha256.clone(),
        }),
    }))
}

/// The model's proposals for `cands` (one batch) and the rule-made rewrites it ranks, each
/// cross-checked against its original by `rules` under the document's definitions.
pub fn propose(
    generator: &mut dyn Generator,
    template: &Template,
    decoding: &Decoding,
    rules: &RuleSet,
    cands: &[Candidate],
    approach: Approach,
) -> Result<Vec<SentenceAnalysis>, ServiceError> {
    let asked: Vec<bool> = cands
        .iter()
        .map(|c| {
            approach.model_proposals
                && c.text.split_whitespace().count() >= approach.model_min_words
        })
        .collect();
    let texts: Vec<String> = cands
        .iter()
        .zip(&asked)
        .filter(|(_, a)| **a)
        .map(|(c, _)| c.text.clone())
        .collect();
    let mut made = if texts.is_empty() {
        Vec::new()
    } else {
        ai_suggest::suggest(generator, template, &texts, decoding)?
    }
    .into_iter();
    let proposals: Vec<Option<ai_suggest::Proposal>> = asked
        .iter()
        .map(|a| if *a { made.next().flatten() } else { None })
        .collect();
    let mut out = Vec::with_capacity(cands.len());
    for ((c, p), asked) in cands.iter().zip(proposals).zip(asked) {
        let rewrite = if approach.rule_rewrites {
            ranked_rewrite(generator, template, rules, c)?
        } else {
            None
        };
        let (proposal, check, provenance) = match p {
            None => (None, None, None),
            Some(p) => {
                let check = rule_engine::crosscheck_in_document(
                    &p.original,
                    &p.proposal,
                    rules,
                    &rules.lexicon,
                    &c.earlier,
                );
                (Some(p.proposal), Some(check), Some(p.provenance))
            }
        };
        out.push(SentenceAnalysis {
            anchor: c.anchor.clone(),
            original: c.text.clone(),
            asked,
            proposal,
            check,
            provenance,
            rewrite,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(original: &str, proposal: Option<&str>, rules: &RuleSet) -> SentenceAnalysis {
        SentenceAnalysis {
            anchor: String::new(),
            original: original.into(),
            asked: true,
            proposal: proposal.map(str::to_owned),
            check: proposal.map(|p| rule_engine::crosscheck(original, p, rules)),
            provenance: None,
            rewrite: None,
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
        // A copy passes but changes nothing: offered, not substantive.
        assert_eq!((s.offered, s.substantive), (1, 0));
        assert_eq!(s.asked, 3);
        // A sentence the model was not asked about (too short) is not a dropped copy.
        let mut short = item(o, None, &rules);
        short.asked = false;
        assert!(!short.dropped());
        let s = Summary::of(&[short]);
        assert_eq!((s.candidates, s.asked, s.dropped), (1, 0, 0));
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
    fn candidates_are_long_prose_body_sentences_only() {
        let long = "This body sentence has clearly more than fifteen words in it so that it qualifies as a candidate today.";
        let field = "Sponsor Name Protocol Number Study Phase Version Date Amendment Number Final Clinical Research Organisation Site.";
        let long_heading = "A heading that is long enough to have more than fifteen words is still never a candidate at all.";
        let doc: ingest::Document = serde_json::from_value(serde_json::json!({
            "metadata": {"format": "docx", "sha256": "0", "size_bytes": 0, "page_count": null,
                         "title": null, "author": null, "producer": null, "warnings": []},
            "blocks": [
                block(serde_json::json!({"type": "heading", "level": 1, "number": null}), long_heading),
                block(serde_json::json!({"type": "paragraph"}), "Short one."),
                block(serde_json::json!({"type": "paragraph"}), long),
                block(serde_json::json!({"type": "paragraph"}), field),
                block(serde_json::json!({"type": "list_item", "level": 0, "marker": null}), long),
            ],
            "headers": [], "footers": [], "toc": [], "notes": [], "revisions": []
        }))
        .expect("document");
        let sel = candidates(&doc, 10);
        let texts: Vec<&str> = sel.candidates.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec![long, long]);
        assert_eq!(sel.not_prose, 1, "the title-page field is left out");
        assert_eq!(candidates(&doc, 1).candidates.len(), 1);
        assert!(candidates(&doc, 0).candidates.is_empty());
    }
}
