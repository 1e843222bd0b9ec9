//! `Idempotency-Key` on creating requests, as one mechanism for every POST: the same key with the
//! same request gives back the first response (marked `Idempotent-Replayed: true`); the same key
//! with a different request answers 422; a key whose first request is still running answers 409,
//! unless it has run longer than `server.idempotency_lease_secs` (a server stopped mid-request by a
//! crash never answers it), when the retry runs instead.
//! Keys belong to the signed-in account and are kept for 24 hours. Server errors are not kept, so
//! a retry after one runs again.
//!
//! A response that carries a secret (a new session or API token) is never stored: the key keeps
//! only a marker (its status, with no body), and a replay answers 409 saying the secret is shown
//! once. Handlers mark such a response with [`carries_secret`].

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use super::error::Problem;
use crate::db::idempotency::{self as rows, IdempotencyRow};
use crate::db::{self, write_tx, Database};
use crate::http::request_id::RequestId;
use crate::services::auth::{self, Policy};
use crate::services::{Actor, Error};

pub const HEADER: &str = "idempotency-key";
const KEEP: TimeDelta = TimeDelta::hours(24);

/// Marks a response whose body holds a secret shown once, so it is never stored or replayed.
#[derive(Debug, Clone, Copy)]
struct CarriesSecret;

/// `res`, marked as carrying a secret (see the module's note).
pub fn carries_secret(mut res: HttpResponse) -> HttpResponse {
    res.extensions_mut().insert(CarriesSecret);
    res
}

/// The problem a replay of a secret-bearing response answers.
fn secret_not_replayed() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "The first request with this Idempotency-Key succeeded, and its answer held a secret that is shown only once, so it is not sent again. If you did not receive it, revoke what it made (your API tokens are listed at GET /api/v1/me/tokens) and send the request again with a new key.",
    )
    .with_kind("urn:coprod:problem:idempotency-secret-not-replayed")
}

fn problem(req: ServiceRequest, p: Problem) -> ServiceResponse<BoxBody> {
    req.into_response(p.error_response())
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

enum Found {
    Fresh,
    Replay(IdempotencyRow),
    Mismatch,
    InFlight,
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match (req.method() == Method::POST, req.headers().get(HEADER)) {
        (true, Some(v)) => v.to_str().unwrap_or_default().to_string(),
        _ => return pass(req, next).await,
    };
    if !valid_key(&key) {
        let p = Problem::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters.");
        return Ok(problem(req, p));
    }
    let (Some(db), Some(policy)) = (
        req.app_data::<web::Data<Database>>().cloned(),
        req.app_data::<web::Data<Policy>>().cloned(),
    ) else {
        return pass(req, next).await;
    };
    // Keys belong to an account: without a valid sign-in the handler answers 401 as usual.
    let Some(actor) = signed_in(&req, &db, policy.into_inner()).await else {
        return pass(req, next).await;
    };
    let hash = match request_hash(&mut req).await {
        Ok(h) => h,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let lease = req
        .app_data::<web::Data<crate::config::Settings>>()
        .map_or(60, |s| s.server.idempotency_lease_secs);
    let lease = TimeDelta::seconds(i64::try_from(lease).unwrap_or(60));
    let account = actor.account_id.clone();
    match look_up(&db, &account, &key, &hash, lease).await {
        Err(e) => Ok(problem(req, Problem::from(e))),
        Ok(Found::Fresh) => {
            let res = next.call(req).await?;
            Ok(record(&db, account, key, res).await)
        }
        Ok(found) => Ok(answer(req, found)),
    }
}

/// Hands the request on as it is.
async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The account of the request's bearer token, if it is a live one.
async fn signed_in(
    req: &ServiceRequest,
    db: &Database,
    policy: std::sync::Arc<Policy>,
) -> Option<Actor> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())?;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    auth::actor_of_token(db, policy, token, request_id)
        .await
        .ok()
}

/// The SHA-256 of the method, address and body; the body is put back for the handler. A
/// multipart body (a receipt) is read raw, up to the receipt limit and what its parts add, as the
/// handler will read it; any other body as the JSON extractor would, up to the body limit.
async fn request_hash(req: &mut ServiceRequest) -> Result<String, actix_web::Error> {
    let body = if super::extract::is_multipart_form(req.headers()) {
        let max = req
            .app_data::<web::Data<crate::config::Settings>>()
            .map_or(crate::domain::receipts::DEFAULT_MAX_BYTES, |s| {
                s.receipts.max_bytes
            });
        let limit = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .saturating_add(super::receipts::MULTIPART_OVERHEAD);
        let mut payload = req.take_payload();
        super::extract::body_at_most(&mut payload, limit)
            .await?
            .ok_or_else(|| super::receipts::too_large(max))?
    } else {
        req.extract::<web::Bytes>().await?
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b"\n");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&body);
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    req.set_payload(payload.into());
    Ok(hash)
}

/// What the key already holds, claiming it for this request when it holds nothing (or only a
/// request cut off by a crash longer than `lease` ago).
async fn look_up(
    db: &Database,
    account: &str,
    key: &str,
    hash: &str,
    lease: TimeDelta,
) -> Result<Found, Error> {
    let (k, a, h) = (key.to_string(), account.to_string(), hash.to_string());
    db.run(move |c| -> Result<Found, Error> {
        write_tx(c, |c| {
            let now = db::now();
            rows::prune(c, now - KEEP)?;
            match rows::find(c, &a, &k)? {
                Some(row) if row.request_hash != h => Ok(Found::Mismatch),
                Some(row) if row.status_code.is_some() => Ok(Found::Replay(row)),
                // Cut off by a crash long enough ago: the retry runs.
                Some(_) if rows::retake(c, &a, &k, now - lease, now)? => Ok(Found::Fresh),
                Some(_) => Ok(Found::InFlight),
                None => {
                    let row = IdempotencyRow {
                        account_id: a.clone(),
                        idem_key: k.clone(),
                        request_hash: h.clone(),
                        status_code: None,
                        response_body: None,
                        location: None,
                        created_at: now,
                    };
                    Ok(if rows::claim(c, &row)? {
                        Found::Fresh
                    } else {
                        Found::InFlight
                    })
                }
            }
        })
    })
    .await
}

/// The answer for a key that is taken: the first response again, or why not.
fn answer(req: ServiceRequest, found: Found) -> ServiceResponse<BoxBody> {
    match found {
        Found::Mismatch => problem(
            req,
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This Idempotency-Key was already used with a different request; use a new key.",
            ),
        ),
        Found::InFlight | Found::Fresh => problem(
            req,
            Problem::new(
                StatusCode::CONFLICT,
                "A request with this Idempotency-Key is still being handled; try again in a moment.",
            ),
        ),
        Found::Replay(row) if row.response_body.is_none() => problem(req, secret_not_replayed()),
        Found::Replay(row) => {
            let status = u16::try_from(row.status_code.unwrap_or(200))
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            let mut res = HttpResponse::build(status);
            let content_type = if status.is_success() {
                "application/json"
            } else {
                super::error::PROBLEM_JSON
            };
            res.content_type(content_type)
                .insert_header(("Idempotent-Replayed", "true"));
            if let Some(loc) = row.location {
                res.insert_header((header::LOCATION, loc));
            }
            req.into_response(res.body(row.response_body.unwrap_or_default()))
        }
    }
}

/// Keeps the handler's answer under the key (without its body when it held a secret; not at all
/// for a server error, so a retry runs again), and sends it on.
async fn record(
    db: &Database,
    account: String,
    key: String,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let secret = res.response().extensions().get::<CarriesSecret>().is_some();
    let (http_req, http_res) = res.into_parts();
    let (head, body) = http_res.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    // A secret is never kept: the row holds the status alone, which a replay recognises.
    let text = (!secret).then(|| String::from_utf8_lossy(&bytes).into_owned());
    let keep = !status.is_server_error();
    let stored = db
        .run(move |c| {
            write_tx(c, |c| {
                if keep {
                    rows::complete(
                        c,
                        &account,
                        &key,
                        i32::from(status.as_u16()),
                        text.as_deref(),
                        location.as_deref(),
                    )
                } else {
                    rows::release(c, &account, &key)
                }
            })
            .map_err(Error::from)
        })
        .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "could not record an idempotent response");
    }
    ServiceResponse::new(http_req, head.set_body(BoxBody::new(bytes)))
}
