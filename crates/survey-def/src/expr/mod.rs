//! The expression language of `relevant`, `constraint`, `calculate`, risk rules and
//! policy needs.
//!
//! Text is parsed into an [`Expr`], checked against the questions in scope by
//! [`check`], and evaluated against a return's [`Answers`] by [`eval`].

mod ast;
mod eval;
mod lexer;
mod types;

pub use ast::{BinOp, Expr, ExprKind, Func, MAX_NESTING, Span, SyntaxError, parse};
pub use eval::{Answers, Value, eval, is_relevant};
pub use types::{NameInfo, Reference, Scope, TypeError, ValueType, check, closest, previous_references, references};
