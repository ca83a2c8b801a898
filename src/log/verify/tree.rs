//! Steps 4 and 5 of the verifier: the Merkle tree recomputed from the
//! entry files against every checkpoint; consecutive checkpoints
//! consistent; receipts (the bundle's and the auditor's) checked against
//! the bundle.

use super::{Cp, GivenReceipt, Keys, Recorder, Step};
use crate::log::bundle::{entry_path, Parts};
use crate::log::checkpoint::Checkpoint;
use crate::log::merkle::{leaf_hash, verify_consistency, Tree};
use crate::log::note::{Note, VerifierKey};
use crate::log::proof::InclusionReceipt;

/// Step 4: each checkpoint's root is the root of the entries it covers.
/// Returns whether all of them matched.
pub(super) fn step_tree(rec: &mut Recorder, cps: &[Cp<'_>], tree: &Tree, n: u64) -> bool {
    let mut tree_matches = true;
    let mut last_good = 0u64;
    for cp in cps {
        let size = cp.checkpoint.size();
        match tree.root_at(size) {
            Err(_) => {
                tree_matches = false;
                rec.file(
                    Step::Tree,
                    cp.path,
                    format!(
                        "checkpoint covers {} entries; the bundle has {n} (from {} on, entries are missing)",
                        size.0,
                        entry_path(n)
                    ),
                );
            }
            Ok(root) if root != cp.checkpoint.root() => {
                tree_matches = false;
                rec.file(
                    Step::Tree,
                    cp.path,
                    format!(
                        "root of entries 0..{} recomputed as {}, the checkpoint says {}: an entry from {} to {} differs from what was signed",
                        size.0,
                        root.to_hex(),
                        cp.checkpoint.root().to_hex(),
                        last_good,
                        size.0.saturating_sub(1)
                    ),
                );
            }
            Ok(_) => last_good = size.0,
        }
    }
    let final_cp = cps.last();
    if let Some(fin) = final_cp {
        if fin.checkpoint.size().0 < n {
            rec.entry(
                Step::Tree,
                fin.checkpoint.size().0,
                None,
                format!(
                    "entries {} to {} are not covered by the final checkpoint ({})",
                    fin.checkpoint.size().0,
                    n - 1,
                    fin.path
                ),
            );
        }
    } else {
        rec.skip(Step::Tree, Step::CheckpointSignatures);
    }

    tree_matches
}

/// Step 5: consecutive checkpoints are consistent; receipts verify.
/// Returns the checkpoint notes of the receipts that opened (path, note),
/// whose cosignatures step 3 checks.
pub(super) fn step_consistency(
    rec: &mut Recorder,
    parts: &Parts<'_>,
    given: &[GivenReceipt<'_>],
    keys: &Keys,
    cps: &[Cp<'_>],
    tree: &Tree,
    tree_matches: bool,
) -> Vec<(String, Note)> {
    let (origin, log_key) = (&keys.origin, &keys.log_key);
    if !tree_matches {
        rec.skip(Step::Consistency, Step::Tree);
    } else {
        for pair in cps.windows(2) {
            let (a, b) = (&pair[0].checkpoint, &pair[1].checkpoint);
            if a.origin() != b.origin() {
                rec.file(
                    Step::Consistency,
                    pair[1].path,
                    format!(
                        "origin {:?} differs from {:?} of {}",
                        b.origin(),
                        a.origin(),
                        pair[0].path
                    ),
                );
            }
            let proof = tree
                .consistency_proof(a.size(), b.size())
                .unwrap_or_default();
            if let Err(e) = verify_consistency(a.size(), b.size(), &proof, &a.root(), &b.root()) {
                rec.file(Step::Consistency, pair[1].path, e.to_string());
            }
        }
    }
    let (Some(origin), Some(log_key)) = (origin.as_deref(), log_key.as_ref()) else {
        if !parts.receipts.is_empty() || !given.is_empty() {
            rec.skip(Step::Consistency, Step::Files);
        }
        return Vec::new();
    };
    let ctx = ReceiptContext {
        entries: &parts.entries,
        cps,
        tree,
        tree_matches,
        origin,
        log_key,
    };
    let bundled = parts
        .receipts
        .iter()
        .map(|r| (r.path, r.bytes, Some(r.number)));
    let given = given.iter().map(|r| (r.name, r.bytes, None));
    bundled
        .chain(given)
        .filter_map(|(path, bytes, index)| check_receipt(rec, &ctx, path, bytes, index))
        .collect()
}

struct ReceiptContext<'a, 'b> {
    entries: &'a [&'a [u8]],
    cps: &'b [Cp<'a>],
    tree: &'b Tree,
    /// Step 4 passed: the tree is the one the log's checkpoints sign.
    tree_matches: bool,
    origin: &'b str,
    log_key: &'b VerifierKey,
}

/// One receipt (§8): it parses, is for entry `index` when it comes from
/// `receipts/`, its checkpoint opens with the log key for the origin, its
/// tree is the bundle's tree of that size, and its proof includes the
/// bundle's entry (and the leaf hash it claims is that entry's). Returns
/// the receipt's checkpoint note when it opened.
fn check_receipt(
    rec: &mut Recorder,
    ctx: &ReceiptContext<'_, '_>,
    path: &str,
    bytes: &[u8],
    index: Option<u64>,
) -> Option<(String, Note)> {
    let step = Step::Consistency;
    let Ok(text) = std::str::from_utf8(bytes) else {
        rec.file(step, path, "not UTF-8 text");
        return None;
    };
    let receipt = match InclusionReceipt::parse(text) {
        Ok(r) => r,
        Err(e) => {
            rec.file(step, path, e.to_string());
            return None;
        }
    };
    let at = receipt.index().0;
    if index.is_some_and(|n| n != at) {
        rec.file(step, path, format!("receipt is for entry {at}"));
        return None;
    }
    let checkpoint = match Checkpoint::open_note(receipt.checkpoint(), ctx.origin, ctx.log_key) {
        Ok(c) => c,
        Err(e) => {
            rec.file(step, path, format!("receipt checkpoint: {e}"));
            return None;
        }
    };
    let (size, root) = (checkpoint.size(), checkpoint.root());
    // The same size, signed twice with different roots: the log forked.
    let twin = ctx.cps.iter().find(|c| c.checkpoint.size() == size);
    if let Some(cp) = twin.filter(|c| c.checkpoint.root() != root) {
        rec.file_both(
            step,
            path,
            format!(
                "the log signed two different trees of size {size}: this receipt's root is {}, {} says {}",
                root.to_hex(),
                cp.path,
                cp.checkpoint.root().to_hex()
            ),
            format!(
                "日志签署了两棵不同的、规模同为 {size} 的树：本回执的根哈希为 {}，{} 的为 {}",
                root.to_hex(),
                cp.path,
                cp.checkpoint.root().to_hex()
            ),
        );
        return None;
    }
    let bundle_size = ctx.cps.last().map_or(0, |c| c.checkpoint.size().0);
    if size.0 > bundle_size {
        rec.file_both(
            step,
            path,
            format!(
                "the log signed a tree of size {size}, larger than the bundle's final checkpoint ({bundle_size}): the bundle lacks entries the log signed"
            ),
            format!(
                "日志签署过规模为 {size} 的树，大于审计包最终检查点的 {bundle_size} 条：审计包缺少日志已签署的记录"
            ),
        );
        return None;
    }
    if ctx.tree_matches {
        // The bundle's signed checkpoints cover the first `size` entries:
        // their root is what the log signed for that size.
        if let Ok(ours) = ctx.tree.root_at(size) {
            if ours != root {
                rec.file_both(
                    step,
                    path,
                    format!(
                        "the log signed two different trees of size {size}: this receipt's root is {}, the bundle's first {size} entries (under its signed checkpoints) give {}",
                        root.to_hex(),
                        ours.to_hex()
                    ),
                    format!(
                        "日志签署了两棵不同的、规模同为 {size} 的树：本回执的根哈希为 {}，审计包（经其已签署的检查点）前 {size} 条记录的为 {}",
                        root.to_hex(),
                        ours.to_hex()
                    ),
                );
                return None;
            }
        }
    }
    let Some(entry) = usize::try_from(at).ok().and_then(|i| ctx.entries.get(i)) else {
        rec.file(step, path, format!("no entry {at} in the bundle"));
        return None;
    };
    let leaf = leaf_hash(entry);
    if receipt.claimed_leaf().is_some_and(|h| h != leaf) {
        rec.file(
            step,
            path,
            format!("the receipt's leaf hash is not that of {}", entry_path(at)),
        );
    }
    if let Err(e) = receipt.verify_leaf(&leaf, ctx.origin, ctx.log_key) {
        rec.file(step, path, e.to_string());
    }
    Some((path.to_owned(), receipt.checkpoint().clone()))
}
