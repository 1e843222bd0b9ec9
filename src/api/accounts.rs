//! /accounts: admins create accounts (sending invitations), change roles and scope, disable.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::Json;
use crate::db::Database;
use crate::services::accounts::{self, AccountUpdate, AccountView, NewAccount};
use crate::services::auth::Policy;
use crate::services::page::PageRequest;
use crate::services::{Actor, Role};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub email: String,
    pub role: Role,
    /// Required for, and only for, a member account.
    pub member_id: Option<String>,
    /// The groups a coordinator coordinates.
    #[serde(default)]
    pub group_ids: Vec<String>,
}

/// Create an account; an invitation to choose a password is emailed. Admin only.
#[utoipa::path(post, path = "/api/v1/accounts", operation_id = "create_account", tag = "accounts", security(("bearer" = [])),
    request_body = CreateAccount,
    responses(
        (status = 201, body = AccountView),
        (status = 409, description = "The email address or member already has an account", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    body: Json<CreateAccount>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let input = NewAccount {
        email: b.email,
        role: b.role,
        member_id: b.member_id,
        group_ids: b.group_ids,
    };
    let links = policy.links();
    let view = with_conn(&db, move |conn| {
        accounts::create(conn, &actor, input, &links)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/accounts/{}", view.id)))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct ListAccounts {
    pub role: Option<Role>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&ListAccounts> for PageRequest {
    fn from(q: &ListAccounts) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Every account, oldest first. Admin only.
#[utoipa::path(get, path = "/api/v1/accounts", operation_id = "list_accounts", tag = "accounts", security(("bearer" = [])),
    params(ListAccounts),
    responses((status = 200, body = crate::services::page::Page<AccountView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    query: web::Query<ListAccounts>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let page = PageRequest::from(&q);
    let result = with_conn(&db, move |conn| accounts::list(conn, &actor, q.role, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// One account: admins see any; others only their own.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", operation_id = "get_account", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AccountView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |conn| accounts::get(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    pub role: Option<Role>,
    /// Disabling ends the account's sessions and API tokens.
    pub disabled: Option<bool>,
    pub group_ids: Option<Vec<String>>,
    /// Why, for the audit trail.
    pub reason: Option<String>,
}

/// Change an account's role, groups or disabled flag. Admin only.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", operation_id = "update_account", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateAccount,
    responses(
        (status = 200, body = AccountView),
        (status = 409, description = "It would leave no active admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<UpdateAccount>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let changes = AccountUpdate {
        role: b.role,
        disabled: b.disabled,
        group_ids: b.group_ids,
        reason: b.reason,
    };
    let view = with_conn(&db, move |conn| {
        accounts::update(conn, &actor, &id, changes)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
