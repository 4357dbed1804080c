//! Wave over wave: enterprises with a return in both waves (matched by enterprise id),
//! their headcount and vacancies then and now, Hidiroglou-Berthelot outliers of each,
//! and the flags they trip now that they did not trip before.

use super::assess::{Assessment, Flag, Verdict, number_text};
use super::enterprise::EnterpriseFacts;
use crate::context::Context;
use crate::dataset::{Dataset, names_read, numbers_of};
use crate::figures::tr;
use crate::previous::PreviousWave;
use crate::report::book::{Cell, Column, ColumnStyle, Format, Print, Sheet, Table};
use crate::{HbError, HbOutcome, HbParameters, hidiroglou_berthelot};
use std::collections::BTreeSet;
use survey_def::Definition;
use survey_def::expr::previous_references;
use survey_def::{Lang, VacancyColumns};

/// How the Hidiroglou-Berthelot rule judged one matched enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbStatus {
    /// Its effect is outside the acceptance band.
    Outlier,
    /// Its effect is inside the band.
    WithinRange,
    /// The same value in both waves: never an outlier.
    Unchanged,
    /// A change smaller than the floor (persons, posts or share): never flagged.
    BelowFloor,
    /// Not assessed: the value is 0 in one of the waves (the ratio cannot judge it).
    Zero,
    /// Not assessed: the value is missing in one of the waves.
    Missing,
    /// Not assessed: the rule could not run.
    NotRun,
}

impl HbStatus {
    fn text(self, lang: Lang) -> String {
        match self {
            HbStatus::Outlier => tr(lang, "异常", "outlier"),
            HbStatus::WithinRange => tr(lang, "正常", "within range"),
            HbStatus::Unchanged => tr(lang, "未变化", "unchanged"),
            HbStatus::BelowFloor => tr(lang, "变化小于下限", "change below the floor"),
            HbStatus::Zero => tr(lang, "未判断：某期为0", "not assessed: 0 in a wave"),
            HbStatus::Missing => tr(lang, "未判断：某期未填", "not assessed: not answered in a wave"),
            HbStatus::NotRun => tr(lang, "未判断", "not assessed"),
        }
    }
}

/// One measure compared across the waves, per matched enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    /// Previous wave's value.
    pub before: Vec<Option<f64>>,
    /// This wave's value.
    pub now: Vec<Option<f64>>,
    /// The rule's judgement of each.
    pub status: Vec<HbStatus>,
    /// The rule's outcome over the pairs with both values positive.
    pub outcome: Result<HbOutcome, HbError>,
}

impl Compared {
    fn of(before: Vec<Option<f64>>, now: Vec<Option<f64>>, params: &HbParameters) -> Compared {
        // Missing values go in as NaN, which the rule does not assess, so its units stay
        // aligned with the matched enterprises.
        let pairs: Vec<(f64, f64)> = before
            .iter()
            .zip(&now)
            .map(|(b, n)| (b.unwrap_or(f64::NAN), n.unwrap_or(f64::NAN)))
            .collect();
        let outcome = hidiroglou_berthelot(&pairs, params);
        let status = before
            .iter()
            .zip(&now)
            .enumerate()
            .map(|(i, (b, n))| match (b, n) {
                (None, _) | (_, None) => HbStatus::Missing,
                (Some(b), Some(n)) if *b <= 0.0 || *n <= 0.0 => HbStatus::Zero,
                (Some(b), Some(n)) if b == n => HbStatus::Unchanged,
                _ => match outcome.as_ref().ok().and_then(|o| o.units[i].as_ref()) {
                    Some(u) if u.outlier => HbStatus::Outlier,
                    Some(u) if u.below_floor => HbStatus::BelowFloor,
                    Some(_) => HbStatus::WithinRange,
                    None => HbStatus::NotRun,
                },
            })
            .collect();
        Compared {
            before,
            now,
            status,
            outcome,
        }
    }

    /// Enterprises with a given status.
    pub fn count(&self, status: HbStatus) -> u64 {
        self.status.iter().filter(|&&s| s == status).count() as u64
    }
}

/// The two waves side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveComparison {
    /// (row now, row in the previous wave) of each enterprise in both, in enterprise-id order.
    pub matched: Vec<(usize, usize)>,
    /// The previous wave's row of each row now.
    pub previous_row: Vec<Option<usize>>,
    /// Employees.
    pub headcount: Compared,
    /// Vacancies (openings summed over each enterprise's vacancy lines), when the
    /// definition maps a vacancy table.
    pub vacancies: Option<Compared>,
}

/// The screen's parameters for one measure: the definition's `[analysis.outliers]`,
/// DOMAIN.md's defaults where it says nothing, and the measure's floors.
fn hb_parameters(ctx: &Context<'_>, measure: Measure) -> HbParameters {
    let spec = ctx.spec.outliers.as_ref();
    let pick = |get: fn(&survey_def::OutlierSpec) -> Option<f64>, default: f64| spec.and_then(get).unwrap_or(default);
    let (floor_absolute, floor_share) = match measure {
        Measure::Headcount => (
            pick(|s| s.headcount_floor_persons, crate::DEFAULT_HEADCOUNT_FLOOR_PERSONS),
            pick(|s| s.headcount_floor_share, crate::DEFAULT_HEADCOUNT_FLOOR_SHARE),
        ),
        Measure::Vacancies => (
            pick(|s| s.vacancies_floor_posts, crate::DEFAULT_VACANCIES_FLOOR_POSTS),
            0.0,
        ),
    };
    HbParameters {
        u: pick(|s| s.u, crate::DEFAULT_HB_U),
        a: pick(|s| s.a, crate::DEFAULT_HB_A),
        c: pick(|s| s.c, crate::DEFAULT_HB_C),
        min_changed: spec
            .and_then(|s| s.min_changed)
            .map_or(crate::DEFAULT_HB_MIN_CHANGED, |n| n as usize),
        floor_absolute,
        floor_share,
    }
}

/// The measures compared across waves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Headcount,
    Vacancies,
}

/// Openings summed per return; `None` for every return when the table was not read.
/// A return without lines has no vacancy: 0, not missing.
pub fn vacancies_per_return(data: &Dataset, spec: &VacancyColumns) -> Vec<Option<f64>> {
    let Some(table) = data.tables.get(&spec.table) else {
        return vec![None; data.len()];
    };
    let openings = numbers_of(&table.lines, &spec.openings);
    table
        .by_owner
        .iter()
        // A fold from +0.0: `sum()` of no lines would give -0.0, shown as "-0".
        .map(|lines| Some(lines.iter().fold(0.0, |sum, &l| sum + openings[l].unwrap_or(0.0))))
        .collect()
}

/// Matches the returns of both waves and compares headcount and vacancies, each read by
/// its wave's own definition (the `employees` role and the vacancy table's openings).
pub fn compare(ctx: &Context<'_>, previous: &PreviousWave<'_>) -> WaveComparison {
    let previous_row = previous.rows_of(ctx.data);
    let matched: Vec<(usize, usize)> = previous_row
        .iter()
        .enumerate()
        .filter_map(|(now, before)| before.map(|b| (now, b)))
        .collect();
    let side_by_side = |before: Vec<Option<f64>>, now: Vec<Option<f64>>, measure: Measure| {
        Compared::of(
            matched.iter().map(|&(_, b)| before[b]).collect(),
            matched.iter().map(|&(n, _)| now[n]).collect(),
            &hb_parameters(ctx, measure),
        )
    };
    let headcount = side_by_side(
        previous.employees(),
        ctx.data.numbers(&ctx.spec.employees),
        Measure::Headcount,
    );
    let vacancies = ctx
        .spec
        .vacancies
        .as_ref()
        .zip(previous.vacancies())
        .map(|(now, before)| {
            side_by_side(
                vacancies_per_return(previous.data, before),
                vacancies_per_return(ctx.data, now),
                Measure::Vacancies,
            )
        });
    WaveComparison {
        matched,
        previous_row,
        headcount,
        vacancies,
    }
}

/// Whether each rule of `def` can say what is new since the previous wave: it reads no
/// `previous()` (a change between the waves is its subject already, and the wave before
/// the previous one is not at hand) and every name it reads is in the previous wave.
pub fn rules_compared(def: &Definition, previous: &PreviousWave<'_>) -> Vec<bool> {
    let m = &previous.matching;
    def.risk_rules()
        .iter()
        .map(|rule| {
            let mut questions = BTreeSet::new();
            let mut columns = BTreeSet::new();
            names_read(&rule.when, &mut questions, &mut columns);
            let question_read = |q: &String| match def.question(q) {
                // `count(table)`: the table is there when one of its columns is.
                Some(t) if t.kind.table().is_some() => t.columns().iter().any(|c| m.column(q, &c.id).is_some()),
                _ => m.question(q).is_some(),
            };
            previous_references(&rule.when).is_empty()
                && questions.iter().all(question_read)
                && columns.iter().all(|(t, c)| m.column(t, c).is_some())
        })
        .collect()
}

/// Flags tripped now by an enterprise in both waves whose previous return did not trip
/// the same rule (tripped: no; clear or undecided: yes), with the previous verdict. Only
/// the rules `compared` marks are compared.
pub fn new_flags<'a>(
    current: &'a Assessment,
    before: &Assessment,
    waves: &WaveComparison,
    compared: &[bool],
) -> Vec<(&'a Flag, Verdict)> {
    current
        .flags
        .iter()
        .filter(|f| compared.get(f.rule).copied().unwrap_or(false))
        .filter_map(|f| {
            let row = waves.previous_row[f.row]?;
            let verdict = before.verdict(row, f.rule);
            (verdict != Verdict::Tripped).then_some((f, verdict))
        })
        .collect()
}

pub(super) fn change_cells(c: &Compared, i: usize, lang: Lang) -> [Cell; 5] {
    let change = c.before[i].zip(c.now[i]).map(|(b, n)| n - b);
    let rate = c.before[i].zip(change).filter(|(b, _)| *b > 0.0).map(|(b, d)| d / b);
    [
        Cell::number(c.before[i]),
        Cell::number(c.now[i]),
        Cell::number(change),
        Cell::number(rate),
        Cell::text(c.status[i].text(lang)),
    ]
}

/// One line on how the rule ran for a measure.
fn hb_footnote(ctx: &Context<'_>, what: &str, c: &Compared) -> String {
    let excluded_zero = c.count(HbStatus::Zero);
    let excluded_missing = c.count(HbStatus::Missing);
    let unchanged = c.count(HbStatus::Unchanged);
    let below_floor = c.count(HbStatus::BelowFloor);
    match &c.outcome {
        Ok(o) => {
            let assessed = c.count(HbStatus::Outlier) + c.count(HbStatus::WithinRange) + below_floor;
            let [q1, med, q3] = o.quartiles.map(number_text);
            ctx.tr(
                &format!(
                    "{what}：变化企业的中位比率 r_med = {}；效应E四分位数 {q1} / {med} / {q3}（不含未变化企业）；E不在 [{}, {}] 内且变化不小于下限为异常。判断{assessed}家，异常{}家，变化小于下限{below_floor}家；未变化{unchanged}家；未判断：某期为0的{excluded_zero}家，某期未填的{excluded_missing}家。",
                    number_text(o.median_ratio),
                    number_text(o.lower),
                    number_text(o.upper),
                    c.count(HbStatus::Outlier),
                ),
                &format!(
                    "{what}: median ratio of the changed enterprises r_med = {}; quartiles of the effect E {q1} / {med} / {q3} (unchanged enterprises left out); an E outside [{}, {}] with a change not below the floor is an outlier. {assessed} changed enterprises assessed, {} outliers, {below_floor} with a change below the floor; {unchanged} unchanged; not assessed: {excluded_zero} with 0 in a wave, {excluded_missing} not answered in a wave.",
                    number_text(o.median_ratio),
                    number_text(o.lower),
                    number_text(o.upper),
                    c.count(HbStatus::Outlier),
                ),
            )
        }
        Err(HbError::TooFewChanged { changed, needed }) => ctx.tr(
            &format!(
                "{what}：两期之间只有{changed}家企业有变化，少于{needed}家，不做异常判断；未变化{unchanged}家，某期为0的{excluded_zero}家，某期未填的{excluded_missing}家。"
            ),
            &format!(
                "{what}: only {changed} enterprises changed between the waves, fewer than the {needed} the screen needs, so no outlier is judged; {unchanged} unchanged, {excluded_zero} with 0 in a wave, {excluded_missing} not answered in a wave."
            ),
        ),
        Err(e) => ctx.tr(
            &format!(
                "{what}：无法判断异常（{e}）；某期为0的{excluded_zero}家，某期未填的{excluded_missing}家。"
            ),
            &format!(
                "{what}: outliers could not be judged ({e}); {excluded_zero} with 0 in a wave, {excluded_missing} not answered in a wave."
            ),
        ),
    }
}

/// True when the Hidiroglou-Berthelot rule flags matched enterprise `i` on either measure.
pub(super) fn is_outlier(waves: &WaveComparison, i: usize) -> bool {
    waves.headcount.status[i] == HbStatus::Outlier
        || waves
            .vacancies
            .as_ref()
            .is_some_and(|v| v.status[i] == HbStatus::Outlier)
}

/// The per-enterprise change sheet: the matched enterprises the Hidiroglou-Berthelot rule
/// flags on either measure (the changes worth checking), by enterprise id. The others'
/// changes are inside the rule's bounds or could not be judged; the footnotes count them.
pub fn change_sheet(ctx: &Context<'_>, facts: &EnterpriseFacts, waves: &WaveComparison) -> Sheet {
    let c = |header: String, format: Format| Column {
        header,
        format,
        style: ColumnStyle::Plain,
    };
    let headcount = ctx.tr("职工人数", "Headcount");
    let vacancies = ctx.tr("职位空缺", "Vacancies");
    let measures: Vec<(&String, &Compared)> = std::iter::once((&headcount, &waves.headcount))
        .chain(waves.vacancies.as_ref().map(|v| (&vacancies, v)))
        .collect();
    let mut columns = vec![
        c(ctx.tr("统一社会信用代码", "Enterprise id"), Format::Text),
        c(ctx.tr("企业名称", "Enterprise name"), Format::Text),
        c(ctx.tr("行业门类", "Sector"), Format::Text),
    ];
    for (what, _) in &measures {
        columns.extend([
            c(format!("{what} {}", ctx.tr("上期", "previous wave")), Format::Persons),
            c(format!("{what} {}", ctx.tr("本期", "now")), Format::Persons),
            c(format!("{what} {}", ctx.tr("变化", "change")), Format::Persons),
            c(format!("{what} {}", ctx.tr("变化率", "% change")), Format::Percent),
            c(format!("{what} {}", ctx.tr("HB异常判断", "HB outlier")), Format::Text),
        ]);
    }
    let text_or_blank = |v: &Option<String>| v.as_deref().map_or(Cell::Blank, Cell::text);
    // Matched pairs are in enterprise-id order already.
    let rows: Vec<Vec<Cell>> = (0..waves.matched.len())
        .filter(|&i| is_outlier(waves, i))
        .map(|i| {
            let row = waves.matched[i].0;
            let mut cells = vec![
                Cell::text(&ctx.data.enterprise_ids[row]),
                text_or_blank(&facts.names[row]),
                text_or_blank(&facts.sectors[row]),
            ];
            for (_, compared) in &measures {
                cells.extend(change_cells(compared, i, ctx.lang));
            }
            cells
        })
        .collect();
    let (matched, listed) = (waves.matched.len(), rows.len());
    let others = matched - listed;
    let mut intro = vec![
        ctx.tr(
            "内部资料：本表列出单个企业，仅供工作人员核实使用，不得公开或转发。",
            "For officials only: this sheet lists individual enterprises for checking and is not for publication.",
        ),
        ctx.tr(
            &format!(
                "按统一社会信用代码匹配两期问卷，共{matched}家企业。本表列出其中{}为HB异常（Hidiroglou-Berthelot方法）的{listed}家，请核实是填报错误还是实际变化；其余{others}家未变化、变化在HB界限之内或小于下限，或因某期为0、未填而未判断（见表下注）。",
                measures.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join("或")
            ),
            &format!(
                "{matched} enterprises matched by enterprise id. This sheet lists the {listed} the Hidiroglou-Berthelot rule flags as outliers in {}: check whether the change is a slip or real. The other {others} are unchanged, change within the HB bounds or by less than the floor, or could not be judged because of a 0 or no answer in a wave (see the notes below the table).",
                measures.iter().map(|(m, _)| m.to_lowercase()).collect::<Vec<_>>().join(" or ")
            ),
        ),
    ];
    if ctx.spec.vacancies.is_some() && waves.vacancies.is_none() {
        intro.push(ctx.tr(
            "上期问卷定义未设岗位空缺表，职位空缺不作比较。",
            "Vacancies are not compared: the previous wave's definition maps no vacancy table.",
        ));
    }
    if listed == 0 {
        intro.push(ctx.tr("没有HB异常的企业。", "No matched enterprise is an outlier."));
    }
    Sheet {
        print: Print::default(),
        name: ctx.tr("与上期比较", "Wave-over-wave change"),
        title: ctx.tr(
            &format!(
                "两期都有问卷的企业：{}的异常变化",
                measures.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join("与")
            ),
            &format!(
                "Enterprises in both waves: outlying changes in {}",
                measures
                    .iter()
                    .map(|(m, _)| m.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
        intro,
        table: Table {
            name: "RiskWaveChange".into(),
            footnotes: measures.iter().map(|(what, c)| hb_footnote(ctx, what, c)).collect(),
            columns,
            rows,
        },
        chart: None,
    }
}
