//! The web pages over plain HTTP, on both engines: the login form's CSRF cookie, the
//! session cookie's flags, the pages' Content-Security-Policy, CSRF refusals, uploads from
//! the page's form, HTML error pages for the pages (problem+json stays for the API), and
//! another tenant's document answering 404 like an unknown one.

use dualcheck_tests::server::{Db, TestServer};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use store::Role;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of cookie `name` in the response's `Set-Cookie` headers, and its attributes.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let rest = s.strip_prefix(&format!("{name}="))?;
        let (value, attrs) = rest.split_once(';').unwrap_or((rest, ""));
        Some((value.to_owned(), attrs.to_owned()))
    })
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_owned()
}

/// Log in through the form; the session cookie and the page's CSRF token.
async fn login(s: &TestServer, c: &reqwest::Client, tenant: &str, user: &str) -> (String, String) {
    let pw = s.user(tenant, user, &[Role::Writer]).await;
    let form = c.get(s.url("/login")).send().await.unwrap();
    let (secret, attrs) = set_cookie(&form, "dc_login").expect("dc_login cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"),
        "{attrs}"
    );
    let csrf = hidden_csrf(&form.text().await.unwrap());
    // Without the login cookie the form is refused (and shown again).
    let res = c
        .post(s.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("tenant", tenant),
            ("username", user),
            ("password", pw.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("did not come from this site")
    );
    let res = c
        .post(s.url("/login"))
        .header(COOKIE, format!("dc_login={secret}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("tenant", tenant),
            ("username", user),
            ("password", pw.as_str()),
            ("next", "//elsewhere.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION],
        "/documents",
        "never to another site"
    );
    let (session, attrs) = set_cookie(&res, "dc_session").expect("session cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict") && attrs.contains("Path=/"),
        "{attrs}"
    );
    assert!(!attrs.contains("Secure"), "no TLS here: {attrs}");
    let cookie = format!("dc_session={session}");
    let page = c
        .get(s.url("/documents"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = hidden_csrf(&page.text().await.unwrap());
    (cookie, csrf)
}

/// Upload our own protocol as `name` through the documents page's form.
async fn page_upload(
    s: &TestServer,
    c: &reqwest::Client,
    cookie: &str,
    csrf: &str,
    name: &str,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(testkit::docx::protocol()).file_name(name.to_owned()),
        );
    c.post(s.url("/documents"))
        .header(COOKIE, cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn pages(s: &TestServer) {
    let c = client();
    // No session: to the login form, with where to come back.
    let res = c.get(s.url("/documents?q=a b")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION],
        "/login?next=/documents%3Fq%3Da%2520b"
    );

    let (cookie, csrf) = login(s, &c, "acme", "wanda").await;
    let res = c
        .get(s.url("/documents"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(csp, dualcheck_api::web::PAGE_CSP);
    assert!(csp.contains("form-action 'self'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "nothing inline"
    );
    for asset in ["/static/app.css", "/static/app.js"] {
        let res = c.get(s.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        assert!(res.text().await.unwrap().len() > 1000, "{asset}");
    }

    // An upload from the page's form: to the new document's page.
    let res = page_upload(s, &c, &cookie, &csrf, "protocol.docx").await;
    assert_eq!(res.status(), 303);
    let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/documents/"), "{to}");
    let flash = set_cookie(&res, "dc_flash").expect("a message for the next page");
    let page = c
        .get(s.url(&to))
        .header(COOKIE, format!("{cookie}; dc_flash={}", flash.0))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (cleared, _) = set_cookie(&page, "dc_flash").expect("the message is removed once shown");
    assert!(cleared.is_empty());
    let html = page.text().await.unwrap();
    assert!(
        html.contains("protocol.docx uploaded as version 1"),
        "{html}"
    );
    // The same upload with another session's token is refused, nothing stored.
    let res = page_upload(s, &c, &cookie, &"0".repeat(64), "again.docx").await;
    assert_eq!(res.status(), 403);
    let list = c
        .get(s.url("/documents"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("again.docx"));

    // HTML errors for the pages, problem+json for the API.
    let html_error = |res: reqwest::Response, status: u16| async move {
        assert_eq!(res.status(), status);
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{:?}",
            res.headers()
        );
        res.text().await.unwrap()
    };
    let page = html_error(
        c.get(s.url("/documents/not-a-uuid"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(page.contains("Request id"), "{page}");
    html_error(
        c.get(s.url("/documents?page=many"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    html_error(
        c.get(s.url(&format!("/documents/{}", uuid::Uuid::new_v4())))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    html_error(
        c.get(s.url("/no-such-page"))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let res = c.get(s.url("/api/v1/no-such-thing")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
    // A form without its token, and one with another's.
    html_error(
        c.post(s.url("/logout"))
            .header(COOKIE, &cookie)
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    html_error(
        c.post(s.url("/logout"))
            .header(COOKIE, &cookie)
            .form(&[("csrf", "0".repeat(64))])
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    // A writer may not open the users page; the server says so on an HTML page.
    let page = html_error(
        c.get(s.url("/users"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(page.contains("your roles do not allow"), "{page}");

    // Another tenant's user sees the document as not found.
    let (other, _) = login(s, &c, "beta", "otto").await;
    html_error(
        c.get(s.url(&to))
            .header(COOKIE, &other)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    // Logging out ends the session: the cookie no longer opens a page.
    let res = c
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/login");
    let res = c
        .get(s.url("/documents"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

on_both!(web_pages, pages);
