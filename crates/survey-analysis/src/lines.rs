//! Vacancy lines summed per enterprise: the enterprise is the cluster of its lines, so
//! every line-based figure (vacancies by occupation, hard-to-fill share) is estimated from
//! per-enterprise sums (DOMAIN.md: "sum each enterprise's lines into its score first").

use crate::Contributions;
use crate::context::Context;
use crate::dataset::{numbers_of, texts_of};
use std::collections::BTreeMap;
use survey_def::codes::occupation_major_group;

/// One vacancy line of a design unit.
#[derive(Debug, Clone, PartialEq)]
pub struct VacancyLine {
    /// Design unit (enterprise) the line belongs to.
    pub unit: usize,
    /// Occupation code as answered.
    pub occupation: Option<String>,
    /// Occupation name as written by the enterprise.
    pub occupation_name: Option<String>,
    /// Openings (V).
    pub openings: f64,
    /// Of which hard to fill.
    pub hard_to_fill: f64,
    /// Of which hard to fill for lack of skills.
    pub skill_shortage: f64,
    /// Monthly wage offered.
    pub wage: Option<f64>,
}

/// The vacancy lines of the design's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Vacancies {
    /// Lines of units in the design, in dataset order.
    pub lines: Vec<VacancyLine>,
    /// Units in the design.
    pub units: usize,
}

/// Column of the occupation's own name, when the table has one.
pub const OCCUPATION_NAME_COLUMN: &str = "occupation_name";

impl Vacancies {
    /// The vacancy lines of `ctx`'s design units.
    pub fn of(ctx: &Context<'_>) -> Vacancies {
        let units = ctx.sample.units();
        let Some(spec) = &ctx.spec.vacancies else {
            return Vacancies {
                lines: Vec::new(),
                units,
            };
        };
        let mut unit_of_row = vec![None; ctx.data.len()];
        for (unit, &row) in ctx.sample.rows.iter().enumerate() {
            unit_of_row[row] = Some(unit);
        }
        let Some(table) = ctx.data.tables.get(&spec.table) else {
            return Vacancies {
                lines: Vec::new(),
                units,
            };
        };
        let frame = &table.lines;
        let zero = vec![None; frame.height()];
        let numbers = |c: &Option<String>| c.as_deref().map_or_else(|| zero.clone(), |c| numbers_of(frame, c));
        let openings = numbers_of(frame, &spec.openings);
        let hard = numbers(&spec.hard_to_fill);
        let skill = numbers(&spec.skill_shortage);
        let wage = numbers(&spec.wage);
        let occupation = texts_of(frame, &spec.occupation);
        let names = texts_of(frame, OCCUPATION_NAME_COLUMN);
        let lines = table
            .owner
            .iter()
            .enumerate()
            .filter_map(|(l, &row)| {
                let unit = unit_of_row[row]?;
                Some(VacancyLine {
                    unit,
                    occupation: occupation[l].clone(),
                    occupation_name: names[l].clone(),
                    // An unanswered count on a line is no vacancy, not a missing enterprise.
                    openings: openings[l].unwrap_or(0.0),
                    hard_to_fill: hard[l].unwrap_or(0.0),
                    skill_shortage: skill[l].unwrap_or(0.0),
                    wage: wage[l],
                })
            })
            .collect();
        Vacancies { lines, units }
    }

    /// Per-unit sums of `value` over the lines `keep` accepts. Every unit answered the
    /// table (no line is an answer: no vacancy), so the sums are never missing.
    pub fn per_unit(
        &self,
        keep: impl Fn(&VacancyLine) -> bool,
        value: impl Fn(&VacancyLine) -> f64,
    ) -> Vec<Option<f64>> {
        let mut sums = vec![Some(0.0); self.units];
        for line in self.lines.iter().filter(|l| keep(l)) {
            if let Some(s) = sums[line.unit].as_mut() {
                *s += value(line);
            }
        }
        sums
    }

    /// Per-unit sums of `value` over the lines `lines` (indices, in line order), for the
    /// units that have one of them, as `(unit, sum)` in unit order: a line-based domain
    /// (an occupation) and its y, which is 0 for every unit not listed.
    pub fn sums_by_unit(&self, lines: &[usize], value: impl Fn(&VacancyLine) -> f64) -> Vec<(usize, f64)> {
        let mut by_unit: Vec<&VacancyLine> = lines.iter().filter_map(|&l| self.lines.get(l)).collect();
        // Stable: each unit's lines stay in line order, the order its sum takes them in.
        by_unit.sort_by_key(|line| line.unit);
        let mut sums: Vec<(usize, f64)> = Vec::new();
        for line in by_unit {
            match sums.last_mut() {
                Some((unit, sum)) if *unit == line.unit => *sum += value(line),
                _ => sums.push((line.unit, 0.0 + value(line))),
            }
        }
        sums
    }

    /// The lines (indices, in line order) of each group that `group_of` puts a line in,
    /// out of `groups`.
    pub fn lines_by_group(&self, groups: usize, group_of: impl Fn(&VacancyLine) -> Option<usize>) -> Vec<Vec<usize>> {
        let mut lines = vec![Vec::new(); groups];
        for (l, line) in self.lines.iter().enumerate() {
            if let Some(list) = group_of(line).and_then(|g| lines.get_mut(g)) {
                list.push(l);
            }
        }
        lines
    }

    /// Weighted p-quantile of the wage offered per post over the lines `lines` (indices,
    /// in line order): each line weighs its enterprise's weight times its openings.
    /// Returns the quantile and each contributing enterprise's posts, reported and
    /// weighted (for disclosure control: a quartile resting on one or two enterprises'
    /// posts is their wage).
    pub fn wage_quantile(&self, weights: &[f64], lines: &[usize], p: f64) -> (Option<f64>, Contributions) {
        let mut values = Vec::new();
        let mut line_weights = Vec::new();
        let mut by_unit: Vec<(usize, f64, f64)> = Vec::new();
        for line in lines.iter().filter_map(|&l| self.lines.get(l)) {
            if let Some(wage) = line.wage
                && line.openings > 0.0
            {
                let w = weights[line.unit] * line.openings;
                values.push(wage);
                line_weights.push(w);
                by_unit.push((line.unit, line.openings, w));
            }
        }
        // By enterprise in unit order, each summed from 0 in line order (a stable sort;
        // lines come grouped by enterprise already, so it is a pass).
        by_unit.sort_by_key(|&(unit, _, _)| unit);
        let mut contributions = Contributions::default();
        let mut last = None;
        for (unit, posts, w) in by_unit {
            match (contributions.reported.last_mut(), contributions.weighted.last_mut()) {
                (Some(r), Some(sum)) if last == Some(unit) => {
                    *r += posts;
                    *sum += w;
                }
                _ => {
                    contributions.reported.push(0.0 + posts);
                    contributions.weighted.push(0.0 + w);
                }
            }
            last = Some(unit);
        }
        contributions.units = contributions.reported.len();
        (crate::weighted_quantile(&values, &line_weights, p).ok(), contributions)
    }

    /// The occupation major group (GB/T 6565 first digit) of a line.
    pub fn major_group(line: &VacancyLine) -> Option<char> {
        line.occupation.as_deref().and_then(occupation_major_group)
    }

    /// The most frequent name enterprises gave each occupation code (ties: the first in
    /// sort order), for labelling a table of codes.
    pub fn occupation_names(&self) -> BTreeMap<String, String> {
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for line in &self.lines {
            if let (Some(code), Some(name)) = (line.occupation.as_deref(), line.occupation_name.as_deref()) {
                *counts.entry((code, name.trim())).or_default() += 1;
            }
        }
        let mut best: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for ((code, name), n) in counts {
            let entry = best.entry(code.to_owned()).or_insert((0, String::new()));
            if n > entry.0 {
                *entry = (n, name.to_owned());
            }
        }
        best.into_iter().map(|(code, (_, name))| (code, name)).collect()
    }
}
