//! Personal data as UK GDPR asks: a member's copy of everything held about them (article 15),
//! for the member themself and for admins. Staff notes are for staff: a member's own copy leaves
//! them out.

mod erase;
mod printed;
pub mod retention;

pub use erase::{erase, preview, refuse_if_erased, Erasure, Preview, GOES, STAYS};

use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, Change};
use super::{Error, Result};
use crate::db::people::{self, MemberRow};
use crate::db::personal::{self, Held};
use crate::db::{self, write_tx, DbConnection};
use crate::export::personal::Copy;

/// The member's record as kept (staff notes only in an admin's copy).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postal_address: Option<String>,
    pub payee_reference: Option<String>,
    /// Special-category data (it may say something about their health).
    pub communication_needs: Option<String>,
    pub preferred_formats: String,
    /// Staff notes: in an admin's copy only.
    pub notes: Option<String>,
    pub archived_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Whether they have a private calendar address (the address itself is kept only as a hash).
    pub has_calendar_feed: bool,
}

/// Everything held about a member.
#[derive(Debug, Clone, Serialize)]
pub struct DataExport {
    pub generated_at: chrono::NaiveDateTime,
    /// Who asked for it: `member` (their own copy) or `admin`.
    pub requested_by: &'static str,
    pub member: Record,
    #[serde(flatten)]
    pub held: Held,
}

impl DataExport {
    /// The file's name: what it is and when it was made.
    pub fn filename(&self) -> String {
        format!(
            "everything-we-hold-{}.json",
            self.generated_at.format("%Y-%m-%d")
        )
    }
}

fn record(m: MemberRow, with_notes: bool, has_feed: bool) -> Record {
    Record {
        id: m.id,
        full_name: m.full_name,
        preferred_name: m.preferred_name,
        email: m.email,
        phone: m.phone,
        postal_address: m.postal_address,
        payee_reference: m.payee_reference,
        communication_needs: m.communication_needs,
        preferred_formats: m.preferred_formats,
        notes: m.notes.filter(|_| with_notes),
        archived_at: m.archived_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        has_calendar_feed: has_feed,
    }
}

/// A record's JSON (as the audit trail keeps it) without its staff notes.
fn without_notes(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("notes");
            }
            v.to_string()
        }
        Err(_) => json.to_string(),
    }
}

/// The member's copy of everything held about them, for themself or an admin; logged in the
/// audit trail. Another member's is not found; other roles may not ask.
pub fn data_export(conn: &mut DbConnection, actor: &Actor, member_id: &str) -> Result<DataExport> {
    let own = actor.is(Role::Member);
    if own {
        if !actor.is_member(member_id) {
            return Err(Error::NotFound);
        }
    } else {
        actor.require(&[Role::Admin])?;
    }
    write_tx(conn, |conn| {
        let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
        let addresses: Vec<String> = member.email.iter().cloned().collect();
        let mut held = personal::held(conn, member_id, &addresses)?;
        if own {
            // The trail's copies of the record hold the staff notes too.
            for e in &mut held.audit_events {
                e.before_json = e.before_json.take().map(|j| without_notes(&j));
                e.after_json = e.after_json.take().map(|j| without_notes(&j));
            }
        }
        let has_feed = crate::db::replies::has_feed(conn, member_id)?;
        audit::record(
            conn,
            Some(actor),
            Change::new("member.data_exported", "member", member_id)
                .after(serde_json::json!({"requested_by": if own { "member" } else { "admin" }})),
        )?;
        Ok(DataExport {
            generated_at: db::now(),
            requested_by: if own { "member" } else { "admin" },
            member: record(member, !own, has_feed),
            held,
        })
    })
}

/// The same copy as a document to print, in the member's formats, with sessions and groups
/// named; `organisation` and `contact` say who holds it and whom to ask.
pub fn printable(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    organisation: &str,
    contact: &str,
) -> Result<Copy> {
    let export = data_export(conn, actor, member_id)?;
    let h = &export.held;
    let mut meeting_ids: Vec<String> = h
        .attendance
        .iter()
        .map(|a| a.meeting_id.clone())
        .chain(h.meeting_replies.iter().map(|r| r.meeting_id.clone()))
        .chain(h.expense_claims.iter().map(|c| c.meeting_id.clone()))
        .collect();
    meeting_ids.sort();
    meeting_ids.dedup();
    let mut group_ids: Vec<String> = h.memberships.iter().map(|m| m.group_id.clone()).collect();
    group_ids.sort();
    group_ids.dedup();
    let names = printed::Names {
        meetings: crate::db::meetings::titles_and_dates(conn, &meeting_ids)?
            .into_iter()
            .map(|(id, title, date)| (id, (title, date)))
            .collect(),
        groups: people::group_names(conn, &group_ids)?.into_iter().collect(),
    };
    Ok(printed::copy(&export, &names, organisation, contact))
}
