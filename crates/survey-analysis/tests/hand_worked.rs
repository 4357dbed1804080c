//! Small examples worked by hand, with the arithmetic written out next to each expectation.
//!
//! The toy design: stratum A has N = 10 enterprises of which 3 responded (y = 2, 4, 6;
//! weight 10/3), stratum B has N = 4 of which 2 responded (y = 1, 3; weight 2).
//! Classical stratified formulas: Y = sum_h N_h ȳ_h, Var(Y) = sum_h N_h² (1 - n_h/N_h) s_h² / n_h.

use std::collections::BTreeMap;

use survey_analysis::{
    CellStatus, Contributions, DisclosureRules, EstimateError, EstimateNote, HbParameters, StratifiedDesign,
    SuppressionReason, hidiroglou_berthelot,
};

/// t quantile 0.975 with 3 degrees of freedom, from a printed t table (R: qt(0.975, 3)).
const T_975_DF3: f64 = 3.182_446_305_284_263;

fn close(ours: f64, expected: f64) {
    assert!(
        (ours - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "ours {ours}, expected {expected}"
    );
}

fn toy() -> StratifiedDesign<&'static str> {
    let frame = BTreeMap::from([("A", 10), ("B", 4)]);
    StratifiedDesign::builder(&["A", "A", "A", "B", "B"])
        .population(&frame)
        .build()
        .unwrap()
}

const Y: [f64; 5] = [2.0, 4.0, 6.0, 1.0, 3.0];

#[test]
fn toy_total_se_and_interval() {
    let total = toy().total(&Y).unwrap();
    // Y = 10 * mean(2, 4, 6) + 4 * mean(1, 3) = 40 + 8.
    close(total.value, 48.0);
    // A: s² = (4 + 0 + 4) / 2 = 4, 10² * (1 - 3/10) * 4 / 3 = 280/3.
    // B: s² = (1 + 1) / 1 = 2, 4² * (1 - 2/4) * 2 / 2 = 8.
    let se = (280.0_f64 / 3.0 + 8.0).sqrt(); // 10.0664...
    close(total.se.unwrap(), se);
    assert_eq!(total.df, 5 - 2);
    close(total.ci_low.unwrap(), 48.0 - T_975_DF3 * se);
    close(total.ci_high.unwrap(), 48.0 + T_975_DF3 * se);
    close(total.cv.unwrap(), se / 48.0); // 0.21: no caution
    assert!(!total.caution);
    assert_eq!(total.n, 5);
    assert!(total.notes.is_empty());
}

#[test]
fn toy_mean_is_total_over_population() {
    // N = 14 is known, so mean = 48/14 and its SE is the total's SE / 14.
    let mean = toy().mean(&Y).unwrap();
    close(mean.value, 48.0 / 14.0);
    close(mean.se.unwrap(), (280.0_f64 / 3.0 + 8.0).sqrt() / 14.0);
}

#[test]
fn toy_ratio_by_linearisation() {
    let x = [10.0, 20.0, 30.0, 10.0, 30.0];
    let ratio = toy().ratio(&Y, &x).unwrap();
    // X = 10/3 * 60 + 2 * 40 = 280, R = 48/280 = 6/35.
    close(ratio.value, 6.0 / 35.0);
    // Residuals y - R x: A 2/7, 4/7, 6/7 (s² = 4/49); B -5/7, -15/7 (s² = 50/49).
    // Var(R) = [10² * 0.7 * (4/49) / 3 + 4² * 0.5 * (50/49) / 2] / 280².
    let variance: f64 = (100.0 * 0.7 * (4.0 / 49.0) / 3.0 + 16.0 * 0.5 * (50.0 / 49.0) / 2.0) / (280.0 * 280.0);
    close(ratio.se.unwrap(), variance.sqrt());
}

#[test]
fn toy_domain_total_keeps_all_rows() {
    // Domain: units 0, 1 and 4. y_d = 2, 4, 0 | 0, 3.
    let domain = [true, true, false, false, true];
    let total = toy().domain_total(&Y, &domain).unwrap();
    close(total.value, 10.0 / 3.0 * 6.0 + 2.0 * 3.0); // 26
    // A: 2, 4, 0 have s² = 4 -> 280/3; B: 0, 3 have s² = 4.5 -> 16 * 0.5 * 4.5 / 2 = 18.
    close(total.se.unwrap(), (280.0_f64 / 3.0 + 18.0).sqrt());
    assert_eq!((total.n, total.df), (3, 3));
}

#[test]
fn toy_proportion_with_logit_interval() {
    let indicator = [true, false, true, false, true];
    let p = toy().proportion(&indicator).unwrap();
    // p = (10/3 * 2 + 2 * 1) / 14 = 13/21.
    let value = 13.0 / 21.0;
    close(p.value, value);
    // Proportion = mean of the indicator: A s² = 1/3 -> 100 * 0.7 * (1/3) / 3; B s² = 1/2 -> 16 * 0.5 * 0.5 / 2.
    let se = ((100.0 * 0.7 / 9.0 + 2.0) / 196.0_f64).sqrt();
    close(p.se.unwrap(), se);
    // Logit interval: logit(p) = ln(13/8), half-width t * se / (p (1 - p)), back through 1/(1 + e^-v).
    let half = T_975_DF3 * se / (value * (1.0 - value));
    let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
    close(p.ci_low.unwrap(), expit((13.0_f64 / 8.0).ln() - half));
    close(p.ci_high.unwrap(), expit((13.0_f64 / 8.0).ln() + half));
    assert!(p.ci_low.unwrap() > 0.0 && p.ci_high.unwrap() < 1.0);
}

#[test]
fn missing_answer_in_a_total_is_carried_by_its_stratum() {
    let y = [Some(2.0), None, Some(6.0), Some(1.0), Some(3.0)];
    let total = toy().total(&y).unwrap();
    // A's two answers (mean 4) stand for its 10 enterprises: 40; B as before: 8.
    close(total.value, 48.0);
    assert_eq!(total.n, 4);
    // Scores w (R_A + (N̂_A / A_A)(y - R_A)), R_A = 4, N̂_A / A_A = 10 / (20/3) = 1.5:
    // y = 2 -> 10/3 * 1, y = 6 -> 10/3 * 7, unanswered -> 10/3 * 4; deviations -10, 10, 0.
    // A: (1 - 3/10) * 3/2 * 200 = 210; B: 8 (as in the full toy).
    close(total.se.unwrap(), (210.0_f64 + 8.0).sqrt());
}

#[test]
fn total_refuses_a_stratum_where_nobody_answered() {
    let y = [Some(2.0), Some(4.0), Some(6.0), None, None];
    let err = toy().total(&y).unwrap_err();
    assert_eq!(err, EstimateError::NoAnswersInStratum { stratum: "B".into() });
    // Outside a domain a missing answer does not matter: B's units are not in this one.
    let in_a = [true, true, true, false, false];
    let total = toy().domain_total(&y, &in_a).unwrap();
    close(total.value, 40.0);
}

#[test]
fn missing_answer_leaves_a_mean_and_a_ratio() {
    let y = [Some(2.0), None, Some(6.0), Some(1.0), Some(3.0)];
    let mean = toy().mean(&y).unwrap();
    // Ratio of weighted totals over answering units: (10/3 * 8 + 2 * 4) / (10/3 * 2 + 2 * 2).
    close(mean.value, (80.0 / 3.0 + 8.0) / (20.0 / 3.0 + 4.0));
    // A ratio needs both answers: unit 3 (x missing) leaves numerator and denominator.
    let x = [Some(10.0), Some(20.0), Some(30.0), None, Some(30.0)];
    let ratio = toy().ratio(&y, &x).unwrap();
    close(
        ratio.value,
        (10.0 / 3.0 * 8.0 + 2.0 * 3.0) / (10.0 / 3.0 * 40.0 + 2.0 * 30.0),
    );
    assert_eq!(ratio.n, 3);
}

#[test]
fn single_respondent_stratum_has_no_se() {
    // Stratum C: one respondent of 5 enterprises.
    let frame = BTreeMap::from([("A", 10), ("B", 4), ("C", 5)]);
    let strata = ["A", "A", "A", "B", "B", "C"];
    let y = [2.0, 4.0, 6.0, 1.0, 3.0, 7.0];
    let design = StratifiedDesign::builder(&strata).population(&frame).build().unwrap();
    let total = design.total(&y).unwrap();
    close(total.value, 48.0 + 5.0 * 7.0);
    assert_eq!(total.se, None, "never 0 in place of unknown");
    assert_eq!((total.ci_low, total.ci_high, total.cv), (None, None, None));
    assert!(total.caution);
    assert_eq!(
        total.notes,
        vec![EstimateNote::VarianceNotEstimable {
            strata: vec!["C".into()]
        }]
    );
    assert!(total.notes[0].to_string().contains("stratum C"));

    // Collapsed with B: scores 2, 6, 35 (mean 43/3), deviations -37/3, -25/3, 62/3,
    // sum of squares 5838/9; fpc 1 - 3/9, times 3/2: 5838/9. Plus A's 280/3: 742 in all.
    let collapsed = design.collapse(&"C", &"B").unwrap();
    let total = collapsed.total(&y).unwrap();
    close(total.value, 83.0);
    close(total.se.unwrap(), 742.0_f64.sqrt());
    assert_eq!(total.df, 6 - 2);
}

#[test]
fn take_all_stratum_of_one_has_zero_variance() {
    // C is one enterprise, and it responded: n_h = N_h, so it adds no sampling variance.
    let frame = BTreeMap::from([("A", 10), ("B", 4), ("C", 1)]);
    let design = StratifiedDesign::builder(&["A", "A", "A", "B", "B", "C"])
        .population(&frame)
        .build()
        .unwrap();
    let total = design.total(&[2.0, 4.0, 6.0, 1.0, 3.0, 7.0]).unwrap();
    close(total.se.unwrap(), (280.0_f64 / 3.0 + 8.0).sqrt());
}

#[test]
fn hidiroglou_berthelot_with_type7_quartiles() {
    // (previous, current): ratios 0.5, 0.8, 0.9, 1.1, 1.25, 4, so r_med = (0.9 + 1.1) / 2 = 1.
    // Six changed units: the screen is asked to run on six (DOMAIN.md's default is 10).
    let pairs = [
        (100.0, 50.0),
        (100.0, 80.0),
        (100.0, 90.0),
        (100.0, 110.0),
        (80.0, 100.0),
        (25.0, 100.0),
    ];
    let params = HbParameters {
        min_changed: 6,
        ..HbParameters::default()
    };
    let hb = hidiroglou_berthelot(&pairs, &params).unwrap();
    close(hb.median_ratio, 1.0);
    // s: 1 - 1/0.5 = -1, 1 - 1/0.8 = -0.25, 1 - 1/0.9 = -1/9, 0.1, 0.25, 3; max(x, y) = 100
    // except 110 for the fourth: E = -10, -2.5, -10/9, 0.1 * sqrt(110), 2.5, 30.
    let effects: Vec<f64> = hb.units.iter().map(|u| u.as_ref().unwrap().effect).collect();
    let e4 = 0.1 * 110f64.sqrt();
    for (ours, expected) in effects.iter().zip([-10.0, -2.5, -10.0 / 9.0, e4, 2.5, 30.0]) {
        close(*ours, expected);
    }
    // Type 7 on the sorted E (-10, -2.5, -10/9, e4, 2.5, 30): h = 5p.
    // q1: h = 1.25 -> -2.5 + 0.25 * (2.5 - 10/9); median: h = 2.5 -> (-10/9 + e4) / 2;
    // q3: h = 3.75 -> e4 + 0.75 * (2.5 - e4).
    let q1 = -2.5 + 0.25 * (2.5 - 10.0 / 9.0);
    let med = (-10.0 / 9.0 + e4) / 2.0;
    let q3 = e4 + 0.75 * (2.5 - e4);
    for (ours, expected) in hb.quartiles.iter().zip([q1, med, q3]) {
        close(*ours, expected);
    }
    // |A * E_med| is far below the spreads, so the band is med - 4 (med - q1) to
    // med + 4 (q3 - med): about [-8.52, 8.64].
    close(hb.lower, med - 4.0 * (med - q1));
    close(hb.upper, med + 4.0 * (q3 - med));
    let flagged: Vec<bool> = hb.units.iter().map(|u| u.as_ref().unwrap().outlier).collect();
    // Halving the staff (E = -10) and quadrupling it (E = 30) are flagged. With type 8
    // quartiles (q1 = -10 + 0.9167 * 7.5 = -3.125) the lower bound would be about -12.4 and
    // the halving would pass.
    assert_eq!(flagged, [true, false, false, false, false, true]);
}

#[test]
fn disclosure_rules_on_a_line_of_vacancies_by_sector() {
    let suppressed = |reason| CellStatus::Suppressed { reason };
    let rules = DisclosureRules::default();
    let by_sector = [
        vec![12.0, 8.0, 5.0, 3.0], // C: 28, top two 20/28 = 71%
        vec![40.0, 2.0],           // F: two enterprises -> threshold
        vec![90.0, 6.0, 4.0],      // I: top two 96/100 -> dominance
        vec![10.0, 9.0, 8.0, 7.0], // L: 34, top two 19/34 = 56%
    ];
    let by_sector: Vec<Contributions> = by_sector.iter().map(|c| Contributions::of(c)).collect();
    let line = rules.line(&by_sector);
    assert_eq!(
        line.cells,
        vec![
            CellStatus::Published,
            suppressed(SuppressionReason::Threshold),
            suppressed(SuppressionReason::Dominance),
            CellStatus::Published
        ]
    );
    // Two primary cells hide each other: no secondary. The total (13 enterprises,
    // top two 130/213 = 61%) is published.
    assert!(line.total.is_published());

    // Drop sector I: F alone is suppressed, so the smallest non-zero other cell (C, 28 < 34)
    // goes too, or F = total - C - L.
    let line = rules.line(&[by_sector[0].clone(), by_sector[1].clone(), by_sector[3].clone()]);
    assert_eq!(
        line.cells,
        vec![
            suppressed(SuppressionReason::Secondary),
            suppressed(SuppressionReason::Threshold),
            CellStatus::Published
        ]
    );
}

#[test]
fn a_missing_answer_in_a_domain_stands_in_by_the_domains_answers() {
    // Eight enterprises weighing 2 each (one stratum, N = 16). The domain holds four:
    // three answered 10 and one did not answer. Outside the domain: 1, 2, 3, 4.
    let strata = ["s"; 8];
    let frame = BTreeMap::from([("s", 16)]);
    let design = StratifiedDesign::builder(&strata).population(&frame).build().unwrap();
    let y = [
        Some(10.0),
        Some(10.0),
        Some(10.0),
        None,
        Some(1.0),
        Some(2.0),
        Some(3.0),
        Some(4.0),
    ];
    let domain = [true, true, true, true, false, false, false, false];
    // The missing answer takes the domain's mean, 10: 2 * (10 + 10 + 10 + 10) = 80, not
    // the mean of y * d over everyone (which the zeros outside would dilute).
    let total = design.domain_total(&y, &domain).unwrap();
    assert!((total.value - 80.0).abs() < 1e-9, "{}", total.value);
    // Outside the domain nothing is missing: 2 * (1 + 2 + 3 + 4) = 20.
    let outside: Vec<bool> = domain.iter().map(|d| !d).collect();
    assert!((design.domain_total(&y, &outside).unwrap().value - 20.0).abs() < 1e-9);
}
