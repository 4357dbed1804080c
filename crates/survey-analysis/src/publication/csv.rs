//! `figures.csv`: every printed cell of the published workbooks in machine form, one row
//! per cell (UTF-8, a header row, numbers as the shortest text that reads back to the same
//! double). A suppressed cell has no estimate, no standard error and no interval. An
//! analysis with a previous wave adds its figure and the change (headline rows) as four
//! last columns.

use super::FigureRow;
use crate::figures::Change;
use crate::{CellStatus, SuppressionReason};

/// File name of the machine-readable figures, beside the published workbooks.
pub const FIGURES_FILE: &str = "figures.csv";

/// The columns, in order.
const HEADER: [&str; 16] = [
    "workbook",
    "sheet",
    "measure",
    "kind",
    "breakdown",
    "domain",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "enterprises",
    "imputed_share",
    "status",
    "measure_label",
    "domain_label",
];

/// The columns added when the analysis compares with a previous wave: its figure of the
/// measure (headline rows), its status and the change. Left out otherwise, so the file of
/// an analysis without a previous wave is what it always was.
const PREVIOUS_HEADER: [&str; 4] = ["previous_estimate", "previous_status", "change", "relative_change"];

/// The status column of a figure.
fn status(row: &FigureRow) -> &'static str {
    figure_status(&row.figure)
}

/// The status of a figure as `figures.csv` writes it.
fn figure_status(f: &crate::figures::Figure) -> &'static str {
    match f.status {
        CellStatus::Suppressed { reason } => match reason {
            SuppressionReason::Threshold => "suppressed_threshold",
            SuppressionReason::Dominance => "suppressed_dominance",
            SuppressionReason::Secondary => "suppressed_secondary",
        },
        CellStatus::Published if f.estimate.is_none() => "not_available",
        CellStatus::Published if f.caution() => "caution",
        CellStatus::Published => "published",
    }
}

fn number(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
}

/// The previous-wave columns of a row: empty off the headline sheet; `not_measured` where
/// the previous wave does not measure the figure.
fn previous_cells(row: &FigureRow) -> [String; 4] {
    let Some(c) = &row.change else {
        return Default::default();
    };
    let (absolute, relative) = match c.change {
        Change::Value { absolute, relative } => (Some(absolute), relative),
        Change::Suppressed | Change::NotAvailable => (None, None),
    };
    [
        number(c.previous_value()),
        c.previous.as_ref().map_or("not_measured", figure_status).to_owned(),
        number(absolute),
        number(relative),
    ]
}

/// The bytes of `figures.csv` for the rows of each published workbook (file name, rows).
/// When a row carries the previous wave's figure, every row gets the previous-wave
/// columns, after the others.
pub fn figures_csv<'a>(books: impl IntoIterator<Item = (&'a str, &'a [FigureRow])>) -> Result<Vec<u8>, csv::Error> {
    let books: Vec<(&str, &[FigureRow])> = books.into_iter().collect();
    let with_previous = books.iter().any(|(_, rows)| rows.iter().any(|r| r.change.is_some()));
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header: Vec<&str> = HEADER.to_vec();
    if with_previous {
        header.extend(PREVIOUS_HEADER);
    }
    writer.write_record(&header)?;
    for (workbook, rows) in books {
        for row in rows {
            let f = &row.figure;
            let shown = f.status.is_published().then_some(f.estimate.as_ref()).flatten();
            let mut record = vec![
                workbook.to_owned(),
                row.sheet.clone(),
                row.measure.clone(),
                row.kind.to_owned(),
                row.breakdown.to_owned(),
                row.domain.clone(),
                number(shown.map(|e| e.value)),
                number(shown.and_then(|e| e.se)),
                number(shown.and_then(|e| e.ci_low)),
                number(shown.and_then(|e| e.ci_high)),
                number(shown.and_then(|e| e.cv)),
                f.enterprises.to_string(),
                number(f.imputed_share),
                status(row).to_owned(),
                row.measure_label.clone(),
                row.domain_label.clone(),
            ];
            if with_previous {
                record.extend(previous_cells(row));
            }
            writer.write_record(&record)?;
        }
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
