//! /auth and /me: signing in and out, passwords, invitations and API tokens.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::{blocking, with_conn};
use super::error::Problem;
use super::extract::Json;
use super::idempotency::carries_secret;
use crate::config::Settings;
use crate::db::Database;
use crate::http::client::client_address;
use crate::services::auth::{self, ApiTokenView, Me, NewApiToken, Policy, SignedIn};
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(value_type = String)]
    pub password: SecretString,
}

/// Sign in. Failed attempts are throttled per address and per account (429 with Retry-After).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "sessions", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is shown once", body = SignedIn),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    settings: web::Data<Settings>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, Problem> {
    let client = client_address(&req, settings.server.trust_forwarded_for);
    let body = body.into_inner();
    let db = db.into_inner();
    let signed =
        blocking(move || auth::login(&db, &policy, &body.email, &body.password, &client)).await?;
    Ok(carries_secret(HttpResponse::Ok().json(signed)))
}

/// Sign out: the token used stops working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "sessions", security(("bearer" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(actor: Actor, db: web::Data<Database>) -> Result<HttpResponse, Problem> {
    with_conn(&db, move |conn| auth::logout(conn, &actor)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account, and its member record for a member.
#[utoipa::path(get, path = "/api/v1/me", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
pub async fn me(actor: Actor, db: web::Data<Database>) -> Result<HttpResponse, Problem> {
    let me = with_conn(&db, move |conn| auth::me(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String)]
    pub current_password: SecretString,
    /// 12 to 128 characters, not easy to guess.
    #[schema(value_type = String)]
    pub new_password: SecretString,
}

/// Change your password. Your other sessions end; your API tokens keep working; you are emailed.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "sessions", security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "Current password wrong, or the new one too weak", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<ChangePassword>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let db = db.into_inner();
    blocking(move || {
        auth::change_password(
            &db,
            &policy,
            &actor,
            &body.current_password,
            &body.new_password,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    pub email: String,
}

/// Ask for a reset link. Always 202, whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "sessions", request_body = ForgotPassword,
    responses((status = 202, description = "If the account exists, a link is on its way")))]
pub async fn forgot_password(
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<ForgotPassword>,
) -> Result<HttpResponse, Problem> {
    let email = body.into_inner().email;
    with_conn(&db, move |conn| {
        auth::forgot_password(conn, &policy, &email)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({
        "detail": "If an account has this address, a link to reset its password has been emailed."
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenAndPassword {
    /// The token from the emailed link.
    pub token: String,
    #[schema(value_type = String)]
    pub password: SecretString,
}

/// Set a new password with an emailed reset link. It is account recovery: every session and every
/// API token of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "sessions", request_body = TokenAndPassword,
    responses(
        (status = 204, description = "Password set"),
        (status = 422, description = "Link used or expired, or password too weak", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<TokenAndPassword>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let db = db.into_inner();
    blocking(move || auth::reset_password(&db, &policy, &body.token, &body.password, false))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation: choose a password and sign in.
#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", tag = "sessions", request_body = TokenAndPassword,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 422, description = "Link used or expired, or password too weak", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept_invitation(
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<TokenAndPassword>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let db = db.into_inner();
    let signed =
        blocking(move || auth::accept_invitation(&db, &policy, &body.token, &body.password))
            .await?;
    Ok(carries_secret(HttpResponse::Ok().json(signed)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// RFC 3339; default 90 days from now; at most `auth.api_token_max_days`.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Your API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = crate::services::page::Page<ApiTokenView>)))]
pub async fn list_tokens(actor: Actor, db: web::Data<Database>) -> Result<HttpResponse, Problem> {
    let items = with_conn(&db, move |conn| auth::list_api_tokens(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

/// Make a named API token for automation. It is shown once: the same request sent again with the
/// same Idempotency-Key answers 409 (`urn:coprod:problem:idempotency-secret-not-replayed`) instead
/// of showing the token again, and the token is never stored.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "sessions", security(("bearer" = [])),
    request_body = CreateToken,
    responses(
        (status = 201, body = NewApiToken),
        (status = 409, description = "A replay of a request whose answer held the token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<CreateToken>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let expires = body.expires_at.map(|t| t.naive_utc());
    let token = with_conn(&db, move |conn| {
        auth::create_api_token(conn, &policy, &actor, &body.name, expires)
    })
    .await?;
    Ok(carries_secret(HttpResponse::Created().json(token)))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    with_conn(&db, move |conn| auth::revoke_api_token(conn, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
