//! The server log: `tracing` events written to stderr by one plain fmt
//! layer, at the level `SCRUTINEER_LOG` names (`error`, `warn`, `info` —
//! the default —, `debug`, `trace`). What `serve` prints on stdout (the
//! address, the setup token and link, the log-in links of the demo) is the
//! operator's console, not this log.
//!
//! At `debug`, one line per API request: method, path, status; at
//! `trace` its headers too (the default, `info`, logs only what needs
//! the operator: internal errors, a failed sidecar write, accept errors). Secrets never reach the log: the `Authorization`, `Cookie`,
//! `Set-Cookie` and `Scrutineer-Signature` headers are masked, and so are
//! query parameters that carry a token (`token`, `setup`, `cosign_key`).
//! Bodies are never logged, so no ballot is; the time of a request is the
//! time a batch or a decision arrived, never a voter's (ballots carry no
//! time and no voter, docs/service.md "Secret ballot").

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::Response;
use tracing::level_filters::LevelFilter;

/// The environment variable that sets the log level.
pub const LEVEL_VAR: &str = "SCRUTINEER_LOG";

/// Headers whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "scrutineer-signature",
];

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &["token", "setup", "cosign_key"];

/// What a secret is shown as.
const MASK: &str = "***";

/// Installs the stderr log for `serve` (once; later calls do nothing).
/// An unknown `SCRUTINEER_LOG` is reported and the default used.
pub fn init() {
    let (level, unknown) = match std::env::var(LEVEL_VAR) {
        Err(_) => (LevelFilter::INFO, None),
        Ok(v) => match v.trim().parse::<LevelFilter>() {
            Ok(l) => (l, None),
            Err(_) => (LevelFilter::INFO, Some(v)),
        },
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        .try_init();
    if let Some(v) = unknown {
        tracing::warn!(
            "{LEVEL_VAR}={v:?} is not a level (error, warn, info, debug, trace); using info"
        );
    }
}

/// Logs each API request after it is answered (see the module docs).
pub async fn log_requests(req: Request, next: axum::middleware::Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path = masked_target(req.uri().path(), req.uri().query());
    let headers = tracing::enabled!(tracing::Level::TRACE).then(|| masked_headers(req.headers()));
    let res = next.run(req).await;
    let status = res.status().as_u16();
    match headers {
        Some(h) => tracing::trace!(%method, %path, status, headers = %h, "request"),
        None => tracing::debug!(%method, %path, status, "request"),
    }
    res
}

/// `path?query` with the values of secret parameters masked.
pub fn masked_target(path: &str, query: Option<&str>) -> String {
    let Some(q) = query else {
        return path.to_string();
    };
    let parts: Vec<String> = q
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                format!("{name}={MASK}")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// The headers as `name: value; …`, secrets masked (an `Authorization`
/// keeps its scheme: `Bearer ***`).
pub fn masked_headers(headers: &HeaderMap) -> String {
    let shown: Vec<String> = headers
        .iter()
        .map(|(name, value)| {
            let n = name.as_str();
            let v = if SECRET_HEADERS.contains(&n) {
                match value.to_str().ok().and_then(|v| v.split_once(' ')) {
                    Some((scheme, _)) if n.ends_with("authorization") => format!("{scheme} {MASK}"),
                    _ => MASK.to_string(),
                }
            } else {
                value.to_str().unwrap_or("(not text)").to_string()
            };
            format!("{n}: {v}")
        })
        .collect();
    shown.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(masked_target("/api/me", None), "/api/me");
        assert_eq!(
            masked_target(
                "/api/x",
                Some("lang=en&token=abc&TOKEN=d&cosign_key=e&setup=f")
            ),
            "/api/x?lang=en&token=***&TOKEN=***&cosign_key=***&setup=***"
        );
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer sekrit".parse().unwrap());
        h.insert("cookie", "a=sekrit".parse().unwrap());
        h.insert("scrutineer-signature", "sekrit,sekrit".parse().unwrap());
        h.insert("scrutineer-timestamp", "1700000000000".parse().unwrap());
        let shown = masked_headers(&h);
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(shown.contains("authorization: Bearer ***"), "{shown}");
        assert!(
            shown.contains("scrutineer-timestamp: 1700000000000"),
            "{shown}"
        );
    }
}
