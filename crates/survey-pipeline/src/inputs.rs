//! The files a run reads: input entries (files, folders, glob patterns) resolved to files,
//! named relative to the pipeline's folder, and fingerprinted with SHA-256.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};
use survey_parse::Input;

/// What an input file is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The pipeline file itself.
    Pipeline,
    /// The survey definition.
    Definition,
    /// The sampling frame.
    Frame,
    /// A return of this wave.
    Return,
    /// A return of the previous wave.
    PreviousReturn,
    /// A file of the previous wave's dataset.
    PreviousDataset,
    /// The definition the previous wave was ingested with, when not this wave's.
    PreviousDefinition,
    /// The id mapping of the previous wave's enterprises.
    PreviousIds,
}

/// One file the run read, for `run.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputFile {
    /// Path relative to the pipeline's folder (as written when the pipeline gives an
    /// absolute path), with `/` separators.
    pub path: String,
    /// What it is.
    pub role: Role,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

impl Role {
    /// Whether files of this role are returns, whose names commonly carry the
    /// enterprise's credit code or name: `run.json` counts them as a set, and lists them
    /// one by one only in the restricted manifest.
    pub fn names_enterprises(self) -> bool {
        matches!(self, Role::Return | Role::PreviousReturn)
    }
}

/// The files of one role counted together, for `run.json`: how many, their bytes, and
/// the SHA-256 of their manifest (the restricted `inputs.sha256`'s lines of that role), so
/// two runs can be shown to have read the same returns without naming any of them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputSet {
    /// What the files are.
    pub role: Role,
    /// How many.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// SHA-256 of the manifest lines of these files (`sha256sum` format, sorted by path).
    pub manifest_sha256: String,
}

/// File name of the per-file manifest of the returns read, in the restricted reports folder.
pub const MANIFEST_FILE: &str = "inputs.sha256";

/// The manifest of `files` in `sha256sum` format (`<hex>  <path>` per line, in the
/// order given), which `sha256sum -c` checks from the pipeline's folder.
pub fn manifest(files: &[&InputFile]) -> String {
    files.iter().map(|f| format!("{}  {}\n", f.sha256, f.path)).collect()
}

/// Splits fingerprints into those `run.json` lists one by one and the sets of returns
/// it only counts.
pub fn published_inputs(fingerprints: &[InputFile]) -> (Vec<InputFile>, Vec<InputSet>) {
    let listed = fingerprints
        .iter()
        .filter(|f| !f.role.names_enterprises())
        .cloned()
        .collect();
    let mut sets = Vec::new();
    for role in [Role::Return, Role::PreviousReturn] {
        let files: Vec<&InputFile> = fingerprints.iter().filter(|f| f.role == role).collect();
        if files.is_empty() {
            continue;
        }
        sets.push(InputSet {
            role,
            files: files.len() as u64,
            bytes: files.iter().map(|f| f.bytes).sum(),
            manifest_sha256: hex::encode(Sha256::digest(manifest(&files).as_bytes())),
        });
    }
    (listed, sets)
}

/// Whether an input entry is a glob pattern rather than a path.
pub fn is_pattern(entry: &str) -> bool {
    entry.contains(['*', '?', '['])
}

/// Why the inputs could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A glob pattern matched nothing.
    #[error("`{pattern}` matches no file (relative patterns start at {})", base.display())]
    NoMatch {
        /// The pattern as written.
        pattern: String,
        /// The pipeline's folder.
        base: PathBuf,
    },
    /// A folder could not be listed, or a path does not exist.
    #[error(transparent)]
    Listing(#[from] survey_parse::IngestError),
    /// A pattern could not be read (the pipeline loader checks patterns; this is a
    /// pattern made invalid by the folder it is joined to).
    #[error("`{pattern}`: {message}")]
    Pattern {
        /// The pattern as written.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// A folder met while matching a pattern could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The entries name no file at all.
    #[error("{what} name no file")]
    Empty {
        /// Which entries (`inputs`, `previous.inputs`).
        what: &'static str,
    },
    /// The output folder and an input hold one another: the run would read its own
    /// outputs back as returns, or write among its inputs.
    #[error(
        "the output folder {} and the input {} overlap: put the outputs outside the inputs",
        output.display(),
        input.display()
    )]
    Overlap {
        /// The input file or folder.
        input: PathBuf,
        /// The output folder.
        output: PathBuf,
    },
    /// A path could not be resolved (its folder is unreadable, or the working folder is
    /// gone).
    #[error("cannot resolve {}: {source}", path.display())]
    Resolve {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The one way returns are found, for `ingest` and `run` alike: entries resolved to files
/// (folders walked, patterns matched, relative paths from one base folder), named as
/// reports show them, and every place read kept clear of the output folder, so a run never
/// reads its own outputs back as returns.
#[derive(Debug)]
pub struct Collector {
    base: PathBuf,
    output: PathBuf,
    output_abs: PathBuf,
}

impl Collector {
    /// A collector for entries relative to `base` whose run writes into `output`.
    pub fn new(base: &Path, output: &Path) -> Result<Collector, InputError> {
        let output_abs = absolute(output).map_err(|source| InputError::Resolve {
            path: output.to_owned(),
            source,
        })?;
        Ok(Collector {
            base: base.to_owned(),
            output: output.to_owned(),
            output_abs,
        })
    }

    /// Refuses `place` (an input file or folder, as found: not relative to the base) when
    /// it and the output folder hold one another.
    pub fn keep_clear(&self, place: &Path) -> Result<(), InputError> {
        let place = place.to_owned();
        let abs = absolute(&place).map_err(|source| InputError::Resolve {
            path: place.clone(),
            source,
        })?;
        if overlap(&abs, &self.output_abs) {
            return Err(InputError::Overlap {
                input: place,
                output: self.output.clone(),
            });
        }
        Ok(())
    }

    /// The returns named by the entries of a pipeline (files, folders, glob patterns),
    /// each entry (a pattern by the folder it searches) kept clear of the output.
    pub fn returns(&self, entries: &[String], what: &'static str) -> Result<Vec<Input>, InputError> {
        for entry in entries {
            self.keep_clear(&self.base.join(searched(entry)))?;
        }
        return_files(&self.base, entries, what)
    }

    /// The returns under `paths` as given on a command line (the shell has expanded any
    /// pattern: each is a file or a folder), kept clear of the output.
    pub fn returns_at(&self, paths: &[PathBuf]) -> Result<Vec<Input>, InputError> {
        let joined: Vec<PathBuf> = paths.iter().map(|p| self.base.join(p)).collect();
        for path in &joined {
            self.keep_clear(path)?;
        }
        let mut files = survey_parse::collect_inputs(&joined)?;
        for file in &mut files {
            file.name = name_of(&self.base, &file.path);
        }
        if files.is_empty() {
            return Err(InputError::Empty { what: "the inputs" });
        }
        Ok(files)
    }
}

/// The folder an input entry reads from: the entry itself, or a pattern's leading
/// components before the first one with a wildcard.
pub fn searched(entry: &str) -> PathBuf {
    if !is_pattern(entry) {
        return PathBuf::from(entry);
    }
    let literal: PathBuf = Path::new(entry)
        .components()
        .take_while(|c| !matches!(c, Component::Normal(n) if is_pattern(&n.to_string_lossy())))
        .collect();
    if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    }
}

/// Resolves entries (files, folders, patterns, relative to `base`) to the files to read,
/// named relative to `base`, sorted by name, each once. Hidden files and Excel lock files
/// (`~$…`) are skipped, as when ingest walks a folder.
pub fn return_files(base: &Path, entries: &[String], what: &'static str) -> Result<Vec<Input>, InputError> {
    let mut paths = Vec::new();
    for entry in entries {
        if !is_pattern(entry) {
            paths.push(base.join(entry));
            continue;
        }
        let pattern = if Path::new(entry).is_absolute() {
            entry.clone()
        } else {
            format!("{}/{entry}", glob::Pattern::escape(&base.to_string_lossy()))
        };
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let matches = glob::glob_with(&pattern, options).map_err(|e| InputError::Pattern {
            pattern: entry.clone(),
            message: e.msg.to_owned(),
        })?;
        let before = paths.len();
        for found in matches {
            let found = found.map_err(|e| InputError::Unreadable {
                path: e.path().to_owned(),
                message: e.error().to_string(),
            })?;
            let lock_file = found.file_name().is_some_and(|n| n.to_string_lossy().starts_with("~$"));
            if !lock_file {
                paths.push(found);
            }
        }
        if paths.len() == before {
            return Err(InputError::NoMatch {
                pattern: entry.clone(),
                base: base.to_owned(),
            });
        }
    }
    let mut files = survey_parse::collect_inputs(&paths)?;
    for file in &mut files {
        file.name = name_of(base, &file.path);
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files.dedup_by(|a, b| a.name == b.name);
    if files.is_empty() {
        return Err(InputError::Empty { what });
    }
    Ok(files)
}

/// How reports and `run.json` name `path`: relative to `base` when under it (as paths in
/// the pipeline file are written), with `/` separators, so outputs do not depend on where
/// the files sit on a machine.
pub fn name_of(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let mut name = String::new();
    for (i, part) in relative.components().filter(|c| *c != Component::CurDir).enumerate() {
        match part {
            Component::RootDir => name.push('/'),
            other => {
                if i > 0 && !name.ends_with('/') {
                    name.push('/');
                }
                name.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    if name.is_empty() { ".".to_owned() } else { name }
}

/// SHA-256 (hex) and size of a file, read in a stream.
pub fn fingerprint(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// `path` made absolute with symbolic links and `..` resolved, as far as it exists; the
/// rest (an output folder not made yet) is appended as written.
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize()?;
    for part in rest.iter().rev() {
        out.push(part);
    }
    Ok(out)
}

/// Whether one path holds the other (or they are the same).
pub fn overlap(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_relative_to_the_pipeline_folder() {
        let base = Path::new("sample-data");
        assert_eq!(name_of(base, Path::new("sample-data/returns/a.xlsx")), "returns/a.xlsx");
        assert_eq!(
            name_of(base, Path::new("sample-data/../survey-defs/s.toml")),
            "../survey-defs/s.toml"
        );
        assert_eq!(name_of(Path::new("."), Path::new("./returns/x.json")), "returns/x.json");
        assert_eq!(name_of(base, Path::new("/data/returns/x.json")), "/data/returns/x.json");
    }

    #[test]
    fn patterns_folders_and_files_resolve_to_sorted_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        for f in [
            "returns/b/2.xlsx",
            "returns/a/1.xlsx",
            "returns/a/1.json",
            "returns/a/.hidden.xlsx",
        ] {
            let p = base.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        std::fs::write(base.join("one.jsonl"), b"x").unwrap();
        let names = |entries: &[&str]| -> Vec<String> {
            let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
            return_files(base, &entries, "inputs")
                .unwrap()
                .into_iter()
                .map(|i| i.name)
                .collect()
        };
        assert_eq!(names(&["returns/**/*.xlsx"]), ["returns/a/1.xlsx", "returns/b/2.xlsx"]);
        assert_eq!(
            names(&["one.jsonl", "returns/a", "returns/*/1.json"]),
            ["one.jsonl", "returns/a/1.json", "returns/a/1.xlsx"]
        );
        let absolute = format!("{}/returns/*/2.xlsx", base.display());
        assert_eq!(
            names(&[absolute.as_str()]),
            [name_of(base, &base.join("returns/b/2.xlsx"))]
        );
        let none = return_files(base, &["returns/**/*.csv".to_owned()], "inputs");
        assert!(matches!(none, Err(InputError::NoMatch { .. })), "{none:?}");
        let missing = return_files(base, &["nowhere".to_owned()], "inputs");
        assert!(matches!(missing, Err(InputError::Listing(_))), "{missing:?}");
    }

    #[test]
    fn sha256_of_a_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            fingerprint(&p).unwrap(),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_owned(),
                3
            )
        );
    }

    #[test]
    fn a_pattern_searches_the_folder_before_its_first_wildcard() {
        assert_eq!(searched("returns/**/*.xlsx"), PathBuf::from("returns"));
        assert_eq!(searched("returns/2024-*/x.json"), PathBuf::from("returns"));
        assert_eq!(searched("*.jsonl"), PathBuf::from("."));
        assert_eq!(searched("returns/a.jsonl"), PathBuf::from("returns/a.jsonl"));
    }

    #[test]
    fn an_output_inside_an_input_folder_overlaps() {
        assert!(overlap(Path::new("/a/returns"), Path::new("/a/returns/out")));
        assert!(overlap(Path::new("/a/out/dataset"), Path::new("/a/out")));
        assert!(!overlap(Path::new("/a/returns"), Path::new("/a/returns-out")));
    }
}
