//! Who may do what: the one table of authorisation decisions. HTTP guards and use cases
//! ask here; nothing else decides.

use crate::ServiceError;
use store::{Meaning, Principal, Role};

/// Something a user of a tenant may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read documents, versions, signatures, rules and models.
    Read,
    /// Upload documents and new versions.
    Upload,
    /// Create, list and change users.
    ManageUsers,
    /// Read, verify and export the audit trail.
    ReadAudit,
    /// Give an electronic signature (which meanings: [`roles_for_meaning`]).
    Sign,
    /// Request an analysis of a document version, cancel one's own.
    Analyse,
    /// Cancel anyone's analysis job.
    CancelAnyJob,
    /// Decide on a suggestion (accept, edit, reject), signed.
    Decide,
    /// Suppress a QC finding, signed.
    Suppress,
    /// Replay a stored model proposal from its provenance.
    Replay,
    /// Export the review report of a version (its audit excerpt and the chain's check).
    ExportReport,
}

impl Action {
    /// The roles allowed to take this action.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Action::Read => &Role::ALL,
            Action::Upload => &[Role::Writer],
            Action::ManageUsers => &[Role::Admin],
            Action::ReadAudit => &[Role::Auditor, Role::Manager],
            Action::Sign => &[Role::Writer, Role::Qa, Role::Manager],
            Action::Analyse => &[Role::Writer, Role::Qa, Role::Manager],
            Action::CancelAnyJob => &[Role::Qa, Role::Manager],
            Action::Decide => &[Role::Qa, Role::Manager],
            Action::Suppress => &[Role::Qa],
            Action::Replay => &[Role::Auditor, Role::Qa],
            Action::ExportReport => &[Role::Qa, Role::Manager, Role::Auditor],
        }
    }
}

/// Which roles may sign with a meaning (the roles column of
/// [`crate::signature_policy::POLICY`]): authored (writer), reviewed (qa), approved and
/// rejected (qa, manager), responsible (manager).
pub fn roles_for_meaning(meaning: Meaning) -> &'static [Role] {
    crate::signature_policy::rule(meaning).roles
}

/// What a user may do while a password change is due: change it, see themselves, log out.
pub fn require_even_before_password_change(_who: &Principal) -> Result<(), ServiceError> {
    Ok(())
}

/// Whether `who` may take `action`.
pub fn allowed(who: &Principal, action: Action) -> bool {
    who.has_any(action.roles())
}

/// `Ok` when `who` may take `action`, else [`ServiceError::Forbidden`]; a user whose
/// password must be changed first may take no action at all
/// ([`ServiceError::PasswordChangeRequired`]).
pub fn require(who: &Principal, action: Action) -> Result<(), ServiceError> {
    require_even_before_password_change(who)?;
    if who.must_change_password {
        return Err(ServiceError::PasswordChangeRequired);
    }
    if allowed(who, action) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_meaning_is_signable_by_a_role_that_may_sign() {
        for m in Meaning::ALL {
            let roles = roles_for_meaning(m);
            assert!(!roles.is_empty());
            assert!(
                roles.iter().all(|r| Action::Sign.roles().contains(r)),
                "{m}"
            );
        }
        assert!(!roles_for_meaning(Meaning::Approved).contains(&Role::Writer));
    }
}
