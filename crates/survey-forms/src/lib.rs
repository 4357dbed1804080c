//! Blank questionnaires made from a survey definition.
//!
//! Two forms of the same questionnaire, both derived from a checked
//! [`survey_def::Definition`] and nothing else:
//!
//! - [`write_template`]: the Excel workbook enterprises fill in (cover, one answer sheet
//!   with a row per question, a sheet per repeating table, dropdowns and range checks,
//!   protected labels, and a hidden sheet carrying the survey id, version and
//!   definition fingerprint);
//! - [`json_schema`]: the JSON Schema (draft 2020-12) a JSON return from an online form
//!   satisfies.
//!
//! [`layout`] is the contract between the template and the return parser: sheet roles,
//! header rows, how choice answers are spelled. Answers are located by question id,
//! never by row position, so rows that respondents move or insert do not matter.
//!
//! ```no_run
//! use std::path::Path;
//! let def = survey_def::load(Path::new("survey-defs/spring-2024.toml")).unwrap();
//! let bytes = survey_forms::write_template(&def, survey_def::Lang::Zh).unwrap();
//! std::fs::write("questionnaire.xlsx", bytes).unwrap();
//! let schema = survey_forms::json_schema(&def, survey_def::Lang::En);
//! assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
//! ```

#![warn(missing_docs)]

pub mod layout;
mod schema;
mod template;
pub mod words;

pub use schema::json_schema;
pub use template::{CellValue, FilledAnswers, TemplateError, write_filled, write_template};
