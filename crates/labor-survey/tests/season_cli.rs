//! A survey season across versions: the shipped survey is 1.0.0 and every return of the
//! shipped sample (template workbooks, JSON, JSON Lines, a wide export) was made from
//! it; `tests/season/spring-2024-1.1.0.toml` is the revision that renames a question,
//! recodes an option, adds one and lists 1.0.0 under `[[survey.earlier_versions]]`.
//! The CLI reads both versions' returns in one run, and the tests read what it wrote.

mod common;

use common::*;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn revised() -> PathBuf {
    repo().join("tests/season/spring-2024-1.1.0.toml")
}

fn ingest(definition: &Path, inputs: &[&Path], out: &Path) {
    let output = ingest_with(definition, inputs, out);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// A column as text by enterprise id (numbers written as Rust prints them).
fn by_enterprise(frame: &DataFrame, column: &str) -> BTreeMap<String, Option<String>> {
    let ids = frame.column("uscc").unwrap().str().unwrap().clone();
    let values = frame.column(column).unwrap().cast(&DataType::String).unwrap();
    let values = values.str().unwrap();
    (0..frame.height())
        .map(|i| (ids.get(i).unwrap().to_owned(), values.get(i).map(str::to_owned)))
        .collect()
}

/// Every return of the shipped sample is of version 1.0.0; read under 1.1.0 each lands
/// in the same place with the same answers, renamed and recoded, and keeps its version.
#[test]
fn returns_of_the_earlier_version_read_under_the_revision() {
    let dir = tempfile::tempdir().unwrap();
    let (old_out, new_out) = (dir.path().join("as-1.0.0"), dir.path().join("as-1.1.0"));
    let returns = repo().join("sample-data/returns");
    ingest(&shipped(), &[&returns], &old_out);
    ingest(&revised(), &[&returns], &new_out);

    let (old_summary, new_summary) = (ingest_summary(&old_out), ingest_summary(&new_out));
    assert_eq!(assert_accounted(&old_summary), assert_accounted(&new_summary));
    assert_eq!(new_summary["definition"]["version"], "1.1.0");
    assert_eq!(
        new_summary["definition"]["earlier_versions"],
        serde_json::json!(["1.0.0"])
    );

    let old = read_parquet(&old_out.join("responses.parquet"));
    let new = read_parquet(&new_out.join("responses.parquet"));
    assert_eq!(old.height(), new.height());
    // Template workbooks made from 1.0.0 (one return each, under `returns/xlsx/`) are
    // among them.
    let files = old.column("_source_file").unwrap().str().unwrap().clone();
    let templates = (0..old.height())
        .filter(|&i| {
            let file = files.get(i).unwrap();
            file.contains("/xlsx/") && file.ends_with(".xlsx")
        })
        .count();
    assert!(templates > 100, "{templates} template returns");

    assert!(
        by_enterprise(&new, "_survey_version")
            .values()
            .all(|v| v.as_deref() == Some("1.0.0"))
    );
    assert_eq!(
        by_enterprise(&old, "employees_before_festival"),
        by_enterprise(&new, "employees_before")
    );
    assert!(by_enterprise(&new, "remote_posts").values().all(Option::is_none));
    let recoded: BTreeMap<String, Option<String>> = by_enterprise(&old, "operating_status")
        .into_iter()
        .map(|(id, v)| (id, v.map(|c| if c == "partly_stopped" { "partly".into() } else { c })))
        .collect();
    assert!(
        recoded.values().any(|v| v.as_deref() == Some("partly")),
        "the sample has partly stopped enterprises"
    );
    assert_eq!(recoded, by_enterprise(&new, "operating_status"));
    // Every other answer is as it was.
    let skipped = [
        "employees_before_festival",
        "operating_status",
        "_originals",
        "_survey_version",
        "_definition_fingerprint",
    ];
    for column in old.get_column_names() {
        let name = column.as_str();
        if skipped.contains(&name) {
            continue;
        }
        let (a, b) = (by_enterprise(&old, name), by_enterprise(&new, name));
        let differing = a.iter().filter(|(id, v)| b.get(*id) != Some(*v)).count();
        assert_eq!(differing, 0, "column {name}: {differing} enterprises differ");
    }
    // Answers as received keep their text, under the current ids.
    let renamed = |json: Option<String>| {
        json.map(|j| {
            let map: BTreeMap<String, String> = serde_json::from_str(&j).unwrap();
            map.into_iter()
                .map(|(k, v)| (k.replace("employees_before_festival", "employees_before"), v))
                .collect::<BTreeMap<_, _>>()
        })
    };
    let old_originals: BTreeMap<_, _> = by_enterprise(&old, "_originals")
        .into_iter()
        .map(|(id, j)| (id, renamed(j)))
        .collect();
    let new_originals: BTreeMap<_, _> = by_enterprise(&new, "_originals")
        .into_iter()
        .map(|(id, j)| (id, renamed(j)))
        .collect();
    assert!(old_originals == new_originals, "the answers as received are kept");
    let (old_v, new_v) = (
        read_parquet(&old_out.join("vacancies.parquet")),
        read_parquet(&new_out.join("vacancies.parquet")),
    );
    assert_eq!(old_v.height(), new_v.height());
    let total = |f: &DataFrame| {
        f.column("openings")
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap()
            .f64()
            .unwrap()
            .sum()
    };
    assert_eq!(total(&old_v), total(&new_v));
}

/// Template workbooks of both versions and JSON of an unlisted one in one run.
#[test]
fn both_versions_in_one_run_and_an_unlisted_one_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    let old_def = survey_def::load(&shipped()).unwrap();
    let new_def = survey_def::load(&revised()).unwrap();

    // A 1.0.0 template, partly stopped.
    let mut old_return = valid_json_return(&credit_code(701), "2024-02-20T09:00:00+08:00");
    old_return["answers"]["operating_status"] = "partly_stopped".into();
    old_return["answers"]["stopped_since"] = "2024-02-01".into();
    let bytes =
        survey_forms::write_filled(&old_def, survey_def::Lang::Zh, &filled_from_json(&old_def, &old_return)).unwrap();
    std::fs::write(returns.join("old.xlsx"), bytes).unwrap();

    // A 1.1.0 template, with the new question answered.
    let mut new_return = valid_json_return(&credit_code(702), "2024-02-21T09:00:00+08:00");
    let answers = new_return["answers"].as_object_mut().unwrap();
    let before = answers.remove("employees_before_festival").unwrap();
    answers.insert("employees_before".into(), before);
    answers.insert("remote_posts".into(), 7.into());
    let bytes =
        survey_forms::write_filled(&new_def, survey_def::Lang::En, &filled_from_json(&new_def, &new_return)).unwrap();
    std::fs::write(returns.join("new.xlsx"), bytes).unwrap();

    // A JSON return of a version nobody listed.
    let mut stray = valid_json_return(&credit_code(703), "2024-02-22T09:00:00+08:00");
    stray["version"] = "0.9.0".into();
    std::fs::write(returns.join("stray.json"), serde_json::to_vec(&stray).unwrap()).unwrap();

    let out = dir.path().join("out");
    ingest(&revised(), &[&returns], &out);
    let (received, accepted, rejected, _) = assert_accounted(&ingest_summary(&out));
    assert_eq!((received, accepted, rejected), (3, 2, 1));

    let responses = read_parquet(&out.join("responses.parquet"));
    let version = by_enterprise(&responses, "_survey_version");
    let status = by_enterprise(&responses, "operating_status");
    let remote = by_enterprise(&responses, "remote_posts");
    let before = by_enterprise(&responses, "employees_before");
    let (old_id, new_id) = (credit_code(701), credit_code(702));
    assert_eq!(version[&old_id].as_deref(), Some("1.0.0"));
    assert_eq!(version[&new_id].as_deref(), Some("1.1.0"));
    assert_eq!(status[&old_id].as_deref(), Some("partly"));
    assert_eq!(remote[&old_id], None);
    assert_eq!(remote[&new_id].as_deref(), Some("7"));
    assert_eq!(before[&old_id].as_deref(), Some("50"));
    assert_eq!(before[&new_id].as_deref(), Some("50"));

    let rows = rejects(&out);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let message = rows[0]["message_en"].as_str().unwrap();
    assert!(message.contains("version 0.9.0"), "{message}");
    assert!(message.contains("[[survey.earlier_versions]]"), "{message}");
    assert!(message.contains("also reads 1.0.0"), "{message}");
    assert!(rows[0]["file"].as_str().unwrap().ends_with("stray.json"));
}

/// `check` prints what reading each earlier version does, and `check --against` says the
/// earlier version is listed.
#[test]
fn check_describes_the_versions_a_definition_reads() {
    let output = run(&["check", revised().to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let said = text(&output.stderr);
    assert!(
        said.contains("reads version 1.0.0") && said.contains("employees_before_festival -> employees_before"),
        "{said}"
    );
    assert!(said.contains("not asked of it remote_posts"), "{said}");
    let output = run(&[
        "check",
        revised().to_str().unwrap(),
        "--against",
        shipped().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let said = text(&output.stdout);
    assert!(said.contains("listed under [[survey.earlier_versions]]"), "{said}");
}
