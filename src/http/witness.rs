//! `scrutineer witness`: a small C2SP tlog-witness
//! (<https://c2sp.org/tlog-witness>) — its own key, its own SQLite state —
//! that a higher-level party organisation runs for the meetings below it.
//! It cosigns a meeting log's checkpoint only when the log signed it and it
//! extends the last one the witness cosigned for that log; a rollback, a
//! fork or a second tree of one size is refused, recorded, and reported.
//!
//! Thin: the decision is `log::witness`, the state `store::witness`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use ed25519_dalek::SigningKey;

use crate::log::cosignature::Cosigner;
use crate::log::note::{KeyName, VerifierKey};
use crate::log::witness::{self, Refusal, MAX_REQUEST_LEN, SIZE_CONTENT_TYPE};
use crate::store::witness::{Outcome, WitnessStore};

/// What `scrutineer witness` was told.
pub struct WitnessOptions {
    /// The witness's SQLite state.
    pub db: PathBuf,
    /// The witness's private key (created on first start).
    pub key_file: PathBuf,
    /// The witness's name, e.g. `witness.example.org/county-committee`.
    pub name: String,
    /// The logs it witnesses: their keys, named by their origin.
    pub logs: Vec<VerifierKey>,
    /// Address to listen on.
    pub listen: String,
}

struct Witness {
    store: Mutex<WitnessStore>,
    cosigner: Cosigner,
    logs: Vec<VerifierKey>,
}

/// Reads the key file, or creates it with a fresh key (mode 0600).
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let seed = STANDARD
                .decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    format!(
                        "{}: expected one line, the base64 of a 32-byte Ed25519 seed",
                        path.display()
                    )
                })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
            write_private(path, format!("{}\n", STANDARD.encode(seed)).as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Runs the witness until SIGINT/SIGTERM. Prints its address and key.
pub fn run(opts: WitnessOptions) -> Result<(), String> {
    let name = KeyName::new(&opts.name).map_err(|e| format!("--name {}: {e}", opts.name))?;
    let key = load_or_create_key(&opts.key_file)?;
    let cosigner = Cosigner::new(name, key);
    let store = WitnessStore::open(&opts.db).map_err(|e| format!("{}: {e}", opts.db.display()))?;
    let state = Arc::new(Witness {
        store: Mutex::new(store),
        cosigner,
        logs: opts.logs,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
        let addr: SocketAddr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        println!("witness listening on http://{addr}");
        println!("witness key {}", state.cosigner.verifier_key());
        for log in &state.logs {
            println!("witnessing {}", log.name());
        }
        let app = Router::new()
            .route("/add-checkpoint", post(add_checkpoint))
            .route("/latest/{*origin}", axum::routing::get(latest))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_LEN))
            .with_state(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(super::shutdown_signal())
            .await
            .map_err(|e| format!("witness: {e}"))
    })
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let decided = tokio::task::spawn_blocking(move || decide(&w, &body)).await;
    match decided {
        Ok(Ok(lines)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            lines,
        )
            .into_response(),
        Ok(Err(refusal)) => refusal_response(&refusal),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the witness failed\n").into_response(),
    }
}

/// `GET /latest/ORIGIN`: the latest checkpoint the witness cosigned for
/// that log, cosigned again now — what an auditor pins
/// (`scrutineer verify --checkpoint`) to catch a bundle rolled back below
/// it. (Not part of C2SP tlog-witness; a convenience of this witness.)
async fn latest(
    State(w): State<Arc<Witness>>,
    axum::extract::Path(origin): axum::extract::Path<String>,
) -> Response {
    let found = tokio::task::spawn_blocking(move || -> Result<Option<String>, String> {
        let note = {
            let store = w
                .store
                .lock()
                .map_err(|_| "the witness state is unavailable")?;
            store.latest_note(&origin).map_err(|e| e.to_string())?
        };
        let Some(note) = note else { return Ok(None) };
        let parsed = crate::log::note::Note::parse(&note).map_err(|e| e.to_string())?;
        let checkpoint =
            crate::log::checkpoint::Checkpoint::parse(parsed.text()).map_err(|e| e.to_string())?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let line = w
            .cosigner
            .cosign(&checkpoint, now)
            .map_err(|e| e.to_string())?;
        Ok(Some(format!("{note}{line}\n")))
    })
    .await;
    match found {
        Ok(Ok(Some(text))) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response(),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "nothing cosigned for that log\n").into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "the witness failed\n").into_response(),
    }
}

fn decide(w: &Witness, body: &[u8]) -> Result<String, Refusal> {
    let req = witness::parse_request(body)?;
    let key = w
        .logs
        .iter()
        .find(|k| k.name().as_str() == req.checkpoint.origin());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut store = w
        .store
        .lock()
        .map_err(|_| Refusal::BadRequest("the witness state is unavailable".into()))?;
    let outcome = store
        .add_checkpoint(
            &req,
            key.is_some(),
            now,
            |latest| witness::check(&req, key, latest),
            || witness::cosign(&req, &w.cosigner, now).map(|(_, body)| body),
        )
        .map_err(|e| Refusal::BadRequest(format!("the witness state: {e}")))?;
    match outcome {
        Outcome::Cosigned(body) => Ok(body),
        Outcome::Refused(refusal) => Err(refusal),
    }
}

fn refusal_response(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match refusal {
        Refusal::Conflict { latest } => (
            status,
            [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)],
            format!("{latest}\n"),
        )
            .into_response(),
        other => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{other}\n"),
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------
// The log's side: the meeting service submits its checkpoints to the
// witnesses each meeting names (`service::witness`), in the background.
// ---------------------------------------------------------------------

/// Longest response read from a witness.
const MAX_RESPONSE: usize = 64 * 1024;

/// How long one exchange with a witness may take.
const EXCHANGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// How often an idle submitter looks for new checkpoints.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// How long an up-to-date witness goes without hearing from the log.
const RESEND: std::time::Duration = std::time::Duration::from_secs(60);

/// The longest wait between retries of an unreachable or refusing witness.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs until `shutdown`: one task per (meeting, witness), each sending
/// every new checkpoint in order (C2SP tlog-witness `add-checkpoint`),
/// never on a request's path and never holding a connection across an
/// `.await`.
pub async fn submit(svc: crate::service::Service, shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut started: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut watch = shutdown.clone();
    loop {
        let s = svc.clone();
        if let Ok(Ok(pairs)) = tokio::task::spawn_blocking(move || s.witness_pairs()).await {
            for pair in pairs {
                if started.insert(pair.clone()) {
                    tokio::spawn(submit_to(svc.clone(), pair.0, pair.1, shutdown.clone()));
                }
            }
        }
        if wait_or_shutdown(&mut watch, POLL).await {
            return;
        }
    }
}

/// Waits `d`; true when the service is shutting down.
async fn wait_or_shutdown(
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    d: std::time::Duration,
) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        r = shutdown.changed() => r.is_err() || *shutdown.borrow(),
    }
}

async fn submit_to(
    svc: crate::service::Service,
    meeting: String,
    name: String,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    use crate::service::witness::Answer;
    let mut backoff = POLL;
    // Present the latest checkpoint again at start and after a quiet
    // minute: a database restored from an old copy then meets the
    // witness's larger tree at once.
    let mut last_contact: Option<tokio::time::Instant> = None;
    loop {
        let (s, m, n) = (svc.clone(), meeting.clone(), name.clone());
        let again = last_contact.is_none_or(|t| t.elapsed() >= RESEND);
        let job = match tokio::task::spawn_blocking(move || s.witness_job(&m, &n, again)).await {
            Ok(Ok(Some(job))) => job,
            Ok(Ok(None)) => return,
            Ok(Err(e)) => {
                tracing::warn!("witness {name} of {meeting}: {e}");
                if wait_or_shutdown(&mut shutdown, MAX_BACKOFF).await {
                    return;
                }
                continue;
            }
            Err(_) => return,
        };
        let mut failed = false;
        if !job.requests.is_empty() {
            last_contact = Some(tokio::time::Instant::now());
        }
        for (size, note, body) in &job.requests {
            let answer = match exchange(&job.url, body.clone()).await {
                Err(e) => Answer::Failed(e),
                Ok((200, _, text)) => {
                    match crate::log::witness::read_cosignature(note, &text, &job.key) {
                        Ok(line) => Answer::Cosigned { size: *size, line },
                        Err(e) => Answer::Failed(e),
                    }
                }
                Ok((409, Some(ct), text)) if ct.starts_with(SIZE_CONTENT_TYPE) => {
                    match crate::log::checkpoint::parse_decimal(text.trim_end_matches('\n')) {
                        Some(held) => Answer::Holds(held),
                        None => Answer::Failed(format!("409 with an unreadable size {text:?}")),
                    }
                }
                Ok((status @ (403 | 409 | 422), _, text)) => Answer::Refused {
                    status,
                    message: text.trim().chars().take(500).collect(),
                },
                Ok((status, _, text)) => Answer::Failed(format!(
                    "HTTP {status}: {}",
                    text.trim().chars().take(500).collect::<String>()
                )),
            };
            let stop = !matches!(answer, Answer::Cosigned { .. });
            failed = matches!(answer, Answer::Refused { .. } | Answer::Failed(_));
            let (s, m, n) = (svc.clone(), meeting.clone(), name.clone());
            let _ = tokio::task::spawn_blocking(move || s.witness_answer(&m, &n, &answer)).await;
            if stop {
                break;
            }
        }
        let wait = if failed || job.stalled {
            backoff = (backoff * 2).min(MAX_BACKOFF);
            backoff
        } else {
            backoff = POLL;
            if job.requests.is_empty() {
                POLL
            } else {
                std::time::Duration::ZERO
            }
        };
        if wait_or_shutdown(&mut shutdown, wait).await {
            return;
        }
    }
}

/// A parsed `http://` or `https://` URL: (https, host, port, path).
fn split_url(url: &str) -> Result<(bool, String, u16, String), String> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("{url}: not an http:// or https:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(p) => (h, p),
            Err(_) => (authority, if https { 443 } else { 80 }),
        },
        _ => (authority, if https { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok((https, host.to_owned(), port, path.to_owned()))
}

/// One POST of an add-checkpoint body: (status, content type, body text).
async fn exchange(url: &str, body: String) -> Result<(u16, Option<String>, String), String> {
    tokio::time::timeout(EXCHANGE_TIMEOUT, exchange_inner(url, body))
        .await
        .map_err(|_| format!("{url}: no answer within {} s", EXCHANGE_TIMEOUT.as_secs()))?
}

async fn exchange_inner(url: &str, body: String) -> Result<(u16, Option<String>, String), String> {
    let (https, host, port, path) = split_url(url)?;
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot reach {host}:{port}: {e}"))?;
    if !https {
        return post_body(tcp, &host, port, &path, body).await;
    }
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|e| format!("{host}: {e}"))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))?;
    post_body(tls, &host, port, &path, body).await
}

async fn post_body<S>(
    io: S,
    host: &str,
    port: u16,
    path: &str,
    body: String,
) -> Result<(u16, Option<String>, String), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::BodyExt as _;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP with {host}: {e}"))?;
    tokio::spawn(conn);
    let req = axum::http::Request::post(path)
        .header(header::HOST, format!("{host}:{port}"))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(http_body_util::Full::new(Bytes::from(body)))
        .map_err(|e| format!("request: {e}"))?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("HTTP with {host}: {e}"))?;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = http_body_util::Limited::new(res.into_body(), MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| format!("reading {host}'s answer: {e}"))?
        .to_bytes();
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{host}'s answer is not UTF-8"))?;
    Ok((status, content_type, text))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn witness_urls_split_into_scheme_host_port_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8090/add-checkpoint"),
            Ok((false, "127.0.0.1".into(), 8090, "/add-checkpoint".into()))
        );
        assert_eq!(
            split_url("https://witness.example.org/w/add-checkpoint"),
            Ok((
                true,
                "witness.example.org".into(),
                443,
                "/w/add-checkpoint".into()
            ))
        );
        assert_eq!(
            split_url("http://[::1]:9/x"),
            Ok((false, "::1".into(), 9, "/x".into()))
        );
        assert_eq!(
            split_url("http://host"),
            Ok((false, "host".into(), 80, "/".into()))
        );
        assert!(split_url("ftp://host/").is_err());
        assert!(split_url("http:///x").is_err());
    }
}
