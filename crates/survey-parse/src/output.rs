//! Writing outputs so that a file under its final name is always complete: each is
//! written to a temporary file in the same folder and renamed into place.
//!
//! Everything ingest writes names enterprises (the dataset, the rejects), so it is
//! restricted: on Unix the files stay owner-only (0600, as temporary files are created)
//! and the output folder is made owner-only (0700).

use crate::IngestError;
use std::path::Path;

use survey_files::write::{Access, write_file_atomically};

/// Writes a restricted output of ingest to `path` atomically, creating its folder
/// (owner-only) if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    let io = |e: std::io::Error| IngestError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    create_restricted_dir(dir).map_err(io)?;
    write_file_atomically(path, bytes, Access::Restricted).map_err(io)
}

/// Flushes a finished temporary file and renames it to `path`. The temporary file was
/// created owner-only and stays so: the dataset is restricted.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), IngestError> {
    let io = |e: std::io::Error| IngestError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Creates `dir` (and its parents) and, on Unix, makes `dir` itself owner-only (0700):
/// a folder of restricted files must not be listable by others either.
pub fn create_restricted_dir(dir: &Path) -> std::io::Result<()> {
    survey_files::write::create_dir(dir, Access::Restricted)
}
