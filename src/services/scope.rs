//! Who may see and change a group's records and a member's. One place, so every service asks the
//! same question the same way. Records outside a caller's reach are "not found" (404), never
//! "forbidden", so ids cannot be probed; a role that may never do a thing gets 403.

use super::actor::{Actor, Role};
use super::{Error, Result};
use crate::db::people;
use crate::db::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

fn forbidden(actor: &Actor) -> Error {
    Error::Forbidden(format!(
        "Your role ({}) may not do this.",
        actor.role.as_str()
    ))
}

/// A group's records: admins everything, finance reads, coordinators their own groups.
pub fn group(actor: &Actor, group_id: &str, access: Access) -> Result<()> {
    match (actor.role, access) {
        (Role::Admin, _) | (Role::Finance, Access::Read) => Ok(()),
        (Role::Coordinator, _) if actor.coordinates(group_id) => Ok(()),
        (Role::Coordinator, _) => Err(Error::NotFound),
        (Role::Finance | Role::Member, _) => Err(forbidden(actor)),
    }
}

/// A member's record: admins and finance (read) everything; coordinators members of their groups
/// and members in no group yet; a member their own record (read; contact details are checked by
/// the caller).
pub fn member(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    access: Access,
) -> Result<()> {
    match (actor.role, access) {
        (Role::Admin, _) | (Role::Finance, Access::Read) => Ok(()),
        (Role::Finance, Access::Write) => Err(forbidden(actor)),
        (Role::Coordinator, _) => {
            if people::member_visible_to(conn, member_id, &actor.group_ids)? {
                Ok(())
            } else {
                Err(Error::NotFound)
            }
        }
        (Role::Member, _) if actor.is_member(member_id) => Ok(()),
        (Role::Member, _) => Err(Error::NotFound),
    }
}

/// Roles that may not touch the records of groups at all.
pub fn require_staff(actor: &Actor) -> Result<()> {
    actor.require(&[Role::Admin, Role::Coordinator, Role::Finance])
}
