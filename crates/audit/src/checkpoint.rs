//! Signed checkpoints: (tenant, sequence, head hash, time) signed with the installation's
//! Ed25519 key. Held outside the database, they catch a rewritten or truncated chain.

use crate::key::SigningKey;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

const DOMAIN: &str = "dualcheck.audit.checkpoint.v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub tenant: String,
    pub seq: i64,
    pub head_hash: String,
    /// RFC 3339 with offset.
    pub time: String,
    /// Hex of the installation's public key that signed it.
    pub public_key: String,
    /// Hex of the Ed25519 signature over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The signed bytes: a domain label and the four fields, newline-separated (none of them
    /// can hold a newline: slugs, integers, hex and RFC 3339 times).
    pub fn message(tenant: &str, seq: i64, head_hash: &str, time: &str) -> Vec<u8> {
        format!("{DOMAIN}\n{tenant}\n{seq}\n{head_hash}\n{time}").into_bytes()
    }

    pub fn sign(key: &SigningKey, tenant: &str, seq: i64, head_hash: &str, time: &str) -> Self {
        let sig = key.sign(&Self::message(tenant, seq, head_hash, time));
        Self {
            tenant: tenant.into(),
            seq,
            head_hash: head_hash.into(),
            time: time.into(),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(sig.to_bytes()),
        }
    }

    /// Check the signature with `key` (not with the key the checkpoint names: a forger
    /// would name their own).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), String> {
        let bytes = hex::decode(&self.signature).map_err(|e| e.to_string())?;
        let arr: [u8; 64] = bytes
            .try_into()
            .map_err(|_| "signature is not 64 bytes".to_string())?;
        key.verify(
            &Self::message(&self.tenant, self.seq, &self.head_hash, &self.time),
            &Signature::from_bytes(&arr),
        )
        .map_err(|e| e.to_string())
    }
}
