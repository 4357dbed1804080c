//! Clean answers for one enterprise: numbers that hang together (headcounts, returns
//! after the festival, vacancies by occupation, plans, arrears, policy take-up).
//!
//! Questions are answered by id when the definition has them (the shipped spring 2024
//! ids); [`crate::settle`] then applies the definition's skip logic, fills any other
//! required question by its type, and checks the result.

use crate::check::{self, Record};
use crate::occupations;
use crate::population::{self, Enterprise};
use crate::random::{self, Rng, chance, int, uniform};
use crate::sectors::{self, Sector};
use std::collections::{BTreeMap, BTreeSet};
use survey_def::expr::Value;
use survey_def::{Definition, Lang};

/// What the generator needs to know besides the enterprise.
pub(crate) struct Context<'a> {
    pub def: &'a Definition,
    /// First and last day of the survey period (days since 1970-01-01).
    pub period: (i32, i32),
    /// Language of the respondent (free texts).
    pub lang: Lang,
    /// Most table rows (the wide export holds fewer than the template).
    pub max_rows: usize,
}

/// Builds a record, remembering which questions it decided on (answered or left blank).
pub(crate) struct Builder<'a> {
    pub def: &'a Definition,
    pub record: Record,
    pub decided: BTreeSet<String>,
}

impl Builder<'_> {
    /// Sets an answer when the definition has the question and the value fits it.
    pub fn set(&mut self, id: &str, value: Value) {
        let Some(q) = self.def.question(id) else { return };
        if q.is_asked() && check::well_formed(q, &value).is_ok() {
            self.record.answers.insert(id.to_owned(), value);
            self.decided.insert(id.to_owned());
        }
    }

    /// Sets an answer with probability `p`; otherwise leaves the question blank.
    pub fn maybe(&mut self, rng: &mut Rng, p: f64, id: &str, value: Value) {
        if chance(rng, p) {
            self.set(id, value);
        } else {
            self.decided.insert(id.to_owned());
        }
    }

    /// Sets an answer with probability `p` when `asked` (a follow-up whose lead question
    /// was answered so); otherwise leaves it blank.
    pub fn follow_up(&mut self, rng: &mut Rng, asked: bool, p: f64, id: &str, value: Value) {
        if asked {
            self.maybe(rng, p, id, value);
        } else {
            self.decided.insert(id.to_owned());
        }
    }

    /// Whether the question was answered yes.
    pub fn yes(&self, id: &str) -> bool {
        self.record.answers.get(id) == Some(&Value::Bool(true))
    }

    pub fn number(&self, id: &str) -> Option<f64> {
        self.record.answers.get(id).and_then(Value::as_number)
    }
}

pub(crate) fn num(n: impl Into<f64>) -> Value {
    Value::Number(n.into())
}

pub(crate) fn text(t: &str) -> Value {
    Value::Text(t.to_owned())
}

pub(crate) fn codes(c: &[&str]) -> Value {
    Value::Codes(c.iter().map(|s| (*s).to_owned()).collect())
}

/// Index of the enterprise's size class (0 smallest).
pub(crate) fn class_index(def: &Definition, e: &Enterprise) -> usize {
    crate::population::size_bands(def)
        .iter()
        .position(|(c, _, _)| *c == e.size_class)
        .unwrap_or(0)
}

fn weak(sector: Sector) -> bool {
    matches!(
        sector,
        Sector::Catering | Sector::Manufacturing | Sector::Construction | Sector::Trade
    )
}

/// Circumstances decided first, because many answers depend on them.
pub(crate) struct State {
    pub status: &'static str,
    pub arrears: bool,
    pub migrant_share: f64,
    pub class: usize,
    pub classes: usize,
}

fn state(ctx: &Context, e: &Enterprise, rng: &mut Rng) -> State {
    let p = sectors::profile(e.sector);
    let status = if chance(rng, p.stoppage) {
        *random::pick(
            rng,
            &[
                ("partly_stopped", 5.0),
                ("stopped", 2.0),
                ("relocating_or_closing", 2.0),
            ],
        )
    } else {
        "normal"
    };
    let troubled = status != "normal";
    let arrears = chance(rng, if troubled { 0.3 } else { p.arrears });
    State {
        status,
        arrears,
        migrant_share: uniform(rng, p.migrants.0, p.migrants.1),
        class: class_index(ctx.def, e),
        classes: crate::population::size_bands(ctx.def).len(),
    }
}

/// Answers for `e`, filed on day `submitted_on`; skip logic is applied afterwards.
pub(crate) fn answers<'a>(ctx: &Context<'a>, e: &Enterprise, submitted_on: i32, rng: &mut Rng) -> Builder<'a> {
    let mut b = Builder {
        def: ctx.def,
        record: Record::default(),
        decided: BTreeSet::new(),
    };
    let st = state(ctx, e, rng);
    profile(ctx, e, submitted_on, &mut b, rng);
    employment(e, &st, &mut b, rng);
    vacancies(ctx, e, &st, &mut b, rng);
    plans(e, &st, &mut b, rng);
    training(e, &mut b, rng);
    operations(e, &st, submitted_on, &mut b, rng);
    crate::reach::policies(&st, &mut b, rng);
    crate::reach::support(ctx, &st, &mut b, rng);
    b
}

fn profile(ctx: &Context, e: &Enterprise, submitted_on: i32, b: &mut Builder, rng: &mut Rng) {
    b.set(&ctx.def.survey().enterprise_question, text(&e.id));
    b.set("name", text(&e.name));
    b.set("industry", text(e.division));
    b.set("subdistrict", text(&e.subdistrict));
    let large = b.def.size_class(e.employees).is_some_and(|c| c.max.is_none());
    let foreign = if ctx.lang == Lang::En { 25.0 } else { 7.0 };
    let ownership = *random::pick(
        rng,
        &[
            ("private", 75.0),
            ("state_owned", if large { 25.0 } else { 5.0 }),
            ("foreign_invested", foreign),
            ("hk_macao_taiwan", 4.0),
            ("collective", 1.0),
            ("other", 3.0),
        ],
    );
    b.maybe(rng, 0.9, "ownership", text(ownership));
    let person = population::person_name(rng);
    b.maybe(rng, 0.85, "contact_person", Value::Text(person));
    let phone = population::phone_number(rng);
    b.maybe(rng, 0.8, "contact_phone", Value::Text(phone));
    if let Some(q) = &ctx.def.survey().submitted_at_question {
        b.set(q, Value::Date(submitted_on));
    }
}

fn employment(e: &Enterprise, st: &State, b: &mut Builder, rng: &mut Rng) {
    let p = sectors::profile(e.sector);
    let now = e.employees as f64;
    let drop = chance(rng, if st.status != "normal" { 0.35 } else { 0.04 });
    let before = if drop {
        (now / (1.0 - uniform(rng, 0.2, 0.45))).ceil()
    } else {
        let drift = if e.sector == Sector::Software { -0.01 } else { 0.0 };
        (now * (1.0 + drift + 0.04 * random::normal(rng).clamp(-2.5, 2.5)))
            .round()
            .max(1.0)
    };
    b.set("employees_before_festival", num(before));
    b.set("employees_now", num(now));
    b.maybe(
        rng,
        0.92,
        "migrant_workers",
        num((now * st.migrant_share).round().min(now)),
    );
    let stay_share = match e.sector {
        Sector::Catering | Sector::Health | Sector::Services => uniform(rng, 0.3, 0.6),
        _ => uniform(rng, 0.1, 0.4),
    };
    let staying = (before * stay_share).round();
    b.maybe(rng, 0.9, "staying_over_festival", num(staying));
    let leave = (st.migrant_share * uniform(rng, 0.8, 1.1)).clamp(0.0, 1.0);
    let expected = ((before - staying) * leave).round().max(0.0);
    if chance(rng, 0.9) {
        b.set("expected_to_return", num(expected));
        let slow = chance(rng, if drop { 0.6 } else { p.slow_return });
        let returned = if slow {
            (expected * uniform(rng, 0.5, 0.79)).floor()
        } else if chance(rng, 0.3) {
            expected
        } else {
            (expected * uniform(rng, 0.85, 1.0)).round().min(expected)
        };
        // Those back at work are on the payroll now, beside those who stayed.
        let returned = returned.min((now - staying.min(now)).max(0.0));
        b.maybe(rng, 0.97, "returned_after_festival", num(returned));
    } else {
        b.decided
            .extend(["expected_to_return".to_owned(), "returned_after_festival".to_owned()]);
    }
}

fn vacancies(ctx: &Context, e: &Enterprise, st: &State, b: &mut Builder, rng: &mut Rng) {
    let Some(table) = ctx.def.question("vacancies").filter(|q| !q.columns().is_empty()) else {
        return;
    };
    b.decided.insert("vacancies".to_owned());
    let top = st.classes.saturating_sub(1).max(1) as f64;
    let rel = st.class as f64 / top;
    let mut p_any = 0.4 + 0.55 * rel;
    if st.status != "normal" {
        p_any *= 0.3;
    }
    if !chance(rng, p_any) {
        return;
    }
    let cap = (table.kind.table().and_then(|t| t.max_rows).unwrap_or(50) as usize)
        .min(ctx.max_rows)
        .max(1);
    let n_rows = (int(rng, 1, 2 + (rel * 6.0).round() as i64) as usize).min(cap);
    let p = sectors::profile(e.sector);
    let chosen = random::pick_some(rng, p.occupations, n_rows);
    // Openings in all: 1-6% of the headcount (a job vacancy rate of a few percent),
    // spread over the rows, at least one per row.
    let total_share = uniform(rng, 0.01, 0.06);
    let per_row = e.employees as f64 * total_share / chosen.len().max(1) as f64;
    let mut rows = Vec::new();
    for code in chosen {
        let Some(o) = occupations::occupation(code) else {
            continue;
        };
        let openings = (per_row * uniform(rng, 0.5, 1.5)).round().max(1.0);
        let hard = random::binomial(rng, openings as u64, o.hard) as f64;
        let mut row: BTreeMap<String, Value> = BTreeMap::new();
        let mut put = |rng: &mut Rng, p: f64, col: &str, v: Value| {
            if let Some(c) = table.column(col)
                && check::well_formed(c, &v).is_ok()
                && chance(rng, p)
            {
                row.insert(col.to_owned(), v);
            }
        };
        put(rng, 1.0, "occupation", text(o.code));
        put(
            rng,
            0.85,
            "occupation_name",
            text(if ctx.lang == Lang::Zh { o.zh } else { o.en }),
        );
        put(rng, 1.0, "openings", num(openings));
        put(rng, 0.97, "hard_to_fill", num(hard));
        if hard > 0.0 {
            let skill = random::binomial(rng, hard as u64, o.skill) as f64;
            put(rng, 0.95, "skill_shortage", num(skill));
        }
        let form = *random::pick(rng, o.forms);
        put(rng, 0.88, "employment_form", text(form));
        let education = *random::pick(rng, o.education);
        put(rng, 0.92, "education", text(education));
        let skill_level = *random::pick(rng, o.skill_level);
        put(rng, 0.85, "skill_level", text(skill_level));
        let (lo, hi) = (f64::from(o.wage.0).ln(), f64::from(o.wage.1).ln());
        let wage = (uniform(rng, lo, hi).exp() / 500.0).round() * 500.0;
        put(rng, 0.9, "wage_offered", num(wage));
        rows.push(row);
    }
    let hard_total: f64 = rows
        .iter()
        .filter_map(|r| r.get("hard_to_fill").and_then(Value::as_number))
        .sum();
    b.record.tables.insert("vacancies".to_owned(), rows);
    if hard_total > 0.0 {
        let k = int(rng, 1, 3) as usize;
        let reasons = random::pick_some(rng, p.difficulties, k);
        b.maybe(rng, 0.9, "recruitment_difficulties", codes(&reasons));
    }
}

fn plans(e: &Enterprise, st: &State, b: &mut Builder, rng: &mut Rng) {
    let p = sectors::profile(e.sector);
    let now = e.employees as f64;
    let open: f64 = b
        .record
        .tables
        .get("vacancies")
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.get("openings").and_then(Value::as_number))
                .sum()
        })
        .unwrap_or(0.0);
    let hires = if st.status == "stopped" || st.status == "relocating_or_closing" {
        0.0
    } else if open > 0.0 {
        (open * uniform(rng, 0.8, 1.6)).round() + int(rng, 0, 2) as f64 + (now * uniform(rng, 0.0, 0.04)).round()
    } else if chance(rng, 0.25) {
        int(rng, 1, 3) as f64
    } else {
        0.0
    };
    b.set("planned_hires", num(hires));
    let troubled = st.status != "normal";
    let p_layoff = if troubled {
        0.5
    } else if weak(e.sector) {
        0.03
    } else {
        0.012
    };
    let layoff = chance(rng, p_layoff);
    let reductions = if layoff {
        let r = if now >= 30.0 && chance(rng, 0.5) {
            (now * uniform(rng, 0.1, 0.3)).round().max(20.0)
        } else {
            (now * uniform(rng, 0.1, 0.35)).ceil()
        };
        r.clamp(1.0, now)
    } else if now >= 11.0 && chance(rng, 0.08) {
        int(rng, 1, ((now as i64 - 1) / 10).min(19)) as f64
    } else {
        0.0
    };
    b.set("planned_reductions", num(reductions));
    if reductions > 0.0 {
        let reasons: &[(&str, f64)] = if layoff {
            &[
                ("orders_down", 4.0),
                ("costs_up", 3.0),
                ("restructuring", 2.0),
                (
                    "relocation",
                    if st.status == "relocating_or_closing" { 6.0 } else { 0.5 },
                ),
                ("automation", if e.sector == Sector::Manufacturing { 1.5 } else { 0.2 }),
            ]
        } else {
            &[
                ("contracts_end", 4.0),
                ("seasonal", if e.sector == Sector::Catering { 3.0 } else { 0.5 }),
                ("costs_up", 1.5),
                ("other", 0.5),
            ]
        };
        let k = int(rng, 1, 2) as usize;
        let picked = random::pick_some(rng, reasons, k);
        b.maybe(rng, 0.92, "reduction_reasons", codes(&picked));
    }
    let channels = [
        ("public_platform", 2.0),
        ("community_station", 1.0),
        ("job_fair", 1.5),
        ("commercial_website", 4.0),
        ("hr_agency", 1.5),
        ("campus", if p.graduate_heavy { 2.0 } else { 0.3 }),
        ("referral", 2.5),
        ("labor_cooperation", if weak(e.sector) { 1.0 } else { 0.1 }),
        ("other", 0.2),
    ];
    let k = int(rng, 1, 4) as usize;
    let picked = random::pick_some(rng, &channels, k);
    b.maybe(rng, 0.9, "hire_channels", codes(&picked));
    let share = if p.graduate_heavy {
        uniform(rng, 0.2, 0.7)
    } else {
        uniform(rng, 0.0, 0.2)
    };
    b.maybe(rng, 0.85, "graduates_to_hire", num((hires * share).floor()));
    let interns = if p.graduate_heavy && chance(rng, 0.4) {
        int(rng, 1, 2 + (now / 20.0).min(18.0) as i64)
    } else {
        0
    };
    b.maybe(rng, 0.8, "interns_wanted", num(interns as f64));
    let labor_coop = matches!(
        e.sector,
        Sector::Manufacturing | Sector::Construction | Sector::Catering | Sector::Transport | Sector::Services
    );
    let interest = chance(rng, if labor_coop { 0.35 } else { 0.05 });
    b.maybe(rng, 0.9, "interest_labor_cooperation", Value::Bool(interest));
    let workers = int(rng, 2, 5 + (now / 10.0).min(55.0) as i64) as f64;
    let interested = b.yes("interest_labor_cooperation");
    b.follow_up(rng, interested, 0.85, "labor_cooperation_workers", num(workers));
    let odd_sector = matches!(
        e.sector,
        Sector::Catering | Sector::Trade | Sector::Transport | Sector::Services
    );
    let odd_demand = chance(rng, if odd_sector { 0.35 } else { 0.1 });
    b.maybe(rng, 0.9, "odd_job_demand", Value::Bool(odd_demand));
    let odd = int(rng, 1, 3 + (now / 15.0).min(27.0) as i64) as f64;
    let odd_asked = b.yes("odd_job_demand");
    b.follow_up(rng, odd_asked, 0.85, "odd_job_workers", num(odd));
    let fair = chance(rng, if open > 0.0 { 0.65 } else { 0.35 });
    b.maybe(rng, 0.88, "job_fair_interest", Value::Bool(fair));
}

fn training(e: &Enterprise, b: &mut Builder, rng: &mut Rng) {
    let p = sectors::profile(e.sector);
    let now = e.employees as f64;
    let k = *random::pick(rng, &[(0usize, 0.2), (1, 0.35), (2, 0.3), (3, 0.15)]);
    let needs = random::pick_some(rng, p.training, k);
    b.maybe(rng, 0.88, "training_needs", codes(&needs));
    let workers = if needs.is_empty() {
        0.0
    } else {
        (now * uniform(rng, 0.05, 0.5)).round().max(1.0)
    };
    b.maybe(rng, 0.85, "training_workers", num(workers));
    let extra = if e.sector == Sector::Manufacturing { 0.15 } else { 0.0 };
    let order = chance(rng, 0.25 + extra);
    b.maybe(rng, 0.85, "order_training_interest", Value::Bool(order));
    let trades = matches!(
        e.sector,
        Sector::Manufacturing | Sector::Catering | Sector::Construction | Sector::Health | Sector::Services
    );
    let recognition = chance(rng, if trades { 0.4 } else { 0.15 });
    b.maybe(rng, 0.85, "skill_recognition_interest", Value::Bool(recognition));
}

fn operations(e: &Enterprise, st: &State, submitted_on: i32, b: &mut Builder, rng: &mut Rng) {
    let now = e.employees as f64;
    b.set("operating_status", text(st.status));
    let stopped_since = submitted_on - int(rng, 5, 75) as i32;
    let stopped = matches!(st.status, "partly_stopped" | "stopped");
    b.follow_up(rng, stopped, 0.9, "stopped_since", Value::Date(stopped_since));
    let payment = if st.arrears {
        "in_arrears"
    } else if chance(rng, 0.04) {
        "delayed_within_month"
    } else {
        "paid_on_time"
    };
    b.set("wage_payment", text(payment));
    let workers = (now * uniform(rng, 0.2, 1.0)).round().clamp(1.0, now.max(1.0));
    b.follow_up(rng, st.arrears, 1.0, "arrears_workers", num(workers));
    let months = *random::pick(rng, &[(1u8, 5.0), (2, 3.0), (3, 1.5), (4, 0.7), (6, 0.3)]);
    let monthly = uniform(rng, 5_500.0, 9_000.0);
    let amount = (workers * monthly * f64::from(months) * uniform(rng, 0.5, 1.0) / 100.0)
        .round()
        .max(1.0)
        * 100.0;
    b.follow_up(rng, st.arrears, 1.0, "arrears_amount", num(amount));
    b.follow_up(rng, st.arrears, 0.92, "arrears_months", num(months));
    let migrants = (workers * (st.migrant_share * uniform(rng, 0.9, 1.2)).min(1.0)).round();
    b.follow_up(rng, st.arrears, 0.85, "migrant_arrears_workers", num(migrants));
    let troubled = st.arrears || st.status != "normal";
    let (partly, full) = if troubled { (30.0, 20.0) } else { (2.5, 1.0) };
    let si = *random::pick(
        rng,
        &[
            ("paid_in_full", 100.0 - partly - full),
            ("partly_in_arrears", partly),
            ("in_arrears", full),
        ],
    );
    b.set("social_insurance", text(si));
    let p_fin = if troubled {
        0.8
    } else if weak(e.sector) {
        0.2
    } else {
        0.1
    };
    let difficulty = chance(rng, p_fin);
    b.maybe(rng, 0.9, "financial_difficulty", Value::Bool(difficulty));
}
