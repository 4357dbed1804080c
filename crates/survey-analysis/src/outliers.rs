//! Wave-over-wave outliers by the Hidiroglou-Berthelot rule (DOMAIN.md).
//!
//! An enterprise whose figure (employees, vacancies) moved far more than its peers' since
//! the previous wave is flagged for follow-up: a typing slip (an extra zero) or a real
//! event (a layoff) that analysts should confirm. The effect E weighs the size of the
//! change by the size of the enterprise, so a small firm going from 2 to 4 employees is
//! not flagged while a large one losing half its staff is.

/// Default U: how much the enterprise's size counts in E (0 = not at all, 1 = fully).
pub const DEFAULT_HB_U: f64 = 0.5;
/// Default A: floor on the spread, as a share of the median effect, so that a tight
/// cluster of effects does not flag tiny departures.
pub const DEFAULT_HB_A: f64 = 0.05;
/// Default C: width of the acceptance band in units of the spread.
pub const DEFAULT_HB_C: f64 = 4.0;

/// Parameters of the Hidiroglou-Berthelot rule.
#[derive(Debug, Clone, PartialEq)]
pub struct HbParameters {
    /// Size exponent U in E = s * max(x, y)^U, in [0, 1].
    pub u: f64,
    /// Spread floor A, >= 0.
    pub a: f64,
    /// Band width C, > 0.
    pub c: f64,
}

impl Default for HbParameters {
    fn default() -> Self {
        HbParameters {
            u: DEFAULT_HB_U,
            a: DEFAULT_HB_A,
            c: DEFAULT_HB_C,
        }
    }
}

/// The rule's result for one assessed enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct HbUnit {
    /// r = y / x, current over previous.
    pub ratio: f64,
    /// The effect E = s * max(x, y)^U.
    pub effect: f64,
    /// E outside [lower, upper].
    pub outlier: bool,
}

/// Outcome of the rule over all pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct HbOutcome {
    /// r_med, the median ratio (type 7, i.e. the usual median).
    pub median_ratio: f64,
    /// E_q1, E_med, E_q3: quartiles of the effects, R's type 7.
    pub quartiles: [f64; 3],
    /// Effects below this are flagged.
    pub lower: f64,
    /// Effects above this are flagged.
    pub upper: f64,
    /// One entry per pair given; `None` when x or y is not a positive number (new, closed
    /// or empty enterprises, which the ratio cannot judge).
    pub units: Vec<Option<HbUnit>>,
}

/// Why the rule could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HbError {
    /// No pair has both values positive.
    #[error("no enterprise has positive values in both waves")]
    NoPairs,
    /// A parameter is outside its range.
    #[error("parameter {name} = {value} is out of range ({range})")]
    InvalidParameter {
        /// "U", "A" or "C".
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range.
        range: &'static str,
    },
}

/// Runs the Hidiroglou-Berthelot rule on (previous x, current y) pairs.
///
/// r = y/x; s = 1 - r_med/r when r < r_med, else r/r_med - 1; E = s * max(x, y)^U. With
/// E_q1, E_med, E_q3 the type 7 quartiles of E, a pair is flagged when
/// E < E_med - C * max(E_med - E_q1, |A * E_med|) or E > E_med + C * max(E_q3 - E_med, |A * E_med|).
///
/// ```
/// use survey_analysis::{HbParameters, hidiroglou_berthelot};
/// let employees = [(100.0, 98.0), (50.0, 51.0), (80.0, 80.0), (120.0, 118.0), (60.0, 600.0)];
/// let hb = hidiroglou_berthelot(&employees, &HbParameters::default())?;
/// let flagged: Vec<bool> = hb.units.iter().map(|u| u.as_ref().is_some_and(|u| u.outlier)).collect();
/// assert_eq!(flagged, [false, false, false, false, true]); // the extra zero
/// # Ok::<(), survey_analysis::HbError>(())
/// ```
pub fn hidiroglou_berthelot(pairs: &[(f64, f64)], params: &HbParameters) -> Result<HbOutcome, HbError> {
    check_parameter("U", params.u, (0.0..=1.0).contains(&params.u), "0 to 1")?;
    check_parameter("A", params.a, params.a >= 0.0 && params.a.is_finite(), ">= 0")?;
    check_parameter("C", params.c, params.c > 0.0 && params.c.is_finite(), "> 0")?;

    let usable = |x: f64, y: f64| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite();
    let mut ratios: Vec<f64> = pairs
        .iter()
        .filter(|(x, y)| usable(*x, *y))
        .map(|(x, y)| y / x)
        .collect();
    if ratios.is_empty() {
        return Err(HbError::NoPairs);
    }
    ratios.sort_by(f64::total_cmp);
    let median_ratio = crate::quantile::type7_sorted(&ratios, 0.5);

    let effect = |x: f64, y: f64| {
        let r = y / x;
        let s = if r < median_ratio {
            1.0 - median_ratio / r
        } else {
            r / median_ratio - 1.0
        };
        (r, s * x.max(y).powf(params.u))
    };
    let mut effects: Vec<f64> = pairs
        .iter()
        .filter(|(x, y)| usable(*x, *y))
        .map(|(x, y)| effect(*x, *y).1)
        .collect();
    effects.sort_by(f64::total_cmp);
    let [q1, med, q3] = [0.25, 0.5, 0.75].map(|p| crate::quantile::type7_sorted(&effects, p));
    let floor = (params.a * med).abs();
    let lower = med - params.c * (med - q1).max(floor);
    let upper = med + params.c * (q3 - med).max(floor);

    let units = pairs
        .iter()
        .map(|&(x, y)| {
            usable(x, y).then(|| {
                let (ratio, effect) = effect(x, y);
                HbUnit {
                    ratio,
                    effect,
                    outlier: effect < lower || effect > upper,
                }
            })
        })
        .collect();
    Ok(HbOutcome {
        median_ratio,
        quartiles: [q1, med, q3],
        lower,
        upper,
        units,
    })
}

fn check_parameter(name: &'static str, value: f64, ok: bool, range: &'static str) -> Result<(), HbError> {
    if ok {
        Ok(())
    } else {
        Err(HbError::InvalidParameter { name, value, range })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_ratios_flag_nobody() {
        // Every r equals r_med, so every E is 0, the band is [0, 0] and nothing is outside.
        let hb = hidiroglou_berthelot(&[(10.0, 20.0), (5.0, 10.0), (100.0, 200.0)], &HbParameters::default()).unwrap();
        assert_eq!(hb.median_ratio, 2.0);
        assert!(
            hb.units
                .iter()
                .all(|u| u.as_ref().is_some_and(|u| !u.outlier && u.effect == 0.0))
        );
    }

    #[test]
    fn non_positive_pairs_are_not_assessed() {
        let hb = hidiroglou_berthelot(&[(0.0, 5.0), (4.0, 4.0), (3.0, -1.0)], &HbParameters::default()).unwrap();
        assert!(hb.units[0].is_none() && hb.units[1].is_some() && hb.units[2].is_none());
        assert_eq!(
            hidiroglou_berthelot(&[(0.0, 1.0)], &HbParameters::default()),
            Err(HbError::NoPairs)
        );
    }

    #[test]
    fn parameters_are_checked() {
        let bad = HbParameters {
            u: 1.5,
            ..HbParameters::default()
        };
        assert!(matches!(
            hidiroglou_berthelot(&[(1.0, 1.0)], &bad),
            Err(HbError::InvalidParameter { name: "U", .. })
        ));
    }
}
