//! The `check`, `template` and `schema` commands, run as a user runs them, on the shipped
//! definition and on the bad-definition fixtures under `tests/definitions/`.

use calamine::{Data, Reader, SheetVisible, Xlsx, open_workbook};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use survey_def::QuestionKind;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipped() -> PathBuf {
    repo().join("survey-defs/spring-2024.toml")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labor-survey"))
        .args(args)
        .output()
        .expect("the labor-survey binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_shipped_definition_checks_clean() {
    let mut defs: Vec<PathBuf> = std::fs::read_dir(repo().join("survey-defs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    defs.sort();
    assert!(!defs.is_empty(), "survey-defs/ holds no definition");
    let args: Vec<&str> = std::iter::once("check")
        .chain(defs.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let out = run(&args);
    assert!(
        out.status.success(),
        "check failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("yangpu-spring-2024 v1.0.0"));
}

#[test]
fn check_reports_each_problem_with_file_line_and_column_and_exits_1() {
    let bad = repo().join("tests/definitions/bad/several_problems_at_once.toml");
    let out = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(": error[")).collect();
    assert!(lines.len() >= 3, "expected several problems, got:\n{stdout}");
    for line in lines {
        let (location, _) = line.split_once(": error[").unwrap();
        let mut parts = location.rsplitn(3, ':');
        let column: usize = parts.next().unwrap().parse().expect("column is a number");
        let line_no: usize = parts.next().unwrap().parse().expect("line is a number");
        assert!(parts.next().unwrap().ends_with("several_problems_at_once.toml"));
        assert!(line_no > 0 && column > 0);
    }
    // Machine-readable form carries the same problems.
    let json = run(&["check", "--format", "json", bad.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(1));
    for line in text(&json.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(v["line"].as_u64().unwrap() > 0);
        assert!(v["code"].is_string());
    }
}

#[test]
fn check_of_a_missing_file_names_it_and_fails() {
    let out = run(&["check", "no/such/definition.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no/such/definition.toml"));
}

fn cells(range: &calamine::Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn sheet_xml(path: &Path, sheet_index: usize) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{sheet_index}.xml"))
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn template_carries_every_question_validation_and_the_hidden_metadata() {
    let def = survey_def::load(&shipped()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.xlsx");
    let out = run(&[
        "template",
        shipped().to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let sheets: BTreeMap<String, SheetVisible> = wb
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible))
        .collect();
    assert_eq!(sheets["Cover"], SheetVisible::Visible);
    assert_eq!(sheets["Answers"], SheetVisible::Visible);
    assert_eq!(sheets["_lists"], SheetVisible::Hidden);
    assert_eq!(sheets["_survey"], SheetVisible::VeryHidden);

    // Hidden metadata: what the definition says.
    let meta: BTreeMap<String, String> = cells(&wb.worksheet_range("_survey").unwrap())
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(meta["survey_id"], "yangpu-spring-2024");
    assert_eq!(meta["version"], def.survey().version);
    assert_eq!(meta["fingerprint"], def.fingerprint);
    assert_eq!(meta["fingerprint"].len(), 64);
    assert_eq!(meta["answer_sheet"], "Answers");

    // Every asked question has a row, found by its id; multiple choice has a row per option.
    let answers = cells(&wb.worksheet_range("Answers").unwrap());
    // Rows 1-2 are the title and the header.
    assert_eq!(answers[1][0], "Question id");
    let ids: BTreeSet<String> = answers
        .iter()
        .skip(2)
        .map(|r| r[0].clone())
        .filter(|s| !s.is_empty())
        .collect();
    let mut expected = BTreeSet::new();
    for q in def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && q.kind.table().is_none())
    {
        expected.insert(q.id().to_owned());
        if let QuestionKind::MultipleChoice(choices) = &q.kind {
            for o in &choices.options {
                expected.insert(format!("{}:{}", q.id(), o.code));
            }
        }
    }
    assert_eq!(ids, expected);
    let uscc_row = answers.iter().find(|r| r[0] == "uscc").unwrap();
    assert!(
        uscc_row[1].starts_with("* "),
        "required questions are marked: {uscc_row:?}"
    );

    // The vacancy table: one sheet, column ids on the id row.
    let vacancies = def.question("vacancies").unwrap();
    let table_sheet = &meta["table:vacancies"];
    let table = cells(&wb.worksheet_range(table_sheet).unwrap());
    let id_row: Vec<&str> = table[2].iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    let want: Vec<&str> = vacancies
        .columns()
        .iter()
        .filter(|c| c.is_asked())
        .map(|c| c.id())
        .collect();
    assert_eq!(id_row, want);

    // Validations, read from the sheet XML (calamine does not expose them).
    let xml = sheet_xml(&path, 2);
    let count = |needle: &str| xml.matches(needle).count();
    let integer_questions = def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && matches!(q.kind, QuestionKind::Integer(_)))
        .count();
    assert_eq!(
        count(r#"type="whole""#),
        integer_questions,
        "one whole-number validation per integer question"
    );
    let list_questions = def
        .questions()
        .iter()
        .filter(|q| q.is_asked())
        .map(|q| match &q.kind {
            QuestionKind::SingleChoice(_)
            | QuestionKind::Subdistrict(_)
            | QuestionKind::IndustryCode
            | QuestionKind::Boolean => 1,
            QuestionKind::MultipleChoice(choices) => choices.options.len(),
            _ => 0,
        })
        .sum::<usize>();
    assert_eq!(
        count(r#"type="list""#),
        list_questions,
        "a dropdown for every choice, code and yes/no cell"
    );
    assert!(
        xml.contains(r#"<formula1>'_lists'!$"#),
        "dropdowns read the hidden lists sheet"
    );
    assert!(xml.contains("<sheetProtection"), "labels are locked");
    let employees = def.question("employees_now").unwrap();
    let max = employees.kind.number().and_then(|n| n.max).unwrap();
    assert!(
        xml.contains(&format!("<formula2>{max}</formula2>")),
        "range of employees_now is in the validation"
    );
    assert!(count("promptTitle=") > 0, "input messages carry the help text");
}

#[test]
fn template_bytes_are_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.xlsx");
    let b = dir.path().join("b.xlsx");
    for p in [&a, &b] {
        let out = run(&["template", shipped().to_str().unwrap(), "-o", p.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

fn schema_validator() -> jsonschema::Validator {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.json");
    let out = run(&["schema", shipped().to_str().unwrap(), "-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::draft202012::new(&schema).expect("the schema is itself valid")
}

fn well_formed_return() -> serde_json::Value {
    serde_json::json!({
        "survey": "yangpu-spring-2024",
        "version": "1.0.0",
        "submitted_at": "2024-02-20T10:00:00+08:00",
        "answers": {
            "uscc": "91310110ma1g800001",
            "name": "上海某某机械有限公司",
            "industry": "34",
            "subdistrict": "wujiaochang",
            "submitted_on": "2024-02-20",
            "employees_before_festival": 120,
            "employees_now": 115,
            "planned_hires": 10,
            "planned_reductions": 0,
            "operating_status": "normal",
            "wage_payment": "paid_on_time",
            "social_insurance": "paid_in_full",
            "vacancies": [
                { "occupation": "6-18-01-01", "openings": 5, "hard_to_fill": 2 }
            ],
            "support_wanted": ["recruitment"]
        }
    })
}

#[test]
fn schema_accepts_a_well_formed_return() {
    let validator = schema_validator();
    let mut ret = well_formed_return();
    // Fill every unconditionally required answer the fixture does not name, by type.
    let def = survey_def::load(&shipped()).unwrap();
    for q in def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && q.required && q.relevant.is_none())
    {
        let answers = ret["answers"].as_object_mut().unwrap();
        if answers.contains_key(q.id()) {
            continue;
        }
        let value = match &q.kind {
            QuestionKind::Boolean => serde_json::json!(false),
            QuestionKind::Integer(n) | QuestionKind::Decimal(n) => serde_json::json!(n.min.unwrap_or(0.0) as i64),
            QuestionKind::SingleChoice(choices) | QuestionKind::Subdistrict(choices) => {
                serde_json::json!(choices.options[0].code)
            }
            QuestionKind::Date => serde_json::json!("2024-02-20"),
            _ => serde_json::json!("x"),
        };
        answers.insert(q.id().to_owned(), value);
    }
    let errors: Vec<String> = validator
        .iter_errors(&ret)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn schema_rejects_malformed_returns() {
    let validator = schema_validator();
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("another survey", Box::new(|r| r["survey"] = "other-survey".into())),
        (
            "text for a number",
            Box::new(|r| r["answers"]["employees_now"] = "115".into()),
        ),
        (
            "negative headcount",
            Box::new(|r| r["answers"]["employees_now"] = (-1).into()),
        ),
        (
            "unknown choice code",
            Box::new(|r| r["answers"]["operating_status"] = "bankrupt".into()),
        ),
        (
            "unknown question",
            Box::new(|r| r["answers"]["employees_nwo"] = 3.into()),
        ),
        (
            "unknown sub-district",
            Box::new(|r| r["answers"]["subdistrict"] = "pudong".into()),
        ),
        (
            "industry division that does not exist",
            Box::new(|r| r["answers"]["industry"] = "98".into()),
        ),
        (
            "credit code with a forbidden letter",
            Box::new(|r| r["answers"]["uscc"] = "9131011OMA1G800001".into()),
        ),
        (
            "occupation code out of structure",
            Box::new(|r| r["answers"]["vacancies"][0]["occupation"] = "9-99".into()),
        ),
        (
            "missing required answer",
            Box::new(|r| {
                r["answers"].as_object_mut().unwrap().remove("uscc");
            }),
        ),
        (
            "no answers at all",
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("answers");
            }),
        ),
    ];
    for (name, mutate) in cases {
        let mut ret = well_formed_return();
        mutate(&mut ret);
        assert!(!validator.is_valid(&ret), "schema accepted a return with {name}");
    }
}

/// `check --against`: a new version that renames an option code reads the earlier
/// returns with a mapping (exit 0, the code named); one that retypes a column cannot read
/// them (exit 1); the same contract under a new label is compatible.
#[test]
fn check_against_an_earlier_definition_says_whether_its_returns_read() {
    let dir = tempfile::tempdir().unwrap();
    let old = repo().join("tests/definitions/good/minimal.toml");
    let minimal = std::fs::read_to_string(&old).unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let relabelled = write(
        "relabelled.toml",
        minimal.replace(r#"zh = "现有职工人数""#, r#"zh = "现有在职职工人数""#),
    );
    let recoded = write(
        "recoded.toml",
        minimal.replace(r#"code = "job_fair""#, r#"code = "fair""#),
    );
    let retyped = write(
        "retyped.toml",
        minimal.replace(
            "id = \"occupation\"\ntype = \"occupation_code\"",
            "id = \"occupation\"\ntype = \"text\"",
        ),
    );
    let against = |new: &Path, format: &str| {
        run(&[
            "check",
            new.to_str().unwrap(),
            "--against",
            old.to_str().unwrap(),
            "--format",
            format,
        ])
    };

    let out = against(&relabelled, "text");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("compatible: its returns read as they are"),
        "{}",
        text(&out.stdout)
    );

    let out = against(&recoded, "text");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("readable with a mapping"), "{stdout}");
    assert!(
        stdout.contains("subsidy_channel: option code(s) `job_fair` no longer exist"),
        "{stdout}"
    );

    let out = against(&retyped, "json");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "unreadable");
    assert_eq!(json["differences"][0]["item"], "vacancies.occupation");
    assert_eq!(json["differences"][0]["change"], "was occupation_code, is text");
}

/// One exit policy: `check` reports a broken definition as findings (1); every other
/// command given it cannot run (2). Every `--help` states the policy.
#[test]
fn a_broken_definition_exits_2_from_every_command_but_check() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    let text_of = std::fs::read_to_string(shipped()).unwrap();
    std::fs::write(&broken, text_of.replacen("type = \"integer\"", "type = \"integr\"", 1)).unwrap();
    let b = broken.to_str().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let dataset = repo().join("sample-data/returns");
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "definition = {b:?}\ninputs = [{:?}]\noutput = {:?}\n",
            dataset.display().to_string(),
            out("run")
        ),
    )
    .unwrap();
    let commands: Vec<(&str, Vec<String>)> = vec![
        ("check", vec!["check".into(), b.into()]),
        (
            "template",
            vec!["template".into(), b.into(), "-o".into(), out("t.xlsx")],
        ),
        ("schema", vec!["schema".into(), b.into(), "-o".into(), out("s.json")]),
        (
            "ingest",
            vec![
                "ingest".into(),
                b.into(),
                dataset.display().to_string(),
                "-o".into(),
                out("ds"),
            ],
        ),
        (
            "analyze",
            vec!["analyze".into(), b.into(), out("ds"), "-o".into(), out("r")],
        ),
        (
            "export",
            vec!["export".into(), b.into(), out("ds"), "-o".into(), out("e.csv")],
        ),
        ("sample", vec!["sample".into(), b.into(), "-o".into(), out("sample")]),
        ("run", vec!["run".into(), pipeline.display().to_string()]),
    ];
    for (name, args) in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = run(&args);
        let expected = if name == "check" { 1 } else { 2 };
        assert_eq!(result.status.code(), Some(expected), "{name}: {}", text(&result.stderr));
        let help = run(&[name, "--help"]);
        assert!(
            text(&help.stdout).contains("Exit status: 0 done; 1 findings"),
            "{name} --help"
        );
    }
}
