//! `manifest.json`: what was generated, return by return, so tests can check an ingest
//! run against it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the ingest should make of a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// Clean (variants included): accepted.
    Accepted,
    /// A flaw in its answers: rejected.
    Rejected,
    /// An earlier return of an enterprise that sent a later one.
    Superseded,
    /// The file or line cannot be read at all.
    Unreadable,
}

/// One return as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnEntry {
    /// Path under the output folder, with `/`.
    pub file: String,
    /// Line of a JSON Lines file (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Row of the wide workbook (1-based, as Excel numbers it; row 1 is the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// `xlsx`, `json`, `jsonl` or `wide`.
    pub format: String,
    /// Language of a template workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The enterprise's true credit code (also when the return spells it wrongly).
    pub enterprise_id: String,
    /// The date filed (`YYYY-MM-DD`).
    pub submitted_on: String,
    /// RFC 3339 submission time (written in JSON, JSON Lines and wide returns).
    pub submitted_at: String,
    /// The planted flaw, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flaw: Option<String>,
    /// Where the flaw is: question id, or `table[row].column`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flaw_question: Option<String>,
    /// What was written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flaw_value: Option<String>,
    /// Harmless variants (`kind:question`), which the ingest must normalise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// For a duplicate pair: the file of the other return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// What the ingest should make of it.
    pub expected: Expected,
}

/// One return of the previous wave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousEntry {
    /// Line of `previous/returns.jsonl` (1-based).
    pub line: u64,
    /// The enterprise's credit code.
    pub enterprise_id: String,
    /// Headcount reported in the previous wave.
    pub employees_previous: u64,
    /// Headcount in the frame (the current wave's `employees_now`).
    pub employees_current: u64,
    /// Whether the enterprise also responds in the current wave.
    pub current_respondent: bool,
    /// `current_x5` or `current_div5` for a planted Hidiroglou-Berthelot outlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier: Option<String>,
}

/// The previous wave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// Path of the JSON Lines file under the output folder.
    pub file: String,
    /// Its returns, by line.
    pub returns: Vec<PreviousEntry>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Survey id of the definition.
    pub survey: String,
    /// Its version.
    pub version: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The seed used.
    pub seed: u64,
    /// Enterprises in the frame.
    pub population: usize,
    /// Enterprises that responded.
    pub respondents: usize,
    /// Share of returns asked to carry a flaw.
    pub flawed_share: f64,
    /// Share of the frame that responds.
    pub response_rate: f64,
    /// Returns by format, flaw and expected outcome.
    pub counts: BTreeMap<String, BTreeMap<String, usize>>,
    /// Every return of the current wave, sorted by file and line or row.
    pub returns: Vec<ReturnEntry>,
    /// The previous wave, when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

impl Manifest {
    /// Tallies `returns` by format, flaw and expected outcome.
    pub fn tally(returns: &[ReturnEntry]) -> BTreeMap<String, BTreeMap<String, usize>> {
        let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for r in returns {
            *counts
                .entry("format".into())
                .or_default()
                .entry(r.format.clone())
                .or_default() += 1;
            let flaw = r.flaw.clone().unwrap_or_else(|| "none".into());
            *counts.entry("flaw".into()).or_default().entry(flaw).or_default() += 1;
            let expected = serde_json::to_value(r.expected)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            *counts
                .entry("expected".into())
                .or_default()
                .entry(expected.unwrap_or_default())
                .or_default() += 1;
            if !r.variants.is_empty() {
                *counts
                    .entry("variants".into())
                    .or_default()
                    .entry("returns".into())
                    .or_default() += 1;
            }
        }
        counts
    }
}
