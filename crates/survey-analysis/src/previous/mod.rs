//! The previous wave: its dataset read with the definition it was ingested with, its
//! enterprises matched with this wave's by id (through an optional id mapping), and its
//! questions with this wave's through the roles both definitions declare.
//!
//! The two waves may come from different definitions (an autumn follow-up compared with
//! the spring survey, whose ids differ). Nothing is read with the wrong definition: the
//! previous dataset is read with its own, its figures are estimated by its own `[analysis]`
//! roles, and this wave reads it through [`WaveMatch`]: the risk rules' `previous()`, the
//! wave-over-wave change in headcount and vacancies, and the flags new since then.
//!
//! ```no_run
//! # fn run(now: &survey_def::Definition, before: &survey_def::Definition, data: &survey_analysis::dataset::Dataset) {
//! use survey_analysis::previous::{PreviousWave, WaveMatch};
//! let wave = PreviousWave::new(WaveMatch::between(now, before), before, data);
//! println!("employees then: {:?}", wave.matching.question(&now.analysis().unwrap().employees));
//! # }
//! ```

mod ids;
mod matching;

pub use ids::{ID_MAP_HEADER, IdMap, IdMapError, MAX_ID_MAP_BYTES, normalise_id};
pub use matching::WaveMatch;

use crate::context::Context;
use crate::dataset::{Dataset, DatasetError, names_read};
use crate::frame::Frame;
use crate::sample::Sample;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use survey_def::{Definition, VacancyColumns};
use survey_files::dataset::{DefinitionInfo, INGEST_JSON, IngestSummary};

/// Why the previous wave cannot be read or matched with this one.
#[derive(Debug, thiserror::Error)]
pub enum PreviousError {
    /// Its definition declares no `[analysis]` roles, through which the waves are matched.
    #[error(
        "its definition {} has no [analysis] section: the waves are matched through its roles",
        path.display()
    )]
    NoAnalysisSection {
        /// The previous wave's definition.
        path: PathBuf,
    },
    /// Its dataset cannot be read with its definition.
    #[error("{source}{}", ingested_with.as_ref().map(|d| format!(
        "; its ingest.json says it was ingested with {d}: give that definition as the previous wave's (`--previous-definition`, or `definition` in the pipeline's `previous` table)"
    )).unwrap_or_default())]
    Dataset {
        /// What reading it found.
        source: Box<DatasetError>,
        /// The definition its `ingest.json` names, when that is not the one it was read
        /// with.
        ingested_with: Option<String>,
    },
    /// The id mapping cannot be read or applied.
    #[error(transparent)]
    Ids(#[from] IdMapError),
}

/// Reads the previous wave's dataset in `dir` with `def`, the definition it was ingested
/// with: `questions` and `columns` (see [`columns_read`]); then gives its enterprises this
/// wave's ids by the mapping at `ids`, when given.
pub fn read_previous(
    dir: &Path,
    def: &Definition,
    questions: &BTreeSet<String>,
    columns: &BTreeSet<(String, String)>,
    ids: Option<&Path>,
) -> Result<Dataset, PreviousError> {
    if def.analysis().is_none() {
        return Err(PreviousError::NoAnalysisSection {
            path: def.source.clone(),
        });
    }
    // The mapping is read first: a mistake in it is named before the dataset is read.
    let ids = ids.map(IdMap::read).transpose()?;
    let mut data = Dataset::read(dir, def, questions, columns).map_err(|source| {
        // A dataset of another definition says which, when its accounting records it.
        let ingested_with = match &source {
            DatasetError::MissingColumn { .. } | DatasetError::OtherDefinition { .. } => recorded_definition(dir)
                .filter(|d| d.fingerprint != def.fingerprint)
                .map(|d| format!("{} {} (fingerprint {})", d.survey, d.version, short(&d.fingerprint))),
            _ => None,
        };
        PreviousError::Dataset {
            source: Box::new(source),
            ingested_with,
        }
    })?;
    if let Some(ids) = ids {
        ids.apply(&mut data)?;
    }
    Ok(data)
}

/// The first 16 hex digits of a fingerprint, as reports print it.
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..16).unwrap_or(fingerprint)
}

/// The previous wave's returns as a design of their own, built as its own analysis would
/// build it on `frame` (the frame of this analysis, read with the previous wave's
/// definition); why not, when it cannot be built.
pub fn previous_design(
    def: &Definition,
    data: &Dataset,
    frame: Result<Option<&Frame>, String>,
) -> Result<Sample, String> {
    let frame = frame.map_err(|e| format!("the frame cannot place its enterprises: {e}"))?;
    Sample::build(def, &data.enterprise_ids, frame).map_err(|e| format!("its sample design cannot be built: {e}"))
}

/// The previous wave as this wave reads it.
pub struct PreviousWave<'a> {
    /// The definition its returns were ingested with.
    pub def: &'a Definition,
    /// Its returns, read with that definition; enterprise ids are this wave's (after the
    /// id mapping, when one was given).
    pub data: &'a Dataset,
    /// This definition's questions with the previous definition's holding the same.
    pub matching: WaveMatch,
    /// The previous wave's returns as a design of their own, for its headline figures;
    /// why there are none when its design could not be built.
    pub estimation: Result<&'a Context<'a>, String>,
}

impl<'a> PreviousWave<'a> {
    /// The previous wave `data`, ingested with `def` and matched by `matching`; its
    /// figures are not estimated (see [`PreviousWave::estimation`]).
    pub fn new(matching: WaveMatch, def: &'a Definition, data: &'a Dataset) -> Self {
        PreviousWave {
            def,
            data,
            matching,
            estimation: Err("not estimated".to_owned()),
        }
    }

    /// The previous wave's row of each return of `current`, matched by enterprise id.
    pub fn rows_of(&self, current: &Dataset) -> Vec<Option<usize>> {
        current
            .enterprise_ids
            .iter()
            .map(|id| self.data.row_of.get(id).copied())
            .collect()
    }

    /// The previous wave's employees (its definition's `employees` role), per return.
    pub fn employees(&self) -> Vec<Option<f64>> {
        match self.def.analysis() {
            Some(a) => self.data.numbers(&a.employees),
            None => vec![None; self.data.len()],
        }
    }

    /// The previous definition's vacancy table, when it maps one.
    pub fn vacancies(&self) -> Option<&VacancyColumns> {
        self.def.analysis().and_then(|a| a.vacancies.as_ref())
    }

    /// The previous wave's survey, version and short fingerprint, as the reports name it.
    pub fn identity(&self) -> String {
        let s = self.def.survey();
        format!("{} {} ({})", s.id, s.version, self.def.short_fingerprint())
    }
}

/// The questions and table columns to read from the previous wave's dataset: what its own
/// definition's reports read (its figures are estimated as its own analysis would), and
/// what this definition's risk rules read of it through `matching`.
pub fn columns_read(
    current: &Definition,
    previous: &Definition,
    matching: &WaveMatch,
) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let (mut questions, mut columns) = crate::analyze::columns_needed(previous);
    let mut read_now = BTreeSet::new();
    let mut columns_now = BTreeSet::new();
    for rule in current.risk_rules() {
        names_read(&rule.when, &mut read_now, &mut columns_now);
        read_now.extend(rule.evidence.iter().cloned());
    }
    questions.extend(read_now.iter().filter_map(|q| matching.question(q)).map(str::to_owned));
    columns.extend(
        columns_now
            .iter()
            .filter_map(|(t, c)| matching.column(t, c))
            .map(|(t, c)| (t.to_owned(), c.to_owned())),
    );
    (questions, columns)
}

/// The definition a dataset's `ingest.json` says it was checked against, when it says.
pub fn recorded_definition(dir: &Path) -> Option<DefinitionInfo> {
    let bytes = survey_files::read::read_bounded(&dir.join(INGEST_JSON), crate::dataset::MAX_SUMMARY_BYTES).ok()?;
    let summary: IngestSummary = serde_json::from_slice(&bytes).ok()?;
    Some(summary.definition).filter(|d| !d.fingerprint.is_empty())
}
