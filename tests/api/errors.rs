use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, TestBackend};

async fn unknown_routes_are_404_problems(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert_eq!(body["title"], "Not Found");
    assert_problem(app.get("/no-such-page").await, 404).await;
    // The root is the portal: it sends a browser to sign in.
    let res = app.get("/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/sign-in");
}

async fn wrong_methods_are_405_problems(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, 405).await;
    let res = app.client.post(app.url("/ready")).send().await.unwrap();
    assert_problem(res, 405).await;
}

async fn bad_bodies_are_problems_and_name_the_field(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let login = app.url("/api/v1/auth/login");

    // Malformed JSON: 400.
    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    // A missing field, a wrong type, an unknown field: 400 naming the field.
    for (json, field, words) in [
        (
            serde_json::json!({"email": "a@example.org"}),
            "",
            "missing field `password`",
        ),
        (
            serde_json::json!({"email": 5, "password": "x"}),
            "email",
            "invalid type",
        ),
        (
            serde_json::json!({"email": "a@example.org", "password": "x", "admin": true}),
            "admin",
            "unknown field `admin`",
        ),
    ] {
        let res = app.client.post(&login).json(&json).send().await.unwrap();
        let body = assert_problem(res, 400).await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(words),
            "{body}"
        );
    }

    // Not JSON at all: 415.
    let res = app
        .client
        .post(&login)
        .header("content-type", "text/plain")
        .body("email=a@example.org")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
    let res = app.client.post(&login).body("{}").send().await.unwrap();
    assert_problem(res, 415).await;

    // Over the limit: 413, whether the length is declared or streamed.
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(300_000)
    );
    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
    let stream = futures_util::stream::iter(
        huge.into_bytes()
            .chunks(8192)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
}

async fn bad_query_strings_are_400_problems(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(crate::helpers::Role::Admin).await;
    let res = app
        .get_as("/api/v1/audit?from=yesterday", &admin.token)
        .await;
    assert_problem(res, 400).await;
    let res = app
        .get_as("/api/v1/accounts?limit=lots", &admin.token)
        .await;
    assert_problem(res, 400).await;
    let res = app.get_as("/api/v1/accounts?limit=0", &admin.token).await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "limit");
    let res = app
        .get_as("/api/v1/accounts?role=superuser", &admin.token)
        .await;
    assert_problem(res, 400).await;
}

both_backends!(
    unknown_routes_are_404_problems,
    wrong_methods_are_405_problems,
    bad_bodies_are_problems_and_name_the_field,
    bad_query_strings_are_400_problems,
);
