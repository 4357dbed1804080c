//! The syntax tree of an expression and its parser (precedence climbing).
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparisons and `in`,
//! `+ -`, `* /`, unary `-`. Comparisons do not chain (`a < b < c` is an error).

use super::lexer::Token;
use crate::hints;
use logos::Logos;
use std::ops::Range;

/// Byte range inside the expression text.
pub type Span = Range<usize>;

/// A parsed expression with its position in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it stands in the expression text.
    pub span: Span,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and` (Kleene: false wins over missing)
    And,
    /// `or` (Kleene: true wins over missing)
    Or,
}

impl BinOp {
    /// Source spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `sum(table.column)`: total of the answered cells; 0 for no rows.
    Sum,
    /// `count(table)`: rows; `count(table.column)`: answered cells.
    Count,
    /// `answered(x)`: true when x has an answer.
    Answered,
    /// `missing(x)`: true when x has no answer.
    Missing,
    /// `coalesce(x, y, ...)`: the first answered argument.
    Coalesce,
    /// `min(a, b, ...)` of the answered arguments.
    Min,
    /// `max(a, b, ...)` of the answered arguments.
    Max,
    /// `abs(x)`
    Abs,
    /// `if(condition, then, else)`
    If,
    /// `selected(multi, 'code')`: the code was ticked.
    Selected,
    /// `count_selected(multi)`: how many codes were ticked.
    CountSelected,
    /// `length(text)` in characters.
    Length,
    /// `date('YYYY-MM-DD')`: a date literal.
    Date,
    /// `previous(question)`: this enterprise's answer to the question in the previous
    /// wave; risk rules only.
    Previous,
}

impl Func {
    /// Looks a function up by name.
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sum" => Func::Sum,
            "count" => Func::Count,
            "answered" => Func::Answered,
            "missing" => Func::Missing,
            "coalesce" => Func::Coalesce,
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "if" => Func::If,
            "selected" => Func::Selected,
            "count_selected" => Func::CountSelected,
            "length" => Func::Length,
            "date" => Func::Date,
            "previous" => Func::Previous,
            _ => return None,
        })
    }

    /// Every function name, for hints.
    pub const NAMES: &'static [&'static str] = &[
        "sum",
        "count",
        "answered",
        "missing",
        "coalesce",
        "min",
        "max",
        "abs",
        "if",
        "selected",
        "count_selected",
        "length",
        "date",
        "previous",
    ];
}

/// What an expression is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A text literal (also used for choice codes).
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// A question, or a column of the current table row.
    Name(String),
    /// `table.column`, only meaningful inside `sum()` and `count()`.
    Column {
        /// The table question.
        table: String,
        /// The column.
        column: String,
    },
    /// `$name`, a definition parameter.
    Param(String),
    /// `-x`
    Neg(Box<Expr>),
    /// `not x`
    Not(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x in [a, b]` / `x not in [a, b]`
    In {
        /// The tested value.
        value: Box<Expr>,
        /// Literal candidates.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `f(args)`
    Call(Func, Vec<Expr>),
}

impl Expr {
    /// Calls `visit` on this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Neg(inner) | ExprKind::Not(inner) => inner.walk(visit),
            ExprKind::Binary(_, left, right) => {
                left.walk(visit);
                right.walk(visit);
            }
            ExprKind::In { value, list, .. } => {
                value.walk(visit);
                list.iter().for_each(|e| e.walk(visit));
            }
            ExprKind::Call(_, args) => args.iter().for_each(|e| e.walk(visit)),
            ExprKind::Number(_)
            | ExprKind::Text(_)
            | ExprKind::Bool(_)
            | ExprKind::Name(_)
            | ExprKind::Column { .. }
            | ExprKind::Param(_) => {}
        }
    }
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// Deepest nesting accepted; keeps recursion bounded on hostile text.
pub const MAX_NESTING: usize = 64;

/// Parses an expression.
///
/// ```
/// use survey_def::expr::parse;
/// let e = parse("hard_to_fill <= vacancies and not answered(reason)").unwrap();
/// assert!(parse("a <").is_err());
/// # let _ = e;
/// ```
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let mut tokens = Vec::new();
    for (token, span) in Token::lexer(text).spanned() {
        match token {
            Ok(t) => tokens.push((t, span)),
            Err(()) => {
                return Err(SyntaxError {
                    message: unexpected_character(text, span.clone()),
                    span,
                });
            }
        }
    }
    refuse_habits(&tokens)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = parser.or()?;
    if let Some((token, span)) = parser.tokens.get(parser.pos) {
        return Err(SyntaxError {
            message: format!("unexpected {} after a complete expression", token.describe()),
            span: span.clone(),
        });
    }
    Ok(expr)
}

/// The words of the language, all lower case.
const KEYWORDS: &[&str] = &["and", "or", "not", "in", "true", "false"];

/// Why the character at `span` cannot start a token, with what to write instead.
fn unexpected_character(text: &str, span: Span) -> String {
    let bad = &text[span.clone()];
    let Some(c) = bad.chars().next() else {
        return "unexpected end of the expression".into();
    };
    if let Some(what) = hints::full_width_what(c) {
        let ascii = hints::ascii_for(c).unwrap_or_default();
        if hints::is_typographic_quote(c) {
            // Show the whole text with plain quotes when its closing quote is in sight.
            let rest = &text[span.end..];
            if let Some(close) = rest.find(|q: char| hints::is_typographic_quote(q) || q == '\'' || q == '"') {
                return format!("{what}; write the text in plain quotes: `'{}'`", &rest[..close]);
            }
            return format!("{what}; write `'` or `\"`");
        }
        return format!("{what}; write `{ascii}`");
    }
    if c == '\'' || c == '"' {
        let rest = &text[span.start + 1..];
        if let Some(q) = rest.chars().find(|q| hints::is_typographic_quote(*q)) {
            return format!(
                "the text starting here ends with `{q}`, a full-width quote from a Chinese input method; end it with `{c}`"
            );
        }
        return format!("the text starting here has no closing `{c}`");
    }
    if !c.is_ascii() {
        // Show the whole run of such characters: it is usually a word (a label or code
        // written without quotes).
        let rest = &text[span.start..];
        let word = rest
            .find(|w: char| w.is_ascii() || hints::ascii_for(w).is_some())
            .map_or(rest, |end| &rest[..end]);
        return format!(
            "unexpected character `{c}`: names are written with ASCII letters, digits and `_`; put text in quotes, as in `'{word}'`"
        );
    }
    format!("unexpected character `{bad}`")
}

/// Refuses the first spelling borrowed from Excel or another language (`<>`, `=`,
/// `AND`, `TRUE`...), before parsing gives it a meaning or a puzzling message.
fn refuse_habits(tokens: &[(Token, Span)]) -> Result<(), SyntaxError> {
    for (i, (token, span)) in tokens.iter().enumerate() {
        let message = match token {
            Token::Habit(habit) => habit.message().to_owned(),
            Token::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                if lower == *name || !KEYWORDS.contains(&lower.as_str()) {
                    continue;
                }
                let called = matches!(tokens.get(i + 1), Some((Token::LParen, _)));
                match lower.as_str() {
                    "and" | "or" if called => format!(
                        "`{name}(...)` is Excel's; join the conditions with `{lower}`, as in `a > 0 {lower} b > 0`"
                    ),
                    "not" if called => format!("`{name}(...)` is Excel's; write `not (...)` in lower case"),
                    _ => format!("`{name}` is written in lower case: `{lower}`"),
                }
            }
            _ => continue,
        };
        return Err(SyntaxError {
            message,
            span: span.clone(),
        });
    }
    Ok(())
}

/// Why `name(...)` is not a function, with the nearest one.
fn unknown_function(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let near = match lower.as_str() {
        _ if Func::from_name(&lower).is_some() => {
            return format!("`{name}` is written in lower case: `{lower}(...)`");
        }
        // Excel's names for functions the language has under another name.
        "isblank" => Some("missing"),
        "len" => Some("length"),
        "counta" => Some("count"),
        _ => crate::expr::closest(&lower, Func::NAMES.iter().copied()),
    };
    match near {
        Some(near) => format!(
            "unknown function `{name}`; did you mean `{near}`? (known: {})",
            Func::NAMES.join(", ")
        ),
        None => format!("unknown function `{name}` (known: {})", Func::NAMES.join(", ")),
    }
}

struct Parser {
    tokens: Vec<(Token, Span)>,
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn next(&mut self) -> Option<(Token, Span)> {
        let item = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        item
    }

    fn here(&self) -> Span {
        self.tokens
            .get(self.pos)
            .map(|(_, s)| s.clone())
            .unwrap_or(self.end..self.end)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message: message.into(),
            span: self.here(),
        })
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<Span, SyntaxError> {
        match self.tokens.get(self.pos) {
            Some((t, span)) if *t == want => {
                let span = span.clone();
                self.pos += 1;
                Ok(span)
            }
            Some((t, _)) => self.error(format!("expected {what}, found {}", t.describe())),
            None => self.error(format!("expected {what}, found the end of the expression")),
        }
    }

    fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.start..right.span.end;
        Expr {
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            span,
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error(format!("expression nested deeper than {MAX_NESTING} levels"));
        }
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            let right = self.and()?;
            left = Self::binary(BinOp::Or, left, right);
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            let right = self.not()?;
            left = Self::binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek() == Some(&Token::Not) {
            let start = self.here().start;
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return self.error(format!("expression nested deeper than {MAX_NESTING} levels"));
            }
            let inner = self.not()?;
            self.depth -= 1;
            let span = start..inner.span.end;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span,
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.additive()?;
        let op = match self.peek() {
            Some(Token::Eq) => BinOp::Eq,
            Some(Token::Ne) => BinOp::Ne,
            Some(Token::Lt) => BinOp::Lt,
            Some(Token::Le) => BinOp::Le,
            Some(Token::Gt) => BinOp::Gt,
            Some(Token::Ge) => BinOp::Ge,
            Some(Token::In) => return self.membership(left, false),
            Some(Token::Not) if matches!(self.tokens.get(self.pos + 1), Some((Token::In, _))) => {
                self.pos += 1;
                return self.membership(left, true);
            }
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.additive()?;
        if matches!(
            self.peek(),
            Some(Token::Eq | Token::Ne | Token::Lt | Token::Le | Token::Gt | Token::Ge)
        ) {
            return self.error("comparisons do not chain: write `a < b and b < c`");
        }
        Ok(Self::binary(op, left, right))
    }

    fn membership(&mut self, value: Expr, negated: bool) -> Result<Expr, SyntaxError> {
        self.pos += 1; // `in`
        self.expect(Token::LBracket, "`[` starting the list after `in`")?;
        let mut list = Vec::new();
        if self.peek() != Some(&Token::RBracket) {
            loop {
                list.push(self.additive()?);
                if self.peek() == Some(&Token::Comma) {
                    self.pos += 1;
                    continue;
                }
                break;
            }
        }
        let close = self.expect(Token::RBracket, "`,` or `]` in the list after `in`")?;
        let span = value.span.start..close.end;
        Ok(Expr {
            kind: ExprKind::In {
                value: Box::new(value),
                list,
                negated,
            },
            span,
        })
    }

    fn additive(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Token::Plus) => BinOp::Add,
                Some(Token::Minus) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.multiplicative()?;
            left = Self::binary(op, left, right);
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Star) => BinOp::Mul,
                Some(Token::Slash) => BinOp::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Self::binary(op, left, right);
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek() == Some(&Token::Minus) {
            let start = self.here().start;
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return self.error(format!("expression nested deeper than {MAX_NESTING} levels"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            let span = start..inner.span.end;
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                span,
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let Some((token, span)) = self.next() else {
            self.pos -= 1;
            return self.error("expected a value, found the end of the expression");
        };
        let kind = match token {
            Token::Number(n) => ExprKind::Number(n),
            Token::Text(t) => ExprKind::Text(t),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::Param(p) => ExprKind::Param(p),
            Token::LParen => {
                let inner = self.or()?;
                let close = self.expect(Token::RParen, "`)`")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: span.start..close.end,
                });
            }
            Token::Ident(name) => return self.name_or_call(name, span),
            other => {
                self.pos -= 1;
                return self.error(format!("expected a value, found {}", other.describe()));
            }
        };
        Ok(Expr { kind, span })
    }

    fn name_or_call(&mut self, name: String, span: Span) -> Result<Expr, SyntaxError> {
        match self.peek() {
            Some(Token::LParen) => {
                let Some(func) = Func::from_name(&name) else {
                    return Err(SyntaxError {
                        message: unknown_function(&name),
                        span,
                    });
                };
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() != Some(&Token::RParen) {
                    loop {
                        args.push(self.or()?);
                        if self.peek() == Some(&Token::Comma) {
                            self.pos += 1;
                            continue;
                        }
                        break;
                    }
                }
                let close = self.expect(Token::RParen, "`,` or `)` after an argument")?;
                Ok(Expr {
                    kind: ExprKind::Call(func, args),
                    span: span.start..close.end,
                })
            }
            Some(Token::Dot) => {
                self.pos += 1;
                match self.next() {
                    Some((Token::Ident(column), col_span)) => Ok(Expr {
                        kind: ExprKind::Column { table: name, column },
                        span: span.start..col_span.end,
                    }),
                    _ => {
                        self.pos -= 1;
                        self.error(format!("expected a column name after `{name}.`"))
                    }
                }
            }
            _ => Ok(Expr {
                kind: ExprKind::Name(name),
                span,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_binds_multiplication_tighter_than_comparison_and_and() {
        let e = parse("a + b * 2 >= c and d").unwrap();
        let ExprKind::Binary(BinOp::And, left, _) = e.kind else {
            panic!("top is not `and`: {e:?}")
        };
        let ExprKind::Binary(BinOp::Ge, sum, _) = left.kind else {
            panic!("left of and is not >=")
        };
        let ExprKind::Binary(BinOp::Add, _, product) = sum.kind else {
            panic!("left of >= is not +")
        };
        assert!(matches!(product.kind, ExprKind::Binary(BinOp::Mul, _, _)));
    }

    #[test]
    fn not_in_and_columns_parse() {
        let e = parse("status not in ['stopped', 'partly'] or sum(vacancies.count) > 0").unwrap();
        let ExprKind::Binary(BinOp::Or, left, right) = e.kind else {
            panic!()
        };
        assert!(matches!(left.kind, ExprKind::In { negated: true, ref list, .. } if list.len() == 2));
        let ExprKind::Binary(BinOp::Gt, call, _) = right.kind else {
            panic!()
        };
        assert!(matches!(call.kind, ExprKind::Call(Func::Sum, ref a) if matches!(a[0].kind, ExprKind::Column { .. })));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        let err = parse("a >= ").unwrap_err();
        assert_eq!(err.span, 5..5);
        let err = parse("a ! b").unwrap_err();
        assert_eq!(err.span, 2..3);
        let err = parse("a < b < c").unwrap_err();
        assert_eq!(err.span, 6..7);
        let err = parse("frobnicate(a)").unwrap_err();
        assert_eq!(err.span, 0..10);
    }

    /// The message and span of the error `text` gives.
    fn refused(text: &str) -> (String, Span) {
        let err = parse(text).expect_err(text);
        (err.message, err.span)
    }

    #[test]
    fn spreadsheet_spellings_are_refused_with_what_to_write() {
        let cases: &[(&str, Span, &str)] = &[
            ("a = 1", 2..3, "write `==`"),
            ("a <> 1", 2..4, "`<>` is Excel's not-equal; write `!=`"),
            ("a > 1 && b > 1", 6..8, "write `and`"),
            ("a > 1 & b > 1", 6..7, "write `and`"),
            ("a > 1 || b > 1", 6..8, "write `or`"),
            ("!a", 0..1, "write `not`"),
            ("a > 1 AND b > 1", 6..9, "`AND` is written in lower case: `and`"),
            ("a > 1 Or b > 1", 6..8, "`Or` is written in lower case: `or`"),
            ("NOT a", 0..3, "`NOT` is written in lower case: `not`"),
            ("a IN ['x']", 2..4, "`IN` is written in lower case: `in`"),
            ("TRUE", 0..4, "`TRUE` is written in lower case: `true`"),
            ("a == False", 5..10, "`False` is written in lower case: `false`"),
            ("OR(a, b)", 0..2, "`OR(...)` is Excel's; join the conditions with `or`"),
            ("NOT(a)", 0..3, "write `not (...)`"),
            ("IF(a, 1, 2)", 0..2, "`IF` is written in lower case: `if(...)`"),
            ("LEN(t) > 3", 0..3, "did you mean `length`?"),
            ("answerd(a)", 0..7, "did you mean `answered`?"),
        ];
        for (text, span, phrase) in cases {
            let (message, at) = refused(text);
            assert!(message.contains(phrase), "{text}: `{message}` lacks `{phrase}`");
            assert_eq!(at, *span, "{text}: {message}");
        }
    }

    #[test]
    fn full_width_and_typographic_characters_are_named() {
        // Spans are bytes: each of these characters is three bytes long.
        let cases: &[(&str, Span, &str)] = &[
            (
                "a ＞ 1",
                2..5,
                "`＞` is a full-width character from a Chinese input method; write `>`",
            ),
            ("a ＜＝ 1", 2..5, "write `<`"),
            ("（a > 1)", 0..3, "write `(`"),
            ("a == １", 5..8, "`１` is a full-width digit"),
            ("a == “x”", 5..8, "write the text in plain quotes: `'x'`"),
            ("a == ‘x’", 5..8, "`'x'`"),
            ("a == 「x」", 5..8, "`'x'`"),
            ("a == 'x’", 5..10, "ends with `’`"),
            ("a ≥ 1", 2..5, "`≥` is a typographic sign, not an operator; write `>=`"),
            ("a\u{3000}> 1", 1..4, "full-width space"),
            ("a == 职业", 5..8, "put text in quotes, as in `'职业'`"),
            ("a == 'x", 5..7, "no closing `'`"),
        ];
        for (text, span, phrase) in cases {
            let (message, at) = refused(text);
            assert!(message.contains(phrase), "{text}: `{message}` lacks `{phrase}`");
            assert_eq!(at, *span, "{text}: {message}");
        }
        // Inside quotes they are text, as a Chinese code or label may be.
        assert!(parse("a == '（职业）＞'").is_ok());
    }

    #[test]
    fn the_language_own_spellings_still_parse() {
        for text in [
            "a == 1 and b != 2 or not c",
            "a <= 1 and b >= 2 and c < 3 and d > 4",
            "x in ['a', \"b\"] and y not in ['c'] and z == true and w == false",
            "if(answered(a), a, 0) + sum(t.c) >= $limit",
            "android > 0 and order > 0 and notes != '' and index > 0 and truth and falsehood",
        ] {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&text).unwrap_err().message.contains("nested deeper"));
        let text = format!("{}1", "- ".repeat(10_000));
        assert!(parse(&text).is_err());
    }
}
