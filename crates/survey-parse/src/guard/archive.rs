//! The zip container of an xlsx file: its directory, the sizes its entries declare and
//! the sizes they really inflate to, the parts a workbook must have, and the re-packing
//! of checked parts.
//!
//! A zip says how large each entry will be before anything is inflated, and an attacker
//! writes those numbers: a 300 KB file can declare (or hide) gigabytes. The directory is
//! checked first, from the declared sizes alone, so a bomb is refused without inflating a
//! byte; each entry is then inflated through a reader capped at what it declared and at
//! what is left of the total, so a forged header cannot let more through. Zips that are
//! not workbooks (a `.docx`, an `.ods`, an `.xlsb`) are named for what they are.

use super::{Refusal, quoted};
use crate::limits::Limits;
use crate::rejection::Rule;
use std::cell::RefCell;
use std::fmt;
use std::io::{Cursor, Read};

/// Entries that inflate to at most this many bytes are never refused for their
/// compression ratio: small parts of repetitive XML compress very well and cannot hurt.
pub const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;
/// Most bytes reserved ahead for one part from its declared size; larger parts grow.
const MAX_RESERVE: usize = 64 * 1024 * 1024;

/// A zip read from the bytes of a file in memory.
pub(super) type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Opens `bytes` as a zip and checks its directory before anything is inflated: the
/// number of entries, duplicate names, the declared sizes and compression ratios, that no
/// entry is encrypted, and that the parts of a workbook are there. Returns the archive and
/// the total inflated size its entries declare.
pub(super) fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(Archive<'a>, u64), Refusal> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
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
    Ok((archive, declared_total))
}

/// Inflates entry `i` into `buf` (cleared first): at most its declared size and at most
/// `remaining` bytes, the rest of `max_inflated_bytes`. Returns the entry's name; the
/// inflated bytes are left in `buf`.
pub(super) fn inflate(
    archive: &mut Archive<'_>,
    bytes: &[u8],
    i: usize,
    remaining: u64,
    limits: &Limits,
    buf: &mut Vec<u8>,
) -> Result<String, Refusal> {
    buf.clear();
    let (name, declared) = if let Some(inflated) = inflate_whole(archive, bytes, i, remaining, buf) {
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
            .read_to_end(buf)
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
    Ok(name)
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
pub(super) struct Repacked(zip::ZipWriter<Cursor<Vec<u8>>>);

impl Repacked {
    /// Local headers and the central directory add about 100 bytes per part.
    const OVERHEAD_PER_PART: usize = 128;

    pub(super) fn new(inflated: u64, parts: usize) -> Self {
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

    pub(super) fn add(&mut self, name: &str, data: &[u8]) -> Result<(), Refusal> {
        use std::io::Write;
        let writer = &mut self.0;
        writer
            .start_file(name, Self::options())
            .and_then(|()| writer.write_all(data).map_err(zip::result::ZipError::from))
            .map_err(|e| damaged_entry(name, &e))
    }

    pub(super) fn finish(self) -> Result<Vec<u8>, Refusal> {
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

#[cfg(test)]
mod tests;
