//! A figure beside the previous wave's figure of the same measure, and the change between
//! them, under the disclosure control both waves' figures passed.

use super::{Figure, Meaning};

/// The change from the previous wave to this one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Both figures are published and computed.
    Value {
        /// This wave's figure minus the previous wave's (for rates and shares, in
        /// percentage points as a fraction).
        absolute: f64,
        /// The change over the previous wave's figure, for totals and quantiles with a
        /// previous figure above 0; `None` where a relative change means nothing (rates
        /// and shares) or cannot be taken.
        relative: Option<f64>,
    },
    /// One of the two figures is suppressed: so is the change, which would give it back.
    Suppressed,
    /// One of the two figures cannot be computed, or the previous wave does not measure it.
    NotAvailable,
}

/// This wave's figure of a measure beside the previous wave's.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveChange {
    /// The previous wave's figure, as its own workbook publishes it; `None` when the
    /// previous wave does not measure it.
    pub previous: Option<Figure>,
    /// The change.
    pub change: Change,
}

impl WaveChange {
    /// `now` against `previous` (the same measure in the previous wave, if it measures it);
    /// `meaning` says whether a relative change means something.
    pub fn of(now: &Figure, previous: Option<&Figure>, meaning: &Meaning) -> WaveChange {
        let change = match previous {
            None => Change::NotAvailable,
            Some(before) if !now.status.is_published() || !before.status.is_published() => Change::Suppressed,
            Some(before) => match (&now.estimate, &before.estimate) {
                (Some(n), Some(b)) if n.value.is_finite() && b.value.is_finite() => {
                    let absolute = n.value - b.value;
                    let relative = match meaning {
                        Meaning::Total { .. } | Meaning::Quantile if b.value > 0.0 => Some(absolute / b.value),
                        _ => None,
                    };
                    Change::Value { absolute, relative }
                }
                _ => Change::NotAvailable,
            },
        };
        WaveChange {
            previous: previous.cloned(),
            change,
        }
    }

    /// The previous wave's figure when it may be shown: published and computed.
    pub fn previous_value(&self) -> Option<f64> {
        self.previous.as_ref().and_then(Figure::published_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CellStatus, Estimate, SuppressionReason};

    fn figure(value: Option<f64>, status: CellStatus) -> Figure {
        Figure {
            estimate: value.map(|value| Estimate {
                value,
                se: None,
                ci_low: None,
                ci_high: None,
                confidence: 0.95,
                cv: None,
                df: 4,
                n: 5,
                caution: false,
                notes: Vec::new(),
            }),
            status,
            enterprises: 5,
            imputed_share: None,
            base: None,
            problem: None,
        }
    }

    const SUPPRESSED: CellStatus = CellStatus::Suppressed {
        reason: SuppressionReason::Threshold,
    };

    #[test]
    fn the_change_is_now_minus_then_and_relative_only_for_totals_and_quantiles() {
        let total = Meaning::Total {
            quantity: "vacancies".into(),
            nonnegative: true,
        };
        let rate = Meaning::Ratio {
            numerator: "vacancies".into(),
            denominator: "posts".into(),
        };
        let now = figure(Some(150.0), CellStatus::Published);
        let then = figure(Some(120.0), CellStatus::Published);
        // 150 - 120 = 30, 30 / 120 = 0.25.
        assert_eq!(
            WaveChange::of(&now, Some(&then), &total).change,
            Change::Value {
                absolute: 30.0,
                relative: Some(0.25)
            }
        );
        assert_eq!(
            WaveChange::of(&now, Some(&then), &rate).change,
            Change::Value {
                absolute: 30.0,
                relative: None
            }
        );
        assert_eq!(
            WaveChange::of(&now, Some(&then), &Meaning::Quantile).change,
            Change::Value {
                absolute: 30.0,
                relative: Some(0.25)
            }
        );
        // From 0 there is no relative change.
        let zero = figure(Some(0.0), CellStatus::Published);
        assert_eq!(
            WaveChange::of(&now, Some(&zero), &total).change,
            Change::Value {
                absolute: 150.0,
                relative: None
            }
        );
    }

    #[test]
    fn a_suppressed_figure_suppresses_the_change_and_stays_suppressed() {
        let total = Meaning::Total {
            quantity: "vacancies".into(),
            nonnegative: true,
        };
        let now = figure(Some(150.0), CellStatus::Published);
        let hidden = figure(Some(120.0), SUPPRESSED);
        let c = WaveChange::of(&now, Some(&hidden), &total);
        assert_eq!(c.change, Change::Suppressed);
        assert_eq!(c.previous_value(), None);
        let c = WaveChange::of(&hidden, Some(&now), &total);
        assert_eq!(c.change, Change::Suppressed);
        assert_eq!(c.previous_value(), Some(150.0));
        // Not measured, or not computed: not available.
        assert_eq!(WaveChange::of(&now, None, &total).change, Change::NotAvailable);
        let none = figure(None, CellStatus::Published);
        assert_eq!(WaveChange::of(&now, Some(&none), &total).change, Change::NotAvailable);
    }
}
