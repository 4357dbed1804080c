//! Semantic checks of a deserialised definition, and its compilation into a
//! [`Definition`].
//!
//! Every check records its problems and goes on, so one run of `labor-survey check`
//! lists everything wrong with a file. [`check_definition`] runs the checks in the order
//! their results are needed: the survey's metadata, labels and choice lists
//! ([`metadata`]); the questions with their ids, types and keys ([`questions`]); their
//! expressions, skip-logic order and calculations ([`logic`]); the sampling design
//! ([`design`]); the `[analysis]` table ([`analysis`]); and the risk rules and policies
//! ([`rules`]). Only a definition with no problem at all is compiled.

mod analysis;
mod design;
mod logic;
mod metadata;
mod questions;
mod rules;
mod versions;

use crate::definition::{Definition, Question, Section};
use crate::expr::Scope;
use crate::problem::{Problem, ProblemKind};
use crate::source::{Seg, SourceMap, TomlPath};
use crate::written::{DefinitionFile, QuestionSpec};
use std::path::Path;

use design::check_design;
use logic::check_calculate_cycles;
use metadata::{check_choices, check_labels, check_metadata};
use questions::{check_ids, check_keys, compile_question, declare, name_scope};
use rules::{compile_policies, compile_risk_rules};

/// A key segment of a TOML path, the form every problem's place is given in.
fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// Gathers the problems of one definition file, placing each at its line and column.
struct Checker<'a> {
    /// The file checked, named in every problem.
    file: &'a Path,
    /// Where each TOML path of the file is in its text.
    map: &'a SourceMap,
    /// Problems found so far.
    problems: Vec<Problem>,
}

impl Checker<'_> {
    /// Records a problem at the value `at` points to.
    fn report(&mut self, kind: ProblemKind, at: &[Seg], message: String, hint: Option<String>) {
        self.problems.push(Problem {
            kind,
            file: self.file.to_owned(),
            at: self.map.line_col(self.map.offset_of(at)),
            message,
            hint,
        });
    }

    /// Records a problem inside the expression string at `at`, `offset` bytes into it, so
    /// the column points at the offending part of the expression.
    fn report_in_expr(&mut self, kind: ProblemKind, at: &[Seg], offset: usize, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            kind,
            file: self.file.to_owned(),
            at: self.map.line_col(self.map.offset_in_string(at, offset)),
            message,
            hint,
        });
    }

    /// The line `at` is on, for hints that point back at an earlier declaration.
    fn line_of(&self, at: &[Seg]) -> usize {
        self.map.line_col(self.map.offset_of(at)).line
    }
}

/// A question or column with where it was declared.
struct Declared<'a> {
    /// Its written form.
    spec: &'a QuestionSpec,
    /// Its place in the file.
    path: TomlPath,
    /// Id of the section it is in.
    section: &'a str,
    /// Position in questionnaire order.
    order: usize,
    /// Columns of a table, in order.
    columns: Vec<Declared<'a>>,
}

/// Checks `file` and compiles it. `text` is the source it came from.
pub(crate) fn check_definition(
    file: DefinitionFile,
    _text: &str,
    path: &Path,
    map: &SourceMap,
    earlier: crate::load::Earlier,
) -> Result<Definition, Vec<Problem>> {
    let mut ck = Checker {
        file: path,
        map,
        problems: Vec::new(),
    };
    check_metadata(&mut ck, &file);
    check_labels(&mut ck, &file);
    let choice_codes = check_choices(&mut ck, &file);
    let declared = declare(&file);
    check_ids(&mut ck, &file, &declared);
    let questions_scope = name_scope(&mut ck, &file, &declared, &choice_codes);
    for d in &declared {
        check_keys(&mut ck, d);
        for c in &d.columns {
            check_keys(&mut ck, c);
        }
    }
    let scope = Scope {
        questions: &questions_scope,
        row: None,
        params: &file.parameters,
        choices: &choice_codes,
        previous_wave: false,
    };
    let compiled: Vec<Question> = declared
        .iter()
        .map(|d| compile_question(&mut ck, &file, d, scope, None))
        .collect();
    check_calculate_cycles(&mut ck, &declared, &compiled);
    check_design(&mut ck, &file, &questions_scope);
    analysis::check_analysis(&mut ck, &file);
    let risk_rules = compile_risk_rules(&mut ck, &file, scope);
    let policies = compile_policies(&mut ck, &file, scope, &questions_scope);

    if !ck.problems.is_empty() {
        return Err(ck.problems);
    }
    let index = compiled.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
    let sections = file
        .sections
        .iter()
        .map(|s| Section {
            id: s.id.clone(),
            title: s.title.clone(),
        })
        .collect();
    let legacy_fingerprint = legacy_fingerprint(&file);
    let mut definition = Definition {
        source: path.to_owned(),
        fingerprint: String::new(),
        legacy_fingerprint,
        survey: file.survey,
        parameters: file.parameters,
        choices: file.choices,
        design: file.design,
        services: file.services,
        sections,
        questions: compiled,
        index,
        risk_rules,
        policies,
        analysis: file.analysis,
        earlier: Vec::new(),
    };
    definition.fingerprint = crate::contract::fingerprint(&definition);
    if earlier == crate::load::Earlier::Load {
        definition.earlier = versions::load_earlier(&mut ck, &definition);
        if !ck.problems.is_empty() {
            return Err(ck.problems);
        }
    }
    Ok(definition)
}

/// The fingerprint as releases before the answer contract computed it, so templates they
/// printed still read. Keys added to `[survey]` since then are left out, as those releases
/// did not have them; a file that cannot be laid out (never, for these types) has none.
fn legacy_fingerprint(file: &DefinitionFile) -> String {
    use sha2::{Digest, Sha256};
    let mut survey = file.survey.clone();
    survey.enterprise_name_question = None;
    survey.earlier_versions.clear();
    let questionnaire = (&survey, &file.parameters, &file.choices, &file.sections);
    serde_json::to_vec(&questionnaire)
        .map(|canonical| hex::encode(Sha256::digest(&canonical)))
        .unwrap_or_default()
}
