//! /audit: the record of every change, for admin and finance.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::with_conn;
use super::error::Problem;
use crate::db::Database;
use crate::services::audit::{self, AuditQuery};
use crate::services::page::PageRequest;
use crate::services::Actor;

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    /// First day included (YYYY-MM-DD, UTC).
    pub from: Option<NaiveDate>,
    /// Last day included (YYYY-MM-DD, UTC).
    pub to: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl From<&AuditParams> for PageRequest {
    fn from(q: &AuditParams) -> PageRequest {
        PageRequest {
            limit: q.limit,
            cursor: q.cursor.clone(),
        }
    }
}

/// Audit events, newest first. Admin and finance.
#[utoipa::path(get, path = "/api/v1/audit", operation_id = "list_audit_events", tag = "audit", security(("bearer" = [])),
    params(AuditParams),
    responses((status = 200, body = crate::services::page::Page<crate::services::audit::AuditEvent>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    query: web::Query<AuditParams>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let page = PageRequest::from(&q);
    let filter = AuditQuery {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        from: q.from,
        to: q.to,
    };
    let result = with_conn(&db, move |conn| audit::list(conn, &actor, filter, &page)).await?;
    Ok(HttpResponse::Ok().json(result))
}
