//! Workbooks the guard's tests are made from (hand-made parts, a real workbook, zips
//! rewritten part by part), and the tests of whole workbooks passing. The tests of each
//! concern sit next to it and build their hostile files from these.

use super::*;
use std::io::{Cursor, Read, Write};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

pub(super) const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
pub(super) const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
pub(super) const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
pub(super) const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
pub(super) const SHEET_PATH: &str = "xl/worksheets/sheet1.xml";
pub(super) const SST_PATH: &str = "xl/sharedStrings.xml";

pub(super) fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

pub(super) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, deflated()).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A sheet part around `sheet_data` (the content of `<sheetData>`), with `before` ahead
/// of `<sheetData>` (e.g. a `<dimension>`).
pub(super) fn sheet_xml(before: &str, sheet_data: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{before}<sheetData>{sheet_data}</sheetData></worksheet>"#
    )
}

/// A hand-made workbook with one sheet, whose parts the tests replace.
pub(super) fn workbook_with(sheet: &str, shared_strings: Option<&str>) -> Vec<u8> {
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

pub(super) fn with_sheet_data(sheet_data: &str) -> Vec<u8> {
    workbook_with(&sheet_xml("", sheet_data), None)
}

/// A real workbook, written by rust_xlsxwriter: two sheets, shared strings, numbers
/// and a formula.
pub(super) fn real_workbook() -> Vec<u8> {
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
pub(super) fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
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
pub(super) fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries_of(bytes) {
        let data = edit(&name, data);
        out.start_file(name.as_str(), deflated()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

pub(super) fn refused(bytes: &[u8]) -> Refusal {
    refused_with(bytes, &Limits::default())
}

pub(super) fn refused_with(bytes: &[u8], limits: &Limits) -> Refusal {
    match check_xlsx(bytes, limits) {
        Ok(facts) => panic!("accepted: {facts:?}"),
        Err(refusal) => {
            assert!(!refusal.zh.is_empty() && !refusal.en.is_empty());
            refusal
        }
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
