//! Questionnaire definitions for employer labor-demand surveys.
//!
//! A definition is one TOML file (see `survey-defs/`) that declares a survey: its
//! sections and questions with their types, ranges and choice lists, the repeating
//! vacancy table, skip logic and cross-field checks in a small expression language,
//! the sampling design's strata, risk rules and the policies whose reach is measured.
//!
//! This crate loads a definition, checks it strictly (every problem is reported with
//! file, line, column and a fix hint) and compiles it into a [`Definition`], the typed
//! value every later stage reads: the template writer, the return parser and the
//! analysis. It reads nothing but definition files and knows nothing of returns.
//!
//! ```no_run
//! use std::path::Path;
//! match survey_def::load(Path::new("survey-defs/spring-2024.toml")) {
//!     Ok(def) => println!("{} v{} ({})", def.survey().id, def.survey().version, def.short_fingerprint()),
//!     Err(survey_def::DefinitionError::Invalid { problems, .. }) => {
//!         for p in problems {
//!             eprintln!("{p}");
//!         }
//!     }
//!     Err(other) => eprintln!("{other}"),
//! }
//! ```

#![warn(missing_docs)]

mod check;
pub mod codes;
pub mod contract;
mod definition;
pub mod expr;
mod hints;
mod load;
pub mod model;
mod problem;
pub mod source;
pub mod toml_file;
pub mod versions;
mod written;

pub use definition::{Choices, Definition, NumberSpec, Policy, Question, QuestionKind, RiskRule, Section, TableSpec};
pub use load::{MAX_DEFINITION_BYTES, load, load_str};
pub use model::{
    AnalysisSpec, DisclosureSpec, EarlierVersionSpec, ImputationSpec, Label, Lang, OutlierSpec, Severity, Unit,
    VacancyColumns,
};
pub use problem::{DefinitionError, Problem, ProblemKind};
