//! Tests on small hand-made datasets under the shipped spring 2024 definition. Every
//! expected value is worked out in the comments from the definition's rules and
//! parameters (layoff 20 persons or 10%, arrears escalation at 2 months or 500,000 yuan).

use super::*;
use crate::dataset::{Dataset, TableLines, texts_of};
use crate::previous::{PreviousWave, WaveMatch};
use crate::report::book::{Cell, Sheet};
use crate::sample::Sample;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use survey_def::{Definition, Lang};

fn definition() -> Definition {
    survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
}

fn ints(name: &str, values: &[Option<i64>]) -> Column {
    Column::from(Series::new(name.into(), values))
}

fn texts(name: &str, values: &[Option<&str>]) -> Column {
    Column::from(Series::new(name.into(), values))
}

/// A dataset of returns given in enterprise-id order (as `Dataset::read` leaves them).
fn dataset(ids: &[&str], mut columns: Vec<Column>, tables: HashMap<String, TableLines>) -> Dataset {
    columns.insert(0, Column::from(Series::new("uscc".into(), ids)));
    let responses = DataFrame::new_infer_height(columns).unwrap();
    let enterprise_ids: Vec<String> = texts_of(&responses, "uscc").into_iter().flatten().collect();
    let row_of = enterprise_ids.iter().enumerate().map(|(i, e)| (e.clone(), i)).collect();
    Dataset {
        dir: PathBuf::new(),
        responses,
        enterprise_ids,
        row_of,
        tables,
        counts: None,
        latest_submission: None,
    }
}

/// The vacancy table with `lines` (row of the return, openings).
fn vacancy_table(lines: &[(usize, i64)], returns: usize) -> HashMap<String, TableLines> {
    let openings: Vec<i64> = lines.iter().map(|(_, o)| *o).collect();
    let owner: Vec<usize> = lines.iter().map(|(r, _)| *r).collect();
    let mut by_owner = vec![Vec::new(); returns];
    for (l, &r) in owner.iter().enumerate() {
        by_owner[r].push(l);
    }
    let lines = DataFrame::new_infer_height(vec![Column::from(Series::new("openings".into(), openings))]).unwrap();
    HashMap::from([("vacancies".to_owned(), TableLines { lines, owner, by_owner })])
}

fn rule_index(def: &Definition, id: &str) -> usize {
    def.risk_rules().iter().position(|r| r.id == id).unwrap()
}

fn run(def: &Definition, data: &Dataset, previous: Option<&Dataset>) -> (Book, RiskSummary) {
    let sample = Sample::build(def, &data.enterprise_ids, None).unwrap();
    let ctx = Context::new(def, def.analysis().unwrap(), Lang::En, data, &sample, None);
    let wave = previous.map(|p| same_definition(def, p));
    risk_report(&ctx, wave.as_ref())
}

/// The previous wave `data`, ingested with `def` as this one.
fn same_definition<'a>(def: &'a Definition, data: &'a Dataset) -> PreviousWave<'a> {
    PreviousWave::new(WaveMatch::between(def, def), def, data)
}

fn sheet<'a>(book: &'a Book, table: &str) -> &'a Sheet {
    book.sheets.iter().find(|s| s.table.name == table).unwrap()
}

fn text(cell: &Cell) -> &str {
    match cell {
        Cell::Text(t) => t,
        other => panic!("expected text, found {other:?}"),
    }
}

#[test]
fn economic_layoff_trips_at_20_persons_or_a_tenth_of_the_staff() {
    let def = definition();
    let data = dataset(
        &["A", "B", "C", "D", "E"],
        vec![
            ints("employees_now", &[Some(1000), Some(100), Some(100), Some(1000), None]),
            // A: 20 >= 20. B: 10 >= 0.1 x 100. C: 9 < 20 and 9 < 10. D: 19 < 20 and
            // 19 < 100. E: 5 < 20, and 10% of an unknown headcount is unknown.
            ints("planned_reductions", &[Some(20), Some(10), Some(9), Some(19), Some(5)]),
            texts(
                "reduction_reasons",
                &[Some("orders_down;costs_up"), None, None, None, None],
            ),
        ],
        HashMap::new(),
    );
    let assessment = assess(&def, Lang::En, &data);
    let layoff = rule_index(&def, "economic_layoff");
    let verdicts: Vec<Verdict> = (0..5).map(|row| assessment.verdict(row, layoff)).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Tripped,
            Verdict::Tripped,
            Verdict::Clear,
            Verdict::Clear,
            Verdict::Undecided
        ]
    );
    let evidence = &assessment
        .flags
        .iter()
        .find(|f| f.row == 0 && f.rule == layoff)
        .unwrap()
        .evidence;
    assert_eq!(
        evidence,
        "Planned reductions: 20; Employees now: 1000; \
         Reasons for the reductions (tick all that apply): Fewer orders or less business, Rising costs"
    );
}

#[test]
fn wage_arrears_trip_and_escalate_past_two_months() {
    let def = definition();
    let data = dataset(
        &["A", "B", "C"],
        vec![
            texts(
                "wage_payment",
                &[Some("in_arrears"), Some("in_arrears"), Some("paid_on_time")],
            ),
            ints("arrears_workers", &[Some(12), Some(3), None]),
            ints("arrears_amount", &[Some(60000), Some(9000), None]),
            // A: 1 month and 60,000 yuan are under both escalation thresholds; B: 3 >= 2.
            ints("arrears_months", &[Some(1), Some(3), None]),
        ],
        HashMap::new(),
    );
    let assessment = assess(&def, Lang::En, &data);
    let arrears = rule_index(&def, "wage_arrears");
    let escalated = rule_index(&def, "wage_arrears_escalated");
    assert!(assessment.tripped(0, arrears) && assessment.tripped(1, arrears));
    assert_eq!(assessment.verdict(2, arrears), Verdict::Clear);
    assert_eq!(assessment.verdict(0, escalated), Verdict::Clear);
    assert!(assessment.tripped(1, escalated));
    let evidence = &assessment
        .flags
        .iter()
        .find(|f| f.row == 0 && f.rule == arrears)
        .unwrap()
        .evidence;
    assert_eq!(
        evidence,
        "Workers owed wages: 12; Wages owed: 60000; Months in arrears: 1; \
         of whom: rural migrant workers: not answered"
    );
}

#[test]
fn the_enterprise_list_runs_by_severity_then_size_then_id_then_rule() {
    let def = definition();
    let data = dataset(
        &["X1", "X2", "X3", "X4", "X5"],
        vec![
            texts("name", &[Some("=HYPERLINK(\"x\")"), None, Some("Big Co"), None, None]),
            texts("industry", &[Some("13"), None, None, None, None]),
            texts("subdistrict", &[Some("siping"), None, None, None, None]),
            ints("employees_now", &[Some(50), Some(500), Some(500), Some(50), None]),
            ints("planned_reductions", &[Some(0), Some(0), Some(60), Some(0), None]),
            texts(
                "wage_payment",
                &[
                    Some("in_arrears"),
                    Some("paid_on_time"),
                    Some("in_arrears"),
                    Some("in_arrears"),
                    Some("in_arrears"),
                ],
            ),
            texts(
                "operating_status",
                &[
                    Some("normal"),
                    Some("partly_stopped"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                ],
            ),
        ],
        HashMap::new(),
    );
    let (book, summary) = run(&def, &data, None);
    let list = sheet(&book, "RiskEnterprises");
    let order: Vec<(&str, &str)> = list.table.rows.iter().map(|r| (text(&r[0]), text(&r[5]))).collect();
    // High first: X3 (500 employees; layoff before arrears in rule order), then the
    // 50-employee X1 and X4 by id, then X5 whose size is unknown; then X2's medium flag.
    assert_eq!(
        order,
        [
            ("X3", "economic_layoff"),
            ("X3", "wage_arrears"),
            ("X1", "wage_arrears"),
            ("X4", "wage_arrears"),
            ("X5", "wage_arrears"),
            ("X2", "production_stopped"),
        ]
    );
    let x1 = &list.table.rows[2];
    // Text from a return stays text, formula-like or not; industry 13 is in section C.
    assert_eq!(x1[1], Cell::text("=HYPERLINK(\"x\")"));
    assert_eq!(x1[2], Cell::text("Manufacturing"));
    assert_eq!(x1[3], Cell::text("Siping Road Sub-district"));
    assert_eq!(x1[4], Cell::Number(50.0));
    assert_eq!(x1[7], Cell::text("high"));
    assert_eq!(list.table.rows[5][7], Cell::text("medium"));
    assert_eq!(summary.enterprises_assessed, 5);
    assert_eq!(summary.enterprises_flagged, 5);
    assert_eq!(
        summary.flags_by_severity,
        SeverityCounts {
            high: 5,
            medium: 1,
            low: 0
        }
    );
    assert!(summary.previous.is_none());
}

#[test]
fn the_share_flagged_is_the_flagged_among_all_respondents() {
    let def = definition();
    let data = dataset(
        &["A", "B", "C", "D", "E"],
        vec![
            ints("employees_now", &[Some(30), Some(40), Some(70), Some(10), Some(20)]),
            texts(
                "wage_payment",
                &[
                    Some("in_arrears"),
                    Some("paid_on_time"),
                    Some("in_arrears"),
                    Some("paid_on_time"),
                    None,
                ],
            ),
        ],
        HashMap::new(),
    );
    let (book, summary) = run(&def, &data, None);
    let by_rule = sheet(&book, "RiskByRule");
    let row = |measure: &str| {
        by_rule
            .table
            .rows
            .iter()
            .find(|r| text(&r[0]) == measure && text(&r[1]) == "wage_arrears")
            .unwrap()
    };
    // Unweighted, no frame: A and C of five enterprises, E (no answer) counted as not
    // flagged: 2 / 5 = 0.4 over 5 enterprises, but the two flagged are below the threshold
    // of 3 for the count of yes, so the share is suppressed.
    let share = row("Share of enterprises flagged");
    assert_eq!(share[3], Cell::Suppressed);
    assert_eq!(share[8], Cell::Number(5.0));
    let any = by_rule
        .table
        .rows
        .iter()
        .find(|r| text(&r[1]) == "economic_layoff")
        .unwrap();
    assert_eq!(any[8], Cell::Number(5.0));
    // Employment at risk, 30 + 70, rests on two flagged enterprises: below the threshold
    // of 3, so it is suppressed even though the line has five enterprises.
    let employment = row("Employment at risk");
    assert_eq!(employment[3], Cell::Suppressed);
    let chart = by_rule.chart.as_ref().unwrap();
    assert_eq!(chart.rows, 1..def.risk_rules().len() + 1);
    assert_eq!(text(&by_rule.table.rows[1][1]), def.risk_rules()[0].id);
    let arrears = summary.flags.iter().find(|c| c.rule == "wage_arrears").unwrap();
    assert_eq!((arrears.count, arrears.severity), (2, Severity::High));
}

#[test]
fn new_flags_are_those_the_same_enterprise_did_not_trip_before() {
    let def = definition();
    // E1 arrears now, paid on time before: new. E2 in arrears in both: not new. E3
    // partly stopped now, status unanswered before (undecided): new. E8 is not in the
    // previous wave, so it has no "before" to compare with.
    let now = dataset(
        &["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"],
        vec![
            ints(
                "employees_now",
                &[
                    Some(98),
                    Some(51),
                    Some(80),
                    Some(118),
                    Some(600),
                    Some(10),
                    None,
                    Some(5),
                ],
            ),
            texts(
                "wage_payment",
                &[
                    Some("in_arrears"),
                    Some("in_arrears"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("in_arrears"),
                ],
            ),
            texts(
                "operating_status",
                &[
                    Some("normal"),
                    Some("normal"),
                    Some("partly_stopped"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                ],
            ),
        ],
        // E1: 3 + 2 = 5 openings, E2: 4, the others none.
        vacancy_table(&[(0, 3), (0, 2), (1, 4)], 8),
    );
    let before = dataset(
        &["E1", "E2", "E3", "E4", "E5", "E6", "E7", "P9"],
        vec![
            ints(
                "employees_now",
                &[
                    Some(100),
                    Some(50),
                    Some(80),
                    Some(120),
                    Some(60),
                    Some(0),
                    Some(30),
                    Some(40),
                ],
            ),
            texts(
                "wage_payment",
                &[
                    Some("paid_on_time"),
                    Some("in_arrears"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("paid_on_time"),
                    Some("in_arrears"),
                ],
            ),
            texts(
                "operating_status",
                &[
                    Some("normal"),
                    Some("normal"),
                    None,
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                    Some("normal"),
                ],
            ),
        ],
        vacancy_table(&[(0, 5), (1, 1)], 8),
    );
    let (book, summary) = run(&def, &now, Some(&before));
    let wave = summary.previous.unwrap();
    assert_eq!(wave.enterprises_matched, 7);
    let new_high: Vec<(&str, u64)> = wave
        .new_flags
        .iter()
        .filter(|r| r.severity == Severity::High && r.count > 0)
        .map(|r| (r.rule.as_str(), r.count))
        .collect();
    assert_eq!(new_high, [("wage_arrears", 1)]);
    assert_eq!(
        wave.new_flags_by_severity,
        SeverityCounts {
            high: 1,
            medium: 1,
            low: 0
        }
    );
    let new = sheet(&book, "RiskNewFlags");
    let listed: Vec<(&str, &str, &str)> = new
        .table
        .rows
        .iter()
        .map(|r| (text(&r[0]), text(&r[5]), text(&r[11])))
        .collect();
    assert_eq!(
        listed,
        [
            ("E1", "wage_arrears", "not tripped"),
            ("E3", "production_stopped", "undecided (answers missing)"),
        ]
    );

    // Headcount pairs (x, y) with both > 0: E1 (100, 98), E2 (50, 51), E3 (80, 80),
    // E4 (120, 118), E5 (60, 600). E3 did not change; four did, fewer than the 10 the
    // screen needs (DOMAIN.md), so no outlier is judged and the sheet says why. E6 (0
    // before) and E7 (no answer now) are not assessed.
    assert_eq!(wave.headcount_outliers, 0);
    assert_eq!(wave.headcount_not_assessed, 6);
    assert_eq!(
        wave.headcount_screen_not_run.as_deref(),
        Some("only 4 enterprises changed between the waves; the screen needs at least 10")
    );
    // Vacancies: E1 (5, 5) unchanged and E2 (1, 4) changed; the other five have 0 in a wave.
    assert_eq!(wave.vacancy_outliers, Some(0));
    assert_eq!(wave.vacancies_not_assessed, Some(6));

    let change = sheet(&book, "RiskWaveChange");
    assert!(change.table.rows.is_empty());
    assert!(
        change.intro[1].starts_with("7 enterprises matched"),
        "{:?}",
        change.intro
    );
    assert!(
        change.table.footnotes[0].contains("only 4 enterprises changed between the waves, fewer than the 10"),
        "{:?}",
        change.table.footnotes
    );

    // The cells of the matched enterprises, as they would read.
    let sample = Sample::build(&def, &now.enterprise_ids, None).unwrap();
    let ctx = Context::new(&def, def.analysis().unwrap(), Lang::En, &now, &sample, None);
    let waves = super::waves::compare(&ctx, &same_definition(&def, &before));
    let vacancies = waves.vacancies.as_ref().unwrap();
    let cells = |i: usize| -> Vec<Cell> {
        let mut cells = super::waves::change_cells(&waves.headcount, i, Lang::En).to_vec();
        cells.extend(super::waves::change_cells(vacancies, i, Lang::En));
        cells
    };
    assert!(!(0..7).any(|i| super::waves::is_outlier(&waves, i)));
    // E1: headcount 100 -> 98: change -2, -2%; vacancies 5 -> 5.
    let e1 = cells(0);
    assert_eq!(
        &e1[0..3],
        &[Cell::Number(100.0), Cell::Number(98.0), Cell::Number(-2.0)]
    );
    let Cell::Number(rate) = e1[3] else {
        panic!("{:?}", e1[3])
    };
    assert!((rate + 0.02).abs() < 1e-12);
    assert_eq!(e1[4], Cell::text("not assessed"));
    assert_eq!(&e1[5..7], &[Cell::Number(5.0), Cell::Number(5.0)]);
    assert_eq!(e1[9], Cell::text("unchanged"));
    assert_eq!(cells(2)[4], Cell::text("unchanged"));
    // E5 has no vacancy line in either wave: 0 and 0, written as 0 and not -0, not assessed.
    let e5 = cells(4);
    assert!(matches!(e5[6], Cell::Number(v) if v == 0.0 && v.is_sign_positive()));
    assert_eq!(e5[9], Cell::text("not assessed: 0 in a wave"));
    assert_eq!(cells(5)[4], Cell::text("not assessed: 0 in a wave"));
    assert_eq!(cells(6)[4], Cell::text("not assessed: not answered in a wave"));
}

/// A wave where most firms keep their headcount (DOMAIN.md, Hidiroglou-Berthelot): 30
/// enterprises unchanged, 12 changed by a person or two, one halved. Only the halving is
/// listed; the small changes are below the floors (3 persons and 10%) and inside the band
/// of the changed firms' effects.
#[test]
fn the_wave_screen_lists_real_changes_where_most_headcounts_are_unchanged() {
    let def = definition();
    let ids: Vec<String> = (0..43).map(|i| format!("E{i:02}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut before: Vec<Option<i64>> = Vec::new();
    let mut now: Vec<Option<i64>> = Vec::new();
    for i in 0..30 {
        before.push(Some(20 + i));
        now.push(Some(20 + i));
    }
    // Twelve changes of -1, +1, -2 or +2 persons on 100 to 111 employees.
    for i in 0..12 {
        let x = 100 + i;
        before.push(Some(x));
        now.push(Some(x + [-1, 1, -2, 2][i as usize % 4]));
    }
    before.push(Some(400));
    now.push(Some(200));
    let wave = |values: &[Option<i64>]| dataset(&id_refs, vec![ints("employees_now", values)], HashMap::new());
    let (now, before) = (wave(&now), wave(&before));
    let (book, summary) = run(&def, &now, Some(&before));
    let wave = summary.previous.unwrap();
    assert_eq!(wave.enterprises_matched, 43);
    assert_eq!(wave.headcount_outliers, 1);
    assert_eq!(wave.headcount_screen_not_run, None);
    let change = sheet(&book, "RiskWaveChange");
    let listed: Vec<&str> = change.table.rows.iter().map(|r| text(&r[0])).collect();
    assert_eq!(listed, ["E42"]);
    assert!(
        change.table.footnotes[0].contains("30 unchanged"),
        "{:?}",
        change.table.footnotes
    );
    assert!(
        change.table.footnotes[0]
            .contains("13 changed enterprises assessed, 1 outliers, 12 with a change below the floor"),
        "{:?}",
        change.table.footnotes
    );

    // Without the floors the quartiles still leave the unchanged out: the small changes
    // sit inside the band of the changed firms' effects, and only the halving is outside.
    let sample = Sample::build(&def, &now.enterprise_ids, None).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
    let text = std::fs::read_to_string(&shipped).unwrap()
        + "\n[analysis.outliers]\nheadcount_floor_share = 0.0\nheadcount_floor_persons = 0.0\n";
    let no_floors = survey_def::load_str(&text, &shipped).unwrap();
    let ctx = Context::new(&no_floors, no_floors.analysis().unwrap(), Lang::En, &now, &sample, None);
    let waves = super::waves::compare(&ctx, &same_definition(&no_floors, &before));
    let outliers: Vec<usize> = (0..43).filter(|&i| super::waves::is_outlier(&waves, i)).collect();
    assert_eq!(outliers, [42]);
}

#[test]
fn numbers_show_without_a_trailing_zero() {
    assert_eq!(number_text(20.0), "20");
    assert_eq!(number_text(-0.0), "0");
    assert_eq!(number_text(0.25), "0.25");
    assert_eq!(number_text(0.1 + 0.2), "0.3");
    assert_eq!(number_text(1234567.5), "1234567.5");
}

/// The shipped definition with one more rule comparing the headcount with the previous
/// wave's.
fn with_previous_rule() -> Definition {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml");
    let text = std::fs::read_to_string(&shipped).unwrap()
        + r#"
[[risk_rules]]
id = "headcount_fall_since_last_wave"
label = { zh = "职工人数较上期大幅下降", en = "Headcount down since the last wave" }
severity = "medium"
when = "employees_now < 0.8 * previous(employees_now)"
reason = { zh = "较上期减少20%以上。", en = "Down a fifth or more since the last wave." }
evidence = ["employees_now"]
"#;
    survey_def::load_str(&text, &shipped).unwrap()
}

#[test]
fn previous_reads_the_same_enterprise_in_the_previous_wave() {
    let def = with_previous_rule();
    let rule = rule_index(&def, "headcount_fall_since_last_wave");
    // A: 79 < 0.8 x 100 = 80, trips. B: 80 is not below 80. C: no return before, so its
    // previous headcount is missing and the rule is undecided. D: no headcount now.
    // E: in the previous wave only.
    let now = dataset(
        &["A", "B", "C", "D"],
        vec![ints("employees_now", &[Some(79), Some(80), Some(50), None])],
        HashMap::new(),
    );
    let before = dataset(
        &["A", "B", "D", "E"],
        vec![ints("employees_now", &[Some(100), Some(100), Some(40), Some(10)])],
        HashMap::new(),
    );
    let wave = same_definition(&def, &before);
    let assessment = assess_with_previous(&def, Lang::En, &now, Some(&wave));
    let verdicts: Vec<Verdict> = (0..4).map(|row| assessment.verdict(row, rule)).collect();
    assert_eq!(
        verdicts,
        [Verdict::Tripped, Verdict::Clear, Verdict::Undecided, Verdict::Undecided]
    );
    let flag = assessment.flags.iter().find(|f| f.rule == rule).unwrap();
    assert_eq!(flag.row, 0);
    assert_eq!(flag.evidence, "Employees now: 79; Employees now (previous wave): 100");
    // Without a previous wave nothing can be compared.
    let alone = assess(&def, Lang::En, &now);
    assert!((0..4).all(|row| alone.verdict(row, rule) == Verdict::Undecided));

    // The rule compares the waves itself, so it says nothing of what is new; the others do.
    let (_, summary) = run(&def, &now, Some(&before));
    let wave = summary.previous.unwrap();
    assert_eq!(wave.rules_not_compared, ["headcount_fall_since_last_wave"]);
    assert!(
        wave.new_flags
            .iter()
            .all(|c| c.rule != "headcount_fall_since_last_wave" || c.count == 0)
    );
}
