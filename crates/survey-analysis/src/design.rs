//! The sample design: strata, weights, clusters and the finite population correction.
//!
//! Every estimator in this crate reduces to unit scores z_i (see `estimate.rs`); the design
//! turns scores into a variance with the score form of DOMAIN.md:
//!
//! ```text
//! Var = sum_h f_h * n_h/(n_h-1) * sum_i (z_hi - mean_h(z))^2,   f_h = 1 - n_h/N_h (or 1 without fpc)
//! ```
//!
//! where i runs over the primary sampling units (PSUs) of stratum h. Without clusters every
//! responding unit is its own PSU; with clusters (the enterprise for its vacancy lines) the
//! scores of a PSU are summed first and n_h counts PSUs, so lines of one enterprise are not
//! treated as independent draws.

use std::fmt::Display;

use crate::builder::DesignBuilder;

/// Confidence level of the intervals unless the design says otherwise.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// A design that cannot be built from the data given; each variant names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    /// There is not a single responding unit.
    #[error("the design has no responding units")]
    NoUnits,
    /// Neither frame counts nor weights were given, so units cannot be weighted.
    #[error("the design needs frame counts per stratum (N_h) or explicit weights")]
    NoWeighting,
    /// A per-unit column is not as long as the list of stratum labels.
    #[error("{column} has {found} entries but there are {expected} units")]
    LengthMismatch {
        /// Which input: "weights" or "clusters".
        column: &'static str,
        /// Number of units (stratum labels given).
        expected: usize,
        /// Number of entries in the column.
        found: usize,
    },
    /// A unit carries a stratum label that the frame counts do not list.
    #[error("stratum {stratum} (unit {unit}) is not in the frame counts")]
    StratumNotInFrame {
        /// The label as written in the data.
        stratum: String,
        /// Index of the first unit carrying it.
        unit: usize,
    },
    /// More units (or PSUs) responded in a stratum than the frame says exist there.
    #[error("stratum {stratum} has {sampled} responding units but the frame counts only {population}")]
    SampleExceedsPopulation {
        /// The stratum label.
        stratum: String,
        /// n_h: responding units, or PSUs in a clustered design.
        sampled: usize,
        /// N_h from the frame.
        population: u64,
    },
    /// A weight is negative, infinite or not a number.
    #[error("unit {unit} has weight {weight}, which is not a finite number >= 0")]
    InvalidWeight {
        /// Index of the unit.
        unit: usize,
        /// The weight as given.
        weight: f64,
    },
    /// The confidence level is outside (0, 1).
    #[error("confidence level {0} is not strictly between 0 and 1")]
    InvalidConfidence(f64),
    /// `collapse` named a stratum that has no responding units in the design.
    #[error("stratum {0} has no responding units in this design")]
    UnknownStratum(String),
    /// `collapse` was asked to merge a stratum into itself.
    #[error("stratum {0} cannot be collapsed into itself")]
    CollapseIntoSelf(String),
}

/// A variance stratum as the design sees it after sampling.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum<S> {
    /// The stratum label (industry section x size class, for instance).
    pub label: S,
    /// N_h, the frame count (of PSUs in a clustered design); `None` when the design was
    /// given weights without frame counts, and so has no finite population correction.
    pub population: Option<u64>,
    /// n_h, the responding PSUs (units, when there are no clusters).
    pub sampled: usize,
    /// Responding units (rows), which exceeds `sampled` when PSUs hold several rows.
    pub units: usize,
    /// Labels of strata merged into this one by [`StratifiedDesign::collapse`].
    pub collapsed_from: Vec<S>,
}

impl<S> Stratum<S> {
    /// The fpc factor 1 - n_h/N_h; `None` without frame counts.
    fn fpc_factor(&self) -> Option<f64> {
        self.population.map(|big_n| 1.0 - self.sampled as f64 / big_n as f64)
    }
}

/// A stratified (optionally clustered) design over the responding units of one survey.
///
/// Build it with [`StratifiedDesign::builder`]. Units are addressed by position: the i-th
/// entry of every column given to an estimator belongs to the i-th stratum label given here.
#[derive(Debug, Clone)]
pub struct StratifiedDesign<S> {
    /// Variance strata, sorted by label (one per label until `collapse` merges some).
    pub(crate) strata: Vec<Stratum<S>>,
    /// Variance stratum of each unit (index into `strata`).
    pub(crate) unit_stratum: Vec<usize>,
    /// Weighting class of each unit: the stratum as built. Item nonresponse is adjusted
    /// within it, and `collapse` (a variance device) leaves it alone.
    pub(crate) unit_class: Vec<usize>,
    /// Labels of the weighting classes, sorted.
    pub(crate) classes: Vec<S>,
    /// PSU of each unit (index into `psu_stratum`).
    pub(crate) unit_psu: Vec<usize>,
    /// Variance stratum of each PSU.
    pub(crate) psu_stratum: Vec<usize>,
    /// PSUs of each variance stratum, in PSU order.
    pub(crate) stratum_psus: Vec<Vec<usize>>,
    pub(crate) weights: Vec<f64>,
    pub(crate) fpc: bool,
    pub(crate) confidence: f64,
    /// Frame strata with N_h > 0 and no respondent (only for frame-derived weights).
    pub(crate) unrepresented: Vec<S>,
}

impl<S: Ord + Clone + Display> StratifiedDesign<S> {
    /// Starts a design from the stratum label of every responding unit.
    ///
    /// Then give the frame counts N_h ([`DesignBuilder::population`]) and/or explicit
    /// weights ([`DesignBuilder::weights`]). With frame counts alone each unit gets
    /// w_hi = N_h / n_h, the design weight adjusted for nonresponse within the stratum.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use survey_analysis::StratifiedDesign;
    ///
    /// let strata = ["C-small", "C-small", "C-small", "I-large", "I-large"];
    /// let frame = BTreeMap::from([("C-small", 30), ("I-large", 4)]);
    /// let design = StratifiedDesign::builder(&strata).population(&frame).build()?;
    /// assert_eq!(design.weights(), &[10.0, 10.0, 10.0, 2.0, 2.0]);
    /// assert_eq!(design.degrees_of_freedom(), 3); // 5 units - 2 strata
    /// # Ok::<(), survey_analysis::DesignError>(())
    /// ```
    pub fn builder(strata: &[S]) -> DesignBuilder<'_, S> {
        DesignBuilder::new(strata)
    }

    /// Merges stratum `from` into stratum `into` for variance estimation (collapsed strata).
    ///
    /// This is the usual remedy for a stratum with a single respondent, whose variance
    /// cannot be estimated (Wolter, *Introduction to Variance Estimation*, 2.5): pair it
    /// with a like stratum (same industry section, neighbouring size class) and treat the
    /// two as one. Weights, and so every estimate, stay as they were; only the variance
    /// changes, and it tends to be overstated when the two strata's means differ, which is
    /// the safe side. N_h and n_h of the pair are added, and the degrees of freedom grow by one.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use survey_analysis::StratifiedDesign;
    ///
    /// let strata = ["A", "A", "B"];
    /// let frame = BTreeMap::from([("A", 10), ("B", 5)]);
    /// let design = StratifiedDesign::builder(&strata).population(&frame).build()?;
    /// assert!(design.total(&[1.0, 2.0, 4.0])?.se.is_none()); // B has one respondent
    /// let design = design.collapse(&"B", &"A")?;
    /// assert!(design.total(&[1.0, 2.0, 4.0])?.se.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collapse(mut self, from: &S, into: &S) -> Result<Self, DesignError> {
        let find = |label: &S| {
            self.strata
                .binary_search_by(|s| s.label.cmp(label))
                .map_err(|_| DesignError::UnknownStratum(label.to_string()))
        };
        let from_at = find(from)?;
        let into_at = find(into)?;
        if from_at == into_at {
            return Err(DesignError::CollapseIntoSelf(from.to_string()));
        }
        let gone = self.strata.remove(from_at);
        // Indices after the removed stratum move down by one.
        let into_at = if into_at > from_at { into_at - 1 } else { into_at };
        let target = &mut self.strata[into_at];
        target.population = match (target.population, gone.population) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        target.sampled += gone.sampled;
        target.units += gone.units;
        target.collapsed_from.push(gone.label);
        target.collapsed_from.extend(gone.collapsed_from);
        let remap = |h: &mut usize| {
            *h = match (*h).cmp(&from_at) {
                std::cmp::Ordering::Equal => into_at,
                std::cmp::Ordering::Greater => *h - 1,
                std::cmp::Ordering::Less => *h,
            };
        };
        self.unit_stratum.iter_mut().for_each(remap);
        self.psu_stratum.iter_mut().for_each(remap);
        self.stratum_psus = psus_by_stratum(&self.psu_stratum, self.strata.len());
        Ok(self)
    }

    /// Strata whose variance cannot be estimated: one responding PSU, and not a take-all
    /// stratum (n_h = N_h, where the fpc makes the variance 0). Candidates for [`Self::collapse`].
    pub fn single_unit_strata(&self) -> Vec<&S> {
        (0..self.strata.len())
            .filter(|&h| self.not_estimable(h))
            .map(|h| &self.strata[h].label)
            .collect()
    }
}

impl<S> StratifiedDesign<S> {
    /// Number of responding units (rows); every column given to an estimator has this length.
    pub fn units(&self) -> usize {
        self.weights.len()
    }

    /// The weight of each unit.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The variance strata, sorted by label.
    pub fn strata(&self) -> &[Stratum<S>] {
        &self.strata
    }

    /// Degrees of freedom of the intervals: PSUs minus strata, for domains too.
    pub fn degrees_of_freedom(&self) -> usize {
        self.psu_stratum.len().saturating_sub(self.strata.len())
    }

    /// Confidence level of the intervals.
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// Whether the finite population correction 1 - n_h/N_h is applied.
    pub fn uses_fpc(&self) -> bool {
        self.fpc && self.strata.iter().all(|s| s.population.is_some())
    }

    /// Frame strata with enterprises but no respondent. Their N_h is carried by nobody, so
    /// totals fall short of the population by them: merge such a stratum into a like one in
    /// the frame counts (and labels) before building the design.
    pub fn unrepresented_strata(&self) -> &[S] {
        &self.unrepresented
    }

    /// Label of the weighting class (stratum as built) with the given index.
    pub(crate) fn class_label(&self, class: usize) -> &S {
        &self.classes[class]
    }

    /// Number of weighting classes and the class of each unit.
    pub(crate) fn classes(&self) -> (usize, &[usize]) {
        (self.classes.len(), &self.unit_class)
    }

    /// True when stratum h has one PSU and its variance is not fixed at 0 by the fpc.
    fn not_estimable(&self, h: usize) -> bool {
        let stratum = &self.strata[h];
        stratum.sampled == 1 && !(self.uses_fpc() && stratum.population == Some(1))
    }

    /// Variance of the sum of unit scores, in the score form. `scores` lists `(unit,
    /// score)` in unit order; every unit not listed scores exactly 0 (outside the domain,
    /// or left out for a missing answer).
    ///
    /// Only the strata holding a listed unit count: in any other stratum every PSU scores
    /// 0, so its mean and its squared deviations are 0. Within a stratum, the PSUs holding
    /// a listed unit are summed in PSU order, and the others, which all deviate by the
    /// stratum mean, are added at once as (PSUs left) x mean^2, so a small domain costs
    /// its own units rather than its strata's. Both terms are non-negative: nothing
    /// cancels.
    ///
    /// Strata with a single PSU contribute nothing and are listed in `not_estimable`, so
    /// the caller reports the SE as unknown rather than understated.
    pub(crate) fn variance(&self, scores: &[(usize, f64)]) -> ScoreVariance<'_, S> {
        // A figure over much of the sample (the "all" figure) visits every stratum anyway:
        // there a pass over every PSU is cheaper than finding the strata to visit.
        let squares = if scores.len() * DENSE_SHARE >= self.psu_stratum.len() {
            self.squares_over_every_psu(scores)
        } else {
            self.squares_over_listed_strata(scores)
        };
        let fpc = self.uses_fpc();
        let mut variance = 0.0;
        let mut not_estimable = Vec::new();
        for (h, stratum) in self.strata.iter().enumerate() {
            let n = stratum.sampled as f64;
            let factor = if fpc { stratum.fpc_factor().unwrap_or(1.0) } else { 1.0 };
            if stratum.sampled < 2 {
                if self.not_estimable(h) {
                    not_estimable.push(&stratum.label);
                }
                continue;
            }
            variance += factor * n / (n - 1.0) * squares[h];
        }
        ScoreVariance {
            variance,
            not_estimable,
        }
    }

    /// Per stratum, the sum of squared deviations of its PSU scores from their mean: a
    /// pass over every PSU of the design.
    fn squares_over_every_psu(&self, scores: &[(usize, f64)]) -> Vec<f64> {
        let mut psu_score: Vec<Option<f64>> = vec![None; self.psu_stratum.len()];
        for &(unit, z) in scores {
            let score = &mut psu_score[self.unit_psu[unit]];
            *score = Some(score.unwrap_or(0.0) + z);
        }
        let mut stratum_sum = vec![0.0; self.strata.len()];
        for (psu, score) in psu_score.iter().enumerate() {
            if let Some(score) = score {
                stratum_sum[self.psu_stratum[psu]] += score;
            }
        }
        let mut squares = vec![0.0; self.strata.len()];
        let mut listed = vec![0usize; self.strata.len()];
        for (psu, score) in psu_score.iter().enumerate() {
            if let Some(score) = score {
                let h = self.psu_stratum[psu];
                let deviation = score - stratum_sum[h] / self.strata[h].sampled as f64;
                squares[h] += deviation * deviation;
                listed[h] += 1;
            }
        }
        for (h, squares) in squares.iter_mut().enumerate() {
            if listed[h] > 0 {
                *squares += self.unlisted_squares(h, stratum_sum[h], listed[h]);
            }
        }
        squares
    }

    /// What the PSUs of stratum `h` holding no listed unit add to its sum of squares: each
    /// scores 0 and deviates by the stratum mean.
    fn unlisted_squares(&self, h: usize, stratum_sum: f64, listed: usize) -> f64 {
        let sampled = self.strata[h].sampled;
        let mean = stratum_sum / sampled as f64;
        sampled.saturating_sub(listed) as f64 * (mean * mean)
    }

    /// The same sums, visiting only the strata that hold a listed unit.
    fn squares_over_listed_strata(&self, scores: &[(usize, f64)]) -> Vec<f64> {
        let mut by_psu: Vec<(usize, f64)> = scores.iter().map(|&(unit, z)| (self.unit_psu[unit], z)).collect();
        // Stable: a PSU sums its units' scores in unit order.
        by_psu.sort_by_key(|&(psu, _)| psu);
        let mut psu_score: Vec<Vec<(usize, f64)>> = vec![Vec::new(); self.strata.len()];
        for (psu, z) in by_psu {
            let listed = &mut psu_score[self.psu_stratum[psu]];
            match listed.last_mut() {
                Some((p, sum)) if *p == psu => *sum += z,
                _ => listed.push((psu, 0.0 + z)),
            }
        }
        let mut squares = vec![0.0; self.strata.len()];
        for (h, listed) in psu_score.iter().enumerate() {
            if listed.is_empty() {
                continue;
            }
            let stratum_sum = listed.iter().fold(0.0, |sum, (_, z)| sum + z);
            let mean = stratum_sum / self.strata[h].sampled as f64;
            let listed_squares = listed.iter().fold(0.0, |sum, &(_, z)| {
                let deviation = z - mean;
                sum + deviation * deviation
            });
            squares[h] = listed_squares + self.unlisted_squares(h, stratum_sum, listed.len());
        }
        squares
    }
}

/// When the units with a score number at least one in this many PSUs, the variance is
/// summed over every PSU rather than over the strata holding them (see
/// `StratifiedDesign::variance`); both add the same terms in the same order and give the
/// same doubles.
const DENSE_SHARE: usize = 4;

/// The PSUs of each of `strata` strata, in PSU order.
pub(crate) fn psus_by_stratum(psu_stratum: &[usize], strata: usize) -> Vec<Vec<usize>> {
    let mut psus = vec![Vec::new(); strata];
    for (psu, &h) in psu_stratum.iter().enumerate() {
        psus[h].push(psu);
    }
    psus
}

/// The variance of a sum of scores and the strata that could not contribute to it.
pub(crate) struct ScoreVariance<'a, S> {
    pub(crate) variance: f64,
    pub(crate) not_estimable: Vec<&'a S>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn visiting_listed_strata_gives_the_sums_of_a_pass_over_every_psu_and_of_the_definition() {
        // Three strata, clusters spanning several units, one stratum collapsed; scores on
        // a few units (a small domain) and on most of them, with awkward decimals.
        let strata = ["A", "B", "A", "C", "B", "A", "C", "C", "B", "A", "D", "A"];
        let clusters = [1, 2, 1, 3, 4, 5, 3, 6, 2, 7, 8, 5];
        let frame = BTreeMap::from([("A", 40), ("B", 20), ("C", 30), ("D", 3)]);
        let design = StratifiedDesign::builder(&strata)
            .population(&frame)
            .clusters(&clusters)
            .build()
            .unwrap()
            .collapse(&"D", &"C")
            .unwrap();
        let score = |unit: usize| (unit as f64 * 0.37 + 0.1).sin() * 1e3 / 7.0;
        for units in [vec![3], vec![0, 5, 11], vec![1, 4, 8, 10], (0..12).collect(), vec![]] {
            let scores: Vec<(usize, f64)> = units.iter().map(|&u| (u, score(u))).collect();
            let every: Vec<u64> = design
                .squares_over_every_psu(&scores)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            let listed: Vec<u64> = design
                .squares_over_listed_strata(&scores)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(every, listed, "units {units:?}");
            // By the definition: every PSU's total (0 where nothing is listed), its
            // deviation from the stratum mean, squared and summed.
            let mut psu_total = vec![0.0; design.psu_stratum.len()];
            for &(unit, z) in &scores {
                psu_total[design.unit_psu[unit]] += z;
            }
            for (h, psus) in design.stratum_psus.iter().enumerate() {
                let mean = psus.iter().map(|&p| psu_total[p]).sum::<f64>() / psus.len() as f64;
                let by_definition: f64 = psus.iter().map(|&p| (psu_total[p] - mean).powi(2)).sum();
                let got = f64::from_bits(every[h]);
                assert!(
                    (got - by_definition).abs() <= 1e-12 * by_definition.max(1.0),
                    "stratum {h}, units {units:?}: {got} against {by_definition}"
                );
            }
        }
    }

    #[test]
    fn collapse_merges_counts_and_keeps_weights() {
        let frame = BTreeMap::from([("A", 10), ("B", 5), ("C", 8)]);
        let design = StratifiedDesign::builder(&["A", "A", "B", "C", "C"])
            .population(&frame)
            .build()
            .unwrap();
        assert_eq!(design.single_unit_strata(), vec![&"B"]);
        let before = design.weights().to_vec();
        let design = design.collapse(&"B", &"C").unwrap();
        assert_eq!(design.weights(), before.as_slice());
        let merged = &design.strata()[1];
        assert_eq!((merged.label, merged.population, merged.sampled), ("C", Some(13), 3));
        assert_eq!(merged.collapsed_from, vec!["B"]);
        assert_eq!(design.degrees_of_freedom(), 5 - 2);
        assert!(design.single_unit_strata().is_empty());
    }
}
