//! The HTTP API (axum on tokio): routes, bearer-token extraction, the role
//! each route allows, Server-Sent Events, and the one error mapping
//! ([`error`]). Thin on purpose: every handler checks the role, parses the
//! body and calls one blocking use case of [`crate::service`] on the
//! blocking pool.
//!
//! Architecture Invariant: no handler holds a database connection across
//! an `.await`; the service runs in `spawn_blocking`.
//!
//! The routes are declared once, in [`ROUTES`] and the router built from
//! the same table; `openapi.json` beside this file documents each of them
//! with the roles it allows (`x-roles`), and a test checks both agree.

pub mod assets;
pub mod error;
mod sse;
use sse::events;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::service::{self, Actor, Caller, Error, Kind, Reply, Role, Service};

/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// The OpenAPI document, hand-written next to the routes.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Shared state of the handlers.
#[derive(Clone)]
pub struct App {
    svc: Service,
    /// Turns true when the server shuts down: live streams end.
    shutdown: watch::Receiver<bool>,
}

use Role::{Auditor, Counter, Display, Organiser, Presidium, Scrutineer};

/// Every role of a meeting.
const ALL: &[Role] = &[Organiser, Counter, Scrutineer, Presidium, Auditor, Display];

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:ident ),* $(,)?) => {
        /// Every API route: (method, path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn api_routes() -> Router<App> {
            Router::new()$(.route($path, $method($handler)))*
        }
    };
}

routes! {
    get "/api/health" => health,
    get "/api/openapi.json" => openapi,
    get "/api/me" => me,
    post "/api/meetings" => create_meeting,
    get "/api/meetings/{m}" => meeting,
    put "/api/meetings/{m}/method" => adopt_method,
    get "/api/meetings/{m}/method/text" => method_text,
    put "/api/meetings/{m}/attendance" => attendance,
    post "/api/meetings/{m}/people" => add_person,
    get "/api/meetings/{m}/people" => people,
    put "/api/meetings/{m}/people/{p}/key" => set_key,
    post "/api/meetings/{m}/people/{p}/tokens" => issue_token,
    delete "/api/meetings/{m}/tokens/{t}" => revoke_token,
    post "/api/meetings/{m}/elections" => add_election,
    get "/api/meetings/{m}/elections/{e}" => election,
    post "/api/meetings/{m}/elections/{e}/assignments" => assign,
    post "/api/meetings/{m}/elections/{e}/rounds" => create_round,
    get "/api/meetings/{m}/rounds/{r}" => round,
    post "/api/meetings/{m}/rounds/{r}/open" => open_round,
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/entries" => enter_batch,
    get "/api/meetings/{m}/rounds/{r}/batches" => batches,
    get "/api/meetings/{m}/rounds/{r}/batches/{b}" => batch,
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/resolutions" => resolve,
    post "/api/meetings/{m}/rounds/{r}/batches/{b}/discard" => discard_batch,
    post "/api/meetings/{m}/rounds/{r}/imports" => import_file,
    post "/api/meetings/{m}/rounds/{r}/close" => close_round,
    get "/api/meetings/{m}/rounds/{r}/result" => result,
    get "/api/meetings/{m}/rounds/{r}/statement" => statement,
    post "/api/meetings/{m}/rounds/{r}/cosignatures" => cosign,
    post "/api/meetings/{m}/rounds/{r}/decisions" => decide,
    get "/api/meetings/{m}/rounds/{r}/events" => events,
    get "/api/meetings/{m}/checkpoint" => checkpoint,
    get "/api/meetings/{m}/bundle" => bundle,
}

/// The whole application: API, web UI, fallbacks, body limit.
pub fn router(svc: Service, shutdown: watch::Receiver<bool>) -> Router {
    api_routes()
        .route("/", get(index))
        .route("/{file}", get(web_file))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(App { svc, shutdown })
}

/// Serves `svc` on `listener` until `shutdown` completes, then finishes the
/// requests in flight (live streams end at once).
pub async fn serve(
    listener: tokio::net::TcpListener,
    svc: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let app = router(svc, rx);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = tx.send(true);
        })
        .await
}

/// The bearer of the request (401 if there is none or it is not valid).
pub struct Auth(pub Caller);

impl FromRequestParts<App> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        let unauthorized = |code, zh: &str, en: &str| Error::new(Kind::Unauthorized, code, zh, en);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
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
        blocking(move || svc.authenticate(&token)).await.map(Auth)
    }
}

/// Path parameters; a malformed one is a problem document, not plain text.
pub struct P<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for P<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        Path::<T>::from_request_parts(parts, app)
            .await
            .map(|p| P(p.0))
            .map_err(|e| {
                Error::new(
                    Kind::BadRequest,
                    "invalid_path",
                    format!("路径参数错误：{e}"),
                    format!("invalid path parameter: {e}"),
                )
            })
    }
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
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
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

fn person(caller: &Caller, meeting: &str, roles: &[Role]) -> Result<Actor, Error> {
    caller.person_in(meeting, roles)
}

async fn health() -> Response {
    axum::Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response()
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

async fn me(State(app): State<App>, Auth(c): Auth) -> Result<Response, Error> {
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
    Auth(c): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    if c != Caller::Setup {
        return Err(Error::forbidden(
            "forbidden_role",
            "只有初始化令牌可以创建会议",
            "only the setup token may create meetings",
        ));
    }
    let req = json_body(&headers, &body)?;
    let res = call(&app, move |s| s.create_meeting(req)).await?;
    Ok(res)
}

async fn meeting(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
) -> Result<Response, Error> {
    let a = person(&c, &m, ALL)?;
    call(&app, move |s| s.meeting(&a)).await
}

async fn adopt_method(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.adopt_method(&a, req)).await
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

async fn method_text(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
    q: Result<Query<LangQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Error> {
    let a = person(&c, &m, ALL)?;
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
    Auth(c): Auth,
    P(m): P<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.record_attendance(&a, req)).await
}

async fn add_person(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.add_person(&a, req)).await
}

async fn people(State(app): State<App>, Auth(c): Auth, P(m): P<String>) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser, Auditor])?;
    call(&app, move |s| s.people(&a)).await
}

async fn set_key(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, p)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser, Scrutineer])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.set_key(&a, &p, req)).await
}

async fn issue_token(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, p)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    call(&app, move |s| s.issue_token(&a, &p)).await
}

async fn revoke_token(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, t)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    call(&app, move |s| s.revoke_token(&a, &t)).await
}

async fn add_election(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.add_election(&a, req)).await
}

async fn election(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, e)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, ALL)?;
    call(&app, move |s| s.election(&a, &e)).await
}

async fn assign(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, e)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.assign(&a, &e, req)).await
}

async fn create_round(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, e)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.create_round(&a, &e, req)).await
}

async fn round(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, ALL)?;
    call(&app, move |s| s.round(&a, &r)).await
}

async fn open_round(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Organiser])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.open_round(&a, &r, req)).await
}

async fn enter_batch(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Counter])?;
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
    // Checks the media type; the service parses the body itself.
    json_body::<serde_json::Value>(&headers, &body)?;
    call(&app, move |s| s.enter_batch(&a, &r, &b, &key, &body)).await
}

/// The largest ballot-reader file accepted over HTTP (about 1 M ballots of
/// 32 candidates); larger files go through `scrutineer import`.
pub const MAX_IMPORT: usize = 96 << 20;

/// `POST …/imports`: a ballot-reader file as the body, `text/csv` or
/// `application/x-ndjson` (JSON lines).
async fn import_file(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
    req: Request,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer])?;
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
        .map_err(|_| {
            Error::new(
                Kind::TooLarge,
                "payload_too_large",
                format!("选票文件超过 {MAX_IMPORT} 字节，请用 scrutineer import 导入"),
                format!("the ballot file exceeds {MAX_IMPORT} bytes; use scrutineer import"),
            )
        })?;
    call(&app, move |s| s.import_as(&a, &r, &body, format)).await
}

async fn batches(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Counter, Scrutineer, Auditor])?;
    call(&app, move |s| s.batches(&a, &r)).await
}

async fn batch(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r, b)): P<(String, String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Counter, Scrutineer, Auditor])?;
    call(&app, move |s| s.batch(&a, &r, &b)).await
}

async fn resolve(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.resolve(&a, &r, &b, req)).await
}

async fn discard_batch(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r, b)): P<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.discard_batch(&a, &r, &b, req)).await
}

async fn close_round(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.close_round(&a, &r, req)).await
}

async fn result(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(
        &c,
        &m,
        &[Organiser, Scrutineer, Presidium, Auditor, Display],
    )?;
    call(&app, move |s| s.result(&a, &r)).await
}

async fn statement(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer, Presidium, Auditor])?;
    call(&app, move |s| s.statement(&a, &r)).await
}

async fn cosign(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.cosign(&a, &r, req)).await
}

async fn decide(
    State(app): State<App>,
    Auth(c): Auth,
    P((m, r)): P<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Error> {
    let a = person(&c, &m, &[Presidium])?;
    let req = json_body(&headers, &body)?;
    call(&app, move |s| s.decide(&a, &r, req)).await
}

async fn checkpoint(
    State(app): State<App>,
    Auth(c): Auth,
    P(m): P<String>,
) -> Result<Response, Error> {
    let a = person(&c, &m, ALL)?;
    call(&app, move |s| s.checkpoint(&a)).await
}

async fn bundle(State(app): State<App>, Auth(c): Auth, P(m): P<String>) -> Result<Response, Error> {
    let a = person(&c, &m, &[Scrutineer, Presidium, Auditor])?;
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

/// Options of `scrutineer serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub db: PathBuf,
    pub listen: String,
    /// The base of printed log-in links (`--public-url`); `None`: the
    /// address the server is bound to.
    pub public_url: Option<String>,
    pub demo: bool,
}

/// Runs `scrutineer serve` until SIGINT or SIGTERM: opens the database,
/// binds, prints `listening on http://ADDR`, the setup token and its link
/// (`PUBLIC-URL/#setup=TOKEN`) and (with `--demo`) the demo's log-in
/// links, then serves.
pub fn run(opts: &ServeOptions) -> Result<(), String> {
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
        let bound = format!("http://{addr}");
        let url = opts
            .public_url
            .as_deref()
            .unwrap_or(&bound)
            .trim_end_matches('/')
            .to_string();
        svc.set_public_url(&url);
        let setup = svc.new_setup_token().map_err(|e| e.to_string())?;
        println!("listening on {bound}");
        if opts.public_url.is_none() && addr.ip().is_unspecified() {
            println!(
                "note: listening on all interfaces ({}), so the links below name {bound}, \
                 which other machines cannot open; pass --public-url http://THIS-HOST:{} \
                 to print links they can",
                addr.ip(),
                addr.port()
            );
        }
        println!("database {}", opts.db.display());
        println!("setup token {setup}");
        println!("setup link {url}/#setup={setup}");
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
        }
        serve(listener, svc, shutdown_signal())
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
