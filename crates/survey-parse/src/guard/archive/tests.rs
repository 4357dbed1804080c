//! The zip container: bombs refused from the directory alone, sizes and checksums that
//! lie caught while inflating, zips that are not workbooks named for what they are.

use super::*;
use crate::guard::check_xlsx;
use crate::guard::tests::*;
use std::io::Cursor;
use std::time::Instant;

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
