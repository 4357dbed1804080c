//! Breakdowns: the domains (sectors, size classes, sub-districts...) a measure's figures
//! are given for. Disclosure control relies on how they split the units: domains that
//! add up to the whole (or to a parent domain) give a suppressed cell back from the
//! others unless more are suppressed, so each breakdown keeps its units exact.

use std::collections::HashMap;

/// Code of the domain holding the units no other domain of a breakdown places.
pub const REMAINDER: &str = "-";

/// A subpopulation that figures are given for.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Its code (section letter, size class code...).
    pub code: String,
    /// Its name in the report language.
    pub label: String,
    /// The units of the design in it, in unit order. A figure for the domain visits
    /// these units (and the strata they are in), not the whole sample.
    pub units: Vec<usize>,
    /// The domain of a published coarser breakdown it is part of (the section of a
    /// division): its siblings add up to that parent, so they protect each other too.
    pub parent: Option<String>,
}

/// Domains that split the responding enterprises (each enterprise in at most one), or the
/// vacancy lines (each line in at most one).
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// Stable id: `section`, `division`, `size_class`, `subdistrict`...; `all` for the
    /// breakdown with no domain (figures over every enterprise only).
    pub id: &'static str,
    /// What the domains are, in the report language ("Sector", "Size class"...).
    pub title: String,
    /// The domains, in print order.
    pub domains: Vec<Domain>,
    /// The breakdown the domains' `parent` codes are domains of (`section` for divisions).
    pub parent: Option<&'static str>,
}

/// Id of the breakdown with no domain.
pub const ALL: &str = "all";
/// Code of the "all" figure of a breakdown, as printed in the code column.
pub const ALL_CODE: &str = "*";

impl Breakdown {
    /// The breakdown with no domain: figures over every enterprise only.
    pub fn everyone(title: String) -> Breakdown {
        Breakdown {
            id: ALL,
            title,
            domains: Vec::new(),
            parent: None,
        }
    }

    /// Domains from one code per unit (`None`: in no domain), in the order of `order`
    /// (codes with their labels); codes no unit has are kept, so a table shows every
    /// sector even when nobody there responded.
    pub fn from_codes(
        id: &'static str,
        title: String,
        codes: &[Option<String>],
        order: impl IntoIterator<Item = (String, String)>,
        keep_empty: bool,
    ) -> Breakdown {
        let mut units_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (unit, code) in codes.iter().enumerate() {
            if let Some(code) = code {
                units_of.entry(code.as_str()).or_default().push(unit);
            }
        }
        let domains = order
            .into_iter()
            .map(|(code, label)| Domain {
                units: units_of.get(code.as_str()).cloned().unwrap_or_default(),
                code,
                label,
                parent: None,
            })
            .filter(|d| keep_empty || !d.units.is_empty())
            .collect();
        Breakdown {
            id,
            title,
            domains,
            parent: None,
        }
    }

    /// Adds a domain for the units in no other (an answer that places the enterprise
    /// nowhere), so the domains add up to the whole and no remainder is published
    /// unprotected as "all minus the rest".
    pub fn with_remainder(mut self, label: String, units: usize) -> Breakdown {
        let mut placed = vec![false; units];
        for d in &self.domains {
            for &unit in &d.units {
                if let Some(p) = placed.get_mut(unit) {
                    *p = true;
                }
            }
        }
        let rest: Vec<usize> = (0..units).filter(|&unit| !placed[unit]).collect();
        if !rest.is_empty() {
            self.domains.push(Domain {
                code: REMAINDER.into(),
                label,
                units: rest,
                parent: None,
            });
        }
        self
    }

    /// The domain of each of `units` units (`None`: in none), for breakdowns whose
    /// domains split the units, as enterprise breakdowns do.
    pub fn domain_of_units(&self, units: usize) -> Vec<Option<usize>> {
        let mut domain_of = vec![None; units];
        for (k, d) in self.domains.iter().enumerate() {
            for &unit in &d.units {
                if let Some(slot) = domain_of.get_mut(unit) {
                    slot.get_or_insert(k);
                }
            }
        }
        domain_of
    }
}
