//! Quality gates: thresholds a run's results must meet before they are handed on. Each
//! gate reads one observation of the run (a response rate, a share of rejected returns,
//! a count of risk flags, a coefficient of variation) and passes or fails.

use serde::{Deserialize, Serialize};
use survey_analysis::analyze::Summary;
use survey_files::dataset::IngestSummary;

/// The `[gates]` table of a pipeline file. A gate left out is not checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Gates {
    /// Fewest returns in the estimates, as a share of the frame's enterprises.
    pub min_response_rate: Option<f64>,
    /// Lowest response rate n_h / N_h of any frame stratum with enterprises in it.
    pub min_stratum_response_rate: Option<f64>,
    /// Most rejected returns, as a share of the returns received.
    pub max_rejected_share: Option<f64>,
    /// Most high-severity risk flags (enterprise x rule).
    pub max_high_flags: Option<u64>,
    /// Fail when any high-severity flag is new since the previous wave.
    #[serde(default)]
    pub fail_on_new_high_flags: bool,
    /// Highest coefficient of variation of a published headline estimate of the demand
    /// workbook.
    pub max_headline_cv: Option<f64>,
}

/// What a run observed, as the gates read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observations {
    /// Returns in the estimates over the frame's enterprises (weighted analyses only).
    pub response_rate: Option<f64>,
    /// Response rate of every frame stratum with N_h > 0, by stratum label.
    pub stratum_response_rates: Vec<(String, f64)>,
    /// Returns received by ingest.
    pub received: u64,
    /// Of those, rejected.
    pub rejected: u64,
    /// High-severity risk flags.
    pub high_flags: u64,
    /// Rules of the high-severity flags new since the previous wave (one entry per flag),
    /// when a previous wave was compared.
    pub new_high_flag_rules: Option<Vec<String>>,
    /// Coefficient of variation of each published headline estimate that has one, by id.
    pub headline_cvs: Vec<(String, f64)>,
}

impl Observations {
    /// What the gates read from an ingest and the analysis of its dataset.
    pub fn of(ingest: &IngestSummary, summary: &Summary) -> Observations {
        Observations {
            response_rate: summary.counts.response_rate,
            stratum_response_rates: summary
                .strata
                .iter()
                .filter(|s| s.population > 0)
                .map(|s| (s.stratum.clone(), s.response_rate))
                .collect(),
            received: ingest.received,
            rejected: ingest.rejected,
            high_flags: summary.risk.flags_by_severity.high,
            // Only the rules: enterprise ids of risk flags stay in the officials' workbook.
            new_high_flag_rules: summary.risk.previous.as_ref().map(|p| {
                p.new_flags
                    .iter()
                    .filter(|r| r.severity == survey_def::Severity::High)
                    .flat_map(|r| std::iter::repeat_n(r.rule.clone(), r.count as usize))
                    .collect()
            }),
            headline_cvs: summary
                .demand
                .headline
                .iter()
                .filter(|h| h.published)
                .filter_map(|h| Some((h.id.clone(), h.cv?)))
                .collect(),
        }
    }
}

/// A gate, named as in the pipeline file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// `min_response_rate`
    MinResponseRate,
    /// `min_stratum_response_rate`
    MinStratumResponseRate,
    /// `max_rejected_share`
    MaxRejectedShare,
    /// `max_high_flags`
    MaxHighFlags,
    /// `fail_on_new_high_flags`
    FailOnNewHighFlags,
    /// `max_headline_cv`
    MaxHeadlineCv,
}

impl Gate {
    /// The key of the gate in the pipeline file.
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::MinResponseRate => "min_response_rate",
            Gate::MinStratumResponseRate => "min_stratum_response_rate",
            Gate::MaxRejectedShare => "max_rejected_share",
            Gate::MaxHighFlags => "max_high_flags",
            Gate::FailOnNewHighFlags => "fail_on_new_high_flags",
            Gate::MaxHeadlineCv => "max_headline_cv",
        }
    }
}

/// A threshold or an observed value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum GateValue {
    /// A share, rate or coefficient of variation.
    Number(f64),
    /// A count.
    Count(u64),
    /// A switch.
    Flag(bool),
}

/// One gate checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// The gate.
    pub gate: Gate,
    /// Its threshold, as set in the pipeline file.
    pub threshold: GateValue,
    /// What the run observed; absent when there was nothing to observe.
    pub observed: Option<GateValue>,
    /// Whether the gate passed.
    pub passed: bool,
    /// What the observation rests on, or why there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Checks every gate that is set, in the order of [`Gate`]. A gate with nothing to
/// observe fails: a scheduled run should not pass on a check it could not make.
pub fn evaluate(gates: &Gates, seen: &Observations) -> Vec<GateResult> {
    let mut results = Vec::new();
    if let Some(min) = gates.min_response_rate {
        results.push(at_least(Gate::MinResponseRate, min, seen.response_rate, None));
    }
    if let Some(min) = gates.min_stratum_response_rate {
        let lowest = seen
            .stratum_response_rates
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let detail = match lowest {
            Some((stratum, _)) => format!("lowest: stratum {stratum}"),
            None => "no frame stratum has enterprises".to_owned(),
        };
        results.push(at_least(
            Gate::MinStratumResponseRate,
            min,
            lowest.map(|l| l.1),
            Some(detail),
        ));
    }
    if let Some(max) = gates.max_rejected_share {
        let share = (seen.received > 0).then(|| seen.rejected as f64 / seen.received as f64);
        let detail = if seen.received > 0 {
            format!("{} of {} returns rejected", seen.rejected, seen.received)
        } else {
            "no returns received".to_owned()
        };
        results.push(at_most(Gate::MaxRejectedShare, max, share, Some(detail)));
    }
    if let Some(max) = gates.max_high_flags {
        results.push(GateResult {
            gate: Gate::MaxHighFlags,
            threshold: GateValue::Count(max),
            observed: Some(GateValue::Count(seen.high_flags)),
            passed: seen.high_flags <= max,
            detail: None,
        });
    }
    if gates.fail_on_new_high_flags {
        let new = seen.new_high_flag_rules.as_deref();
        results.push(GateResult {
            gate: Gate::FailOnNewHighFlags,
            threshold: GateValue::Flag(true),
            observed: new.map(|n| GateValue::Count(n.len() as u64)),
            passed: new.is_some_and(<[String]>::is_empty),
            detail: Some(match new {
                None => "no previous wave was compared".to_owned(),
                Some([]) => "no new high-severity flag".to_owned(),
                Some(rules) => format!("new high-severity flags by rule: {}", count_by_rule(rules)),
            }),
        });
    }
    if let Some(max) = gates.max_headline_cv {
        let highest = seen
            .headline_cvs
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
        let detail = match highest {
            Some((id, _)) => format!("highest: {id}"),
            None => "no published headline estimate has a coefficient of variation".to_owned(),
        };
        results.push(at_most(Gate::MaxHeadlineCv, max, highest.map(|h| h.1), Some(detail)));
    }
    results
}

fn at_least(gate: Gate, min: f64, observed: Option<f64>, detail: Option<String>) -> GateResult {
    GateResult {
        gate,
        threshold: GateValue::Number(min),
        observed: observed.map(GateValue::Number),
        passed: observed.is_some_and(|v| v >= min),
        detail: detail.or_else(|| observed.is_none().then(|| "nothing to observe".to_owned())),
    }
}

fn at_most(gate: Gate, max: f64, observed: Option<f64>, detail: Option<String>) -> GateResult {
    GateResult {
        gate,
        threshold: GateValue::Number(max),
        observed: observed.map(GateValue::Number),
        passed: observed.is_some_and(|v| v <= max),
        detail: detail.or_else(|| observed.is_none().then(|| "nothing to observe".to_owned())),
    }
}

/// `rule ×n` for each rule, in order of first appearance.
fn count_by_rule(rules: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for rule in rules {
        match counts.iter_mut().find(|(r, _)| r == rule) {
            Some((_, n)) => *n += 1,
            None => counts.push((rule, 1)),
        }
    }
    counts
        .iter()
        .map(|(r, n)| format!("{r} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Observations {
        Observations {
            response_rate: Some(0.6),
            stratum_response_rates: vec![("C/small".into(), 0.5), ("I/micro".into(), 0.25)],
            received: 200,
            rejected: 10,
            high_flags: 4,
            new_high_flag_rules: Some(vec!["wage_arrears".into(), "layoff".into(), "wage_arrears".into()]),
            headline_cvs: vec![("vacancies".into(), 0.08), ("vacancy_rate".into(), 0.21)],
        }
    }

    fn only(results: &[GateResult]) -> &GateResult {
        assert_eq!(results.len(), 1, "{results:?}");
        &results[0]
    }

    #[test]
    fn no_gate_set_checks_nothing() {
        assert!(evaluate(&Gates::default(), &seen()).is_empty());
    }

    #[test]
    fn response_rate_passes_at_the_threshold_and_fails_below() {
        let at = |min| {
            let gates = Gates {
                min_response_rate: Some(min),
                ..Gates::default()
            };
            only(&evaluate(&gates, &seen())).passed
        };
        assert!(at(0.6));
        assert!(!at(0.61));
    }

    #[test]
    fn stratum_gate_reads_the_lowest_stratum() {
        let gates = Gates {
            min_stratum_response_rate: Some(0.3),
            ..Gates::default()
        };
        let r = evaluate(&gates, &seen());
        let r = only(&r);
        assert!(!r.passed);
        assert_eq!(r.observed, Some(GateValue::Number(0.25)));
        assert_eq!(r.detail.as_deref(), Some("lowest: stratum I/micro"));
    }

    #[test]
    fn rejected_share_is_rejected_over_received() {
        // 10 / 200 = 0.05.
        let gates = Gates {
            max_rejected_share: Some(0.05),
            ..Gates::default()
        };
        let r = evaluate(&gates, &seen());
        assert_eq!(only(&r).observed, Some(GateValue::Number(0.05)));
        assert!(only(&r).passed);
        let none = Observations {
            received: 0,
            rejected: 0,
            ..seen()
        };
        assert!(!only(&evaluate(&gates, &none)).passed, "no returns: nothing to pass on");
    }

    #[test]
    fn high_flags_are_a_count() {
        let gates = |max| Gates {
            max_high_flags: Some(max),
            ..Gates::default()
        };
        assert!(only(&evaluate(&gates(4), &seen())).passed);
        assert!(!only(&evaluate(&gates(3), &seen())).passed);
    }

    #[test]
    fn new_high_flags_fail_and_are_counted_by_rule() {
        let gates = Gates {
            fail_on_new_high_flags: true,
            ..Gates::default()
        };
        let r = evaluate(&gates, &seen());
        let r = only(&r);
        assert!(!r.passed);
        assert_eq!(r.observed, Some(GateValue::Count(3)));
        assert_eq!(
            r.detail.as_deref(),
            Some("new high-severity flags by rule: wage_arrears ×2, layoff ×1")
        );
        let calm = Observations {
            new_high_flag_rules: Some(Vec::new()),
            ..seen()
        };
        assert!(only(&evaluate(&gates, &calm)).passed);
    }

    #[test]
    fn headline_cv_reads_the_highest_published_cv() {
        let gates = |max| Gates {
            max_headline_cv: Some(max),
            ..Gates::default()
        };
        let r = evaluate(&gates(0.2), &seen());
        assert!(!only(&r).passed);
        assert_eq!(only(&r).detail.as_deref(), Some("highest: vacancy_rate"));
        assert!(only(&evaluate(&gates(0.21), &seen())).passed);
        let nothing = Observations {
            headline_cvs: Vec::new(),
            ..seen()
        };
        assert!(!only(&evaluate(&gates(0.3), &nothing)).passed);
    }

    #[test]
    fn gates_come_in_a_fixed_order() {
        let gates = Gates {
            min_response_rate: Some(0.1),
            min_stratum_response_rate: Some(0.1),
            max_rejected_share: Some(0.1),
            max_high_flags: Some(100),
            fail_on_new_high_flags: true,
            max_headline_cv: Some(0.5),
        };
        let names: Vec<&str> = evaluate(&gates, &seen()).iter().map(|r| r.gate.as_str()).collect();
        assert_eq!(
            names,
            [
                "min_response_rate",
                "min_stratum_response_rate",
                "max_rejected_share",
                "max_high_flags",
                "fail_on_new_high_flags",
                "max_headline_cv"
            ]
        );
    }
}
