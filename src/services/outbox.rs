//! The mail queue as admins see it: what was sent, what waits and what failed, with the attempts
//! and the last error, never a body. A failed message can be made due again.

use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::page::{Page, PageRequest};
use super::{Error, Result};
use crate::db::outbox::{self as rows, OutboxRow};
use crate::db::{self, write_tx, DbConnection};

/// One message of the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: String,
    pub to: String,
    pub subject: String,
    /// What the message is for, such as `invitation`, `password-reset`, `payment-approved`.
    pub purpose: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When it is next tried, while it waits.
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub created_at: String,
}

impl From<&OutboxRow> for OutboxView {
    fn from(r: &OutboxRow) -> OutboxView {
        let waiting = r.status == rows::PENDING || r.status == rows::SENDING;
        OutboxView {
            id: r.id.clone(),
            to: r.recipient.clone(),
            subject: r.subject.clone(),
            purpose: purpose_of(&r.dedupe_key).to_string(),
            status: r.status.clone(),
            attempts: r.attempts,
            last_error: r.last_error.clone(),
            next_attempt_at: waiting.then(|| instant(r.next_attempt_at)),
            sent_at: r.sent_at.map(instant),
            created_at: instant(r.created_at),
        }
    }
}

/// The purpose is the first part of the dedupe key (`payment-approved:<run>:<member>`).
fn purpose_of(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

const STATUSES: [&str; 4] = [rows::PENDING, rows::SENDING, rows::SENT, rows::FAILED];

/// The queue, newest first, of one status or all. Admin only.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<OutboxView>> {
    actor.require(&[Role::Admin])?;
    if let Some(s) = status {
        if !STATUSES.contains(&s) {
            return Err(Error::invalid(
                "status",
                "must be pending, sending, sent or failed",
            ));
        }
    }
    let limit = page.limit()?;
    let found = rows::list(conn, status, page.after_id()?, limit + 1)?;
    Ok(Page::from_rows(
        found,
        limit,
        |r| r.id.clone(),
        |r| OutboxView::from(&r),
    ))
}

/// Makes a failed message due again, its attempts reset. Admin only. A message that was sent, or
/// is still waiting, is a conflict; so is one that held a single-use link, whose body was removed
/// when it failed (a new invitation or reset replaces it).
pub fn retry(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<OutboxView> {
    actor.require(&[Role::Admin])?;
    write_tx(conn, |conn| {
        let row = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        match row.status.as_str() {
            rows::SENT => {
                return Err(Error::Conflict(
                    "This message was sent, so there is nothing to retry.".into(),
                ))
            }
            rows::PENDING | rows::SENDING => {
                return Err(Error::Conflict(
                    "This message is still waiting to be sent; it will be tried again on its own."
                        .into(),
                ))
            }
            _ if row.holds_secret => {
                return Err(Error::Conflict(
                    "This message held a single-use link, removed when it failed. Send a new invitation, or ask the person to request a new password reset.".into(),
                ))
            }
            _ => {}
        }
        let now = db::now();
        if !rows::retry(conn, id, now)? {
            return Err(Error::Conflict(
                "This message changed a moment ago; look at the queue again.".into(),
            ));
        }
        let after = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        let view = OutboxView::from(&after);
        audit::record(
            conn,
            Some(actor),
            Change::new("outbox.retried", "outbox", id)
                .before(OutboxView::from(&row))
                .after(&view),
        )?;
        Ok(view)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_is_the_first_part_of_the_key() {
        assert_eq!(purpose_of("payment-approved:r1:m1"), "payment-approved");
        assert_eq!(purpose_of("invitation:abc"), "invitation");
        assert_eq!(purpose_of("plain"), "plain");
    }
}
