//! `run.json`: what a run read (with fingerprints), what it found and whether it passed.
//! It holds nothing that changes between runs on the same inputs (no times, no output
//! folder), so two such runs write it byte for byte alike. It is published: it names no
//! enterprise, not even through the file names of the returns.

use crate::gates::GateResult;
use crate::inputs::{InputFile, InputSet};
use serde::Serialize;
use survey_def::Lang;

/// File name of the run record, in the output folder.
pub const RUN_FILE: &str = "run.json";

/// Whether every gate passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every gate passed (or none was set).
    Passed,
    /// At least one gate failed; the reports were written all the same.
    Failed,
}

/// The definition the run read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefinitionIdentity {
    /// Survey id.
    pub survey: String,
    /// Version.
    pub version: String,
    /// SHA-256 fingerprint of the questionnaire.
    pub fingerprint: String,
}

/// Returns counted by the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Received by ingest.
    pub received: u64,
    /// Accepted into the dataset.
    pub accepted: u64,
    /// Rejected.
    pub rejected: u64,
    /// Replaced by a later return of the same enterprise.
    pub superseded: u64,
    /// In the estimates.
    pub in_estimates: u64,
}

/// The content of `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Overall status.
    pub status: Status,
    /// Version of labor-survey that ran.
    pub labor_survey_version: String,
    /// The definition.
    pub definition: DefinitionIdentity,
    /// Language of the report workbooks.
    pub language: Lang,
    /// Every file read that names no enterprise (pipeline, definition, frame, previous
    /// dataset), sorted by path.
    pub inputs: Vec<InputFile>,
    /// The returns read, counted by role with the SHA-256 of their manifest. Return files
    /// are commonly named by credit code or enterprise name, and this record is shared
    /// (a CI artifact), so the per-file list is in `reports/restricted/inputs.sha256`.
    pub returns: Vec<InputSet>,
    /// Returns counted.
    pub counts: Counts,
    /// This wave's return files against the cache of the run before: new, changed,
    /// unchanged and removed, and how many were read (the rest came from the cache).
    pub input_files: survey_parse::FileChanges,
    /// Every gate set, with threshold, observation and result.
    pub gates: Vec<GateResult>,
    /// The gates that failed, by name.
    pub failed_gates: Vec<&'static str>,
}

impl RunRecord {
    /// The record as written: pretty JSON with a closing newline.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }
}
