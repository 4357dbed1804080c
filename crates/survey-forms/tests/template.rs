//! The blank questionnaire as respondents get it: code-like answers in text-formatted
//! cells (Excel keeps an all-digit credit code as typed), skip logic written beside each
//! conditional question, and a print setup on every sheet. Read back from the workbook's
//! own parts.

use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;
use survey_def::Lang;
use survey_forms::layout;

fn shipped() -> survey_def::Definition {
    survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
}

/// Every part of the workbook by name, as text.
fn parts(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().unwrap().into_owned(), text)
        })
        .collect()
}

/// The row (0-based) of question `id` on sheet `sheet`.
fn row_of(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str, id: &str) -> u32 {
    let range = book.worksheet_range(sheet).unwrap();
    let (start_row, _) = range.start().unwrap();
    range
        .rows()
        .position(|r| matches!(r.get(usize::from(layout::ANSWER_ID_COL)), Some(Data::String(s)) if s == id))
        .map(|i| start_row + i as u32)
        .unwrap_or_else(|| panic!("no row for {id}"))
}

/// The style index of cell `cell` in a sheet part.
fn style_of(sheet_xml: &str, cell: &str) -> usize {
    let at = sheet_xml
        .find(&format!("<c r=\"{cell}\""))
        .unwrap_or_else(|| panic!("no cell {cell}"));
    let tag = &sheet_xml[at..at + sheet_xml[at..].find('>').unwrap()];
    let s = tag.split(" s=\"").nth(1).expect("a styled cell");
    s[..s.find('"').unwrap()].parse().unwrap()
}

/// The number format id of cell style `index` (`cellXfs`).
fn number_format_of(styles: &str, index: usize) -> u32 {
    let xfs = &styles[styles.find("<cellXfs").unwrap()..];
    let xf = xfs.split("<xf ").nth(index + 1).unwrap();
    let id = xf.split("numFmtId=\"").nth(1).unwrap();
    id[..id.find('"').unwrap()].parse().unwrap()
}

/// Excel's built-in text format `@`.
const TEXT_FORMAT: u32 = 49;

#[test]
fn code_answers_are_text_cells_and_numbers_are_not() {
    let def = shipped();
    for lang in [Lang::Zh, Lang::En] {
        let bytes = survey_forms::write_template(&def, lang).unwrap();
        let parts = parts(&bytes);
        let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
        let answer = layout::answer_sheet_name(lang);
        let sheet_xml = &parts["xl/worksheets/sheet2.xml"];
        let column = rust_xlsxwriter::utility::column_number_to_name(layout::ANSWER_VALUE_COL);
        let mut format = |id: &str| {
            let row = row_of(&mut book, answer, id);
            number_format_of(
                &parts["xl/styles.xml"],
                style_of(sheet_xml, &format!("{column}{}", row + 1)),
            )
        };
        for id in ["uscc", "contact_phone", "industry", "name", "operating_status"] {
            assert_eq!(format(id), TEXT_FORMAT, "{id} ({lang:?})");
        }
        assert_ne!(format("employees_now"), TEXT_FORMAT, "numbers stay numbers");
    }
}

#[test]
fn conditional_questions_say_when_to_answer_them() {
    let def = shipped();
    let bytes = survey_forms::write_template(&def, Lang::Zh).unwrap();
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    let answer = layout::answer_sheet_name(Lang::Zh);
    let range = book.worksheet_range(answer).unwrap();
    let help_of = |id: &str| -> String {
        range
            .rows()
            .find(|r| matches!(r.get(usize::from(layout::ANSWER_ID_COL)), Some(Data::String(s)) if s == id))
            .and_then(|r| r.get(usize::from(layout::ANSWER_HELP_COL)).map(ToString::to_string))
            .unwrap_or_default()
    };
    let stopped = help_of("stopped_since");
    assert!(
        stopped.starts_with("仅当“目前生产经营状况”为“部分停工停产”或“全面停工停产”时作答。"),
        "{stopped}"
    );
    // Its own help follows the condition.
    assert!(stopped.contains("2024-01-15"), "{stopped}");
    assert!(
        !help_of("employees_now").contains("仅当"),
        "an unconditional question has no condition"
    );
    // Every conditional question of the answer sheet says so.
    for q in def
        .questions()
        .iter()
        .filter(|q| q.relevant.is_some() && q.is_asked() && q.kind.table().is_none())
    {
        assert!(help_of(&q.id).starts_with("仅当“"), "{}: {}", q.id, help_of(&q.id));
    }
    // A table column's condition is under its label.
    let table = def.question("vacancies").unwrap();
    let names = book.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == table.label.zh || table.label.zh.starts_with(n.as_str()))
        .unwrap_or_else(|| panic!("a sheet for the vacancy table among {names:?}"))
        .clone();
    let cells = book.worksheet_range(&sheet).unwrap();
    let asked: Vec<&survey_def::Question> = table.columns().iter().filter(|c| c.is_asked()).collect();
    let mut conditional = 0;
    for (col, c) in asked.iter().enumerate() {
        let label = cells
            .get_value((layout::TABLE_LABEL_ROW, col as u32))
            .map(ToString::to_string)
            .unwrap_or_default();
        assert_eq!(label.contains("\n仅当“"), c.relevant.is_some(), "{label}");
        conditional += usize::from(c.relevant.is_some());
    }
    assert!(conditional > 0, "the vacancy table has conditional columns");
    // The star means "required when asked", and the cover says so.
    let cover = book.worksheet_range(layout::cover_sheet_name(Lang::Zh)).unwrap();
    let text: String = cover.cells().map(|(_, _, v)| v.to_string()).collect();
    assert!(text.contains("只在条件成立时作答"), "{text}");
}

#[test]
fn every_sheet_prints_one_page_wide_with_its_header_rows() {
    let def = shipped();
    for lang in [Lang::Zh, Lang::En] {
        let parts = parts(&survey_forms::write_template(&def, lang).unwrap());
        let workbook = &parts["xl/workbook.xml"];
        // Cover, answers, the vacancy table (the lists and metadata sheets are hidden).
        let sheet = |n: usize| &parts[&format!("xl/worksheets/sheet{n}.xml")];
        for (xml, orientation) in [(sheet(1), "portrait"), (sheet(2), "landscape"), (sheet(3), "landscape")] {
            assert!(xml.contains(&format!("orientation=\"{orientation}\"")), "{orientation}");
            assert!(xml.contains("paperSize=\"9\""), "A4");
            assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "fit to page");
            assert!(xml.contains("<oddFooter>&amp;C"), "page x of y");
            assert!(xml.contains("<oddHeader>&amp;L"), "the title above");
        }
        assert!(!sheet(1).contains("fitToHeight=\"0\""), "the cover on one page");
        assert!(
            sheet(2).contains("fitToHeight=\"0\""),
            "answers: as many pages tall as needed"
        );
        // Header rows repeated: the answer sheet's column header, the table's label and id rows.
        assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
        assert!(workbook.contains("!$2:$2"), "{workbook}");
        assert!(workbook.contains("!$2:$3"), "{workbook}");
    }
}
