//! Disclosure control of published tables (DOMAIN.md "Disclosure control").
//!
//! A published cell must not let a reader learn one enterprise's figure. Primary rules
//! look at the enterprises behind one cell: too few of them (threshold rule), or one or
//! two of them making up nearly all of it (dominance rule). Secondary suppression then
//! protects a primary-suppressed cell from recovery by subtraction from its line total.
//!
//! A cell is given as the contributions of its enterprises ([`Contributions`]): one value
//! per enterprise that reported one (sum an enterprise's vacancy lines first), as reported
//! and as weighted. Imputed values are never contributors: a cell resting on two reported
//! answers and two imputed ones rests on two enterprises.

/// Fewest enterprises a published cell may rest on.
pub const DEFAULT_MIN_ENTERPRISES: usize = 3;
/// Number of largest contributors the dominance rule adds up.
pub const DEFAULT_DOMINANCE_N: usize = 2;
/// Share of the cell total those contributors may reach before the cell is suppressed.
pub const DEFAULT_DOMINANCE_K: f64 = 0.85;
/// Protection level: an interval derived for a suppressed cell from what is published must
/// be at least this share of the cell's value wide.
pub const DEFAULT_PROTECTION: f64 = 0.1;

/// The enterprises behind one cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contributions {
    /// Each contributor's reported value (unweighted; an enterprise's lines summed).
    pub reported: Vec<f64>,
    /// Each contributor's weighted contribution, in the same order.
    pub weighted: Vec<f64>,
    /// Units in the cell's domain, contributors or not (imputed ones included): a domain
    /// with units and no contributor rests on no reported value.
    pub units: usize,
}

impl Contributions {
    /// A cell whose contributions are given once (unweighted tables, or where the rules
    /// look at the weighted values only); every unit is a contributor.
    pub fn of(values: &[f64]) -> Contributions {
        Contributions {
            reported: values.to_vec(),
            weighted: values.to_vec(),
            units: values.len(),
        }
    }

    /// The weighted size of the cell, by which secondary suppression picks the smallest.
    pub fn size(&self) -> f64 {
        self.weighted.iter().sum::<f64>().abs()
    }

    /// The contributions of several cells together (a line total, a parent).
    pub fn union<'a>(cells: impl IntoIterator<Item = &'a Contributions>) -> Contributions {
        let mut all = Contributions::default();
        for c in cells {
            all.reported.extend_from_slice(&c.reported);
            all.weighted.extend_from_slice(&c.weighted);
            all.units += c.units;
        }
        all
    }
}

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
    /// Protection level of the interval audit, as a share of a suppressed cell's value.
    pub protection: f64,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        DisclosureRules {
            min_enterprises: DEFAULT_MIN_ENTERPRISES,
            dominance_n: DEFAULT_DOMINANCE_N,
            dominance_k: DEFAULT_DOMINANCE_K,
            protection: DEFAULT_PROTECTION,
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
    /// Primary rules on one cell given once (weighted and reported alike): threshold
    /// first, then dominance. See [`DisclosureRules::judge`].
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
        self.judge(&Contributions::of(contributions))
    }

    /// Primary rules on one cell: threshold first, then dominance on the reported values
    /// and on the weighted ones (either failing suppresses the cell).
    ///
    /// A domain with no unit discloses nobody and is published. The threshold applies to
    /// the contributors (a domain whose units are all imputed rests on none) and to those
    /// contributing a non-zero value. Contributions are compared by size (absolute value),
    /// so a cell of decreases is judged like one of increases.
    ///
    /// ```
    /// use survey_analysis::{CellStatus, Contributions, DisclosureRules, SuppressionReason};
    /// let rules = DisclosureRules::default();
    /// // Two reported answers and two imputed ones: two contributors.
    /// let cell = Contributions { reported: vec![4.0, 5.0], weighted: vec![8.0, 10.0], units: 4 };
    /// assert_eq!(rules.judge(&cell), CellStatus::Suppressed { reason: SuppressionReason::Threshold });
    /// // Even weights hide a dominant reported value: 90 of 100 reported, 90 of 300 weighted.
    /// let cell = Contributions { reported: vec![90.0, 5.0, 5.0], weighted: vec![90.0, 105.0, 105.0], units: 3 };
    /// assert_eq!(rules.judge(&cell), CellStatus::Suppressed { reason: SuppressionReason::Dominance });
    /// ```
    pub fn judge(&self, cell: &Contributions) -> CellStatus {
        // A cell rests on its enterprises, and its value on those contributing to it: one
        // enterprise is too few even with 0, and two with vacancies among ten with none is
        // a value of two.
        let contributors = cell.reported.len();
        let contributing = cell.reported.iter().filter(|c| **c != 0.0).count();
        let too_few = |n: usize| n < self.min_enterprises;
        if (cell.units > 0 && too_few(contributors)) || (contributing > 0 && too_few(contributing)) {
            return CellStatus::suppressed(SuppressionReason::Threshold);
        }
        if self.dominated(&cell.reported) || self.dominated(&cell.weighted) {
            return CellStatus::suppressed(SuppressionReason::Dominance);
        }
        CellStatus::Published
    }

    /// True when the `dominance_n` largest of `contributions` (by size) hold more than
    /// `dominance_k` of their total.
    fn dominated(&self, contributions: &[f64]) -> bool {
        let mut sizes: Vec<f64> = contributions.iter().map(|c| c.abs()).collect();
        let total: f64 = sizes.iter().sum();
        if total <= 0.0 {
            return false;
        }
        // Only the largest few matter: bring them to the front (in descending order, as a
        // full sort would leave them) rather than sorting every contribution.
        let n = self.dominance_n.min(sizes.len());
        if n > 0 && n < sizes.len() {
            sizes.select_nth_unstable_by(n - 1, |a, b| b.total_cmp(a));
        }
        sizes[..n].sort_by(|a, b| b.total_cmp(a));
        let largest: f64 = sizes.iter().take(self.dominance_n).sum();
        // Compare the share, not largest > k * total: 85/100 is the same double as 0.85,
        // while 0.85 * 100 need not be exactly 85.
        largest / total > self.dominance_k
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
    /// use survey_analysis::Contributions;
    /// let cells = [vec![10.0, 20.0, 30.0], vec![5.0, 6.0, 7.0], vec![1.0, 2.0], vec![100.0, 200.0, 300.0]];
    /// let cells: Vec<Contributions> = cells.iter().map(|c| Contributions::of(c)).collect();
    /// let line = DisclosureRules::default().line(&cells);
    /// assert_eq!(line.cells[2], CellStatus::Suppressed { reason: SuppressionReason::Threshold });
    /// assert_eq!(line.cells[1], CellStatus::Suppressed { reason: SuppressionReason::Secondary });
    /// assert!(line.cells[0].is_published() && line.cells[3].is_published() && line.total.is_published());
    /// ```
    pub fn line(&self, cells: &[Contributions]) -> LineStatus {
        let statuses: Vec<CellStatus> = cells.iter().map(|c| self.judge(c)).collect();
        let total = self.judge(&Contributions::union(cells));
        let sizes: Vec<f64> = cells.iter().map(Contributions::size).collect();
        Self::protect_line(statuses, &sizes, total)
    }

    /// Secondary suppression of one line whose primary statuses are known: when exactly
    /// one cell is suppressed and the total is shown, the smallest other non-zero cell (by
    /// `sizes`) is suppressed too, else the total.
    pub fn protect_line(mut statuses: Vec<CellStatus>, sizes: &[f64], mut total: CellStatus) -> LineStatus {
        let primary_suppressed = statuses.iter().filter(|s| !s.is_published()).count();
        if total.is_published() && primary_suppressed == 1 {
            let partner = (0..statuses.len())
                .filter(|&i| statuses[i].is_published() && sizes[i] != 0.0)
                .min_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(a.cmp(&b)));
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

    fn of(cells: &[Vec<f64>]) -> Vec<Contributions> {
        cells.iter().map(|c| Contributions::of(c)).collect()
    }

    /// DOMAIN.md: an imputed value is never a contributor; dominance on the reported and on
    /// the weighted values, either failing.
    #[test]
    fn imputed_units_are_not_contributors_and_dominance_reads_both_values() {
        let rules = DisclosureRules::default();
        // 2 reported + 4 imputed: rests on 2.
        let two_of_six = Contributions {
            reported: vec![3.0, 4.0],
            weighted: vec![9.0, 12.0],
            units: 6,
        };
        assert_eq!(rules.judge(&two_of_six), THRESHOLD);
        // Every unit imputed: rests on none.
        let none = Contributions {
            reported: vec![],
            weighted: vec![],
            units: 4,
        };
        assert_eq!(rules.judge(&none), THRESHOLD);
        // An empty domain discloses nobody.
        assert_eq!(rules.judge(&Contributions::default()), CellStatus::Published);
        // Weighted: 100 + 10 of 210 = 52%; reported: 100 + 10 of 112 = 98% > 85%.
        let reported_dominance = Contributions {
            reported: vec![100.0, 10.0, 2.0],
            weighted: vec![100.0, 10.0, 100.0],
            units: 3,
        };
        assert_eq!(rules.judge(&reported_dominance), DOMINANCE);
        // Reported 40 + 30 of 100 = 70%; weighted 400 + 30 of 460 = 93% > 85%.
        let weighted_dominance = Contributions {
            reported: vec![40.0, 30.0, 30.0],
            weighted: vec![400.0, 30.0, 30.0],
            units: 3,
        };
        assert_eq!(rules.judge(&weighted_dominance), DOMINANCE);
    }

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
        let line = DisclosureRules::default().line(&of(&cells));
        assert_eq!(
            line.cells,
            vec![CellStatus::Published, THRESHOLD, SECONDARY, CellStatus::Published]
        );
        assert_eq!(line.total, CellStatus::Published);
    }

    #[test]
    fn two_primary_cells_need_no_secondary() {
        let cells = [vec![1.0], vec![2.0, 3.0], vec![10.0, 11.0, 12.0]];
        let line = DisclosureRules::default().line(&of(&cells));
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
        let line = rules.line(&of(&[vec![1.0, 2.0], vec![0.0, 0.0, 0.0]]));
        assert_eq!(line.cells, vec![THRESHOLD, CellStatus::Published]);
        assert_eq!(line.total, THRESHOLD);
    }

    #[test]
    fn lone_cell_line_shares_the_cells_fate() {
        // The total rests on the same enterprises, so the primary rule blanks it too.
        let line = DisclosureRules::default().line(&of(&[vec![5.0, 6.0]]));
        assert_eq!(line.cells, vec![THRESHOLD]);
        assert_eq!(line.total, THRESHOLD);
    }
}
