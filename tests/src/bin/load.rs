//! Load benchmark: starts the real server in-process (release build, SQLite or PostgreSQL),
//! sets up a tenant, a writer and one PDF, then drives `GET /api/v1/documents/{id}` and
//! `POST /api/v1/auth/login` over loopback HTTP at a fixed concurrency, bounded in request
//! count and time, and prints requests/s and p50/p99 latency.
//!
//! ```sh
//! cargo run --release -p dualcheck-tests --bin dualcheck-load -- --db sqlite
//! cargo run --release -p dualcheck-tests --bin dualcheck-load -- --db postgres
//! ```
//!
//! Client and server share the machine's cores, so the figures are a lower bound for the
//! server alone.

use anyhow::{Context, bail};
use dualcheck_tests::server::{Db, TestServer};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::Role;
use testkit::pdf::text_pdf;

struct Args {
    db: Db,
    concurrency: usize,
    reads: usize,
    logins: usize,
    max_secs: u64,
    workers: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: Db::Sqlite,
        concurrency: 32,
        reads: 50_000,
        logins: 400,
        max_secs: 30,
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => {
                a.db = match val()?.as_str() {
                    "sqlite" => Db::Sqlite,
                    "postgres" => Db::Postgres,
                    other => bail!("--db {other}: use sqlite or postgres"),
                }
            }
            "--concurrency" => a.concurrency = val()?.parse()?,
            "--reads" => a.reads = val()?.parse()?,
            "--logins" => a.logins = val()?.parse()?,
            "--max-secs" => a.max_secs = val()?.parse()?,
            "--workers" => a.workers = val()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

struct Outcome {
    done: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Outcome {
    fn print(&mut self, what: &str, concurrency: usize) {
        self.latencies_us.sort_unstable();
        let pct = |p: f64| {
            let n = self.latencies_us.len();
            if n == 0 {
                return 0.0;
            }
            let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
            self.latencies_us[i] as f64 / 1000.0
        };
        println!(
            "{what}: {} requests ({} errors) at concurrency {concurrency} in {:.2} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            self.done,
            self.errors,
            self.elapsed.as_secs_f64(),
            self.done as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
        );
    }
}

/// Run `total` requests built by `make` from `concurrency` tasks, stopping at `deadline`.
async fn drive<F, Fut>(total: usize, concurrency: usize, max: Duration, make: F) -> Outcome
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let next = next.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while next.fetch_add(1, Ordering::Relaxed) < total && start.elapsed() < max {
                let t = Instant::now();
                if !make().await {
                    errors += 1;
                }
                lat.push(t.elapsed().as_micros() as u64);
            }
            (lat, errors)
        }));
    }
    let mut out = Outcome {
        done: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for t in tasks {
        if let Ok((lat, errors)) = t.await {
            out.done += lat.len();
            out.errors += errors;
            out.latencies_us.extend(lat);
        }
    }
    out.elapsed = start.elapsed();
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let workers = args.workers;
    let Some(server) = TestServer::start(args.db, |s| {
        s.server.workers = Some(workers);
        s.database.max_connections = 16;
    })
    .await
    else {
        bail!("PostgreSQL at 127.0.0.1:5432 is not reachable");
    };
    let token = server.token("bench", "writer", &[Role::Writer]).await;
    let res = server
        .upload(
            &token,
            "protocol.pdf",
            text_pdf(&[
                "Clinical Study Protocol",
                "Patients received 10 mg of the study drug once daily.",
            ]),
        )
        .await;
    if res.status() != 201 {
        bail!("upload failed: {}", res.status());
    }
    let id = res.json::<serde_json::Value>().await?["id"]
        .as_str()
        .context("document id")?
        .to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let url = server.url(&format!("/api/v1/documents/{id}"));
    let max = Duration::from_secs(args.max_secs);
    println!(
        "db: {:?}, server workers: {workers}, client and server in one process on loopback",
        args.db
    );

    // Warm-up, then the measured read run.
    let (c, u, t) = (client.clone(), url.clone(), token.clone());
    drive(500, args.concurrency, max, move || {
        let (c, u, t) = (c.clone(), u.clone(), t.clone());
        async move { c.get(u).bearer_auth(t).send().await.is_ok() }
    })
    .await;
    let (c, u, t) = (client.clone(), url.clone(), token.clone());
    let mut reads = drive(args.reads, args.concurrency, max, move || {
        let (c, u, t) = (c.clone(), u.clone(), t.clone());
        async move {
            match c.get(u).bearer_auth(t).send().await {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    reads.print("GET /api/v1/documents/{id}", args.concurrency);

    let pw = server.user("bench", "reader", &[Role::Qa]).await;
    let (c, u) = (client.clone(), server.url("/api/v1/auth/login"));
    let body = serde_json::json!({"tenant": "bench", "username": "reader", "password": pw});
    let mut logins = drive(args.logins, args.concurrency, max, move || {
        let (c, u, b) = (c.clone(), u.clone(), body.clone());
        async move {
            match c.post(u).json(&b).send().await {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    logins.print("POST /api/v1/auth/login", args.concurrency);
    server.finish().await;
    Ok(())
}
