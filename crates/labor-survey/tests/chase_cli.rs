//! `analyze` with a frame writes the chase list, `restricted/chase.xlsx`: the shipped sample
//! returns are ingested with the real CLI, analysed with the shipped frame, and the
//! workbook is opened with calamine. What it should hold is worked out here from
//! `frame.csv`, the dataset's `responses.parquet` and `rejects.jsonl`, with whole-number
//! arithmetic, independently of the analysis code.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{repo, run, shipped, text};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// An enterprise of the shipped sample whose return was rejected (employees before the
/// festival of -5, and two constraints that follow from it) and never corrected.
const REJECTED: &str = "9131011082798583XE";
/// An enterprise of the shipped frame that sent no return.
const NOT_RECEIVED: &str = "913101105493795722";

/// Frame columns the design reads; every other one is shown as the frame gives it.
const DESIGN_COLUMNS: [&str; 6] = [
    "enterprise_id",
    "industry_section",
    "industry_division",
    "size_class",
    "employees",
    "subdistrict",
];

fn ok(out: std::process::Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
}

/// Ingests the shipped sample returns into `root/dataset`.
fn ingest_sample(root: &Path) -> PathBuf {
    let dataset = root.join("dataset");
    ok(
        run(&[
            "ingest",
            shipped().to_str().unwrap(),
            repo().join("sample-data/returns").to_str().unwrap(),
            "-o",
            dataset.to_str().unwrap(),
            "--quiet",
        ]),
        "ingest",
    );
    dataset
}

/// Runs `analyze` on `dataset` into `root/out` with `extra` arguments; returns `root/out`.
fn analyze(root: &Path, dataset: &Path, out: &str, extra: &[&str]) -> PathBuf {
    let reports = root.join(out);
    let (def, dataset, output) = (shipped(), dataset.display().to_string(), reports.display().to_string());
    let mut args = vec!["analyze", def.to_str().unwrap(), &dataset, "-o", &output];
    args.extend(extra);
    ok(run(&args), "analyze");
    reports
}

fn frame_path() -> PathBuf {
    repo().join("sample-data/frame.csv")
}

fn normalise(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// The frame: its headers and one map of header to value per enterprise.
fn frame() -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_path(frame_path()).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers.iter().cloned().zip(r.iter().map(str::to_owned)).collect()
        })
        .collect();
    (headers, rows)
}

/// Stratum label `section/size_class` of a frame row.
fn stratum(row: &BTreeMap<String, String>) -> String {
    format!("{}/{}", row["industry_section"], row["size_class"])
}

/// Credit codes of the accepted returns, from the dataset itself.
fn accepted(dataset: &Path) -> BTreeSet<String> {
    let responses = ParquetReader::new(std::fs::File::open(dataset.join("responses.parquet")).unwrap())
        .finish()
        .unwrap();
    let ids = responses.column("uscc").unwrap().str().unwrap().clone();
    ids.iter().flatten().map(normalise).collect()
}

/// The file of the first unresolved error of each enterprise in the dataset's rejects.
fn first_rejected_file(dataset: &Path) -> BTreeMap<String, String> {
    let mut first = BTreeMap::new();
    for line in std::fs::read_to_string(dataset.join("rejects.jsonl")).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let resolved = row["resolved_by"].as_str().is_some_and(|r| !r.is_empty());
        if row["severity"] != "error" || resolved {
            continue;
        }
        if let Some(id) = row["enterprise_id"].as_str() {
            first
                .entry(normalise(id))
                .or_insert_with(|| row["file"].as_str().unwrap().to_owned());
        }
    }
    first
}

fn cell(d: &Data) -> String {
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
        other => panic!("not a number: {other:?}"),
    }
}

/// The table of a sheet: its header and its rows, up to the first blank row.
fn table(path: &Path, sheet: &str, first_header: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap_or_else(|e| panic!("{sheet}: {e}"));
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let at = rows
        .iter()
        .position(|r| r.first().map(cell).as_deref() == Some(first_header))
        .unwrap_or_else(|| panic!("{sheet}: no header starting with {first_header}"));
    let header: Vec<String> = rows[at].iter().map(cell).filter(|h| !h.is_empty()).collect();
    let body = rows[at + 1..]
        .iter()
        .take_while(|r| r.first().is_some_and(|c| !cell(c).is_empty()))
        .cloned()
        .collect();
    (header, body)
}

fn all_text(path: &Path, sheet: &str) -> Vec<String> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().flatten().map(cell).collect()
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Size classes in the definition's order.
fn class_rank(class: &str) -> usize {
    let def = survey_def::load(&shipped()).unwrap();
    let classes: Vec<String> = def
        .design()
        .unwrap()
        .size_classes
        .iter()
        .map(|c| c.code.clone())
        .collect();
    classes.iter().position(|c| c == class).unwrap_or(classes.len())
}

/// One frame stratum as the progress sheet should show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Progress {
    population: u64,
    returns: u64,
    rejected: u64,
}

/// Each stratum's N_h, n_h and rejected enterprises, from the frame, the accepted codes
/// and the rejected ones.
fn progress(accepted: &BTreeSet<String>, rejected: &BTreeMap<String, String>) -> BTreeMap<String, Progress> {
    let mut strata: BTreeMap<String, Progress> = BTreeMap::new();
    for row in frame().1 {
        let p = strata.entry(stratum(&row)).or_default();
        let id = normalise(&row["enterprise_id"]);
        p.population += 1;
        if accepted.contains(&id) {
            p.returns += 1;
        } else if rejected.contains_key(&id) {
            p.rejected += 1;
        }
    }
    strata
}

/// Checks the progress sheet against `expected`, each stratum needing
/// `needed(N_h, n_h)` more returns, and returns the strata in the sheet's order.
fn check_progress(
    book: &Path,
    (sheet, first_header, total): (&str, &str, &str),
    expected: &BTreeMap<String, Progress>,
    target: f64,
    needed: impl Fn(u64, u64) -> u64,
) -> Vec<String> {
    let (header, rows) = table(book, sheet, first_header);
    assert_eq!(header.len(), 9, "{header:?}");
    let (strata, total_row) = rows.split_at(rows.len() - 1);
    assert_eq!(cell(&total_row[0][0]), total);
    assert_eq!(strata.len(), expected.len(), "one row per frame stratum");
    let mut order = Vec::new();
    let mut sums = [0u64; 4];
    for r in strata {
        let label = cell(&r[0]);
        let e = expected[&label];
        let got = (number(&r[3]) as u64, number(&r[4]) as u64);
        assert_eq!(got, (e.population, e.returns), "{label}: N_h, n_h");
        assert!(
            (number(&r[5]) - e.returns as f64 / e.population as f64).abs() < 1e-12,
            "{label}"
        );
        assert_eq!(number(&r[6]), target, "{label}");
        assert_eq!(number(&r[7]) as u64, needed(e.population, e.returns), "{label}: needed");
        assert_eq!(number(&r[8]) as u64, e.rejected, "{label}: rejected");
        sums[0] += e.population;
        sums[1] += e.returns;
        sums[2] += needed(e.population, e.returns);
        sums[3] += e.rejected;
        order.push(label);
    }
    let t = &total_row[0];
    assert_eq!(
        [t[3].clone(), t[4].clone(), t[7].clone(), t[8].clone()].map(|c| number(&c) as u64),
        sums
    );
    // Most returns needed first, then the lowest rate (n1/N1 < n2/N2 as whole numbers),
    // then section and size class in the definition's order.
    let key = |label: &str| {
        let e = expected[label];
        let (section, class) = label.split_once('/').unwrap();
        (
            needed(e.population, e.returns),
            e.returns,
            e.population,
            section.to_owned(),
            class_rank(class),
        )
    };
    for pair in order.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        let rate_order = (a.1 * b.2).cmp(&(b.1 * a.2));
        let in_order = a.0 > b.0
            || (a.0 == b.0 && rate_order.is_lt())
            || (a.0 == b.0 && rate_order.is_eq() && (&a.3, a.4) < (&b.3, b.4));
        assert!(in_order, "{} before {}", pair[0], pair[1]);
    }
    order
}

/// ceil(numerator / denominator) of whole numbers.
fn ceil_div(numerator: u64, denominator: u64) -> u64 {
    numerator.div_ceil(denominator)
}

#[test]
fn the_chase_list_names_every_frame_enterprise_without_an_accepted_return() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = ingest_sample(dir.path());
    let frame_arg = frame_path();
    let reports = analyze(
        dir.path(),
        &dataset,
        "reports",
        &["--frame", frame_arg.to_str().unwrap(), "--lang", "en"],
    );
    let book = reports.join("restricted/chase.xlsx");
    assert!(book.is_file());
    assert!(!reports.join("published/chase.xlsx").exists());

    let accepted = accepted(&dataset);
    let rejected = first_rejected_file(&dataset);
    let (frame_headers, frame_rows) = frame();
    let frame_ids: BTreeSet<String> = frame_rows.iter().map(|r| normalise(&r["enterprise_id"])).collect();
    let expected_ids: BTreeSet<String> = frame_ids.difference(&accepted).cloned().collect();
    assert!(expected_ids.len() > 100 && accepted.len() > 100);

    let (header, rows) = table(&book, "Chase list", "Enterprise id");
    let col = |name: &str| column(&header, name);
    let listed: Vec<String> = rows.iter().map(|r| normalise(&cell(&r[0]))).collect();
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "each enterprise once");
    assert_eq!(listed_set, expected_ids, "the frame less the accepted returns");

    // Every column of the frame the design does not read is there under its own name
    // (the name is the enterprise name column).
    for h in &frame_headers {
        if DESIGN_COLUMNS.contains(&h.as_str()) || h == "name" {
            continue;
        }
        col(h);
    }
    for h in [
        "Status",
        "First reason for rejection",
        "File",
        "Sub-district",
        "Stratum",
    ] {
        col(h);
    }

    // Statuses: rejected exactly where the rejects hold an unresolved error, with the
    // file of the first.
    let by_id: BTreeMap<&str, &Vec<Data>> = listed.iter().map(String::as_str).zip(&rows).collect();
    for (id, row) in &by_id {
        let status = cell(&row[col("Status")]);
        match rejected.get(*id) {
            Some(file) => {
                assert_eq!(status, "rejected", "{id}");
                assert_eq!(&cell(&row[col("File")]), file, "{id}");
            }
            None => {
                assert_eq!(status, "not received", "{id}");
                assert_eq!(cell(&row[col("File")]), "", "{id}");
            }
        }
    }
    let known = by_id[REJECTED];
    let reason = cell(&known[col("First reason for rejection")]);
    assert!(
        reason.starts_with("Employees before the Spring Festival") && reason.contains("-5"),
        "{reason}"
    );
    assert!(cell(&known[col("File")]).ends_with(&format!("{REJECTED}.xlsx")));
    let names: BTreeMap<String, String> = frame_rows
        .iter()
        .map(|r| (normalise(&r["enterprise_id"]), r["name"].clone()))
        .collect();
    assert_eq!(cell(&known[col("Enterprise name")]), names[REJECTED]);
    let quiet = by_id[NOT_RECEIVED];
    assert_eq!(cell(&quiet[col("Status")]), "not received");
    assert_eq!(cell(&quiet[col("Enterprise name")]), names[NOT_RECEIVED]);
    assert_eq!(cell(&quiet[col("First reason for rejection")]), "");

    // Progress, recomputed: at the default target of 50%, ceil(N_h / 2) - n_h more.
    let expected = progress(&accepted, &rejected);
    let order = check_progress(
        &book,
        ("Progress by stratum", "Stratum", "Total"),
        &expected,
        0.5,
        |n, r| ceil_div(n, 2).saturating_sub(r),
    );
    assert!(expected.values().any(|p| p.rejected > 0));
    assert!(expected.values().any(|p| ceil_div(p.population, 2) > p.returns));

    // The list follows the progress sheet's strata, then rejected before not received,
    // then credit code.
    let rank: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let keys: Vec<(usize, bool, &str)> = rows
        .iter()
        .zip(&listed)
        .map(|(r, id)| {
            (
                rank[cell(&r[col("Stratum")]).as_str()],
                cell(&r[col("Status")]) != "rejected",
                id.as_str(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "list order");
    // Each enterprise in its frame stratum.
    let strata: BTreeMap<String, String> = frame_rows
        .iter()
        .map(|r| (normalise(&r["enterprise_id"]), stratum(r)))
        .collect();
    for (id, row) in &by_id {
        assert_eq!(cell(&row[col("Stratum")]), strata[*id], "{id}");
    }

    // A workbook for officials, listed among the outputs, owner-only; the summary counts.
    let cover = all_text(&book, "Cover");
    assert!(cover.iter().any(|t| t.contains("For officials only")));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap();
    assert!(
        summary["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "restricted/chase.xlsx")
    );
    assert_eq!(summary["chase"]["enterprises_listed"], expected_ids.len() as u64);
    assert_eq!(
        summary["chase"]["rejected"],
        expected.values().map(|p| p.rejected).sum::<u64>()
    );
    assert_eq!(summary["chase"]["target_rate"], 0.5);
    let published = std::fs::read_to_string(reports.join("published/summary.json")).unwrap();
    assert!(!published.contains(REJECTED) && !published.contains(NOT_RECEIVED));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&book).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Same inputs, same bytes.
    let again = analyze(
        dir.path(),
        &dataset,
        "reports-again",
        &["--frame", frame_arg.to_str().unwrap(), "--lang", "en"],
    );
    assert!(std::fs::read(&book).unwrap() == std::fs::read(again.join("restricted/chase.xlsx")).unwrap());
}

#[test]
fn without_the_rejects_everyone_is_not_received_against_the_target_given() {
    let dir = tempfile::tempdir().unwrap();
    let full = ingest_sample(dir.path());
    // A dataset written before rejections were recorded: everything but rejects.jsonl,
    // sealed as such.
    let dataset = dir.path().join("older-dataset");
    std::fs::create_dir(&dataset).unwrap();
    for entry in std::fs::read_dir(&full).unwrap() {
        let entry = entry.unwrap();
        if !["rejects.jsonl", "manifest.json"].contains(&entry.file_name().to_str().unwrap()) {
            std::fs::copy(entry.path(), dataset.join(entry.file_name())).unwrap();
        }
    }
    survey_files::dataset::Manifest::seal(&dataset, Default::default()).unwrap();
    // The shipped frame with two more columns, an address and a remark, which the list
    // shows as they are and the estimates never read.
    let shipped_frame = std::fs::read_to_string(frame_path()).unwrap();
    let mut extended = String::new();
    for (i, line) in shipped_frame.lines().enumerate() {
        match i {
            0 => extended.push_str(&format!("{line},address,备注\n")),
            _ => extended.push_str(&format!(
                "{line},杨浦区示例路{i}号,{}\n",
                if i.is_multiple_of(2) { "=A1" } else { "" }
            )),
        }
    }
    let frame_arg = dir.path().join("frame-with-address.csv");
    std::fs::write(&frame_arg, extended).unwrap();
    let reports = analyze(
        dir.path(),
        &dataset,
        "reports",
        &[
            "--frame",
            frame_arg.to_str().unwrap(),
            "--target-rate",
            "0.35",
            "--lang",
            "zh",
        ],
    );
    let book = reports.join("restricted/chase.xlsx");
    let (header, rows) = table(&book, "催报名单", "统一社会信用代码");
    let status = column(&header, "状态");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| cell(&r[status]) == "未收到"));
    // The further columns come last, in the frame's order, each row with its own values;
    // text that looks like a formula stays text.
    let (address, remark) = (column(&header, "address"), column(&header, "备注"));
    assert_eq!((address, remark), (header.len() - 2, header.len() - 1), "{header:?}");
    let line_of: BTreeMap<String, usize> = frame()
        .1
        .iter()
        .enumerate()
        .map(|(i, r)| (normalise(&r["enterprise_id"]), i + 1))
        .collect();
    for r in &rows {
        let line = line_of[&normalise(&cell(&r[0]))];
        assert_eq!(cell(&r[address]), format!("杨浦区示例路{line}号"));
        assert_eq!(cell(&r[remark]), if line.is_multiple_of(2) { "=A1" } else { "" });
    }
    // The estimates are those of the shipped frame: the further columns are not read.
    let plain = analyze(
        dir.path(),
        &dataset,
        "reports-plain",
        &[
            "--frame",
            frame_path().to_str().unwrap(),
            "--target-rate",
            "0.35",
            "--lang",
            "zh",
        ],
    );
    for f in [
        "published/sector-demand.xlsx",
        "published/summary.json",
        "restricted/risk-flags.xlsx",
    ] {
        assert!(
            std::fs::read(reports.join(f)).unwrap() == std::fs::read(plain.join(f)).unwrap(),
            "{f} depends on columns the design does not read"
        );
    }
    assert!(all_text(&book, "催报名单").iter().any(|t| t.contains("rejects.jsonl")));

    // ceil(0.35 x N_h) = ceil(35 N_h / 100) - n_h more; nobody counted as rejected.
    let expected = progress(&accepted(&dataset), &BTreeMap::new());
    check_progress(&book, ("分层进度", "层", "合计"), &expected, 0.35, |n, r| {
        ceil_div(35 * n, 100).saturating_sub(r)
    });
    // A stratum of 10 with 3 returns needs ceil(3.5) - 3 = 1 more at 35%: the rounding up
    // is that of the sheet.
    assert!(all_text(&book, "分层进度").iter().any(|t| t.contains("35%")));
}

#[test]
fn without_a_frame_no_chase_list_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = ingest_sample(dir.path());
    let reports = analyze(dir.path(), &dataset, "reports", &["--lang", "en"]);
    assert!(reports.join("restricted/risk-flags.xlsx").is_file());
    assert!(!reports.join("restricted/chase.xlsx").exists());
    assert!(!reports.join("published/chase.xlsx").exists());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("published/summary.json")).unwrap()).unwrap();
    assert!(summary["chase"].is_null());
    let outputs = summary["outputs"].as_array().unwrap();
    assert!(
        outputs.iter().all(|o| !o.as_str().unwrap().contains("chase")),
        "{outputs:?}"
    );
}

#[test]
fn a_target_rate_that_is_not_a_share_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "analyze",
        shipped().to_str().unwrap(),
        dir.path().join("no-dataset").to_str().unwrap(),
        "-o",
        dir.path().join("reports").to_str().unwrap(),
        "--frame",
        frame_path().to_str().unwrap(),
        "--target-rate",
        "1.5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("target response rate") && stderr.contains("1.5"),
        "{stderr}"
    );
    assert!(!dir.path().join("reports").exists());
}
