//! `figures.csv`: every printed cell of the published workbooks in machine form, one row
//! per cell (UTF-8, a header row, numbers as the shortest text that reads back to the same
//! double). A suppressed cell has no estimate, no standard error and no interval.

use super::FigureRow;
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

/// The status column of a figure.
fn status(row: &FigureRow) -> &'static str {
    let f = &row.figure;
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

/// The bytes of `figures.csv` for the rows of each published workbook (file name, rows).
pub fn figures_csv<'a>(books: impl IntoIterator<Item = (&'a str, &'a [FigureRow])>) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for (workbook, rows) in books {
        for row in rows {
            let f = &row.figure;
            let shown = f.status.is_published().then_some(f.estimate.as_ref()).flatten();
            writer.write_record([
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
            ])?;
        }
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
