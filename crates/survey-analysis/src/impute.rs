//! Item nonresponse: a missing answer to a number question the enterprise was asked is
//! imputed once, at the unit level, before any table is built (DOMAIN.md "Item
//! nonresponse"). Every breakdown then reads the same values, so the domains of a
//! breakdown add up exactly to their total.
//!
//! The method is ratio imputation on an auxiliary (the employees by default): the
//! enterprise's auxiliary times the ratio of the donors' weighted totals, y_i = x_i *
//! sum(w y) / sum(w x), or the donors' weighted mean where the enterprise's own auxiliary
//! is missing (or is the question itself). Donors are the enterprises that reported the
//! value (and, for the ratio, the auxiliary) in the imputation class: the stratum, else
//! the section when the stratum has too few donors, else every enterprise.
//!
//! Imputed values are flagged ([`Answers::imputed`]): they are never contributors to a
//! cell under disclosure control, and each figure says what share of it they make.

use serde::Serialize;

/// Fewest donors a class needs before the next wider class is used (DOMAIN.md).
pub const DEFAULT_MIN_DONORS: usize = 3;

/// A number column per design unit, with the units whose value was imputed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answers {
    /// The value of each unit: reported, a known 0 (not asked), or imputed. `None` only
    /// where nothing could be imputed (no donor anywhere).
    pub values: Vec<Option<f64>>,
    /// True where the value was imputed.
    pub imputed: Vec<bool>,
}

impl Answers {
    /// Reported values only (nothing imputed): vacancy sums, flags turned into numbers.
    pub fn reported(values: Vec<Option<f64>>) -> Answers {
        let imputed = vec![false; values.len()];
        Answers { values, imputed }
    }

    /// A column derived unit by unit from two others (a difference, a sum): imputed where
    /// either part is.
    pub fn combine(a: &Answers, b: &Answers, f: impl Fn(f64, f64) -> f64) -> Answers {
        Answers {
            values: a
                .values
                .iter()
                .zip(&b.values)
                .map(|(a, b)| Some(f((*a)?, (*b)?)))
                .collect(),
            imputed: a.imputed.iter().zip(&b.imputed).map(|(a, b)| *a || *b).collect(),
        }
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there is no unit.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// True when unit `i` has a value that was reported (not imputed).
    pub fn is_reported(&self, i: usize) -> bool {
        self.values[i].is_some() && !self.imputed[i]
    }
}

/// The class a unit is imputed within, narrowest first: its stratum (section and size
/// class), its section, or every unit. `None` parts put the unit in no narrower class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImputationClass {
    /// Section (GB/T 4754 letter), when known.
    pub section: Option<char>,
    /// Size class code, when known.
    pub size_class: Option<String>,
}

/// How far the imputation had to go for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Stratum,
    Section,
    Overall,
}

/// What imputing one question did, for the summary and the method notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImputationCounts {
    /// The question.
    pub question: String,
    /// Units whose value was missing though the question was asked.
    pub missing: u64,
    /// Of those, imputed by the ratio to the auxiliary.
    pub by_ratio: u64,
    /// Of those, imputed by the donors' mean.
    pub by_mean: u64,
    /// Imputed within the stratum.
    pub in_stratum: u64,
    /// Imputed within the section (the stratum had too few donors).
    pub in_section: u64,
    /// Imputed over every unit (the section had too few donors too).
    pub overall: u64,
    /// Left missing: no donor anywhere.
    pub not_imputed: u64,
}

/// The inputs the imputation needs besides the column itself.
#[derive(Debug, Clone, Copy)]
pub struct Imputer<'a> {
    /// Design weight of each unit.
    pub weights: &'a [f64],
    /// Class of each unit.
    pub classes: &'a [ImputationClass],
    /// The auxiliary's reported values per unit (`None` where not reported); `None` when
    /// the question is the auxiliary itself, which then takes the mean.
    pub auxiliary: Option<&'a [Option<f64>]>,
    /// Fewest donors a class needs.
    pub min_donors: usize,
}

/// Weighted sums of the donors of one class.
#[derive(Debug, Clone, Copy, Default)]
struct Donors {
    /// Donors for the mean: y reported.
    count: usize,
    sum_wy: f64,
    sum_w: f64,
    /// Donors for the ratio: y and the auxiliary reported.
    ratio_count: usize,
    ratio_wy: f64,
    ratio_wx: f64,
}

impl Donors {
    fn add(&mut self, w: f64, y: f64, x: Option<f64>) {
        self.count += 1;
        self.sum_wy += w * y;
        self.sum_w += w;
        if let Some(x) = x {
            self.ratio_count += 1;
            self.ratio_wy += w * y;
            self.ratio_wx += w * x;
        }
    }

    fn mean(&self) -> Option<f64> {
        (self.count > 0 && self.sum_w > 0.0).then(|| self.sum_wy / self.sum_w)
    }

    fn ratio(&self) -> Option<f64> {
        (self.ratio_count > 0 && self.ratio_wx != 0.0).then(|| self.ratio_wy / self.ratio_wx)
    }
}

impl Imputer<'_> {
    /// Imputes the missing values of `values` (reported answers, with questions not asked
    /// already a known 0) and returns the column with its flags and what was done.
    pub fn impute(&self, question: &str, values: Vec<Option<f64>>) -> (Answers, ImputationCounts) {
        use std::collections::HashMap;
        let n = values.len();
        let mut counts = ImputationCounts {
            question: question.to_owned(),
            ..ImputationCounts::default()
        };
        let mut imputed = vec![false; n];
        if values.iter().all(Option::is_some) {
            return (Answers { values, imputed }, counts);
        }
        let aux = |i: usize| self.auxiliary.and_then(|a| a.get(i).copied().flatten());
        let mut by_stratum: HashMap<&ImputationClass, Donors> = HashMap::new();
        let mut by_section: HashMap<Option<char>, Donors> = HashMap::new();
        let mut overall = Donors::default();
        for (i, v) in values.iter().enumerate() {
            if let Some(y) = *v {
                let (w, x) = (self.weights[i], aux(i));
                let class = &self.classes[i];
                if class.section.is_some() && class.size_class.is_some() {
                    by_stratum.entry(class).or_default().add(w, y, x);
                }
                if class.section.is_some() {
                    by_section.entry(class.section).or_default().add(w, y, x);
                }
                overall.add(w, y, x);
            }
        }
        let min = self.min_donors.max(1);
        let mut out = values.clone();
        for i in 0..n {
            if values[i].is_some() {
                continue;
            }
            counts.missing += 1;
            let class = &self.classes[i];
            let stratum = (class.section.is_some() && class.size_class.is_some())
                .then(|| by_stratum.get(class))
                .flatten();
            let section = class.section.and_then(|s| by_section.get(&Some(s)));
            let levels = [
                (Level::Stratum, stratum),
                (Level::Section, section),
                (Level::Overall, Some(&overall)),
            ];
            // The narrowest class with enough donors for the method the unit allows; the
            // widest class that has any donor when none has enough.
            let value_of = |d: &Donors, ratio: bool| -> Option<(f64, usize)> {
                if ratio {
                    let x = aux(i)?;
                    Some((x * d.ratio()?, d.ratio_count))
                } else {
                    Some((d.mean()?, d.count))
                }
            };
            // Ratio first where the unit has its auxiliary. The narrowest class with enough
            // donors; failing that, every unit, with however many donors there are.
            let methods: &[bool] = if aux(i).is_some() { &[true, false] } else { &[false] };
            let chosen = methods
                .iter()
                .find_map(|&ratio| {
                    levels.iter().find_map(|(level, d)| {
                        let (v, donors) = value_of((*d)?, ratio)?;
                        (donors >= min).then_some((*level, v, ratio))
                    })
                })
                .or_else(|| {
                    methods
                        .iter()
                        .find_map(|&ratio| value_of(&overall, ratio).map(|(v, _)| (Level::Overall, v, ratio)))
                });
            match chosen {
                Some((level, v, ratio)) => {
                    out[i] = Some(v);
                    imputed[i] = true;
                    if ratio {
                        counts.by_ratio += 1;
                    } else {
                        counts.by_mean += 1;
                    }
                    match level {
                        Level::Stratum => counts.in_stratum += 1,
                        Level::Section => counts.in_section += 1,
                        Level::Overall => counts.overall += 1,
                    }
                }
                None => counts.not_imputed += 1,
            }
        }
        (Answers { values: out, imputed }, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(section: char, size: &str) -> ImputationClass {
        ImputationClass {
            section: Some(section),
            size_class: Some(size.into()),
        }
    }

    /// Ratio imputation within the stratum, worked by hand: donors (y, x) = (2, 20),
    /// (3, 30), (5, 50) weigh 2 each, so R = 2*10 / 2*100 = 0.1, and a recipient with 40
    /// employees gets 4; one without its auxiliary gets the mean 10/3.
    #[test]
    fn the_ratio_within_the_stratum_and_the_mean_without_an_auxiliary() {
        let classes = vec![class('C', "small"); 5];
        let weights = [2.0; 5];
        let aux = [Some(20.0), Some(30.0), Some(50.0), Some(40.0), None];
        let imputer = Imputer {
            weights: &weights,
            classes: &classes,
            auxiliary: Some(&aux),
            min_donors: 3,
        };
        let (answers, counts) = imputer.impute("q", vec![Some(2.0), Some(3.0), Some(5.0), None, None]);
        assert_eq!(answers.values[3], Some(4.0));
        assert!((answers.values[4].unwrap() - 10.0 / 3.0).abs() < 1e-15);
        assert_eq!(answers.imputed, [false, false, false, true, true]);
        assert_eq!((counts.by_ratio, counts.by_mean, counts.in_stratum), (1, 1, 2));
    }

    /// A stratum with two donors falls back to its section; a section with too few to
    /// every unit; the weights enter the ratio.
    #[test]
    fn too_few_donors_widen_the_class() {
        let classes = vec![
            class('C', "small"),
            class('C', "small"),
            class('C', "small"),
            class('C', "large"),
            class('I', "small"),
            class('I', "small"),
        ];
        // C/large weighs 1, the small strata 3.
        let weights = [3.0, 3.0, 3.0, 1.0, 3.0, 3.0];
        let aux = [Some(10.0), Some(20.0), Some(10.0), Some(300.0), Some(10.0), Some(10.0)];
        let imputer = Imputer {
            weights: &weights,
            classes: &classes,
            auxiliary: Some(&aux),
            min_donors: 3,
        };
        let values = vec![Some(1.0), Some(4.0), None, Some(60.0), Some(2.0), None];
        let (answers, counts) = imputer.impute("q", values);
        // Unit 2 (C/small: two donors) -> section C: donors 0, 1, 3;
        // R = (3*1 + 3*4 + 1*60) / (3*10 + 3*20 + 1*300) = 75 / 390.
        assert!((answers.values[2].unwrap() - 10.0 * 75.0 / 390.0).abs() < 1e-12);
        // Unit 5 (I/small: one donor; section I: one) -> every unit: donors 0, 1, 3, 4;
        // R = (75 + 3*2) / (390 + 3*10) = 81 / 420.
        assert!((answers.values[5].unwrap() - 10.0 * 81.0 / 420.0).abs() < 1e-12);
        assert_eq!((counts.in_section, counts.overall), (1, 1));
    }

    /// No donor anywhere: the value stays missing and is counted.
    #[test]
    fn nothing_to_impute_from() {
        let classes = vec![class('C', "small"); 2];
        let imputer = Imputer {
            weights: &[1.0, 1.0],
            classes: &classes,
            auxiliary: None,
            min_donors: 3,
        };
        let (answers, counts) = imputer.impute("q", vec![None, None]);
        assert_eq!(answers.values, [None, None]);
        assert_eq!(counts.not_imputed, 2);
    }

    /// Fewer donors than the minimum everywhere: the widest class with any donor is used.
    #[test]
    fn a_lone_donor_still_imputes_at_the_widest_class() {
        let classes = vec![class('C', "small"); 2];
        let imputer = Imputer {
            weights: &[1.0, 1.0],
            classes: &classes,
            auxiliary: None,
            min_donors: 3,
        };
        let (answers, counts) = imputer.impute("q", vec![Some(7.0), None]);
        assert_eq!(answers.values, [Some(7.0), Some(7.0)]);
        assert_eq!((counts.by_mean, counts.overall), (1, 1));
    }

    #[test]
    fn combining_columns_flags_either_part() {
        let a = Answers {
            values: vec![Some(5.0), Some(3.0), None],
            imputed: vec![true, false, false],
        };
        let b = Answers::reported(vec![Some(1.0), Some(1.0), Some(1.0)]);
        let d = Answers::combine(&a, &b, |a, b| a - b);
        assert_eq!(d.values, [Some(4.0), Some(2.0), None]);
        assert_eq!(d.imputed, [true, false, false]);
    }
}
