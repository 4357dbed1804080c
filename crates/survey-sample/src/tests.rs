//! Tests on the shipped spring 2024 definition.

use crate::answers::{self, Context};
use crate::check::{self, Record};
use crate::formats::WIDE_MAX_ROWS;
use crate::{SampleError, SampleOptions, generate, population, random, settle};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use survey_def::codes::normalize_uscc;
use survey_def::expr::Value;
use survey_def::{Definition, Lang, QuestionKind};

fn shipped() -> Definition {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
    survey_def::load(&path).expect("the shipped definition loads")
}

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

fn options(enterprises: usize, seed: u64) -> SampleOptions {
    SampleOptions {
        enterprises,
        seed,
        ..SampleOptions::default()
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let def = shipped();
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = generate(&def, &options(120, 7), a.path()).unwrap();
    let sb = generate(&def, &options(120, 7), b.path()).unwrap();
    generate(&def, &options(120, 8), c.path()).unwrap();
    assert_eq!(sa, sb);
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(bytes == &fb[path], "{} differs between two runs", path.display());
    }
    assert_eq!(fa.len(), sa.files_written);
    assert_ne!(fa.get(Path::new("frame.csv")), fc.get(Path::new("frame.csv")));
    assert!(fa.keys().all(|p| !p.to_string_lossy().contains(".tmp")));
}

#[test]
fn frame_codes_are_valid_unique_and_cover_the_respondents() {
    let def = shipped();
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&def, &options(300, 1), dir.path()).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("frame.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "enterprise_id,name,industry_division,industry_section,size_class,employees,subdistrict,contact_person,contact_phone"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), summary.population);
    assert_eq!(summary.population, 500);
    let ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    for r in &rows {
        assert_eq!(normalize_uscc(r[0]).as_deref(), Ok(r[0]));
        let section = survey_def::codes::industry_section(r[2]).unwrap();
        assert_eq!(section.code.to_string(), r[3]);
        let employees: u64 = r[5].parse().unwrap();
        assert_eq!(def.size_class(employees).map(|c| c.code.as_str()), Some(r[4]));
    }
    let manifest: Json = serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let known: BTreeSet<&str> = ids.iter().copied().collect();
    let responding: BTreeSet<&str> = manifest["returns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["enterprise_id"].as_str().unwrap())
        .collect();
    assert_eq!(responding.len(), 300);
    assert!(responding.is_subset(&known));
    let subdistricts: BTreeSet<&str> = rows.iter().map(|r| r[6]).collect();
    assert_eq!(subdistricts.len(), 12);
}

#[test]
fn the_draft_answers_every_question_of_the_shipped_definition_by_id() {
    // Nothing of the shipped survey is left to answers made from the type alone.
    let def = shipped();
    let frame = population::frame(&def, 300, 11);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (k, e) in frame.iter().enumerate() {
        let ctx = Context {
            def: &def,
            period: (19_754, 19_813),
            lang: Lang::Zh,
            max_rows: usize::MAX,
        };
        let b = answers::answers(&ctx, e, 19_780, &mut random::stream(11, "t", k as u64));
        seen.extend(b.decided);
    }
    let missing: Vec<&str> = def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && !seen.contains(q.id()))
        .map(|q| q.id())
        .collect();
    assert!(missing.is_empty(), "not answered by id: {missing:?}");
}

#[test]
fn every_clean_return_passes_every_check_of_the_definition() {
    let def = shipped();
    let frame = population::frame(&def, 3_000, 5);
    let mut troubled = BTreeMap::<String, usize>::new();
    for (k, e) in frame.iter().enumerate() {
        let lang = if k % 7 == 0 { Lang::En } else { Lang::Zh };
        let max_rows = if k % 3 == 0 { WIDE_MAX_ROWS } else { usize::MAX };
        let ctx = Context {
            def: &def,
            period: (19_754, 19_813),
            lang,
            max_rows,
        };
        let mut rng = random::stream(5, "t", k as u64);
        let record = settle::clean_return(&ctx, e, 19_754 + (k % 60) as i32, &mut rng)
            .unwrap_or_else(|p| panic!("{}: {p:?}", e.id));
        assert!(check::problems(&def, &record).is_empty());
        assert_eq!(
            record.answers.get("employees_now"),
            Some(&Value::Number(e.employees as f64))
        );
        assert!(record.tables.get("vacancies").map_or(0, Vec::len) <= max_rows);
        // Follow-ups only after their lead question was answered so (skip logic cascades).
        for p in def.policies() {
            let s = p;
            if record.answers.get(&s.aware) != Some(&Value::Bool(true)) {
                assert!(!record.answers.contains_key(&s.applied) && !record.answers.contains_key(&s.received));
            }
            if record.answers.get(&s.received) == Some(&Value::Bool(true)) {
                assert_eq!(record.answers.get(&s.applied), Some(&Value::Bool(true)));
            }
        }
        for (lead, follow) in [
            ("interest_labor_cooperation", "labor_cooperation_workers"),
            ("odd_job_demand", "odd_job_workers"),
        ] {
            if record.answers.contains_key(follow) {
                assert_eq!(
                    record.answers.get(lead),
                    Some(&Value::Bool(true)),
                    "{follow} without {lead}"
                );
            }
        }
        for key in ["operating_status", "wage_payment"] {
            if let Some(Value::Text(code)) = record.answers.get(key) {
                *troubled.entry(format!("{key}={code}")).or_default() += 1;
            }
        }
    }
    // Rare situations do occur in a large frame.
    for key in [
        "operating_status=stopped",
        "operating_status=partly_stopped",
        "wage_payment=in_arrears",
    ] {
        assert!(troubled.get(key).copied().unwrap_or(0) > 0, "no {key}");
    }
}

/// Reads a JSON return back into typed answers (clean returns only: no variants).
fn record_of(def: &Definition, answers: &serde_json::Map<String, Json>) -> Record {
    fn value(q: &survey_def::Question, v: &Json) -> Option<Value> {
        Some(match (&q.kind, v) {
            (_, Json::Null) => return None,
            (QuestionKind::Date, Json::String(s)) => Value::Date(survey_def::codes::parse_iso_date(s)?),
            (_, Json::String(s)) => Value::Text(s.clone()),
            (_, Json::Number(n)) => Value::Number(n.as_f64()?),
            (_, Json::Bool(b)) => Value::Bool(*b),
            (_, Json::Array(a)) => Value::Codes(a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect()),
            _ => return None,
        })
    }
    let mut record = Record::default();
    for (id, v) in answers {
        let q = def.question(id).unwrap_or_else(|| panic!("unknown question {id}"));
        if q.kind.table().is_some() {
            let rows = v.as_array().unwrap().iter().map(|row| {
                row.as_object()
                    .unwrap()
                    .iter()
                    .filter_map(|(c, v)| Some((c.clone(), value(q.column(c).unwrap(), v)?)))
                    .collect()
            });
            record.tables.insert(id.clone(), rows.collect());
        } else if let Some(v) = value(q, v) {
            record.answers.insert(id.clone(), v);
        }
    }
    check::calculate(def, &mut record);
    record
}

#[test]
fn manifest_counts_add_up_and_written_json_reads_back_clean() {
    let def = shipped();
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&def, &options(300, 1), dir.path()).unwrap();
    let manifest: Json = serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let returns = manifest["returns"].as_array().unwrap();
    let duplicates = returns.iter().filter(|r| r["flaw"] == "duplicate").count();
    assert!(duplicates >= 1);
    assert_eq!(summary.respondents, 300);
    assert_eq!(summary.returns, 300 + duplicates);
    assert_eq!(returns.len(), summary.returns);
    assert_eq!(summary.flawed, 24, "8% of 300");
    assert_eq!(summary.by_format.values().sum::<usize>(), summary.returns);
    assert_eq!(summary.by_flaw.values().sum::<usize>(), summary.flawed);
    assert_eq!(summary.by_flaw.len(), 12, "every kind of flaw: {:?}", summary.by_flaw);
    let superseded = returns.iter().filter(|r| r["expected"] == "superseded").count();
    assert_eq!(superseded, duplicates);
    let accepted = returns.iter().filter(|r| r["expected"] == "accepted").count();
    assert_eq!(accepted, summary.expected_accepted);
    assert_eq!(accepted + superseded + summary.flawed - duplicates, summary.returns);
    assert!(summary.with_variants > 0);

    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for r in returns {
        let file = r["file"].as_str().unwrap();
        *per_file.entry(file).or_default() += 1;
        let path = dir.path().join(file);
        assert!(path.is_file(), "{file} missing");
        let bytes = std::fs::read(&path).unwrap();
        match r["flaw"].as_str() {
            Some("pdf_as_xlsx") => assert!(bytes.starts_with(b"%PDF-1.4")),
            Some("empty_json") => assert!(bytes.is_empty()),
            Some("truncated_xlsx") => assert!(!bytes.is_empty() && bytes.starts_with(b"PK")),
            _ => {}
        }
        let clean = r["expected"] != "rejected" && r["expected"] != "unreadable" && r.get("variants").is_none();
        if r["format"] == "json" && clean {
            let doc: Json = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(doc["survey"], "yangpu-spring-2024");
            assert_eq!(doc["answers"]["uscc"], r["enterprise_id"]);
            let record = record_of(&def, doc["answers"].as_object().unwrap());
            assert_eq!(check::problems(&def, &record), Vec::<String>::new(), "{}", r["file"]);
        }
    }
    let jsonl = std::fs::read_to_string(dir.path().join("returns/online-form-export.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), per_file["returns/online-form-export.jsonl"]);
    let broken = jsonl
        .lines()
        .filter(|l| serde_json::from_str::<Json>(l).is_err())
        .count();
    assert_eq!(broken, summary.by_flaw["truncated_json_line"]);
    // Duplicates: the later return is filed on a later day, in another file.
    for r in returns.iter().filter(|r| r["flaw"] == "duplicate") {
        let earlier = returns
            .iter()
            .find(|e| e["file"] == r["duplicate_of"] && e["enterprise_id"] == r["enterprise_id"])
            .unwrap();
        assert_eq!(earlier["expected"], "superseded");
        assert_ne!(earlier["file"], r["file"]);
        assert!(earlier["submitted_on"].as_str() < r["submitted_on"].as_str());
    }
    let previous = &manifest["previous"]["returns"];
    for p in previous.as_array().unwrap() {
        let (x, y) = (
            p["employees_previous"].as_u64().unwrap(),
            p["employees_current"].as_u64().unwrap(),
        );
        match p["outlier"].as_str() {
            Some("current_x5") => assert_eq!(x, (y as f64 / 5.0).round() as u64),
            Some(_) => assert_eq!(x, y * 5),
            None => assert!(
                x as f64 <= y as f64 * 1.4 + 1.0 && y as f64 <= x as f64 * 1.4 + 1.0,
                "{x} vs {y}"
            ),
        }
    }
    assert_eq!(previous.as_array().unwrap().len(), summary.previous_returns);
    assert!(summary.previous_outliers >= 3);
    let text = std::fs::read_to_string(dir.path().join("previous/returns.jsonl")).unwrap();
    assert_eq!(text.lines().count(), summary.previous_returns);
    for line in text.lines() {
        let doc: Json = serde_json::from_str(line).unwrap();
        let record = record_of(&def, doc["answers"].as_object().unwrap());
        assert!(check::problems(&def, &record).is_empty());
    }
}

#[test]
fn bad_options_and_earlier_output_are_refused() {
    let def = shipped();
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        SampleOptions {
            enterprises: 0,
            ..SampleOptions::default()
        },
        SampleOptions {
            flawed_share: 1.0,
            ..SampleOptions::default()
        },
        SampleOptions {
            response_rate: 0.0,
            ..SampleOptions::default()
        },
        SampleOptions {
            response_rate: f64::NAN,
            ..SampleOptions::default()
        },
    ] {
        assert!(matches!(generate(&def, &bad, dir.path()), Err(SampleError::Options(_))));
    }
    // A README may sit in the folder; earlier generated data may not.
    std::fs::write(dir.path().join("README.md"), "x").unwrap();
    generate(&def, &options(10, 1), dir.path()).unwrap();
    let again = generate(&def, &options(10, 1), dir.path());
    assert!(matches!(again, Err(SampleError::AlreadyGenerated(_))));
}

#[test]
fn no_flaws_and_no_previous_wave_when_asked() {
    let def = shipped();
    let dir = tempfile::tempdir().unwrap();
    let opts = SampleOptions {
        enterprises: 40,
        flawed_share: 0.0,
        previous_wave: false,
        ..SampleOptions::default()
    };
    let summary = generate(&def, &opts, dir.path()).unwrap();
    assert_eq!(
        (summary.flawed, summary.returns, summary.expected_accepted),
        (0, 40, 40)
    );
    assert!(!dir.path().join("previous").exists());
}

#[test]
fn workbooks_read_back_with_the_enterprise_in_place() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let def = shipped();
    let dir = tempfile::tempdir().unwrap();
    generate(&def, &options(200, 3), dir.path()).unwrap();
    let manifest: Json = serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let returns = manifest["returns"].as_array().unwrap();
    let text = |d: &Data| d.to_string();

    // Wide export: header of ids, one row per return, the credit code under `uscc`.
    let mut wide: Xlsx<_> = open_workbook(dir.path().join("returns/wide-export.xlsx")).unwrap();
    let range = wide.worksheet_range("export").unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(rows[0][..3], ["survey", "version", "submitted_at"]);
    assert!(rows[0].iter().any(|h| h == "vacancies[1].occupation"));
    assert!(
        !rows[0]
            .iter()
            .any(|h| h == &format!("vacancies[{}].occupation", WIDE_MAX_ROWS + 1))
    );
    let uscc = rows[0].iter().position(|h| h == "uscc").unwrap();
    let on_wide: Vec<&Json> = returns.iter().filter(|r| r["format"] == "wide").collect();
    assert_eq!(rows.len(), on_wide.len() + 1);
    for r in on_wide {
        let row = &rows[r["row"].as_u64().unwrap() as usize - 1];
        if r.get("variants").is_none() && r["flaw"] != "bad_check_character" {
            assert_eq!(row[uscc], r["enterprise_id"].as_str().unwrap());
        }
    }

    // Template workbooks: the answer cell of `uscc`, found by its id, holds the code.
    let mut checked = 0;
    for r in returns
        .iter()
        .filter(|r| r["format"] == "xlsx" && r["expected"] == "accepted" && r.get("variants").is_none())
    {
        let mut wb: Xlsx<_> = open_workbook(dir.path().join(r["file"].as_str().unwrap())).unwrap();
        let sheet = if r["lang"] == "zh" { "问卷" } else { "Answers" };
        let range = wb.worksheet_range(sheet).unwrap();
        let row = range.rows().find(|row| text(&row[0]) == "uscc").unwrap();
        assert_eq!(text(&row[4]), r["enterprise_id"].as_str().unwrap());
        let industry = range.rows().find(|row| text(&row[0]) == "industry").unwrap();
        assert!(text(&industry[4]).ends_with(']'), "industry as a dropdown entry");
        checked += 1;
    }
    assert!(checked > 50);
}
