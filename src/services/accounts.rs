//! Accounts: created by an admin (who sends an invitation), changed by an admin, read by their
//! owner. The first admin is made on the command line.

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::page::{Page, PageRequest};
use super::{input, secrets, Error, FieldError, Result};
use crate::db::accounts::{self as rows, AccountChanges, AccountRow};
use crate::db::sessions::{self as session_rows, OneTimeTokenRow};
use crate::db::{self, write_tx, DbConnection};
use crate::domain::EmailAddress;
use crate::mail::{self, Template};

/// An account as its owner and admins see it. Never includes the password hash.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub member_id: Option<String>,
    /// The groups a coordinator coordinates.
    pub group_ids: Vec<String>,
    pub disabled: bool,
    /// False until the invitation has been accepted.
    pub has_password: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl AccountView {
    pub fn new(row: &AccountRow, group_ids: Vec<String>) -> AccountView {
        AccountView {
            id: row.id.clone(),
            email: row.email.clone(),
            role: row.role,
            member_id: row.member_id.clone(),
            group_ids,
            disabled: row.disabled,
            has_password: row.password_hash.is_some(),
            created_at: instant(row.created_at),
            last_login_at: row.last_login_at.map(instant),
        }
    }
}

/// Loads the view of one account row (one query for its groups).
pub fn view(conn: &mut DbConnection, row: &AccountRow) -> Result<AccountView> {
    let groups = rows::group_ids_of(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok(AccountView::new(row, groups))
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub role: Role,
    pub member_id: Option<String>,
    pub group_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub group_ids: Option<Vec<String>>,
    pub reason: Option<String>,
}

/// What links in emails need.
#[derive(Debug, Clone)]
pub struct Links {
    /// `server.public_url` without a trailing slash.
    pub base_url: String,
    pub invitation_ttl: TimeDelta,
}

/// Creates an account and emails an invitation to set a password. Admin only.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewAccount,
    links: &Links,
) -> Result<AccountView> {
    actor.require(&[Role::Admin])?;
    let email =
        EmailAddress::parse(&input.email).map_err(|e| Error::invalid("email", e.to_string()))?;
    write_tx(conn, |conn| {
        check_scope(
            conn,
            input.role,
            input.member_id.as_deref(),
            &input.group_ids,
        )?;
        if rows::find_by_email(conn, email.as_str())?.is_some() {
            return Err(Error::Conflict(
                "An account with this email address already exists.".into(),
            ));
        }
        if let Some(member_id) = &input.member_id {
            if rows::find_by_member(conn, member_id)?.is_some() {
                return Err(Error::Conflict(
                    "This member already has an account.".into(),
                ));
            }
        }
        let now = db::now();
        let row = AccountRow {
            id: db::new_id(),
            email: email.to_string(),
            password_hash: None,
            role: input.role,
            member_id: input.member_id.clone(),
            disabled: false,
            password_changed_at: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
        };
        rows::insert(conn, &row)?;
        rows::set_groups(conn, &row.id, &input.group_ids)?;
        let view = AccountView::new(&row, input.group_ids.clone());
        audit::record(
            conn,
            Some(actor),
            Change::new("account.created", "account", &row.id).after(&view),
        )?;
        send_invitation(conn, &row, links, now)?;
        Ok(view)
    })
}

/// Makes an admin from the command line, with a password already hashed. No actor: the person at
/// the terminal of the server is trusted.
pub fn create_admin(
    conn: &mut DbConnection,
    email: &str,
    password_hash: String,
) -> Result<AccountView> {
    let email = EmailAddress::parse(email).map_err(|e| Error::invalid("email", e.to_string()))?;
    write_tx(conn, |conn| {
        if rows::find_by_email(conn, email.as_str())?.is_some() {
            return Err(Error::Conflict(format!(
                "An account for {email} already exists."
            )));
        }
        let now = db::now();
        let row = AccountRow {
            id: db::new_id(),
            email: email.to_string(),
            password_hash: Some(password_hash),
            role: Role::Admin,
            member_id: None,
            disabled: false,
            password_changed_at: Some(now),
            last_login_at: None,
            created_at: now,
            updated_at: now,
        };
        rows::insert(conn, &row)?;
        let view = AccountView::new(&row, Vec::new());
        audit::record(
            conn,
            None,
            Change::new("account.created", "account", &row.id)
                .after(&view)
                .reason(Some("made with `coprod admin create`")),
        )?;
        Ok(view)
    })
}

pub fn admin_exists(conn: &mut DbConnection) -> Result<bool> {
    Ok(rows::active_admin_exists(conn)?)
}

/// Changes an account's role, scope or disabled flag. Admin only. Disabling ends its sessions and
/// API tokens. An admin cannot remove the last active admin.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    changes: AccountUpdate,
) -> Result<AccountView> {
    actor.require(&[Role::Admin])?;
    write_tx(conn, |conn| {
        let row = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        let before = view(conn, &row)?;
        let role = changes.role.unwrap_or(before.role);
        let group_ids = match (&changes.group_ids, role) {
            (Some(g), _) => dedup(g.clone()),
            (None, Role::Coordinator) => before.group_ids.clone(),
            (None, _) => Vec::new(),
        };
        check_scope(conn, role, row.member_id.as_deref(), &group_ids)?;
        let disabled = changes.disabled.unwrap_or(row.disabled);
        let stays_admin = role == Role::Admin && !disabled;
        if before.role == Role::Admin && !row.disabled && !stays_admin {
            let others = rows::other_active_admin_exists(conn, &row.id)?;
            if !others {
                return Err(Error::Conflict(
                    "This is the last active admin; make another admin first.".into(),
                ));
            }
        }
        let now = db::now();
        rows::update(
            conn,
            id,
            &AccountChanges {
                role: Some(role),
                disabled: Some(disabled),
                updated_at: Some(now),
                ..AccountChanges::default()
            },
        )?;
        rows::set_groups(conn, id, &group_ids)?;
        if disabled && !row.disabled {
            session_rows::revoke_all(
                conn,
                id,
                &[session_rows::SESSION, session_rows::API_TOKEN],
                None,
                now,
            )?;
        }
        let after_row = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        let after = view(conn, &after_row)?;
        let action = match (row.disabled, disabled) {
            (false, true) => "account.disabled",
            (true, false) => "account.enabled",
            _ => "account.updated",
        };
        audit::record(
            conn,
            Some(actor),
            Change::new(action, "account", id)
                .before(&before)
                .after(&after)
                .reason(changes.reason.as_deref()),
        )?;
        Ok(after)
    })
}

/// One account: admins see any, everyone else only their own (404 for others).
pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<AccountView> {
    if !actor.is(Role::Admin) && actor.account_id != id {
        return Err(Error::NotFound);
    }
    let row = rows::find(conn, id)?.ok_or(Error::NotFound)?;
    view(conn, &row)
}

/// Every account, in creation order. Admin only.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    role: Option<Role>,
    page: &PageRequest,
) -> Result<Page<AccountView>> {
    actor.require(&[Role::Admin])?;
    let limit = page.limit()?;
    let rows = rows::list(conn, role.map(Role::as_str), page.after_id()?, limit + 1)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let groups = rows::group_ids_of(conn, &ids)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        |r| {
            let g = groups
                .iter()
                .filter(|(a, _)| *a == r.id)
                .map(|(_, g)| g.clone())
                .collect();
            AccountView::new(&r, g)
        },
    ))
}

/// Every account of `role`, in creation order, read 500 at a time (coordinators, to choose from:
/// a short list in any organisation).
fn all_of_role(conn: &mut DbConnection, role: Role) -> Result<Vec<AccountRow>> {
    const BATCH: i64 = 500;
    let mut out: Vec<AccountRow> = Vec::new();
    loop {
        let after = out.last().map(|r| r.id.clone());
        let batch = rows::list(conn, Some(role.as_str()), after.as_deref(), BATCH)?;
        let done = i64::try_from(batch.len()).unwrap_or(BATCH) < BATCH;
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}

/// Every coordinator's account with its groups (two queries a batch). Admin only.
pub fn coordinators(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<AccountView>> {
    actor.require(&[Role::Admin])?;
    let found = all_of_role(conn, Role::Coordinator)?;
    views(conn, found)
}

fn views(conn: &mut DbConnection, found: Vec<AccountRow>) -> Result<Vec<AccountView>> {
    let ids: Vec<String> = found.iter().map(|r| r.id.clone()).collect();
    let groups = rows::group_ids_of(conn, &ids)?;
    Ok(found
        .iter()
        .map(|r| {
            let g = groups
                .iter()
                .filter(|(a, _)| *a == r.id)
                .map(|(_, g)| g.clone())
                .collect();
            AccountView::new(r, g)
        })
        .collect())
}

/// Makes exactly `account_ids` (coordinators' accounts) the coordinators of a group: each account
/// that gains or loses the group is changed and audited, all in one transaction. Admin only.
pub fn set_coordinators(
    conn: &mut DbConnection,
    actor: &Actor,
    group_id: &str,
    account_ids: &[String],
    reason: Option<&str>,
) -> Result<Vec<AccountView>> {
    actor.require(&[Role::Admin])?;
    write_tx(conn, |conn| {
        if rows::existing_groups(conn, &[group_id.to_string()])?.is_empty() {
            return Err(Error::NotFound);
        }
        let found = all_of_role(conn, Role::Coordinator)?;
        let before = views(conn, found)?;
        let mut errors = Vec::new();
        for (i, id) in account_ids.iter().enumerate() {
            if !before.iter().any(|a| &a.id == id) {
                errors.push(FieldError::new(
                    format!("account_ids[{i}]"),
                    "is not the account of a coordinator",
                ));
            }
        }
        input::finish(errors)?;
        let now = db::now();
        let mut changed = Vec::new();
        for account in &before {
            let has = account.group_ids.iter().any(|g| g == group_id);
            let wanted = account_ids.contains(&account.id);
            if has == wanted {
                continue;
            }
            let mut groups: Vec<String> = account
                .group_ids
                .iter()
                .filter(|g| *g != group_id)
                .cloned()
                .collect();
            if wanted {
                groups.push(group_id.to_string());
            }
            let groups = dedup(groups);
            rows::set_groups(conn, &account.id, &groups)?;
            rows::update(
                conn,
                &account.id,
                &AccountChanges {
                    updated_at: Some(now),
                    ..AccountChanges::default()
                },
            )?;
            let after = AccountView {
                group_ids: groups,
                ..account.clone()
            };
            audit::record(
                conn,
                Some(actor),
                Change::new("account.updated", "account", &account.id)
                    .before(account)
                    .after(&after)
                    .reason(reason),
            )?;
            changed.push(after);
        }
        Ok(changed)
    })
}

/// The account with this email address, if there is one. Admin only.
pub fn find_by_email(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
) -> Result<Option<AccountView>> {
    actor.require(&[Role::Admin])?;
    let email = EmailAddress::parse(email).map_err(|e| Error::invalid("email", e.to_string()))?;
    match rows::find_by_email(conn, email.as_str())? {
        Some(row) => Ok(Some(view(conn, &row)?)),
        None => Ok(None),
    }
}

/// The email address of each of `ids` that names an account, for pages that say who did what.
/// Admin only.
pub fn emails(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>> {
    actor.require(&[Role::Admin])?;
    Ok(rows::emails_of(conn, ids)?.into_iter().collect())
}

/// Sends a new invitation to an account whose owner has not chosen a password yet; the link
/// sent before stops working. Admin only.
pub fn resend_invitation(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    links: &Links,
) -> Result<AccountView> {
    actor.require(&[Role::Admin])?;
    write_tx(conn, |conn| {
        let row = rows::find(conn, id)?.ok_or(Error::NotFound)?;
        if row.password_hash.is_some() {
            return Err(Error::Conflict(
                "This person has already chosen a password, so there is no invitation to send. \
                 If they have forgotten it, they can ask for a new one from the sign-in page."
                    .into(),
            ));
        }
        if row.disabled {
            return Err(Error::Conflict(
                "This account is disabled; enable it before sending an invitation.".into(),
            ));
        }
        send_invitation(conn, &row, links, db::now())?;
        audit::record(
            conn,
            Some(actor),
            Change::new("account.invitation_sent", "account", id),
        )?;
        view(conn, &row)
    })
}

/// Member accounts need a member record; coordinators' groups must exist; no one else has either.
fn check_scope(
    conn: &mut DbConnection,
    role: Role,
    member_id: Option<&str>,
    group_ids: &[String],
) -> Result<()> {
    let mut errors = Vec::new();
    match (role, member_id) {
        (Role::Member, None) => errors.push(FieldError::new(
            "member_id",
            "is needed for a member account",
        )),
        (Role::Member, Some(id)) if !rows::member_exists(conn, id)? => {
            errors.push(FieldError::new("member_id", "does not name any member"));
        }
        (Role::Member, Some(_)) => {}
        (_, Some(_)) => errors.push(FieldError::new("member_id", "is only for a member account")),
        _ => {}
    }
    if role != Role::Coordinator && !group_ids.is_empty() {
        errors.push(FieldError::new(
            "group_ids",
            "are only for a coordinator account",
        ));
    }
    if !group_ids.is_empty() {
        let found = rows::existing_groups(conn, group_ids)?;
        for (i, g) in group_ids.iter().enumerate() {
            if !found.contains(g) {
                errors.push(FieldError::new(
                    format!("group_ids[{i}]"),
                    "does not name any group",
                ));
            }
        }
    }
    input::finish(errors)
}

fn dedup(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

/// Creates a single-use invitation link (voiding older ones) and queues the email.
pub fn send_invitation(
    conn: &mut DbConnection,
    account: &AccountRow,
    links: &Links,
    now: NaiveDateTime,
) -> Result<()> {
    session_rows::void_one_time(conn, &account.id, session_rows::INVITATION, now)?;
    let (token, hash) = secrets::new_token(secrets::LINK_PREFIX);
    let row = OneTimeTokenRow {
        id: db::new_id(),
        account_id: account.id.clone(),
        purpose: session_rows::INVITATION.into(),
        token_hash: hash,
        created_at: now,
        expires_at: now + links.invitation_ttl,
        used_at: None,
    };
    session_rows::insert_one_time(conn, &row)?;
    let days = links.invitation_ttl.num_days().max(1);
    let url = format!(
        "{}/accept-invitation?token={}",
        links.base_url,
        secrecy::ExposeSecret::expose_secret(&token)
    );
    let email = Template::new("You have been invited to coprod")
        .paragraph(format!(
            "An account has been made for you in coprod, where your co-production group records \
             sessions and payments. You will sign in with this email address ({}).",
            account.email
        ))
        .paragraph(format!(
            "To start, choose a password using the link below. It works once, for {days} days."
        ))
        .secret_link("Choose your password", url)
        .large_print(super::members::formats_of(conn, account.member_id.as_deref())?.large_print())
        .render(&account.email);
    mail::queue(conn, &format!("invitation:{}", row.id), &email)?;
    Ok(())
}
