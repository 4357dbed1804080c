//! The pipeline file: what a scheduled run reads, where it writes, and the gates its
//! results must pass. Loaded strictly: a syntax error, an unknown key, a value of the wrong
//! type and settings that cannot work together are each reported with line and column.

use crate::gates::Gates;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use survey_def::Lang;
use survey_def::source::{LineCol, Seg, TextFileError, TomlPath, read_text_file};
use survey_def::toml_file::{KnownKeys, read_toml};

/// Largest pipeline file accepted; a real one is a few hundred bytes.
pub const MAX_PIPELINE_BYTES: u64 = 256 * 1024;

/// Every key of the pipeline file, for "did you mean" hints.
const KNOWN_KEYS: &[&str] = &[
    "definition",
    "inputs",
    "frame",
    "previous",
    "dataset",
    "ids",
    "output",
    "language",
    "gates",
    "min_response_rate",
    "min_stratum_response_rate",
    "max_rejected_share",
    "max_high_flags",
    "fail_on_new_high_flags",
    "max_headline_cv",
];

/// The file as written, before its settings are checked together.
#[derive(Debug, Deserialize)]
struct PipelineFile {
    definition: String,
    inputs: Vec<String>,
    frame: Option<String>,
    previous: Option<PreviousFile>,
    output: Option<String>,
    #[serde(default)]
    language: Lang,
    #[serde(default)]
    gates: Gates,
}

#[derive(Debug, Deserialize)]
struct PreviousFile {
    dataset: Option<String>,
    inputs: Option<Vec<String>>,
    definition: Option<String>,
    ids: Option<String>,
}

/// The previous wave a run compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// A dataset folder written by an earlier ingest (holding `responses.parquet`).
    Dataset(PathBuf),
    /// Returns of the previous wave (files, folders, glob patterns), ingested by the run.
    Inputs(Vec<String>),
}

/// A checked pipeline file. Paths are kept as written; relative ones are resolved against
/// [`Pipeline::base`], the folder of the file, with [`Pipeline::resolve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The pipeline file.
    pub path: PathBuf,
    /// Its folder: relative paths in the file start here.
    pub base: PathBuf,
    /// The survey definition.
    pub definition: PathBuf,
    /// Returns: files, folders (walked recursively) and glob patterns (`returns/**/*.xlsx`).
    pub inputs: Vec<String>,
    /// The sampling frame, for weighted estimates and response rates.
    pub frame: Option<PathBuf>,
    /// The previous wave.
    pub previous: Option<Previous>,
    /// The definition the previous wave's returns were (or are to be) ingested with, when
    /// not [`Pipeline::definition`]: the waves are then matched through their roles.
    pub previous_definition: Option<PathBuf>,
    /// The id mapping of the previous wave (CSV `previous_id,current_id`).
    pub previous_ids: Option<PathBuf>,
    /// The output folder (a command line may name another).
    pub output: Option<PathBuf>,
    /// Language of the report workbooks.
    pub language: Lang,
    /// The quality gates.
    pub gates: Gates,
}

impl Pipeline {
    /// Loads and checks the pipeline file at `path`.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
        match read_text_file(path, MAX_PIPELINE_BYTES) {
            Ok(text) => Pipeline::load_str(&text, path),
            Err(TextFileError::Read(source)) => Err(PipelineError::Read {
                path: path.to_owned(),
                source,
            }),
            Err(TextFileError::TooLarge(size)) => Err(PipelineError::TooLarge {
                path: path.to_owned(),
                size,
                limit: MAX_PIPELINE_BYTES,
            }),
            Err(TextFileError::NotUtf8(at)) => Err(PipelineError::Invalid {
                path: path.to_owned(),
                problems: vec![PipelineProblem::new(
                    path,
                    at,
                    "the file is not valid UTF-8; save it as UTF-8",
                )],
            }),
        }
    }

    /// Loads and checks a pipeline from text; `path` places relative paths and names the
    /// file in messages.
    pub fn load_str(text: &str, path: &Path) -> Result<Pipeline, PipelineError> {
        let invalid = |mut problems: Vec<PipelineProblem>| {
            problems.sort_by_key(|p| p.at);
            PipelineError::Invalid {
                path: path.to_owned(),
                problems,
            }
        };
        let known = KnownKeys {
            keys: KNOWN_KEYS,
            reference: "see \"Scheduled runs\" in README.md for the keys",
        };
        let read = read_toml::<PipelineFile>(text, &known);
        let mut problems: Vec<PipelineProblem> = read
            .problems
            .into_iter()
            .map(|p| PipelineProblem::new(path, p.at, format!("{}; {}", p.message, p.hint)))
            .collect();
        let Some((file, map)) = read.value else {
            return Err(invalid(problems));
        };
        let mut at = |keys: &[&str], message: String| {
            let p: TomlPath = keys.iter().map(|k| Seg::Key((*k).to_owned())).collect();
            problems.push(PipelineProblem::new(path, map.line_col(map.offset_of(&p)), message));
        };
        check_file(&file, &mut at);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let previous_definition = file
            .previous
            .as_ref()
            .and_then(|p| p.definition.as_ref())
            .map(PathBuf::from);
        let previous_ids = file.previous.as_ref().and_then(|p| p.ids.as_ref()).map(PathBuf::from);
        let previous = file.previous.map(|p| match (p.dataset, p.inputs) {
            (Some(dataset), _) => Previous::Dataset(PathBuf::from(dataset)),
            (None, inputs) => Previous::Inputs(inputs.unwrap_or_default()),
        });
        Ok(Pipeline {
            path: path.to_owned(),
            base,
            definition: PathBuf::from(file.definition),
            inputs: file.inputs,
            frame: file.frame.map(PathBuf::from),
            previous,
            previous_definition,
            previous_ids,
            output: file.output.map(PathBuf::from),
            language: file.language,
            gates: file.gates,
        })
    }

    /// A path of the file made usable: relative paths start at the file's folder.
    pub fn resolve(&self, written: impl AsRef<Path>) -> PathBuf {
        self.base.join(written)
    }
}

/// Settings that parse but cannot work: empty paths, malformed patterns, gates out of
/// range or lacking what they read.
fn check_file(file: &PipelineFile, at: &mut impl FnMut(&[&str], String)) {
    if file.definition.trim().is_empty() {
        at(
            &["definition"],
            "`definition` is empty: name the survey definition file".into(),
        );
    }
    check_inputs(&file.inputs, "inputs", &["inputs"], at);
    if file.frame.as_deref().is_some_and(|f| f.trim().is_empty()) {
        at(
            &["frame"],
            "`frame` is empty: name the sampling frame or leave the key out".into(),
        );
    }
    if file.output.as_deref().is_some_and(|o| o.trim().is_empty()) {
        at(&["output"], "`output` is empty: name the output folder".into());
    }
    if let Some(previous) = &file.previous {
        match (&previous.dataset, &previous.inputs) {
            (Some(_), Some(_)) => at(
                &["previous"],
                "`previous` names both a `dataset` and `inputs`: keep one".into(),
            ),
            (None, None) => at(
                &["previous"],
                "`previous` needs `dataset = \"FOLDER\"` (an ingested dataset) or `inputs = [...]` (returns)".into(),
            ),
            (Some(dataset), None) if dataset.trim().is_empty() => {
                at(&["previous", "dataset"], "`previous.dataset` is empty".into())
            }
            (None, Some(inputs)) => check_inputs(inputs, "previous.inputs", &["previous", "inputs"], at),
            _ => {}
        }
        for (key, value, what) in [
            (
                "definition",
                &previous.definition,
                "name the definition the previous wave was ingested with, or leave the key out to use `definition`",
            ),
            (
                "ids",
                &previous.ids,
                "name the id mapping (CSV `previous_id,current_id`) or leave the key out",
            ),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                at(&["previous", key], format!("`previous.{key}` is empty: {what}"));
            }
        }
    }
    let gates = &file.gates;
    for (key, value) in [
        ("min_response_rate", gates.min_response_rate),
        ("min_stratum_response_rate", gates.min_stratum_response_rate),
        ("max_rejected_share", gates.max_rejected_share),
    ] {
        if let Some(v) = value
            && !(0.0..=1.0).contains(&v)
        {
            at(
                &["gates", key],
                format!("`gates.{key}` is {v}: a share is between 0 and 1"),
            );
        }
    }
    if let Some(v) = gates.max_headline_cv
        && !(v.is_finite() && v >= 0.0)
    {
        at(
            &["gates", "max_headline_cv"],
            format!("`gates.max_headline_cv` is {v}: a coefficient of variation is 0 or more"),
        );
    }
    if file.frame.is_none() {
        for (key, set) in [
            ("min_response_rate", gates.min_response_rate.is_some()),
            ("min_stratum_response_rate", gates.min_stratum_response_rate.is_some()),
        ] {
            if set {
                at(
                    &["gates", key],
                    format!("`gates.{key}` needs a `frame`: response rates are measured against it"),
                );
            }
        }
    }
    if gates.fail_on_new_high_flags && file.previous.is_none() {
        at(
            &["gates", "fail_on_new_high_flags"],
            "`gates.fail_on_new_high_flags` needs a `previous` wave to compare with".into(),
        );
    }
}

fn check_inputs(inputs: &[String], name: &str, keys: &[&str], at: &mut impl FnMut(&[&str], String)) {
    if inputs.is_empty() {
        at(
            keys,
            format!("`{name}` is empty: name return files, folders or patterns"),
        );
    }
    for input in inputs {
        if input.trim().is_empty() {
            at(keys, format!("`{name}` holds an empty path"));
        } else if crate::inputs::is_pattern(input)
            && let Err(err) = glob::Pattern::new(input)
        {
            at(keys, format!("`{name}`: `{input}` is not a valid pattern: {}", err.msg));
        }
    }
}

/// One thing wrong with a pipeline file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineProblem {
    /// The pipeline file.
    pub file: PathBuf,
    /// Line and column (from 1).
    pub at: LineCol,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl PipelineProblem {
    fn new(file: &Path, at: LineCol, message: impl Into<String>) -> Self {
        PipelineProblem {
            file: file.to_owned(),
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for PipelineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.at.line,
            self.at.column,
            self.message
        )
    }
}

/// Why a pipeline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_PIPELINE_BYTES`].
    #[error("{} is {size} bytes; a pipeline file is at most {limit}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file has problems, each with its line and column.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<PipelineProblem>,
    },
}

#[cfg(test)]
mod tests;
