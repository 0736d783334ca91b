//! PDF extraction speed and peak memory against poppler's `pdftotext`, in one run.
//!
//! `cargo bench -p dualcheck-ingest --bench pdf_vs_pdftotext` reads every PDF of
//! `../shared/corpus/clinical` and, for each, takes the median of 7 runs of:
//! - `dualcheck` in process: `ingest::parse` on the bytes (read once, before timing);
//! - `dualcheck` as a process: this binary re-run as `--parse FILE` (start-up, read, parse);
//! - `pdftotext FILE /dev/null` as a process (start-up, read, extract, write).
//!
//! The ratio is pdftotext's time over dualcheck's, process against process (>= 1.0 means
//! dualcheck is faster). Peak memory is each process's maximum resident set size as
//! reported by GNU `time -f %M` when it is installed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_cmd(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let st = cmd.output().unwrap();
    assert!(
        st.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    t.elapsed()
}

/// Peak RSS in MiB of a command, through GNU time.
fn peak_mib(program: &Path, args: &[&str]) -> Option<f64> {
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(program)
        .args(args)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err.lines().last()?.trim().parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--parse") {
        let bytes = std::fs::read(&args[i + 1]).unwrap();
        let doc = ingest::parse(&bytes).unwrap();
        assert!(!doc.blocks.is_empty());
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/clinical");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped: {} is absent", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    let pdftotext = Path::new("/usr/bin/pdftotext");
    let have_poppler = Command::new("pdftotext").arg("-v").output().is_ok();
    let me = std::env::current_exe().unwrap();

    println!(
        "{:<36} {:>5} {:>11} {:>11} {:>11} {:>7} {:>9} {:>9}",
        "file", "pages", "in-process", "dualcheck", "pdftotext", "ratio", "dc MiB", "pt MiB"
    );
    let (mut pages_total, mut inproc_total, mut dc_total, mut pt_total) =
        (0u32, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let pages = ingest::parse(&bytes)
            .unwrap()
            .metadata
            .page_count
            .unwrap_or(0);
        let inproc = median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    let d = ingest::parse(&bytes).unwrap();
                    std::hint::black_box(&d);
                    t.elapsed()
                })
                .collect(),
        );
        let fs = f.to_str().unwrap();
        let dc = median(
            (0..RUNS)
                .map(|_| time_cmd(Command::new(&me).args(["--parse", fs])))
                .collect(),
        );
        let dc_peak = peak_mib(&me, &["--parse", fs]);
        let (pt, pt_peak) = if have_poppler {
            let pt = median(
                (0..RUNS)
                    .map(|_| time_cmd(Command::new("pdftotext").args([fs, "/dev/null"])))
                    .collect(),
            );
            (Some(pt), peak_mib(pdftotext, &[fs, "/dev/null"]))
        } else {
            (None, None)
        };
        pages_total += pages;
        inproc_total += inproc;
        dc_total += dc;
        let fmt_mib = |m: Option<f64>| m.map_or("n/a".to_string(), |m| format!("{m:.1}"));
        let (pt_s, ratio) = match pt {
            Some(pt) => {
                pt_total += pt;
                (
                    format!("{:.1} ms", pt.as_secs_f64() * 1e3),
                    format!("{:.2}", pt.as_secs_f64() / dc.as_secs_f64()),
                )
            }
            None => ("n/a".into(), "n/a".into()),
        };
        println!(
            "{:<36} {:>5} {:>8.1} ms {:>8.1} ms {:>11} {:>7} {:>9} {:>9}",
            f.file_name().unwrap().to_string_lossy(),
            pages,
            inproc.as_secs_f64() * 1e3,
            dc.as_secs_f64() * 1e3,
            pt_s,
            ratio,
            fmt_mib(dc_peak),
            fmt_mib(pt_peak),
        );
    }
    println!(
        "total: {pages_total} pages; dualcheck {:.0} pages/s in process, {:.0} pages/s as a process",
        f64::from(pages_total) / inproc_total.as_secs_f64(),
        f64::from(pages_total) / dc_total.as_secs_f64()
    );
    if have_poppler {
        println!(
            "pdftotext {:.0} pages/s; ratio (pdftotext time / dualcheck time, process to process): {:.2}",
            f64::from(pages_total) / pt_total.as_secs_f64(),
            pt_total.as_secs_f64() / dc_total.as_secs_f64()
        );
    } else {
        println!("pdftotext not installed (apt-get install poppler-utils): no ratio");
    }
}
