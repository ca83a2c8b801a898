//! docs/method.md tells the truth about `scrutineer method --json`
//! (issue 11: every new parameter listed and documented with its source
//! and default): every parameter the binary prints, for every preset, is
//! a row of the "Parameters" table with its values, default, RULES.md
//! source and reason filled in, and a row of the per-preset table whose
//! cell for each preset is exactly the value the binary prints.

use std::process::Command;

use serde_json::Value;

fn bin_json(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json")
}

fn presets() -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["method", "--list"])
        .output()
        .expect("runs");
    String::from_utf8(o.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect()
}

/// The cells of each table row `| a | b | … |` of `doc` under the heading
/// `heading`, up to the next heading.
fn rows(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &doc[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// How the per-preset table writes a value (docs/method.md, "Presets").
fn cell(v: &Value) -> String {
    let frac = |v: &Value| {
        format!(
            "{}/{} {}",
            v["num"],
            v["den"],
            v["comparison"].as_str().unwrap_or("?")
        )
    };
    match v {
        Value::Null => "`null`".into(),
        Value::String(s) => format!("`{s}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::Object(o) if o.contains_key("comparison") && !o.contains_key("kind") => frac(v),
        Value::Object(o) => match o.get("kind").and_then(Value::as_str) {
            Some("min_ratio") => format!("`min_ratio` {}", frac(v)),
            Some("extra") => format!("`extra` {}…{}", v["min"], v["max"]),
            Some(k) => format!("`{k}`"),
            None => format!("{v}"),
        },
        _ => format!("{v}"),
    }
}

/// (parameter row name, value) of a preset's JSON, `differential` split
/// per office.
fn flat(v: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (k, x) in v.as_object().expect("object") {
        if k == "preset" {
            continue;
        }
        if k == "differential" {
            for (office, rule) in x.as_object().expect("offices") {
                out.push((format!("differential.{office}"), rule.clone()));
            }
        } else {
            out.push((k.clone(), x.clone()));
        }
    }
    out
}

#[test]
fn method_doc_lists_every_parameter_with_its_source_and_default() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/method.md"))
        .expect("docs/method.md");
    let params = rows(&doc, "## Parameters");
    let every = rows(&doc, "## Presets");
    let names = presets();
    assert_eq!(names.len(), 6, "{names:?}");
    // The per-preset table: its header names the presets in order.
    let header = every
        .iter()
        .find(|r| r[0] == "parameter" && r.len() == names.len() + 1)
        .expect("the per-preset table");
    let header_names: Vec<String> = header[1..].iter().map(|c| c.replace('`', "")).collect();
    assert_eq!(header_names, names);
    for (i, preset) in names.iter().enumerate() {
        let v = bin_json(&["method", preset, "--json"]);
        for (key, value) in flat(&v) {
            let top = key.split('.').next().unwrap_or(&key).to_string();
            // Documented once, with values, default, source and reason.
            let row = params
                .iter()
                .find(|r| r[0] == format!("`{top}`"))
                .unwrap_or_else(|| panic!("{top} is not in the Parameters table"));
            assert_eq!(row.len(), 5, "{top}: {row:?}");
            assert!(row.iter().all(|c| !c.is_empty()), "{top}: {row:?}");
            // The per-preset value is exactly what the binary prints.
            let prow = every
                .iter()
                .find(|r| r[0] == format!("`{key}`"))
                .unwrap_or_else(|| panic!("{key} is not in the per-preset table"));
            assert_eq!(prow[i + 1], cell(&value), "{key} of {preset}");
        }
    }
    // Open points 9 and 10 name their open point in the source column.
    for (param, point) in [
        ("runoff_threshold", "open point 9"),
        ("nomination_floor_base", "open point 10"),
    ] {
        let row = params
            .iter()
            .find(|r| r[0] == format!("`{param}`"))
            .expect("documented");
        assert!(row[3].contains(point), "{param}: {row:?}");
    }
}
