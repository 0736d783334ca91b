//! Process metrics in the Prometheus text format, kept in atomics (no registry needed).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the request-duration histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    duration_micros_sum: AtomicU64,
    count: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_locked: AtomicU64,
    pub uploads: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, elapsed: std::time::Duration) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_micros_sum
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "# HELP dualcheck_http_requests_total HTTP responses by status class."
        );
        let _ = writeln!(s, "# TYPE dualcheck_http_requests_total counter");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                s,
                "dualcheck_http_requests_total{{status=\"{}xx\"}} {}",
                i + 1,
                g(c)
            );
        }
        let _ = writeln!(
            s,
            "# HELP dualcheck_http_request_duration_seconds Request latency."
        );
        let _ = writeln!(
            s,
            "# TYPE dualcheck_http_request_duration_seconds histogram"
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "dualcheck_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                g(&self.buckets[i])
            );
        }
        let count = g(&self.count);
        let _ = writeln!(
            s,
            "dualcheck_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "dualcheck_http_request_duration_seconds_sum {}",
            g(&self.duration_micros_sum) as f64 / 1e6
        );
        let _ = writeln!(s, "dualcheck_http_request_duration_seconds_count {count}");
        let _ = writeln!(s, "# HELP dualcheck_logins_total Login attempts by result.");
        let _ = writeln!(s, "# TYPE dualcheck_logins_total counter");
        for (result, c) in [
            ("ok", &self.logins_ok),
            ("failed", &self.logins_failed),
            ("locked_out", &self.logins_locked),
        ] {
            let _ = writeln!(s, "dualcheck_logins_total{{result=\"{result}\"}} {}", g(c));
        }
        let _ = writeln!(
            s,
            "# HELP dualcheck_uploads_total Documents and versions stored."
        );
        let _ = writeln!(s, "# TYPE dualcheck_uploads_total counter");
        let _ = writeln!(s, "dualcheck_uploads_total {}", g(&self.uploads));
        s
    }
}
