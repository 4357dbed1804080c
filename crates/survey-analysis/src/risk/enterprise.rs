//! The enterprise-level sheets: one row per (enterprise, tripped rule), for officials.

use super::assess::{Assessment, Flag, Verdict};
use crate::context::Context;
use crate::dataset::Dataset;
use crate::figures::tr;
use crate::report::book::{Cell, Column, ColumnStyle, Format, Print, Sheet, Table};
use std::cmp::Ordering;
use survey_def::codes::industry_section;
use survey_def::{Lang, Severity};

/// What the enterprise sheets show of each return besides its flags.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseFacts {
    /// Enterprise name (`None` when the definition has no name question or it is blank).
    pub names: Vec<Option<String>>,
    /// Sector (GB/T 4754 section name) from the industry answer.
    pub sectors: Vec<Option<String>>,
    /// Sub-district label from the sub-district answer.
    pub subdistricts: Vec<Option<String>>,
    /// Employees (the definition's `employees` role).
    pub employees: Vec<Option<f64>>,
}

impl EnterpriseFacts {
    /// The facts of every return of `data`.
    pub fn of(ctx: &Context<'_>, data: &Dataset) -> EnterpriseFacts {
        let rows = data.len();
        // The definition's name question (`survey.enterprise_name_question`), if any.
        let names = match &ctx.def.survey().enterprise_name_question {
            Some(name) => data.texts(name),
            None => vec![None; rows],
        };
        let design = ctx.def.design();
        let sectors = design.map_or_else(
            || vec![None; rows],
            |d| {
                data.texts(&d.industry_question)
                    .iter()
                    .map(|code| {
                        let section = industry_section(code.as_deref()?)?;
                        Some(tr(ctx.lang, section.zh, section.en))
                    })
                    .collect()
            },
        );
        let subdistricts = match design.and_then(|d| d.subdistrict_question.as_deref()) {
            Some(q) => {
                let list = ctx.def.question(q).and_then(|question| question.kind.choices());
                data.texts(q)
                    .into_iter()
                    .map(|code| {
                        let code = code?;
                        let label = list
                            .and_then(|l| l.options.iter().find(|o| o.code == code))
                            .map(|o| o.label.get(ctx.lang).to_owned());
                        Some(label.unwrap_or(code))
                    })
                    .collect()
            }
            None => vec![None; rows],
        };
        EnterpriseFacts {
            names,
            sectors,
            subdistricts,
            employees: data.numbers(&ctx.spec.employees),
        }
    }
}

/// The columns every enterprise-level flag list starts with.
fn flag_columns(ctx: &Context<'_>) -> Vec<Column> {
    let c = |header: String, format: Format, style: ColumnStyle| Column { header, format, style };
    let text = |header: String| c(header, Format::Text, ColumnStyle::Plain);
    vec![
        text(ctx.tr("统一社会信用代码", "Enterprise id")),
        text(ctx.tr("企业名称", "Enterprise name")),
        text(ctx.tr("行业门类", "Sector")),
        text(ctx.tr("街道", "Sub-district")),
        c(ctx.tr("职工人数", "Employees"), Format::Persons, ColumnStyle::Plain),
        text(ctx.tr("规则代码", "Rule id")),
        text(ctx.tr("风险规则", "Rule")),
        c(ctx.tr("严重程度", "Severity"), Format::Text, severity_style(ctx.lang)),
        text(ctx.tr("原因", "Reason")),
        text(ctx.tr("依据数据", "Evidence")),
        text(ctx.tr("政策法规依据", "Basis")),
    ]
}

/// Severity colours keyed by the localised names.
pub fn severity_style(lang: Lang) -> ColumnStyle {
    ColumnStyle::Severity {
        high: Severity::High.label(lang).to_owned(),
        medium: Severity::Medium.label(lang).to_owned(),
        low: Severity::Low.label(lang).to_owned(),
    }
}

/// Text from a return, or a blank cell. Never a formula: the writer stores text as text.
fn text_or_blank(value: Option<&str>) -> Cell {
    match value {
        Some(v) if !v.trim().is_empty() => Cell::text(v),
        _ => Cell::Blank,
    }
}

/// The cells of one flag (see [`flag_columns`]).
fn flag_cells(ctx: &Context<'_>, facts: &EnterpriseFacts, flag: &Flag) -> Vec<Cell> {
    let rule = &ctx.def.risk_rules()[flag.rule];
    let row = flag.row;
    vec![
        Cell::text(&ctx.data.enterprise_ids[row]),
        text_or_blank(facts.names[row].as_deref()),
        text_or_blank(facts.sectors[row].as_deref()),
        text_or_blank(facts.subdistricts[row].as_deref()),
        Cell::number(facts.employees[row]),
        Cell::text(&rule.id),
        Cell::text(rule.label.get(ctx.lang)),
        Cell::text(rule.severity.label(ctx.lang)),
        Cell::text(rule.reason.get(ctx.lang)),
        text_or_blank(Some(&flag.evidence)),
        text_or_blank(rule.basis.as_ref().map(|b| b.get(ctx.lang))),
    ]
}

/// Print order of flags: severity (high first), then employees (most first, unknown
/// last), then enterprise id, then the rules' order in the definition.
pub fn flag_order(ctx: &Context<'_>, facts: &EnterpriseFacts, a: &Flag, b: &Flag) -> Ordering {
    let rules = ctx.def.risk_rules();
    let severity = |f: &Flag| rules[f.rule].severity;
    let employees = match (facts.employees[a.row], facts.employees[b.row]) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    severity(b)
        .cmp(&severity(a))
        .then(employees)
        .then_with(|| ctx.data.enterprise_ids[a.row].cmp(&ctx.data.enterprise_ids[b.row]))
        .then(a.rule.cmp(&b.rule))
}

fn officials_only(ctx: &Context<'_>) -> String {
    ctx.tr(
        "内部资料：本表列出单个企业，仅供工作人员跟进使用，不得公开或转发。",
        "For officials only: this sheet lists individual enterprises for follow-up and is not for publication.",
    )
}

/// The list of every flag of every accepted return.
pub fn enterprise_sheet(ctx: &Context<'_>, facts: &EnterpriseFacts, current: &Assessment) -> Sheet {
    let mut flags: Vec<&Flag> = current.flags.iter().collect();
    flags.sort_by(|a, b| flag_order(ctx, facts, a, b));
    let rows = flags.iter().map(|f| flag_cells(ctx, facts, f)).collect::<Vec<_>>();
    let mut intro = vec![
        officials_only(ctx),
        ctx.tr(
            "每行为一家企业触发的一条风险规则；按严重程度、职工人数（多者在前）、统一社会信用代码排序。所有接受的问卷均参与判断，包括不在抽样框内的企业。",
            "One row per enterprise and rule tripped; sorted by severity, then employees (largest first), then enterprise id. Every accepted return is assessed, including those of enterprises outside the frame.",
        ),
    ];
    if rows.is_empty() {
        intro.push(ctx.tr("没有企业触发风险规则。", "No enterprise tripped a risk rule."));
    }
    Sheet {
        print: Print::default(),
        name: ctx.tr("风险企业名单", "Enterprises flagged"),
        title: ctx.tr("触发风险规则的企业", "Enterprises that tripped a risk rule"),
        intro,
        table: Table {
            name: "RiskEnterprises".into(),
            columns: flag_columns(ctx),
            rows,
            footnotes: vec![ctx.tr(
                "缺少回答、无法判断的规则按未触发处理。",
                "A rule that cannot be decided because answers are missing counts as not tripped.",
            )],
        },
        chart: None,
    }
}

/// The flags tripped now that did not trip in the previous wave, with what the previous
/// wave said (`new` pairs each current flag with the previous verdict).
/// `compared` marks the rules compared with the previous wave; the others are named in a
/// footnote.
pub fn new_flags_sheet(
    ctx: &Context<'_>,
    facts: &EnterpriseFacts,
    new: &[(&Flag, Verdict)],
    compared: &[bool],
) -> Sheet {
    let mut new: Vec<&(&Flag, Verdict)> = new.iter().collect();
    new.sort_by(|(a, _), (b, _)| flag_order(ctx, facts, a, b));
    let mut columns = flag_columns(ctx);
    columns.push(Column {
        header: ctx.tr("上期判断", "Previous wave"),
        format: Format::Text,
        style: ColumnStyle::Plain,
    });
    let rows: Vec<Vec<Cell>> = new
        .iter()
        .map(|(flag, before)| {
            let mut cells = flag_cells(ctx, facts, flag);
            cells.push(Cell::text(match before {
                Verdict::Undecided => ctx.tr("无法判断（缺少回答）", "undecided (answers missing)"),
                Verdict::Clear | Verdict::Tripped => ctx.tr("未触发", "not tripped"),
            }));
            cells
        })
        .collect();
    let mut intro = vec![
        officials_only(ctx),
        ctx.tr(
            "本期触发、上期同一企业未触发的风险规则。只比较两期都有问卷的企业（按统一社会信用代码匹配）；本期新参加调查的企业的风险见“风险企业名单”。",
            "Rules tripped now that the same enterprise did not trip in the previous wave. Only enterprises with a return in both waves (matched by enterprise id) are compared; flags of enterprises new to the survey are on the list of enterprises flagged.",
        ),
    ];
    if rows.is_empty() {
        intro.push(ctx.tr("没有新增风险。", "No new flags."));
    }
    Sheet {
        print: Print::default(),
        name: ctx.tr("新增风险", "New flags"),
        title: ctx.tr("较上期新增的风险", "Flags new since the previous wave"),
        intro,
        table: Table {
            name: "RiskNewFlags".into(),
            columns,
            rows,
            footnotes: {
                let mut notes = vec![ctx.tr(
                    "上期因缺少回答无法判断的规则按未触发处理，本期触发即列为新增。",
                    "A rule the previous wave could not decide (answers missing) counts as not tripped there, so tripping it now is new.",
                )];
                let not_compared: Vec<&str> = ctx
                    .def
                    .risk_rules()
                    .iter()
                    .zip(compared)
                    .filter(|(_, c)| !**c)
                    .map(|(r, _)| r.id.as_str())
                    .collect();
                if !not_compared.is_empty() {
                    notes.push(ctx.tr(
                        &format!(
                            "以下规则不作新增比较（规则本身读取上期回答，或读取上期问卷没有的题目）：{}。",
                            not_compared.join("、")
                        ),
                        &format!(
                            "Not compared for new flags (the rule reads the previous wave itself, or a question the previous wave does not have): {}.",
                            not_compared.join(", ")
                        ),
                    ));
                }
                notes
            },
        },
        chart: None,
    }
}
