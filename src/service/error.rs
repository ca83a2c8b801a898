//! The one error type of the meeting service.
//!
//! Every refusal has a stable `code`, an HTTP-like [`Kind`], the offending
//! field path of the request (`ballots[3].marks`), and a message in Chinese
//! and English. An [`Kind::Internal`] error also carries details for the
//! server's log, which are never sent to a client.

use std::fmt;

use serde_json::Value;

/// The class of an error; the HTTP layer maps each to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 400: the body is not JSON or has the wrong shape.
    BadRequest,
    /// 401: no valid token.
    Unauthorized,
    /// 403: a valid token that may not do this.
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 408: the request did not arrive in time (the listener's limits).
    RequestTimeout,
    /// 409: the request is fine but the meeting is not in a state for it.
    Conflict,
    /// 413
    TooLarge,
    /// 414: a request target longer than the HTTP parser takes.
    UriTooLong,
    /// 431: a request head larger than the listener's buffer.
    HeadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 422: a value the rules refuse.
    Unprocessable,
    /// 428
    PreconditionRequired,
    /// 500: a bug or a disk failure.
    Internal,
}

/// A refused or failed request (boxed: errors travel through many
/// `Result`s and are rare).
#[derive(Debug, Clone, PartialEq)]
pub struct Error(Box<Problem>);

/// What an [`Error`] says.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: Kind,
    /// Stable machine-readable code (docs/api.md lists them).
    pub code: &'static str,
    /// JSON path of the offending request field, if one is to blame.
    pub field: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    /// Extra machine-readable facts (e.g. the pending batches).
    pub extra: Option<Value>,
    /// For the server's log only.
    pub internal: Option<String>,
}

impl Error {
    pub fn new(
        kind: Kind,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Error {
        Error(Box::new(Problem {
            kind,
            code,
            field: None,
            message_zh: zh.into(),
            message_en: en.into(),
            extra: None,
            internal: None,
        }))
    }

    /// Names the offending field.
    pub fn at(mut self, field: impl Into<String>) -> Error {
        self.0.field = Some(field.into());
        self
    }

    pub fn with(mut self, extra: Value) -> Error {
        self.0.extra = Some(extra);
        self
    }

    /// A failure that is not the client's fault; `detail` goes to stderr.
    pub fn internal(detail: impl fmt::Display) -> Error {
        let mut e = Error::new(
            Kind::Internal,
            "internal",
            "服务器内部错误，请求未被执行",
            "internal server error; the request was not carried out",
        );
        e.0.internal = Some(detail.to_string());
        e
    }

    pub fn not_found(what_zh: &str, what_en: &str, id: &str) -> Error {
        Error::new(
            Kind::NotFound,
            "not_found",
            format!("{what_zh} {id} 不存在"),
            format!("no {what_en} {id}"),
        )
    }

    pub fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, code, zh, en)
    }

    pub fn invalid(
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Error {
        Error::new(Kind::Unprocessable, "invalid_field", zh, en).at(field)
    }

    pub fn forbidden(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
        Error::new(Kind::Forbidden, code, zh, en)
    }
}

impl std::ops::Deref for Error {
    type Target = Problem;

    fn deref(&self) -> &Problem {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " at {field}")?;
        }
        write!(f, ": {}", self.message_en)?;
        if let Some(i) = &self.internal {
            write!(f, " ({i})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        Error::internal(e)
    }
}
