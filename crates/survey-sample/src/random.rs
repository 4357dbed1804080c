//! Seeded sampling helpers on top of ChaCha8.
//!
//! Every stream is derived from the user's seed and a purpose (and, where it matters,
//! an enterprise index), so one enterprise's answers do not shift when another part of
//! the generator draws more or fewer numbers.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator used everywhere.
pub(crate) type Rng = ChaCha8Rng;

/// SplitMix64 finaliser: spreads related inputs over the whole 64-bit space.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream for `purpose` (and item `index`) under `seed`.
pub(crate) fn stream(seed: u64, purpose: &str, index: u64) -> Rng {
    let mut h = mix(seed);
    for b in purpose.bytes() {
        h = mix(h ^ u64::from(b));
    }
    Rng::seed_from_u64(mix(h ^ mix(index)))
}

/// True with probability `p` (clamped to 0..=1).
pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// Uniform in `lo..hi`.
pub(crate) fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Uniform integer in `lo..=hi` (`lo` when the range is empty).
pub(crate) fn int(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

/// Standard normal (Box-Muller).
pub(crate) fn normal(rng: &mut Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Index drawn with the given non-negative weights (0 when all are zero).
pub(crate) fn weighted_index(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if total <= 0.0 {
        return 0;
    }
    let mut x = uniform(rng, 0.0, total);
    for (i, w) in weights.iter().enumerate() {
        if *w > 0.0 {
            if x < *w {
                return i;
            }
            x -= w;
        }
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// An item drawn by weight.
pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [(T, f64)]) -> &'a T {
    let weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
    &items[weighted_index(rng, &weights)].0
}

/// Up to `k` distinct items drawn by weight, in list order.
pub(crate) fn pick_some<T: Copy>(rng: &mut Rng, items: &[(T, f64)], k: usize) -> Vec<T> {
    let mut weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
    let mut chosen = Vec::new();
    for _ in 0..k.min(items.len()) {
        if weights.iter().all(|w| *w <= 0.0) {
            break;
        }
        let i = weighted_index(rng, &weights);
        weights[i] = 0.0;
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| items[i].0).collect()
}

/// Number of successes in `n` trials of probability `p`.
pub(crate) fn binomial(rng: &mut Rng, n: u64, p: f64) -> u64 {
    if n > 5_000 {
        let mean = n as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        return (mean + sd * normal(rng)).round().clamp(0.0, n as f64) as u64;
    }
    (0..n).filter(|_| chance(rng, p)).count() as u64
}

/// Fisher-Yates shuffle.
pub(crate) fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_repeatable_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| stream(1, "x", 0).random()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let b: u64 = stream(1, "x", 1).random();
        let c: u64 = stream(1, "y", 0).random();
        assert_ne!(a[0], b);
        assert_ne!(a[0], c);
    }

    #[test]
    fn weighted_draws_respect_zero_weights() {
        let mut rng = stream(7, "w", 0);
        for _ in 0..200 {
            assert_ne!(weighted_index(&mut rng, &[0.0, 1.0, 0.0, 2.0]) % 2, 0);
        }
        let some = pick_some(&mut rng, &[('a', 1.0), ('b', 0.0), ('c', 1.0)], 3);
        assert_eq!(some, vec!['a', 'c']);
    }
}
