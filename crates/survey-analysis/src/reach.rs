//! `policy-reach.xlsx`: how far employment policies reach enterprises. For each policy of
//! the definition: awareness, application and receipt rates, conversion (applied among
//! aware), approval (received among applied) and the gap (enterprises that need what the
//! policy offers and have not applied), overall and by sector and size class; the channels
//! through which enterprises learned of each policy; the support enterprises ask for,
//! mapped to the services of the programme.
//!
//! "Applied" is asked only of enterprises that know the policy, and "received" only of
//! those that applied (the definition's skip logic), so an enterprise that does not know a
//! policy has not applied and has not received it: the indicators carry that `false`
//! rather than a missing answer, and every rate has all respondents as its base.

use crate::context::Context;
use crate::dataset::{AnswerColumns, names_read};
use crate::demand::{Headline, headline};
use crate::figures::{
    Breakdown, DOMAIN_COLUMN, ESTIMATE_COLUMN, FigureLine, MeasureLine, QualityCounts, figure_cells, long_table,
    long_table_columns,
};
use crate::report::book::{Audience, Book, Cell, Chart, ChartKind, Format, NoteSection, Sheet, Table};
use serde::Serialize;
use std::collections::BTreeSet;
use survey_def::Policy;
use survey_def::expr::{Value, eval};

/// File name of the workbook.
pub const REACH_FILE: &str = "policy-reach.xlsx";

/// What `summary.json` says of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyHeadline {
    /// Policy id.
    pub policy: String,
    /// Its name in the report language.
    pub name: String,
    /// Awareness, application, receipt, conversion, approval and gap rates.
    pub rates: Vec<Headline>,
}

/// What `summary.json` says of the reach workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachSummary {
    /// Per policy, in definition order.
    pub policies: Vec<PolicyHeadline>,
    /// Quality marks of every figure in the workbook.
    pub quality: QualityCounts,
}

/// Per-unit indicators of one policy.
struct PolicyIndicators {
    aware: Vec<Option<bool>>,
    applied: Vec<Option<bool>>,
    received: Vec<Option<bool>>,
    /// Needs what the policy offers and has not applied; `None` without a need condition.
    gap: Option<Vec<Option<bool>>>,
}

/// The chain aware => applied => received with skipped answers read as `false`.
fn indicators(ctx: &Context<'_>, policy: &Policy) -> PolicyIndicators {
    let aware = ctx.flags(&policy.spec.aware);
    let applied_answer = ctx.flags(&policy.spec.applied);
    let received_answer = ctx.flags(&policy.spec.received);
    let applied: Vec<Option<bool>> = aware
        .iter()
        .zip(&applied_answer)
        .map(|(aware, applied)| match aware {
            Some(false) => Some(false),
            _ => *applied,
        })
        .collect();
    let received: Vec<Option<bool>> = applied
        .iter()
        .zip(&received_answer)
        .map(|(applied, received)| match applied {
            Some(false) => Some(false),
            _ => *received,
        })
        .collect();
    let gap = policy.need.as_ref().map(|need| {
        let mut questions = BTreeSet::new();
        let mut columns = BTreeSet::new();
        names_read(need, &mut questions, &mut columns);
        let decoded = AnswerColumns::new(ctx.data, ctx.def, &questions, &columns);
        ctx.sample
            .rows
            .iter()
            .zip(&applied)
            .map(|(&row, applied)| {
                let answers = decoded.row(row);
                match (eval(need, &answers), applied) {
                    (Value::Bool(true), Some(applied)) => Some(!applied),
                    (Value::Bool(true), None) => None,
                    // No need (or undecidable): not in the gap.
                    _ => Some(false),
                }
            })
            .collect()
    });
    PolicyIndicators {
        aware,
        applied,
        received,
        gap,
    }
}

/// The rates of one policy over a breakdown, in print order.
fn policy_measures(ctx: &Context<'_>, policy: &Policy, ind: &PolicyIndicators, b: &Breakdown) -> Vec<MeasureLine> {
    let est = ctx.estimator();
    let name = policy.spec.name.get(ctx.lang);
    let mut out = Vec::new();
    let mut push = |id: &str, what: String, format: Format, line: FigureLine| {
        out.push(MeasureLine {
            id: format!("{}:{id}", policy.spec.id),
            label: format!("{name}{}{what}", ctx.tr("：", ": ")),
            format,
            line,
        })
    };
    push(
        "awareness",
        ctx.tr("知晓率", "awareness"),
        Format::Percent,
        est.proportions(&ind.aware, b),
    );
    push(
        "application",
        ctx.tr("申请率", "application"),
        Format::Percent,
        est.proportions(&ind.applied, b),
    );
    push(
        "receipt",
        ctx.tr("享受率", "receipt"),
        Format::Percent,
        est.proportions(&ind.received, b),
    );
    push(
        "conversion",
        ctx.tr("知晓后申请率", "conversion (applied among aware)"),
        Format::Percent,
        est.proportions(&within(&ind.applied, &ind.aware), b),
    );
    push(
        "approval",
        ctx.tr("申请后享受率", "approval (received among applied)"),
        Format::Percent,
        est.proportions(&within(&ind.received, &ind.applied), b),
    );
    if let Some(gap) = &ind.gap {
        let count: Vec<Option<f64>> = gap.iter().map(|g| g.map(|g| if g { 1.0 } else { 0.0 })).collect();
        let mut share = est.proportions(gap, b);
        let mut enterprises = est.totals(&count, b);
        // The share and the weighted count give each other back with the domain's size.
        crate::figures::suppress_together(&mut [&mut share, &mut enterprises]);
        push(
            "gap",
            ctx.tr("有需求未申请的企业占比", "gap (need it, not applied)"),
            Format::Percent,
            share,
        );
        push(
            "gap_enterprises",
            ctx.tr("有需求未申请的企业数", "gap (enterprises)"),
            Format::Count,
            enterprises,
        );
    }
    out
}

/// `indicator` restricted to the units where `base` is true (a proportion within a
/// subpopulation: outside it the unit is not counted at all).
fn within(indicator: &[Option<bool>], base: &[Option<bool>]) -> Vec<Option<bool>> {
    indicator
        .iter()
        .zip(base)
        .map(|(i, b)| if *b == Some(true) { *i } else { None })
        .collect()
}

/// Policies as rows of one measure block each (awareness of every policy, then
/// application...), for the overview sheet and its chart.
fn overview(ctx: &Context<'_>, all: &[(&Policy, Vec<MeasureLine>)]) -> (Table, Vec<std::ops::Range<usize>>) {
    let measure_names = [
        ("awareness", ctx.tr("知晓率", "Awareness")),
        ("application", ctx.tr("申请率", "Application")),
        ("receipt", ctx.tr("享受率", "Receipt")),
        ("conversion", ctx.tr("知晓后申请率", "Conversion (applied among aware)")),
        ("approval", ctx.tr("申请后享受率", "Approval (received among applied)")),
        ("gap", ctx.tr("有需求未申请的企业占比", "Gap: need it, not applied")),
    ];
    let mut rows = Vec::new();
    let mut blocks = Vec::new();
    for (id, label) in &measure_names {
        let start = rows.len();
        for (policy, measures) in all {
            let Some(m) = measures.iter().find(|m| m.id.ends_with(&format!(":{id}"))) else {
                continue;
            };
            let mut row = vec![
                Cell::text(label),
                Cell::text(&policy.spec.id),
                Cell::text(policy.spec.name.get(ctx.lang)),
            ];
            row.extend(figure_cells(&m.line.all, m.format));
            rows.push(row);
        }
        blocks.push(start..rows.len());
    }
    let table = Table {
        name: "Policies".into(),
        columns: long_table_columns(ctx.lang, &ctx.tr("政策", "Policy")),
        rows,
        footnotes: vec![ctx.weighting_line()],
    };
    (table, blocks)
}

/// Channels through which aware enterprises learned of each policy.
fn channels_table(ctx: &Context<'_>, quality: &mut QualityCounts) -> Option<Table> {
    let est = ctx.estimator();
    let none = Breakdown {
        id: "all",
        title: String::new(),
        domains: Vec::new(),
    };
    let mut rows = Vec::new();
    for policy in ctx.def.policies() {
        let Some(channel) = policy.spec.channel.as_deref() else {
            continue;
        };
        let Some(list) = ctx.def.question(channel).and_then(|q| ctx.def.choices_of(&q.spec)) else {
            continue;
        };
        let answers = ctx.texts(channel);
        let aware = ctx.flags(&policy.spec.aware);
        let mut measures = Vec::new();
        for option in &list.options {
            // Among aware enterprises that named a channel.
            let chose: Vec<Option<bool>> = answers
                .iter()
                .zip(&aware)
                .map(|(a, aware)| match aware {
                    Some(true) => a.as_deref().map(|a| a.split(';').any(|c| c == option.code)),
                    _ => None,
                })
                .collect();
            let line = est.proportions(&chose, &none);
            let mut row = vec![
                Cell::text(policy.spec.name.get(ctx.lang)),
                Cell::text(&option.code),
                Cell::text(option.label.get(ctx.lang)),
            ];
            row.extend(figure_cells(&line.all, Format::Percent));
            rows.push(row);
            measures.push(MeasureLine {
                id: format!("{}:{}", policy.spec.id, option.code),
                label: option.label.get(ctx.lang).to_owned(),
                format: Format::Percent,
                line,
            });
        }
        quality.add(&measures);
    }
    (!rows.is_empty()).then(|| Table {
        name: "Channels".into(),
        columns: long_table_columns(ctx.lang, &ctx.tr("渠道", "Channel")),
        rows,
        footnotes: vec![ctx.tr(
            "占比 = 知晓该政策并填写了了解渠道的企业中，通过该渠道了解的比例（加权）。",
            "Share = among enterprises aware of the policy that named a channel, those that learned of it through this one (weighted).",
        )],
    })
}

/// Support asked for, by service (any option of the service ticked) and by option, most
/// asked first.
fn support_table(ctx: &Context<'_>, quality: &mut QualityCounts) -> Option<(Table, std::ops::Range<usize>)> {
    let question = ctx.spec.support.as_deref()?;
    let q = ctx.def.question(question)?;
    let list = ctx.def.choices_of(&q.spec)?;
    let est = ctx.estimator();
    let none = Breakdown {
        id: "all",
        title: String::new(),
        domains: Vec::new(),
    };
    let answers = ctx.texts(question);
    let ticked = |codes: &[&str]| -> Vec<Option<bool>> {
        answers
            .iter()
            .map(|a| a.as_deref().map(|a| a.split(';').any(|c| codes.contains(&c))))
            .collect()
    };
    let mut service_rows = Vec::new();
    let mut measures = Vec::new();
    for service in &ctx.def.spec.services {
        let codes: Vec<&str> = list
            .options
            .iter()
            .filter(|o| o.service.as_deref() == Some(service.id.as_str()))
            .map(|o| o.code.as_str())
            .collect();
        if codes.is_empty() {
            continue;
        }
        let line = est.proportions(&ticked(&codes), &none);
        service_rows.push((
            ctx.tr("服务", "Service"),
            service.id.clone(),
            service.label.get(ctx.lang).to_owned(),
            line.all.clone(),
        ));
        measures.push(MeasureLine {
            id: format!("service:{}", service.id),
            label: service.label.get(ctx.lang).to_owned(),
            format: Format::Percent,
            line,
        });
    }
    let mut option_rows = Vec::new();
    for option in &list.options {
        let line = est.proportions(&ticked(&[option.code.as_str()]), &none);
        option_rows.push((
            ctx.tr("具体需求", "Support asked for"),
            option.code.clone(),
            option.label.get(ctx.lang).to_owned(),
            line.all.clone(),
        ));
        measures.push(MeasureLine {
            id: format!("option:{}", option.code),
            label: option.label.get(ctx.lang).to_owned(),
            format: Format::Percent,
            line,
        });
    }
    quality.add(&measures);
    // Most asked first; suppressed and unavailable figures last, then by code.
    let by_share = |rows: &mut Vec<(String, String, String, crate::figures::Figure)>| {
        rows.sort_by(|a, b| {
            let v = |f: &crate::figures::Figure| f.published_value().unwrap_or(f64::NEG_INFINITY);
            v(&b.3).total_cmp(&v(&a.3)).then(a.1.cmp(&b.1))
        });
    };
    by_share(&mut service_rows);
    by_share(&mut option_rows);
    let services = 0..service_rows.len();
    let rows = service_rows
        .into_iter()
        .chain(option_rows)
        .map(|(kind, code, label, figure)| {
            let mut row = vec![Cell::text(kind), Cell::text(code), Cell::text(label)];
            row.extend(figure_cells(&figure, Format::Percent));
            row
        })
        .collect();
    let table = Table {
        name: "Support".into(),
        columns: long_table_columns(ctx.lang, &ctx.tr("服务/需求", "Service / support")),
        rows,
        footnotes: vec![ctx.tr(
            "服务的占比 = 勾选该服务下任一需求的企业比例。",
            "A service's share = enterprises ticking any support of that service.",
        )],
    };
    Some((table, services))
}

/// Builds the policy-reach workbook.
pub fn reach_report(ctx: &Context<'_>) -> (Book, ReachSummary) {
    let mut quality = QualityCounts::default();
    let everyone = Breakdown {
        id: "all",
        title: String::new(),
        domains: Vec::new(),
    };
    let policies: Vec<(&Policy, PolicyIndicators)> =
        ctx.def.policies().iter().map(|p| (p, indicators(ctx, p))).collect();
    let overall: Vec<(&Policy, Vec<MeasureLine>)> = policies
        .iter()
        .map(|(p, ind)| (*p, policy_measures(ctx, p, ind, &everyone)))
        .collect();
    let mut sheets = Vec::new();
    let (table, blocks) = overview(ctx, &overall);
    sheets.push(Sheet {
        name: ctx.tr("政策概览", "Policies"),
        title: ctx.tr("各项政策的知晓、申请与享受情况", "Awareness, application and receipt of each policy"),
        intro: vec![
            ctx.weighting_line(),
            ctx.tr(
                "未知晓政策的企业视为未申请、未享受；各比率的分母均为全部回答企业，转化率和批准率除外。",
                "An enterprise unaware of a policy has not applied or received it; every rate has all respondents as its base, except conversion and approval.",
            ),
        ],
        chart: blocks.first().filter(|b| !b.is_empty()).map(|b| Chart {
            kind: ChartKind::Bar,
            title: ctx.tr("各项政策知晓率", "Awareness by policy"),
            categories: DOMAIN_COLUMN,
            values: vec![ESTIMATE_COLUMN],
            rows: b.clone(),
        }),
        table,
    });
    for (_, m) in &overall {
        quality.add(m);
    }
    let b = &ctx.breakdowns;
    for (name, table_name, breakdown) in [
        (ctx.tr("按行业门类", "By sector"), "BySector", &b.section),
        (ctx.tr("按规模", "By size"), "BySize", &b.size_class),
    ] {
        let measures: Vec<MeasureLine> = policies
            .iter()
            .flat_map(|(p, ind)| policy_measures(ctx, p, ind, breakdown))
            .collect();
        quality.add(&measures);
        let (mut table, _) = long_table(table_name, ctx.lang, breakdown, &measures);
        table.footnotes.push(ctx.weighting_line());
        sheets.push(Sheet {
            title: format!("{} – {}", ctx.tr("政策触达", "Policy reach"), breakdown.title),
            intro: vec![ctx.tr(
                "可在“指标”列筛选某项政策的某个比率。",
                "Filter the Measure column to see one rate of one policy.",
            )],
            name,
            table,
            chart: None,
        });
    }
    if let Some(table) = channels_table(ctx, &mut quality) {
        sheets.push(Sheet {
            name: ctx.tr("了解渠道", "Channels"),
            title: ctx.tr("企业了解各项政策的渠道", "Where enterprises learned of each policy"),
            intro: vec![ctx.weighting_line()],
            table,
            chart: None,
        });
    }
    if let Some((table, services)) = support_table(ctx, &mut quality) {
        sheets.push(Sheet {
            name: ctx.tr("服务需求", "Support wanted"),
            title: ctx.tr(
                "企业最希望得到的支持（按八大专项服务）",
                "Support enterprises ask for, by service",
            ),
            intro: vec![ctx.weighting_line()],
            chart: (!services.is_empty()).then(|| Chart {
                kind: ChartKind::Bar,
                title: ctx.tr(
                    "希望得到各项服务的企业占比",
                    "Share of enterprises asking for each service",
                ),
                categories: DOMAIN_COLUMN,
                values: vec![ESTIMATE_COLUMN],
                rows: services,
            }),
            table,
        });
    }
    let contents = sheets.iter().map(|s| (s.name.clone(), s.title.clone())).collect();
    let cover = ctx.cover(
        ctx.tr(
            "就业政策触达企业情况分析",
            "Reach of employment policies among enterprises",
        ),
        Audience::Published,
        contents,
    );
    let mut notes = ctx.method_notes();
    notes.insert(0, reach_definitions(ctx));
    let summary = ReachSummary {
        policies: overall
            .iter()
            .map(|(p, measures)| PolicyHeadline {
                policy: p.spec.id.clone(),
                name: p.spec.name.get(ctx.lang).to_owned(),
                rates: measures
                    .iter()
                    .map(|m| {
                        let id = m.id.rsplit(':').next().unwrap_or(&m.id);
                        headline(id, &m.label, &m.line.all)
                    })
                    .collect(),
            })
            .collect(),
        quality,
    };
    let book = Book {
        file_name: REACH_FILE.into(),
        lang: ctx.lang,
        cover,
        sheets,
        notes,
    };
    (book, summary)
}

fn reach_definitions(ctx: &Context<'_>) -> NoteSection {
    let mut paragraphs = vec![
        ctx.tr(
            "知晓率 = 知晓企业/全部企业；申请率 = 申请企业/全部企业；享受率 = 享受企业/全部企业；知晓后申请率 = 申请/知晓；申请后享受率 = 享受/申请。享受率 = 知晓率 × 知晓后申请率 × 申请后享受率。",
            "Awareness = aware / all; application = applied / all; receipt = received / all; conversion = applied / aware; approval = received / applied. Receipt = awareness x conversion x approval.",
        ),
        ctx.tr(
            "缺口 = 有该政策所针对需求（如计划招用高校毕业生、有培训需求、资金困难）但未申请的企业。",
            "Gap = enterprises with the need the policy serves (hiring graduates, training needs, financial difficulty...) that have not applied.",
        ),
    ];
    for policy in ctx.def.policies() {
        if let Some(need) = &policy.spec.need {
            paragraphs.push(format!(
                "{}: {} `{need}`",
                policy.spec.name.get(ctx.lang),
                ctx.tr("需求条件", "need condition")
            ));
        }
    }
    NoteSection {
        heading: ctx.tr("指标定义", "Definitions"),
        paragraphs,
    }
}
