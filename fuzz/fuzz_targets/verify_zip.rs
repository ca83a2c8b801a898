//! The zip reader on arbitrary bytes, then the verifier on whatever it read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = scrutineer::bundle_io::bundle_from_zip(data) {
        let _ = scrutineer::log::verify::verify(&bundle);
    }
});
