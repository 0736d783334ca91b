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

/// A closed set of names stored and sent as text: the enum, its variants' names (one
/// definition serves `as_str`, parsing, `Display` and serde), and `ALL`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $err:expr, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The names, comma-separated (for messages).
            pub fn names() -> String {
                [$($text),+].join(", ")
            }

            pub fn parse(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($err(s.chars().take(32).collect::<String>())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self, StoreError> {
                $name::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

named_enum!(
    /// The roles of the DESIGN table.
    Role, StoreError::InvalidRole, {
        Writer => "writer",
        Qa => "qa",
        Manager => "manager",
        Admin => "admin",
        Auditor => "auditor",
    }
);

named_enum!(
    /// What an electronic signature means (21 CFR Part 11 §11.50(a)(3)). Which roles may
    /// sign with which meaning is the application layer's policy.
    Meaning, StoreError::InvalidMeaning, {
        Authored => "authored",
        Reviewed => "reviewed",
        Approved => "approved",
        Rejected => "rejected",
        Responsible => "responsible",
    }
);

fn invalid(what: &'static str) -> impl Fn(String) -> StoreError {
    move |s| StoreError::InvalidInput(format!("unknown {what} {s:?}"))
}

named_enum!(
    /// The state of an analysis job.
    JobState, invalid("job state"), {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl JobState {
    /// Whether the job has ended (nothing changes it any more).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

named_enum!(
    /// The review state of a document version.
    DocState, invalid("document state"), {
        Draft => "draft",
        InReview => "in_review",
        Reviewed => "reviewed",
        Approved => "approved",
        Rejected => "rejected",
    }
);

named_enum!(
    /// Where a suggestion comes from: the model, the rules, or a reviewer's edit.
    SuggestionSource, invalid("suggestion source"), {
        Ai => "ai",
        Rule => "rule",
        Edit => "edit",
    }
);

named_enum!(
    /// What the decisions on a suggestion made of it.
    SuggestionStatus, invalid("suggestion status"), {
        Open => "open",
        Accepted => "accepted",
        Rejected => "rejected",
        Edited => "edited",
        /// The cross-check blocked it: it can never be accepted, and needs no decision.
        Blocked => "blocked",
        /// Another suggestion for the same sentence was accepted.
        Superseded => "superseded",
    }
);

named_enum!(
    /// A reviewer's decision on a suggestion.
    Decision, invalid("decision"), {
        Accept => "accept",
        Edit => "edit",
        Reject => "reject",
    }
);

named_enum!(
    /// Why a suggestion was rejected (or, with `other`, the reason text says).
    ReasonCode, invalid("reason code"), {
        NotUseful => "not_useful",
        ChangesMeaning => "changes_meaning",
        Style => "style",
        Other => "other",
    }
);

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
    fn names_round_trip_through_one_definition() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).ok(), Some(r));
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(json, format!("\"{r}\""));
            assert_eq!(serde_json::from_str::<Role>(&json).ok(), Some(r));
        }
        for m in Meaning::ALL {
            assert_eq!(Meaning::parse(m.as_str()).ok(), Some(m));
            assert_eq!(
                serde_json::from_value::<Meaning>(serde_json::json!(m.as_str())).ok(),
                Some(m)
            );
        }
        assert!(Meaning::parse("liked").is_err());
        assert!(serde_json::from_str::<Role>("\"root\"").is_err());
        assert_eq!(
            Meaning::names(),
            "authored, reviewed, approved, rejected, responsible"
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
