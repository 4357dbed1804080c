//! `[[survey.earlier_versions]]`: loading an earlier version with its own definition, the
//! mapping `check` validates, and the harmonisation of its answers onto the current
//! questions. The fixture is `tests/season/spring-2024-1.1.0.toml`, a revision of the
//! shipped survey that renames `employees_before_festival`, recodes `partly_stopped` and
//! adds an optional question.

use std::path::{Path, PathBuf};
use survey_def::expr::Value;
use survey_def::{DefinitionError, Problem};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn revised_path() -> PathBuf {
    repo().join("tests/season/spring-2024-1.1.0.toml")
}

fn revised() -> survey_def::Definition {
    survey_def::load(&revised_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// The revised text with `from` replaced, loaded from a folder of its own (the earlier
/// definition named by absolute path), giving its problems.
fn problems_of_edit(edits: &[(&str, &str)]) -> Vec<Problem> {
    let mut text = std::fs::read_to_string(revised_path()).unwrap();
    let shipped = repo().join("survey-defs/spring-2024.toml").canonicalize().unwrap();
    text = text.replace(
        "definition = \"../../survey-defs/spring-2024.toml\"",
        &format!("definition = {:?}", shipped.display().to_string()),
    );
    for (from, to) in edits {
        assert!(text.contains(from), "the fixture holds `{from}`");
        text = text.replacen(from, to, 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.toml");
    std::fs::write(&path, &text).unwrap();
    match survey_def::load(&path) {
        Ok(_) => Vec::new(),
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("{other}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("line present") + 1
}

#[test]
fn the_revision_loads_its_earlier_version_with_the_mapping() {
    let def = revised();
    assert_eq!(def.survey().version, "1.1.0");
    let earlier = def.earlier_version("1.0.0").expect("1.0.0 is read");
    assert_eq!(earlier.definition.survey().version, "1.0.0");
    let h = &earlier.harmonisation;
    assert_eq!(
        h.renamed.get("employees_before_festival").map(String::as_str),
        Some("employees_before")
    );
    assert_eq!(h.recoded, vec!["operating_status".to_owned()]);
    assert_eq!(h.not_asked, vec!["remote_posts".to_owned()]);
    assert!(h.dropped.is_empty(), "nothing of 1.0.0 is lost: {:?}", h.dropped);
    assert!(def.earlier_version("0.9.0").is_none());
}

/// The earlier versions are not part of the answer contract: listing one leaves the
/// fingerprint of the revision as the contract alone decides.
#[test]
fn listing_earlier_versions_leaves_the_fingerprint_alone() {
    let text = std::fs::read_to_string(revised_path()).unwrap();
    let start = text.find("[[survey.earlier_versions]]").unwrap();
    let end = text[start..].find("\n\n").unwrap() + start;
    let without = format!("{}{}", &text[..start], &text[end..]);
    let unlisted = survey_def::load_str(&without, &revised_path()).unwrap();
    assert!(unlisted.earlier_versions().is_empty());
    assert_eq!(unlisted.fingerprint, revised().fingerprint);
}

#[test]
fn answers_move_to_the_current_questions() {
    let def = revised();
    let earlier = def.earlier_version("1.0.0").unwrap();
    let old = &earlier.definition;
    let position = |d: &survey_def::Definition, id: &str| d.questions().iter().position(|q| q.id == id).unwrap();
    let mut values = vec![Value::Missing; old.questions().len()];
    values[position(old, "employees_before_festival")] = Value::Number(120.0);
    values[position(old, "employees_now")] = Value::Number(100.0);
    values[position(old, "operating_status")] = Value::Text("partly_stopped".into());
    values[position(old, "name")] = Value::Text("上海某某有限公司".into());
    let old_tables = old.tables().count();
    let mut tables = vec![Vec::new(); old_tables];
    let vacancies = old.question("vacancies").unwrap();
    let mut row = vec![Value::Missing; vacancies.columns().len()];
    row[vacancies.columns().iter().position(|c| c.id == "openings").unwrap()] = Value::Number(4.0);
    tables[0].push(row);

    let (now, now_tables) = earlier.harmonisation.apply(values, tables);
    assert_eq!(now.len(), def.questions().len());
    assert_eq!(now[position(&def, "employees_before")], Value::Number(120.0));
    assert_eq!(now[position(&def, "employees_now")], Value::Number(100.0));
    assert_eq!(now[position(&def, "operating_status")], Value::Text("partly".into()));
    assert_eq!(now[position(&def, "name")], Value::Text("上海某某有限公司".into()));
    assert_eq!(
        now[position(&def, "remote_posts")],
        Value::Missing,
        "not asked in 1.0.0"
    );
    let current_vacancies = def.question("vacancies").unwrap();
    let openings = current_vacancies
        .columns()
        .iter()
        .position(|c| c.id == "openings")
        .unwrap();
    assert_eq!(now_tables[0].len(), 1);
    assert_eq!(now_tables[0][0][openings], Value::Number(4.0));

    let h = &earlier.harmonisation;
    assert_eq!(h.current_id("employees_before_festival"), "employees_before");
    assert_eq!(h.current_id("vacancies[2].openings"), "vacancies[2].openings");
    assert_eq!(h.current_id("uscc"), "uscc");
}

#[test]
fn a_recoded_multiple_choice_keeps_list_order_and_no_duplicates() {
    // Job fairs and campus recruitment counted as one channel from now on: both earlier
    // codes go to `campus`, and a return that ticked both ticks it once.
    let text = std::fs::read_to_string(revised_path()).unwrap().replacen(
        "recode.operating_status = { partly_stopped = \"partly\" }",
        "recode.operating_status = { partly_stopped = \"partly\" }\nrecode.hire_channels = { job_fair = \"campus\" }",
        1,
    );
    let def = survey_def::load_str(&text, &revised_path()).unwrap_or_else(|e| panic!("{e}"));
    let earlier = def.earlier_version("1.0.0").unwrap();
    let old = &earlier.definition;
    let i = old.questions().iter().position(|q| q.id == "hire_channels").unwrap();
    let mut values = vec![Value::Missing; old.questions().len()];
    values[i] = Value::Codes(vec![
        "public_platform".into(),
        "job_fair".into(),
        "campus".into(),
        "referral".into(),
    ]);
    let (now, _) = earlier
        .harmonisation
        .apply(values, vec![Vec::new(); old.tables().count()]);
    let j = def.questions().iter().position(|q| q.id == "hire_channels").unwrap();
    assert_eq!(
        now[j],
        Value::Codes(vec!["public_platform".into(), "campus".into(), "referral".into()])
    );
}

#[test]
fn check_finds_every_mapping_that_cannot_hold() {
    let text = std::fs::read_to_string(revised_path()).unwrap();
    let expect = |edits: &[(&str, &str)], wanted: &str, near: &str| {
        let problems = problems_of_edit(edits);
        let p = problems
            .iter()
            .find(|p| p.message.contains(wanted))
            .unwrap_or_else(|| panic!("no problem saying `{wanted}` in {problems:#?}"));
        let edited = edits.iter().fold(text.clone(), |t, (a, b)| t.replacen(a, b, 1));
        assert_eq!(p.at.line, line_of(&edited, near), "{p}");
        p.clone()
    };
    // An id 1.0.0 does not have.
    let p = expect(
        &[(
            "rename = { employees_before_festival = ",
            "rename = { employees_before_festivl = ",
        )],
        "has no question `employees_before_festivl`",
        "rename = {",
    );
    assert!(p.hint.unwrap().contains("employees_before_festival"), "did you mean");
    // A target this version does not have.
    expect(
        &[("= \"employees_before\" }", "= \"employees_before_now\" }")],
        "which this definition does not have",
        "rename = {",
    );
    // A code 1.0.0 does not have, and one the current list does not have.
    expect(
        &[("{ partly_stopped = \"partly\" }", "{ partly_stoped = \"partly\" }")],
        "`partly_stoped` is not an option of `operating_status` in version 1.0.0",
        "recode.operating_status",
    );
    expect(
        &[("{ partly_stopped = \"partly\" }", "{ partly_stopped = \"part\" }")],
        "`part` is not an option of `operating_status` in this definition",
        "recode.operating_status",
    );
    // Without the recode, the old code reads into nothing.
    expect(
        &[("recode.operating_status = { partly_stopped = \"partly\" }\n", "")],
        "option(s) `partly_stopped` of `operating_status` in version 1.0.0 are not options",
        "version = \"1.0.0\"",
    );
    // A type that cannot map: a number renamed onto a choice.
    expect(
        &[(
            "rename = { employees_before_festival = \"employees_before\" }",
            "rename = { employees_before_festival = \"employees_before\", employees_now = \"operating_status\" }",
        )],
        "was integer in version 1.0.0 and `operating_status` is single_choice now",
        "rename = {",
    );
    // The version the file really is, and the survey's own version.
    expect(
        &[("version = \"1.0.0\"\ndefinition", "version = \"1.0.1\"\ndefinition")],
        "is version 1.0.0, not 1.0.1",
        "version = \"1.0.1\"",
    );
    let own = problems_of_edit(&[("version = \"1.0.0\"\ndefinition", "version = \"1.1.0\"\ndefinition")]);
    let p = own
        .iter()
        .find(|p| p.message.contains("is this definition's own version"))
        .unwrap_or_else(|| panic!("{own:#?}"));
    assert_eq!(p.at.line, line_of(&text, "[[survey.earlier_versions]]") + 1, "{p}");
}

#[test]
fn a_missing_or_broken_earlier_definition_is_a_located_problem() {
    let problems = problems_of_edit(&[("definition = \"/", "definition = \"/nonexistent/")]);
    let p = problems
        .iter()
        .find(|p| p.message.contains("the definition of version 1.0.0 cannot be loaded"))
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert!(p.hint.as_deref().unwrap().contains("labor-survey check"));
}

#[test]
fn an_earlier_version_lists_its_own_earlier_versions_without_loading_them() {
    // The revision, listed as the earlier version of a 1.2.0, is loaded without its own
    // list (which would be read relative to it): only the current file's list counts.
    let dir = tempfile::tempdir().unwrap();
    let revised_text = std::fs::read_to_string(revised_path()).unwrap();
    let shipped = repo().join("survey-defs/spring-2024.toml").canonicalize().unwrap();
    // The 1.1.0 file here names a 1.0.0 that does not exist next to it.
    std::fs::write(dir.path().join("v1.1.0.toml"), &revised_text).unwrap();
    let next = revised_text
        .replace("version = \"1.1.0\"", "version = \"1.2.0\"")
        .replace(
            "definition = \"../../survey-defs/spring-2024.toml\"",
            &format!("definition = {:?}", shipped.display().to_string()),
        )
        .replace(
            "[[survey.earlier_versions]]\nversion = \"1.0.0\"",
            "[[survey.earlier_versions]]\nversion = \"1.1.0\"\ndefinition = \"v1.1.0.toml\"\n\n[[survey.earlier_versions]]\nversion = \"1.0.0\"",
        );
    std::fs::write(dir.path().join("v1.2.0.toml"), &next).unwrap();
    let def = survey_def::load(&dir.path().join("v1.2.0.toml")).unwrap_or_else(|e| {
        if let DefinitionError::Invalid { problems, .. } = &e {
            for p in problems {
                eprintln!("{p}");
            }
        }
        panic!("{e}")
    });
    let versions: Vec<&str> = def.earlier_versions().iter().map(|e| e.version.as_str()).collect();
    assert_eq!(versions, ["1.1.0", "1.0.0"]);
    assert!(
        def.earlier_version("1.1.0")
            .unwrap()
            .definition
            .earlier_versions()
            .is_empty()
    );
}
