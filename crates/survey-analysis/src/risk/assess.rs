//! The definition's risk rules evaluated on every return of a dataset, with the evidence
//! shown beside each flag.
//!
//! One pass over the returns: each return's answers to every name the rules read (and to
//! their evidence questions) are decoded once, then every rule is evaluated on them, so
//! the work grows with returns x rules and nothing else.

use crate::dataset::{AnswerColumns, Dataset, names_read};
use crate::figures::tr;
use crate::previous::PreviousWave;
use std::collections::BTreeSet;
use survey_def::expr::{Answers, Value, eval, previous_references};
use survey_def::{Definition, Lang};

/// Separator between a question's label and its value in the evidence text.
pub const EVIDENCE_LABEL_SEPARATOR: &str = ": ";
/// Separator between the evidence items of one flag.
pub const EVIDENCE_ITEM_SEPARATOR: &str = "; ";
/// Decimals kept when a fractional answer is shown as evidence.
const EVIDENCE_DECIMALS: usize = 4;

/// What one rule said of one return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The condition is true: the rule trips.
    Tripped,
    /// The condition is false.
    Clear,
    /// The condition reads a missing answer and cannot be decided. It does not trip
    /// (the expression language's rule for risk rules), and counts as "not flagged".
    Undecided,
}

/// One rule tripped by one return.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Row of the return in its dataset.
    pub row: usize,
    /// Index of the rule in the definition's risk rules.
    pub rule: usize,
    /// The rule's evidence questions as "question label: value", joined by "; ".
    pub evidence: String,
}

/// Every risk rule's verdict on every return of one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    rows: usize,
    rules: usize,
    /// Row-major: the verdict of rule `k` on row `r` is at `r * rules + k`.
    verdicts: Vec<Verdict>,
    /// The rules tripped, by row, then in rule order.
    pub flags: Vec<Flag>,
}

impl Assessment {
    /// Number of returns assessed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The verdict of rule `rule` on row `row`.
    pub fn verdict(&self, row: usize, rule: usize) -> Verdict {
        self.verdicts[row * self.rules + rule]
    }

    /// Whether rule `rule` tripped on row `row`.
    pub fn tripped(&self, row: usize, rule: usize) -> bool {
        self.verdict(row, rule) == Verdict::Tripped
    }

    /// Whether any rule tripped on row `row`.
    pub fn flagged(&self, row: usize) -> bool {
        (0..self.rules).any(|k| self.tripped(row, k))
    }
}

/// Questions and table columns the rules' conditions read, plus their evidence questions.
pub fn names_read_by_rules(def: &Definition) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let mut questions = BTreeSet::new();
    let mut columns = BTreeSet::new();
    for rule in def.risk_rules() {
        names_read(&rule.when, &mut questions, &mut columns);
        questions.extend(rule.evidence.iter().cloned());
    }
    (questions, columns)
}

/// Evaluates every risk rule of `def` on every return of `data`; evidence in `lang`.
/// `previous()` reads nothing: no previous wave is at hand.
pub fn assess(def: &Definition, lang: Lang, data: &Dataset) -> Assessment {
    let (questions, columns) = names_read_by_rules(def);
    run_rules(
        def,
        lang,
        data.len(),
        AnswerColumns::new(data, def, &questions, &columns),
    )
}

/// Evaluates every risk rule of `def` on every return of this wave's `data`, with
/// `previous(question)` reading the same enterprise's answer in `previous`, when given.
pub fn assess_with_previous(
    def: &Definition,
    lang: Lang,
    data: &Dataset,
    previous: Option<&PreviousWave<'_>>,
) -> Assessment {
    let (questions, columns) = names_read_by_rules(def);
    let read_before = names_read_before(def);
    let decoded = AnswerColumns::new(data, def, &questions, &columns);
    let decoded = match previous {
        Some(wave) => decoded.with_previous(wave.data, &wave.matching, &read_before, wave.rows_of(data)),
        None => decoded,
    };
    run_rules(def, lang, data.len(), decoded)
}

/// Evaluates every risk rule of `def` (this wave's definition) on the returns of the
/// previous wave, each name read from the previous wave's question holding the same thing
/// (missing where there is none). `previous()` reads nothing there: the wave before it is
/// not at hand.
pub fn assess_previous_wave(def: &Definition, lang: Lang, wave: &PreviousWave<'_>) -> Assessment {
    let (questions, columns) = names_read_by_rules(def);
    let decoded = AnswerColumns::read_as(wave.data, def, Some(&wave.matching), &questions, &columns);
    run_rules(def, lang, wave.data.len(), decoded)
}

/// Questions the rules read through `previous()`.
fn names_read_before(def: &Definition) -> BTreeSet<String> {
    def.risk_rules()
        .iter()
        .flat_map(|r| previous_references(&r.when))
        .map(|r| r.name)
        .collect()
}

/// Evaluates every rule on each of `rows` returns decoded in `decoded`.
fn run_rules(def: &Definition, lang: Lang, rows: usize, decoded: AnswerColumns<'_>) -> Assessment {
    let rules = def.risk_rules();
    // The questions each rule reads in the previous wave, shown beside its evidence.
    let before: Vec<Vec<String>> = rules
        .iter()
        .map(|r| {
            let mut names: Vec<String> = Vec::new();
            for r in previous_references(&r.when) {
                if !names.contains(&r.name) {
                    names.push(r.name);
                }
            }
            names
        })
        .collect();
    let mut verdicts = Vec::with_capacity(rows * rules.len());
    let mut flags = Vec::new();
    for row in 0..rows {
        let answers = decoded.row(row);
        for (k, rule) in rules.iter().enumerate() {
            let verdict = match eval(&rule.when, &answers) {
                Value::Bool(true) => Verdict::Tripped,
                Value::Bool(false) => Verdict::Clear,
                _ => Verdict::Undecided,
            };
            if verdict == Verdict::Tripped {
                let mut evidence = evidence_text(def, lang, &rule.evidence, &answers);
                let then = previous_evidence_text(def, lang, &before[k], &answers);
                if !then.is_empty() {
                    if !evidence.is_empty() {
                        evidence.push_str(EVIDENCE_ITEM_SEPARATOR);
                    }
                    evidence.push_str(&then);
                }
                flags.push(Flag { row, rule: k, evidence });
            }
            verdicts.push(verdict);
        }
    }
    Assessment {
        rows,
        rules: rules.len(),
        verdicts,
        flags,
    }
}

/// "question label (previous wave): value" for each question a rule reads through
/// `previous()`, joined by "; ".
fn previous_evidence_text(def: &Definition, lang: Lang, names: &[String], answers: &dyn Answers) -> String {
    names
        .iter()
        .map(|q| {
            let label = def.question(q).map_or(q.as_str(), |question| question.label.get(lang));
            let value = answers.previous(q).unwrap_or(&Value::Missing);
            format!(
                "{label}{}{EVIDENCE_LABEL_SEPARATOR}{}",
                tr(lang, "（上期）", " (previous wave)"),
                answer_text(def, lang, q, value)
            )
        })
        .collect::<Vec<_>>()
        .join(EVIDENCE_ITEM_SEPARATOR)
}

/// "question label: value" for each evidence question, joined by "; ".
fn evidence_text(def: &Definition, lang: Lang, evidence: &[String], answers: &dyn Answers) -> String {
    evidence
        .iter()
        .map(|q| {
            let label = def.question(q).map_or(q.as_str(), |question| question.label.get(lang));
            let value = answers.answer(q).unwrap_or(&Value::Missing);
            format!("{label}{EVIDENCE_LABEL_SEPARATOR}{}", answer_text(def, lang, q, value))
        })
        .collect::<Vec<_>>()
        .join(EVIDENCE_ITEM_SEPARATOR)
}

/// An answer as a reader sees it: codes by their choice labels, numbers without a
/// trailing `.0`, dates as ISO dates.
pub fn answer_text(def: &Definition, lang: Lang, question: &str, value: &Value) -> String {
    let choice = |code: &str| -> String {
        def.question(question)
            .and_then(|q| q.kind.choices())
            .and_then(|list| list.options.iter().find(|o| o.code == code))
            .map_or_else(|| code.to_owned(), |o| o.label.get(lang).to_owned())
    };
    match value {
        Value::Missing => tr(lang, "未填", "not answered"),
        Value::Number(n) => number_text(*n),
        Value::Text(t) => choice(t),
        Value::Bool(b) => {
            if *b {
                tr(lang, "是", "yes")
            } else {
                tr(lang, "否", "no")
            }
        }
        Value::Date(days) => chrono::DateTime::from_timestamp(i64::from(*days) * 86_400, 0)
            .map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string()),
        Value::Codes(codes) => codes
            .iter()
            .map(|c| choice(c))
            .collect::<Vec<_>>()
            .join(&tr(lang, "、", ", ")),
    }
}

/// A number without a trailing `.0`; fractions rounded to a few decimals so a derived
/// rate does not show floating-point noise.
pub fn number_text(n: f64) -> String {
    // Whole numbers below 2^53 are exact in an f64 and print as integers.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        return format!("{}", n as i64);
    }
    let text = format!("{n:.EVIDENCE_DECIMALS$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}
