//! One run of a pipeline: check the definition, fingerprint the inputs, ingest the
//! previous wave (when given as returns) and this wave, analyse, check the gates and
//! write `run.json`.

use crate::events::{Level, LogRecord, Observer, Step};
use crate::gates::{GateResult, GateValue, Observations, evaluate};
use crate::inputs::{
    self, InputError, InputFile, MANIFEST_FILE, Role, fingerprint, manifest, name_of, published_inputs,
};
use crate::pipeline::{Pipeline, Previous};
use crate::record::{Counts, DefinitionIdentity, RUN_FILE, RunRecord, Status};
use std::path::{Path, PathBuf};
use std::time::Instant;
use survey_analysis::report::{Access, write_atomically};
use survey_def::{Definition, DefinitionError};
use survey_files::dataset::IngestSummary;
use survey_parse::{FileChanges, IngestError, Input};

/// Folder of the output receiving this wave's dataset.
pub const DATASET_DIR: &str = "dataset";
/// Folder of the output receiving the previous wave's dataset, when it is ingested.
pub const PREVIOUS_DATASET_DIR: &str = "previous-dataset";
/// Folder of the output receiving the report workbooks and `summary.json`.
pub const REPORTS_DIR: &str = "reports";
/// Folder of the output keeping what reading each input file gave, so the next run reads
/// only new and changed files (one sub-folder per dataset). It holds returns: restricted.
pub const CACHE_DIR: &str = "cache";

/// How to run a pipeline, beyond what its file says.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder in place of the pipeline's `output`.
    pub output: Option<PathBuf>,
    /// Version of the program, recorded in `run.json` and `summary.json`.
    pub program_version: String,
    /// Limits and worker threads of ingest.
    pub ingest: survey_parse::Options,
    /// Read every input again, ignoring (and rebuilding) the cache of earlier runs.
    pub full: bool,
}

/// A completed run: its record (as written to `run.json`) and where it wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The record.
    pub record: RunRecord,
    /// The output folder.
    pub output: PathBuf,
}

/// Why a run could not complete. The output folder may hold some outputs, each whole,
/// but no `run.json`.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Neither the pipeline file nor the caller names an output folder.
    #[error("no output folder: set `output` in {} or pass one on the command line", pipeline.display())]
    NoOutput {
        /// The pipeline file.
        pipeline: PathBuf,
    },
    /// The output folder and an input hold one another: the run would write among its
    /// inputs, or overwrite them.
    #[error(
        "the output folder {} and the input {} overlap: put the outputs outside the inputs",
        output.display(),
        input.display()
    )]
    Overlap {
        /// The input file or folder.
        input: PathBuf,
        /// The output folder.
        output: PathBuf,
    },
    /// The definition cannot be read or has problems.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The inputs cannot be resolved to files.
    #[error("{what}: {source}")]
    Inputs {
        /// Which entries (`inputs`, `previous.inputs`, `previous.dataset`).
        what: &'static str,
        /// What went wrong.
        source: InputError,
    },
    /// An input cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Ingest could not complete.
    #[error("{}: {source}", step.as_str())]
    Ingest {
        /// [`Step::Previous`] or [`Step::Ingest`].
        step: Step,
        /// What went wrong.
        source: IngestError,
    },
    /// The analysis could not complete.
    #[error(transparent)]
    Analyze(#[from] survey_analysis::analyze::AnalyzeError),
    /// An output could not be written or removed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl RunError {
    /// The step that failed.
    pub fn step(&self) -> Step {
        match self {
            RunError::NoOutput { .. } | RunError::Overlap { .. } | RunError::Inputs { .. } | RunError::Read { .. } => {
                Step::Inputs
            }
            RunError::Definition(_) => Step::Check,
            RunError::Ingest { step, .. } => *step,
            RunError::Analyze(_) => Step::Analyze,
            RunError::Write { .. } => Step::Record,
        }
    }
}

/// The files of a run, resolved.
struct Files {
    returns: Vec<Input>,
    previous_returns: Vec<Input>,
    previous_dataset: Option<PathBuf>,
    fingerprints: Vec<InputFile>,
}

/// Runs `pipeline`: writes `dataset/`, `reports/` (and `previous-dataset/` when the
/// previous wave is given as returns) into the output folder, then `run.json`. Returns the
/// record whether the gates passed or not; an `Err` means the run could not complete.
///
/// The inputs are only read. `run.json` is removed when the run starts and written last,
/// so its presence says the outputs beside it come from one complete run.
pub fn run(pipeline: &Pipeline, options: &RunOptions, observer: &dyn Observer) -> Result<Outcome, RunError> {
    let output = match (&options.output, &pipeline.output) {
        (Some(out), _) => out.clone(),
        (None, Some(out)) => pipeline.resolve(out),
        (None, None) => {
            return Err(RunError::NoOutput {
                pipeline: pipeline.path.clone(),
            });
        }
    };

    let started = Instant::now();
    let definition_path = pipeline.resolve(&pipeline.definition);
    let def = survey_def::load(&definition_path)?;
    // The previous wave may have been made with another definition.
    let previous_def = match &pipeline.previous_definition {
        Some(p) => Some(survey_def::load(&pipeline.resolve(p))?),
        None => None,
    };
    observer.log(
        LogRecord::new(
            Level::Info,
            Step::Check,
            format!(
                "{} v{} (fingerprint {}) from {}",
                def.survey().id,
                def.survey().version,
                def.short_fingerprint(),
                definition_path.display()
            ),
        )
        .with("survey", def.survey().id.as_str())
        .with("version", def.survey().version.as_str())
        .with("fingerprint", def.fingerprint.as_str())
        .elapsed(started.elapsed()),
    );

    let started = Instant::now();
    let files = resolve_files(pipeline, &output)?;
    let bytes: u64 = files.fingerprints.iter().map(|f| f.bytes).sum();
    observer.log(
        LogRecord::new(
            Level::Info,
            Step::Inputs,
            format!(
                "return files: {}; previous-wave return files: {}; fingerprinted {} files ({bytes} bytes)",
                files.returns.len(),
                files.previous_returns.len(),
                files.fingerprints.len()
            ),
        )
        .with("returns", files.returns.len())
        .with("previous_returns", files.previous_returns.len())
        .with("files", files.fingerprints.len())
        .with("bytes", bytes)
        .elapsed(started.elapsed()),
    );

    let record_path = output.join(RUN_FILE);
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| RunError::Write { path, source }
    };
    std::fs::create_dir_all(&output).map_err(write_error(&output))?;
    // Temporary files and folders of runs killed earlier (a dataset being staged beside
    // its folder, half-written outputs) go before this run starts.
    survey_files::write::remove_leftovers(&output);
    match std::fs::remove_file(&record_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write_error(&record_path)(e)),
        _ => {}
    }

    let previous_dataset = match &files.previous_dataset {
        Some(dataset) => Some(dataset.clone()),
        None if !files.previous_returns.is_empty() => {
            let dir = output.join(PREVIOUS_DATASET_DIR);
            let previous_def = previous_def.as_ref().unwrap_or(&def);
            ingest_into(
                previous_def,
                &files.previous_returns,
                &dir,
                Step::Previous,
                &output,
                options,
                observer,
            )?;
            Some(dir)
        }
        None => None,
    };
    let dataset = output.join(DATASET_DIR);
    let (ingested, input_files) =
        ingest_into(&def, &files.returns, &dataset, Step::Ingest, &output, options, observer)?;

    let started = Instant::now();
    let reports = output.join(REPORTS_DIR);
    let analyze_options = survey_analysis::analyze::AnalyzeOptions {
        frame: pipeline.frame.as_ref().map(|f| pipeline.resolve(f)),
        previous: previous_dataset,
        previous_definition: previous_def,
        previous_ids: pipeline.previous_ids.as_ref().map(|p| pipeline.resolve(p)),
        lang: pipeline.language,
        program_version: options.program_version.clone(),
        // The chase list measures each stratum against the gate the run must pass.
        chase_target_rate: pipeline
            .gates
            .min_stratum_response_rate
            .or(pipeline.gates.min_response_rate),
    };
    let analysis = survey_analysis::analyze::analyze(&def, &dataset, &analyze_options)?;
    survey_analysis::analyze::write_reports(&analysis, &reports)?;
    // The per-file list of what was read, returns by name included, is restricted.
    let restricted =
        survey_analysis::report::create_output_dir(&reports, Access::Restricted).map_err(write_error(&reports))?;
    let manifest_path = restricted.join(MANIFEST_FILE);
    let every_file: Vec<&InputFile> = files.fingerprints.iter().collect();
    write_atomically(&manifest_path, manifest(&every_file).as_bytes(), Access::Restricted)
        .map_err(write_error(&manifest_path))?;
    let summary = &analysis.summary;
    let flags: u64 = summary.risk.flags.iter().map(|f| f.count).sum();
    let chase = summary.chase.as_ref().map_or_else(String::new, |c| {
        format!(
            "; {} frame enterprises to chase, {} more returns to reach the target",
            c.enterprises_listed, c.returns_needed
        )
    });
    let mut record = LogRecord::new(
        Level::Info,
        Step::Analyze,
        format!(
            "{} returns in the estimates ({}); {flags} risk flags, {} high{chase}; wrote {}",
            summary.counts.in_estimates,
            summary.weighting,
            summary.risk.flags_by_severity.high,
            reports.display()
        ),
    )
    .with("in_estimates", summary.counts.in_estimates)
    .with("weighting", summary.weighting)
    .with("risk_flags", flags)
    .with("high_flags", summary.risk.flags_by_severity.high);
    if let Some(c) = &summary.chase {
        record = record
            .with("to_chase", c.enterprises_listed)
            .with("returns_needed", c.returns_needed);
    }
    observer.log(
        record
            .with("output", reports.display().to_string())
            .elapsed(started.elapsed()),
    );

    let gates = evaluate(&pipeline.gates, &Observations::of(&ingested, summary));
    for gate in &gates {
        observer.log(gate_record(gate));
    }
    let failed_gates: Vec<&'static str> = gates.iter().filter(|g| !g.passed).map(|g| g.gate.as_str()).collect();
    let (listed_inputs, return_sets) = published_inputs(&files.fingerprints);
    let record = RunRecord {
        status: if failed_gates.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        },
        labor_survey_version: options.program_version.clone(),
        definition: DefinitionIdentity {
            survey: def.survey().id.clone(),
            version: def.survey().version.clone(),
            fingerprint: def.fingerprint.clone(),
        },
        language: pipeline.language,
        inputs: listed_inputs,
        returns: return_sets,
        counts: Counts {
            received: ingested.received,
            accepted: ingested.accepted,
            rejected: ingested.rejected,
            superseded: ingested.superseded,
            in_estimates: summary.counts.in_estimates,
        },
        input_files,
        gates,
        failed_gates,
    };
    let json = record
        .to_json()
        .map_err(|e| write_error(&record_path)(std::io::Error::other(e)))?;
    write_atomically(&record_path, &json, Access::Published).map_err(write_error(&record_path))?;
    Ok(Outcome { record, output })
}

/// Ingests `files` into the dataset folder `dir`, through the cache kept for it in the
/// output folder (`cache/<dataset folder>/`): files read by an earlier run as they are now
/// are not read again. Returns the accounting and how the files compare with the cache.
fn ingest_into(
    def: &Definition,
    files: &[Input],
    dir: &Path,
    step: Step,
    output: &Path,
    options: &RunOptions,
    observer: &dyn Observer,
) -> Result<(IngestSummary, FileChanges), RunError> {
    let started = Instant::now();
    let failed = |source| RunError::Ingest { step, source };
    let cache_dir = output
        .join(CACHE_DIR)
        .join(dir.file_name().unwrap_or(std::ffi::OsStr::new(DATASET_DIR)));
    if options.full
        && let Err(e) = std::fs::remove_dir_all(&cache_dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(RunError::Write {
            path: cache_dir,
            source: e,
        });
    }
    let settings = survey_parse::cache::settings(def, &options.ingest.limits).map_err(|source| RunError::Read {
        path: def.source.clone(),
        source,
    })?;
    let cache = survey_parse::Cache::open(&cache_dir, settings);
    observer.files_started(step, files.len());
    let ingested = survey_parse::ingest_cached(def, files, &options.ingest, &cache, &|| observer.file_done());
    observer.files_finished();
    for warning in cache.warnings() {
        observer.log(LogRecord::new(Level::Warn, step, warning));
    }
    let (ingested, changes) = ingested.map_err(failed)?;
    if ingested.read_alone > 0 {
        observer.log(
            LogRecord::new(
                Level::Info,
                step,
                format!(
                    "{} large files read one at a time, to keep within the memory budget of {} MB",
                    ingested.read_alone,
                    options.ingest.limits.max_memory / (1024 * 1024)
                ),
            )
            .with("files_read_alone", ingested.read_alone as u64),
        );
    }
    survey_parse::write_outputs(def, &ingested, dir).map_err(failed)?;
    let s = ingested.summary;
    observer.log(
        LogRecord::new(
            Level::Info,
            step,
            format!(
                "{}; files: {} new, {} changed, {} unchanged, {} removed ({} read, {} from the cache); wrote {}",
                s.counts_line(),
                changes.new,
                changes.changed,
                changes.unchanged,
                changes.removed,
                changes.read,
                files.len() as u64 - changes.read,
                dir.display()
            ),
        )
        .with("received", s.received)
        .with("accepted", s.accepted)
        .with("rejected", s.rejected)
        .with("superseded", s.superseded)
        .with("warnings", s.warnings)
        .with("files_new", changes.new)
        .with("files_changed", changes.changed)
        .with("files_unchanged", changes.unchanged)
        .with("files_removed", changes.removed)
        .with("files_read", changes.read)
        .with("output", dir.display().to_string())
        .elapsed(started.elapsed()),
    );
    Ok((s, changes))
}

/// Finds every file the run reads, checks that none is among the outputs, and
/// fingerprints them.
fn resolve_files(pipeline: &Pipeline, output: &Path) -> Result<Files, RunError> {
    let base = &pipeline.base;
    let inputs_error = |what: &'static str| {
        move |source: InputError| match source {
            InputError::Overlap { input, output } => RunError::Overlap { input, output },
            source => RunError::Inputs { what, source },
        }
    };
    let collector = inputs::Collector::new(base, output).map_err(|e| match e {
        InputError::Resolve { path, source } => RunError::Write { path, source },
        other => inputs_error("output")(other),
    })?;
    // The single files the run reads must stay clear of the output too.
    let mut single: Vec<(PathBuf, Role)> = vec![
        (pipeline.path.clone(), Role::Pipeline),
        (pipeline.resolve(&pipeline.definition), Role::Definition),
    ];
    if let Some(frame) = &pipeline.frame {
        single.push((pipeline.resolve(frame), Role::Frame));
    }
    if let Some(definition) = &pipeline.previous_definition {
        single.push((pipeline.resolve(definition), Role::PreviousDefinition));
    }
    if let Some(ids) = &pipeline.previous_ids {
        single.push((pipeline.resolve(ids), Role::PreviousIds));
    }
    let returns = collector
        .returns(&pipeline.inputs, "inputs")
        .map_err(inputs_error("inputs"))?;
    let (mut previous_returns, mut previous_dataset, mut dataset_files) = (Vec::new(), None, Vec::new());
    match &pipeline.previous {
        Some(Previous::Inputs(entries)) => {
            previous_returns = collector
                .returns(entries, "previous.inputs")
                .map_err(inputs_error("previous.inputs"))?;
        }
        Some(Previous::Dataset(dir)) => {
            let dir = pipeline.resolve(dir);
            collector.keep_clear(&dir).map_err(inputs_error("previous.dataset"))?;
            dataset_files = survey_parse::collect_inputs(std::slice::from_ref(&dir)).map_err(|e| RunError::Inputs {
                what: "previous.dataset",
                source: InputError::Listing(e),
            })?;
            previous_dataset = Some(dir);
        }
        None => {}
    }
    for (path, _) in &single {
        collector.keep_clear(path).map_err(|e| match e {
            InputError::Resolve { path, source } => RunError::Read { path, source },
            other => inputs_error("inputs")(other),
        })?;
    }

    let mut to_fingerprint: Vec<(PathBuf, String, Role)> = single
        .into_iter()
        .map(|(path, role)| {
            let name = name_of(base, &path);
            (path, name, role)
        })
        .collect();
    for (list, role) in [
        (&returns, Role::Return),
        (&previous_returns, Role::PreviousReturn),
        (&dataset_files, Role::PreviousDataset),
    ] {
        // An entry that is no regular file (a FIFO, a device, a dangling link) is not
        // opened here either: ingest rejects it by name, and it is not a file read.
        let readable = |i: &&Input| i.problem.is_none() && std::fs::metadata(&i.path).is_ok_and(|m| m.is_file());
        to_fingerprint.extend(
            list.iter()
                .filter(readable)
                .map(|i| (i.path.clone(), name_of(base, &i.path), role)),
        );
    }
    let mut fingerprints = Vec::with_capacity(to_fingerprint.len());
    for (path, name, role) in to_fingerprint {
        let (sha256, bytes) = fingerprint(&path).map_err(|source| RunError::Read { path, source })?;
        fingerprints.push(InputFile {
            path: name,
            role,
            sha256,
            bytes,
        });
    }
    fingerprints.sort();
    Ok(Files {
        returns,
        previous_returns,
        previous_dataset,
        fingerprints,
    })
}

/// The log record of a checked gate.
fn gate_record(gate: &GateResult) -> LogRecord {
    let name = gate.gate.as_str();
    let observed = gate.observed.map_or_else(|| "nothing".to_owned(), show);
    let mut message = if gate.passed {
        format!(
            "gate {name} passed: observed {observed}, threshold {}",
            show(gate.threshold)
        )
    } else {
        format!(
            "gate {name} failed: observed {observed}, threshold {}",
            show(gate.threshold)
        )
    };
    if let Some(detail) = &gate.detail {
        message.push_str(&format!(" ({detail})"));
    }
    let level = if gate.passed { Level::Info } else { Level::Error };
    let json = |v: GateValue| serde_json::to_value(v).unwrap_or_default();
    LogRecord::new(level, Step::Gates, message)
        .with("gate", name)
        .with("threshold", json(gate.threshold))
        .with("observed", gate.observed.map(json).unwrap_or_default())
        .with("passed", gate.passed)
}

/// A gate value for people: shares to four decimals at most.
fn show(value: GateValue) -> String {
    match value {
        GateValue::Number(v) => {
            let text = format!("{v:.4}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            text.to_owned()
        }
        GateValue::Count(n) => n.to_string(),
        GateValue::Flag(b) => b.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_values_read_plainly() {
        assert_eq!(show(GateValue::Number(0.5)), "0.5");
        assert_eq!(show(GateValue::Number(0.123456)), "0.1235");
        assert_eq!(show(GateValue::Number(2.0)), "2");
        assert_eq!(show(GateValue::Count(3)), "3");
    }
}
