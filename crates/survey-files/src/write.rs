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

/// Start of the name of every temporary file and folder the tool makes: a hidden name (a
/// folder scan skips it), then the making process's id (see [`temp_prefix`]), so a later run
/// can tell its own leftovers from those of a run still going.
pub const TEMP_PREFIX: &str = ".labor-survey-tmp-";

/// File inside each temporary folder the tool makes. A folder is removed as a leftover
/// only when it holds this file, so a folder of someone else's that happens to match the
/// name pattern is never deleted.
pub const TEMP_MARKER: &str = ".labor-survey-temporary";

/// Prefix for this process's temporary files and folders: [`TEMP_PREFIX`], the process
/// id, `-`.
pub fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}-", std::process::id())
}

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
        .prefix(&temp_prefix())
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
/// others either. Leftovers of killed runs in `dir` are removed ([`remove_leftovers`]).
pub fn create_dir(dir: &Path, access: Access) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    remove_leftovers(dir);
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

/// A temporary folder in `parent`, named with [`temp_prefix`] and holding [`TEMP_MARKER`],
/// owner-only when `access` is restricted; removed with its content when dropped, unless
/// [`replace_dir`] moved it into place.
pub fn temp_dir_in(parent: &Path, access: Access) -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix(&temp_prefix()).tempdir_in(parent)?;
    #[cfg(unix)]
    if access == Access::Published {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    #[cfg(not(unix))]
    let _ = access;
    std::fs::write(dir.path().join(TEMP_MARKER), MARKER_TEXT)?;
    Ok(dir)
}

const MARKER_TEXT: &str = "A temporary folder of labor-survey. If no labor-survey run is going, it may be removed.\n";

/// Puts the finished folder `staged` (made by [`temp_dir_in`] beside `target`) in place of
/// `target`, whole: a reader finds the earlier folder or the new one under `target`, never
/// a mix of the two. On Linux the two are exchanged in one step (`renameat2` with
/// `RENAME_EXCHANGE`); elsewhere, or where the filesystem cannot exchange, the earlier
/// folder is renamed aside first, so `target` is briefly absent but never partial. The
/// earlier folder is then removed.
pub fn replace_dir(staged: tempfile::TempDir, target: &Path) -> std::io::Result<()> {
    std::fs::remove_file(staged.path().join(TEMP_MARKER))?;
    // From here the folder is ours to place: it must not vanish when `staged` is dropped.
    let staged = staged.keep();
    let placed = place(&staged, target);
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&staged);
    }
    placed
}

fn place(staged: &Path, target: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(target).is_err() {
        return std::fs::rename(staged, target);
    }
    if exchange(staged, target)? {
        // `staged` now names the earlier folder.
        let _ = std::fs::write(staged.join(TEMP_MARKER), MARKER_TEXT);
        return std::fs::remove_dir_all(staged);
    }
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let aside = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(".old")
        .make_in(parent, |p| std::fs::rename(target, p))?
        .into_temp_path();
    let aside = aside.keep().map_err(|e| e.error)?;
    let _ = std::fs::write(aside.join(TEMP_MARKER), MARKER_TEXT);
    if let Err(e) = std::fs::rename(staged, target) {
        // Put the earlier folder back; the new one is discarded by the caller.
        let _ = std::fs::remove_file(aside.join(TEMP_MARKER));
        let _ = std::fs::rename(&aside, target);
        return Err(e);
    }
    std::fs::remove_dir_all(&aside)
}

/// Exchanges `a` and `b` in one step; `Ok(false)` where the system or filesystem cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let done = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => Ok(false),
        _ => Err(error),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Removes from `dir` the temporary files and folders of runs that are no longer going (a
/// run killed, or a machine that lost power): entries named [`TEMP_PREFIX`]`<pid>-…` whose
/// process is gone, folders only when they hold [`TEMP_MARKER`]. Links are never
/// followed. Returns what was removed; anything that cannot be removed is left.
pub fn remove_leftovers(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(maker_of) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if still_running(pid, &meta) {
            continue;
        }
        let gone = if meta.is_dir() {
            std::fs::symlink_metadata(path.join(TEMP_MARKER)).is_ok_and(|m| m.is_file())
                && std::fs::remove_dir_all(&path).is_ok()
        } else {
            meta.is_file() && std::fs::remove_file(&path).is_ok()
        };
        if gone {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// The process id in a temporary name `TEMP_PREFIX<pid>-<random>…`.
fn maker_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    (!random.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether the process that made a temporary entry may still be using it. Where processes
/// cannot be looked up (no `/proc`), an entry less than a day old is taken to be in use.
fn still_running(pid: u32, meta: &std::fs::Metadata) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    meta.modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_secs(24 * 3600))
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

    /// A pid no process has: above Linux's largest (4,194,304).
    const GONE: u32 = 4_999_999;

    #[test]
    fn leftovers_of_a_gone_run_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let left_file = d.join(format!("{TEMP_PREFIX}{GONE}-abc123.tmp"));
        std::fs::write(&left_file, b"half").unwrap();
        let left_dir = d.join(format!("{TEMP_PREFIX}{GONE}-xyz"));
        std::fs::create_dir(&left_dir).unwrap();
        std::fs::write(left_dir.join(TEMP_MARKER), MARKER_TEXT).unwrap();
        std::fs::write(left_dir.join("responses.parquet"), b"x").unwrap();
        // Same name pattern, no marker: someone else's folder.
        let unmarked = d.join(format!("{TEMP_PREFIX}{GONE}-mine"));
        std::fs::create_dir(&unmarked).unwrap();
        // A run still going (this one) and names that only look alike.
        let ours = d.join(format!("{}keep.tmp", temp_prefix()));
        std::fs::write(&ours, b"x").unwrap();
        for name in [".labor-survey-tmp-notapid-x", ".labor-survey-tmp-12", "report.xlsx"] {
            std::fs::write(d.join(name), b"x").unwrap();
        }
        let removed = remove_leftovers(d);
        assert_eq!(removed, {
            let mut v = vec![left_file.clone(), left_dir.clone()];
            v.sort();
            v
        });
        assert!(!left_file.exists() && !left_dir.exists());
        assert!(unmarked.exists() && ours.exists());
        assert!(d.join("report.xlsx").exists() && d.join(".labor-survey-tmp-12").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_named_like_a_leftover_is_removed_without_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let precious = dir.path().join("precious");
        std::fs::create_dir(&precious).unwrap();
        std::fs::write(precious.join(TEMP_MARKER), b"").unwrap();
        let link = dir.path().join(format!("{TEMP_PREFIX}{GONE}-link"));
        std::os::unix::fs::symlink(&precious, &link).unwrap();
        remove_leftovers(dir.path());
        assert!(precious.join(TEMP_MARKER).exists(), "the link's target is untouched");
    }

    #[test]
    fn a_staged_folder_replaces_the_earlier_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dataset");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.parquet"), b"old").unwrap();
        let staged = temp_dir_in(dir.path(), Access::Restricted).unwrap();
        std::fs::write(staged.path().join("new.parquet"), b"new").unwrap();
        // Until it is placed, the earlier folder is untouched.
        assert!(target.join("old.parquet").exists());
        replace_dir(staged, &target).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["new.parquet"], "no marker, nothing of the earlier folder");
        let siblings: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(siblings.len(), 1, "the earlier folder is removed");
        // Where nothing was, the folder is simply moved in.
        let fresh = dir.path().join("fresh");
        let staged = temp_dir_in(dir.path(), Access::Restricted).unwrap();
        replace_dir(staged, &fresh).unwrap();
        assert!(fresh.is_dir());
    }

    #[test]
    fn a_staged_folder_dropped_before_it_is_placed_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let staged = temp_dir_in(dir.path(), Access::Restricted).unwrap();
        std::fs::write(staged.path().join("half.parquet"), b"x").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
