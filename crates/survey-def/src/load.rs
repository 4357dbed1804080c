//! Reading a definition file: TOML syntax, shape, unknown keys, then the semantic
//! checks of [`crate::check`].

use crate::check::check_definition;
use crate::definition::Definition;
use crate::problem::{DefinitionError, Problem, ProblemKind};
use crate::source::{TextFileError, read_text_file};
use crate::toml_file::{KnownKeys, read_toml};
use crate::written::DefinitionFile;
use std::path::Path;

/// Largest definition file accepted. The shipped survey is about 60 KB.
pub const MAX_DEFINITION_BYTES: u64 = 4 * 1024 * 1024;

/// Loads and checks the definition at `path`.
///
/// Every problem in the file is collected: when any is found the result is
/// [`DefinitionError::Invalid`] with all of them, in file order.
pub fn load(path: &Path) -> Result<Definition, DefinitionError> {
    load_with(path, Earlier::Load)
}

/// Whether loading a definition loads the earlier versions it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Earlier {
    /// Load each with its definition and check its mapping.
    Load,
    /// Leave them: the definition is itself an earlier version, read with its own rules
    /// only (a chain of versions is listed in full by the current definition).
    Skip,
}

/// Loads the definition at `path`, with or without its earlier versions.
pub(crate) fn load_with(path: &Path, earlier: Earlier) -> Result<Definition, DefinitionError> {
    let text = match read_text_file(path, MAX_DEFINITION_BYTES) {
        Ok(text) => text,
        Err(TextFileError::Read(source)) => {
            return Err(DefinitionError::Read {
                path: path.to_owned(),
                source,
            });
        }
        Err(TextFileError::TooLarge(size)) => {
            return Err(DefinitionError::TooLarge {
                path: path.to_owned(),
                size,
                limit: MAX_DEFINITION_BYTES,
            });
        }
        Err(TextFileError::NotUtf8(at)) => {
            return Err(DefinitionError::Invalid {
                path: path.to_owned(),
                problems: vec![Problem {
                    kind: ProblemKind::TomlSyntax,
                    file: path.to_owned(),
                    at,
                    message: "the file is not valid UTF-8".into(),
                    hint: Some("save the definition as UTF-8".into()),
                }],
            });
        }
    };
    load_str_with(&text, path, earlier)
}

/// Loads and checks a definition from text; `path` is used in messages only.
///
/// Earlier versions it lists are loaded from files relative to `path`'s folder.
pub fn load_str(text: &str, path: &Path) -> Result<Definition, DefinitionError> {
    load_str_with(text, path, Earlier::Load)
}

fn load_str_with(text: &str, path: &Path, earlier: Earlier) -> Result<Definition, DefinitionError> {
    let invalid = |problems: Vec<Problem>| DefinitionError::Invalid {
        path: path.to_owned(),
        problems,
    };
    let known = KnownKeys {
        keys: KNOWN_KEYS,
        reference: "remove it, or check the definition language in README.md",
    };
    let read = read_toml::<DefinitionFile>(text, &known);
    let mut problems: Vec<Problem> = read
        .problems
        .into_iter()
        .map(|p| Problem {
            kind: p.kind,
            file: path.to_owned(),
            at: p.at,
            message: p.message,
            hint: Some(p.hint),
        })
        .collect();
    let Some((file, map)) = read.value else {
        return Err(invalid(problems));
    };
    match check_definition(file, text, path, &map, earlier) {
        Ok(definition) if problems.is_empty() => Ok(definition),
        Ok(_) => Err(invalid(problems)),
        Err(more) => {
            problems.extend(more);
            problems.sort_by_key(|p| p.at);
            Err(invalid(problems))
        }
    }
}

/// Every key the language knows, for "did you mean" hints.
const KNOWN_KEYS: &[&str] = &[
    "survey",
    "earlier_versions",
    "definition",
    "rename",
    "recode",
    "parameters",
    "choices",
    "design",
    "services",
    "sections",
    "risk_rules",
    "policies",
    "analysis",
    "employees",
    "employees_before",
    "planned_hires",
    "planned_reductions",
    "returned",
    "expected_to_return",
    "support",
    "vacancies",
    "table",
    "occupation",
    "openings",
    "hard_to_fill",
    "skill_shortage",
    "wage",
    "totals",
    "shares",
    "distributions",
    "disclosure",
    "min_enterprises",
    "dominance_n",
    "dominance_k",
    "id",
    "version",
    "title",
    "organisation",
    "period_start",
    "period_end",
    "languages",
    "instructions",
    "enterprise_question",
    "enterprise_name_question",
    "submitted_at_question",
    "subdistricts",
    "options",
    "code",
    "label",
    "service",
    "industry_question",
    "size_question",
    "subdistrict_question",
    "size_classes",
    "min",
    "max",
    "questions",
    "type",
    "help",
    "unit",
    "required",
    "max_length",
    "choices",
    "relevant",
    "constraint",
    "constraint_message",
    "calculate",
    "columns",
    "max_rows",
    "severity",
    "when",
    "reason",
    "evidence",
    "basis",
    "name",
    "aware",
    "applied",
    "received",
    "channel",
    "need",
    "zh",
    "en",
];
