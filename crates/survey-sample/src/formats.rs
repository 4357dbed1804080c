//! Writing returns as enterprises and online tools send them: the template workbook,
//! a JSON document, a JSON Lines record and a row of a wide export workbook.

use crate::check::Record;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as CellFormat, Workbook, XlsxError};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use survey_def::codes::INDUSTRY_DIVISIONS;
use survey_def::expr::Value;
use survey_def::{Definition, Lang, Question, QuestionKind};
use survey_forms::layout::{self, OPTION_SEPARATOR};
use survey_forms::{CellValue, FilledAnswers, TemplateError};

/// How a return reaches the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Format {
    /// The template workbook, one file per enterprise.
    Xlsx,
    /// A JSON document, one file per enterprise.
    Json,
    /// One line of the online form's JSON Lines export.
    Jsonl,
    /// One row of the wide export workbook.
    Wide,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Wide => "wide",
        }
    }
}

/// Most vacancy rows a wide export carries.
pub(crate) const WIDE_MAX_ROWS: usize = 5;

/// An answer as it will be written: typed, or text where the respondent typed text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Num(f64),
    Text(String),
    Bool(bool),
    Date(i32),
    Codes(Vec<String>),
}

/// A return as it will be written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filed {
    pub answers: BTreeMap<String, Out>,
    pub tables: BTreeMap<String, Vec<BTreeMap<String, Out>>>,
    /// RFC 3339 submission time (JSON, JSON Lines and wide exports carry it).
    pub submitted_at: String,
    /// Choices written as bare codes instead of `label [code]` (template workbooks).
    pub bare_codes: bool,
}

fn out(v: &Value) -> Option<Out> {
    Some(match v {
        Value::Missing => return None,
        Value::Number(n) => Out::Num(*n),
        Value::Text(t) => Out::Text(t.clone()),
        Value::Bool(b) => Out::Bool(*b),
        Value::Date(d) => Out::Date(*d),
        Value::Codes(c) => Out::Codes(c.clone()),
    })
}

impl Filed {
    /// The asked answers of `record` (calculations are the reader's job).
    pub fn new(def: &Definition, record: &Record, submitted_at: String) -> Self {
        let mut answers = BTreeMap::new();
        let mut tables = BTreeMap::new();
        for q in def.questions().iter().filter(|q| q.is_asked()) {
            if q.kind.table().is_some() {
                let rows = record.tables.get(q.id()).map(Vec::as_slice).unwrap_or_default();
                let rows: Vec<BTreeMap<String, Out>> = rows
                    .iter()
                    .map(|r| {
                        q.columns()
                            .iter()
                            .filter(|c| c.is_asked())
                            .filter_map(|c| Some((c.id().to_owned(), out(r.get(c.id())?)?)))
                            .collect()
                    })
                    .collect();
                tables.insert(q.id().to_owned(), rows);
            } else if let Some(v) = record.answers.get(q.id()).and_then(out) {
                answers.insert(q.id().to_owned(), v);
            }
        }
        Filed {
            answers,
            tables,
            submitted_at,
            bare_codes: false,
        }
    }
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn date_text(days: i32) -> String {
    let (y, m, d) = ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(crate) fn ymd(days: i32) -> (u16, u8, u8) {
    use chrono::Datelike;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let date = epoch + chrono::Duration::days(i64::from(days));
    (date.year() as u16, date.month() as u8, date.day() as u8)
}

fn option_label<'d>(q: &'d Question, code: &str, lang: Lang) -> Option<&'d str> {
    q.kind
        .choices()?
        .options
        .iter()
        .find(|o| o.code == code)
        .map(|o| o.label.get(lang))
}

fn division_name(code: &str, lang: Lang) -> Option<&'static str> {
    INDUSTRY_DIVISIONS
        .iter()
        .find(|d| d.code == code)
        .map(|d| if lang == Lang::Zh { d.zh } else { d.en })
}

fn template_cell(q: &Question, v: &Out, lang: Lang, bare: bool) -> CellValue {
    match v {
        Out::Num(n) => CellValue::Number(*n),
        Out::Bool(b) => CellValue::Bool(*b),
        Out::Date(d) => {
            let (y, m, d) = ymd(*d);
            CellValue::Date(y, m, d)
        }
        Out::Codes(c) => CellValue::Text(c.join(";")),
        Out::Text(t) => {
            let label = match &q.kind {
                QuestionKind::SingleChoice(_) | QuestionKind::Subdistrict(_) => option_label(q, t, lang),
                QuestionKind::IndustryCode => division_name(t, lang),
                QuestionKind::Integer(_)
                | QuestionKind::Decimal(_)
                | QuestionKind::Text { .. }
                | QuestionKind::Boolean
                | QuestionKind::Date
                | QuestionKind::MultipleChoice(_)
                | QuestionKind::EnterpriseId
                | QuestionKind::OccupationCode
                | QuestionKind::Table(_) => None,
            };
            match label {
                Some(label) if !bare => CellValue::Text(layout::choice_entry(label, t)),
                _ => CellValue::Text(t.clone()),
            }
        }
    }
}

/// The filled template workbook.
pub(crate) fn xlsx(def: &Definition, lang: Lang, f: &Filed) -> Result<Vec<u8>, TemplateError> {
    let mut filled = FilledAnswers::default();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        if q.kind.table().is_some() {
            let rows = f.tables.get(q.id()).map(Vec::as_slice).unwrap_or_default();
            let cells = rows
                .iter()
                .map(|r| {
                    q.columns()
                        .iter()
                        .filter_map(|c| Some((c.id().to_owned(), template_cell(c, r.get(c.id())?, lang, f.bare_codes))))
                        .collect()
                })
                .collect();
            filled.tables.insert(q.id().to_owned(), cells);
            continue;
        }
        let Some(v) = f.answers.get(q.id()) else { continue };
        match (&q.kind, v) {
            (QuestionKind::MultipleChoice(choices), Out::Codes(ticked)) => {
                for o in &choices.options {
                    let key = format!("{}{OPTION_SEPARATOR}{}", q.id(), o.code);
                    filled.answers.insert(key, CellValue::Bool(ticked.contains(&o.code)));
                }
            }
            _ => {
                filled
                    .answers
                    .insert(q.id().to_owned(), template_cell(q, v, lang, f.bare_codes));
            }
        }
    }
    survey_forms::write_filled(def, lang, &filled)
}

fn json_of(v: &Out) -> Json {
    match v {
        Out::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => json!(*n as i64),
        Out::Num(n) => json!(n),
        Out::Text(t) => json!(t),
        Out::Bool(b) => json!(b),
        Out::Date(d) => json!(date_text(*d)),
        Out::Codes(c) => json!(c),
    }
}

/// The JSON return document. With `nulls`, every question appears (unanswered ones as
/// `null`), as online form exports write them.
pub(crate) fn json(def: &Definition, f: &Filed, nulls: bool) -> Json {
    let mut answers = Map::new();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        if q.kind.table().is_some() {
            let rows = f.tables.get(q.id()).map(Vec::as_slice).unwrap_or_default();
            if rows.is_empty() && !nulls {
                continue;
            }
            let rows: Vec<Json> = rows
                .iter()
                .map(|r| {
                    let obj: Map<String, Json> = q
                        .columns()
                        .iter()
                        .filter_map(|c| Some((c.id().to_owned(), json_of(r.get(c.id())?))))
                        .collect();
                    Json::Object(obj)
                })
                .collect();
            answers.insert(q.id().to_owned(), Json::Array(rows));
            continue;
        }
        match f.answers.get(q.id()) {
            Some(v) => {
                answers.insert(q.id().to_owned(), json_of(v));
            }
            None if nulls => {
                answers.insert(q.id().to_owned(), Json::Null);
            }
            None => {}
        }
    }
    json!({
        "survey": def.survey().id,
        "version": def.survey().version,
        "submitted_at": f.submitted_at,
        "answers": Json::Object(answers),
    })
}

/// One column of the wide export.
enum WideColumn<'d> {
    Meta(&'static str),
    Question(&'d Question),
    Option(&'d Question, String),
    Cell(&'d Question, usize, &'d Question),
}

fn wide_columns<'d>(def: &'d Definition, rows_used: &BTreeMap<String, usize>) -> Vec<(String, WideColumn<'d>)> {
    let mut cols: Vec<(String, WideColumn)> = ["survey", "version", "submitted_at"]
        .into_iter()
        .map(|m| (m.to_owned(), WideColumn::Meta(m)))
        .collect();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        match &q.kind {
            QuestionKind::Table(_) => {
                for r in 0..rows_used.get(q.id()).copied().unwrap_or(0) {
                    for c in q.columns().iter().filter(|c| c.is_asked()) {
                        cols.push((format!("{}[{}].{}", q.id(), r + 1, c.id()), WideColumn::Cell(q, r, c)));
                    }
                }
            }
            QuestionKind::MultipleChoice(choices) => {
                for o in &choices.options {
                    cols.push((
                        format!("{}{OPTION_SEPARATOR}{}", q.id(), o.code),
                        WideColumn::Option(q, o.code.clone()),
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
            | QuestionKind::Subdistrict(_) => cols.push((q.id().to_owned(), WideColumn::Question(q))),
        }
    }
    cols
}

/// What an online tool writes in a cell: labels for choices (when unique), 是/否 for
/// yes and no, `code name` for industries.
fn wide_text(q: &Question, v: &Out) -> Option<String> {
    match v {
        Out::Bool(b) => Some(layout::yes_no(Lang::Zh)[usize::from(!b)].to_owned()),
        Out::Codes(c) => Some(c.join(";")),
        Out::Text(t) => Some(match &q.kind {
            QuestionKind::SingleChoice(_) | QuestionKind::Subdistrict(_) => {
                let list = q.kind.choices();
                let label = option_label(q, t, Lang::Zh);
                let unique =
                    list.is_some_and(|l| l.options.iter().filter(|o| Some(o.label.zh.as_str()) == label).count() == 1);
                match label {
                    Some(l) if unique => l.to_owned(),
                    _ => t.clone(),
                }
            }
            QuestionKind::IndustryCode => match division_name(t, Lang::Zh) {
                Some(name) => format!("{t} {name}"),
                None => t.clone(),
            },
            QuestionKind::Integer(_)
            | QuestionKind::Decimal(_)
            | QuestionKind::Text { .. }
            | QuestionKind::Boolean
            | QuestionKind::Date
            | QuestionKind::MultipleChoice(_)
            | QuestionKind::EnterpriseId
            | QuestionKind::OccupationCode
            | QuestionKind::Table(_) => t.clone(),
        }),
        Out::Num(_) | Out::Date(_) => None,
    }
}

/// The wide export workbook: a header row of column ids, then one row per return.
pub(crate) fn wide(def: &Definition, returns: &[&Filed]) -> Result<Vec<u8>, XlsxError> {
    let mut rows_used: BTreeMap<String, usize> = BTreeMap::new();
    for f in returns {
        for (t, rows) in &f.tables {
            let n = rows.len().min(WIDE_MAX_ROWS);
            let e = rows_used.entry(t.clone()).or_default();
            *e = (*e).max(n);
        }
    }
    let columns = wide_columns(def, &rows_used);
    let mut workbook = Workbook::new();
    let (y, m, d) = ymd(survey_def::codes::parse_iso_date(&def.survey().period_start).unwrap_or(0));
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?));
    let sheet = workbook.add_worksheet();
    sheet.set_name("export")?;
    let bold = CellFormat::new().set_bold();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    for (c, (name, _)) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &bold)?;
    }
    for (r, f) in returns.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, (_, col)) in columns.iter().enumerate() {
            let c = c as u16;
            let (q, value) = match col {
                WideColumn::Meta(m) => {
                    let text = match *m {
                        "survey" => def.survey().id.as_str(),
                        "version" => def.survey().version.as_str(),
                        _ => f.submitted_at.as_str(),
                    };
                    sheet.write_string(row, c, text)?;
                    continue;
                }
                WideColumn::Question(q) => (*q, f.answers.get(q.id()).cloned()),
                WideColumn::Option(q, code) => {
                    let v = match f.answers.get(q.id()) {
                        Some(Out::Codes(ticked)) => Some(Out::Bool(ticked.contains(code))),
                        _ => None,
                    };
                    (*q, v)
                }
                WideColumn::Cell(t, i, col) => {
                    let v = f
                        .tables
                        .get(t.id())
                        .and_then(|rows| rows.get(*i))
                        .and_then(|r| r.get(col.id()))
                        .cloned();
                    (*col, v)
                }
            };
            match &value {
                None => {}
                Some(Out::Num(n)) => {
                    sheet.write_number(row, c, *n)?;
                }
                Some(Out::Date(d)) => {
                    let (y, m, d) = ymd(*d);
                    sheet.write_datetime_with_format(row, c, ExcelDateTime::from_ymd(y, m, d)?, &date)?;
                }
                Some(v) => {
                    if let Some(text) = wide_text(q, v) {
                        sheet.write_string(row, c, text)?;
                    }
                }
            }
        }
    }
    workbook.save_to_buffer()
}
