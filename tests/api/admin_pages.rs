//! An admin doing their whole job in the portal, as a person with a browser does it: inviting a
//! coordinator (who opens the emailed link and chooses a password), changing roles and groups,
//! disabling an account (whose open session then stops working), groups and their coordinators,
//! reference data, next April's benefit limit, the mail queue and the audit trail. Bad answers are
//! shown next to their field with a 422 and change nothing; other roles get a 403 page.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::doors::{Seen, Visitor};
use crate::helpers::{
    assert_problem, eventually, spawn_app, spawn_app_with, Role, TestApp, TestBackend, User,
    PASSWORD,
};
use crate::payruns::{ok, s};

const CHOSEN: &str = "Juniper-Harbour-Kettle-52";

/// Someone signed in through the sign-in page.
async fn signed_in(app: &TestApp, email: &str) -> Visitor {
    let v = Visitor::new();
    let page = v.open(&app.url("/sign-in")).await;
    let home = v
        .submit(
            &page,
            "/sign-in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert!(home.signed_in(), "{}", home.html);
    v
}

/// The id in an address after `prefix` (`/accounts/{id}?saved=1`).
fn id_after(url: &str, prefix: &str) -> String {
    let at = url
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {url}"))
        + prefix.len();
    url[at..].split(['?', '/', '#']).next().unwrap().to_string()
}

/// A form to `action` carrying the CSRF token of `page` (from its sign-out form): what a person
/// could send from an old tab, or by changing a page's HTML.
fn forged(page: &Seen, action: &str) -> Seen {
    let form = page.form("/sign-out");
    let key = "name=\"csrf\" value=\"";
    let at = form.find(key).expect("a CSRF field") + key.len();
    let token = &form[at..at + form[at..].find('"').unwrap()];
    Seen {
        url: page.url.clone(),
        status: 200,
        html: format!(
            "<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\"></form>"
        ),
    }
}

async fn account(app: &TestApp, admin: &User, id: &str) -> Value {
    ok(
        app.get_as(&format!("/api/v1/accounts/{id}"), &admin.token)
            .await,
        200,
    )
    .await
}

/// A page sent back with its form's errors: 422, the summary, the words, the field marked.
fn refused(seen: &Seen, words: &str) {
    assert_eq!(seen.status, 422, "{words}: {}", seen.html);
    assert!(seen.html.contains("There is a problem"), "{}", seen.html);
    assert!(seen.html.contains(words), "{words}: {}", seen.html);
    assert!(seen.html.contains("aria-invalid=\"true\""), "{}", seen.html);
}

/// The invitations delivered to `to`, oldest first.
fn invitations(app: &TestApp, to: &str) -> Vec<crate::helpers::Delivered> {
    app.delivered()
        .into_iter()
        .filter(|m| m.to.contains(to) && m.subject.contains("invited"))
        .collect()
}

/// An admin invites a coordinator for a group; the invitation is emailed; the admin sends a new
/// one, and only the newer link works; the coordinator opens it, chooses a password and arrives
/// signed in at their group. Bad answers are shown on the form and make no account.
async fn an_admin_invites_a_coordinator(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let group = app.insert_group("North group").await;
    let v = signed_in(&app, &admin.email).await;
    let list = v.open(&app.url("/accounts")).await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains(&admin.email), "{}", list.html);
    assert!(list.html.contains("href=\"/accounts/new\""));
    let form = v.open(&app.url("/accounts/new")).await;
    assert!(form.html.contains("North group"), "{}", form.html);

    for (fields, words) in [
        (
            vec![("email", "not an address"), ("role", "coordinator")],
            "The email address must be an email address such as name@example.org",
        ),
        (
            vec![("email", "cora@example.org")],
            "Choose the role of the account",
        ),
        (
            vec![("email", "cora@example.org"), ("role", "member")],
            "The member record is needed for a member account",
        ),
        (
            vec![
                ("email", "cora@example.org"),
                ("role", "finance"),
                ("group_ids", group.as_str()),
            ],
            "The groups are only for a coordinator account",
        ),
    ] {
        let seen = v.submit(&form, "/accounts", &fields).await;
        refused(&seen, words);
        let typed = format!("value=\"{}\"", fields[0].1);
        assert!(
            seen.html.contains(&typed),
            "what was typed stays: {}",
            seen.html
        );
    }
    let taken = v
        .submit(
            &form,
            "/accounts",
            &[("email", &admin.email), ("role", "finance")],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.html);
    assert!(taken.html.contains("already exists"), "{}", taken.html);
    let all: Value = ok(app.get_as("/api/v1/accounts", &admin.token).await, 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "no account made");

    let made = v
        .submit(
            &form,
            "/accounts",
            &[
                ("email", "Cora@Example.org"),
                ("role", "coordinator"),
                ("group_ids", group.as_str()),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(made.url.contains("?saved=invited"), "{}", made.url);
    assert!(
        made.html
            .contains("An invitation is on its way to cora@example.org."),
        "{}",
        made.html
    );
    assert!(made.html.contains("Invitation waiting"));
    let id = id_after(&made.url, "/accounts/");
    let api = account(&app, &admin, &id).await;
    assert_eq!(api["role"], "coordinator");
    assert_eq!(api["group_ids"], json!([group]));
    assert_eq!(api["has_password"], false);
    let first = app
        .delivered_mail("cora@example.org", "invited")
        .await
        .link("Choose your password");

    // A new invitation: the link sent before stops working.
    let again = v
        .submit(&made, &format!("/accounts/{id}/invitation"), &[])
        .await;
    assert!(again.url.ends_with("?saved=resent"), "{}", again.url);
    assert!(again.html.contains("The link sent before no longer works."));
    let newer = eventually("a second invitation", Duration::from_secs(20), || async {
        let all = invitations(&app, "cora@example.org");
        (all.len() == 2).then(|| all[1].link("Choose your password"))
    })
    .await;
    assert_ne!(first, newer);
    let cora = Visitor::new();
    assert_eq!(cora.open(&first).await.status, 410);
    let page = cora.open(&newer).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let home = cora
        .submit(&page, "/accept-invitation", &[("password", CHOSEN)])
        .await;
    assert!(home.signed_in(), "{}", home.html);
    assert!(home.url.ends_with("/groups"), "{}", home.url);
    assert!(home.html.contains("North group"), "{}", home.html);

    let list = v.open(&app.url("/accounts?role=coordinator")).await;
    assert!(list.html.contains("cora@example.org"), "{}", list.html);
    assert!(list.html.contains("North group"));
    assert!(!list.html.contains(&admin.email), "only coordinators");
    let page = v.open(&app.url(&format!("/accounts/{id}"))).await;
    assert!(page.html.contains("Active"), "{}", page.html);
    assert!(
        !page.html.contains("Send a new invitation"),
        "{}",
        page.html
    );
    assert!(app
        .audit_of(&id)
        .await
        .iter()
        .any(|a| a.action == "account.invitation_sent"));
}

/// Roles and groups change from the account's page; answers that break a rule are shown there
/// and change nothing; an unknown account is the page not found.
async fn an_admin_changes_a_role_and_groups(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coordinator = app.user(Role::Coordinator).await;
    let east = app.insert_group("East group").await;
    let v = signed_in(&app, &admin.email).await;
    let path = format!("/accounts/{}", coordinator.id);
    let page = v.open(&app.url(&path)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Regional advisory group"),
        "{}",
        page.html
    );

    let saved = v
        .submit(
            &page,
            &path,
            &[
                ("role", "coordinator"),
                ("group_ids", east.as_str()),
                ("access_reason", "Moved to the east"),
            ],
        )
        .await;
    assert!(saved.url.ends_with("?saved=1"), "{}", saved.url);
    assert!(saved.html.contains("The changes are saved."));
    assert_eq!(
        account(&app, &admin, &coordinator.id).await["group_ids"],
        json!([east])
    );
    let audit = app.audit_of(&coordinator.id).await;
    let last = audit.last().unwrap();
    assert_eq!(last.action, "account.updated");
    assert_eq!(last.reason.as_deref(), Some("Moved to the east"));

    let before = account(&app, &admin, &coordinator.id).await;
    for (fields, words) in [
        (
            vec![("role", "finance"), ("group_ids", east.as_str())],
            "The groups are only for a coordinator account",
        ),
        (
            vec![("role", "member")],
            "A member record is needed for a member account",
        ),
        (vec![("role", "chief")], "Choose the role of the account"),
        (
            vec![("role", "coordinator"), ("group_ids", "no-such-group")],
            "A group you ticked does not name any group",
        ),
    ] {
        refused(&v.submit(&page, &path, &fields).await, words);
    }
    assert_eq!(account(&app, &admin, &coordinator.id).await, before);

    let finance = v.submit(&page, &path, &[("role", "finance")]).await;
    assert!(finance.url.ends_with("?saved=1"), "{}", finance.url);
    let api = account(&app, &admin, &coordinator.id).await;
    assert_eq!(api["role"], "finance");
    assert_eq!(api["group_ids"], json!([]));

    let missing = v
        .open(&app.url(&format!("/accounts/{}", coprod::db::new_id())))
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("Page not found"));
    let unknown = format!("/accounts/{}", coprod::db::new_id());
    let gone = v
        .submit(&forged(&page, &unknown), &unknown, &[("role", "finance")])
        .await;
    assert_eq!(gone.status, 404);
}

/// Disabling says first that it signs the person out everywhere; then their open session stops
/// working at once, and they cannot sign in until the account is enabled again. The last admin
/// cannot disable themself.
async fn disabling_an_account_ends_its_sessions(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coordinator = app.user(Role::Coordinator).await;
    let theirs = signed_in(&app, &coordinator.email).await;
    assert!(theirs.open(&app.url("/groups")).await.signed_in());

    let v = signed_in(&app, &admin.email).await;
    let path = format!("/accounts/{}", coordinator.id);
    let page = v.open(&app.url(&path)).await;
    assert!(
        page.html
            .contains("Disabling signs them out everywhere at once"),
        "{}",
        page.html
    );
    let done = v
        .submit(
            &page,
            &format!("{path}/disabled"),
            &[("disabled_reason", "Left the organisation")],
        )
        .await;
    assert!(done.url.ends_with("?saved=disabled"), "{}", done.url);
    assert!(done.html.contains("signed out on every device"));
    assert!(done.html.contains("Enable the account"));

    let after = theirs.open(&app.url("/groups")).await;
    assert!(after.url.ends_with("/sign-in"), "{}", after.url);
    assert!(!after.signed_in());
    assert_problem(app.get_as("/api/v1/me", &coordinator.token).await, 401).await;
    assert_eq!(app.login(&coordinator.email, PASSWORD).await.status(), 401);
    let audit = app.audit_of(&coordinator.id).await;
    assert_eq!(audit.last().unwrap().action, "account.disabled");
    assert_eq!(
        audit.last().unwrap().reason.as_deref(),
        Some("Left the organisation")
    );

    let enabled = v.submit(&done, &format!("{path}/disabled"), &[]).await;
    assert!(enabled.url.ends_with("?saved=enabled"), "{}", enabled.url);
    assert_eq!(app.login(&coordinator.email, PASSWORD).await.status(), 200);

    // The only admin cannot disable themself.
    let mine = format!("/accounts/{}", admin.id);
    let own = v.open(&app.url(&mine)).await;
    let last = v.submit(&own, &format!("{mine}/disabled"), &[]).await;
    assert_eq!(last.status, 409, "{}", last.html);
    assert!(
        last.html.contains("This is the last active admin"),
        "{}",
        last.html
    );
    assert!(v.open(&app.url("/accounts")).await.signed_in());
}

/// Groups are made and changed, and given coordinators, from their pages; reference data is
/// listed and added to. Bad answers are shown next to their field.
async fn groups_coordinators_and_reference_data(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coordinator = app.user(Role::Coordinator).await;
    let finance = app.user(Role::Finance).await;
    let v = signed_in(&app, &admin.email).await;
    let list = v.open(&app.url("/admin/groups")).await;
    assert!(
        list.html.contains("Regional advisory group"),
        "{}",
        list.html
    );
    assert!(list.html.contains(&coordinator.email), "{}", list.html);
    refused(
        &v.submit(&list, "/admin/groups", &[("name", " ")]).await,
        "The name must not be empty",
    );
    let made = v
        .submit(
            &list,
            "/admin/groups",
            &[("name", "East group"), ("description", "Leeds and York")],
        )
        .await;
    assert!(made.url.ends_with("?saved=created"), "{}", made.url);
    let id = id_after(&made.url, "/admin/groups/");
    let path = format!("/admin/groups/{id}");
    assert!(made.html.contains(&format!("href=\"/groups/{id}\"")));

    refused(
        &v.submit(&made, &path, &[("name", "")]).await,
        "The name must not be empty",
    );
    let saved = v
        .submit(
            &made,
            &path,
            &[("name", "East group (Leeds)"), ("description", "")],
        )
        .await;
    assert!(saved.url.ends_with("?saved=1"), "{}", saved.url);
    let group = ok(
        app.get_as(&format!("/api/v1/groups/{id}"), &admin.token)
            .await,
        200,
    )
    .await;
    assert_eq!(group["name"], "East group (Leeds)");
    assert!(group["description"].is_null());

    let coordinators = format!("{path}/coordinators");
    refused(
        &v.submit(
            &saved,
            &coordinators,
            &[("account_ids", finance.id.as_str())],
        )
        .await,
        "An account you ticked is not the account of a coordinator",
    );
    let chosen = v
        .submit(
            &saved,
            &coordinators,
            &[("account_ids", coordinator.id.as_str())],
        )
        .await;
    assert!(
        chosen.url.ends_with("?saved=coordinators"),
        "{}",
        chosen.url
    );
    let mut groups = coordinator.group_ids.clone();
    groups.push(id.clone());
    groups.sort();
    assert_eq!(
        account(&app, &admin, &coordinator.id).await["group_ids"],
        json!(groups)
    );
    // The coordinator now sees the group; then, unticked, no longer.
    let theirs = signed_in(&app, &coordinator.email).await;
    assert_eq!(
        theirs.open(&app.url(&format!("/groups/{id}"))).await.status,
        200
    );
    let none = v.submit(&chosen, &coordinators, &[]).await;
    assert!(none.url.ends_with("?saved=coordinators"), "{}", none.url);
    assert_eq!(
        account(&app, &admin, &coordinator.id).await["group_ids"],
        json!(coordinator.group_ids)
    );
    let missing = v
        .open(&app.url(&format!("/admin/groups/{}", coprod::db::new_id())))
        .await;
    assert_eq!(missing.status, 404);

    // Reference data.
    let reference = v.open(&app.url("/reference-data")).await;
    assert!(reference.html.contains("Co-chair") && reference.html.contains("Workshop"));
    let added = v
        .submit(
            &reference,
            "/reference-data/roles",
            &[
                ("role_code", "peer_researcher"),
                ("role_label", "Peer researcher"),
            ],
        )
        .await;
    assert!(added.url.ends_with("?saved=role"), "{}", added.url);
    assert!(added.html.contains("Peer researcher"));
    let roles = ok(app.get_as("/api/v1/roles", &admin.token).await, 200).await;
    assert!(roles.to_string().contains("peer_researcher"), "{roles}");
    refused(
        &v.submit(
            &reference,
            "/reference-data/activity-kinds",
            &[("kind_code", "Site Visit"), ("kind_label", "Site visit")],
        )
        .await,
        "The code must be 1 to 50 lower-case letters",
    );
    refused(
        &v.submit(
            &reference,
            "/reference-data/activity-kinds",
            &[("kind_code", "site_visit"), ("kind_label", " ")],
        )
        .await,
        "The label must not be empty",
    );
    let twice = v
        .submit(
            &reference,
            "/reference-data/roles",
            &[("role_code", "peer_researcher"), ("role_label", "Again")],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.html);
    assert!(twice
        .html
        .contains("The code peer_researcher is already in use."));
    let kind = v
        .submit(
            &reference,
            "/reference-data/activity-kinds",
            &[("kind_code", "site_visit"), ("kind_label", "Site visit")],
        )
        .await;
    assert!(kind.url.ends_with("?saved=kind"), "{}", kind.url);
}

/// Next April's ESA figure is added from the limits page; a date not after the current figure is
/// refused there and through the API, and nothing changes.
async fn next_aprils_limit_is_added(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let v = signed_in(&app, &admin.email).await;
    let page = v.open(&app.url("/limits")).await;
    assert!(page.html.contains("ESA permitted work"), "{}", page.html);
    assert!(page.html.contains("£195.50 a week"), "{}", page.html);
    let esa = |amount: &'static str, from: &'static str| {
        [
            ("code", "esa_permitted_work"),
            ("amount", amount),
            ("effective_from", from),
        ]
    };
    let count = || async {
        let all = ok(
            app.get_as(
                "/api/v1/benefit-limits?code=esa_permitted_work",
                &admin.token,
            )
            .await,
            200,
        )
        .await;
        all["items"].as_array().unwrap().len()
    };
    for (fields, words) in [
        (
            esa("203.00", "2025-01-06"),
            "The date it starts must be after 2025-04-07, the start of the latest figure for esa_permitted_work",
        ),
        (esa("lots", "2026-04-06"), "Enter the amount in pounds and pence"),
        (esa("0", "2026-04-06"), "The amount must be more than 0.00"),
        (
            esa("203.00", "next April"),
            "Enter the date it starts as year-month-day",
        ),
    ] {
        refused(&v.submit(&page, "/limits", &fields).await, words);
    }
    refused(
        &v.submit(
            &page,
            "/limits",
            &[
                ("code", "no_such_limit"),
                ("amount", "1.00"),
                ("effective_from", "2026-04-06"),
            ],
        )
        .await,
        "Choose one of the limits",
    );
    assert_eq!(count().await, 2);
    let added = v
        .submit(&page, "/limits", &esa("£203.00", "2026-04-06"))
        .await;
    assert!(added.url.ends_with("/limits?saved=1"), "{}", added.url);
    assert!(added.html.contains("£203.00 a week"), "{}", added.html);
    assert_eq!(count().await, 3);
    let same = v
        .submit(&page, "/limits", &esa("204.00", "2026-04-06"))
        .await;
    assert_eq!(same.status, 409, "{}", same.html);
    refused(
        &v.submit(&page, "/limits", &esa("204.00", "2026-01-05"))
            .await,
        "must be after 2026-04-06",
    );
    assert_eq!(count().await, 3);

    // The same rule through the API.
    let body = assert_problem(
        app.post_as(
            "/api/v1/benefit-limits",
            Some(&admin.token),
            json!({"code": "carers_allowance", "period": "week", "amount": "200.00",
                   "effective_from": "2025-04-06"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "effective_from", "{body}");
    assert!(
        s(&body["errors"][0]["message"]).contains("must be after 2025-04-07"),
        "{body}"
    );
    ok(
        app.post_as(
            "/api/v1/benefit-limits",
            Some(&admin.token),
            json!({"code": "carers_allowance", "period": "week", "amount": "200.00",
                   "effective_from": "2026-04-06"}),
        )
        .await,
        201,
    )
    .await;
}

/// A message the transport cannot send fails; the mail queue shows it with its attempts and last
/// error but not its text, and an admin tries it again. A message that was sent meanwhile is
/// refused plainly, and one that no longer exists is the page not found.
async fn a_failed_mail_is_tried_again(backend: TestBackend) {
    let app = spawn_app_with(backend, |s| s.mail.max_attempts = 1).await;
    let admin = app.user(Role::Admin).await;
    app.with_db(|c| {
        coprod::db::write_tx(c, |c| {
            let email = coprod::mail::Template::new("Undeliverable")
                .paragraph("Quixotic words of the body")
                .render("not an address");
            coprod::mail::queue(c, "test-failure:1", &email)
        })
        .unwrap()
    })
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
    let id = s(&failed["id"]);
    let v = signed_in(&app, &admin.email).await;
    let queue = v.open(&app.url("/mail?status=failed")).await;
    assert_eq!(queue.status, 200);
    for words in [
        "Undeliverable",
        "not an address",
        "Test failure",
        "recipient",
    ] {
        assert!(queue.html.contains(words), "{words}: {}", queue.html);
    }
    assert!(!queue.html.contains("Quixotic"), "never the body");
    let retry = format!("/mail/{id}/retry");
    let done = v.submit(&queue, &retry, &[]).await;
    assert!(done.url.ends_with("/mail?saved=retried"), "{}", done.url);
    assert!(done.html.contains("The message is due again"));
    assert!(app
        .audit_of(&id)
        .await
        .iter()
        .any(|a| a.action == "outbox.retried"));
    // Tried again, and failed again.
    let queue = eventually("failed again", Duration::from_secs(20), || async {
        let seen = v.open(&app.url("/mail?status=failed")).await;
        seen.html.contains(&retry).then_some(seen)
    })
    .await;
    // Sent meanwhile (from another tab, say): refused, and said so.
    app.with_db({
        let id = id.clone();
        move |c| {
            use coprod::db::schema::outbox::dsl as o;
            use diesel::prelude::*;
            diesel::update(o::outbox.find(&id))
                .set(o::status.eq("sent"))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let late = v.submit(&queue, &retry, &[]).await;
    assert_eq!(late.status, 409, "{}", late.html);
    assert!(late.html.contains("This message was sent"), "{}", late.html);
    let unknown = format!("/mail/{}/retry", coprod::db::new_id());
    let missing = v.submit(&forged(&queue, &unknown), &unknown, &[]).await;
    assert_eq!(missing.status, 404);
}

/// The audit trail with these filters, as the filter form sends them.
async fn audit_page(v: &Visitor, app: &TestApp, query: &[(&str, &str)]) -> Seen {
    let q = serde_urlencoded::to_string(query).unwrap();
    v.open(&app.url(&format!("/audit?{q}"))).await
}

/// The audit trail shows who did what, filtered by the person, the record and the days, a page
/// at a time; filters that are not right are shown next to their field.
async fn the_audit_trail_filters(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let other = app.user(Role::Admin).await;
    let group = ok(
        app.post_as(
            "/api/v1/groups",
            Some(&admin.token),
            json!({"name": "West group"}),
        )
        .await,
        201,
    )
    .await;
    let group_id = s(&group["id"]);
    for n in 0..55 {
        ok(
            app.post_as(
                "/api/v1/roles",
                Some(&other.token),
                json!({"code": format!("helper_{n}"), "label": format!("Helper {n}")}),
            )
            .await,
            201,
        )
        .await;
    }
    let v = signed_in(&app, &admin.email).await;
    let all = audit_page(&v, &app, &[]).await;
    assert_eq!(all.status, 200);
    assert!(
        all.html.contains("Role in a group: created"),
        "{}",
        all.html
    );
    assert!(all.html.contains(&other.email));
    assert!(all.html.contains("Next page"), "55 events and more");
    assert!(
        !all.html.contains("Group: created"),
        "older, on a later page"
    );
    let next = all.html.split("href=\"").find_map(|rest| {
        let href = &rest[..rest.find('"')?];
        (href.contains("cursor=")).then(|| href.replace("&amp;", "&"))
    });
    let second = v
        .open(&app.url(&next.expect("a link to the next page")))
        .await;
    assert!(second.html.contains("Group: created"), "{}", second.html);
    assert!(second.html.contains("First page"));

    let mine = audit_page(&v, &app, &[("person", &admin.email)]).await;
    assert!(mine.html.contains("Group: created"), "{}", mine.html);
    assert!(!mine.html.contains("Role in a group: created"));
    let record = audit_page(
        &v,
        &app,
        &[("entity_type", "group"), ("entity_id", &group_id)],
    )
    .await;
    assert!(record.html.contains("Group: created"));
    assert!(record
        .html
        .contains(&format!("href=\"/admin/groups/{group_id}\"")));
    assert!(
        !record.html.contains("Role in a group: created"),
        "{}",
        record.html
    );
    let later = audit_page(&v, &app, &[("from", "2999-01-01")]).await;
    assert!(later.html.contains("No changes match these filters."));
    // The trail's days are UTC days, as the API's `from` and `to` are.
    let today = chrono::Utc::now().date_naive().to_string();
    let to_day = audit_page(
        &v,
        &app,
        &[("from", &today), ("to", &today), ("person", &admin.email)],
    )
    .await;
    assert!(to_day.html.contains("Group: created"), "{}", to_day.html);

    for (query, words) in [
        (
            vec![("from", "2026-05-02"), ("to", "2026-05-01")],
            "The first day must not be after the last day (to)",
        ),
        (vec![("to", "yesterday")], "Enter the day as year-month-day"),
        (
            vec![("person", "nobody@example.org")],
            "No account has this email address",
        ),
        (
            vec![("person", "nobody")],
            "The person's email address must be an email address",
        ),
    ] {
        refused(&audit_page(&v, &app, &query).await, words);
    }
}

/// Admins' pages are admins' alone: every other role gets the page that says so, for reading and
/// for forms.
async fn other_roles_get_a_403_page(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let group = app.insert_group("South group").await;
    for role in [Role::Coordinator, Role::Finance, Role::Member] {
        let user = app.user(role).await;
        let v = signed_in(&app, &user.email).await;
        for page in [
            "/accounts".to_string(),
            "/accounts/new".to_string(),
            format!("/accounts/{}", admin.id),
            "/admin/groups".to_string(),
            format!("/admin/groups/{group}"),
            "/reference-data".to_string(),
            "/limits".to_string(),
            "/mail".to_string(),
            "/audit".to_string(),
        ] {
            let seen = v.open(&app.url(&page)).await;
            assert_eq!(seen.status, 403, "{role:?} {page}");
            assert!(seen.html.contains("Not available to you"), "{}", seen.html);
        }
        let page = v.open(&app.url("/account")).await;
        for (action, fields) in [
            (
                "/accounts",
                vec![("email", "x@example.org"), ("role", "admin")],
            ),
            ("/admin/groups", vec![("name", "Mine now")]),
            (
                "/reference-data/roles",
                vec![("role_code", "boss"), ("role_label", "Boss")],
            ),
        ] {
            let seen = v.submit(&forged(&page, action), action, &fields).await;
            assert_eq!(seen.status, 403, "{role:?} {action}");
        }
        let disable = format!("/accounts/{}/disabled", admin.id);
        let seen = v
            .submit(&forged(&page, &disable), &disable, &[("disabled", "true")])
            .await;
        assert_eq!(seen.status, 403);
    }
    assert_eq!(app.login(&admin.email, PASSWORD).await.status(), 200);
    let all = ok(app.get_as("/api/v1/accounts", &admin.token).await, 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4, "no account made");
}

both_backends!(
    an_admin_invites_a_coordinator,
    an_admin_changes_a_role_and_groups,
    disabling_an_account_ends_its_sessions,
    groups_coordinators_and_reference_data,
    next_aprils_limit_is_added,
    a_failed_mail_is_tried_again,
    the_audit_trail_filters,
    other_roles_get_a_403_page,
);
