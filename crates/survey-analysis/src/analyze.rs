//! The `analyze` step: dataset (+ frame, + previous wave) -> the three workbooks (and,
//! with a frame, the chase list) and `summary.json`.

use crate::DesignError;
use crate::chase::{ChaseSummary, Rejections, RejectsError, chase_report};
use crate::context::Context;
use crate::dataset::{Dataset, DatasetError, names_read};
use crate::demand::{DemandSummary, demand_report};
use crate::figures::QualityCounts;
use crate::frame::{Frame, FrameError};
use crate::impute::ImputationCounts;
use crate::lines::OCCUPATION_NAME_COLUMN;
use crate::previous::{PreviousError, PreviousWave, WaveMatch, previous_design, read_previous};
use crate::publication::{FIGURES_FILE, figures_csv};
use crate::reach::{ReachSummary, reach_report};
use crate::report::book::{Audience, Book};
use crate::report::xlsx::{ReportError, write_book};
use crate::report::{Access, create_output_dir};
use crate::risk::{RiskSummary, risk_report};
use crate::sample::Sample;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use survey_def::{Definition, Lang};

/// File name of the machine-readable summary.
pub const SUMMARY_FILE: &str = "summary.json";

/// Where the optional inputs of an analysis are.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Sampling frame (CSV or xlsx): weighted estimates when given.
    pub frame: Option<PathBuf>,
    /// Dataset folder of the previous wave: wave-over-wave change and new flags.
    pub previous: Option<PathBuf>,
    /// The definition the previous wave was ingested with, when it is not this one: the
    /// previous dataset is read with it and matched with this wave through the roles.
    pub previous_definition: Option<Definition>,
    /// Id mapping of the previous wave (CSV `previous_id,current_id`): enterprises whose
    /// id changed between the waves.
    pub previous_ids: Option<PathBuf>,
    /// Report language.
    pub lang: Lang,
    /// Version of the program, recorded in the summary.
    pub program_version: String,
    /// Response rate (a share, 0 to 1) each frame stratum is measured against on the
    /// chase list; `None` takes [`crate::chase::DEFAULT_TARGET_RATE`].
    pub chase_target_rate: Option<f64>,
}

/// Why an analysis cannot run. Each variant names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The definition declares no `[analysis]` roles.
    #[error("{}: the definition has no [analysis] section naming the questions to estimate", path.display())]
    NoAnalysisSection {
        /// The definition file.
        path: PathBuf,
    },
    /// The dataset cannot be read.
    #[error(transparent)]
    Dataset(DatasetError),
    /// The previous wave's dataset cannot be read, or matched with this wave.
    #[error("previous wave: {0}")]
    Previous(PreviousError),
    /// The frame cannot be read.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The dataset's rejections cannot be read (for the chase list).
    #[error(transparent)]
    Rejects(#[from] RejectsError),
    /// The chase list's target response rate is not a share.
    #[error("the target response rate must be a share from 0 to 1, not {0}")]
    TargetRate(f64),
    /// The design cannot be built on these returns and this frame.
    #[error("cannot build the sample design: {0}")]
    Design(#[from] DesignError),
    /// A workbook could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A workbook's task ended without its workbook (a task that fails panics instead, so
    /// this only guards the bookkeeping).
    #[error("the workbooks were not all built")]
    NotBuilt,
    /// The summary or the output folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Counts of the run, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCounts {
    /// Returns received by ingest (when its summary is in the dataset).
    pub received: Option<u64>,
    /// Accepted returns (rows of the dataset).
    pub accepted: u64,
    /// Rejected returns.
    pub rejected: Option<u64>,
    /// Superseded returns.
    pub superseded: Option<u64>,
    /// Returns in the estimates.
    pub in_estimates: u64,
    /// Returns of enterprises not in the frame.
    pub outside_frame: u64,
    /// Enterprises in the frame.
    pub frame_enterprises: Option<u64>,
    /// In the estimates over the frame.
    pub response_rate: Option<f64>,
}

/// Response of one stratum, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumSummary {
    /// Stratum label, `section/size_class`.
    pub stratum: String,
    /// N_h.
    pub population: u64,
    /// n_h.
    pub respondents: u64,
    /// n_h / N_h.
    pub response_rate: f64,
    /// Merged into this stratum for the variance.
    pub collapsed_into: Option<String>,
}

/// The definition analysed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionSummary {
    /// Survey id.
    pub survey: String,
    /// Version.
    pub version: String,
    /// SHA-256 fingerprint.
    pub fingerprint: String,
}

/// `summary.json`: headline figures, counts, flags and quality marks, for machines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The definition.
    pub definition: DefinitionSummary,
    /// Version of the program.
    pub program_version: String,
    /// Report language.
    pub language: &'static str,
    /// `frame` (weighted) or `unweighted`.
    pub weighting: &'static str,
    /// Counts.
    pub counts: RunCounts,
    /// Response by stratum (weighted analyses).
    pub strata: Vec<StratumSummary>,
    /// Demand figures.
    pub demand: DemandSummary,
    /// Risk flags.
    pub risk: RiskSummary,
    /// Policy reach.
    pub reach: ReachSummary,
    /// The chase list (with a frame): counts only, never an enterprise.
    pub chase: Option<ChaseSummary>,
    /// What imputation did to each number question read, in question order.
    pub imputation: Vec<ImputationCounts>,
    /// Quality marks of all published workbooks together.
    pub quality: QualityCounts,
    /// Files written, in order.
    pub outputs: Vec<String>,
}

/// The workbooks and summary of one analysis, not yet written.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The workbooks: the three reports, then the chase list when there is a frame.
    pub books: Vec<Book>,
    /// The summary.
    pub summary: Summary,
}

/// Questions and table columns the reports read.
pub fn columns_needed(def: &Definition) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let mut questions = BTreeSet::new();
    let mut columns = BTreeSet::new();
    if let Some(d) = def.design() {
        questions.insert(d.industry_question.clone());
        questions.insert(d.size_question.clone());
        questions.extend(d.subdistrict_question.clone());
    }
    if let Some(a) = def.analysis() {
        questions.insert(a.employees.clone());
        for q in [
            &a.employees_before,
            &a.planned_hires,
            &a.planned_reductions,
            &a.returned,
            &a.expected_to_return,
            &a.support,
        ] {
            questions.extend(q.clone());
        }
        questions.extend(a.totals.iter().cloned());
        questions.extend(a.shares.iter().cloned());
        questions.extend(a.distributions.iter().cloned());
        if let Some(v) = &a.vacancies {
            let table = v.table.clone();
            for c in [
                Some(&v.occupation),
                Some(&v.openings),
                v.hard_to_fill.as_ref(),
                v.skill_shortage.as_ref(),
                v.wage.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                columns.insert((table.clone(), c.clone()));
            }
            if def
                .question(&table)
                .and_then(|t| t.column(OCCUPATION_NAME_COLUMN))
                .is_some()
            {
                columns.insert((table, OCCUPATION_NAME_COLUMN.to_owned()));
            }
        }
        if let Some(auxiliary) = a.imputation.as_ref().and_then(|i| i.auxiliary.clone()) {
            questions.insert(auxiliary);
        }
    }
    for rule in def.risk_rules() {
        names_read(&rule.when, &mut questions, &mut columns);
        questions.extend(rule.evidence.iter().cloned());
    }
    for policy in def.policies() {
        questions.insert(policy.aware.clone());
        questions.insert(policy.applied.clone());
        questions.insert(policy.received.clone());
        questions.extend(policy.channel.clone());
        if let Some(need) = &policy.need {
            names_read(need, &mut questions, &mut columns);
        }
    }
    // The name listed beside each flagged enterprise.
    if let Some(name) = &def.survey().enterprise_name_question {
        questions.insert(name.clone());
    }
    // Skip logic of the questions read: a number not asked is a known 0 (see
    // `Context::numbers`), which takes the answers its condition reads.
    let asked: Vec<String> = questions.iter().cloned().collect();
    for q in asked {
        if let Some(relevant) = def.question(&q).and_then(|q| q.relevant.as_ref()) {
            names_read(relevant, &mut questions, &mut columns);
        }
    }
    // Only questions that are columns of the responses file (not tables).
    questions.retain(|q| def.question(q).is_some_and(|q| q.kind.table().is_none()));
    (questions, columns)
}

/// Reads a frame by its extension: `.xlsx` (first sheet) or CSV.
pub fn read_frame(path: &Path, def: &Definition) -> Result<Frame, FrameError> {
    let is_xlsx = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        Frame::read_xlsx(path, def)
    } else {
        Frame::read_csv(path, def)
    }
}

/// Runs the analysis: reads the dataset, builds the design, computes the three workbooks.
pub fn analyze(def: &Definition, dataset: &Path, options: &AnalyzeOptions) -> Result<Analysis, AnalyzeError> {
    let spec = def.analysis().ok_or_else(|| AnalyzeError::NoAnalysisSection {
        path: def.source.clone(),
    })?;
    if let Some(rate) = options.chase_target_rate
        && !(rate.is_finite() && (0.0..=1.0).contains(&rate))
    {
        return Err(AnalyzeError::TargetRate(rate));
    }
    let (questions, columns) = columns_needed(def);
    // The previous wave is read with its own definition and matched through the roles.
    let previous_def = options.previous_definition.as_ref().unwrap_or(def);
    let matching = WaveMatch::between(def, previous_def);
    let (previous_questions, previous_columns) = crate::previous::columns_read(def, previous_def, &matching);
    // The inputs are read at the same time; a failure is reported in this order.
    let (data, (previous, (frame, previous_frame))) = rayon::join(
        || Dataset::read(dataset, def, &questions, &columns),
        || {
            rayon::join(
                || {
                    options
                        .previous
                        .as_deref()
                        .map(|p| {
                            let ids = options.previous_ids.as_deref();
                            read_previous(p, previous_def, &previous_questions, &previous_columns, ids)
                        })
                        .transpose()
                },
                || {
                    rayon::join(
                        || options.frame.as_deref().map(|p| read_frame(p, def)).transpose(),
                        // Another definition places enterprises by its own size classes.
                        || match (&options.previous, options.frame.as_deref()) {
                            (Some(_), Some(p)) if !matching.same_definition => Some(read_frame(p, previous_def)),
                            _ => None,
                        },
                    )
                },
            )
        },
    );
    let data = data.map_err(AnalyzeError::Dataset)?;
    let previous = previous.map_err(AnalyzeError::Previous)?;
    let frame = frame?;
    // The chase list says which frame enterprises were rejected: only with a frame.
    let rejections = match &frame {
        Some(_) => Rejections::read(dataset)?,
        None => None,
    };
    let sample = Sample::build(def, &data.enterprise_ids, frame.as_ref())?;
    let ctx = Context::new(def, spec, options.lang, &data, &sample, frame.as_ref());
    // The previous wave's figures are estimated as its own analysis would, on the same
    // frame; a wave whose design cannot be built is compared without them.
    let previous_frame: Result<Option<&Frame>, String> = match &previous_frame {
        None => Ok(frame.as_ref()),
        Some(Ok(f)) => Ok(Some(f)),
        Some(Err(e)) => Err(e.to_string()),
    };
    let previous_sample = previous
        .as_ref()
        .map(|p| previous_design(previous_def, p, previous_frame.clone()));
    let previous_ctx = match (&previous, &previous_sample, previous_def.analysis()) {
        (Some(p), Some(Ok(sample)), Some(previous_spec)) => Ok(Context::new(
            previous_def,
            previous_spec,
            options.lang,
            p,
            sample,
            previous_frame.clone().ok().flatten(),
        )),
        (_, Some(Err(reason)), _) => Err(reason.clone()),
        // Read only with `[analysis]` roles (see `read_previous`).
        _ => Err("its definition has no [analysis] section".to_owned()),
    };
    let wave = previous.as_ref().map(|data| PreviousWave {
        def: previous_def,
        data,
        matching,
        estimation: previous_ctx.as_ref().map_err(Clone::clone),
    });

    // The workbooks read the same context and nothing of each other: each is built on a
    // task of its own, and listed in the order below whatever order they finish in. A new
    // workbook is one more task and one more field of the summary.
    let (mut demand, mut risk, mut reach, mut chase) = (None, None, None, None);
    let (chase_frame, rejections) = (frame.as_ref(), rejections.as_ref());
    rayon::scope(|s| {
        s.spawn(|_| demand = Some(demand_report(&ctx, wave.as_ref())));
        s.spawn(|_| risk = Some(risk_report(&ctx, wave.as_ref())));
        s.spawn(|_| reach = Some(reach_report(&ctx)));
        if let Some(frame) = chase_frame {
            let (ctx, chase) = (&ctx, &mut chase);
            s.spawn(move |_| *chase = Some(chase_report(ctx, frame, rejections, options.chase_target_rate)));
        }
    });
    let (Some((demand_book, demand)), Some((risk_book, risk)), Some((reach_book, reach))) = (demand, risk, reach)
    else {
        return Err(AnalyzeError::NotBuilt);
    };
    if frame.is_some() && chase.is_none() {
        return Err(AnalyzeError::NotBuilt);
    }
    let mut quality = demand.quality;
    quality.merge(reach.quality);
    let mut books = vec![demand_book, risk_book, reach_book];
    let chase = chase.map(|(book, summary)| {
        books.push(book);
        summary
    });
    let mut outputs: Vec<String> = books
        .iter()
        .map(|b| format!("{}/{}", crate::report::folder(access_of(b)), b.file_name))
        .collect();
    outputs.push(format!("{}/{FIGURES_FILE}", crate::report::PUBLISHED_DIR));
    outputs.push(format!("{}/{SUMMARY_FILE}", crate::report::PUBLISHED_DIR));
    let summary = Summary {
        definition: DefinitionSummary {
            survey: def.survey().id.clone(),
            version: def.survey().version.clone(),
            fingerprint: def.fingerprint.clone(),
        },
        program_version: options.program_version.clone(),
        language: match options.lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        },
        weighting: if sample.weighted { "frame" } else { "unweighted" },
        counts: RunCounts {
            received: data.counts.map(|c| c.received),
            accepted: data.len() as u64,
            rejected: data.counts.map(|c| c.rejected),
            superseded: data.counts.map(|c| c.superseded),
            in_estimates: sample.units() as u64,
            outside_frame: sample.outside_frame.len() as u64,
            frame_enterprises: sample.weighted.then_some(sample.population),
            response_rate: sample.response_rate(),
        },
        strata: sample
            .strata
            .iter()
            .map(|s| StratumSummary {
                stratum: s.label.to_string(),
                population: s.population,
                respondents: s.respondents,
                response_rate: s.response_rate(),
                collapsed_into: s.collapsed_into.as_ref().map(ToString::to_string),
            })
            .collect(),
        demand,
        risk,
        reach,
        chase,
        imputation: ctx.imputations(),
        quality,
        outputs,
    };
    Ok(Analysis { books, summary })
}

/// Where a book goes: published or restricted.
fn access_of(book: &Book) -> Access {
    match book.cover.audience {
        Audience::Published => Access::Published,
        Audience::OfficialsOnly => Access::Restricted,
    }
}

/// Writes the analysis into `out` (created if needed), each file atomically: what may be
/// published (the workbooks for the public, `summary.json`) into `out/published/`, and
/// what names enterprises (the officials' workbooks) into `out/restricted/`, which is
/// owner-only on Unix. Returns the paths written.
pub fn write_reports(analysis: &Analysis, out: &Path) -> Result<Vec<PathBuf>, AnalyzeError> {
    let dir = |access: Access| {
        create_output_dir(out, access).map_err(|source| AnalyzeError::Write {
            path: out.join(crate::report::folder(access)),
            source,
        })
    };
    let published = dir(Access::Published)?;
    let restricted = dir(Access::Restricted)?;
    let place = |book: &Book| match access_of(book) {
        Access::Published => (published.join(&book.file_name), Access::Published),
        Access::Restricted => (restricted.join(&book.file_name), Access::Restricted),
    };
    // Each workbook is its own file: they are built at the same time, and the first
    // failure in book order is the one reported.
    let mut written = analysis
        .books
        .par_iter()
        .map(|book| {
            let (path, access) = place(book);
            write_book(book, &path, access).map(|()| path)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<PathBuf>, ReportError>>()?;
    let path = published.join(FIGURES_FILE);
    let figures = figures_csv(
        analysis
            .books
            .iter()
            .filter(|b| b.cover.audience == Audience::Published)
            .map(|b| (b.file_name.as_str(), b.figures.as_slice())),
    )
    .map_err(|e| AnalyzeError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    crate::report::write_atomically(&path, &figures, Access::Published).map_err(|source| AnalyzeError::Write {
        path: path.clone(),
        source,
    })?;
    written.push(path);
    let path = published.join(SUMMARY_FILE);
    let write_error = |source| AnalyzeError::Write {
        path: path.clone(),
        source,
    };
    let mut json = serde_json::to_vec_pretty(&analysis.summary).map_err(|e| write_error(std::io::Error::other(e)))?;
    json.push(b'\n');
    crate::report::write_atomically(&path, &json, Access::Published).map_err(write_error)?;
    written.push(path);
    Ok(written)
}
