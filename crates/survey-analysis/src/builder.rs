//! Building a [`StratifiedDesign`] from per-unit columns: checks that the strata, frame
//! counts, weights and clusters fit together, then numbers the strata and PSUs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use crate::design::{DEFAULT_CONFIDENCE, DesignError, StratifiedDesign, Stratum};

/// Collects the parts of a [`StratifiedDesign`]; see [`StratifiedDesign::builder`].
#[derive(Debug, Clone)]
pub struct DesignBuilder<'a, S> {
    strata: &'a [S],
    population: Option<&'a BTreeMap<S, u64>>,
    weights: Option<&'a [f64]>,
    /// Rank of each unit's cluster id among all ids; PSUs are (stratum, rank) pairs.
    clusters: Option<Vec<usize>>,
    clusters_len: usize,
    fpc: bool,
    confidence: f64,
}

impl<'a, S: Ord + Clone + Display> DesignBuilder<'a, S> {
    /// A builder with defaults: fpc on, 95% intervals, no weights, frame or clusters yet.
    pub(crate) fn new(strata: &'a [S]) -> Self {
        DesignBuilder {
            strata,
            population: None,
            weights: None,
            clusters: None,
            clusters_len: 0,
            fpc: true,
            confidence: DEFAULT_CONFIDENCE,
        }
    }

    /// Frame counts N_h per stratum label. They give the weights N_h / n_h unless explicit
    /// weights are given, and the finite population correction in every case.
    pub fn population(mut self, counts: &'a BTreeMap<S, u64>) -> Self {
        self.population = Some(counts);
        self
    }

    /// Explicit per-unit weights, as R's `svydesign(weights = ~pw, fpc = ~fpc)`: use them
    /// when the weights were made elsewhere (calibrated, or a published data set). Frame
    /// counts, if also given, serve only the finite population correction.
    pub fn weights(mut self, weights: &'a [f64]) -> Self {
        self.weights = Some(weights);
        self
    }

    /// The cluster (PSU) of every unit: the enterprise, for tables built from vacancy lines.
    ///
    /// Ids are nested in strata (R's `nest = TRUE`): the same id in two strata is two PSUs.
    /// n_h becomes the number of PSUs in the stratum, both for the weights N_h / n_h (the
    /// frame then counts PSUs, e.g. enterprises) and for the variance.
    pub fn clusters<C: Ord>(mut self, ids: &[C]) -> Self {
        let mut distinct: Vec<&C> = ids.iter().collect();
        distinct.sort();
        distinct.dedup();
        let ranks = ids.iter().map(|id| distinct.partition_point(|d| *d < id)).collect();
        self.clusters = Some(ranks);
        self.clusters_len = ids.len();
        self
    }

    /// Leaves out the finite population correction (fpc factor 1): for comparison with
    /// with-replacement results, or when N_h is not trusted.
    pub fn without_fpc(mut self) -> Self {
        self.fpc = false;
        self
    }

    /// Confidence level of the intervals, strictly between 0 and 1 (default 0.95).
    pub fn confidence(mut self, level: f64) -> Self {
        self.confidence = level;
        self
    }

    /// Checks the parts against each other and builds the design.
    pub fn build(self) -> Result<StratifiedDesign<S>, DesignError> {
        let units = self.strata.len();
        if units == 0 {
            return Err(DesignError::NoUnits);
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(DesignError::InvalidConfidence(self.confidence));
        }
        if self.population.is_none() && self.weights.is_none() {
            return Err(DesignError::NoWeighting);
        }
        if let Some(weights) = self.weights
            && weights.len() != units
        {
            return Err(DesignError::LengthMismatch {
                column: "weights",
                expected: units,
                found: weights.len(),
            });
        }
        if self.clusters.is_some() && self.clusters_len != units {
            return Err(DesignError::LengthMismatch {
                column: "clusters",
                expected: units,
                found: self.clusters_len,
            });
        }
        if let Some(frame) = self.population
            && let Some(unit) = self.strata.iter().position(|label| !frame.contains_key(label))
        {
            return Err(DesignError::StratumNotInFrame {
                stratum: self.strata[unit].to_string(),
                unit,
            });
        }

        let labels: Vec<S> = self
            .strata
            .iter()
            .cloned()
            .collect::<BTreeSet<S>>()
            .into_iter()
            .collect();
        let unit_stratum: Vec<usize> = self
            .strata
            .iter()
            .map(|label| labels.partition_point(|l| l < label))
            .collect();

        // A PSU is a (stratum, cluster) pair; without clusters each unit is its own PSU.
        let psu_keys: Vec<(usize, usize)> = match &self.clusters {
            Some(ranks) => unit_stratum.iter().copied().zip(ranks.iter().copied()).collect(),
            None => unit_stratum.iter().copied().zip(0..units).collect(),
        };
        let mut psu_index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for key in &psu_keys {
            let next = psu_index.len();
            psu_index.entry(*key).or_insert(next);
        }
        let unit_psu: Vec<usize> = psu_keys.iter().map(|key| psu_index[key]).collect();
        let mut psu_stratum = vec![0; psu_index.len()];
        for ((h, _), psu) in &psu_index {
            psu_stratum[*psu] = *h;
        }

        let mut strata: Vec<Stratum<S>> = labels
            .iter()
            .map(|label| Stratum {
                label: label.clone(),
                population: self.population.and_then(|frame| frame.get(label).copied()),
                sampled: 0,
                units: 0,
                collapsed_from: Vec::new(),
            })
            .collect();
        for &h in &psu_stratum {
            strata[h].sampled += 1;
        }
        for &h in &unit_stratum {
            strata[h].units += 1;
        }
        for stratum in &strata {
            if let Some(population) = stratum.population
                && stratum.sampled as u64 > population
            {
                return Err(DesignError::SampleExceedsPopulation {
                    stratum: stratum.label.to_string(),
                    sampled: stratum.sampled,
                    population,
                });
            }
        }

        let weights = match self.weights {
            Some(given) => {
                if let Some(unit) = given.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
                    return Err(DesignError::InvalidWeight {
                        unit,
                        weight: given[unit],
                    });
                }
                given.to_vec()
            }
            None => unit_stratum
                .iter()
                .map(|&h| strata[h].population.unwrap_or(0) as f64 / strata[h].sampled as f64)
                .collect(),
        };
        let unrepresented = match (self.weights, self.population) {
            (None, Some(frame)) => frame
                .iter()
                .filter(|(label, count)| **count > 0 && labels.binary_search(label).is_err())
                .map(|(label, _)| label.clone())
                .collect(),
            _ => Vec::new(),
        };

        let stratum_psus = crate::design::psus_by_stratum(&psu_stratum, strata.len());
        Ok(StratifiedDesign {
            strata,
            unit_class: unit_stratum.clone(),
            classes: labels,
            unit_stratum,
            unit_psu,
            psu_stratum,
            stratum_psus,
            weights,
            fpc: self.fpc,
            confidence: self.confidence,
            unrepresented,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_missing_from_frame_is_an_error() {
        let frame = BTreeMap::from([("A", 10)]);
        let err = StratifiedDesign::builder(&["A", "B"])
            .population(&frame)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            DesignError::StratumNotInFrame {
                stratum: "B".into(),
                unit: 1
            }
        );
    }

    #[test]
    fn more_respondents_than_frame_is_an_error() {
        let frame = BTreeMap::from([("A", 1)]);
        let err = StratifiedDesign::builder(&["A", "A"])
            .population(&frame)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            DesignError::SampleExceedsPopulation {
                stratum: "A".into(),
                sampled: 2,
                population: 1
            }
        );
    }

    #[test]
    fn clusters_count_as_psus_and_nest_in_strata() {
        // Enterprise 7 appears in both strata: nested ids make that two PSUs.
        let frame = BTreeMap::from([(1u32, 6), (2u32, 4)]);
        let design = StratifiedDesign::builder(&[1u32, 1, 1, 2, 2])
            .population(&frame)
            .clusters(&[7, 7, 9, 7, 8])
            .build()
            .unwrap();
        assert_eq!(design.strata()[0].sampled, 2);
        assert_eq!(design.strata()[0].units, 3);
        // w = N_h / (PSUs in h): 6/2 and 4/2.
        assert_eq!(design.weights(), &[3.0, 3.0, 3.0, 2.0, 2.0]);
        assert_eq!(design.degrees_of_freedom(), 4 - 2);
    }

    #[test]
    fn frame_stratum_without_respondents_is_reported() {
        let frame = BTreeMap::from([("A", 10), ("B", 3), ("C", 0)]);
        let design = StratifiedDesign::builder(&["A", "A"])
            .population(&frame)
            .build()
            .unwrap();
        assert_eq!(design.unrepresented_strata(), &["B"]);
    }

    #[test]
    fn bad_weight_and_confidence_are_errors() {
        let frame = BTreeMap::from([("A", 10)]);
        let err = StratifiedDesign::builder(&["A", "A"])
            .weights(&[1.0, f64::NAN])
            .build()
            .unwrap_err();
        assert!(matches!(err, DesignError::InvalidWeight { unit: 1, .. }));
        let err = StratifiedDesign::builder(&["A"])
            .population(&frame)
            .confidence(1.0)
            .build()
            .unwrap_err();
        assert_eq!(err, DesignError::InvalidConfidence(1.0));
    }
}
