//! Rows and queries of `receipts`: the files behind expense claims. Lists read everything but the
//! bytes; only `find_file` reads a file itself.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::receipts;
use super::DbConnection;
use crate::domain::receipts::ReceiptType;

/// A receipt as stored, its bytes included.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = receipts)]
pub struct ReceiptRow {
    pub id: String,
    pub expense_id: String,
    pub filename: String,
    pub content_type: ReceiptType,
    pub size_bytes: i64,
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

/// What is known about a receipt without reading the file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = receipts)]
pub struct ReceiptInfo {
    pub id: String,
    pub expense_id: String,
    pub filename: String,
    pub content_type: ReceiptType,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &ReceiptRow) -> QueryResult<()> {
    diesel::insert_into(receipts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ReceiptInfo>> {
    receipts::table
        .find(id)
        .select(ReceiptInfo::as_select())
        .first(conn)
        .optional()
}

/// A receipt with its bytes.
pub fn find_file(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ReceiptRow>> {
    receipts::table
        .find(id)
        .select(ReceiptRow::as_select())
        .first(conn)
        .optional()
}

/// The receipts of some claims, oldest first within each claim.
pub fn of_expenses(
    conn: &mut DbConnection,
    expense_ids: &[String],
) -> QueryResult<Vec<ReceiptInfo>> {
    crate::db::by_chunks(conn, expense_ids, |conn, chunk| {
        receipts::table
            .filter(receipts::expense_id.eq_any(chunk))
            .select(ReceiptInfo::as_select())
            .order((receipts::expense_id.asc(), receipts::id.asc()))
            .load(conn)
    })
}

/// How many receipts each of some claims has (claims with none are left out).
pub fn counts(conn: &mut DbConnection, expense_ids: &[String]) -> QueryResult<Vec<(String, i64)>> {
    crate::db::by_chunks(conn, expense_ids, |conn, chunk| {
        receipts::table
            .filter(receipts::expense_id.eq_any(chunk))
            .group_by(receipts::expense_id)
            .select((receipts::expense_id, count_star()))
            .load(conn)
    })
}

/// Deletes a receipt; false when it was already gone.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::delete(receipts::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}
