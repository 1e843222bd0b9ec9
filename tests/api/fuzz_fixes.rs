//! What generated hostile requests (Schemathesis, `.ci/schemathesis`) found, kept fixed: the NUL
//! character never reaches the database, and the OpenAPI document describes every answer the
//! server gives (its statuses, list shapes, download types) with unique operation ids.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, Role, TestApp, TestBackend};

async fn document(app: &TestApp) -> Value {
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("the document is JSON")
}

/// Every operation of the document as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            ops.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    ops
}

/// Follows a `$ref` within the document.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("a local reference");
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{r} resolves"))
        }
        None => value,
    }
}

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

/// Three lists were documented as bare arrays while the server answers `{items, next_cursor}`;
/// every list is now documented as the page it is.
async fn lists_are_documented_as_the_pages_they_answer(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doc = document(&app).await;
    let meeting = create_meeting(&app, &admin.token).await;
    let member = app.insert_member("Bo Page").await;

    for path in [
        "/api/v1/me/tokens".to_string(),
        format!("/api/v1/meetings/{meeting}/expenses"),
        format!("/api/v1/members/{member}/attendance"),
    ] {
        let res = app.get_as(&path, &admin.token).await;
        assert_eq!(res.status(), 200, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["items"].is_array(), "{path}: {body}");
        assert!(body["next_cursor"].is_null(), "{path}: {body}");
    }

    let mut lists = 0;
    for (method, path, op) in operations(&doc) {
        let Some(schema) = op
            .pointer("/responses/200/content/application~1json/schema")
            .map(|s| resolve(&doc, s))
        else {
            continue;
        };
        if schema["type"] == "array" {
            panic!("{method} {path} is documented as a bare array: {schema}");
        }
        if schema["properties"]["items"].is_object() {
            lists += 1;
            assert_eq!(schema["properties"]["items"]["type"], "array", "{path}");
            assert!(
                schema["properties"]["next_cursor"].is_object(),
                "{method} {path}: {schema}"
            );
        }
    }
    assert!(lists >= 18, "every list is a documented page ({lists})");
}

/// Five operation ids were shared by several operations (`list`, `get`, `create`, `update`,
/// `payments`), which breaks generated clients and the links between operations.
async fn operation_ids_are_unique(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has an operation id"))
            .to_string();
        if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
            panic!("{method} {path} and {other} share the operation id {id}");
        }
    }
    assert_eq!(
        seen.get("payments_report").map(String::as_str),
        Some("GET /api/v1/reports/payments")
    );
}

/// Schemathesis met 400, 401, 403, 404, 409, 413, 415 and 422 problems the document did not list.
/// Each operation now lists the problems what it takes can cause, each a problem+json body.
async fn every_operation_documents_the_problems_it_can_answer(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    for (method, path, op) in operations(&doc) {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let documented: BTreeSet<String> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let has = |place: &str| params.iter().any(|p| p["in"] == place);
        let mut expected = Vec::new();
        if op["security"].is_array() {
            expected.push("401");
        }
        if has("path") {
            expected.push("404");
        }
        if op["requestBody"].is_object() {
            expected.extend(["400", "413", "415", "422"]);
        }
        if has("query") {
            expected.extend(["400", "422"]);
        }
        for status in expected {
            assert!(
                documented.contains(status),
                "{method} {path} documents {status}: {documented:?}"
            );
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') {
                let response = resolve(&doc, response);
                assert!(
                    response
                        .pointer("/content/application~1problem+json/schema")
                        .is_some(),
                    "{method} {path} {status} is a problem: {response}"
                );
            }
        }
    }
    for (method, path) in [
        ("patch", "/api/v1/meetings/{id}"),
        ("put", "/api/v1/meetings/{id}/attendance"),
        ("post", "/api/v1/expenses/{id}/reject"),
        ("patch", "/api/v1/memberships/{id}"),
        ("post", "/api/v1/activity-kinds"),
        ("post", "/api/v1/groups"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"]["409"].is_object(),
            "{method} {path} documents 409"
        );
    }
    assert!(doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"].is_object());
}

/// Statements, reports and exports answer CSV, PDF or workbooks, and say so.
async fn downloads_are_documented_with_their_content_types(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let finance = app.user(Role::Finance).await;
    let member = app.insert_member("Cy Statement").await;
    let doc = document(&app).await;
    let types = |path: &str| -> BTreeSet<String> {
        doc["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} documents its content"))
            .keys()
            .cloned()
            .collect()
    };
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    assert_eq!(
        types("/api/v1/members/{id}/statement"),
        BTreeSet::from(["application/json", "text/csv", "application/pdf"].map(String::from))
    );
    assert_eq!(
        types("/api/v1/reports/payments"),
        BTreeSet::from(["application/json", "text/csv", xlsx].map(String::from))
    );
    assert_eq!(
        types("/api/v1/pay-runs/{id}/export"),
        BTreeSet::from(["text/csv", xlsx].map(String::from))
    );

    let res = app
        .get_as(
            &format!("/api/v1/members/{member}/statement?tax_year=2025-26&format=csv"),
            &finance.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    let media = res.headers()["content-type"].to_str().unwrap().to_string();
    let media = media.split(';').next().unwrap().trim().to_string();
    assert!(
        types("/api/v1/members/{id}/statement").contains(&media),
        "{media}"
    );
    // The formats a download takes are listed, so a client can offer them.
    let format = doc["paths"]["/api/v1/reports/tax-year"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "format")
        .cloned()
        .unwrap();
    assert_eq!(format["schema"]["enum"], json!(["json", "csv", "xlsx"]));
}

both_backends!(
    nul_characters_are_refused_before_the_database,
    lists_are_documented_as_the_pages_they_answer,
    operation_ids_are_unique,
    every_operation_documents_the_problems_it_can_answer,
    downloads_are_documented_with_their_content_types,
);
