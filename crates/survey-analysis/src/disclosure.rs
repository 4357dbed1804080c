//! Disclosure control of published tables (DOMAIN.md "Disclosure control").
//!
//! A published cell must not let a reader learn one enterprise's figure. Primary rules
//! look at the enterprises behind one cell: too few of them (threshold rule), or one or
//! two of them making up nearly all of it (dominance rule). Secondary suppression then
//! protects a primary-suppressed cell from recovery by subtraction from its line total.
//!
//! A cell is given as the contributions of its enterprises, one value per enterprise
//! (sum an enterprise's vacancy lines first): weighted or not, as the table publishes.

/// Fewest enterprises a published cell may rest on.
pub const DEFAULT_MIN_ENTERPRISES: usize = 3;
/// Number of largest contributors the dominance rule adds up.
pub const DEFAULT_DOMINANCE_N: usize = 2;
/// Share of the cell total those contributors may reach before the cell is suppressed.
pub const DEFAULT_DOMINANCE_K: f64 = 0.85;

/// The parameters of the primary rules; the defaults are those of DOMAIN.md.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosureRules {
    /// Threshold rule: a cell with 1 to `min_enterprises - 1` enterprises is suppressed.
    pub min_enterprises: usize,
    /// Dominance rule (n, k): suppressed when the `dominance_n` largest contributions
    /// exceed `dominance_k` of the cell total.
    pub dominance_n: usize,
    /// The k of the (n, k) dominance rule, as a share (0.85 for 85%).
    pub dominance_k: f64,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        DisclosureRules {
            min_enterprises: DEFAULT_MIN_ENTERPRISES,
            dominance_n: DEFAULT_DOMINANCE_N,
            dominance_k: DEFAULT_DOMINANCE_K,
        }
    }
}

/// Why a cell is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SuppressionReason {
    /// Too few enterprises in the cell.
    Threshold,
    /// A few enterprises make up nearly all of the cell.
    Dominance,
    /// Suppressed to protect another suppressed cell of the same line.
    Secondary,
}

/// Whether a cell may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStatus {
    /// The cell may be shown.
    Published,
    /// The cell must be blanked.
    Suppressed {
        /// The rule that blanked it.
        reason: SuppressionReason,
    },
}

impl CellStatus {
    /// True for [`CellStatus::Published`].
    pub fn is_published(&self) -> bool {
        matches!(self, CellStatus::Published)
    }

    fn suppressed(reason: SuppressionReason) -> Self {
        CellStatus::Suppressed { reason }
    }
}

/// Status of every cell of one row or column, and of its total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineStatus {
    /// One status per cell, in the order given.
    pub cells: Vec<CellStatus>,
    /// Status of the line total.
    pub total: CellStatus,
}

impl DisclosureRules {
    /// Primary rules on one cell: threshold first, then dominance.
    ///
    /// An empty cell (no enterprise) discloses nobody and is published. The threshold
    /// applies to the enterprises in the cell and to those contributing a non-zero value. Contributions are
    /// compared by size (absolute value), so a cell of decreases is judged like one of increases.
    ///
    /// ```
    /// use survey_analysis::{CellStatus, DisclosureRules, SuppressionReason};
    /// let rules = DisclosureRules::default();
    /// assert_eq!(rules.primary(&[4.0, 3.0]), CellStatus::Suppressed { reason: SuppressionReason::Threshold });
    /// // 50 + 40 = 90% of 100 > 85%.
    /// assert_eq!(rules.primary(&[50.0, 40.0, 10.0]), CellStatus::Suppressed { reason: SuppressionReason::Dominance });
    /// assert_eq!(rules.primary(&[40.0, 30.0, 30.0]), CellStatus::Published);
    /// ```
    pub fn primary(&self, contributions: &[f64]) -> CellStatus {
        // A cell rests on its enterprises, and its value on those contributing to it: one
        // enterprise is too few even with 0, and two with vacancies among ten with none is
        // a value of two.
        let enterprises = contributions.len();
        let contributing = contributions.iter().filter(|c| **c != 0.0).count();
        let too_few = |n: usize| n > 0 && n < self.min_enterprises;
        if too_few(enterprises) || too_few(contributing) {
            return CellStatus::suppressed(SuppressionReason::Threshold);
        }
        let mut sizes: Vec<f64> = contributions.iter().map(|c| c.abs()).collect();
        let total: f64 = sizes.iter().sum();
        if total > 0.0 {
            // Only the largest few matter: bring them to the front (in descending order,
            // as a full sort would leave them) rather than sorting every contribution.
            let n = self.dominance_n.min(sizes.len());
            if n > 0 && n < sizes.len() {
                sizes.select_nth_unstable_by(n - 1, |a, b| b.total_cmp(a));
            }
            sizes[..n].sort_by(|a, b| b.total_cmp(a));
            let largest: f64 = sizes.iter().take(self.dominance_n).sum();
            // Compare the share, not largest > k * total: 85/100 is the same double as
            // 0.85, while 0.85 * 100 need not be exactly 85.
            if largest / total > self.dominance_k {
                return CellStatus::suppressed(SuppressionReason::Dominance);
            }
        }
        CellStatus::Published
    }

    /// Primary and secondary suppression for one row or column published with its total.
    ///
    /// The cells must split the line's enterprises (each enterprise in one cell, as in a
    /// breakdown by sector or size class), so the total's contributions are all of theirs
    /// and the total itself is checked by the primary rules.
    ///
    /// When exactly one cell is primary-suppressed and the total is shown, that cell would
    /// be the total minus the others; so one more cell is suppressed: the smallest remaining
    /// cell with a non-zero value (the least information lost), the earliest on a tie. When
    /// every other cell is zero or empty, blanking one of them would not help (the reader
    /// could still subtract), so the total is suppressed instead. Two or more suppressed
    /// cells already hide each other's values from the total.
    ///
    /// ```
    /// use survey_analysis::{CellStatus, DisclosureRules, SuppressionReason};
    /// let cells = [vec![10.0, 20.0, 30.0], vec![5.0, 6.0, 7.0], vec![1.0, 2.0], vec![100.0, 200.0, 300.0]];
    /// let line = DisclosureRules::default().line(&cells);
    /// assert_eq!(line.cells[2], CellStatus::Suppressed { reason: SuppressionReason::Threshold });
    /// assert_eq!(line.cells[1], CellStatus::Suppressed { reason: SuppressionReason::Secondary });
    /// assert!(line.cells[0].is_published() && line.cells[3].is_published() && line.total.is_published());
    /// ```
    pub fn line<C: AsRef<[f64]>>(&self, cells: &[C]) -> LineStatus {
        let mut statuses: Vec<CellStatus> = cells.iter().map(|c| self.primary(c.as_ref())).collect();
        let all: Vec<f64> = cells.iter().flat_map(|c| c.as_ref().iter().copied()).collect();
        let mut total = self.primary(&all);
        let primary_suppressed = statuses.iter().filter(|s| !s.is_published()).count();
        if total.is_published() && primary_suppressed == 1 {
            let value = |i: usize| cells[i].as_ref().iter().sum::<f64>().abs();
            let partner = (0..cells.len())
                .filter(|&i| statuses[i].is_published() && value(i) != 0.0)
                .min_by(|&a, &b| value(a).total_cmp(&value(b)).then(a.cmp(&b)));
            match partner {
                Some(i) => statuses[i] = CellStatus::suppressed(SuppressionReason::Secondary),
                None => total = CellStatus::suppressed(SuppressionReason::Secondary),
            }
        }
        LineStatus { cells: statuses, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLD: CellStatus = CellStatus::Suppressed {
        reason: SuppressionReason::Threshold,
    };
    const DOMINANCE: CellStatus = CellStatus::Suppressed {
        reason: SuppressionReason::Dominance,
    };
    const SECONDARY: CellStatus = CellStatus::Suppressed {
        reason: SuppressionReason::Secondary,
    };

    #[test]
    fn threshold_counts_enterprises_not_value() {
        let rules = DisclosureRules::default();
        assert_eq!(rules.primary(&[1.0, 1.0]), THRESHOLD);
        assert_eq!(rules.primary(&[1.0, 1.0, 1.0]), CellStatus::Published);
        assert_eq!(rules.primary(&[]), CellStatus::Published);
        // Zeros do not make up the numbers: one enterprise with a value among three zeros.
        assert_eq!(rules.primary(&[5.0, 0.0, 0.0, 0.0]), THRESHOLD);
        assert_eq!(rules.primary(&[0.0, 0.0, 0.0]), CellStatus::Published);
        let strict = DisclosureRules {
            min_enterprises: 5,
            ..DisclosureRules::default()
        };
        assert_eq!(strict.primary(&[1.0; 4]), THRESHOLD);
    }

    #[test]
    fn dominance_needs_more_than_k() {
        let rules = DisclosureRules::default();
        // Exactly 85%: 45 + 40 of 100 is not more than 85%.
        assert_eq!(rules.primary(&[45.0, 40.0, 15.0]), CellStatus::Published);
        assert_eq!(rules.primary(&[45.0, 40.1, 14.9]), DOMINANCE);
        // One giant among many small contributors.
        assert_eq!(rules.primary(&[1000.0, 10.0, 10.0, 10.0, 10.0, 10.0]), DOMINANCE);
        // (1, 0.5): one enterprise over half the cell.
        let one = DisclosureRules {
            dominance_n: 1,
            dominance_k: 0.5,
            ..DisclosureRules::default()
        };
        assert_eq!(one.primary(&[51.0, 25.0, 24.0]), DOMINANCE);
        assert_eq!(one.primary(&[50.0, 25.0, 25.0]), CellStatus::Published);
    }

    #[test]
    fn secondary_skips_zero_cells() {
        // Cell 0 is three enterprises with 0 (published, value 0); cell 1 fails the threshold.
        let cells = [
            vec![0.0, 0.0, 0.0],
            vec![1.0, 2.0],
            vec![10.0, 11.0, 12.0],
            vec![20.0, 21.0, 22.0],
        ];
        let line = DisclosureRules::default().line(&cells);
        assert_eq!(
            line.cells,
            vec![CellStatus::Published, THRESHOLD, SECONDARY, CellStatus::Published]
        );
        assert_eq!(line.total, CellStatus::Published);
    }

    #[test]
    fn two_primary_cells_need_no_secondary() {
        let cells = [vec![1.0], vec![2.0, 3.0], vec![10.0, 11.0, 12.0]];
        let line = DisclosureRules::default().line(&cells);
        assert_eq!(line.cells, vec![THRESHOLD, THRESHOLD, CellStatus::Published]);
    }

    #[test]
    fn a_total_resting_on_the_suppressed_cell_alone_is_suppressed_too() {
        // Dominance switched off (k = 1): the other cell is all zeros, so the total rests
        // on the same two enterprises as the suppressed cell and fails the threshold itself.
        let rules = DisclosureRules {
            dominance_k: 1.0,
            ..DisclosureRules::default()
        };
        let line = rules.line(&[vec![1.0, 2.0], vec![0.0, 0.0, 0.0]]);
        assert_eq!(line.cells, vec![THRESHOLD, CellStatus::Published]);
        assert_eq!(line.total, THRESHOLD);
    }

    #[test]
    fn lone_cell_line_shares_the_cells_fate() {
        // The total rests on the same enterprises, so the primary rule blanks it too.
        let line = DisclosureRules::default().line(&[vec![5.0, 6.0]]);
        assert_eq!(line.cells, vec![THRESHOLD]);
        assert_eq!(line.total, THRESHOLD);
    }
}
