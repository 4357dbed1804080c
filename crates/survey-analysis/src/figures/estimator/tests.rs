//! Tests of the figures a breakdown gets: their values, the suppression the rules give
//! them, and the overall figure estimated once per measure.

use super::*;
use crate::figures::suppress_together;
use std::collections::BTreeMap;

fn design(strata: &[&'static str], frame: &BTreeMap<&'static str, u64>) -> StratifiedDesign<&'static str> {
    StratifiedDesign::builder(strata).population(frame).build().unwrap()
}

fn breakdown(codes: &[&str]) -> Breakdown {
    let codes: Vec<Option<String>> = codes.iter().map(|c| Some(c.to_string())).collect();
    let mut order: Vec<String> = codes.iter().flatten().cloned().collect();
    order.sort();
    order.dedup();
    Breakdown::from_codes(
        "test",
        "Test".into(),
        &codes,
        order.into_iter().map(|c| (c.clone(), c)),
        false,
    )
}

/// A column is checked in place: the same values or the same error as a checked copy.
#[test]
fn answers_are_checked_without_a_copy() {
    let frame = BTreeMap::from([("a", 10)]);
    let d = design(&["a", "a", "a"], &frame);
    let good = [Some(1.0), None, Some(-2.5)];
    assert_eq!(
        d.checked_answers(&good, "y").unwrap(),
        d.answers(&good, "y").unwrap().as_slice()
    );
    let bad = [Some(1.0), Some(f64::INFINITY), Some(f64::NAN)];
    assert_eq!(
        d.checked_answers(&bad, "y").unwrap_err().to_string(),
        d.answers(&bad, "y").unwrap_err().to_string()
    );
    assert_eq!(
        d.checked_answers(&good[..2], "x").unwrap_err().to_string(),
        d.answers(&good[..2], "x").unwrap_err().to_string()
    );
}

/// The digest of columns fed a block at a time is the digest of all their bytes at once.
#[test]
fn an_overall_key_is_the_digest_of_the_whole_encoding() {
    let y: Vec<Option<f64>> = (0..20_000)
        .map(|i| (i % 7 != 0).then_some(f64::from(i) * 0.5))
        .collect();
    let x: Vec<Option<f64>> = y.iter().rev().copied().collect();
    let flags: Vec<Option<bool>> = (0..70_001).map(|i| (i % 5 != 0).then_some(i % 2 == 0)).collect();
    let mut bytes = b"ratio".to_vec();
    for column in [&y, &x] {
        bytes.extend_from_slice(&(column.len() as u64).to_le_bytes());
        for v in column {
            match v {
                Some(v) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&v.to_bits().to_le_bytes());
                }
                None => bytes.push(0),
            }
        }
    }
    bytes.extend_from_slice(&(flags.len() as u64).to_le_bytes());
    bytes.extend(flags.iter().map(|f| match f {
        None => 0u8,
        Some(false) => 1,
        Some(true) => 2,
    }));
    let whole: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(overall_key("ratio", &[&y, &x], Some(&flags), &[]), whole);
    assert_ne!(overall_key("total", &[&y, &x], Some(&flags), &[]), whole);
}

/// The overall figure is estimated once per measure: a second breakdown gets it from
/// the memo, and other answers get their own.
#[test]
fn overall_figures_are_shared_by_breakdowns_of_one_measure_only() {
    let strata = ["s"; 7];
    let frame = BTreeMap::from([("s", 14)]);
    let d = design(&strata, &frame);
    let rules = DisclosureRules::default();
    let overall = OverallFigures::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: true,
        overall: &overall,
    };
    let y: Vec<Option<f64>> = [5.0, 6.0, 7.0, 4.0, 3.0, 9.0, 10.0].map(Some).to_vec();
    let mut other = y.clone();
    other[6] = Some(11.0);
    let b = breakdown(&["a", "a", "a", "c", "c", "c", "b"]);
    // Another breakdown, with a domain of two enterprises.
    let small = breakdown(&["a", "a", "a", "a", "a", "d", "d"]);
    let first = est.totals(&Answers::reported(y.to_vec()), &b);
    assert_eq!(overall.0.lock().unwrap().len(), 1);
    let second = est.totals(&Answers::reported(y.to_vec()), &small);
    assert_eq!(
        overall.0.lock().unwrap().len(),
        1,
        "the second breakdown reuses the figure"
    );
    assert_eq!(first.all.estimate, second.all.estimate);
    // Weight 2: 2 * 44 = 88, and 2 * 45 = 90 with the other answers.
    assert_eq!(first.all.estimate.as_ref().unwrap().value, 88.0);
    assert!(first.all.status.is_published());
    assert!(!second.domains[1].status.is_published());
    let changed = est.totals(&Answers::reported(other.to_vec()), &b);
    assert_eq!(changed.all.estimate.as_ref().unwrap().value, 90.0);
    let x: Vec<Option<f64>> = [50.0; 7].map(Some).to_vec();
    let share: Vec<Option<bool>> = [true, false, true, true, false, false, true].map(Some).to_vec();
    let ratio = est
        .ratios(
            &Answers::reported(y.to_vec()),
            &Answers::reported(x.to_vec()),
            &b,
            Some(&first),
        )
        .all;
    assert!((ratio.estimate.as_ref().unwrap().value - 88.0 / 700.0).abs() < 1e-12);
    assert_eq!(
        est.proportions(&share, &b).all.estimate.as_ref().unwrap().value,
        4.0 / 7.0
    );
    // total(y), total(other), total(x) and ratio(y, x), and the proportion.
    assert_eq!(overall.0.lock().unwrap().len(), 5);
}

#[test]
fn a_small_domain_is_suppressed_and_protected_by_a_second() {
    // One stratum of 14 enterprises, 7 respond (weight 2). Domains: a and c with three
    // enterprises each, b with one (below the threshold of 3).
    let strata = ["s"; 7];
    let frame = BTreeMap::from([("s", 14)]);
    let d = design(&strata, &frame);
    let rules = DisclosureRules::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: true,
        overall: &OverallFigures::default(),
    };
    let y: Vec<Option<f64>> = [5.0, 6.0, 7.0, 4.0, 3.0, 9.0, 10.0].map(Some).to_vec();
    let b = breakdown(&["a", "a", "a", "c", "c", "c", "b"]);
    let line = est.totals(&Answers::reported(y.to_vec()), &b);
    // Weight 14/7 = 2. Domain a: 2 * 18 = 36; b: 2 * 10 = 20 (one enterprise); c: 2 * 16 = 32.
    assert_eq!(line.domains[0].estimate.as_ref().unwrap().value, 36.0);
    assert_eq!(
        line.domains[1].status,
        CellStatus::Suppressed {
            reason: SuppressionReason::Threshold
        }
    );
    // c (32) is smaller than a (36): it is the secondary suppression.
    assert_eq!(
        line.domains[2].status,
        CellStatus::Suppressed {
            reason: SuppressionReason::Secondary
        }
    );
    assert!(line.domains[0].status.is_published());
    assert_eq!(line.all.estimate.as_ref().unwrap().value, 88.0);
    assert!(line.all.status.is_published());
    // A ratio over domain b inherits the suppression of its numerator.
    let x: Vec<Option<f64>> = [50.0; 7].map(Some).to_vec();
    let ratios = est.ratios(
        &Answers::reported(y.to_vec()),
        &Answers::reported(x.to_vec()),
        &b,
        Some(&line),
    );
    assert!(!ratios.domains[1].status.is_published());
    assert!(!ratios.domains[2].status.is_published());
    // Overall ratio: 44 / 350.
    assert!((ratios.all.estimate.as_ref().unwrap().value - 44.0 / 350.0).abs() < 1e-12);
}

#[test]
fn a_rate_is_suppressed_with_its_denominator_and_linked_lines_share_gaps() {
    // Nine enterprises of one stratum (N = 18, w = 2), three in each of a, b, c.
    let d = design(&["s"; 9], &BTreeMap::from([("s", 18)]));
    let rules = DisclosureRules::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: true,
        overall: &OverallFigures::default(),
    };
    let b = breakdown(&["a", "a", "a", "b", "b", "b", "c", "c", "c"]);
    // Vacancies in b are dominated by one enterprise (100 of 102); a (18) is the
    // secondary suppression, c (27) stays. Hard to fill is spread evenly: all published.
    let vacancies: Vec<Option<f64>> = [5.0, 6.0, 7.0, 100.0, 1.0, 1.0, 8.0, 9.0, 10.0].map(Some).to_vec();
    let hard: Vec<Option<f64>> = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0].map(Some).to_vec();
    let htf = est.totals(&Answers::reported(hard.to_vec()), &b);
    assert!(htf.domains.iter().all(|f| f.status.is_published()));
    // HTF / V in b would give V back from the published HTF: the share takes the
    // denominator's suppression.
    let share = est.ratios(
        &Answers::reported(hard.to_vec()),
        &Answers::reported(vacancies.to_vec()),
        &b,
        Some(&htf),
    );
    assert!(!share.domains[1].status.is_published());
    assert!(!share.domains[0].status.is_published());
    assert!(share.domains[2].status.is_published());

    // Planned hires, reductions and net hiring: any two give the third.
    let mut hires = est.totals(&Answers::reported(vacancies.to_vec()), &b);
    let mut reductions = est.totals(&Answers::reported(hard.to_vec()), &b);
    let mut net = est.totals(&Answers::reported(vacancies.to_vec()), &b);
    reductions.domains[0].status = CellStatus::Suppressed {
        reason: SuppressionReason::Dominance,
    };
    suppress_together(&mut [&mut hires, &mut reductions, &mut net]);
    assert!(!hires.domains[0].status.is_published());
    assert!(!net.domains[0].status.is_published());
    assert!(!net.domains[1].status.is_published(), "b was suppressed in hires");
    assert!(!reductions.domains[1].status.is_published());
    assert!(reductions.domains[2].status.is_published());
}

#[test]
fn a_share_needs_enough_enterprises_saying_yes_and_no() {
    let d = design(&["s"; 8], &BTreeMap::from([("s", 16)]));
    let rules = DisclosureRules::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: true,
        overall: &OverallFigures::default(),
    };
    let b = breakdown(&["a", "a", "a", "a", "c", "c", "c", "c"]);
    // a: one yes among four (the yes is one enterprise's answer); c: two yes, two no.
    let yes = [true, false, false, false, true, true, false, false].map(Some).to_vec();
    let line = est.proportions(&yes, &b);
    assert!(!line.domains[0].status.is_published());
    assert!(!line.domains[1].status.is_published(), "two yes is below 3");
    // All: 3 yes and 5 no over 8: published, 3/8.
    assert!(line.all.status.is_published());
    assert!((line.all.estimate.as_ref().unwrap().value - 3.0 / 8.0).abs() < 1e-12);
}

/// DOMAIN.md: a cell resting on two reported answers and four imputed ones rests on two
/// enterprises and is suppressed; its imputed share is the imputed part of its value.
#[test]
fn a_cell_of_two_real_answers_and_four_imputed_is_suppressed() {
    // Twelve enterprises of one stratum (N = 24, w = 2): domain a has 2 reported and 4
    // imputed values, domain b six reported ones.
    let d = design(&["s"; 12], &BTreeMap::from([("s", 24)]));
    let rules = DisclosureRules::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: true,
        overall: &OverallFigures::default(),
    };
    let y = Answers {
        values: [5.0, 7.0, 6.0, 6.0, 6.0, 6.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
            .map(Some)
            .to_vec(),
        imputed: [
            false, false, true, true, true, true, false, false, false, false, false, false,
        ]
        .to_vec(),
    };
    let b = breakdown(&["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"]);
    let line = est.totals(&y, &b);
    let a = &line.domains[0];
    assert_eq!(a.enterprises, 2);
    assert_eq!(
        a.status,
        CellStatus::Suppressed {
            reason: SuppressionReason::Threshold
        }
    );
    // Value 2 * 36 = 72, of which 2 * 24 = 48 imputed: 2/3.
    assert_eq!(a.estimate.as_ref().unwrap().value, 72.0);
    assert!((a.imputed_share.unwrap() - 2.0 / 3.0).abs() < 1e-15);
    // b: six reporting enterprises, nothing imputed.
    assert_eq!(line.domains[1].enterprises, 6);
    assert_eq!(line.domains[1].imputed_share, Some(0.0));
    // All: 2 * (36 + 39) = 150, of which 48 imputed; 8 contributors.
    assert_eq!(line.all.estimate.as_ref().unwrap().value, 150.0);
    assert_eq!(line.all.enterprises, 8);
    assert!((line.all.imputed_share.unwrap() - 48.0 / 150.0).abs() < 1e-15);
}

#[test]
fn unweighted_totals_carry_no_standard_error() {
    let strata = ["all"; 3];
    let d = StratifiedDesign::builder(&strata)
        .weights(&[1.0; 3])
        .without_fpc()
        .build()
        .unwrap();
    let rules = DisclosureRules::default();
    let est = Estimator {
        design: &d,
        rules: &rules,
        weighted: false,
        overall: &OverallFigures::default(),
    };
    let y = [Some(1.0), Some(2.0), Some(3.0)];
    let line = est.totals(&Answers::reported(y.to_vec()), &breakdown(&["a", "a", "a"]));
    let all = line.all.estimate.unwrap();
    assert_eq!(all.value, 6.0);
    assert_eq!(all.se, None);
}
