//! A generated return held as typed values, and its check against the definition: the
//! same expressions the parser evaluates, so a return this module passes is one the
//! ingest must accept.

use std::collections::{BTreeMap, BTreeSet};
use survey_def::codes::{industry_division, normalize_uscc, occupation_major_group};
use survey_def::expr::{self, Answers, Value};
use survey_def::{Definition, Question, QuestionKind};

/// One return's answers: top-level questions (asked and calculated) and table rows.
/// An absent key is an unanswered question.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Record {
    pub answers: BTreeMap<String, Value>,
    pub tables: BTreeMap<String, Vec<BTreeMap<String, Value>>>,
}

static MISSING: Value = Value::Missing;

/// The record as expressions see it, optionally inside one table row.
pub(crate) struct Scope<'a> {
    pub def: &'a Definition,
    pub record: &'a Record,
    pub row: Option<(&'a Question, &'a BTreeMap<String, Value>)>,
}

impl Answers for Scope<'_> {
    fn answer(&self, name: &str) -> Option<&Value> {
        if let Some((table, row)) = self.row
            && table.column(name).is_some()
        {
            return Some(row.get(name).unwrap_or(&MISSING));
        }
        Some(self.record.answers.get(name).unwrap_or(&MISSING))
    }

    fn column(&self, table: &str, column: &str) -> Vec<&Value> {
        self.record
            .tables
            .get(table)
            .map(|rows| rows.iter().map(|r| r.get(column).unwrap_or(&MISSING)).collect())
            .unwrap_or_default()
    }

    fn rows(&self, table: &str) -> usize {
        self.record.tables.get(table).map_or(0, Vec::len)
    }

    fn param(&self, name: &str) -> Option<f64> {
        self.def.parameter(name)
    }
}

/// Evaluates `e` on the whole record.
pub(crate) fn eval(def: &Definition, record: &Record, e: &expr::Expr) -> Value {
    expr::eval(e, &Scope { def, record, row: None })
}

/// Evaluates `e` inside one row of `table`.
pub(crate) fn eval_row(
    def: &Definition,
    record: &Record,
    table: &Question,
    row: &BTreeMap<String, Value>,
    e: &expr::Expr,
) -> Value {
    expr::eval(
        e,
        &Scope {
            def,
            record,
            row: Some((table, row)),
        },
    )
}

/// Fills in every `calculate` (top-level ones in order, repeated so one may read another).
pub(crate) fn calculate(def: &Definition, record: &mut Record) {
    for _ in 0..3 {
        for q in def.questions() {
            if let Some(calc) = &q.calculate {
                match eval(def, record, calc) {
                    Value::Missing => record.answers.remove(q.id()),
                    v => record.answers.insert(q.id().to_owned(), v),
                };
            }
        }
    }
}

/// Whether `value` is a well-formed answer to `q` (type, list, range, length, code).
pub(crate) fn well_formed(q: &Question, value: &Value) -> Result<(), String> {
    let ok = match (&q.kind, value) {
        (QuestionKind::Integer(bounds) | QuestionKind::Decimal(bounds), Value::Number(n)) => {
            if matches!(q.kind, QuestionKind::Integer(_)) && n.fract() != 0.0 {
                return Err(format!("{n} is not whole"));
            }
            if bounds.min.is_some_and(|m| *n < m) || bounds.max.is_some_and(|m| *n > m) {
                return Err(format!("{n} is out of range"));
            }
            true
        }
        (QuestionKind::Text { max_length }, Value::Text(t)) => {
            max_length.is_none_or(|m| t.chars().count() <= m as usize)
        }
        (QuestionKind::Boolean, Value::Bool(_)) | (QuestionKind::Date, Value::Date(_)) => true,
        (QuestionKind::SingleChoice(choices) | QuestionKind::Subdistrict(choices), Value::Text(code)) => {
            choices.contains(code)
        }
        (QuestionKind::MultipleChoice(choices), Value::Codes(codes)) => codes.iter().all(|c| choices.contains(c)),
        (QuestionKind::EnterpriseId, Value::Text(t)) => normalize_uscc(t).is_ok_and(|c| c == *t),
        (QuestionKind::IndustryCode, Value::Text(t)) => industry_division(t).is_some(),
        (QuestionKind::OccupationCode, Value::Text(t)) => occupation_major_group(t).is_some(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{value:?} is not a valid {} answer", q.kind.name()))
    }
}

/// Whether `q` (a top-level question) is asked, given the questions skipped before it:
/// decided by its skip rule, or, when that cannot be decided, asked unless the rule
/// reads a skipped question (skip logic cascades, as in the ingest).
pub(crate) fn asked(def: &Definition, record: &Record, q: &Question, skipped: &BTreeSet<String>) -> bool {
    q.relevant.as_ref().is_none_or(|rule| {
        let scope = Scope { def, record, row: None };
        expr::is_relevant(rule, &scope, &|name| skipped.contains(name))
    })
}

/// Whether column `col` of one row of `table` is asked, given the top-level questions
/// and the row's columns skipped so far.
pub(crate) fn cell_asked(
    def: &Definition,
    record: &Record,
    table: &Question,
    row: &BTreeMap<String, Value>,
    col: &Question,
    skipped: &BTreeSet<String>,
    skipped_cols: &BTreeSet<String>,
) -> bool {
    col.relevant.as_ref().is_none_or(|rule| {
        let scope = Scope {
            def,
            record,
            row: Some((table, row)),
        };
        let is_skipped = |name: &str| match table.column(name) {
            Some(_) => skipped_cols.contains(name),
            None => skipped.contains(name),
        };
        expr::is_relevant(rule, &scope, &is_skipped)
    })
}

/// Every way `record` breaks the definition: ill-formed answers, answers to skipped
/// questions, missing required answers, failed constraints, too many rows. Empty for a
/// clean return. Calculated questions must already be filled in.
pub(crate) fn problems(def: &Definition, record: &Record) -> Vec<String> {
    let mut out = Vec::new();
    let mut skipped = BTreeSet::new();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        let relevant = asked(def, record, q, &skipped);
        if !relevant {
            skipped.insert(q.id().to_owned());
        }
        if q.kind.table().is_some() {
            let rows = record.tables.get(q.id()).map(Vec::as_slice).unwrap_or_default();
            if !relevant && !rows.is_empty() {
                out.push(format!("{}: rows in a skipped table", q.id()));
            }
            if q.kind
                .table()
                .and_then(|t| t.max_rows)
                .is_some_and(|m| rows.len() > m as usize)
            {
                out.push(format!("{}: {} rows, more than allowed", q.id(), rows.len()));
            }
            for (r, row) in rows.iter().enumerate() {
                let mut skipped_cols = BTreeSet::new();
                for col in q.columns().iter().filter(|c| c.is_asked()) {
                    let name = format!("{}[{}].{}", q.id(), r + 1, col.id());
                    let rel = cell_asked(def, record, q, row, col, &skipped, &skipped_cols);
                    if !rel {
                        skipped_cols.insert(col.id().to_owned());
                    }
                    let value = row.get(col.id());
                    check_one(def, record, col, value, rel, Some((q, row)), &name, &mut out);
                }
            }
            continue;
        }
        let value = record.answers.get(q.id());
        check_one(def, record, q, value, relevant, None, q.id(), &mut out);
    }
    out
}
#[allow(clippy::too_many_arguments)]
fn check_one(
    def: &Definition,
    record: &Record,
    q: &Question,
    value: Option<&Value>,
    relevant: bool,
    row: Option<(&Question, &BTreeMap<String, Value>)>,
    name: &str,
    out: &mut Vec<String>,
) {
    match value {
        None => {
            if relevant && q.required {
                out.push(format!("{name}: required but unanswered"));
            }
        }
        Some(v) => {
            if !relevant {
                out.push(format!("{name}: answered although skipped"));
            }
            if let Err(e) = well_formed(q, v) {
                out.push(format!("{name}: {e}"));
            }
            if let Some(c) = &q.constraint {
                let result = match row {
                    Some((table, r)) => eval_row(def, record, table, r, c),
                    None => eval(def, record, c),
                };
                if result == Value::Bool(false) {
                    out.push(format!(
                        "{name}: constraint `{}` fails",
                        q.constraint_text.as_deref().unwrap_or("")
                    ));
                }
            }
        }
    }
}
