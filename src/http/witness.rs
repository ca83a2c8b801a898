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
