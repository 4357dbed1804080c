//! The previous wave: clean returns of most current respondents and some others, with
//! headcounts that move a little from wave to wave, and a handful of planted
//! Hidiroglou-Berthelot outliers (headcount five times larger or smaller).

use crate::answers::Context;
use crate::formats::{self, Filed};
use crate::manifest::{Previous, PreviousEntry};
use crate::population::Enterprise;
use crate::random::{self, Rng};
use crate::wave::{filing_day, filing_time};
use crate::{SampleError, SampleOptions};
use survey_def::{Definition, Lang};

/// Where the previous wave is written.
pub(crate) const FILE: &str = "previous/returns.jsonl";

/// Share of current respondents that also answered the previous wave.
pub(crate) const PANEL_SHARE: f64 = 0.8;
/// Previous-wave respondents that did not answer this wave, per current respondent.
pub(crate) const OTHERS_SHARE: f64 = 0.15;
/// Smallest current headcount for a planted outlier (so a fifth of it is still 5+).
pub(crate) const OUTLIER_MIN_EMPLOYEES: u64 = 25;

/// Outlier kinds, named by what the current headcount is of the previous one.
pub(crate) const OUTLIER_TIMES_5: &str = "current_x5";
pub(crate) const OUTLIER_DIVIDED_5: &str = "current_div5";

/// The return `e` filed in the previous wave: its headcount then (drifted a little from
/// now, or five times larger or smaller for a planted `outlier`), answers to match, filed
/// early in the period. Gives the enterprise as it was and the return.
pub(crate) fn earlier_return(
    def: &Definition,
    e: &Enterprise,
    outlier: Option<&str>,
    period: (i32, i32),
    rng: &mut Rng,
) -> Result<(Enterprise, Filed), SampleError> {
    let y = e.employees as f64;
    let x = match outlier {
        Some(OUTLIER_TIMES_5) => (y / 5.0).round(),
        Some(_) => y * 5.0,
        None => (y / (0.02 + 0.07 * random::normal(rng)).clamp(-0.25, 0.25).exp())
            .round()
            .max(1.0),
    };
    let mut then = e.clone();
    then.employees = x as u64;
    if let Some(c) = def.size_class(then.employees) {
        then.size_class = c.code.clone();
    }
    let day = filing_day(rng, period, 0.05, 0.45);
    let ctx = Context {
        def,
        period,
        lang: Lang::Zh,
        max_rows: usize::MAX,
    };
    let record = crate::settle::clean_return(&ctx, &then, day, rng).map_err(|problems| SampleError::Inconsistent {
        enterprise: e.id.clone(),
        problems,
    })?;
    let filed = Filed::new(def, &record, filing_time(rng, day));
    Ok((then, filed))
}

/// The previous wave's JSON Lines text and manifest section.
pub(crate) fn previous(
    def: &Definition,
    frame: &[Enterprise],
    respondents: &[usize],
    options: &SampleOptions,
    period: (i32, i32),
) -> Result<(String, Previous), SampleError> {
    let seed = options.seed;
    let mut rng = random::stream(seed, "previous", 0);
    let mut panel = respondents.to_vec();
    random::shuffle(&mut rng, &mut panel);
    panel.truncate((respondents.len() as f64 * PANEL_SHARE).round() as usize);
    let mut others: Vec<usize> = (0..frame.len())
        .filter(|k| respondents.binary_search(k).is_err())
        .collect();
    random::shuffle(&mut rng, &mut others);
    others.truncate((respondents.len() as f64 * OTHERS_SHARE).round() as usize);

    // Outliers among panel members large enough to shrink fivefold.
    let mut candidates: Vec<usize> = panel
        .iter()
        .copied()
        .filter(|&k| frame[k].employees >= OUTLIER_MIN_EMPLOYEES)
        .collect();
    candidates.sort_unstable();
    random::shuffle(&mut rng, &mut candidates);
    let n_outliers = (panel.len() / 100).max(3).min(candidates.len());
    let outliers: Vec<(usize, &str)> = candidates[..n_outliers]
        .iter()
        .enumerate()
        .map(|(i, &k)| (k, if i % 2 == 0 { OUTLIER_TIMES_5 } else { OUTLIER_DIVIDED_5 }))
        .collect();

    let mut members: Vec<(usize, bool)> = panel
        .iter()
        .map(|&k| (k, true))
        .chain(others.iter().map(|&k| (k, false)))
        .collect();
    members.sort_unstable();
    let mut lines = Vec::with_capacity(members.len());
    for (k, current) in members {
        let e = &frame[k];
        let outlier = outliers
            .iter()
            .find(|(o, _)| *o == k)
            .map(|(_, kind)| (*kind).to_owned());
        let mut rng = random::stream(seed, "previous-return", k as u64);
        let (then, filed) = earlier_return(def, e, outlier.as_deref(), period, &mut rng)?;
        let text = serde_json::to_string(&formats::json(def, &filed, false))?;
        let entry = PreviousEntry {
            line: 0,
            enterprise_id: e.id.clone(),
            employees_previous: then.employees,
            employees_current: e.employees,
            current_respondent: current,
            outlier,
        };
        lines.push((filed.submitted_at, e.id.clone(), text, entry));
    }
    lines.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut text = String::new();
    let mut returns = Vec::with_capacity(lines.len());
    for (n, (_, _, line, mut entry)) in lines.into_iter().enumerate() {
        text.push_str(&line);
        text.push('\n');
        entry.line = n as u64 + 1;
        returns.push(entry);
    }
    Ok((
        text,
        Previous {
            file: FILE.to_owned(),
            returns,
        },
    ))
}
