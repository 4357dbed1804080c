//! `chase.xlsx`: the frame enterprises still to chase, for officials. Every enterprise of
//! the sampling frame without an accepted return is listed with what the frame says of it
//! (name, contact details, sub-district, every further column) and why it is listed: no
//! return received, or a return rejected (with the first reason and the file). A second
//! sheet shows the response of each frame stratum against a target rate and how many more
//! returns would reach it, the strata furthest from target first; the list follows that
//! order, so the enterprises whose returns count most come first.
//!
//! The workbook names enterprises, so it is for officials only
//! ([`Audience::OfficialsOnly`]) and is written only with a frame.
//!
//! ```no_run
//! # fn run(ctx: &survey_analysis::context::Context<'_>, frame: &survey_analysis::frame::Frame) {
//! use survey_analysis::chase::{Rejections, chase_report};
//! let rejections = Rejections::read(&ctx.data.dir).ok().flatten();
//! let (book, summary) = chase_report(ctx, frame, rejections.as_ref(), Some(0.4));
//! assert_eq!(book.file_name, survey_analysis::chase::CHASE_FILE);
//! println!("{} enterprises to chase, {} more returns needed", summary.enterprises_listed, summary.returns_needed);
//! # }
//! ```

mod progress;
mod rejects;
mod sheets;

pub use progress::{StratumProgress, progress_order, rate, returns_needed, returns_wanted, stratum_order};
pub use rejects::{FirstRejection, Rejections, RejectsError, normalise_id};

use crate::context::Context;
use crate::frame::{Frame, FrameEnterprise, StratumLabel};
use crate::report::book::{Audience, Book, BookPlan};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// File name of the workbook.
pub const CHASE_FILE: &str = "chase.xlsx";

/// Response rate each stratum is measured against when none is given: half the
/// enterprises of the stratum.
pub const DEFAULT_TARGET_RATE: f64 = 0.5;

/// Headers of a frame column holding the enterprise's name, ignoring case.
pub const NAME_COLUMNS: [&str; 3] = ["name", "enterprise_name", "企业名称"];

/// Why a frame enterprise is on the list. The order is the list's: a rejected return
/// (the enterprise tried, and one call may settle it) before no return at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChaseStatus {
    /// Its return was rejected and no later accepted return corrected it.
    Rejected,
    /// No return of it was received (or none could be matched to it).
    NotReceived,
}

/// The rate the strata are measured against, and whether it was given or the default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// A share, 0 to 1.
    pub rate: f64,
    /// False when [`DEFAULT_TARGET_RATE`] was taken.
    pub given: bool,
}

impl Target {
    /// The given rate, or the default.
    pub fn of(given: Option<f64>) -> Target {
        match given {
            Some(rate) => Target { rate, given: true },
            None => Target {
                rate: DEFAULT_TARGET_RATE,
                given: false,
            },
        }
    }
}

/// One enterprise of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ChaseEntry<'a> {
    /// The enterprise as the frame lists it.
    pub enterprise: &'a FrameEnterprise,
    /// Its credit code as matched ([`normalise_id`]).
    pub id: String,
    /// Why it is listed.
    pub status: ChaseStatus,
    /// The first problem of its rejected return.
    pub rejection: Option<&'a FirstRejection>,
}

/// The list and the progress of every stratum, in print order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chase<'a> {
    /// Frame enterprises without an accepted return: strata in the order of `strata`,
    /// then rejected before not received, then by credit code.
    pub entries: Vec<ChaseEntry<'a>>,
    /// Every frame stratum, furthest from target first ([`progress_order`]).
    pub strata: Vec<StratumProgress>,
    /// The target.
    pub target: Target,
    /// Whether the dataset's rejections were read (false: every status is "not received").
    pub rejections_read: bool,
    /// Rejected returns matching no frame enterprise, counted by file and credit code.
    pub unmatched_rejections: usize,
}

impl<'a> Chase<'a> {
    /// The chase of `frame` given the credit codes of the accepted returns (any case and
    /// spacing) and the dataset's rejections (`None` when it has none recorded).
    pub fn build(
        frame: &'a Frame,
        accepted: &[String],
        rejections: Option<&'a Rejections>,
        target: Target,
        class_rank: &impl Fn(&str) -> usize,
    ) -> Chase<'a> {
        let accepted: HashSet<String> = accepted.iter().map(|id| normalise_id(id)).collect();
        let mut strata: BTreeMap<&StratumLabel, StratumProgress> = BTreeMap::new();
        let mut entries = Vec::new();
        for enterprise in &frame.enterprises {
            let progress = strata.entry(&enterprise.stratum).or_insert_with(|| StratumProgress {
                label: enterprise.stratum.clone(),
                population: 0,
                returns: 0,
                rejected: 0,
            });
            progress.population += 1;
            let id = normalise_id(&enterprise.enterprise_id);
            if accepted.contains(&id) {
                progress.returns += 1;
                continue;
            }
            let rejection = rejections.and_then(|r| r.first.get(&id));
            let status = match rejection {
                Some(_) => {
                    progress.rejected += 1;
                    ChaseStatus::Rejected
                }
                None => ChaseStatus::NotReceived,
            };
            entries.push(ChaseEntry {
                enterprise,
                id,
                status,
                rejection,
            });
        }
        let mut strata: Vec<StratumProgress> = strata.into_values().collect();
        strata.sort_by(|a, b| progress_order(a, b, target.rate, class_rank));
        let rank: HashMap<&StratumLabel, usize> = strata.iter().enumerate().map(|(i, s)| (&s.label, i)).collect();
        let rank_of = |e: &ChaseEntry<'_>| rank.get(&e.enterprise.stratum).copied().unwrap_or(usize::MAX);
        entries.sort_by(|a, b| {
            rank_of(a)
                .cmp(&rank_of(b))
                .then(a.status.cmp(&b.status))
                .then_with(|| a.id.cmp(&b.id))
        });
        let unmatched_rejections = rejections.map_or(0, |r| {
            let frame_ids: HashSet<String> = frame
                .enterprises
                .iter()
                .map(|e| normalise_id(&e.enterprise_id))
                .collect();
            r.unmatched(&frame_ids)
        });
        Chase {
            entries,
            strata,
            target,
            rejections_read: rejections.is_some(),
            unmatched_rejections,
        }
    }

    /// Listed enterprises with `status`.
    pub fn count(&self, status: ChaseStatus) -> u64 {
        self.entries.iter().filter(|e| e.status == status).count() as u64
    }

    /// More returns needed over all strata (each stratum against the target).
    pub fn returns_needed(&self) -> u64 {
        self.strata
            .iter()
            .map(|s| s.needed(self.target.rate))
            .fold(0, u64::saturating_add)
    }
}

/// What `summary.json` says of the chase list: counts only, never an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChaseSummary {
    /// The response rate each stratum is measured against.
    pub target_rate: f64,
    /// Whether the target was given (false: the default).
    pub target_given: bool,
    /// Frame enterprises without an accepted return.
    pub enterprises_listed: u64,
    /// Of those, with no return received.
    pub not_received: u64,
    /// Of those, with a rejected return not yet corrected.
    pub rejected: u64,
    /// More accepted returns needed for every stratum to reach the target.
    pub returns_needed: u64,
    /// Whether the dataset's rejections could be read (false: all are "not received").
    pub rejections_read: bool,
}

/// Builds the chase workbook of `frame`, with the dataset's `rejections` (`None` when it
/// recorded none) and the `target` response rate (`None`: [`DEFAULT_TARGET_RATE`]).
pub fn chase_report(
    ctx: &Context<'_>,
    frame: &Frame,
    rejections: Option<&Rejections>,
    target: Option<f64>,
) -> (Book, ChaseSummary) {
    let classes: Vec<&str> = ctx
        .def
        .design()
        .map(|d| d.size_classes.iter().map(|c| c.code.as_str()).collect())
        .unwrap_or_default();
    let class_rank = |code: &str| classes.iter().position(|c| *c == code).unwrap_or(classes.len());
    let chase = Chase::build(
        frame,
        &ctx.data.enterprise_ids,
        rejections,
        Target::of(target),
        &class_rank,
    );
    let sheets = vec![
        sheets::list_sheet(ctx, frame, &chase),
        sheets::progress_sheet(ctx, &chase),
    ];
    let book = ctx.book(BookPlan {
        file_name: CHASE_FILE,
        title: ctx.tr("催报名单（内部）", "Chase list (officials only)"),
        audience: Audience::OfficialsOnly,
        sheets,
        notes: vec![sheets::notes_section(ctx, &chase)],
        audit: None,
        figures: Vec::new(),
    });
    let summary = ChaseSummary {
        target_rate: chase.target.rate,
        target_given: chase.target.given,
        enterprises_listed: chase.entries.len() as u64,
        not_received: chase.count(ChaseStatus::NotReceived),
        rejected: chase.count(ChaseStatus::Rejected),
        returns_needed: chase.returns_needed(),
        rejections_read: chase.rejections_read,
    };
    (book, summary)
}

#[cfg(test)]
mod tests;
