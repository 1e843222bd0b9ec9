//! A member's payment choices over time, and the date of their last approved payment.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::APPROVED;
use crate::db::schema::{pay_lines, pay_runs, preferences};
use crate::db::DbConnection;
use crate::domain::payrun::{CapPeriod, FeeOption, Method, OverCap};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
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
