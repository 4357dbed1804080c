//! The checked dataset as the analysis reads it: the accepted returns and their vacancy
//! lines from the Parquet files `ingest` wrote, plus its counts from `ingest.json`.
//!
//! Only the columns the reports use are read (a lazy Parquet scan with a projection), and
//! the rows are put in enterprise-id order so every later step is deterministic whatever
//! order the files were written in.

use polars::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use survey_def::expr::{Answers, Expr, ExprKind, Value};
use survey_def::{Definition, QuestionKind};
use survey_files::dataset::{FINGERPRINT, INGEST_JSON, IngestCounts, RESPONSES_FILE, ROW, SUBMITTED_AT, table_file};

/// Why a dataset cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A dataset file is absent.
    #[error("{} not found: is {} a folder written by `labor-survey ingest`?", path.display(), dir.display())]
    Missing {
        /// The file looked for.
        path: PathBuf,
        /// The dataset folder.
        dir: PathBuf,
    },
    /// A Parquet file could not be read or lacks a column the reports need.
    #[error("cannot read {}: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What polars said.
        source: PolarsError,
    },
    /// The dataset was checked against another definition (or another version of it).
    #[error(
        "{} was checked against definition {found}, not {expected} ({definition}): ingest the returns again with this definition",
        path.display()
    )]
    OtherDefinition {
        /// The responses file.
        path: PathBuf,
        /// Fingerprint of the definition given.
        expected: String,
        /// Fingerprint recorded in the dataset.
        found: String,
        /// The definition file given.
        definition: PathBuf,
    },
    /// The dataset lacks a column the analysis reads (it was checked against another
    /// definition, or written by hand).
    #[error(
        "{} has no column `{column}`, which {needed_by} in {}: ingest its returns with that definition",
        path.display(),
        definition.display()
    )]
    MissingColumn {
        /// The Parquet file.
        path: PathBuf,
        /// The column looked for.
        column: String,
        /// What reads it, in words (the `[analysis]` or `[design]` role).
        needed_by: String,
        /// The definition the dataset was read with, whose role reads the column.
        definition: PathBuf,
    },
    /// The folder's files were not written together by one ingest run (a file missing,
    /// changed or added since), or it has no manifest.
    #[error(transparent)]
    Manifest(#[from] survey_files::dataset::ManifestError),
    /// `ingest.json` is unreadable.
    #[error("cannot read {}: {message}", path.display())]
    Summary {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Accepted returns, one row per enterprise, in enterprise-id order.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// One row per return; a column per question read (named by question id).
    pub responses: DataFrame,
    /// Enterprise id of each row.
    pub enterprise_ids: Vec<String>,
    /// Row of each enterprise id.
    pub row_of: HashMap<String, usize>,
    /// Lines of each repeating table read, with the row (of `responses`) each belongs to.
    pub tables: HashMap<String, TableLines>,
    /// Counts of the ingest run, when `ingest.json` is there.
    pub counts: Option<IngestCounts>,
    /// Latest submission time of any return (seconds since the epoch, UTC).
    pub latest_submission: Option<i64>,
}

/// The lines of one repeating table.
#[derive(Debug, Clone)]
pub struct TableLines {
    /// One row per line; a column per table column read.
    pub lines: DataFrame,
    /// Row in [`Dataset::responses`] of each line's return.
    pub owner: Vec<usize>,
    /// Lines of each return (indices into `lines`), by row of `responses`.
    pub by_owner: Vec<Vec<usize>>,
}

impl Dataset {
    /// Reads the dataset in `dir`, checked against `def`. Reads the questions `columns`
    /// names (plus the enterprise id and the design's questions) and the table columns
    /// `table_columns` names.
    pub fn read(
        dir: &Path,
        def: &Definition,
        columns: &BTreeSet<String>,
        table_columns: &BTreeSet<(String, String)>,
    ) -> Result<Dataset, DatasetError> {
        let path = dir.join(RESPONSES_FILE);
        if !path.is_file() {
            return Err(DatasetError::Missing {
                path,
                dir: dir.to_owned(),
            });
        }
        // Files of one run only: a folder holding an interrupted run's files beside an
        // earlier run's, or a file copied in by hand, would give figures of no wave.
        survey_files::dataset::Manifest::verify(dir)?;
        let parquet = |source| DatasetError::Parquet {
            path: path.clone(),
            source,
        };
        let id = def.survey().enterprise_question.clone();
        let mut wanted: BTreeSet<String> = columns.clone();
        wanted.insert(id.clone());
        let mut select: Vec<polars::prelude::Expr> = wanted.iter().map(|c| col(c.as_str())).collect();
        select.push(col(FINGERPRINT));
        select.push(col(SUBMITTED_AT));
        let mut scan =
            LazyFrame::scan_parquet(plpath(&path).map_err(parquet)?, ScanArgsParquet::default()).map_err(parquet)?;
        let wanted_columns = wanted.iter().map(String::as_str).chain([FINGERPRINT, SUBMITTED_AT]);
        require_columns(&path, &mut scan, wanted_columns, def, None)?;
        let responses = scan
            .select(select)
            .sort([id.as_str()], SortMultipleOptions::default())
            .collect()
            .map_err(parquet)?;

        let fingerprints = responses.column(FINGERPRINT).map_err(parquet)?.str().map_err(parquet)?;
        if let Some(found) = fingerprints.iter().flatten().find(|f| *f != def.fingerprint) {
            return Err(DatasetError::OtherDefinition {
                path,
                expected: def.fingerprint.clone(),
                found: found.to_owned(),
                definition: def.source.clone(),
            });
        }
        let latest_submission = responses
            .column(SUBMITTED_AT)
            .map_err(parquet)?
            .cast(&DataType::Int64)
            .map_err(parquet)?
            .i64()
            .map_err(parquet)?
            .max();
        let enterprise_ids: Vec<String> = responses
            .column(&id)
            .map_err(parquet)?
            .str()
            .map_err(parquet)?
            .iter()
            .map(|v| v.unwrap_or_default().to_owned())
            .collect();
        let row_of: HashMap<String, usize> = enterprise_ids.iter().enumerate().map(|(i, e)| (e.clone(), i)).collect();

        let mut tables = HashMap::new();
        let mut by_table: HashMap<&str, Vec<&str>> = HashMap::new();
        for (table, column) in table_columns {
            by_table.entry(table).or_default().push(column);
        }
        let mut table_ids: Vec<&str> = by_table.keys().copied().collect();
        table_ids.sort_unstable();
        for table in table_ids {
            let lines = read_table(dir, def, table, &id, &by_table[table], &row_of, enterprise_ids.len())?;
            tables.insert(table.to_owned(), lines);
        }

        let counts = read_counts(dir)?;
        Ok(Dataset {
            dir: dir.to_owned(),
            responses,
            enterprise_ids,
            row_of,
            tables,
            counts,
            latest_submission,
        })
    }

    /// Number of returns.
    pub fn len(&self) -> usize {
        self.enterprise_ids.len()
    }

    /// True when no return was accepted.
    pub fn is_empty(&self) -> bool {
        self.enterprise_ids.is_empty()
    }

    /// A number question's answers, one per row (`None` when not answered or not read).
    pub fn numbers(&self, question: &str) -> Vec<Option<f64>> {
        numbers_of(&self.responses, question)
    }

    /// A yes/no question's answers.
    pub fn flags(&self, question: &str) -> Vec<Option<bool>> {
        match self.responses.column(question).ok().and_then(|c| c.bool().ok()) {
            Some(c) => c.iter().collect(),
            None => vec![None; self.len()],
        }
    }

    /// A code or text question's answers (a multiple choice as `;`-joined codes).
    pub fn texts(&self, question: &str) -> Vec<Option<String>> {
        texts_of(&self.responses, question)
    }

    /// The answer to `question` in `row` as an expression value, decoded by the
    /// question's type.
    pub fn value(&self, def: &Definition, question: &str, row: usize) -> Value {
        let Some(q) = def.question(question) else {
            return Value::Missing;
        };
        decode(&self.responses, question, holds_codes(&q.kind), row)
    }
}

impl TableLines {
    /// The answer to `column` of `table` in `line`, decoded by the column's type.
    pub fn value(&self, def: &Definition, table: &str, column: &str, line: usize) -> Value {
        let Some(c) = def.question(table).and_then(|t| t.column(column)) else {
            return Value::Missing;
        };
        decode(&self.lines, column, holds_codes(&c.kind), line)
    }
}

/// Checks that the Parquet file at `path` has every `wanted` column before any query
/// reads it, so a dataset of another definition is named as such, with the column and
/// what needs it, rather than failing inside a query plan.
fn require_columns<'a>(
    path: &Path,
    scan: &mut LazyFrame,
    wanted: impl IntoIterator<Item = &'a str>,
    def: &Definition,
    table: Option<&str>,
) -> Result<(), DatasetError> {
    let schema = scan.collect_schema().map_err(|source| DatasetError::Parquet {
        path: path.to_owned(),
        source,
    })?;
    match wanted.into_iter().find(|c| !schema.contains(c)) {
        None => Ok(()),
        Some(column) => Err(DatasetError::MissingColumn {
            path: path.to_owned(),
            column: column.to_owned(),
            needed_by: needed_by(def, table, column),
            definition: def.source.clone(),
        }),
    }
}

/// What reads `column` (of `table`, for a table's column), in words.
fn needed_by(def: &Definition, table: Option<&str>, column: &str) -> String {
    let is = |q: Option<&String>| q.is_some_and(|q| q == column);
    if let (Some(table), Some(v)) = (table, def.analysis().and_then(|a| a.vacancies.as_ref()))
        && v.table == table
    {
        let roles = [
            ("occupation", Some(&v.occupation)),
            ("openings", Some(&v.openings)),
            ("hard_to_fill", v.hard_to_fill.as_ref()),
            ("skill_shortage", v.skill_shortage.as_ref()),
            ("wage", v.wage.as_ref()),
        ];
        if let Some((role, _)) = roles.iter().find(|(_, q)| is(*q)) {
            return format!("the [analysis.vacancies] role `{role}` reads");
        }
    }
    if let Some(a) = def.analysis() {
        let roles = [
            ("employees", Some(&a.employees)),
            ("employees_before", a.employees_before.as_ref()),
            ("planned_hires", a.planned_hires.as_ref()),
            ("planned_reductions", a.planned_reductions.as_ref()),
            ("returned", a.returned.as_ref()),
            ("expected_to_return", a.expected_to_return.as_ref()),
            ("support", a.support.as_ref()),
        ];
        if let Some((role, _)) = roles.iter().find(|(_, q)| is(*q)) {
            return format!("the [analysis] role `{role}` reads");
        }
        for (list, ids) in [
            ("totals", &a.totals),
            ("shares", &a.shares),
            ("distributions", &a.distributions),
        ] {
            if ids.iter().any(|q| q == column) {
                return format!("[analysis] `{list}` reads");
            }
        }
    }
    if let Some(d) = def.design() {
        for (role, q) in [
            ("industry_question", Some(&d.industry_question)),
            ("size_question", Some(&d.size_question)),
            ("subdistrict_question", d.subdistrict_question.as_ref()),
        ] {
            if is(q) {
                return format!("the [design] `{role}` reads");
            }
        }
    }
    if column == def.survey().enterprise_question {
        return "identifies each enterprise (`survey.enterprise_question`)".into();
    }
    "a risk rule, a policy or the skip logic reads".into()
}

fn plpath(path: &Path) -> PolarsResult<PlRefPath> {
    PlRefPath::try_from_path(path)
}

fn read_table(
    dir: &Path,
    def: &Definition,
    table: &str,
    id: &str,
    columns: &[&str],
    row_of: &HashMap<String, usize>,
    returns: usize,
) -> Result<TableLines, DatasetError> {
    let path = dir.join(table_file(table));
    let parquet = |source| DatasetError::Parquet {
        path: path.clone(),
        source,
    };
    let mut select = vec![col(id), col(ROW)];
    select.extend(columns.iter().map(|c| col(*c)));
    let lines = if path.is_file() {
        let mut scan =
            LazyFrame::scan_parquet(plpath(&path).map_err(parquet)?, ScanArgsParquet::default()).map_err(parquet)?;
        let wanted = [id, ROW].into_iter().chain(columns.iter().copied());
        require_columns(&path, &mut scan, wanted, def, Some(table))?;
        scan.select(select)
            .sort([id, ROW], SortMultipleOptions::default())
            .collect()
            .map_err(parquet)?
    } else {
        // No return had a line: an empty table is a valid answer, not a broken dataset.
        DataFrame::empty()
    };
    let owners = texts_of(&lines, id);
    let mut owner = Vec::with_capacity(owners.len());
    let mut by_owner = vec![Vec::new(); returns];
    let mut kept = Vec::with_capacity(owners.len());
    for (line, enterprise) in owners.iter().enumerate() {
        // A line whose return is not in the responses file cannot be placed; the two files
        // are written together, so this only happens to a hand-edited dataset.
        if let Some(&row) = enterprise.as_ref().and_then(|e| row_of.get(e)) {
            owner.push(row);
            by_owner[row].push(kept.len());
            kept.push(line as IdxSize);
        }
    }
    let lines = if kept.len() == lines.height() {
        lines
    } else {
        lines.take(&IdxCa::from_vec("keep".into(), kept)).map_err(parquet)?
    };
    Ok(TableLines { lines, owner, by_owner })
}

/// Largest `ingest.json` read: it lists every input file and every superseded return, a
/// few hundred bytes each, so this holds a season of hundreds of thousands of returns.
pub(crate) const MAX_SUMMARY_BYTES: u64 = 512 * 1024 * 1024;

fn read_counts(dir: &Path) -> Result<Option<IngestCounts>, DatasetError> {
    let path = dir.join(INGEST_JSON);
    let bytes = match survey_files::read::read_bounded(&path, MAX_SUMMARY_BYTES) {
        Ok(bytes) => bytes,
        Err(survey_files::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(DatasetError::Summary {
                path,
                message: e.to_string(),
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| DatasetError::Summary {
            path,
            message: e.to_string(),
        })
}

/// A column of numbers from `frame` (integers and decimals alike).
pub fn numbers_of(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    frame
        .column(column)
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok())
        .and_then(|c| c.f64().ok().map(|c| c.iter().collect()))
        .unwrap_or_else(|| vec![None; frame.height()])
}

/// A column of text from `frame`.
pub fn texts_of(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
    match frame.column(column).ok().and_then(|c| c.str().ok()) {
        Some(c) => c.iter().map(|v| v.map(str::to_owned)).collect(),
        None => vec![None; frame.height()],
    }
}

/// Whether a text column of this kind holds several codes joined by `;` (how the dataset
/// stores a multiple choice).
fn holds_codes(kind: &QuestionKind) -> bool {
    matches!(kind, QuestionKind::MultipleChoice(_))
}

fn decode(frame: &DataFrame, column: &str, codes: bool, row: usize) -> Value {
    let Ok(c) = frame.column(column) else {
        return Value::Missing;
    };
    let Ok(any) = c.get(row) else {
        return Value::Missing;
    };
    match (codes, any) {
        (_, AnyValue::Null) => Value::Missing,
        (_, AnyValue::Boolean(b)) => Value::Bool(b),
        (_, AnyValue::Int64(n)) => Value::Number(n as f64),
        (_, AnyValue::Int32(n)) => Value::Number(f64::from(n)),
        (_, AnyValue::Float64(n)) => Value::Number(n),
        (_, AnyValue::Date(d)) => Value::Date(d),
        (true, AnyValue::String(s)) => {
            Value::Codes(s.split(';').filter(|c| !c.is_empty()).map(str::to_owned).collect())
        }
        (_, AnyValue::String(s)) => Value::Text(s.to_owned()),
        (_, AnyValue::StringOwned(s)) => Value::Text(s.to_string()),
        _ => Value::Missing,
    }
}

/// Names of the questions and table columns an expression reads.
pub fn names_read(expr: &Expr, questions: &mut BTreeSet<String>, columns: &mut BTreeSet<(String, String)>) {
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Name(n) => {
            questions.insert(n.clone());
        }
        ExprKind::Column { table, column } => {
            columns.insert((table.clone(), column.clone()));
        }
        _ => {}
    });
}

/// One column of answers, decoded once into plain values: reading cell by cell through
/// polars' `AnyValue` (a name lookup and a chunk search per cell) cost more than
/// evaluating the rules, which run on every return. Decodes as [`Dataset::value`] does.
enum AnswerColumn {
    /// Not in the dataset, or of a type no expression reads.
    Missing,
    Bools(Vec<Option<bool>>),
    Numbers(Vec<Option<f64>>),
    /// Days since the epoch.
    Dates(Vec<Option<i32>>),
    Texts(StringChunked),
}

impl AnswerColumn {
    fn of(frame: &DataFrame, column: &str) -> AnswerColumn {
        let Ok(c) = frame.column(column) else {
            return AnswerColumn::Missing;
        };
        let decoded = match c.dtype() {
            DataType::Boolean => c.bool().map(|c| AnswerColumn::Bools(c.iter().collect())),
            DataType::Int64 | DataType::Int32 | DataType::Float64 => c
                .cast(&DataType::Float64)
                .and_then(|c| c.f64().map(|c| AnswerColumn::Numbers(c.iter().collect()))),
            DataType::Date => c
                .cast(&DataType::Int32)
                .and_then(|c| c.i32().map(|c| AnswerColumn::Dates(c.iter().collect()))),
            DataType::String => c.str().map(|c| AnswerColumn::Texts(c.rechunk().into_owned())),
            _ => Ok(AnswerColumn::Missing),
        };
        decoded.unwrap_or(AnswerColumn::Missing)
    }

    fn value(&self, codes: bool, row: usize) -> Value {
        let decoded = match self {
            AnswerColumn::Missing => None,
            AnswerColumn::Bools(v) => v.get(row).copied().flatten().map(Value::Bool),
            AnswerColumn::Numbers(v) => v.get(row).copied().flatten().map(Value::Number),
            AnswerColumn::Dates(v) => v.get(row).copied().flatten().map(Value::Date),
            AnswerColumn::Texts(v) => v.get(row).map(|s| {
                if codes {
                    Value::Codes(s.split(';').filter(|c| !c.is_empty()).map(str::to_owned).collect())
                } else {
                    Value::Text(s.to_owned())
                }
            }),
        };
        decoded.unwrap_or(Value::Missing)
    }
}

/// The answers of every return to the names some expressions read, decoded once per
/// column; [`AnswerColumns::row`] gives one return's answers to evaluate them on.
pub struct AnswerColumns<'a> {
    def: &'a Definition,
    data: &'a Dataset,
    /// Each name with whether it holds codes, and its decoded answers.
    questions: Vec<(&'a str, bool, AnswerColumn)>,
    /// Each `table.column` with whether it holds codes, its decoded cells and the table
    /// of the dataset they are read from.
    columns: Vec<(&'a (String, String), bool, AnswerColumn, String)>,
    /// What `previous(name)` reads: each name with whether it holds codes and its decoded
    /// answers in the previous wave, and the previous wave's row of each return.
    previous: Option<PreviousAnswers<'a>>,
}

/// The previous wave's answers to the names read through `previous()`.
struct PreviousAnswers<'a> {
    names: Vec<(&'a str, bool, AnswerColumn)>,
    rows: Vec<Option<usize>>,
}

/// How the names of one definition are found in a dataset written with another: the
/// previous wave's question (or table and column) holding the same thing, if any.
pub trait Names {
    /// The dataset's column for question `id`.
    fn question(&self, id: &str) -> Option<&str>;
    /// The dataset's table and column for `table.column`.
    fn column(&self, table: &str, column: &str) -> Option<(&str, &str)>;
}

impl<'a> AnswerColumns<'a> {
    /// The answers in `data` to `questions`, and its table lines' `columns`.
    pub fn new(
        data: &'a Dataset,
        def: &'a Definition,
        questions: &'a BTreeSet<String>,
        columns: &'a BTreeSet<(String, String)>,
    ) -> Self {
        Self::read_as(data, def, None, questions, columns)
    }

    /// The answers in `data`, a dataset written with another definition, to `def`'s
    /// `questions` and `columns`, each read from the column `names` gives (missing where it
    /// gives none).
    pub fn read_as(
        data: &'a Dataset,
        def: &'a Definition,
        names: Option<&dyn Names>,
        questions: &'a BTreeSet<String>,
        columns: &'a BTreeSet<(String, String)>,
    ) -> Self {
        let questions = questions
            .iter()
            .map(|q| {
                let stored = match names {
                    None => Some(q.as_str()),
                    Some(names) => names.question(q),
                };
                match (def.question(q), stored) {
                    (Some(question), Some(stored)) => (
                        q.as_str(),
                        holds_codes(&question.kind),
                        AnswerColumn::of(&data.responses, stored),
                    ),
                    _ => (q.as_str(), false, AnswerColumn::Missing),
                }
            })
            .collect();
        let columns = columns
            .iter()
            .map(|name| {
                let (table, column) = name;
                let codes = def
                    .question(table)
                    .and_then(|t| t.column(column))
                    .is_some_and(|c| holds_codes(&c.kind));
                let stored = match names {
                    None => Some((table.as_str(), column.as_str())),
                    Some(names) => names.column(table, column),
                };
                match stored.and_then(|(t, c)| data.tables.get(t).map(|lines| (t, c, lines))) {
                    Some((t, c, lines)) => (name, codes, AnswerColumn::of(&lines.lines, c), t.to_owned()),
                    None => (name, codes, AnswerColumn::Missing, String::new()),
                }
            })
            .collect();
        AnswerColumns {
            def,
            data,
            questions,
            columns,
            previous: None,
        }
    }

    /// Adds what `previous(name)` reads for each of `names`: the answer in `previous`
    /// (written with its own definition, found through `previous_names`) at the row
    /// `rows` gives for each return, missing where it gives none.
    pub fn with_previous(
        mut self,
        previous: &'a Dataset,
        previous_names: &dyn Names,
        names: &'a BTreeSet<String>,
        rows: Vec<Option<usize>>,
    ) -> Self {
        let names = names
            .iter()
            .map(|q| match (self.def.question(q), previous_names.question(q)) {
                (Some(question), Some(stored)) => (
                    q.as_str(),
                    holds_codes(&question.kind),
                    AnswerColumn::of(&previous.responses, stored),
                ),
                _ => (q.as_str(), false, AnswerColumn::Missing),
            })
            .collect();
        self.previous = Some(PreviousAnswers { names, rows });
        self
    }

    /// The answers of the return in `row`.
    pub fn row(&self, row: usize) -> ReturnAnswers<'a> {
        let values = self
            .questions
            .iter()
            .map(|(q, codes, column)| (*q, column.value(*codes, row)))
            .collect();
        let columns = self
            .columns
            .iter()
            .map(|(name, codes, column, stored)| {
                let cells = match self.data.tables.get(stored) {
                    Some(lines) => lines
                        .by_owner
                        .get(row)
                        .map(|owned| owned.iter().map(|&l| column.value(*codes, l)).collect())
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                (*name, cells)
            })
            .collect();
        let previous = match &self.previous {
            Some(p) => match p.rows.get(row).copied().flatten() {
                Some(before) => p
                    .names
                    .iter()
                    .map(|(q, codes, column)| (*q, column.value(*codes, before)))
                    .collect(),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        ReturnAnswers {
            def: self.def,
            values,
            columns,
            previous,
        }
    }
}

/// One return's answers, as expressions read them: only the names an expression needs
/// are decoded, so evaluating rules over a million returns does not build a million maps.
pub struct ReturnAnswers<'a> {
    def: &'a Definition,
    values: Vec<(&'a str, Value)>,
    columns: Vec<(&'a (String, String), Vec<Value>)>,
    /// The same enterprise's answers in the previous wave (none when it has no return
    /// there, or there is no previous wave).
    previous: Vec<(&'a str, Value)>,
}

impl Answers for ReturnAnswers<'_> {
    fn answer(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn column(&self, table: &str, column: &str) -> Vec<&Value> {
        self.columns
            .iter()
            .find(|((t, c), _)| t == table && c == column)
            .map(|(_, cells)| cells.iter().collect())
            .unwrap_or_default()
    }

    fn rows(&self, table: &str) -> usize {
        self.columns
            .iter()
            .find(|((t, _), _)| t == table)
            .map_or(0, |(_, cells)| cells.len())
    }

    fn param(&self, name: &str) -> Option<f64> {
        self.def.parameter(name)
    }

    fn previous(&self, name: &str) -> Option<&Value> {
        self.previous.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> Definition {
        survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
    }

    /// A previous wave written from another definition lacks a column this one's roles
    /// read: the error names the file, the column and the role, not a query plan.
    #[test]
    fn a_dataset_lacking_a_role_s_column_says_which_and_why() {
        let def = definition();
        let dir = tempfile::tempdir().unwrap();
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("uscc".into(), ["91310110MA1AM7HCKG"]),
            Column::new(FINGERPRINT.into(), [def.fingerprint.as_str()]),
            Column::new(SUBMITTED_AT.into(), [Some(1_708_394_400i64)]),
            Column::new("employees_now".into(), [Some(12i64)]),
        ])
        .unwrap();
        let file = std::fs::File::create(dir.path().join(RESPONSES_FILE)).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();
        survey_files::dataset::Manifest::seal(dir.path(), Default::default()).unwrap();
        let wanted: BTreeSet<String> = ["employees_now", "employees_before_festival"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let err = Dataset::read(dir.path(), &def, &wanted, &BTreeSet::new()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(&err, DatasetError::MissingColumn { column, .. } if column == "employees_before_festival"),
            "{message}"
        );
        assert!(
            message.contains("the [analysis] role `employees_before` reads"),
            "{message}"
        );
        assert!(!message.contains("plan"), "{message}");
    }
}
