//! Separation of duties for electronic signatures on a document version: one table
//! ([`POLICY`]), checked inside the same unit of work as the signature it allows, so two
//! signers at once cannot both pass a check that only one of them should.
//!
//! The author of a version is the user who uploaded it. Only the author signs `authored`;
//! `reviewed` needs `authored` and someone other than the author; `approved` needs
//! `reviewed` and someone who is neither the author nor a reviewer; `rejected` needs
//! `reviewed` and someone other than the author; `responsible` needs `approved`.
//! `approved` and `rejected` exclude each other, and one person signs a meaning on a
//! record once. Only signatures attested by their audit event count (a forged row neither
//! satisfies an order nor blocks one). The README's table is [`markdown_table`], tested.

use std::fmt;
use store::{Meaning, Role};
use uuid::Uuid;

/// Someone whose signature on the record rules out signing a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The version's uploader.
    Author,
    /// Whoever signed `reviewed` on the record.
    Reviewer,
}

impl Party {
    fn as_str(self) -> &'static str {
        match self {
            Party::Author => "the author",
            Party::Reviewer => "a reviewer",
        }
    }
}

/// The rule for one meaning.
#[derive(Debug, Clone, Copy)]
pub struct MeaningRule {
    pub meaning: Meaning,
    /// The roles that may sign it.
    pub roles: &'static [Role],
    /// Only the version's author may sign it.
    pub author_only: bool,
    /// Each of these must already be signed on the record.
    pub requires: &'static [Meaning],
    /// None of these may be signed on the record.
    pub excludes: &'static [Meaning],
    /// The signer must not be any of these.
    pub not_by: &'static [Party],
}

/// The separation-of-duties table, one row per meaning.
pub const POLICY: [MeaningRule; 5] = [
    MeaningRule {
        meaning: Meaning::Authored,
        roles: &[Role::Writer],
        author_only: true,
        requires: &[],
        excludes: &[],
        not_by: &[],
    },
    MeaningRule {
        meaning: Meaning::Reviewed,
        roles: &[Role::Qa],
        author_only: false,
        requires: &[Meaning::Authored],
        excludes: &[Meaning::Approved, Meaning::Rejected],
        not_by: &[Party::Author],
    },
    MeaningRule {
        meaning: Meaning::Approved,
        roles: &[Role::Qa, Role::Manager],
        author_only: false,
        requires: &[Meaning::Reviewed],
        excludes: &[Meaning::Rejected],
        not_by: &[Party::Author, Party::Reviewer],
    },
    MeaningRule {
        meaning: Meaning::Rejected,
        roles: &[Role::Qa, Role::Manager],
        author_only: false,
        requires: &[Meaning::Reviewed],
        excludes: &[Meaning::Approved],
        not_by: &[Party::Author],
    },
    MeaningRule {
        meaning: Meaning::Responsible,
        roles: &[Role::Manager],
        author_only: false,
        requires: &[Meaning::Approved],
        excludes: &[Meaning::Rejected],
        not_by: &[],
    },
];

/// The rule of `meaning`.
pub fn rule(meaning: Meaning) -> &'static MeaningRule {
    POLICY
        .iter()
        .find(|r| r.meaning == meaning)
        .unwrap_or(&POLICY[0])
}

/// An earlier signature on the record, as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Prior {
    pub signer: Uuid,
    pub meaning: Meaning,
}

/// Why the policy refuses a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `authored` by someone who did not upload the version (403).
    NotTheAuthor,
    /// The signer is a party who may not sign this meaning (403).
    SignerIs { party: Party, meaning: Meaning },
    /// The signer already signed this meaning on the record (409).
    AlreadySigned(Meaning),
    /// A meaning that must come first is not signed yet (409).
    Missing { meaning: Meaning, first: Meaning },
    /// An exclusive meaning is already signed (409).
    Excluded { meaning: Meaning, by: Meaning },
}

impl Refusal {
    /// A conflict with the record's state (retry after other signatures), not a matter of
    /// who the signer is.
    pub fn is_conflict(&self) -> bool {
        !matches!(self, Refusal::NotTheAuthor | Refusal::SignerIs { .. })
    }

    /// A short machine-readable cause, as the `signature.refused` event records it.
    pub fn cause(&self) -> &'static str {
        match self {
            Refusal::NotTheAuthor => "not the author",
            Refusal::SignerIs {
                party: Party::Author,
                ..
            } => "signer is the author",
            Refusal::SignerIs {
                party: Party::Reviewer,
                ..
            } => "signer is a reviewer",
            Refusal::AlreadySigned(_) => "already signed",
            Refusal::Missing { .. } => "out of order",
            Refusal::Excluded { .. } => "exclusive meaning already signed",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotTheAuthor => write!(
                f,
                "only the author of a version (the user who uploaded it) signs it as authored"
            ),
            Refusal::SignerIs { party, meaning } => write!(
                f,
                "{} of this version may not sign it as {meaning}: ask another qualified person",
                party.as_str()
            ),
            Refusal::AlreadySigned(m) => write!(f, "you have already signed this version as {m}"),
            Refusal::Missing { meaning, first } => write!(
                f,
                "a version is signed as {first} before it is signed as {meaning}"
            ),
            Refusal::Excluded { meaning, by } => write!(
                f,
                "this version is already signed as {by}; it cannot also be signed as {meaning}"
            ),
        }
    }
}

/// Whether `signer` may sign `meaning` on a version uploaded by `author` that already
/// carries the (attested) signatures `prior`. Roles are checked before (see
/// [`crate::authz::roles_for_meaning`]).
pub fn check(meaning: Meaning, signer: Uuid, author: Uuid, prior: &[Prior]) -> Result<(), Refusal> {
    let r = rule(meaning);
    if r.author_only && signer != author {
        return Err(Refusal::NotTheAuthor);
    }
    for party in r.not_by {
        let is = match party {
            Party::Author => signer == author,
            Party::Reviewer => prior
                .iter()
                .any(|p| p.meaning == Meaning::Reviewed && p.signer == signer),
        };
        if is {
            return Err(Refusal::SignerIs {
                party: *party,
                meaning,
            });
        }
    }
    if prior
        .iter()
        .any(|p| p.meaning == meaning && p.signer == signer)
    {
        return Err(Refusal::AlreadySigned(meaning));
    }
    if let Some(by) = r
        .excludes
        .iter()
        .find(|m| prior.iter().any(|p| p.meaning == **m))
    {
        return Err(Refusal::Excluded { meaning, by: *by });
    }
    if let Some(first) = r
        .requires
        .iter()
        .find(|m| !prior.iter().any(|p| p.meaning == **m))
    {
        return Err(Refusal::Missing {
            meaning,
            first: *first,
        });
    }
    Ok(())
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        "–".into()
    } else {
        items.iter().map(f).collect::<Vec<_>>().join(", ")
    }
}

/// The policy as the README's Markdown table.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Meaning | Roles | Signed by | Needs first | Excluded by | Not by |\n|---|---|---|---|---|---|\n",
    );
    for r in &POLICY {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            r.meaning,
            list(r.roles, |x| format!("`{}`", x.as_str())),
            if r.author_only {
                "the author only"
            } else {
                "anyone with the role"
            },
            list(r.requires, |m| format!("`{m}`")),
            list(r.excludes, |m| format!("`{m}`")),
            list(r.not_by, |p| p.as_str().to_owned()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Uuid, Uuid, Uuid, Uuid) {
        (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        )
    }

    #[test]
    fn every_meaning_has_exactly_one_rule() {
        for m in Meaning::ALL {
            assert_eq!(POLICY.iter().filter(|r| r.meaning == m).count(), 1, "{m}");
        }
    }

    #[test]
    fn the_order_authored_reviewed_approved_holds() {
        let (author, reviewer, approver, _) = ids();
        let mut prior = Vec::new();
        assert_eq!(
            check(Meaning::Reviewed, reviewer, author, &prior),
            Err(Refusal::Missing {
                meaning: Meaning::Reviewed,
                first: Meaning::Authored
            })
        );
        assert_eq!(
            check(Meaning::Authored, reviewer, author, &prior),
            Err(Refusal::NotTheAuthor)
        );
        assert_eq!(check(Meaning::Authored, author, author, &prior), Ok(()));
        prior.push(Prior {
            signer: author,
            meaning: Meaning::Authored,
        });
        assert_eq!(
            check(Meaning::Authored, author, author, &prior),
            Err(Refusal::AlreadySigned(Meaning::Authored))
        );
        assert!(matches!(
            check(Meaning::Approved, approver, author, &prior),
            Err(Refusal::Missing { .. })
        ));
        assert!(matches!(
            check(Meaning::Reviewed, author, author, &prior),
            Err(Refusal::SignerIs {
                party: Party::Author,
                ..
            })
        ));
        assert_eq!(check(Meaning::Reviewed, reviewer, author, &prior), Ok(()));
        prior.push(Prior {
            signer: reviewer,
            meaning: Meaning::Reviewed,
        });
        assert!(matches!(
            check(Meaning::Approved, reviewer, author, &prior),
            Err(Refusal::SignerIs {
                party: Party::Reviewer,
                ..
            })
        ));
        assert!(matches!(
            check(Meaning::Approved, author, author, &prior),
            Err(Refusal::SignerIs {
                party: Party::Author,
                ..
            })
        ));
        assert!(matches!(
            check(Meaning::Responsible, approver, author, &prior),
            Err(Refusal::Missing { .. })
        ));
        assert_eq!(check(Meaning::Approved, approver, author, &prior), Ok(()));
        prior.push(Prior {
            signer: approver,
            meaning: Meaning::Approved,
        });
        let (_, _, _, other) = ids();
        assert!(matches!(
            check(Meaning::Rejected, other, author, &prior),
            Err(Refusal::Excluded { .. })
        ));
        assert!(matches!(
            check(Meaning::Reviewed, other, author, &prior),
            Err(Refusal::Excluded { .. })
        ));
        assert_eq!(check(Meaning::Responsible, other, author, &prior), Ok(()));
    }

    #[test]
    fn refusals_of_who_are_forbidden_and_of_state_are_conflicts() {
        assert!(!Refusal::NotTheAuthor.is_conflict());
        assert!(Refusal::AlreadySigned(Meaning::Reviewed).is_conflict());
    }

    #[test]
    fn the_readme_documents_the_policy() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .expect("README.md");
        assert!(
            readme.contains(&markdown_table()),
            "README.md must hold the signature policy table:\n{}",
            markdown_table()
        );
    }
}
