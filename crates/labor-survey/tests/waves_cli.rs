//! Waves across definitions, end to end with the real CLI: the spring wave (the shipped
//! definition, answers from the sample's previous wave) is the previous wave of an autumn
//! follow-up whose questions have other ids (`tests/season/autumn-2024.toml`). The autumn
//! returns are made here from the spring answers, renamed and changed by a rule written
//! below, so every expected figure and flag is worked out in the test from the two waves'
//! answers, never taken from a run.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{repo, run, shipped, text};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Spring returns in the previous wave: the first 250 of the sample's previous wave.
const SPRING: Range<usize> = 0..250;
/// Spring answers the autumn returns are made from: 20 to 284, so 230 enterprises are in
/// both waves, 20 only in spring and 35 only in autumn.
const AUTUMN: Range<usize> = 20..285;
/// With the id mapping, spring enterprise `k` of these is autumn enterprise `k + 250`.
const MAPPED: Range<usize> = 0..10;
const MAPPED_OFFSET: usize = 250;

fn autumn_definition() -> PathBuf {
    repo().join("tests/season/autumn-2024.toml")
}

/// The sample's spring answers, one JSON return a line.
fn spring_lines() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("sample-data/previous/returns.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn answers(line: &str) -> Value {
    let r: Value = serde_json::from_str(line).unwrap();
    r["answers"].clone()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// The spring return's credit code.
fn uscc(spring: &Value) -> String {
    spring["uscc"].as_str().unwrap().to_owned()
}

/// The autumn headcount of the enterprise made from spring answers `i`: down 30%, down
/// exactly a fifth where that is whole, up 3, unchanged, down a quarter or down 1, by turn.
/// An enterprise of the id mapping's targets has half the headcount of the spring
/// enterprise mapped to it (`mapped_spring`), or the same, by turn.
fn autumn_headcount(i: usize, spring: &Value, mapped_spring: Option<&Value>) -> i64 {
    let e = int(&spring["employees_now"]).unwrap();
    if let Some(before) = mapped_spring {
        let b = int(&before["employees_now"]).unwrap();
        return if i.is_multiple_of(2) { b / 2 } else { b };
    }
    match i % 6 {
        0 => e * 7 / 10,
        1 => e * 8 / 10,
        2 => e + 3,
        3 => e,
        4 => e * 3 / 4,
        _ => (e - 1).max(0),
    }
}

/// The autumn migrant workers: a third of spring's every fifth enterprise, else the same,
/// never more than the headcount.
fn autumn_migrants(i: usize, spring: &Value, headcount: i64) -> Option<i64> {
    let m = int(&spring["migrant_workers"])?;
    let m = if i.is_multiple_of(5) { m / 3 } else { m };
    Some(m.min(headcount))
}

/// The autumn return made from spring answers `i` (with the spring answers mapped to it).
fn autumn_return(i: usize, spring: &Value, mapped_spring: Option<&Value>) -> Value {
    let headcount = autumn_headcount(i, spring, mapped_spring);
    let posts: Vec<Value> = spring["vacancies"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    json!({
                        "job_code": l["occupation"],
                        "open_posts": l["openings"],
                        "hard_to_fill": l["hard_to_fill"],
                        "monthly_wage": l["wage_offered"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "survey": "yangpu-autumn-2024",
        "version": "1.0.0",
        "submitted_at": "2024-09-20T10:00:00+08:00",
        "answers": {
            "credit_code": spring["uscc"],
            "enterprise_name": spring["name"],
            "sector_code": spring["industry"],
            "district": spring["subdistrict"],
            "filled_on": "2024-09-20",
            "headcount": headcount,
            "migrant_workers": autumn_migrants(i, spring, headcount),
            "remote_workers": (i % 4) as i64,
            "posts_open": posts,
            "hires_next_quarter": spring["planned_hires"],
            "cuts_next_quarter": int(&spring["planned_reductions"]).map(|c| c.min(headcount)),
            "graduates_to_hire": spring["graduates_to_hire"],
            "operating_status": spring["operating_status"],
            "financial_difficulty": spring["financial_difficulty"],
        }
    })
}

/// The two waves' files, ingested.
struct Waves {
    dir: tempfile::TempDir,
    spring: Vec<Value>,
    autumn: Vec<(usize, Value)>,
}

impl Waves {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The spring answers `i`.
    fn spring(&self, i: usize) -> &Value {
        &self.spring[i]
    }

    /// The spring answers an autumn enterprise made from answers `i` is compared with:
    /// its own when its spring return is in the previous wave, the mapped one's with the
    /// mapping.
    fn matched_spring(&self, i: usize, with_mapping: bool) -> Option<&Value> {
        if SPRING.contains(&i) {
            Some(self.spring(i))
        } else if with_mapping && (MAPPED_OFFSET..MAPPED_OFFSET + MAPPED.len()).contains(&i) {
            Some(self.spring(i - MAPPED_OFFSET))
        } else {
            None
        }
    }
}

fn ingest(def: &Path, input: &Path, out: &Path) {
    let o = run(&[
        "ingest",
        def.to_str().unwrap(),
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "ingest: {}", text(&o.stderr));
}

fn accepted(dataset: &Path) -> u64 {
    let s: Value = serde_json::from_slice(&std::fs::read(dataset.join("ingest.json")).unwrap()).unwrap();
    assert_eq!(s["rejected"], 0, "{s}");
    s["accepted"].as_u64().unwrap()
}

/// Writes both waves' returns, the id mapping, and ingests each wave with its definition.
fn waves() -> Waves {
    let dir = tempfile::tempdir().unwrap();
    let lines = spring_lines();
    assert!(
        lines.len() >= AUTUMN.end,
        "the sample's previous wave has {} returns",
        lines.len()
    );
    let spring: Vec<Value> = lines.iter().map(|l| answers(l)).collect();
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(inputs.join("spring.jsonl"), lines[SPRING].join("\n") + "\n").unwrap();
    let mut autumn = Vec::new();
    let mut text = String::new();
    for i in AUTUMN {
        let mapped = (MAPPED_OFFSET..MAPPED_OFFSET + MAPPED.len())
            .contains(&i)
            .then(|| &spring[i - MAPPED_OFFSET]);
        let r = autumn_return(i, &spring[i], mapped);
        text.push_str(&serde_json::to_string(&r).unwrap());
        text.push('\n');
        autumn.push((i, r));
    }
    std::fs::write(inputs.join("autumn.jsonl"), text).unwrap();
    let mut ids = String::from("previous_id,current_id\n");
    for k in MAPPED {
        // Lower case and spaces, as people type them.
        ids.push_str(&format!(
            " {} ,{}\n",
            uscc(&spring[k]).to_lowercase(),
            uscc(&spring[k + MAPPED_OFFSET])
        ));
    }
    std::fs::write(inputs.join("id-map.csv"), ids).unwrap();
    let w = Waves { dir, spring, autumn };
    ingest(&shipped(), &inputs.join("spring.jsonl"), &w.path("spring-dataset"));
    ingest(
        &autumn_definition(),
        &inputs.join("autumn.jsonl"),
        &w.path("autumn-dataset"),
    );
    assert_eq!(accepted(&w.path("spring-dataset")), SPRING.len() as u64);
    assert_eq!(accepted(&w.path("autumn-dataset")), AUTUMN.len() as u64);
    w
}

fn analyze(def: &Path, dataset: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "analyze".to_owned(),
        def.display().to_string(),
        dataset.display().to_string(),
        "-o".to_owned(),
        out.display().to_string(),
        "--lang".to_owned(),
        "en".to_owned(),
        "--frame".to_owned(),
        repo().join("sample-data/frame.csv").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

/// The rows of a sheet.
fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// A table's rows below its header (the row holding `first`), each by header name.
struct TableRows {
    headers: Vec<String>,
    rows: Vec<Vec<Data>>,
}

impl TableRows {
    fn of(rows: Vec<Vec<Data>>, first: &str) -> TableRows {
        let at = rows
            .iter()
            .position(|r| r.first().is_some_and(|c| cell_text(c) == first))
            .expect("a header row");
        let headers: Vec<String> = rows[at].iter().map(cell_text).collect();
        let rows = rows[at + 1..]
            .iter()
            .take_while(|r| r.first().is_some_and(|c| !cell_text(c).is_empty()))
            .cloned()
            .collect();
        TableRows { headers, rows }
    }

    fn column(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header} in {:?}", self.headers))
    }

    fn get<'a>(&self, row: &'a [Data], header: &str) -> &'a Data {
        &row[self.column(header)]
    }

    /// The row whose first cell is `first`.
    fn row(&self, first: &str) -> &[Data] {
        self.rows
            .iter()
            .find(|r| cell_text(&r[0]) == first)
            .unwrap_or_else(|| panic!("no row {first}"))
    }
}

/// The headline table of a report folder's demand workbook.
fn headline(reports: &Path) -> TableRows {
    TableRows::of(
        sheet(&reports.join("published/sector-demand.xlsx"), "Headline"),
        "Measure",
    )
}

/// Enterprises flagged by `rule` in a report folder's risk workbook.
fn flagged(reports: &Path, rule: &str) -> BTreeSet<String> {
    let t = TableRows::of(
        sheet(&reports.join("restricted/risk-flags.xlsx"), "Enterprises flagged"),
        "Enterprise id",
    );
    t.rows
        .iter()
        .filter(|r| cell_text(t.get(r, "Rule id")) == rule)
        .map(|r| cell_text(&r[0]))
        .collect()
}

/// The evidence of `rule`'s flag on `enterprise`.
fn evidence(reports: &Path, rule: &str, enterprise: &str) -> String {
    let t = TableRows::of(
        sheet(&reports.join("restricted/risk-flags.xlsx"), "Enterprises flagged"),
        "Enterprise id",
    );
    let row = t
        .rows
        .iter()
        .find(|r| cell_text(&r[0]) == enterprise && cell_text(t.get(r, "Rule id")) == rule)
        .unwrap();
    cell_text(t.get(row, "Evidence"))
}

/// Enterprises whose autumn headcount is below 0.8 of the spring one they are compared
/// with, worked out from the two waves' answers.
fn expected_headcount_falls(w: &Waves, with_mapping: bool) -> BTreeSet<String> {
    w.autumn
        .iter()
        .filter_map(|(i, r)| {
            let before = int(&w.matched_spring(*i, with_mapping)?["employees_now"])?;
            let now = int(&r["answers"]["headcount"])?;
            ((now as f64) < 0.8 * before as f64).then(|| r["answers"]["credit_code"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Enterprises whose autumn migrant workers are fewer than half the spring ones, when
/// spring had some.
fn expected_migrants_leaving(w: &Waves, with_mapping: bool) -> BTreeSet<String> {
    w.autumn
        .iter()
        .filter_map(|(i, r)| {
            let before = int(&w.matched_spring(*i, with_mapping)?["migrant_workers"])?;
            let now = int(&r["answers"]["migrant_workers"])?;
            (before > 0 && (now as f64) < 0.5 * before as f64)
                .then(|| r["answers"]["credit_code"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn summary(reports: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap()
}

/// Headline measures both waves measure (by their labels, which are the roles' for role
/// measures and the questions' for declared totals), and the one only autumn measures.
const COMPARED: [&str; 12] = [
    "Job vacancy rate V/(E+V)",
    "Hard-to-fill share of vacancies",
    "Vacancies",
    "Hard-to-fill vacancies",
    "Planned hires",
    "Planned reductions",
    "Net planned hiring (hires - reductions)",
    "of whom: migrant workers",
    "of the planned hires: graduates and young people",
    "Offered wage, lower quartile (yuan/month)",
    "Offered wage, median (yuan/month)",
    "Offered wage, upper quartile (yuan/month)",
];
const AUTUMN_ONLY: &str = "of whom: working remotely";

#[test]
fn a_previous_wave_of_another_definition_is_compared_through_the_roles() {
    let w = waves();
    let spring_alone = w.path("spring-alone");
    let o = analyze(&shipped(), &w.path("spring-dataset"), &spring_alone, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let reports = w.path("autumn-reports");
    let spring_dataset = w.path("spring-dataset");
    let o = analyze(
        &autumn_definition(),
        &w.path("autumn-dataset"),
        &reports,
        &[
            "--previous",
            spring_dataset.to_str().unwrap(),
            "--previous-definition",
            shipped().to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));

    // The headline: the previous wave's figure is the spring analysis's own, the change
    // this wave's minus it, and the relative change the change over it for totals.
    let now = headline(&reports);
    let alone = headline(&spring_alone);
    for label in COMPARED {
        let row = now.row(label);
        let before = alone.get(alone.row(label), "Estimate");
        let previous = now.get(row, "Previous wave");
        let (estimate, change) = (now.get(row, "Estimate"), now.get(row, "Change"));
        match (number(before), number(estimate)) {
            (Some(before), Some(estimate)) => {
                assert_eq!(number(previous), Some(before), "{label}");
                assert_eq!(number(change), Some(estimate - before), "{label}");
                let relative = now.get(row, "Relative change");
                if label.contains("rate") || label.contains("share") {
                    assert_eq!(relative, &Data::Empty, "{label}");
                } else if before > 0.0 {
                    assert_eq!(number(relative), Some((estimate - before) / before), "{label}");
                }
            }
            // A figure suppressed in either wave: so is the change.
            _ => {
                assert_eq!(cell_text(previous), cell_text(before), "{label}");
                assert!(["[c]", "[x]"].contains(&cell_text(change).as_str()), "{label}");
            }
        }
    }
    assert!(
        COMPARED
            .iter()
            .filter(|l| number(now.get(now.row(l), "Previous wave")).is_some())
            .count()
            >= 10,
        "most compared figures are published in both waves"
    );
    let only_now = now.row(AUTUMN_ONLY);
    assert_eq!(cell_text(now.get(only_now, "Previous wave")), "[x]");
    assert_eq!(cell_text(now.get(only_now, "Change")), "[x]");
    // Spring measures autumn has no role for are not on its headline at all.
    assert!(now.rows.iter().all(|r| cell_text(&r[0]) != "Employment change rate"));
    let notes = sheet(&reports.join("published/sector-demand.xlsx"), "Headline")
        .iter()
        .flatten()
        .map(cell_text)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        notes.contains("Not measured in the previous wave (not compared): of whom: working remotely."),
        "{notes}"
    );
    assert!(notes.contains("Previous wave: yangpu-spring-2024 1.0.0"), "{notes}");

    // summary.json and figures.csv carry the same, for machines.
    let s = summary(&reports);
    let wave = &s["demand"]["previous_wave"];
    assert_eq!(wave["survey"], "yangpu-spring-2024");
    assert_eq!(wave["returns"], SPRING.len());
    assert_eq!(wave["measures_not_measured"], json!(["remote_workers"]));
    assert!(
        wave["roles_missing"]
            .as_array()
            .unwrap()
            .contains(&json!("totals: remote_workers")),
        "{wave}"
    );
    let vacancies = s["demand"]["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "vacancies")
        .unwrap();
    let before = number(alone.get(alone.row("Vacancies"), "Estimate")).unwrap();
    assert_eq!(vacancies["previous"]["value"].as_f64(), Some(before));
    assert_eq!(
        vacancies["previous"]["change"].as_f64(),
        Some(vacancies["value"].as_f64().unwrap() - before)
    );
    let figures = std::fs::read_to_string(reports.join("published/figures.csv")).unwrap();
    let header: Vec<&str> = figures.lines().next().unwrap().split(',').collect();
    assert_eq!(
        &header[16..],
        ["previous_estimate", "previous_status", "change", "relative_change"]
    );
    let remote = figures
        .lines()
        .find(|l| l.starts_with("sector-demand.xlsx,Headline,remote_workers,"))
        .unwrap();
    assert!(remote.contains(",not_measured,"), "{remote}");

    // previous() in the risk rules: exactly the enterprises worked out from the answers.
    let falls = expected_headcount_falls(&w, false);
    assert!(falls.len() > 20, "{} headcount falls", falls.len());
    assert_eq!(flagged(&reports, "headcount_fall_since_spring"), falls);
    let leaving = expected_migrants_leaving(&w, false);
    assert!(!leaving.is_empty());
    assert_eq!(flagged(&reports, "migrant_workers_leaving"), leaving);
    // The evidence shows the spring figure beside the autumn one.
    let first = falls.iter().next().unwrap();
    let i = w
        .autumn
        .iter()
        .find(|(_, r)| r["answers"]["credit_code"] == first.as_str())
        .unwrap()
        .0;
    let e = evidence(&reports, "headcount_fall_since_spring", first);
    assert_eq!(
        e,
        format!(
            "Headcount now: {}; Headcount now (previous wave): {}",
            int(&w.autumn.iter().find(|(j, _)| *j == i).unwrap().1["answers"]["headcount"]).unwrap(),
            int(&w.spring(i)["employees_now"]).unwrap()
        )
    );
    // 230 enterprises in both waves; the rules reading previous() say nothing of what is new.
    let risk = &s["risk"]["previous"];
    assert_eq!(risk["enterprises_matched"], AUTUMN.end.min(SPRING.end) - AUTUMN.start);
    assert_eq!(
        risk["rules_not_compared"],
        json!(["headcount_fall_since_spring", "migrant_workers_leaving"])
    );
}

#[test]
fn an_id_mapping_matches_enterprises_whose_id_changed() {
    let w = waves();
    let spring_dataset = w.path("spring-dataset");
    let ids = w.path("inputs/id-map.csv");
    let reports = w.path("mapped-reports");
    let o = analyze(
        &autumn_definition(),
        &w.path("autumn-dataset"),
        &reports,
        &[
            "--previous",
            spring_dataset.to_str().unwrap(),
            "--previous-definition",
            shipped().to_str().unwrap(),
            "--previous-ids",
            ids.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let with = expected_headcount_falls(&w, true);
    let without = expected_headcount_falls(&w, false);
    assert!(with.len() > without.len(), "the mapping matches more falls");
    assert_eq!(flagged(&reports, "headcount_fall_since_spring"), with);
    assert_eq!(
        flagged(&reports, "migrant_workers_leaving"),
        expected_migrants_leaving(&w, true)
    );
    let s = summary(&reports);
    // 230 by their own id and the 10 the mapping names.
    assert_eq!(s["risk"]["previous"]["enterprises_matched"], 240);

    // A mapping with a bad line is named with its line, and nothing is written.
    let bad = w.path("inputs/bad-ids.csv");
    std::fs::write(&bad, "previous_id,current_id\nA,B\nC\n").unwrap();
    let o = analyze(
        &autumn_definition(),
        &w.path("autumn-dataset"),
        &w.path("bad-reports"),
        &[
            "--previous",
            spring_dataset.to_str().unwrap(),
            "--previous-definition",
            shipped().to_str().unwrap(),
            "--previous-ids",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "previous wave: {}:3: 1 field(s); a line is `previous_id,current_id`",
            bad.display()
        )),
        "{err}"
    );
    assert!(!w.path("bad-reports").exists());
}

#[test]
fn a_previous_dataset_lacking_a_role_s_column_names_the_wave_the_role_and_the_column() {
    let w = waves();
    let spring_dataset = w.path("spring-dataset");
    // The spring definition with its `employees_before` question under another id: the
    // dataset ingested with the real one has no such column.
    let renamed = w.path("spring-renamed.toml");
    let text_def = std::fs::read_to_string(shipped()).unwrap();
    std::fs::write(
        &renamed,
        text_def.replace("employees_before_festival", "employees_before_cny"),
    )
    .unwrap();
    let o = analyze(
        &autumn_definition(),
        &w.path("autumn-dataset"),
        &w.path("reports"),
        &[
            "--previous",
            spring_dataset.to_str().unwrap(),
            "--previous-definition",
            renamed.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "error: previous wave: {} has no column `employees_before_cny`, which the [analysis] role `employees_before` reads in {}",
            spring_dataset.join("responses.parquet").display(),
            renamed.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("its ingest.json says it was ingested with yangpu-spring-2024 1.0.0"),
        "{err}"
    );
    assert!(!err.contains("plan"), "{err}");

    // Without its definition, the spring dataset is read with the autumn one: the first
    // autumn column it lacks is named with its role, and the definition it was made with.
    let o = analyze(
        &autumn_definition(),
        &w.path("autumn-dataset"),
        &w.path("reports"),
        &["--previous", spring_dataset.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("error: previous wave: "), "{err}");
    assert!(
        err.contains("has no column `credit_code`, which identifies each enterprise (`survey.enterprise_question`)"),
        "{err}"
    );
    assert!(
        err.contains("give that definition as the previous wave's (`--previous-definition`"),
        "{err}"
    );
}

#[test]
fn a_pipeline_ingests_the_previous_wave_with_its_own_definition() {
    let w = waves();
    let inputs = w.path("inputs");
    let pipeline = inputs.join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "definition = {:?}\ninputs = [\"autumn.jsonl\"]\nframe = {:?}\nprevious = {{ inputs = [\"spring.jsonl\"], definition = {:?}, ids = \"id-map.csv\" }}\nlanguage = \"en\"\n",
            autumn_definition().display().to_string(),
            repo().join("sample-data/frame.csv").display().to_string(),
            shipped().display().to_string(),
        ),
    )
    .unwrap();
    let out = w.path("run");
    let o = run(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o.stderr));
    assert_eq!(accepted(&out.join("previous-dataset")), SPRING.len() as u64);
    let reports = out.join("reports");
    assert_eq!(
        flagged(&reports, "headcount_fall_since_spring"),
        expected_headcount_falls(&w, true)
    );
    let record: Value = serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let roles: Vec<&str> = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"previous-definition"), "{roles:?}");
    assert!(roles.contains(&"previous-ids"), "{roles:?}");
}
