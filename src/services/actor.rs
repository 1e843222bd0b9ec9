//! Who is acting: the signed-in account with its role and scope. Every service function takes one
//! and asks it whether the action is allowed, so no handler can forget to check.

use super::{Error, Result};
pub use crate::domain::Role;

#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: String,
    pub email: String,
    pub role: Role,
    /// The member record of a member account.
    pub member_id: Option<String>,
    /// The groups a coordinator coordinates.
    pub group_ids: Vec<String>,
    /// The session or API token this request came with.
    pub session_id: String,
    /// The HTTP request id, recorded with audit events.
    pub request_id: Option<String>,
}

impl Actor {
    /// Forbidden unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "Your role ({}) may not do this.",
                self.role.as_str()
            )))
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    pub fn coordinates(&self, group_id: &str) -> bool {
        self.role == Role::Coordinator && self.group_ids.iter().any(|g| g == group_id)
    }

    /// True for the member themself.
    pub fn is_member(&self, member_id: &str) -> bool {
        self.member_id.as_deref() == Some(member_id)
    }
}
