//! What coordinators log after a session: groups, members, memberships over time, meetings,
//! registers and expense claims, with every role and bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Role, TestApp, TestBackend, User};

async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// A member in the coordinator's group from 2025-01-01, with `role`.
async fn member_in(app: &TestApp, coord: &User, name: &str, role: &str) -> String {
    let m = created(
        app.post_as(
            "/api/v1/members",
            Some(&coord.token),
            json!({"full_name": name}),
        )
        .await,
    )
    .await;
    let id = m["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/groups/{}/memberships", coord.group_ids[0]);
    created(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": id, "role": role, "starts_on": "2025-01-01"}),
        )
        .await,
    )
    .await;
    id
}

async fn meeting(app: &TestApp, coord: &User, duration: i64) -> String {
    let body = json!({
        "group_id": coord.group_ids[0], "title": "Quarterly advisory group", "activity_kind": "meeting",
        "date": "2025-06-10", "starts_at": "10:00", "duration_minutes": duration, "prep_minutes_allowed": 60,
        "location": "Town Hall, Room 2"
    });
    created(
        app.post_as("/api/v1/meetings", Some(&coord.token), body)
            .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn reference_data_is_seeded_and_extended_by_admins(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let member = app.user(Role::Member).await;
    let roles: Value = app
        .get_as("/api/v1/roles", &member.token)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in [
        "co_chair",
        "chair",
        "member",
        "lived_experience_associate",
        "carer_representative",
    ] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    let kinds: Value = app
        .get_as("/api/v1/activity-kinds", &member.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kinds["items"].as_array().unwrap().len(), 6);

    let res = app
        .post_as(
            "/api/v1/roles",
            Some(&admin.token),
            json!({"code": "peer_researcher", "label": "Peer researcher"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        app.post_as(
            "/api/v1/roles",
            Some(&admin.token),
            json!({"code": "peer_researcher", "label": "Again"}),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/roles",
            Some(&admin.token),
            json!({"code": "Bad Code", "label": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/roles",
            Some(&member.token),
            json!({"code": "x", "label": "x"}),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .post_as(
            "/api/v1/activity-kinds",
            Some(&admin.token),
            json!({"code": "focus_group", "label": "Focus group"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        app.call(Method::GET, "/api/v1/roles", None, None).await,
        401,
    )
    .await;
}

async fn memberships_never_overlap_and_answer_the_role_on_a_date(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let coord = app.user(Role::Coordinator).await;
    let group = &coord.group_ids[0];
    let m = created(
        app.post_as(
            "/api/v1/members",
            Some(&coord.token),
            json!({"full_name": "Priya Shah"}),
        )
        .await,
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let path = format!("/api/v1/groups/{group}/memberships");
    let first = created(app.post_as(&path, Some(&coord.token),
        json!({"member_id": id, "role": "member", "starts_on": "2024-04-01", "ends_on": "2025-03-31"})).await).await;
    created(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": id, "role": "co_chair", "starts_on": "2025-04-01"}),
        )
        .await,
    )
    .await;
    let clash = app.post_as(&path, Some(&coord.token), json!({"member_id": id, "role": "chair", "starts_on": "2025-03-01", "ends_on": "2025-05-01"})).await;
    assert_problem(clash, 409).await;
    // Stretching the first to overlap the second is refused too.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/memberships/{}", first["id"].as_str().unwrap()),
            Some(&coord.token),
            Some(json!({"ends_on": "2025-06-01"})),
        )
        .await;
    assert_problem(res, 409).await;

    for (on, role) in [
        ("2024-12-25", "member"),
        ("2025-04-01", "co_chair"),
        ("2030-01-01", "co_chair"),
    ] {
        let page: Value = app
            .get_as(&format!("{path}?on={on}&member_id={id}"), &coord.token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{on}");
        assert_eq!(page["items"][0]["role"], role, "{on}");
    }
    let page: Value = app
        .get_as(&format!("{path}?on=2020-01-01"), &coord.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());

    for (body, field) in [
        (
            json!({"member_id": id, "role": "wizard", "starts_on": "2026-01-01"}),
            "role",
        ),
        (
            json!({"member_id": "nope", "role": "member", "starts_on": "2026-01-01"}),
            "member_id",
        ),
        (
            json!({"member_id": id, "role": "member", "starts_on": "2026-02-01", "ends_on": "2026-01-01"}),
            "ends_on",
        ),
    ] {
        let p = assert_problem(app.post_as(&path, Some(&coord.token), body).await, 422).await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = assert_problem(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": id, "role": "member", "starts_on": "1st April"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "starts_on");
}

async fn coordinators_see_only_their_own_groups(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mine = app.user(Role::Coordinator).await;
    let other = app.user(Role::Coordinator).await;
    let finance = app.user(Role::Finance).await;
    let member_user = app.user(Role::Member).await;
    let member_id = member_in(&app, &mine, "Ann Jones", "member").await;
    let meeting_id = meeting(&app, &mine, 120).await;
    let group = &mine.group_ids[0];

    for path in [
        format!("/api/v1/groups/{group}"),
        format!("/api/v1/groups/{group}/memberships"),
        format!("/api/v1/meetings/{meeting_id}"),
        format!("/api/v1/meetings/{meeting_id}/attendance"),
        format!("/api/v1/meetings/{meeting_id}/expenses"),
        format!("/api/v1/members/{member_id}"),
        format!("/api/v1/members/{member_id}/attendance"),
    ] {
        assert_eq!(app.get_as(&path, &mine.token).await.status(), 200, "{path}");
        assert_eq!(
            app.get_as(&path, &finance.token).await.status(),
            200,
            "finance reads {path}"
        );
        assert_problem(app.get_as(&path, &other.token).await, 404).await;
    }
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            Some(&other.token),
            Some(json!({"records": [{"member_id": member_id, "status": "attended"}]})),
        )
        .await;
    assert_problem(res, 404).await;
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            Some(&finance.token),
            Some(json!({"records": [{"member_id": member_id, "status": "attended"}]})),
        )
        .await;
    assert_problem(res, 403).await;
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/groups/{group}"),
            Some(&other.token),
            Some(json!({"name": "Mine now"})),
        )
        .await;
    assert_problem(res, 404).await;
    assert_problem(app.get_as("/api/v1/groups", &member_user.token).await, 403).await;
    assert_problem(
        app.get_as("/api/v1/meetings", &member_user.token).await,
        403,
    )
    .await;
    assert_problem(app.get_as("/api/v1/members", &member_user.token).await, 403).await;

    let listed: Value = app
        .get_as("/api/v1/groups", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["id"] != group.as_str()));
    let listed: Value = app
        .get_as("/api/v1/meetings", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty());
    let listed: Value = app
        .get_as("/api/v1/members", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != member_id.as_str()));
    // A meeting cannot be made in someone else's group.
    let res = app.post_as("/api/v1/meetings", Some(&other.token), json!({"group_id": group, "title": "x", "activity_kind": "meeting", "date": "2025-06-10", "duration_minutes": 60})).await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "group_id"
    );
}

async fn members_are_searched_archived_and_read_by_themselves(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coord = app.user(Role::Coordinator).await;
    let ann = member_in(&app, &coord, "Ann McDonald", "member").await;
    member_in(&app, &coord, "Bob Smith", "member").await;
    let p = created(app.post_as("/api/v1/members", Some(&coord.token), json!({
        "full_name": "Patricia Okafor", "preferred_name": "Trish", "email": "Trish@Example.org",
        "phone": "01234 567890", "payee_reference": "SUP-0042", "communication_needs": "Large print", "notes": "Prefers mornings"
    })).await).await;
    assert_eq!(p["email"], "trish@example.org");
    assert_eq!(p["payee_reference"], "SUP-0042");

    for (q, expected) in [
        ("mcdon", vec!["Ann McDonald"]),
        ("TRISH", vec!["Patricia Okafor"]),
        ("smith", vec!["Bob Smith"]),
        ("%", vec![]),
    ] {
        let page: Value = app
            .get_as(&format!("/api/v1/members?q={}", urlencode(q)), &coord.token)
            .await
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["full_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "q={q}");
    }
    let page: Value = app
        .get_as("/api/v1/members?limit=2", &coord.token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann McDonald", "Bob Smith"], "by name");
    let cursor = page["next_cursor"].as_str().unwrap();
    let page: Value = app
        .get_as(
            &format!("/api/v1/members?limit=2&cursor={cursor}"),
            &coord.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["full_name"], "Patricia Okafor");
    assert!(page["next_cursor"].is_null());
    assert_problem(
        app.get_as("/api/v1/members?cursor=forged", &coord.token)
            .await,
        422,
    )
    .await;

    for (body, field) in [
        (json!({"full_name": "  "}), "full_name"),
        (json!({"full_name": "x".repeat(201)}), "full_name"),
        (json!({"full_name": "Ok", "email": "nope"}), "email"),
    ] {
        let problem = assert_problem(
            app.post_as("/api/v1/members", Some(&coord.token), body)
                .await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    assert_problem(
        app.post_as(
            "/api/v1/members",
            Some(&coord.token),
            json!({"name": "wrong field"}),
        )
        .await,
        400,
    )
    .await;

    // The member themself: reads their record (no staff notes) and changes their contact details only.
    let id = p["id"].as_str().unwrap();
    let email = "trish.account@example.org";
    let res = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": email, "role": "member", "member_id": id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = app.delivered_token(email, "invited").await;
    let signed: Value = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "password": "Quiet-Meadow-Lantern-42"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let trish = signed["token"].as_str().unwrap().to_string();
    let me: Value = app
        .get_as(&format!("/api/v1/members/{id}"), &trish)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["preferred_name"], "Trish");
    assert!(
        me["notes"].is_null(),
        "staff notes are not shown to the member"
    );
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{id}"),
            Some(&trish),
            Some(json!({"phone": "07700 900123", "communication_needs": null})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/members/{id}"),
            Some(&trish),
            Some(json!({"notes": "mine"})),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "notes"
    );
    assert_problem(
        app.get_as(&format!("/api/v1/members/{ann}"), &trish).await,
        404,
    )
    .await;
    let after: Value = app
        .get_as(&format!("/api/v1/members/{id}"), &coord.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["phone"], "07700 900123");
    assert!(after["communication_needs"].is_null());
    assert_eq!(after["notes"], "Prefers mornings");

    // Archiving keeps the record and takes the member off registers.
    let meeting_id = meeting(&app, &coord, 120).await;
    let res = app
        .post_as(
            &format!("/api/v1/members/{ann}/archive"),
            Some(&coord.token),
            json!({"reason": "moved away"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let register: Value = app
        .get_as(
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            &coord.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(register["records"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["member_id"] != ann.as_str()));
    assert_eq!(
        app.get_as(&format!("/api/v1/members/{ann}"), &coord.token)
            .await
            .status(),
        200
    );
    let all: Value = app
        .get_as("/api/v1/members?archived=true&q=ann", &coord.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"][0]["archived"], true);
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting_id}/attendance"),
            Some(&coord.token),
            Some(json!({"records": [{"member_id": ann, "status": "attended"}]})),
        )
        .await;
    assert_problem(res, 422).await;
    let events: Vec<String> = app
        .audit_of(&ann)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(events, ["member.created", "member.archived"]);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn registers_list_everyone_and_save_all_or_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let coord = app.user(Role::Coordinator).await;
    let chair = member_in(&app, &coord, "Alex Chair", "co_chair").await;
    let sam = member_in(&app, &coord, "Sam Member", "member").await;
    let jo = member_in(&app, &coord, "Jo Member", "member").await;
    let outsider = created(
        app.post_as(
            "/api/v1/members",
            Some(&coord.token),
            json!({"full_name": "Not In Group"}),
        )
        .await,
    )
    .await;
    let meeting_id = meeting(&app, &coord, 360).await;
    let path = format!("/api/v1/meetings/{meeting_id}/attendance");

    let register: Value = app.get_as(&path, &coord.token).await.json().await.unwrap();
    let records = register["records"].as_array().unwrap();
    assert_eq!(
        records.len(),
        3,
        "everyone in the group on the date, without records yet"
    );
    assert!(records.iter().all(|r| r["status"].is_null()));
    assert_eq!(register["meeting"]["duration_minutes"], 360);

    let good = json!({"records": [
        {"member_id": chair, "status": "partial", "attended_minutes": 200, "role": "chair"},
        {"member_id": sam, "status": "attended", "prep_minutes": 90},
        {"member_id": jo, "status": "apologies"},
    ]});
    let res = app
        .call(Method::PUT, &path, Some(&coord.token), Some(good))
        .await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    let by: std::collections::HashMap<&str, &Value> = saved["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["member_id"].as_str().unwrap(), r))
        .collect();
    assert_eq!(by[chair.as_str()]["attended_minutes"], 200);
    assert_eq!(by[chair.as_str()]["role"], "chair");
    assert_eq!(by[chair.as_str()]["membership_role"], "co_chair");
    assert_eq!(by[sam.as_str()]["attended_minutes"], 360);
    assert_eq!(by[sam.as_str()]["prep_minutes"], 90);
    assert_eq!(by[jo.as_str()]["status"], "apologies");

    // Every bad record is named, and nothing changes.
    let bad = json!({"records": [
        {"member_id": sam, "status": "partial", "attended_minutes": 400},
        {"member_id": jo, "status": "attended", "prep_minutes": -5},
        {"member_id": outsider["id"], "status": "attended"},
        {"member_id": chair, "status": "absent", "role": "emperor"},
    ]});
    let res = app
        .call(Method::PUT, &path, Some(&coord.token), Some(bad))
        .await;
    let problem = assert_problem(res, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "records[0].attended_minutes",
            "records[1].prep_minutes",
            "records[2].member_id",
            "records[3].role"
        ]
    );
    let after: Value = app.get_as(&path, &coord.token).await.json().await.unwrap();
    assert_eq!(after["records"], saved["records"], "nothing was written");

    for (body, status) in [
        (
            json!({"records": [{"member_id": sam, "status": "asleep"}]}),
            400,
        ),
        (
            json!({"records": [{"member_id": sam, "status": "attended", "prep_minutes": "ninety"}]}),
            400,
        ),
        (
            json!({"records": [{"member_id": sam, "status": "attended", "colour": "red"}]}),
            400,
        ),
        (
            json!({"records": [{"member_id": sam, "status": "attended"}, {"member_id": sam, "status": "absent"}]}),
            422,
        ),
        (json!({"rows": []}), 400),
    ] {
        assert_problem(
            app.call(Method::PUT, &path, Some(&coord.token), Some(body))
                .await,
            status,
        )
        .await;
    }
    assert_problem(
        app.call(
            Method::PUT,
            "/api/v1/meetings/nope/attendance",
            Some(&coord.token),
            Some(json!({"records": []})),
        )
        .await,
        404,
    )
    .await;
    let mine: Value = app
        .get_as(&format!("/api/v1/members/{sam}/attendance"), &coord.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["prep_minutes"], 90);
    assert!(app
        .audit_of(&meeting_id)
        .await
        .iter()
        .any(|e| e.action == "attendance.saved"));
}

async fn a_big_register_is_one_transaction_at_a_fixed_query_cost(backend: TestBackend) {
    // The mail worker stays quiet so the query counter measures the requests alone, and every
    // request reads its actor (rather than sometimes from memory, depending on what other tests
    // in this process change meanwhile).
    let app = spawn_app_with(backend, |s| {
        s.mail.poll_interval_ms = 3_600_000;
        s.auth.actor_cache_seconds = 0;
    })
    .await;
    let coord = app.user(Role::Coordinator).await;
    let group = coord.group_ids[0].clone();
    // 200 members, straight into the database for speed.
    let ids = app
        .with_db(move |c| {
            use coprod::db::people;
            let now = coprod::db::now();
            let mut ids = Vec::new();
            for i in 0..200 {
                let m = people::MemberRow {
                    id: coprod::db::new_id(),
                    full_name: format!("Member {i:03}"),
                    preferred_name: None,
                    email: None,
                    phone: None,
                    payee_reference: None,
                    communication_needs: None,
                    notes: None,
                    archived_at: None,
                    created_at: now,
                    updated_at: now,
                    preferred_formats: String::new(),
                    postal_address: None,
                };
                people::insert_member(c, &m).unwrap();
                people::insert_membership(
                    c,
                    &people::MembershipRow {
                        id: coprod::db::new_id(),
                        group_id: group.clone(),
                        member_id: m.id.clone(),
                        role: "member".into(),
                        starts_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                        ends_on: None,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .unwrap();
                ids.push(m.id);
            }
            ids
        })
        .await;
    let meeting_id = meeting(&app, &coord, 120).await;
    let path = format!("/api/v1/meetings/{meeting_id}/attendance");

    // One invalid record among 200: nothing is written.
    let mut records: Vec<Value> = ids
        .iter()
        .map(|id| json!({"member_id": id, "status": "attended"}))
        .collect();
    records[150] = json!({"member_id": ids[150], "status": "partial", "attended_minutes": 0});
    let res = app
        .call(
            Method::PUT,
            &path,
            Some(&coord.token),
            Some(json!({"records": records})),
        )
        .await;
    assert_eq!(
        assert_problem(res, 422).await["errors"][0]["field"],
        "records[150].attended_minutes"
    );
    let register: Value = app.get_as(&path, &coord.token).await.json().await.unwrap();
    assert!(
        register["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"].is_null()),
        "none written"
    );

    // The cost of saving and reading a register does not grow with its size.
    let mut costs = Vec::new();
    for n in [10usize, 50, 200] {
        let records: Vec<Value> = ids[..n]
            .iter()
            .map(|id| json!({"member_id": id, "status": "attended", "prep_minutes": 30}))
            .collect();
        let before = app.db.queries();
        let res = app
            .call(
                Method::PUT,
                &path,
                Some(&coord.token),
                Some(json!({"records": records})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let put = app.db.queries() - before;
        let before = app.db.queries();
        assert_eq!(app.get_as(&path, &coord.token).await.status(), 200);
        let get = app.db.queries() - before;
        costs.push((n, put, get));
    }
    assert_eq!(
        costs[0].1, costs[1].1,
        "PUT of 10 and 50 records: {costs:?}"
    );
    assert_eq!(
        costs[1].1, costs[2].1,
        "PUT of 50 and 200 records: {costs:?}"
    );
    assert_eq!(costs[0].2, costs[2].2, "GET: {costs:?}");
    assert!(costs[2].1 <= 20 && costs[2].2 <= 10, "{costs:?}");
}

async fn expense_claims_are_exact_and_decided_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let coord = app.user(Role::Coordinator).await;
    let sam = member_in(&app, &coord, "Sam Driver", "member").await;
    let jo = member_in(&app, &coord, "Jo Rider", "member").await;
    let meeting_id = meeting(&app, &coord, 180).await;
    let path = format!("/api/v1/meetings/{meeting_id}/expenses");

    let car = created(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": sam, "kind": "car", "miles": 28, "passengers": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(car["miles"], "28");
    assert!(
        car["amount"].is_null(),
        "mileage is priced by the remuneration engine"
    );
    assert_eq!(car["status"], "pending");
    let taxi = created(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": sam, "kind": "taxi", "amount": "12.60", "receipt_ref": "R-1"}),
        )
        .await,
    )
    .await;
    assert_eq!(taxi["amount"], "12.60");
    let care = created(
        app.post_as(
            &path,
            Some(&coord.token),
            json!({"member_id": jo, "kind": "care", "care_type": "childcare", "amount": "45"}),
        )
        .await,
    )
    .await;
    assert_eq!(care["amount"], "45.00");

    for (body, status, field) in [
        (
            json!({"member_id": sam, "kind": "taxi", "amount": "12.605"}),
            400,
            "amount",
        ),
        (
            json!({"member_id": sam, "kind": "taxi", "amount": 12.6}),
            400,
            "amount",
        ),
        (
            json!({"member_id": sam, "kind": "taxi", "amount": "-3.00"}),
            422,
            "amount",
        ),
        (json!({"member_id": sam, "kind": "taxi"}), 422, "amount"),
        (json!({"member_id": sam, "kind": "car"}), 422, "miles"),
        (
            json!({"member_id": sam, "kind": "car", "miles": 10, "amount": "4.50"}),
            422,
            "amount",
        ),
        (
            json!({"member_id": sam, "kind": "car", "miles": "12.55"}),
            400,
            "miles",
        ),
        (
            json!({"member_id": sam, "kind": "bicycle", "miles": 3, "passengers": 1}),
            422,
            "passengers",
        ),
        (
            json!({"member_id": sam, "kind": "taxi", "amount": "1.00", "care_type": "childcare"}),
            422,
            "care_type",
        ),
        (
            json!({"member_id": sam, "kind": "other", "amount": "1.00"}),
            422,
            "description",
        ),
        (
            json!({"member_id": sam, "kind": "yacht", "amount": "1.00"}),
            400,
            "kind",
        ),
        (
            json!({"member_id": "nope", "kind": "taxi", "amount": "1.00"}),
            422,
            "member_id",
        ),
    ] {
        let p = assert_problem(
            app.post_as(&path, Some(&coord.token), body.clone()).await,
            status,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body} → {p}");
    }

    // Approve once; reject needs a reason; a decided claim stays decided.
    let approve = format!("/api/v1/expenses/{}/approve", taxi["id"].as_str().unwrap());
    let res = app
        .call(Method::POST, &approve, Some(&coord.token), None)
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.call(Method::POST, &approve, Some(&coord.token), None)
            .await,
        409,
    )
    .await;
    let reject = format!("/api/v1/expenses/{}/reject", care["id"].as_str().unwrap());
    assert_problem(
        app.post_as(&reject, Some(&coord.token), json!({"reason": "  "}))
            .await,
        422,
    )
    .await;
    let res = app
        .post_as(
            &reject,
            Some(&coord.token),
            json!({"reason": "No receipt yet; please send one."}),
        )
        .await;
    let rejected: Value = res.json().await.unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["rejection_reason"],
        "No receipt yet; please send one."
    );
    let other = app.user(Role::Coordinator).await;
    let car_approve = format!("/api/v1/expenses/{}/approve", car["id"].as_str().unwrap());
    assert_problem(
        app.call(Method::POST, &car_approve, Some(&other.token), None)
            .await,
        404,
    )
    .await;

    // A member claims for themself only.
    let res = app
        .post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "sam@example.org", "role": "member", "member_id": sam}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = app.delivered_token("sam@example.org", "invited").await;
    let signed: Value = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "password": "Quiet-Meadow-Lantern-42"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let sam_token = signed["token"].as_str().unwrap().to_string();
    created(
        app.post_as(
            &path,
            Some(&sam_token),
            json!({"member_id": sam, "kind": "parking", "amount": "4.20"}),
        )
        .await,
    )
    .await;
    assert_problem(
        app.post_as(
            &path,
            Some(&sam_token),
            json!({"member_id": jo, "kind": "parking", "amount": "4.20"}),
        )
        .await,
        404,
    )
    .await;
    assert_problem(
        app.call(Method::POST, &car_approve, Some(&sam_token), None)
            .await,
        403,
    )
    .await;
    let list: Value = app.get_as(&path, &coord.token).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    let events: Vec<String> = app
        .audit_of(taxi["id"].as_str().unwrap())
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(events, ["expense.created", "expense.approved"]);
}

async fn an_idempotency_key_gives_the_first_answer_again(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let coord = app.user(Role::Coordinator).await;
    let send = |key: &'static str, name: &'static str| {
        let app = &app;
        let token = coord.token.clone();
        async move {
            app.client
                .post(app.url("/api/v1/members"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"full_name": name}))
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("create-ann-1", "Ann").await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = send("create-ann-1", "Ann").await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        first["id"], again["id"],
        "the same member, not a second one"
    );
    assert_problem(send("create-ann-1", "Bob").await, 422).await;
    assert_eq!(send("create-bob-1", "Bob").await.status(), 201);
    let all: Value = app
        .get_as("/api/v1/members", &coord.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let bad = app
        .client
        .post(app.url("/api/v1/members"))
        .bearer_auth(&coord.token)
        .header("Idempotency-Key", "")
        .json(&json!({"full_name": "C"}))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 400).await;
    // Keys are per account: another coordinator's same key is a new request.
    let other = app.user(Role::Coordinator).await;
    let res = app
        .client
        .post(app.url("/api/v1/members"))
        .bearer_auth(&other.token)
        .header("Idempotency-Key", "create-ann-1")
        .json(&json!({"full_name": "Ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let theirs: Value = res.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
}

both_backends!(
    reference_data_is_seeded_and_extended_by_admins,
    memberships_never_overlap_and_answer_the_role_on_a_date,
    coordinators_see_only_their_own_groups,
    members_are_searched_archived_and_read_by_themselves,
    registers_list_everyone_and_save_all_or_nothing,
    a_big_register_is_one_transaction_at_a_fixed_query_cost,
    expense_claims_are_exact_and_decided_once,
    an_idempotency_key_gives_the_first_answer_again,
);
