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
/// makes the returns of those templates unreadable, so it may only change with the answer
/// contract itself, never with how the code lays out its structures.
#[test]
fn the_shipped_fingerprint_is_pinned() {
    assert_eq!(shipped().fingerprint, PINNED);
}

/// Templates printed by releases before the answer contract carry the legacy fingerprint;
/// it is still known, so the forms already sent out read.
#[test]
fn the_legacy_fingerprint_of_the_shipped_definition_is_the_one_printed_before() {
    assert_eq!(
        shipped().legacy_fingerprint,
        "b9b24d80ca02180adb291528615cb1d58b01b160508d18c788d3a829decfd4f0"
    );
}

const PINNED: &str = "ab258ca135baf9a28abf4e2b6830e9c8d79d6a099a0ce5a398af20ca02f88a2d";

fn shipped_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../survey-defs/spring-2024.toml"
    ))
    .unwrap()
}

fn edited(from: &str, to: &str) -> survey_def::Definition {
    let text = shipped_text();
    assert!(text.contains(from), "the shipped definition holds `{from}`");
    survey_def::load_str(&text.replacen(from, to, 1), Path::new("edited.toml"))
        .unwrap_or_else(|e| panic!("the edited definition loads: {e}"))
}

#[test]
fn labels_help_ranges_and_rules_leave_the_fingerprint_as_it_was() {
    // A label fixed, a help text reworded, a range widened, a risk threshold moved: returns
    // made from the earlier form read the same, so the fingerprint stays.
    for (from, to) in [
        (r#"zh = "节前在册职工人数""#, r#"zh = "春节前在册职工人数""#),
        (r#"zh = "与营业执照一致。""#, r#"zh = "与营业执照上的名称一致。""#),
        ("max = 1000000", "max = 2000000"),
        ("layoff_persons = 20", "layoff_persons = 25"),
    ] {
        let def = edited(from, to);
        assert_eq!(def.fingerprint, PINNED, "after `{from}` → `{to}`");
    }
}

#[test]
fn a_choice_code_or_a_type_changes_the_fingerprint() {
    for (from, to) in [
        (r#"code = "private""#, r#"code = "privately_owned""#),
        (r#"type = "integer""#, r#"type = "decimal""#),
    ] {
        let def = edited(from, to);
        assert_ne!(def.fingerprint, PINNED, "after `{from}` → `{to}`");
    }
}
