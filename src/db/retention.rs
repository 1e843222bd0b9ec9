//! The statements of the retention rules: what is old enough to go (sent emails' texts, receipts'
//! files, members' records), the writes that remove it, and the daily pass's claim on its day.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::outbox::{EXPIRED_HTML, EXPIRED_TEXT, FAILED, REPLACED_TEXTS, SENT};
use super::pay::APPROVED;
use super::schema::{
    erasures, members, memberships, outbox, pay_runs, payments, receipts, retention_runs,
};
use super::DbConnection;

/// Emails sent (or failed for good) before `before` whose text is still there: (id, when written).
pub fn emails_due(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    outbox::table
        .filter(outbox::status.eq_any([SENT, FAILED]))
        // Counted from when it was sent; one that failed for good, from when it was written.
        .filter(
            outbox::sent_at
                .lt(before)
                .or(outbox::sent_at.is_null().and(outbox::created_at.lt(before))),
        )
        .filter(outbox::body_text.ne_all(REPLACED_TEXTS))
        .select((outbox::id, outbox::created_at))
        .order(outbox::created_at.asc())
        .load(conn)
}

/// Empties an email's text and calendar part (its subject, date and status stay).
pub fn empty_email(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::body_text.ne_all(REPLACED_TEXTS)),
    )
    .set((
        outbox::body_text.eq(EXPIRED_TEXT),
        outbox::body_html.eq(EXPIRED_HTML),
        outbox::calendar.eq(None::<String>),
    ))
    .execute(conn)
}

/// Receipts sent before `before`: (id, claim id, size, when).
pub fn receipts_due(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<Vec<(String, String, i64, NaiveDateTime)>> {
    receipts::table
        .filter(receipts::uploaded_at.lt(before))
        .select((
            receipts::id,
            receipts::expense_id,
            receipts::size_bytes,
            receipts::uploaded_at,
        ))
        .order(receipts::uploaded_at.asc())
        .load(conn)
}

pub fn delete_receipt(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(receipts::table.find(id)).execute(conn)
}

/// A member not yet erased, with what the erasure rule counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub member_id: String,
    pub created_at: NaiveDateTime,
    pub last_payment: Option<NaiveDate>,
    /// `None`: no role ever; `Some(None)`: a role still open; `Some(Some(d))`: the last ended on d.
    pub roles_end: Option<Option<NaiveDate>>,
}

/// Every member not yet erased, with their last payment date (approved runs) and the end of
/// their last role: 4 statements.
pub fn members_kept(conn: &mut DbConnection) -> QueryResult<Vec<Kept>> {
    let people: Vec<(String, NaiveDateTime)> = members::table
        .left_join(erasures::table)
        .filter(erasures::member_id.is_null())
        .select((members::id, members::created_at))
        .order(members::id.asc())
        .load(conn)?;
    let paid: std::collections::HashMap<String, Option<NaiveDate>> = payments::table
        .inner_join(pay_runs::table)
        .filter(pay_runs::status.eq_any(APPROVED))
        .group_by(payments::member_id)
        .select((payments::member_id, max(pay_runs::payment_date)))
        .load::<(String, Option<NaiveDate>)>(conn)?
        .into_iter()
        .collect();
    let open: std::collections::HashSet<String> = memberships::table
        .filter(memberships::ends_on.is_null())
        .select(memberships::member_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let ended: std::collections::HashMap<String, Option<NaiveDate>> = memberships::table
        .group_by(memberships::member_id)
        .select((memberships::member_id, max(memberships::ends_on)))
        .load::<(String, Option<NaiveDate>)>(conn)?
        .into_iter()
        .collect();
    Ok(people
        .into_iter()
        .map(|(id, created_at)| Kept {
            last_payment: paid.get(&id).copied().flatten(),
            roles_end: if open.contains(&id) {
                Some(None)
            } else {
                ended.get(&id).copied()
            },
            member_id: id,
            created_at,
        })
        .collect())
}

/// Claims `day` for the daily pass: false when another pass (on this instance or another) has it
/// already. Taken inside the pass's transaction, so a pass that fails gives the day back.
pub fn claim_day(conn: &mut DbConnection, day: NaiveDate, now: NaiveDateTime) -> QueryResult<bool> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(retention_runs::table)
            .values((
                retention_runs::run_on.eq(day.to_string()),
                retention_runs::started_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records how many things the day's pass removed.
pub fn finish_day(conn: &mut DbConnection, day: NaiveDate, removed: i64) -> QueryResult<usize> {
    diesel::update(retention_runs::table.find(day.to_string()))
        .set(retention_runs::removed.eq(removed))
        .execute(conn)
}
