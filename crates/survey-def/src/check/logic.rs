//! Checks of the expressions of questions: that each parses and gives the type its role
//! needs, that skip logic only reads answers given before the question it decides on,
//! and that calculations do not depend on each other in a circle.

use super::{Checker, Declared, key};
use crate::definition::Question;
use crate::expr::{self, Expr, Scope, ValueType};
use crate::problem::ProblemKind;
use crate::source::{Seg, TomlPath};
use std::collections::{BTreeMap, HashMap};

/// Parses and type-checks one expression, reporting problems at their place in it.
pub(super) fn compile_expr(
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

/// Skip logic reads answers given before the question: a `relevant` that reads a later
/// question (or, in a table row, a later column of that row) would decide whether to
/// ask on an answer not yet given.
pub(super) fn check_relevant_order(
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

/// Calculated questions may read other calculated ones, but not in a circle: such
/// values could never be worked out. Each circle is reported once, at its first
/// question.
pub(super) fn check_calculate_cycles(ck: &mut Checker<'_>, declared: &[Declared<'_>], compiled: &[Question]) {
    // Nodes: calculated questions, keyed `id` (or `table.column` for columns).
    let mut deps: BTreeMap<String, (Vec<String>, TomlPath)> = BTreeMap::new();
    for (d, q) in declared.iter().zip(compiled) {
        if let Some(e) = &q.calculate {
            let refs = expr::references(e).into_iter().map(|r| r.name).collect();
            deps.insert(q.id.clone(), (refs, [d.path.as_slice(), &[key("calculate")]].concat()));
        }
        for (dc, c) in d.columns.iter().zip(q.columns()) {
            if let Some(e) = &c.calculate {
                let refs = expr::references(e)
                    .into_iter()
                    .map(|r| {
                        if r.table.is_none() && q.column(&r.name).is_some() {
                            format!("{}.{}", q.id, r.name)
                        } else {
                            r.name
                        }
                    })
                    .collect();
                deps.insert(
                    format!("{}.{}", q.id, c.id),
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
