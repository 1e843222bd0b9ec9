//! /meetings: sessions, their registers and their expense claims.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::{double_option, Json, OptionalJson};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::records::{AttendanceStatus, CareType, ExpenseKind, Miles};
use crate::domain::Money;
use crate::services::expenses::{self, ExpenseView, Lateness, NewExpense};
use crate::services::meetings::{self, MeetingFields, MeetingView, RecordInput, Register};
use crate::services::page::PageRequest;
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeeting {
    pub group_id: String,
    pub title: String,
    /// An activity kind code, such as `meeting` or `workshop`.
    pub activity_kind: String,
    pub date: NaiveDate,
    /// HH:MM, local time.
    #[schema(pattern = "^[0-9]{2}:[0-9]{2}$")]
    pub starts_at: Option<String>,
    pub duration_minutes: i64,
    /// Preparation time that may be paid (default 0).
    pub prep_minutes_allowed: Option<i64>,
    pub location: Option<String>,
    #[serde(default)]
    pub online: bool,
    /// Days before the session that the reminder goes to those invited (default 2).
    pub reminder_days: Option<i64>,
}

/// Schedule a meeting or workshop in one of your groups.
#[utoipa::path(post, path = "/api/v1/meetings", operation_id = "create_meeting", tag = "meetings", security(("bearer" = [])), request_body = CreateMeeting,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = MeetingView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateMeeting>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let fields = MeetingFields {
        group_id: Some(b.group_id),
        title: Some(b.title),
        activity_kind: Some(b.activity_kind),
        date: Some(b.date),
        starts_at: Some(b.starts_at),
        duration_minutes: Some(b.duration_minutes),
        prep_minutes_allowed: Some(b.prep_minutes_allowed.unwrap_or(0)),
        location: Some(b.location),
        online: Some(b.online),
        reminder_days: b.reminder_days,
    };
    let view = with_conn(&db, move |c| meetings::create(c, &actor, fields)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/meetings/{}", view.id)))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct MeetingParams {
    pub group_id: Option<String>,
    /// First date included.
    pub from: Option<NaiveDate>,
    /// Last date included.
    pub to: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&MeetingParams> for PageRequest {
    fn from(q: &MeetingParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Meetings, newest first.
#[utoipa::path(get, path = "/api/v1/meetings", operation_id = "list_meetings", tag = "meetings", security(("bearer" = [])), params(MeetingParams),
    responses((status = 200, body = crate::services::page::Page<MeetingView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<MeetingParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let page = PageRequest::from(&q);
    let result = with_conn(&db, move |c| {
        meetings::list(c, &actor, q.group_id, q.from, q.to, &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}", operation_id = "get_meeting", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MeetingView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| meetings::get(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeeting {
    pub title: Option<String>,
    pub activity_kind: Option<String>,
    pub date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    pub starts_at: Option<Option<String>>,
    pub duration_minutes: Option<i64>,
    pub prep_minutes_allowed: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub location: Option<Option<String>>,
    pub online: Option<bool>,
    pub reminder_days: Option<i64>,
}

#[utoipa::path(patch, path = "/api/v1/meetings/{id}", operation_id = "update_meeting", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateMeeting,
    responses((status = 200, body = MeetingView), (status = 409, description = "Attendance at the meeting has been paid by an approved run", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    body: Json<UpdateMeeting>,
) -> Result<HttpResponse, Problem> {
    let (base, today) = (settings.public_base(), settings.today());
    let id = path.into_inner();
    let b = body.into_inner();
    let fields = MeetingFields {
        group_id: None,
        title: b.title,
        activity_kind: b.activity_kind,
        date: b.date,
        starts_at: b.starts_at,
        duration_minutes: b.duration_minutes,
        prep_minutes_allowed: b.prep_minutes_allowed,
        location: b.location,
        online: b.online,
        reminder_days: b.reminder_days,
    };
    let view = with_conn(&db, move |c| {
        crate::services::invitations::update(c, &actor, &id, fields, &base, today)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The register: every member of the group on the meeting's date, with or without a record.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Register)))]
pub async fn register(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| meetings::register(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    pub member_id: String,
    pub status: AttendanceStatus,
    /// For `partial`: more than 0 and less than the duration. Defaults to the duration for `attended`.
    pub attended_minutes: Option<i64>,
    pub prep_minutes: Option<i64>,
    /// A role for this meeting only, such as `chair`.
    pub role: Option<String>,
    pub notes: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub records: Vec<RecordBody>,
}

/// Save many register records in one transaction: if any is wrong, none is written.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RegisterBody,
    responses((status = 200, body = Register), (status = 409, description = "A record has been paid by an approved run", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn save_register(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<RegisterBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let records = body
        .into_inner()
        .records
        .into_iter()
        .map(|r| RecordInput {
            member_id: r.member_id,
            status: r.status,
            attended_minutes: r.attended_minutes,
            prep_minutes: r.prep_minutes,
            role: r.role,
            notes: r.notes,
        })
        .collect();
    let view = with_conn(&db, move |c| {
        meetings::save_register(c, &actor, &id, records)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExpense {
    pub member_id: String,
    pub kind: ExpenseKind,
    /// For `care`: `replacement_care`, `childcare` or `personal_assistant`.
    pub care_type: Option<CareType>,
    /// For car, motorcycle and bicycle: miles, to a tenth.
    #[schema(value_type = Option<String>, example = "28")]
    pub miles: Option<Miles>,
    /// Car passengers.
    pub passengers: Option<i64>,
    /// For every other kind: the exact cost, as a string with two decimals.
    #[schema(value_type = Option<String>, example = "12.60", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub amount: Option<Money>,
    pub receipt_ref: Option<String>,
    pub description: Option<String>,
}

/// Claim an expense: a coordinator for any member of the group, or a member for themself.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/expenses", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = CreateExpense,
    responses((status = 201, body = ExpenseView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_expense(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<CreateExpense>,
) -> Result<HttpResponse, Problem> {
    let meeting_id = path.into_inner();
    let b = body.into_inner();
    let input = NewExpense {
        member_id: b.member_id,
        kind: b.kind,
        care_type: b.care_type,
        miles: b.miles,
        passengers: b.passengers,
        amount: b.amount,
        receipt_ref: b.receipt_ref,
        description: b.description,
    };
    let view = with_conn(&db, move |c| {
        expenses::create(c, &actor, &meeting_id, input)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A meeting's expense claims.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/expenses", tag = "expenses", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = crate::services::page::Page<ExpenseView>)))]
pub async fn list_expenses(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| expenses::of_meeting(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Needed when the session was more than `expenses.late_after_days` days ago: why this late
    /// claim is approved. Kept with the claim as `late_reason`.
    pub reason: Option<String>,
}

/// Approve a pending claim. The body is optional, except for a late claim, which needs a reason.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/approve", tag = "expenses", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Option<ApproveBody>, description = "Optional; `reason` is needed for a late claim"),
    responses((status = 200, body = ExpenseView), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A late claim without a reason", body = Problem, content_type = "application/problem+json")))]
pub async fn approve_expense(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<crate::config::Settings>,
    path: web::Path<String>,
    body: OptionalJson<ApproveBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let reason = body.0.and_then(|b| b.reason);
    let late = Lateness::from_settings(&settings);
    let view = with_conn(&db, move |c| {
        expenses::decide(c, &actor, &id, true, reason.as_deref(), late)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Shown to the member.
    pub reason: String,
}

/// Reject a pending claim, saying why.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/reject", tag = "expenses", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RejectBody,
    responses((status = 200, body = ExpenseView), (status = 409, description = "The claim has already been decided", body = Problem, content_type = "application/problem+json")))]
pub async fn reject_expense(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    settings: web::Data<crate::config::Settings>,
    body: Json<RejectBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let late = Lateness::from_settings(&settings);
    let view = with_conn(&db, move |c| {
        expenses::decide(c, &actor, &id, false, Some(&reason), late)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
