//! Bulk import end to end — a 1,000,000-ballot CSV file (32 candidates) read,
//! validated, packed, cut into batches, encoded as events, signed as log
//! entries and appended to a real SQLite log in one transaction — against the
//! physical baseline measured in the same run: a bare rusqlite insert of the
//! same packed rows (one 8-byte blob per ballot) in one transaction, with the
//! same pragmas (WAL, synchronous=FULL).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use ed25519_dalek::SigningKey;
use rusqlite::{params, Connection};

use scrutineer::import::{import, Format};
use scrutineer::log::entry::{AuthorRole, Entry, EntryKind};
use scrutineer::log::event::{encode, Event};
use scrutineer::store;

const BALLOTS: usize = 1_000_000;
const CANDIDATES: usize = 32;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scrutineer-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A deterministic ballot-reader file; returns its path and the packed rows.
fn csv_file(dir: &Path) -> (PathBuf, Vec<u64>) {
    let path = dir.join("ballots.csv");
    let mut w = BufWriter::new(std::fs::File::create(&path).unwrap());
    let names: Vec<String> = (0..CANDIDATES).map(|i| format!("候选人{i:02}")).collect();
    writeln!(w, "{}", names.join(",")).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut rows = Vec::with_capacity(BALLOTS);
    let mut line = String::new();
    for _ in 0..BALLOTS {
        line.clear();
        let mut word = 0u64;
        for c in 0..CANDIDATES {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (mark, code) = match state % 4 {
                0 | 1 => ("Y", 1u64),
                2 => ("N", 2),
                _ => ("A", 0),
            };
            if c > 0 {
                line.push(',');
            }
            line.push_str(mark);
            word |= code << (2 * c);
        }
        writeln!(w, "{line}").unwrap();
        rows.push(word);
    }
    w.flush().unwrap();
    (path, rows)
}

fn open(path: &Path) -> Connection {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn
}

fn bench(c: &mut Criterion) {
    let dir = scratch();
    let (csv, rows) = csv_file(&dir);
    let candidates: Vec<String> = (0..CANDIDATES).map(|i| format!("候选人{i:02}")).collect();
    let key = SigningKey::from_bytes(&[7; 32]);

    let mut g = c.benchmark_group("import");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(BALLOTS as u64));

    g.bench_function("csv_end_to_end", |b| {
        b.iter(|| {
            let mut conn = open(&dir.join("import.db"));
            store::log::migrate(&conn).unwrap();
            let tx = conn.transaction().unwrap();
            let file =
                std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&csv).unwrap());
            let mut n = 0u64;
            let summary = import(
                file,
                Format::Csv,
                &candidates,
                false,
                &mut |_| {},
                &mut |batch| {
                    n += 1;
                    let payload = encode(&Event::BallotBatch {
                        round: "r1".into(),
                        batch: format!("import-{n:06}"),
                        ballots: batch,
                    });
                    let entry = Entry::sign(
                        EntryKind::BALLOT_BATCH,
                        n,
                        AuthorRole::Service,
                        &key,
                        &payload,
                    )
                    .map_err(|e| e.to_string())?;
                    store::log::append(&tx, "bench", &entry).map_err(|e| e.to_string())?;
                    Ok(())
                },
            )
            .unwrap();
            tx.commit().unwrap();
            assert_eq!(summary.ballots, BALLOTS as u64);
        })
    });

    g.bench_function("bare_insert", |b| {
        b.iter(|| {
            let mut conn = open(&dir.join("bare.db"));
            conn.execute_batch(
                "CREATE TABLE ballot (id INTEGER PRIMARY KEY, packed BLOB NOT NULL)",
            )
            .unwrap();
            let tx = conn.transaction().unwrap();
            {
                let mut stmt = tx
                    .prepare("INSERT INTO ballot (packed) VALUES (?1)")
                    .unwrap();
                for w in &rows {
                    stmt.execute(params![&w.to_le_bytes()[..]]).unwrap();
                }
            }
            tx.commit().unwrap();
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
