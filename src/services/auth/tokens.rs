//! Named API tokens for automation: made, listed and revoked by their owner, shown once.

use chrono::{NaiveDateTime, TimeDelta};
use secrecy::SecretString;
use serde::Serialize;

use super::{expose, Policy};
use crate::db::sessions::{self as rows, SessionRow};
use crate::db::{self, write_tx, DbConnection};
use crate::services::actor::Actor;
use crate::services::audit::{self, instant, Change};
use crate::services::{secrets, Error, Result};

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
