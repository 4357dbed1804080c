//! The words a problem is told in.
//!
//! Definitions are written by survey officers, not programmers: a problem must say what
//! the definition expects and what to write, never how a Rust type failed to
//! deserialise. Each fixture under `tests/definitions/bad/` named here carries one habit
//! from spreadsheets or a Chinese input method (`30%`, `1,000`, `＝`, `<>`, `AND`,
//! “quotes”...); its one problem is checked for its place (line and column) and for the
//! key phrases of its message and hint. The shipped definitions must still load clean.

use std::path::{Path, PathBuf};
use survey_def::{DefinitionError, Problem, ProblemKind};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {}", p.to_string().replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The 1-based line holding `line_holds` and the 1-based character column of
/// `column_at` on it.
fn place(text: &str, line_holds: &str, column_at: &str) -> (usize, usize) {
    let (index, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(line_holds))
        .unwrap_or_else(|| panic!("no line holds `{line_holds}`"));
    let byte = line
        .find(column_at)
        .unwrap_or_else(|| panic!("`{column_at}` is not on line {}: {line}", index + 1));
    (index + 1, line[..byte].chars().count() + 1)
}

/// Loads the fixture `bad/<name>.toml`, checks it has exactly one problem, of `kind`, and
/// returns it with the fixture's text.
fn the_problem(name: &str, kind: ProblemKind) -> (Problem, String) {
    let path = workspace().join("tests/definitions/bad").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let problems = match survey_def::load(&path) {
        Ok(_) => panic!("{name}: loaded clean"),
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("{name}: {other}"),
    };
    assert_eq!(
        problems.len(),
        1,
        "{name}: one problem expected:\n{}",
        render(&problems)
    );
    let p = problems.into_iter().next().expect("one problem");
    assert_eq!(p.kind, kind, "{name}: {p}");
    (p, text)
}

/// Checks that the message of `p` holds every phrase of `message`, its hint every phrase
/// of `hint`, and that no Rust type name reaches the reader.
fn assert_words(name: &str, p: &Problem, message: &[&str], hint: &[&str]) {
    for phrase in message {
        assert!(p.message.contains(phrase), "{name}: message lacks `{phrase}`:\n{p}");
    }
    let shown_hint = p.hint.as_deref().unwrap_or_default();
    for phrase in hint {
        assert!(shown_hint.contains(phrase), "{name}: hint lacks `{phrase}`:\n{p}");
    }
    for jargon in [
        "f64",
        "u32",
        "u64",
        "struct ",
        "variant",
        "invalid type",
        "sequence",
        "map,",
    ] {
        assert!(!p.to_string().contains(jargon), "{name}: `{jargon}` shown:\n{p}");
    }
}

/// The one problem of fixture `bad/<name>.toml`: of `kind`, on the line holding
/// `line_holds` at the column of `column_at`, told in the phrases of `message` and `hint`.
fn assert_problem(
    name: &str,
    kind: ProblemKind,
    (line_holds, column_at): (&str, &str),
    message: &[&str],
    hint: &[&str],
) -> Problem {
    let (p, text) = the_problem(name, kind);
    assert_eq!(
        (p.at.line, p.at.column),
        place(&text, line_holds, column_at),
        "{name}: {p}"
    );
    assert_words(name, &p, message, hint);
    p
}

// TOML syntax: habits of spreadsheets and Chinese input methods.

#[test]
fn percent_sign_says_write_a_fraction_or_a_plain_number() {
    assert_problem(
        "percent_sign_in_number",
        ProblemKind::TomlSyntax,
        ("spring_drop = 30%", "30%"),
        &["`30%` is not a number", "without `%`"],
        &["`spring_drop = 0.3`", "`spring_drop = 30`", "percent"],
    );
}

#[test]
fn thousands_separator_says_write_the_digits_alone() {
    assert_problem(
        "thousands_separator_in_number",
        ProblemKind::TomlSyntax,
        ("max = 100,000", "100,000"),
        &["`100,000` is not a number", "thousands separators"],
        &["`max = 100000`", "`max = 100_000`"],
    );
}

#[test]
fn full_width_equals_sign_is_named_at_its_column() {
    assert_problem(
        "full_width_equals_sign",
        ProblemKind::TomlSyntax,
        ("layoff_persons ＝ 20", "＝"),
        &["`＝` is a full-width character", "Chinese input method"],
        &["`layoff_persons = 20`", "half-width"],
    );
}

#[test]
fn full_width_digits_are_named_with_the_number_to_write() {
    assert_problem(
        "full_width_digits",
        ProblemKind::TomlSyntax,
        ("max_rows = ２０", "２０"),
        &["`２` is a full-width digit", "`０`"],
        &["`max_rows = 20`"],
    );
}

#[test]
fn full_width_quotes_in_a_label_are_named_and_the_line_rewritten() {
    assert_problem(
        "full_width_quotes_in_label",
        ProblemKind::TomlSyntax,
        ("zh = “最小调查”", "“"),
        &["`“` is a full-width quote", "`”`"],
        &["`title = { zh = \"最小调查\", en = \"Minimal survey\" }`"],
    );
}

#[test]
fn upper_case_true_says_write_it_in_lower_case() {
    assert_problem(
        "upper_case_boolean",
        ProblemKind::TomlSyntax,
        ("required = TRUE", "TRUE"),
        &["`TRUE`", "lower case"],
        &["`required = true`"],
    );
}

#[test]
fn yes_for_a_boolean_says_write_true_or_false() {
    assert_problem(
        "yes_for_boolean",
        ProblemKind::TomlSyntax,
        ("required = yes", "yes"),
        &["`yes` is not a yes/no value", "`true` or `false`"],
        &["`required = true`", "`required = false`"],
    );
}

// Shape: serde's words for types replaced by what the key takes.

#[test]
fn label_as_plain_text_shows_the_label_table() {
    assert_problem(
        "label_as_plain_text",
        ProblemKind::WrongShape,
        ("title = \"Minimal survey\"", "\"Minimal survey\""),
        &[
            "`title` must be a label",
            "a table with a Chinese (`zh`) and an English (`en`) text",
            "\"Minimal survey\"",
        ],
        &["`title = { zh = \"...\", en = \"Minimal survey\" }`"],
    );
}

#[test]
fn label_without_english_says_a_label_needs_both() {
    assert_problem(
        "label_without_english",
        ProblemKind::WrongShape,
        ("title = { zh = \"最小调查\" }", "{ zh"),
        &["`title` has no English (`en`) text", "needs both"],
        &["zh = \"...\", en = \"...\""],
    );
}

#[test]
fn number_in_quotes_says_write_it_without_quotes() {
    assert_problem(
        "number_in_quotes",
        ProblemKind::WrongShape,
        ("max = \"100000\"", "\"100000\""),
        &["`max` must be a number", "the text \"100000\""],
        &["without quotes", "`max = 100000`"],
    );
}

#[test]
fn quoted_percentage_gets_the_percent_hint() {
    assert_problem(
        "percent_in_quotes",
        ProblemKind::WrongShape,
        ("return_rate_floor = \"80%\"", "\"80%\""),
        &["`return_rate_floor` must be a number"],
        &["`return_rate_floor = 0.8`", "`return_rate_floor = 80`"],
    );
}

#[test]
fn fraction_where_a_whole_number_is_wanted() {
    assert_problem(
        "whole_number_with_fraction",
        ProblemKind::WrongShape,
        ("max_rows = 2.5", "2.5"),
        &["`max_rows` must be a whole number", "not the number 2.5"],
        &["without a fractional part"],
    );
}

#[test]
fn negative_where_zero_or_more_is_wanted() {
    assert_problem(
        "negative_whole_number",
        ProblemKind::WrongShape,
        ("max_rows = -1", "-1"),
        &["`max_rows` must be a whole number of 0 or more", "not the number -1"],
        &["0 or a larger whole number"],
    );
}

#[test]
fn question_type_typo_lists_the_types_and_suggests_the_nearest() {
    assert_problem(
        "question_type_typo",
        ProblemKind::WrongShape,
        ("type = \"singlechoice\"", "\"singlechoice\""),
        &[
            "`singlechoice` is not one of the values `type` takes",
            "integer, decimal, text",
            "single_choice",
            "subdistrict or table",
        ],
        &["did you mean `single_choice`?"],
    );
}

#[test]
fn unknown_question_type_lists_the_types_without_a_guess() {
    let p = assert_problem(
        "question_type_unknown",
        ProblemKind::WrongShape,
        ("type = \"radio\"", "\"radio\""),
        &["`radio` is not one of the values `type` takes", "multiple_choice"],
        &["write one of them in quotes", "`type = \"integer\"`"],
    );
    assert!(!p.hint.unwrap_or_default().contains("did you mean"));
}

#[test]
fn text_where_a_list_is_wanted_shows_the_brackets() {
    assert_problem(
        "list_written_as_text",
        ProblemKind::WrongShape,
        ("languages = \"zh\"", "\"zh\""),
        &["`languages` must be a list in square brackets", "the text \"zh\""],
        &["`languages = [\"zh\"]`"],
    );
}

#[test]
fn bare_date_says_put_it_in_quotes() {
    assert_problem(
        "bare_date",
        ProblemKind::WrongShape,
        ("period_start = 2024-02-01", "2024-02-01"),
        &["`period_start` must be text in quotes", "the bare date 2024-02-01"],
        &["`period_start = \"2024-02-01\"`"],
    );
}

#[test]
fn number_where_text_is_wanted_says_put_it_in_quotes() {
    assert_problem(
        "number_for_text",
        ProblemKind::WrongShape,
        ("id = 1", "1"),
        &["`id` must be text in quotes", "not the number 1"],
        &["`id = \"1\"`"],
    );
}

#[test]
fn quoted_yes_where_a_boolean_is_wanted() {
    assert_problem(
        "wrong_value_type",
        ProblemKind::WrongShape,
        ("required = \"yes\"", "\"yes\""),
        &["`required` must be `true` or `false`", "the text \"yes\""],
        &["`required = true`", "without quotes"],
    );
}

#[test]
fn missing_key_names_the_table_it_is_missing_from() {
    let name = "missing_required_key";
    let (p, text) = the_problem(name, ProblemKind::WrongShape);
    // The fixture's `# expect: wrong-shape <line>` names the line of the table header.
    let line: usize = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .expect("an `# expect:` first line");
    let header = text.lines().nth(line - 1).expect("header line").trim();
    assert_eq!(header, "[[sections.questions]]");
    assert_eq!((p.at.line, p.at.column), (line, 1), "{p}");
    assert_words(
        name,
        &p,
        &["the table `[[sections.questions]]` lacks `type`", "required"],
        &["add `type = ...`"],
    );
}

// Expressions: Excel's and other languages' spellings are refused, with what to write.

#[test]
fn excel_not_equal_says_write_bang_equals() {
    assert_problem(
        "excel_not_equal",
        ProblemKind::ExpressionSyntax,
        ("relevant = \"employees <> 0\"", "<>"),
        &["relevant:", "`<>` is Excel's not-equal; write `!=`"],
        &[],
    );
}

#[test]
fn single_equals_is_refused_not_read_as_a_comparison() {
    assert_problem(
        "single_equals",
        ProblemKind::ExpressionSyntax,
        ("relevant = \"employees = 0\"", "= 0"),
        &["a single `=` is not a comparison", "write `==`"],
        &[],
    );
}

#[test]
fn upper_case_and_says_write_it_in_lower_case() {
    assert_problem(
        "upper_case_and",
        ProblemKind::ExpressionSyntax,
        ("AND employees", "AND"),
        &["`AND` is written in lower case: `and`"],
        &[],
    );
}

#[test]
fn excel_and_function_says_join_the_conditions() {
    assert_problem(
        "excel_and_function",
        ProblemKind::ExpressionSyntax,
        ("AND(employees", "AND("),
        &["`AND(...)` is Excel's", "join the conditions with `and`"],
        &[],
    );
}

#[test]
fn upper_case_true_in_an_expression_says_write_it_in_lower_case() {
    assert_problem(
        "upper_case_true",
        ProblemKind::ExpressionSyntax,
        ("relevant = \"TRUE\"", "TRUE"),
        &["`TRUE` is written in lower case: `true`"],
        &[],
    );
}

#[test]
fn double_ampersand_says_write_and() {
    assert_problem(
        "double_ampersand",
        ProblemKind::ExpressionSyntax,
        ("&& employees", "&&"),
        &["`&&`", "write `and`"],
        &[],
    );
}

#[test]
fn full_width_quotes_in_an_expression_show_the_text_in_plain_quotes() {
    assert_problem(
        "full_width_quotes_in_expression",
        ProblemKind::ExpressionSyntax,
        ("subdistrict == “dinghai”", "“"),
        &["`“` is a full-width quote", "Chinese input method", "`'dinghai'`"],
        &[],
    );
}

#[test]
fn text_closed_with_a_full_width_quote_says_which_quote_ends_it() {
    assert_problem(
        "text_closed_with_full_width_quote",
        ProblemKind::ExpressionSyntax,
        ("subdistrict == 'dinghai’", "'dinghai"),
        &["ends with `’`", "full-width quote", "end it with `'`"],
        &[],
    );
}

#[test]
fn full_width_operator_says_write_the_ascii_one() {
    assert_problem(
        "full_width_operator",
        ProblemKind::ExpressionSyntax,
        ("employees ＞ 0", "＞"),
        &["`＞` is a full-width character", "write `>`"],
        &[],
    );
}

#[test]
fn full_width_parenthesis_says_write_the_ascii_one() {
    assert_problem(
        "full_width_parenthesis",
        ProblemKind::ExpressionSyntax,
        ("sum（vacancies", "（"),
        &["`（` is a full-width character", "write `(`"],
        &[],
    );
}

#[test]
fn typographic_not_equal_says_write_bang_equals() {
    assert_problem(
        "typographic_not_equal",
        ProblemKind::ExpressionSyntax,
        ("employees ≠ 0", "≠"),
        &["`≠` is a typographic sign", "write `!=`"],
        &[],
    );
}

#[test]
fn upper_case_function_says_write_it_in_lower_case() {
    assert_problem(
        "upper_case_function",
        ProblemKind::ExpressionSyntax,
        ("SUM(vacancies", "SUM"),
        &["`SUM` is written in lower case: `sum(...)`"],
        &[],
    );
}

#[test]
fn excel_function_name_suggests_the_function_of_the_language() {
    assert_problem(
        "excel_function_name",
        ProblemKind::ExpressionSyntax,
        ("ISBLANK(employees", "ISBLANK"),
        &["unknown function `ISBLANK`", "did you mean `missing`?"],
        &[],
    );
}

#[test]
fn unquoted_chinese_text_says_put_it_in_quotes() {
    assert_problem(
        "unquoted_chinese_text",
        ProblemKind::ExpressionSyntax,
        ("subdistrict == 定海路街道", "定海路街道"),
        &["put text in quotes", "`'定海路街道'`"],
        &[],
    );
}

#[test]
fn shipped_definitions_load_without_problems() {
    let dir = workspace().join("survey-defs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no definitions in {}", dir.display());
    for path in files {
        match survey_def::load(&path) {
            Ok(_) => {}
            Err(DefinitionError::Invalid { problems, .. }) => {
                panic!("{} has problems:\n{}", path.display(), render(&problems))
            }
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn one_habit_on_a_line_is_told_once() {
    // Both curly quotes of each text are errors to the TOML reader; one problem names them.
    let path = workspace().join("tests/definitions/good/minimal.toml");
    let text = std::fs::read_to_string(&path).expect("read minimal.toml").replacen(
        "title = { zh = \"最小调查\", en = \"Minimal survey\" }",
        "title = { zh = “最小调查”, en = “Minimal survey” }",
        1,
    );
    let problems = match survey_def::load_str(&text, Path::new("quotes.toml")) {
        Err(DefinitionError::Invalid { problems, .. }) => problems,
        Ok(_) => panic!("loaded clean"),
        Err(other) => panic!("{other}"),
    };
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let p = &problems[0];
    assert_eq!((p.at.line, p.at.column), place(&text, "zh = “", "“"), "{p}");
    assert_words(
        "quotes.toml",
        p,
        &["`“` is a full-width quote", "`”`"],
        &["`title = { zh = \"最小调查\", en = \"Minimal survey\" }`"],
    );
}
