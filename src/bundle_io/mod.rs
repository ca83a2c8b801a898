//! Reading and writing audit bundles on disk: a directory or a zip of it.
//!
//! This is glue around the pure [`crate::log::bundle::Bundle`] (path →
//! bytes): it walks a directory, or unpacks a stored zip with the small
//! reader in [`zip`], and writes either form. What the files mean is
//! decided by [`crate::log::verify`], never here.
//!
//! Errors here are "unreadable input" (exit 2 of `scrutineer verify`):
//! the bundle could not even be read. A bundle that reads but does not
//! verify is a verification failure (exit 1).

pub mod zip;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::log::bundle::{Bundle, BundleError, ORIGIN_FILE};
use crate::log::note::VerifierKey;
use crate::log::verify::{
    check_entries_with, verify_checked_with, EntryCheck, GivenReceipt, Signatures, VerifyReport,
};

/// Why a bundle could not be read or written.
#[derive(Debug)]
pub enum BundleIoError {
    /// The file system refused.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The zip archive is not one this reader accepts.
    Zip { path: PathBuf, error: zip::ZipError },
    /// A file name is not a bundle path, or is present twice.
    Layout { path: PathBuf, error: BundleError },
    /// Symbolic links and special files are not followed.
    NotAFile { path: PathBuf },
    /// The output exists and is not an empty directory.
    OutputExists { path: PathBuf },
}

impl fmt::Display for BundleIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleIoError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            BundleIoError::Zip { path, error } => write!(f, "{}: {error}", path.display()),
            BundleIoError::Layout { path, error } => write!(f, "{}: {error}", path.display()),
            BundleIoError::NotAFile { path } => write!(
                f,
                "{}: not a regular file or directory (links are not followed)",
                path.display()
            ),
            BundleIoError::OutputExists { path } => write!(
                f,
                "{}: already exists; expected a new path or an empty directory",
                path.display()
            ),
        }
    }
}

impl std::error::Error for BundleIoError {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleIoError + '_ {
    move |error| BundleIoError::Io {
        path: path.to_owned(),
        error,
    }
}

/// Reads a bundle from a directory, or from a zip file (by its first
/// bytes, whatever its name).
pub fn read_bundle(path: &Path) -> Result<Bundle, BundleIoError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.is_dir() {
        read_dir(path)
    } else {
        let bytes = std::fs::read(path).map_err(io(path))?;
        bundle_from_zip(&bytes).map_err(|e| match e {
            ZipOrLayout::Zip(error) => BundleIoError::Zip {
                path: path.to_owned(),
                error,
            },
            ZipOrLayout::Layout(error) => BundleIoError::Layout {
                path: path.to_owned(),
                error,
            },
        })
    }
}

/// Why zip bytes are not a bundle.
#[derive(Debug, PartialEq, Eq)]
pub enum ZipOrLayout {
    Zip(zip::ZipError),
    Layout(BundleError),
}

impl fmt::Display for ZipOrLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipOrLayout::Zip(e) => write!(f, "{e}"),
            ZipOrLayout::Layout(e) => write!(f, "{e}"),
        }
    }
}

/// A bundle from the bytes of a zip. If the bundle's files sit in one
/// top-level folder (as `zip -0 -r bundle.zip bundle/` makes), the folder
/// is stripped.
pub fn bundle_from_zip(bytes: &[u8]) -> Result<Bundle, ZipOrLayout> {
    let files = zip::read(bytes).map_err(ZipOrLayout::Zip)?;
    let prefix = common_folder(files.iter().map(|(n, _)| n.as_str()));
    let mut bundle = Bundle::new();
    for (name, data) in files {
        let name = prefix
            .as_deref()
            .and_then(|p| name.strip_prefix(p))
            .unwrap_or(&name);
        bundle.insert(name, data).map_err(ZipOrLayout::Layout)?;
    }
    Ok(bundle)
}

/// `folder/` when there is no root `origin` but every name is under one
/// folder that has one.
fn common_folder<'a>(mut names: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    if names.clone().any(|n| n == ORIGIN_FILE) {
        return None;
    }
    let first = names.clone().next()?;
    let folder = format!("{}/", first.split('/').next()?);
    let all_under = names.clone().all(|n| n.starts_with(&folder));
    let has_origin = names.any(|n| n == format!("{folder}{ORIGIN_FILE}"));
    (all_under && has_origin).then_some(folder)
}

fn read_dir(root: &Path) -> Result<Bundle, BundleIoError> {
    let mut bundle = Bundle::new();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for item in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let item = item.map_err(io(&dir))?;
            let path = item.path();
            let kind = item.file_type().map_err(io(&path))?;
            let name = item
                .file_name()
                .into_string()
                .map_err(|_| BundleIoError::Layout {
                    path: path.clone(),
                    error: BundleError::BadPath {
                        path: path.display().to_string(),
                    },
                })?;
            let rel = format!("{prefix}{name}");
            if kind.is_dir() {
                stack.push((path, format!("{rel}/")));
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                bundle
                    .insert(&rel, bytes)
                    .map_err(|error| BundleIoError::Layout { path, error })?;
            } else {
                return Err(BundleIoError::NotAFile { path });
            }
        }
    }
    Ok(bundle)
}

/// Writes a bundle to `out`: a zip file when `out` ends in `.zip`, else a
/// directory (new, or empty).
pub fn write_bundle(bundle: &Bundle, out: &Path) -> Result<(), BundleIoError> {
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        write_zip(bundle, out)
    } else {
        write_dir(bundle, out)
    }
}

/// The bundle as stored-zip bytes (e.g. to serve over HTTP).
pub fn zip_bytes(bundle: &Bundle) -> Result<Vec<u8>, zip::ZipError> {
    zip::write(bundle.files())
}

/// Writes a zip file; refuses to overwrite.
pub fn write_zip(bundle: &Bundle, out: &Path) -> Result<(), BundleIoError> {
    let bytes = zip_bytes(bundle).map_err(|error| BundleIoError::Zip {
        path: out.to_owned(),
        error,
    })?;
    if out.exists() {
        return Err(BundleIoError::OutputExists {
            path: out.to_owned(),
        });
    }
    std::fs::write(out, bytes).map_err(io(out))
}

/// Writes a directory, which must not exist or be empty.
pub fn write_dir(bundle: &Bundle, out: &Path) -> Result<(), BundleIoError> {
    if out.exists() {
        let empty = std::fs::read_dir(out).map_err(io(out))?.next().is_none();
        if !empty {
            return Err(BundleIoError::OutputExists {
                path: out.to_owned(),
            });
        }
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    for (rel, bytes) in bundle.files() {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(())
}

/// [`crate::log::verify::verify`] with the per-entry checks (leaf hashes,
/// entry signatures, payload decoding: most of the work) spread over the
/// machine's cores. Same report, faster on big bundles.
pub fn verify_parallel(bundle: &Bundle) -> VerifyReport {
    verify_parallel_with(bundle, &[])
}

/// [`verify_parallel`], also checking `receipts` given beside the bundle
/// (`verify --receipt FILE`,
/// [`crate::log::verify::verify_receipts_with`]).
pub fn verify_parallel_with(bundle: &Bundle, receipts: &[GivenReceipt<'_>]) -> VerifyReport {
    verify_checked_with(
        bundle,
        receipts,
        &Default::default(),
        Signatures::Batch,
        |e| check_in_parallel(e, Signatures::Batch),
    )
}

/// [`verify_parallel`] with every signature checked with `verify_strict`
/// alone (`scrutineer verify --strict`).
pub fn verify_parallel_strict(bundle: &Bundle) -> VerifyReport {
    verify_checked_with(bundle, &[], &Default::default(), Signatures::Strict, |e| {
        check_in_parallel(e, Signatures::Strict)
    })
}

/// Verifies what `scrutineer verify` was given: a bundle, or a tiles
/// directory (`crate::log::tiles::is_tiles_dir`; `log_key` stands in for a
/// bare one's missing `log.vkey`), with `receipts` beside it, its
/// signatures checked as `signatures` says.
pub fn verify_any(
    files: &Bundle,
    log_key: Option<&VerifierKey>,
    receipts: &[GivenReceipt<'_>],
    pins: &crate::log::pins::Pins,
    signatures: Signatures,
) -> VerifyReport {
    let map = |e: &[&[u8]]| check_in_parallel(e, signatures);
    if crate::log::tiles::is_tiles_dir(files) {
        crate::log::verify::verify_tiles_checked_with(
            files, log_key, receipts, pins, signatures, map,
        )
    } else {
        verify_checked_with(files, receipts, pins, signatures, map)
    }
}

/// [`check_entries_with`] on all cores: one run of entries per core, each
/// run's signatures in one batch.
fn check_in_parallel(entries: &[&[u8]], signatures: Signatures) -> Vec<EntryCheck> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let check_entries = |run: &[&[u8]]| check_entries_with(run, signatures);
    {
        if threads < 2 || entries.len() < 2 {
            return check_entries(entries);
        }
        // Contiguous runs of about equal bytes: the work of an entry is
        // proportional to its size, and sizes alternate in a log (a small
        // commitment, a big batch), so neither counting nor striding by
        // entries balances the threads.
        let total: usize = entries.iter().map(|e| e.len()).sum();
        let share = total.div_ceil(threads).max(1);
        let mut runs: Vec<&[&[u8]]> = Vec::with_capacity(threads);
        let (mut start, mut acc) = (0, 0);
        for (i, e) in entries.iter().enumerate() {
            acc += e.len();
            if acc >= share && runs.len() + 1 < threads {
                runs.push(&entries[start..=i]);
                (start, acc) = (i + 1, 0);
            }
        }
        runs.push(&entries[start..]);
        let done: Vec<Option<Vec<EntryCheck>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .iter()
                .map(|run| scope.spawn(move || check_entries(run)))
                .collect();
            // A thread that panicked gives `None`; its run is checked
            // below on this thread.
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        runs.iter()
            .zip(done)
            .flat_map(|(run, checks)| checks.unwrap_or_else(|| check_entries(run)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_top_folder_is_stripped() {
        let names = ["b/origin", "b/entries/00000000.bin"];
        assert_eq!(common_folder(names.iter().copied()), Some("b/".into()));
        let names = ["origin", "b/x"];
        assert_eq!(common_folder(names.iter().copied()), None);
        let names = ["b/x", "c/origin"];
        assert_eq!(common_folder(names.iter().copied()), None);
    }
}
