//! What a run tells while it goes: log records (a level, the step, a message and fields
//! for machines) and file progress. The caller decides how they are shown.

use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// How much a record matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Progress and results.
    Info,
    /// Something to look at that does not stop the run.
    Warn,
    /// A failed gate, or why the run stopped.
    Error,
}

impl Level {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// The steps of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Reading the pipeline file.
    Pipeline,
    /// Loading and checking the definition.
    Check,
    /// Finding and fingerprinting the input files.
    Inputs,
    /// Ingesting the previous wave's returns.
    Previous,
    /// Ingesting this wave's returns.
    Ingest,
    /// Estimating and writing the report workbooks.
    Analyze,
    /// Checking the quality gates.
    Gates,
    /// Writing `run.json`.
    Record,
}

impl Step {
    /// Name of the step in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Pipeline => "pipeline",
            Step::Check => "check",
            Step::Inputs => "inputs",
            Step::Previous => "previous",
            Step::Ingest => "ingest",
            Step::Analyze => "analyze",
            Step::Gates => "gates",
            Step::Record => "record",
        }
    }
}

/// One log record.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// How much it matters.
    pub level: Level,
    /// The step it comes from.
    pub step: Step,
    /// For people.
    pub message: String,
    /// For machines: counts, paths, timings (`elapsed_ms`).
    pub fields: Map<String, Value>,
}

impl LogRecord {
    /// A record without fields.
    pub fn new(level: Level, step: Step, message: impl Into<String>) -> Self {
        LogRecord {
            level,
            step,
            message: message.into(),
            fields: Map::new(),
        }
    }

    /// Adds a field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }

    /// Adds the time a step took, as `elapsed_ms`.
    pub fn elapsed(self, elapsed: Duration) -> Self {
        self.with("elapsed_ms", elapsed.as_millis() as u64)
    }
}

/// Receives what a run tells. Called from worker threads during ingest, hence `Sync`.
pub trait Observer: Sync {
    /// A log record.
    fn log(&self, record: LogRecord);
    /// A step starts reading `files` files.
    fn files_started(&self, _step: Step, _files: usize) {}
    /// One file of the step is read.
    fn file_done(&self) {}
    /// The step has read all its files.
    fn files_finished(&self) {}
}

/// An observer that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn log(&self, _record: LogRecord) {}
}
