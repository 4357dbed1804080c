//! What the office publishes (DOMAIN.md "Disclosure control"): kept apart from what names
//! enterprises, naming none of them, and withstanding the recoveries a reader would try.
//! The attacks are written here from `figures.csv` and the frame, independently of the
//! analysis code; the figures that must add up are read from the analysis itself.

mod common;

use common::{repo, run, shipped, text};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Protection level of the shipped definition (DOMAIN.md default).
const PROTECTION: f64 = 0.1;

fn ok(out: std::process::Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
}

/// Generates `enterprises` returns (seed `seed`) and ingests them; returns the folder.
fn generated(enterprises: u32, seed: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let def = shipped();
    let def = def.to_str().unwrap();
    let n = enterprises.to_string();
    let seed = seed.to_string();
    let gen_dir = root.join("generated");
    ok(
        run(&[
            "sample",
            def,
            "--enterprises",
            &n,
            "--seed",
            &seed,
            "-o",
            gen_dir.to_str().unwrap(),
        ]),
        "sample",
    );
    ok(
        run(&[
            "ingest",
            def,
            gen_dir.join("returns").to_str().unwrap(),
            "-o",
            root.join("dataset").to_str().unwrap(),
            "--quiet",
        ]),
        "ingest",
    );
    (dir, root)
}

fn analyze(def: &Path, root: &Path, out: &str, frame: Option<&Path>, lang: &str) -> PathBuf {
    let reports = root.join(out);
    let mut args = vec![
        "analyze".to_owned(),
        def.display().to_string(),
        root.join("dataset").display().to_string(),
        "-o".into(),
        reports.display().to_string(),
        "--lang".into(),
        lang.into(),
    ];
    if let Some(frame) = frame {
        args.extend(["--frame".into(), frame.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(run(&args), "analyze");
    reports
}

/// One row of figures.csv.
#[derive(Debug, Clone)]
struct Row {
    workbook: String,
    sheet: String,
    measure: String,
    kind: String,
    breakdown: String,
    domain: String,
    estimate: Option<f64>,
    status: String,
}

impl Row {
    fn suppressed(&self) -> bool {
        self.status.starts_with("suppressed")
    }
    fn primary(&self) -> bool {
        self.status == "suppressed_threshold" || self.status == "suppressed_dominance"
    }
}

fn figures(reports: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(reports.join("published/figures.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    for required in [
        "workbook",
        "sheet",
        "measure",
        "kind",
        "breakdown",
        "domain",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "cv",
        "enterprises",
        "imputed_share",
        "status",
    ] {
        assert!(headers.iter().any(|h| h == required), "figures.csv has {required}");
    }
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row = Row {
                workbook: r[at("workbook")].to_owned(),
                sheet: r[at("sheet")].to_owned(),
                measure: r[at("measure")].to_owned(),
                kind: r[at("kind")].to_owned(),
                breakdown: r[at("breakdown")].to_owned(),
                domain: r[at("domain")].to_owned(),
                estimate: r[at("estimate")].parse().ok(),
                status: r[at("status")].to_owned(),
            };
            if row.suppressed() {
                assert!(
                    row.estimate.is_none() && r[at("se")].is_empty(),
                    "{row:?} shows a value"
                );
            }
            row
        })
        .collect()
}

/// The rows of one printed line: a measure over one breakdown on one sheet, "all" first.
fn lines(rows: &[Row]) -> BTreeMap<(String, String, String, String), Vec<Row>> {
    let mut lines: BTreeMap<(String, String, String, String), Vec<Row>> = BTreeMap::new();
    for r in rows {
        lines
            .entry((
                r.workbook.clone(),
                r.sheet.clone(),
                r.measure.clone(),
                r.breakdown.clone(),
            ))
            .or_default()
            .push(r.clone());
    }
    lines
}

/// The recoveries a reader would try by subtraction, on every line of figures.csv.
/// Returns what each attack recovered (empty when nothing is recovered).
fn subtraction_attacks(rows: &[Row], single_choices: &BTreeSet<String>) -> Vec<String> {
    let mut recovered = Vec::new();
    let partitions = ["section", "division", "size_class", "subdistrict"];
    for ((workbook, sheet, measure, breakdown), line) in lines(rows) {
        let all = line.iter().find(|r| r.domain == "*");
        let domains: Vec<&Row> = line.iter().filter(|r| r.domain != "*").collect();
        let suppressed = domains.iter().filter(|r| r.suppressed()).count();
        // Total minus the rest: a lone suppressed domain of a breakdown whose total is shown.
        // Share times domain size: the same, with yes counts p_d * N_d (N_d public).
        if partitions.contains(&breakdown.as_str())
            && (line[0].kind == "total" || line[0].kind == "share")
            && all.is_some_and(|a| !a.suppressed())
            && suppressed == 1
        {
            recovered.push(format!(
                "{workbook} {sheet} {measure} {breakdown}: total minus the rest"
            ));
        }
    }
    // One minus the other options of a single choice.
    let mut options: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.kind == "share" && r.breakdown == "all") {
        if let Some((question, _)) = r.measure.split_once(':')
            && single_choices.contains(question)
        {
            options
                .entry((r.workbook.clone(), question.to_owned()))
                .or_default()
                .push(r);
        }
    }
    for ((workbook, question), rows) in options {
        if rows.iter().filter(|r| r.suppressed()).count() == 1 {
            recovered.push(format!("{workbook} {question}: one minus the other options"));
        }
    }
    // A parent minus its published children: a section minus its divisions.
    let mut by_measure: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.kind == "total") {
        by_measure
            .entry((r.workbook.clone(), r.measure.clone()))
            .or_default()
            .push(r);
    }
    for ((workbook, measure), rows) in &by_measure {
        for section in rows.iter().filter(|r| r.breakdown == "section" && !r.suppressed()) {
            let children: Vec<&&Row> = rows
                .iter()
                .filter(|r| {
                    r.breakdown == "division"
                        && survey_def::codes::industry_section(&r.domain).map(|s| s.code.to_string())
                            == Some(section.domain.clone())
                })
                .collect();
            if children.iter().filter(|r| r.suppressed()).count() == 1 {
                recovered.push(format!(
                    "{workbook} {measure} {}: parent minus children",
                    section.domain
                ));
            }
        }
    }
    // The same cell on another sheet, shown there.
    let mut cells: BTreeMap<(String, String, String, String), Vec<&Row>> = BTreeMap::new();
    for r in rows {
        cells
            .entry((
                r.workbook.clone(),
                r.measure.clone(),
                r.breakdown.clone(),
                r.domain.clone(),
            ))
            .or_default()
            .push(r);
    }
    for (cell, copies) in cells {
        let shown = copies.iter().filter(|r| !r.suppressed()).count();
        if shown > 0 && shown < copies.len() {
            recovered.push(format!("{cell:?}: suppressed on one sheet, shown on another"));
        }
    }
    // Also the "all" figure of a domain breakdown: the same cell as on the headline.
    for r in rows.iter().filter(|r| r.domain == "*") {
        let other = rows.iter().find(|o| {
            o.workbook == r.workbook && o.measure == r.measure && o.domain == "*" && o.suppressed() != r.suppressed()
        });
        if let Some(o) = other {
            recovered.push(format!(
                "{} {}: all on {} vs {}",
                r.workbook, r.measure, r.sheet, o.sheet
            ));
        }
    }
    recovered
}

fn single_choice_distributions() -> BTreeSet<String> {
    let def = survey_def::load(&shipped()).unwrap();
    def.analysis()
        .unwrap()
        .distributions
        .iter()
        .filter(|q| {
            def.question(q)
                .is_some_and(|q| matches!(q.kind, survey_def::QuestionKind::SingleChoice(_)))
        })
        .cloned()
        .collect()
}

/// Weighted vacancies of every enterprise-level domain, computed here from the Parquet
/// files and the frame: w = N_h / n_h over the frame's strata, an enterprise's vacancies the
/// sum of its lines; sections and size classes from the frame, divisions from the answered
/// industry within the frame's section, sub-districts from the answers.
fn true_vacancies(root: &Path, frame: &Path) -> BTreeMap<(String, String), f64> {
    let mut reader = csv::Reader::from_path(frame).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut stratum_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        stratum_of.insert(
            r[at("enterprise_id")].to_owned(),
            (r[at("industry_section")].to_owned(), r[at("size_class")].to_owned()),
        );
    }
    let read = |f: &str| {
        ParquetReader::new(std::fs::File::open(root.join("dataset").join(f)).unwrap())
            .finish()
            .unwrap()
    };
    let responses = read("responses.parquet");
    let lines = read("vacancies.parquet");
    let strs = |df: &DataFrame, c: &str| -> Vec<Option<String>> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    };
    let ids = strs(&responses, "uscc");
    let industry = strs(&responses, "industry");
    let subdistrict = strs(&responses, "subdistrict");
    let mut population: BTreeMap<&(String, String), f64> = BTreeMap::new();
    for s in stratum_of.values() {
        *population.entry(s).or_default() += 1.0;
    }
    let mut respondents: BTreeMap<&(String, String), f64> = BTreeMap::new();
    for id in ids.iter().flatten() {
        if let Some(s) = stratum_of.get(id) {
            *respondents.entry(s).or_default() += 1.0;
        }
    }
    let mut vacancies: BTreeMap<String, f64> = BTreeMap::new();
    let openings = lines.column("openings").unwrap().cast(&DataType::Float64).unwrap();
    for (id, o) in strs(&lines, "uscc").into_iter().zip(openings.f64().unwrap().iter()) {
        *vacancies.entry(id.unwrap()).or_default() += o.unwrap_or(0.0);
    }
    let mut totals: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (k, id) in ids.iter().enumerate() {
        let Some(id) = id else { continue };
        let Some(stratum) = stratum_of.get(id) else { continue };
        let v = population[stratum] / respondents[stratum] * vacancies.get(id).copied().unwrap_or(0.0);
        let division = industry[k]
            .as_deref()
            .and_then(survey_def::codes::industry_division)
            .filter(|d| {
                survey_def::codes::industry_section(d.code).map(|s| s.code.to_string()) == Some(stratum.0.clone())
            })
            .map_or_else(|| "-".to_owned(), |d| d.code.to_owned());
        for key in [
            ("all".to_owned(), "*".to_owned()),
            ("section".to_owned(), stratum.0.clone()),
            ("size_class".to_owned(), stratum.1.clone()),
            ("division".to_owned(), division),
            (
                "subdistrict".to_owned(),
                subdistrict[k].clone().unwrap_or_else(|| "-".into()),
            ),
        ] {
            *totals.entry(key).or_default() += v;
        }
    }
    totals
}

/// The linear-programming attack on the vacancies of the demand workbook, written here
/// with microlp: every cell of the by-sector, by-industry, by-size and by-sub-district
/// sheets a variable (non-negative), the published ones fixed, each breakdown adding up to
/// the total, each section's divisions to at most the section. Returns, for every
/// primary-suppressed cell, its interval and its true value.
fn lp_attack(rows: &[Row], truth: &BTreeMap<(String, String), f64>) -> Vec<((String, String), f64, f64, f64)> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let cells: Vec<&Row> = rows
        .iter()
        .filter(|r| r.workbook == "sector-demand.xlsx" && r.measure == "vacancies" && r.kind == "total")
        .filter(|r| ["all", "section", "division", "size_class", "subdistrict"].contains(&r.breakdown.as_str()))
        .collect();
    let mut keys: BTreeMap<(String, String), (bool, bool, Option<f64>)> = BTreeMap::new();
    for r in &cells {
        let key = if r.domain == "*" {
            ("all".to_owned(), "*".to_owned())
        } else {
            (r.breakdown.clone(), r.domain.clone())
        };
        let e = keys.entry(key).or_insert((false, false, r.estimate));
        e.0 |= r.suppressed();
        e.1 |= r.primary();
    }
    let solve = |target: &(String, String), direction: OptimizationDirection| -> f64 {
        let mut problem = Problem::new(direction);
        let vars: BTreeMap<&(String, String), microlp::Variable> = keys
            .iter()
            .map(|(k, (suppressed, _, estimate))| {
                let objective = if k == target { 1.0 } else { 0.0 };
                let bounds = match (suppressed, estimate) {
                    (false, Some(v)) => (*v, *v),
                    _ => (0.0, f64::INFINITY),
                };
                (k, problem.add_var(objective, bounds))
            })
            .collect();
        let all = vars[&("all".to_owned(), "*".to_owned())];
        for breakdown in ["section", "division", "size_class", "subdistrict"] {
            let mut terms: Vec<(microlp::Variable, f64)> = vec![(all, -1.0)];
            terms.extend(vars.iter().filter(|(k, _)| k.0 == breakdown).map(|(_, v)| (*v, 1.0)));
            problem.add_constraint(&terms, ComparisonOp::Eq, 0.0);
        }
        for (k, v) in vars.iter().filter(|(k, _)| k.0 == "section") {
            let mut terms: Vec<(microlp::Variable, f64)> = vec![(*v, -1.0)];
            terms.extend(
                vars.iter()
                    .filter(|(d, _)| {
                        d.0 == "division"
                            && survey_def::codes::industry_section(&d.1).map(|s| s.code.to_string())
                                == Some(k.1.clone())
                    })
                    .map(|(_, v)| (*v, 1.0)),
            );
            problem.add_constraint(&terms, ComparisonOp::Le, 0.0);
        }
        match problem.solve() {
            Ok(outcome) => outcome.into_solution().expect("an optimal solution").objective(),
            Err(microlp::Error::Unbounded) => f64::INFINITY,
            Err(e) => panic!("the attack's programme fails: {e}"),
        }
    };
    keys.iter()
        .filter(|(_, (_, primary, _))| *primary)
        .map(|(k, _)| {
            let lo = solve(k, OptimizationDirection::Minimize);
            let hi = solve(k, OptimizationDirection::Maximize);
            (k.clone(), lo, hi, truth[k])
        })
        .collect()
}

/// Every attack on the workbooks of a small generated survey (many sectors with one or
/// two respondents) comes back with nothing narrower than the protection level.
#[test]
fn no_suppressed_cell_is_recovered_by_subtraction_or_by_linear_programming() {
    let (_dir, root) = generated(120, 5);
    let frame = root.join("generated/frame.csv");
    let reports = analyze(&shipped(), &root, "reports", Some(&frame), "en");
    let rows = figures(&reports);
    assert!(
        rows.iter().filter(|r| r.primary()).count() > 10,
        "the survey has small domains"
    );
    let recovered = subtraction_attacks(&rows, &single_choice_distributions());
    assert!(recovered.is_empty(), "recovered: {recovered:#?}");

    let truth = true_vacancies(&root, &frame);
    let intervals = lp_attack(&rows, &truth);
    assert!(!intervals.is_empty(), "some vacancy cells are primary-suppressed");
    for (cell, lo, hi, value) in &intervals {
        assert!(
            *lo <= value + 1e-6 * value.abs().max(1.0) && *hi >= value - 1e-6 * value.abs().max(1.0),
            "{cell:?}: the true value {value} lies in [{lo}, {hi}]"
        );
        assert!(
            hi - lo >= PROTECTION * value.abs() * (1.0 - 1e-9),
            "{cell:?}: [{lo}, {hi}] is narrower than {PROTECTION} of {value}"
        );
    }

    // The audit's own account is in summary.json and the method notes.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap();
    for book in ["demand", "reach"] {
        let audit = &summary[book]["audit"];
        assert_eq!(audit["all_protected"], true, "{book}: {audit}");
        assert!(audit["cells_checked"].as_u64().unwrap() > 0, "{book}: {audit}");
        assert!(
            audit["narrowest_interval"].as_f64().unwrap() >= PROTECTION,
            "{book}: {audit}"
        );
    }
}

/// The figures that must add up do: every breakdown of every total of the published
/// workbooks sums to its total (imputation once, at the unit level), with and without a
/// frame. Read from the analysis itself, suppressed cells included.
#[test]
fn every_breakdown_of_every_total_adds_up_to_its_total() {
    let (_dir, root) = generated(150, 8);
    let def = survey_def::load(&shipped()).unwrap();
    let frame = root.join("generated/frame.csv");
    for frame in [Some(frame), None] {
        let options = survey_analysis::analyze::AnalyzeOptions {
            frame,
            ..Default::default()
        };
        let analysis = survey_analysis::analyze::analyze(&def, &root.join("dataset"), &options).unwrap();
        let mut checked = 0;
        for book in analysis.books.iter().filter(|b| !b.figures.is_empty()) {
            let mut lines: BTreeMap<(&str, &str, &str), (Option<f64>, f64)> = BTreeMap::new();
            for r in book.figures.iter().filter(|r| r.kind == "total") {
                if !["section", "division", "size_class", "subdistrict"].contains(&r.breakdown) {
                    continue;
                }
                let value = r.figure.estimate.as_ref().map(|e| e.value);
                let line = lines
                    .entry((r.sheet.as_str(), r.measure.as_str(), r.breakdown))
                    .or_default();
                match r.domain.as_str() {
                    "*" => line.0 = value,
                    _ => line.1 += value.unwrap_or(0.0),
                }
            }
            for ((sheet, measure, breakdown), (all, sum)) in lines {
                let all = all.unwrap_or_else(|| panic!("{sheet} {measure}: no total"));
                assert!(
                    (sum - all).abs() <= 1e-9 * all.abs().max(1.0),
                    "{sheet} {measure} by {breakdown}: {sum} vs {all}"
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked} lines checked");
        // Some answers were imputed, so the identity is not a matter of complete answers.
        assert!(analysis.summary.imputation.iter().any(|c| c.missing > 0));
    }
}

/// Every text stored in the xlsx, CSV and JSON files under `dir`, with where it is.
fn texts_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        if entry.extension().is_some_and(|e| e == "xlsx") {
            for (name, part) in common::zip_entries(&bytes) {
                out.push((entry.join(name), String::from_utf8(part).unwrap()));
            }
        } else {
            out.push((entry.clone(), String::from_utf8(bytes).unwrap()));
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The shipped pipeline's published outputs hold no credit code, name or contact of any
/// respondent or frame enterprise, while the restricted workbook does; restricted files
/// and the dataset are owner-only.
#[test]
fn published_outputs_name_no_enterprise_and_restricted_ones_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(
        run(&[
            "run",
            repo().join("sample-data/pipeline.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]),
        "run",
    );
    // Everything that identifies an enterprise: the dataset's ids, names and contacts, and
    // every column of the frame the design does not read (names, contacts...).
    let responses = ParquetReader::new(std::fs::File::open(out.join("dataset/responses.parquet")).unwrap())
        .finish()
        .unwrap();
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for column in ["uscc", "name", "contact_person", "contact_phone"] {
        let values = responses.column(column).unwrap().cast(&DataType::String).unwrap();
        secrets.extend(values.str().unwrap().iter().flatten().map(|v| v.trim().to_owned()));
    }
    let mut frame = csv::Reader::from_path(repo().join("sample-data/frame.csv")).unwrap();
    let design = [
        "industry_section",
        "industry_division",
        "size_class",
        "employees",
        "subdistrict",
    ];
    let identifying: Vec<usize> = frame
        .headers()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, h)| !design.contains(h))
        .map(|(i, _)| i)
        .collect();
    assert!(identifying.len() >= 2, "the frame lists ids and names");
    for r in frame.records() {
        let r = r.unwrap();
        secrets.extend(identifying.iter().map(|&i| r[i].trim().to_owned()));
    }
    secrets.retain(|s| s.chars().count() >= 2);
    assert!(secrets.len() > 200, "{} identifiers", secrets.len());
    let escaped = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");

    let published = texts_under(&out.join("reports/published"));
    assert!(published.iter().any(|(p, _)| p.ends_with("figures.csv")));
    assert!(published.iter().any(|(p, _)| p.ends_with("summary.json")));
    let mut shared = published;
    let run_json: Vec<PathBuf> = walk(dir.path())
        .into_iter()
        .filter(|p| p.ends_with("run.json"))
        .collect();
    assert_eq!(run_json.len(), 1, "{run_json:?}");
    shared.push((run_json[0].clone(), std::fs::read_to_string(&run_json[0]).unwrap()));
    for (path, content) in &shared {
        for secret in &secrets {
            assert!(
                !content.contains(secret.as_str()) && !content.contains(&escaped(secret)),
                "{} holds {secret}",
                path.display()
            );
        }
    }
    // The scan finds them where they belong.
    let restricted = texts_under(&out.join("reports/restricted"));
    let found = secrets
        .iter()
        .filter(|s| restricted.iter().any(|(_, c)| c.contains(s.as_str())))
        .count();
    assert!(found > 10, "the officials' workbook names enterprises ({found})");

    #[cfg(unix)]
    {
        assert_eq!(mode(&out.join("reports/restricted")), 0o700);
        for f in ["risk-flags.xlsx", "chase.xlsx", "inputs.sha256"] {
            assert_eq!(mode(&out.join("reports/restricted").join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&out.join("dataset")), 0o700);
        for f in walk(&out.join("dataset")) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        for f in walk(&out.join("reports/published")) {
            assert_eq!(mode(&f), 0o644, "{}", f.display());
        }
    }
}

/// A definition that maps no hard-to-fill column, no reductions and no return to work:
/// none of those figures, labels or notes appears in any output, published or not, and a
/// definition without a vacancy table still gives risk flags and policy reach.
#[test]
fn measures_the_definition_does_not_map_appear_nowhere() {
    let (_dir, root) = generated(80, 3);
    let source = std::fs::read_to_string(shipped()).unwrap();
    let mut def: toml::Table = source.parse().unwrap();
    let analysis = def["analysis"].as_table_mut().unwrap();
    for key in ["planned_reductions", "returned", "expected_to_return"] {
        analysis.remove(key);
    }
    analysis["vacancies"].as_table_mut().unwrap().remove("hard_to_fill");
    let distributions = analysis["distributions"].as_array_mut().unwrap();
    distributions.retain(|d| d.as_str() != Some("reduction_reasons"));
    // Rules reading what is gone would speak of it: a definition without these measures
    // has no such rules.
    let rules = def["risk_rules"].as_array_mut().unwrap();
    rules.retain(|r| {
        let when = r["when"].as_str().unwrap();
        !["planned_reductions", "returned_after_festival", "expected_to_return"]
            .iter()
            .any(|q| when.contains(q))
    });
    let trimmed = root.join("trimmed.toml");
    std::fs::write(&trimmed, toml::to_string(&def).unwrap()).unwrap();
    let frame = root.join("generated/frame.csv");
    let reports = analyze(&trimmed, &root, "reports", Some(&frame), "en");
    // The chase list quotes the dataset's rejects, which speak of every question the
    // returns were checked on (as `rejects.xlsx` does); it shows no measure.
    let outputs: Vec<(PathBuf, String)> = texts_under(&reports)
        .into_iter()
        .filter(|(p, _)| !p.to_string_lossy().contains("chase.xlsx"))
        .collect();
    assert!(reports.join("restricted/chase.xlsx").is_file());
    for banned in [
        "Hard-to-fill",
        "hard_to_fill",
        "Planned reductions",
        "planned_reductions",
        "Net planned hiring",
        "net_planned_hiring",
        "Return-to-work",
        "return_rate",
        "expected_to_return",
    ] {
        for (path, content) in &outputs {
            assert!(!content.contains(banned), "{} holds {banned}", path.display());
        }
    }
    // What is mapped is there.
    assert!(outputs.iter().any(|(_, c)| c.contains("Job vacancy rate")));

    // Without a vacancy table: no vacancy figure at all, but risk flags and policy reach.
    let analysis = def["analysis"].as_table_mut().unwrap();
    analysis.remove("vacancies");
    std::fs::write(&trimmed, toml::to_string(&def).unwrap()).unwrap();
    let reports = analyze(&trimmed, &root, "no-vacancies", Some(&frame), "en");
    let outputs = texts_under(&reports);
    for banned in ["Vacancies", "vacancy rate", "job_vacancy_rate", "Offered wage"] {
        for (path, content) in outputs
            .iter()
            .filter(|(p, _)| !p.to_string_lossy().contains("restricted"))
        {
            assert!(!content.contains(banned), "{} holds {banned}", path.display());
        }
    }
    assert!(reports.join("restricted/risk-flags.xlsx").is_file());
    assert!(reports.join("published/policy-reach.xlsx").is_file());
    assert!(outputs.iter().any(|(_, c)| c.contains("awareness")));
}
