//! The web UI (`web/`), embedded in the binary: plain HTML, CSS and
//! JavaScript modules, so `scrutineer serve` needs no build step and the
//! pages fetch nothing from outside this server.
//!
//! Architecture Invariant: every response here carries a
//! Content-Security-Policy that allows this origin only (`'self'`): a page
//! cannot load a script, a style, a font or a connection from the internet,
//! even by mistake. The meeting's network need not reach the internet.
//!
//! Adding a file to `web/` means adding a line to [`ASSETS`]; a test fails
//! if the two disagree.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    /// The path under `/`, e.g. `count.html`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! assets {
    ($($name:literal => $type:expr),* $(,)?) => {
        /// Every file of `web/`.
        pub const ASSETS: &[Asset] = &[$(Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../web/", $name)),
        }),*];
    };
}

assets! {
    "index.html" => HTML,
    "index.js" => JS,
    "setup.html" => HTML,
    "setup.js" => JS,
    "count.html" => HTML,
    "count.js" => JS,
    "scrutiny.html" => HTML,
    "scrutiny.js" => JS,
    "presidium.html" => HTML,
    "presidium.js" => JS,
    "report.html" => HTML,
    "report.js" => JS,
    "report.css" => CSS,
    "election.html" => HTML,
    "election.js" => JS,
    "hall.html" => HTML,
    "hall.js" => JS,
    "slips.html" => HTML,
    "slips.js" => JS,
    "links.js" => JS,
    "paper.js" => JS,
    "method.html" => HTML,
    "method.js" => JS,
    "audit.html" => HTML,
    "audit.js" => JS,
    "app.js" => JS,
    "i18n.js" => JS,
    "keys.js" => JS,
    "qr.js" => JS,
    "results.js" => JS,
    "rounds.js" => JS,
    "live.js" => JS,
    "bundle.js" => JS,
    "style.css" => CSS,
    "favicon.svg" => SVG,
}

/// Only this origin; inline scripts and styles are refused too (styles set
/// through the CSSOM, as the bar chart does, are allowed by browsers).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The file served at `path` (`/` is `index.html`), if there is one.
pub fn get(path: &str) -> Option<&'static Asset> {
    let name = path.strip_prefix('/').unwrap_or(path);
    let name = if name.is_empty() { "index.html" } else { name };
    ASSETS.iter().find(|a| a.name == name)
}

/// The response for an asset, with the headers every page gets.
pub fn response(asset: &'static Asset) -> Response {
    let mut res = asset.body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // Small files on a local network: always revalidate, so a restarted
    // server with a newer binary is never mixed with stale modules.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Log-in links carry the token after `#`, which is never sent; no
    // referrer is sent either.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_web_is_embedded_and_nothing_else() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("web/ exists")
            .map(|e| {
                e.expect("readable entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.name.to_string()).collect();
        embedded.sort();
        assert_eq!(
            embedded, on_disk,
            "web/ and ASSETS must list the same files"
        );
    }

    #[test]
    fn paths_map_to_files() {
        assert_eq!(get("/").map(|a| a.name), Some("index.html"));
        assert_eq!(get("/count.js").map(|a| a.name), Some("count.js"));
        assert!(get("/../Cargo.toml").is_none());
        assert!(get("/api/health").is_none());
    }
}
