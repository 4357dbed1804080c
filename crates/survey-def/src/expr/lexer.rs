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
    /// `==` (a single `=` is accepted too: survey officers write it)
    #[token("==")]
    #[token("=")]
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
            Token::Number(_) | Token::Text(_) | Token::Ident(_) | Token::Param(_) => "",
        }
    }
}
