//! Estimates on the flags: for each rule (and for any rule), the share of enterprises
//! flagged and the employment at risk (employees of flagged enterprises), weighted like
//! every other figure and under the same disclosure control, overall and by breakdown.
//!
//! These rest on the design's units only: an enterprise outside the frame is on the
//! enterprise list but has no weight to stand for others.

use super::assess::Assessment;
use crate::context::Context;
use crate::figures::{
    Breakdown, DOMAIN_COLUMN, ESTIMATE_COLUMN, FigureLine, Meaning, MeasureLine, QualityCounts, figure_cells,
    long_table, long_table_columns,
};
use crate::impute::Answers;
use crate::report::book::{Cell, Chart, ChartKind, Format, Print, Sheet, Table};
use crate::{CellStatus, Contributions};

/// Code of the "any rule" line in the estimate tables.
pub const ANY_RULE: &str = "any";

/// What a line is about: one rule (by index) or any rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Any,
    Rule(usize),
}

/// Per design unit: whether the target tripped. A rule that could not be decided counts
/// as not tripped (`Some(false)`), so every unit is in the base of the share.
fn indicator(ctx: &Context<'_>, assessment: &Assessment, target: Target) -> Vec<Option<bool>> {
    ctx.sample
        .rows
        .iter()
        .map(|&row| {
            Some(match target {
                Target::Any => assessment.flagged(row),
                Target::Rule(k) => assessment.tripped(row, k),
            })
        })
        .collect()
}

/// Employees x tripped: a flagged unit's employees (imputed where they were), 0 otherwise.
fn at_risk(employees: &Answers, tripped: &[Option<bool>]) -> Answers {
    let values = employees
        .values
        .iter()
        .zip(tripped)
        .map(|(e, t)| match t {
            Some(true) => *e,
            Some(false) => Some(0.0),
            None => None,
        })
        .collect();
    let imputed = employees
        .imputed
        .iter()
        .zip(tripped)
        .map(|(i, t)| *i && *t == Some(true))
        .collect();
    Answers { values, imputed }
}

fn targets(ctx: &Context<'_>) -> Vec<(Target, String, String)> {
    let mut out = vec![(Target::Any, ANY_RULE.to_owned(), ctx.tr("任一规则", "Any rule"))];
    out.extend(
        ctx.def
            .risk_rules()
            .iter()
            .enumerate()
            .map(|(k, r)| (Target::Rule(k), r.id.clone(), r.label.get(ctx.lang).to_owned())),
    );
    out
}

fn share_label(ctx: &Context<'_>) -> String {
    ctx.tr("触发风险的企业占比", "Share of enterprises flagged")
}

fn employment_label(ctx: &Context<'_>) -> String {
    ctx.tr("涉及职工人数", "Employment at risk")
}

/// The two lines of one target over a breakdown: share flagged, employment at risk.
fn target_lines(
    ctx: &Context<'_>,
    assessment: &Assessment,
    employees: &Answers,
    target: Target,
    b: &Breakdown,
) -> (FigureLine, FigureLine) {
    let est = ctx.estimator();
    let tripped = indicator(ctx, assessment, target);
    let share = est.proportions(&tripped, b);
    let y = at_risk(employees, &tripped);
    let mut employment = est.totals(&y, b);
    protect_flagged(ctx, &mut employment, &y, b);
    (share, employment)
}

/// Employment at risk rests on the flagged enterprises alone: the 0 of every other
/// enterprise must not count towards the threshold, or a sector with one flagged
/// enterprise among many would show that enterprise's headcount. The rules are applied
/// again to the non-zero contributions, and a cell is suppressed when either pass
/// suppresses it (both passes leave none or at least two cells of the line suppressed,
/// and so does their union, so secondary suppression still holds).
fn protect_flagged(ctx: &Context<'_>, line: &mut FigureLine, y: &Answers, b: &Breakdown) {
    let w = ctx.sample.design.weights();
    let contributions = |units: &mut dyn Iterator<Item = usize>| -> Contributions {
        let mut cell = Contributions::default();
        for i in units {
            let Some(v) = y.values[i].filter(|v| *v != 0.0) else {
                continue;
            };
            cell.units += 1;
            if !y.imputed[i] {
                cell.reported.push(v);
                cell.weighted.push(v * w[i]);
            }
        }
        cell
    };
    let cells: Vec<Contributions> = b
        .domains
        .iter()
        .map(|d| contributions(&mut d.units.iter().copied()))
        .collect();
    let status = ctx.rules.line(&cells);
    let all = match (status.total, ctx.rules.judge(&contributions(&mut (0..y.len())))) {
        (CellStatus::Published, own) => own,
        (suppressed, _) => suppressed,
    };
    for (figure, s) in line.domains.iter_mut().zip(status.cells) {
        if figure.status.is_published() {
            figure.status = s;
        }
    }
    if line.all.status.is_published() {
        line.all.status = all;
    }
}

/// Measures for a breakdown sheet: per target, its share then its employment at risk.
pub fn rule_measures(ctx: &Context<'_>, assessment: &Assessment, b: &Breakdown) -> Vec<MeasureLine> {
    let employees = ctx.numbers(&ctx.spec.employees);
    let mut out = Vec::new();
    for (target, code, label) in targets(ctx) {
        let (share, employment) = target_lines(ctx, assessment, &employees, target, b);
        out.push(MeasureLine {
            id: format!("share_flagged:{code}"),
            label: format!("{}{}{label}", share_label(ctx), ctx.tr("：", ": ")),
            format: Format::Percent,
            meaning: Meaning::Share {
                quantity: format!("flagged:{code}"),
            },
            hidden: false,
            line: share,
        });
        out.push(MeasureLine {
            id: format!("employment_at_risk:{code}"),
            label: format!("{}{}{label}", employment_label(ctx), ctx.tr("：", ": ")),
            format: Format::Persons,
            meaning: Meaning::Total {
                quantity: format!("employment_at_risk:{code}"),
                nonnegative: true,
            },
            hidden: false,
            line: employment,
        });
    }
    out
}

fn estimate_intro(ctx: &Context<'_>) -> Vec<String> {
    vec![
        ctx.weighting_line(),
        ctx.tr(
            "企业占比 = 触发规则的企业占全部企业的比例；涉及职工人数 = 触发规则企业的职工人数之和。因缺少回答无法判断的规则按未触发计。",
            "Share flagged = enterprises that tripped the rule among all enterprises; employment at risk = employees of the enterprises that tripped it. A rule that cannot be decided for lack of answers counts as not tripped.",
        ),
    ]
}

/// The by-rule sheet: every rule's share flagged and employment at risk over all
/// enterprises, with a bar chart of the shares.
pub fn by_rule_sheet(ctx: &Context<'_>, assessment: &Assessment, quality: &mut QualityCounts) -> Sheet {
    let everyone = Breakdown::everyone(String::new());
    let employees = ctx.numbers(&ctx.spec.employees);
    let targets = targets(ctx);
    let lines: Vec<(FigureLine, FigureLine)> = targets
        .iter()
        .map(|(target, _, _)| target_lines(ctx, assessment, &employees, *target, &everyone))
        .collect();
    // Two blocks (shares, then employment), each "any rule" first, then every rule, so
    // that the shares of the rules are consecutive rows for the chart.
    let mut rows = Vec::new();
    let mut measures = Vec::new();
    let blocks = [
        (share_label(ctx), Format::Percent, "share_flagged"),
        (employment_label(ctx), Format::Persons, "employment_at_risk"),
    ];
    for (block, (measure, format, id)) in blocks.iter().enumerate() {
        for ((_, code, label), (share, employment)) in targets.iter().zip(&lines) {
            let line = if block == 0 { share } else { employment };
            let mut row = vec![Cell::text(measure), Cell::text(code), Cell::text(label)];
            row.extend(figure_cells(&line.all, *format));
            rows.push(row);
            let meaning = if block == 0 {
                Meaning::Share {
                    quantity: format!("flagged:{code}"),
                }
            } else {
                Meaning::Total {
                    quantity: format!("employment_at_risk:{code}"),
                    nonnegative: true,
                }
            };
            measures.push(MeasureLine {
                id: format!("{id}:{code}"),
                label: format!("{measure}{}{label}", ctx.tr("：", ": ")),
                format: *format,
                meaning,
                hidden: false,
                line: line.clone(),
            });
        }
    }
    quality.add(&measures);
    let rules = ctx.def.risk_rules().len();
    let chart = (rules > 0).then(|| Chart {
        kind: ChartKind::Bar,
        title: share_label(ctx),
        categories: DOMAIN_COLUMN,
        values: vec![ESTIMATE_COLUMN],
        // Row 0 is "any rule"; rows 1..=rules are the rules.
        rows: 1..rules + 1,
    });
    Sheet {
        print: Print::default(),
        name: ctx.tr("按规则", "By rule"),
        title: ctx.tr("各风险规则触发情况（全部企业）", "Risk flags by rule (all enterprises)"),
        intro: estimate_intro(ctx),
        table: Table {
            name: "RiskByRule".into(),
            columns: long_table_columns(ctx.lang, &ctx.tr("风险规则", "Rule")),
            rows,
            footnotes: vec![ctx.weighting_line()],
        },
        chart,
    }
}

/// A sheet of every rule's figures over one breakdown (sector, sub-district).
pub fn breakdown_sheet(
    ctx: &Context<'_>,
    assessment: &Assessment,
    breakdown: &Breakdown,
    name: String,
    table_name: &str,
    quality: &mut QualityCounts,
) -> Sheet {
    let measures = rule_measures(ctx, assessment, breakdown);
    quality.add(&measures);
    let (mut table, _) = long_table(table_name, ctx.lang, breakdown, &measures);
    table.footnotes.push(ctx.weighting_line());
    let mut intro = estimate_intro(ctx);
    intro.push(ctx.tr(
        "每个指标先列全部企业，再列各分组；可在“指标”列筛选。",
        "Each measure starts with all enterprises, then each group; filter the Measure column to see one.",
    ));
    Sheet {
        print: Print::default(),
        title: format!("{} – {}", ctx.tr("风险规则触发情况", "Risk flags"), breakdown.title),
        intro,
        name,
        table,
        chart: None,
    }
}
