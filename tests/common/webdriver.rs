//! A minimal blocking WebDriver client for the browser tests, on the
//! shared HTTP client (`super::http`, one request per connection, JSON),
//! and the process it needs: `chromedriver` driving headless Debian
//! Chromium. The server under test is the real binary
//! (`super::server::Binary`).
//!
//! Nothing here sleeps: chromedriver is ready when it says so on stdout
//! (read with a deadline), and the page is waited on inside the browser
//! (a polling script with a deadline, `Session::wait_for`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use super::http::{Client, Request};
use super::server::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A free port on the loopback interface (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A child process killed on drop, whose stdout lines arrive on a channel
/// (a thread keeps draining it so the child never blocks on a full pipe).
pub struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
    name: &'static str,
}

impl Process {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Process {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more; keep draining.
                    continue;
                }
            }
        });
        Process {
            child,
            lines: rx,
            name,
        }
    }

    /// The first stdout line for which `f` returns Some, within `timeout`.
    pub fn wait_line<T>(&self, timeout: Duration, mut f: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(v) = f(&line) {
                        return v;
                    }
                    seen.push(line);
                }
                Err(_) => panic!(
                    "{} did not print the expected line within {timeout:?}; it printed:\n{}",
                    self.name,
                    seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `chromedriver` on a free port.
pub struct Driver {
    pub addr: SocketAddr,
    _process: Process,
}

impl Driver {
    /// Starts chromedriver; fails (never skips) when Chromium is missing.
    pub fn start() -> Driver {
        for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's chromium and \
                 chromium-driver. Run .ci/run (it installs them), or \
                 `apt-get install -y chromium chromium-driver` ({what})."
            );
        }
        let port = free_port();
        let process = Process::spawn(
            "chromedriver",
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1"),
        );
        process.wait_line(Duration::from_secs(30), |l| {
            l.contains("started successfully").then_some(())
        });
        Driver {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _process: process,
        }
    }

    /// A new headless Chromium session with a fresh profile.
    pub fn session(&self, name: &str) -> Session {
        self.session_with(name, &[])
    }

    /// A session with more Chromium switches (e.g. host mapping).
    pub fn session_with(&self, name: &str, extra: &[String]) -> Session {
        let profile = TempDir::new("chromium-profile");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--lang=zh-CN".into(),
            format!("--user-data-dir={}", profile.0.display()),
        ];
        args.extend_from_slice(extra);
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
            "timeouts": { "script": 30000, "pageLoad": 30000, "implicit": 0 },
            "unhandledPromptBehavior": "dismiss"
        }}});
        let res = Client::new(self.addr).send(&Request::new("POST", "/session").json(&caps));
        let v = res.json();
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused a session: {v}"))
            .to_string();
        Session {
            addr: self.addr,
            id,
            name: name.to_string(),
            step: std::cell::RefCell::new(String::from("start")),
            _profile: profile,
        }
    }
}

/// The W3C key codes the tests use.
pub mod key {
    pub const ENTER: &str = "\u{E007}";
    pub const BACKSPACE: &str = "\u{E003}";
    pub const TAB: &str = "\u{E004}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const CONTROL: &str = "\u{E009}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_DOWN: &str = "\u{E015}";
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session. On a panic while it is alive, it saves a
/// screenshot of the page and the browser's console into
/// `target/browser-screenshots/`.
pub struct Session {
    addr: SocketAddr,
    id: String,
    name: String,
    step: std::cell::RefCell<String>,
    _profile: TempDir,
}

impl Session {
    /// Names what the test does now (used for failure screenshots). With
    /// `SCRUTINEER_SCREENSHOTS=1` in the environment, every step ends with a
    /// screenshot, to look at the screens.
    pub fn step(&self, what: &str) {
        eprintln!("[browser] {what}");
        if std::env::var_os("SCRUTINEER_SCREENSHOTS").is_some() {
            self.save_screenshot(&format!("step-{}", self.step.borrow()));
        }
        *self.step.borrow_mut() = what.to_string();
    }

    /// With `SCRUTINEER_SCREENSHOTS=1`, saves a screenshot named `name`.
    pub fn snapshot(&self, name: &str) {
        if std::env::var_os("SCRUTINEER_SCREENSHOTS").is_some() {
            self.save_screenshot(name);
        }
    }

    /// Saves a screenshot under `target/browser-screenshots/NAME.png`.
    pub fn save_screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        let _ = std::fs::create_dir_all(&dir);
        let name: String = name
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        let path = dir.join(format!("{}-{name}.png", self.name));
        if let Ok(b64) = self.raw("GET", "/screenshot", None) {
            if let Ok(png) =
                base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or(""))
            {
                let _ = std::fs::write(&path, png);
            }
        }
        path
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut req = Request::new(method, &format!("/session/{}{path}", self.id));
        if let Some(b) = body.or_else(|| (method == "POST").then(|| json!({}))) {
            req = req.json(&b);
        }
        let res = Client::new(self.addr)
            .try_send(&req)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let v: Value = serde_json::from_slice(&res.body).unwrap_or(Value::Null);
        if res.status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {} {}", res.status, v["value"]))
        }
    }

    /// A WebDriver command that must succeed.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, path, body)
            .unwrap_or_else(|e| panic!("{} (step: {})", e, self.step.borrow()))
    }

    pub fn goto(&self, url: &str) {
        // A log-in link differs from the current address only after '#',
        // which would not load the page again: leave first.
        self.cmd("POST", "/url", Some(json!({ "url": "about:blank" })));
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` are `args`).
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits inside the page until the JavaScript expression `cond` is
    /// truthy, and returns its value; fails after `secs` seconds.
    pub fn wait_for(&self, cond: &str, secs: u64) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let ms = deadline
                .saturating_duration_since(std::time::Instant::now())
                .as_millis();
            let script = format!(
                "const done = arguments[arguments.length - 1];
                 const t0 = Date.now();
                 (function poll() {{
                   let v = null;
                   try {{ v = ({cond}); }} catch (e) {{ v = null; }}
                   if (v) done({{ ok: true, v }});
                   else if (Date.now() - t0 > {ms}) done({{ ok: false }});
                   else setTimeout(poll, 20);
                 }})();"
            );
            match self.raw(
                "POST",
                "/execute/async",
                Some(json!({ "script": script, "args": [] })),
            ) {
                Ok(r) if r["ok"] == true => return r["v"].clone(),
                // The page navigated away while the script ran (a redirect
                // after log-in, a reload): ask the new page.
                Err(_) if std::time::Instant::now() < deadline => continue,
                _ => {
                    let status = self
                        .raw(
                            "POST",
                            "/execute/sync",
                            Some(json!({ "args": [], "script":
                                "const s = document.querySelector('#status'); return s ? s.innerText : '';" })),
                        )
                        .unwrap_or(Value::Null);
                    panic!(
                        "waited {secs}s for `{cond}` (step: {}); page status: {status}",
                        self.step.borrow()
                    );
                }
            }
        }
    }

    /// Waits until `css` matches a visible element.
    pub fn wait_visible(&self, css: &str) {
        let sel = serde_json::to_string(css).expect("string");
        self.wait_for(
            &format!(
                "(() => {{ const e = document.querySelector({sel}); return e && e.getClientRects().length > 0; }})()"
            ),
            20,
        );
    }

    /// The element matching `css` (waits until it is visible).
    pub fn find(&self, css: &str) -> String {
        self.wait_visible(css);
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element for {css}: {v} (step: {})", self.step.borrow()))
            .to_string()
    }

    /// Clicks the element; if the page redrew it in between (a live
    /// update), finds it again, a bounded number of times.
    pub fn click(&self, css: &str) {
        for _ in 0..5 {
            let e = self.find(css);
            match self.raw("POST", &format!("/element/{e}/click"), None) {
                Ok(_) => return,
                Err(err) if err.contains("stale element") => continue,
                Err(err) => panic!("{err} (step: {})", self.step.borrow()),
            }
        }
        panic!("{css} kept being redrawn (step: {})", self.step.borrow());
    }

    /// Clears a field and types `text` into it.
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), None);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn select(&self, css: &str, value: &str) {
        let sel = serde_json::to_string(css).expect("string");
        self.find(css);
        self.exec(
            &format!(
                "const s = document.querySelector({sel}); s.value = arguments[0];
                 s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
            ),
            json!([value]),
        );
    }

    /// The element's text; if the page redrew it between finding and
    /// reading (a live update), finds it again, as [`Session::click`].
    pub fn text(&self, css: &str) -> String {
        for _ in 0..5 {
            let e = self.find(css);
            match self.raw("GET", &format!("/element/{e}/text"), None) {
                Ok(v) => return v.as_str().unwrap_or_default().to_string(),
                Err(err) if err.contains("stale element") => continue,
                Err(err) => panic!("{err} (step: {})", self.step.borrow()),
            }
        }
        panic!("{css} kept being redrawn (step: {})", self.step.borrow());
    }

    /// Presses keys on the focused element, as a person at the keyboard
    /// would (W3C actions: no element is clicked). Each item is a key or a
    /// chord such as `[key::CONTROL, key::ENTER]`.
    pub fn keys(&self, presses: &[&[&str]]) {
        let mut actions = Vec::new();
        for chord in presses {
            for k in chord.iter() {
                actions.push(json!({ "type": "keyDown", "value": k }));
            }
            for k in chord.iter().rev() {
                actions.push(json!({ "type": "keyUp", "value": k }));
            }
        }
        self.cmd(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        );
        self.cmd("DELETE", "/actions", None);
    }

    /// Types each character of `text` as a key press.
    pub fn type_keys(&self, text: &str) {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let presses: Vec<[&str; 1]> = chars.iter().map(|c| [c.as_str()]).collect();
        let refs: Vec<&[&str]> = presses.iter().map(|p| p.as_slice()).collect();
        self.keys(&refs);
    }

    pub fn set_window(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.cmd("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PNG")
    }

    /// Chromium's print to PDF of the current page on A4 paper.
    pub fn print_a4(&self) -> Vec<u8> {
        let b64 = self.cmd(
            "POST",
            "/print",
            Some(json!({
                "page": { "width": 21.0, "height": 29.7 },
                "margin": { "top": 0, "bottom": 0, "left": 0, "right": 0 },
                "background": true,
                "shrinkToFit": false,
                "orientation": "portrait"
            })),
        );
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PDF")
    }

    /// The browser console since the last call.
    pub fn console(&self) -> String {
        self.raw("POST", "/se/log", Some(json!({ "type": "browser" })))
            .map(|v| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .map(|e| format!("{} {}", e["level"], e["message"]))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }
}

/// Where failure screenshots go: `target/browser-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots")
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let dir = screenshot_dir();
            let _ = std::fs::create_dir_all(&dir);
            let step: String = self
                .step
                .borrow()
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect();
            let base = dir.join(format!("{}-{}", self.name, step));
            if let Ok(b64) = self.raw("GET", "/screenshot", None) {
                if let Ok(png) =
                    base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or(""))
                {
                    let _ = std::fs::write(base.with_extension("png"), png);
                }
            }
            let url = self.raw("GET", "/url", None).unwrap_or(Value::Null);
            let _ = std::fs::write(
                base.with_extension("txt"),
                format!("url: {url}\nconsole:\n{}\n", self.console()),
            );
            eprintln!(
                "[browser] screenshot of the failing step: {}",
                base.with_extension("png").display()
            );
        }
        let _ = self.raw("DELETE", "", None);
    }
}
