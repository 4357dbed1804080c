//! The byte scanner: one pass over a part's bytes that finds its elements and
//! attributes exactly where calamine's XML reader (quick-xml) will, and refuses DOCTYPE
//! and entity declarations wherever they appear.
//!
//! Checking a part is only worth something if calamine then reads the same elements: a
//! scanner that skipped a comment quick-xml reads, or read a tag it skips, could pass a
//! cell calamine sees. So comments, CDATA and processing instructions end where
//! quick-xml ends them, a tag ends at the first `>` outside quotes, names are compared by
//! their local part whatever their prefix, and attributes are split as calamine's raw
//! attribute iterator splits them. Entity declarations are refused even where quick-xml
//! would not look (inside comments, values, unclosed markup): no workbook needs one, and
//! expanding them is the billion-laughs attack. The searches go eight bytes at a time,
//! since a scan of every part of every return is dominated by them.

use super::sheet::{self, SheetData};
use super::{Refusal, quoted, strings};
use crate::limits::Limits;
use crate::rejection::Rule;

/// What a part's root element says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
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
pub(super) fn local_name(qname: &[u8]) -> &[u8] {
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
pub(super) struct Attrs<'a> {
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

pub(super) fn attrs(raw: &[u8]) -> Attrs<'_> {
    Attrs { raw, pos: 0 }
}

/// The value of a run of ASCII digits, saturating (leading zeros allowed).
pub(super) fn parse_digits(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
}

/// The value of the leading digits of an attribute value (0 when there are none): what a
/// lenient number parser would make of it at most.
pub(super) fn leading_number(value: &[u8]) -> u64 {
    let n = value.iter().take_while(|b| b.is_ascii_digit()).count();
    parse_digits(&value[..n])
}

/// Scans one part's bytes once, the way quick-xml tokenizes them, and refuses what would
/// hurt calamine. Returns what the part's root element is.
pub(super) fn scan_part(data: &[u8], part: &str, limits: &Limits) -> Result<Root, Refusal> {
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
                sheet::end_tag(qname, &mut sheet, &mut cell, &mut stack, part, limits)?;
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
                    sheet::end_tag(qname, &mut sheet, &mut cell, &mut stack, part, limits)?;
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
    if let Some(sd) = &sheet {
        sheet::check_cells(sd, part, limits)?;
    }
    Ok(root.unwrap_or(Root::Other))
}

/// A start tag (a self-closing one is a start, then an end): the checks that hold
/// wherever the element appears, then the cell data of a sheet.
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
    match local_name(qname) {
        b"sst" => strings::check_unique_count(raw_attrs, part_len)?,
        b"dimension" => sheet::check_dimension_refs(raw_attrs, part, limits)?,
        b"mergeCell" => sheet::check_merge_cell(raw_attrs, part)?,
        b"f" => sheet::check_formula(raw_attrs, cell.is_some(), part_len, part)?,
        _ => {}
    }
    sheet::start_tag(qname, raw_attrs, sheet, cell, stack, part, limits)
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

#[cfg(test)]
mod tests;
