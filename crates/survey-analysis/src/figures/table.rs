//! Long tables: how figures are printed in the workbooks, one block of rows per measure,
//! with the suppression and caution marks a reader needs to judge each value.

use super::{ALL_CODE, Breakdown, Figure, IMPUTED_SHARE_SHOWN, MeasureLine, tr};
use crate::report::book::{Cell, Column, ColumnStyle, Format, SYMBOL_CAUTION, SYMBOL_SUPPRESSED, Table};
use survey_def::Lang;

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
