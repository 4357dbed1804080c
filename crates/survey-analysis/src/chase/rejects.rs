//! The rejections of a dataset as the chase list reads them: `rejects.jsonl`, one problem
//! a line, as ingest wrote it. Only what says an enterprise's return was turned away
//! counts: an error (a warning set a value aside and kept the return) that no later
//! accepted return of the same enterprise resolved.

use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use survey_def::Lang;
use survey_files::dataset::REJECTS_JSONL;

/// Why the rejections of a dataset cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RejectsError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The rejects file.
        path: PathBuf,
        /// What the system reported.
        source: std::io::Error,
    },
    /// The path is there but is not a file.
    #[error("{} is not a file", path.display())]
    NotAFile {
        /// The rejects file.
        path: PathBuf,
    },
    /// A line is not a problem as ingest writes it.
    #[error("{} line {line}: not a rejection as `labor-survey ingest` writes it: {message}", path.display())]
    BadLine {
        /// The rejects file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// One line of `rejects.jsonl`, as far as the chase list reads it; other keys are
/// ignored.
#[derive(Debug, Deserialize)]
struct RejectLine {
    file: String,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    cell: Option<String>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    json_path: Option<String>,
    #[serde(default)]
    label_zh: Option<String>,
    #[serde(default)]
    label_en: Option<String>,
    severity: String,
    message_zh: String,
    message_en: String,
    #[serde(default)]
    enterprise_id: Option<String>,
    #[serde(default)]
    enterprise_name: Option<String>,
    #[serde(default)]
    resolved_by: Option<String>,
}

/// Severity of a problem that rejected its return.
const ERROR: &str = "error";

/// The first problem that rejected an enterprise's return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRejection {
    /// The file the return came from.
    pub file: String,
    /// Worksheet of the problem (xlsx).
    pub sheet: Option<String>,
    /// Cell of the problem, A1 notation (xlsx).
    pub cell: Option<String>,
    /// Line of the return (JSON Lines).
    pub line: Option<u64>,
    /// JSON path of the problem.
    pub json_path: Option<String>,
    /// The reason in Chinese: the question's label, then the message.
    pub reason_zh: String,
    /// The reason in English.
    pub reason_en: String,
    /// The enterprise's name as the return gives it.
    pub enterprise_name: Option<String>,
}

impl FirstRejection {
    /// The reason in `lang`.
    pub fn reason(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.reason_zh,
            Lang::En => &self.reason_en,
        }
    }

    /// Where in its file the problem is, in `lang`: `sheet!cell`, the line, the JSON
    /// path; empty for a problem with the whole file.
    pub fn place(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        match (&self.sheet, &self.cell) {
            (Some(sheet), Some(cell)) => parts.push(format!("{sheet}!{cell}")),
            (Some(one), None) | (None, Some(one)) => parts.push(one.clone()),
            (None, None) => {}
        }
        if let Some(line) = self.line {
            parts.push(match lang {
                Lang::Zh => format!("第{line}行"),
                Lang::En => format!("line {line}"),
            });
        }
        parts.extend(self.json_path.clone());
        parts.join(" ")
    }
}

/// The unresolved rejections of a dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejections {
    /// The first unresolved error of each enterprise, by its normalised credit code.
    pub first: HashMap<String, FirstRejection>,
    /// Every rejected return, as (file, normalised credit code as read, empty when the
    /// return gives none): what cannot be matched to the frame is counted from it.
    pub returns: BTreeSet<(String, String)>,
}

/// A credit code as the frame and the rejections are matched on: without surrounding
/// spaces, in capitals (the frame's own rule for telling enterprises apart).
pub fn normalise_id(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

impl Rejections {
    /// Reads the rejections of the dataset in `dir`; `None` when the dataset has no
    /// rejects file (one written before ingest recorded them).
    pub fn read(dir: &Path) -> Result<Option<Rejections>, RejectsError> {
        let path = dir.join(REJECTS_JSONL);
        let metadata = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(RejectsError::Read { path, source }),
        };
        if !metadata.is_file() {
            return Err(RejectsError::NotAFile { path });
        }
        let file = std::fs::File::open(&path).map_err(|source| RejectsError::Read {
            path: path.clone(),
            source,
        })?;
        Rejections::from_reader(std::io::BufReader::new(file), &path).map(Some)
    }

    /// Reads rejections from JSON Lines; `path` names the source in errors.
    pub fn from_reader(reader: impl BufRead, path: &Path) -> Result<Rejections, RejectsError> {
        let mut rejections = Rejections::default();
        for (i, line) in reader.lines().enumerate() {
            let number = i as u64 + 1;
            let line = line.map_err(|source| RejectsError::Read {
                path: path.to_owned(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let row: RejectLine = serde_json::from_str(&line).map_err(|e| RejectsError::BadLine {
                path: path.to_owned(),
                line: number,
                message: e.to_string(),
            })?;
            rejections.add(row);
        }
        Ok(rejections)
    }

    fn add(&mut self, row: RejectLine) {
        let resolved = row.resolved_by.as_deref().is_some_and(|r| !r.trim().is_empty());
        if row.severity != ERROR || resolved {
            return;
        }
        let id = row.enterprise_id.as_deref().map(normalise_id).unwrap_or_default();
        self.returns.insert((row.file.clone(), id.clone()));
        if id.is_empty() || self.first.contains_key(&id) {
            return;
        }
        // A label that is a question ("Do you know of…?") is followed by a space, not a colon.
        let reason = |label: &Option<String>, message: &str, colon: &str| match label.as_deref().map(str::trim) {
            Some(label) if label.ends_with(['?', '？', ':', '：']) => format!("{label} {message}"),
            Some(label) if !label.is_empty() => format!("{label}{colon}{message}"),
            _ => message.to_owned(),
        };
        let first = FirstRejection {
            sheet: row.sheet,
            cell: row.cell,
            line: row.line,
            json_path: row.json_path,
            reason_zh: reason(&row.label_zh, &row.message_zh, "："),
            reason_en: reason(&row.label_en, &row.message_en, ": "),
            enterprise_name: row.enterprise_name.filter(|n| !n.trim().is_empty()),
            file: row.file,
        };
        self.first.insert(id, first);
    }

    /// Rejected returns whose credit code is none of `frame_ids` (normalised): missing,
    /// mistyped, or of an enterprise outside the frame.
    pub fn unmatched(&self, frame_ids: &std::collections::HashSet<String>) -> usize {
        self.returns.iter().filter(|(_, id)| !frame_ids.contains(id)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Rejections, RejectsError> {
        Rejections::from_reader(text.as_bytes(), Path::new("rejects.jsonl"))
    }

    #[test]
    fn only_unresolved_errors_count_and_the_first_one_is_kept() {
        let r = read(concat!(
            r#"{"file":"a.json","json_path":"$.answers.x","rule":"answered-when-skipped","severity":"warning","message_zh":"跳过","message_en":"skipped","enterprise_id":"91A"}"#,
            "\n",
            r#"{"file":"a.json","json_path":"$.answers.y","label_zh":"职工人数","label_en":"Employees","rule":"wrong-type","severity":"error","message_zh":"不是数字","message_en":"not a number","enterprise_id":" 91a ","enterprise_name":"甲公司"}"#,
            "\n",
            r#"{"file":"b.xlsx","sheet":"问卷","cell":"E9","rule":"required","severity":"error","message_zh":"必填","message_en":"required","enterprise_id":"91A"}"#,
            "\n\n",
            r#"{"file":"c.jsonl","line":4,"rule":"required","severity":"error","message_zh":"必填","message_en":"required","enterprise_id":"91B","resolved_by":"d.json"}"#,
            "\n",
            r#"{"file":"e.jsonl","line":7,"rule":"invalid-json","severity":"error","message_zh":"无效","message_en":"invalid JSON","future_key":1}"#,
            "\n",
        ))
        .unwrap();
        let first = &r.first["91A"];
        assert_eq!(first.file, "a.json");
        assert_eq!(first.place(Lang::En), "$.answers.y");
        assert_eq!(first.reason(Lang::En), "Employees: not a number");
        assert_eq!(first.reason(Lang::Zh), "职工人数：不是数字");
        assert_eq!(first.enterprise_name.as_deref(), Some("甲公司"));
        // Resolved by a later accepted return: not rejected.
        assert!(!r.first.contains_key("91B"));
        let returns: Vec<(&str, &str)> = r.returns.iter().map(|(f, i)| (f.as_str(), i.as_str())).collect();
        assert_eq!(returns, [("a.json", "91A"), ("b.xlsx", "91A"), ("e.jsonl", "")]);
        let frame: std::collections::HashSet<String> = ["91A".to_owned()].into();
        assert_eq!(r.unmatched(&frame), 1);
    }

    #[test]
    fn places_read_as_a_person_looks_for_them() {
        let r = read(concat!(
            r#"{"file":"w.xlsx","sheet":"Sheet1","cell":"D14","label_zh":"是否知道？","label_en":"Aware?","rule":"x","severity":"error","message_zh":"z","message_en":"e","enterprise_id":"1"}"#,
            "\n",
            r#"{"file":"o.jsonl","line":29,"json_path":"$.answers.q","rule":"x","severity":"error","message_zh":"z","message_en":"e","enterprise_id":"2"}"#,
            "\n",
            r#"{"file":"p.json","rule":"x","severity":"error","message_zh":"z","message_en":"e","enterprise_id":"3","resolved_by":""}"#,
        ))
        .unwrap();
        assert_eq!(r.first["1"].place(Lang::En), "Sheet1!D14");
        assert_eq!(r.first["1"].reason(Lang::En), "Aware? e");
        assert_eq!(r.first["1"].reason(Lang::Zh), "是否知道？ z");
        assert_eq!(r.first["2"].place(Lang::En), "line 29 $.answers.q");
        assert_eq!(r.first["2"].place(Lang::Zh), "第29行 $.answers.q");
        // An empty `resolved_by` resolves nothing.
        assert_eq!(r.first["3"].place(Lang::Zh), "");
    }

    #[test]
    fn a_line_that_is_not_a_rejection_is_named() {
        let err = read("{\"file\":\"a\"}\nnot json\n").unwrap_err();
        assert!(matches!(err, RejectsError::BadLine { line: 1, .. }), "{err}");
        let err = read("{\"file\":\"a\",\"severity\":\"error\",\"message_zh\":\"z\",\"message_en\":\"e\"}\n[1,2]\n")
            .unwrap_err();
        assert!(matches!(err, RejectsError::BadLine { line: 2, .. }), "{err}");
        assert!(err.to_string().contains("rejects.jsonl line 2"), "{err}");
    }

    #[test]
    fn a_dataset_without_rejects_has_none_to_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Rejections::read(dir.path()).unwrap(), None);
        std::fs::create_dir(dir.path().join(REJECTS_JSONL)).unwrap();
        assert!(matches!(
            Rejections::read(dir.path()),
            Err(RejectsError::NotAFile { .. })
        ));
    }
}
