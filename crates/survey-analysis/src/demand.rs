//! `sector-demand.xlsx`: where demand is. Vacancies, the job vacancy rate, hard-to-fill
//! vacancies, planned hires and reductions, employment change, return to work and the
//! other declared totals by sector, industry, size class and sub-district; vacancies and
//! offered wages by occupation; the occupations most in demand; needs and difficulties.

use crate::context::Context;
use crate::figures::{
    Breakdown, DOMAIN_COLUMN, Domain, ESTIMATE_COLUMN, Figure, FigureLine, MeasureLine, QualityCounts, figure_cells,
    long_table, long_table_columns,
};
use crate::lines::{Vacancies, VacancyLine};
use crate::report::book::{Audience, Book, Cell, Chart, ChartKind, Format, Sheet, Table};
use serde::Serialize;
use survey_def::QuestionType;
use survey_def::codes::{OCCUPATION_MAJOR_GROUPS, occupation_major_group};

/// File name of the workbook.
pub const DEMAND_FILE: &str = "sector-demand.xlsx";
/// Occupations listed in the "most in demand" table.
pub const TOP_OCCUPATIONS: usize = 15;

/// A headline figure for machines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// Stable id of the measure.
    pub id: String,
    /// Its name in the report language.
    pub label: String,
    /// The estimate (absent when suppressed or not computable).
    pub value: Option<f64>,
    /// Standard error.
    pub se: Option<f64>,
    /// Lower end of the 95% interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci_high: Option<f64>,
    /// Coefficient of variation.
    pub cv: Option<f64>,
    /// Enterprises it rests on.
    pub enterprises: usize,
    /// CV above the caution limit.
    pub caution: bool,
    /// False when disclosure control suppressed it.
    pub published: bool,
    /// True when there is a value to show (computed and published).
    pub available: bool,
    /// Why there is no estimate, when there is none.
    pub problem: Option<String>,
}

impl Headline {
    /// The headline of a measure's overall figure.
    pub fn of(measure: &MeasureLine) -> Headline {
        headline(&measure.id, &measure.label, &measure.line.all)
    }
}

/// A headline from one figure.
pub fn headline(id: &str, label: &str, f: &Figure) -> Headline {
    let published = f.status.is_published();
    let e = f.estimate.as_ref().filter(|_| published);
    Headline {
        id: id.to_owned(),
        label: label.to_owned(),
        value: e.map(|e| e.value),
        se: e.and_then(|e| e.se),
        ci_low: e.and_then(|e| e.ci_low),
        ci_high: e.and_then(|e| e.ci_high),
        cv: e.and_then(|e| e.cv),
        enterprises: f.enterprises,
        caution: f.caution(),
        published,
        available: e.is_some(),
        problem: f.problem.clone(),
    }
}

/// What `summary.json` says of the demand workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandSummary {
    /// Overall figures.
    pub headline: Vec<Headline>,
    /// Quality marks of every figure in the workbook.
    pub quality: QualityCounts,
}

/// Per-unit columns the demand measures are computed from.
struct Columns {
    vacancies: Vec<Option<f64>>,
    hard_to_fill: Vec<Option<f64>>,
    skill_shortage: Vec<Option<f64>>,
    posts: Vec<Option<f64>>,
}

fn plus(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<f64>> {
    a.iter().zip(b).map(|(a, b)| Some((*a)? + (*b)?)).collect()
}

fn minus(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<Option<f64>> {
    a.iter().zip(b).map(|(a, b)| Some((*a)? - (*b)?)).collect()
}

/// The enterprise-level measures for one breakdown, in print order.
fn enterprise_measures(ctx: &Context<'_>, cols: &Columns, vacancies: &Vacancies, b: &Breakdown) -> Vec<MeasureLine> {
    let est = ctx.estimator();
    let spec = ctx.spec;
    let mut out = Vec::new();
    let mut push = |id: &str, label: String, format: Format, line: FigureLine| {
        out.push(MeasureLine {
            id: id.to_owned(),
            label,
            format,
            line,
        })
    };
    let v = est.totals(&cols.vacancies, b);
    push(
        "job_vacancy_rate",
        ctx.tr("职位空缺率 V/(E+V)", "Job vacancy rate V/(E+V)"),
        Format::Percent,
        est.ratios(&cols.vacancies, &cols.posts, b, Some(&v)),
    );
    let htf = est.totals(&cols.hard_to_fill, b);
    push(
        "hard_to_fill_share",
        ctx.tr("难招岗位占比", "Hard-to-fill share of vacancies"),
        Format::Percent,
        est.ratios(&cols.hard_to_fill, &cols.vacancies, b, Some(&htf)),
    );
    if spec.vacancies.skill_shortage.is_some() {
        let ssv = est.totals(&cols.skill_shortage, b);
        push(
            "skill_shortage_density",
            ctx.tr("技能短缺岗位占比", "Skill-shortage vacancies share"),
            Format::Percent,
            est.ratios(&cols.skill_shortage, &cols.vacancies, b, Some(&ssv)),
        );
    }
    push("vacancies", ctx.tr("职位空缺数", "Vacancies"), Format::Persons, v);
    push(
        "hard_to_fill",
        ctx.tr("难招岗位数", "Hard-to-fill vacancies"),
        Format::Persons,
        htf,
    );
    let hires = spec.planned_hires.as_deref().map(|q| ctx.numbers(q));
    let reductions = spec.planned_reductions.as_deref().map(|q| ctx.numbers(q));
    let mut hires_line = hires.as_ref().map(|h| est.totals(h, b));
    let mut reductions_line = reductions.as_ref().map(|r| est.totals(r, b));
    let mut net_line = match (&hires, &reductions) {
        (Some(h), Some(r)) => Some(est.totals(&minus(h, r), b)),
        _ => None,
    };
    // Any two of hires, reductions and net hiring give the third: they share their gaps.
    let mut linked: Vec<&mut FigureLine> = [&mut hires_line, &mut reductions_line, &mut net_line]
        .into_iter()
        .filter_map(Option::as_mut)
        .collect();
    crate::figures::suppress_together(&mut linked);
    if let Some(line) = hires_line {
        push(
            "planned_hires",
            ctx.tr("计划招聘人数", "Planned hires"),
            Format::Persons,
            line,
        );
    }
    if let Some(line) = reductions_line {
        push(
            "planned_reductions",
            ctx.tr("计划减员人数", "Planned reductions"),
            Format::Persons,
            line,
        );
    }
    if let Some(line) = net_line {
        push(
            "net_planned_hiring",
            ctx.tr("净招聘计划（招聘−减员）", "Net planned hiring (hires - reductions)"),
            Format::Persons,
            line,
        );
    }
    if let Some(before) = spec.employees_before.as_deref() {
        let before = ctx.numbers(before);
        let now = ctx.numbers(&spec.employees);
        let change = minus(&now, &before);
        let change_line = est.totals(&change, b);
        push(
            "employment_change_rate",
            ctx.tr("用工人数变化率", "Employment change rate"),
            Format::Percent,
            est.ratios(&change, &before, b, Some(&change_line)),
        );
        push(
            "employment_change",
            ctx.tr("用工人数变化", "Employment change (persons)"),
            Format::Persons,
            change_line,
        );
    }
    if let (Some(returned), Some(expected)) = (spec.returned.as_deref(), spec.expected_to_return.as_deref()) {
        let returned = ctx.numbers(returned);
        let expected = ctx.numbers(expected);
        let returned_line = est.totals(&returned, b);
        push(
            "return_rate",
            ctx.tr("节后返岗率", "Return-to-work rate after the festival"),
            Format::Percent,
            est.ratios(&returned, &expected, b, Some(&returned_line)),
        );
        push(
            "returned",
            ctx.tr("节后返岗人数", "Workers back after the festival"),
            Format::Persons,
            returned_line,
        );
    }
    for q in &spec.totals {
        push(
            q,
            ctx.question_label(q),
            Format::Persons,
            est.totals(&ctx.numbers(q), b),
        );
    }
    let domain_of_unit = b.domain_of_units(ctx.sample.units());
    let lines = vacancies.lines_by_group(b.domains.len(), |l| domain_of_unit.get(l.unit).copied().flatten());
    out.extend(wage_measures(ctx, vacancies, b, &lines));
    out
}

/// Median and quartiles of the offered wage per domain; `lines[k]` are the vacancy lines
/// (indices, in line order) that count in domain k (by their enterprise, or by their own
/// occupation).
fn wage_measures(ctx: &Context<'_>, vacancies: &Vacancies, b: &Breakdown, lines: &[Vec<usize>]) -> Vec<MeasureLine> {
    if ctx.spec.vacancies.wage.is_none() {
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
                let mut f = est.plain(value, contributions.len(), confidence);
                // Threshold and dominance on the posts' weight by enterprise.
                f.status = ctx.rules.primary(&contributions);
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
                line: FigureLine { domains, all },
            }
        })
        .collect()
}

/// Measures by occupation major group: each enterprise's lines summed per group first.
fn occupation_measures(ctx: &Context<'_>, vacancies: &Vacancies) -> (Breakdown, Vec<MeasureLine>) {
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
        id: "occupation",
        title: ctx.tr("职业大类（GB/T 6565）", "Occupation major group (GB/T 6565)"),
        domains,
    };
    let every_line: Vec<usize> = (0..vacancies.lines.len()).collect();
    // The cells of a line-based breakdown are per-domain sums, so each domain gets its own
    // y (0 outside the domain) rather than a membership mask over one y.
    let by_group = |value: fn(&VacancyLine) -> f64| -> FigureLine {
        let cells: Vec<Vec<(usize, f64)>> = lines.iter().map(|l| vacancies.sums_by_unit(l, value)).collect();
        line_of_sums(ctx, &breakdown, &cells, vacancies.per_unit(|_| true, value))
    };
    let v = by_group(|l| l.openings);
    let htf = by_group(|l| l.hard_to_fill);
    // A share is suppressed with its numerator or its denominator (the vacancies line).
    let share = |num: &FigureLine, value: fn(&VacancyLine) -> f64| -> FigureLine {
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
        FigureLine { domains, all }
    };
    let mut measures = vec![
        MeasureLine {
            id: "vacancies".into(),
            label: ctx.tr("职位空缺数", "Vacancies"),
            format: Format::Persons,
            line: v.clone(),
        },
        MeasureLine {
            id: "hard_to_fill_share".into(),
            label: ctx.tr("难招岗位占比", "Hard-to-fill share of vacancies"),
            format: Format::Percent,
            line: share(&htf, |l| l.hard_to_fill),
        },
        MeasureLine {
            id: "hard_to_fill".into(),
            label: ctx.tr("难招岗位数", "Hard-to-fill vacancies"),
            format: Format::Persons,
            line: htf,
        },
    ];
    if ctx.spec.vacancies.skill_shortage.is_some() {
        let ssv = by_group(|l| l.skill_shortage);
        measures.push(MeasureLine {
            id: "skill_shortage_density".into(),
            label: ctx.tr("技能短缺岗位占比", "Skill-shortage vacancies share"),
            format: Format::Percent,
            line: share(&ssv, |l| l.skill_shortage),
        });
    }
    measures.extend(wage_measures(ctx, vacancies, &breakdown, &lines));
    (breakdown, measures)
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
    let cell_contributions: Vec<Vec<f64>> = cells
        .iter()
        .map(|cell| cell.iter().map(|&(i, y)| y * w[i]).collect())
        .collect();
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
    let everyone: Vec<f64> = (0..all.len()).filter_map(|i| all[i].map(|v| v * w[i])).collect();
    let mut total = figure(design.total(&all), all.len());
    total.status = match (status.total, ctx.rules.primary(&everyone)) {
        (crate::CellStatus::Published, own) => own,
        (s, _) => s,
    };
    FigureLine { domains, all: total }
}

/// The occupations with the most vacancies (among published cells).
fn top_occupations(ctx: &Context<'_>, vacancies: &Vacancies) -> (Breakdown, Vec<MeasureLine>) {
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
        id: "occupation_code",
        title: ctx.tr("职业", "Occupation"),
        domains: codes
            .iter()
            .zip(&cells)
            .map(|(c, cell)| Domain {
                code: c.clone(),
                label: names.get(c).cloned().unwrap_or_default(),
                units: cell.iter().map(|&(unit, _)| unit).collect(),
                // Codes add up to their major group, published on the occupation sheet.
                parent: occupation_major_group(c).map(String::from),
            })
            .collect(),
    };
    let line = line_of_sums(ctx, &breakdown, &cells, vacancies.per_unit(|_| true, |l| l.openings));
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
        id: breakdown.id,
        title: breakdown.title.clone(),
        domains: order.iter().map(|&k| breakdown.domains[k].clone()).collect(),
    };
    let measure = MeasureLine {
        id: "vacancies".into(),
        label: ctx.tr("职位空缺数", "Vacancies"),
        format: Format::Persons,
        line: FigureLine {
            domains: order.iter().map(|&k| line.domains[k].clone()).collect(),
            all: line.all.clone(),
        },
    };
    (top, vec![measure])
}

/// Shares of enterprises answering yes, and choosing each option of the distributions.
fn needs_table(ctx: &Context<'_>, quality: &mut QualityCounts) -> Table {
    let est = ctx.estimator();
    let everyone = Breakdown {
        id: "all",
        title: String::new(),
        domains: Vec::new(),
    };
    let mut rows = Vec::new();
    let mut measures = Vec::new();
    let yes = ctx.tr("是", "Yes");
    for q in &ctx.spec.shares {
        let line = est.proportions(&ctx.flags(q), &everyone);
        let mut row = vec![Cell::text(ctx.question_label(q)), Cell::text("yes"), Cell::text(&yes)];
        row.extend(figure_cells(&line.all, Format::Percent));
        rows.push(row);
        measures.push(MeasureLine {
            id: q.clone(),
            label: ctx.question_label(q),
            format: Format::Percent,
            line,
        });
    }
    for q in &ctx.spec.distributions {
        let Some(question) = ctx.def.question(q) else { continue };
        let Some(list) = ctx.def.choices_of(&question.spec) else {
            continue;
        };
        let answers = ctx.texts(q);
        let multiple = question.kind() == QuestionType::MultipleChoice;
        for option in &list.options {
            let chose: Vec<Option<bool>> = answers
                .iter()
                .map(|a| {
                    a.as_deref().map(|a| {
                        if multiple {
                            a.split(';').any(|c| c == option.code)
                        } else {
                            a == option.code
                        }
                    })
                })
                .collect();
            let line = est.proportions(&chose, &everyone);
            let mut row = vec![
                Cell::text(ctx.question_label(q)),
                Cell::text(&option.code),
                Cell::text(option.label.get(ctx.lang)),
            ];
            row.extend(figure_cells(&line.all, Format::Percent));
            rows.push(row);
            measures.push(MeasureLine {
                id: format!("{q}:{}", option.code),
                label: option.label.get(ctx.lang).to_owned(),
                format: Format::Percent,
                line,
            });
        }
    }
    quality.add(&measures);
    Table {
        name: "Needs".into(),
        columns: long_table_columns(ctx.lang, &ctx.tr("选项", "Option")),
        rows,
        footnotes: vec![ctx.tr(
            "占比 = 选择该选项的企业占回答该题企业的比例（加权）；多选题各选项之和可超过100%。",
            "Share = enterprises choosing the option among those answering the question (weighted); options of a multiple choice can add up to more than 100%.",
        )],
    }
}

/// A sheet with a long table and, when asked, a bar chart of one measure's domains.
fn breakdown_sheet(
    ctx: &Context<'_>,
    name: String,
    table_name: &str,
    breakdown: &Breakdown,
    measures: &[MeasureLine],
    chart_measure: Option<&str>,
) -> Sheet {
    let (mut table, blocks) = long_table(table_name, ctx.lang, breakdown, measures);
    table.footnotes.push(ctx.weighting_line());
    let chart = chart_measure.and_then(|id| {
        let k = measures.iter().position(|m| m.id == id)?;
        (!blocks[k].is_empty()).then(|| Chart {
            kind: ChartKind::Bar,
            title: format!("{}：{}", measures[k].label, breakdown.title),
            categories: DOMAIN_COLUMN,
            values: vec![ESTIMATE_COLUMN],
            rows: blocks[k].clone(),
        })
    });
    Sheet {
        title: format!("{} – {}", ctx.tr("劳动力需求", "Labor demand"), breakdown.title),
        intro: vec![
            ctx.weighting_line(),
            ctx.tr(
                "每个指标先列全部企业，再列各分组；可在“指标”列筛选。",
                "Each measure starts with all enterprises, then each group; filter the Measure column to see one.",
            ),
        ],
        name,
        table,
        chart,
    }
}

/// Builds the demand workbook.
pub fn demand_report(ctx: &Context<'_>) -> (Book, DemandSummary) {
    let vacancies = Vacancies::of(ctx);
    let vacancy_sums = vacancies.per_unit(|_| true, |l| l.openings);
    let employees = ctx.numbers(&ctx.spec.employees);
    let cols = Columns {
        posts: plus(&employees, &vacancy_sums),
        vacancies: vacancy_sums,
        hard_to_fill: vacancies.per_unit(|_| true, |l| l.hard_to_fill),
        skill_shortage: vacancies.per_unit(|_| true, |l| l.skill_shortage),
    };
    let mut quality = QualityCounts::default();
    let mut sheets = Vec::new();

    let everyone = Breakdown {
        id: "all",
        title: ctx.tr("全部企业", "All enterprises"),
        domains: Vec::new(),
    };
    let headline_measures = enterprise_measures(ctx, &cols, &vacancies, &everyone);
    let (mut headline_table, _) = long_table("Headline", ctx.lang, &everyone, &headline_measures);
    headline_table.footnotes.push(ctx.weighting_line());
    sheets.push(Sheet {
        name: ctx.tr("概要", "Headline"),
        title: ctx.tr("主要指标（全部企业）", "Headline figures (all enterprises)"),
        intro: vec![ctx.weighting_line()],
        table: headline_table,
        chart: None,
    });

    let b = &ctx.breakdowns;
    let mut enterprise_breakdowns = vec![
        (ctx.tr("按行业门类", "By sector"), "BySector", &b.section),
        (ctx.tr("按行业大类", "By industry"), "ByIndustry", &b.division),
        (ctx.tr("按规模", "By size"), "BySize", &b.size_class),
    ];
    if let Some(s) = &b.subdistrict {
        enterprise_breakdowns.push((ctx.tr("按街道", "By sub-district"), "BySubdistrict", s));
    }
    for (name, table_name, breakdown) in enterprise_breakdowns {
        let measures = enterprise_measures(ctx, &cols, &vacancies, breakdown);
        quality.add(&measures);
        sheets.push(breakdown_sheet(
            ctx,
            name,
            table_name,
            breakdown,
            &measures,
            Some("vacancies"),
        ));
    }

    let (occupations, occupation_lines) = occupation_measures(ctx, &vacancies);
    quality.add(&occupation_lines);
    sheets.push(breakdown_sheet(
        ctx,
        ctx.tr("按职业", "By occupation"),
        "ByOccupation",
        &occupations,
        &occupation_lines,
        Some("vacancies"),
    ));
    let (top, top_lines) = top_occupations(ctx, &vacancies);
    let mut top_sheet = breakdown_sheet(
        ctx,
        ctx.tr("紧缺职业", "Top occupations"),
        "TopOccupations",
        &top,
        &top_lines,
        Some("vacancies"),
    );
    top_sheet.title = ctx.tr(
        &format!("职位空缺最多的{TOP_OCCUPATIONS}个职业"),
        &format!("The {TOP_OCCUPATIONS} occupations with the most vacancies"),
    );
    top_sheet.intro.push(ctx.tr(
        "只列出通过保密审查的职业；职业名称取企业填写最多的名称。",
        "Only occupations whose figure passed disclosure control are ranked; names are those enterprises wrote most often.",
    ));
    sheets.push(top_sheet);

    let needs = needs_table(ctx, &mut quality);
    sheets.push(Sheet {
        name: ctx.tr("需求与困难", "Needs and difficulties"),
        title: ctx.tr(
            "企业需求、困难与意向（企业占比）",
            "Needs, difficulties and interests (share of enterprises)",
        ),
        intro: vec![ctx.weighting_line()],
        table: needs,
        chart: None,
    });
    if let Some(strata) = ctx.strata_sheet("Strata") {
        sheets.push(strata);
    }

    let contents = sheets.iter().map(|s| (s.name.clone(), s.title.clone())).collect();
    let cover = ctx.cover(
        ctx.tr(
            "重点行业企业用工需求分析",
            "Labor demand of enterprises in key industries",
        ),
        Audience::Published,
        contents,
    );
    let mut notes = ctx.method_notes();
    notes.insert(0, demand_definitions(ctx));
    let summary = DemandSummary {
        headline: headline_measures.iter().map(Headline::of).collect(),
        quality,
    };
    let book = Book {
        file_name: DEMAND_FILE.into(),
        lang: ctx.lang,
        cover,
        sheets,
        notes,
    };
    (book, summary)
}

fn demand_definitions(ctx: &Context<'_>) -> crate::report::book::NoteSection {
    crate::report::book::NoteSection {
        heading: ctx.tr("指标定义", "Definitions"),
        paragraphs: vec![
            ctx.tr(
                "职位空缺率 JVR = V/(E+V)：V为正在招聘的空缺岗位数（各岗位行之和），E为现有职工人数（欧盟统计局、美国JOLTS定义）。",
                "Job vacancy rate JVR = V/(E+V): V the posts open and actively recruited for (sum of the vacancy lines), E the employees now (Eurostat, JOLTS).",
            ),
            ctx.tr(
                "难招岗位占比 = 难招岗位数/空缺数；技能短缺岗位占比 = 因技能短缺难招的岗位数/空缺数（英国雇主技能调查）。",
                "Hard-to-fill share = hard-to-fill vacancies / vacancies; skill-shortage share = vacancies hard to fill for lack of skills / vacancies (UK Employer Skills Survey).",
            ),
            ctx.tr(
                "净招聘计划 = 计划招聘 − 计划减员；用工人数变化率 = (现有 − 节前)/节前；节后返岗率 = 已返岗/预计返岗。",
                "Net planned hiring = planned hires - planned reductions; employment change rate = (now - before) / before; return-to-work rate = returned / expected to return.",
            ),
            ctx.tr(
                "提供工资的分位数按岗位计：每个岗位行的权数为企业权数×空缺数。",
                "Offered-wage quantiles are per post: each vacancy line weighs its enterprise's weight times its openings.",
            ),
        ],
    }
}
