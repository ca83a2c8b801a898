//! The audit bundle of one meeting's log, in memory: PURE, no file access.
//!
//! A bundle is a set of files (path → bytes); `docs/audit-bundle.md` is the
//! normative description. This module names the files, builds a bundle from
//! the log's entries and checkpoints, and splits a bundle into typed parts
//! with precise errors. the verifier (`log::verify`) decides whether the parts hold
//! together; the glue that reads directories and zip files lives outside
//! the pure modules (`crate::bundle_io`).
//!
//! ```text
//! origin                      the log origin line, "\n"-terminated
//! log.vkey                    C2SP vkey of the log key (type 0x01), "\n"-terminated
//! keys.txt                    registered keys: index TAB role TAB name TAB key, derived from the log
//! entries/00000000.bin ...    each entry's exact bytes (the Merkle leaves), numbered from 0 without gaps
//! checkpoints/00000042.note   every signed checkpoint note, named by its tree size
//! receipts/00000007.proof     optional C2SP tlog-proof receipts, named by the entry index
//! ```

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::event::{self, Event};
use super::merkle::{leaf_hash, LeafIndex, Tree};
use super::note::{KeyId, Note, NoteSignature, VerifierKey};
use super::proof::InclusionReceipt;

/// The origin file.
pub const ORIGIN_FILE: &str = "origin";
/// The log key file.
pub const LOG_KEY_FILE: &str = "log.vkey";
/// The registered keys file.
pub const KEYS_FILE: &str = "keys.txt";
/// Folder of entry files.
pub const ENTRIES_DIR: &str = "entries/";
/// Folder of checkpoint notes.
pub const CHECKPOINTS_DIR: &str = "checkpoints/";
/// Folder of receipts.
pub const RECEIPTS_DIR: &str = "receipts/";

/// Most files a bundle may hold; a meeting of a million ballots needs a few
/// hundred.
pub const MAX_FILES: usize = 1 << 20;

/// First line of `keys.txt`.
pub const KEYS_HEADER: &str =
    "# scrutineer audit bundle v1: keys registered in the log (entry, role, name, key), in log order\n";

/// Why a bundle cannot be built or a file is not where the format puts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// A path that is not relative, `/`-separated printable ASCII without
    /// empty, `.` or `..` components.
    BadPath { path: String },
    /// The same path twice.
    DuplicatePath { path: String },
    /// More than [`MAX_FILES`] files.
    TooManyFiles,
    /// A required file is absent.
    Missing { path: &'static str },
    /// A file the format does not define.
    Unexpected { path: String },
    /// A numbered file whose number is not 8 or more zero-padded digits.
    BadNumber { path: String },
    /// Entry files must run from 0 without gaps.
    EntryGap { missing: u64 },
    /// A text file is not UTF-8.
    NotUtf8 { path: String },
    /// A one-line file is not exactly one `\n`-terminated line.
    NotOneLine { path: &'static str },
    /// `log.vkey` is not a C2SP Ed25519 (type 0x01) verifier key.
    LogKey { reason: String },
    /// A `keys.txt` line is malformed.
    KeysLine { line: usize, reason: String },
    /// An entry given to [`Bundle::from_log`] does not decode.
    Entry { index: u64, reason: String },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::BadPath { path } => write!(
                f,
                "{path:?}: not a bundle path (relative, '/'-separated, printable ASCII, no '.' or '..')"
            ),
            BundleError::DuplicatePath { path } => write!(f, "{path}: present twice"),
            BundleError::TooManyFiles => write!(f, "more than {MAX_FILES} files"),
            BundleError::Missing { path } => write!(f, "{path}: missing"),
            BundleError::Unexpected { path } => {
                write!(f, "{path}: not a file of the bundle format")
            }
            BundleError::BadNumber { path } => write!(
                f,
                "{path}: expected a number of at least 8 zero-padded digits, e.g. 00000042"
            ),
            BundleError::EntryGap { missing } => {
                write!(f, "{}: missing (entries run from 0 without gaps)", entry_path(*missing))
            }
            BundleError::NotUtf8 { path } => write!(f, "{path}: not UTF-8 text"),
            BundleError::NotOneLine { path } => {
                write!(f, "{path}: expected exactly one line ending in a newline")
            }
            BundleError::LogKey { reason } => write!(f, "{LOG_KEY_FILE}: {reason}"),
            BundleError::KeysLine { line, reason } => write!(f, "{KEYS_FILE} line {line}: {reason}"),
            BundleError::Entry { index, reason } => write!(f, "entry {index}: {reason}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Path of entry `index`: `entries/00000042.bin`.
pub fn entry_path(index: u64) -> String {
    format!("{ENTRIES_DIR}{index:08}.bin")
}

/// Path of the checkpoint of tree size `size`: `checkpoints/00000042.note`.
pub fn checkpoint_path(size: u64) -> String {
    format!("{CHECKPOINTS_DIR}{size:08}.note")
}

/// Path of the receipt of entry `index`: `receipts/00000042.proof`.
pub fn receipt_path(index: u64) -> String {
    format!("{RECEIPTS_DIR}{index:08}.proof")
}

/// The number in `dir` + digits + `ext`, if canonical (`{:08}`).
fn numbered(path: &str, dir: &str, ext: &str) -> Option<Result<u64, BundleError>> {
    let digits = path.strip_prefix(dir)?.strip_suffix(ext)?;
    let bad = || BundleError::BadNumber {
        path: path.to_owned(),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Err(bad()));
    }
    Some(match digits.parse::<u64>() {
        Ok(n) if format!("{n:08}") == digits => Ok(n),
        _ => Err(bad()),
    })
}

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.bytes().all(|b| b.is_ascii_graphic())
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// A bundle: file paths (relative, `/`-separated) to their bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Bundle {
        Bundle::default()
    }

    /// Adds a file; refuses a malformed or repeated path.
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), BundleError> {
        if !valid_path(path) {
            return Err(BundleError::BadPath {
                path: path.to_owned(),
            });
        }
        if self.files.len() >= MAX_FILES {
            return Err(BundleError::TooManyFiles);
        }
        if self.files.contains_key(path) {
            return Err(BundleError::DuplicatePath {
                path: path.to_owned(),
            });
        }
        self.files.insert(path.to_owned(), bytes);
        Ok(())
    }

    /// Replaces or adds a file without checks (tests tamper with bundles).
    pub fn put(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_owned(), bytes);
    }

    /// Removes a file, returning its bytes.
    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    /// The bytes of a file.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Every file, by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Builds the bundle of a log: its origin, its key, every entry (in
    /// order, as stored) and every signed checkpoint note (text as signed,
    /// with whatever cosignatures it carries). Cosignatures recorded in the
    /// log as `result_cosigned` events are added to the note of the
    /// checkpoint they sign, when the log holds that checkpoint. Writes
    /// `keys.txt` from the log's `key_registered` entries.
    pub fn from_log(
        origin: &str,
        log_key: &VerifierKey,
        entries: &[Vec<u8>],
        checkpoints: &[String],
    ) -> Result<Bundle, BundleError> {
        let mut b = Bundle::new();
        b.insert(ORIGIN_FILE, format!("{origin}\n").into_bytes())?;
        b.insert(LOG_KEY_FILE, format!("{log_key}\n").into_bytes())?;
        let mut registrations = Vec::new();
        // Every key a scrutineer held (a lost device's, then its approved
        // replacement), newest last: (name, key).
        let mut scrutineer_keys: Vec<(String, String)> = Vec::new();
        let mut cosignatures: Vec<(u64, NoteSignature)> = Vec::new();
        for (i, bytes) in entries.iter().enumerate() {
            let index = i as u64;
            let entry = Entry::decode(bytes).map_err(|e| BundleError::Entry {
                index,
                reason: e.to_string(),
            })?;
            match event::decode(entry.payload()) {
                Ok(Event::KeyRegistered {
                    role, name, key, ..
                }) => {
                    if super::event::is_scrutineer_role(&role) {
                        scrutineer_keys.push((name.clone(), key.clone()));
                    }
                    registrations.push(KeyLine {
                        entry: index,
                        role,
                        name,
                        key,
                    })
                }
                Ok(Event::KeyReplacementApproved {
                    role, name, key, ..
                }) if super::event::is_scrutineer_role(&role) => {
                    scrutineer_keys.push((name, key));
                }
                Ok(Event::ResultCosigned {
                    scrutineer,
                    checkpoint_size,
                    signature,
                    ..
                }) => {
                    let line = scrutineer_keys
                        .iter()
                        .rev()
                        .filter(|(name, _)| *name == scrutineer)
                        .filter_map(|(_, key)| VerifierKey::parse(key).ok())
                        .find_map(|k| cosignature_line(&k, &signature));
                    if let Some(line) = line {
                        cosignatures.push((checkpoint_size, line));
                    }
                }
                _ => {}
            }
            b.insert(&entry_path(index), bytes.clone())?;
        }
        b.insert(KEYS_FILE, render_keys(&registrations).into_bytes())?;
        for text in checkpoints {
            let bad = || BundleError::Unexpected {
                path: format!("checkpoint note {text:?}"),
            };
            let mut note = Note::parse(text).map_err(|_| bad())?;
            let size = Checkpoint::parse(note.text()).map_err(|_| bad())?.size().0;
            for (at, line) in &cosignatures {
                if *at == size {
                    note.add_signature(line.clone());
                }
            }
            b.insert(&checkpoint_path(size), note.to_string().into_bytes())?;
        }
        Ok(b)
    }

    /// The tlog-proof receipt of entry `index` under the bundle's
    /// checkpoint of `size` (cosignatures included), with the entry's leaf
    /// hash as `extra` (§8). `None` when the bundle lacks that entry or
    /// checkpoint, or the checkpoint is not of the bundle's entries.
    pub fn receipt(&self, index: u64, size: u64) -> Option<InclusionReceipt> {
        let note = Note::from_bytes(self.get(&checkpoint_path(size))?).ok()?;
        let parts = self.parts();
        let covered = parts.entries.get(..usize::try_from(size).ok()?)?;
        let tree = Tree::from_leaf_hashes(covered.iter().map(|e| leaf_hash(e)));
        InclusionReceipt::for_entry(&tree, LeafIndex(index), &note).ok()
    }

    /// Splits the bundle into its parts. Layout problems (missing, extra or
    /// misnamed files) are collected in [`Parts::problems`], not returned as
    /// an error: a verifier reports them all, as one step.
    pub fn parts(&self) -> Parts<'_> {
        let mut p = Parts::default();
        let mut entries: BTreeMap<u64, &[u8]> = BTreeMap::new();
        for (path, bytes) in &self.files {
            let bytes = bytes.as_slice();
            match path.as_str() {
                ORIGIN_FILE => p.origin = Some(bytes),
                LOG_KEY_FILE => p.log_key = Some(bytes),
                KEYS_FILE => p.keys = Some(bytes),
                _ => {
                    if let Some(n) = numbered(path, ENTRIES_DIR, ".bin") {
                        match n {
                            Ok(i) => {
                                entries.insert(i, bytes);
                            }
                            Err(e) => p.problems.push(e),
                        }
                    } else if let Some(n) = numbered(path, CHECKPOINTS_DIR, ".note") {
                        match n {
                            Ok(size) => p.checkpoints.push(NumberedFile {
                                number: size,
                                path,
                                bytes,
                            }),
                            Err(e) => p.problems.push(e),
                        }
                    } else if let Some(n) = numbered(path, RECEIPTS_DIR, ".proof") {
                        match n {
                            Ok(index) => p.receipts.push(NumberedFile {
                                number: index,
                                path,
                                bytes,
                            }),
                            Err(e) => p.problems.push(e),
                        }
                    } else {
                        p.problems
                            .push(BundleError::Unexpected { path: path.clone() });
                    }
                }
            }
        }
        for (path, present) in [
            (ORIGIN_FILE, p.origin.is_some()),
            (LOG_KEY_FILE, p.log_key.is_some()),
            (KEYS_FILE, p.keys.is_some()),
        ] {
            if !present {
                p.problems.push(BundleError::Missing { path });
            }
        }
        // Entries in index order, stopping at the first gap: the tree is
        // defined by the entries 0..n.
        for (expected, (index, bytes)) in entries.iter().enumerate() {
            if *index != expected as u64 {
                p.entry_gap = Some(expected as u64);
                p.problems.push(BundleError::EntryGap {
                    missing: expected as u64,
                });
                break;
            }
            p.entries.push(bytes);
        }
        p.checkpoints.sort_by_key(|c| c.number);
        p.receipts.sort_by_key(|c| c.number);
        p
    }
}

/// A file named by a number (checkpoint size or entry index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberedFile<'a> {
    pub number: u64,
    pub path: &'a str,
    pub bytes: &'a [u8],
}

/// A bundle split by file kind. Nothing here is verified yet.
#[derive(Clone, Debug, Default)]
pub struct Parts<'a> {
    pub origin: Option<&'a [u8]>,
    pub log_key: Option<&'a [u8]>,
    pub keys: Option<&'a [u8]>,
    /// Entries 0..n, up to the first gap.
    pub entries: Vec<&'a [u8]>,
    /// The first missing entry index, when later entries exist.
    pub entry_gap: Option<u64>,
    /// Checkpoints by increasing size.
    pub checkpoints: Vec<NumberedFile<'a>>,
    /// Receipts by increasing entry index.
    pub receipts: Vec<NumberedFile<'a>>,
    /// Missing required files, unknown files, misnamed files, entry gaps.
    pub problems: Vec<BundleError>,
}

/// The `signature` member of a `result_cosigned` event for a cosignature
/// line: base64 of its key ID, timestamp and Ed25519 signature (the
/// inverse of [`cosignature_line`]).
pub fn cosignature_value(line: &NoteSignature) -> String {
    let mut blob = line.id().0.to_vec();
    blob.extend_from_slice(line.signature());
    BASE64.encode(blob)
}

/// The note signature line of a `result_cosigned` event's `signature`
/// (base64 of key ID, timestamp and Ed25519 signature) by `key`.
pub fn cosignature_line(key: &VerifierKey, signature: &str) -> Option<NoteSignature> {
    let blob = BASE64.decode(signature).ok()?;
    let (id, rest) = (blob.get(..4)?, blob.get(4..)?);
    let id = KeyId([id[0], id[1], id[2], id[3]]);
    (id == key.id()).then_some(())?;
    NoteSignature::new(key.name().clone(), id, rest.to_vec())
}

/// The text of a one-line file (`origin`, `log.vkey`) without its newline.
pub fn one_line<'a>(path: &'static str, bytes: &'a [u8]) -> Result<&'a str, BundleError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| BundleError::NotUtf8 { path: path.into() })?;
    match text.strip_suffix('\n') {
        Some(line) if !line.is_empty() && !line.contains('\n') && !line.contains('\r') => Ok(line),
        _ => Err(BundleError::NotOneLine { path }),
    }
}

/// Parses `log.vkey`: a C2SP verifier key of type 0x01 on one line.
pub fn parse_log_key(bytes: &[u8]) -> Result<VerifierKey, BundleError> {
    let line = one_line(LOG_KEY_FILE, bytes)?;
    let key = VerifierKey::parse(line).map_err(|e| BundleError::LogKey {
        reason: e.to_string(),
    })?;
    if key.sig_type() != super::note::SignatureType::Ed25519 {
        return Err(BundleError::LogKey {
            reason: "not an Ed25519 note key (type 0x01)".into(),
        });
    }
    Ok(key)
}

/// One line of `keys.txt`: a `key_registered` entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLine {
    /// Index of the `key_registered` entry.
    pub entry: u64,
    pub role: String,
    pub name: String,
    /// As registered: a C2SP vkey or 64 hex digits.
    pub key: String,
}

/// A text cell safe to open in a spreadsheet: a cell beginning with `=`,
/// `+`, `-`, `@`, a tab or a carriage return would be read as a formula
/// (CSV/formula injection), so it gets a leading `'`, which spreadsheets
/// show as text and do not display.
pub fn spreadsheet_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

impl KeyLine {
    /// The line as `keys.txt` writes it: every text cell through
    /// [`spreadsheet_cell`].
    pub fn as_written(&self) -> KeyLine {
        KeyLine {
            entry: self.entry,
            role: spreadsheet_cell(&self.role).into_owned(),
            name: spreadsheet_cell(&self.name).into_owned(),
            key: spreadsheet_cell(&self.key).into_owned(),
        }
    }
}

/// `keys.txt` for these registrations: the header line, then
/// `entry TAB role TAB name TAB key` per registration, in log order; the
/// text cells [`spreadsheet_cell`]s.
pub fn render_keys(lines: &[KeyLine]) -> String {
    let mut out = String::from(KEYS_HEADER);
    for l in lines {
        let w = l.as_written();
        out.push_str(&format!("{}\t{}\t{}\t{}\n", w.entry, w.role, w.name, w.key));
    }
    out
}

/// Parses `keys.txt` (syntax only; the verifier (`log::verify`) compares it with the
/// log's registrations).
pub fn parse_keys(bytes: &[u8]) -> Result<Vec<KeyLine>, BundleError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BundleError::NotUtf8 {
        path: KEYS_FILE.into(),
    })?;
    let body = text
        .strip_prefix(KEYS_HEADER)
        .ok_or(BundleError::KeysLine {
            line: 1,
            reason: format!("expected the header {:?}", KEYS_HEADER.trim_end()),
        })?;
    let mut out = Vec::new();
    if body.is_empty() {
        return Ok(out);
    }
    let Some(body) = body.strip_suffix('\n') else {
        return Err(BundleError::KeysLine {
            line: text.lines().count(),
            reason: "does not end in a newline".into(),
        });
    };
    for (i, line) in body.split('\n').enumerate() {
        let bad = |reason: &str| BundleError::KeysLine {
            line: i + 2,
            reason: reason.into(),
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [entry, role, name, key] = fields.as_slice() else {
            return Err(bad(
                "expected 4 tab-separated fields: entry, role, name, key",
            ));
        };
        let entry = super::checkpoint::parse_decimal(entry)
            .ok_or_else(|| bad("entry index is not a decimal number"))?;
        if role.is_empty() || name.is_empty() || key.is_empty() {
            return Err(bad("empty field"));
        }
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(bad("control character"));
        }
        out.push(KeyLine {
            entry,
            role: (*role).to_owned(),
            name: (*name).to_owned(),
            key: (*key).to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_are_canonical() {
        let check = |p: &str, want: Option<Result<u64, ()>>| {
            assert_eq!(
                numbered(p, ENTRIES_DIR, ".bin").map(|r| r.map_err(|_| ())),
                want,
                "{p}"
            )
        };
        check("entries/00000000.bin", Some(Ok(0)));
        check("entries/00000042.bin", Some(Ok(42)));
        check("entries/123456789.bin", Some(Ok(123_456_789)));
        check("entries/0000042.bin", Some(Err(())));
        check("entries/000000042.bin", Some(Err(())));
        check("entries/+0000042.bin", Some(Err(())));
        check("entries/.bin", Some(Err(())));
        check("entries/00000042.txt", None);
        assert_eq!(entry_path(7), "entries/00000007.bin");
        assert_eq!(
            checkpoint_path(1_000_000_000),
            "checkpoints/1000000000.note"
        );
    }

    #[test]
    fn paths_are_checked() {
        let mut b = Bundle::new();
        for bad in ["", "/abs", "a//b", "../x", "a/./b", "a b", "a\\b", "é"] {
            assert!(b.insert(bad, vec![]).is_err(), "{bad:?}");
        }
        assert!(b.insert("origin", vec![]).is_ok());
        assert_eq!(
            b.insert("origin", vec![]),
            Err(BundleError::DuplicatePath {
                path: "origin".into()
            })
        );
    }

    #[test]
    fn parts_report_layout_problems() {
        let mut b = Bundle::new();
        b.put("entries/00000000.bin", vec![1]);
        b.put("entries/00000002.bin", vec![3]);
        b.put("checkpoints/00000002.note", vec![]);
        b.put("checkpoints/0002.note", vec![]);
        b.put("notes.txt", vec![]);
        let p = b.parts();
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entry_gap, Some(1));
        assert_eq!(p.checkpoints.len(), 1);
        assert!(p.problems.contains(&BundleError::EntryGap { missing: 1 }));
        assert!(p
            .problems
            .contains(&BundleError::Missing { path: ORIGIN_FILE }));
        assert!(p.problems.contains(&BundleError::Unexpected {
            path: "notes.txt".into()
        }));
        assert!(p.problems.contains(&BundleError::BadNumber {
            path: "checkpoints/0002.note".into()
        }));
    }

    #[test]
    fn keys_file_round_trips() {
        let lines = vec![KeyLine {
            entry: 3,
            role: "scrutineer".into(),
            name: "张三".into(),
            key: "zhang+01020304+BAAA".into(),
        }];
        let text = render_keys(&lines);
        assert_eq!(parse_keys(text.as_bytes()), Ok(lines));
        assert_eq!(parse_keys(KEYS_HEADER.as_bytes()), Ok(vec![]));
        assert!(parse_keys(b"3\tscrutineer\n").is_err());
        assert!(parse_keys(format!("{KEYS_HEADER}x\ty\tz\tw\n").as_bytes()).is_err());
        assert!(parse_keys(format!("{KEYS_HEADER}1\ty\tz\tw").as_bytes()).is_err());
    }
}
