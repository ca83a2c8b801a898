//! Ed25519 batch verification for the auditor's verifier: PURE.
//!
//! A bundle carries hundreds of Ed25519 signatures (every person's entry,
//! every checkpoint note, every cosignature); checking them one by one
//! with `verify_strict` was most of the cost of verification
//! (docs/performance.md). [`verify`] checks many at once with
//! `ed25519_dalek::verify_batch` — one multi-scalar multiplication
//! instead of one double-base multiplication per signature — after the
//! cheap checks of `verify_strict` that the batch equation does not make:
//!
//! - the signature's `s` is canonical (below the group order ℓ);
//! - `R` and the public key `A` are canonical encodings (y below p);
//! - `R` is not a point of small order (the eight torsion points, by
//!   their encodings: [`SMALL_ORDER`]);
//! - `A` is a valid point and not of small order (`is_weak`), once per
//!   distinct key.
//!
//! An item that fails one of these, and every item of a batch whose
//! equation fails, is reported `false`: not known valid. The caller then
//! checks it with `verify_strict`, as before, so a bad signature is still
//! named exactly and with the same error. The batch's weights are derived
//! by `ed25519-dalek` from a merlin transcript of every message, key and
//! signature, with a zero RNG: deterministic, so the verifier stays pure.
//!
//! What differs from `verify_strict` (docs/audit-bundle.md §2): the batch
//! equation is cofactorless with 128-bit weights, so a signature whose `R`
//! carries a small torsion component next to a correct one — which only
//! the holder of the key can make, and which `verify_strict` rejects —
//! may pass here. No one without the key can make a signature that passes.
//! `scrutineer verify --strict` checks every signature with
//! `verify_strict` alone.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};

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

/// The decoded keys, each checked once: `None` for a key that is not a
/// canonical, valid point or is of small order.
#[derive(Default)]
struct Keys(BTreeMap<[u8; 32], Option<VerifyingKey>>);

impl Keys {
    fn get(&mut self, key: &[u8; 32]) -> Option<VerifyingKey> {
        *self.0.entry(*key).or_insert_with(|| {
            if !is_canonical_point(key) {
                return None;
            }
            VerifyingKey::from_bytes(key).ok().filter(|k| !k.is_weak())
        })
    }
}

/// Which of `items` are known valid: `true` for each item that passed the
/// strict prechecks and whose batch equation held; `false` means "not
/// known": check that item with `verify_strict`. Pure and deterministic.
pub fn verify(items: &[Item<'_>]) -> Vec<bool> {
    let mut keys = Keys::default();
    let mut ok = vec![false; items.len()];
    let mut which = Vec::with_capacity(items.len());
    let mut messages: Vec<&[u8]> = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    let mut verifying = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !signature_passes_prechecks(item.signature) {
            continue;
        }
        let Some(key) = keys.get(item.key) else {
            continue;
        };
        which.push(i);
        messages.push(item.message);
        signatures.push(Signature::from_bytes(item.signature));
        verifying.push(key);
    }
    if which.is_empty() {
        return ok;
    }
    if ed25519_dalek::verify_batch(&messages, &signatures, &verifying).is_ok() {
        for i in which {
            ok[i] = true;
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
