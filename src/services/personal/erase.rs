//! Erasure that keeps the books (UK GDPR article 17, with the six years of payment records HMRC
//! asks for): a member's names, contact details, needs, notes, receipts' files and email texts
//! go, their account is disabled with no address or password; amounts, dates and run membership stay under a
//! pseudonym, so every run still adds up. Refused while anything is owed to them or a run not yet
//! paid holds them, saying what to settle first.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::super::actor::{Actor, Role};
use super::super::audit::{self, Change};
use super::super::{Error, Result};
use crate::db::erasure::{self, Owed, Removed};
use crate::db::people::{self, MemberRow};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::personal::{pseudonym, Identifiers};

/// What an erasure did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Erasure {
    pub member_id: String,
    /// The name the member's record is known by from now on.
    pub pseudonym: String,
    /// When, as RFC 3339 in UTC.
    pub erased_at: String,
    /// How many rows of each kind were changed or removed.
    pub removed: Removed,
}

/// What the confirmation page shows before an erasure.
#[derive(Debug, Clone)]
pub struct Preview {
    pub member_id: String,
    pub full_name: String,
    /// Already erased: when.
    pub erased_at: Option<NaiveDateTime>,
    /// What to settle first, one sentence each; none when it may go ahead.
    pub settle: Vec<String>,
}

/// What goes, as the confirmation page and the docs say it.
pub const GOES: &[&str] = &[
    "their name, preferred name, email address, phone number and postal address",
    "their payee reference, communication needs and formats, and staff notes about them",
    "the access needs and notes of their replies to invitations, and their reply links",
    "notes on their attendance and the descriptions of their claims",
    "the receipts they sent, files and all",
    "the text of every email sent to them or that names them",
    "their details wherever the audit trail copied them",
    "their sign-in: the account is disabled and left with no password and an address that reaches nobody",
];

/// What stays, and why.
pub const STAYS: &[&str] = &[
    "the amounts, dates and sessions of every payment line and payment, and the pay runs they \
     belong to: HMRC requires payment records for six years, and every run must still add up",
    "their roles over time, attendance and claims (amounts and dates), and their payment choices",
    "the audit trail's record of who did what and when, with their details struck out",
    "a pseudonym (\"Erased member\" and a short reference) so finance can still tell records apart",
];

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What must be settled first, one sentence for each kind of thing owed.
pub fn to_settle(o: &Owed) -> Vec<String> {
    let mut out = Vec::new();
    if o.sessions_unpaid > 0 {
        out.push(format!(
            "{} they attended {} not yet paid: approve a pay run that pays {}.",
            plural(o.sessions_unpaid, "session", "sessions"),
            if o.sessions_unpaid == 1 { "is" } else { "are" },
            if o.sessions_unpaid == 1 { "it" } else { "them" },
        ));
    }
    if o.claims_waiting > 0 {
        out.push(format!(
            "{} for a decision: approve or reject {}.",
            plural(o.claims_waiting, "claim waits", "claims wait"),
            if o.claims_waiting == 1 { "it" } else { "them" },
        ));
    }
    if o.claims_unpaid > 0 {
        out.push(format!(
            "{} not yet paid: approve a pay run that pays them.",
            plural(o.claims_unpaid, "approved claim is", "approved claims are"),
        ));
    }
    if o.carried_forward > 0 {
        out.push(format!(
            "{} held back by their limit and still owed: a later run pays them as the limit allows.",
            plural(o.carried_forward, "fee is", "fees are"),
        ));
    }
    if o.adjustments_unpaid > 0 {
        out.push(format!(
            "{} not yet paid: approve a pay run that pays them.",
            plural(o.adjustments_unpaid, "adjustment is", "adjustments are"),
        ));
    }
    if !o.runs_unpaid.is_empty() {
        out.push(format!(
            "Pay run {} pays them and is not yet marked paid: mark it paid first.",
            o.runs_unpaid.join(", ")
        ));
    }
    if !o.drafts.is_empty() {
        out.push(format!(
            "Draft pay run {} holds them: approve or cancel it first.",
            o.drafts.join(", ")
        ));
    }
    out
}

/// Refuses a new record about a member whose details were erased (their record is only kept for
/// the books). Taken under the shared pay lock, so it never slips in beside an erasure.
pub fn refuse_if_erased(conn: &mut DbConnection, member_id: &str) -> Result<()> {
    db::pay_lock(conn, false)?;
    match erasure::erased_at(conn, member_id)? {
        Some(_) => Err(Error::Conflict(
            "this member's details were erased: their record is kept only for the books, and \
             nothing new can be recorded for them"
                .into(),
        )),
        None => Ok(()),
    }
}

/// What an erasure of the member would do, or what stands in its way (admins only).
pub fn preview(conn: &mut DbConnection, actor: &Actor, member_id: &str) -> Result<Preview> {
    actor.require(&[Role::Admin])?;
    let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    let erased_at = erasure::erased_at(conn, member_id)?;
    let settle = if erased_at.is_some() {
        Vec::new()
    } else {
        to_settle(&erasure::owed(conn, member_id)?)
    };
    Ok(Preview {
        member_id: member.id,
        full_name: member.full_name,
        erased_at,
        settle,
    })
}

/// Erases the member's personal details, for an admin (`reason` says why) or for the retention
/// rules (`rule` names the one that applies, and no actor). In one transaction, under the pay
/// lock so no approval takes them half-way.
pub fn erase(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    member_id: &str,
    reason: &str,
    rule: Option<&str>,
) -> Result<Erasure> {
    if let Some(a) = actor {
        a.require(&[Role::Admin])?;
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "reason",
            "say why their details are to be erased (for example, \"they asked us to\")",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid("reason", "must be at most 500 characters"));
    }
    write_tx(conn, |conn| {
        db::pay_lock(conn, true)?;
        let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
        if let Some(at) = erasure::erased_at(conn, member_id)? {
            return Err(Error::Conflict(format!(
                "their details were already erased on {}",
                at.format("%-d %B %Y")
            )));
        }
        let settle = to_settle(&erasure::owed(conn, member_id)?);
        if !settle.is_empty() {
            return Err(Error::Conflict(format!(
                "their details cannot be erased while money is owed to them or a run not yet \
                 paid holds them. Settle these first: {}",
                settle.join(" ")
            )));
        }
        let now = db::now();
        let done = clear(conn, &member, now)?;
        erasure::record(
            conn,
            member_id,
            now,
            actor.map(|a| a.account_id.as_str()),
            rule,
        )?;
        let why = done.1.strike(reason);
        audit::record(
            conn,
            actor,
            Change::new("member.erased", "member", member_id)
                .after(serde_json::json!({
                    "pseudonym": done.0.pseudonym,
                    "removed": done.0.removed,
                    "rule": rule,
                }))
                .reason(Some(&why)),
        )?;
        Ok(done.0)
    })
}

/// Every table's personal details about the member, cleared; with what identified them.
fn clear(
    conn: &mut DbConnection,
    member: &MemberRow,
    now: NaiveDateTime,
) -> Result<(Erasure, Identifiers)> {
    let id = member.id.as_str();
    let mut addresses: Vec<String> = member.email.iter().cloned().collect();
    let held = crate::db::personal::held(conn, id, &addresses)?;
    addresses.extend(held.accounts.iter().map(|a| a.email.clone()));
    let identifiers = Identifiers::new(
        [
            Some(member.full_name.clone()),
            member.preferred_name.clone(),
            member.phone.clone(),
            member.postal_address.clone(),
            member.payee_reference.clone(),
        ]
        .into_iter()
        .chain(addresses.iter().cloned().map(Some)),
    );
    // The audit trail's events about their record and each of its rows.
    let entities: Vec<String> = std::iter::once(id.to_string())
        .chain(held.accounts.iter().map(|a| a.id.clone()))
        .chain(held.memberships.iter().map(|r| r.id.clone()))
        .chain(held.attendance.iter().map(|r| r.id.clone()))
        .chain(held.expense_claims.iter().map(|r| r.id.clone()))
        .chain(held.receipts.iter().map(|r| r.id.clone()))
        .chain(held.preferences.iter().map(|r| r.id.clone()))
        .chain(held.adjustments.iter().map(|r| r.id.clone()))
        .collect();
    let name = pseudonym(id);
    let mut removed = Removed::default();
    erasure::clear_member(conn, id, &name, now)?;
    erasure::clear_accounts(conn, id, now, &mut removed)?;
    erasure::clear_records(conn, id, &identifiers, &mut removed)?;
    erasure::clear_emails(conn, &addresses, &identifiers, &mut removed)?;
    erasure::clear_audit(conn, &entities, &identifiers, &mut removed)?;
    erasure::clear_saved_responses(conn, &identifiers, &mut removed)?;
    Ok((
        Erasure {
            member_id: id.to_string(),
            pseudonym: name,
            erased_at: audit::instant(now),
            removed,
        },
        identifiers,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thing_owed_says_how_to_settle_it() {
        let o = Owed {
            sessions_unpaid: 1,
            claims_waiting: 2,
            claims_unpaid: 0,
            carried_forward: 1,
            adjustments_unpaid: 0,
            runs_unpaid: vec!["run-1".into()],
            drafts: vec![],
        };
        assert_eq!(
            to_settle(&o),
            [
                "1 session they attended is not yet paid: approve a pay run that pays it.",
                "2 claims wait for a decision: approve or reject them.",
                "1 fee is held back by their limit and still owed: a later run pays them as the limit allows.",
                "Pay run run-1 pays them and is not yet marked paid: mark it paid first.",
            ]
        );
        assert!(to_settle(&Owed::default()).is_empty());
    }
}
