//! Wide export workbooks for the big-file cases: one sheet, a header row of column ids the
//! wide-export reader recognises, one row per return, written a row at a time from the
//! JSON Lines records of [`survey_sample::write_jsonl_returns`].
//!
//! The sample generator's own wide export holds every return in memory and writes a few
//! hundred; these workbooks hold tens of thousands of rows, so rows are streamed from the
//! records and rust_xlsxwriter flushes each row to disk as the next begins (its constant
//! and low memory modes). Two kinds:
//!
//! - [`Strings::Inline`]: cells as an online tool exports them (choice labels, 是/否,
//!   `code name` industries, dates as date cells), text as inline strings, so the sheet
//!   holds everything and there is no shared strings table;
//! - [`Strings::Distinct`]: every answer written as text made distinct without changing
//!   what it reads as (`label ~n [code]` choice entries, free text with ` ~n` appended,
//!   yes/no and ticked options as boolean cells), text in the shared strings table: a
//!   table of as many strings as the file has text answers, which the ingest must hold
//!   whole while it reads the sheet.

use crate::BenchError;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use survey_def::codes::INDUSTRY_DIVISIONS;
use survey_def::{Definition, Question, QuestionKind};
use survey_forms::layout::{self, OPTION_SEPARATOR};

/// How text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strings {
    /// As exported, inline in the sheet (constant memory mode).
    Inline,
    /// Every answer distinct, in the shared strings table (low memory mode).
    Distinct,
}

/// Columns before the questions, as online tools name them (the reader takes them as the
/// survey id, version and submission time).
const META: [&str; 3] = ["survey", "version", "submitted_at"];

/// What one column holds.
enum Column<'d> {
    Meta(&'static str),
    Question(&'d Question),
    /// One option of a multiple choice: ticked or not.
    Option(&'d Question, &'d str),
    /// A cell of a repeating table: its row (0-based) and column.
    Cell(&'d Question, usize, &'d Question),
}

/// The columns of a wide export of a definition: meta columns, then every asked question
/// in order, a multiple choice as one column per option (`question:code`) and a table as
/// `table[row].column` for as many rows as the longest table among the returns written.
pub(crate) struct Layout<'d> {
    columns: Vec<(String, Column<'d>)>,
}

/// The most rows each table has among records, to size the table columns before any row
/// is written (the header comes first).
#[derive(Debug, Default, Clone)]
pub(crate) struct TableRows(BTreeMap<String, usize>);

impl TableRows {
    /// Counts the rows of each table answer of one record.
    pub(crate) fn observe(&mut self, def: &Definition, record: &Value) {
        for table in def.tables() {
            let rows = record["answers"][table.id()].as_array().map_or(0, Vec::len);
            let most = self.0.entry(table.id().to_owned()).or_default();
            *most = (*most).max(rows);
        }
    }
}

impl<'d> Layout<'d> {
    pub(crate) fn new(def: &'d Definition, rows: &TableRows) -> Self {
        let mut columns: Vec<(String, Column<'d>)> = META.iter().map(|&m| (m.to_owned(), Column::Meta(m))).collect();
        for q in def.questions().iter().filter(|q| q.is_asked()) {
            match &q.kind {
                QuestionKind::Table(_) => {
                    for r in 0..rows.0.get(q.id()).copied().unwrap_or(0) {
                        for c in q.columns().iter().filter(|c| c.is_asked()) {
                            columns.push((format!("{}[{}].{}", q.id(), r + 1, c.id()), Column::Cell(q, r, c)));
                        }
                    }
                }
                QuestionKind::MultipleChoice(choices) => {
                    for o in &choices.options {
                        columns.push((
                            format!("{}{OPTION_SEPARATOR}{}", q.id(), o.code),
                            Column::Option(q, &o.code),
                        ));
                    }
                }
                QuestionKind::Integer(_)
                | QuestionKind::Decimal(_)
                | QuestionKind::Text { .. }
                | QuestionKind::Boolean
                | QuestionKind::Date
                | QuestionKind::SingleChoice(_)
                | QuestionKind::EnterpriseId
                | QuestionKind::IndustryCode
                | QuestionKind::OccupationCode
                | QuestionKind::Subdistrict(_) => columns.push((q.id().to_owned(), Column::Question(q))),
            }
        }
        Layout { columns }
    }

    /// The header row.
    pub(crate) fn header(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(name, _)| name.as_str())
    }

    /// Columns of the sheet.
    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }
}

/// What [`write`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// Data rows (returns).
    pub rows: u64,
    /// Distinct strings of the shared strings table ([`Strings::Distinct`] only).
    pub shared_strings: Option<u64>,
}

fn xlsx_failed(path: &Path) -> impl Fn(XlsxError) -> BenchError + '_ {
    move |e| BenchError::Stage(format!("{}: {e}", path.display()))
}

/// Writes up to `rows` records from `records` as a wide workbook at `path`, rust_xlsxwriter's
/// row files kept in `temp` (a folder of the work folder, not the system's).
pub(crate) fn write(
    layout: &Layout<'_>,
    records: &mut dyn Iterator<Item = Result<Value, BenchError>>,
    rows: u64,
    strings: Strings,
    path: &Path,
    temp: &Path,
) -> Result<Written, BenchError> {
    let failed = xlsx_failed(path);
    let mut workbook = Workbook::new();
    workbook.set_tempdir(temp).map_err(&failed)?;
    let sheet = match strings {
        Strings::Inline => workbook.add_worksheet_with_constant_memory(),
        Strings::Distinct => workbook.add_worksheet_with_low_memory(),
    }
    .map_err(&failed)?;
    sheet.set_name("export").map_err(&failed)?;
    let mut cells = Cells {
        strings,
        date: Format::new().set_num_format("yyyy-mm-dd"),
        next: 0,
        plain: HashSet::new(),
    };
    for (c, name) in layout.header().enumerate() {
        cells.plain(sheet, 0, c as u16, name).map_err(&failed)?;
    }
    let mut written = 0u64;
    while written < rows {
        let Some(record) = records.next() else { break };
        let record = record?;
        let row = u32::try_from(written + 1).map_err(|_| BenchError::Options("too many rows for a sheet".into()))?;
        for (c, (_, column)) in layout.columns.iter().enumerate() {
            cells.write(sheet, row, c as u16, column, &record).map_err(&failed)?;
        }
        written += 1;
    }
    workbook.save(path).map_err(&failed)?;
    Ok(Written {
        rows: written,
        shared_strings: (strings == Strings::Distinct).then(|| cells.next + cells.plain.len() as u64),
    })
}

/// Writes one cell at a time, keeping count of the distinct strings.
struct Cells {
    strings: Strings,
    date: Format,
    /// Strings made distinct so far (each by its own number).
    next: u64,
    /// Strings written as they are (header, meta columns, codes): counted once each.
    plain: HashSet<String>,
}

impl Cells {
    /// A string written as it is.
    fn plain(&mut self, sheet: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
        if self.strings == Strings::Distinct && !self.plain.contains(text) {
            self.plain.insert(text.to_owned());
        }
        sheet.write_string(row, col, text)?;
        Ok(())
    }

    /// A number no other string of the file carries (base 36, short).
    fn mark(&mut self) -> String {
        let mut n = self.next;
        self.next += 1;
        let mut digits = Vec::new();
        loop {
            digits.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
            n /= 36;
            if n == 0 {
                break;
            }
        }
        digits.iter().rev().collect()
    }

    fn yes_no(&mut self, sheet: &mut Worksheet, row: u32, col: u16, yes: bool) -> Result<(), XlsxError> {
        match self.strings {
            Strings::Inline => {
                sheet.write_string(row, col, layout::yes_no(survey_def::Lang::Zh)[usize::from(!yes)])?;
            }
            Strings::Distinct => {
                sheet.write_boolean(row, col, yes)?;
            }
        }
        Ok(())
    }

    fn write(
        &mut self,
        sheet: &mut Worksheet,
        row: u32,
        col: u16,
        column: &Column<'_>,
        record: &Value,
    ) -> Result<(), XlsxError> {
        let answers = &record["answers"];
        let (q, value) = match column {
            Column::Meta(m) => {
                if let Some(text) = record[*m].as_str() {
                    self.plain(sheet, row, col, text)?;
                }
                return Ok(());
            }
            Column::Option(q, code) => {
                if let Some(ticked) = answers[q.id()].as_array() {
                    self.yes_no(sheet, row, col, ticked.iter().any(|t| t.as_str() == Some(code)))?;
                }
                return Ok(());
            }
            Column::Question(q) => (*q, &answers[q.id()]),
            Column::Cell(table, r, c) => (*c, &answers[table.id()][*r][c.id()]),
        };
        match value {
            Value::Null | Value::Object(_) => {}
            Value::Number(n) => {
                if let Some(n) = n.as_f64() {
                    sheet.write_number(row, col, n)?;
                }
            }
            Value::Bool(b) => self.yes_no(sheet, row, col, *b)?,
            // A multiple choice is written as option columns; a list elsewhere is as
            // respondents type several codes in one cell.
            Value::Array(items) => {
                let codes: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                self.plain(sheet, row, col, &codes.join(";"))?;
            }
            Value::String(text) => self.text(sheet, row, col, q, text)?,
        }
        Ok(())
    }

    fn text(&mut self, sheet: &mut Worksheet, row: u32, col: u16, q: &Question, text: &str) -> Result<(), XlsxError> {
        let label = |code: &str| {
            let options = &q.kind.choices()?.options;
            let label = &options.iter().find(|o| o.code == code)?.label.zh;
            // Tools write the label; a label two options share would not read back.
            (options.iter().filter(|o| &o.label.zh == label).count() == 1).then_some(label.as_str())
        };
        let division = |code: &str| INDUSTRY_DIVISIONS.iter().find(|d| d.code == code).map(|d| d.zh);
        match (&q.kind, self.strings) {
            (QuestionKind::Date, _) => match ExcelDateTime::parse_from_str(text) {
                Ok(date) => {
                    sheet.write_datetime_with_format(row, col, date, &self.date)?;
                }
                Err(_) => self.plain(sheet, row, col, text)?,
            },
            (QuestionKind::SingleChoice(_) | QuestionKind::Subdistrict(_), Strings::Inline) => {
                let shown = label(text).unwrap_or(text).to_owned();
                self.plain(sheet, row, col, &shown)?;
            }
            (QuestionKind::SingleChoice(_) | QuestionKind::Subdistrict(_), Strings::Distinct) => {
                // The reader takes the code from a `label [code]` entry whatever the label.
                let shown = format!("{} ~{}", label(text).unwrap_or(text), self.mark());
                sheet.write_string(row, col, layout::choice_entry(&shown, text))?;
            }
            (QuestionKind::IndustryCode, Strings::Inline) => match division(text) {
                Some(name) => self.plain(sheet, row, col, &format!("{text} {name}"))?,
                None => self.plain(sheet, row, col, text)?,
            },
            (QuestionKind::IndustryCode, Strings::Distinct) => {
                let shown = format!("{text} {} ~{}", division(text).unwrap_or_default(), self.mark());
                sheet.write_string(row, col, layout::choice_entry(&shown, text))?;
            }
            (QuestionKind::Text { max_length }, Strings::Distinct) => {
                let mark = format!(" ~{}", self.mark());
                // The mark must fit the answer's length limit, or the return is rejected.
                let room = max_length.map_or(usize::MAX, |m| (m as usize).saturating_sub(mark.chars().count()));
                let kept: String = text.chars().take(room).collect();
                sheet.write_string(row, col, format!("{kept}{mark}"))?;
            }
            // Codes the reader takes only as they are (credit codes, occupations), and all
            // text of an export as it is.
            _ => self.plain(sheet, row, col, text)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook};

    fn shipped() -> Definition {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
        survey_def::load(&path).expect("the shipped definition loads")
    }

    fn records(def: &Definition, n: u64) -> Vec<Value> {
        let mut jsonl = Vec::new();
        survey_sample::write_jsonl_returns(def, n, 3, &mut jsonl).unwrap();
        let text = String::from_utf8(jsonl).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// Writes `records` as a wide workbook; gives its path (in `dir`) and what was written.
    fn written(
        def: &Definition,
        records: &[Value],
        strings: Strings,
        dir: &Path,
    ) -> (std::path::PathBuf, Written, Vec<String>) {
        let mut rows = TableRows::default();
        records.iter().for_each(|r| rows.observe(def, r));
        let layout = Layout::new(def, &rows);
        let path = dir.join("wide.xlsx");
        let mut iter = records.iter().cloned().map(Ok);
        let w = write(&layout, &mut iter, u64::MAX, strings, &path, dir).unwrap();
        (path, w, layout.header().map(str::to_owned).collect())
    }

    fn ingest(def: &Definition, path: &Path) -> survey_files::dataset::IngestSummary {
        let inputs = survey_parse::collect_inputs(&[path.to_owned()]).unwrap();
        survey_parse::ingest(def, &inputs, &survey_parse::Options::default(), &|| {})
            .unwrap()
            .summary
    }

    #[test]
    fn the_header_names_every_question_as_the_reader_expects_and_every_return_is_accepted() {
        let def = shipped();
        let records = records(&def, 40);
        let dir = tempfile::tempdir().unwrap();
        let (path, w, header) = written(&def, &records, Strings::Inline, dir.path());
        assert_eq!(
            w,
            Written {
                rows: 40,
                shared_strings: None
            }
        );

        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        let range = book.worksheet_range("export").unwrap();
        let first: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(first, header);
        assert_eq!(&first[..4], ["survey", "version", "submitted_at", "uscc"]);
        assert!(first.iter().any(|h| h == "hire_channels:job_fair"), "{first:?}");
        assert!(first.iter().any(|h| h == "vacancies[1].occupation"), "{first:?}");
        assert_eq!(range.height(), 41);

        let summary = ingest(&def, &path);
        assert_eq!(
            (summary.received, summary.accepted),
            (40, 40),
            "{:?}",
            summary.rejections_by_rule
        );
    }

    #[test]
    fn distinct_strings_are_counted_as_the_workbook_holds_them_and_still_read_as_their_answers() {
        let def = shipped();
        let records = records(&def, 40);
        let dir = tempfile::tempdir().unwrap();
        let (path, w, _) = written(&def, &records, Strings::Distinct, dir.path());
        assert_eq!(w.rows, 40);

        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        let range = book.worksheet_range("export").unwrap();
        let texts: Vec<&str> = range
            .used_cells()
            .filter_map(|(_, _, c)| match c {
                Data::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let distinct: HashSet<&str> = texts.iter().copied().collect();
        assert_eq!(w.shared_strings, Some(distinct.len() as u64));
        // Apart from the header and the meta, credit code and occupation columns, no
        // text repeats.
        let marked = texts.iter().filter(|t| t.contains(" ~")).count();
        assert!(marked > 40 * 10, "{marked} marked strings");
        assert_eq!(
            marked,
            texts.iter().filter(|t| t.contains(" ~")).collect::<HashSet<_>>().len()
        );

        let summary = ingest(&def, &path);
        assert_eq!(
            (summary.received, summary.accepted),
            (40, 40),
            "{:?}",
            summary.rejections_by_rule
        );
    }
}
