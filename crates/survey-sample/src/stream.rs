//! Large waves written as they are made: a JSON Lines export of any number of clean
//! returns, the matching sampling frame and a previous wave, in constant memory.
//!
//! [`crate::generate`] holds a whole wave in memory (to plant flaws, pair duplicates and
//! write the manifest), which caps it at [`crate::MAX_ENTERPRISES`]. For load tests the
//! functions here draw enterprise `k` of the population from its own random stream and
//! give it a credit code numbered by `k`, so returns are distinct without remembering
//! earlier ones; returns are made a batch at a time (in parallel) and written in order,
//! so memory holds one batch whatever the size of the wave. The answers come from
//! the same builder as [`crate::generate`]'s clean returns (harmless variants such as
//! full-width digits included); there are no planted flaws, no duplicates and no
//! manifest, and lines are in enterprise order rather than by submission time.

use crate::answers::Context;
use crate::flaws;
use crate::formats::{self, Filed, Format};
use crate::population::{self, Draws, Enterprise, NUMBERED_CODES, Numbering};
use crate::previous::{self, OUTLIER_DIVIDED_5, OUTLIER_MIN_EMPLOYEES, OUTLIER_TIMES_5};
use crate::random::{self, chance};
use crate::wave::{filing_day, filing_time};
use crate::{SampleError, SampleOptions};
use rayon::prelude::*;
use std::io::{BufWriter, Write};
use survey_def::{Definition, Lang};

/// Most returns one streamed wave can hold: credit codes are numbered by enterprise, and
/// the population is larger than the respondents by the response rate.
pub const MAX_STREAM_RETURNS: u64 = NUMBERED_CODES / 2;

/// Returns made at a time (in parallel) before they are written.
const BATCH: u64 = 1024;

/// Share of the current respondents' panel whose previous return is a planted outlier.
const OUTLIER_SHARE: f64 = 0.01;

/// What one of the streaming writers wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSummary {
    /// Lines written, not counting a header (returns, or enterprises of a frame).
    pub records: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// The population behind `returns` respondents at the default response rate: the
/// respondents are enterprises `0..returns`, the rest of the frame follows.
fn population(returns: u64) -> u64 {
    let rate = SampleOptions::default().response_rate;
    ((returns as f64 / rate).round() as u64).max(returns)
}

/// Draws enterprises by number, each from its own stream.
struct Numbered {
    draws: Draws,
    numbering: Numbering,
    seed: u64,
}

impl Numbered {
    fn new(def: &Definition, seed: u64) -> Self {
        Numbered {
            draws: Draws::new(def),
            numbering: Numbering::new(seed),
            seed,
        }
    }

    fn enterprise(&self, k: u64) -> Enterprise {
        let mut rng = random::stream(self.seed, "numbered-enterprise", k);
        self.draws
            .enterprise(&mut rng, |rng, sector| self.numbering.code(rng, sector, k))
    }
}

/// Counts what goes through to the writer, and names write failures.
struct Counted<W: Write> {
    out: BufWriter<W>,
    summary: StreamSummary,
}

impl<W: Write> Counted<W> {
    fn new(writer: W) -> Self {
        Counted {
            out: BufWriter::new(writer),
            summary: StreamSummary { records: 0, bytes: 0 },
        }
    }

    fn text(&mut self, text: &str) -> Result<(), SampleError> {
        self.out.write_all(text.as_bytes()).map_err(SampleError::Stream)?;
        self.summary.bytes += text.len() as u64;
        Ok(())
    }

    fn record(&mut self, line: &str) -> Result<(), SampleError> {
        self.text(line)?;
        self.text("\n")?;
        self.summary.records += 1;
        Ok(())
    }

    /// Writes the lines `make` gives for `0..count` (none where it gives `None`), in
    /// order. Lines are made in parallel a batch at a time, so memory stays at one batch.
    fn records(
        &mut self,
        count: u64,
        make: impl Fn(u64) -> Result<Option<String>, SampleError> + Sync,
    ) -> Result<(), SampleError> {
        let mut start = 0;
        while start < count {
            let end = (start + BATCH).min(count);
            let lines: Vec<Result<Option<String>, SampleError>> = (start..end).into_par_iter().map(&make).collect();
            for line in lines {
                if let Some(line) = line? {
                    self.record(&line)?;
                }
            }
            start = end;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<StreamSummary, SampleError> {
        self.out.flush().map_err(SampleError::Stream)?;
        Ok(self.summary)
    }
}

fn check_count(returns: u64) -> Result<(), SampleError> {
    if returns == 0 || returns > MAX_STREAM_RETURNS {
        return Err(SampleError::Options(format!(
            "returns must be 1 to {MAX_STREAM_RETURNS}, not {returns}"
        )));
    }
    Ok(())
}

/// Writes `returns` clean, distinct returns of the current wave as JSON Lines (one
/// online-form record a line, every question present, unanswered ones `null`), one at a
/// time: memory does not grow with `returns`. The same definition, count and seed give
/// the same bytes. [`write_stream_frame`] writes the frame they were drawn from and
/// [`write_jsonl_previous`] their previous wave.
///
/// ```no_run
/// use std::path::Path;
/// let def = survey_def::load(Path::new("survey-defs/spring-2024.toml")).unwrap();
/// let file = std::fs::File::create("returns.jsonl").unwrap();
/// let written = survey_sample::write_jsonl_returns(&def, 1_000_000, 1, file).unwrap();
/// assert_eq!(written.records, 1_000_000);
/// ```
pub fn write_jsonl_returns<W: Write>(
    def: &Definition,
    returns: u64,
    seed: u64,
    writer: W,
) -> Result<StreamSummary, SampleError> {
    check_count(returns)?;
    let period = crate::period(def)?;
    let numbered = Numbered::new(def, seed);
    let mut out = Counted::new(writer);
    let ctx = Context {
        def,
        period,
        lang: Lang::Zh,
        max_rows: usize::MAX,
    };
    out.records(returns, |k| {
        let e = numbered.enterprise(k);
        let mut rng = random::stream(seed, "numbered-return", k);
        let day = filing_day(&mut rng, period, 0.25, 0.85);
        let record =
            crate::settle::clean_return(&ctx, &e, day, &mut rng).map_err(|problems| SampleError::Inconsistent {
                enterprise: e.id.clone(),
                problems,
            })?;
        let mut filed = Filed::new(def, &record, filing_time(&mut rng, day));
        if flaws::wants_variants(&mut rng, false) {
            flaws::variants(def, &mut filed, Format::Jsonl, &mut rng);
        }
        Ok(Some(serde_json::to_string(&formats::json(def, &filed, true))?))
    })?;
    out.finish()
}

/// Writes the sampling frame (CSV, as `frame.csv` of [`crate::generate`]) of the
/// population behind [`write_jsonl_returns`]`(def, returns, seed, …)`: its respondents
/// and, at the default response rate, the enterprises that did not respond.
pub fn write_stream_frame<W: Write>(
    def: &Definition,
    returns: u64,
    seed: u64,
    writer: W,
) -> Result<StreamSummary, SampleError> {
    check_count(returns)?;
    let numbered = Numbered::new(def, seed);
    let mut out = Counted::new(writer);
    out.text(population::FRAME_CSV_HEADER)?;
    for k in 0..population(returns) {
        let row = population::frame_csv_row(&numbered.enterprise(k));
        out.record(row.trim_end_matches('\n'))?;
    }
    out.finish()
}

/// Writes the previous wave of the population behind
/// [`write_jsonl_returns`]`(def, returns, seed, …)` as JSON Lines: most current
/// respondents and some others, headcounts drifting a little between waves, and about
/// 1% of the panel with a headcount five times larger or smaller (outliers for the
/// wave-over-wave checks). Shares follow [`crate::generate`]'s previous wave.
pub fn write_jsonl_previous<W: Write>(
    def: &Definition,
    returns: u64,
    seed: u64,
    writer: W,
) -> Result<StreamSummary, SampleError> {
    check_count(returns)?;
    let period = crate::period(def)?;
    let numbered = Numbered::new(def, seed);
    let mut out = Counted::new(writer);
    let population = population(returns);
    let others = population - returns;
    let other_share = if others == 0 {
        0.0
    } else {
        previous::OTHERS_SHARE * returns as f64 / others as f64
    };
    out.records(population, |k| {
        let mut rng = random::stream(seed, "numbered-previous", k);
        let panel = k < returns;
        if !chance(&mut rng, if panel { previous::PANEL_SHARE } else { other_share }) {
            return Ok(None);
        }
        let e = numbered.enterprise(k);
        let outlier = (panel && e.employees >= OUTLIER_MIN_EMPLOYEES && chance(&mut rng, OUTLIER_SHARE))
            .then(|| *random::pick(&mut rng, &[(OUTLIER_TIMES_5, 1.0), (OUTLIER_DIVIDED_5, 1.0)]));
        let (_, filed) = previous::earlier_return(def, &e, outlier, period, &mut rng)?;
        Ok(Some(serde_json::to_string(&formats::json(def, &filed, false))?))
    })?;
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use survey_def::codes::normalize_uscc;

    fn shipped() -> Definition {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
        survey_def::load(&path).expect("the shipped definition loads")
    }

    fn ids(jsonl: &[u8]) -> Vec<String> {
        std::str::from_utf8(jsonl)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["answers"]["uscc"].as_str().unwrap().trim().to_uppercase()
            })
            .collect()
    }

    #[test]
    fn returns_are_distinct_valid_and_repeatable() {
        let def = shipped();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let written = write_jsonl_returns(&def, 300, 5, &mut a).unwrap();
        write_jsonl_returns(&def, 300, 5, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(written.records, 300);
        assert_eq!(written.bytes, a.len() as u64);
        let codes = ids(&a);
        assert_eq!(codes.len(), 300);
        assert_eq!(codes.iter().collect::<BTreeSet<_>>().len(), 300);
        for c in &codes {
            assert_eq!(normalize_uscc(c).as_deref(), Ok(c.as_str()));
        }
    }

    #[test]
    fn the_frame_holds_every_respondent_and_the_previous_wave_mostly_them() {
        let def = shipped();
        let (mut returns, mut frame, mut previous) = (Vec::new(), Vec::new(), Vec::new());
        write_jsonl_returns(&def, 200, 9, &mut returns).unwrap();
        let f = write_stream_frame(&def, 200, 9, &mut frame).unwrap();
        let p = write_jsonl_previous(&def, 200, 9, &mut previous).unwrap();
        // 200 respondents at a 60% response rate: 333 enterprises.
        assert_eq!(f.records, 333);
        let in_frame: BTreeSet<String> = std::str::from_utf8(&frame)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect();
        let current: BTreeSet<String> = ids(&returns).into_iter().collect();
        assert!(current.is_subset(&in_frame));
        let earlier: BTreeSet<String> = ids(&previous).into_iter().collect();
        assert!(earlier.is_subset(&in_frame));
        let panel = earlier.intersection(&current).count();
        // About 80% of 200 in the panel and 15% of 200 from the others.
        assert!((130..=190).contains(&panel), "panel of {panel}");
        assert!(
            (10..=55).contains(&(earlier.len() - panel)),
            "{} others",
            earlier.len() - panel
        );
        assert_eq!(p.records as usize, earlier.len());
    }
}
