//! What every page shares: the frame around it ([`Chrome`]: who is signed in, the
//! navigation their roles open, the CSRF token, the message of the last form, the session's
//! idle time), rendering with the pages' headers, and small formatting helpers (times with
//! their zone, spans of text to mark).

use super::session::{FLASH_COOKIE, Flash, Viewer, removal};
use crate::auth::Policy;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;
use service::authz::Action;

/// The frame of a signed-in page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub signed_in: bool,
    pub user: String,
    pub tenant: String,
    pub roles: String,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub idle_secs: u64,
    pub nav_audit: bool,
    pub nav_users: bool,
}

impl Chrome {
    pub fn of<P: Policy>(v: &Viewer<P>, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            signed_in: true,
            user: v.display_name.clone(),
            tenant: v.tenant.to_string(),
            roles: v
                .roles
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            csrf: v.csrf.clone(),
            flash: v.flash.clone(),
            idle_secs: v.idle_secs,
            nav_audit: v.can(Action::ReadAudit),
            nav_users: v.can(Action::ManageUsers),
        }
    }

    /// The frame of a page before login.
    pub fn anonymous(title: impl Into<String>, csrf: String, flash: Option<Flash>) -> Chrome {
        Chrome {
            title: title.into(),
            signed_in: false,
            user: String::new(),
            tenant: String::new(),
            roles: String::new(),
            csrf,
            flash,
            idle_secs: 0,
            nav_audit: false,
            nav_users: false,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub detail: String,
    pub request_id: String,
}

/// A rendered page with the pages' Content-Security-Policy.
pub fn html(status: StatusCode, t: &impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, super::PAGE_CSP))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "a page template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("the page could not be rendered; quote the time to the operator")
        }
    }
}

/// A signed-in page (200); the message it showed is removed.
pub fn page<P: Policy>(v: &Viewer<P>, t: &impl Template) -> HttpResponse {
    let mut res = html(StatusCode::OK, t);
    if v.flash.is_some() {
        let _ = res.add_cookie(&removal(FLASH_COOKIE, v.tls));
    }
    res
}

/// A path of this site to return to: a local absolute path, never `//host` or a URL.
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local { next } else { "/documents" }
}

/// Percent-encoding of a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A time as the pages show it: UTC, with the zone written out.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A piece of text, marked when a reason points at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    /// The number of the reason (1-based) and its level.
    pub mark: Option<(usize, String)>,
}

/// `text` cut into pieces at the spans (character offsets, end exclusive), each span
/// marked with its reason's number; overlapping and out-of-range spans are clipped.
pub fn marked(text: &str, spans: &[(usize, usize, usize, String)]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<_> = spans
        .iter()
        .filter(|(s, e, _, _)| s < e && *s < chars.len())
        .cloned()
        .collect();
    spans.sort_by_key(|(s, e, _, _)| (*s, std::cmp::Reverse(*e)));
    let mut out = Vec::new();
    let mut at = 0usize;
    for (s, e, n, level) in spans {
        let e = e.min(chars.len());
        if s < at {
            continue;
        }
        if s > at {
            out.push(Piece {
                text: chars[at..s].iter().collect(),
                mark: None,
            });
        }
        out.push(Piece {
            text: chars[s..e].iter().collect(),
            mark: Some((n, level)),
        });
        at = e;
    }
    if at < chars.len() {
        out.push(Piece {
            text: chars[at..].iter().collect(),
            mark: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/documents/1?x=2"), "/documents/1?x=2");
        assert_eq!(safe_next("//evil.example/"), "/documents");
        assert_eq!(safe_next("/\\evil.example"), "/documents");
        assert_eq!(safe_next("https://evil.example/"), "/documents");
        assert_eq!(safe_next("/a\nb"), "/documents");
    }

    #[test]
    fn urlencode_keeps_paths_readable() {
        assert_eq!(
            urlencode("/documents?q=a b&c"),
            "/documents%3Fq%3Da%20b%26c"
        );
    }

    #[test]
    fn marked_cuts_at_spans_and_skips_overlaps() {
        let p = marked(
            "take 5 mg daily",
            &[(5, 9, 1, "block".into()), (7, 15, 2, "warn".into())],
        );
        let texts: Vec<_> = p.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["take ", "5 mg", " daily"]);
        assert_eq!(p[1].mark, Some((1, "block".into())));
        assert_eq!(p[2].mark, None);
        // Out of range: clipped, never a panic.
        let p = marked("ab", &[(1, 99, 1, "warn".into()), (5, 6, 2, "warn".into())]);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].text, "b");
    }
}
