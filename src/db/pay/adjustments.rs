//! Corrections waiting for a run, and which run paid each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{adjustments, pay_claims};
use crate::db::DbConnection;
use crate::domain::draft::SourceKind;
use crate::domain::payrun::AdjustmentKind;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
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

/// Adjustments approved runs have paid, the latest taken first, at most `limit`: with the run.
pub fn paid_adjustments(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(AdjustmentRow, String)>> {
    adjustments::table
        .inner_join(
            pay_claims::table.on(pay_claims::source_kind
                .eq(SourceKind::Adjustment)
                .and(pay_claims::source_id.eq(adjustments::id))),
        )
        .select((AdjustmentRow::as_select(), pay_claims::pay_run_id))
        .order((pay_claims::created_at.desc(), adjustments::id.desc()))
        .limit(limit)
        .load(conn)
}
