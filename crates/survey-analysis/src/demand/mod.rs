//! `sector-demand.xlsx`: where demand is. Vacancies, the job vacancy rate, hard-to-fill
//! vacancies, planned hires and reductions, employment change, return to work and the
//! other declared totals by sector, industry, size class and sub-district; vacancies and
//! offered wages by occupation; the occupations most in demand; needs and difficulties.

mod measures;
mod occupations;
mod waves;

use crate::context::Context;
use crate::figures::{
    ALL, Breakdown, DOMAIN_COLUMN, ESTIMATE_COLUMN, Figure, FigureLine, FigureTable, Meaning, MeasureLine,
    QualityCounts, WaveChange, figure_cells, long_table, long_table_columns,
};
use crate::lines::Vacancies;
use crate::previous::PreviousWave;
use crate::publication::{AuditSummary, Publication, Relation};
use crate::report::book::{Audience, Book, BookPlan, Cell, Chart, ChartKind, Format, Print, Sheet, Table};
pub use measures::quantity;
use measures::{VacancyColumns, enterprise_measures};
pub use occupations::TOP_OCCUPATIONS;
use occupations::{OCCUPATION_MAJOR, occupation_measures, top_occupations};
use serde::Serialize;
use survey_def::QuestionKind;
pub use waves::{PreviousFigure, PreviousWaveSummary};
use waves::{add_previous_columns, headline_changes, previous_headline, previous_wave_notes};

/// File name of the workbook.
pub const DEMAND_FILE: &str = "sector-demand.xlsx";

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
    /// Enterprises it rests on: those that reported a value.
    pub enterprises: usize,
    /// Share of the figure made of imputed values, where values can be imputed.
    pub imputed_share: Option<f64>,
    /// CV above the caution limit, or more than half imputed.
    pub caution: bool,
    /// False when disclosure control suppressed it.
    pub published: bool,
    /// True when there is a value to show (computed and published).
    pub available: bool,
    /// Why there is no estimate, when there is none.
    pub problem: Option<String>,
    /// The previous wave's figure and the change, when a previous wave is given and it
    /// measures this too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousFigure>,
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
        imputed_share: f.imputed_share,
        caution: f.caution(),
        published,
        available: e.is_some(),
        problem: f.problem.clone(),
        previous: None,
    }
}

/// What `summary.json` says of the demand workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandSummary {
    /// Overall figures.
    pub headline: Vec<Headline>,
    /// Quality marks of every figure in the workbook.
    pub quality: QualityCounts,
    /// What the interval audit of the workbook's tables found.
    pub audit: AuditSummary,
    /// The previous wave the headline is compared with, when one is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_wave: Option<PreviousWaveSummary>,
}

/// Whether `table` is the headline table: the printed measures over all enterprises that
/// are not all shares (those are the needs table).
fn is_headline(table: &FigureTable) -> bool {
    table.sheet.is_some()
        && table.breakdown.id == ALL
        && !table
            .measures
            .iter()
            .all(|m| matches!(m.meaning, Meaning::Share { .. }))
}

/// Quantity of the weighted count of enterprises answering yes to `question`.
fn yes_quantity(question: &str) -> String {
    format!("{question}=yes")
}

/// Quantity of the weighted count of enterprises choosing `option` of `question`.
fn option_quantity(question: &str, option: &str) -> String {
    format!("{question}={option}")
}

/// Shares of enterprises answering yes, and choosing each option of the distributions,
/// over all enterprises; the options of each single choice, which add up to their base.
fn needs_figures(ctx: &Context<'_>) -> (FigureTable, Vec<Relation>) {
    let est = ctx.estimator();
    let everyone = Breakdown::everyone(String::new());
    let mut measures = Vec::new();
    let mut relations = Vec::new();
    let share = |id: String, label: String, quantity: String, line: FigureLine| MeasureLine {
        id,
        label,
        format: Format::Percent,
        meaning: Meaning::Share { quantity },
        hidden: false,
        line,
    };
    for q in &ctx.spec.shares {
        let line = est.proportions(&ctx.flags(q), &everyone);
        measures.push(share(q.clone(), ctx.question_label(q), yes_quantity(q), line));
    }
    for q in &ctx.spec.distributions {
        let Some(question) = ctx.def.question(q) else { continue };
        let Some(list) = question.kind.choices() else {
            continue;
        };
        let answers = ctx.texts(q);
        let multiple = matches!(question.kind, QuestionKind::MultipleChoice(_));
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
            measures.push(share(
                format!("{q}:{}", option.code),
                option.label.get(ctx.lang).to_owned(),
                option_quantity(q, &option.code),
                line,
            ));
        }
        if !multiple {
            relations.push(Relation::AddUpToBase(
                list.options.iter().map(|o| option_quantity(q, &o.code)).collect(),
            ));
        }
    }
    let table = FigureTable {
        sheet: Some(ctx.tr("需求与困难", "Needs and difficulties")),
        breakdown: everyone,
        measures,
    };
    (table, relations)
}

/// The needs table: a row per share and per option.
fn needs_table(ctx: &Context<'_>, figures: &FigureTable) -> Table {
    let yes = ctx.tr("是", "Yes");
    let rows = figures
        .measures
        .iter()
        .filter(|m| !m.hidden)
        .map(|m| {
            let (question, code, label) = match m.id.split_once(':') {
                Some((q, code)) => (ctx.question_label(q), code.to_owned(), m.label.clone()),
                None => (ctx.question_label(&m.id), "yes".to_owned(), yes.clone()),
            };
            let mut row = vec![Cell::text(question), Cell::text(code), Cell::text(label)];
            row.extend(figure_cells(&m.line.all, Format::Percent));
            row
        })
        .collect();
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
fn breakdown_sheet(ctx: &Context<'_>, table_name: &str, figures: &FigureTable, chart_measure: Option<&str>) -> Sheet {
    let breakdown = &figures.breakdown;
    let (mut table, blocks) = long_table(table_name, ctx.lang, breakdown, &figures.measures);
    table.footnotes.push(ctx.weighting_line());
    table.footnotes.extend(ctx.coverage_footnote());
    let shown: Vec<&MeasureLine> = figures.measures.iter().filter(|m| !m.hidden).collect();
    let chart = chart_measure.and_then(|id| {
        let k = shown.iter().position(|m| m.id == id)?;
        (!blocks[k].is_empty()).then(|| Chart {
            kind: ChartKind::Bar,
            title: format!("{}：{}", shown[k].label, breakdown.title),
            categories: DOMAIN_COLUMN,
            values: vec![ESTIMATE_COLUMN],
            rows: blocks[k].clone(),
        })
    });
    Sheet {
        print: Print::default(),
        title: format!("{} – {}", ctx.tr("劳动力需求", "Labor demand"), breakdown.title),
        intro: vec![
            ctx.weighting_line(),
            ctx.tr(
                "每个指标先列全部企业，再列各分组；可在“指标”列筛选。",
                "Each measure starts with all enterprises, then each group; filter the Measure column to see one.",
            ),
        ],
        name: figures.sheet.clone().unwrap_or_default(),
        table,
        chart,
    }
}

/// Relations between the enterprise quantities, whichever the definition maps.
fn quantity_relations() -> Vec<Relation> {
    use measures::quantity::*;
    let linear = |terms: &[(&str, f64)]| Relation::Linear(terms.iter().map(|(q, c)| ((*q).to_owned(), *c)).collect());
    vec![
        // E + V = posts.
        linear(&[(POSTS, 1.0), (EMPLOYEES, -1.0), (VACANCIES, -1.0)]),
        // Hires - reductions = net hiring.
        linear(&[
            (NET_PLANNED_HIRING, 1.0),
            (PLANNED_HIRES, -1.0),
            (PLANNED_REDUCTIONS, 1.0),
        ]),
        // Now - before = change.
        linear(&[(EMPLOYMENT_CHANGE, 1.0), (EMPLOYEES, -1.0), (EMPLOYEES_BEFORE, 1.0)]),
    ]
}

/// The figures of every table of the workbook, before the audit, with the relations
/// between their quantities.
fn demand_figures(ctx: &Context<'_>) -> Publication {
    let vacancies = Vacancies::of(ctx);
    let cols = VacancyColumns::of(ctx, &vacancies);
    let everyone = Breakdown::everyone(ctx.tr("全部企业", "All enterprises"));
    let mut tables = vec![FigureTable {
        sheet: Some(ctx.tr("概要", "Headline")),
        measures: enterprise_measures(ctx, cols.as_ref(), &vacancies, &everyone),
        breakdown: everyone,
    }];
    let b = &ctx.breakdowns;
    let mut enterprise_breakdowns = vec![
        (ctx.tr("按行业门类", "By sector"), &b.section),
        (ctx.tr("按行业大类", "By industry"), &b.division),
        (ctx.tr("按规模", "By size"), &b.size_class),
    ];
    if let Some(s) = &b.subdistrict {
        enterprise_breakdowns.push((ctx.tr("按街道", "By sub-district"), s));
    }
    for (name, breakdown) in enterprise_breakdowns {
        tables.push(FigureTable {
            sheet: Some(name),
            measures: enterprise_measures(ctx, cols.as_ref(), &vacancies, breakdown),
            breakdown: breakdown.clone(),
        });
    }
    if cols.is_some() {
        let (occupations, measures) = occupation_measures(ctx, &vacancies);
        tables.push(FigureTable {
            sheet: Some(ctx.tr("按职业", "By occupation")),
            breakdown: occupations,
            measures,
        });
        let (every_code, top, measure) = top_occupations(ctx, &vacancies);
        tables.push(every_code);
        tables.push(FigureTable {
            sheet: Some(ctx.tr("紧缺职业", "Top occupations")),
            breakdown: top,
            measures: vec![measure],
        });
    }
    let (needs, mut relations) = needs_figures(ctx);
    tables.push(needs);
    relations.extend(quantity_relations());
    Publication { tables, relations }
}

/// Builds the demand workbook; with the `previous` wave, its headline sheet shows the
/// previous wave's figure and the change beside each figure both waves measure.
pub fn demand_report(ctx: &Context<'_>, previous: Option<&PreviousWave<'_>>) -> (Book, DemandSummary) {
    // The previous wave's figures are estimated and audited as its own workbook's are.
    let (mut publication, before) = rayon::join(|| demand_figures(ctx), || previous.map(previous_headline));
    let audit = publication.protect(ctx);
    let mut quality = QualityCounts::default();
    for t in publication.tables.iter().filter(|t| t.sheet.is_some()) {
        quality.add(&t.measures);
    }
    let mut sheets = Vec::new();
    let table_names = [
        "Headline",
        "BySector",
        "ByIndustry",
        "BySize",
        "BySubdistrict",
        "ByOccupation",
        "TopOccupations",
    ];
    let mut headline = Vec::new();
    let mut headline_sheet = None;
    for figures in publication.tables.iter().filter(|t| t.sheet.is_some()) {
        match figures.breakdown.id {
            ALL if !is_headline(figures) => {
                sheets.push(Sheet {
                    print: Print::default(),
                    name: figures.sheet.clone().unwrap_or_default(),
                    title: ctx.tr(
                        "企业需求、困难与意向（企业占比）",
                        "Needs, difficulties and interests (share of enterprises)",
                    ),
                    intro: vec![ctx.weighting_line()],
                    table: needs_table(ctx, figures),
                    chart: None,
                });
            }
            ALL => {
                headline = figures
                    .measures
                    .iter()
                    .filter(|m| !m.hidden)
                    .map(Headline::of)
                    .collect();
                let mut sheet = breakdown_sheet(ctx, table_names[0], figures, None);
                sheet.title = ctx.tr("主要指标（全部企业）", "Headline figures (all enterprises)");
                sheet.intro.truncate(1);
                if let (Some(wave), Some(before)) = (previous, &before) {
                    let changes = headline_changes(&figures.measures, before);
                    for (h, c) in headline.iter_mut().zip(&changes) {
                        h.previous = PreviousFigure::of(c);
                    }
                    add_previous_columns(ctx, &mut sheet.table, wave, &figures.measures, &changes, before);
                    let printed = figures.measures.iter().filter(|m| !m.hidden);
                    let by_measure: Vec<(String, WaveChange)> = printed.map(|m| m.id.clone()).zip(changes).collect();
                    headline_sheet = Some((sheet.name.clone(), by_measure));
                }
                sheets.push(sheet);
            }
            id => {
                let table_name = match id {
                    "section" => table_names[1],
                    "division" => table_names[2],
                    "size_class" => table_names[3],
                    "subdistrict" => table_names[4],
                    OCCUPATION_MAJOR => table_names[5],
                    _ => table_names[6],
                };
                let mut sheet = breakdown_sheet(ctx, table_name, figures, Some(measures::quantity::VACANCIES));
                if table_name == table_names[6] {
                    sheet.title = ctx.tr(
                        &format!("职位空缺最多的{TOP_OCCUPATIONS}个职业"),
                        &format!("The {TOP_OCCUPATIONS} occupations with the most vacancies"),
                    );
                    sheet.intro.push(ctx.tr(
                        "只列出通过保密审查的职业；职业名称取企业填写最多的名称。",
                        "Only occupations whose figure passed disclosure control are ranked; names are those enterprises wrote most often.",
                    ));
                }
                sheets.push(sheet);
            }
        }
    }
    if let Some(strata) = ctx.strata_sheet("Strata") {
        sheets.push(strata);
    }

    let mut figure_rows = publication.figure_rows(&ctx.tr("全部", "All"));
    if let Some((sheet, changes)) = &headline_sheet {
        for row in figure_rows
            .iter_mut()
            .filter(|r| &r.sheet == sheet && r.breakdown == ALL)
        {
            row.change = changes
                .iter()
                .find(|(id, _)| *id == row.measure)
                .map(|(_, c)| c.clone());
        }
    }
    let mut notes = vec![demand_definitions(ctx)];
    notes.extend(previous.map(|wave| previous_wave_notes(ctx, wave)));
    let book = ctx.book(BookPlan {
        file_name: DEMAND_FILE,
        title: ctx.tr(
            "重点行业企业用工需求分析",
            "Labor demand of enterprises in key industries",
        ),
        audience: Audience::Published,
        sheets,
        notes,
        audit: Some(&audit),
        figures: figure_rows,
    });
    let previous_wave = previous
        .zip(before.as_ref())
        .map(|(wave, before)| PreviousWaveSummary::of(wave, &headline, before));
    let summary = DemandSummary {
        headline,
        quality,
        audit,
        previous_wave,
    };
    (book, summary)
}

/// What each published measure is, for the measures the definition maps only, named by
/// the definition's own question labels.
fn demand_definitions(ctx: &Context<'_>) -> crate::report::book::NoteSection {
    let spec = ctx.spec;
    let label = |q: &str| ctx.question_label(q);
    let mut paragraphs = Vec::new();
    if let Some(v) = &spec.vacancies {
        paragraphs.push(ctx.tr(
            &format!(
                "职位空缺率 JVR = V/(E+V)：V为正在招聘的空缺岗位数（“{}”各行“{}”之和），E为“{}”（欧盟统计局、美国JOLTS定义）。",
                label(&v.table),
                column_label(ctx, &v.table, &v.openings),
                label(&spec.employees)
            ),
            &format!(
                "Job vacancy rate JVR = V/(E+V): V the posts open and actively recruited for (\"{}\" summed over the lines of \"{}\"), E \"{}\" (Eurostat, JOLTS).",
                column_label(ctx, &v.table, &v.openings),
                label(&v.table),
                label(&spec.employees)
            ),
        ));
        if let Some(htf) = &v.hard_to_fill {
            paragraphs.push(ctx.tr(
                &format!("难招岗位占比 = “{}”之和 / 空缺数。", column_label(ctx, &v.table, htf)),
                &format!(
                    "Hard-to-fill share = \"{}\" summed / vacancies.",
                    column_label(ctx, &v.table, htf)
                ),
            ));
        }
        if let Some(ssv) = &v.skill_shortage {
            paragraphs.push(ctx.tr(
                &format!(
                    "技能短缺岗位占比 = “{}”之和 / 空缺数（英国雇主技能调查）。",
                    column_label(ctx, &v.table, ssv)
                ),
                &format!(
                    "Skill-shortage share = \"{}\" summed / vacancies (UK Employer Skills Survey).",
                    column_label(ctx, &v.table, ssv)
                ),
            ));
        }
        if let Some(wage) = &v.wage {
            paragraphs.push(ctx.tr(
                &format!(
                    "“{}”的分位数按岗位计：每个岗位行的权数为企业权数×空缺数。",
                    column_label(ctx, &v.table, wage)
                ),
                &format!(
                    "Quantiles of \"{}\" are per post: each vacancy line weighs its enterprise's weight times its openings.",
                    column_label(ctx, &v.table, wage)
                ),
            ));
        }
    }
    if let (Some(h), Some(r)) = (&spec.planned_hires, &spec.planned_reductions) {
        paragraphs.push(ctx.tr(
            &format!("净招聘计划 = “{}” − “{}”。", label(h), label(r)),
            &format!("Net planned hiring = \"{}\" - \"{}\".", label(h), label(r)),
        ));
    }
    if let Some(before) = &spec.employees_before {
        paragraphs.push(ctx.tr(
            &format!(
                "用工人数变化 = “{}” − “{}”；变化率 = 变化 / “{}”。",
                label(&spec.employees),
                label(before),
                label(before)
            ),
            &format!(
                "Employment change = \"{}\" - \"{}\"; change rate = change / \"{}\".",
                label(&spec.employees),
                label(before),
                label(before)
            ),
        ));
    }
    if let (Some(returned), Some(expected)) = (&spec.returned, &spec.expected_to_return) {
        paragraphs.push(ctx.tr(
            &format!("返岗率 = “{}” / “{}”。", label(returned), label(expected)),
            &format!(
                "Return-to-work rate = \"{}\" / \"{}\".",
                label(returned),
                label(expected)
            ),
        ));
    }
    if !spec.totals.is_empty() {
        let names: Vec<String> = spec.totals.iter().map(|q| format!("“{}”", label(q))).collect();
        paragraphs.push(ctx.tr(
            &format!("加权总量：{}。", names.join("、")),
            &format!("Weighted totals: {}.", names.join(", ")),
        ));
    }
    crate::report::book::NoteSection {
        heading: ctx.tr("指标定义", "Definitions"),
        paragraphs,
    }
}

/// A table column's label in the report language (its id when unknown).
fn column_label(ctx: &Context<'_>, table: &str, column: &str) -> String {
    ctx.def
        .question(table)
        .and_then(|t| t.column(column))
        .map_or_else(|| column.to_owned(), |c| c.label.get(ctx.lang).to_owned())
}
