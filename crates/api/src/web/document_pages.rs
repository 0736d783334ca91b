//! The documents: the list (state, search, filter, pages), upload, and one document (its
//! versions and their signatures, outline, findings by rule, analyses with live progress,
//! its review state and history, the approval or rejection).

use super::error::PageError;
use super::session::Viewer;
use super::view::{Chrome, page, urlencode, when};
use crate::auth::{AnyRole, CanAnalyse, CanSign, CanSuppress, CanUpload};
use crate::context::Ctx;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use service::authz::Action;
use service::review::read::{FindingView, Scope};
use std::collections::BTreeMap;
use store::{DocState, Meaning};
use uuid::Uuid;

/// Documents on one page of the list.
const PAGE: u64 = 25;
/// Findings shown on a document's page (the rest: the review report).
const MAX_FINDINGS: u64 = 200;

/// A state as a page shows it: words, never a colour alone.
pub fn state_label(s: DocState) -> &'static str {
    match s {
        DocState::Draft => "Draft",
        DocState::InReview => "In review",
        DocState::Reviewed => "Reviewed",
        DocState::Approved => "Approved",
        DocState::Rejected => "Rejected",
    }
}

/// What signing with a meaning does, in words.
fn meaning_label(m: Meaning) -> &'static str {
    match m {
        Meaning::Authored => "I wrote this version",
        Meaning::Reviewed => "I reviewed this version",
        Meaning::Approved => "I approve this version",
        Meaning::Rejected => "I reject this version",
        Meaning::Responsible => "I take responsibility for this version",
    }
}

pub struct DocRow {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub format: String,
    pub version: i32,
    pub state: &'static str,
    pub state_class: &'static str,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<DocRow>,
    q: String,
    state: String,
    states: Vec<(&'static str, &'static str)>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    can_upload: bool,
    max_upload_mb: u64,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    page: Option<u64>,
}

#[get("/documents")]
pub async fn list(
    state: web::Data<AppState>,
    who: Viewer<AnyRole>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(DocState::parse(s)?),
        None => None,
    };
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let text = q.q.clone().unwrap_or_default();
    let (docs, total) = service::documents::overview(
        &state.store,
        &who,
        service::documents::Filter {
            text: Some(text.clone()),
            state: wanted,
        },
        PAGE,
        (page_no - 1) * PAGE,
    )
    .await?;
    let rows = docs
        .into_iter()
        .map(|(d, s)| DocRow {
            id: d.id,
            title: d.title,
            filename: d.filename,
            format: d.format.to_uppercase(),
            version: d.current_version,
            state: state_label(s),
            state_class: s.as_str(),
            updated: when(&d.updated_at),
        })
        .collect();
    let pages = total.div_ceil(PAGE).max(1);
    let link = |p: u64| {
        format!(
            "/documents?q={}&state={}&page={p}",
            urlencode(&text),
            wanted.map(|s| s.as_str()).unwrap_or("")
        )
    };
    let p = ListPage {
        chrome: Chrome::of(&who, "Documents"),
        rows,
        q: text.clone(),
        state: wanted.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        states: DocState::ALL
            .iter()
            .map(|s| (s.as_str(), state_label(*s)))
            .collect(),
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        can_upload: who.can(Action::Upload),
        max_upload_mb: state.settings.server.max_upload_bytes / (1024 * 1024),
    };
    Ok(page(&who, &p))
}

/// The header the page's script sends with an upload: the answer is then where to go
/// (JSON `{location}`, its message in the cookie) instead of a redirect the script would
/// follow unseen.
const SCRIPT_UPLOAD: &str = "x-dualcheck-upload";

/// A redirect as the page's script wants it.
fn for_script(res: HttpResponse) -> HttpResponse {
    let location = res
        .headers()
        .get(actix_web::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/documents")
        .to_owned();
    let mut out = HttpResponse::Ok().json(serde_json::json!({ "location": location }));
    for c in res.cookies() {
        let _ = out.add_cookie(&c);
    }
    out
}

/// Upload a new document (the form, or the page's script with its progress bar); on
/// success to the document's page.
#[post("/documents")]
pub async fn upload(
    state: web::Data<AppState>,
    who: Viewer<CanUpload>,
    ctx: Ctx,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let script = req.headers().contains_key(SCRIPT_UPLOAD);
    let res = upload_form(&state, &who, ctx, &req, payload).await?;
    Ok(if script { for_script(res) } else { res })
}

async fn upload_form(
    state: &AppState,
    who: &Viewer<CanUpload>,
    ctx: Ctx,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let read = crate::routes::documents::upload::read_upload(
        req,
        payload,
        state.settings.server.max_upload_bytes,
    )
    .await;
    let (up, csrf) = match read {
        Ok(r) => r,
        Err(e) => return super::back(who, "/documents", Err(e.into())),
    };
    who.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let name = up.filename.clone();
    match service::documents::upload(&state.store, who, &state.ingest, up, ctx.0).await {
        Ok((d, _)) => {
            state
                .metrics
                .uploads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            super::back(
                who,
                &format!("/documents/{}", d.id),
                Ok(format!("{} uploaded as version 1", store::clip(&name, 200))),
            )
        }
        Err(e) => super::back(who, "/documents", Err(e.into())),
    }
}

pub struct VersionRow {
    pub version: i32,
    pub filename: String,
    pub sha256: String,
    pub size_kb: i64,
    pub uploaded: String,
    pub current: bool,
    pub signatures: Vec<SignatureRow>,
}

pub struct SignatureRow {
    pub manifestation: String,
    pub valid: bool,
    pub invalid_because: String,
}

pub struct Heading {
    pub indent: u8,
    pub text: String,
    pub page: String,
}

pub struct RuleGroup {
    pub rule_id: String,
    pub findings: Vec<FindingRow>,
}

pub struct FindingRow {
    pub id: Uuid,
    pub level: String,
    pub location: String,
    pub message: String,
    pub suppressed: Option<String>,
}

pub struct JobRow {
    pub id: Uuid,
    pub state: String,
    pub live: bool,
    pub done: i32,
    pub total: String,
    pub requested: String,
    pub counts: String,
    pub stats: Vec<(&'static str, usize)>,
    pub error: String,
}

pub struct HistoryRow {
    pub from: String,
    pub to: String,
    pub at: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    chrome: Chrome,
    id: Uuid,
    filename: String,
    format: String,
    version: i32,
    current_version: i32,
    state: &'static str,
    state_class: &'static str,
    locked: bool,
    history: Vec<HistoryRow>,
    versions: Vec<VersionRow>,
    outline: Vec<Heading>,
    groups: Vec<RuleGroup>,
    findings_total: u64,
    findings_shown: usize,
    jobs: Vec<JobRow>,
    decided: Vec<(&'static str, u64)>,
    has_analysis: bool,
    can_analyse: bool,
    can_suppress: bool,
    sign_meanings: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

fn outline(structure: &str) -> Vec<Heading> {
    let Ok(doc) = serde_json::from_str::<ingest::Document>(structure) else {
        return Vec::new();
    };
    doc.blocks
        .iter()
        .filter_map(|b| match &b.kind {
            ingest::BlockKind::Heading { level, .. } => Some(Heading {
                indent: (*level).clamp(1, 6),
                text: store::clip(&b.text, 200),
                page: b.page.map(|p| format!("p. {p}")).unwrap_or_default(),
            }),
            _ => None,
        })
        .take(400)
        .collect()
}

fn group(items: Vec<FindingView>) -> Vec<RuleGroup> {
    let mut by: BTreeMap<String, Vec<FindingRow>> = BTreeMap::new();
    for f in items {
        let location = match (&f.section, &f.anchor) {
            (Some(s), Some(a)) => format!("{s} ({a})"),
            (Some(s), None) => s.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => "the document".into(),
        };
        by.entry(f.rule_id.clone()).or_default().push(FindingRow {
            id: f.id,
            level: f.level,
            location,
            message: f.message,
            suppressed: f
                .suppression
                .map(|s| format!("suppressed {}: {}", when(&s.at), s.reason)),
        });
    }
    by.into_iter()
        .map(|(rule_id, findings)| RuleGroup { rule_id, findings })
        .collect()
}

fn job_row(j: service::review::jobs::JobView) -> JobRow {
    let counts = j
        .summary
        .as_ref()
        .map(|c| format!("{} findings, {} suggestions stored", c.findings, c.stored))
        .unwrap_or_default();
    let stats = j
        .summary
        .as_ref()
        .map(|c| {
            vec![
                ("candidate sentences", c.candidates),
                ("not prose (skipped)", c.not_prose),
                ("findings", c.findings),
                ("asked of the model", c.ai_asked),
                ("model proposals passed", c.ai_passed),
                ("model proposals warned", c.ai_warned),
                ("model proposals blocked", c.ai_blocked),
                ("rules' rewrites", c.rule_rewrites),
                ("copies dropped", c.dropped),
                ("suggestions stored", c.stored),
            ]
        })
        .unwrap_or_default();
    JobRow {
        stats,
        id: j.id,
        state: j.state.to_string(),
        live: !j.state.is_final(),
        done: j.progress.done,
        total: j.progress.total.map(|t| t.to_string()).unwrap_or_default(),
        requested: when(&j.created_at),
        counts,
        error: j.error.unwrap_or_default(),
    }
}

#[get("/documents/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    who: Viewer<AnyRole>,
    path: web::Path<Uuid>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (d, v) = match q.version {
        Some(n) => service::documents::get_version(&state.store, &who, id, n).await?,
        None => service::documents::get(&state.store, &who, id).await?,
    };
    let version = v.version;
    let review = service::review::jobs::review_state(&state.store, &who, id, version).await?;
    let mut versions = Vec::new();
    for info in service::documents::versions(&state.store, &who, id).await? {
        let sigs =
            service::signing::version_signatures(&state.store, &who, id, info.version).await?;
        versions.push(VersionRow {
            version: info.version,
            filename: info.filename,
            sha256: info.sha256,
            size_kb: (info.size_bytes + 1023) / 1024,
            uploaded: when(&info.created_at),
            current: info.version == version,
            signatures: sigs
                .into_iter()
                .map(|s| SignatureRow {
                    manifestation: s.signature.manifestation,
                    valid: s.valid,
                    invalid_because: s.invalid_because.unwrap_or_default(),
                })
                .collect(),
        });
    }
    let findings = service::review::read::findings(
        &state.store,
        &who,
        id,
        Scope {
            version: Some(version),
            job: None,
        },
        Default::default(),
        MAX_FINDINGS,
        0,
    )
    .await?;
    let jobs = service::review::jobs::of_version(&state.store, &who, id, version).await?;
    let mut decided = Vec::new();
    if findings.job_id.is_some() {
        for status in [
            "open",
            "accepted",
            "edited",
            "rejected",
            "blocked",
            "superseded",
        ] {
            let page = service::review::read::suggestions(
                &state.store,
                &who,
                id,
                Scope {
                    version: Some(version),
                    job: None,
                },
                store::review::SuggestionFilter {
                    status: Some(status.into()),
                    ..Default::default()
                },
                1,
                0,
            )
            .await?;
            decided.push((status, page.total));
        }
    }
    let shown = findings.items.len();
    let sign_meanings = Meaning::ALL
        .into_iter()
        .filter(|m| who.has_any(service::authz::roles_for_meaning(*m)))
        .map(|m| (m.as_str(), meaning_label(m)))
        .collect();
    let p = DocumentPage {
        chrome: Chrome::of(&who, d.title.clone()),
        id,
        filename: v.filename.clone(),
        format: v.format.to_uppercase(),
        version,
        current_version: d.current_version,
        state: state_label(review.state),
        state_class: review.state.as_str(),
        locked: review.locked,
        history: review
            .history
            .into_iter()
            .map(|h| HistoryRow {
                from: h.from,
                to: h.to,
                at: when(&h.at),
                reason: h.reason.unwrap_or_default(),
            })
            .collect(),
        versions,
        outline: outline(&v.structure),
        has_analysis: findings.job_id.is_some(),
        findings_total: findings.total,
        findings_shown: shown,
        groups: group(findings.items),
        jobs: jobs.into_iter().map(job_row).collect(),
        decided,
        can_analyse: who.can(Action::Analyse) && !review.locked,
        can_suppress: who.can(Action::Suppress) && !review.locked,
        sign_meanings: if who.can(Action::Sign) && !review.locked {
            sign_meanings
        } else {
            Vec::new()
        },
    };
    Ok(page(&who, &p))
}

#[derive(Debug, Deserialize)]
pub struct AnalysisForm {
    csrf: String,
    version: i32,
    /// `both`, `rule` or `ai`.
    #[serde(default)]
    kinds: String,
    #[serde(default)]
    limit: String,
}

#[post("/documents/{id}/analyses")]
pub async fn start_analysis(
    state: web::Data<AppState>,
    who: Viewer<CanAnalyse>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    form: web::Form<AnalysisForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let back_to = format!("/documents/{id}?version={}", f.version);
    let kinds = match f.kinds.as_str() {
        "rule" => vec![service::review::Kind::Rule],
        "ai" => vec![service::review::Kind::Ai],
        _ => Vec::new(),
    };
    let limit = match f.limit.trim() {
        "" => None,
        t => match t.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                return super::back(
                    &who,
                    &back_to,
                    Err(service::ServiceError::Invalid(
                        "the most sentences must be a whole number".into(),
                    )
                    .into()),
                );
            }
        },
    };
    let options = service::review::AnalysisOptions {
        version: Some(f.version),
        kinds,
        limit,
        ..Default::default()
    };
    let out = service::review::jobs::request(&state.store, &state.models, &who, id, options, ctx.0)
        .await
        .map(|j| format!("analysis {} queued", j.id))
        .map_err(PageError::from);
    super::back(&who, &back_to, out)
}

/// The progress of an analysis, for the page's script (JSON; the page works without it).
#[get("/documents/{id}/analyses/{job}/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    who: Viewer<AnyRole>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (id, job) = path.into_inner();
    let j = service::review::jobs::get(&state.store, &who, job).await?;
    if j.document_id != id {
        return Err(crate::error::ApiError::NotFound("analysis job").into());
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "state": j.state,
        "final": j.state.is_final(),
        "done": j.progress.done,
        "total": j.progress.total,
        "error": j.error,
    })))
}

#[derive(Debug, Deserialize)]
pub struct SignForm {
    csrf: String,
    meaning: String,
    password: String,
}

/// Approve or reject a version (or any other meaning the role may sign), signed.
#[post("/documents/{id}/versions/{version}/sign")]
pub async fn sign(
    state: web::Data<AppState>,
    who: Viewer<CanSign>,
    ctx: Ctx,
    path: web::Path<(Uuid, i32)>,
    form: web::Form<SignForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let (id, version) = path.into_inner();
    let back_to = format!("/documents/{id}?version={version}");
    let meaning = match Meaning::parse(&form.meaning) {
        Ok(m) => m,
        Err(e) => return super::back(&who, &back_to, Err(e.into())),
    };
    let out = service::signing::sign_version(
        &state.store,
        &state.attempts,
        &who,
        service::signing::SignVersion {
            id,
            version,
            meaning,
            password: &form.password,
        },
        ctx.0,
    )
    .await
    .map(|s| format!("signed: {}", s.signature.manifestation))
    .map_err(PageError::from);
    super::back(&who, &back_to, out)
}

#[derive(Debug, Deserialize)]
pub struct SuppressForm {
    csrf: String,
    version: i32,
    reason: String,
    password: String,
}

/// Suppress a finding with a reason, signed as reviewed.
#[post("/documents/{id}/findings/{finding}/suppress")]
pub async fn suppress(
    state: web::Data<AppState>,
    who: Viewer<CanSuppress>,
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<SuppressForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let (id, finding) = path.into_inner();
    let f = form.into_inner();
    let back_to = format!("/documents/{id}?version={}#findings", f.version);
    let out = service::review::decide::suppress(
        &state.store,
        &state.attempts,
        &who,
        finding,
        service::review::decide::SuppressInput {
            reason: f.reason,
            signature: service::review::decide::SuppressionSignature {
                password: f.password,
                meaning: Meaning::Reviewed,
            },
        },
        ctx.0,
    )
    .await
    .map(|v| format!("finding {} suppressed", v.rule_id))
    .map_err(PageError::from);
    super::back(&who, &back_to, out)
}
