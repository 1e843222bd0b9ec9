//! Request extractors that answer problem+json: `Json<T>` (content type, size limit, and the path of
//! the field that failed), and query-string errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::error::Problem;
use crate::services::FieldError;

/// The largest body accepted, in bytes (app data; set from `server.body_limit_bytes`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

const DEFAULT_BODY_LIMIT: usize = 262_144;

/// A JSON body, deserialized with `deny_unknown_fields` types: 415 without a JSON content type, 413
/// over the body limit, 400 for malformed JSON or a field of the wrong type (naming the field).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Json<T>, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == mime::APPLICATION
                    && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
            });
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            if declared_len.is_some_and(|len| len > limit) {
                return Err(Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE));
            }
            if !is_json {
                return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
            let bytes = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => {
                        Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
                    }
                    _ if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                        Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
                    }
                    _ => Problem::bad_request(format!("The request body could not be read: {e}")),
                })?;
            parse(&bytes).map(Json)
        })
    }
}

/// An optional JSON body: `None` when the request has no body at all (no `Content-Length`, or 0,
/// and no `Transfer-Encoding`); otherwise read as `Json<T>` is, with the same problems.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<OptionalJson<T>, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let no_body = match headers.get(header::CONTENT_LENGTH) {
            Some(len) => len.as_bytes() == b"0",
            None => !headers.contains_key(header::TRANSFER_ENCODING),
        };
        if no_body {
            return Box::pin(async { Ok(OptionalJson(None)) });
        }
        let json = Json::<T>::from_request(req, payload);
        Box::pin(async move { json.await.map(|j| OptionalJson(Some(j.0))) })
    }
}

/// Whether a request's body is `multipart/form-data` (a file upload).
pub fn is_multipart_form(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.type_() == mime::MULTIPART && m.subtype() == mime::FORM_DATA)
}

/// The most of a body read and dropped once it has proved too large, so that a client still
/// sending it hears the 413 rather than a connection closed under it. Beyond this it is cut off.
pub const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// Reads and drops what is left of a body, up to `DRAIN_BYTES`.
pub async fn drain<S, E>(stream: &mut S)
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut left = DRAIN_BYTES;
    while let Some(Ok(chunk)) = stream.next().await {
        if chunk.len() >= left {
            break;
        }
        left -= chunk.len();
    }
}

/// A raw body read whole, at most `limit` bytes: `Ok(None)` when it is longer (what is left is
/// drained). Only `limit` bytes are ever held.
pub async fn body_at_most(payload: &mut Payload, limit: usize) -> Result<Option<Bytes>, Problem> {
    use futures_util::StreamExt;
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::bad_request(format!("The request body could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            drop(body);
            drain(payload).await;
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// Deserializes a JSON body, naming the field that failed. A string holding the NUL character
/// (`\u0000`) is refused (422, naming its field): no field has a use for it, and PostgreSQL cannot
/// store it.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value = deserialize(bytes)?;
    match nul_field(bytes) {
        Some(field) => Err(crate::services::Error::invalid(
            field,
            "must not contain the NUL character (\\u0000)",
        )
        .into()),
        None => Ok(value),
    }
}

/// Whether the JSON text has a `\u0000` escape in it (a backslash that is itself escaped does not
/// start one).
fn has_escaped_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The path of the first string (or object key) holding the NUL character, named the way
/// deserialization errors name fields (`records[0].notes`).
fn nul_field(bytes: &[u8]) -> Option<String> {
    if !has_escaped_nul(bytes) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find_nul(&value, "")
}

fn find_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(|| path.to_string()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_nul(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "\\u0000")))
            } else {
                find_nul(item, &join(key))
            }
        }),
        _ => None,
    }
}

fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = clean_serde_message(&inner.to_string());
        if inner.is_syntax() || inner.is_eof() {
            Problem::bad_request(format!("The request body is not valid JSON: {message}."))
        } else {
            let field = if path == "." { String::new() } else { path };
            Problem::bad_request("Some fields are missing or have the wrong type; see errors.")
                .with_errors(vec![FieldError::new(field, message)])
        }
    })
}

/// serde_json adds " at line 1 column 17" to its messages; clients want the reason alone.
fn clean_serde_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// For `QueryConfig`: a malformed query string is a 400 problem naming what was wrong.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    Problem::bad_request(format!("The query string is not valid: {err}.")).into()
}

/// For `PathConfig`: a path segment of the wrong shape is simply not found.
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    Problem::not_found().into()
}

/// For PATCH bodies: a missing field is `None` (leave alone), `null` is `Some(None)` (clear it).
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Note {
            text: String,
            tags: Vec<String>,
        }
        let p = parse::<Note>(br#"{"text": "a\u0000b", "tags": []}"#).unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].field, "text");
        let p = parse::<Note>(br#"{"text": "a", "tags": ["x", "\u0000"]}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "tags[1]");
        // An escaped backslash followed by `u0000` is plain text.
        let n = parse::<Note>(br#"{"text": "C:\\u0000", "tags": []}"#).unwrap();
        assert_eq!(n.text, "C:\\u0000");
        assert!(!has_escaped_nul(br#""\\u0000""#));
        assert!(has_escaped_nul(br#""\\\u0000""#));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Claim {
        amount: Money,
        lines: Vec<Line>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        minutes: u32,
    }

    #[test]
    fn errors_name_the_field() {
        let p = parse::<Claim>(br#"{"amount": 150.0, "lines": []}"#).unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(p.errors[0].field, "amount");
        assert!(p.errors[0].message.contains("string"), "{:?}", p.errors);

        let p = parse::<Claim>(br#"{"amount": "1.00", "lines": [{"minutes": -5}]}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "lines[0].minutes");

        let p = parse::<Claim>(br#"{"amount": "1.00", "lines": [], "extra": 1}"#).unwrap_err();
        assert!(
            p.errors[0].message.contains("unknown field `extra`"),
            "{:?}",
            p.errors
        );

        let p = parse::<Claim>(br#"{"lines": []}"#).unwrap_err();
        assert!(
            p.errors[0].message.contains("missing field `amount`"),
            "{:?}",
            p.errors
        );

        let p = parse::<Claim>(br#"{"amount": "1.00", "lines": [], "note\u0000": 1}"#).unwrap_err();
        assert_eq!(p.status, 400, "an unknown field is still a 400: {p:?}");

        let p = parse::<Claim>(br#"{"amount": "#).unwrap_err();
        assert!(p.errors.is_empty());
        assert!(p.detail.contains("not valid JSON"), "{}", p.detail);
    }
}
