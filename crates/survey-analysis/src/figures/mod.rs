//! Published figures: estimates for every domain of a breakdown (sectors, size classes,
//! sub-districts...), with disclosure control applied across the breakdown, and the long
//! tables they are printed in.
//!
//! A table cell is a [`Figure`]: the estimate with its standard error, interval, CV and
//! the number of enterprises it rests on, plus its disclosure status. The rules:
//! - totals: threshold and dominance rules on the weighted contributions of the domain's
//!   enterprises, then secondary suppression across the breakdown (whose domains split the
//!   enterprises, so the "all" figure is their line total);
//! - ratios: suppressed with their numerator total (a rate and a published denominator
//!   would give the numerator back), or when resting on too few enterprises;
//! - proportions and quantiles: the threshold rule on the domain's respondents.
//!
//! The model is in parts: the domains figures are given for ([`Breakdown`]), the
//! estimation of a breakdown's figures under disclosure control ([`Estimator`]), the
//! secondary suppression that keeps cells from giving each other back
//! ([`protect_siblings`], [`suppress_together`]), what each figure means for the
//! disclosure audit ([`Meaning`]), the long tables figures are printed in
//! ([`long_table`]) and the counts of suppressed and doubtful figures
//! ([`QualityCounts`]).

mod breakdown;
mod change;
mod estimator;
mod meaning;
mod quality;
mod suppression;
mod table;

use crate::{CellStatus, Estimate};
use std::fmt::Display;
use survey_def::Lang;

pub use breakdown::{ALL, ALL_CODE, Breakdown, Domain, REMAINDER};
pub use change::{Change, WaveChange};
pub use estimator::{Estimator, OverallFigures};
pub use meaning::{Meaning, MeasureLine};
pub use quality::QualityCounts;
pub use suppression::{protect_siblings, suppress_together};
pub use table::{DOMAIN_COLUMN, ESTIMATE_COLUMN, figure_cells, long_table, long_table_columns};

/// The text in the report language.
pub fn tr(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// One published cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The estimate; `None` when it cannot be computed (see `problem`).
    pub estimate: Option<Estimate>,
    /// Whether it may be shown.
    pub status: CellStatus,
    /// Responding enterprises the figure rests on: those that reported a value (an
    /// imputed value is not one).
    pub enterprises: usize,
    /// Share of the figure made of imputed values (of its weighted absolute value; of its
    /// units when that is 0); for a rate, the larger of its numerator's and denominator's.
    /// `None` where nothing is imputed by design (shares, quantiles).
    pub imputed_share: Option<f64>,
    /// Of a share: the weighted count of enterprises answering, its denominator.
    pub base: Option<f64>,
    /// Why there is no estimate (an empty domain, nobody answered in a stratum...).
    pub problem: Option<String>,
}

/// Imputed share above which a figure shows it (DOMAIN.md).
pub const IMPUTED_SHARE_SHOWN: f64 = 0.1;
/// Imputed share above which a figure is marked "use with caution" (DOMAIN.md).
pub const IMPUTED_SHARE_CAUTION: f64 = 0.5;

impl Figure {
    /// A published figure of an estimate, or of the reason there is none.
    fn from_result<E: Display>(result: Result<Estimate, E>, enterprises: usize) -> Figure {
        match result {
            Ok(estimate) => Figure {
                estimate: Some(estimate),
                status: CellStatus::Published,
                enterprises,
                imputed_share: None,
                base: None,
                problem: None,
            },
            Err(e) => Figure {
                estimate: None,
                status: CellStatus::Published,
                enterprises,
                imputed_share: None,
                base: None,
                problem: Some(e.to_string()),
            },
        }
    }

    /// The value, when published and computed.
    pub fn published_value(&self) -> Option<f64> {
        if self.status.is_published() {
            self.estimate.as_ref().map(|e| e.value)
        } else {
            None
        }
    }

    /// True when published with a CV above the caution limit, or with no CV because the
    /// variance could not be estimated, or resting more than half on imputed values. An
    /// estimate of 0 with a standard error of 0 (no enterprise in the domain has any) is
    /// exact, not doubtful.
    pub fn caution(&self) -> bool {
        let imprecise = self
            .estimate
            .as_ref()
            .is_some_and(|e| e.caution && !(e.value == 0.0 && e.se == Some(0.0)));
        let imputed = self.imputed_share.is_some_and(|s| s > IMPUTED_SHARE_CAUTION);
        self.status.is_published() && self.estimate.is_some() && (imprecise || imputed)
    }
}

/// A figure for every domain of a breakdown, and for all units.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureLine {
    /// One figure per domain, in the breakdown's order.
    pub domains: Vec<Figure>,
    /// The figure over every unit.
    pub all: Figure,
}

impl FigureLine {
    /// Statuses of the line's cells (domains, then all).
    fn statuses(&self) -> impl Iterator<Item = CellStatus> + '_ {
        self.domains.iter().chain([&self.all]).map(|f| f.status)
    }
}

/// The figures of one printed table (or of one computed for the audit only) over one
/// breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureTable {
    /// The sheet it is printed on; `None` for a table computed for the audit only.
    pub sheet: Option<String>,
    /// The breakdown of its domains.
    pub breakdown: Breakdown,
    /// Its measures, in print order.
    pub measures: Vec<MeasureLine>,
}
