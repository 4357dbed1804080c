//! The checked dataset's contract: what `ingest` writes and the analysis reads.
//!
//! A dataset folder holds `responses.parquet` (one row per accepted return: a typed
//! column per question, named by its id, plus the provenance columns below), one Parquet
//! file per repeating table (its lines, keyed to their return by the enterprise id), the
//! rejects (`rejects.jsonl`, `rejects.xlsx`), the accounting (`ingest.json`,
//! [`IngestSummary`]) and `manifest.json` ([`Manifest`]: every other file's size and
//! SHA-256, so a reader can tell the files were written together). Column names starting
//! with `_` are the tool's own; question ids cannot start with one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the file holding accepted returns.
pub const RESPONSES_FILE: &str = "responses.parquet";
/// The accounting of the run that wrote the dataset.
pub const INGEST_JSON: &str = "ingest.json";
/// Problems, one JSON object a line.
pub const REJECTS_JSONL: &str = "rejects.jsonl";
/// Problems as a workbook.
pub const REJECTS_XLSX: &str = "rejects.xlsx";

/// The dataset's files with their sizes and SHA-256.
pub const MANIFEST_JSON: &str = "manifest.json";

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

/// Size and SHA-256 of one dataset file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of the file at `path`, read in a stream.
    pub fn of(path: &Path) -> std::io::Result<FileDigest> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let bytes = std::io::copy(&mut file, &mut hasher)?;
        Ok(FileDigest {
            bytes,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

/// `manifest.json`: what one ingest run wrote into a dataset folder. Ingest writes it last,
/// into a folder that is moved into place whole; the analysis reads a dataset only when
/// every file it lists is there with its recorded size and SHA-256 and no other dataset
/// file is, so a folder mixing files of two runs (an interrupted run, a file copied in by
/// hand) is refused rather than analysed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of this file.
    pub format: u32,
    /// The definition the returns were checked against.
    pub definition: DefinitionInfo,
    /// Every file of the dataset but the manifest, by name.
    pub files: BTreeMap<String, FileDigest>,
}

/// Current [`Manifest::format`].
pub const MANIFEST_FORMAT: u32 = 1;

/// Whether a name in a dataset folder is one of the dataset's own kinds of file (so one
/// not in the manifest is a stray from another run). Hidden names are never dataset files.
pub fn is_dataset_file(name: &str) -> bool {
    !name.starts_with('.')
        && (name.ends_with(".parquet") || [INGEST_JSON, REJECTS_JSONL, REJECTS_XLSX, MANIFEST_JSON].contains(&name))
}

/// The names in `dir` that are not dataset files and not hidden: what replacing the
/// folder by a new dataset would delete that ingest did not write. An absent folder has
/// none.
pub fn foreign_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut foreign = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type()?.is_file();
        let ours_or_hidden = name.starts_with('.') || (is_file && is_dataset_file(&name));
        if !ours_or_hidden {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// Why a dataset folder's files cannot be trusted to belong together.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// No manifest: not a folder ingest wrote whole.
    #[error(
        "{} has no {MANIFEST_JSON}: it is not a dataset written whole by `labor-survey ingest` (or was written by a version before datasets carried one); ingest the returns again",
        dir.display()
    )]
    Missing {
        /// The dataset folder.
        dir: PathBuf,
    },
    /// The manifest or a listed file cannot be read.
    #[error("cannot read {}: {message}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file the manifest lists is absent.
    #[error(
        "{} lists {file}, which is not in the folder: the dataset is incomplete; ingest the returns again",
        dir.join(MANIFEST_JSON).display()
    )]
    Absent {
        /// The dataset folder.
        dir: PathBuf,
        /// The file.
        file: String,
    },
    /// A file differs from the one the manifest records.
    #[error(
        "{} does not belong to this dataset: it has {found_bytes} bytes and SHA-256 {found}, where {MANIFEST_JSON} records {bytes} bytes and {expected} (a file of another run, or edited since); ingest the returns again",
        dir.join(file).display()
    )]
    Changed {
        /// The dataset folder.
        dir: PathBuf,
        /// The file.
        file: String,
        /// Recorded size.
        bytes: u64,
        /// Recorded SHA-256.
        expected: String,
        /// Size found.
        found_bytes: u64,
        /// SHA-256 found.
        found: String,
    },
    /// A dataset file the manifest does not list.
    #[error(
        "{} is not listed in {MANIFEST_JSON}: it belongs to another run; remove it, or ingest the returns again",
        dir.join(file).display()
    )]
    Stray {
        /// The dataset folder.
        dir: PathBuf,
        /// The file.
        file: String,
    },
}

impl Manifest {
    /// The manifest of the dataset files in `dir`, as just written.
    pub fn of_folder(dir: &Path, definition: DefinitionInfo) -> std::io::Result<Manifest> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != MANIFEST_JSON && entry.file_type()?.is_file() && is_dataset_file(&name) {
                files.insert(name, FileDigest::of(&entry.path())?);
            }
        }
        Ok(Manifest {
            format: MANIFEST_FORMAT,
            definition,
            files,
        })
    }

    /// Writes the manifest of the dataset files in `dir` into `dir` (owner-only: it names
    /// the files of a restricted folder).
    pub fn seal(dir: &Path, definition: DefinitionInfo) -> std::io::Result<Manifest> {
        let manifest = Manifest::of_folder(dir, definition)?;
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        json.push(b'\n');
        crate::write::write_file_atomically(&dir.join(MANIFEST_JSON), &json, crate::write::Access::Restricted)?;
        Ok(manifest)
    }

    /// Reads `dir`'s manifest and checks the folder against it: every listed file present
    /// with its size and SHA-256, no unlisted dataset file.
    pub fn verify(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join(MANIFEST_JSON);
        let unreadable = |path: &Path, e: &dyn std::fmt::Display| ManifestError::Unreadable {
            path: path.to_owned(),
            message: e.to_string(),
        };
        // A manifest lists a few files; anything large is not one.
        let bytes = match crate::read::read_bounded(&path, 1024 * 1024) {
            Ok(bytes) => bytes,
            Err(crate::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ManifestError::Missing { dir: dir.to_owned() });
            }
            Err(e) => return Err(unreadable(&path, &e)),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| unreadable(&path, &e))?;
        for (file, recorded) in &manifest.files {
            let at = dir.join(file);
            let found = match FileDigest::of(&at) {
                Ok(found) => found,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ManifestError::Absent {
                        dir: dir.to_owned(),
                        file: file.clone(),
                    });
                }
                Err(e) => return Err(unreadable(&at, &e)),
            };
            if &found != recorded {
                return Err(ManifestError::Changed {
                    dir: dir.to_owned(),
                    file: file.clone(),
                    bytes: recorded.bytes,
                    expected: recorded.sha256.clone(),
                    found_bytes: found.bytes,
                    found: found.sha256,
                });
            }
        }
        let entries = std::fs::read_dir(dir).map_err(|e| unreadable(dir, &e))?;
        let mut stray: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name != MANIFEST_JSON && is_dataset_file(name) && !manifest.files.contains_key(name))
            .collect();
        stray.sort();
        if let Some(file) = stray.into_iter().next() {
            return Err(ManifestError::Stray {
                dir: dir.to_owned(),
                file,
            });
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RESPONSES_FILE), b"responses").unwrap();
        std::fs::write(dir.path().join("vacancies.parquet"), b"lines").unwrap();
        std::fs::write(dir.path().join(INGEST_JSON), b"{}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"kept by hand").unwrap();
        Manifest::seal(dir.path(), DefinitionInfo::default()).unwrap();
        dir
    }

    #[test]
    fn a_sealed_folder_verifies_with_the_digests_of_its_files() {
        let dir = sealed();
        let manifest = Manifest::verify(dir.path()).unwrap();
        let names: Vec<&str> = manifest.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["ingest.json", "responses.parquet", "vacancies.parquet"]);
        // SHA-256 of "responses", computed independently (sha256sum).
        assert_eq!(
            manifest.files[RESPONSES_FILE].sha256,
            "e30b3910ffd943c99f7edd7543c56c608522784ec521e85a91cf296f14a13e72"
        );
        assert_eq!(manifest.files[RESPONSES_FILE].bytes, 9);
    }

    #[test]
    fn files_that_do_not_belong_together_are_refused() {
        let dir = sealed();
        std::fs::write(dir.path().join(RESPONSES_FILE), b"another run").unwrap();
        let e = Manifest::verify(dir.path()).unwrap_err();
        assert!(
            matches!(e, ManifestError::Changed { ref file, .. } if file == RESPONSES_FILE),
            "{e}"
        );
        assert!(e.to_string().contains("does not belong to this dataset"), "{e}");

        let dir = sealed();
        std::fs::remove_file(dir.path().join("vacancies.parquet")).unwrap();
        let e = Manifest::verify(dir.path()).unwrap_err();
        assert!(
            matches!(e, ManifestError::Absent { ref file, .. } if file == "vacancies.parquet"),
            "{e}"
        );

        let dir = sealed();
        std::fs::write(dir.path().join("extra.parquet"), b"x").unwrap();
        let e = Manifest::verify(dir.path()).unwrap_err();
        assert!(
            matches!(e, ManifestError::Stray { ref file, .. } if file == "extra.parquet"),
            "{e}"
        );

        let dir = sealed();
        std::fs::remove_file(dir.path().join(MANIFEST_JSON)).unwrap();
        let e = Manifest::verify(dir.path()).unwrap_err();
        assert!(matches!(e, ManifestError::Missing { .. }), "{e}");
    }

    #[test]
    fn only_what_ingest_writes_is_a_dataset_file() {
        let dir = sealed();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join(".hidden"), b"").unwrap();
        assert_eq!(foreign_files(dir.path()).unwrap(), ["notes.txt", "sub"]);
        assert!(foreign_files(&dir.path().join("absent")).unwrap().is_empty());
    }

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
