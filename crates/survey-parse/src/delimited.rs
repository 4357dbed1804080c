//! CSV returns: a wide sheet saved as delimited text by a spreadsheet program, or an
//! export of an online form tool (KoboToolbox, ODK), read as the cells of one sheet and
//! then as any wide workbook is ([`crate::xlsx::read_sheets`]).
//!
//! Text comes in the encodings Chinese offices' programs write: UTF-8 with or without a
//! byte-order mark, UTF-16 with one (Excel's "Unicode text"), or GB18030 (Excel's and
//! WPS's default "CSV" on a Chinese Windows), detected when the bytes are not UTF-8 and
//! decode as GB18030 without a fault. The delimiter (comma, semicolon as Kobo writes,
//! tab) is the one the header line uses most, outside quotes.

use crate::isolated::{Refusal, SheetCells};
use crate::limits::Limits;
use crate::raw::RawValue;
use crate::rejection::Rule;
use std::borrow::Cow;

/// Name the one sheet of a CSV file is given in reports.
pub const CSV_SHEET: &str = "CSV";

/// The encoding a CSV file was read in, for notes and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (with or without a byte-order mark).
    Utf8,
    /// UTF-16 with a byte-order mark.
    Utf16,
    /// GB18030 (which includes GBK and GB2312).
    Gb18030,
}

/// Decodes the bytes of a text file: UTF-8 or UTF-16 by their byte-order mark, UTF-8
/// when valid, else GB18030 when the bytes decode as it without a fault.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), Refusal> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, faulty) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !faulty {
            let kind = if encoding == encoding_rs::UTF_8 {
                TextEncoding::Utf8
            } else {
                TextEncoding::Utf16
            };
            return Ok((text, kind));
        }
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), TextEncoding::Utf8));
    } else if let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok((text, TextEncoding::Gb18030));
    }
    Err(Refusal {
        rule: Rule::Unreadable,
        zh: "文本的编码无法识别（应为 UTF-8 或 GB18030）；请另存为“CSV UTF-8”".into(),
        en: "the text is in an encoding that cannot be told (UTF-8 or GB18030 expected); save it as \"CSV UTF-8\""
            .into(),
    })
}

/// The delimiter the first line uses most, outside quotes: `,`, `;` or tab.
fn delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(slot) = counts.iter_mut().find(|(d, _)| *d == b) {
                    slot.1 += 1;
                }
            }
            _ => {}
        }
    }
    // Ties go to the comma, the most common.
    counts.iter().rev().max_by_key(|(_, n)| *n).map_or(b',', |(d, _)| *d)
}

/// The cells of a CSV file's one sheet, as text, within the cell and text limits.
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<(SheetCells, TextEncoding), Refusal> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut cells = SheetCells::new();
    let mut count = 0u64;
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Refusal {
            rule: Rule::Damaged,
            zh: format!("CSV 文件无法读取：{e}"),
            en: format!("the CSV file cannot be read: {e}"),
        })?;
        let row = u32::try_from(r).unwrap_or(u32::MAX);
        for (c, field) in record.iter().enumerate() {
            if field.trim().is_empty() {
                continue;
            }
            count += 1;
            if count > limits.max_cells_per_sheet {
                return Err(Refusal {
                    rule: Rule::TooLarge,
                    zh: format!("CSV 文件的单元格超过上限 {}", limits.max_cells_per_sheet),
                    en: format!("the CSV file has more than {} cells", limits.max_cells_per_sheet),
                });
            }
            // One character past the limit: enough to reject it, no more.
            let field = match field.char_indices().nth(limits.max_text_chars + 1) {
                Some((cut, _)) => &field[..cut],
                None => field,
            };
            let column = u32::try_from(c).unwrap_or(u32::MAX);
            cells.insert((row, column), RawValue::Text(field.to_owned()));
        }
    }
    Ok((cells, encoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_by_their_bytes() {
        let utf8 = "uscc,name\n1,上海杨浦\n";
        assert_eq!(
            decode(utf8.as_bytes()).unwrap(),
            (Cow::Borrowed(utf8), TextEncoding::Utf8)
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(decode(&bom).unwrap().0, utf8);
        // "上海" in GB18030: C9 CF BA A3 (independently, from the GB18030 table).
        let gb = b"name\n\xC9\xCF\xBA\xA3\n";
        assert_eq!(
            decode(gb).unwrap(),
            (Cow::Owned::<str>("name\n上海\n".into()), TextEncoding::Gb18030)
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a\tb\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            decode(&utf16).unwrap(),
            (Cow::Owned::<str>("a\tb\n".into()), TextEncoding::Utf16)
        );
        // Bytes that are neither: a lone GB18030 lead byte at the end.
        assert_eq!(decode(b"a,\xC9").unwrap_err().rule, Rule::Unreadable);
    }

    #[test]
    fn the_delimiter_is_the_header_s() {
        assert_eq!(delimiter("a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(delimiter("\"a;b\";\"c,d,e\";f\n"), b';');
        assert_eq!(delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(delimiter("single\n"), b',');
    }

    #[test]
    fn fields_become_text_cells_with_quotes_and_blank_fields_dropped() {
        let (cells, _) = read_csv("id;name\n1;\"a;b\"\"c\"\n2;\n".as_bytes(), &Limits::default()).unwrap();
        assert_eq!(cells.get(&(1, 1)), Some(&RawValue::Text("a;b\"c".into())));
        assert_eq!(cells.get(&(2, 0)), Some(&RawValue::Text("2".into())));
        assert_eq!(cells.get(&(2, 1)), None);
        let limits = Limits {
            max_cells_per_sheet: 3,
            ..Limits::default()
        };
        assert_eq!(read_csv(b"a,b\n1,2\n", &limits).unwrap_err().rule, Rule::TooLarge);
    }
}
