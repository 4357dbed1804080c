//! Cell positions, dimensions and ranges: references parsed like Excel, sheets that would
//! make calamine allocate a huge grid refused, and a generated differential against
//! calamine's own placement of cells.

use super::*;
use crate::guard::check_xlsx;
use crate::guard::tests::*;
use calamine::Reader;
use std::io::{Cursor, Write};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

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
