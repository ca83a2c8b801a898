//! The binary's contract (CONTRACT §1): exit codes, output, and errors that
//! name the file, line, field and what was expected.

use crate::common;

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::server::{Binary, TempDir};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scrutineer"))
}

/// A scratch directory unique to this test run.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scrutineer-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ROUND: &str =
    r#""round":{"kind":"formal","seats":1,"candidates":["丁一","王二"],"entitled":5,"present":5"#;

#[test]
fn bad_round_files_exit_2_with_a_located_message() {
    let dir = scratch("bad");
    let m = r#"{"method":{"preset":"grassroots-2020"},"#;
    // (file text, substrings the message must contain)
    let r = |from: &str, to: &str| ROUND.replace(from, to);
    let cases: &[(String, &[&str])] = &[
        (format!("{m}\n{ROUND}}},\n\"ballots\":[\n\"YN\",\n\"YNA\"\n]}}"), &[":6:", "ballots[1]", "expected 2 marks", "found 3"]),
        (format!("{m}\n{ROUND}}},\n\"ballots\":[\"YX\"]}}"), &[":3:", "ballots[0]", "'X'", "expected Y (for)"]),
        (format!("{m}\n{ROUND},\"sets\":1}},\"ballots\":[]}}"), &[":2:", "round", "unknown field `sets`"]),
        (format!("{m}\n{}}},\"ballots\":[]}}", r("\"present\":5", "\"present\":6")), &["round.present", "6 present", "5 entitled"]),
        (format!("{m}\n{ROUND},\"issued\":2,\"replaced\":3}},\"ballots\":[]}}"), &["round.replaced", "expected replaced ≤ issued"]),
        (format!("{m}\n{ROUND},\"voted\":6}},\"ballots\":[]}}"), &["round.voted", "expected voted ≤ 5"]),
        (format!("{m}\n{ROUND},\"resolves\":\"nomination\"}},\"ballots\":[]}}"), &["round.resolves", "only a runoff"]),
        (format!("{m}\n{ROUND},\"returned\":5}},\"ballots\":[\"YN\"]}}"), &["ballots", "1 ballots given", "round.returned is 5"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[{{\"marks\":\"YN\",\"void\":\"x\"}}]}}"), &["ballots[0]", "only `void`"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[{{\"marks\":\"NY\",\"write_ins\":{{\"5\":\"李七\"}}}}]}}"), &["ballots[0]", "write-in on line 5", "0 to 1"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[{{\"marks\":\"NY\",\"write_ins\":{{\"0\":\" \"}}}}]}}"), &["ballots[0]", "empty"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[3]}}"), &["ballots[0]", "expected a marks string"]),
        (format!("{m}\n{ROUND}}},\"ballots\":["), &[":2:", "EOF"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[],\"extra\":1}}"), &["unknown field `extra`"]),
        (format!(r#"{{"method":{{"preset":"grassroots-2021"}},{ROUND}}},"ballots":[]}}"#), &["method.preset", "grassroots-2021", "grassroots-2020"]),
        (format!(r#"{{"method":{{"preset":"grassroots-2020","overrides":{{"quorom":1}}}},{ROUND}}},"ballots":[]}}"#), &["method.overrides", "quorom", "expected one of"]),
        (format!(r#"{{"method":{{"preset":"grassroots-2020","overrides":{{"quorum":{{"den":0}}}}}},{ROUND}}},"ballots":[]}}"#), &["quorum", "denominator"]),
        (format!("{m}\n{}}},\"ballots\":[]}}", r("formal", "final")), &["unknown variant `final`", "formal"]),
        (format!("{m}\n{}}},\"ballots\":[]}}", r("\"seats\":1", "\"seats\":0")), &["round.seats", "at least 1"]),
        (format!("{m}\n{}}},\"ballots\":[]}}", r("王二", "丁一")), &["round.candidates", "twice"]),
        (format!("{m}\n{}}},\"ballots\":[]}}", r("formal", "preliminary")), &["round.next_size"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[\"YN\",{{\"marks\":\"AA\",\"names\":[\"李甲\"]}}]}}"), &["ballots[1].names", "free names only on nomination ballots; elsewhere use write_ins beside an against line"]),
        (format!("{m}\n{ROUND}}},\"ballots\":[{{\"marks\":\"AA\",\"names\":[\" \"]}}]}}"), &["ballots[0]", "names[0]", "empty"]),
        ("not json".to_string(), &[":1:2:", "expected"]),
        (format!("{m}\n\"ballots\":[]}}"), &["missing field `round`"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let path = write(&dir, &format!("bad{i}.json"), text);
        let o = bin().args(["tally", &path, "--json"]).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {i}: {text}\n{err}");
        assert!(o.stdout.is_empty(), "case {i}: nothing on stdout");
        assert!(err.contains(&path), "case {i}: names the file: {err}");
        for n in *needles {
            assert!(err.contains(n), "case {i}: {n:?} not in {err}");
        }
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}

#[test]
fn ballots_from_csv() {
    let dir = scratch("csv");
    let round = write(
        &dir,
        "r.json",
        &format!(r#"{{"method":{{"preset":"grassroots-2020"}},{ROUND}}}}}"#),
    );
    let csv = write(
        &dir,
        "b.csv",
        "王二,丁一,void\nN,Y,\nN:李七,A,\n,,有签名\nA,A,\nY,Y,\n",
    );
    let o = bin()
        .args(["tally", &round, "--ballots", &csv, "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ballots"]["valid"], 3);
    assert_eq!(v["ballots"]["invalid"], 2); // declared void + overvote
    assert_eq!(v["tally"][0]["for"], 1);
    assert_eq!(v["tally"][2]["name"], "李七");
    assert_eq!(v["status"], "shortfall"); // 1 of 5 entitled is not a majority

    // Regression: `round.returned` with `--ballots` is checked against the
    // file's ballots, not against an empty list.
    let counted = write(
        &dir,
        "counted.json",
        &format!(
            r#"{{"method":{{"preset":"grassroots-2020"}},{}}}}}"#,
            ROUND.replace("\"present\":5", "\"present\":5,\"returned\":5")
        ),
    );
    let o = bin()
        .args(["tally", &counted, "--ballots", &csv, "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let bad = write(&dir, "bad.csv", "王二,丁一\nN,Y\nN,Q\n");
    let o = bin()
        .args(["tally", &round, "--ballots", &bad])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{bad}:3:2:")) && err.contains("\"Q\""),
        "{err}"
    );

    let both = write(
        &dir,
        "both.json",
        &format!(r#"{{"method":{{"preset":"grassroots-2020"}},{ROUND}}},"ballots":["YN"]}}"#),
    );
    let o = bin()
        .args(["tally", &both, "--ballots", &csv])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("one or the other"));
}

#[test]
fn free_names_from_csv() {
    let dir = scratch("csv-names");
    let nom = r#"{"method":{"preset":"grassroots-2020"},"round":{"kind":"nomination","seats":2,"next_size":2,"candidates":["丁一","王二"],"entitled":5,"present":5}}"#;
    let round = write(&dir, "r.json", nom);
    // `names` before the last `void` column, `;`-separated; a listed name
    // ticks its line once; a repeated name counts once.
    let csv = write(
        &dir,
        "b.csv",
        "王二,丁一,names,void\nA,A,李甲;赵乙,\nA,Y,丁一; 李甲 ;李甲,\nA,A,,\n,,,有签名\nY,A,李甲;赵乙,\n",
    );
    let o = bin()
        .args(["tally", &round, "--ballots", &csv, "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ballots"]["valid"], 3, "{v}");
    assert_eq!(v["ballots"]["invalid"], 2, "{v}"); // declared void + overvote
    let votes = |name: &str| {
        v["tally"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["for"].as_u64().unwrap())
    };
    assert_eq!(votes("丁一"), Some(1));
    assert_eq!(votes("李甲"), Some(2));
    assert_eq!(votes("赵乙"), Some(1));
    assert_eq!(votes("王二"), Some(0));
    // Outside nomination, a `names` column with a name is refused.
    let formal = write(
        &dir,
        "f.json",
        &nom.replace("nomination", "formal")
            .replace(r#""next_size":2,"#, ""),
    );
    let o = bin()
        .args(["tally", &formal, "--ballots", &csv])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("ballots[0].names: free names only on nomination ballots"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn method_command() {
    let o = bin().args(["method", "grassroots-2020"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    for clause in [
        "选举办法",
        "超过应到会有选举权人数的五分之四",
        "进一法",
        "另选他人",
        "恰好半数不能当选",
        "另行选举",
        "监票人",
    ] {
        assert!(text.contains(clause), "{clause} missing from\n{text}");
    }
    let o = bin()
        .args(["method", "grassroots-2020", "--lang", "en"])
        .output()
        .unwrap();
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("Election method"));

    // --json prints parameters that `overrides` accepts, round-tripping.
    for preset in [
        "grassroots-2020",
        "grassroots-1990",
        "local-2020-congress",
        "local-2020-plenary",
        "cadre-vote-2019",
        "branch-resolution-2018",
    ] {
        let o = bin().args(["method", preset, "--json"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        let mut v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v.remove("preset").unwrap(), *preset);
        let m = scrutineer::rules::ElectionMethod::from_preset(preset, &v).unwrap();
        assert_eq!(m, scrutineer::rules::preset::preset(preset).unwrap());
    }

    let o = bin().args(["method", "grassroots-2021"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown preset `grassroots-2021`"));
    let o = bin().args(["method", "--list"]).output().unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 6);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frob"][..],
        &["tally"],
        &["tally", "a.json", "--bogus"],
        &["tally", "a", "b"],
        &["tally", "x.json", "--lang", "fr"],
    ] {
        let o = bin().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&o).is_empty());
    }
    let o = bin()
        .args(["tally", "/nonexistent/round.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/round.json: cannot read"));
    assert_eq!(bin().arg("--help").output().unwrap().status.code(), Some(0));
}

#[test]
fn english_report() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/casebook/p04_tie_at_cutoff.json"
    );
    let o = bin()
        .args(["tally", case, "--lang", "en"])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("Vote report") && text.contains("runoff among these 2 decides 1"),
        "{text}"
    );
}

#[test]
fn serve_prints_links_under_the_public_url() {
    let dir = TempDir::new("public-url");
    let mut b = Binary::start(
        &dir.path().join("m.db"),
        &["--public-url", "http://hall.example:8080/", "--demo"],
    );
    assert_eq!(
        b.line_starting("setup link "),
        format!("setup link http://hall.example:8080/#setup={}", b.setup)
    );
    let login = b.line_starting("login ");
    assert!(
        login.contains(" http://hall.example:8080/#token="),
        "{login}"
    );

    for bad in [
        &["serve", "--public-url"][..],
        &["serve", "--public-url", "hall:8080"],
    ] {
        let o = bin().args(bad).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&o).contains("--public-url"), "{bad:?}");
    }
}

#[test]
fn serve_on_all_interfaces_speaks_https_and_links_to_this_machine() {
    let dir = TempDir::new("all-interfaces");
    let mut child = bin()
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("m.db"))
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let done = line.starts_with("setup link ");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = lines.join("\n");
    assert!(text.contains("listening on https://0.0.0.0:"), "{text}");
    assert!(text.contains("tls fingerprint SHA-256 "), "{text}");
    assert!(dir.path().join("m.db.tls.crt").exists(), "{text}");
    let link = lines.last().unwrap();
    assert!(link.starts_with("setup link https://"), "{text}");
    // Links name this machine's LAN address; only where it has none do
    // they name 0.0.0.0, with a hint to pass --public-url.
    if link.contains("://0.0.0.0:") {
        assert!(text.contains("--public-url https://THIS-HOST:"), "{text}");
    }
}

/// `scrutineer tally` on a round file; (exit code, stdout) with `args`.
fn tally_file(dir: &std::path::Path, name: &str, text: &str, args: &[&str]) -> (i32, String) {
    let path = write(dir, name, text);
    let o = bin().arg("tally").arg(&path).args(args).output().unwrap();
    assert!(stderr(&o).is_empty(), "{name}: {}", stderr(&o));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
    )
}

fn formal_file(preset: &str, facts: &str, ballots: usize) -> String {
    let papers = vec!["\"YN\""; ballots].join(",");
    format!(
        r#"{{"method":{{"preset":"{preset}"}},"round":{{"kind":"formal","seats":1,"candidates":["丁一","王二"],"entitled":50,"present":46,{facts}}},"ballots":[{papers}]}}"#
    )
}

/// Issue 11, faults 1 and 2 through the binary: issued > present is a
/// recorded fact with a ruling (exit 0), the 1990 base is 投票人数, and the
/// report prints the replacements and the discrepancy beside the ruling.
#[test]
fn replacement_ballots_and_the_number_who_voted() {
    let dir = scratch("replaced");
    // (preset, facts, ballots given, box_valid)
    let cases = [
        (
            "grassroots-2020",
            r#""issued":47,"replaced":1,"returned":47"#,
            47,
            true,
        ),
        (
            "grassroots-2020",
            r#""issued":47,"replaced":1,"returned":48"#,
            0,
            false,
        ),
        (
            "grassroots-2020",
            r#""issued":47,"replaced":1,"returned":46"#,
            46,
            true,
        ),
        ("grassroots-1990", r#""issued":45,"returned":46"#, 0, false),
        ("grassroots-1990", r#""issued":45,"returned":45"#, 45, true),
        ("grassroots-1990", r#""issued":45,"returned":44"#, 44, true),
        (
            "grassroots-1990",
            r#""issued":46,"voted":44,"returned":45"#,
            0,
            false,
        ),
        (
            "grassroots-1990",
            r#""issued":46,"voted":44,"returned":44"#,
            44,
            true,
        ),
    ];
    for (i, (preset, facts, given, valid)) in cases.iter().enumerate() {
        let text = formal_file(preset, facts, *given);
        let (code, out) = tally_file(&dir, &format!("c{i}.json"), &text, &["--json"]);
        assert_eq!(code, 0, "{facts}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["box_valid"], *valid, "{preset} {facts}");
    }
    // The human report: the replacement, the base, the discrepancy.
    let text = formal_file(
        "grassroots-2020",
        r#""issued":47,"replaced":1,"returned":47"#,
        47,
    );
    let (_, zh) = tally_file(&dir, "zh.json", &text, &[]);
    for needle in [
        "发出选票47张（含更换1张，收回作废1张），收回47张",
        "选举有效",
        "注意：收回选票47张，多于实到46人1张",
    ] {
        assert!(zh.contains(needle), "{needle} not in\n{zh}");
    }
    let (_, en) = tally_file(&dir, "en.json", &text, &["--lang", "en"]);
    assert!(en.contains("1 more than the 46 present"), "{en}");
    let text = formal_file("grassroots-2020", r#""issued":47,"returned":46"#, 46);
    let (_, zh) = tally_file(&dir, "unexplained.json", &text, &[]);
    assert!(zh.contains("多于实到46人与更换0张之和1张"), "{zh}");
    let text = formal_file("grassroots-1990", r#""issued":45,"returned":46"#, 0);
    let (_, zh) = tally_file(&dir, "void1990.json", &text, &[]);
    assert!(zh.contains("投票人数45人（未单独记录"), "{zh}");
    assert!(zh.contains("选举无效"), "{zh}");
}

/// Issue 11, fault 3 through the binary: a runoff that `resolves` a
/// nomination ranks the tied without the election's threshold.
#[test]
fn a_runoff_resolving_a_nomination_through_the_binary() {
    let dir = scratch("list-runoff");
    let file = |resolves: &str, a: usize, b: usize| {
        let mut papers = vec!["\"YN\""; a];
        papers.extend(vec!["\"NY\""; b]);
        papers.extend(vec!["\"AA\""; 90 - a - b]);
        format!(
            r#"{{"method":{{"preset":"grassroots-2020"}},"round":{{"kind":"runoff","resolves":"{resolves}","seats":1,"candidates":["丁一","王二"],"entitled":90,"present":90}},"ballots":[{}]}}"#,
            papers.join(",")
        )
    };
    for (resolves, a, b, status, next) in [
        (
            "nomination",
            45,
            40,
            "complete",
            serde_json::json!(["丁一"]),
        ),
        (
            "nomination",
            45,
            45,
            "runoff_required",
            serde_json::json!([]),
        ),
        (
            "evaluation",
            40,
            41,
            "complete",
            serde_json::json!(["王二"]),
        ),
        ("formal", 45, 40, "shortfall", serde_json::Value::Null),
        (
            "preliminary",
            46,
            40,
            "complete",
            serde_json::json!(["丁一"]),
        ),
    ] {
        let (code, out) = tally_file(
            &dir,
            &format!("{resolves}{a}{b}.json"),
            &file(resolves, a, b),
            &["--json"],
        );
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["status"], status, "{resolves} {a}:{b}");
        assert_eq!(v["next_list"], next, "{resolves} {a}:{b}");
        assert_eq!(v["round"]["resolves"], resolves);
    }
    let (_, zh) = tally_file(&dir, "report.json", &file("nomination", 45, 40), &[]);
    assert!(
        zh.contains("入选下一阶段名单（按得票多少为序）：丁一"),
        "{zh}"
    );
    assert!(zh.contains("参加人数"), "{zh}");
}

/// Open points 9 and 10 and the list rounds' own floor are parameters that
/// `method --json` lists and the method text prints in both languages.
#[test]
fn new_method_parameters_are_listed_and_printed() {
    let o = bin()
        .args(["method", "grassroots-2020", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runoff_threshold"], "majority");
    assert_eq!(v["nomination_floor_base"], "entitled");
    assert_eq!(
        v["participation_floor"],
        serde_json::json!({"num": 4, "den": 5, "comparison": "inclusive"})
    );
    assert_eq!(v["evaluation_flag"], serde_json::Value::Null);
    let zh = String::from_utf8(
        bin()
            .args(["method", "grassroots-2020"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for needle in [
        "得票多的当选，但所得赞成票仍须达到当选票数",
        "达到应参加人数的80%以上（含本数）",
        "按得票多少确定，不适用当选票数",
    ] {
        assert!(zh.contains(needle), "{needle} not in\n{zh}");
    }
    let en = String::from_utf8(
        bin()
            .args(["method", "grassroots-2020", "--lang", "en"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(en.contains("the threshold still applies"), "{en}");
    assert!(en.contains("at least 4/5 of those entitled"), "{en}");
    // Overridden: the text follows the value counted with.
    let dir = scratch("params");
    let text = r#"{"method":{"preset":"grassroots-2020","overrides":{"runoff_threshold":"most_votes","nomination_floor":{"num":1,"den":2,"comparison":"strict"},"nomination_floor_base":"present"}},"round":{"kind":"runoff","seats":1,"candidates":["丁一","王二"],"entitled":10,"present":10},"ballots":["YN","YN","NY","AA","AA","AA","AA","AA","AA","AA"]}"#;
    let (_, zh) = tally_file(&dir, "most.json", text, &[]);
    assert!(zh.contains("不再要求达到当选票数"), "{zh}");
    assert!(zh.contains("超过实际参加推荐人数的半数"), "{zh}");
    assert!(zh.contains("当选（按姓氏笔画为序）：丁一"), "{zh}");
}

/// The golden bundle (fixtures/golden/bundle), copied to a scratch
/// directory so that a test may change it.
fn golden_copy(name: &str) -> PathBuf {
    let from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden/bundle");
    let to = scratch(name).join("bundle");
    for sub in ["", "entries", "checkpoints"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for e in std::fs::read_dir(from.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    to
}

fn verify_out(args: &[&str]) -> (i32, String) {
    let o = bin().arg("verify").args(args).output().unwrap();
    let code = o.status.code().unwrap_or(-1);
    let text = if code == 0 {
        String::from_utf8(o.stdout).unwrap()
    } else {
        String::from_utf8(o.stderr).unwrap()
    };
    (code, text)
}

/// Latin words left in Chinese `verify` output once the data is taken out:
/// the bundle's path, origin and keys, signature-line names, root and
/// fingerprint groups, round ids (after 轮次), file names, and the option
/// names the report points to.
fn english_in(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in text.lines() {
        // How the binary starts a message on stderr.
        let line = line.strip_prefix("scrutineer: ").unwrap_or(line);
        if line.starts_with("审计包核验：")
            || line.starts_with("日志：")
            || line.starts_with("日志公钥：")
            || line.starts_with("    checkpoints/")
            || line.contains("其他签名")
        {
            continue;
        }
        let line = line
            .replace("scrutineer verify --lang en", "")
            .replace("--log-key", "")
            .replace("C2SP", "");
        let mut prev = "";
        for token in line.split(|c: char| c.is_whitespace() || "（）：，；、[]".contains(c)) {
            let hex_group = token.len() == 4 && token.bytes().all(|b| b.is_ascii_hexdigit());
            let file = token.starts_with("entries/") || token.starts_with("checkpoints/");
            let id = prev.ends_with("轮次");
            prev = token;
            if hex_group || file || id || token.is_empty() {
                continue;
            }
            let latin: String = token.chars().filter(|c| c.is_ascii_alphabetic()).collect();
            if !latin.is_empty() {
                words.push(token.to_owned());
            }
        }
    }
    words
}

/// Issue 12 item 21, issue 9 item 5: `verify` speaks one language, shows
/// times in 北京时间 (or `--tz`), and prints each round's result
/// checkpoint size and root in 4-hex groups, exactly as the round's note
/// in the bundle (and so the round's vote report) has them, with each
/// cosigner's key fingerprint.
#[test]
fn verify_speaks_one_language_and_prints_each_rounds_root() {
    use base64::Engine as _;
    let dir = golden_copy("verify-lang");
    let path = dir.to_string_lossy().into_owned();
    let (code, zh) = verify_out(&[&path]);
    assert_eq!(code, 0, "{zh}");
    assert_eq!(english_in(&zh), Vec::<String>::new(), "{zh}");
    assert!(
        zh.contains("签署时间：2024-06-01 09:00:00（北京时间）"),
        "{zh}"
    );
    assert!(!zh.contains("UTC") && !zh.contains("complete"), "{zh}");

    // Every round: the size and root of the note of that size, grouped.
    let lines: Vec<&str> = zh.lines().collect();
    let mut rounds = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim().strip_prefix("结果检查点：") else {
            continue;
        };
        let size: u64 = rest.trim_end_matches(" 条记录").parse().expect(line);
        let note =
            std::fs::read_to_string(dir.join(format!("checkpoints/{size:08}.note"))).unwrap();
        let root = base64::engine::general_purpose::STANDARD
            .decode(note.lines().nth(2).unwrap())
            .unwrap();
        let hex: String = root.iter().map(|b| format!("{b:02x}")).collect();
        let grouped: Vec<&str> = (0..16).map(|g| &hex[g * 4..g * 4 + 4]).collect();
        assert_eq!(
            lines[i + 1].trim(),
            format!("根哈希：{}", grouped.join(" ")),
            "the root of round checkpoint {size}"
        );
        let fp = lines[i + 3].trim();
        assert!(
            fp.contains("公钥指纹：") && fp.split(' ').count() >= 16,
            "{fp}"
        );
        rounds += 1;
    }
    assert_eq!(
        rounds, 3,
        "p1, f1 and f1-r each with their checkpoint: {zh}"
    );

    let (code, en) = verify_out(&[&path, "--lang", "en", "--tz", "UTC"]);
    assert_eq!(code, 0, "{en}");
    assert!(
        en.contains("result checkpoint: 47 entries")
            && en.contains("signed: 2024-06-01 01:00:00 (UTC+00:00)"),
        "{en}"
    );
    for word in [
        "检查点",
        "根哈希",
        "北京时间",
        "监票人",
        "核验",
        "当选",
        "记录",
    ] {
        assert!(!en.contains(word), "{word} in the English report: {en}");
    }
    for bad in ["Asia/Shanghai", "+25:00"] {
        let (code, err) = verify_out(&[&path, "--tz", bad]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--tz") && err.contains("+08:00"), "{err}");
    }

    // A broken bundle: the failure is told in Chinese in the Chinese
    // report, in English in the English one.
    let entry = dir.join("entries/00000010.bin");
    let mut bytes = std::fs::read(&entry).unwrap();
    bytes[60] ^= 1;
    std::fs::write(&entry, bytes).unwrap();
    let (code, zh) = verify_out(&[&path]);
    assert_eq!(code, 1, "{zh}");
    assert!(zh.contains("结论：核验失败"), "{zh}");
    assert_eq!(english_in(&zh), Vec::<String>::new(), "{zh}");
    let (code, en) = verify_out(&[&path, "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(en.contains("verification FAILED: step 4"), "{en}");
}

/// Issue 12 item 14 in the text report (`scrutineer tally`): a preliminary
/// speaks of 入选 and ranks by votes, a write-in row has no against or
/// abstain zeros, and the report ends with the signature lines and the
/// full method as its annex.
#[test]
fn text_report_words_list_rounds_and_write_ins() {
    let case = |name: &str| {
        let path = format!(
            "{}/fixtures/casebook/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let o = bin().args(["tally", &path]).output().unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let pre = case("p10_preliminary");
    assert!(pre.contains("入选正式候选人（按得票多少为序）："), "{pre}");
    assert!(pre.contains("入选票数："), "{pre}");
    let body = &pre[..pre.find("附件：").expect("annex")];
    assert!(!body.contains("当选"), "{body}");
    let fors: Vec<u64> = body
        .lines()
        .filter(|l| l.trim_end().ends_with('✓') || l.split_whitespace().count() == 4)
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect();
    assert!(
        fors.len() >= 8 && fors.windows(2).all(|w| w[0] >= w[1]),
        "by votes: {fors:?}"
    );

    let w = case("p06_overvote_writein_void");
    let row = w
        .lines()
        .find(|l| l.contains("李七（另选）"))
        .expect("write-in row");
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["李七（另选）", "1"],
        "{row}"
    );
    for needle in [
        "七、签字",
        "总监票人：",
        "会议主持人（主席团）：",
        "附件：本轮适用的选举办法（全文）",
    ] {
        assert!(w.contains(needle), "{needle}: {w}");
    }
}

/// Issue 15: `verify --strict` checks every signature with `verify_strict`
/// alone (no batch verification) and prints the same report as the
/// default, on a good bundle and on one whose checkpoint was changed.
#[test]
fn verify_strict_gives_the_same_report() {
    let dir = golden_copy("verify-strict");
    let path = dir.to_string_lossy().into_owned();
    let batched = verify_out(&[&path]);
    assert_eq!(batched.0, 0, "{}", batched.1);
    assert_eq!(verify_out(&[&path, "--strict"]), batched);
    assert_eq!(verify_out(&["--strict", &path, "--lang", "en"]).0, 0);
    let cp = std::fs::read_dir(dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let mut bytes = std::fs::read(&cp).unwrap();
    // A character of the note's third line (the root): its signature no
    // longer holds.
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 3;
    bytes[at] ^= 0x01;
    std::fs::write(&cp, bytes).unwrap();
    let batched = verify_out(&[&path]);
    assert_eq!(batched.0, 1, "{}", batched.1);
    assert_eq!(verify_out(&[&path, "--strict"]), batched);
}
