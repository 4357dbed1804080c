//! The definition as written: the TOML tables whose checked form differs from what is
//! written (a question's type and its data, expressions as text). Only the loader and the
//! checker see these; every other crate reads the checked [`crate::Definition`].
//!
//! Fields are `pub(crate)` through their structs; the plain value types they hold
//! (labels, units, choice lists, analysis roles) are the public ones of [`crate::model`].

use crate::model::{AnalysisSpec, ChoiceList, DesignSpec, Label, Service, Severity, SurveyMeta, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole definition file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DefinitionFile {
    /// Identity and period of the survey.
    pub(crate) survey: SurveyMeta,
    /// Named numeric parameters that expressions read as `$name` (risk thresholds...).
    #[serde(default)]
    pub(crate) parameters: BTreeMap<String, f64>,
    /// Reusable choice lists, by id.
    #[serde(default)]
    pub(crate) choices: BTreeMap<String, ChoiceList>,
    /// How enterprises are put into strata for estimation.
    pub(crate) design: Option<DesignSpec>,
    /// The eight special services (or any other grouping) that policies and support
    /// requests are mapped to.
    #[serde(default)]
    pub(crate) services: Vec<Service>,
    /// The questionnaire, section by section.
    pub(crate) sections: Vec<Section>,
    /// Risk rules evaluated on every accepted return.
    #[serde(default)]
    pub(crate) risk_rules: Vec<RiskRuleSpec>,
    /// Policies whose reach is measured.
    #[serde(default)]
    pub(crate) policies: Vec<PolicySpec>,
    /// Which questions hold the figures the reports estimate.
    pub(crate) analysis: Option<AnalysisSpec>,
}

/// A section of the questionnaire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Section {
    /// Stable id.
    pub(crate) id: String,
    /// Heading.
    pub(crate) title: Label,
    /// The section's questions, in order.
    pub(crate) questions: Vec<QuestionSpec>,
}

/// Answer types a question can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QuestionType {
    /// A whole number.
    Integer,
    /// A number with a fractional part.
    Decimal,
    /// Free text.
    Text,
    /// Yes or no.
    Boolean,
    /// A calendar date.
    Date,
    /// One code from a choice list.
    SingleChoice,
    /// Any number of codes from a choice list.
    MultipleChoice,
    /// Unified social credit code (GB 32100-2015), check digit verified.
    EnterpriseId,
    /// GB/T 4754-2017 division (two digits) or section (one letter).
    IndustryCode,
    /// GB/T 6565 occupation code, e.g. `2-02-10-03`.
    OccupationCode,
    /// One of the district's sub-districts (the list `survey.subdistricts` names).
    Subdistrict,
    /// A repeating table: one row per item, with its own columns.
    Table,
}

/// One question (or one column of a repeating table).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct QuestionSpec {
    /// Stable id, unique in the definition; expressions and datasets use it.
    pub(crate) id: String,
    /// Answer type.
    #[serde(rename = "type")]
    pub(crate) kind: QuestionType,
    /// The question as asked.
    pub(crate) label: Label,
    /// Help text shown beside the answer cell.
    pub(crate) help: Option<Label>,
    /// Unit of a numeric answer.
    pub(crate) unit: Option<Unit>,
    /// Whether an answer is needed (when the question is relevant).
    #[serde(default)]
    pub(crate) required: bool,
    /// Smallest allowed value (integer and decimal questions; bound dates with a
    /// `constraint` such as `d >= date('2024-02-01')`).
    pub(crate) min: Option<f64>,
    /// Largest allowed value.
    pub(crate) max: Option<f64>,
    /// Longest allowed text, in characters.
    pub(crate) max_length: Option<u32>,
    /// Choice list id, for single and multiple choice.
    pub(crate) choices: Option<String>,
    /// Skip logic: the question is asked only when this is true.
    pub(crate) relevant: Option<String>,
    /// Cross-field check that an answer must pass.
    pub(crate) constraint: Option<String>,
    /// What the respondent is told when `constraint` fails.
    pub(crate) constraint_message: Option<Label>,
    /// A derived value: the question is not asked, it is computed.
    pub(crate) calculate: Option<String>,
    /// Columns of a repeating table.
    pub(crate) columns: Option<Vec<QuestionSpec>>,
    /// Most rows a repeating table may have.
    pub(crate) max_rows: Option<u32>,
}

/// A risk rule as declared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RiskRuleSpec {
    /// Stable id.
    pub(crate) id: String,
    /// Short name.
    pub(crate) label: Label,
    /// Severity when the rule trips.
    pub(crate) severity: Severity,
    /// Condition in the expression language; the rule trips when it is true.
    pub(crate) when: String,
    /// Why this matters, shown beside each flagged enterprise.
    pub(crate) reason: Label,
    /// Questions whose values are shown as evidence beside a flag.
    #[serde(default)]
    pub(crate) evidence: Vec<String>,
    /// The legal or policy basis of the threshold.
    pub(crate) basis: Option<Label>,
}

/// A policy whose reach is measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PolicySpec {
    /// Stable id.
    pub(crate) id: String,
    /// Name of the policy.
    pub(crate) name: Label,
    /// Service (by id) the policy belongs to.
    pub(crate) service: Option<String>,
    /// Boolean question: the enterprise knows the policy.
    pub(crate) aware: String,
    /// Boolean question: the enterprise applied.
    pub(crate) applied: String,
    /// Boolean question: the enterprise received the support.
    pub(crate) received: String,
    /// Choice question: where the enterprise learned of it.
    pub(crate) channel: Option<String>,
    /// Condition marking an enterprise that needs what the policy offers; the gap is
    /// such enterprises that have not applied.
    pub(crate) need: Option<String>,
}
