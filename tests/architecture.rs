//! Architecture invariants (ARCHITECTURE.md), checked by reading the source:
//! the pure modules import nothing from the I/O layers and never touch
//! files, sockets, the clock or randomness; the rule engine has no floats.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    out
}

/// Lines of code, without comments, so docs may name what is forbidden.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

const IO: &[&str] = &[
    "crate::store",
    "crate::service",
    "crate::http",
    "std::fs",
    "std::net",
    "std::io",
    "std::process",
    "std::env",
    "std::thread",
    "std::time",
    "SystemTime",
    "Instant::",
    "tokio",
    "axum",
    "rusqlite",
    "getrandom",
    "OsRng",
    "thread_rng",
];

#[test]
fn pure_modules_do_no_io() {
    for module in ["rules", "count", "log", "report", "state"] {
        for (path, text) in sources(module) {
            for (n, line) in code_lines(&text) {
                for bad in IO {
                    assert!(
                        !line.contains(bad),
                        "{}:{n}: pure module `{module}` uses `{bad}`: {line}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn rule_engine_has_no_floats() {
    for module in ["rules", "count"] {
        for (path, text) in sources(module) {
            for (n, line) in code_lines(&text) {
                for bad in ["f32", "f64", "as_f64", "powf", "sqrt"] {
                    assert!(
                        !line.contains(bad),
                        "{}:{n}: `{bad}` in the counting code: {line}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn unsafe_lives_only_in_the_simd_kernel() {
    for module in [
        "rules", "log", "report", "state", "store", "service", "http",
    ] {
        for (path, text) in sources(module) {
            for (n, line) in code_lines(&text) {
                assert!(
                    !line.contains("unsafe"),
                    "{}:{n}: `unsafe` outside count/: {line}",
                    path.display()
                );
            }
        }
    }
}

/// Only `store/` knows SQL: the service and the HTTP layer pass
/// connections and transactions around but never write a statement.
#[test]
fn only_store_knows_sql() {
    for module in [
        "service", "http", "rules", "count", "log", "report", "state",
    ] {
        for (path, text) in sources(module) {
            for (n, line) in code_lines(&text) {
                for bad in [
                    "SELECT ",
                    "INSERT ",
                    "UPDATE ",
                    "DELETE FROM",
                    "CREATE TABLE",
                    ".execute(",
                    ".prepare(",
                    ".query_row(",
                    "execute_batch",
                ] {
                    assert!(
                        !line.contains(bad),
                        "{}:{n}: SQL outside store/ (`{bad}`): {line}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The HTTP layer maps errors to responses in one place.
#[test]
fn one_error_mapping() {
    let impls: Vec<String> = sources("http")
        .into_iter()
        .filter(|(_, text)| text.contains("impl IntoResponse for"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(impls.len(), 1, "IntoResponse implemented in {impls:?}");
    assert!(impls[0].ends_with("error.rs"), "{impls:?}");
}

/// With `autotests = false`, a test file nobody declares would silently
/// never run: every `tests/*.rs` is a module of `tests/it.rs` or a
/// `[[test]]` target of Cargo.toml.
#[test]
fn every_test_file_is_compiled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let it = std::fs::read_to_string(root.join("tests/it.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for e in std::fs::read_dir(root.join("tests")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "it.rs" {
            continue;
        }
        assert!(
            it.contains(&format!("#[path = \"{name}\"]"))
                || manifest.contains(&format!("path = \"tests/{name}\"")),
            "tests/{name} is neither a module of tests/it.rs nor a [[test]] in Cargo.toml"
        );
    }
}
