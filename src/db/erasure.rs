//! The statements of erasure: what is still owed to a member (erasure waits for it), and the
//! writes that take their personal details out of every table while their amounts, dates and
//! run membership stay. `services::personal::erase` decides who may and records why.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::pay::APPROVED;
use super::schema::{
    account_groups, accounts, adjustments, attendance, audit_events, erasures, expense_claims,
    idempotency_keys, meeting_replies, meetings, members, one_time_tokens, outbox, pay_claims,
    pay_lines, pay_runs, payments, receipts, reply_tokens, sessions,
};
use super::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{Disposition, RunStatus};
use crate::domain::personal::{erased_address, Identifiers};
use crate::domain::records::{AttendanceStatus, ClaimStatus};

diesel::define_sql_function!(#[sql_name = "lower"] fn lower_text(x: Text) -> Text);
diesel::define_sql_function!(#[sql_name = "lower"] fn lower_opt(x: Nullable<Text>) -> Nullable<Text>);

/// What must be settled before a member's details may go: money owed to them, or runs that
/// hold them and are not yet paid.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Owed {
    /// Sessions they attended that no approved run has paid.
    pub sessions_unpaid: i64,
    /// Claims waiting for a coordinator's decision.
    pub claims_waiting: i64,
    /// Approved claims no approved run has paid.
    pub claims_unpaid: i64,
    /// Fees held back by their limit, carried forward and not yet paid.
    pub carried_forward: i64,
    /// Adjustments no approved run has paid.
    pub adjustments_unpaid: i64,
    /// Approved or exported runs that pay them and are not yet marked paid.
    pub runs_unpaid: Vec<String>,
    /// Draft runs that hold them.
    pub drafts: Vec<String>,
}

impl Owed {
    pub fn is_settled(&self) -> bool {
        *self == Owed::default()
    }
}

/// Everything still owed to the member: 7 statements.
pub fn owed(conn: &mut DbConnection, member_id: &str) -> QueryResult<Owed> {
    let sessions_unpaid = attendance::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(attendance::member_id.eq(member_id))
        .filter(pay_claims::source_id.is_null())
        .filter(attendance::status.eq_any([AttendanceStatus::Attended, AttendanceStatus::Partial]))
        .filter(meetings::cancelled_at.is_null())
        .count()
        .get_result(conn)?;
    let claims = |status: ClaimStatus| {
        expense_claims::table
            .inner_join(meetings::table)
            .left_join(
                pay_claims::table.on(pay_claims::source_kind
                    .eq(SourceKind::Expense)
                    .and(pay_claims::source_id.eq(expense_claims::id))),
            )
            .filter(expense_claims::member_id.eq(member_id.to_string()))
            .filter(expense_claims::status.eq(status))
            .filter(pay_claims::source_id.is_null())
            .filter(meetings::cancelled_at.is_null())
            .count()
    };
    let claims_waiting = claims(ClaimStatus::Pending).get_result(conn)?;
    let claims_unpaid = claims(ClaimStatus::Approved).get_result(conn)?;
    let carried_forward = pay_lines::table
        .inner_join(pay_runs::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Carried)
                .and(pay_claims::source_id.eq(pay_lines::id))),
        )
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_claims::source_id.is_null())
        .filter(pay_lines::disposition.eq(Disposition::CarriedForward))
        .filter(pay_runs::status.eq_any(APPROVED))
        .count()
        .get_result(conn)?;
    let adjustments_unpaid = adjustments::table
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Adjustment)
                .and(pay_claims::source_id.eq(adjustments::id))),
        )
        .filter(adjustments::member_id.eq(member_id))
        .filter(pay_claims::source_id.is_null())
        .count()
        .get_result(conn)?;
    let runs_unpaid = payments::table
        .inner_join(pay_runs::table)
        .filter(payments::member_id.eq(member_id))
        .filter(pay_runs::status.eq_any([RunStatus::Approved, RunStatus::Exported]))
        .select(pay_runs::id)
        .distinct()
        .order(pay_runs::id.asc())
        .load(conn)?;
    let drafts = pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_runs::status.eq(RunStatus::Draft))
        .select(pay_runs::id)
        .distinct()
        .order(pay_runs::id.asc())
        .load(conn)?;
    Ok(Owed {
        sessions_unpaid,
        claims_waiting,
        claims_unpaid,
        carried_forward,
        adjustments_unpaid,
        runs_unpaid,
        drafts,
    })
}

/// `%value%` for LIKE, its wildcards escaped with a backslash.
fn containing(value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The patterns a column is searched with for `value`: in lower case against the column in lower
/// case (the database lowers only A to Z on SQLite), and as written against the column as it is
/// (for a name with other capitals, such as "Émile"). Candidates are then checked in Rust,
/// word by word and in any case, before anything is changed.
fn patterns(value: &str) -> (String, String) {
    (containing(&value.to_lowercase()), containing(value))
}

/// How many rows of each kind an erasure changed or removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Removed {
    pub accounts: usize,
    pub sign_in_sessions: usize,
    pub replies: usize,
    pub reply_links: usize,
    pub attendance_notes: usize,
    pub claims: usize,
    pub receipts: usize,
    pub adjustments: usize,
    pub emails: usize,
    pub audit_events: usize,
    pub saved_responses: usize,
}

/// The member's own row: the pseudonym for the name, every other personal field emptied, and
/// archived if it was not.
pub fn clear_member(
    conn: &mut DbConnection,
    member_id: &str,
    pseudonym: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let archived: Option<NaiveDateTime> = members::table
        .find(member_id)
        .select(members::archived_at)
        .first(conn)?;
    diesel::update(members::table.find(member_id))
        .set((
            members::full_name.eq(pseudonym),
            members::preferred_name.eq(None::<String>),
            members::email.eq(None::<String>),
            members::phone.eq(None::<String>),
            members::postal_address.eq(None::<String>),
            members::payee_reference.eq(None::<String>),
            members::communication_needs.eq(None::<String>),
            members::notes.eq(None::<String>),
            members::calendar_feed_hash.eq(None::<String>),
            members::preferred_formats.eq(""),
            members::archived_at.eq(Some(archived.unwrap_or(now))),
            members::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Their sign-in accounts: disabled, with an address that reaches nobody and no password; their
/// sessions, emailed links, group grants and failure counts gone. (A member's account must name
/// its member, so it stays tied to the pseudonymous record, which identifies nobody.) Returns
/// the accounts' ids and former addresses.
pub fn clear_accounts(
    conn: &mut DbConnection,
    member_id: &str,
    now: NaiveDateTime,
    removed: &mut Removed,
) -> QueryResult<Vec<(String, String)>> {
    let held: Vec<(String, String)> = accounts::table
        .filter(accounts::member_id.eq(member_id))
        .select((accounts::id, accounts::email))
        .load(conn)?;
    super::revocations::changed();
    for (id, email) in &held {
        diesel::update(accounts::table.find(id))
            .set((
                accounts::email.eq(erased_address(id)),
                accounts::password_hash.eq(None::<String>),
                accounts::disabled.eq(true),
                accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
        removed.sign_in_sessions +=
            diesel::delete(sessions::table.filter(sessions::account_id.eq(id))).execute(conn)?;
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::account_id.eq(id)))
            .execute(conn)?;
        diesel::delete(account_groups::table.filter(account_groups::account_id.eq(id)))
            .execute(conn)?;
        super::sessions::clear_account_failures(conn, email)?;
    }
    removed.accounts = held.len();
    Ok(held)
}

/// Their replies' needs and notes, reply links, attendance notes, claims' descriptions (reasons
/// struck), receipts (their files with them) and adjustments' reasons (struck).
pub fn clear_records(
    conn: &mut DbConnection,
    member_id: &str,
    ids: &Identifiers,
    removed: &mut Removed,
) -> QueryResult<()> {
    removed.replies =
        diesel::update(meeting_replies::table.filter(meeting_replies::member_id.eq(member_id)))
            .set((
                meeting_replies::access_needs.eq(""),
                meeting_replies::access_note.eq(None::<String>),
            ))
            .execute(conn)?;
    removed.reply_links =
        diesel::delete(reply_tokens::table.filter(reply_tokens::member_id.eq(member_id)))
            .execute(conn)?;
    removed.attendance_notes = diesel::update(
        attendance::table
            .filter(attendance::member_id.eq(member_id))
            .filter(attendance::notes.is_not_null()),
    )
    .set(attendance::notes.eq(None::<String>))
    .execute(conn)?;
    let claims: Vec<(String, Option<String>, Option<String>)> = expense_claims::table
        .filter(expense_claims::member_id.eq(member_id))
        .select((
            expense_claims::id,
            expense_claims::rejection_reason,
            expense_claims::late_reason,
        ))
        .load(conn)?;
    for (id, rejection, late) in &claims {
        diesel::update(expense_claims::table.find(id))
            .set((
                expense_claims::description.eq(None::<String>),
                expense_claims::receipt_ref.eq(None::<String>),
                expense_claims::rejection_reason.eq(rejection.as_deref().map(|r| ids.strike(r))),
                expense_claims::late_reason.eq(late.as_deref().map(|r| ids.strike(r))),
            ))
            .execute(conn)?;
        removed.receipts +=
            diesel::delete(receipts::table.filter(receipts::expense_id.eq(id))).execute(conn)?;
    }
    removed.claims = claims.len();
    let reasons: Vec<(String, String)> = adjustments::table
        .filter(adjustments::member_id.eq(member_id))
        .select((adjustments::id, adjustments::reason))
        .load(conn)?;
    for (id, reason) in &reasons {
        diesel::update(adjustments::table.find(id))
            .set(adjustments::reason.eq(ids.strike(reason)))
            .execute(conn)?;
    }
    removed.adjustments = reasons.len();
    // A line's explanation quotes an adjustment's reason.
    let lines: Vec<(String, String)> = pay_lines::table
        .filter(pay_lines::member_id.eq(member_id))
        .select((pay_lines::id, pay_lines::explanation))
        .load(conn)?;
    for (id, explanation) in lines.iter().filter(|(_, e)| ids.mentioned_in(e)) {
        diesel::update(pay_lines::table.find(id))
            .set(pay_lines::explanation.eq(ids.strike(explanation)))
            .execute(conn)?;
    }
    Ok(())
}

/// Emails to their addresses, and any that mention them: the text and calendar part emptied,
/// the subject struck, their address replaced; one still waiting is not sent.
pub fn clear_emails(
    conn: &mut DbConnection,
    addresses: &[String],
    ids: &Identifiers,
    removed: &mut Removed,
) -> QueryResult<()> {
    type Mail = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let mut q = outbox::table
        .filter(outbox::recipient.eq_any(addresses.to_vec()))
        .select((
            outbox::id,
            outbox::recipient,
            outbox::subject,
            outbox::status,
            outbox::body_text,
            outbox::body_html,
            outbox::calendar,
        ))
        .into_boxed();
    for v in ids.values() {
        for p in <[String; 2]>::from(patterns(v)) {
            q = q
                .or_filter(lower_text(outbox::subject).like(p.clone()).escape('\\'))
                .or_filter(outbox::subject.like(p.clone()).escape('\\'))
                .or_filter(lower_text(outbox::body_text).like(p.clone()).escape('\\'))
                .or_filter(outbox::body_text.like(p.clone()).escape('\\'))
                .or_filter(lower_opt(outbox::calendar).like(p.clone()).escape('\\'))
                .or_filter(outbox::calendar.like(p).escape('\\'));
        }
    }
    let rows: Vec<Mail> = q.load(conn)?;
    let mut changed = 0;
    for (id, recipient, subject, status, text, html, calendar) in &rows {
        let to_them = addresses.iter().any(|a| a.eq_ignore_ascii_case(recipient));
        let names_them = ids.mentioned_in(subject)
            || ids.mentioned_in(text)
            || ids.mentioned_in(html)
            || calendar.as_deref().is_some_and(|c| ids.mentioned_in(c));
        if !to_them && !names_them {
            continue;
        }
        let waiting = status == super::outbox::PENDING || status == super::outbox::SENDING;
        diesel::update(outbox::table.find(id))
            .set((
                outbox::subject.eq(ids.strike(subject)),
                outbox::body_text.eq(super::outbox::ERASED_TEXT),
                outbox::body_html.eq(super::outbox::ERASED_HTML),
                outbox::calendar.eq(None::<String>),
                outbox::last_error.eq(None::<String>),
                outbox::recipient.eq(if to_them {
                    "erased@invalid".to_string()
                } else {
                    recipient.clone()
                }),
                outbox::status.eq(if waiting {
                    super::outbox::FAILED
                } else {
                    status.as_str()
                }),
            ))
            .execute(conn)?;
        changed += 1;
    }
    removed.emails = changed;
    Ok(())
}

/// Audit events about them (`entities`: their record and its rows) or that mention them: each
/// snapshot's personal fields erased and the identifiers struck out of the rest and the reason.
pub fn clear_audit(
    conn: &mut DbConnection,
    entities: &[String],
    ids: &Identifiers,
    removed: &mut Removed,
) -> QueryResult<()> {
    type Snap = (String, Option<String>, Option<String>, Option<String>);
    let select = (
        audit_events::id,
        audit_events::before_json,
        audit_events::after_json,
        audit_events::reason,
    );
    let theirs: Vec<Snap> = super::by_chunks(conn, entities, |conn, chunk| {
        audit_events::table
            .filter(audit_events::entity_id.eq_any(chunk))
            .select(select)
            .load(conn)
    })?;
    let mut mentions: Vec<Snap> = Vec::new();
    if !ids.values().is_empty() {
        let mut q = audit_events::table.select(select).into_boxed();
        let mut first = true;
        for v in ids.values() {
            for p in <[String; 2]>::from(patterns(v)) {
                let lowered = lower_opt(audit_events::before_json)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower_opt(audit_events::after_json)
                        .like(p.clone())
                        .escape('\\'))
                    .or(lower_opt(audit_events::reason).like(p.clone()).escape('\\'))
                    .or(audit_events::before_json.like(p.clone()).escape('\\'))
                    .or(audit_events::after_json.like(p.clone()).escape('\\'))
                    .or(audit_events::reason.like(p).escape('\\'));
                q = if first {
                    q.filter(lowered)
                } else {
                    q.or_filter(lowered)
                };
                first = false;
            }
        }
        let own: std::collections::HashSet<&str> = theirs.iter().map(|r| r.0.as_str()).collect();
        mentions = q
            .load::<Snap>(conn)?
            .into_iter()
            .filter(|(id, b, a, r)| {
                !own.contains(id.as_str())
                    && [b, a, r]
                        .iter()
                        .any(|t| t.as_deref().is_some_and(|t| ids.mentioned_in(t)))
            })
            .collect();
    }
    let strike = |t: &Option<String>| t.as_deref().map(|r| ids.strike(r));
    for ((id, before, after, reason), own) in theirs
        .iter()
        .map(|r| (r, true))
        .chain(mentions.iter().map(|r| (r, false)))
    {
        let json = |j: &Option<String>| {
            j.as_deref().map(|j| {
                if own {
                    ids.strike_json(j)
                } else {
                    ids.strike_mentions_json(j)
                }
            })
        };
        diesel::update(audit_events::table.find(id))
            .set((
                audit_events::before_json.eq(json(before)),
                audit_events::after_json.eq(json(after)),
                audit_events::reason.eq(strike(reason)),
            ))
            .execute(conn)?;
    }
    removed.audit_events = theirs.len() + mentions.len();
    Ok(())
}

/// Saved responses of repeated requests (idempotency keys) that hold their details: deleted (a
/// retry after this runs again instead of replaying).
pub fn clear_saved_responses(
    conn: &mut DbConnection,
    ids: &Identifiers,
    removed: &mut Removed,
) -> QueryResult<()> {
    for v in ids.values() {
        let (lowered, written) = patterns(v);
        let found: Vec<(String, String, Option<String>)> = idempotency_keys::table
            .filter(
                lower_opt(idempotency_keys::response_body)
                    .like(lowered)
                    .escape('\\')
                    .or(idempotency_keys::response_body.like(written).escape('\\')),
            )
            .select((
                idempotency_keys::account_id,
                idempotency_keys::idem_key,
                idempotency_keys::response_body,
            ))
            .load(conn)?;
        for (account, key, body) in found {
            if body.as_deref().is_some_and(|b| ids.mentioned_in(b)) {
                removed.saved_responses += diesel::delete(
                    idempotency_keys::table
                        .filter(idempotency_keys::account_id.eq(&account))
                        .filter(idempotency_keys::idem_key.eq(&key)),
                )
                .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// Records the erasure.
pub fn record(
    conn: &mut DbConnection,
    member_id: &str,
    at: NaiveDateTime,
    by: Option<&str>,
    rule: Option<&str>,
) -> QueryResult<usize> {
    diesel::insert_into(erasures::table)
        .values((
            erasures::member_id.eq(member_id),
            erasures::erased_at.eq(at),
            erasures::erased_by.eq(by),
            erasures::rule.eq(rule),
        ))
        .execute(conn)
}

/// When the member was erased, if they were.
pub fn erased_at(conn: &mut DbConnection, member_id: &str) -> QueryResult<Option<NaiveDateTime>> {
    erasures::table
        .find(member_id)
        .select(erasures::erased_at)
        .first(conn)
        .optional()
}
