//! The portal's pages over HTTP: sign in and out with the session cookie, CSRF on every form, the
//! Content-Security-Policy, and a member's own pages and statement download, on both backends.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::both_backends;
use crate::helpers::{spawn_app, Role, TestApp, TestBackend, PASSWORD};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("a client")
}

/// The value of cookie `name` among a response's Set-Cookie headers, with its attributes.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn value(cookie: &str) -> String {
    cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// A browser's CSRF cookie and token, from the sign-in page.
async fn csrf(app: &TestApp, c: &reqwest::Client) -> String {
    let res = c.get(app.url("/sign-in")).send().await.unwrap();
    let cookie = set_cookie(&res, "coprod_csrf").expect("a CSRF cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    value(&cookie)
}

pub async fn sign_in(app: &TestApp, c: &reqwest::Client, email: &str) -> (String, String) {
    let token = csrf(app, c).await;
    let res = c
        .post(app.url("/sign-in"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/");
    let session = set_cookie(&res, "coprod_session").expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain http in tests");
    (token, value(&session))
}

async fn pages_sign_in_and_out_safely(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let c = client();
    let member = app.user(Role::Member).await;

    // The sign-in page: labelled fields, a strict policy, no script.
    let res = c.get(app.url("/sign-in")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<label for="email">"#) && html.contains(r#"<label for="password">"#));
    assert!(html.contains(r##"href="#content""##), "a skip link");
    assert!(!html.contains("<script"));

    // A form without the CSRF token changes nothing.
    let res = c
        .post(app.url("/sign-in"))
        .form(&[("email", member.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, "coprod_session").is_none());
    // A token from another browser neither.
    let token = csrf(&app, &c).await;
    let res = c
        .post(app.url("/sign-in"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[
            ("csrf", "x".repeat(43).as_str()),
            ("email", member.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Wrong password and empty fields: errors summarised and next to the field.
    let res = c
        .post(app.url("/sign-in"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", member.email.as_str()),
            ("password", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("There is a problem") && html.contains(r#"aria-invalid="true""#),
        "{html}"
    );
    let res = c
        .post(app.url("/sign-in"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[("csrf", token.as_str()), ("email", ""), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter your email address") && html.contains("Enter your password"));

    // Signed in, a member lands on their payments; the statement downloads.
    let (token, session) = sign_in(&app, &c, &member.email).await;
    let cookies = format!("coprod_csrf={token}; coprod_session={session}");
    let res = c
        .get(app.url("/"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()[LOCATION].to_str().unwrap()
        ),
        (303, "/me")
    );
    let res = c
        .get(app.url("/me"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for words in [
        "My payments",
        "This tax year",
        "trading allowance",
        "My statement",
        "You are paid the full fee",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    let html = c
        .get(app.url("/me/choices"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("welfare rights adviser") && html.contains("Change my choices"));
    let res = c
        .get(app.url("/me/statement?tax_year=2025-26&format=pdf"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[CONTENT_TYPE], "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&res.bytes().await.unwrap()).unwrap();
    assert!(text.contains("Payment statement"));
    let res = c
        .get(app.url("/me/statement?tax_year=nonsense"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // Without a session, member pages send the browser to sign in; staff are not members.
    let res = c.get(app.url("/me")).send().await.unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()[LOCATION].to_str().unwrap()
        ),
        (303, "/sign-in")
    );
    let finance = app.user(Role::Finance).await;
    let (ftoken, fsession) = sign_in(&app, &c, &finance.email).await;
    let res = c
        .get(app.url("/me"))
        .header(
            COOKIE,
            format!("coprod_csrf={ftoken}; coprod_session={fsession}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[LOCATION], "/");

    // The API's bearer tokens and the portal's cookie are the same sessions.
    let res = app.get_as("/api/v1/me", &session).await;
    assert_eq!(res.status(), 200);

    // Signing out needs the token too, and ends the session everywhere.
    let res = c
        .post(app.url("/sign-out"))
        .header(COOKIE, &cookies)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(app.url("/sign-out"))
        .header(COOKIE, &cookies)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(set_cookie(&res, "coprod_session").is_some_and(|c| c.contains("Max-Age=0")));
    let res = c
        .get(app.url("/me"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[LOCATION], "/sign-in");
    assert_eq!(app.get_as("/api/v1/me", &session).await.status(), 401);

    // Forgotten password: the same answer whoever asks.
    let token = csrf(&app, &c).await;
    let res = c
        .post(app.url("/forgot-password"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[("csrf", token.as_str()), ("email", "nobody@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("If that address belongs to an account"));
    let res = c
        .post(app.url("/accept-invitation"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("token", "cpl_nonsense"),
            ("password", "Marmalade-Lighthouse-Tuesday"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("There is a problem"));
    assert_eq!(
        c.get(app.url("/site.css")).send().await.unwrap().status(),
        200
    );
}

/// Finance reviews a run in the browser, approves it against the total, downloads it, marks it paid.
async fn finance_approves_and_downloads_a_run(backend: TestBackend) {
    let w = crate::payruns::World::new(backend).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 300).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let id = run["id"].as_str().unwrap().to_string();
    let c = client();
    let (token, session) = sign_in(&w.app, &c, &w.approver.email).await;
    let cookies = format!("coprod_csrf={token}; coprod_session={session}");
    let get = |path: String| {
        c.get(w.app.url(&path))
            .header(COOKIE, cookies.clone())
            .send()
    };
    let res = get("/".into()).await.unwrap();
    assert_eq!(res.headers()[LOCATION], "/finance");
    let html = get("/runs".into()).await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("/runs/{id}")) && html.contains("£150.00"),
        "{html}"
    );
    let html = get(format!("/runs/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for words in [
        "Totals by method",
        "Totals by outcome",
        "Approve £150.00",
        "One payment per payee",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    let post = |path: String, form: Vec<(&'static str, String)>| {
        c.post(w.app.url(&path))
            .header(COOKIE, cookies.clone())
            .form(&form)
            .send()
    };
    // The wrong total is refused and nothing is approved.
    let res = post(
        format!("/runs/{id}/approve"),
        vec![
            ("csrf", token.clone()),
            ("expected_total", "149.99".into()),
            ("expected_count", "1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("There is a problem"));
    let res = post(
        format!("/runs/{id}/approve"),
        vec![
            ("csrf", token.clone()),
            ("expected_total", "lots".into()),
            ("expected_count", "one".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let res = post(
        format!("/runs/{id}/approve"),
        vec![
            ("csrf", String::new()),
            ("expected_total", "150.00".into()),
            ("expected_count", "1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(
        format!("/runs/{id}/approve"),
        vec![
            ("csrf", token.clone()),
            ("expected_total", "£150.00".into()),
            ("expected_count", "1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let html = get(format!("/runs/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Approved") && html.contains("review workbook (XLSX)"),
        "{html}"
    );
    let html = get(format!("/runs/{id}/lines"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Lines of the pay run") && html.contains("£150.00"),
        "{html}"
    );
    assert_eq!(
        get(format!("/runs/{id}/lines?cursor=junk"))
            .await
            .unwrap()
            .status(),
        422
    );
    // A GET never downloads or marks the run exported (another site could link to it); the
    // download is a form with the CSRF token.
    let res = get(format!("/runs/{id}/export?format=csv")).await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = post(
        format!("/runs/{id}/export"),
        vec![("csrf", "forged".into()), ("format", "csv".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    let run = w
        .app
        .get_as(&format!("/api/v1/pay-runs/{id}"), &w.finance.token)
        .await;
    let run: serde_json::Value = run.json().await.unwrap();
    assert_eq!(run["status"], "approved", "nothing was exported by those");
    let res = post(
        format!("/runs/{id}/export"),
        vec![("csrf", token.clone()), ("format", "csv".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.lines().last().unwrap().starts_with("TOTAL,1 payments"),
        "{text}"
    );
    let res = post(
        format!("/runs/{id}/mark-paid"),
        vec![
            ("csrf", token.clone()),
            ("paid_on", "2025-07-04".into()),
            ("reference", "BACS-1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let html = get(format!("/runs/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Paid"), "{html}");
    // A coordinator sees the runs, but approving, marking paid and downloads are finance's.
    let (ctoken, csession) = sign_in(&w.app, &c, &w.coordinator.email).await;
    let res = c
        .get(w.app.url("/runs"))
        .header(
            COOKIE,
            format!("coprod_csrf={ctoken}; coprod_session={csession}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("mark-paid") && !html.contains("/approve"),
        "{html}"
    );
    assert_eq!(get("/runs/nope".into()).await.unwrap().status(), 404);
}

/// A coordinator adds a meeting, takes its register on one page (attended by default, one person
/// for part of it, one with apologies), and decides expense claims; bad input stays on the page.
async fn coordinator_takes_a_register_and_decides_claims(backend: TestBackend) {
    let w = crate::payruns::World::new(backend).await;
    let ada = w.new_member("Ada Lovelace", "co_chair").await;
    let bo = w.new_member("Bo Diddley", "member").await;
    let c = client();
    let (token, session) = sign_in(&w.app, &c, &w.coordinator.email).await;
    let cookies = format!("coprod_csrf={token}; coprod_session={session}");
    let get = |path: String| {
        c.get(w.app.url(&path))
            .header(COOKIE, cookies.clone())
            .send()
    };
    let post = |path: String, form: Vec<(String, String)>| {
        c.post(w.app.url(&path))
            .header(COOKIE, cookies.clone())
            .form(&form)
            .send()
    };
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        get("/".into()).await.unwrap().headers()[LOCATION],
        "/groups"
    );
    let html = get("/groups".into()).await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/groups/{}", w.group)), "{html}");
    let html = get(format!("/groups/{}", w.group))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for words in ["Ada Lovelace", "Bo Diddley", "Co-chair", "Add a meeting"] {
        assert!(html.contains(words), "{words}: {html}");
    }

    // A meeting with a bad date and length comes back with both errors and what was typed.
    let add = format!("/groups/{}/meetings", w.group);
    let res = post(
        add.clone(),
        f(&[
            ("csrf", &token),
            ("title", "Advisory group"),
            ("activity_kind", "meeting"),
            ("date", "next Tuesday"),
            ("duration_minutes", "two hours"),
            ("prep_minutes_allowed", "60"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for words in [
        "There is a problem",
        "Enter the date as year-month-day",
        "must be a whole number",
        "value=\"next Tuesday\"",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    let res = post(
        add.clone(),
        f(&[
            ("csrf", &token),
            ("title", "Advisory group"),
            ("activity_kind", "meeting"),
            ("date", "2025-06-10"),
            ("duration_minutes", "120"),
            ("prep_minutes_allowed", "60"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()[LOCATION].to_str().unwrap().to_string();
    let meeting = to.trim_start_matches("/meetings/").to_string();

    // The register lists everyone, attended by default, with the preparation allowed.
    let html = get(to.clone()).await.unwrap().text().await.unwrap();
    assert_eq!(
        html.matches("<fieldset class=\"register-row\">").count(),
        3,
        "{html}"
    );
    assert_eq!(
        html.matches("value=\"attended\" selected").count(),
        3,
        "{html}"
    );
    // Read the order the page gave, then change two people.
    let order: Vec<String> = (0..3)
        .map(|i| {
            let key = format!("name=\"m{i}\" value=\"");
            let at = html.find(&key).unwrap() + key.len();
            html[at..at + 36].split('"').next().unwrap().to_string()
        })
        .collect();
    let mut form = vec![("csrf".to_string(), token.clone())];
    for (i, id) in order.iter().enumerate() {
        let (status, attended, prep) = if *id == ada {
            ("partial", "90", "30")
        } else if *id == bo {
            ("apologies", "", "60")
        } else {
            ("attended", "", "60")
        };
        for (k, v) in [
            ("m", id.as_str()),
            ("s", status),
            ("a", attended),
            ("p", prep),
            ("r", ""),
            ("n", ""),
        ] {
            form.push((format!("{k}{i}"), v.to_string()));
        }
    }
    // Too long for a part of the meeting: the error names the person, nothing is saved.
    let mut bad = form.clone();
    for (k, v) in &mut bad {
        if *v == "90" && k.starts_with('a') {
            *v = "500".into();
        }
    }
    let res = post(format!("/meetings/{meeting}/register"), bad)
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Ada Lovelace: minutes there for partial attendance must be"),
        "{html}"
    );
    assert!(html.contains("value=\"500\""), "{html}");
    let res = post(format!("/meetings/{meeting}/register"), form.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION].to_str().unwrap(),
        format!("/meetings/{meeting}?saved=1")
    );
    let reg = crate::payruns::ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings/{meeting}/attendance"),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    for r in reg["records"].as_array().unwrap() {
        let id = r["member_id"].as_str().unwrap();
        let (status, attended, prep) = if id == ada {
            ("partial", 90, 30)
        } else if id == bo {
            ("apologies", 0, 0)
        } else {
            ("attended", 120, 60)
        };
        assert_eq!(r["status"], status, "{r}");
        assert_eq!(r["attended_minutes"], attended, "{r}");
        assert_eq!(r["prep_minutes"], prep, "{r}");
    }
    let html = get(format!("/meetings/{meeting}?saved=1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("The register is saved."), "{html}");
    // Without the CSRF token nothing changes.
    let mut forged = form.clone();
    forged[0].1 = String::new();
    let res = post(format!("/meetings/{meeting}/register"), forged)
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Claims: a taxi to reject, a bus fare to approve.
    let claims_path = format!("/api/v1/meetings/{meeting}/expenses");
    let claim = |body: serde_json::Value| {
        w.app
            .post_as(&claims_path, Some(&w.coordinator.token), body)
    };
    let taxi = crate::payruns::ok(
        claim(serde_json::json!({"member_id": ada, "kind": "taxi", "amount": "18.40"})).await,
        201,
    )
    .await;
    let bus = crate::payruns::ok(
        claim(serde_json::json!({"member_id": w.member_id, "kind": "public_transport", "amount": "4.20"}))
            .await,
        201,
    )
    .await;
    let (taxi, bus) = (
        taxi["id"].as_str().unwrap().to_string(),
        bus["id"].as_str().unwrap().to_string(),
    );
    let html = get("/groups".into()).await.unwrap().text().await.unwrap();
    assert!(html.contains("2 expense claims waiting"), "{html}");
    let html = get("/claims".into()).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Ada Lovelace: taxi, £18.40") && html.contains("£4.20"),
        "{html}"
    );
    let res = post(
        format!("/claims/{taxi}"),
        f(&[("csrf", &token), ("decision", "reject"), ("reason", "  ")]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("href=\"#reason-{taxi}\"")), "{html}");
    let res = post(
        format!("/claims/{taxi}"),
        f(&[
            ("csrf", &token),
            ("decision", "reject"),
            ("reason", "A taxi needs agreeing first"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(res.headers()[LOCATION], "/claims?done=rejected");
    let res = post(
        format!("/claims/{bus}"),
        f(&[("csrf", &token), ("decision", "approve"), ("reason", "")]),
    )
    .await
    .unwrap();
    assert_eq!(res.headers()[LOCATION], "/claims?done=approved");
    // Decided once: a second decision is a conflict shown on the page.
    let res = post(
        format!("/claims/{bus}"),
        f(&[
            ("csrf", &token),
            ("decision", "reject"),
            ("reason", "changed my mind"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
    let html = get(format!("/meetings/{meeting}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("A taxi needs agreeing first") && html.contains("Approved"),
        "{html}"
    );
    for bad in ["maybe", ""] {
        let res = post(
            format!("/claims/{bus}"),
            f(&[("csrf", &token), ("decision", bad)]),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 422, "{bad}");
    }

    // Another coordinator's group and meetings are not found; members and finance are refused.
    let other = w.app.user(Role::Coordinator).await;
    let (otoken, osession) = sign_in(&w.app, &c, &other.email).await;
    let as_other = |path: String| {
        c.get(w.app.url(&path))
            .header(
                COOKIE,
                format!("coprod_csrf={otoken}; coprod_session={osession}"),
            )
            .send()
    };
    assert_eq!(
        as_other(format!("/meetings/{meeting}"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        as_other(format!("/groups/{}", w.group))
            .await
            .unwrap()
            .status(),
        404
    );
    let html = as_other("/claims".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("No claims are waiting"), "{html}");
    let res = c
        .post(w.app.url(&format!("/meetings/{meeting}/register")))
        .header(
            COOKIE,
            format!("coprod_csrf={otoken}; coprod_session={osession}"),
        )
        .form(&[
            ("csrf", otoken.as_str()),
            ("m0", ada.as_str()),
            ("s0", "absent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    for user in [&w.member, &w.finance] {
        let (t, s) = sign_in(&w.app, &c, &user.email).await;
        let res = c
            .get(w.app.url(&format!("/meetings/{meeting}")))
            .header(COOKIE, format!("coprod_csrf={t}; coprod_session={s}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        if user.role == Role::Member {
            // The member sees the session on their own page.
            let html = c
                .get(w.app.url("/me"))
                .header(COOKIE, format!("coprod_csrf={t}; coprod_session={s}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                html.contains("My sessions")
                    && html.contains("Advisory group")
                    && html.contains("Came"),
                "{html}"
            );
        }
    }
    assert_eq!(get("/meetings/nope".into()).await.unwrap().status(), 404);
}

/// The NUL character, which PostgreSQL cannot store or compare, is refused in any form field, path
/// or query string of the portal with a 4xx, and nothing changes.
async fn the_portal_refuses_the_nul_character(backend: TestBackend) {
    let w = crate::payruns::World::new(backend).await;
    let c = client();
    let token = csrf(&w.app, &c).await;
    let res = c
        .post(w.app.url("/sign-in"))
        .header(COOKIE, format!("coprod_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "sam\u{0}@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (token, session) = sign_in(&w.app, &c, &w.coordinator.email).await;
    let cookies = format!("coprod_csrf={token}; coprod_session={session}");
    let res = c
        .post(w.app.url(&format!("/groups/{}/meetings", w.group)))
        .header(COOKIE, cookies.clone())
        .form(&[
            ("csrf", token.as_str()),
            ("title", "Advisory\u{0}group"),
            ("activity_kind", "meeting"),
            ("date", "2025-06-10"),
            ("duration_minutes", "120"),
            ("prep_minutes_allowed", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    for path in [
        "/meetings/a%00b",
        "/groups/a%00b",
        "/runs/a%00b",
        "/runs/a%00b/lines",
    ] {
        let res = c
            .get(w.app.url(path))
            .header(COOKIE, cookies.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = c
        .get(w.app.url("/meetings/x?saved=%00"))
        .header(COOKIE, cookies.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let meetings = crate::payruns::ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings?group_id={}", w.group),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(meetings["items"], serde_json::json!([]), "nothing was made");
}

both_backends!(
    the_portal_refuses_the_nul_character,
    pages_sign_in_and_out_safely,
    finance_approves_and_downloads_a_run,
    coordinator_takes_a_register_and_decides_claims
);
