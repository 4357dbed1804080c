//! Where things stand in a definition file: TOML paths mapped to byte spans, and byte
//! offsets mapped to line and column.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// One step of a path into the TOML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A path into the TOML document, e.g. `sections[2].questions[5].relevant`.
pub type TomlPath = Vec<Seg>;

/// Renders a path the way a reader of the file would write it.
pub fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The path of a key `serde_ignored` reported as unknown, in the terms of [`SourceMap`],
/// so an unknown key is located by line and column.
pub fn from_ignored(path: &serde_ignored::Path<'_>) -> TomlPath {
    use serde_ignored::Path as P;
    match path {
        P::Root => Vec::new(),
        P::Seq { parent, index } => {
            let mut s = from_ignored(parent);
            s.push(Seg::Index(*index));
            s
        }
        P::Map { parent, key } => {
            let mut s = from_ignored(parent);
            s.push(Seg::Key(key.clone()));
            s
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => from_ignored(parent),
    }
}

/// Spans of every key and value of a parsed document, and the text to turn offsets into
/// lines and columns.
#[derive(Debug, Default)]
pub struct SourceMap {
    text: String,
    line_starts: Vec<usize>,
    keys: HashMap<TomlPath, Range<usize>>,
    values: HashMap<TomlPath, Range<usize>>,
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl SourceMap {
    /// Indexes `root`, the document parsed from `text`.
    pub fn new(text: &str, root: &DeTable<'_>) -> Self {
        let mut map = SourceMap {
            text: text.to_owned(),
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            ..SourceMap::default()
        };
        let mut path = Vec::new();
        map.index_table(root, &mut path);
        map
    }

    /// A map with line information only (used when the document did not parse).
    pub fn text_only(text: &str) -> Self {
        SourceMap {
            text: text.to_owned(),
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            ..SourceMap::default()
        }
    }

    fn index_table(&mut self, table: &DeTable<'_>, path: &mut TomlPath) {
        for (key, value) in table.iter() {
            path.push(Seg::Key(key.get_ref().to_string()));
            self.keys.insert(path.clone(), key.span());
            self.index_value(value.get_ref(), value.span(), path);
            path.pop();
        }
    }

    fn index_value(&mut self, value: &DeValue<'_>, span: Range<usize>, path: &mut TomlPath) {
        self.values.insert(path.clone(), span);
        match value {
            DeValue::Table(table) => self.index_table(table, path),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.index_value(item.get_ref(), item.span(), path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        LineCol { line, column }
    }

    /// The best offset for `path`: the key when it has one (a key reads better in an
    /// error than a whole table), else the value, else the nearest enclosing item.
    pub fn offset_of(&self, path: &[Seg]) -> usize {
        for len in (0..=path.len()).rev() {
            let prefix = &path[..len];
            if let Some(span) = self.keys.get(prefix).or_else(|| self.values.get(prefix)) {
                return span.start;
            }
        }
        0
    }

    /// The offset of byte `within` of the string value at `path` (for a position inside
    /// an expression). Falls back to the value's start when the string has escapes or
    /// spans lines, where the mapping would be unreliable.
    pub fn offset_in_string(&self, path: &[Seg], within: usize) -> usize {
        let Some(span) = self.values.get(path) else {
            return self.offset_of(path);
        };
        let raw = self.text.get(span.clone()).unwrap_or_default();
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            0
        };
        let has_escape = raw.starts_with('"') && raw.contains('\\');
        if quote == 0 || has_escape || (quote == 1 && raw.contains('\n')) {
            return span.start;
        }
        span.start + quote + within
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_to_keys_and_string_offsets() {
        let text = "[survey]\nid = \"x\"\n\n[[sections]]\nid = 'a'\nrelevant = 'q > 1'\n";
        let root = DeTable::parse(text).unwrap();
        let map = SourceMap::new(text, root.get_ref());
        let rel = vec![Seg::Key("sections".into()), Seg::Index(0), Seg::Key("relevant".into())];
        assert_eq!(map.line_col(map.offset_of(&rel)), LineCol { line: 6, column: 1 });
        // `>` is byte 2 of the expression; the value starts at column 12 with its quote.
        assert_eq!(
            map.line_col(map.offset_in_string(&rel, 2)),
            LineCol { line: 6, column: 15 }
        );
        let missing = vec![Seg::Key("sections".into()), Seg::Index(0), Seg::Key("label".into())];
        assert_eq!(map.line_col(map.offset_of(&missing)).line, 4);
    }
}

/// Why a small text file (a definition, a pipeline) could not be read as text.
#[derive(Debug)]
pub enum TextFileError {
    /// The file could not be read.
    Read(std::io::Error),
    /// The file is larger than the limit, in bytes; it was not read.
    TooLarge(u64),
    /// The file is not UTF-8; the place of the first bad byte.
    NotUtf8(LineCol),
}

/// Reads a text file of at most `limit` bytes as UTF-8, checking its size before reading
/// (and refusing what is not a regular file, such as a FIFO, which would never end).
pub fn read_text_file(path: &Path, limit: u64) -> Result<String, TextFileError> {
    use survey_files::read::{ReadError, read_bounded};
    let bytes = read_bounded(path, limit).map_err(|e| match e {
        ReadError::Io(e) => TextFileError::Read(e),
        ReadError::TooLarge(size) => TextFileError::TooLarge(size),
        ReadError::NotAFile => TextFileError::Read(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a folder, a pipe or a device)",
        )),
    })?;
    String::from_utf8(bytes).map_err(|err| {
        let offset = err.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(err.as_bytes());
        TextFileError::NotUtf8(SourceMap::text_only(&text).line_col(offset))
    })
}
