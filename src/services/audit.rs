//! The audit trail: `record` writes an event in the caller's transaction for every change to
//! accounts, people, money or permissions; `list` lets admin and finance read it.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::page::{Page, PageRequest};
use super::Result;
use crate::db::audit::{self as rows, AuditFilter, AuditRow};
use crate::db::{self, DbConnection};

/// One change, described for the record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<&'a str>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: &'a str) -> Change<'a> {
        Change {
            action,
            entity_type,
            entity_id,
            before: None,
            after: None,
            reason: None,
        }
    }

    pub fn before(mut self, v: impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }

    pub fn reason(mut self, reason: Option<&'a str>) -> Self {
        self.reason = reason;
        self
    }
}

/// Writes `change` as done by `actor` (None: the system or the command line).
pub fn record(conn: &mut DbConnection, actor: Option<&Actor>, change: Change<'_>) -> Result<()> {
    rows::insert(
        conn,
        &AuditRow {
            id: db::new_id(),
            occurred_at: db::now(),
            actor_id: actor.map(|a| a.account_id.clone()),
            action: change.action.to_string(),
            entity_type: change.entity_type.to_string(),
            entity_id: change.entity_id.to_string(),
            before_json: change.before.map(|v| v.to_string()),
            after_json: change.after.map(|v| v.to_string()),
            reason: change.reason.map(str::to_string),
            request_id: actor.and_then(|a| a.request_id.clone()),
        },
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    /// The account that made the change; null for the system.
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> AuditEvent {
        AuditEvent {
            id: r.id,
            occurred_at: instant(r.occurred_at),
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
            after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            reason: r.reason,
            request_id: r.request_id,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    query: AuditQuery,
    page: &PageRequest,
) -> Result<Page<AuditEvent>> {
    actor.require(&[Role::Admin, Role::Finance])?;
    let limit = page.limit()?;
    if let (Some(f), Some(t)) = (query.from, query.to) {
        if f > t {
            return Err(super::Error::invalid(
                "from",
                "must not be after the last day (`to`)",
            ));
        }
    }
    let filter = AuditFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor_id: query.actor_id,
        from: query.from.and_then(|d| d.and_hms_opt(0, 0, 0)),
        until: query
            .to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
    };
    let rows = rows::list(conn, &filter, page.after_id()?, limit + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        AuditEvent::from,
    ))
}

/// An instant as RFC 3339 in UTC, to the second or finer.
pub fn instant(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
