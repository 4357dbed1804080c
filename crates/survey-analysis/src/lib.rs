//! Analysis of employer labor-demand surveys: estimates, risk flags, policy reach and the
//! report workbooks.
//!
//! The `labor-survey` binary calls this crate on a checked dataset (one row per accepted
//! return, plus vacancy lines) and the survey `Definition`. This part is the estimation
//! core, plain Rust over slices so that it is fast and testable against published results:
//!
//! - [`StratifiedDesign`]: strata (industry section x size class) with frame counts N_h,
//!   weights N_h / n_h or given weights, optional clusters (the enterprise, for vacancy
//!   lines) and the finite population correction;
//! - estimators on it: totals, means, ratios (rates such as the job vacancy rate) and
//!   proportions, for the population and for domains, each an [`Estimate`] with SE by
//!   Taylor linearisation, t interval (logit interval for proportions), CV and caution
//!   flag; weighted quantiles (median offered wage);
//! - [`DisclosureRules`]: threshold, dominance and secondary suppression of table cells;
//! - [`hidiroglou_berthelot`]: wave-over-wave outliers.
//!
//! The formulas are those of DOMAIN.md ("Estimation", "Disclosure control"); the tests in
//! `tests/oracle.rs` compare them with R `survey` and Stata results on published data.
//!
//! ```
//! use std::collections::BTreeMap;
//! use survey_analysis::StratifiedDesign;
//!
//! // Five responding enterprises in two strata; the frame counts 12 and 40 enterprises.
//! let stratum = ["C-medium", "C-medium", "I-small", "I-small", "I-small"];
//! let frame = BTreeMap::from([("C-medium", 12), ("I-small", 40)]);
//! let design = StratifiedDesign::builder(&stratum).population(&frame).build()?;
//!
//! let vacancies = [Some(4.0), Some(6.0), Some(1.0), None, Some(2.0)];
//! let employees = [Some(96.0), Some(114.0), Some(9.0), Some(12.0), Some(18.0)];
//! let posts: Vec<Option<f64>> = vacancies.iter().zip(&employees).map(|(v, e)| Some((*v)? + (*e)?)).collect();
//! let jvr = design.ratio(&vacancies, &posts)?; // V / (E + V), over enterprises that answered both
//! println!("vacancy rate {:.3} (SE {:?}, {} enterprises)", jvr.value, jvr.se, jvr.n);
//!
//! let in_manufacturing: Vec<bool> = stratum.iter().map(|s| s.starts_with('C')).collect();
//! let total = design.domain_total(&vacancies, &in_manufacturing)?;
//! assert_eq!(total.value, 60.0); // 12/2 * (4 + 6)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod analyze;
mod builder;
pub mod chase;
pub mod context;
pub mod dataset;
pub mod demand;
mod design;
mod disclosure;
mod estimate;
pub mod export;
pub mod figures;
pub mod frame;
pub mod impute;
pub mod lines;
mod outliers;
pub mod previous;
pub mod publication;
mod quantile;
pub mod reach;
pub mod report;
pub mod risk;
pub mod sample;

pub use builder::DesignBuilder;
pub use design::{DEFAULT_CONFIDENCE, DesignError, StratifiedDesign, Stratum};
pub use disclosure::{
    CellStatus, Contributions, DEFAULT_DOMINANCE_K, DEFAULT_DOMINANCE_N, DEFAULT_MIN_ENTERPRISES, DEFAULT_PROTECTION,
    DisclosureRules, LineStatus, SuppressionReason,
};
pub use estimate::{CV_CAUTION, Estimate, EstimateError, EstimateNote};
pub use outliers::{
    DEFAULT_HB_A, DEFAULT_HB_C, DEFAULT_HB_MIN_CHANGED, DEFAULT_HB_U, DEFAULT_HEADCOUNT_FLOOR_PERSONS,
    DEFAULT_HEADCOUNT_FLOOR_SHARE, DEFAULT_VACANCIES_FLOOR_POSTS, HbError, HbOutcome, HbParameters, HbUnit,
    hidiroglou_berthelot,
};
pub use quantile::{type7_quantile, weighted_quantile};
