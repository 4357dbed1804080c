//! The memory budget of one ingest: how much reading a file takes, by its kind and size,
//! and which files may be read side by side.
//!
//! Streamed files (JSON Lines, JSON arrays) hold a few batches of returns whatever their
//! size. A workbook or a single JSON document is held whole while it is read (a workbook's
//! largest part inflated while it is checked), with the reader's structures on top: its
//! need is its size times a factor measured on the largest files the default limits let
//! through (`labor-survey bench --big-files`; the
//! figures are in the README). Files whose needs fit side by side within the budget are
//! read in parallel; the others are read one at a time afterwards, each with the whole
//! budget; a file that would need more than the whole budget alone is rejected by name
//! (`too-large`) before it is read.

use crate::limits::Limits;
use crate::sniff::{self, FileKind};
use std::io::Read;
use std::path::Path;

/// Default memory budget of one ingest: 1 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 1024 * 1024 * 1024;

/// Memory kept out of the files' share: the program itself, the accepted returns waiting
/// to be sorted to disk, the small keys every return leaves until the run settles.
pub const RESERVED: u64 = 256 * 1024 * 1024;

/// What reading a streamed file holds at most: two batches of raw returns and the one
/// being parsed ([`crate::raw::BATCH_BYTES`] each, reached only with returns near the
/// size limit), or the file itself when it is smaller.
const STREAMED_MOST: u64 = 3 * crate::raw::BATCH_BYTES as u64;

/// Peak memory per byte of an xlsx or ods file: its largest part inflated while it is
/// checked, calamine's shared strings, a batch of rows read into returns. Measured (peak
/// resident memory of the whole ingest over the file's size on disk): 32 on a 19.5 MB
/// wide workbook of inline strings, 22 on a 25 MB one of a million shared strings.
const WORKBOOK_FACTOR: u64 = 30;
/// However small it is on disk, a workbook that passes the guard inflates to at most
/// `max_inflated_bytes`; its need is at most this many times that (the wide workbook
/// above: 618 MB at 203 MB inflated).
const INFLATED_FACTOR: u64 = 3;
/// Per byte of an old binary `.xls`, read whole by calamine.
const XLS_FACTOR: u64 = 12;
/// Per byte of a single JSON document or a CSV file, read whole.
const TEXT_FACTOR: u64 = 12;
/// Below this size a file's need is taken as its size times the largest factor, without
/// opening it.
const SMALL_FILE: u64 = 1024 * 1024;

/// The memory one file may take: the budget less what the rest of the run holds (a
/// quarter of a budget smaller than four times [`RESERVED`]).
pub fn per_file(max_memory: u64) -> u64 {
    max_memory - RESERVED.min(max_memory / 4)
}

/// About how much memory reading a file of `kind` and `size` bytes takes under `limits`;
/// `array` when a JSON document is an array (streamed).
pub fn need(kind: FileKind, array: bool, size: u64, limits: &Limits) -> u64 {
    match kind {
        FileKind::JsonLines => size.min(STREAMED_MOST),
        FileKind::Json if array => size.min(STREAMED_MOST),
        FileKind::Json => size.saturating_mul(TEXT_FACTOR),
        FileKind::Xlsx | FileKind::Ods => size
            .saturating_mul(WORKBOOK_FACTOR)
            .min(limits.max_inflated_bytes.saturating_mul(INFLATED_FACTOR)),
        FileKind::LegacyXls => size.saturating_mul(XLS_FACTOR),
        FileKind::Csv => size.saturating_mul(TEXT_FACTOR),
        // Rejected from their head.
        FileKind::EncryptedOffice | FileKind::Pdf | FileKind::Html | FileKind::Empty | FileKind::Unknown => {
            sniff::SNIFF_LEN as u64
        }
    }
}

/// About how much memory reading the file at `path` takes, from its size and (for a file
/// that is not small) the kind its head shows. A file that cannot be opened needs nothing:
/// reading it fails at once.
pub fn need_of(path: &Path, limits: &Limits) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else { return 0 };
    if !meta.is_file() {
        return 0;
    }
    let size = meta.len();
    if size <= SMALL_FILE {
        return size.saturating_mul(WORKBOOK_FACTOR);
    }
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
    let read = std::fs::File::open(path).and_then(|f| f.take(sniff::SNIFF_LEN as u64).read_to_end(&mut head));
    if read.is_err() {
        return 0;
    }
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let kind = sniff::sniff(extension.as_deref(), &head);
    need(kind, starts_an_array(&head), size, limits)
}

/// Whether a JSON document's first value (after a byte-order mark and blank space) is an
/// array.
pub fn starts_an_array(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Which files are read side by side and which one at a time.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Indices of files read in parallel: each within its thread's share of the budget.
    pub together: Vec<usize>,
    /// Indices of files read one at a time after them, largest need first.
    pub alone: Vec<usize>,
}

/// Splits files by their needs: with `threads` reading at once, a file whose need is
/// within `budget / threads` can be read beside any others; a larger one is read alone.
/// (Files that need more than the whole budget are rejected when read; they are read
/// alone too, which costs only their head.)
pub fn schedule(needs: &[u64], threads: usize, budget: u64) -> Schedule {
    let share = budget / threads.max(1) as u64;
    let mut schedule = Schedule::default();
    for (i, &need) in needs.iter().enumerate() {
        if need <= share {
            schedule.together.push(i);
        } else {
            schedule.alone.push(i);
        }
    }
    schedule.alone.sort_by_key(|&i| std::cmp::Reverse(needs[i]));
    schedule
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn streamed_files_need_a_few_batches_whatever_their_size() {
        let limits = Limits::default();
        assert_eq!(need(FileKind::JsonLines, false, 10 * MB, &limits), 10 * MB);
        assert_eq!(need(FileKind::JsonLines, false, 5_000 * MB, &limits), 192 * MB);
        assert_eq!(need(FileKind::Json, true, 5_000 * MB, &limits), 192 * MB);
        // A single document is read whole.
        assert_eq!(need(FileKind::Json, false, 50 * MB, &limits), 600 * MB);
        assert_eq!(need(FileKind::Xlsx, false, 10 * MB, &limits), 300 * MB);
        // A workbook inflates to 200 MB at most, whatever its size.
        assert_eq!(need(FileKind::Xlsx, false, 48 * MB, &limits), 600 * MB);
        assert_eq!(need(FileKind::Pdf, false, 48 * MB, &limits), 64 * 1024);
    }

    #[test]
    fn large_files_are_read_one_at_a_time_largest_first() {
        // Budget 768 MB on 2 threads: 384 MB a thread.
        let needs = [10 * MB, 500 * MB, 384 * MB, 700 * MB, 2_000 * MB];
        let s = schedule(&needs, 2, 768 * MB);
        assert_eq!(s.together, [0, 2]);
        assert_eq!(s.alone, [4, 3, 1]);
        // One thread: every file within the budget goes in the one queue.
        let s = schedule(&needs, 1, 768 * MB);
        assert_eq!(s.together, [0, 1, 2, 3]);
        assert_eq!(s.alone, [4]);
    }

    #[test]
    fn the_budget_keeps_room_for_the_rest_of_the_run() {
        assert_eq!(per_file(DEFAULT_MAX_MEMORY), 768 * MB);
        assert_eq!(per_file(4 * DEFAULT_MAX_MEMORY), 4096 * MB - 256 * MB);
        // A small budget keeps a quarter for the rest.
        assert_eq!(per_file(300 * MB), 225 * MB);
    }

    #[test]
    fn a_file_s_need_comes_from_its_head_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let array = dir.path().join("a.json");
        let mut text = b"\xEF\xBB\xBF  [".to_vec();
        text.resize(2 * MB as usize, b' ');
        text.push(b']');
        std::fs::write(&array, &text).unwrap();
        let limits = Limits::default();
        assert_eq!(need_of(&array, &limits), 2 * MB + 1);
        let object = dir.path().join("o.json");
        text[5] = b'{';
        std::fs::write(&object, &text).unwrap();
        assert_eq!(need_of(&object, &limits), (2 * MB + 1) * TEXT_FACTOR);
        assert_eq!(need_of(&dir.path().join("absent.json"), &limits), 0);
    }
}
