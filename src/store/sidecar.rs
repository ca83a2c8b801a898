//! The checkpoint sidecar: the last checkpoint the service issued for each
//! meeting, kept in a small text file beside the database
//! (`<db>.checkpoints`), outside it. A database rolled back to an older
//! copy, or a log whose tail was deleted, still has a self-consistent
//! latest checkpoint inside it; the sidecar remembers what was already
//! handed out, so start-up can see the difference (docs/service.md,
//! "Start-up integrity").
//!
//! ```text
//! scrutineer checkpoints v1
//! <meeting id> <tree size> <root, standard base64>
//! ```
//!
//! Written durably after every commit that signed a checkpoint: a
//! temporary file is written and fsynced, renamed over the old one, and
//! the directory fsynced, so a crash leaves either the old file or the new
//! one, never a torn one. It may lag the database by the last commit (a
//! crash between the two), never lead it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const HEADER: &str = "scrutineer checkpoints v1";

/// The last issued checkpoint of each meeting: (tree size, root base64).
pub type Issued = BTreeMap<String, (u64, String)>;

/// The sidecar of the database at `db`.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".checkpoints");
    db.with_file_name(name)
}

/// Reads the sidecar at `path`: `None` if there is none.
pub fn read(path: &Path) -> io::Result<Option<Issued>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |line: usize, what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{line}: {what}", path.display()),
        )
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad(1, &format!("expected the header {HEADER:?}")));
    }
    let mut out = Issued::new();
    for (i, line) in lines.enumerate() {
        let mut parts = line.split(' ');
        let (Some(id), Some(size), Some(root), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(i + 2, "expected <meeting> <size> <root>"));
        };
        let size: u64 = size
            .parse()
            .map_err(|_| bad(i + 2, "the size is not a number"))?;
        out.insert(id.to_string(), (size, root.to_string()));
    }
    Ok(Some(out))
}

/// Replaces the sidecar at `path` with `issued`, durably.
pub fn write(path: &Path, issued: &Issued) -> io::Result<()> {
    let mut text = format!("{HEADER}\n");
    for (id, (size, root)) in issued {
        text.push_str(&format!("{id} {size} {root}\n"));
    }
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_a_torn_file() {
        let dir = std::env::temp_dir().join(format!("scrutineer-sidecar-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let db = dir.join("m.db");
        let p = path_for(&db);
        assert_eq!(p, dir.join("m.db.checkpoints"));
        assert_eq!(read(&p).unwrap(), None);
        let mut issued = Issued::new();
        issued.insert("m1".into(), (7, "abc=".into()));
        issued.insert("m2".into(), (1, "xyz=".into()));
        write(&p, &issued).unwrap();
        assert_eq!(read(&p).unwrap(), Some(issued));
        fs::write(&p, "scrutineer checkpoints v1\nm1 7\n").unwrap();
        assert!(read(&p).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
