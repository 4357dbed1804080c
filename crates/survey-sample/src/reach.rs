//! Policy reach (aware, channel, applied, received for every policy of the definition)
//! and the support an enterprise asks for.

use crate::answers::{Builder, Context, State, codes, text};
use crate::check;
use crate::names;
use crate::random::{self, Rng, chance, int};
use survey_def::Lang;
use survey_def::expr::Value;

/// Share of enterprises that know a policy, before the size adjustment.
fn awareness(policy: &str) -> f64 {
    match policy {
        "service_package" => 0.55,
        "handbook" => 0.5,
        "ui_return" => 0.7,
        "youth_hiring_subsidy" => 0.5,
        "training_subsidy" => 0.6,
        "skill_recognition" => 0.4,
        "startup_loans" => 0.3,
        "labor_cooperation" => 0.35,
        "recruitment_platform" => 0.75,
        "internship_subsidy" => 0.45,
        _ => 0.5,
    }
}

/// Share of applicants that have received the support.
fn approval(policy: &str) -> f64 {
    match policy {
        "handbook" => 0.95,
        "ui_return" => 0.85,
        "startup_loans" => 0.5,
        "labor_cooperation" => 0.55,
        _ => 0.7,
    }
}

fn channel_weight(policy: &str, code: &str) -> f64 {
    match (policy, code) {
        ("handbook", "handbook" | "ebook") => 4.0,
        (_, "wechat") => 3.0,
        (_, "handbook" | "community_station" | "subdistrict_office") => 2.0,
        (_, "job_fair") => 1.5,
        (_, "other") => 0.3,
        _ => 1.0,
    }
}

/// Aware, channel, applied, received for every policy of the definition: received
/// implies applied implies aware; larger firms know more; firms that need a policy
/// apply more often.
pub(crate) fn policies(st: &State, b: &mut Builder, rng: &mut Rng) {
    let def = b.def;
    let rel = st.class as f64 / st.classes.saturating_sub(1).max(1) as f64;
    let size_adjust = -0.1 + 0.25 * rel;
    for p in def.policies() {
        let s = p;
        let aware = chance(rng, (awareness(&s.id) + size_adjust).clamp(0.05, 0.95));
        b.set(&s.aware, Value::Bool(aware));
        let channel = s.channel.as_deref().and_then(|c| def.question(c));
        if !aware {
            b.decided.extend([s.applied.clone(), s.received.clone()]);
            b.decided.extend(channel.map(|c| c.id().to_owned()));
            continue;
        }
        if let Some(q) = channel
            && let Some(list) = q.kind.choices()
        {
            let options: Vec<(&str, f64)> = list
                .options
                .iter()
                .map(|o| (o.code.as_str(), channel_weight(&s.id, &o.code)))
                .collect();
            let code = *random::pick(rng, &options);
            b.maybe(rng, 0.9, q.id(), Value::Text(code.to_owned()));
        }
        let need = p
            .need
            .as_ref()
            .map(|e| check::eval(def, &b.record, e) == Value::Bool(true));
        let p_apply = match need {
            Some(true) => 0.6,
            Some(false) => 0.15,
            None => 0.4,
        };
        let applied = chance(rng, p_apply);
        b.set(&s.applied, Value::Bool(applied));
        if applied {
            b.set(&s.received, Value::Bool(chance(rng, approval(&s.id))));
        } else {
            b.decided.insert(s.received.clone());
        }
    }
}

/// Services wanted (following what the return says it needs) and a comment.
pub(crate) fn support(ctx: &Context, st: &State, b: &mut Builder, rng: &mut Rng) {
    let yes = |b: &Builder, id: &str| b.record.answers.get(id) == Some(&Value::Bool(true));
    let positive = |b: &Builder, id: &str| b.number(id).is_some_and(|n| n > 0.0);
    let has_vacancies = b.record.tables.get("vacancies").is_some_and(|r| !r.is_empty());
    let needs_training = matches!(b.record.answers.get("training_needs"), Some(Value::Codes(c)) if !c.is_empty());
    let w = |cond: bool, hi: f64, lo: f64| if cond { hi } else { lo };
    let options = [
        ("policy_interpretation", 2.0),
        ("labor_cooperation", w(yes(b, "interest_labor_cooperation"), 3.0, 0.1)),
        (
            "festival_staff_care",
            w(b.number("staying_over_festival").is_some_and(|n| n >= 10.0), 1.0, 0.2),
        ),
        ("recruitment", w(has_vacancies, 3.0, 0.5)),
        ("odd_job_matching", w(yes(b, "odd_job_demand"), 2.0, 0.1)),
        ("intern_training", w(positive(b, "interns_wanted"), 2.0, 0.2)),
        ("startup_support", w(st.class == 0, 1.0, 0.1)),
        ("training_subsidy", w(needs_training, 2.0, 0.5)),
        ("skill_recognition", w(yes(b, "skill_recognition_interest"), 2.0, 0.2)),
        ("wage_arrears_mediation", w(st.arrears, 3.0, 0.02)),
    ];
    let k = int(rng, 1, 3) as usize;
    let picked = random::pick_some(rng, &options, k);
    b.maybe(rng, 0.85, "support_wanted", codes(&picked));
    let list = if ctx.lang == Lang::Zh {
        names::COMMENTS_ZH
    } else {
        names::COMMENTS_EN
    };
    let comment = list[int(rng, 0, list.len() as i64 - 1) as usize];
    b.maybe(rng, 0.2, "comments", text(comment));
}
