//! RFC 6962 / RFC 9162 Merkle tree over SHA-256.
//!
//! Hashing is domain separated so that a leaf can never be mistaken for an
//! interior node (the second-preimage attack on plain Merkle trees):
//!
//! ```text
//! leaf hash  = SHA-256(0x00 || entry bytes)
//! node hash  = SHA-256(0x01 || left || right)
//! empty tree = SHA-256("")
//! ```
//!
//! A tree of `n` leaves is split at the largest power of two smaller than
//! `n` (RFC 9162 §2.1.1), so a tree is never padded or duplicated.
//!
//! [`Tree`] is the log operator's in-memory copy; [`verify_inclusion`] and
//! [`verify_consistency`] are what an auditor runs, and they take nothing
//! but public data and never panic on hostile input.
//! [`grouped_hex`] prints a hash (a root, a key fingerprint) in groups of
//! four hex digits, as people read it aloud and compare it by eye.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// Length in bytes of every hash in the tree.
pub const HASH_LEN: usize = 32;

/// A SHA-256 value: a leaf hash, an interior node or a root.
///
/// Roots and proof hashes are public, so comparison need not be constant
/// time; `==` is fine here.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Lower-case hex, as in RFC test vectors and log output.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 * HASH_LEN);
        for b in self.0 {
            s.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
            s.push(char::from(HEX_DIGITS[usize::from(b & 0x0f)]));
        }
        s
    }

    /// Parses exactly 64 hex digits (either case); `None` otherwise.
    pub fn from_hex(text: &str) -> Option<Hash> {
        let bytes = text.as_bytes();
        if bytes.len() != 2 * HASH_LEN {
            return None;
        }
        let mut out = [0u8; HASH_LEN];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *slot = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Hash(out))
    }

    /// Takes a slice that must be exactly [`HASH_LEN`] bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_LEN]>::try_from(bytes).ok().map(Hash)
    }
}

/// A root as lower-case hex in groups of four digits (`5dc9 da79 a706 …`),
/// short enough to read aloud in the hall and compare by eye.
pub fn grouped_hex(hash: &Hash) -> String {
    let hex = hash.to_hex();
    let groups: Vec<&str> = hex
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    groups.join(" ")
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Zero-based position of a leaf in the log; the same number as the
/// entry's sequence number in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafIndex(pub u64);

/// Number of leaves in a tree (or in a prefix of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TreeSize(pub u64);

impl fmt::Display for LeafIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for TreeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Leaf hash of an entry: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Root of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// Why the operator's tree cannot produce a requested root or proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// The requested size is larger than the tree.
    SizeBeyondTree { size: TreeSize, tree_size: TreeSize },
    /// The leaf is not inside the tree of the requested size.
    IndexOutOfRange { index: LeafIndex, size: TreeSize },
    /// A consistency proof was asked from a larger to a smaller tree.
    SizesOutOfOrder { first: TreeSize, second: TreeSize },
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeError::SizeBeyondTree { size, tree_size } => {
                write!(f, "size {size} is beyond the tree of {tree_size} leaves")
            }
            TreeError::IndexOutOfRange { index, size } => {
                write!(f, "leaf {index} is not in a tree of {size} leaves")
            }
            TreeError::SizesOutOfOrder { first, second } => {
                write!(
                    f,
                    "cannot prove consistency from size {first} to smaller size {second}"
                )
            }
        }
    }
}

impl std::error::Error for TreeError {}

/// An append-only Merkle tree held in memory by the log operator.
///
/// `levels[k][i]` is the hash of the full, aligned subtree of `2^k` leaves
/// starting at leaf `i * 2^k`. Every full subtree is kept (about two hashes
/// per leaf), which makes the root of any prefix and any proof a matter of
/// O(log n) look-ups, and append O(1) amortized: a new leaf only completes
/// the subtrees it closes, exactly like incrementing a binary counter.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Builds a tree from leaf hashes in log order.
    pub fn from_leaf_hashes(hashes: impl IntoIterator<Item = Hash>) -> Tree {
        let mut tree = Tree::new();
        for h in hashes {
            tree.push_leaf_hash(h);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> TreeSize {
        TreeSize(self.levels.first().map_or(0, |l| l.len() as u64))
    }

    /// Appends an entry (hashing it as a leaf) and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> LeafIndex {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends an already computed leaf hash and returns its index.
    pub fn push_leaf_hash(&mut self, hash: Hash) -> LeafIndex {
        let index = LeafIndex(self.size().0);
        let mut carry = hash;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(carry);
            if row.len() % 2 == 1 {
                break;
            }
            // This row just completed a pair: it closes a subtree one level up.
            carry = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
        index
    }

    /// Drops every leaf from `size` on: the tree is again what it was
    /// when it had `size` leaves (a larger `size` changes nothing). The
    /// writer uses it to take back the entries of a change that was rolled
    /// back, instead of rebuilding the tree from storage.
    pub fn truncate(&mut self, size: TreeSize) {
        for (k, row) in self.levels.iter_mut().enumerate() {
            let keep = u32::try_from(k)
                .ok()
                .and_then(|k| size.0.checked_shr(k))
                .unwrap_or(0);
            row.truncate(usize::try_from(keep).unwrap_or(usize::MAX));
        }
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// Leaf hash at `index`, if present.
    pub fn leaf(&self, index: LeafIndex) -> Option<Hash> {
        let i = usize::try_from(index.0).ok()?;
        self.levels.first()?.get(i).copied()
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        // The subtree lookups below cannot fail for the tree's own size.
        self.root_at(self.size()).unwrap_or_else(|_| empty_root())
    }

    /// Root of the prefix of `size` leaves: what the tree looked like when it
    /// had that many leaves.
    pub fn root_at(&self, size: TreeSize) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        if size.0 == 0 {
            return Ok(empty_root());
        }
        Ok(self.subtree(0, size.0))
    }

    /// Inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` in the prefix of
    /// `size` leaves, ordered from the leaf's sibling up to the root's child.
    pub fn inclusion_proof(
        &self,
        index: LeafIndex,
        size: TreeSize,
    ) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if index.0 >= size.0 {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index.0, 0, size.0, &mut proof);
        Ok(proof)
    }

    /// Consistency proof (RFC 9162 §2.1.4.1) from the prefix of `first`
    /// leaves to the prefix of `second` leaves. Empty when `first` is 0 or
    /// equal to `second`: those are consistent without a proof.
    pub fn consistency_proof(
        &self,
        first: TreeSize,
        second: TreeSize,
    ) -> Result<Vec<Hash>, TreeError> {
        self.check_size(second)?;
        if first > second {
            return Err(TreeError::SizesOutOfOrder { first, second });
        }
        let mut proof = Vec::new();
        if first.0 > 0 && first < second {
            self.subproof(first.0, 0, second.0, true, &mut proof);
        }
        Ok(proof)
    }

    fn check_size(&self, size: TreeSize) -> Result<(), TreeError> {
        let tree_size = self.size();
        if size > tree_size {
            return Err(TreeError::SizeBeyondTree { size, tree_size });
        }
        Ok(())
    }

    /// MTH(D[start..end]) for `start < end <= size`, where `start` is a
    /// multiple of the largest power of two not exceeding `end - start`
    /// (true of every range the RFC recursion visits).
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() {
            let level = n.trailing_zeros() as usize;
            // In range: the tree holds every full aligned subtree of its leaves.
            return self.levels[level][(start >> level) as usize];
        }
        let k = largest_power_of_two_below(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// PATH(m, D[start..end]) of RFC 9162 §2.1.3.1, with `m` relative to
    /// `start`; appends deepest sibling first.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = largest_power_of_two_below(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// SUBPROOF(m, D[start..end], b) of RFC 9162 §2.1.4.1.
    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// Largest power of two strictly smaller than `n`, for `n >= 2`.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Why an inclusion proof was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InclusionError {
    /// The leaf index is not below the tree size.
    IndexOutOfRange,
    /// The proof does not have the one length the index and size allow.
    WrongProofLength { expected: usize, got: usize },
    /// The proof does not lead to the claimed root.
    RootMismatch,
}

impl fmt::Display for InclusionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InclusionError::IndexOutOfRange => f.write_str("leaf index is not below the tree size"),
            InclusionError::WrongProofLength { expected, got } => {
                write!(f, "inclusion proof has {got} hashes, expected {expected}")
            }
            InclusionError::RootMismatch => {
                f.write_str("inclusion proof does not lead to the root")
            }
        }
    }
}

impl std::error::Error for InclusionError {}

/// Why a consistency proof was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsistencyError {
    /// The first size is larger than the second: a log never shrinks.
    SizesOutOfOrder,
    /// Equal sizes must have equal roots.
    EqualSizesDifferentRoots,
    /// The proof does not have the one length the two sizes allow.
    WrongProofLength { expected: usize, got: usize },
    /// The proof does not reproduce the first root.
    FirstRootMismatch,
    /// The proof does not reproduce the second root.
    SecondRootMismatch,
}

impl fmt::Display for ConsistencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsistencyError::SizesOutOfOrder => {
                f.write_str("first tree is larger than the second")
            }
            ConsistencyError::EqualSizesDifferentRoots => {
                f.write_str("trees of the same size have different roots")
            }
            ConsistencyError::WrongProofLength { expected, got } => {
                write!(f, "consistency proof has {got} hashes, expected {expected}")
            }
            ConsistencyError::FirstRootMismatch => {
                f.write_str("consistency proof does not reproduce the first root")
            }
            ConsistencyError::SecondRootMismatch => {
                f.write_str("consistency proof does not reproduce the second root")
            }
        }
    }
}

impl std::error::Error for ConsistencyError {}

/// Number of hashes in an inclusion proof of `index` in a tree of `size`
/// leaves (`index < size`): the levels where the paths to `index` and to the
/// last leaf differ, plus one for each left sibling above them.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // `inner` can be 64, where a plain `>>` would overflow.
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root
/// is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: LeafIndex,
    size: TreeSize,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    if index.0 >= size.0 {
        return Err(InclusionError::IndexOutOfRange);
    }
    let expected = inclusion_proof_len(index.0, size.0);
    if proof.len() != expected {
        return Err(InclusionError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    // RFC 9162 §2.1.3.2, steps 2–5, literally.
    let mut fn_ = index.0;
    let mut sn = size.0 - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(InclusionError::RootMismatch);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 || r != *root {
        return Err(InclusionError::RootMismatch);
    }
    Ok(())
}

/// Number of hashes in a consistency proof from `first` to `second`
/// (`0 < first < second`). It is the inclusion proof of the first tree's
/// last leaf, minus the levels inside the first tree's rightmost full
/// subtree, plus that subtree's own hash unless it is the whole first tree
/// (then the verifier already knows it: it is the first root).
fn consistency_proof_len(first: u64, second: u64) -> usize {
    let last = first - 1;
    let inner = 64 - (last ^ (second - 1)).leading_zeros();
    let border = last.checked_shr(inner).unwrap_or(0).count_ones();
    let shift = first.trailing_zeros();
    let seed = u32::from(!first.is_power_of_two());
    (seed + inner.saturating_sub(shift) + border) as usize
}

/// Checks that the tree of `second` leaves with root `second_root` extends
/// the tree of `first` leaves with root `first_root` (RFC 9162 §2.1.4.2).
///
/// The empty tree is consistent with every tree, and equal sizes need equal
/// roots; both cases need an empty proof.
pub fn verify_consistency(
    first: TreeSize,
    second: TreeSize,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ConsistencyError> {
    if first > second {
        return Err(ConsistencyError::SizesOutOfOrder);
    }
    if first == second || first.0 == 0 {
        if !proof.is_empty() {
            return Err(ConsistencyError::WrongProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if first == second && first_root != second_root {
            return Err(ConsistencyError::EqualSizesDifferentRoots);
        }
        return Ok(());
    }
    let expected = consistency_proof_len(first.0, second.0);
    if proof.len() != expected {
        return Err(ConsistencyError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    // RFC 9162 §2.1.4.2, steps 2–7, literally.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.0.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let mut fn_ = first.0 - 1;
    let mut sn = second.0 - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let Some((seed, rest)) = path.split_first() else {
        return Err(ConsistencyError::WrongProofLength { expected, got: 0 });
    };
    let mut fr = *seed;
    let mut sr = *seed;
    for c in rest {
        if sn == 0 {
            return Err(ConsistencyError::SecondRootMismatch);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if fr != *first_root {
        return Err(ConsistencyError::FirstRootMismatch);
    }
    if sn != 0 || sr != *second_root {
        return Err(ConsistencyError::SecondRootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The eight leaves of the RFC 6962 test tree, hex encoded.
    ///
    /// Source: transparency-dev/merkle, `proof/verify_test.go` (`leaves`,
    /// `roots`, `inclusionProofs`, `consistencyProofs`), the vectors that
    /// Certificate Transparency has used since RFC 6962.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    #[test]
    fn truncate_takes_back_appended_leaves() {
        let hashes: Vec<Hash> = (0u32..37).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for keep in [0usize, 1, 2, 3, 8, 16, 17, 31, 32, 36, 37] {
            let mut tree = Tree::from_leaf_hashes(hashes.iter().copied());
            tree.truncate(TreeSize(keep as u64));
            let expected = Tree::from_leaf_hashes(hashes[..keep].iter().copied());
            assert_eq!(tree.levels, expected.levels, "keep {keep}");
            // And it grows again exactly like a tree that never had them.
            for h in &hashes[keep..] {
                tree.push_leaf_hash(*h);
            }
            assert_eq!(
                tree.root(),
                Tree::from_leaf_hashes(hashes.iter().copied()).root()
            );
        }
        let mut tree = Tree::from_leaf_hashes(hashes.iter().copied());
        tree.truncate(TreeSize(100));
        assert_eq!(tree.size(), TreeSize(37));
    }

    /// Root of the first `i + 1` leaves (same source).
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// (leaf index, tree size, proof) from the same source, whose table is
    /// 1-based in the leaf; converted to 0-based here.
    const INCLUSION: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    /// (first size, second size, proof), same source.
    const CONSISTENCY: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn h(hex: &str) -> Hash {
        Hash::from_hex(hex).expect("test vector is 64 hex digits")
    }

    fn hashes(list: &[&str]) -> Vec<Hash> {
        list.iter().map(|s| h(s)).collect()
    }

    fn bytes(hex: &str) -> Vec<u8> {
        hex.as_bytes()
            .chunks(2)
            .map(|p| (hex_value(p[0]).unwrap_or(0) << 4) | hex_value(p[1]).unwrap_or(0))
            .collect()
    }

    fn test_tree() -> Tree {
        let mut tree = Tree::new();
        for leaf in LEAVES {
            tree.append(&bytes(leaf));
        }
        tree
    }

    #[test]
    fn empty_tree_root_is_sha256_of_nothing() {
        let expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(Tree::new().root().to_hex(), expected);
        assert_eq!(empty_root().to_hex(), expected);
    }

    #[test]
    fn roots_match_rfc6962_vectors() {
        let mut tree = Tree::new();
        for (leaf, root) in LEAVES.iter().zip(ROOTS) {
            tree.append(&bytes(leaf));
            assert_eq!(tree.root(), h(root), "root after {} leaves", tree.size());
        }
        for (i, root) in ROOTS.iter().enumerate() {
            assert_eq!(
                tree.root_at(TreeSize(i as u64 + 1)),
                Ok(h(root)),
                "prefix of {} leaves",
                i + 1
            );
        }
    }

    #[test]
    fn inclusion_proofs_match_rfc6962_vectors() {
        let tree = test_tree();
        for &(index, size, proof) in INCLUSION {
            let (index, size) = (LeafIndex(index), TreeSize(size));
            let proof = hashes(proof);
            assert_eq!(
                tree.inclusion_proof(index, size),
                Ok(proof.clone()),
                "{index} in {size}"
            );
            let leaf = tree.leaf(index).expect("leaf exists");
            let root = h(ROOTS[size.0 as usize - 1]);
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
        }
    }

    #[test]
    fn consistency_proofs_match_rfc6962_vectors() {
        let tree = test_tree();
        for &(first, second, proof) in CONSISTENCY {
            let (first, second) = (TreeSize(first), TreeSize(second));
            let proof = hashes(proof);
            assert_eq!(
                tree.consistency_proof(first, second),
                Ok(proof.clone()),
                "{first} to {second}"
            );
            let r1 = h(ROOTS[first.0 as usize - 1]);
            let r2 = h(ROOTS[second.0 as usize - 1]);
            assert_eq!(verify_consistency(first, second, &proof, &r1, &r2), Ok(()));
        }
    }

    /// Corruptions of the known-good inclusion proofs, after the probes in
    /// transparency-dev/merkle `corruptInclusionProof`.
    #[test]
    fn corrupted_inclusion_proofs_fail() {
        let tree = test_tree();
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        for &(index, size, proof) in INCLUSION {
            let proof = hashes(proof);
            let root = h(ROOTS[size as usize - 1]);
            let leaf = tree.leaf(LeafIndex(index)).expect("leaf exists");
            let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
                (index.wrapping_sub(1), size, leaf, root, proof.clone()),
                (index + 1, size, leaf, root, proof.clone()),
                (index ^ 2, size, leaf, root, proof.clone()),
                (index, size * 2, leaf, root, proof.clone()),
                (index, size / 2, leaf, root, proof.clone()),
                (index, size, some, root, proof.clone()),
                (index, size, leaf, empty_root(), proof.clone()),
                (index, size, leaf, some, proof.clone()),
                (
                    index,
                    size,
                    leaf,
                    root,
                    [proof.clone(), vec![root]].concat(),
                ),
                (
                    index,
                    size,
                    leaf,
                    root,
                    [vec![root], proof.clone()].concat(),
                ),
            ];
            for i in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[i].0[0] ^= 8;
                probes.push((index, size, leaf, root, wrong));
            }
            if !proof.is_empty() {
                probes.push((index, size, leaf, root, proof[..proof.len() - 1].to_vec()));
            }
            for (n, (i, s, l, r, p)) in probes.into_iter().enumerate() {
                if (i, s, l, r, &p) == (index, size, leaf, root, &proof) {
                    continue; // a "corruption" that changed nothing proves nothing
                }
                assert!(
                    verify_inclusion(&l, LeafIndex(i), TreeSize(s), &p, &r).is_err(),
                    "probe {n} on ({index}, {size}) verified"
                );
            }
        }
    }

    /// Corruptions after transparency-dev/merkle `corruptConsistencyProof`.
    #[test]
    fn corrupted_consistency_proofs_fail() {
        for &(first, second, proof) in CONSISTENCY.iter().filter(|c| !c.2.is_empty()) {
            let proof = hashes(proof);
            let r1 = h(ROOTS[first as usize - 1]);
            let r2 = h(ROOTS[second as usize - 1]);
            let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
                (first - 1, second, r1, r2, proof.clone()),
                (first + 1, second, r1, r2, proof.clone()),
                (first ^ 2, second, r1, r2, proof.clone()),
                (first, second * 2, r1, r2, proof.clone()),
                (first, second / 2, r1, r2, proof.clone()),
                (first, second, empty_root(), r2, proof.clone()),
                (first, second, r1, empty_root(), proof.clone()),
                (first, second, r2, r1, proof.clone()),
                (first, second, r1, r2, vec![]),
                (first, second, r1, r2, [proof.clone(), vec![r1]].concat()),
                (first, second, r1, r2, [proof.clone(), vec![r2]].concat()),
                (first, second, r1, r2, [vec![r1], proof.clone()].concat()),
                (first, second, r1, r2, [vec![r2], proof.clone()].concat()),
                (
                    first,
                    second,
                    r1,
                    r2,
                    [vec![proof[0]], proof.clone()].concat(),
                ),
                (first, second, r1, r2, proof[..proof.len() - 1].to_vec()),
            ];
            for i in 0..proof.len() {
                let mut wrong = proof.clone();
                wrong[i].0[0] ^= 16;
                probes.push((first, second, r1, r2, wrong));
            }
            for (n, (s1, s2, a, b, p)) in probes.into_iter().enumerate() {
                assert!(
                    verify_consistency(TreeSize(s1), TreeSize(s2), &p, &a, &b).is_err(),
                    "probe {n} on ({first}, {second}) verified"
                );
            }
        }
    }

    /// Edge cases of sizes, from transparency-dev/merkle `TestVerifyConsistency`.
    #[test]
    fn consistency_edge_cases() {
        use ConsistencyError::*;
        fn check(
            sizes: (u64, u64),
            roots: (Hash, Hash),
            proof: &[Hash],
            want: Result<(), ConsistencyError>,
        ) {
            let got = verify_consistency(
                TreeSize(sizes.0),
                TreeSize(sizes.1),
                proof,
                &roots.0,
                &roots.1,
            );
            assert_eq!(got, want, "{sizes:?}");
        }
        let a = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let e = empty_root();
        check((0, 0), (a, e), &[], Err(EqualSizesDifferentRoots));
        check((1, 1), (a, e), &[], Err(EqualSizesDifferentRoots));
        check((0, 0), (a, a), &[], Ok(()));
        check((0, 1), (a, e), &[], Ok(()));
        check((1, 1), (e, e), &[], Ok(()));
        check((1, 0), (a, e), &[], Err(SizesOutOfOrder));
        check((2, 1), (a, e), &[], Err(SizesOutOfOrder));
        check(
            (1, 2),
            (a, e),
            &[],
            Err(WrongProofLength {
                expected: 1,
                got: 0,
            }),
        );
        check(
            (0, 0),
            (e, e),
            &[e],
            Err(WrongProofLength {
                expected: 0,
                got: 1,
            }),
        );
        check(
            (0, 1),
            (e, e),
            &[e],
            Err(WrongProofLength {
                expected: 0,
                got: 1,
            }),
        );
        check(
            (1, 1),
            (e, e),
            &[e],
            Err(WrongProofLength {
                expected: 0,
                got: 1,
            }),
        );
    }

    #[test]
    fn inclusion_edge_cases_never_panic() {
        let some = leaf_hash(b"data");
        // A one-leaf tree: the root is the leaf hash, the proof empty.
        assert_eq!(
            verify_inclusion(&some, LeafIndex(0), TreeSize(1), &[], &some),
            Ok(())
        );
        for (index, size) in [
            (0, 0),
            (1, 0),
            (2, 1),
            (u64::MAX, u64::MAX),
            (u64::MAX - 1, u64::MAX),
        ] {
            assert!(verify_inclusion(&some, LeafIndex(index), TreeSize(size), &[], &some).is_err());
        }
        assert!(verify_consistency(
            TreeSize(u64::MAX - 1),
            TreeSize(u64::MAX),
            &[some; 3],
            &some,
            &some
        )
        .is_err());
    }

    #[test]
    fn tree_refuses_out_of_range_requests() {
        let tree = test_tree();
        assert_eq!(
            tree.root_at(TreeSize(9)),
            Err(TreeError::SizeBeyondTree {
                size: TreeSize(9),
                tree_size: TreeSize(8)
            })
        );
        assert_eq!(
            tree.inclusion_proof(LeafIndex(3), TreeSize(3)),
            Err(TreeError::IndexOutOfRange {
                index: LeafIndex(3),
                size: TreeSize(3)
            })
        );
        assert_eq!(
            tree.consistency_proof(TreeSize(5), TreeSize(4)),
            Err(TreeError::SizesOutOfOrder {
                first: TreeSize(5),
                second: TreeSize(4)
            })
        );
        assert_eq!(tree.consistency_proof(TreeSize(0), TreeSize(8)), Ok(vec![]));
    }

    /// MTH straight from RFC 6962 §2.1: the oracle for the property tests.
    fn naive_root(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn ct_merkle_tree(
        leaves: &[Vec<u8>],
    ) -> ct_merkle::mem_backed_tree::MemoryBackedTree<Sha256, Vec<u8>> {
        let mut t = ct_merkle::mem_backed_tree::MemoryBackedTree::new();
        for l in leaves {
            t.push(l.clone());
        }
        t
    }

    fn flat(proof: &[Hash]) -> Vec<u8> {
        proof.iter().flat_map(|h| h.0).collect()
    }

    proptest! {
        #[test]
        fn roots_match_oracles(leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..70)) {
            let tree = Tree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l)));
            for m in 0..=leaves.len() {
                prop_assert_eq!(tree.root_at(TreeSize(m as u64)), Ok(naive_root(&leaves[..m])));
            }
            let ct = ct_merkle_tree(&leaves);
            prop_assert_eq!(tree.root().0.to_vec(), ct.root().as_bytes().to_vec());
        }

        #[test]
        fn every_proof_verifies(n in 1u64..90, seed in any::<u64>()) {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| (seed ^ i).to_be_bytes().to_vec()).collect();
            let tree = Tree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l)));
            let ct = ct_merkle_tree(&leaves);
            let root = tree.root();
            for i in 0..n {
                let proof = tree.inclusion_proof(LeafIndex(i), TreeSize(n)).expect("in range");
                prop_assert_eq!(flat(&proof), ct.prove_inclusion(i as usize).as_bytes().to_vec());
                let leaf = leaf_hash(&leaves[i as usize]);
                prop_assert_eq!(verify_inclusion(&leaf, LeafIndex(i), TreeSize(n), &proof, &root), Ok(()));
                // The same proof must not vouch for a neighbour.
                let other = leaf_hash(b"not in the tree");
                prop_assert!(verify_inclusion(&other, LeafIndex(i), TreeSize(n), &proof, &root).is_err());
            }
            for m in 0..=n {
                let proof = tree.consistency_proof(TreeSize(m), TreeSize(n)).expect("in range");
                if m > 0 && m < n {
                    prop_assert_eq!(flat(&proof), ct.prove_consistency((n - m) as usize).as_bytes().to_vec());
                }
                let old = tree.root_at(TreeSize(m)).expect("in range");
                prop_assert_eq!(verify_consistency(TreeSize(m), TreeSize(n), &proof, &old, &root), Ok(()));
                if m > 0 && m < n {
                    prop_assert!(verify_consistency(TreeSize(m), TreeSize(n), &proof, &root, &root).is_err());
                }
            }
        }

        #[test]
        fn verifiers_never_panic(
            index in any::<u64>(),
            size in any::<u64>(),
            len in 0usize..80,
            byte in any::<u8>(),
        ) {
            let proof = vec![Hash([byte; HASH_LEN]); len];
            let x = Hash([byte; HASH_LEN]);
            let _ = verify_inclusion(&x, LeafIndex(index), TreeSize(size), &proof, &x);
            let _ = verify_consistency(TreeSize(index), TreeSize(size), &proof, &x, &x);
        }
    }

    #[test]
    fn roots_read_aloud_in_groups_of_four() {
        let root =
            Hash::from_hex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
                .expect("hex");
        assert_eq!(
            grouped_hex(&root),
            "5dc9 da79 a706 59a9 ad55 9cb7 01de d9a2 ab9d 823a ad2f 4960 cfe3 70ef f460 4328"
        );
    }
}
