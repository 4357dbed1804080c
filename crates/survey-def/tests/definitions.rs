//! Definition fixtures under `tests/definitions/` at the workspace root.
//!
//! - every file in `good/` loads with no problems;
//! - every file in `bad/` fails to load, and the problems found are exactly the ones its
//!   leading `# expect: <code> <line>` comments list (as a multiset of code and line).
//!
//! Plus focused checks of how problems are reported: the `file:line:col: error[code]`
//! form, "did you mean" hints for typos, and columns pointing inside expressions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use survey_def::{DefinitionError, Problem, ProblemKind};

/// Every code `ProblemKind::as_str` can return; an `# expect:` line naming anything
/// else is a mistake in the fixture.
const KNOWN_CODES: &[&str] = &[
    "toml-syntax",
    "wrong-shape",
    "unknown-key",
    "duplicate-id",
    "bad-id",
    "unknown-reference",
    "unknown-choice-list",
    "wrong-question-type",
    "expression-syntax",
    "expression-type",
    "calculate-cycle",
    "relevant-order",
    "bad-range",
    "misplaced-key",
    "missing-label",
    "empty",
    "bad-value",
];

fn fixtures_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/definitions")
        .join(kind)
}

/// The `.toml` files of `tests/definitions/<kind>`, sorted by name.
fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .toml fixtures in {}", dir.display());
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn render(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "  (none)".into();
    }
    problems
        .iter()
        .map(|p| format!("  {}", p.to_string().replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `# expect: <code> <line>` lines of a fixture, sorted.
fn expectations(path: &Path) -> Result<Vec<(String, usize)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("# expect:") else {
            continue;
        };
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let [code, at] = parts.as_slice() else {
            return Err(format!(
                "line {}: malformed expectation `{line}` (want `# expect: <code> <line>`)",
                i + 1
            ));
        };
        if !KNOWN_CODES.contains(code) {
            return Err(format!(
                "line {}: `{code}` is not a problem code (known: {})",
                i + 1,
                KNOWN_CODES.join(", ")
            ));
        }
        let at: usize = at
            .parse()
            .map_err(|_| format!("line {}: `{at}` is not a line number", i + 1))?;
        out.push(((*code).to_owned(), at));
    }
    if out.is_empty() {
        return Err("no `# expect: <code> <line>` lines".into());
    }
    out.sort();
    Ok(out)
}

fn minimal_text() -> String {
    let path = fixtures_dir("good").join("minimal.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Loads `text` (named `name` in messages) and returns its problems; panics if it loads.
fn problems_of(text: &str, name: &str) -> Vec<Problem> {
    match survey_def::load_str(text, Path::new(name)) {
        Ok(_) => panic!("{name}: expected problems, but it loaded clean"),
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("{name}: expected problems, got: {other}"),
    }
}

#[test]
fn good_definitions_load_clean() {
    let mut failures = Vec::new();
    for path in fixtures("good") {
        match survey_def::load(&path) {
            Ok(_) => {}
            Err(DefinitionError::Invalid { problems, .. }) => failures.push(format!(
                "{}: expected no problems, found {}:\n{}",
                file_name(&path),
                problems.len(),
                render(&problems)
            )),
            Err(other) => failures.push(format!("{}: {other}", file_name(&path))),
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n\n"));
}

#[test]
fn bad_definitions_report_exactly_the_expected_problems() {
    let files = fixtures("bad");
    let mut failures = Vec::new();
    for path in &files {
        let name = file_name(path);
        let expected = match expectations(path) {
            Ok(e) => e,
            Err(why) => {
                failures.push(format!("{name}: {why}"));
                continue;
            }
        };
        let problems = match survey_def::load(path) {
            Ok(_) => {
                failures.push(format!(
                    "{name}: expected {expected:?}, but the definition loaded clean"
                ));
                continue;
            }
            Err(DefinitionError::Invalid { problems, .. }) => problems,
            Err(other) => {
                failures.push(format!("{name}: expected DefinitionError::Invalid, got: {other}"));
                continue;
            }
        };
        let mut actual: Vec<(String, usize)> = problems
            .iter()
            .map(|p| (p.kind.as_str().to_owned(), p.at.line))
            .collect();
        actual.sort();
        if actual != expected {
            let fmt = |v: &[(String, usize)]| v.iter().map(|(c, l)| format!("{c} {l}")).collect::<Vec<_>>().join(", ");
            failures.push(format!(
                "{name}:\n  expected: {}\n  actual:   {}\n  problems reported:\n{}",
                fmt(&expected),
                fmt(&actual),
                render(&problems)
                    .lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "\n{} of {} bad fixture(s) failed:\n\n{}\n",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let path = fixtures_dir("bad").join("several_problems_at_once.toml");
    let problems = match survey_def::load(&path) {
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Ok(_) => panic!("several_problems_at_once.toml loaded clean"),
        Err(other) => panic!("{other}"),
    };
    let kinds: BTreeSet<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    assert!(
        kinds.len() >= 3,
        "expected at least 3 different kinds of problem, got:\n{}",
        render(&problems)
    );
    let places: Vec<_> = problems.iter().map(|p| p.at).collect();
    let mut sorted = places.clone();
    sorted.sort();
    assert_eq!(places, sorted, "problems are not in file order:\n{}", render(&problems));
}

#[test]
fn problem_display_is_file_line_col_error_code() {
    // `min` greater than `max` on the `employees` question: reported at the `min` key.
    let text = minimal_text().replace("min = 0\nmax = 100000", "min = 1000\nmax = 10");
    let min_line = text.lines().position(|l| l == "min = 1000").expect("edited line") + 1;
    let problems = problems_of(&text, "fixtures/demo.toml");
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = &problems[0];
    let shown = p.to_string();
    let want = format!("fixtures/demo.toml:{min_line}:1: error[bad-range]: ");
    assert!(
        shown.starts_with(&want),
        "Display `{shown}` does not start with `{want}`"
    );
    let generic = format!(
        "{}:{}:{}: error[{}]",
        p.file.display(),
        p.at.line,
        p.at.column,
        p.kind.as_str()
    );
    assert!(
        shown.contains(&generic),
        "Display `{shown}` does not contain `{generic}`"
    );
    // The hint, when there is one, follows on its own line.
    if let Some(hint) = &p.hint {
        assert!(
            shown.contains(&format!("\n  help: {hint}")),
            "Display `{shown}` lacks the hint line"
        );
    }
}

/// Adds `line` after the first `required = true` of the minimal definition (in the
/// `uscc` question) and returns the one problem that causes, checking it is an
/// unknown-key problem at that line, column 1.
fn unknown_key_problem(line: &str) -> Problem {
    let text = minimal_text().replacen("required = true\n", &format!("required = true\n{line}\n"), 1);
    let at = text.lines().position(|l| l == line).expect("edited line") + 1;
    let problems = problems_of(&text, "typo.toml");
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = problems.into_iter().next().expect("one problem");
    assert_eq!(p.kind, ProblemKind::UnknownKey, "{p}");
    assert_eq!((p.at.line, p.at.column), (at, 1), "{p}");
    p
}

fn assert_suggests(p: &Problem, typo: &str, key: &str) {
    assert!(
        p.message.contains(&format!("`{typo}`")),
        "the message names the key: {p}"
    );
    let hint = p.hint.as_deref().unwrap_or_default();
    let want = format!("did you mean `{key}`?");
    assert!(hint.contains(&want), "hint `{hint}` does not suggest `{key}`:\n{p}");
    assert!(
        p.to_string().contains(&format!("help: {want}")),
        "Display lacks the hint: {p}"
    );
}

#[test]
fn unknown_key_typo_gets_a_did_you_mean_hint() {
    // One letter wrong, one letter missing, two letters swapped in a long key.
    assert_suggests(
        &unknown_key_problem("lavel = { zh = \"多余\", en = \"Extra\" }"),
        "lavel",
        "label",
    );
    assert_suggests(
        &unknown_key_problem("hlp = { zh = \"多余\", en = \"Extra\" }"),
        "hlp",
        "help",
    );
    assert_suggests(&unknown_key_problem("max_lenght = 10"), "max_lenght", "max_length");
}

#[test]
fn unknown_key_with_two_letters_swapped_gets_a_did_you_mean_hint() {
    // `lable` for `label`: the commonest typo there is, one slip of the fingers.
    assert_suggests(
        &unknown_key_problem("lable = { zh = \"多余\", en = \"Extra\" }"),
        "lable",
        "label",
    );
}

/// The 1-based character column of `needle` on line `line` of `text`.
fn column_of(text: &str, line: usize, needle: &str) -> usize {
    let l = text.lines().nth(line - 1).unwrap_or_else(|| panic!("no line {line}"));
    let byte = l
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not on line {line}: {l}"));
    l[..byte].chars().count() + 1
}

#[test]
fn relevant_order_points_at_the_offending_name_inside_the_expression() {
    // A question: `planned_reductions` is asked before `total_vacancies`.
    let text = minimal_text().replace(
        "relevant = \"employees > 0\"",
        "relevant = \"employees > 0 and total_vacancies > 0\"",
    );
    let problems = problems_of(&text, "order.toml");
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = &problems[0];
    assert_eq!(p.kind, ProblemKind::RelevantOrder, "{p}");
    let line = text
        .lines()
        .position(|l| l.contains("total_vacancies > 0\""))
        .expect("edited line")
        + 1;
    assert_eq!(p.at.line, line, "{p}");
    assert_eq!(p.at.column, column_of(&text, line, "total_vacancies"), "{p}");
    assert!(p.message.contains("total_vacancies"), "{p}");

    // A column of a table row: `openings` comes before `hard_to_fill`. The expression
    // holds multi-byte text before the name: columns count characters, not bytes.
    let text = minimal_text().replace(
        "required = true\nmin = 1\n",
        "required = true\nmin = 1\nrelevant = \"occupation != '职业' and hard_to_fill >= 0\"\n",
    );
    let problems = problems_of(&text, "row-order.toml");
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = &problems[0];
    assert_eq!(p.kind, ProblemKind::RelevantOrder, "{p}");
    let line = text
        .lines()
        .position(|l| l.contains("hard_to_fill >= 0\""))
        .expect("edited line")
        + 1;
    assert_eq!(
        (p.at.line, p.at.column),
        (line, column_of(&text, line, "hard_to_fill")),
        "{p}"
    );
}

#[test]
fn expression_problems_point_at_the_character_in_the_expression() {
    // An unknown parameter in a risk rule: the column of the `$`.
    let text = minimal_text().replace("$layoff_persons", "$layoff_person");
    let problems = problems_of(&text, "param.toml");
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = &problems[0];
    assert_eq!(p.kind, ProblemKind::ExpressionType, "{p}");
    let line = text
        .lines()
        .position(|l| l.contains("$layoff_person\""))
        .expect("edited line")
        + 1;
    assert_eq!(
        (p.at.line, p.at.column),
        (line, column_of(&text, line, "$layoff_person")),
        "{p}"
    );
    assert!(p.hint.as_deref().unwrap_or_default().contains("$layoff_persons"), "{p}");
}

#[test]
fn invalid_utf8_is_reported_at_the_bad_byte() {
    let path = fixtures_dir("bad").join("invalid_utf8.toml");
    let bytes = std::fs::read(&path).expect("read invalid_utf8.toml");
    assert!(
        String::from_utf8(bytes.clone()).is_err(),
        "invalid_utf8.toml must not be valid UTF-8"
    );
    let problems = match survey_def::load(&path) {
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Ok(_) => panic!("invalid_utf8.toml loaded clean"),
        Err(other) => panic!("{other}"),
    };
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let valid_up_to = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
    let before = std::str::from_utf8(&bytes[..valid_up_to]).expect("valid prefix");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    assert_eq!(
        (problems[0].at.line, problems[0].at.column),
        (line, column),
        "{}",
        problems[0]
    );
}

fn analysis_text() -> String {
    let path = fixtures_dir("good").join("analysis.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Loads `text` and returns its one problem, checking its kind and that it sits on the
/// line holding `line_holds`.
fn one_problem(text: &str, name: &str, kind: ProblemKind, line_holds: &str) -> Problem {
    let problems = problems_of(text, name);
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = problems.into_iter().next().expect("one problem");
    assert_eq!(p.kind, kind, "{p}");
    let line = text.lines().position(|l| l.contains(line_holds)).expect("edited line") + 1;
    assert_eq!(p.at.line, line, "{p}");
    p
}

#[test]
fn unknown_question_in_analysis_gets_a_did_you_mean_hint() {
    let text = analysis_text().replace("employees = \"employees\"", "employees = \"employes\"");
    let p = one_problem(
        &text,
        "analysis.toml",
        ProblemKind::UnknownReference,
        "employees = \"employes\"",
    );
    assert_suggests(&p, "employes", "employees");

    // A vacancy column is suggested from the columns of the table.
    let text = analysis_text().replace("openings = \"openings\"", "openings = \"opening\"");
    let p = one_problem(
        &text,
        "analysis.toml",
        ProblemKind::UnknownReference,
        "openings = \"opening\"",
    );
    assert_suggests(&p, "opening", "openings");
    assert_eq!(p.at.column, column_of(&text, p.at.line, "openings = "), "{p}");

    // A table column where a question outside tables is wanted: the hint says so.
    let text = analysis_text().replace("totals = [\"total_vacancies\"]", "totals = [\"hard_to_fill\"]");
    let p = one_problem(&text, "analysis.toml", ProblemKind::UnknownReference, "totals = [");
    let hint = p.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("column of table `vacancies`"), "{p}");
}

#[test]
fn analysis_type_problems_name_the_type_found_and_the_type_wanted() {
    let text = analysis_text().replace("employees = \"employees\"", "employees = \"subsidy_aware\"");
    let p = one_problem(
        &text,
        "analysis.toml",
        ProblemKind::WrongQuestionType,
        "employees = \"subsidy_aware\"",
    );
    assert!(
        p.message.contains("`subsidy_aware`") && p.message.contains("boolean"),
        "{p}"
    );
    assert!(p.message.contains("integer or decimal"), "{p}");

    // The support list loses its services: the hint says how to map them.
    let text = analysis_text()
        .replace("en = \"Recruitment\" }, service = \"II\" }", "en = \"Recruitment\" } }")
        .replace(
            "en = \"Stabilisation\" }, service = \"I\" }",
            "en = \"Stabilisation\" } }",
        );
    let p = one_problem(
        &text,
        "analysis.toml",
        ProblemKind::WrongQuestionType,
        "support = \"support_wanted\"",
    );
    assert!(p.hint.as_deref().unwrap_or_default().contains("service = "), "{p}");
}
