//! Everything the database holds about one member, table by table, for their copy of it (UK GDPR
//! article 15). Each query is one table's rows about them, in a fixed order.

use diesel::prelude::*;

use super::audit::AuditRow;
use super::meetings::{AttendanceRow, ExpenseRow};
use super::pay::{AdjustmentRow, PayLineRow, PaymentRow, PreferenceRow};
use super::people::MembershipRow;
use super::receipts::ReceiptInfo;
use super::replies::ReplyRow;
use super::schema::{
    accounts, adjustments, attendance, audit_events, expense_claims, meeting_replies, memberships,
    outbox, pay_lines, payments, preferences, receipts,
};
use super::DbConnection;

/// A sign-in account as the member may see it: never its password hash.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct AccountInfo {
    pub id: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub password_changed_at: Option<chrono::NaiveDateTime>,
    pub last_login_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
}

/// An email sent (or to be sent) to them: what and when, not its text.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct EmailInfo {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub created_at: chrono::NaiveDateTime,
    pub sent_at: Option<chrono::NaiveDateTime>,
}

/// One member's rows of every table that holds them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Held {
    pub accounts: Vec<AccountInfo>,
    pub memberships: Vec<MembershipRow>,
    pub attendance: Vec<AttendanceRow>,
    pub meeting_replies: Vec<ReplyRow>,
    pub expense_claims: Vec<ExpenseRow>,
    pub receipts: Vec<ReceiptInfo>,
    pub preferences: Vec<PreferenceRow>,
    pub adjustments: Vec<AdjustmentRow>,
    pub pay_lines: Vec<PayLineRow>,
    pub payments: Vec<PaymentRow>,
    pub emails: Vec<EmailInfo>,
    pub audit_events: Vec<AuditRow>,
}

/// Every row about the member: 12 statements, however much there is.
pub fn held(conn: &mut DbConnection, member_id: &str, addresses: &[String]) -> QueryResult<Held> {
    let accounts: Vec<AccountInfo> = accounts::table
        .filter(accounts::member_id.eq(member_id))
        .order(accounts::created_at.asc())
        .select((
            accounts::id,
            accounts::email,
            accounts::role,
            accounts::disabled,
            accounts::password_changed_at,
            accounts::last_login_at,
            accounts::created_at,
        ))
        .load(conn)?;
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let mut emails_to: Vec<String> = addresses.to_vec();
    emails_to.extend(accounts.iter().map(|a| a.email.clone()));
    let expense_claims: Vec<ExpenseRow> = expense_claims::table
        .filter(expense_claims::member_id.eq(member_id))
        .order((expense_claims::created_at.asc(), expense_claims::id.asc()))
        .select(ExpenseRow::as_select())
        .load(conn)?;
    let claim_ids: Vec<String> = expense_claims.iter().map(|c| c.id.clone()).collect();
    Ok(Held {
        memberships: memberships::table
            .filter(memberships::member_id.eq(member_id))
            .order((memberships::starts_on.asc(), memberships::id.asc()))
            .select(MembershipRow::as_select())
            .load(conn)?,
        attendance: attendance::table
            .filter(attendance::member_id.eq(member_id))
            .order((attendance::created_at.asc(), attendance::id.asc()))
            .select(AttendanceRow::as_select())
            .load(conn)?,
        meeting_replies: meeting_replies::table
            .filter(meeting_replies::member_id.eq(member_id))
            .order(meeting_replies::meeting_id.asc())
            .select(ReplyRow::as_select())
            .load(conn)?,
        receipts: super::by_chunks(conn, &claim_ids, |conn, chunk| {
            receipts::table
                .filter(receipts::expense_id.eq_any(chunk))
                .order((receipts::uploaded_at.asc(), receipts::id.asc()))
                .select(ReceiptInfo::as_select())
                .load(conn)
        })?,
        expense_claims,
        preferences: preferences::table
            .filter(preferences::member_id.eq(member_id))
            .order((
                preferences::effective_from.asc(),
                preferences::created_at.asc(),
            ))
            .select(PreferenceRow::as_select())
            .load(conn)?,
        adjustments: adjustments::table
            .filter(adjustments::member_id.eq(member_id))
            .order((adjustments::created_at.asc(), adjustments::id.asc()))
            .select(AdjustmentRow::as_select())
            .load(conn)?,
        pay_lines: pay_lines::table
            .filter(pay_lines::member_id.eq(member_id))
            .order((pay_lines::pay_run_id.asc(), pay_lines::id.asc()))
            .select(PayLineRow::as_select())
            .load(conn)?,
        payments: payments::table
            .filter(payments::member_id.eq(member_id))
            .order((payments::pay_run_id.asc(), payments::id.asc()))
            .select(PaymentRow::as_select())
            .load(conn)?,
        emails: outbox::table
            .filter(outbox::recipient.eq_any(&emails_to))
            .order((outbox::created_at.asc(), outbox::id.asc()))
            .select((
                outbox::id,
                outbox::recipient,
                outbox::subject,
                outbox::status,
                outbox::created_at,
                outbox::sent_at,
            ))
            .load(conn)?,
        // About them, or done by their own account.
        audit_events: audit_events::table
            .filter(
                audit_events::entity_id
                    .eq(member_id)
                    .or(audit_events::actor_id.eq_any(&account_ids)),
            )
            .order((audit_events::occurred_at.asc(), audit_events::id.asc()))
            .select(AuditRow::as_select())
            .load(conn)?,
        accounts,
    })
}
