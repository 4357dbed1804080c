//! The ingest run: find the input files, read and check them in parallel, settle
//! duplicate returns, and write the dataset and the reports.

use crate::dataset;
use crate::limits::Limits;
use crate::raw::Received;
use crate::read::read_file;
use crate::rejection::{Location, Rejection, Severity};
use crate::report::{self, DefinitionInfo, FileStatus, IngestSummary, Superseded};
use crate::validate::{CheckedReturn, Validator};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use survey_def::Definition;

/// Why an ingest run could not complete (as opposed to a return being rejected).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An input path given on the command line does not exist or cannot be listed.
    #[error("input {}: {message}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An output could not be written.
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The output.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// One input file and the name reports use for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// How reports name it (the path as found from the command line).
    pub name: String,
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Size and count limits.
    pub limits: Limits,
    /// Worker threads; all cores when `None`.
    pub jobs: Option<usize>,
}

/// Lists the files named by `inputs`: files as given, folders walked recursively
/// (hidden files and Excel lock files `~$…` skipped), sorted so runs are repeatable.
pub fn collect_inputs(inputs: &[PathBuf]) -> Result<Vec<Input>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| IngestError::Input {
            path: input.clone(),
            message: e.to_string(),
        })?;
        if meta.is_file() {
            out.push(Input {
                path: input.clone(),
                name: input.display().to_string(),
            });
            continue;
        }
        for entry in walkdir::WalkDir::new(input).follow_links(true).sort_by_file_name() {
            let entry = entry.map_err(|e| IngestError::Input {
                path: input.clone(),
                message: e.to_string(),
            })?;
            let name = entry.file_name().to_string_lossy();
            if entry.depth() > 0 && (name.starts_with('.') || name.starts_with("~$")) {
                continue;
            }
            if entry.file_type().is_file() {
                out.push(Input {
                    path: entry.path().to_owned(),
                    name: entry.path().display().to_string(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What became of one received return.
enum Entry {
    Accepted(Box<CheckedReturn>),
    Rejected,
}

struct FileResult {
    name: String,
    entries: Vec<Entry>,
    rejections: Vec<Rejection>,
}

/// Everything a run produced, before it is written.
pub struct Ingested {
    /// Counts and per-file status.
    pub summary: IngestSummary,
    /// Every problem, sorted by place.
    pub rejections: Vec<Rejection>,
    /// Accepted returns, sorted by enterprise id.
    pub accepted: Vec<CheckedReturn>,
}

/// Detailed problems kept per file; beyond it they are counted in one summary row, so a
/// small hostile file cannot fill memory (or the rejects workbook) with rejections.
pub const MAX_REJECTIONS_PER_FILE: usize = 10_000;

fn check_file(input: &Input, def: &Definition, validator: &Validator<'_>, limits: &Limits) -> FileResult {
    let mut result = FileResult {
        name: input.name.clone(),
        entries: Vec::new(),
        rejections: Vec::new(),
    };
    let mut unlisted = 0usize;
    let mut keep = |result: &mut FileResult, rejections: Vec<Rejection>| {
        for r in rejections {
            if result.rejections.len() < MAX_REJECTIONS_PER_FILE {
                result.rejections.push(r);
            } else {
                unlisted += 1;
            }
        }
    };
    // A reader bug must cost one file, not the run: a panic becomes that file's rejection.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(&input.path, &input.name, def, limits, &mut |received| match received {
            Received::Return(raw) => {
                let outcome = validator.check(&raw);
                keep(&mut result, outcome.rejections);
                result.entries.push(match outcome.checked {
                    Some(c) => Entry::Accepted(Box::new(c)),
                    None => Entry::Rejected,
                });
            }
            Received::Unreadable { rejections, .. } => {
                keep(&mut result, rejections);
                result.entries.push(Entry::Rejected);
            }
        })
    }));
    if read.is_err() {
        result.entries.push(Entry::Rejected);
        result.rejections.push(Rejection::file(
            Location::file(&input.name),
            crate::rejection::Rule::Damaged,
            "读取此文件时发生内部错误，文件其余内容未读取",
            "an internal error occurred while reading this file; the rest of it was not read",
        ));
    }
    if unlisted > 0 {
        result.rejections.push(Rejection::file(
            Location::file(&input.name),
            crate::rejection::Rule::TooLarge,
            format!("此文件另有 {unlisted} 个问题未逐条列出"),
            format!("{unlisted} further problems in this file are not listed one by one"),
        ));
    }
    result
}

/// How a record within a file is named in reports.
fn record(loc: &Location) -> Option<String> {
    match (&loc.sheet, loc.line, &loc.json_path) {
        (Some(sheet), Some(line), _) => Some(format!("{sheet}!{line}")),
        (None, Some(line), _) => Some(format!("line {line}")),
        (_, None, Some(path)) if path != "$" => Some(path.clone()),
        _ => None,
    }
}

/// Reads and checks every input; `on_file_done` is called once per file (for progress).
pub fn ingest(
    def: &Definition,
    inputs: &[Input],
    options: &Options,
    on_file_done: &(dyn Fn() + Sync),
) -> Result<Ingested, IngestError> {
    let validator = Validator::new(def, options.limits.max_text_chars);
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = options.jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    let pool = builder.build().map_err(|e| IngestError::Threads(e.to_string()))?;
    let results: Vec<FileResult> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| {
                let r = check_file(input, def, &validator, &options.limits);
                on_file_done();
                r
            })
            .collect()
    });
    Ok(settle(def, results))
}

/// Settles duplicates and counts: several accepted returns of one enterprise keep the
/// latest by submission time (file modification time where none is recorded; the later
/// file name breaks ties, so the choice never depends on thread timing).
fn settle(def: &Definition, results: Vec<FileResult>) -> Ingested {
    let mut latest: HashMap<String, (Option<i64>, String, usize, usize)> = HashMap::new();
    for (f, result) in results.iter().enumerate() {
        for (e, entry) in result.entries.iter().enumerate() {
            if let Entry::Accepted(c) = entry {
                let key = (c.submitted_at.or(c.file_modified), result.name.clone(), f, e);
                let slot = latest.entry(c.enterprise_id.clone()).or_insert(key.clone());
                if (key.0, &key.1, key.2, key.3) > (slot.0, &slot.1, slot.2, slot.3) {
                    *slot = key;
                }
            }
        }
    }
    let mut accepted = Vec::new();
    let mut superseded_returns = Vec::new();
    let mut files = Vec::new();
    let mut rejections = Vec::new();
    let (mut n_received, mut n_accepted, mut n_rejected, mut n_superseded) = (0u64, 0u64, 0u64, 0u64);
    let locate = |f: usize, e: usize| -> Option<Location> {
        match results.get(f)?.entries.get(e)? {
            Entry::Accepted(c) => Some(c.source.clone()),
            Entry::Rejected => None,
        }
    };
    for (f, result) in results.iter().enumerate() {
        let mut status = FileStatus {
            file: result.name.clone(),
            status: "",
            received: 0,
            accepted: 0,
            rejected: 0,
            superseded: 0,
        };
        for (e, entry) in result.entries.iter().enumerate() {
            status.received += 1;
            match entry {
                Entry::Rejected => status.rejected += 1,
                Entry::Accepted(c) => {
                    let winner = &latest[&c.enterprise_id];
                    if (winner.2, winner.3) == (f, e) {
                        status.accepted += 1;
                        accepted.push((**c).clone());
                    } else {
                        status.superseded += 1;
                        let by = locate(winner.2, winner.3).unwrap_or_default();
                        superseded_returns.push(Superseded {
                            enterprise_id: c.enterprise_id.clone(),
                            file: result.name.clone(),
                            record: record(&c.source),
                            replaced_by: by.file.clone(),
                            replaced_by_record: record(&by),
                        });
                    }
                }
            }
        }
        status.status = match (status.accepted, status.rejected, status.superseded) {
            (_, 0, 0) if status.accepted > 0 => "accepted",
            (0, r, 0) if r > 0 => "rejected",
            (0, 0, s) if s > 0 => "superseded",
            (0, 0, 0) => "empty",
            _ => "partial",
        };
        n_received += status.received;
        n_accepted += status.accepted;
        n_rejected += status.rejected;
        n_superseded += status.superseded;
        rejections.extend(result.rejections.iter().cloned());
        files.push(status);
    }
    rejections.sort_by(|a, b| (&a.location, &a.question, a.rule).cmp(&(&b.location, &b.question, b.rule)));
    accepted.sort_by(|a, b| a.enterprise_id.cmp(&b.enterprise_id));
    superseded_returns
        .sort_by(|a, b| (&a.enterprise_id, &a.file, &a.record).cmp(&(&b.enterprise_id, &b.file, &b.record)));
    let mut by_rule: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in &rejections {
        *by_rule.entry(r.rule.as_str()).or_default() += 1;
    }
    let warnings = rejections.iter().filter(|r| r.severity == Severity::Warning).count() as u64;
    Ingested {
        summary: IngestSummary {
            received: n_received,
            accepted: n_accepted,
            rejected: n_rejected,
            superseded: n_superseded,
            warnings,
            definition: DefinitionInfo::of(def),
            rejections_by_rule: by_rule,
            files,
            superseded_returns,
        },
        rejections,
        accepted,
    }
}

/// Names of the files written to the output folder.
pub mod files {
    /// The accounting.
    pub const INGEST_JSON: &str = "ingest.json";
    /// Problems, one JSON object a line.
    pub const REJECTS_JSONL: &str = "rejects.jsonl";
    /// Problems as a workbook.
    pub const REJECTS_XLSX: &str = "rejects.xlsx";
}

/// Writes the dataset and the reports into `out_dir`.
pub fn write_outputs(def: &Definition, ingested: &Ingested, out_dir: &Path) -> Result<(), IngestError> {
    std::fs::create_dir_all(out_dir).map_err(|e| IngestError::Write {
        path: out_dir.to_owned(),
        message: e.to_string(),
    })?;
    let polars_err = |path: &Path| {
        let path = path.to_owned();
        move |e: polars::prelude::PolarsError| IngestError::Write {
            path: path.clone(),
            message: e.to_string(),
        }
    };
    let path = out_dir.join(dataset::RESPONSES_FILE);
    let mut frame = dataset::responses_frame(def, &ingested.accepted).map_err(polars_err(&path))?;
    dataset::write_parquet(&mut frame, &path)?;
    for (t, table) in def.tables().enumerate() {
        let path = out_dir.join(dataset::table_file(table.id()));
        let mut frame = dataset::table_frame(def, t, table, &ingested.accepted).map_err(polars_err(&path))?;
        dataset::write_parquet(&mut frame, &path)?;
    }
    let path = out_dir.join(files::REJECTS_JSONL);
    crate::output::write_atomically(&path, &report::rejects_jsonl(&ingested.rejections))?;
    let path = out_dir.join(files::REJECTS_XLSX);
    let workbook =
        report::rejects_workbook(def, &ingested.summary, &ingested.rejections).map_err(|e| IngestError::Write {
            path: path.clone(),
            message: e.to_string(),
        })?;
    crate::output::write_atomically(&path, &workbook)?;
    let path = out_dir.join(files::INGEST_JSON);
    let mut json = serde_json::to_vec_pretty(&ingested.summary).map_err(|e| IngestError::Write {
        path: path.clone(),
        message: e.to_string(),
    })?;
    json.push(b'\n');
    crate::output::write_atomically(&path, &json)?;
    Ok(())
}
