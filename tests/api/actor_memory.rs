//! The short memory of who a token belongs to (`auth.actor_cache_seconds`), across two servers on
//! one database: what the instance that signs someone out (or changes their account) does is
//! seen at once there; a change the other server cannot hear of is seen within the bound.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::Method;

use crate::both_backends;
use crate::helpers::{eventually, spawn_app_with, Role, TestApp, TestBackend, PASSWORD};

const MEMORY_SECONDS: u64 = 2;

async fn me(app: &TestApp, token: &str) -> u16 {
    app.get_as("/api/v1/me", token).await.status().as_u16()
}

/// Waits until `app` refuses `token`, and says how long that took.
async fn refused_within(app: &TestApp, token: &str, bound: Duration) -> Duration {
    let started = Instant::now();
    eventually("the token to be refused", bound, || async {
        (me(app, token).await == 401).then_some(())
    })
    .await;
    started.elapsed()
}

/// Ends every session of `account` straight in the database, as another process would: no
/// server of this process hears of it.
async fn end_sessions_in_the_database(app: &TestApp, account: &str) {
    let account = account.to_string();
    app.with_db(move |c| {
        use coprod::db::schema::sessions::dsl as s;
        diesel::update(s::sessions.filter(s::account_id.eq(&account)))
            .set(s::revoked_at.eq(Some(coprod::db::now())))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn two_instances_forget_a_sign_out_within_the_bound(backend: TestBackend) {
    let a = spawn_app_with(backend.clone(), |s| {
        s.auth.actor_cache_seconds = MEMORY_SECONDS;
    })
    .await;
    let url = a.settings.database.url.clone();
    let b = spawn_app_with(backend, move |s| {
        s.database.url = url;
        s.auth.actor_cache_seconds = MEMORY_SECONDS;
    })
    .await;
    let user = a.user(Role::Coordinator).await;
    let bound = Duration::from_secs(MEMORY_SECONDS + 2);

    // Both servers know the token; each has now remembered it.
    for _ in 0..3 {
        assert_eq!(me(&a, &user.token).await, 200);
        assert_eq!(me(&b, &user.token).await, 200);
    }

    // Signed out on the first server: refused there at once, and on the second within the bound.
    let res = a
        .call(Method::POST, "/api/v1/auth/logout", Some(&user.token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(me(&a, &user.token).await, 401, "at once where it happened");
    refused_within(&b, &user.token, bound).await;

    // A change neither server made (as a third instance, in another process, would make it): the
    // sessions ended in the database directly. Both refuse within the bound, not before the
    // database says so and not long after.
    let token = a.token(&user.email, PASSWORD).await;
    assert_eq!(me(&a, &token).await, 200);
    assert_eq!(me(&b, &token).await, 200);
    end_sessions_in_the_database(&a, &user.id).await;
    let took_a = refused_within(&a, &token, bound).await;
    let took_b = refused_within(&b, &token, bound).await;
    assert!(
        took_a.max(took_b) <= bound,
        "refused after {took_a:?} and {took_b:?}"
    );

    // With the memory off, a change in the database is seen by the very next request.
    let c = {
        let url = a.settings.database.url.clone();
        spawn_app_with(a.backend.clone(), move |s| {
            s.database.url = url;
            s.auth.actor_cache_seconds = 0;
        })
        .await
    };
    let token = a.token(&user.email, PASSWORD).await;
    assert_eq!(me(&c, &token).await, 200);
    end_sessions_in_the_database(&c, &user.id).await;
    assert_eq!(me(&c, &token).await, 401, "no memory: at once");
}

both_backends!(two_instances_forget_a_sign_out_within_the_bound);
