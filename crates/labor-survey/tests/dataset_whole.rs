//! A dataset is complete or absent: ingest stages it beside its folder and puts it in
//! place whole, sealed with a manifest that analyze checks; an interrupted ingest leaves
//! the earlier dataset as it was, and its leftovers go with the next run.

mod common;

use common::{ingest_with, repo, run, shipped, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use survey_files::dataset::{MANIFEST_JSON, Manifest};
use survey_files::write::TEMP_PREFIX;

fn returns() -> PathBuf {
    repo().join("sample-data/returns")
}

fn analyze(dataset: &Path, reports: &Path) -> std::process::Output {
    run(&[
        "analyze",
        shipped().to_str().unwrap(),
        dataset.to_str().unwrap(),
        "-o",
        reports.to_str().unwrap(),
    ])
}

/// Names in `dir` that the tool uses for its temporary files and folders.
fn temporary_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(TEMP_PREFIX))
        .collect()
}

#[test]
fn an_interrupted_ingest_leaves_the_earlier_dataset_whole_and_the_next_run_clears_its_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("tmp");
    std::fs::create_dir(&spill).unwrap();
    let dataset = dir.path().join("dataset");
    // The earlier dataset: the JSON returns only.
    let out = ingest_with(&shipped(), &[&returns().join("json")], &dataset);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let earlier = Manifest::verify(&dataset).unwrap();
    assert!(!earlier.files.is_empty());

    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_labor-survey"))
            .args(["ingest", shipped().to_str().unwrap(), returns().to_str().unwrap()])
            .args(["-o", dataset.to_str().unwrap(), "--quiet"])
            .env("TMPDIR", &spill)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole run of every return takes on this build, to spread the kills over
    // reading, writing the Parquet files, the rejects and the swap. The whole run is timed
    // into another folder so the earlier dataset stays.
    let started = Instant::now();
    let out = ingest_with(&shipped(), &[&returns()], &dir.path().join("whole"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let whole = started.elapsed();
    let later = Manifest::verify(&dir.path().join("whole")).unwrap();
    assert_ne!(earlier.files, later.files);

    for fraction in [0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.9, 0.95, 0.98] {
        let mut child = spawn();
        std::thread::sleep(whole.mul_f64(fraction));
        let _ = child.kill();
        child.wait().unwrap();
        // Whatever the moment, the folder is one run's dataset, every file as its manifest
        // records: the earlier one, or (killed after the swap) the new one.
        let found = Manifest::verify(&dataset).unwrap_or_else(|e| panic!("killed at {fraction}: {e}"));
        if found.files == later.files {
            // Start again from the earlier dataset, so every kill meets one.
            let out = ingest_with(&shipped(), &[&returns().join("json")], &dataset);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        } else {
            assert_eq!(
                found.files, earlier.files,
                "killed at {fraction}: a dataset of neither run"
            );
        }
    }
    // The earlier dataset still analyses.
    let out = analyze(&dataset, &dir.path().join("reports"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Leave a killed run's staging folder and temporary file in place, as a kill at the
    // worst moment would (the process that made them is gone), then run once more: they
    // are removed, and folders that only look alike are not.
    let gone = 4_999_999u32;
    let staged = dir.path().join(format!("{TEMP_PREFIX}{gone}-abcdef"));
    std::fs::create_dir(&staged).unwrap();
    std::fs::write(staged.join(survey_files::write::TEMP_MARKER), b"").unwrap();
    std::fs::write(staged.join("responses.parquet"), b"half").unwrap();
    let half_file = dir.path().join(format!("{TEMP_PREFIX}{gone}-xyz.tmp"));
    std::fs::write(&half_file, b"half").unwrap();
    let spilled = spill.join(format!("{TEMP_PREFIX}{gone}-runs"));
    std::fs::create_dir(&spilled).unwrap();
    std::fs::write(spilled.join(survey_files::write::TEMP_MARKER), b"").unwrap();
    let someone_elses = dir.path().join(format!("{TEMP_PREFIX}{gone}-unmarked"));
    std::fs::create_dir(&someone_elses).unwrap();
    let status = spawn().wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(Manifest::verify(&dataset).unwrap().files, later.files);
    assert_eq!(
        temporary_entries(dir.path()),
        [someone_elses.file_name().unwrap().to_string_lossy().into_owned()],
        "only the unmarked folder is left"
    );
    assert!(temporary_entries(&spill).is_empty(), "{:?}", temporary_entries(&spill));
}

#[test]
fn analyze_refuses_files_that_do_not_belong_together() {
    let dir = tempfile::tempdir().unwrap();
    let (all, some) = (dir.path().join("all"), dir.path().join("some"));
    for (out, input) in [(&all, returns()), (&some, returns().join("json"))] {
        let o = ingest_with(&shipped(), &[&input], out);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let reports = dir.path().join("reports");

    // The mix an interrupted write used to leave: this run's responses beside another
    // run's vacancy lines.
    std::fs::copy(some.join("vacancies.parquet"), all.join("vacancies.parquet")).unwrap();
    let out = analyze(&all, &reports);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("vacancies.parquet does not belong to this dataset"),
        "{err}"
    );
    assert!(err.contains("ingest the returns again"), "{err}");
    assert!(
        !reports.join("published").exists(),
        "nothing is written from a mixed dataset"
    );

    // A file the manifest lists, gone.
    std::fs::remove_file(some.join("rejects.jsonl")).unwrap();
    let err = text(&analyze(&some, &reports).stderr);
    assert!(err.contains("lists rejects.jsonl, which is not in the folder"), "{err}");

    // A file no run of this dataset wrote.
    let o = ingest_with(&shipped(), &[&returns().join("json")], &some);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    std::fs::write(some.join("training.parquet"), b"PAR1").unwrap();
    let err = text(&analyze(&some, &reports).stderr);
    assert!(err.contains("training.parquet is not listed in manifest.json"), "{err}");

    // A folder written without a manifest (by hand, or by an older version).
    std::fs::remove_file(some.join("training.parquet")).unwrap();
    std::fs::remove_file(some.join(MANIFEST_JSON)).unwrap();
    let out = analyze(&some, &reports);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no manifest.json"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ingest_will_not_replace_a_folder_holding_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("work");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.docx"), b"mine").unwrap();
    let out = ingest_with(&shipped(), &[&returns().join("json")], &folder);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("notes.docx") && err.contains("replaced whole"), "{err}");
    assert_eq!(std::fs::read(folder.join("notes.docx")).unwrap(), b"mine");
    assert!(temporary_entries(dir.path()).is_empty());

    // An earlier dataset in it is replaced, with no file of it left behind.
    let dataset = dir.path().join("dataset");
    let o = ingest_with(&shipped(), &[&returns()], &dataset);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = ingest_with(&shipped(), &[&returns().join("json")], &dataset);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let manifest = Manifest::verify(&dataset).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dataset)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST_JSON)
        .collect();
    names.sort();
    assert_eq!(names, manifest.files.keys().cloned().collect::<Vec<_>>());
    assert!(temporary_entries(dir.path()).is_empty());
}
