//! No password, token or emailed link ever appears in a log line.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{captured_logs, spawn_app, Role, TestBackend, PASSWORD};

async fn logs_never_contain_passwords_tokens_or_links(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let mut secrets = vec![PASSWORD.to_string(), admin.token.clone()];

    // A failed sign-in with a password that is nearly right.
    let near_miss = format!("{PASSWORD}!");
    app.login(&admin.email, &near_miss).await;
    secrets.push(near_miss);

    // An API token, used and listed.
    let created: serde_json::Value = app
        .post_as(
            "/api/v1/me/tokens",
            Some(&admin.token),
            json!({"name": "ci"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let api = created["token"].as_str().unwrap().to_string();
    app.get_as("/api/v1/me", &api).await;
    secrets.push(api);

    // An invitation accepted, and a reset completed, through the emailed links.
    app.post_as(
        "/api/v1/accounts",
        Some(&admin.token),
        json!({"email": "new@example.org", "role": "finance"}),
    )
    .await;
    let invite = app.delivered_token("new@example.org", "invited").await;
    let invited_password = "Quiet-Meadow-Lantern-42";
    let res = app
        .post_as(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": invite, "password": invited_password}),
        )
        .await;
    let session: serde_json::Value = res.json().await.unwrap();
    secrets.extend([
        invite.clone(),
        invited_password.to_string(),
        session["token"].as_str().unwrap().to_string(),
    ]);
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": "new@example.org"}),
    )
    .await;
    let reset = app
        .delivered_token("new@example.org", "Reset your coprod password")
        .await;
    let reset_password = "Velvet-Thunder-Pocket-88";
    app.post_as(
        "/api/v1/auth/password/reset",
        None,
        json!({"token": reset, "password": reset_password}),
    )
    .await;
    app.call(
        Method::PUT,
        "/api/v1/me/password",
        Some(&admin.token),
        Some(json!({"current_password": PASSWORD, "new_password": "Copper-Falcon-Winter-31"})),
    )
    .await;
    secrets.extend([
        reset.clone(),
        reset_password.to_string(),
        "Copper-Falcon-Winter-31".to_string(),
    ]);
    // Even a token sent in a query string by mistake is not logged.
    app.get(&format!("/api/v1/me?token={reset}")).await;

    // Let the mail worker send everything, which logs too.
    crate::helpers::eventually(
        "mail to be sent",
        std::time::Duration::from_secs(20),
        || async {
            let pending = app
                .emails_to("new@example.org")
                .await
                .iter()
                .any(|m| m.status != "sent");
            (!pending).then_some(())
        },
    )
    .await;

    let logs = captured_logs();
    assert!(logs.contains("answered"), "logs were captured");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret appeared in the logs: {}…",
            &secret[..6]
        );
    }
    assert!(
        !logs.contains("/password/reset?token"),
        "no emailed link in the logs"
    );
}

both_backends!(logs_never_contain_passwords_tokens_or_links);
