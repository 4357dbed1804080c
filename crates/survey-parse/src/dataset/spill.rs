//! Accepted returns held on disk until they are written, so that an ingest's memory does
//! not grow with the size of its input.
//!
//! Chunks of accepted returns gather in memory up to [`RUN_ROWS`], are sorted by
//! enterprise id and written to a temporary Parquet file: a sorted *run*. Only the keys
//! stay in memory (each run's ids in order, and the [`Origin`] of each of its rows).
//! Chunks may come in any order (files are read in parallel): the dataset is ordered by
//! enterprise id alone, which is unique among the returns kept. Once duplicates are settled, [`Spill::write`]
//! merges the runs by enterprise id, skipping superseded returns, and writes the dataset
//! [`OUTPUT_BATCH`] rows at a time: each batch takes from every run a contiguous slice of
//! rows, read from the run's file alone. A run is sorted and written on a thread of its
//! own while the next fills up, and the next batch is read while the last is written, so
//! memory holds at most two runs and two batches, not the dataset; a dataset that fits
//! in one batch is written exactly as a single frame would be.

use super::Chunk;
use crate::IngestError;
use polars::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use survey_def::Definition;

/// Accepted returns per sorted run: about 25 MB of columns for the shipped definition.
/// While one run is sorted and written the next fills, so about three runs' columns are
/// held at once; smaller runs keep that within the memory budget of an ingest of wide
/// workbooks, at the cost of a wider merge.
const RUN_ROWS: usize = 16_384;
/// Rows per row group of a run file: a batch reads a run's rows a slice at a time, and
/// decodes whole row groups, so small groups waste little.
const RUN_ROW_GROUP: usize = 1_024;
/// Returns per batch (and per row group) of the written dataset.
pub const OUTPUT_BATCH: usize = 32_768;

/// Where an accepted return comes from: its file (index among the inputs) and its place
/// among that file's accepted returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    file: u32,
    ordinal: u32,
}

impl Origin {
    /// The `ordinal`-th accepted return of input `file`.
    pub fn new(file: usize, ordinal: u32) -> Origin {
        Origin {
            file: u32::try_from(file).unwrap_or(u32::MAX),
            ordinal,
        }
    }

    /// Whether `keep` (per file, per accepted return) keeps it.
    fn kept(self, keep: &[Vec<bool>]) -> bool {
        keep.get(self.file as usize)
            .and_then(|file| file.get(self.ordinal as usize))
            .copied()
            .unwrap_or(false)
    }
}

/// One sorted run on disk.
struct Run {
    /// Its responses, sorted by enterprise id.
    responses: PathBuf,
    /// Per table, its rows, in the order of the responses (each return's rows in order).
    tables: Vec<PathBuf>,
    /// Enterprise ids, in the run's order.
    ids: Vec<Box<str>>,
    /// For each row, where the return comes from.
    origins: Vec<Origin>,
    /// Per table, where each return's rows start in the table file (one more entry than
    /// returns: the last is the number of rows).
    table_starts: Vec<Vec<usize>>,
}

/// Accepted returns, spilled to sorted runs in a temporary folder (removed on drop).
pub struct Spill {
    dir: tempfile::TempDir,
    /// Returns per run ([`RUN_ROWS`]).
    run_rows: usize,
    /// Returns per written batch ([`OUTPUT_BATCH`]).
    batch_rows: usize,
    runs: Vec<Run>,
    pending: Vec<(Chunk, Vec<Origin>)>,
    pending_rows: usize,
    /// The run being sorted and written, on its own thread.
    in_flight: Option<std::thread::JoinHandle<PolarsResult<Run>>>,
    /// Accepted returns taken so far.
    taken: usize,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> PolarsError + '_ {
    move |e| polars_err!(ComputeError: "{}: {e}", path.display())
}

fn to_idx(positions: impl IntoIterator<Item = usize>) -> PolarsResult<IdxCa> {
    let positions = positions
        .into_iter()
        .map(|p| IdxSize::try_from(p).map_err(|_| polars_err!(ComputeError: "too many rows")))
        .collect::<PolarsResult<Vec<IdxSize>>>()?;
    Ok(IdxCa::from_vec("order".into(), positions))
}

/// The rows of `frame` in the order `idx` gives, one column at a time, each column freed
/// as soon as its reordered copy is made.
fn gather(frame: DataFrame, idx: &IdxCa) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(frame.width());
    for column in frame.into_columns() {
        // Made one piece first: picking rows from the hundred pieces of a run (a chunk
        // of a group each) costs a search for the piece of every row.
        columns.push(column.rechunk().take(idx)?.rechunk());
    }
    DataFrame::new(idx.len(), columns)
}

/// Where each of `counts` rows starts, and the total at the end.
fn starts(counts: impl IntoIterator<Item = u32>) -> Vec<usize> {
    let mut starts = vec![0];
    let mut next = 0;
    for n in counts {
        next += n as usize;
        starts.push(next);
    }
    starts
}

fn read_slice(path: &Path, offset: usize, len: usize) -> PolarsResult<DataFrame> {
    let file = File::open(path).map_err(io_error(path))?;
    ParquetReader::new(file).with_slice(Some((offset, len))).finish()
}

fn write_run_file(frame: &mut DataFrame, path: &Path) -> PolarsResult<()> {
    // Buffered: the Parquet writer issues a write per page header and buffer, over a
    // million system calls for a large dataset.
    let mut file = BufWriter::new(File::create(path).map_err(io_error(path))?);
    // Not compressed: the file is read once and removed, and spends most of its short
    // life in the page cache.
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Uncompressed)
        .with_row_group_size(Some(RUN_ROW_GROUP))
        .finish(frame)?;
    file.flush().map_err(io_error(path))?;
    Ok(())
}

impl Spill {
    /// An empty spill in a new temporary folder (under `TMPDIR`, where the runs of a killed
    /// ingest are removed by the next one).
    pub fn new() -> std::io::Result<Spill> {
        Spill::with_sizes(RUN_ROWS, OUTPUT_BATCH)
    }

    /// An empty spill with runs and batches of the given sizes (tests use small ones).
    pub(crate) fn with_sizes(run_rows: usize, batch_rows: usize) -> std::io::Result<Spill> {
        Ok(Spill {
            dir: {
                let temp = std::env::temp_dir();
                survey_files::write::remove_leftovers(&temp);
                survey_files::write::temp_dir_in(&temp, survey_files::write::Access::Restricted)?
            },
            run_rows: run_rows.max(1),
            batch_rows: batch_rows.max(1),
            runs: Vec::new(),
            pending: Vec::new(),
            pending_rows: 0,
            in_flight: None,
            taken: 0,
        })
    }

    /// Takes accepted returns as columns, with the origin of each row.
    pub fn push(&mut self, def: &Definition, chunk: Chunk, origins: Vec<Origin>) -> PolarsResult<()> {
        if origins.len() != chunk.responses.height() {
            return Err(
                polars_err!(ComputeError: "{} origins for {} returns", origins.len(), chunk.responses.height()),
            );
        }
        self.pending_rows += origins.len();
        self.pending.push((chunk, origins));
        if self.pending_rows >= self.run_rows {
            self.spill(def)?;
        }
        Ok(())
    }

    /// Writes the pending chunks as one sorted run, on a thread of its own: the checking
    /// goes on while the run is sorted and written. One run is written at a time, so
    /// memory holds at most the run being written and the one filling up.
    fn spill(&mut self, def: &Definition) -> PolarsResult<()> {
        let chunks = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        self.settle_in_flight()?;
        if chunks.is_empty() {
            return Ok(());
        }
        self.taken += chunks.iter().map(|(_, origins)| origins.len()).sum::<usize>();
        let id = def.survey().enterprise_question.clone();
        let base = self.dir.path().join(format!("run-{}", self.runs.len()));
        let writer = std::thread::Builder::new()
            .name("run-writer".into())
            .spawn(move || write_run(chunks, &id, &base))
            .map_err(|e| polars_err!(ComputeError: "cannot start a thread to write a sorted run: {e}"))?;
        self.in_flight = Some(writer);
        Ok(())
    }

    /// Waits for the run being written, and keeps it.
    fn settle_in_flight(&mut self) -> PolarsResult<()> {
        let Some(writer) = self.in_flight.take() else {
            return Ok(());
        };
        let run = writer
            .join()
            .map_err(|_| polars_err!(ComputeError: "writing a sorted run failed unexpectedly"))??;
        self.runs.push(run);
        Ok(())
    }

    /// Writes the returns still in memory as the last run: call once every return is
    /// taken.
    pub fn finish(&mut self, def: &Definition) -> PolarsResult<()> {
        self.spill(def)?;
        self.settle_in_flight()
    }

    /// Writes the dataset into `out_dir`: the returns `keep` marks (per file, a flag per
    /// accepted return in the order read), sorted by enterprise id, as `responses.parquet` and a
    /// file per table (rows sorted by enterprise id and row). Each file is written under a
    /// temporary name and renamed into place.
    pub fn write(&self, def: &Definition, keep: &[Vec<bool>], out_dir: &Path) -> Result<(), IngestError> {
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |e: PolarsError| IngestError::Write {
                path: path.clone(),
                message: e.to_string(),
            }
        };
        let responses_path = out_dir.join(super::RESPONSES_FILE);
        let flags: usize = keep.iter().map(Vec::len).sum();
        if !self.pending.is_empty() || self.in_flight.is_some() || flags != self.taken {
            return Err(failed(&responses_path)(polars_err!(
                ComputeError: "{flags} keep flags for {} accepted returns", self.taken
            )));
        }
        let empty = Chunk::build(def, &[]).map_err(failed(&responses_path))?;
        let mut outputs = vec![Output::new(&responses_path, &empty.responses)?];
        for (table, frame) in def.tables().zip(&empty.tables) {
            outputs.push(Output::new(&out_dir.join(super::table_file(table.id())), frame)?);
        }
        // A thread merges and reads the next batch while this one is compressed and
        // written; the channel has no room, so memory holds two batches at most.
        std::thread::scope(|scope| {
            let (send, batches) = std::sync::mpsc::sync_channel::<PolarsResult<Vec<DataFrame>>>(0);
            scope.spawn(move || {
                let mut merge = Merge::new(&self.runs, keep);
                loop {
                    let batch = merge.next_batch(self.batch_rows);
                    if batch.is_empty() {
                        return;
                    }
                    let frames = self.read_batch(&batch, keep);
                    let failed = frames.is_err();
                    if send.send(frames).is_err() || failed {
                        return;
                    }
                }
            });
            for frames in batches {
                let frames = frames.map_err(failed(&responses_path))?;
                for (output, frame) in outputs.iter_mut().zip(frames) {
                    output.write(&frame)?;
                }
            }
            Ok::<(), IngestError>(())
        })?;
        for output in outputs {
            output.finish()?;
        }
        Ok(())
    }

    /// The responses and table rows of `batch` (run, row in run), in batch order.
    fn read_batch(&self, batch: &[(usize, usize)], keep: &[Vec<bool>]) -> PolarsResult<Vec<DataFrame>> {
        // Each run gives a contiguous slice: from its first to its last row in the batch.
        let mut span: Vec<Option<(usize, usize)>> = vec![None; self.runs.len()];
        for &(r, j) in batch {
            let s = span[r].get_or_insert((j, j));
            s.1 = s.1.max(j);
        }
        let tables = self.runs.first().map_or(0, |run| run.tables.len());
        // Kept rows of each run's slice, stacked run after run; where each run starts.
        let mut responses: Option<DataFrame> = None;
        let mut table_frames: Vec<Option<DataFrame>> = vec![None; tables];
        // Per run: offset of its first kept row in the stack, and per table likewise.
        let mut offsets = vec![0usize; self.runs.len()];
        let mut table_offsets = vec![vec![0usize; self.runs.len()]; tables];
        // Per run, per row of the slice: its kept rank (rows before it that are kept), and
        // per table the kept table rows before it.
        let mut rank: Vec<Vec<usize>> = vec![Vec::new(); self.runs.len()];
        let mut table_rank: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); self.runs.len()]; tables];
        let mut stacked = 0usize;
        let mut table_stacked = vec![0usize; tables];
        for (r, run) in self.runs.iter().enumerate() {
            let Some((first, last)) = span[r] else { continue };
            let kept: Vec<bool> = (first..=last).map(|j| run.origins[j].kept(keep)).collect();
            let mut frame = read_slice(&run.responses, first, last - first + 1)?;
            frame = frame.filter(&BooleanChunked::from_slice("keep".into(), &kept))?;
            offsets[r] = stacked;
            stacked += frame.height();
            let mut seen = 0;
            rank[r] = kept
                .iter()
                .map(|&k| {
                    let at = seen;
                    seen += usize::from(k);
                    at
                })
                .collect();
            match &mut responses {
                None => responses = Some(frame),
                Some(all) => {
                    all.vstack_mut_owned(frame)?;
                }
            }
            for t in 0..tables {
                let starts = &run.table_starts[t];
                let (from, to) = (starts[first], starts[last + 1]);
                let mask: Vec<bool> = (first..=last)
                    .zip(&kept)
                    .flat_map(|(j, &k)| std::iter::repeat_n(k, starts[j + 1] - starts[j]))
                    .collect();
                let mut rows = read_slice(&run.tables[t], from, to - from)?;
                rows = rows.filter(&BooleanChunked::from_slice("keep".into(), &mask))?;
                table_offsets[t][r] = table_stacked[t];
                table_stacked[t] += rows.height();
                let mut seen = 0;
                table_rank[t][r] = (first..=last)
                    .zip(&kept)
                    .map(|(j, &k)| {
                        let at = seen;
                        if k {
                            seen += starts[j + 1] - starts[j];
                        }
                        at
                    })
                    .collect();
                match &mut table_frames[t] {
                    None => table_frames[t] = Some(rows),
                    Some(all) => {
                        all.vstack_mut_owned(rows)?;
                    }
                }
            }
        }
        let responses = responses.ok_or_else(|| polars_err!(ComputeError: "an empty batch"))?;
        let order = batch.iter().map(|&(r, j)| {
            let first = span[r].map_or(0, |s| s.0);
            offsets[r] + rank[r][j - first]
        });
        let mut frames = vec![gather(responses, &to_idx(order)?)?];
        for (t, frame) in table_frames.into_iter().enumerate() {
            let frame = frame.ok_or_else(|| polars_err!(ComputeError: "an empty batch"))?;
            let positions = batch.iter().flat_map(|&(r, j)| {
                let first = span[r].map_or(0, |s| s.0);
                let starts = &self.runs[r].table_starts[t];
                let at = table_offsets[t][r] + table_rank[t][r][j - first];
                at..at + (starts[j + 1] - starts[j])
            });
            frames.push(gather(frame, &to_idx(positions)?)?);
        }
        Ok(frames)
    }
}

/// Sorts `chunks` by enterprise id (the column `id`), stably, and writes them as one run
/// to files named after `base`.
fn write_run(chunks: Vec<(Chunk, Vec<Origin>)>, id: &str, base: &Path) -> PolarsResult<Run> {
    let mut chunks = chunks.into_iter();
    let Some((first, mut origins)) = chunks.next() else {
        return Err(polars_err!(ComputeError: "an empty run"));
    };
    let (mut responses, mut tables, mut rows_per_return) = (first.responses, first.tables, first.rows_per_return);
    for (chunk, more) in chunks {
        origins.extend(more);
        responses.vstack_mut_owned(chunk.responses)?;
        for (all, part) in tables.iter_mut().zip(chunk.tables) {
            all.vstack_mut_owned(part)?;
        }
        for (all, part) in rows_per_return.iter_mut().zip(chunk.rows_per_return) {
            all.extend(part);
        }
    }
    // By enterprise id, stably (ids compare as bytes, as polars compares strings).
    let (order, ids) = {
        let ids: Vec<&str> = responses
            .column(id)?
            .str()?
            .iter()
            .map(Option::unwrap_or_default)
            .collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
        let sorted: Vec<Box<str>> = order.iter().map(|&r| Box::from(ids[r])).collect();
        (order, sorted)
    };
    let name = |part: &str| {
        let mut name = base.as_os_str().to_owned();
        name.push(format!("-{part}.parquet"));
        PathBuf::from(name)
    };
    // The tables are sorted and written beside the responses.
    let (path, tables) = std::thread::scope(|scope| {
        let tables = scope.spawn(|| {
            let mut table_paths = Vec::with_capacity(tables.len());
            let mut table_starts = Vec::with_capacity(tables.len());
            for (t, (frame, counts)) in tables.into_iter().zip(&rows_per_return).enumerate() {
                let unsorted = starts(counts.iter().copied());
                let positions = order.iter().flat_map(|&r| unsorted[r]..unsorted[r + 1]);
                let mut sorted = gather(frame, &to_idx(positions)?)?;
                let path = name(&format!("table-{t}"));
                write_run_file(&mut sorted, &path)?;
                table_paths.push(path);
                table_starts.push(starts(order.iter().map(|&r| counts[r])));
            }
            Ok::<_, PolarsError>((table_paths, table_starts))
        });
        let responses = gather(responses, &to_idx(order.iter().copied())?).and_then(|mut sorted| {
            let path = name("responses");
            write_run_file(&mut sorted, &path).map(|()| path)
        });
        let tables = tables
            .join()
            .map_err(|_| polars_err!(ComputeError: "writing the tables of a sorted run failed unexpectedly"));
        Ok::<_, PolarsError>((responses?, tables??))
    })?;
    let (table_paths, table_starts) = tables;
    Ok(Run {
        responses: path,
        tables: table_paths,
        origins: order.iter().map(|&r| origins[r]).collect(),
        ids,
        table_starts,
    })
}

impl Drop for Spill {
    /// A run still being written finishes before its folder is removed.
    fn drop(&mut self) {
        if let Some(writer) = self.in_flight.take() {
            let _ = writer.join();
        }
    }
}

/// The kept rows of every run, in enterprise id order.
struct Merge<'a> {
    runs: &'a [Run],
    keep: &'a [Vec<bool>],
    /// Each run's next kept row, by its id.
    heads: BinaryHeap<Reverse<(&'a str, usize, usize)>>,
}

impl<'a> Merge<'a> {
    fn new(runs: &'a [Run], keep: &'a [Vec<bool>]) -> Self {
        let mut merge = Merge {
            runs,
            keep,
            heads: BinaryHeap::new(),
        };
        for r in 0..runs.len() {
            merge.advance(r, 0);
        }
        merge
    }

    /// Queues run `r`'s first kept row at or after `from`.
    fn advance(&mut self, r: usize, from: usize) {
        let run = &self.runs[r];
        if let Some(j) = (from..run.ids.len()).find(|&j| run.origins[j].kept(self.keep)) {
            self.heads.push(Reverse((&run.ids[j], r, j)));
        }
    }

    /// The next `n` kept rows (run, row in run), fewer at the end.
    fn next_batch(&mut self, n: usize) -> Vec<(usize, usize)> {
        let mut batch = Vec::with_capacity(n.min(4096));
        while batch.len() < n {
            let Some(Reverse((_, r, j))) = self.heads.pop() else {
                break;
            };
            batch.push((r, j));
            self.advance(r, j + 1);
        }
        batch
    }
}

/// One output file being written a batch at a time.
struct Output {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    writer: polars::io::parquet::write::BatchedWriter<BufWriter<File>>,
}

impl Output {
    fn new(path: &Path, empty: &DataFrame) -> Result<Output, IngestError> {
        let io = |e: std::io::Error| IngestError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(&survey_files::write::temp_prefix())
            .tempfile_in(dir)
            .map_err(io)?;
        let file = tmp.as_file().try_clone().map_err(io)?;
        // Buffered, as a run file is.
        let writer = ParquetWriter::new(BufWriter::new(file))
            .with_compression(ParquetCompression::Zstd(None))
            .batched(empty.schema())
            .map_err(|e| IngestError::Write {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Output {
            path: path.to_owned(),
            tmp,
            writer,
        })
    }

    fn write(&mut self, frame: &DataFrame) -> Result<(), IngestError> {
        self.writer.write_batch(frame).map_err(|e| IngestError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    fn finish(self) -> Result<(), IngestError> {
        let error = |message: String| IngestError::Write {
            path: self.path.clone(),
            message,
        };
        let size = self.writer.finish().map_err(|e| error(e.to_string()))?;
        // The writer owns its buffer, and dropping it flushes the buffer without a word on
        // failure: the file's length says whether every byte reached it.
        drop(self.writer);
        let written = self.tmp.as_file().metadata().map_err(|e| error(e.to_string()))?.len();
        if written != size {
            return Err(error(format!("{written} of {size} bytes written")));
        }
        crate::output::persist(self.tmp, &self.path)
    }
}
