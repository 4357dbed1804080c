//! Synthetic, deterministic sample data for an employer labor-demand survey.
//!
//! From a checked [`survey_def::Definition`] and a seed, [`generate`] writes what a
//! district employment office would hold after a survey wave: the sampling frame
//! (`frame.csv`), the returns of the responding enterprises in every format the ingest
//! reads (template workbooks, JSON, a JSON Lines online-form export, a wide export
//! workbook), a share of them deliberately flawed or damaged, the previous wave
//! (`previous/returns.jsonl`), and `manifest.json`, which says for every return where it
//! is and what the ingest should make of it (accepted, rejected, superseded, unreadable).
//!
//! Clean returns hang together: before they are written they are checked against every
//! constraint, skip rule (cascading, as the ingest applies it) and required answer of
//! the definition, with the definition's own evaluator (`survey_def::expr`), so a clean
//! return the ingest rejects is a bug in the ingest.
//!
//! Called by the CLI's `sample` command (which fills `sample-data/`), by tests of the
//! parser and the analysis, and for demonstrations. The same definition and options
//! always give byte-identical files.
//!
//! For load tests, [`write_jsonl_returns`] streams any number of clean, distinct returns
//! as JSON Lines in constant memory, with [`write_stream_frame`] and
//! [`write_jsonl_previous`] for the matching frame and previous wave.
//!
//! ```no_run
//! use std::path::Path;
//! let def = survey_def::load(Path::new("survey-defs/spring-2024.toml")).unwrap();
//! let options = survey_sample::SampleOptions { enterprises: 300, seed: 1, ..Default::default() };
//! let summary = survey_sample::generate(&def, &options, Path::new("sample-data")).unwrap();
//! println!("{} returns from {} enterprises, {} flawed", summary.returns, summary.population, summary.flawed);
//! ```

#![warn(missing_docs)]

mod answers;
mod check;
mod flaws;
mod formats;
pub mod manifest;
mod names;
mod occupations;
mod population;
mod previous;
mod random;
mod reach;
mod sectors;
mod settle;
mod stream;
mod wave;

pub use stream::{MAX_STREAM_RETURNS, StreamSummary, write_jsonl_previous, write_jsonl_returns, write_stream_frame};

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use survey_def::Definition;

/// What [`generate`] writes under the output folder. It refuses to run when any of them
/// exists; other files (a README) may stay.
pub const GENERATED: [&str; 4] = ["returns", "previous", "frame.csv", "manifest.json"];

/// Most enterprises one run responds for (credit codes and memory stay comfortable).
pub const MAX_ENTERPRISES: usize = 100_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Responding enterprises (returns of the current wave, duplicates aside).
    pub enterprises: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Share of returns with a planted flaw (0.08 by default).
    pub flawed_share: f64,
    /// Share of the frame that responds: the population is `enterprises / response_rate`
    /// (0.6 by default).
    pub response_rate: f64,
    /// Whether to write the previous wave (true by default).
    pub previous_wave: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            enterprises: 300,
            seed: 1,
            flawed_share: 0.08,
            response_rate: 0.6,
            previous_wave: true,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSummary {
    /// Enterprises in the frame.
    pub population: usize,
    /// Enterprises that responded in the current wave.
    pub respondents: usize,
    /// Returns of the current wave written (respondents plus second returns of
    /// duplicates; damaged files included).
    pub returns: usize,
    /// Returns with a planted flaw (damaged files and later duplicates included).
    pub flawed: usize,
    /// Returns the ingest should accept.
    pub expected_accepted: usize,
    /// Returns with harmless variants (full-width digits, thousands separators...).
    pub with_variants: usize,
    /// Files written, `manifest.json` and `frame.csv` included.
    pub files_written: usize,
    /// Returns by format (`xlsx`, `json`, `jsonl`, `wide`).
    pub by_format: BTreeMap<String, usize>,
    /// Flawed returns by kind of flaw.
    pub by_flaw: BTreeMap<String, usize>,
    /// Returns of the previous wave.
    pub previous_returns: usize,
    /// Planted wave-over-wave outliers in the previous wave.
    pub previous_outliers: usize,
}

/// Why sample data could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// An option is out of range.
    #[error("invalid sample options: {0}")]
    Options(String),
    /// The output folder already holds generated data (stale returns would mix with new
    /// ones); remove the paths in [`GENERATED`] first.
    #[error("{} already exists; remove the generated data (returns/, previous/, frame.csv, manifest.json) or choose another folder", .0.display())]
    AlreadyGenerated(PathBuf),
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The definition's survey period is not a date range.
    #[error("the survey period `{0}` is not a valid date range (YYYY-MM-DD to YYYY-MM-DD)")]
    Period(String),
    /// The template workbook could not be filled in.
    #[error("cannot write a questionnaire workbook: {0}")]
    Template(#[from] survey_forms::TemplateError),
    /// The wide export workbook could not be written.
    #[error("cannot write the wide export workbook: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    /// JSON could not be written.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A streamed wave could not be written to its writer.
    #[error("cannot write the returns: {0}")]
    Stream(#[source] std::io::Error),
    /// The definition asks for something the generator cannot satisfy (a constraint no
    /// generated answer meets).
    #[error("cannot generate a clean return for {enterprise}: {}", problems.join("; "))]
    Inconsistent {
        /// The enterprise's credit code.
        enterprise: String,
        /// What the return breaks.
        problems: Vec<String>,
    },
}

impl SampleOptions {
    fn check(&self) -> Result<(), SampleError> {
        let bad = |m: String| Err(SampleError::Options(m));
        if self.enterprises == 0 || self.enterprises > MAX_ENTERPRISES {
            return bad(format!(
                "enterprises must be 1 to {MAX_ENTERPRISES}, not {}",
                self.enterprises
            ));
        }
        if !(self.flawed_share >= 0.0 && self.flawed_share < 1.0) {
            return bad(format!(
                "flawed share must be at least 0 and below 1, not {}",
                self.flawed_share
            ));
        }
        if !(self.response_rate > 0.0 && self.response_rate <= 1.0) {
            return bad(format!(
                "response rate must be above 0 and at most 1, not {}",
                self.response_rate
            ));
        }
        Ok(())
    }
}

/// Writes files under a root atomically (a temporary file renamed into place).
pub(crate) struct Writer {
    root: PathBuf,
    files: usize,
}

impl Writer {
    pub(crate) fn write(&mut self, relative: &str, bytes: &[u8]) -> Result<(), SampleError> {
        let path = self.root.join(relative);
        let io = |source| SampleError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.tmp"));
        std::fs::write(&temp, bytes).map_err(|source| SampleError::Io {
            path: temp.clone(),
            source,
        })?;
        std::fs::rename(&temp, &path).map_err(io)?;
        self.files += 1;
        Ok(())
    }
}

fn period(def: &Definition) -> Result<(i32, i32), SampleError> {
    let s = &def.survey();
    let parse = survey_def::codes::parse_iso_date;
    match (parse(&s.period_start), parse(&s.period_end)) {
        (Some(a), Some(b)) if a <= b => Ok((a, b)),
        _ => Err(SampleError::Period(format!("{} – {}", s.period_start, s.period_end))),
    }
}

/// Generates the frame, the current wave's returns, the previous wave and the manifest
/// into `out_dir` (created if missing; none of [`GENERATED`] may exist in it yet).
/// Deterministic: the same definition and options give byte-identical files.
pub fn generate(def: &Definition, options: &SampleOptions, out_dir: &Path) -> Result<SampleSummary, SampleError> {
    options.check()?;
    let period = period(def)?;
    if let Some(existing) = GENERATED.iter().map(|p| out_dir.join(p)).find(|p| p.exists()) {
        return Err(SampleError::AlreadyGenerated(existing));
    }
    std::fs::create_dir_all(out_dir).map_err(|source| SampleError::Io {
        path: out_dir.to_owned(),
        source,
    })?;
    let population = ((options.enterprises as f64 / options.response_rate).round() as usize).max(options.enterprises);
    let frame = population::frame(def, population, options.seed);
    let mut order: Vec<usize> = (0..frame.len()).collect();
    random::shuffle(&mut random::stream(options.seed, "response", 0), &mut order);
    let mut respondents = order[..options.enterprises].to_vec();
    respondents.sort_unstable();

    let mut out = Writer {
        root: out_dir.to_owned(),
        files: 0,
    };
    let jobs = wave::plan(def, &frame, &respondents, options, period)?;
    let returns = wave::write(def, &jobs, &mut out)?;
    let previous = if options.previous_wave {
        let (text, previous) = previous::previous(def, &frame, &respondents, options, period)?;
        out.write(previous::FILE, text.as_bytes())?;
        Some(previous)
    } else {
        None
    };
    out.write("frame.csv", population::frame_csv(&frame).as_bytes())?;

    let counts = manifest::Manifest::tally(&returns);
    let summary = SampleSummary {
        population,
        respondents: respondents.len(),
        returns: returns.len(),
        flawed: returns.iter().filter(|r| r.flaw.is_some()).count(),
        expected_accepted: returns
            .iter()
            .filter(|r| r.expected == manifest::Expected::Accepted)
            .count(),
        with_variants: returns.iter().filter(|r| !r.variants.is_empty()).count(),
        files_written: out.files + 1,
        by_format: counts.get("format").cloned().unwrap_or_default(),
        by_flaw: counts
            .get("flaw")
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "none")
            .collect(),
        previous_returns: previous.as_ref().map_or(0, |p| p.returns.len()),
        previous_outliers: previous
            .as_ref()
            .map_or(0, |p| p.returns.iter().filter(|r| r.outlier.is_some()).count()),
    };
    let manifest = manifest::Manifest {
        survey: def.survey().id.clone(),
        version: def.survey().version.clone(),
        fingerprint: def.fingerprint.clone(),
        seed: options.seed,
        population,
        respondents: respondents.len(),
        flawed_share: options.flawed_share,
        response_rate: options.response_rate,
        counts,
        returns,
        previous,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    out.write("manifest.json", text.as_bytes())?;
    Ok(summary)
}
