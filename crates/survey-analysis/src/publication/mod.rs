//! What a published workbook reveals, and the audit that keeps it from revealing one
//! enterprise (DOMAIN.md "Disclosure control").
//!
//! A workbook's figures are gathered as [`FigureTable`]s before anything is written. Each
//! figure has a linear meaning ([`Meaning`]) over underlying quantities, one per
//! (quantity, breakdown, domain): a total is the quantity itself, a rate ties its
//! numerator to its denominator, a share gives its yes count (its base is public: the
//! frame). The structure a reader knows is added as identities: the domains of a complete
//! breakdown add up to the "all" figure, divisions to their section, occupations to their
//! major group, posts are employees plus vacancies, the options of a single choice add up
//! to everyone answering. [`Publication::protect`] hands this to the interval audit
//! ([`audit`]): for every primary-suppressed quantity, the minimum and maximum consistent
//! with everything published must be at least the protection level apart (10% of the
//! value by default), and when they are not, more cells are suppressed, cheapest first.

pub mod audit;
mod csv;
mod ledger;

use crate::context::Context;
use crate::figures::{Figure, FigureTable, WaveChange};
use crate::{CellStatus, SuppressionReason};
use serde::Serialize;

pub use self::csv::{FIGURES_FILE, figures_csv};

/// A relation between quantities that holds in every domain.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `sum(coefficient * quantity) = 0` in each domain where every quantity is
    /// estimated (posts = employees + vacancies).
    Linear(Vec<(String, f64)>),
    /// The quantities (the yes counts of the options of one single choice) add up to
    /// their common base in each domain.
    AddUpToBase(Vec<String>),
}

/// Every table of one workbook, with the relations between their quantities.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The tables, printed and audit-only.
    pub tables: Vec<FigureTable>,
    /// Relations between quantities.
    pub relations: Vec<Relation>,
}

/// What the interval audit of one workbook found, for `summary.json` and the method notes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuditSummary {
    /// Printed tables audited.
    pub tables: u64,
    /// Distinct published or suppressed cells with a linear meaning.
    pub cells: u64,
    /// Suppressed quantities whose interval was checked (primary suppressions).
    pub cells_checked: u64,
    /// Cells the audit suppressed on top of the primary rules (complementary suppressions).
    pub cells_added: u64,
    /// Narrowest interval of a checked quantity, as a share of what its rule protects: its
    /// value, a share's smaller side (yes or no count), one enterprise's mean contribution
    /// for a zero (`null`: none, or every interval unbounded).
    pub narrowest_interval: Option<f64>,
    /// The protection level required, as a share of a cell's value.
    pub protection: f64,
    /// True when every checked quantity is protected.
    pub all_protected: bool,
    /// Checked quantities that could not be protected (their interval stays narrower than
    /// the level even with every cell suppressed).
    pub unprotected: u64,
    /// Those quantities as `quantity breakdown domain` (never an enterprise).
    pub unprotected_cells: Vec<String>,
    /// Linear programmes solved.
    pub linear_programmes: u64,
    /// Linear programmes the solver failed on (counted as unsafe, so more is suppressed).
    pub solver_failures: u64,
    /// Why the audit could not run, when it could not; every cell with a linear meaning
    /// is then suppressed.
    pub error: Option<String>,
}

/// One printed cell as `figures.csv` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    /// The sheet.
    pub sheet: String,
    /// Measure id.
    pub measure: String,
    /// Measure name in the report language.
    pub measure_label: String,
    /// `total`, `ratio`, `share` or `quantile`.
    pub kind: &'static str,
    /// Breakdown id (`all` for figures over every enterprise).
    pub breakdown: &'static str,
    /// Domain code (`*` for all).
    pub domain: String,
    /// Domain name in the report language.
    pub domain_label: String,
    /// The figure.
    pub figure: Figure,
    /// The previous wave's figure of the measure and the change, on the headline sheet
    /// of an analysis with a previous wave (`None` elsewhere).
    pub change: Option<WaveChange>,
}

impl Publication {
    /// Audits the printed tables and suppresses what the audit asks for, in place.
    pub fn protect(&mut self, ctx: &Context<'_>) -> AuditSummary {
        ledger::protect(self, &ctx.rules)
    }

    /// Every printed cell, table by table, "all" first then each domain.
    pub fn figure_rows(&self, all_label: &str) -> Vec<FigureRow> {
        let mut rows = Vec::new();
        for table in &self.tables {
            let Some(sheet) = &table.sheet else { continue };
            for m in table.measures.iter().filter(|m| !m.hidden) {
                let row = |domain: &str, domain_label: &str, figure: &Figure| FigureRow {
                    sheet: sheet.clone(),
                    measure: m.id.clone(),
                    measure_label: m.label.clone(),
                    kind: m.meaning.kind(),
                    breakdown: table.breakdown.id,
                    domain: domain.to_owned(),
                    domain_label: domain_label.to_owned(),
                    figure: figure.clone(),
                    change: None,
                };
                rows.push(row(crate::figures::ALL_CODE, all_label, &m.line.all));
                for (d, f) in table.breakdown.domains.iter().zip(&m.line.domains) {
                    rows.push(row(&d.code, &d.label, f));
                }
            }
        }
        rows
    }
}

/// The status a figure ends with when the audit suppresses it.
pub(crate) const SECONDARY: CellStatus = CellStatus::Suppressed {
    reason: SuppressionReason::Secondary,
};
