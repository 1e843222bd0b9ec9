//! What people and attackers meet first: links in delivered emails opened as written and followed
//! to a signed-in page; no secret kept in the database or replayed; approval that sees every change
//! to a line; no portal GET that changes anything; the mail queue for admins; cursors a list never
//! gave out; the demo's printed address.

use std::io::BufRead;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    assert_problem, eventually, spawn_app, spawn_app_with, Role, TestBackend, PASSWORD,
};
use crate::payruns::{ok, s, World};

/// A person with a browser that keeps cookies and follows redirects, reading forms from pages.
pub struct Visitor {
    client: reqwest::Client,
}

/// A page as the visitor sees it: where they ended up, the status and the HTML.
pub struct Seen {
    pub url: String,
    pub status: u16,
    pub html: String,
}

impl Visitor {
    pub fn new() -> Visitor {
        Visitor {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a client"),
        }
    }

    pub async fn open(&self, url: &str) -> Seen {
        let res = self.client.get(url).send().await.expect("the page answers");
        Seen::of(res).await
    }

    /// Fills the form of `page` whose action is `action` (its hidden fields as they are, then
    /// `fields`) and presses its button.
    pub async fn submit(&self, page: &Seen, action: &str, fields: &[(&str, &str)]) -> Seen {
        let form = page.form(action);
        let mut values: Vec<(String, String)> = hidden_fields(&form);
        for (k, v) in fields {
            values.retain(|(name, _)| name != k);
            values.push((k.to_string(), v.to_string()));
        }
        let base = url::Url::parse(&page.url).expect("a page address");
        let target = base.join(action).expect("a form action");
        let res = self
            .client
            .post(target)
            .form(&values)
            .send()
            .await
            .expect("the form is sent");
        Seen::of(res).await
    }
}

impl Visitor {
    /// Chooses a file in the upload form of `page` whose action is `action` and presses its
    /// button: the form's hidden fields, then the file as the part named `file`.
    pub async fn upload(&self, page: &Seen, action: &str, name: &str, bytes: Vec<u8>) -> Seen {
        let form = page.form(action);
        let mut parts = reqwest::multipart::Form::new();
        for (k, v) in hidden_fields(&form) {
            parts = parts.text(k, v);
        }
        let file = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        parts = parts.part("file", file);
        let target = url::Url::parse(&page.url)
            .expect("a page address")
            .join(action)
            .expect("a form action");
        let res = self
            .client
            .post(target)
            .multipart(parts)
            .send()
            .await
            .expect("the form is sent");
        Seen::of(res).await
    }
}

impl Seen {
    async fn of(res: reqwest::Response) -> Seen {
        Seen {
            url: res.url().to_string(),
            status: res.status().as_u16(),
            html: res.text().await.unwrap_or_default(),
        }
    }

    /// The HTML of the form whose action is `action`.
    pub fn form(&self, action: &str) -> String {
        let marker = format!("action=\"{action}\"");
        let at = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no form to {action} on {}:\n{}", self.url, self.html));
        let start = self.html[..at].rfind("<form").unwrap_or(at);
        let end = self.html[at..]
            .find("</form>")
            .map_or(self.html.len(), |e| at + e);
        self.html[start..end].to_string()
    }

    pub fn signed_in(&self) -> bool {
        self.html.contains("action=\"/sign-out\"")
    }
}

/// The hidden inputs of a form, as (name, value).
fn hidden_fields(form: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let i = tag.find(&key)? + key.len();
        let j = tag[i..].find('"')? + i;
        Some(tag[i..j].replace("&amp;", "&").replace("&quot;", "\""))
    };
    form.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            (attr(tag, "type").as_deref() == Some("hidden"))
                .then(|| Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default())))
                .flatten()
        })
        .collect()
}

const CHOSEN: &str = "Bramble-Quarry-Lantern-77";
const RESET_TO: &str = "Heron-Velvet-Compass-31";

/// The invited person opens the link in the delivered email as written, chooses a password on the
/// page it opens and arrives signed in; later they forget it, ask for a reset, follow that link and
/// arrive signed in again. Used links say so plainly.
async fn emailed_links_open_pages_that_sign_people_in(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let res = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "pat.finance@example.org", "role": "finance"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invitation = app
        .delivered_mail("pat.finance@example.org", "invited")
        .await;
    let link = invitation.link("Choose your password");
    assert!(link.starts_with(&app.address), "{link}");
    assert_eq!(
        invitation.links(),
        std::slice::from_ref(&link),
        "the HTML and text agree"
    );
    assert!(invitation.html.contains(&link.replace('&', "&amp;")));

    let pat = Visitor::new();
    let page = pat.open(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Welcome to coprod"), "{}", page.html);
    let done = pat
        .submit(&page, "/accept-invitation", &[("password", CHOSEN)])
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.url.ends_with("/finance"), "{}", done.url);
    assert!(done.signed_in(), "{}", done.html);
    // The link worked once: opened again, it says so and offers the way on.
    let again = Visitor::new().open(&link).await;
    assert_eq!(again.status, 410);
    assert!(
        again.html.contains("can no longer be used"),
        "{}",
        again.html
    );
    assert_eq!(
        app.login("pat.finance@example.org", CHOSEN).await.status(),
        200
    );

    // A forgotten password, from the sign-in page.
    let phone = Visitor::new();
    let sign_in = phone.open(&app.url("/sign-in")).await;
    let forgot = phone.open(&app.url("/forgot-password")).await;
    assert!(sign_in.html.contains("/forgot-password"));
    let sent = phone
        .submit(
            &forgot,
            "/forgot-password",
            &[("email", "pat.finance@example.org")],
        )
        .await;
    assert!(
        sent.html.contains("we have sent it a link"),
        "{}",
        sent.html
    );
    let reset = app
        .delivered_mail("pat.finance@example.org", "Reset your coprod password")
        .await;
    let link = reset.link("Choose a new password");
    assert!(link.starts_with(&app.address), "{link}");
    let page = phone.open(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let done = phone
        .submit(&page, "/reset-password", &[("password", RESET_TO)])
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("You are signed in"), "{}", done.html);
    let home = phone.open(&app.url("/")).await;
    assert!(
        home.url.ends_with("/finance") && home.signed_in(),
        "{}",
        home.url
    );
    // Everywhere else is signed out.
    let elsewhere = pat.open(&app.url("/runs")).await;
    assert!(elsewhere.url.ends_with("/sign-in"), "{}", elsewhere.url);
    assert_eq!(Visitor::new().open(&link).await.status, 410);
}

/// Every link in every email the service sends (invitation, reset, password changed, choices
/// recorded on a member's behalf, payment approved, payment paid) points at this server and opens
/// a page that answers 200.
async fn every_link_in_every_email_opens_a_page(backend: TestBackend) {
    let w = World::new(backend).await;
    let app = &w.app;
    let admin = app.user(Role::Admin).await;
    ok(
        app.post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "new.coordinator@example.org", "role": "coordinator", "group_ids": [w.group]}),
        )
        .await,
        201,
    )
    .await;
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": w.finance.email}),
    )
    .await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(&w.coordinator.token),
            Some(json!({"current_password": PASSWORD, "new_password": CHOSEN})),
        )
        .await;
    assert_eq!(res.status(), 204);
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
    w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    ok(
        app.post_as(
            &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
            Some(&w.approver.token),
            json!({"paid_on": "2025-07-04"}),
        )
        .await,
        200,
    )
    .await;

    let purposes = [
        ("new.coordinator@example.org", "invited"),
        (w.finance.email.as_str(), "Reset your coprod password"),
        (w.coordinator.email.as_str(), "password was changed"),
        ("sam@example.org", "payment choices were updated"),
        ("sam@example.org", "is approved"),
        ("sam@example.org", "has been paid"),
    ];
    let mut followed = 0;
    for (to, subject) in purposes {
        let mail = app.delivered_mail(to, subject).await;
        let links = mail.links();
        assert!(
            !links.is_empty(),
            "{subject}: a link to act on\n{}",
            mail.text
        );
        for link in links {
            assert!(link.starts_with(&app.address), "{subject}: {link}");
            let seen = Visitor::new().open(&link).await;
            assert_eq!(seen.status, 200, "{subject}: {link} → {}", seen.url);
            followed += 1;
        }
    }
    assert!(followed >= purposes.len());
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct TableColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Every text column of every table of the database, as (table, column).
fn text_columns(conn: &mut coprod::db::DbConnection) -> Vec<(String, String)> {
    match conn {
        coprod::db::DbConnection::Pg(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND data_type IN ('text', 'character varying')",
        )
        .load::<TableColumn>(c)
        .unwrap()
        .into_iter()
        .map(|t| (t.table_name, t.column_name))
        .collect(),
        coprod::db::DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .load(c)
            .unwrap();
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<Name> = diesel::sql_query(format!(
                    "SELECT name FROM pragma_table_info('{}') WHERE upper(type) LIKE '%TEXT%' OR upper(type) LIKE '%CHAR%'",
                    t.name
                ))
                .load(c)
                .unwrap();
                out.extend(cols.into_iter().map(|col| (t.name.clone(), col.name)));
            }
            out
        }
    }
}

/// The (table, column) pairs whose text holds `needle` anywhere.
fn holding(conn: &mut coprod::db::DbConnection, needle: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut found = Vec::new();
    for (table, column) in text_columns(conn) {
        let n = match &mut *conn {
            coprod::db::DbConnection::Pg(c) => diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE strpos(\"{column}\", $1) > 0"
            ))
            .bind::<Text, _>(needle)
            .get_result::<Count>(c),
            coprod::db::DbConnection::Sqlite(c) => diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE instr(\"{column}\", ?) > 0"
            ))
            .bind::<Text, _>(needle)
            .get_result::<Count>(c),
        }
        .unwrap()
        .n;
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

/// A person accepts an invitation and later resets their password through the emailed links;
/// they make API tokens with Idempotency-Keys and sign in with one. Once the mail is delivered, no
/// text column of any table holds any secret they were given, and a replay shows no secret.
async fn no_secret_is_kept_at_rest_or_replayed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let mut secrets: Vec<String> = vec![admin.token.clone()];
    app.post_as(
        "/api/v1/accounts",
        Some(&admin.token),
        json!({"email": "ria@example.org", "role": "finance"}),
    )
    .await;
    let link = app
        .delivered_mail("ria@example.org", "invited")
        .await
        .link("Choose your password");
    secrets.push(crate::helpers::link_token(&link));
    let ria = Visitor::new();
    let page = ria.open(&link).await;
    assert!(ria
        .submit(&page, "/accept-invitation", &[("password", CHOSEN)])
        .await
        .signed_in());
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": "ria@example.org"}),
    )
    .await;
    let link = app
        .delivered_mail("ria@example.org", "Reset your coprod password")
        .await
        .link("Choose a new password");
    secrets.push(crate::helpers::link_token(&link));
    let page = ria.open(&link).await;
    assert!(ria
        .submit(&page, "/reset-password", &[("password", RESET_TO)])
        .await
        .signed_in());

    let token = app.token("ria@example.org", RESET_TO).await;
    secrets.push(token.clone());
    // An API token made with an Idempotency-Key: the replay does not show it again.
    let make = |key: &'static str| {
        app.client
            .post(app.url("/api/v1/me/tokens"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({"name": "nightly export"}))
            .send()
    };
    let first = make("token-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let made: Value = first.json().await.unwrap();
    let api_token = s(&made["token"]);
    assert!(api_token.starts_with("cpt_"));
    secrets.push(api_token.clone());
    let replay = make("token-1").await.unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed"), None);
    let body = assert_problem(replay, 409).await;
    assert_eq!(
        body["type"],
        "urn:coprod:problem:idempotency-secret-not-replayed"
    );
    assert!(!body.to_string().contains(&api_token), "{body}");
    let listed: Value = app
        .get_as("/api/v1/me/tokens", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "made once");
    assert_eq!(app.get_as("/api/v1/me", &api_token).await.status(), 200);
    // Signing in with an Idempotency-Key (and a bearer token, so the key is kept): the same.
    let login = || {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .bearer_auth(&api_token)
            .header("Idempotency-Key", "login-1")
            .json(&json!({"email": "ria@example.org", "password": RESET_TO}))
            .send()
    };
    let signed: Value = login().await.unwrap().json().await.unwrap();
    secrets.push(s(&signed["token"]));
    assert_problem(login().await.unwrap(), 409).await;

    // Every message delivered, and so past the moment its body may hold a link.
    eventually("every message sent", Duration::from_secs(20), || async {
        let rows = app
            .with_db(|c| coprod::db::outbox::count_by_status(c).unwrap())
            .await;
        rows.iter()
            .all(|(status, _)| status == "sent")
            .then_some(())
    })
    .await;
    for secret in secrets {
        let needle = secret.clone();
        let found = app.with_db(move |c| holding(c, &needle)).await;
        assert!(found.is_empty(), "{secret} is kept in {found:?}");
    }
    // The check can fail: a value that is stored is found.
    let found = app.with_db(|c| holding(c, "ria@example.org")).await;
    assert!(found.contains(&"accounts.email".to_string()), "{found:?}");
}

/// Approval compares everything a line explains: the register changed from 240 minutes to a
/// partial 200 (the same half-day fee), or a new card pays the same amount, and approval refuses,
/// naming what changed.
async fn approval_sees_changes_that_keep_the_amount(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let meeting = w.session(&w.member_id, "2025-06-10", 240).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    assert_eq!(run["total"], "75.00");
    ok(
        w.register(
            &meeting,
            json!([{"member_id": w.member_id, "status": "partial", "attended_minutes": 200}]),
        )
        .await,
        200,
    )
    .await;
    let body = assert_problem(w.approve_as(&run, &w.approver.token).await, 409).await;
    let detail = s(&body["detail"]);
    assert!(
        detail.contains("Sam") && detail.contains("minutes 240 → 200"),
        "{detail}"
    );
    let id = s(&run["id"]);
    let again = ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{id}/recalculate"),
                Some(&w.finance.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(again["total"], "75.00", "the same money");
    // A card for the group now applies, at the same amount.
    ok(
        w.app
            .post_as(
                "/api/v1/rate-cards",
                Some(&w.finance.token),
                json!({"name": "Group 2025", "group_id": w.group, "effective_from": "2025-04-01",
                       "rules": [{"role": "member", "activity_kind": "meeting", "basis": "band",
                                  "half_day_amount": "75.00", "full_day_amount": "150.00"}]}),
            )
            .await,
        201,
    )
    .await;
    let body = assert_problem(w.approve_as(&again, &w.approver.token).await, 409).await;
    assert!(s(&body["detail"]).contains("rate card"), "{body}");
    let lines = w.lines(&again).await;
    assert_eq!(lines[0]["minutes"], 200);
}

/// Admins read the mail queue (never a body) and retry what failed; nobody else may.
async fn admins_read_the_mail_queue_and_retry_what_failed(backend: TestBackend) {
    let app = spawn_app_with(backend, |s| s.mail.max_attempts = 1).await;
    let admin = app.user(Role::Admin).await;
    let finance = app.user(Role::Finance).await;
    let member = app.user(Role::Member).await;
    // A message the transport can never send (the address is not one), so it fails at once.
    app.with_db(|c| {
        coprod::db::write_tx(c, |c| {
            let email = coprod::mail::Template::new("Undeliverable")
                .paragraph("Hello")
                .render("not an address");
            coprod::mail::queue(c, "test-failure:1", &email)
        })
        .unwrap()
    })
    .await;
    app.post_as(
        "/api/v1/accounts",
        Some(&admin.token),
        json!({"email": "new@example.org", "role": "finance"}),
    )
    .await;
    let failed = eventually("a failed message", Duration::from_secs(20), || async {
        let page: Value = app
            .get_as("/api/v1/outbox?status=failed", &admin.token)
            .await
            .json()
            .await
            .ok()?;
        page["items"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(failed["purpose"], "test-failure");
    assert_eq!(failed["to"], "not an address");
    assert_eq!(failed["attempts"], 1);
    assert!(s(&failed["last_error"]).contains("recipient"), "{failed}");
    for field in ["body_text", "body_html", "body", "text", "html"] {
        assert!(failed.get(field).is_none(), "{field} in {failed}");
    }
    let sent = eventually("the invitation sent", Duration::from_secs(20), || async {
        let page: Value = app
            .get_as("/api/v1/outbox?status=sent", &admin.token)
            .await
            .json()
            .await
            .ok()?;
        page["items"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(sent["purpose"], "invitation");
    assert!(sent["sent_at"].is_string() && sent["next_attempt_at"].is_null());
    // Paged newest first.
    let first: Value = app
        .get_as("/api/v1/outbox?limit=1", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"][0]["id"], sent["id"]);
    let next = s(&first["next_cursor"]);
    let second: Value = app
        .get_as(
            &format!("/api/v1/outbox?limit=1&cursor={next}"),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["id"], failed["id"]);
    assert!(second["next_cursor"].is_null());

    for bad in ["status=lost", "cursor=garbage", "limit=0"] {
        let res = app
            .get_as(&format!("/api/v1/outbox?{bad}"), &admin.token)
            .await;
        assert_problem(res, 422).await;
    }
    for who in [&finance, &member] {
        assert_problem(app.get_as("/api/v1/outbox", &who.token).await, 403).await;
        let res = app
            .post_as(
                &format!("/api/v1/outbox/{}/retry", s(&failed["id"])),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_problem(res, 403).await;
    }
    assert_problem(app.get("/api/v1/outbox").await, 401).await;

    let retry = |id: String| {
        app.client
            .post(app.url(&format!("/api/v1/outbox/{id}/retry")))
            .bearer_auth(&admin.token)
            .send()
    };
    let res = retry(s(&failed["id"])).await.unwrap();
    assert_eq!(res.status(), 202);
    let due: Value = res.json().await.unwrap();
    assert_eq!(due["status"], "pending");
    assert_eq!(due["attempts"], 0);
    assert!(app
        .audit_of(&s(&failed["id"]))
        .await
        .iter()
        .any(|a| a.action == "outbox.retried"));
    assert_problem(retry(s(&sent["id"])).await.unwrap(), 409).await;
    assert_problem(retry(coprod::db::new_id()).await.unwrap(), 404).await;
    // It is tried again, and fails again.
    eventually("tried again", Duration::from_secs(20), || async {
        let page: Value = app
            .get_as("/api/v1/outbox?status=failed", &admin.token)
            .await
            .json()
            .await
            .ok()?;
        (page["items"][0]["attempts"] == 1).then_some(())
    })
    .await;
    // A failed invitation's body (its link) is gone: it cannot be retried, a new one replaces it.
    let id = app
        .with_db(|c| {
            use coprod::db::schema::outbox::dsl as o;
            let id: String = o::outbox
                .filter(o::dedupe_key.like("invitation:%"))
                .select(o::id)
                .first(c)
                .unwrap();
            diesel::update(o::outbox.find(&id))
                .set(o::status.eq("failed"))
                .execute(c)
                .unwrap();
            id
        })
        .await;
    let body = assert_problem(retry(id).await.unwrap(), 409).await;
    assert!(s(&body["detail"]).contains("new invitation"), "{body}");
}

/// Cursors no list gave out are refused on every list, and a member's claim for someone else is
/// not theirs to make (404, like any record not theirs).
async fn lists_refuse_cursors_they_never_gave_out(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    for path in ["/api/v1/audit", "/api/v1/accounts", "/api/v1/outbox"] {
        let res = app
            .get_as(&format!("{path}?cursor=garbage"), &admin.token)
            .await;
        let body = assert_problem(res, 422).await;
        assert_eq!(body["errors"][0]["field"], "cursor", "{path}: {body}");
    }
    // A real cursor still pages.
    app.user(Role::Finance).await;
    let page: Value = app
        .get_as("/api/v1/accounts?limit=1", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let next = s(&page["next_cursor"]);
    let res = app
        .get_as(
            &format!("/api/v1/accounts?limit=1&cursor={next}"),
            &admin.token,
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// `coprod demo` prints the address it serves on, wherever that is.
#[test]
fn the_demo_prints_the_address_it_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coprod"))
        .arg("demo")
        .current_dir(dir.path())
        .env_remove("COPROD_ENV")
        .env("COPROD__SERVER__PORT", "0")
        .env("COPROD__LOG__LEVEL", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("coprod demo starts");
    let stdout = child.stdout.take().unwrap();
    let mut address = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Open ") {
            address = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let address = address.expect("the demo prints where to open it");
    assert!(!address.contains(":8080"), "{address}");
    let health = address.trim_end_matches('/').to_string() + "/health";
    let mut answered = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(
            health
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap(),
        )
        .is_ok()
        {
            answered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answered, "nothing listens at {address}");
}

both_backends!(
    emailed_links_open_pages_that_sign_people_in,
    every_link_in_every_email_opens_a_page,
    no_secret_is_kept_at_rest_or_replayed,
    approval_sees_changes_that_keep_the_amount,
    admins_read_the_mail_queue_and_retry_what_failed,
    lists_refuse_cursors_they_never_gave_out,
);
