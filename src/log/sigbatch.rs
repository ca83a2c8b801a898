//! Ed25519 batch verification for the auditor's verifier: PURE.
//!
//! A bundle carries hundreds of Ed25519 signatures (every person's entry,
//! every checkpoint note, every cosignature); checking them one by one
//! with `verify_strict` was most of the cost of verification
//! (docs/performance.md). [`verify`] checks many at once — one
//! multi-scalar multiplication instead of one double-base multiplication
//! per signature — with the batch equation written here on
//! curve25519-dalek, one term per distinct key (a bundle has many
//! signatures by few keys: `equation_holds`), after the cheap checks of
//! `verify_strict` that the batch equation does not make:
//!
//! - the signature's `s` is canonical (below the group order ℓ);
//! - `R` and the public key `A` are canonical encodings (y below p);
//! - `R` is not a point of small order (the eight torsion points, by
//!   their encodings: [`SMALL_ORDER`]);
//! - `A` is a valid point and not of small order, once per distinct key.
//!
//! An item that fails one of these or whose `R` is not a point, and every
//! item of a batch whose equation fails, is reported `false`: not known
//! valid. The caller then checks it with `verify_strict`, as before, so a
//! bad signature is still named exactly and with the same error. The
//! batch's 128-bit weights are derived from SHA-512 of a transcript of
//! every message, key and signature (`weights`): deterministic, so the
//! verifier stays pure, and fixed only once every signature is.
//!
//! What differs from `verify_strict` (docs/audit-bundle.md §2): the batch
//! equation is cofactorless with 128-bit weights, so a signature whose `R`
//! carries a small torsion component next to a correct one — which only
//! the holder of the key can make, and which `verify_strict` rejects —
//! may pass here. No one without the key can make a signature that passes.
//! `scrutineer verify --strict` checks every signature with
//! `verify_strict` alone.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha512};

/// One signature to check: `signature` by `key` over `message`.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub key: &'a [u8; 32],
    pub message: &'a [u8],
    pub signature: &'a [u8; 64],
}

/// The encodings (y, sign bit ignored) of the eight points of small
/// order: 0 (order 4), 1 (the identity), the two y of the order-8 points,
/// and p − 1 (order 2); with y ≥ p refused as non-canonical, this is every
/// encoding of a torsion point (the list libsodium's `has_small_order`
/// uses; the tests check it against curve25519-dalek's `EIGHT_TORSION`).
pub const SMALL_ORDER: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// The group order ℓ = 2^252 + 27742317777372353535851937790883648493,
/// little-endian.
const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The field prime p = 2^255 − 19, little-endian.
const PRIME: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// `a < b` for little-endian 256-bit numbers.
fn less(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// y of a point encoding (the sign bit cleared).
fn y_of(point: &[u8]) -> [u8; 32] {
    let mut y = [0u8; 32];
    y.copy_from_slice(&point[..32]);
    y[31] &= 0x7f;
    y
}

/// The encoding's y is below p.
pub fn is_canonical_point(point: &[u8; 32]) -> bool {
    less(&y_of(point), &PRIME)
}

/// The encoding is one of a point of small order (whatever its sign bit).
pub fn is_small_order_encoding(point: &[u8; 32]) -> bool {
    let y = y_of(point);
    SMALL_ORDER.contains(&y)
}

/// The cheap checks of `verify_strict` on the signature's own bytes:
/// `s` canonical, `R` canonical and not of small order.
fn signature_passes_prechecks(signature: &[u8; 64]) -> bool {
    let mut r = [0u8; 32];
    r.copy_from_slice(&signature[..32]);
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    less(&s, &ORDER) && is_canonical_point(&r) && !is_small_order_encoding(&r)
}

/// The distinct keys of a batch, each decoded and checked once: its index
/// in `points`, or `None` for a key that is not a canonical encoding of a
/// valid point or is of small order (`verify_strict` refuses those).
#[derive(Default)]
struct Keys {
    index: BTreeMap<[u8; 32], Option<usize>>,
    points: Vec<EdwardsPoint>,
}

impl Keys {
    fn index(&mut self, key: &[u8; 32]) -> Option<usize> {
        if let Some(&known) = self.index.get(key) {
            return known;
        }
        let index = decode_key(key).map(|point| {
            self.points.push(point);
            self.points.len() - 1
        });
        self.index.insert(*key, index);
        index
    }
}

/// A public key as a point: canonical, on the curve, not of small order.
fn decode_key(key: &[u8; 32]) -> Option<EdwardsPoint> {
    if !is_canonical_point(key) {
        return None;
    }
    let point = CompressedEdwardsY(*key).decompress()?;
    (!point.is_small_order()).then_some(point)
}

/// The domain of the transcript the batch's weights are drawn from.
const TRANSCRIPT: &[u8] = b"scrutineer/sigbatch/v1 ed25519 batch, one term per key";

/// One signature of the batch equation.
struct Term {
    /// `H(R ‖ A ‖ M)`, the 64 bytes (they go into the transcript).
    hram: [u8; 64],
    s: Scalar,
    r: EdwardsPoint,
    /// Index into [`Keys::points`].
    key: usize,
}

/// The 128-bit weights of `terms`, derived from SHA-512 of a transcript of
/// every term — `H(R ‖ A ‖ M)`, which binds `R`, the key and the message,
/// and `s` — so no one can choose a signature after seeing its weight, and
/// the same batch always gets the same weights (no RNG: the verifier stays
/// pure and deterministic).
fn weights(terms: &[Term]) -> Vec<Scalar> {
    let mut transcript = Sha512::new();
    transcript.update(TRANSCRIPT);
    transcript.update((terms.len() as u64).to_le_bytes());
    for t in terms {
        transcript.update(t.hram);
        transcript.update(t.s.as_bytes());
    }
    let seed = transcript.finalize();
    let mut out = Vec::with_capacity(terms.len());
    for block in 0..terms.len().div_ceil(4) {
        let bytes = Sha512::new()
            .chain_update(seed)
            .chain_update((block as u64).to_le_bytes())
            .finalize();
        for z in bytes.chunks_exact(16).take(terms.len() - out.len()) {
            let mut w = [0u8; 16];
            w.copy_from_slice(z);
            out.push(Scalar::from(u128::from_le_bytes(w)));
        }
    }
    out
}

/// The batch equation, cofactorless, with one term per distinct key:
/// `[−Σ zᵢsᵢ]B + Σ [zᵢ]Rᵢ + Σₖ [Σ_{i by k} zᵢhᵢ]Aₖ = 0`. The same equation
/// as `ed25519_dalek::verify_batch`'s (whose key terms are `[zᵢhᵢ]Aᵢ`, one
/// per signature), grouped by key: a bundle has many signatures by few
/// keys, so the multi-scalar multiplication has `n + k + 1` points
/// instead of `2n + 1`.
fn equation_holds(terms: &[Term], keys: &[EdwardsPoint]) -> bool {
    let z = weights(terms);
    let mut b = Scalar::ZERO;
    let mut per_key = vec![Scalar::ZERO; keys.len()];
    for (t, z) in terms.iter().zip(&z) {
        b += z * t.s;
        per_key[t.key] += z * Scalar::from_bytes_mod_order_wide(&t.hram);
    }
    let scalars = std::iter::once(-b).chain(z).chain(per_key);
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(terms.iter().map(|t| t.r))
        .chain(keys.iter().copied());
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

/// Which of `items` are known valid: `true` for each item that passed the
/// strict prechecks and whose batch equation held; `false` means "not
/// known": check that item with `verify_strict`. Pure and deterministic.
pub fn verify(items: &[Item<'_>]) -> Vec<bool> {
    let mut keys = Keys::default();
    let mut ok = vec![false; items.len()];
    let mut which = Vec::with_capacity(items.len());
    let mut terms = Vec::with_capacity(items.len());
    // The same signature by the same key over the same message more than
    // once (a cosignature is both a `result_cosigned` event and a line on
    // its checkpoint's note) enters the equation once; its copies get
    // its answer.
    let mut first: BTreeMap<(&[u8; 32], &[u8; 64]), usize> = BTreeMap::new();
    let mut copies: Vec<(usize, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !signature_passes_prechecks(item.signature) {
            continue;
        }
        match first.entry((item.key, item.signature)) {
            Entry::Occupied(seen) => {
                if items[*seen.get()].message == item.message {
                    copies.push((i, *seen.get()));
                    continue;
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&item.signature[..32]);
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            continue;
        };
        let Some(key) = keys.index(item.key) else {
            continue;
        };
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&item.signature[32..]);
        let mut hram = [0u8; 64];
        hram.copy_from_slice(
            &Sha512::new()
                .chain_update(r_bytes)
                .chain_update(item.key)
                .chain_update(item.message)
                .finalize(),
        );
        which.push(i);
        terms.push(Term {
            hram,
            // Below ℓ (the prechecks), so this is `s` itself.
            s: Scalar::from_bytes_mod_order(s_bytes),
            r,
            key,
        });
    }
    if !terms.is_empty() && equation_holds(&terms, &keys.points) {
        for i in which {
            ok[i] = true;
        }
        for (copy, of) in copies {
            ok[copy] = ok[of];
        }
    }
    ok
}

/// Signatures a batch found valid, for the verifier's steps to look up
/// instead of checking them again one by one; anything not in it is
/// checked with `verify_strict` by the caller. Pure.
#[derive(Debug, Default)]
pub struct Verified {
    /// (key, signature) → the message it was found valid over.
    found: BTreeMap<([u8; 32], [u8; 64]), Vec<u8>>,
}

impl Verified {
    /// Nothing known: every signature is checked with `verify_strict`.
    pub fn none() -> Verified {
        Verified::default()
    }

    /// The items [`verify`] found valid.
    pub fn of(items: &[Item<'_>]) -> Verified {
        let mut found = BTreeMap::new();
        for (item, ok) in items.iter().zip(verify(items)) {
            if ok {
                found
                    .entry((*item.key, *item.signature))
                    .or_insert_with(|| item.message.to_vec());
            }
        }
        Verified { found }
    }

    /// `signature` by `key` over `message` is known valid.
    pub fn contains(&self, key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.found
            .get(&(*key, sig))
            .is_some_and(|m| m.as_slice() == message)
    }

    /// How many signatures are known valid.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

/// `signature` by `key` over `message`: known valid from a batch, or
/// checked with `verify_strict`. The one strict check of notes and
/// cosignatures.
pub fn verify_known(
    known: &Verified,
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> bool {
    if known.contains(key.as_bytes(), message, signature) {
        return true;
    }
    Signature::from_slice(signature).is_ok_and(|s| key.verify_strict(message, &s).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(seed: u8, message: &[u8]) -> ([u8; 32], [u8; 64]) {
        let k = SigningKey::from_bytes(&[seed; 32]);
        (k.verifying_key().to_bytes(), k.sign(message).to_bytes())
    }

    #[test]
    fn the_small_order_list_is_the_eight_torsion_points() {
        for p in EIGHT_TORSION {
            let enc = p.compress().to_bytes();
            assert!(is_small_order_encoding(&enc), "{enc:02x?}");
            assert!(is_canonical_point(&enc));
        }
        // And nothing else: every listed y is the y of a torsion point.
        for y in SMALL_ORDER {
            assert!(EIGHT_TORSION
                .iter()
                .any(|p| y_of(&p.compress().to_bytes()) == y));
        }
    }

    #[test]
    fn good_signatures_pass_in_one_batch() {
        let msgs: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; i as usize]).collect();
        let sigs: Vec<_> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| signed(i as u8 % 3, m))
            .collect();
        let items: Vec<Item> = msgs
            .iter()
            .zip(&sigs)
            .map(|(m, (k, s))| Item {
                key: k,
                message: m,
                signature: s,
            })
            .collect();
        assert!(verify(&items).iter().all(|&b| b));
        assert!(verify(&[]).is_empty());
        let known = Verified::of(&items);
        assert_eq!(known.len(), 40);
        assert!(known.contains(&sigs[3].0, &msgs[3], &sigs[3].1));
        assert!(!known.contains(&sigs[3].0, &msgs[4], &sigs[3].1));
    }

    #[test]
    fn one_bad_signature_fails_the_batch_so_each_is_checked_alone() {
        let msgs: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 8]).collect();
        let mut sigs: Vec<_> = msgs.iter().map(|m| signed(7, m)).collect();
        sigs[4].1[40] ^= 1;
        let items: Vec<Item> = msgs
            .iter()
            .zip(&sigs)
            .map(|(m, (k, s))| Item {
                key: k,
                message: m,
                signature: s,
            })
            .collect();
        assert!(verify(&items).iter().all(|&b| !b));
        assert!(Verified::of(&items).is_empty());
    }

    #[test]
    fn weak_keys_small_order_r_and_large_s_are_refused_before_the_batch() {
        let (k, s) = signed(1, b"m");
        let good = Item {
            key: &k,
            message: b"m",
            signature: &s,
        };
        // A small-order key: the identity, with a signature (R = identity,
        // s = 0) that the cofactorless equation alone would accept for any
        // message.
        let identity = EIGHT_TORSION[0].compress().to_bytes();
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&identity);
        let weak = Item {
            key: &identity,
            message: b"anything",
            signature: &forged,
        };
        assert_eq!(verify(&[good, weak]), [true, false]);
        // Small-order R under a good key, in every encoding of the list.
        for p in EIGHT_TORSION {
            let mut sig = s;
            sig[..32].copy_from_slice(&p.compress().to_bytes());
            let bad = Item {
                signature: &sig,
                ..good
            };
            assert_eq!(verify(&[good, bad]), [true, false]);
        }
        // Non-canonical s (s + ℓ) and non-canonical R (y + p).
        let mut big = s;
        big[63] |= 0xf0;
        let mut r = s;
        r[..32].copy_from_slice(&PRIME);
        r[0] += 1;
        for sig in [&big, &r] {
            let bad = Item {
                signature: sig,
                ..good
            };
            assert_eq!(verify(&[good, bad]), [true, false]);
        }
    }
}

/// The batch against `verify_strict`, signature by signature: what the
/// batch finds valid, `verify_strict` finds valid; what `verify_strict`
/// finds valid in a batch of only valid signatures, the batch does too.
#[cfg(test)]
mod against_verify_strict {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};

    struct Owned {
        key: [u8; 32],
        message: Vec<u8>,
        signature: [u8; 64],
    }

    fn items(owned: &[Owned]) -> Vec<Item<'_>> {
        owned
            .iter()
            .map(|o| Item {
                key: &o.key,
                message: &o.message,
                signature: &o.signature,
            })
            .collect()
    }

    fn strict(o: &Owned) -> bool {
        VerifyingKey::from_bytes(&o.key).is_ok_and(|k| {
            k.verify_strict(&o.message, &Signature::from_bytes(&o.signature))
                .is_ok()
        })
    }

    /// `n` signatures by `keys` keys (round robin), each over its own message.
    fn batch(n: usize, keys: u8) -> Vec<Owned> {
        let signers: Vec<SigningKey> = (0..keys)
            .map(|k| SigningKey::from_bytes(&[k.wrapping_mul(37).wrapping_add(1); 32]))
            .collect();
        (0..n)
            .map(|i| {
                let k = &signers[i % signers.len()];
                let message = format!("entry {i}: 第{i}批").into_bytes();
                Owned {
                    key: k.verifying_key().to_bytes(),
                    signature: k.sign(&message).to_bytes(),
                    message,
                }
            })
            .collect()
    }

    /// Every item `verify` vouches for passes `verify_strict`.
    fn sound(owned: &[Owned]) -> Vec<bool> {
        let ok = verify(&items(owned));
        for (o, ok) in owned.iter().zip(&ok) {
            assert!(!ok || strict(o), "the batch vouched for a bad signature");
        }
        ok
    }

    #[test]
    fn batches_of_every_size_by_few_keys_pass() {
        // 1 to 400 signatures: Straus below 190 points, Pippenger above.
        for (n, keys) in [(1, 1), (2, 1), (3, 3), (5, 2), (60, 3), (200, 6), (400, 10)] {
            let owned = batch(n, keys);
            assert!(sound(&owned).iter().all(|&b| b), "{n} by {keys} keys");
        }
    }

    #[test]
    fn the_same_key_under_many_messages() {
        let mut owned = batch(300, 1);
        assert!(sound(&owned).iter().all(|&b| b));
        // One valid signature of that key, under another of its messages.
        owned[17].signature = owned[18].signature;
        assert!(sound(&owned).iter().all(|&b| !b));
        // The same signature twice is two valid items (it enters the
        // equation once); the same bad signature twice, two bad ones; the
        // same signature over another message, a bad one.
        let mut owned = batch(20, 1);
        owned[5] = Owned {
            key: owned[4].key,
            message: owned[4].message.clone(),
            signature: owned[4].signature,
        };
        owned.push(Owned {
            key: owned[4].key,
            message: owned[4].message.clone(),
            signature: owned[4].signature,
        });
        assert!(sound(&owned).iter().all(|&b| b));
        owned[4].signature[33] ^= 1;
        owned[5].signature[33] ^= 1;
        assert!(sound(&owned).iter().all(|&b| !b));
        owned[4].signature[33] ^= 1;
        owned[5].signature[33] ^= 1;
        owned[5].message.push(b'.');
        assert!(sound(&owned).iter().all(|&b| !b));
    }

    #[test]
    fn one_bad_signature_among_many_fails_the_whole_batch() {
        for bad in [0, 77, 149] {
            let mut owned = batch(150, 3);
            owned[bad].signature[40] ^= 0x08;
            assert!(!strict(&owned[bad]));
            assert!(sound(&owned).iter().all(|&b| !b), "bad at {bad}");
            // The wrong key for a valid signature.
            let mut owned = batch(150, 3);
            owned[bad].key = owned[(bad + 1) % 150].key;
            assert!(sound(&owned).iter().all(|&b| !b), "wrong key at {bad}");
        }
    }

    #[test]
    fn an_r_off_the_curve_or_a_bad_key_is_refused_alone() {
        // y = 2 is canonical and not the y of any curve point: R does not
        // decompress; that item is not vouched for, the others still are.
        let mut two = [0u8; 32];
        two[0] = 2;
        assert!(CompressedEdwardsY(two).decompress().is_none());
        let mut owned = batch(30, 3);
        owned[9].signature[..32].copy_from_slice(&two);
        let ok = sound(&owned);
        assert!(!ok[9] && ok.iter().filter(|&&b| b).count() == 29);
        // A key off the curve, a non-canonical key (y + p of a valid
        // one: y = 1 + p), a small-order key: refused, each once.
        let mut non_canonical = PRIME;
        non_canonical[0] += 1;
        for key in [two, non_canonical, EIGHT_TORSION[3].compress().to_bytes()] {
            let mut owned = batch(30, 3);
            owned[4].key = key;
            owned[11].key = key;
            let ok = sound(&owned);
            assert!(!ok[4] && !ok[11] && ok.iter().filter(|&&b| b).count() == 28);
        }
    }

    #[test]
    fn a_torsion_component_in_r_gets_the_same_answer_every_time() {
        // R + T for T of order 2, 4, 8: verify_strict refuses; the
        // cofactorless batch accepts it when the weight is a multiple of
        // the order of T (docs/audit-bundle.md §2: only the signer can make
        // such a signature). Whatever the answer, it is the same each time.
        for t in &EIGHT_TORSION[1..] {
            let mut owned = batch(10, 2);
            let r = CompressedEdwardsY(owned[3].signature[..32].try_into().unwrap())
                .decompress()
                .unwrap();
            owned[3].signature[..32].copy_from_slice(&(r + t).compress().to_bytes());
            assert!(!strict(&owned[3]));
            let first = verify(&items(&owned));
            assert_eq!(first, verify(&items(&owned)));
        }
    }

    #[test]
    fn random_corruptions_agree_with_verify_strict() {
        // A small deterministic generator (xorshift64).
        let mut x = 0x5eed_2026_1201_0005u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..150 {
            let n = 1 + (next() % 40) as usize;
            let mut owned = batch(n, 1 + (next() % 4) as u8);
            let corrupt = next() % 2 == 0;
            if corrupt {
                let i = (next() % n as u64) as usize;
                match next() % 4 {
                    0 => owned[i].signature[(next() % 64) as usize] ^= 1 << (next() % 8),
                    1 => owned[i].message.push(b'!'),
                    2 => owned[i].key[(next() % 32) as usize] ^= 1 << (next() % 8),
                    _ => owned[i].signature[32..].copy_from_slice(&ORDER),
                }
            }
            let ok = sound(&owned);
            let all_strict = owned.iter().all(strict);
            assert_eq!(all_strict, ok.iter().all(|&b| b));
        }
    }

    #[test]
    fn the_weights_are_deterministic_and_bound_to_every_input() {
        let owned = batch(9, 2);
        let terms = |owned: &[Owned]| -> Vec<Term> {
            let mut keys = Keys::default();
            owned
                .iter()
                .map(|o| Term {
                    hram: {
                        let mut h = [0u8; 64];
                        h.copy_from_slice(
                            &Sha512::new()
                                .chain_update(&o.signature[..32])
                                .chain_update(o.key)
                                .chain_update(&o.message)
                                .finalize(),
                        );
                        h
                    },
                    s: Scalar::from_bytes_mod_order(o.signature[32..].try_into().unwrap()),
                    r: CompressedEdwardsY(o.signature[..32].try_into().unwrap())
                        .decompress()
                        .unwrap(),
                    key: keys.index(&o.key).unwrap(),
                })
                .collect()
        };
        let w = weights(&terms(&owned));
        assert_eq!(w.len(), 9);
        assert_eq!(w, weights(&terms(&owned)));
        // Distinct, and each below 2^128.
        for (i, z) in w.iter().enumerate() {
            assert!(z.as_bytes()[16..].iter().all(|&b| b == 0));
            assert!(w[..i].iter().all(|y| y != z));
        }
        let mut other = batch(9, 2);
        other[8].message.push(b'.');
        let v = weights(&terms(&other));
        assert!(w.iter().zip(&v).all(|(a, b)| a != b));
    }
}
