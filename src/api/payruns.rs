//! /pay-runs and /members/{id}/payments.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::Json;
use crate::db::Database;
use crate::domain::Money;
use crate::http::download;
use crate::http::paging::PageParams;
use crate::services::page::PageRequest;
use crate::services::payruns::{self, NewRun, PayRunView, RunPolicy};
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRun {
    /// One group, or absent for all groups (finance only).
    pub group_id: Option<String>,
    /// Meetings dated from here…
    pub period_start: NaiveDate,
    /// …to here, inclusive.
    pub period_end: NaiveDate,
    /// When the money will reach people: caps count it in the period holding this date.
    pub payment_date: NaiveDate,
}

/// Draft a pay run: everything paid-for in scope not yet in an approved run, computed.
#[utoipa::path(post, path = "/api/v1/pay-runs", operation_id = "create_pay_run", tag = "pay-runs", security(("bearer" = [])), request_body = CreateRun,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = PayRunView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateRun>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let new = NewRun {
        group_id: b.group_id,
        period_start: b.period_start,
        period_end: b.period_end,
        payment_date: b.payment_date,
    };
    let view = with_conn(&db, move |c| payruns::create(c, &actor, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/pay-runs/{}", view.id)))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct RunParams {
    /// `draft`, `approved`, `exported`, `paid` or `cancelled`.
    #[param(value_type = Option<crate::domain::payrun::RunStatus>)]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&RunParams> for PageRequest {
    fn from(q: &RunParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Pay runs, newest first. Finance and admins; coordinators their groups' runs.
#[utoipa::path(get, path = "/api/v1/pay-runs", operation_id = "list_pay_runs", tag = "pay-runs", security(("bearer" = [])), params(RunParams),
    responses((status = 200, body = crate::services::page::Page<PayRunView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<RunParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let page = PageRequest::from(&q);
    let result = with_conn(&db, move |c| {
        payruns::list(c, &actor, q.status.as_deref(), &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/api/v1/pay-runs/{id}", operation_id = "get_pay_run", tag = "pay-runs", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PayRunView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| payruns::get(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Every line of a run, in order, each explaining itself.
#[utoipa::path(get, path = "/api/v1/pay-runs/{id}/lines", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = crate::services::page::Page<crate::services::payruns::LineView>)))]
pub async fn lines(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    page: PageRequest,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let result = with_conn(&db, move |c| payruns::lines(c, &actor, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// One payment per payee and method. Finance and admins.
#[utoipa::path(get, path = "/api/v1/pay-runs/{id}/payments", operation_id = "pay_run_payments", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = crate::services::page::Page<crate::services::payruns::PaymentView>)))]
pub async fn payments(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    page: PageRequest,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let result = with_conn(&db, move |c| payruns::payments(c, &actor, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Compute a draft again from what is recorded now.
#[utoipa::path(post, path = "/api/v1/pay-runs/{id}/recalculate", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PayRunView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn recalculate(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| payruns::recalculate(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/pay-runs/{id}/cancel", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PayRunView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| payruns::cancel(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The total you reviewed.
    #[schema(value_type = String, example = "195.50", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub expected_total: Money,
    /// The number of payments you reviewed.
    pub expected_count: i64,
}

/// Approve a draft. Finance. 409 if it changed since it was calculated, if the figures differ from
/// those reviewed, or if the approver created it (when `payruns.approver_must_differ`).
#[utoipa::path(post, path = "/api/v1/pay-runs/{id}/approve", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ApproveBody,
    responses((status = 200, body = PayRunView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn approve(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<RunPolicy>,
    path: web::Path<String>,
    body: Json<ApproveBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let policy = policy.get_ref().clone();
    let view = with_conn(&db, move |c| {
        payruns::approve(c, &actor, &policy, &id, b.expected_total, b.expected_count)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaidBody {
    pub paid_on: NaiveDate,
    /// The payment's reference in the bank or payroll system.
    pub reference: Option<String>,
}

/// Record that an approved run has been paid. Finance. Each member is emailed.
#[utoipa::path(post, path = "/api/v1/pay-runs/{id}/mark-paid", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MarkPaidBody,
    responses((status = 200, body = PayRunView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn mark_paid(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<RunPolicy>,
    path: web::Path<String>,
    body: Json<MarkPaidBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let view = with_conn(&db, move |c| {
        payruns::mark_paid(c, &actor, &policy, &id, b.paid_on, b.reference)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A member's approved payments with their lines, newest first. The member, finance, their coordinators.
#[utoipa::path(get, path = "/api/v1/members/{id}/payments", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = crate::services::page::Page<crate::services::payruns::MemberRunView>)))]
pub async fn member_payments(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    page: PageRequest,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let result = with_conn(&db, move |c| payruns::of_member(c, &actor, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Deserialize, IntoParams)]
pub struct ExportParams {
    /// `csv` (default), `xlsx`, `xero` or `payroll`.
    #[param(schema_with = super::schemas::export_format)]
    pub format: Option<String>,
}

/// Download an approved run for finance's systems. Finance. The run becomes `exported`; a repeat
/// export is allowed, audited, and says so in the file.
#[utoipa::path(get, path = "/api/v1/pay-runs/{id}/export", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path), ExportParams),
    responses((status = 200, description = "The file, as an attachment: a workbook for `xlsx`, CSV otherwise",
        content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<crate::config::Settings>,
    path: web::Path<String>,
    q: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    use crate::services::exports;
    let id = path.into_inner();
    let format = q.into_inner().format.unwrap_or_else(|| "csv".into());
    let plan = with_conn(&db, move |c| exports::begin(c, &actor, &id, &format)).await?;
    Ok(download::export(&db, settings.exports.clone(), plan).await?)
}
