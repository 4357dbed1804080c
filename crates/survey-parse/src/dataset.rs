//! The checked dataset as Parquet: one row per accepted return in `responses.parquet`
//! (one typed column per question, plus provenance), and one file per repeating table
//! keyed to its return by the enterprise id.

use crate::normalize::plain;
use crate::validate::CheckedReturn;
use polars::prelude::*;
use std::borrow::Cow;
use survey_def::expr::Value;
use survey_def::{Definition, Question, QuestionKind};

mod spill;
pub use spill::{Origin, Spill};

pub(crate) use survey_files::dataset::{
    FINGERPRINT, ORIGINALS, RESPONSES_FILE, ROW, SOURCE_FILE, SOURCE_LINE, SOURCE_PATH, SOURCE_SHEET, SUBMITTED_AT,
    SURVEY_ID, SURVEY_VERSION, table_file,
};

/// One typed column of answers.
fn answer_column<'a>(name: &str, q: &Question, values: impl Iterator<Item = &'a Value>) -> PolarsResult<Column> {
    let name = PlSmallStr::from(name);
    let column = match &q.kind {
        QuestionKind::Integer(_) => {
            let v: Vec<Option<i64>> = values.map(|v| v.as_number().map(|n| n as i64)).collect();
            Column::new(name, v)
        }
        QuestionKind::Decimal(_) => {
            let v: Vec<Option<f64>> = values.map(|v| v.as_number()).collect();
            Column::new(name, v)
        }
        QuestionKind::Boolean => {
            let v: Vec<Option<bool>> = values.map(|v| v.as_bool()).collect();
            Column::new(name, v)
        }
        QuestionKind::Date => {
            let v: Vec<Option<i32>> = values
                .map(|v| match v {
                    Value::Date(d) => Some(*d),
                    _ => None,
                })
                .collect();
            Column::new(name, v).cast(&DataType::Date)?
        }
        // Codes, text; a multiple choice as its codes in list order joined by `;`.
        QuestionKind::Text { .. }
        | QuestionKind::SingleChoice(_)
        | QuestionKind::MultipleChoice(_)
        | QuestionKind::EnterpriseId
        | QuestionKind::IndustryCode
        | QuestionKind::OccupationCode
        | QuestionKind::Subdistrict(_) => {
            // Text as it is, without a copy; other values in their plain form.
            let v: Vec<Option<Cow<'_, str>>> = values
                .map(|v| match v {
                    Value::Missing => None,
                    Value::Text(t) => Some(Cow::Borrowed(t.as_str())),
                    other => Some(Cow::Owned(plain(other))),
                })
                .collect();
            let v: Vec<Option<&str>> = v.iter().map(|t| t.as_deref()).collect();
            Column::new(name, v)
        }
        // A table is written as a file of its own, never as one column.
        QuestionKind::Table(_) => {
            return Err(PolarsError::InvalidOperation(
                format!("`{name}` is a table, not a column").into(),
            ));
        }
    };
    Ok(column)
}

fn text_column(name: &str, values: Vec<Option<&str>>) -> Column {
    Column::new(PlSmallStr::from(name), values)
}

/// Builds the responses table. `returns` must already be in output order.
pub fn responses_frame(def: &Definition, returns: &[CheckedReturn]) -> PolarsResult<DataFrame> {
    let mut columns = Vec::new();
    for (i, q) in def.questions().iter().enumerate() {
        if q.kind.table().is_some() {
            continue;
        }
        columns.push(answer_column(q.id(), q, returns.iter().map(|r| &r.values[i]))?);
    }
    let survey = def.survey();
    let n = returns.len();
    columns.push(text_column(
        SOURCE_FILE,
        returns.iter().map(|r| Some(r.source.file.as_str())).collect(),
    ));
    columns.push(text_column(
        SOURCE_SHEET,
        returns.iter().map(|r| r.source.sheet.as_deref()).collect(),
    ));
    columns.push(Column::new(
        SOURCE_LINE.into(),
        returns.iter().map(|r| r.source.line).collect::<Vec<Option<u64>>>(),
    ));
    columns.push(text_column(
        SOURCE_PATH,
        returns.iter().map(|r| r.source.json_path.as_deref()).collect(),
    ));
    columns.push(Column::new(
        SUBMITTED_AT.into(),
        returns.iter().map(|r| r.submitted_at).collect::<Vec<Option<i64>>>(),
    ));
    let originals: Vec<Option<String>> = returns
        .iter()
        .map(|r| {
            (!r.originals.is_empty())
                .then(|| serde_json::to_string(&r.originals))
                .transpose()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| PolarsError::ComputeError(format!("answers as received: {e}").into()))?;
    columns.push(text_column(ORIGINALS, originals.iter().map(Option::as_deref).collect()));
    columns.push(text_column(SURVEY_ID, vec![Some(survey.id.as_str()); n]));
    columns.push(text_column(
        SURVEY_VERSION,
        returns
            .iter()
            .map(|r| Some(r.earlier_version.as_deref().unwrap_or(survey.version.as_str())))
            .collect(),
    ));
    columns.push(text_column(FINGERPRINT, vec![Some(def.fingerprint.as_str()); n]));
    DataFrame::new(n, columns)
}

/// Builds the rows of the `t`-th repeating table, keyed by the enterprise question.
pub fn table_frame(def: &Definition, t: usize, table: &Question, returns: &[CheckedReturn]) -> PolarsResult<DataFrame> {
    let key: Vec<Option<&str>> = returns
        .iter()
        .flat_map(|r| std::iter::repeat_n(Some(r.enterprise_id.as_str()), r.tables[t].len()))
        .collect();
    let rows: Vec<Option<u32>> = returns
        .iter()
        .flat_map(|r| (1..=r.tables[t].len() as u32).map(Some))
        .collect();
    let n = key.len();
    let mut columns = vec![
        text_column(&def.survey().enterprise_question, key),
        Column::new(ROW.into(), rows),
    ];
    for (c, col) in table.columns().iter().enumerate() {
        let values = returns.iter().flat_map(|r| r.tables[t].iter().map(move |row| &row[c]));
        columns.push(answer_column(col.id(), col, values)?);
    }
    DataFrame::new(n, columns)
}

/// Accepted returns as columns: their `responses.parquet` rows and the rows
/// of each repeating table, with the number of table rows each return has.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// One row per return.
    pub responses: DataFrame,
    /// Per table (in `Definition::tables()` order), the rows of these returns.
    pub tables: Vec<DataFrame>,
    /// Per table, the number of rows of each return, in return order.
    pub rows_per_return: Vec<Vec<u32>>,
}

impl Chunk {
    /// Columns of `returns` (in the order read).
    pub fn build(def: &Definition, returns: &[CheckedReturn]) -> PolarsResult<Chunk> {
        let responses = responses_frame(def, returns)?;
        let mut tables = Vec::new();
        let mut rows_per_return = Vec::new();
        for (t, table) in def.tables().enumerate() {
            tables.push(table_frame(def, t, table, returns)?);
            rows_per_return.push(returns.iter().map(|r| r.tables[t].len() as u32).collect());
        }
        Ok(Chunk {
            responses,
            tables,
            rows_per_return,
        })
    }
}
