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
    Accepted(AcceptedKey),
    Rejected,
}

/// What settling duplicates needs of an accepted return; its answers are already in the
/// file's columnar chunks (row `ordinal` of the file's accepted returns).
struct AcceptedKey {
    enterprise_id: String,
    /// Submission time, or the file's modification time where none is recorded.
    when: Option<i64>,
    /// Where in its file the return is.
    record: Record,
}

/// How reports name a record within its file, kept small: one is kept per accepted
/// return until the run ends, and most are a line of a JSON Lines file.
enum Record {
    /// A line of a file with one return a line.
    Line(u64),
    /// Any other place, as reports name it (`None`: the whole file).
    Named(Option<String>),
}

impl Record {
    fn of(loc: &Location) -> Record {
        match (&loc.sheet, loc.line) {
            (None, Some(line)) => Record::Line(line),
            _ => Record::Named(record(loc)),
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Record::Line(line) => Some(format!("line {line}")),
            Record::Named(name) => name.clone(),
        }
    }
}

struct FileResult {
    name: String,
    entries: Vec<Entry>,
    rejections: Vec<Rejection>,
    /// Accepted returns as columns, in order, a full chunk at a time.
    chunks: Vec<dataset::Chunk>,
    /// The accepted returns after the last full chunk: they join the returns of the
    /// following files in a shared chunk, so a folder of one-return workbooks is held as
    /// a few large chunks, not as one small table per file.
    leftover: Vec<CheckedReturn>,
    /// A chunk that could not be built (a polars error), to fail the run with.
    chunk_error: Option<String>,
}

/// Everything a run produced, before it is written.
pub struct Ingested {
    /// Counts and per-file status.
    pub summary: IngestSummary,
    /// Every problem, sorted by place.
    pub rejections: Vec<Rejection>,
    /// Accepted returns, one row each, sorted by enterprise id (`responses.parquet`).
    pub responses: polars::prelude::DataFrame,
    /// Rows of each repeating table in `Definition::tables()` order, sorted by enterprise
    /// id and row.
    pub tables: Vec<polars::prelude::DataFrame>,
}

/// Detailed problems kept per file; beyond it they are counted in one summary row, so a
/// small hostile file cannot fill memory (or the rejects workbook) with rejections.
pub const MAX_REJECTIONS_PER_FILE: usize = 10_000;

fn check_file(input: &Input, def: &Definition, validator: &Validator<'_>, limits: &Limits) -> FileResult {
    let mut sink = FileSink {
        def,
        validator,
        result: FileResult {
            name: input.name.clone(),
            entries: Vec::new(),
            rejections: Vec::new(),
            chunks: Vec::new(),
            leftover: Vec::new(),
            chunk_error: None,
        },
        unlisted: 0,
        batch: Vec::new(),
        pending: Vec::new(),
    };
    // A reader bug must cost one file, not the run: a panic becomes that file's rejection.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(&input.path, &input.name, def, limits, &mut |received| {
            sink.receive(received)
        });
        sink.flush_batch();
    }));
    if read.is_err() {
        sink.batch.clear();
        sink.result.entries.push(Entry::Rejected);
        sink.result.rejections.push(Rejection::file(
            Location::file(&input.name),
            crate::rejection::Rule::Damaged,
            "读取此文件时发生内部错误，文件其余内容未读取",
            "an internal error occurred while reading this file; the rest of it was not read",
        ));
    }
    let FileSink {
        mut result,
        unlisted,
        pending,
        ..
    } = sink;
    result.leftover = pending;
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

/// Returns read from a file but not yet checked: checked together, in parallel, so one
/// large JSON Lines file uses every core.
const VALIDATION_BATCH: usize = 256;
/// Accepted returns turned into columns at a time: a return's answers live as values
/// only until its chunk is built, so memory holds columns, not a million answer trees.
const CHUNK_ROWS: usize = 2048;

/// Collects one file's returns: checks them a batch at a time and keeps the accepted ones
/// as columnar chunks.
struct FileSink<'a, 'd> {
    def: &'a Definition,
    validator: &'a Validator<'d>,
    result: FileResult,
    unlisted: usize,
    batch: Vec<Received>,
    pending: Vec<CheckedReturn>,
}

impl FileSink<'_, '_> {
    fn receive(&mut self, received: Received) {
        self.batch.push(received);
        if self.batch.len() >= VALIDATION_BATCH {
            self.flush_batch();
        }
    }

    fn keep(&mut self, rejections: Vec<Rejection>) {
        for r in rejections {
            if self.result.rejections.len() < MAX_REJECTIONS_PER_FILE {
                self.result.rejections.push(r);
            } else {
                self.unlisted += 1;
            }
        }
    }

    fn flush_batch(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        let validator = self.validator;
        // Order is kept: results come back in the order the returns were read.
        let outcomes: Vec<(Option<CheckedReturn>, Vec<Rejection>)> = batch
            .into_par_iter()
            .map(|received| match received {
                Received::Return(raw) => {
                    let outcome = validator.check(&raw);
                    (outcome.checked, outcome.rejections)
                }
                Received::Unreadable { rejections, .. } => (None, rejections),
            })
            .collect();
        for (checked, rejections) in outcomes {
            self.keep(rejections);
            match checked {
                Some(c) => {
                    self.result.entries.push(Entry::Accepted(AcceptedKey {
                        enterprise_id: c.enterprise_id.clone(),
                        when: c.submitted_at.or(c.file_modified),
                        record: Record::of(&c.source),
                    }));
                    self.pending.push(c);
                    if self.pending.len() >= CHUNK_ROWS {
                        self.flush_chunk();
                    }
                }
                None => self.result.entries.push(Entry::Rejected),
            }
        }
    }

    fn flush_chunk(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        match dataset::Chunk::build(self.def, &pending) {
            Ok(chunk) => self.result.chunks.push(chunk),
            Err(e) => {
                self.result.chunk_error.get_or_insert(e.to_string());
            }
        }
    }
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

/// Files read in parallel between two hand-overs of their leftover returns to the
/// shared chunk: enough to keep every core busy, few enough that the returns waiting to
/// be turned into columns stay a small part of memory.
const FILES_PER_ROUND: usize = 256;

/// Accepted returns of every file as columns, in the order read (file by file, each
/// file's returns in order): full chunks of large files as they come, the leftovers of
/// files gathered into shared chunks.
struct Columns<'a> {
    def: &'a Definition,
    chunks: Vec<dataset::Chunk>,
    shared: Vec<CheckedReturn>,
    error: Option<(String, String)>,
}

impl Columns<'_> {
    /// Takes one file's accepted returns, which follow every return taken before.
    fn take(&mut self, result: &mut FileResult) {
        if let Some(message) = result.chunk_error.take() {
            self.error.get_or_insert((result.name.clone(), message));
        }
        if !result.chunks.is_empty() {
            // The shared returns were read before this file's: they go first.
            self.flush(&result.name);
            self.chunks.append(&mut result.chunks);
        }
        self.shared.append(&mut result.leftover);
        if self.shared.len() >= CHUNK_ROWS {
            self.flush(&result.name);
        }
    }

    fn flush(&mut self, file: &str) {
        if self.shared.is_empty() {
            return;
        }
        match dataset::Chunk::build(self.def, &self.shared) {
            Ok(chunk) => self.chunks.push(chunk),
            Err(e) => {
                self.error.get_or_insert((file.to_owned(), e.to_string()));
            }
        }
        self.shared.clear();
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
    let mut columns = Columns {
        def,
        chunks: Vec::new(),
        shared: Vec::new(),
        error: None,
    };
    let mut results: Vec<FileResult> = Vec::with_capacity(inputs.len());
    for round in inputs.chunks(FILES_PER_ROUND) {
        let mut read: Vec<FileResult> = pool.install(|| {
            round
                .par_iter()
                .map(|input| {
                    let r = check_file(input, def, &validator, &options.limits);
                    on_file_done();
                    r
                })
                .collect()
        });
        for result in &mut read {
            columns.take(result);
        }
        results.append(&mut read);
    }
    columns.flush(inputs.last().map_or("", |i| i.name.as_str()));
    if let Some((file, message)) = columns.error {
        return Err(IngestError::Write {
            path: PathBuf::from(file),
            message: format!("cannot hold the accepted returns as columns: {message}"),
        });
    }
    settle(def, results, columns.chunks)
}

/// Settles duplicates and counts: several accepted returns of one enterprise keep the
/// latest by submission time (file modification time where none is recorded; the later
/// file name breaks ties, so the choice never depends on thread timing).
fn settle(def: &Definition, results: Vec<FileResult>, chunks: Vec<dataset::Chunk>) -> Result<Ingested, IngestError> {
    let mut latest: HashMap<&str, (Option<i64>, &str, usize, usize)> = HashMap::new();
    for (f, result) in results.iter().enumerate() {
        for (e, entry) in result.entries.iter().enumerate() {
            if let Entry::Accepted(c) = entry {
                let key = (c.when, result.name.as_str(), f, e);
                let slot = latest.entry(c.enterprise_id.as_str()).or_insert(key);
                if key > *slot {
                    *slot = key;
                }
            }
        }
    }
    // Whether each accepted return, in the order read, is its enterprise's latest.
    let mut keep: Vec<bool> = Vec::new();
    let mut superseded_returns = Vec::new();
    let mut files = Vec::new();
    let mut rejections = Vec::new();
    let (mut n_received, mut n_accepted, mut n_rejected, mut n_superseded) = (0u64, 0u64, 0u64, 0u64);
    // Returns come from the file they are read from: the winner's file is its input's.
    let locate = |f: usize, e: usize| -> (String, Option<String>) {
        let Some(result) = results.get(f) else {
            return (String::new(), None);
        };
        match result.entries.get(e) {
            Some(Entry::Accepted(c)) => (result.name.clone(), c.record.text()),
            _ => (result.name.clone(), None),
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
                    let winner = &latest[c.enterprise_id.as_str()];
                    let wins = (winner.2, winner.3) == (f, e);
                    keep.push(wins);
                    if wins {
                        status.accepted += 1;
                    } else {
                        status.superseded += 1;
                        let (replaced_by, replaced_by_record) = locate(winner.2, winner.3);
                        superseded_returns.push(Superseded {
                            enterprise_id: c.enterprise_id.clone(),
                            file: result.name.clone(),
                            record: c.record.text(),
                            replaced_by,
                            replaced_by_record,
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
    drop(latest);
    drop(results);
    let (responses, tables) = dataset::settle_chunks(def, chunks, &keep).map_err(|e| IngestError::Write {
        path: PathBuf::from(dataset::RESPONSES_FILE),
        message: e.to_string(),
    })?;
    superseded_returns
        .sort_by(|a, b| (&a.enterprise_id, &a.file, &a.record).cmp(&(&b.enterprise_id, &b.file, &b.record)));
    let mut by_rule: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in &rejections {
        *by_rule.entry(r.rule.as_str()).or_default() += 1;
    }
    let warnings = rejections.iter().filter(|r| r.severity == Severity::Warning).count() as u64;
    Ok(Ingested {
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
        responses,
        tables,
    })
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
    let path = out_dir.join(dataset::RESPONSES_FILE);
    dataset::write_parquet(&mut ingested.responses.clone(), &path)?;
    for (table, frame) in def.tables().zip(&ingested.tables) {
        let path = out_dir.join(dataset::table_file(table.id()));
        dataset::write_parquet(&mut frame.clone(), &path)?;
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
