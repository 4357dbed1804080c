//! Python's usual Excel readers on the same workbooks (`bench/peers/read_peers.py`), each
//! in its own process, when python3 and the packages are there.

use crate::BenchError;
use crate::child;
use crate::report::StageRow;
use crate::stage::Measured;
use serde::Deserialize;
use std::path::Path;
use std::process::Command;

/// The script, carried in the binary so that `bench` runs from any folder.
const SCRIPT: &str = include_str!("../../../bench/peers/read_peers.py");

/// File name of the script in the work folder.
const SCRIPT_FILE: &str = "read_peers.py";

/// Readers of the script: its name for them, the stage id, and the label.
const READERS: [(&str, &str, &str); 3] = [
    ("openpyxl", "peer-openpyxl", "xlsx peer: pandas + openpyxl, 1 thread"),
    (
        "pandas-calamine",
        "peer-pandas-calamine",
        "xlsx peer: pandas engine=calamine, 1 thread",
    ),
    (
        "python-calamine",
        "peer-python-calamine",
        "xlsx peer: python-calamine, 1 thread",
    ),
];

/// The Python interpreter run.
const PYTHON: &str = "python3";

/// What the script prints for one reader.
#[derive(Debug, Deserialize)]
struct PeerResult {
    files: u64,
    bytes: u64,
    seconds: f64,
    valid: u64,
    invalid: u64,
    versions: std::collections::BTreeMap<String, String>,
}

/// Why the peers cannot run here, if they cannot.
pub(crate) fn unavailable() -> Option<String> {
    let probe = Command::new(PYTHON)
        .args(["-c", "import pandas, openpyxl, python_calamine"])
        .output();
    match probe {
        Err(e) => Some(format!("skipped: {PYTHON} cannot be started ({e})")),
        Ok(out) if !out.status.success() => {
            let why = String::from_utf8_lossy(&out.stderr);
            let last = why.lines().last().unwrap_or("import failed").trim().to_owned();
            Some(format!(
                "skipped: {last}; install them with `pip install -r bench/peers/requirements.txt`"
            ))
        }
        Ok(_) => None,
    }
}

/// Runs each reader on the workbooks of `folder` with the checks in `checks`. Gives the
/// rows and a note naming the package versions and how many workbooks passed.
pub(crate) fn run(work: &Path, checks: &Path, folder: &Path) -> Result<(Vec<StageRow>, String), BenchError> {
    let script = work.join(SCRIPT_FILE);
    std::fs::write(&script, SCRIPT).map_err(|source| BenchError::Io {
        path: script.clone(),
        source,
    })?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (reader, id, label) in READERS {
        let mut command = Command::new(PYTHON);
        command
            .arg(&script)
            .arg(checks)
            .arg(folder)
            .args(["--reader", reader, "--json"]);
        let done = child::run(command, label)?;
        let result: PeerResult = serde_json::from_str(done.stdout.trim()).map_err(|e| BenchError::Child {
            what: label.to_owned(),
            message: format!("unexpected output ({e}): {}", done.stdout.trim()),
        })?;
        let measured = Measured {
            returns: result.files,
            bytes: result.bytes,
            seconds: result.seconds,
        };
        rows.push(StageRow::new(id, label.to_owned(), 1, &measured, done.peak_rss));
        let versions: Vec<String> = result.versions.iter().map(|(p, v)| format!("{p} {v}")).collect();
        notes.push(format!(
            "{reader} ({}): {} passed the checks, {} did not",
            versions.join(", "),
            result.valid,
            result.invalid
        ));
    }
    Ok((rows, notes.join("; ")))
}
