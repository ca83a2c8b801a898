//! A minimal zip archive reader and writer: stored (uncompressed) files
//! only, CRC-32 checked (`crc32fast`), no zip64, no encryption.
//!
//! Bundles are small and already dense (signatures, hashes, packed
//! ballots), so compression would buy little and cost a dependency. The
//! writer is deterministic: files in path order, every time stamp
//! 1980-01-01 00:00, so one bundle always zips to the same bytes.
//! The reader accepts what `zip -0 -r` and this writer produce, and
//! rejects anything else with a reason.
//!
//! Format: PKWARE APPNOTE.TXT §4.3 (local file header, central directory,
//! end of central directory record).

use std::fmt;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
/// 1980-01-01 in MS-DOS date format.
const DOS_DATE_1980: u16 = (1 << 5) | 1;
/// General purpose flag: names are UTF-8.
const FLAG_UTF8: u16 = 1 << 11;

/// Why bytes are not a zip this reader accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZipError {
    /// No end-of-central-directory record: not a zip, or truncated.
    NotAZip,
    /// A zip64 archive (over 4 GiB or 65,535 files).
    Zip64,
    /// Split over several disks.
    MultiDisk,
    /// A file is encrypted.
    Encrypted { name: String },
    /// A file is compressed (method ≠ 0, stored).
    Compressed { name: String, method: u16 },
    /// A record lies outside the archive or is cut short.
    Truncated { what: &'static str },
    /// A record does not start with its signature.
    BadSignature { what: &'static str },
    /// A file's local header disagrees with the central directory.
    HeaderMismatch { name: String },
    /// A file's bytes do not have the CRC-32 the archive records.
    Crc { name: String },
    /// A file name is not UTF-8.
    NameNotUtf8,
    /// Two records name the same file.
    Duplicate { name: String },
    /// Two records share bytes of the archive (a crafted zip that would
    /// make one byte count many times).
    Overlap { name: String, other: String },
    /// Too many files or too large for this writer.
    TooLarge,
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // File names come from the archive: escaped, never printed raw.
        let shown = |name: &str| crate::report::shown(name).into_owned();
        match self {
            ZipError::NotAZip => f.write_str("not a zip archive (no end of central directory record)"),
            ZipError::Zip64 => f.write_str("zip64 archives are not supported"),
            ZipError::MultiDisk => f.write_str("multi-disk zip archives are not supported"),
            ZipError::Encrypted { name } => {
                write!(f, "{}: encrypted files are not supported", shown(name))
            }
            ZipError::Compressed { name, method } => write!(
                f,
                "{}: compressed (method {method}); only stored files are supported: re-create the zip with `zip -0 -r`",
                shown(name)
            ),
            ZipError::Truncated { what } => write!(f, "{what} lies outside the archive"),
            ZipError::BadSignature { what } => write!(f, "{what} has no valid signature"),
            ZipError::HeaderMismatch { name } => {
                write!(
                    f,
                    "{}: local header disagrees with the central directory",
                    shown(name)
                )
            }
            ZipError::Crc { name } => {
                write!(f, "{}: CRC-32 mismatch (damaged archive)", shown(name))
            }
            ZipError::NameNotUtf8 => f.write_str("a file name is not UTF-8"),
            ZipError::Duplicate { name } => {
                write!(f, "{}: present twice in the archive", shown(name))
            }
            ZipError::Overlap { name, other } => write!(
                f,
                "{}: overlaps {} in the archive (records sharing bytes); expected each file stored once",
                shown(name),
                shown(other)
            ),
            ZipError::TooLarge => f.write_str("too many or too large files for a plain zip"),
        }
    }
}

impl std::error::Error for ZipError {}

/// CRC-32 (IEEE 802.3, reflected, as zip uses it), by `crc32fast`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// One file as the central directory and its local header describe it,
/// before any byte is copied.
struct Record {
    name: String,
    crc: u32,
    /// Where its local header starts (the file's span runs from here to
    /// the end of its data).
    local: usize,
    data_at: usize,
    len: usize,
}

/// Reads every file of a stored zip: `(name, bytes)` in central directory
/// order. Directory entries (names ending in `/`) are skipped.
///
/// Memory is bounded by the archive's size whatever it holds: every record
/// is read and checked first (no name twice, no two files' spans sharing a
/// byte), and only then are the files copied, so the copies add up to at
/// most the archive's own bytes.
pub fn read(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ZipError> {
    let records = records(zip)?;
    // No name twice.
    let mut by_name: Vec<&Record> = records.iter().collect();
    by_name.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = by_name.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(ZipError::Duplicate {
            name: w[0].name.clone(),
        });
    }
    // No byte in two files: spans sorted by start must not overlap.
    let mut by_place: Vec<&Record> = records.iter().collect();
    by_place.sort_by_key(|r| r.local);
    if let Some(w) = by_place
        .windows(2)
        .find(|w| w[0].data_at + w[0].len > w[1].local)
    {
        return Err(ZipError::Overlap {
            name: w[1].name.clone(),
            other: w[0].name.clone(),
        });
    }
    let mut files = Vec::with_capacity(records.len());
    for r in records {
        // In bounds: checked by `records`.
        let data = &zip[r.data_at..r.data_at + r.len];
        if crc32(data) != r.crc {
            return Err(ZipError::Crc { name: r.name });
        }
        if r.name.ends_with('/') && data.is_empty() {
            continue;
        }
        files.push((r.name, data.to_vec()));
    }
    Ok(files)
}

/// The records of the central directory, each checked against its local
/// header and the archive's bounds; nothing of the files' data is copied.
fn records(zip: &[u8]) -> Result<Vec<Record>, ZipError> {
    // The EOCD is the last record; its comment (≤ 65,535 bytes) must end
    // exactly at the end of the archive.
    if zip.len() < EOCD_LEN {
        return Err(ZipError::NotAZip);
    }
    let lowest = zip.len().saturating_sub(EOCD_LEN + 0xffff);
    let eocd = (lowest..=zip.len() - EOCD_LEN)
        .rev()
        .find(|&at| {
            u32_at(zip, at) == Some(EOCD_SIG)
                && u16_at(zip, at + 20).map(usize::from) == Some(zip.len() - at - EOCD_LEN)
        })
        .ok_or(ZipError::NotAZip)?;
    if eocd >= 20 && u32_at(zip, eocd - 20) == Some(ZIP64_LOCATOR_SIG) {
        return Err(ZipError::Zip64);
    }
    let field = |off| u16_at(zip, eocd + off).ok_or(ZipError::NotAZip);
    let (disk, cd_disk, on_disk, total) = (field(4)?, field(6)?, field(8)?, field(10)?);
    let cd_size = u32_at(zip, eocd + 12).ok_or(ZipError::NotAZip)?;
    let cd_offset = u32_at(zip, eocd + 16).ok_or(ZipError::NotAZip)?;
    if total == 0xffff || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(ZipError::Zip64);
    }
    if disk != 0 || cd_disk != 0 || on_disk != total {
        return Err(ZipError::MultiDisk);
    }
    let mut at = cd_offset as usize;
    let cd_end = at
        .checked_add(cd_size as usize)
        .filter(|&e| e <= eocd)
        .ok_or(ZipError::Truncated {
            what: "the central directory",
        })?;
    // Each record takes at least CENTRAL_LEN bytes of the directory.
    if usize::from(total) > (cd_end - at) / CENTRAL_LEN {
        return Err(ZipError::Truncated {
            what: "the central directory",
        });
    }
    let mut records = Vec::with_capacity(usize::from(total));
    for _ in 0..total {
        let what = "a central directory record";
        if u32_at(zip, at) != Some(CENTRAL_SIG) {
            return Err(ZipError::BadSignature { what });
        }
        let h = zip
            .get(
                at..at
                    .checked_add(CENTRAL_LEN)
                    .ok_or(ZipError::Truncated { what })?,
            )
            .ok_or(ZipError::Truncated { what })?;
        let flags = u16::from_le_bytes([h[8], h[9]]);
        let method = u16::from_le_bytes([h[10], h[11]]);
        let crc = u32::from_le_bytes([h[16], h[17], h[18], h[19]]);
        let csize = u32::from_le_bytes([h[20], h[21], h[22], h[23]]);
        let usize_ = u32::from_le_bytes([h[24], h[25], h[26], h[27]]);
        let name_len = usize::from(u16::from_le_bytes([h[28], h[29]]));
        let extra_len = usize::from(u16::from_le_bytes([h[30], h[31]]));
        let comment_len = usize::from(u16::from_le_bytes([h[32], h[33]]));
        let disk_start = u16::from_le_bytes([h[34], h[35]]);
        let local = u32::from_le_bytes([h[42], h[43], h[44], h[45]]);
        let name_at = at + CENTRAL_LEN;
        if name_at + name_len > cd_end {
            return Err(ZipError::Truncated { what });
        }
        let name = zip
            .get(name_at..name_at + name_len)
            .ok_or(ZipError::Truncated { what })?;
        let name = std::str::from_utf8(name)
            .map_err(|_| ZipError::NameNotUtf8)?
            .to_owned();
        at = name_at + name_len + extra_len + comment_len;
        if at > cd_end {
            return Err(ZipError::Truncated { what });
        }
        if csize == u32::MAX || usize_ == u32::MAX || local == u32::MAX || disk_start == 0xffff {
            return Err(ZipError::Zip64);
        }
        if flags & 1 != 0 || flags & (1 << 6) != 0 {
            return Err(ZipError::Encrypted { name });
        }
        if method != 0 {
            return Err(ZipError::Compressed { name, method });
        }
        if csize != usize_ {
            return Err(ZipError::HeaderMismatch { name });
        }
        // The local header: its own name and extra field precede the data.
        let local = local as usize;
        let lwhat = "a local file header";
        if u32_at(zip, local) != Some(LOCAL_SIG) {
            return Err(ZipError::BadSignature { what: lwhat });
        }
        let l = zip
            .get(
                local
                    ..local
                        .checked_add(LOCAL_LEN)
                        .ok_or(ZipError::Truncated { what: lwhat })?,
            )
            .ok_or(ZipError::Truncated { what: lwhat })?;
        let l_method = u16::from_le_bytes([l[8], l[9]]);
        let l_name_len = usize::from(u16::from_le_bytes([l[26], l[27]]));
        let l_extra_len = usize::from(u16::from_le_bytes([l[28], l[29]]));
        let l_name = zip
            .get(local + LOCAL_LEN..local + LOCAL_LEN + l_name_len)
            .ok_or(ZipError::Truncated { what: lwhat })?;
        if l_method != method || l_name != name.as_bytes() {
            return Err(ZipError::HeaderMismatch { name });
        }
        let data_at = local + LOCAL_LEN + l_name_len + l_extra_len;
        let len = csize as usize;
        // File data lies before the central directory.
        if data_at + len > cd_offset as usize {
            return Err(ZipError::Truncated { what: "file data" });
        }
        records.push(Record {
            name,
            crc,
            local,
            data_at,
            len,
        });
    }
    Ok(records)
}

/// Writes a stored zip of `files` (in the order given).
pub fn write<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, ZipError> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut count: u16 = 0;
    for (name, data) in files {
        count = count.checked_add(1).ok_or(ZipError::TooLarge)?;
        let offset = u32::try_from(out.len()).map_err(|_| ZipError::TooLarge)?;
        let size = u32::try_from(data.len()).map_err(|_| ZipError::TooLarge)?;
        let name_len = u16::try_from(name.len()).map_err(|_| ZipError::TooLarge)?;
        let crc = crc32(data);
        // Local file header.
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&10u16.to_le_bytes()); // version needed: 1.0
        out.extend_from_slice(&FLAG_UTF8.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&0u16.to_le_bytes()); // time 00:00
        out.extend_from_slice(&DOS_DATE_1980.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory record.
        central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix, 2.0
        central.extend_from_slice(&10u16.to_le_bytes());
        central.extend_from_slice(&FLAG_UTF8.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_DATE_1980.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // -rw-r--r--
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    if count == 0xffff {
        return Err(ZipError::TooLarge);
    }
    let cd_offset = u32::try_from(out.len()).map_err(|_| ZipError::TooLarge)?;
    let cd_size = u32::try_from(central.len()).map_err(|_| ZipError::TooLarge)?;
    if cd_offset.checked_add(cd_size).is_none_or(|e| e == u32::MAX) {
        return Err(ZipError::TooLarge);
    }
    out.extend_from_slice(&central);
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_answers() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let files: Vec<(&str, &[u8])> =
            vec![("origin", b"o\n"), ("entries/00000000.bin", &[0, 1, 2])];
        let zip = write(files.clone()).expect("small");
        assert_eq!(write(files.clone()).expect("small"), zip);
        let back = read(&zip).expect("reads");
        assert_eq!(
            back,
            vec![
                ("origin".to_owned(), b"o\n".to_vec()),
                ("entries/00000000.bin".to_owned(), vec![0, 1, 2])
            ]
        );
        assert_eq!(read(&write(Vec::new()).expect("empty")), Ok(vec![]));
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        let zip = write(vec![("a", &b"hello"[..])]).expect("small");
        // Compressed: method 8 in both headers.
        let mut m = zip.clone();
        m[8] = 8;
        let cd = m.len() - EOCD_LEN - CENTRAL_LEN - 1;
        m[cd + 10] = 8;
        assert_eq!(
            read(&m),
            Err(ZipError::Compressed {
                name: "a".into(),
                method: 8
            })
        );
        let mut e = zip.clone();
        e[cd + 8] |= 1;
        assert_eq!(read(&e), Err(ZipError::Encrypted { name: "a".into() }));
        let mut c = zip.clone();
        c[LOCAL_LEN + 1] ^= 1;
        assert_eq!(read(&c), Err(ZipError::Crc { name: "a".into() }));
        assert_eq!(read(b"not a zip at all, no"), Err(ZipError::NotAZip));
        assert_eq!(read(&zip[..zip.len() - 1]), Err(ZipError::NotAZip));
    }

    #[test]
    fn never_panics_on_mangled_archives() {
        let zip = write(vec![("origin", &b"o\n"[..]), ("b/c", &[9u8; 40][..])]).expect("small");
        for i in 0..zip.len() {
            for x in [1u8, 0x80, 0xff] {
                let mut m = zip.clone();
                m[i] ^= x;
                let _ = read(&m);
            }
            let _ = read(&zip[..i]);
        }
    }
}
