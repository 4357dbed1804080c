//! What kind of file an input is, decided by its content (magic bytes), never by its
//! name alone: enterprises rename files freely (a PDF saved as `.xlsx`, an old `.xls`
//! renamed to `.xlsx`, an HTML error page saved by a browser as `.json`). The extension
//! only breaks ties the content cannot, such as JSON against JSON Lines.
//!
//! Sniffing is cheap and reads only the head of the file; nothing here parses the file.
//! A positive answer is a candidate: an [`FileKind::Xlsx`] still has to pass
//! [`crate::guard::check_xlsx`], a [`FileKind::Json`] still has to parse.

/// Bytes of a file's head that [`sniff`] looks at, at most. Callers pass up to this much
/// (or the whole file when it is smaller); passing more does no harm.
pub const SNIFF_LEN: usize = 64 * 1024;

/// The kind of an input file, as far as its head tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A zip container (`PK\x03\x04`, or `PK\x05\x06` for an empty zip): an xlsx
    /// candidate, to be vetted by [`crate::guard::check_xlsx`] (it may still be a `.docx`
    /// or any other zip).
    Xlsx,
    /// A JSON document: the first byte after an optional UTF-8 BOM and whitespace is `{`
    /// or `[`.
    Json,
    /// JSON Lines (one JSON value per line): JSON-looking content in a file named
    /// `.jsonl` or `.ndjson`.
    JsonLines,
    /// An OpenDocument spreadsheet: a zip whose first entry, `mimetype`, stored
    /// uncompressed, says `application/vnd.oasis.opendocument.spreadsheet`.
    Ods,
    /// An OLE compound file (`D0 CF 11 E0 A1 B1 1A E1`) that is not encrypted: an old
    /// binary `.xls` workbook (or another legacy Office document).
    LegacyXls,
    /// Delimited text (`.csv`, `.tsv`, `.txt`): comma-, semicolon- or tab-separated
    /// values. Text has no magic bytes, so the extension decides, for text only.
    Csv,
    /// An OLE compound file holding an `EncryptionInfo` (or `EncryptedPackage`) stream:
    /// a password-protected Office document. Excel saves an encrypted `.xlsx` this way.
    EncryptedOffice,
    /// A PDF (`%PDF`).
    Pdf,
    /// An HTML page (`<!DOCTYPE html` or `<html`, after an optional BOM, whitespace, XML
    /// declaration and comments), e.g. an error page saved instead of a download.
    Html,
    /// No content: zero bytes, or only whitespace (and a BOM).
    Empty,
    /// Anything else.
    Unknown,
}

/// Start of every zip file with at least one entry (a local file header).
const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
/// Start of an empty zip file (the end of central directory record alone).
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
/// Start of an OLE compound file (CFB), the container of `.xls` and of encrypted OOXML.
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// UTF-8 byte order mark.
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Decides the kind of a file from its first bytes.
///
/// `head` is the start of the file: up to [`SNIFF_LEN`] bytes, or the whole file when it
/// is smaller. `extension` is the file name's extension without the dot, in any case
/// (`Some("xlsx")`, `Some("JSONL")`); it is used only to tell JSON from JSON Lines, which
/// look alike at their start.
///
/// ```
/// use survey_parse::sniff::{sniff, FileKind};
/// assert_eq!(sniff(Some("xlsx"), b"%PDF-1.7\n"), FileKind::Pdf);
/// assert_eq!(sniff(Some("json"), b"  {\"survey\": 1}"), FileKind::Json);
/// assert_eq!(sniff(Some("jsonl"), b"{\"a\":1}\n{\"a\":2}\n"), FileKind::JsonLines);
/// assert_eq!(sniff(None, b""), FileKind::Empty);
/// ```
pub fn sniff(extension: Option<&str>, head: &[u8]) -> FileKind {
    // Binary formats: magic bytes at offset 0.
    if head.starts_with(ZIP_LOCAL) && is_ods(head) {
        return FileKind::Ods;
    }
    if head.starts_with(ZIP_LOCAL) || head.starts_with(ZIP_EMPTY) {
        return FileKind::Xlsx;
    }
    if head.starts_with(OLE) {
        return if ole_is_encrypted(head) {
            FileKind::EncryptedOffice
        } else {
            FileKind::LegacyXls
        };
    }

    // Text formats: after an optional UTF-8 BOM and whitespace.
    let text = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let text = trim_start(text);
    if text.is_empty() {
        return FileKind::Empty;
    }
    if text.starts_with(b"%PDF") {
        return FileKind::Pdf;
    }
    match text[0] {
        b'{' | b'[' => {
            if is_json_lines_extension(extension) {
                FileKind::JsonLines
            } else {
                FileKind::Json
            }
        }
        b'<' if looks_like_html(text) => FileKind::Html,
        _ if is_delimited_extension(extension) && !head.contains(&0) => FileKind::Csv,
        // Excel's "Unicode text" and some exports are UTF-16 with a byte-order mark.
        _ if is_delimited_extension(extension)
            && (head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])) =>
        {
            FileKind::Csv
        }
        _ => FileKind::Unknown,
    }
}

/// Whether a zip's first entry is the OpenDocument `mimetype` naming a spreadsheet (the
/// format requires it first and stored, so it shows in the head).
fn is_ods(head: &[u8]) -> bool {
    const MIMETYPE: &[u8] = b"mimetype";
    const ODS: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
    head.get(30..30 + MIMETYPE.len()) == Some(MIMETYPE)
        && head
            .get(30 + MIMETYPE.len()..(30 + MIMETYPE.len() + 64).min(head.len()))
            .is_some_and(|rest| rest.windows(ODS.len()).any(|w| w == ODS))
}

/// Whether the extension names delimited text.
fn is_delimited_extension(extension: Option<&str>) -> bool {
    let Some(ext) = extension else { return false };
    let ext = ext.strip_prefix('.').unwrap_or(ext);
    ["csv", "tsv", "txt"].iter().any(|e| ext.eq_ignore_ascii_case(e))
}

/// Whether the extension names a JSON Lines file (`jsonl`, `ndjson`, any case, with or
/// without a leading dot).
fn is_json_lines_extension(extension: Option<&str>) -> bool {
    let Some(ext) = extension else { return false };
    let ext = ext.strip_prefix('.').unwrap_or(ext);
    ext.eq_ignore_ascii_case("jsonl") || ext.eq_ignore_ascii_case("ndjson")
}

/// The bytes after any leading ASCII whitespace.
fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[n..]
}

/// Whether `bytes` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether markup (starting at `<`) is an HTML page: `<!DOCTYPE html` or `<html`, after
/// any XML declaration, processing instructions and comments (XHTML pages and pages
/// saved by browsers start with those).
fn looks_like_html(mut text: &[u8]) -> bool {
    // A handful of prolog items at most; each step consumes at least 4 bytes.
    for _ in 0..16 {
        if starts_with_ignore_case(text, b"<!doctype") {
            let rest = trim_start(&text[b"<!doctype".len()..]);
            return starts_with_ignore_case(rest, b"html");
        }
        if starts_with_ignore_case(text, b"<html") {
            // `<html>`, `<html lang=...>`, not `<htmlfoo>`.
            return matches!(
                text.get(5),
                None | Some(b'>' | b'/') | Some(b' ' | b'\t' | b'\r' | b'\n')
            );
        }
        let end = if text.starts_with(b"<?") {
            find(text, b"?>").map(|i| i + 2)
        } else if text.starts_with(b"<!--") {
            find(&text[4..], b"-->").map(|i| i + 4 + 3)
        } else {
            None
        };
        match end {
            Some(end) => text = trim_start(&text[end..]),
            None => return false,
        }
    }
    false
}

/// Position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether an OLE compound file's directory, as far as it lies within `head`, names an
/// `EncryptionInfo` or `EncryptedPackage` stream (the streams of an encrypted OOXML
/// package). Directory entry names are UTF-16LE; scanning the whole head for them is
/// enough, as the directory of a small file lies near its start.
fn ole_is_encrypted(head: &[u8]) -> bool {
    contains_utf16le(head, "EncryptionInfo") || contains_utf16le(head, "EncryptedPackage")
}

/// Whether `haystack` contains `needle` encoded as UTF-16LE (ASCII `needle` only).
fn contains_utf16le(haystack: &[u8], needle: &str) -> bool {
    let encoded: Vec<u8> = needle.bytes().flat_map(|b| [b, 0]).collect();
    let first = encoded[0];
    let mut i = 0;
    while let Some(p) = haystack[i..].iter().position(|&b| b == first) {
        let at = i + p;
        if haystack[at..].starts_with(&encoded) {
            return true;
        }
        i = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal OLE header followed by a directory entry named `name` (UTF-16LE).
    fn ole_with_stream(name: &str) -> Vec<u8> {
        let mut bytes = OLE.to_vec();
        bytes.resize(512, 0);
        let mut entry: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        entry.resize(128, 0);
        bytes.extend_from_slice(&entry);
        bytes
    }

    #[test]
    fn zip_is_an_xlsx_candidate_whatever_its_name() {
        assert_eq!(sniff(Some("xlsx"), b"PK\x03\x04\x14\x00\x00\x00"), FileKind::Xlsx);
        assert_eq!(sniff(Some("json"), b"PK\x03\x04rest"), FileKind::Xlsx);
        assert_eq!(
            sniff(None, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            FileKind::Xlsx
        );
        // `PK` alone is not a zip.
        assert_eq!(sniff(Some("xlsx"), b"PK"), FileKind::Unknown);
    }

    #[test]
    fn real_xlsx_is_sniffed_as_xlsx() {
        let bytes = rust_xlsxwriter::Workbook::new().save_to_buffer().unwrap();
        assert_eq!(
            sniff(Some("xlsx"), &bytes[..bytes.len().min(SNIFF_LEN)]),
            FileKind::Xlsx
        );
    }

    #[test]
    fn ole_is_legacy_xls_unless_it_holds_encryption_streams() {
        assert_eq!(sniff(Some("xls"), &ole_with_stream("Workbook")), FileKind::LegacyXls);
        // A renamed .xls is still an .xls.
        assert_eq!(sniff(Some("xlsx"), &ole_with_stream("Workbook")), FileKind::LegacyXls);
        assert_eq!(
            sniff(Some("xlsx"), &ole_with_stream("EncryptionInfo")),
            FileKind::EncryptedOffice
        );
        assert_eq!(
            sniff(Some("xlsx"), &ole_with_stream("EncryptedPackage")),
            FileKind::EncryptedOffice
        );
        // The header alone.
        assert_eq!(sniff(Some("xls"), OLE), FileKind::LegacyXls);
        // ASCII "EncryptionInfo" is not a directory entry name.
        let mut ascii = OLE.to_vec();
        ascii.extend_from_slice(b"EncryptionInfo");
        assert_eq!(sniff(Some("xlsx"), &ascii), FileKind::LegacyXls);
    }

    #[test]
    fn pdf() {
        assert_eq!(sniff(Some("xlsx"), b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n"), FileKind::Pdf);
        assert_eq!(sniff(Some("pdf"), b"%PDF-2.0"), FileKind::Pdf);
    }

    #[test]
    fn html_with_bom_doctype_and_prolog() {
        assert_eq!(
            sniff(Some("xlsx"), b"\xEF\xBB\xBF<!DOCTYPE html>\n<html>"),
            FileKind::Html
        );
        assert_eq!(
            sniff(Some("json"), b"\xEF\xBB\xBF  \r\n<!doctype HTML><html>"),
            FileKind::Html
        );
        assert_eq!(sniff(Some("xlsx"), b"<HTML><HEAD>"), FileKind::Html);
        assert_eq!(sniff(None, b"\n\n<html lang=\"zh-CN\">"), FileKind::Html);
        assert_eq!(
            sniff(
                Some("xls"),
                b"<?xml version=\"1.0\"?>\n<!-- saved -->\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0\">"
            ),
            FileKind::Html
        );
        // Other XML (e.g. Excel 2003 XML) is not HTML.
        assert_eq!(
            sniff(Some("xml"), b"<?xml version=\"1.0\"?><Workbook>"),
            FileKind::Unknown
        );
        assert_eq!(sniff(None, b"<htmlx>"), FileKind::Unknown);
        assert_eq!(sniff(None, b"<!DOCTYPE note>"), FileKind::Unknown);
    }

    #[test]
    fn json_and_json_lines() {
        assert_eq!(sniff(Some("json"), b"{\"survey_id\": \"x\"}"), FileKind::Json);
        assert_eq!(sniff(Some("json"), b"\xEF\xBB\xBF\n  [ {} ]"), FileKind::Json);
        // Content decides: JSON in a file named .xlsx or .txt is JSON.
        assert_eq!(sniff(Some("xlsx"), b"{}"), FileKind::Json);
        assert_eq!(sniff(None, b"[1]"), FileKind::Json);
        // The extension breaks the tie between JSON and JSON Lines.
        assert_eq!(sniff(Some("jsonl"), b"{\"a\":1}\n{\"a\":2}\n"), FileKind::JsonLines);
        assert_eq!(sniff(Some("ndjson"), b"\n{\"a\":1}\n"), FileKind::JsonLines);
        assert_eq!(sniff(Some("JSONL"), b"{}"), FileKind::JsonLines);
        assert_eq!(sniff(Some(".jsonl"), b"[1,2]\n[3]"), FileKind::JsonLines);
        // A .jsonl that is not JSON at all is not JSON Lines.
        assert_eq!(sniff(Some("jsonl"), b"%PDF-1.4"), FileKind::Pdf);
        assert_eq!(sniff(Some("jsonl"), b"hello"), FileKind::Unknown);
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert_eq!(sniff(Some("xlsx"), b""), FileKind::Empty);
        assert_eq!(sniff(Some("json"), b" \r\n\t "), FileKind::Empty);
        assert_eq!(sniff(Some("jsonl"), b"\n\n"), FileKind::Empty);
        assert_eq!(sniff(None, b"\xEF\xBB\xBF"), FileKind::Empty);
        assert_eq!(sniff(None, b"\xEF\xBB\xBF \n"), FileKind::Empty);
    }

    #[test]
    fn unknown_content() {
        assert_eq!(sniff(Some("xlsx"), b"\x89PNG\r\n\x1a\n"), FileKind::Unknown);
        assert_eq!(sniff(Some("json"), b"\xFF\xFE{\0}\0"), FileKind::Unknown);
        assert_eq!(sniff(None, b"\0\0\0"), FileKind::Unknown);
        // Text without a signature is read as CSV only under a delimited-text name.
        assert_eq!(sniff(None, b"a,b,c\n1,2,3\n"), FileKind::Unknown);
        assert_eq!(sniff(Some("dat"), b"a,b,c\n1,2,3\n"), FileKind::Unknown);
        assert_eq!(sniff(Some("csv"), b"\x89PNG\r\n\x1a\n\0"), FileKind::Unknown);
    }

    #[test]
    fn delimited_text_and_opendocument() {
        assert_eq!(sniff(Some("csv"), b"a,b,c\n1,2,3\n"), FileKind::Csv);
        assert_eq!(sniff(Some("TSV"), "题目\t回答\n".as_bytes()), FileKind::Csv);
        assert_eq!(sniff(Some("txt"), b"\xFF\xFEa\0,\0b\0"), FileKind::Csv);
        // GB18030 text: no NUL bytes, not UTF-8, still text.
        assert_eq!(sniff(Some("csv"), b"\xC9\xCF\xBA\xA3,1\n"), FileKind::Csv);
        // A CSV that opens like JSON or HTML is not taken for CSV.
        assert_eq!(sniff(Some("csv"), b"{\"a\":1}"), FileKind::Json);
        let mut ods = b"PK\x03\x04".to_vec();
        ods.resize(30, 0);
        ods.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
        assert_eq!(sniff(Some("xlsx"), &ods), FileKind::Ods);
        let mut text_doc = ods[..38].to_vec();
        text_doc.extend_from_slice(b"application/vnd.oasis.opendocument.text");
        assert_eq!(sniff(Some("ods"), &text_doc), FileKind::Xlsx);
    }
}
