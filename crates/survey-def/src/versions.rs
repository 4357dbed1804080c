//! Earlier versions of a questionnaire, and how their returns become returns of the
//! current one.
//!
//! A definition lists the versions it reads under `[[survey.earlier_versions]]`, each with
//! its own definition file and a mapping (renamed ids, recoded options). A return of such
//! a version is read and checked with its own definition, then *harmonised*: its answers
//! move to the current questions (renamed, recoded), questions new in the current version
//! stay unanswered (they were not asked), and questions since removed are dropped.
//!
//! [`plan`] builds the [`Harmonisation`] of one earlier version and reports every mapping
//! that cannot hold (an id or code that does not exist, a type that cannot map, two
//! answers landing in one question); `labor-survey check` shows them at their line.

use crate::definition::{Definition, Question, QuestionKind};
use crate::expr::Value;
use crate::model::EarlierVersionSpec;
use std::collections::BTreeMap;

/// An earlier version whose returns this definition reads.
#[derive(Debug, Clone)]
pub struct EarlierVersion {
    /// The version its returns carry.
    pub version: String,
    /// Its definition: its returns are read and checked with it.
    pub definition: Box<Definition>,
    /// How its checked answers become answers of the current definition.
    pub harmonisation: Harmonisation,
}

/// How the answers of one earlier version map onto the current definition.
#[derive(Debug, Clone, Default)]
pub struct Harmonisation {
    /// Per current top-level question: where its answer comes from.
    questions: Vec<Option<Source>>,
    /// Per current table (in [`Definition::tables`] order): the earlier table and where
    /// each column comes from.
    tables: Vec<Option<TableSource>>,
    /// Every earlier id (question or `table.column`) that reads under another id now.
    pub renamed: BTreeMap<String, String>,
    /// Earlier questions (and columns) whose option codes are recoded.
    pub recoded: Vec<String>,
    /// Earlier questions (and columns) with no counterpart now: their answers are dropped.
    pub dropped: Vec<String>,
    /// Current questions (and columns) the earlier version did not ask.
    pub not_asked: Vec<String>,
}

/// Where one current question's answer comes from in an earlier return.
#[derive(Debug, Clone)]
struct Source {
    /// Position of the earlier question (or column).
    index: usize,
    /// Its id in the earlier version (`table.column` for a column).
    earlier_id: String,
    /// Old code -> current code, for the codes that changed.
    recode: BTreeMap<String, String>,
    /// The current options in list order, for a multiple choice (ticked codes are kept
    /// in list order).
    order: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct TableSource {
    /// Position of the earlier table among the earlier definition's tables.
    table: usize,
    /// Per current column: where its cell comes from.
    columns: Vec<Option<Source>>,
}

impl Harmonisation {
    /// Moves checked answers of the earlier version onto the current questions:
    /// `values` by position in the earlier `Definition::questions()`, `tables` in the
    /// earlier `Definition::tables()` order; the result is laid out the same way for the
    /// current definition.
    pub fn apply(
        &self,
        mut values: Vec<Value>,
        mut tables: Vec<Vec<Vec<Value>>>,
    ) -> (Vec<Value>, Vec<Vec<Vec<Value>>>) {
        let moved = self
            .questions
            .iter()
            .map(|source| match source {
                Some(s) => s.convert(take(values.get_mut(s.index))),
                None => Value::Missing,
            })
            .collect();
        let moved_tables = self
            .tables
            .iter()
            .map(|source| match source {
                Some(t) => std::mem::take(tables.get_mut(t.table).unwrap_or(&mut Vec::new()))
                    .into_iter()
                    .map(|mut row| {
                        t.columns
                            .iter()
                            .map(|c| match c {
                                Some(s) => s.convert(take(row.get_mut(s.index))),
                                None => Value::Missing,
                            })
                            .collect()
                    })
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        (moved, moved_tables)
    }

    /// The current id of an earlier question or `table.column` (itself when not renamed;
    /// for a cell `table[2].column`, the table and column parts are renamed).
    pub fn current_id(&self, earlier: &str) -> String {
        if let Some(id) = self.renamed.get(earlier) {
            return id.clone();
        }
        // `question:code`, as an option of a multiple choice is keyed.
        if let Some((question, code)) = earlier.split_once(':') {
            let recoded = self
                .questions
                .iter()
                .chain(self.tables.iter().flatten().flat_map(|t| t.columns.iter()))
                .flatten()
                .find(|s| s.earlier_id == question)
                .and_then(|s| s.recode.get(code))
                .map_or(code, String::as_str);
            return format!("{}:{recoded}", self.current_id(question));
        }
        // `table[2].column` as the originals column keys cells.
        if let Some((table, rest)) = earlier.split_once('[')
            && let Some((row, column)) = rest.split_once("].")
        {
            let whole = format!("{table}.{column}");
            let (t, c) = match self.renamed.get(&whole) {
                Some(now) => now.split_once('.').map_or((table, column), |(t, c)| (t, c)),
                None => (self.renamed.get(table).map_or(table, String::as_str), column),
            };
            return format!("{t}[{row}].{c}");
        }
        earlier.to_owned()
    }
}

/// Takes the value out of `slot`, leaving `Missing` (a slot that is not there gives
/// `Missing`).
fn take(slot: Option<&mut Value>) -> Value {
    slot.map_or(Value::Missing, |v| std::mem::replace(v, Value::Missing))
}

impl Source {
    fn convert(&self, value: Value) -> Value {
        match value {
            Value::Text(code) if !self.recode.is_empty() => {
                Value::Text(self.recode.get(&code).cloned().unwrap_or(code))
            }
            Value::Codes(codes) if !self.recode.is_empty() => {
                let mut codes: Vec<String> = codes
                    .into_iter()
                    .map(|c| self.recode.get(&c).cloned().unwrap_or(c))
                    .collect();
                if let Some(order) = &self.order {
                    codes.sort_by_key(|c| order.iter().position(|o| o == c).unwrap_or(usize::MAX));
                }
                codes.dedup();
                Value::Codes(codes)
            }
            other => other,
        }
    }
}

/// A mapping that cannot hold, placed at a key of its `[[survey.earlier_versions]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProblem {
    /// Keys under the entry (`["rename", "old_id"]`, `["recode", "q", "code"]`); empty for
    /// the entry itself.
    pub at: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: Option<String>,
}

/// Whether an answer of kind `old` reads as an answer of kind `new`.
fn kinds_map(old: &QuestionKind, new: &QuestionKind) -> bool {
    use QuestionKind as K;
    matches!(
        (old, new),
        (K::Integer(_), K::Integer(_) | K::Decimal(_))
            | (K::Decimal(_), K::Decimal(_))
            | (K::Text { .. }, K::Text { .. })
            | (K::Boolean, K::Boolean)
            | (K::Date, K::Date)
            | (
                K::SingleChoice(_) | K::Subdistrict(_),
                K::SingleChoice(_) | K::Subdistrict(_)
            )
            | (K::MultipleChoice(_), K::MultipleChoice(_))
            | (K::EnterpriseId, K::EnterpriseId)
            | (K::IndustryCode, K::IndustryCode)
            | (K::OccupationCode, K::OccupationCode)
            | (K::Table(_), K::Table(_))
    )
}

/// Every question and table column of `def` by name (`id`, `table.column`).
fn items(def: &Definition) -> BTreeMap<String, &Question> {
    let mut out = BTreeMap::new();
    for q in def.questions() {
        out.insert(q.id.clone(), q);
        for c in q.columns() {
            out.insert(format!("{}.{}", q.id, c.id), c);
        }
    }
    out
}

/// Builds the harmonisation of `earlier` (listed as `spec`) onto `current`, with every
/// problem of the mapping. The harmonisation is only used when there is none.
pub fn plan(
    spec: &EarlierVersionSpec,
    earlier: &Definition,
    current: &Definition,
) -> (Harmonisation, Vec<MappingProblem>) {
    let mut problems = Vec::new();
    let mut report = |at: &[&str], message: String, hint: Option<String>| {
        problems.push(MappingProblem {
            at: at.iter().map(|s| (*s).to_owned()).collect(),
            message,
            hint,
        });
    };
    let version = &spec.version;
    if earlier.survey().id != current.survey().id {
        report(
            &["definition"],
            format!(
                "`{}` is a definition of survey `{}`, not `{}`",
                spec.definition,
                earlier.survey().id,
                current.survey().id
            ),
            Some("list only earlier versions of this survey".into()),
        );
    }
    if earlier.survey().version != *version {
        report(
            &["version"],
            format!(
                "`{}` is version {}, not {version}",
                spec.definition,
                earlier.survey().version
            ),
            Some(format!("write version = \"{}\"", earlier.survey().version)),
        );
    }
    let before = items(earlier);
    let after = items(current);

    // Renames: from an earlier id to a current one, at the same level.
    for (old, new) in &spec.rename {
        let at = ["rename", old.as_str()];
        if !before.contains_key(old.as_str()) {
            report(
                &at,
                format!("version {version} has no question `{old}` to rename"),
                Some(near(old, before.keys())),
            );
            continue;
        };
        if !after.contains_key(new.as_str()) {
            report(
                &at,
                format!("`{old}` is renamed to `{new}`, which this definition does not have"),
                Some(near(new, after.keys())),
            );
            continue;
        };
        if old.contains('.') != new.contains('.') {
            report(
                &at,
                format!("`{old}` and `{new}` are not both questions or both table columns"),
                None,
            );
            continue;
        }
        if let (Some((old_table, _)), Some((new_table, _))) = (old.split_once('.'), new.split_once('.')) {
            let table_now = spec.rename.get(old_table).map_or(old_table, String::as_str);
            if table_now != new_table {
                report(
                    &at,
                    format!("a column of table `{old_table}` is renamed into table `{new_table}`"),
                    Some(format!("a column keeps its table; rename it to `{table_now}.…`")),
                );
                continue;
            }
        }
    }
    let rename_of = |old: &str| -> String {
        if let Some(new) = spec.rename.get(old) {
            return new.clone();
        }
        match old.split_once('.') {
            Some((table, column)) => format!("{}.{column}", spec.rename.get(table).map_or(table, String::as_str)),
            None => old.to_owned(),
        }
    };
    // Which earlier item fills each current one; two filling one is an error.
    let mut filled: BTreeMap<String, String> = BTreeMap::new();
    for old in before.keys() {
        let new = rename_of(old);
        if !after.contains_key(&new) {
            continue;
        }
        if let Some(first) = filled.get(&new) {
            let at_key = if spec.rename.contains_key(old) { old } else { first };
            report(
                &["rename", at_key.as_str()],
                format!("both `{first}` and `{old}` of version {version} would answer `{new}`"),
                Some("rename one of them to another question, or leave it out".into()),
            );
            continue;
        }
        filled.insert(new, old.clone());
    }

    // Recodes: the question as it was (or its current id), codes of each side.
    let mut recodes: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, codes) in &spec.recode {
        let at = ["recode", name.as_str()];
        let old_name = if before.contains_key(name.as_str()) {
            name.clone()
        } else if let Some(old) = filled.get(name.as_str()) {
            old.clone()
        } else {
            report(
                &at,
                format!("version {version} has no question `{name}` to recode"),
                Some(near(name, before.keys())),
            );
            continue;
        };
        let Some(new_name) = filled.iter().find(|(_, o)| **o == old_name).map(|(n, _)| n.clone()) else {
            report(
                &at,
                format!("`{old_name}` of version {version} is not read into this definition, so it cannot be recoded"),
                Some("rename it to a question of this definition, or remove the recode".into()),
            );
            continue;
        };
        let (Some(old_choices), Some(new_choices)) = (
            before[old_name.as_str()].kind.choices(),
            after[new_name.as_str()].kind.choices(),
        ) else {
            report(
                &at,
                format!("`{name}` is not a choice question in both versions"),
                Some("recode applies to single_choice, multiple_choice and subdistrict questions".into()),
            );
            continue;
        };
        for (from, to) in codes {
            let at = ["recode", name.as_str(), from.as_str()];
            if !old_choices.contains(from) {
                report(
                    &at,
                    format!("`{from}` is not an option of `{old_name}` in version {version}"),
                    Some(format!(
                        "its options: {}",
                        code_list(old_choices.options.iter().map(|o| o.code.as_str()))
                    )),
                );
            } else if !new_choices.contains(to) {
                report(
                    &at,
                    format!("`{to}` is not an option of `{new_name}` in this definition"),
                    Some(format!(
                        "its options: {}",
                        code_list(new_choices.options.iter().map(|o| o.code.as_str()))
                    )),
                );
            }
        }
        recodes.insert(old_name, codes.clone());
    }

    // Types, and options that would not read.
    for (new_name, old_name) in &filled {
        let (old, new) = (before[old_name.as_str()], after[new_name.as_str()]);
        let at_key: Vec<&str> = if spec.rename.contains_key(old_name) {
            vec!["rename", old_name.as_str()]
        } else {
            vec!["version"]
        };
        if !kinds_map(&old.kind, &new.kind) {
            report(
                &at_key,
                format!(
                    "`{old_name}` was {} in version {version} and `{new_name}` is {} now: its answers cannot be read as answers of it",
                    old.kind.name(),
                    new.kind.name()
                ),
                Some("give the changed question a new id, so the earlier answers are dropped instead".into()),
            );
            continue;
        }
        if let (Some(a), Some(b)) = (old.kind.choices(), new.kind.choices()) {
            let recode = recodes.get(old_name.as_str());
            let unread: Vec<&str> = a
                .options
                .iter()
                .map(|o| o.code.as_str())
                .filter(|c| !b.contains(recode.and_then(|r| r.get(*c)).map_or(c, String::as_str)))
                .collect();
            if !unread.is_empty() {
                let at: Vec<&str> = match recode {
                    Some(_) => vec!["recode", old_name.as_str()],
                    None => at_key.clone(),
                };
                report(
                    &at,
                    format!(
                        "option(s) {} of `{old_name}` in version {version} are not options of `{new_name}` now",
                        code_list(unread.iter().copied())
                    ),
                    Some(format!(
                        "add recode.{old_name} = {{ {} = \"…\" }} with one of {}",
                        unread[0],
                        code_list(b.options.iter().map(|o| o.code.as_str()))
                    )),
                );
            }
        }
    }
    let (old_enterprise, new_enterprise) = (
        &earlier.survey().enterprise_question,
        &current.survey().enterprise_question,
    );
    if filled.get(new_enterprise.as_str()) != Some(old_enterprise) {
        report(
            &["rename"],
            format!(
                "the enterprise id is `{old_enterprise}` in version {version} and `{new_enterprise}` now, and one does not read into the other"
            ),
            Some(format!("add rename = {{ {old_enterprise} = \"{new_enterprise}\" }}")),
        );
    }

    let mut h = Harmonisation {
        renamed: before
            .keys()
            .filter_map(|old| {
                let new = rename_of(old);
                (new != *old && after.contains_key(&new)).then(|| (old.clone(), new))
            })
            .collect(),
        dropped: before
            .keys()
            .filter(|old| !filled.values().any(|o| o == *old))
            .cloned()
            .collect(),
        recoded: recodes.keys().cloned().collect(),
        not_asked: after
            .iter()
            .filter(|(new, q)| q.is_asked() && !filled.contains_key(new.as_str()))
            .map(|(new, _)| new.clone())
            .collect(),
        ..Harmonisation::default()
    };
    let source = |old_name: &str, index: usize, new: &Question| Source {
        index,
        earlier_id: old_name.to_owned(),
        recode: recodes.get(old_name).cloned().unwrap_or_default(),
        order: match &new.kind {
            QuestionKind::MultipleChoice(c) => Some(c.options.iter().map(|o| o.code.clone()).collect()),
            _ => None,
        },
    };
    let old_tables: Vec<&str> = earlier.tables().map(Question::id).collect();
    for new in current.questions() {
        let old = filled
            .get(new.id())
            .and_then(|o| earlier.questions().iter().position(|q| q.id == *o));
        let compatible = old.is_some_and(|i| kinds_map(&earlier.questions()[i].kind, &new.kind));
        if new.kind.table().is_some() {
            let table = old.filter(|_| compatible).and_then(|i| {
                let old_table = &earlier.questions()[i];
                let t = old_tables.iter().position(|id| *id == old_table.id())?;
                let columns = new
                    .columns()
                    .iter()
                    .map(|c| {
                        let from = filled.get(&format!("{}.{}", new.id, c.id))?;
                        let (_, old_column) = from.split_once('.')?;
                        let index = old_table.columns().iter().position(|oc| oc.id == old_column)?;
                        kinds_map(&old_table.columns()[index].kind, &c.kind).then(|| source(from, index, c))
                    })
                    .collect();
                Some(TableSource { table: t, columns })
            });
            h.tables.push(table);
            h.questions.push(None);
        } else {
            h.questions.push(
                old.filter(|_| compatible)
                    .map(|i| source(&earlier.questions()[i].id, i, new)),
            );
        }
    }
    (h, problems)
}

/// "did you mean" for an id among `known`, or some of them when nothing is close.
fn near<'a>(wanted: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    match crate::expr::closest(wanted, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("its ids include {}", code_list(known.iter().take(12).copied())),
    }
}

fn code_list<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}
