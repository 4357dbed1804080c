//! The responding sample as a design: which returns enter the estimates, their strata and
//! weights, and what the frame says about response by stratum.
//!
//! With a frame the strata are its sections x size classes, each return takes its
//! enterprise's stratum from the frame (the frame is the authority, not the return's own
//! answers), and w_hi = N_h / n_h. A stratum with one respondent is merged for variance
//! with the neighbouring size class of the same section (DOMAIN.md: collapse, never print
//! 0). Without a frame every return weighs 1 in one stratum with no finite population
//! correction, and the reports say "unweighted, respondents only".

use crate::frame::{Frame, StratumLabel};
use crate::{DesignError, StratifiedDesign};
use std::collections::{BTreeMap, HashMap};
use survey_def::Definition;

/// The stratum label of the single stratum of an unweighted analysis.
pub fn all_respondents() -> StratumLabel {
    StratumLabel {
        section: '*',
        size_class: "all".into(),
    }
}

/// Response in one frame stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumResponse {
    /// The stratum.
    pub label: StratumLabel,
    /// N_h, enterprises in the frame.
    pub population: u64,
    /// n_h, enterprises that returned an accepted questionnaire.
    pub respondents: u64,
    /// Employees of the stratum's frame enterprises, when the frame lists every one's.
    pub frame_employees: Option<u64>,
    /// The stratum it was merged into for variance estimation, if any.
    pub collapsed_into: Option<StratumLabel>,
}

impl StratumResponse {
    /// n_h / N_h.
    pub fn response_rate(&self) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            self.respondents as f64 / self.population as f64
        }
    }
}

/// The responding enterprises as a stratified design.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The design over the units below.
    pub design: StratifiedDesign<StratumLabel>,
    /// Row in the dataset of each unit of the design.
    pub rows: Vec<usize>,
    /// Stratum of each unit (as built, before any collapse).
    pub unit_strata: Vec<StratumLabel>,
    /// True with a frame: weights N_h / n_h and the finite population correction.
    pub weighted: bool,
    /// Every frame stratum with its response (empty without a frame).
    pub strata: Vec<StratumResponse>,
    /// Returns of enterprises the frame does not list: kept out of weighted estimates.
    pub outside_frame: Vec<String>,
    /// Enterprises in the frame.
    pub population: u64,
}

impl Sample {
    /// The design for the returns with `enterprise_ids` (dataset order), weighted by
    /// `frame` when there is one.
    pub fn build(def: &Definition, enterprise_ids: &[String], frame: Option<&Frame>) -> Result<Sample, DesignError> {
        let Some(frame) = frame else {
            return Self::unweighted(enterprise_ids);
        };
        let stratum_of: HashMap<String, &StratumLabel> = frame
            .enterprises
            .iter()
            .map(|e| (e.enterprise_id.to_ascii_uppercase(), &e.stratum))
            .collect();
        let mut rows = Vec::new();
        let mut unit_strata = Vec::new();
        let mut outside_frame = Vec::new();
        for (row, id) in enterprise_ids.iter().enumerate() {
            match stratum_of.get(&id.to_ascii_uppercase()) {
                Some(label) => {
                    rows.push(row);
                    unit_strata.push((*label).clone());
                }
                None => outside_frame.push(id.clone()),
            }
        }
        let counts = frame.stratum_counts();
        let mut employees: BTreeMap<&StratumLabel, Option<u64>> = BTreeMap::new();
        for e in &frame.enterprises {
            let sum = employees.entry(&e.stratum).or_insert(Some(0));
            *sum = sum.zip(e.employees).map(|(a, b)| a.saturating_add(b));
        }
        let mut design = StratifiedDesign::builder(&unit_strata).population(&counts).build()?;
        let mut collapsed: BTreeMap<StratumLabel, StratumLabel> = BTreeMap::new();
        // One merge at a time, looking again after each: a stratum that took in a lone
        // neighbour has two respondents and needs no further merging.
        let mut without_partner: Vec<StratumLabel> = Vec::new();
        loop {
            let next = design
                .single_unit_strata()
                .into_iter()
                .find(|s| !without_partner.contains(s))
                .cloned();
            let Some(label) = next else { break };
            let present: Vec<StratumLabel> = design.strata().iter().map(|s| s.label.clone()).collect();
            match collapse_partner(def, &label, &present) {
                Some(partner) => {
                    design = design.collapse(&label, &partner)?;
                    collapsed.insert(label, partner);
                }
                None => without_partner.push(label),
            }
        }
        let mut respondents: BTreeMap<&StratumLabel, u64> = BTreeMap::new();
        for s in &unit_strata {
            *respondents.entry(s).or_default() += 1;
        }
        let strata = counts
            .iter()
            .map(|(label, &population)| StratumResponse {
                label: label.clone(),
                population,
                respondents: respondents.get(label).copied().unwrap_or(0),
                frame_employees: employees.get(label).copied().flatten(),
                collapsed_into: collapsed.get(label).cloned(),
            })
            .collect();
        Ok(Sample {
            design,
            rows,
            unit_strata,
            weighted: true,
            strata,
            outside_frame,
            population: counts.values().sum(),
        })
    }

    fn unweighted(enterprise_ids: &[String]) -> Result<Sample, DesignError> {
        let units = enterprise_ids.len();
        let unit_strata = vec![all_respondents(); units];
        let weights = vec![1.0; units];
        let design = StratifiedDesign::builder(&unit_strata)
            .weights(&weights)
            .without_fpc()
            .build()?;
        Ok(Sample {
            design,
            rows: (0..units).collect(),
            unit_strata,
            weighted: false,
            strata: Vec::new(),
            outside_frame: Vec::new(),
            population: 0,
        })
    }

    /// Number of units in the design.
    pub fn units(&self) -> usize {
        self.rows.len()
    }

    /// Takes a dataset column (one entry per return) to the design's units.
    pub fn pick<T: Clone>(&self, column: &[T]) -> Vec<T> {
        self.rows.iter().map(|&r| column[r].clone()).collect()
    }

    /// Enterprises responding over enterprises in the frame; `None` without a frame.
    pub fn response_rate(&self) -> Option<f64> {
        (self.weighted && self.population > 0).then(|| self.units() as f64 / self.population as f64)
    }

    /// Frame strata with enterprises and no respondent.
    pub fn unrepresented(&self) -> Vec<&StratumResponse> {
        self.strata
            .iter()
            .filter(|s| s.population > 0 && s.respondents == 0)
            .collect()
    }
}

/// The stratum a single-respondent stratum is merged with: the nearest size class of the
/// same section that has respondents (the smaller neighbour first, as closer in kind to a
/// stratum that drew one respondent), else the same size class in another section.
fn collapse_partner(def: &Definition, label: &StratumLabel, present: &[StratumLabel]) -> Option<StratumLabel> {
    let classes: Vec<&str> = def
        .design()
        .map(|d| d.size_classes.iter().map(|c| c.code.as_str()).collect())
        .unwrap_or_default();
    let position = |class: &str| classes.iter().position(|c| *c == class);
    let here = position(&label.size_class)?;
    let same_section = present
        .iter()
        .filter(|s| s.section == label.section && *s != label)
        .filter_map(|s| position(&s.size_class).map(|p| (p.abs_diff(here), p > here, s)))
        .min_by_key(|(distance, above, _)| (*distance, *above));
    if let Some((_, _, s)) = same_section {
        return Some(s.clone());
    }
    present
        .iter()
        .find(|s| s.size_class == label.size_class && *s != label)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameEnterprise;
    use std::path::Path;

    fn definition() -> Definition {
        survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
    }

    fn enterprise(id: &str, section: char, class: &str) -> FrameEnterprise {
        FrameEnterprise {
            enterprise_id: id.into(),
            stratum: StratumLabel {
                section,
                size_class: class.into(),
            },
            subdistrict: None,
            employees: None,
            extra: Vec::new(),
        }
    }

    #[test]
    fn weights_come_from_the_frame_and_outsiders_are_set_apart() {
        let frame = Frame {
            enterprises: vec![
                enterprise("A", 'C', "small"),
                enterprise("B", 'C', "small"),
                enterprise("C", 'C', "small"),
                enterprise("D", 'C', "small"),
                enterprise("E", 'I', "micro"),
                enterprise("F", 'I', "micro"),
                enterprise("G", 'I', "large"),
            ],
            ..Frame::default()
        };
        let ids: Vec<String> = ["A", "B", "E", "F", "X"].iter().map(|s| s.to_string()).collect();
        let sample = Sample::build(&definition(), &ids, Some(&frame)).unwrap();
        // C/small: 4 in the frame, 2 responded -> weight 2; I/micro: 2 of 2 -> weight 1.
        assert_eq!(sample.design.weights(), &[2.0, 2.0, 1.0, 1.0]);
        assert_eq!(sample.rows, vec![0, 1, 2, 3]);
        assert_eq!(sample.outside_frame, vec!["X".to_string()]);
        assert_eq!(sample.population, 7);
        let missing: Vec<String> = sample.unrepresented().iter().map(|s| s.label.to_string()).collect();
        assert_eq!(missing, vec!["I/large"]);
        assert_eq!(sample.response_rate(), Some(4.0 / 7.0));
    }

    #[test]
    fn a_lone_respondent_is_collapsed_with_the_neighbouring_size_class() {
        let frame = Frame {
            enterprises: vec![
                enterprise("A", 'C', "micro"),
                enterprise("B", 'C', "micro"),
                enterprise("C", 'C', "small"),
                enterprise("D", 'C', "small"),
                enterprise("E", 'C', "large"),
                enterprise("F", 'C', "large"),
            ],
            ..Frame::default()
        };
        let ids: Vec<String> = ["A", "B", "C", "E", "F"].iter().map(|s| s.to_string()).collect();
        let sample = Sample::build(&definition(), &ids, Some(&frame)).unwrap();
        let small = sample.strata.iter().find(|s| s.label.size_class == "small").unwrap();
        // small (index 1) is as near micro (0) as medium (2, absent); micro is below.
        assert_eq!(small.collapsed_into.as_ref().unwrap().size_class, "micro");
        assert!(sample.design.single_unit_strata().is_empty());
    }

    #[test]
    fn without_a_frame_every_return_weighs_one() {
        let ids: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let sample = Sample::build(&definition(), &ids, None).unwrap();
        assert_eq!(sample.design.weights(), &[1.0, 1.0, 1.0]);
        assert!(!sample.weighted && !sample.design.uses_fpc());
        assert_eq!(sample.response_rate(), None);
    }
}
