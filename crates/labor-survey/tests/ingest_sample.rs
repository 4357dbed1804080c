//! `labor-survey sample` then `labor-survey ingest` on what it wrote: every planted flaw
//! is rejected where the manifest says and with its rule, duplicates are superseded by
//! the later return, clean returns are accepted, and the accounting holds.

mod common;

use common::*;
use std::collections::BTreeMap;

/// The rule each planted flaw must be rejected with.
fn rule_of_flaw(flaw: &str) -> Option<&'static str> {
    Some(match flaw {
        "unknown_code" => "unknown-code",
        "wrong_type" => "wrong-type",
        "missing_required" => "required",
        "out_of_range" => "out-of-range",
        "bad_check_character" => "invalid-credit-code",
        "hard_to_fill_exceeds_openings" => "constraint",
        "received_without_applied" => "policy-chain",
        "truncated_xlsx" => "damaged",
        "pdf_as_xlsx" => "unsupported-format",
        "empty_json" => "empty-file",
        "truncated_json_line" => "invalid-json",
        _ => return None,
    })
}

#[test]
fn generated_returns_are_ingested_as_the_manifest_says() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample");
    let out = run(&[
        "sample",
        shipped().to_str().unwrap(),
        "--enterprises",
        "120",
        "--seed",
        "7",
        "--flawed-share",
        "0.2",
        "-o",
        sample.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample.join("manifest.json")).unwrap()).unwrap();
    let dataset = dir.path().join("dataset");
    let returns = sample.join("returns");
    let out = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        returns.to_str().unwrap(),
        "-o",
        dataset.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = ingest_summary(&dataset);
    let (received, accepted, rejected, superseded) = assert_accounted(&summary);
    let entries = manifest["returns"].as_array().unwrap();
    assert_eq!(
        received as usize,
        entries.len(),
        "every generated return is received once"
    );

    let rejects = rejects(&dataset);
    let mut expected_rejected = 0;
    let mut flaws_seen: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries {
        let file = entry["file"].as_str().unwrap();
        let line = entry.get("line").and_then(|l| l.as_u64());
        let here = |r: &&serde_json::Value| {
            r["file"].as_str().unwrap().ends_with(file) && (line.is_none() || r["line"].as_u64() == line)
        };
        let Some(flaw) = entry.get("flaw").and_then(|f| f.as_str()) else {
            continue;
        };
        *flaws_seen.entry(flaw.to_owned()).or_default() += 1;
        if flaw == "duplicate" {
            let replaced = entry["duplicate_of"].as_str().unwrap();
            let superseded_by: Vec<_> = summary["superseded_returns"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| {
                    s["file"].as_str().unwrap().ends_with(replaced) && s["enterprise_id"] == entry["enterprise_id"]
                })
                .collect();
            assert_eq!(superseded_by.len(), 1, "{replaced} is superseded");
            assert!(superseded_by[0]["replaced_by"].as_str().unwrap().ends_with(file));
            continue;
        }
        let Some(rule) = rule_of_flaw(flaw) else { continue };
        expected_rejected += 1;
        let errors: Vec<&serde_json::Value> = rejects
            .iter()
            .filter(here)
            .filter(|r| r["severity"] == "error")
            .collect();
        assert!(
            errors.iter().any(|r| r["rule"] == rule),
            "{file} (line {line:?}) planted {flaw}: expected rule {rule}, got {errors:#?}"
        );
        if let Some(question) = entry.get("flaw_question").and_then(|q| q.as_str()) {
            let on_question = errors.iter().find(|r| r["rule"] == rule).unwrap();
            let named = on_question["question"].as_str().unwrap_or_default();
            // The manifest names a table cell as `vacancies[2].hard_to_fill`.
            let column = question.rsplit('.').next().unwrap_or(question);
            assert!(
                named == column || rule == "policy-chain",
                "{file}: {flaw} reported on {named}, not {question}"
            );
            assert!(
                on_question.get("cell").is_some() || on_question.get("json_path").is_some(),
                "{on_question}"
            );
        }
    }
    assert!(
        flaws_seen.len() >= 8,
        "the sample plants many kinds of flaw: {flaws_seen:?}"
    );
    assert_eq!(rejected as usize, expected_rejected, "only planted flaws are rejected");
    assert_eq!(superseded as usize, flaws_seen.get("duplicate").copied().unwrap_or(0));
    assert_eq!(
        accepted as usize,
        entries.len() - expected_rejected - superseded as usize
    );
    // Clean returns are clean: no error anywhere but on the planted flaws.
    let warnings = rejects.iter().filter(|r| r["severity"] == "warning").count();
    assert!(
        warnings * 20 <= entries.len(),
        "{warnings} warnings on {} returns",
        entries.len()
    );
}
