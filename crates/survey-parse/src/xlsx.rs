//! Spreadsheet returns: workbooks made from the template, and wide workbooks (one row per
//! enterprise, one column per question) exported from online survey tools, whatever
//! program saved them.
//!
//! xlsx files reach calamine only after [`crate::guard::check_xlsx`] has vetted their zip
//! entries, declared sizes, dimensions and counts; cells are then read with calamine's
//! streaming cell reader, never as a dense range, so a sheet claiming a million rows
//! costs nothing. `.ods` and `.xls` workbooks arrive as cells read in a child process
//! ([`crate::isolated`]), CSV files as the cells of one sheet ([`crate::csv`]); all are
//! then read the same way.

use crate::limits::Limits;
use crate::raw::{RawCell, RawReturn, RawRow, RawValue, Received};
use crate::rejection::{Location, Rejection, Rule};
use calamine::{DataRef, Reader, Xlsx};
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use survey_def::{Definition, QuestionKind};
use survey_forms::layout::{self, meta};

/// Cells of one sheet, by (row, column).
pub type SheetCells = BTreeMap<(u32, u32), RawValue>;

fn cell_value(v: DataRef<'_>) -> RawValue {
    match v {
        DataRef::Int(i) => RawValue::Number(i as f64),
        DataRef::Float(f) => RawValue::Number(f),
        DataRef::String(s) => RawValue::Text(s),
        DataRef::SharedString(s) => RawValue::Text(s.to_owned()),
        DataRef::Bool(b) => RawValue::Bool(b),
        DataRef::DateTime(dt) => RawValue::ExcelDate(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => RawValue::Text(s),
        DataRef::Error(e) => RawValue::CellError(e.to_string()),
        DataRef::Empty => RawValue::Empty,
    }
}

/// Where a workbook's cells come from.
enum Source<'a> {
    /// An xlsx file, read sheet by sheet with the streaming reader.
    Xlsx(Box<Xlsx<Cursor<&'a [u8]>>>),
    /// Sheets already read (in workbook order): `.ods`, `.xls`, CSV.
    Sheets(Vec<(String, SheetCells)>),
}

struct Book<'a> {
    source: Source<'a>,
    file: &'a str,
    limits: &'a Limits,
}

/// Rows at the top of a sheet searched for a template's header (respondents insert a
/// few rows above it; a wide export has its header at the top).
const HEAD_ROWS: u32 = 20;

/// Header words of the answer sheet's question-id column, in both languages.
const ID_HEADERS: [&str; 2] = ["题目编号", "Question id"];

fn is_id_header(v: &RawValue) -> bool {
    matches!(v, RawValue::Text(t) if ID_HEADERS.contains(&t.trim()))
}

impl Book<'_> {
    /// The text cells of the first [`HEAD_ROWS`] rows of sheet `name`; a sheet that
    /// cannot be read has none (it is reported when read in full).
    fn head(&mut self, name: &str) -> Vec<((u32, u32), String)> {
        let xlsx = match &mut self.source {
            Source::Xlsx(xlsx) => xlsx,
            Source::Sheets(sheets) => {
                let Some((_, cells)) = sheets.iter().find(|(n, _)| n == name) else {
                    return Vec::new();
                };
                return cells
                    .range(..(HEAD_ROWS, 0))
                    .filter_map(|(&p, v)| match v {
                        RawValue::Text(t) => Some((p, t.chars().take(256).collect())),
                        _ => None,
                    })
                    .collect();
            }
        };
        let Ok(mut reader) = xlsx.worksheet_cells_reader(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Ok(Some(cell)) = reader.next_cell() {
            let (row, col) = cell.get_position();
            if row >= HEAD_ROWS || out.len() as u64 >= self.limits.max_cells_per_sheet {
                break;
            }
            if let RawValue::Text(t) = cell_value(cell.get_value().clone()) {
                out.push(((row, col), t.chars().take(256).collect()));
            }
        }
        out
    }

    /// The sheet whose top holds the answer sheet's id-column header, whatever it is
    /// called.
    fn find_answer_sheet(&mut self, names: &[String]) -> Option<String> {
        names
            .iter()
            .filter(|n| n.as_str() != layout::META_SHEET && n.as_str() != layout::LISTS_SHEET)
            .find(|n| self.head(n).iter().any(|(_, t)| ID_HEADERS.contains(&t.trim())))
            .cloned()
    }

    /// The sheet whose top holds a row naming at least half of `table`'s columns (two at
    /// least): the table's id row, whatever the sheet is called.
    fn find_table_sheet(&mut self, names: &[String], table: &survey_def::Question, skip: &str) -> Option<String> {
        let wanted = table.columns().iter().filter(|c| c.is_asked()).count();
        let enough = wanted.div_ceil(2).max(2.min(wanted));
        names
            .iter()
            .filter(|n| n.as_str() != layout::META_SHEET && n.as_str() != layout::LISTS_SHEET && n.as_str() != skip)
            .find(|n| {
                let head = self.head(n);
                let mut per_row: BTreeMap<u32, usize> = BTreeMap::new();
                for ((r, _), t) in &head {
                    if table.column(t.trim()).is_some() {
                        *per_row.entry(*r).or_default() += 1;
                    }
                }
                per_row.values().any(|&n| n >= enough)
            })
            .cloned()
    }

    /// The names of the sheets, in workbook order.
    fn sheet_names(&self) -> Vec<String> {
        match &self.source {
            Source::Xlsx(xlsx) => xlsx.sheet_names(),
            Source::Sheets(sheets) => sheets.iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    /// Every non-empty cell of sheet `name`, within the cell and text limits.
    fn sheet(&mut self, name: &str) -> Result<SheetCells, Box<Rejection>> {
        if let Source::Sheets(sheets) = &self.source
            && let Some((_, cells)) = sheets.iter().find(|(n, _)| n == name)
        {
            return Ok(cells.clone());
        }
        let mut cells = SheetCells::new();
        self.each_row(name, None, None, &mut |r, row| {
            cells.extend(row.into_iter().map(|(c, v)| ((r, c), v)));
            Ok(())
        })?;
        Ok(cells)
    }
}

/// The cells of one row, by column.
type RowCells = BTreeMap<u32, RawValue>;

impl Book<'_> {
    /// Calls `each` with every row of sheet `name` that holds a value, in order, its cells
    /// within the cell and text limits, holding one row at a time: a wide sheet of tens of
    /// thousands of returns is never held whole. Rows up to `skip_through` are read and
    /// passed over; `most_rows` stops after that many rows (a sheet's head).
    fn each_row(
        &mut self,
        name: &str,
        skip_through: Option<u32>,
        most_rows: Option<usize>,
        each: &mut dyn FnMut(u32, RowCells) -> Result<(), Box<Rejection>>,
    ) -> Result<(), Box<Rejection>> {
        let file = self.file;
        let limits = self.limits;
        let at_sheet = || Location {
            sheet: Some(name.to_owned()),
            ..Location::file(file)
        };
        let too_large = |zh: String, en: String| Box::new(Rejection::file(at_sheet(), Rule::TooLarge, zh, en));
        let mut count = 0u64;
        let mut text_bytes = 0u64;
        let mut rows_seen = 0usize;
        let mut current: Option<(u32, RowCells)> = None;
        // Hands a finished row on, unless it is skipped; false once enough rows were seen.
        let mut finish = |row: u32, cells: RowCells| -> Result<bool, Box<Rejection>> {
            if cells.is_empty() || skip_through.is_some_and(|s| row <= s) {
                return Ok(true);
            }
            rows_seen += 1;
            each(row, cells)?;
            Ok(most_rows.is_none_or(|most| rows_seen < most))
        };
        let mut take =
            |(row, col): (u32, u32), mut value: RawValue| -> Result<Option<(u32, RowCells)>, Box<Rejection>> {
                count += 1;
                if count > limits.max_cells_per_sheet {
                    return Err(too_large(
                        format!("工作表“{name}”的单元格超过上限 {}", limits.max_cells_per_sheet),
                        format!("sheet `{name}` has more than {} cells", limits.max_cells_per_sheet),
                    ));
                }
                if let RawValue::Text(t) = &mut value {
                    // One long shared string referenced by many cells must not be copied in
                    // full each time: keep one character past the limit, enough to reject it.
                    if let Some((cut, _)) = t.char_indices().nth(limits.max_text_chars + 1) {
                        t.truncate(cut);
                    }
                    text_bytes += t.len() as u64;
                    if text_bytes > limits.max_inflated_bytes {
                        return Err(too_large(
                            format!("工作表“{name}”的文字总量超过上限 {} 字节", limits.max_inflated_bytes),
                            format!(
                                "sheet `{name}` holds more than {} bytes of text",
                                limits.max_inflated_bytes
                            ),
                        ));
                    }
                }
                let done = match &mut current {
                    Some((r, cells)) if *r == row => {
                        if !value.is_blank() {
                            cells.insert(col, value);
                        }
                        None
                    }
                    _ => {
                        let mut cells = RowCells::new();
                        if !value.is_blank() {
                            cells.insert(col, value);
                        }
                        current.replace((row, cells))
                    }
                };
                Ok(done)
            };
        match &mut self.source {
            Source::Xlsx(xlsx) => {
                let damaged = |e: calamine::XlsxError| {
                    Box::new(Rejection::file(
                        at_sheet(),
                        Rule::Damaged,
                        format!("工作表“{name}”无法读取：{e}"),
                        format!("sheet `{name}` cannot be read: {e}"),
                    ))
                };
                let mut reader = xlsx.worksheet_cells_reader(name).map_err(damaged)?;
                while let Some(cell) = reader.next_cell().map_err(damaged)? {
                    if let Some((row, cells)) = take(cell.get_position(), cell_value(cell.get_value().clone()))?
                        && !finish(row, cells)?
                    {
                        return Ok(());
                    }
                }
            }
            Source::Sheets(sheets) => {
                let Some(i) = sheets.iter().position(|(n, _)| n == name) else {
                    return Err(Box::new(Rejection::file(
                        Location::file(file),
                        Rule::MissingSheet,
                        format!("找不到工作表“{name}”"),
                        format!("sheet `{name}` is missing"),
                    )));
                };
                // A sheet's head is read before its rows: only a full pass hands the
                // cells over (and frees them as it goes).
                if most_rows.is_some() {
                    for (&position, value) in &sheets[i].1 {
                        if let Some((row, cells)) = take(position, value.clone())?
                            && !finish(row, cells)?
                        {
                            return Ok(());
                        }
                    }
                } else {
                    for (position, value) in std::mem::take(&mut sheets[i].1) {
                        if let Some((row, cells)) = take(position, value)?
                            && !finish(row, cells)?
                        {
                            return Ok(());
                        }
                    }
                }
            }
        }
        if let Some((row, cells)) = current.take() {
            finish(row, cells)?;
        }
        Ok(())
    }
}

fn text_at(cells: &SheetCells, pos: (u32, u32)) -> Option<String> {
    match cells.get(&pos)? {
        RawValue::Text(t) => Some(t.trim().to_owned()),
        RawValue::Number(n) => Some(crate::raw::format_number(*n)),
        _ => None,
    }
}

/// Reads an xlsx file already vetted by the guard. Template workbooks (with the hidden
/// metadata sheet) give one return; wide workbooks give one return per data row.
pub fn read_xlsx(
    bytes: &[u8],
    file: &str,
    modified: Option<i64>,
    def: &Definition,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let whole = |rule, zh: String, en: String| {
        let loc = Location::file(file);
        Received::Unreadable {
            rejections: vec![Rejection::file(loc.clone(), rule, zh, en)],
            location: loc,
        }
    };
    let xlsx = match Xlsx::new(Cursor::new(bytes)) {
        Ok(x) => x,
        Err(calamine::XlsxError::Password) => {
            sink(whole(
                Rule::Encrypted,
                "工作簿设有密码，无法读取".into(),
                "the workbook is password-protected".into(),
            ));
            return;
        }
        Err(e) => {
            sink(whole(
                Rule::Damaged,
                format!("工作簿已损坏：{e}"),
                format!("the workbook is damaged: {e}"),
            ));
            return;
        }
    };
    let book = Book {
        source: Source::Xlsx(Box::new(xlsx)),
        file,
        limits,
    };
    read_book(book, modified, def, sink);
}

/// Reads a workbook already read as sheets of cells (`.ods`, `.xls`, CSV) as an xlsx
/// file is read: a template return, or a wide workbook of one return a row.
pub fn read_sheets(
    sheets: Vec<(String, SheetCells)>,
    file: &str,
    modified: Option<i64>,
    def: &Definition,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let book = Book {
        source: Source::Sheets(sheets),
        file,
        limits,
    };
    read_book(book, modified, def, sink);
}

fn read_book(mut book: Book<'_>, modified: Option<i64>, def: &Definition, sink: &mut dyn FnMut(Received)) {
    let names = book.sheet_names();
    // A template return is one with the metadata sheet, or, when a respondent deleted
    // it, one with the answer sheet's id column; anything else is a wide export.
    let result = if names.iter().any(|n| n == layout::META_SHEET) {
        read_template(&mut book, modified, def).map(|r| sink(Received::Return(Box::new(r))))
    } else if let Some(answer_sheet) = book.find_answer_sheet(&names) {
        read_unlabelled_template(&mut book, &answer_sheet, modified, def).map(|r| sink(Received::Return(Box::new(r))))
    } else {
        // Returns reach the sink row by row: what was read before a fault is kept.
        read_wide(&mut book, &names, modified, def, sink)
    };
    if let Err(rejection) = result {
        sink(Received::Unreadable {
            location: rejection.location.clone(),
            rejections: vec![*rejection],
        });
    }
}

fn read_template(book: &mut Book<'_>, modified: Option<i64>, def: &Definition) -> Result<RawReturn, Box<Rejection>> {
    let file = book.file;
    let meta_cells = book.sheet(layout::META_SHEET)?;
    let mut metadata: HashMap<String, String> = HashMap::new();
    for (&(row, col), _) in meta_cells.iter().filter(|((_, c), _)| *c == 0) {
        if let (Some(k), Some(v)) = (text_at(&meta_cells, (row, col)), text_at(&meta_cells, (row, 1))) {
            metadata.insert(k, v);
        }
    }
    let ret = RawReturn {
        source: Location::file(file),
        survey_id: metadata.get(meta::SURVEY_ID).cloned(),
        version: metadata.get(meta::VERSION).cloned(),
        fingerprint: metadata.get(meta::FINGERPRINT).cloned(),
        file_modified: modified,
        ..RawReturn::default()
    };
    if ret.survey_id.is_none() || ret.version.is_none() {
        return Err(Box::new(Rejection::file(
            Location {
                sheet: Some(layout::META_SHEET.into()),
                ..Location::file(file)
            },
            Rule::NotAReturn,
            "隐藏的问卷信息表缺少调查编号或版本",
            "the hidden metadata sheet has no survey id or version",
        )));
    }
    // A return of another survey, or of a version this definition does not list, is
    // rejected on its metadata before its answers are read. A listed earlier version is
    // read with its own definition: its tables and questions are its own.
    let version = ret.version.as_deref().unwrap_or_default();
    let def = match def.earlier_version(version) {
        Some(earlier) => &*earlier.definition,
        None => def,
    };
    if ret.survey_id.as_deref() != Some(def.survey().id.as_str()) || version != def.survey().version {
        return Ok(ret);
    }
    let names = book.sheet_names();
    // The sheet the metadata names, or the one holding the id column when it was renamed.
    let answer_sheet = metadata
        .get(meta::ANSWER_SHEET)
        .and_then(|n| sheet_named(&names, n))
        .or_else(|| book.find_answer_sheet(&names))
        .ok_or_else(|| {
            Box::new(Rejection::file(
                Location::file(file),
                Rule::MissingSheet,
                "找不到答题工作表（没有含“题目编号”列的工作表，可能已被删除）",
                "the answer sheet is missing: no sheet has the question-id column (was it deleted?)",
            ))
        })?;
    let table_sheets: Vec<Option<String>> = def
        .tables()
        .map(|t| {
            metadata
                .get(&format!("{}{}", meta::TABLE_PREFIX, t.id()))
                .and_then(|n| sheet_named(&names, n))
        })
        .collect();
    read_answers(book, ret, def, &answer_sheet, &names, table_sheets)
}

/// A template return whose metadata sheet was deleted: still a template return, read by
/// the layout of the one version (of those the definition reads) whose questions its
/// id column lists, with a warning; one rejection naming the missing sheet when no
/// version or more than one fits.
fn read_unlabelled_template(
    book: &mut Book<'_>,
    answer_sheet: &str,
    modified: Option<i64>,
    def: &Definition,
) -> Result<RawReturn, Box<Rejection>> {
    let file = book.file;
    let cells = book.sheet(answer_sheet)?;
    let header = cells.iter().find(|(_, v)| is_id_header(v)).map(|(&p, _)| p);
    let ids: std::collections::BTreeSet<String> = match header {
        Some((header_row, id_col)) => cells
            .iter()
            .filter(|&(&(r, c), _)| c == id_col && r > header_row)
            .filter_map(|(_, v)| match v {
                RawValue::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
                _ => None,
            })
            .collect(),
        None => Default::default(),
    };
    let mut versions = vec![def];
    versions.extend(def.earlier_versions().iter().map(|e| &*e.definition));
    let fitting: Vec<&Definition> = versions
        .into_iter()
        .filter(|d| {
            let known = layout_ids(d);
            !ids.is_empty() && ids.iter().all(|id| known.contains(id)) && ids.len() * 2 >= known.len()
        })
        .collect();
    let missing = |zh: String, en: String| {
        Box::new(Rejection::file(
            Location::file(file),
            Rule::MissingSheet,
            format!(
                "隐藏的问卷信息表“{}”已被删除，{zh}；请用原始问卷文件重新填写",
                layout::META_SHEET
            ),
            format!(
                "the hidden metadata sheet `{}` was deleted and {en}; fill in the original questionnaire file again",
                layout::META_SHEET
            ),
        ))
    };
    let chosen = match fitting.as_slice() {
        [one] => *one,
        [] => {
            return Err(missing(
                "答题表的题目与本调查的任何版本都不一致".into(),
                "its questions fit no version of this survey".into(),
            ));
        }
        many => {
            let list: Vec<&str> = many.iter().map(|d| d.survey().version.as_str()).collect();
            return Err(missing(
                format!("无法判断问卷版本（{} 均相符）", list.join("、")),
                format!(
                    "its version cannot be told from its layout ({} all fit)",
                    list.join(", ")
                ),
            ));
        }
    };
    let survey = chosen.survey();
    let mut notes = vec![Rejection::file(
        Location::file(file),
        Rule::MissingSheet,
        format!(
            "隐藏的问卷信息表“{}”已被删除；按题目布局识别为版本 {} 读取",
            layout::META_SHEET,
            survey.version
        ),
        format!(
            "the hidden metadata sheet `{}` was deleted; read as version {} by its layout",
            layout::META_SHEET,
            survey.version
        ),
    )];
    for n in &mut notes {
        n.severity = crate::rejection::Severity::Warning;
    }
    let ret = RawReturn {
        source: Location::file(file),
        survey_id: Some(survey.id.clone()),
        version: Some(survey.version.clone()),
        file_modified: modified,
        notes,
        ..RawReturn::default()
    };
    let names = book.sheet_names();
    let table_sheets = vec![None; chosen.tables().count()];
    read_answers(book, ret, chosen, answer_sheet, &names, table_sheets)
}

/// The ids the answer sheet of `def`'s template lists: asked top-level questions, and
/// each option of a multiple choice.
fn layout_ids(def: &Definition) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for q in def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && q.kind.table().is_none())
    {
        out.insert(q.id.clone());
        if let QuestionKind::MultipleChoice(c) = &q.kind {
            for o in &c.options {
                out.insert(format!("{}{}{}", q.id, layout::OPTION_SEPARATOR, o.code));
            }
        }
    }
    out
}

/// Reads the answers of a template return from `answer_sheet` and each table from its
/// sheet (`table_sheets`, by the metadata, in `def.tables()` order), finding a table
/// sheet by its id row when the metadata does not name one that exists. A table whose
/// sheet cannot be found is a rejection: its rows would otherwise be lost unseen.
fn read_answers(
    book: &mut Book<'_>,
    mut ret: RawReturn,
    def: &Definition,
    answer_sheet: &str,
    names: &[String],
    table_sheets: Vec<Option<String>>,
) -> Result<RawReturn, Box<Rejection>> {
    let file = book.file;
    let answer_sheet = answer_sheet.to_owned();
    let cells = book.sheet(&answer_sheet)?;
    // Columns are found by their header, rows by question id: moved or inserted rows and
    // columns do not matter.
    let header = cells.iter().find(|(_, v)| is_id_header(v)).map(|(&p, _)| p);
    let (header_row, id_col) = header.unwrap_or((layout::ANSWER_FIRST_ROW - 1, u32::from(layout::ANSWER_ID_COL)));
    let value_col = cells
        .iter()
        .filter(|((r, _), _)| *r == header_row)
        .find(|(_, v)| matches!(v, RawValue::Text(t) if t.trim() == "回答" || t.trim() == "Answer"))
        .map_or(u32::from(layout::ANSWER_VALUE_COL), |(&(_, c), _)| c);
    for (&(row, col), value) in &cells {
        if col != id_col || row <= header_row {
            continue;
        }
        let RawValue::Text(id) = value else { continue };
        let id = id.trim();
        if id.is_empty() {
            continue;
        }
        let answer = cells.get(&(row, value_col)).cloned().unwrap_or(RawValue::Empty);
        // The prompt row of a multiple-choice question carries instructions, not an answer.
        let is_prompt = def
            .question(id)
            .is_some_and(|q| matches!(q.kind, QuestionKind::MultipleChoice(_)))
            && matches!(&answer, RawValue::Text(t) if t.starts_with('(') || t.starts_with('（'));
        if is_prompt {
            continue;
        }
        ret.answers.push((
            id.to_owned(),
            RawCell {
                value: answer,
                location: Location::cell(file, &answer_sheet, row, value_col),
            },
        ));
    }
    for (table, named) in def.tables().zip(table_sheets) {
        let Some(sheet) = named.or_else(|| book.find_table_sheet(names, table, &answer_sheet)) else {
            return Err(Box::new(Rejection::file(
                Location::file(file),
                Rule::MissingSheet,
                format!(
                    "找不到“{}”工作表（没有含其列编号行的工作表，可能已被删除），该表的内容无法读取",
                    table.label.zh
                ),
                format!(
                    "the sheet of table `{}` ({}) is missing: no sheet has its row of column ids (was it deleted?), so its rows cannot be read",
                    table.id(),
                    table.label.en
                ),
            )));
        };
        let cells = book.sheet(&sheet)?;
        ret.tables
            .push((table.id().to_owned(), table_rows(&cells, table, file, &sheet)));
    }
    Ok(ret)
}

/// The sheet the metadata names. Metadata values are read trimmed, so names are
/// compared trimmed too.
fn sheet_named(names: &[String], wanted: &str) -> Option<String> {
    names.iter().find(|n| n.trim() == wanted.trim()).cloned()
}

/// Rows of a table sheet: the row of column ids is found by content (the template puts
/// it on row 3, but respondents insert rows), data rows follow it.
fn table_rows(cells: &SheetCells, table: &survey_def::Question, file: &str, sheet: &str) -> Vec<RawRow> {
    let mut by_row: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    for (&(r, c), v) in cells {
        if let RawValue::Text(t) = v
            && table.column(t.trim()).is_some()
        {
            by_row.entry(r).or_default().push((c, t.trim().to_owned()));
        }
    }
    let Some((&id_row, columns)) = by_row
        .iter()
        .max_by_key(|(r, cols)| (cols.len(), std::cmp::Reverse(**r)))
    else {
        return Vec::new();
    };
    let last_row = cells.keys().map(|(r, _)| *r).max().unwrap_or(id_row);
    let mut rows = Vec::new();
    for r in id_row + 1..=last_row {
        let row_cells: Vec<(String, RawCell)> = columns
            .iter()
            .filter_map(|(c, id)| {
                cells.get(&(r, *c)).map(|v| {
                    (
                        id.clone(),
                        RawCell {
                            value: v.clone(),
                            location: Location::cell(file, sheet, r, *c),
                        },
                    )
                })
            })
            .collect();
        if row_cells.is_empty() {
            continue;
        }
        rows.push(RawRow {
            cells: row_cells,
            location: Location::cell(file, sheet, r, columns[0].0),
        });
    }
    rows
}

/// What a wide-workbook header cell names.
enum Column {
    Question(String),
    Option(String),
    Cell {
        table: String,
        row: usize,
        column: String,
    },
    /// A column of a repeating table whose lines are rows of a sheet of their own (a
    /// KoboToolbox or ODK repeat group: `vacancies/openings`).
    Repeat {
        table: String,
        column: String,
    },
}

/// Reads a header cell: a question id, a label, `question:code` (or `question/code`), a
/// table cell `table[1].column` / `table.1.column` / `table_1_column`, or a repeat
/// group's `table/column`. Form tools put questions in groups (`enterprise/uscc` in
/// KoboToolbox, `enterprise-uscc` in ODK): a header that names nothing is read again
/// without its leading group names.
fn header_column(text: &str, def: &Definition) -> Option<Column> {
    let mut t = text.trim();
    loop {
        if let Some(column) = header_column_as_is(t, def) {
            return Some(column);
        }
        let (_, rest) = t.split_once(['/', '-'])?;
        t = rest;
    }
}

fn header_column_as_is(t: &str, def: &Definition) -> Option<Column> {
    if def.question(t).is_some() {
        return Some(Column::Question(t.to_owned()));
    }
    for q in def.questions() {
        if q.label.zh.trim() == t || q.label.en.trim().eq_ignore_ascii_case(t) {
            return Some(Column::Question(q.id().to_owned()));
        }
    }
    if let Some((q, code)) = t.split_once([':', '/'])
        && def
            .question(q)
            .is_some_and(|q| matches!(q.kind, QuestionKind::MultipleChoice(_)))
    {
        return Some(Column::Option(format!("{q}{}{code}", layout::OPTION_SEPARATOR)));
    }
    for table in def.tables() {
        let Some(rest) = t.strip_prefix(table.id()) else {
            continue;
        };
        if let Some(column) = rest.strip_prefix('/')
            && table.column(column).is_some()
        {
            return Some(Column::Repeat {
                table: table.id().to_owned(),
                column: column.to_owned(),
            });
        }
        let rest = rest.trim_start_matches(['[', '.', '_']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let column = rest[digits.len()..].trim_start_matches([']', '.', '_']);
        if let (Ok(n), Some(_)) = (digits.parse::<usize>(), table.column(column))
            && n >= 1
        {
            return Some(Column::Cell {
                table: table.id().to_owned(),
                row: n - 1,
                column: column.to_owned(),
            });
        }
    }
    None
}

/// Words a wide export uses for survey id, version and submission time columns.
const SURVEY_HEADERS: &[&str] = &["survey", "survey_id"];
const VERSION_HEADERS: &[&str] = &["version"];
const SUBMITTED_HEADERS: &[&str] = &["submitted_at", "submission_time", "提交时间", "submissiondate"];
/// KoboToolbox's submission time: UTC, written without an offset.
const KOBO_SUBMITTED: &str = "_submission_time";
/// The row key of a KoboToolbox export's main sheet, and the key a repeat group's row
/// gives of its parent.
const KOBO_INDEX: &str = "_index";
const KOBO_PARENT_INDEX: &str = "_parent_index";

/// Whether a header that names no question is a form tool's own column (KoboToolbox's
/// `_uuid`, `_status`…, ODK's `KEY`, `meta-instanceID`…, the `start`/`end`/`today`
/// metadata), which a return does not answer.
fn is_form_tool_column(text: &str) -> bool {
    const OWN: &[&str] = &[
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "audit",
        "key",
        "parent_key",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "reviewstate",
        "devicedate",
        "edits",
        "formversion",
    ];
    let t = text.trim().to_ascii_lowercase();
    let last = t.rsplit(['/', '-']).next().unwrap_or(&t);
    t.starts_with('_')
        || t.starts_with("meta/")
        || t.starts_with("meta-")
        || t.starts_with("formhub/")
        || OWN.contains(&t.as_str())
        || (last == "instanceid" || last == "instancename")
}

/// The header of one sheet of a wide workbook: where it is and what each column holds.
struct WideHeader {
    name: String,
    header_row: u32,
    columns: Vec<(u32, Column)>,
    meta: HashMap<&'static str, u32>,
}

/// Rows at the top of a sheet looked at for a wide header.
const WIDE_HEAD_ROWS: usize = 10;

impl WideHeader {
    /// Reads the header of a sheet from its first rows: the first where most text cells
    /// name questions; `None` for a sheet without one (notes, lookups).
    fn of(name: &str, head: &[(u32, RowCells)], def: &Definition) -> Option<WideHeader> {
        let mut header = None;
        for (r, cells) in head {
            let texts: Vec<(u32, String)> = cells
                .iter()
                .filter_map(|(&c, v)| match v {
                    RawValue::Text(t) => Some((c, t.clone())),
                    _ => None,
                })
                .collect();
            let own = texts.iter().filter(|(_, t)| is_form_tool_column(t)).count();
            let known = texts.iter().filter(|(_, t)| header_column(t, def).is_some()).count();
            if known >= 2 && known * 2 >= texts.len() - own {
                header = Some((*r, texts));
                break;
            }
        }
        let (header_row, texts) = header?;
        let mut columns: Vec<(u32, Column)> = Vec::new();
        let mut meta: HashMap<&'static str, u32> = HashMap::new();
        for (c, t) in &texts {
            let lower = t.trim().to_lowercase();
            if SURVEY_HEADERS.contains(&lower.as_str()) {
                meta.insert("survey", *c);
            } else if VERSION_HEADERS.contains(&lower.as_str()) {
                meta.insert("version", *c);
            } else if SUBMITTED_HEADERS.contains(&lower.as_str()) {
                meta.insert("submitted", *c);
            } else if lower == KOBO_SUBMITTED {
                meta.insert("submitted_utc", *c);
            } else if lower == KOBO_INDEX {
                meta.insert("index", *c);
            } else if lower == KOBO_PARENT_INDEX {
                meta.insert("parent", *c);
            } else if let Some(col) = header_column(t, def) {
                columns.push((*c, col));
            } else if !is_form_tool_column(t) {
                columns.push((*c, Column::Question(t.trim().to_owned())));
            }
        }
        // A multiple choice given both as one column of codes and as a column per
        // option (KoboToolbox writes both): the codes are the answer.
        let joined: std::collections::HashSet<String> = columns
            .iter()
            .filter_map(|(_, col)| match col {
                Column::Question(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        columns.retain(|(_, col)| match col {
            Column::Option(id) => id
                .split_once(layout::OPTION_SEPARATOR)
                .is_none_or(|(q, _)| !joined.contains(q)),
            _ => true,
        });
        Some(WideHeader {
            name: name.to_owned(),
            header_row,
            columns,
            meta,
        })
    }

    /// A repeat group's sheet: rows of one table, keyed to their return by the parent's
    /// index.
    fn is_repeat(&self) -> bool {
        self.meta.contains_key("parent") && self.columns.iter().any(|(_, c)| matches!(c, Column::Repeat { .. }))
    }

    fn text(&self, key: &str, row: &RowCells) -> Option<String> {
        match row.get(self.meta.get(key)?)? {
            RawValue::Text(t) => Some(t.trim().to_owned()),
            RawValue::Number(n) => Some(crate::raw::format_number(*n)),
            _ => None,
        }
    }
}

fn read_wide(
    book: &mut Book<'_>,
    names: &[String],
    modified: Option<i64>,
    def: &Definition,
    sink: &mut dyn FnMut(Received),
) -> Result<(), Box<Rejection>> {
    let file = book.file;
    // Every sheet with a header row holds returns, or the lines of a repeat group;
    // sheets without one (notes, lookups) are passed over.
    let mut headers = Vec::new();
    for name in names {
        let mut head = Vec::new();
        book.each_row(name, None, Some(WIDE_HEAD_ROWS), &mut |r, cells| {
            head.push((r, cells));
            Ok(())
        })?;
        if let Some(header) = WideHeader::of(name, &head, def) {
            headers.push(header);
        }
    }
    if headers.is_empty() {
        return Err(Box::new(Rejection::file(
            Location::file(file),
            Rule::NotAReturn,
            "不是由问卷模板生成的工作簿，也找不到以题目编号为表头的行",
            "not a workbook made from the questionnaire template, and no header row of question ids or labels was found",
        )));
    }
    // Repeat groups first, so that the lines are at hand when their returns are read:
    // by table and parent index, in sheet order.
    let mut repeats: HashMap<(String, String), Vec<RawRow>> = HashMap::new();
    for sheet in headers.iter().filter(|s| s.is_repeat()) {
        book.each_row(&sheet.name, Some(sheet.header_row), None, &mut |r, mut cells| {
            let Some(parent) = sheet.text("parent", &cells) else {
                return Ok(());
            };
            let mut rows: BTreeMap<&str, RawRow> = BTreeMap::new();
            for (c, col) in &sheet.columns {
                let Column::Repeat { table, column } = col else {
                    continue;
                };
                let value = cells.remove(c).unwrap_or(RawValue::Empty);
                let location = Location::cell(file, &sheet.name, r, *c);
                rows.entry(table.as_str())
                    .or_insert_with(|| RawRow {
                        cells: Vec::new(),
                        location: location.clone(),
                    })
                    .cells
                    .push((column.clone(), RawCell { value, location }));
            }
            for (table, row) in rows {
                repeats.entry((table.to_owned(), parent.clone())).or_default().push(row);
            }
            Ok(())
        })?;
    }
    let mut returns = 0usize;
    let most = book.limits.max_returns_per_file;
    for sheet in headers.iter().filter(|s| !s.is_repeat()) {
        let name = &sheet.name;
        book.each_row(name, Some(sheet.header_row), None, &mut |r, mut cells| {
            if returns >= most {
                return Err(Box::new(Rejection::file(
                    Location::file(file),
                    Rule::TooLarge,
                    format!("工作表含超过 {most} 份问卷"),
                    format!("the sheet holds more than {most} returns"),
                )));
            }
            returns += 1;
            let submitted_at = match sheet.meta.get("submitted").and_then(|c| cells.get(c)) {
                Some(RawValue::ExcelDate(d)) => Some(crate::normalize::date_text((d.floor() - 25_569.0) as i32)),
                Some(RawValue::Text(t)) => Some(t.clone()),
                _ => sheet.text("submitted_utc", &cells).map(|t| {
                    // KoboToolbox writes its submission time in UTC without saying so.
                    let time = t.split_once(['T', ' ']).map_or("", |(_, time)| time);
                    if time.contains(['Z', 'z', '+', '-']) {
                        t
                    } else {
                        format!("{t}Z")
                    }
                }),
            };
            let mut ret = RawReturn {
                source: Location {
                    sheet: Some(name.clone()),
                    line: Some(u64::from(r) + 1),
                    ..Location::file(file)
                },
                survey_id: sheet.text("survey", &cells),
                version: sheet.text("version", &cells),
                submitted_at,
                file_modified: modified,
                ..RawReturn::default()
            };
            let index = sheet.text("index", &cells);
            let mut table_rows: BTreeMap<String, BTreeMap<usize, RawRow>> = BTreeMap::new();
            for (c, col) in &sheet.columns {
                let value = cells.remove(c).unwrap_or(RawValue::Empty);
                let location = Location::cell(file, name, r, *c);
                match col {
                    Column::Question(id) | Column::Option(id) => {
                        ret.answers.push((id.clone(), RawCell { value, location }))
                    }
                    Column::Cell { table, row, column } => {
                        let entry = table_rows
                            .entry(table.clone())
                            .or_default()
                            .entry(*row)
                            .or_insert_with(|| RawRow {
                                cells: Vec::new(),
                                location: location.clone(),
                            });
                        entry.cells.push((column.clone(), RawCell { value, location }));
                    }
                    // Lines of a repeat group on this sheet: not a layout form tools use.
                    Column::Repeat { .. } => {}
                }
            }
            let mut tables: Vec<(String, Vec<RawRow>)> = table_rows
                .into_iter()
                .map(|(t, rows)| (t, rows.into_values().collect()))
                .collect();
            if let Some(index) = index {
                for table in def.tables() {
                    if let Some(rows) = repeats.remove(&(table.id().to_owned(), index.clone())) {
                        match tables.iter_mut().find(|(t, _)| t == table.id()) {
                            Some((_, existing)) => existing.extend(rows),
                            None => tables.push((table.id().to_owned(), rows)),
                        }
                    }
                }
            }
            ret.tables = tables;
            sink(Received::Return(Box::new(ret)));
            Ok(())
        })?;
    }
    // Lines whose parent row is not in the export cannot be placed: each such parent
    // is a rejection of its own, so the lines are accounted for.
    let mut orphans: Vec<((String, String), Vec<RawRow>)> = repeats.into_iter().collect();
    orphans.sort_by(|a, b| a.0.cmp(&b.0));
    for ((table, parent), rows) in orphans {
        let loc = rows
            .first()
            .map_or_else(|| Location::file(file), |r| r.location.clone());
        sink(Received::Unreadable {
            rejections: vec![Rejection::file(
                loc.clone(),
                Rule::NotAReturn,
                format!("“{table}”的 {} 行所属的 {KOBO_INDEX} = {parent} 不在主表中", rows.len()),
                format!(
                    "{} lines of `{table}` belong to {KOBO_INDEX} {parent}, which is not in the main sheet",
                    rows.len()
                ),
            )],
            location: loc,
        });
    }
    Ok(())
}
