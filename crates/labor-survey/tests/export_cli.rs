//! `labor-survey export`: two returns are ingested with the real CLI and exported as a
//! workbook and as CSV; the files are opened as a colleague's program would (calamine,
//! a CSV reader) and hold labels, not codes, unless `--codes` asks for codes.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{credit_code, run, shipped, text, valid_json_return};
use std::path::Path;

/// Ingests two returns (the second without a second vacancy line and wanting no support)
/// into `dir/dataset`.
fn dataset(dir: &Path) -> std::path::PathBuf {
    let returns = dir.join("returns");
    std::fs::create_dir_all(&returns).unwrap();
    let first = valid_json_return(&credit_code(1), "2024-02-20T10:00:00+08:00");
    let mut second = valid_json_return(&credit_code(2), "2024-02-21T10:00:00+08:00");
    second["answers"]["vacancies"].as_array_mut().unwrap().truncate(1);
    second["answers"]["support_wanted"] = serde_json::json!(["training_subsidy", "recruitment"]);
    for (n, r) in [(1, first), (2, second)] {
        std::fs::write(returns.join(format!("{n}.json")), serde_json::to_vec(&r).unwrap()).unwrap();
    }
    let out = dir.join("dataset");
    let ingest = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        returns.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ingest.status.success(), "ingest: {}", text(&ingest.stderr));
    out
}

fn export(dataset: &Path, output: &Path, extra: &[&str]) {
    let definition = shipped();
    let mut args = vec![
        "export",
        definition.to_str().unwrap(),
        dataset.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "export: {}", text(&out.stderr));
}

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn column<'a>(rows: &'a [Vec<String>], header: &str) -> Vec<&'a str> {
    let c = rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column `{header}` in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[c].as_str()).collect()
}

#[test]
fn a_workbook_export_has_labels_a_row_per_return_and_a_sheet_of_vacancies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let path = dir.path().join("export/returns.xlsx");
    export(&data, &path, &["--lang", "zh"]);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 2, "{names:?}");
    let rows: Vec<Vec<String>> = book
        .worksheet_range(&names[0])
        .unwrap()
        .rows()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    assert_eq!(rows.len(), 3, "a header and one row per return");
    assert_eq!(column(&rows, "统一社会信用代码"), [credit_code(1), credit_code(2)]);
    assert_eq!(column(&rows, "目前生产经营状况"), ["正常生产经营", "正常生产经营"]);
    assert_eq!(column(&rows, "节前在册职工人数"), ["50", "50"]);
    let support = column(&rows, "希望获得哪些服务（可多选）");
    assert_eq!(support[0], "招聘对接（招聘会、公共招聘平台）");
    assert!(
        support[1].starts_with("招聘对接（招聘会、公共招聘平台）、"),
        "{support:?}"
    );

    let lines: Vec<Vec<String>> = book
        .worksheet_range(&names[1])
        .unwrap()
        .rows()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    // Two lines of the first return, one of the second.
    assert_eq!(
        column(&lines, "统一社会信用代码"),
        [credit_code(1), credit_code(1), credit_code(2)]
    );
    assert_eq!(column(&lines, "职业代码"), ["2-02-10-03", "4-01-02-01", "2-02-10-03"]);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the export names enterprises");
    }
    // The same dataset gives the same bytes.
    let again = dir.path().join("again.xlsx");
    export(&data, &again, &["--lang", "zh"]);
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn a_csv_export_has_a_byte_order_mark_and_codes_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let path = dir.path().join("returns.csv");
    export(&data, &path, &["--lang", "en"]);
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "Excel needs the byte order mark to read UTF-8"
    );
    let read = |p: &Path| -> Vec<Vec<String>> {
        let bytes = std::fs::read(p).unwrap();
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect()
    };
    let rows = read(&path);
    assert_eq!(
        column(&rows, "Current operating status"),
        ["Operating normally", "Operating normally"]
    );
    // A table's file is named by the table's id beside the returns' file.
    assert_eq!(
        read(&dir.path().join("returns-vacancies.csv")).len(),
        4,
        "a header and three lines"
    );

    let coded = dir.path().join("coded.csv");
    export(&data, &coded, &["--codes"]);
    let rows = read(&coded);
    assert_eq!(column(&rows, "operating_status"), ["normal", "normal"]);
    assert_eq!(column(&rows, "support_wanted")[0], "recruitment");
    assert_eq!(
        column(&rows, "support_wanted")[1],
        "recruitment;training_subsidy",
        "in list order"
    );
    assert!(dir.path().join("coded-vacancies.csv").is_file());
}
