//! The shipped definition (`survey-defs/spring-2024.toml`) loads with no problems and
//! has the parts every later stage relies on.

use std::path::Path;
use survey_def::{DefinitionError, QuestionKind};

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
    assert_eq!(def.survey().id, "yangpu-spring-2024");
    assert_eq!(def.policies().len(), 10, "ten policies");
    assert!(def.risk_rules().len() >= 7, "at least seven risk rules");
    let table = def.question("vacancies").expect("a `vacancies` question");
    assert!(
        matches!(table.kind, QuestionKind::Table(_)),
        "`vacancies` is a repeating table"
    );
    for policy in def.policies() {
        for q in [&policy.aware, &policy.applied, &policy.received] {
            let question = def
                .question(q)
                .unwrap_or_else(|| panic!("policy `{}`: no question `{q}`", policy.id));
            assert!(matches!(question.kind, QuestionKind::Boolean), "`{q}` is yes/no");
        }
    }
}

/// The fingerprint printed in every template the office has sent out. A change to it
/// makes the returns of those templates unreadable, so it may only change with the
/// questionnaire itself, never with how the code lays out its structures.
#[test]
fn the_shipped_fingerprint_is_pinned() {
    assert_eq!(
        shipped().fingerprint,
        "b9b24d80ca02180adb291528615cb1d58b01b160508d18c788d3a829decfd4f0"
    );
}
