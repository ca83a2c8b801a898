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

/// The one use of threads a pure module may make: `count` splits a large
/// round over scoped threads that are joined before it returns (pure
/// computation, the same result); no sleeping, detached or named threads.
fn scoped_threads_only(module: &str, line: &str) -> bool {
    module == "count"
        && line.split("std::thread").skip(1).all(|rest| {
            rest.starts_with("::scope(") || rest.starts_with("::Builder::new().spawn_scoped(")
        })
}

#[test]
fn pure_modules_do_no_io() {
    for module in modules_in(&[Layer::Pure]) {
        for (path, text) in sources(module) {
            for (n, line) in code_lines(&text) {
                for bad in IO {
                    if *bad == "std::thread" && scoped_threads_only(module, line) {
                        continue;
                    }
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

// ------------------------------------------------------- every module

/// The top-level modules of `src/` and their layer. A new module must be
/// placed here, so no check silently skips it.
const MODULES: &[(&str, Layer)] = &[
    ("rules", Layer::Pure),
    ("count", Layer::Pure),
    ("log", Layer::Pure),
    ("report", Layer::Pure),
    ("state", Layer::Pure),
    ("store", Layer::Io),
    ("service", Layer::Io),
    ("http", Layer::Io),
    ("bundle_io", Layer::Io),
    ("import", Layer::Io),
    ("cli", Layer::Io),
    ("lib", Layer::Root),
    ("main", Layer::Root),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// No I/O, no clock, no randomness, nothing from the I/O layers.
    Pure,
    Io,
    /// `lib.rs` (the crate's map) and `main.rs` (the binary).
    Root,
}

/// Every top-level module of `src/` (`foo.rs` or `foo/`).
fn top_modules() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            if p.is_dir() {
                Some(p.file_name()?.to_str()?.to_string())
            } else if p.extension().is_some_and(|x| x == "rs") {
                Some(p.file_stem()?.to_str()?.to_string())
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out
}

/// The sources of one top-level module: `src/NAME/**.rs` or `src/NAME.rs`.
fn module_sources(name: &str) -> Vec<(PathBuf, String)> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(format!("{name}.rs"));
    if file.is_file() {
        let text = std::fs::read_to_string(&file).unwrap();
        vec![(file, text)]
    } else {
        sources(name)
    }
}

fn modules_in(layers: &[Layer]) -> Vec<&'static str> {
    MODULES
        .iter()
        .filter(|(_, l)| layers.contains(l))
        .map(|(m, _)| *m)
        .collect()
}

#[test]
fn every_module_has_a_layer() {
    let known: Vec<&str> = MODULES.iter().map(|(m, _)| *m).collect();
    for m in top_modules() {
        assert!(
            known.contains(&m.as_str()),
            "src/{m} is in no layer: add it to MODULES in tests/architecture.rs"
        );
        assert!(!module_sources(&m).is_empty(), "src/{m} has no sources");
    }
    for m in known {
        assert!(
            top_modules().iter().any(|t| t == m),
            "MODULES names {m}, which is not in src/"
        );
    }
}

/// `unsafe` outside `count/` (the compiler's `unsafe_code = "deny"` holds
/// the fence; this names the place if someone opts out elsewhere).
#[test]
fn no_module_but_count_says_unsafe() {
    for (m, _) in MODULES.iter().filter(|(m, _)| *m != "count") {
        for (path, text) in module_sources(m) {
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

/// SQL in any module but `store/`.
#[test]
fn no_module_but_store_writes_sql() {
    for (m, _) in MODULES.iter().filter(|(m, _)| *m != "store") {
        for (path, text) in module_sources(m) {
            for (n, line) in code_lines(&text) {
                for bad in SQL {
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

/// The pure layer, found from [`MODULES`], imports nothing from the
/// others but itself.
#[test]
fn pure_modules_import_only_pure_modules() {
    let pure = modules_in(&[Layer::Pure]);
    let graph = Graph::of_crate();
    for (from, to) in graph.edges() {
        let (f, t) = (top(&from), top(&to));
        if pure.contains(&f.as_str()) {
            assert!(
                pure.contains(&t.as_str()),
                "pure module {from} imports {to} ({} layer)",
                t
            );
        }
    }
}

const SQL: &[&str] = &[
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    ".execute(",
    ".prepare(",
    ".query_row(",
    "execute_batch",
];

// --------------------------------------------------------------- cycles

/// No cycle in the `use` graph of the crate: between top-level modules
/// (`log` → `report` → `log`) nor between the files of one module
/// (`rules::method` → `rules::preset` → `rules::method`).
#[test]
fn no_module_cycles() {
    let graph = Graph::of_crate();
    assert!(
        graph.nodes.len() > 60,
        "only {} modules read",
        graph.nodes.len()
    );
    // The reader sees the imports it must: a grouped `use crate::`, a
    // `super::` path through a re-export, a path in code.
    let edges = graph.edges();
    for (from, to) in [
        ("http", "service"),
        ("rules::round", "rules::method"),
        ("service::round", "rules::outcome"),
        ("http::sse", "service::live"),
    ] {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "no edge {from} → {to}"
        );
    }
    let mut cycles: Vec<Vec<String>> = graph.cycles();
    cycles.extend(graph.collapsed().cycles());
    cycles.sort();
    let found: Vec<String> = cycles.iter().map(|c| graph.explain(c)).collect();
    assert!(
        found.is_empty(),
        "module cycles in the `use` graph:\n{}",
        found.join("\n")
    );
}

/// The graph check on a small crate of its own: it finds a cycle through
/// a re-export, a grouped `use` and a path in code, and ignores comments,
/// strings and test modules.
#[test]
fn the_cycle_check_sees_cycles() {
    let files = [
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        ("a/mod.rs", "mod x;\nmod y;\npub use x::Thing;\n"),
        ("a/x.rs", "use crate::{b::{self, B}};\npub struct Thing;\n"),
        ("a/y.rs", "// use crate::c::C;\nfn f() { let _ = \"crate::c::C\"; }\n"),
        (
            "b.rs",
            "pub struct B;\nfn g() -> crate::a::Thing { todo!() }\n#[cfg(test)]\nmod tests { use crate::c::C; }\n",
        ),
        ("c.rs", "pub struct C;\nuse super::a::y;\n"),
    ];
    let g = Graph::of(
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
    );
    assert_eq!(g.cycles(), vec![vec!["a::x".to_string(), "b".to_string()]]);
    assert_eq!(
        g.collapsed().cycles(),
        vec![vec!["a".to_string(), "b".to_string()]]
    );
    assert!(g.edges().contains(&("c".into(), "a::y".into())));
    assert!(!g
        .edges()
        .iter()
        .any(|(f, t)| f == "a::y" || (f == "b" && t == "c")));
}

/// The top-level module of a module path (`rules::method` → `rules`).
fn top(module: &str) -> String {
    module.split("::").next().unwrap_or(module).to_string()
}

/// The modules of the crate and who imports whom: nodes are file modules
/// (`rules::method`; `lib` for the crate root, `main` for the binary), an
/// edge `a → b` a path in `a` (`use`, or in code) that names `b` or an
/// item of `b`, through re-exports. A parent's edges to its own children
/// (`mod x; pub use x::Y;`) are its facade and left out; `#[cfg(test)]`
/// items, comments and strings are skipped.
struct Graph {
    nodes: Vec<String>,
    edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// One file module: its path and code without comments, strings and
/// test items.
struct Module {
    path: Vec<String>,
    code: String,
    /// `pub use` re-exports: visible name → path (as written).
    reexports: Vec<(String, Vec<String>)>,
    /// Paths this module names.
    paths: Vec<Vec<String>>,
}

impl Graph {
    fn of_crate() -> Graph {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    files.push((rel, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        Graph::of(files)
    }

    /// The graph of files given as (path under `src/`, text).
    fn of(files: Vec<(String, String)>) -> Graph {
        let mut modules: Vec<Module> = files
            .iter()
            .map(|(rel, text)| {
                let path: Vec<String> = match rel.as_str() {
                    "lib.rs" => vec![],
                    "main.rs" => vec!["main".into()],
                    r => {
                        let r = r.strip_suffix(".rs").unwrap_or(r);
                        let r = r.strip_suffix("/mod").unwrap_or(r);
                        r.split('/').map(String::from).collect()
                    }
                };
                let code = without_tests(&clean(text));
                let uses = use_paths(&code);
                let reexports = uses
                    .iter()
                    .filter(|(public, _, _)| *public)
                    .map(|(_, name, p)| (name.clone(), p.clone()))
                    .collect();
                // A path in code may start at a name a `use` bound
                // (`use crate::rules; … rules::outcome::f()`).
                let bound: Vec<(String, Vec<String>)> = uses
                    .iter()
                    .map(|(_, name, p)| (name.clone(), p.clone()))
                    .collect();
                let mut paths: Vec<Vec<String>> = uses.into_iter().map(|(_, _, p)| p).collect();
                for p in code_paths(&code) {
                    match bound.iter().find(|(n, _)| *n == p[0]) {
                        Some((_, to)) if !["crate", "super", "self"].contains(&p[0].as_str()) => {
                            let mut full = to.clone();
                            full.extend(p[1..].iter().cloned());
                            paths.push(full);
                        }
                        _ => paths.push(p),
                    }
                }
                Module {
                    path,
                    code,
                    reexports,
                    paths,
                }
            })
            .collect();
        // Only files their parent declares outside `#[cfg(test)]`.
        let declared = |m: &Module, all: &[Module]| -> bool {
            if m.path.len() <= 1 && (m.path.is_empty() || m.path[0] == "main") {
                return true;
            }
            let (parent, name) = m.path.split_at(m.path.len() - 1);
            all.iter()
                .any(|p| p.path == parent && declares(&p.code, &name[0]))
        };
        let keep: Vec<bool> = modules.iter().map(|m| declared(m, &modules)).collect();
        let mut k = keep.iter();
        modules.retain(|_| *k.next().unwrap());
        let names: Vec<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
        let mut edges = std::collections::BTreeMap::new();
        for m in &modules {
            let from = show(&m.path);
            let set: &mut std::collections::BTreeSet<String> =
                edges.entry(from.clone()).or_default();
            for p in &m.paths {
                let Some(to) = resolve(&modules, &names, &m.path, p, 0) else {
                    continue;
                };
                // Itself, or its own facade down to a child.
                if to == m.path || to.starts_with(&m.path) {
                    continue;
                }
                set.insert(show(&to));
            }
        }
        Graph {
            nodes: names.iter().map(|n| show(n)).collect(),
            edges,
        }
    }

    fn edges(&self) -> Vec<(String, String)> {
        self.edges
            .iter()
            .flat_map(|(f, ts)| ts.iter().map(move |t| (f.clone(), t.clone())))
            .collect()
    }

    /// The graph between top-level modules.
    fn collapsed(&self) -> Graph {
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for (f, t) in self.edges() {
            let (f, t) = (top(&f), top(&t));
            if f != t {
                edges.entry(f).or_default().insert(t);
            }
        }
        let mut nodes: Vec<String> = self.nodes.iter().map(|n| top(n)).collect();
        nodes.sort();
        nodes.dedup();
        Graph { nodes, edges }
    }

    fn reach(&self, from: &str) -> std::collections::BTreeSet<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            for t in self.edges.get(&n).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    stack.push(t.clone());
                }
            }
        }
        seen
    }

    /// The strongly connected parts of more than one module, each sorted.
    fn cycles(&self) -> Vec<Vec<String>> {
        let reach: std::collections::BTreeMap<&String, _> =
            self.nodes.iter().map(|n| (n, self.reach(n))).collect();
        let mut out: Vec<Vec<String>> = Vec::new();
        for n in &self.nodes {
            let mut part: Vec<String> = self
                .nodes
                .iter()
                .filter(|m| reach[n].contains(*m) && reach[*m].contains(n))
                .cloned()
                .collect();
            part.sort();
            if part.len() > 1 && !out.contains(&part) {
                out.push(part);
            }
        }
        out.sort();
        out
    }

    /// A cycle with the edges inside it.
    fn explain(&self, cycle: &[String]) -> String {
        let inside: Vec<String> = self
            .edges()
            .into_iter()
            .chain(self.collapsed().edges())
            .filter(|(f, t)| cycle.contains(f) && cycle.contains(t))
            .map(|(f, t)| format!("{f} → {t}"))
            .collect();
        format!("  {}: {}", cycle.join(" ⇄ "), inside.join(", "))
    }
}

fn show(path: &[String]) -> String {
    if path.is_empty() {
        "lib".into()
    } else {
        path.join("::")
    }
}

/// The module `path` (written in module `at`) names, if in this crate.
fn resolve(
    modules: &[Module],
    names: &[Vec<String>],
    at: &[String],
    path: &[String],
    depth: usize,
) -> Option<Vec<String>> {
    if depth > 8 || path.is_empty() {
        return None;
    }
    let is_module = |m: &[String]| names.iter().any(|n| n == m);
    let (mut m, rest): (Vec<String>, &[String]) = match path[0].as_str() {
        "crate" | "scrutineer" => (vec![], &path[1..]),
        "self" => (at.to_vec(), &path[1..]),
        "super" => {
            let mut m = at.to_vec();
            let mut i = 0;
            while path.get(i).is_some_and(|s| s == "super") {
                m.pop()?;
                i += 1;
            }
            (m, &path[i..])
        }
        first => {
            let mut child = at.to_vec();
            child.push(first.to_string());
            if !is_module(&child) {
                return None;
            }
            (at.to_vec(), path)
        }
    };
    for (i, seg) in rest.iter().enumerate() {
        if seg == "self" || seg == "*" {
            break;
        }
        let mut next = m.clone();
        next.push(seg.clone());
        if is_module(&next) {
            m = next;
            continue;
        }
        // An item of `m`: where `m` re-exports it from, if it does.
        let module = modules.iter().find(|x| x.path == m)?;
        if let Some((_, p)) = module.reexports.iter().find(|(n, _)| n == seg) {
            let mut p = p.clone();
            p.extend(rest[i + 1..].iter().cloned());
            return resolve(modules, names, &m, &p, depth + 1).or(Some(m));
        }
        return Some(m);
    }
    Some(m)
}

/// Whether `code` declares a child module `name` (`mod name;`).
fn declares(code: &str, name: &str) -> bool {
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ';'))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .any(|w| w[0] == "mod" && (w[1] == format!("{name};") || w[1] == name))
}

/// `text` without comments and with string and char literals emptied.
fn clean(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        let after = c.get(i + 2).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                let n = c.get(i + 1).copied();
                if c[i] == '/' && n == Some('*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && n == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{..}'), else a lifetime.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if after == Some('\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c[i]);
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `code` without the items marked `#[cfg(test)]`.
fn without_tests(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let c: Vec<char> = rest[at + MARK.len()..].chars().collect();
        let (mut i, mut depth) = (0, 0i32);
        // Further attributes, then the item up to `;` or its block.
        while i < c.len() {
            match c[i] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ';' if depth == 0 => {
                    i += 1;
                    break;
                }
                '{' if depth == 0 => {
                    let mut braces = 0;
                    while i < c.len() {
                        match c[i] {
                            '{' => braces += 1,
                            '}' => {
                                braces -= 1;
                                if braces == 0 {
                                    i += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let skipped: usize = c[..i.min(c.len())].iter().map(|ch| ch.len_utf8()).sum();
        rest = &rest[at + MARK.len() + skipped..];
    }
    out.push_str(rest);
    out
}

/// Every `use` of `code`, expanded: (public?, the name it binds, path).
fn use_paths(code: &str) -> Vec<(bool, String, Vec<String>)> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    let mut from = 0;
    while let Some(at) = text[from..].find("use ") {
        let start = from + at;
        from = start + 4;
        let boundary = text[..start]
            .chars()
            .last()
            .is_none_or(|ch| !(ch.is_alphanumeric() || ch == '_'));
        if !boundary {
            continue;
        }
        // `pub use`, `pub(crate) use`: what stands before it in its item.
        let item = text[..start]
            .rsplit(['\n', ';', '{', '}'])
            .next()
            .unwrap_or("")
            .trim();
        let public = item.starts_with("pub");
        let Some(end) = text[from..].find(';') else {
            break;
        };
        let tree: String = text[from..from + end].split_whitespace().collect();
        from += end;
        expand(&tree, &[], &mut |name, path| out.push((public, name, path)));
    }
    out
}

/// Expands a use tree (`a::{b, c::{self, d as e}}`) into its paths.
fn expand(tree: &str, prefix: &[String], f: &mut dyn FnMut(String, Vec<String>)) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut p = prefix.to_vec();
        p.extend(head);
        let (mut depth, mut last) = (0, 0);
        let parts: Vec<&str> = {
            let mut v = Vec::new();
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        v.push(&inner[last..i]);
                        last = i + 1;
                    }
                    _ => {}
                }
            }
            v.push(&inner[last..]);
            v
        };
        for part in parts.into_iter().filter(|s| !s.is_empty()) {
            expand(part, &p, f);
        }
        return;
    }
    let (path, alias) = match tree.split_once("as") {
        Some((p, a)) if !p.is_empty() && tree.contains("as") && !p.ends_with(':') => (p, Some(a)),
        _ => (tree, None),
    };
    let mut p = prefix.to_vec();
    p.extend(path.split("::").filter(|s| !s.is_empty()).map(String::from));
    if p.last().is_some_and(|s| s == "self") {
        p.pop();
    }
    let name = alias
        .map(String::from)
        .or_else(|| p.last().cloned())
        .unwrap_or_default();
    f(name, p);
}

/// Paths in code (`a::b…`); [`resolve`] keeps those of this crate.
fn code_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let c: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < c.len() {
        let boundary =
            i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_' || c[i - 1] == ':');
        if !boundary || !(c[i].is_alphabetic() || c[i] == '_') {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let s = j;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            segs.push(c[s..j].iter().collect::<String>());
            if c.get(j) == Some(&':')
                && c.get(j + 1) == Some(&':')
                && c.get(j + 2).is_some_and(|x| x.is_alphabetic() || *x == '_')
            {
                j += 2;
            } else {
                break;
            }
        }
        if segs.len() > 1 {
            out.push(segs);
        }
        i = j.max(i + 1);
    }
    out
}
