//! /rate-cards, /members/{id}/preference(s) and /adjustments.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::with_conn;
use super::error::Problem;
use super::extract::{double_option, Json};
use crate::db::Database;
use crate::domain::Money;
use crate::services::payruns::{self, AdjustmentView, NewAdjustment};
use crate::services::preferences::{self, CapInput, PreferenceInput, PreferenceView};
use crate::services::rates::{self, CardChanges, NewCard, RateCardView, Resolution, RuleInput};
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// A role code; null or absent for any role.
    pub role: Option<String>,
    /// An activity kind code; null or absent for any activity.
    pub activity_kind: Option<String>,
    /// A member this rule is for alone (an override).
    pub member_id: Option<String>,
    /// `hourly`, `band` or `fixed`.
    #[schema(value_type = crate::domain::rates::BasisKind)]
    pub basis: String,
    #[schema(value_type = Option<String>, example = "25.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub hourly_rate: Option<Money>,
    #[schema(value_type = Option<String>, example = "75.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub half_day_amount: Option<Money>,
    #[schema(value_type = Option<String>, example = "150.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub full_day_amount: Option<Money>,
    /// Band rules: minutes at or below which it is a half day (default 240).
    pub boundary_minutes: Option<i64>,
    /// Band rules: whether exactly the boundary is a full day (default false).
    pub boundary_is_full_day: Option<bool>,
    #[schema(value_type = Option<String>, example = "25.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub fixed_amount: Option<Money>,
    /// Preparation pay per hour, up to the minutes the meeting allows.
    #[schema(value_type = Option<String>, example = "20.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub prep_hourly_rate: Option<Money>,
}

impl From<RuleBody> for RuleInput {
    fn from(r: RuleBody) -> RuleInput {
        RuleInput {
            role: r.role,
            activity_kind: r.activity_kind,
            member_id: r.member_id,
            basis: r.basis,
            hourly_rate: r.hourly_rate,
            half_day_amount: r.half_day_amount,
            full_day_amount: r.full_day_amount,
            boundary_minutes: r.boundary_minutes,
            boundary_is_full_day: r.boundary_is_full_day,
            fixed_amount: r.fixed_amount,
            prep_hourly_rate: r.prep_hourly_rate,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCard {
    pub name: String,
    /// The group the card is for; absent for the default card of every group.
    pub group_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// A card this one replaces from `effective_from` (the old card then ends the day before).
    pub supersedes: Option<String>,
    pub rules: Vec<RuleBody>,
}

/// Create a rate card. Finance and admins.
#[utoipa::path(post, path = "/api/v1/rate-cards", tag = "remuneration", security(("bearer" = [])), request_body = CreateCard,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = RateCardView), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create_card(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateCard>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let new = NewCard {
        name: b.name,
        group_id: b.group_id,
        effective_from: b.effective_from,
        effective_to: b.effective_to,
        supersedes: b.supersedes,
        rules: b.rules.into_iter().map(RuleInput::from).collect(),
    };
    let view = with_conn(&db, move |c| rates::create(c, &actor, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/rate-cards/{}", view.id)))
        .json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct CardParams {
    /// The group's cards and the default cards.
    pub group_id: Option<String>,
}

/// Rate cards, newest first. Finance, admins and coordinators (their groups' and the default).
#[utoipa::path(get, path = "/api/v1/rate-cards", tag = "remuneration", security(("bearer" = [])), params(CardParams),
    responses((status = 200, body = crate::services::page::Page<RateCardView>)))]
pub async fn list_cards(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<CardParams>,
) -> Result<HttpResponse, Problem> {
    let group = q.into_inner().group_id;
    let items = with_conn(&db, move |c| rates::list(c, &actor, group.as_deref())).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

#[utoipa::path(get, path = "/api/v1/rate-cards/{id}", tag = "remuneration", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RateCardView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_card(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |c| rates::get(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCard {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub effective_to: Option<Option<NaiveDate>>,
    pub rules: Option<Vec<RuleBody>>,
}

/// Change a card no approved run has used (409 otherwise: supersede it with a new card).
#[utoipa::path(patch, path = "/api/v1/rate-cards/{id}", tag = "remuneration", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateCard,
    responses((status = 200, body = RateCardView), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update_card(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<UpdateCard>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let changes = CardChanges {
        name: b.name,
        effective_to: b.effective_to,
        rules: b
            .rules
            .map(|rs| rs.into_iter().map(RuleInput::from).collect()),
    };
    let view = with_conn(&db, move |c| rates::update(c, &actor, &id, changes)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct ResolveParams {
    pub member_id: String,
    pub meeting_id: String,
}

/// Which rule pays a member for a meeting, and why. Coordinators, finance, admins.
#[utoipa::path(get, path = "/api/v1/rate-cards/resolve", tag = "remuneration", security(("bearer" = [])), params(ResolveParams),
    responses((status = 200, body = Resolution), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn resolve(
    actor: Actor,
    db: web::Data<Database>,
    q: web::Query<ResolveParams>,
) -> Result<HttpResponse, Problem> {
    let q = q.into_inner();
    let view = with_conn(&db, move |c| {
        rates::resolve(c, &actor, &q.member_id, &q.meeting_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapBody {
    /// A fixed cap…
    #[schema(value_type = Option<String>, example = "100.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub amount: Option<Money>,
    /// …or a benefit limit code, whose figure is looked up by date.
    pub limit_code: Option<String>,
    /// `week`, `month` or `tax_year`.
    #[schema(value_type = crate::domain::payrun::CapPeriod)]
    pub period: String,
    /// Weekly caps: the first day of the week (default `monday`).
    #[schema(schema_with = super::schemas::weekday)]
    pub week_starts_on: Option<String>,
    /// Monthly caps: the day the month starts (1-28, default 1), such as a Universal Credit
    /// assessment period's.
    pub month_anchor_day: Option<i64>,
    /// Methods whose payments count towards the cap (default: all, vouchers included).
    pub counts_methods: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceBody {
    pub effective_from: NaiveDate,
    /// `full`, `reduced`, `decline` or `donate`.
    #[schema(value_type = crate::domain::payrun::FeeOption)]
    pub fee_choice: String,
    /// Reduced fees: the most for one activity.
    #[schema(value_type = Option<String>, example = "50.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub reduced_max: Option<Money>,
    /// Decline expenses too (default false).
    pub decline_expenses: Option<bool>,
    /// `bank_transfer`, `payroll` or `voucher`.
    #[schema(value_type = crate::domain::payrun::Method)]
    pub method: String,
    pub voucher_provider: Option<String>,
    pub charity: Option<String>,
    pub cap: Option<CapBody>,
    /// `carry_forward` (default), `forgo` or `donate`.
    #[schema(value_type = Option<crate::domain::payrun::OverCap>)]
    pub over_cap: Option<String>,
    /// Email when a payment is approved and when it is paid (default true).
    pub notify_by_email: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct OnParams {
    /// The date to show the choices for (default today).
    pub on: Option<NaiveDate>,
}

/// The member's payment choices in force (today, or `?on=`). The member, their coordinators, finance.
#[utoipa::path(get, path = "/api/v1/members/{id}/preference", tag = "remuneration", security(("bearer" = [])),
    params(("id" = String, Path), OnParams),
    responses((status = 200, body = PreferenceView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_preference(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<crate::config::Settings>,
    path: web::Path<String>,
    q: web::Query<OnParams>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let on = q.into_inner().on.unwrap_or_else(|| settings.today());
    let view = with_conn(&db, move |c| preferences::current(c, &actor, &id, on)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Record new payment choices from a date. The member, or a coordinator on their behalf.
#[utoipa::path(put, path = "/api/v1/members/{id}/preference", tag = "remuneration", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PreferenceBody,
    responses((status = 200, body = PreferenceView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_preference(
    actor: Actor,
    db: web::Data<Database>,
    policy: web::Data<crate::services::auth::Policy>,
    path: web::Path<String>,
    body: Json<PreferenceBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let b = body.into_inner();
    let input = PreferenceInput {
        effective_from: b.effective_from,
        fee_choice: b.fee_choice,
        reduced_max: b.reduced_max,
        decline_expenses: b.decline_expenses,
        method: b.method,
        voucher_provider: b.voucher_provider,
        charity: b.charity,
        cap: b.cap.map(|c| CapInput {
            amount: c.amount,
            limit_code: c.limit_code,
            period: c.period,
            week_starts_on: c.week_starts_on,
            month_anchor_day: c.month_anchor_day,
            counts_methods: c.counts_methods,
        }),
        over_cap: b.over_cap,
        notify_by_email: b.notify_by_email,
    };
    let base_url = policy.base_url.clone();
    let view = with_conn(&db, move |c| {
        preferences::set(c, &actor, &id, input, &base_url)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Every choice the member has recorded, newest first.
#[utoipa::path(get, path = "/api/v1/members/{id}/preferences", tag = "remuneration", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = crate::services::page::Page<PreferenceView>)))]
pub async fn preference_history(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| preferences::history(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdjustment {
    pub member_id: String,
    /// Positive to pay more, negative to recover an overpayment.
    #[schema(value_type = String, example = "-15.00", pattern = "^-?[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub amount: Money,
    pub reason: String,
    /// `fee` (earnings, capped like a fee) or `expense`.
    #[schema(value_type = crate::domain::payrun::AdjustmentKind)]
    pub kind: String,
    /// The group whose runs pay it; absent: the next run for all groups.
    pub group_id: Option<String>,
}

/// Record a correction the next run pays. Finance.
#[utoipa::path(post, path = "/api/v1/adjustments", tag = "pay-runs", security(("bearer" = [])), request_body = CreateAdjustment,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = AdjustmentView), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_adjustment(
    actor: Actor,
    db: web::Data<Database>,
    body: Json<CreateAdjustment>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let new = NewAdjustment {
        member_id: b.member_id,
        group_id: b.group_id,
        kind: b.kind,
        amount: b.amount,
        reason: b.reason,
    };
    let view = with_conn(&db, move |c| payruns::adjust(c, &actor, new)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// A member's adjustments, newest first, with the run that paid each.
#[utoipa::path(get, path = "/api/v1/members/{id}/adjustments", tag = "pay-runs", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = crate::services::page::Page<AdjustmentView>)))]
pub async fn member_adjustments(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| payruns::adjustments_of(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(crate::services::page::Page::whole(items)))
}
