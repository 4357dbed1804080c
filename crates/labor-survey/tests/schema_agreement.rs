//! The JSON Schema and ingest give the same verdict on a return: edge returns (skip
//! logic, conditional requirements, nulls, the policy chain, types, codes, ranges) are
//! sent through both — the schema the `schema` command writes, checked with the
//! `jsonschema` crate, and `labor-survey ingest` — and each verdict compared. The
//! exceptions are listed, each asserted to be one so the list stays true: what a schema
//! cannot state (the schema passes, ingest rejects), and what ingest reads leniently
//! from a form that wrote it loosely (the schema, which says how to write a return,
//! refuses; ingest accepts, with a warning where it sets something aside).

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

type Edit = Box<dyn Fn(&mut Value)>;

/// What ingest decides that a schema cannot state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exception {
    /// The credit code's check character.
    CheckCharacter,
    /// A date that matches YYYY-MM-DD but does not exist.
    NoSuchDate,
    /// A cross-field constraint.
    Constraint,
    /// Ingest reads a number written as text ("52").
    NumberAsText,
    /// Ingest sets an answer to an unknown question aside, with a warning.
    UnknownQuestion,
    /// Ingest reads a code ticked twice once.
    RepeatedCode,
}

impl Exception {
    /// Whether the schema is the stricter of the two here (else ingest is).
    fn schema_stricter(self) -> bool {
        matches!(
            self,
            Exception::NumberAsText | Exception::UnknownQuestion | Exception::RepeatedCode
        )
    }
}

fn answers(r: &mut Value) -> &mut serde_json::Map<String, Value> {
    r["answers"].as_object_mut().unwrap()
}

fn cases() -> Vec<(&'static str, Edit, Option<Exception>)> {
    let set = |k: &'static str, v: Value| -> Edit { Box::new(move |r: &mut Value| r["answers"][k] = v.clone()) };
    let drop = |k: &'static str| -> Edit {
        Box::new(move |r: &mut Value| {
            answers(r).remove(k);
        })
    };
    let all = |edits: Vec<Edit>| -> Edit {
        Box::new(move |r: &mut Value| {
            for e in &edits {
                e(r);
            }
        })
    };
    vec![
        ("valid", Box::new(|_: &mut Value| {}), None),
        ("required answer null", set("employees_now", Value::Null), None),
        ("required answer absent", drop("employees_now"), None),
        ("credit code null", set("uscc", Value::Null), None),
        ("required choice null", set("operating_status", Value::Null), None),
        ("required yes/no null", set("ui_return_aware", Value::Null), None),
        (
            "arrears without the workers owed (required when asked)",
            set("wage_payment", json!("in_arrears")),
            None,
        ),
        (
            "arrears with the workers and the amount owed",
            all(vec![
                set("wage_payment", json!("in_arrears")),
                set("arrears_workers", json!(12)),
                set("arrears_amount", json!(240000)),
                set("arrears_months", json!(1)),
            ]),
            None,
        ),
        (
            "arrears figures with wages paid (set aside, accepted)",
            set("arrears_workers", json!(3)),
            None,
        ),
        (
            "arrears workers null when asked",
            all(vec![
                set("wage_payment", json!("in_arrears")),
                set("arrears_workers", Value::Null),
                set("arrears_amount", json!(1000)),
            ]),
            None,
        ),
        (
            "aware, applied not answered (required when asked)",
            all(vec![
                set("ui_return_aware", json!(true)),
                set("ui_return_channel", json!("wechat")),
            ]),
            None,
        ),
        (
            "not aware, applied not answered",
            set("ui_return_aware", json!(false)),
            None,
        ),
        (
            "applied but not aware",
            all(vec![
                set("ui_return_aware", json!(false)),
                set("ui_return_applied", json!(true)),
            ]),
            None,
        ),
        (
            "received but not applied",
            all(vec![
                set("training_subsidy_applied", json!(false)),
                set("training_subsidy_received", json!(true)),
            ]),
            None,
        ),
        (
            "applied, received not answered (required when asked)",
            drop("training_subsidy_received"),
            None,
        ),
        (
            "applied skipped, received not answered",
            all(vec![
                set("training_subsidy_aware", json!(false)),
                drop("training_subsidy_channel"),
                drop("training_subsidy_applied"),
                drop("training_subsidy_received"),
            ]),
            None,
        ),
        (
            "received when applied was skipped",
            all(vec![
                set("training_subsidy_aware", json!(false)),
                drop("training_subsidy_channel"),
                drop("training_subsidy_applied"),
            ]),
            None,
        ),
        ("negative headcount", set("employees_now", json!(-1)), None),
        ("a fraction for a whole number", set("employees_now", json!(52.5)), None),
        (
            "text for a number",
            set("employees_now", json!("52")),
            Some(Exception::NumberAsText),
        ),
        ("unknown choice code", set("operating_status", json!("bankrupt")), None),
        (
            "unknown question",
            set("employees_nwo", json!(3)),
            Some(Exception::UnknownQuestion),
        ),
        ("industry that is no division", set("industry", json!("99")), None),
        (
            "occupation code malformed",
            set("vacancies", json!([{ "occupation": "2-2-10", "openings": 1 }])),
            None,
        ),
        (
            "vacancy line without openings",
            set("vacancies", json!([{ "occupation": "2-02-10-03" }])),
            None,
        ),
        ("no vacancy lines", set("vacancies", json!([])), None),
        (
            "multiple choice repeats a code",
            set("support_wanted", json!(["recruitment", "recruitment"])),
            Some(Exception::RepeatedCode),
        ),
        (
            "multiple choice unknown code",
            set("support_wanted", json!(["lunch"])),
            None,
        ),
        ("multiple choice empty", set("support_wanted", json!([])), None),
        (
            "other survey",
            Box::new(|r: &mut Value| r["survey"] = json!("another-survey")),
            None,
        ),
        (
            "other version",
            Box::new(|r: &mut Value| r["version"] = json!("0.9.0")),
            None,
        ),
        (
            "stopped production with no date",
            set("operating_status", json!("stopped")),
            None,
        ),
        ("a name too long", set("name", json!("公司".repeat(400))), None),
        (
            "wrong check character",
            set("uscc", json!("91310110MA1G800002")),
            Some(Exception::CheckCharacter),
        ),
        (
            "a date that does not exist",
            set("submitted_on", json!("2024-02-30")),
            Some(Exception::NoSuchDate),
        ),
        (
            "more hard-to-fill than openings",
            set(
                "vacancies",
                json!([{ "occupation": "2-02-10-03", "openings": 2, "hard_to_fill": 5 }]),
            ),
            Some(Exception::Constraint),
        ),
    ]
}

#[test]
fn the_schema_and_ingest_agree_on_edge_returns() {
    let dir = tempfile::tempdir().unwrap();
    let schema_path = dir.path().join("schema.json");
    let out = run(&[
        "schema",
        shipped().to_str().unwrap(),
        "-o",
        schema_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the schema is itself valid");

    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut schema_valid = Vec::new();
    for (i, (name, edit, _)) in cases.iter().enumerate() {
        // A distinct enterprise each, so no return supersedes another.
        let code = credit_code(9_100 + i as u32);
        let mut ret = valid_json_return(&code, "2024-02-20T09:00:00+08:00");
        edit(&mut ret);
        schema_valid.push(validator.is_valid(&ret));
        let file = returns.join(format!("case-{i:02}.json"));
        std::fs::write(&file, serde_json::to_vec_pretty(&ret).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let out_dir = dir.path().join("out");
    let out = run(&[
        "ingest",
        shipped().to_str().unwrap(),
        returns.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rejected: BTreeSet<String> = rejects(&out_dir)
        .iter()
        .filter(|r| r["severity"] == "error")
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            file.rsplit(['/', '\\']).next().unwrap().to_owned()
        })
        .collect();

    let mut disagreements = Vec::new();
    for (i, (name, _, exception)) in cases.iter().enumerate() {
        let ingest_accepts = !rejected.contains(&format!("case-{i:02}.json"));
        let schema_accepts = schema_valid[i];
        match exception {
            None if ingest_accepts != schema_accepts => disagreements.push(format!(
                "{name}: schema {}, ingest {}",
                verdict(schema_accepts),
                verdict(ingest_accepts)
            )),
            Some(e) if schema_accepts == ingest_accepts || schema_accepts == e.schema_stricter() => {
                disagreements.push(format!(
                    "{name}: listed as an exception ({e:?}) but schema {}, ingest {}",
                    verdict(schema_accepts),
                    verdict(ingest_accepts)
                ))
            }
            _ => {}
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // Both kinds of verdict are exercised.
    let accepted = cases.iter().enumerate().filter(|(i, _)| schema_valid[*i]).count();
    assert!(accepted >= 5 && accepted <= cases.len() - 15, "{accepted} accepted");
}

fn verdict(accepts: bool) -> &'static str {
    if accepts { "accepts" } else { "rejects" }
}
