//! The checked dataset's contract: what `ingest` writes and the analysis reads.
//!
//! A dataset folder holds `responses.parquet` (one row per accepted return: a typed
//! column per question, named by its id, plus the provenance columns below), one Parquet
//! file per repeating table (its lines, keyed to their return by the enterprise id), the
//! rejects (`rejects.jsonl`, `rejects.xlsx`) and the accounting (`ingest.json`,
//! [`IngestSummary`]). Column names starting with `_` are the tool's own; question ids
//! cannot start with one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the file holding accepted returns.
pub const RESPONSES_FILE: &str = "responses.parquet";
/// The accounting of the run that wrote the dataset.
pub const INGEST_JSON: &str = "ingest.json";
/// Problems, one JSON object a line.
pub const REJECTS_JSONL: &str = "rejects.jsonl";
/// Problems as a workbook.
pub const REJECTS_XLSX: &str = "rejects.xlsx";

/// File name of a repeating table's lines.
pub fn table_file(table_id: &str) -> String {
    format!("{table_id}.parquet")
}

/// Provenance column: file the return came from.
pub const SOURCE_FILE: &str = "_source_file";
/// Provenance column: sheet (wide workbooks) the return came from.
pub const SOURCE_SHEET: &str = "_source_sheet";
/// Provenance column: row (wide workbooks) or line (JSON Lines) of the return.
pub const SOURCE_LINE: &str = "_source_line";
/// Provenance column: JSON path of the return in a JSON array file.
pub const SOURCE_PATH: &str = "_source_path";
/// Provenance column: submission time, seconds since the epoch (UTC).
pub const SUBMITTED_AT: &str = "_submitted_at_unix";
/// Provenance column: answers as received where reading changed them (JSON object).
pub const ORIGINALS: &str = "_originals";
/// Column: survey id.
pub const SURVEY_ID: &str = "_survey_id";
/// Column: definition version.
pub const SURVEY_VERSION: &str = "_survey_version";
/// Column: definition fingerprint.
pub const FINGERPRINT: &str = "_definition_fingerprint";
/// Table column: 1-based row number within its return.
pub const ROW: &str = "_row";

/// What happened to the returns of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileOutcome {
    /// Every return kept.
    Accepted,
    /// None kept.
    Rejected,
    /// Some kept, some not.
    Partial,
    /// Every return replaced by a later one of the same enterprise.
    Superseded,
    /// The file held no return.
    Empty,
}

impl FileOutcome {
    /// The outcome of a file with these counts.
    pub fn of(accepted: u64, rejected: u64, superseded: u64) -> Self {
        match (accepted, rejected, superseded) {
            (a, 0, 0) if a > 0 => FileOutcome::Accepted,
            (0, r, 0) if r > 0 => FileOutcome::Rejected,
            (0, 0, s) if s > 0 => FileOutcome::Superseded,
            (0, 0, 0) => FileOutcome::Empty,
            _ => FileOutcome::Partial,
        }
    }
}

/// What happened to one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStatus {
    /// The file.
    pub file: String,
    /// What became of its returns.
    pub status: FileOutcome,
    /// Returns received from the file.
    pub received: u64,
    /// Of which accepted.
    pub accepted: u64,
    /// Of which rejected.
    pub rejected: u64,
    /// Of which superseded by a later return of the same enterprise.
    pub superseded: u64,
}

/// A return replaced by a later one for the same enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    /// The enterprise.
    pub enterprise_id: String,
    /// Where the replaced return was.
    pub file: String,
    /// Its sheet row, JSON line or path, if the file holds many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The file of the return that replaced it.
    pub replaced_by: String,
    /// Its record within that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by_record: Option<String>,
}

/// Identity of the definition a dataset was checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionInfo {
    /// Survey id.
    pub survey: String,
    /// Version.
    pub version: String,
    /// SHA-256 fingerprint.
    pub fingerprint: String,
    /// Earlier versions whose returns were read and harmonised to this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_versions: Vec<String>,
}

/// The accounting written to `ingest.json`. `received == accepted + rejected + superseded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Returns received (a file that could not be read counts as one).
    pub received: u64,
    /// Returns in the dataset.
    pub accepted: u64,
    /// Returns rejected.
    pub rejected: u64,
    /// Returns replaced by a later return of the same enterprise.
    pub superseded: u64,
    /// Warnings on accepted returns (values set aside).
    #[serde(default)]
    pub warnings: u64,
    /// The definition read against.
    #[serde(default)]
    pub definition: DefinitionInfo,
    /// Problems by rule code.
    #[serde(default)]
    pub rejections_by_rule: BTreeMap<String, u64>,
    /// Every input file.
    #[serde(default)]
    pub files: Vec<FileStatus>,
    /// Every superseded return and what replaced it.
    #[serde(default)]
    pub superseded_returns: Vec<Superseded>,
}

/// The four counts of an ingest run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestCounts {
    /// Returns received.
    pub received: u64,
    /// Returns accepted (rows of the dataset).
    pub accepted: u64,
    /// Returns rejected.
    pub rejected: u64,
    /// Returns superseded by a later return of the same enterprise.
    pub superseded: u64,
}

impl IngestSummary {
    /// The four counts.
    pub fn counts(&self) -> IngestCounts {
        IngestCounts {
            received: self.received,
            accepted: self.accepted,
            rejected: self.rejected,
            superseded: self.superseded,
        }
    }

    /// The counts in one line, as progress logs give them.
    pub fn counts_line(&self) -> String {
        format!(
            "received {}, accepted {}, rejected {}, superseded {} ({} warnings)",
            self.received, self.accepted, self.rejected, self.superseded, self.warnings
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_back_what_it_wrote() {
        let summary = IngestSummary {
            received: 3,
            accepted: 1,
            rejected: 1,
            superseded: 1,
            warnings: 0,
            definition: DefinitionInfo::default(),
            rejections_by_rule: BTreeMap::from([("required".to_owned(), 1)]),
            files: vec![FileStatus {
                file: "a.json".into(),
                status: FileOutcome::of(1, 1, 1),
                received: 3,
                accepted: 1,
                rejected: 1,
                superseded: 1,
            }],
            superseded_returns: Vec::new(),
        };
        let json = serde_json::to_string(&summary).unwrap();
        assert!(json.contains(r#""status":"partial""#), "{json}");
        let back: IngestSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, summary);
        assert_eq!(back.counts().received, 3);
    }

    #[test]
    fn a_file_outcome_follows_its_counts() {
        assert_eq!(FileOutcome::of(2, 0, 0), FileOutcome::Accepted);
        assert_eq!(FileOutcome::of(0, 2, 0), FileOutcome::Rejected);
        assert_eq!(FileOutcome::of(0, 0, 2), FileOutcome::Superseded);
        assert_eq!(FileOutcome::of(0, 0, 0), FileOutcome::Empty);
        assert_eq!(FileOutcome::of(1, 1, 0), FileOutcome::Partial);
    }
}
