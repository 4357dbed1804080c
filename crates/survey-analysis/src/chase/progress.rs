//! Response against a target, per frame stratum: how many more accepted returns each
//! stratum needs, and the order that puts the strata furthest from target first.

use crate::frame::StratumLabel;
use std::cmp::Ordering;

/// How close `target * N_h` must be to a whole number to count as that number: 0.3 x 10
/// is 3.0000000000000004 in floating point, and needs 3 returns, not 4.
const WHOLE_TOLERANCE: f64 = 1e-9;

/// Response in one frame stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratumProgress {
    /// The stratum.
    pub label: StratumLabel,
    /// N_h: enterprises in the frame.
    pub population: u64,
    /// n_h: frame enterprises with an accepted return.
    pub returns: u64,
    /// Frame enterprises whose return was rejected and not yet corrected.
    pub rejected: u64,
}

impl StratumProgress {
    /// n_h / N_h (0 for an empty stratum).
    pub fn rate(&self) -> f64 {
        rate(self.returns, self.population)
    }

    /// More accepted returns needed to reach `target` (see [`returns_needed`]).
    pub fn needed(&self, target: f64) -> u64 {
        returns_needed(self.population, self.returns, target)
    }
}

/// `returns` over `population`, 0 when the population is empty.
pub fn rate(returns: u64, population: u64) -> f64 {
    if population == 0 {
        0.0
    } else {
        returns as f64 / population as f64
    }
}

/// The fewest returns a stratum of `population` enterprises needs to reach a response rate
/// of `target` (a share, 0 to 1): ceil(target x N_h), a whole number within
/// [`WHOLE_TOLERANCE`] counting as itself.
pub fn returns_wanted(population: u64, target: f64) -> u64 {
    let target = if target.is_finite() {
        target.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let exact = target * population as f64;
    let nearest = exact.round();
    let wanted = if (exact - nearest).abs() <= WHOLE_TOLERANCE * nearest.max(1.0) {
        nearest
    } else {
        exact.ceil()
    };
    // Within 0..=population by the clamp above; the cast saturates in any case.
    (wanted as u64).min(population)
}

/// More accepted returns needed: max(0, ceil(target x N_h) - n_h).
pub fn returns_needed(population: u64, returns: u64, target: f64) -> u64 {
    returns_wanted(population, target).saturating_sub(returns)
}

/// Order of strata on the progress sheet and of their enterprises on the chase list: most
/// returns still needed first, then the lowest response rate, then the stratum (section,
/// then size class in the definition's order, given by `class_rank`).
pub fn progress_order(
    a: &StratumProgress,
    b: &StratumProgress,
    target: f64,
    class_rank: &impl Fn(&str) -> usize,
) -> Ordering {
    b.needed(target)
        .cmp(&a.needed(target))
        .then_with(|| a.rate().total_cmp(&b.rate()))
        .then_with(|| stratum_order(&a.label, &b.label, class_rank))
}

/// Strata by section, then size class in the definition's order, then size class code.
pub fn stratum_order(a: &StratumLabel, b: &StratumLabel, class_rank: &impl Fn(&str) -> usize) -> Ordering {
    a.section
        .cmp(&b.section)
        .then_with(|| class_rank(&a.size_class).cmp(&class_rank(&b.size_class)))
        .then_with(|| a.size_class.cmp(&b.size_class))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stratum(section: char, class: &str, population: u64, returns: u64) -> StratumProgress {
        StratumProgress {
            label: StratumLabel {
                section,
                size_class: class.into(),
            },
            population,
            returns,
            rejected: 0,
        }
    }

    #[test]
    fn returns_needed_by_hand() {
        // ceil(0.5 x 10) = 5; 3 received: 2 more.
        assert_eq!(returns_needed(10, 3, 0.5), 2);
        // ceil(0.35 x 10) = ceil(3.5) = 4; 3 received: 1 more.
        assert_eq!(returns_needed(10, 3, 0.35), 1);
        assert_eq!(returns_wanted(10, 0.35), 4);
        // 0.3 x 10 is 3 exactly, though floating point says 3.0000000000000004.
        assert_eq!(returns_wanted(10, 0.3), 3);
        assert_eq!(returns_needed(10, 3, 0.3), 0);
        // 0.29 x 100 is 29, though floating point says 28.999999999999996.
        assert_eq!(returns_wanted(100, 0.29), 29);
        // ceil(0.5 x 7) = ceil(3.5) = 4.
        assert_eq!(returns_needed(7, 0, 0.5), 4);
        // Above target: none needed, never negative.
        assert_eq!(returns_needed(10, 8, 0.5), 0);
        // A single enterprise and any positive target: it is needed.
        assert_eq!(returns_needed(1, 0, 0.01), 1);
        // The edges: a target of 0 needs nothing, of 1 everyone.
        assert_eq!(returns_needed(12, 0, 0.0), 0);
        assert_eq!(returns_needed(12, 5, 1.0), 7);
        // Nothing outside 0..=1 asks for more than the stratum holds, or panics.
        assert_eq!(returns_needed(12, 5, 7.0), 7);
        assert_eq!(returns_needed(12, 5, f64::NAN), 0);
        assert_eq!(returns_needed(u64::MAX, 0, 1.0), u64::MAX);
    }

    #[test]
    fn rates_by_hand() {
        assert_eq!(stratum('C', "small", 10, 3).rate(), 0.3);
        assert_eq!(stratum('C', "small", 0, 0).rate(), 0.0);
    }

    #[test]
    fn furthest_from_target_first() {
        let rank = |class: &str| {
            ["micro", "small", "medium", "large"]
                .iter()
                .position(|c| *c == class)
                .unwrap_or(9)
        };
        let mut strata = [
            // needs ceil(0.5 x 4) - 2 = 0
            stratum('A', "micro", 4, 2),
            // needs 5 - 1 = 4, rate 0.1
            stratum('I', "small", 10, 1),
            // needs 2 - 0 = 2, rate 0
            stratum('C', "large", 3, 0),
            // needs 5 - 1 = 4, rate 0.1: same as I/small, section C first
            stratum('C', "medium", 10, 1),
            // needs 2 - 0 = 2, rate 0: same as C/large; small before large
            stratum('C', "small", 3, 0),
            // needs 5 - 3 = 2, rate 0.3: after the two at rate 0
            stratum('F', "micro", 10, 3),
        ];
        strata.sort_by(|a, b| progress_order(a, b, 0.5, &rank));
        let order: Vec<String> = strata.iter().map(|s| s.label.to_string()).collect();
        assert_eq!(
            order,
            ["C/medium", "I/small", "C/small", "C/large", "F/micro", "A/micro"]
        );
    }
}
