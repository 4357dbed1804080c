use super::*;

fn load(text: &str) -> Result<Pipeline, PipelineError> {
    Pipeline::load_str(text, Path::new("pipelines/weekly.toml"))
}

/// The problems of an invalid file, as `line:col: message`.
fn problems(text: &str) -> Vec<String> {
    match load(text) {
        Err(PipelineError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| format!("{}:{}: {}", p.at.line, p.at.column, p.message))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

const FULL: &str = r#"
definition = "../survey-defs/spring-2024.toml"
inputs = ["returns/", "late/**/*.xlsx"]
frame = "frame.csv"
previous = { dataset = "../archive/autumn-2023" }
output = "../out"
language = "en"

[gates]
min_response_rate = 0.5
min_stratum_response_rate = 0.2
max_rejected_share = 0.1
max_high_flags = 40
fail_on_new_high_flags = true
max_headline_cv = 0.3
"#;

#[test]
fn a_full_file_loads_with_paths_as_written() {
    let p = load(FULL).unwrap();
    assert_eq!(p.base, Path::new("pipelines"));
    assert_eq!(p.definition, Path::new("../survey-defs/spring-2024.toml"));
    assert_eq!(
        p.resolve(&p.definition),
        Path::new("pipelines/../survey-defs/spring-2024.toml")
    );
    assert_eq!(p.inputs, ["returns/", "late/**/*.xlsx"]);
    assert_eq!(p.previous, Some(Previous::Dataset("../archive/autumn-2023".into())));
    assert_eq!(p.language, Lang::En);
    assert_eq!(
        p.gates,
        Gates {
            min_response_rate: Some(0.5),
            min_stratum_response_rate: Some(0.2),
            max_rejected_share: Some(0.1),
            max_high_flags: Some(40),
            fail_on_new_high_flags: true,
            max_headline_cv: Some(0.3),
        }
    );
}

#[test]
fn the_least_file_has_a_definition_and_inputs() {
    let p = load("definition = \"d.toml\"\ninputs = [\"r\"]\n").unwrap();
    assert_eq!(p.language, Lang::Zh);
    assert_eq!(p.output, None);
    assert_eq!(p.previous, None);
    assert_eq!(p.gates, Gates::default());
}

#[test]
fn previous_returns_are_a_list_of_inputs() {
    let p = load("definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { inputs = [\"previous/returns.jsonl\"] }\n")
        .unwrap();
    assert_eq!(
        p.previous,
        Some(Previous::Inputs(vec!["previous/returns.jsonl".into()]))
    );
}

#[test]
fn the_previous_wave_may_name_its_definition_and_an_id_mapping() {
    let p = load(
        "definition = \"autumn.toml\"\ninputs = [\"r\"]\nprevious = { dataset = \"spring/dataset\", definition = \"../survey-defs/spring-2024.toml\", ids = \"id-map.csv\" }\n",
    )
    .unwrap();
    assert_eq!(p.previous, Some(Previous::Dataset("spring/dataset".into())));
    assert_eq!(
        p.previous_definition.map(|d| p.base.join(d)),
        Some(PathBuf::from("pipelines/../survey-defs/spring-2024.toml"))
    );
    assert_eq!(p.previous_ids, Some(PathBuf::from("id-map.csv")));
    let p =
        load("definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { inputs = [\"p/\"], definition = \"p.toml\" }\n")
            .unwrap();
    assert_eq!(p.previous, Some(Previous::Inputs(vec!["p/".into()])));
    assert_eq!(p.previous_definition, Some(PathBuf::from("p.toml")));
    assert_eq!(p.previous_ids, None);
    // Without them the previous wave is this definition's, with its own ids.
    let p = load("definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { inputs = [\"p/\"] }\n").unwrap();
    assert_eq!((p.previous_definition, p.previous_ids), (None, None));
}

#[test]
fn an_empty_previous_definition_or_mapping_is_located() {
    let text =
        "definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { inputs = [\"p/\"], definition = \" \", ids = \"\" }\n";
    assert_eq!(
        problems(text),
        [
            "3:31: `previous.definition` is empty: name the definition the previous wave was ingested with, or leave the key out to use `definition`",
            "3:49: `previous.ids` is empty: name the id mapping (CSV `previous_id,current_id`) or leave the key out",
        ]
    );
}

#[test]
fn unknown_keys_are_located_with_a_hint() {
    let text =
        "definition = \"d.toml\"\ninputs = [\"r\"]\nframe = \"f.csv\"\n\n[gates]\nmin_respons_rate = 0.5\nmax_cv = 1\n";
    assert_eq!(
        problems(text),
        [
            "6:1: unknown key `min_respons_rate` in `gates`; did you mean `min_response_rate`?",
            "7:1: unknown key `max_cv` in `gates`; see \"Scheduled runs\" in README.md for the keys",
        ]
    );
}

#[test]
fn an_unknown_key_in_previous_is_located() {
    let text = "definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { datasets = \"x\" }\n";
    let found = problems(text);
    assert!(
        found.contains(&"3:14: unknown key `datasets` in `previous`; did you mean `dataset`?".to_owned()),
        "{found:?}"
    );
}

#[test]
fn a_syntax_error_is_located() {
    let found = problems("definition = \"d.toml\"\ninputs = [\"r\"\n");
    assert!(found[0].starts_with("2:"), "{found:?}");
    let found = problems("definition = \"d.toml\"\ninputs = [\"r\"]\n[gates\n");
    assert!(found[0].starts_with("3:"), "{found:?}");
}

#[test]
fn a_wrong_type_is_located_at_the_value() {
    let found = problems("definition = \"d.toml\"\ninputs = \"returns\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("2:10: "), "{found:?}");
    let found = problems("definition = \"d.toml\"\ninputs = [\"r\"]\nlanguage = \"fr\"\n");
    assert!(found[0].starts_with("3:12: "), "{found:?}");
}

#[test]
fn a_missing_definition_is_named() {
    let found = problems("inputs = [\"r\"]\n");
    assert!(found[0].contains("definition"), "{found:?}");
}

#[test]
fn settings_that_cannot_work_are_located() {
    let text = "definition = \"d.toml\"\ninputs = []\nprevious = {}\n[gates]\nmin_response_rate = 1.5\nmax_headline_cv = -0.1\nfail_on_new_high_flags = false\nmin_stratum_response_rate = 0.2\n";
    assert_eq!(
        problems(text),
        [
            "2:1: `inputs` is empty: name return files, folders or patterns",
            "3:1: `previous` needs `dataset = \"FOLDER\"` (an ingested dataset) or `inputs = [...]` (returns)",
            "5:1: `gates.min_response_rate` is 1.5: a share is between 0 and 1",
            "5:1: `gates.min_response_rate` needs a `frame`: response rates are measured against it",
            "6:1: `gates.max_headline_cv` is -0.1: a coefficient of variation is 0 or more",
            "8:1: `gates.min_stratum_response_rate` needs a `frame`: response rates are measured against it",
        ]
    );
}

#[test]
fn new_flags_need_a_previous_wave_and_patterns_must_parse() {
    let text = "definition = \"d.toml\"\ninputs = [\"returns/[a\"]\n[gates]\nfail_on_new_high_flags = true\n";
    let found = problems(text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("2:1: `inputs`: `returns/[a` is not a valid pattern"),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "4:1: `gates.fail_on_new_high_flags` needs a `previous` wave to compare with"
    );
}

#[test]
fn both_kinds_of_previous_are_refused() {
    let text = "definition = \"d.toml\"\ninputs = [\"r\"]\nprevious = { dataset = \"d\", inputs = [\"p\"] }\n";
    assert_eq!(
        problems(text),
        ["3:1: `previous` names both a `dataset` and `inputs`: keep one"]
    );
}

#[test]
fn problems_print_as_file_line_col() {
    let err = load("definition = \"d.toml\"\ninputs = [\"r\"]\noutputs = \"x\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "pipelines/weekly.toml:3:1: unknown key `outputs`; did you mean `output`?"
    );
}
