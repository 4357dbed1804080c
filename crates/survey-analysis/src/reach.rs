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
    Breakdown, DOMAIN_COLUMN, ESTIMATE_COLUMN, FigureLine, FigureTable, Meaning, MeasureLine, QualityCounts,
    figure_cells, long_table, long_table_columns,
};
use crate::impute::Answers;
use crate::publication::{AuditSummary, Publication, Relation};
use crate::report::book::{Audience, Book, BookPlan, Cell, Chart, ChartKind, Format, NoteSection, Print, Sheet, Table};
use serde::Serialize;
use std::collections::BTreeSet;
use survey_def::expr::{Value, eval};
use survey_def::{Policy, QuestionKind};

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
    /// What the interval audit of the workbook's tables found.
    pub audit: AuditSummary,
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
    let aware = ctx.flags(&policy.aware);
    let applied_answer = ctx.flags(&policy.applied);
    let received_answer = ctx.flags(&policy.received);
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

/// The quantity of the audit behind a rate of a policy: the weighted count of
/// enterprises saying yes.
fn policy_quantity(policy: &Policy, what: &str) -> String {
    format!("{}:{what}", policy.id)
}

/// The rates of one policy over a breakdown, in print order.
fn policy_measures(ctx: &Context<'_>, policy: &Policy, ind: &PolicyIndicators, b: &Breakdown) -> Vec<MeasureLine> {
    let est = ctx.estimator();
    let name = policy.name.get(ctx.lang);
    let mut out = Vec::new();
    let mut push = |id: &str, what: String, format: Format, meaning: Meaning, line: FigureLine| {
        out.push(MeasureLine {
            id: format!("{}:{id}", policy.id),
            label: format!("{name}{}{what}", ctx.tr("：", ": ")),
            format,
            meaning,
            hidden: false,
            line,
        })
    };
    let share = |what: &str| Meaning::Share {
        quantity: policy_quantity(policy, what),
    };
    // A rate within a subpopulation (applied among the aware) is a ratio of two yes
    // counts, whose base is no public domain size.
    let rate = |numerator: &str, denominator: &str| Meaning::Ratio {
        numerator: policy_quantity(policy, numerator),
        denominator: policy_quantity(policy, denominator),
    };
    push(
        "awareness",
        ctx.tr("知晓率", "awareness"),
        Format::Percent,
        share("aware"),
        est.proportions(&ind.aware, b),
    );
    push(
        "application",
        ctx.tr("申请率", "application"),
        Format::Percent,
        share("applied"),
        est.proportions(&ind.applied, b),
    );
    push(
        "receipt",
        ctx.tr("享受率", "receipt"),
        Format::Percent,
        share("received"),
        est.proportions(&ind.received, b),
    );
    push(
        "conversion",
        ctx.tr("知晓后申请率", "conversion (applied among aware)"),
        Format::Percent,
        rate("applied", "aware"),
        est.proportions(&within(&ind.applied, &ind.aware), b),
    );
    push(
        "approval",
        ctx.tr("申请后享受率", "approval (received among applied)"),
        Format::Percent,
        rate("received", "applied"),
        est.proportions(&within(&ind.received, &ind.applied), b),
    );
    if let Some(gap) = &ind.gap {
        let count: Vec<Option<f64>> = gap.iter().map(|g| g.map(|g| if g { 1.0 } else { 0.0 })).collect();
        let mut share_line = est.proportions(gap, b);
        let mut enterprises = est.totals(&Answers::reported(count.clone()), b);
        // The share and the weighted count give each other back with the domain's size.
        crate::figures::suppress_together(&mut [&mut share_line, &mut enterprises]);
        push(
            "gap",
            ctx.tr("有需求未申请的企业占比", "gap (need it, not applied)"),
            Format::Percent,
            share("gap"),
            share_line,
        );
        push(
            "gap_enterprises",
            ctx.tr("有需求未申请的企业数", "gap (enterprises)"),
            Format::Count,
            Meaning::total_of(&policy_quantity(policy, "gap_count"), &count),
            enterprises,
        );
    }
    out
}

/// The weighted count of a policy's gap is its share's yes count, where the audit finds
/// the two exactly equal.
fn policy_relations(policy: &Policy) -> Vec<Relation> {
    vec![Relation::Linear(vec![
        (policy_quantity(policy, "gap"), 1.0),
        (policy_quantity(policy, "gap_count"), -1.0),
    ])]
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
fn overview(ctx: &Context<'_>, figures: &FigureTable) -> (Table, Vec<std::ops::Range<usize>>) {
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
        for policy in ctx.def.policies() {
            let wanted = format!("{}:{id}", policy.id);
            let Some(m) = figures.measures.iter().find(|m| m.id == wanted) else {
                continue;
            };
            let mut row = vec![
                Cell::text(label),
                Cell::text(&policy.id),
                Cell::text(policy.name.get(ctx.lang)),
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

/// A share of enterprises over all enterprises only.
fn overall_share(id: String, label: String, quantity: String, line: FigureLine) -> MeasureLine {
    MeasureLine {
        id,
        label,
        format: Format::Percent,
        meaning: Meaning::Share { quantity },
        hidden: false,
        line,
    }
}

/// Channels through which aware enterprises learned of each policy: per policy, the
/// share of aware enterprises naming a channel that named each one.
fn channel_figures(ctx: &Context<'_>, relations: &mut Vec<Relation>) -> Option<FigureTable> {
    let est = ctx.estimator();
    let none = Breakdown::everyone(String::new());
    let mut measures = Vec::new();
    for policy in ctx.def.policies() {
        let Some(channel) = policy.channel.as_deref() else {
            continue;
        };
        let Some(question) = ctx.def.question(channel) else {
            continue;
        };
        let Some(list) = question.kind.choices() else {
            continue;
        };
        let answers = ctx.texts(channel);
        let aware = ctx.flags(&policy.aware);
        let quantity = |code: &str| format!("{}:channel={code}", policy.id);
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
            measures.push(overall_share(
                format!("{}:channel:{}", policy.id, option.code),
                option.label.get(ctx.lang).to_owned(),
                quantity(&option.code),
                est.proportions(&chose, &none),
            ));
        }
        if !matches!(question.kind, QuestionKind::MultipleChoice(_)) {
            relations.push(Relation::AddUpToBase(
                list.options.iter().map(|o| quantity(&o.code)).collect(),
            ));
        }
    }
    (!measures.is_empty()).then(|| FigureTable {
        sheet: Some(ctx.tr("了解渠道", "Channels")),
        breakdown: none,
        measures,
    })
}

/// The channels table: a row per policy and channel.
fn channels_table(ctx: &Context<'_>, figures: &FigureTable) -> Table {
    let rows = figures
        .measures
        .iter()
        .map(|m| {
            let (policy, code) = m.id.split_once(":channel:").unwrap_or((m.id.as_str(), ""));
            let name = ctx
                .def
                .policies()
                .iter()
                .find(|p| p.id == policy)
                .map_or_else(|| policy.to_owned(), |p| p.name.get(ctx.lang).to_owned());
            let mut row = vec![Cell::text(name), Cell::text(code), Cell::text(&m.label)];
            row.extend(figure_cells(&m.line.all, Format::Percent));
            row
        })
        .collect();
    Table {
        name: "Channels".into(),
        columns: long_table_columns(ctx.lang, &ctx.tr("渠道", "Channel")),
        rows,
        footnotes: vec![ctx.tr(
            "占比 = 知晓该政策并填写了了解渠道的企业中，通过该渠道了解的比例（加权）。",
            "Share = among enterprises aware of the policy that named a channel, those that learned of it through this one (weighted).",
        )],
    }
}

/// Support asked for, by service (any option of the service ticked) and by option.
fn support_figures(ctx: &Context<'_>) -> Option<FigureTable> {
    let question = ctx.spec.support.as_deref()?;
    let q = ctx.def.question(question)?;
    let list = q.kind.choices()?;
    let est = ctx.estimator();
    let none = Breakdown::everyone(String::new());
    let answers = ctx.texts(question);
    let ticked = |codes: &[&str]| -> Vec<Option<bool>> {
        answers
            .iter()
            .map(|a| a.as_deref().map(|a| a.split(';').any(|c| codes.contains(&c))))
            .collect()
    };
    let mut measures = Vec::new();
    for service in ctx.def.services() {
        let codes: Vec<&str> = list
            .options
            .iter()
            .filter(|o| o.service.as_deref() == Some(service.id.as_str()))
            .map(|o| o.code.as_str())
            .collect();
        if codes.is_empty() {
            continue;
        }
        measures.push(overall_share(
            format!("service:{}", service.id),
            service.label.get(ctx.lang).to_owned(),
            format!("{question}=service:{}", service.id),
            est.proportions(&ticked(&codes), &none),
        ));
    }
    for option in &list.options {
        measures.push(overall_share(
            format!("option:{}", option.code),
            option.label.get(ctx.lang).to_owned(),
            format!("{question}={}", option.code),
            est.proportions(&ticked(&[option.code.as_str()]), &none),
        ));
    }
    Some(FigureTable {
        sheet: Some(ctx.tr("服务需求", "Support wanted")),
        breakdown: none,
        measures,
    })
}

/// The support table, most asked first (suppressed and unavailable figures last, then by
/// code): services, then single options. Returns the table and the rows of the services.
fn support_table(ctx: &Context<'_>, figures: &FigureTable) -> (Table, std::ops::Range<usize>) {
    let mut service_rows = Vec::new();
    let mut option_rows = Vec::new();
    for m in &figures.measures {
        match m.id.split_once(':') {
            Some(("service", code)) => service_rows.push((ctx.tr("服务", "Service"), code, m)),
            Some((_, code)) => option_rows.push((ctx.tr("具体需求", "Support asked for"), code, m)),
            None => {}
        }
    }
    let by_share = |rows: &mut Vec<(String, &str, &MeasureLine)>| {
        rows.sort_by(|a, b| {
            let v = |m: &MeasureLine| m.line.all.published_value().unwrap_or(f64::NEG_INFINITY);
            v(b.2).total_cmp(&v(a.2)).then(a.1.cmp(b.1))
        });
    };
    by_share(&mut service_rows);
    by_share(&mut option_rows);
    let services = 0..service_rows.len();
    let rows = service_rows
        .into_iter()
        .chain(option_rows)
        .map(|(kind, code, m)| {
            let mut row = vec![Cell::text(kind), Cell::text(code), Cell::text(&m.label)];
            row.extend(figure_cells(&m.line.all, Format::Percent));
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
    (table, services)
}

/// The figures of every table of the workbook, before the audit.
fn reach_figures(ctx: &Context<'_>) -> Publication {
    let policies: Vec<(&Policy, PolicyIndicators)> =
        ctx.def.policies().iter().map(|p| (p, indicators(ctx, p))).collect();
    let measures_over = |b: &Breakdown| -> Vec<MeasureLine> {
        policies
            .iter()
            .flat_map(|(p, ind)| policy_measures(ctx, p, ind, b))
            .collect()
    };
    let everyone = Breakdown::everyone(String::new());
    let mut tables = vec![FigureTable {
        sheet: Some(ctx.tr("政策概览", "Policies")),
        measures: measures_over(&everyone),
        breakdown: everyone,
    }];
    let b = &ctx.breakdowns;
    for (name, breakdown) in [
        (ctx.tr("按行业门类", "By sector"), &b.section),
        (ctx.tr("按规模", "By size"), &b.size_class),
    ] {
        tables.push(FigureTable {
            sheet: Some(name),
            measures: measures_over(breakdown),
            breakdown: breakdown.clone(),
        });
    }
    let mut relations: Vec<Relation> = ctx.def.policies().iter().flat_map(policy_relations).collect();
    tables.extend(channel_figures(ctx, &mut relations));
    tables.extend(support_figures(ctx));
    Publication { tables, relations }
}

/// Builds the policy-reach workbook.
pub fn reach_report(ctx: &Context<'_>) -> (Book, ReachSummary) {
    let mut publication = reach_figures(ctx);
    let audit = publication.protect(ctx);
    let mut quality = QualityCounts::default();
    for t in publication.tables.iter().filter(|t| t.sheet.is_some()) {
        quality.add(&t.measures);
    }
    let tables = &publication.tables;
    let mut sheets = Vec::new();
    let (table, blocks) = overview(ctx, &tables[0]);
    sheets.push(Sheet {
        print: Print::default(),
        name: tables[0].sheet.clone().unwrap_or_default(),
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
    for (figures, table_name) in tables[1..3].iter().zip(["BySector", "BySize"]) {
        let (mut table, _) = long_table(table_name, ctx.lang, &figures.breakdown, &figures.measures);
        table.footnotes.push(ctx.weighting_line());
        table.footnotes.extend(ctx.coverage_footnote());
        sheets.push(Sheet {
            print: Print::default(),
            title: format!("{} – {}", ctx.tr("政策触达", "Policy reach"), figures.breakdown.title),
            intro: vec![ctx.tr(
                "可在“指标”列筛选某项政策的某个比率。",
                "Filter the Measure column to see one rate of one policy.",
            )],
            name: figures.sheet.clone().unwrap_or_default(),
            table,
            chart: None,
        });
    }
    for figures in &tables[3..] {
        if figures.measures.iter().any(|m| m.id.contains(":channel:")) {
            sheets.push(Sheet {
                print: Print::default(),
                name: figures.sheet.clone().unwrap_or_default(),
                title: ctx.tr("企业了解各项政策的渠道", "Where enterprises learned of each policy"),
                intro: vec![ctx.weighting_line()],
                table: channels_table(ctx, figures),
                chart: None,
            });
        } else {
            let (table, services) = support_table(ctx, figures);
            sheets.push(Sheet {
                print: Print::default(),
                name: figures.sheet.clone().unwrap_or_default(),
                title: ctx.tr(
                    "企业最希望得到的支持（按服务）",
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
    }
    let book = ctx.book(BookPlan {
        file_name: REACH_FILE,
        title: ctx.tr(
            "就业政策触达企业情况分析",
            "Reach of employment policies among enterprises",
        ),
        audience: Audience::Published,
        sheets,
        notes: vec![reach_definitions(ctx)],
        audit: Some(&audit),
        figures: publication.figure_rows(&ctx.tr("全部", "All")),
    });
    let summary = ReachSummary {
        policies: ctx
            .def
            .policies()
            .iter()
            .map(|p| PolicyHeadline {
                policy: p.id.clone(),
                name: p.name.get(ctx.lang).to_owned(),
                rates: tables[0]
                    .measures
                    .iter()
                    .filter_map(|m| {
                        let id = m.id.strip_prefix(&format!("{}:", p.id))?;
                        Some(headline(id, &m.label, &m.line.all))
                    })
                    .collect(),
            })
            .collect(),
        quality,
        audit,
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
            "缺口 = 有该政策所针对需求（定义中各政策的需求条件，见下）但未申请的企业。",
            "Gap = enterprises with the need the policy serves (each policy's need condition in the definition, below) that have not applied.",
        ),
    ];
    for policy in ctx.def.policies() {
        if let Some(need) = &policy.need_text {
            paragraphs.push(format!(
                "{}: {} `{need}`",
                policy.name.get(ctx.lang),
                ctx.tr("需求条件", "need condition")
            ));
        }
    }
    NoteSection {
        heading: ctx.tr("指标定义", "Definitions"),
        paragraphs,
    }
}
