//! The xlsx guard against calamine, over every workbook the repository holds or its
//! tests make: the sample returns and any other workbook fixture on disk, templates and
//! filled returns of every shipped and test definition, wide exports, and the hostile and
//! broken files the ingest tests are built from.
//!
//! Both directions are checked on each file. Whatever the guard passes, calamine reads:
//! every sheet, through the streaming cell reader `xlsx.rs` uses and as a range, its
//! formulas and merged cells, from the re-packed bytes the pipeline hands it and from the
//! original bytes alike, with the same cells. Whatever calamine fails on, the guard
//! refuses: calamine cannot be asked directly, since it aborts the whole process (a failed
//! huge allocation, not a panic) on the hostile files, so the contrapositive is checked
//! instead — every hostile or broken file is refused with a named rule, and no file the
//! guard passes fails in calamine. A file that is neither (refused though it is a good
//! workbook, passed though it is hostile, passed and unreadable) fails the test.

use calamine::{Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use survey_forms::{CellValue, FilledAnswers};
use survey_parse::guard::{XlsxFacts, check_xlsx};
use survey_parse::{Limits, Rule};

/// What a file is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// A workbook the repository treats as a readable return or template.
    Workbook,
    /// A hostile or broken file, and the rule the guard must refuse it with.
    Hostile(Rule),
}

/// Where the files of the corpus come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    /// A workbook file in the repository.
    OnDisk,
    /// Written by the template writer or rust_xlsxwriter here.
    Generated,
    /// Made hostile or broken here, as the ingest tests make them.
    Hostile,
}

/// One file of the corpus.
struct Case {
    /// Where it comes from: a path in the repository, or what made it.
    name: String,
    origin: Origin,
    bytes: Vec<u8>,
    known: Known,
}

/// The rules the guard refuses with.
const GUARD_RULES: [Rule; 5] = [
    Rule::Damaged,
    Rule::TooLarge,
    Rule::Encrypted,
    Rule::UnsupportedFormat,
    Rule::XmlEntities,
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Extensions of the workbook files looked for on disk (compared without case): the
/// zip-based Excel formats the guard vets. `.ods` and `.xls` workbooks never reach the
/// guard: they are read in a child process (`survey_parse::isolated`).
const WORKBOOK_EXTENSIONS: [&str; 3] = ["xlsx", "xlsm", "xlsb"];

/// Folders never searched: build output, run output, version control.
const SKIPPED_DIRS: [&str; 4] = ["target", "out", "node_modules", ".git"];

/// Every workbook file in the repository, in path order.
fn workbooks_on_disk(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                workbooks_on_disk(&path, found);
            }
        } else if path
            .extension()
            .is_some_and(|e| WORKBOOK_EXTENSIONS.iter().any(|w| e.eq_ignore_ascii_case(w)))
        {
            found.push(path);
        }
    }
}

/// Files of the sample data that its manifest says are broken on purpose, by path under
/// `sample-data/`, with the rule the guard must give them. The manifest lists every
/// planted flaw; the others (wrong answers, missing answers) are in readable workbooks.
fn planted_broken_files() -> BTreeMap<String, Rule> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo().join("sample-data/manifest.json")).unwrap()).unwrap();
    let mut broken = BTreeMap::new();
    for entry in manifest["returns"].as_array().unwrap() {
        // A truncated zip has no central directory; a PDF is no zip at all. (Before the
        // guard, ingest sniffs the PDF and names it unsupported-format.)
        let rule = match entry["flaw"].as_str() {
            Some("truncated_xlsx" | "pdf_as_xlsx") => Rule::Damaged,
            _ => continue,
        };
        broken.insert(entry["file"].as_str().unwrap().to_owned(), rule);
    }
    broken
}

fn fixture_cases() -> Vec<Case> {
    let root = repo();
    let mut paths = Vec::new();
    workbooks_on_disk(&root, &mut paths);
    let mut broken = planted_broken_files();
    let cases: Vec<Case> = paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            let known = relative
                .strip_prefix("sample-data/")
                .and_then(|p| broken.remove(p))
                .map_or(Known::Workbook, Known::Hostile);
            Case {
                name: relative,
                origin: Origin::OnDisk,
                bytes: std::fs::read(path).unwrap(),
                known,
            }
        })
        .collect();
    assert!(
        broken.is_empty(),
        "files the sample manifest plants as broken are on disk: {broken:?}"
    );
    cases
}

/// A unified social credit code with a correct check character, made from `n`.
fn credit_code(n: u32) -> String {
    let body = format!("91310110{n:09}");
    survey_def::codes::USCC_ALPHABET
        .chars()
        .map(|c| format!("{body}{c}"))
        .find(|code| survey_def::codes::normalize_uscc(code).is_ok())
        .unwrap()
}

/// The definitions shipped and used by the tests, that load.
fn definitions() -> Vec<(String, survey_def::Definition)> {
    let root = repo();
    let mut paths = vec![root.join("survey-defs/spring-2024.toml")];
    let mut good: Vec<PathBuf> = std::fs::read_dir(root.join("tests/definitions/good"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    good.sort();
    paths.extend(good);
    paths
        .into_iter()
        .map(|p| {
            let def = survey_def::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), def)
        })
        .collect()
}

/// The filled return the hostile ingest tests start from: the shipped survey, with the
/// enterprise's code and name.
fn shipped_return(def: &survey_def::Definition, n: u32, lang: survey_def::Lang) -> Vec<u8> {
    let mut filled = FilledAnswers::default();
    filled.answers.insert("uscc".into(), CellValue::Text(credit_code(n)));
    filled.answers.insert("name".into(), CellValue::Text("某公司".into()));
    survey_forms::write_filled(def, lang, &filled).unwrap()
}

/// A return of the test definition with every kind of answer: number, text, yes/no, date
/// and the rows of a table, as the template round-trip test fills it.
fn all_types_return(def: &survey_def::Definition) -> Vec<u8> {
    let mut filled = FilledAnswers::default();
    let mut put = |id: &str, v: CellValue| {
        filled.answers.insert(id.to_owned(), v);
    };
    put("uscc", CellValue::Text(credit_code(7)));
    put("headcount", CellValue::Number(42.0));
    put("share", CellValue::Number(-0.25));
    put("note", CellValue::Text("长文本 with text".into()));
    put("flag", CellValue::Bool(true));
    put("day", CellValue::Date(2024, 2, 29));
    let rows = (1..=3)
        .map(|n| {
            [
                ("post_count", CellValue::Number(f64::from(n))),
                ("post_title", CellValue::Text(format!("岗位 {n}"))),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
        })
        .collect();
    filled.tables.insert("posts".into(), rows);
    survey_forms::write_filled(def, survey_def::Lang::Zh, &filled).unwrap()
}

/// A wide workbook as online survey tools export it: a header row of question ids and
/// one row per enterprise, with `rows` rows.
fn wide_export(rows: u32) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "survey",
        "version",
        "submitted_at",
        "uscc",
        "name",
        "employees_now",
        "planned_hires",
        "support_wanted:recruitment",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=rows {
        sheet.write_string(r, 0, "yangpu-spring-2024").unwrap();
        sheet.write_string(r, 1, "1.0.0").unwrap();
        sheet.write_string(r, 2, "2024-02-20T10:00:00+08:00").unwrap();
        sheet.write_string(r, 3, credit_code(r)).unwrap();
        sheet.write_string(r, 4, format!("企业 {r}")).unwrap();
        sheet.write_number(r, 5, f64::from(r % 500)).unwrap();
        sheet.write_formula(r, 6, format!("=F{}*2", r + 1).as_str()).unwrap();
        sheet.write_string(r, 7, if r % 2 == 0 { "是" } else { "否" }).unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn generated_workbooks() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: String, bytes: Vec<u8>| {
        cases.push(Case {
            name,
            origin: Origin::Generated,
            bytes,
            known: Known::Workbook,
        })
    };
    for (file, def) in definitions() {
        for lang in [survey_def::Lang::Zh, survey_def::Lang::En] {
            add(
                format!("template of {file} ({lang:?})"),
                survey_forms::write_template(&def, lang).unwrap(),
            );
        }
        if file == "spring-2024.toml" {
            for lang in [survey_def::Lang::Zh, survey_def::Lang::En] {
                add(
                    format!("filled return of {file} ({lang:?})"),
                    shipped_return(&def, 900, lang),
                );
            }
        }
        if file == "all_types.toml" {
            add(format!("filled return of {file}"), all_types_return(&def));
        }
    }
    add("wide export, 2 rows".into(), wide_export(2));
    add("wide export, 5,000 rows".into(), wide_export(5_000));
    cases
}

fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, deflated()).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The zip `bytes` with the part `part` passed through `edit`.
fn with_part(bytes: &[u8], part: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut found = false;
    for (name, data) in zip_entries(bytes) {
        let data = if name == part {
            found = true;
            edit(String::from_utf8(data).unwrap()).into_bytes()
        } else {
            data
        };
        out.start_file(name, deflated()).unwrap();
        out.write_all(&data).unwrap();
    }
    assert!(found, "the workbook has a part {part}");
    out.finish().unwrap().into_inner()
}

/// `xml` with the value of the first `attribute="..."` replaced by `value`.
fn with_attribute(xml: &str, attribute: &str, value: &str) -> String {
    let start = xml.find(attribute).unwrap() + attribute.len();
    let end = start + xml[start..].find('"').unwrap();
    format!("{}{value}{}", &xml[..start], &xml[end..])
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

/// The hostile and broken workbooks of the ingest tests (`ingest_hostile.rs`), made the
/// same way from a filled return, and the rule the guard gives each. Files that are no
/// zip at all are damaged to the guard; ingest names them earlier, from their first
/// bytes (encrypted, legacy-xls, unsupported-format).
fn hostile_cases() -> Vec<Case> {
    let def = survey_def::load(&repo().join("survey-defs/spring-2024.toml")).unwrap();
    let base = shipped_return(&def, 900, survey_def::Lang::Zh);
    let sst = "xl/sharedStrings.xml";
    let sheet = "xl/worksheets/sheet2.xml";
    let entity = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol2;</t></si></sst>"#;
    // Spaces deflate about a thousandfold, so the ratio gives the bomb away from the zip
    // directory, as it does for the 300 MB one of the ingest test (smaller here: deflating
    // 300 MB takes long in a debug build).
    let bomb = {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        out.start_file("[Content_Types].xml", deflated()).unwrap();
        out.write_all(b"<Types/>").unwrap();
        out.start_file("xl/workbook.xml", deflated()).unwrap();
        out.write_all(b"<workbook/>").unwrap();
        out.start_file("xl/worksheets/sheet1.xml", deflated()).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..32 {
            out.write_all(&chunk).unwrap();
        }
        out.finish().unwrap().into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, Rule)> = vec![
        (
            "billion-laughs.xlsx",
            with_part(&base, sst, |_| entity.to_owned()),
            Rule::XmlEntities,
        ),
        (
            "shared-strings-4e9.xlsx",
            with_part(&base, sst, |s| with_attribute(&s, "uniqueCount=\"", "4000000000")),
            Rule::TooLarge,
        ),
        (
            "claims-a-million-rows.xlsx",
            with_part(&base, sheet, |s| {
                with_attribute(&s, "<dimension ref=\"", "A1:XFD1048576")
            }),
            Rule::TooLarge,
        ),
        (
            "cells-at-a1-and-xfd1048576.xlsx",
            with_part(&base, sheet, |s| {
                s.replace(
                    "</sheetData>",
                    r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#,
                )
            }),
            Rule::TooLarge,
        ),
        ("zip-bomb.xlsx", bomb, Rule::TooLarge),
        ("truncated.xlsx", base[..base.len() / 2].to_vec(), Rule::Damaged),
        (
            "a-docx-renamed.xlsx",
            zip_of(&[
                ("word/document.xml", b"<w:document/>"),
                ("[Content_Types].xml", b"<Types/>"),
            ]),
            Rule::UnsupportedFormat,
        ),
        (
            "an-ods-renamed.xlsx",
            zip_of(&[
                ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
                ("content.xml", b"<office:document-content/>"),
            ]),
            Rule::UnsupportedFormat,
        ),
        ("password-protected.xlsx", compound_file(true), Rule::Damaged),
        ("old-format.xls", compound_file(false), Rule::Damaged),
        (
            "a-pdf-renamed.xlsx",
            b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            Rule::Damaged,
        ),
        (
            "a-web-page-renamed.xlsx",
            "\u{feff}<!DOCTYPE html><html><body>403</body></html>"
                .as_bytes()
                .to_vec(),
            Rule::Damaged,
        ),
    ];
    cases
        .into_iter()
        .map(|(name, bytes, rule)| Case {
            name: name.to_owned(),
            origin: Origin::Hostile,
            bytes,
            known: Known::Hostile(rule),
        })
        .collect()
}

/// A sheet as calamine reads it: its name and every cell, value written out.
type Sheet = (String, Vec<(u32, u32, String)>);

/// Every sheet of the workbook `bytes`, read by calamine: its cells through the streaming
/// reader, cell by cell as `xlsx.rs` reads them, then as a range, its formulas and its
/// merged cells (the other ways calamine sizes and fills a grid). The first error,
/// naming what failed.
fn calamine_reads(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("open: {e}"))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let fail = |what: &str, e: calamine::XlsxError| format!("sheet `{name}`, {what}: {e}");
        let mut cells = Vec::new();
        let mut reader = book.worksheet_cells_reader(&name).map_err(|e| fail("cell reader", e))?;
        while let Some(cell) = reader.next_cell().map_err(|e| fail("next cell", e))? {
            let (row, col) = cell.get_position();
            cells.push((row, col, format!("{:?}", cell.get_value())));
        }
        drop(reader);
        book.worksheet_range(&name).map_err(|e| fail("range", e))?;
        book.worksheet_formula(&name).map_err(|e| fail("formulas", e))?;
        book.merge_cells_by_sheet_name(&name)
            .map_err(|e| fail("merged cells", e))?;
        sheets.push((name, cells));
    }
    Ok(sheets)
}

/// What became of each file, counted for the summary.
#[derive(Default)]
struct Tally {
    /// Files the guard passed and calamine read, by where they come from.
    read: BTreeMap<Origin, usize>,
    /// Cells calamine read from them.
    cells: usize,
    /// Files the guard refused, by rule.
    refused: BTreeMap<&'static str, usize>,
    /// What went wrong, one line per file.
    failures: Vec<String>,
}

fn check_passed(case: &Case, facts: &XlsxFacts, tally: &mut Tally) {
    if let Known::Hostile(rule) = case.known {
        tally.failures.push(format!(
            "{}: passed by the guard, but it is hostile ({} expected); calamine not tried",
            case.name,
            rule.as_str()
        ));
        return;
    }
    // What the pipeline hands calamine, then the file as it came.
    let stored = match calamine_reads(&facts.stored) {
        Ok(sheets) => sheets,
        Err(e) => {
            tally
                .failures
                .push(format!("{}: passed by the guard, calamine fails on it: {e}", case.name));
            return;
        }
    };
    match calamine_reads(&case.bytes) {
        Ok(original) if original == stored => {}
        Ok(_) => tally.failures.push(format!(
            "{}: calamine reads other cells from the re-packed bytes than from the file",
            case.name
        )),
        Err(e) => tally.failures.push(format!(
            "{}: passed by the guard, calamine reads the re-packed bytes but fails on the file: {e}",
            case.name
        )),
    }
    if stored.len() != facts.sheets.len() {
        tally.failures.push(format!(
            "{}: calamine lists {} sheets, the guard scanned {} worksheet parts",
            case.name,
            stored.len(),
            facts.sheets.len()
        ));
    }
    if stored.is_empty() {
        tally
            .failures
            .push(format!("{}: passed, but calamine finds no sheet in it", case.name));
    }
    *tally.read.entry(case.origin).or_default() += 1;
    tally.cells += stored.iter().map(|(_, cells)| cells.len()).sum::<usize>();
}

fn check_refused(case: &Case, rule: Rule, zh: &str, en: &str, tally: &mut Tally) {
    if !GUARD_RULES.contains(&rule) || zh.is_empty() || en.is_empty() {
        tally.failures.push(format!(
            "{}: refused without a named rule and a message: [{}] {en:?} / {zh:?}",
            case.name,
            rule.as_str()
        ));
        return;
    }
    match case.known {
        Known::Workbook => tally.failures.push(format!(
            "{}: a readable workbook refused by the guard: [{}] {en}",
            case.name,
            rule.as_str()
        )),
        Known::Hostile(expected) if expected != rule => tally.failures.push(format!(
            "{}: refused as {}, expected {}: {en}",
            case.name,
            rule.as_str(),
            expected.as_str()
        )),
        Known::Hostile(_) => *tally.refused.entry(rule.as_str()).or_default() += 1,
    }
}

#[test]
fn what_the_guard_passes_calamine_reads_and_what_calamine_cannot_read_the_guard_refuses() {
    let mut cases = fixture_cases();
    cases.extend(generated_workbooks());
    cases.extend(hostile_cases());

    let limits = Limits::default();
    let mut tally = Tally::default();
    for case in &cases {
        // Refused files never reach calamine: it aborts the process on the hostile ones.
        match check_xlsx(&case.bytes, &limits) {
            Ok(facts) => check_passed(case, &facts, &mut tally),
            Err(refusal) => check_refused(case, refusal.rule, &refusal.zh, &refusal.en, &mut tally),
        }
    }

    let read: usize = tally.read.values().sum();
    let refused: usize = tally.refused.values().sum();
    let count = |origin| cases.iter().filter(|c| c.origin == origin).count();
    println!(
        "{} files: {} workbook files on disk, {} generated, {} hostile",
        cases.len(),
        count(Origin::OnDisk),
        count(Origin::Generated),
        count(Origin::Hostile),
    );
    println!(
        "guard passed => calamine read every sheet: {read} files ({:?}), {} cells",
        tally.read, tally.cells
    );
    println!(
        "hostile or broken => guard refused with a named rule: {refused} files ({:?})",
        tally.refused
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} files neither passed and read nor refused as expected:\n{}",
        tally.failures.len(),
        cases.len(),
        tally.failures.join("\n")
    );
    // Every file counted once, in one direction or the other.
    assert_eq!(read + refused, cases.len());
    // The corpus is what it should be: the sample returns with their planted broken
    // files, the generated workbooks and the hostile set.
    let hostile_on_disk = cases
        .iter()
        .filter(|c| c.origin == Origin::OnDisk && matches!(c.known, Known::Hostile(_)))
        .count();
    assert!(count(Origin::OnDisk) >= 100, "the sample returns are found");
    assert!(
        hostile_on_disk >= 2,
        "the sample's truncated and PDF returns are among them"
    );
    assert!(tally.read.get(&Origin::Generated) == Some(&count(Origin::Generated)));
    assert!(count(Origin::Hostile) >= 10);
}
