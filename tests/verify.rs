//! The auditor's verifier against a realistic meeting built by the
//! simulator in `tests/sim`: it verifies, through SQLite, a directory and a
//! zip; every kind of tampering fails at the step that should catch it.

use crate::sim;

use scrutineer::log::bundle::Bundle;
use scrutineer::log::verify::{verify, Step, VerifyReport};

fn check_verified(b: &Bundle) -> VerifyReport {
    let r = verify(b);
    assert!(
        r.is_verified(),
        "{}",
        r.failures()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    r
}

fn check_fails_at(b: &Bundle, step: Step, what: &str) -> VerifyReport {
    let r = verify(b);
    assert!(!r.is_verified(), "{what}: verified");
    assert_eq!(
        r.first_failed_step(),
        Some(step),
        "{what}: {}",
        r.failures()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    r
}

#[test]
fn a_realistic_meeting_verifies() {
    let sim = sim::meeting();
    let r = check_verified(&sim.bundle());
    assert_eq!(r.tallies.len(), 3);
    let status: Vec<&str> = r.tallies.iter().map(|t| t.status.as_str()).collect();
    assert_eq!(status, ["complete", "runoff_required", "complete"]);
    for t in &r.tallies {
        let c = &t.certification;
        assert!(c.is_certified(), "round {}: {c:?}", t.round);
        assert_eq!(
            c.checkpoint,
            t.entry + 1,
            "the tree that ends with the tally"
        );
        assert_eq!((c.required, c.cosigners.len()), (2, 3));
        let who: Vec<&str> = c.cosigned.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(who, ["张监票", "王监票"]);
    }
    assert!(r.ballots > 1400, "{}", r.ballots);
    assert_eq!(r.final_checkpoint.map(|c| c.0), Some(r.entries));
    assert_eq!(scrutineer::bundle_io::verify_parallel(&sim.bundle()), r);
}

/// Which steps may be the first to fail when a byte of `path` changes.
fn expected_steps(path: &str) -> &'static [Step] {
    match path {
        "origin" => &[Step::Files, Step::CheckpointSignatures],
        "log.vkey" => &[Step::Files],
        "keys.txt" => &[Step::Files, Step::Replay],
        p if p.starts_with("entries/") => &[Step::Tree],
        p if p.starts_with("checkpoints/") => {
            &[Step::Files, Step::CheckpointSignatures, Step::Cosignatures]
        }
        _ => &[],
    }
}

/// Flipping any single byte of any file fails verification at the step
/// that owns the file: every file's first and last byte and a spread of
/// positions in between, each with two different flips. (The cases run on
/// every core: each is a whole verification.)
#[test]
fn flipping_any_byte_of_any_file_fails() {
    let good = sim::meeting().bundle();
    check_verified(&good);
    let mut cases: Vec<(&str, usize, u8)> = Vec::new();
    for (path, bytes) in good.files() {
        let len = bytes.len();
        let mut positions: Vec<usize> = vec![0, len - 1];
        let spread = 7.min(len);
        positions.extend((1..spread).map(|k| k * len / spread));
        // A pseudo-random few more, deterministic.
        let mut x = len as u64 * 2_654_435_761 + 7;
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            positions.push((x % len as u64) as usize);
        }
        positions.sort_unstable();
        positions.dedup();
        for at in positions {
            for flip in [0x01u8, 0x80] {
                cases.push((path, at, flip));
            }
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for chunk in cases.chunks(cases.len().div_ceil(threads)) {
            let good = &good;
            scope.spawn(move || {
                for &(path, at, flip) in chunk {
                    let mut b = good.clone();
                    let mut m = good.get(path).unwrap().to_vec();
                    m[at] ^= flip;
                    b.put(path, m);
                    let r = verify(&b);
                    let first = r.first_failed_step();
                    assert!(
                        !r.is_verified()
                            && first.is_some_and(|s| expected_steps(path).contains(&s)),
                        "{path} byte {at} ^ {flip:#x}: first failed step {first:?}\n{}",
                        r.failures()
                            .map(|f| f.to_string())
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            });
        }
    });
    assert!(cases.len() > 300, "{}", cases.len());
}

fn entry_files(b: &Bundle) -> Vec<(String, Vec<u8>)> {
    b.files()
        .filter(|(p, _)| p.starts_with("entries/"))
        .map(|(p, d)| (p.to_owned(), d.to_vec()))
        .collect()
}

/// Rewrites the entries of `b` as `f` reorders them.
fn with_entries(b: &Bundle, f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Bundle {
    let files = entry_files(b);
    let mut entries: Vec<Vec<u8>> = files.iter().map(|(_, d)| d.clone()).collect();
    f(&mut entries);
    let mut out = b.clone();
    for (p, _) in &files {
        out.remove(p);
    }
    for (i, e) in entries.into_iter().enumerate() {
        out.put(&scrutineer::log::bundle::entry_path(i as u64), e);
    }
    out
}

#[test]
fn dropping_duplicating_swapping_or_truncating_entries_fails_at_the_tree() {
    let good = sim::meeting().bundle();
    let n = entry_files(&good).len();
    for i in [0, 1, n / 2, n - 1] {
        let b = with_entries(&good, |e| {
            e.remove(i);
        });
        check_fails_at(&b, Step::Tree, &format!("drop entry {i}"));
        let b = with_entries(&good, |e| {
            let copy = e[i].clone();
            e.insert(i, copy);
        });
        check_fails_at(&b, Step::Tree, &format!("duplicate entry {i}"));
        let j = (i + 7) % n;
        let b = with_entries(&good, |e| e.swap(i, j));
        check_fails_at(&b, Step::Tree, &format!("swap entries {i} and {j}"));
        // A gap: the file is gone, later ones keep their numbers.
        let mut b = good.clone();
        b.remove(&scrutineer::log::bundle::entry_path(i as u64));
        check_fails_at(&b, Step::Tree, &format!("remove file of entry {i}"));
    }
    // Truncation with the checkpoints that cover the lost entries removed
    // too: what is left is signed, but the result is no longer cosigned.
    let mut b = with_entries(&good, |e| e.truncate(n - 3));
    let notes: Vec<String> = b
        .files()
        .filter(|(p, _)| p.starts_with("checkpoints/"))
        .map(|(p, _)| p.to_owned())
        .collect();
    let last = notes.last().cloned().unwrap_or_default();
    b.remove(&last);
    let r = verify(&b);
    assert!(!r.is_verified());
    assert!(
        matches!(r.first_failed_step(), Some(Step::Cosignatures | Step::Tree)),
        "{:?}",
        r.first_failure()
    );
}

#[test]
fn replacing_a_key_fails() {
    let sim = sim::meeting();
    let good = sim.bundle();
    // Another log key: the checkpoints no longer open.
    let other = scrutineer::log::note::NoteSigner::new(
        scrutineer::log::note::KeyName::new(sim::ORIGIN).unwrap(),
        ed25519_dalek::SigningKey::from_bytes(&[99; 32]),
    );
    let mut b = good.clone();
    b.put(
        "log.vkey",
        format!("{}\n", other.verifier_key()).into_bytes(),
    );
    check_fails_at(&b, Step::CheckpointSignatures, "another log key");
    // A scrutineer's key replaced in keys.txt.
    let impostor = scrutineer::log::cosignature::Cosigner::new(
        scrutineer::log::note::KeyName::new("li.jianpiao").unwrap(),
        ed25519_dalek::SigningKey::from_bytes(&[98; 32]),
    );
    let real = sim.scrutineers[1].2.verifier_key().to_string();
    let keys = String::from_utf8(good.get("keys.txt").unwrap().to_vec()).unwrap();
    assert!(keys.contains(&real));
    let mut b = good.clone();
    b.put(
        "keys.txt",
        keys.replace(&real, &impostor.verifier_key().to_string())
            .into_bytes(),
    );
    let r = check_fails_at(&b, Step::Replay, "scrutineer key replaced in keys.txt");
    assert!(r.first_failure().unwrap().to_string().contains("keys.txt"));
}

/// A result cosigned by fewer scrutineers than the method requires is
/// reported "not certified", an outcome; announcing it is a failure.
#[test]
fn too_few_cosignatures_are_not_certified_and_cannot_be_announced() {
    let only_li = |round: &'static str| {
        move |s: &mut sim::Sim| {
            s.who_cosigns = Box::new(move |r| if r == round { vec![1] } else { vec![0, 2] })
        }
    };
    // p1 is not announced: the bundle verifies, p1 is not certified.
    let r = check_verified(&sim::meeting_with(only_li("p1")).bundle());
    let certified: Vec<(&str, bool)> = r
        .tallies
        .iter()
        .map(|t| (t.round.as_str(), t.certification.is_certified()))
        .collect();
    assert_eq!(certified, [("p1", false), ("f1", true), ("f1-r", true)]);
    let p1 = &r.tallies[0].certification;
    assert_eq!(p1.cosigned.len(), 1);
    assert_eq!(p1.cosigned[0].name, "李监票");
    // f1-r is announced: the log claims a certification it does not have.
    let r = check_fails_at(
        &sim::meeting_with(only_li("f1-r")).bundle(),
        Step::Cosignatures,
        "announced with 1 of 3",
    );
    let f = r.first_failure().unwrap();
    assert_eq!(f.round.as_deref(), Some("f1-r"));
    assert!(
        f.message.contains("2 of 3") && f.message.contains("李监票"),
        "{f}"
    );
}

/// A lying service: the published count is wrong but everything is signed
/// and cosigned. Only replay catches it, and says what differs.
#[test]
fn an_edited_published_count_fails_only_at_replay() {
    let sim = sim::meeting_with(|s| {
        s.corrupt_tally = Some(Box::new(|round, v| {
            if round == "f1" {
                let row = &mut v["rows"][0];
                let n = row["for"].as_u64().unwrap();
                row["for"] = (n + 1).into();
            }
        }));
    });
    let r = check_fails_at(&sim.bundle(), Step::Replay, "edited count");
    let f = r.first_failure().unwrap();
    assert_eq!(f.round.as_deref(), Some("f1"));
    let name = sim.round("f1").candidates[0].clone();
    assert!(
        f.message
            .contains(&format!("published for-votes of {name}")),
        "{f}"
    );
    assert!(r.step(Step::Cosignatures).status == scrutineer::log::verify::StepStatus::Passed);
}

/// A signed record whose outcome was changed (a tie at the cut-off
/// published as a completed election) fails at the tally step of replay,
/// worded from the codes in both languages.
#[test]
fn a_corrupted_record_fails_at_the_tally_step_in_both_languages() {
    let sim = sim::meeting_with(|s| {
        s.corrupt_tally = Some(Box::new(|round, v| {
            if round == "f1" {
                v["status"] = "complete".into();
            }
        }));
    });
    let r = check_fails_at(&sim.bundle(), Step::Replay, "edited status");
    let f = r.first_failure().unwrap();
    assert_eq!((f.step, f.round.as_deref()), (Step::Replay, Some("f1")));
    assert!(
        f.message.contains(
            "published status complete (complete), replay runoff_required (tie at the cut-off: runoff required)"
        ),
        "{f}"
    );
    let zh = f.zh.as_deref().expect("worded in Chinese");
    assert!(
        zh.contains("公布的结果为 complete（有效，结果确定），重新计票为 runoff_required（票数相等，须重新投票）"),
        "{zh}"
    );
    let t = r.tallies.iter().find(|t| t.round == "f1").unwrap();
    assert!(!t.matches && t.status == "runoff_required");
    let text =
        scrutineer::report::verify_report::render("b", &r, None, scrutineer::report::Lang::Zh);
    assert!(text.contains("重新计票为 runoff_required"), "{text}");
}

/// Free names on nomination ballots are logged, replayed by the reference
/// reader and match the published tally; in another kind of round the
/// replay refuses them.
#[test]
fn free_names_replay_in_nomination_only() {
    use scrutineer::rules::{Ballot, Mark, RoundKind};
    let named = |marks: Vec<Mark>, names: &[&str]| Ballot::Marked {
        marks,
        write_ins: vec![],
        names: names.iter().map(|n| n.to_string()).collect(),
    };
    let mut s = sim::Sim::new(20);
    s.attendance(19);
    s.open("n", RoundKind::Nomination, 2, &[], Some(2), 20, 19, 19);
    let ballots = vec![
        named(vec![], &["李甲", "赵乙"]),
        named(vec![], &["李甲", "李甲"]),
        named(vec![], &["李甲", "赵乙", "钱丙"]), // overvote
        Ballot::Void {
            reason: "签名".into(),
        },
    ];
    s.ballots("n", &ballots, 2);
    let v = s.close_and_tally("n", 4);
    assert_eq!(v["next_list"], serde_json::json!(["李甲", "赵乙"]), "{v}");
    s.cosign("n", &[0, 1]);
    let r = check_verified(&s.bundle());
    assert!(r.tallies.len() == 1 && r.tallies[0].matches);

    let mut s = sim::Sim::new(20);
    s.attendance(19);
    s.open(
        "f",
        RoundKind::Formal,
        1,
        &["丁一", "王二"],
        None,
        20,
        19,
        19,
    );
    s.ballots("f", &[named(vec![Mark::For, Mark::Abstain], &["李甲"])], 1);
    s.checkpoint();
    let r = check_fails_at(&s.bundle(), Step::Replay, "names in a formal round");
    let f = r.first_failure().unwrap();
    assert!(
        f.message.contains("free names only on nomination ballots"),
        "{f}"
    );
}

/// A batch has one encoding: a plain ballot (only Y/N/A, no write-in, no
/// free name, not void) written in `special` instead of packed in `plain`
/// is refused by the batch decoder, so the verifier fails step 7 even when
/// the log key signed it; the same ballot in `plain` verifies.
#[test]
fn a_plain_ballot_written_in_special_fails_at_events() {
    use scrutineer::log::event::{BatchBallots, Event, SpecialBallot};
    use scrutineer::rules::{Mark, RoundKind};
    let batch = |special: Vec<SpecialBallot>| Event::BallotBatch {
        round: "f".into(),
        batch: "f-b000".into(),
        ballots: BatchBallots {
            lines: 2,
            plain_count: 0,
            plain: String::new(),
            special,
        },
    };
    let marked = |marks: &str| SpecialBallot::Marked {
        marks: marks.into(),
        write_ins: Default::default(),
        names: vec![],
    };
    let mut s = sim::Sim::new(20);
    s.attendance(19);
    s.open(
        "f",
        RoundKind::Formal,
        1,
        &["丁一", "王二"],
        None,
        20,
        19,
        19,
    );
    // Not plain: an illegible mark. Accepted in `special`.
    s.readings("f", "f-b000", 1);
    s.service(batch(vec![marked("Y?")]));
    s.checkpoint();
    check_verified(&s.bundle());

    let mut s = sim::Sim::new(20);
    s.attendance(19);
    s.open(
        "f",
        RoundKind::Formal,
        1,
        &["丁一", "王二"],
        None,
        20,
        19,
        19,
    );
    s.readings("f", "f-b000", 2);
    s.service(batch(vec![marked("Y?"), marked("YN")]));
    s.checkpoint();
    let r = check_fails_at(&s.bundle(), Step::Events, "plain ballot in special");
    let f = r.first_failure().unwrap();
    assert!(f.message.contains("special[1]"), "{f}");
    assert!(f.message.contains("plain ballot"), "{f}");

    // The decoder refuses it too, and encoding never writes it.
    let ballots = BatchBallots {
        lines: 2,
        plain_count: 0,
        plain: String::new(),
        special: vec![marked("AN")],
    };
    assert!(ballots.to_ballots().is_err());
    let plain = scrutineer::rules::Ballot::marked(vec![Mark::Abstain, Mark::Against]);
    let enc = BatchBallots::from_ballots(2, &[plain]).unwrap();
    assert_eq!((enc.plain_count, enc.special.len()), (1, 0));
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("scrutineer-verify-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The simulator's log written to a real SQLite file with the store, then
/// exported as a directory and a zip, read back and verified; the CLI
/// exits 0, 1 and 2 as the contract says.
#[test]
fn sqlite_export_to_directory_and_zip_verifies() {
    use scrutineer::store::bundle::{export_bundle, LogIdentity};
    use scrutineer::store::log as store;

    let sim = sim::meeting();
    let dir = TempDir::new("export");
    let mut conn = rusqlite::Connection::open(dir.0.join("meeting.sqlite")).unwrap();
    store::migrate(&conn).unwrap();
    // Entries and checkpoints in the order they happened.
    let sizes: Vec<u64> = sim
        .notes
        .iter()
        .map(|n| {
            let note = scrutineer::log::note::Note::parse(n).unwrap();
            scrutineer::log::checkpoint::Checkpoint::parse(note.text())
                .unwrap()
                .size()
                .0
        })
        .collect();
    let tx = conn.transaction().unwrap();
    let mut next_note = 0;
    for (i, bytes) in sim.entries.iter().enumerate() {
        let entry = scrutineer::log::entry::Entry::decode(bytes).unwrap();
        store::append(&tx, sim::ORIGIN, &entry).unwrap();
        while next_note < sizes.len() && sizes[next_note] == i as u64 + 1 {
            let note = scrutineer::log::note::Note::parse(&sim.notes[next_note]).unwrap();
            store::record_checkpoint(&tx, sim::ORIGIN, &note).unwrap();
            next_note += 1;
        }
    }
    tx.commit().unwrap();
    let log = LogIdentity {
        log: sim::ORIGIN.into(),
        origin: sim::ORIGIN.into(),
        log_key: sim.log_vkey(),
    };
    let out_dir = dir.0.join("bundle");
    let out_zip = dir.0.join("bundle.zip");
    let summary = export_bundle(&conn, &log, &out_dir).unwrap();
    assert_eq!(summary.entries, sim.entries.len() as u64);
    export_bundle(&conn, &log, &out_zip).unwrap();
    assert!(
        export_bundle(&conn, &log, &out_zip).is_err(),
        "never overwrites"
    );

    let from_dir = scrutineer::bundle_io::read_bundle(&out_dir).unwrap();
    let from_zip = scrutineer::bundle_io::read_bundle(&out_zip).unwrap();
    assert_eq!(from_dir, sim.bundle());
    assert_eq!(from_zip, sim.bundle());
    check_verified(&from_zip);

    let bin = env!("CARGO_BIN_EXE_scrutineer");
    let run =
        |args: &[&std::ffi::OsStr]| std::process::Command::new(bin).args(args).output().unwrap();
    let ok = run(&["verify".as_ref(), out_zip.as_os_str()]);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        text.contains("✓ 8.") && text.contains("张监票") && text.contains("核验通过"),
        "{text}"
    );
    let en = run(&[
        "verify".as_ref(),
        out_dir.as_os_str(),
        "--lang".as_ref(),
        "en".as_ref(),
    ]);
    assert!(String::from_utf8_lossy(&en.stdout).contains("verified."));
    let pinned = run(&[
        "verify".as_ref(),
        out_dir.as_os_str(),
        "--log-key".as_ref(),
        sim.log_vkey().to_string().as_ref(),
    ]);
    assert_eq!(pinned.status.code(), Some(0));

    // Tampered: exit 1, the step and the file on stderr.
    let entry = out_dir.join("entries/00000010.bin");
    let mut bytes = std::fs::read(&entry).unwrap();
    bytes[60] ^= 1;
    std::fs::write(&entry, bytes).unwrap();
    let bad = run(&["verify".as_ref(), out_dir.as_os_str()]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(err.contains("✗ 4.") && err.contains("第4步"), "{err}");
    // Unreadable: exit 2.
    let missing = run(&["verify".as_ref(), dir.0.join("nope").as_os_str()]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(dir.0.join("junk.zip"), b"PK\x03\x04 not really").unwrap();
    let junk = run(&["verify".as_ref(), dir.0.join("junk.zip").as_os_str()]);
    assert_eq!(junk.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&junk.stderr).contains("panicked"));
}

/// Cosignatures recorded in the log as `result_cosigned` events: the
/// exporter puts them on the result checkpoint they sign, replay checks
/// each one, and a line stripped from its note is noticed.
#[test]
fn result_cosigned_events_are_checked_and_exported() {
    use scrutineer::log::bundle::checkpoint_path;
    let sim = sim::meeting();
    let good = sim.bundle();
    let size = sim.results["f1-r"].size().0;
    let note = String::from_utf8(good.get(&checkpoint_path(size)).unwrap().to_vec()).unwrap();
    assert!(
        note.contains("— zhang.jianpiao ") && note.contains("— wang.jianpiao "),
        "{note}"
    );

    // A line stripped from the note: the log still records it.
    let mut b = good.clone();
    let stripped: String = note
        .lines()
        .filter(|l| !l.starts_with("— wang.jianpiao "))
        .map(|l| format!("{l}\n"))
        .collect();
    b.put(&checkpoint_path(size), stripped.into_bytes());
    let r = check_fails_at(&b, Step::Cosignatures, "stripped cosignature");
    assert!(
        r.first_failure()
            .unwrap()
            .message
            .contains("王监票's cosignature is not on"),
        "{:?}",
        r.first_failure()
    );

    // A cosignature of another checkpoint, claimed for this one.
    let mut bad = sim::meeting();
    let (name, key, cosigner) = bad.scrutineers[1].clone();
    let other = bad.results["f1"].clone();
    let event = sim::cosignature_event("f1-r", &name, &cosigner, &other, size);
    bad.append(scrutineer::log::entry::AuthorRole::Scrutineer, &key, &event);
    bad.finish(&[]);
    let r = verify(&bad.bundle());
    assert!(r
        .step(Step::Replay)
        .failures
        .iter()
        .any(|f| f.message.contains("does not verify")));

    // A cosignature claimed for a checkpoint other than the result's.
    let mut bad = sim::meeting();
    let (name, _, cosigner) = bad.scrutineers[1].clone();
    let result = bad.results["f1-r"].clone();
    let event = sim::cosignature_event("f1-r", &name, &cosigner, &result, size + 1);
    bad.append(scrutineer::log::entry::AuthorRole::Scrutineer, &key, &event);
    bad.finish(&[]);
    let r = check_fails_at(&bad.bundle(), Step::Replay, "wrong checkpoint size");
    assert!(
        r.first_failure()
            .unwrap()
            .message
            .contains("the result checkpoint of round f1-r"),
        "{:?}",
        r.first_failure()
    );
}

/// Bundle version 2: the log key makes the service's own entries only.
/// Signed in a person's role by the log key, by a stranger's key, by
/// another person's key, or made unsigned by the service when a person
/// must sign it, an entry fails at step 6.
#[test]
fn only_registered_persons_sign_their_entries() {
    use scrutineer::log::entry::AuthorRole;
    use scrutineer::log::event::Event;
    let attendance = |by: &str| Event::AttendanceRecorded {
        present: 90,
        by: Some(by.into()),
    };
    let log_key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let base = sim::Sim::new(100);
    let organiser = base.organiser.clone();
    check_verified(&{
        let mut ok = sim::Sim::new(100);
        ok.append(AuthorRole::Clerk, &organiser.1, &attendance(&organiser.0));
        ok.checkpoint();
        ok.bundle()
    });
    type Case<'a> = (&'a str, Box<dyn Fn(&mut sim::Sim) + 'a>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "the log key as organiser",
            Box::new(|s: &mut sim::Sim| {
                s.append(AuthorRole::Clerk, &log_key, &attendance("钱组织"));
            }),
            "not registered for that role",
        ),
        (
            "a stranger's key",
            Box::new(|s: &mut sim::Sim| {
                s.append(AuthorRole::Clerk, &stranger, &attendance("钱组织"));
            }),
            "not registered for that role",
        ),
        (
            "the counter's key as organiser",
            Box::new(|s: &mut sim::Sim| {
                let k = s.counter.1.clone();
                s.append(AuthorRole::Clerk, &k, &attendance("钱组织"));
            }),
            "not registered for that role",
        ),
        (
            "the organiser acting as someone else",
            Box::new(|s: &mut sim::Sim| {
                let k = s.organiser.1.clone();
                s.append(AuthorRole::Clerk, &k, &attendance("张监票"));
            }),
            "names 张监票 but is signed by key",
        ),
        (
            "the service unsigned",
            Box::new(|s: &mut sim::Sim| {
                s.service(attendance("钱组织"));
            }),
            "must be signed by the person who acted",
        ),
        (
            "a counter deciding for the presidium",
            Box::new(|s: &mut sim::Sim| {
                let k = s.counter.1.clone();
                s.append(
                    AuthorRole::Counter,
                    &k,
                    &Event::PresidiumDecision {
                        round: "r1".into(),
                        decision: scrutineer::log::event::Decision::Rerun { round: "r1".into() },
                        by: None,
                    },
                );
            }),
            "may not make presidium_decision",
        ),
        (
            "a key registered by the service",
            Box::new(|s: &mut sim::Sim| {
                s.service(Event::KeyRegistered {
                    role: "scrutineer".into(),
                    name: "冒名者".into(),
                    key: sim::Sim::vkey_of("fake", &stranger),
                    person: None,
                });
            }),
            "key_registered is made by the service",
        ),
        (
            "a key registered under another key",
            Box::new(|s: &mut sim::Sim| {
                let k = s.organiser.1.clone();
                s.append(
                    AuthorRole::Scrutineer,
                    &k,
                    &Event::KeyRegistered {
                        role: "scrutineer".into(),
                        name: "冒名者".into(),
                        key: sim::Sim::vkey_of("fake", &stranger),
                        person: None,
                    },
                );
            }),
            "not by the key it registers",
        ),
    ];
    for (what, make, message) in cases {
        let mut sim = sim::Sim::new(100);
        make(&mut sim);
        sim.finish(&[0, 1, 2]);
        let r = check_fails_at(&sim.bundle(), Step::EntrySignatures, what);
        let first = r.first_failure().expect("a failure");
        assert!(first.message.contains(message), "{what}: {}", first.message);
    }
}

/// Issue 9, item 7: ballots count only through two readings. A
/// `ballot_batch` is the service's, unsigned, after two `entry_committed`
/// of that batch by two different persons; one scrutineer's import signed
/// as a `ballot_batch` (bundle version 1's import), a batch with no
/// reading, with one, with the same person's two, or with readings
/// discarded before it, fails at step 6.
#[test]
fn a_ballot_batch_needs_two_readings_by_two_persons() {
    use scrutineer::log::entry::AuthorRole;
    use scrutineer::log::event::{BatchBallots, Event};
    use scrutineer::rules::{Ballot, Mark, RoundKind};
    let setup = || {
        let mut s = sim::Sim::new(20);
        s.attendance(19);
        s.open(
            "f",
            RoundKind::Formal,
            1,
            &["丁一", "王二"],
            None,
            20,
            19,
            19,
        );
        s
    };
    let batch = || Event::BallotBatch {
        round: "f".into(),
        batch: "f-b000".into(),
        ballots: BatchBallots::from_ballots(2, &[Ballot::marked(vec![Mark::For, Mark::Abstain])])
            .unwrap(),
    };
    let committed = |name: &str| Event::EntryCommitted {
        round: "f".into(),
        batch: "f-b000".into(),
        counter: name.into(),
        ballots: 1,
        digest: "ab".repeat(32),
    };
    // Two counters' readings: it counts.
    let mut s = setup();
    s.readings("f", "f-b000", 1);
    s.service(batch());
    s.checkpoint();
    assert_eq!(check_verified(&s.bundle()).ballots, 1);

    type Case<'a> = (&'a str, Box<dyn Fn(&mut sim::Sim) + 'a>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "a ballot_batch signed by one scrutineer (an import counted alone)",
            Box::new(|s: &mut sim::Sim| {
                let (name, k, _) = s.scrutineers[0].clone();
                s.append(AuthorRole::Scrutineer, &k, &committed(&name));
                s.append(AuthorRole::Scrutineer, &k, &batch());
            }),
            "may not make ballot_batch",
        ),
        (
            "the service alone, without any reading",
            Box::new(|s: &mut sim::Sim| {
                s.service(batch());
            }),
            "readings by: none",
        ),
        (
            "one scrutineer's reading only",
            Box::new(|s: &mut sim::Sim| {
                let (name, k, _) = s.scrutineers[0].clone();
                s.append(AuthorRole::Scrutineer, &k, &committed(&name));
                s.service(batch());
            }),
            "readings by: 张监票",
        ),
        (
            "the same counter's two readings",
            Box::new(|s: &mut sim::Sim| {
                let (name, k) = s.counter.clone();
                s.append(AuthorRole::Counter, &k, &committed(&name));
                s.append(AuthorRole::Counter, &k, &committed(&name));
                s.service(batch());
            }),
            "without two independent readings",
        ),
        (
            "readings discarded before the batch",
            Box::new(|s: &mut sim::Sim| {
                s.readings("f", "f-b000", 1);
                let (name, k, _) = s.scrutineers[0].clone();
                s.append(
                    AuthorRole::Scrutineer,
                    &k,
                    &Event::BatchDiscarded {
                        round: "f".into(),
                        batch: "f-b000".into(),
                        reason: "批次编号写错".into(),
                        by: Some(name),
                    },
                );
                s.service(batch());
            }),
            "readings by: none",
        ),
    ];
    for (what, make, message) in cases {
        let mut s = setup();
        make(&mut s);
        s.checkpoint();
        let r = check_fails_at(&s.bundle(), Step::EntrySignatures, what);
        let first = r.first_failure().expect("a failure");
        assert!(first.message.contains(message), "{what}: {}", first.message);
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn good() -> &'static Bundle {
        static GOOD: OnceLock<Bundle> = OnceLock::new();
        GOOD.get_or_init(|| sim::meeting().bundle())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Random bytes in place of any file, or as extra files.
        #[test]
        fn random_files(file in 0usize..64, bytes in proptest::collection::vec(any::<u8>(), 0..300), extra in any::<bool>()) {
            let mut b = good().clone();
            let paths: Vec<String> = b.files().map(|(p, _)| p.to_owned()).collect();
            let path = if extra {
                format!("entries/{:08}.bin", paths.len() + file)
            } else {
                paths[file % paths.len()].clone()
            };
            b.put(&path, bytes);
            prop_assert!(!verify(&b).is_verified());
        }

        /// Random mutations: overwrite, insert, delete, truncate at random places.
        #[test]
        fn random_mutations(file in 0usize..64, ops in proptest::collection::vec((0u8..4, any::<usize>(), any::<u8>()), 1..6)) {
            let mut b = good().clone();
            let paths: Vec<String> = b.files().map(|(p, _)| p.to_owned()).collect();
            let path = &paths[file % paths.len()];
            let mut data = b.get(path).unwrap().to_vec();
            for (op, at, byte) in ops {
                let at = if data.is_empty() { 0 } else { at % data.len() };
                match op {
                    0 if !data.is_empty() => data[at] = data[at].wrapping_add(byte | 1),
                    1 => data.insert(at, byte),
                    2 if !data.is_empty() => { data.remove(at); }
                    _ => data.truncate(at),
                }
            }
            let changed = Some(data.as_slice()) != good().get(path);
            b.put(path, data);
            let r = verify(&b);
            prop_assert!(!changed || !r.is_verified());
        }

        /// Whole bundles of random files never panic the verifier or the zip reader.
        #[test]
        fn random_bundles(files in proptest::collection::vec((0u8..6, 0u64..4, proptest::collection::vec(any::<u8>(), 0..200)), 0..8)) {
            let mut b = Bundle::new();
            for (kind, n, bytes) in files {
                let path = match kind {
                    0 => "origin".to_owned(),
                    1 => "log.vkey".to_owned(),
                    2 => "keys.txt".to_owned(),
                    3 => scrutineer::log::bundle::entry_path(n),
                    4 => scrutineer::log::bundle::checkpoint_path(n),
                    _ => scrutineer::log::bundle::receipt_path(n),
                };
                let _ = scrutineer::bundle_io::bundle_from_zip(&bytes);
                b.put(&path, bytes);
            }
            prop_assert!(!verify(&b).is_verified());
        }
    }
}

/// The replay counts plain ballots with the packed kernels and the rest
/// with the reference reader; the simulator publishes what
/// `rules::evaluate` (the reference counter over every ballot) says. Over
/// random rounds and ballots — more than 32 candidates included, so
/// ballots span two words — the two must agree exactly.
mod replay_matches_the_reference_counter {
    use super::*;
    use proptest::prelude::*;
    use scrutineer::rules::{Ballot, Mark, RoundKind};

    fn ballot(lines: usize) -> impl Strategy<Value = Ballot> {
        let mark = prop_oneof![
            6 => Just(Mark::For),
            3 => Just(Mark::Against),
            3 => Just(Mark::Abstain),
            1 => Just(Mark::Illegible),
        ];
        prop_oneof![
            12 => proptest::collection::vec(mark, lines).prop_map(Ballot::marked),
            1 => Just(Ballot::Void { reason: "废票".into() }),
            1 => (0..lines, proptest::collection::vec(prop_oneof![Just(Mark::For), Just(Mark::Against)], lines))
                .prop_map(|(line, marks)| Ballot::Marked { marks, write_ins: vec![(line, "另选".into())], names: vec![] }),
        ]
    }

    fn round() -> impl Strategy<Value = (RoundKind, usize, u64, Vec<Ballot>)> {
        (
            prop_oneof![
                Just(RoundKind::Formal),
                Just(RoundKind::Preliminary),
                Just(RoundKind::Nomination),
                Just(RoundKind::Evaluation),
                Just(RoundKind::Cadre),
                Just(RoundKind::Resolution),
            ],
            prop_oneof![1usize..8, 30usize..40],
        )
            .prop_flat_map(|(kind, lines)| {
                (
                    Just(kind),
                    Just(lines),
                    1..=lines as u64,
                    proptest::collection::vec(ballot(lines), 0..120),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn on_random_rounds((kind, lines, seats, ballots) in round()) {
            let mut s = sim::Sim::new(200);
            s.attendance(190);
            let names: Vec<String> = (0..lines).map(|i| format!("候选人{i}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let next = matches!(kind, RoundKind::Preliminary | RoundKind::Nomination).then_some(seats);
            s.open("r", kind, seats, &names, next, 200, 190, 190);
            s.ballots("r", &ballots, 50);
            s.close_and_tally("r", ballots.len() as u64);
            s.cosign("r", &[0, 1]);
            let r = verify(&s.bundle());
            prop_assert!(
                r.is_verified(),
                "{}",
                r.failures().map(|f| f.to_string()).collect::<Vec<_>>().join("\n")
            );
            prop_assert!(r.tallies.len() == 1 && r.tallies[0].matches);
            prop_assert!(r.tallies[0].certification.is_certified());
        }
    }
}

/// The verifier's report with every signature checked by `verify_strict`
/// alone (`scrutineer verify --strict`), on one core.
fn verify_strict(b: &Bundle) -> VerifyReport {
    use scrutineer::log::verify::{check_entries_strict, verify_checked_with, Signatures};
    verify_checked_with(
        b,
        &[],
        &Default::default(),
        Signatures::Strict,
        check_entries_strict,
    )
}

/// Appends `entry` (its bytes as given, signature and all) to the log and
/// signs a checkpoint that covers it.
fn append_raw(s: &mut sim::Sim, bytes: Vec<u8>) -> u64 {
    s.tree.append(&bytes);
    s.entries.push(bytes);
    s.checkpoint();
    s.entries.len() as u64 - 1
}

/// A person's entry (the organiser's attendance) by `author`, with
/// `signature` whatever it is.
fn organiser_entry(s: &sim::Sim, author: [u8; 32], signature: [u8; 64]) -> Vec<u8> {
    use scrutineer::log::entry::{AuthorRole, Entry};
    use scrutineer::log::event::{self, Event};
    let event = Event::AttendanceRecorded {
        present: 90,
        by: Some(s.organiser.0.clone()),
    };
    let entry = Entry::prepare(
        sim::kind_of(&event),
        1_700_000_999_000,
        AuthorRole::Clerk,
        author,
        &event::encode(&event),
    )
    .unwrap();
    let mut bytes = entry.encode();
    bytes.extend_from_slice(&signature);
    bytes
}

/// The step 6 failures of a report: (entry, message).
fn signature_failures(r: &VerifyReport) -> Vec<(Option<u64>, String)> {
    r.step(Step::EntrySignatures)
        .failures
        .iter()
        .map(|f| (f.entry, f.message.clone()))
        .collect()
}

/// Issue 15: the entries' signatures are checked in one batch per run; one
/// bad signature among a meeting's hundreds fails that batch, and the
/// per-entry `verify_strict` that follows names exactly that entry, on one
/// core and on all, as `--strict` does.
#[test]
fn one_bad_signature_among_many_fails_naming_that_entry() {
    let mut s = sim::meeting();
    let signed = {
        let k = s.organiser.1.clone();
        let good = organiser_entry(&s, k.verifying_key().to_bytes(), [0; 64]);
        // Sign the entry as its author would, then break one bit.
        let e = scrutineer::log::entry::Entry::decode(&good).unwrap();
        use ed25519_dalek::Signer as _;
        let mut sig = k.sign(&e.signed_message()).to_bytes();
        sig[17] ^= 0x04;
        organiser_entry(&s, k.verifying_key().to_bytes(), sig)
    };
    let at = append_raw(&mut s, signed);
    let b = s.bundle();
    assert!(b.files().filter(|(p, _)| p.starts_with("entries/")).count() > 20);
    let r = check_fails_at(&b, Step::EntrySignatures, "one bad signature");
    let expected = vec![(Some(at), "entry signature does not verify".to_owned())];
    assert_eq!(signature_failures(&r), expected);
    assert_eq!(scrutineer::bundle_io::verify_parallel(&b), r);
    assert_eq!(verify_strict(&b), r, "--strict gives the same report");
    assert_eq!(scrutineer::bundle_io::verify_parallel_strict(&b), r);
}

/// A signature that the cofactorless batch equation alone accepts for any
/// message — the identity as the key and as R, s = 0 — is refused: the
/// weak key and the small-order R never enter a batch, and
/// `verify_strict` rejects it.
#[test]
fn a_weak_key_and_a_small_order_r_are_refused_by_the_batch_path() {
    let mut s = sim::meeting();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut forged = [0u8; 64];
    forged[..32].copy_from_slice(&identity);
    let weak = organiser_entry(&s, identity, forged);
    let at = append_raw(&mut s, weak);
    // A good key with a small-order R (the identity) and s = 0.
    let k = s.organiser.1.verifying_key().to_bytes();
    let small_r = organiser_entry(&s, k, forged);
    let at2 = append_raw(&mut s, small_r);
    let b = s.bundle();
    let r = check_fails_at(&b, Step::EntrySignatures, "forged signatures");
    let entries: Vec<Option<u64>> = signature_failures(&r).iter().map(|f| f.0).collect();
    assert_eq!(entries, [Some(at), Some(at2)]);
    assert_eq!(verify_strict(&b), r);
    assert_eq!(scrutineer::bundle_io::verify_parallel(&b), r);
}

/// Every tampered bundle of the byte-flip test above gets the same report
/// whether its signatures are batched or checked strictly (a sample: every
/// file's first and last byte).
#[test]
fn batched_and_strict_signatures_give_the_same_reports() {
    let good = sim::meeting().bundle();
    assert_eq!(verify(&good), verify_strict(&good));
    let mut cases: Vec<(String, usize)> = Vec::new();
    for (path, bytes) in good.files() {
        if path.starts_with("checkpoints/") || path.starts_with("entries/0000000") {
            cases.push((path.to_owned(), 0));
            cases.push((path.to_owned(), bytes.len() - 1));
            cases.push((path.to_owned(), bytes.len() / 2));
        }
    }
    for (path, at) in cases {
        let mut b = good.clone();
        let mut m = good.get(&path).unwrap().to_vec();
        m[at] ^= 0x01;
        b.put(&path, m);
        assert_eq!(verify(&b), verify_strict(&b), "{path} byte {at}");
    }
}
