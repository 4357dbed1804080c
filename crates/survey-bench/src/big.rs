//! The big-file cases: how long the ingest takes over large single files, and how much
//! memory it holds while it reads them.
//!
//! The normal stages read many small files; a return office also receives one large
//! export. A child ([`Stage::BigPrepare`](crate::Stage::BigPrepare)) generates, from one
//! stream of [`survey_sample::write_jsonl_returns`] returns (so no enterprise appears in
//! two files):
//!
//! | file | what it holds |
//! |---|---|
//! | `several/returns-a.json`, `returns-b.json` | one JSON array of returns each, about `size` MB |
//! | `several/wide-a.xlsx`, `wide-b.xlsx` | a wide export each (header of column ids, a row per return, inline strings), about 96% of `size` on disk |
//! | `shared-strings.xlsx` | a wide export whose text answers are all distinct, in the shared strings table: 28,000 strings per MB of `size` (1.4 million at 50) |
//!
//! Workbooks are sized from a calibration sample so that they pass the ingest's default
//! limits: a workbook the guard refuses measures nothing but the refusal, and the limit
//! that binds first, the inflated size (200 MiB), cannot be raised from the command line.
//! Each file records the size asked, what limited it, and the guard's verdict.
//!
//! Each case then runs the command line's own `ingest` in a child process (so that
//! whatever the command sets up around the library, a memory budget included, is what is
//! measured), with nothing but the definition, inputs, output folder, `--jobs` and
//! `--quiet`; time is the child's wall time, start-up included (milliseconds), and
//! returns and their fate come from the `ingest.json` it writes:
//!
//! 1. the JSON array alone; 2. the wide workbook alone; 3. the shared-strings workbook
//!    alone (all cores each); 4. the `several` folder, two arrays and two wide workbooks,
//!    with `--jobs 2`.

use crate::child::{self, StageCommand};
use crate::report::{BigCase, BigFiles, StageRow};
use crate::stage::{Measured, Stage};
use crate::wide::{self, Layout, Strings, TableRows};
use crate::{BenchError, in_child};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write as _};
use std::iter::Peekable;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use survey_def::Definition;
use survey_parse::Limits;

/// Default size of the big files, in MB (10^6 bytes): just under the ingest's 50 MiB
/// file-size limit.
pub const DEFAULT_BIG_FILE_MB: u64 = 50;

/// Distinct shared strings per MB of size: 1.4 million at 50 MB, about what fits in a
/// workbook under the file-size limit.
const STRINGS_PER_MB: u64 = 28_000;

/// Share of the size a wide workbook is asked to take on disk (48 MB at 50).
const WIDE_SHARE: f64 = 0.96;

/// Share of a default limit a workbook is sized to: its size is estimated from a sample,
/// and the guard refuses a file even a byte over.
const LIMIT_SHARE: f64 = 0.95;

/// Returns written to estimate the bytes, inflated bytes and strings of a workbook row.
const CALIBRATION_RETURNS: u64 = 2_000;

/// Folder of the big files under the work folder.
const BIG_DIR: &str = "big";
/// Folder of the files ingested together (case 4), under [`BIG_DIR`].
const SEVERAL_DIR: &str = "several";
/// What the generating child wrote, under [`BIG_DIR`].
const MANIFEST: &str = "inputs.json";

/// Threads of the several-files case, as a machine with two cores runs it.
const SEVERAL_JOBS: usize = 2;

const MB: f64 = 1e6;
const MIB: u64 = 1024 * 1024;

/// The kind of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BigFileKind {
    /// One JSON array of returns.
    JsonArray,
    /// A wide export workbook, text inline.
    WideXlsx,
    /// A wide export workbook whose text answers are all distinct shared strings.
    SharedStringsXlsx,
}

impl BigFileKind {
    fn describe(self) -> &'static str {
        match self {
            BigFileKind::JsonArray => "JSON array",
            BigFileKind::WideXlsx => "wide xlsx",
            BigFileKind::SharedStringsXlsx => "shared-strings xlsx",
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BigFile {
    /// Path under the big-files folder (`several/returns-a.json`).
    pub name: String,
    /// What it is.
    pub kind: BigFileKind,
    /// Bytes on disk.
    pub bytes: u64,
    /// Bytes on disk asked for (strings asked, for the shared-strings workbook, are in
    /// `shared_strings_asked`).
    pub bytes_asked: u64,
    /// Returns in it.
    pub returns: u64,
    /// Columns of a workbook.
    pub columns: Option<usize>,
    /// Bytes of a workbook's parts, inflated.
    pub inflated_bytes: Option<u64>,
    /// Distinct strings of a workbook's shared strings table.
    pub shared_strings: Option<u64>,
    /// Distinct strings asked for.
    pub shared_strings_asked: Option<u64>,
    /// The limit that kept a workbook smaller than asked.
    pub limited_by: Option<String>,
    /// When limited: about how many bytes a workbook of the size asked would inflate to.
    pub inflated_bytes_as_asked: Option<u64>,
    /// What the ingest's guard says of a workbook under the default limits.
    pub guard: Option<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes one JSON array of the records of `lines` (JSON Lines) at `path`: as many as
/// fit in `target` bytes, one at least. Gives the returns and bytes written.
pub(crate) fn write_array<I: Iterator<Item = std::io::Result<String>>>(
    lines: &mut Peekable<I>,
    path: &Path,
    target: u64,
) -> Result<(u64, u64), BenchError> {
    const OPEN: &[u8] = b"[\n";
    const SEPARATOR: &[u8] = b",\n";
    const CLOSE: &[u8] = b"\n]\n";
    let mut out = BufWriter::new(File::create(path).map_err(io(path))?);
    out.write_all(OPEN).map_err(io(path))?;
    let (mut returns, mut bytes) = (0u64, OPEN.len() as u64);
    loop {
        let fits = match lines.peek() {
            None => break,
            // Taken below, to hand on the error.
            Some(Err(_)) => true,
            Some(Ok(line)) => {
                let separator = if returns == 0 { 0 } else { SEPARATOR.len() };
                returns == 0 || bytes + (separator + line.len() + CLOSE.len()) as u64 <= target
            }
        };
        if !fits {
            break;
        }
        let Some(line) = lines.next() else { break };
        let line = line.map_err(io(path))?;
        if returns > 0 {
            out.write_all(SEPARATOR).map_err(io(path))?;
            bytes += SEPARATOR.len() as u64;
        }
        out.write_all(line.as_bytes()).map_err(io(path))?;
        bytes += line.len() as u64;
        returns += 1;
    }
    out.write_all(CLOSE).map_err(io(path))?;
    out.flush().map_err(io(path))?;
    Ok((returns, bytes + CLOSE.len() as u64))
}

/// What the guard makes of a workbook: its inflated bytes (also when refused) and, under
/// the default limits, `None` when it passes or the refusal.
fn inspect(path: &Path) -> Result<(Option<u64>, Option<String>), BenchError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    match survey_parse::guard::check_xlsx(&bytes, &Limits::default()) {
        Ok(facts) => Ok((Some(facts.inflated_bytes), None)),
        Err(refusal) => {
            let open = Limits {
                max_file_bytes: u64::MAX / 4,
                max_inflated_bytes: 1 << 40,
                max_cells_per_sheet: 1 << 40,
                ..Limits::default()
            };
            let inflated = survey_parse::guard::check_xlsx(&bytes, &open)
                .ok()
                .map(|f| f.inflated_bytes);
            Ok((inflated, Some(refusal.to_string())))
        }
    }
}

/// Bytes, inflated bytes and distinct strings per row of a kind of workbook, from a sample.
#[derive(Debug, Clone, Copy)]
struct PerRow {
    disk: f64,
    inflated: f64,
    strings: f64,
}

fn calibrate(layout: &Layout<'_>, records: &[Value], strings: Strings, temp: &Path) -> Result<PerRow, BenchError> {
    let path = temp.join("calibration.xlsx");
    let mut iter = records.iter().cloned().map(Ok);
    let written = wide::write(layout, &mut iter, u64::MAX, strings, &path, temp)?;
    let disk = std::fs::metadata(&path).map_err(io(&path))?.len();
    let (inflated, refused) = inspect(&path)?;
    if let Some(why) = refused {
        return Err(BenchError::Stage(format!(
            "the calibration workbook does not pass the guard: {why}"
        )));
    }
    std::fs::remove_file(&path).map_err(io(&path))?;
    let rows = written.rows.max(1) as f64;
    Ok(PerRow {
        disk: disk as f64 / rows,
        inflated: inflated.unwrap_or_default() as f64 / rows,
        strings: written.shared_strings.unwrap_or_default() as f64 / rows,
    })
}

/// How many rows a workbook gets, and why no more.
#[derive(Debug, Clone, PartialEq)]
struct Sizing {
    rows: u64,
    /// The default limit that admitted fewer rows than asked, if one did.
    limited_by: Option<String>,
    /// When limited: about how many bytes the workbook asked for would inflate to.
    inflated_as_asked: Option<u64>,
}

/// The rows of a workbook: the fewest of those asked (`asked`, one count per thing asked:
/// size, strings) and of those each default limit admits.
fn rows_for(asked: &[f64], per_row: PerRow, width: usize, limits: &Limits) -> Sizing {
    let asked_rows = asked.iter().copied().fold(f64::INFINITY, f64::min);
    let file_limit = format!("the {} MiB file-size limit", limits.max_file_bytes / MIB);
    let inflated_limit = format!("the {} MiB inflated-size limit", limits.max_inflated_bytes / MIB);
    let cells_limit = format!("the {} cells-per-sheet limit", limits.max_cells_per_sheet);
    let returns_limit = format!("the {} returns-per-file limit", limits.max_returns_per_file);
    let bounds = [
        (None, asked_rows),
        (
            Some(file_limit),
            LIMIT_SHARE * limits.max_file_bytes as f64 / per_row.disk,
        ),
        (
            Some(inflated_limit),
            LIMIT_SHARE * limits.max_inflated_bytes as f64 / per_row.inflated,
        ),
        // The header row is a row of the sheet too.
        (
            Some(cells_limit),
            (limits.max_cells_per_sheet / width.max(1) as u64).saturating_sub(1) as f64,
        ),
        (Some(returns_limit), limits.max_returns_per_file as f64),
    ];
    let (limited_by, rows) = bounds
        .into_iter()
        .filter(|(_, rows)| rows.is_finite())
        .fold((None, f64::INFINITY), |best, b| if b.1 < best.1 { b } else { best });
    Sizing {
        rows: (rows.floor() as u64).max(1),
        inflated_as_asked: limited_by.as_ref().map(|_| (asked_rows * per_row.inflated) as u64),
        limited_by,
    }
}

/// Generates the big files under `dir` (the child's side); writes and gives their list.
pub(crate) fn prepare(def: &Definition, dir: &Path, size_mb: u64, seed: u64) -> Result<Vec<BigFile>, BenchError> {
    let big = dir.join(BIG_DIR);
    let several = big.join(SEVERAL_DIR);
    let temp = big.join("tmp");
    for folder in [&several, &temp] {
        std::fs::create_dir_all(folder).map_err(io(folder))?;
    }
    let limits = Limits::default();
    let size = size_mb as f64 * MB;
    let strings_asked = STRINGS_PER_MB * size_mb;

    // Calibration: the first returns of the stream, as each kind of workbook.
    let mut sample = Vec::new();
    let calibration = CALIBRATION_RETURNS.min(survey_sample::MAX_STREAM_RETURNS);
    survey_sample::write_jsonl_returns(def, calibration, seed, &mut sample)?;
    let records: Vec<Value> = sample
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(serde_json::from_slice)
        .collect::<Result<_, _>>()?;
    let line_bytes = sample.len() as f64 / records.len().max(1) as f64;
    let mut sample_rows = TableRows::default();
    records.iter().for_each(|r| sample_rows.observe(def, r));
    let sample_layout = Layout::new(def, &sample_rows);
    let inline = calibrate(&sample_layout, &records, Strings::Inline, &temp)?;
    let distinct = calibrate(&sample_layout, &records, Strings::Distinct, &temp)?;
    drop(records);
    let wide_asked = WIDE_SHARE * size;
    let plan = |width: usize| {
        let wide = rows_for(&[wide_asked / inline.disk], inline, width, &limits);
        let strings = rows_for(
            &[
                strings_asked as f64 / distinct.strings.max(f64::MIN_POSITIVE),
                size / distinct.disk,
            ],
            distinct,
            width,
            &limits,
        );
        (wide, strings)
    };

    // One stream of returns for every file, long enough for all of them (the layout of
    // the whole stream can only be wider than the sample's, so fewer rows, not more).
    let (wide, strings) = plan(sample_layout.width());
    let array_returns = (size / line_bytes * 1.05).ceil() as u64 + 1;
    let total = (2 * array_returns + 2 * wide.rows + strings.rows).min(survey_sample::MAX_STREAM_RETURNS);
    let source = temp.join("returns.jsonl");
    survey_sample::write_jsonl_returns(def, total, seed, File::create(&source).map_err(io(&source))?)?;
    let open = || -> Result<_, BenchError> {
        Ok(BufReader::new(File::open(&source).map_err(io(&source))?)
            .lines()
            .peekable())
    };
    let mut rows = TableRows::default();
    for line in open()? {
        rows.observe(def, &serde_json::from_str(&line.map_err(io(&source))?)?);
    }
    let layout = Layout::new(def, &rows);
    let (wide, strings) = plan(layout.width());

    let mut lines = open()?;
    let mut files = Vec::new();
    let array = |lines: &mut Peekable<_>, name: &str| -> Result<BigFile, BenchError> {
        let path = big.join(name);
        let (returns, bytes) = write_array(lines, &path, size as u64)?;
        Ok(BigFile {
            name: name.to_owned(),
            kind: BigFileKind::JsonArray,
            bytes,
            bytes_asked: size as u64,
            returns,
            columns: None,
            inflated_bytes: None,
            shared_strings: None,
            shared_strings_asked: None,
            limited_by: None,
            inflated_bytes_as_asked: None,
            guard: None,
        })
    };
    let workbook =
        |lines: &mut Peekable<_>, name: &str, kind: Strings, sizing: &Sizing| -> Result<BigFile, BenchError> {
            let path = big.join(name);
            let mut records = lines.map(|l: std::io::Result<String>| -> Result<Value, BenchError> {
                Ok(serde_json::from_str(&l.map_err(io(&source))?)?)
            });
            let written = wide::write(&layout, &mut records, sizing.rows, kind, &path, &temp)?;
            let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
            let (inflated, guard) = inspect(&path)?;
            let shared = kind == Strings::Distinct;
            Ok(BigFile {
                name: name.to_owned(),
                kind: if shared {
                    BigFileKind::SharedStringsXlsx
                } else {
                    BigFileKind::WideXlsx
                },
                bytes,
                bytes_asked: if shared { size } else { wide_asked } as u64,
                returns: written.rows,
                columns: Some(layout.width()),
                inflated_bytes: inflated,
                shared_strings: written.shared_strings,
                shared_strings_asked: shared.then_some(strings_asked),
                limited_by: sizing.limited_by.clone(),
                inflated_bytes_as_asked: sizing.inflated_as_asked,
                guard,
            })
        };
    files.push(array(&mut lines, &format!("{SEVERAL_DIR}/returns-a.json"))?);
    let wide_a = format!("{SEVERAL_DIR}/wide-a.xlsx");
    files.push(workbook(&mut lines, &wide_a, Strings::Inline, &wide)?);
    files.push(workbook(
        &mut lines,
        "shared-strings.xlsx",
        Strings::Distinct,
        &strings,
    )?);
    files.push(array(&mut lines, &format!("{SEVERAL_DIR}/returns-b.json"))?);
    let wide_b = format!("{SEVERAL_DIR}/wide-b.xlsx");
    files.push(workbook(&mut lines, &wide_b, Strings::Inline, &wide)?);
    drop(lines);
    std::fs::remove_dir_all(&temp).map_err(io(&temp))?;
    let manifest = big.join(MANIFEST);
    std::fs::write(&manifest, serde_json::to_string_pretty(&files)?).map_err(io(&manifest))?;
    Ok(files)
}

/// Whether `ingest` offers a memory budget, and its default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryBudget {
    /// `ingest --help` lists `--max-memory`.
    pub offered: bool,
    /// Its default as the help prints it.
    pub default: Option<String>,
}

impl MemoryBudget {
    /// One line for the table.
    pub fn note(&self) -> String {
        match (self.offered, &self.default) {
            (false, _) => "ingest has no --max-memory option in this build".into(),
            (true, Some(default)) => {
                format!("ingest --max-memory defaults to {default}; the cases pass nothing, so every case ran with it")
            }
            (true, None) => "ingest offers --max-memory (no default shown); the cases pass nothing".into(),
        }
    }
}

/// Reads `--max-memory` and its default from `ingest --help`.
pub(crate) fn memory_budget_in(help: &str) -> MemoryBudget {
    let Some(at) = help.find("--max-memory") else {
        return MemoryBudget {
            offered: false,
            default: None,
        };
    };
    // The option's text runs to the next line that starts another option.
    let mut text = String::new();
    for (i, line) in help[at..].lines().enumerate() {
        if i > 0 && line.trim_start().starts_with('-') {
            break;
        }
        text.push_str(line.trim());
        text.push(' ');
    }
    let default = text
        .split_once("[default: ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(value, _)| value.trim().to_owned());
    MemoryBudget { offered: true, default }
}

fn memory_budget(command: &StageCommand) -> MemoryBudget {
    let help = Command::new(&command.program)
        .args(["ingest", "--help"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    memory_budget_in(&help)
}

/// Bytes of the files at `path` (a file, or every file in a folder).
fn bytes_at(path: &Path) -> Result<u64, BenchError> {
    if !path.is_dir() {
        return Ok(std::fs::metadata(path).map_err(io(path))?.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path).map_err(io(path))? {
        total += bytes_at(&entry.map_err(io(path))?.path())?;
    }
    Ok(total)
}

/// One case: `ingest` over `inputs` in a child, timed and measured from here.
#[allow(clippy::too_many_arguments)]
fn ingest_case(
    command: &StageCommand,
    work: &Path,
    definition: &Path,
    (id, label): (&str, String),
    inputs: &[PathBuf],
    out: &Path,
    jobs: usize,
    files: usize,
) -> Result<BigCase, BenchError> {
    let mut args: Vec<PathBuf> = vec!["ingest".into(), definition.to_owned()];
    args.extend(inputs.iter().cloned());
    args.extend([
        "--output".into(),
        out.to_owned(),
        "--jobs".into(),
        jobs.to_string().into(),
        "--quiet".into(),
    ]);
    let mut child = Command::new(&command.program);
    child
        .args(&args)
        .env("POLARS_MAX_THREADS", jobs.to_string())
        .env("RAYON_NUM_THREADS", jobs.to_string());
    let start = Instant::now();
    let done = child::run(child, &label)?;
    let seconds = start.elapsed().as_secs_f64();
    let summary_path = out.join(survey_files::dataset::INGEST_JSON);
    let text = std::fs::read_to_string(&summary_path).map_err(io(&summary_path))?;
    let summary: survey_files::dataset::IngestSummary = serde_json::from_str(&text)?;
    let mut bytes = 0;
    for input in inputs {
        bytes += bytes_at(input)?;
    }
    let measured = Measured {
        returns: summary.received,
        bytes,
        seconds,
    };
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.strip_prefix(work).unwrap_or(a).display().to_string())
        .collect();
    Ok(BigCase {
        row: StageRow::new(id, label, jobs, &measured, done.peak_rss),
        files,
        accepted: summary.accepted,
        rejected: summary.rejected,
        superseded: summary.superseded,
        rejections_by_rule: summary.rejections_by_rule,
        command: format!("labor-survey {}", shown.join(" ")),
    })
}

/// Generates the big files in the work folder `dir` and runs every case.
pub(crate) fn run(
    command: &StageCommand,
    dir: &Path,
    definition: &Path,
    (size_mb, seed, threads): (u64, u64, usize),
    progress: &dyn Fn(&str),
) -> Result<BigFiles, BenchError> {
    progress(&format!("big files: generating files of about {size_mb} MB"));
    let prepare = Stage::BigPrepare {
        definition: definition.to_owned(),
        dir: dir.to_owned(),
        size_mb,
        seed,
    };
    in_child(command, &prepare, threads, "generating the big files")?;
    let big = dir.join(BIG_DIR);
    let manifest = big.join(MANIFEST);
    let files: Vec<BigFile> = serde_json::from_str(&std::fs::read_to_string(&manifest).map_err(io(&manifest))?)?;
    let find = |kind: BigFileKind| {
        files
            .iter()
            .find(|f| f.kind == kind)
            .ok_or_else(|| BenchError::Stage(format!("no {} was generated", kind.describe())))
    };
    let strings = find(BigFileKind::SharedStringsXlsx)?.shared_strings.unwrap_or_default();
    let several = files.iter().filter(|f| f.name.starts_with(SEVERAL_DIR)).count();
    let cases = [
        (
            "big-json",
            format!("JSON array, 1 file, --jobs {threads}"),
            big.join(&find(BigFileKind::JsonArray)?.name),
            threads,
            1,
        ),
        (
            "big-wide",
            format!("wide xlsx, 1 file, --jobs {threads}"),
            big.join(&find(BigFileKind::WideXlsx)?.name),
            threads,
            1,
        ),
        (
            "big-strings",
            format!(
                "xlsx of {:.2} M shared strings, 1 file, --jobs {threads}",
                strings as f64 / 1e6
            ),
            big.join(&find(BigFileKind::SharedStringsXlsx)?.name),
            threads,
            1,
        ),
        (
            "big-several",
            format!("{several} files (JSON arrays, wide xlsx) in one ingest, --jobs {SEVERAL_JOBS}"),
            big.join(SEVERAL_DIR),
            SEVERAL_JOBS,
            several,
        ),
    ];
    let out = dir.join("out");
    let mut rows = Vec::new();
    for (id, label, input, jobs, count) in cases {
        progress(&format!("big files: {label}"));
        rows.push(ingest_case(
            command,
            dir,
            definition,
            (id, label),
            &[input],
            &out.join(id),
            jobs,
            count,
        )?);
    }
    Ok(BigFiles {
        size_mb,
        files,
        cases: rows,
        memory_budget: memory_budget(command),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use survey_parse::raw::Received;

    fn shipped() -> Definition {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
        survey_def::load(&path).expect("the shipped definition loads")
    }

    #[test]
    fn a_json_array_holds_as_many_returns_as_fit_and_reads_as_them() {
        let def = shipped();
        let mut jsonl = Vec::new();
        survey_sample::write_jsonl_returns(&def, 50, 7, &mut jsonl).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("returns.json");
        let mut lines = Cursor::new(jsonl).lines().peekable();
        let (returns, bytes) = write_array(&mut lines, &path, 40_000).unwrap();
        assert!((5..50).contains(&returns), "{returns} returns");
        assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());
        assert!(bytes <= 40_000, "{bytes} bytes");
        // The next return is left for the next file.
        assert_eq!(lines.count() as u64, 50 - returns);

        let parsed: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(parsed.len() as u64, returns);
        let mut read = 0u64;
        survey_parse::read::read_file(&path, "returns.json", &def, &Limits::default(), &mut |r| {
            assert!(matches!(r, Received::Return(_)), "{r:?}");
            read += 1;
        });
        assert_eq!(read, returns);
    }

    #[test]
    fn a_return_larger_than_the_target_still_makes_a_file_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.json");
        let mut lines = Cursor::new("{\"a\": 1}\n{\"a\": 2}\n").lines().peekable();
        assert_eq!(write_array(&mut lines, &path, 3).unwrap(), (1, 13));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[\n{\"a\": 1}\n]\n");
    }

    #[test]
    fn the_binding_limit_is_named_and_an_asked_size_within_limits_is_not() {
        let limits = Limits::default();
        let per_row = PerRow {
            disk: 400.0,
            inflated: 4_000.0,
            strings: 30.0,
        };
        // 48 MB at 400 bytes a row is 120,000 rows, 480 MB inflated: the inflated limit binds.
        let sizing = rows_for(&[120_000.0, 150_000.0], per_row, 200, &limits);
        assert_eq!(sizing.rows, (0.95 * 200.0 * 1024.0 * 1024.0 / 4_000.0) as u64);
        assert_eq!(sizing.limited_by.as_deref(), Some("the 200 MiB inflated-size limit"));
        // What the fewer rows asked for would have inflated to.
        assert_eq!(sizing.inflated_as_asked, Some(480_000_000));
        let sizing = rows_for(&[1_000.0, 2_000.0], per_row, 200, &limits);
        assert_eq!(
            sizing,
            Sizing {
                rows: 1_000,
                limited_by: None,
                inflated_as_asked: None
            }
        );
        // 30 columns a row of 200: the cells limit before the inflated one.
        let narrow = PerRow {
            inflated: 400.0,
            ..per_row
        };
        let sizing = rows_for(&[1e7], narrow, 30_000, &limits);
        assert_eq!(sizing.rows, 20_000_000 / 30_000 - 1);
        assert_eq!(sizing.limited_by.as_deref(), Some("the 20000000 cells-per-sheet limit"));
    }

    #[test]
    fn the_memory_budget_and_its_default_are_read_from_the_help() {
        let help = "Options:\n      --jobs <JOBS>\n          Worker threads\n      --max-memory <MAX_MEMORY>\n          Memory one ingest may use\n          \n          [default: 1GiB]\n      --quiet\n          Do not show a progress bar\n";
        let budget = memory_budget_in(help);
        assert_eq!(
            budget,
            MemoryBudget {
                offered: true,
                default: Some("1GiB".into())
            }
        );
        assert!(!memory_budget_in("Options:\n      --jobs <JOBS>  [default: 4]\n").offered);
        // A default of a later option is not taken for the budget's.
        let later = "      --max-memory <BYTES>  Memory\n      --quiet  [default: false]\n";
        assert_eq!(memory_budget_in(later).default, None);
    }
}
