//! Documents: upload (multipart `file`), list, read, original bytes, versions. The views
//! here are what the API shows; the use cases are `service::documents`.

pub mod read;
pub mod upload;

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use store::documents::{self, VersionInfo};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    /// `pdf` or `docx`.
    pub format: String,
    pub current_version: i32,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<documents::Document> for DocumentSummary {
    fn from(d: documents::Document) -> Self {
        DocumentSummary {
            id: d.id,
            title: d.title,
            filename: d.filename,
            format: d.format,
            current_version: d.current_version,
            created_by: d.created_by,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub id: Uuid,
    pub version: i32,
    pub filename: String,
    pub format: String,
    /// SHA-256 of the original bytes.
    pub sha256: String,
    pub size_bytes: i64,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<VersionInfo> for VersionView {
    fn from(v: VersionInfo) -> Self {
        VersionView {
            id: v.id,
            version: v.version,
            filename: v.filename,
            format: v.format,
            sha256: v.sha256,
            size_bytes: v.size_bytes,
            created_by: v.created_by,
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub document: DocumentSummary,
    pub version: VersionView,
    /// The ingested structure (see the README's `dualcheck ingest --json`).
    #[schema(value_type = Object)]
    pub structure: Box<RawValue>,
    /// The version's review state (draft, in review, reviewed, approved, rejected) and its
    /// history.
    pub review: service::review::jobs::ReviewView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentSummary>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Default 0.
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The PDF or DOCX file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional title (default: the file name).
    title: Option<String>,
}

pub(crate) async fn detail(
    state: &crate::state::AppState,
    who: &store::Principal,
    d: documents::Document,
    v: documents::Version,
) -> Result<DocumentDetail, ApiError> {
    let review = service::review::jobs::review_state(&state.store, who, d.id, v.version).await?;
    let version = VersionView::from(VersionInfo::from(&v));
    let structure = RawValue::from_string(v.structure)
        .map_err(|e| ApiError::Internal(format!("stored structure is not JSON: {e}")))?;
    Ok(DocumentDetail {
        document: d.into(),
        version,
        structure,
        review,
    })
}
