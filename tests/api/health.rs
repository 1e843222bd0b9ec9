use crate::both_backends;
use crate::helpers::{spawn_app, TestBackend};

async fn health_and_ready_answer(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

async fn every_response_has_a_request_id_and_security_headers(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app.get("/health").await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));

    // A caller's own sane request id is kept, so logs can be followed across services.
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "lb-1234_abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-1234_abc");
    // A hostile one is replaced.
    let res = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "bad id <script>")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id <script>");
    assert!(res.headers().contains_key("x-request-id"));
}

async fn metrics_count_requests_by_route_and_status(backend: TestBackend) {
    let app = spawn_app(backend).await;
    app.get("/health").await;
    app.get("/health").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"coprod_http_requests_total{method="GET",route="/health",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"coprod_http_request_duration_seconds_count{route="/health"} 2"#));
    assert!(text.contains(r#"coprod_db_pool_connections{state="in_use"}"#));
    assert!(text.contains(r#"coprod_outbox_messages{status="pending"} 0"#));
}

async fn openapi_and_docs_are_served_from_the_binary(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/health"]["get"].is_object());
    assert!(doc["paths"]["/ready"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every endpoint the server routes is described.
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/accounts/{id}", "patch"),
        ("/api/v1/audit", "get"),
        ("/api/v1/groups/{id}/memberships", "post"),
        ("/api/v1/memberships/{id}", "patch"),
        ("/api/v1/members/{id}/archive", "post"),
        ("/api/v1/meetings/{id}/attendance", "put"),
        ("/api/v1/meetings/{id}/expenses", "post"),
        ("/api/v1/expenses/{id}/reject", "post"),
        ("/api/v1/activity-kinds", "post"),
        ("/api/v1/benefit-limits", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let res = app.get("/api/docs").await;
    assert!(res.status().is_redirection());
    let res = app.get("/api/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let res = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(res.status(), 200, "the UI's script is compiled in");
    let res = app.get("/api/docs/swagger-initializer.js").await;
    assert!(res.text().await.unwrap().contains("/api/v1/openapi.json"));
}

both_backends!(
    health_and_ready_answer,
    every_response_has_a_request_id_and_security_headers,
    metrics_count_requests_by_route_and_status,
    openapi_and_docs_are_served_from_the_binary,
);
