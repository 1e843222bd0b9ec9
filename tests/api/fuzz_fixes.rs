//! What generated hostile requests (Schemathesis, `.ci/schemathesis`) found, kept fixed: the NUL
//! character never reaches the database.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, Role, TestApp, TestBackend};

/// PostgreSQL cannot store text holding NUL and answered 500 for it; SQLite stored it. Both now
/// refuse it before any query: 422 naming the field in a body, 400 in a query string, 404 in a path.
async fn nul_characters_are_refused_before_the_database(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let member = app.insert_member("Ann Smith").await;

    let res = app
        .post_as(
            "/api/v1/members",
            Some(&admin.token),
            json!({"full_name": "Ann\u{0}Smith"}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "full_name", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("NUL"),
        "{body}"
    );

    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{member}"),
            Some(&admin.token),
            Some(json!({"notes": "fine", "communication_needs": "large print\u{0}"})),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "communication_needs", "{body}");

    // Before signing in too.
    let res = app.login("admin\u{0}@example.org", "whatever").await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "email", "{body}");

    // Nested: the field is named by its path.
    let meeting = create_meeting(&app, &admin.token).await;
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting}/attendance"),
            Some(&admin.token),
            Some(
                json!({"records": [{"member_id": member, "status": "attended", "notes": "\u{0}"}]}),
            ),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "records[0].notes", "{body}");

    let res = app.get_as("/api/v1/members?q=Ann%00", &admin.token).await;
    let body = assert_problem(res, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("NUL"), "{body}");
    let res = app.get_as("/api/v1/members/%00", &admin.token).await;
    assert_problem(res, 404).await;
    let res = app
        .get_as(&format!("/api/v1/members/{member}%00"), &admin.token)
        .await;
    assert_problem(res, 404).await;

    // An escaped backslash before `u0000` is ordinary text, and nothing was stored above.
    let res = app
        .post_as(
            "/api/v1/members",
            Some(&admin.token),
            json!({"full_name": "Ann \\u0000 Smith"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["full_name"], "Ann \\u0000 Smith");
    let res = app.get_as("/api/v1/members?q=Ann", &admin.token).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let names: BTreeSet<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["Ann \\u0000 Smith", "Ann Smith"]));
}

async fn create_meeting(app: &TestApp, token: &str) -> String {
    let res = app
        .post_as(
            "/api/v1/groups",
            Some(token),
            json!({"name": "Fuzzing group"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let group: Value = res.json().await.unwrap();
    let res = app
        .post_as(
            "/api/v1/meetings",
            Some(token),
            json!({"group_id": group["id"], "title": "Panel", "activity_kind": "meeting",
                   "date": "2025-06-02", "duration_minutes": 120}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let meeting: Value = res.json().await.unwrap();
    meeting["id"].as_str().unwrap().to_string()
}

both_backends!(nul_characters_are_refused_before_the_database);
