//! Authentication and authorisation, in one place: the bearer-token extractor resolves the
//! session to a [`Principal`] (the tenant comes from the session only), and [`Guard`]
//! asks `service::authz` whether the caller may take the [`Policy`]'s action. Handlers state
//! their action in their signature, e.g. `Guard<CanUpload>`.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use service::authz::Action;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use store::Principal;

/// The action a handler takes; `service::authz` decides which roles may take it.
pub trait Policy {
    const ACTION: Action;
    /// Open to a user whose password change is due (the web pages' own password form);
    /// every other page sends that user to the password form first.
    const WHILE_PASSWORD_DUE: bool = false;
}

/// One's own account: the password form, open while a password change is due.
#[derive(Debug)]
pub struct OwnAccount;
impl Policy for OwnAccount {
    const ACTION: Action = Action::Read;
    const WHILE_PASSWORD_DUE: bool = true;
}

/// Any authenticated user of the tenant.
#[derive(Debug)]
pub struct AnyRole;
impl Policy for AnyRole {
    const ACTION: Action = Action::Read;
}

/// Upload documents and new versions.
#[derive(Debug)]
pub struct CanUpload;
impl Policy for CanUpload {
    const ACTION: Action = Action::Upload;
}

/// Manage users.
#[derive(Debug)]
pub struct CanManageUsers;
impl Policy for CanManageUsers {
    const ACTION: Action = Action::ManageUsers;
}

/// Read, verify and export the audit trail.
#[derive(Debug)]
pub struct CanReadAudit;
impl Policy for CanReadAudit {
    const ACTION: Action = Action::ReadAudit;
}

/// Give an electronic signature (which meanings each role may sign is
/// `service::authz::roles_for_meaning`).
#[derive(Debug)]
pub struct CanSign;
impl Policy for CanSign {
    const ACTION: Action = Action::Sign;
}

/// Request analyses of document versions.
#[derive(Debug)]
pub struct CanAnalyse;
impl Policy for CanAnalyse {
    const ACTION: Action = Action::Analyse;
}

/// Decide on suggestions (signed).
#[derive(Debug)]
pub struct CanDecide;
impl Policy for CanDecide {
    const ACTION: Action = Action::Decide;
}

/// Suppress QC findings (signed).
#[derive(Debug)]
pub struct CanSuppress;
impl Policy for CanSuppress {
    const ACTION: Action = Action::Suppress;
}

/// Replay stored model proposals.
#[derive(Debug)]
pub struct CanReplay;
impl Policy for CanReplay {
    const ACTION: Action = Action::Replay;
}

/// The caller, authenticated and holding a role allowed by `P`.
#[derive(Debug)]
pub struct Guard<P: Policy> {
    pub principal: Principal,
    _policy: PhantomData<P>,
}

impl<P: Policy> std::ops::Deref for Guard<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// The raw bearer token of the request, if well-formed.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let h = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let s = h.to_str().ok()?;
    let (scheme, token) = s.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<P: Policy + 'static> FromRequest for Guard<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("no app state".into()))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let principal = state
                .store
                .authenticate(&token, state.settings.session_policy())
                .await
                .map_err(|e| match e {
                    store::StoreError::Unauthenticated => ApiError::Unauthorized,
                    other => ApiError::Store(other),
                })?;
            if !service::authz::allowed(&principal, P::ACTION) {
                return Err(ApiError::Forbidden);
            }
            Ok(Guard {
                principal,
                _policy: PhantomData,
            })
        })
    }
}
