//! Validated names: tenant slugs (which become SQL identifiers and folder names), usernames
//! and roles. Nothing else reaches SQL except as a bound parameter.

use crate::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A tenant slug matching `^[a-z][a-z0-9_]{1,30}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let b = s.as_bytes();
        let ok = (2..=31).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err(StoreError::InvalidSlug(s.chars().take(64).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema name, quoted: `"tenant_<slug>"`. Safe because the slug is
    /// validated to `[a-z0-9_]`.
    pub fn schema_quoted(&self) -> String {
        format!("\"tenant_{}\"", self.0)
    }

    /// The PostgreSQL schema name unquoted (for query builders, which quote it).
    pub fn schema_name(&self) -> String {
        format!("tenant_{}", self.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Check a username: 1 to 64 ASCII characters, letter or digit first, then letters, digits,
/// `.`, `_`, `-`, `@`.
pub fn validate_username(s: &str) -> Result<(), StoreError> {
    let b = s.as_bytes();
    let ok = (1..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidUsername)
    }
}

/// The roles of the DESIGN table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Writer,
    Qa,
    Manager,
    Admin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Writer,
        Role::Qa,
        Role::Manager,
        Role::Admin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Qa => "qa",
            Role::Manager => "manager",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StoreError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| StoreError::InvalidRole(s.chars().take(32).collect()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["ab", "demo", "acme_2", "a234567890123456789012345678901"] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a",
            "1abc",
            "Demo",
            "a-b",
            "a\"; DROP SCHEMA public; --",
            "a b",
            "../etc",
            "a2345678901234567890123456789012",
            "dém",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Slug::parse("acme").map(|s| s.schema_quoted()).ok(),
            Some("\"tenant_acme\"".into())
        );
    }

    #[test]
    fn usernames() {
        assert!(validate_username("alice.smith@acme").is_ok());
        for bad in [
            "",
            ".alice",
            "a b",
            "ali'ce",
            "x;--",
            "élise",
            &"a".repeat(65),
        ] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }
}
