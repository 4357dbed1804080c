//! What a report workbook holds, independent of how it is written.
//!
//! The three reports (sector demand, risk flags, policy reach) are built as a [`Book`]:
//! a cover, sheets each holding one table (and at most one chart over it), and method
//! notes. [`super::xlsx::write_book`] turns a book into an `.xlsx` file. Keeping the
//! content apart from the writer lets tests assert on figures without opening Excel
//! files, and keeps every formatting decision in one place.

use survey_def::Lang;

/// Symbol written in a cell suppressed by disclosure control ("confidential").
pub const SYMBOL_SUPPRESSED: &str = "[c]";
/// Symbol written where a figure cannot be computed (no variance estimate, no answers).
pub const SYMBOL_NOT_AVAILABLE: &str = "[x]";
/// Symbol written in the quality column of a figure to use with caution (CV above 0.3).
pub const SYMBOL_CAUTION: &str = "[u]";

/// One report workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    /// File name within the report folder, e.g. `sector-demand.xlsx`.
    pub file_name: String,
    /// Language of every label.
    pub lang: Lang,
    /// The first sheet.
    pub cover: Cover,
    /// Table sheets, in order, after the cover.
    pub sheets: Vec<Sheet>,
    /// The method-notes sheet, last.
    pub notes: Vec<NoteSection>,
    /// Every printed figure, for `figures.csv` (a published book's; empty otherwise).
    pub figures: Vec<crate::publication::FigureRow>,
}

/// Who may read a workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every figure passed disclosure control: fit for publication.
    Published,
    /// Holds enterprise-level rows: for officials only, never for publication.
    OfficialsOnly,
}

/// The cover sheet: what the workbook is, what it rests on, how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cover {
    /// Title of the workbook.
    pub title: String,
    /// One line under the title, e.g. "Weighted estimates" or "Unweighted, respondents only".
    pub subtitle: String,
    /// Publication status, printed prominently.
    pub audience: Audience,
    /// The audience line as shown (localised).
    pub audience_text: String,
    /// Label / value pairs: survey, period, data as of, returns received and accepted...
    pub facts: Vec<(String, String)>,
    /// Paragraphs on how to read the tables (symbols, intervals, quality marks).
    pub how_to_read: Vec<String>,
    /// Contents: sheet name and a one-line description, in sheet order.
    pub contents: Vec<(String, String)>,
}

/// A sheet holding one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Sheet name: at most 31 characters, none of `[]:*?/\`, unique in the book.
    pub name: String,
    /// Title printed above the table.
    pub title: String,
    /// Lines between the title and the table (universe, weighting, units).
    pub intro: Vec<String>,
    /// The table.
    pub table: Table,
    /// A chart drawn from the table, placed beside it.
    pub chart: Option<Chart>,
    /// How the sheet prints.
    pub print: Print,
}

/// How a sheet prints. Every sheet prints on A4, one page wide, with the sheet name above
/// and the page number below; this is what differs between sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Print {
    /// Page orientation.
    pub orientation: Orientation,
    /// Whether the table's header row is printed again at the top of every page.
    pub repeat_header: bool,
}

impl Default for Print {
    /// A table: landscape, so its columns fit across, with its header on every page.
    fn default() -> Self {
        Print {
            orientation: Orientation::Landscape,
            repeat_header: true,
        }
    }
}

/// Page orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Wider than tall: tables.
    Landscape,
    /// Taller than wide: text (cover, notes).
    Portrait,
}

/// A table written as an Excel table (autofilter, banded rows, frozen header).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Excel table name: letters, digits and `_`, starting with a letter, unique in the book.
    pub name: String,
    /// Columns, left to right.
    pub columns: Vec<Column>,
    /// Rows of cells, one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Lines printed under the table.
    pub footnotes: Vec<String>,
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text.
    pub header: String,
    /// Number format of its cells.
    pub format: Format,
    /// Conditional formatting over its cells.
    pub style: ColumnStyle,
}

/// How the numbers of a column are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text (codes, labels); text is always written as text, never as a formula.
    Text,
    /// Whole persons or enterprises, `#,##0`.
    Persons,
    /// Counts of enterprises (respondents, flags), `#,##0`.
    Count,
    /// A share or rate stored as a fraction, shown `0.0%`.
    Percent,
    /// Money in yuan, `#,##0`.
    Yuan,
    /// A standard error or other measure with decimals, `#,##0.00`.
    Decimal,
    /// A coefficient of variation (fraction), `0.000`.
    Cv,
}

/// Conditional formatting of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnStyle {
    /// None.
    Plain,
    /// Data bars proportional to the value.
    DataBar,
    /// Severity colours: cells equal to the first text red, the second amber, the third
    /// yellow (the localised names of high, medium, low).
    Severity {
        /// Text of a high-severity cell.
        high: String,
        /// Text of a medium-severity cell.
        medium: String,
        /// Text of a low-severity cell.
        low: String,
    },
    /// Quality marks: a cell holding [`SYMBOL_CAUTION`] or [`SYMBOL_SUPPRESSED`] is shaded.
    Quality,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Blank,
    /// Text, written as a string even if it starts with `=`.
    Text(String),
    /// A number in the column's format.
    Number(f64),
    /// A number in its own format, overriding the column's (a long table holding persons,
    /// rates and yuan in one estimate column).
    Formatted(f64, Format),
    /// Suppressed by disclosure control: written as [`SYMBOL_SUPPRESSED`].
    Suppressed,
    /// Cannot be computed: written as [`SYMBOL_NOT_AVAILABLE`].
    NotAvailable,
}

impl Cell {
    /// A number, or [`Cell::NotAvailable`] when there is none.
    pub fn number(value: Option<f64>) -> Cell {
        match value {
            Some(v) if v.is_finite() => Cell::Number(v),
            _ => Cell::NotAvailable,
        }
    }

    /// Text.
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }
}

/// A native Excel chart over a block of table rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Bars (horizontal) suit long category names; columns suit few categories.
    pub kind: ChartKind,
    /// Chart title.
    pub title: String,
    /// Column (index into the table's columns) holding the category labels.
    pub categories: usize,
    /// Columns holding the values, one series each (named by the column header).
    pub values: Vec<usize>,
    /// Table rows drawn, as a half-open range of row indices (not counting the header).
    pub rows: std::ops::Range<usize>,
}

/// Chart type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Horizontal bars.
    Bar,
    /// Vertical columns.
    Column,
}

/// A heading and its paragraphs on the method-notes sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteSection {
    /// Heading.
    pub heading: String,
    /// Paragraphs.
    pub paragraphs: Vec<String>,
}

/// A workbook described: everything particular to one report. [`crate::context::Context::book`]
/// adds what every report shares (the cover with its facts and contents, the method notes)
/// and gives the [`Book`] the writer renders; a new report is a new description, never a
/// copy of the assembly.
#[derive(Debug, Clone)]
pub struct BookPlan<'a> {
    /// File name within the report folder.
    pub file_name: &'static str,
    /// Title on the cover.
    pub title: String,
    /// Who may read it.
    pub audience: Audience,
    /// Its table sheets, in order.
    pub sheets: Vec<Sheet>,
    /// Notes particular to it (what its measures are, its rules), before the shared
    /// method notes.
    pub notes: Vec<NoteSection>,
    /// The disclosure audit its published figures passed, for the method notes.
    pub audit: Option<&'a crate::publication::AuditSummary>,
    /// Every printed figure, for `figures.csv` (a published book's; empty otherwise).
    pub figures: Vec<crate::publication::FigureRow>,
}
