//! Tokens of the expression language.

use logos::Logos;

/// One token. Whitespace is skipped; anything unknown is a lexing error at its span.
#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(skip r"[ \t\r\n]+")]
pub enum Token {
    /// A number literal: `12`, `0.1`, `1e3`.
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", |lex| lex.slice().parse::<f64>().ok())]
    Number(f64),
    /// A text literal in single or double quotes (no escapes: codes and labels need none).
    #[regex(r#"'[^']*'|"[^"]*""#, |lex| { let s = lex.slice(); s[1..s.len() - 1].to_owned() })]
    Text(String),
    /// A question, column or function name.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned(), priority = 1)]
    Ident(String),
    /// A parameter: `$layoff_persons`.
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice()[1..].to_owned())]
    Param(String),
    /// `and`
    #[token("and", priority = 3)]
    And,
    /// `or`
    #[token("or", priority = 3)]
    Or,
    /// `not`
    #[token("not", priority = 3)]
    Not,
    /// `in`
    #[token("in", priority = 3)]
    In,
    /// `true`
    #[token("true", priority = 3)]
    True,
    /// `false`
    #[token("false", priority = 3)]
    False,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `,`
    #[token(",")]
    Comma,
    /// `.`
    #[token(".")]
    Dot,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `==`
    #[token("==")]
    Eq,
    /// `!=`
    #[token("!=")]
    Ne,
    /// `<`
    #[token("<")]
    Lt,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>`
    #[token(">")]
    Gt,
    /// `>=`
    #[token(">=")]
    Ge,
    /// A spelling from spreadsheets or other languages that reads as something else
    /// here, or as nothing: the parser refuses it and says what to write instead, so
    /// that it is never taken with a meaning its writer did not intend.
    #[token("=", |_| Habit::SingleEquals)]
    #[token("<>", |_| Habit::ExcelNotEqual)]
    #[token("&&", |_| Habit::DoubleAmpersand)]
    #[token("&", |_| Habit::Ampersand)]
    #[token("||", |_| Habit::DoublePipe)]
    #[token("!", |_| Habit::Bang)]
    Habit(Habit),
}

/// Operators borrowed from Excel or programming languages, recognised so that each
/// gets its own message instead of "unexpected character".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Habit {
    /// `=`: Excel's equality test, an assignment elsewhere.
    SingleEquals,
    /// `<>`: Excel's not-equal.
    ExcelNotEqual,
    /// `&&`: "and" in C-like languages.
    DoubleAmpersand,
    /// `&`: Excel's text joining, or a half-typed `&&`.
    Ampersand,
    /// `||`: "or" in C-like languages.
    DoublePipe,
    /// `!` on its own: "not" in C-like languages.
    Bang,
}

impl Habit {
    /// What is wrong and what to write instead, in one sentence.
    pub fn message(self) -> &'static str {
        match self {
            Habit::SingleEquals => {
                "a single `=` is not a comparison; write `==` to test equality, as in `status == 'stopped'`"
            }
            Habit::ExcelNotEqual => "`<>` is Excel's not-equal; write `!=`",
            Habit::DoubleAmpersand => "`&&` is not an operator here; write `and`",
            Habit::Ampersand => "`&` is not an operator here; write `and` to join conditions (texts cannot be joined)",
            Habit::DoublePipe => "`||` is not an operator here; write `or`",
            Habit::Bang => {
                "`!` on its own is not an operator here; write `not` before a condition, or `!=` for not-equal"
            }
        }
    }
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Token::Number(n) => format!("number `{n}`"),
            Token::Text(t) => format!("text '{t}'"),
            Token::Ident(i) => format!("name `{i}`"),
            Token::Param(p) => format!("parameter `${p}`"),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Token::And => "and",
            Token::Or => "or",
            Token::Not => "not",
            Token::In => "in",
            Token::True => "true",
            Token::False => "false",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Comma => ",",
            Token::Dot => ".",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Eq => "==",
            Token::Ne => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Habit(Habit::SingleEquals) => "=",
            Token::Habit(Habit::ExcelNotEqual) => "<>",
            Token::Habit(Habit::DoubleAmpersand) => "&&",
            Token::Habit(Habit::Ampersand) => "&",
            Token::Habit(Habit::DoublePipe) => "||",
            Token::Habit(Habit::Bang) => "!",
            Token::Number(_) | Token::Text(_) | Token::Ident(_) | Token::Param(_) => "",
        }
    }
}
