//! The command line of the `scrutineer` binary (CONTRACT §1): argument
//! parsing and the offline commands. The binary's `main` only maps the
//! outcome to an exit code.
//!
//! Exit codes: 0 done, 1 a check failed (`verify`), 2 bad input or usage.

use crate::log::verify::{GivenReceipt, Signatures};
use crate::report::{self, Lang};
use crate::rules::{self, ballot_csv, preset, roundfile, ElectionMethod};

/// The usage text printed by `scrutineer --help`.
pub const USAGE: &str = "\
scrutineer — ballot counting for party elections (党内选举计票)

usage:
  scrutineer serve [--db FILE] [--listen ADDR] [--public-url URL] [--demo]
                   [--tls-cert FILE.pem --tls-key FILE.pem] [--insecure-http]
  scrutineer tally ROUND.json [--ballots FILE.csv] [--json] [--lang zh|en]
  scrutineer method PRESET [--json] [--lang zh|en]
  scrutineer import --db FILE --meeting ID --round ID --as PERSON --key FILE
                    [--second-of IMPORT] BALLOTS.csv|BALLOTS.jsonl
  scrutineer method --list
  scrutineer witness --db FILE --key FILE --name NAME --log VKEY [--log VKEY…] [--listen ADDR]
  scrutineer verify BUNDLE|TILES [--lang zh|en] [--tz +08:00] [--log-key VKEY] [--receipt FILE]...
                   [--root SIZE:ROOT]... [--checkpoint FILE]... [--scrutineer-key KEY]...
                   [--witness-key VKEY]... [--witnesses K] [--cosigner-key NAME=VKEY]... [--json]
                   [--strict]
  scrutineer --help | --version

exit codes: 0 done, 1 check failed, 2 bad input
";

/// How a command ended.
#[derive(Debug)]
pub enum Exit {
    /// Output for stdout; exit 0.
    Ok(String),
    /// A check failed (verify); message for stderr; exit 1.
    Failed(String),
    /// Bad input or usage; message for stderr; exit 2.
    BadInput(String),
}

impl Exit {
    pub fn code(&self) -> i32 {
        match self {
            Exit::Ok(_) => 0,
            Exit::Failed(_) => 1,
            Exit::BadInput(_) => 2,
        }
    }
}

/// Options common to the offline commands.
struct Opts {
    positional: Vec<String>,
    json: bool,
    lang: Lang,
    ballots: Option<String>,
    list: bool,
    log_key: Option<String>,
    /// `--receipt FILE`, repeatable (verify).
    receipts: Vec<String>,
    /// Pins for verify step 9: (option, value), in order.
    pins: Vec<(&'static str, String)>,
    /// `--tz`: the zone `verify` shows times in (北京时间 by default).
    tz: report::verify_report::Zone,
    /// `--strict` (verify): every signature with `verify_strict` alone,
    /// no batch verification.
    strict: bool,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        positional: Vec::new(),
        json: false,
        lang: Lang::Zh,
        ballots: None,
        list: false,
        log_key: None,
        receipts: Vec::new(),
        pins: Vec::new(),
        tz: report::verify_report::Zone::BEIJING,
        strict: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--strict" => o.strict = true,
            "--list" => o.list = true,
            "--lang" => {
                let v = it.next().ok_or("--lang needs a value: zh or en")?;
                o.lang = Lang::parse(v).ok_or_else(|| format!("--lang {v}: expected zh or en"))?;
            }
            "--log-key" => {
                o.log_key = Some(it.next().ok_or("--log-key needs a C2SP vkey")?.clone());
            }
            "--receipt" => {
                o.receipts
                    .push(it.next().ok_or("--receipt needs a file name")?.clone());
            }
            "--tz" => {
                let v = it
                    .next()
                    .ok_or("--tz needs an offset from UTC, e.g. +08:00")?;
                o.tz = report::verify_report::Zone::parse(v).ok_or_else(|| {
                    format!("--tz {v}: expected an offset from UTC such as +08:00, -05:30 or UTC")
                })?;
            }
            "--ballots" => {
                o.ballots = Some(it.next().ok_or("--ballots needs a file name")?.clone());
            }
            flag @ ("--root" | "--checkpoint" | "--scrutineer-key" | "--witness-key"
            | "--witnesses" | "--cosigner-key") => {
                let name = PIN_OPTIONS
                    .iter()
                    .find(|n| **n == flag)
                    .copied()
                    .unwrap_or("--root");
                let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                o.pins.push((name, v.clone()));
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n\n{USAGE}")),
            s => o.positional.push(s.to_string()),
        }
    }
    Ok(o)
}

/// Run one command (`serve`, `tally`, `method`, `verify`, `import`). Its
/// output, and every error message, is printed through
/// [`report::shown_text`]: text from input (names, reasons, paths, bundle
/// content) cannot draw on the terminal.
pub fn run(command: &str, args: &[String]) -> Exit {
    let shown = |s: String| report::shown_text(&s).into_owned();
    match run_command(command, args) {
        Exit::Ok(s) => Exit::Ok(shown(s)),
        Exit::Failed(s) => Exit::Failed(shown(s)),
        Exit::BadInput(s) => Exit::BadInput(shown(s)),
    }
}

fn run_command(command: &str, args: &[String]) -> Exit {
    if command == "serve" {
        return serve(args);
    }
    if command == "import" {
        return import(args);
    }
    if command == "witness" {
        return witness(args);
    }
    let opts = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => return Exit::BadInput(e),
    };
    match command {
        "tally" => tally(&opts),
        "method" => method(&opts),
        "verify" => verify(&opts),
        _ => Exit::BadInput(format!("unknown command {command}\n\n{USAGE}")),
    }
}

/// `scrutineer serve [--db FILE] [--listen ADDR] [--public-url URL] [--demo]
/// [--tls-cert FILE --tls-key FILE] [--insecure-http]`: runs the meeting
/// service until SIGINT or SIGTERM (exit 0 on a clean shutdown). Off
/// loopback it speaks HTTPS (`crate::http::tls`). Printed log-in links
/// start with `URL` (default: this machine's address).
fn serve(args: &[String]) -> Exit {
    let mut opts = crate::http::ServeOptions {
        db: "scrutineer.db".into(),
        listen: "127.0.0.1:8080".into(),
        public_url: None,
        demo: false,
        tls_cert: None,
        tls_key: None,
        insecure_http: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--db" => match it.next() {
                Some(v) => opts.db = v.into(),
                None => return Exit::BadInput("--db needs a file name".into()),
            },
            "--listen" => match it.next() {
                Some(v) => opts.listen = v.clone(),
                None => {
                    return Exit::BadInput("--listen needs an address, e.g. 127.0.0.1:8080".into())
                }
            },
            "--public-url" => match it.next() {
                Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                    opts.public_url = Some(v.clone())
                }
                _ => {
                    return Exit::BadInput(
                        "--public-url needs an http:// or https:// address, e.g. https://192.168.1.20:8443"
                            .into(),
                    )
                }
            },
            "--demo" => opts.demo = true,
            "--insecure-http" => opts.insecure_http = true,
            "--tls-cert" => match it.next() {
                Some(v) => opts.tls_cert = Some(v.into()),
                None => return Exit::BadInput("--tls-cert needs a PEM certificate file".into()),
            },
            "--tls-key" => match it.next() {
                Some(v) => opts.tls_key = Some(v.into()),
                None => return Exit::BadInput("--tls-key needs a PEM private key file".into()),
            },
            s => return Exit::BadInput(format!("serve: unexpected argument {s}\n\n{USAGE}")),
        }
    }
    match crate::http::run(&opts) {
        Ok(()) => Exit::Ok(String::new()),
        Err(e) => Exit::BadInput(e),
    }
}

/// `scrutineer witness --db FILE --key FILE --name NAME --log VKEY…
/// [--listen ADDR]`: a C2SP tlog-witness for the meeting logs whose keys
/// are given (each key's name is its log's origin).
fn witness(args: &[String]) -> Exit {
    let mut opts = crate::http::witness::WitnessOptions {
        db: "witness.db".into(),
        key_file: "witness.key".into(),
        name: String::new(),
        logs: Vec::new(),
        listen: "127.0.0.1:8090".into(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(v) = it.next() else {
            return Exit::BadInput(format!("witness: {a} needs a value\n\n{USAGE}"));
        };
        match a.as_str() {
            "--db" => opts.db = v.into(),
            "--key" => opts.key_file = v.into(),
            "--name" => opts.name = v.clone(),
            "--listen" => opts.listen = v.clone(),
            "--log" => match crate::log::note::VerifierKey::parse(v) {
                Ok(k) => opts.logs.push(k),
                Err(e) => {
                    return Exit::BadInput(format!(
                        "--log {v:?}: {e}; expected a meeting log's C2SP verifier key (NAME+ID+KEY)"
                    ))
                }
            },
            s => return Exit::BadInput(format!("witness: unexpected argument {s:?}\n\n{USAGE}")),
        }
    }
    if opts.name.is_empty() {
        return Exit::BadInput(
            "witness: --name is required, e.g. --name witness.example.org/county".into(),
        );
    }
    if opts.logs.is_empty() {
        return Exit::BadInput(
            "witness: give at least one --log VKEY (the meeting log's key)".into(),
        );
    }
    match crate::http::witness::run(opts) {
        Ok(()) => Exit::Ok(String::new()),
        Err(e) => Exit::BadInput(e),
    }
}

/// `scrutineer import --db FILE --meeting M --round R --as PERSON --key FILE
/// [--second-of impN] BALLOTS`: bulk import of a ballot-reader file into an
/// open round, offline on the database (stop the server first: it caches
/// the meeting's log). Like an import over HTTP it is one reading, signed
/// by the scrutineer `PERSON` with their key file (one line, the base64 of
/// the 32-byte Ed25519 seed of the key they registered); its ballots count
/// once a second reading — another scrutineer's import with `--second-of`,
/// or counters' double entry of its batches — is reconciled with it.
fn import(args: &[String]) -> Exit {
    use std::io::{IsTerminal, Write};
    let (mut db, mut meeting, mut round, mut file) = (None, None, None, None);
    let (mut person, mut key_file, mut second_of) = (None, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let slot = match a.as_str() {
            "--db" => &mut db,
            "--meeting" => &mut meeting,
            "--round" => &mut round,
            "--as" => &mut person,
            "--key" => &mut key_file,
            "--second-of" => &mut second_of,
            s if s.starts_with("--") => {
                return Exit::BadInput(format!("import: unknown option {s}\n\n{USAGE}"))
            }
            _ => {
                if file.replace(a.clone()).is_some() {
                    return Exit::BadInput(format!("import takes one ballot file\n\n{USAGE}"));
                }
                continue;
            }
        };
        match it.next() {
            Some(v) => *slot = Some(v.clone()),
            None => return Exit::BadInput(format!("{a} needs a value")),
        }
    }
    let (Some(db), Some(meeting), Some(round), Some(person), Some(key_file), Some(file)) =
        (db, meeting, round, person, key_file, file)
    else {
        return Exit::BadInput(format!(
            "import needs --db FILE --meeting ID --round ID --as PERSON --key FILE and a ballot file\n\n{USAGE}"
        ));
    };
    let key = match read_key_file(&key_file) {
        Ok(k) => k,
        Err(e) => return Exit::BadInput(e),
    };
    let total = match std::fs::metadata(&file) {
        Ok(m) => m.len(),
        Err(e) => return Exit::BadInput(format!("{file}: cannot read: {e}")),
    };
    if !std::path::Path::new(&db).exists() {
        return Exit::BadInput(format!("{db}: no such database"));
    }
    let svc = match crate::service::Service::open(std::path::Path::new(&db)) {
        Ok(s) => s,
        Err(e) => return Exit::BadInput(format!("{db}: {e}")),
    };
    let actor = match svc.offline_importer(&meeting, &person, &key) {
        Ok(a) => a,
        Err(e) => return Exit::BadInput(format!("--as {person}: {}", e.message_en)),
    };
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let format = crate::import::Format::from_path(&file);
    // Read twice: once to prepare the entries, once to sign them (as a
    // device signs what the service prepared).
    let done = crate::service::demo::signed_by(&actor, &key, |a| {
        let f = std::fs::File::open(&file).map_err(|e| {
            crate::service::Error::invalid(
                "file",
                format!("{file}: 无法读取：{e}"),
                format!("{file}: cannot read: {e}"),
            )
        })?;
        let reader = std::io::BufReader::with_capacity(1 << 20, f);
        let mut progress = |read: u64| {
            if tty && total > 0 {
                let pct = read.saturating_mul(100) / total;
                let bar = "#".repeat((pct / 4) as usize);
                let _ = write!(
                    std::io::stderr(),
                    "\r导入 importing [{bar:<25}] {pct:>3}%  {} / {} MB",
                    read >> 20,
                    total >> 20
                );
            }
        };
        let to = crate::service::import::ImportTarget {
            meeting: &meeting,
            round: &round,
            actor: a,
            second_of: second_of.as_deref(),
            source: &file,
            max_batches: None,
        };
        svc.import_ballots(to, reader, format, &mut progress)
    });
    if tty {
        eprintln!();
    }
    match done {
        Ok(d) => {
            let secs = started.elapsed().as_millis().max(1);
            let (zh, en) = if d.second {
                (
                    format!("第二次读入：{} 批一致并计入，{} 批有差异待监票人处理", d.reconciled, d.differences),
                    format!("second reading: {} batches reconciled and counted, {} with differences for the scrutineers", d.reconciled, d.differences),
                )
            } else {
                (
                    "第一次读入：须经第二次读入（另一监票人导入同一批选票，或计票人录入这些批次）核对一致后才计入".to_string(),
                    "first reading: it counts only once a second reading (another scrutineer's import of the same paper, or counters' entry of these batches) is reconciled with it".to_string(),
                )
            };
            let mut out = format!(
                "导入 {} 张选票（普通 {}，特殊 {}），{} 批（{}-00001 起），用时 {} ms\n{zh}\nimported {} ballots ({} plain, {} special) in {} batches into round {round} of meeting {meeting}\n{en}\n",
                d.summary.ballots, d.summary.plain, d.summary.special, d.summary.batches, d.prefix, secs,
                d.summary.ballots, d.summary.plain, d.summary.special, d.summary.batches,
            );
            if let Some(c) = d.checkpoint {
                out.push_str(&format!("checkpoint {} {}\n", c.size, c.root));
            }
            Exit::Ok(out)
        }
        Err(e) if e.code == "import_rejected" || e.code == "import_empty" => {
            Exit::BadInput(e.message_en.clone())
        }
        Err(e) => Exit::BadInput(format!("{file}: {}", e.message_en)),
    }
}

/// A key file: one line, the base64 of a 32-byte Ed25519 seed (the format
/// of `scrutineer witness --key`).
fn read_key_file(path: &str) -> Result<ed25519_dalek::SigningKey, String> {
    use base64::Engine as _;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(|seed| ed25519_dalek::SigningKey::from_bytes(&seed))
        .ok_or_else(|| format!("{path}: expected one line, the base64 of a 32-byte Ed25519 seed"))
}

fn read(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: not UTF-8 text (invalid byte at offset {}); expected a UTF-8 file",
            e.utf8_error().valid_up_to()
        )
    })
}

fn tally(o: &Opts) -> Exit {
    let [path] = o.positional.as_slice() else {
        return Exit::BadInput(format!("tally needs exactly one ROUND.json\n\n{USAGE}"));
    };
    let text = match read(path) {
        Ok(t) => t,
        Err(e) => return Exit::BadInput(e),
    };
    // The ballot file needs the candidate list: parse the round first.
    let external = match &o.ballots {
        None => None,
        Some(csv_path) => {
            let candidates = match roundfile::parse_round(&text) {
                Ok(r) => r.candidates,
                Err(e) => return Exit::BadInput(e.display_in(path)),
            };
            let csv = match read(csv_path) {
                Ok(t) => t,
                Err(e) => return Exit::BadInput(e),
            };
            match ballot_csv::parse(&csv, &candidates) {
                Ok(b) => Some(b),
                Err(e) => return Exit::BadInput(e.display_in(csv_path)),
            }
        }
    };
    let file = match roundfile::parse_any(&text, external) {
        Ok(f) => f,
        Err(e) => return Exit::BadInput(e.display_in(path)),
    };
    match file {
        roundfile::TallyFile::Round(file) => {
            let decision = match rules::procedure::decide(&file) {
                Ok(d) => d,
                Err(e) => return Exit::BadInput(format!("{path}: {e}")),
            };
            if o.json {
                Exit::Ok(report::procedures::round_to_string(&file, &decision))
            } else {
                Exit::Ok(report::procedures::render_round(&file, &decision, o.lang))
            }
        }
        roundfile::TallyFile::Paper(file) => {
            let result = rules::paper::evaluate_paper(&file.method, &file.paper, &file.ballots);
            if o.json {
                Exit::Ok(report::procedures::paper_to_string(
                    &file.method,
                    &file.paper,
                    &result,
                ))
            } else {
                Exit::Ok(report::procedures::render_paper(
                    &file.method,
                    &file.paper,
                    &result,
                    o.lang,
                ))
            }
        }
    }
}

fn method(o: &Opts) -> Exit {
    if o.list {
        let mut out = String::new();
        for name in preset::NAMES {
            out.push_str(&format!("{name}\t{}\n", preset::title(name)));
        }
        return Exit::Ok(out);
    }
    let [name] = o.positional.as_slice() else {
        return Exit::BadInput(format!(
            "method needs one PRESET, one of: {}\n\n{USAGE}",
            preset::NAMES.join(", ")
        ));
    };
    let m = match ElectionMethod::from_preset(name, &Default::default()) {
        Ok(m) => m,
        Err(e) => return Exit::BadInput(e.to_string()),
    };
    if o.json {
        let mut s = serde_json::to_string_pretty(&m).unwrap_or_default();
        s.push('\n');
        Exit::Ok(s)
    } else {
        Exit::Ok(report::method_text::render(&m, o.lang))
    }
}

/// The options that pin what the bundle must agree with (verify step 9).
const PIN_OPTIONS: [&str; 6] = [
    "--root",
    "--checkpoint",
    "--scrutineer-key",
    "--witness-key",
    "--witnesses",
    "--cosigner-key",
];

/// The pins of `o`, their files read.
fn pins(o: &Opts) -> Result<crate::log::pins::Pins, String> {
    use crate::log::pins::{PinnedKey, PinnedRoot, Pins};
    let mut p = Pins::default();
    for (flag, v) in &o.pins {
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {v}: {e}");
        match *flag {
            "--root" => p.roots.push(PinnedRoot::parse(v).map_err(|e| bad(&e))?),
            "--checkpoint" => {
                let text = std::fs::read_to_string(v).map_err(|e| bad(&e))?;
                p.checkpoints.push((v.clone(), text));
            }
            "--scrutineer-key" => p
                .scrutineer_keys
                .push(PinnedKey::parse(v).map_err(|e| bad(&e))?),
            "--cosigner-key" => p
                .cosigner_keys
                .push(crate::log::pins::parse_cosigner_key(v).map_err(|e| bad(&e))?),
            "--witness-key" => p
                .witnesses
                .push(crate::log::note::VerifierKey::parse(v.trim()).map_err(|e| bad(&e))?),
            _ => {
                p.witness_quorum = Some(
                    v.parse()
                        .map_err(|_| bad(&"expected how many witnesses must cosign"))?,
                )
            }
        }
    }
    Ok(p)
}

fn verify(o: &Opts) -> Exit {
    let [path] = o.positional.as_slice() else {
        return Exit::BadInput(format!(
            "verify needs exactly one BUNDLE (a directory or a .zip) or TILES directory\n\n{USAGE}"
        ));
    };
    let pinned_key = match &o.log_key {
        None => None,
        Some(k) => match crate::log::note::VerifierKey::parse(k) {
            Ok(k) => Some(k),
            Err(e) => return Exit::BadInput(format!("--log-key {k}: {e}")),
        },
    };
    let pinned = pinned_key.as_ref().map(|k| k.to_string());
    let bundle = match crate::bundle_io::read_bundle(std::path::Path::new(path)) {
        Ok(b) => b,
        Err(e) => return Exit::BadInput(format!("{e}; expected an audit bundle directory or zip")),
    };
    let mut receipts = Vec::with_capacity(o.receipts.len());
    for r in &o.receipts {
        match std::fs::read(r) {
            Ok(bytes) => receipts.push((r.as_str(), bytes)),
            Err(e) => return Exit::BadInput(format!("--receipt {r}: {e}")),
        }
    }
    let given: Vec<GivenReceipt<'_>> = receipts
        .iter()
        .map(|(name, bytes)| GivenReceipt { name, bytes })
        .collect();
    let pins = match pins(o) {
        Ok(p) => p,
        Err(e) => return Exit::BadInput(e),
    };
    let signatures = if o.strict {
        Signatures::Strict
    } else {
        Signatures::Batch
    };
    let report =
        crate::bundle_io::verify_any(&bundle, pinned_key.as_ref(), &given, &pins, signatures);
    let pinned_ok = pinned.is_none() || pinned == report.log_key;
    let text = if o.json {
        let mut t = report::verify_report::json(&report, pinned_ok).to_string();
        t.push('\n');
        t
    } else {
        report::verify_report::render_in(path, &report, pinned.as_deref(), o.lang, o.tz)
    };
    if report.is_verified() && pinned_ok {
        Exit::Ok(text)
    } else {
        Exit::Failed(text)
    }
}
