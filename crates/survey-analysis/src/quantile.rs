//! Quantiles: weighted ones for reported figures (median offered wage), and R's type 7 for
//! the unweighted statistics of the outlier rule.

use std::fmt::Display;

use crate::design::StratifiedDesign;
use crate::estimate::EstimateError;

/// Relative slack when comparing a cumulative weight share with p, so that a share that
/// is p up to rounding (weights like 44.21 summed in another order) still counts as reaching p.
const CDF_TOLERANCE: f64 = 1e-12;

impl<S: Ord + Clone + Display> StratifiedDesign<S> {
    /// Weighted p-quantile of y (p = 0.5 for the median offered wage), over answered units.
    ///
    /// Definition: the inverse of the weighted distribution function,
    /// Q(p) = the smallest answered y with F̂(y) >= p, where F̂(y) is the weight share of
    /// answered units with a value <= y. This is R `survey::svyquantile`'s default
    /// (`qrule = "math"`), and type 1 of R's `quantile` when weights are equal. It always
    /// returns an observed value (no interpolation between two wages). No variance is given.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use survey_analysis::StratifiedDesign;
    ///
    /// let frame = BTreeMap::from([("A", 30), ("B", 10)]);
    /// let design = StratifiedDesign::builder(&["A", "A", "A", "B"]).population(&frame).build()?;
    /// // Weights 10, 10, 10, 10: the median is the 2nd smallest of 4 (F̂ = 0.5 there).
    /// assert_eq!(design.quantile(&[6000.0, 5000.0, 9000.0, 7000.0], 0.5)?, 6000.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quantile<T: Copy + Into<Option<f64>>>(&self, y: &[T], p: f64) -> Result<f64, EstimateError> {
        self.quantile_in(y, None, p)
    }

    /// Weighted p-quantile of y over the answered units of a domain; see [`Self::quantile`].
    pub fn domain_quantile<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: &[bool],
        p: f64,
    ) -> Result<f64, EstimateError> {
        self.quantile_in(y, Some(domain), p)
    }

    fn quantile_in<T: Copy + Into<Option<f64>>>(
        &self,
        y: &[T],
        domain: Option<&[bool]>,
        p: f64,
    ) -> Result<f64, EstimateError> {
        let y = self.answers(y, "y")?;
        let domain = self.domain(domain)?;
        let (values, weights): (Vec<f64>, Vec<f64>) = y
            .iter()
            .zip(&domain)
            .zip(self.weights())
            .filter_map(|((y, &d), &w)| y.filter(|_| d).map(|y| (y, w)))
            .unzip();
        weighted_quantile(&values, &weights, p)
    }
}

/// Smallest value whose weighted cumulative share reaches p (see
/// [`StratifiedDesign::quantile`]); units with weight 0 are ignored.
pub fn weighted_quantile(values: &[f64], weights: &[f64], p: f64) -> Result<f64, EstimateError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(EstimateError::InvalidProbability(p));
    }
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .filter(|(_, w)| *w > 0.0)
        .collect();
    if pairs.is_empty() {
        return Err(EstimateError::NoValues);
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    let target = p * total - CDF_TOLERANCE * total;
    let mut cumulative = 0.0;
    for (value, weight) in &pairs {
        cumulative += weight;
        if cumulative >= target {
            return Ok(*value);
        }
    }
    // Rounding kept the last share below p; the largest value is the quantile then.
    Ok(pairs[pairs.len() - 1].0)
}

/// R's default sample quantile (`quantile(type = 7)`): with the values sorted as
/// x_0 <= ... <= x_{n-1} and h = (n - 1) p, Q(p) = x_⌊h⌋ + (h - ⌊h⌋)(x_⌊h⌋+1 - x_⌊h⌋).
///
/// The Hidiroglou-Berthelot rule is specified with this definition; statrs' `quantile`
/// follows type 8 and gives other quartiles on small samples. `None` for no values or p
/// outside [0, 1].
///
/// ```
/// use survey_analysis::type7_quantile;
/// // n = 4, p = 0.25: h = 0.75, so 1 + 0.75 * (2 - 1).
/// assert_eq!(type7_quantile(&[4.0, 1.0, 3.0, 2.0], 0.25), Some(1.75));
/// ```
pub fn type7_quantile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(type7_sorted(&sorted, p))
}

/// Type 7 quantile of values already sorted ascending (non-empty, p in [0, 1]).
pub(crate) fn type7_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_matches_r_on_six_values() {
        // R: quantile(c(-10, -2.5, 0, 0, 2.5, 30)) gives -1.875, 0, 1.875 for the quartiles:
        // h = 5 * 0.25 = 1.25 -> -2.5 + 0.25 * 2.5.
        let e = [30.0, -10.0, 0.0, 2.5, -2.5, 0.0];
        assert_eq!(type7_quantile(&e, 0.25), Some(-1.875));
        assert_eq!(type7_quantile(&e, 0.5), Some(0.0));
        assert_eq!(type7_quantile(&e, 0.75), Some(1.875));
        assert_eq!(type7_quantile(&e, 0.0), Some(-10.0));
        assert_eq!(type7_quantile(&e, 1.0), Some(30.0));
        assert_eq!(type7_quantile(&[], 0.5), None);
    }

    #[test]
    fn weighted_quantile_is_the_inverse_cdf() {
        // Weights 1, 2, 1 on 10, 20, 30: F̂ = 0.25, 0.75, 1.
        let (v, w) = ([30.0, 10.0, 20.0], [1.0, 1.0, 2.0]);
        assert_eq!(weighted_quantile(&v, &w, 0.25), Ok(10.0));
        assert_eq!(weighted_quantile(&v, &w, 0.26), Ok(20.0));
        assert_eq!(weighted_quantile(&v, &w, 0.75), Ok(20.0));
        assert_eq!(weighted_quantile(&v, &w, 0.76), Ok(30.0));
        assert_eq!(weighted_quantile(&v, &w, 0.0), Ok(10.0));
        assert_eq!(
            weighted_quantile(&v, &w, 1.5),
            Err(EstimateError::InvalidProbability(1.5))
        );
        assert_eq!(weighted_quantile(&v, &[0.0; 3], 0.5), Err(EstimateError::NoValues));
    }
}
