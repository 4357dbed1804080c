//! What two definitions share: each question (and vacancy-table column) of this wave's
//! definition with the previous wave's question holding the same thing.
//!
//! The roles are the common language. A question this definition names in a role
//! (`survey.enterprise_question`, an `[analysis]` role, a `[design]` question, a column
//! role of the vacancy table) is read from the question the previous definition names in
//! the same role. Any other question is read from the previous definition's question of
//! the same id, as are the list roles (`totals`, `shares`, `distributions`). Either way
//! both must hold the same kind of answer (a number, yes/no, text, a date, an industry
//! code, a code or codes of a choice list); what matches nothing is missing in the
//! previous wave.

use crate::dataset::Names;
use std::collections::{BTreeMap, BTreeSet};
use survey_def::expr::ValueType;
use survey_def::{Definition, Question};

/// This wave's questions and vacancy columns, each with the previous wave's that holds
/// the same thing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaveMatch {
    /// Question id now -> question id in the previous wave.
    questions: BTreeMap<String, String>,
    /// `table.column` now -> `table.column` in the previous wave.
    columns: BTreeMap<(String, String), (String, String)>,
    /// The roles this definition maps and the previous one does not, as written in the
    /// `[analysis]` table (`employees_before`, `vacancies.skill_shortage`,
    /// `totals: remote_workers`): what is not compared.
    pub roles_missing: Vec<String>,
    /// True when both waves were read with one definition (or two with the same answer
    /// contract and roles): every name reads itself.
    pub same_definition: bool,
}

/// Whether two answers are of the same kind. Choice lists may differ in name: a role or
/// an id says the question is the same, and codes compare as text.
fn same_kind(now: &Question, before: &Question) -> bool {
    match (now.value_type(), before.value_type()) {
        (Some(ValueType::Code(_)), Some(ValueType::Code(_))) => true,
        (Some(ValueType::Codes(_)), Some(ValueType::Codes(_))) => true,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

impl WaveMatch {
    /// How `current` reads a wave written with `previous`.
    pub fn between(current: &Definition, previous: &Definition) -> WaveMatch {
        let mut m = WaveMatch {
            same_definition: current.fingerprint == previous.fingerprint && current.source == previous.source,
            ..WaveMatch::default()
        };
        // Previous questions a role has claimed: not read again by a question of the same
        // id that holds something else.
        let mut claimed: BTreeSet<String> = BTreeSet::new();
        let pair = |m: &mut WaveMatch, now: &str, before: &str, claimed: &mut BTreeSet<String>| {
            if m.questions.contains_key(now) {
                return;
            }
            let (Some(q_now), Some(q_before)) = (current.question(now), previous.question(before)) else {
                return;
            };
            if q_now.kind.table().is_none() && same_kind(q_now, q_before) {
                m.questions.insert(now.to_owned(), before.to_owned());
                claimed.insert(before.to_owned());
            }
        };
        let (s_now, s_before) = (current.survey(), previous.survey());
        pair(
            &mut m,
            &s_now.enterprise_question,
            &s_before.enterprise_question,
            &mut claimed,
        );
        for (now, before) in [
            (&s_now.enterprise_name_question, &s_before.enterprise_name_question),
            (&s_now.submitted_at_question, &s_before.submitted_at_question),
        ] {
            if let (Some(now), Some(before)) = (now, before) {
                pair(&mut m, now, before, &mut claimed);
            }
        }
        let (a_now, a_before) = (current.analysis(), previous.analysis());
        if let Some(a_now) = a_now {
            let roles_before: BTreeMap<&str, &str> = a_before
                .map(|a| a.question_roles().into_iter().collect())
                .unwrap_or_default();
            for (role, now) in a_now.question_roles() {
                match roles_before.get(role) {
                    Some(before) => pair(&mut m, now, before, &mut claimed),
                    None => m.roles_missing.push(role.to_owned()),
                }
            }
        }
        if let (Some(d_now), Some(d_before)) = (current.design(), previous.design()) {
            let roles_before: BTreeMap<&str, &str> = d_before.question_roles().into_iter().collect();
            for (role, now) in d_now.question_roles() {
                if let Some(before) = roles_before.get(role) {
                    pair(&mut m, now, before, &mut claimed);
                }
            }
        }
        // The vacancy table: its columns by role, the others by id.
        let v_now = a_now.and_then(|a| a.vacancies.as_ref());
        let v_before = a_before.and_then(|a| a.vacancies.as_ref());
        let mut tables_paired: BTreeSet<String> = BTreeSet::new();
        if let Some(v_now) = v_now {
            match v_before {
                Some(v_before) => {
                    let roles_before: BTreeMap<&str, &str> = v_before.column_roles().into_iter().collect();
                    for (role, now) in v_now.column_roles() {
                        match roles_before.get(role) {
                            Some(before) => {
                                m.pair_column(current, previous, (&v_now.table, now), (&v_before.table, before))
                            }
                            None => m.roles_missing.push(format!("vacancies.{role}")),
                        }
                    }
                    m.pair_columns_by_id(current, previous, &v_now.table, &v_before.table);
                    tables_paired.insert(v_now.table.clone());
                }
                None => m.roles_missing.push("vacancies".to_owned()),
            }
        }
        // The list roles, and every other question, by id.
        if let Some(a_now) = a_now {
            let lists_before = |pick: fn(&survey_def::AnalysisSpec) -> &Vec<String>| -> BTreeSet<&str> {
                a_before
                    .map(|a| pick(a).iter().map(String::as_str).collect())
                    .unwrap_or_default()
            };
            for (list, pick) in [
                (
                    "totals",
                    (|a| &a.totals) as fn(&survey_def::AnalysisSpec) -> &Vec<String>,
                ),
                ("shares", |a| &a.shares),
                ("distributions", |a| &a.distributions),
            ] {
                let before = lists_before(pick);
                for q in pick(a_now) {
                    if !before.contains(q.as_str()) {
                        m.roles_missing.push(format!("{list}: {q}"));
                    }
                }
            }
        }
        for q in current.questions() {
            if m.questions.contains_key(&q.id) || claimed.contains(&q.id) {
                continue;
            }
            if q.kind.table().is_some() {
                if !tables_paired.contains(&q.id) && previous.question(&q.id).is_some_and(|t| t.kind.table().is_some())
                {
                    m.pair_columns_by_id(current, previous, &q.id, &q.id);
                }
                continue;
            }
            pair(&mut m, &q.id, &q.id, &mut claimed);
        }
        m
    }

    /// Pairs column `now` of this wave's table with `before` of the previous wave's, when
    /// both exist and hold the same kind of answer.
    fn pair_column(&mut self, current: &Definition, previous: &Definition, now: (&str, &str), before: (&str, &str)) {
        let key = (now.0.to_owned(), now.1.to_owned());
        if self.columns.contains_key(&key) {
            return;
        }
        let c_now = current.question(now.0).and_then(|t| t.column(now.1));
        let c_before = previous.question(before.0).and_then(|t| t.column(before.1));
        if let (Some(c_now), Some(c_before)) = (c_now, c_before)
            && same_kind(c_now, c_before)
        {
            self.columns.insert(key, (before.0.to_owned(), before.1.to_owned()));
        }
    }

    /// Pairs each column of table `now` not yet paired with the column of the same id of
    /// table `before`.
    fn pair_columns_by_id(&mut self, current: &Definition, previous: &Definition, now: &str, before: &str) {
        let ids: Vec<String> = current
            .question(now)
            .map(|t| t.columns().iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default();
        let taken: BTreeSet<String> = self
            .columns
            .iter()
            .filter(|((t, _), _)| t == now)
            .map(|(_, (_, c))| c.clone())
            .collect();
        for id in ids {
            if !taken.contains(&id) {
                self.pair_column(current, previous, (now, &id), (before, &id));
            }
        }
    }

    /// The previous wave's question holding what question `id` holds now.
    pub fn question(&self, id: &str) -> Option<&str> {
        self.questions.get(id).map(String::as_str)
    }

    /// The previous wave's table and column holding what `table.column` holds now.
    pub fn column(&self, table: &str, column: &str) -> Option<(&str, &str)> {
        self.columns
            .get(&(table.to_owned(), column.to_owned()))
            .map(|(t, c)| (t.as_str(), c.as_str()))
    }
}

impl Names for WaveMatch {
    fn question(&self, id: &str) -> Option<&str> {
        WaveMatch::question(self, id)
    }

    fn column(&self, table: &str, column: &str) -> Option<(&str, &str)> {
        WaveMatch::column(self, table, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn load(path: &str) -> Definition {
        survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).unwrap()
    }

    fn spring() -> Definition {
        load("survey-defs/spring-2024.toml")
    }

    fn autumn() -> Definition {
        load("tests/season/autumn-2024.toml")
    }

    #[test]
    fn the_autumn_follow_up_reads_spring_through_the_roles() {
        let (now, before) = (autumn(), spring());
        let m = WaveMatch::between(&now, &before);
        assert!(!m.same_definition);
        for (q, then) in [
            // survey.enterprise_question, enterprise_name_question, submitted_at_question
            ("credit_code", Some("uscc")),
            ("enterprise_name", Some("name")),
            ("filled_on", Some("submitted_on")),
            // [analysis] roles
            ("headcount", Some("employees_now")),
            ("hires_next_quarter", Some("planned_hires")),
            ("cuts_next_quarter", Some("planned_reductions")),
            // [design] roles
            ("sector_code", Some("industry")),
            ("district", Some("subdistrict")),
            // Same id, same kind of answer.
            ("migrant_workers", Some("migrant_workers")),
            ("operating_status", Some("operating_status")),
            ("financial_difficulty", Some("financial_difficulty")),
            // New this autumn.
            ("remote_workers", None),
            // A table is read through its columns.
            ("posts_open", None),
        ] {
            assert_eq!(m.question(q), then, "{q}");
        }
        for (column, then) in [
            ("job_code", Some(("vacancies", "occupation"))),
            ("open_posts", Some(("vacancies", "openings"))),
            ("hard_to_fill", Some(("vacancies", "hard_to_fill"))),
            ("monthly_wage", Some(("vacancies", "wage_offered"))),
        ] {
            assert_eq!(m.column("posts_open", column), then, "{column}");
        }
        assert_eq!(m.roles_missing, ["totals: remote_workers"]);
    }

    #[test]
    fn spring_reads_the_autumn_follow_up_and_names_what_it_lacks() {
        let (now, before) = (spring(), autumn());
        let m = WaveMatch::between(&now, &before);
        assert_eq!(m.question("employees_now"), Some("headcount"));
        assert_eq!(m.question("uscc"), Some("credit_code"));
        // Spring's own questions autumn has no counterpart for.
        assert_eq!(m.question("employees_before_festival"), None);
        assert_eq!(m.question("staying_over_festival"), None);
        assert_eq!(m.column("vacancies", "skill_shortage"), None);
        assert_eq!(m.column("vacancies", "occupation_name"), None);
        assert_eq!(
            m.roles_missing,
            [
                "employees_before",
                "returned",
                "expected_to_return",
                "support",
                "vacancies.skill_shortage",
                "totals: staying_over_festival",
                "totals: interns_wanted",
                "totals: labor_cooperation_workers",
                "totals: odd_job_workers",
                "totals: training_workers",
                "shares: interest_labor_cooperation",
                "shares: odd_job_demand",
                "shares: job_fair_interest",
                "shares: order_training_interest",
                "shares: skill_recognition_interest",
                "distributions: training_needs",
                "distributions: recruitment_difficulties",
                "distributions: hire_channels",
                "distributions: reduction_reasons",
            ]
        );
    }

    #[test]
    fn one_definition_reads_itself() {
        let def = spring();
        let m = WaveMatch::between(&def, &def);
        assert!(m.same_definition);
        assert!(m.roles_missing.is_empty());
        for q in def.questions() {
            match q.kind.table() {
                None => assert_eq!(m.question(&q.id), Some(q.id.as_str()), "{}", q.id),
                Some(t) => {
                    for c in &t.columns {
                        assert_eq!(m.column(&q.id, &c.id), Some((q.id.as_str(), c.id.as_str())));
                    }
                }
            }
        }
    }
}
