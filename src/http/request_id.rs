//! The id of each request: taken from a sane incoming X-Request-Id, or new. `api::middleware::observe`
//! gives every request one (in its extensions, its tracing span and the X-Request-Id response
//! header); the API and the portal read it to record who did what under which request.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderName;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled, for handlers that want to mention it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// The incoming X-Request-Id when it is sane (1 to 64 letters, digits, `-`, `_` or `.`), or a
    /// new UUIDv7.
    pub fn for_request(req: &ServiceRequest) -> RequestId {
        RequestId(incoming_id(req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string()))
    }
}

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    ok.then(|| v.to_string())
}
