//! `labor-survey run`: shows what a pipeline run tells on stderr (text or JSON lines, a
//! progress bar on a terminal) and turns its outcome into an exit code. The run itself is
//! `survey_pipeline::run`.

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;
use survey_def::DefinitionError;
use survey_pipeline::events::{Level, LogRecord, Observer, Step};
use survey_pipeline::{Pipeline, PipelineError, RunError, RunOptions, Status};

/// Exit code: the run completed and a gate failed.
const EXIT_GATE_FAILED: u8 = 1;

/// How log records are written to stderr.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people (coloured on a terminal unless NO_COLOR is set)
    Text,
    /// One JSON object per line: level, step, message and fields
    Json,
}

/// Writes log records to stderr and draws the file progress bar.
struct Logger {
    format: LogFormat,
    bars: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Logger {
    fn new(format: LogFormat, quiet: bool) -> Self {
        Logger {
            format,
            // A bar between JSON lines would break them; without a terminal it is not
            // drawn at all (indicatif checks).
            bars: !quiet && format == LogFormat::Text,
            bar: Mutex::new(None),
        }
    }

    fn line(&self, record: &LogRecord) -> String {
        match self.format {
            LogFormat::Json => {
                let mut object = serde_json::Map::new();
                object.insert("level".into(), record.level.as_str().into());
                object.insert("step".into(), record.step.as_str().into());
                object.insert("message".into(), record.message.as_str().into());
                for (key, value) in &record.fields {
                    object.insert(key.clone(), value.clone());
                }
                serde_json::Value::Object(object).to_string()
            }
            LogFormat::Text => {
                let (label, style) = match record.level {
                    Level::Info => (record.step.as_str(), AnsiColor::Green),
                    Level::Warn => ("warning", AnsiColor::Yellow),
                    Level::Error => ("error", AnsiColor::Red),
                };
                let style = Style::new().bold().fg_color(Some(style.into()));
                let step = match record.level {
                    Level::Info => String::new(),
                    _ => format!("[{}] ", record.step.as_str()),
                };
                let elapsed = record
                    .fields
                    .get("elapsed_ms")
                    .and_then(serde_json::Value::as_u64)
                    .map(|ms| format!(" ({:.2} s)", ms as f64 / 1000.0))
                    .unwrap_or_default();
                format!("{style}{label:>9}{style:#} {step}{}{elapsed}", record.message)
            }
        }
    }
}

impl Observer for Logger {
    fn log(&self, record: LogRecord) {
        let line = self.line(&record);
        let print = || anstream::eprintln!("{line}");
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn files_started(&self, _step: Step, files: usize) {
        if !self.bars {
            return;
        }
        let bar = indicatif::ProgressBar::new(files as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn file_done(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
            bar.inc(1);
        }
    }

    fn files_finished(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

/// Runs the pipeline at `path`. Exit 0 when every gate passed, 1 when a gate failed (the
/// outputs are written all the same), 2 when the run could not complete.
pub fn run(path: &Path, out: Option<PathBuf>, format: LogFormat, quiet: bool, full: bool, max_memory: u64) -> ExitCode {
    let log = Logger::new(format, quiet);
    let started = Instant::now();
    let pipeline = match Pipeline::load(path) {
        Ok(p) => p,
        Err(err) => {
            pipeline_failed(&log, &err);
            return ExitCode::from(crate::EXIT_FAILURE);
        }
    };
    let options = RunOptions {
        output: out,
        program_version: env!("CARGO_PKG_VERSION").to_owned(),
        ingest: survey_parse::Options {
            limits: survey_parse::Limits {
                max_memory,
                ..survey_parse::Limits::default()
            },
            ..survey_parse::Options::default()
        },
        full,
    };
    match survey_pipeline::run(&pipeline, &options, &log) {
        Ok(outcome) => {
            let record = &outcome.record;
            let run_file = outcome.output.join(survey_pipeline::RUN_FILE);
            let fields = |r: LogRecord| {
                r.with("status", serde_json::to_value(record.status).unwrap_or_default())
                    .with("failed_gates", record.failed_gates.clone())
                    .with("output", outcome.output.display().to_string())
                    .elapsed(started.elapsed())
            };
            if record.status == Status::Passed {
                let message = format!("passed; wrote {}", run_file.display());
                log.log(fields(LogRecord::new(Level::Info, Step::Record, message)));
                ExitCode::SUCCESS
            } else {
                let message = format!(
                    "failed gates: {}; reports written all the same; wrote {}",
                    record.failed_gates.join(", "),
                    run_file.display()
                );
                log.log(fields(LogRecord::new(Level::Error, Step::Record, message)));
                ExitCode::from(EXIT_GATE_FAILED)
            }
        }
        Err(err) => {
            run_failed(&log, &err);
            ExitCode::from(crate::EXIT_FAILURE)
        }
    }
}

fn pipeline_failed(log: &Logger, err: &PipelineError) {
    match err {
        PipelineError::Invalid { path, problems } => {
            for p in problems {
                log.log(
                    LogRecord::new(Level::Error, Step::Pipeline, p.to_string())
                        .with("file", p.file.display().to_string())
                        .with("line", p.at.line)
                        .with("column", p.at.column),
                );
            }
            log.log(LogRecord::new(
                Level::Error,
                Step::Pipeline,
                format!("{} has {} problem(s); nothing was run", path.display(), problems.len()),
            ));
        }
        other => log.log(LogRecord::new(Level::Error, Step::Pipeline, other.to_string())),
    }
}

fn run_failed(log: &Logger, err: &RunError) {
    if let RunError::Definition(DefinitionError::Invalid { path, problems }) = err {
        for p in problems {
            log.log(
                LogRecord::new(Level::Error, Step::Check, p.to_string())
                    .with("file", p.file.display().to_string())
                    .with("line", p.at.line)
                    .with("column", p.at.column)
                    .with("code", p.kind.as_str()),
            );
        }
        let message = format!(
            "{} has {} problem(s); run `labor-survey check` after fixing them",
            path.display(),
            problems.len()
        );
        log.log(LogRecord::new(Level::Error, Step::Check, message));
        return;
    }
    log.log(LogRecord::new(
        Level::Error,
        err.step(),
        format!("the run could not complete: {err}"),
    ));
}
