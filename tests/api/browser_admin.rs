//! An admin's pages in a real browser (the shared Chromium of `browser.rs`): inviting a
//! coordinator and adding next April's ESA figure through the forms, bad answers shown on the
//! page, and every admin page checked with axe-core at desktop width and at 320 CSS pixels.

use serde_json::{json, Value};

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::{Role, TestBackend};
use crate::payruns::ok;

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

both_backends!(an_admin_works_in_the_browser);
