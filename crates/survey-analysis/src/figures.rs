//! Published figures: estimates for every domain of a breakdown (sectors, size classes,
//! sub-districts...), with disclosure control applied across the breakdown, and the long
//! tables they are printed in.
//!
//! A table cell is a [`Figure`]: the estimate with its standard error, interval, CV and
//! the number of enterprises it rests on, plus its disclosure status. The rules:
//! - totals: threshold and dominance rules on the weighted contributions of the domain's
//!   enterprises, then secondary suppression across the breakdown (whose domains split the
//!   enterprises, so the "all" figure is their line total);
//! - ratios: suppressed with their numerator total (a rate and a published denominator
//!   would give the numerator back), or when resting on too few enterprises;
//! - proportions and quantiles: the threshold rule on the domain's respondents.

use crate::impute::Answers;
use crate::report::book::{Cell, Column, ColumnStyle, Format, SYMBOL_CAUTION, SYMBOL_SUPPRESSED, Table};
use crate::{CellStatus, Contributions, DisclosureRules, Estimate, StratifiedDesign, SuppressionReason};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{Mutex, PoisonError};
use survey_def::Lang;

/// The text in the report language.
pub fn tr(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// One published cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The estimate; `None` when it cannot be computed (see `problem`).
    pub estimate: Option<Estimate>,
    /// Whether it may be shown.
    pub status: CellStatus,
    /// Responding enterprises the figure rests on: those that reported a value (an
    /// imputed value is not one).
    pub enterprises: usize,
    /// Share of the figure made of imputed values (of its weighted absolute value; of its
    /// units when that is 0); for a rate, the larger of its numerator's and denominator's.
    /// `None` where nothing is imputed by design (shares, quantiles).
    pub imputed_share: Option<f64>,
    /// Of a share: the weighted count of enterprises answering, its denominator.
    pub base: Option<f64>,
    /// Why there is no estimate (an empty domain, nobody answered in a stratum...).
    pub problem: Option<String>,
}

/// Imputed share above which a figure shows it (DOMAIN.md).
pub const IMPUTED_SHARE_SHOWN: f64 = 0.1;
/// Imputed share above which a figure is marked "use with caution" (DOMAIN.md).
pub const IMPUTED_SHARE_CAUTION: f64 = 0.5;

impl Figure {
    fn from_result<E: Display>(result: Result<Estimate, E>, enterprises: usize) -> Figure {
        match result {
            Ok(estimate) => Figure {
                estimate: Some(estimate),
                status: CellStatus::Published,
                enterprises,
                imputed_share: None,
                base: None,
                problem: None,
            },
            Err(e) => Figure {
                estimate: None,
                status: CellStatus::Published,
                enterprises,
                imputed_share: None,
                base: None,
                problem: Some(e.to_string()),
            },
        }
    }

    /// The value, when published and computed.
    pub fn published_value(&self) -> Option<f64> {
        if self.status.is_published() {
            self.estimate.as_ref().map(|e| e.value)
        } else {
            None
        }
    }

    /// True when published with a CV above the caution limit, or with no CV because the
    /// variance could not be estimated, or resting more than half on imputed values. An
    /// estimate of 0 with a standard error of 0 (no enterprise in the domain has any) is
    /// exact, not doubtful.
    pub fn caution(&self) -> bool {
        let imprecise = self
            .estimate
            .as_ref()
            .is_some_and(|e| e.caution && !(e.value == 0.0 && e.se == Some(0.0)));
        let imputed = self.imputed_share.is_some_and(|s| s > IMPUTED_SHARE_CAUTION);
        self.status.is_published() && self.estimate.is_some() && (imprecise || imputed)
    }
}

/// Code of the domain holding the units no other domain of a breakdown places.
pub const REMAINDER: &str = "-";

/// A subpopulation that figures are given for.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Its code (section letter, size class code...).
    pub code: String,
    /// Its name in the report language.
    pub label: String,
    /// The units of the design in it, in unit order. A figure for the domain visits
    /// these units (and the strata they are in), not the whole sample.
    pub units: Vec<usize>,
    /// The domain of a published coarser breakdown it is part of (the section of a
    /// division): its siblings add up to that parent, so they protect each other too.
    pub parent: Option<String>,
}

/// Domains that split the responding enterprises (each enterprise in at most one), or the
/// vacancy lines (each line in at most one).
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// Stable id: `section`, `division`, `size_class`, `subdistrict`...; `all` for the
    /// breakdown with no domain (figures over every enterprise only).
    pub id: &'static str,
    /// What the domains are, in the report language ("Sector", "Size class"...).
    pub title: String,
    /// The domains, in print order.
    pub domains: Vec<Domain>,
    /// The breakdown the domains' `parent` codes are domains of (`section` for divisions).
    pub parent: Option<&'static str>,
}

/// Id of the breakdown with no domain.
pub const ALL: &str = "all";
/// Code of the "all" figure of a breakdown, as printed in the code column.
pub const ALL_CODE: &str = "*";

impl Breakdown {
    /// The breakdown with no domain: figures over every enterprise only.
    pub fn everyone(title: String) -> Breakdown {
        Breakdown {
            id: ALL,
            title,
            domains: Vec::new(),
            parent: None,
        }
    }

    /// Domains from one code per unit (`None`: in no domain), in the order of `order`
    /// (codes with their labels); codes no unit has are kept, so a table shows every
    /// sector even when nobody there responded.
    pub fn from_codes(
        id: &'static str,
        title: String,
        codes: &[Option<String>],
        order: impl IntoIterator<Item = (String, String)>,
        keep_empty: bool,
    ) -> Breakdown {
        let mut units_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (unit, code) in codes.iter().enumerate() {
            if let Some(code) = code {
                units_of.entry(code.as_str()).or_default().push(unit);
            }
        }
        let domains = order
            .into_iter()
            .map(|(code, label)| Domain {
                units: units_of.get(code.as_str()).cloned().unwrap_or_default(),
                code,
                label,
                parent: None,
            })
            .filter(|d| keep_empty || !d.units.is_empty())
            .collect();
        Breakdown {
            id,
            title,
            domains,
            parent: None,
        }
    }

    /// Adds a domain for the units in no other (an answer that places the enterprise
    /// nowhere), so the domains add up to the whole and no remainder is published
    /// unprotected as "all minus the rest".
    pub fn with_remainder(mut self, label: String, units: usize) -> Breakdown {
        let mut placed = vec![false; units];
        for d in &self.domains {
            for &unit in &d.units {
                if let Some(p) = placed.get_mut(unit) {
                    *p = true;
                }
            }
        }
        let rest: Vec<usize> = (0..units).filter(|&unit| !placed[unit]).collect();
        if !rest.is_empty() {
            self.domains.push(Domain {
                code: REMAINDER.into(),
                label,
                units: rest,
                parent: None,
            });
        }
        self
    }

    /// The domain of each of `units` units (`None`: in none), for breakdowns whose
    /// domains split the units, as enterprise breakdowns do.
    pub fn domain_of_units(&self, units: usize) -> Vec<Option<usize>> {
        let mut domain_of = vec![None; units];
        for (k, d) in self.domains.iter().enumerate() {
            for &unit in &d.units {
                if let Some(slot) = domain_of.get_mut(unit) {
                    slot.get_or_insert(k);
                }
            }
        }
        domain_of
    }
}

/// A figure for every domain of a breakdown, and for all units.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureLine {
    /// One figure per domain, in the breakdown's order.
    pub domains: Vec<Figure>,
    /// The figure over every unit.
    pub all: Figure,
}

impl FigureLine {
    /// Statuses of the line's cells (domains, then all).
    fn statuses(&self) -> impl Iterator<Item = CellStatus> + '_ {
        self.domains.iter().chain([&self.all]).map(|f| f.status)
    }
}

/// Secondary suppression within each group of sibling domains (the divisions of one
/// section). A suppressed parent must not be the sum of published children, so one child
/// is suppressed (the smallest non-zero); and a published parent minus the published
/// siblings would give back a lone suppressed sibling, so one more sibling is suppressed,
/// the smallest non-zero one. When every other sibling is zero the parent rests on the
/// same contributions as the lone cell and the primary rules already suppress it.
pub fn protect_siblings(
    rules: &DisclosureRules,
    statuses: &mut [CellStatus],
    domains: &[Domain],
    cells: &[Contributions],
) {
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (k, d) in domains.iter().enumerate() {
        if let Some(parent) = d.parent.as_deref() {
            groups.entry(parent).or_default().push(k);
        }
    }
    let size = |k: usize| cells[k].size();
    let secondary = CellStatus::Suppressed {
        reason: SuppressionReason::Secondary,
    };
    let smallest_published = |statuses: &[CellStatus], siblings: &[usize]| {
        siblings
            .iter()
            .copied()
            .filter(|&k| statuses[k].is_published() && size(k) != 0.0)
            .min_by(|&a, &b| size(a).total_cmp(&size(b)).then(a.cmp(&b)))
    };
    // The parents as their own table publishes them (the same rules over the union of
    // their children): a suppressed parent must not be the sum of published children.
    for siblings in groups.values() {
        let parent = rules.judge(&Contributions::union(siblings.iter().map(|&k| &cells[k])));
        let hidden = siblings.iter().any(|&k| !statuses[k].is_published());
        if !parent.is_published()
            && !hidden
            && let Some(k) = smallest_published(statuses, siblings)
        {
            statuses[k] = secondary;
        }
    }
    for siblings in groups.values() {
        let suppressed = siblings.iter().filter(|&&k| !statuses[k].is_published()).count();
        if suppressed == 1
            && let Some(k) = smallest_published(statuses, siblings)
        {
            statuses[k] = secondary;
        }
    }
}

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

/// Suppresses a cell in every line where it is suppressed in any: lines that give each
/// other back (planned hires, planned reductions and their difference) share their gaps.
pub fn suppress_together(lines: &mut [&mut FigureLine]) {
    let Some(first) = lines.first() else { return };
    let cells = first.domains.len();
    let joint = |status: &[CellStatus]| {
        status
            .iter()
            .find(|s| !s.is_published())
            .map(|_| CellStatus::Suppressed {
                reason: SuppressionReason::Secondary,
            })
    };
    for k in 0..=cells {
        let statuses: Vec<CellStatus> = lines
            .iter()
            .map(|l| if k < cells { l.domains[k].status } else { l.all.status })
            .collect();
        if let Some(suppressed) = joint(&statuses) {
            for line in lines.iter_mut() {
                let f = if k < cells { &mut line.domains[k] } else { &mut line.all };
                if f.status.is_published() {
                    f.status = suppressed;
                }
            }
        }
    }
}

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

/// The figures of one printed table (or of one computed for the audit only) over one
/// breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureTable {
    /// The sheet it is printed on; `None` for a table computed for the audit only.
    pub sheet: Option<String>,
    /// The breakdown of its domains.
    pub breakdown: Breakdown,
    /// Its measures, in print order.
    pub measures: Vec<MeasureLine>,
}

/// Headers of a long table, in the report language.
pub fn long_table_columns(lang: Lang, domain_title: &str) -> Vec<Column> {
    let c = |header: String, format: Format, style: ColumnStyle| Column { header, format, style };
    vec![
        c(tr(lang, "指标", "Measure"), Format::Text, ColumnStyle::Plain),
        c(tr(lang, "代码", "Code"), Format::Text, ColumnStyle::Plain),
        c(domain_title.to_owned(), Format::Text, ColumnStyle::Plain),
        c(tr(lang, "估计值", "Estimate"), Format::Decimal, ColumnStyle::DataBar),
        c(
            tr(lang, "标准误", "Standard error"),
            Format::Decimal,
            ColumnStyle::Plain,
        ),
        c(
            tr(lang, "95%置信区间下限", "95% CI low"),
            Format::Decimal,
            ColumnStyle::Plain,
        ),
        c(
            tr(lang, "95%置信区间上限", "95% CI high"),
            Format::Decimal,
            ColumnStyle::Plain,
        ),
        c(tr(lang, "变异系数", "CV"), Format::Cv, ColumnStyle::Plain),
        c(tr(lang, "企业数", "Enterprises"), Format::Count, ColumnStyle::Plain),
        c(tr(lang, "插补", "Imputed"), Format::Percent, ColumnStyle::Plain),
        c(tr(lang, "质量", "Quality"), Format::Text, ColumnStyle::Quality),
    ]
}

/// Column of the estimate in a long table (for charts).
pub const ESTIMATE_COLUMN: usize = 3;
/// Column of the domain name in a long table (for charts).
pub const DOMAIN_COLUMN: usize = 2;

/// The cells of one figure in a long table (after measure, code and domain).
pub fn figure_cells(figure: &Figure, format: Format) -> Vec<Cell> {
    let as_format = |v: Option<f64>| match v {
        Some(v) if v.is_finite() => Cell::Formatted(v, format),
        _ => Cell::NotAvailable,
    };
    let quality = if !figure.status.is_published() {
        Cell::text(SYMBOL_SUPPRESSED)
    } else if figure.caution() {
        Cell::text(SYMBOL_CAUTION)
    } else {
        Cell::Blank
    };
    let enterprises = Cell::Number(figure.enterprises as f64);
    // Shown where it matters (DOMAIN.md: over 10%).
    let imputed = match figure.imputed_share {
        Some(share) if share > IMPUTED_SHARE_SHOWN => Cell::Number(share),
        _ => Cell::Blank,
    };
    if !figure.status.is_published() {
        let mut cells = vec![Cell::Suppressed; 5];
        cells.extend([enterprises, Cell::Blank, quality]);
        return cells;
    }
    let Some(e) = &figure.estimate else {
        let mut cells = vec![Cell::NotAvailable; 5];
        cells.extend([enterprises, imputed, quality]);
        return cells;
    };
    vec![
        as_format(Some(e.value)),
        as_format(e.se),
        as_format(e.ci_low),
        as_format(e.ci_high),
        Cell::number(e.cv),
        enterprises,
        imputed,
        quality,
    ]
}

/// A long table: one block per measure (its "all" row first, then each domain), so a
/// filter on the measure column shows one measure and a chart can draw one block.
/// Returns the table and, per measure, the rows of its domains (for charts).
pub fn long_table(
    name: &str,
    lang: Lang,
    breakdown: &Breakdown,
    measures: &[MeasureLine],
) -> (Table, Vec<std::ops::Range<usize>>) {
    let all_label = tr(lang, "全部", "All");
    let mut rows = Vec::new();
    let mut blocks = Vec::new();
    for m in measures.iter().filter(|m| !m.hidden) {
        let mut row = vec![Cell::text(&m.label), Cell::text(ALL_CODE), Cell::text(&all_label)];
        row.extend(figure_cells(&m.line.all, m.format));
        rows.push(row);
        let start = rows.len();
        for (d, f) in breakdown.domains.iter().zip(&m.line.domains) {
            let mut row = vec![Cell::text(&m.label), Cell::text(&d.code), Cell::text(&d.label)];
            row.extend(figure_cells(f, m.format));
            rows.push(row);
        }
        blocks.push(start..rows.len());
    }
    let table = Table {
        name: name.to_owned(),
        columns: long_table_columns(lang, &breakdown.title),
        rows,
        footnotes: Vec::new(),
    };
    (table, blocks)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn design(strata: &[&'static str], frame: &BTreeMap<&'static str, u64>) -> StratifiedDesign<&'static str> {
        StratifiedDesign::builder(strata).population(frame).build().unwrap()
    }

    fn breakdown(codes: &[&str]) -> Breakdown {
        let codes: Vec<Option<String>> = codes.iter().map(|c| Some(c.to_string())).collect();
        let mut order: Vec<String> = codes.iter().flatten().cloned().collect();
        order.sort();
        order.dedup();
        Breakdown::from_codes(
            "test",
            "Test".into(),
            &codes,
            order.into_iter().map(|c| (c.clone(), c)),
            false,
        )
    }

    /// A column is checked in place: the same values or the same error as a checked copy.
    #[test]
    fn answers_are_checked_without_a_copy() {
        let frame = BTreeMap::from([("a", 10)]);
        let d = design(&["a", "a", "a"], &frame);
        let good = [Some(1.0), None, Some(-2.5)];
        assert_eq!(
            d.checked_answers(&good, "y").unwrap(),
            d.answers(&good, "y").unwrap().as_slice()
        );
        let bad = [Some(1.0), Some(f64::INFINITY), Some(f64::NAN)];
        assert_eq!(
            d.checked_answers(&bad, "y").unwrap_err().to_string(),
            d.answers(&bad, "y").unwrap_err().to_string()
        );
        assert_eq!(
            d.checked_answers(&good[..2], "x").unwrap_err().to_string(),
            d.answers(&good[..2], "x").unwrap_err().to_string()
        );
    }

    /// The digest of columns fed a block at a time is the digest of all their bytes at once.
    #[test]
    fn an_overall_key_is_the_digest_of_the_whole_encoding() {
        let y: Vec<Option<f64>> = (0..20_000)
            .map(|i| (i % 7 != 0).then_some(f64::from(i) * 0.5))
            .collect();
        let x: Vec<Option<f64>> = y.iter().rev().copied().collect();
        let flags: Vec<Option<bool>> = (0..70_001).map(|i| (i % 5 != 0).then_some(i % 2 == 0)).collect();
        let mut bytes = b"ratio".to_vec();
        for column in [&y, &x] {
            bytes.extend_from_slice(&(column.len() as u64).to_le_bytes());
            for v in column {
                match v {
                    Some(v) => {
                        bytes.push(1);
                        bytes.extend_from_slice(&v.to_bits().to_le_bytes());
                    }
                    None => bytes.push(0),
                }
            }
        }
        bytes.extend_from_slice(&(flags.len() as u64).to_le_bytes());
        bytes.extend(flags.iter().map(|f| match f {
            None => 0u8,
            Some(false) => 1,
            Some(true) => 2,
        }));
        let whole: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(overall_key("ratio", &[&y, &x], Some(&flags), &[]), whole);
        assert_ne!(overall_key("total", &[&y, &x], Some(&flags), &[]), whole);
    }

    /// The overall figure is estimated once per measure: a second breakdown gets it from
    /// the memo, and other answers get their own.
    #[test]
    fn overall_figures_are_shared_by_breakdowns_of_one_measure_only() {
        let strata = ["s"; 7];
        let frame = BTreeMap::from([("s", 14)]);
        let d = design(&strata, &frame);
        let rules = DisclosureRules::default();
        let overall = OverallFigures::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: true,
            overall: &overall,
        };
        let y: Vec<Option<f64>> = [5.0, 6.0, 7.0, 4.0, 3.0, 9.0, 10.0].map(Some).to_vec();
        let mut other = y.clone();
        other[6] = Some(11.0);
        let b = breakdown(&["a", "a", "a", "c", "c", "c", "b"]);
        // Another breakdown, with a domain of two enterprises.
        let small = breakdown(&["a", "a", "a", "a", "a", "d", "d"]);
        let first = est.totals(&Answers::reported(y.to_vec()), &b);
        assert_eq!(overall.0.lock().unwrap().len(), 1);
        let second = est.totals(&Answers::reported(y.to_vec()), &small);
        assert_eq!(
            overall.0.lock().unwrap().len(),
            1,
            "the second breakdown reuses the figure"
        );
        assert_eq!(first.all.estimate, second.all.estimate);
        // Weight 2: 2 * 44 = 88, and 2 * 45 = 90 with the other answers.
        assert_eq!(first.all.estimate.as_ref().unwrap().value, 88.0);
        assert!(first.all.status.is_published());
        assert!(!second.domains[1].status.is_published());
        let changed = est.totals(&Answers::reported(other.to_vec()), &b);
        assert_eq!(changed.all.estimate.as_ref().unwrap().value, 90.0);
        let x: Vec<Option<f64>> = [50.0; 7].map(Some).to_vec();
        let share: Vec<Option<bool>> = [true, false, true, true, false, false, true].map(Some).to_vec();
        let ratio = est
            .ratios(
                &Answers::reported(y.to_vec()),
                &Answers::reported(x.to_vec()),
                &b,
                Some(&first),
            )
            .all;
        assert!((ratio.estimate.as_ref().unwrap().value - 88.0 / 700.0).abs() < 1e-12);
        assert_eq!(
            est.proportions(&share, &b).all.estimate.as_ref().unwrap().value,
            4.0 / 7.0
        );
        // total(y), total(other), total(x) and ratio(y, x), and the proportion.
        assert_eq!(overall.0.lock().unwrap().len(), 5);
    }

    #[test]
    fn a_small_domain_is_suppressed_and_protected_by_a_second() {
        // One stratum of 14 enterprises, 7 respond (weight 2). Domains: a and c with three
        // enterprises each, b with one (below the threshold of 3).
        let strata = ["s"; 7];
        let frame = BTreeMap::from([("s", 14)]);
        let d = design(&strata, &frame);
        let rules = DisclosureRules::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: true,
            overall: &OverallFigures::default(),
        };
        let y: Vec<Option<f64>> = [5.0, 6.0, 7.0, 4.0, 3.0, 9.0, 10.0].map(Some).to_vec();
        let b = breakdown(&["a", "a", "a", "c", "c", "c", "b"]);
        let line = est.totals(&Answers::reported(y.to_vec()), &b);
        // Weight 14/7 = 2. Domain a: 2 * 18 = 36; b: 2 * 10 = 20 (one enterprise); c: 2 * 16 = 32.
        assert_eq!(line.domains[0].estimate.as_ref().unwrap().value, 36.0);
        assert_eq!(
            line.domains[1].status,
            CellStatus::Suppressed {
                reason: SuppressionReason::Threshold
            }
        );
        // c (32) is smaller than a (36): it is the secondary suppression.
        assert_eq!(
            line.domains[2].status,
            CellStatus::Suppressed {
                reason: SuppressionReason::Secondary
            }
        );
        assert!(line.domains[0].status.is_published());
        assert_eq!(line.all.estimate.as_ref().unwrap().value, 88.0);
        assert!(line.all.status.is_published());
        // A ratio over domain b inherits the suppression of its numerator.
        let x: Vec<Option<f64>> = [50.0; 7].map(Some).to_vec();
        let ratios = est.ratios(
            &Answers::reported(y.to_vec()),
            &Answers::reported(x.to_vec()),
            &b,
            Some(&line),
        );
        assert!(!ratios.domains[1].status.is_published());
        assert!(!ratios.domains[2].status.is_published());
        // Overall ratio: 44 / 350.
        assert!((ratios.all.estimate.as_ref().unwrap().value - 44.0 / 350.0).abs() < 1e-12);
    }

    #[test]
    fn a_lone_suppressed_sibling_is_protected_within_its_parent() {
        let domain = |code: &str, parent: &str| Domain {
            code: code.into(),
            label: code.into(),
            units: Vec::new(),
            parent: Some(parent.into()),
        };
        // Divisions 13, 14 of section C and 63, 64, 65 of section I.
        let domains = [
            domain("13", "C"),
            domain("14", "C"),
            domain("63", "I"),
            domain("64", "I"),
            domain("65", "I"),
        ];
        let cells = [
            vec![5.0],
            vec![9.0, 9.0, 9.0],
            vec![1.0, 1.0, 1.0],
            vec![7.0],
            vec![2.0, 2.0, 2.0],
        ];
        let threshold = CellStatus::Suppressed {
            reason: SuppressionReason::Threshold,
        };
        let secondary = CellStatus::Suppressed {
            reason: SuppressionReason::Secondary,
        };
        // Across all divisions two cells are suppressed (13 and 64), so the line rule adds
        // nothing; but each is alone in its section.
        let mut statuses = vec![
            threshold,
            CellStatus::Published,
            CellStatus::Published,
            threshold,
            CellStatus::Published,
        ];
        let cells: Vec<Contributions> = cells.iter().map(|c| Contributions::of(c)).collect();
        protect_siblings(&DisclosureRules::default(), &mut statuses, &domains, &cells);
        // C: 14 is the only sibling left. I: 63 (3) is smaller than 65 (6).
        assert_eq!(
            statuses,
            vec![threshold, secondary, secondary, threshold, CellStatus::Published]
        );
    }

    #[test]
    fn a_rate_is_suppressed_with_its_denominator_and_linked_lines_share_gaps() {
        // Nine enterprises of one stratum (N = 18, w = 2), three in each of a, b, c.
        let d = design(&["s"; 9], &BTreeMap::from([("s", 18)]));
        let rules = DisclosureRules::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: true,
            overall: &OverallFigures::default(),
        };
        let b = breakdown(&["a", "a", "a", "b", "b", "b", "c", "c", "c"]);
        // Vacancies in b are dominated by one enterprise (100 of 102); a (18) is the
        // secondary suppression, c (27) stays. Hard to fill is spread evenly: all published.
        let vacancies: Vec<Option<f64>> = [5.0, 6.0, 7.0, 100.0, 1.0, 1.0, 8.0, 9.0, 10.0].map(Some).to_vec();
        let hard: Vec<Option<f64>> = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0].map(Some).to_vec();
        let htf = est.totals(&Answers::reported(hard.to_vec()), &b);
        assert!(htf.domains.iter().all(|f| f.status.is_published()));
        // HTF / V in b would give V back from the published HTF: the share takes the
        // denominator's suppression.
        let share = est.ratios(
            &Answers::reported(hard.to_vec()),
            &Answers::reported(vacancies.to_vec()),
            &b,
            Some(&htf),
        );
        assert!(!share.domains[1].status.is_published());
        assert!(!share.domains[0].status.is_published());
        assert!(share.domains[2].status.is_published());

        // Planned hires, reductions and net hiring: any two give the third.
        let mut hires = est.totals(&Answers::reported(vacancies.to_vec()), &b);
        let mut reductions = est.totals(&Answers::reported(hard.to_vec()), &b);
        let mut net = est.totals(&Answers::reported(vacancies.to_vec()), &b);
        reductions.domains[0].status = CellStatus::Suppressed {
            reason: SuppressionReason::Dominance,
        };
        suppress_together(&mut [&mut hires, &mut reductions, &mut net]);
        assert!(!hires.domains[0].status.is_published());
        assert!(!net.domains[0].status.is_published());
        assert!(!net.domains[1].status.is_published(), "b was suppressed in hires");
        assert!(!reductions.domains[1].status.is_published());
        assert!(reductions.domains[2].status.is_published());
    }

    #[test]
    fn a_share_needs_enough_enterprises_saying_yes_and_no() {
        let d = design(&["s"; 8], &BTreeMap::from([("s", 16)]));
        let rules = DisclosureRules::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: true,
            overall: &OverallFigures::default(),
        };
        let b = breakdown(&["a", "a", "a", "a", "c", "c", "c", "c"]);
        // a: one yes among four (the yes is one enterprise's answer); c: two yes, two no.
        let yes = [true, false, false, false, true, true, false, false].map(Some).to_vec();
        let line = est.proportions(&yes, &b);
        assert!(!line.domains[0].status.is_published());
        assert!(!line.domains[1].status.is_published(), "two yes is below 3");
        // All: 3 yes and 5 no over 8: published, 3/8.
        assert!(line.all.status.is_published());
        assert!((line.all.estimate.as_ref().unwrap().value - 3.0 / 8.0).abs() < 1e-12);
    }

    /// DOMAIN.md: a cell resting on two reported answers and four imputed ones rests on two
    /// enterprises and is suppressed; its imputed share is the imputed part of its value.
    #[test]
    fn a_cell_of_two_real_answers_and_four_imputed_is_suppressed() {
        // Twelve enterprises of one stratum (N = 24, w = 2): domain a has 2 reported and 4
        // imputed values, domain b six reported ones.
        let d = design(&["s"; 12], &BTreeMap::from([("s", 24)]));
        let rules = DisclosureRules::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: true,
            overall: &OverallFigures::default(),
        };
        let y = Answers {
            values: [5.0, 7.0, 6.0, 6.0, 6.0, 6.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
                .map(Some)
                .to_vec(),
            imputed: [
                false, false, true, true, true, true, false, false, false, false, false, false,
            ]
            .to_vec(),
        };
        let b = breakdown(&["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"]);
        let line = est.totals(&y, &b);
        let a = &line.domains[0];
        assert_eq!(a.enterprises, 2);
        assert_eq!(
            a.status,
            CellStatus::Suppressed {
                reason: SuppressionReason::Threshold
            }
        );
        // Value 2 * 36 = 72, of which 2 * 24 = 48 imputed: 2/3.
        assert_eq!(a.estimate.as_ref().unwrap().value, 72.0);
        assert!((a.imputed_share.unwrap() - 2.0 / 3.0).abs() < 1e-15);
        // b: six reporting enterprises, nothing imputed.
        assert_eq!(line.domains[1].enterprises, 6);
        assert_eq!(line.domains[1].imputed_share, Some(0.0));
        // All: 2 * (36 + 39) = 150, of which 48 imputed; 8 contributors.
        assert_eq!(line.all.estimate.as_ref().unwrap().value, 150.0);
        assert_eq!(line.all.enterprises, 8);
        assert!((line.all.imputed_share.unwrap() - 48.0 / 150.0).abs() < 1e-15);
    }

    #[test]
    fn unweighted_totals_carry_no_standard_error() {
        let strata = ["all"; 3];
        let d = StratifiedDesign::builder(&strata)
            .weights(&[1.0; 3])
            .without_fpc()
            .build()
            .unwrap();
        let rules = DisclosureRules::default();
        let est = Estimator {
            design: &d,
            rules: &rules,
            weighted: false,
            overall: &OverallFigures::default(),
        };
        let y = [Some(1.0), Some(2.0), Some(3.0)];
        let line = est.totals(&Answers::reported(y.to_vec()), &breakdown(&["a", "a", "a"]));
        let all = line.all.estimate.unwrap();
        assert_eq!(all.value, 6.0);
        assert_eq!(all.se, None);
    }
}
