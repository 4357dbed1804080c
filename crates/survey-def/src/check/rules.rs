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
