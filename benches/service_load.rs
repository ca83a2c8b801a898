//! Load test of the meeting service (not a timed unit test):
//!
//!     cargo bench --bench service_load [-- COUNTERS VIEWERS BATCHES BALLOTS]
//!
//! Starts the real `scrutineer serve` binary (release build) on loopback
//! with a fresh SQLite file, sets up a meeting over HTTP, then runs
//! COUNTERS counters (default 20: pairs entering the same paper batches,
//! so every second entry reconciles a batch) and VIEWERS live viewers
//! (default 200) on the round's Server-Sent Events stream. Reports the
//! entry latency (request sent → response read) and the SSE delay
//! (entry acknowledged → the viewer holds the update stamped with that
//! entry's checkpoint, or a later one) as p50/p99/max, for
//! docs/performance.md. Each counter signs like the web client: its
//! device key is registered first, and each entry is sent, answered with
//! 428 and the entry to sign, signed and sent again; the entry latency is
//! the whole exchange.

#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../tests/common/signing.rs"]
#[allow(dead_code)]
mod signing;

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use http::{Client, KeepAlive, Request};

/// When one viewer first held each log size.
type Sightings = Vec<(u64, Duration)>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.total_cmp(b));
    format!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} |",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    )
}

fn ballots(seed: usize, n: usize, lines: usize, seats: usize) -> Value {
    // Deterministic marks with at most `seats` for-marks per ballot.
    let v: Vec<String> = (0..n)
        .map(|i| {
            (0..lines)
                .map(|j| {
                    let x = (seed * 31 + i * 17 + j * 7) % lines;
                    if x < seats {
                        'Y'
                    } else if x.is_multiple_of(3) {
                        'N'
                    } else {
                        'A'
                    }
                })
                .collect()
        })
        .collect();
    json!(v)
}

/// CPU time (user + system) the process `pid` has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// CPU time (user + system) of the whole machine and its idle time so
/// far, from `/proc/stat` (all cores added up).
fn machine_time() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .map(|&i| f.get(i).copied().unwrap_or(0))
        .sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (
        Duration::from_millis(busy * 10),
        Duration::from_millis(idle * 10),
    )
}

/// The baseline: one row per durable SQLite commit (WAL,
/// `synchronous=FULL`, as the service's database), on the same disk, in
/// the same run: what "one fsync per acknowledged entry" would allow.
fn raw_sqlite_commits(dir: &std::path::Path, n: usize) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("baseline.db")).expect("baseline db");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL);",
    )
    .expect("schema");
    let row = vec![7u8; 1024];
    let t = Instant::now();
    for i in 0..n {
        conn.execute(
            "INSERT INTO t (k, v) VALUES (?1, ?2)",
            rusqlite::params![i as i64, row],
        )
        .expect("insert");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counters = args.first().copied().unwrap_or(20).max(2) / 2 * 2;
    let viewers = args.get(1).copied().unwrap_or(200);
    let batches = args.get(2).copied().unwrap_or(25);
    let per_batch = args.get(3).copied().unwrap_or(50);
    let (lines, seats) = (15usize, 9usize);

    let dir = std::env::temp_dir().join(format!("scrutineer-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    // `SCRUTINEER_BIN` runs another build of the server (an A/B in the
    // same hour); by default the one cargo built with the bench.
    let server = std::env::var_os("SCRUTINEER_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_scrutineer").into());
    let mut child = Command::new(server)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("load.db"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn scrutineer serve");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    // The server goes with the bench, even when a step panics.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Reap(child);
    let (mut addr, mut setup) = (None, None);
    let mut line = String::new();
    while addr.is_none() || setup.is_none() {
        line.clear();
        if out.read_line(&mut line).expect("stdout") == 0 {
            panic!("server exited");
        }
        if let Some(a) = line.trim().strip_prefix("listening on http://") {
            addr = Some(a.parse().expect("addr"));
        } else if let Some(t) = line.trim().strip_prefix("setup token ") {
            setup = Some(t.to_string());
        }
    }
    let c = Client::new(addr.expect("addr"));
    let setup = setup.expect("setup");

    // The meeting: a congress-sized round.
    let total = counters / 2 * batches * per_batch;
    let created = c
        .post(
            "/api/meetings",
            &setup,
            &json!({ "name": "负载测试", "body": "delegate_congress", "voting_members": total + 10 }),
        )
        .expect(201)
        .json();
    let m = created["meeting"]["id"].as_str().expect("id").to_string();
    let org = created["organiser"]["token"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let path = |rest: &str| format!("/api/meetings/{m}{rest}");
    c.put(
        &path("/method"),
        &org,
        &json!({ "preset": "local-2020-congress" }),
    )
    .expect(200);
    c.put(&path("/attendance"), &org, &json!({ "present": total }))
        .expect(200);
    c.post(
        &path("/elections"),
        &org,
        &json!({ "contest": "委员会委员", "seats": seats }),
    )
    .expect(201);
    let add = |role: &str, name: &str| {
        let p = c
            .post(
                &path("/people"),
                &org,
                &json!({ "role": role, "name": name }),
            )
            .expect(201)
            .json();
        (
            p["id"].as_str().unwrap().to_string(),
            p["token"]["token"].as_str().unwrap().to_string(),
        )
    };
    let names: Vec<String> = (0..lines).map(|i| format!("候选人{i:02}")).collect();
    c.post(
        &path("/elections/e1/rounds"),
        &org,
        &json!({ "kind": "formal", "candidates": names }),
    )
    .expect(201);
    let mut counter_tokens = Vec::new();
    for i in 0..counters {
        let (id, token) = add("counter", &format!("计票人{i:02}"));
        c.post(
            &path("/elections/e1/assignments"),
            &org,
            &json!({ "person": id }),
        )
        .expect(201);
        // Each counter's device holds its own key, registered before
        // voting (the entries are signed by it).
        c.register_own_key(&token).expect(200);
        counter_tokens.push(token);
    }
    let (_, viewer_token) = add("presidium", "主席团");
    let (sid, scrutineer) = add("scrutineer", "监票人");
    c.register_own_key(&scrutineer).expect(200);
    c.post(
        &path("/elections/e1/assignments"),
        &org,
        &json!({ "person": sid }),
    )
    .expect(201);
    c.post(&path("/rounds/r1/open"), &org, &json!({ "issued": total }))
        .expect(200);

    // Viewers: each records when it first held each log size.
    let start = Instant::now();
    let seen: Arc<Mutex<Vec<Sightings>>> = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Barrier::new(viewers + 1));
    let events_path = path("/rounds/r1/events");
    let mut viewer_threads = Vec::new();
    for v in 0..viewers {
        let (seen, ready, p, t) = (
            seen.clone(),
            ready.clone(),
            events_path.clone(),
            viewer_token.clone(),
        );
        viewer_threads.push(std::thread::spawn(move || {
            // 50 viewers per loopback address (the listener allows 64
            // connections per client address), from 127.0.0.2 on.
            let from = std::net::IpAddr::from([127, 0, 0, 2 + (v / 50) as u8]);
            let mut s = c.events_from(from, &p, &t);
            assert_eq!(s.status, 200);
            let mut got = Vec::new();
            let first = s.next_named("state");
            got.push((first.id.unwrap().parse().unwrap(), start.elapsed()));
            ready.wait();
            // Until the scrutineer closes the round at the end.
            while let Ok(Some(ev)) = s.next_event() {
                let size: u64 = ev.id.as_deref().unwrap_or("0").parse().unwrap_or(0);
                if ev.event == "state" {
                    got.push((size, start.elapsed()));
                    if ev.json()["state"] == "closed" {
                        break;
                    }
                }
            }
            seen.lock().unwrap().push(got);
        }));
    }
    ready.wait();

    // Counters: pairs enter the same batches.
    let acked: Arc<Mutex<Vec<(u64, Duration, f64)>>> = Arc::new(Mutex::new(Vec::new()));
    let resent: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(Vec::new()));
    let cpu0 = cpu_time(child.0.id());
    let own0 = cpu_time(std::process::id());
    let machine0 = machine_time();
    let t0 = Instant::now();
    let counter_threads: Vec<_> = counter_tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let (acked, resent, m) = (acked.clone(), resent.clone(), m.clone());
            let key = signing::key_of(&token);
            std::thread::spawn(move || {
                let pair = i / 2;
                let mut conn = KeepAlive::connect(c.addr).expect("connect");
                for b in 0..batches {
                    let body =
                        json!({ "ballots": ballots(pair * 1000 + b, per_batch, lines, seats) });
                    let req = Request::new(
                        "POST",
                        &format!("/api/meetings/{m}/rounds/r1/batches/p{pair:02}b{b:03}/entries"),
                    )
                    .token(&token)
                    .header("Idempotency-Key", &format!("{i}-{b}"))
                    .json(&body);
                    // As the counter's device does (docs/api.md "Signed
                    // requests"): the service answers 428 with the entry
                    // to sign; the device signs it with the person's key
                    // and sends the request again with the signature.
                    let sent = Instant::now();
                    let mut r = conn.send(&req).expect("entry");
                    let mut tries = 0;
                    while r.status == 428 && tries < 4 {
                        let (ts, sigs) = signing::sign_problem(&r.json(), &key.key)
                            .expect("a 428 lists the entries to sign");
                        let signed = req
                            .clone()
                            .header("Scrutineer-Timestamp", &ts)
                            .header("Scrutineer-Signature", &sigs);
                        r = conn.send(&signed).expect("signed entry");
                        tries += 1;
                    }
                    let ms = sent.elapsed().as_secs_f64() * 1000.0;
                    assert_eq!(r.status, 201, "{}", r.text());
                    resent.lock().unwrap().push(tries);
                    let size: u64 = r
                        .header("scrutineer-checkpoint")
                        .and_then(|h| h.split(' ').next())
                        .and_then(|s| s.parse().ok())
                        .expect("checkpoint header");
                    acked.lock().unwrap().push((size, start.elapsed(), ms));
                }
            })
        })
        .collect();
    for t in counter_threads {
        t.join().expect("counter");
    }
    let elapsed = t0.elapsed();
    let server_cpu = cpu_time(child.0.id()).saturating_sub(cpu0);
    let clients_cpu = cpu_time(std::process::id()).saturating_sub(own0);
    let machine1 = machine_time();
    let (machine_busy, machine_idle) = (
        machine1.0.saturating_sub(machine0.0),
        machine1.1.saturating_sub(machine0.1),
    );
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    let closing = Instant::now();
    let closed = c
        .post(
            &path("/rounds/r1/close"),
            &scrutineer,
            &json!({ "returned": total }),
        )
        .expect(200)
        .json();
    let close_ms = closing.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(closed["state"], "closed");
    for t in viewer_threads {
        t.join().expect("viewer");
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();

    let latencies: Vec<f64> = acked.iter().map(|a| a.2).collect();
    let ack_at: HashMap<u64, Duration> = acked.iter().map(|a| (a.0, a.1)).collect();
    let mut delays = Vec::new();
    for got in &seen {
        // For each acknowledged size, the first time this viewer held that
        // size or a later one.
        let mut sizes: Vec<&(u64, Duration)> = got.iter().collect();
        sizes.sort_by_key(|s| s.0);
        for (size, at) in &ack_at {
            let i = sizes.partition_point(|s| s.0 < *size);
            if let Some(first_at) = sizes[i..].iter().map(|s| s.1).min() {
                delays.push(first_at.saturating_sub(*at).as_secs_f64() * 1000.0);
            }
        }
    }
    assert_eq!(closed["batches"]["ballots_counted"], total);

    println!("service load: {counters} counters, {viewers} viewers, {} entries of {per_batch} ballots ({lines} candidates), {total} ballots counted", acked.len());
    println!(
        "wall {:.2} s, {:.0} entries/s, {:.0} ballots/s reconciled",
        elapsed.as_secs_f64(),
        acked.len() as f64 / elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "server CPU {:.2} s in {:.2} s of wall ({:.2} ms per entry, viewers included)",
        server_cpu.as_secs_f64(),
        elapsed.as_secs_f64(),
        server_cpu.as_secs_f64() * 1000.0 / acked.len() as f64
    );
    let per_entry = |d: Duration| d.as_secs_f64() * 1000.0 / acked.len() as f64;
    println!(
        "bench clients CPU {:.2} s ({:.2} ms per entry: HTTP, JSON, Ed25519 signing, SSE reading); whole machine busy {:.2} s, idle {:.2} s of {:.2} core-s; others {:.2} s",
        clients_cpu.as_secs_f64(),
        per_entry(clients_cpu),
        machine_busy.as_secs_f64(),
        machine_idle.as_secs_f64(),
        (machine_busy + machine_idle).as_secs_f64(),
        machine_busy
            .saturating_sub(server_cpu)
            .saturating_sub(clients_cpu)
            .as_secs_f64()
    );
    let baseline = raw_sqlite_commits(&dir, 500);
    println!(
        "baseline, same run: raw SQLite insert, one durable commit per row (WAL, synchronous=FULL): {baseline:.0} rows/s; entries/s = {:.2}x of it",
        acked.len() as f64 / elapsed.as_secs_f64() / baseline
    );
    println!(
        "close and tally of {total} ballots: {close_ms:.0} ms (status {})",
        closed["result"]["status"]
    );
    let resent = Arc::try_unwrap(resent).ok().unwrap().into_inner().unwrap();
    println!(
        "requests: {} entries, {} signed re-sends after a 428 ({} needed more than one)",
        resent.len(),
        resent.iter().sum::<usize>(),
        resent.iter().filter(|&&t| t > 1).count()
    );
    println!("| measure | n | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    println!("{}", summary("entry latency", latencies));
    println!("{}", summary("SSE delay", delays));
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}
