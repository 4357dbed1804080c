//! The current wave: who responds, in which format and language, on which day; which
//! returns carry a flaw; and writing them all with their manifest entries.

use crate::answers::Context;
use crate::check::{self, Record};
use crate::flaws::{self, Flaw, Planted};
use crate::formats::{self, Filed, Format, WIDE_MAX_ROWS, date_text};
use crate::manifest::{Expected, ReturnEntry};
use crate::population::Enterprise;
use crate::random::{self, Rng, chance, int};
use crate::{SampleError, SampleOptions, Writer};
use survey_def::expr::Value;
use survey_def::{Definition, Lang};

/// One return to write.
pub(crate) struct Job<'a> {
    pub enterprise: &'a Enterprise,
    pub format: Format,
    pub lang: Lang,
    pub submitted_on: i32,
    pub filed: Filed,
    pub flaw: Option<Flaw>,
    pub planted: Planted,
    pub variants: Vec<String>,
    pub expected: Expected,
    /// Index of the other job of a duplicate pair.
    pub pair: Option<usize>,
}

impl Job<'_> {
    fn path(&self) -> String {
        match self.format {
            Format::Xlsx => format!("returns/xlsx/{}.xlsx", self.enterprise.id),
            Format::Json => format!("returns/json/{}.json", self.enterprise.id),
            Format::Jsonl => JSONL_FILE.to_owned(),
            Format::Wide => WIDE_FILE.to_owned(),
        }
    }
}

const JSONL_FILE: &str = "returns/online-form-export.jsonl";
const WIDE_FILE: &str = "returns/wide-export.xlsx";

/// A day of the period: `from`..`to` are fractions of it, most days near the middle.
pub(crate) fn filing_day(rng: &mut Rng, period: (i32, i32), from: f64, to: f64) -> i32 {
    let u = (random::uniform(rng, 0.0, 1.0) + random::uniform(rng, 0.0, 1.0) + random::uniform(rng, 0.0, 1.0)) / 3.0;
    let len = f64::from(period.1 - period.0);
    period.0 + (len * (from + (to - from) * u)).round() as i32
}

/// RFC 3339 time of a filing on `day`, office hours in Shanghai.
pub(crate) fn filing_time(rng: &mut Rng, day: i32) -> String {
    format!(
        "{}T{:02}:{:02}:00+08:00",
        date_text(day),
        int(rng, 8, 20),
        int(rng, 0, 59)
    )
}

struct Plan {
    k: usize,
    format: Format,
    lang: Lang,
    day: i32,
    record: Record,
}

/// Sets the filing date (and keeps a stoppage date no later than it).
fn refile(def: &Definition, record: &mut Record, day: i32) -> Result<(), Vec<String>> {
    if let Some(q) = &def.survey().submitted_at_question {
        record.answers.insert(q.clone(), Value::Date(day));
    }
    for (id, v) in record.answers.iter_mut() {
        // A date after the filing (a stoppage date) moves back with it.
        if let Value::Date(d) = v
            && *d > day
            && Some(id) != def.survey().submitted_at_question.as_ref()
        {
            *d = day - 3;
        }
    }
    check::calculate(def, record);
    let problems = check::problems(def, record);
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Plans the return of every respondent (indices into `frame`), clean, then plants the
/// flaws.
pub(crate) fn plan<'a>(
    def: &Definition,
    frame: &'a [Enterprise],
    respondents: &[usize],
    options: &SampleOptions,
    period: (i32, i32),
) -> Result<Vec<Job<'a>>, SampleError> {
    let seed = options.seed;
    let mut plans = Vec::with_capacity(respondents.len());
    for &k in respondents {
        let e = &frame[k];
        let mut rng = random::stream(seed, "return", k as u64);
        let format = *random::pick(
            &mut rng,
            &[
                (Format::Xlsx, 0.5),
                (Format::Json, 0.2),
                (Format::Jsonl, 0.2),
                (Format::Wide, 0.1),
            ],
        );
        let lang = if format == Format::Xlsx && chance(&mut rng, 0.15) {
            Lang::En
        } else {
            Lang::Zh
        };
        let day = filing_day(&mut rng, period, 0.25, 0.85);
        let max_rows = if format == Format::Wide {
            WIDE_MAX_ROWS
        } else {
            usize::MAX
        };
        let ctx = Context {
            def,
            period,
            lang,
            max_rows,
        };
        let record =
            crate::settle::clean_return(&ctx, e, day, &mut rng).map_err(|problems| SampleError::Inconsistent {
                enterprise: e.id.clone(),
                problems,
            })?;
        plans.push(Plan {
            k,
            format,
            lang,
            day,
            record,
        });
    }
    let flaw_of = assign_flaws(def, &mut plans, options);
    let mut jobs = Vec::new();
    for (p, plan) in plans.into_iter().enumerate() {
        let e = &frame[plan.k];
        let mut rng = random::stream(seed, "flaw", plan.k as u64);
        let inconsistent = |problems| SampleError::Inconsistent {
            enterprise: e.id.clone(),
            problems,
        };
        if flaw_of[p] == Some(Flaw::Duplicate) {
            let later_day = plan.day.max(period.0 + 5).min(period.1);
            let earlier_day = later_day - int(&mut rng, 1, 5) as i32;
            let mut earlier = plan.record.clone();
            refile(def, &mut earlier, earlier_day).map_err(inconsistent)?;
            let mut later = earlier.clone();
            if let Some(Value::Number(h)) = later.answers.get_mut("planned_hires") {
                *h += int(&mut rng, 1, 5) as f64;
            }
            refile(def, &mut later, later_day).map_err(inconsistent)?;
            let others: Vec<(Format, f64)> = [Format::Xlsx, Format::Json, Format::Jsonl]
                .into_iter()
                .filter(|f| *f != plan.format)
                .map(|f| (f, 1.0))
                .collect();
            let later_format = *random::pick(&mut rng, &others);
            let first = jobs.len();
            jobs.push(job(
                def,
                e,
                plan.format,
                plan.lang,
                earlier_day,
                &earlier,
                &mut rng,
                None,
                Some(first + 1),
            ));
            let lang = if later_format == Format::Xlsx {
                plan.lang
            } else {
                Lang::Zh
            };
            jobs.push(job(
                def,
                e,
                later_format,
                lang,
                later_day,
                &later,
                &mut rng,
                Some(Flaw::Duplicate),
                Some(first),
            ));
        } else {
            jobs.push(job(
                def,
                e,
                plan.format,
                plan.lang,
                plan.day,
                &plan.record,
                &mut rng,
                flaw_of[p],
                None,
            ));
        }
    }
    Ok(jobs)
}

/// Chooses which returns carry which flaw: kinds in [`flaws::ROUND`] order, each given
/// to the next return (in a seeded order) it can be planted in.
fn assign_flaws(def: &Definition, plans: &mut [Plan], options: &SampleOptions) -> Vec<Option<Flaw>> {
    let n = (plans.len() as f64 * options.flawed_share).round() as usize;
    let mut order: Vec<usize> = (0..plans.len()).collect();
    random::shuffle(&mut random::stream(options.seed, "flaws", 0), &mut order);
    let mut flaw_of: Vec<Option<Flaw>> = vec![None; plans.len()];
    let mut probe = random::stream(options.seed, "probe", 0);
    for i in 0..n.min(plans.len()) {
        let kind = flaws::ROUND[i % flaws::ROUND.len()];
        let found = order.iter().copied().find(|&p| {
            flaw_of[p].is_none() && {
                let mut trial = Filed::new(def, &plans[p].record, String::new());
                flaws::plant(def, kind, &mut trial, &plans[p].record, &mut probe).is_some()
            }
        });
        if let Some(p) = found {
            flaw_of[p] = Some(kind);
            if let Some(format) = kind.format() {
                plans[p].format = format;
            }
        }
    }
    flaw_of
}

#[allow(clippy::too_many_arguments)]
fn job<'a>(
    def: &Definition,
    e: &'a Enterprise,
    format: Format,
    lang: Lang,
    day: i32,
    record: &Record,
    rng: &mut Rng,
    flaw: Option<Flaw>,
    pair: Option<usize>,
) -> Job<'a> {
    let mut filed = Filed::new(def, record, filing_time(rng, day));
    let planted = match flaw {
        Some(kind) => flaws::plant(def, kind, &mut filed, record, rng).unwrap_or_default(),
        None => Planted::default(),
    };
    let damaged = flaw.is_some_and(Flaw::damaged);
    let flawed = flaw.is_some_and(|f| f != Flaw::Duplicate);
    let variants = if !damaged && flaws::wants_variants(rng, flawed) {
        flaws::variants(def, &mut filed, format, rng)
    } else {
        Vec::new()
    };
    let expected = match flaw {
        Some(f) if f.damaged() => Expected::Unreadable,
        Some(Flaw::Duplicate) => Expected::Accepted,
        Some(_) => Expected::Rejected,
        None if pair.is_some() => Expected::Superseded,
        None => Expected::Accepted,
    };
    Job {
        enterprise: e,
        format,
        lang,
        submitted_on: day,
        filed,
        flaw,
        planted,
        variants,
        expected,
        pair,
    }
}

/// Cuts `text` at about half its length, on a character boundary.
fn half(text: &str) -> &str {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Writes every job and returns the manifest entries, sorted by file and position.
pub(crate) fn write(def: &Definition, jobs: &[Job], out: &mut Writer) -> Result<Vec<ReturnEntry>, SampleError> {
    let mut entries: Vec<Option<ReturnEntry>> = vec![None; jobs.len()];
    let entry = |j: &Job, line: Option<u64>, row: Option<u32>| ReturnEntry {
        file: j.path(),
        line,
        row,
        format: j.format.name().to_owned(),
        lang: (j.format == Format::Xlsx).then(|| if j.lang == Lang::Zh { "zh" } else { "en" }.to_owned()),
        enterprise_id: j.enterprise.id.clone(),
        submitted_on: date_text(j.submitted_on),
        submitted_at: j.filed.submitted_at.clone(),
        flaw: j.flaw.map(|f| f.code().to_owned()),
        flaw_question: j.planted.question.clone(),
        flaw_value: j.planted.value.clone(),
        variants: j.variants.clone(),
        duplicate_of: j.pair.map(|p| jobs[p].path()),
        expected: j.expected,
    };
    // In each export, returns appear in the order they came in.
    let by_time = |format: Format| {
        let mut idx: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].format == format).collect();
        idx.sort_by(|&a, &b| {
            (&jobs[a].filed.submitted_at, &jobs[a].enterprise.id)
                .cmp(&(&jobs[b].filed.submitted_at, &jobs[b].enterprise.id))
        });
        idx
    };
    for (i, j) in jobs.iter().enumerate() {
        let bytes = match (j.format, j.flaw) {
            (Format::Xlsx, Some(Flaw::PdfAsXlsx)) => flaws::pdf_bytes(&j.enterprise.id),
            (Format::Xlsx, flaw) => {
                let mut bytes = formats::xlsx(def, j.lang, &j.filed)?;
                if flaw == Some(Flaw::TruncatedXlsx) {
                    bytes.truncate(bytes.len() / 2);
                }
                bytes
            }
            (Format::Json, Some(Flaw::EmptyJson)) => Vec::new(),
            (Format::Json, _) => {
                let mut text = serde_json::to_string_pretty(&formats::json(def, &j.filed, false))?;
                text.push('\n');
                text.into_bytes()
            }
            _ => continue,
        };
        out.write(&j.path(), &bytes)?;
        entries[i] = Some(entry(j, None, None));
    }
    let lines = by_time(Format::Jsonl);
    if !lines.is_empty() {
        let mut text = String::new();
        for (n, &i) in lines.iter().enumerate() {
            let line = serde_json::to_string(&formats::json(def, &jobs[i].filed, true))?;
            text.push_str(if jobs[i].flaw == Some(Flaw::TruncatedJsonLine) {
                half(&line)
            } else {
                &line
            });
            text.push('\n');
            entries[i] = Some(entry(&jobs[i], Some(n as u64 + 1), None));
        }
        out.write(JSONL_FILE, text.as_bytes())?;
    }
    let rows = by_time(Format::Wide);
    if !rows.is_empty() {
        let filed: Vec<&Filed> = rows.iter().map(|&i| &jobs[i].filed).collect();
        out.write(WIDE_FILE, &formats::wide(def, &filed)?)?;
        for (n, &i) in rows.iter().enumerate() {
            entries[i] = Some(entry(&jobs[i], None, Some(n as u32 + 2)));
        }
    }
    let mut entries: Vec<ReturnEntry> = entries.into_iter().flatten().collect();
    entries.sort_by(|a, b| (&a.file, a.line, a.row).cmp(&(&b.file, b.line, b.row)));
    Ok(entries)
}
