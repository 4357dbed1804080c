//! Turning a draft into a clean return: skip logic, answers by type for questions the
//! draft does not know, and the final check against every constraint and required
//! answer.

use crate::answers::{Builder, Context};
use crate::check::{self, Record};
use crate::population::Enterprise;
use crate::random::{Rng, chance, int, uniform};
use crate::sectors;
use std::collections::{BTreeMap, BTreeSet};
use survey_def::expr::Value;
use survey_def::{Question, QuestionKind};

/// An answer to `q` made from its type alone.
fn by_type(ctx: &Context, q: &Question, e: &Enterprise, rng: &mut Rng) -> Option<Value> {
    let value = match &q.kind {
        QuestionKind::Integer(bounds) | QuestionKind::Decimal(bounds) => {
            let lo = bounds.min.unwrap_or(0.0);
            let hi = bounds.max.unwrap_or(lo + 100.0).min(lo + 50.0);
            let x = uniform(rng, lo, hi);
            Value::Number(if matches!(q.kind, QuestionKind::Integer(_)) {
                x.floor()
            } else {
                (x * 100.0).round() / 100.0
            })
        }
        QuestionKind::Text { .. } => Value::Text(
            if ctx.lang == survey_def::Lang::Zh {
                "无"
            } else {
                "none"
            }
            .to_owned(),
        ),
        QuestionKind::Boolean => Value::Bool(chance(rng, 0.5)),
        QuestionKind::Date => Value::Date(int(rng, i64::from(ctx.period.0), i64::from(ctx.period.1)) as i32),
        QuestionKind::SingleChoice(choices)
        | QuestionKind::Subdistrict(choices)
        | QuestionKind::MultipleChoice(choices) => {
            let options = &choices.options;
            let code = options
                .get(int(rng, 0, options.len() as i64 - 1) as usize)?
                .code
                .clone();
            if matches!(q.kind, QuestionKind::MultipleChoice(_)) {
                Value::Codes(vec![code])
            } else {
                Value::Text(code)
            }
        }
        QuestionKind::EnterpriseId => Value::Text(e.id.clone()),
        QuestionKind::IndustryCode => Value::Text(e.division.to_owned()),
        QuestionKind::OccupationCode => Value::Text(sectors::profile(e.sector).occupations[0].0.to_owned()),
        QuestionKind::Table(_) => return None,
    };
    check::well_formed(q, &value).is_ok().then_some(value)
}

/// An answer made from the type that passes `passes` (the question's constraint): for
/// a yes/no question `false` first, otherwise a few random draws.
fn fitting(
    ctx: &Context,
    q: &Question,
    e: &Enterprise,
    rng: &mut Rng,
    mut passes: impl FnMut(&Value) -> bool,
) -> Option<Value> {
    if matches!(q.kind, QuestionKind::Boolean) {
        return [false, true].into_iter().map(Value::Bool).find(|v| passes(v));
    }
    (0..8).filter_map(|_| by_type(ctx, q, e, rng)).find(|v| passes(v))
}

/// Applies skip logic in questionnaire order (a `relevant` reads only earlier answers),
/// fills what the draft left open, computes the calculations and checks the result.
/// Returns the problems when the return is not clean.
pub(crate) fn settle(ctx: &Context, e: &Enterprise, mut b: Builder, rng: &mut Rng) -> Result<Record, Vec<String>> {
    let def = ctx.def;
    let mut skipped = BTreeSet::new();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        check::calculate(def, &mut b.record);
        let relevant = check::asked(def, &b.record, q, &skipped);
        let id = q.id().to_owned();
        if !relevant {
            skipped.insert(id.clone());
        }
        if q.kind.table().is_some() {
            if !relevant {
                b.record.tables.remove(&id);
                continue;
            }
            let mut rows = b.record.tables.remove(&id).unwrap_or_default();
            for row in &mut rows {
                settle_row(ctx, e, q, &b.record, row, &skipped, b.decided.contains(&id), rng);
            }
            b.record.tables.insert(id, rows);
            continue;
        }
        if !relevant {
            b.record.answers.remove(&id);
        } else if !b.record.answers.contains_key(&id) {
            let fill = q.required || (!b.decided.contains(&id) && chance(rng, 0.6));
            if fill {
                let mut trial = b.record.clone();
                let passes = |v: &Value| {
                    trial.answers.insert(id.clone(), v.clone());
                    q.constraint
                        .as_ref()
                        .is_none_or(|c| check::eval(def, &trial, c) != Value::Bool(false))
                };
                if let Some(v) = fitting(ctx, q, e, rng, passes) {
                    b.record.answers.insert(id, v);
                }
            }
        }
    }
    check::calculate(def, &mut b.record);
    // Answers made by type alone may break a constraint; optional ones are dropped.
    for q in def
        .questions()
        .iter()
        .filter(|q| q.is_asked() && !q.required && !b.decided.contains(q.id()))
    {
        if let Some(c) = &q.constraint
            && b.record.answers.contains_key(q.id())
            && check::eval(def, &b.record, c) == Value::Bool(false)
        {
            b.record.answers.remove(q.id());
        }
    }
    check::calculate(def, &mut b.record);
    let problems = check::problems(def, &b.record);
    if problems.is_empty() {
        Ok(b.record)
    } else {
        Err(problems)
    }
}

#[allow(clippy::too_many_arguments)]
fn settle_row(
    ctx: &Context,
    e: &Enterprise,
    table: &Question,
    record: &Record,
    row: &mut BTreeMap<String, Value>,
    skipped: &BTreeSet<String>,
    known: bool,
    rng: &mut Rng,
) {
    let mut skipped_cols = BTreeSet::new();
    for col in table.columns().iter().filter(|c| c.is_asked()) {
        let relevant = check::cell_asked(ctx.def, record, table, row, col, skipped, &skipped_cols);
        if !relevant {
            skipped_cols.insert(col.id().to_owned());
            row.remove(col.id());
        } else if !row.contains_key(col.id()) && (col.required || (!known && chance(rng, 0.5))) {
            let mut trial = row.clone();
            let passes = |v: &Value| {
                trial.insert(col.id().to_owned(), v.clone());
                col.constraint
                    .as_ref()
                    .is_none_or(|c| check::eval_row(ctx.def, record, table, &trial, c) != Value::Bool(false))
            };
            if let Some(v) = fitting(ctx, col, e, rng, passes) {
                row.insert(col.id().to_owned(), v);
            }
        }
    }
    for col in table.columns().iter().filter(|c| c.is_asked() && !c.required) {
        if let Some(c) = &col.constraint
            && !known
            && row.contains_key(col.id())
            && check::eval_row(ctx.def, record, table, row, c) == Value::Bool(false)
        {
            row.remove(col.id());
        }
    }
}

/// A clean return for `e` filed on `submitted_on`.
pub(crate) fn clean_return(
    ctx: &Context,
    e: &Enterprise,
    submitted_on: i32,
    rng: &mut Rng,
) -> Result<Record, Vec<String>> {
    let b = crate::answers::answers(ctx, e, submitted_on, rng);
    settle(ctx, e, b, rng)
}
