//! Totals, means, ratios and proportions, for the population and for domains, with standard
//! errors by Taylor linearisation.
//!
//! Each estimator builds one score per unit and hands the scores to the design (see
//! `design.rs`) for the variance, as in DOMAIN.md: z = w*y for a total, z = w*(y - R*x)/X
//! for a ratio; a mean is the ratio with x = 1 and a proportion the mean of an indicator.
//!
//! Domains (a sector, a sub-district) keep every unit: outside the domain y (and x) is set
//! to 0, so the variance sees the domain's sample size as random, as it is. Dropping the
//! rows first would understate the standard errors. Computing them that way is another
//! matter: outside the domain every score is exactly 0, so the estimators visit only the
//! domain's units (in unit order, so the sums are the same doubles as over the whole
//! sample; see `with_known_zeros`), and the variance visits only the strata holding them
//! (`StratifiedDesign::variance`). A breakdown then costs one pass over the sample, not
//! one per domain.
//!
//! Missing answers (`None`) are item nonresponse, assumed missing at random within the
//! stratum like unit nonresponse is:
//! - mean, ratio, proportion: the unit leaves both numerator and denominator, i.e. the
//!   ratio of weighted totals over the units that answered (the ratio with x multiplied by
//!   an answered indicator). A ratio needs both y and x answered.
//! - total: within each stratum the answering units stand for the stratum, Y = sum_h N̂_h *
//!   (mean of the answers in h), N̂_h the sum of weights in h (the separate ratio estimator
//!   with x = 1; its linearised variance is used). Leaving missing values out of a plain
//!   weighted sum would count them as 0 and understate the total. The mean pools the
//!   answers of all strata (as R's `svymean(na.rm = TRUE)` does) while the total adjusts
//!   within each stratum, so with missing answers the mean is not exactly total / N.
//!
//! For a domain, a unit outside it counts as answered with value 0: its answer does not
//! enter the domain's figure either way.

use std::fmt::Display;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::design::StratifiedDesign;

/// Coefficient of variation above which an estimate is marked "use with caution".
pub const CV_CAUTION: f64 = 0.3;

/// One estimated figure with its precision, ready for a report cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The estimate: a total, mean, ratio or proportion.
    pub value: f64,
    /// Standard error; `None` when the variance cannot be estimated (a stratum with a single
    /// respondent, see `notes`). Never 0 in place of "unknown".
    pub se: Option<f64>,
    /// Lower end of the confidence interval (`None` without SE or degrees of freedom).
    pub ci_low: Option<f64>,
    /// Upper end of the confidence interval.
    pub ci_high: Option<f64>,
    /// Confidence level of the interval.
    pub confidence: f64,
    /// Coefficient of variation SE / |value|; `None` without SE or when the value is 0.
    pub cv: Option<f64>,
    /// Degrees of freedom of the t quantile: PSUs minus strata of the whole sample.
    pub df: usize,
    /// Responding units that contributed: in the domain and with an answer.
    pub n: usize,
    /// "Use with caution": CV above [`CV_CAUTION`], or no CV at all (SE unknown, or an
    /// estimate of 0, whose precision cannot be judged).
    pub caution: bool,
    /// Why something is missing or to be read with care.
    pub notes: Vec<EstimateNote>,
}

/// A remark attached to an estimate, for footnotes in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstimateNote {
    /// These strata have one responding PSU: no variance estimate (collapse them with
    /// like strata, see [`StratifiedDesign::collapse`]).
    VarianceNotEstimable {
        /// Labels of the strata concerned.
        strata: Vec<String>,
    },
    /// The frame has enterprises in these strata and nobody responded there; the estimate
    /// covers the other strata only.
    UnrepresentedStrata {
        /// Labels of the strata concerned.
        strata: Vec<String>,
    },
    /// Every stratum has a single PSU, so there are no degrees of freedom for an interval.
    NoDegreesOfFreedom,
    /// A proportion of exactly 0 or 1: the logit interval is not defined.
    ProportionAtBoundary,
}

impl Display for EstimateNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EstimateNote::VarianceNotEstimable { strata } => {
                write!(
                    f,
                    "variance not estimable: one respondent in stratum {}",
                    strata.join(", ")
                )
            }
            EstimateNote::UnrepresentedStrata { strata } => {
                write!(f, "no respondents in stratum {}: not covered", strata.join(", "))
            }
            EstimateNote::NoDegreesOfFreedom => write!(f, "no degrees of freedom for an interval"),
            EstimateNote::ProportionAtBoundary => write!(f, "proportion is 0 or 1: no logit interval"),
        }
    }
}

/// An estimate that cannot be computed from the columns given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// A column is not one entry per unit of the design.
    #[error("{column} has {found} entries but the design has {expected} units")]
    LengthMismatch {
        /// Which column: "y", "x", "indicator" or "domain".
        column: &'static str,
        /// Units in the design.
        expected: usize,
        /// Entries in the column.
        found: usize,
    },
    /// A value is NaN or infinite; a missing answer is `None`, not NaN.
    #[error("{column} of unit {unit} is {value}, not a finite number")]
    NonFinite {
        /// Which column.
        column: &'static str,
        /// Index of the unit.
        unit: usize,
        /// The value.
        value: f64,
    },
    /// The denominator's weighted total is 0: an empty domain, no answers, or x all 0.
    #[error("the weighted total of the denominator is 0 (empty domain or no answers)")]
    ZeroDenominator,
    /// A total with missing answers where nobody in a stratum answered, so nothing can
    /// stand for that stratum. (`collapse` does not help: it merges strata for the
    /// variance only, and the item-nonresponse adjustment stays within the strata as built.)
    #[error(
        "nobody in stratum {stratum} answered, so no total can stand for it: merge the stratum with a like one in the frame, or publish a mean"
    )]
    NoAnswersInStratum {
        /// The stratum label.
        stratum: String,
    },
    /// A quantile was asked for a probability outside [0, 1].
    #[error("quantile probability {0} is not in [0, 1]")]
    InvalidProbability(f64),
    /// A quantile of no values (nobody answered, or the domain is empty).
    #[error("no answered values with positive weight")]
    NoValues,
}

/// How the interval is built around the estimate.
#[derive(Debug, Clone, Copy)]
enum Interval {
    /// estimate ± t * SE.
    Symmetric,
    /// On the logit scale, logit(p) ± t * SE / (p(1-p)), then back-transformed (samplics,
    /// Stata): stays inside (0, 1) and is asymmetric near the bounds.
    Logit,
}

impl<S: Ord + Clone + Display> StratifiedDesign<S> {
    /// Estimated population total of y, e.g. vacancies.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use survey_analysis::StratifiedDesign;
    ///
    /// let frame = BTreeMap::from([("A", 10), ("B", 4)]);
    /// let design = StratifiedDesign::builder(&["A", "A", "B", "B"]).population(&frame).build()?;
    /// let vacancies = design.total(&[Some(2.0), Some(4.0), Some(1.0), None])?;
    /// // A: 10/2 * (2 + 4); B: its one answer stands for its 4 enterprises.
    /// assert_eq!(vacancies.value, 30.0 + 4.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total<T: Copy + Into<Option<f64>>>(&self, y: &[T]) -> Result<Estimate, EstimateError> {
        self.total_in(y, None)
    }

    /// Total of y over the units of a domain (`domain[i]` true when unit i is in it).
    pub fn domain_total<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: &[bool],
    ) -> Result<Estimate, EstimateError> {
        self.total_in(y, Some(domain))
    }

    /// Mean of y per unit of the population (the ratio with x = 1).
    pub fn mean<T: Copy + Into<Option<f64>>>(&self, y: &[T]) -> Result<Estimate, EstimateError> {
        self.mean_in(y, None)
    }

    /// Mean of y within a domain (the ratio of y·d to d, d the domain indicator).
    pub fn domain_mean<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: &[bool],
    ) -> Result<Estimate, EstimateError> {
        self.mean_in(y, Some(domain))
    }

    /// Ratio of two totals, R = Y / X, e.g. the job vacancy rate with y = V and x = E + V.
    /// A rate is always this ratio of weighted totals, never a mean of per-unit ratios.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use survey_analysis::StratifiedDesign;
    ///
    /// let frame = BTreeMap::from([("A", 20)]);
    /// let design = StratifiedDesign::builder(&["A"; 4]).population(&frame).build()?;
    /// let vacancies = [1.0, 0.0, 3.0, 4.0];
    /// let posts = [11.0, 20.0, 33.0, 36.0]; // employees + vacancies
    /// let jvr = design.ratio(&vacancies, &posts)?;
    /// assert!((jvr.value - 0.08).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ratio<T: Copy + Into<Option<f64>>, U: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        x: &[U],
    ) -> Result<Estimate, EstimateError> {
        self.ratio_in(y, x, None)
    }

    /// Ratio Y_d / X_d of two totals over a domain.
    pub fn domain_ratio<T: Copy + Into<Option<f64>>, U: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        x: &[U],
        domain: &[bool],
    ) -> Result<Estimate, EstimateError> {
        self.ratio_in(y, x, Some(domain))
    }

    /// Share of units for which the indicator is true, with the logit interval.
    pub fn proportion<T: Copy + Into<Option<bool>>>(&self, indicator: &[T]) -> Result<Estimate, EstimateError> {
        self.proportion_in(indicator, None)
    }

    /// Share of the domain's units for which the indicator is true, with the logit interval.
    pub fn domain_proportion<T: Copy + Into<Option<bool>>>(
        &self,
        indicator: &[T],
        domain: &[bool],
    ) -> Result<Estimate, EstimateError> {
        self.proportion_in(indicator, Some(domain))
    }

    fn total_in<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: Option<&[bool]>,
    ) -> Result<Estimate, EstimateError> {
        let y = self.answers(y, "y")?;
        let members = self.members(domain)?;
        self.total_over(&y, &members)
    }

    /// Total of y over the units `members` (sorted unit indices; every unit for the
    /// population), y checked by [`Self::answers`]. Outside the domain y is a known 0,
    /// whatever was answered, and such a unit's score is exactly 0: it is not visited.
    pub(crate) fn total_over(&self, y: &[Option<f64>], members: &[usize]) -> Result<Estimate, EstimateError> {
        let w = self.weights();
        let outside = members.len() < self.units();
        let n = members.iter().filter(|&&i| y[i].is_some()).count();

        if n == members.len() {
            let scores: Vec<(usize, f64)> = members.iter().map(|&i| (i, w[i] * y[i].unwrap_or(0.0))).collect();
            let value = with_known_zeros(scores.iter().map(|(_, z)| z).sum(), outside);
            return Ok(self.finish(value, &scores, n, Interval::Symmetric));
        }

        // Separate ratio estimator per adjustment class: Y = sum_c N̂_c * R_c with
        // R_c = sum(w a v) / sum(w a), a the answered indicator. Linearised score of unit i
        // in c: w_i * (R_c + (N̂_c / A_c) * a_i * (v_i - R_c)); its sum over c is N̂_c R_c.
        // For a domain the classes are weighting class x in-domain: a missing answer in
        // the domain stands in for by the domain's answers in its class, not diluted by
        // the known zeros outside it. The classes outside the domain hold known zeros
        // only: their mean, their share of the total and their units' scores are all 0,
        // so only the classes inside the domain are kept here.
        let (classes, unit_class) = self.classes();
        let mut weight_sum = vec![0.0; classes];
        let mut answered_weight = vec![0.0; classes];
        let mut answered_total = vec![0.0; classes];
        for &i in members {
            let c = unit_class[i];
            weight_sum[c] += w[i];
            if let Some(v) = y[i] {
                answered_weight[c] += w[i];
                answered_total[c] += w[i] * v;
            }
        }
        // A domain's class where nobody in the domain answered takes the domain's mean
        // over all classes; without a domain that is a stratum nobody answered: an error.
        let domain_answered: f64 = answered_weight.iter().sum();
        let domain_mean = (domain_answered > 0.0).then(|| answered_total.iter().sum::<f64>() / domain_answered);
        let is_domain = outside;
        let mut class_mean = vec![0.0; classes];
        let mut borrowed = vec![false; classes];
        for c in 0..classes {
            if answered_weight[c] > 0.0 {
                class_mean[c] = answered_total[c] / answered_weight[c];
            } else if weight_sum[c] > 0.0 {
                match domain_mean {
                    Some(mean) if is_domain => {
                        class_mean[c] = mean;
                        borrowed[c] = true;
                    }
                    _ => {
                        return Err(EstimateError::NoAnswersInStratum {
                            stratum: self.class_label(c).to_string(),
                        });
                    }
                }
            }
        }
        let scores: Vec<(usize, f64)> = members
            .iter()
            .map(|&i| {
                let c = unit_class[i];
                let r = class_mean[c];
                let adjustment = match y[i] {
                    Some(v) if !borrowed[c] => weight_sum[c] / answered_weight[c] * (v - r),
                    _ => 0.0,
                };
                (i, w[i] * (r + adjustment))
            })
            .collect();
        // Summed from +0, as the classes outside the domain (each adding an exact +0,
        // the first before any class inside) would leave it.
        let value = (0..classes).fold(0.0, |sum, c| sum + weight_sum[c] * class_mean[c]);
        Ok(self.finish(value, &scores, n, Interval::Symmetric))
    }

    fn mean_in<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: Option<&[bool]>,
    ) -> Result<Estimate, EstimateError> {
        let y = self.answers(y, "y")?;
        let members = self.members(domain)?;
        let kept: Vec<(usize, f64, f64)> = members.iter().filter_map(|&i| y[i].map(|y| (i, y, 1.0))).collect();
        self.ratio_of(&kept, kept.len(), Interval::Symmetric)
    }

    fn ratio_in<T: Copy + Into<Option<f64>>, U: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        x: &[U],
        domain: Option<&[bool]>,
    ) -> Result<Estimate, EstimateError> {
        let y = self.answers(y, "y")?;
        let x = self.answers(x, "x")?;
        let members = self.members(domain)?;
        self.ratio_over(&y, &x, &members)
    }

    /// Ratio Y/X over the units `members`, y and x checked by [`Self::answers`].
    pub(crate) fn ratio_over(
        &self,
        y: &[Option<f64>],
        x: &[Option<f64>],
        members: &[usize],
    ) -> Result<Estimate, EstimateError> {
        let kept: Vec<(usize, f64, f64)> = members
            .iter()
            .filter_map(|&i| match (y[i], x[i]) {
                (Some(y), Some(x)) => Some((i, y, x)),
                _ => None,
            })
            .collect();
        self.ratio_of(&kept, kept.len(), Interval::Symmetric)
    }

    fn proportion_in<T: Copy + Into<Option<bool>>>(
        &self,
        indicator: &[T],
        domain: Option<&[bool]>,
    ) -> Result<Estimate, EstimateError> {
        self.check_len(indicator.len(), "indicator")?;
        let members = self.members(domain)?;
        self.proportion_over(indicator, &members)
    }

    /// Share of `members` for which the indicator is true (its length checked).
    pub(crate) fn proportion_over<T: Copy + Into<Option<bool>>>(
        &self,
        indicator: &[T],
        members: &[usize],
    ) -> Result<Estimate, EstimateError> {
        let kept: Vec<(usize, f64, f64)> = members
            .iter()
            .filter_map(|&i| {
                let yes: Option<bool> = indicator[i].into();
                yes.map(|yes| (i, if yes { 1.0 } else { 0.0 }, 1.0))
            })
            .collect();
        self.ratio_of(&kept, kept.len(), Interval::Logit)
    }

    /// Total of a y that every unit answered and that is 0 for every unit not listed
    /// (`(unit, y)` in unit order): an enterprise's sum over its vacancy lines of one
    /// occupation, say. The same as [`Self::total`] of the full column.
    pub(crate) fn total_of_listed(&self, listed: &[(usize, f64)]) -> Result<Estimate, EstimateError> {
        check_finite(listed.iter().map(|&(i, y)| (i, y)), "y")?;
        let w = self.weights();
        let scores: Vec<(usize, f64)> = listed.iter().map(|&(i, y)| (i, w[i] * y)).collect();
        let value = with_known_zeros(scores.iter().map(|(_, z)| z).sum(), listed.len() < self.units());
        Ok(self.finish(value, &scores, self.units(), Interval::Symmetric))
    }

    /// Ratio Y/X of two such columns, listed as `(unit, y, x)`: the same as
    /// [`Self::ratio`] of the full columns.
    pub(crate) fn ratio_of_listed(&self, listed: &[(usize, f64, f64)]) -> Result<Estimate, EstimateError> {
        check_finite(listed.iter().map(|&(i, y, _)| (i, y)), "y")?;
        check_finite(listed.iter().map(|&(i, _, x)| (i, x)), "x")?;
        self.ratio_of(listed, self.units(), Interval::Symmetric)
    }

    /// R = sum(w num) / sum(w den) with scores w (num - R den) / X, over the units kept
    /// as `(unit, num, den)` in unit order; `n` is the number of units with an answer.
    /// Units left out (outside the domain, or unanswered) carry num = den = 0: they add
    /// exact zeros to both totals and score 0, and still count in the variance (see
    /// `variance`).
    fn ratio_of(&self, kept: &[(usize, f64, f64)], n: usize, interval: Interval) -> Result<Estimate, EstimateError> {
        let w = self.weights();
        let left_out = kept.len() < self.units();
        let y_total = with_known_zeros(kept.iter().map(|&(i, y, _)| w[i] * y).sum(), left_out);
        let x_total = with_known_zeros(kept.iter().map(|&(i, _, x)| w[i] * x).sum(), left_out);
        if x_total == 0.0 {
            return Err(EstimateError::ZeroDenominator);
        }
        let r = y_total / x_total;
        let scores: Vec<(usize, f64)> = kept
            .iter()
            .map(|&(i, y, x)| (i, w[i] * (y - r * x) / x_total))
            .collect();
        Ok(self.finish(r, &scores, n, interval))
    }

    /// Turns a value and its scores (`(unit, score)` in unit order, every other unit
    /// scoring 0) into an [`Estimate`] with SE, interval, CV and notes.
    fn finish(&self, value: f64, scores: &[(usize, f64)], n: usize, interval: Interval) -> Estimate {
        let variance = self.variance(scores);
        let mut notes = Vec::new();
        if !self.unrepresented_strata().is_empty() {
            let strata = self.unrepresented_strata().iter().map(ToString::to_string).collect();
            notes.push(EstimateNote::UnrepresentedStrata { strata });
        }
        let se = if variance.not_estimable.is_empty() {
            Some(variance.variance.max(0.0).sqrt())
        } else {
            let strata = variance.not_estimable.iter().map(ToString::to_string).collect();
            notes.push(EstimateNote::VarianceNotEstimable { strata });
            None
        };
        let df = self.degrees_of_freedom();
        let t = t_quantile(df, self.confidence());
        if se.is_some() && t.is_none() {
            notes.push(EstimateNote::NoDegreesOfFreedom);
        }
        let (ci_low, ci_high) = match (se, t) {
            (Some(se), Some(t)) => match interval {
                Interval::Symmetric => (Some(value - t * se), Some(value + t * se)),
                Interval::Logit if value > 0.0 && value < 1.0 => {
                    let centre = (value / (1.0 - value)).ln();
                    let half = t * se / (value * (1.0 - value));
                    (Some(logistic(centre - half)), Some(logistic(centre + half)))
                }
                Interval::Logit => {
                    notes.push(EstimateNote::ProportionAtBoundary);
                    (None, None)
                }
            },
            _ => (None, None),
        };
        let cv = se.filter(|_| value != 0.0).map(|se| se / value.abs());
        Estimate {
            value,
            se,
            ci_low,
            ci_high,
            confidence: self.confidence(),
            cv,
            df,
            n,
            caution: cv.is_none_or(|cv| cv > CV_CAUTION),
            notes,
        }
    }

    pub(crate) fn check_len(&self, found: usize, column: &'static str) -> Result<(), EstimateError> {
        if found == self.units() {
            Ok(())
        } else {
            Err(EstimateError::LengthMismatch {
                column,
                expected: self.units(),
                found,
            })
        }
    }

    /// The column itself when it holds one value per unit, every value finite, without
    /// copying it; which unit's value is not finite, or the length found, otherwise.
    pub(crate) fn checked_answers<'c>(
        &self,
        values: &'c [Option<f64>],
        column: &'static str,
    ) -> Result<&'c [Option<f64>], EstimateError> {
        self.check_len(values.len(), column)?;
        match values
            .iter()
            .enumerate()
            .find_map(|(unit, v)| v.filter(|value| !value.is_finite()).map(|value| (unit, value)))
        {
            Some((unit, value)) => Err(EstimateError::NonFinite { column, unit, value }),
            None => Ok(values),
        }
    }

    /// The column as optional finite values, checked against the design (as
    /// [`Self::checked_answers`] checks it).
    pub(crate) fn answers<T: Copy + Into<Option<f64>>>(
        &self,
        values: &[T],
        column: &'static str,
    ) -> Result<Vec<Option<f64>>, EstimateError> {
        let values: Vec<Option<f64>> = values.iter().map(|&v| v.into()).collect();
        self.checked_answers(&values, column)?;
        Ok(values)
    }

    /// The domain indicator, or every unit when there is no domain.
    pub(crate) fn domain(&self, domain: Option<&[bool]>) -> Result<Vec<bool>, EstimateError> {
        match domain {
            Some(d) => {
                self.check_len(d.len(), "domain")?;
                Ok(d.to_vec())
            }
            None => Ok(vec![true; self.units()]),
        }
    }

    /// The units of the domain (sorted), or every unit when there is no domain.
    pub(crate) fn members(&self, domain: Option<&[bool]>) -> Result<Vec<usize>, EstimateError> {
        match domain {
            Some(d) => {
                self.check_len(d.len(), "domain")?;
                Ok((0..d.len()).filter(|&i| d[i]).collect())
            }
            None => Ok((0..self.units()).collect()),
        }
    }
}

/// The first value that is not finite, as an error naming its unit.
fn check_finite(values: impl Iterator<Item = (usize, f64)>, column: &'static str) -> Result<(), EstimateError> {
    for (unit, value) in values {
        if !value.is_finite() {
            return Err(EstimateError::NonFinite { column, unit, value });
        }
    }
    Ok(())
}

/// A sum over the units kept, as a sum over every unit would give it when the others
/// add exact zeros: the same number, except that a sum of zeros is +0, never -0.
fn with_known_zeros(sum: f64, others: bool) -> f64 {
    if others { sum + 0.0 } else { sum }
}

/// The two-sided t quantile for the confidence level; `None` without degrees of freedom.
fn t_quantile(df: usize, confidence: f64) -> Option<f64> {
    if df == 0 {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(t.inverse_cdf(0.5 + confidence / 2.0))
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
