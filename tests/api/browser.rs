//! The portal in a real browser: headless Chromium driven through WebDriver (chromedriver), on
//! both backends. Each journey fails on any error in the browser's console (a blocked style or
//! script shows there too), and every page is checked with axe-core for WCAG 2.2 A and AA
//! violations, at desktop width and at 320 CSS pixels (what 400% zoom of a 1280 pixel window
//! gives) without scrolling sideways.
//!
//! Needs `chromedriver` (with Chromium) on the PATH and axe-core: `COPROD_AXE_JS` names
//! `axe.min.js`, or it is looked for under `node_modules/axe-core/` here or in
//! `~/.cache/coprod/npm`. Without them these tests say so and pass, unless
//! `COPROD_TEST_REQUIRE_BROWSER=1` (as in CI), when they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestBackend, PASSWORD};
use crate::payruns::{ok, s, World};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where axe-core's script is, if it is installed.
fn axe_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("COPROD_AXE_JS") {
        return Some(PathBuf::from(p));
    }
    let mut places = vec![PathBuf::from("node_modules/axe-core/axe.min.js")];
    if let Ok(home) = std::env::var("HOME") {
        places.push(Path::new(&home).join(".cache/coprod/npm/node_modules/axe-core/axe.min.js"));
    }
    places.into_iter().find(|p| p.exists())
}

fn required() -> bool {
    std::env::var("COPROD_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// Whether a network message is about a portal page itself (a path with no file extension).
fn is_page(message: &str) -> bool {
    let url = message.split_whitespace().next().unwrap_or_default();
    let path = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path.split('?').next().unwrap_or_default())
        .unwrap_or(".");
    !path.rsplit('/').next().unwrap_or_default().contains('.')
}

/// The one Chromium of this test process, behind its own chromedriver: started by the first
/// browser test, shared by the others one at a time, and stopped (with its profile removed) by a
/// watchdog when the test process ends.
struct Shared {
    /// `http://127.0.0.1:{port}/session/{id}`.
    session: String,
    axe: String,
}

static SHARED: tokio::sync::OnceCell<Option<Shared>> = tokio::sync::OnceCell::const_new();
/// Browser tests take turns with the one browser.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start_shared() -> Option<Shared> {
    let axe = match axe_path().map(std::fs::read_to_string) {
        Some(Ok(js)) => js,
        _ => {
            assert!(!required(), "axe-core is not installed (set COPROD_AXE_JS)");
            eprintln!("skipped: axe-core not found (COPROD_AXE_JS)");
            return None;
        }
    };
    if let Err(e) = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
    {
        assert!(!required(), "chromedriver could not start: {e}");
        eprintln!("skipped: chromedriver not found ({e})");
        return None;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The profile folder outlives every test, so the watchdog removes it with the browser.
    let profile = tempfile::Builder::new()
        .prefix("coprod-browser-")
        .tempdir()
        .unwrap()
        .keep();
    let watchdog = format!(
        "chromedriver --port={port} >/dev/null 2>&1 & driver=$! ; \
         while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; \
         kill -9 $driver ; pkill -9 -f '[u]ser-data-dir={dir}' ; rm -rf '{dir}'",
        parent = std::process::id(),
        dir = profile.display()
    );
    // Never waited for: it outlives the test process on purpose, to clean up after it.
    #[allow(clippy::zombie_processes)]
    Command::new("setsid")
        .args(["sh", "-c", &watchdog])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the browser's watchdog starts");
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900", "--lang=en-GB",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", profile.display())],
            "prefs": {"download.prompt_for_download": false}
        }
    }}});
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut tries = 0;
    let session = loop {
        match http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
        {
            Ok(res) => break res.json::<Value>().await.unwrap(),
            Err(_) if tries < 200 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("chromedriver did not answer: {e}"),
        }
    };
    let id = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"))
        .to_string();
    Some(Shared {
        session: format!("{base}/session/{id}"),
        axe,
    })
}

/// A test's turn with the shared browser: its own HTTP client and download folder.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    axe: String,
    pub downloads: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Browser {
    /// The shared browser, cleared for this test, or `None` (after saying why) when chromedriver
    /// or axe-core is missing.
    pub async fn start() -> Option<Browser> {
        let turn = TURN.lock().await;
        let shared = SHARED.get_or_init(start_shared).await.as_ref()?;
        let b = Browser {
            http: reqwest::Client::new(),
            base: shared.session.clone(),
            axe: shared.axe.clone(),
            downloads: tempfile::tempdir().unwrap(),
            _turn: turn,
        };
        b.post(
            "/timeouts",
            json!({"implicit": 5000, "pageLoad": 30000, "script": 30000}),
        )
        .await;
        b.goto("about:blank").await;
        b.call(reqwest::Method::DELETE, "/cookie", None).await;
        b.post(
            "/goog/cdp/execute",
            json!({"cmd": "Browser.setDownloadBehavior", "params": {"behavior": "allow",
                   "downloadPath": b.downloads.path().join("files").to_string_lossy()}}),
        )
        .await;
        // What an earlier test left in the console is not this test's.
        b.console_errors().await;
        Some(b)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = v["value"]["error"].as_str() {
            panic!(
                "WebDriver {path}: {err}: {}",
                v["value"]["message"].as_str().unwrap_or("")
            );
        }
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        s(&self.call(reqwest::Method::GET, "/url", None).await)
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        s(&v[ELEMENT])
    }

    /// Clicks something that loads a new page, and waits for that page.
    pub async fn click(&self, css: &str) {
        self.script("window.__left = true; return true;").await;
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/click"), json!({})).await;
        self.wait_for_new_page(css).await;
    }

    /// Clicks something that does not load a page (an option, a download).
    pub async fn press(&self, css: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/click"), json!({})).await;
    }

    async fn wait_for_new_page(&self, what: &str) {
        for _ in 0..400 {
            let done = self
                .http
                .post(format!("{}/execute/sync", self.base))
                .json(&json!({"script": "return !window.__left && document.readyState === 'complete';", "args": []}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap();
            if done["value"] == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no new page after clicking {what}");
    }

    /// Clears a field and types into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/clear"), json!({})).await;
        self.post(&format!("/element/{e}/value"), json!({ "text": text }))
            .await;
    }

    /// Chooses a file in a file input, as a person does from the file picker.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        let e = self.find(css).await;
        self.post(
            &format!("/element/{e}/value"),
            json!({ "text": path.to_string_lossy() }),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        s(&self
            .call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await)
    }

    pub async fn script(&self, js: &str) -> Value {
        self.post("/execute/sync", json!({"script": js, "args": []}))
            .await
    }

    /// Errors and warnings in the console since last asked. A page answered with an error status
    /// on purpose (a form sent back with its errors, a page not found) is logged by the browser
    /// as a failed load of that page; those are left out, as the tests check the status
    /// themselves. A failed style sheet, icon or script, a script error or a blocked resource
    /// all count.
    pub async fn console_errors(&self) -> Vec<String> {
        self.post("/se/log", json!({"type": "browser"}))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
            .filter(|e| !(e["source"] == "network" && is_page(&s(&e["message"]))))
            .map(|e| s(&e["message"]))
            .collect()
    }

    pub async fn assert_console_clean(&self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }

    async fn width(&self, width: u32, height: u32, mobile: bool) {
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setDeviceMetricsOverride",
                   "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}}),
        )
        .await;
    }

    /// axe-core's WCAG 2.2 A and AA rules on the page as it is, at desktop width and at 320 CSS
    /// pixels, where the page must also fit without scrolling sideways.
    pub async fn assert_accessible(&self, what: &str) {
        for (width, mobile) in [(1280, false), (320, true)] {
            self.width(width, 900, mobile).await;
            self.script(&format!("{}\nreturn true;", self.axe)).await;
            let violations = self
                .post(
                    "/execute/async",
                    json!({"script": "const done = arguments[arguments.length - 1];
                        axe.run(document, {runOnly: {type: 'tag', values:
                            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})
                          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                              help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)}))))
                          .catch(e => done([{id: 'axe-failed', help: String(e)}]));",
                        "args": []}),
                )
                .await;
            assert_eq!(
                violations,
                json!([]),
                "{what} at {width}px: WCAG violations"
            );
            let overflow = self
                .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await;
            assert!(
                overflow.as_i64().unwrap_or(1) <= 0,
                "{what} at {width}px scrolls sideways by {overflow}px"
            );
        }
        self.width(1280, 900, false).await;
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}}),
        )
        .await;
        self.assert_keyboard(what).await;
    }

    /// Keys pressed as a person presses them, in one batch of WebDriver actions.
    async fn keys(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Tab from the top of the page to its end: every link, button and field that can be seen
    /// (one radio button of each group) is reached, and each shows where the focus is.
    async fn assert_keyboard(&self, what: &str) {
        let stops = self
            .script(
                "const all = [...document.querySelectorAll(\
                   'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]\
                   .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0);\
                 const key = e => e.type === 'radio' ? 'radio ' + e.name : e.outerHTML.slice(0, 120);\
                 window.__wanted = [...new Set(all.map(key))];\
                 window.__reached = new Map();\
                 window.__key = key;\
                 window.__all = all;\
                 document.addEventListener('focusin', ev => {\
                   const s = getComputedStyle(ev.target);\
                   const shown = s.outlineStyle !== 'none' && s.outlineWidth !== '0px' || s.boxShadow !== 'none';\
                   window.__reached.set(key(ev.target), window.__reached.get(key(ev.target)) || shown);\
                 }, true);\
                 if (all.length) { all[0].focus({focusVisible: true}); }\
                 return all.length;",
            )
            .await
            .as_u64()
            .unwrap_or(0) as usize;
        if stops == 0 {
            return;
        }
        // A date field takes a stop for each of its parts, so Tab until all are reached, or
        // the page has been gone round three times.
        let mut result = Value::Null;
        for _ in 0..3 {
            self.keys(&vec!["\u{E004}"; stops]).await;
            result = self
                .script(
                    "const missed = window.__wanted.filter(k => !window.__reached.has(k));\
                     const shows = e => { e.focus({focusVisible: true}); const s = getComputedStyle(e);\
                       return s.outlineStyle !== 'none' && s.outlineWidth !== '0px' || s.boxShadow !== 'none'; };\
                     const unseen = [...window.__reached].filter(([k, shown]) => !shown)\
                       .map(([k]) => k).filter(k => !window.__all.filter(e => window.__key(e) === k).some(shows));\
                     return {missed, unseen};",
                )
                .await;
            if result["missed"] == json!([]) {
                break;
            }
        }
        self.script("if (document.activeElement) { document.activeElement.blur(); } return true;")
            .await;
        assert_eq!(
            result["missed"],
            json!([]),
            "{what}: not reached by the Tab key"
        );
        assert_eq!(
            result["unseen"],
            json!([]),
            "{what}: focus not shown on these"
        );
    }

    /// Types keys into something without clearing it first (a space in a radio button chooses
    /// it).
    pub async fn type_keys(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/value"), json!({ "text": text }))
            .await;
    }

    /// Presses Enter in a field, as a person sends a form from the keyboard, and waits for the
    /// page it leads to.
    pub async fn enter(&self, css: &str) {
        self.script("window.__left = true; return true;").await;
        let e = self.find(css).await;
        self.post(
            &format!("/element/{e}/value"),
            json!({ "text": "\u{E007}" }),
        )
        .await;
        self.wait_for_new_page(css).await;
    }

    /// Saves a screenshot when `COPROD_SCREENSHOTS` names a folder (to refresh docs/screenshots).
    pub async fn screenshot(&self, name: &str, width: u32) {
        let Ok(dir) = std::env::var("COPROD_SCREENSHOTS") else {
            return;
        };
        self.width(width, 900, width < 600).await;
        let shot = self
            .post(
                "/goog/cdp/execute",
                json!({"cmd": "Page.captureScreenshot", "params": {"captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": width, "height": 1100, "scale": 1}}}),
            )
            .await;
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(s(&shot["data"]))
            .unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}}),
        )
        .await;
    }

    /// Sets a date field as a date picker would.
    pub async fn set_date(&self, id: &str, date: &str) {
        self.script(&format!(
            "document.getElementById('{id}').value = '{date}'; return true;"
        ))
        .await;
    }

    /// The file a download just saved whose name ends `.{ext}`, once it is whole; it is then
    /// removed, so the next download of the same kind is the one found next.
    pub async fn downloaded(&self, ext: &str) -> Vec<u8> {
        let dir = self.downloads.path().join("files");
        let what = format!("a .{ext} download");
        crate::helpers::eventually(&what, Duration::from_secs(20), || {
            let dir = dir.clone();
            async move {
                let path = std::fs::read_dir(dir)
                    .ok()?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|x| x == ext))?;
                let bytes = std::fs::read(&path).ok()?;
                std::fs::remove_file(&path).ok()?;
                Some(bytes)
            }
        })
        .await
    }

    /// Ends this test's turn (the browser stays for the next test).
    pub async fn quit(self) {
        self.goto("about:blank").await;
    }

    /// Signs in through the form and lands on the role's first page.
    pub async fn sign_in(&self, app_url: &str, email: &str) {
        self.sign_in_with(app_url, email, PASSWORD).await;
    }

    pub async fn sign_in_with(&self, app_url: &str, email: &str, password: &str) {
        self.goto(&format!("{app_url}/sign-in")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("button[type=submit]:not(header button)").await;
    }

    pub async fn sign_out(&self) {
        self.click("header form button").await;
    }
}

/// A group with a co-chair, a member with an approved payment, a meeting with a pending claim,
/// and a draft run for a later period.
async fn world(backend: TestBackend) -> (World, String, Value) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let ada = w.new_member("Ada Lovelace", "co_chair").await;
    w.session(&w.member_id, "2025-06-10", 300).await;
    let june = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&june, &w.approver.token).await, 200).await;
    let meeting = w.meeting("2025-07-08", 120, "meeting").await;
    ok(
        w.register(&meeting, json!([{"member_id": ada, "status": "attended"}]))
            .await,
        200,
    )
    .await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": ada, "kind": "public_transport", "amount": "6.80",
                       "description": "Bus, return"}),
            )
            .await,
        201,
    )
    .await;
    let july = w.draft("2025-07-01", "2025-07-31", "2025-08-04").await;
    (w, meeting, july)
}

/// A member signs in and sees the payment coming to them, their choices and their sessions.
async fn a_member_signs_in_and_sees_a_payment(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let (w, _, _) = world(backend).await;
    let app = w.app.url("");
    b.goto(&format!("{app}/sign-in")).await;
    b.assert_accessible("sign in").await;
    // A wrong password: the error is summarised and next to the field.
    b.fill("#email", &w.member.email).await;
    b.fill("#password", "not the password").await;
    b.click("main button[type=submit]").await;
    assert!(b
        .text(".error-summary")
        .await
        .contains("There is a problem"));
    b.assert_accessible("sign in with an error").await;
    b.screenshot("sign-in-error", 390).await;
    b.sign_in(&app, &w.member.email).await;
    assert!(b.url().await.ends_with("/me"));
    let main = b.text("main").await;
    assert!(
        main.contains("£150.00 will be paid on 4 July 2025"),
        "{main}"
    );
    assert!(main.contains("My sessions"), "{main}");
    b.assert_accessible("my payments").await;
    b.click("a[href='/me/choices']").await;
    assert!(b.text("h1").await.contains("choices"));
    b.assert_accessible("my payment choices").await;
    b.sign_out().await;
    assert!(b.url().await.ends_with("/sign-in"));
    for page in [
        "/forgot-password",
        "/accept-invitation?token=x",
        "/reset-password?token=x",
    ] {
        b.goto(&format!("{app}{page}")).await;
        b.assert_accessible(page).await;
    }
    b.goto(&format!("{app}/no-such-page")).await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// A coordinator finds the meeting, marks one person as there for part of it (after a mistake
/// the page explains), saves, and approves a claim.
async fn a_coordinator_takes_a_register(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let (w, meeting, _) = world(backend).await;
    let app = w.app.url("");
    b.sign_in(&app, &w.coordinator.email).await;
    assert!(b.url().await.ends_with("/groups"));
    b.assert_accessible("my groups").await;
    b.click(&format!("a[href='/groups/{}']", w.group)).await;
    b.assert_accessible("a group").await;
    b.fill("#duration_minutes", "").await;
    b.click("form[action$='/meetings'] button").await;
    assert!(b.text(".error-summary").await.contains("Enter the length"));
    b.assert_accessible("a new meeting with errors").await;
    b.goto(&format!("{app}/groups/{}", w.group)).await;
    b.click(&format!("a[href='/meetings/{meeting}']")).await;
    b.assert_accessible("a register").await;
    // Everyone is there by default; the first person came for part of it.
    b.press("#s0 option[value=partial]").await;
    b.fill("#a0", "500").await;
    b.click("form[action$='/register'] button[type=submit]")
        .await;
    let summary = b.text(".error-summary").await;
    assert!(summary.contains("minutes there"), "{summary}");
    b.assert_accessible("a register with an error").await;
    b.fill("#a0", "90").await;
    b.click("form[action$='/register'] button[type=submit]")
        .await;
    assert!(b.text("main").await.contains("The register is saved."));
    let reg = ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings/{meeting}/attendance"),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    let partial: Vec<&Value> = reg["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "partial")
        .collect();
    assert_eq!(partial.len(), 1, "{reg}");
    assert_eq!(partial[0]["attended_minutes"], 90);
    b.click("a[href='/claims']").await;
    b.assert_accessible("claims to decide").await;
    b.click("button[value=reject]").await;
    assert!(b.text(".error-summary").await.contains("To reject a claim"));
    b.assert_accessible("a rejection without a reason").await;
    b.click("button[value=approve]").await;
    assert!(b.text("main").await.contains("The claim is approved."));
    b.assert_console_clean().await;
    b.quit().await;
}

/// Finance reviews the draft, approves it confirming the total, and downloads the CSV.
async fn finance_approves_a_run_and_downloads_the_csv(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let (w, _, july) = world(backend).await;
    let app = w.app.url("");
    let id = s(&july["id"]);
    b.sign_in(&app, &w.approver.email).await;
    assert!(b.url().await.ends_with("/finance"));
    b.assert_accessible("finance at a glance").await;
    b.click("a[href='/runs']").await;
    b.assert_accessible("pay runs").await;
    b.click(&format!("a[href='/runs/{id}']")).await;
    b.assert_accessible("a draft run").await;
    let total = s(&july["total"]);
    b.fill("#expected_total", "1.00").await;
    b.click("form[action$='/approve'] button").await;
    assert!(b
        .text(".error-summary")
        .await
        .contains("There is a problem"));
    b.assert_accessible("a run refused").await;
    b.fill("#expected_total", &total).await;
    b.click("form[action$='/approve'] button").await;
    assert!(b.text("main").await.contains("Approved"));
    b.assert_accessible("an approved run").await;
    // The download is a form (it marks the run exported, so it is never a link).
    b.press("form[action$='/export']:has(input[value=csv]) button")
        .await;
    let csv = String::from_utf8(b.downloaded("csv").await).unwrap();
    let last = csv.lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with("TOTAL,") && last.contains(&total),
        "{last}"
    );
    b.goto(&format!("{app}/runs/no-such-run")).await;
    b.assert_accessible("a page not found").await;
    b.goto(&format!("{app}/groups")).await;
    b.assert_accessible("a page not for finance").await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// Every page of `coprod demo`'s sample, as each role sees it, passes axe-core (the screenshots
/// in docs/screenshots come from here).
async fn every_page_of_the_demo_passes_axe(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app(backend).await;
    let (db, settings) = (app.db.clone(), app.settings.clone());
    let today = settings.today();
    let demo = tokio::task::spawn_blocking(move || coprod::demo::seed(&db, &settings, today))
        .await
        .unwrap()
        .expect("the sample is made");
    let url = app.url("");
    let login = |l: coprod::demo::Login| (l.email, l.password);

    let (email, password) = login(coprod::demo::MEMBER);
    b.sign_in_with(&url, email, password).await;
    b.assert_accessible("the demo member's payments").await;
    b.screenshot("member-payments", 1000).await;
    b.click("a[href='/me/choices']").await;
    b.assert_accessible("the demo member's choices").await;
    b.sign_out().await;

    let (email, password) = login(coprod::demo::COORDINATOR);
    b.sign_in_with(&url, email, password).await;
    b.assert_accessible("the demo coordinator's groups").await;
    b.click(&format!("a[href='/groups/{}']", demo.group_id))
        .await;
    b.assert_accessible("the demo group").await;
    b.screenshot("group", 1000).await;
    b.click("main td a[href^='/members/']:not([href$='/choices'])")
        .await;
    b.assert_accessible("a demo member's page").await;
    b.screenshot("member-page", 1000).await;
    b.goto(&format!("{url}/groups/{}", demo.group_id)).await;
    b.click("a[href^='/meetings/']").await;
    b.assert_accessible("a demo register").await;
    b.screenshot("register-phone", 390).await;
    b.goto(&format!("{url}/claims")).await;
    b.assert_accessible("the demo claims").await;
    b.screenshot("claims", 1000).await;
    b.sign_out().await;

    let (email, password) = login(coprod::demo::FINANCE);
    b.sign_in_with(&url, email, password).await;
    assert!(
        b.url().await.ends_with("/finance"),
        "finance starts at a glance"
    );
    b.assert_accessible("the demo's money at a glance").await;
    b.screenshot("finance-home", 1000).await;
    b.goto(&format!("{url}/finance?from=2000-01-01")).await;
    b.assert_accessible("at a glance, with an error").await;
    b.click("a[href='/finance/members']").await;
    b.assert_accessible("members' money").await;
    b.click("a[href='/finance/adjustments']").await;
    b.assert_accessible("every adjustment").await;
    b.click("a[href='/finance/members']").await;
    b.click("main a[href^='/finance/members/']").await;
    b.assert_accessible("a member's money").await;
    b.fill("#amount", "-15.005").await;
    b.click("main form[action$='/adjustments'] button[type=submit]")
        .await;
    assert!(b.text(".error-summary").await.contains("fee or an expense"));
    b.assert_accessible("an adjustment with errors").await;
    b.click("a[href='/rate-cards']").await;
    b.assert_accessible("rate cards").await;
    b.click("main td a[href^='/rate-cards/'], main th a[href^='/rate-cards/']")
        .await;
    b.assert_accessible("a rate card's rules").await;
    b.click("a[href='/rate-cards']").await;
    b.click("a[href='/rate-cards/new']").await;
    b.assert_accessible("a new rate card").await;
    b.fill("#effective_from", "").await;
    b.click("main form[action='/rate-cards/new'] button[type=submit]")
        .await;
    assert!(b.text(".error-summary").await.contains("first day"));
    b.assert_accessible("a new rate card with errors").await;
    b.click("a[href='/finance/reports']").await;
    b.assert_accessible("the payments report").await;
    b.click("a[href='/finance/reports/tax-year']").await;
    b.assert_accessible("the tax-year report").await;
    b.click("a[href='/runs']").await;
    b.assert_accessible("the demo pay runs").await;
    for run in [&demo.paid_run, &demo.draft_run] {
        b.goto(&format!("{url}/runs/{}", run.id)).await;
        b.assert_accessible(&format!("the demo {} run", run.status))
            .await;
    }
    b.goto(&format!("{url}/runs/{}/lines", demo.paid_run.id))
        .await;
    b.assert_accessible("the demo paid run's lines").await;
    b.screenshot("run-review", 1000).await;
    b.click("main a[href^='/rate-cards/which']").await;
    b.assert_accessible("which rule pays a member, and why")
        .await;
    b.sign_out().await;

    let (email, password) = login(coprod::demo::ADMIN);
    b.sign_in_with(&url, email, password).await;
    assert!(
        b.url().await.ends_with("/accounts"),
        "an admin starts at the accounts"
    );
    b.assert_accessible("the demo admin's accounts").await;
    b.screenshot("admin-accounts", 1000).await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// An invited person opens the link in the delivered email as written, chooses a password on the
/// page it opens and arrives signed in; later they reset it from the sign-in page, through the
/// link in that email, and arrive signed in again.
async fn emailed_links_lead_to_a_signed_in_page(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app(backend).await;
    let admin = app.user(crate::helpers::Role::Admin).await;
    ok(
        app.post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "ola.finance@example.org", "role": "finance"}),
        )
        .await,
        201,
    )
    .await;
    let link = app
        .delivered_mail("ola.finance@example.org", "invited")
        .await
        .link("Choose your password");
    b.goto(&link).await;
    assert!(b.text("h1").await.contains("Welcome"));
    b.assert_accessible("the invitation's page").await;
    b.fill("#password", "short").await;
    b.click("main button[type=submit]").await;
    assert!(b.text(".error-summary").await.contains("at least 12"));
    b.assert_accessible("the invitation's page with an error")
        .await;
    b.fill("#password", "Bramble-Quarry-Lantern-77").await;
    b.click("main button[type=submit]").await;
    assert!(b.url().await.ends_with("/finance"), "{}", b.url().await);
    assert!(b.text("header").await.contains("Sign out"));
    b.sign_out().await;

    b.click("a[href='/forgot-password']").await;
    b.fill("#email", "ola.finance@example.org").await;
    b.click("main button[type=submit]").await;
    assert!(b.text("main").await.contains("we have sent it a link"));
    let link = app
        .delivered_mail("ola.finance@example.org", "Reset your coprod password")
        .await
        .link("Choose a new password");
    b.goto(&link).await;
    b.assert_accessible("the reset page").await;
    b.fill("#password", "Heron-Velvet-Compass-31").await;
    b.click("main button[type=submit]").await;
    assert!(b.text("main").await.contains("You are signed in"));
    b.assert_accessible("a password reset").await;
    b.click("main a.button").await;
    assert!(b.url().await.ends_with("/finance"));
    // The used link now says so, plainly.
    b.goto(&link).await;
    assert!(b.text("h1").await.contains("can no longer be used"));
    b.assert_accessible("a used link").await;
    b.assert_console_clean().await;
    b.quit().await;
}

both_backends!(
    emailed_links_lead_to_a_signed_in_page,
    every_page_of_the_demo_passes_axe,
    a_member_signs_in_and_sees_a_payment,
    a_coordinator_takes_a_register,
    finance_approves_a_run_and_downloads_the_csv
);
