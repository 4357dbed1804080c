//! Counts of published, doubtful, suppressed and missing figures, which the summary
//! reports so a reader sees how much of the publication is withheld and why.

use super::MeasureLine;
use crate::{CellStatus, SuppressionReason};

/// Counts of suppressed and caution-marked figures, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QualityCounts {
    /// Figures published.
    pub published: u64,
    /// Figures published with a CV above the caution limit.
    pub caution: u64,
    /// Figures suppressed by the threshold rule.
    pub suppressed_threshold: u64,
    /// Figures suppressed by the dominance rule.
    pub suppressed_dominance: u64,
    /// Figures suppressed to protect another.
    pub suppressed_secondary: u64,
    /// Figures that could not be computed (no answers, empty domain), shown as `[x]`.
    pub not_available: u64,
}

impl QualityCounts {
    /// Adds every figure of `measures`.
    pub fn add(&mut self, measures: &[MeasureLine]) {
        for m in measures.iter().filter(|m| !m.hidden) {
            for (status, figure) in m.line.statuses().zip(m.line.domains.iter().chain([&m.line.all])) {
                match status {
                    CellStatus::Published if figure.estimate.is_none() => self.not_available += 1,
                    CellStatus::Published => self.published += 1,
                    CellStatus::Suppressed { reason } => match reason {
                        SuppressionReason::Threshold => self.suppressed_threshold += 1,
                        SuppressionReason::Dominance => self.suppressed_dominance += 1,
                        SuppressionReason::Secondary => self.suppressed_secondary += 1,
                    },
                }
            }
            self.caution += m
                .line
                .domains
                .iter()
                .chain([&m.line.all])
                .filter(|f| f.caution())
                .count() as u64;
        }
    }

    /// Adds another count.
    pub fn merge(&mut self, other: QualityCounts) {
        self.published += other.published;
        self.caution += other.caution;
        self.suppressed_threshold += other.suppressed_threshold;
        self.suppressed_dominance += other.suppressed_dominance;
        self.suppressed_secondary += other.suppressed_secondary;
        self.not_available += other.not_available;
    }
}
