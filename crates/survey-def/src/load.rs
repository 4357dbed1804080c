//! Reading a definition file: TOML syntax, shape, unknown keys, then the semantic
//! checks of [`crate::check`].

use crate::check::check_definition;
use crate::definition::Definition;
use crate::model::DefinitionFile;
use crate::problem::{DefinitionError, Problem, ProblemKind};
use crate::source::{Seg, SourceMap, TextFileError, TomlPath, display_path, from_ignored, read_text_file};
use serde::Deserialize;
use std::path::Path;
use toml::de::DeTable;

/// Largest definition file accepted. The shipped survey is about 60 KB.
pub const MAX_DEFINITION_BYTES: u64 = 4 * 1024 * 1024;

/// Loads and checks the definition at `path`.
///
/// Every problem in the file is collected: when any is found the result is
/// [`DefinitionError::Invalid`] with all of them, in file order.
pub fn load(path: &Path) -> Result<Definition, DefinitionError> {
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
    load_str(&text, path)
}

/// Loads and checks a definition from text; `path` is used in messages only.
pub fn load_str(text: &str, path: &Path) -> Result<Definition, DefinitionError> {
    let invalid = |problems: Vec<Problem>| DefinitionError::Invalid {
        path: path.to_owned(),
        problems,
    };
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let map = SourceMap::text_only(text);
        let problems = syntax_errors
            .iter()
            .map(|err| Problem {
                kind: ProblemKind::TomlSyntax,
                file: path.to_owned(),
                at: map.line_col(err.span().map_or(0, |s| s.start)),
                message: first_line(err.message()),
                hint: Some("see https://toml.io for the syntax".into()),
            })
            .collect();
        return Err(invalid(problems));
    }
    let map = SourceMap::new(text, root.get_ref());

    let mut unknown: Vec<TomlPath> = Vec::new();
    let deserializer = toml::de::Deserializer::from(root);
    let parsed = serde_ignored::deserialize(deserializer, |ignored| {
        unknown.push(from_ignored(&ignored));
    });
    let mut problems: Vec<Problem> = unknown
        .iter()
        .map(|p| {
            let (parent, key) = p.split_at(p.len().saturating_sub(1));
            let key = match key.first() {
                Some(Seg::Key(k)) => k.clone(),
                _ => display_path(p),
            };
            Problem {
                kind: ProblemKind::UnknownKey,
                file: path.to_owned(),
                at: map.line_col(map.offset_of(p)),
                message: format!(
                    "unknown key `{key}`{}",
                    if parent.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{}`", display_path(parent))
                    }
                ),
                hint: Some(unknown_key_hint(&key)),
            }
        })
        .collect();
    let file: DefinitionFile = match parsed {
        Ok(file) => file,
        Err(err) => {
            problems.push(Problem {
                kind: ProblemKind::WrongShape,
                file: path.to_owned(),
                at: map.line_col(err.span().map_or(0, |s| s.start)),
                message: first_line(err.message()),
                hint: Some("see the definition language in README.md".into()),
            });
            problems.sort_by_key(|p| p.at);
            return Err(invalid(problems));
        }
    };
    match check_definition(file, text, path, &map) {
        Ok(definition) if problems.is_empty() => Ok(definition),
        Ok(_) => Err(invalid(problems)),
        Err(more) => {
            problems.extend(more);
            problems.sort_by_key(|p| p.at);
            Err(invalid(problems))
        }
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

/// Every key the language knows, for "did you mean" hints.
const KNOWN_KEYS: &[&str] = &[
    "survey",
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

fn unknown_key_hint(key: &str) -> String {
    match crate::expr::closest(key, KNOWN_KEYS.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => "remove it, or check the definition language in README.md".into(),
    }
}

/// Deserialises a definition without checking it (for tools that only read metadata).
pub fn parse_unchecked(text: &str) -> Result<DefinitionFile, toml::de::Error> {
    DefinitionFile::deserialize(toml::de::Deserializer::parse(text)?)
}
