//! Helpers shared by the CLI integration tests: running the binary, building returns and
//! hostile files, reading what the CLI wrote.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shipped() -> PathBuf {
    repo().join("survey-defs/spring-2024.toml")
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labor-survey"))
        .args(args)
        .output()
        .expect("the labor-survey binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A valid JSON return of the shipped survey with every unconditionally required answer,
/// for the enterprise `uscc`, submitted at `submitted_at`.
pub fn valid_json_return(uscc: &str, submitted_at: &str) -> serde_json::Value {
    let mut answers = serde_json::json!({
        "uscc": uscc,
        "name": "上海杨浦测试软件有限公司",
        "industry": "65",
        "subdistrict": "wujiaochang",
        "submitted_on": "2024-02-20",
        "employees_before_festival": 50,
        "employees_now": 52,
        "planned_hires": 6,
        "planned_reductions": 0,
        "operating_status": "normal",
        "wage_payment": "paid_on_time",
        "social_insurance": "paid_in_full",
        "vacancies": [
            { "occupation": "2-02-10-03", "openings": 4, "hard_to_fill": 1, "skill_shortage": 1, "education": "bachelor", "wage_offered": 18000 },
            { "occupation": "4-01-02-01", "openings": 2, "hard_to_fill": 0, "wage_offered": 7000 }
        ],
        "support_wanted": ["recruitment"]
    });
    let policies = [
        "service_package",
        "handbook",
        "ui_return",
        "youth_hiring_subsidy",
        "training_subsidy",
        "skill_recognition",
        "startup_loans",
        "labor_cooperation",
        "recruitment_platform",
        "internship_subsidy",
    ];
    for p in policies {
        answers[format!("{p}_aware")] = serde_json::json!(false);
    }
    // One policy known, applied for and received.
    answers["training_subsidy_aware"] = serde_json::json!(true);
    answers["training_subsidy_channel"] = serde_json::json!("wechat");
    answers["training_subsidy_applied"] = serde_json::json!(true);
    answers["training_subsidy_received"] = serde_json::json!(true);
    serde_json::json!({
        "survey": "yangpu-spring-2024",
        "version": "1.0.0",
        "submitted_at": submitted_at,
        "answers": answers
    })
}

/// A unified social credit code with a correct check character, made from `n`.
pub fn credit_code(n: u32) -> String {
    let body = format!("91310110{:09}", n);
    for c in survey_def::codes::USCC_ALPHABET.chars() {
        let code = format!("{body}{c}");
        if survey_def::codes::normalize_uscc(&code).is_ok() {
            return code;
        }
    }
    unreachable!("one check character fits")
}

/// The entries of a zip file, in order.
pub fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
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

/// Rebuilds a zip with `edit` applied to each entry's name and bytes.
pub fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in zip_entries(bytes) {
        let data = edit(&name, data);
        out.start_file(name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Reads `ingest.json` from an output folder.
pub fn ingest_summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("ingest.json")).unwrap()).unwrap()
}

/// Reads `rejects.jsonl` from an output folder.
pub fn rejects(out: &Path) -> Vec<serde_json::Value> {
    text(&std::fs::read(out.join("rejects.jsonl")).unwrap())
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Asserts the accounting identity of an ingest run and returns its counts.
pub fn assert_accounted(summary: &serde_json::Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| summary[k].as_u64().unwrap_or_else(|| panic!("ingest.json has no {k}"));
    let (received, accepted, rejected, superseded) = (n("received"), n("accepted"), n("rejected"), n("superseded"));
    assert_eq!(
        received,
        accepted + rejected + superseded,
        "received = accepted + rejected + superseded"
    );
    (received, accepted, rejected, superseded)
}

/// The answers of a JSON return as template cells: codes as typed, yes/no for options.
pub fn filled_from_json(def: &survey_def::Definition, ret: &serde_json::Value) -> survey_forms::FilledAnswers {
    let mut filled = survey_forms::FilledAnswers::default();
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::Bool(b) => survey_forms::CellValue::Bool(*b),
        serde_json::Value::Number(n) => survey_forms::CellValue::Number(n.as_f64().unwrap()),
        serde_json::Value::String(s) => survey_forms::CellValue::Text(s.clone()),
        other => panic!("no cell for {other}"),
    };
    for (id, v) in ret["answers"].as_object().unwrap() {
        let q = def.question(id).unwrap();
        match q.kind {
            survey_def::QuestionKind::Table(_) => {
                let rows = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| {
                        row.as_object()
                            .unwrap()
                            .iter()
                            .map(|(c, v)| (c.clone(), cell(v)))
                            .collect()
                    })
                    .collect();
                filled.tables.insert(id.clone(), rows);
            }
            survey_def::QuestionKind::MultipleChoice(_) => {
                for code in v.as_array().unwrap() {
                    filled.answers.insert(
                        format!("{id}:{}", code.as_str().unwrap()),
                        survey_forms::CellValue::Bool(true),
                    );
                }
            }
            survey_def::QuestionKind::Date => {
                let d: Vec<u16> = v.as_str().unwrap().split('-').map(|p| p.parse().unwrap()).collect();
                filled
                    .answers
                    .insert(id.clone(), survey_forms::CellValue::Date(d[0], d[1] as u8, d[2] as u8));
            }
            _ => {
                filled.answers.insert(id.clone(), cell(v));
            }
        }
    }
    filled
}

/// Runs `labor-survey ingest DEFINITION INPUTS... -o OUT --quiet`.
pub fn ingest_with(definition: &Path, inputs: &[&Path], out: &Path) -> Output {
    let mut args = vec!["ingest".to_owned(), definition.display().to_string()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["-o".to_owned(), out.display().to_string(), "--quiet".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}
