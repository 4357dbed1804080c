//! `ingest` then `analyze` on generated returns with a frame and a previous wave. The
//! workbooks are opened with calamine; figures are recomputed here from the Parquet files
//! and the frame with the plain formulas of DOMAIN.md, independently of the analysis code.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{run, shipped, text};
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

struct Prepared {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// Generates 160 enterprises (seed 11), ingests this wave and the previous one.
fn prepare() -> Prepared {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let def = shipped();
    let def = def.to_str().unwrap();
    let generated = root.join("generated");
    let ok = |out: std::process::Output, what: &str| assert!(out.status.success(), "{what}: {}", text(&out.stderr));
    ok(
        run(&[
            "sample",
            def,
            "--enterprises",
            "160",
            "--seed",
            "11",
            "-o",
            generated.to_str().unwrap(),
        ]),
        "sample",
    );
    for (inputs, out) in [("returns", "dataset"), ("previous", "previous-dataset")] {
        ok(
            run(&[
                "ingest",
                def,
                generated.join(inputs).to_str().unwrap(),
                "-o",
                root.join(out).to_str().unwrap(),
                "--quiet",
            ]),
            "ingest",
        );
    }
    Prepared { _dir: dir, root }
}

fn analyze(p: &Prepared, out: &str, lang: &str) -> PathBuf {
    let def = shipped();
    let reports = p.root.join(out);
    let output = run(&[
        "analyze",
        def.to_str().unwrap(),
        p.root.join("dataset").to_str().unwrap(),
        "-o",
        reports.to_str().unwrap(),
        "--frame",
        p.root.join("generated/frame.csv").to_str().unwrap(),
        "--previous",
        p.root.join("previous-dataset").to_str().unwrap(),
        "--lang",
        lang,
    ]);
    assert!(output.status.success(), "analyze: {}", text(&output.stderr));
    reports
}

fn rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn sheet_names(path: &Path) -> Vec<String> {
    let book: Xlsx<_> = open_workbook(path).unwrap();
    book.sheet_names()
}

fn s(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn header_of(rows: &[Vec<Data>], first: &str) -> Vec<String> {
    rows.iter()
        .find(|r| r.first().map(s).as_deref() == Some(first))
        .map(|r| r.iter().map(s).filter(|h| !h.is_empty()).collect())
        .unwrap_or_else(|| panic!("no header row starting with {first}"))
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn f64s(df: &DataFrame, column: &str) -> Vec<Option<f64>> {
    df.column(column)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn strs(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    df.column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

/// Stratum (section, size class) of every frame enterprise, from the frame's own columns.
fn frame_strata(path: &Path) -> HashMap<String, (String, String)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, section, class) = (at("enterprise_id"), at("industry_section"), at("size_class"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_owned(), (r[section].to_owned(), r[class].to_owned()))
        })
        .collect()
}

#[test]
fn workbooks_from_generated_returns_hold_independently_computed_figures() {
    let p = prepare();
    let reports = analyze(&p, "reports", "en");
    let demand = reports.join("published/sector-demand.xlsx");
    let risk = reports.join("restricted/risk-flags.xlsx");
    let reach = reports.join("published/policy-reach.xlsx");

    assert_eq!(
        sheet_names(&demand),
        [
            "Cover",
            "Headline",
            "By sector",
            "By industry",
            "By size",
            "By sub-district",
            "By occupation",
            "Top occupations",
            "Needs and difficulties",
            "Response by stratum",
            "Method notes"
        ]
    );
    let risk_sheets = sheet_names(&risk);
    assert_eq!(risk_sheets.first().map(String::as_str), Some("Cover"));
    assert_eq!(risk_sheets.last().map(String::as_str), Some("Method notes"));
    assert_eq!(risk_sheets.len(), 8, "{risk_sheets:?}");
    let reach_sheets = sheet_names(&reach);
    assert_eq!(&reach_sheets[..2], ["Cover", "Policies"]);

    // Weighted vacancies, recomputed: w = N_h / n_h over the frame strata; V_i = the sum
    // of the enterprise's vacancy lines.
    let strata = frame_strata(&p.root.join("generated/frame.csv"));
    let responses = read_parquet(&p.root.join("dataset/responses.parquet"));
    let lines = read_parquet(&p.root.join("dataset/vacancies.parquet"));
    let ids = strs(&responses, "uscc");
    let mut population: BTreeMap<&(String, String), f64> = BTreeMap::new();
    for stratum in strata.values() {
        *population.entry(stratum).or_default() += 1.0;
    }
    let mut respondents: BTreeMap<&(String, String), f64> = BTreeMap::new();
    for id in ids.iter().flatten() {
        *respondents.entry(&strata[id]).or_default() += 1.0;
    }
    let weight = |id: &str| population[&strata[id]] / respondents[&strata[id]];
    let mut vacancies_of: HashMap<String, f64> = HashMap::new();
    for (id, openings) in strs(&lines, "uscc").into_iter().zip(f64s(&lines, "openings")) {
        *vacancies_of.entry(id.unwrap()).or_default() += openings.unwrap_or(0.0);
    }
    let expected_vacancies: f64 = ids
        .iter()
        .flatten()
        .map(|id| weight(id) * vacancies_of.get(id).copied().unwrap_or(0.0))
        .sum();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap();
    let headline = summary["demand"]["headline"].as_array().unwrap();
    let vacancies = headline.iter().find(|h| h["id"] == "vacancies").unwrap();
    assert_eq!(vacancies["published"], true);
    let reported = vacancies["value"].as_f64().unwrap();
    assert!(
        (reported - expected_vacancies).abs() < 1e-6 * expected_vacancies,
        "{reported} vs {expected_vacancies}"
    );
    let sheet = rows(&demand, "Headline");
    let row = sheet
        .iter()
        .find(|r| r.len() > 3 && s(&r[0]) == "Vacancies" && s(&r[1]) == "*")
        .unwrap();
    let Data::Float(cell) = row[3] else {
        panic!("{:?}", row[3])
    };
    assert!((cell - expected_vacancies).abs() < 1e-6 * expected_vacancies);

    // Awareness of the training subsidy: sum w * aware / sum w over answering enterprises.
    let aware: Vec<Option<bool>> = responses
        .column("training_subsidy_aware")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    let (mut yes, mut all) = (0.0, 0.0);
    for (id, a) in ids.iter().zip(&aware) {
        if let (Some(id), Some(a)) = (id, a) {
            let w = weight(id);
            all += w;
            if *a {
                yes += w;
            }
        }
    }
    let policies = rows(&reach, "Policies");
    let awareness = policies
        .iter()
        .find(|r| r.len() > 3 && s(&r[0]) == "Awareness" && s(&r[1]) == "training_subsidy")
        .expect("awareness row of the training subsidy");
    let Data::Float(cell) = awareness[3] else {
        panic!("{:?}", awareness[3])
    };
    assert!((cell - yes / all).abs() < 1e-12, "{cell} vs {}", yes / all);

    // Economic layoffs: reductions > 0 and (>= 20 or >= 10% of employees).
    let reductions = f64s(&responses, "planned_reductions");
    let employees = f64s(&responses, "employees_now");
    let layoffs = reductions
        .iter()
        .zip(&employees)
        .filter(|(r, e)| matches!((r, e), (Some(r), Some(e)) if *r > 0.0 && (*r >= 20.0 || *r >= 0.1 * e)))
        .count();
    let flags = summary["risk"]["flags"].as_array().unwrap();
    let counted = flags.iter().find(|f| f["rule"] == "economic_layoff").unwrap()["count"]
        .as_u64()
        .unwrap();
    assert_eq!(counted as usize, layoffs);
    let list = rows(&risk, &risk_sheets[1]);
    let listed = list
        .iter()
        .filter(|r| r.iter().any(|c| s(c) == "economic_layoff"))
        .count();
    assert_eq!(listed, layoffs, "one row per flagged enterprise and rule");
    let severities: Vec<String> = list
        .iter()
        .filter_map(|r| {
            r.iter()
                .map(s)
                .find(|c| ["high", "medium", "low"].contains(&c.as_str()))
        })
        .collect();
    let rank = |s: &str| ["high", "medium", "low"].iter().position(|x| *x == s).unwrap();
    assert!(
        severities.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "sorted by severity"
    );

    // Suppression: every published cell of a breakdown rests on 3 or more enterprises,
    // and at least one small cell is shown as [c].
    let by_sector = rows(&demand, "By sector");
    let header = header_of(&by_sector, "Measure");
    assert_eq!(
        header,
        [
            "Measure",
            "Code",
            "Sector (GB/T 4754 section)",
            "Estimate",
            "Standard error",
            "95% CI low",
            "95% CI high",
            "CV",
            "Enterprises",
            "Imputed",
            "Quality"
        ]
    );
    let mut suppressed_small = 0;
    for r in by_sector.iter().filter(|r| r.len() > 8 && s(&r[0]) == "Vacancies") {
        if let Data::Float(n) = r[8]
            && n > 0.0
            && n < 3.0
        {
            assert_eq!(s(&r[3]), "[c]", "{r:?}");
            suppressed_small += 1;
        }
    }
    assert!(
        suppressed_small > 0,
        "the generated frame has sectors with 1 or 2 respondents"
    );

    // Same inputs, same bytes.
    let again = analyze(&p, "reports-again", "en");
    for f in [
        "published/sector-demand.xlsx",
        "restricted/risk-flags.xlsx",
        "restricted/chase.xlsx",
        "published/policy-reach.xlsx",
        "published/summary.json",
    ] {
        assert_eq!(
            std::fs::read(reports.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }

    // Chinese labels.
    let zh = analyze(&p, "reports-zh", "zh");
    let names = sheet_names(&zh.join("published/sector-demand.xlsx"));
    assert_eq!(names.first().map(String::as_str), Some("封面"));
    assert!(names.iter().any(|n| n == "按行业门类"), "{names:?}");
    let cover = rows(&zh.join("restricted/risk-flags.xlsx"), "封面");
    assert!(cover.iter().flatten().any(|c| s(c).contains("不得公开")));
}
