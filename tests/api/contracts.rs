//! Contracts pinned with snapshots: exactly what a client gets for each status the API answers with
//! a problem, each email the service sends (text and HTML), and the portal's error pages. A change
//! to any of them fails here until its snapshot under `tests/api/snapshots/` is reviewed and
//! updated (`INSTA_UPDATE=always cargo test --test api contracts`, then read the diff).
//!
//! They run on both backends against the same snapshots: what a client gets must not depend on the
//! database behind the server.

use diesel::connection::SimpleConnection;
use reqwest::header::COOKIE;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    assert_problem, captured_logs, spawn_app_with, Delivered, Role, TestApp, TestBackend, PASSWORD,
};
use crate::payruns::{ok, s, World};
use crate::portal::{client, sign_in};

const NEW_PASSWORD: &str = "Bramble-Quarry-Lantern-77";

/// Values that vary from run to run, replaced in every snapshot: the test server's address, the
/// tokens of emailed links, the random part of test accounts' addresses, the time of a password
/// change, the seconds left of a throttle and the reference of an internal error.
fn redacting(app: &TestApp) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(&regex_escape(&app.address), "http://coprod.test");
    settings.add_filter(r"token=[A-Za-z0-9_\-]+", "token=[token]");
    settings.add_filter(
        r"(admin|coordinator|finance|member)-[0-9a-f]{12}@example\.org",
        "$1@example.org",
    );
    settings.add_filter(
        r"changed on \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}",
        "changed on [date] at [time]",
    );
    settings.add_filter(
        r"Try again in \d+ seconds",
        "Try again in [seconds] seconds",
    );
    settings.add_filter(r"reference [0-9a-f]{12}", "reference [reference]");
    settings.add_filter(
        r#"class="reference">[0-9a-f]{12}<"#,
        r#"class="reference">[reference]<"#,
    );
    settings
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = r"\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// What a client gets for a problem: the status, the headers it may act on, and the body.
async fn problem(res: reqwest::Response) -> Value {
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut headers = serde_json::Map::new();
    for name in ["content-type", "www-authenticate", "allow", "retry-after"] {
        if let Some(v) = header(name) {
            headers.insert(name.into(), Value::String(v));
        }
    }
    let body = assert_problem(res, status).await;
    json!({ "status": status, "headers": headers, "body": body })
}

/// Holds every connection of the server's pool until dropped, so the next request waits for one
/// in vain (for `database.connect_timeout_secs`).
async fn hold_the_pool(app: &TestApp) -> Vec<coprod::db::PooledConn> {
    let (db, size) = (app.db.clone(), app.settings.database.pool_size);
    tokio::task::spawn_blocking(move || {
        (0..size)
            .map(|_| db.get().expect("a connection while the pool is free"))
            .collect()
    })
    .await
    .unwrap()
}

/// Drops the table emailed links are kept in, so reading one fails inside the server.
async fn break_the_links_table(app: &TestApp) {
    app.with_db(|c| c.batch_execute("DROP TABLE one_time_tokens").unwrap())
        .await;
}

/// A server with a small pool that gives up waiting for a connection after a second.
fn small_pool(s: &mut coprod::config::Settings) {
    s.database.pool_size = 2;
    s.database.connect_timeout_secs = 1;
}

/// One problem for each status the API answers with one, each caused as a client would cause it.
async fn every_problem_status_is_pinned(backend: TestBackend) {
    let app = spawn_app_with(backend, small_pool).await;
    let admin = app.user(Role::Admin).await;
    let member = app.user(Role::Member).await;
    let login = app.url("/api/v1/auth/login");
    let mut pinned: Vec<(&str, Value)> = Vec::new();

    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    pinned.push(("problem_400_malformed_json", problem(res).await));
    let res = app
        .post_as(
            "/api/v1/auth/login",
            None,
            json!({"email": "a@example.org", "password": "x", "admin": true}),
        )
        .await;
    pinned.push(("problem_400_unknown_field", problem(res).await));
    pinned.push(("problem_401", problem(app.get("/api/v1/me").await).await));
    pinned.push((
        "problem_403",
        problem(app.get_as("/api/v1/accounts", &member.token).await).await,
    ));
    pinned.push((
        "problem_404",
        problem(app.get_as("/api/v1/accounts/nope", &admin.token).await).await,
    ));
    pinned.push((
        "problem_405",
        problem(app.client.delete(app.url("/health")).send().await.unwrap()).await,
    ));
    let ria = json!({"email": "ria@example.org", "role": "finance"});
    ok(
        app.post_as("/api/v1/accounts", Some(&admin.token), ria.clone())
            .await,
        201,
    )
    .await;
    pinned.push((
        "problem_409",
        problem(
            app.post_as("/api/v1/accounts", Some(&admin.token), ria)
                .await,
        )
        .await,
    ));
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(300_000)
    );
    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    pinned.push(("problem_413", problem(res).await));
    let res = app
        .client
        .post(&login)
        .header("content-type", "text/plain")
        .body("email=a@example.org")
        .send()
        .await
        .unwrap();
    pinned.push(("problem_415", problem(res).await));
    let res = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "not an address", "role": "finance"}),
        )
        .await;
    pinned.push(("problem_422", problem(res).await));
    let mut throttled = None;
    for _ in 0..10 {
        let res = app.login(&member.email, "Not-The-Password-At-All").await;
        if res.status() == 429 {
            throttled = Some(problem(res).await);
            break;
        }
        assert_problem(res, 401).await;
    }
    let mut throttled = throttled.expect("sign-ins are throttled after a few failures");
    // The wait counts down from the throttle window (15 minutes).
    let wait: u64 = throttled["headers"]["retry-after"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{throttled}");
    throttled["headers"]["retry-after"] = json!("[seconds]");
    pinned.push(("problem_429", throttled));

    let held = hold_the_pool(&app).await;
    pinned.push((
        "problem_503",
        problem(app.get_as("/api/v1/me", &admin.token).await).await,
    ));
    drop(held);

    break_the_links_table(&app).await;
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": "cpl_anything", "password": NEW_PASSWORD}),
        )
        .await;
    let internal = problem(res).await;
    let reference = s(&internal["body"]["error_id"]);
    assert!(
        internal["body"]["detail"]
            .as_str()
            .unwrap()
            .contains(&reference),
        "{internal}"
    );
    assert_logged_with_its_cause(&reference);
    pinned.push(("problem_500", internal));

    redacting(&app).bind(|| {
        for (name, value) in &pinned {
            insta::assert_json_snapshot!(*name, value, { ".body.error_id" => "[reference]" });
        }
    });
}

/// What a client gets for a receipt that is not one, or is too large: the problems a receipt
/// upload adds to those above, one with its own `type`.
async fn receipt_problems_are_pinned(backend: TestBackend) {
    let w = World::new(backend).await;
    let claim = crate::receipts::claim_on(&w, "2025-06-10", "12.60").await;
    let token = w.member.token.clone();
    let exe = b"MZ\x90\x00\x03\x00\x00\x00";
    let not_one = crate::receipts::upload(&w, &claim, &token, "receipt.jpg", exe).await;
    let mut big = b"\xFF\xD8\xFF".to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let too_large = crate::receipts::upload(&w, &claim, &token, "receipt.jpg", &big).await;
    let pinned = [
        ("problem_415_receipt_type", problem(not_one).await),
        ("problem_413_receipt", problem(too_large).await),
    ];
    redacting(&w.app).bind(|| {
        for (name, value) in &pinned {
            insta::assert_json_snapshot!(*name, value);
        }
    });
}

/// The log has the internal error under its reference, with the whole cause chain.
fn assert_logged_with_its_cause(reference: &str) {
    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|l| l.contains(reference) && l.contains("internal error"))
        .unwrap_or_else(|| panic!("no log line with reference {reference}"));
    assert!(
        line.contains("database query failed")
            && line.contains("Caused by")
            && line.contains("one_time_tokens"),
        "the cause chain is logged: {line}"
    );
}

/// A delivered message as a reader sees it.
fn shown(mail: &Delivered) -> String {
    format!(
        "To: {}\nSubject: {}\n\n----- text -----\n{}\n----- HTML -----\n{}",
        mail.to, mail.subject, mail.text, mail.html
    )
}

/// Every email the service sends, text and HTML, as delivered.
async fn every_email_is_pinned(backend: TestBackend) {
    let w = World::new(backend).await;
    let app = &w.app;
    let admin = app.user(Role::Admin).await;
    ok(
        app.post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "ria@example.org", "role": "finance"}),
        )
        .await,
        201,
    )
    .await;
    let invitation = app.delivered_mail("ria@example.org", "invited").await;

    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": admin.email}),
    )
    .await;
    let reset = app
        .delivered_mail(&admin.email, "Reset your coprod password")
        .await;
    let token = crate::helpers::link_token(&reset.link("Choose a new password"));
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let after_reset = app
        .delivered_mail(&admin.email, "password was changed")
        .await;

    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(&w.coordinator.token),
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 204);
    let after_change = app
        .delivered_mail(&w.coordinator.email, "password was changed")
        .await;

    w.regional_card().await;
    ok(
        w.set_preference(
            &w.member_id,
            &w.coordinator.token,
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                   "notify_by_email": true}),
        )
        .await,
        200,
    )
    .await;
    let choices = app
        .delivered_mail("sam@example.org", "payment choices were updated")
        .await;
    w.session(&w.member_id, "2025-06-10", 300).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let approved = app.delivered_mail("sam@example.org", "is approved").await;
    ok(
        app.post_as(
            &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
            Some(&w.approver.token),
            json!({"paid_on": "2025-07-04", "reference": "BACS-1"}),
        )
        .await,
        200,
    )
    .await;
    let paid = app.delivered_mail("sam@example.org", "has been paid").await;

    redacting(app).bind(|| {
        insta::assert_snapshot!("email_invitation", shown(&invitation));
        insta::assert_snapshot!("email_password_reset", shown(&reset));
        insta::assert_snapshot!("email_password_changed_by_reset", shown(&after_reset));
        insta::assert_snapshot!("email_password_changed_signed_in", shown(&after_change));
        insta::assert_snapshot!("email_choices_recorded_on_behalf", shown(&choices));
        insta::assert_snapshot!("email_payment_approved", shown(&approved));
        insta::assert_snapshot!("email_payment_paid", shown(&paid));
    });
}

/// The `<main>` of a page: what the page says, without the header and footer around it.
fn main_of(html: &str) -> String {
    let start = html.find("<main").expect("a <main> element");
    let end = html.find("</main>").expect("the end of <main>") + "</main>".len();
    html[start..end].replace("><", ">\n<")
}

/// A portal page: its status, its Retry-After if any, and its `<main>`.
async fn page(res: reqwest::Response) -> (u16, Option<String>, String) {
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{status}: {ct}");
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let html = res.text().await.unwrap();
    (status, retry, main_of(&html))
}

/// The HTML of `text` as a page shows it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The portal's error pages have the API's status and words for the same failure, under the
/// portal's own headings; an internal error shows only a reference, which the log has with the
/// cause.
async fn portal_error_pages_say_what_the_api_says(backend: TestBackend) {
    let w = World::new_with(backend, small_pool).await;
    let app = &w.app;
    let c = client();
    let (token, session) = sign_in(app, &c, &w.finance.email).await;
    let cookies = format!("coprod_csrf={token}; coprod_session={session}");
    let as_finance = |path: &str| c.get(app.url(path)).header(COOKIE, cookies.clone()).send();
    let export = |id: &str, format: &str| {
        c.post(app.url(&format!("/runs/{id}/export")))
            .header(COOKIE, cookies.clone())
            .form(&[("csrf", token.as_str()), ("format", format)])
            .send()
    };
    let api_detail = |body: &Value| s(&body["detail"]);
    let mut pinned: Vec<(&str, String)> = Vec::new();

    // 404: nothing there.
    let api = assert_problem(
        app.get_as("/api/v1/pay-runs/nope", &w.finance.token).await,
        404,
    )
    .await;
    let (status, _, main) = page(as_finance("/runs/nope").await.unwrap()).await;
    assert_eq!(status, 404);
    assert!(main.contains("Page not found"), "{main}");
    assert!(main.contains(&escaped(&api_detail(&api))), "{main}");
    pinned.push(("page_404", main));

    // 403: a member on finance's pages, in the API's words for a role that may not.
    let api = assert_problem(app.get_as("/api/v1/accounts", &w.member.token).await, 403).await;
    let (mtoken, msession) = sign_in(app, &c, &w.member.email).await;
    let res = c
        .get(app.url("/runs"))
        .header(
            COOKIE,
            format!("coprod_csrf={mtoken}; coprod_session={msession}"),
        )
        .send()
        .await
        .unwrap();
    let (status, _, main) = page(res).await;
    assert_eq!(status, 403);
    assert!(main.contains("Not available to you"), "{main}");
    assert!(main.contains(&escaped(&api_detail(&api))), "{main}");
    pinned.push(("page_403", main));

    // 409: a draft cannot be downloaded yet.
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 300).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let id = s(&run["id"]);
    let api = assert_problem(
        app.get_as(
            &format!("/api/v1/pay-runs/{id}/export?format=csv"),
            &w.finance.token,
        )
        .await,
        409,
    )
    .await;
    let (status, _, main) = page(export(&id, "csv").await.unwrap()).await;
    assert_eq!(status, 409);
    assert!(main.contains(&escaped(&api_detail(&api))), "{main}");
    pinned.push(("page_409", main));

    // 422: a format that does not exist, with the field's message.
    let api = assert_problem(
        app.get_as(
            &format!("/api/v1/pay-runs/{id}/export?format=bacs"),
            &w.finance.token,
        )
        .await,
        422,
    )
    .await;
    let (status, _, main) = page(export(&id, "bacs").await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(main.contains(&escaped(&api_detail(&api))), "{main}");
    assert!(
        main.contains(&escaped(&s(&api["errors"][0]["message"]))),
        "{main}"
    );
    pinned.push(("page_422", main));

    // 503: every database connection taken; the page asks to try again, as the API does.
    let held = hold_the_pool(app).await;
    let api = assert_problem(app.get_as("/api/v1/me", &w.finance.token).await, 503).await;
    let (status, retry, main) = page(app.get("/accept-invitation?token=cpl_x").await).await;
    drop(held);
    assert_eq!(status, 503);
    assert_eq!(retry.as_deref(), Some("2"));
    assert!(main.contains(&escaped(&api_detail(&api))), "{main}");
    pinned.push(("page_503", main));

    // 500: the page shows a reference; the log has it with the cause.
    break_the_links_table(app).await;
    let (status, _, main) = page(app.get("/accept-invitation?token=cpl_x").await).await;
    assert_eq!(status, 500);
    let reference = main
        .split("class=\"reference\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a reference on the page")
        .to_string();
    assert!(main.contains("quote this reference"), "{main}");
    assert_logged_with_its_cause(&reference);
    pinned.push(("page_500", main));

    redacting(app).bind(|| {
        for (name, main) in &pinned {
            insta::assert_snapshot!(*name, main);
        }
    });
}

both_backends!(
    every_problem_status_is_pinned,
    receipt_problems_are_pinned,
    every_email_is_pinned,
    portal_error_pages_say_what_the_api_says,
);
