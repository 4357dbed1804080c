//! Returns as received: every answer with the place it came from, before any checking.
//! Readers (`xlsx`, `json`) produce these; `validate` turns them into checked returns.

use crate::rejection::{Location, Rejection};

/// A value as a reader found it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RawValue {
    /// Nothing (blank cell, `null`, absent).
    Empty,
    /// Text as typed.
    Text(String),
    /// A number cell or JSON number.
    Number(f64),
    /// A boolean cell or JSON `true`/`false`.
    Bool(bool),
    /// An Excel date cell, as its serial number (days since 1899-12-30).
    ExcelDate(f64),
    /// A JSON array (multiple choice).
    List(Vec<RawValue>),
    /// A JSON object where a value was expected.
    Object,
    /// An Excel error cell such as `#DIV/0!`.
    CellError(String),
}

impl RawValue {
    /// True for a blank: empty, or text of spaces only.
    pub fn is_blank(&self) -> bool {
        match self {
            RawValue::Empty => true,
            RawValue::Text(t) => t.trim().is_empty(),
            RawValue::List(items) => items.is_empty(),
            _ => false,
        }
    }

    /// The value as it reads in a report.
    pub fn display(&self) -> String {
        match self {
            RawValue::Empty => String::new(),
            RawValue::Text(t) => t.clone(),
            RawValue::Number(n) => format_number(*n),
            RawValue::Bool(b) => b.to_string(),
            RawValue::ExcelDate(d) => format!("excel-date:{d}"),
            RawValue::List(items) => format!(
                "[{}]",
                items.iter().map(RawValue::display).collect::<Vec<_>>().join(", ")
            ),
            RawValue::Object => "{…}".into(),
            RawValue::CellError(e) => e.clone(),
        }
    }
}

/// A number as a person writes it: `12`, not `12.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Where a value sits in a JSON return, by position: `answers[answer]`, or a row (or a
/// row's cell) of `tables[table]`. Writing the path out costs an allocation per value, so
/// the reader records this instead and the path is written when a rejection needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueRef {
    /// `answers[k]`.
    Answer(usize),
    /// Row `row` of `tables[table]`, as numbered in the return (blank rows included).
    Row {
        /// Index in `RawReturn::tables`.
        table: usize,
        /// Index of the row.
        row: usize,
    },
    /// Cell `cell` of that row.
    Cell {
        /// Index in `RawReturn::tables`.
        table: usize,
        /// Index of the row.
        row: usize,
        /// Index in `RawRow::cells`.
        cell: usize,
    },
}

impl ValueRef {
    /// A location naming this value, to be completed by `RawReturn::locate`.
    pub fn location(self) -> Location {
        Location {
            value: Some(self),
            ..Location::default()
        }
    }
}

/// One answer and where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCell {
    /// The value.
    pub value: RawValue,
    /// Where.
    pub location: Location,
}

/// One row of a repeating table.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// Cells by column id.
    pub cells: Vec<(String, RawCell)>,
    /// Where the row is (its first cell, or its JSON path).
    pub location: Location,
}

/// One return as received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawReturn {
    /// Where the return is: the file, and the sheet row or JSON line for files with many.
    pub source: Location,
    /// Survey id the return says it belongs to.
    pub survey_id: Option<String>,
    /// Definition version it says it was made from.
    pub version: Option<String>,
    /// Definition fingerprint it carries (templates).
    pub fingerprint: Option<String>,
    /// Submission time as recorded by the form, raw.
    pub submitted_at: Option<String>,
    /// Modification time of the file, seconds since the epoch (the fallback for ordering
    /// duplicates).
    pub file_modified: Option<i64>,
    /// Answers by question id (a multiple-choice option as `question:code`).
    pub answers: Vec<(String, RawCell)>,
    /// Rows of each repeating table.
    pub tables: Vec<(String, Vec<RawRow>)>,
    /// What reading noticed and the return should carry as warnings (a template read
    /// without its metadata sheet).
    pub notes: Vec<crate::rejection::Rejection>,
}

/// Bytes of text (lines, or returns' values) held in one batch at most, whatever its
/// count: lines may be 1 MB each, and a batch of thousands of them must not be held at
/// once.
pub const BATCH_BYTES: usize = 64 * 1024 * 1024;

impl RawValue {
    /// About how many bytes the value holds.
    fn approx_bytes(&self) -> usize {
        let own = std::mem::size_of::<RawValue>();
        match self {
            RawValue::Text(t) | RawValue::CellError(t) => own + t.len(),
            RawValue::List(items) => own + items.iter().map(RawValue::approx_bytes).sum::<usize>(),
            _ => own,
        }
    }
}

impl RawReturn {
    /// About how many bytes the return's answers hold: what a batch of returns counts
    /// against [`BATCH_BYTES`].
    pub fn approx_bytes(&self) -> usize {
        // A cell of a wide sheet carries its place with it: the file and sheet names.
        let cell = |(key, cell): &(String, RawCell)| {
            key.len()
                + std::mem::size_of::<(String, RawCell)>()
                + cell.value.approx_bytes()
                + cell.location.file.len()
                + cell.location.sheet.as_ref().map_or(0, String::len)
        };
        let answers: usize = self.answers.iter().map(cell).sum();
        let tables: usize = self
            .tables
            .iter()
            .flat_map(|(_, rows)| rows)
            .map(|row| row.cells.iter().map(cell).sum::<usize>())
            .sum();
        answers + tables
    }

    /// Completes a location made by `ValueRef::location` with the file, line and JSON path
    /// of the value; other locations are left as they are.
    pub fn locate(&self, location: &mut Location) {
        let Some(at) = location.value.take() else { return };
        let base = self.source.json_path.as_deref().unwrap_or("$");
        let table = |t: usize| self.tables.get(t).map_or("", |(id, _)| id.as_str());
        let path = match at {
            ValueRef::Answer(k) => {
                format!(
                    "{base}.answers.{}",
                    self.answers.get(k).map_or("", |(id, _)| id.as_str())
                )
            }
            ValueRef::Row { table: t, row } => format!("{base}.answers.{}[{row}]", table(t)),
            ValueRef::Cell { table: t, row, cell } => {
                let column = self
                    .tables
                    .get(t)
                    .and_then(|(_, rows)| rows.get(row))
                    .and_then(|r| r.cells.get(cell))
                    .map_or("", |(id, _)| id.as_str());
                format!("{base}.answers.{}[{row}].{column}", table(t))
            }
        };
        *location = Location::json(self.source.file.clone(), self.source.line, path);
    }
}

/// What a reader got from one file: the returns in it, or why the file (or one record
/// of it) could not be read. Every received return appears once.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// A readable return.
    Return(Box<RawReturn>),
    /// A file, or one record of a file, that could not be read as a return.
    Unreadable {
        /// Where.
        location: Location,
        /// Why.
        rejections: Vec<Rejection>,
    },
}
