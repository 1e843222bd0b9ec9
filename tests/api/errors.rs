use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::Duration;

use crate::both_backends;
use crate::helpers::{assert_problem, eventually, spawn_app, Role, TestBackend};

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

/// Two admins add the same address at the same moment: both pass the check for an existing
/// account before either writes, and the unique key refuses the second. That is one account, one
/// 201 and one 409 in plain words, never a 500. PostgreSQL only: SQLite takes one writer at a
/// time, so there the second simply finds the first.
async fn one_address_added_twice_at_once_is_one_account_and_one_409(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    // Inserts into accounts wait behind this lock while reads go on, so both requests are past
    // their check when the lock is let go, and race to the unique key.
    let url = secrecy::ExposeSecret::expose_secret(&app.settings.database.url).to_string();
    let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let locker = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        conn.batch_execute("BEGIN; LOCK TABLE accounts IN SHARE MODE")
            .unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(30));
        conn.batch_execute("COMMIT").unwrap();
    });
    locked_rx.await.unwrap();
    let body = serde_json::json!({"email": "same.moment@example.org", "role": "finance"});
    let add = || app.post_as("/api/v1/accounts", Some(&admin.token), body.clone());
    let release = async {
        eventually(
            "both inserts to wait for the lock",
            Duration::from_secs(20),
            || async {
                let waiting: i64 = app
                    .with_db(|c| {
                        #[derive(QueryableByName)]
                        struct N {
                            #[diesel(sql_type = diesel::sql_types::BigInt)]
                            n: i64,
                        }
                        diesel::sql_query(
                            "SELECT count(*) AS n FROM pg_locks \
                             WHERE relation = 'accounts'::regclass AND NOT granted",
                        )
                        .get_result::<N>(c)
                        .unwrap()
                        .n
                    })
                    .await;
                (waiting == 2).then_some(())
            },
        )
        .await;
        release_tx.send(()).unwrap();
    };
    let (a, b, ()) = tokio::join!(add(), add(), release);
    locker.join().unwrap();
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "one account and one conflict");
    let refused = if a.status() == 409 { a } else { b };
    let problem = assert_problem(refused, 409).await;
    assert_eq!(
        problem["detail"],
        coprod::services::error::UNIQUE_CONFLICT,
        "the unique key's refusal, in plain words: {problem}"
    );
    let accounts: i64 = app
        .with_db(|c| {
            use coprod::db::schema::accounts::dsl as a;
            a::accounts
                .filter(a::email.eq("same.moment@example.org"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(accounts, 1);
}

both_backends!(
    unknown_routes_are_404_problems,
    wrong_methods_are_405_problems,
    bad_bodies_are_problems_and_name_the_field,
    bad_query_strings_are_400_problems;
    postgres only: one_address_added_twice_at_once_is_one_account_and_one_409,
);
