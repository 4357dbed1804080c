//! The estimators against published R `survey` and Stata results (see tests/oracle/README.md).
//!
//! Each test builds the design that the published call declares, runs our estimator and
//! compares with `expected.json`: to 1e-9 where a high-precision value is given, otherwise
//! to half a unit of the last digit printed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use survey_analysis::{Estimate, StratifiedDesign};

/// Agreement asked of the values given to 10 decimals.
const HIGH_PRECISION: f64 = 1e-9;

/// R prints correctly rounded values: ours must be within half a unit of the last digit.
const R_LAST_DIGIT: f64 = 0.5;

/// Stata's printed values (samplics' copies) are allowed one unit of the last digit: three
/// of them are not the rounding of the exact value. The PSU total's SE and upper limit,
/// 97.41386 and 1073.48547, look cut rather than rounded (exact 97.4138669, 1073.4854768;
/// the printed interval itself implies SE 97.413866); domain 2's mean SE 0.6267698142 is
/// printed 0.6267699 (Stata keeps data as 4-byte floats by default, which moves that digit).
/// samplics itself compares with a relative tolerance of 1e-5.
const STATA_LAST_DIGIT: f64 = 1.0;

fn oracle_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(name)
}

/// A CSV file as named columns of text.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(name: &str) -> Table {
        let mut reader = csv::Reader::from_path(oracle_path(name)).expect("oracle CSV opens");
        let headers = reader.headers().expect("header row").iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.expect("CSV record").iter().map(String::from).collect())
            .collect();
        Table { headers, rows }
    }

    fn text(&self, column: &str) -> Vec<String> {
        let at = self
            .headers
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        self.rows.iter().map(|r| r[at].clone()).collect()
    }

    /// Numbers, with R's `NA` as a missing answer.
    fn numbers(&self, column: &str) -> Vec<Option<f64>> {
        self.text(column)
            .iter()
            .map(|t| {
                if t == "NA" {
                    None
                } else {
                    Some(t.parse().unwrap_or_else(|_| panic!("{column}: {t}")))
                }
            })
            .collect()
    }

    /// Numbers of a column that has no missing values.
    fn complete(&self, column: &str) -> Vec<f64> {
        self.numbers(column)
            .into_iter()
            .map(|v| v.unwrap_or_else(|| panic!("{column} has NA")))
            .collect()
    }

    /// N_h per stratum from a per-row column that repeats it.
    fn population(&self, stratum: &str, count: &str) -> BTreeMap<String, u64> {
        self.text(stratum)
            .into_iter()
            .zip(self.complete(count))
            .map(|(s, n)| (s, n.round() as u64))
            .collect()
    }
}

fn expected() -> Value {
    let text = std::fs::read_to_string(oracle_path("expected.json")).expect("expected.json reads");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// The published number at a JSON pointer, e.g. "/apistrat_dstrat/svymean_api00/se".
fn published<'a>(json: &'a Value, pointer: &str) -> &'a Value {
    json.pointer(pointer)
        .unwrap_or_else(|| panic!("expected.json has no {pointer}"))
}

/// Decimals printed in a published number: "50.8888" has 4, "3687178" none.
fn printed_decimals(number: &Value) -> i32 {
    let text = number.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("exponent")),
        None => (text.as_str(), 0),
    };
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    fraction - exponent
}

/// |ours - published| <= half a unit of the published number's last printed digit.
fn assert_printed(what: &str, ours: f64, json: &Value, pointer: &str) {
    assert_printed_within(what, ours, json, pointer, R_LAST_DIGIT);
}

/// |ours - published| <= one unit of the last printed digit (Stata's values).
fn assert_stata(what: &str, ours: f64, json: &Value, pointer: &str) {
    assert_printed_within(what, ours, json, pointer, STATA_LAST_DIGIT);
}

/// |ours - published| <= `units` of the published number's last printed digit.
fn assert_printed_within(what: &str, ours: f64, json: &Value, pointer: &str, units: f64) {
    let number = published(json, pointer);
    let value = number.as_f64().expect("a number");
    let tolerance = units * 10f64.powi(-printed_decimals(number)) * (1.0 + 1e-9);
    assert!(
        (ours - value).abs() <= tolerance,
        "{what}: ours {ours} vs published {value} ({pointer}), off by {:e} > {tolerance:e}",
        (ours - value).abs()
    );
}

fn assert_close(what: &str, ours: f64, json: &Value, pointer: &str, tolerance: f64) {
    let value = published(json, pointer).as_f64().expect("a number");
    assert!(
        (ours - value).abs() <= tolerance,
        "{what}: ours {ours} vs published {value} ({pointer}), off by {:e}",
        (ours - value).abs()
    );
}

fn se(e: &Estimate) -> f64 {
    e.se.expect("SE is estimable")
}

fn ci(e: &Estimate) -> (f64, f64) {
    (e.ci_low.expect("interval"), e.ci_high.expect("interval"))
}

// ---- apistrat: svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc) ----

struct Apistrat {
    table: Table,
    stype: Vec<String>,
    population: BTreeMap<String, u64>,
    pw: Vec<f64>,
}

fn apistrat() -> Apistrat {
    let table = Table::read("apistrat.csv");
    Apistrat {
        stype: table.text("stype"),
        population: table.population("stype", "fpc"),
        pw: table.complete("pw"),
        table,
    }
}

impl Apistrat {
    /// The design as R declares it: the `pw` column (stored as 44.2099990844727, not 44.21,
    /// which matters at 1e-9) and N_h from `fpc`.
    fn design(&self) -> StratifiedDesign<String> {
        StratifiedDesign::builder(&self.stype)
            .weights(&self.pw)
            .population(&self.population)
            .build()
            .unwrap()
    }

    fn design_without_fpc(&self) -> StratifiedDesign<String> {
        StratifiedDesign::builder(&self.stype)
            .weights(&self.pw)
            .population(&self.population)
            .without_fpc()
            .build()
            .unwrap()
    }
}

#[test]
fn apistrat_mean_api00_with_and_without_fpc() {
    let json = expected();
    let api = apistrat();
    let api00 = api.table.numbers("api00");

    let mean = api.design().mean(&api00).unwrap();
    assert_printed("mean", mean.value, &json, "/apistrat_dstrat/svymean_api00/est");
    assert!(
        (mean.value - 662.2873632).abs() < 0.5e-7,
        "README's 662.2873632: {}",
        mean.value
    );
    assert_printed("se", se(&mean), &json, "/apistrat_dstrat/svymean_api00/se");
    assert_close(
        "se",
        se(&mean),
        &json,
        "/apistrat_dstrat/svymean_api00/se_hi_prec",
        HIGH_PRECISION,
    );
    assert_eq!((mean.df, mean.n), (200 - 3, 200));

    let no_fpc = api.design_without_fpc().mean(&api00).unwrap();
    assert_close(
        "se",
        se(&no_fpc),
        &json,
        "/apistrat_dstrat/svymean_api00_no_fpc/se_hi_prec",
        HIGH_PRECISION,
    );

    // Weights made by the design itself (N_h / n_h = 44.21 exactly) agree to print.
    let from_frame = StratifiedDesign::builder(&api.stype)
        .population(&api.population)
        .build()
        .unwrap();
    let mean = from_frame.mean(&api00).unwrap();
    assert_printed("mean", mean.value, &json, "/apistrat_dstrat/svymean_api00/est");
    assert_printed("se", se(&mean), &json, "/apistrat_dstrat/svymean_api00/se");
}

#[test]
fn apistrat_totals_enroll_and_api_stu() {
    let json = expected();
    let api = apistrat();
    let design = api.design();
    let enroll = design.total(&api.table.numbers("enroll")).unwrap();
    assert_printed("total", enroll.value, &json, "/apistrat_dstrat/svytotal_enroll/est");
    assert_printed("se", se(&enroll), &json, "/apistrat_dstrat/svytotal_enroll/se");
    let api_stu = design.total(&api.table.numbers("api.stu")).unwrap();
    assert_printed("total", api_stu.value, &json, "/apistrat_dstrat/svytotal_api.stu/est");
    assert_printed("se", se(&api_stu), &json, "/apistrat_dstrat/svytotal_api.stu/se");
}

#[test]
fn apistrat_ratio_api_stu_over_enroll() {
    let json = expected();
    let api = apistrat();
    let at = "/apistrat_dstrat/svyratio_api.stu_over_enroll_predict_total_3811472";
    let ratio = api
        .design()
        .ratio(&api.table.numbers("api.stu"), &api.table.numbers("enroll"))
        .unwrap();
    assert_printed("ratio", ratio.value, &json, &format!("{at}/ratio_derived"));
    assert_printed("ratio se", se(&ratio), &json, &format!("{at}/ratio_se_derived"));
    // R printed the ratio times the known enrolment total 3,811,472 (predict.svyratio).
    let known_enrolment = 3_811_472.0;
    assert_printed(
        "predicted total",
        ratio.value * known_enrolment,
        &json,
        &format!("{at}/total"),
    );
    assert_printed("predicted se", se(&ratio) * known_enrolment, &json, &format!("{at}/se"));
}

#[test]
fn apistrat_domain_mean_sch_wide_yes() {
    let json = expected();
    let api = apistrat();
    let api00 = api.table.numbers("api00");
    let yes: Vec<bool> = api.table.text("sch.wide").iter().map(|s| s == "Yes").collect();
    let at = "/apistrat_dstrat/svymean_api00_domain_sch.wide_Yes";

    let mean = api.design().domain_mean(&api00, &yes).unwrap();
    assert_printed("domain mean", mean.value, &json, &format!("{at}/est_derived"));
    assert_close("se", se(&mean), &json, &format!("{at}/se_fpc"), HIGH_PRECISION);
    // Full-sample degrees of freedom, but n counts the domain's schools only.
    assert_eq!(mean.df, 197);
    assert_eq!(mean.n, yes.iter().filter(|y| **y).count());

    let no_fpc = api.design_without_fpc().domain_mean(&api00, &yes).unwrap();
    assert_close("se", se(&no_fpc), &json, &format!("{at}/se_no_fpc"), HIGH_PRECISION);
}

// ---- apiclus1: svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc) ----

#[test]
fn apiclus1_one_stage_cluster_mean_and_total() {
    let json = expected();
    let table = Table::read("apiclus1.csv");
    // One stratum holding all 757 districts; the district is the PSU.
    let stratum = vec!["all"; table.rows.len()];
    let population = BTreeMap::from([("all", 757)]);
    let pw = table.complete("pw");
    let design = StratifiedDesign::builder(&stratum)
        .weights(&pw)
        .population(&population)
        .clusters(&table.text("dnum"))
        .build()
        .unwrap();
    assert_eq!(design.degrees_of_freedom(), 15 - 1);

    let mean = design.mean(&table.numbers("api00")).unwrap();
    assert_printed("mean", mean.value, &json, "/apiclus1_dclus1/svymean_api00/est");
    assert_printed("se", se(&mean), &json, "/apiclus1_dclus1/svymean_api00/se");
    let total = design.total(&table.numbers("enroll")).unwrap();
    assert_printed("total", total.value, &json, "/apiclus1_dclus1/svytotal_enroll/est");
    assert_printed("se", se(&total), &json, "/apiclus1_dclus1/svytotal_enroll/se");
}

// ---- R data(fpc): svydesign(weights=~weight, ids=~psuid, strata=~stratid, fpc=~Nh, nest=TRUE) ----

#[test]
fn r_fpc_dataset_mean_with_and_without_fpc() {
    let json = expected();
    let table = Table::read("fpc.csv");
    let stratid = table.text("stratid");
    let psuid = table.text("psuid");
    let weight = table.complete("weight");
    let population = table.population("stratid", "Nh");
    let x = table.numbers("x");
    let builder = || {
        StratifiedDesign::builder(&stratid)
            .weights(&weight)
            .population(&population)
            .clusters(&psuid)
    };

    let with_fpc = builder().build().unwrap().mean(&x).unwrap();
    assert_printed("mean", with_fpc.value, &json, "/R_fpc_dataset/svymean_x_with_fpc/est");
    assert_printed("se", se(&with_fpc), &json, "/R_fpc_dataset/svymean_x_with_fpc/se");

    let design = builder().without_fpc().build().unwrap();
    let without = design.mean(&x).unwrap();
    assert_printed("mean", without.value, &json, "/R_fpc_dataset/svymean_x_without_fpc/est");
    assert_printed("se", se(&without), &json, "/R_fpc_dataset/svymean_x_without_fpc/se");

    // svyby(~x, ~I(x > 4), design, svymean): domain means without fpc.
    let above: Vec<bool> = x.iter().map(|v| v.is_some_and(|v| v > 4.0)).collect();
    let below: Vec<bool> = above.iter().map(|a| !a).collect();
    for (domain, key) in [(&below, "FALSE"), (&above, "TRUE")] {
        let mean = design.domain_mean(&x, domain).unwrap();
        assert_printed(
            "domain mean",
            mean.value,
            &json,
            &format!("/R_fpc_dataset/svyby_x_by_I(x>4)_no_fpc/{key}/0"),
        );
        assert_printed(
            "domain se",
            se(&mean),
            &json,
            &format!("/R_fpc_dataset/svyby_x_by_I(x>4)_no_fpc/{key}/1"),
        );
    }

    // Weights 1 and no frame counts: with-replacement, unweighted.
    let ones = vec![1.0; x.len()];
    let unweighted = StratifiedDesign::builder(&stratid)
        .weights(&ones)
        .clusters(&psuid)
        .build()
        .unwrap();
    let mean = unweighted.mean(&x).unwrap();
    assert_printed("mean", mean.value, &json, "/R_fpc_dataset/unweighted_strat_wr/est");
    assert_printed("se", se(&mean), &json, "/R_fpc_dataset/unweighted_strat_wr/se");
}

// ---- samplics one_stage_fpc (values from Stata) ----

struct OneStage {
    table: Table,
    stratid: Vec<String>,
    weight: Vec<f64>,
    population: BTreeMap<String, u64>,
}

fn one_stage() -> OneStage {
    let table = Table::read("one_stage_fpc.csv");
    OneStage {
        stratid: table.text("stratid"),
        weight: table.complete("weight"),
        population: table.population("stratid", "Nh"),
        table,
    }
}

impl OneStage {
    fn y(&self) -> Vec<Option<f64>> {
        self.table.numbers("y")
    }

    fn x(&self) -> Vec<Option<f64>> {
        self.table.numbers("x")
    }

    fn z_is_1(&self) -> Vec<bool> {
        self.table.complete("z").iter().map(|z| *z == 1.0).collect()
    }

    fn domain(&self, which: &str) -> Vec<bool> {
        self.table.text("domain").iter().map(|d| d == which).collect()
    }
}

/// Checks an estimate against Stata's `{at}/est`, `/se`, and the interval ends when published.
fn assert_estimate(what: &str, e: &Estimate, json: &Value, at: &str, low: &str, high: &str) {
    let has = |key: &str| json.pointer(&format!("{at}/{key}")).is_some();
    if has("est") {
        assert_stata(what, e.value, json, &format!("{at}/est"));
    }
    assert_stata(what, se(e), json, &format!("{at}/se"));
    if has(low) {
        assert_stata(what, ci(e).0, json, &format!("{at}/{low}"));
        assert_stata(what, ci(e).1, json, &format!("{at}/{high}"));
    }
}

#[test]
fn samplics_stratified_without_psu() {
    let json = expected();
    let data = one_stage();
    // Each row its own unit; fpc 1 - n_h/N_h with n_h = rows (5, 6, 10), N_h = 15, 9, 20.
    let design = StratifiedDesign::builder(&data.stratid)
        .weights(&data.weight)
        .population(&data.population)
        .build()
        .unwrap();
    assert_eq!(design.degrees_of_freedom(), 21 - 3);
    let at = "/samplics_one_stage_fpc_stratified_no_psu";

    assert_estimate(
        "total",
        &design.total(&data.y()).unwrap(),
        &json,
        &format!("{at}/total_y"),
        "lci",
        "uci",
    );
    assert_estimate(
        "mean",
        &design.mean(&data.y()).unwrap(),
        &json,
        &format!("{at}/mean_y"),
        "lci",
        "uci",
    );
    let ratio = design.ratio(&data.y(), &data.x()).unwrap();
    assert_estimate("ratio", &ratio, &json, &format!("{at}/ratio_y_over_x"), "lci", "uci");
    let prop = design.proportion(&data.z_is_1()).unwrap();
    assert_estimate(
        "proportion",
        &prop,
        &json,
        &format!("{at}/prop_z_eq_1"),
        "lci_logit",
        "uci_logit",
    );

    for d in ["1", "2"] {
        let domain = data.domain(d);
        let pair = |name: &str, e: Estimate| {
            assert_stata(name, e.value, &json, &format!("{at}/{name}/{d}/0"));
            assert_stata(name, se(&e), &json, &format!("{at}/{name}/{d}/1"));
            assert_eq!(e.df, 18, "{name}: full-sample degrees of freedom");
        };
        pair("domain_total_y", design.domain_total(&data.y(), &domain).unwrap());
        pair("domain_mean_y", design.domain_mean(&data.y(), &domain).unwrap());
        pair(
            "domain_ratio",
            design.domain_ratio(&data.y(), &data.x(), &domain).unwrap(),
        );
        pair(
            "domain_prop_z1",
            design.domain_proportion(&data.z_is_1(), &domain).unwrap(),
        );
    }
}

#[test]
fn samplics_stratified_with_psu() {
    let json = expected();
    let data = one_stage();
    // PSUs nested in strata: n_h = 5, 3, 4 PSUs of N_h = 15, 9, 20; df = 12 - 3.
    let design = StratifiedDesign::builder(&data.stratid)
        .weights(&data.weight)
        .population(&data.population)
        .clusters(&data.table.text("psuid"))
        .build()
        .unwrap();
    assert_eq!(design.degrees_of_freedom(), 9);
    let at = "/samplics_one_stage_fpc_stratified_psu";

    assert_estimate(
        "total",
        &design.total(&data.y()).unwrap(),
        &json,
        &format!("{at}/total_y"),
        "lci",
        "uci",
    );
    assert_estimate(
        "mean",
        &design.mean(&data.y()).unwrap(),
        &json,
        &format!("{at}/mean_y"),
        "lci",
        "uci",
    );
    let ratio = design.ratio(&data.y(), &data.x()).unwrap();
    assert_estimate("ratio", &ratio, &json, &format!("{at}/ratio_y_over_x"), "lci", "uci");
    let prop = design.proportion(&data.z_is_1()).unwrap();
    assert_estimate(
        "proportion",
        &prop,
        &json,
        &format!("{at}/prop_z_eq_1"),
        "lci_logit",
        "uci_logit",
    );
    // The point estimate does not depend on the PSUs; samplics printed it for the other design.
    assert_stata(
        "proportion",
        prop.value,
        &json,
        "/samplics_one_stage_fpc_stratified_no_psu/prop_z_eq_1/est",
    );
}
