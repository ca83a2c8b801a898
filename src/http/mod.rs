//! The HTTP API (axum on tokio): the route table, bearer-token extraction,
//! Server-Sent Events, and the one error mapping ([`error`]). Thin on
//! purpose: every handler parses the body and calls one blocking use case
//! of [`crate::service`] on the blocking pool.
//!
//! The routes are declared once, in [`ROUTES`], each with who may call it
//! ([`Access`]) and whether it is a signed write; the router is built from
//! the same table, and `guard` checks the caller in front of every route
//! before its handler runs, so no handler checks a role. Finer rules of
//! the domain (a counter or scrutineer acts in the elections they are
//! assigned to, who sees a result when, each person registers their own
//! key) stay in the service, which the CLI and the demo also call.
//! `openapi.json` beside this file states the same roles (`x-roles`) and
//! signed writes (`x-signed`); tests/service_authz.rs checks the document
//! against the table and every (route, role) pair against a real server.
//!
//! Architecture Invariant: no handler holds a database connection across
//! an `.await`; the service runs in `spawn_blocking`.

pub mod assets;
pub mod error;
pub mod listener;
mod sse;
pub mod tls;
pub mod trace;
pub mod witness;
pub use listener::Limits;
use sse::events;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, watch};

use crate::service::{self, Actor, Caller, Error, Kind, Reply, Role, Service, Signing};

/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// The OpenAPI document, hand-written next to the routes and checked
/// against [`ROUTES`] and against real responses (tests/service_authz.rs,
/// tests/openapi.rs).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Shared state of the handlers.
#[derive(Clone)]
pub struct App {
    svc: Service,
    /// Turns true when the server shuts down: live streams end.
    shutdown: watch::Receiver<bool>,
    /// (meeting, token id) of every log-in link revoked: its live streams
    /// end at once.
    revoked: broadcast::Sender<(String, String)>,
    /// How the server was started (`GET /api/server`).
    serving: Arc<Serving>,
}

/// How `serve` runs: TLS or not, the listener's limits, the demo meeting.
#[derive(Clone, Default)]
pub struct Serving {
    /// The certificate, when the service speaks HTTPS.
    pub tls: Option<tls::Tls>,
    pub limits: Limits,
    /// The meeting `--demo` made, the only one whose scrutiny links may
    /// carry a `cosign_key=`.
    pub demo_meeting: Option<String>,
}

use Role::{Auditor, Counter, Display, Organiser, Presidium, Scrutineer};

/// Every role of a meeting.
const ALL: &[Role] = &[Organiser, Counter, Scrutineer, Presidium, Auditor, Display];
/// Who may see results (the rule itself is `service::round::may_see_result`).
const RESULTS: &[Role] = &[Organiser, Scrutineer, Presidium, Auditor, Display];
/// Who may read what proves a result: the statement, the receipt, the
/// bundle and the log's tiles.
const PROOFS: &[Role] = &[Scrutineer, Presidium, Auditor];

/// Who may call a route: the one place roles are declared. `guard`
/// enforces it before the handler runs; `openapi.json` repeats it as
/// `x-roles` and a test checks the two agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Public,
    /// Only the setup token `serve` prints.
    Setup,
    /// Any valid token: the setup token or a person's.
    AnyToken,
    /// A person of the meeting `{m}` in one of these roles (403
    /// `wrong_meeting` for another meeting's token, `forbidden_role`
    /// otherwise). Finer domain rules — assigned to the election, the
    /// result announced, one's own key — stay in the service.
    Roles(&'static [Role]),
}

impl Access {
    /// The `x-roles` of the OpenAPI document: `[]` no token, `["setup"]`,
    /// `["any"]`, or the role names.
    pub fn x_roles(self) -> Vec<&'static str> {
        match self {
            Access::Public => vec![],
            Access::Setup => vec!["setup"],
            Access::AnyToken => vec!["any"],
            Access::Roles(roles) => roles.iter().map(|r| r.as_str()).collect(),
        }
    }
}

/// One API route of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    /// The axum path template, as in `openapi.json`.
    pub path: &'static str,
    pub access: Access,
    /// A signed write: it logs entries in the caller's name, so the
    /// `Scrutineer-Timestamp`/`Scrutineer-Signature` headers are read
    /// (docs/api.md "Signed requests"); other routes ignore them.
    /// `x-signed: true` in `openapi.json`.
    pub signed: bool,
}

macro_rules! signed {
    () => {
        false
    };
    (signed) => {
        true
    };
}

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:ident, $access:expr $(, $signed:ident)? ;)*) => {
        /// Every API route, with who may call it.
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            access: $access,
            signed: signed!($($signed)?),
        }),*];

        /// The API routes, each behind its `guard`.
        fn api_routes(app: &App) -> Router<App> {
            Router::new()$(.route(
                $path,
                $method($handler).route_layer(axum::middleware::from_fn_with_state(
                    (app.clone(), Route {
                        method: stringify!($method),
                        path: $path,
                        access: $access,
                        signed: signed!($($signed)?),
                    }),
                    guard,
                )),
            ))*
        }
    };
}

use Access::{AnyToken, Public, Roles, Setup};

routes! {
    get "/api/health" => health, Public;
    get "/api/server" => server_info, Public;
    get "/api/openapi.json" => openapi, Public;
    get "/api/me" => me, AnyToken;
    post "/api/meetings" => create_meeting, Setup;
    get "/api/meetings/{m}" => meeting, Roles(ALL);
    put "/api/meetings/{m}/method" => adopt_method, Roles(&[Organiser]), signed;
    get "/api/meetings/{m}/method/text" => method_text, Roles(ALL);
    put "/api/meetings/{m}/attendance" => attendance, Roles(&[Organiser]), signed;
    post "/api/meetings/{m}/people" => add_person, Roles(&[Organiser]), signed;
    get "/api/meetings/{m}/people" => people, Roles(&[Organiser, Auditor]);
    put "/api/meetings/{m}/people/{p}/key" => set_key, Roles(&[Organiser, Counter, Scrutineer, Presidium]), signed;
    post "/api/meetings/{m}/people/{p}/key/replacement" => replace_key, Roles(&[Organiser, Counter, Scrutineer, Presidium]), signed;
    post "/api/meetings/{m}/people/{p}/key/approval" => approve_key, Roles(&[Presidium]), signed;
    post "/api/meetings/{m}/people/{p}/tokens" => issue_token, Roles(&[Organiser]), signed;
    delete "/api/meetings/{m}/tokens/{t}" => revoke_token, Roles(&[Organiser]), signed;
    post "/api/meetings/{m}/elections" => add_election, Roles(&[Organiser]);
    get "/api/meetings/{m}/elections/{e}" => election, Roles(ALL);
    get "/api/meetings/{m}/elections/{e}/result" => election_result, Roles(RESULTS);
    post "/api/meetings/{m}/elections/{e}/assignments" => assign, Roles(&[Organiser]), signed;
    post "/api/meetings/{m}/elections/{e}/rounds" => create_round, Roles(&[Organiser]), signed;
    get "/api/meetings/{m}/rounds/{r}" => round, Roles(ALL);
    post "/api/meetings/{m}/rounds/{r}/open" => open_round, Roles(&[Organiser]), signed;
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/entries" => enter_batch, Roles(&[Counter]), signed;
    get "/api/meetings/{m}/rounds/{r}/batches" => batches, Roles(&[Counter, Scrutineer, Auditor]);
    get "/api/meetings/{m}/rounds/{r}/batches/{b}" => batch, Roles(&[Counter, Scrutineer, Auditor]);
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/resolutions" => resolve, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/discard" => discard_batch, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/imports" => import_file, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/box" => count_box, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/totals" => enter_totals, Roles(&[Counter]), signed;
    post "/api/meetings/{m}/rounds/{r}/totals/resolve" => resolve_totals, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/close" => close_round, Roles(&[Scrutineer]), signed;
    get "/api/meetings/{m}/rounds/{r}/result" => result, Roles(RESULTS);
    get "/api/meetings/{m}/rounds/{r}/statement" => statement, Roles(PROOFS);
    get "/api/meetings/{m}/rounds/{r}/receipt" => receipt, Roles(PROOFS);
    post "/api/meetings/{m}/rounds/{r}/cosignatures" => cosign, Roles(&[Scrutineer]), signed;
    post "/api/meetings/{m}/rounds/{r}/decisions" => decide, Roles(&[Presidium]), signed;
    get "/api/meetings/{m}/rounds/{r}/events" => events, Roles(RESULTS);
    get "/api/meetings/{m}/checkpoint" => checkpoint, Roles(ALL);
    post "/api/meetings/{m}/witnesses" => name_witness, Roles(&[Organiser]), signed;
    get "/api/meetings/{m}/witnesses" => witnesses, Roles(&[Organiser, Scrutineer, Presidium, Auditor]);
    get "/api/meetings/{m}/bundle" => bundle, Roles(PROOFS);
    get "/api/meetings/{m}/tlog/{*path}" => tlog, Roles(PROOFS);
}

/// The whole application: API, web UI, fallbacks, body limit.
pub fn router(svc: Service, shutdown: watch::Receiver<bool>, serving: Serving) -> Router {
    let (revoked, _) = broadcast::channel(256);
    let app = App {
        svc,
        shutdown,
        revoked,
        serving: Arc::new(serving),
    };
    api_routes(&app)
        .route("/", get(index))
        .route("/{file}", get(web_file))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(no_store))
        .layer(axum::middleware::from_fn(trace::log_requests))
        .with_state(app)
}

/// `Cache-Control: no-store` on every API response (and every problem
/// document, see [`error`]): results, tokens and readings must never sit
/// in a browser's or a proxy's cache.
async fn no_store(req: Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if api {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves `svc` over plain HTTP on `listener` with the default limits
/// until `shutdown` completes (see [`serve_with`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    svc: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, svc, Serving::default(), shutdown).await
}

/// Serves `svc` on `listener` as `serving` says (TLS, limits) until
/// `shutdown` completes, then finishes the requests in flight (live
/// streams end at once).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    svc: Service,
    serving: Serving,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let tls = serving.tls.as_ref().map(|t| t.config.clone());
    let limits = serving.limits;
    // Every checkpoint to every named witness, off the request path.
    tokio::spawn(witness::submit(svc.clone(), rx.clone()));
    let app = router(svc, rx, serving);
    listener::serve(listener, app, tls, limits, async move {
        shutdown.await;
        let _ = tx.send(true);
    })
    .await
}

/// The route table's check, in front of every API route: who the bearer
/// is (401 if no valid token) and whether [`Route::access`] admits them
/// (403). The handler then finds the caller in the request's extensions:
/// [`Who`] (a person of the meeting) or [`Bearer`] (any token). Live
/// streams also get the revocations, subscribed to before the token is
/// checked so that none falls in between.
async fn guard(
    State((app, route)): State<(App, Route)>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    match admit(&app, &route, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn admit(app: &App, route: &Route, req: Request) -> Result<Request, Error> {
    let roles = match route.access {
        Public => return Ok(req),
        Setup | AnyToken => None,
        Roles(roles) => Some(roles),
    };
    let revoked = app.revoked.subscribe();
    let caller = authenticate(req.headers(), app, route.signed).await?;
    let (mut parts, body) = req.into_parts();
    match roles {
        None if route.access == Setup && caller != Caller::Setup => {
            return Err(Error::forbidden(
                "forbidden_role",
                "只有初始化令牌可以创建会议",
                "only the setup token may create meetings",
            ))
        }
        None => {
            parts.extensions.insert(caller);
        }
        Some(roles) => {
            let params = axum::extract::RawPathParams::from_request_parts(&mut parts, app)
                .await
                .map_err(|e| invalid_path(&e))?;
            let meeting = params
                .iter()
                .find(|(k, _)| *k == "m")
                .map(|(_, v)| v.to_string())
                .ok_or_else(|| Error::internal(format!("{} has roles but no {{m}}", route.path)))?;
            let actor = caller.person_in(&meeting, roles)?;
            parts.extensions.insert(actor);
            parts.extensions.insert(Revocations(revoked));
        }
    }
    Ok(Request::from_parts(parts, body))
}

/// The person the route table admitted (`guard`).
pub struct Who(pub Actor);

impl FromRequestParts<App> for Who {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Error> {
        parts
            .extensions
            .remove::<Actor>()
            .map(Who)
            .ok_or_else(|| Error::internal("a handler for people behind a route without roles"))
    }
}

/// The bearer the route table admitted (`guard`, `AnyToken`).
pub struct Bearer(pub Caller);

impl FromRequestParts<App> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Error> {
        parts
            .extensions
            .remove::<Caller>()
            .map(Bearer)
            .ok_or_else(|| Error::internal("a handler for any token behind a route without one"))
    }
}

/// Revoked log-in links (meeting, token id), subscribed to before the
/// caller's token was checked.
struct Revocations(broadcast::Receiver<(String, String)>);

/// (A request's extensions must be `Clone`; nothing clones them between
/// `guard` and the handler, and a clone would miss what came before it.)
impl Clone for Revocations {
    fn clone(&self) -> Self {
        Revocations(self.0.resubscribe())
    }
}

impl FromRequestParts<App> for Revocations {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Error> {
        parts
            .extensions
            .remove::<Revocations>()
            .ok_or_else(|| Error::internal("revocations not subscribed"))
    }
}

/// Who the request's bearer token is (401 if none or not valid).
async fn authenticate(headers: &HeaderMap, app: &App, signed: bool) -> Result<Caller, Error> {
    {
        let unauthorized = |code, zh: &str, en: &str| Error::new(Kind::Unauthorized, code, zh, en);
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "token_missing",
                "缺少 Authorization: Bearer 令牌",
                "missing Authorization: Bearer token",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_string())
            })
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                unauthorized(
                    "token_invalid",
                    "Authorization 须为 Bearer 令牌",
                    "the Authorization header must be a Bearer token",
                )
            })?;
        let svc = app.svc.clone();
        let caller = blocking(move || svc.authenticate(&token)).await?;
        match caller {
            Caller::Person(mut actor) if signed => {
                actor.signing = signing(headers)?;
                Ok(Caller::Person(actor))
            }
            setup => Ok(setup),
        }
    }
}

/// Most entry signatures one request may carry.
const MAX_SIGNATURES: usize = 64;

/// The `Scrutineer-Timestamp` and `Scrutineer-Signature` headers of a
/// signed request (docs/api.md "Signed requests").
fn signing(headers: &HeaderMap) -> Result<Signing, Error> {
    let bad = |name: &'static str, zh: &str, en: &str| {
        Error::new(
            Kind::BadRequest,
            "invalid_header",
            format!("请求头 {name} {zh}"),
            format!("header {name}: {en}"),
        )
        .at(name)
    };
    let get = |name: &'static str| -> Result<Option<&str>, Error> {
        headers
            .get(name)
            .map(|v| {
                v.to_str()
                    .map_err(|_| bad(name, "须为 ASCII 文本", "must be ASCII text"))
            })
            .transpose()
    };
    let (ts, sigs) = (get("scrutineer-timestamp")?, get("scrutineer-signature")?);
    let (Some(ts), Some(sigs)) = (ts, sigs) else {
        if ts.is_some() || sigs.is_some() {
            return Err(bad(
                "Scrutineer-Signature",
                "须与 Scrutineer-Timestamp 一起发送",
                "must be sent together with Scrutineer-Timestamp",
            ));
        }
        return Ok(Signing::Unsigned);
    };
    let timestamp_ms: u64 = ts.trim().parse().map_err(|_| {
        bad(
            "Scrutineer-Timestamp",
            "须为毫秒数（十进制整数）",
            "must be milliseconds since the epoch, a decimal integer",
        )
    })?;
    let mut signatures = Vec::new();
    for part in sigs.split(',') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(bad(
                "Scrutineer-Signature",
                "签名过多",
                "too many signatures (at most 64)",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(part.trim())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or_else(|| {
                bad(
                    "Scrutineer-Signature",
                    "须为以逗号分隔的 64 字节签名（base64）",
                    "must be 64-byte signatures in base64, separated by commas",
                )
            })?;
        signatures.push(bytes);
    }
    Ok(Signing::Signed {
        timestamp_ms,
        signatures,
    })
}

/// Path parameters; a malformed one is a problem document, not plain text.
pub struct P<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for P<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        Path::<T>::from_request_parts(parts, app)
            .await
            .map(|p| P(p.0))
            .map_err(|e| invalid_path(&e))
    }
}

/// A path parameter that cannot be read (not UTF-8, not the type).
fn invalid_path(e: &dyn std::fmt::Display) -> Error {
    Error::new(
        Kind::BadRequest,
        "invalid_path",
        format!("路径参数错误：{e}"),
        format!("invalid path parameter: {e}"),
    )
}

/// The raw request body, with the body limit as a problem document.
pub struct Body(pub axum::body::Bytes);

impl FromRequest<App> for Body {
    type Rejection = Error;

    async fn from_request(req: Request, app: &App) -> Result<Self, Error> {
        axum::body::Bytes::from_request(req, app)
            .await
            .map(Body)
            .map_err(|e| {
                if listener::is_body_timeout(&e) {
                    body_timeout()
                } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::new(
                        Kind::TooLarge,
                        "payload_too_large",
                        format!("请求体超过 {MAX_BODY} 字节"),
                        format!("the request body exceeds {MAX_BODY} bytes"),
                    )
                } else {
                    Error::new(
                        Kind::BadRequest,
                        "invalid_json",
                        format!("无法读取请求体：{e}"),
                        format!("cannot read the request body: {e}"),
                    )
                }
            })
    }
}

/// The request body did not arrive within the listener's limit.
fn body_timeout() -> Error {
    Error::new(
        Kind::RequestTimeout,
        "body_timeout",
        "请求体未在规定时间内传完，连接已关闭",
        "the request body did not arrive in time; the connection is closed",
    )
}

/// Runs blocking work (the service) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("blocking task: {e}")))?
}

/// Parses a JSON body after checking its media type.
fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Error> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ok = ct
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !ok {
            return Err(Error::new(
                Kind::UnsupportedMediaType,
                "unsupported_media_type",
                "请求体须为 application/json",
                "the request body must be application/json",
            ));
        }
    }
    service::parse_json(body)
}

/// A use case's reply as a response.
fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut res = (status, axum::Json(reply.body)).into_response();
    if let Some(c) = &reply.checkpoint {
        if let Ok(v) = HeaderValue::from_str(&format!("{} {}", c.size, c.root)) {
            res.headers_mut().insert("scrutineer-checkpoint", v);
        }
    }
    if reply.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

async fn call(
    app: &App,
    f: impl FnOnce(&Service) -> Result<Reply, Error> + Send + 'static,
) -> Result<Response, Error> {
    let svc = app.svc.clone();
    blocking(move || f(&svc)).await.map(respond)
}

async fn health() -> Response {
    axum::Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response()
}

/// `GET /api/server`, no token needed: how to check the server — whether
/// it speaks HTTPS, its certificate's SHA-256 fingerprint (the log-in
/// slips print it) — and which meeting is the demonstration.
async fn server_info(State(app): State<App>) -> Response {
    let tls = app.serving.tls.as_ref();
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "https": tls.is_some(),
        "fingerprint": tls.map(|t| t.fingerprint.clone()),
        "certificate": tls.map(|t| if t.generated { "self_signed" } else { "given" }),
        "demo_meeting": app.serving.demo_meeting,
    }))
    .into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn index() -> Response {
    web_file(Path("index.html".to_string())).await
}

/// A file of the web UI ([`assets`]), or the usual 404 problem.
async fn web_file(Path(file): Path<String>) -> Response {
    match assets::get(&file) {
        Some(asset) => assets::response(asset),
        None => route_not_found().await.into_response(),
    }
}

async fn route_not_found() -> Error {
    Error::new(
        Kind::NotFound,
        "route_not_found",
        "没有这个接口",
        "no such route",
    )
}

async fn method_not_allowed() -> Error {
    Error::new(
        Kind::MethodNotAllowed,
        "method_not_allowed",
        "该接口不支持此方法",
        "this route does not support this method",
    )
}

async fn me(State(app): State<App>, Bearer(c): Bearer) -> Result<Response, Error> {
    match c {
        Caller::Setup => Ok(axum::Json(json!({ "role": "setup" })).into_response()),
        Caller::Person(a) => {
            let svc = app.svc.clone();
            Ok(respond(blocking(move || svc.me(&a)).await?))
        }
    }
}

async fn create_meeting(
    State(app): State<App>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    let res = call(&app, move |s| s.create_meeting(req)).await?;
    Ok(res)
}

async fn meeting(State(app): State<App>, Who(a): Who) -> Result<Response, Error> {
    call(&app, move |s| s.meeting(&a)).await
}

async fn adopt_method(
    State(app): State<App>,
    Who(a): Who,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.adopt_method(&a, req)).await
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

async fn method_text(
    State(app): State<App>,
    Who(a): Who,
    q: Result<Query<LangQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Error> {
    let lang = match q.ok().and_then(|q| q.0.lang) {
        None => crate::report::Lang::Zh,
        Some(l) => crate::report::Lang::parse(&l)
            .ok_or_else(|| Error::invalid("lang", "lang 须为 zh 或 en", "lang must be zh or en"))?,
    };
    let svc = app.svc.clone();
    let text = blocking(move || svc.method_text(&a, lang)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

async fn attendance(
    State(app): State<App>,
    Who(a): Who,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.record_attendance(&a, req)).await
}

async fn add_person(
    State(app): State<App>,
    Who(a): Who,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.add_person(&a, req)).await
}

async fn people(State(app): State<App>, Who(a): Who) -> Result<Response, Error> {
    call(&app, move |s| s.people(&a)).await
}

async fn set_key(
    State(app): State<App>,
    Who(a): Who,
    P((_, p)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.set_key(&a, &p, req)).await
}

async fn replace_key(
    State(app): State<App>,
    Who(a): Who,
    P((_, p)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.replace_key(&a, &p, req)).await
}

async fn approve_key(
    State(app): State<App>,
    Who(a): Who,
    P((_, p)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.approve_key(&a, &p, req)).await
}

async fn issue_token(
    State(app): State<App>,
    Who(a): Who,
    P((m, p)): P<(String, String)>,
) -> Result<Response, Error> {
    let svc = app.svc.clone();
    let reply = blocking(move || svc.issue_token(&a, &p)).await?;
    // Re-issuing revoked the person's earlier links: end their streams.
    if let Some(old) = reply.body["replaces"].as_array() {
        for t in old.iter().filter_map(|t| t.as_str()) {
            let _ = app.revoked.send((m.clone(), t.to_string()));
        }
    }
    Ok(respond(reply))
}

async fn revoke_token(
    State(app): State<App>,
    Who(a): Who,
    P((m, t)): P<(String, String)>,
) -> Result<Response, Error> {
    let (svc, id) = (app.svc.clone(), t.clone());
    let reply = blocking(move || svc.revoke_token(&a, &id)).await?;
    // Nobody may be listening; that is fine.
    let _ = app.revoked.send((m, t));
    Ok(respond(reply))
}

async fn name_witness(
    State(app): State<App>,
    Who(a): Who,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.name_witness(&a, req)).await
}

async fn witnesses(State(app): State<App>, Who(a): Who) -> Result<Response, Error> {
    call(&app, move |s| s.witnesses(&a)).await
}

async fn add_election(
    State(app): State<App>,
    Who(a): Who,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.add_election(&a, req)).await
}

async fn election(
    State(app): State<App>,
    Who(a): Who,
    P((_, e)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.election(&a, &e)).await
}

async fn election_result(
    State(app): State<App>,
    Who(a): Who,
    P((_, e)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.election_result(&a, &e)).await
}

async fn assign(
    State(app): State<App>,
    Who(a): Who,
    P((_, e)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.assign(&a, &e, req)).await
}

async fn create_round(
    State(app): State<App>,
    Who(a): Who,
    P((_, e)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.create_round(&a, &e, req)).await
}

async fn round(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.round(&a, &r)).await
}

async fn open_round(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.open_round(&a, &r, req)).await
}

async fn enter_batch(
    State(app): State<App>,
    Who(a): Who,
    P((_, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let key = match headers.get("idempotency-key") {
        None => {
            return Err(Error::new(
                Kind::PreconditionRequired,
                "idempotency_key_required",
                "录入选票须带 Idempotency-Key 请求头，以免重试时重复计票",
                "ballot entry needs an Idempotency-Key header, so a retry never counts twice",
            )
            .at("Idempotency-Key"))
        }
        Some(v) => v
            .to_str()
            .map_err(|_| {
                Error::invalid(
                    "Idempotency-Key",
                    "Idempotency-Key 须为可见 ASCII 字符",
                    "Idempotency-Key must be visible ASCII",
                )
            })?
            .to_string(),
    };
    // Checks the media type and the JSON syntax without building a value
    // (the ballots are most of the body); the service parses it itself.
    json_body::<serde::de::IgnoredAny>(&headers, &body)?;
    call(&app, move |s| s.enter_batch(&a, &r, &b, &key, &body)).await
}

/// The largest ballot-reader file accepted over HTTP (about 1 M ballots of
/// 32 candidates); larger files go through `scrutineer import`.
pub const MAX_IMPORT: usize = 96 << 20;

#[derive(Deserialize)]
struct ImportQuery {
    second_of: Option<String>,
}

/// `POST …/imports[?second_of=impN]`: a ballot-reader file as the body,
/// `text/csv` or `application/x-ndjson` (JSON lines); one reading, signed
/// by the scrutineer (at most [`MAX_SIGNATURES`] batches).
async fn import_file(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, Error> {
    let second_of = q
        .map_err(|e| Error::invalid("second_of", "查询参数有误", e.body_text()))?
        .0
        .second_of;
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match media.as_str() {
        "text/csv" => crate::import::Format::Csv,
        "application/x-ndjson" | "application/jsonl" => crate::import::Format::JsonLines,
        _ => {
            return Err(Error::new(
                Kind::UnsupportedMediaType,
                "unsupported_media_type",
                "选票文件须为 text/csv 或 application/x-ndjson",
                "a ballot file must be text/csv or application/x-ndjson",
            )
            .at("Content-Type"))
        }
    };
    let body = axum::body::to_bytes(req.into_body(), MAX_IMPORT)
        .await
        .map_err(|e| {
            if listener::is_body_timeout(&e) {
                return body_timeout();
            }
            Error::new(
                Kind::TooLarge,
                "payload_too_large",
                format!("选票文件超过 {MAX_IMPORT} 字节，请用 scrutineer import 导入"),
                format!("the ballot file exceeds {MAX_IMPORT} bytes; use scrutineer import"),
            )
        })?;
    let max = MAX_SIGNATURES as u64;
    call(&app, move |s| {
        s.import_as(&a, &r, second_of.as_deref(), &body, format, max)
    })
    .await
}

async fn batches(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.batches(&a, &r)).await
}

async fn batch(
    State(app): State<App>,
    Who(a): Who,
    P((_, r, b)): P<(String, String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.batch(&a, &r, &b)).await
}

async fn resolve(
    State(app): State<App>,
    Who(a): Who,
    P((_, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.resolve(&a, &r, &b, req)).await
}

async fn discard_batch(
    State(app): State<App>,
    Who(a): Who,
    P((_, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.discard_batch(&a, &r, &b, req)).await
}

async fn count_box(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.count_box(&a, &r, req)).await
}

async fn enter_totals(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.enter_totals(&a, &r, req)).await
}

async fn resolve_totals(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.resolve_totals(&a, &r, req)).await
}

async fn close_round(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.close_round(&a, &r, req)).await
}

async fn result(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.result(&a, &r)).await
}

async fn statement(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
) -> Result<Response, Error> {
    call(&app, move |s| s.statement(&a, &r)).await
}

/// The round's receipt, a C2SP tlog-proof file; same readers as the
/// statement it proves.
async fn receipt(
    State(app): State<App>,
    Who(a): Who,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    let svc = app.svc.clone();
    let round = r.clone();
    let text = blocking(move || svc.receipt(&a, &round)).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{m}-{r}.tlog-proof\""),
            ),
        ],
        text,
    )
        .into_response())
}

async fn cosign(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.cosign(&a, &r, req)).await
}

async fn decide(
    State(app): State<App>,
    Who(a): Who,
    P((_, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.decide(&a, &r, req)).await
}

async fn checkpoint(State(app): State<App>, Who(a): Who) -> Result<Response, Error> {
    call(&app, move |s| s.checkpoint(&a)).await
}

async fn bundle(State(app): State<App>, Who(a): Who, P(m): P<String>) -> Result<Response, Error> {
    let svc = app.svc.clone();
    let bundle = blocking(move || svc.bundle(&a)).await?;
    let bytes = crate::bundle_io::zip_bytes(&bundle)
        .map_err(|_| Error::internal("the bundle is too large for a zip without ZIP64"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{m}-bundle.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The meeting's log as C2SP tlog-tiles, read-only, under
/// `/api/meetings/{m}/tlog/`: `checkpoint`, `tile/…`. Same readers as the
/// bundle, whose content it is.
async fn tlog(
    State(app): State<App>,
    Who(a): Who,
    P((_, path)): P<(String, String)>,
) -> Result<Response, Error> {
    let svc = app.svc.clone();
    let t = blocking(move || svc.tile(&a, &path)).await?;
    let (kind, cache) = if t.is_checkpoint {
        ("text/plain; charset=utf-8", "private, max-age=2")
    } else {
        (
            "application/octet-stream",
            "private, max-age=31536000, immutable",
        )
    };
    Ok((
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
        t.bytes,
    )
        .into_response())
}

/// Options of `scrutineer serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub db: PathBuf,
    pub listen: String,
    /// The base of printed log-in links (`--public-url`); `None`: this
    /// machine's address (see [`run`]).
    pub public_url: Option<String>,
    pub demo: bool,
    /// `--tls-cert FILE --tls-key FILE`: the organisation's certificate
    /// chain and key (PEM) instead of a generated one.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `--insecure-http`: plain HTTP on a non-loopback address (warned).
    pub insecure_http: bool,
}

/// Whether `serve` speaks HTTPS on `ip`: always off loopback (unless
/// `--insecure-http`), and wherever the organisation gave a certificate.
pub fn wants_tls(ip: std::net::IpAddr, opts: &ServeOptions) -> bool {
    opts.tls_cert.is_some() || (!ip.is_loopback() && !opts.insecure_http)
}

/// Runs `scrutineer serve` until SIGINT or SIGTERM: opens the database,
/// binds, sets up HTTPS (see [`tls`]), prints `listening on
/// https://ADDR` (or `http://` on loopback), the certificate's
/// fingerprint, the setup token and its link (`PUBLIC-URL/#setup=TOKEN`)
/// and (with `--demo`) the demo's log-in links, then serves.
pub fn run(opts: &ServeOptions) -> Result<(), String> {
    trace::init();
    if opts.tls_cert.is_some() != opts.tls_key.is_some() {
        return Err(
            "--tls-cert and --tls-key go together: the certificate (PEM) and its private key (PEM)"
                .into(),
        );
    }
    if opts.insecure_http && opts.tls_cert.is_some() {
        return Err("--insecure-http contradicts --tls-cert: choose one".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let svc = Service::open(&opts.db).map_err(|e| format!("{}: {e}", opts.db.display()))?;
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
        let addr: SocketAddr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        let https = wants_tls(addr.ip(), opts);
        let scheme = if https { "https" } else { "http" };
        if let Some(u) = &opts.public_url {
            if https && !u.starts_with("https://") {
                return Err(format!(
                    "--public-url {u}: the service speaks HTTPS here, so links must start with https://"
                ));
            }
        }
        let bound = format!("{scheme}://{addr}");
        // Links name an address other machines can open: the listen
        // address, or on every interface this machine's LAN address.
        let reachable = match addr.ip() {
            ip if ip.is_unspecified() => tls::lan_address()
                .map(|lan| format!("{scheme}://{}", SocketAddr::new(lan, addr.port()))),
            _ => None,
        };
        let url = opts
            .public_url
            .clone()
            .or(reachable.clone())
            .unwrap_or_else(|| bound.clone())
            .trim_end_matches('/')
            .to_string();
        let tls = if !https {
            None
        } else if let (Some(cert), Some(key)) = (&opts.tls_cert, &opts.tls_key) {
            Some(tls::load(cert, key)?)
        } else {
            let names = tls::names_for(addr.ip(), tls::url_host(&url));
            Some(tls::generated(&opts.db, &names)?)
        };
        svc.set_public_url(&url);
        let setup = svc.new_setup_token().map_err(|e| e.to_string())?;
        println!("listening on {bound}");
        if opts.public_url.is_none() && addr.ip().is_unspecified() && reachable.is_none() {
            println!(
                "note: listening on all interfaces ({}), so the links below name {bound}, \
                 which other machines cannot open; pass --public-url {scheme}://THIS-HOST:{} \
                 to print links they can",
                addr.ip(),
                addr.port()
            );
        }
        if !https && !addr.ip().is_loopback() {
            eprintln!(
                "警告：--insecure-http：令牌将以明文经过会场网络，其他电脑上的浏览器也不能使用签名密钥。\n\
                 warning: --insecure-http: tokens cross the network in clear, and browsers on other \
                 machines cannot use signing keys (no secure context). Use it only behind an HTTPS proxy."
            );
        }
        if let Some(t) = &tls {
            let made = match (t.generated, t.new) {
                (false, _) => "given",
                (true, true) => "self-signed, made now",
                (true, false) => "self-signed, reused",
            };
            println!("tls certificate {} ({made})", t.cert_file.display());
            println!("tls fingerprint SHA-256 {}", t.fingerprint);
            println!(
                "请在浏览器的证书信息中核对此指纹（登录条上也印有）；\
                 compare it with the fingerprint the browser shows (it is on the log-in slips)"
            );
        }
        println!("database {}", opts.db.display());
        println!("setup token {setup}");
        println!("setup link {url}/#setup={setup}");
        let mut demo_meeting = None;
        if opts.demo {
            let s = svc.clone();
            let demo = tokio::task::spawn_blocking(move || s.seed_demo())
                .await
                .map_err(|e| format!("demo: {e}"))?
                .map_err(|e| format!("demo: {e}"))?;
            println!("demo meeting {}", demo.meeting);
            for l in &demo.links {
                println!("login {} {} {}", l.role, l.name, l.url);
            }
            demo_meeting = Some(demo.meeting.clone());
        }
        let serving = Serving {
            tls,
            limits: Limits::default(),
            demo_meeting,
        };
        serve_with(listener, svc, serving, shutdown_signal())
            .await
            .map_err(|e| format!("server: {e}"))?;
        println!("shut down");
        Ok(())
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
