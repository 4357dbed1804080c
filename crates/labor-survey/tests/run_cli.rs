//! `labor-survey run` end to end on a copy of the shipped sample data: outputs and
//! `run.json`, gates and exit codes, located errors in the pipeline file, byte-identical
//! reruns, untouched inputs, and no partial file under a final name when a run is killed.

mod common;

use common::{repo, text};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Gates the sample data passes.
const PASSING_GATES: &str = "min_response_rate = 0.5\nmax_rejected_share = 0.10\nmax_headline_cv = 0.3\n";

/// Copies the sample data and the shipped definition into `dir/inputs` and writes a
/// pipeline there with relative paths and `output = "../out"`. Returns the pipeline file.
fn sample_pipeline(dir: &Path, previous: &str, gates: &str) -> PathBuf {
    let inputs = dir.join("inputs");
    for part in ["returns", "previous", "frame.csv"] {
        copy(&repo().join("sample-data").join(part), &inputs.join(part));
    }
    copy(
        &repo().join("survey-defs/spring-2024.toml"),
        &inputs.join("spring-2024.toml"),
    );
    let pipeline = inputs.join("pipeline.toml");
    let body = format!(
        "definition = \"spring-2024.toml\"\ninputs = [\"returns/\"]\nframe = \"frame.csv\"\n{previous}\noutput = \"../out\"\nlanguage = \"zh\"\n\n[gates]\n{gates}"
    );
    std::fs::write(&pipeline, body).unwrap();
    pipeline
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

const PREVIOUS_RETURNS: &str = "previous = { inputs = [\"previous/returns.jsonl\"] }";

fn run_pipeline(pipeline: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labor-survey"))
        .arg("run")
        .arg(pipeline)
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("the labor-survey binary runs")
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stderr_of(out: &Output) -> String {
    text(&out.stderr)
}

#[test]
fn a_passing_pipeline_writes_every_output_and_a_full_record() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, PASSING_GATES);
    let inputs = dir.path().join("inputs");
    let before = files(&inputs);

    let out = run_pipeline(&pipeline, &["--log-format", "json"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let o = dir.path().join("out");
    for f in [
        "dataset/responses.parquet",
        "dataset/vacancies.parquet",
        "dataset/ingest.json",
        "dataset/rejects.xlsx",
        "previous-dataset/responses.parquet",
        "reports/published/sector-demand.xlsx",
        "reports/restricted/risk-flags.xlsx",
        "reports/restricted/chase.xlsx",
        "reports/published/policy-reach.xlsx",
        "reports/published/summary.json",
        "run.json",
    ] {
        assert!(o.join(f).is_file(), "{f} missing; {stderr}");
    }

    // --log-format json: every line is one JSON object with level, step and message.
    assert!(!stderr.is_empty());
    for line in stderr.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        for key in ["level", "step", "message"] {
            assert!(v[key].is_string(), "{key} in {line}");
        }
    }
    assert!(!stderr.contains('\u{1b}'), "no colour in logs: {stderr}");

    let record = json(&o.join("run.json"));
    assert_eq!(record["status"], "passed");
    assert_eq!(record["labor_survey_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(record["language"], "zh");
    let summary = json(&o.join("reports/published/summary.json"));
    assert_eq!(record["definition"]["survey"], "yangpu-spring-2024");
    assert_eq!(
        record["definition"]["fingerprint"],
        summary["definition"]["fingerprint"]
    );

    // Counts agree with ingest's accounting and the analysis.
    let ingest = json(&o.join("dataset/ingest.json"));
    for key in ["received", "accepted", "rejected", "superseded"] {
        assert_eq!(record["counts"][key], ingest[key], "{key}");
    }
    assert_eq!(record["counts"]["in_estimates"], summary["counts"]["in_estimates"]);
    // The chase list measures the strata against the response-rate gate.
    assert_eq!(summary["chase"]["target_rate"], 0.5);
    assert_eq!(summary["chase"]["target_given"], true);

    // Every gate set is reported, in the order of the pipeline's gate list.
    let gates: Vec<&str> = record["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert_eq!(gates, ["min_response_rate", "max_rejected_share", "max_headline_cv"]);
    for g in record["gates"].as_array().unwrap() {
        assert_eq!(g["passed"], true, "{g}");
        assert!(g["threshold"].is_number() && g["observed"].is_number(), "{g}");
    }
    assert_eq!(record["gates"][0]["observed"], summary["counts"]["response_rate"]);
    assert_eq!(record["failed_gates"], serde_json::json!([]));

    // Every input is fingerprinted once, sorted by path relative to the pipeline's
    // folder, with the SHA-256 of its bytes: in the restricted manifest (sha256sum
    // format) one by one; in run.json, which is shared, the returns (named by credit
    // code) only as sets, each with the SHA-256 of its lines of the manifest.
    let role_of = |p: &str| match p {
        "pipeline.toml" => "pipeline",
        "spring-2024.toml" => "definition",
        "frame.csv" => "frame",
        p if p.starts_with("returns/") => "return",
        p if p.starts_with("previous/") => "previous-return",
        other => panic!("unexpected input {other}"),
    };
    let expected: BTreeMap<&str, &str> = before
        .keys()
        .filter(|p| !p.rsplit('/').next().unwrap().starts_with('.'))
        .map(|p| (p.as_str(), role_of(p)))
        .collect();
    let manifest_path = o.join("reports/restricted/inputs.sha256");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let manifest_lines: Vec<(&str, &str)> = manifest
        .lines()
        .map(|l| {
            let (hash, path) = l.split_once("  ").unwrap();
            (path, hash)
        })
        .collect();
    let paths: Vec<&str> = manifest_lines.iter().map(|(p, _)| *p).collect();
    assert_eq!(paths, expected.keys().copied().collect::<Vec<_>>(), "sorted, each once");
    for (path, hash) in &manifest_lines {
        assert_eq!(*hash, sha256(&before[*path]), "{path}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&manifest_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let listed = record["inputs"].as_array().unwrap();
    let got: BTreeMap<&str, &str> = listed
        .iter()
        .map(|i| (i["path"].as_str().unwrap(), i["role"].as_str().unwrap()))
        .collect();
    let named: BTreeMap<&str, &str> = expected
        .iter()
        .filter(|(_, role)| !role.ends_with("return"))
        .map(|(p, r)| (*p, *r))
        .collect();
    assert_eq!(got, named);
    for i in listed {
        let path = i["path"].as_str().unwrap();
        assert_eq!(i["sha256"], sha256(&before[path]), "{path}");
        assert_eq!(i["bytes"], before[path].len() as u64, "{path}");
    }
    let sets = record["returns"].as_array().unwrap();
    assert_eq!(sets.len(), 2, "{sets:?}");
    for set in sets {
        let role = set["role"].as_str().unwrap();
        let of_role: Vec<&(&str, &str)> = manifest_lines.iter().filter(|(p, _)| role_of(p) == role).collect();
        let lines: String = of_role.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
        assert_eq!(set["files"], of_role.len() as u64, "{role}");
        assert_eq!(
            set["bytes"],
            of_role.iter().map(|(p, _)| before[*p].len() as u64).sum::<u64>(),
            "{role}"
        );
        assert_eq!(set["manifest_sha256"], sha256(lines.as_bytes()), "{role}");
    }
    // Nothing in run.json names a return file.
    let record_text = std::fs::read_to_string(o.join("run.json")).unwrap();
    for (path, role) in &expected {
        if role.ends_with("return") {
            let file_name = path.rsplit('/').next().unwrap();
            assert!(!record_text.contains(file_name), "run.json names {path}");
        }
    }

    // The run only read its inputs.
    assert_eq!(files(&inputs), before, "inputs changed");
}

#[test]
fn reruns_on_the_same_inputs_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, PASSING_GATES);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for o in [&a, &b] {
        let out = run_pipeline(&pipeline, &["--out", o.to_str().unwrap(), "--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    }
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.contains_key("run.json") && fa.contains_key("reports/published/sector-demand.xlsx"));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between runs");
    }
    assert!(!dir.path().join("out").exists(), "--out replaces the pipeline's output");
}

#[test]
fn a_failing_gate_exits_1_names_it_and_still_writes_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let gates = "min_response_rate = 0.99\nmax_rejected_share = 0.5\n";
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, gates);
    let out = run_pipeline(&pipeline, &[]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("error") && l.contains("gate min_response_rate failed")),
        "{stderr}"
    );
    assert!(!stderr.contains("gate max_rejected_share failed"), "{stderr}");

    let o = dir.path().join("out");
    let record = json(&o.join("run.json"));
    assert_eq!(record["status"], "failed");
    assert_eq!(record["failed_gates"], serde_json::json!(["min_response_rate"]));
    assert_eq!(record["gates"][0]["gate"], "min_response_rate");
    assert_eq!(record["gates"][0]["passed"], false);
    assert_eq!(record["gates"][0]["threshold"], 0.99);
    assert_eq!(record["gates"][1]["passed"], true);
    for f in [
        "published/sector-demand.xlsx",
        "restricted/risk-flags.xlsx",
        "restricted/chase.xlsx",
        "published/policy-reach.xlsx",
        "published/summary.json",
    ] {
        assert!(o.join("reports").join(f).is_file(), "{f}");
    }
    // The stratum gate is the chase list's target when set, else the overall one.
    let summary = json(&o.join("reports/published/summary.json"));
    assert_eq!(summary["chase"]["target_rate"], 0.99);
}

#[test]
fn a_previous_dataset_folder_is_read_and_fingerprinted() {
    let dir = tempfile::tempdir().unwrap();
    let prev = dir.path().join("archive/previous-wave");
    let ingest = common::run(&[
        "ingest",
        repo().join("survey-defs/spring-2024.toml").to_str().unwrap(),
        repo().join("sample-data/previous").to_str().unwrap(),
        "-o",
        prev.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(ingest.status.code(), Some(0), "{}", text(&ingest.stderr));
    let gates = format!("{PASSING_GATES}fail_on_new_high_flags = true\n");
    let pipeline = sample_pipeline(
        dir.path(),
        "previous = { dataset = \"../archive/previous-wave\" }",
        &gates,
    );
    let out = run_pipeline(&pipeline, &[]);
    let stderr = stderr_of(&out);
    let o = dir.path().join("out");
    let record = json(&o.join("run.json"));
    let summary = json(&o.join("reports/published/summary.json"));

    // The gate reads the new high-severity flags of the analysis, counted by rule.
    let new_high: u64 = summary["risk"]["previous"]["new_flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["severity"] == "high")
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    let gate = record["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "fail_on_new_high_flags")
        .expect("the gate is reported");
    assert_eq!(gate["observed"], new_high);
    assert_eq!(gate["passed"], new_high == 0);
    assert_eq!(out.status.code(), Some(if new_high == 0 { 0 } else { 1 }), "{stderr}");
    assert!(!o.join("previous-dataset").exists());
    let dataset_files: Vec<&str> = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["role"] == "previous-dataset")
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(
        dataset_files.contains(&"../archive/previous-wave/responses.parquet"),
        "{dataset_files:?}"
    );
}

/// Writes `body` as a pipeline file and runs it; the run must not start.
fn broken(body: &str, extra: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(&pipeline, body).unwrap();
    let out = run_pipeline(&pipeline, extra);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !dir.path().join("out").exists(),
        "nothing is written for a broken pipeline"
    );
    (stderr, dir)
}

fn valid_head() -> String {
    let def = repo().join("survey-defs/spring-2024.toml");
    let returns = repo().join("sample-data/returns");
    format!(
        "definition = '{}'\ninputs = ['{}']\noutput = 'out'\n",
        def.display(),
        returns.display()
    )
}

#[test]
fn an_unknown_key_exits_2_with_line_and_column() {
    let body = format!("{}\n[gates]\nmax_rejected = 0.1\n", valid_head());
    let (stderr, dir) = broken(&body, &[]);
    let at = format!(
        "{}:6:1: unknown key `max_rejected` in `gates`",
        dir.path().join("pipeline.toml").display()
    );
    assert!(stderr.contains(&at), "{stderr}");
    assert!(stderr.contains("did you mean `max_rejected_share`?"), "{stderr}");
}

#[test]
fn a_toml_syntax_error_exits_2_with_line_and_column() {
    let body = format!("{}language = \"zh\n", valid_head());
    let (stderr, dir) = broken(&body, &[]);
    let at = format!("{}:4:", dir.path().join("pipeline.toml").display());
    assert!(stderr.contains(&at), "{stderr}");
}

#[test]
fn errors_are_json_lines_too() {
    let body = format!("{}\n[gates]\nmax_rejected = 0.1\n", valid_head());
    let (stderr, _) = broken(&body, &["--log-format", "json"]);
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines[0]["level"], "error");
    assert_eq!(lines[0]["step"], "pipeline");
    assert_eq!(
        (lines[0]["line"].as_u64(), lines[0]["column"].as_u64()),
        (Some(6), Some(1))
    );
}

#[test]
fn an_unreadable_definition_exits_2() {
    let body = valid_head().replace("spring-2024.toml", "no-such-definition.toml");
    let (stderr, _) = broken(&body, &[]);
    assert!(stderr.contains("no-such-definition.toml"), "{stderr}");
}

#[test]
fn an_output_inside_the_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, PASSING_GATES);
    let inputs = dir.path().join("inputs");
    let before = files(&inputs);
    let inside = inputs.join("returns/out");
    let out = run_pipeline(&pipeline, &["--out", inside.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("overlap"), "{}", stderr_of(&out));
    assert_eq!(files(&inputs), before);
}

/// Checks that a file under a final name is complete: it opens as what its name says.
fn assert_complete(name: &str, bytes: &[u8]) {
    let ext = name.rsplit('.').next().unwrap_or_default();
    match ext {
        "xlsx" => {
            use calamine::Reader;
            let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
            for sheet in book.sheet_names() {
                book.worksheet_range(&sheet)
                    .unwrap_or_else(|e| panic!("{name}!{sheet}: {e}"));
            }
        }
        "json" => {
            serde_json::from_slice::<serde_json::Value>(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        "jsonl" => {
            for line in text(bytes).lines() {
                serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        "csv" => {
            let mut reader = csv::Reader::from_reader(bytes);
            for record in reader.records() {
                record.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        "sha256" => {
            for line in text(bytes).lines() {
                let (hash, path) = line.split_once("  ").unwrap_or_else(|| panic!("{name}: {line}"));
                assert!(hash.len() == 64 && !path.is_empty(), "{name}: {line}");
            }
        }
        "parquet" => {
            use polars::prelude::{ParquetReader, SerReader};
            ParquetReader::new(Cursor::new(bytes))
                .finish()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // The cache: an entry's outcomes, and its accepted returns one after another.
        "meta" => {
            rmp_serde::from_slice::<serde_json::Value>(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        "returns" => {
            let mut reader = Cursor::new(bytes);
            while (reader.position() as usize) < bytes.len() {
                rmp_serde::from_read::<_, serde_json::Value>(&mut reader).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        _ => panic!("unexpected output {name}"),
    }
}

#[test]
fn a_killed_run_leaves_no_partial_file_under_a_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, PASSING_GATES);
    let spawn = |o: &Path| {
        Command::new(env!("CARGO_BIN_EXE_labor-survey"))
            .arg("run")
            .arg(&pipeline)
            .args(["--out", o.to_str().unwrap(), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // A whole run first: kills are spread over its length, so that they land in every
    // step (ingest, the report workbooks, run.json) whatever the build's speed.
    let started = Instant::now();
    let status = spawn(&dir.path().join("whole")).wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let whole = started.elapsed();
    let mut delays: Vec<Duration> = [50, 200, 500].map(Duration::from_millis).to_vec();
    delays.extend([0.4, 0.7, 0.85, 0.95, 0.99].map(|f| whole.mul_f64(f)));
    for (i, delay) in delays.into_iter().enumerate() {
        let o = dir.path().join(format!("killed-{i}"));
        let mut child = spawn(&o);
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        for (name, bytes) in files(&o) {
            if name.split('/').any(|part| part.starts_with('.')) {
                continue; // a temporary file or staging folder, never a final name
            }
            assert_complete(&name, &bytes);
        }
        if o.join("dataset").exists() {
            // The dataset is complete or absent.
            survey_files::dataset::Manifest::verify(&o.join("dataset")).unwrap_or_else(|e| panic!("killed-{i}: {e}"));
        }
        if o.join("run.json").exists() {
            // run.json is written last: with it, every output is there.
            for f in [
                "dataset/responses.parquet",
                "reports/published/summary.json",
                "reports/published/sector-demand.xlsx",
            ] {
                assert!(o.join(f).is_file(), "{f} missing beside run.json");
            }
        }
    }
}

/// Every file of two output folders, but `run.json` and the cache, byte for byte; and
/// `run.json` but the count of files read from the cache.
fn assert_same_outputs(full: &Path, incremental: &Path) {
    let keep = |m: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        m.into_iter()
            .filter(|(name, _)| name != "run.json" && !name.starts_with("cache/"))
            .collect()
    };
    let (a, b) = (keep(files(full)), keep(files(incremental)));
    assert!(a.contains_key("dataset/responses.parquet") && a.contains_key("reports/restricted/risk-flags.xlsx"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between the full and the incremental run"
        );
    }
    let (mut ra, mut rb) = (json(&full.join("run.json")), json(&incremental.join("run.json")));
    for r in [&mut ra, &mut rb] {
        r.as_object_mut().unwrap().remove("input_files");
    }
    assert_eq!(ra, rb);
}

/// The `input_files` counts of a run: new, changed, unchanged, removed, read.
fn file_counts(out: &Path) -> [u64; 5] {
    let record = json(&out.join("run.json"));
    ["new", "changed", "unchanged", "removed", "read"].map(|k| record["input_files"][k].as_u64().unwrap())
}

#[test]
fn an_incremental_run_reads_only_new_and_changed_files_and_writes_what_a_full_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), PREVIOUS_RETURNS, PASSING_GATES);
    let returns = dir.path().join("inputs/returns");
    let (weekly, full) = (dir.path().join("weekly"), dir.path().join("full"));
    let weekly_run = |extra: &[&str]| {
        let mut args = vec!["--out", weekly.to_str().unwrap(), "--log-format", "json"];
        args.extend(extra);
        let out = run_pipeline(&pipeline, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stderr_of(&out)
    };
    let full_run = || {
        let _ = std::fs::remove_dir_all(&full);
        let out = run_pipeline(&pipeline, &["--out", full.to_str().unwrap(), "--quiet", "--full"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    };
    let n_files = files(&returns).len() as u64;

    // First run: every file is new and read.
    weekly_run(&[]);
    assert_eq!(file_counts(&weekly), [n_files, 0, 0, 0, n_files]);
    // Nothing changed: nothing is read, and the outputs are the full run's.
    let log = weekly_run(&[]);
    assert_eq!(file_counts(&weekly), [0, 0, n_files, 0, 0]);
    assert!(log.contains("\"files_read\":0"), "{log}");
    full_run();
    assert_same_outputs(&full, &weekly);

    // A week of returns: one corrected, one withdrawn, one new.
    let json_dir = returns.join("json");
    let mut listed: Vec<PathBuf> = std::fs::read_dir(&json_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    listed.sort();
    let corrected = &listed[0];
    let mut ret: serde_json::Value = serde_json::from_slice(&std::fs::read(corrected).unwrap()).unwrap();
    ret["answers"]["planned_hires"] = serde_json::json!(ret["answers"]["planned_hires"].as_u64().unwrap_or(0) + 5);
    std::fs::write(corrected, serde_json::to_vec_pretty(&ret).unwrap()).unwrap();
    std::fs::remove_file(&listed[1]).unwrap();
    let new = common::valid_json_return(&common::credit_code(9_001), "2024-03-01T10:00:00+08:00");
    std::fs::write(
        json_dir.join("new-return.json"),
        serde_json::to_vec_pretty(&new).unwrap(),
    )
    .unwrap();
    weekly_run(&[]);
    assert_eq!(file_counts(&weekly), [1, 1, n_files - 2, 1, 2]);
    full_run();
    assert_same_outputs(&full, &weekly);
    let ingest = json(&weekly.join("dataset/ingest.json"));
    assert!(
        ingest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"].as_str().unwrap().ends_with("new-return.json")),
        "the new return is read"
    );

    // --full reads everything again.
    weekly_run(&["--full"]);
    assert_eq!(file_counts(&weekly)[4], n_files);
}

#[test]
fn a_damaged_or_foreign_cache_is_discarded_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = sample_pipeline(dir.path(), "", PASSING_GATES);
    let weekly = dir.path().join("weekly");
    let full = dir.path().join("full");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec!["--out", out.to_str().unwrap(), "--quiet"];
        args.extend(extra);
        let out = run_pipeline(&pipeline, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stderr_of(&out)
    };
    run(&full, &["--full"]);
    run(&weekly, &[]);
    let cache = weekly.join("cache/dataset");
    let n_files = files(&dir.path().join("inputs/returns")).len() as u64;

    // One entry's returns damaged: that file is read again, the rest come from the cache.
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "returns") && std::fs::metadata(p).unwrap().len() > 0)
        .collect();
    entries.sort();
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entries[0], bytes).unwrap();
    let log = run(&weekly, &[]);
    assert!(log.contains("are damaged: read again"), "{log}");
    assert_eq!(file_counts(&weekly), [0, 0, n_files, 0, 1]);
    assert_same_outputs(&full, &weekly);

    // A damaged index: the whole cache is discarded.
    std::fs::write(cache.join("index.json"), b"{ not json").unwrap();
    let log = run(&weekly, &[]);
    assert!(log.contains("is damaged") && log.contains("not used"), "{log}");
    assert_eq!(file_counts(&weekly), [n_files, 0, 0, 0, n_files]);
    assert_same_outputs(&full, &weekly);

    // A cache made under another definition (a range edited: the answer contract is the
    // same, the checks are not) is not used.
    let definition = dir.path().join("inputs/spring-2024.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replacen("layoff_persons = 20", "layoff_persons = 21", 1),
    )
    .unwrap();
    let log = run(&weekly, &[]);
    assert!(log.contains("made by another version or definition"), "{log}");
    assert_eq!(file_counts(&weekly)[4], n_files);
}
