//! The sheets and notes of the chase workbook: the list of enterprises, the progress by
//! stratum, and what both mean.

use super::{Chase, ChaseEntry, ChaseStatus, NAME_COLUMNS, StratumProgress, rate};
use crate::context::{Context, size_class_labels};
use crate::frame::{Frame, StratumLabel};
use crate::report::book::{Cell, Column, ColumnStyle, Format, NoteSection, Print, Sheet, Table};
use std::collections::HashMap;
use survey_def::codes::industry_section;
use survey_files::dataset::REJECTS_XLSX;

/// A share as people read it: `50%`, `35%`, `33.3%`.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn column(header: String, format: Format) -> Column {
    Column {
        header,
        format,
        style: ColumnStyle::Plain,
    }
}

/// Text, or a blank cell for blank text. Never a formula: the writer stores text as text.
fn text_or_blank(value: Option<&str>) -> Cell {
    match value {
        Some(v) if !v.trim().is_empty() => Cell::text(v.trim()),
        _ => Cell::Blank,
    }
}

/// What the sheets show of a stratum: its label, its section's name, its size class's.
struct StratumNames {
    classes: HashMap<String, String>,
    lang: survey_def::Lang,
}

impl StratumNames {
    fn new(ctx: &Context<'_>) -> Self {
        StratumNames {
            classes: size_class_labels(ctx.def, ctx.lang),
            lang: ctx.lang,
        }
    }

    fn cells(&self, label: &StratumLabel) -> [Cell; 3] {
        let section = industry_section(&label.section.to_string())
            .map(|s| crate::figures::tr(self.lang, s.zh, s.en))
            .unwrap_or_default();
        let class = self.classes.get(&label.size_class).cloned().unwrap_or_default();
        [
            Cell::text(label.to_string()),
            text_or_blank(Some(&section)),
            text_or_blank(Some(&class)),
        ]
    }
}

fn stratum_columns(ctx: &Context<'_>) -> [Column; 3] {
    [
        column(ctx.tr("层", "Stratum"), Format::Text),
        column(ctx.tr("行业门类", "Section"), Format::Text),
        column(ctx.tr("规模", "Size class"), Format::Text),
    ]
}

fn officials_only(ctx: &Context<'_>) -> String {
    ctx.tr(
        "内部资料：本表列出单个企业，仅供工作人员催报使用，不得公开或转发。",
        "For officials only: this sheet lists individual enterprises for follow-up and is not for publication.",
    )
}

fn status_text(ctx: &Context<'_>, status: ChaseStatus) -> String {
    match status {
        ChaseStatus::Rejected => ctx.tr("已拒收", "rejected"),
        ChaseStatus::NotReceived => ctx.tr("未收到", "not received"),
    }
}

/// The list: one row per frame enterprise without an accepted return.
pub fn list_sheet(ctx: &Context<'_>, frame: &Frame, chase: &Chase<'_>) -> Sheet {
    let name_column = NAME_COLUMNS.iter().find_map(|n| frame.extra_column(n));
    let subdistricts: HashMap<&str, &str> = ctx
        .def
        .survey()
        .subdistricts
        .as_deref()
        .and_then(|list| ctx.def.choice_list(list))
        .map(|list| {
            list.options
                .iter()
                .map(|o| (o.code.as_str(), o.label.get(ctx.lang)))
                .collect()
        })
        .unwrap_or_default();
    let further: Vec<usize> = (0..frame.extra_columns.len())
        .filter(|&c| Some(c) != name_column)
        .collect();

    let mut columns = vec![
        column(ctx.tr("统一社会信用代码", "Enterprise id"), Format::Text),
        column(ctx.tr("企业名称", "Enterprise name"), Format::Text),
        column(ctx.tr("状态", "Status"), Format::Text),
        column(ctx.tr("首个拒收原因", "First reason for rejection"), Format::Text),
        column(ctx.tr("文件", "File"), Format::Text),
        column(ctx.tr("文件中位置", "Place in the file"), Format::Text),
    ];
    if frame.has_subdistrict {
        columns.push(column(ctx.tr("街道", "Sub-district"), Format::Text));
    }
    columns.extend(stratum_columns(ctx));
    if frame.has_employees {
        columns.push(column(
            ctx.tr("职工人数（抽样框）", "Employees (frame)"),
            Format::Persons,
        ));
    }
    columns.extend(
        further
            .iter()
            .map(|&c| column(frame.extra_columns[c].clone(), Format::Text)),
    );

    let names = StratumNames::new(ctx);
    let rows: Vec<Vec<Cell>> = chase
        .entries
        .iter()
        .map(|entry| {
            let ChaseEntry {
                enterprise,
                status,
                rejection,
                ..
            } = entry;
            let frame_name = name_column.and_then(|c| enterprise.extra.get(c)).map(String::as_str);
            let name = frame_name
                .filter(|n| !n.trim().is_empty())
                .or_else(|| rejection.and_then(|r| r.enterprise_name.as_deref()));
            let mut cells = vec![
                Cell::text(enterprise.enterprise_id.as_str()),
                text_or_blank(name),
                Cell::text(status_text(ctx, *status)),
                text_or_blank(rejection.map(|r| r.reason(ctx.lang))),
                text_or_blank(rejection.map(|r| r.file.as_str())),
                text_or_blank(rejection.map(|r| r.place(ctx.lang)).as_deref()),
            ];
            if frame.has_subdistrict {
                let code = enterprise.subdistrict.as_deref();
                cells.push(text_or_blank(code.map(|c| subdistricts.get(c).copied().unwrap_or(c))));
            }
            cells.extend(names.cells(&enterprise.stratum));
            if frame.has_employees {
                cells.push(enterprise.employees.map_or(Cell::Blank, |e| Cell::Number(e as f64)));
            }
            cells.extend(
                further
                    .iter()
                    .map(|&c| text_or_blank(enterprise.extra.get(c).map(String::as_str))),
            );
            cells
        })
        .collect();

    let mut intro = vec![
        officials_only(ctx),
        ctx.tr(
            "每行为抽样框中一家尚无接受问卷的企业：“已拒收”为问卷被拒收且其后没有被接受的更正问卷，列出第一个拒收原因和文件；“未收到”为没有收到可与其对应的问卷。",
            "One row per frame enterprise without an accepted return: \"rejected\" when its return was rejected and no later accepted return corrected it, with the first reason and the file; \"not received\" when no return that can be matched to it came in.",
        ),
        ctx.tr(
            "排序：按“分层进度”表的层序（距目标最远的层在前），层内先列已拒收、后列未收到，再按统一社会信用代码。抽样框的其他各列照录于后。",
            "Sorted by stratum in the order of the progress sheet (furthest from target first), then rejected before not received, then by enterprise id. The frame's further columns follow as the frame gives them.",
        ),
    ];
    if !chase.rejections_read {
        intro.push(ctx.tr(
            "数据集中没有拒收记录（rejects.jsonl），无法区分拒收与未收到：所有企业均列为“未收到”。",
            "The dataset holds no record of rejections (rejects.jsonl), so rejected returns cannot be told apart: every enterprise is listed as not received.",
        ));
    }
    if rows.is_empty() {
        intro.push(ctx.tr(
            "抽样框中每家企业都有接受的问卷。",
            "Every frame enterprise has an accepted return.",
        ));
    }
    let mut footnotes = vec![ctx.tr(
        "企业按统一社会信用代码（去掉首尾空格、字母大写）与问卷和拒收记录对应。",
        "Enterprises are matched to returns and rejections by credit code, without surrounding spaces and in capitals.",
    )];
    if chase.unmatched_rejections > 0 {
        let n = chase.unmatched_rejections;
        footnotes.push(ctx.tr(
            &format!(
                "另有{n}份拒收的问卷（按文件和信用代码计）无法对应到抽样框中的企业：信用代码缺失、填错，或企业不在抽样框内；详见数据集的 {REJECTS_XLSX}。其企业可能列为“未收到”。"
            ),
            &format!(
                "{n} rejected returns (counted by file and credit code) match no frame enterprise: their credit code is missing, mistyped, or of an enterprise outside the frame; see the dataset's {REJECTS_XLSX}. Their enterprises may be listed as not received."
            ),
        ));
    }
    Sheet {
        print: Print::default(),
        name: ctx.tr("催报名单", "Chase list"),
        title: ctx.tr(
            "尚无接受问卷的抽样框企业",
            "Frame enterprises without an accepted return",
        ),
        intro,
        table: Table {
            name: "ChaseList".into(),
            columns,
            rows,
            footnotes,
        },
        chart: None,
    }
}

/// The target as the sheets state it: its value and where it came from.
fn target_line(ctx: &Context<'_>, chase: &Chase<'_>) -> String {
    let rate = percent(chase.target.rate);
    if chase.target.given {
        ctx.tr(
            &format!("目标回答率：{rate}。"),
            &format!("Target response rate: {rate}."),
        )
    } else {
        ctx.tr(
            &format!(
                "目标回答率：{rate}（默认值；可用 analyze 的 --target-rate，或流水线文件 [gates] 的 min_stratum_response_rate 或 min_response_rate 设定）。"
            ),
            &format!(
                "Target response rate: {rate} (the default; set it with analyze's --target-rate, or the pipeline file's [gates] min_stratum_response_rate or min_response_rate)."
            ),
        )
    }
}

/// The cells of a progress row after its first three (the stratum).
fn progress_cells(s: &StratumProgress, target: f64) -> [Cell; 6] {
    [
        Cell::Number(s.population as f64),
        Cell::Number(s.returns as f64),
        Cell::Number(s.rate()),
        Cell::Number(target),
        Cell::Number(s.needed(target) as f64),
        Cell::Number(s.rejected as f64),
    ]
}

/// Progress by stratum: N_h, n_h, n_h / N_h against the target, returns still needed.
pub fn progress_sheet(ctx: &Context<'_>, chase: &Chase<'_>) -> Sheet {
    let target = chase.target.rate;
    let mut columns = stratum_columns(ctx).to_vec();
    columns.extend([
        column(ctx.tr("抽样框企业数 N_h", "Frame enterprises N_h"), Format::Count),
        column(ctx.tr("接受问卷数 n_h", "Accepted returns n_h"), Format::Count),
        Column {
            header: ctx.tr("回答率 n_h/N_h", "Response rate n_h/N_h"),
            format: Format::Percent,
            style: ColumnStyle::DataBar,
        },
        column(ctx.tr("目标回答率", "Target rate"), Format::Percent),
        Column {
            header: ctx.tr("尚需问卷数", "Returns still needed"),
            format: Format::Count,
            style: ColumnStyle::DataBar,
        },
        column(ctx.tr("拒收未更正", "Rejected, not corrected"), Format::Count),
    ]);
    let names = StratumNames::new(ctx);
    let mut rows: Vec<Vec<Cell>> = chase
        .strata
        .iter()
        .map(|s| {
            let mut cells = names.cells(&s.label).to_vec();
            cells.extend(progress_cells(s, target));
            cells
        })
        .collect();
    let sum = |f: fn(&StratumProgress) -> u64| chase.strata.iter().map(f).fold(0u64, u64::saturating_add);
    let (population, returns) = (sum(|s| s.population), sum(|s| s.returns));
    rows.push(vec![
        Cell::text(ctx.tr("合计", "Total")),
        Cell::Blank,
        Cell::Blank,
        Cell::Number(population as f64),
        Cell::Number(returns as f64),
        Cell::Number(rate(returns, population)),
        Cell::Number(target),
        Cell::Number(chase.returns_needed() as f64),
        Cell::Number(sum(|s| s.rejected) as f64),
    ]);
    Sheet {
        print: Print::default(),
        name: ctx.tr("分层进度", "Progress by stratum"),
        title: ctx.tr(
            "各层回答进度与尚需问卷数",
            "Response by stratum against the target, and returns still needed",
        ),
        intro: vec![
            target_line(ctx, chase),
            ctx.tr(
                "层 = 行业门类 × 规模（按抽样框）。n_h 为该层有接受问卷的抽样框企业数；尚需问卷数 = max(0, ⌈目标 × N_h⌉ − n_h)，即达到目标还需再接受的问卷数。",
                "Stratum = section x size class, as the frame gives them. n_h counts the stratum's frame enterprises with an accepted return; returns still needed = max(0, ceil(target x N_h) - n_h), the further accepted returns that reach the target.",
            ),
            ctx.tr(
                "排序：尚需问卷数多者在前，其次回答率低者在前，再按层。合计行的尚需问卷数为各层之和。",
                "Sorted by returns still needed (most first), then response rate (lowest first), then stratum. The total's returns still needed is the sum over the strata.",
            ),
        ],
        table: Table {
            name: "ChaseProgress".into(),
            columns,
            rows,
            footnotes: Vec::new(),
        },
        chart: None,
    }
}

/// The workbook's own note: what is listed, how returns and rejections are matched, and
/// how the progress is reckoned.
pub fn notes_section(ctx: &Context<'_>, chase: &Chase<'_>) -> NoteSection {
    let mut paragraphs = vec![
        ctx.tr(
            "催报名单列出抽样框中每一家尚无接受问卷的企业，连同抽样框所列的全部信息（名称、联系人、电话等）。企业按统一社会信用代码与问卷对应：代码去掉首尾空格并将字母大写后相同即为同一企业。不在抽样框内的企业不列出。",
            "The chase list holds every frame enterprise without an accepted return, with everything the frame lists of it (name, contact person, telephone...). Returns are matched to the frame by credit code, without surrounding spaces and in capitals. Enterprises outside the frame are not listed.",
        ),
        ctx.tr(
            "“已拒收”只计导致问卷被拒收的错误（不计警告），且其后没有同一企业被接受的更正问卷；原因为拒收记录中该企业的第一条错误。信用代码本身填错的问卷无法对应到企业，其企业列为“未收到”。",
            "\"Rejected\" counts only errors that turned a return away (not warnings), and only where no later accepted return of the same enterprise corrected it; the reason is the enterprise's first such problem in the rejects. A return whose credit code itself is wrong cannot be matched, and its enterprise is listed as not received.",
        ),
        ctx.tr(
            "分层进度按抽样框的层计算，与估计所用的层相同：N_h 为抽样框企业数，n_h 为其中有接受问卷的企业数（问卷的行业和规模不影响分层）。",
            "Progress is reckoned over the frame's strata, those of the estimates: N_h frame enterprises, n_h of them with an accepted return (the industry and size a return gives do not move it to another stratum).",
        ),
        target_line(ctx, chase),
    ];
    if !chase.rejections_read {
        paragraphs.push(ctx.tr(
            "本数据集没有拒收记录（rejects.jsonl），所有尚无接受问卷的企业均列为“未收到”。",
            "This dataset has no record of rejections (rejects.jsonl): every enterprise without an accepted return is listed as not received.",
        ));
    }
    NoteSection {
        heading: ctx.tr("催报名单", "Chase list"),
        paragraphs,
    }
}
