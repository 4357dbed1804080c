//! Secondary suppression: hiding more cells so that a suppressed one cannot be worked
//! back out of published ones, whether from its siblings and their parent domain or from
//! other lines it adds up with.

use super::{Domain, FigureLine};
use crate::{CellStatus, Contributions, DisclosureRules, SuppressionReason};

/// Secondary suppression within each group of sibling domains (the divisions of one
/// section). A suppressed parent must not be the sum of published children, so one child
/// is suppressed (the smallest non-zero); and a published parent minus the published
/// siblings would give back a lone suppressed sibling, so one more sibling is suppressed,
/// the smallest non-zero one. When every other sibling is zero the parent rests on the
/// same contributions as the lone cell and the primary rules already suppress it.
pub fn protect_siblings(
    rules: &DisclosureRules,
    statuses: &mut [CellStatus],
    domains: &[Domain],
    cells: &[Contributions],
) {
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (k, d) in domains.iter().enumerate() {
        if let Some(parent) = d.parent.as_deref() {
            groups.entry(parent).or_default().push(k);
        }
    }
    let size = |k: usize| cells[k].size();
    let secondary = CellStatus::Suppressed {
        reason: SuppressionReason::Secondary,
    };
    let smallest_published = |statuses: &[CellStatus], siblings: &[usize]| {
        siblings
            .iter()
            .copied()
            .filter(|&k| statuses[k].is_published() && size(k) != 0.0)
            .min_by(|&a, &b| size(a).total_cmp(&size(b)).then(a.cmp(&b)))
    };
    // The parents as their own table publishes them (the same rules over the union of
    // their children): a suppressed parent must not be the sum of published children.
    for siblings in groups.values() {
        let parent = rules.judge(&Contributions::union(siblings.iter().map(|&k| &cells[k])));
        let hidden = siblings.iter().any(|&k| !statuses[k].is_published());
        if !parent.is_published()
            && !hidden
            && let Some(k) = smallest_published(statuses, siblings)
        {
            statuses[k] = secondary;
        }
    }
    for siblings in groups.values() {
        let suppressed = siblings.iter().filter(|&&k| !statuses[k].is_published()).count();
        if suppressed == 1
            && let Some(k) = smallest_published(statuses, siblings)
        {
            statuses[k] = secondary;
        }
    }
}

/// Suppresses a cell in every line where it is suppressed in any: lines that give each
/// other back (planned hires, planned reductions and their difference) share their gaps.
pub fn suppress_together(lines: &mut [&mut FigureLine]) {
    let Some(first) = lines.first() else { return };
    let cells = first.domains.len();
    let joint = |status: &[CellStatus]| {
        status
            .iter()
            .find(|s| !s.is_published())
            .map(|_| CellStatus::Suppressed {
                reason: SuppressionReason::Secondary,
            })
    };
    for k in 0..=cells {
        let statuses: Vec<CellStatus> = lines
            .iter()
            .map(|l| if k < cells { l.domains[k].status } else { l.all.status })
            .collect();
        if let Some(suppressed) = joint(&statuses) {
            for line in lines.iter_mut() {
                let f = if k < cells { &mut line.domains[k] } else { &mut line.all };
                if f.status.is_published() {
                    f.status = suppressed;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_suppressed_sibling_is_protected_within_its_parent() {
        let domain = |code: &str, parent: &str| Domain {
            code: code.into(),
            label: code.into(),
            units: Vec::new(),
            parent: Some(parent.into()),
        };
        // Divisions 13, 14 of section C and 63, 64, 65 of section I.
        let domains = [
            domain("13", "C"),
            domain("14", "C"),
            domain("63", "I"),
            domain("64", "I"),
            domain("65", "I"),
        ];
        let cells = [
            vec![5.0],
            vec![9.0, 9.0, 9.0],
            vec![1.0, 1.0, 1.0],
            vec![7.0],
            vec![2.0, 2.0, 2.0],
        ];
        let threshold = CellStatus::Suppressed {
            reason: SuppressionReason::Threshold,
        };
        let secondary = CellStatus::Suppressed {
            reason: SuppressionReason::Secondary,
        };
        // Across all divisions two cells are suppressed (13 and 64), so the line rule adds
        // nothing; but each is alone in its section.
        let mut statuses = vec![
            threshold,
            CellStatus::Published,
            CellStatus::Published,
            threshold,
            CellStatus::Published,
        ];
        let cells: Vec<Contributions> = cells.iter().map(|c| Contributions::of(c)).collect();
        protect_siblings(&DisclosureRules::default(), &mut statuses, &domains, &cells);
        // C: 14 is the only sibling left. I: 63 (3) is smaller than 65 (6).
        assert_eq!(
            statuses,
            vec![threshold, secondary, secondary, threshold, CellStatus::Published]
        );
    }
}
