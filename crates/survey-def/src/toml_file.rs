//! Reading a small TOML file the tool is configured with (a definition, a pipeline):
//! syntax, shape and unknown keys, each problem placed at its line and column and said in
//! the words of the person who wrote the file, not of the TOML parser or of serde.
//!
//! The semantic checks of each kind of file come after this, in its own crate.

use crate::hints;
use crate::problem::ProblemKind;
use crate::source::{LineCol, Seg, SourceMap, TomlPath, display_path, from_ignored};
use serde::de::DeserializeOwned;
use toml::de::DeTable;

/// One thing wrong with a TOML file before its meaning is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlProblem {
    /// Syntax, unknown key, or wrong shape.
    pub kind: ProblemKind,
    /// Line and column (from 1).
    pub at: LineCol,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// What a file of one kind calls its keys, for "did you mean" hints on unknown keys.
pub struct KnownKeys<'a> {
    /// Every key the file may hold, at any depth.
    pub keys: &'a [&'a str],
    /// Where to read about them, when no key is close.
    pub reference: &'a str,
}

/// A TOML file read as `T`: the value (when its shape was right) with the source map that
/// places later problems, and every problem found, in file order.
pub struct TomlRead<T> {
    /// The value and its source map; `None` when the syntax or the shape was wrong.
    pub value: Option<(T, SourceMap)>,
    /// Syntax errors, unknown keys and shape errors.
    pub problems: Vec<TomlProblem>,
}

/// Reads `text` as a `T`. Unknown keys are collected (all of them, not only the first) and
/// reported beside a value that otherwise read; a syntax error stops before the shape.
pub fn read_toml<T: DeserializeOwned>(text: &str, known: &KnownKeys<'_>) -> TomlRead<T> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let map = SourceMap::text_only(text);
        let mut problems: Vec<TomlProblem> = syntax_errors
            .iter()
            .map(|err| {
                let offset = err.span().map_or(0, |s| s.start);
                // A spreadsheet or input-method habit (`30%`, `1,000`, `＝`) is named as
                // such; any other slip keeps the reader's own words.
                let (at, message, hint) = match hints::toml_syntax(text, offset) {
                    Some(e) => (e.at.unwrap_or(offset), e.message, e.hint),
                    None => (
                        offset,
                        first_line(err.message()),
                        "see https://toml.io for the syntax".into(),
                    ),
                };
                TomlProblem {
                    kind: ProblemKind::TomlSyntax,
                    at: map.line_col(at),
                    message,
                    hint,
                }
            })
            .collect();
        // Several errors the reader finds on one line (both of a pair of full-width
        // quotes) are explained by the same habit: tell it once.
        problems.dedup();
        return TomlRead { value: None, problems };
    }
    let map = SourceMap::new(text, root.get_ref());
    let mut unknown: Vec<TomlPath> = Vec::new();
    let parsed: Result<T, _> = serde_ignored::deserialize(toml::de::Deserializer::from(root), |ignored| {
        unknown.push(from_ignored(&ignored));
    });
    let mut problems: Vec<TomlProblem> = unknown.iter().map(|p| unknown_key(&map, p, known)).collect();
    match parsed {
        Ok(value) => TomlRead {
            value: Some((value, map)),
            problems,
        },
        Err(err) => {
            // serde speaks of Rust types ("expected f64"); say what the key takes instead.
            let explained = hints::toml_shape(text, err.span(), &first_line(err.message()));
            problems.push(TomlProblem {
                kind: ProblemKind::WrongShape,
                at: map.line_col(explained.at.unwrap_or(err.span().map_or(0, |s| s.start))),
                message: explained.message,
                hint: explained.hint,
            });
            problems.sort_by_key(|p| p.at);
            TomlRead { value: None, problems }
        }
    }
}

fn unknown_key(map: &SourceMap, path: &[Seg], known: &KnownKeys<'_>) -> TomlProblem {
    let (parent, key) = path.split_at(path.len().saturating_sub(1));
    let key = match key.first() {
        Some(Seg::Key(k)) => k.clone(),
        _ => display_path(path),
    };
    let within = if parent.is_empty() {
        String::new()
    } else {
        format!(" in `{}`", display_path(parent))
    };
    let hint = match crate::expr::closest(&key, known.keys.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => known.reference.to_owned(),
    };
    TomlProblem {
        kind: ProblemKind::UnknownKey,
        at: map.line_col(map.offset_of(path)),
        message: format!("unknown key `{key}`{within}"),
        hint,
    }
}

/// The first line of a parser's message (the rest repeats the source).
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}
