//! Rule packs: versioned TOML files in `rules/`, each rule with id, version, description,
//! level, scope, message, references, a kind, and examples that must be flagged and must
//! pass. The pack set has a content hash and a version recorded with every verdict.

use crate::edits::EditTables;
use crate::error::RuleError;
use crate::facts::{FactCheck, FactWords, FactWordsFile};
use crate::lexicon::Lexicon;
use crate::qc::{QcWords, QcWordsFile};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

crate::named_enum! {
    /// How much a reason weighs: `info` passes, `warn` needs a reviewer's reason, `block`
    /// can never be accepted.
    pub enum Level {
        Info = "info",
        Warn = "warn",
        Block = "block",
    }
}

crate::named_enum! {
    /// The classes of difference a proposal may make (`kind = "edit"` rules).
    pub enum EditClass {
        /// Punctuation, quotation marks, hyphenation, whitespace, letter case.
        Punctuation = "punctuation",
        /// An article added, dropped or exchanged.
        Article = "article",
        /// A listed filler or linking word removed.
        Filler = "filler",
        /// A lexicon phrase replaced by its plain equivalent, in the declared direction.
        Substitution = "substitution",
        /// A spelling variant.
        Spelling = "spelling",
        /// An abbreviation expanded or contracted according to a definition.
        Abbreviation = "abbreviation",
        /// A delimited phrase moved as a whole.
        Reorder = "reorder",
        /// A sentence split in two.
        Split = "split",
    }
}

crate::named_enum! {
    /// Where a filler rule's words may be removed (its `position`).
    pub enum FillerPosition {
        /// At the start of the sentence only.
        Start = "start",
        Anywhere = "anywhere",
        /// Only when a number follows ("a total of 40").
        BeforeNumber = "before_number",
        /// Only right after a comma, before a word: the "and" before a list's last item.
        AfterComma = "after_comma",
        /// Only as the first half of a correlative pair of the fact vocabulary ("both ...
        /// and"), where it pairs two things rather than counting them.
        Correlative = "correlative",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Each sentence of a document (and each proposal).
    Sentence,
    /// Headings only.
    Heading,
    /// The whole document.
    Document,
    /// Original/proposal pairs (the dual-control facts).
    Proposal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Flag any of `tokens`.
    Existence,
    /// Flag any key of `swap`, suggesting its value.
    Substitution,
    /// Flag when `token` occurs more than `max` times in the scope.
    Occurrence,
    /// Flag when both terms of an `either` pair are used.
    Consistency,
    /// Flag a `second` match whose capture was not seen in a `first` match before.
    Conditional,
    /// Flag headings not in the case given by `case` (`sentence`, `title`, `upper`).
    Capitalization,
    /// Flag when `metric` (`sentence_words`, `grade_level`) exceeds `max`.
    Metric,
    /// A built-in fact comparison of the cross-check (`fact = "number"`, ...).
    Fact,
    /// A class of difference a proposal may make (`edit = "substitution"`, ...).
    Edit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Texts (or `original => proposal` pairs for fact rules) the rule must flag.
    #[serde(default)]
    pub flag: Vec<String>,
    /// Texts (or pairs) it must not flag.
    #[serde(default, rename = "pass")]
    pub pass_: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub version: u32,
    pub description: String,
    pub level: Level,
    pub scope: Scope,
    pub kind: Kind,
    pub message: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub tokens: Vec<String>,
    #[serde(default)]
    pub swap: BTreeMap<String, String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub either: Vec<[String; 2]>,
    #[serde(default)]
    pub first: Option<String>,
    #[serde(default)]
    pub second: Option<String>,
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub fact: Option<String>,
    /// Fact rules: level when the fact is dropped (default: the built-in one).
    #[serde(default)]
    pub dropped_level: Option<Level>,
    /// Edit rules: the class of difference (`punctuation`, `substitution`, ...).
    #[serde(default)]
    pub edit: Option<String>,
    /// Filler rules: where the words may be removed ([`FillerPosition`]).
    #[serde(default)]
    pub position: Option<FillerPosition>,
    pub examples: Examples,
    #[serde(skip)]
    pub(crate) compiled: Option<Compiled>,
    #[serde(skip)]
    pub pack: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Existence, substitution, occurrence: one alternation with word boundaries.
    pub any: Option<Regex>,
    pub first: Option<Regex>,
    pub second: Option<Regex>,
    /// Substitution: lower-cased key -> replacement.
    pub swap: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackHeader {
    pub id: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackHeader,
    #[serde(rename = "rule", default)]
    rules: Vec<Rule>,
    /// The vocabulary of fact extraction (`rules/fact-words.toml`).
    #[serde(default)]
    facts: Option<FactWordsFile>,
    /// Document QC data: words that are not abbreviations, abbreviation-list headings
    /// (`rules/house-style.toml`).
    #[serde(default)]
    qc: Option<QcWordsFile>,
}

/// The shipped fact vocabulary, used when no pack of a set declares `[facts]`.
const BUILTIN_FACT_WORDS: (&str, &str) = (
    "rules/fact-words.toml",
    include_str!("../../../rules/fact-words.toml"),
);

/// All packs loaded, with the lexicon and the set's version and hash.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub packs: Vec<PackHeader>,
    pub rules: Vec<Rule>,
    pub lexicon: Lexicon,
    /// `pack-id@version` of every pack, sorted, joined with `+`.
    pub version: String,
    /// SHA-256 over every pack, lexicon and word-list file (names and bytes, sorted by name).
    pub hash: String,
    /// The edit classes' tables, compiled from the `kind = "edit"` rules.
    pub(crate) edits: Arc<EditTables>,
    /// Document QC data (`[qc]` of the packs; the shipped house style's when none has one).
    pub qc: Arc<QcWords>,
}

/// The shipped QC data, used when no pack of a set declares `[qc]`.
const BUILTIN_QC: &str = include_str!("../../../rules/house-style.toml");

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

fn word_regex(words: &[String]) -> Result<Regex, String> {
    let alts: Vec<String> = words.iter().map(|w| regex::escape(w.trim())).collect();
    RegexBuilder::new(&format!(r"(?:^|\b|\W)({})(?:\b|$|\W)", alts.join("|")))
        .case_insensitive(true)
        .build()
        .map_err(|e| e.to_string())
}

impl Rule {
    fn compile(&mut self) -> Result<(), (String, String)> {
        let need = |ok: bool, field: &str, what: &str| {
            if ok {
                Ok(())
            } else {
                Err((field.to_string(), what.to_string()))
            }
        };
        let mut c = Compiled {
            any: None,
            first: None,
            second: None,
            swap: BTreeMap::new(),
        };
        match self.kind {
            Kind::Existence => {
                need(
                    !self.tokens.is_empty(),
                    "tokens",
                    "an existence rule needs a non-empty `tokens` list",
                )?;
                c.any = Some(word_regex(&self.tokens).map_err(|e| ("tokens".to_string(), e))?);
            }
            Kind::Substitution => {
                need(
                    !self.swap.is_empty(),
                    "swap",
                    "a substitution rule needs a `swap` table (phrase = replacement)",
                )?;
                let keys: Vec<String> = self.swap.keys().cloned().collect();
                c.any = Some(word_regex(&keys).map_err(|e| ("swap".to_string(), e))?);
                c.swap = self
                    .swap
                    .iter()
                    .map(|(k, v)| (k.to_lowercase(), v.clone()))
                    .collect();
            }
            Kind::Occurrence => {
                need(
                    self.token.is_some(),
                    "token",
                    "an occurrence rule needs `token`",
                )?;
                need(self.max.is_some(), "max", "an occurrence rule needs `max`")?;
                c.any = Some(
                    word_regex(&[self.token.clone().unwrap_or_default()])
                        .map_err(|e| ("token".to_string(), e))?,
                );
            }
            Kind::Consistency => need(
                !self.either.is_empty(),
                "either",
                "a consistency rule needs `either` pairs",
            )?,
            Kind::Conditional => {
                let first = self.first.as_deref().ok_or((
                    "first".to_string(),
                    "a conditional rule needs `first`".to_string(),
                ))?;
                let second = self.second.as_deref().ok_or((
                    "second".to_string(),
                    "a conditional rule needs `second`".to_string(),
                ))?;
                c.first =
                    Some(Regex::new(first).map_err(|e| ("first".to_string(), e.to_string()))?);
                c.second =
                    Some(Regex::new(second).map_err(|e| ("second".to_string(), e.to_string()))?);
            }
            Kind::Capitalization => need(
                matches!(self.case.as_deref(), Some("sentence" | "title" | "upper")),
                "case",
                "a capitalization rule needs `case` = sentence, title or upper",
            )?,
            Kind::Metric => {
                need(
                    matches!(
                        self.metric.as_deref(),
                        Some("sentence_words" | "grade_level")
                    ),
                    "metric",
                    "a metric rule needs `metric` = sentence_words or grade_level",
                )?;
                need(self.max.is_some(), "max", "a metric rule needs `max`")?;
            }
            Kind::Fact => need(
                self.fact
                    .as_deref()
                    .and_then(FactCheck::from_name)
                    .is_some(),
                "fact",
                &format!("a fact rule needs `fact` = one of {}", FactCheck::names()),
            )?,
            Kind::Edit => {
                let class = self.edit.as_deref().and_then(EditClass::from_name).ok_or((
                    "edit".to_string(),
                    format!("an edit rule needs `edit` = one of {}", EditClass::names()),
                ))?;
                match class {
                    EditClass::Substitution => need(
                        !self.swap.is_empty(),
                        "swap",
                        "a substitution edit needs a `swap` table (wordy = plain)",
                    )?,
                    EditClass::Filler => {
                        need(
                            !self.tokens.is_empty(),
                            "tokens",
                            "a filler edit needs `tokens`",
                        )?;
                        need(
                            self.position.is_some(),
                            "position",
                            &format!(
                                "a filler edit needs `position` = one of {}",
                                FillerPosition::names()
                            ),
                        )?;
                    }
                    EditClass::Spelling => need(
                        !self.either.is_empty(),
                        "either",
                        "a spelling edit needs `either` pairs",
                    )?,
                    EditClass::Article => need(
                        !self.tokens.is_empty(),
                        "tokens",
                        "an article edit needs `tokens`",
                    )?,
                    _ => {}
                }
            }
        }
        need(
            !self.examples.flag.is_empty(),
            "examples.flag",
            "every rule needs at least one example it must flag",
        )?;
        need(
            !self.examples.pass_.is_empty(),
            "examples.pass",
            "every rule needs at least one example it must pass",
        )?;
        self.compiled = Some(c);
        Ok(())
    }
}

impl RuleSet {
    /// The packs shipped in `rules/` (compiled in), for tools and tests.
    pub fn builtin() -> Self {
        let files: Vec<(PathBuf, String)> = vec![
            (
                "rules/dual-control.toml".into(),
                include_str!("../../../rules/dual-control.toml").to_string(),
            ),
            (
                BUILTIN_FACT_WORDS.0.into(),
                BUILTIN_FACT_WORDS.1.to_string(),
            ),
            (
                "rules/house-style.toml".into(),
                include_str!("../../../rules/house-style.toml").to_string(),
            ),
            (
                "rules/safe-edits.toml".into(),
                include_str!("../../../rules/safe-edits.toml").to_string(),
            ),
            (
                "rules/lexicon/drugs.txt".into(),
                include_str!("../../../rules/lexicon/drugs.txt").to_string(),
            ),
            (
                "rules/words/english.txt".into(),
                include_str!("../../../rules/words/english.txt").to_string(),
            ),
        ];
        // The shipped packs are tested (`rules test`); a failure here is a build defect.
        Self::from_files(files).unwrap_or_else(|e| panic!("shipped rule packs are invalid: {e}"))
    }

    /// Load every `*.toml` pack of `dir`, every `lexicon/*.txt` list of names and every
    /// `words/*.txt` word list.
    pub fn load_dir(dir: &Path) -> Result<Self, RuleError> {
        let io = |file: &Path, e: std::io::Error| RuleError::Io {
            file: file.to_path_buf(),
            reason: e.to_string(),
        };
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push((
                    p.clone(),
                    std::fs::read_to_string(&p).map_err(|e| io(&p, e))?,
                ));
            }
        }
        if files.is_empty() {
            return Err(RuleError::Empty(dir.to_path_buf()));
        }
        for sub in ["lexicon", "words"] {
            let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "txt") {
                    files.push((
                        p.clone(),
                        std::fs::read_to_string(&p).map_err(|e| io(&p, e))?,
                    ));
                }
            }
        }
        Self::from_files(files)
    }

    /// Build from (path, content) pairs: `.toml` packs and `.txt` lexicon lists.
    pub fn from_files(mut files: Vec<(PathBuf, String)>) -> Result<Self, RuleError> {
        // Fact extraction needs its vocabulary: a set whose packs declare none uses the
        // shipped one, listed and hashed like any other pack of the set.
        let declares_facts = files.iter().any(|(p, t)| {
            p.extension().is_some_and(|x| x == "toml")
                && toml::from_str::<PackFile>(t).is_ok_and(|pf| pf.facts.is_some())
        });
        if !declares_facts {
            files.push((
                BUILTIN_FACT_WORDS.0.into(),
                BUILTIN_FACT_WORDS.1.to_string(),
            ));
        }
        files.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()).then(a.0.cmp(&b.0)));
        let mut h = Sha256::new();
        let mut packs = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut origin: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut lexicon = Lexicon::default();
        lexicon.add_list("");
        let mut words: Vec<&str> = Vec::new();
        let mut fact_files: Vec<(PathBuf, FactWordsFile)> = Vec::new();
        let mut qc_files: Vec<QcWordsFile> = Vec::new();
        for (path, text) in &files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            h.update((name.len() as u64).to_be_bytes());
            h.update(name.as_bytes());
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
            if path.extension().is_some_and(|x| x == "txt") {
                let in_words = path
                    .parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|d| d == "words");
                if in_words {
                    words.push(text);
                } else {
                    lexicon.add_list(text);
                }
                continue;
            }
            let pf: PackFile = toml::from_str(text).map_err(|e| {
                let msg = e.message().to_string();
                RuleError::Pack {
                    file: path.clone(),
                    line: e.span().map_or(1, |s| line_of(text, s.start)),
                    field: field_of(&msg),
                    message: msg,
                }
            })?;
            for mut r in pf.rules {
                r.pack = pf.pack.id.clone();
                if let Err((field, message)) = r.compile() {
                    let at = text.find(&format!("\"{}\"", r.id)).unwrap_or(0);
                    return Err(RuleError::Pack {
                        file: path.clone(),
                        line: line_of(text, at),
                        field: Some(field),
                        message: format!("rule {}: {message}", r.id),
                    });
                }
                if let Some(first) = origin.get(&r.id) {
                    return Err(RuleError::Duplicate {
                        id: r.id.clone(),
                        first: first.clone(),
                        second: path.clone(),
                    });
                }
                origin.insert(r.id.clone(), path.clone());
                rules.push(r);
            }
            if let Some(f) = pf.facts {
                fact_files.push((path.clone(), f));
            }
            if let Some(q) = pf.qc {
                qc_files.push(q);
            }
            packs.push(pf.pack);
        }
        let facts = FactWords::build(&fact_files.iter().map(|(_, f)| f).collect::<Vec<_>>())
            .map_err(|(field, message)| RuleError::Pack {
                file: fact_files
                    .first()
                    .map_or_else(|| PathBuf::from(BUILTIN_FACT_WORDS.0), |(p, _)| p.clone()),
                line: 1,
                field: Some(field),
                message,
            })?;
        let facts = Arc::new(facts);
        lexicon.set_facts(facts.clone());
        let mut versions: Vec<String> = packs
            .iter()
            .map(|p| format!("{}@{}", p.id, p.version))
            .collect();
        versions.sort();
        let edits = Arc::new(EditTables::build(&rules, &words, facts));
        if qc_files.is_empty() {
            // The shipped QC data is then part of the set: hashed like its files, so that
            // `rules_hash` names everything the findings were made with.
            let name = "rules/house-style.toml [qc]";
            h.update((name.len() as u64).to_be_bytes());
            h.update(name.as_bytes());
            h.update((BUILTIN_QC.len() as u64).to_be_bytes());
            h.update(BUILTIN_QC.as_bytes());
            // The shipped file is tested; without it QC only lacks its word lists.
            if let Some(q) = toml::from_str::<PackFile>(BUILTIN_QC)
                .ok()
                .and_then(|pf| pf.qc)
            {
                qc_files.push(q);
            }
        }
        let qc = Arc::new(QcWords::build(&qc_files));
        Ok(Self {
            packs,
            rules,
            lexicon,
            version: versions.join("+"),
            hash: hex::encode(h.finalize()),
            edits,
            qc,
        })
    }

    /// The rule configuring fact comparison `fact`: its id and the level for this reason
    /// kind (`None`: switched off by `level = "info"`, which still reports).
    pub(crate) fn fact_rule(
        &self,
        fact: FactCheck,
        kind: &str,
        default: Level,
    ) -> (String, Option<Level>) {
        let fact = fact.as_str();
        match self
            .rules
            .iter()
            .find(|r| r.kind == Kind::Fact && r.fact.as_deref() == Some(fact))
        {
            Some(r) => {
                let level = if kind.ends_with("_dropped") {
                    r.dropped_level.unwrap_or(default)
                } else {
                    r.level.max(default).min(r.level)
                };
                (r.id.clone(), Some(level))
            }
            None => (format!("dual.{fact}"), Some(default)),
        }
    }
}
