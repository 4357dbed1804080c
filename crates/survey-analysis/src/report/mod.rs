//! Report workbooks: their content ([`book`]) and the xlsx writer ([`xlsx`]).

pub mod book;
pub mod xlsx;

use std::path::Path;

pub use survey_files::write::Access;

/// Folder of a report directory holding what may be published.
pub const PUBLISHED_DIR: &str = "published";
/// Folder of a report directory holding what names enterprises.
pub const RESTRICTED_DIR: &str = "restricted";

/// The folder of a report directory that holds outputs of `access`.
pub fn folder(access: Access) -> &'static str {
    match access {
        Access::Published => PUBLISHED_DIR,
        Access::Restricted => RESTRICTED_DIR,
    }
}

/// Creates the folder for outputs of `access` under `out` and returns its path; a
/// restricted folder is made owner-only on Unix, even when it existed. Temporary files
/// that killed runs left there are removed.
pub fn create_output_dir(out: &Path, access: Access) -> std::io::Result<std::path::PathBuf> {
    let dir = out.join(folder(access));
    survey_files::write::create_dir(&dir, access)?;
    Ok(dir)
}

pub use survey_files::write::write_file_atomically as write_atomically;
