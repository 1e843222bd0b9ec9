//! Rate cards and their rules, and which approved runs used them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::APPROVED;
use crate::db::schema::{pay_lines, pay_runs, rate_cards, rate_rules};
use crate::db::DbConnection;
use crate::domain::rates::BasisKind;

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
    crate::db::by_chunks(conn, card_ids, |conn, chunk| {
        rate_rules::table
            .filter(rate_rules::rate_card_id.eq_any(chunk))
            .select(RateRuleRow::as_select())
            .order((rate_rules::rate_card_id.asc(), rate_rules::position.asc()))
            .load(conn)
    })
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
    let out: Vec<Option<String>> = crate::db::by_chunks(conn, card_ids, |conn, chunk| {
        pay_lines::table
            .inner_join(pay_runs::table)
            .filter(pay_lines::rate_card_id.eq_any(chunk))
            .filter(pay_runs::status.eq_any(APPROVED))
            .select(pay_lines::rate_card_id)
            .distinct()
            .load::<Option<String>>(conn)
    })?;
    Ok(out.into_iter().flatten().collect())
}

/// The approved runs that paid with a card: (run, payment date, status), newest first.
pub fn runs_of_card(
    conn: &mut DbConnection,
    card_id: &str,
) -> QueryResult<Vec<(String, NaiveDate, crate::domain::payrun::RunStatus)>> {
    pay_lines::table
        .inner_join(pay_runs::table)
        .filter(pay_lines::rate_card_id.eq(card_id))
        .filter(pay_runs::status.eq_any(APPROVED))
        .select((pay_runs::id, pay_runs::payment_date, pay_runs::status))
        .distinct()
        .order((pay_runs::payment_date.desc(), pay_runs::id.desc()))
        .load(conn)
}
