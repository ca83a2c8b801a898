//! Servers for the tests: in process (fast; a real TCP port 0 and a real
//! SQLite file) or the real binary (crash test).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use scrutineer::http::Serving;
use scrutineer::service::Service;

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("scrutineer-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The service running in this process on 127.0.0.1:0.
pub struct Server {
    pub addr: SocketAddr,
    pub setup: String,
    pub service: Service,
    pub dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(label: &str) -> Server {
        Server::start_with(label, Serving::default())
    }

    /// The service with these listener settings (limits, TLS).
    pub fn start_with(label: &str, serving: Serving) -> Server {
        let dir = TempDir::new(label);
        let service = Service::open(&dir.path().join("meeting.db")).expect("open database");
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let svc = service.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                svc.set_public_url(&format!("http://{addr}"));
                addr_tx.send(addr).expect("send addr");
                scrutineer::http::serve_with(listener, svc, serving, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = addr_rx.recv().expect("server address");
        let setup = service.new_setup_token().expect("setup token");
        Server {
            addr,
            setup,
            service,
            dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn client(&self) -> super::http::Client {
        super::http::Client::new(self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The real `scrutineer serve` binary, started on port 0.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub setup: String,
    /// The rest of stdout (kept so the child never blocks on a full pipe).
    pub stdout: BufReader<ChildStdout>,
}

impl Binary {
    /// Starts `scrutineer serve --db DB --listen 127.0.0.1:0` and reads the
    /// `listening on` and `setup token` lines (no sleeping).
    pub fn start(db: &Path, extra: &[&str]) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn scrutineer serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut addr = None;
        let mut setup = None;
        let mut line = String::new();
        while addr.is_none() || setup.is_none() {
            line.clear();
            if stdout.read_line(&mut line).expect("read stdout") == 0 {
                panic!("scrutineer serve exited before it was ready");
            }
            let listening = line.trim().strip_prefix("listening on ");
            if let Some(url) = listening.and_then(|u| u.split_once("://")).map(|(_, a)| a) {
                addr = Some(url.parse().expect("address"));
            } else if let Some(t) = line.trim().strip_prefix("setup token ") {
                setup = Some(t.to_string());
            }
        }
        Binary {
            child,
            addr: addr.expect("address"),
            setup: setup.expect("setup token"),
            stdout,
        }
    }

    pub fn client(&self) -> super::http::Client {
        super::http::Client::new(self.addr)
    }

    /// Reads stdout lines until one starts with `prefix`.
    pub fn line_starting(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line).expect("read stdout") == 0 {
                panic!("stdout ended before a line starting with {prefix:?}");
            }
            if line.starts_with(prefix) {
                return line.trim_end().to_string();
            }
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
