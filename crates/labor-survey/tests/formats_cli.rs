//! Returns in the formats respondents' programs write: a template re-saved by
//! LibreOffice, as `.ods` and as `.xls`; a wide sheet saved as CSV in UTF-8, UTF-8 with a
//! byte-order mark and GB18030; KoboToolbox exports (CSV with `;`, group prefixes,
//! select_multiple as codes separated by spaces and as a column per option, `_uuid`,
//! `_submission_time`; XLSX with the repeat group on a sheet of its own). The files in
//! `tests/formats/` were made by those programs (`tests/formats/README.md`); the values
//! expected of each (`expected.json`) come from the JSON returns they were made from,
//! not from this tool. Also: JSON arrays streamed return by return, and `.ods`/`.xls`
//! files that would exhaust memory stopped in their child process.

mod common;

use common::*;
use polars::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    repo().join("tests/formats")
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// Each column of `frame` as text by enterprise id.
fn rows_by_enterprise(frame: &DataFrame) -> BTreeMap<String, BTreeMap<String, Option<String>>> {
    let ids = frame.column("uscc").unwrap().str().unwrap().clone();
    let mut out: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for name in frame.get_column_names() {
        let column = frame.column(name).unwrap();
        let values = column.cast(&DataType::String).unwrap();
        let values = values.str().unwrap();
        for i in 0..frame.height() {
            out.entry(ids.get(i).unwrap().to_owned())
                .or_default()
                .insert(column.name().to_string(), values.get(i).map(str::to_owned));
        }
    }
    out
}

/// Seconds since the epoch of an RFC 3339 time with a `+hh:mm` offset, by hand.
fn unix_seconds(text: &str) -> i64 {
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (y, m, d, hh, mm, ss) = (n(0..4), n(5..7), n(8..10), n(11..13), n(14..16), n(17..19));
    let offset = text[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let offset = if offset.len() >= 6 {
        sign * (offset[1..3].parse::<i64>().unwrap() * 3600 + offset[4..6].parse::<i64>().unwrap() * 60)
    } else {
        0
    };
    // Days from 1970-01-01 to y-m-d (the civil-from-days inverse, Howard Hinnant's).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss - offset
}

#[test]
fn the_hand_made_clock_agrees_with_known_instants() {
    assert_eq!(unix_seconds("1970-01-01T00:00:00+00:00"), 0);
    // 2024-03-05T04:19:00Z, from `date -u -d 2024-03-05T04:19:00Z +%s`.
    assert_eq!(unix_seconds("2024-03-05T12:19:00+08:00"), 1_709_612_340);
}

#[test]
fn returns_saved_by_real_programs_read_with_their_values() {
    let expected: Value = serde_json::from_slice(&std::fs::read(fixtures().join("expected.json")).unwrap()).unwrap();
    let files = expected["files"].as_object().unwrap();
    assert!(files.len() >= 8, "{:?}", files.keys());
    let dir = tempfile::tempdir().unwrap();
    for (name, case) in files {
        let out = dir.path().join(name.replace('.', "-"));
        let output = ingest_with(&shipped(), &[&fixtures().join(name)], &out);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output.stderr));
        let summary = ingest_summary(&out);
        let returns = case["returns"].as_array().unwrap();
        assert_eq!(summary["received"], returns.len(), "{name}");
        assert_eq!(
            summary["accepted"],
            returns.len(),
            "{name}: {}",
            std::fs::read_to_string(out.join("rejects.jsonl")).unwrap()
        );
        assert_eq!(
            summary["warnings"],
            0,
            "{name}: {}",
            std::fs::read_to_string(out.join("rejects.jsonl")).unwrap()
        );

        let responses = rows_by_enterprise(&read_parquet(&out.join("responses.parquet")));
        let lines = read_parquet(&out.join("vacancies.parquet"));
        let owners = lines.column("uscc").unwrap().str().unwrap().clone();
        let openings = lines.column("openings").unwrap().cast(&DataType::Int64).unwrap();
        let openings = openings.i64().unwrap();
        for want in returns {
            let uscc = want["uscc"].as_str().unwrap();
            let got = responses
                .get(uscc)
                .unwrap_or_else(|| panic!("{name}: {uscc} not in the dataset"));
            let field = |k: &str| got[k].clone();
            assert_eq!(field("name").as_deref(), want["name"].as_str(), "{name} {uscc} name");
            for k in ["employees_now", "planned_hires"] {
                assert_eq!(
                    field(k),
                    Some(want[k].as_i64().unwrap().to_string()),
                    "{name} {uscc} {k}"
                );
            }
            assert_eq!(
                field("operating_status").as_deref(),
                want["operating_status"].as_str(),
                "{name} {uscc}"
            );
            let mut channels: Vec<String> = field("hire_channels")
                .map(|c| c.split(';').map(str::to_owned).collect())
                .unwrap_or_default();
            channels.sort();
            let wanted: Vec<String> = want["hire_channels"]
                .as_array()
                .map(|a| a.iter().map(|c| c.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            assert_eq!(channels, wanted, "{name} {uscc} hire_channels");
            let mine: Vec<i64> = (0..lines.height())
                .filter(|&i| owners.get(i) == Some(uscc))
                .map(|i| openings.get(i).unwrap_or(0))
                .collect();
            assert_eq!(
                mine.len() as u64,
                want["vacancy_lines"].as_u64().unwrap(),
                "{name} {uscc} lines"
            );
            assert_eq!(
                mine.iter().sum::<i64>(),
                want["vacancy_openings"].as_i64().unwrap(),
                "{name} {uscc} openings"
            );
            if let Some(at) = want["submitted_at"].as_str() {
                assert_eq!(
                    field("_submitted_at_unix"),
                    Some(unix_seconds(at).to_string()),
                    "{name} {uscc} submitted at"
                );
            }
        }
    }
}

#[test]
fn a_gb18030_csv_reads_as_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap();
    let mut datasets = Vec::new();
    for name in [
        "spreadsheet-utf8.csv",
        "spreadsheet-gb18030.csv",
        "spreadsheet-utf8-bom.csv",
    ] {
        let out = dir.path().join(name.replace('.', "-"));
        let output = ingest_with(&shipped(), &[&fixtures().join(name)], &out);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let mut frame = read_parquet(&out.join("responses.parquet"));
        // Provenance names the file; everything else must be equal.
        frame = frame.drop_many(["_source_file", "_originals"]);
        datasets.push(frame);
    }
    assert!(datasets[0].equals_missing(&datasets[1]), "GB18030 differs from UTF-8");
    assert!(datasets[0].equals_missing(&datasets[2]), "BOM differs from UTF-8");
    // The Chinese text survived the encoding: the names are those of the UTF-8 file.
    let names = datasets[1].column("name").unwrap().str().unwrap().clone();
    assert!(names.iter().flatten().all(|n| n.starts_with("上海")), "{names:?}");
}

/// A JSON array bigger than the file-size limit, with one item of the wrong shape, one
/// broken, and one over the per-return limit: streamed return by return, it keeps every
/// good return and names each bad one by its path.
#[test]
fn a_large_json_array_keeps_its_good_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mut items: Vec<String> = (0..40u32)
        .map(|n| valid_json_return(&credit_code(500 + n), "2024-02-21T09:00:00+08:00").to_string())
        .collect();
    items[7] = "\"not a return\"".into();
    items[19] = r#"{"survey":"yangpu-spring-2024","answers":{"uscc":"x","uscc":"y"}}"#.into();
    let mut long = valid_json_return(&credit_code(900), "2024-02-21T09:00:00+08:00");
    long["answers"]["comments"] = Value::String("长".repeat(400_000));
    items[30] = long.to_string();
    let file = dir.path().join("returns.json");
    std::fs::write(&file, format!("\u{feff}\n[\n{}\n]\n", items.join(",\n"))).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    let out = dir.path().join("out");
    let output = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--max-file-bytes",
        "10000",
        "--max-json-line-bytes",
        "100000",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        size > 10_000 * 10,
        "the file ({size} bytes) is far over the file-size limit"
    );
    let summary = ingest_summary(&out);
    assert_accounted(&summary);
    assert_eq!(
        (summary["received"].as_u64(), summary["accepted"].as_u64()),
        (Some(40), Some(37))
    );
    let rejects = rejects(&out);
    let at = |path: &str| {
        rejects
            .iter()
            .find(|r| r["json_path"].as_str().is_some_and(|p| p.starts_with(path)))
            .unwrap_or_else(|| panic!("no rejection at {path}: {rejects:?}"))
    };
    assert_eq!(at("$[7]")["rule"], "not-a-return");
    assert_eq!(at("$[19]")["rule"], "duplicate-key");
    assert_eq!(at("$[30]")["rule"], "too-large");
    assert!(at("$[30]")["message_en"].as_str().unwrap().contains("per return"));
}

/// An `.ods` whose one row and one cell are repeated over a million rows (a few hundred
/// bytes that calamine would expand to 94 million cells, under its own cap of 100
/// million) is stopped in its child process at the memory limit; one repeated over the
/// whole sheet is refused by calamine's cap; and the run goes on with the other files.
#[test]
fn an_ods_that_would_exhaust_memory_is_stopped_in_its_child() {
    let dir = tempfile::tempdir().unwrap();
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="S">
<table:table-row table:number-rows-repeated="1048576"><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    let ods = |content: &str| {
        let mut zip = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        for (name, data) in [("content.xml", content), ("META-INF/manifest.xml", manifest)] {
            zip.start_file(name, stored).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    std::fs::write(returns.join("whole-sheet.ods"), ods(content)).unwrap();
    let bomb = ods(&content.replace("number-columns-repeated=\"16384\"", "number-columns-repeated=\"90\""));
    std::fs::write(returns.join("bomb.ods"), &bomb).unwrap();
    // A damaged .xls (an OLE header and nothing else) and a good return beside them.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(1024, 0);
    std::fs::write(returns.join("damaged.xls"), ole).unwrap();
    std::fs::copy(fixtures().join("template-filled.xls"), returns.join("good.xls")).unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let output = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        returns.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--max-memory",
        "600M",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary = ingest_summary(&out);
    assert_accounted(&summary);
    assert_eq!(
        (summary["received"].as_u64(), summary["accepted"].as_u64()),
        (Some(4), Some(1))
    );
    let rejects = rejects(&out);
    let of = |file: &str| {
        rejects
            .iter()
            .find(|r| r["file"].as_str().is_some_and(|f| f.ends_with(file)))
            .unwrap_or_else(|| panic!("{file}: {rejects:?}"))
    };
    assert_eq!(of("bomb.ods")["rule"], "too-large", "{:?}", of("bomb.ods"));
    assert!(
        of("bomb.ods")["message_en"].as_str().unwrap().contains("memory"),
        "{:?}",
        of("bomb.ods")
    );
    assert_eq!(
        of("whole-sheet.ods")["rule"],
        "too-large",
        "{:?}",
        of("whole-sheet.ods")
    );
    assert_eq!(of("damaged.xls")["rule"], "damaged");
    assert!(started.elapsed().as_secs() < 100, "took {:?}", started.elapsed());
}

/// `n` returns as one wide CSV file: the rows of the shipped CSV fixture over and over,
/// each under a credit code of its own.
fn wide_csv(n: u32, first_code: u32) -> String {
    let fixture = std::fs::read_to_string(fixtures().join("spreadsheet-utf8.csv")).unwrap();
    let mut lines = fixture.lines();
    let header = lines.next().unwrap();
    let uscc = header.split(',').position(|h| h == "uscc").unwrap();
    let rows: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let mut out = format!("{header}\n");
    for i in 0..n {
        let mut record = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(rows[i as usize % rows.len()].as_bytes())
            .into_records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        record[uscc] = credit_code(first_code + i);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&record).unwrap();
        out.push_str(&String::from_utf8(writer.into_inner().unwrap()).unwrap());
    }
    out
}

/// Files read whole are scheduled by their need: four CSV files of about 2 MB (about
/// 24 MB each to read) on two threads are read side by side under the default budget,
/// one at a time under a budget they would not fit in together, and refused by name
/// under one none of them fits in.
#[test]
fn large_files_are_read_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    for f in 0..4u32 {
        let text = wide_csv(3_000, 10_000 + f * 4_000);
        assert!(text.len() > 2_000_000, "{}", text.len());
        std::fs::write(returns.join(format!("wide-{f}.csv")), text).unwrap();
    }
    let ingest = |budget: &str| {
        let out = dir.path().join(format!("out-{budget}"));
        let output = run(&[
            "ingest",
            shipped().to_str().unwrap(),
            returns.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "2",
            "--max-memory",
            budget,
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        (text(&output.stderr), ingest_summary(&out))
    };
    let (log, summary) = ingest("1G");
    assert!(!log.contains("one at a time"), "{log}");
    assert_eq!(summary["accepted"], 12_000);
    let (log, summary) = ingest("60M");
    assert!(
        log.contains("4 large files read one at a time, to keep within the memory budget of 60 MB"),
        "{log}"
    );
    assert_eq!(summary["accepted"], 12_000);
    let (_, summary) = ingest("20M");
    assert_eq!(
        (summary["received"].as_u64(), summary["accepted"].as_u64()),
        (Some(4), Some(0))
    );
    for reject in rejects(&dir.path().join("out-20M")) {
        assert_eq!(reject["rule"], "too-large");
        assert!(
            reject["message_en"].as_str().unwrap().contains("(--max-memory)"),
            "{reject}"
        );
    }
}
