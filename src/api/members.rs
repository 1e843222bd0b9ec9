//! /members: people, their contact details and communication needs, archiving, and their
//! attendance.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::{double_option, Json};
use crate::config::Settings;
use crate::db::Database;
use crate::services::meetings::{self, MemberAttendance};
use crate::services::members::{self, MemberFields, MemberView};
use crate::services::page::PageRequest;
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The member's reference in finance's own systems (no bank details are kept here).
    pub payee_reference: Option<String>,
    /// Such as easy read or large print, in the member's own words.
    pub communication_needs: Option<String>,
    /// The formats the member's statements, letters and emails are made in.
    #[schema(value_type = Option<Vec<crate::domain::formats::Format>>)]
    pub preferred_formats: Option<Vec<String>>,
    /// Where letters reach the member: lines separated by line breaks (at most 8 lines, 500
    /// characters).
    pub postal_address: Option<String>,
    pub notes: Option<String>,
}

/// Add a member. Coordinators and admins.
#[utoipa::path(post, path = "/api/v1/members", operation_id = "create_member", tag = "members", security(("bearer" = [])), request_body = CreateMember,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = MemberView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateMember>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let fields = MemberFields {
        full_name: Some(b.full_name),
        preferred_name: Some(b.preferred_name),
        email: Some(b.email),
        phone: Some(b.phone),
        payee_reference: Some(b.payee_reference),
        communication_needs: Some(b.communication_needs),
        preferred_formats: b.preferred_formats,
        postal_address: Some(b.postal_address),
        notes: Some(b.notes),
        reason: None,
    };
    let view = with_conn(&db, move |c| members::create(c, &actor, fields)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/members/{}", view.id)))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct MemberParams {
    /// Text to find in full or preferred names, whatever its case.
    pub q: Option<String>,
    /// Include archived members (default false).
    #[serde(default)]
    pub archived: bool,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&MemberParams> for PageRequest {
    fn from(q: &MemberParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Members by name. Coordinators see members of their groups and members in no group yet.
#[utoipa::path(get, path = "/api/v1/members", operation_id = "list_members", tag = "members", security(("bearer" = [])), params(MemberParams),
    responses((status = 200, body = crate::services::page::Page<MemberView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<MemberParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let page = PageRequest::from(&q);
    let result = with_conn(&db, move |c| {
        members::list(c, &actor, q.q.as_deref(), q.archived, &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// A member: staff who may see them, and the member themself.
#[utoipa::path(get, path = "/api/v1/members/{id}", operation_id = "get_member", tag = "members", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| members::get(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub preferred_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub payee_reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub communication_needs: Option<Option<String>>,
    /// The formats the member's statements, letters and emails are made in: `large_print`,
    /// `easy_read`, both, or `[]` for the standard format. The member may set their own.
    #[schema(value_type = Option<Vec<crate::domain::formats::Format>>)]
    pub preferred_formats: Option<Vec<String>>,
    /// Where letters reach the member, lines separated by line breaks (at most 8 lines, 500
    /// characters); null clears it. The member may set their own.
    #[serde(default, deserialize_with = "double_option")]
    pub postal_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub notes: Option<Option<String>>,
    /// Why, for the audit trail.
    pub reason: Option<String>,
}

/// Change a member. A member may change their own contact details, communication needs,
/// preferred formats and postal address.
#[utoipa::path(patch, path = "/api/v1/members/{id}", operation_id = "update_member", tag = "members", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateMember, responses((status = 200, body = MemberView)))]
pub async fn update(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<UpdateMember>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let fields = MemberFields {
        full_name: b.full_name,
        preferred_name: b.preferred_name,
        email: b.email,
        phone: b.phone,
        payee_reference: b.payee_reference,
        communication_needs: b.communication_needs,
        preferred_formats: b.preferred_formats,
        postal_address: b.postal_address,
        notes: b.notes,
        reason: b.reason,
    };
    let view = with_conn(&db, move |c| members::update(c, &actor, &id, fields)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: Option<String>,
}

/// Archive a member: off registers from now on, every record kept.
#[utoipa::path(post, path = "/api/v1/members/{id}/archive", tag = "members", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MemberView)))]
pub async fn archive(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Option<Json<Reason>>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let reason = body.and_then(|b| b.into_inner().reason);
    let view = with_conn(&db, move |c| {
        members::archive(c, &actor, &id, reason.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A member's attendance, newest first: the member, coordinators (their groups), finance, admins.
#[utoipa::path(get, path = "/api/v1/members/{id}/attendance", tag = "members", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = crate::services::page::Page<MemberAttendance>)))]
pub async fn attendance(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| meetings::of_member(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (the default: for a computer) or `pdf` (to read, in the member's formats).
    pub format: Option<String>,
}

/// Everything held about a member (UK GDPR article 15): their record, accounts, roles over time,
/// attendance, replies and access needs, claims and their receipts (listed), payment choices
/// and their history, adjustments, payment lines and payments, emails sent (subject, date,
/// status) and the audit events about them. As JSON, or as a PDF to read (large print and Easy
/// Read as the member prefers). For the member themself (without staff notes) and admins;
/// logged in the audit trail.
#[utoipa::path(get, path = "/api/v1/members/{id}/data-export", operation_id = "member_data_export", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, description = "Everything held about the member, as a JSON file or a PDF", content((Object = "application/json"), (String = "application/pdf"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn data_export(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, Problem> {
    let format = q.into_inner().format;
    Ok(crate::http::download::personal_copy(
        &db,
        &settings,
        actor,
        path.into_inner(),
        format.as_deref(),
    )
    .await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erase {
    /// Why their details are erased (they asked; the retention period passed), for the audit
    /// trail; at most 500 characters.
    pub reason: String,
}

/// Erase a member's personal details (UK GDPR article 17), keeping the books: names, contact
/// details, needs, notes, receipts' files and email texts go, their account is disabled with
/// no address or password; amounts, dates and run membership stay under a pseudonym. Admins only. 409 while
/// money is owed to them or a run not yet paid holds them, saying what to settle first.
#[utoipa::path(post, path = "/api/v1/members/{id}/erase", operation_id = "erase_member", tag = "members", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = Erase,
    responses((status = 200, body = crate::services::personal::Erasure),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn erase(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<Erase>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let done = with_conn(&db, move |c| {
        crate::services::personal::erase(c, Some(&actor), &id, &reason, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(done))
}
