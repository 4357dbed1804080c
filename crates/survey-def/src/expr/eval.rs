//! Evaluation of checked expressions against one return's answers.
//!
//! Missing answers are explicit: arithmetic and comparisons with a missing operand
//! give `Missing`; `and`/`or` follow Kleene logic (`false and missing` is false,
//! `true or missing` is true). What a missing result means is decided by the caller:
//! a `constraint` that cannot be decided passes (the `required` check reports the
//! gap), a `relevant` that cannot be decided keeps the question, a risk rule that
//! cannot be decided does not trip.

use super::ast::{BinOp, Expr, ExprKind, Func};
use crate::codes;

/// A value during evaluation, and an answer in a return.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// No answer.
    Missing,
    /// A number (integers are exact up to 2^53).
    Number(f64),
    /// Text, and the code of a single choice.
    Text(String),
    /// Yes / no.
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// The ticked codes of a multiple choice, in list order.
    Codes(Vec<String>),
}

impl Value {
    /// True when there is no answer.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// The answers an expression reads.
pub trait Answers {
    /// The answer to a question, or, while a table row is evaluated, to a column of that
    /// row (columns shadow questions). `None` for an unknown name.
    fn answer(&self, name: &str) -> Option<&Value>;
    /// Every row's answer in one column of a repeating table.
    fn column(&self, table: &str, column: &str) -> Vec<&Value>;
    /// Number of rows of a repeating table.
    fn rows(&self, table: &str) -> usize;
    /// A definition parameter.
    fn param(&self, name: &str) -> Option<f64>;
    /// This enterprise's answer to a question in the previous wave (`previous(name)`);
    /// `None` when it has no return there or there is no previous wave.
    fn previous(&self, name: &str) -> Option<&Value> {
        let _ = name;
        None
    }
}

/// Evaluates a checked expression.
///
/// ```
/// use survey_def::expr::{parse, eval, Answers, Value};
/// struct One(Value);
/// impl Answers for One {
///     fn answer(&self, _: &str) -> Option<&Value> { Some(&self.0) }
///     fn column(&self, _: &str, _: &str) -> Vec<&Value> { vec![] }
///     fn rows(&self, _: &str) -> usize { 0 }
///     fn param(&self, _: &str) -> Option<f64> { None }
/// }
/// let e = parse("x > 3 or x < 0").unwrap();
/// assert_eq!(eval(&e, &One(Value::Number(5.0))), Value::Bool(true));
/// assert_eq!(eval(&e, &One(Value::Missing)), Value::Missing);
/// ```
pub fn eval(expr: &Expr, answers: &dyn Answers) -> Value {
    match &expr.kind {
        ExprKind::Number(n) => Value::Number(*n),
        ExprKind::Text(t) => Value::Text(t.clone()),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Param(p) => answers.param(p).map_or(Value::Missing, Value::Number),
        ExprKind::Name(name) => answers.answer(name).cloned().unwrap_or(Value::Missing),
        // Only reachable inside sum()/count(), which read columns directly.
        ExprKind::Column { .. } => Value::Missing,
        ExprKind::Neg(inner) => match eval(inner, answers) {
            Value::Number(n) => Value::Number(-n),
            _ => Value::Missing,
        },
        ExprKind::Not(inner) => match eval(inner, answers) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Missing,
        },
        ExprKind::Binary(op, left, right) => binary(*op, left, right, answers),
        ExprKind::In { value, list, negated } => {
            let value = eval(value, answers);
            if value.is_missing() {
                return Value::Missing;
            }
            let found = list
                .iter()
                .any(|item| equal(&value, &eval(item, answers)) == Some(true));
            Value::Bool(found != *negated)
        }
        ExprKind::Call(func, args) => call(*func, args, answers),
    }
}

/// Whether a question whose skip logic is `relevant` is asked.
///
/// True or false when the condition decides; when it cannot be decided (it reads a
/// missing answer) the question is asked, unless it reads a question that was itself
/// skipped (`skipped(name)`): skip logic cascades, so the "received" of a policy whose
/// "applied" was never asked is not asked either. Column references through
/// `table.column` do not cascade.
pub fn is_relevant(relevant: &Expr, answers: &dyn Answers, skipped: &dyn Fn(&str) -> bool) -> bool {
    match eval(relevant, answers) {
        Value::Bool(b) => b,
        _ => {
            let mut reads_skipped = false;
            relevant.walk(&mut |e| {
                if let ExprKind::Name(name) = &e.kind {
                    reads_skipped |= skipped(name);
                }
            });
            !reads_skipped
        }
    }
}

fn binary(op: BinOp, left: &Expr, right: &Expr, answers: &dyn Answers) -> Value {
    match op {
        BinOp::And => {
            let l = eval(left, answers);
            if l == Value::Bool(false) {
                return l;
            }
            match (l, eval(right, answers)) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Missing,
            }
        }
        BinOp::Or => {
            let l = eval(left, answers);
            if l == Value::Bool(true) {
                return l;
            }
            match (l, eval(right, answers)) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Missing,
            }
        }
        _ => {
            let (l, r) = (eval(left, answers), eval(right, answers));
            if l.is_missing() || r.is_missing() {
                return Value::Missing;
            }
            match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arithmetic(op, &l, &r),
                BinOp::Eq => equal(&l, &r).map_or(Value::Missing, Value::Bool),
                BinOp::Ne => equal(&l, &r).map_or(Value::Missing, |e| Value::Bool(!e)),
                _ => order(op, &l, &r),
            }
        }
    }
}

fn arithmetic(op: BinOp, l: &Value, r: &Value) -> Value {
    let (Some(a), Some(b)) = (l.as_number(), r.as_number()) else {
        return Value::Missing;
    };
    let result = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        // Division by zero has no answer; a rate over an empty base is missing, not infinite.
        BinOp::Div if b == 0.0 => return Value::Missing,
        _ => a / b,
    };
    if result.is_finite() {
        Value::Number(result)
    } else {
        Value::Missing
    }
}

fn equal(l: &Value, r: &Value) -> Option<bool> {
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => Some(a == b),
        (Value::Text(a), Value::Text(b)) => Some(a == b),
        (Value::Bool(a), Value::Bool(b)) => Some(a == b),
        (Value::Date(a), Value::Date(b)) => Some(a == b),
        (Value::Codes(a), Value::Codes(b)) => Some(a == b),
        _ => None,
    }
}

fn order(op: BinOp, l: &Value, r: &Value) -> Value {
    let ordering = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let Some(ordering) = ordering else {
        return Value::Missing;
    };
    Value::Bool(match op {
        BinOp::Lt => ordering.is_lt(),
        BinOp::Le => ordering.is_le(),
        BinOp::Gt => ordering.is_gt(),
        _ => ordering.is_ge(),
    })
}

fn column_of<'a>(arg: &Expr, answers: &'a dyn Answers) -> Vec<&'a Value> {
    match &arg.kind {
        ExprKind::Column { table, column } => answers.column(table, column),
        _ => Vec::new(),
    }
}

fn call(func: Func, args: &[Expr], answers: &dyn Answers) -> Value {
    match func {
        Func::Sum => Value::Number(
            column_of(&args[0], answers)
                .into_iter()
                .filter_map(Value::as_number)
                .sum(),
        ),
        Func::Count => match &args[0].kind {
            ExprKind::Name(table) => Value::Number(answers.rows(table) as f64),
            _ => Value::Number(
                column_of(&args[0], answers)
                    .into_iter()
                    .filter(|v| !v.is_missing())
                    .count() as f64,
            ),
        },
        Func::Answered => Value::Bool(!eval(&args[0], answers).is_missing()),
        Func::Missing => Value::Bool(eval(&args[0], answers).is_missing()),
        Func::Coalesce => args
            .iter()
            .map(|a| eval(a, answers))
            .find(|v| !v.is_missing())
            .unwrap_or(Value::Missing),
        Func::Min | Func::Max => {
            let numbers = args.iter().filter_map(|a| eval(a, answers).as_number());
            let best = if func == Func::Min {
                numbers.reduce(f64::min)
            } else {
                numbers.reduce(f64::max)
            };
            best.map_or(Value::Missing, Value::Number)
        }
        Func::Abs => match eval(&args[0], answers) {
            Value::Number(n) => Value::Number(n.abs()),
            _ => Value::Missing,
        },
        Func::If => match eval(&args[0], answers) {
            Value::Bool(true) => eval(&args[1], answers),
            Value::Bool(false) => eval(&args[2], answers),
            _ => Value::Missing,
        },
        Func::Selected => match (eval(&args[0], answers), eval(&args[1], answers)) {
            (Value::Codes(codes), Value::Text(code)) => Value::Bool(codes.contains(&code)),
            _ => Value::Missing,
        },
        Func::CountSelected => match eval(&args[0], answers) {
            Value::Codes(codes) => Value::Number(codes.len() as f64),
            _ => Value::Missing,
        },
        Func::Length => match eval(&args[0], answers) {
            Value::Text(t) => Value::Number(t.chars().count() as f64),
            _ => Value::Missing,
        },
        Func::Date => match eval(&args[0], answers) {
            Value::Text(t) => codes::parse_iso_date(&t).map_or(Value::Missing, Value::Date),
            _ => Value::Missing,
        },
        Func::Previous => match args.first().map(|a| &a.kind) {
            Some(ExprKind::Name(name)) => answers.previous(name).cloned().unwrap_or(Value::Missing),
            _ => Value::Missing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;
    use std::collections::HashMap;

    struct Return {
        answers: HashMap<&'static str, Value>,
        vacancies: Vec<Value>,
    }

    /// A return with the same enterprise's answers in the previous wave.
    struct WithPrevious {
        now: Return,
        before: HashMap<&'static str, Value>,
    }

    impl Answers for WithPrevious {
        fn answer(&self, name: &str) -> Option<&Value> {
            self.now.answer(name)
        }
        fn column(&self, table: &str, column: &str) -> Vec<&Value> {
            self.now.column(table, column)
        }
        fn rows(&self, table: &str) -> usize {
            self.now.rows(table)
        }
        fn param(&self, name: &str) -> Option<f64> {
            self.now.param(name)
        }
        fn previous(&self, name: &str) -> Option<&Value> {
            self.before.get(name)
        }
    }

    #[test]
    fn previous_reads_the_previous_wave_and_is_missing_without_it() {
        let rule = parse("staff < 0.8 * previous(staff)").unwrap();
        let with = |now: f64, before: Option<f64>| WithPrevious {
            now: Return {
                answers: [("staff", Value::Number(now))].into_iter().collect(),
                vacancies: vec![],
            },
            before: before.map(|b| ("staff", Value::Number(b))).into_iter().collect(),
        };
        // 79 < 0.8 * 100 = 80 trips; 80 does not.
        assert_eq!(eval(&rule, &with(79.0, Some(100.0))), Value::Bool(true));
        assert_eq!(eval(&rule, &with(80.0, Some(100.0))), Value::Bool(false));
        // Not in the previous wave: missing, so the rule cannot be decided.
        assert_eq!(eval(&rule, &with(10.0, None)), Value::Missing);
        assert_eq!(
            eval(&parse("missing(previous(staff))").unwrap(), &with(10.0, None)),
            Value::Bool(true)
        );
        // Answers without a previous wave (the trait's default) read it as missing.
        let alone = Return {
            answers: [("staff", Value::Number(10.0))].into_iter().collect(),
            vacancies: vec![],
        };
        assert_eq!(eval(&rule, &alone), Value::Missing);
        assert_eq!(
            eval(&parse("coalesce(previous(staff), staff)").unwrap(), &alone),
            Value::Number(10.0)
        );
    }

    impl Answers for Return {
        fn answer(&self, name: &str) -> Option<&Value> {
            self.answers.get(name)
        }
        fn column(&self, _: &str, _: &str) -> Vec<&Value> {
            self.vacancies.iter().collect()
        }
        fn rows(&self, _: &str) -> usize {
            self.vacancies.len()
        }
        fn param(&self, name: &str) -> Option<f64> {
            (name == "limit").then_some(20.0)
        }
    }

    fn run(text: &str, answers: &[(&'static str, Value)]) -> Value {
        let ret = Return {
            answers: answers.iter().cloned().collect(),
            vacancies: vec![Value::Number(3.0), Value::Missing, Value::Number(4.0)],
        };
        eval(&parse(text).unwrap(), &ret)
    }

    #[test]
    fn kleene_logic_lets_a_decided_side_win_over_missing() {
        assert_eq!(run("x > 1 and y > 1", &[("x", Value::Number(0.0))]), Value::Bool(false));
        assert_eq!(run("x > 1 or y > 1", &[("x", Value::Number(5.0))]), Value::Bool(true));
        assert_eq!(run("x > 1 or y > 1", &[("x", Value::Number(0.0))]), Value::Missing);
        assert_eq!(run("not (y > 1)", &[]), Value::Missing);
    }

    #[test]
    fn thresholds_read_parameters_and_treat_zero_division_as_missing() {
        let layoffs = [("cut", Value::Number(12.0)), ("staff", Value::Number(100.0))];
        assert_eq!(run("cut >= $limit or cut / staff >= 0.1", &layoffs), Value::Bool(true));
        assert_eq!(
            run(
                "cut / staff",
                &[("cut", Value::Number(1.0)), ("staff", Value::Number(0.0))]
            ),
            Value::Missing
        );
    }

    #[test]
    fn aggregates_skip_unanswered_cells() {
        assert_eq!(run("sum(v.n)", &[]), Value::Number(7.0));
        assert_eq!(run("count(v.n)", &[]), Value::Number(2.0));
        assert_eq!(run("count(v)", &[]), Value::Number(3.0));
    }

    #[test]
    fn skip_logic_cascades_through_skipped_questions_only() {
        let ret = Return {
            answers: [("aware", Value::Bool(false))].into_iter().collect(),
            vacancies: vec![],
        };
        let applied = parse("aware").unwrap();
        let received = parse("applied").unwrap();
        let nobody_skipped = |_: &str| false;
        assert!(!is_relevant(&applied, &ret, &nobody_skipped), "decided false");
        // `applied` is missing: asked while nothing says it was skipped ...
        assert!(is_relevant(&received, &ret, &nobody_skipped));
        // ... and skipped when `applied` was itself skipped.
        assert!(!is_relevant(&received, &ret, &|name| name == "applied"));
    }

    #[test]
    fn functions_on_missing_answers() {
        assert_eq!(run("coalesce(x, 0) + 1", &[]), Value::Number(1.0));
        assert_eq!(run("answered(x)", &[]), Value::Bool(false));
        assert_eq!(run("max(x, 2, 7)", &[]), Value::Number(7.0));
        let ticked = [("m", Value::Codes(vec!["a".into(), "c".into()]))];
        assert_eq!(
            run("selected(m, 'c') and count_selected(m) == 2", &ticked),
            Value::Bool(true)
        );
        assert_eq!(
            run("s in ['a', 'b']", &[("s", Value::Text("b".into()))]),
            Value::Bool(true)
        );
        assert_eq!(
            run("s not in ['a', 'b']", &[("s", Value::Text("b".into()))]),
            Value::Bool(false)
        );
        assert_eq!(
            run("d >= date('2024-02-10')", &[("d", Value::Date(19_763))]),
            Value::Bool(true)
        );
    }
}
