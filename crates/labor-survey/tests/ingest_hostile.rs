//! Broken and hostile inputs, built here, each ending in a named rejection of that one
//! file while the rest of the run completes. Named after the case they show.

mod common;

use common::*;
use std::io::{Cursor, Write};

/// A filled template return: the base that hostile variants are made from.
fn template_bytes(n: u32) -> Vec<u8> {
    let def = survey_def::load(&shipped()).unwrap();
    let mut filled = survey_forms::FilledAnswers::default();
    filled
        .answers
        .insert("uscc".into(), survey_forms::CellValue::Text(credit_code(n)));
    filled
        .answers
        .insert("name".into(), survey_forms::CellValue::Text("某公司".into()));
    survey_forms::write_filled(&def, survey_def::Lang::Zh, &filled).unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// An OLE compound file header, optionally with the stream name an encrypted OOXML
/// package carries.
fn compound_file(encrypted: bool) -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(4096, 0);
    if encrypted {
        let name: Vec<u8> = "EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes[1024..1024 + name.len()].copy_from_slice(&name);
    }
    bytes
}

fn hostile_cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let base = template_bytes(900);
    let entity = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol2;</t></si></sst>"#;
    let billion_laughs = rewrite_zip(&base, |name, data| {
        if name == "xl/sharedStrings.xml" {
            entity.as_bytes().to_vec()
        } else {
            data
        }
    });
    let huge_count = rewrite_zip(&base, |name, data| {
        if name == "xl/sharedStrings.xml" {
            let s = String::from_utf8(data).unwrap();
            let start = s.find("uniqueCount=\"").unwrap() + 13;
            let end = start + s[start..].find('"').unwrap();
            format!("{}4000000000{}", &s[..start], &s[end..]).into_bytes()
        } else {
            data
        }
    });
    let sheet = "xl/worksheets/sheet2.xml";
    let million_rows = rewrite_zip(&base, |name, data| {
        if name == sheet {
            let s = String::from_utf8(data).unwrap();
            let start = s.find("<dimension ref=\"").unwrap() + 16;
            let end = start + s[start..].find('"').unwrap();
            format!("{}A1:XFD1048576{}", &s[..start], &s[end..]).into_bytes()
        } else {
            data
        }
    });
    let far_cell = rewrite_zip(&base, |name, data| {
        if name == sheet {
            let s = String::from_utf8(data).unwrap();
            s.replace(
                "</sheetData>",
                r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
            )
            .into_bytes()
        } else {
            data
        }
    });
    // 300 MB of zeros deflates to about 300 KB.
    let bomb = {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        out.start_file("[Content_Types].xml", options).unwrap();
        out.write_all(b"<Types/>").unwrap();
        out.start_file("xl/workbook.xml", options).unwrap();
        out.write_all(b"<workbook/>").unwrap();
        out.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..300 {
            out.write_all(&chunk).unwrap();
        }
        out.finish().unwrap().into_inner()
    };
    let truncated = base[..base.len() / 2].to_vec();
    let not_a_workbook = zip_of(&[
        ("word/document.xml", b"<w:document/>"),
        ("[Content_Types].xml", b"<Types/>"),
    ]);
    vec![
        ("billion-laughs.xlsx", billion_laughs, "xml-entities"),
        ("shared-strings-4e9.xlsx", huge_count, "too-large"),
        ("claims-a-million-rows.xlsx", million_rows, "too-large"),
        ("cells-at-a1-and-xfd1048576.xlsx", far_cell, "too-large"),
        ("zip-bomb.xlsx", bomb, "too-large"),
        ("truncated.xlsx", truncated, "damaged"),
        ("a-docx-renamed.xlsx", not_a_workbook, "unsupported-format"),
        ("password-protected.xlsx", compound_file(true), "encrypted"),
        ("an-ole-file-with-no-workbook.xls", compound_file(false), "damaged"),
        (
            "a-pdf-renamed.xlsx",
            b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            "unsupported-format",
        ),
        (
            "a-web-page-renamed.xlsx",
            "\u{feff}<!DOCTYPE html><html><body>403</body></html>"
                .as_bytes()
                .to_vec(),
            "unsupported-format",
        ),
        ("empty.json", Vec::new(), "empty-file"),
        (
            "invalid-utf8.json",
            b"{\"survey\": \"\xff\xfe\"}".to_vec(),
            "invalid-json",
        ),
        (
            "nested-100000-deep.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "invalid-json",
        ),
        (
            "nan.json",
            br#"{"survey":"yangpu-spring-2024","version":"1.0.0","answers":{"employees_now":NaN}}"#.to_vec(),
            "invalid-json",
        ),
        (
            "huge-number.json",
            br#"{"survey":"yangpu-spring-2024","version":"1.0.0","answers":{"employees_now":1e400}}"#.to_vec(),
            "invalid-json",
        ),
        (
            "duplicate-keys.json",
            br#"{"survey":"yangpu-spring-2024","version":"1.0.0","answers":{"employees_now":5,"employees_now":500}}"#
                .to_vec(),
            "duplicate-key",
        ),
    ]
}

#[test]
fn hostile_files_end_in_named_rejections_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    let cases = hostile_cases();
    for (name, bytes, _) in &cases {
        std::fs::write(returns.join(name), bytes).unwrap();
    }
    // Good returns beside them are read as if nothing happened.
    let good = valid_json_return(&credit_code(901), "2024-02-20T10:00:00+08:00");
    std::fs::write(returns.join("good.json"), serde_json::to_vec(&good).unwrap()).unwrap();
    // A 5 MB text answer rejects its return, with the value cut in the report.
    let mut long = valid_json_return(&credit_code(902), "2024-02-20T10:00:00+08:00");
    long["answers"]["comments"] = serde_json::json!("长".repeat(5 * 1024 * 1024 / 3));
    std::fs::write(returns.join("five-mb-answer.json"), serde_json::to_vec(&long).unwrap()).unwrap();
    // A JSON Lines file with one broken line: only that line is rejected.
    let lines = [
        serde_json::to_string(&valid_json_return(&credit_code(903), "2024-02-20T10:00:00+08:00")).unwrap(),
        "{\"survey\":\"yangpu-spring-2024\",\"answers\":{".to_owned(),
        serde_json::to_string(&valid_json_return(&credit_code(904), "2024-02-20T10:00:00+08:00")).unwrap(),
    ];
    std::fs::write(returns.join("export.jsonl"), lines.join("\n")).unwrap();

    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let result = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        returns.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(result.status.success(), "the run completes: {}", text(&result.stderr));
    assert!(started.elapsed().as_secs() < 60, "no input makes ingest hang");

    let summary = ingest_summary(&out);
    let (received, accepted, rejected, superseded) = assert_accounted(&summary);
    assert_eq!(accepted, 3, "the good JSON return and the two good JSON Lines lines");
    assert_eq!(superseded, 0);
    assert_eq!(
        rejected,
        cases.len() as u64 + 2,
        "each hostile file, the 5 MB answer and the broken line"
    );
    assert_eq!(received, accepted + rejected);

    let rejects = rejects(&out);
    for (name, _, rule) in &cases {
        let rows: Vec<_> = rejects
            .iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(name))
            .collect();
        assert_eq!(rows.len(), 1, "{name}: {rows:#?}");
        assert_eq!(rows[0]["rule"], *rule, "{name}: {}", rows[0]);
        assert!(!rows[0]["message_en"].as_str().unwrap().is_empty());
        assert!(!rows[0]["message_zh"].as_str().unwrap().is_empty());
    }
    let long_rows: Vec<_> = rejects
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("five-mb-answer.json"))
        .collect();
    assert_eq!(long_rows[0]["rule"], "too-long");
    assert_eq!(long_rows[0]["json_path"], "$.answers.comments");
    assert!(
        long_rows[0]["value"].as_str().unwrap().len() < 1000,
        "a 5 MB value is not copied into reports"
    );
    let broken: Vec<_> = rejects
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("export.jsonl"))
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["line"], 2);
    assert_eq!(broken[0]["rule"], "invalid-json");

    let statuses: Vec<(&str, &str)> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert!(
        statuses
            .iter()
            .any(|(f, s)| f.ends_with("export.jsonl") && *s == "partial")
    );
    assert!(
        statuses
            .iter()
            .any(|(f, s)| f.ends_with("zip-bomb.xlsx") && *s == "rejected")
    );
}

#[test]
fn a_limit_can_be_raised_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut ret = valid_json_return(&credit_code(910), "2024-02-20T10:00:00+08:00");
    ret["answers"]["name"] = serde_json::json!("x".repeat(50));
    let path = dir.path().join("r.json");
    std::fs::write(&path, serde_json::to_vec(&ret).unwrap()).unwrap();
    let out = dir.path().join("out");
    let small = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--max-text-chars",
        "30",
        "--strict",
    ]);
    assert_eq!(small.status.code(), Some(1));
    let rows = rejects(&out);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["rule"], "too-long");
    assert_eq!(rows[0]["question"], "name");
    let raised = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--max-text-chars",
        "100",
        "--strict",
    ]);
    assert!(raised.status.success(), "{}", text(&raised.stderr));
}

#[test]
fn a_missing_input_path_stops_the_run_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        "no/such/folder",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("no/such/folder"));
}

#[test]
fn answers_in_the_wrong_shape_are_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "table-as-number.json",
            Box::new(|r| r["answers"]["vacancies"] = serde_json::json!(5)),
            "wrong-type",
        ),
        (
            "rows-on-a-choice.json",
            Box::new(|r| r["answers"]["hire_channels"] = serde_json::json!([{ "code": "job_fair" }])),
            "wrong-type",
        ),
        (
            "ambiguous-date.json",
            Box::new(|r| r["answers"]["submitted_on"] = serde_json::json!("2/3/24")),
            "invalid-date",
        ),
        (
            "year-as-date.json",
            Box::new(|r| r["answers"]["submitted_on"] = serde_json::json!(2024)),
            "invalid-date",
        ),
        (
            "forty-thousand-char-key.json",
            Box::new(|r| r["answers"]["x".repeat(40_000)] = serde_json::json!(1)),
            "unknown-question",
        ),
    ];
    for (i, (name, mutate, _)) in cases.iter().enumerate() {
        let mut ret = valid_json_return(&credit_code(920 + i as u32), "2024-02-20T10:00:00+08:00");
        mutate(&mut ret);
        std::fs::write(dir.path().join(name), serde_json::to_vec(&ret).unwrap()).unwrap();
    }
    // Saved by Notepad: a byte-order mark before the JSON.
    let bom = valid_json_return(&credit_code(930), "2024-02-20T10:00:00+08:00");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(serde_json::to_vec(&bom).unwrap());
    std::fs::write(dir.path().join("with-bom.json"), bytes).unwrap();

    // The outputs go beside the returns, never among them.
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    let result = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let rejects = rejects(&out);
    for (name, _, rule) in &cases {
        let rows: Vec<_> = rejects
            .iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(name))
            .collect();
        assert!(rows.iter().any(|r| r["rule"] == *rule), "{name}: {rows:#?}");
    }
    assert!(
        rejects
            .iter()
            .all(|r| !r["file"].as_str().unwrap().ends_with("with-bom.json"))
    );
    let (received, accepted, ..) = assert_accounted(&ingest_summary(&out));
    assert_eq!(received, 6);
    assert_eq!(accepted, 2, "the BOM return, and the one with an unknown key set aside");
    // The workbook of rejects is written even with a 40,000-character question id.
    assert!(out.join("rejects.xlsx").exists());
}

#[test]
fn a_flood_of_broken_lines_is_counted_but_listed_only_up_to_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.jsonl");
    std::fs::write(&path, "{\n".repeat(20_000)).unwrap();
    let out = dir.path().join("out");
    let result = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(assert_accounted(&ingest_summary(&out)), (20_000, 0, 20_000, 0));
    let rejects = rejects(&out);
    assert_eq!(rejects.len(), 10_001, "10,000 listed and one row counting the rest");
    let summary_rows = rejects
        .iter()
        .filter(|r| r["message_en"].as_str().unwrap().starts_with("10000 further problems"));
    assert_eq!(summary_rows.count(), 1);
}
