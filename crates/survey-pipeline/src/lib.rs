//! Scheduled runs of an employer labor-demand survey, from one pipeline file.
//!
//! A pipeline file (TOML) names the survey definition, the returns (files, folders, glob
//! patterns), the sampling frame, the previous wave, the output folder, the report
//! language and the quality gates. [`run`] checks the definition, ingests the returns
//! into a dataset, analyses it into the report workbooks, checks the gates against what
//! the analysis found, and writes `run.json`: every input with its SHA-256, the counts,
//! each gate with its threshold, observation and result. Runs on the same inputs write
//! the same bytes; a run only reads its inputs.
//!
//! Called by the `labor-survey run` command, which shows the [`events`] and turns the
//! outcome into an exit code. The steps are those of the `ingest` and `analyze` commands:
//! this crate calls `survey-parse` and `survey-analysis`, and holds no estimation of its
//! own.
//!
//! ```no_run
//! use std::path::Path;
//! use survey_pipeline::{Pipeline, RunOptions, Status, events::Silent};
//!
//! let pipeline = Pipeline::load(Path::new("sample-data/pipeline.toml"))?;
//! let options = RunOptions { program_version: "0.1.0".into(), ..RunOptions::default() };
//! let outcome = survey_pipeline::run(&pipeline, &options, &Silent)?;
//! if outcome.record.status == Status::Failed {
//!     eprintln!("gates failed: {}", outcome.record.failed_gates.join(", "));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod events;
pub mod gates;
pub mod inputs;
mod pipeline;
pub mod record;
mod run;

pub use gates::{Gate, GateResult, GateValue, Gates};
pub use inputs::{InputFile, InputSet, MANIFEST_FILE, Role};
pub use pipeline::{MAX_PIPELINE_BYTES, Pipeline, PipelineError, PipelineProblem, Previous};
pub use record::{RUN_FILE, RunRecord, Status};
pub use run::{DATASET_DIR, Outcome, PREVIOUS_DATASET_DIR, REPORTS_DIR, RunError, RunOptions, run};
