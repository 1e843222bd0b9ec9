//! Admins' pages: accounts and invitations, groups and their coordinators, reference data, benefit
//! limits, the mail queue and the audit trail. Admins also see every group's coordinators' pages.

use actix_web::web;

/// The links of the main navigation for an admin.
pub const NAV: &[(&str, &str)] = &[("/groups", "Groups"), ("/claims", "Expense claims")];

/// The routes of these pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
