//! Static checks of the web UI (`web/`), without a browser:
//! - both string tables of `web/i18n.js` (zh-CN, en) have the same keys and
//!   no empty string, and their placeholders agree;
//! - the HTML holds no visible text of its own: every text node and every
//!   visible attribute comes from the tables (data-i18n…), except elements
//!   marked `data-raw` (data, such as an exit code);
//! - every key the HTML and the scripts name exists, and so does every
//!   label of the service's enumerations the screens show;
//! - no script holds Chinese text outside the tables;
//! - no file refers to another host (everything is served by the binary).
//!
//! The browser test (tests/browser.rs) checks the rendered pages too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn files(ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(web_dir())
        .expect("web/ exists")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == ext).then(|| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&p).expect("UTF-8 file");
                (name, text)
            })
        })
        .collect();
    out.sort();
    out
}

/// The two tables, parsed from between the markers.
fn tables() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = std::fs::read_to_string(web_dir().join("i18n.js")).expect("web/i18n.js");
    let start = src.find("/*BEGIN STRINGS*/").expect("BEGIN marker") + "/*BEGIN STRINGS*/".len();
    let end = src.find("/*END STRINGS*/").expect("END marker");
    serde_json::from_str(&src[start..end]).expect("the tables are JSON")
}

fn placeholders(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(j) = rest.find('}') {
            if rest[..j]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                out.insert(rest[..j].to_string());
            }
            rest = &rest[j + 1..];
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

#[test]
fn both_languages_have_the_same_keys_and_placeholders() {
    let t = tables();
    assert_eq!(
        t.keys().collect::<Vec<_>>(),
        ["en", "zh-CN"],
        "exactly two languages"
    );
    let zh = &t["zh-CN"];
    let en = &t["en"];
    let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
    let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "keys only in zh-CN: {only_zh:?}; only in en: {only_en:?}"
    );
    for (k, v) in zh {
        assert!(!v.trim().is_empty(), "zh-CN {k} is empty");
        assert!(!en[k].trim().is_empty(), "en {k} is empty");
        assert_eq!(
            placeholders(v),
            placeholders(&en[k]),
            "placeholders of {k} differ"
        );
    }
    // English strings are English, except the language toggle which names
    // the other language in itself.
    for (k, v) in en {
        if k != "lang.toggle" {
            assert!(!v.chars().any(is_cjk), "en {k} holds Chinese: {v}");
        }
    }
}

/// Every `attr="value"` in a tag.
fn attrs(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name_start = rest[..eq]
            .rfind(|c: char| c.is_whitespace())
            .map_or(0, |i| i + 1);
        let name = rest[name_start..eq].to_string();
        let after = &rest[eq + 2..];
        let Some(close) = after.find('"') else { break };
        out.push((name, after[..close].to_string()));
        rest = &after[close + 1..];
    }
    out
}

#[test]
fn html_has_no_text_of_its_own_and_names_only_known_keys() {
    let zh = &tables()["zh-CN"];
    let mut problems = Vec::new();
    for (name, html) in files("html") {
        assert!(html.starts_with("<!doctype html>"), "{name}: doctype");
        assert!(
            html.contains("<html lang=\"zh-CN\">"),
            "{name}: zh-CN is the default language"
        );
        // Walk the tags; text between a tag and the next must be blank
        // unless the tag before it is marked data-raw.
        let mut rest = html.as_str();
        let mut last_tag = String::new();
        while let Some(lt) = rest.find('<') {
            let text = &rest[..lt];
            if !text.trim().is_empty() && !last_tag.contains("data-raw") {
                problems.push(format!(
                    "{name}: text outside the tables: {:?}",
                    text.trim()
                ));
            }
            let Some(gt) = rest[lt..].find('>') else {
                break;
            };
            let tag = &rest[lt..lt + gt + 1];
            for (attr, value) in attrs(tag) {
                match attr.as_str() {
                    "data-i18n"
                    | "data-i18n-placeholder"
                    | "data-i18n-title"
                    | "data-i18n-aria"
                        if !zh.contains_key(&value) =>
                    {
                        problems.push(format!("{name}: unknown key {value}"));
                    }
                    "placeholder" | "title" | "aria-label" | "alt" | "value"
                        if value.chars().any(|c| c.is_alphabetic())
                            && !tag.starts_with("<option") =>
                    {
                        problems.push(format!(
                            "{name}: visible attribute {attr}={value:?} outside the tables"
                        ));
                    }
                    "src" | "href" if value.contains("//") => {
                        problems.push(format!("{name}: {attr} points to another host: {value}"));
                    }
                    "style" => problems.push(format!("{name}: inline style (refused by the CSP)")),
                    _ => {}
                }
            }
            if tag.starts_with("<script") && !tag.contains("src=") {
                problems.push(format!("{name}: inline script (refused by the CSP)"));
            }
            last_tag = tag.to_string();
            rest = &rest[lt + gt + 1..];
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Code without `//` comments (a `//` after `:` is a URL, kept).
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|line| {
            let b = line.as_bytes();
            let mut cut = line.len();
            for i in 0..b.len().saturating_sub(1) {
                if b[i] == b'/' && b[i + 1] == b'/' && (i == 0 || b[i - 1] != b':') {
                    cut = i;
                    break;
                }
            }
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// String literals that follow one of `prefixes` directly, e.g. `t('`.
fn literal_keys(src: &str, prefixes: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for p in prefixes {
        let mut rest = src;
        while let Some(i) = rest.find(p) {
            rest = &rest[i + p.len()..];
            if let Some(end) = rest.find('\'') {
                let key = &rest[..end];
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                {
                    out.push(key.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn scripts_name_only_known_keys_and_hold_no_text_of_their_own() {
    let zh = &tables()["zh-CN"];
    let mut problems = Vec::new();
    for (name, src) in files("js") {
        if name == "i18n.js" {
            continue;
        }
        let code = strip_comments(&src);
        if let Some(line) = code.lines().find(|l| l.chars().any(is_cjk)) {
            problems.push(format!(
                "{name}: Chinese text outside the tables: {}",
                line.trim()
            ));
        }
        if code.contains("http://") || code.contains("https://") {
            let ok = code.matches("http").count()
                == code.matches("'http://www.w3.org/2000/svg'").count();
            if !ok {
                problems.push(format!("{name}: refers to another host"));
            }
        }
        let prefixes = [
            "t('",
            "tr('",
            "sayKey('",
            "i18n: '",
            "confirmKey: '",
            "cancelKey: '",
            "'data-i18n-placeholder': '",
            "markKey(S.round.kind, '",
            "label('",
        ];
        for key in literal_keys(&code, &prefixes) {
            // label('role', …) names a family, checked below.
            if key.contains('.') && !zh.contains_key(&key) {
                problems.push(format!("{name}: unknown key {key}"));
            }
        }
        // Keys written in full inside other literals: 'count.submitted_…'.
        for family in [
            "count.",
            "scrutiny.",
            "presidium.",
            "decision.",
            "report.",
            "setup.",
            "key.",
            "audit.",
        ] {
            for key in literal_keys(&code, &[&format!("'{family}")]) {
                let full = format!("{family}{key}");
                if !zh.contains_key(&full) {
                    problems.push(format!("{name}: unknown key {full}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Labels the screens build from values the service sends
/// (`labelEl('kind', r.kind)`, `status.${…}`): the full enumerations of
/// docs/api.md and the contract.
#[test]
fn every_value_the_service_sends_has_a_label() {
    let zh = &tables()["zh-CN"];
    let families: &[(&str, &[&str])] = &[
        (
            "role",
            &[
                "organiser",
                "counter",
                "scrutineer",
                "presidium",
                "auditor",
                "display",
            ],
        ),
        (
            "body",
            &[
                "members_assembly",
                "delegate_congress",
                "committee_plenary",
                "committee_meeting",
            ],
        ),
        (
            "office",
            &[
                "committee",
                "discipline",
                "delegate",
                "alternate",
                "standing",
                "secretary",
                "deputy_secretary",
                "other",
            ],
        ),
        (
            "kind",
            &[
                "nomination",
                "evaluation",
                "preliminary",
                "formal",
                "runoff",
                "supplementary",
                "cadre",
                "resolution",
            ],
        ),
        ("state", &["draft", "open", "closed"]),
        (
            "status",
            &["unofficial-partial", "unofficial-complete", "certified"],
        ),
        (
            "batch_state",
            &["awaiting_second", "differences", "reconciled"],
        ),
        (
            "count.submitted",
            &["awaiting_second", "differences", "reconciled"],
        ),
        ("entry", &["first", "second"]),
        (
            "outcome",
            &[
                "complete",
                "runoff_required",
                "shortfall",
                "void",
                "no_quorum",
                "list_rejected",
            ],
        ),
        (
            "standing",
            &["elected", "runoff", "above", "below", "ranked"],
        ),
        (
            "decision",
            &[
                "accept_list",
                "call_runoff",
                "call_supplementary",
                "reduce_seats",
                "rerun",
                "announce",
            ],
        ),
        (
            "preset",
            &[
                "grassroots-2020",
                "grassroots-1990",
                "local-2020-congress",
                "local-2020-plenary",
                "cadre-vote-2019",
                "branch-resolution-2018",
            ],
        ),
        ("base", &["entitled", "present", "returned"]),
        ("box", &["issued", "voters"]),
        ("scrutiny.resolved", &["first", "second", "void"]),
        (
            "invalid",
            &[
                "declared_void",
                "overvote",
                "illegible",
                "write_in_misplaced",
                "write_in_names_candidate",
            ],
        ),
    ];
    let mut missing = Vec::new();
    for (family, values) in families {
        for v in *values {
            let sep = if family.contains('.') { "_" } else { "." };
            let key = format!("{family}{sep}{v}");
            if !zh.contains_key(&key) {
                missing.push(key);
            }
        }
    }
    for d in [
        "accept_list",
        "call_runoff",
        "call_supplementary",
        "reduce_seats",
        "rerun",
        "announce",
    ] {
        let key = format!("decision.{d}_body");
        if !zh.contains_key(&key) {
            missing.push(key);
        }
    }
    assert!(missing.is_empty(), "labels missing: {missing:?}");
}

#[test]
fn placeholder_parser_reads_names() {
    let p = placeholders("第 {n} 张（共 {size} 张）{ not }");
    assert_eq!(p.into_iter().collect::<Vec<_>>(), ["n", "size"]);
}
