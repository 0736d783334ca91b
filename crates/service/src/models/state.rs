//! Where each model stands, as `GET /api/v1/models` shows it.

use serde::Serialize;

/// Where a model stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ModelState {
    /// Not looked at yet.
    Unchecked,
    /// Every file present and matching its SHA-256.
    Ready,
    /// A file is absent (and the service does not fetch it, or has not yet).
    Missing,
    /// A file differs from its pinned SHA-256: the model is refused.
    Mismatch { file: String },
    /// Being fetched.
    Fetching,
    /// The last fetch (or check) failed.
    Failed { reason: String },
}

/// One model as `GET /api/v1/models` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelView {
    pub name: String,
    /// `generator` or `embedder`.
    pub role: String,
    pub architecture: String,
    pub licence: String,
    pub prompt_format: String,
    pub description: String,
    /// The model used for this role when none is named.
    pub default: bool,
    #[serde(flatten)]
    pub state: ModelState,
    pub files: Vec<ModelFileView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelFileView {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}
