//! The checked definition: what every later stage reads.

use crate::expr::{Expr, ValueType};
use crate::model::{
    AnalysisSpec, ChoiceList, DefinitionFile, PolicySpec, QuestionSpec, QuestionType, RiskRuleSpec, SizeClass,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// A checked question (or table column) with its compiled expressions.
#[derive(Debug, Clone)]
pub struct Question {
    /// The question as declared (for a table, `columns` holds the declared columns).
    pub spec: QuestionSpec,
    /// Id of the section it belongs to.
    pub section: String,
    /// Type of its answer; `None` for a repeating table.
    pub value_type: Option<ValueType>,
    /// Compiled `relevant`.
    pub relevant: Option<Expr>,
    /// Compiled `constraint`.
    pub constraint: Option<Expr>,
    /// Compiled `calculate`.
    pub calculate: Option<Expr>,
    /// Columns of a repeating table, checked and compiled.
    pub columns: Vec<Question>,
}

impl Question {
    /// The question id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Its answer type.
    pub fn kind(&self) -> QuestionType {
        self.spec.kind
    }

    /// Whether respondents answer it (a `calculate` is derived, not asked).
    pub fn is_asked(&self) -> bool {
        self.calculate.is_none()
    }

    /// A column of this table by id.
    pub fn column(&self, id: &str) -> Option<&Question> {
        self.columns.iter().find(|c| c.spec.id == id)
    }
}

/// A checked risk rule.
#[derive(Debug, Clone)]
pub struct RiskRule {
    /// The rule as declared.
    pub spec: RiskRuleSpec,
    /// Compiled condition.
    pub when: Expr,
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy as declared.
    pub spec: PolicySpec,
    /// Compiled need condition.
    pub need: Option<Expr>,
}

/// A definition that passed every check.
///
/// ```no_run
/// let def = survey_def::load(std::path::Path::new("survey-defs/spring-2024.toml")).unwrap();
/// assert_eq!(def.spec.survey.id, "yangpu-spring-2024");
/// for q in def.questions() {
///     println!("{} {}", q.id(), q.spec.label.en);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Definition {
    /// The file it was loaded from.
    pub source: PathBuf,
    /// The definition as written.
    pub spec: DefinitionFile,
    /// SHA-256 of the questionnaire's canonical form (JSON of the survey metadata,
    /// parameters, choice lists and sections), hex. Comments and layout of the TOML do not
    /// change it; any change to what enterprises answer does. Risk rules, policies, design
    /// and analysis roles are left out: they change how returns are read, not the form.
    pub fingerprint: String,
    pub(crate) questions: Vec<Question>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) risk_rules: Vec<RiskRule>,
    pub(crate) policies: Vec<Policy>,
}

impl Definition {
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
        self.questions.iter().filter(|q| q.spec.kind == QuestionType::Table)
    }

    /// Risk rules in declaration order.
    pub fn risk_rules(&self) -> &[RiskRule] {
        &self.risk_rules
    }

    /// Policies in declaration order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// A choice list by id.
    pub fn choice_list(&self, id: &str) -> Option<&ChoiceList> {
        self.spec.choices.get(id)
    }

    /// The choice list a question draws its codes from: its own `choices`, or the
    /// sub-district list for a `subdistrict` question.
    pub fn choices_of(&self, question: &QuestionSpec) -> Option<&ChoiceList> {
        match question.kind {
            QuestionType::Subdistrict => self
                .spec
                .survey
                .subdistricts
                .as_deref()
                .and_then(|l| self.choice_list(l)),
            _ => question.choices.as_deref().and_then(|l| self.choice_list(l)),
        }
    }

    /// The size class of an enterprise with `employees` employees.
    pub fn size_class(&self, employees: u64) -> Option<&SizeClass> {
        self.spec
            .design
            .as_ref()?
            .size_classes
            .iter()
            .find(|c| employees >= c.min && c.max.is_none_or(|m| employees <= m))
    }

    /// The measures the reports estimate, when the definition declares them.
    pub fn analysis(&self) -> Option<&AnalysisSpec> {
        self.spec.analysis.as_ref()
    }

    /// A parameter's value.
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.spec.parameters.get(name).copied()
    }

    /// The short fingerprint printed in templates and reports (first 16 hex digits).
    pub fn short_fingerprint(&self) -> &str {
        &self.fingerprint[..16]
    }
}
