//! Plain values of a definition, the same written and checked: labels, units, choice
//! lists, size classes, services, the survey's identity and the `[analysis]` roles.
//!
//! They are deserialised from the TOML as they are and read by every crate. Tables whose
//! checked form differs from what is written (questions, risk rules, policies) have their
//! written form in the private `written` module and their checked form in
//! [`crate::Definition`]. Unknown keys are not rejected by serde (`deny_unknown_fields`
//! would stop at the first one); the loader collects them all with `serde_ignored` and
//! reports each with its line and column.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A text shown to a respondent or reader, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// The report or questionnaire language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl Label {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}` (expected zh or en)")),
        }
    }
}

/// Identity, title and period of a survey.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SurveyMeta {
    /// Stable id, e.g. `yangpu-spring-2024`. Returns carry it.
    pub id: String,
    /// Version of this definition, e.g. `1.0.0`. Returns carry it.
    pub version: String,
    /// Title of the questionnaire.
    pub title: Label,
    /// Who runs the survey.
    pub organisation: Option<Label>,
    /// First day of the survey period, `YYYY-MM-DD`.
    pub period_start: String,
    /// Last day of the survey period, `YYYY-MM-DD`.
    pub period_end: String,
    /// Languages every label must carry (`zh`, `en`).
    pub languages: Vec<Lang>,
    /// Instructions printed on the cover of the blank questionnaire.
    pub instructions: Option<Label>,
    /// The question holding the enterprise id; duplicate returns are matched on it.
    pub enterprise_question: String,
    /// The question holding the submission time, when the form records one.
    pub submitted_at_question: Option<String>,
    /// The question holding the enterprise's name, shown beside its id wherever a list
    /// for officials names an enterprise (rejected returns, risk flags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_name_question: Option<String>,
    /// The choice list that the `subdistrict` question type draws its codes from.
    pub subdistricts: Option<String>,
    /// Earlier versions of this questionnaire whose returns are read too
    /// (`[[survey.earlier_versions]]`), each with its own definition and how its answers
    /// map onto this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_versions: Vec<EarlierVersionSpec>,
}

/// An earlier version of the questionnaire, as written:
///
/// ```toml
/// [[survey.earlier_versions]]
/// version = "1.0.0"
/// definition = "spring-2024-1.0.0.toml"        # relative to this file
/// rename = { employees_before_festival = "employees_before" }
/// recode.operating_status = { partly = "partly_stopped" }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EarlierVersionSpec {
    /// The version its returns carry.
    pub version: String,
    /// Its definition file, relative to the file that lists it.
    pub definition: String,
    /// Questions (or `table.column`s) renamed since: id in that version -> id in this one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rename: BTreeMap<String, String>,
    /// Option codes changed since, per question (its id in that version): old code ->
    /// current code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recode: BTreeMap<String, BTreeMap<String, String>>,
}

/// A list of codes with labels, shared by any number of questions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChoiceList {
    /// The options, in display order.
    pub options: Vec<ChoiceOption>,
}

/// One option of a choice list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// The code stored in the dataset.
    pub code: String,
    /// What the respondent sees.
    pub label: Label,
    /// The service (by id) this option belongs to, for lists of support requests.
    pub service: Option<String>,
}

/// Stratification of the population for estimation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignSpec {
    /// Question holding the industry (GB/T 4754) code; strata use its section.
    pub industry_question: String,
    /// Question holding the number of employees that decides the size class.
    pub size_question: String,
    /// Question holding the sub-district.
    pub subdistrict_question: Option<String>,
    /// Size classes by number of employees, smallest first.
    pub size_classes: Vec<SizeClass>,
}

/// A band of employee counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizeClass {
    /// Code, e.g. `micro`.
    pub code: String,
    /// Name shown in reports.
    pub label: Label,
    /// Smallest headcount in the class.
    pub min: u64,
    /// Largest headcount in the class; none for the open top class.
    pub max: Option<u64>,
}

/// A service that policies and support requests are grouped under.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    /// Id, e.g. `I`.
    pub id: String,
    /// Name shown in reports.
    pub label: Label,
}

/// Units of a numeric answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Persons (headcount).
    Persons,
    /// Yuan (RMB).
    Yuan,
    /// Yuan per month (wages).
    YuanPerMonth,
    /// Ten thousand yuan.
    TenThousandYuan,
    /// Months.
    Months,
    /// Days.
    Days,
    /// Percent.
    Percent,
}

impl Unit {
    /// Name of the unit in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Unit::Persons, Lang::Zh) => "人",
            (Unit::Persons, Lang::En) => "persons",
            (Unit::Yuan, Lang::Zh) => "元",
            (Unit::Yuan, Lang::En) => "yuan",
            (Unit::YuanPerMonth, Lang::Zh) => "元/月",
            (Unit::YuanPerMonth, Lang::En) => "yuan/month",
            (Unit::TenThousandYuan, Lang::Zh) => "万元",
            (Unit::TenThousandYuan, Lang::En) => "10,000 yuan",
            (Unit::Months, Lang::Zh) => "月",
            (Unit::Months, Lang::En) => "months",
            (Unit::Days, Lang::Zh) => "天",
            (Unit::Days, Lang::En) => "days",
            (Unit::Percent, Lang::Zh) => "%",
            (Unit::Percent, Lang::En) => "%",
        }
    }
}

/// Severity of a risk rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Severity {
    /// Name of the severity in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::High, Lang::Zh) => "高",
            (Severity::Medium, Lang::Zh) => "中",
            (Severity::Low, Lang::Zh) => "低",
            (Severity::High, Lang::En) => "high",
            (Severity::Medium, Lang::En) => "medium",
            (Severity::Low, Lang::En) => "low",
        }
    }
}

/// The measures the reports estimate, declared by naming the questions that hold them, so
/// the analysis reads roles and never hard-wires question ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisSpec {
    /// Number question: employees now (E, occupied posts; job vacancy rate V/(E+V)).
    pub employees: String,
    /// Number question: employees at the earlier reference date (employment change).
    pub employees_before: Option<String>,
    /// Number question: hires planned for the coming months.
    pub planned_hires: Option<String>,
    /// Number question: reductions planned for the coming months.
    pub planned_reductions: Option<String>,
    /// Number question: workers back after the festival.
    pub returned: Option<String>,
    /// Number question: workers expected back after the festival.
    pub expected_to_return: Option<String>,
    /// Multiple-choice question whose options map to services: support wanted.
    pub support: Option<String>,
    /// The repeating table of vacancies and its columns; without it the reports publish no
    /// vacancy figure (risk flags and policy reach need none).
    pub vacancies: Option<VacancyColumns>,
    /// Further number questions published as weighted totals (persons).
    #[serde(default)]
    pub totals: Vec<String>,
    /// Yes/no questions published as the share of enterprises answering yes.
    #[serde(default)]
    pub shares: Vec<String>,
    /// Choice questions published as the share of enterprises choosing each option.
    #[serde(default)]
    pub distributions: Vec<String>,
    /// Disclosure control of published tables; DOMAIN.md defaults when absent.
    pub disclosure: Option<DisclosureSpec>,
    /// Imputation of missing answers to number questions; DOMAIN.md defaults when absent.
    pub imputation: Option<ImputationSpec>,
    /// The wave-over-wave outlier screen (Hidiroglou-Berthelot); DOMAIN.md defaults when
    /// absent.
    pub outliers: Option<OutlierSpec>,
}

/// The vacancy table: one line per occupation an enterprise recruits for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VacancyColumns {
    /// Id of the repeating table.
    pub table: String,
    /// Occupation-code column (GB/T 6565).
    pub occupation: String,
    /// Number column: posts open and actively recruited (V).
    pub openings: String,
    /// Number column: of which hard to fill.
    pub hard_to_fill: Option<String>,
    /// Number column: of which hard to fill for lack of skills.
    pub skill_shortage: Option<String>,
    /// Number column: monthly wage offered, yuan.
    pub wage: Option<String>,
}

impl AnalysisSpec {
    /// The roles that name one question each, with the question the definition maps,
    /// in the order of the `[analysis]` table: the words two definitions share, whatever
    /// their question ids.
    pub fn question_roles(&self) -> Vec<(&'static str, &str)> {
        [
            ("employees", Some(&self.employees)),
            ("employees_before", self.employees_before.as_ref()),
            ("planned_hires", self.planned_hires.as_ref()),
            ("planned_reductions", self.planned_reductions.as_ref()),
            ("returned", self.returned.as_ref()),
            ("expected_to_return", self.expected_to_return.as_ref()),
            ("support", self.support.as_ref()),
        ]
        .into_iter()
        .filter_map(|(role, q)| q.map(|q| (role, q.as_str())))
        .collect()
    }
}

impl VacancyColumns {
    /// The roles of the vacancy table's columns, with the column the definition maps.
    pub fn column_roles(&self) -> Vec<(&'static str, &str)> {
        [
            ("occupation", Some(&self.occupation)),
            ("openings", Some(&self.openings)),
            ("hard_to_fill", self.hard_to_fill.as_ref()),
            ("skill_shortage", self.skill_shortage.as_ref()),
            ("wage", self.wage.as_ref()),
        ]
        .into_iter()
        .filter_map(|(role, c)| c.map(|c| (role, c.as_str())))
        .collect()
    }
}

impl DesignSpec {
    /// The `[design]` roles that name a question, with the question.
    pub fn question_roles(&self) -> Vec<(&'static str, &str)> {
        [
            ("industry_question", Some(&self.industry_question)),
            ("size_question", Some(&self.size_question)),
            ("subdistrict_question", self.subdistrict_question.as_ref()),
        ]
        .into_iter()
        .filter_map(|(role, q)| q.map(|q| (role, q.as_str())))
        .collect()
    }
}

/// Parameters of the primary suppression rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DisclosureSpec {
    /// Fewest enterprises a published cell may rest on.
    pub min_enterprises: Option<u32>,
    /// n of the (n, k) dominance rule.
    pub dominance_n: Option<u32>,
    /// k of the (n, k) dominance rule, a share in (0, 1].
    pub dominance_k: Option<f64>,
    /// Protection level: the interval an attacker can derive for a suppressed cell from
    /// everything published must be at least this share of the cell's value wide.
    pub protection: Option<f64>,
}

/// How missing answers to number questions are imputed before any table is built.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImputationSpec {
    /// Number question used as the auxiliary of ratio imputation (default: the
    /// `employees` role).
    pub auxiliary: Option<String>,
    /// Fewest donors an imputation class must have before the next wider class is used.
    pub min_donors: Option<u32>,
}

/// Parameters of the Hidiroglou-Berthelot wave-over-wave outlier screen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutlierSpec {
    /// Size exponent U, in [0, 1].
    pub u: Option<f64>,
    /// Spread floor A, at least 0.
    pub a: Option<f64>,
    /// Band width C, greater than 0.
    pub c: Option<f64>,
    /// Fewest changed enterprises the screen runs on.
    pub min_changed: Option<u32>,
    /// A headcount change below this share of the previous headcount is never flagged.
    pub headcount_floor_share: Option<f64>,
    /// A headcount change below this many persons is never flagged.
    pub headcount_floor_persons: Option<f64>,
    /// A change in vacancies below this many posts is never flagged.
    pub vacancies_floor_posts: Option<f64>,
}
