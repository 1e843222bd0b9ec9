//! Rows and queries of rate cards, preferences, adjustments, pay runs, their lines and payments, and
//! `pay_claims` (what approved runs have taken).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    adjustments, expense_claims, meetings, memberships, pay_claims, pay_lines, pay_runs, payments,
    preferences, rate_cards, rate_rules,
};
use super::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::{
    AdjustmentKind, CapPeriod, Disposition, FeeOption, LineKind, Method, OverCap, RunStatus,
};
use crate::domain::rates::BasisKind;
use crate::domain::records::{AttendanceStatus, ClaimStatus, ExpenseKind};

/// An approved car journey: (expense, member, meeting date, tenths of a mile, the approved run
/// that paid it).
pub type JourneyRow = (String, String, NaiveDate, Option<i32>, Option<String>);
/// A membership: (member, group, role, starts on, ends on).
pub type RoleRow = (String, String, String, NaiveDate, Option<NaiveDate>);
/// A paid fee: (member, payment date, method, pence).
pub type PaidRow = (String, NaiveDate, Option<Method>, i64);

/// Statuses of a run that has been approved (and so holds its lines for good).
pub const APPROVED: [RunStatus; 3] = [RunStatus::Approved, RunStatus::Exported, RunStatus::Paid];

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rate_cards, treat_none_as_default_value = false)]
pub struct RateCardRow {
    pub id: String,
    pub name: String,
    pub group_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub supersedes: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rate_rules, treat_none_as_default_value = false)]
pub struct RateRuleRow {
    pub id: String,
    pub rate_card_id: String,
    pub position: i32,
    pub role: Option<String>,
    pub activity_kind: Option<String>,
    pub member_id: Option<String>,
    pub basis: BasisKind,
    pub hourly_rate_pence: Option<i64>,
    pub half_day_pence: Option<i64>,
    pub full_day_pence: Option<i64>,
    pub boundary_minutes: Option<i32>,
    pub boundary_is_full_day: bool,
    pub fixed_pence: Option<i64>,
    pub prep_hourly_rate_pence: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = preferences, treat_none_as_default_value = false)]
pub struct PreferenceRow {
    pub id: String,
    pub member_id: String,
    pub effective_from: NaiveDate,
    pub fee_choice: FeeOption,
    pub reduced_max_pence: Option<i64>,
    pub decline_expenses: bool,
    pub method: Method,
    pub voucher_provider: Option<String>,
    pub charity: Option<String>,
    pub cap_amount_pence: Option<i64>,
    pub cap_limit_code: Option<String>,
    pub cap_period: Option<CapPeriod>,
    pub cap_week_starts_on: Option<String>,
    pub cap_month_anchor_day: Option<i32>,
    pub cap_counts_methods: Option<String>,
    pub over_cap: OverCap,
    pub notify_by_email: bool,
    pub set_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = adjustments, treat_none_as_default_value = false)]
pub struct AdjustmentRow {
    pub id: String,
    pub member_id: String,
    pub group_id: Option<String>,
    pub kind: AdjustmentKind,
    pub amount_pence: i64,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = pay_runs, treat_none_as_default_value = false)]
pub struct PayRunRow {
    pub id: String,
    pub group_id: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub payment_date: NaiveDate,
    pub status: RunStatus,
    pub payment_count: i32,
    pub line_count: i32,
    pub total_pence: i64,
    pub warnings: String,
    pub calculated_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub exported_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub paid_reference: Option<String>,
    pub marked_paid_by: Option<String>,
    pub marked_paid_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub export_count: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = pay_lines, treat_none_as_default_value = false)]
pub struct PayLineRow {
    pub id: String,
    pub pay_run_id: String,
    pub position: i32,
    pub member_id: String,
    pub group_id: Option<String>,
    pub meeting_id: Option<String>,
    pub meeting_date: Option<NaiveDate>,
    pub source_kind: SourceKind,
    pub source_id: String,
    pub kind: LineKind,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub payee: Option<String>,
    pub amount_pence: i64,
    pub minutes: Option<i32>,
    pub rate_pence: Option<i64>,
    pub rate_card_id: Option<String>,
    pub rule: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: String,
    pub pay_run_id: String,
    pub position: i32,
    pub member_id: String,
    pub payee: String,
    pub method: Method,
    pub fee_pence: i64,
    pub expenses_pence: i64,
    pub total_pence: i64,
}

// ---- rate cards ----

pub fn insert_card(
    conn: &mut DbConnection,
    card: &RateCardRow,
    rules: &[RateRuleRow],
) -> QueryResult<()> {
    diesel::insert_into(rate_cards::table)
        .values(card)
        .execute(conn)?;
    if !rules.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(rate_rules::table)
            .values(rules)
            .execute(c))?;
    }
    Ok(())
}

pub fn find_card(conn: &mut DbConnection, id: &str) -> QueryResult<Option<RateCardRow>> {
    rate_cards::table
        .find(id)
        .select(RateCardRow::as_select())
        .first(conn)
        .optional()
}

/// Cards, newest first; with `group` the group's and the default cards.
pub fn list_cards(
    conn: &mut DbConnection,
    group: Option<&str>,
    only_groups: Option<&[String]>,
) -> QueryResult<Vec<RateCardRow>> {
    let mut q = rate_cards::table
        .select(RateCardRow::as_select())
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(
            rate_cards::group_id
                .eq(g.to_string())
                .or(rate_cards::group_id.is_null()),
        );
    }
    if let Some(gs) = only_groups {
        q = q.filter(
            rate_cards::group_id
                .eq_any(gs.to_vec())
                .or(rate_cards::group_id.is_null()),
        );
    }
    q.order((rate_cards::effective_from.desc(), rate_cards::id.desc()))
        .load(conn)
}

/// Cards in force on any day of `from..=to`.
pub fn cards_overlapping(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<RateCardRow>> {
    rate_cards::table
        .filter(rate_cards::effective_from.le(to))
        .filter(
            rate_cards::effective_to
                .is_null()
                .or(rate_cards::effective_to.ge(from)),
        )
        .select(RateCardRow::as_select())
        .order(rate_cards::effective_from.asc())
        .load(conn)
}

pub fn rules_of(conn: &mut DbConnection, card_ids: &[String]) -> QueryResult<Vec<RateRuleRow>> {
    let mut out = Vec::new();
    for chunk in card_ids.chunks(1000) {
        out.extend(
            rate_rules::table
                .filter(rate_rules::rate_card_id.eq_any(chunk))
                .select(RateRuleRow::as_select())
                .order((rate_rules::rate_card_id.asc(), rate_rules::position.asc()))
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn update_card(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    effective_to: Option<NaiveDate>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(rate_cards::table.find(id))
        .set((
            rate_cards::name.eq(name),
            rate_cards::effective_to.eq(effective_to),
            rate_cards::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn replace_rules(
    conn: &mut DbConnection,
    card_id: &str,
    rules: &[RateRuleRow],
) -> QueryResult<()> {
    diesel::delete(rate_rules::table.filter(rate_rules::rate_card_id.eq(card_id))).execute(conn)?;
    if !rules.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(rate_rules::table)
            .values(rules)
            .execute(c))?;
    }
    Ok(())
}

/// The latest meeting date an approved run paid with this card, if any run did.
pub fn card_last_used(conn: &mut DbConnection, card_id: &str) -> QueryResult<Option<NaiveDate>> {
    let dates: Vec<Option<NaiveDate>> = pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_lines::rate_card_id.eq(card_id))
        .filter(pay_runs::status.eq_any(APPROVED))
        .select(pay_lines::meeting_date)
        .order(pay_lines::meeting_date.desc())
        .limit(1)
        .load(conn)?;
    Ok(dates.into_iter().flatten().next())
}

/// Which of these cards approved runs have paid with (one query).
pub fn cards_used(conn: &mut DbConnection, card_ids: &[String]) -> QueryResult<Vec<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for chunk in card_ids.chunks(1000) {
        out.extend(
            pay_lines::table
                .inner_join(pay_runs::table)
                .filter(pay_lines::rate_card_id.eq_any(chunk))
                .filter(pay_runs::status.eq_any(APPROVED))
                .select(pay_lines::rate_card_id)
                .distinct()
                .load::<Option<String>>(conn)?,
        );
    }
    Ok(out.into_iter().flatten().collect())
}

// ---- preferences ----

pub fn insert_preference(conn: &mut DbConnection, row: &PreferenceRow) -> QueryResult<()> {
    diesel::insert_into(preferences::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A member's choices in the order they were written.
pub fn preferences_of(conn: &mut DbConnection, member_id: &str) -> QueryResult<Vec<PreferenceRow>> {
    preferences::table
        .filter(preferences::member_id.eq(member_id))
        .select(PreferenceRow::as_select())
        .order((preferences::created_at.asc(), preferences::id.asc()))
        .load(conn)
}

/// Every member's choices that started on or before `date`, in the order written.
pub fn preferences_until(
    conn: &mut DbConnection,
    date: NaiveDate,
) -> QueryResult<Vec<PreferenceRow>> {
    preferences::table
        .filter(preferences::effective_from.le(date))
        .select(PreferenceRow::as_select())
        .order((preferences::created_at.asc(), preferences::id.asc()))
        .load(conn)
}

/// The latest payment date of an approved run with a line for the member.
pub fn last_approved_payment_date(
    conn: &mut DbConnection,
    member_id: &str,
) -> QueryResult<Option<NaiveDate>> {
    pay_runs::table
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(
            pay_runs::id.eq_any(
                pay_lines::table
                    .filter(pay_lines::member_id.eq(member_id))
                    .select(pay_lines::pay_run_id),
            ),
        )
        .select(pay_runs::payment_date)
        .order(pay_runs::payment_date.desc())
        .first(conn)
        .optional()
}

// ---- adjustments ----

pub fn insert_adjustment(conn: &mut DbConnection, row: &AdjustmentRow) -> QueryResult<()> {
    diesel::insert_into(adjustments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Adjustments no approved run has paid; for a group run, those of the group and those of no group
/// (the draft keeps the latter only for members the run pays anyway).
pub fn pending_adjustments(
    conn: &mut DbConnection,
    group: Option<&str>,
) -> QueryResult<Vec<AdjustmentRow>> {
    let mut q = adjustments::table
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Adjustment)
                .and(pay_claims::source_id.eq(adjustments::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .select(AdjustmentRow::as_select())
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(
            adjustments::group_id
                .eq(g.to_string())
                .or(adjustments::group_id.is_null()),
        );
    }
    q.order((adjustments::created_at.asc(), adjustments::id.asc()))
        .load(conn)
}

pub fn adjustments_of(
    conn: &mut DbConnection,
    member_id: &str,
) -> QueryResult<Vec<(AdjustmentRow, Option<String>)>> {
    adjustments::table
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Adjustment)
                .and(pay_claims::source_id.eq(adjustments::id))),
        )
        .filter(adjustments::member_id.eq(member_id))
        .select((
            AdjustmentRow::as_select(),
            pay_claims::pay_run_id.nullable(),
        ))
        .order((adjustments::created_at.desc(), adjustments::id.desc()))
        .load(conn)
}

// ---- what a draft is computed from ----

/// A paid attendance record and its meeting, as the draft needs them.
#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub attendance_id: String,
    pub member_id: String,
    pub attended_minutes: Option<i32>,
    pub prep_minutes: i32,
    pub role_override: Option<String>,
    pub meeting_id: String,
    pub group_id: String,
    pub title: String,
    pub activity_kind: String,
    pub meeting_date: NaiveDate,
    pub duration_minutes: i32,
    pub prep_minutes_allowed: i32,
}

/// Attended and partial records of meetings up to the end of the period (and in the group) that
/// no approved run took: those of earlier periods, recorded late, are paid by the next run.
pub fn unpaid_sessions(
    conn: &mut DbConnection,
    group: Option<&str>,
    to: NaiveDate,
) -> QueryResult<Vec<SessionRow>> {
    use super::schema::attendance;
    let mut q = attendance::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(attendance::status.eq_any([AttendanceStatus::Attended, AttendanceStatus::Partial]))
        .filter(meetings::meeting_date.le(to))
        .select((
            attendance::id,
            attendance::member_id,
            attendance::attended_minutes,
            attendance::prep_minutes,
            attendance::role_override,
            meetings::id,
            meetings::group_id,
            meetings::title,
            meetings::activity_kind,
            meetings::meeting_date,
            meetings::duration_minutes,
            meetings::prep_minutes_allowed,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((meetings::meeting_date.asc(), attendance::id.asc()))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct ClaimRow {
    pub expense_id: String,
    pub member_id: String,
    pub kind: ExpenseKind,
    pub miles_tenths: Option<i32>,
    pub passengers: i32,
    pub amount_pence: Option<i64>,
    pub meeting_id: String,
    pub group_id: String,
    pub title: String,
    pub meeting_date: NaiveDate,
}

/// Approved expense claims of meetings up to the end of the period (and in the group) that no
/// approved run took: a claim of an earlier period, approved late, is paid by the next run.
pub fn unpaid_claims(
    conn: &mut DbConnection,
    group: Option<&str>,
    to: NaiveDate,
) -> QueryResult<Vec<ClaimRow>> {
    let mut q = expense_claims::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(expense_claims::status.eq(ClaimStatus::Approved))
        .filter(meetings::meeting_date.le(to))
        .select((
            expense_claims::id,
            expense_claims::member_id,
            expense_claims::kind,
            expense_claims::miles_tenths,
            expense_claims::passengers,
            expense_claims::amount_pence,
            meetings::id,
            meetings::group_id,
            meetings::title,
            meetings::meeting_date,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(meetings::group_id.eq(g.to_string()));
    }
    q.order((meetings::meeting_date.asc(), expense_claims::id.asc()))
        .load(conn)
}

/// Approved car journeys dated `from..=to`, in any group, paid or not.
pub fn car_journeys(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<JourneyRow>> {
    expense_claims::table
        .inner_join(meetings::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(expense_claims::kind.eq(ExpenseKind::Car))
        .filter(expense_claims::status.eq(ClaimStatus::Approved))
        .filter(meetings::meeting_date.between(from, to))
        .select((
            expense_claims::id,
            expense_claims::member_id,
            meetings::meeting_date,
            expense_claims::miles_tenths,
            pay_claims::pay_run_id.nullable(),
        ))
        .load(conn)
}

/// Memberships of one group, or of all.
pub fn memberships_in(conn: &mut DbConnection, group: Option<&str>) -> QueryResult<Vec<RoleRow>> {
    let mut q = memberships::table
        .select((
            memberships::member_id,
            memberships::group_id,
            memberships::role,
            memberships::starts_on,
            memberships::ends_on,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(memberships::group_id.eq(g.to_string()));
    }
    q.load(conn)
}

/// Carried-forward lines of approved runs that no approved run has taken since, with the run's
/// payment date; for a group run, the group's.
pub fn open_balances(
    conn: &mut DbConnection,
    group: Option<&str>,
) -> QueryResult<Vec<(PayLineRow, NaiveDate)>> {
    let mut q = pay_lines::table
        .inner_join(pay_runs::table)
        .left_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Carried)
                .and(pay_claims::source_id.eq(pay_lines::id))),
        )
        .filter(pay_claims::source_id.is_null())
        .filter(pay_lines::disposition.eq(Disposition::CarriedForward))
        .filter(pay_runs::status.eq_any(APPROVED))
        .select((PayLineRow::as_select(), pay_runs::payment_date))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(pay_lines::group_id.eq(g.to_string()));
    }
    q.order((pay_runs::payment_date.asc(), pay_lines::position.asc()))
        .load(conn)
}

/// Fee lines paid to members by approved runs with a payment date in `from..=to`: (member,
/// payment date, method, pence).
pub fn paid_fees_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<PaidRow>> {
    pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(pay_runs::payment_date.between(from, to))
        .filter(pay_lines::disposition.eq(Disposition::Paid))
        .filter(pay_lines::kind.ne(LineKind::Expense))
        .select((
            pay_lines::member_id,
            pay_runs::payment_date,
            pay_lines::method,
            pay_lines::amount_pence,
        ))
        .load(conn)
}

// ---- runs ----

pub fn insert_run(conn: &mut DbConnection, row: &PayRunRow) -> QueryResult<()> {
    diesel::insert_into(pay_runs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_run(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PayRunRow>> {
    pay_runs::table
        .find(id)
        .select(PayRunRow::as_select())
        .first(conn)
        .optional()
}

/// Runs newest first (created), before the cursor `(created_at, id)`.
pub fn list_runs(
    conn: &mut DbConnection,
    only_groups: Option<&[String]>,
    status: Option<&str>,
    before: Option<(NaiveDateTime, &str)>,
    limit: i64,
) -> QueryResult<Vec<PayRunRow>> {
    let mut q = pay_runs::table.select(PayRunRow::as_select()).into_boxed();
    if let Some(gs) = only_groups {
        q = q.filter(pay_runs::group_id.eq_any(gs.to_vec()));
    }
    if let Some(s) = status {
        q = q.filter(pay_runs::status.eq(s.to_string()));
    }
    if let Some((at, id)) = before {
        q = q.filter(
            pay_runs::created_at.lt(at).or(pay_runs::created_at
                .eq(at)
                .and(pay_runs::id.lt(id.to_string()))),
        );
    }
    q.order((pay_runs::created_at.desc(), pay_runs::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Moves a run from one status to another; false when it was not in `from` (someone got there
/// first). On PostgreSQL the row stays locked until the transaction ends.
pub fn transition(
    conn: &mut DbConnection,
    id: &str,
    from: &[RunStatus],
    to: RunStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        pay_runs::table
            .filter(pay_runs::id.eq(id))
            .filter(pay_runs::status.eq_any(from.to_vec())),
    )
    .set((pay_runs::status.eq(to), pay_runs::updated_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn save_run(conn: &mut DbConnection, row: &PayRunRow) -> QueryResult<()> {
    diesel::update(pay_runs::table.find(&row.id))
        .set((
            pay_runs::status.eq(&row.status),
            pay_runs::payment_count.eq(row.payment_count),
            pay_runs::line_count.eq(row.line_count),
            pay_runs::total_pence.eq(row.total_pence),
            pay_runs::warnings.eq(&row.warnings),
            pay_runs::calculated_at.eq(row.calculated_at),
            pay_runs::approved_by.eq(&row.approved_by),
            pay_runs::approved_at.eq(row.approved_at),
            pay_runs::exported_at.eq(row.exported_at),
            pay_runs::paid_on.eq(row.paid_on),
            pay_runs::paid_reference.eq(&row.paid_reference),
            pay_runs::marked_paid_by.eq(&row.marked_paid_by),
            pay_runs::marked_paid_at.eq(row.marked_paid_at),
            pay_runs::cancelled_by.eq(&row.cancelled_by),
            pay_runs::cancelled_at.eq(row.cancelled_at),
            pay_runs::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Counts an export of an approved run (it becomes `exported` unless already paid); returns the
/// run as it is now.
pub fn record_export(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PayRunRow>> {
    diesel::update(pay_runs::table.find(id))
        .set((
            pay_runs::export_count.eq(pay_runs::export_count + 1),
            pay_runs::exported_at.eq(now),
            pay_runs::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        pay_runs::table
            .filter(pay_runs::id.eq(id))
            .filter(pay_runs::status.eq(RunStatus::Approved)),
    )
    .set(pay_runs::status.eq(RunStatus::Exported))
    .execute(conn)?;
    find_run(conn, id)
}

/// A member as exports need them: (id, full name, payee reference, email).
pub type PayeeRow = (String, String, Option<String>, Option<String>);

/// Members by id with what exports need.
pub fn payees(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PayeeRow>> {
    use super::schema::members;
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            members::table
                .filter(members::id.eq_any(chunk))
                .select((
                    members::id,
                    members::full_name,
                    members::payee_reference,
                    members::email,
                ))
                .load::<PayeeRow>(conn)?,
        );
    }
    Ok(out)
}

/// Replaces a draft's lines and payments (in chunks that stay under SQLite's parameter limit).
pub fn replace_lines(
    conn: &mut DbConnection,
    run_id: &str,
    lines: &[PayLineRow],
    pays: &[PaymentRow],
) -> QueryResult<()> {
    diesel::delete(pay_lines::table.filter(pay_lines::pay_run_id.eq(run_id))).execute(conn)?;
    diesel::delete(payments::table.filter(payments::pay_run_id.eq(run_id))).execute(conn)?;
    for chunk in lines.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(pay_lines::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in pays.chunks(2000) {
        crate::on_backend!(conn, |c| diesel::insert_into(payments::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn lines_of(
    conn: &mut DbConnection,
    run_id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PayLineRow>> {
    let mut q = pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select(PayLineRow::as_select())
        .into_boxed();
    if let Some(p) = after {
        q = q.filter(pay_lines::position.gt(p));
    }
    q.order(pay_lines::position.asc()).limit(limit).load(conn)
}

pub fn all_lines_of(conn: &mut DbConnection, run_id: &str) -> QueryResult<Vec<PayLineRow>> {
    pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select(PayLineRow::as_select())
        .order(pay_lines::position.asc())
        .load(conn)
}

pub fn payments_of(
    conn: &mut DbConnection,
    run_id: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<PaymentRow>> {
    let mut q = payments::table
        .filter(payments::pay_run_id.eq(run_id))
        .select(PaymentRow::as_select())
        .into_boxed();
    if let Some(p) = after {
        q = q.filter(payments::position.gt(p));
    }
    q.order(payments::position.asc()).limit(limit).load(conn)
}

/// Totals of a run's lines by disposition: (disposition, pence), one row per line.
/// Runs' line totals by disposition: `(run, disposition, pence)`, summed by the database. (SUM of
/// a BIGINT is NUMERIC on PostgreSQL, hence the cast, which SQLite reads the same way.)
pub fn line_amounts(
    conn: &mut DbConnection,
    run_ids: &[String],
) -> QueryResult<Vec<(String, String, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    pay_lines::table
        .filter(pay_lines::pay_run_id.eq_any(run_ids))
        .group_by((pay_lines::pay_run_id, pay_lines::disposition))
        .select((
            pay_lines::pay_run_id,
            pay_lines::disposition,
            sql::<BigInt>("CAST(SUM(pay_lines.amount_pence) AS BIGINT)"),
        ))
        .load(conn)
}

/// Runs' payment totals by method: `(run, method, pence)`, summed by the database.
pub fn payment_amounts(
    conn: &mut DbConnection,
    run_ids: &[String],
) -> QueryResult<Vec<(String, String, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    payments::table
        .filter(payments::pay_run_id.eq_any(run_ids))
        .group_by((payments::pay_run_id, payments::method))
        .select((
            payments::pay_run_id,
            payments::method,
            sql::<BigInt>("CAST(SUM(payments.total_pence) AS BIGINT)"),
        ))
        .load(conn)
}

/// Takes every source of a run's lines for the run. Fails with a unique violation when another
/// approved run already took one of them.
pub fn claim_sources(
    conn: &mut DbConnection,
    run_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let sources: Vec<(String, String)> = pay_lines::table
        .filter(pay_lines::pay_run_id.eq(run_id))
        .select((pay_lines::source_kind, pay_lines::source_id))
        .distinct()
        .load(conn)?;
    let rows: Vec<_> = sources
        .into_iter()
        .map(|(k, s)| {
            (
                pay_claims::source_kind.eq(k),
                pay_claims::source_id.eq(s),
                pay_claims::pay_run_id.eq(run_id.to_string()),
                pay_claims::created_at.eq(now),
            )
        })
        .collect();
    let mut n = 0;
    for chunk in rows.chunks(1000) {
        n += crate::on_backend!(conn, |c| diesel::insert_into(pay_claims::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// Attendance records of a meeting that approved runs took (one query, whatever the size).
pub fn claimed_attendance_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<String>> {
    use super::schema::attendance;
    attendance::table
        .inner_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Attendance)
                .and(pay_claims::source_id.eq(attendance::id))),
        )
        .filter(attendance::meeting_id.eq(meeting_id))
        .select(attendance::id)
        .load(conn)
}

/// Expense claims of a meeting that approved runs took.
pub fn claimed_expenses_of_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> QueryResult<Vec<String>> {
    expense_claims::table
        .inner_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Expense)
                .and(pay_claims::source_id.eq(expense_claims::id))),
        )
        .filter(expense_claims::meeting_id.eq(meeting_id))
        .select(expense_claims::id)
        .load(conn)
}

/// A member's lines of approved runs, newest run first: (line, run).
pub fn member_lines(
    conn: &mut DbConnection,
    member_id: &str,
    run_ids: &[String],
) -> QueryResult<Vec<PayLineRow>> {
    pay_lines::table
        .filter(pay_lines::member_id.eq(member_id))
        .filter(pay_lines::pay_run_id.eq_any(run_ids))
        .select(PayLineRow::as_select())
        .order((pay_lines::pay_run_id.asc(), pay_lines::position.asc()))
        .load(conn)
}

/// Approved runs with something for the member, newest payment date first, before the cursor.
pub fn member_runs(
    conn: &mut DbConnection,
    member_id: &str,
    only_groups: Option<&[String]>,
    before: Option<(NaiveDate, &str)>,
    limit: i64,
) -> QueryResult<Vec<PayRunRow>> {
    let mut q = pay_runs::table
        .filter(pay_runs::status.eq_any(APPROVED))
        .filter(
            pay_runs::id.eq_any(
                pay_lines::table
                    .filter(pay_lines::member_id.eq(member_id))
                    .select(pay_lines::pay_run_id),
            ),
        )
        .select(PayRunRow::as_select())
        .into_boxed();
    if let Some(gs) = only_groups {
        q = q.filter(pay_runs::group_id.eq_any(gs.to_vec()));
    }
    if let Some((d, id)) = before {
        q = q.filter(
            pay_runs::payment_date.lt(d).or(pay_runs::payment_date
                .eq(d)
                .and(pay_runs::id.lt(id.to_string()))),
        );
    }
    q.order((pay_runs::payment_date.desc(), pay_runs::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn member_payments(
    conn: &mut DbConnection,
    member_id: &str,
    run_ids: &[String],
) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::member_id.eq(member_id))
        .filter(payments::pay_run_id.eq_any(run_ids))
        .select(PaymentRow::as_select())
        .order((payments::pay_run_id.asc(), payments::position.asc()))
        .load(conn)
}

/// Titles of meetings by id.
pub fn meeting_titles(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            meetings::table
                .filter(meetings::id.eq_any(chunk))
                .select((meetings::id, meetings::title))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}
