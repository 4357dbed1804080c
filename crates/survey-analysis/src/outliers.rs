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
/// Default fewest changed units the rule runs on: quartiles of fewer say little.
pub const DEFAULT_HB_MIN_CHANGED: usize = 10;
/// Default floor of a headcount change, in persons.
pub const DEFAULT_HEADCOUNT_FLOOR_PERSONS: f64 = 3.0;
/// Default floor of a headcount change, as a share of the previous headcount.
pub const DEFAULT_HEADCOUNT_FLOOR_SHARE: f64 = 0.1;
/// Default floor of a change in vacancies, in posts.
pub const DEFAULT_VACANCIES_FLOOR_POSTS: f64 = 3.0;

/// Parameters of the Hidiroglou-Berthelot rule.
#[derive(Debug, Clone, PartialEq)]
pub struct HbParameters {
    /// Size exponent U in E = s * max(x, y)^U, in [0, 1].
    pub u: f64,
    /// Spread floor A, >= 0.
    pub a: f64,
    /// Band width C, > 0.
    pub c: f64,
    /// Fewest changed units (r != 1) the rule runs on.
    pub min_changed: usize,
    /// A change |y - x| below this is never flagged (3 persons, 3 posts).
    pub floor_absolute: f64,
    /// A change |y - x| below this share of x is never flagged (10% of a headcount).
    pub floor_share: f64,
}

impl Default for HbParameters {
    /// DOMAIN.md's U, A, C and minimum count, with no floor.
    fn default() -> Self {
        HbParameters {
            u: DEFAULT_HB_U,
            a: DEFAULT_HB_A,
            c: DEFAULT_HB_C,
            min_changed: DEFAULT_HB_MIN_CHANGED,
            floor_absolute: 0.0,
            floor_share: 0.0,
        }
    }
}

/// The rule's result for one assessed enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct HbUnit {
    /// r = y / x, current over previous.
    pub ratio: f64,
    /// The effect E = s * max(x, y)^U (0 for an unchanged unit, which is not in the
    /// quartiles).
    pub effect: f64,
    /// False when y = x: never an outlier, and left out of the quartiles.
    pub changed: bool,
    /// The change is smaller than a floor: never flagged, whatever its effect.
    pub below_floor: bool,
    /// E outside [lower, upper] and the change not below a floor.
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
    /// Units with both values positive and y != x: those the quartiles are taken over.
    pub changed: usize,
}

/// Why the rule could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HbError {
    /// No pair has both values positive.
    #[error("no enterprise has positive values in both waves")]
    NoPairs,
    /// Too few units changed for quartiles of their effects to mean anything.
    #[error("only {changed} enterprises changed between the waves; the screen needs at least {needed}")]
    TooFewChanged {
        /// Units with both values positive and a change.
        changed: usize,
        /// The minimum (`min_changed`).
        needed: usize,
    },
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
/// Units with both values positive are assessed. Those whose value did not change (r = 1)
/// are never outliers and stay out of the quartiles: where most firms keep their headcount
/// they would make E_q1 = E_med = 0 and flag every change however small. Over the changed
/// units: r = y/x; s = 1 - r_med/r when r < r_med, else r/r_med - 1; E = s * max(x, y)^U.
/// With E_q1, E_med, E_q3 the type 7 quartiles of E, a unit is flagged when
/// E < E_med - C * max(E_med - E_q1, |A * E_med|) or E > E_med + C * max(E_q3 - E_med, |A * E_med|),
/// unless its change |y - x| is below a floor. Fewer than `min_changed` changed units: no
/// screen ([`HbError::TooFewChanged`]).
///
/// ```
/// use survey_analysis::{HbParameters, hidiroglou_berthelot};
/// let mut employees: Vec<(f64, f64)> = (0..12).map(|i| (100.0 + f64::from(i), 99.0 + f64::from(i))).collect();
/// employees.push((60.0, 600.0)); // the extra zero
/// employees.push((80.0, 80.0)); // unchanged: never an outlier
/// let hb = hidiroglou_berthelot(&employees, &HbParameters::default())?;
/// let flagged: Vec<usize> = (0..employees.len()).filter(|&i| hb.units[i].as_ref().is_some_and(|u| u.outlier)).collect();
/// assert_eq!(flagged, [12]);
/// assert_eq!(hb.changed, 13);
/// # Ok::<(), survey_analysis::HbError>(())
/// ```
pub fn hidiroglou_berthelot(pairs: &[(f64, f64)], params: &HbParameters) -> Result<HbOutcome, HbError> {
    check_parameter("U", params.u, (0.0..=1.0).contains(&params.u), "0 to 1")?;
    check_parameter("A", params.a, params.a >= 0.0 && params.a.is_finite(), ">= 0")?;
    check_parameter("C", params.c, params.c > 0.0 && params.c.is_finite(), "> 0")?;
    let floor_ok = |v: f64| v >= 0.0 && v.is_finite();
    check_parameter("floor", params.floor_absolute, floor_ok(params.floor_absolute), ">= 0")?;
    check_parameter("floor share", params.floor_share, floor_ok(params.floor_share), ">= 0")?;

    let usable = |x: f64, y: f64| x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite();
    if !pairs.iter().any(|&(x, y)| usable(x, y)) {
        return Err(HbError::NoPairs);
    }
    let changed = |x: f64, y: f64| usable(x, y) && x != y;
    let mut ratios: Vec<f64> = pairs
        .iter()
        .filter(|(x, y)| changed(*x, *y))
        .map(|(x, y)| y / x)
        .collect();
    if ratios.len() < params.min_changed.max(1) {
        return Err(HbError::TooFewChanged {
            changed: ratios.len(),
            needed: params.min_changed.max(1),
        });
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
        .filter(|(x, y)| changed(*x, *y))
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
                if x == y {
                    return HbUnit {
                        ratio: 1.0,
                        effect: 0.0,
                        changed: false,
                        below_floor: true,
                        outlier: false,
                    };
                }
                let (ratio, effect) = effect(x, y);
                let change = (y - x).abs();
                let below_floor = change < params.floor_absolute || change < params.floor_share * x;
                HbUnit {
                    ratio,
                    effect,
                    changed: true,
                    below_floor,
                    outlier: !below_floor && (effect < lower || effect > upper),
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
        changed: ratios.len(),
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

    fn few(min_changed: usize) -> HbParameters {
        HbParameters {
            min_changed,
            ..HbParameters::default()
        }
    }

    #[test]
    fn identical_ratios_flag_nobody() {
        // Every r equals r_med, so every E is 0, the band is [0, 0] and nothing is outside.
        let hb = hidiroglou_berthelot(&[(10.0, 20.0), (5.0, 10.0), (100.0, 200.0)], &few(1)).unwrap();
        assert_eq!(hb.median_ratio, 2.0);
        assert!(
            hb.units
                .iter()
                .all(|u| u.as_ref().is_some_and(|u| !u.outlier && u.effect == 0.0))
        );
    }

    #[test]
    fn non_positive_pairs_are_not_assessed() {
        let hb = hidiroglou_berthelot(&[(0.0, 5.0), (4.0, 5.0), (3.0, -1.0)], &few(1)).unwrap();
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

    /// A wave where most firms keep their headcount: 30 unchanged, 12 changed by small
    /// amounts, one cut by half. Counting the unchanged in the quartiles would give
    /// E_q1 = E_med = 0 and flag every change; without them only the halving is flagged.
    #[test]
    fn unchanged_units_stay_out_of_the_quartiles() {
        let mut pairs: Vec<(f64, f64)> = (0..30).map(|i| (20.0 + f64::from(i), 20.0 + f64::from(i))).collect();
        // Twelve changes of -1 to +1 person on 100 to 111 employees.
        for i in 0..12 {
            let x = 100.0 + f64::from(i);
            let delta = [-1.0, 1.0, -1.0, 1.0][i as usize % 4];
            pairs.push((x, x + delta));
        }
        pairs.push((400.0, 200.0));
        let hb = hidiroglou_berthelot(&pairs, &HbParameters::default()).unwrap();
        assert_eq!(hb.changed, 13);
        // Seven of the 13 changed ratios are below 1 (six -1s and the halving); the
        // median is the 7th: the largest of the -1 ratios, 109/110 (x = 110, delta -1)...
        // worked out: the -1 changes are on x = 100, 102, 104, 106, 108, 110, whose ratios
        // 99/100 < 101/102 < ... < 109/110 are all below the +1 ratios; sorted, the 7th of 13 is
        // the largest of them, 109/110.
        assert!((hb.median_ratio - 109.0 / 110.0).abs() < 1e-15);
        let flagged: Vec<usize> = (0..pairs.len())
            .filter(|&i| hb.units[i].as_ref().is_some_and(|u| u.outlier))
            .collect();
        assert_eq!(flagged, [42]);
        assert!(
            hb.units[..30]
                .iter()
                .all(|u| u.as_ref().is_some_and(|u| !u.changed && !u.outlier))
        );
    }

    /// With the unchanged firms counted, as the rule used to be written, the same wave flags
    /// small changes: shown by running the formula over every unit by hand.
    #[test]
    fn counting_unchanged_units_would_flag_small_changes() {
        // 30 unchanged, one firm 100 -> 99: over all 31, E_q1 = E_med = E_q3 = 0, so the band is
        // [0, 0] and the -1% change (E = (1 - 1/0.99) * 100^0.5 < 0) would be outside it.
        let e = (1.0 - 1.0 / 0.99) * 100f64.sqrt();
        assert!(e < 0.0);
        // Now: too few changed firms for a screen at all.
        let mut pairs: Vec<(f64, f64)> = vec![(50.0, 50.0); 30];
        pairs.push((100.0, 99.0));
        assert_eq!(
            hidiroglou_berthelot(&pairs, &HbParameters::default()),
            Err(HbError::TooFewChanged { changed: 1, needed: 10 })
        );
    }

    /// A change under a floor is never flagged, whatever its effect.
    #[test]
    fn floors_keep_small_changes_off_the_list() {
        // Ten changes of +1% on 100..109 and two large ones in relative terms on tiny firms:
        // 2 -> 4 and 1 -> 3 (+2 persons: under the 3-person floor).
        let mut pairs: Vec<(f64, f64)> = (0..10).map(|i| (100.0 + f64::from(i), 101.0 + f64::from(i))).collect();
        pairs.push((2.0, 4.0));
        pairs.push((1.0, 3.0));
        pairs.push((200.0, 20.0));
        let floors = HbParameters {
            floor_absolute: 3.0,
            floor_share: 0.1,
            ..HbParameters::default()
        };
        let hb = hidiroglou_berthelot(&pairs, &floors).unwrap();
        let flagged: Vec<usize> = (0..pairs.len())
            .filter(|&i| hb.units[i].as_ref().is_some_and(|u| u.outlier))
            .collect();
        assert_eq!(flagged, [12], "the 2-person changes are below the floor");
        assert!(hb.units[10].as_ref().is_some_and(|u| u.below_floor));
        let without = hidiroglou_berthelot(&pairs, &HbParameters::default()).unwrap();
        assert!(
            without.units[10].as_ref().is_some_and(|u| u.outlier),
            "doubling is an outlier without floors"
        );
    }
}
