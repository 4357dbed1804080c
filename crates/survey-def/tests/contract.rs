//! Whether returns made from an earlier definition read under a later one: each kind of
//! change to the minimal definition (`tests/definitions/good/minimal.toml`), with the
//! verdict worked out from what a reader of the earlier returns would meet.

use std::path::Path;
use survey_def::contract::{Verdict, compare};
use survey_def::{Definition, load_str};

fn minimal_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/definitions/good/minimal.toml"
    ))
    .unwrap()
}

fn load(text: &str) -> Definition {
    load_str(text, Path::new("variant.toml")).unwrap_or_else(|e| panic!("the variant loads: {e}"))
}

/// The minimal definition with `from` replaced by `to` (once).
fn variant(from: &str, to: &str) -> Definition {
    let text = minimal_text();
    assert!(text.contains(from), "minimal.toml holds `{from}`");
    load(&text.replacen(from, to, 1))
}

#[test]
fn the_same_contract_is_compatible_with_no_difference() {
    let old = load(&minimal_text());
    let relabelled = variant(r#"zh = "现有职工人数""#, r#"zh = "现有在职职工人数""#);
    assert_eq!(old.fingerprint, relabelled.fingerprint);
    assert_eq!(compare(&old, &relabelled), (Verdict::Compatible, Vec::new()));
}

#[test]
fn a_new_optional_question_or_option_is_compatible() {
    let old = load(&minimal_text());
    let new = variant(
        "[[sections.questions]]\nid = \"subsidy_aware\"",
        "[[sections.questions]]\nid = \"remarks\"\ntype = \"text\"\nlabel = { zh = \"备注\", en = \"Remarks\" }\n\n[[sections.questions]]\nid = \"subsidy_aware\"",
    );
    let (verdict, diffs) = compare(&old, &new);
    assert_eq!(verdict, Verdict::Compatible);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].item, "remarks");
    assert_ne!(old.fingerprint, new.fingerprint, "the contract did change");

    let more_channels = variant(
        r#"{ code = "job_fair", label = { zh = "招聘会", en = "Job fair" }, service = "II" },"#,
        r#"{ code = "job_fair", label = { zh = "招聘会", en = "Job fair" }, service = "II" },
  { code = "radio", label = { zh = "广播", en = "Radio" } },"#,
    );
    let (verdict, diffs) = compare(&old, &more_channels);
    assert_eq!(verdict, Verdict::Compatible);
    assert!(diffs[0].change.contains("`radio`"), "{diffs:?}");
}

#[test]
fn a_removed_question_or_code_needs_a_mapping() {
    let old = load(&minimal_text());
    // `planned_reductions` renamed: the earlier returns answer an id the new form lacks.
    let text = minimal_text().replace("planned_reductions", "reductions_planned");
    let renamed = load(&text);
    let (verdict, diffs) = compare(&old, &renamed);
    assert_eq!(verdict, Verdict::NeedsMapping);
    let items: Vec<&str> = diffs.iter().map(|d| d.item.as_str()).collect();
    assert_eq!(
        items,
        ["reductions_planned", "planned_reductions"],
        "new first, in questionnaire order, removed last"
    );
    assert_eq!(diffs[1].verdict, Verdict::NeedsMapping);

    let recoded = variant(r#"code = "job_fair""#, r#"code = "fair""#);
    let (verdict, diffs) = compare(&old, &recoded);
    assert_eq!(verdict, Verdict::NeedsMapping);
    assert!(
        diffs
            .iter()
            .any(|d| d.item == "subsidy_channel" && d.change.contains("`job_fair`")),
        "{diffs:?}"
    );
}

#[test]
fn a_new_required_question_needs_a_mapping_and_a_new_type_is_unreadable() {
    let old = load(&minimal_text());
    let now_required = variant(
        "id = \"subsidy_aware\"\ntype = \"boolean\"",
        "id = \"subsidy_aware\"\ntype = \"boolean\"\nrequired = true",
    );
    // Not a contract change: an earlier answer reads the same; the rule is checked anew.
    assert_eq!(compare(&old, &now_required), (Verdict::Compatible, Vec::new()));

    let new_required = variant(
        "[[sections.questions]]\nid = \"subsidy_aware\"",
        "[[sections.questions]]\nid = \"contact\"\ntype = \"text\"\nlabel = { zh = \"联系人\", en = \"Contact\" }\nrequired = true\n\n[[sections.questions]]\nid = \"subsidy_aware\"",
    );
    let (verdict, diffs) = compare(&old, &new_required);
    assert_eq!(
        verdict,
        Verdict::NeedsMapping,
        "earlier returns would all miss a required answer"
    );
    assert!(diffs[0].change.contains("required"), "{diffs:?}");

    let retyped = variant(
        "id = \"occupation\"\ntype = \"occupation_code\"",
        "id = \"occupation\"\ntype = \"text\"",
    );
    let (verdict, diffs) = compare(&old, &retyped);
    assert_eq!(verdict, Verdict::Unreadable);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].item, "vacancies.occupation");
    assert_eq!(diffs[0].change, "was occupation_code, is text");

    // A whole number reads as a decimal.
    let decimal = variant(
        "id = \"openings\"\ntype = \"integer\"",
        "id = \"openings\"\ntype = \"decimal\"",
    );
    let (verdict, diffs) = compare(&old, &decimal);
    assert_eq!(verdict, Verdict::Compatible);
    assert_eq!(diffs[0].item, "vacancies.openings");
}
