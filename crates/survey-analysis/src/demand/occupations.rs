//! Demand by occupation: vacancy lines grouped by GB/T 6565 major group and by
//! occupation code, each enterprise's lines summed per domain first (the enterprise is
//! the cluster); the occupations with the most vacancies; offered-wage quantiles.

use super::measures::quantity;
use crate::Contributions;
use crate::context::Context;
use crate::figures::{Breakdown, Domain, Figure, FigureLine, FigureTable, Meaning, MeasureLine};
use crate::lines::{Vacancies, VacancyLine};
use crate::report::book::Format;
use survey_def::codes::{OCCUPATION_MAJOR_GROUPS, occupation_major_group};

/// Occupations listed in the "most in demand" table.
pub const TOP_OCCUPATIONS: usize = 15;

/// Id of the breakdown by occupation code.
pub const OCCUPATION_CODE: &str = "occupation";
/// Id of the breakdown by occupation major group.
pub const OCCUPATION_MAJOR: &str = "occupation_major";

/// Median and quartiles of the offered wage per domain; `lines[k]` are the vacancy lines
/// (indices, in line order) that count in domain k (by their enterprise, or by their own
/// occupation).
pub fn wage_measures(
    ctx: &Context<'_>,
    vacancies: &Vacancies,
    b: &Breakdown,
    lines: &[Vec<usize>],
) -> Vec<MeasureLine> {
    if ctx.spec.vacancies.as_ref().is_none_or(|v| v.wage.is_none()) {
        return Vec::new();
    }
    let est = ctx.estimator();
    let weights = ctx.sample.design.weights();
    let confidence = ctx.sample.design.confidence();
    let every_line: Vec<usize> = (0..vacancies.lines.len()).collect();
    let quantiles = [
        (
            "wage_q1",
            ctx.tr(
                "提供工资 下四分位数（元/月）",
                "Offered wage, lower quartile (yuan/month)",
            ),
            0.25,
        ),
        (
            "wage_median",
            ctx.tr("提供工资 中位数（元/月）", "Offered wage, median (yuan/month)"),
            0.5,
        ),
        (
            "wage_q3",
            ctx.tr(
                "提供工资 上四分位数（元/月）",
                "Offered wage, upper quartile (yuan/month)",
            ),
            0.75,
        ),
    ];
    quantiles
        .into_iter()
        .map(|(id, label, p)| {
            let figure = |lines: &[usize]| {
                let (value, contributions) = vacancies.wage_quantile(weights, lines, p);
                let mut f = est.plain(value, contributions.reported.len(), confidence);
                // Threshold and dominance on the enterprises' posts, reported and weighted.
                f.status = ctx.rules.judge(&contributions);
                f
            };
            let domains = (0..b.domains.len())
                .map(|k| figure(lines.get(k).map_or(&[], Vec::as_slice)))
                .collect();
            let all = figure(&every_line);
            MeasureLine {
                id: id.to_owned(),
                label,
                format: Format::Yuan,
                meaning: Meaning::Quantile,
                hidden: false,
                line: FigureLine { domains, all },
            }
        })
        .collect()
}

/// A total of line values per domain of a line-based breakdown.
fn line_total(id: &str, label: String, line: FigureLine, hidden: bool) -> MeasureLine {
    MeasureLine {
        id: id.to_owned(),
        label,
        format: Format::Persons,
        // Openings and their parts are counts.
        meaning: Meaning::Total {
            quantity: id.to_owned(),
            nonnegative: true,
        },
        hidden,
        line,
    }
}

/// Measures by occupation major group: each enterprise's lines summed per group first.
pub fn occupation_measures(ctx: &Context<'_>, vacancies: &Vacancies) -> (Breakdown, Vec<MeasureLine>) {
    let est = ctx.estimator();
    let groups: Vec<(char, String)> = OCCUPATION_MAJOR_GROUPS
        .iter()
        .map(|(code, zh, en)| (*code, ctx.tr(zh, en)))
        .collect();
    // Lines of each group, found in one pass; a group with no line has no domain.
    let group_lines = vacancies.lines_by_group(groups.len(), |l| {
        let g = Vacancies::major_group(l)?;
        groups.iter().position(|(code, _)| *code == g)
    });
    let (domains, lines): (Vec<Domain>, Vec<Vec<usize>>) = groups
        .iter()
        .zip(group_lines)
        .filter(|(_, lines)| !lines.is_empty())
        .map(|((g, label), lines)| {
            let domain = Domain {
                code: g.to_string(),
                label: label.clone(),
                units: vacancies
                    .sums_by_unit(&lines, |_| 0.0)
                    .iter()
                    .map(|&(u, _)| u)
                    .collect(),
                parent: None,
            };
            (domain, lines)
        })
        .unzip();
    let breakdown = Breakdown {
        id: OCCUPATION_MAJOR,
        title: ctx.tr("职业大类（GB/T 6565）", "Occupation major group (GB/T 6565)"),
        domains,
        parent: None,
    };
    let every_line: Vec<usize> = (0..vacancies.lines.len()).collect();
    // The cells of a line-based breakdown are per-domain sums, so each domain gets its own
    // y (0 outside the domain) rather than a membership mask over one y.
    let by_group = |value: fn(&VacancyLine) -> f64| -> FigureLine {
        let cells: Vec<Vec<(usize, f64)>> = lines.iter().map(|l| vacancies.sums_by_unit(l, value)).collect();
        line_of_sums(ctx, &breakdown, &cells, vacancies.per_unit(|_| true, value))
    };
    let v = by_group(|l| l.openings);
    // A share is suppressed with its numerator or its denominator (the vacancies line).
    let share = |id: &str, label: String, num: &FigureLine, value: fn(&VacancyLine) -> f64| -> MeasureLine {
        let ratio = |lines: &[usize]| {
            let y = vacancies.sums_by_unit(lines, value);
            let x = vacancies.sums_by_unit(lines, |l| l.openings);
            let listed: Vec<(usize, f64, f64)> = y.iter().zip(&x).map(|(&(u, y), &(_, x))| (u, y, x)).collect();
            (est.design.ratio_of_listed(&listed), listed.len())
        };
        let mut domains = Vec::new();
        for (k, l) in lines.iter().enumerate() {
            let (r, n) = ratio(l);
            domains.push(judged(ctx, r, n, &[&num.domains[k], &v.domains[k]]));
        }
        let (r, n) = ratio(&every_line);
        let all = judged(ctx, r, n, &[&num.all, &v.all]);
        MeasureLine {
            id: id.to_owned(),
            label,
            format: Format::Percent,
            meaning: Meaning::Ratio {
                numerator: num_quantity(id).to_owned(),
                denominator: quantity::VACANCIES.to_owned(),
            },
            hidden: false,
            line: FigureLine { domains, all },
        }
    };
    let mut measures = vec![line_total(
        quantity::VACANCIES,
        ctx.tr("职位空缺数", "Vacancies"),
        v.clone(),
        false,
    )];
    let columns = ctx.spec.vacancies.as_ref();
    if columns.is_some_and(|c| c.hard_to_fill.is_some()) {
        let htf = by_group(|l| l.hard_to_fill);
        measures.push(share(
            "hard_to_fill_share",
            ctx.tr("难招岗位占比", "Hard-to-fill share of vacancies"),
            &htf,
            |l| l.hard_to_fill,
        ));
        measures.push(line_total(
            quantity::HARD_TO_FILL,
            ctx.tr("难招岗位数", "Hard-to-fill vacancies"),
            htf,
            false,
        ));
    }
    if columns.is_some_and(|c| c.skill_shortage.is_some()) {
        let ssv = by_group(|l| l.skill_shortage);
        measures.push(share(
            "skill_shortage_density",
            ctx.tr("技能短缺岗位占比", "Skill-shortage vacancies share"),
            &ssv,
            |l| l.skill_shortage,
        ));
        measures.push(line_total(
            quantity::SKILL_SHORTAGE,
            ctx.tr("技能短缺岗位数", "Skill-shortage vacancies"),
            ssv,
            true,
        ));
    }
    measures.extend(wage_measures(ctx, vacancies, &breakdown, &lines));
    (breakdown, measures)
}

/// The quantity a line-based share is a ratio of, by the share's id.
fn num_quantity(share: &str) -> &'static str {
    match share {
        "skill_shortage_density" => quantity::SKILL_SHORTAGE,
        _ => quantity::HARD_TO_FILL,
    }
}

/// A ratio figure judged with the statuses of its numerator and denominator.
fn judged(
    ctx: &Context<'_>,
    result: Result<crate::Estimate, crate::EstimateError>,
    n: usize,
    totals: &[&Figure],
) -> Figure {
    let mut f = ctx.estimator().plain(None, n, ctx.sample.design.confidence());
    match result {
        Ok(e) => {
            f.estimate = Some(e);
            f.problem = None;
        }
        Err(e) => f.problem = Some(e.to_string()),
    }
    if let Some(t) = totals.iter().find(|t| !t.status.is_published()) {
        f.status = t.status;
    }
    f
}

/// Totals of per-domain sums (line-based cells, `(unit, sum)` for the units of each
/// domain, 0 for every other unit) with disclosure control across them.
fn line_of_sums(
    ctx: &Context<'_>,
    breakdown: &Breakdown,
    cells: &[Vec<(usize, f64)>],
    all: Vec<Option<f64>>,
) -> FigureLine {
    let design = &ctx.sample.design;
    let w = design.weights();
    let contributions = |cell: &[(usize, f64)]| Contributions {
        reported: cell.iter().map(|&(_, y)| y).collect(),
        weighted: cell.iter().map(|&(i, y)| y * w[i]).collect(),
        units: cell.len(),
    };
    let cell_contributions: Vec<Contributions> = cells.iter().map(|c| contributions(c)).collect();
    let mut status = ctx.rules.line(&cell_contributions);
    crate::figures::protect_siblings(&ctx.rules, &mut status.cells, &breakdown.domains, &cell_contributions);
    let estimator = ctx.estimator();
    let figure = |total: Result<crate::Estimate, crate::EstimateError>, n: usize| {
        let mut f = ctx.estimator().plain(None, n, design.confidence());
        match total {
            Ok(e) => {
                f.estimate = Some(e);
                f.problem = None;
            }
            Err(e) => f.problem = Some(e.to_string()),
        }
        f.imputed_share = Some(0.0);
        estimator.unweighted_total(f)
    };
    let domains = cells
        .iter()
        .zip(status.cells)
        .map(|(cell, s)| {
            let mut f = figure(design.total_of_listed(cell), cell.len());
            f.status = s;
            f
        })
        .collect();
    let everyone: Vec<(usize, f64)> = (0..all.len()).filter_map(|i| Some((i, all[i]?))).collect();
    let mut total = figure(design.total(&all), all.len());
    total.status = match (status.total, ctx.rules.judge(&contributions(&everyone))) {
        (crate::CellStatus::Published, own) => own,
        (s, _) => s,
    };
    FigureLine { domains, all: total }
}

/// The vacancies of every occupation code (for the audit: the codes a table does not
/// print still add up to their major group) and the table of the codes with the most
/// vacancies among published cells.
pub fn top_occupations(ctx: &Context<'_>, vacancies: &Vacancies) -> (FigureTable, Breakdown, MeasureLine) {
    let names = vacancies.occupation_names();
    let mut codes: Vec<String> = vacancies.lines.iter().filter_map(|l| l.occupation.clone()).collect();
    codes.sort();
    codes.dedup();
    let code_lines = vacancies.lines_by_group(codes.len(), |l| {
        let code = l.occupation.as_deref()?;
        codes.binary_search_by(|c| c.as_str().cmp(code)).ok()
    });
    let cells: Vec<Vec<(usize, f64)>> = code_lines
        .iter()
        .map(|lines| vacancies.sums_by_unit(lines, |l| l.openings))
        .collect();
    let breakdown = Breakdown {
        id: OCCUPATION_CODE,
        title: ctx.tr("职业", "Occupation"),
        domains: codes
            .iter()
            .zip(&cells)
            .map(|(c, cell)| Domain {
                code: c.clone(),
                label: names.get(c).cloned().unwrap_or_default(),
                units: cell.iter().map(|&(unit, _)| unit).collect(),
                // Codes add up to their major group, published on the occupation sheet.
                parent: occupation_major_group(c).map(|g| g.to_string()),
            })
            .collect(),
        parent: Some(OCCUPATION_MAJOR),
    };
    let line = line_of_sums(ctx, &breakdown, &cells, vacancies.per_unit(|_| true, |l| l.openings));
    let every_code = FigureTable {
        sheet: None,
        breakdown: breakdown.clone(),
        measures: vec![line_total(
            quantity::VACANCIES,
            ctx.tr("职位空缺数", "Vacancies"),
            line.clone(),
            true,
        )],
    };
    // Rank published cells by the estimate; keep the top ones.
    let mut order: Vec<usize> = (0..codes.len())
        .filter(|&k| line.domains[k].published_value().is_some())
        .collect();
    order.sort_by(|&a, &b| {
        let value = |k: usize| line.domains[k].published_value().unwrap_or(0.0);
        value(b).total_cmp(&value(a)).then(a.cmp(&b))
    });
    order.truncate(TOP_OCCUPATIONS);
    let top = Breakdown {
        domains: order.iter().map(|&k| breakdown.domains[k].clone()).collect(),
        ..breakdown
    };
    let measure = line_total(
        quantity::VACANCIES,
        ctx.tr("职位空缺数", "Vacancies"),
        FigureLine {
            domains: order.iter().map(|&k| line.domains[k].clone()).collect(),
            all: line.all.clone(),
        },
        false,
    );
    (every_code, top, measure)
}
