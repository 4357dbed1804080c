//! Checks of the `[analysis]` table: every measure names a question whose answers can
//! be estimated as the reports intend (numbers for totals, yes/no for shares, choices
//! for distributions), the vacancy table and its columns exist with the right types, and
//! the disclosure parameters are in range.
//!
//! Like the rest of the checker, every problem is recorded and checking goes on.

use super::questions::type_name;
use super::{Checker, key};
use crate::expr;
use crate::model::{AnalysisSpec, DisclosureSpec, ImputationSpec, OutlierSpec, VacancyColumns};
use crate::problem::ProblemKind;
use crate::source::{Seg, TomlPath};
use crate::written::{DefinitionFile, QuestionSpec, QuestionType};
use std::collections::HashMap;

/// What a key of `[analysis]` needs the question it names to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// `integer` or `decimal`: estimated as a weighted total.
    Number,
    /// `boolean`: estimated as the share of enterprises answering yes.
    Boolean,
    /// `single_choice`, `multiple_choice` or `subdistrict`: the share choosing each option.
    Choice,
    /// `multiple_choice` only: support requests, counted option by option.
    MultipleChoice,
    /// `occupation_code`: the occupation a vacancy line is for.
    Occupation,
}

impl Want {
    fn accepts(self, kind: QuestionType) -> bool {
        match self {
            Want::Number => matches!(kind, QuestionType::Integer | QuestionType::Decimal),
            Want::Boolean => kind == QuestionType::Boolean,
            Want::Choice => matches!(
                kind,
                QuestionType::SingleChoice | QuestionType::MultipleChoice | QuestionType::Subdistrict
            ),
            Want::MultipleChoice => kind == QuestionType::MultipleChoice,
            Want::Occupation => kind == QuestionType::OccupationCode,
        }
    }

    /// The kind of question wanted, as a reader of the definition would name it.
    fn describe(self) -> &'static str {
        match self {
            Want::Number => "a number (integer or decimal)",
            Want::Boolean => "a boolean",
            Want::Choice => "a single_choice, multiple_choice or subdistrict",
            Want::MultipleChoice => "a multiple_choice",
            Want::Occupation => "an occupation_code",
        }
    }

    /// Why the estimates need that kind.
    fn reason(self) -> &'static str {
        match self {
            Want::Number => "it is estimated as a weighted total of the answers",
            Want::Boolean => "it is published as the share of enterprises answering yes",
            Want::Choice => "it is published as the share of enterprises choosing each option",
            Want::MultipleChoice => "support requests are counted option by option, several per enterprise",
            Want::Occupation => "vacancies are published by GB/T 6565 occupation",
        }
    }
}

/// The questions of the definition by id, first declaration first (a later duplicate is
/// reported by the id checks), and which table each column belongs to.
struct Questions<'a> {
    top: HashMap<&'a str, &'a QuestionSpec>,
    column_of: HashMap<&'a str, &'a str>,
}

impl<'a> Questions<'a> {
    fn new(file: &'a DefinitionFile) -> Self {
        let mut top = HashMap::new();
        let mut column_of = HashMap::new();
        for q in file.sections.iter().flat_map(|s| &s.questions) {
            top.entry(q.id.as_str()).or_insert(q);
            for c in q.columns.iter().flatten() {
                column_of.entry(c.id.as_str()).or_insert(q.id.as_str());
            }
        }
        Questions { top, column_of }
    }

    /// Reports an unknown top-level question `id` at `at`, with the closest name.
    fn report_unknown(&self, ck: &mut Checker<'_>, at: &[Seg], id: &str) {
        let hint = if let Some(table) = self.column_of.get(id) {
            format!("`{id}` is a column of table `{table}`; [analysis] names questions outside tables")
        } else if let Some(near) = expr::closest(id, self.top.keys().copied()) {
            format!("did you mean `{near}`?")
        } else {
            "name a question declared under [[sections.questions]]".into()
        };
        ck.report(
            ProblemKind::UnknownReference,
            at,
            format!("unknown question `{id}`"),
            Some(hint),
        );
    }

    /// Checks that `id` (named at `at`, by key `role`) is a top-level question of the
    /// wanted kind; returns it when it is.
    fn expect(&self, ck: &mut Checker<'_>, at: &[Seg], role: &str, id: &str, want: Want) -> Option<&'a QuestionSpec> {
        let Some(q) = self.top.get(id).copied() else {
            self.report_unknown(ck, at, id);
            return None;
        };
        if !want.accepts(q.kind) {
            ck.report(
                ProblemKind::WrongQuestionType,
                at,
                format!(
                    "`{id}` is a question of type {}, but `{role}` must name {} question",
                    type_name(q.kind),
                    want.describe()
                ),
                Some(want.reason().into()),
            );
            return None;
        }
        Some(q)
    }
}

fn at_analysis(rest: &[&str]) -> TomlPath {
    std::iter::once("analysis")
        .chain(rest.iter().copied())
        .map(key)
        .collect()
}

/// Checks the `[analysis]` table of `file`, when it has one.
pub(super) fn check_analysis(ck: &mut Checker<'_>, file: &DefinitionFile) {
    let Some(analysis) = &file.analysis else { return };
    if file.design.is_none() {
        ck.report(
            ProblemKind::WrongShape,
            &at_analysis(&[]),
            "[analysis] needs a [design] table: estimates are weighted by strata".into(),
            Some("add [design] with industry_question, size_question and size_classes".into()),
        );
    }
    let questions = Questions::new(file);
    check_measures(ck, analysis, &questions);
    check_lists(ck, analysis, &questions);
    if let Some(support) = &analysis.support {
        check_support(ck, file, &questions, support);
    }
    if let Some(vacancies) = &analysis.vacancies {
        check_vacancies(ck, vacancies, &questions);
    }
    if let Some(disclosure) = &analysis.disclosure {
        check_disclosure(ck, disclosure);
    }
    if let Some(imputation) = &analysis.imputation {
        check_imputation(ck, imputation, &questions);
    }
    if let Some(outliers) = &analysis.outliers {
        check_outliers(ck, outliers);
    }
}

/// The single number questions: employees, their change, plans and returns.
fn check_measures(ck: &mut Checker<'_>, analysis: &AnalysisSpec, questions: &Questions<'_>) {
    let measures = [
        ("employees", Some(&analysis.employees)),
        ("employees_before", analysis.employees_before.as_ref()),
        ("planned_hires", analysis.planned_hires.as_ref()),
        ("planned_reductions", analysis.planned_reductions.as_ref()),
        ("returned", analysis.returned.as_ref()),
        ("expected_to_return", analysis.expected_to_return.as_ref()),
    ];
    for (role, id) in measures {
        if let Some(id) = id {
            questions.expect(ck, &at_analysis(&[role]), role, id, Want::Number);
        }
    }
}

/// `totals`, `shares` and `distributions`: each entry of the wanted kind, none twice.
fn check_lists(ck: &mut Checker<'_>, analysis: &AnalysisSpec, questions: &Questions<'_>) {
    let lists = [
        ("totals", &analysis.totals, Want::Number),
        ("shares", &analysis.shares, Want::Boolean),
        ("distributions", &analysis.distributions, Want::Choice),
    ];
    for (list, ids, want) in lists {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            let mut at = at_analysis(&[list]);
            at.push(Seg::Index(i));
            if let Some(first) = seen.insert(id, i) {
                let mut first_at = at_analysis(&[list]);
                first_at.push(Seg::Index(first));
                let first_line = ck.line_of(&first_at);
                ck.report(
                    ProblemKind::DuplicateId,
                    &at,
                    format!("`{id}` is listed twice in `{list}`"),
                    Some(format!("first listed on line {first_line}; remove one")),
                );
                continue;
            }
            questions.expect(ck, &at, list, id, want);
        }
    }
}

/// `support`: a multiple-choice question whose options map to services, so that support
/// wanted can be counted by the service that provides it.
fn check_support(ck: &mut Checker<'_>, file: &DefinitionFile, questions: &Questions<'_>, support: &str) {
    let at = at_analysis(&["support"]);
    let Some(q) = questions.expect(ck, &at, "support", support, Want::MultipleChoice) else {
        return;
    };
    // A missing or unknown choice list was reported with the question.
    let Some(list) = q
        .choices
        .as_deref()
        .and_then(|id| file.choices.get(id).map(|l| (id, l)))
    else {
        return;
    };
    let (list_id, list) = list;
    if !list.options.iter().any(|o| o.service.is_some()) {
        ck.report(
            ProblemKind::WrongQuestionType,
            &at,
            format!("no option of choice list `{list_id}` (the choices of `{support}`) names a service"),
            Some(format!(
                "add `service = \"<service id>\"` to the options of `{list_id}`, so support wanted is counted by service"
            )),
        );
    }
}

/// `vacancies`: a repeating table, and columns of it of the right kinds.
fn check_vacancies(ck: &mut Checker<'_>, v: &VacancyColumns, questions: &Questions<'_>) {
    let at = |k: &str| at_analysis(&["vacancies", k]);
    let Some(table) = questions.top.get(v.table.as_str()).copied() else {
        questions.report_unknown(ck, &at("table"), &v.table);
        return;
    };
    if table.kind != QuestionType::Table {
        ck.report(
            ProblemKind::WrongQuestionType,
            &at("table"),
            format!(
                "`{}` is a question of type {}, but `vacancies.table` must name a repeating table",
                v.table,
                type_name(table.kind)
            ),
            Some("name a question of type \"table\", with one row per occupation".into()),
        );
        return;
    }
    let columns: &[QuestionSpec] = table.columns.as_deref().unwrap_or_default();
    let wanted = [
        ("occupation", Some(&v.occupation), Want::Occupation),
        ("openings", Some(&v.openings), Want::Number),
        ("hard_to_fill", v.hard_to_fill.as_ref(), Want::Number),
        ("skill_shortage", v.skill_shortage.as_ref(), Want::Number),
        ("wage", v.wage.as_ref(), Want::Number),
    ];
    for (role, id, want) in wanted {
        let Some(id) = id else { continue };
        let Some(column) = columns.iter().find(|c| c.id == *id) else {
            let hint = if let Some(near) = expr::closest(id, columns.iter().map(|c| c.id.as_str())) {
                format!("did you mean `{near}`?")
            } else if questions.top.contains_key(id.as_str()) {
                format!("`{id}` is a question outside the table; name a column of `{}`", v.table)
            } else {
                let names: Vec<&str> = columns.iter().map(|c| c.id.as_str()).collect();
                format!("the columns of `{}` are: {}", v.table, names.join(", "))
            };
            ck.report(
                ProblemKind::UnknownReference,
                &at(role),
                format!("table `{}` has no column `{id}`", v.table),
                Some(hint),
            );
            continue;
        };
        if !want.accepts(column.kind) {
            ck.report(
                ProblemKind::WrongQuestionType,
                &at(role),
                format!(
                    "`{id}` is a column of type {}, but `vacancies.{role}` must name {} column",
                    type_name(column.kind),
                    want.describe()
                ),
                Some(want.reason().into()),
            );
        }
    }
}

/// Smallest `min_enterprises` and `dominance_n` that mean anything: a cell resting on no
/// enterprise, or a dominance rule over no contributor, would suppress nothing.
const MIN_DISCLOSURE_COUNT: u32 = 1;

/// A share parameter in (0, 1] (written so that NaN fails too).
fn check_share(ck: &mut Checker<'_>, at: &[Seg], key: &str, value: Option<f64>, example: &str) {
    if let Some(v) = value
        && !(v > 0.0 && v <= 1.0)
    {
        ck.report(
            ProblemKind::BadRange,
            at,
            format!("`{key}` is {v}, but must be a share greater than 0 and at most 1"),
            Some(example.into()),
        );
    }
}

/// `imputation`: the auxiliary is a number question, and a class needs a donor at least.
fn check_imputation(ck: &mut Checker<'_>, spec: &ImputationSpec, questions: &Questions<'_>) {
    let at = |k: &str| at_analysis(&["imputation", k]);
    if let Some(auxiliary) = &spec.auxiliary {
        questions.expect(ck, &at("auxiliary"), "imputation.auxiliary", auxiliary, Want::Number);
    }
    if spec.min_donors == Some(0) {
        ck.report(
            ProblemKind::BadRange,
            &at("min_donors"),
            "`min_donors` is 0, but must be at least 1".into(),
            Some("an imputation class without a donor has nothing to impute from; the default is 3".into()),
        );
    }
}

/// `outliers`: the Hidiroglou-Berthelot parameters in their ranges, floors not negative.
fn check_outliers(ck: &mut Checker<'_>, spec: &OutlierSpec) {
    let at = |k: &str| at_analysis(&["outliers", k]);
    let ranges = [
        (
            "u",
            spec.u,
            "from 0 to 1",
            (|v: f64| (0.0..=1.0).contains(&v)) as fn(f64) -> bool,
        ),
        ("a", spec.a, "at least 0", |v: f64| v >= 0.0 && v.is_finite()),
        ("c", spec.c, "greater than 0", |v: f64| v > 0.0 && v.is_finite()),
        (
            "headcount_floor_persons",
            spec.headcount_floor_persons,
            "at least 0",
            |v: f64| v >= 0.0 && v.is_finite(),
        ),
        (
            "vacancies_floor_posts",
            spec.vacancies_floor_posts,
            "at least 0",
            |v: f64| v >= 0.0 && v.is_finite(),
        ),
        (
            "headcount_floor_share",
            spec.headcount_floor_share,
            "from 0 to 1",
            |v: f64| (0.0..=1.0).contains(&v),
        ),
    ];
    for (k, value, range, ok) in ranges {
        if let Some(v) = value
            && !ok(v)
        {
            ck.report(
                ProblemKind::BadRange,
                &at(k),
                format!("`{k}` is {v}, but must be {range}"),
                Some("see DOMAIN.md, Hidiroglou-Berthelot: U = 0.5, A = 0.05, C = 4 by default".into()),
            );
        }
    }
    if spec.min_changed == Some(0) {
        ck.report(
            ProblemKind::BadRange,
            &at("min_changed"),
            "`min_changed` is 0, but must be at least 1".into(),
            Some("quartiles of no change mean nothing; the default is 10".into()),
        );
    }
}

/// `disclosure`: counts of at least one, and a dominance share in (0, 1].
fn check_disclosure(ck: &mut Checker<'_>, d: &DisclosureSpec) {
    let at = |k: &str| at_analysis(&["disclosure", k]);
    for (k, value) in [("min_enterprises", d.min_enterprises), ("dominance_n", d.dominance_n)] {
        if let Some(n) = value
            && n < MIN_DISCLOSURE_COUNT
        {
            ck.report(
                ProblemKind::BadRange,
                &at(k),
                format!("`{k}` is {n}, but must be at least {MIN_DISCLOSURE_COUNT}"),
                Some("a rule over no enterprise suppresses nothing".into()),
            );
        }
    }
    check_share(
        ck,
        &at("dominance_k"),
        "dominance_k",
        d.dominance_k,
        "e.g. 0.85: a cell is suppressed when its n largest contributors hold over 85%",
    );
    check_share(
        ck,
        &at("protection"),
        "protection",
        d.protection,
        "e.g. 0.1: what is published must leave a suppressed cell uncertain by at least 10% of its value",
    );
}
