use super::*;

fn assert_close(actual: f64, expected: f64) {
    let tol = 1e-9 * actual.abs().max(expected.abs()).max(1.0);
    assert!(
        actual == expected || (actual - expected).abs() <= tol,
        "expected {expected}, got {actual}"
    );
}

fn target(result: &AuditResult, quantity: usize) -> &TargetReport {
    result
        .targets
        .iter()
        .find(|t| t.quantity == quantity)
        .expect("target reported")
}

fn secondary(result: &AuditResult) -> Vec<usize> {
    (0..result.cells.len())
        .filter(|&c| result.cells[c] == CellStatus::Suppressed(Reason::Secondary))
        .collect()
}

fn single(j: usize, table: &Table, cost: f64) -> Cell {
    Cell::new(vec![(j, 1.0)], table.quantities[j].value, cost)
}

/// `parts[0] + ... + parts[n-1] - T = 0`, every quantity non-negative, one cell per quantity; T is the last index.
fn line(values: &[f64], costs: &[f64]) -> Table {
    let total: f64 = values.iter().sum();
    let quantities = values
        .iter()
        .chain([&total])
        .map(|&v| Quantity::nonnegative(v))
        .collect();
    let mut table = Table {
        quantities,
        ..Table::default()
    };
    let mut terms: Vec<_> = (0..values.len()).map(|j| (j, 1.0)).collect();
    terms.push((values.len(), -1.0));
    table.equations.push(Equation::new(terms, 0.0));
    for j in 0..=values.len() {
        let cost = costs.get(j).copied().unwrap_or(total);
        table.cells.push(single(j, &table, cost));
    }
    table
}

#[test]
fn line_suppresses_cheapest_cell_that_protects() {
    // a + b + c + d = T: 20 + 30 + 10 + 40 = 100; the attacker knows c lies in [9.5, 10.5].
    let mut table = line(&[20.0, 30.0, 10.0, 40.0], &[20.0, 30.0, 10.0, 40.0, 100.0]);
    table.quantities[2] = table.quantities[2].clone().bounded(9.5, 10.5);
    table.quantities[0] = table.quantities[0].clone().protect(2.0);
    table.cells[0].suppressed = true;

    // Published T, b, c, d give a = 100 - 30 - 10 - 40 = 20 exactly.
    let before = audit(&table).expect("valid table");
    assert_eq!((target(&before, 0).lo, target(&before, 0).hi), (20.0, 20.0));
    assert!(!before.summary.all_passed);

    // c (cost 10) alone: a + c = 30 with c in [9.5, 10.5] gives a in [19.5, 20.5], width 1 < 2: rejected.
    // b (cost 30) alone: a + b = 50 with both >= 0 gives a in [0, 50], width 50 >= 2: accepted.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1]);
    assert_eq!(result.cells[2], CellStatus::Published);
    assert_eq!(result.cells[0], CellStatus::Suppressed(Reason::Primary));
    let a = target(&result, 0);
    assert_close(a.lo, 0.0);
    assert_close(a.hi, 50.0);
    assert!(a.passed && result.summary.all_passed);
    assert_eq!(result.summary.cells_added, 1);
    assert!(result.summary.lp_solves >= 2);
    assert_eq!(result.summary.solver_failures, 0);
    // Relative width 50 / 20.
    assert_close(result.summary.narrowest_relative_width.expect("non-zero target"), 2.5);
}

#[test]
fn tiny_complement_is_enough_under_width_rule() {
    // a + b + c + d = T: 1000 + 1 + 5 + 500 = 1506, cost = value, a needs width 100 (10% of 1000).
    let mut table = line(&[1000.0, 1.0, 5.0, 500.0], &[1000.0, 1.0, 5.0, 500.0, 1506.0]);
    table.quantities[0] = table.quantities[0].clone().protect(100.0);
    table.cells[0].suppressed = true;
    // Suppressing b (cost 1): a + b = 1506 - 5 - 500 = 1001, so a in [0, 1001], width 1001 >= 100.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1]);
    let a = target(&result, 0);
    assert_close(a.lo, 0.0);
    assert_close(a.hi, 1001.0);
    assert!(a.passed);
}

/// An r x c table with row totals R, column totals C and grand total G: quantity `c * i + j` is interior cell
/// (i, j), then come R, C and G; each quantity has one cell of the same index, cost = value, G locked.
fn grid(x: &[Vec<f64>]) -> Table {
    let (r, c) = (x.len(), x[0].len());
    let rows: Vec<f64> = x.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c).map(|j| x.iter().map(|row| row[j]).sum()).collect();
    let grand: f64 = rows.iter().sum();
    let values: Vec<f64> = x
        .iter()
        .flatten()
        .copied()
        .chain(rows)
        .chain(cols)
        .chain([grand])
        .collect();
    let (row0, col0, g) = (r * c, r * c + r, r * c + r + c);
    let quantities = values.iter().map(|&v| Quantity::nonnegative(v)).collect();
    let mut table = Table {
        quantities,
        ..Table::default()
    };
    for i in 0..r {
        let mut eq: Vec<_> = (0..c).map(|j| (c * i + j, 1.0)).collect();
        eq.push((row0 + i, -1.0));
        table.equations.push(Equation::new(eq, 0.0));
    }
    for j in 0..c {
        let mut eq: Vec<_> = (0..r).map(|i| (c * i + j, 1.0)).collect();
        eq.push((col0 + j, -1.0));
        table.equations.push(Equation::new(eq, 0.0));
    }
    for (first, len) in [(row0, r), (col0, c)] {
        let mut eq: Vec<_> = (first..first + len).map(|j| (j, 1.0)).collect();
        eq.push((g, -1.0));
        table.equations.push(Equation::new(eq, 0.0));
    }
    for (j, &v) in values.iter().enumerate() {
        table.cells.push(Cell::new(vec![(j, 1.0)], v, v));
    }
    table.cells[g].locked = true;
    table
}

#[test]
fn rectangle_needs_the_lp_and_gets_widened() {
    // Rows: 50 0.5 20 | 70.5;  0.5 0.5 30 | 31;  10 15 25 | 50.  Columns: 60.5 16 75, G = 151.5.
    let mut table = grid(&[vec![50.0, 0.5, 20.0], vec![0.5, 0.5, 30.0], vec![10.0, 15.0, 25.0]]);
    table.quantities[0] = table.quantities[0].clone().protect(5.0);
    for c in [0, 1, 3, 4] {
        table.cells[c].suppressed = true;
    }
    // Every row and column holds two suppressed cells, so no single equation gives x11 = t. Row 1 gives
    // x12 = (70.5 - 20) - t = 50.5 - t, column 1 gives x21 = (60.5 - 10) - t = 50.5 - t, row 2 gives
    // x22 = (31 - 30) - x21 = t - 49.5. x12, x21 >= 0 give t <= 50.5 and x22 >= 0 gives t >= 49.5:
    // x11 in [49.5, 50.5], width 1 < 5.
    let before = audit(&table).expect("valid table");
    let x11 = target(&before, 0);
    assert_close(x11.lo, 49.5);
    assert_close(x11.hi, 50.5);
    assert!(!x11.passed);

    // Any one more cell is recovered from a row, a column or G, so every single candidate leaves width 1 and the
    // cheapest, x31 (cost 10), is taken. Then x32 (cost 15) opens row 3: with x31 + x32 = 25,
    // x11 + x21 + x31 = 60.5, x12 + x22 + x32 = 16, x11 + x12 = 50.5, x21 + x22 = 1:
    // max x11 = 50.5 (x12 = 0, x22 = 1, x32 = 15, x21 = 0, x31 = 10);
    // min x11 = 50.5 - 16 = 34.5 (x12 = 16, x22 = x32 = 0, x31 = 25, x21 = 1). Width 16 >= 5.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![6, 7]);
    let x11 = target(&result, 0);
    assert_close(x11.lo, 34.5);
    assert_close(x11.hi, 50.5);
    assert!(result.summary.all_passed);
    assert_eq!(result.cells[15], CellStatus::Published);
}

/// Domains 1..3 and "all": Y at 0..4, X at 4..8; cells 0..4 print Y (cost 10), cells 4..8 print the rates
/// r = Y / X as `Y - r X = 0` (cost 1). X has no cell; X1 must keep `protection`.
fn ratio_table(x: [f64; 3], r: [f64; 3], protection: f64) -> Table {
    let y: Vec<f64> = (0..3).map(|d| r[d] * x[d]).collect();
    let (y_all, x_all): (f64, f64) = (y.iter().sum(), x.iter().sum());
    let ys = [y[0], y[1], y[2], y_all];
    let xs = [x[0], x[1], x[2], x_all];
    let quantities = ys.iter().chain(&xs).map(|&v| Quantity::nonnegative(v)).collect();
    let mut table = Table {
        quantities,
        ..Table::default()
    };
    table.quantities[4] = table.quantities[4].clone().protect(protection);
    for base in [0, 4] {
        let terms = vec![(base + 3, 1.0), (base, -1.0), (base + 1, -1.0), (base + 2, -1.0)];
        table.equations.push(Equation::new(terms, 0.0));
    }
    for (d, &y) in ys.iter().enumerate() {
        table.cells.push(Cell::new(vec![(d, 1.0)], y, 10.0));
    }
    for d in 0..4 {
        let rate = ys[d] / xs[d];
        table.cells.push(Cell::new(vec![(d, 1.0), (4 + d, -rate)], 0.0, 1.0));
    }
    table
}

#[test]
fn ratio_cells_need_two_rates_suppressed() {
    // X = 200, 300, 500 (all 1000); r = 0.25, 0.2, 0.3 so Y = 50, 60, 150 (all 260, r_all = 0.26).
    let table = ratio_table([200.0, 300.0, 500.0], [0.25, 0.2, 0.3], 20.0);
    // X1 = Y1 / r1 = 50 / 0.25 = 200.
    let before = audit(&table).expect("valid table");
    assert_eq!((target(&before, 4).lo, target(&before, 4).hi), (200.0, 200.0));

    // Without r1, X1 = X_all - X2 - X3 = 260 / 0.26 - 60 / 0.2 - 150 / 0.3 = 1000 - 300 - 500 = 200: every single
    // cell leaves width 0, so the cheapest lowest-index one, r1 (cell 4), is taken. Then r2 (cell 5) leaves
    // X1 + X2 = 1000 - 500 = 500 with both >= 0: X1 in [0, 500], width 500 >= 20.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![4, 5]);
    let x1 = target(&result, 4);
    assert_close(x1.lo, 0.0);
    assert_close(x1.hi, 500.0);
    assert!(result.summary.all_passed);
}

#[test]
fn ratio_cells_with_large_values_and_tiny_rates() {
    // X = 2e8, 3e8, 5e8 (all 1e9); r = 1.5e-4, 2e-4, 3e-4 (Y = 3e4, 6e4, 1.5e5, r_all = 2.4e-4).
    // Same reasoning as above: X1 in [0, X_all - X3] = [0, 1e9 - 5e8] = [0, 5e8].
    let table = ratio_table([2e8, 3e8, 5e8], [1.5e-4, 2e-4, 3e-4], 2e7);
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![4, 5]);
    let x1 = target(&result, 4);
    assert_close(x1.lo, 0.0);
    assert_close(x1.hi, 5e8);
    assert_eq!(result.summary.solver_failures, 0);
}

#[test]
fn line_with_large_values() {
    // a + b + c + d = T with a = 123456789.5, b = 7e7 (cheapest), c = 3.3e8, d = 2.5e8.
    let values = [123_456_789.5, 7e7, 3.3e8, 2.5e8];
    let mut table = line(&values, &[1.0, 2.0, 3.0, 4.0, 5.0]);
    table.quantities[0] = table.quantities[0].clone().protect(values[0] * 0.1);
    table.cells[0].suppressed = true;
    // b goes: a + b = 193456789.5, so a in [0, 193456789.5].
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1]);
    let a = target(&result, 0);
    assert_close(a.lo, 0.0);
    assert_close(a.hi, 193_456_789.5);
}

#[test]
fn share_with_known_base() {
    // One choice among four options: o = 100, 40, 60, 200 out of B = 400 (shares 0.25, 0.1, 0.15, 0.5).
    let opts = [100.0, 40.0, 60.0, 200.0];
    let base = 400.0;
    let quantities = opts
        .iter()
        .map(|&v| Quantity::nonnegative(v).bounded(0.0, base))
        .collect();
    let mut table = Table {
        quantities,
        ..Table::default()
    };
    table.quantities.push(Quantity::nonnegative(base));
    table.quantities[0] = table.quantities[0].clone().protect(10.0);
    table.equations.push(Equation::new(
        vec![(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, -1.0)],
        0.0,
    ));
    table.cells.push(Cell::new(vec![(4, 1.0)], base, 400.0).locked());
    for (k, &o) in opts.iter().enumerate() {
        let p = o / base;
        table.cells.push(Cell::new(vec![(k, 1.0), (4, -p)], 0.0, p));
    }
    table.cells[1].suppressed = true;
    // The cheapest other share is o2 (0.1): o1 + o2 = 400 - 60 - 200 = 140, so o1 in [0, 140], width 140 >= 10.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![2]);
    let o1 = target(&result, 0);
    assert_close(o1.lo, 0.0);
    assert_close(o1.hi, 140.0);
}

#[test]
fn locked_cell_only_when_nothing_else_works() {
    // a + b + c = T: 50 + 20 + 30 = 100, b locked and free, c costly: c is still preferred, a in [0, 50 + 30].
    let mut table = line(&[50.0, 20.0, 30.0], &[1.0, 0.0, 100.0, 0.0]);
    table.quantities[0] = table.quantities[0].clone().protect(5.0);
    table.cells[0].suppressed = true;
    table.cells[1].locked = true;
    table.cells[3].locked = true;
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![2]);
    assert_close(target(&result, 0).hi, 80.0);

    // a + b = T: 50 + 50 = 100 with both b and T locked: one of them must go; b (lower index, same cost) does,
    // and a + b = 100 gives a in [0, 100].
    let mut table = line(&[50.0, 50.0], &[1.0, 1.0, 1.0]);
    table.quantities[0] = table.quantities[0].clone().protect(5.0);
    table.cells[0].suppressed = true;
    table.cells[1].locked = true;
    table.cells[2].locked = true;
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1]);
    assert_eq!(result.cells[2], CellStatus::Published);
    assert_close(target(&result, 0).lo, 0.0);
    assert_close(target(&result, 0).hi, 100.0);
}

#[test]
fn implication_closure_is_secondary() {
    // a + b + c = T: 40 + 10 + 50 = 100; cells 0..4 print a, b, c, T (T locked); cells 4..7 print the shares
    // a - 0.4 T = 0, b - 0.1 T = 0, c - 0.5 T = 0 (cost 0.5), each following its numerator.
    let mut table = line(&[40.0, 10.0, 50.0], &[1.0, 1.0, 3.0, 100.0]);
    table.quantities[0] = table.quantities[0].clone().protect(4.0);
    table.cells[0].suppressed = true;
    table.cells[3].locked = true;
    for (k, p) in [0.4, 0.1, 0.5].into_iter().enumerate() {
        table.cells.push(Cell::new(vec![(k, 1.0), (3, -p)], 0.0, 0.5));
        table.implications.push((k, 4 + k));
    }
    // The closure takes a's share at once; a is still 100 - 10 - 50 = 40.
    let before = audit(&table).expect("valid table");
    assert_eq!(secondary(&before), vec![4]);
    assert_eq!(before.summary.cells_added, 1);
    assert_eq!((target(&before, 0).lo, target(&before, 0).hi), (40.0, 40.0));

    // Shares alone (cost 0.5) change nothing; b with its share (cost 1 + 0.5) gives a + b = 50, a in [0, 50].
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1, 4, 5]);
    assert_eq!(result.summary.cells_added, 3);
    assert_close(target(&result, 0).hi, 50.0);
}

#[test]
fn an_added_cell_the_table_gives_away_is_printed_again() {
    // a + b + z = T: 5 + 5 + 0 = 10; b + e = U: 5 + 5 = 10; z = P = 0 (a zero section's only division).
    // Cells 0..7 print a, b, z, T, U, e, P; T, U and P are locked. a (suppressed) must keep width 1.
    let values = [5.0, 5.0, 0.0, 10.0, 10.0, 5.0, 0.0];
    let mut table = Table {
        quantities: values.iter().map(|&v| Quantity::nonnegative(v)).collect(),
        ..Table::default()
    };
    table.quantities[0] = table.quantities[0].clone().protect(1.0);
    table
        .equations
        .push(Equation::new(vec![(0, 1.0), (1, 1.0), (2, 1.0), (3, -1.0)], 0.0));
    table
        .equations
        .push(Equation::new(vec![(1, 1.0), (5, 1.0), (4, -1.0)], 0.0));
    table.equations.push(Equation::new(vec![(2, 1.0), (6, -1.0)], 0.0));
    for (j, &value) in values.iter().enumerate() {
        table.cells.push(single(j, &table, value));
    }
    table.cells[0].suppressed = true;
    for locked in [3, 4, 6] {
        table.cells[locked].locked = true;
    }
    // No single cell helps: z is P, b is U - e, e is U - b. The search takes the cheapest, z (cost 0), then b,
    // then e, which opens a + b = 10 - z = 10, a in [0, 10]. z is still P = 0 for anyone: it is printed again.
    let result = protect(&table).expect("valid table");
    assert_eq!(secondary(&result), vec![1, 5]);
    assert_eq!(result.cells[2], CellStatus::Published);
    assert_eq!(result.summary.cells_added, 2);
    assert_close(target(&result, 0).lo, 0.0);
    assert_close(target(&result, 0).hi, 10.0);
    assert!(result.summary.all_passed);
}

#[test]
fn fixed_and_unprotectable_targets() {
    // A target in no equation keeps its bounds; one whose bounds are narrower than required fails untouched.
    let mut table = Table::default();
    table
        .quantities
        .push(Quantity::nonnegative(7.0).bounded(5.0, 9.0).protect(1.0));
    table
        .quantities
        .push(Quantity::nonnegative(7.0).bounded(6.5, 7.5).protect(2.0));
    table.quantities.push(Quantity::nonnegative(3.0));
    table.quantities.push(Quantity::nonnegative(10.0));
    table
        .equations
        .push(Equation::new(vec![(1, 1.0), (2, 1.0), (3, -1.0)], 0.0));
    table.cells.push(Cell::new(vec![(2, 1.0)], 3.0, 1.0));
    table.cells.push(Cell::new(vec![(3, 1.0)], 10.0, 1.0));
    let result = protect(&table).expect("valid table");
    assert_eq!((target(&result, 0).lo, target(&result, 0).hi), (5.0, 9.0));
    assert!(target(&result, 0).passed);
    assert!(!target(&result, 1).passed);
    assert_eq!(result.summary.failed_targets, vec![1]);
    assert!(!result.summary.all_passed);
    assert!(secondary(&result).is_empty());
}

#[test]
fn solver_panics_count_as_no_width() {
    // a + b = T: 50 + 50 = 100, a primary. Every solve panics, so no candidate ever shows any width: b, then T
    // (cheapest first) are suppressed, the candidates run out and a is reported failed.
    let mut table = line(&[50.0, 50.0], &[1.0, 2.0, 3.0]);
    table.quantities[0] = table.quantities[0].clone().protect(5.0);
    table.cells[0].suppressed = true;
    lp::FORCE_SOLVER_PANIC.set(true);
    let result = protect(&table);
    lp::FORCE_SOLVER_PANIC.set(false);
    let result = result.expect("valid table");
    assert_eq!(secondary(&result), vec![1, 2]);
    let a = target(&result, 0);
    assert!(a.solver_failed && !a.passed);
    assert_eq!((a.lo, a.hi), (50.0, 50.0));
    assert_eq!(result.summary.failed_targets, vec![0]);
    assert!(result.summary.solver_failures > 0);
    assert_eq!(result.summary.solver_failures, result.summary.lp_solves);
}

#[test]
fn rejects_inconsistent_input() {
    let mut table = line(&[1.0, 2.0], &[]);
    table.cells[0].value = 1.5;
    let err = protect(&table).expect_err("inconsistent cell");
    assert_eq!((err.item, err.index), (Item::Cell, 0));
    let mut table = line(&[1.0, 2.0], &[]);
    table.implications.push((0, 9));
    assert_eq!(protect(&table).expect_err("bad implication").item, Item::Implication);
}

/// SplitMix64: enough randomness for table shapes, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }

    fn value(&mut self, scale: f64) -> f64 {
        (1 + self.below(1000)) as f64 * scale / 8.0
    }
}

fn check_protected(table: &Table, result: &AuditResult) {
    assert!(result.summary.all_passed, "failed: {:?}", result.summary.failed_targets);
    for t in &result.targets {
        assert!(t.lo <= t.value && t.value <= t.hi);
        assert!(t.hi - t.lo >= t.required * (1.0 - 1e-9));
        assert!(
            table
                .cells
                .iter()
                .zip(&result.cells)
                .all(|(c, s)| !c.suppressed || *s != CellStatus::Published)
        );
    }
    assert_eq!(protect(table).as_ref(), Ok(result), "same input, same output");
}

#[test]
fn random_lines_match_closed_form() {
    let mut rng = Rng(7);
    for round in 0..40 {
        let n = 3 + rng.below(4);
        let scale = if round % 2 == 0 { 1.0 } else { 1e6 };
        let values: Vec<f64> = (0..n).map(|_| rng.value(scale)).collect();
        let costs: Vec<f64> = (0..=n).map(|_| rng.value(1.0)).collect();
        let mut table = line(&values, &costs);
        table.cells[n].locked = rng.below(2) == 0;
        for _ in 0..1 + rng.below(2) {
            let j = rng.below(n as u64);
            table.cells[j].suppressed = true;
            table.quantities[j] = table.quantities[j].clone().protect(0.1 * values[j]);
        }
        let result = protect(&table).expect("valid table");
        check_protected(&table, &result);
        // With T published, at least two parts must be suppressed and each ranges over
        // [0, T - sum of the published parts]; with T suppressed it ranges over [0, inf).
        let suppressed: Vec<usize> = (0..n).filter(|&j| result.cells[j] != CellStatus::Published).collect();
        let total_known = result.cells[n] == CellStatus::Published;
        assert!(suppressed.len() >= 2 || !total_known);
        let open: f64 = suppressed.iter().map(|&j| values[j]).sum();
        for t in &result.targets {
            assert_close(t.lo, 0.0);
            if total_known {
                assert_close(t.hi, open);
            } else {
                assert_eq!(t.hi, f64::INFINITY);
            }
        }
    }
}

#[test]
fn random_hierarchies_and_grids_are_protected() {
    let mut rng = Rng(11);
    for round in 0..25 {
        // Two levels: G = sum of sections, each section = sum of its divisions; one cell per quantity.
        let sections = 2 + rng.below(2);
        let scale = if round % 3 == 0 { 1e7 } else { 1.0 };
        let mut table = Table::default();
        table.quantities.push(Quantity::nonnegative(0.0));
        let mut top = vec![(0, -1.0)];
        for _ in 0..sections {
            let s = table.quantities.len();
            table.quantities.push(Quantity::nonnegative(0.0));
            top.push((s, 1.0));
            let mut eq = vec![(s, -1.0)];
            for _ in 0..2 + rng.below(3) {
                eq.push((table.quantities.len(), 1.0));
                table.quantities.push(Quantity::nonnegative(rng.value(scale)));
            }
            let sum: f64 = eq[1..].iter().map(|&(j, _)| table.quantities[j].value).sum();
            table.quantities[s].value = sum;
            table.equations.push(Equation::new(eq, 0.0));
        }
        table.quantities[0].value = top[1..].iter().map(|&(j, _)| table.quantities[j].value).sum();
        table.equations.push(Equation::new(top, 0.0));
        for j in 0..table.quantities.len() {
            let cost = rng.value(1.0);
            table.cells.push(single(j, &table, cost));
        }
        table.cells[0].locked = true;
        for _ in 0..1 + rng.below(3) {
            let j = 1 + rng.below(table.quantities.len() as u64 - 1);
            table.cells[j].suppressed = true;
            let v = table.quantities[j].value;
            table.quantities[j] = table.quantities[j].clone().protect(0.1 * v);
        }
        let result = protect(&table).expect("valid table");
        check_protected(&table, &result);
        if scale == 1.0 {
            check_against_plain_lp(&table, &result);
        }

        // A grid with margins and random primary interior cells, magnitudes mixed within the table.
        let (r, c) = (2 + rng.below(3), 2 + rng.below(4));
        let x: Vec<Vec<f64>> = (0..r)
            .map(|_| {
                (0..c)
                    .map(|_| rng.value(scale) * [1.0, 1e-3, 10.0][rng.below(3)])
                    .collect()
            })
            .collect();
        let mut table = grid(&x);
        for _ in 0..1 + rng.below(3) {
            let j = rng.below((r * c) as u64);
            table.cells[j].suppressed = true;
            let v = table.quantities[j].value;
            table.quantities[j] = table.quantities[j].clone().protect(0.1 * v);
        }
        let result = protect(&table).expect("valid table");
        check_protected(&table, &result);
    }
}

#[test]
fn larger_grids_with_mixed_magnitudes_are_protected() {
    let mut rng = Rng(99);
    for round in 0..20 {
        let (r, c) = (3 + rng.below(4), 3 + rng.below(5));
        let scale = [1.0, 1e6, 1e-2][round % 3];
        let value = |rng: &mut Rng| match rng.below(6) {
            0 => 0.0,
            k => rng.value(scale) * [1.0, 1e-3, 1e3][k % 3],
        };
        let x: Vec<Vec<f64>> = (0..r).map(|_| (0..c).map(|_| value(&mut rng)).collect()).collect();
        let mut table = grid(&x);
        for _ in 0..1 + rng.below(4) {
            let j = rng.below((r * c) as u64);
            table.cells[j].suppressed = true;
            let v = table.quantities[j].value;
            table.quantities[j] = table.quantities[j].clone().protect(0.1 * v);
        }
        let result = protect(&table).expect("valid table");
        check_protected(&table, &result);
        if scale == 1.0 {
            check_against_plain_lp(&table, &result);
        }
    }
}

/// Re-derives every target's interval from one unreduced, unscaled LP over the whole table.
fn check_against_plain_lp(table: &Table, result: &AuditResult) {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let solve = |t: usize, direction| {
        let mut problem = Problem::new(direction);
        let vars: Vec<_> = table
            .quantities
            .iter()
            .enumerate()
            .map(|(j, q)| problem.add_var(if j == t { 1.0 } else { 0.0 }, (q.lower, q.upper)))
            .collect();
        for e in &table.equations {
            problem.add_constraint(e.terms.iter().map(|&(j, a)| (vars[j], a)), ComparisonOp::Eq, e.rhs);
        }
        for (cell, status) in table.cells.iter().zip(&result.cells) {
            if *status == CellStatus::Published {
                problem.add_constraint(
                    cell.terms.iter().map(|&(j, a)| (vars[j], a)),
                    ComparisonOp::Eq,
                    cell.value,
                );
            }
        }
        match problem.solve() {
            Ok(outcome) => outcome.into_solution().expect("no time limit").objective(),
            Err(microlp::Error::Unbounded) => match direction {
                OptimizationDirection::Minimize => f64::NEG_INFINITY,
                OptimizationDirection::Maximize => f64::INFINITY,
            },
            Err(e) => panic!("plain LP failed: {e}"),
        }
    };
    for t in &result.targets {
        let lo = solve(t.quantity, OptimizationDirection::Minimize);
        let hi = solve(t.quantity, OptimizationDirection::Maximize);
        let tol = 1e-6 * t.value.abs().max(1.0);
        assert!((lo - t.lo).abs() <= tol || lo == t.lo, "lo {lo} vs {}", t.lo);
        assert!((hi - t.hi).abs() <= tol || hi == t.hi, "hi {hi} vs {}", t.hi);
    }
}
