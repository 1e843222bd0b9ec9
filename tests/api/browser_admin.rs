//! An admin's pages in a real browser (the shared Chromium of `browser.rs`): inviting a
//! coordinator and adding next April's ESA figure through the forms, bad answers shown on the
//! page, and every admin page checked with axe-core at desktop width and at 320 CSS pixels; then
//! the invited coordinator's first day, from the emailed link to a cancelled draft run.

use serde_json::{json, Value};

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::{Role, TestBackend};
use crate::payruns::{ok, s};

async fn an_admin_works_in_the_browser(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    app.user(Role::Coordinator).await;
    let group = app.insert_group("North group").await;
    let url = app.url("");
    b.sign_in(&url, &admin.email).await;

    b.click("a[href='/accounts']").await;
    b.assert_accessible("accounts").await;
    b.click("a[href='/accounts/new']").await;
    b.assert_accessible("the invitation form").await;
    // No role chosen: the error is summarised and next to the question.
    b.fill("#email", "cora@example.org").await;
    b.click("main form[action='/accounts'] button[type=submit]")
        .await;
    let shown = b.text(".error-summary").await;
    assert!(shown.contains("Choose the role of the account"), "{shown}");
    b.assert_accessible("the invitation form with an error")
        .await;
    b.press("#role-coordinator").await;
    b.press("#group_ids-0").await;
    b.click("main form[action='/accounts'] button[type=submit]")
        .await;
    let main = b.text("main").await;
    assert!(
        main.contains("An invitation is on its way to cora@example.org."),
        "{main}"
    );
    b.assert_accessible("an account's page").await;
    let cora = b.url().await;
    let id = cora
        .rsplit("/accounts/")
        .next()
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string();
    let account: Value = ok(
        app.get_as(&format!("/api/v1/accounts/{id}"), &admin.token)
            .await,
        200,
    )
    .await;
    assert_eq!(account["group_ids"], json!([group]));
    app.delivered_mail("cora@example.org", "invited").await;
    b.click("a[href='/accounts']").await;
    b.screenshot("admin-accounts", 1000).await;

    b.click("a[href='/admin/groups']").await;
    b.assert_accessible("groups").await;
    b.click(&format!("a[href='/admin/groups/{group}']")).await;
    b.assert_accessible("a group's page").await;
    b.fill("#name", "").await;
    b.click(&format!("main form[action='/admin/groups/{group}'] button"))
        .await;
    assert!(b
        .text(".error-summary")
        .await
        .contains("The name must not be empty"));
    b.assert_accessible("a group's page with an error").await;

    b.click("a[href='/reference-data']").await;
    b.assert_accessible("roles and kinds of session").await;

    // Next April's ESA figure: a date not after the current figure first.
    b.click("a[href='/limits']").await;
    b.assert_accessible("benefit limits").await;
    b.press("select[name='code'] option[value='esa_permitted_work']")
        .await;
    b.fill("#amount", "203.00").await;
    b.script("document.getElementById('effective_from').value = '2025-01-06'; return true;")
        .await;
    b.click("main form[action='/limits'] button[type=submit]")
        .await;
    let shown = b.text(".error-summary").await;
    assert!(shown.contains("must be after 2025-04-07"), "{shown}");
    b.assert_accessible("benefit limits with an error").await;
    b.script("document.getElementById('effective_from').value = '2026-04-06'; return true;")
        .await;
    b.click("main form[action='/limits'] button[type=submit]")
        .await;
    let main = b.text("main").await;
    assert!(main.contains("The new figure is saved."), "{main}");
    assert!(main.contains("£203.00 a week"), "{main}");
    let limits: Value = ok(
        app.get_as(
            "/api/v1/benefit-limits?code=esa_permitted_work",
            &admin.token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(limits["items"][2]["effective_from"], "2026-04-06");

    b.click("a[href='/mail']").await;
    b.assert_accessible("the mail queue").await;
    b.click("a[href='/audit']").await;
    b.assert_accessible("the audit trail").await;
    b.fill("#from", "").await;
    b.script("document.getElementById('to').value = '2020-01-01'; document.getElementById('from').value = '2020-02-01'; return true;")
        .await;
    b.click("main form[action='/audit'] button[type=submit]")
        .await;
    assert!(b.text(".error-summary").await.contains("must not be after"));
    b.assert_accessible("the audit trail with an error").await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// Issue 17's journey from start to end: an admin invites a coordinator, who opens the emailed
/// link as written, chooses a password, adds a member, makes them co-chair from April and member
/// from September, records their payment choices with them (the member is emailed), claims
/// a parking ticket for them with its photo, drafts a run for the group and cancels it; the admin then disables the
/// coordinator's account and the coordinator's other session stops working at once. Bad answers
/// are shown next to their fields and change nothing.
async fn an_invited_coordinator_does_their_job(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let app = crate::helpers::spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let group = app.insert_group("River group").await;
    let url = app.url("");
    b.sign_in(&url, &admin.email).await;
    b.click("a[href='/accounts']").await;
    b.click("a[href='/accounts/new']").await;
    b.fill("#email", "nia.coordinator@example.org").await;
    b.press("#role-coordinator").await;
    b.press("#group_ids-0").await;
    b.click("main form[action='/accounts'] button[type=submit]")
        .await;
    let account = b.url().await;
    let account = account
        .rsplit("/accounts/")
        .next()
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string();
    b.sign_out().await;

    // The coordinator opens the link in their email as written and chooses a password.
    let link = app
        .delivered_mail("nia.coordinator@example.org", "invited")
        .await
        .link("Choose your password");
    b.goto(&link).await;
    b.fill("#password", "Otter-Meadow-Kettle-42").await;
    b.click("main button[type=submit]").await;
    assert!(b.url().await.ends_with("/groups"), "{}", b.url().await);
    // A second device, signed in too: it stops working when the account is disabled.
    let phone = crate::doors::Visitor::new();
    let sign_in = phone.open(&app.url("/sign-in")).await;
    let home = phone
        .submit(
            &sign_in,
            "/sign-in",
            &[
                ("email", "nia.coordinator@example.org"),
                ("password", "Otter-Meadow-Kettle-42"),
            ],
        )
        .await;
    assert!(home.signed_in(), "{}", home.html);

    // A member, co-chair from April; a bad email first.
    b.click("a[href='/members']").await;
    b.assert_accessible("people").await;
    b.click("a[href='/members/new']").await;
    b.assert_accessible("adding a member").await;
    b.fill("#full_name", "Grace Hopper").await;
    b.fill("#email", "not an address").await;
    b.press("select#role option[value='co_chair']").await;
    b.set_date("starts_on", "2025-04-01").await;
    b.click("main form[action='/members/new'] button[type=submit]")
        .await;
    assert!(b.text("#email-error").await.contains("email address"));
    b.assert_accessible("adding a member, with an error").await;
    let none: Value = ok(
        app.get_as("/api/v1/members?q=Hopper", &admin.token).await,
        200,
    )
    .await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0), "{none}");
    b.fill("#email", "grace@example.org").await;
    b.click("main form[action='/members/new'] button[type=submit]")
        .await;
    assert!(b.text("main").await.contains("The member is added."));
    b.assert_accessible("a member's page, for their coordinator")
        .await;
    let member = b.url().await;
    let member = member
        .rsplit("/members/")
        .next()
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string();
    let memberships = || async {
        ok(
            app.get_as(
                &format!("/api/v1/groups/{group}/memberships?member_id={member}"),
                &admin.token,
            )
            .await,
            200,
        )
        .await["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let first = s(&memberships().await[0]["id"]);
    assert_eq!(memberships().await[0]["role"], "co_chair");

    // Member from September: a date before the co-chair role began is refused first.
    let change = format!("main form[action='/memberships/{first}/change-role']");
    b.press(&format!("#role-{first} option[value='member']"))
        .await;
    b.set_date(&format!("from-{first}"), "2025-03-01").await;
    b.click(&format!("{change} button[type=submit]")).await;
    assert!(b
        .text(".error-summary")
        .await
        .contains("when the current role started"));
    assert_eq!(memberships().await.len(), 1);
    b.press(&format!("#role-{first} option[value='member']"))
        .await;
    b.set_date(&format!("from-{first}"), "2025-09-01").await;
    b.click(&format!("{change} button[type=submit]")).await;
    assert!(b.text("main").await.contains("Their roles are saved."));
    let now = memberships().await;
    assert_eq!(
        (now[0]["ends_on"].as_str(), now[1]["role"].as_str()),
        (Some("2025-08-31"), Some("member")),
        "{now:?}"
    );

    // Their choices, recorded with them: the member is told by email.
    let base = format!("/members/{member}/choices");
    b.click(&format!("a[href='{base}']")).await;
    b.assert_accessible("a member's choices, for their coordinator")
        .await;
    b.click(&format!("a[href='{base}/change']")).await;
    b.assert_accessible("the choices form, on a member's behalf")
        .await;
    b.press("#cap-limit").await;
    b.press("select[name='cap.limit_code'] option[value='esa_permitted_work']")
        .await;
    b.press("#over_cap").await;
    b.click(&format!(
        "main form[action='{base}/change'] button[type=submit]"
    ))
    .await;
    assert!(b.text("h1").await.contains("Check the new choices"));
    b.assert_accessible("checking choices made on a member's behalf")
        .await;
    b.click(&format!("main form[action='{base}'] button[type=submit]"))
        .await;
    assert!(b.text("main").await.contains("The new choices are saved."));
    app.delivered_mail("grace@example.org", "Your payment choices were updated")
        .await;

    // Their details, and what archiving would mean.
    b.goto(&app.url(&format!("/members/{member}/edit"))).await;
    b.assert_accessible("a member's details to change").await;
    b.goto(&app.url(&format!("/members/{member}/archive")))
        .await;
    b.assert_accessible("archiving a member").await;

    // A session they came to (set up through the API), changed from its page, and a parking
    // claim with a photo of the ticket recorded for them from their page.
    let meeting = s(&ok(
        app.post_as(
            "/api/v1/meetings",
            Some(&admin.token),
            json!({"group_id": group, "title": "September meeting", "activity_kind": "meeting",
                   "date": "2025-09-10", "duration_minutes": 120, "prep_minutes_allowed": 30}),
        )
        .await,
        201,
    )
    .await["id"]);
    ok(
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/meetings/{meeting}/attendance"),
            Some(&admin.token),
            Some(json!({"records": [{"member_id": member, "status": "attended"}]})),
        )
        .await,
        200,
    )
    .await;
    b.goto(&app.url(&format!("/meetings/{meeting}/edit"))).await;
    b.assert_accessible("changing a meeting").await;
    b.goto(&app.url(&format!("/members/{member}"))).await;
    b.click(&format!("a[href='/members/{member}/claims']"))
        .await;
    b.assert_accessible("a member's expenses, for their coordinator")
        .await;
    b.click(&format!("a[href^='/members/{member}/claims/new']"))
        .await;
    b.assert_accessible("a claim form, on a member's behalf")
        .await;
    b.press("#kind-parking").await;
    b.fill("#amount", "4.50").await;
    b.click(&format!(
        "main form[action='/members/{member}/claims/new'] button[type=submit]"
    ))
    .await;
    assert!(b
        .text("#declaration-error")
        .await
        .contains("told you this is what it cost"));
    b.press("#declaration").await;
    b.click(&format!(
        "main form[action='/members/{member}/claims/new'] button[type=submit]"
    ))
    .await;
    assert!(b.text("main").await.contains("The claim is recorded."));
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("parking.jpg");
    std::fs::write(&photo, b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 a parking ticket").unwrap();
    b.choose_file("#file", &photo).await;
    b.click("main form[enctype='multipart/form-data'] button[type=submit]")
        .await;
    assert!(b.text("main").await.contains("The receipt is added."));
    b.assert_accessible("a claim recorded on a member's behalf")
        .await;
    let claims: Value = ok(
        app.get_as(&format!("/api/v1/members/{member}/expenses"), &admin.token)
            .await,
        200,
    )
    .await;
    assert_eq!(claims["items"][0]["amount"], "4.50", "{claims}");

    // A run for the group, drafted and cancelled.
    b.click("a[href='/runs']").await;
    b.assert_accessible("pay runs, for a coordinator").await;
    b.press(&format!("select#group_id option[value='{group}']"))
        .await;
    b.set_date("period_start", "2025-09-01").await;
    b.set_date("period_end", "2025-09-30").await;
    b.set_date("payment_date", "2025-10-03").await;
    b.click("main form[action='/runs'] button[type=submit]")
        .await;
    let run = b.url().await;
    let run = run.rsplit("/runs/").next().unwrap().to_string();
    b.assert_accessible("a draft run, for a coordinator").await;
    b.click(&format!("main form[action='/runs/{run}/cancel'] button"))
        .await;
    assert!(b.text("main").await.contains("ancelled"));
    let seen: Value = ok(
        app.get_as(&format!("/api/v1/pay-runs/{run}"), &admin.token)
            .await,
        200,
    )
    .await;
    assert_eq!(seen["status"], "cancelled");
    b.sign_out().await;

    // The admin disables the account; the coordinator's phone is signed out at once.
    assert!(phone.open(&app.url("/groups")).await.signed_in());
    b.sign_in(&url, &admin.email).await;
    b.goto(&app.url(&format!("/accounts/{account}"))).await;
    b.click(&format!(
        "main form[action='/accounts/{account}/disabled'] button[type=submit]"
    ))
    .await;
    assert!(b.text("main").await.contains("The account is disabled"));
    assert!(!phone.open(&app.url("/groups")).await.signed_in());
    b.assert_console_clean().await;
    b.quit().await;
}

both_backends!(
    an_admin_works_in_the_browser,
    an_invited_coordinator_does_their_job
);
