//! The one error → response mapping: every refusal becomes an
//! `application/problem+json` body (RFC 9457) with a stable `code`, the
//! offending `field` and messages in Chinese and English. Internal details
//! go to stderr, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::service::{Error, Kind};

/// The HTTP status of an error class.
pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UriTooLong => StatusCode::URI_TOO_LONG,
        Kind::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document of an error.
pub fn problem(e: &Error) -> Value {
    let status = status(e.kind);
    let mut body = json!({
        "type": format!("urn:scrutineer:problem:{}", e.code),
        "title": e.message_en,
        "status": status.as_u16(),
        "code": e.code,
        "field": e.field,
        "message_zh": e.message_zh,
        "message_en": e.message_en,
    });
    if let (Some(Value::Object(extra)), Value::Object(b)) = (&e.extra, &mut body) {
        for (k, v) in extra {
            b.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    body
}

/// The whole HTTP/1.1 response of an error that ends the connection, as
/// bytes on the wire: for refusals written below the router (the listener's
/// answer to a request head hyper could not parse). Same document and
/// headers as [`IntoResponse`] gives, plus `Connection: close`.
pub fn closing_response(e: &Error) -> Vec<u8> {
    let status = status(e.kind);
    let body = problem(e).to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\n\
         cache-control: no-store\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    )
    .into_bytes()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.internal {
            tracing::error!(%detail, "internal error");
        }
        let status = status(self.kind);
        let mut res = (status, problem(&self).to_string()).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.kind == Kind::RequestTimeout {
            // The rest of the request never came: this connection is done.
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.kind == Kind::Unauthorized {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scrutineer\""),
            );
        }
        res
    }
}
