//! Whole bundles from arbitrary bytes: the input is split into files at
//! 0xFF bytes; each file's first byte picks its path. `verify` must never
//! panic, and must never say "verified" (nothing random is signed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scrutineer::log::bundle::{checkpoint_path, entry_path, receipt_path, Bundle};
use scrutineer::log::verify::verify;

fuzz_target!(|data: &[u8]| {
    let mut bundle = Bundle::new();
    for chunk in data.split(|b| *b == 0xff) {
        let Some((&tag, bytes)) = chunk.split_first() else {
            continue;
        };
        let n = u64::from(tag >> 3);
        let path = match tag & 7 {
            0 => "origin".to_owned(),
            1 => "log.vkey".to_owned(),
            2 => "keys.txt".to_owned(),
            3 | 4 => entry_path(n),
            5 | 6 => checkpoint_path(n),
            _ => receipt_path(n),
        };
        bundle.put(&path, bytes.to_vec());
    }
    assert!(!verify(&bundle).is_verified());
});
