//! The checked definition: what every later stage reads.
//!
//! A question's kind carries its own data ([`QuestionKind`]): the bounds and unit of a
//! number, the options of a choice, the columns of a table. Code that handles answers
//! matches on it exhaustively, so a new kind fails to compile wherever it must be handled.

use crate::expr::{Expr, ValueType};
use crate::model::{
    AnalysisSpec, ChoiceList, ChoiceOption, DesignSpec, Label, Service, Severity, SizeClass, SurveyMeta, Unit,
};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Bounds and unit of a number answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberSpec {
    /// Smallest allowed value.
    pub min: Option<f64>,
    /// Largest allowed value.
    pub max: Option<f64>,
    /// What the number counts.
    pub unit: Option<Unit>,
}

/// The options a choice question draws its codes from.
#[derive(Debug, Clone)]
pub struct Choices {
    /// Id of the choice list in the definition (`[choices.<id>]`).
    pub list: String,
    /// The options, in display order.
    pub options: Vec<ChoiceOption>,
}

impl Choices {
    /// Whether `code` is one of the options.
    pub fn contains(&self, code: &str) -> bool {
        self.options.iter().any(|o| o.code == code)
    }
}

/// A repeating table: one row per item, with its own columns.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// The columns, checked and compiled, in order.
    pub columns: Vec<Question>,
    /// Most rows a return may have.
    pub max_rows: Option<u32>,
}

/// What kind of answer a question takes, with the data that kind needs.
#[derive(Debug, Clone)]
pub enum QuestionKind {
    /// A whole number.
    Integer(NumberSpec),
    /// A number with a fractional part.
    Decimal(NumberSpec),
    /// Free text, at most `max_length` characters.
    Text {
        /// Longest allowed text, in characters.
        max_length: Option<u32>,
    },
    /// Yes or no.
    Boolean,
    /// A calendar date.
    Date,
    /// One code from a choice list.
    SingleChoice(Choices),
    /// Any number of codes from a choice list.
    MultipleChoice(Choices),
    /// Unified social credit code (GB 32100-2015), check character verified.
    EnterpriseId,
    /// GB/T 4754-2017 division (two digits) or section (one letter).
    IndustryCode,
    /// GB/T 6565 occupation code, e.g. `2-02-10-03`.
    OccupationCode,
    /// One of the district's sub-districts (the list `survey.subdistricts` names).
    Subdistrict(Choices),
    /// A repeating table.
    Table(TableSpec),
}

impl QuestionKind {
    /// The type name as written in a definition (`type = "..."`).
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::Integer(_) => "integer",
            QuestionKind::Decimal(_) => "decimal",
            QuestionKind::Text { .. } => "text",
            QuestionKind::Boolean => "boolean",
            QuestionKind::Date => "date",
            QuestionKind::SingleChoice(_) => "single_choice",
            QuestionKind::MultipleChoice(_) => "multiple_choice",
            QuestionKind::EnterpriseId => "enterprise_id",
            QuestionKind::IndustryCode => "industry_code",
            QuestionKind::OccupationCode => "occupation_code",
            QuestionKind::Subdistrict(_) => "subdistrict",
            QuestionKind::Table(_) => "table",
        }
    }

    /// Bounds and unit, for a number question.
    pub fn number(&self) -> Option<&NumberSpec> {
        match self {
            QuestionKind::Integer(n) | QuestionKind::Decimal(n) => Some(n),
            QuestionKind::Text { .. }
            | QuestionKind::Boolean
            | QuestionKind::Date
            | QuestionKind::SingleChoice(_)
            | QuestionKind::MultipleChoice(_)
            | QuestionKind::EnterpriseId
            | QuestionKind::IndustryCode
            | QuestionKind::OccupationCode
            | QuestionKind::Subdistrict(_)
            | QuestionKind::Table(_) => None,
        }
    }

    /// Whether the answer is a number (integer or decimal).
    pub fn is_numeric(&self) -> bool {
        self.number().is_some()
    }

    /// The options, for a question answered by codes from a list.
    pub fn choices(&self) -> Option<&Choices> {
        match self {
            QuestionKind::SingleChoice(c) | QuestionKind::MultipleChoice(c) | QuestionKind::Subdistrict(c) => Some(c),
            QuestionKind::Integer(_)
            | QuestionKind::Decimal(_)
            | QuestionKind::Text { .. }
            | QuestionKind::Boolean
            | QuestionKind::Date
            | QuestionKind::EnterpriseId
            | QuestionKind::IndustryCode
            | QuestionKind::OccupationCode
            | QuestionKind::Table(_) => None,
        }
    }

    /// The table, for a repeating table.
    pub fn table(&self) -> Option<&TableSpec> {
        match self {
            QuestionKind::Table(t) => Some(t),
            QuestionKind::Integer(_)
            | QuestionKind::Decimal(_)
            | QuestionKind::Text { .. }
            | QuestionKind::Boolean
            | QuestionKind::Date
            | QuestionKind::SingleChoice(_)
            | QuestionKind::MultipleChoice(_)
            | QuestionKind::EnterpriseId
            | QuestionKind::IndustryCode
            | QuestionKind::OccupationCode
            | QuestionKind::Subdistrict(_) => None,
        }
    }

    /// The type expressions see for an answer of this kind; `None` for a table, which is
    /// no single value.
    pub fn value_type(&self) -> Option<ValueType> {
        Some(match self {
            QuestionKind::Integer(_) | QuestionKind::Decimal(_) => ValueType::Number,
            QuestionKind::Text { .. } | QuestionKind::EnterpriseId | QuestionKind::OccupationCode => ValueType::Text,
            QuestionKind::Boolean => ValueType::Bool,
            QuestionKind::Date => ValueType::Date,
            QuestionKind::IndustryCode => ValueType::Industry,
            QuestionKind::SingleChoice(c) | QuestionKind::Subdistrict(c) => ValueType::Code(c.list.clone()),
            QuestionKind::MultipleChoice(c) => ValueType::Codes(c.list.clone()),
            QuestionKind::Table(_) => return None,
        })
    }
}

/// A checked question (or table column) with its compiled expressions.
#[derive(Debug, Clone)]
pub struct Question {
    /// Stable id, unique in the definition; expressions and datasets use it.
    pub id: String,
    /// Id of the section it belongs to.
    pub section: String,
    /// The question as asked.
    pub label: Label,
    /// Help text shown beside the answer cell.
    pub help: Option<Label>,
    /// Whether an answer is needed when the question is asked.
    pub required: bool,
    /// The kind of answer, with its bounds, options or columns.
    pub kind: QuestionKind,
    /// Skip logic: asked only when this is true.
    pub relevant: Option<Expr>,
    /// Cross-field check an answer must pass.
    pub constraint: Option<Expr>,
    /// The check as written, quoted to the respondent when it fails without a message.
    pub constraint_text: Option<String>,
    /// What the respondent is told when `constraint` fails.
    pub constraint_message: Option<Label>,
    /// A derived value: computed, not asked.
    pub calculate: Option<Expr>,
}

impl Question {
    /// The question id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The type expressions see for its answer; `None` for a repeating table.
    pub fn value_type(&self) -> Option<ValueType> {
        self.kind.value_type()
    }

    /// Whether respondents answer it (a `calculate` is derived, not asked).
    pub fn is_asked(&self) -> bool {
        self.calculate.is_none()
    }

    /// The columns of a repeating table (none for any other question).
    pub fn columns(&self) -> &[Question] {
        self.kind.table().map_or(&[], |t| t.columns.as_slice())
    }

    /// A column of this table by id.
    pub fn column(&self, id: &str) -> Option<&Question> {
        self.columns().iter().find(|c| c.id == id)
    }

    /// Unit of a number answer.
    pub fn unit(&self) -> Option<Unit> {
        self.kind.number().and_then(|n| n.unit)
    }
}

/// A section of the questionnaire.
#[derive(Debug, Clone)]
pub struct Section {
    /// Stable id.
    pub id: String,
    /// Heading.
    pub title: Label,
}

/// A checked risk rule.
#[derive(Debug, Clone)]
pub struct RiskRule {
    /// Stable id.
    pub id: String,
    /// Short name.
    pub label: Label,
    /// Severity when the rule trips.
    pub severity: Severity,
    /// Compiled condition; the rule trips when it is true.
    pub when: Expr,
    /// The condition as written, quoted in the method notes.
    pub when_text: String,
    /// Why this matters, shown beside each flagged enterprise.
    pub reason: Label,
    /// Questions whose values are shown as evidence beside a flag.
    pub evidence: Vec<String>,
    /// The legal or policy basis of the threshold.
    pub basis: Option<Label>,
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Stable id.
    pub id: String,
    /// Name of the policy.
    pub name: Label,
    /// Service (by id) the policy belongs to.
    pub service: Option<String>,
    /// Boolean question: the enterprise knows the policy.
    pub aware: String,
    /// Boolean question: the enterprise applied.
    pub applied: String,
    /// Boolean question: the enterprise received the support.
    pub received: String,
    /// Choice question: where the enterprise learned of it.
    pub channel: Option<String>,
    /// Compiled need condition: an enterprise that needs what the policy offers.
    pub need: Option<Expr>,
    /// The need condition as written, quoted in the method notes.
    pub need_text: Option<String>,
}

/// A definition that passed every check.
///
/// ```no_run
/// let def = survey_def::load(std::path::Path::new("survey-defs/spring-2024.toml")).unwrap();
/// assert_eq!(def.survey().id, "yangpu-spring-2024");
/// for q in def.questions() {
///     println!("{} {} {}", q.id, q.kind.name(), q.label.en);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Definition {
    /// The file it was loaded from.
    pub source: PathBuf,
    /// SHA-256 of the answer contract (see [`crate::contract`]), hex: what decides how a
    /// return is read (ids, kinds, codes, the template layout), not labels, ranges or rules.
    pub fingerprint: String,
    /// The fingerprint releases before the answer contract printed on templates: SHA-256
    /// of the questionnaire's JSON as serde laid it out (survey metadata, parameters,
    /// choice lists, sections). Templates already sent out carry it; a return with it is
    /// read as made from this definition when the questionnaire is otherwise unchanged.
    pub legacy_fingerprint: String,
    pub(crate) survey: SurveyMeta,
    pub(crate) parameters: BTreeMap<String, f64>,
    pub(crate) choices: BTreeMap<String, ChoiceList>,
    pub(crate) design: Option<DesignSpec>,
    pub(crate) services: Vec<Service>,
    pub(crate) sections: Vec<Section>,
    pub(crate) questions: Vec<Question>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) risk_rules: Vec<RiskRule>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) analysis: Option<AnalysisSpec>,
    /// Earlier versions whose returns it reads, loaded with their definitions.
    pub(crate) earlier: Vec<crate::versions::EarlierVersion>,
}

impl Definition {
    /// Identity, title and period of the survey.
    pub fn survey(&self) -> &SurveyMeta {
        &self.survey
    }

    /// Sections in questionnaire order; each question names its section.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Top-level questions (and tables) in questionnaire order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// A top-level question or table by id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.index.get(id).map(|&i| &self.questions[i])
    }

    /// The repeating tables.
    pub fn tables(&self) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(|q| q.kind.table().is_some())
    }

    /// Risk rules in declaration order.
    pub fn risk_rules(&self) -> &[RiskRule] {
        &self.risk_rules
    }

    /// Policies in declaration order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Services in declaration order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// A choice list by id.
    pub fn choice_list(&self, id: &str) -> Option<&ChoiceList> {
        self.choices.get(id)
    }

    /// How enterprises are put into strata, when the definition declares it.
    pub fn design(&self) -> Option<&DesignSpec> {
        self.design.as_ref()
    }

    /// The size class of an enterprise with `employees` employees.
    pub fn size_class(&self, employees: u64) -> Option<&SizeClass> {
        self.design
            .as_ref()?
            .size_classes
            .iter()
            .find(|c| employees >= c.min && c.max.is_none_or(|m| employees <= m))
    }

    /// The measures the reports estimate, when the definition declares them.
    pub fn analysis(&self) -> Option<&AnalysisSpec> {
        self.analysis.as_ref()
    }

    /// A parameter's value.
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.parameters.get(name).copied()
    }

    /// The earlier versions whose returns this definition reads
    /// (`[[survey.earlier_versions]]`), each loaded with its definition and mapping.
    pub fn earlier_versions(&self) -> &[crate::versions::EarlierVersion] {
        &self.earlier
    }

    /// The earlier version `version`, when this definition reads it.
    pub fn earlier_version(&self, version: &str) -> Option<&crate::versions::EarlierVersion> {
        self.earlier.iter().find(|e| e.version == version.trim())
    }

    /// The short fingerprint printed in templates and reports (first 16 hex digits).
    pub fn short_fingerprint(&self) -> &str {
        &self.fingerprint[..16]
    }
}
