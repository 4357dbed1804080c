//! The enterprise-level demand measures over one breakdown: vacancies and the rates built
//! on them, planned hires and reductions, employment change, return to work and the
//! declared totals, each only when the definition maps its role.
//!
//! Every rate comes with the totals it is a ratio of, the denominator as a hidden line
//! (computed, never printed): the disclosure audit needs both parts to see what a rate
//! gives back.

use super::occupations::wage_measures;
use crate::context::Context;
use crate::figures::{Breakdown, FigureLine, Meaning, MeasureLine, suppress_together};
use crate::impute::Answers;
use crate::lines::Vacancies;
use crate::report::book::Format;

/// Quantity ids of the audit that are not question ids.
pub mod quantity {
    /// Vacancies V (openings summed over an enterprise's lines).
    pub const VACANCIES: &str = "vacancies";
    /// Hard-to-fill vacancies.
    pub const HARD_TO_FILL: &str = "hard_to_fill";
    /// Vacancies hard to fill for lack of skills.
    pub const SKILL_SHORTAGE: &str = "skill_shortage";
    /// Occupied posts plus vacancies, E + V.
    pub const POSTS: &str = "posts";
    /// Employees now, E.
    pub const EMPLOYEES: &str = "employees";
    /// Employees at the earlier reference date.
    pub const EMPLOYEES_BEFORE: &str = "employees_before";
    /// Employees now minus before.
    pub const EMPLOYMENT_CHANGE: &str = "employment_change";
    /// Planned hires.
    pub const PLANNED_HIRES: &str = "planned_hires";
    /// Planned reductions.
    pub const PLANNED_REDUCTIONS: &str = "planned_reductions";
    /// Planned hires minus reductions.
    pub const NET_PLANNED_HIRING: &str = "net_planned_hiring";
    /// Workers back.
    pub const RETURNED: &str = "returned";
    /// Workers expected back.
    pub const EXPECTED_TO_RETURN: &str = "expected_to_return";
}

/// Per-unit columns of the vacancy measures, when the definition maps a vacancy table.
pub struct VacancyColumns {
    /// V.
    pub vacancies: Answers,
    /// Present when the table has a hard-to-fill column.
    pub hard_to_fill: Option<Answers>,
    /// Present when the table has a skill-shortage column.
    pub skill_shortage: Option<Answers>,
    /// E + V.
    pub posts: Answers,
}

impl VacancyColumns {
    /// The columns, or `None` without a vacancy table.
    pub fn of(ctx: &Context<'_>, vacancies: &Vacancies) -> Option<VacancyColumns> {
        let spec = ctx.spec.vacancies.as_ref()?;
        let column =
            |value: fn(&crate::lines::VacancyLine) -> f64| Answers::reported(vacancies.per_unit(|_| true, value));
        let v = column(|l| l.openings);
        let employees = ctx.numbers(&ctx.spec.employees);
        Some(VacancyColumns {
            posts: Answers::combine(&employees, &v, |e, v| e + v),
            vacancies: v,
            hard_to_fill: spec.hard_to_fill.as_ref().map(|_| column(|l| l.hard_to_fill)),
            skill_shortage: spec.skill_shortage.as_ref().map(|_| column(|l| l.skill_shortage)),
        })
    }
}

/// Collects the measures of one breakdown in print order.
struct Measures<'c> {
    ctx: &'c Context<'c>,
    breakdown: &'c Breakdown,
    out: Vec<MeasureLine>,
}

impl Measures<'_> {
    fn push(&mut self, id: &str, label: String, format: Format, meaning: Meaning, line: FigureLine) {
        self.out.push(MeasureLine {
            id: id.to_owned(),
            label,
            format,
            meaning,
            hidden: false,
            line,
        });
    }

    /// A total of `y` as quantity `quantity`, printed or (`hidden`) for the audit only.
    fn total(&mut self, id: &str, label: String, y: &Answers, hidden: bool) -> FigureLine {
        let line = self.ctx.estimator().totals(y, self.breakdown);
        self.out.push(MeasureLine {
            id: id.to_owned(),
            label,
            format: Format::Persons,
            meaning: Meaning::total_of(id, &y.values),
            hidden,
            line: line.clone(),
        });
        line
    }

    /// The rate numerator / denominator, judged with the lines of both totals.
    fn rate(
        &mut self,
        id: &str,
        label: String,
        (num_id, num, num_line): (&str, &Answers, &FigureLine),
        (den_id, den, den_line): (&str, &Answers, &FigureLine),
    ) {
        let line = self
            .ctx
            .estimator()
            .ratios_of(num, den, self.breakdown, Some(num_line), den_line);
        self.push(
            id,
            label,
            Format::Percent,
            Meaning::Ratio {
                numerator: num_id.to_owned(),
                denominator: den_id.to_owned(),
            },
            line,
        );
    }
}

/// The enterprise-level measures for one breakdown, in print order (hidden lines after
/// the line that needs them). A measure whose role the definition does not map is not
/// computed.
pub fn enterprise_measures(
    ctx: &Context<'_>,
    cols: Option<&VacancyColumns>,
    vacancies: &Vacancies,
    b: &Breakdown,
) -> Vec<MeasureLine> {
    use quantity::*;
    let spec = ctx.spec;
    let mut m = Measures {
        ctx,
        breakdown: b,
        out: Vec::new(),
    };
    // Employees now, hidden: the part of the vacancy rate's denominator and of the
    // employment change that no table prints.
    if cols.is_some() || spec.employees_before.is_some() {
        m.total(
            EMPLOYEES,
            ctx.question_label(&spec.employees),
            &ctx.numbers(&spec.employees),
            true,
        );
    }
    if let Some(cols) = cols {
        // Computed here, moved to their place in print order below.
        let mark = m.out.len();
        let v = m.total(VACANCIES, ctx.tr("职位空缺数", "Vacancies"), &cols.vacancies, false);
        let posts = m.total(POSTS, ctx.tr("职位数 E+V", "Posts E+V"), &cols.posts, true);
        let htf = cols.hard_to_fill.as_ref().map(|h| {
            let label = ctx.tr("难招岗位数", "Hard-to-fill vacancies");
            (h, m.total(HARD_TO_FILL, label, h, false))
        });
        let totals: Vec<MeasureLine> = m.out.drain(mark..).collect();
        m.rate(
            "job_vacancy_rate",
            ctx.tr("职位空缺率 V/(E+V)", "Job vacancy rate V/(E+V)"),
            (VACANCIES, &cols.vacancies, &v),
            (POSTS, &cols.posts, &posts),
        );
        if let Some((h, line)) = &htf {
            m.rate(
                "hard_to_fill_share",
                ctx.tr("难招岗位占比", "Hard-to-fill share of vacancies"),
                (HARD_TO_FILL, h, line),
                (VACANCIES, &cols.vacancies, &v),
            );
        }
        if let Some(ssv) = &cols.skill_shortage {
            let line = m.total(
                SKILL_SHORTAGE,
                ctx.tr("技能短缺岗位数", "Skill-shortage vacancies"),
                ssv,
                true,
            );
            m.rate(
                "skill_shortage_density",
                ctx.tr("技能短缺岗位占比", "Skill-shortage vacancies share"),
                (SKILL_SHORTAGE, ssv, &line),
                (VACANCIES, &cols.vacancies, &v),
            );
        }
        m.out.extend(totals);
    }
    planned_measures(&mut m);
    if let Some(before_q) = spec.employees_before.as_deref() {
        let before = ctx.numbers(before_q);
        let now_answers = ctx.numbers(&spec.employees);
        let change = Answers::combine(&now_answers, &before, |now, before| now - before);
        let mark = m.out.len();
        let before_line = m.total(EMPLOYEES_BEFORE, ctx.question_label(before_q), &before, true);
        let change_line = m.total(
            EMPLOYMENT_CHANGE,
            ctx.tr("用工人数变化", "Employment change (persons)"),
            &change,
            false,
        );
        let totals: Vec<MeasureLine> = m.out.drain(mark..).collect();
        m.rate(
            "employment_change_rate",
            ctx.tr("用工人数变化率", "Employment change rate"),
            (EMPLOYMENT_CHANGE, &change, &change_line),
            (EMPLOYEES_BEFORE, &before, &before_line),
        );
        m.out.extend(totals);
    }
    if let (Some(returned_q), Some(expected_q)) = (spec.returned.as_deref(), spec.expected_to_return.as_deref()) {
        let returned = ctx.numbers(returned_q);
        let expected = ctx.numbers(expected_q);
        let mark = m.out.len();
        let returned_line = m.total(RETURNED, ctx.question_label(returned_q), &returned, false);
        let expected_line = m.total(EXPECTED_TO_RETURN, ctx.question_label(expected_q), &expected, true);
        let totals: Vec<MeasureLine> = m.out.drain(mark..).collect();
        m.rate(
            "return_rate",
            ctx.tr("返岗率（已返岗/预计返岗）", "Return-to-work rate (returned / expected)"),
            (RETURNED, &returned, &returned_line),
            (EXPECTED_TO_RETURN, &expected, &expected_line),
        );
        m.out.extend(totals);
    }
    for q in &spec.totals {
        m.total(q, ctx.question_label(q), &ctx.numbers(q), false);
    }
    let domain_of_unit = b.domain_of_units(ctx.sample.units());
    let lines = vacancies.lines_by_group(b.domains.len(), |l| domain_of_unit.get(l.unit).copied().flatten());
    m.out.extend(wage_measures(ctx, vacancies, b, &lines));
    m.out
}

/// Planned hires, reductions and their difference: any two give the third, so they
/// share their gaps.
fn planned_measures(m: &mut Measures<'_>) {
    use quantity::*;
    let ctx = m.ctx;
    let hires = ctx.spec.planned_hires.as_deref().map(|q| ctx.numbers(q));
    let reductions = ctx.spec.planned_reductions.as_deref().map(|q| ctx.numbers(q));
    let net = match (&hires, &reductions) {
        (Some(h), Some(r)) => Some(Answers::combine(h, r, |h, r| h - r)),
        _ => None,
    };
    let mark = m.out.len();
    let parts = [
        (PLANNED_HIRES, ctx.tr("计划招聘人数", "Planned hires"), hires),
        (
            PLANNED_REDUCTIONS,
            ctx.tr("计划减员人数", "Planned reductions"),
            reductions,
        ),
        (
            NET_PLANNED_HIRING,
            ctx.tr("净招聘计划（招聘−减员）", "Net planned hiring (hires - reductions)"),
            net,
        ),
    ];
    for (id, label, y) in parts {
        if let Some(y) = y {
            m.total(id, label, &y, false);
        }
    }
    let mut linked: Vec<&mut FigureLine> = m.out[mark..].iter_mut().map(|l| &mut l.line).collect();
    suppress_together(&mut linked);
}
