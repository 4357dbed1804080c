//! The stages, as run inside a child process: each does its work once, timed from the
//! first input byte read to the last output byte written, and reports what it handled.

use crate::BenchError;
use calamine::{Reader, Xlsx};
use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One stage, as passed to the child process (serialised as JSON on its command line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "kebab-case")]
pub enum Stage {
    /// Generates the inputs into `dir` (not timed: it runs in a child of its own so that
    /// the memory it takes is not counted in the peaks of the stages that follow, which
    /// on Linux inherit the peak of the process they are started from).
    Prepare {
        /// Definition file.
        definition: PathBuf,
        /// Work folder.
        dir: PathBuf,
        /// Responding enterprises of the sample.
        enterprises: usize,
        /// Returns in the JSON Lines file.
        jsonl_returns: u64,
        /// Seed.
        seed: u64,
    },
    /// calamine opens each workbook of `dir` and visits every cell of every sheet with the
    /// streaming cell reader; nothing is checked or kept.
    XlsxRead {
        /// Folder of template workbooks.
        dir: PathBuf,
        /// Threads (1: a plain loop; more: a rayon pool over files).
        jobs: usize,
    },
    /// The full ingest of a folder or file: every check, Parquet and reports written.
    Ingest {
        /// Definition file.
        definition: PathBuf,
        /// Returns (a folder of workbooks or a JSON Lines file).
        input: PathBuf,
        /// Output folder.
        out: PathBuf,
        /// Worker threads.
        jobs: usize,
    },
    /// serde_json parses every line of a JSON Lines file into a `serde_json::Value`.
    JsonlParse {
        /// The file.
        file: PathBuf,
    },
    /// The full analysis of an ingested dataset, workbooks and summary written.
    Analyze {
        /// Definition file.
        definition: PathBuf,
        /// Dataset folder written by the ingest.
        dataset: PathBuf,
        /// Sampling frame.
        frame: PathBuf,
        /// Dataset folder of the previous wave.
        previous: PathBuf,
        /// Report folder.
        out: PathBuf,
    },
    /// polars reads every Parquet file of a dataset folder in full
    /// (`LazyFrame::scan_parquet(..).collect()`).
    ParquetScan {
        /// Dataset folder.
        dataset: PathBuf,
    },
    /// Generates the big files of the big-file cases under `dir` (not timed, and in a
    /// child of its own for the same reason as [`Stage::Prepare`]).
    BigPrepare {
        /// Definition file.
        definition: PathBuf,
        /// Work folder.
        dir: PathBuf,
        /// Size of the files, in MB.
        size_mb: u64,
        /// Seed.
        seed: u64,
    },
}

/// What a stage handled and how long it took; the child prints it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Returns handled (workbooks, lines, dataset rows).
    pub returns: u64,
    /// Input bytes read.
    pub bytes: u64,
    /// Wall time of the work.
    pub seconds: f64,
}

/// Runs a stage in this process.
pub fn run(stage: &Stage) -> Result<Measured, BenchError> {
    match stage {
        Stage::Prepare {
            definition,
            dir,
            enterprises,
            jsonl_returns,
            seed,
        } => {
            let start = Instant::now();
            let inputs = crate::setup::prepare(&load(definition)?, dir, *enterprises, *jsonl_returns, *seed)?;
            Ok(Measured {
                returns: inputs.workbook_count as u64,
                bytes: 0,
                seconds: start.elapsed().as_secs_f64(),
            })
        }
        Stage::XlsxRead { dir, jobs } => xlsx_read(dir, *jobs),
        Stage::Ingest {
            definition,
            input,
            out,
            jobs,
        } => ingest(definition, input, out, *jobs),
        Stage::JsonlParse { file } => jsonl_parse(file),
        Stage::Analyze {
            definition,
            dataset,
            frame,
            previous,
            out,
        } => analyze(definition, dataset, frame, previous, out),
        Stage::ParquetScan { dataset } => parquet_scan(dataset),
        Stage::BigPrepare {
            definition,
            dir,
            size_mb,
            seed,
        } => {
            let start = Instant::now();
            let files = crate::big::prepare(&load(definition)?, dir, *size_mb, *seed)?;
            Ok(Measured {
                returns: files.iter().map(|f| f.returns).sum(),
                bytes: files.iter().map(|f| f.bytes).sum(),
                seconds: start.elapsed().as_secs_f64(),
            })
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_owned(),
        source,
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Stage(format!("{what}: {e}"))
}

/// The `.xlsx` files of `dir`, sorted.
pub(crate) fn workbooks(dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "xlsx") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Cells of every sheet of one workbook; the bytes read.
fn visit_workbook(path: &Path) -> Result<(u64, u64), BenchError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let damaged = |e: calamine::XlsxError| failed(&path.display().to_string(), e);
    let mut book = Xlsx::new(Cursor::new(bytes.as_slice())).map_err(damaged)?;
    let mut cells = 0u64;
    for name in book.sheet_names() {
        let mut reader = book.worksheet_cells_reader(&name).map_err(damaged)?;
        while let Some(cell) = reader.next_cell().map_err(damaged)? {
            std::hint::black_box(cell.get_value());
            cells += 1;
        }
    }
    std::hint::black_box(cells);
    Ok((cells, bytes.len() as u64))
}

fn xlsx_read(dir: &Path, jobs: usize) -> Result<Measured, BenchError> {
    let files = workbooks(dir)?;
    let start = Instant::now();
    let visited: Vec<(u64, u64)> = if jobs <= 1 {
        files.iter().map(|f| visit_workbook(f)).collect::<Result<_, _>>()?
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(|e| failed("threads", e))?;
        pool.install(|| files.par_iter().map(|f| visit_workbook(f)).collect::<Result<_, _>>())?
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measured {
        returns: files.len() as u64,
        bytes: visited.iter().map(|(_, b)| b).sum(),
        seconds,
    })
}

fn input_bytes(path: &Path) -> Result<u64, BenchError> {
    if path.is_file() {
        return Ok(std::fs::metadata(path).map_err(io(path))?.len());
    }
    let mut total = 0;
    for f in workbooks(path)? {
        total += std::fs::metadata(&f).map_err(io(&f))?.len();
    }
    Ok(total)
}

fn load(definition: &Path) -> Result<survey_def::Definition, BenchError> {
    survey_def::load(definition).map_err(|e| failed(&definition.display().to_string(), e))
}

fn ingest(definition: &Path, input: &Path, out: &Path, jobs: usize) -> Result<Measured, BenchError> {
    let def = load(definition)?;
    let bytes = input_bytes(input)?;
    let options = survey_parse::Options {
        jobs: Some(jobs),
        ..survey_parse::Options::default()
    };
    let start = Instant::now();
    let inputs = survey_parse::collect_inputs(&[input.to_owned()]).map_err(|e| failed("ingest", e))?;
    let run = survey_parse::ingest(&def, &inputs, &options, &|| {}).map_err(|e| failed("ingest", e))?;
    survey_parse::write_outputs(&def, &run, out).map_err(|e| failed("ingest", e))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measured {
        returns: run.summary.received,
        bytes,
        seconds,
    })
}

fn jsonl_parse(file: &Path) -> Result<Measured, BenchError> {
    let start = Instant::now();
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(io(file))?);
    let mut line = Vec::new();
    let (mut returns, mut bytes) = (0u64, 0u64);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io(file))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(&line)
            .map_err(|e| failed(&format!("{} line {}", file.display(), returns + 1), e))?;
        std::hint::black_box(&value);
        returns += 1;
    }
    Ok(Measured {
        returns,
        bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Bytes of the Parquet files of a dataset folder.
fn parquet_files(dataset: &Path) -> Result<Vec<(PathBuf, u64)>, BenchError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dataset).map_err(io(dataset))? {
        let path = entry.map_err(io(dataset))?.path();
        if path.extension().is_some_and(|e| e == "parquet") {
            let len = std::fs::metadata(&path).map_err(io(&path))?.len();
            files.push((path, len));
        }
    }
    files.sort();
    Ok(files)
}

fn analyze(
    definition: &Path,
    dataset: &Path,
    frame: &Path,
    previous: &Path,
    out: &Path,
) -> Result<Measured, BenchError> {
    let def = load(definition)?;
    let bytes = parquet_files(dataset)?.iter().map(|(_, n)| n).sum();
    let options = survey_analysis::analyze::AnalyzeOptions {
        frame: Some(frame.to_owned()),
        previous: Some(previous.to_owned()),
        previous_definition: None,
        previous_ids: None,
        lang: survey_def::Lang::Zh,
        program_version: env!("CARGO_PKG_VERSION").to_owned(),
        chase_target_rate: None,
    };
    let start = Instant::now();
    let analysis = survey_analysis::analyze::analyze(&def, dataset, &options).map_err(|e| failed("analyze", e))?;
    survey_analysis::analyze::write_reports(&analysis, out).map_err(|e| failed("analyze", e))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measured {
        returns: analysis.summary.counts.accepted,
        bytes,
        seconds,
    })
}

fn parquet_scan(dataset: &Path) -> Result<Measured, BenchError> {
    let files = parquet_files(dataset)?;
    let start = Instant::now();
    let mut returns = 0;
    for (path, _) in &files {
        let scan = |e| failed(&path.display().to_string(), e);
        let frame = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(path).map_err(scan)?,
            ScanArgsParquet::default(),
        )
        .map_err(scan)?
        .collect()
        .map_err(scan)?;
        if path
            .file_name()
            .is_some_and(|n| n == survey_files::dataset::RESPONSES_FILE)
        {
            returns = frame.height() as u64;
        }
        std::hint::black_box(frame);
    }
    Ok(Measured {
        returns,
        bytes: files.iter().map(|(_, n)| n).sum(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_round_trips_through_its_command_line_form() {
        let stage = Stage::Ingest {
            definition: "d.toml".into(),
            input: "returns".into(),
            out: "out".into(),
            jobs: 2,
        };
        let text = serde_json::to_string(&stage).unwrap();
        assert!(text.contains(r#""stage":"ingest""#), "{text}");
        assert_eq!(serde_json::from_str::<Stage>(&text).unwrap(), stage);
    }

    #[test]
    fn the_bare_parse_counts_lines_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.jsonl");
        std::fs::write(&file, "{\"a\": 1}\n\n[1, 2]\n").unwrap();
        let m = jsonl_parse(&file).unwrap();
        assert_eq!((m.returns, m.bytes), (2, 17));
    }
}
