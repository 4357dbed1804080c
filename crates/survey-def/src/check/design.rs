//! Checks of what the analysis needs from the questionnaire to weight returns: the
//! question that identifies an enterprise (duplicate returns are matched on it), the
//! submission date, and the `[design]` table's strata: the industry, size and
//! sub-district questions and the size classes every enterprise must fall in exactly
//! one of.

use super::{Checker, key};
use crate::expr::{NameInfo, ValueType};
use crate::problem::ProblemKind;
use crate::source::Seg;
use crate::written::{DefinitionFile, QuestionType};
use std::collections::HashMap;

/// The questions the survey and its design rely on have the types they are read as,
/// and the size classes follow on from each other without gaps or overlaps, the last
/// alone open-ended.
pub(super) fn check_design(ck: &mut Checker<'_>, file: &DefinitionFile, scope: &HashMap<String, NameInfo>) {
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
    if let Some(q) = &file.survey.enterprise_name_question
        && scope.get(q).and_then(|i| i.ty.as_ref()) != Some(&ValueType::Text)
    {
        ck.report(
            ProblemKind::WrongQuestionType,
            &[key("survey"), key("enterprise_name_question")],
            format!("`{q}` must be a text question"),
            Some("name the question where enterprises write their name".into()),
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
