//! Issue 13, finding 3 (zip amplification): the zip reader copied every
//! central-directory record before it rejected duplicates, so a 1.1 MB zip
//! of records pointing at one big file took 1 GB, and records whose files
//! overlap (one file's bytes inside another's) multiplied the archive's
//! bytes the same way. Now every record is checked first and the copies
//! add up to at most the archive's size.
//!
//! Memory is measured, not guessed: this test binary's global allocator
//! counts the bytes each thread holds and the peak (per thread, so tests
//! running side by side do not disturb each other).

// A counting global allocator is `unsafe` by its trait; it only forwards
// to `System` (the crate-wide `unsafe_code = "deny"` lint is lifted for
// this test binary alone).
#![allow(unsafe_code)]

mod sim;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use scrutineer::bundle_io::zip::{self, ZipError};
use scrutineer::bundle_io::{bundle_from_zip, ZipOrLayout};

struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = HELD.try_with(|h| {
            let now = h.get() + layout.size();
            h.set(now);
            let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        });
        // SAFETY: same layout, as the caller promised.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(layout.size())));
        // SAFETY: allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most memory `f` held at once beyond what was held before, in bytes.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = HELD.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, PEAK.with(Cell::get) - base)
}

fn local_header(name: &str, crc: u32, size: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    h.extend_from_slice(&10u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // stored
    h.extend_from_slice(&0u32.to_le_bytes()); // time, date
    h.extend_from_slice(&crc.to_le_bytes());
    h.extend_from_slice(&size.to_le_bytes());
    h.extend_from_slice(&size.to_le_bytes());
    h.extend_from_slice(&(name.len() as u16).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    h
}

fn central_record(name: &str, crc: u32, size: u32, local: u32) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    c.extend_from_slice(&20u16.to_le_bytes());
    c.extend_from_slice(&10u16.to_le_bytes());
    c.extend_from_slice(&0u16.to_le_bytes());
    c.extend_from_slice(&0u16.to_le_bytes()); // stored
    c.extend_from_slice(&0u32.to_le_bytes()); // time, date
    c.extend_from_slice(&crc.to_le_bytes());
    c.extend_from_slice(&size.to_le_bytes());
    c.extend_from_slice(&size.to_le_bytes());
    c.extend_from_slice(&(name.len() as u16).to_le_bytes());
    c.extend_from_slice(&[0; 8]); // extra, comment, disk, internal
    c.extend_from_slice(&0u32.to_le_bytes()); // external
    c.extend_from_slice(&local.to_le_bytes());
    c.extend_from_slice(name.as_bytes());
    c
}

fn finish(mut body: Vec<u8>, central: Vec<Vec<u8>>) -> Vec<u8> {
    let cd_offset = body.len() as u32;
    let count = central.len() as u16;
    let cd: Vec<u8> = central.concat();
    body.extend_from_slice(&cd);
    body.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    body.extend_from_slice(&cd_offset.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body
}

/// One 256 KiB file and 2,000 central records all naming it (the
/// reported attack: every record was copied, 500 MB for this archive).
fn duplicate_records() -> Vec<u8> {
    let data = vec![7u8; 256 << 10];
    let crc = crc32fast::hash(&data);
    let name = "entries/00000000.bin";
    let mut body = local_header(name, crc, data.len() as u32);
    body.extend_from_slice(&data);
    let central = (0..2_000)
        .map(|_| central_record(name, crc, data.len() as u32, 0))
        .collect();
    finish(body, central)
}

/// 200 files, each one's data running from just after its own header to
/// the end of a shared 256 KiB kernel, the next file's header inside it:
/// distinct names, valid CRCs, overlapping bytes (50 MB of copies before).
fn overlapping_records() -> Vec<u8> {
    let n = 200usize;
    let kernel = vec![9u8; 256 << 10];
    let names: Vec<String> = (0..n).map(|i| format!("entries/{i:08}.bin")).collect();
    // Build from the back: the last file is the kernel alone.
    let mut tail = kernel;
    let mut headers = Vec::new();
    for name in names.iter().rev() {
        let crc = crc32fast::hash(&tail);
        let mut h = local_header(name, crc, tail.len() as u32);
        headers.push((name.clone(), crc, tail.len() as u32, h.len()));
        h.extend_from_slice(&tail);
        tail = h;
    }
    headers.reverse();
    let mut at = 0u32;
    let central = headers
        .iter()
        .map(|(name, crc, size, header_len)| {
            let c = central_record(name, *crc, *size, at);
            at += *header_len as u32;
            c
        })
        .collect();
    finish(tail, central)
}

#[test]
fn finding_3_duplicate_zip_records_are_rejected_before_copying() {
    let zip = duplicate_records();
    let (got, peak) = peak_of(|| zip::read(&zip));
    assert_eq!(
        got,
        Err(ZipError::Duplicate {
            name: "entries/00000000.bin".into()
        })
    );
    assert!(
        got.unwrap_err().to_string().contains("present twice"),
        "a clear error"
    );
    assert!(
        peak <= zip.len(),
        "peak {peak} bytes for a {}-byte archive",
        zip.len()
    );
    let (got, peak) = peak_of(|| bundle_from_zip(&zip).map(|_| ()));
    assert!(matches!(
        got,
        Err(ZipOrLayout::Zip(ZipError::Duplicate { .. }))
    ));
    assert!(peak <= zip.len(), "peak {peak}");
}

#[test]
fn finding_3_overlapping_zip_records_are_rejected_before_copying() {
    let zip = overlapping_records();
    let (got, peak) = peak_of(|| zip::read(&zip));
    let err = got.expect_err("overlapping records are refused");
    assert!(matches!(err, ZipError::Overlap { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("overlaps") && text.contains("entries/00000000.bin"),
        "{text}"
    );
    assert!(
        peak <= zip.len(),
        "peak {peak} bytes for a {}-byte archive",
        zip.len()
    );
}

/// A real bundle's zip reads with the copies bounded by its size, and a
/// corrupted entry's CRC-32 is caught (crc32fast, issue 15).
#[test]
fn a_real_bundle_reads_within_its_size_and_a_corrupted_crc_is_caught() {
    let sim = sim::meeting();
    let zip = scrutineer::bundle_io::zip_bytes(&sim.bundle()).expect("zips");
    let (got, peak) = peak_of(|| bundle_from_zip(&zip));
    let bundle = got.expect("reads");
    assert!(scrutineer::log::verify::verify(&bundle).is_verified());
    // The files (at most the archive's bytes) plus the bundle's own small
    // bookkeeping.
    assert!(
        peak <= zip.len() + zip.len() / 4 + (64 << 10),
        "peak {peak} for {} bytes",
        zip.len()
    );
    // Flip one byte of the first entry's data: its CRC no longer matches.
    let name = b"entries/00000000.bin";
    let at = zip
        .windows(name.len())
        .position(|w| w == name)
        .expect("first local header")
        + name.len();
    let mut bad = zip.clone();
    bad[at + 3] ^= 0x40;
    assert_eq!(
        zip::read(&bad),
        Err(ZipError::Crc {
            name: "entries/00000000.bin".into()
        })
    );
    assert_eq!(zip::crc32(b"123456789"), 0xcbf4_3926);
}
