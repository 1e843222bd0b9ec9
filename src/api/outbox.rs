//! /outbox: the mail queue, for admins. Never a message's body.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::with_conn;
use super::error::Problem;
use crate::db::Database;
use crate::services::outbox::{self, OutboxView};
use crate::services::page::{Page, PageRequest};
use crate::services::Actor;

#[derive(Deserialize, IntoParams)]
pub struct OutboxParams {
    /// `pending`, `sending`, `sent` or `failed`; all when absent.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&OutboxParams> for PageRequest {
    fn from(q: &OutboxParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// The mail queue, newest first: recipient, subject, purpose, status, attempts and the last error.
/// Admin only.
#[utoipa::path(get, path = "/api/v1/outbox", operation_id = "list_outbox", tag = "outbox", security(("bearer" = [])),
    params(OutboxParams),
    responses(
        (status = 200, body = Page<OutboxView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status, a bad limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    query: web::Query<OutboxParams>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let page = PageRequest::from(&q);
    let status = q.status;
    let result = with_conn(&db, move |conn| {
        outbox::list(conn, &actor, status.as_deref(), &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Make a failed message due again, its attempts reset. Admin only.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", operation_id = "retry_outbox_message", tag = "outbox", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 202, description = "Due again", body = OutboxView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Sent already, still waiting, or it held a single-use link that was removed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = with_conn(&db, move |conn| outbox::retry(conn, &actor, &id)).await?;
    Ok(HttpResponse::Accepted().json(view))
}
