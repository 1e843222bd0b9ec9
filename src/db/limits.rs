//! Rows of `benefit_limits`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::benefit_limits;
use super::DbConnection;
use crate::domain::limits::LimitPeriod;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = benefit_limits)]
pub struct LimitRow {
    pub id: String,
    pub code: String,
    pub period: LimitPeriod,
    pub amount_pence: i64,
    pub effective_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &LimitRow) -> QueryResult<()> {
    diesel::insert_into(benefit_limits::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Every figure, by code then date (a short table: a few rows a year).
pub fn all(conn: &mut DbConnection, code: Option<&str>) -> QueryResult<Vec<LimitRow>> {
    let mut q = benefit_limits::table
        .select(LimitRow::as_select())
        .into_boxed();
    if let Some(c) = code {
        q = q.filter(benefit_limits::code.eq(c.to_string()));
    }
    q.order((
        benefit_limits::code.asc(),
        benefit_limits::effective_from.asc(),
    ))
    .load(conn)
}
