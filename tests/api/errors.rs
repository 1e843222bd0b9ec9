use crate::both_backends;
use crate::helpers::{assert_problem, spawn_app, TestBackend};

async fn unknown_routes_are_404_problems(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404).await;
    assert_eq!(body["title"], "Not Found");
    assert_problem(app.get("/").await, 404).await;
}

async fn wrong_methods_are_405_problems(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, 405).await;
    let res = app.client.post(app.url("/ready")).send().await.unwrap();
    assert_problem(res, 405).await;
}

both_backends!(
    unknown_routes_are_404_problems,
    wrong_methods_are_405_problems
);
