//! `rules test`: every rule's examples must behave as declared.

use crate::crosscheck::{Verdict, crosscheck};
use crate::pack::{Kind, Rule, RuleSet, Scope};
use crate::qc::{Finding, Unit, check_text, document_rule};
use serde::Serialize;

/// One example that did not behave as declared.
#[derive(Debug, Clone, Serialize)]
pub struct Mismatch {
    pub rule_id: String,
    /// `flag` (should have been flagged, was not) or `pass` (was flagged, should not be).
    pub expected: String,
    pub example: String,
}

fn flags(rule: &Rule, rules: &RuleSet, example: &str) -> bool {
    if rule.kind == Kind::Edit {
        // An edit class: its `pass` pairs must not block, its `flag` pairs must.
        let (o, p) = example.split_once("=>").unwrap_or((example, example));
        return crosscheck(o.trim(), p.trim(), rules).verdict == Verdict::Block;
    }
    if rule.kind == Kind::Fact || rule.scope == Scope::Proposal {
        let (o, p) = example.split_once("=>").unwrap_or((example, example));
        return crosscheck(o.trim(), p.trim(), rules)
            .reasons
            .iter()
            .any(|r| r.rule_id == rule.id);
    }
    let mut out: Vec<Finding> = Vec::new();
    if rule.scope == Scope::Document {
        // Each sentence of the example is a unit, in order.
        let sentences = ingest::sentences::split(example);
        let units: Vec<Unit> = sentences
            .iter()
            .enumerate()
            .map(|(i, s)| Unit {
                anchor: format!("s{i}"),
                text: &s.2,
                heading: false,
            })
            .collect();
        document_rule(rule, &units, &mut out);
    } else {
        check_text(rule, example, "example", &mut out);
    }
    out.iter().any(|f| f.rule_id == rule.id)
}

/// Run every example of every rule; the mismatches (empty: all good) and the count run.
pub fn test_examples(rules: &RuleSet) -> (Vec<Mismatch>, usize) {
    let mut bad = Vec::new();
    let mut n = 0;
    for r in &rules.rules {
        for e in &r.examples.flag {
            n += 1;
            if !flags(r, rules, e) {
                bad.push(Mismatch {
                    rule_id: r.id.clone(),
                    expected: "flag".into(),
                    example: e.clone(),
                });
            }
        }
        for e in &r.examples.pass_ {
            n += 1;
            if flags(r, rules, e) {
                bad.push(Mismatch {
                    rule_id: r.id.clone(),
                    expected: "pass".into(),
                    example: e.clone(),
                });
            }
        }
    }
    (bad, n)
}
