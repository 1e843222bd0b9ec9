//! The OpenAPI document, generated from the handlers' annotations and served at
//! /api/v1/openapi.json, with interactive docs (assets compiled in) at /api/docs/.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, audit, error, groups, health, limits, meetings, members, payruns, remuneration,
    reports, sessions,
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
        groups::list_roles, groups::add_role, groups::list_activity_kinds, groups::add_activity_kind,
        groups::create, groups::list, groups::get, groups::update,
        groups::add_membership, groups::list_memberships, groups::update_membership,
        members::create, members::list, members::get, members::update, members::archive,
        members::attendance,
        meetings::create, meetings::list, meetings::get, meetings::update,
        meetings::register, meetings::save_register,
        meetings::create_expense, meetings::list_expenses, meetings::approve_expense,
        meetings::reject_expense,
        limits::list, limits::create,
        remuneration::create_card, remuneration::list_cards, remuneration::get_card,
        remuneration::update_card, remuneration::resolve,
        remuneration::get_preference, remuneration::set_preference, remuneration::preference_history,
        remuneration::create_adjustment, remuneration::member_adjustments,
        payruns::create, payruns::list, payruns::get, payruns::lines, payruns::payments,
        payruns::recalculate, payruns::cancel, payruns::approve, payruns::mark_paid, payruns::export,
        payruns::member_payments,
        reports::statement, reports::payments, reports::tax_year,
    ),
    components(schemas(
        error::Problem, crate::services::FieldError, health::Status,
        crate::services::Role, crate::services::accounts::AccountView,
        crate::services::audit::AuditEvent,
        crate::services::payruns::LineView, crate::services::payruns::PaymentView,
        crate::services::payruns::MemberRunView, crate::services::payruns::PayeeView,
        crate::services::rates::RuleView,
        crate::services::statements::Statement, crate::services::statements::StatementLine,
        crate::services::statements::StatementMember,
        crate::domain::statement::Totals, crate::domain::statement::MonthTotals,
        crate::domain::statement::CapPeriodTotals, crate::domain::statement::TaxYearTotals,
        crate::services::reports::PaymentsReport, crate::services::reports::ReportPayment,
        crate::services::reports::TaxYearReport, crate::services::reports::TaxYearMember,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "sessions", description = "Signing in and out, passwords, invitations, API tokens"),
        (name = "accounts", description = "Accounts and roles (admin)"),
        (name = "audit", description = "Who changed what (admin, finance)"),
        (name = "reference", description = "Roles in groups and kinds of activity"),
        (name = "groups", description = "Groups and members' roles in them over time"),
        (name = "members", description = "Members and their records"),
        (name = "meetings", description = "Meetings, workshops and their registers"),
        (name = "expenses", description = "Expense claims"),
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

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
