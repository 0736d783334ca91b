//! Rule-engine speed: cross-check pairs per second on one core (target >= 50,000) and QC of
//! the 97-page CDISC pilot protocol after ingest (target < 100 ms).
//! `cargo bench -p dualcheck-rule-engine --bench rules`.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rule_engine::{RuleSet, check, crosscheck};
use std::path::PathBuf;

fn pairs() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval/dualcontrol-dev.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut v: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|j| {
            (
                j["original"].as_str().unwrap_or("").to_string(),
                j["proposal"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    if v.is_empty() {
        v.push((
            "Rash occurred in 10 subjects on drug and 2 subjects on placebo (p < 0.05).".into(),
            "Rash occurred in 2 subjects on drug and 10 subjects on placebo (p < 0.05).".into(),
        ));
    }
    v
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let pairs = pairs();
    let mut g = c.benchmark_group("crosscheck");
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("eval pairs", |b| {
        b.iter(|| {
            for (o, p) in &pairs {
                std::hint::black_box(crosscheck(o, p, &rules));
            }
        })
    });
    g.finish();
    let pdf = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/clinical/CDISC_Pilot_Study.pdf");
    if let Ok(bytes) = std::fs::read(&pdf) {
        let doc = ingest::parse(&bytes).unwrap();
        let mut g = c.benchmark_group("qc");
        g.sample_size(20);
        g.bench_function("CDISC_Pilot_Study.pdf (97 pages)", |b| {
            b.iter(|| std::hint::black_box(check(&doc, &rules)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
