//! Writing outputs so that a file under its final name is always complete: each is
//! written to a temporary file in the same folder and renamed into place.
//!
//! Every output has an audience. Published files (templates, tables that passed
//! disclosure control) are readable by all; restricted ones (anything naming an
//! enterprise) stay owner-only on Unix (files 0600, as temporary files are created, and
//! their folders 0700).

use std::io::Write;
use std::path::Path;

/// Who may read an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Published: templates, tables and figures that passed disclosure control; readable
    /// by all (0644).
    Published,
    /// Restricted: names enterprises; owner-only on Unix (files 0600, folders 0700).
    Restricted,
}

/// Prefix of the temporary files written beside an output; a folder scan skips them.
pub const TEMP_PREFIX: &str = ".labor-survey-";

/// Writes `bytes` to `path` atomically: they go to a temporary file in the same folder,
/// renamed to `path` once complete, so a reader (or a killed run) never finds half a file
/// under the final name. The folder must exist. The temporary file is created owner-only;
/// a published file is then opened to all readers, a restricted one stays owner-only.
pub fn write_file_atomically(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    if access == Access::Published {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = access;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `dir` (and its parents) for files of `access`: a restricted folder is made
/// owner-only (0700) on Unix, since a folder of restricted files must not be listable by
/// others either.
pub fn create_dir(dir: &Path, access: Access) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    if access == Access::Restricted {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = access;
    Ok(())
}

/// Creates the folder of `path` if it has one, then writes `path` atomically.
pub fn write_with_dir(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(dir, access)?;
    }
    write_file_atomically(path, bytes, access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_is_complete_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.json");
        write_with_dir(&path, b"{}", Access::Published).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the output remains");
    }

    #[cfg(unix)]
    #[test]
    fn restricted_files_and_folders_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("restricted/list.xlsx");
        write_with_dir(&path, b"x", Access::Restricted).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let public = dir.path().join("published/table.xlsx");
        write_with_dir(&public, b"x", Access::Published).unwrap();
        assert_eq!(mode(&public), 0o644);
    }
}
