//! Deterministic suggestions: substitution rules with a replacement rewrite a sentence
//! without any model; each rewrite goes through the same cross-check as an AI proposal.
//! They also tell the AI which sentences are worth rewriting.

use crate::crosscheck::{CrossCheck, crosscheck};
use crate::pack::{Kind, RuleSet};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub rule_ids: Vec<String>,
    pub original: String,
    pub proposal: String,
    pub check: CrossCheck,
}

fn capitalise_like(original_first: &str, s: &str) -> String {
    let upper = original_first
        .chars()
        .next()
        .is_some_and(char::is_uppercase);
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if upper => c.to_uppercase().chain(cs).collect(),
        Some(c) => std::iter::once(c).chain(cs).collect(),
        None => String::new(),
    }
}

/// Apply every substitution rule to `sentence`; `None` when nothing applies.
pub fn suggest(sentence: &str, rules: &RuleSet) -> Option<Suggestion> {
    let mut text = sentence.to_string();
    let mut ids = Vec::new();
    for r in rules.rules.iter().filter(|r| r.kind == Kind::Substitution) {
        let Some(c) = r.compiled.as_ref() else {
            continue;
        };
        let Some(re) = &c.any else { continue };
        let mut changed = false;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for cap in re.captures_iter(&text) {
            let Some(m) = cap.get(1) else { continue };
            let Some(repl) = c.swap.get(&m.as_str().to_lowercase()) else {
                continue;
            };
            out.push_str(&text[last..m.start()]);
            let at_start = text[..m.start()].trim().is_empty();
            let mut rep = if at_start {
                capitalise_like(m.as_str(), repl)
            } else {
                repl.clone()
            };
            if rep.is_empty() {
                // Deleted phrase ("it is important to note that"): drop the following space
                // and capitalise what now starts the sentence.
                let rest = text[m.end()..].trim_start();
                let skip = text.len() - m.end() - rest.len();
                last = m.end() + skip;
                if at_start {
                    let mut cs = rest.chars();
                    if let Some(c0) = cs.next() {
                        rep = c0.to_uppercase().collect();
                        last += c0.len_utf8();
                    }
                }
            } else {
                last = m.end();
            }
            out.push_str(&rep);
            changed = true;
        }
        if changed {
            out.push_str(&text[last..]);
            text = out;
            ids.push(r.id.clone());
        }
    }
    if ids.is_empty() || text == sentence {
        return None;
    }
    let check = crosscheck(sentence, &text, rules);
    Some(Suggestion {
        rule_ids: ids,
        original: sentence.to_string(),
        proposal: text,
        check,
    })
}
