//! Limits that keep one hostile or broken file from taking the run down. Each has a
//! default that fits real returns with a wide margin and can be raised from the CLI.

/// Size and count limits applied to every input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input file read, in bytes. A filled template is about 30 KB.
    pub max_file_bytes: u64,
    /// Largest total inflated size of the parts of an xlsx (zip) file, in bytes.
    pub max_inflated_bytes: u64,
    /// Largest ratio of inflated to compressed size of one zip entry; bombs reach 1000s.
    pub max_compression_ratio: u64,
    /// Most entries in an xlsx zip.
    pub max_zip_entries: usize,
    /// Most cells a sheet may declare or contain.
    pub max_cells_per_sheet: u64,
    /// Longest text answer, in characters.
    pub max_text_chars: usize,
    /// Longest return in a streamed JSON file (a line of JSON Lines, an item of a JSON
    /// array), in bytes.
    pub max_json_line_bytes: usize,
    /// Most returns one file may hold (wide workbooks, JSON arrays).
    pub max_returns_per_file: usize,
    /// Memory one ingest may use, in bytes: files are read side by side only as far as
    /// their needs fit, and a file that alone would need more is rejected
    /// ([`crate::memory`]).
    pub max_memory: u64,
}

/// Default largest input file: 50 MB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Default largest inflated xlsx: 200 MB.
pub const DEFAULT_MAX_INFLATED_BYTES: u64 = 200 * 1024 * 1024;
/// Default largest compression ratio of a zip entry. XML compresses well (20-50x for a
/// sparse sheet); 200 leaves room and still stops bombs early.
pub const DEFAULT_MAX_COMPRESSION_RATIO: u64 = 200;
/// Default most zip entries: a template has about 20.
pub const DEFAULT_MAX_ZIP_ENTRIES: usize = 1_000;
/// Default most cells per sheet: a wide workbook of 100,000 returns x 200 columns.
pub const DEFAULT_MAX_CELLS_PER_SHEET: u64 = 20_000_000;
/// Default longest text answer: 10,000 characters (the longest question allows 2,000).
pub const DEFAULT_MAX_TEXT_CHARS: usize = 10_000;
/// Default longest JSON line: 1 MB.
pub const DEFAULT_MAX_JSON_LINE_BYTES: usize = 1024 * 1024;
/// Default most returns per file.
pub const DEFAULT_MAX_RETURNS_PER_FILE: usize = 1_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_inflated_bytes: DEFAULT_MAX_INFLATED_BYTES,
            max_compression_ratio: DEFAULT_MAX_COMPRESSION_RATIO,
            max_zip_entries: DEFAULT_MAX_ZIP_ENTRIES,
            max_cells_per_sheet: DEFAULT_MAX_CELLS_PER_SHEET,
            max_text_chars: DEFAULT_MAX_TEXT_CHARS,
            max_json_line_bytes: DEFAULT_MAX_JSON_LINE_BYTES,
            max_returns_per_file: DEFAULT_MAX_RETURNS_PER_FILE,
            max_memory: crate::memory::DEFAULT_MAX_MEMORY,
        }
    }
}
