//! Formats that fit the member: a member records large print and Easy Read (and a postal
//! address) themselves; payment emails come in Easy Read and in larger text; the statement comes
//! in large print (nothing under 16 point) and with Easy Read pages first; the database keeps out
//! a format it does not know.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Role, TestBackend};
use crate::letter::{font_sizes, pdf_text};
use crate::payruns::{ok, s, World};

async fn patch(w: &World, member_id: &str, token: &str, body: Value) -> reqwest::Response {
    w.app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{member_id}"),
            Some(token),
            Some(body),
        )
        .await
}

async fn members_set_their_own_formats_and_postal_address(backend: TestBackend) {
    let w = World::new(backend).await;
    let me = w.member.token.clone();
    let view = ok(
        patch(
            &w,
            &w.member_id,
            &me,
            json!({"preferred_formats": ["easy_read", "large_print", "easy_read"],
                   "postal_address": "  7 Quay Road \n\n Northshire NS2 7QR "}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        view["preferred_formats"],
        json!(["large_print", "easy_read"])
    );
    assert_eq!(view["postal_address"], "7 Quay Road\nNorthshire NS2 7QR");
    let read = ok(
        w.app
            .get_as(&format!("/api/v1/members/{}", w.member_id), &me)
            .await,
        200,
    )
    .await;
    assert_eq!(
        read["preferred_formats"],
        json!(["large_print", "easy_read"])
    );
    let audit = w.app.audit_of(&w.member_id).await;
    assert!(
        audit.iter().any(|a| a.action == "member.updated"
            && a.after_json
                .as_deref()
                .is_some_and(|j| j.contains("easy_read"))),
        "the change is audited"
    );

    // Unknown formats and overlong addresses are refused, naming the field, and change nothing.
    let body = assert_problem(
        patch(
            &w,
            &w.member_id,
            &me,
            json!({"preferred_formats": ["large_print", "braille"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "preferred_formats[1]", "{body}");
    let nine_lines = (1..=9)
        .map(|i| format!("Line {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    let body = assert_problem(
        patch(&w, &w.member_id, &me, json!({"postal_address": nine_lines})).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "postal_address", "{body}");
    assert_problem(
        patch(
            &w,
            &w.member_id,
            &me,
            json!({"preferred_formats": "large_print"}),
        )
        .await,
        400,
    )
    .await;
    let read = ok(
        w.app
            .get_as(&format!("/api/v1/members/{}", w.member_id), &me)
            .await,
        200,
    )
    .await;
    assert_eq!(
        read["preferred_formats"],
        json!(["large_print", "easy_read"])
    );

    // Another member's record is not theirs to change; their coordinator may change it.
    let other = w.app.user(Role::Member).await;
    assert_problem(
        patch(
            &w,
            &w.member_id,
            &other.token,
            json!({"preferred_formats": []}),
        )
        .await,
        404,
    )
    .await;
    let cleared = ok(
        patch(
            &w,
            &w.member_id,
            &w.coordinator.token,
            json!({"preferred_formats": [], "postal_address": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cleared["preferred_formats"], json!([]));
    assert_eq!(cleared["postal_address"], Value::Null);

    // A coordinator may record them when adding a member.
    let added = ok(
        w.app
            .post_as(
                "/api/v1/members",
                Some(&w.coordinator.token),
                json!({"full_name": "Joan Whitfield", "preferred_formats": ["easy_read"]}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(added["preferred_formats"], json!(["easy_read"]));

    // The database itself keeps out a format it does not know.
    let id = w.member_id.clone();
    let refused = w
        .app
        .with_db(move |c| {
            use coprod::db::schema::members::dsl as m;
            diesel::update(m::members.find(id))
                .set(m::preferred_formats.eq("braille"))
                .execute(c)
        })
        .await;
    assert!(refused.is_err(), "the CHECK refuses an unknown format");
}

/// Worked example 6's first run for a member who reads Easy Read in large print: the emails lead
/// with the money in short sentences, set in larger text; the statement has no text under 16
/// point and opens with Easy Read pages.
async fn easy_read_and_large_print_reach_emails_and_statements(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let me = w.member.token.clone();
    ok(
        patch(
            &w,
            &w.member_id,
            &me,
            json!({"preferred_formats": ["easy_read", "large_print"]}),
        )
        .await,
        200,
    )
    .await;
    let esa = json!({
        "effective_from": "2025-06-01", "fee_choice": "full", "method": "bank_transfer",
        "cap": {"limit_code": "esa_permitted_work", "period": "week"},
        "over_cap": "carry_forward", "notify_by_email": true
    });
    ok(w.set_preference(&w.member_id, &me, esa).await, 200).await;
    w.session(&w.member_id, "2025-06-30", 300).await;
    w.session(&w.member_id, "2025-07-01", 300).await;
    w.session(&w.member_id, "2025-07-02", 180).await;
    let run = w.draft("2025-06-01", "2025-07-03", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let approved = w
        .app
        .delivered_mail("sam@example.org", "We will pay you")
        .await;
    assert_eq!(approved.subject, "We will pay you £195.50");
    let first: Vec<&str> = approved
        .text
        .lines()
        .filter(|l| !l.is_empty())
        .take(4)
        .collect();
    assert_eq!(
        first,
        [
            "Dear Sam,",
            "We will pay you £195.50.",
            "We will pay it on 4 July 2025.",
            "It will come by bank transfer."
        ],
        "{}",
        approved.text
    );
    for said in [
        "We are keeping £179.50 for you.",
        "This keeps you under your limit.",
        "Advisory group 2025-06-30 on 30 June 2025: £150.00",
        "kept for later",
        "Is something wrong? Please tell your coordinator.",
    ] {
        assert!(
            approved.text.contains(said),
            "{said:?} in {}",
            approved.text
        );
    }
    assert!(
        approved.html.contains("font-size: 24px"),
        "{}",
        approved.html
    );
    ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
                Some(&w.approver.token),
                json!({"paid_on": "2025-07-04", "reference": "BACS-1"}),
            )
            .await,
        200,
    )
    .await;
    let paid = w
        .app
        .delivered_mail("sam@example.org", "We have paid you")
        .await;
    assert_eq!(paid.subject, "We have paid you £195.50");
    assert!(
        paid.text.contains("We paid it on 4 July 2025."),
        "{}",
        paid.text
    );
    assert!(
        paid.text.contains("The reference is BACS-1."),
        "{}",
        paid.text
    );

    let res = w
        .app
        .get_as(
            &format!(
                "/api/v1/members/{}/statement?tax_year=2025-26&format=pdf",
                w.member_id
            ),
            &me,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap().to_vec();
    let sizes = font_sizes(&pdf);
    assert!(sizes.iter().all(|s| *s >= 16.0), "{sizes:?}");
    let text = pdf_text(&pdf);
    let easy = text
        .find("We paid you £195.50 in all.")
        .expect("the Easy Read pages");
    let full = text
        .find("This is the full statement")
        .expect("the full statement");
    assert!(easy < full, "Easy Read comes first: {text}");
    for said in [
        "We are keeping £179.50 for you.",
        "Your limit is ESA permitted work (£195.50 a week).",
        "You stayed under your limit every time.",
        "4 July 2025: £195.50",
        "Payment statement",
        "Fees paid to you",
    ] {
        assert!(text.contains(said), "{said:?} in the statement: {text}");
    }

    // Back to the standard format: the standard words, the standard size.
    ok(
        patch(&w, &w.member_id, &me, json!({"preferred_formats": []})).await,
        200,
    )
    .await;
    let pdf = w
        .app
        .get_as(
            &format!(
                "/api/v1/members/{}/statement?tax_year=2025-26&format=pdf",
                w.member_id
            ),
            &me,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert!(font_sizes(&pdf).iter().any(|s| *s < 16.0));
    assert!(!pdf_text(&pdf).contains("We paid you £195.50 in all."));
}

both_backends!(
    members_set_their_own_formats_and_postal_address,
    easy_read_and_large_print_reach_emails_and_statements,
);
