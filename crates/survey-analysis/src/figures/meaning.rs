//! What published figures are: each measure's figures with the linear form of the
//! quantities behind them, from which the disclosure audit works out what a reader could
//! derive by combining published figures.

use super::FigureLine;
use crate::report::book::Format;

/// What a figure is, as a linear form of the quantities behind it: what a reader can
/// combine with other published figures (DOMAIN.md "Disclosure control").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// A weighted total of a quantity (vacancies, employees...).
    Total {
        /// The quantity, e.g. `vacancies`.
        quantity: String,
        /// True when no unit's value is negative, as a reader may assume of a count.
        nonnegative: bool,
    },
    /// A ratio of two totals (a rate).
    Ratio {
        /// Quantity of the numerator.
        numerator: String,
        /// Quantity of the denominator.
        denominator: String,
    },
    /// A share of enterprises: the weighted count answering yes over the weighted count
    /// answering (each figure's `base`), which a reader knows from the frame.
    Share {
        /// Quantity of the weighted yes count.
        quantity: String,
    },
    /// A quantile: no linear relation to other figures.
    Quantile,
}

impl Meaning {
    /// The kind as `figures.csv` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Meaning::Total { .. } => "total",
            Meaning::Ratio { .. } => "ratio",
            Meaning::Share { .. } => "share",
            Meaning::Quantile => "quantile",
        }
    }

    /// A total of `quantity`, non-negative when no value of `y` is negative.
    pub fn total_of(quantity: &str, y: &[Option<f64>]) -> Meaning {
        Meaning::Total {
            quantity: quantity.to_owned(),
            nonnegative: y.iter().flatten().all(|v| *v >= 0.0),
        }
    }
}

/// One block of a long table: a measure with its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureLine {
    /// Stable id of the measure (for summary.json and figures.csv).
    pub id: String,
    /// Its name in the report language.
    pub label: String,
    /// How its values are shown.
    pub format: Format,
    /// What its figures are, for the disclosure audit.
    pub meaning: Meaning,
    /// Computed for the disclosure audit only (the denominator of a rate), never printed.
    pub hidden: bool,
    /// Its figures.
    pub line: FigureLine,
}
