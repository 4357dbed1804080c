//! Feasibility intervals: the range of one quantity consistent with the structure, the published cells and the
//! attacker-known bounds.

use std::panic::{AssertUnwindSafe, catch_unwind};

use microlp::{ComparisonOp, Error, OptimizationDirection, Problem};

#[cfg(test)]
thread_local! {
    /// Makes every solve on this thread panic, to exercise the recovery path.
    pub(super) static FORCE_SOLVER_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The linear system an attacker may use, over the quantities of a table.
///
/// Rows `0..n_equations` are structural equations and always known; row `n_equations + c` is cell `c`, known only
/// while that cell is published. Each row lists distinct quantities with non-zero coefficients.
#[derive(Debug)]
pub(super) struct Model {
    pub(super) values: Vec<f64>,
    pub(super) lower: Vec<f64>,
    pub(super) upper: Vec<f64>,
    pub(super) rows: Vec<Vec<(usize, f64)>>,
    pub(super) n_equations: usize,
    pub(super) var_rows: Vec<Vec<usize>>,
}

/// The interval of one target under one publication state.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interval {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) solver_failed: bool,
}

/// Work done by the solver, reported in the summary.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) lp_solves: usize,
    pub(super) solver_failures: usize,
}

impl Model {
    pub(super) fn new(
        values: Vec<f64>,
        lower: Vec<f64>,
        upper: Vec<f64>,
        rows: Vec<Vec<(usize, f64)>>,
        n_equations: usize,
    ) -> Self {
        let mut var_rows = vec![Vec::new(); values.len()];
        for (r, row) in rows.iter().enumerate() {
            for &(j, _) in row {
                var_rows[j].push(r);
            }
        }
        Model {
            values,
            lower,
            upper,
            rows,
            n_equations,
            var_rows,
        }
    }

    fn active(&self, row: usize, published: &[bool]) -> bool {
        row < self.n_equations || published.get(row - self.n_equations).copied().unwrap_or(false)
    }

    /// Quantities an attacker learns exactly by repeated subtraction: fixed by their bounds, or the only unknown
    /// left in a known row.
    ///
    /// The exact values come from the true values rather than from re-solving the rows, which keeps every later
    /// reduced row consistent to the last bit.
    fn known(&self, published: &[bool]) -> Vec<bool> {
        let mut known: Vec<bool> = self.lower.iter().zip(&self.upper).map(|(lo, hi)| lo == hi).collect();
        let mut unknown = vec![0usize; self.rows.len()];
        let mut ready = Vec::new();
        for (r, row) in self.rows.iter().enumerate() {
            if self.active(r, published) {
                unknown[r] = row.iter().filter(|&&(j, _)| !known[j]).count();
                if unknown[r] == 1 {
                    ready.push(r);
                }
            }
        }
        while let Some(r) = ready.pop() {
            if unknown[r] != 1 {
                continue;
            }
            let Some(&(j, _)) = self.rows[r].iter().find(|&&(j, _)| !known[j]) else {
                continue;
            };
            known[j] = true;
            for &r2 in &self.var_rows[j] {
                if self.active(r2, published) {
                    unknown[r2] -= 1;
                    if unknown[r2] == 1 {
                        ready.push(r2);
                    }
                }
            }
        }
        known
    }

    /// Unknown quantities linked to `target` through known rows that still hold other unknowns, and those rows.
    fn component(&self, target: usize, published: &[bool], known: &[bool]) -> (Vec<usize>, Vec<usize>) {
        let mut in_comp = vec![false; self.values.len()];
        let mut row_seen = vec![false; self.rows.len()];
        let (mut vars, mut rows) = (vec![target], Vec::new());
        in_comp[target] = true;
        let mut stack = vec![target];
        while let Some(j) = stack.pop() {
            for &r in &self.var_rows[j] {
                if row_seen[r] || !self.active(r, published) {
                    continue;
                }
                row_seen[r] = true;
                rows.push(r);
                for &(k, _) in &self.rows[r] {
                    if !known[k] && !in_comp[k] {
                        in_comp[k] = true;
                        vars.push(k);
                        stack.push(k);
                    }
                }
            }
        }
        vars.sort_unstable();
        rows.sort_unstable();
        (vars, rows)
    }

    /// The feasibility interval of `target` when exactly the cells flagged in `published` are known.
    pub(super) fn interval(&self, target: usize, published: &[bool], counters: &mut Counters) -> Interval {
        let value = self.values[target];
        let known = self.known(published);
        let exact = Interval {
            lo: value,
            hi: value,
            solver_failed: false,
        };
        if known[target] {
            return exact;
        }
        let (vars, rows) = self.component(target, published, &known);
        let (lo, hi) = if rows.is_empty() {
            (self.lower[target], self.upper[target])
        } else {
            let lo = self.optimise(target, &vars, &rows, OptimizationDirection::Minimize, counters);
            let hi = self.optimise(target, &vars, &rows, OptimizationDirection::Maximize, counters);
            match (lo, hi) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => {
                    return Interval {
                        solver_failed: true,
                        ..exact
                    };
                }
            }
        };
        // The true value is always feasible; clamping removes solver tolerance on either side.
        Interval {
            lo: lo.max(self.lower[target]).min(value),
            hi: hi.min(self.upper[target]).max(value),
            solver_failed: false,
        }
    }

    /// Minimum or maximum of `target` over the component, or `None` if the solver failed.
    fn optimise(
        &self,
        target: usize,
        vars: &[usize],
        rows: &[usize],
        direction: OptimizationDirection,
        counters: &mut Counters,
    ) -> Option<f64> {
        // One common scale keeps the structural coefficients (mostly +-1 and ratios) as they are while bringing
        // values of any magnitude near 1, where the solver's absolute tolerances are meant to work.
        let max_abs = vars.iter().map(|&j| self.values[j].abs()).fold(0.0, f64::max);
        let scale = if max_abs.is_finite() && max_abs > 0.0 {
            max_abs
        } else {
            1.0
        };
        counters.lp_solves += 1;
        let solved = catch_unwind(AssertUnwindSafe(|| {
            #[cfg(test)]
            if FORCE_SOLVER_PANIC.get() {
                panic!("forced solver panic");
            }
            let mut problem = Problem::new(direction);
            let lp_vars: Vec<_> = vars
                .iter()
                .map(|&j| {
                    let objective = if j == target { 1.0 } else { 0.0 };
                    problem.add_var(objective, (self.lower[j] / scale, self.upper[j] / scale))
                })
                .collect();
            for &r in rows {
                let terms: Vec<_> = self.rows[r]
                    .iter()
                    .filter_map(|&(k, a)| vars.binary_search(&k).ok().map(|i| (i, k, a)))
                    .collect();
                let norm = terms.iter().map(|&(_, _, a)| a.abs()).fold(0.0, f64::max);
                if norm == 0.0 {
                    continue;
                }
                // The right-hand side is rebuilt from the true values of the unknowns, so the true point stays
                // feasible whatever rounding the published figures carried.
                let rhs: f64 = terms.iter().map(|&(_, k, a)| a / norm * (self.values[k] / scale)).sum();
                let expr: Vec<_> = terms.iter().map(|&(i, _, a)| (lp_vars[i], a / norm)).collect();
                problem.add_constraint(expr, ComparisonOp::Eq, rhs);
            }
            problem.solve()
        }));
        let value = match solved {
            Ok(Ok(outcome)) => outcome.into_solution().ok().map(|s| s.objective() * scale),
            Ok(Err(Error::Unbounded)) => Some(match direction {
                OptimizationDirection::Minimize => f64::NEG_INFINITY,
                OptimizationDirection::Maximize => f64::INFINITY,
            }),
            _ => None,
        };
        match value {
            Some(v) if !v.is_nan() => Some(v),
            _ => {
                counters.solver_failures += 1;
                None
            }
        }
    }
}
