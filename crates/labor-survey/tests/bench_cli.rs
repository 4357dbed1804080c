//! `labor-survey bench` on a tiny input: the stages run in their child processes and the
//! table accounts for every return. Times are not checked; the benchmark is run on
//! purpose, with realistic sizes, never as a test.

mod common;

use common::{run, text};
use serde_json::Value;

#[test]
fn a_tiny_bench_reports_every_stage_with_its_returns_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("bench");
    let keep_arg = keep.display().to_string();
    let out = run(&[
        "bench",
        "--enterprises",
        "12",
        "--jsonl-returns",
        "40",
        "--jobs",
        "2",
        "--keep",
        &keep_arg,
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let workbooks = std::fs::read_dir(keep.join("sample/returns/xlsx")).unwrap().count() as u64;
    assert!(workbooks > 0);
    assert_eq!(report["inputs"]["workbooks"], workbooks);
    let stages = report["stages"].as_array().unwrap();
    let returns = |id: &str| {
        let stage = stages
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"));
        assert!(stage["peak_rss_mb"].as_f64().unwrap() > 1.0, "{stage}");
        stage["returns"].as_u64().unwrap()
    };
    for id in ["xlsx-read-1", "xlsx-read-all", "xlsx-ingest-1", "xlsx-ingest-all"] {
        assert_eq!(returns(id), workbooks, "{id}");
    }
    for id in ["jsonl-parse", "jsonl-ingest", "analyze", "parquet-scan"] {
        assert_eq!(returns(id), 40, "{id}");
    }
    let ratios: Vec<&str> = report["ratios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["of"].as_str().unwrap())
        .collect();
    assert_eq!(ratios, ["xlsx-ingest-all", "xlsx-ingest-1", "jsonl-ingest", "analyze"]);
    assert_eq!(report["peers"]["ran"], false);
    // What the peer readers need is kept beside the returns.
    let checks: Value =
        serde_json::from_slice(&std::fs::read(keep.join("sample/answer-sheet-checks.json")).unwrap()).unwrap();
    let employees = checks["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "employees_now")
        .unwrap();
    assert_eq!(employees["type"], "integer");
    assert_eq!(employees["required"], true);
}

#[test]
fn a_folder_to_keep_must_be_new_or_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("something"), "x").unwrap();
    let keep_arg = dir.path().display().to_string();
    let out = run(&["bench", "--keep", &keep_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));
}
