//! One input file to received returns: decide its kind from its content, vet it, and
//! hand it to the reader for that kind.

use crate::delimited;
use crate::guard;
use crate::isolated;
use crate::json;
use crate::limits::Limits;
use crate::memory;
use crate::raw::Received;
use crate::rejection::{Location, Rejection, Rule};
use crate::sniff::{self, FileKind};
use crate::xlsx;
use std::io::{BufReader, Read};
use std::path::Path;
use survey_def::Definition;

/// Bytes of a file's head used to decide its kind.
const SNIFF_BYTES: usize = 64 * 1024;

/// Why an input that is not a regular file is not read.
const NOT_A_FILE: &str = "not a regular file (a folder, FIFO, device or socket)";

fn unreadable(file: &str, rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Received {
    let loc = Location::file(file);
    Received::Unreadable {
        rejections: vec![Rejection::file(loc.clone(), rule, zh, en)],
        location: loc,
    }
}

/// Opens a file: its size, modification time (seconds since the epoch), the handle
/// positioned after its head, and the head.
fn open(path: &Path) -> std::io::Result<(u64, Option<i64>, std::fs::File, Vec<u8>)> {
    let meta = std::fs::metadata(path)?;
    // Opening a FIFO blocks until a writer comes, and a device never ends: only regular
    // files are opened at all.
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, NOT_A_FILE));
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    let mut handle = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES.min(meta.len() as usize));
    (&mut handle).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    Ok((meta.len(), modified, handle, head))
}

/// Reads every return in the file at `path` (named `file` in reports), passing each to
/// `sink` as it is read. Never panics on content; every outcome reaches `sink`.
pub fn read_file(path: &Path, file: &str, def: &Definition, limits: &Limits, sink: &mut dyn FnMut(Received)) {
    let io_failure = |e: std::io::Error| {
        unreadable(
            file,
            Rule::Unreadable,
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    };
    let (size, modified, mut handle, mut head) = match open(path) {
        Ok(opened) => opened,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput && e.to_string() == NOT_A_FILE => {
            return sink(unreadable(
                file,
                Rule::NotAFile,
                "不是普通文件（文件夹、管道、设备或套接字），未读取",
                "not a regular file (a folder, FIFO, device or socket); not read",
            ));
        }
        Err(e) => return sink(io_failure(e)),
    };
    // A text file may open with any amount of blank space: the head is read on until
    // something else shows (up to the size limit), so its kind is decided on content.
    while head
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&head)
        .iter()
        .all(u8::is_ascii_whitespace)
        && (head.len() as u64) < size
        && (head.len() as u64) <= limits.max_file_bytes
    {
        let before = head.len();
        if let Err(e) = (&mut handle).take(SNIFF_BYTES as u64).read_to_end(&mut head) {
            return sink(io_failure(e));
        }
        if head.len() == before {
            break;
        }
    }
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let kind = sniff::sniff(extension.as_deref(), &head);
    let array = kind == FileKind::Json && memory::starts_an_array(&head);
    match kind {
        // JSON Lines streams: its size is not limited, only its lines are.
        FileKind::JsonLines => {
            let mut reader = BufReader::new(std::io::Cursor::new(head).chain(handle));
            return json::read_json_lines(&mut reader, file, modified, limits, sink);
        }
        // So does a JSON array, item by item: its size is not limited, only its items.
        FileKind::Json if array => {
            let mut reader = BufReader::new(std::io::Cursor::new(head).chain(handle));
            return json::read_json_array(&mut reader, file, modified, limits, sink);
        }
        FileKind::Xlsx | FileKind::Json | FileKind::Ods | FileKind::LegacyXls | FileKind::Csv => {}
        FileKind::Empty => return sink(unreadable(file, Rule::EmptyFile, "文件为空", "the file is empty")),
        FileKind::EncryptedOffice => {
            return sink(unreadable(
                file,
                Rule::Encrypted,
                "工作簿设有密码，无法读取；请去除密码后重新提交",
                "the workbook is password-protected; remove the password and send it again",
            ));
        }
        FileKind::Pdf => {
            return sink(unreadable(
                file,
                Rule::UnsupportedFormat,
                "这是 PDF 文件，不是问卷工作簿",
                "this is a PDF, not a questionnaire workbook",
            ));
        }
        FileKind::Html => {
            return sink(unreadable(
                file,
                Rule::UnsupportedFormat,
                "这是网页（HTML）文件，不是问卷工作簿",
                "this is an HTML page, not a questionnaire workbook",
            ));
        }
        FileKind::Unknown => {
            return sink(unreadable(
                file,
                Rule::UnsupportedFormat,
                "无法识别的文件格式",
                "unrecognised file format",
            ));
        }
    }
    if size > limits.max_file_bytes {
        return sink(unreadable(
            file,
            Rule::TooLarge,
            format!("文件大小 {size} 字节，超过上限 {}", limits.max_file_bytes),
            format!(
                "the file is {size} bytes, more than the limit of {}",
                limits.max_file_bytes
            ),
        ));
    }
    // A file read whole must fit the memory one file may take; streamed ones always do.
    let need = memory::need(kind, array, size, limits);
    let budget = memory::per_file(limits.max_memory);
    if need > budget {
        let mb = |bytes: u64| bytes.div_ceil(1024 * 1024);
        return sink(unreadable(
            file,
            Rule::TooLarge,
            format!(
                "读取此文件约需 {} MB 内存，超过每个文件可用的 {} MB（--max-memory）",
                mb(need),
                mb(budget)
            ),
            format!(
                "reading this file would take about {} MB of memory, more than the {} MB a file may use (--max-memory)",
                mb(need),
                mb(budget)
            ),
        ));
    }
    let mut bytes = head;
    let rest = (limits.max_file_bytes + 1).saturating_sub(bytes.len() as u64);
    if let Err(e) = handle.take(rest).read_to_end(&mut bytes) {
        return sink(io_failure(e));
    }
    match kind {
        FileKind::Json => return json::read_json(&bytes, file, modified, limits, sink),
        FileKind::Csv => {
            return match delimited::read_csv(&bytes, limits) {
                Ok((cells, _)) => {
                    drop(bytes);
                    let sheets = vec![(delimited::CSV_SHEET.to_owned(), cells)];
                    xlsx::read_sheets(sheets, file, modified, def, limits, sink)
                }
                Err(refusal) => sink(unreadable(file, refusal.rule, refusal.zh, refusal.en)),
            };
        }
        FileKind::Ods | FileKind::LegacyXls => {
            drop(bytes);
            let format = if kind == FileKind::Ods {
                isolated::WorkbookKind::Ods
            } else {
                isolated::WorkbookKind::Xls
            };
            return match isolated::read_sheets(path, format, limits) {
                Ok(sheets) => xlsx::read_sheets(sheets, file, modified, def, limits, sink),
                Err(refusal) => sink(unreadable(file, refusal.rule, refusal.zh, refusal.en)),
            };
        }
        _ => {}
    }
    match guard::check_xlsx(&bytes, limits) {
        // A large workbook is read from its original bytes (see `XlsxFacts::stored`).
        Ok(facts) if facts.stored.is_empty() => xlsx::read_xlsx(&bytes, file, modified, def, limits, sink),
        Ok(facts) => {
            drop(bytes);
            xlsx::read_xlsx(&facts.stored, file, modified, def, limits, sink)
        }
        Err(refusal) => sink(unreadable(file, refusal.rule, refusal.zh, refusal.en)),
    }
}
