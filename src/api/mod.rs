//! The HTTP API: thin handlers per resource that parse input, call a service with the acting
//! account, and shape the answer. Errors are problem+json; the OpenAPI document is generated here.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod invitations;
pub mod limits;
pub mod meetings;
pub mod members;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod outbox;
pub mod payruns;
pub mod receipts;
pub mod remuneration;
pub mod reports;
pub mod schemas;
pub mod sessions;

use actix_web::web;
use utoipa_swagger_ui::SwaggerUi;

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(web::redirect("/api/docs", "/api/docs/"))
        .service(
            SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", openapi::document()),
        )
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(idempotency::idempotency))
                .configure(v1),
        );
}

fn v1(cfg: &mut web::ServiceConfig) {
    cfg.configure(sessions_routes)
        .configure(admin_routes)
        .configure(records_routes)
        .configure(remuneration_routes)
        .configure(pay_run_routes);
}

/// Signing in and out, passwords, invitations, API tokens.
fn sessions_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/login").route(web::post().to(sessions::login)))
        .service(web::resource("/auth/logout").route(web::post().to(sessions::logout)))
        .service(
            web::resource("/auth/password/forgot").route(web::post().to(sessions::forgot_password)),
        )
        .service(
            web::resource("/auth/password/reset").route(web::post().to(sessions::reset_password)),
        )
        .service(
            web::resource("/auth/invitations/accept")
                .route(web::post().to(sessions::accept_invitation)),
        )
        .service(web::resource("/me").route(web::get().to(sessions::me)))
        .service(web::resource("/me/password").route(web::put().to(sessions::change_password)))
        .service(
            web::resource("/me/tokens")
                .route(web::get().to(sessions::list_tokens))
                .route(web::post().to(sessions::create_token)),
        )
        .service(web::resource("/me/tokens/{id}").route(web::delete().to(sessions::revoke_token)))
        .service(
            web::resource("/memberships/{id}").route(web::patch().to(groups::update_membership)),
        )
        .service(
            web::resource("/members")
                .route(web::get().to(members::list))
                .route(web::post().to(members::create)),
        )
        .service(
            web::resource("/members/{id}")
                .route(web::get().to(members::get))
                .route(web::patch().to(members::update)),
        )
        .service(web::resource("/members/{id}/archive").route(web::post().to(members::archive)))
        .service(web::resource("/members/{id}/erase").route(web::post().to(members::erase)))
        .service(
            web::resource("/members/{id}/data-export").route(web::get().to(members::data_export)),
        )
        .service(
            web::resource("/members/{id}/attendance").route(web::get().to(members::attendance)),
        )
        .service(
            web::resource("/meetings")
                .route(web::get().to(meetings::list))
                .route(web::post().to(meetings::create)),
        )
        .service(
            web::resource("/meetings/{id}")
                .route(web::get().to(meetings::get))
                .route(web::patch().to(meetings::update)),
        )
        .service(
            web::resource("/meetings/{id}/attendance")
                .route(web::get().to(meetings::register))
                .route(web::put().to(meetings::save_register)),
        )
        .service(
            web::resource("/meetings/{id}/invitations").route(web::post().to(invitations::invite)),
        )
        .service(web::resource("/meetings/{id}/replies").route(web::get().to(invitations::replies)))
        .service(
            web::resource("/meetings/{id}/replies/{member_id}")
                .route(web::put().to(invitations::reply)),
        )
        .service(
            web::resource("/meetings/{id}/calendar.ics")
                .route(web::get().to(invitations::calendar_file)),
        )
        .service(web::resource("/meetings/{id}/cancel").route(web::post().to(invitations::cancel)))
        .service(web::resource("/me/meetings").route(web::get().to(invitations::mine)))
        .service(web::resource("/me/calendar-feed").route(web::post().to(invitations::reset_feed)))
        .service(
            web::resource("/meetings/{id}/expenses")
                .route(web::get().to(meetings::list_expenses))
                .route(web::post().to(meetings::create_expense)),
        )
        .service(
            web::resource("/members/{id}/preference")
                .route(web::get().to(remuneration::get_preference))
                .route(web::put().to(remuneration::set_preference)),
        )
        .service(
            web::resource("/members/{id}/preferences")
                .route(web::get().to(remuneration::preference_history)),
        )
        .service(
            web::resource("/members/{id}/adjustments")
                .route(web::get().to(remuneration::member_adjustments)),
        )
        .service(
            web::resource("/members/{id}/payments").route(web::get().to(payruns::member_payments)),
        )
        .service(web::resource("/members/{id}/statement").route(web::get().to(reports::statement)))
        .service(
            web::resource("/members/{id}/benefits-letter")
                .route(web::get().to(reports::benefits_letter)),
        );
}

/// Accounts, the audit trail and the mail queue.
fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts")
            .route(web::get().to(accounts::list))
            .route(web::post().to(accounts::create)),
    )
    .service(
        web::resource("/accounts/{id}")
            .route(web::get().to(accounts::get))
            .route(web::patch().to(accounts::update)),
    )
    .service(web::resource("/audit").route(web::get().to(audit::list)))
    .service(web::resource("/outbox").route(web::get().to(outbox::list)))
    .service(web::resource("/outbox/{id}/retry").route(web::post().to(outbox::retry)));
}

/// Reference data, groups and memberships, members, meetings, registers and expense claims.
fn records_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/roles")
            .route(web::get().to(groups::list_roles))
            .route(web::post().to(groups::add_role)),
    )
    .service(
        web::resource("/activity-kinds")
            .route(web::get().to(groups::list_activity_kinds))
            .route(web::post().to(groups::add_activity_kind)),
    )
    .service(
        web::resource("/groups")
            .route(web::get().to(groups::list))
            .route(web::post().to(groups::create)),
    )
    .service(
        web::resource("/groups/{id}")
            .route(web::get().to(groups::get))
            .route(web::patch().to(groups::update)),
    )
    .service(
        web::resource("/groups/{id}/memberships")
            .route(web::get().to(groups::list_memberships))
            .route(web::post().to(groups::add_membership)),
    )
    .service(
        web::resource("/expenses/{id}/approve").route(web::post().to(meetings::approve_expense)),
    )
    .service(web::resource("/expenses/{id}/reject").route(web::post().to(meetings::reject_expense)))
    .service(
        web::resource("/expenses/{id}/receipts")
            .route(web::get().to(receipts::list))
            .route(web::post().to(receipts::upload)),
    )
    .service(
        web::resource("/receipts/{id}")
            .route(web::get().to(receipts::get))
            .route(web::delete().to(receipts::delete)),
    )
    .service(web::resource("/members/{id}/expenses").route(web::get().to(receipts::of_member)));
}

/// Benefit limits, rate cards, payment choices and adjustments.
fn remuneration_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/benefit-limits")
            .route(web::get().to(limits::list))
            .route(web::post().to(limits::create)),
    )
    .service(
        web::resource("/rate-cards")
            .route(web::get().to(remuneration::list_cards))
            .route(web::post().to(remuneration::create_card)),
    )
    .service(web::resource("/rate-cards/resolve").route(web::get().to(remuneration::resolve)))
    .service(
        web::resource("/rate-cards/{id}")
            .route(web::get().to(remuneration::get_card))
            .route(web::patch().to(remuneration::update_card)),
    )
    .service(web::resource("/adjustments").route(web::post().to(remuneration::create_adjustment)));
}

/// Pay runs, a member's payments and statement, and the finance reports.
fn pay_run_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reports/payments").route(web::get().to(reports::payments)))
        .service(web::resource("/reports/tax-year").route(web::get().to(reports::tax_year)))
        .service(web::resource("/reports/summary").route(web::get().to(reports::summary)))
        .service(
            web::resource("/pay-runs")
                .route(web::get().to(payruns::list))
                .route(web::post().to(payruns::create)),
        )
        .service(web::resource("/pay-runs/{id}").route(web::get().to(payruns::get)))
        .service(web::resource("/pay-runs/{id}/lines").route(web::get().to(payruns::lines)))
        .service(web::resource("/pay-runs/{id}/payments").route(web::get().to(payruns::payments)))
        .service(
            web::resource("/pay-runs/{id}/recalculate").route(web::post().to(payruns::recalculate)),
        )
        .service(web::resource("/pay-runs/{id}/cancel").route(web::post().to(payruns::cancel)))
        .service(web::resource("/pay-runs/{id}/approve").route(web::post().to(payruns::approve)))
        .service(web::resource("/pay-runs/{id}/export").route(web::get().to(payruns::export)))
        .service(
            web::resource("/pay-runs/{id}/mark-paid").route(web::post().to(payruns::mark_paid)),
        );
}
