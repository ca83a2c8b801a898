//! The server log (`tracing`, src/http/trace.rs) of the real `scrutineer
//! serve` at its most verbose: every request is logged with its headers,
//! and no token, signature, cookie or request body ever appears in it —
//! whether the token came in `Authorization`, a cookie or a query
//! parameter.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use common::http::{Client, Request};
use common::server::TempDir;

#[test]
fn a_request_with_a_token_never_prints_the_token() {
    let dir = TempDir::new("server-log");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("m.db"))
        .args(["--listen", "127.0.0.1:0"])
        .env("SCRUTINEER_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("spawn scrutineer serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut addr, mut setup) = (None, None);
    let mut line = String::new();
    while addr.is_none() || setup.is_none() {
        line.clear();
        assert!(
            stdout.read_line(&mut line).expect("stdout") > 0,
            "serve exited"
        );
        let l = line.trim();
        if let Some(a) = l.strip_prefix("listening on http://") {
            addr = Some(a.parse().expect("address"));
        } else if let Some(t) = l.strip_prefix("setup token ") {
            setup = Some(t.to_string());
        }
    }
    let (c, setup) = (Client::new(addr.expect("address")), setup.expect("setup"));

    let secret_body = "秘密内容-BODY-7f3a";
    let created = c
        .post(
            "/api/meetings",
            &setup,
            &json!({
                "name": "中共测试支部党员大会",
                "body": "members_assembly",
                "voting_members": 9,
                "exclusions": [],
                "organiser": secret_body,
            }),
        )
        .expect(201)
        .json();
    let token = created["organiser"]["token"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let m = created["meeting"]["id"].as_str().expect("id").to_string();
    c.get("/api/me", &token).expect(200);
    let signature = "c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw-SIG-91d2";
    let sent = [
        Request::new("GET", &format!("/api/meetings/{m}")).token(&token),
        Request::new(
            "GET",
            &format!("/api/meetings/{m}/method/text?lang=en&token={token}"),
        )
        .token(&token),
        Request::new("GET", &format!("/api/meetings/{m}"))
            .header("Cookie", &format!("session={token}")),
        Request::new("GET", &format!("/api/meetings/{m}"))
            .token(&token)
            .header("Scrutineer-Timestamp", "1700000000000")
            .header("Scrutineer-Signature", signature),
        Request::new("GET", "/api/me").header("Authorization", &format!("Bearer {token}x")),
        Request::new("GET", "/api/me").header("Authorization", &format!("bearer {setup}")),
    ];
    for r in &sent {
        c.send_raw(r);
    }
    // The log line of a request is written before its response is sent,
    // so everything is in the file now.
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    let text = std::fs::read_to_string(&log_path).expect("read log");

    let requests = text.lines().filter(|l| l.contains("request")).count();
    assert!(
        requests >= 2 + sent.len(),
        "{requests} request lines:\n{text}"
    );
    assert!(text.contains("Bearer ***"), "{text}");
    assert!(text.contains("token=***"), "{text}");
    assert!(text.contains("lang=en"), "{text}");
    assert!(
        text.contains("scrutineer-timestamp: 1700000000000"),
        "{text}"
    );
    for (what, secret) in [
        ("the organiser's token", token.as_str()),
        ("the setup token", setup.as_str()),
        ("the signature", signature),
        ("a request body", secret_body),
    ] {
        assert!(
            !text.contains(secret),
            "{what} is in the server log:\n{text}"
        );
    }
    assert!(
        !rest.contains(&token),
        "the organiser's token on stdout: {rest}"
    );
}
