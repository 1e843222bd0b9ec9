//! Receipts for expense claims (multipart uploads, read as a stream with a running limit, so a file
//! too large is refused as soon as it passes the limit and never held whole), their downloads, and
//! a member's claims as they follow them.

use actix_multipart::{Field, Multipart};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use utoipa::ToSchema;

use super::auth::with_conn;
use super::error::Problem;
use crate::config::Settings;
use crate::db::Database;
use crate::domain::receipts::{NotAReceipt, ReceiptFile};
use crate::services::page::Page;
use crate::services::receipts::{self, MemberClaim, ReceiptView};
use crate::services::{Actor, Error};

/// What the parts of a multipart body may add to the file inside it (boundaries, part headers, a
/// few small fields).
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The `type` of the problem for a file that is not a JPEG, PNG, HEIC or PDF.
pub const NOT_A_RECEIPT: &str = "urn:coprod:problem:receipt-type-not-accepted";

/// 413 for a receipt over `max` bytes.
pub fn too_large(max: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The file is larger than {} ({max} bytes), the most a receipt may be. A photo taken at a lower resolution, or a scan saved as a smaller PDF, will fit.",
            size_words(max)
        ),
    )
}

/// `10 MiB`, `512 KiB`, or bytes.
fn size_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn not_a_receipt() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "The file is not a JPEG, PNG, HEIC or PDF. Its type is read from the file itself, not from its name: send a photo or a scan of the receipt.",
    )
    .with_kind(NOT_A_RECEIPT)
}

fn no_file() -> Problem {
    Problem::from(Error::invalid(
        "file",
        "is needed: send the receipt in a multipart/form-data part named `file`",
    ))
}

fn unreadable(e: impl std::fmt::Display) -> Problem {
    Problem::bad_request(format!("The multipart body could not be read: {e}."))
}

/// The body of an upload, as the OpenAPI document describes it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReceiptUpload {
    /// The photo or scan: JPEG, PNG, HEIC or PDF, at most `receipts.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads one part into memory, at most `max` bytes: None when it is longer.
async fn read_part(field: &mut Field, max: usize) -> Result<Option<Vec<u8>>, Problem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// The one part named `file` of a multipart body, with the name it was sent under. Other parts
/// are read and dropped (a few KiB at most); a file over `max` stops the reading there.
async fn the_file(mut parts: Multipart, max: u64) -> Result<(String, Vec<u8>), Problem> {
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let mut found: Option<(String, Vec<u8>)> = None;
    let mut other_bytes = 0;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(unreadable)?;
        if field.name() != Some("file") {
            match read_part(&mut field, MULTIPART_OVERHEAD - other_bytes).await? {
                Some(b) => other_bytes += b.len(),
                None => {
                    super::extract::drain(&mut field).await;
                    return Err(Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE));
                }
            }
            continue;
        }
        if found.is_some() {
            return Err(Error::invalid("file", "send one file per request").into());
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or_default()
            .to_string();
        match read_part(&mut field, limit).await? {
            Some(bytes) => found = Some((name, bytes)),
            None => {
                // Read and drop the rest, so the client hears the answer; then answer.
                super::extract::drain(&mut field).await;
                return Err(too_large(max));
            }
        }
    }
    found.ok_or_else(no_file)
}

/// Attach a receipt to a claim: the member for their own claim while it waits, the group's
/// coordinator, or finance. The type is decided from the file's bytes, not its name.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/receipts", operation_id = "upload_receipt", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = ReceiptUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ReceiptView),
        (status = 409, description = "The claim has been decided: a member may no longer add to it", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `receipts.max_bytes`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The file is not a JPEG, PNG, HEIC or PDF (`urn:coprod:problem:receipt-type-not-accepted`), or the body is not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "There is no part named `file`, or it is empty", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    req: HttpRequest,
    path: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let (a, claim) = (actor.clone(), id.clone());
    let refused = if !super::extract::is_multipart_form(req.headers()) {
        Some(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the receipt as multipart/form-data, with the file in a part named `file`.",
        ))
    } else {
        with_conn(&db, move |c| receipts::may_upload(c, &a, &claim))
            .await
            .err()
    };
    if let Some(problem) = refused {
        // The file is not wanted, but read (and dropped) so the client hears why.
        super::extract::drain(&mut payload).await;
        return Err(problem);
    }
    let max = settings.receipts.max_bytes;
    let (name, bytes) = the_file(Multipart::new(req.headers(), payload), max).await?;
    let file = ReceiptFile::parse(&name, bytes, max).map_err(|e| match e {
        NotAReceipt::Empty => Problem::from(Error::invalid("file", "is empty")),
        NotAReceipt::TooLarge { max } => too_large(max),
        NotAReceipt::NotAccepted => not_a_receipt(),
    })?;
    let view = with_conn(&db, move |c| receipts::upload(c, &actor, &id, file)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/receipts/{}", view.id)))
        .json(view))
}

/// A claim's receipts, oldest first: whoever may see the claim.
#[utoipa::path(get, path = "/api/v1/expenses/{id}/receipts", operation_id = "list_receipts", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Page<ReceiptView>)))]
pub async fn list(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| receipts::of_claim(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(Page::whole(items)))
}

/// The file of a receipt, as a download (never shown in the page that links to it).
#[utoipa::path(get, path = "/api/v1/receipts/{id}", operation_id = "get_receipt", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The file, with `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`",
        content(("image/jpeg"), ("image/png"), ("image/heic"), ("application/pdf")))))]
pub async fn get(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let file = with_conn(&db, move |c| receipts::download(c, &actor, &id)).await?;
    Ok(crate::http::download::private_file(
        file.content_type.as_str(),
        &file.filename,
        file.bytes,
    ))
}

/// Remove a receipt: whoever uploaded it, or the group's coordinator, while the claim waits.
#[utoipa::path(delete, path = "/api/v1/receipts/{id}", operation_id = "delete_receipt", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "The claim has been decided", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    with_conn(&db, move |c| receipts::delete(c, &actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's claims, newest session first, with where each is: `waiting`, `approved`,
/// `rejected` (with the reason) or `paid` (with the pay run). The member, finance, and the
/// coordinator of their groups (claims in those groups).
#[utoipa::path(get, path = "/api/v1/members/{id}/expenses", operation_id = "member_expenses", tag = "expenses", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Page<MemberClaim>)))]
pub async fn of_member(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| receipts::of_member(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(Page::whole(items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_said_in_words() {
        assert_eq!(size_words(10 * 1024 * 1024), "10 MiB");
        assert_eq!(size_words(512 * 1024), "512 KiB");
        assert_eq!(size_words(1500), "1500 bytes");
        let p = too_large(10_485_760);
        assert_eq!(p.status, 413);
        assert!(p.detail.contains("10 MiB (10485760 bytes)"), "{}", p.detail);
        assert_eq!(not_a_receipt().kind, NOT_A_RECEIPT);
    }
}
