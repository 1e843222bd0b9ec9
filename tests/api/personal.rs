//! A member's copy of everything held about them (UK GDPR article 15): every row of every table
//! about them is in it, counted against the tables themselves; their own copy leaves out staff
//! notes and never holds a password hash; other people may not have it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Role, TestBackend};
use crate::member_pages::signed_in_member;
use crate::payruns::{ok, s, World};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows of `table` whose `column` is `value`, counted by the database.
async fn rows_in(w: &World, table: &'static str, column: &'static str, value: &str) -> usize {
    let value = value.to_string();
    w.app
        .with_db(move |c| {
            let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = ");
            let q = match c {
                coprod::db::DbConnection::Pg(_) => format!("{sql}$1"),
                coprod::db::DbConnection::Sqlite(_) => format!("{sql}?"),
            };
            diesel::sql_query(q)
                .bind::<Text, _>(value)
                .get_result::<Count>(c)
                .unwrap()
                .n
        })
        .await as usize
}

/// A distinctive name, so a search of every table finds only this member.
pub const NAME: &str = "Tamsin Quarrington";

/// What `a_year_of_records` made.
pub struct Year {
    pub claim: String,
    pub run: Value,
}

/// A member with a year of sessions (one with a note naming them), a claim with its receipt,
/// choices, a reply with an access need, and an approved run that pays them; their record has
/// every personal field filled in.
pub async fn a_year_of_records(w: &World) -> Year {
    ok(
        w.app
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&w.coordinator.token),
                Some(json!({"full_name": NAME, "phone": "07700 900123", "payee_reference": "TQ-REF-77",
                            "communication_needs": "Large print, please", "notes": "Prefers phone calls",
                            "postal_address": "1 High Street\nNorthtown"})),
            )
            .await,
        200,
    )
    .await;
    // A session with a claim and its receipt, a reply, choices, and a paid run.
    let today = w.app.settings.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    // A year of sessions; the first with a note that names them.
    let first = w.meeting(&day(-330), 120, "meeting").await;
    ok(
        w.register(
            &first,
            json!([{"member_id": w.member_id, "status": "attended", "notes": format!("{NAME} led the discussion")}]),
        )
        .await,
        200,
    )
    .await;
    w.session(&w.member_id, &day(-200), 120).await;
    let meeting = w.session(&w.member_id, &day(-30), 180).await;
    let claim = ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": w.member_id, "kind": "parking", "amount": "4.20"}),
            )
            .await,
        201,
    )
    .await;
    let claim = s(&claim["id"]);
    let res = crate::receipts::upload(
        w,
        &claim,
        &w.coordinator.token,
        "ticket.pdf",
        b"%PDF-1.4 a parking ticket",
    )
    .await;
    assert_eq!(res.status(), 201);
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{claim}/approve"),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    ok(
        w.set_preference(
            &w.member_id,
            &w.member.token,
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                   "notify_by_email": true}),
        )
        .await,
        200,
    )
    .await;
    let next = w.meeting(&day(7), 120, "meeting").await;
    ok(
        w.app
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/meetings/{next}/replies/{}", w.member_id),
                Some(&w.member.token),
                Some(json!({"reply": "attending", "access_needs": ["step_free"]})),
            )
            .await,
        200,
    )
    .await;
    // An adjustment whose reason names them (a payment line quotes it).
    ok(
        w.app
            .post_as(
                "/api/v1/adjustments",
                Some(&w.finance.token),
                json!({"member_id": w.member_id, "amount": "5.00", "kind": "fee", "group_id": w.group,
                       "reason": format!("Travel time for {NAME} on the first day")}),
            )
            .await,
        201,
    )
    .await;
    let run = w.draft(&day(-365), &day(-25), &day(-20)).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    w.app.delivered_mail("sam@example.org", "approved").await;
    Year { claim, run }
}

async fn everything_held_about_a_member_is_in_their_copy(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let admin = w.app.user(Role::Admin).await;
    let Year { claim, .. } = a_year_of_records(&w).await;

    let path = format!("/api/v1/members/{}/data-export", w.member_id);
    let res = w.app.get_as(&path, &w.member.token).await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let mine: Value = res.json().await.unwrap();
    assert_eq!(mine["requested_by"], "member");
    assert_eq!(mine["member"]["communication_needs"], "Large print, please");
    assert_eq!(mine["member"]["postal_address"], "1 High Street\nNorthtown");
    assert_eq!(
        mine["member"]["notes"],
        Value::Null,
        "staff notes are for staff"
    );
    let text = mine.to_string();
    assert!(!text.contains("Prefers phone calls"));
    assert!(!text.contains("argon2"), "never a password hash");
    assert!(!text.contains("%PDF"), "receipts listed, not their bytes");

    // Every row of every table about them, counted by the database.
    let id = w.member_id.as_str();
    for (key, table, column) in [
        ("accounts", "accounts", "member_id"),
        ("memberships", "memberships", "member_id"),
        ("attendance", "attendance", "member_id"),
        ("meeting_replies", "meeting_replies", "member_id"),
        ("expense_claims", "expense_claims", "member_id"),
        ("preferences", "preferences", "member_id"),
        ("adjustments", "adjustments", "member_id"),
        ("pay_lines", "pay_lines", "member_id"),
        ("payments", "payments", "member_id"),
        ("emails", "outbox", "recipient"),
    ] {
        let held = mine[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {mine}"));
        // Emails go to the member's address and to their account's.
        let n = if table == "outbox" {
            rows_in(&w, table, column, "sam@example.org").await
                + rows_in(&w, table, column, &w.member.email).await
        } else {
            rows_in(&w, table, column, id).await
        };
        assert!(n > 0, "{key}: the world has some");
        assert_eq!(held.len(), n, "{key}: as many in the copy as in {table}");
    }
    assert_eq!(
        mine["receipts"].as_array().unwrap().len(),
        rows_in(&w, "receipts", "expense_id", &claim).await
    );
    assert_eq!(mine["receipts"][0]["filename"], "ticket.pdf");
    assert_eq!(mine["meeting_replies"][0]["access_needs"], "step_free");
    assert!(mine["emails"][0]["subject"].as_str().is_some());
    assert!(mine["audit_events"].as_array().unwrap().len() >= 3);
    // Each column of the member's record, as the table holds it.
    for column in [
        "full_name",
        "preferred_name",
        "email",
        "phone",
        "payee_reference",
        "communication_needs",
        "preferred_formats",
        "postal_address",
        "archived_at",
        "created_at",
        "updated_at",
    ] {
        assert!(
            mine["member"].get(column).is_some(),
            "{column}: {}",
            mine["member"]
        );
    }
    // Every line's own columns, as the table holds them.
    let line = &mine["pay_lines"][0];
    for column in [
        "pay_run_id",
        "kind",
        "amount_pence",
        "disposition",
        "meeting_date",
    ] {
        assert!(line.get(column).is_some(), "{column}: {line}");
    }

    // An admin's copy has the staff notes; the export is in the audit trail.
    let theirs = ok(w.app.get_as(&path, &admin.token).await, 200).await;
    assert_eq!(theirs["member"]["notes"], "Prefers phone calls");
    assert_eq!(theirs["requested_by"], "admin");
    let audit = ok(
        w.app
            .get_as(&format!("/api/v1/audit?entity_id={id}"), &admin.token)
            .await,
        200,
    )
    .await;
    assert!(
        audit.to_string().contains("member.data_exported"),
        "{audit}"
    );

    // Nobody else.
    let kim = w.new_member("Kim Lee", "member").await;
    assert_eq!(
        w.app
            .get_as(
                &format!("/api/v1/members/{kim}/data-export"),
                &w.member.token
            )
            .await
            .status(),
        404
    );
    for token in [&w.coordinator.token, &w.finance.token] {
        assert_eq!(w.app.get_as(&path, token).await.status(), 403);
    }
    assert_eq!(
        w.app
            .get_as(&format!("{path}?format=xml"), &w.member.token)
            .await
            .status(),
        422
    );

    // The same copy to read: a PDF that names what the JSON holds, staff notes left out.
    let res = w
        .app
        .get_as(&format!("{path}?format=pdf"), &w.member.token)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = pdf_extract::extract_text_from_mem(&res.bytes().await.unwrap()).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "Everything we hold about you",
        mine["member"]["full_name"].as_str().unwrap(),
        "Large print, please",
        "1 High Street",
        "ticket.pdf",
        "Your payment choices",
        "Payment of £",
        mine["emails"][0]["subject"].as_str().unwrap(),
    ] {
        assert!(flat.contains(said), "{said} in: {flat}");
    }
    assert!(!flat.contains("Prefers phone calls"), "{flat}");

    // From the member's own page, as a download.
    let v = signed_in_member(&w).await;
    let page = v.open(&w.app.url("/me/details")).await;
    for link in ["/me/data-export", "/me/data-export?format=pdf"] {
        assert!(
            page.html.contains(&format!("href=\"{link}\"")),
            "{link}: {}",
            page.html
        );
    }
    let pdf = v.open(&w.app.url("/me/data-export?format=pdf")).await;
    assert_eq!(pdf.status, 200);
    let file = v.open(&w.app.url("/me/data-export")).await;
    assert_eq!(file.status, 200);
    let copy: Value = serde_json::from_str(&file.html).unwrap();
    assert_eq!(copy["member"]["id"], id);
}

both_backends!(everything_held_about_a_member_is_in_their_copy);
