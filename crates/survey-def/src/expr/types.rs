//! Static types of expressions, and the checker that assigns them.
//!
//! The checker catches what would otherwise surface as wrong answers at ingest: a
//! number compared with a choice code, a code that is not in the list, a table column
//! used outside `sum()`/`count()`, an unknown question or parameter.

use super::ast::{BinOp, Expr, ExprKind, Func, Span};
use crate::codes;
use std::collections::{BTreeMap, HashMap};

/// The type of an answer or of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// Integer or decimal.
    Number,
    /// Free text, enterprise id, occupation code.
    Text,
    /// true / false.
    Bool,
    /// A calendar date.
    Date,
    /// One code of a choice list (single choice, sub-district).
    Code(String),
    /// One GB/T 4754 industry code.
    Industry,
    /// A set of codes of a choice list (multiple choice).
    Codes(String),
}

impl ValueType {
    /// How the type reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            ValueType::Number => "a number".into(),
            ValueType::Text => "text".into(),
            ValueType::Bool => "true/false".into(),
            ValueType::Date => "a date".into(),
            ValueType::Code(list) => format!("a code of choice list `{list}`"),
            ValueType::Industry => "an industry code".into(),
            ValueType::Codes(list) => format!("a set of codes of choice list `{list}`"),
        }
    }
}

/// What a name means where an expression stands.
#[derive(Debug, Clone)]
pub struct NameInfo {
    /// Its type; `None` for a repeating table.
    pub ty: Option<ValueType>,
    /// Position in questionnaire order (for the "refers to a later question" check).
    pub order: usize,
    /// Columns, when the name is a repeating table.
    pub columns: Option<HashMap<String, NameInfo>>,
}

/// Everything an expression may refer to.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Top-level questions by id.
    pub questions: &'a HashMap<String, NameInfo>,
    /// The columns of the table whose row the expression is evaluated in.
    pub row: Option<(&'a str, &'a HashMap<String, NameInfo>)>,
    /// Definition parameters.
    pub params: &'a BTreeMap<String, f64>,
    /// Choice lists: id to codes.
    pub choices: &'a HashMap<String, Vec<String>>,
    /// Whether `previous(question)` may be used: only where the previous wave is at hand
    /// (risk rules), never in what checks a return on its own.
    pub previous_wave: bool,
}

/// A type error with its position in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// Where in the expression.
    pub span: Span,
}

/// A name the expression reads, with where it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Question id (or column id inside a row).
    pub name: String,
    /// The table, when the name is a column read through `table.column` or in a row.
    pub table: Option<String>,
    /// Where in the expression.
    pub span: Span,
}

/// Lists every question or column the expression reads.
pub fn references(expr: &Expr) -> Vec<Reference> {
    let mut out = Vec::new();
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Name(name) => out.push(Reference {
            name: name.clone(),
            table: None,
            span: e.span.clone(),
        }),
        ExprKind::Column { table, column } => out.push(Reference {
            name: column.clone(),
            table: Some(table.clone()),
            span: e.span.clone(),
        }),
        _ => {}
    });
    out
}

/// Lists every question read through `previous(question)`, the previous wave's answer.
pub fn previous_references(expr: &Expr) -> Vec<Reference> {
    let mut out = Vec::new();
    expr.walk(&mut |e| {
        if let ExprKind::Call(Func::Previous, args) = &e.kind
            && let [
                Expr {
                    kind: ExprKind::Name(name),
                    span,
                },
            ] = args.as_slice()
        {
            out.push(Reference {
                name: name.clone(),
                table: None,
                span: span.clone(),
            });
        }
    });
    out
}

/// Type-checks `expr` in `scope`, returning its type or every error found.
pub fn check(expr: &Expr, scope: Scope<'_>) -> Result<ValueType, Vec<TypeError>> {
    let mut checker = Checker {
        scope,
        errors: Vec::new(),
    };
    let ty = checker.infer(expr, false);
    match (ty, checker.errors.is_empty()) {
        (Some(ty), true) => Ok(ty),
        _ => Err(checker.errors),
    }
}

struct Checker<'a> {
    scope: Scope<'a>,
    errors: Vec<TypeError>,
}

impl Checker<'_> {
    fn fail(&mut self, span: &Span, message: String, hint: Option<String>) -> Option<ValueType> {
        self.errors.push(TypeError {
            message,
            hint,
            span: span.clone(),
        });
        None
    }

    /// `aggregate` is true directly inside `sum()`/`count()`, where `table.column` and a
    /// bare table name are allowed.
    fn infer(&mut self, expr: &Expr, aggregate: bool) -> Option<ValueType> {
        let span = &expr.span;
        match &expr.kind {
            ExprKind::Number(_) => Some(ValueType::Number),
            ExprKind::Text(_) => Some(ValueType::Text),
            ExprKind::Bool(_) => Some(ValueType::Bool),
            ExprKind::Param(name) => {
                if self.scope.params.contains_key(name) {
                    Some(ValueType::Number)
                } else {
                    let known: Vec<_> = self.scope.params.keys().map(|k| format!("${k}")).collect();
                    self.fail(
                        span,
                        format!("unknown parameter `${name}`"),
                        Some(if known.is_empty() {
                            "declare it under [parameters]".into()
                        } else {
                            format!("declare it under [parameters], or use one of {}", known.join(", "))
                        }),
                    )
                }
            }
            ExprKind::Name(name) => self.name(name, span, aggregate),
            ExprKind::Column { table, column } => self.column(table, column, span, aggregate),
            ExprKind::Neg(inner) => {
                let ty = self.infer(inner, false)?;
                self.want(&ty, &ValueType::Number, &inner.span, "`-`")
            }
            ExprKind::Not(inner) => {
                let ty = self.infer(inner, false)?;
                self.want(&ty, &ValueType::Bool, &inner.span, "`not`")
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right),
            ExprKind::In {
                value,
                list,
                negated: _,
            } => {
                let ty = self.infer(value, false);
                for item in list {
                    let item_ty = self.infer(item, false);
                    if let (Some(ty), Some(item_ty)) = (&ty, item_ty) {
                        self.comparable(ty, &item_ty, value, item);
                    }
                }
                if matches!(ty, Some(ValueType::Codes(_))) {
                    return self.fail(
                        &value.span,
                        "`in` tests one value; this is a multiple-choice answer".into(),
                        Some("use selected(question, 'code')".into()),
                    );
                }
                ty.map(|_| ValueType::Bool)
            }
            ExprKind::Call(func, args) => self.call(*func, args, span),
        }
    }

    fn name(&mut self, name: &str, span: &Span, aggregate: bool) -> Option<ValueType> {
        if let Some((table, columns)) = self.scope.row
            && let Some(info) = columns.get(name)
        {
            let _ = table;
            return info.ty.clone();
        }
        match self.scope.questions.get(name) {
            Some(NameInfo { ty: Some(ty), .. }) => Some(ty.clone()),
            Some(NameInfo { ty: None, .. }) if aggregate => Some(ValueType::Number),
            Some(NameInfo { ty: None, .. }) => self.fail(
                span,
                format!("`{name}` is a repeating table, not a value"),
                Some(format!("use count({name}) or sum({name}.column)")),
            ),
            None => {
                let in_table = self
                    .scope
                    .questions
                    .iter()
                    .filter_map(|(t, info)| info.columns.as_ref().filter(|c| c.contains_key(name)).map(|_| t))
                    .min();
                let hint = match in_table {
                    Some(table) => Some(format!(
                        "`{name}` is a column of table `{table}`: outside that table use sum({table}.{name}) or count({table}.{name})"
                    )),
                    None => closest(name, self.scope.questions.keys().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?")),
                };
                self.fail(span, format!("unknown question `{name}`"), hint)
            }
        }
    }

    fn column(&mut self, table: &str, column: &str, span: &Span, aggregate: bool) -> Option<ValueType> {
        let Some(info) = self.scope.questions.get(table) else {
            return self.fail(span, format!("unknown table `{table}`"), None);
        };
        let Some(columns) = &info.columns else {
            return self.fail(span, format!("`{table}` is not a repeating table"), None);
        };
        let Some(col) = columns.get(column) else {
            return self.fail(
                span,
                format!("table `{table}` has no column `{column}`"),
                closest(column, columns.keys().map(String::as_str)).map(|c| format!("did you mean `{c}`?")),
            );
        };
        if !aggregate {
            return self.fail(
                span,
                format!("`{table}.{column}` has one value per row"),
                Some(format!(
                    "aggregate it: sum({table}.{column}) or count({table}.{column})"
                )),
            );
        }
        col.ty.clone()
    }

    fn want(&mut self, got: &ValueType, want: &ValueType, span: &Span, context: &str) -> Option<ValueType> {
        if got == want {
            Some(want.clone())
        } else {
            self.fail(
                span,
                format!("{context} needs {}, but this is {}", want.describe(), got.describe()),
                None,
            )
        }
    }

    fn binary(&mut self, op: BinOp, left: &Expr, right: &Expr) -> Option<ValueType> {
        let lt = self.infer(left, false);
        let rt = self.infer(right, false);
        let (lt, rt) = (lt?, rt?);
        let context = format!("`{}`", op.symbol());
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                self.want(&lt, &ValueType::Number, &left.span, &context)?;
                self.want(&rt, &ValueType::Number, &right.span, &context)?;
                Some(ValueType::Number)
            }
            BinOp::And | BinOp::Or => {
                self.want(&lt, &ValueType::Bool, &left.span, &context)?;
                self.want(&rt, &ValueType::Bool, &right.span, &context)?;
                Some(ValueType::Bool)
            }
            BinOp::Eq | BinOp::Ne => {
                self.comparable(&lt, &rt, left, right)?;
                Some(ValueType::Bool)
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = matches!(
                    (&lt, &rt),
                    (ValueType::Number, ValueType::Number) | (ValueType::Date, ValueType::Date)
                );
                if ordered {
                    Some(ValueType::Bool)
                } else {
                    self.fail(
                        &(left.span.start..right.span.end),
                        format!(
                            "{context} orders numbers or dates, not {} and {}",
                            lt.describe(),
                            rt.describe()
                        ),
                        None,
                    )
                }
            }
        }
    }

    /// Equality and `in`: both sides of one kind; a text literal against a code must be
    /// one of the list's codes.
    fn comparable(&mut self, lt: &ValueType, rt: &ValueType, left: &Expr, right: &Expr) -> Option<()> {
        use ValueType::*;
        let literal = |e: &Expr| match &e.kind {
            ExprKind::Text(t) => Some(t.clone()),
            _ => None,
        };
        match (lt, rt) {
            (Code(list), Text) | (Text, Code(list)) => {
                let (lit, lit_expr) = if matches!(lt, Text) {
                    (literal(left), left)
                } else {
                    (literal(right), right)
                };
                if let Some(code) = lit {
                    let codes = self.scope.choices.get(list.as_str());
                    if codes.is_some_and(|c| !c.contains(&code)) {
                        let known = codes.map(|c| c.join(", ")).unwrap_or_default();
                        self.fail(
                            &lit_expr.span,
                            format!("'{code}' is not a code of choice list `{list}`"),
                            Some(format!("codes are: {known}")),
                        );
                        return None;
                    }
                }
                Some(())
            }
            (Industry, Text) | (Text, Industry) => {
                let (lit, lit_expr) = if matches!(lt, Text) {
                    (literal(left), left)
                } else {
                    (literal(right), right)
                };
                if let Some(code) = lit
                    && codes::industry_division(&code).is_none()
                    && codes::industry_section(&code).is_none()
                {
                    self.fail(
                        &lit_expr.span,
                        format!("'{code}' is not a GB/T 4754-2017 section or division"),
                        Some("use a section letter A-T or a two-digit division such as '13'".into()),
                    );
                    return None;
                }
                Some(())
            }
            (a, b) if a == b => Some(()),
            (Code(list), Number) | (Number, Code(list)) => {
                self.fail(
                    &(left.span.start..right.span.end),
                    format!("a number is compared with a code of choice list `{list}`"),
                    Some("choice codes are text: quote the code, e.g. '1'".into()),
                );
                None
            }
            _ => {
                self.fail(
                    &(left.span.start..right.span.end),
                    format!("cannot compare {} with {}", lt.describe(), rt.describe()),
                    None,
                );
                None
            }
        }
    }

    fn arity(&mut self, func: &str, args: &[Expr], span: &Span, min: usize, max: usize) -> bool {
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            self.fail(
                span,
                format!("{func}() takes {want} argument(s), got {}", args.len()),
                None,
            );
            return false;
        }
        true
    }

    fn call(&mut self, func: Func, args: &[Expr], span: &Span) -> Option<ValueType> {
        use ValueType::*;
        match func {
            Func::Sum | Func::Count => {
                let name = if func == Func::Sum { "sum" } else { "count" };
                if !self.arity(name, args, span, 1, 1) {
                    return None;
                }
                let arg = &args[0];
                let is_table = matches!(&arg.kind, ExprKind::Name(n) if self.scope.questions.get(n).is_some_and(|i| i.columns.is_some()));
                let is_column = matches!(arg.kind, ExprKind::Column { .. });
                if !is_table && !is_column {
                    return self.fail(
                        &arg.span,
                        format!("{name}() takes a table or a table column"),
                        Some(format!("write {name}(table.column)")),
                    );
                }
                if func == Func::Sum && is_table {
                    return self.fail(
                        &arg.span,
                        "sum() needs a column, not a whole table".into(),
                        Some("write sum(table.column)".into()),
                    );
                }
                let ty = self.infer(arg, true)?;
                if func == Func::Sum && ty != Number {
                    return self.fail(
                        &arg.span,
                        format!("sum() adds numbers, but this column holds {}", ty.describe()),
                        None,
                    );
                }
                Some(Number)
            }
            Func::Answered | Func::Missing => {
                if self.arity(
                    if func == Func::Answered { "answered" } else { "missing" },
                    args,
                    span,
                    1,
                    1,
                ) {
                    self.infer(&args[0], false)?;
                    Some(Bool)
                } else {
                    None
                }
            }
            Func::Coalesce => {
                if !self.arity("coalesce", args, span, 2, usize::MAX) {
                    return None;
                }
                let first = self.infer(&args[0], false)?;
                for arg in &args[1..] {
                    let ty = self.infer(arg, false)?;
                    self.comparable(&first, &ty, &args[0], arg)?;
                }
                Some(first)
            }
            Func::Min | Func::Max => {
                if !self.arity(if func == Func::Min { "min" } else { "max" }, args, span, 1, usize::MAX) {
                    return None;
                }
                for arg in args {
                    let ty = self.infer(arg, false)?;
                    self.want(&ty, &Number, &arg.span, "min()/max()")?;
                }
                Some(Number)
            }
            Func::Abs => {
                if !self.arity("abs", args, span, 1, 1) {
                    return None;
                }
                let ty = self.infer(&args[0], false)?;
                self.want(&ty, &Number, &args[0].span, "abs()")
            }
            Func::If => {
                if !self.arity("if", args, span, 3, 3) {
                    return None;
                }
                let cond = self.infer(&args[0], false)?;
                self.want(&cond, &Bool, &args[0].span, "the condition of if()")?;
                let then = self.infer(&args[1], false)?;
                let other = self.infer(&args[2], false)?;
                self.comparable(&then, &other, &args[1], &args[2])?;
                Some(then)
            }
            Func::Selected => {
                if !self.arity("selected", args, span, 2, 2) {
                    return None;
                }
                let ty = self.infer(&args[0], false)?;
                let Codes(list) = ty else {
                    return self.fail(
                        &args[0].span,
                        format!(
                            "selected() needs a multiple-choice question, but this is {}",
                            ty.describe()
                        ),
                        Some("for one value write `question == 'code'`".into()),
                    );
                };
                let code_ty = self.infer(&args[1], false)?;
                self.comparable(&Code(list), &code_ty, &args[0], &args[1])?;
                Some(Bool)
            }
            Func::CountSelected => {
                if !self.arity("count_selected", args, span, 1, 1) {
                    return None;
                }
                let ty = self.infer(&args[0], false)?;
                if !matches!(ty, Codes(_)) {
                    return self.fail(
                        &args[0].span,
                        format!(
                            "count_selected() needs a multiple-choice question, but this is {}",
                            ty.describe()
                        ),
                        None,
                    );
                }
                Some(Number)
            }
            Func::Length => {
                if !self.arity("length", args, span, 1, 1) {
                    return None;
                }
                let ty = self.infer(&args[0], false)?;
                self.want(&ty, &Text, &args[0].span, "length()")?;
                Some(Number)
            }
            Func::Date => {
                if !self.arity("date", args, span, 1, 1) {
                    return None;
                }
                match &args[0].kind {
                    ExprKind::Text(t) if codes::parse_iso_date(t).is_some() => Some(Date),
                    _ => self.fail(&args[0].span, "date() takes a literal 'YYYY-MM-DD'".into(), None),
                }
            }
            Func::Previous => self.previous(args, span),
        }
    }

    /// `previous(question)`: the answer the same enterprise gave to a top-level question
    /// in the previous wave, of the question's own type. Only risk rules see the previous
    /// wave; a return is checked, and its skip logic and calculations run, on its own.
    fn previous(&mut self, args: &[Expr], span: &Span) -> Option<ValueType> {
        if !self.scope.previous_wave {
            return self.fail(
                span,
                "previous() reads the previous wave, which only risk rules see: a return is checked on its own".into(),
                Some("compare with the previous wave in a [[risk_rules]] `when`".into()),
            );
        }
        if !self.arity("previous", args, span, 1, 1) {
            return None;
        }
        let arg = &args[0];
        let ExprKind::Name(name) = &arg.kind else {
            return self.fail(
                &arg.span,
                "previous() takes a question id, as in previous(employees_now)".into(),
                None,
            );
        };
        match self.scope.questions.get(name) {
            Some(NameInfo { ty: Some(ty), .. }) => Some(ty.clone()),
            Some(NameInfo { ty: None, .. }) => self.fail(
                &arg.span,
                format!("`{name}` is a repeating table: previous() reads one answer"),
                Some("read a question that holds one value per return".into()),
            ),
            // Unknown names and table columns get the usual message and hint.
            None => self.name(name, &arg.span, false),
        }
    }
}

/// The candidate nearest to `name` by edit distance (a swap of two letters counts as one
/// edit), when it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::osa_distance(name, c), c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    /// Questions `employees` (a number), `status` (a code of list `status`) and the table
    /// `vacancies` with a number column `openings`.
    fn questions() -> HashMap<String, NameInfo> {
        let info = |ty: Option<ValueType>, order: usize| NameInfo {
            ty,
            order,
            columns: None,
        };
        let mut columns = HashMap::new();
        columns.insert("openings".to_owned(), info(Some(ValueType::Number), 0));
        let mut q = HashMap::new();
        q.insert("employees".to_owned(), info(Some(ValueType::Number), 0));
        q.insert("status".to_owned(), info(Some(ValueType::Code("status".into())), 1));
        q.insert(
            "vacancies".to_owned(),
            NameInfo {
                ty: None,
                order: 2,
                columns: Some(columns),
            },
        );
        q
    }

    /// The type `text` checks to, or the messages of its errors, in a risk rule's scope
    /// (`previous_wave`) or another.
    fn checked(text: &str, previous_wave: bool) -> Result<ValueType, Vec<String>> {
        let questions = questions();
        let params = BTreeMap::from([("floor".to_owned(), 0.8)]);
        let choices = HashMap::from([("status".to_owned(), vec!["normal".to_owned(), "stopped".to_owned()])]);
        let scope = Scope {
            questions: &questions,
            row: None,
            params: &params,
            choices: &choices,
            previous_wave,
        };
        check(&parse(text).unwrap(), scope).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| format!("{} ({})", e.message, e.hint.unwrap_or_default()))
                .collect()
        })
    }

    #[test]
    fn previous_has_the_type_of_its_question_in_a_risk_rule() {
        assert_eq!(
            checked("employees < $floor * previous(employees)", true),
            Ok(ValueType::Bool)
        );
        assert_eq!(checked("previous(employees)", true), Ok(ValueType::Number));
        assert_eq!(
            checked("previous(status) == 'normal' and status == 'stopped'", true),
            Ok(ValueType::Bool)
        );
        assert_eq!(checked("missing(previous(employees))", true), Ok(ValueType::Bool));
        // Its codes are checked against the question's list, as the question's are.
        let errors = checked("previous(status) == 'closed'", true).unwrap_err();
        assert!(
            errors[0].contains("'closed' is not a code of choice list `status`"),
            "{errors:?}"
        );
        let errors = checked("previous(status) > 1", true).unwrap_err();
        assert!(errors[0].contains("orders numbers or dates"), "{errors:?}");
    }

    #[test]
    fn previous_reads_one_top_level_question() {
        for (text, phrase) in [
            ("previous(vacancies) > 0", "`vacancies` is a repeating table"),
            ("previous(openings) > 0", "`openings` is a column of table `vacancies`"),
            ("previous(employes) > 0", "unknown question `employes`"),
            ("previous(1) > 0", "previous() takes a question id"),
            ("previous(employees + 1) > 0", "previous() takes a question id"),
            ("previous(previous(employees)) > 0", "previous() takes a question id"),
            (
                "previous(employees, status) > 0",
                "previous() takes 1 argument(s), got 2",
            ),
        ] {
            let errors = checked(text, true).unwrap_err();
            assert!(errors.iter().any(|e| e.contains(phrase)), "{text}: {errors:?}");
        }
        // An unknown name is named with its hint, as anywhere else.
        let questions = questions();
        let params = BTreeMap::new();
        let choices = HashMap::new();
        let scope = Scope {
            questions: &questions,
            row: None,
            params: &params,
            choices: &choices,
            previous_wave: true,
        };
        let errors = check(&parse("previous(employes) > 0").unwrap(), scope).unwrap_err();
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `employees`?"));
        assert_eq!(errors[0].span, 9..17);
    }

    #[test]
    fn previous_is_refused_outside_risk_rules() {
        let errors = checked("employees < previous(employees)", false).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("only risk rules see"), "{errors:?}");
    }

    #[test]
    fn previous_references_lists_the_questions_read_in_the_previous_wave() {
        let e = parse("employees < 0.8 * previous(employees) or previous(status) == 'stopped'").unwrap();
        let names: Vec<String> = previous_references(&e).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["employees", "status"]);
        // `references` lists them too: the current answer of the same name is read as well.
        assert_eq!(references(&e).len(), 3);
    }
}
