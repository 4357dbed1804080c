//! Performance harness for the survey engine: how far each stage of a run is from the
//! bare cost of reading its input.
//!
//! [`run`] generates returns into a work folder (template workbooks from
//! [`survey_sample::generate`], a JSON Lines wave of any size from
//! [`survey_sample::write_jsonl_returns`] with its frame and previous wave), then times
//! each stage against a floor that reads the same bytes and checks nothing:
//!
//! | stage | floor |
//! |---|---|
//! | full ingest of the workbooks, 1 thread and all cores | calamine's streaming cell reader visiting every cell, 1 thread and all cores |
//! | full ingest of the JSON Lines file | `serde_json` parsing every line into a `serde_json::Value` |
//! | `analyze` with frame and previous wave | polars reading the dataset's Parquet files in full |
//!
//! Optionally, Python's usual Excel readers read the same workbooks
//! (`bench/peers/read_peers.py`). Each stage runs once, in its own child process (the
//! calling program re-executed through a [`StageCommand`]), so that its peak resident
//! memory is its own; time is measured inside the child around the work alone. The
//! inputs are generated in a child too: on Linux a child's peak includes that of the
//! process it is started from, which must therefore stay small.
//!
//! With [`BenchOptions::big_files`], the big-file cases follow: a JSON array of about
//! [`BenchOptions::big_file_mb`] MB, a wide workbook and one whose text answers are all
//! distinct shared strings (as large as asked or as the ingest's default limits admit),
//! and four such files at once, each case ingested by the CLI's own `ingest` command in a
//! child, with its time, throughput, peak memory and what it accepted ([`BigFiles`]; the
//! `big` module says how the files are made and sized).
//!
//! Called by the CLI's `bench` command (and its hidden `bench-stage`, which runs one
//! stage in the child through [`run_stage`]). It is run on purpose, never as a test.
//!
//! ```no_run
//! use survey_bench::{BenchOptions, StageCommand};
//! let command = StageCommand { program: std::env::current_exe().unwrap(), args: vec!["bench-stage".into()] };
//! let options = BenchOptions { enterprises: 200, jsonl_returns: 10_000, ..BenchOptions::default() };
//! let report = survey_bench::run(&options, &command, &|step| eprintln!("{step}")).unwrap();
//! print!("{}", report.to_text());
//! ```

#![warn(missing_docs)]

mod big;
mod child;
mod peers;
mod report;
mod setup;
mod stage;
mod wide;

pub use big::{BigFile, BigFileKind, DEFAULT_BIG_FILE_MB, MemoryBudget};
pub use child::StageCommand;
pub use report::{BigCase, BigFiles, InputsSummary, Machine, PeerStatus, Ratio, Report, StageRow};
pub use stage::{Measured, Stage};

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shipped definition, used when no other is given.
const SHIPPED_DEFINITION: &str = include_str!("../../../survey-defs/spring-2024.toml");

/// Default responding enterprises of the generated sample (about half send a workbook).
pub const DEFAULT_ENTERPRISES: usize = 2_000;

/// Default returns in the JSON Lines file.
pub const DEFAULT_JSONL_RETURNS: u64 = 100_000;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Definition file; the shipped spring 2024 definition when `None`.
    pub definition: Option<PathBuf>,
    /// Responding enterprises of the generated sample; the template workbooks among
    /// their returns (about half) are what the xlsx stages read.
    pub enterprises: usize,
    /// Returns in the JSON Lines file.
    pub jsonl_returns: u64,
    /// Threads of the all-cores stages; the available cores when `None`.
    pub jobs: Option<usize>,
    /// Keep the inputs and outputs in this folder (new or empty) instead of a temporary
    /// folder removed at the end.
    pub keep: Option<PathBuf>,
    /// Also run the Python peer readers.
    pub peers: bool,
    /// Seed of the generated data.
    pub seed: u64,
    /// Also run the big-file cases (see the `big` module): the ingest of large single
    /// files, and of several at once.
    pub big_files: bool,
    /// Size of the big files, in MB.
    pub big_file_mb: u64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            definition: None,
            enterprises: DEFAULT_ENTERPRISES,
            jsonl_returns: DEFAULT_JSONL_RETURNS,
            jobs: None,
            keep: None,
            peers: false,
            seed: 1,
            big_files: false,
            big_file_mb: DEFAULT_BIG_FILE_MB,
        }
    }
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An option is out of range.
    #[error("invalid benchmark options: {0}")]
    Options(String),
    /// The folder given to keep the data in already holds files.
    #[error("{} is not empty; give a new or empty folder to --keep", .0.display())]
    KeepNotEmpty(PathBuf),
    /// The definition does not load.
    #[error("{0}")]
    Definition(String),
    /// The inputs could not be generated.
    #[error("cannot generate the inputs: {0}")]
    Sample(#[from] survey_sample::SampleError),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// JSON could not be written or read.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A stage failed.
    #[error("{0}")]
    Stage(String),
    /// A child process could not run or failed.
    #[error("{what}: {message}")]
    Child {
        /// The stage or program.
        what: String,
        /// What went wrong.
        message: String,
    },
}

/// Runs one stage given as JSON (the child's side of [`StageCommand`]); gives the
/// [`Measured`] result as JSON.
pub fn run_stage(stage_json: &str) -> Result<String, BenchError> {
    let stage: Stage = serde_json::from_str(stage_json)?;
    let measured = stage::run(&stage)?;
    Ok(serde_json::to_string(&measured)?)
}

/// The work folder: kept, or temporary.
enum Work {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Work {
    fn new(keep: Option<&Path>) -> Result<Work, BenchError> {
        let Some(dir) = keep else {
            let temp = tempfile::Builder::new()
                .prefix("labor-survey-bench-")
                .tempdir()
                .map_err(|source| BenchError::Io {
                    path: std::env::temp_dir(),
                    source,
                })?;
            return Ok(Work::Temporary(temp));
        };
        let io = |source| BenchError::Io {
            path: dir.to_owned(),
            source,
        };
        if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
            return Err(BenchError::KeepNotEmpty(dir.to_owned()));
        }
        std::fs::create_dir_all(dir).map_err(io)?;
        Ok(Work::Kept(dir.to_owned()))
    }

    fn path(&self) -> &Path {
        match self {
            Work::Kept(p) => p,
            Work::Temporary(t) => t.path(),
        }
    }
}

/// Runs a stage in a child process; gives its measurement and peak memory.
pub(crate) fn in_child(
    command: &StageCommand,
    stage: &Stage,
    threads: usize,
    what: &str,
) -> Result<StageResult, BenchError> {
    let mut child = Command::new(&command.program);
    child
        .args(&command.args)
        .arg(serde_json::to_string(stage)?)
        // The dataframe library and rayon size their pools from these: a one-thread
        // stage uses one core throughout, Parquet writing included.
        .env("POLARS_MAX_THREADS", threads.to_string())
        .env("RAYON_NUM_THREADS", threads.to_string());
    let done = child::run(child, what)?;
    let measured: Measured = serde_json::from_str(done.stdout.trim()).map_err(|e| BenchError::Child {
        what: what.to_owned(),
        message: format!("unexpected output ({e}): {}", done.stdout.trim()),
    })?;
    Ok(StageResult {
        measured,
        peak_rss: done.peak_rss,
    })
}

pub(crate) struct StageResult {
    measured: Measured,
    peak_rss: Option<u64>,
}

/// Generates the inputs, runs every stage and gives the table. `progress` hears what is
/// being done.
pub fn run(options: &BenchOptions, command: &StageCommand, progress: &dyn Fn(&str)) -> Result<Report, BenchError> {
    if options.enterprises == 0 || options.jsonl_returns == 0 || options.jobs == Some(0) || options.big_file_mb == 0 {
        return Err(BenchError::Options(
            "--enterprises, --jsonl-returns, --jobs and --big-file-mb must be at least 1".into(),
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = options.jobs.unwrap_or(cores);
    let load_before = report::load_average();
    let work = Work::new(options.keep.as_deref())?;
    let dir = work.path().to_owned();
    let definition = match &options.definition {
        Some(path) => path.clone(),
        None => {
            let path = dir.join("definition.toml");
            std::fs::write(&path, SHIPPED_DEFINITION).map_err(|source| BenchError::Io {
                path: path.clone(),
                source,
            })?;
            path
        }
    };
    let def = survey_def::load(&definition).map_err(|e| BenchError::Definition(e.to_string()))?;

    progress(&format!(
        "generating {} enterprises' returns and {} JSON Lines returns in {}",
        options.enterprises,
        options.jsonl_returns,
        dir.display()
    ));
    // The definition must load before anything is generated.
    drop(def);
    let prepare = Stage::Prepare {
        definition: definition.clone(),
        dir: dir.clone(),
        enterprises: options.enterprises,
        jsonl_returns: options.jsonl_returns,
        seed: options.seed,
    };
    let prepared = in_child(command, &prepare, threads, "generating the inputs")?;
    let inputs = setup::Inputs::at(&dir, usize::try_from(prepared.measured.returns).unwrap_or(usize::MAX));
    let out = dir.join("out");
    let dataset = out.join("jsonl-dataset");
    let previous = out.join("previous-dataset");

    let all = format!("{threads} threads");
    let plan: Vec<(&str, String, usize, Stage)> = vec![
        (
            "xlsx-read-1",
            "xlsx bare read (calamine cells), 1 thread".to_owned(),
            1,
            Stage::XlsxRead {
                dir: inputs.workbooks.clone(),
                jobs: 1,
            },
        ),
        (
            "xlsx-read-all",
            format!("xlsx bare read (calamine cells), {all}"),
            threads,
            Stage::XlsxRead {
                dir: inputs.workbooks.clone(),
                jobs: threads,
            },
        ),
        (
            "xlsx-ingest-1",
            "xlsx full ingest, --jobs 1".to_owned(),
            1,
            Stage::Ingest {
                definition: definition.clone(),
                input: inputs.workbooks.clone(),
                out: out.join("xlsx-dataset-1"),
                jobs: 1,
            },
        ),
        (
            "xlsx-ingest-all",
            format!("xlsx full ingest, --jobs {threads}"),
            threads,
            Stage::Ingest {
                definition: definition.clone(),
                input: inputs.workbooks.clone(),
                out: out.join("xlsx-dataset"),
                jobs: threads,
            },
        ),
        (
            "jsonl-parse",
            "JSON Lines bare parse (serde_json::Value), 1 thread".to_owned(),
            1,
            Stage::JsonlParse {
                file: inputs.jsonl.clone(),
            },
        ),
        (
            "jsonl-ingest",
            format!("JSON Lines full ingest, --jobs {threads}"),
            threads,
            Stage::Ingest {
                definition: definition.clone(),
                input: inputs.jsonl.clone(),
                out: dataset.clone(),
                jobs: threads,
            },
        ),
        (
            "previous-ingest",
            String::new(),
            threads,
            Stage::Ingest {
                definition: definition.clone(),
                input: inputs.previous.clone(),
                out: previous.clone(),
                jobs: threads,
            },
        ),
        (
            "analyze",
            format!("analyze (frame, previous wave), {all}"),
            threads,
            Stage::Analyze {
                definition: definition.clone(),
                dataset: dataset.clone(),
                frame: inputs.frame.clone(),
                previous,
                out: out.join("reports"),
            },
        ),
        (
            "parquet-scan",
            format!("Parquet bare scan (polars), {all}"),
            threads,
            Stage::ParquetScan { dataset },
        ),
    ];
    let mut stages = Vec::new();
    for (id, label, threads, stage) in plan {
        // The previous wave's ingest prepares the analysis; it is not a row of its own.
        let what = if label.is_empty() {
            "previous wave ingest"
        } else {
            &label
        };
        progress(what);
        let result = in_child(command, &stage, threads, what)?;
        if !label.is_empty() {
            stages.push(StageRow::new(id, label, threads, &result.measured, result.peak_rss));
        }
    }

    let peers = if !options.peers {
        PeerStatus {
            ran: false,
            note: "not run (add --peers)".into(),
        }
    } else if let Some(why) = peers::unavailable() {
        PeerStatus { ran: false, note: why }
    } else {
        progress("Python peer readers");
        let (rows, note) = peers::run(&dir, &inputs.checks, &inputs.workbooks)?;
        stages.extend(rows);
        PeerStatus { ran: true, note }
    };

    let big_files = if options.big_files {
        let run = (options.big_file_mb, options.seed, threads);
        Some(big::run(command, &dir, &definition, run, progress)?)
    } else {
        None
    };

    let report = Report {
        machine: Machine {
            cores,
            threads,
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            load_average: load_before.zip(report::load_average()),
        },
        inputs: InputsSummary {
            workbooks: inputs.workbook_count,
            jsonl_returns: options.jsonl_returns,
            seed: options.seed,
            kept: match &work {
                Work::Kept(p) => Some(p.clone()),
                Work::Temporary(_) => None,
            },
        },
        ratios: report::ratios(&stages, threads),
        stages,
        peers,
        big_files,
    };
    Ok(report)
}
