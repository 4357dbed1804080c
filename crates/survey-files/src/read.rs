//! Reading a small input file whole, within a size limit, without hanging on what is not
//! a file: a FIFO or a device given where a file belongs would block a plain read forever
//! or never end.

use std::io::Read;
use std::path::Path;

/// Why a file could not be read within its limit.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is larger than the limit, in bytes (as far as it was read); the rest was
    /// not read.
    TooLarge(u64),
    /// The path is not a regular file (a folder, a FIFO, a device).
    NotAFile,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge(size) => write!(f, "the file is too large ({size} bytes)"),
            ReadError::NotAFile => write!(f, "not a regular file"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the regular file at `path`, refusing one over `limit` bytes. The size is checked
/// before reading and again while reading (a file that grows is cut off at the limit, not
/// read to the end).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_limit_is_read_and_a_larger_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        assert!(matches!(read_bounded(&path, 9), Err(ReadError::TooLarge(10))));
        assert!(matches!(read_bounded(dir.path(), 10), Err(ReadError::NotAFile)));
        assert!(matches!(
            read_bounded(&dir.path().join("none"), 10),
            Err(ReadError::Io(_))
        ));
    }
}
