//! The shipped definition (`survey-defs/spring-2024.toml`) loads with no problems and
//! has the parts every later stage relies on.

use std::path::Path;
use survey_def::{DefinitionError, QuestionType};

fn shipped() -> survey_def::Definition {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../survey-defs/spring-2024.toml"
    ));
    match survey_def::load(path) {
        Ok(def) => def,
        Err(DefinitionError::Invalid { problems, .. }) => {
            for p in &problems {
                eprintln!("{p}");
            }
            panic!("the shipped definition has {} problem(s)", problems.len());
        }
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn shipped_definition_loads_and_is_complete() {
    let def = shipped();
    assert_eq!(def.spec.survey.id, "yangpu-spring-2024");
    assert_eq!(def.policies().len(), 10, "ten policies");
    assert!(def.risk_rules().len() >= 7, "at least seven risk rules");
    let table = def.question("vacancies").expect("a `vacancies` question");
    assert_eq!(table.kind(), QuestionType::Table, "`vacancies` is a repeating table");
    for policy in def.policies() {
        for q in [&policy.spec.aware, &policy.spec.applied, &policy.spec.received] {
            let question = def
                .question(q)
                .unwrap_or_else(|| panic!("policy `{}`: no question `{q}`", policy.spec.id));
            assert_eq!(question.kind(), QuestionType::Boolean, "`{q}` is yes/no");
        }
    }
}
