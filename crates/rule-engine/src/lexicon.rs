//! Names the rules recognise: drug and product names (a lexicon file shipped in `rules/`,
//! WHO INN stems, and a document's own terms) and capitalised words that are not names.

use crate::facts::FactWords;
use std::collections::HashSet;
use std::sync::Arc;

/// Generic-name stems (WHO INN): a word ending in one is a drug name.
const INN_STEMS: &[&str] = &[
    "mab",
    "nib",
    "statin",
    "pril",
    "sartan",
    "olol",
    "dipine",
    "azole",
    "prazole",
    "cillin",
    "mycin",
    "micin",
    "floxacin",
    "cycline",
    "vir",
    "virine",
    "tide",
    "parin",
    "gliptin",
    "gliflozin",
    "glutide",
    "dronate",
    "setron",
    "triptan",
    "afil",
    "lukast",
    "tinib",
    "ciclib",
    "parib",
    "rafenib",
    "zumab",
    "ximab",
    "umab",
    "kinra",
    "platin",
    "taxel",
    "rubicin",
    "semide",
    "thiazide",
    "oxetine",
    "pramine",
    "azepam",
    "azolam",
    "barbital",
    "caine",
    "conazole",
    "dronic",
    "fibrate",
    "gatran",
    "xaban",
    "grel",
    "lamide",
    "navir",
    "previr",
    "asvir",
    "buvir",
    "tegravir",
    "sonide",
    "olone",
    "terol",
    "tropium",
    "tidine",
    "vastatin",
    "zosin",
    "peridone",
    "piprazole",
    "apine",
    "etine",
];

/// Capitalised words common in clinical prose that are not product or person names.
const COMMON: &[&str] = &[
    "table",
    "section",
    "figure",
    "appendix",
    "week",
    "day",
    "visit",
    "phase",
    "study",
    "protocol",
    "sponsor",
    "investigator",
    "subject",
    "subjects",
    "patient",
    "patients",
    "participant",
    "participants",
    "group",
    "arm",
    "cohort",
    "part",
    "period",
    "baseline",
    "screening",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "english",
    "european",
    "american",
    "international",
    "committee",
    "board",
    "board's",
    "review",
    "institutional",
    "ethics",
    "independent",
    "data",
    "monitoring",
    "safety",
    "good",
    "clinical",
    "practice",
    "guideline",
    "guidelines",
    "conference",
    "harmonisation",
    "harmonization",
    "food",
    "administration",
    "agency",
    "medicines",
    "health",
    "university",
    "hospital",
    "center",
    "centre",
    "medical",
    "the",
    "a",
    "an",
    "this",
    "these",
    "those",
    "in",
    "on",
    "at",
    "for",
    "of",
    "and",
    "or",
    "with",
    "by",
    "from",
    "to",
    "per",
    "all",
    "each",
    "any",
    "inclusion",
    "exclusion",
    "criteria",
    "criterion",
    "primary",
    "secondary",
    "exploratory",
    "objective",
    "objectives",
    "endpoint",
    "endpoints",
    "adverse",
    "event",
    "events",
    "serious",
    "informed",
    "consent",
    "form",
    "case",
    "report",
    "statistical",
    "analysis",
    "plan",
    "schedule",
    "activities",
    "assessment",
    "assessments",
    "treatment",
    "treatments",
    "drug",
    "placebo",
    "dose",
    "dosing",
    "version",
    "amendment",
    "date",
    "end",
    "total",
    "other",
    "note",
    "notes",
];

#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    drugs: HashSet<String>,
    common: HashSet<&'static str>,
    /// The vocabulary of fact extraction (the packs' `[facts]`).
    facts: Arc<FactWords>,
}

impl Lexicon {
    /// The shipped lexicon (`rules/lexicon/drugs.txt` and the fact words of
    /// `rules/fact-words.toml`, compiled in).
    pub fn builtin() -> Self {
        crate::RuleSet::builtin().lexicon
    }

    /// The vocabulary fact extraction reads.
    pub fn facts(&self) -> &FactWords {
        &self.facts
    }

    pub(crate) fn set_facts(&mut self, facts: Arc<FactWords>) {
        self.facts = facts;
    }

    /// Add names from a list file: one per line, `#` comments.
    pub fn add_list(&mut self, text: &str) {
        for line in text.lines() {
            let w = line.split('#').next().unwrap_or("").trim().to_lowercase();
            if !w.is_empty() {
                self.drugs.insert(w);
            }
        }
        if self.common.is_empty() {
            self.common = COMMON.iter().copied().collect();
        }
    }

    /// Add a document's own product terms.
    pub fn add_terms<'a>(&mut self, terms: impl IntoIterator<Item = &'a str>) {
        for t in terms {
            self.drugs.insert(t.to_lowercase());
        }
    }

    pub fn is_drug(&self, lower: &str) -> bool {
        if self.drugs.contains(lower) {
            return true;
        }
        lower.len() >= 7
            && lower.chars().all(|c| c.is_ascii_lowercase())
            && INN_STEMS.iter().any(|s| lower.ends_with(s))
    }

    pub fn is_common_capitalised(&self, lower: &str) -> bool {
        self.common.contains(lower) || COMMON.contains(&lower)
    }

    pub fn len(&self) -> usize {
        self.drugs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.drugs.is_empty()
    }
}
