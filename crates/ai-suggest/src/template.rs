//! Prompt templates: files shipped with the build (`prompts/<task>.v<N>.txt`), each with
//! an id and the SHA-256 of its bytes recorded in every proposal's provenance.
//!
//! A template file holds the system message, a line `---`, then the user message in which
//! `{sentence}` is replaced by the input. Templates are compiled into the binary so that an
//! installation cannot change them without a new, validated build.

use crate::error::AiError;
use sha2::{Digest, Sha256};

const FILES: [(&str, &str); 4] = [
    (
        "plain_language.v1",
        include_str!("../prompts/plain_language.v1.txt"),
    ),
    (
        "conciseness.v1",
        include_str!("../prompts/conciseness.v1.txt"),
    ),
    (
        "active_voice.v1",
        include_str!("../prompts/active_voice.v1.txt"),
    ),
    (
        "terminology.v1",
        include_str!("../prompts/terminology.v1.txt"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `plain_language.v1`.
    pub id: String,
    pub sha256: String,
    pub system: String,
    pub user: String,
}

impl Template {
    /// By task (`plain_language`, latest version) or full id (`plain_language.v1`).
    pub fn get(name: &str) -> Result<Self, AiError> {
        let (id, text) = FILES
            .iter()
            .rev()
            .find(|(id, _)| *id == name || id.split('.').next() == Some(name))
            .ok_or_else(|| AiError::UnknownTemplate(name.into()))?;
        let (system, user) = text.split_once("\n---\n").unwrap_or(("", text));
        Ok(Self {
            id: (*id).to_string(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            system: system.trim().to_string(),
            user: user.trim_end().to_string(),
        })
    }

    pub fn all() -> Vec<Self> {
        FILES
            .iter()
            .filter_map(|(id, _)| Self::get(id).ok())
            .collect()
    }

    /// The full prompt in the model's format, ending where the model's answer begins.
    pub fn render(&self, prompt_format: &str, sentence: &str) -> String {
        let user = self.user.replace("{sentence}", sentence);
        match prompt_format {
            "gemma" => format!(
                "<start_of_turn>user\n{}\n\n{user}<end_of_turn>\n<start_of_turn>model\n",
                self.system
            ),
            // Base (not instruction-tuned) models: the instruction, then a completion to
            // continue; the answer ends at the line's end (see `Decoding::for_format`).
            "completion" => format!("{}\n\nSentence: {user}\nRewritten:", self.system),
            // ChatML (SmolLM2, Qwen2).
            _ => format!(
                "<|im_start|>system\n{}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n",
                self.system
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn templates_load_render_and_hash() {
        let t = Template::get("plain_language").unwrap();
        assert_eq!(t.id, "plain_language.v1");
        assert_eq!(t.sha256.len(), 64);
        let p = t.render("chatml", "Subjects were dosed.");
        assert!(p.starts_with("<|im_start|>system\nYou are an editor"));
        assert!(p.contains("<|im_start|>user\nSubjects were dosed.<|im_end|>"));
        assert!(p.ends_with("<|im_start|>assistant\n"));
        let c = t.render("completion", "Subjects were dosed.");
        assert!(c.starts_with("You are an editor"));
        assert!(c.ends_with("\n\nSentence: Subjects were dosed.\nRewritten:"));
        assert_eq!(Template::all().len(), 4);
        assert!(matches!(
            Template::get("poetry"),
            Err(AiError::UnknownTemplate(_))
        ));
    }
}
