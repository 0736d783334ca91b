//! Authentication and authorisation, in one place: the bearer-token extractor resolves the
//! session to a [`Principal`] (the tenant comes from the session only), and [`Guard`]
//! checks the caller holds one of the roles a [`Policy`] allows. Handlers state their policy
//! in their signature, e.g. `Guard<CanUpload>`.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use store::{Principal, Role};

/// Which roles may do something.
pub trait Policy {
    const ROLES: &'static [Role];
}

/// Any authenticated user of the tenant.
#[derive(Debug)]
pub struct AnyRole;
impl Policy for AnyRole {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// Upload documents and new versions: writers.
#[derive(Debug)]
pub struct CanUpload;
impl Policy for CanUpload {
    const ROLES: &'static [Role] = &[Role::Writer];
}

/// Manage users: admins.
#[derive(Debug)]
pub struct CanManageUsers;
impl Policy for CanManageUsers {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Read, verify and export the audit trail: auditors and managers.
#[derive(Debug)]
pub struct CanReadAudit;
impl Policy for CanReadAudit {
    const ROLES: &'static [Role] = &[Role::Auditor, Role::Manager];
}

/// Give an electronic signature: writers, QA and managers (which meanings each may sign
/// is checked against `store::signatures::roles_for_meaning`).
#[derive(Debug)]
pub struct CanSign;
impl Policy for CanSign {
    const ROLES: &'static [Role] = &[Role::Writer, Role::Qa, Role::Manager];
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
            if !principal.has_any(P::ROLES) {
                return Err(ApiError::Forbidden);
            }
            Ok(Guard {
                principal,
                _policy: PhantomData,
            })
        })
    }
}
