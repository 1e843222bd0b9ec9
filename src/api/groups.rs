//! /groups, /memberships, /roles and /activity-kinds.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::{double_option, Json};
use crate::db::Database;
use crate::http::paging::PageParams;
use crate::services::groups::{
    self, CodeLabel, GroupUpdate, GroupView, MembershipUpdate, MembershipView, NewMembership,
    Reference,
};
use crate::services::page::PageRequest;
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    pub name: String,
    pub description: Option<String>,
}

/// Create a group. A coordinator who creates one coordinates it.
#[utoipa::path(post, path = "/api/v1/groups", operation_id = "create_group", tag = "groups", security(("bearer" = [])),
    request_body = CreateGroup, params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = GroupView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateGroup>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let view = with_conn(&db, move |c| {
        groups::create_group(c, &actor, &b.name, b.description.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/groups/{}", view.id)))
        .json(view))
}

/// Groups by name: all for admin and finance; a coordinator's own.
#[utoipa::path(get, path = "/api/v1/groups", operation_id = "list_groups", tag = "groups", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = crate::services::page::Page<GroupView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    page: PageRequest,
) -> Result<HttpResponse, Problem> {
    let result = with_conn(&db, move |c| groups::list_groups(c, &actor, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", operation_id = "get_group", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| groups::get_group(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub description: Option<Option<String>>,
    pub archived: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/groups/{id}", operation_id = "update_group", tag = "groups", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateGroup, responses((status = 200, body = GroupView)))]
pub async fn update(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<UpdateGroup>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let changes = GroupUpdate {
        name: b.name,
        description: b.description,
        archived: b.archived,
    };
    let view = with_conn(&db, move |c| groups::update_group(c, &actor, &id, changes)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMembership {
    pub member_id: String,
    /// A role code, such as `co_chair`.
    pub role: String,
    pub starts_on: NaiveDate,
    /// The last day, if it has one.
    pub ends_on: Option<NaiveDate>,
}

/// Give a member a role in the group from a date. Overlapping memberships are refused (409).
#[utoipa::path(post, path = "/api/v1/groups/{id}/memberships", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = CreateMembership,
    responses((status = 201, body = MembershipView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_membership(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<CreateMembership>,
) -> Result<HttpResponse, Problem> {
    let group_id = path.into_inner();
    let b = body.into_inner();
    let input = NewMembership {
        member_id: b.member_id,
        role: b.role,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
    };
    let view = with_conn(&db, move |c| {
        groups::add_membership(c, &actor, &group_id, input)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct MembershipParams {
    pub member_id: Option<String>,
    /// Only memberships in force on this date: the role each member had that day.
    pub on: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&MembershipParams> for PageRequest {
    fn from(q: &MembershipParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/groups/{id}/memberships", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path), MembershipParams),
    responses((status = 200, body = crate::services::page::Page<MembershipView>)))]
pub async fn list_memberships(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    q: web::Query<MembershipParams>,
) -> Result<HttpResponse, Problem> {
    let group_id = path.into_inner();
    let q = q.into_inner();
    let page = PageRequest::from(&q);
    let result = with_conn(&db, move |c| {
        groups::list_memberships(c, &actor, &group_id, q.member_id.as_deref(), q.on, &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMembership {
    pub role: Option<String>,
    pub starts_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    pub ends_on: Option<Option<NaiveDate>>,
    pub reason: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/memberships/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateMembership,
    responses((status = 200, body = MembershipView), (status = 409, description = "It would overlap another membership of the member in the group", body = Problem, content_type = "application/problem+json")))]
pub async fn update_membership(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<UpdateMembership>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let changes = MembershipUpdate {
        role: b.role,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        reason: b.reason,
    };
    let view = with_conn(&db, move |c| {
        groups::update_membership(c, &actor, &id, changes)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCode {
    /// Lower-case letters, digits and `_`.
    pub code: String,
    pub label: String,
}

async fn list_reference(db: &Database, kind: Reference) -> Result<HttpResponse, Problem> {
    let items: Vec<CodeLabel> = with_conn(db, move |c| groups::list_reference(c, kind)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

async fn add_reference(
    actor: Actor,
    db: &Database,
    kind: Reference,
    body: CreateCode,
) -> Result<HttpResponse, Problem> {
    let view = with_conn(db, move |c| {
        groups::add_reference(c, &actor, kind, &body.code, &body.label)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Roles a member can hold in a group.
#[utoipa::path(get, path = "/api/v1/roles", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = crate::services::page::Page<CodeLabel>)))]
pub async fn list_roles(_actor: Actor, db: web::Data<Database>) -> Result<HttpResponse, Problem> {
    list_reference(&db, Reference::Roles).await
}

/// Add a role. Admin only.
#[utoipa::path(post, path = "/api/v1/roles", tag = "reference", security(("bearer" = [])), request_body = CreateCode,
    responses((status = 201, body = CodeLabel), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_role(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateCode>,
) -> Result<HttpResponse, Problem> {
    add_reference(actor, &db, Reference::Roles, body.into_inner()).await
}

/// Kinds of activity a meeting can be.
#[utoipa::path(get, path = "/api/v1/activity-kinds", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = crate::services::page::Page<CodeLabel>)))]
pub async fn list_activity_kinds(
    _actor: Actor,
    db: web::Data<Database>,
) -> Result<HttpResponse, Problem> {
    list_reference(&db, Reference::ActivityKinds).await
}

/// Add an activity kind. Admin only.
#[utoipa::path(post, path = "/api/v1/activity-kinds", tag = "reference", security(("bearer" = [])), request_body = CreateCode,
    responses((status = 201, body = CodeLabel), (status = 409, description = "The code already exists", body = Problem, content_type = "application/problem+json")))]
pub async fn add_activity_kind(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateCode>,
) -> Result<HttpResponse, Problem> {
    add_reference(actor, &db, Reference::ActivityKinds, body.into_inner()).await
}
