//! Headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them) with fantoccini, over plain HTTP on
//! localhost. Screenshots go to `target/screenshots/`; the accessibility check injects
//! axe-core (the npm package, pinned by its SHA-256, fetched with `npm pack` into
//! `target/`; never shipped).

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::Require;

/// The axe-core release the accessibility check injects, and its tarball's SHA-256.
const AXE_VERSION: &str = "4.14.1";
const AXE_SHA256: &str = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745";

pub struct Browser {
    pub c: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: PathBuf,
    axe: String,
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `target/axe-core-<v>/package/axe.min.js`, fetched with `npm pack` when absent and
/// checked against the pinned SHA-256.
fn axe_source() -> Option<String> {
    let dir = dualcheck_tests::workspace_root()
        .join("target")
        .join(format!("axe-core-{AXE_VERSION}"));
    let tgz = dir.join(format!("axe-core-{AXE_VERSION}.tgz"));
    if !tgz.exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("npm")
            .args(["pack", &format!("axe-core@{AXE_VERSION}"), "--silent"])
            .arg("--pack-destination")
            .arg(&dir)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            testkit::skip(
                Require::Tools,
                "npm could not fetch axe-core (install npm; the registry must be reachable)",
            );
            return None;
        }
    }
    let bytes = std::fs::read(&tgz).ok()?;
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(
        sha,
        AXE_SHA256,
        "{} is not the pinned axe-core",
        tgz.display()
    );
    let js = dir.join("package/axe.min.js");
    if !js.exists() {
        let ok = Command::new("tar")
            .arg("xzf")
            .arg(&tgz)
            .arg("-C")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tar could not unpack {}", tgz.display());
    }
    std::fs::read_to_string(js).ok()
}

impl Browser {
    /// Start chromedriver and a fresh headless Chromium; `None` (a skip, a failure under
    /// `DUALCHECK_REQUIRE_TOOLS=1`) when they are not installed.
    pub async fn start(base: &str) -> Option<Browser> {
        let (Some(driver_bin), Some(chromium)) = (which("chromedriver"), which("chromium")) else {
            testkit::skip(
                Require::Tools,
                "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let axe = axe_source()?;
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking", "--disable-sync",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }))
        .expect("capabilities");
        let started = Instant::now();
        let c = loop {
            let b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match b {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver at {url} gave no session: {e}"),
            }
        };
        let shots = dualcheck_tests::workspace_root().join("target/screenshots");
        std::fs::create_dir_all(&shots).expect("target/screenshots");
        Some(Browser {
            c,
            base: base.trim_end_matches('/').to_owned(),
            driver,
            _profile: profile,
            shots,
            axe,
        })
    }

    pub async fn goto(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.expect("current url");
        let mut p = u.path().to_owned();
        if let Some(q) = u.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self
            .c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.ok();
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn count(&self, css: &str) -> usize {
        self.c
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Run `body` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, body: &str, args: Vec<Value>) -> Value {
        self.c
            .execute(body, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Run an async `body` whose last argument is the callback.
    pub async fn js_async(&self, body: &str, args: Vec<Value>) -> Value {
        self.c
            .execute_async(body, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    /// Wait until `css` matches an element whose text contains `want`.
    pub async fn wait_text(&self, css: &str, want: &str, secs: u64) -> String {
        let started = Instant::now();
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(t) = el.text().await
                && t.contains(want)
            {
                return t;
            }
            if started.elapsed() > Duration::from_secs(secs) {
                let text = match self.c.find(Locator::Css("main")).await {
                    Ok(m) => m.text().await.unwrap_or_default(),
                    Err(_) => self.c.source().await.unwrap_or_default(),
                };
                let flash = match self.c.find(Locator::Css("#flash")).await {
                    Ok(f) => f.text().await.unwrap_or_default(),
                    Err(_) => "(none)".into(),
                };
                panic!(
                    "no {css} with {want:?} after {secs} s on {}; message: {flash}; page:\n{}",
                    self.path().await,
                    text.chars().take(3000).collect::<String>()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Save a screenshot as `target/screenshots/<name>.png`.
    pub async fn shot(&self, name: &str) -> PathBuf {
        let png = self.c.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let p = self.shots.join(format!("{name}.png"));
        std::fs::write(&p, png).expect("write screenshot");
        p
    }

    /// axe-core on the current page: the serious and critical WCAG 2.1 A/AA violations.
    pub async fn axe(&self) -> Vec<String> {
        self.js(&self.axe, vec![]).await;
        let v = self
            .js_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                   .then(r => done(r.violations
                       .filter(v => v.impact === 'serious' || v.impact === 'critical')
                       .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await;
        serde_json::from_value(v).expect("a list of violations")
    }

    /// The page's cumulative layout shift since it loaded (Chromium's `layout-shift`
    /// entries, those without recent input).
    pub async fn layout_shift(&self) -> f64 {
        let v = self
            .js_async(
                "const done = arguments[arguments.length - 1];
                 let total = 0;
                 new PerformanceObserver(list => {
                     for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
                 }).observe({type: 'layout-shift', buffered: true});
                 setTimeout(() => done(total), 300);",
                vec![],
            )
            .await;
        v.as_f64().expect("a number")
    }

    /// Screenshot, accessibility and stability check of a main screen: no serious or
    /// critical violation, and no layout jump while it loads (cumulative layout shift
    /// under 0.1, the "good" threshold of Web Vitals).
    pub async fn screen(&self, name: &str) {
        self.shot(name).await;
        let bad = self.axe().await;
        assert!(bad.is_empty(), "{name}: accessibility violations: {bad:#?}");
        let shift = self.layout_shift().await;
        assert!(
            shift < 0.1,
            "{name}: the layout moved while loading (CLS {shift:.3})"
        );
    }

    /// Fill the login form and send it.
    pub async fn login(&self, tenant: &str, user: &str, password: &str) {
        self.fill("#tenant", tenant).await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click("#login-form button[type=submit]").await;
    }

    /// Log out through the page's button.
    pub async fn logout(&self) {
        self.click("#logout").await;
        self.wait_text("#flash", "you are logged out", 10).await;
    }

    pub fn shots_dir(&self) -> &Path {
        &self.shots
    }

    pub async fn close(mut self) {
        let _ = self.c.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
