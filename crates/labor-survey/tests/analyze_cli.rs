//! `labor-survey analyze` end to end: returns are ingested with the real CLI, analysed with
//! a frame, and the workbooks it wrote are opened with calamine. Expected figures are
//! worked out by hand below from the five returns, never taken from a run.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{credit_code, run, shipped, text, valid_json_return};
use std::path::Path;

/// One return of the hand-worked example.
struct Enterprise {
    n: u32,
    division: &'static str,
    employees_before: u32,
    employees: u32,
    /// (occupation, openings, hard to fill) per vacancy line.
    lines: &'static [(&'static str, u32, u32)],
    planned_hires: u32,
}

/// Stratum I/small (division 65, 10-49 employees): A, B, C; frame N = 6, so w = 2.
/// Stratum C/medium (division 34, 50-249 employees): D, E; frame N = 8, so w = 4.
const EXAMPLE: [Enterprise; 5] = [
    Enterprise {
        n: 1,
        division: "65",
        employees_before: 20,
        employees: 20,
        lines: &[("2-02-10-03", 3, 1), ("4-01-02-01", 1, 0)],
        planned_hires: 2,
    },
    Enterprise {
        n: 2,
        division: "65",
        employees_before: 30,
        employees: 30,
        lines: &[("2-02-10-03", 2, 0)],
        planned_hires: 1,
    },
    Enterprise {
        n: 3,
        division: "65",
        employees_before: 12,
        employees: 10,
        lines: &[],
        planned_hires: 0,
    },
    Enterprise {
        n: 4,
        division: "34",
        employees_before: 100,
        employees: 100,
        lines: &[("6-18-01-01", 10, 5)],
        planned_hires: 8,
    },
    Enterprise {
        n: 5,
        division: "34",
        employees_before: 50,
        employees: 60,
        lines: &[("6-18-01-01", 6, 3)],
        planned_hires: 4,
    },
];

fn write_example(dir: &Path) {
    let returns = dir.join("returns");
    std::fs::create_dir_all(&returns).unwrap();
    for e in &EXAMPLE {
        let uscc = credit_code(e.n);
        let mut r = valid_json_return(&uscc, "2024-02-20T10:00:00+08:00");
        let a = &mut r["answers"];
        a["industry"] = e.division.into();
        a["employees_before_festival"] = e.employees_before.into();
        a["employees_now"] = e.employees.into();
        a["planned_hires"] = e.planned_hires.into();
        a["vacancies"] = e
            .lines
            .iter()
            .map(|(occupation, openings, hard)| {
                let mut line = serde_json::json!({
                    "occupation": occupation, "openings": openings, "hard_to_fill": hard, "wage_offered": 8000
                });
                if *hard > 0 {
                    line["skill_shortage"] = (*hard).into();
                }
                line
            })
            .collect();
        std::fs::write(returns.join(format!("{uscc}.json")), serde_json::to_vec(&r).unwrap()).unwrap();
    }
    // The frame: I/small holds A, B, C and three non-respondents (N = 6); C/medium holds
    // D, E and six non-respondents (N = 8).
    let mut frame = String::from("enterprise_id,industry_division,employees\n");
    for n in [1, 2, 3, 20, 21, 22] {
        frame.push_str(&format!("{},65,20\n", credit_code(n)));
    }
    for n in [4, 5, 30, 31, 32, 33, 34, 35] {
        frame.push_str(&format!("{},34,100\n", credit_code(n)));
    }
    std::fs::write(dir.join("frame.csv"), frame).unwrap();
}

fn ingest_and_analyze(dir: &Path, extra: &[&str]) -> std::process::Output {
    let def = shipped();
    let dataset = dir.join("dataset");
    let out = run(&[
        "ingest",
        def.to_str().unwrap(),
        dir.join("returns").to_str().unwrap(),
        "-o",
        dataset.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "ingest: {}", text(&out.stderr));
    let reports = dir.join("reports");
    let mut args = vec![
        "analyze",
        def.to_str().unwrap(),
        dataset.to_str().unwrap(),
        "-o",
        reports.to_str().unwrap(),
        "--lang",
        "en",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The rows of a sheet as text and numbers.
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

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

/// The row of a long table whose Measure is `measure` and Code `code`.
fn long_row<'a>(rows: &'a [Vec<Data>], measure: &str, code: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r.len() > 3 && cell_text(&r[0]) == measure && cell_text(&r[1]) == code)
        .unwrap_or_else(|| panic!("no row {measure} / {code}"))
}

/// Student's t quantile for 0.975 on 3 degrees of freedom (tables; R: qt(0.975, 3)).
const T_975_3DF: f64 = 3.182_446_305_284_263;

#[test]
fn weighted_estimates_match_the_hand_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    write_example(dir.path());
    let frame = dir.path().join("frame.csv");
    let out = ingest_and_analyze(dir.path(), &["--frame", frame.to_str().unwrap()]);
    assert!(out.status.success(), "analyze: {}", text(&out.stderr));
    let reports = dir.path().join("reports");
    for f in [
        "published/sector-demand.xlsx",
        "restricted/risk-flags.xlsx",
        "restricted/chase.xlsx",
        "published/policy-reach.xlsx",
        "published/summary.json",
    ] {
        assert!(reports.join(f).is_file(), "{f} written");
    }
    let book = reports.join("published/sector-demand.xlsx");
    let workbook: Xlsx<_> = open_workbook(&book).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("Cover"));
    assert_eq!(names.last().map(String::as_str), Some("Method notes"));
    for wanted in [
        "Headline",
        "By sector",
        "By industry",
        "By size",
        "By sub-district",
        "By occupation",
    ] {
        assert!(names.iter().any(|n| n == wanted), "sheet {wanted} in {names:?}");
    }

    let headline = sheet(&book, "Headline");
    let header = headline
        .iter()
        .find(|r| r.iter().any(|c| cell_text(c) == "Estimate"))
        .expect("a header row");
    let headers: Vec<String> = header.iter().map(cell_text).collect();
    assert_eq!(
        &headers[..11],
        [
            "Measure",
            "Code",
            "All enterprises",
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

    // Vacancies per enterprise: A 4, B 2, C 0 (w = 2); D 10, E 6 (w = 4).
    // Y = 2 * (4 + 2 + 0) + 4 * (10 + 6) = 12 + 64 = 76.
    // Var = sum_h N_h^2 (1 - n_h/N_h) s_h^2 / n_h:
    //   I/small: 36 * (1 - 3/6) * s^2 / 3 with s^2 of (4, 2, 0) = 4  -> 24
    //   C/medium: 64 * (1 - 2/8) * s^2 / 2 with s^2 of (10, 6) = 8   -> 192
    let vacancies = long_row(&headline, "Vacancies", "*");
    let se = 216f64.sqrt();
    assert!((number(&vacancies[3]) - 76.0).abs() < 1e-9);
    assert!((number(&vacancies[4]) - se).abs() < 1e-9);
    assert!((number(&vacancies[5]) - (76.0 - T_975_3DF * se)).abs() < 1e-9);
    assert!((number(&vacancies[6]) - (76.0 + T_975_3DF * se)).abs() < 1e-9);
    assert!((number(&vacancies[7]) - se / 76.0).abs() < 1e-9);
    assert_eq!(number(&vacancies[8]), 5.0);

    // JVR = V / (E + V). X = 2 * (24 + 32 + 10) + 4 * (110 + 66) = 132 + 704 = 836, R = 76/836 = 1/11.
    // z = y - R x: A 4 - 24/11 = 20/11, B 2 - 32/11 = -10/11, C -10/11 (mean 0,
    // s^2 = (400 + 100 + 100) / 121 / 2 = 300/121); D 10 - 10 = 0, E 6 - 6 = 0.
    // Var(R) = 36 * (1/2) * (300/121) / 3 / 836^2 = (1800/121) / 836^2.
    let jvr = long_row(&headline, "Job vacancy rate V/(E+V)", "*");
    assert!((number(&jvr[3]) - 1.0 / 11.0).abs() < 1e-12);
    let jvr_se = (1800.0f64 / 121.0).sqrt() / 836.0;
    assert!((number(&jvr[4]) - jvr_se).abs() < 1e-12);

    // Employment change: only C (-2, weighted -4) and E (+10, weighted 40) changed, so the
    // two largest contributions are 100% of the cell: the dominance rule suppresses the
    // total, and the rate (36 / 724) goes with it, even for all enterprises.
    let change = long_row(&headline, "Employment change (persons)", "*");
    assert_eq!(cell_text(&change[3]), "[c]");
    let rate = long_row(&headline, "Employment change rate", "*");
    assert_eq!(cell_text(&rate[3]), "[c]");
    assert_eq!(cell_text(&rate[10]), "[c]");

    // Planned hires: 2 * (2 + 1 + 0) + 4 * (8 + 4) = 54, the largest two 32 + 16 = 89%;
    // hard-to-fill: 2 * 1 + 4 * (5 + 3) = 34, the largest two 20 + 12 = 94%: both are
    // dominated, and the hard-to-fill share goes with its numerator.
    assert_eq!(cell_text(&long_row(&headline, "Planned hires", "*")[3]), "[c]");
    assert_eq!(
        cell_text(&long_row(&headline, "Hard-to-fill share of vacancies", "*")[3]),
        "[c]"
    );

    // By sector: C rests on 2 enterprises (threshold rule), so I, the only other
    // non-zero cell, is suppressed too; the total stays published.
    let by_sector = sheet(&book, "By sector");
    let c = long_row(&by_sector, "Vacancies", "C");
    assert_eq!(cell_text(&c[3]), "[c]");
    assert_eq!(cell_text(&c[10]), "[c]");
    let i = long_row(&by_sector, "Vacancies", "I");
    assert_eq!(cell_text(&i[3]), "[c]", "secondary suppression");
    assert!((number(&long_row(&by_sector, "Vacancies", "*")[3]) - 76.0).abs() < 1e-9);
    // The rate of a suppressed total is suppressed with it.
    assert_eq!(
        cell_text(&long_row(&by_sector, "Job vacancy rate V/(E+V)", "C")[3]),
        "[c]"
    );

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["weighting"], "frame");
    assert_eq!(summary["counts"]["accepted"], 5);
    assert_eq!(summary["counts"]["in_estimates"], 5);
    assert_eq!(summary["counts"]["frame_enterprises"], 14);
    let head = summary["demand"]["headline"].as_array().unwrap();
    let v = head.iter().find(|h| h["id"] == "vacancies").unwrap();
    assert!((v["value"].as_f64().unwrap() - 76.0).abs() < 1e-9);
    assert!(summary["quality"]["suppressed_threshold"].as_u64().unwrap() > 0);
    assert!(summary["quality"]["suppressed_secondary"].as_u64().unwrap() > 0);
}

#[test]
fn without_a_frame_the_tables_say_unweighted() {
    let dir = tempfile::tempdir().unwrap();
    write_example(dir.path());
    let out = ingest_and_analyze(dir.path(), &[]);
    assert!(out.status.success(), "analyze: {}", text(&out.stderr));
    let book = dir.path().join("reports/published/sector-demand.xlsx");
    let cover = sheet(&book, "Cover");
    let all_text: Vec<String> = cover.iter().flatten().map(cell_text).collect();
    assert!(all_text.iter().any(|t| t.contains("Unweighted, respondents only")));
    let headline = sheet(&book, "Headline");
    // Respondents' own sum: 4 + 2 + 0 + 10 + 6 = 22, with no standard error.
    let v = long_row(&headline, "Vacancies", "*");
    assert_eq!(number(&v[3]), 22.0);
    assert_eq!(cell_text(&v[4]), "[x]");
    let notes = sheet(&book, "Method notes");
    assert!(
        notes
            .iter()
            .flatten()
            .any(|c| cell_text(c).contains("No sampling frame"))
    );
}

#[test]
fn a_missing_dataset_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let def = shipped();
    let out = run(&[
        "analyze",
        def.to_str().unwrap(),
        dir.path().join("nowhere").to_str().unwrap(),
        "-o",
        dir.path().join("reports").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("responses.parquet"), "{}", text(&out.stderr));
    assert!(!dir.path().join("reports").exists());
}
