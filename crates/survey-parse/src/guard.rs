//! Vetting xlsx files before any parser sees them.
//!
//! Returns come from untrusted enterprises, and a few hundred bytes are enough to take a
//! whole run down: calamine aborts the process (a failed huge allocation, not a panic)
//! on a sheet with cells at `A1` and `XFD1048576`, on `<dimension ref="A1:XFD1048576"/>`
//! and on `<sst uniqueCount="4000000000">`; a 300 KB zip inflates to gigabytes; an XML
//! DOCTYPE can declare entities that expand exponentially. [`check_xlsx`] looks at the
//! zip directory and at the bytes of every part, with bounded memory and without ever
//! inflating more than the [`Limits`] allow, and refuses such files with a [`Refusal`]
//! naming the [`Rule`] and saying why in Chinese and English.
//!
//! The checks, in order:
//!
//! 1. the bytes open as a zip ([`Rule::Damaged`] otherwise, e.g. a truncated download);
//! 2. at most `max_zip_entries` entries ([`Rule::TooLarge`]);
//! 3. the declared inflated sizes add up to at most `max_inflated_bytes`, and no entry
//!    over [`RATIO_EXEMPT_BYTES`] claims to inflate more than `max_compression_ratio`
//!    times its compressed size ([`Rule::TooLarge`], a decompression bomb);
//! 4. no entry is encrypted ([`Rule::Encrypted`]);
//! 5. `[Content_Types].xml` and `xl/workbook.xml` are present
//!    ([`Rule::UnsupportedFormat`]: a `.docx`, `.ods` or any other zip);
//! 6. every entry is inflated, one at a time, through a reader capped at its declared
//!    size (a forged header cannot let more through: [`Rule::Damaged`]) and at what is
//!    left of `max_inflated_bytes`, and its bytes are scanned once:
//!    - a DOCTYPE or entity declaration anywhere: [`Rule::XmlEntities`];
//!    - `<sst uniqueCount="N">` with more strings than the part has room for (4 bytes
//!      each): [`Rule::TooLarge`];
//!    - `<dimension ref="...">` covering more than `max_cells_per_sheet` cells:
//!      [`Rule::TooLarge`];
//!    - the cells of `<sheetData>`: the bounding box of their positions (explicit `r`
//!      references, and the positions calamine infers for cells without one) must cover
//!      at most `max_cells_per_sheet` cells, and there must be no more cells than that
//!      ([`Rule::TooLarge`]); references outside `A1:XFD1048576`, or that do not parse,
//!      and malformed markup inside cells are [`Rule::Damaged`];
//!    - shared formula indices (`<f si="N">`) the part has no room for:
//!      [`Rule::TooLarge`] (calamine sizes a table by the largest index);
//!    - `<mergeCell ref>` and the `ref` of a cell's formula that is not a range inside
//!      the sheet with its first corner first: [`Rule::Damaged`] (calamine subtracts
//!      the corners unchecked).
//! 7. the parts that passed are re-packed, uncompressed, into an in-memory zip
//!    ([`XlsxFacts::stored`]) that calamine opens instead of the original: each part is
//!    inflated once, and calamine parses exactly the bytes that were checked.
//!
//! The scan reads markup the way calamine's XML reader (quick-xml) tokenizes it —
//! elements by their local name, whatever their namespace prefix, comments, CDATA and
//! processing instructions skipped exactly where quick-xml skips them — so what calamine
//! will see is what was checked. Parts are recognised by their content, not their name:
//! the parts calamine reads are found through relationship files an attacker controls.
//! No regular expressions, no allocation per element.

use crate::limits::Limits;
use crate::rejection::{Rule, a1};
use std::cell::RefCell;
use std::fmt;
use std::io::{Cursor, Read};

/// Rows of an Excel sheet: row numbers run from 1 to 1,048,576.
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns of an Excel sheet: `A` to `XFD`, 16,384.
pub const MAX_COLS: u32 = 16_384;
/// Entries that inflate to at most this many bytes are never refused for their
/// compression ratio: small parts of repetitive XML compress very well and cannot hurt.
pub const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;
/// Fewest bytes of `sharedStrings.xml` one declared shared string is taken to need (the
/// smallest, `<si><t/></si>`, takes 12). A table declaring more strings than its size
/// allows is lying, and calamine reserves room for what it declares.
const SST_BYTES_PER_STRING: u64 = 4;
/// Fewest bytes of a sheet one shared formula is taken to need (its anchor cell,
/// `<c r="A1"><f t="shared" ref="A1:A9" si="0">A1</f></c>`, takes more than 50).
/// calamine sizes its table of shared formulas by the largest `si` index.
const SHARED_FORMULA_BYTES: u64 = 32;
/// Deepest nesting of elements inside one cell (`<c><is><r><rPr><b/>` is 4).
const MAX_CELL_DEPTH: usize = 32;
/// Most bytes reserved ahead for one part from its declared size; larger parts grow.
const MAX_RESERVE: usize = 64 * 1024 * 1024;
/// Longest piece of hostile text (a part name, an attribute value) quoted in a message.
const MAX_QUOTED: usize = 60;

/// What [`check_xlsx`] learned about a file that passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XlsxFacts {
    /// Paths of the worksheet parts (parts whose root element is `worksheet`), in zip
    /// order, e.g. `xl/worksheets/sheet1.xml`.
    pub sheets: Vec<String>,
    /// Bytes of all parts, inflated.
    pub inflated_bytes: u64,
    /// The parts as they were checked, re-packed uncompressed ("stored") in a zip of
    /// their own: what calamine should open. Nothing is inflated twice, and calamine
    /// reads exactly the bytes that were checked, not a second inflation of the original.
    pub stored: Vec<u8>,
}

/// Why a file was refused: the rule, and a plain message in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule broken: [`Rule::Damaged`], [`Rule::TooLarge`], [`Rule::Encrypted`],
    /// [`Rule::UnsupportedFormat`] or [`Rule::XmlEntities`].
    pub rule: Rule,
    /// Plain message in Chinese.
    pub zh: String,
    /// Plain message in English.
    pub en: String,
}

impl Refusal {
    fn new(rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal {
            rule,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule.as_str(), self.en)
    }
}

impl std::error::Error for Refusal {}

/// Parses an A1 cell reference (`A1`, `XFD1048576`; letters in either case, no `$`)
/// into a 0-based `(row, column)`: `A1` is `(0, 0)`, `XFD1048576` is
/// `(1048575, 16383)`, the inverse of [`crate::rejection::a1`]. `None` when it is not a
/// reference or lies outside an Excel sheet (column after `XFD`, row 0 or after
/// 1,048,576).
///
/// ```
/// use survey_parse::guard::cell_ref;
/// assert_eq!(cell_ref("B3"), Some((2, 1)));
/// assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
/// assert_eq!(cell_ref("XFE1"), None);
/// ```
pub fn cell_ref(reference: &str) -> Option<(u32, u32)> {
    match parse_cell(reference.as_bytes()) {
        Ok(Some(pos)) => Some(pos),
        _ => None,
    }
}

/// Parses an A1 reference. `Err(())`: not a reference at all; `Ok(None)`: a reference
/// outside `A1:XFD1048576`; `Ok(Some((row, col)))`, 0-based.
fn parse_cell(bytes: &[u8]) -> Result<Option<(u32, u32)>, ()> {
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = &bytes[letters..];
    if letters == 0 || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    let mut col: u64 = 0;
    for &b in &bytes[..letters] {
        col = (col * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1).min(u64::from(u32::MAX));
    }
    let row = parse_digits(digits);
    if row == 0 {
        return Err(());
    }
    if col > u64::from(MAX_COLS) || row > u64::from(MAX_ROWS) {
        return Ok(None);
    }
    Ok(Some((row as u32 - 1, col as u32 - 1)))
}

/// The value of a run of ASCII digits, saturating (leading zeros allowed).
fn parse_digits(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
}

/// The value of the leading digits of an attribute value (0 when there are none): what a
/// lenient number parser would make of it at most.
fn leading_number(value: &[u8]) -> u64 {
    let n = value.iter().take_while(|b| b.is_ascii_digit()).count();
    parse_digits(&value[..n])
}

/// Vets an xlsx file (the whole file, already read and within `max_file_bytes`) before
/// it reaches calamine. See the [module documentation](self) for the checks and their
/// order. Never panics, never inflates more than `limits.max_inflated_bytes`, and holds
/// at most one inflated part in memory at a time.
pub fn check_xlsx(bytes: &[u8], limits: &Limits) -> Result<XlsxFacts, Refusal> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Refusal::new(
            Rule::Damaged,
            format!("文件已损坏或不完整，不是有效的 xlsx 工作簿（{e}）"),
            format!("the file is damaged or truncated: not a valid xlsx workbook ({e})"),
        )
    })?;

    let entries = archive.len();
    if entries > limits.max_zip_entries {
        return Err(Refusal::new(
            Rule::TooLarge,
            format!("xlsx 压缩包内有 {entries} 个条目，超过上限 {}", limits.max_zip_entries),
            format!(
                "the xlsx zip holds {entries} entries, more than the limit of {}",
                limits.max_zip_entries
            ),
        ));
    }
    if archive.has_duplicate_names() {
        return Err(Refusal::new(
            Rule::Damaged,
            "xlsx 压缩包内有重名的条目，文件已损坏或被篡改",
            "the xlsx zip holds two entries with the same name; it is damaged or forged",
        ));
    }

    // Declared sizes, from the central directory: nothing is inflated yet.
    let mut declared_total: u64 = 0;
    for i in 0..entries {
        let entry = archive
            .by_index_data(i)
            .map_err(|e| damaged_entry(&format!("#{i}"), &e))?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > RATIO_EXEMPT_BYTES && size > packed.saturating_mul(limits.max_compression_ratio) {
            let name = quoted(entry.name_raw());
            let ratio = size / packed.max(1);
            return Err(Refusal::new(
                Rule::TooLarge,
                format!(
                    "条目“{name}”声明解压后为 {size} 字节，是压缩大小的 {ratio} 倍（上限 {} 倍），疑似解压炸弹",
                    limits.max_compression_ratio
                ),
                format!(
                    "entry `{name}` claims to inflate to {size} bytes, {ratio} times its compressed size (limit {}); this looks like a decompression bomb",
                    limits.max_compression_ratio
                ),
            ));
        }
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_inflated_bytes {
            return Err(Refusal::new(
                Rule::TooLarge,
                format!(
                    "工作簿解压后超过 {} 字节的上限，疑似解压炸弹",
                    limits.max_inflated_bytes
                ),
                format!(
                    "the workbook would inflate to more than the limit of {} bytes; this looks like a decompression bomb",
                    limits.max_inflated_bytes
                ),
            ));
        }
    }

    for i in 0..entries {
        let entry = archive
            .by_index_data(i)
            .map_err(|e| damaged_entry(&format!("#{i}"), &e))?;
        if entry.encrypted() {
            return Err(Refusal::new(
                Rule::Encrypted,
                "工作簿已加密（设有密码），无法读取；请去除密码后重新提交",
                "the workbook is encrypted (password-protected); remove the password and send it again",
            ));
        }
    }

    check_required_parts(archive.file_names_raw())?;

    // Inflate and scan each part in turn, never more than declared nor than the total cap,
    // and re-pack it uncompressed as soon as it has passed.
    let mut buf = Vec::new();
    let mut inflated: u64 = 0;
    let mut sheets = Vec::new();
    let mut stored = Repacked::new(declared_total, entries);
    for i in 0..entries {
        let remaining = limits.max_inflated_bytes.saturating_sub(inflated);
        buf.clear();
        let (name, declared) = if let Some(inflated) = inflate_whole(&mut archive, bytes, i, remaining, &mut buf) {
            inflated
        } else {
            buf.clear();
            let mut file = archive.by_index(i).map_err(|e| damaged_entry(&format!("#{i}"), &e))?;
            let name = String::from_utf8_lossy(file.name_raw()).into_owned();
            let declared = file.size();
            let cap = declared.min(remaining).saturating_add(1);
            // The declared size is within the limits checked above: reserve it at once.
            buf.reserve(usize::try_from(cap).unwrap_or(usize::MAX).min(MAX_RESERVE));
            (&mut file)
                .take(cap)
                .read_to_end(&mut buf)
                .map_err(|e| damaged_entry(&name, &e))?;
            (name, declared)
        };
        let got = buf.len() as u64;
        if got > declared {
            return Err(Refusal::new(
                Rule::Damaged,
                format!(
                    "条目“{}”解压后比声明的 {declared} 字节更大，压缩包已损坏或被篡改",
                    quoted(name.as_bytes())
                ),
                format!(
                    "entry `{}` inflates to more than its declared {declared} bytes; the zip is damaged or forged",
                    quoted(name.as_bytes())
                ),
            ));
        }
        if got > remaining {
            return Err(Refusal::new(
                Rule::TooLarge,
                format!(
                    "工作簿解压后超过 {} 字节的上限，疑似解压炸弹",
                    limits.max_inflated_bytes
                ),
                format!(
                    "the workbook inflates to more than the limit of {} bytes; this looks like a decompression bomb",
                    limits.max_inflated_bytes
                ),
            ));
        }
        inflated += got;
        let root = scan_part(&buf, &name, limits)?;
        stored.add(&name, &buf)?;
        if root == Root::Worksheet {
            sheets.push(name);
        }
    }
    Ok(XlsxFacts {
        sheets,
        inflated_bytes: inflated,
        stored: stored.finish()?,
    })
}

thread_local! {
    /// The worker's raw-deflate inflater, reset for each part: a new one per part costs an
    /// allocation and an initialisation of its state, a few percent of an ingest.
    static INFLATER: RefCell<flate2::Decompress> = RefCell::new(flate2::Decompress::new(false));
}

/// Inflates entry `i` into `buf` in one call on its raw bytes, with the worker's inflater
/// and no zeroing of the buffer first: its name and declared size. Only the plain case
/// is taken this way — a deflated entry that inflates to exactly its declared size, at
/// most `remaining` and [`MAX_RESERVE`], with a matching checksum; anything else (another
/// method, a stream that errs or ends early or late, a wrong checksum) gives `None`, and
/// the caller reads the entry through the zip crate, which reports what is wrong exactly
/// as before. Either way the bytes scanned are the same.
fn inflate_whole(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    bytes: &[u8],
    i: usize,
    remaining: u64,
    buf: &mut Vec<u8>,
) -> Option<(String, u64)> {
    let file = archive.by_index_raw(i).ok()?;
    if file.compression() != zip::CompressionMethod::Deflated || file.encrypted() {
        return None;
    }
    let declared = file.size();
    if declared > remaining {
        return None;
    }
    let start = usize::try_from(file.data_start()?).ok()?;
    let packed = usize::try_from(file.compressed_size()).ok()?;
    let input = bytes.get(start..start.checked_add(packed)?)?;
    let size = usize::try_from(declared).ok().filter(|&n| n <= MAX_RESERVE)?;
    buf.clear();
    // One byte of room past the declared size, so a longer stream cannot end in it.
    buf.reserve(size + 1);
    let status = INFLATER.with(|cell| {
        let mut inflater = cell.try_borrow_mut().ok()?;
        inflater.reset(false);
        inflater
            .decompress_vec(input, buf, flate2::FlushDecompress::Finish)
            .ok()
    })?;
    if status != flate2::Status::StreamEnd || buf.len() != size || crc32fast::hash(buf) != file.crc32() {
        return None;
    }
    Some((String::from_utf8_lossy(file.name_raw()).into_owned(), declared))
}

/// The checked parts, written uncompressed into an in-memory zip.
struct Repacked(zip::ZipWriter<Cursor<Vec<u8>>>);

impl Repacked {
    /// Local headers and the central directory add about 100 bytes per part.
    const OVERHEAD_PER_PART: usize = 128;

    fn new(inflated: u64, parts: usize) -> Self {
        let capacity = usize::try_from(inflated)
            .unwrap_or(usize::MAX)
            .saturating_add(parts.saturating_mul(Self::OVERHEAD_PER_PART))
            .min(MAX_RESERVE);
        Repacked(zip::ZipWriter::new(Cursor::new(Vec::with_capacity(capacity))))
    }

    fn options() -> zip::write::SimpleFileOptions {
        // A fixed timestamp: the zip lives in memory only, and the clock need not be read.
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default())
    }

    fn add(&mut self, name: &str, data: &[u8]) -> Result<(), Refusal> {
        use std::io::Write;
        let writer = &mut self.0;
        writer
            .start_file(name, Self::options())
            .and_then(|()| writer.write_all(data).map_err(zip::result::ZipError::from))
            .map_err(|e| damaged_entry(name, &e))
    }

    fn finish(self) -> Result<Vec<u8>, Refusal> {
        let cursor = self.0.finish().map_err(|e| damaged_entry("", &e))?;
        let mut bytes = cursor.into_inner();
        bytes.shrink_to_fit();
        Ok(bytes)
    }
}

/// A zip entry that cannot be read or inflated.
fn damaged_entry(name: &str, e: &dyn fmt::Display) -> Refusal {
    let name = quoted(name.as_bytes());
    Refusal::new(
        Rule::Damaged,
        format!("文件已损坏或不完整：条目“{name}”无法解压（{e}）"),
        format!("the file is damaged or truncated: entry `{name}` cannot be inflated ({e})"),
    )
}

/// Hostile text cut to a readable length for a message.
fn quoted(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() <= MAX_QUOTED {
        return text.into_owned();
    }
    let cut: String = text.chars().take(MAX_QUOTED).collect();
    format!("{cut}…")
}

/// An entry name as calamine looks it up: `\` as `/`, ASCII case folded.
fn normalized(name: &[u8]) -> Vec<u8> {
    name.iter()
        .map(|&b| if b == b'\\' { b'/' } else { b.to_ascii_lowercase() })
        .collect()
}

/// Refuses zips that are not workbooks, naming what they look like when that is clear.
fn check_required_parts<'a>(names: impl Iterator<Item = &'a [u8]>) -> Result<(), Refusal> {
    /// Parts that tell what else a zip is, and what to say about it.
    const LOOKALIKES: [(&[u8], &str, &str); 5] = [
        (
            b"xl/workbook.bin",
            "这是二进制工作簿（.xlsb），请另存为 .xlsx",
            "this is a binary workbook (.xlsb); save it as .xlsx",
        ),
        (
            b"word/document.xml",
            "这是 Word 文档（.docx），不是问卷工作簿",
            "this is a Word document (.docx), not a questionnaire workbook",
        ),
        (
            b"ppt/presentation.xml",
            "这是 PowerPoint 演示文稿，不是问卷工作簿",
            "this is a PowerPoint presentation, not a questionnaire workbook",
        ),
        (
            b"content.xml",
            "这是 OpenDocument 文件（如 .ods），请另存为 .xlsx",
            "this is an OpenDocument file (such as .ods); save it as .xlsx",
        ),
        (
            b"mimetype",
            "这是 OpenDocument 文件（如 .ods），请另存为 .xlsx",
            "this is an OpenDocument file (such as .ods); save it as .xlsx",
        ),
    ];
    let (mut content_types, mut workbook, mut lookalike) = (false, false, None);
    for name in names {
        let name = normalized(name);
        match name.as_slice() {
            b"[content_types].xml" => content_types = true,
            b"xl/workbook.xml" => workbook = true,
            other => {
                if let Some(i) = LOOKALIKES.iter().position(|(part, _, _)| *part == other) {
                    lookalike = Some(lookalike.map_or(i, |j: usize| j.min(i)));
                }
            }
        }
    }
    if content_types && workbook {
        return Ok(());
    }
    if let Some(i) = lookalike {
        let (_, zh, en) = LOOKALIKES[i];
        return Err(Refusal::new(Rule::UnsupportedFormat, zh, en));
    }
    let missing = if content_types {
        "xl/workbook.xml"
    } else {
        "[Content_Types].xml"
    };
    Err(Refusal::new(
        Rule::UnsupportedFormat,
        format!("这是一个压缩包，但不是 Excel 工作簿（缺少 {missing}）"),
        format!("this is a zip file but not an Excel workbook ({missing} is missing)"),
    ))
}

/// What a part's root element says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    /// `<worksheet>` (any prefix).
    Worksheet,
    /// Anything else, or not XML.
    Other,
}

/// XML whitespace, as quick-xml splits a tag's name from its attributes.
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The local part of a qualified name: after the first `:` (as quick-xml splits it).
fn local_name(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// Whether `bytes` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `span` holds `<!DOCTYPE` or `<!ENTITY`, in any case.
fn has_declaration(span: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = find_byte(&span[i..], b'<') {
        let at = i + p;
        let rest = &span[at + 1..];
        if rest.first() == Some(&b'!')
            && (starts_with_ignore_case(&rest[1..], b"DOCTYPE") || starts_with_ignore_case(&rest[1..], b"ENTITY"))
        {
            return true;
        }
        i = at + 1;
    }
    false
}

/// Bytes `0x01` repeated, for the word-at-a-time searches.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// Bytes `0x80` repeated.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// High bit set in each byte of `word` equal to `byte`, at least for the first such
/// byte in memory order (the classic "has zero byte" trick; bytes after the first match
/// may be flagged falsely, which the callers never look at).
#[inline]
fn matches_in(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Position of the first byte of `haystack` that is one of `needles` (at most four),
/// eight bytes at a time: markup scanning is dominated by this search. Spans between
/// markup bytes are short (a tag, a cell value), where an inlined word-at-a-time loop
/// costs fewer instructions than a call into a vectorised search such as memchr's
/// (measured with callgrind on template workbooks: 25% more with memchr).
#[inline]
fn find_any(haystack: &[u8], needles: &[u8]) -> Option<usize> {
    let mut chunks = haystack.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = needles.iter().fold(0, |acc, &n| acc | matches_in(word, n));
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| needles.contains(b))
        .map(|p| offset + p)
}

/// Position of the first `byte` in `haystack`.
#[inline]
fn find_byte(haystack: &[u8], byte: u8) -> Option<usize> {
    find_any(haystack, &[byte])
}

/// Bytes `0x7F` repeated.
const LOWS: u64 = u64::from_ne_bytes([0x7F; 8]);

/// High bit set in exactly the bytes of `word` equal to `byte` (unlike [`matches_in`],
/// no false flags after the first match, so every flagged byte can be visited).
#[inline]
fn exact_matches_in(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    // A byte's high bit survives `(x & 0x7F) + 0x7F` iff its low bits are not all zero; no
    // carry crosses into the next byte.
    !(((x & LOWS) + LOWS) | x) & HIGHS
}

/// The bytes that matter inside a tag (`>`, `<` and the quotes) among eight, flagged.
#[inline]
fn tag_bytes_in(word: u64) -> u64 {
    exact_matches_in(word, b'>')
        | exact_matches_in(word, b'<')
        | exact_matches_in(word, b'"')
        | exact_matches_in(word, b'\'')
}

/// Index of the `>` ending a tag whose content starts at `from`, outside quotes (as
/// quick-xml finds it: `>` may appear inside quoted attribute values), and whether a `<`
/// appears on the way.
///
/// Eight bytes at a time: every `>`, `<` and quote of a word is flagged at once and only
/// those bytes go through the quote state, in order; the other bytes cannot change it. A
/// tag's bytes are mostly names and values, so this costs about half of a byte-by-byte
/// loop (callgrind, template workbooks).
fn tag_end(data: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut state = TagState::default();
    let rest = data.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in &mut chunks {
        let mut flagged = tag_bytes_in(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        while flagged != 0 {
            let i = (flagged.trailing_zeros() / 8) as usize;
            flagged &= flagged - 1;
            if state.ends_at(chunk[i]) {
                return Some((offset + i, state.saw_lt));
            }
        }
        offset += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if state.ends_at(b) {
            return Some((offset + i, state.saw_lt));
        }
    }
    None
}

/// Where [`tag_end`] is: inside a quoted value (its quote) or not (0), and whether a `<`
/// was seen.
#[derive(Default)]
struct TagState {
    quote: u8,
    saw_lt: bool,
}

impl TagState {
    /// Takes the next byte of the tag; true when it is the `>` that ends it.
    #[inline]
    fn ends_at(&mut self, b: u8) -> bool {
        match b {
            b'<' => self.saw_lt = true,
            b'>' if self.quote == 0 => return true,
            b'"' | b'\'' if self.quote == 0 => self.quote = b,
            _ if b == self.quote => self.quote = 0,
            _ => {}
        }
        false
    }
}

/// Index of the `>` ending a construct starting at `s` (at `<`): the first `>` at or
/// after `min` preceded by `tail`.
fn end_after(data: &[u8], min: usize, tail: &[u8]) -> Option<usize> {
    let mut i = min;
    while i < data.len() {
        let p = i + find_byte(&data[i..], b'>')?;
        if data[..p].ends_with(tail) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// One attribute of a tag, as calamine's raw attribute iterator reads them: the key is
/// everything up to `=` (trailing whitespace trimmed), the value is quoted, raw (no
/// entity decoding).
struct Attrs<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Attrs<'a> {
    /// `Err(())`: a malformed attribute; calamine fails on the element there.
    type Item = Result<(&'a [u8], &'a [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.raw;
        let mut pos = self.pos;
        while pos < raw.len() && raw[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= raw.len() {
            self.pos = pos;
            return None;
        }
        let key_start = pos;
        let Some(eq) = raw[pos..].iter().position(|&b| b == b'=') else {
            self.pos = raw.len();
            return Some(Err(()));
        };
        let key = raw[key_start..pos + eq].trim_ascii_end();
        pos += eq + 1;
        while pos < raw.len() && raw[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = match raw.get(pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.pos = raw.len();
                return Some(Err(()));
            }
        };
        pos += 1;
        let value_start = pos;
        let value_end = raw[pos..]
            .iter()
            .position(|&b| b == quote)
            .map_or(raw.len(), |p| pos + p);
        self.pos = (value_end + 1).min(raw.len());
        Some(Ok((key, &raw[value_start..value_end])))
    }
}

fn attrs(raw: &[u8]) -> Attrs<'_> {
    Attrs { raw, pos: 0 }
}

/// Cells of the `<sheetData>` being read: calamine's position state, and what was seen.
struct SheetData {
    /// The row calamine gives a cell without `r` (0-based).
    row: u64,
    /// The column calamine gives a cell without `r` (0-based).
    col: u64,
    /// Cells seen.
    cells: u64,
    /// Bounding box of cell positions: (first row, first column, last row, last column).
    bbox: Option<(u32, u32, u32, u32)>,
}

impl SheetData {
    fn new() -> Self {
        SheetData {
            row: 0,
            col: 0,
            cells: 0,
            bbox: None,
        }
    }

    fn add(&mut self, (row, col): (u32, u32)) {
        self.bbox = Some(match self.bbox {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
    }
}

/// Scans one part's bytes once, the way quick-xml tokenizes them, and refuses what would
/// hurt calamine. Returns what the part's root element is.
fn scan_part(data: &[u8], part: &str, limits: &Limits) -> Result<Root, Refusal> {
    let mut root = None;
    // The `<sheetData>` being read, and the `<c>` open in it with the elements open in that.
    let mut sheet: Option<SheetData> = None;
    let mut cell: Option<&[u8]> = None;
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut pos = 0;
    // Where markup was left open at the end (quick-xml stops there with an error).
    let mut unclosed = None;
    while let Some(off) = find_byte(&data[pos..], b'<') {
        let s = pos + off;
        let Some(&kind) = data.get(s + 1) else { break };
        match kind {
            b'!' => {
                let rest = &data[s + 2..];
                let end = if rest.starts_with(b"--") {
                    // A comment: up to the first `-->` that leaves `<!---->` at least.
                    end_after(data, s + 6, b"--")
                } else if rest.starts_with(b"[CDATA[") {
                    end_after(data, s + 4, b"]]")
                } else if starts_with_ignore_case(rest, b"DOCTYPE") || starts_with_ignore_case(rest, b"ENTITY") {
                    return Err(entities(part));
                } else {
                    // A syntax error to quick-xml, which stops reading the part here.
                    pos = s + 2;
                    continue;
                };
                let Some(end) = end else {
                    unclosed = Some(s);
                    break;
                };
                if has_declaration(&data[s + 2..end]) {
                    return Err(entities(part));
                }
                pos = end + 1;
            }
            b'?' => {
                // A processing instruction (or the XML declaration): up to the first `?>`.
                let Some(end) = end_after(data, s + 2, b"?") else {
                    unclosed = Some(s);
                    break;
                };
                if has_declaration(&data[s + 2..end]) {
                    return Err(entities(part));
                }
                pos = end + 1;
            }
            b'/' => {
                let Some((end, saw_lt)) = tag_end(data, s + 1) else {
                    unclosed = Some(s);
                    break;
                };
                let content = &data[s + 2..end];
                if saw_lt && has_declaration(content) {
                    return Err(entities(part));
                }
                let qname = content.trim_ascii_end();
                end_tag(qname, &mut sheet, &mut cell, &mut stack, part, limits)?;
                pos = end + 1;
            }
            _ => {
                let Some((end, saw_lt)) = tag_end(data, s + 1) else {
                    unclosed = Some(s);
                    break;
                };
                let mut content = &data[s + 1..end];
                if saw_lt && has_declaration(content) {
                    return Err(entities(part));
                }
                let self_closing = content.last() == Some(&b'/');
                if self_closing {
                    content = &content[..content.len() - 1];
                }
                let name_len = content.iter().position(|&b| is_xml_space(b)).unwrap_or(content.len());
                let (qname, raw_attrs) = content.split_at(name_len);
                let local = local_name(qname);
                if root.is_none() {
                    root = Some(if local == b"worksheet" {
                        Root::Worksheet
                    } else {
                        Root::Other
                    });
                }
                start_tag(
                    qname,
                    raw_attrs,
                    &mut sheet,
                    &mut cell,
                    &mut stack,
                    data.len(),
                    part,
                    limits,
                )?;
                if self_closing {
                    // quick-xml reports `<x/>` as a start and an end (calamine asks it to).
                    end_tag(qname, &mut sheet, &mut cell, &mut stack, part, limits)?;
                }
                pos = end + 1;
            }
        }
    }
    // What follows unclosed markup is never read as markup; declarations are refused
    // all the same.
    if unclosed.is_some_and(|s| has_declaration(&data[s..])) {
        return Err(entities(part));
    }
    if let Some(sheet) = &sheet {
        check_cells(sheet, part, limits)?;
    }
    Ok(root.unwrap_or(Root::Other))
}

/// A start tag (a self-closing one is a start, then an end).
#[allow(clippy::too_many_arguments)]
fn start_tag<'a>(
    qname: &'a [u8],
    raw_attrs: &'a [u8],
    sheet: &mut Option<SheetData>,
    cell: &mut Option<&'a [u8]>,
    stack: &mut Vec<&'a [u8]>,
    part_len: usize,
    part: &str,
    limits: &Limits,
) -> Result<(), Refusal> {
    let local = local_name(qname);
    // Checks that hold wherever the element appears.
    match local {
        b"sst" => {
            for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
                if local_name(key) == b"uniqueCount" {
                    let declared = leading_number(value);
                    if declared.saturating_mul(SST_BYTES_PER_STRING) > part_len as u64 {
                        return Err(Refusal::new(
                            Rule::TooLarge,
                            format!(
                                "共享字符串表声明有 {} 个字符串，但其内容只有 {part_len} 字节，文件已被篡改",
                                quoted(value)
                            ),
                            format!(
                                "the shared strings table declares {} shared strings but is only {part_len} bytes long; the file is forged",
                                quoted(value)
                            ),
                        ));
                    }
                }
            }
        }
        b"dimension" => {
            for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
                if key == b"ref" {
                    check_dimension(value, part, limits)?;
                }
            }
        }
        b"mergeCell" => {
            for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
                if key == b"ref" && parse_range(value).is_none() {
                    return Err(bad_reference(part, value));
                }
            }
        }
        b"f" => {
            for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
                if key == b"ref" && cell.is_some() && parse_range(value).is_none() {
                    return Err(bad_reference(part, value));
                }
                if key == b"si" && leading_number(value).saturating_mul(SHARED_FORMULA_BYTES) > part_len as u64 {
                    return Err(Refusal::new(
                        Rule::TooLarge,
                        format!(
                            "工作表“{}”声明了第 {} 号共享公式，远超其内容所能容纳",
                            quoted(part.as_bytes()),
                            quoted(value)
                        ),
                        format!(
                            "sheet part `{}` declares shared formula number {}, far more than it can hold",
                            quoted(part.as_bytes()),
                            quoted(value)
                        ),
                    ));
                }
            }
        }
        _ => {}
    }

    // Cell data: calamine reads from the first `<sheetData>` to its end.
    if cell.is_some() {
        // Inside a cell, calamine reads the value elements whole; rows, cells or sheet data
        // in there would put it out of step with this scan.
        if matches!(local, b"c" | b"row" | b"sheetData") || stack.len() >= MAX_CELL_DEPTH {
            return Err(malformed_cell(part));
        }
        stack.push(qname);
        return Ok(());
    }
    if local == b"sheetData" {
        if sheet.is_some() {
            return Err(malformed_cell(part));
        }
        *sheet = Some(SheetData::new());
        return Ok(());
    }
    let Some(sd) = sheet.as_mut() else { return Ok(()) };
    match local {
        b"row" => {
            // calamine takes the first `r`; every one must be a row number.
            let mut first = None;
            for attr in attrs(raw_attrs) {
                let (key, value) = attr.map_err(|()| malformed_cell(part))?;
                if key == b"r" {
                    let row = leading_number(value);
                    if value.is_empty()
                        || !value.iter().all(u8::is_ascii_digit)
                        || row == 0
                        || row > u64::from(MAX_ROWS)
                    {
                        return Err(bad_reference(part, value));
                    }
                    first.get_or_insert(row - 1);
                }
            }
            if let Some(row) = first {
                sd.row = row;
            }
        }
        b"c" => {
            // calamine takes `r`, `s` and `t` in one pass that stops once it has seen three
            // of them, the last `r` seen winning; every `r` must be a cell reference, and all
            // count towards the bounding box.
            let (mut found, mut chosen) = (0, None);
            for attr in attrs(raw_attrs) {
                let (key, value) = attr.map_err(|()| malformed_cell(part))?;
                let is_r = key == b"r";
                if is_r {
                    let pos = match parse_cell(value) {
                        Ok(Some(pos)) => pos,
                        _ => return Err(bad_reference(part, value)),
                    };
                    sd.add(pos);
                    if found < 3 {
                        chosen = Some(pos);
                    }
                }
                if found < 3 && (is_r || key == b"s" || key == b"t") {
                    found += 1;
                }
            }
            let (row, col) = match chosen {
                Some((row, col)) => (u64::from(row), u64::from(col)),
                None => (sd.row, sd.col),
            };
            if row >= u64::from(MAX_ROWS) || col >= u64::from(MAX_COLS) {
                return Err(Refusal::new(
                    Rule::Damaged,
                    format!(
                        "工作表“{}”有单元格在第 1048576 行或 XFD 列之外，文件已损坏",
                        quoted(part.as_bytes())
                    ),
                    format!(
                        "sheet part `{}` has a cell beyond row 1048576 or column XFD; the file is damaged",
                        quoted(part.as_bytes())
                    ),
                ));
            }
            sd.add((row as u32, col as u32));
            sd.col = col + 1;
            sd.cells += 1;
            if sd.cells > limits.max_cells_per_sheet {
                return Err(Refusal::new(
                    Rule::TooLarge,
                    format!(
                        "工作表“{}”的单元格超过上限 {}",
                        quoted(part.as_bytes()),
                        limits.max_cells_per_sheet
                    ),
                    format!(
                        "sheet part `{}` has more than {} cells",
                        quoted(part.as_bytes()),
                        limits.max_cells_per_sheet
                    ),
                ));
            }
            *cell = Some(qname);
        }
        _ => {}
    }
    Ok(())
}

/// An end tag (`qname` as quick-xml reports it: the tag's content, trailing whitespace
/// trimmed).
fn end_tag<'a>(
    qname: &'a [u8],
    sheet: &mut Option<SheetData>,
    cell: &mut Option<&'a [u8]>,
    stack: &mut Vec<&'a [u8]>,
    part: &str,
    limits: &Limits,
) -> Result<(), Refusal> {
    if let Some(open) = *cell {
        // Inside a cell, elements must close in order, and the cell last.
        match stack.pop() {
            Some(top) if top == qname => {}
            Some(_) => return Err(malformed_cell(part)),
            None if qname == open => *cell = None,
            None => return Err(malformed_cell(part)),
        }
        return Ok(());
    }
    let Some(sd) = sheet.as_mut() else { return Ok(()) };
    match local_name(qname) {
        b"row" => {
            sd.row += 1;
            sd.col = 0;
        }
        b"sheetData" => {
            check_cells(sd, part, limits)?;
            *sheet = None;
        }
        _ => {}
    }
    Ok(())
}

/// The bounding box of a sheet's cells against `max_cells_per_sheet`.
fn check_cells(sheet: &SheetData, part: &str, limits: &Limits) -> Result<(), Refusal> {
    let Some((r0, c0, r1, c1)) = sheet.bbox else {
        return Ok(());
    };
    let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
    if area > limits.max_cells_per_sheet {
        let (from, to) = (a1(r0, c0), a1(r1, c1));
        return Err(Refusal::new(
            Rule::TooLarge,
            format!(
                "工作表“{}”的单元格分布在 {from} 到 {to}，范围含 {area} 个单元格，超过上限 {}",
                quoted(part.as_bytes()),
                limits.max_cells_per_sheet
            ),
            format!(
                "sheet part `{}` has cells from {from} to {to}, a range of {area} cells, more than the limit of {}",
                quoted(part.as_bytes()),
                limits.max_cells_per_sheet
            ),
        ));
    }
    Ok(())
}

/// A range (`A1:B2`, or one cell `A1`) inside the sheet, first corner first: calamine
/// subtracts the corners without checking their order (a panic in a debug build).
fn parse_range(value: &[u8]) -> Option<((u32, u32), (u32, u32))> {
    let mut corners = value.split(|&b| b == b':');
    let first = corners.next().unwrap_or_default();
    let second = corners.next().unwrap_or(first);
    if corners.next().is_some() {
        return None;
    }
    let (Ok(Some(from)), Ok(Some(to))) = (parse_cell(first), parse_cell(second)) else {
        return None;
    };
    (from.0 <= to.0 && from.1 <= to.1).then_some((from, to))
}

/// A `<dimension ref="A1:XFD1048576">` against `max_cells_per_sheet`.
fn check_dimension(value: &[u8], part: &str, limits: &Limits) -> Result<(), Refusal> {
    let ((r0, c0), (r1, c1)) = parse_range(value).ok_or_else(|| bad_reference(part, value))?;
    let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
    if area > limits.max_cells_per_sheet {
        return Err(Refusal::new(
            Rule::TooLarge,
            format!(
                "工作表“{}”声明的范围 {} 含 {area} 个单元格，超过上限 {}",
                quoted(part.as_bytes()),
                quoted(value),
                limits.max_cells_per_sheet
            ),
            format!(
                "sheet part `{}` declares the range {} of {area} cells, more than the limit of {}",
                quoted(part.as_bytes()),
                quoted(value),
                limits.max_cells_per_sheet
            ),
        ));
    }
    Ok(())
}

fn entities(part: &str) -> Refusal {
    let part = quoted(part.as_bytes());
    Refusal::new(
        Rule::XmlEntities,
        format!("条目“{part}”含有 DOCTYPE 或实体声明（可能是 XML 实体膨胀攻击），拒绝读取"),
        format!(
            "part `{part}` contains a DOCTYPE or entity declaration (a possible XML entity expansion attack); refused"
        ),
    )
}

fn bad_reference(part: &str, value: &[u8]) -> Refusal {
    let (part, value) = (quoted(part.as_bytes()), quoted(value));
    Refusal::new(
        Rule::Damaged,
        format!("工作表“{part}”中的单元格引用“{value}”无效或超出 A1:XFD1048576，文件已损坏"),
        format!(
            "sheet part `{part}` has the cell reference `{value}`, which is invalid or outside A1:XFD1048576; the file is damaged"
        ),
    )
}

fn malformed_cell(part: &str) -> Refusal {
    let part = quoted(part.as_bytes());
    Refusal::new(
        Rule::Damaged,
        format!("工作表“{part}”的单元格数据格式错误，文件已损坏"),
        format!("sheet part `{part}` has malformed cell data; the file is damaged"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Reader;
    use std::io::Write;
    use std::time::Instant;
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;

    const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    const SHEET_PATH: &str = "xl/worksheets/sheet1.xml";
    const SST_PATH: &str = "xl/sharedStrings.xml";

    fn deflated() -> SimpleFileOptions {
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            out.start_file(*name, deflated()).unwrap();
            out.write_all(data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// A sheet part around `sheet_data` (the content of `<sheetData>`), with `before` ahead
    /// of `<sheetData>` (e.g. a `<dimension>`).
    fn sheet_xml(before: &str, sheet_data: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{before}<sheetData>{sheet_data}</sheetData></worksheet>"#
        )
    }

    /// A hand-made workbook with one sheet, whose parts the tests replace.
    fn workbook_with(sheet: &str, shared_strings: Option<&str>) -> Vec<u8> {
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("_rels/.rels", RELS.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
            (SHEET_PATH, sheet.as_bytes()),
        ];
        if let Some(sst) = shared_strings {
            entries.push((SST_PATH, sst.as_bytes()));
        }
        zip_of(&entries)
    }

    fn with_sheet_data(sheet_data: &str) -> Vec<u8> {
        workbook_with(&sheet_xml("", sheet_data), None)
    }

    /// A real workbook, written by rust_xlsxwriter: two sheets, shared strings, numbers
    /// and a formula.
    fn real_workbook() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "统一社会信用代码").unwrap();
        sheet.write_string(0, 1, "91310110MA1G800001").unwrap();
        sheet.write_number(1, 0, 12.5).unwrap();
        sheet.write_formula(1, 1, "=A2*2").unwrap();
        let second = book.add_worksheet();
        second.write_string(9, 3, "x").unwrap();
        book.save_to_buffer().unwrap()
    }

    /// The entries of a zip, inflated.
    fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    /// A copy of the zip `bytes` with each part passed through `edit`.
    fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries_of(bytes) {
            let data = edit(&name, data);
            out.start_file(name.as_str(), deflated()).unwrap();
            out.write_all(&data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn refused(bytes: &[u8]) -> Refusal {
        refused_with(bytes, &Limits::default())
    }

    fn refused_with(bytes: &[u8], limits: &Limits) -> Refusal {
        match check_xlsx(bytes, limits) {
            Ok(facts) => panic!("accepted: {facts:?}"),
            Err(refusal) => {
                assert!(!refusal.zh.is_empty() && !refusal.en.is_empty());
                refusal
            }
        }
    }

    #[test]
    fn tag_ends_are_found_outside_quotes_wherever_the_word_boundaries_fall() {
        // (tag content after `<`, index of its ending `>` in it, whether a `<` comes first)
        let cases: [(&[u8], Option<usize>, bool); 9] = [
            (b"c r=\"A1\" s=\"1\" t=\"s\">", Some(20), false),
            (b"a b=\">\" c='>'>", Some(13), false),
            (b"a b='\">\"'>", Some(9), false),
            (b"a b=\"'\">", Some(7), false),
            (b"a <b>", Some(4), true),
            (b"a b=\"<\">", Some(7), true),
            (b"a b=\">", None, false),
            (b"a b='x\"y>", None, false),
            (b"", None, false),
        ];
        for (tag, end, saw_lt) in cases {
            // Shift the tag across every offset within a word, and pad after it.
            for pad in 0..9 {
                let mut data = vec![b'x'; pad];
                data.extend_from_slice(tag);
                let expected = end.map(|e| (pad + e, saw_lt));
                assert_eq!(
                    tag_end(&data, pad),
                    expected,
                    "{} at {pad}",
                    String::from_utf8_lossy(tag)
                );
                data.extend_from_slice(b"        >");
                if let Some(e) = expected {
                    assert_eq!(
                        tag_end(&data, pad),
                        Some(e),
                        "{} at {pad}, padded",
                        String::from_utf8_lossy(tag)
                    );
                }
            }
        }
        assert_eq!(tag_end(b"ab>", 7), None);
    }

    #[test]
    fn exact_byte_flags_mark_every_match_and_nothing_else() {
        let bytes = *b"<>\"<<'\x80\xbe";
        let word = u64::from_le_bytes(bytes);
        for needle in [b'<', b'>', b'"', b'\'', 0x80, 0xbe, 0x00] {
            let flags = exact_matches_in(word, needle);
            for (i, &b) in bytes.iter().enumerate() {
                assert_eq!(flags >> (i * 8 + 7) & 1 == 1, b == needle, "{needle:#x} at {i}");
            }
        }
    }

    #[test]
    fn cell_refs_parse_like_excel() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B3"), Some((2, 1)));
        assert_eq!(cell_ref("Z10"), Some((9, 25)));
        assert_eq!(cell_ref("AA10"), Some((9, 26)));
        assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref("xfd1"), Some((0, 16_383)));
        for bad in [
            "",
            "A",
            "1",
            "A0",
            "XFE1",
            "A1048577",
            "AAAA1",
            "$A$1",
            "A1B",
            "A-1",
            "A 1",
            "1A",
            "ZZZZZZZZZZZZZZ1",
            "A99999999999999999999999",
        ] {
            assert_eq!(cell_ref(bad), None, "{bad}");
        }
        // The inverse of the A1 notation used in reports.
        for (row, col) in [(0, 0), (9, 27), (1_048_575, 16_383), (4, 701), (4, 702)] {
            assert_eq!(cell_ref(&a1(row, col)), Some((row, col)));
        }
    }

    #[test]
    fn a_real_workbook_passes_and_reports_its_sheets() {
        let bytes = real_workbook();
        let facts = check_xlsx(&bytes, &Limits::default()).unwrap();
        assert_eq!(facts.sheets, ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]);
        let total: usize = entries_of(&bytes).iter().map(|(_, d)| d.len()).sum();
        assert_eq!(facts.inflated_bytes, total as u64);
        // The re-packed zip holds the same parts, byte for byte, none of them compressed,
        // and calamine reads the same cells from it as from the original.
        assert_eq!(entries_of(&facts.stored), entries_of(&bytes));
        let mut repacked = zip::ZipArchive::new(Cursor::new(&facts.stored[..])).unwrap();
        for i in 0..repacked.len() {
            let entry = repacked.by_index_raw(i).unwrap();
            assert_eq!(
                entry.compression(),
                zip::CompressionMethod::Stored,
                "{:?}",
                entry.name_raw()
            );
        }
        let cells = |bytes: &[u8]| {
            use calamine::Reader;
            let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
            let names = book.sheet_names();
            names
                .iter()
                .map(|n| book.worksheet_range(n).unwrap())
                .map(|range| range.cells().map(|(r, c, v)| (r, c, v.to_string())).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(cells(&facts.stored), cells(&bytes));
        assert!(!cells(&bytes).concat().is_empty());
        // An empty workbook (one blank sheet) passes too.
        let blank = rust_xlsxwriter::Workbook::new().save_to_buffer().unwrap();
        assert_eq!(
            check_xlsx(&blank, &Limits::default()).unwrap().sheets,
            ["xl/worksheets/sheet1.xml"]
        );
    }

    #[test]
    fn a_hand_made_workbook_passes() {
        let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="1"><si><t>a</t></si></sst>"#;
        let sheet = sheet_xml(
            r#"<dimension ref="A1:C2"/>"#,
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><f t="shared" ref="C1:C2" si="0">A1</f><v>1</v></c></row><row r="2"><c><v>2</v></c><c t="inlineStr"><is><r><rPr><b/></rPr><t>x</t></r></is></c></row>"#,
        );
        let facts = check_xlsx(&workbook_with(&sheet, Some(sst)), &Limits::default()).unwrap();
        assert_eq!(facts.sheets, [SHEET_PATH]);
    }

    /// Bits packed the way deflate packs them: from the least significant bit up.
    #[derive(Default)]
    struct Bits {
        bytes: Vec<u8>,
        len: usize,
    }

    impl Bits {
        fn bit(&mut self, bit: bool) {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if bit {
                *self.bytes.last_mut().unwrap() |= 1 << (self.len % 8);
            }
            self.len += 1;
        }

        /// A header field or extra bits: least significant bit first.
        fn value(&mut self, value: u32, bits: u32) {
            (0..bits).for_each(|i| self.bit(value >> i & 1 == 1));
        }

        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u32, bits: u32) {
            (0..bits).rev().for_each(|i| self.bit(code >> i & 1 == 1));
        }

        fn zeros(&mut self, n: usize) {
            self.len += n;
            self.bytes.resize(self.len.div_ceil(8), 0);
        }
    }

    /// A raw deflate stream inflating to `len` zero bytes (`len` ≥ 1), written directly: one
    /// dynamic Huffman block whose codes make "copy 258 bytes from distance 1" two zero
    /// bits, so 300 MB of zeros take about 300 KB, as zlib makes them. (Streaming 300 MB
    /// through `ZipWriter` takes over 10 s in a debug build.)
    fn deflated_zeros(len: u64) -> Vec<u8> {
        let mut bits = Bits::default();
        bits.value(1, 1); // the final block
        bits.value(2, 2); // dynamic Huffman codes
        bits.value(29, 5); // 286 literal/length codes
        bits.value(1, 5); // 2 distance codes
        bits.value(14, 4); // 18 code length codes
        // Code length code lengths, in their odd order 16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
        // 11, 4, 12, 3, 13, 2, 14, 1: 18 (a run of zeros) takes 1 bit, lengths 1 and 2
        // take 2 bits; canonical codes 18 = 0, 1 = 10, 2 = 11.
        for length in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
            bits.value(length, 3);
        }
        let (len_1, len_2) = (|b: &mut Bits| b.code(0b10, 2), |b: &mut Bits| b.code(0b11, 2));
        let zero_run = |b: &mut Bits, n: u32| {
            b.code(0, 1);
            b.value(n - 11, 7);
        };
        // Literal/length code lengths: 0 and 256 (end of block) take 2 bits, 285 (length
        // 258) takes 1; distance code lengths: 0 (distance 1) and 1 take 1 bit.
        len_2(&mut bits); // literal 0
        zero_run(&mut bits, 138);
        zero_run(&mut bits, 117); // 1..=255
        len_2(&mut bits); // 256
        zero_run(&mut bits, 28); // 257..=284
        len_1(&mut bits); // 285
        len_1(&mut bits); // distance 0
        len_1(&mut bits); // distance 1
        // Canonical codes: 285 = 0, literal 0 = 10, end of block = 11; distance 1 = 0.
        bits.code(0b10, 2);
        let matches = (len - 1) / 258;
        bits.zeros(2 * matches as usize);
        for _ in 0..(len - 1) % 258 {
            bits.code(0b10, 2);
        }
        bits.code(0b11, 2);
        bits.bytes
    }

    /// CRC-32 of `data`, bit by bit (small data only).
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { crc >> 1 ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// CRC-32 of `len` zero bytes, by squaring the operator that feeds one zero bit (as
    /// zlib's `crc32_combine` does).
    fn crc32_of_zeros(mut len: u64) -> u32 {
        fn times(matrix: &[u32; 32], mut vector: u32) -> u32 {
            let (mut sum, mut i) = (0, 0);
            while vector != 0 {
                if vector & 1 == 1 {
                    sum ^= matrix[i];
                }
                vector >>= 1;
                i += 1;
            }
            sum
        }
        fn square(matrix: &[u32; 32]) -> [u32; 32] {
            std::array::from_fn(|n| times(matrix, matrix[n]))
        }
        let mut operator: [u32; 32] = std::array::from_fn(|n| if n == 0 { 0xEDB8_8320 } else { 1 << (n - 1) });
        for _ in 0..3 {
            operator = square(&operator); // one zero byte
        }
        let mut crc = !0u32;
        while len > 0 {
            if len & 1 == 1 {
                crc = times(&operator, crc);
            }
            operator = square(&operator);
            len >>= 1;
        }
        !crc
    }

    /// A zip made by hand from entries (name, method (0 stored, 8 deflated), CRC-32,
    /// data as stored, inflated size).
    fn hand_made_zip(entries: &[(&str, u16, u32, &[u8], u32)]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for &(name, method, crc, data, size) in entries {
            let offset = out.len() as u32;
            let common = |v: &mut Vec<u8>| {
                v.extend_from_slice(&20u16.to_le_bytes()); // version needed
                v.extend_from_slice(&0u16.to_le_bytes()); // flags
                v.extend_from_slice(&method.to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // time
                v.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
                v.extend_from_slice(&crc.to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&size.to_le_bytes());
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // extra field length
            };
            out.extend_from_slice(b"PK\x03\x04");
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            common(&mut central);
            central.extend_from_slice(&[0; 10]); // comment length, disk, internal and external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (central_offset, central_len) = (out.len() as u32, central.len() as u32);
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]); // disk numbers
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&central_len.to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

    /// A workbook whose sheet is `zeros` zero bytes, deflated.
    fn bomb(zeros: u64) -> Vec<u8> {
        let sheet = deflated_zeros(zeros);
        hand_made_zip(&[
            (
                "[Content_Types].xml",
                0,
                crc32(CONTENT_TYPES.as_bytes()),
                CONTENT_TYPES.as_bytes(),
                CONTENT_TYPES.len() as u32,
            ),
            (
                "xl/workbook.xml",
                0,
                crc32(WORKBOOK.as_bytes()),
                WORKBOOK.as_bytes(),
                WORKBOOK.len() as u32,
            ),
            (SHEET_PATH, 8, crc32_of_zeros(zeros), &sheet, zeros as u32),
        ])
    }

    #[test]
    fn the_hand_made_bomb_is_a_real_zip() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        for len in [1, 2, 7, 258, 259, 1000, 5000] {
            assert_eq!(crc32_of_zeros(len), crc32(&vec![0; len as usize]), "{len}");
        }
        // The zip crate inflates it and checks the CRC: the generator is right.
        for zeros in [1, 258, 259, 260, 100_000] {
            let entries = entries_of(&bomb(zeros));
            assert_eq!(entries[2].0, SHEET_PATH);
            assert_eq!(entries[2].1, vec![0; zeros as usize]);
        }
        assert!(
            check_xlsx(&bomb(100_000), &Limits::default())
                .unwrap()
                .sheets
                .is_empty()
        );
    }

    #[test]
    fn zip_bomb_is_too_large_without_being_inflated() {
        // 300 MB of zeros in about 300 KB.
        let bomb = bomb(300 << 20);
        assert!(bomb.len() < 400_000, "{} bytes", bomb.len());

        let started = Instant::now();
        let refusal = refused(&bomb);
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(refusal.en.contains("decompression bomb"), "{}", refusal.en);
        assert!(
            refusal.en.contains(SHEET_PATH),
            "the ratio check names the entry: {}",
            refusal.en
        );
        assert!(
            started.elapsed().as_millis() < 200,
            "refused from the zip directory, without inflating"
        );

        // With the ratio limit out of the way, the total inflated size stops it.
        let lax = Limits {
            max_compression_ratio: u64::MAX,
            ..Limits::default()
        };
        let refusal = refused_with(&bomb, &lax);
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(
            refusal.en.contains("would inflate to more than the limit"),
            "{}",
            refusal.en
        );
    }

    #[test]
    fn a_small_bomb_is_stopped_by_its_ratio() {
        // 4 MB of spaces: under the total limit, over the ratio limit.
        let sheet = vec![b' '; 4 << 20];
        let refusal = refused(&workbook_with(std::str::from_utf8(&sheet).unwrap(), None));
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(refusal.en.contains(SHEET_PATH), "{}", refusal.en);
        // Small parts compress as well as they like.
        assert!(
            check_xlsx(
                &workbook_with(&sheet_xml(&" ".repeat(1 << 19), ""), None),
                &Limits::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn billion_laughs_in_shared_strings_is_refused() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol3;</t></si></sst>"#;
        let bytes = rewrite_zip(&real_workbook(), |name, data| {
            if name == SST_PATH {
                laughs.as_bytes().to_vec()
            } else {
                data
            }
        });
        let refusal = refused(&bytes);
        assert_eq!(refusal.rule, Rule::XmlEntities);
        assert!(refusal.en.contains(SST_PATH));
    }

    #[test]
    fn entity_declarations_anywhere_are_refused() {
        let cases = [
            "<!doctype x><worksheet/>".to_owned(),
            sheet_xml("", r#"<!ENTITY a "b">"#),
            // Hidden where quick-xml would not look, still refused.
            sheet_xml("<!-- <!DOCTYPE x> -->", ""),
            sheet_xml("", "<![CDATA[<!ENTITY a 'b'>]]>"),
            sheet_xml(r#"<x a="<!DOCTYPE"/>"#, ""),
            "<worksheet><!-- unclosed <!ENTITY x 'y'>".to_owned(),
            "<worksheet a=\"unclosed><!DOCTYPE x>".to_owned(),
        ];
        for sheet in &cases {
            assert_eq!(refused(&workbook_with(sheet, None)).rule, Rule::XmlEntities, "{sheet}");
        }
        // In any part, whatever its name.
        let bytes = workbook_with(&sheet_xml("", ""), None);
        let bytes = rewrite_zip(&bytes, |name, data| {
            if name == "_rels/.rels" {
                b"<!DOCTYPE r>".to_vec()
            } else {
                data
            }
        });
        assert_eq!(refused(&bytes).rule, Rule::XmlEntities);
        // Comments, CDATA and processing instructions are fine.
        let fine = sheet_xml(
            "<!-- a comment > with <tags> --><?pi x?>",
            r#"<row r="1"><c r="A1" t="str"><v><![CDATA[<c r="XFD1048576"/>]]></v></c></row>"#,
        );
        assert!(check_xlsx(&workbook_with(&fine, None), &Limits::default()).is_ok());
    }

    #[test]
    fn shared_strings_claiming_4e9_strings_are_too_large() {
        let bytes = rewrite_zip(&real_workbook(), |name, data| {
            if name != SST_PATH {
                return data;
            }
            let s = String::from_utf8(data).unwrap();
            let start = s.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
            let end = start + s[start..].find('"').unwrap();
            format!("{}4000000000{}", &s[..start], &s[end..]).into_bytes()
        });
        let refusal = refused(&bytes);
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(
            refusal.en.contains("declares 4000000000 shared strings"),
            "{}",
            refusal.en
        );
        // Leading zeros and a prefix do not hide it; `count` (references, not strings) may
        // legitimately be far larger than the table.
        let sst = r#"<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5000000" uniqueCount="0004000000000"><x:si><x:t>a</x:t></x:si></x:sst>"#;
        assert_eq!(
            refused(&workbook_with(&sheet_xml("", ""), Some(sst))).rule,
            Rule::TooLarge
        );
        let sst = r#"<sst count="5000000" uniqueCount="1"><si><t>a</t></si></sst>"#;
        assert!(check_xlsx(&workbook_with(&sheet_xml("", ""), Some(sst)), &Limits::default()).is_ok());
    }

    #[test]
    fn cells_at_a1_and_xfd1048576_are_too_large() {
        // A real one: rust_xlsxwriter also declares the dimension A1:XFD1048576.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_number(0, 0, 1).unwrap();
        sheet.write_number(1_048_575, 16_383, 2).unwrap();
        assert_eq!(refused(&book.save_to_buffer().unwrap()).rule, Rule::TooLarge);

        // With a modest dimension, the cells themselves give it away.
        let sheet = sheet_xml(
            r#"<dimension ref="A1"/>"#,
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
        );
        let refusal = refused(&workbook_with(&sheet, None));
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(refusal.en.contains("from A1 to XFD1048576"), "{}", refusal.en);

        // Without a dimension, with namespace prefixes.
        let prefixed = r#"<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"/></x:row><x:row r="1048576"><x:c r="XFD1048576"/></x:row></x:sheetData></x:worksheet>"#;
        assert_eq!(refused(&workbook_with(prefixed, None)).rule, Rule::TooLarge);

        // Cells without `r` are placed where calamine places them.
        let inferred = r#"<row r="1"><c r="XFC1"/><c/></row><row r="1048576"><c/></row>"#;
        let refusal = refused(&with_sheet_data(inferred));
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(refusal.en.contains("from A1 to XFD1048576"), "{}", refusal.en);

        // A later `r` in the same tag is seen too.
        assert_eq!(
            refused(&with_sheet_data(r#"<row r="1"><c r="A1" r="XFD1048576"/></row>"#)).rule,
            Rule::TooLarge
        );

        // A compact block far from A1 is fine.
        assert!(
            check_xlsx(
                &with_sheet_data(r#"<row r="1048576"><c r="XFC1048576"/><c/></row>"#),
                &Limits::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_million_row_dimension_is_too_large() {
        let bytes = rewrite_zip(&real_workbook(), |name, data| {
            if name != SHEET_PATH {
                return data;
            }
            let s = String::from_utf8(data).unwrap();
            let start = s.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
            let end = start + s[start..].find('"').unwrap();
            format!("{}A1:XFD1048576{}", &s[..start], &s[end..]).into_bytes()
        });
        let refusal = refused(&bytes);
        assert_eq!(refusal.rule, Rule::TooLarge);
        assert!(refusal.en.contains("A1:XFD1048576"), "{}", refusal.en);
        // Reversed or unreadable dimensions are damage.
        for dimension in ["B2:A1", "A1:B2:C3", "A:B", "A1:XFE1", "$A$1"] {
            let sheet = sheet_xml(&format!(r#"<dimension ref="{dimension}"/>"#), "");
            assert_eq!(refused(&workbook_with(&sheet, None)).rule, Rule::Damaged, "{dimension}");
        }
    }

    #[test]
    fn references_outside_the_sheet_are_damaged() {
        for sheet_data in [
            r#"<row r="1048577"><c r="A1"/></row>"#,
            r#"<row r="0"/>"#,
            r#"<row r="1"><c r="XFE1"/></row>"#,
            r#"<row r="1"><c r="A1048577"/></row>"#,
            r#"<row r="1"><c r="AAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"/></row>"#,
            r#"<row r="1"><c r="&#65;1"/></row>"#,
            // A cell after XFD in its row, by counting.
            r#"<row r="1"><c r="XFD1"/><c/></row>"#,
            // A row after the last, by counting.
            r#"<row r="1048576"></row><row><c/></row>"#,
        ] {
            assert_eq!(
                refused(&with_sheet_data(sheet_data)).rule,
                Rule::Damaged,
                "{sheet_data}"
            );
        }
    }

    #[test]
    fn malformed_cells_are_damaged() {
        for sheet_data in [
            // Markup inside a cell that would put calamine out of step with the scan.
            r#"<row r="1"><c r="A1"><row r="1048576"/></c></row>"#,
            r#"<row r="1"><c r="A1"><c r="B1"/></c></row>"#,
            r#"<row r="1"><c r="A1"><f></c></f></row>"#,
            r#"<row r="1"><c r="A1"><v>1</x></c></row>"#,
            r#"<row r="1"><c r"A1"/></row>"#,
            r#"<sheetData/>"#,
        ] {
            assert_eq!(
                refused(&with_sheet_data(sheet_data)).rule,
                Rule::Damaged,
                "{sheet_data}"
            );
        }
    }

    #[test]
    fn more_cells_than_allowed_are_too_large() {
        let limits = Limits {
            max_cells_per_sheet: 10,
            ..Limits::default()
        };
        let repeated = r#"<c r="A1"/>"#.repeat(11);
        assert_eq!(
            refused_with(&with_sheet_data(&format!("<row r=\"1\">{repeated}</row>")), &limits).rule,
            Rule::TooLarge
        );
        let row = r#"<c r="A1"/><c r="J1"/>"#;
        assert!(check_xlsx(&with_sheet_data(&format!("<row r=\"1\">{row}</row>")), &limits).is_ok());
        let row = r#"<c r="A1"/><c r="K1"/>"#;
        assert_eq!(
            refused_with(&with_sheet_data(&format!("<row r=\"1\">{row}</row>")), &limits).rule,
            Rule::TooLarge
        );
    }

    #[test]
    fn huge_shared_formula_index_is_too_large() {
        let sheet_data = r#"<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="4000000000">1</f></c></row>"#;
        assert_eq!(refused(&with_sheet_data(sheet_data)).rule, Rule::TooLarge);
    }

    #[test]
    fn truncated_file_is_damaged() {
        let bytes = real_workbook();
        assert_eq!(refused(&bytes[..bytes.len() / 2]).rule, Rule::Damaged);
    }

    #[test]
    fn random_bytes_after_a_zip_header_are_damaged() {
        // A deterministic pseudo-random tail (xorshift).
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend((0..10_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }));
        assert_eq!(refused(&bytes).rule, Rule::Damaged);
        assert_eq!(refused(b"PK\x03\x04").rule, Rule::Damaged);
        assert_eq!(refused(b"").rule, Rule::Damaged);
    }

    #[test]
    fn a_zip_that_is_not_a_workbook_is_unsupported() {
        let docx = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        let refusal = refused(&docx);
        assert_eq!(refusal.rule, Rule::UnsupportedFormat);
        assert!(refusal.en.contains("Word"), "{}", refusal.en);
        let xlsb = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.bin", b"\x83\x01\x00"),
        ]);
        let refusal = refused(&xlsb);
        assert_eq!(refusal.rule, Rule::UnsupportedFormat);
        assert!(refusal.en.contains(".xlsb"), "{}", refusal.en);
        let ods = zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", b"<office:document-content/>"),
        ]);
        assert!(refused(&ods).en.contains("OpenDocument"));
        let random = zip_of(&[("photo.jpg", b"\xFF\xD8\xFF"), ("notes.txt", b"hello")]);
        assert_eq!(refused(&random).rule, Rule::UnsupportedFormat);
        let no_workbook = zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            (SHEET_PATH, sheet_xml("", "").as_bytes()),
        ]);
        let refusal = refused(&no_workbook);
        assert_eq!(refusal.rule, Rule::UnsupportedFormat);
        assert!(refusal.en.contains("xl/workbook.xml"), "{}", refusal.en);
        // An empty zip.
        let empty = zip::ZipWriter::new(Cursor::new(Vec::new()))
            .finish()
            .unwrap()
            .into_inner();
        assert_eq!(refused(&empty).rule, Rule::UnsupportedFormat);
    }

    #[test]
    fn too_many_entries_are_too_large() {
        let limits = Limits {
            max_zip_entries: 4,
            ..Limits::default()
        };
        let refusal = refused_with(&workbook_with(&sheet_xml("", ""), None), &limits);
        assert_eq!(refusal.rule, Rule::TooLarge);
    }

    /// Offsets of `signature` in `bytes`.
    fn find_all(bytes: &[u8], signature: &[u8]) -> Vec<usize> {
        bytes
            .windows(signature.len())
            .enumerate()
            .filter(|(_, w)| *w == signature)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn encrypted_entries_are_refused() {
        let mut bytes = workbook_with(&sheet_xml("", ""), None);
        // Set the "encrypted" flag (bit 0 of the general purpose flags) of every entry,
        // in its local header (offset 6) and its central directory header (offset 8).
        for at in find_all(&bytes, b"PK\x03\x04") {
            bytes[at + 6] |= 1;
        }
        for at in find_all(&bytes, b"PK\x01\x02") {
            bytes[at + 8] |= 1;
        }
        assert_eq!(refused(&bytes).rule, Rule::Encrypted);
    }

    #[test]
    fn a_header_lying_about_the_inflated_size_is_caught_while_inflating() {
        // 8 MB of `<` deflates well; the headers are then made to claim 1,000 bytes, so
        // the size and ratio checks pass.
        let big = vec![b'<'; 8 << 20];
        let mut bytes = workbook_with(std::str::from_utf8(&big).unwrap(), None);
        let sheet_name = SHEET_PATH.as_bytes();
        for at in find_all(&bytes, b"PK\x03\x04") {
            if bytes[at + 30..].starts_with(sheet_name) {
                bytes[at + 22..at + 26].copy_from_slice(&1000u32.to_le_bytes());
            }
        }
        for at in find_all(&bytes, b"PK\x01\x02") {
            if bytes[at + 46..].starts_with(sheet_name) {
                bytes[at + 24..at + 28].copy_from_slice(&1000u32.to_le_bytes());
            }
        }
        let archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let index = archive.index_for_name(SHEET_PATH).unwrap();
        assert_eq!(
            archive.by_index_data(index).unwrap().size(),
            1000,
            "the forged size is what the directory says"
        );
        assert_eq!(refused(&bytes).rule, Rule::Damaged);
    }

    /// The workbook of [`workbook_with`] with the sheet entry's CRC-32 or inflated size (in
    /// both its local and central headers) replaced.
    fn with_forged_sheet_header(crc: Option<u32>, size: Option<u32>) -> Vec<u8> {
        let mut bytes = with_sheet_data(r#"<row r="1"><c r="A1"><v>1</v></c></row>"#);
        let name = SHEET_PATH.as_bytes();
        let forge = |bytes: &mut Vec<u8>, crc_at: usize| {
            if let Some(crc) = crc {
                bytes[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
            }
            if let Some(size) = size {
                bytes[crc_at + 8..crc_at + 12].copy_from_slice(&size.to_le_bytes());
            }
        };
        for at in find_all(&bytes, b"PK\x03\x04") {
            if bytes[at + 30..].starts_with(name) {
                forge(&mut bytes, at + 14);
            }
        }
        for at in find_all(&bytes, b"PK\x01\x02") {
            if bytes[at + 46..].starts_with(name) {
                forge(&mut bytes, at + 16);
            }
        }
        bytes
    }

    #[test]
    fn a_wrong_checksum_is_damaged_and_a_short_stream_is_read_as_it_is() {
        let honest = check_xlsx(&with_forged_sheet_header(None, None), &Limits::default()).unwrap();
        let wrong_crc = refused(&with_forged_sheet_header(Some(0x1234_5678), None));
        assert_eq!(wrong_crc.rule, Rule::Damaged);
        assert!(wrong_crc.en.contains("checksum"), "{}", wrong_crc.en);
        // A declared size longer than the stream is no hazard: the part is read through the
        // zip crate, as it always was, and its real bytes are what is checked and kept.
        let short = check_xlsx(&with_forged_sheet_header(None, Some(100_000)), &Limits::default()).unwrap();
        assert_eq!(short.inflated_bytes, honest.inflated_bytes);
        assert_eq!(short.sheets, honest.sheets);
    }

    #[test]
    fn parts_are_recognised_by_content_not_name() {
        // A worksheet stored under another name (calamine finds parts through the rels).
        let bytes = with_sheet_data(r#"<row r="1"><c r="A1"/><c r="XFD1048576"/></row>"#);
        let renamed = {
            let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for (name, data) in entries_of(&bytes) {
                let name = if name == SHEET_PATH {
                    "xl/media/image1.png".to_owned()
                } else {
                    name
                };
                out.start_file(name.as_str(), deflated()).unwrap();
                out.write_all(&data).unwrap();
            }
            out.finish().unwrap().into_inner()
        };
        assert_eq!(refused(&renamed).rule, Rule::TooLarge);
        // Binary parts full of `<` are not mistaken for markup.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut image = vec![0x89, b'P', b'N', b'G'];
        image.extend((0..200_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }));
        let bytes = zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("xl/workbook.xml", WORKBOOK.as_bytes()),
            ("xl/media/image1.png", &image),
        ]);
        assert!(check_xlsx(&bytes, &Limits::default()).unwrap().sheets.is_empty());
    }

    #[test]
    fn a_big_honest_sheet_is_scanned_quickly() {
        // 100,000 cells, about 2.5 MB of XML.
        let mut sheet_data = String::new();
        for row in 1..=10_000 {
            sheet_data.push_str(&format!("<row r=\"{row}\">"));
            for col in 0..10 {
                sheet_data.push_str(&format!("<c r=\"{}\" t=\"n\"><v>{row}.{col}</v></c>", a1(row - 1, col)));
            }
            sheet_data.push_str("</row>");
        }
        let bytes = workbook_with(&sheet_xml(r#"<dimension ref="A1:J10000"/>"#, &sheet_data), None);
        let started = Instant::now();
        let facts = check_xlsx(&bytes, &Limits::default()).unwrap();
        assert_eq!(facts.sheets, [SHEET_PATH]);
        assert!(started.elapsed().as_secs() < 3, "{:?}", started.elapsed());
    }

    #[test]
    fn reversed_or_broken_ranges_are_damaged() {
        let merged = sheet_xml("", "").replace(
            "</sheetData>",
            r#"</sheetData><mergeCells count="1"><mergeCell ref="B2:A1"/></mergeCells>"#,
        );
        assert_eq!(refused(&workbook_with(&merged, None)).rule, Rule::Damaged);
        let formula = r#"<row r="1"><c r="A1"><f t="shared" ref="A9:A1" si="0">1</f></c></row>"#;
        assert_eq!(refused(&with_sheet_data(formula)).rule, Rule::Damaged);
        let fine = sheet_xml("", r#"<row r="1"><c r="A1"><f t="array" ref="A1:B2">1</f></c></row>"#).replace(
            "</sheetData>",
            r#"</sheetData><mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>"#,
        );
        assert!(check_xlsx(&workbook_with(&fine, None), &Limits::default()).is_ok());
    }

    /// A little xorshift generator: deterministic test data without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    /// A piece of sheet data: rows and cells with and without references (some outside
    /// the sheet), repeated attributes, prefixes, comments, CDATA, and broken nesting.
    fn random_piece(rng: &mut Rng) -> String {
        let reference = |rng: &mut Rng| {
            let col = rng.pick(&["A", "B", "C", "Z", "AA", "XFC", "XFD", "xfd", "XFE"]);
            let row = rng.pick(&["1", "2", "3", "40", "1048575", "1048576", "1048577", "0"]);
            format!("{col}{row}")
        };
        match rng.next() % 24 {
            0 | 1 => "<row>".into(),
            2 | 3 => format!(
                r#"<row r="{}">"#,
                rng.pick(&["1", "2", "3", "40", "1048575", "1048576"])
            ),
            4 | 5 => "</row>".into(),
            6 | 7 => "<c><v>1</v></c>".into(),
            8 | 9 => format!(r#"<c r="{}"><v>1</v></c>"#, reference(rng)),
            10 => format!(r#"<c r="{}"/>"#, reference(rng)),
            11 => "<c/>".into(),
            12 => format!(
                r#"<c s="1" t="n" r="{}" r="{}"><v>2</v></c>"#,
                reference(rng),
                reference(rng)
            ),
            13 => format!(r#"<c r="{}" r="{}" s="1"><v>2</v></c>"#, reference(rng), reference(rng)),
            14 => r#"<!-- <c r="XFD1048576"><v>1</v></c> -->"#.into(),
            15 => r#"<?pi <row r="1048576"> ?>"#.into(),
            16 => format!(r#"<x:c r="{}"><x:v>3</x:v></x:c>"#, reference(rng)),
            17 => "<row/>".into(),
            18 => rng
                .pick(&["<c>", "</c>", "<v>", "</v>", "<f>", "</f>", "<is><t>", "</t></is>"])
                .into(),
            19 => rng
                .pick(&[
                    "</sheetData>",
                    "<sheetData>",
                    r#"<![CDATA[ <c r="XFD9"><v>1</v></c> ]]>"#,
                    r#"<c r="A1" />"#,
                ])
                .into(),
            20 => format!(
                r#"<c r="{}"><f t="shared" si="0" ref="A1:A2">1</f><v>1</v></c>"#,
                reference(rng)
            ),
            21 => r#"<c t="inlineStr"><is><t>x</t></is></c>"#.into(),
            22 => r#"<row r="2" spans="1:3"><c><v>1</v></c><c><v>1</v></c></row>"#.into(),
            _ => format!(
                "<row r = '{}' ><c r = '{}' ><v>4</v></c></row >",
                rng.pick(&["1", "7"]),
                reference(rng)
            ),
        }
    }

    #[test]
    fn accepted_sheets_never_give_calamine_more_cells_than_allowed() {
        // Differential: whatever the guard lets through, calamine places every cell inside
        // the sheet and within a bounding box of at most `max_cells_per_sheet` cells.
        // (Run with many more cases while changing the scan.)
        let limits = Limits {
            max_cells_per_sheet: 5_000,
            ..Limits::default()
        };
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let mut accepted = 0;
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for _ in 0..2_000 {
            let pieces = rng.next() % 12;
            let sheet_data: String = (0..pieces).map(|_| random_piece(&mut rng)).collect();
            let sheet = sheet_xml("", &sheet_data);
            let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for (name, data) in [
                ("[Content_Types].xml", CONTENT_TYPES),
                ("_rels/.rels", RELS),
                ("xl/workbook.xml", WORKBOOK),
                ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                (SHEET_PATH, &sheet),
            ] {
                out.start_file(name, stored).unwrap();
                out.write_all(data.as_bytes()).unwrap();
            }
            let bytes = out.finish().unwrap().into_inner();
            if check_xlsx(&bytes, &limits).is_err() {
                continue;
            }
            accepted += 1;
            let mut book = calamine::Xlsx::new(Cursor::new(&bytes[..])).unwrap();
            let mut cells = book.worksheet_cells_reader("Sheet1").unwrap();
            let mut bbox: Option<(u32, u32, u32, u32)> = None;
            let mut readable = true;
            loop {
                match cells.next_cell() {
                    Ok(Some(cell)) => {
                        let (row, col) = cell.get_position();
                        assert!(row < MAX_ROWS && col < MAX_COLS, "{sheet_data}: cell at {row},{col}");
                        bbox = Some(match bbox {
                            None => (row, col, row, col),
                            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
                        });
                    }
                    Ok(None) => break,
                    Err(_) => {
                        readable = false;
                        break;
                    }
                }
            }
            if let Some((r0, c0, r1, c1)) = bbox {
                let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
                assert!(
                    area <= limits.max_cells_per_sheet,
                    "{sheet_data}: calamine's cells span {r0},{c0} to {r1},{c1}"
                );
            }
            drop(cells);
            if readable {
                let (height, width) = book.worksheet_range("Sheet1").unwrap().get_size();
                assert!((height * width) as u64 <= limits.max_cells_per_sheet, "{sheet_data}");
            }
        }
        assert!(
            accepted > 500,
            "the generator makes enough acceptable sheets: {accepted}"
        );
    }
}
