//! One analysis job, stage by stage, each stage's writes fenced by the job's lease:
//!
//! 1. the version's stored structure (ingested at upload) → candidate sentences (prose
//!    body sentences, [`crate::analysis::candidates`], limited to the requested sections
//!    and count) and the QC findings, stored with `analysis.findings`;
//! 2. the candidates in batches through the generator (the model's own proposal and the
//!    rules' rewrites it ranks, [`crate::analysis::Analyser`]), every proposal cross-checked;
//!    a proposal that only copies the sentence is dropped and counted; each batch is one
//!    change: progress, the suggestions (one `suggestion.create` each, the model's with
//!    its provenance in the event's `ai` field) and `analysis.batch`.
//!
//! A reclaimed job resumes after the last batch that committed (the stages are
//! deterministic: same candidates, same proposals), and a suggestion's key (job, anchor,
//! source) can be stored once only.

use super::WorkerContext;
use crate::ServiceError;
use crate::analysis::{Analyser, Approach, SentenceAnalysis};
use crate::review::{AnalysisOptions, Counts, Kind, section_index};
use audit::AiProvenance;
use rule_engine::RuleSet;
use rule_engine::prose::Candidate;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use store::jobs::{self, Claim, Job, Outcome};
use store::review::{self, NewFinding, NewSuggestion};
use store::{By, StoreError, SuggestionSource};

/// The generator a worker keeps loaded between jobs.
pub(crate) struct Models<'r> {
    rules: &'r RuleSet,
    loaded: Option<(String, Analyser<'r>)>,
}

impl<'r> Models<'r> {
    pub(crate) fn new(rules: &'r RuleSet) -> Self {
        Self {
            rules,
            loaded: None,
        }
    }
}

/// A job being run by one worker.
pub(crate) struct Run<'a> {
    pub ctx: &'a WorkerContext,
    pub claim: &'a Claim,
    pub by: &'a By,
    pub rt: &'a tokio::runtime::Handle,
    pub lost: &'a AtomicBool,
}

fn ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Run<'_> {
    fn check_lease(&self) -> Result<(), ServiceError> {
        if self.lost.load(Ordering::SeqCst) {
            Err(StoreError::LeaseLost(self.claim.job_id).into())
        } else {
            Ok(())
        }
    }

    pub(crate) fn job(&self, models: &mut Models<'_>, job: &Job) -> Result<Outcome, ServiceError> {
        let total_t = Instant::now();
        let store = &self.ctx.store;
        let tenant = &self.claim.tenant;
        let opts: AnalysisOptions = serde_json::from_str(&job.options)
            .map_err(|e| ServiceError::Internal(format!("stored job options: {e}")))?;
        let t = Instant::now();
        let (doc_id, version) = (job.document_id, job.version);
        let stored = self
            .rt
            .block_on(store.tenant_read(tenant, move |txn| {
                Box::pin(store::documents::get_version(txn, doc_id, version))
            }))?
            .ok_or(ServiceError::NotFound("document version"))?;
        let doc: ingest::Document = serde_json::from_str(&stored.structure)
            .map_err(|e| ServiceError::Internal(format!("stored document structure: {e}")))?;
        drop(stored);
        let sections = section_index(&doc);
        let section_of = |anchor: &str| -> Option<String> {
            let block: usize = anchor
                .strip_prefix('b')?
                .split(['.', 'r'])
                .next()?
                .parse()
                .ok()?;
            sections.get(block).cloned().flatten()
        };
        let selection = crate::analysis::candidates(&doc, usize::MAX);
        let cands: Vec<Candidate> = selection
            .candidates
            .into_iter()
            .filter(|c| opts.in_sections(section_of(&c.anchor).as_deref()))
            .take(opts.limit())
            .collect();
        let read_ms = ms(t);
        let mut counts: Counts = job
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let mut timings = serde_json::Map::new();
        timings.insert("read_ms".into(), read_ms.into());

        // Stage 1: findings (once).
        if job.progress_total.is_none() {
            let t = Instant::now();
            let findings: Vec<rule_engine::Finding> = rule_engine::check(&doc, models.rules)
                .into_iter()
                .filter(|f| opts.in_sections(section_of(&f.anchor).as_deref()))
                .collect();
            counts.candidates = cands.len();
            counts.not_prose = selection.not_prose;
            counts.findings = findings.len();
            let items: Vec<NewFinding> = findings
                .iter()
                .enumerate()
                .map(|(i, f)| NewFinding {
                    ordinal: to_i32(i),
                    rule_id: f.rule_id.clone(),
                    level: f.level.as_str().into(),
                    anchor: Some(f.anchor.clone()),
                    section: section_of(&f.anchor),
                    body: serde_json::to_string(f).unwrap_or_default(),
                })
                .collect();
            let (id, token, by) = (job.id, self.claim.token.clone(), self.by.clone());
            let total = to_i32(cands.len());
            let summary = serde_json::to_string(&counts).unwrap_or_default();
            let stats = serde_json::json!({
                "findings": items.len(),
                "candidates": cands.len(),
                "not_prose": selection.not_prose,
            });
            self.rt.block_on(store.tenant_write(tenant, move |uow| {
                Box::pin(async move {
                    jobs::fence(uow.txn(), id, &token, Some((0, Some(total)))).await?;
                    jobs::set_summary(uow.txn(), id, &summary).await?;
                    review::insert_findings(uow.txn(), id, doc_id, version, items).await?;
                    let mut e = by.draft("analysis.findings", "analysis_job", Some(id.to_string()));
                    e.new_value = Some(stats);
                    uow.record(e).await?;
                    Ok(())
                })
            }))?;
            timings.insert("findings_ms".into(), ms(t).into());
        }

        // Stage 2: proposals, batch by batch.
        let done = usize::try_from(job.progress_done)
            .unwrap_or(0)
            .min(cands.len());
        if done < cands.len() {
            self.check_lease()?;
            let t = Instant::now();
            let analyser = self.load(models, &opts)?;
            timings.insert("model_load_ms".into(), ms(t).into());
            let t = Instant::now();
            let mut store_ms = 0;
            let mut at = done;
            for chunk in cands[done..].chunks(self.ctx.config.batch.max(1)) {
                self.check_lease()?;
                let items = analyser.candidates(chunk)?;
                let w = Instant::now();
                at += chunk.len();
                self.store_batch(job, &items, &section_of, at, cands.len(), &mut counts)?;
                store_ms += ms(w);
            }
            timings.insert("proposals_ms".into(), ms(t).saturating_sub(store_ms).into());
            timings.insert("store_ms".into(), store_ms.into());
        }
        timings.insert("total_ms".into(), ms(total_t).into());
        Ok(Outcome::Done {
            summary: serde_json::to_value(&counts).unwrap_or_default(),
            timings: serde_json::Value::Object(timings),
        })
    }

    /// The worker's generator for this job's model, loaded once; template and kinds set.
    fn load<'m, 'r>(
        &self,
        models: &'m mut Models<'r>,
        opts: &AnalysisOptions,
    ) -> Result<&'m mut Analyser<'r>, ServiceError> {
        let hub = &self.ctx.hub;
        let entry = hub
            .entry(opts.model.as_deref(), ai_suggest::Role::Generator)?
            .clone();
        if models.loaded.as_ref().map(|(n, _)| n.as_str()) != Some(entry.name.as_str()) {
            self.rt.block_on(hub.ensure(&entry.name, &self.ctx.store))?;
            let a = Analyser::load(&entry, hub.dir(), opts.template_name(), models.rules)?;
            models.loaded = Some((entry.name.clone(), a));
        }
        let (_, a) = models
            .loaded
            .as_mut()
            .ok_or_else(|| ServiceError::Internal("generator not loaded".into()))?;
        a.set_template(opts.template_name())?;
        a.set_approach(Approach {
            model_proposals: opts.wants(Kind::Ai),
            rule_rewrites: opts.wants(Kind::Rule),
            model_min_words: opts.model_min_words(),
        });
        Ok(a)
    }

    fn store_batch(
        &self,
        job: &Job,
        items: &[SentenceAnalysis],
        section_of: &dyn Fn(&str) -> Option<String>,
        at: usize,
        total: usize,
        counts: &mut Counts,
    ) -> Result<(), ServiceError> {
        let mut rows: Vec<(NewSuggestion, Option<AiProvenance>, serde_json::Value)> = Vec::new();
        let mut dropped = 0;
        for a in items {
            counts.ai_asked += usize::from(a.asked);
            let base =
                |source: SuggestionSource, proposal: &str, check: &rule_engine::CrossCheck| {
                    NewSuggestion {
                        key: format!("{}/{}/{}", job.id, a.anchor, source),
                        job_id: job.id,
                        document_id: job.document_id,
                        version: job.version,
                        anchor: a.anchor.clone(),
                        section: section_of(&a.anchor),
                        source,
                        parent_id: None,
                        original: a.original.clone(),
                        proposal: proposal.to_owned(),
                        verdict: check.verdict.as_str().into(),
                        check_json: serde_json::to_string(check).unwrap_or_default(),
                        provenance: None,
                        rule_ids: "[]".into(),
                        created_by: None,
                    }
                };
            match (&a.proposal, &a.check, &a.provenance) {
                (Some(p), Some(c), Some(prov)) => {
                    match c.verdict {
                        rule_engine::Verdict::Block => counts.ai_blocked += 1,
                        rule_engine::Verdict::Warn => counts.ai_warned += 1,
                        rule_engine::Verdict::Pass => counts.ai_passed += 1,
                    }
                    let mut s = base(SuggestionSource::Ai, p, c);
                    s.provenance = serde_json::to_string(prov).ok();
                    let ai = crate::review::ai_provenance(prov);
                    let v = serde_json::json!({
                        "job": job.id, "anchor": a.anchor, "source": "ai",
                        "verdict": c.verdict.as_str(), "output_sha256": prov.output_sha256,
                    });
                    rows.push((s, Some(ai), v));
                }
                _ if a.asked => dropped += 1,
                _ => {}
            }
            if let Some(r) = &a.rewrite {
                counts.rule_rewrites += 1;
                let mut s = base(SuggestionSource::Rule, &r.text, &r.check);
                s.rule_ids = serde_json::to_string(&r.rule_ids).unwrap_or_else(|_| "[]".into());
                // A model is named only when it chose among two or more rewrites.
                let (provenance, ai) = match &r.ranking {
                    Some(k) => (
                        serde_json::json!({
                            "ranking_model": k.model, "model_sha256": k.model_sha256,
                            "template_id": k.template_id, "template_sha256": k.template_sha256,
                            "score": k.score, "ranked": r.ranked,
                        }),
                        Some(AiProvenance {
                            model: k.model.clone(),
                            weights_sha256: k.model_sha256.clone(),
                            template_id: k.template_id.clone(),
                            template_sha256: k.template_sha256.clone(),
                            decoding: serde_json::json!({"ranking": "mean_log_probability"}),
                            input_sha256: crate::review::sha256_hex(&a.original),
                        }),
                    ),
                    None => (serde_json::json!({ "ranked": r.ranked }), None),
                };
                s.provenance = Some(provenance.to_string());
                let v = serde_json::json!({
                    "job": job.id, "anchor": a.anchor, "source": "rule",
                    "verdict": r.check.verdict.as_str(), "rule_ids": r.rule_ids,
                    "output_sha256": crate::review::sha256_hex(&r.text),
                });
                rows.push((s, ai, v));
            }
        }
        counts.dropped += dropped;
        let stats = serde_json::json!({
            "done": at, "total": total, "suggestions": rows.len(), "dropped_copies": dropped,
        });
        let (id, token, by) = (job.id, self.claim.token.clone(), self.by.clone());
        let (at, counts_now) = (to_i32(at), counts.clone());
        let stored =
            self.rt
                .block_on(self.ctx.store.tenant_write(&self.claim.tenant, move |uow| {
                    Box::pin(async move {
                        jobs::fence(uow.txn(), id, &token, Some((at, None))).await?;
                        let mut stored = 0usize;
                        for (s, ai, v) in rows {
                            if let Some(row) = review::insert_suggestion(uow.txn(), s).await? {
                                let mut e = by.draft(
                                    "suggestion.create",
                                    "suggestion",
                                    Some(row.id.to_string()),
                                );
                                e.new_value = Some(v);
                                e.ai = ai;
                                uow.record(e).await?;
                                stored += 1;
                            }
                        }
                        let mut c = counts_now;
                        c.stored += stored;
                        jobs::set_summary(
                            uow.txn(),
                            id,
                            &serde_json::to_string(&c).unwrap_or_default(),
                        )
                        .await?;
                        let mut e =
                            by.draft("analysis.batch", "analysis_job", Some(id.to_string()));
                        e.new_value = Some(stats);
                        uow.record(e).await?;
                        Ok(stored)
                    })
                }))?;
        counts.stored += stored;
        Ok(())
    }
}
