//! What `ingest` finds in the folders it is given, provoked as it happens on a shared
//! drive: FIFOs and dangling links among the returns, hidden folders, a file opening with
//! pages of blank space, a file with more problems than are listed.

mod common;

use common::*;
use std::path::Path;

fn ingest(inputs: &[&Path], out: &Path) -> std::process::Output {
    ingest_with(&shipped(), inputs, out)
}

fn write_return(path: &Path, n: u32) {
    let ret = valid_json_return(&credit_code(n), "2024-02-20T09:00:00+08:00");
    std::fs::write(path, serde_json::to_vec_pretty(&ret).unwrap()).unwrap();
}

#[cfg(unix)]
#[test]
fn fifos_and_dangling_links_are_counted_rejections_and_hidden_folders_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir_all(returns.join(".sync/old")).unwrap();
    write_return(&returns.join("a.json"), 501);
    // Returns in a hidden folder (a sync tool's), and a hidden file: not inputs.
    write_return(&returns.join(".sync/old/b.json"), 502);
    write_return(&returns.join(".c.json"), 503);
    // A JSON return opening with 100 KiB of blank space (an editor's padding).
    let ret = valid_json_return(&credit_code(504), "2024-02-20T09:00:00+08:00");
    let mut padded = vec![b' '; 100 * 1024];
    padded.extend(b"\n\n");
    padded.extend(serde_json::to_vec(&ret).unwrap());
    std::fs::write(returns.join("padded.json"), padded).unwrap();
    // A FIFO: opening it would wait for a writer forever.
    let fifo = returns.join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // A link to a file that is gone.
    std::os::unix::fs::symlink(dir.path().join("gone.json"), returns.join("gone.json")).unwrap();

    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let output = ingest(&[&returns], &out);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "no hang");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let summary = ingest_summary(&out);
    let (received, accepted, rejected, _) = assert_accounted(&summary);
    assert_eq!((received, accepted, rejected), (4, 2, 2), "{summary:#}");
    let rows = rejects(&out);
    let rule_of = |file: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("no rejection of {file}: {rows:#?}"))["rule"]
            .clone()
    };
    assert_eq!(rule_of("pipe.json"), "not-a-file");
    assert_eq!(rule_of("gone.json"), "unreadable");
    let prefix = format!("{}/", returns.display());
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().strip_prefix(prefix.as_str()).unwrap())
        .collect();
    assert_eq!(
        files,
        ["a.json", "gone.json", "padded.json", "pipe.json"],
        "hidden entries are not read"
    );
}

/// Past the listing cap a file's problems are still counted, each under its own rule.
#[test]
fn problems_past_the_listing_cap_are_counted_under_their_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.jsonl");
    let returns = 6_000u32;
    let mut lines = String::new();
    for n in 0..returns {
        let mut ret = valid_json_return(&credit_code(10_000 + n), "2024-02-20T09:00:00+08:00");
        ret["answers"]["employees_now"] = serde_json::json!(-1);
        ret["answers"]["operating_status"] = serde_json::json!("bankrupt");
        lines.push_str(&serde_json::to_string(&ret).unwrap());
        lines.push('\n');
    }
    std::fs::write(&path, lines).unwrap();
    let out = dir.path().join("out");
    let output = ingest(&[&path], &out);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let summary = ingest_summary(&out);
    let (_, _, rejected, _) = assert_accounted(&summary);
    assert_eq!(rejected, u64::from(returns));
    let by_rule = &summary["rejections_by_rule"];
    assert_eq!(by_rule["out-of-range"], u64::from(returns), "{by_rule:#}");
    assert_eq!(by_rule["unknown-code"], u64::from(returns), "{by_rule:#}");
    assert!(
        by_rule.get("not-listed").is_none() && by_rule.get("too-large").is_none(),
        "{by_rule:#}"
    );
    // The listing is capped, with a note saying how many more there are.
    let rows = rejects(&out);
    assert!(rows.len() <= 10_001, "{}", rows.len());
    let note = rows.iter().find(|r| r["rule"] == "not-listed").expect("a note");
    let listed = rows.iter().filter(|r| r["rule"] != "not-listed").count() as u64;
    let said: u64 = note["message_en"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        listed + said >= 2 * u64::from(returns),
        "listed {listed} + not listed {said}"
    );
}

/// An output folder inside an input folder would be read back by the next run: refused,
/// as `run` refuses it, before anything is read or written.
#[test]
fn an_output_folder_inside_the_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let returns = dir.path().join("returns");
    std::fs::create_dir(&returns).unwrap();
    write_return(&returns.join("a.json"), 601);
    for out in [returns.join("out"), returns.clone(), dir.path().to_owned()] {
        let output = ingest(&[&returns], &out);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("overlap"), "{}", text(&output.stderr));
    }
    assert!(!returns.join("out").exists(), "nothing written");
    let output = ingest(&[&returns], &dir.path().join("elsewhere"));
    assert!(output.status.success(), "{}", text(&output.stderr));
}
