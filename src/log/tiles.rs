//! The log as C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>): PURE.
//!
//! A tiles directory (or HTTP prefix) holds
//!
//! ```text
//! checkpoint                      the latest signed checkpoint note
//! tile/<L>/<N>[.p/<W>]            hash tiles: 256 hashes (8,192 bytes), or W < 256
//! tile/entries/<N>[.p/<W>]        entry bundles: each entry as a big-endian
//!                                 u16 length and its bytes
//! ```
//!
//! `<N>` is written in 3-digit groups, all but the last prefixed with `x`
//! (`1234067` → `x001/x234/067`). Level 0 tiles hold leaf hashes; a hash of
//! a tile at level `L ≥ 1` is the Merkle tree hash of a full tile at level
//! `L − 1`, so tile `N` at level `L` covers leaves `N·256^(L+1) ..
//! (N+1)·256^(L+1)`. The partial tile of level `L` for a tree of size `s`
//! has `⌊s / 256^L⌋ mod 256` hashes; empty tiles do not exist.
//!
//! Entries are at most 65,535 bytes (`docs/audit-bundle.md` §2), so each
//! fits the u16 length of an entry bundle.
//!
//! [`tiles`] computes every resource of a tree; [`tile`] one of them, for
//! any tree size up to the log's (the partial tiles of every size a
//! checkpoint was signed for); [`read_entry_bundle`] splits a bundle
//! back into entries.

use std::collections::BTreeMap;
use std::fmt;

use super::bundle::{
    checkpoint_path, entry_path, Bundle, CHECKPOINTS_DIR, ENTRIES_DIR, ORIGIN_FILE,
};
use super::checkpoint::Checkpoint;
use super::merkle::{leaf_hash, node_hash, Hash};
use super::note::{Note, VerifierKey};

/// Hashes in a full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;

/// The path of the checkpoint resource.
pub const CHECKPOINT: &str = "checkpoint";

/// Levels above this cannot exist in a tree of at most 2^64 leaves.
const MAX_LEVEL: u8 = 7;

/// What a tile path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileKind {
    /// Hash tile of level `0..=63`.
    Hash(u8),
    /// Entry bundle (the level-0 tile's entries).
    Entries,
}

/// One tile: kind, index within its level, width (1..=256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileRef {
    pub kind: TileKind,
    pub index: u64,
    pub width: u64,
}

impl TileRef {
    /// The level whose hashes the tile lists (entry bundles: 0).
    pub fn level(&self) -> u8 {
        match self.kind {
            TileKind::Hash(l) => l,
            TileKind::Entries => 0,
        }
    }

    /// The path, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hash(l) => l.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut n = self.index;
        let mut groups = vec![format!("{:03}", n % 1000)];
        while n >= 1000 {
            n /= 1000;
            groups.push(format!("x{:03}", n % 1000));
        }
        groups.reverse();
        let partial = if self.width == TILE_WIDTH {
            String::new()
        } else {
            format!(".p/{}", self.width)
        };
        format!("tile/{level}/{}{partial}", groups.join("/"))
    }

    /// Parses a tile path in its one spelling (anything else is `None`).
    pub fn parse(path: &str) -> Option<TileRef> {
        let rest = path.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let l: u8 = level.parse().ok()?;
            TileKind::Hash(l)
        };
        let (digits, width) = match rest.split_once(".p/") {
            Some((d, w)) => (d, w.parse::<u64>().ok()?),
            None => (rest, TILE_WIDTH),
        };
        let mut index: u64 = 0;
        for g in digits.split('/') {
            let g = g.strip_prefix('x').unwrap_or(g);
            if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(g.parse().ok()?)?;
        }
        let t = TileRef { kind, index, width };
        (t.width >= 1 && t.width <= TILE_WIDTH && t.path() == path).then_some(t)
    }
}

/// Why an entry bundle or a tiles directory is not what the tree says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TilesError {
    /// An entry bundle does not split into `u16` length-prefixed entries.
    MalformedBundle { path: String },
    /// An entry is too long for an entry bundle (never: entries are ≤ 65,535 bytes).
    EntryTooLong { index: u64 },
}

impl fmt::Display for TilesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TilesError::MalformedBundle { path } => {
                write!(f, "{path}: not a sequence of u16 length-prefixed entries")
            }
            TilesError::EntryTooLong { index } => {
                write!(f, "entry {index} is longer than 65,535 bytes")
            }
        }
    }
}

impl std::error::Error for TilesError {}

/// The stored hashes of a tree: `levels[l][i]` is the Merkle tree hash of
/// the `i`-th full, aligned run of `256^l` leaves.
struct Levels(Vec<Vec<Hash>>);

impl Levels {
    fn new(leaves: Vec<Hash>) -> Levels {
        let mut levels = vec![leaves];
        while levels.len() <= MAX_LEVEL as usize {
            let below = &levels[levels.len() - 1];
            let up: Vec<Hash> = below
                .chunks_exact(TILE_WIDTH as usize)
                .map(subtree_hash)
                .collect();
            if up.is_empty() {
                break;
            }
            levels.push(up);
        }
        Levels(levels)
    }

    /// The hashes of `t` in a tree of `size` leaves, if it exists there.
    fn tile(&self, t: &TileRef, size: u64) -> Option<&[Hash]> {
        let level = usize::from(t.level());
        let span = TILE_WIDTH.checked_pow(u32::from(t.level()))?;
        let at_level = size / span;
        let start = t.index.checked_mul(TILE_WIDTH)?;
        let end = start.checked_add(t.width)?;
        if end > at_level {
            return None;
        }
        // A partial tile exists only as the last tile of some size: its
        // width is below 256 (any width up to the level's count is the
        // partial tile of some smaller tree).
        let hashes = self.0.get(level)?;
        hashes.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }
}

/// MTH of a power-of-two run of hashes (a full tile, or part of one).
fn subtree_hash(hashes: &[Hash]) -> Hash {
    if hashes.len() == 1 {
        return hashes[0];
    }
    let (l, r) = hashes.split_at(hashes.len() / 2);
    node_hash(&subtree_hash(l), &subtree_hash(r))
}

/// The tiles of the tree of `entries` at its full size, each (path, bytes),
/// in path order: every full tile, the partial tile of each level, and the
/// entry bundles. The checkpoint is the caller's (it is signed).
pub fn tiles(entries: &[&[u8]]) -> Result<Vec<(String, Vec<u8>)>, TilesError> {
    let size = entries.len() as u64;
    let levels = Levels::new(entries.iter().map(|e| leaf_hash(e)).collect());
    let mut out = Vec::new();
    for level in 0..=MAX_LEVEL {
        let Some(span) = TILE_WIDTH.checked_pow(u32::from(level)) else {
            break;
        };
        let count = size / span;
        if count == 0 {
            break;
        }
        let kinds: &[TileKind] = if level == 0 {
            &[TileKind::Hash(0), TileKind::Entries]
        } else {
            &[TileKind::Hash(level)]
        };
        for n in 0..count.div_ceil(TILE_WIDTH) {
            let width = (count - n * TILE_WIDTH).min(TILE_WIDTH);
            for &kind in kinds {
                let t = TileRef {
                    kind,
                    index: n,
                    width,
                };
                let bytes = render(&t, &levels, entries, size)?;
                out.push((t.path(), bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One tile resource of the log of `entries` at tree size `size` (≤ the
/// number of entries): `None` if the path names no tile of that tree.
pub fn tile(entries: &[&[u8]], size: u64, path: &str) -> Option<Vec<u8>> {
    let t = TileRef::parse(path)?;
    let size = size.min(entries.len() as u64);
    let covered = entries.get(..usize::try_from(size).ok()?)?;
    let levels = Levels::new(covered.iter().map(|e| leaf_hash(e)).collect());
    render(&t, &levels, covered, size).ok()
}

fn render(
    t: &TileRef,
    levels: &Levels,
    entries: &[&[u8]],
    size: u64,
) -> Result<Vec<u8>, TilesError> {
    let missing = || TilesError::MalformedBundle { path: t.path() };
    let hashes = levels.tile(t, size).ok_or_else(missing)?;
    match t.kind {
        TileKind::Hash(_) => Ok(hashes.iter().flat_map(|h| h.0).collect()),
        TileKind::Entries => {
            let start = usize::try_from(t.index * TILE_WIDTH).map_err(|_| missing())?;
            let run = entries
                .get(start..start + hashes.len())
                .ok_or_else(missing)?;
            let mut out = Vec::new();
            for (i, e) in run.iter().enumerate() {
                let len = u16::try_from(e.len()).map_err(|_| TilesError::EntryTooLong {
                    index: (start + i) as u64,
                })?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(e);
            }
            Ok(out)
        }
    }
}

/// Splits an entry bundle into its entries.
pub fn read_entry_bundle(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, TilesError> {
    let bad = || TilesError::MalformedBundle {
        path: path.to_owned(),
    };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2).ok_or_else(bad)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (entry, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
        out.push(entry.to_vec());
        rest = tail;
        if out.len() as u64 > TILE_WIDTH {
            return Err(bad());
        }
    }
    Ok(out)
}

/// The tiles form of an audit bundle (`docs/audit-bundle.md` §14): the
/// bundle's files without `entries/`, plus `checkpoint` (the final
/// checkpoint note, as in `checkpoints/`), the hash tiles and the entry
/// bundles of all its entries. A tlog-tiles client reads `checkpoint` and
/// `tile/`; `scrutineer verify` reads the whole directory.
pub fn from_bundle(bundle: &Bundle) -> Result<Bundle, TilesError> {
    let parts = bundle.parts();
    let mut out = Bundle::new();
    for (path, bytes) in bundle.files() {
        if !path.starts_with(ENTRIES_DIR) {
            out.put(path, bytes.to_vec());
        }
    }
    if let Some(last) = parts.checkpoints.last() {
        out.put(CHECKPOINT, last.bytes.to_vec());
    }
    for (path, bytes) in tiles(&parts.entries)? {
        out.put(&path, bytes);
    }
    Ok(out)
}

/// Whether `files` is a tiles directory (it has a `checkpoint`).
pub fn is_tiles_dir(files: &Bundle) -> bool {
    files.get(CHECKPOINT).is_some()
}

/// The audit bundle a tiles directory holds, and what is wrong with its
/// tiles (each a message naming the file). The entries are read from the
/// entry bundles, in order; every hash tile and entry bundle must be the
/// one the entries give (none missing, none extra, byte for byte), and
/// `checkpoint` must be the bundle's final checkpoint. A bare tlog-tiles
/// directory (only `checkpoint` and `tile/`) gets its `origin` from the
/// checkpoint, `log.vkey` from `log_key` (the auditor's; without it the
/// bundle lacks `log.vkey` and fails step 1), `keys.txt` from the log and
/// `checkpoints/` from `checkpoint` alone.
pub fn to_bundle(files: &Bundle, log_key: Option<&VerifierKey>) -> (Bundle, Vec<String>) {
    let mut problems = Vec::new();
    let mut entries: Vec<Vec<u8>> = Vec::new();
    let mut n = 0u64;
    loop {
        let full = TileRef {
            kind: TileKind::Entries,
            index: n,
            width: TILE_WIDTH,
        }
        .path();
        if let Some(bytes) = files.get(&full) {
            match read_entry_bundle(&full, bytes) {
                Ok(e) if e.len() as u64 == TILE_WIDTH => entries.extend(e),
                Ok(_) => problems.push(format!("{full}: a full entry bundle holds 256 entries")),
                Err(e) => problems.push(e.to_string()),
            }
            n += 1;
            continue;
        }
        // The last bundle may be partial: the one with the largest width.
        let prefix = format!("{full}.p/");
        let partial = files
            .files()
            .filter(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, b)| Some((TileRef::parse(p)?.width, p, b)))
            .max_by_key(|(w, _, _)| *w);
        if let Some((w, path, bytes)) = partial {
            match read_entry_bundle(path, bytes) {
                Ok(e) if e.len() as u64 == w => entries.extend(e),
                Ok(_) => problems.push(format!("{path}: holds another number of entries than {w}")),
                Err(e) => problems.push(e.to_string()),
            }
        }
        break;
    }
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let checkpoint = files.get(CHECKPOINT).unwrap_or_default();
    let note = std::str::from_utf8(checkpoint)
        .ok()
        .and_then(|t| Note::parse(t).ok());
    let cp = note.as_ref().and_then(|n| Checkpoint::parse(n.text()).ok());
    if cp.is_none() {
        problems.push(format!("{CHECKPOINT}: not a signed checkpoint note"));
    }
    // The size the tiles are for: the checkpoint's.
    let size = cp.as_ref().map_or(refs.len() as u64, |c| c.size().0);
    let expected: BTreeMap<String, Vec<u8>> =
        match refs.get(..usize::try_from(size).unwrap_or(usize::MAX)) {
            Some(covered) => tiles(covered)
                .map(|t| t.into_iter().collect())
                .unwrap_or_default(),
            None => {
                problems.push(format!(
                    "{CHECKPOINT}: covers {size} entries, the entry bundles hold {}",
                    refs.len()
                ));
                BTreeMap::new()
            }
        };
    let is_tile = |p: &str| p.starts_with("tile/");
    for (path, bytes) in files.files().filter(|(p, _)| is_tile(p)) {
        match expected.get(path) {
            Some(want) if want.as_slice() == bytes => {}
            Some(_) => problems.push(format!("{path}: differs from the tile of the entries")),
            // A partial tile of an earlier size is allowed, if right.
            None => match tile(&refs, size, path) {
                Some(want) if want == bytes => {}
                _ => problems.push(format!("{path}: not a tile of the tree of size {size}")),
            },
        }
    }
    for path in expected.keys() {
        if files.get(path).is_none() {
            problems.push(format!("{path}: missing"));
        }
    }

    let mut bundle = Bundle::new();
    let bare = files.get(ORIGIN_FILE).is_none()
        && !files.files().any(|(p, _)| p.starts_with(CHECKPOINTS_DIR));
    if bare {
        if let (Some(c), Some(key)) = (&cp, log_key) {
            let notes = [String::from_utf8_lossy(checkpoint).into_owned()];
            match Bundle::from_log(c.origin(), key, &entries, &notes) {
                Ok(b) => return (b, problems),
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    for (path, bytes) in files.files() {
        if !is_tile(path) && path != CHECKPOINT {
            bundle.put(path, bytes.to_vec());
        }
    }
    if bare {
        if let Some(c) = &cp {
            bundle.put(ORIGIN_FILE, format!("{}\n", c.origin()).into_bytes());
            bundle.put(&checkpoint_path(c.size().0), checkpoint.to_vec());
        }
    } else if let Some(last) = bundle.parts().checkpoints.last() {
        if last.bytes != checkpoint {
            problems.push(format!(
                "{CHECKPOINT}: is not the final checkpoint {}",
                last.path
            ));
        }
    }
    for (i, e) in entries.into_iter().enumerate() {
        bundle.put(&entry_path(i as u64), e);
    }
    (bundle, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::merkle::Tree;

    #[test]
    fn paths_follow_the_spec() {
        let t = |kind, index, width| TileRef { kind, index, width }.path();
        assert_eq!(t(TileKind::Hash(0), 0, 256), "tile/0/000");
        assert_eq!(
            t(TileKind::Hash(4), 1_234_067, 1),
            "tile/4/x001/x234/067.p/1"
        );
        assert_eq!(t(TileKind::Entries, 1000, 7), "tile/entries/x001/000.p/7");
        for p in [
            "tile/0/000",
            "tile/1/x001/x234/067.p/255",
            "tile/entries/000.p/1",
        ] {
            assert_eq!(TileRef::parse(p).map(|t| t.path()).as_deref(), Some(p));
        }
        for p in [
            "tile/0/00",
            "tile/0/0000",
            "tile/0/000.p/256",
            "tile/0/000.p/0",
            "tile/0/000.p/07",
            "tile/00/000",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/8/0/000",
            "tile/data/000",
            "tile/0/x18446744073709551615",
        ] {
            assert_eq!(TileRef::parse(p), None, "{p}");
        }
    }

    /// The tree of size 70,000 of the spec: 273 full level-0 tiles and one
    /// of width 112; one full level-1 tile and one of width 17; one level-2
    /// tile of width 1.
    #[test]
    fn tile_counts_of_the_spec_example() {
        let entries: Vec<Vec<u8>> = (0..70_000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let all = tiles(&refs).expect("tiles");
        let count = |prefix: &str| all.iter().filter(|(p, _)| p.starts_with(prefix)).count();
        assert_eq!(count("tile/0/"), 274);
        assert_eq!(count("tile/entries/"), 274);
        assert_eq!(count("tile/1/"), 2);
        assert_eq!(count("tile/2/"), 1);
        assert!(all.iter().any(|(p, _)| p == "tile/0/273.p/112"));
        assert!(all.iter().any(|(p, _)| p == "tile/1/001.p/17"));
        assert!(all
            .iter()
            .any(|(p, b)| p == "tile/2/000.p/1" && b.len() == 32));
        // The level-1 hash is the root of a full level-0 tile.
        let tree = Tree::from_leaf_hashes(entries[..256].iter().map(|e| leaf_hash(e)));
        let l1 = &all.iter().find(|(p, _)| p == "tile/1/000").expect("tile").1;
        assert_eq!(&l1[..32], tree.root().as_bytes());
        // Entry bundles split back into the entries.
        let b = &all
            .iter()
            .find(|(p, _)| p == "tile/entries/001")
            .expect("bundle")
            .1;
        assert_eq!(
            read_entry_bundle("b", b).expect("splits"),
            entries[256..512].to_vec()
        );
    }

    #[test]
    fn partial_tiles_of_earlier_sizes_are_served() {
        let entries: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let hashes =
            |n: usize| -> Vec<u8> { entries[..n].iter().flat_map(|e| leaf_hash(e).0).collect() };
        assert_eq!(tile(&refs, 300, "tile/0/000.p/5"), Some(hashes(5)));
        assert_eq!(tile(&refs, 300, "tile/0/000"), Some(hashes(256)));
        assert_eq!(tile(&refs, 200, "tile/0/000"), None);
        assert_eq!(tile(&refs, 300, "tile/0/001.p/45"), None);
        assert!(tile(&refs, 300, "tile/0/001.p/44").is_some());
        assert!(tile(&refs, 300, "tile/1/000.p/1").is_some());
        assert_eq!(tile(&refs, 300, "tile/1/000.p/2"), None);
        assert_eq!(tile(&refs, 300, "checkpoint"), None);
    }

    #[test]
    fn malformed_entry_bundles_are_refused() {
        assert!(read_entry_bundle("b", &[0]).is_err());
        assert!(read_entry_bundle("b", &[0, 3, 1, 2]).is_err());
        assert_eq!(
            read_entry_bundle("b", &[0, 0, 0, 1, 9]).expect("two"),
            vec![vec![], vec![9]]
        );
        assert_eq!(
            read_entry_bundle("b", &[]).expect("none"),
            Vec::<Vec<u8>>::new()
        );
    }
}
