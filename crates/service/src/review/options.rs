//! What a writer asks an analysis for, validated once when it is requested and stored with
//! the job (the worker reads the same options back).

use crate::ServiceError;
use serde::{Deserialize, Serialize};

/// Which kinds of suggestion an analysis makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Kind {
    /// The model's own rewrites.
    Ai,
    /// The rules' rewrites (plain-language substitutions, abbreviations), ranked by the
    /// model.
    Rule,
}

/// Most candidate sentences one analysis may take (a 100-page protocol has about 600).
pub const MAX_LIMIT: usize = 5000;

/// The options of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalysisOptions {
    /// The version to analyse (default: the document's current version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// Only sentences under these sections (heading numbers, `5` includes `5.2.1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
    /// Which suggestions to make (default: both).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<Kind>,
    /// Prompt template (default `plain_language`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Generator from the model manifest (default: its default generator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Most candidate sentences (default: every one, up to 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Fewest words a candidate needs for the model to write its own proposal (default 25;
    /// 15, the shortest candidate, asks it for every one). The rules' rewrites are made for
    /// every candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_min_words: Option<usize>,
}

impl AnalysisOptions {
    /// Refuse what cannot run: an unknown template, a limit out of range, empty or
    /// over-long section names.
    pub fn validate(&self) -> Result<(), ServiceError> {
        if let Some(t) = &self.template
            && ai_suggest::Template::get(t).is_err()
        {
            return Err(ServiceError::Invalid(format!(
                "unknown template {:?}: use plain_language, conciseness, active_voice or terminology",
                store::clip(t, 64)
            )));
        }
        if let Some(l) = self.limit
            && !(1..=MAX_LIMIT).contains(&l)
        {
            return Err(ServiceError::Invalid(format!(
                "limit {l}: use 1 to {MAX_LIMIT}"
            )));
        }
        if let Some(w) = self.model_min_words
            && !(crate::analysis::MIN_CANDIDATE_WORDS..=1000).contains(&w)
        {
            return Err(ServiceError::Invalid(format!(
                "model_min_words {w}: use {} to 1000",
                crate::analysis::MIN_CANDIDATE_WORDS
            )));
        }
        if self.sections.len() > 100
            || self
                .sections
                .iter()
                .any(|s| s.trim().is_empty() || s.len() > 64)
        {
            return Err(ServiceError::Invalid(
                "sections: at most 100 section numbers of 1 to 64 characters".into(),
            ));
        }
        Ok(())
    }

    pub fn wants(&self, k: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&k)
    }

    pub fn template_name(&self) -> &str {
        self.template.as_deref().unwrap_or("plain_language")
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(MAX_LIMIT)
    }

    pub fn model_min_words(&self) -> usize {
        self.model_min_words
            .unwrap_or(crate::analysis::MODEL_MIN_WORDS)
    }

    /// Whether a sentence under `section` (`"5.2 Title"`) is asked for.
    pub fn in_sections(&self, section: Option<&str>) -> bool {
        self.sections.is_empty()
            || self
                .sections
                .iter()
                .any(|w| store::review::section_matches(section, w.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_match_by_number_prefix() {
        let o = AnalysisOptions {
            sections: vec!["5".into(), "7.1".into()],
            ..Default::default()
        };
        assert!(o.in_sections(Some("5 Study Population")));
        assert!(o.in_sections(Some("5.2.1 Inclusion")));
        assert!(o.in_sections(Some("7.1 Dosing")));
        assert!(!o.in_sections(Some("51 Other")));
        assert!(!o.in_sections(Some("7.10 Other")));
        assert!(!o.in_sections(None));
        assert!(AnalysisOptions::default().in_sections(None));
    }

    #[test]
    fn options_are_checked() {
        let bad = AnalysisOptions {
            limit: Some(0),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        let bad = AnalysisOptions {
            template: Some("nonsense".into()),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        assert!(
            serde_json::from_str::<AnalysisOptions>(r#"{"kinds": ["ai"], "extra": 1}"#).is_err()
        );
        let o: AnalysisOptions = serde_json::from_str(r#"{"kinds": ["rule"]}"#).expect("options");
        assert!(o.wants(Kind::Rule) && !o.wants(Kind::Ai));
        // The model's own proposals: from 25 words by default; 15 (every candidate) to 1000.
        assert_eq!(AnalysisOptions::default().model_min_words(), 25);
        for (w, ok) in [
            (14, false),
            (15, true),
            (40, true),
            (1000, true),
            (1001, false),
        ] {
            let o = AnalysisOptions {
                model_min_words: Some(w),
                ..Default::default()
            };
            assert_eq!(o.validate().is_ok(), ok, "model_min_words {w}");
            if ok {
                assert_eq!(o.model_min_words(), w);
            }
        }
    }
}
