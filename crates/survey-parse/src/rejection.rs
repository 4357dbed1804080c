//! Rejections: every problem found in a return, where it is and why, in Chinese and
//! English. A rejection is data, not an error: ingest collects them and goes on.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a value was found: file, and sheet and cell, or JSON path and line.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The input file, as given on the command line (or found under a folder).
    pub file: String,
    /// Worksheet name (xlsx).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Cell in A1 notation (xlsx).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// Line number, from 1 (JSON Lines, and the line of a JSON value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// JSON path, e.g. `$.answers.vacancies[2].openings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// A value of a JSON return not yet written out as a path: the reader records where
    /// each value is, and `RawReturn::locate` writes the path only for the values a
    /// rejection names. `None` in every location that leaves the checks.
    #[serde(skip)]
    pub value: Option<crate::raw::ValueRef>,
}

impl Location {
    /// A whole file.
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            ..Location::default()
        }
    }

    /// A cell of a sheet (0-based row and column).
    pub fn cell(file: impl Into<String>, sheet: &str, row: u32, col: u32) -> Self {
        Location {
            file: file.into(),
            sheet: Some(sheet.to_owned()),
            cell: Some(a1(row, col)),
            ..Location::default()
        }
    }

    /// A JSON value at `path`, in the record starting on `line`.
    pub fn json(file: impl Into<String>, line: Option<u64>, path: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            line,
            json_path: Some(path.into()),
            ..Location::default()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, " [{sheet}]")?;
        }
        if let Some(cell) = &self.cell {
            write!(f, " {cell}")?;
        }
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(path) = &self.json_path {
            write!(f, " {path}")?;
        }
        Ok(())
    }
}

/// A1 notation of a 0-based row and column: (0, 0) is `A1`, (9, 27) is `AB10`.
pub fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The value was set aside (e.g. an answer to a skipped question); the return is kept.
    Warning,
    /// The return (or the whole file) is rejected.
    Error,
}

/// Why something was rejected. The code (`as_str`) is stable: analysts filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The file could not be read at all (I/O).
    Unreadable,
    /// The input is not a regular file (a FIFO, device or socket): never opened.
    NotAFile,
    /// Empty file.
    EmptyFile,
    /// The content is not a supported return format (PDF, HTML, image...).
    UnsupportedFormat,
    /// An old binary `.xls` workbook that could not be read. (Kept so that rejections
    /// recorded by earlier versions still read; `.xls` workbooks are now read, and one
    /// that cannot be is `damaged`.)
    LegacyXls,
    /// A password-protected (encrypted) workbook.
    Encrypted,
    /// A damaged or truncated zip/xlsx.
    Damaged,
    /// A size limit was exceeded (file, inflated size, cells, compression ratio).
    TooLarge,
    /// XML with a DOCTYPE or entity declarations.
    XmlEntities,
    /// JSON that does not parse (syntax, nesting, numbers out of range, bad UTF-8).
    InvalidJson,
    /// A JSON object with the same key twice.
    DuplicateKey,
    /// The JSON or workbook does not have the shape of a return.
    NotAReturn,
    /// A sheet the return needs is missing (deleted, or renamed beyond recognition).
    MissingSheet,
    /// A return of another survey.
    OtherSurvey,
    /// A return made from another version of the definition.
    OtherVersion,
    /// An answer for a question the survey does not have.
    UnknownQuestion,
    /// Text where a number is needed, and the like.
    WrongType,
    /// A number that must be whole is not.
    NotWhole,
    /// Below `min` or above `max`.
    OutOfRange,
    /// Text longer than allowed.
    TooLong,
    /// A required answer is missing.
    Required,
    /// A code not in the choice list.
    UnknownCode,
    /// A unified social credit code that fails its check.
    InvalidCreditCode,
    /// An industry code that is not a GB/T 4754-2017 division.
    InvalidIndustryCode,
    /// An occupation code that is not a GB/T 6565 code.
    InvalidOccupationCode,
    /// An unreadable or ambiguous date.
    InvalidDate,
    /// An answer to a question that should have been skipped.
    AnsweredWhenSkipped,
    /// A cross-field constraint failed.
    Constraint,
    /// received without applied, or applied without aware.
    PolicyChain,
    /// More table rows than allowed.
    TooManyRows,
    /// A later return for the same enterprise replaced this one.
    Superseded,
    /// A note standing for a file's problems past the listing cap; they are counted
    /// under their own rules.
    NotListed,
}

impl Rule {
    /// Stable kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Unreadable => "unreadable",
            Rule::NotAFile => "not-a-file",
            Rule::EmptyFile => "empty-file",
            Rule::UnsupportedFormat => "unsupported-format",
            Rule::LegacyXls => "legacy-xls",
            Rule::Encrypted => "encrypted",
            Rule::Damaged => "damaged",
            Rule::TooLarge => "too-large",
            Rule::XmlEntities => "xml-entities",
            Rule::InvalidJson => "invalid-json",
            Rule::DuplicateKey => "duplicate-key",
            Rule::NotAReturn => "not-a-return",
            Rule::MissingSheet => "missing-sheet",
            Rule::OtherSurvey => "other-survey",
            Rule::OtherVersion => "other-version",
            Rule::UnknownQuestion => "unknown-question",
            Rule::WrongType => "wrong-type",
            Rule::NotWhole => "not-whole",
            Rule::OutOfRange => "out-of-range",
            Rule::TooLong => "too-long",
            Rule::Required => "required",
            Rule::UnknownCode => "unknown-code",
            Rule::InvalidCreditCode => "invalid-credit-code",
            Rule::InvalidIndustryCode => "invalid-industry-code",
            Rule::InvalidOccupationCode => "invalid-occupation-code",
            Rule::InvalidDate => "invalid-date",
            Rule::AnsweredWhenSkipped => "answered-when-skipped",
            Rule::Constraint => "constraint",
            Rule::PolicyChain => "policy-chain",
            Rule::TooManyRows => "too-many-rows",
            Rule::Superseded => "superseded",
            Rule::NotListed => "not-listed",
        }
    }
}

/// One problem in one return (or one file), with everything an analyst needs to find
/// and fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// The question, when the problem is about one answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The question's label in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    /// The question's label in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    /// The value as received (cut to a readable length).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Why.
    pub rule: Rule,
    /// How bad.
    pub severity: Severity,
    /// Plain message in Chinese.
    pub message_zh: String,
    /// Plain message in English.
    pub message_en: String,
    /// The enterprise's credit code as read from the return (checked or not), so a
    /// rejected return can be traced to its enterprise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    /// The enterprise's name as read from the return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
    /// The file of the later accepted return of the same enterprise that replaced the
    /// rejected one: the problem is resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
}

/// Longest received value kept in a rejection; a 5 MB answer is not copied into reports.
pub const MAX_VALUE_IN_REPORT: usize = 200;

/// Cuts a received value for a report.
pub fn excerpt(value: &str) -> String {
    if value.chars().count() <= MAX_VALUE_IN_REPORT {
        return value.to_owned();
    }
    let cut: String = value.chars().take(MAX_VALUE_IN_REPORT).collect();
    format!("{cut}… ({} characters)", value.chars().count())
}

impl Rejection {
    /// A problem with a whole file or return.
    pub fn file(location: Location, rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Rejection {
            location,
            question: None,
            label_zh: None,
            label_en: None,
            value: None,
            rule,
            severity: Severity::Error,
            message_zh: zh.into(),
            message_en: en.into(),
            enterprise_id: None,
            enterprise_name: None,
            resolved_by: None,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}[{}]",
            self.location,
            if self.severity == Severity::Error {
                ""
            } else {
                "warning "
            },
            self.rule.as_str()
        )?;
        if let Some(q) = &self.question {
            write!(f, " {q}")?;
        }
        write!(f, ": {}", self.message_en)?;
        if let Some(v) = &self.value {
            write!(f, " (received {v:?})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_notation_matches_excel() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(9, 25), "Z10");
        assert_eq!(a1(9, 26), "AA10");
        assert_eq!(a1(0, 16_383), "XFD1");
        assert_eq!(a1(1_048_575, 0), "A1048576");
    }

    #[test]
    fn long_values_are_cut_in_reports() {
        let v = "x".repeat(5_000_000);
        let e = excerpt(&v);
        assert!(e.len() < 300);
        assert!(e.ends_with("(5000000 characters)"));
    }
}
