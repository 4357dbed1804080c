//! Checks and compilation of the risk rules and policies: the conditions that flag a
//! return for review, and the policies whose reach is measured. Both read answers, so
//! they are checked against the questions once those are settled.

use super::logic::compile_expr;
use super::{Checker, key};
use crate::definition::{Policy, RiskRule};
use crate::expr::{self, NameInfo, Scope, ValueType};
use crate::problem::ProblemKind;
use crate::source::Seg;
use crate::written::DefinitionFile;
use std::collections::{HashMap, HashSet};

/// Compiles each risk rule whose condition is a valid yes/no expression, reporting
/// evidence that names no question or column.
pub(super) fn compile_risk_rules(ck: &mut Checker<'_>, file: &DefinitionFile, scope: Scope<'_>) -> Vec<RiskRule> {
    // A rule may compare an answer with the same enterprise's in the previous wave.
    let scope = Scope {
        previous_wave: true,
        ..scope
    };
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
                id: rule.id.clone(),
                label: rule.label.clone(),
                severity: rule.severity,
                when,
                when_text: rule.when.clone(),
                reason: rule.reason.clone(),
                evidence: rule.evidence.clone(),
                basis: rule.basis.clone(),
            });
        }
    }
    out
}

/// Compiles each policy: its awareness, application and receipt questions are yes/no
/// questions, its channel a choice question, its service declared, and its need a
/// valid yes/no expression.
pub(super) fn compile_policies(
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
            id: policy.id.clone(),
            name: policy.name.clone(),
            service: policy.service.clone(),
            aware: policy.aware.clone(),
            applied: policy.applied.clone(),
            received: policy.received.clone(),
            channel: policy.channel.clone(),
            need,
            need_text: policy.need.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{DefinitionError, ProblemKind, load_str};
    use std::path::Path;

    /// The small complete definition the definition fixtures vary.
    fn minimal() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/definitions/good/minimal.toml");
        std::fs::read_to_string(path).unwrap()
    }

    /// The problems of `text` as (kind, line, message).
    fn problems(text: &str) -> Vec<(ProblemKind, usize, String)> {
        match load_str(text, Path::new("demo.toml")) {
            Ok(_) => Vec::new(),
            Err(DefinitionError::Invalid { problems, .. }) => {
                problems.into_iter().map(|p| (p.kind, p.at.line, p.message)).collect()
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_risk_rule_may_read_the_previous_wave() {
        let text = minimal().replace(
            r#"when = "planned_reductions >= $layoff_persons""#,
            r#"when = "employees < 0.8 * previous(employees) or previous(subdistrict) != subdistrict""#,
        );
        let def = load_str(&text, Path::new("demo.toml")).unwrap();
        let rule = &def.risk_rules()[0];
        let read: Vec<String> = crate::expr::previous_references(&rule.when)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(read, ["employees", "subdistrict"]);
    }

    #[test]
    fn previous_outside_a_risk_rule_is_a_problem_where_it_is_written() {
        let need = minimal().replace(
            r#"need = "total_vacancies > 0""#,
            r#"need = "total_vacancies > previous(total_vacancies)""#,
        );
        let found = problems(&need);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, ProblemKind::ExpressionType);
        assert!(
            found[0].2.starts_with("need: previous() reads the previous wave"),
            "{found:?}"
        );
        let calculate = minimal().replace(
            r#"calculate = "sum(vacancies.openings)""#,
            r#"calculate = "previous(total_vacancies)""#,
        );
        let found = problems(&calculate);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.starts_with("calculate: previous()"), "{found:?}");
        let constraint = minimal().replace(
            r#"constraint = "hard_to_fill <= openings""#,
            r#"constraint = "hard_to_fill <= previous(employees)""#,
        );
        let found = problems(&constraint);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.starts_with("constraint: previous()"), "{found:?}");
    }
}
