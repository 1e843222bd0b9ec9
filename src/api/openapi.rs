//! The OpenAPI document, generated from the handlers' annotations and served at
//! /api/v1/openapi.json, with interactive docs (assets compiled in) at /api/docs/.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, audit, error, groups, health, invitations, limits, meetings, members, outbox,
    payruns, receipts, remuneration, reports, sessions,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "coprod",
        description = "Fair, exact and benefit-aware payments for people with lived experience in \
co-production. Money is a string with two decimals (\"150.00\"); dates are YYYY-MM-DD; instants are \
RFC 3339 in UTC. Every error is application/problem+json. Lists are `{items, next_cursor}` with \
`?limit=` (1-200, default 50) and `?cursor=`.",
    ),
    paths(
        health::health, health::ready, health::metrics,
        sessions::login, sessions::logout, sessions::me, sessions::change_password,
        sessions::forgot_password, sessions::reset_password, sessions::accept_invitation,
        sessions::list_tokens, sessions::create_token, sessions::revoke_token,
        accounts::create, accounts::list, accounts::get, accounts::update,
        audit::list,
        outbox::list, outbox::retry,
        groups::list_roles, groups::add_role, groups::list_activity_kinds, groups::add_activity_kind,
        groups::create, groups::list, groups::get, groups::update,
        groups::add_membership, groups::list_memberships, groups::update_membership,
        members::create, members::list, members::get, members::update, members::archive,
        members::attendance, members::data_export, members::erase,
        meetings::create, meetings::list, meetings::get, meetings::update,
        meetings::register, meetings::save_register,
        meetings::create_expense, meetings::list_expenses, meetings::approve_expense,
        meetings::reject_expense,
        invitations::invite, invitations::replies, invitations::reply, invitations::mine,
        invitations::calendar_file, invitations::cancel, invitations::reset_feed,
        receipts::upload, receipts::list, receipts::get, receipts::delete, receipts::of_member,
        limits::list, limits::create,
        remuneration::create_card, remuneration::list_cards, remuneration::get_card,
        remuneration::update_card, remuneration::resolve,
        remuneration::get_preference, remuneration::set_preference, remuneration::preference_history,
        remuneration::create_adjustment, remuneration::member_adjustments,
        payruns::create, payruns::list, payruns::get, payruns::lines, payruns::payments,
        payruns::recalculate, payruns::cancel, payruns::approve, payruns::mark_paid, payruns::export,
        payruns::member_payments,
        reports::statement, reports::benefits_letter, reports::payments, reports::tax_year, reports::summary,
    ),
    components(schemas(
        error::Problem, crate::services::FieldError, health::Status,
        crate::services::Role, crate::services::accounts::AccountView,
        crate::services::audit::AuditEvent, crate::services::outbox::OutboxView,
        crate::services::payruns::LineView, crate::services::payruns::PaymentView,
        crate::services::payruns::MemberRunView, crate::services::payruns::PayeeView,
        crate::services::rates::RuleView,
        crate::export::statement::Statement, crate::export::statement::StatementLine,
        crate::export::statement::StatementMember, crate::domain::formats::Format,
        crate::domain::statement::Totals, crate::domain::statement::MonthTotals,
        crate::domain::statement::CapPeriodTotals, crate::domain::statement::TaxYearTotals,
        crate::services::reports::PaymentsReport, crate::services::reports::ReportPayment,
        crate::export::reports::TaxYearReport, crate::export::reports::TaxYearMember,
        crate::services::summary::Summary, crate::services::summary::Figures,
        crate::services::summary::MonthFigures, crate::services::summary::GroupFigures,
        crate::services::summary::MethodFigures, crate::services::summary::TimeToPay,
        crate::services::summary::Waiting,
    )),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "sessions", description = "Signing in and out, passwords, invitations, API tokens"),
        (name = "accounts", description = "Accounts and roles (admin)"),
        (name = "audit", description = "Who changed what (admin, finance)"),
        (name = "outbox", description = "The mail queue: what was sent, waits or failed (admin)"),
        (name = "reference", description = "Roles in groups and kinds of activity"),
        (name = "groups", description = "Groups and members' roles in them over time"),
        (name = "members", description = "Members and their records"),
        (name = "meetings", description = "Meetings, workshops and their registers"),
        (name = "expenses", description = "Expense claims, their receipts, and a member's claims"),
        (name = "remuneration", description = "Benefit limits, rate cards and payment choices"),
        (name = "pay-runs", description = "Pay runs, their lines and payments, adjustments, a member's payments"),
    ),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The problems any operation of the API may answer with, by what the operation takes: a signed-in
/// operation may answer 401 and 403; one with an id in its path 404; one with a JSON body 400, 413,
/// 415 and 422; one with a query string 400 and 422; a create with an `Idempotency-Key` 409 (the
/// first request with that key is still running) and 422 (the key was used for another body). An
/// operation's own annotations win, so they can describe a status more closely.
struct ProblemResponses;

const PROBLEMS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The request is malformed: JSON that does not parse, a field of the wrong type or an \
unknown field (named in `errors`), or a query string that does not parse",
    ),
    (
        401,
        "Unauthorized",
        "No valid bearer token: sign in, or send a token that has not expired or been revoked",
    ),
    (403, "Forbidden", "Your role may not do this"),
    (
        404,
        "NotFound",
        "There is nothing with this id, or it is not yours to see",
    ),
    (
        409,
        "Conflict",
        "The request conflicts with the current state, or an earlier request with the same \
`Idempotency-Key` is still running",
    ),
    (
        413,
        "PayloadTooLarge",
        "The body is larger than the server accepts",
    ),
    (
        415,
        "UnsupportedMediaType",
        "The body is not sent as `application/json`",
    ),
    (
        422,
        "Unprocessable",
        "Some values are not valid (each named in `errors`), or the `Idempotency-Key` was used \
for a different request",
    ),
    (
        429,
        "TooManyRequests",
        "Too many failed attempts: wait for the seconds in `Retry-After`",
    ),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The problem statuses `op` may answer with, besides those its annotation lists.
fn problem_statuses(path: &str, op: &Operation) -> Vec<u16> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let idempotent = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name == "Idempotency-Key");
    let mut statuses = Vec::new();
    if op.request_body.is_some() || has(ParameterIn::Query) || idempotent {
        statuses.push(400);
    }
    if signed_in {
        statuses.push(401);
        // Every role may act on its own account.
        if path != "/api/v1/me" && !path.starts_with("/api/v1/me/") {
            statuses.push(403);
        }
    }
    if has(ParameterIn::Path) {
        statuses.push(404);
    }
    if idempotent {
        statuses.push(409);
    }
    if op.request_body.is_some() {
        statuses.extend([413, 415]);
    }
    if op.request_body.is_some() || has(ParameterIn::Query) || idempotent {
        statuses.push(422);
    }
    statuses
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description) in PROBLEMS {
            components
                .responses
                .insert((*name).to_string(), RefOr::T(problem_response(description)));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for status in problem_statuses(path, op) {
                    let Some((_, name, _)) = PROBLEMS.iter().find(|(s, _, _)| *s == status) else {
                        continue;
                    };
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
