//! `labor-survey ingest` on real files: template workbooks, wide workbooks, JSON and
//! JSON Lines, hand-made flawed and hostile returns. Each test reads what the CLI wrote.

mod common;

use calamine::{Reader, Xlsx, open_workbook};
use common::*;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use survey_forms::{CellValue, FilledAnswers};

fn ingest(inputs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["ingest".to_owned(), shipped().display().to_string()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["-o".to_owned(), out.display().to_string(), "--quiet".to_owned()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

fn write_template_return(dir: &Path, name: &str, filled: &FilledAnswers) -> std::path::PathBuf {
    write_template_return_in(dir, name, filled, survey_def::Lang::Zh)
}

fn write_template_return_in(
    dir: &Path,
    name: &str,
    filled: &FilledAnswers,
    lang: survey_def::Lang,
) -> std::path::PathBuf {
    let def = survey_def::load(&shipped()).unwrap();
    let bytes = survey_forms::write_filled(&def, lang, filled).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn strings(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
    let ca = frame.column(column).unwrap().str().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i).map(str::to_owned)).collect()
}

fn integers(frame: &DataFrame, column: &str) -> Vec<Option<i64>> {
    let ca = frame.column(column).unwrap().i64().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

fn booleans(frame: &DataFrame, column: &str) -> Vec<Option<bool>> {
    let ca = frame.column(column).unwrap().bool().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

fn rejection_for<'a>(rejects: &'a [serde_json::Value], file_suffix: &str) -> Vec<&'a serde_json::Value> {
    rejects
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with(file_suffix))
        .collect()
}

#[test]
fn valid_returns_of_every_format_are_accepted_and_read_back() {
    let def = survey_def::load(&shipped()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    let a = valid_json_return(&credit_code(1), "2024-02-20T10:00:00+08:00");
    write_json(&returns, "a.json", &a);
    let mut b = valid_json_return(&credit_code(2), "2024-02-21T10:00:00+08:00");
    b["answers"]["employees_now"] = serde_json::json!(75);
    std::fs::write(
        returns.join("form.jsonl"),
        format!("{}\n", serde_json::to_string(&b).unwrap()),
    )
    .unwrap();
    let mut c = valid_json_return(&credit_code(3), "2024-02-22T10:00:00+08:00");
    c["answers"]["employees_now"] = serde_json::json!(130);
    write_template_return(&returns, "c.xlsx", &filled_from_json(&def, &c));
    // The English template: its sheet names differ, its answers must not.
    let mut d = valid_json_return(&credit_code(4), "2024-02-23T10:00:00+08:00");
    d["answers"]["employees_now"] = serde_json::json!(9);
    write_template_return_in(&returns, "d.xlsx", &filled_from_json(&def, &d), survey_def::Lang::En);

    let out = dir.path().join("dataset");
    let result = ingest(&[&returns], &out, &["--strict"]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let summary = ingest_summary(&out);
    let rejects = text(&std::fs::read(out.join("rejects.jsonl")).unwrap());
    assert_eq!(assert_accounted(&summary), (4, 4, 0, 0), "{rejects}");
    assert!(rejects.is_empty(), "no warnings either: {rejects}");

    let responses = read_parquet(&out.join("responses.parquet"));
    assert_eq!(responses.height(), 4);
    let ids: Vec<Option<String>> = (1..=4).map(|n| Some(credit_code(n))).collect();
    assert_eq!(strings(&responses, "uscc"), ids);
    assert_eq!(
        integers(&responses, "employees_now"),
        [Some(52), Some(75), Some(130), Some(9)]
    );
    assert_eq!(booleans(&responses, "training_subsidy_received"), [Some(true); 4]);
    assert_eq!(responses.column("submitted_on").unwrap().dtype(), &DataType::Date);
    // Calculated: (52 - 50) / 50.
    let change = responses
        .column("headcount_change")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!((change - 0.04).abs() < 1e-12);
    assert_eq!(
        strings(&responses, "support_wanted"),
        vec![Some("recruitment".to_owned()); 4]
    );

    let vacancies = read_parquet(&out.join("vacancies.parquet"));
    assert_eq!(
        vacancies.height(),
        8,
        "two rows from each return, the English template's too"
    );
    let openings: i64 = integers(&vacancies, "openings").into_iter().map(Option::unwrap).sum();
    assert_eq!(openings, 24);
    assert!(
        strings(&responses, "_source_file")[1]
            .as_deref()
            .unwrap()
            .ends_with("form.jsonl")
    );
    assert_eq!(responses.column("_source_line").unwrap().u64().unwrap().get(1), Some(1));
}

#[test]
fn each_rejection_names_file_place_question_and_rule() {
    let def = survey_def::load(&shipped()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A template return with text where a number belongs.
    let mut ret = valid_json_return(&credit_code(10), "2024-02-20T10:00:00+08:00");
    let mut filled = filled_from_json(&def, &ret);
    filled
        .answers
        .insert("employees_now".into(), CellValue::Text("about 50".into()));
    let xlsx = write_template_return(dir.path(), "typed.xlsx", &filled);
    // A JSON return breaking a cross-field check and carrying a bad credit code.
    ret["answers"]["vacancies"][0]["hard_to_fill"] = serde_json::json!(9);
    let json = write_json(dir.path(), "checks.json", &ret);
    let mut bad_id = valid_json_return("91350100M000100Y44", "2024-02-20T10:00:00+08:00");
    bad_id["answers"]["industry"] = serde_json::json!("99");
    let bad_id = write_json(dir.path(), "bad-id.json", &bad_id);

    let out = dir.path().join("out");
    let result = ingest(&[&xlsx, &json, &bad_id], &out, &[]);
    assert!(
        result.status.success(),
        "without --strict rejections still exit 0: {}",
        text(&result.stderr)
    );
    assert_eq!(assert_accounted(&ingest_summary(&out)), (3, 0, 3, 0));
    let rejects = rejects(&out);

    // The cell of employees_now on the answer sheet, found independently with calamine.
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = wb.worksheet_range("问卷").unwrap();
    let row = sheet.rows().position(|r| r[0] == "employees_now").unwrap();
    let typed = rejection_for(&rejects, "typed.xlsx");
    assert_eq!(typed.len(), 1, "{typed:#?}");
    let r = typed[0];
    assert_eq!(r["sheet"], "问卷");
    assert_eq!(r["cell"], format!("E{}", row + 1));
    assert_eq!(r["question"], "employees_now");
    assert_eq!(r["rule"], "wrong-type");
    assert_eq!(r["value"], "about 50");
    assert!(r["message_zh"].as_str().unwrap().contains("不是数字"));
    assert_eq!(r["label_en"], def.question("employees_now").unwrap().label.en);

    let checks = rejection_for(&rejects, "checks.json");
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(checks[0]["json_path"], "$.answers.vacancies[0].hard_to_fill");
    assert_eq!(checks[0]["rule"], "constraint");
    assert_eq!(checks[0]["question"], "hard_to_fill");

    let bad = rejection_for(&rejects, "bad-id.json");
    let rules: Vec<(&str, &str)> = bad
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["json_path"].as_str().unwrap()))
        .collect();
    assert!(rules.contains(&("invalid-credit-code", "$.answers.uscc")), "{rules:?}");
    assert!(
        rules.contains(&("invalid-industry-code", "$.answers.industry")),
        "{rules:?}"
    );
    // Each problem names the enterprise as the return gives it, the wrong check
    // character included, so the office knows whom to call.
    for r in &bad {
        assert_eq!(r["enterprise_id"], "91350100M000100Y44", "{r}");
        assert_eq!(r["enterprise_name"], "上海杨浦测试软件有限公司", "{r}");
    }

    // The workbook form of the same list opens and holds the same rows.
    let mut wb: Xlsx<_> = open_workbook(out.join("rejects.xlsx")).unwrap();
    let problems = wb.worksheet_range("问题 Problems").unwrap();
    assert_eq!(problems.height(), rejects.len() + 1);
    assert_eq!(problems.get_value((0, 0)).unwrap().to_string(), "文件 File");
    assert_eq!(
        problems.get_value((0, 1)).unwrap().to_string(),
        "企业代码 Enterprise id"
    );
    assert_eq!(
        problems.get_value((0, 2)).unwrap().to_string(),
        "企业名称 Enterprise name"
    );
    let ids: Vec<String> = (1..problems.height() as u32)
        .map(|r| problems.get_value((r, 1)).map(|v| v.to_string()).unwrap_or_default())
        .collect();
    assert!(ids.iter().any(|id| id == "91350100M000100Y44"), "{ids:?}");
}

#[test]
fn duplicates_keep_the_latest_submission_and_name_what_replaced_them() {
    let dir = tempfile::tempdir().unwrap();
    let id = credit_code(20);
    let early = valid_json_return(&id, "2024-02-20T10:00:00+08:00");
    let mut late = valid_json_return(&id, "2024-02-25T09:00:00+08:00");
    late["answers"]["employees_now"] = serde_json::json!(60);
    // Written in the order that would favour the early one if order decided.
    write_json(dir.path(), "z-early.json", &early);
    write_json(dir.path(), "a-late.json", &late);
    // The outputs go beside the returns, never among them.
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    let result = ingest(&[dir.path()], &out, &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let summary = ingest_summary(&out);
    assert_eq!(assert_accounted(&summary), (2, 1, 0, 1));
    let sup = &summary["superseded_returns"][0];
    assert!(sup["file"].as_str().unwrap().ends_with("z-early.json"));
    assert!(sup["replaced_by"].as_str().unwrap().ends_with("a-late.json"));
    let responses = read_parquet(&out.join("responses.parquet"));
    assert_eq!(integers(&responses, "employees_now"), [Some(60)]);
}

#[test]
fn returns_of_another_survey_or_version_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let mut other = valid_json_return(&credit_code(30), "2024-02-20T10:00:00+08:00");
    other["survey"] = serde_json::json!("shanghai-autumn-2023");
    write_json(dir.path(), "other-survey.json", &other);
    let mut old = valid_json_return(&credit_code(31), "2024-02-20T10:00:00+08:00");
    old["version"] = serde_json::json!("0.9.0");
    write_json(dir.path(), "old-version.json", &old);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    assert!(ingest(&[dir.path()], &out, &[]).status.success());
    let rejects = rejects(&out);
    assert_eq!(rejection_for(&rejects, "other-survey.json")[0]["rule"], "other-survey");
    assert_eq!(rejection_for(&rejects, "old-version.json")[0]["rule"], "other-version");
}

#[test]
fn answers_as_people_type_them_are_read_and_the_originals_kept() {
    let def = survey_def::load(&shipped()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ret = valid_json_return(&credit_code(40), "2024-02-20T10:00:00+08:00");
    let mut filled = filled_from_json(&def, &ret);
    filled
        .answers
        .insert("employees_now".into(), CellValue::Text("１,２００".into()));
    filled.answers.insert(
        "uscc".into(),
        CellValue::Text(format!("  {}  ", credit_code(40).to_lowercase())),
    );
    filled.answers.insert(
        "operating_status".into(),
        CellValue::Text("正常生产经营 [normal]".into()),
    );
    filled
        .answers
        .insert("submitted_on".into(), CellValue::Text("2024年2月20日".into()));
    filled
        .answers
        .insert("training_subsidy_aware".into(), CellValue::Text("是".into()));
    let path = write_template_return(dir.path(), "typed.xlsx", &filled);
    let out = dir.path().join("out");
    let result = ingest(&[&path], &out, &["--strict"]);
    assert!(
        result.status.success(),
        "{}\n{}",
        text(&result.stderr),
        text(&std::fs::read(out.join("rejects.jsonl")).unwrap_or_default())
    );
    let responses = read_parquet(&out.join("responses.parquet"));
    assert_eq!(integers(&responses, "employees_now"), [Some(1200)]);
    assert_eq!(strings(&responses, "uscc"), [Some(credit_code(40))]);
    assert_eq!(strings(&responses, "operating_status"), [Some("normal".to_owned())]);
    let originals: BTreeMap<String, String> =
        serde_json::from_str(strings(&responses, "_originals")[0].as_deref().unwrap()).unwrap();
    assert_eq!(originals["employees_now"], "１,２００");
    assert_eq!(originals["submitted_on"], "2024年2月20日");
}

#[test]
fn an_answer_to_a_skipped_question_is_flagged_and_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut ret = valid_json_return(&credit_code(50), "2024-02-20T10:00:00+08:00");
    ret["answers"]["arrears_workers"] = serde_json::json!(5);
    let path = write_json(dir.path(), "skip.json", &ret);
    let out = dir.path().join("out");
    assert!(
        ingest(&[&path], &out, &["--strict"]).status.success(),
        "a warning alone does not reject"
    );
    let rejects = rejects(&out);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["rule"], "answered-when-skipped");
    assert_eq!(rejects[0]["severity"], "warning");
    assert_eq!(rejects[0]["json_path"], "$.answers.arrears_workers");
    let responses = read_parquet(&out.join("responses.parquet"));
    assert_eq!(integers(&responses, "arrears_workers"), [None]);
}

#[test]
fn a_received_policy_without_an_application_is_an_edit_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut ret = valid_json_return(&credit_code(60), "2024-02-20T10:00:00+08:00");
    ret["answers"]["training_subsidy_applied"] = serde_json::json!(false);
    let path = write_json(dir.path(), "chain.json", &ret);
    let out = dir.path().join("out");
    let result = ingest(&[&path], &out, &["--strict"]);
    assert_eq!(result.status.code(), Some(1), "--strict fails the run on a rejection");
    let rules: Vec<String> = rejects(&out)
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect();
    assert!(rules.contains(&"policy-chain".to_owned()), "{rules:?}");
}

#[test]
fn a_wide_workbook_gives_one_return_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    let first = valid_json_return(&credit_code(70), "2024-02-20T10:00:00+08:00");
    let answers = first["answers"].as_object().unwrap();
    let mut headers: Vec<String> = vec!["survey".into(), "version".into(), "submitted_at".into()];
    for (k, v) in answers {
        match v {
            serde_json::Value::Array(items) if k == "vacancies" => {
                for (i, row) in items.iter().enumerate() {
                    for c in row.as_object().unwrap().keys() {
                        headers.push(format!("vacancies[{}].{c}", i + 1));
                    }
                }
            }
            serde_json::Value::Array(_) => headers.push(format!("{k}:recruitment")),
            _ => headers.push(k.clone()),
        }
    }
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, n) in [71u32, 72].iter().enumerate() {
        let ret = valid_json_return(&credit_code(*n), "2024-02-20T10:00:00+08:00");
        for (c, h) in headers.iter().enumerate() {
            let (row, col) = (r as u32 + 1, c as u16);
            let value = match h.as_str() {
                "survey" | "version" | "submitted_at" => ret[h].clone(),
                h if h.starts_with("vacancies[") => {
                    let i: usize = h[10..11].parse().unwrap();
                    ret["answers"]["vacancies"][i - 1][h.split('.').nth(1).unwrap()].clone()
                }
                h if h.contains(':') => serde_json::json!("是"),
                h => ret["answers"][h].clone(),
            };
            match value {
                serde_json::Value::String(s) => sheet.write_string(row, col, s).map(|_| ()).unwrap(),
                serde_json::Value::Number(n) => sheet.write_number(row, col, n.as_f64().unwrap()).map(|_| ()).unwrap(),
                serde_json::Value::Bool(b) => sheet
                    .write_string(row, col, if b { "是" } else { "否" })
                    .map(|_| ())
                    .unwrap(),
                _ => {}
            }
        }
    }
    let path = dir.path().join("export.xlsx");
    wb.save(&path).unwrap();
    let out = dir.path().join("out");
    let result = ingest(&[&path], &out, &["--strict"]);
    assert!(
        result.status.success(),
        "{}\n{}",
        text(&result.stderr),
        text(&std::fs::read(out.join("rejects.jsonl")).unwrap_or_default())
    );
    assert_eq!(assert_accounted(&ingest_summary(&out)), (2, 2, 0, 0));
    let vacancies = read_parquet(&out.join("vacancies.parquet"));
    assert_eq!(vacancies.height(), 4);
    let responses = read_parquet(&out.join("responses.parquet"));
    assert_eq!(responses.column("_source_line").unwrap().u64().unwrap().get(1), Some(3));
}

#[test]
fn two_runs_on_the_same_inputs_write_identical_bytes() {
    let def = survey_def::load(&shipped()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    for n in 0..6u32 {
        let mut ret = valid_json_return(&credit_code(100 + n), "2024-02-20T10:00:00+08:00");
        ret["answers"]["employees_now"] = serde_json::json!(10 + n * 7);
        if n % 2 == 0 {
            write_template_return(&returns, &format!("r{n}.xlsx"), &filled_from_json(&def, &ret));
        } else {
            write_json(&returns, &format!("r{n}.json"), &ret);
        }
    }
    std::fs::write(returns.join("broken.json"), "{\"survey\":").unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(ingest(&[&returns], &a, &["--jobs", "2"]).status.success());
    assert!(ingest(&[&returns], &b, &["--jobs", "1"]).status.success());
    let mut names: Vec<_> = std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    for name in names {
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name:?} differs"
        );
    }
}

/// A return rejected for a missing answer, then sent again corrected: the later one is
/// accepted, the first is superseded (resolved) and no longer counts as rejected, and its
/// problems stay listed, marked with the file that resolved them. A return rejected after
/// an accepted one is not resolved by it.
#[test]
fn a_corrected_return_resolves_the_rejected_one_it_follows() {
    let dir = tempfile::tempdir().unwrap();
    let id = credit_code(40);
    let mut broken = valid_json_return(&id, "2024-02-20T10:00:00+08:00");
    broken["answers"].as_object_mut().unwrap().remove("employees_now");
    let fixed = valid_json_return(&id, "2024-02-22T09:00:00+08:00");
    write_json(dir.path(), "a-first.json", &broken);
    write_json(dir.path(), "b-corrected.json", &fixed);
    // Another enterprise: accepted first, then a broken resend that nothing corrects.
    let other = credit_code(41);
    let good = valid_json_return(&other, "2024-02-20T10:00:00+08:00");
    let mut late_broken = valid_json_return(&other, "2024-02-23T10:00:00+08:00");
    late_broken["answers"].as_object_mut().unwrap().remove("employees_now");
    write_json(dir.path(), "c-good.json", &good);
    write_json(dir.path(), "d-late-broken.json", &late_broken);

    // The outputs go beside the returns, never among them.
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    let result = ingest(&[dir.path()], &out, &[]);
    assert!(
        result.status.success() || result.status.code() == Some(1),
        "{}",
        text(&result.stderr)
    );
    let summary = ingest_summary(&out);
    // received 4 = accepted 2 + rejected 1 (the late broken one) + superseded 1.
    assert_eq!(assert_accounted(&summary), (4, 2, 1, 1));
    let sup = &summary["superseded_returns"][0];
    assert_eq!(sup["enterprise_id"], id);
    assert!(sup["file"].as_str().unwrap().ends_with("a-first.json"), "{sup}");
    assert!(
        sup["replaced_by"].as_str().unwrap().ends_with("b-corrected.json"),
        "{sup}"
    );
    assert_eq!(
        summary["rejections_by_rule"]["required"], 1,
        "only the unresolved problem counts"
    );

    let rejects = rejects(&out);
    let first = rejection_for(&rejects, "a-first.json");
    assert!(!first.is_empty());
    for r in &first {
        assert!(r["resolved_by"].as_str().unwrap().ends_with("b-corrected.json"), "{r}");
    }
    let late = rejection_for(&rejects, "d-late-broken.json");
    assert!(late.iter().all(|r| r.get("resolved_by").is_none()), "{late:?}");
}

/// A template printed before the fingerprint became the answer contract's carries the
/// legacy fingerprint of the same questionnaire: it is read as made from this definition.
/// A template of a changed questionnaire (another fingerprint) is still refused.
#[test]
fn a_template_printed_with_the_legacy_fingerprint_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let def = survey_def::load(&shipped()).unwrap();
    let ret = valid_json_return(&credit_code(50), "2024-02-20T10:00:00+08:00");
    let filled = filled_from_json(&def, &ret);
    let current = survey_forms::write_filled(&def, survey_def::Lang::Zh, &filled).unwrap();
    let with = |fingerprint: &str| {
        rewrite_zip(&current, |_, data| {
            String::from_utf8(data.clone())
                .map(|t| t.replace(&def.fingerprint, fingerprint).into_bytes())
                .unwrap_or(data)
        })
    };
    std::fs::write(dir.path().join("legacy.xlsx"), with(&def.legacy_fingerprint)).unwrap();
    let other = "0".repeat(64);
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("other.xlsx"), with(&other)).unwrap();

    let out = dir.path().join("out");
    let result = ingest(&[&dir.path().join("legacy.xlsx")], &out, &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(assert_accounted(&ingest_summary(&out)), (1, 1, 0, 0));

    let out = dir.path().join("out-foreign");
    let _ = ingest(&[&foreign], &out, &[]);
    assert_eq!(assert_accounted(&ingest_summary(&out)), (1, 0, 1, 0));
    assert_eq!(rejects(&out)[0]["rule"], "other-version");
}
