//! The gate every upload's parse passes: at most `max_concurrent` parses at once (one more
//! is [`ServiceError::Busy`], 503 with `Retry-After`), each off the async workers and
//! abandoned after a time limit ([`ServiceError::ParseTimeout`]).
//!
//! An abandoned parse cannot be stopped (a thread is not killed); it keeps its slot until it
//! really ends, so files that make the parser hang cannot pile up work beyond the cap: once
//! every slot is held by such a parse, uploads are answered 503 until one ends.

use crate::ServiceError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Seconds a client is told to wait when every parse slot is taken.
pub const BUSY_RETRY_SECS: u64 = 5;

/// The parse slots, the time limit and the limits of ingest.
#[derive(Debug, Clone)]
pub struct IngestGate {
    limits: ingest::Limits,
    slots: Arc<Semaphore>,
    timeout: Duration,
}

impl IngestGate {
    /// `max_concurrent` parses at once (at least one), each for at most `timeout`.
    pub fn new(limits: ingest::Limits, max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            limits,
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
            timeout,
        }
    }

    pub fn limits(&self) -> &ingest::Limits {
        &self.limits
    }

    /// Parse `bytes` (and serialise the structure) off the async workers; gives the bytes
    /// back with the result.
    pub async fn parse(
        &self,
        bytes: Vec<u8>,
    ) -> Result<(ingest::Document, String, Vec<u8>), ServiceError> {
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| ServiceError::Busy {
                reason: "every document reader is busy; try again in a few seconds".into(),
                retry_after_secs: BUSY_RETRY_SECS,
            })?;
        let limits = self.limits;
        let task = tokio::task::spawn_blocking(move || {
            // The slot is released when the parse really ends, abandoned or not.
            let _slot = slot;
            let doc = ingest::parse_with(&bytes, &limits)?;
            let structure = serde_json::to_string(&doc).map_err(ServiceError::internal)?;
            Ok::<_, ServiceError>((doc, structure, bytes))
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(joined) => joined.map_err(ServiceError::internal)?,
            Err(_) => Err(ServiceError::ParseTimeout {
                limit_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }
}
