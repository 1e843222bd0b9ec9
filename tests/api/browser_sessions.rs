//! Before a session in a real browser (the shared Chromium of `browser.rs`), on both backends: the
//! coordinator invites the group from the session's page; the member follows the link in the
//! delivered email as written (not signed in), finds their communication needs already ticked,
//! adds an access need and confirms; the coordinator sees the reply and the need; the member,
//! signed in, changes their reply and the register proposes their apologies. Every page is
//! checked with axe-core and by keyboard.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::TestBackend;
use crate::payruns::{ok, World};

async fn a_member_replies_from_the_emailed_link(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(backend).await;
    w.regional_card().await;
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&w.coordinator.token),
                Some(json!({"communication_needs": "Papers in large print, please"})),
            )
            .await,
        200,
    )
    .await;
    let date = (w.app.settings.today() + chrono::Duration::days(7)).to_string();
    let meeting = crate::payruns::s(
        &ok(
            w.app
                .post_as(
                    "/api/v1/meetings",
                    Some(&w.coordinator.token),
                    json!({"group_id": w.group, "title": "Spring forum", "activity_kind": "meeting",
                       "date": date, "starts_at": "14:00", "duration_minutes": 120,
                       "prep_minutes_allowed": 30, "location": "Library, Room 2"}),
                )
                .await,
            201,
        )
        .await["id"],
    );
    let url = w.app.url("");
    let page = format!("/meetings/{meeting}");

    // The coordinator invites the group from the session's page.
    b.sign_in(&url, &w.coordinator.email).await;
    b.goto(&w.app.url(&page)).await;
    b.assert_accessible("a session before it happens").await;
    b.fill("#message", "We will have lunch together at 13:30.")
        .await;
    b.click(&format!(
        "main form[action='{page}/invitations'] button[type=submit]"
    ))
    .await;
    let main = b.text("main").await;
    assert!(
        main.contains("The invitation is on its way to 1 person."),
        "{main}"
    );
    b.sign_out().await;

    // The member opens the link in the email as written.
    let mail = w
        .app
        .delivered_mail("sam@example.org", "Invitation: Spring forum")
        .await;
    assert!(mail.text.contains("We will have lunch together at 13:30."));
    b.goto(&mail.link("I will come")).await;
    assert!(b.text("h1").await.contains("Spring forum"));
    b.assert_accessible("the reply page of an emailed link")
        .await;
    b.screenshot("reply-page", 1000).await;
    let ticked = b
        .script("return [document.getElementById('reply').checked, document.getElementById('need-large_print_papers').checked];")
        .await;
    assert_eq!(
        ticked,
        json!([true, true]),
        "the link's answer, and their communication needs"
    );
    b.press("#need-step_free").await;
    b.click("main form[action$='/reply'] button[type=submit]")
        .await;
    let main = b.text("main").await;
    assert!(main.contains("Your reply is saved: I will come."), "{main}");
    assert!(main.contains("A step-free room"), "{main}");
    b.assert_accessible("a reply saved").await;

    // The coordinator sees it.
    b.sign_in(&url, &w.coordinator.email).await;
    b.goto(&w.app.url(&page)).await;
    let main = b.text("main").await;
    assert!(main.contains("1 coming"), "{main}");
    assert!(
        main.contains("Papers in large print; A step-free room"),
        "{main}"
    );
    assert!(main.contains("Replied: coming."), "the register: {main}");
    b.sign_out().await;

    // Signed in, the member changes their mind; the register proposes apologies.
    b.sign_in(&url, &w.member.email).await;
    assert!(b.text("main").await.contains("Sessions coming up"));
    b.click("nav a[href='/me/sessions']").await;
    b.assert_accessible("sessions coming up").await;
    b.click(&format!("a[href='/me/sessions/{meeting}']")).await;
    b.assert_accessible("a member's reply to a session").await;
    b.press("#reply-not_attending").await;
    b.click(&format!(
        "main form[action='/me/sessions/{meeting}'] button[type=submit]"
    ))
    .await;
    assert!(b.text("main").await.contains("Your reply is saved."));
    assert!(b.text("main").await.contains("I cannot come"));
    b.click("main form[action='/me/calendar-feed'] button")
        .await;
    b.assert_accessible("a member's calendar address").await;
    let feed = b
        .script("return document.getElementById('feed').value;")
        .await;
    let feed = feed.as_str().unwrap().to_string();
    assert!(feed.contains("/calendar/feed.ics?key="), "{feed}");
    let cal = reqwest::get(&feed).await.unwrap().text().await.unwrap();
    assert!(cal.contains("SUMMARY:Spring forum"), "{cal}");
    b.sign_out().await;

    // A link that is not one we sent says so, plainly.
    b.goto(&w.app.url(&format!(
        "{page}/reply?token=cpl_not-a-link&answer=attending"
    )))
    .await;
    assert!(b.text("h1").await.contains("This link does not work"));
    b.assert_accessible("a reply link that does not work").await;

    b.sign_in(&url, &w.coordinator.email).await;
    b.goto(&w.app.url(&page)).await;
    let proposed = b
        .script("return document.getElementById('s0').value;")
        .await;
    assert_eq!(proposed, json!("apologies"));
    // Cancelling needs a reason, shown next to the question.
    b.click(&format!(
        "main form[action='{page}/cancel'] button[type=submit]"
    ))
    .await;
    assert!(b
        .text(".error-summary")
        .await
        .contains("Say why the session is cancelled"));
    b.assert_accessible("cancelling without a reason").await;
    b.fill("#reason", "The library is closed for repairs").await;
    b.click(&format!(
        "main form[action='{page}/cancel'] button[type=submit]"
    ))
    .await;
    assert!(b.text("main").await.contains("This session is cancelled"));
    b.assert_accessible("a cancelled session").await;
    w.app
        .delivered_mail("sam@example.org", "Cancelled: Spring forum")
        .await;
    b.assert_console_clean().await;
    b.quit().await;
}

both_backends!(a_member_replies_from_the_emailed_link);
