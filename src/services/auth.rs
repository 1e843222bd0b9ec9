//! Signing in and out, sessions and API tokens, password changes, resets and invitations, and the
//! throttling of failed sign-ins. Password hashing happens outside database transactions so a slow
//! hash never holds a connection or a lock.

use chrono::{NaiveDateTime, TimeDelta};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::accounts::{self, AccountView};
use super::actor::Actor;
use super::audit::{self, instant, Change};
use super::{secrets, Error, Result};
use crate::config::AuthSettings;
use crate::db::accounts::{self as account_rows, AccountChanges, AccountRow};
use crate::db::people;
use crate::db::sessions::{self as rows, OneTimeTokenRow, SessionRow};
use crate::db::{self, write_tx, Database, DbConnection};
use crate::domain::{EmailAddress, NewPassword};
use crate::mail::{self, Template};

/// A session's last use is written at most this often, so reads stay reads.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);
/// A second reset email is not sent within this long of the first.
const RESET_EMAIL_GAP: TimeDelta = TimeDelta::minutes(2);

const BAD_CREDENTIALS: &str = "The email address or password is not right.";

/// The auth settings as durations.
#[derive(Debug, Clone)]
pub struct Policy {
    pub session_lifetime: TimeDelta,
    pub session_idle: TimeDelta,
    pub invitation_ttl: TimeDelta,
    pub reset_ttl: TimeDelta,
    pub api_token_max: TimeDelta,
    pub throttle_window: TimeDelta,
    pub max_per_address: i64,
    pub max_per_account_address: i64,
    pub max_per_account: i64,
    /// `server.public_url` without a trailing slash, for links in emails.
    pub base_url: String,
}

fn minutes(m: u64) -> TimeDelta {
    TimeDelta::minutes(i64::try_from(m).unwrap_or(i64::MAX / 120_000))
}

impl Policy {
    pub fn new(auth: &AuthSettings, base_url: &str) -> Policy {
        Policy {
            session_lifetime: minutes(auth.session_lifetime_minutes),
            session_idle: minutes(auth.session_idle_minutes),
            invitation_ttl: minutes(auth.invitation_days.saturating_mul(24 * 60)),
            reset_ttl: minutes(auth.reset_minutes),
            api_token_max: minutes(auth.api_token_max_days.saturating_mul(24 * 60)),
            throttle_window: minutes(auth.throttle_window_minutes),
            max_per_address: i64::try_from(auth.max_failures_per_address).unwrap_or(i64::MAX),
            max_per_account_address: i64::try_from(auth.max_failures_per_account_address)
                .unwrap_or(i64::MAX),
            max_per_account: i64::try_from(auth.max_failures_per_account).unwrap_or(i64::MAX),
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn links(&self) -> accounts::Links {
        accounts::Links {
            base_url: self.base_url.clone(),
            invitation_ttl: self.invitation_ttl,
        }
    }
}

/// A new session: the token is shown once and never stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    #[schema(value_type = String)]
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
    pub expires_at: String,
    pub account: AccountView,
}

fn expose<S: serde::Serializer>(s: &SecretString, ser: S) -> std::result::Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose_secret())
}

/// A throttle scope and the policy's limit for it.
type Scope = (String, fn(&Policy) -> i64);

/// Throttle scopes of one sign-in attempt.
fn scopes(email: &str, client: &str) -> [Scope; 3] {
    [
        (format!("addr:{client}"), |p| p.max_per_address),
        (format!("acct:{email}|addr:{client}"), |p| {
            p.max_per_account_address
        }),
        (format!("acct:{email}"), |p| p.max_per_account),
    ]
}

/// 429 with the seconds until the oldest counted failure leaves the window, if any scope is full.
fn check_throttle(
    conn: &mut DbConnection,
    policy: &Policy,
    email: &str,
    client: &str,
) -> Result<()> {
    let now = db::now();
    let since = now - policy.throttle_window;
    let mut wait: Option<i64> = None;
    for (scope, max) in scopes(email, client) {
        let (count, oldest) = rows::failures_since(conn, &scope, since)?;
        if count >= max(policy) {
            let until = oldest.unwrap_or(now) + policy.throttle_window;
            let secs = (until - now).num_seconds().max(1);
            wait = Some(wait.map_or(secs, |w| w.max(secs)));
        }
    }
    match wait {
        Some(secs) => Err(Error::TooManyRequests {
            retry_after_secs: u64::try_from(secs).unwrap_or(1),
        }),
        None => Ok(()),
    }
}

/// Signs in with email and password from `client` (an address, for throttling).
pub fn login(
    db: &Database,
    policy: &Policy,
    email: &str,
    password: &SecretString,
    client: &str,
) -> Result<SignedIn> {
    // An address that is not even an email still costs a hash, and is still counted.
    let email_key = EmailAddress::parse(email)
        .map(EmailAddress::into_inner)
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let account = {
        let mut conn = db.get()?;
        check_throttle(&mut conn, policy, &email_key, client)?;
        account_rows::find_by_email(&mut conn, &email_key)?
    };
    let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let password_ok = secrets::verify_password(password, hash);
    let mut conn = db.get()?;
    match account {
        Some(account) if password_ok && !account.disabled => write_tx(&mut conn, |conn| {
            let scopes = scopes(&email_key, client);
            rows::clear_failures(conn, &[scopes[1].0.clone(), scopes[2].0.clone()])?;
            start_session(conn, policy, &account)
        }),
        _ => {
            write_tx(&mut conn, |conn| {
                let now = db::now();
                for (scope, _) in scopes(&email_key, client) {
                    rows::record_failure(conn, &db::new_id(), &scope, now)?;
                }
                rows::prune_failures(conn, now - TimeDelta::days(1))?;
                Ok::<_, Error>(())
            })?;
            tracing::info!("sign-in refused");
            Err(Error::Unauthorized(BAD_CREDENTIALS.into()))
        }
    }
}

fn start_session(
    conn: &mut DbConnection,
    policy: &Policy,
    account: &AccountRow,
) -> Result<SignedIn> {
    let now = db::now();
    let (token, hash) = secrets::new_token(secrets::SESSION_PREFIX);
    let session = SessionRow {
        id: db::new_id(),
        account_id: account.id.clone(),
        kind: rows::SESSION.into(),
        name: None,
        token_hash: hash,
        created_at: now,
        expires_at: now + policy.session_lifetime,
        last_used_at: now,
        revoked_at: None,
    };
    rows::insert(conn, &session)?;
    account_rows::update(
        conn,
        &account.id,
        &AccountChanges {
            last_login_at: Some(Some(now)),
            ..AccountChanges::default()
        },
    )?;
    let mut row = account.clone();
    row.last_login_at = Some(now);
    Ok(SignedIn {
        token,
        expires_at: instant(session.expires_at),
        account: accounts::view(conn, &row)?,
    })
}

/// The actor behind a bearer token, or 401. Sessions end at their lifetime or when idle too long;
/// API tokens at their expiry; both when revoked or when the account is disabled.
pub fn authenticate(
    conn: &mut DbConnection,
    policy: &Policy,
    token: &str,
    request_id: Option<String>,
) -> Result<Actor> {
    let unauthorized = || {
        Error::Unauthorized(
            "Your session has ended or the token is not valid. Please sign in again.".into(),
        )
    };
    if !(token.starts_with(secrets::SESSION_PREFIX) || token.starts_with(secrets::API_TOKEN_PREFIX))
    {
        return Err(unauthorized());
    }
    let session =
        rows::find_by_hash(conn, &secrets::hash_token(token))?.ok_or_else(unauthorized)?;
    let now = db::now();
    let idle_over =
        session.kind == rows::SESSION && session.last_used_at + policy.session_idle <= now;
    if session.revoked_at.is_some() || session.expires_at <= now || idle_over {
        return Err(unauthorized());
    }
    let account = account_rows::find(conn, &session.account_id)?.ok_or_else(unauthorized)?;
    if account.disabled {
        return Err(unauthorized());
    }
    if session.last_used_at == session.created_at || now - session.last_used_at >= TOUCH_EVERY {
        write_tx(conn, |c| rows::touch(c, &session.id, now))?;
    }
    let group_ids = account_rows::group_ids_of(conn, std::slice::from_ref(&account.id))?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok(Actor {
        account_id: account.id,
        email: account.email,
        role: account.role,
        member_id: account.member_id,
        group_ids,
        session_id: session.id,
        request_id,
    })
}

/// Ends the session (or API token) the request came with.
pub fn logout(conn: &mut DbConnection, actor: &Actor) -> Result<()> {
    write_tx(conn, |c| rows::revoke(c, &actor.session_id, db::now()))?;
    Ok(())
}

/// What `GET /me` shows: the account and, for a member, their member record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub account: AccountView,
    pub member: Option<MemberSummary>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberSummary {
    pub id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub communication_needs: Option<String>,
}

pub fn me(conn: &mut DbConnection, actor: &Actor) -> Result<Me> {
    let account = accounts::get(conn, actor, &actor.account_id)?;
    let member = match &actor.member_id {
        Some(id) => people::find_member(conn, id)?.map(|m| MemberSummary {
            id: m.id,
            full_name: m.full_name,
            preferred_name: m.preferred_name,
            email: m.email,
            phone: m.phone,
            communication_needs: m.communication_needs,
        }),
        None => None,
    };
    Ok(Me { account, member })
}

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

/// An API token as listed: never the token itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

impl From<&SessionRow> for ApiTokenView {
    fn from(r: &SessionRow) -> ApiTokenView {
        ApiTokenView {
            id: r.id.clone(),
            name: r.name.clone().unwrap_or_default(),
            created_at: instant(r.created_at),
            expires_at: instant(r.expires_at),
            // A token never used shows its creation as last use in storage; report it as never.
            last_used_at: (r.last_used_at != r.created_at).then(|| instant(r.last_used_at)),
        }
    }
}

/// A new API token, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewApiToken {
    #[serde(flatten)]
    pub info: ApiTokenView,
    #[schema(value_type = String)]
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
}

pub fn create_api_token(
    conn: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    name: &str,
    expires_at: Option<NaiveDateTime>,
) -> Result<NewApiToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    let now = db::now();
    let expires_at = expires_at.unwrap_or(now + TimeDelta::days(90));
    if expires_at <= now {
        return Err(Error::invalid("expires_at", "must be in the future"));
    }
    if expires_at > now + policy.api_token_max {
        return Err(Error::invalid(
            "expires_at",
            format!("must be within {} days", policy.api_token_max.num_days()),
        ));
    }
    write_tx(conn, |conn| {
        let (token, hash) = secrets::new_token(secrets::API_TOKEN_PREFIX);
        let row = SessionRow {
            id: db::new_id(),
            account_id: actor.account_id.clone(),
            kind: rows::API_TOKEN.into(),
            name: Some(name.to_string()),
            token_hash: hash,
            created_at: now,
            expires_at,
            last_used_at: now,
            revoked_at: None,
        };
        rows::insert(conn, &row)?;
        let info = ApiTokenView::from(&row);
        audit::record(
            conn,
            Some(actor),
            Change::new("api_token.created", "api_token", &row.id).after(&info),
        )?;
        Ok(NewApiToken { info, token })
    })
}

pub fn list_api_tokens(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<ApiTokenView>> {
    Ok(rows::live_api_tokens(conn, &actor.account_id, db::now())?
        .iter()
        .map(ApiTokenView::from)
        .collect())
}

/// Revokes one of the actor's own API tokens; another's is not found.
pub fn revoke_api_token(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<()> {
    write_tx(conn, |conn| {
        let row = rows::find_for_account(conn, &actor.account_id, id)?
            .filter(|r| r.kind == rows::API_TOKEN && r.revoked_at.is_none())
            .ok_or(Error::NotFound)?;
        rows::revoke(conn, &row.id, db::now())?;
        audit::record(
            conn,
            Some(actor),
            Change::new("api_token.revoked", "api_token", &row.id).before(ApiTokenView::from(&row)),
        )
    })
}
