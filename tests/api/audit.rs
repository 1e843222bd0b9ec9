//! The audit trail: filtered, paged, and append-only.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, Role, TestBackend};

async fn the_audit_trail_is_filtered_paged_and_append_only(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let finance = app.user(Role::Finance).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let res = app
            .post_as(
                "/api/v1/accounts",
                Some(&admin.token),
                json!({"email": format!("p{i}@example.org"), "role": "finance"}),
            )
            .await;
        let body: serde_json::Value = res.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    app.call(
        Method::PATCH,
        &format!("/api/v1/accounts/{}", ids[0]),
        Some(&admin.token),
        Some(json!({"disabled": true})),
    )
    .await;

    let all: serde_json::Value = app
        .get_as("/api/v1/audit", &finance.token)
        .await
        .json()
        .await
        .unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["action"], "account.disabled", "newest first");
    assert_eq!(items[0]["before"]["disabled"], false);
    assert_eq!(items[0]["after"]["disabled"], true);
    assert!(items[0]["request_id"].is_string());
    assert!(items[0]["occurred_at"].as_str().unwrap().ends_with('Z'));

    let one: serde_json::Value = app
        .get_as(
            &format!("/api/v1/audit?entity_type=account&entity_id={}", ids[0]),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["items"].as_array().unwrap().len(), 2);
    let by_actor: serde_json::Value = app
        .get_as(
            &format!("/api/v1/audit?actor_id={}", finance.id),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 0);
    let today = chrono::Utc::now().date_naive();
    let dated: serde_json::Value = app
        .get_as(
            &format!("/api/v1/audit?from={today}&to={today}"),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dated["items"].as_array().unwrap().len(), 4);
    let yesterday = today.pred_opt().unwrap();
    let none: serde_json::Value = app
        .get_as(&format!("/api/v1/audit?to={yesterday}"), &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let res = app
        .get_as(
            &format!("/api/v1/audit?from={today}&to={yesterday}"),
            &admin.token,
        )
        .await;
    assert_problem(res, 422).await;

    let first: serde_json::Value = app
        .get_as("/api/v1/audit?limit=3", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: serde_json::Value = app
        .get_as(
            &format!("/api/v1/audit?limit=3&cursor={cursor}"),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());

    // Nobody, not even with direct database access through the application, rewrites history.
    let tampered = app
        .with_db(|c| {
            use coprod::db::schema::audit_events::dsl as a;
            let update = diesel::update(a::audit_events)
                .set(a::reason.eq(Some("edited")))
                .execute(c);
            let delete = diesel::delete(a::audit_events).execute(c);
            // Erasure may strike details out of a snapshot or reason, and nothing else.
            let relabel = diesel::update(a::audit_events)
                .set((a::action.eq("[erased]"), a::reason.eq(Some("[erased]"))))
                .execute(c);
            let emptied = diesel::update(a::audit_events)
                .set(a::after_json.eq(None::<String>))
                .filter(a::after_json.is_not_null())
                .execute(c);
            let struck = diesel::update(a::audit_events)
                .set(a::after_json.eq(Some(r#"{"full_name":"[erased]"}"#)))
                .filter(a::after_json.is_not_null())
                .execute(c);
            (
                update.is_err(),
                delete.is_err(),
                relabel.is_err(),
                emptied.is_err(),
                struck.is_ok(),
            )
        })
        .await;
    assert_eq!(tampered, (true, true, true, true, true));
}

both_backends!(the_audit_trail_is_filtered_paged_and_append_only);
