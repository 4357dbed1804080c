//! Report workbooks: their content ([`book`]) and the xlsx writer ([`xlsx`]).

pub mod book;
pub mod xlsx;

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: they go to a temporary file in the same folder,
/// renamed to `path` once complete, so a reader (or a killed run) never leaves half a file
/// under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".labor-survey-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Temporary files are created private (0600); a report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
