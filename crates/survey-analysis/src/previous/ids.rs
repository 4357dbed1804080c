//! The id mapping of the previous wave: enterprises whose id changed between the waves
//! (a new credit code after a merger or re-registration), as a CSV file with the header
//! `previous_id,current_id` and one enterprise a line.

use crate::dataset::Dataset;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Largest id mapping read: a line is under 40 bytes, so this holds a million enterprises.
pub const MAX_ID_MAP_BYTES: u64 = 64 * 1024 * 1024;

/// The header an id mapping starts with.
pub const ID_MAP_HEADER: [&str; 2] = ["previous_id", "current_id"];

/// Why an id mapping cannot be used. Lines count from 1, the header being line 1.
#[derive(Debug, thiserror::Error)]
pub enum IdMapError {
    /// The file cannot be read.
    #[error("cannot read the id mapping {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The first line is not the header.
    #[error(
        "{}:1: the id mapping starts with the header `previous_id,current_id`, not `{found}`",
        path.display()
    )]
    Header {
        /// The file.
        path: PathBuf,
        /// The first line as read.
        found: String,
    },
    /// A line is not a pair of ids, or repeats or contradicts an earlier line.
    #[error("{}:{line}: {message}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// Two enterprises of the previous wave would carry one id after the mapping.
    #[error(
        "{}: the previous wave's enterprises {first} and {second} would both be {current} after the id mapping; map only one of them to it",
        path.display()
    )]
    Collision {
        /// The file.
        path: PathBuf,
        /// The id they would share.
        current: String,
        /// The first of them (in id order).
        first: String,
        /// The second.
        second: String,
    },
}

/// An enterprise id as the datasets hold it: trimmed, upper case.
pub fn normalise_id(id: &str) -> String {
    id.trim().to_uppercase()
}

/// Previous ids with this wave's id of the same enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMap {
    /// The file it was read from, named in errors.
    pub path: PathBuf,
    /// Previous id -> id now, both normalised.
    to_current: BTreeMap<String, String>,
}

impl IdMap {
    /// Reads the id mapping at `path`.
    pub fn read(path: &Path) -> Result<IdMap, IdMapError> {
        let bytes = survey_files::read::read_bounded(path, MAX_ID_MAP_BYTES).map_err(|e| IdMapError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        IdMap::parse(&bytes, path)
    }

    /// Reads an id mapping from the bytes of a CSV file (UTF-8, a byte order mark allowed,
    /// as Excel writes it); `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<IdMap, IdMapError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let line_error = |line: u64, message: String| IdMapError::Line {
            path: path.to_owned(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(line_error(1, e.to_string())),
            None => {
                return Err(IdMapError::Header {
                    path: path.to_owned(),
                    found: String::new(),
                });
            }
        };
        let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        if names != ID_MAP_HEADER {
            return Err(IdMapError::Header {
                path: path.to_owned(),
                found: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        let mut to_current = BTreeMap::new();
        let mut line_of: HashMap<String, u64> = HashMap::new();
        let mut claimed_by: HashMap<String, (String, u64)> = HashMap::new();
        for record in records {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                line_error(line, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if record.len() != 2 {
                return Err(line_error(
                    line,
                    format!("{} field(s); a line is `previous_id,current_id`", record.len()),
                ));
            }
            let (before, now) = (normalise_id(&record[0]), normalise_id(&record[1]));
            if before.is_empty() || now.is_empty() {
                let which = if before.is_empty() { "previous_id" } else { "current_id" };
                return Err(line_error(line, format!("`{which}` is empty")));
            }
            if let Some(earlier) = line_of.get(&before) {
                return Err(line_error(
                    line,
                    format!("previous id {before} is mapped already, on line {earlier}"),
                ));
            }
            if let Some((other, earlier)) = claimed_by.get(&now) {
                return Err(line_error(
                    line,
                    format!("current id {now} is the id of {other} already, on line {earlier}"),
                ));
            }
            line_of.insert(before.clone(), line);
            claimed_by.insert(now.clone(), (before.clone(), line));
            to_current.insert(before, now);
        }
        Ok(IdMap {
            path: path.to_owned(),
            to_current,
        })
    }

    /// Number of enterprises mapped.
    pub fn len(&self) -> usize {
        self.to_current.len()
    }

    /// True when no enterprise is mapped.
    pub fn is_empty(&self) -> bool {
        self.to_current.is_empty()
    }

    /// This wave's id of the enterprise with `previous` id, when the mapping lists it.
    pub fn current_id(&self, previous: &str) -> Option<&str> {
        self.to_current.get(&normalise_id(previous)).map(String::as_str)
    }

    /// Gives each return of the previous wave's `data` this wave's id of its enterprise
    /// (its own id when the mapping does not list it), keeping the rows in place. Returns
    /// how many ids changed.
    pub fn apply(&self, data: &mut Dataset) -> Result<usize, IdMapError> {
        let mut changed = 0;
        let ids: Vec<String> = data
            .enterprise_ids
            .iter()
            .map(|id| match self.current_id(id) {
                Some(now) => {
                    if now != id {
                        changed += 1;
                    }
                    now.to_owned()
                }
                None => id.clone(),
            })
            .collect();
        let mut row_of: HashMap<String, usize> = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            if let Some(&other) = row_of.get(id) {
                let (a, b) = (&data.enterprise_ids[other], &data.enterprise_ids[row]);
                let (first, second) = if a <= b { (a, b) } else { (b, a) };
                return Err(IdMapError::Collision {
                    path: self.path.clone(),
                    current: id.clone(),
                    first: first.clone(),
                    second: second.clone(),
                });
            }
            row_of.insert(id.clone(), row);
        }
        data.enterprise_ids = ids;
        data.row_of = row_of;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<IdMap, String> {
        IdMap::parse(text.as_bytes(), Path::new("ids.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn ids_are_trimmed_and_upper_cased_and_the_header_may_carry_a_bom() {
        let map = parsed("\u{feff}previous_id,current_id\n 91310110ma1ch5jjdh ,91310110MA1G800001\n\n").unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map.current_id("91310110MA1CH5JJDH"), Some("91310110MA1G800001"));
        assert_eq!(map.current_id(" 91310110ma1ch5jjdh"), Some("91310110MA1G800001"));
        assert_eq!(map.current_id("91310110MA1G800001"), None);
        // Header names in any case, with spaces.
        assert!(parsed("Previous_ID , Current_ID\nA,B\n").is_ok());
    }

    #[test]
    fn a_bad_file_says_which_line_and_why() {
        for (text, want) in [
            (
                "",
                "ids.csv:1: the id mapping starts with the header `previous_id,current_id`, not ``",
            ),
            (
                "old,new\nA,B\n",
                "ids.csv:1: the id mapping starts with the header `previous_id,current_id`, not `old,new`",
            ),
            (
                "previous_id,current_id\nA,B\nC\n",
                "ids.csv:3: 1 field(s); a line is `previous_id,current_id`",
            ),
            (
                "previous_id,current_id\nA,B,C\n",
                "ids.csv:2: 3 field(s); a line is `previous_id,current_id`",
            ),
            ("previous_id,current_id\nA, \n", "ids.csv:2: `current_id` is empty"),
            ("previous_id,current_id\n,B\n", "ids.csv:2: `previous_id` is empty"),
            (
                "previous_id,current_id\nA,B\nC,D\na,E\n",
                "ids.csv:4: previous id A is mapped already, on line 2",
            ),
            (
                "previous_id,current_id\nA,B\nC,b\n",
                "ids.csv:3: current id B is the id of A already, on line 2",
            ),
        ] {
            assert_eq!(parsed(text).unwrap_err(), want, "{text:?}");
        }
    }

    fn previous_wave(ids: &[&str]) -> Dataset {
        Dataset {
            dir: PathBuf::new(),
            responses: polars::prelude::DataFrame::empty(),
            enterprise_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            row_of: ids.iter().enumerate().map(|(i, s)| ((*s).to_owned(), i)).collect(),
            tables: HashMap::new(),
            counts: None,
            latest_submission: None,
        }
    }

    #[test]
    fn mapping_renames_enterprises_in_place_and_refuses_two_on_one_id() {
        let map = parsed("previous_id,current_id\nA,X\nB,B\n").unwrap();
        let mut data = previous_wave(&["A", "B", "C"]);
        assert_eq!(map.apply(&mut data).unwrap(), 1);
        assert_eq!(data.enterprise_ids, ["X", "B", "C"]);
        assert_eq!(data.row_of["X"], 0);
        assert!(!data.row_of.contains_key("A"));
        // C keeps its id and A would become C as well.
        let map = parsed("previous_id,current_id\nA,C\n").unwrap();
        let err = map.apply(&mut previous_wave(&["A", "B", "C"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ids.csv: the previous wave's enterprises A and C would both be C after the id mapping; map only one of them to it"
        );
    }
}
