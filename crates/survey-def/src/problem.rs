//! Problems found in a definition, each with its place in the file and a fix hint.

use crate::source::LineCol;
use std::fmt;
use std::path::PathBuf;

/// The kinds of problem a definition can have. The code (`as_str`) is stable: tests
/// and tools match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// The file is not valid TOML.
    TomlSyntax,
    /// A value has the wrong TOML type, or a required key is absent.
    WrongShape,
    /// A key the definition language does not know (usually a typo).
    UnknownKey,
    /// Two things of one kind share an id.
    DuplicateId,
    /// An id is not a plain identifier, or is a reserved word.
    BadId,
    /// A reference to a question, table, column or service that does not exist.
    UnknownReference,
    /// A reference to a choice list that does not exist.
    UnknownChoiceList,
    /// A question refers to something of the wrong type (a policy's `aware` that is not
    /// a yes/no question...).
    WrongQuestionType,
    /// An expression does not parse.
    ExpressionSyntax,
    /// An expression parses but mixes types, or yields the wrong type.
    ExpressionType,
    /// `calculate`s depend on each other in a circle.
    CalculateCycle,
    /// A `relevant` reads a question that is answered after it.
    RelevantOrder,
    /// `min` is greater than `max`, or size classes overlap or leave gaps.
    BadRange,
    /// A key that does not apply to the question's type.
    MisplacedKey,
    /// A label is empty in a language the survey declares.
    MissingLabel,
    /// An empty choice list, table or section.
    Empty,
    /// A metadata value that cannot be read (a date, a version).
    BadValue,
}

impl ProblemKind {
    /// Stable kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::TomlSyntax => "toml-syntax",
            ProblemKind::WrongShape => "wrong-shape",
            ProblemKind::UnknownKey => "unknown-key",
            ProblemKind::DuplicateId => "duplicate-id",
            ProblemKind::BadId => "bad-id",
            ProblemKind::UnknownReference => "unknown-reference",
            ProblemKind::UnknownChoiceList => "unknown-choice-list",
            ProblemKind::WrongQuestionType => "wrong-question-type",
            ProblemKind::ExpressionSyntax => "expression-syntax",
            ProblemKind::ExpressionType => "expression-type",
            ProblemKind::CalculateCycle => "calculate-cycle",
            ProblemKind::RelevantOrder => "relevant-order",
            ProblemKind::BadRange => "bad-range",
            ProblemKind::MisplacedKey => "misplaced-key",
            ProblemKind::MissingLabel => "missing-label",
            ProblemKind::Empty => "empty",
            ProblemKind::BadValue => "bad-value",
        }
    }
}

/// One problem in a definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub at: LineCol,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error[{}]: {}",
            self.file.display(),
            self.at.line,
            self.at.column,
            self.kind.as_str(),
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

/// Why a definition could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// The file could not be read.
    #[error("cannot read definition {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than any definition should be.
    #[error("definition {} is {size} bytes, more than the {limit}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file was read but has problems; all of them are listed.
    #[error("definition {} has {} problem(s)", path.display(), problems.len())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}
