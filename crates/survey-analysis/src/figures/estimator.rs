//! Estimation of a breakdown's figures: totals, ratios, shares and plain values for
//! every domain and overall, each with the disclosure status the rules give it. The
//! overall figure of a measure is the same in every breakdown, so it is estimated once
//! and shared through [`OverallFigures`].

use super::{Breakdown, Figure, FigureLine, protect_siblings};
use crate::impute::Answers;
use crate::{CellStatus, Contributions, DisclosureRules, Estimate, StratifiedDesign, SuppressionReason};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Mutex, PoisonError};

#[cfg(test)]
mod tests;

/// Estimates one breakdown's figures with the rules of disclosure control.
pub struct Estimator<'a, S> {
    /// The design.
    pub design: &'a StratifiedDesign<S>,
    /// The primary rules.
    pub rules: &'a DisclosureRules,
    /// True when weighted by a frame; without one, totals are respondents' sums and get
    /// no standard error.
    pub weighted: bool,
    /// Overall figures estimated so far with this design and these rules.
    pub overall: &'a OverallFigures,
}

/// Overall ("all") figures already estimated, by a SHA-256 digest of the estimator and the
/// columns they were estimated from. Every breakdown of a measure has the same overall
/// figure; it is one pass over the whole sample (and a sort of its contributions for the
/// dominance rule), so it is estimated once per measure rather than once per breakdown.
/// Shared by the workbooks, which are built at the same time.
#[derive(Debug, Default)]
pub struct OverallFigures(Mutex<HashMap<[u8; 32], (Figure, CellStatus)>>);

impl OverallFigures {
    /// The figure filed under `key`, estimated by `estimate` and filed when there is none.
    fn get_or(&self, key: [u8; 32], estimate: impl FnOnce() -> (Figure, CellStatus)) -> (Figure, CellStatus) {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = lock().get(&key) {
            return found.clone();
        }
        // Estimated outside the lock, so the other workbooks go on meanwhile.
        let estimated = estimate();
        lock().entry(key).or_insert(estimated).clone()
    }
}

/// The digest an overall figure is filed under: the estimator's name, then each column's
/// length and values (a missing value and each number encoded apart). The bytes go to the
/// hash a block at a time, so no copy of a column is made.
fn overall_key(
    estimator: &str,
    numbers: &[&[Option<f64>]],
    flags: Option<&[Option<bool>]>,
    imputed: &[&[bool]],
) -> [u8; 32] {
    /// Bytes gathered before each call to the hash.
    const BLOCK: usize = 64 * 1024;
    let mut hasher = Sha256::new();
    let mut bytes = Vec::with_capacity(BLOCK + 16);
    let flush = |bytes: &mut Vec<u8>, hasher: &mut Sha256| {
        if bytes.len() >= BLOCK {
            hasher.update(&bytes[..]);
            bytes.clear();
        }
    };
    bytes.extend_from_slice(estimator.as_bytes());
    for column in numbers {
        bytes.extend_from_slice(&(column.len() as u64).to_le_bytes());
        for v in *column {
            match v {
                Some(v) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                None => bytes.push(0),
            }
            flush(&mut bytes, &mut hasher);
        }
    }
    if let Some(flags) = flags {
        bytes.extend_from_slice(&(flags.len() as u64).to_le_bytes());
        for f in flags {
            bytes.push(match f {
                None => 0u8,
                Some(false) => 1,
                Some(true) => 2,
            });
            flush(&mut bytes, &mut hasher);
        }
    }
    for column in imputed {
        bytes.extend_from_slice(&(column.len() as u64).to_le_bytes());
        for &i in *column {
            bytes.push(u8::from(i));
            flush(&mut bytes, &mut hasher);
        }
    }
    hasher.update(&bytes[..]);
    hasher.finalize().into()
}

impl<S: Ord + Clone + Display> Estimator<'_, S> {
    /// Every unit of the design, in order: the units of the "all" figure.
    fn everyone(&self) -> Vec<usize> {
        (0..self.design.units()).collect()
    }

    /// A total as published: without a frame it is a sum over the respondents themselves,
    /// which has no sampling error to state.
    pub fn unweighted_total(&self, mut figure: Figure) -> Figure {
        if !self.weighted
            && let Some(e) = figure.estimate.as_mut()
        {
            e.se = None;
            e.ci_low = None;
            e.ci_high = None;
            e.cv = None;
            e.caution = false;
        }
        figure
    }

    /// The contributions of `units` to a total of y: the reported values (imputed ones are
    /// not contributors), unweighted and weighted.
    fn contributions(&self, y: &Answers, units: &[usize]) -> Contributions {
        let w = self.design.weights();
        let mut cell = Contributions::default();
        for &i in units {
            let Some(v) = y.values[i] else { continue };
            cell.units += 1;
            if !y.imputed[i] {
                cell.reported.push(v);
                cell.weighted.push(v * w[i]);
            }
        }
        cell
    }

    /// Share of the weighted absolute value of y over `units` that is imputed (of the
    /// units with a value, when that is 0).
    fn imputed_share(&self, y: &Answers, units: &[usize]) -> Option<f64> {
        let w = self.design.weights();
        let (mut imputed, mut all, mut imputed_units, mut with_value) = (0.0, 0.0, 0usize, 0usize);
        for &i in units {
            let Some(v) = y.values[i] else { continue };
            let size = (v * w[i]).abs();
            all += size;
            with_value += 1;
            if y.imputed[i] {
                imputed += size;
                imputed_units += 1;
            }
        }
        if all > 0.0 {
            Some(imputed / all)
        } else if with_value > 0 {
            Some(imputed_units as f64 / with_value as f64)
        } else {
            Some(0.0)
        }
    }

    /// Totals of y for every domain and overall, with primary and secondary suppression.
    ///
    /// Each domain's figure visits its own units only (see `Domain::units`), so a
    /// breakdown costs about one pass over the sample however many domains it has.
    pub fn totals(&self, y: &Answers, breakdown: &Breakdown) -> FigureLine {
        let cells: Vec<Contributions> = breakdown
            .domains
            .iter()
            .map(|d| self.contributions(y, &d.units))
            .collect();
        let mut line = self.rules.line(&cells);
        protect_siblings(self.rules, &mut line.cells, &breakdown.domains, &cells);
        let checked = self.design.checked_answers(&y.values, "y");
        let figure = |units: &[usize], cell: &Contributions| {
            let result = match &checked {
                Ok(values) => self.design.total_over(values, units),
                Err(e) => Err(e.clone()),
            };
            let mut f = self.unweighted_total(Figure::from_result(result, cell.reported.len()));
            f.imputed_share = self.imputed_share(y, units);
            f
        };
        let domains = breakdown
            .domains
            .iter()
            .zip(line.cells)
            .zip(&cells)
            .map(|((d, status), cell)| {
                let mut f = figure(&d.units, cell);
                f.status = status;
                f
            })
            .collect();
        let key = overall_key("total", &[&y.values], None, &[&y.imputed]);
        let (mut all, own_status) = self.overall.get_or(key, || {
            let everyone = self.everyone();
            let cell = self.contributions(y, &everyone);
            (figure(&everyone, &cell), self.rules.judge(&cell))
        });
        // Domains need not cover every unit (an enterprise with no sub-district answer),
        // so the overall total is also judged on its own.
        all.status = match (line.total, own_status) {
            (CellStatus::Published, own) => own,
            (suppressed, _) => suppressed,
        };
        FigureLine { domains, all }
    }

    /// Ratios Y/X per domain. A rate and one of its totals give the other back, so a rate
    /// is suppressed wherever its numerator (`numerator`, or the totals of y) or its
    /// denominator (the totals of x, published or not) would be, or where it rests on too
    /// few enterprises.
    pub fn ratios(
        &self,
        y: &Answers,
        x: &Answers,
        breakdown: &Breakdown,
        numerator: Option<&FigureLine>,
    ) -> FigureLine {
        let denominator = self.totals(x, breakdown);
        self.ratios_of(y, x, breakdown, numerator, &denominator)
    }

    /// [`Estimator::ratios`] with the denominator's totals already estimated.
    pub fn ratios_of(
        &self,
        y: &Answers,
        x: &Answers,
        breakdown: &Breakdown,
        numerator: Option<&FigureLine>,
        denominator: &FigureLine,
    ) -> FigureLine {
        let reported = |units: &[usize]| units.iter().filter(|&&i| y.is_reported(i) && x.is_reported(i)).count();
        let own_numerator;
        let numerator = match numerator {
            Some(n) => n,
            None => {
                own_numerator = self.totals(y, breakdown);
                &own_numerator
            }
        };
        let checked = self
            .design
            .checked_answers(&y.values, "y")
            .and_then(|yv| Ok((yv, self.design.checked_answers(&x.values, "x")?)));
        let figure = |units: &[usize]| {
            let result = match &checked {
                Ok((yv, xv)) => self.design.ratio_over(yv, xv, units),
                Err(e) => Err(e.clone()),
            };
            let mut f = Figure::from_result(result, reported(units));
            let both: Vec<usize> = units
                .iter()
                .copied()
                .filter(|&i| y.values[i].is_some() && x.values[i].is_some())
                .collect();
            f.imputed_share = match (self.imputed_share(y, &both), self.imputed_share(x, &both)) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            f
        };
        let judge = |f: &mut Figure, num: &Figure, den: &Figure| {
            f.status = [num.status, den.status]
                .into_iter()
                .find(|s| !s.is_published())
                .unwrap_or_else(|| self.threshold(f.enterprises));
        };
        let domains = breakdown
            .domains
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let mut f = figure(&d.units);
                judge(&mut f, &numerator.domains[k], &denominator.domains[k]);
                f
            })
            .collect();
        let key = overall_key("ratio", &[&y.values, &x.values], None, &[&y.imputed, &x.imputed]);
        let (mut all, _) = self
            .overall
            .get_or(key, || (figure(&self.everyone()), CellStatus::Published));
        judge(&mut all, &numerator.all, &denominator.all);
        FigureLine { domains, all }
    }

    /// Shares of enterprises answering yes, per domain. A share tells how many said yes
    /// and how many no, so each of the two counts must rest on enough enterprises (or be
    /// 0): one "yes" in a sector is that enterprise's answer.
    pub fn proportions(&self, indicator: &[Option<bool>], breakdown: &Breakdown) -> FigureLine {
        let count =
            |units: &[usize], answer: fn(Option<bool>) -> bool| units.iter().filter(|&&i| answer(indicator[i])).count();
        let checked = self.design.check_len(indicator.len(), "indicator");
        let figure = |units: &[usize]| {
            let result = checked
                .clone()
                .and_then(|()| self.design.proportion_over(indicator, units));
            let mut f = Figure::from_result(result, count(units, |a| a.is_some()));
            let w = self.design.weights();
            f.base = Some(units.iter().filter(|&&i| indicator[i].is_some()).map(|&i| w[i]).sum());
            let yes = count(units, |a| a == Some(true));
            let no = count(units, |a| a == Some(false));
            f.status = [self.threshold(f.enterprises), self.threshold(yes), self.threshold(no)]
                .into_iter()
                .find(|s| !s.is_published())
                .unwrap_or(CellStatus::Published);
            f
        };
        let domains = breakdown.domains.iter().map(|d| figure(&d.units)).collect();
        let (all, _) = self
            .overall
            .get_or(overall_key("proportion", &[], Some(indicator), &[]), || {
                (figure(&self.everyone()), CellStatus::Published)
            });
        FigureLine { domains, all }
    }

    /// The threshold rule: a figure resting on some, but too few, enterprises is
    /// suppressed.
    fn threshold(&self, enterprises: usize) -> CellStatus {
        if enterprises > 0 && enterprises < self.rules.min_enterprises {
            CellStatus::Suppressed {
                reason: SuppressionReason::Threshold,
            }
        } else {
            CellStatus::Published
        }
    }

    /// A figure with only a value (a quantile), resting on `enterprises`.
    pub fn plain(&self, value: Option<f64>, enterprises: usize, confidence: f64) -> Figure {
        let estimate = value.map(|value| Estimate {
            value,
            se: None,
            ci_low: None,
            ci_high: None,
            confidence,
            cv: None,
            df: self.design.degrees_of_freedom(),
            n: enterprises,
            caution: false,
            notes: Vec::new(),
        });
        Figure {
            problem: estimate.is_none().then(|| "no answers".to_owned()),
            estimate,
            status: self.threshold(enterprises),
            enterprises,
            imputed_share: None,
            base: None,
        }
    }
}
