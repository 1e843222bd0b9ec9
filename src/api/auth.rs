//! Who is calling: the bearer-token extractor (an `Actor` argument makes a handler require
//! sign-in), and running blocking service calls.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::error::Problem;
use crate::db::Database;
use crate::http::request_id::RequestId;
use crate::services::auth::{self, Policy};
use crate::services::{Actor, Error};

impl FromRequest for Actor {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Actor, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let db = req.app_data::<web::Data<Database>>().cloned();
        let policy = req.app_data::<web::Data<Policy>>().cloned();
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let (Some(db), Some(policy)) = (db, policy) else {
                return Err(
                    Error::Internal(anyhow::anyhow!("authentication is not configured")).into(),
                );
            };
            let token = token.ok_or_else(|| {
                Problem::from(Error::Unauthorized(
                    "Sign in first: send Authorization: Bearer <token>.".into(),
                ))
            })?;
            auth::actor_of_token(&db, policy.into_inner(), token, request_id)
                .await
                .map_err(Problem::from)
        })
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty() && token.len() <= 200).then(|| token.to_string())
}

/// Runs blocking work (password hashing, several queries) on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, Problem>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(Problem::from),
        Err(e) => Err(Error::Internal(anyhow::anyhow!("a background task failed: {e}")).into()),
    }
}

/// Runs a service call with a pooled connection on the blocking pool.
pub async fn with_conn<T, F>(db: &Database, f: F) -> Result<T, Problem>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    db.run(f).await.map_err(Problem::from)
}
