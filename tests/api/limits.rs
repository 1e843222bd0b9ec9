//! Benefit limits: shipped figures seeded on both backends, read by everyone, extended by admins.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, Role, TestBackend};

async fn benefit_limits_are_seeded_and_extended_by_an_admin(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let member = app.user(Role::Member).await;

    let seeded = app
        .with_db(|c| coprod::services::limits::load(c).unwrap())
        .await;
    let mut shipped = coprod::domain::limits::shipped();
    shipped.sort_by(|a, b| (&a.code, a.effective_from).cmp(&(&b.code, b.effective_from)));
    assert_eq!(
        seeded, shipped,
        "the database holds exactly the figures the domain ships"
    );

    let all: Value = app
        .get_as(
            "/api/v1/benefit-limits?code=esa_permitted_work",
            &member.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let amounts: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["183.50", "195.50"]);

    let next = json!({"code": "esa_permitted_work", "period": "week", "amount": "203.00", "effective_from": "2026-04-06"});
    let res = app
        .post_as("/api/v1/benefit-limits", Some(&admin.token), next.clone())
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        app.post_as("/api/v1/benefit-limits", Some(&admin.token), next.clone())
            .await,
        409,
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/benefit-limits", Some(&member.token), next)
            .await,
        403,
    )
    .await;
    for (body, status, field) in [
        (
            json!({"code": "esa_permitted_work", "period": "month", "amount": "900.00", "effective_from": "2027-04-05"}),
            422,
            "period",
        ),
        (
            json!({"code": "new_limit", "period": "week", "amount": "0.00", "effective_from": "2027-04-05"}),
            422,
            "amount",
        ),
        (
            json!({"code": "Bad Code", "period": "week", "amount": "1.00", "effective_from": "2027-04-05"}),
            422,
            "code",
        ),
        (
            json!({"code": "x", "period": "fortnight", "amount": "1.00", "effective_from": "2027-04-05"}),
            400,
            "period",
        ),
        (
            json!({"code": "x", "period": "week", "amount": 1.0, "effective_from": "2027-04-05"}),
            400,
            "amount",
        ),
        (
            json!({"code": "x", "period": "week", "amount": "1.001", "effective_from": "2027-04-05"}),
            400,
            "amount",
        ),
    ] {
        let p = assert_problem(
            app.post_as("/api/v1/benefit-limits", Some(&admin.token), body.clone())
                .await,
            status,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body} → {p}");
    }
    let limits = app
        .with_db(|c| coprod::services::limits::load(c).unwrap())
        .await;
    let in_force = coprod::domain::limits::in_force(
        &limits,
        "esa_permitted_work",
        "2026-05-01".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(in_force.amount.to_string(), "203.00");
    assert_problem(
        app.call(reqwest::Method::GET, "/api/v1/benefit-limits", None, None)
            .await,
        401,
    )
    .await;
}

both_backends!(benefit_limits_are_seeded_and_extended_by_an_admin);
