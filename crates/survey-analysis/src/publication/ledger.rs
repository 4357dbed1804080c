//! Turns a workbook's tables into the audit's linear model: quantities per domain with
//! what a reader knows of them (non-negative counts, a share's yes count within its
//! base), the identities of the tables' structure, and one cell per distinct printed
//! figure; then runs the audit and writes its suppressions back into every table that
//! prints the figure.

use super::audit::{self, Cell, CellStatus as AuditStatus, Equation, Quantity, Table};
use super::{AuditSummary, Publication, Relation, SECONDARY};
use crate::figures::{ALL, ALL_CODE, Breakdown, Figure, Meaning};
use crate::{CellStatus, DisclosureRules, SuppressionReason};
use std::collections::{BTreeMap, BTreeSet};

/// A quantity in one domain: (quantity, breakdown id, domain code).
type Key = (String, &'static str, String);

/// What the ledger knows of one quantity in one domain.
#[derive(Debug, Clone)]
struct Variable {
    value: f64,
    lower: f64,
    upper: f64,
    /// Suppressed by a primary rule somewhere: the audit must protect it.
    primary: bool,
    /// For a share's yes count: the side (yes or no) that is small, whose protection matters.
    share_sides: Option<(f64, f64)>,
    /// Contributors of the figure it comes from (to scale the protection of a zero).
    enterprises: usize,
}

/// A distinct printed figure: what it says and where it is printed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum CellKey {
    Total(Key),
    Ratio(Key, Key),
}

#[derive(Debug, Default)]
struct Ledger {
    variables: BTreeMap<Key, Variable>,
    /// The breakdown with the most domains seen under each id (a table may print a subset).
    breakdowns: BTreeMap<&'static str, Breakdown>,
    /// Quantities with each breakdown they are estimated over.
    estimated: BTreeMap<String, BTreeSet<&'static str>>,
    /// Distinct cells: their value, cost, whether suppressed, and every place printed
    /// (table, measure, domain index or `None` for all).
    cells: BTreeMap<CellKey, PrintedCell>,
    /// Shares' bases by (quantity, breakdown, domain), for the options that add up.
    bases: BTreeMap<Key, f64>,
}

#[derive(Debug, Clone)]
struct PrintedCell {
    /// The value of its linear form (0 for a rate, printed as Y - r X = 0).
    value: f64,
    /// The rate r, for a rate.
    rate: Option<f64>,
    cost: f64,
    suppressed: bool,
    places: Vec<(usize, usize, Option<usize>)>,
}

fn is_primary(status: CellStatus) -> bool {
    matches!(
        status,
        CellStatus::Suppressed {
            reason: SuppressionReason::Threshold | SuppressionReason::Dominance
        }
    )
}

fn key(quantity: &str, breakdown: &'static str, domain: &str) -> Key {
    (quantity.to_owned(), breakdown, domain.to_owned())
}

impl Ledger {
    /// Records a quantity's value in one domain from the figure that estimates it.
    fn variable(&mut self, k: Key, figure: &Figure, meaning: &Meaning) -> bool {
        let Some(e) = &figure.estimate else { return false };
        let (value, lower, upper, sides) = match meaning {
            Meaning::Total { nonnegative, .. } => (
                e.value,
                if *nonnegative { 0.0 } else { f64::NEG_INFINITY },
                f64::INFINITY,
                None,
            ),
            Meaning::Share { .. } => {
                let Some(base) = figure.base else { return false };
                let yes = e.value * base;
                (yes, 0.0, base, Some((yes, base - yes)))
            }
            Meaning::Ratio { .. } | Meaning::Quantile => return false,
        };
        if !value.is_finite() {
            return false;
        }
        if let Meaning::Share { .. } = meaning
            && let Some(base) = figure.base
        {
            self.bases.insert(k.clone(), base);
        }
        let primary = is_primary(figure.status);
        let entry = self.variables.entry(k).or_insert(Variable {
            value,
            lower,
            upper,
            primary,
            share_sides: sides,
            enterprises: figure.enterprises,
        });
        entry.primary |= primary;
        true
    }

    fn print(
        &mut self,
        k: CellKey,
        (value, rate, cost): (f64, Option<f64>, f64),
        figure: &Figure,
        place: (usize, usize, Option<usize>),
    ) {
        let entry = self.cells.entry(k).or_insert(PrintedCell {
            value,
            rate,
            cost,
            suppressed: false,
            places: Vec::new(),
        });
        // Complements chosen by the line and sibling rules before the audit are left to
        // the audit to choose again: it sees every linear link, they see one line.
        entry.suppressed |= !figure.status.is_published() && figure.status != SECONDARY;
        entry.places.push(place);
    }

    fn gather(&mut self, publication: &Publication) {
        for table in &publication.tables {
            let b = &table.breakdown;
            let seen = self.breakdowns.entry(b.id).or_insert_with(|| b.clone());
            if b.domains.len() > seen.domains.len() {
                *seen = b.clone();
            }
            for m in &table.measures {
                let quantity = match &m.meaning {
                    Meaning::Total { quantity, .. } | Meaning::Share { quantity } => quantity,
                    Meaning::Ratio { .. } | Meaning::Quantile => continue,
                };
                let mut any = self.variable(key(quantity, ALL, ALL_CODE), &m.line.all, &m.meaning);
                for (d, f) in b.domains.iter().zip(&m.line.domains) {
                    any |= self.variable(key(quantity, b.id, &d.code), f, &m.meaning);
                }
                if any {
                    let estimated = self.estimated.entry(quantity.clone()).or_default();
                    estimated.insert(b.id);
                }
            }
        }
        for (t, table) in publication.tables.iter().enumerate() {
            if table.sheet.is_none() {
                continue;
            }
            let b = &table.breakdown;
            for (mi, m) in table.measures.iter().enumerate().filter(|(_, m)| !m.hidden) {
                let cells = std::iter::once((ALL, ALL_CODE, &m.line.all, None)).chain(
                    b.domains
                        .iter()
                        .zip(&m.line.domains)
                        .enumerate()
                        .map(|(k, (d, f))| (b.id, d.code.as_str(), f, Some(k))),
                );
                for (bid, code, figure, place) in cells {
                    let place = (t, mi, place);
                    match &m.meaning {
                        Meaning::Total { quantity, .. } | Meaning::Share { quantity } => {
                            let k = key(quantity, bid, code);
                            if let Some(v) = self.variables.get(&k) {
                                let (value, cost) = (v.value, v.value.abs());
                                self.print(CellKey::Total(k), (value, None, cost), figure, place);
                            }
                        }
                        Meaning::Ratio { numerator, denominator } => {
                            let (n, d) = (key(numerator, bid, code), key(denominator, bid, code));
                            let Some(r) = figure.estimate.as_ref().map(|e| e.value).filter(|r| r.is_finite()) else {
                                continue;
                            };
                            let (Some(nv), Some(dv)) = (self.variables.get(&n), self.variables.get(&d)) else {
                                continue;
                            };
                            // Printed as Y - r X = 0: with either part known, the other follows.
                            // A rate over other units than its totals (answers no donor could
                            // fill) is no such identity, and is left as its rules judged it.
                            let scale = nv.value.abs().max((r * dv.value).abs()).max(1.0);
                            if (nv.value - r * dv.value).abs() > 1e-9 * scale {
                                continue;
                            }
                            let cost = nv.value.abs();
                            self.print(CellKey::Ratio(n, d), (0.0, Some(r), cost), figure, place);
                        }
                        Meaning::Quantile => {}
                    }
                }
            }
        }
    }
}

/// The width a primary-suppressed quantity's interval must reach: the protection level
/// times its value; for a share, times the smaller side (yes or no) that the threshold
/// protects; for a zero, times the mean contribution of one enterprise to the quantity's
/// overall total (its being 0 says something about each of its few enterprises).
fn required_width(rules: &DisclosureRules, v: &Variable, overall: Option<&Variable>) -> Option<f64> {
    let p = rules.protection;
    if let Some((yes, no)) = v.share_sides {
        let side = match (yes > 0.0, no > 0.0) {
            (true, true) => yes.min(no),
            _ => yes.max(no),
        };
        return (side > 0.0).then_some(p * side);
    }
    if v.value != 0.0 {
        return Some(p * v.value.abs());
    }
    let overall = overall?;
    (overall.value != 0.0 && overall.enterprises > 0).then(|| p * overall.value.abs() / overall.enterprises as f64)
}

/// Builds the model, audits it and writes the suppressions back.
pub fn protect(publication: &mut Publication, rules: &DisclosureRules) -> AuditSummary {
    let mut ledger = Ledger::default();
    ledger.gather(publication);
    let keys: Vec<Key> = ledger.variables.keys().cloned().collect();
    let index: BTreeMap<&Key, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let mut table = Table::default();
    for k in &keys {
        let v = &ledger.variables[k];
        let mut q = Quantity::free(v.value).bounded(v.lower, v.upper);
        if v.primary {
            let overall = ledger.variables.get(&key(&k.0, ALL, ALL_CODE));
            if let Some(width) = required_width(rules, v, overall) {
                q = q.protect(width);
            }
        }
        table.quantities.push(q);
    }
    let mut equations = structural_equations(&ledger, &index);
    equations.extend(relation_equations(&ledger, &publication.relations, &index));
    table.equations = equations;
    let cell_keys: Vec<&CellKey> = ledger.cells.keys().collect();
    for ck in &cell_keys {
        let printed = &ledger.cells[*ck];
        let terms = match ck {
            CellKey::Total(k) => vec![(index[k], 1.0)],
            CellKey::Ratio(n, d) => vec![(index[n], 1.0), (index[d], -printed.rate.unwrap_or(0.0))],
        };
        let locked = match ck {
            CellKey::Total(k) | CellKey::Ratio(k, _) => k.1 == ALL,
        };
        let mut cell = Cell::new(terms, printed.value, printed.cost);
        if printed.suppressed {
            cell = cell.suppressed();
        }
        if locked {
            cell = cell.locked();
        }
        table.cells.push(cell);
    }
    // A rate follows its parts: printed with one of them suppressed, it would give it back.
    let position: BTreeMap<&CellKey, usize> = cell_keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    for (i, ck) in cell_keys.iter().enumerate() {
        if let CellKey::Ratio(n, d) = ck {
            for part in [n, d] {
                if let Some(&j) = position.get(&CellKey::Total(part.clone())) {
                    table.implications.push((j, i));
                }
            }
        }
    }
    let tables = publication.tables.iter().filter(|t| t.sheet.is_some()).count() as u64;
    let result = match audit::protect(&table) {
        Ok(result) => result,
        // The model is built from the figures themselves; an inconsistent one is a defect
        // here, and publishing unaudited would be worse than publishing nothing: every
        // cell with a linear meaning is suppressed.
        Err(error) => {
            for printed in ledger.cells.values() {
                for &(t, m, d) in &printed.places {
                    let line = &mut publication.tables[t].measures[m].line;
                    let f = d.map_or(&mut line.all, |d| &mut line.domains[d]);
                    if f.status.is_published() {
                        f.status = SECONDARY;
                    }
                }
            }
            return AuditSummary {
                tables,
                cells: ledger.cells.len() as u64,
                protection: rules.protection,
                all_protected: false,
                unprotected_cells: Vec::new(),
                error: Some(error.to_string()),
                ..AuditSummary::default()
            };
        }
    };
    let unprotected_cells = result
        .targets
        .iter()
        .filter(|t| !t.passed)
        .filter_map(|t| keys.get(t.quantity))
        .map(|(quantity, breakdown, domain)| format!("{quantity} {breakdown} {domain}"))
        .collect();
    for (ck, status) in cell_keys.iter().zip(&result.cells) {
        for &(t, m, d) in &ledger.cells[*ck].places {
            let line = &mut publication.tables[t].measures[m].line;
            let f = d.map_or(&mut line.all, |d| &mut line.domains[d]);
            match status {
                AuditStatus::Suppressed(audit::Reason::Secondary) if f.status.is_published() => f.status = SECONDARY,
                AuditStatus::Published if f.status == SECONDARY => f.status = CellStatus::Published,
                _ => {}
            }
        }
    }
    AuditSummary {
        tables,
        cells: ledger.cells.len() as u64,
        cells_checked: result.summary.targets_checked as u64,
        cells_added: result.summary.cells_added as u64,
        narrowest_interval: narrowest_interval(&result.targets, rules.protection),
        protection: rules.protection,
        all_protected: result.summary.all_passed,
        unprotected: result.summary.failed_targets.len() as u64,
        unprotected_cells,
        linear_programmes: result.summary.lp_solves as u64,
        solver_failures: result.summary.solver_failures as u64,
        error: None,
    }
}

/// The narrowest interval of a checked quantity, relative to what its rule protects (its
/// value; a share's smaller side; for a zero, one enterprise's mean contribution): the
/// required width over the protection level. At or above the protection level for every
/// quantity the audit passed.
fn narrowest_interval(targets: &[audit::TargetReport], protection: f64) -> Option<f64> {
    if protection <= 0.0 {
        return None;
    }
    targets
        .iter()
        .filter(|t| t.required > 0.0)
        .map(|t| (t.hi - t.lo) / (t.required / protection))
        .filter(|w| w.is_finite())
        .min_by(f64::total_cmp)
}

/// A sum that holds exactly at the true values (to the audit's tolerance), or `None`.
fn holds(terms: &[(usize, f64)], rhs: f64, values: &[f64]) -> bool {
    let lhs: f64 = terms.iter().map(|&(j, c)| c * values[j]).sum();
    let scale = terms
        .iter()
        .map(|&(j, c)| (c * values[j]).abs())
        .fold(rhs.abs(), f64::max)
        .max(1.0);
    (lhs - rhs).abs() <= 1e-9 * scale
}

/// Domains add up to their total, and children to their parent. What the domains leave
/// over (units in none of them, a section's enterprises whose division lies elsewhere) is
/// taken as known to a reader: the conservative choice, since a reader may well know
/// which few enterprises those are.
fn structural_equations(ledger: &Ledger, index: &BTreeMap<&Key, usize>) -> Vec<Equation> {
    let values: Vec<f64> = index.keys().map(|k| ledger.variables[*k].value).collect();
    let mut equations = Vec::new();
    let mut add = |parent: usize, children: Vec<usize>| {
        if children.is_empty() {
            return;
        }
        let mut terms: Vec<(usize, f64)> = vec![(parent, 1.0)];
        terms.extend(children.iter().map(|&c| (c, -1.0)));
        let rest = values[parent] - children.iter().map(|&c| values[c]).sum::<f64>();
        // A remainder within rounding of 0 is exactly 0: the domains split the parent.
        let scale = terms.iter().map(|&(j, _)| values[j].abs()).fold(1.0, f64::max);
        let rest = if rest.abs() <= 1e-9 * scale { 0.0 } else { rest };
        equations.push(Equation::new(terms, rest));
    };
    for (quantity, breakdowns) in &ledger.estimated {
        let Some(&all) = index.get(&key(quantity, ALL, ALL_CODE)) else {
            continue;
        };
        for &bid in breakdowns.iter().filter(|&&b| b != ALL) {
            let Some(b) = ledger.breakdowns.get(bid) else { continue };
            let children: Vec<usize> = b
                .domains
                .iter()
                .filter_map(|d| index.get(&key(quantity, bid, &d.code)).copied())
                .collect();
            add(all, children);
            // Children to their parent, where the parent breakdown is estimated too.
            let Some(parent_id) = b.parent else { continue };
            let Some(parents) = ledger.breakdowns.get(parent_id) else {
                continue;
            };
            for p in &parents.domains {
                let Some(&parent) = index.get(&key(quantity, parent_id, &p.code)) else {
                    continue;
                };
                let children: Vec<usize> = b
                    .domains
                    .iter()
                    .filter(|d| d.parent.as_deref() == Some(p.code.as_str()))
                    .filter_map(|d| index.get(&key(quantity, bid, &d.code)).copied())
                    .collect();
                add(parent, children);
            }
        }
    }
    equations
}

/// The relations between quantities, in every domain where they all are estimated and
/// hold exactly.
fn relation_equations(ledger: &Ledger, relations: &[Relation], index: &BTreeMap<&Key, usize>) -> Vec<Equation> {
    let values: Vec<f64> = index.keys().map(|k| ledger.variables[*k].value).collect();
    let domains: BTreeSet<(&'static str, &str)> = index.keys().map(|k| (k.1, k.2.as_str())).collect();
    let mut equations = Vec::new();
    for relation in relations {
        for &(bid, code) in &domains {
            let (terms, rhs) = match relation {
                Relation::Linear(parts) => {
                    let terms: Option<Vec<(usize, f64)>> = parts
                        .iter()
                        .map(|(q, c)| index.get(&key(q, bid, code)).map(|&j| (j, *c)))
                        .collect();
                    let Some(terms) = terms else { continue };
                    (terms, 0.0)
                }
                Relation::AddUpToBase(options) => {
                    let keys: Vec<Key> = options.iter().map(|q| key(q, bid, code)).collect();
                    let terms: Option<Vec<(usize, f64)>> =
                        keys.iter().map(|k| index.get(k).map(|&j| (j, 1.0))).collect();
                    let (Some(terms), Some(&base)) = (terms, keys.first().and_then(|k| ledger.bases.get(k))) else {
                        continue;
                    };
                    (terms, base)
                }
            };
            if holds(&terms, rhs, &values) {
                equations.push(Equation::new(terms, rhs));
            }
        }
    }
    equations
}
