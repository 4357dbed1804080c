//! Semantic checks of a deserialised definition, and its compilation into a
//! [`Definition`].
//!
//! Every check records its problems and goes on, so one run of `labor-survey check`
//! lists everything wrong with a file. The checks of the `[analysis]` table are in
//! [`analysis`].

mod analysis;

use crate::codes;
use crate::definition::{Definition, Policy, Question, RiskRule};
use crate::expr::{self, Expr, NameInfo, Scope, ValueType};
use crate::model::{DefinitionFile, Lang, QuestionSpec, QuestionType};
use crate::problem::{Problem, ProblemKind};
use crate::source::{Seg, SourceMap, TomlPath};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// Words an id may not take: they mean something in expressions.
const RESERVED: &[&str] = &["and", "or", "not", "in", "true", "false"];

struct Checker<'a> {
    file: &'a Path,
    map: &'a SourceMap,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, kind: ProblemKind, at: &[Seg], message: String, hint: Option<String>) {
        self.problems.push(Problem {
            kind,
            file: self.file.to_owned(),
            at: self.map.line_col(self.map.offset_of(at)),
            message,
            hint,
        });
    }

    fn report_in_expr(&mut self, kind: ProblemKind, at: &[Seg], offset: usize, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            kind,
            file: self.file.to_owned(),
            at: self.map.line_col(self.map.offset_in_string(at, offset)),
            message,
            hint,
        });
    }

    fn line_of(&self, at: &[Seg]) -> usize {
        self.map.line_col(self.map.offset_of(at)).line
    }
}

/// A question or column with where it was declared.
struct Declared<'a> {
    spec: &'a QuestionSpec,
    path: TomlPath,
    section: &'a str,
    /// Position in questionnaire order.
    order: usize,
    /// Columns of a table, in order.
    columns: Vec<Declared<'a>>,
}

/// Checks `file` and compiles it. `text` is the source it came from (for the fingerprint
/// nothing but the parsed meaning is used).
pub(crate) fn check_definition(
    file: DefinitionFile,
    _text: &str,
    path: &Path,
    map: &SourceMap,
) -> Result<Definition, Vec<Problem>> {
    let mut ck = Checker {
        file: path,
        map,
        problems: Vec::new(),
    };
    check_metadata(&mut ck, &file);
    check_labels(&mut ck, &file);
    let choice_codes = check_choices(&mut ck, &file);
    let declared = declare(&file);
    check_ids(&mut ck, &file, &declared);
    let questions_scope = name_scope(&mut ck, &file, &declared, &choice_codes);
    for d in &declared {
        check_keys(&mut ck, d);
        for c in &d.columns {
            check_keys(&mut ck, c);
        }
    }
    let scope = Scope {
        questions: &questions_scope,
        row: None,
        params: &file.parameters,
        choices: &choice_codes,
    };
    let compiled: Vec<Question> = declared
        .iter()
        .map(|d| compile_question(&mut ck, d, scope, None))
        .collect();
    check_calculate_cycles(&mut ck, &declared, &compiled);
    check_design(&mut ck, &file, &questions_scope);
    analysis::check_analysis(&mut ck, &file);
    let risk_rules = compile_risk_rules(&mut ck, &file, scope);
    let policies = compile_policies(&mut ck, &file, scope, &questions_scope);

    if !ck.problems.is_empty() {
        return Err(ck.problems);
    }
    // The fingerprint identifies the questionnaire enterprises fill in: its identity,
    // parameters (constraints read them), choice lists and questions. Design, services,
    // risk rules, policies and analysis roles are how returns are analysed, so changing
    // them leaves returned forms valid.
    let questionnaire = (&file.survey, &file.parameters, &file.choices, &file.sections);
    let canonical = serde_json::to_vec(&questionnaire).unwrap_or_default();
    let fingerprint = hex::encode(Sha256::digest(&canonical));
    let index = compiled
        .iter()
        .enumerate()
        .map(|(i, q)| (q.spec.id.clone(), i))
        .collect();
    Ok(Definition {
        source: path.to_owned(),
        spec: file,
        fingerprint,
        questions: compiled,
        index,
        risk_rules,
        policies,
    })
}

fn check_metadata(ck: &mut Checker<'_>, file: &DefinitionFile) {
    let s = &file.survey;
    let at = |k: &str| vec![key("survey"), key(k)];
    if !is_slug(&s.id) {
        ck.report(
            ProblemKind::BadId,
            &at("id"),
            format!(
                "survey id `{}` must be lower-case letters, digits, `-`, `_` or `.`",
                s.id
            ),
            Some("e.g. yangpu-spring-2024".into()),
        );
    }
    if s.version.trim().is_empty() || s.version.chars().any(char::is_whitespace) {
        ck.report(
            ProblemKind::BadValue,
            &at("version"),
            format!("version `{}` must be one word, e.g. 1.0.0", s.version),
            None,
        );
    }
    let start = codes::parse_iso_date(&s.period_start);
    let end = codes::parse_iso_date(&s.period_end);
    for (k, value, parsed) in [
        ("period_start", &s.period_start, start),
        ("period_end", &s.period_end, end),
    ] {
        if parsed.is_none() {
            ck.report(
                ProblemKind::BadValue,
                &at(k),
                format!("`{value}` is not a date"),
                Some("write YYYY-MM-DD".into()),
            );
        }
    }
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        ck.report(
            ProblemKind::BadRange,
            &at("period_end"),
            format!(
                "the period ends ({}) before it starts ({})",
                s.period_end, s.period_start
            ),
            None,
        );
    }
    for lang in [Lang::Zh, Lang::En] {
        if !s.languages.contains(&lang) {
            ck.report(
                ProblemKind::BadValue,
                &at("languages"),
                format!(
                    "languages must include `{}`",
                    if lang == Lang::Zh { "zh" } else { "en" }
                ),
                Some("every survey carries Chinese and English labels: languages = [\"zh\", \"en\"]".into()),
            );
        }
    }
    if let Some(list) = &s.subdistricts
        && !file.choices.contains_key(list)
    {
        ck.report(
            ProblemKind::UnknownChoiceList,
            &at("subdistricts"),
            format!("unknown choice list `{list}`"),
            Some("declare it under [choices]".into()),
        );
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every `{ zh, en }` label must be filled in each declared language. Walks the JSON
/// form of the file, whose paths are the TOML paths.
fn check_labels(ck: &mut Checker<'_>, file: &DefinitionFile) {
    fn walk(v: &serde_json::Value, path: &mut TomlPath, langs: &[Lang], out: &mut Vec<(TomlPath, &'static str)>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.len() == 2 && map.contains_key("zh") && map.contains_key("en") {
                    for lang in langs {
                        let name = if *lang == Lang::Zh { "zh" } else { "en" };
                        if map
                            .get(name)
                            .and_then(|t| t.as_str())
                            .is_some_and(|t| t.trim().is_empty())
                        {
                            let mut at = path.clone();
                            at.push(Seg::Key(name.to_owned()));
                            out.push((at, name));
                        }
                    }
                    return;
                }
                for (k, item) in map {
                    path.push(Seg::Key(k.clone()));
                    walk(item, path, langs, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(item, path, langs, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let Ok(json) = serde_json::to_value(file) else { return };
    let mut found = Vec::new();
    walk(&json, &mut Vec::new(), &file.survey.languages, &mut found);
    for (at, lang) in found {
        ck.report(
            ProblemKind::MissingLabel,
            &at,
            format!("the `{lang}` label is empty"),
            Some("every text a respondent or reader sees needs both languages".into()),
        );
    }
}

fn check_choices(ck: &mut Checker<'_>, file: &DefinitionFile) -> HashMap<String, Vec<String>> {
    let services: HashSet<&str> = file.services.iter().map(|s| s.id.as_str()).collect();
    let mut lists = HashMap::new();
    for (id, list) in &file.choices {
        let at = vec![key("choices"), key(id)];
        if list.options.is_empty() {
            ck.report(
                ProblemKind::Empty,
                &at,
                format!("choice list `{id}` has no options"),
                None,
            );
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, option) in list.options.iter().enumerate() {
            let opt_at = vec![key("choices"), key(id), key("options"), Seg::Index(i)];
            if option.code.trim().is_empty() || option.code != option.code.trim() {
                ck.report(
                    ProblemKind::BadId,
                    &opt_at,
                    format!("option code `{}` is empty or padded with spaces", option.code),
                    None,
                );
            }
            if let Some(first) = seen.insert(&option.code, i) {
                let first_line = ck.line_of(&[key("choices"), key(id), key("options"), Seg::Index(first)]);
                ck.report(
                    ProblemKind::DuplicateId,
                    &opt_at,
                    format!("code `{}` appears twice in choice list `{id}`", option.code),
                    Some(format!("first used on line {first_line}")),
                );
            }
            if let Some(service) = &option.service
                && !services.contains(service.as_str())
            {
                ck.report(
                    ProblemKind::UnknownReference,
                    &[opt_at.as_slice(), &[key("service")]].concat(),
                    format!("unknown service `{service}`"),
                    Some("declare it under [[services]]".into()),
                );
            }
        }
        lists.insert(id.clone(), list.options.iter().map(|o| o.code.clone()).collect());
    }
    lists
}

fn declare(file: &DefinitionFile) -> Vec<Declared<'_>> {
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

fn check_ids(ck: &mut Checker<'_>, file: &DefinitionFile, declared: &[Declared<'_>]) {
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

fn name_scope(
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
fn check_keys(ck: &mut Checker<'_>, d: &Declared<'_>) {
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

fn type_name(kind: QuestionType) -> &'static str {
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

/// Parses and type-checks one expression, reporting problems at their place in it.
fn compile_expr(
    ck: &mut Checker<'_>,
    at: &[Seg],
    text: &str,
    scope: Scope<'_>,
    want: Option<&ValueType>,
    role: &str,
) -> Option<Expr> {
    let parsed = match expr::parse(text) {
        Ok(e) => e,
        Err(err) => {
            ck.report_in_expr(
                ProblemKind::ExpressionSyntax,
                at,
                err.span.start,
                format!("{role}: {}", err.message),
                None,
            );
            return None;
        }
    };
    match expr::check(&parsed, scope) {
        Ok(ty) => {
            let fits = match want {
                None => true,
                Some(w) => *w == ty,
            };
            if !fits {
                let want = want.map(ValueType::describe).unwrap_or_default();
                ck.report_in_expr(
                    ProblemKind::ExpressionType,
                    at,
                    0,
                    format!("{role} must give {want}, but gives {}", ty.describe()),
                    None,
                );
                return None;
            }
            Some(parsed)
        }
        Err(errors) => {
            for e in errors {
                ck.report_in_expr(
                    ProblemKind::ExpressionType,
                    at,
                    e.span.start,
                    format!("{role}: {}", e.message),
                    e.hint,
                );
            }
            None
        }
    }
}

fn compile_question(
    ck: &mut Checker<'_>,
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
    let columns = d
        .columns
        .iter()
        .map(|c| compile_question(ck, c, scope, Some(d)))
        .collect();
    let mut spec = spec.clone();
    if table.is_none() && spec.kind != QuestionType::Table {
        spec.columns = None;
    }
    Question {
        spec,
        section: d.section.to_owned(),
        value_type: own_type,
        relevant,
        constraint,
        calculate,
        columns,
    }
}

/// Skip logic reads answers given before the question: a `relevant` that reads a later
/// question (or, in a table row, a later column of that row) would decide whether to
/// ask on an answer not yet given.
fn check_relevant_order(
    ck: &mut Checker<'_>,
    d: &Declared<'_>,
    table: Option<&Declared<'_>>,
    e: &Expr,
    scope: Scope<'_>,
    at: &[Seg],
) {
    for r in expr::references(e) {
        if r.table.is_some() {
            // `sum(t.c)`: an aggregate over another table; order is checked on the table.
            let Some(info) = scope.questions.get(r.table.as_deref().unwrap_or_default()) else {
                continue;
            };
            let own_order = table.map_or(d.order, |t| t.order);
            let is_own_table = table.is_some_and(|t| Some(t.spec.id.as_str()) == r.table.as_deref());
            if is_own_table {
                ck.report_in_expr(
                    ProblemKind::RelevantOrder,
                    at,
                    r.span.start,
                    format!("relevant of column `{}` aggregates its own table `{}`", d.spec.id, r.table.unwrap_or_default()),
                    Some("a row's skip logic reads columns of the same row by bare name, or questions asked before the table".into()),
                );
            } else if info.order >= own_order {
                ck.report_in_expr(
                    ProblemKind::RelevantOrder,
                    at,
                    r.span.start,
                    format!(
                        "relevant of `{}` reads table `{}`, which comes later",
                        d.spec.id,
                        r.table.unwrap_or_default()
                    ),
                    Some("skip logic may only read questions asked before it".into()),
                );
            }
            continue;
        }
        if let Some((table_id, cols)) = scope.row
            && let Some(col) = cols.get(&r.name)
        {
            if col.order >= d.order {
                ck.report_in_expr(
                    ProblemKind::RelevantOrder,
                    at,
                    r.span.start,
                    format!(
                        "relevant of column `{}` reads column `{}`, which comes later in the row of `{table_id}`",
                        d.spec.id, r.name
                    ),
                    Some("move the column it depends on before it, or drop the condition".into()),
                );
            }
            continue;
        }
        let Some(info) = scope.questions.get(&r.name) else {
            continue;
        };
        let own_order = table.map_or(d.order, |t| t.order);
        if info.order >= own_order {
            let what = if info.order == own_order {
                "itself"
            } else {
                "a later question"
            };
            ck.report_in_expr(
                ProblemKind::RelevantOrder,
                at,
                r.span.start,
                format!("relevant of `{}` reads `{}`, {what}", d.spec.id, r.name),
                Some("skip logic may only read questions asked before it".into()),
            );
        }
    }
}

fn check_calculate_cycles(ck: &mut Checker<'_>, declared: &[Declared<'_>], compiled: &[Question]) {
    // Nodes: calculated questions, keyed `id` (or `table.column` for columns).
    let mut deps: BTreeMap<String, (Vec<String>, TomlPath)> = BTreeMap::new();
    for (d, q) in declared.iter().zip(compiled) {
        if let Some(e) = &q.calculate {
            let refs = expr::references(e).into_iter().map(|r| r.name).collect();
            deps.insert(
                q.spec.id.clone(),
                (refs, [d.path.as_slice(), &[key("calculate")]].concat()),
            );
        }
        for (dc, c) in d.columns.iter().zip(&q.columns) {
            if let Some(e) = &c.calculate {
                let refs = expr::references(e)
                    .into_iter()
                    .map(|r| {
                        if r.table.is_none() && q.column(&r.name).is_some() {
                            format!("{}.{}", q.spec.id, r.name)
                        } else {
                            r.name
                        }
                    })
                    .collect();
                deps.insert(
                    format!("{}.{}", q.spec.id, c.spec.id),
                    (refs, [dc.path.as_slice(), &[key("calculate")]].concat()),
                );
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        deps: &BTreeMap<String, (Vec<String>, TomlPath)>,
        marks: &mut HashMap<String, Mark>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<Vec<String>>,
    ) {
        match marks.get(node) {
            Some(Mark::Done) => return,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_owned());
                cycles.push(cycle);
                return;
            }
            None => {}
        }
        let Some((refs, _)) = deps.get(node) else { return };
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for r in refs {
            if deps.contains_key(r) {
                visit(r, deps, marks, stack, cycles);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
    }
    let mut marks = HashMap::new();
    let mut cycles = Vec::new();
    for node in deps.keys() {
        visit(node, &deps, &mut marks, &mut Vec::new(), &mut cycles);
    }
    for cycle in cycles {
        let first = &cycle[0];
        let at = deps.get(first).map(|(_, p)| p.clone()).unwrap_or_default();
        ck.report(
            ProblemKind::CalculateCycle,
            &at,
            format!("calculations depend on each other in a circle: {}", cycle.join(" -> ")),
            Some("one of them must be answered, not calculated".into()),
        );
    }
}

fn check_design(ck: &mut Checker<'_>, file: &DefinitionFile, scope: &HashMap<String, NameInfo>) {
    let enterprise = &file.survey.enterprise_question;
    let enterprise_ok = file
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .any(|q| q.id == *enterprise && q.kind == QuestionType::EnterpriseId);
    if !enterprise_ok {
        ck.report(
            ProblemKind::WrongQuestionType,
            &[key("survey"), key("enterprise_question")],
            format!("`{enterprise}` must be an enterprise_id question of the survey"),
            Some("duplicate returns are matched on it".into()),
        );
    }
    if let Some(q) = &file.survey.submitted_at_question
        && scope.get(q).and_then(|i| i.ty.as_ref()) != Some(&ValueType::Date)
    {
        ck.report(
            ProblemKind::WrongQuestionType,
            &[key("survey"), key("submitted_at_question")],
            format!("`{q}` must be a date question"),
            None,
        );
    }
    let Some(design) = &file.design else { return };
    let want = |ck: &mut Checker<'_>, k: &str, id: &str, ty: ValueType| {
        let got = scope.get(id).and_then(|i| i.ty.as_ref());
        if got != Some(&ty) {
            ck.report(
                ProblemKind::WrongQuestionType,
                &[key("design"), key(k)],
                format!("`{id}` must be a question giving {}", ty.describe()),
                None,
            );
        }
    };
    want(ck, "industry_question", &design.industry_question, ValueType::Industry);
    want(ck, "size_question", &design.size_question, ValueType::Number);
    if let Some(sub) = &design.subdistrict_question
        && !matches!(scope.get(sub).and_then(|i| i.ty.as_ref()), Some(ValueType::Code(_)))
    {
        ck.report(
            ProblemKind::WrongQuestionType,
            &[key("design"), key("subdistrict_question")],
            format!("`{sub}` must be a sub-district question"),
            None,
        );
    }
    let classes = &design.size_classes;
    if classes.is_empty() {
        ck.report(
            ProblemKind::Empty,
            &[key("design"), key("size_classes")],
            "no size classes".into(),
            None,
        );
    }
    let mut expected_min = classes.first().map(|c| c.min);
    let mut open_before: Option<&str> = None;
    for (i, class) in classes.iter().enumerate() {
        let at = vec![key("design"), key("size_classes"), Seg::Index(i)];
        if let Some(open) = open_before {
            ck.report(
                ProblemKind::BadRange,
                &at,
                format!(
                    "size class `{}` overlaps the open-ended class `{open}` before it",
                    class.code
                ),
                Some("give the earlier class a `max`, or drop this one".into()),
            );
        } else if Some(class.min) != expected_min {
            ck.report(
                ProblemKind::BadRange,
                &at,
                format!(
                    "size class `{}` starts at {}, but the class before ends at {}",
                    class.code,
                    class.min,
                    expected_min.map_or(0, |m| m.saturating_sub(1))
                ),
                Some("classes must follow on without gaps or overlaps".into()),
            );
        }
        match class.max {
            Some(max) if max < class.min => {
                ck.report(
                    ProblemKind::BadRange,
                    &at,
                    format!(
                        "size class `{}` has min {} greater than max {max}",
                        class.code, class.min
                    ),
                    None,
                );
                expected_min = Some(max + 1);
            }
            Some(max) => expected_min = Some(max + 1),
            None if i + 1 < classes.len() => {
                ck.report(
                    ProblemKind::BadRange,
                    &at,
                    format!(
                        "only the last size class may be open-ended; `{}` is not last",
                        class.code
                    ),
                    None,
                );
                open_before = Some(&class.code);
            }
            None => {}
        }
    }
}

fn compile_risk_rules(ck: &mut Checker<'_>, file: &DefinitionFile, scope: Scope<'_>) -> Vec<RiskRule> {
    let mut out = Vec::new();
    for (i, rule) in file.risk_rules.iter().enumerate() {
        let at = vec![key("risk_rules"), Seg::Index(i)];
        let when = compile_expr(
            ck,
            &[at.as_slice(), &[key("when")]].concat(),
            &rule.when,
            scope,
            Some(&ValueType::Bool),
            "when",
        );
        for (j, q) in rule.evidence.iter().enumerate() {
            let known = scope.questions.contains_key(q)
                || scope
                    .questions
                    .values()
                    .any(|i| i.columns.as_ref().is_some_and(|c| c.contains_key(q)));
            if !known {
                ck.report(
                    ProblemKind::UnknownReference,
                    &[at.as_slice(), &[key("evidence"), Seg::Index(j)]].concat(),
                    format!("unknown question `{q}` in evidence of risk rule `{}`", rule.id),
                    expr::closest(q, scope.questions.keys().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?")),
                );
            }
        }
        if let Some(when) = when {
            out.push(RiskRule {
                spec: rule.clone(),
                when,
            });
        }
    }
    out
}

fn compile_policies(
    ck: &mut Checker<'_>,
    file: &DefinitionFile,
    scope: Scope<'_>,
    names: &HashMap<String, NameInfo>,
) -> Vec<Policy> {
    let services: HashSet<&str> = file.services.iter().map(|s| s.id.as_str()).collect();
    let mut out = Vec::new();
    for (i, policy) in file.policies.iter().enumerate() {
        let at = |k: &str| vec![key("policies"), Seg::Index(i), key(k)];
        for (k, q) in [
            ("aware", &policy.aware),
            ("applied", &policy.applied),
            ("received", &policy.received),
        ] {
            match names.get(q).map(|n| &n.ty) {
                None => ck.report(
                    ProblemKind::UnknownReference,
                    &at(k),
                    format!("unknown question `{q}`"),
                    expr::closest(q, names.keys().map(String::as_str)).map(|c| format!("did you mean `{c}`?")),
                ),
                Some(Some(ValueType::Bool)) => {}
                Some(_) => ck.report(
                    ProblemKind::WrongQuestionType,
                    &at(k),
                    format!("`{q}` must be a boolean question"),
                    None,
                ),
            }
        }
        if let Some(q) = &policy.channel {
            match names.get(q).map(|n| &n.ty) {
                None => ck.report(
                    ProblemKind::UnknownReference,
                    &at("channel"),
                    format!("unknown question `{q}`"),
                    None,
                ),
                Some(Some(ValueType::Code(_) | ValueType::Codes(_))) => {}
                Some(_) => ck.report(
                    ProblemKind::WrongQuestionType,
                    &at("channel"),
                    format!("`{q}` must be a choice question"),
                    None,
                ),
            }
        }
        if let Some(s) = &policy.service
            && !services.contains(s.as_str())
        {
            ck.report(
                ProblemKind::UnknownReference,
                &at("service"),
                format!("unknown service `{s}`"),
                Some("declare it under [[services]]".into()),
            );
        }
        let need = policy
            .need
            .as_deref()
            .and_then(|text| compile_expr(ck, &at("need"), text, scope, Some(&ValueType::Bool), "need"));
        if policy.need.is_some() && need.is_none() {
            continue;
        }
        out.push(Policy {
            spec: policy.clone(),
            need,
        });
    }
    out
}
