//! The role matrix: every endpoint of accounts, sessions and audit, called by every role and by
//! no one, answers as the contract says.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, Role, TestBackend, User};

/// Who may call, as (anonymous, admin, coordinator, finance, member) statuses.
struct Case {
    method: Method,
    path: String,
    body: Option<serde_json::Value>,
    expect: [u16; 5],
}

fn case(
    method: Method,
    path: impl Into<String>,
    body: Option<serde_json::Value>,
    expect: [u16; 5],
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        expect,
    }
}

async fn every_endpoint_answers_every_role_as_documented(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let users: Vec<User> = vec![
        admin.clone(),
        app.user(Role::Coordinator).await,
        app.user(Role::Finance).await,
        app.user(Role::Member).await,
    ];
    let finance_id = users[2].id.clone();
    let unique = || format!("new-{}@example.org", uuid::Uuid::now_v7().simple());

    let cases = |me: &User| {
        vec![
            case(Method::GET, "/api/v1/me", None, [401, 200, 200, 200, 200]),
            case(
                Method::PUT,
                "/api/v1/me/password",
                Some(
                    json!({"current_password": "Wrong-Wrong-Wrong-1", "new_password": "Orchard-Kettle-Harbour-Nine"}),
                ),
                [401, 422, 422, 422, 422],
            ),
            case(
                Method::GET,
                "/api/v1/me/tokens",
                None,
                [401, 200, 200, 200, 200],
            ),
            case(
                Method::POST,
                "/api/v1/me/tokens",
                Some(json!({"name": "matrix"})),
                [401, 201, 201, 201, 201],
            ),
            case(
                Method::DELETE,
                "/api/v1/me/tokens/01a21976-0000-7000-8000-000000000000",
                None,
                [401, 404, 404, 404, 404],
            ),
            case(
                Method::GET,
                "/api/v1/accounts",
                None,
                [401, 200, 403, 403, 403],
            ),
            case(
                Method::POST,
                "/api/v1/accounts",
                Some(json!({"email": unique(), "role": "finance"})),
                [401, 201, 403, 403, 403],
            ),
            case(
                Method::GET,
                format!("/api/v1/accounts/{}", admin.id),
                None,
                [401, 200, 404, 404, 404],
            ),
            case(
                Method::GET,
                format!("/api/v1/accounts/{}", me.id),
                None,
                [401, 200, 200, 200, 200],
            ),
            case(
                Method::PATCH,
                format!("/api/v1/accounts/{finance_id}"),
                Some(json!({"reason": "checking"})),
                [401, 200, 403, 403, 403],
            ),
            case(
                Method::GET,
                "/api/v1/audit",
                None,
                [401, 200, 403, 200, 403],
            ),
            case(
                Method::POST,
                "/api/v1/auth/password/forgot",
                Some(json!({"email": "nobody@example.org"})),
                [202, 202, 202, 202, 202],
            ),
            case(
                Method::POST,
                "/api/v1/auth/password/reset",
                Some(json!({"token": "cpl_x", "password": "Orchard-Kettle-Harbour-Nine"})),
                [422, 422, 422, 422, 422],
            ),
            case(
                Method::POST,
                "/api/v1/auth/invitations/accept",
                Some(json!({"token": "cpl_x", "password": "Orchard-Kettle-Harbour-Nine"})),
                [422, 422, 422, 422, 422],
            ),
            case(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"email": "nobody@example.org", "password": "Wrong-Wrong-Wrong-1"})),
                [401, 401, 401, 401, 401],
            ),
        ]
    };

    let callers: Vec<Option<&User>> = std::iter::once(None)
        .chain(users.iter().map(Some))
        .collect();
    let mut failures = Vec::new();
    for (i, caller) in callers.iter().enumerate() {
        let me = caller.unwrap_or(&admin);
        for c in cases(me) {
            let res = app
                .call(
                    c.method.clone(),
                    &c.path,
                    caller.map(|u| u.token.as_str()),
                    c.body.clone(),
                )
                .await;
            let who = caller.map_or("anonymous", |u| u.role.as_str());
            if res.status().as_u16() != c.expect[i] {
                failures.push(format!(
                    "{} {} as {who}: {} (expected {})",
                    c.method,
                    c.path,
                    res.status(),
                    c.expect[i]
                ));
            }
            if res.status().is_client_error() {
                let ct = res.headers()["content-type"].to_str().unwrap().to_string();
                assert_eq!(
                    ct, "application/problem+json",
                    "{} {} as {who}",
                    c.method, c.path
                );
            }
        }
    }
    // Logout last: it ends each caller's session.
    for (i, caller) in callers.iter().enumerate() {
        let res = app
            .call(
                Method::POST,
                "/api/v1/auth/logout",
                caller.map(|u| u.token.as_str()),
                None,
            )
            .await;
        let expected = if i == 0 { 401 } else { 204 };
        if res.status().as_u16() != expected {
            failures.push(format!("POST /api/v1/auth/logout as {i}: {}", res.status()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

async fn admins_manage_scope_and_roles_with_clear_errors(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let group = app.insert_group("Council co-production board").await;
    let member_id = app.insert_member("Alex").await;

    let post = |body: serde_json::Value| app.post_as("/api/v1/accounts", Some(&admin.token), body);
    let res =
        post(json!({"email": "coord@example.org", "role": "coordinator", "group_ids": [group]}))
            .await;
    assert_eq!(res.status(), 201);
    let coord: serde_json::Value = res.json().await.unwrap();
    assert_eq!(coord["group_ids"], json!([group]));

    for (body, field) in [
        (
            json!({"email": "m@example.org", "role": "member"}),
            "member_id",
        ),
        (
            json!({"email": "m@example.org", "role": "member", "member_id": "nope"}),
            "member_id",
        ),
        (
            json!({"email": "f@example.org", "role": "finance", "member_id": member_id}),
            "member_id",
        ),
        (
            json!({"email": "f@example.org", "role": "finance", "group_ids": [group]}),
            "group_ids",
        ),
        (
            json!({"email": "c@example.org", "role": "coordinator", "group_ids": ["nope"]}),
            "group_ids[0]",
        ),
        (json!({"email": "not-an-email", "role": "finance"}), "email"),
    ] {
        let res = post(body.clone()).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
    }
    let res = post(json!({"email": "COORD@example.org", "role": "finance"})).await;
    crate::helpers::assert_problem(res, 409).await;
    let res =
        post(json!({"email": "a@example.org", "role": "member", "member_id": member_id})).await;
    assert_eq!(res.status(), 201);
    let res =
        post(json!({"email": "b@example.org", "role": "member", "member_id": member_id})).await;
    crate::helpers::assert_problem(res, 409).await;
    let res = post(json!({"email": "b@example.org", "role": "overlord"})).await;
    crate::helpers::assert_problem(res, 400).await;

    // A role change is recorded with before and after.
    let id = coord["id"].as_str().unwrap();
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/accounts/{id}"),
            Some(&admin.token),
            Some(json!({"role": "finance", "reason": "moved team"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(changed["role"], "finance");
    assert_eq!(
        changed["group_ids"],
        json!([]),
        "a finance account coordinates no group"
    );
    let event = app
        .audit_of(id)
        .await
        .into_iter()
        .find(|e| e.action == "account.updated")
        .unwrap();
    assert!(event
        .before_json
        .unwrap()
        .contains("\"role\":\"coordinator\""));
    assert!(event.after_json.unwrap().contains("\"role\":\"finance\""));
    assert_eq!(event.reason.as_deref(), Some("moved team"));
    assert_eq!(event.actor_id.as_deref(), Some(admin.id.as_str()));

    let res = app
        .call(
            Method::PATCH,
            "/api/v1/accounts/nope",
            Some(&admin.token),
            Some(json!({"disabled": true})),
        )
        .await;
    crate::helpers::assert_problem(res, 404).await;

    // Paging: limit and cursor walk every account exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/accounts?limit=2&cursor={c}"),
            None => "/api/v1/accounts?limit=2".to_string(),
        };
        let page: serde_json::Value = app.get_as(&path, &admin.token).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(
        seen.len(),
        3,
        "admin, coordinator (now finance), member: {seen:?}"
    );
    assert_eq!(unique.len(), seen.len());
    let finance: serde_json::Value = app
        .get_as("/api/v1/accounts?role=finance", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(finance["items"].as_array().unwrap().len(), 1);
}

/// Groups, members, meetings, registers and expenses: as no one, admin, the group's coordinator,
/// another group's coordinator, finance and a member.
async fn every_records_endpoint_answers_every_role_as_documented(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coord = app.user(Role::Coordinator).await;
    let other = app.user(Role::Coordinator).await;
    let finance = app.user(Role::Finance).await;
    let member = app.user(Role::Member).await;
    let callers: [Option<&User>; 6] = [
        None,
        Some(&admin),
        Some(&coord),
        Some(&other),
        Some(&finance),
        Some(&member),
    ];
    let g = coord.group_ids[0].clone();
    let post = |path: String, body: serde_json::Value| {
        let app = &app;
        let token = coord.token.clone();
        async move {
            let res = app.post_as(&path, Some(&token), body).await;
            assert_eq!(res.status(), 201, "setup {path}");
            res.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let m = post(
        "/api/v1/members".into(),
        json!({"full_name": "Matrix Member"}),
    )
    .await;
    let ms = post(
        format!("/api/v1/groups/{g}/memberships"),
        json!({"member_id": m, "role": "member", "starts_on": "2025-01-01"}),
    )
    .await;
    let x = post("/api/v1/meetings".into(), json!({"group_id": g, "title": "M", "activity_kind": "meeting", "date": "2025-06-10", "duration_minutes": 60})).await;
    let mut claims = Vec::new();
    for _ in 0..12 {
        claims.push(
            post(
                format!("/api/v1/meetings/{x}/expenses"),
                json!({"member_id": m, "kind": "parking", "amount": "3.00"}),
            )
            .await,
        );
    }
    let spare = post("/api/v1/members".into(), json!({"full_name": "Spare"})).await;

    let mut failures = Vec::new();
    for (i, caller) in callers.iter().enumerate() {
        let year = 2030 + i * 2;
        let cases: Vec<(Method, String, Option<serde_json::Value>, [u16; 6])> = vec![
            (
                Method::GET,
                "/api/v1/roles".into(),
                None,
                [401, 200, 200, 200, 200, 200],
            ),
            (
                Method::POST,
                "/api/v1/roles".into(),
                Some(json!({"code": format!("r{i}"), "label": "R"})),
                [401, 201, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/api/v1/activity-kinds".into(),
                None,
                [401, 200, 200, 200, 200, 200],
            ),
            (
                Method::POST,
                "/api/v1/activity-kinds".into(),
                Some(json!({"code": format!("k{i}"), "label": "K"})),
                [401, 201, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/api/v1/groups".into(),
                None,
                [401, 200, 200, 200, 200, 403],
            ),
            (
                Method::POST,
                "/api/v1/groups".into(),
                Some(json!({"name": "New"})),
                [401, 201, 201, 201, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/groups/{g}"),
                None,
                [401, 200, 200, 404, 200, 403],
            ),
            (
                Method::PATCH,
                format!("/api/v1/groups/{g}"),
                Some(json!({"description": "d"})),
                [401, 200, 200, 404, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/groups/{g}/memberships"),
                None,
                [401, 200, 200, 404, 200, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/groups/{g}/memberships"),
                Some(
                    json!({"member_id": spare, "role": "member", "starts_on": format!("{year}-01-01"), "ends_on": format!("{year}-12-31")}),
                ),
                [401, 201, 201, 404, 403, 403],
            ),
            (
                Method::PATCH,
                format!("/api/v1/memberships/{ms}"),
                Some(json!({"reason": "check"})),
                [401, 200, 200, 404, 403, 403],
            ),
            (
                Method::GET,
                "/api/v1/members".into(),
                None,
                [401, 200, 200, 200, 200, 403],
            ),
            (
                Method::POST,
                "/api/v1/members".into(),
                Some(json!({"full_name": "Another"})),
                [401, 201, 201, 201, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/members/{m}"),
                None,
                [401, 200, 200, 404, 200, 404],
            ),
            (
                Method::PATCH,
                format!("/api/v1/members/{m}"),
                Some(json!({"phone": "0123"})),
                [401, 200, 200, 404, 403, 404],
            ),
            (
                Method::GET,
                format!("/api/v1/members/{m}/attendance"),
                None,
                [401, 200, 200, 404, 200, 404],
            ),
            (
                Method::GET,
                "/api/v1/meetings".into(),
                None,
                [401, 200, 200, 200, 200, 403],
            ),
            (
                Method::POST,
                "/api/v1/meetings".into(),
                Some(
                    json!({"group_id": g, "title": "T", "activity_kind": "workshop", "date": "2025-07-01", "duration_minutes": 90}),
                ),
                [401, 201, 201, 422, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/meetings/{x}"),
                None,
                [401, 200, 200, 404, 200, 403],
            ),
            (
                Method::PATCH,
                format!("/api/v1/meetings/{x}"),
                Some(json!({"title": "Renamed"})),
                [401, 200, 200, 404, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/meetings/{x}/attendance"),
                None,
                [401, 200, 200, 404, 200, 403],
            ),
            (
                Method::PUT,
                format!("/api/v1/meetings/{x}/attendance"),
                Some(json!({"records": [{"member_id": m, "status": "attended"}]})),
                [401, 200, 200, 404, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/meetings/{x}/expenses"),
                None,
                [401, 200, 200, 404, 200, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/meetings/{x}/expenses"),
                // A member claiming for someone else meets a 404, as for any record not theirs.
                Some(json!({"member_id": m, "kind": "taxi", "amount": "9.00"})),
                [401, 201, 201, 404, 403, 404],
            ),
            (
                Method::POST,
                format!("/api/v1/expenses/{}/approve", claims[i]),
                None,
                [401, 200, 200, 404, 403, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/expenses/{}/reject", claims[6 + i]),
                Some(json!({"reason": "no"})),
                [401, 200, 200, 404, 403, 403],
            ),
        ];
        for (method, path, body, expect) in cases {
            let res = app
                .call(
                    method.clone(),
                    &path,
                    caller.map(|u| u.token.as_str()),
                    body,
                )
                .await;
            let status = res.status().as_u16();
            if status != expect[i] {
                let who = [
                    "anonymous",
                    "admin",
                    "coordinator",
                    "other coordinator",
                    "finance",
                    "member",
                ][i];
                let text = res.text().await.unwrap_or_default();
                failures.push(format!(
                    "{method} {path} as {who}: got {status}, expected {}: {text}",
                    expect[i]
                ));
            }
        }
    }
    // Archiving last, as it takes the member off the register the cases above use.
    let path = format!("/api/v1/members/{m}/archive");
    for (i, expected) in [(5, 403), (4, 403), (3, 404), (0, 401), (2, 200), (1, 200)] {
        let res = app
            .call(
                Method::POST,
                &path,
                callers[i].map(|u| u.token.as_str()),
                None,
            )
            .await;
        if res.status().as_u16() != expected {
            failures.push(format!(
                "POST {path} as caller {i}: got {}, expected {expected}",
                res.status()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

both_backends!(
    every_endpoint_answers_every_role_as_documented,
    admins_manage_scope_and_roles_with_clear_errors,
    every_records_endpoint_answers_every_role_as_documented,
);
