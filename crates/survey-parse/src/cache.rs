//! The ingest cache: what reading and checking each input file gave, kept so that a
//! re-run reads only the files that are new or changed.
//!
//! A file's result — its returns' outcomes, its problems and its accepted returns as
//! checked — is kept under a key made of its name, the SHA-256 of its bytes, its
//! modification time (returns without a submission time are ordered by it) and the
//! *settings*: the cache format, the program version, the full text of the definition and
//! of every earlier version it reads (ranges and checks are outside the answer-contract
//! fingerprint, and they decide what is accepted), and the limits. Settling duplicates,
//! the dataset, the reports and the analysis are always redone from all files' results, so
//! a cached run writes what a full run writes, byte for byte.
//!
//! The cache lives in the run's output folder and names enterprises (it holds returns):
//! it is restricted, like the dataset. An index that cannot be read or was written under
//! other settings, and an entry that does not match its index, are discarded with a
//! warning and the files read again: the cache is never trusted over the inputs.

use crate::ingest::Input;
use crate::limits::Limits;
use crate::validate::CheckedReturn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use survey_def::Definition;
use survey_files::write::Access;

/// Bumped whenever what an entry holds, or how it is written, changes.
const CACHE_FORMAT: u32 = 2;
/// The index of a cache folder.
const INDEX_FILE: &str = "index.json";
/// Largest cache index read (a line of JSON per input file).
const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;

/// What a cached file was when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileKey {
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its modification time, seconds since the epoch.
    pub modified: Option<i64>,
}

impl FileKey {
    /// Hashes the file at `path`.
    pub fn of(path: &Path) -> std::io::Result<FileKey> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        let mut hasher = Sha256::new();
        std::io::copy(&mut BufReader::new(file), &mut hasher)?;
        Ok(FileKey {
            sha256: hex::encode(hasher.finalize()),
            modified,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Index {
    format: u32,
    settings: String,
    /// By file name: what it was and the entry holding its result.
    files: BTreeMap<String, IndexedFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IndexedFile {
    #[serde(flatten)]
    key: FileKey,
    entry: String,
}

/// How the input files of a run compare with the cache of the run before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChanges {
    /// Files the cache does not know by name.
    pub new: u64,
    /// Files known by name whose bytes or modification time changed.
    pub changed: u64,
    /// Files as they were.
    pub unchanged: u64,
    /// Files of the run before that are no longer among the inputs.
    pub removed: u64,
    /// Files read this run (new, changed, and unchanged ones whose entry could not be
    /// used); the rest came from the cache.
    pub read: u64,
}

/// A cache folder opened for one ingest run.
pub struct Cache {
    dir: PathBuf,
    settings: String,
    /// The previous run's index, when it can be trusted.
    known: BTreeMap<String, IndexedFile>,
    /// Why parts of the cache were discarded.
    warnings: std::sync::Mutex<Vec<String>>,
}

/// One file's result, as the cache keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Entry<E> {
    format: u32,
    settings: String,
    name: String,
    key: FileKey,
    /// The outcome of each return, in the order read.
    pub(crate) entries: Vec<E>,
    /// The file's problems.
    pub(crate) rejections: Vec<crate::rejection::Rejection>,
    /// The file's problems past the listing cap, by rule: (errors, warnings).
    pub(crate) unlisted: BTreeMap<crate::rejection::Rule, (u64, u64)>,
    /// How many accepted returns the returns file holds.
    pub(crate) accepted: u64,
    /// SHA-256 of the returns file: a damaged one is found before any of it is used.
    returns_sha256: String,
}

/// What a run's settings are, as a hash: a cache made under other settings is not used.
pub fn settings(def: &Definition, limits: &Limits) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "format {CACHE_FORMAT}\nprogram {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    hasher.update(format!("limits {limits:?}\n"));
    let mut definitions = vec![def];
    definitions.extend(def.earlier_versions().iter().map(|e| &*e.definition));
    for d in definitions {
        hasher.update(format!("definition {} {}\n", d.survey().version, d.fingerprint));
        hasher.update(
            survey_files::read::read_bounded(&d.source, survey_def::MAX_DEFINITION_BYTES)
                .map_err(std::io::Error::other)?,
        );
    }
    Ok(hex::encode(hasher.finalize()))
}

impl Cache {
    /// Opens (or starts) the cache in `dir` for a run under `settings`. A cache that cannot
    /// be read, or was made under other settings, is emptied with a warning.
    pub fn open(dir: &Path, settings: String) -> Cache {
        let cache = Cache {
            dir: dir.to_owned(),
            settings,
            known: BTreeMap::new(),
            warnings: std::sync::Mutex::new(Vec::new()),
        };
        let index_path = dir.join(INDEX_FILE);
        if !index_path.exists() {
            return cache;
        }
        let index = survey_files::read::read_bounded(&index_path, MAX_INDEX_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Index>(&bytes).map_err(|e| e.to_string()));
        match index {
            Ok(index) if index.format == CACHE_FORMAT && index.settings == cache.settings => Cache {
                known: index.files,
                ..cache
            },
            Ok(_) => {
                cache.warn(format!(
                    "the cache in {} was made by another version or definition or with other limits: not used",
                    dir.display()
                ));
                cache.clear();
                cache
            }
            Err(e) => {
                cache.warn(format!(
                    "the cache index {} is damaged ({e}): not used",
                    index_path.display()
                ));
                cache.clear();
                cache
            }
        }
    }

    pub(crate) fn warn(&self, message: String) {
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message);
    }

    /// Why parts of the cache were not used, in the order found.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Removes every entry and the index.
    fn clear(&self) {
        if let Ok(list) = std::fs::read_dir(&self.dir) {
            for entry in list.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Where the entry of `name` as `key` lives: a name of the key's hash, so a file's
    /// entries never collide and a path never reaches a file name.
    fn entry_name(&self, name: &str, key: &FileKey) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "{}\n{}\n{:?}\n{}",
            self.settings, key.sha256, key.modified, name
        ));
        hex::encode(hasher.finalize())
    }

    /// Whether the file `name`, now `key`, is known as it is.
    pub fn classify(&self, name: &str, key: Option<&FileKey>) -> Change {
        match (self.known.get(name), key) {
            (None, _) => Change::New,
            (Some(known), Some(key)) if known.key == *key => Change::Unchanged,
            _ => Change::Changed,
        }
    }

    /// The cached result of `input` as `key`, when there is one that can be trusted.
    pub(crate) fn load<E: for<'de> Deserialize<'de>>(
        &self,
        input: &Input,
        key: &FileKey,
    ) -> Option<(Entry<E>, CachedReturns)> {
        let known = self.known.get(&input.name)?;
        if known.key != *key {
            return None;
        }
        let expected = self.entry_name(&input.name, key);
        // Warnings go to the log, which is not restricted, and return files are commonly
        // named by credit code: an entry is named by its own (hashed) name instead.
        let entry_id = &expected[..12];
        if known.entry != expected {
            self.warn(format!(
                "cache entry {entry_id} does not match its index: its file is read again"
            ));
            return None;
        }
        let meta_path = self.dir.join(format!("{expected}.meta"));
        let loaded = std::fs::read(&meta_path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| rmp_serde::from_slice::<Entry<E>>(&bytes).map_err(|e| e.to_string()));
        match loaded {
            Ok(entry)
                if entry.format == CACHE_FORMAT
                    && entry.settings == self.settings
                    && entry.name == input.name
                    && entry.key == *key =>
            {
                let returns_path = self.dir.join(format!("{expected}.returns"));
                let intact = std::fs::File::open(&returns_path).and_then(|file| {
                    let mut hasher = Sha256::new();
                    std::io::copy(&mut BufReader::new(file), &mut hasher)?;
                    Ok(hex::encode(hasher.finalize()) == entry.returns_sha256)
                });
                if matches!(intact, Ok(false)) {
                    self.warn(format!(
                        "the cached returns of entry {entry_id} are damaged: read again"
                    ));
                    return None;
                }
                match intact.and_then(|_| std::fs::File::open(&returns_path)) {
                    Ok(file) => {
                        let left = entry.accepted;
                        Some((
                            entry,
                            CachedReturns {
                                reader: BufReader::new(file),
                                left,
                            },
                        ))
                    }
                    Err(e) => {
                        self.warn(format!(
                            "the cached returns of entry {entry_id} cannot be read ({e}): read again"
                        ));
                        None
                    }
                }
            }
            Ok(_) => {
                self.warn(format!("cache entry {entry_id} is of another file or run: read again"));
                None
            }
            Err(e) => {
                self.warn(format!("cache entry {entry_id} is damaged ({e}): read again"));
                None
            }
        }
    }

    /// Starts recording the result of `input` as `key`.
    pub(crate) fn record(&self, input: &Input, key: &FileKey) -> std::io::Result<Recorder> {
        survey_files::write::create_dir(&self.dir, Access::Restricted)?;
        let entry = self.entry_name(&input.name, key);
        let returns = tempfile::Builder::new()
            .prefix(&survey_files::write::temp_prefix())
            .tempfile_in(&self.dir)?;
        Ok(Recorder {
            dir: self.dir.clone(),
            entry,
            name: input.name.clone(),
            key: key.clone(),
            settings: self.settings.clone(),
            returns: BufWriter::new(returns),
            hasher: Sha256::new(),
            accepted: 0,
        })
    }

    /// Writes the index of this run's files (`files`: name, key and whether its entry
    /// was written or loaded) and removes the entries no file of this run uses.
    pub fn finish(&self, files: &[(String, FileKey)]) -> std::io::Result<()> {
        survey_files::write::create_dir(&self.dir, Access::Restricted)?;
        let mut index = Index {
            format: CACHE_FORMAT,
            settings: self.settings.clone(),
            files: BTreeMap::new(),
        };
        for (name, key) in files {
            let entry = self.entry_name(name, key);
            if self.dir.join(format!("{entry}.meta")).is_file() {
                index.files.insert(
                    name.clone(),
                    IndexedFile {
                        key: key.clone(),
                        entry,
                    },
                );
            }
        }
        let used: std::collections::BTreeSet<&str> = index.files.values().map(|f| f.entry.as_str()).collect();
        if let Ok(list) = std::fs::read_dir(&self.dir) {
            for item in list.flatten() {
                let file_name = item.file_name().to_string_lossy().into_owned();
                let stem = file_name.split('.').next().unwrap_or_default();
                if file_name != INDEX_FILE && !used.contains(stem) {
                    let _ = std::fs::remove_file(item.path());
                }
            }
        }
        let json = serde_json::to_vec_pretty(&index).map_err(std::io::Error::other)?;
        survey_files::write::write_file_atomically(&self.dir.join(INDEX_FILE), &json, Access::Restricted)
    }

    /// Names known to the cache that are not among `names`: files removed since.
    pub fn removed(&self, names: &std::collections::BTreeSet<&str>) -> u64 {
        self.known.keys().filter(|n| !names.contains(n.as_str())).count() as u64
    }
}

/// How a file compares with the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not known by name.
    New,
    /// Known, with other bytes or another modification time.
    Changed,
    /// Known as it is.
    Unchanged,
}

/// The accepted returns of a cached file, read one at a time.
pub(crate) struct CachedReturns {
    reader: BufReader<std::fs::File>,
    left: u64,
}

impl CachedReturns {
    /// The next return, `None` at the end; an error when the file is damaged.
    pub(crate) fn next_return(&mut self) -> Result<Option<CheckedReturn>, String> {
        if self.left == 0 {
            let mut rest = [0u8; 1];
            return match self.reader.read(&mut rest) {
                Ok(0) => Ok(None),
                Ok(_) => Err("more returns than its entry says".into()),
                Err(e) => Err(e.to_string()),
            };
        }
        self.left -= 1;
        rmp_serde::from_read(&mut self.reader)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// Writes one file's result into the cache as it is read.
pub(crate) struct Recorder {
    dir: PathBuf,
    entry: String,
    name: String,
    key: FileKey,
    settings: String,
    returns: BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    accepted: u64,
}

/// An accepted return encoded for the cache (by the worker that checked it).
pub(crate) fn encode(checked: &CheckedReturn, out: &mut Vec<u8>) -> Result<(), String> {
    rmp_serde::encode::write_named(out, checked).map_err(|e| e.to_string())
}

impl Recorder {
    /// Appends encoded accepted returns, in the order read.
    pub(crate) fn returns(&mut self, encoded: &[u8], count: u64) -> std::io::Result<()> {
        self.accepted += count;
        self.hasher.update(encoded);
        self.returns.write_all(encoded)
    }

    /// Writes the entry: the returns file, then the outcomes (whose presence marks the
    /// entry complete).
    pub(crate) fn finish<E: Serialize>(
        self,
        entries: &[E],
        rejections: &[crate::rejection::Rejection],
        unlisted: &BTreeMap<crate::rejection::Rule, (u64, u64)>,
    ) -> std::io::Result<()> {
        let returns = self.returns.into_inner().map_err(|e| e.into_error())?;
        returns.as_file().sync_all()?;
        returns
            .persist(self.dir.join(format!("{}.returns", self.entry)))
            .map_err(|e| e.error)?;
        let entry = EntryRef {
            format: CACHE_FORMAT,
            settings: &self.settings,
            name: &self.name,
            key: &self.key,
            entries,
            rejections,
            unlisted,
            accepted: self.accepted,
            returns_sha256: hex::encode(self.hasher.finalize()),
        };
        let bytes = rmp_serde::to_vec_named(&entry).map_err(std::io::Error::other)?;
        survey_files::write::write_file_atomically(
            &self.dir.join(format!("{}.meta", self.entry)),
            &bytes,
            Access::Restricted,
        )
    }
}

/// [`Entry`] borrowed, for writing.
#[derive(Serialize)]
struct EntryRef<'a, E> {
    format: u32,
    settings: &'a str,
    name: &'a str,
    key: &'a FileKey,
    entries: &'a [E],
    rejections: &'a [crate::rejection::Rejection],
    unlisted: &'a BTreeMap<crate::rejection::Rule, (u64, u64)>,
    accepted: u64,
    returns_sha256: String,
}
