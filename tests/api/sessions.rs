//! Signing in and out, session expiry and idle time-out, password changes, API tokens,
//! invitations and resets end to end with the emailed link, throttling, and password rules.

use chrono::TimeDelta;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{
    assert_problem, link_token, spawn_app, spawn_app_with, Role, TestApp, TestBackend, PASSWORD,
};

const NEW_PASSWORD: &str = "Orchard-Kettle-Harbour-Nine";

async fn sessions_of(
    app: &TestApp,
    account_id: &str,
    shift: impl Fn(&mut coprod::db::sessions::SessionRow) + Send + 'static,
) {
    let id = account_id.to_string();
    app.with_db(move |c| {
        use coprod::db::schema::sessions::dsl as s;
        let rows: Vec<coprod::db::sessions::SessionRow> = s::sessions
            .filter(s::account_id.eq(&id))
            .select(coprod::db::sessions::SessionRow::as_select())
            .load(c)
            .unwrap();
        for mut r in rows {
            shift(&mut r);
            diesel::update(s::sessions.find(&r.id))
                .set((
                    s::expires_at.eq(r.expires_at),
                    s::last_used_at.eq(r.last_used_at),
                    s::created_at.eq(r.created_at),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    // Times moved in the database behind the server's back, as another instance would: what
    // the server remembers of these sessions is forgotten, as it would be after
    // `auth.actor_cache_seconds`.
    coprod::db::actors::forget_all();
}

async fn login_succeeds_and_fails_alike_for_unknown_accounts(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Finance).await;

    let res = app.login(&user.email.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), 200, "email is case-insensitive");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["token"].as_str().unwrap().starts_with("cps_"));
    assert!(
        body["token"].as_str().unwrap().len() >= 4 + 22,
        "at least 128 bits"
    );
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["account"]["email"], user.email.as_str());
    assert_eq!(body["account"]["role"], "finance");
    assert!(body["account"].get("password_hash").is_none());

    let wrong = assert_problem(app.login(&user.email, "Wrong-Password-Entirely").await, 401).await;
    let unknown = assert_problem(app.login("nobody@example.org", PASSWORD).await, 401).await;
    let nonsense = assert_problem(app.login("not an email", PASSWORD).await, 401).await;
    assert_eq!(
        wrong["detail"], unknown["detail"],
        "no hint whether the account exists"
    );
    assert_eq!(wrong["detail"], nonsense["detail"]);

    let res = app.get_as("/api/v1/me", &user.token).await;
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["account"]["id"], user.id.as_str());
    assert!(me["member"].is_null());

    // A member sees their member record too.
    let member = app.user(Role::Member).await;
    let me: serde_json::Value = app
        .get_as("/api/v1/me", &member.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["account"]["member_id"],
        member.member_id.clone().unwrap().as_str()
    );
    assert_eq!(me["member"]["full_name"], "Sam Member");

    for bad in [
        "",
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer cps_notarealtoken",
    ] {
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        assert_problem(res, 401).await;
    }
}

async fn sessions_expire_idle_out_and_log_out(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Coordinator).await;
    assert_eq!(app.get_as("/api/v1/me", &user.token).await.status(), 200);

    // Unused for longer than the idle time-out (2 hours by default): over.
    sessions_of(&app, &user.id, |s| {
        s.last_used_at -= TimeDelta::minutes(121)
    })
    .await;
    assert_problem(app.get_as("/api/v1/me", &user.token).await, 401).await;

    // Past its absolute lifetime, however recently used: over.
    let token = app.token(&user.email, PASSWORD).await;
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);
    sessions_of(&app, &user.id, |s| {
        s.expires_at = coprod::db::now() - TimeDelta::seconds(1)
    })
    .await;
    assert_problem(app.get_as("/api/v1/me", &token).await, 401).await;

    // Used within the idle time-out: still good.
    let token = app.token(&user.email, PASSWORD).await;
    sessions_of(&app, &user.id, |s| {
        s.last_used_at -= TimeDelta::minutes(100)
    })
    .await;
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);

    // Logout ends it.
    let res = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/me", &token).await, 401).await;
    assert_problem(
        app.call(Method::POST, "/api/v1/auth/logout", None, None)
            .await,
        401,
    )
    .await;
}

async fn changing_the_password_ends_other_sessions_and_tells_the_owner(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Finance).await;
    let other = app.token(&user.email, PASSWORD).await;

    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(&user.token),
            Some(
                json!({"current_password": "Not-My-Password-At-All", "new_password": NEW_PASSWORD}),
            ),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "current_password");

    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(&user.token),
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get_as("/api/v1/me", &user.token).await.status(),
        200,
        "this session stays"
    );
    assert_problem(app.get_as("/api/v1/me", &other).await, 401).await;
    assert_problem(app.login(&user.email, PASSWORD).await, 401).await;
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status(), 200);

    let mail = app.emails_to(&user.email).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("password was changed"));
    let changed = app
        .delivered_mail(&user.email, "password was changed")
        .await;
    assert!(changed.text.contains("If you did not"), "{}", changed.text);
    assert!(
        changed.text.contains("API tokens you made keep working"),
        "{}",
        changed.text
    );
    let audit = app.audit_of(&user.id).await;
    assert!(audit.iter().any(|a| a.action == "account.password_changed"
        && a.actor_id.as_deref() == Some(user.id.as_str())));
}

async fn api_tokens_are_named_shown_once_and_revocable(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Finance).await;
    let other = app.user(Role::Finance).await;

    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "nightly export"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("cpt_"));
    assert_eq!(created["name"], "nightly export");
    assert!(created["last_used_at"].is_null());

    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);
    let list: serde_json::Value = app
        .get_as("/api/v1/me/tokens", &user.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("token").is_none(), "never shown again");
    assert!(list["items"][0]["last_used_at"].is_string(), "{list}");
    let others: serde_json::Value = app
        .get_as("/api/v1/me/tokens", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(others["items"].as_array().unwrap().len(), 0);

    // Someone else's token cannot be revoked, or even found.
    let id = created["id"].as_str().unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&other.token),
            None,
        )
        .await;
    assert_problem(res, 404).await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{id}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/me", &token).await, 401).await;

    // Expiry must be in the future and within the limit; an expired token stops working.
    let past = (chrono::Utc::now() - TimeDelta::days(1)).to_rfc3339();
    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "x", "expires_at": past}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "expires_at"
    );
    let far = (chrono::Utc::now() + TimeDelta::days(3650)).to_rfc3339();
    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "x", "expires_at": far}),
        )
        .await;
    assert_problem(res, 422).await;
    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "  "}),
        )
        .await;
    assert_problem(res, 422).await;
    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "x", "expires_at": "soon"}),
        )
        .await;
    assert_problem(res, 400).await;
    let soon = (chrono::Utc::now() + TimeDelta::days(1)).to_rfc3339();
    let created: serde_json::Value = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "short", "expires_at": soon}),
        )
        .await
        .json()
        .await
        .unwrap();
    let short = created["token"].as_str().unwrap().to_string();
    assert_eq!(app.get_as("/api/v1/me", &short).await.status(), 200);
    sessions_of(&app, &user.id, |s| {
        if s.expires_at < coprod::db::now() + TimeDelta::days(2)
            && s.expires_at > coprod::db::now() + TimeDelta::hours(20)
        {
            s.expires_at = coprod::db::now() - TimeDelta::seconds(1);
        }
    })
    .await;
    assert_problem(app.get_as("/api/v1/me", &short).await, 401).await;
}

async fn disabling_an_account_ends_its_sessions_and_tokens(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let user = app.user(Role::Coordinator).await;
    let api: serde_json::Value = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "sync"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let api = api["token"].as_str().unwrap().to_string();

    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{}", user.id),
            Some(&admin.token),
            Some(json!({"disabled": true, "reason": "left the organisation"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["disabled"], true);
    assert_problem(app.get_as("/api/v1/me", &user.token).await, 401).await;
    assert_problem(app.get_as("/api/v1/me", &api).await, 401).await;
    assert_problem(app.login(&user.email, PASSWORD).await, 401).await;

    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{}", user.id),
            Some(&admin.token),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.login(&user.email, PASSWORD).await.status(), 200);
    assert_problem(app.get_as("/api/v1/me", &api).await, 401).await;

    // The last active admin cannot disable or demote themself.
    for change in [json!({"disabled": true}), json!({"role": "finance"})] {
        let res = app
            .call(
                Method::PATCH,
                &format!("/api/v1/accounts/{}", admin.id),
                Some(&admin.token),
                Some(change),
            )
            .await;
        assert_problem(res, 409).await;
    }
    let actions: Vec<String> = app
        .audit_of(&user.id)
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(
        actions.contains(&"account.disabled".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"account.enabled".to_string()),
        "{actions:?}"
    );
    let disabled = app
        .audit_of(&user.id)
        .await
        .into_iter()
        .find(|a| a.action == "account.disabled")
        .unwrap();
    assert_eq!(disabled.reason.as_deref(), Some("left the organisation"));
    assert!(disabled.before_json.unwrap().contains("\"disabled\":false"));
    assert!(disabled.after_json.unwrap().contains("\"disabled\":true"));
}

async fn an_invitation_is_emailed_and_accepted_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let member_id = app.insert_member("Jo Carer").await;
    let res = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "Jo.Carer@Example.org", "role": "member", "member_id": member_id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let account: serde_json::Value = res.json().await.unwrap();
    assert_eq!(account["email"], "jo.carer@example.org");
    assert_eq!(account["has_password"], false);
    let id = account["id"].as_str().unwrap().to_string();

    let mail = app.emails_to("jo.carer@example.org").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("invited"));
    let delivered = app.delivered_mail("jo.carer@example.org", "invited").await;
    let link = delivered.link("Choose your password");
    assert!(
        link.starts_with(&format!("{}/accept-invitation?token=", app.address)),
        "{link}"
    );
    assert!(delivered.html.contains("Choose your password"));
    let token = link_token(&link);

    // No password yet: signing in fails like any wrong password.
    assert_problem(app.login("jo.carer@example.org", PASSWORD).await, 401).await;

    let res = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "password": "password1234"}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "password");
    let res = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let signed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(signed["account"]["has_password"], true);
    let session = signed["token"].as_str().unwrap();
    assert_eq!(app.get_as("/api/v1/me", session).await.status(), 200);

    let res = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_problem(res, 422).await;
    assert_eq!(
        app.login("jo.carer@example.org", NEW_PASSWORD)
            .await
            .status(),
        200
    );

    // An invitation past its time no longer works.
    let late = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "late@example.org", "role": "finance"}),
        )
        .await;
    assert_eq!(late.status(), 201);
    app.with_db(|c| {
        use coprod::db::schema::one_time_tokens::dsl as t;
        diesel::update(t::one_time_tokens)
            .set(t::expires_at.eq(coprod::db::now() - TimeDelta::seconds(1)))
            .execute(c)
            .unwrap();
    })
    .await;
    let late_token = app.delivered_token("late@example.org", "invited").await;
    let res = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": late_token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_problem(res, 422).await;

    let actions: Vec<String> = app
        .audit_of(&id)
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["account.created", "account.invitation_accepted"]);
}

async fn a_password_reset_works_once_and_ends_every_session(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Member).await;
    let res = app
        .post_as(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert!(app.emails_to("nobody@example.org").await.is_empty());
    let res = app
        .post_as(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "not even an email"}),
        )
        .await;
    assert_eq!(res.status(), 202);

    let res = app
        .post_as(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": user.email.to_uppercase()}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.emails_to(&user.email).await;
    assert_eq!(mail.len(), 1);
    // An API token made before the reset: account recovery must end it too.
    let res = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&user.token),
            json!({"name": "laptop script"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let api_token = res.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get_as("/api/v1/me", &api_token).await.status(), 200);
    let link = app
        .delivered_mail(&user.email, "Reset your coprod password")
        .await
        .link("Choose a new password");
    assert!(link.contains("/reset-password?token="), "{link}");
    let token = link_token(&link);
    // Asking again at once sends no second email.
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": user.email}),
    )
    .await;
    assert_eq!(app.emails_to(&user.email).await.len(), 1);

    for (bad, words) in [
        ("short", "at least 12"),
        (&*"x".repeat(129), "at most 128"),
        ("password1234", "too easy to guess"),
    ] {
        let res = app
            .post_as(
                "/api/v1/auth/password/reset",
                None,
                json!({"token": token, "password": bad}),
            )
            .await;
        let body = assert_problem(res, 422).await;
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(words),
            "{body}"
        );
    }
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": "cpl_forged", "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "token"
    );

    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/me", &user.token).await, 401).await;
    assert_problem(app.get_as("/api/v1/me", &api_token).await, 401).await;
    let told = app
        .delivered_mail(&user.email, "password was changed")
        .await;
    assert!(
        told.text
            .contains("API tokens you made have stopped working"),
        "{}",
        told.text
    );
    assert_problem(app.login(&user.email, PASSWORD).await, 401).await;
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status(), 200);
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": "Another-Fresh-Password-7"}),
        )
        .await;
    assert_problem(res, 422).await;

    let changed = app.emails_to(&user.email).await;
    assert!(changed
        .iter()
        .any(|m| m.subject.contains("password was changed")));
    assert!(app
        .audit_of(&user.id)
        .await
        .iter()
        .any(|a| a.action == "account.password_reset"));
}

async fn failed_sign_ins_are_throttled_without_locking_the_owner_out(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let victim = app.user(Role::Member).await;
    let bystander = app.user(Role::Finance).await;

    for _ in 0..5 {
        assert_problem(app.login(&victim.email, "Guess-Guess-Guess-1").await, 401).await;
    }
    // From this address the account is now throttled, even with the right password.
    let res = app.login(&victim.email, PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_problem(res, 429).await;
    // Other accounts from the same address are not.
    assert_eq!(app.login(&bystander.email, PASSWORD).await.status(), 200);
    // The owner resets the password by email, which clears the account's counts.
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": victim.email}),
    )
    .await;
    let token = app
        .delivered_token(&victim.email, "Reset your coprod password")
        .await;
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.login(&victim.email, NEW_PASSWORD).await.status(), 200);
}

async fn forwarded_addresses_count_only_behind_a_trusted_proxy(backend: TestBackend) {
    let app = spawn_app_with(backend, |s| s.server.trust_forwarded_for = true).await;
    let user = app.user(Role::Finance).await;
    let attempt = |addr: &'static str, pw: &'static str| {
        let app = &app;
        let email = user.email.clone();
        async move {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", format!("203.0.113.9, {addr}"))
                .json(&json!({"email": email, "password": pw}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("198.51.100.7", "Wrong-Wrong-Wrong-1")
                .await
                .status(),
            401
        );
    }
    assert_eq!(attempt("198.51.100.7", PASSWORD).await.status(), 429);
    assert_eq!(
        attempt("198.51.100.8", PASSWORD).await.status(),
        200,
        "another client is unaffected"
    );

    // Without trust, the header is ignored: everything comes from the real peer.
    let app = spawn_app(TestBackend::Sqlite).await;
    let user = app.user(Role::Finance).await;
    for i in 0..5 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({"email": user.email, "password": "Wrong-Wrong-Wrong-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "192.0.2.200")
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

both_backends!(
    login_succeeds_and_fails_alike_for_unknown_accounts,
    sessions_expire_idle_out_and_log_out,
    changing_the_password_ends_other_sessions_and_tells_the_owner,
    api_tokens_are_named_shown_once_and_revocable,
    disabling_an_account_ends_its_sessions_and_tokens,
    an_invitation_is_emailed_and_accepted_once,
    a_password_reset_works_once_and_ends_every_session,
    failed_sign_ins_are_throttled_without_locking_the_owner_out,
    forwarded_addresses_count_only_behind_a_trusted_proxy,
);
