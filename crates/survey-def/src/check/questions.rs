//! Checks of the questions themselves: their ids, the type of each answer, the keys
//! that apply to each question type and their ranges, and the compilation of a checked
//! question into a [`Question`].
//!
//! Ids and types come before any expression is read: expressions name questions by
//! id and are type-checked against their answers.

use super::logic::{check_relevant_order, compile_expr};
use super::{Checker, Declared, key};
use crate::definition::{Choices, NumberSpec, Question, QuestionKind, TableSpec};
use crate::expr::{self, NameInfo, Scope, ValueType};
use crate::problem::ProblemKind;
use crate::source::{Seg, TomlPath};
use crate::written::{DefinitionFile, QuestionSpec, QuestionType};
use std::collections::HashMap;

/// Words an id may not take: they mean something in expressions.
const RESERVED: &[&str] = &["and", "or", "not", "in", "true", "false"];

/// True for an id expressions can refer to by name.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every question of every section, in questionnaire order, with its table columns and
/// its place in the file.
pub(super) fn declare(file: &DefinitionFile) -> Vec<Declared<'_>> {
    let mut out = Vec::new();
    let mut order = 0;
    for (si, section) in file.sections.iter().enumerate() {
        for (qi, spec) in section.questions.iter().enumerate() {
            let path = vec![key("sections"), Seg::Index(si), key("questions"), Seg::Index(qi)];
            let columns = spec
                .columns
                .iter()
                .flatten()
                .enumerate()
                .map(|(ci, col)| Declared {
                    spec: col,
                    path: [path.as_slice(), &[key("columns"), Seg::Index(ci)]].concat(),
                    section: &section.id,
                    order: ci,
                    columns: Vec::new(),
                })
                .collect();
            out.push(Declared {
                spec,
                path,
                section: &section.id,
                order,
                columns,
            });
            order += 1;
        }
    }
    out
}

/// Question and column ids are usable in expressions and unique across the definition
/// (expressions name them without their section); section, risk rule, policy and
/// service ids are unique in their lists.
pub(super) fn check_ids(ck: &mut Checker<'_>, file: &DefinitionFile, declared: &[Declared<'_>]) {
    let mut seen: HashMap<&str, TomlPath> = HashMap::new();
    let all = declared.iter().flat_map(|d| std::iter::once(d).chain(d.columns.iter()));
    for d in all {
        let id = d.spec.id.as_str();
        let at = [d.path.as_slice(), &[key("id")]].concat();
        if !is_identifier(id) || RESERVED.contains(&id) || expr::Func::from_name(id).is_some() {
            ck.report(
                ProblemKind::BadId,
                &at,
                format!("question id `{id}` is not usable in expressions"),
                Some("use letters, digits and `_`, starting with a letter, and not a keyword or function name".into()),
            );
        }
        if let Some(first) = seen.get(id) {
            let first_line = ck.line_of(first);
            ck.report(
                ProblemKind::DuplicateId,
                &at,
                format!("question id `{id}` is already used"),
                Some(format!(
                    "first declared on line {first_line}; ids must be unique across the whole definition"
                )),
            );
        } else {
            seen.insert(id, at);
        }
    }
    let mut unique = |what: &str, list: &str, ids: Vec<&str>| {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.into_iter().enumerate() {
            let at = vec![key(list), Seg::Index(i), key("id")];
            if let Some(first) = seen.insert(id, i) {
                let first_line = ck.line_of(&[key(list), Seg::Index(first), key("id")]);
                ck.report(
                    ProblemKind::DuplicateId,
                    &at,
                    format!("{what} id `{id}` is already used"),
                    Some(format!("first declared on line {first_line}")),
                );
            }
        }
    };
    unique(
        "section",
        "sections",
        file.sections.iter().map(|s| s.id.as_str()).collect(),
    );
    unique(
        "risk rule",
        "risk_rules",
        file.risk_rules.iter().map(|s| s.id.as_str()).collect(),
    );
    unique(
        "policy",
        "policies",
        file.policies.iter().map(|s| s.id.as_str()).collect(),
    );
    unique(
        "service",
        "services",
        file.services.iter().map(|s| s.id.as_str()).collect(),
    );
}

/// The type of a question's answer, reporting a missing or unknown choice list.
fn value_type(
    ck: &mut Checker<'_>,
    file: &DefinitionFile,
    d: &Declared<'_>,
    choices: &HashMap<String, Vec<String>>,
) -> Option<ValueType> {
    let spec = d.spec;
    let list = |ck: &mut Checker<'_>| -> Option<String> {
        let at = [d.path.as_slice(), &[key("choices")]].concat();
        match &spec.choices {
            None => {
                ck.report(
                    ProblemKind::UnknownChoiceList,
                    &d.path,
                    format!("choice question `{}` names no choice list", spec.id),
                    Some("add `choices = \"<list id>\"`".into()),
                );
                None
            }
            Some(list) if !choices.contains_key(list) => {
                let hint = expr::closest(list, choices.keys().map(String::as_str))
                    .map_or("declare it under [choices]".to_owned(), |c| {
                        format!("did you mean `{c}`?")
                    });
                ck.report(
                    ProblemKind::UnknownChoiceList,
                    &at,
                    format!("unknown choice list `{list}`"),
                    Some(hint),
                );
                None
            }
            Some(list) => Some(list.clone()),
        }
    };
    Some(match spec.kind {
        QuestionType::Integer | QuestionType::Decimal => ValueType::Number,
        QuestionType::Text | QuestionType::EnterpriseId | QuestionType::OccupationCode => ValueType::Text,
        QuestionType::Boolean => ValueType::Bool,
        QuestionType::Date => ValueType::Date,
        QuestionType::IndustryCode => ValueType::Industry,
        QuestionType::SingleChoice => ValueType::Code(list(ck)?),
        QuestionType::MultipleChoice => ValueType::Codes(list(ck)?),
        QuestionType::Subdistrict => match &file.survey.subdistricts {
            Some(list) => ValueType::Code(list.clone()),
            None => {
                ck.report(
                    ProblemKind::UnknownChoiceList,
                    &d.path,
                    format!(
                        "`{}` is a sub-district question, but the survey names no sub-district list",
                        spec.id
                    ),
                    Some("add `subdistricts = \"<list id>\"` under [survey]".into()),
                );
                return None;
            }
        },
        QuestionType::Table => return None,
    })
}

/// The names expressions may read: each question with its answer type and position,
/// and each table with its columns. A question whose type cannot be settled gets a
/// stand-in type, so its one mistake is reported once.
pub(super) fn name_scope(
    ck: &mut Checker<'_>,
    file: &DefinitionFile,
    declared: &[Declared<'_>],
    choices: &HashMap<String, Vec<String>>,
) -> HashMap<String, NameInfo> {
    let mut scope = HashMap::new();
    for d in declared {
        let columns = (d.spec.kind == QuestionType::Table).then(|| {
            d.columns
                .iter()
                .map(|c| {
                    let ty = value_type(ck, file, c, choices);
                    (
                        c.spec.id.clone(),
                        NameInfo {
                            ty: Some(ty.unwrap_or_else(|| fallback_type(c.spec.kind))),
                            order: c.order,
                            columns: None,
                        },
                    )
                })
                .collect()
        });
        let ty = if d.spec.kind == QuestionType::Table {
            None
        } else {
            Some(value_type(ck, file, d, choices).unwrap_or_else(|| fallback_type(d.spec.kind)))
        };
        scope.entry(d.spec.id.clone()).or_insert(NameInfo {
            ty,
            order: d.order,
            columns,
        });
    }
    scope
}

/// The type assumed for a question whose own type could not be settled (its choice list
/// is unknown, which was reported): of the right kind, with an empty list name, so
/// checks that only ask "is this a choice?" do not report the same mistake again.
fn fallback_type(kind: QuestionType) -> ValueType {
    match kind {
        QuestionType::MultipleChoice => ValueType::Codes(String::new()),
        QuestionType::SingleChoice | QuestionType::Subdistrict => ValueType::Code(String::new()),
        _ => ValueType::Text,
    }
}

/// Keys that only apply to some types, and ranges.
pub(super) fn check_keys(ck: &mut Checker<'_>, d: &Declared<'_>) {
    let spec = d.spec;
    let at = |k: &str| [d.path.as_slice(), &[key(k)]].concat();
    let numeric = matches!(spec.kind, QuestionType::Integer | QuestionType::Decimal);
    let misplaced = |ck: &mut Checker<'_>, k: &str, applies: &str| {
        ck.report(
            ProblemKind::MisplacedKey,
            &at(k),
            format!("`{k}` does not apply to {} questions", type_name(spec.kind)),
            Some(format!("`{k}` applies to {applies} questions only")),
        );
    };
    if !numeric {
        for (k, present) in [
            ("min", spec.min.is_some()),
            ("max", spec.max.is_some()),
            ("unit", spec.unit.is_some()),
        ] {
            if present {
                misplaced(ck, k, "integer and decimal");
            }
        }
    }
    if spec.max_length.is_some() && spec.kind != QuestionType::Text {
        misplaced(ck, "max_length", "text");
    }
    let choice = matches!(spec.kind, QuestionType::SingleChoice | QuestionType::MultipleChoice);
    if spec.choices.is_some() && !choice {
        misplaced(ck, "choices", "single_choice and multiple_choice");
    }
    let table = spec.kind == QuestionType::Table;
    if spec.columns.is_some() && !table {
        misplaced(ck, "columns", "table");
    }
    if spec.max_rows.is_some() && !table {
        misplaced(ck, "max_rows", "table");
    }
    if table {
        match &spec.columns {
            None => ck.report(
                ProblemKind::Empty,
                &d.path,
                format!("table `{}` has no columns", spec.id),
                Some("add [[...columns]] entries".into()),
            ),
            Some(cols) if cols.is_empty() => ck.report(
                ProblemKind::Empty,
                &at("columns"),
                format!("table `{}` has no columns", spec.id),
                None,
            ),
            Some(_) => {}
        }
        for c in &d.columns {
            if c.spec.kind == QuestionType::Table {
                ck.report(
                    ProblemKind::MisplacedKey,
                    &[c.path.as_slice(), &[key("type")]].concat(),
                    "a table cannot be nested in a table".into(),
                    None,
                );
            }
        }
        if spec.calculate.is_some() {
            misplaced(ck, "calculate", "non-table");
        }
    }
    if let (Some(min), Some(max)) = (spec.min, spec.max)
        && min > max
    {
        ck.report(
            ProblemKind::BadRange,
            &at("min"),
            format!("`{}` has min {min} greater than max {max}", spec.id),
            Some("swap them, or fix the one that is wrong".into()),
        );
    }
    if spec.kind == QuestionType::Integer {
        for (k, v) in [("min", spec.min), ("max", spec.max)] {
            if v.is_some_and(|v| v.fract() != 0.0) {
                ck.report(
                    ProblemKind::BadRange,
                    &at(k),
                    format!(
                        "`{}` is an integer question, but its {k} is {}",
                        spec.id,
                        v.unwrap_or_default()
                    ),
                    None,
                );
            }
        }
    }
    if spec.calculate.is_some() && spec.required {
        ck.report(
            ProblemKind::MisplacedKey,
            &at("required"),
            format!(
                "`{}` is calculated, so it is never answered and cannot be required",
                spec.id
            ),
            Some("remove `required`".into()),
        );
    }
    if spec.constraint_message.is_some() && spec.constraint.is_none() {
        misplaced(ck, "constraint_message", "constrained");
    }
}

/// The name of a question type as written in a definition, for messages.
pub(super) fn type_name(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Integer => "integer",
        QuestionType::Decimal => "decimal",
        QuestionType::Text => "text",
        QuestionType::Boolean => "boolean",
        QuestionType::Date => "date",
        QuestionType::SingleChoice => "single_choice",
        QuestionType::MultipleChoice => "multiple_choice",
        QuestionType::EnterpriseId => "enterprise_id",
        QuestionType::IndustryCode => "industry_code",
        QuestionType::OccupationCode => "occupation_code",
        QuestionType::Subdistrict => "subdistrict",
        QuestionType::Table => "table",
    }
}

/// Compiles a question (or, with `table`, a column of that table): its expressions
/// against the names in scope, a row's columns included, and its kind with the keys that
/// apply to it.
pub(super) fn compile_question(
    ck: &mut Checker<'_>,
    file: &DefinitionFile,
    d: &Declared<'_>,
    scope: Scope<'_>,
    table: Option<&Declared<'_>>,
) -> Question {
    let spec = d.spec;
    let own_type = match table {
        Some(t) => scope
            .questions
            .get(&t.spec.id)
            .and_then(|i| i.columns.as_ref())
            .and_then(|c| c.get(&spec.id))
            .and_then(|i| i.ty.clone()),
        None => scope.questions.get(&spec.id).and_then(|i| i.ty.clone()),
    };
    let mut row_scope = scope;
    if let Some(t) = table
        && let Some(cols) = scope.questions.get(&t.spec.id).and_then(|i| i.columns.as_ref())
    {
        row_scope.row = Some((t.spec.id.as_str(), cols));
    }
    let at = |k: &str| [d.path.as_slice(), &[key(k)]].concat();
    let relevant = spec
        .relevant
        .as_deref()
        .and_then(|text| compile_expr(ck, &at("relevant"), text, row_scope, Some(&ValueType::Bool), "relevant"));
    if let Some(e) = &relevant {
        check_relevant_order(ck, d, table, e, row_scope, &at("relevant"));
    }
    let constraint = spec.constraint.as_deref().and_then(|text| {
        compile_expr(
            ck,
            &at("constraint"),
            text,
            row_scope,
            Some(&ValueType::Bool),
            "constraint",
        )
    });
    let calculate = spec.calculate.as_deref().and_then(|text| {
        let want = own_type.clone();
        compile_expr(ck, &at("calculate"), text, row_scope, want.as_ref(), "calculate")
    });
    let kind = match (spec.kind, table) {
        // A table nested in a table was reported; its columns are not compiled.
        (QuestionType::Table, Some(_)) => QuestionKind::Table(TableSpec {
            columns: Vec::new(),
            max_rows: spec.max_rows,
        }),
        (QuestionType::Table, None) => QuestionKind::Table(TableSpec {
            columns: d
                .columns
                .iter()
                .map(|c| compile_question(ck, file, c, scope, Some(d)))
                .collect(),
            max_rows: spec.max_rows,
        }),
        (other, _) => kind_of(file, spec, other),
    };
    Question {
        id: spec.id.clone(),
        section: d.section.to_owned(),
        label: spec.label.clone(),
        help: spec.help.clone(),
        required: spec.required,
        kind,
        relevant,
        constraint,
        constraint_text: spec.constraint.clone(),
        constraint_message: spec.constraint_message.clone(),
        calculate,
    }
}

/// The checked kind of a question that is not a table, with its data gathered from the
/// keys that apply to it. A choice list that does not exist was reported by
/// [`value_type`]; the definition is then rejected, so an empty list stands in.
fn kind_of(file: &DefinitionFile, spec: &QuestionSpec, kind: QuestionType) -> QuestionKind {
    let choices = |list: Option<&String>| {
        let list = list.cloned().unwrap_or_default();
        let options = file.choices.get(&list).map(|l| l.options.clone()).unwrap_or_default();
        Choices { list, options }
    };
    let number = || NumberSpec {
        min: spec.min,
        max: spec.max,
        unit: spec.unit,
    };
    match kind {
        QuestionType::Integer => QuestionKind::Integer(number()),
        QuestionType::Decimal => QuestionKind::Decimal(number()),
        QuestionType::Text => QuestionKind::Text {
            max_length: spec.max_length,
        },
        QuestionType::Boolean => QuestionKind::Boolean,
        QuestionType::Date => QuestionKind::Date,
        QuestionType::SingleChoice => QuestionKind::SingleChoice(choices(spec.choices.as_ref())),
        QuestionType::MultipleChoice => QuestionKind::MultipleChoice(choices(spec.choices.as_ref())),
        QuestionType::EnterpriseId => QuestionKind::EnterpriseId,
        QuestionType::IndustryCode => QuestionKind::IndustryCode,
        QuestionType::OccupationCode => QuestionKind::OccupationCode,
        QuestionType::Subdistrict => QuestionKind::Subdistrict(choices(file.survey.subdistricts.as_ref())),
        QuestionType::Table => QuestionKind::Table(TableSpec {
            columns: Vec::new(),
            max_rows: spec.max_rows,
        }),
    }
}
