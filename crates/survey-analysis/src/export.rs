//! The checked dataset as colleagues open it: one row per return with the questions'
//! labels as headers and the choices' labels as values, and the lines of each repeating
//! table beside it, as an Excel workbook or as CSV files Excel reads (UTF-8 with a byte
//! order mark, so Chinese shows).
//!
//! The export names enterprises: it is a restricted file (owner-only on Unix).

use crate::dataset::{Dataset, DatasetError};
use crate::figures::tr;
use crate::risk::number_text;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use survey_def::expr::Value;
use survey_def::{Definition, Lang, Question};
use survey_files::excel::{excel_text, sheet_name};
use survey_files::write::{Access, write_file_atomically};

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Language of headers and labels.
    pub lang: Lang,
    /// Question ids as headers and choice codes as values, for programs rather than people.
    pub codes: bool,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The output is neither `.csv` nor `.xlsx`.
    #[error("{}: the export is written as .csv or .xlsx", path.display())]
    Format {
        /// The output asked for.
        path: PathBuf,
    },
    /// The dataset cannot be read.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The workbook could not be built.
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// A CSV file could not be built.
    #[error("cannot build the CSV file: {0}")]
    Csv(#[from] csv::Error),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// One sheet (or CSV file) of the export: a header row and text or number cells.
struct Grid {
    /// Sheet name (a label, or an id with `--codes`).
    name: String,
    /// The table's id, naming its CSV file; none for the returns.
    table: Option<String>,
    header: Vec<String>,
    rows: Vec<Vec<Value>>,
    /// The question behind each column, to write its values.
    questions: Vec<Question>,
}

/// Writes the dataset in `dataset` (checked against `def`) to `out`: an `.xlsx` workbook
/// with a sheet of returns and a sheet per repeating table, or `.csv` files (the returns
/// in `out`, each table in `out`'s name followed by `-<table>`). Returns the files written.
pub fn export(
    def: &Definition,
    dataset: &Path,
    out: &Path,
    options: ExportOptions,
) -> Result<Vec<PathBuf>, ExportError> {
    let xlsx = match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xlsx") => true,
        Some("csv") => false,
        _ => {
            return Err(ExportError::Format { path: out.to_owned() });
        }
    };
    let questions: Vec<&Question> = def.questions().iter().filter(|q| q.kind.table().is_none()).collect();
    let ids: BTreeSet<String> = questions.iter().map(|q| q.id.clone()).collect();
    let columns: BTreeSet<(String, String)> = def
        .tables()
        .flat_map(|t| t.columns().iter().map(move |c| (t.id.clone(), c.id.clone())))
        .collect();
    let data = Dataset::read(dataset, def, &ids, &columns)?;
    let grids = grids(def, &data, &questions, options);
    let mut written = Vec::new();
    if xlsx {
        let bytes = workbook(&grids, def, options)?;
        write(out, &bytes)?;
        written.push(out.to_owned());
    } else {
        for grid in &grids {
            let path = match &grid.table {
                None => out.to_owned(),
                Some(table) => {
                    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("export");
                    out.with_file_name(format!("{stem}-{table}.csv"))
                }
            };
            write(&path, &csv_bytes(grid, def, options)?)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The returns, then each table's lines (with the enterprise id first).
fn grids(def: &Definition, data: &Dataset, questions: &[&Question], options: ExportOptions) -> Vec<Grid> {
    let header = |q: &Question| {
        if options.codes {
            q.id.clone()
        } else {
            q.label.get(options.lang).to_owned()
        }
    };
    let mut grids = vec![Grid {
        name: tr(options.lang, "回答", "Returns"),
        table: None,
        header: questions.iter().map(|q| header(q)).collect(),
        rows: (0..data.len())
            .map(|row| questions.iter().map(|q| data.value(def, &q.id, row)).collect())
            .collect(),
        questions: questions.iter().map(|&q| q.clone()).collect(),
    }];
    let Some(enterprise) = def.question(&def.survey().enterprise_question) else {
        return grids;
    };
    for table in def.tables() {
        let Some(lines) = data.tables.get(&table.id) else {
            continue;
        };
        let mut grid = Grid {
            name: if options.codes {
                table.id.clone()
            } else {
                table.label.get(options.lang).to_owned()
            },
            table: Some(table.id.clone()),
            header: vec![header(enterprise)],
            rows: Vec::new(),
            questions: vec![enterprise.clone()],
        };
        grid.header.extend(table.columns().iter().map(header));
        grid.questions.extend(table.columns().iter().cloned());
        for (line, &owner) in lines.owner.iter().enumerate() {
            let mut row = vec![Value::Text(data.enterprise_ids[owner].clone())];
            row.extend(table.columns().iter().map(|c| lines.value(def, &table.id, &c.id, line)));
            grid.rows.push(row);
        }
        grids.push(grid);
    }
    grids
}

/// A value as text: a choice by its label (or its code), yes/no in words, a date as
/// `YYYY-MM-DD`, several choices joined; a missing answer is blank.
fn text_of(def: &Definition, q: &Question, value: &Value, options: ExportOptions) -> String {
    let label = |code: &str| -> String {
        if options.codes {
            return code.to_owned();
        }
        q.kind
            .choices()
            .and_then(|c| c.options.iter().find(|o| o.code == code))
            .map_or_else(|| code.to_owned(), |o| o.label.get(options.lang).to_owned())
    };
    match value {
        Value::Missing => String::new(),
        Value::Text(t) if q.kind.choices().is_some() => label(t),
        Value::Codes(codes) => {
            let joined: Vec<String> = codes.iter().map(|c| label(c)).collect();
            // Codes as the dataset stores them; labels as a reader lists them.
            let separator = if options.codes {
                ";".to_owned()
            } else {
                tr(options.lang, "、", "; ")
            };
            joined.join(&separator)
        }
        Value::Bool(b) if options.codes => b.to_string(),
        other => crate::risk::answer_text(def, options.lang, &q.id, other),
    }
}

fn csv_bytes(grid: &Grid, def: &Definition, options: ExportOptions) -> Result<Vec<u8>, ExportError> {
    // The byte order mark tells Excel the file is UTF-8.
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&grid.header)?;
        for row in &grid.rows {
            w.write_record(row.iter().zip(&grid.questions).map(|(v, q)| match v {
                Value::Number(n) => number_text(*n),
                other => text_of(def, q, other, options),
            }))?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}

fn workbook(grids: &[Grid], def: &Definition, options: ExportOptions) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    // A fixed date, as on the reports, so the same dataset gives the same bytes.
    wb.set_properties(
        &DocProperties::new()
            .set_title(def.survey().title.get(options.lang))
            .set_author("labor-survey")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    let bold = Format::new().set_bold().set_text_wrap();
    let mut taken = vec![survey_files::excel::RESERVED_SHEET_NAME.to_owned()];
    for grid in grids {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&grid.name, &mut taken))?;
        for (c, h) in grid.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, excel_text(h), &bold)?;
            ws.set_column_width(c as u16, 16)?;
        }
        for (r, row) in grid.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, (v, q)) in row.iter().zip(&grid.questions).enumerate() {
                match v {
                    Value::Number(n) => {
                        ws.write_number(r, c as u16, *n)?;
                    }
                    Value::Missing => {}
                    other => {
                        ws.write_string(r, c as u16, excel_text(&text_of(def, q, other, options)))?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !grid.header.is_empty() {
            ws.autofilter(0, 0, grid.rows.len() as u32, grid.header.len() as u16 - 1)?;
        }
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(0, 0)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let error = |source| ExportError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    write_file_atomically(path, bytes, Access::Restricted).map_err(error)
}
