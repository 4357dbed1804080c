//! Writing outputs so that a file under its final name is always complete: each is
//! written to a temporary file in the same folder and renamed into place.

use crate::IngestError;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating the folder if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    let io = |e: std::io::Error| IngestError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".labor-survey-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    persist(tmp, path)
}

/// Flushes a finished temporary file and renames it to `path`.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), IngestError> {
    let io = |e: std::io::Error| IngestError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    tmp.as_file().sync_all().map_err(io)?;
    // Temporary files are created private (0600); an output is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
