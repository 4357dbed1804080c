//! The ingest run: find the input files, read and check them in parallel, settle
//! duplicate returns, and write the dataset and the reports.

use crate::cache::{self, Cache, Change, FileChanges, FileKey};
use crate::dataset;
use crate::limits::Limits;
use crate::raw::Received;
use crate::read::read_file;
use crate::rejection::{Location, Rejection, Severity};
use crate::report;
use crate::validate::{CheckedReturn, Validator};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use survey_def::Definition;
use survey_files::dataset::{
    FileOutcome, FileStatus, INGEST_JSON, IngestSummary, REJECTS_JSONL, REJECTS_XLSX, Superseded,
};

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
    /// Why the entry cannot be read at all, when walking a folder found so (a dangling
    /// link, a folder that cannot be listed): it is a rejection of its own, counted.
    pub problem: Option<String>,
}

impl Input {
    /// A file to read, named by its path.
    pub fn file(path: PathBuf) -> Input {
        Input {
            name: path.display().to_string(),
            path,
            problem: None,
        }
    }
}

/// Options of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Size and count limits.
    pub limits: Limits,
    /// Worker threads; all cores when `None`.
    pub jobs: Option<usize>,
}

/// Whether a name found in a folder is left out: hidden files and folders (`.…`, which
/// include the tool's own temporary files) and Excel lock files (`~$…`).
fn left_out(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name.starts_with("~$")
}

/// Lists the files named by `inputs`: files as given, folders walked recursively (hidden
/// files and folders and Excel lock files skipped), sorted so runs are repeatable. Every
/// entry found is listed, whatever it is — a FIFO or device becomes a rejection when
/// read, never a hang — and an entry that cannot be reached (a dangling link, a folder
/// that cannot be listed) is listed with its problem, so it is counted and the run goes
/// on. Only an input given here that does not exist stops the run.
pub fn collect_inputs(inputs: &[PathBuf]) -> Result<Vec<Input>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| IngestError::Input {
            path: input.clone(),
            message: e.to_string(),
        })?;
        if !meta.is_dir() {
            out.push(Input::file(input.clone()));
            continue;
        }
        let walk = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !left_out(e.file_name()));
        for entry in walk {
            match entry {
                Ok(entry) if entry.file_type().is_dir() => {}
                Ok(entry) => out.push(Input::file(entry.path().to_owned())),
                Err(e) => {
                    let path = e.path().map_or_else(|| input.clone(), Path::to_owned);
                    if path.file_name().is_some_and(left_out) {
                        continue;
                    }
                    let mut unreachable = Input::file(path);
                    unreachable.problem = Some(e.to_string());
                    out.push(unreachable);
                }
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// What became of one received return.
#[derive(serde::Serialize, serde::Deserialize)]
enum Entry {
    Accepted(AcceptedKey),
    Rejected(Option<RejectedKey>),
}

/// What resolving a rejected return by a later accepted one needs: its enterprise (when
/// its id was valid), when it was sent, where it is, and which of its file's kept
/// problems are its own.
#[derive(serde::Serialize, serde::Deserialize)]
struct RejectedKey {
    enterprise_id: String,
    /// Submission time, or the file's modification time where none is recorded.
    when: Option<i64>,
    record: Record,
    /// Its problems among the file's kept ones.
    rejections: std::ops::Range<usize>,
}

/// What checking one return gave, for its file to keep.
struct Checked {
    /// Its key when accepted.
    accepted: Option<AcceptedKey>,
    /// Its enterprise and time when rejected with a valid enterprise id.
    rejected_from: Option<(String, Option<i64>, Record)>,
    /// Its problems.
    rejections: Vec<Rejection>,
}

/// What settling duplicates needs of an accepted return; its answers are already in the
/// file's columnar chunks (row `ordinal` of the file's accepted returns).
#[derive(serde::Serialize, serde::Deserialize)]
struct AcceptedKey {
    enterprise_id: String,
    /// Submission time, or the file's modification time where none is recorded.
    when: Option<i64>,
    /// Where in its file the return is.
    record: Record,
}

/// How reports name a record within its file, kept small: one is kept per accepted
/// return until the run ends, and most are a line of a JSON Lines file.
#[derive(serde::Serialize, serde::Deserialize)]
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
    /// Problems past [`MAX_REJECTIONS_PER_FILE`] by rule: (errors, warnings).
    unlisted: BTreeMap<crate::rejection::Rule, (u64, u64)>,
    /// Why the file's result could not be kept in the cache.
    cache_warning: Option<String>,
}

/// Everything a run produced, before it is written.
pub struct Ingested {
    /// Counts and per-file status.
    pub summary: IngestSummary,
    /// Every problem, sorted by place.
    pub rejections: Vec<Rejection>,
    /// Files read one at a time, after the others, because beside them they would not
    /// have fit the memory budget (`Limits::max_memory`).
    pub read_alone: usize,
    /// Accepted returns, held on disk in sorted runs until [`write_outputs`] writes them.
    accepted: dataset::Spill,
    /// Per file, whether each of its accepted returns (in the order read) is its
    /// enterprise's latest, and so goes into the dataset.
    keep: Vec<Vec<bool>>,
}

/// Detailed problems kept per file; beyond it they are counted in one summary row, so a
/// small hostile file cannot fill memory (or the rejects workbook) with rejections.
pub const MAX_REJECTIONS_PER_FILE: usize = 10_000;

fn check_file(
    (file, input): (usize, &Input),
    validator: &Validator<'_>,
    accepted: &Accepted<'_>,
    limits: &Limits,
    recorder: Option<cache::Recorder>,
) -> FileResult {
    let mut sink = FileSink {
        recorder,
        file,
        validator,
        accepted,
        result: FileResult {
            name: input.name.clone(),
            entries: Vec::new(),
            rejections: Vec::new(),
            unlisted: BTreeMap::new(),
            cache_warning: None,
        },
        unlisted: BTreeMap::new(),
        batch: Vec::new(),
        batch_bytes: 0,
        taken: 0,
    };
    if let Some(problem) = &input.problem {
        sink.result.entries.push(Entry::Rejected(None));
        sink.result.rejections.push(Rejection::file(
            Location::file(&input.name),
            crate::rejection::Rule::Unreadable,
            format!("无法读取：{problem}"),
            format!("cannot be read: {problem}"),
        ));
        return sink.result;
    }
    let def = accepted.def;
    // A reader bug must cost one file, not the run: a panic becomes that file's rejection.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(&input.path, &input.name, def, limits, &mut |received| {
            sink.receive(received)
        });
        sink.flush_batch();
    }));
    if read.is_err() {
        sink.batch.clear();
        sink.result.entries.push(Entry::Rejected(None));
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
        recorder,
        ..
    } = sink;
    let not_listed: u64 = unlisted.values().map(|(errors, warnings)| errors + warnings).sum();
    if not_listed > 0 {
        // A note, counted under no rule: the problems it stands for are counted under
        // their own (`unlisted`), however many there are.
        let mut note = Rejection::file(
            Location::file(&input.name),
            crate::rejection::Rule::NotListed,
            format!("此文件另有 {not_listed} 个问题未逐条列出"),
            format!("{not_listed} further problems in this file are not listed one by one"),
        );
        note.severity = Severity::Warning;
        result.rejections.push(note);
    }
    result.unlisted = unlisted;
    // A file whose reading failed inside is read again next time, not kept.
    if let Some(recorder) = recorder
        && read.is_ok()
        && let Err(e) = recorder.finish(&result.entries, &result.rejections, &result.unlisted)
    {
        result.cache_warning = Some(format!("cannot keep a file's result in the cache: {e}"));
    }
    result
}

/// A file's result from the cache: its outcomes and problems as they were, and its
/// accepted returns handed to the run's [`Accepted`] as a read would hand them.
fn replay_file(
    file: usize,
    name: &str,
    entry: cache::Entry<Entry>,
    mut returns: cache::CachedReturns,
    accepted: &Accepted<'_>,
) -> Result<FileResult, String> {
    let mut taken = 0u32;
    loop {
        let mut batch = Vec::with_capacity(CHUNK_ROWS);
        while batch.len() < CHUNK_ROWS {
            match returns.next_return()? {
                Some(r) => {
                    batch.push((r, dataset::Origin::new(file, taken)));
                    taken += 1;
                }
                None => break,
            }
        }
        let done = batch.len() < CHUNK_ROWS;
        accepted.take(batch, name);
        if done {
            break;
        }
    }
    let expected = entry.entries.iter().filter(|e| matches!(e, Entry::Accepted(_))).count();
    if expected != taken as usize {
        return Err(format!("{taken} returns kept for {expected} accepted"));
    }
    Ok(FileResult {
        name: name.to_owned(),
        entries: entry.entries,
        rejections: entry.rejections,
        unlisted: entry.unlisted,
        cache_warning: None,
    })
}

/// Returns read from a file but not yet checked: checked together, in parallel, so one
/// large JSON Lines file uses every core.
const VALIDATION_BATCH: usize = 2048;
/// Returns a worker checks at a time within a batch.
const GROUP_RETURNS: usize = 256;
/// Accepted returns of a group from which the worker also builds their columns; fewer
/// (a workbook holds one return) are gathered with other files' into shared chunks.
const MIN_GROUP_CHUNK: usize = 64;
/// Accepted returns turned into columns at a time: a return's answers live as values
/// only until its chunk is built, so memory holds columns, not a million answer trees.
const CHUNK_ROWS: usize = 2048;

/// Collects one file's returns: checks them a batch at a time and hands the accepted
/// ones to the run's [`Accepted`].
struct FileSink<'a, 'd> {
    /// Keeps the file's result in the cache, when the run has one.
    recorder: Option<cache::Recorder>,
    /// Index of the file among the inputs.
    file: usize,
    validator: &'a Validator<'d>,
    accepted: &'a Accepted<'a>,
    result: FileResult,
    /// Problems past [`MAX_REJECTIONS_PER_FILE`], counted by rule (errors and warnings).
    unlisted: BTreeMap<crate::rejection::Rule, (u64, u64)>,
    batch: Vec<Received>,
    /// About how many bytes the returns of `batch` hold.
    batch_bytes: usize,
    /// Accepted returns of this file handed over so far.
    taken: u32,
}

/// A group of returns as a worker checked them, in the order read.
struct CheckedGroup {
    /// Per return, in the order read.
    outcomes: Vec<Checked>,
    /// The accepted returns encoded for the cache, when it keeps them (and how many).
    encoded: Option<(Result<Vec<u8>, String>, u64)>,
    /// The accepted returns, as columns or as they are.
    accepted: GroupColumns,
}

enum GroupColumns {
    /// Built by the worker (or why they could not be).
    Built(polars::prelude::PolarsResult<dataset::Chunk>),
    /// Too few to build alone: gathered with other files' returns.
    Returns(Vec<CheckedReturn>),
}

fn check_group(validator: &Validator<'_>, group: Vec<Received>, min_chunk: usize, encode: bool) -> CheckedGroup {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut returns = Vec::new();
    for received in group {
        match received {
            Received::Return(raw) => {
                let outcome = validator.check(&raw);
                let accepted = outcome.checked.as_ref().map(|c| AcceptedKey {
                    enterprise_id: c.enterprise_id.clone(),
                    when: c.submitted_at.or(c.file_modified),
                    record: Record::of(&c.source),
                });
                let rejected_from = outcome
                    .rejected_from
                    .map(|(id, when)| (id, when, Record::of(&raw.source)));
                returns.extend(outcome.checked);
                outcomes.push(Checked {
                    accepted,
                    rejected_from,
                    rejections: outcome.rejections,
                });
            }
            Received::Unreadable { rejections, .. } => outcomes.push(Checked {
                accepted: None,
                rejected_from: None,
                rejections,
            }),
        }
    }
    let encoded = encode.then(|| {
        let mut bytes = Vec::new();
        let written = returns.iter().try_for_each(|r| cache::encode(r, &mut bytes));
        (written.map(|()| bytes), returns.len() as u64)
    });
    let accepted = if returns.len() >= min_chunk {
        GroupColumns::Built(dataset::Chunk::build(validator.definition(), &returns))
    } else {
        GroupColumns::Returns(returns)
    };
    CheckedGroup {
        outcomes,
        encoded,
        accepted,
    }
}

impl FileSink<'_, '_> {
    fn receive(&mut self, received: Received) {
        if let Received::Return(raw) = &received {
            self.batch_bytes += raw.approx_bytes();
        }
        self.batch.push(received);
        if self.batch.len() >= VALIDATION_BATCH || self.batch_bytes >= crate::raw::BATCH_BYTES {
            self.flush_batch();
        }
    }

    fn keep(&mut self, rejections: Vec<Rejection>) {
        for r in rejections {
            if self.result.rejections.len() < MAX_REJECTIONS_PER_FILE {
                self.result.rejections.push(r);
            } else {
                let count = self.unlisted.entry(r.rule).or_default();
                match r.severity {
                    Severity::Error => count.0 += 1,
                    Severity::Warning => count.1 += 1,
                }
            }
        }
    }

    fn flush_batch(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let validator = self.validator;
        let encode = self.recorder.is_some();
        // Workers check a group each and build its columns; order is kept: groups come
        // back in the order their returns were read.
        let groups: Vec<CheckedGroup> = batch
            .into_par_iter()
            .chunks(GROUP_RETURNS)
            .map(|group| check_group(validator, group, self.accepted.min_group_chunk, encode))
            .collect();
        let mut gathered = Vec::new();
        for group in groups {
            if let Some((encoded, count)) = group.encoded {
                let kept = encoded.map_err(std::io::Error::other).and_then(|bytes| {
                    self.recorder
                        .as_mut()
                        .map_or(Ok(()), |recorder| recorder.returns(&bytes, count))
                });
                if let Err(e) = kept {
                    // The file is read normally; only its cache entry is given up.
                    self.recorder = None;
                    self.result.cache_warning = Some(format!("cannot keep a file's result in the cache: {e}"));
                }
            }
            let mut origins = Vec::new();
            for checked in group.outcomes {
                let first = self.result.rejections.len();
                self.keep(checked.rejections);
                let kept = first..self.result.rejections.len();
                match checked.accepted {
                    Some(key) => {
                        self.result.entries.push(Entry::Accepted(key));
                        origins.push(dataset::Origin::new(self.file, self.taken));
                        self.taken += 1;
                    }
                    None => self.result.entries.push(Entry::Rejected(checked.rejected_from.map(
                        |(enterprise_id, when, record)| RejectedKey {
                            enterprise_id,
                            when,
                            record,
                            rejections: kept,
                        },
                    ))),
                }
            }
            match group.accepted {
                GroupColumns::Built(chunk) => self.accepted.take_chunk(chunk, origins, &self.result.name),
                GroupColumns::Returns(returns) => gathered.extend(returns.into_iter().zip(origins)),
            }
        }
        self.accepted.take(gathered, &self.result.name);
    }
}

/// Accepted returns of the whole run, handed over by the files as they are read (in any
/// order: each carries its [`dataset::Origin`], and the dataset is sorted by enterprise
/// id in the end). They are turned into columns [`CHUNK_ROWS`] at a time, so a folder of
/// one-return workbooks is held as a few large chunks, and the chunks go to the
/// [`dataset::Spill`], which keeps memory bounded.
struct Accepted<'d> {
    def: &'d Definition,
    /// Accepted returns of a group from which its worker builds their columns
    /// ([`MIN_GROUP_CHUNK`] but in tests).
    min_group_chunk: usize,
    state: std::sync::Mutex<AcceptedState>,
}

struct AcceptedState {
    returns: Vec<(CheckedReturn, dataset::Origin)>,
    spill: dataset::Spill,
    /// The first failure to build or spill columns (file, message): fails the run.
    error: Option<(String, String)>,
}

impl Accepted<'_> {
    /// Fails the run: `message` about `file`.
    fn fail(&self, file: &str, message: String) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.error.get_or_insert((file.to_owned(), message));
    }

    fn take(&self, mut returns: Vec<(CheckedReturn, dataset::Origin)>, file: &str) {
        if returns.is_empty() {
            return;
        }
        // A worker that panicked while holding the lock left whole returns only.
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.returns.append(&mut returns);
        while state.returns.len() >= CHUNK_ROWS {
            let rest = state.returns.split_off(CHUNK_ROWS);
            let full = std::mem::replace(&mut state.returns, rest);
            state.push(self.def, full, file);
        }
    }

    /// Takes columns a worker built, with the origin of each row.
    fn take_chunk(
        &self,
        chunk: polars::prelude::PolarsResult<dataset::Chunk>,
        origins: Vec<dataset::Origin>,
        file: &str,
    ) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let pushed = chunk.and_then(|chunk| state.spill.push(self.def, chunk, origins));
        if let Err(e) = pushed {
            state.error.get_or_insert((file.to_owned(), e.to_string()));
        }
    }

    /// Turns the returns still waiting into columns and spills every chunk: the run's
    /// accepted returns, ready to be written, or why they cannot be.
    fn finish(self) -> Result<dataset::Spill, IngestError> {
        let mut state = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let waiting = std::mem::take(&mut state.returns);
        state.push(self.def, waiting, "");
        if let Err(e) = state.spill.finish(self.def) {
            state.error.get_or_insert((String::new(), e.to_string()));
        }
        match state.error {
            Some((file, message)) => Err(IngestError::Write {
                path: PathBuf::from(file),
                message: format!("cannot hold the accepted returns as columns: {message}"),
            }),
            None => Ok(state.spill),
        }
    }
}

impl AcceptedState {
    fn push(&mut self, def: &Definition, returns: Vec<(CheckedReturn, dataset::Origin)>, file: &str) {
        if returns.is_empty() {
            return;
        }
        let (returns, origins): (Vec<CheckedReturn>, Vec<dataset::Origin>) = returns.into_iter().unzip();
        let pushed = dataset::Chunk::build(def, &returns).and_then(|chunk| self.spill.push(def, chunk, origins));
        if let Err(e) = pushed {
            self.error.get_or_insert((file.to_owned(), e.to_string()));
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

/// Reads and checks every input; `on_file_done` is called once per file (for progress).
pub fn ingest(
    def: &Definition,
    inputs: &[Input],
    options: &Options,
    on_file_done: &(dyn Fn() + Sync),
) -> Result<Ingested, IngestError> {
    let spill = dataset::Spill::new().map_err(|e| IngestError::Write {
        path: std::env::temp_dir(),
        message: format!("cannot create a temporary folder for the accepted returns: {e}"),
    })?;
    ingest_into(def, inputs, options, on_file_done, spill, MIN_GROUP_CHUNK, None).map(|(run, _)| run)
}

/// [`ingest`] with a cache: files the cache holds as they are now are not read again,
/// and what the others give is kept for the next run. The result is the one [`ingest`]
/// gives; the cache's view of the files (new, changed, unchanged, removed) comes with it,
/// and [`Cache::warnings`] says what of the cache was not used.
pub fn ingest_cached(
    def: &Definition,
    inputs: &[Input],
    options: &Options,
    cache: &Cache,
    on_file_done: &(dyn Fn() + Sync),
) -> Result<(Ingested, FileChanges), IngestError> {
    let spill = dataset::Spill::new().map_err(|e| IngestError::Write {
        path: std::env::temp_dir(),
        message: format!("cannot create a temporary folder for the accepted returns: {e}"),
    })?;
    ingest_into(def, inputs, options, on_file_done, spill, MIN_GROUP_CHUNK, Some(cache))
}

/// One file through the cache: replayed when it holds the file as it is now, read (and
/// recorded) otherwise. Returns the result, the file's key when it could be hashed, how
/// it compares with the cache, and whether it was read.
fn cached_file(
    (file, input): (usize, &Input),
    validator: &Validator<'_>,
    accepted: &Accepted<'_>,
    limits: &Limits,
    cache: &Cache,
) -> (FileResult, Option<FileKey>, Change, bool) {
    let key = FileKey::of(&input.path).ok();
    let change = cache.classify(&input.name, key.as_ref());
    if let Some(key) = &key
        && change == Change::Unchanged
        && let Some((entry, returns)) = cache.load::<Entry>(input, key)
    {
        // Returns handed over before a damaged entry stops would be counted twice if
        // the file were read after them: a replay that fails fails the run instead.
        match replay_file(file, &input.name, entry, returns, accepted) {
            Ok(result) => return (result, Some(key.clone()), change, false),
            Err(e) => {
                accepted.fail(
                    &input.name,
                    format!("the cache entry of this file is damaged ({e}); run again with --full"),
                );
                let result = FileResult {
                    name: input.name.clone(),
                    entries: Vec::new(),
                    rejections: Vec::new(),
                    unlisted: BTreeMap::new(),
                    cache_warning: None,
                };
                return (result, None, change, false);
            }
        }
    }
    let recorder = key.as_ref().and_then(|k| cache.record(input, k).ok());
    let result = check_file((file, input), validator, accepted, limits, recorder);
    (result, key, change, true)
}

fn ingest_into(
    def: &Definition,
    inputs: &[Input],
    options: &Options,
    on_file_done: &(dyn Fn() + Sync),
    spill: dataset::Spill,
    min_group_chunk: usize,
    cache: Option<&Cache>,
) -> Result<(Ingested, FileChanges), IngestError> {
    let validator = Validator::new(def, options.limits.max_text_chars);
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = options.jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    let pool = builder.build().map_err(|e| IngestError::Threads(e.to_string()))?;
    let accepted = Accepted {
        def,
        min_group_chunk,
        state: std::sync::Mutex::new(AcceptedState {
            returns: Vec::new(),
            spill,
            error: None,
        }),
    };
    let mut changes = FileChanges::default();
    // Files read side by side stay within the memory budget; larger ones are read one at
    // a time after them (each still with every thread for its own returns).
    let threads = pool.current_num_threads();
    let needs: Vec<u64> = pool.install(|| {
        inputs
            .par_iter()
            .map(|i| {
                if i.problem.is_some() {
                    0
                } else {
                    crate::memory::need_of(&i.path, &options.limits)
                }
            })
            .collect()
    });
    let schedule = crate::memory::schedule(&needs, threads, crate::memory::per_file(options.limits.max_memory));
    let results: Vec<FileResult> = match cache {
        None => read_scheduled(&pool, &schedule, inputs, on_file_done, |input| {
            check_file(input, &validator, &accepted, &options.limits, None)
        }),
        Some(cache) => {
            let files: Vec<(FileResult, Option<FileKey>, Change, bool)> =
                read_scheduled(&pool, &schedule, inputs, on_file_done, |input| {
                    cached_file(input, &validator, &accepted, &options.limits, cache)
                });
            let names: std::collections::BTreeSet<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            changes.removed = cache.removed(&names);
            let mut keys = Vec::new();
            let mut results = Vec::with_capacity(files.len());
            for (mut result, key, change, read) in files {
                match change {
                    Change::New => changes.new += 1,
                    Change::Changed => changes.changed += 1,
                    Change::Unchanged => changes.unchanged += 1,
                }
                changes.read += u64::from(read);
                if let Some(warning) = result.cache_warning.take() {
                    cache.warn(warning);
                }
                if let Some(key) = key {
                    keys.push((result.name.clone(), key));
                }
                results.push(result);
            }
            if let Err(e) = cache.finish(&keys) {
                cache.warn(format!("cannot write the cache index: {e}"));
            }
            results
        }
    };
    let mut run = settle(def, results, accepted.finish()?)?;
    run.read_alone = schedule.alone.len();
    Ok((run, changes))
}

/// Reads the files as `schedule` says (those together in parallel, then the others one at
/// a time), giving each file's result in input order.
fn read_scheduled<T: Send>(
    pool: &rayon::ThreadPool,
    schedule: &crate::memory::Schedule,
    inputs: &[Input],
    on_file_done: &(dyn Fn() + Sync),
    each: impl Fn((usize, &Input)) -> T + Sync,
) -> Vec<T> {
    let mut done: Vec<(usize, T)> = pool.install(|| {
        schedule
            .together
            .par_iter()
            .map(|&i| {
                let r = each((i, &inputs[i]));
                on_file_done();
                (i, r)
            })
            .collect()
    });
    for &i in &schedule.alone {
        let r = pool.install(|| each((i, &inputs[i])));
        on_file_done();
        done.push((i, r));
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Settles duplicates and counts: several accepted returns of one enterprise keep the
/// latest by submission time (file modification time where none is recorded; the later
/// file name breaks ties, so the choice never depends on thread timing). A rejected
/// return followed by a later accepted one of the same enterprise was corrected: it is
/// superseded, and its problems are marked resolved by the return that replaced it.
fn settle(def: &Definition, results: Vec<FileResult>, accepted: dataset::Spill) -> Result<Ingested, IngestError> {
    let mut latest: FxHashMap<&str, (Option<i64>, &str, usize, usize)> = FxHashMap::default();
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
    // keep[f][k]: whether the k-th accepted return of file f is its enterprise's latest.
    let mut keep: Vec<Vec<bool>> = Vec::with_capacity(results.len());
    let mut superseded_returns = Vec::new();
    let mut files = Vec::new();
    let mut rejections = Vec::new();
    let mut unlisted: BTreeMap<crate::rejection::Rule, (u64, u64)> = BTreeMap::new();
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
            status: FileOutcome::Empty,
            received: 0,
            accepted: 0,
            rejected: 0,
            superseded: 0,
        };
        let mut kept = Vec::new();
        let mut own_rejections = result.rejections.clone();
        for (e, entry) in result.entries.iter().enumerate() {
            status.received += 1;
            match entry {
                Entry::Rejected(None) => status.rejected += 1,
                Entry::Rejected(Some(r)) => {
                    let corrected = latest
                        .get(r.enterprise_id.as_str())
                        .filter(|winner| **winner > (r.when, result.name.as_str(), f, e));
                    let Some(winner) = corrected else {
                        status.rejected += 1;
                        continue;
                    };
                    status.superseded += 1;
                    let (replaced_by, replaced_by_record) = locate(winner.2, winner.3);
                    for problem in &mut own_rejections[r.rejections.clone()] {
                        problem.resolved_by = Some(replaced_by.clone());
                    }
                    superseded_returns.push(Superseded {
                        enterprise_id: r.enterprise_id.clone(),
                        file: result.name.clone(),
                        record: r.record.text(),
                        replaced_by,
                        replaced_by_record,
                    });
                }
                Entry::Accepted(c) => {
                    let winner = &latest[c.enterprise_id.as_str()];
                    let wins = (winner.2, winner.3) == (f, e);
                    kept.push(wins);
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
        keep.push(kept);
        status.status = FileOutcome::of(status.accepted, status.rejected, status.superseded);
        n_received += status.received;
        n_accepted += status.accepted;
        n_rejected += status.rejected;
        n_superseded += status.superseded;
        rejections.extend(own_rejections);
        for (rule, (errors, warnings)) in &result.unlisted {
            let count = unlisted.entry(*rule).or_insert((0, 0));
            count.0 += errors;
            count.1 += warnings;
        }
        files.push(status);
    }
    rejections.sort_by(|a, b| (&a.location, &a.question, a.rule).cmp(&(&b.location, &b.question, b.rule)));
    drop(latest);
    drop(results);
    superseded_returns
        .sort_by(|a, b| (&a.enterprise_id, &a.file, &a.record).cmp(&(&b.enterprise_id, &b.file, &b.record)));
    // Problems a later return resolved are listed (marked) but no longer counted.
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let listed = |r: &&Rejection| r.rule != crate::rejection::Rule::NotListed;
    for r in rejections.iter().filter(listed).filter(|r| r.resolved_by.is_none()) {
        *by_rule.entry(r.rule.as_str().to_owned()).or_default() += 1;
    }
    let mut warnings = rejections
        .iter()
        .filter(listed)
        .filter(|r| r.severity == Severity::Warning)
        .count() as u64;
    for (rule, (errors, unlisted_warnings)) in unlisted {
        *by_rule.entry(rule.as_str().to_owned()).or_default() += errors + unlisted_warnings;
        warnings += unlisted_warnings;
    }
    Ok(Ingested {
        read_alone: 0,
        summary: IngestSummary {
            received: n_received,
            accepted: n_accepted,
            rejected: n_rejected,
            superseded: n_superseded,
            warnings,
            definition: report::definition_info(def),
            rejections_by_rule: by_rule,
            files,
            superseded_returns,
        },
        rejections,
        accepted,
        keep,
    })
}

/// Writes the dataset and the reports as the folder `out_dir`, whole: everything is
/// written into a temporary folder beside it, sealed with a `manifest.json` of every
/// file's size and SHA-256, and then put in place of `out_dir` in one step. Until then an
/// earlier dataset there stays as it was; a run that fails or is killed leaves it so, and
/// its temporary folder is removed (by this run, or by the next one if it was killed).
///
/// Since the folder is replaced, `out_dir` must hold nothing but an earlier dataset: a
/// folder with other files in it is refused rather than emptied.
pub fn write_outputs(def: &Definition, ingested: &Ingested, out_dir: &Path) -> Result<(), IngestError> {
    let failed = |path: &Path, e: &dyn std::fmt::Display| IngestError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let Some(name) = out_dir.file_name() else {
        return Err(failed(
            out_dir,
            &"name a folder for the dataset (it is replaced whole on every run)",
        ));
    };
    let foreign = survey_files::dataset::foreign_files(out_dir).map_err(|e| failed(out_dir, &e))?;
    if !foreign.is_empty() {
        let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
        return Err(failed(
            out_dir,
            &format!(
                "it holds {} that ingest did not write ({}{}); the dataset folder is replaced whole on every run, so choose a new folder or one holding only an earlier dataset",
                if foreign.len() == 1 {
                    "an entry".to_owned()
                } else {
                    format!("{} entries", foreign.len())
                },
                shown.join(", "),
                if foreign.len() > shown.len() { ", …" } else { "" }
            ),
        ));
    }
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| failed(parent, &e))?;
    survey_files::write::remove_leftovers(parent);
    let target = parent.join(name);
    let staged = survey_files::write::temp_dir_in(parent, survey_files::write::Access::Restricted)
        .map_err(|e| failed(parent, &e))?;
    let dir = staged.path();
    ingested.accepted.write(def, &ingested.keep, dir)?;
    let lines = report::rejects_jsonl(&ingested.rejections).map_err(|e| failed(&target.join(REJECTS_JSONL), &e))?;
    crate::output::write_atomically(&dir.join(REJECTS_JSONL), &lines)?;
    let workbook = report::rejects_workbook(def, &ingested.summary, &ingested.rejections)
        .map_err(|e| failed(&target.join(REJECTS_XLSX), &e))?;
    crate::output::write_atomically(&dir.join(REJECTS_XLSX), &workbook)?;
    let mut json = serde_json::to_vec_pretty(&ingested.summary).map_err(|e| failed(&target.join(INGEST_JSON), &e))?;
    json.push(b'\n');
    crate::output::write_atomically(&dir.join(INGEST_JSON), &json)?;
    survey_files::dataset::Manifest::seal(dir, report::definition_info(def))
        .map_err(|e| failed(&target.join(survey_files::dataset::MANIFEST_JSON), &e))?;
    survey_files::write::replace_dir(staged, &target).map_err(|e| failed(&target, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn shipped() -> (Definition, Vec<Input>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let def = survey_def::load(&root.join("survey-defs/spring-2024.toml")).unwrap();
        let inputs = collect_inputs(&[root.join("sample-data/returns")]).unwrap();
        (def, inputs)
    }

    fn read(path: &Path) -> DataFrame {
        ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
    }

    /// The two output folders hold equal Parquet files, each of more than `min_rows` rows.
    fn assert_same_dataset(def: &Definition, [a, b]: [&Path; 2], min_rows: usize) {
        let mut files = vec![dataset::RESPONSES_FILE.to_owned()];
        files.extend(def.tables().map(|t| dataset::table_file(t.id())));
        for file in files {
            let (left, right) = (read(&a.join(&file)), read(&b.join(&file)));
            assert!(left.height() > min_rows, "{file}: {}", left.height());
            assert!(left.equals_missing(&right), "{file}");
        }
    }

    /// Many small runs merged over many small batches give the dataset one run and one
    /// batch give: the same returns, superseded ones left out, in enterprise id order.
    #[test]
    fn small_runs_and_batches_give_the_same_dataset() {
        let (def, inputs) = shipped();
        let options = Options::default();
        let whole = dataset::Spill::with_sizes(usize::MAX, usize::MAX).unwrap();
        let small = dataset::Spill::with_sizes(16, 10).unwrap();
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let mut summaries = Vec::new();
        for (spill, dir) in [whole, small].into_iter().zip(&dirs) {
            let run = ingest_into(&def, &inputs, &options, &|| {}, spill, MIN_GROUP_CHUNK, None)
                .unwrap()
                .0;
            write_outputs(&def, &run, dir.path()).unwrap();
            summaries.push(serde_json::to_string(&run.summary).unwrap());
        }
        assert_eq!(summaries[0], summaries[1]);
        assert_same_dataset(&def, [dirs[0].path(), dirs[1].path()], 20);
        let responses = read(&dirs[0].path().join(dataset::RESPONSES_FILE));
        let ids: Vec<&str> = responses
            .column(&def.survey().enterprise_question)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "one return per enterprise, in id order"
        );
        let accepted: u64 = serde_json::from_str::<serde_json::Value>(&summaries[0]).unwrap()["accepted"]
            .as_u64()
            .unwrap();
        assert_eq!(ids.len() as u64, accepted);
    }

    /// Columns built by the workers, group by group, hold the returns that columns built
    /// from returns gathered across groups hold: the same dataset and the same accounting.
    #[test]
    fn columns_built_per_group_give_the_dataset_of_gathered_returns() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let def = survey_def::load(&root.join("survey-defs/spring-2024.toml")).unwrap();
        // A JSON Lines file of 285 returns (a full group of 256 and a short one) and the
        // sample's workbooks and JSON: rejections, and returns superseded across files.
        let inputs = collect_inputs(&[
            root.join("sample-data/previous/returns.jsonl"),
            root.join("sample-data/returns"),
        ])
        .unwrap();
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let mut summaries = Vec::new();
        for (min_group_chunk, dir) in [1, usize::MAX].into_iter().zip(&dirs) {
            let spill = dataset::Spill::new().unwrap();
            let run = ingest_into(&def, &inputs, &Options::default(), &|| {}, spill, min_group_chunk, None)
                .unwrap()
                .0;
            write_outputs(&def, &run, dir.path()).unwrap();
            summaries.push(serde_json::to_value(&run.summary).unwrap());
        }
        assert_eq!(summaries[0], summaries[1]);
        for count in ["rejected", "superseded"] {
            assert!(summaries[0][count].as_u64().unwrap() > 0, "{count}");
        }
        assert_same_dataset(&def, [dirs[0].path(), dirs[1].path()], 200);
    }
}
