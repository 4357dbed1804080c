//! Checking a received return against the definition: identity, types, ranges, codes,
//! required answers, skip logic, constraints, calculations and the policy chain.
//!
//! Every problem becomes a [`Rejection`]; a return with any error is rejected whole, one
//! with warnings only is accepted with the set-aside values reported.

use crate::normalize::{self, Normalized};
use crate::raw::{RawCell, RawReturn, RawRow, RawValue};
use crate::rejection::{Location, Rejection, Rule, Severity, excerpt};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;
use survey_def::expr::{self, Answers, Value};
use survey_def::{Definition, Question, QuestionKind};

/// A return that passed every check.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckedReturn {
    /// Where it came from.
    pub source: Location,
    /// The enterprise's unified social credit code (normalised).
    pub enterprise_id: String,
    /// Submission time, seconds since the epoch, as the return records it.
    pub submitted_at: Option<i64>,
    /// Modification time of its file, seconds since the epoch.
    pub file_modified: Option<i64>,
    /// Answers (and calculated values) by position in `Definition::questions()`; a
    /// table's slot holds `Missing`.
    pub values: Vec<Value>,
    /// Rows of each table, in `Definition::tables()` order; each row holds every column.
    pub tables: Vec<Vec<Vec<Value>>>,
    /// Text as received, by question id (`table[row].column` for cells), where reading
    /// changed it.
    pub originals: BTreeMap<String, String>,
    /// The earlier version it was made from, when it was read with that version's
    /// definition and harmonised; `None` for a return of the current version.
    pub earlier_version: Option<String>,
}

/// The result of checking one return.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The return, when it has no error.
    pub checked: Option<CheckedReturn>,
    /// Every problem found (errors and warnings).
    pub rejections: Vec<Rejection>,
    /// For a rejected return whose enterprise id is valid: that id and when the return
    /// was submitted (the file's modification time where it records none), so a later
    /// accepted return of the same enterprise can resolve it.
    pub rejected_from: Option<(String, Option<i64>)>,
}

/// Checks returns against one definition. Built once per run; cheap to share across
/// threads.
pub struct Validator<'d> {
    def: &'d Definition,
    top: HashMap<&'d str, usize>,
    tables: HashMap<&'d str, (usize, HashMap<&'d str, usize>)>,
    table_questions: Vec<usize>,
    calculate_order: Vec<usize>,
    enterprise_slot: Option<usize>,
    /// The question holding the enterprise's name, when the definition names one.
    name_slot: Option<usize>,
    submitted_slot: Option<usize>,
    max_text_chars: usize,
    /// Validators of the earlier versions the definition reads, with their mapping.
    earlier: Vec<(&'d survey_def::versions::EarlierVersion, Validator<'d>)>,
}

impl<'d> Validator<'d> {
    /// Prepares the lookups for `def`; `max_text_chars` caps every text answer.
    pub fn new(def: &'d Definition, max_text_chars: usize) -> Self {
        let questions = def.questions();
        let top: HashMap<&str, usize> = questions.iter().enumerate().map(|(i, q)| (q.id(), i)).collect();
        let table_questions: Vec<usize> = questions
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind.table().is_some())
            .map(|(i, _)| i)
            .collect();
        let tables = table_questions
            .iter()
            .enumerate()
            .map(|(t, &i)| {
                let cols = questions[i]
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(c, col)| (col.id(), c))
                    .collect();
                (questions[i].id(), (t, cols))
            })
            .collect();
        let calculate_order = calculate_order(def, &top);
        Validator {
            def,
            enterprise_slot: top.get(def.survey().enterprise_question.as_str()).copied(),
            name_slot: def
                .survey()
                .enterprise_name_question
                .as_deref()
                .and_then(|q| top.get(q).copied()),
            submitted_slot: def
                .survey()
                .submitted_at_question
                .as_deref()
                .and_then(|q| top.get(q).copied()),
            top,
            tables,
            table_questions,
            calculate_order,
            max_text_chars,
            earlier: def
                .earlier_versions()
                .iter()
                .map(|e| (e, Validator::new(&e.definition, max_text_chars)))
                .collect(),
        }
    }

    /// The definition checked against.
    pub fn definition(&self) -> &'d Definition {
        self.def
    }

    /// Checks one return. A return of an earlier version the definition lists is checked
    /// with that version's definition, then harmonised to this one.
    pub fn check(&self, raw: &RawReturn) -> Outcome {
        let version = raw.version.as_deref().map(str::trim);
        if let Some(version) = version
            && version != self.def.survey().version
            && let Some((earlier, validator)) = self.earlier.iter().find(|(e, _)| e.version == version)
        {
            let mut outcome = validator.check(raw);
            if let Some(checked) = &mut outcome.checked {
                let h = &earlier.harmonisation;
                let (values, tables) =
                    h.apply(std::mem::take(&mut checked.values), std::mem::take(&mut checked.tables));
                checked.values = values;
                checked.tables = tables;
                checked.originals = std::mem::take(&mut checked.originals)
                    .into_iter()
                    .map(|(id, text)| (h.current_id(&id), text))
                    .collect();
                checked.earlier_version = Some(earlier.version.clone());
            }
            return outcome;
        }
        let mut run = Run {
            v: self,
            rejections: Vec::new(),
            originals: BTreeMap::new(),
        };
        if let Some(r) = self.identity(raw) {
            return Outcome {
                checked: None,
                rejections: vec![r],
                rejected_from: None,
            };
        }
        let mut values = vec![Value::Missing; self.def.questions().len()];
        let mut cells: Vec<Option<&RawCell>> = vec![None; values.len()];
        run.read_answers(raw, &mut values, &mut cells);
        let (mut tables, places) = run.read_tables(raw);
        // On the answers as given: skip logic would otherwise clear a "received" whose
        // "applied" is no and hide the contradiction.
        run.check_policy_chain(&values, &cells, raw);
        let asked = run.derive(&mut values, &mut tables, &cells, &places);
        run.check_answers(&values, &tables, &cells, &places, &asked, raw);
        let has_error = run.rejections.iter().any(|r| r.severity == Severity::Error);
        let enterprise_id = self.enterprise_slot.and_then(|i| match &values[i] {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        });
        let submitted_at = self.submitted_at(raw, &values);
        let rejected_from = match (has_error, &enterprise_id) {
            (true, Some(id)) => Some((id.clone(), submitted_at.or(raw.file_modified))),
            _ => None,
        };
        let checked = match (has_error, enterprise_id) {
            (false, Some(enterprise_id)) => Some(CheckedReturn {
                source: raw.source.clone(),
                enterprise_id,
                submitted_at,
                file_modified: raw.file_modified,
                values,
                tables,
                originals: run.originals,
                earlier_version: None,
            }),
            _ => None,
        };
        let mut rejections = run.rejections;
        // What reading noticed (a template read by its layout) goes with the return.
        rejections.extend(raw.notes.iter().cloned());
        if !rejections.is_empty() {
            // The enterprise as the return gives it, checked or not: the office traces a
            // rejected return to who sent it.
            let as_read = |slot: Option<usize>| {
                slot.and_then(|i| cells[i])
                    .map(|c| crate::rejection::excerpt(c.value.display().trim()))
                    .filter(|t| !t.is_empty())
            };
            let id = as_read(self.enterprise_slot);
            let name = as_read(self.name_slot);
            for r in &mut rejections {
                r.enterprise_id.clone_from(&id);
                r.enterprise_name.clone_from(&name);
            }
        }
        for r in &mut rejections {
            raw.locate(&mut r.location);
        }
        Outcome {
            checked,
            rejections,
            rejected_from,
        }
    }

    fn identity(&self, raw: &RawReturn) -> Option<Rejection> {
        let survey = self.def.survey();
        if let Some(id) = &raw.survey_id
            && id.trim() != survey.id
        {
            return Some(Rejection::file(
                raw.source.clone(),
                Rule::OtherSurvey,
                format!("这是调查“{}”的问卷，不是“{}”", excerpt(id), survey.id),
                format!("this return belongs to survey `{}`, not `{}`", excerpt(id), survey.id),
            ));
        }
        if let Some(version) = &raw.version
            && version.trim() != survey.version
        {
            return Some(Rejection::file(
                raw.source.clone(),
                Rule::OtherVersion,
                format!(
                    "问卷版本为 {}，本定义为版本 {}{}；请在定义文件 {} 的 [[survey.earlier_versions]] 中列出该版本及其定义文件",
                    excerpt(version),
                    survey.version,
                    self.also_read_zh(),
                    self.def.source.display()
                ),
                format!(
                    "the return was made from version {} of the definition; this definition is version {}{}. List that version and its definition file under [[survey.earlier_versions]] in {}",
                    excerpt(version),
                    survey.version,
                    self.also_read_en(),
                    self.def.source.display()
                ),
            ));
        }
        // At least the short form printed on templates: an empty or one-letter
        // fingerprint would match anything.
        // Templates printed before the answer contract carry the legacy fingerprint.
        let made_from_this = |fp: &str| {
            self.def.fingerprint.starts_with(fp)
                || (!self.def.legacy_fingerprint.is_empty() && self.def.legacy_fingerprint.starts_with(fp))
        };
        if let Some(fp) = &raw.fingerprint
            && (fp.trim().len() < 16 || !made_from_this(fp.trim()))
        {
            return Some(Rejection::file(
                raw.source.clone(),
                Rule::OtherVersion,
                "问卷由内容不同的定义生成（版本号相同但指纹不同）",
                format!(
                    "the return was made from a different definition with the same version (fingerprint {} ≠ {})",
                    excerpt(fp),
                    self.def.short_fingerprint()
                ),
            ));
        }
        None
    }

    /// "，并读取版本 1.0.0、1.1.0" when earlier versions are listed.
    fn also_read_zh(&self) -> String {
        match self.earlier_list() {
            Some(list) => format!("，并读取版本 {list}"),
            None => String::new(),
        }
    }

    /// " and reads versions 1.0.0, 1.1.0 too" when earlier versions are listed.
    fn also_read_en(&self) -> String {
        match self.earlier_list() {
            Some(list) => format!(" and also reads {list}"),
            None => String::new(),
        }
    }

    fn earlier_list(&self) -> Option<String> {
        let versions: Vec<&str> = self.earlier.iter().map(|(e, _)| e.version.as_str()).collect();
        (!versions.is_empty()).then(|| versions.join(", "))
    }

    fn submitted_at(&self, raw: &RawReturn, values: &[Value]) -> Option<i64> {
        if let Some(text) = &raw.submitted_at
            && let Some(t) = parse_timestamp(text)
        {
            return Some(t);
        }
        match self.submitted_slot.map(|i| &values[i]) {
            Some(Value::Date(d)) => Some(i64::from(*d) * 86_400),
            _ => None,
        }
    }
}

/// Seconds since the epoch of an RFC 3339 time or a plain date.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S") {
        return Some(dt.and_utc().timestamp());
    }
    normalize::parse_date_text(t).map(|d| i64::from(d) * 86_400)
}

/// Why `n` is out of range, Chinese and English, saying an open end in words rather than
/// printing a dangling dash: "-5 超出允许范围 0–100", "-5 is below the minimum 0".
fn out_of_range(n: &str, min: Option<f64>, max: Option<f64>) -> (String, String) {
    let f = crate::raw::format_number;
    match (min, max) {
        (Some(a), Some(b)) => (
            format!("{n} 超出允许范围 {}–{}", f(a), f(b)),
            format!("{n} is outside the allowed range {}–{}", f(a), f(b)),
        ),
        (Some(a), None) => (
            format!("{n} 小于最小值 {}", f(a)),
            format!("{n} is below the minimum {}", f(a)),
        ),
        (None, Some(b)) => (
            format!("{n} 大于最大值 {}", f(b)),
            format!("{n} is above the maximum {}", f(b)),
        ),
        (None, None) => (format!("{n} 超出允许范围"), format!("{n} is outside the allowed range")),
    }
}

/// Top-level calculated questions ordered so each comes after those it reads.
fn calculate_order(def: &Definition, top: &HashMap<&str, usize>) -> Vec<usize> {
    fn visit(i: usize, def: &Definition, top: &HashMap<&str, usize>, done: &mut Vec<bool>, out: &mut Vec<usize>) {
        if done[i] {
            return;
        }
        done[i] = true;
        if let Some(e) = &def.questions()[i].calculate {
            for r in expr::references(e) {
                if r.table.is_none()
                    && let Some(&j) = top.get(r.name.as_str())
                    && def.questions()[j].calculate.is_some()
                {
                    visit(j, def, top, done, out);
                }
            }
            out.push(i);
        }
    }
    let mut done = vec![false; def.questions().len()];
    let mut out = Vec::new();
    for i in 0..def.questions().len() {
        visit(i, def, top, &mut done, &mut out);
    }
    out
}

/// Where a table row and each of its cells were found.
#[derive(Debug, Clone)]
struct RowPlace<'r> {
    row: &'r Location,
    cells: Vec<Option<(&'r Location, &'r RawValue)>>,
}

/// Which questions, and which cells of each table row, skip logic asks.
struct Asked {
    top: Vec<bool>,
    cells: Vec<Vec<Vec<bool>>>,
}

struct Run<'v, 'd> {
    v: &'v Validator<'d>,
    rejections: Vec<Rejection>,
    originals: BTreeMap<String, String>,
}

/// Answers seen by expressions: the return's values, and a table row while one is checked.
struct Scope<'a, 'd> {
    v: &'a Validator<'d>,
    values: &'a [Value],
    tables: &'a [Vec<Vec<Value>>],
    row: Option<(usize, &'a [Value])>,
}

impl Answers for Scope<'_, '_> {
    fn answer(&self, name: &str) -> Option<&Value> {
        if let Some((t, row)) = self.row {
            let table_q = &self.v.def.questions()[self.v.table_questions[t]];
            if let Some(c) = table_q.columns().iter().position(|c| c.id() == name) {
                return row.get(c);
            }
        }
        self.v.top.get(name).map(|&i| &self.values[i])
    }

    fn column(&self, table: &str, column: &str) -> Vec<&Value> {
        let Some((t, cols)) = self.v.tables.get(table) else {
            return Vec::new();
        };
        let Some(&c) = cols.get(column) else { return Vec::new() };
        self.tables[*t].iter().filter_map(|row| row.get(c)).collect()
    }

    fn rows(&self, table: &str) -> usize {
        self.v.tables.get(table).map_or(0, |(t, _)| self.tables[*t].len())
    }

    fn param(&self, name: &str) -> Option<f64> {
        self.v.def.parameter(name)
    }
}

impl<'d> Run<'_, 'd> {
    // Each argument is a field of the rejection it builds.
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &mut self,
        location: &Location,
        q: &Question,
        value: Option<&RawValue>,
        rule: Rule,
        severity: Severity,
        zh: String,
        en: String,
    ) {
        self.rejections.push(Rejection {
            location: location.clone(),
            question: Some(q.id.clone()),
            label_zh: Some(q.label.zh.clone()),
            label_en: Some(q.label.en.clone()),
            value: value.map(|v| excerpt(&v.display())).filter(|v| !v.is_empty()),
            rule,
            severity,
            message_zh: zh,
            message_en: en,
            enterprise_id: None,
            enterprise_name: None,
            resolved_by: None,
        });
    }

    /// A problem with a name the definition does not know (so there is no label).
    #[allow(clippy::too_many_arguments)] // each argument is a field of the rejection
    fn reject_unknown(
        &mut self,
        location: &Location,
        name: &str,
        value: Option<&RawValue>,
        rule: Rule,
        severity: Severity,
        zh: &str,
        en: &str,
    ) {
        self.rejections.push(Rejection {
            location: location.clone(),
            question: Some(excerpt(name)),
            label_zh: None,
            label_en: None,
            value: value.map(|v| excerpt(&v.display())).filter(|v| !v.is_empty()),
            rule,
            severity,
            message_zh: zh.into(),
            message_en: en.into(),
            enterprise_id: None,
            enterprise_name: None,
            resolved_by: None,
        });
    }

    /// Reads one answer; on failure records the rejection and gives `Missing`.
    fn read(&mut self, cell: &RawCell, q: &Question, key: impl FnOnce() -> String) -> Value {
        self.read_as(cell, q, &q.kind, key)
    }

    /// Reads one answer to `q` as an answer of `kind` (a multiple choice's option rows are
    /// read as yes or no).
    fn read_as(&mut self, cell: &RawCell, q: &Question, kind: &QuestionKind, key: impl FnOnce() -> String) -> Value {
        if let RawValue::Text(t) = &cell.value
            && t.chars().count() > self.v.max_text_chars
        {
            let n = t.chars().count();
            let limit = self.v.max_text_chars;
            self.reject(
                &cell.location,
                q,
                Some(&cell.value),
                Rule::TooLong,
                Severity::Error,
                format!("文字过长（{n} 字，上限 {limit}）"),
                format!("text too long ({n} characters, limit {limit})"),
            );
            return Value::Missing;
        }
        match normalize::normalize(&cell.value, kind) {
            Ok(Normalized { value, original }) => {
                if let Some(original) = original {
                    self.originals.insert(key(), original);
                }
                value
            }
            Err(e) => {
                self.reject(
                    &cell.location,
                    q,
                    Some(&cell.value),
                    e.rule,
                    Severity::Error,
                    e.zh,
                    e.en,
                );
                Value::Missing
            }
        }
    }

    fn read_answers<'r>(&mut self, raw: &'r RawReturn, values: &mut [Value], cells: &mut [Option<&'r RawCell>]) {
        let def = self.v.def;
        // Multiple choice ticked option by option: `question:code` = yes/no.
        let mut ticked: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (id, cell) in &raw.answers {
            // Question ids are letters, digits and `_`: one found as it is has no option.
            let question = self.v.top.get(id.as_str()).copied();
            if question.is_none()
                && let Some((qid, code)) = id.split_once(survey_forms::layout::OPTION_SEPARATOR)
                && let Some(&i) = self.v.top.get(qid)
                && let QuestionKind::MultipleChoice(choices) = &def.questions()[i].kind
            {
                let q = &def.questions()[i];
                if !choices.contains(code) {
                    self.reject(
                        &cell.location,
                        q,
                        Some(&cell.value),
                        Rule::UnknownCode,
                        Severity::Error,
                        format!("没有选项“{}”", excerpt(code)),
                        format!("no option `{}`", excerpt(code)),
                    );
                    continue;
                }
                if cell.value.is_blank() {
                    // Untouched option rows are no answer; "no" on every option is one.
                    cells[i].get_or_insert(cell);
                    continue;
                }
                match self.read_as(cell, q, &QuestionKind::Boolean, || id.clone()) {
                    Value::Bool(true) => ticked.entry(i).or_default().push(code.to_owned()),
                    _ => {
                        ticked.entry(i).or_default();
                    }
                }
                cells[i].get_or_insert(cell);
                continue;
            }
            let Some(i) = question else {
                // A blank unknown column (a wide export's spare column) is no answer.
                if !cell.value.is_blank() {
                    self.reject_unknown(
                        &cell.location,
                        id,
                        Some(&cell.value),
                        Rule::UnknownQuestion,
                        Severity::Warning,
                        "问卷中没有此题，已忽略该回答",
                        "the survey has no such question; the answer was set aside",
                    );
                }
                continue;
            };
            let q = &def.questions()[i];
            if q.kind.table().is_some() {
                // A table answered as a single value (`"vacancies": 5`) loses its rows:
                // say so rather than drop it.
                if !cell.value.is_blank() {
                    self.reject(
                        &cell.location,
                        q,
                        Some(&cell.value),
                        Rule::WrongType,
                        Severity::Error,
                        "表格题应为多行（对象列表）".into(),
                        "a table answer must be a list of row objects".into(),
                    );
                }
                continue;
            }
            if !q.is_asked() {
                // Calculated, never asked: an export may carry it; the calculation wins.
                if !cell.value.is_blank() {
                    self.reject(
                        &cell.location,
                        q,
                        Some(&cell.value),
                        Rule::UnknownQuestion,
                        Severity::Warning,
                        "此题由计算得出，收到的值未被采用".into(),
                        "this value is calculated; the value received was set aside".into(),
                    );
                }
                continue;
            }
            // A blank cell seen first does not make a later answer a second one.
            let answered_before = cells[i].is_some_and(|c| !c.value.is_blank());
            if answered_before && !cell.value.is_blank() {
                self.reject(
                    &cell.location,
                    q,
                    Some(&cell.value),
                    Rule::DuplicateKey,
                    Severity::Error,
                    "同一题目出现了两次回答".into(),
                    "the question is answered twice".into(),
                );
                continue;
            }
            if cell.value.is_blank() {
                cells[i].get_or_insert(cell);
                continue;
            }
            cells[i] = Some(cell);
            values[i] = self.read(cell, q, || id.clone());
        }
        for (i, codes) in ticked {
            let list = def.questions()[i].kind.choices();
            let mut all = match std::mem::replace(&mut values[i], Value::Missing) {
                Value::Codes(c) => c,
                _ => Vec::new(),
            };
            for c in codes {
                if !all.contains(&c) {
                    all.push(c);
                }
            }
            if let Some(list) = list {
                all.sort_by_key(|c| list.options.iter().position(|o| o.code == *c));
            }
            // Every option answered "no" is an answer: none of them.
            values[i] = Value::Codes(all);
        }
    }

    fn read_tables<'r>(&mut self, raw: &'r RawReturn) -> (Vec<Vec<Vec<Value>>>, Vec<Vec<RowPlace<'r>>>) {
        let def = self.v.def;
        let mut out = vec![Vec::new(); self.v.table_questions.len()];
        let mut places = vec![Vec::new(); self.v.table_questions.len()];
        for (table_id, rows) in &raw.tables {
            let Some((t, cols)) = self.v.tables.get(table_id.as_str()) else {
                let location = rows.first().map_or_else(|| raw.source.clone(), |r| r.location.clone());
                let (rule, severity, zh, en) = match self.v.top.get(table_id.as_str()) {
                    Some(_) => (
                        Rule::WrongType,
                        Severity::Error,
                        "此题不是表格题，不应为对象列表",
                        "this question is not a table; it cannot hold a list of objects",
                    ),
                    None => (
                        Rule::UnknownQuestion,
                        Severity::Warning,
                        "问卷中没有此表格，已忽略",
                        "the survey has no such table; the rows were set aside",
                    ),
                };
                self.reject_unknown(&location, table_id, None, rule, severity, zh, en);
                continue;
            };
            let q = &def.questions()[self.v.table_questions[*t]];
            let rows: Vec<&RawRow> = rows
                .iter()
                .filter(|r| r.cells.iter().any(|(_, c)| !c.value.is_blank()))
                .collect();
            if let Some(max) = q.kind.table().and_then(|t| t.max_rows)
                && rows.len() > max as usize
            {
                let loc = rows[max as usize].location.clone();
                self.reject(
                    &loc,
                    q,
                    None,
                    Rule::TooManyRows,
                    Severity::Error,
                    format!("最多 {max} 行，收到 {} 行", rows.len()),
                    format!("at most {max} rows, got {}", rows.len()),
                );
                continue;
            }
            for (r, row) in rows.iter().enumerate() {
                let mut values = vec![Value::Missing; q.columns().len()];
                let mut place = RowPlace {
                    row: &row.location,
                    cells: vec![None; q.columns().len()],
                };
                for (col_id, cell) in &row.cells {
                    let Some(&c) = cols.get(col_id.as_str()) else {
                        if !cell.value.is_blank() {
                            self.reject_unknown(
                                &cell.location,
                                &format!("{table_id}.{col_id}"),
                                Some(&cell.value),
                                Rule::UnknownQuestion,
                                Severity::Warning,
                                "表格中没有此列，已忽略",
                                "the table has no such column; the value was set aside",
                            );
                        }
                        continue;
                    };
                    values[c] = self.read(cell, &q.columns()[c], || format!("{table_id}[{r}].{col_id}"));
                    place.cells[c] = Some((&cell.location, &cell.value));
                }
                out[*t].push(values);
                places[*t].push(place);
            }
        }
        (out, places)
    }

    /// Calculations, then skip logic (clearing skipped answers), then calculations again
    /// on what remains. Returns which questions (and which cells of each table row) are
    /// asked.
    ///
    /// Skip logic cascades: a `relevant` that cannot be decided keeps its question,
    /// unless what it reads was itself skipped — then the question is skipped too (the
    /// "received" of a policy whose "applied" was never asked is not asked either).
    fn derive(
        &mut self,
        values: &mut [Value],
        tables: &mut [Vec<Vec<Value>>],
        cells: &[Option<&RawCell>],
        places: &[Vec<RowPlace<'_>>],
    ) -> Asked {
        self.calculate(values, tables);
        let def = self.v.def;
        let mut asked = Asked {
            top: vec![true; values.len()],
            cells: tables
                .iter()
                .map(|rows| rows.iter().map(|r| vec![true; r.len()]).collect())
                .collect(),
        };
        for (i, q) in def.questions().iter().enumerate() {
            let Some(rel) = &q.relevant else { continue };
            let scope = Scope {
                v: self.v,
                values,
                tables,
                row: None,
            };
            let top = &self.v.top;
            let skipped = |name: &str| top.get(name).is_some_and(|&j| !asked.top[j]);
            asked.top[i] = expr::is_relevant(rel, &scope, &skipped);
            if asked.top[i] {
                continue;
            }
            if let Some(t) = self.v.table_questions.iter().position(|&qi| qi == i) {
                for (r, place) in places[t].iter().enumerate() {
                    self.reject(
                        place.row,
                        q,
                        None,
                        Rule::AnsweredWhenSkipped,
                        Severity::Warning,
                        format!("按跳转逻辑此表应跳过，第 {} 行未被采用", r + 1),
                        format!(
                            "the skip logic says this table should have been skipped; row {} was not used",
                            r + 1
                        ),
                    );
                }
                tables[t].clear();
            } else if !values[i].is_missing() {
                let cell = cells[i];
                let loc = cell.map(|c| c.location.clone()).unwrap_or_default();
                self.reject(
                    &loc,
                    q,
                    cell.map(|c| &c.value),
                    Rule::AnsweredWhenSkipped,
                    Severity::Warning,
                    "按跳转逻辑此题应跳过，回答未被采用".into(),
                    "the skip logic says this question should have been skipped; the answer was not used".into(),
                );
                values[i] = Value::Missing;
            }
        }
        for (t, &qi) in self.v.table_questions.iter().enumerate() {
            let q = &def.questions()[qi];
            for r in 0..tables[t].len() {
                for (c, col) in q.columns().iter().enumerate() {
                    let Some(rel) = &col.relevant else { continue };
                    let row = tables[t][r].clone();
                    let scope = Scope {
                        v: self.v,
                        values,
                        tables,
                        row: Some((t, &row)),
                    };
                    let row_asked = &asked.cells[t][r];
                    let skipped = |name: &str| match q.columns().iter().position(|k| k.id() == name) {
                        Some(k) => !row_asked[k],
                        None => self.v.top.get(name).is_some_and(|&j| !asked.top[j]),
                    };
                    let keep = expr::is_relevant(rel, &scope, &skipped);
                    asked.cells[t][r][c] = keep;
                    if !keep && !row[c].is_missing() {
                        let (loc, raw) = places[t][r].cells[c].unwrap_or((places[t][r].row, &RawValue::Empty));
                        self.reject(loc, col, Some(raw), Rule::AnsweredWhenSkipped, Severity::Warning, format!("第 {} 行：按跳转逻辑此列应跳过，回答未被采用", r + 1), format!("row {}: the skip logic says this column should have been skipped; the answer was not used", r + 1));
                        tables[t][r][c] = Value::Missing;
                    }
                }
            }
        }
        self.calculate(values, tables);
        asked
    }

    fn calculate(&self, values: &mut [Value], tables: &mut [Vec<Vec<Value>>]) {
        let def = self.v.def;
        for (t, &qi) in self.v.table_questions.iter().enumerate() {
            let q = &def.questions()[qi];
            for r in 0..tables[t].len() {
                for (c, col) in q.columns().iter().enumerate() {
                    if let Some(calc) = &col.calculate {
                        let row = tables[t][r].clone();
                        let scope = Scope {
                            v: self.v,
                            values,
                            tables,
                            row: Some((t, &row)),
                        };
                        tables[t][r][c] = expr::eval(calc, &scope);
                    }
                }
            }
        }
        for &i in &self.v.calculate_order {
            if let Some(calc) = &def.questions()[i].calculate {
                let scope = Scope {
                    v: self.v,
                    values,
                    tables,
                    row: None,
                };
                values[i] = expr::eval(calc, &scope);
            }
        }
    }

    fn check_answers(
        &mut self,
        values: &[Value],
        tables: &[Vec<Vec<Value>>],
        cells: &[Option<&RawCell>],
        places: &[Vec<RowPlace<'_>>],
        asked: &Asked,
        raw: &RawReturn,
    ) {
        let def = self.v.def;
        for (i, q) in def.questions().iter().enumerate() {
            if q.kind.table().is_some() || !q.is_asked() {
                continue;
            }
            let scope = Scope {
                v: self.v,
                values,
                tables,
                row: None,
            };
            // Borrowed: a location is copied only into a rejection.
            let loc = cells[i].map_or(&raw.source, |c| &c.location);
            let raw_value = cells[i].map(|c| &c.value);
            self.check_one(q, &values[i], asked.top[i], &scope, loc, raw_value, None);
        }
        for (t, &qi) in self.v.table_questions.iter().enumerate() {
            let q = &def.questions()[qi];
            for (r, row) in tables[t].iter().enumerate() {
                for (c, col) in q.columns().iter().enumerate() {
                    if !col.is_asked() {
                        continue;
                    }
                    let scope = Scope {
                        v: self.v,
                        values,
                        tables,
                        row: Some((t, row)),
                    };
                    let place = &places[t][r];
                    let (loc, raw_value) = match place.cells[c] {
                        Some((loc, v)) => (loc, Some(v)),
                        None => (place.row, None),
                    };
                    self.check_one(col, &row[c], asked.cells[t][r][c], &scope, loc, raw_value, Some(r));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // one call site per level (question, table cell)
    fn check_one(
        &mut self,
        q: &Question,
        value: &Value,
        relevant: bool,
        scope: &Scope<'_, '_>,
        loc: &Location,
        raw: Option<&RawValue>,
        row: Option<usize>,
    ) {
        let spec = q;
        let prefix = |zh: bool| match row {
            Some(r) if zh => format!("第 {} 行：", r + 1),
            Some(r) => format!("row {}: ", r + 1),
            None => String::new(),
        };
        if value.is_missing() {
            if spec.required && relevant {
                // An unreadable answer was reported already; do not report it twice.
                let already = self.rejections.iter().any(|r| {
                    r.question.as_deref() == Some(&spec.id) && r.location == *loc && r.severity == Severity::Error
                });
                if !already {
                    self.reject(
                        loc,
                        spec,
                        raw,
                        Rule::Required,
                        Severity::Error,
                        format!("{}此题必答", prefix(true)),
                        format!("{}an answer is required", prefix(false)),
                    );
                }
            }
            return;
        }
        if let (Value::Number(n), Some(bounds)) = (value, spec.kind.number()) {
            let below = bounds.min.is_some_and(|m| *n < m);
            let above = bounds.max.is_some_and(|m| *n > m);
            if below || above {
                let (zh, en) = out_of_range(&crate::raw::format_number(*n), bounds.min, bounds.max);
                self.reject(
                    loc,
                    spec,
                    raw,
                    Rule::OutOfRange,
                    Severity::Error,
                    format!("{}{zh}", prefix(true)),
                    format!("{}{en}", prefix(false)),
                );
            }
        }
        if let (Value::Text(t), QuestionKind::Text { max_length: Some(max) }) = (value, &spec.kind) {
            let n = t.chars().count();
            if n > *max as usize {
                self.reject(
                    loc,
                    spec,
                    raw,
                    Rule::TooLong,
                    Severity::Error,
                    format!("{}文字过长（{n} 字，上限 {max}）", prefix(true)),
                    format!("{}text too long ({n} characters, limit {max})", prefix(false)),
                );
            }
        }
        if let Some(constraint) = &q.constraint
            && expr::eval(constraint, scope) == Value::Bool(false)
        {
            let (zh, en) = match &spec.constraint_message {
                Some(m) => (m.zh.clone(), m.en.clone()),
                None => (
                    format!("不满足条件 {}", spec.constraint_text.as_deref().unwrap_or_default()),
                    format!(
                        "fails the check `{}`",
                        spec.constraint_text.as_deref().unwrap_or_default()
                    ),
                ),
            };
            self.reject(
                loc,
                spec,
                raw,
                Rule::Constraint,
                Severity::Error,
                format!("{}{zh}", prefix(true)),
                format!("{}{en}", prefix(false)),
            );
        }
    }

    /// received implies applied implies aware: a return that breaks the chain cannot be
    /// read as either answer being right.
    fn check_policy_chain(&mut self, values: &[Value], cells: &[Option<&RawCell>], raw: &RawReturn) {
        let def = self.v.def;
        for policy in def.policies() {
            let get = |id: &str| self.v.top.get(id).map(|&i| (i, &values[i]));
            let (Some((_, aware)), Some((ia, applied)), Some((ir, received))) =
                (get(&policy.aware), get(&policy.applied), get(&policy.received))
            else {
                continue;
            };
            let yes = |v: &Value| *v == Value::Bool(true);
            let broken = if yes(received) && !yes(applied) {
                Some((ir, "已享受但未申请", "received but not applied"))
            } else if yes(applied) && !yes(aware) {
                Some((ia, "已申请但不知晓", "applied but not aware"))
            } else {
                None
            };
            if let Some((i, zh, en)) = broken {
                let loc = cells[i].map_or_else(|| raw.source.clone(), |c| c.location.clone());
                let q = &def.questions()[i];
                let name = &policy.name;
                self.reject(
                    &loc,
                    q,
                    cells[i].map(|c| &c.value),
                    Rule::PolicyChain,
                    Severity::Error,
                    format!("{}：{zh}，回答相互矛盾", name.zh),
                    format!("{}: {en}; the answers contradict each other", name.en),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::out_of_range;

    #[test]
    fn an_open_end_of_a_range_is_said_in_words() {
        assert_eq!(
            out_of_range("-5", Some(0.0), Some(100.0)).1,
            "-5 is outside the allowed range 0–100"
        );
        assert_eq!(
            out_of_range("-5", Some(0.0), None),
            ("-5 小于最小值 0".into(), "-5 is below the minimum 0".into())
        );
        assert_eq!(out_of_range("12", None, Some(9.0)).1, "12 is above the maximum 9");
    }
}
