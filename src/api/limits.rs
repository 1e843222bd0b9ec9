//! /benefit-limits: dated reference figures.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::Json;
use crate::db::Database;
use crate::domain::limits::LimitPeriod;
use crate::domain::Money;
use crate::services::limits::{self, LimitView, NewLimit};
use crate::services::Actor;

#[derive(Deserialize, IntoParams)]
pub struct LimitParams {
    pub code: Option<String>,
}

/// Benefit limits, by code and date. Everyone signed in.
#[utoipa::path(get, path = "/api/v1/benefit-limits", operation_id = "list_benefit_limits", tag = "remuneration", security(("bearer" = [])), params(LimitParams),
    responses((status = 200, body = crate::services::page::Page<LimitView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<LimitParams>,
) -> Result<HttpResponse, Problem> {
    let code = q.into_inner().code;
    let items = with_conn(&db, move |c| limits::list(c, &actor, code.as_deref())).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLimit {
    /// Such as `esa_permitted_work`.
    pub code: String,
    #[schema(value_type = String, example = "week")]
    pub period: LimitPeriod,
    #[schema(value_type = String, example = "203.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub amount: Money,
    pub effective_from: NaiveDate,
}

/// Add a dated figure (next April's, say). Admin only.
#[utoipa::path(post, path = "/api/v1/benefit-limits", operation_id = "create_benefit_limit", tag = "remuneration", security(("bearer" = [])), request_body = CreateLimit,
    responses((status = 201, body = LimitView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateLimit>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let new = NewLimit {
        code: b.code,
        period: b.period,
        amount: b.amount,
        effective_from: b.effective_from,
    };
    let view = with_conn(&db, move |c| limits::create(c, &actor, new)).await?;
    Ok(HttpResponse::Created().json(view))
}
