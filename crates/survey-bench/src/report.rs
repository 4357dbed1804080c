//! The measured table and the ratios, as text or JSON.

use crate::big::{BigFile, MemoryBudget};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Bytes in the MB of the table (decimal megabytes).
const MB: f64 = 1e6;

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// What it ran on.
    pub inputs: InputsSummary,
    /// One row per stage, in the order run.
    pub stages: Vec<StageRow>,
    /// Time per return of one stage over another's.
    pub ratios: Vec<Ratio>,
    /// Whether the peer readers ran, and why not.
    pub peers: PeerStatus,
    /// The big-file cases, when asked for (`--big-files`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub big_files: Option<BigFiles>,
}

/// The big-file cases: what was generated and what the ingest made of it.
#[derive(Debug, Clone, Serialize)]
pub struct BigFiles {
    /// Size asked for, in MB.
    pub size_mb: u64,
    /// The generated files.
    pub files: Vec<BigFile>,
    /// One row per case, in the order run.
    pub cases: Vec<BigCase>,
    /// Whether `ingest` has a memory budget the cases ran under.
    pub memory_budget: MemoryBudget,
}

/// One big-file case: an `ingest` command over one or more big files.
#[derive(Debug, Clone, Serialize)]
pub struct BigCase {
    /// Time, throughput and peak memory (`returns` are those received).
    #[serde(flatten)]
    pub row: StageRow,
    /// Files read.
    pub files: usize,
    /// Returns accepted into the dataset.
    pub accepted: u64,
    /// Returns rejected (a file refused whole counts as one).
    pub rejected: u64,
    /// Returns superseded by a later return of the same enterprise.
    pub superseded: u64,
    /// Problems by rule, as `ingest.json` counts them.
    pub rejections_by_rule: BTreeMap<String, u64>,
    /// The command run, paths under the work folder relative to it.
    pub command: String,
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Cores available to this process.
    pub cores: usize,
    /// Threads of the "all cores" stages (`--jobs`, or the cores).
    pub threads: usize,
    /// Operating system.
    pub os: &'static str,
    /// Processor architecture.
    pub arch: &'static str,
    /// Load averages (1, 5, 15 minutes) before and after the run, where the system
    /// reports them: other work on the machine skews the times.
    pub load_average: Option<(String, String)>,
}

/// The inputs.
#[derive(Debug, Clone, Serialize)]
pub struct InputsSummary {
    /// Template workbooks read by the xlsx stages.
    pub workbooks: usize,
    /// Returns in the JSON Lines file.
    pub jsonl_returns: u64,
    /// Seed of the generated data.
    pub seed: u64,
    /// Folder kept with `--keep` (otherwise removed).
    pub kept: Option<PathBuf>,
}

/// One measured stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    /// Short stable name (`xlsx-read-1`, `jsonl-ingest`...), used by the ratios.
    pub id: String,
    /// What ran.
    pub label: String,
    /// Threads it was given.
    pub threads: usize,
    /// Returns handled.
    pub returns: u64,
    /// Input megabytes.
    pub mb: f64,
    /// Wall time of the work, in seconds.
    pub seconds: f64,
    /// Returns per second.
    pub returns_per_second: f64,
    /// Input megabytes per second.
    pub mb_per_second: f64,
    /// Peak resident memory of the process that did the work, in megabytes.
    pub peak_rss_mb: Option<f64>,
}

impl StageRow {
    pub(crate) fn new(id: &str, label: String, threads: usize, m: &crate::stage::Measured, rss: Option<u64>) -> Self {
        let seconds = m.seconds.max(f64::EPSILON);
        let mb = m.bytes as f64 / MB;
        StageRow {
            id: id.to_owned(),
            label,
            threads,
            returns: m.returns,
            mb,
            seconds: m.seconds,
            returns_per_second: m.returns as f64 / seconds,
            mb_per_second: mb / seconds,
            peak_rss_mb: rss.map(|b| b as f64 / MB),
        }
    }
}

/// How much longer one stage takes per return than another.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// What is compared.
    pub label: String,
    /// Stage ids: time per return of `of` over that of `over`.
    pub of: String,
    /// The stage it is compared with.
    pub over: String,
    /// The ratio.
    pub value: f64,
}

/// The 1, 5 and 15 minute load averages, on systems with `/proc/loadavg`.
pub(crate) fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// The ratios worth watching (each stage over its floor, the peers over the ingest), from
/// the rows present.
pub(crate) fn ratios(stages: &[StageRow], threads: usize) -> Vec<Ratio> {
    let per_return = |id: &str| {
        stages
            .iter()
            .find(|s| s.id == id)
            .filter(|s| s.returns_per_second > 0.0)
            .map(|s| 1.0 / s.returns_per_second)
    };
    let all = format!("{threads} threads");
    let wanted = [
        (
            format!("xlsx: full ingest / bare read, {all}"),
            "xlsx-ingest-all",
            "xlsx-read-all",
        ),
        (
            "xlsx: full ingest / bare read, 1 thread".to_owned(),
            "xlsx-ingest-1",
            "xlsx-read-1",
        ),
        (
            format!("JSON Lines: full ingest ({all}) / bare parse (1 thread)"),
            "jsonl-ingest",
            "jsonl-parse",
        ),
        (
            "analysis: analyze / bare Parquet scan".to_owned(),
            "analyze",
            "parquet-scan",
        ),
        (
            "xlsx peers: pandas + openpyxl / full ingest, 1 thread".to_owned(),
            "peer-openpyxl",
            "xlsx-ingest-1",
        ),
        (
            "xlsx peers: pandas (calamine engine) / full ingest, 1 thread".to_owned(),
            "peer-pandas-calamine",
            "xlsx-ingest-1",
        ),
        (
            "xlsx peers: python-calamine / full ingest, 1 thread".to_owned(),
            "peer-python-calamine",
            "xlsx-ingest-1",
        ),
        // The peers are single-threaded readers: what an analyst gets from them, against
        // the ingest on every core.
        (
            format!("xlsx peers: pandas + openpyxl / full ingest, {all}"),
            "peer-openpyxl",
            "xlsx-ingest-all",
        ),
        (
            format!("xlsx peers: python-calamine / full ingest, {all}"),
            "peer-python-calamine",
            "xlsx-ingest-all",
        ),
        (
            "xlsx peers: python-calamine / bare read, 1 thread".to_owned(),
            "peer-python-calamine",
            "xlsx-read-1",
        ),
    ];
    wanted
        .into_iter()
        .filter_map(|(label, of, over)| {
            Some(Ratio {
                value: per_return(of)? / per_return(over)?,
                label,
                of: of.to_owned(),
                over: over.to_owned(),
            })
        })
        .collect()
}

/// Whether the peer readers ran.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    /// They ran and their rows are in the table.
    pub ran: bool,
    /// Versions, or why they were skipped.
    pub note: String,
}

impl Report {
    /// The table and the ratios as aligned text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "{} workbooks, {} JSON Lines returns (seed {}); {} cores ({} {}), all-cores stages on {} threads",
            self.inputs.workbooks, self.inputs.jsonl_returns, self.inputs.seed, m.cores, m.os, m.arch, m.threads
        );
        if let Some((before, after)) = &m.load_average {
            let _ = writeln!(out, "load average before {before}, after {after}");
        }
        let width = self
            .stages
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>9}  {:>8}  {:>8}  {:>10}  {:>8}  {:>11}",
            "stage", "returns", "MB", "seconds", "returns/s", "MB/s", "peak RSS MB"
        );
        for s in &self.stages {
            let rss = s.peak_rss_mb.map_or("-".to_owned(), |r| format!("{r:.0}"));
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>8.1}  {:>8.2}  {:>10.0}  {:>8.1}  {:>11}",
                s.label, s.returns, s.mb, s.seconds, s.returns_per_second, s.mb_per_second, rss
            );
        }
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "\ntime per return, ratio:");
            let width = self.ratios.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
            for r in &self.ratios {
                let _ = writeln!(out, "  {:<width$}  {:>7.2}", r.label, r.value);
            }
        }
        let _ = writeln!(out, "\npeers: {}", self.peers.note);
        if let Some(big) = &self.big_files {
            big.write_text(&mut out);
        }
        if let Some(dir) = &self.inputs.kept {
            let _ = writeln!(out, "inputs and outputs kept in {}", dir.display());
        }
        out
    }
}

impl BigFiles {
    fn write_text(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nbig files (about {} MB; each case one `labor-survey ingest` in its own process, wall time including start-up):",
            self.size_mb
        );
        let width = self
            .cases
            .iter()
            .map(|c| c.row.label.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>9}  {:>9}  {:>8}  {:>8}  {:>8}  {:>10}  {:>8}  {:>11}",
            "case", "files", "returns", "accepted", "rejected", "MB", "seconds", "returns/s", "MB/s", "peak RSS MB"
        );
        for c in &self.cases {
            let s = &c.row;
            let rss = s.peak_rss_mb.map_or("-".to_owned(), |r| format!("{r:.0}"));
            let _ = writeln!(
                out,
                "{:<width$}  {:>5}  {:>9}  {:>9}  {:>8}  {:>8.1}  {:>8.2}  {:>10.0}  {:>8.1}  {:>11}",
                s.label,
                c.files,
                s.returns,
                c.accepted,
                c.rejected,
                s.mb,
                s.seconds,
                s.returns_per_second,
                s.mb_per_second,
                rss
            );
        }
        for c in self.cases.iter().filter(|c| !c.rejections_by_rule.is_empty()) {
            let rules: Vec<String> = c.rejections_by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
            let _ = writeln!(out, "  {}: problems by rule: {}", c.row.id, rules.join(", "));
        }
        let _ = writeln!(out, "{}", self.memory_budget.note());
        let _ = writeln!(out, "files:");
        let width = self.files.iter().map(|f| f.name.chars().count()).max().unwrap_or(0);
        for f in &self.files {
            let mut facts = vec![
                format!("{:.1} MB", f.bytes as f64 / MB),
                format!("{} returns", f.returns),
            ];
            if let Some(columns) = f.columns {
                facts.push(format!("{columns} columns"));
            }
            if let Some(inflated) = f.inflated_bytes {
                facts.push(format!("{:.1} MB inflated", inflated as f64 / MB));
            }
            if let Some(strings) = f.shared_strings {
                facts.push(format!("{strings} shared strings"));
            }
            let _ = write!(out, "  {:<width$}  {}", f.name, facts.join(", "));
            if let Some(by) = &f.limited_by {
                let asked = match f.shared_strings_asked {
                    Some(strings) => format!("{strings} strings in {:.1} MB", f.bytes_asked as f64 / MB),
                    None => format!("{:.1} MB", f.bytes_asked as f64 / MB),
                };
                let _ = write!(out, "; held under {by} (asked: {asked}");
                if let Some(inflated) = f.inflated_bytes_as_asked {
                    let _ = write!(out, ", which would inflate to about {:.0} MB", inflated as f64 / MB);
                }
                let _ = write!(out, ")");
            }
            if let Some(refusal) = &f.guard {
                let _ = write!(out, "; the guard refuses it: {refusal}");
            }
            let _ = writeln!(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::Measured;

    fn row(id: &str, returns: u64, seconds: f64) -> StageRow {
        let m = Measured {
            returns,
            bytes: 2_000_000,
            seconds,
        };
        StageRow::new(id, id.to_owned(), 1, &m, Some(50_000_000))
    }

    #[test]
    fn rates_are_per_second_and_ratios_per_return() {
        let r = row("xlsx-read-all", 100, 0.5);
        assert_eq!((r.returns_per_second, r.mb, r.mb_per_second), (200.0, 2.0, 4.0));
        assert_eq!(r.peak_rss_mb, Some(50.0));
        // 100 returns in 0.5 s against 50 returns in 1 s: 4 times the time per return.
        let stages = [r, row("xlsx-ingest-all", 50, 1.0)];
        let ratios = ratios(&stages, 2);
        assert_eq!(ratios.len(), 1);
        assert_eq!(ratios[0].value, 4.0);
        assert_eq!(ratios[0].label, "xlsx: full ingest / bare read, 2 threads");
    }
}
