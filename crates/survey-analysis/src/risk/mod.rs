//! `risk-flags.xlsx`: enterprises at risk, for officials. Every accepted return is judged
//! by the risk rules its definition declares (economic layoff, wage arrears, stoppages,
//! headcount falls...). The workbook lists each enterprise and rule tripped with the
//! evidence, estimates the share of enterprises flagged and the employment at risk by
//! rule, sector and sub-district, and, given the previous wave, compares the two: change
//! in headcount and vacancies with Hidiroglou-Berthelot outliers, and the flags that are
//! new.
//!
//! The workbook holds enterprise-level rows, so it is for officials only
//! ([`Audience::OfficialsOnly`]) and never goes into a published workbook.
//!
//! ```no_run
//! # fn run(ctx: &survey_analysis::context::Context<'_>) {
//! let (book, summary) = survey_analysis::risk::risk_report(ctx, None);
//! assert_eq!(book.file_name, survey_analysis::risk::RISK_FILE);
//! println!("{} of {} enterprises flagged", summary.enterprises_flagged, summary.enterprises_assessed);
//! # }
//! ```

mod assess;
mod enterprise;
mod estimates;
mod notes;
#[cfg(test)]
mod tests;
mod waves;

pub use assess::{
    Assessment, Flag, Verdict, answer_text, assess, assess_previous_wave, assess_with_previous, names_read_by_rules,
    number_text,
};
pub use estimates::ANY_RULE;
pub use waves::{HbStatus, vacancies_per_return};

use crate::context::Context;
use crate::figures::QualityCounts;
use crate::previous::PreviousWave;
use crate::report::book::{Audience, Book, BookPlan};
use enterprise::{EnterpriseFacts, enterprise_sheet, new_flags_sheet};
use estimates::{breakdown_sheet, by_rule_sheet};
use serde::Serialize;
use survey_def::Severity;
use waves::{WaveComparison, change_sheet, compare, new_flags, rules_compared};

/// File name of the workbook.
pub const RISK_FILE: &str = "risk-flags.xlsx";

/// Enterprises that tripped one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// Rule id.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// Enterprises that tripped it.
    pub count: u64,
}

/// Flags (enterprise x rule) by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// High.
    pub high: u64,
    /// Medium.
    pub medium: u64,
    /// Low.
    pub low: u64,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }
}

/// What `summary.json` says of the comparison with the previous wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveSummary {
    /// Enterprises with a return in both waves.
    pub enterprises_matched: u64,
    /// Of those, Hidiroglou-Berthelot outliers in headcount.
    pub headcount_outliers: u64,
    /// Of those, Hidiroglou-Berthelot outliers in vacancies (absent when either wave's
    /// definition maps no vacancy table).
    pub vacancy_outliers: Option<u64>,
    /// Matched enterprises not assessed for headcount (0 or missing in a wave).
    pub headcount_not_assessed: u64,
    /// Matched enterprises not assessed for vacancies (0 or missing in a wave).
    pub vacancies_not_assessed: Option<u64>,
    /// Why the headcount screen did not run, when it did not (too few changed enterprises).
    pub headcount_screen_not_run: Option<String>,
    /// Flags new since the previous wave, by rule (every rule, in definition order).
    pub new_flags: Vec<RuleCount>,
    /// Flags new since the previous wave, by severity. Which enterprises they are is for
    /// officials only: the restricted workbook lists them, this summary never does.
    pub new_flags_by_severity: SeverityCounts,
    /// Rules whose flags are not compared with the previous wave (they read `previous()`,
    /// or a question the previous wave does not have), in definition order; left out when
    /// every rule is compared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules_not_compared: Vec<String>,
}

/// What `summary.json` says of the risk workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskSummary {
    /// Accepted returns judged by the rules (every return, in the frame or not).
    pub enterprises_assessed: u64,
    /// Of those, enterprises that tripped at least one rule.
    pub enterprises_flagged: u64,
    /// Enterprises flagged by each rule (every rule, in definition order).
    pub flags: Vec<RuleCount>,
    /// Flags (enterprise x rule) by severity.
    pub flags_by_severity: SeverityCounts,
    /// The comparison with the previous wave, when one was given.
    pub previous: Option<WaveSummary>,
    /// Quality marks of the estimate tables.
    pub quality: QualityCounts,
}

/// Counts per rule (all rules, zeros kept) and per severity of `flags`.
fn count_flags<'a>(ctx: &Context<'_>, flags: impl Iterator<Item = &'a Flag>) -> (Vec<RuleCount>, SeverityCounts) {
    let rules = ctx.def.risk_rules();
    let mut counts: Vec<RuleCount> = rules
        .iter()
        .map(|r| RuleCount {
            rule: r.id.clone(),
            severity: r.severity,
            count: 0,
        })
        .collect();
    let mut by_severity = SeverityCounts::default();
    for f in flags {
        counts[f.rule].count += 1;
        by_severity.add(rules[f.rule].severity);
    }
    (counts, by_severity)
}

fn wave_summary(ctx: &Context<'_>, waves: &WaveComparison, new: &[(&Flag, Verdict)], compared: &[bool]) -> WaveSummary {
    let (new_flags, new_flags_by_severity) = count_flags(ctx, new.iter().map(|(f, _)| *f));
    let not_assessed =
        |c: &waves::Compared| c.count(HbStatus::Zero) + c.count(HbStatus::Missing) + c.count(HbStatus::NotRun);
    WaveSummary {
        enterprises_matched: waves.matched.len() as u64,
        headcount_outliers: waves.headcount.count(HbStatus::Outlier),
        vacancy_outliers: waves.vacancies.as_ref().map(|v| v.count(HbStatus::Outlier)),
        headcount_not_assessed: not_assessed(&waves.headcount),
        vacancies_not_assessed: waves.vacancies.as_ref().map(not_assessed),
        headcount_screen_not_run: waves.headcount.outcome.as_ref().err().map(ToString::to_string),
        new_flags,
        new_flags_by_severity,
        rules_not_compared: ctx
            .def
            .risk_rules()
            .iter()
            .zip(compared)
            .filter(|(_, c)| !**c)
            .map(|(r, _)| r.id.clone())
            .collect(),
    }
}

/// Builds the risk workbook; `previous` is the previous wave, read with its own
/// definition, for the rules' `previous()` and the wave-over-wave sheets.
pub fn risk_report(ctx: &Context<'_>, previous: Option<&PreviousWave<'_>>) -> (Book, RiskSummary) {
    let current = assess_with_previous(ctx.def, ctx.lang, ctx.data, previous);
    let facts = EnterpriseFacts::of(ctx, ctx.data);
    let mut quality = QualityCounts::default();
    let mut sheets = vec![
        enterprise_sheet(ctx, &facts, &current),
        by_rule_sheet(ctx, &current, &mut quality),
        breakdown_sheet(
            ctx,
            &current,
            &ctx.breakdowns.section,
            ctx.tr("按行业门类", "By sector"),
            "RiskBySector",
            &mut quality,
        ),
    ];
    if let Some(subdistrict) = &ctx.breakdowns.subdistrict {
        sheets.push(breakdown_sheet(
            ctx,
            &current,
            subdistrict,
            ctx.tr("按街道", "By sub-district"),
            "RiskBySubdistrict",
            &mut quality,
        ));
    }
    let mut wave = None;
    if let Some(previous) = previous {
        let before = assess_previous_wave(ctx.def, ctx.lang, previous);
        let waves = compare(ctx, previous);
        let compared = rules_compared(ctx.def, previous);
        let new = new_flags(&current, &before, &waves, &compared);
        sheets.push(new_flags_sheet(ctx, &facts, &new, &compared));
        sheets.push(change_sheet(ctx, &facts, &waves));
        wave = Some(wave_summary(ctx, &waves, &new, &compared));
    }

    let mut notes = vec![notes::rules_section(ctx)];
    if let Some(previous) = previous {
        notes.push(notes::waves_section(ctx, previous));
    }
    let book = ctx.book(BookPlan {
        file_name: RISK_FILE,
        title: ctx.tr("企业用工风险监测（内部）", "Employment risk flags (officials only)"),
        audience: Audience::OfficialsOnly,
        sheets,
        notes,
        audit: None,
        figures: Vec::new(),
    });

    let (flags, flags_by_severity) = count_flags(ctx, current.flags.iter());
    let summary = RiskSummary {
        enterprises_assessed: current.rows() as u64,
        enterprises_flagged: (0..current.rows()).filter(|&r| current.flagged(r)).count() as u64,
        flags,
        flags_by_severity,
        previous: wave,
        quality,
    };
    (book, summary)
}
