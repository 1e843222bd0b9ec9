//! Passwords: changing one's own, a forgotten one (a reset link by email), and accepting an
//! invitation (the first password). Hashing happens outside database transactions.

use secrecy::{ExposeSecret, SecretString};

use super::{start_session, Policy, SignedIn, RESET_EMAIL_GAP};
use crate::db::accounts::{self as account_rows, AccountChanges, AccountRow};
use crate::db::sessions::{self as rows, OneTimeTokenRow};
use crate::db::{self, write_tx, Database, DbConnection};
use crate::domain::{EmailAddress, NewPassword};
use crate::mail::{self, Template};
use crate::services::actor::Actor;
use crate::services::audit::{self, Change};
use crate::services::{secrets, Error, Result};

/// Changes the actor's own password: the current one must be right. Other sessions end; the owner
/// is emailed.
pub fn change_password(
    db: &Database,
    policy: &Policy,
    actor: &Actor,
    current: &SecretString,
    new: &SecretString,
) -> Result<()> {
    let account = {
        let mut conn = db.get()?;
        account_rows::find(&mut conn, &actor.account_id)?.ok_or(Error::NotFound)?
    };
    if !secrets::verify_password(current, account.password_hash.as_deref()) {
        return Err(Error::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let password = NewPassword::parse(new, &[&account.email])
        .map_err(|m| Error::invalid("new_password", m))?;
    if secrets::verify_password(new, account.password_hash.as_deref()) {
        return Err(Error::invalid(
            "new_password",
            "must differ from your current password",
        ));
    }
    let hash = secrets::hash_password(&password)?;
    let mut conn = db.get()?;
    write_tx(&mut conn, |conn| {
        set_password(
            conn,
            Some(actor),
            &account,
            hash,
            PasswordEvent::Changed(&actor.session_id),
            &policy.base_url,
        )
    })
}

/// Why a password is being set.
#[derive(Debug, Clone, Copy)]
enum PasswordEvent<'a> {
    /// The owner changed it, signed in with this session, which stays; API tokens keep working.
    Changed(&'a str),
    /// Account recovery from an emailed link: every session and every API token ends.
    Reset,
}

/// Stores a new password hash: ends sessions (and, for a reset, API tokens), voids reset links,
/// clears the account's throttle, records the change and tells the owner.
fn set_password(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    account: &AccountRow,
    hash: String,
    event: PasswordEvent,
    base_url: &str,
) -> Result<()> {
    let now = db::now();
    account_rows::update(
        conn,
        &account.id,
        &AccountChanges {
            password_hash: Some(Some(hash)),
            password_changed_at: Some(Some(now)),
            updated_at: Some(now),
            ..AccountChanges::default()
        },
    )?;
    let (action, kinds, keep): (&str, &[&str], Option<&str>) = match event {
        PasswordEvent::Changed(session) => {
            ("account.password_changed", &[rows::SESSION], Some(session))
        }
        PasswordEvent::Reset => (
            "account.password_reset",
            &[rows::SESSION, rows::API_TOKEN],
            None,
        ),
    };
    let ended = rows::revoke_all(conn, &account.id, kinds, keep, now)?;
    rows::void_one_time(conn, &account.id, rows::PASSWORD_RESET, now)?;
    rows::clear_account_failures(conn, &account.email)?;
    audit::record(
        conn,
        actor,
        Change::new(action, "account", &account.id)
            .after(serde_json::json!({ "sessions_ended": ended })),
    )?;
    let what_ended = match event {
        PasswordEvent::Changed(_) => {
            "You are still signed in where you changed it; everywhere else you have been signed out. \
             Any API tokens you made keep working: if you think someone else has one, revoke it."
        }
        PasswordEvent::Reset => {
            "You have been signed out everywhere, and any API tokens you made have stopped working."
        }
    };
    let email = Template::new("Your coprod password was changed")
        .paragraph(format!(
            "The password for your coprod account ({}) was changed on {} (UTC).",
            account.email,
            now.format("%-d %B %Y at %H:%M")
        ))
        .paragraph(what_ended)
        .paragraph(
            "If you changed it, there is nothing more to do. If you did not, reset your password \
             straight away with the link below and tell your coordinator.",
        )
        .link("Reset my password", format!("{base_url}/forgot-password"))
        .large_print(large_print(conn, account)?)
        .render(&account.email);
    mail::queue(
        conn,
        &format!(
            "password-changed:{}:{}",
            account.id,
            now.and_utc().timestamp_micros()
        ),
        &email,
    )?;
    Ok(())
}

/// Whether the account's member reads large print (their emails are set in larger text).
fn large_print(conn: &mut DbConnection, account: &AccountRow) -> Result<bool> {
    Ok(crate::services::members::formats_of(conn, account.member_id.as_deref())?.large_print())
}

/// Emails a reset link if the address has an active account. Says nothing either way: the caller
/// answers 202 whatever happens, so addresses cannot be probed.
pub fn forgot_password(conn: &mut DbConnection, policy: &Policy, email: &str) -> Result<()> {
    let Ok(email) = EmailAddress::parse(email) else {
        return Ok(());
    };
    write_tx(conn, |conn| {
        let Some(account) = account_rows::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if account.disabled {
            return Ok(());
        }
        let now = db::now();
        if rows::latest_one_time_since(
            conn,
            &account.id,
            rows::PASSWORD_RESET,
            now - RESET_EMAIL_GAP,
        )?
        .is_some()
        {
            return Ok(()); // one was sent a moment ago
        }
        rows::void_one_time(conn, &account.id, rows::PASSWORD_RESET, now)?;
        let (token, hash) = secrets::new_token(secrets::LINK_PREFIX);
        let row = OneTimeTokenRow {
            id: db::new_id(),
            account_id: account.id.clone(),
            purpose: rows::PASSWORD_RESET.into(),
            token_hash: hash,
            created_at: now,
            expires_at: now + policy.reset_ttl,
            used_at: None,
        };
        rows::insert_one_time(conn, &row)?;
        let url = format!(
            "{}/reset-password?token={}",
            policy.base_url,
            token.expose_secret()
        );
        let message = Template::new("Reset your coprod password")
            .paragraph(format!(
                "Someone asked to reset the password of the coprod account for {}.",
                account.email
            ))
            .paragraph(format!(
                "If it was you, choose a new password using the link below. It works once, for {} minutes.",
                policy.reset_ttl.num_minutes()
            ))
            .secret_link("Choose a new password", url)
            .paragraph("If it was not you, ignore this email: your password has not changed.")
            .large_print(large_print(conn, &account)?)
            .render(&account.email);
        mail::queue(conn, &format!("password-reset:{}", row.id), &message)?;
        Ok(())
    })
}

/// The account behind an unused, unexpired link of `purpose`.
fn redeemable(
    conn: &mut DbConnection,
    purpose: &str,
    token: &str,
) -> Result<(OneTimeTokenRow, AccountRow)> {
    let invalid = || {
        Error::invalid(
            "token",
            "this link has expired or has already been used; ask for a new one",
        )
    };
    let row =
        rows::find_one_time(conn, purpose, &secrets::hash_token(token))?.ok_or_else(invalid)?;
    if row.used_at.is_some() || row.expires_at <= db::now() {
        return Err(invalid());
    }
    let account = account_rows::find(conn, &row.account_id)?.ok_or_else(invalid)?;
    if account.disabled {
        return Err(invalid());
    }
    Ok((row, account))
}

fn redeem(
    db: &Database,
    purpose: &str,
    token: &str,
    password: &SecretString,
) -> Result<(OneTimeTokenRow, AccountRow, String)> {
    let (link, account) = {
        let mut conn = db.get()?;
        redeemable(&mut conn, purpose, token)?
    };
    let password = NewPassword::parse(password, &[&account.email])
        .map_err(|m| Error::invalid("password", m))?;
    let hash = secrets::hash_password(&password)?;
    Ok((link, account, hash))
}

fn use_link(conn: &mut DbConnection, link: &OneTimeTokenRow) -> Result<()> {
    if !rows::use_one_time(conn, &link.id, db::now())? {
        return Err(Error::invalid(
            "token",
            "this link has already been used; ask for a new one",
        ));
    }
    Ok(())
}

/// Sets a new password from an emailed reset link. It is account recovery: every session and
/// every API token of the account ends. With `sign_in`, a new session is started and returned
/// (the portal signs the person in; the API answers 204 and starts none).
pub fn reset_password(
    db: &Database,
    policy: &Policy,
    token: &str,
    password: &SecretString,
    sign_in: bool,
) -> Result<Option<SignedIn>> {
    let (link, account, hash) = redeem(db, rows::PASSWORD_RESET, token, password)?;
    let mut conn = db.get()?;
    write_tx(&mut conn, |conn| {
        use_link(conn, &link)?;
        set_password(
            conn,
            None,
            &account,
            hash.clone(),
            PasswordEvent::Reset,
            &policy.base_url,
        )?;
        if !sign_in {
            return Ok(None);
        }
        let mut row = account.clone();
        row.password_hash = Some(hash);
        start_session(conn, policy, &row).map(Some)
    })
}

/// Whether an emailed link of `purpose` can still be used, without using it: the page a link
/// opens says at once when it has expired, before the person chooses a password.
pub fn check_link(conn: &mut DbConnection, purpose: LinkPurpose, token: &str) -> Result<()> {
    redeemable(conn, purpose.as_str(), token).map(|_| ())
}

/// What an emailed single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invitation,
    PasswordReset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => rows::INVITATION,
            LinkPurpose::PasswordReset => rows::PASSWORD_RESET,
        }
    }
}

/// Accepts an invitation: sets the first password and signs in.
pub fn accept_invitation(
    db: &Database,
    policy: &Policy,
    token: &str,
    password: &SecretString,
) -> Result<SignedIn> {
    let (link, account, hash) = redeem(db, rows::INVITATION, token, password)?;
    let mut conn = db.get()?;
    write_tx(&mut conn, |conn| {
        use_link(conn, &link)?;
        let now = db::now();
        account_rows::update(
            conn,
            &account.id,
            &AccountChanges {
                password_hash: Some(Some(hash.clone())),
                password_changed_at: Some(Some(now)),
                updated_at: Some(now),
                ..AccountChanges::default()
            },
        )?;
        audit::record(
            conn,
            None,
            Change::new("account.invitation_accepted", "account", &account.id),
        )?;
        let mut row = account.clone();
        row.password_hash = Some(hash);
        start_session(conn, policy, &row)
    })
}
