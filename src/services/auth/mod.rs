//! Signing in and out, sessions and API tokens, password changes, resets and invitations, and the
//! throttling of failed sign-ins. Password hashing happens outside database transactions so a slow
//! hash never holds a connection or a lock.

mod passwords;
mod tokens;

pub use passwords::{
    accept_invitation, change_password, check_link, forgot_password, reset_password, LinkPurpose,
};
pub use tokens::{create_api_token, list_api_tokens, revoke_api_token, ApiTokenView, NewApiToken};

use chrono::TimeDelta;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::accounts::{self, AccountView};
use super::actor::Actor;
use super::audit::{self, instant, Change};
use super::{secrets, Error, Result};
use crate::config::AuthSettings;
use crate::db::accounts::{self as account_rows, AccountChanges, AccountRow};
use crate::db::actors::{self, ActorRow};
use crate::db::sessions::{self as rows, SessionRow};
use crate::db::{self, write_tx, Database, DbConnection};
use crate::domain::EmailAddress;

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
    /// How long this instance trusts its memory of a token's actor (`auth.actor_cache_seconds`).
    pub actor_memory: std::time::Duration,
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
            actor_memory: std::time::Duration::from_secs(auth.actor_cache_seconds),
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
/// API tokens at their expiry; both when revoked or when the account is disabled. One statement
/// reads the session, its account and its groups; a session's last use is written at most once a
/// minute. The answer is remembered for `auth.actor_cache_seconds` (see `remembered`).
pub fn authenticate(
    conn: &mut DbConnection,
    policy: &Policy,
    token: &str,
    request_id: Option<String>,
) -> Result<Actor> {
    if !token_shaped(token) {
        return Err(unauthorized());
    }
    let hash = secrets::hash_token(token);
    let generation = actors::generation();
    let mut row = actors::by_token_hash(conn, &hash)?.ok_or_else(unauthorized)?;
    let now = db::now();
    if !live(&row, policy, now) {
        return Err(unauthorized());
    }
    let session = &row.session;
    if session.last_used_at == session.created_at || now - session.last_used_at >= TOUCH_EVERY {
        write_tx(conn, |c| rows::touch(c, &session.id, now))?;
        row.session.last_used_at = now;
    }
    actors::remember(&hash, &row, generation, policy.actor_memory);
    Ok(actor_from(row, request_id))
}

/// The actor behind a bearer token as this instance checked it less than
/// `auth.actor_cache_seconds` ago, without the database; `None` means ask it (`authenticate`).
/// Whatever this instance does to end a session or narrow an account is seen at once; what
/// another instance does, within that many seconds.
pub fn remembered(policy: &Policy, token: &str, request_id: Option<String>) -> Option<Actor> {
    if !token_shaped(token) {
        return None;
    }
    let row = actors::remembered(&secrets::hash_token(token), policy.actor_memory)?;
    live(&row, policy, db::now()).then(|| actor_from(row, request_id))
}

/// The actor of a token, from memory or else from the database on the blocking pool.
pub async fn actor_of_token(
    db: &Database,
    policy: std::sync::Arc<Policy>,
    token: String,
    request_id: Option<String>,
) -> Result<Actor> {
    if let Some(actor) = remembered(&policy, &token, request_id.clone()) {
        return Ok(actor);
    }
    db.run(move |conn| authenticate(conn, &policy, &token, request_id))
        .await
}

fn unauthorized() -> Error {
    Error::Unauthorized(
        "Your session has ended or the token is not valid. Please sign in again.".into(),
    )
}

fn token_shaped(token: &str) -> bool {
    token.starts_with(secrets::SESSION_PREFIX) || token.starts_with(secrets::API_TOKEN_PREFIX)
}

/// Not revoked, not expired, not idle too long, and the account not disabled.
fn live(row: &ActorRow, policy: &Policy, now: chrono::NaiveDateTime) -> bool {
    let session = &row.session;
    let idle_over =
        session.kind == rows::SESSION && session.last_used_at + policy.session_idle <= now;
    session.revoked_at.is_none() && session.expires_at > now && !idle_over && !row.disabled
}

fn actor_from(row: ActorRow, request_id: Option<String>) -> Actor {
    Actor {
        account_id: row.session.account_id,
        email: row.email,
        role: row.role,
        member_id: row.member_id,
        group_ids: row.group_ids,
        session_id: row.session.id,
        request_id,
    }
}

/// Ends the session (or API token) the request came with.
pub fn logout(conn: &mut DbConnection, actor: &Actor) -> Result<()> {
    write_tx(conn, |c| rows::revoke(c, &actor.session_id, db::now()))?;
    Ok(())
}

/// Ends every session of the actor's account, this one too: for a lost phone or a shared
/// computer. API tokens are named and revoked one by one, so they keep working. Returns how many
/// sessions ended.
pub fn logout_everywhere(conn: &mut DbConnection, actor: &Actor) -> Result<usize> {
    write_tx(conn, |c| {
        let ended = rows::revoke_all(c, &actor.account_id, &[rows::SESSION], None, db::now())?;
        audit::record(
            c,
            Some(actor),
            Change::new(
                "account.signed_out_everywhere",
                "account",
                &actor.account_id,
            )
            .after(serde_json::json!({ "sessions_ended": ended })),
        )?;
        Ok(ended)
    })
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

/// One statement: the account with its member; the groups are the actor's, read with the session.
pub fn me(conn: &mut DbConnection, actor: &Actor) -> Result<Me> {
    let (row, member) =
        account_rows::find_with_member(conn, &actor.account_id)?.ok_or(Error::NotFound)?;
    let account = AccountView::new(&row, actor.group_ids.clone());
    let member = member.map(|m| MemberSummary {
        id: m.id,
        full_name: m.full_name,
        preferred_name: m.preferred_name,
        email: m.email,
        phone: m.phone,
        communication_needs: m.communication_needs,
    });
    Ok(Me { account, member })
}
