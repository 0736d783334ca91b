//! Proposals for sentences: a template, a generator, provenance for every output, and the
//! rule between them: a proposal that only copies its input is dropped.

use crate::error::AiError;
use crate::generate::{Decoding, Generator};
use crate::template::Template;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Everything needed to regenerate and check an output byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub model: String,
    pub model_sha256: String,
    pub template_id: String,
    pub template_sha256: String,
    pub decoding: Decoding,
    /// SHA-256 of the input sentence (UTF-8).
    pub input_sha256: String,
    pub output_sha256: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prefill_ms: f64,
    pub generate_ms: f64,
}

/// A rewrite proposed by a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub original: String,
    pub proposal: String,
    pub provenance: Provenance,
}

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn normalised(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_lowercase()
}

/// Propose rewrites of `sentences`. Returns one entry per sentence: `None` when the model
/// produced nothing or only copied the sentence.
pub fn suggest(
    generator: &mut dyn Generator,
    template: &Template,
    sentences: &[String],
    decoding: &Decoding,
) -> Result<Vec<Option<Proposal>>, AiError> {
    let prompts: Vec<String> = sentences
        .iter()
        .map(|s| template.render(generator.prompt_format(), s))
        .collect();
    let outs = generator.generate(&prompts, decoding)?;
    Ok(sentences
        .iter()
        .zip(outs)
        .map(|(s, g)| {
            if g.text.is_empty() || normalised(&g.text) == normalised(s) {
                return None;
            }
            Some(Proposal {
                original: s.clone(),
                provenance: Provenance {
                    model: generator.name().to_string(),
                    model_sha256: generator.weights_sha256().to_string(),
                    template_id: template.id.clone(),
                    template_sha256: template.sha256.clone(),
                    decoding: decoding.clone(),
                    input_sha256: sha(s),
                    output_sha256: sha(&g.text),
                    prompt_tokens: g.prompt_tokens,
                    generated_tokens: g.generated_tokens,
                    prefill_ms: g.prefill_ms,
                    generate_ms: g.generate_ms,
                },
                proposal: g.text,
            })
        })
        .collect())
}

/// How likely the model finds each of `answers` as the rewrite of `sentence` under
/// `template`: for ranking candidate rewrites that something else (the rules) made. The
/// model chooses among them; it writes nothing itself.
pub fn rank(
    generator: &mut dyn Generator,
    template: &Template,
    sentence: &str,
    answers: &[String],
) -> Result<Vec<crate::generate::Score>, AiError> {
    let prompt = template.render(generator.prompt_format(), sentence);
    generator.score(&prompt, answers)
}

/// Outcome of [`replay`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub identical: bool,
    pub recorded: String,
    pub regenerated: String,
}

/// Regenerate a recorded proposal with the same model, template and settings and compare
/// byte for byte. Refuses when the model or template differs from the recorded one.
pub fn replay(generator: &mut dyn Generator, recorded: &Proposal) -> Result<Replay, AiError> {
    let p = &recorded.provenance;
    if generator.weights_sha256() != p.model_sha256 {
        return Err(AiError::Unsupported {
            model: generator.name().into(),
            reason: format!(
                "replay needs the model with SHA-256 {}, this one is {}",
                p.model_sha256,
                generator.weights_sha256()
            ),
        });
    }
    let template = Template::get(&p.template_id)?;
    if template.sha256 != p.template_sha256 {
        return Err(AiError::UnknownTemplate(format!(
            "{} with SHA-256 {} (this build has {})",
            p.template_id, p.template_sha256, template.sha256
        )));
    }
    let prompt = template.render(generator.prompt_format(), &recorded.original);
    let g = generator.generate(&[prompt], &p.decoding)?;
    let regenerated = g.into_iter().next().map(|g| g.text).unwrap_or_default();
    Ok(Replay {
        identical: regenerated == recorded.proposal,
        recorded: recorded.proposal.clone(),
        regenerated,
    })
}
