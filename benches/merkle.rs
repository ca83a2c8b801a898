//! Merkle tree throughput: appending leaves (which keeps every full subtree)
//! and computing the current root, against plain SHA-256 of the leaf bytes
//! measured in the same run (see PERFORMANCE-NOTES.md: compare to the
//! baseline, not to absolute numbers).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use scrutineer::log::merkle::{leaf_hash, Tree};
use sha2::{Digest, Sha256};

const LEAVES: u64 = 1 << 16;

fn bench(c: &mut Criterion) {
    let entries: Vec<[u8; 64]> = (0..LEAVES).map(|i| [(i % 251) as u8; 64]).collect();
    let mut g = c.benchmark_group("merkle");
    g.throughput(Throughput::Elements(LEAVES));
    g.bench_function("sha256 of each leaf (baseline)", |b| {
        b.iter(|| {
            for e in &entries {
                black_box(Sha256::digest(e));
            }
        })
    });
    g.bench_function("append 2^16 leaves + root", |b| {
        b.iter(|| {
            let mut tree = Tree::new();
            for e in &entries {
                tree.push_leaf_hash(leaf_hash(e));
            }
            black_box(tree.root())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
