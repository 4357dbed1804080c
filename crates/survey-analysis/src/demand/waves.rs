//! The headline sheet beside the previous wave: for each figure both waves measure, the
//! previous wave's figure and the change.
//!
//! The previous wave's figures are those its own workbook publishes: every table of its
//! demand workbook is estimated by its own definition's `[analysis]` roles, on its own
//! returns and the frame of this analysis, and audited under the same disclosure control,
//! so a figure suppressed there stays suppressed here, and so does a change involving it.
//! A measure is the same in both waves when its id is: the roles' measures (vacancies,
//! the job vacancy rate, planned hires...) whatever the questions' ids, a declared total
//! when both list the question of that id.

use super::{Headline, demand_figures, is_headline};
use crate::CellStatus;
use crate::context::Context;
use crate::figures::{Change, Figure, MeasureLine, WaveChange};
use crate::previous::PreviousWave;
use crate::report::book::{Cell, Column, ColumnStyle, Format, NoteSection, Table};
use serde::Serialize;

/// The previous wave's headline measures, as its own demand workbook publishes them, or
/// why they could not be estimated.
pub fn previous_headline(wave: &PreviousWave<'_>) -> Result<Vec<MeasureLine>, String> {
    let ctx = wave.estimation.clone()?;
    let mut publication = demand_figures(ctx);
    publication.protect(ctx);
    Ok(publication
        .tables
        .into_iter()
        .find(is_headline)
        .map(|t| t.measures.into_iter().filter(|m| !m.hidden).collect())
        .unwrap_or_default())
}

/// A figure with no estimate, for a previous wave whose figures could not be estimated.
fn not_estimated(reason: &str) -> Figure {
    Figure {
        estimate: None,
        status: CellStatus::Published,
        enterprises: 0,
        imputed_share: None,
        base: None,
        problem: Some(reason.to_owned()),
    }
}

/// Each printed measure of this wave's headline (`now`, hidden ones skipped) against the
/// previous wave's measure of the same id.
pub fn headline_changes(now: &[MeasureLine], before: &Result<Vec<MeasureLine>, String>) -> Vec<WaveChange> {
    now.iter()
        .filter(|m| !m.hidden)
        .map(|m| {
            let previous = match before {
                Ok(lines) => lines.iter().find(|b| b.id == m.id).map(|b| b.line.all.clone()),
                Err(reason) => Some(not_estimated(reason)),
            };
            WaveChange::of(&m.line.all, previous.as_ref(), &m.meaning)
        })
        .collect()
}

/// The previous wave beside a headline figure, for `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousFigure {
    /// The previous wave's estimate (absent when suppressed or not computable).
    pub value: Option<f64>,
    /// False when disclosure control suppressed the previous wave's figure.
    pub published: bool,
    /// This wave's figure minus the previous wave's (absent when either is suppressed or
    /// not computable); rates and shares in percentage points as a fraction.
    pub change: Option<f64>,
    /// The change over the previous wave's figure, for totals and quantiles.
    pub relative_change: Option<f64>,
}

impl PreviousFigure {
    /// The figure of a measure both waves measure; `None` when the previous wave does not.
    pub fn of(c: &WaveChange) -> Option<PreviousFigure> {
        let previous = c.previous.as_ref()?;
        let (change, relative_change) = match c.change {
            Change::Value { absolute, relative } => (Some(absolute), relative),
            Change::Suppressed | Change::NotAvailable => (None, None),
        };
        Some(PreviousFigure {
            value: c.previous_value(),
            published: previous.status.is_published(),
            change,
            relative_change,
        })
    }
}

/// What `summary.json` says of the previous wave the headline is compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousWaveSummary {
    /// Its survey id.
    pub survey: String,
    /// Its definition's version.
    pub version: String,
    /// Its definition's fingerprint.
    pub fingerprint: String,
    /// Its accepted returns.
    pub returns: u64,
    /// Why its figures could not be estimated, when they could not.
    pub not_estimated: Option<String>,
    /// Headline measures both waves measure, in print order.
    pub measures_compared: Vec<String>,
    /// Headline measures the previous wave does not measure.
    pub measures_not_measured: Vec<String>,
    /// This definition's roles the previous wave's definition does not have.
    pub roles_missing: Vec<String>,
}

impl PreviousWaveSummary {
    /// The summary of `wave` against this wave's headline.
    pub fn of(wave: &PreviousWave<'_>, headline: &[Headline], before: &Result<Vec<MeasureLine>, String>) -> Self {
        let s = wave.def.survey();
        let (compared, not_measured): (Vec<&Headline>, Vec<&Headline>) = match before {
            Ok(_) => headline.iter().partition(|h| h.previous.is_some()),
            Err(_) => (Vec::new(), Vec::new()),
        };
        PreviousWaveSummary {
            survey: s.id.clone(),
            version: s.version.clone(),
            fingerprint: wave.def.fingerprint.clone(),
            returns: wave.data.len() as u64,
            not_estimated: before.as_ref().err().cloned(),
            measures_compared: compared.iter().map(|h| h.id.clone()).collect(),
            measures_not_measured: not_measured.iter().map(|h| h.id.clone()).collect(),
            roles_missing: wave.matching.roles_missing.clone(),
        }
    }
}

/// Adds the previous wave's figure, the change and the relative change to the headline
/// `table`, whose rows are the printed `measures` in order, with footnotes on what they
/// are and what is not compared.
pub fn add_previous_columns(
    ctx: &Context<'_>,
    table: &mut Table,
    wave: &PreviousWave<'_>,
    measures: &[MeasureLine],
    changes: &[WaveChange],
    before: &Result<Vec<MeasureLine>, String>,
) {
    let c = |header: String, format: Format| Column {
        header,
        format,
        style: ColumnStyle::Plain,
    };
    table.columns.extend([
        c(ctx.tr("上期估计值", "Previous wave"), Format::Decimal),
        c(ctx.tr("变化", "Change"), Format::Decimal),
        c(ctx.tr("变化率", "Relative change"), Format::Percent),
    ]);
    let printed: Vec<&MeasureLine> = measures.iter().filter(|m| !m.hidden).collect();
    for ((row, m), change) in table.rows.iter_mut().zip(&printed).zip(changes) {
        let previous = match &change.previous {
            None => Cell::NotAvailable,
            Some(f) if !f.status.is_published() => Cell::Suppressed,
            Some(f) => match f.estimate.as_ref().map(|e| e.value) {
                Some(v) if v.is_finite() => Cell::Formatted(v, m.format),
                _ => Cell::NotAvailable,
            },
        };
        let (absolute, relative) = match change.change {
            Change::Value { absolute, relative } => (
                Cell::Formatted(absolute, m.format),
                match relative {
                    Some(r) => Cell::Formatted(r, Format::Percent),
                    None => Cell::Blank,
                },
            ),
            Change::Suppressed => (Cell::Suppressed, Cell::Suppressed),
            Change::NotAvailable => (Cell::NotAvailable, Cell::NotAvailable),
        };
        row.extend([previous, absolute, relative]);
    }
    let (frame_zh, frame_en) = if ctx.sample.weighted {
        ("方法和抽样框", "method and frame")
    } else {
        ("方法", "method")
    };
    table.footnotes.push(ctx.tr(
        &format!(
            "上期：{}，{}份问卷；上期数字按其自己的问卷定义的[analysis]角色、用与本期相同的{frame_zh}估计，并经同样的保密审查：上期隐藏的数字在此仍隐藏，涉及隐藏数字的变化也隐藏。",
            wave.identity(),
            wave.data.len()
        ),
        &format!(
            "Previous wave: {}, {} returns; its figures are estimated by its own definition's [analysis] roles with the same {frame_en} as this wave's, under the same disclosure control: a figure suppressed there is suppressed here, and so is a change involving it.",
            wave.identity(),
            wave.data.len()
        ),
    ));
    table.footnotes.push(ctx.tr(
        "变化 = 本期 − 上期（比率和占比为百分点）；变化率 = 变化 / 上期，仅用于总量和分位数。两期样本有重叠，变化不给标准误。",
        "Change = this wave - previous wave (rates and shares in percentage points); relative change = change / previous wave, for totals and quantiles only. The two waves' samples overlap, so the change carries no standard error.",
    ));
    match before {
        Err(reason) => table.footnotes.push(ctx.tr(
            &format!("上期数字无法估计：{reason}。"),
            &format!("The previous wave's figures could not be estimated: {reason}."),
        )),
        Ok(_) => {
            let not_measured: Vec<&str> = printed
                .iter()
                .zip(changes)
                .filter(|(_, c)| c.previous.is_none())
                .map(|(m, _)| m.label.as_str())
                .collect();
            if !not_measured.is_empty() {
                table.footnotes.push(ctx.tr(
                    &format!("上期未调查（不作比较）：{}。", not_measured.join("；")),
                    &format!(
                        "Not measured in the previous wave (not compared): {}.",
                        not_measured.join("; ")
                    ),
                ));
            }
        }
    }
}

/// The method note on the comparison with the previous wave.
pub fn previous_wave_notes(ctx: &Context<'_>, wave: &PreviousWave<'_>) -> NoteSection {
    let mut paragraphs = vec![ctx.tr(
        &format!(
            "“概要”表在本期数字旁列出上期 {} 的同一指标及其变化。上期数字按上期问卷自己的定义估计：两期指标按[analysis]角色对应（如职位空缺数、职位空缺率、计划招聘人数），与题目代码无关；“加权总量”中的题目按相同题目代码对应。一期没有的角色不作比较。",
            wave.identity()
        ),
        &format!(
            "The Headline sheet shows, beside each figure, the same measure in the previous wave, {}, and the change. The previous wave's figures are estimated by its own definition: measures are matched by their [analysis] role (vacancies, the job vacancy rate, planned hires...), whatever the questions' ids; declared totals by question id. A role one wave lacks is not compared.",
            wave.identity()
        ),
    )];
    if ctx.sample.weighted {
        paragraphs.push(ctx.tr(
            "上期数字使用本次分析的抽样框，按上期问卷定义的规模分类分层；企业按企业代码（及代码对照表）放入框中：框中没有的上期企业不纳入上期估计。",
            "The previous wave's figures use the frame of this analysis, with the previous definition's size classes; its enterprises are placed in it by their id (after the id mapping, when one is given): previous-wave enterprises the frame does not list are left out of its figures.",
        ));
    }
    if !wave.matching.roles_missing.is_empty() {
        paragraphs.push(ctx.tr(
            &format!(
                "上期问卷定义没有、因而不作比较的角色：{}。",
                wave.matching.roles_missing.join("；")
            ),
            &format!(
                "Roles the previous wave's definition does not have, so not compared: {}.",
                wave.matching.roles_missing.join("; ")
            ),
        ));
    }
    NoteSection {
        heading: ctx.tr("与上期比较", "Comparison with the previous wave"),
        paragraphs,
    }
}
