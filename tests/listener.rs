//! The listener (`src/http/listener.rs`, `src/http/tls.rs`) against real
//! sockets: HTTPS with the generated or the organisation's certificate,
//! trusted by a real rustls client; slow and excess connections closed
//! while others are served (issue 13, finding 2); live streams kept with
//! heartbeats; log-in links issued, re-issued and revoked, logged, and
//! their live streams ended at once (issue 9, item 3).
//!
//! No sleeping to wait: every test waits on a socket being closed or on
//! bytes arriving; the time bounds below only turn a hang into a failure.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use common::bundle;
use common::meeting::Meeting;
use common::server::{Server, TempDir};
use scrutineer::http::{Limits, Serving};
use scrutineer::log::event::Event;

/// A bound that only turns a hang into a failure; nothing waits for it.
const HANG: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- HTTPS

/// `scrutineer serve` started with `args`; its stdout lines up to the
/// setup link.
struct Serve {
    child: Child,
    lines: Vec<String>,
}

impl Serve {
    fn start(db: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn scrutineer serve");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut lines = Vec::new();
        for line in stdout.lines() {
            let line = line.expect("stdout");
            let done = line.starts_with("setup link ");
            lines.push(line);
            if done {
                break;
            }
        }
        assert!(
            lines.last().is_some_and(|l| l.starts_with("setup link ")),
            "serve stopped early: {lines:?}"
        );
        Serve { child, lines }
    }

    fn line(&self, prefix: &str) -> &str {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in {:#?}", self.lines))
    }

    /// The port of `listening on SCHEME://ADDR`.
    fn port(&self) -> u16 {
        let url = self.line("listening on ");
        let addr = url.split_once("://").expect("url").1;
        addr.rsplit_once(':')
            .expect("port")
            .1
            .parse()
            .expect("port")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A rustls client that trusts exactly `cert_pem`.
fn client_trusting(cert_pem: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(c.expect("certificate")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// `GET path` over HTTPS to 127.0.0.1:`port` naming the server `name`:
/// (status, body).
async fn https_get(
    tls: &tokio_rustls::TlsConnector,
    port: u16,
    name: &str,
    path: &str,
) -> std::io::Result<(u16, Vec<u8>)> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let server = ServerName::try_from(name.to_string()).expect("server name");
    let mut s = tls.connect(server, tcp).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all).await;
    let text = String::from_utf8_lossy(&all);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let start = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(all.len(), |p| p + 4);
    Ok((status, all[start..].to_vec()))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn off_loopback_serve_speaks_https_with_a_certificate_it_keeps() {
    let dir = TempDir::new("https-generated");
    let db = dir.path().join("m.db");
    let first = Serve::start(&db, &["--listen", "0.0.0.0:0"]);
    assert!(first.line("listening on ").starts_with("https://"));
    assert!(first.line("setup link ").starts_with("https://"));
    let fingerprint = first.line("tls fingerprint SHA-256 ").to_string();
    assert_eq!(fingerprint.len(), 64 + 15, "{fingerprint}");
    assert!(first
        .line("tls certificate ")
        .ends_with("(self-signed, made now)"));
    let cert = std::fs::read(dir.path().join("m.db.tls.crt")).expect("certificate file");

    let rt = runtime();
    let tls = client_trusting(&cert);
    let port = first.port();
    let (status, body) = rt
        .block_on(https_get(&tls, port, "127.0.0.1", "/api/server"))
        .expect("https");
    assert_eq!(status, 200);
    let server: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(server["https"], true);
    assert_eq!(server["fingerprint"], json!(fingerprint));
    assert_eq!(server["certificate"], "self_signed");
    assert_eq!(server["demo_meeting"], Value::Null);
    let (status, _) = rt
        .block_on(https_get(&tls, port, "localhost", "/scrutiny.html"))
        .expect("https by name");
    assert_eq!(status, 200);

    // A client that does not trust this certificate is refused by TLS,
    // and plain HTTP on the port gets no page.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let stranger = client_trusting(other.cert.pem().as_bytes());
    assert!(rt
        .block_on(https_get(&stranger, port, "127.0.0.1", "/api/server"))
        .is_err());
    let plain = common::http::Client::new(SocketAddr::from(([127, 0, 0, 1], port)));
    let r = plain.try_send(&common::http::Request::new("GET", "/api/health"));
    assert!(r.is_err() || r.is_ok_and(|r| r.status != 200));
    drop(first);

    // Restarted, it serves the same certificate.
    let again = Serve::start(&db, &["--listen", "0.0.0.0:0"]);
    assert_eq!(again.line("tls fingerprint SHA-256 "), fingerprint);
    assert!(again
        .line("tls certificate ")
        .ends_with("(self-signed, reused)"));
    let (status, _) = rt
        .block_on(https_get(&tls, again.port(), "127.0.0.1", "/api/health"))
        .expect("https after restart");
    assert_eq!(status, 200);
}

#[test]
fn a_nul_byte_in_a_header_over_https_gets_a_problem_document() {
    let dir = TempDir::new("https-nul-header");
    let db = dir.path().join("m.db");
    let serve = Serve::start(&db, &["--listen", "0.0.0.0:0"]);
    let cert = std::fs::read(dir.path().join("m.db.tls.crt")).expect("certificate file");
    let tls = client_trusting(&cert);
    let port = serve.port();
    let all = runtime()
        .block_on(async {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
            let name = ServerName::try_from("127.0.0.1".to_string()).expect("server name");
            let mut s = tls.connect(name, tcp).await?;
            s.write_all(
                b"GET /api/server HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\0b\r\n\r\n",
            )
            .await?;
            let mut all = Vec::new();
            // Ends when the server closes (close_notify), else the test's
            // timeout fails it.
            tokio::time::timeout(common::http::READ_TIMEOUT, s.read_to_end(&mut all))
                .await
                .expect("the server closes the connection")?;
            Ok::<_, std::io::Error>(all)
        })
        .expect("https");
    let text = String::from_utf8_lossy(&all).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 400 bad request\r\n"), "{text}");
    for part in [
        "content-type: application/problem+json\r\n",
        "connection: close\r\n",
        "cache-control: no-store\r\n",
        "\"code\":\"malformed_request\"",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

#[test]
fn an_organisation_certificate_is_served_as_given() {
    let dir = TempDir::new("https-given");
    let made = rcgen::generate_simple_self_signed(vec!["scrutineer.test".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("org.crt"), dir.path().join("org.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let s = Serve::start(
        &dir.path().join("m.db"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--public-url",
            "https://scrutineer.test:8443",
        ],
    );
    assert!(s.line("listening on ").starts_with("https://127.0.0.1:"));
    assert!(s.line("tls certificate ").ends_with("(given)"));
    assert!(s
        .line("setup link ")
        .starts_with("https://scrutineer.test:8443/#setup="));
    let rt = runtime();
    let tls = client_trusting(made.cert.pem().as_bytes());
    let (status, body) = rt
        .block_on(https_get(&tls, s.port(), "scrutineer.test", "/api/server"))
        .expect("https");
    assert_eq!(status, 200);
    let server: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(server["certificate"], "given");
    assert!(!dir.path().join("m.db.tls.crt").exists());
}

#[test]
fn serve_refuses_contradictory_tls_options_and_warns_on_insecure_http() {
    let dir = TempDir::new("https-options");
    let db = dir.path().join("m.db");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("serve")
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["--listen", "127.0.0.1:0", "--tls-cert", "x.pem"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tls-key"));
    let o = run(&[
        "--listen",
        "0.0.0.0:0",
        "--public-url",
        "http://192.168.1.20:8080",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("https://"));
    let o = run(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "no.pem",
        "--tls-key",
        "no.key",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no.pem"));

    let mut s = Serve::start(&db, &["--listen", "0.0.0.0:0", "--insecure-http"]);
    assert!(s.line("listening on ").starts_with("http://0.0.0.0:"));
    let mut err = BufReader::new(s.child.stderr.take().unwrap());
    let mut warning = String::new();
    err.read_line(&mut warning).unwrap();
    assert!(warning.contains("--insecure-http"), "{warning}");
}

// ---------------------------------------------------------------- limits

/// Short limits for the tests.
fn short(limits: Limits) -> Serving {
    Serving {
        limits,
        ..Serving::default()
    }
}

/// A TCP connection to `addr` from the loopback address `from`.
async fn connect_from(from: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().expect("socket");
    sock.bind(SocketAddr::new(IpAddr::V4(from), 0))
        .expect("bind source address");
    sock.connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(HANG, s.read(&mut buf)).await {
            Err(_) => panic!("the server never closed the connection"),
            Ok(Ok(0)) | Ok(Err(_)) => return all,
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// A slowloris client: a request head that never ends, one byte every
/// `every`, until the server closes the connection.
async fn slow_head(mut s: TcpStream, every: Duration, started: tokio::sync::mpsc::Sender<()>) {
    let prefix = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let mut sent = 0usize;
    let mut tick = tokio::time::interval(every);
    let mut buf = [0u8; 512];
    let deadline = tokio::time::sleep(HANG);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => panic!("a slow connection was never closed"),
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => {
                    // Closed before the first byte (over the bound).
                    if sent == 0 {
                        let _ = started.send(()).await;
                    }
                    return;
                }
                Ok(_) => {}
            },
            _ = tick.tick() => {
                let byte = prefix.get(sent).copied().unwrap_or(b'a');
                if s.write_all(&[byte]).await.is_err() {
                    // Closed under us: the read sees it next.
                }
                sent += 1;
                if sent == 1 {
                    let _ = started.send(()).await;
                }
            }
        }
    }
}

/// `GET /api/health` on a fresh connection from `from`: the status.
async fn health_from(from: Ipv4Addr, addr: SocketAddr) -> u16 {
    let mut s = connect_from(from, addr).await;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let reply = until_closed(&mut s).await;
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn slow_headers_are_timed_out_while_others_are_served() {
    let server = Server::start_with(
        "slow-headers",
        short(Limits {
            header_timeout: Duration::from_millis(500),
            max_per_address: 64,
            max_connections: 200,
            ..Limits::default()
        }),
    );
    let addr = server.addr;
    runtime().block_on(async move {
        // 80 slow connections from one address: 64 are held until their
        // head times out, the rest closed at once.
        let (tx, mut rx) = tokio::sync::mpsc::channel(100);
        let mut slow = Vec::new();
        for _ in 0..80 {
            let s = connect_from(Ipv4Addr::new(127, 0, 0, 1), addr).await;
            slow.push(tokio::spawn(slow_head(
                s,
                Duration::from_millis(50),
                tx.clone(),
            )));
        }
        for _ in 0..80 {
            rx.recv().await.expect("a slow client started");
        }
        // Meanwhile another client is served.
        assert_eq!(health_from(Ipv4Addr::new(127, 0, 0, 2), addr).await, 200);
        // Every slow connection is closed by the server.
        for s in slow {
            s.await.expect("slow client");
        }
        // And the address that sent them is served again.
        assert_eq!(health_from(Ipv4Addr::new(127, 0, 0, 1), addr).await, 200);
    });
}

#[test]
fn connections_over_a_bound_are_closed_at_once() {
    let server = Server::start_with(
        "bounds",
        short(Limits {
            header_timeout: HANG * 2,
            max_per_address: 4,
            max_connections: 6,
            ..Limits::default()
        }),
    );
    let addr = server.addr;
    runtime().block_on(async move {
        let one = Ipv4Addr::new(127, 0, 0, 1);
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(connect_from(one, addr).await);
        }
        // The fifth from the same address: closed before the header
        // timeout (which is longer than the hang bound).
        let mut fifth = connect_from(one, addr).await;
        assert!(until_closed(&mut fifth).await.is_empty());
        // Two from another address fill the total; the next is closed.
        let two = Ipv4Addr::new(127, 0, 0, 2);
        let mut other = [connect_from(two, addr).await, connect_from(two, addr).await];
        let mut third = connect_from(Ipv4Addr::new(127, 0, 0, 3), addr).await;
        assert!(until_closed(&mut third).await.is_empty());
        // The connections held are served.
        let s = &mut other[1];
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let reply = until_closed(s).await;
        assert!(reply.starts_with(b"HTTP/1.1 200"), "{reply:?}");
        drop(held);
    });
}

#[test]
fn a_slow_body_gets_408_and_the_connection_closes() {
    let server = Server::start_with(
        "slow-body",
        short(Limits {
            body_timeout: Duration::from_millis(500),
            ..Limits::default()
        }),
    );
    let (addr, setup) = (server.addr, server.setup.clone());
    runtime().block_on(async move {
        let mut s = connect_from(Ipv4Addr::LOCALHOST, addr).await;
        let head = format!(
            "POST /api/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {setup}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let (mut r, mut w) = s.into_split();
        let trickle = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            for _ in 0..999 {
                tick.tick().await;
                if w.write_all(b" ").await.is_err() {
                    return;
                }
            }
        });
        let mut all = Vec::new();
        tokio::time::timeout(HANG, r.read_to_end(&mut all))
            .await
            .expect("the server never closed the connection")
            .ok();
        trickle.abort();
        let text = String::from_utf8_lossy(&all);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("application/problem+json"), "{text}");
        assert!(text.contains("\"code\":\"body_timeout\""), "{text}");
    });
    // Nothing was created.
    let c = server.client();
    assert_eq!(c.get("/api/health", "").status, 200);
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let server = Server::start_with(
        "idle",
        short(Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        }),
    );
    let addr = server.addr;
    runtime().block_on(async move {
        let mut s = connect_from(Ipv4Addr::LOCALHOST, addr).await;
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let all = until_closed(&mut s).await;
        assert!(all.starts_with(b"HTTP/1.1 200"), "{all:?}");
    });
}

/// A meeting with round r1 (draft), its organiser and a presidium member.
fn meeting_with_round(server: &Server) -> Meeting {
    let m = Meeting::create(server.client(), &server.setup, 20, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 18 }))
        .expect(200);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 1 }),
    )
    .expect(201);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲一", "乙二"] }),
    )
    .expect(201);
    m
}

#[test]
fn live_streams_outlast_the_header_timeout_with_heartbeats_until_their_lifetime() {
    let server = Server::start_with(
        "sse-heartbeat",
        short(Limits {
            header_timeout: Duration::from_millis(300),
            sse_heartbeat: Duration::from_millis(100),
            sse_lifetime: Duration::from_millis(1500),
            ..Limits::default()
        }),
    );
    let m = meeting_with_round(&server);
    let mut live = m.c.events(&m.path("/rounds/r1/events"), &m.organiser.token);
    assert_eq!(live.status, 200);
    let mut heartbeats = 0;
    let mut states = 0;
    while let Some(block) = live.next_block().expect("stream") {
        if block == ": heartbeat" {
            heartbeats += 1;
        } else if block.contains("event: state") {
            states += 1;
        }
    }
    // At least five heartbeats 100 ms apart after the first event: the
    // stream lived longer than the 300 ms header timeout, then ended.
    assert!(heartbeats >= 5, "{heartbeats} heartbeats");
    assert_eq!(states, 1);
}

// ------------------------------------------------------ log-in links

fn person(m: &Meeting, role: &str, name: &str) -> common::meeting::Person {
    m.add(role, name, None)
}

#[test]
fn revoking_a_link_ends_its_live_streams_at_once_and_is_logged() {
    let server = Server::start("revoke-streams");
    let m = meeting_with_round(&server);
    let org = m.organiser.clone();
    let presidium = person(&m, "presidium", "主席团");
    let mut live = m.c.events(&m.path("/rounds/r1/events"), &presidium.token);
    assert_eq!(live.status, 200);
    live.next_named("state");

    let r =
        m.c.delete(
            &m.path(&format!("/tokens/{}", presidium.token_id)),
            &org.token,
        )
        .expect(200);
    assert!(r.header("scrutineer-checkpoint").is_some());
    // The stream ends (no heartbeat within 15 s would keep it).
    while let Some(block) = live.next_block().expect("stream") {
        assert!(block.starts_with(':'), "after revocation: {block}");
    }
    m.c.get("/api/me", &presidium.token)
        .problem(401, "token_revoked");
    // Revoking again changes nothing and logs nothing.
    let before = m.get(&org, "").json()["log"]["size"].clone();
    m.c.delete(
        &m.path(&format!("/tokens/{}", presidium.token_id)),
        &org.token,
    )
    .expect(200);
    assert_eq!(m.get(&org, "").json()["log"]["size"], before);
    // Only the organiser revokes.
    let display = person(&m, "display", "大屏");
    m.c.delete(
        &m.path(&format!("/tokens/{}", display.token_id)),
        &display.token,
    )
    .problem(403, "forbidden_role");
    m.c.delete(&m.path("/tokens/t999"), &org.token)
        .problem(404, "not_found");

    let auditor = person(&m, "auditor", "审计");
    let zip = m.get(&auditor, "/bundle").expect(200).body;
    let b = bundle::read(&zip);
    bundle::verified(&b);
    let revoked: Vec<Event> = bundle::events(&b)
        .into_iter()
        .filter(|e| matches!(e, Event::LoginRevoked { .. }))
        .collect();
    assert_eq!(
        revoked,
        vec![Event::LoginRevoked {
            person: presidium.id.clone(),
            role: "presidium".into(),
            name: "主席团".into(),
            token: presidium.token_id.clone(),
            by: Some(org.name.clone()),
        }]
    );
}

#[test]
fn reissuing_a_link_revokes_the_old_one_ends_its_streams_and_is_logged() {
    let server = Server::start("reissue");
    let m = meeting_with_round(&server);
    let org = m.organiser.clone();
    let display = person(&m, "display", "大屏");
    let mut live = m.c.events(&m.path("/rounds/r1/events"), &display.token);
    live.next_named("state");

    let new = m
        .post(&org, &format!("/people/{}/tokens", display.id), json!({}))
        .expect(201)
        .json();
    assert_eq!(new["replaces"], json!([display.token_id]));
    let new_token = new["token"].as_str().unwrap().to_string();
    while let Some(block) = live.next_block().expect("stream") {
        assert!(block.starts_with(':'), "after re-issue: {block}");
    }
    m.c.get("/api/me", &display.token)
        .problem(401, "token_revoked");
    assert_eq!(
        m.c.get("/api/me", &new_token).expect(200).json()["role"],
        "display"
    );
    // The people list shows the old link revoked, the new one valid.
    let people = m.get(&org, "/people").expect(200).json();
    let d = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == json!(display.id))
        .unwrap()
        .clone();
    assert_eq!(
        d["tokens"],
        json!([
            { "id": display.token_id, "revoked": true },
            { "id": new["id"], "revoked": false },
        ])
    );

    let auditor = person(&m, "auditor", "审计");
    let zip = m.get(&auditor, "/bundle").expect(200).body;
    let b = bundle::read(&zip);
    bundle::verified(&b);
    let issued: Vec<(String, String, Vec<String>, Option<String>)> = bundle::events(&b)
        .into_iter()
        .filter_map(|e| match e {
            Event::LoginIssued {
                name,
                token,
                replaces,
                by,
                ..
            } => Some((name, token, replaces, by)),
            _ => None,
        })
        .collect();
    // The organiser's first link (issued by the service), then one per
    // person added, then the re-issue naming the link it replaced.
    assert_eq!(
        issued[0],
        (org.name.clone(), org.token_id.clone(), vec![], None)
    );
    assert!(issued.contains(&(
        "大屏".to_string(),
        new["id"].as_str().unwrap().to_string(),
        vec![display.token_id.clone()],
        Some(org.name.clone()),
    )));
    assert_eq!(issued.len(), 4, "{issued:?}");
}
