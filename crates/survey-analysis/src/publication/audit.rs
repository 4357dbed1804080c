//! Interval audit and complementary (secondary) suppression of published tables.
//!
//! A [`Table`] describes what a set of published figures reveals. Its [`Quantity`] values are the underlying
//! estimates (weighted totals over domains); its structural [`Equation`]s (a total is the sum of its parts) are
//! always known to an attacker; its [`Cell`]s are the printed figures, each a linear form over the quantities, known
//! only while published. A quantity with a `protection` is a target: an attacker solving linear programmes over
//! everything published must not be able to pin it down to an interval narrower than that width.
//!
//! [`audit`] reports the feasibility interval of every target. [`protect`] also suppresses further published cells,
//! cheapest first, until every target is safe, which is what tau-ARGUS calls an audit with secondary suppression.
//!
//! Every printed value and equation must hold at the true values (to a relative 1e-7); the linear programmes are
//! built from the true values so that rounding in the printed figures can never make them infeasible. Quantities
//! an attacker gets by plain subtraction are eliminated first, and each target's programme covers only the unknowns
//! still linked to it, scaled by their largest magnitude.
//!
//! The solver runs under `catch_unwind`: a failed or panicking solve counts as a zero-width interval (so more gets
//! suppressed) and is counted in [`Summary::solver_failures`]. The process panic hook still runs on such a panic.

mod lp;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use lp::{Counters, Interval, Model};

/// Relative slack allowed when comparing a width with its requirement, so that rounding never flips a decision.
const REL_TOL: f64 = 1e-9;

/// Relative mismatch tolerated between a printed figure and its form evaluated at the true values.
const CONSISTENCY_TOL: f64 = 1e-7;

/// An underlying estimate, and what an attacker knows about it before reading the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// The true value.
    pub value: f64,
    /// Attacker-known lower bound; may be `f64::NEG_INFINITY`.
    pub lower: f64,
    /// Attacker-known upper bound; may be `f64::INFINITY`.
    pub upper: f64,
    /// Minimum width the feasibility interval must have; `Some` makes the quantity a target.
    pub protection: Option<f64>,
}

impl Quantity {
    /// A quantity with no attacker-known bounds.
    pub fn free(value: f64) -> Self {
        Quantity {
            value,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
            protection: None,
        }
    }

    /// A quantity the attacker knows cannot be negative.
    pub fn nonnegative(value: f64) -> Self {
        Quantity {
            lower: 0.0,
            ..Quantity::free(value)
        }
    }

    /// Replaces the attacker-known bounds.
    pub fn bounded(self, lower: f64, upper: f64) -> Self {
        Quantity { lower, upper, ..self }
    }

    /// Makes the quantity a target whose feasibility interval must be at least `width` wide.
    pub fn protect(self, width: f64) -> Self {
        Quantity {
            protection: Some(width),
            ..self
        }
    }
}

/// A structural identity `sum(coefficient * quantity) = rhs`, always known to an attacker.
#[derive(Debug, Clone, PartialEq)]
pub struct Equation {
    /// `(quantity index, coefficient)` pairs; a repeated quantity has its coefficients added.
    pub terms: Vec<(usize, f64)>,
    /// Right-hand side; must hold at the true values.
    pub rhs: f64,
}

impl Equation {
    /// An equation from its terms and right-hand side.
    pub fn new(terms: Vec<(usize, f64)>, rhs: f64) -> Self {
        Equation { terms, rhs }
    }
}

/// A printed figure: while published, an attacker knows `sum(coefficient * quantity) = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `(quantity index, coefficient)` pairs; a repeated quantity has its coefficients added.
    pub terms: Vec<(usize, f64)>,
    /// The printed value; must equal the form at the true values.
    pub value: f64,
    /// Information lost when the cell is suppressed; finite and non-negative.
    pub cost: f64,
    /// Suppressed on input (primary suppression).
    pub suppressed: bool,
    /// Keep published unless nothing else protects a target.
    pub locked: bool,
}

impl Cell {
    /// A published, unlocked cell.
    pub fn new(terms: Vec<(usize, f64)>, value: f64, cost: f64) -> Self {
        Cell {
            terms,
            value,
            cost,
            suppressed: false,
            locked: false,
        }
    }

    /// Marks the cell as suppressed on input.
    pub fn suppressed(self) -> Self {
        Cell {
            suppressed: true,
            ..self
        }
    }

    /// Marks the cell as locked.
    pub fn locked(self) -> Self {
        Cell { locked: true, ..self }
    }
}

/// Everything the audit needs about one published table (or a set of linked tables).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The underlying quantities, referred to by index.
    pub quantities: Vec<Quantity>,
    /// Structural identities.
    pub equations: Vec<Equation>,
    /// Printed figures, referred to by index.
    pub cells: Vec<Cell>,
    /// `(a, b)`: whenever cell `a` is suppressed, cell `b` is suppressed too.
    pub implications: Vec<(usize, usize)>,
}

/// Why a cell ends up suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Suppressed on input.
    Primary,
    /// Added by the implication closure or by the audit.
    Secondary,
}

/// Final status of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStatus {
    /// Printed.
    Published,
    /// Not printed.
    Suppressed(Reason),
}

/// The final feasibility interval of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetReport {
    /// Index of the target quantity.
    pub quantity: usize,
    /// Its true value.
    pub value: f64,
    /// Smallest value consistent with everything published (may be `f64::NEG_INFINITY`).
    pub lo: f64,
    /// Largest value consistent with everything published (may be `f64::INFINITY`).
    pub hi: f64,
    /// The protection width required.
    pub required: f64,
    /// Whether `hi - lo` reaches the required width.
    pub passed: bool,
    /// The solver failed, so the interval is reported as the single true value.
    pub solver_failed: bool,
}

/// Totals over one audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of targets.
    pub targets_checked: usize,
    /// Cells suppressed by the implication closure or by the audit.
    pub cells_added: usize,
    /// Linear programmes solved, including those of rejected candidates.
    pub lp_solves: usize,
    /// Linear programmes on which the solver errored or panicked.
    pub solver_failures: usize,
    /// Minimum of `(hi - lo) / |value|` over targets with a non-zero value; `None` when there is no such target.
    pub narrowest_relative_width: Option<f64>,
    /// Whether every target passed.
    pub all_passed: bool,
    /// Quantity indices of the targets that did not pass.
    pub failed_targets: Vec<usize>,
}

/// Outcome of [`audit`] or [`protect`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuditResult {
    /// Final status of each cell, in input order.
    pub cells: Vec<CellStatus>,
    /// One report per target, in quantity order.
    pub targets: Vec<TargetReport>,
    /// Totals.
    pub summary: Summary,
}

/// Kind of input item an [`AuditError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// An entry of [`Table::quantities`].
    Quantity,
    /// An entry of [`Table::equations`].
    Equation,
    /// An entry of [`Table::cells`].
    Cell,
    /// An entry of [`Table::implications`].
    Implication,
}

/// An invalid table: nothing was audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditError {
    /// Which list holds the faulty item.
    pub item: Item,
    /// Its index in that list.
    pub index: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {:?} {}: {}", self.item, self.index, self.reason)
    }
}

impl std::error::Error for AuditError {}

/// Computes the feasibility interval of every target under the input statuses (after the implication closure),
/// without suppressing anything else.
///
/// # Errors
///
/// Returns an [`AuditError`] when the table is malformed or inconsistent.
pub fn audit(table: &Table) -> Result<AuditResult, AuditError> {
    let mut engine = Engine::new(table)?;
    let (published, status) = engine.initial_state();
    Ok(engine.report(&published, status))
}

/// Audits the table and suppresses further cells until every target's feasibility interval is wide enough.
///
/// Targets are handled in quantity order. For a failing target, the candidates are the published cells near it
/// (see below), unlocked ones first; each candidate is tried together with its implication closure, in order of
/// the closure's total cost, then cell index. The first candidate that makes the target pass is kept; if none
/// does, the one giving the widest interval is kept and the search repeats.
///
/// A cell is near a target when its form contains a quantity of V2, where V1 holds the quantities of every
/// equation or cell (whatever its status) containing the target, and V2 those of every equation or cell
/// containing a quantity of V1. Once no unlocked near cell is left, unlocked cells anywhere in the target's
/// structural component are tried, and only then locked cells (near ones first).
///
/// A target that stays too narrow even with every cell suppressed (tight bounds, or structure alone pins it) is
/// left failing without suppressing anything for it.
///
/// Last, every added cell whose form the published cells already determine is published again (it protects
/// nothing: a zero section's only division, a part of a parent whose other parts are all printed).
///
/// # Errors
///
/// Returns an [`AuditError`] when the table is malformed or inconsistent.
pub fn protect(table: &Table) -> Result<AuditResult, AuditError> {
    let mut engine = Engine::new(table)?;
    let (mut published, mut status) = engine.initial_state();
    for t in engine.targets() {
        engine.protect_target(t, &mut published, &mut status);
    }
    engine.restore_determined(&mut published, &mut status);
    Ok(engine.report(&published, status))
}

/// One way to suppress more: a cell with its implication closure.
struct Candidate {
    cells: Vec<usize>,
    cost: f64,
    cell: usize,
    near: bool,
}

struct Engine<'a> {
    table: &'a Table,
    model: Model,
    implied: Vec<Vec<usize>>,
    component: Vec<usize>,
    counters: Counters,
}

impl<'a> Engine<'a> {
    fn new(table: &'a Table) -> Result<Self, AuditError> {
        let n = table.quantities.len();
        for (i, q) in table.quantities.iter().enumerate() {
            validate_quantity(q).map_err(invalid(Item::Quantity, i))?;
        }
        let mut rows = Vec::with_capacity(table.equations.len() + table.cells.len());
        for (i, e) in table.equations.iter().enumerate() {
            rows.push(normalise(&e.terms, e.rhs, n, &table.quantities).map_err(invalid(Item::Equation, i))?);
        }
        for (i, c) in table.cells.iter().enumerate() {
            if !(c.cost.is_finite() && c.cost >= 0.0) {
                return Err(invalid(Item::Cell, i)("cost must be finite and non-negative"));
            }
            rows.push(normalise(&c.terms, c.value, n, &table.quantities).map_err(invalid(Item::Cell, i))?);
        }
        let mut implied = vec![Vec::new(); table.cells.len()];
        for (i, &(a, b)) in table.implications.iter().enumerate() {
            if a >= table.cells.len() || b >= table.cells.len() {
                return Err(invalid(Item::Implication, i)("cell index out of range"));
            }
            implied[a].push(b);
        }
        let component = components(n, &rows);
        let values = table.quantities.iter().map(|q| q.value).collect();
        let lower = table.quantities.iter().map(|q| q.lower).collect();
        let upper = table.quantities.iter().map(|q| q.upper).collect();
        let model = Model::new(values, lower, upper, rows, table.equations.len());
        Ok(Engine {
            table,
            model,
            implied,
            component,
            counters: Counters::default(),
        })
    }

    fn targets(&self) -> Vec<usize> {
        (0..self.table.quantities.len())
            .filter(|&j| self.table.quantities[j].protection.is_some())
            .collect()
    }

    fn required(&self, t: usize) -> f64 {
        self.table.quantities[t].protection.unwrap_or(0.0)
    }

    fn initial_state(&self) -> (Vec<bool>, Vec<CellStatus>) {
        let cells = &self.table.cells;
        let mut published: Vec<bool> = cells.iter().map(|c| !c.suppressed).collect();
        let mut status: Vec<CellStatus> = cells
            .iter()
            .map(|c| {
                if c.suppressed {
                    CellStatus::Suppressed(Reason::Primary)
                } else {
                    CellStatus::Published
                }
            })
            .collect();
        for c in (0..cells.len()).filter(|&c| cells[c].suppressed) {
            for d in self.closure(c, &published) {
                published[d] = false;
                status[d] = CellStatus::Suppressed(Reason::Secondary);
            }
        }
        (published, status)
    }

    /// Published cells that suppressing `start` forces out, `start` included when still published.
    fn closure(&self, start: usize, published: &[bool]) -> Vec<usize> {
        // Called for every candidate on every step, so nothing here may scale with the number of cells.
        let mut seen = BTreeSet::from([start]);
        let mut stack = vec![start];
        while let Some(c) = stack.pop() {
            for &d in &self.implied[c] {
                if seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        seen.into_iter().filter(|&c| published[c]).collect()
    }

    fn interval(&mut self, t: usize, published: &[bool]) -> (Interval, f64) {
        let iv = self.model.interval(t, published, &mut self.counters);
        (iv, width(&iv, self.model.values[t]))
    }

    fn passes(&self, t: usize, width: f64) -> bool {
        width >= self.required(t) * (1.0 - REL_TOL)
    }

    /// Whether suppressing everything would protect `t`; a solver failure gives the benefit of the doubt.
    fn protectable(&mut self, t: usize) -> bool {
        let q = &self.table.quantities[t];
        if !self.passes(t, q.upper - q.lower) {
            return false;
        }
        let (iv, w) = self.interval(t, &vec![false; self.table.cells.len()]);
        iv.solver_failed || self.passes(t, w)
    }

    fn protect_target(&mut self, t: usize, published: &mut [bool], status: &mut [CellStatus]) {
        let (_, w) = self.interval(t, published);
        if self.passes(t, w) || !self.protectable(t) {
            return;
        }
        loop {
            let tiers = self.candidate_tiers(t, published);
            let Some(tier) = tiers.into_iter().find(|tier| !tier.is_empty()) else {
                return;
            };
            let mut best: Option<(f64, usize)> = None;
            let mut passed = false;
            for (i, cand) in tier.iter().enumerate() {
                let mut trial = published.to_vec();
                for &d in &cand.cells {
                    trial[d] = false;
                }
                let (_, w) = self.interval(t, &trial);
                if self.passes(t, w) {
                    best = Some((w, i));
                    passed = true;
                    break;
                }
                if best.is_none_or(|(bw, _)| wider(w, bw)) {
                    best = Some((w, i));
                }
            }
            let Some((_, i)) = best else {
                return;
            };
            for &d in &tier[i].cells {
                published[d] = false;
                status[d] = CellStatus::Suppressed(Reason::Secondary);
            }
            if passed {
                return;
            }
        }
    }

    /// Publishes again every added cell whose value the published cells already determine (each quantity of its
    /// form has a zero-width interval): printing it tells an attacker nothing, so withholding it only costs the
    /// reader. The greedy search can add such cells on its way (a zero that costs nothing, tried first), and the
    /// closure can add a cell that the rest of the table gives away anyway. Most costly first; publishing a
    /// determined cell changes no interval, so the order changes nothing else.
    fn restore_determined(&mut self, published: &mut [bool], status: &mut [CellStatus]) {
        let mut added: Vec<usize> = (0..self.table.cells.len())
            .filter(|&c| status[c] == CellStatus::Suppressed(Reason::Secondary))
            .collect();
        added.sort_by(|&a, &b| {
            self.table.cells[b]
                .cost
                .total_cmp(&self.table.cells[a].cost)
                .then(a.cmp(&b))
        });
        for c in added {
            let determined = self.table.cells[c].terms.iter().all(|&(j, _)| {
                let (iv, w) = self.interval(j, published);
                !iv.solver_failed && w == 0.0
            });
            if determined {
                published[c] = true;
                status[c] = CellStatus::Published;
            }
        }
    }

    /// Published cells that could widen the interval of `t`, grouped by preference, each group in trial order.
    fn candidate_tiers(&self, t: usize, published: &[bool]) -> [Vec<Candidate>; 3] {
        let near = self.near_quantities(t);
        let comp = self.component[t];
        let mut tiers: [Vec<Candidate>; 3] = Default::default();
        for (c, cell) in self.table.cells.iter().enumerate() {
            if !published[c] || !cell.terms.iter().any(|&(j, _)| self.component[j] == comp) {
                continue;
            }
            let cells = self.closure(c, published);
            let locked = cells.iter().any(|&d| self.table.cells[d].locked);
            let cost = cells.iter().map(|&d| self.table.cells[d].cost).sum();
            let near = cell.terms.iter().any(|&(j, _)| near[j]);
            let tier = match (locked, near) {
                (false, true) => 0,
                (false, false) => 1,
                (true, _) => 2,
            };
            tiers[tier].push(Candidate {
                cells,
                cost,
                cell: c,
                near,
            });
        }
        for tier in &mut tiers {
            tier.sort_by(|a, b| {
                b.near
                    .cmp(&a.near)
                    .then(a.cost.total_cmp(&b.cost))
                    .then(a.cell.cmp(&b.cell))
            });
        }
        tiers
    }

    /// V2 of the nearness rule documented on [`protect`].
    fn near_quantities(&self, t: usize) -> Vec<bool> {
        let mut v1 = vec![false; self.table.quantities.len()];
        for &r in &self.model.var_rows[t] {
            for &(j, _) in &self.model.rows[r] {
                v1[j] = true;
            }
        }
        let mut v2 = v1.clone();
        for j in (0..v1.len()).filter(|&j| v1[j]) {
            for &r in &self.model.var_rows[j] {
                for &(k, _) in &self.model.rows[r] {
                    v2[k] = true;
                }
            }
        }
        v2[t] = true;
        v2
    }

    fn report(&mut self, published: &[bool], status: Vec<CellStatus>) -> AuditResult {
        let mut targets = Vec::new();
        let mut narrowest_relative_width: Option<f64> = None;
        for t in self.targets() {
            let (iv, w) = self.interval(t, published);
            let value = self.model.values[t];
            if value != 0.0 {
                let relative = w / value.abs();
                narrowest_relative_width = Some(narrowest_relative_width.map_or(relative, |n| n.min(relative)));
            }
            targets.push(TargetReport {
                quantity: t,
                value,
                lo: iv.lo,
                hi: iv.hi,
                required: self.required(t),
                passed: self.passes(t, w),
                solver_failed: iv.solver_failed,
            });
        }
        let failed_targets: Vec<usize> = targets.iter().filter(|r| !r.passed).map(|r| r.quantity).collect();
        let summary = Summary {
            targets_checked: targets.len(),
            cells_added: status
                .iter()
                .filter(|s| **s == CellStatus::Suppressed(Reason::Secondary))
                .count(),
            lp_solves: self.counters.lp_solves,
            solver_failures: self.counters.solver_failures,
            narrowest_relative_width,
            all_passed: failed_targets.is_empty(),
            failed_targets,
        };
        AuditResult {
            cells: status,
            targets,
            summary,
        }
    }
}

fn invalid(item: Item, index: usize) -> impl Fn(&'static str) -> AuditError {
    move |reason| AuditError { item, index, reason }
}

/// Width of an interval, with solver failures and rounding noise counted as no width at all.
fn width(iv: &Interval, value: f64) -> f64 {
    let w = iv.hi - iv.lo;
    if iv.solver_failed || w.is_nan() || w < REL_TOL * value.abs().max(1.0) {
        0.0
    } else {
        w
    }
}

/// Whether width `a` beats `b` by more than rounding.
fn wider(a: f64, b: f64) -> bool {
    a > b + REL_TOL * b.abs().max(1.0)
}

fn validate_quantity(q: &Quantity) -> Result<(), &'static str> {
    if !q.value.is_finite() {
        return Err("value must be finite");
    }
    if q.lower.is_nan() || q.upper.is_nan() || q.lower == f64::INFINITY || q.upper == f64::NEG_INFINITY {
        return Err("bounds must be numbers, lower below +inf and upper above -inf");
    }
    let slack = REL_TOL * q.value.abs().max(1.0);
    if q.lower > q.value + slack || q.upper < q.value - slack {
        return Err("value lies outside its bounds");
    }
    if q.protection.is_some_and(|p| !p.is_finite() || p < 0.0) {
        return Err("protection must be finite and non-negative");
    }
    Ok(())
}

/// Merges repeated quantities, drops zero coefficients and checks that the row holds at the true values.
fn normalise(
    terms: &[(usize, f64)],
    rhs: f64,
    n: usize,
    quantities: &[Quantity],
) -> Result<Vec<(usize, f64)>, &'static str> {
    if terms.iter().any(|&(j, _)| j >= n) {
        return Err("quantity index out of range");
    }
    if !rhs.is_finite() || terms.iter().any(|&(_, a)| !a.is_finite()) {
        return Err("coefficients and value must be finite");
    }
    let mut sorted = terms.to_vec();
    sorted.sort_by_key(|&(j, _)| j);
    let mut row: Vec<(usize, f64)> = Vec::with_capacity(sorted.len());
    for (j, a) in sorted {
        match row.last_mut() {
            Some(last) if last.0 == j => last.1 += a,
            _ => row.push((j, a)),
        }
    }
    row.retain(|&(_, a)| a != 0.0);
    let lhs: f64 = row.iter().map(|&(j, a)| a * quantities[j].value).sum();
    let magnitude: f64 = row.iter().map(|&(j, a)| (a * quantities[j].value).abs()).sum::<f64>() + rhs.abs();
    if (lhs - rhs).abs() > CONSISTENCY_TOL * magnitude {
        return Err("does not hold at the true values");
    }
    Ok(row)
}

/// Structural component of every quantity, over all equations and cells whatever their status.
fn components(n: usize, rows: &[Vec<(usize, f64)>]) -> Vec<usize> {
    fn find(parent: &mut [usize], mut j: usize) -> usize {
        while parent[j] != j {
            parent[j] = parent[parent[j]];
            j = parent[j];
        }
        j
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for row in rows {
        if let Some(&(first, _)) = row.first() {
            for &(j, _) in &row[1..] {
                let (a, b) = (find(&mut parent, first), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..n).map(|j| find(&mut parent, j)).collect()
}
