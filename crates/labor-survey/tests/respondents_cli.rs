//! Template returns as respondents edit them: a deleted metadata sheet, renamed or
//! deleted sheets, a credit code Excel turned into a number. Each workbook is the filled
//! template with its parts edited the way the spreadsheet program would leave them, read
//! by `labor-survey ingest`.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use survey_forms::CellValue;

fn ingest(inputs: &[&Path], out: &Path) -> std::process::Output {
    ingest_with(&shipped(), inputs, out)
}

/// A filled template (zh) for enterprise `n`, edited by `edit` (part name, bytes).
fn edited_return(dir: &Path, name: &str, n: u32, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> PathBuf {
    let def = survey_def::load(&shipped()).unwrap();
    let ret = valid_json_return(&credit_code(n), "2024-02-20T09:00:00+08:00");
    let bytes = survey_forms::write_filled(&def, survey_def::Lang::Zh, &filled_from_json(&def, &ret)).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, rewrite_zip(&bytes, edit)).unwrap();
    path
}

/// Edits `xl/workbook.xml` as text.
fn workbook(edit: impl Fn(String) -> String) -> impl Fn(&str, Vec<u8>) -> Vec<u8> {
    move |name, bytes| {
        if name == "xl/workbook.xml" {
            edit(String::from_utf8(bytes).unwrap()).into_bytes()
        } else {
            bytes
        }
    }
}

/// Removes the `<sheet …/>` element naming `sheet` from the workbook: the sheet is gone
/// as far as any reader is concerned.
fn delete_sheet(xml: String, sheet: &str) -> String {
    let at = xml
        .find(&format!("<sheet name=\"{sheet}\""))
        .unwrap_or_else(|| panic!("no sheet {sheet}"));
    let end = at + xml[at..].find("/>").unwrap() + 2;
    format!("{}{}", &xml[..at], &xml[end..])
}

fn rename_sheet(xml: String, from: &str, to: &str) -> String {
    assert!(xml.contains(&format!("<sheet name=\"{from}\"")), "no sheet {from}");
    xml.replace(&format!("<sheet name=\"{from}\""), &format!("<sheet name=\"{to}\""))
}

fn vacancy_sheet() -> String {
    let def = survey_def::load(&shipped()).unwrap();
    survey_files::excel::sheet_name(def.question("vacancies").unwrap().label.zh.as_str(), &mut Vec::new())
}

fn dataset_rows(out: &Path) -> (usize, usize) {
    use polars::prelude::*;
    let read = |f: &str| {
        ParquetReader::new(std::fs::File::open(out.join(f)).unwrap())
            .finish()
            .unwrap()
            .height()
    };
    (read("responses.parquet"), read("vacancies.parquet"))
}

#[test]
fn a_template_without_its_metadata_sheet_is_read_by_its_layout_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_return(
        dir.path(),
        "no-meta.xlsx",
        801,
        workbook(|x| delete_sheet(x, "_survey")),
    );
    let out = dir.path().join("out");
    let output = ingest(&[&path], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (received, accepted, rejected, _) = assert_accounted(&ingest_summary(&out));
    assert_eq!(
        (received, accepted, rejected),
        (1, 1, 0),
        "one return, never a wide export"
    );
    // Its two vacancy lines are read.
    assert_eq!(dataset_rows(&out), (1, 2));
    let rows = rejects(&out);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["severity"], "warning");
    assert_eq!(rows[0]["rule"], "missing-sheet");
    assert!(
        rows[0]["message_en"]
            .as_str()
            .unwrap()
            .contains("read as version 1.0.0 by its layout"),
        "{}",
        rows[0]
    );
}

#[test]
fn renamed_sheets_are_found_by_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let table = vacancy_sheet();
    let renamed = edited_return(
        dir.path(),
        "renamed.xlsx",
        802,
        workbook(move |x| {
            rename_sheet(
                rename_sheet(
                    x,
                    survey_forms::layout::answer_sheet_name(survey_def::Lang::Zh),
                    "我的答卷",
                ),
                &table,
                "招聘岗位",
            )
        }),
    );
    let out = dir.path().join("out");
    let output = ingest(&[&renamed], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (_, accepted, rejected, _) = assert_accounted(&ingest_summary(&out));
    assert_eq!((accepted, rejected), (1, 0), "{:#?}", rejects(&out));
    assert_eq!(
        dataset_rows(&out),
        (1, 2),
        "both vacancy lines read from the renamed sheet"
    );
}

#[test]
fn a_table_sheet_that_cannot_be_found_rejects_the_return() {
    let dir = tempfile::tempdir().unwrap();
    let table = vacancy_sheet();
    let path = edited_return(
        dir.path(),
        "no-table.xlsx",
        803,
        workbook(move |x| delete_sheet(x, &table)),
    );
    let out = dir.path().join("out");
    let output = ingest(&[&path], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (_, accepted, rejected, _) = assert_accounted(&ingest_summary(&out));
    assert_eq!((accepted, rejected), (0, 1), "never accepted with zero vacancies");
    let rows = rejects(&out);
    assert_eq!(rows[0]["rule"], "missing-sheet");
    assert!(
        rows[0]["message_en"].as_str().unwrap().contains("table `vacancies`"),
        "{}",
        rows[0]
    );
}

#[test]
fn a_template_without_metadata_or_answer_sheet_is_one_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited_return(
        dir.path(),
        "gutted.xlsx",
        804,
        workbook(|x| {
            delete_sheet(
                delete_sheet(x, "_survey"),
                survey_forms::layout::answer_sheet_name(survey_def::Lang::Zh),
            )
        }),
    );
    let out = dir.path().join("out");
    let output = ingest(&[&path], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (received, _, rejected, _) = assert_accounted(&ingest_summary(&out));
    assert_eq!((received, rejected), (1, 1));
    let rows = rejects(&out);
    assert_eq!(rows.len(), 1, "one rejection, not a row per line: {rows:#?}");
    assert_eq!(rows[0]["rule"], "not-a-return", "{rows:#?}");
}

#[test]
fn a_credit_code_stored_as_a_number_says_excel_dropped_digits() {
    let dir = tempfile::tempdir().unwrap();
    let def = survey_def::load(&shipped()).unwrap();
    // An all-digit code: what Excel keeps of it in a General cell.
    let code = "913101105350007281";
    let ret = valid_json_return(code, "2024-02-20T09:00:00+08:00");
    let mut filled = filled_from_json(&def, &ret);
    filled
        .answers
        .insert("uscc".into(), CellValue::Number(913_101_105_350_007_000.0));
    let bytes = survey_forms::write_filled(&def, survey_def::Lang::Zh, &filled).unwrap();
    let path = dir.path().join("number.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = dir.path().join("out");
    let output = ingest(&[&path], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = rejects(&out);
    let row = rows
        .iter()
        .find(|r| r["question"] == "uscc")
        .unwrap_or_else(|| panic!("{rows:#?}"));
    assert_eq!(row["rule"], "invalid-credit-code");
    let message = row["message_en"].as_str().unwrap();
    assert!(
        message.contains("stored as a number") && message.contains("format the cell as text"),
        "{message}"
    );
    assert!(row["message_zh"].as_str().unwrap().contains("文本格式"));
}
