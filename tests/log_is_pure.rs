//! Architecture test: `src/log` does no I/O and depends on nothing above it.
//!
//! The log must be replayable by an auditor from bytes alone, so it may not
//! read the clock, draw randomness, or reach files, sockets or the database.

use std::path::Path;

/// Paths whose mention in `src/log` would break the invariant.
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "std::net",
    "std::io",
    "std::env",
    "std::time",
    "std::process",
    "SystemTime",
    "Instant::",
    "getrandom",
    "OsRng",
    "thread_rng",
    "rusqlite",
    "tokio",
    "axum",
    "crate::store",
    "crate::service",
    "crate::http",
];

#[test]
fn log_module_is_pure() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/log");
    let mut checked = 0;
    for file in std::fs::read_dir(&dir).expect("src/log exists") {
        let path = file.expect("readable dir entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).expect("readable source");
            for word in FORBIDDEN {
                assert!(!source.contains(word), "{} mentions {word}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} files checked");
}
