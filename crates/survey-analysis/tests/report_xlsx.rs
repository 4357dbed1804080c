//! The report writer on a small book built by hand: the file opens, holds what the book
//! says where the reader expects it, keeps text as text, and is the same every time.

use calamine::{Data, Reader, open_workbook_auto};
use std::io::{Cursor, Read};
use survey_analysis::report::Access;
use survey_analysis::report::book::{
    Audience, Book, Cell, Chart, ChartKind, Column, ColumnStyle, Cover, Format, NoteSection, Orientation, Print, Sheet,
    Table,
};
use survey_analysis::report::xlsx::{book_bytes, write_book};
use survey_def::Lang;

fn column(header: &str, format: Format, style: ColumnStyle) -> Column {
    Column {
        header: header.into(),
        format,
        style,
    }
}

/// Two table sheets (one with a chart, one empty and badly named) for officials only.
fn book() -> Book {
    let high = ColumnStyle::Severity {
        high: "High".into(),
        medium: "Medium".into(),
        low: "Low".into(),
    };
    let vacancies = Sheet {
        print: Print::default(),
        name: "Vacancies by sector".into(),
        title: "Job vacancies by sector".into(),
        intro: vec!["All enterprises in the frame".into(), "Persons".into()],
        table: Table {
            name: "VacanciesBySector".into(),
            columns: vec![
                column("Sector", Format::Text, ColumnStyle::Plain),
                column("Vacancies", Format::Persons, ColumnStyle::DataBar),
                column("Vacancy rate", Format::Percent, ColumnStyle::Plain),
                column("CV", Format::Cv, ColumnStyle::Plain),
                column("Quality", Format::Text, ColumnStyle::Quality),
                column("Risk", Format::Text, high),
            ],
            rows: vec![
                vec![
                    Cell::text("=1+1"),
                    Cell::Number(1250.0),
                    Cell::Number(0.052),
                    Cell::Number(0.12),
                    Cell::Blank,
                    Cell::text("High"),
                ],
                vec![
                    Cell::text("Manufacturing 制造业"),
                    Cell::Suppressed,
                    Cell::NotAvailable,
                    Cell::Number(0.41),
                    Cell::text("[u]"),
                    Cell::text("Low"),
                ],
                vec![
                    Cell::text("-Retail"),
                    Cell::Number(310.0),
                    Cell::Formatted(0.25, Format::Percent),
                    Cell::Number(f64::NAN),
                    Cell::Blank,
                    Cell::text("Medium"),
                ],
            ],
            footnotes: vec!["[c] confidential; [x] not available.".into()],
        },
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: "Vacancies by sector".into(),
            categories: 0,
            values: vec![1],
            rows: 0..3,
        }),
    };
    let flags = Sheet {
        print: Print::default(),
        name: "Flags: by/type".into(),
        title: "Risk flags".into(),
        intro: vec![],
        table: Table {
            name: "Flags".into(),
            columns: vec![
                column("Flag", Format::Text, ColumnStyle::Plain),
                column("Enterprises", Format::Count, ColumnStyle::Plain),
            ],
            rows: vec![],
            footnotes: vec![],
        },
        chart: None,
    };
    Book {
        file_name: "sector-demand.xlsx".into(),
        lang: Lang::En,
        cover: Cover {
            title: "Sector demand".into(),
            subtitle: "Weighted estimates".into(),
            audience: Audience::OfficialsOnly,
            audience_text: "For officials only — not for publication".into(),
            facts: vec![
                ("Survey".into(), "Spring 2024 employer survey".into()),
                ("Accepted".into(), "42".into()),
            ],
            how_to_read: vec!["[c] marks a figure suppressed by disclosure control.".into()],
            contents: vec![
                ("Vacancies by sector".into(), "Vacancies and rates".into()),
                ("Flags: by/type".into(), "Flags raised".into()),
            ],
        },
        sheets: vec![vacancies, flags],
        notes: vec![NoteSection {
            heading: "Estimation".into(),
            paragraphs: vec!["Totals are weighted by N_h / n_h.".into()],
        }],
        figures: vec![],
    }
}

fn part(bytes: &[u8], name: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut file = archive.by_name(name).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 part");
    Some(text)
}

fn string(value: Option<&Data>) -> &str {
    match value {
        Some(Data::String(s)) => s,
        other => panic!("expected a string, found {other:?}"),
    }
}

#[test]
fn workbook_opens_with_sheets_in_order_and_text_kept_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sector-demand.xlsx");
    write_book(&book(), &path, Access::Restricted).unwrap();
    // Only the finished file is left: the temporary file was renamed.
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["sector-demand.xlsx"]);

    let mut workbook = open_workbook_auto(&path).unwrap();
    // ':' and '/' are not allowed in sheet names; each becomes a space.
    assert_eq!(
        workbook.sheet_names(),
        ["Cover", "Vacancies by sector", "Flags  by type", "Method notes"]
    );

    let cover = workbook.worksheet_range("Cover").unwrap();
    assert_eq!(string(cover.get_value((0, 0))), "Sector demand");
    assert_eq!(
        string(cover.get_value((3, 0))),
        "For officials only — not for publication"
    );
    // Facts from row 6 (0-based 5): label, value.
    assert_eq!(string(cover.get_value((5, 0))), "Survey");
    assert_eq!(string(cover.get_value((5, 1))), "Spring 2024 employer survey");

    let sheet = workbook.worksheet_range("Vacancies by sector").unwrap();
    assert_eq!(string(sheet.get_value((0, 0))), "Job vacancies by sector");
    assert_eq!(string(sheet.get_value((2, 0))), "Persons");
    // Title, two intro lines, a blank row: the header is row 5 (0-based 4).
    let header: Vec<&str> = (0..6).map(|c| string(sheet.get_value((4, c)))).collect();
    assert_eq!(header, ["Sector", "Vacancies", "Vacancy rate", "CV", "Quality", "Risk"]);
    assert_eq!(string(sheet.get_value((5, 0))), "=1+1");
    assert_eq!(string(sheet.get_value((7, 0))), "-Retail");
    assert_eq!(sheet.get_value((5, 1)), Some(&Data::Float(1250.0)));
    assert_eq!(sheet.get_value((5, 2)), Some(&Data::Float(0.052)));
    assert_eq!(string(sheet.get_value((6, 1))), "[c]");
    assert_eq!(string(sheet.get_value((6, 2))), "[x]");
    // NaN cannot be stored: written as "not available".
    assert_eq!(string(sheet.get_value((7, 3))), "[x]");
    // Footnote two rows under the last data row (0-based 7).
    assert_eq!(string(sheet.get_value((9, 0))), "[c] confidential; [x] not available.");

    let empty = workbook.worksheet_range("Flags  by type").unwrap();
    assert_eq!(string(empty.get_value((2, 0))), "Flag");

    let notes = workbook.worksheet_range("Method notes").unwrap();
    assert_eq!(string(notes.get_value((2, 0))), "Estimation");
    assert_eq!(string(notes.get_value((3, 0))), "Totals are weighted by N_h / n_h.");
}

#[test]
fn parts_hold_the_tables_chart_and_print_setup_and_no_formulas() {
    let bytes = book_bytes(&book()).unwrap();

    let chart = part(&bytes, "xl/charts/chart1.xml").expect("a chart part");
    // Categories and values over the three data rows (Excel rows 6-8), named by the header.
    assert!(chart.contains("'Vacancies by sector'!$A$6:$A$8"), "{chart}");
    assert!(chart.contains("'Vacancies by sector'!$B$6:$B$8"), "{chart}");
    assert!(chart.contains("'Vacancies by sector'!$B$5"), "{chart}");
    assert!(chart.contains("<c:barChart>"), "{chart}");

    let table = part(&bytes, "xl/tables/table1.xml").expect("a table part");
    assert!(table.contains(r#"name="VacanciesBySector""#), "{table}");
    assert!(table.contains(r#"ref="A5:F8""#), "{table}");
    assert!(table.contains("<autoFilter"), "{table}");
    // The empty table still has one (blank) data row under its header at row 3.
    let empty = part(&bytes, "xl/tables/table2.xml").expect("a second table part");
    assert!(empty.contains(r#"ref="A3:B4""#), "{empty}");

    for n in 1..=4 {
        let sheet = part(&bytes, &format!("xl/worksheets/sheet{n}.xml")).unwrap();
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "formula in sheet{n}");
    }
    let sheet = part(&bytes, "xl/worksheets/sheet2.xml").unwrap();
    assert!(sheet.contains(r#"ySplit="5""#), "header not frozen: {sheet}");
    assert!(sheet.contains(r#"orientation="landscape""#), "{sheet}");
    assert!(sheet.contains(r#"fitToHeight="0""#), "{sheet}");
    assert!(sheet.contains("<dataBar"), "{sheet}");
    assert!(sheet.contains("&amp;A"), "sheet name in the page header: {sheet}");

    let workbook = part(&bytes, "xl/workbook.xml").unwrap();
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
    assert!(workbook.contains("'Vacancies by sector'!$5:$5"), "{workbook}");

    let core = part(&bytes, "docProps/core.xml").unwrap();
    assert!(core.contains("<dc:creator>labor-survey</dc:creator>"), "{core}");
    assert!(
        core.contains("<dc:subject>Spring 2024 employer survey</dc:subject>"),
        "{core}"
    );
}

#[test]
fn a_sheet_prints_as_its_description_says() {
    let mut book = book();
    book.sheets[0].print = Print {
        orientation: Orientation::Portrait,
        repeat_header: false,
    };
    let bytes = book_bytes(&book).unwrap();
    let sheet = part(&bytes, "xl/worksheets/sheet2.xml").unwrap();
    assert!(sheet.contains(r#"orientation="portrait""#), "{sheet}");
    let workbook = part(&bytes, "xl/workbook.xml").unwrap();
    assert!(
        !workbook.contains("'Vacancies by sector'!$5:$5"),
        "no repeated header rows: {workbook}"
    );
    // The other table sheet keeps the default: landscape.
    let other = part(&bytes, "xl/worksheets/sheet3.xml").unwrap();
    assert!(other.contains(r#"orientation="landscape""#), "{other}");
}

#[test]
fn the_same_book_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    write_book(&book(), &path, Access::Restricted).unwrap();
    let first = std::fs::read(&path).unwrap();
    write_book(&book(), &path, Access::Restricted).unwrap();
    assert_eq!(first, std::fs::read(&path).unwrap());
    assert_eq!(first, book_bytes(&book()).unwrap());
}

#[test]
fn text_beyond_excels_cell_limit_is_cut_not_refused() {
    let mut book = book();
    book.sheets[0].table.rows[0][0] = Cell::Text("x".repeat(40_000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xlsx");
    write_book(&book, &path, Access::Restricted).unwrap();
    let mut workbook = open_workbook_auto(&path).unwrap();
    let sheet = workbook.worksheet_range("Vacancies by sector").unwrap();
    assert_eq!(string(sheet.get_value((5, 0))).len(), 32_767);
}

#[test]
fn chinese_books_name_the_cover_and_notes_in_chinese() {
    let mut book = book();
    book.lang = Lang::Zh;
    let bytes = book_bytes(&book).unwrap();
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("封面"));
    assert_eq!(names.last().map(String::as_str), Some("方法说明"));
    assert!(workbook.worksheet_range("封面").is_ok());
}
