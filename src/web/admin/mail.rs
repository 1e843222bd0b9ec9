//! The mail queue: messages by status, newest first, with their attempts and last error (never a
//! body), and a failed message made due again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{admin, at, errors_of, notice, pager, refused, Fields};
use crate::config::Settings;
use crate::db::Database;
use crate::services::outbox::{self, OutboxView};
use crate::services::page::{Page, PageRequest};
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

const PAGE_SIZE: i64 = 50;

const STATUSES: [(&str, &str); 5] = [
    ("", "Every message"),
    ("failed", "Failed"),
    ("pending", "Waiting"),
    ("sending", "Being sent"),
    ("sent", "Sent"),
];

#[derive(Debug, Default, Deserialize)]
pub struct MailQuery {
    #[serde(default)]
    status: String,
    cursor: Option<String>,
    saved: Option<String>,
}

fn status_words(status: &str) -> &str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(status, |(_, w)| w)
}

/// `password-reset` as `Password reset`.
fn purpose_words(purpose: &str) -> String {
    let spaced = purpose.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn filter(chosen: &str) -> Markup {
    html! {
        nav aria-label="Messages by status" {
            ul class="links" {
                @for (code, words) in STATUSES {
                    @let href = if code.is_empty() { "/mail".to_string() } else { format!("/mail?status={code}") };
                    li {
                        @if code == chosen { a href=(href) aria-current="page" { strong { (words) } } }
                        @else { a href=(href) { (words) } }
                    }
                }
            }
        }
    }
}

fn row(ctx: &Ctx, settings: &Settings, m: &OutboxView) -> Markup {
    html! {
        tr {
            td { (at(settings, &m.created_at)) }
            td { (m.to) }
            td { (m.subject) br; span class="muted" { (purpose_words(&m.purpose)) } }
            td class="status" { (status_words(&m.status)) }
            td class="money" { (m.attempts) }
            td {
                @if let Some(e) = &m.last_error { (e) }
                @if let Some(t) = &m.next_attempt_at { @if m.last_error.is_some() { br; } span class="muted" { "Next try " (at(settings, t)) } }
                @if let Some(t) = &m.sent_at { span class="muted" { "Sent " (at(settings, t)) } }
            }
            td {
                @if m.status == "failed" {
                    form method="post" action={ "/mail/" (m.id) "/retry" } {
                        (ctx.csrf_field())
                        button type="submit" class="link-button" aria-label={ "Try again: " (m.subject) " to " (m.to) } { "Try again" }
                    }
                }
            }
        }
    }
}

fn body(
    ctx: &Ctx,
    settings: &Settings,
    page: &Page<OutboxView>,
    q: &MailQuery,
    errors: &FormErrors,
) -> Markup {
    html! {
        h1 { "Mail queue" }
        @if q.saved.is_some() { (notice("The message is due again: it is sent in a moment, with its attempts counted from nought.")) }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        p { "Every email coprod sends waits here until it is sent. A message that keeps failing is tried "
            "with a growing delay, then marked failed; the last error says why. Its text is never shown here." }
        (filter(&q.status))
        @if page.items.is_empty() {
            p { "No messages here." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Messages, newest first" {
                table {
                    caption { "Messages, newest first" }
                    thead { tr {
                        th scope="col" { "Queued" }
                        th scope="col" { "To" }
                        th scope="col" { "Subject" }
                        th scope="col" { "Status" }
                        th scope="col" class="money" { "Attempts" }
                        th scope="col" { "Last error" }
                        th scope="col" { "Action" }
                    } }
                    tbody { @for m in &page.items { (row(ctx, settings, m)) } }
                }
            }
        }
        (pager("/mail", &[("status", q.status.as_str())], page.next_cursor.as_deref(), q.cursor.is_some()))
    }
}

async fn page(
    req: &HttpRequest,
    db: &Database,
    settings: &Settings,
    actor: Actor,
    q: &MailQuery,
    (status, errors): (StatusCode, FormErrors),
) -> HttpResponse {
    let (a, chosen) = (actor.clone(), q.status.clone());
    let request = PageRequest::at(PAGE_SIZE, q.cursor.clone());
    let loaded = db
        .run(move |c| {
            let chosen = Some(chosen.as_str()).filter(|s| !s.is_empty());
            outbox::list(c, &a, chosen, &request)
        })
        .await;
    let list = match loaded {
        Ok(l) => l,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = body(&ctx, settings, &list, q, &errors);
    ctx.page(status, "Mail queue", body)
}

async fn show(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<MailQuery>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let shown = (StatusCode::OK, FormErrors::none());
    page(&req, &db, &settings, actor, &q, shown).await
}

async fn retry(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    match db.run(move |c| outbox::retry(c, &a, &id)).await {
        Ok(_) => redirect("/mail?saved=retried"),
        Err(e @ Error::Conflict(_)) => {
            let shown = (refused(&e), errors_of(&e, &[], &[], "form"));
            page(&req, &db, &settings, actor, &MailQuery::default(), shown).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/mail").route(web::get().to(show)))
        .service(web::resource("/mail/{id}/retry").route(web::post().to(retry)));
}
