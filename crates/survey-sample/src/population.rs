//! The sampling frame: every enterprise of the district's population, with its credit
//! code, name, industry, size and sub-district, and the register's contact person and
//! telephone.

use crate::names;
use crate::random::{self, Rng};
use crate::sectors::{self, Sector};
use std::collections::BTreeSet;
use survey_def::Definition;
use survey_def::codes::{USCC_ALPHABET, industry_section};

/// One enterprise of the population.
#[derive(Debug, Clone)]
pub(crate) struct Enterprise {
    /// Unified social credit code (valid check character).
    pub id: String,
    pub name: String,
    /// GB/T 4754 division, two digits.
    pub division: &'static str,
    pub section: char,
    pub sector: Sector,
    /// Size class code from the definition's design.
    pub size_class: String,
    pub employees: u64,
    /// Sub-district code.
    pub subdistrict: String,
}

/// Size bands: the definition's, or the domain default when it declares none.
pub(crate) fn size_bands(def: &Definition) -> Vec<(String, u64, Option<u64>)> {
    match def.design() {
        Some(d) if !d.size_classes.is_empty() => {
            d.size_classes.iter().map(|c| (c.code.clone(), c.min, c.max)).collect()
        }
        _ => vec![
            ("micro".into(), 1, Some(9)),
            ("small".into(), 10, Some(49)),
            ("medium".into(), 50, Some(249)),
            ("large".into(), 250, None),
        ],
    }
}

/// Largest headcount drawn for the open top class.
const MAX_EMPLOYEES: u64 = 20_000;

/// Headcount drawn log-normally inside a band, leaning towards its lower end.
fn employees_in(rng: &mut Rng, min: u64, max: Option<u64>) -> u64 {
    let lo = (min.max(1) as f64).ln();
    let (centre, spread, hi) = match max {
        Some(max) => {
            let hi = (max as f64 + 1.0).ln();
            (lo + 0.35 * (hi - lo), 0.45 * (hi - lo).max(0.1), hi)
        }
        None => (lo + 0.5, 0.8, (MAX_EMPLOYEES as f64).ln()),
    };
    for _ in 0..64 {
        let x = centre + spread * random::normal(rng);
        if (lo..hi).contains(&x) {
            let n = x.exp().floor() as u64;
            return n.clamp(min.max(1), max.unwrap_or(MAX_EMPLOYEES));
        }
    }
    min.max(1)
}

/// Sub-district weights: Wujiaochang, Xinjiangwancheng and Kongjiang Road hold more
/// enterprises; knowledge firms cluster at Wujiaochang and Xinjiangwancheng, older
/// industry along the riverside (Dinghai, Pingliang).
fn subdistrict_weight(code: &str, sector: Sector) -> f64 {
    let knowledge = matches!(sector, Sector::Software | Sector::Research | Sector::Business);
    let base = match code {
        "wujiaochang" => 3.0,
        "xinjiangwancheng" | "kongjiang" => 2.0,
        _ => 1.0,
    };
    match code {
        "wujiaochang" | "xinjiangwancheng" if knowledge => base * 1.6,
        "dinghai" | "pingliang" if sector == Sector::Manufacturing => base * 2.5,
        _ => base,
    }
}

/// The sub-district codes of the definition (none when it has no such list).
pub(crate) fn subdistrict_codes(def: &Definition) -> Vec<String> {
    def.survey()
        .subdistricts
        .as_deref()
        .and_then(|l| def.choice_list(l))
        .map(|l| l.options.iter().map(|o| o.code.clone()).collect())
        .unwrap_or_default()
}

/// Computes the check character of 17 credit-code symbols (GB 32100-2015).
pub(crate) fn uscc_check(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| USCC_ALPHABET.find(c).unwrap_or(0) as u32 * w)
        .sum();
    USCC_ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize] as char
}

/// An organisation code (positions 9-17): a post-2015 `MA…` code, or an old GB 11714
/// code of 8 digits and its check digit.
fn org_code(rng: &mut Rng) -> String {
    let symbols: Vec<char> = USCC_ALPHABET.chars().collect();
    if random::chance(rng, 0.7) {
        let mut s = String::from("MA1");
        for _ in 0..6 {
            s.push(symbols[random::int(rng, 0, 30) as usize]);
        }
        s
    } else {
        const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
        let digits: Vec<u32> = (0..8).map(|i| if i == 0 { random::int(rng, 5, 8) } else { random::int(rng, 0, 9) } as u32).collect();
        let c = 11 - digits.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11;
        let check = match c {
            10 => 'X',
            11 => '0',
            d => char::from_digit(d, 10).unwrap_or('0'),
        };
        digits
            .iter()
            .filter_map(|d| char::from_digit(*d, 10))
            .chain([check])
            .collect()
    }
}

/// Registration prefix of a credit code: an enterprise (91), or a private non-enterprise
/// unit (52) for some schools and clinics; both registered in Yangpu (310110).
fn code_prefix(rng: &mut Rng, sector: Sector) -> &'static str {
    let civil = matches!(sector, Sector::Education | Sector::Health) && random::chance(rng, 0.3);
    if civil { "52310110" } else { "91310110" }
}

/// A unified social credit code registered in Yangpu, drawn at random.
fn credit_code(rng: &mut Rng, sector: Sector) -> String {
    let mut code = String::from(code_prefix(rng, sector));
    code.push_str(&org_code(rng));
    let check = uscc_check(&code);
    code.push(check);
    code
}

/// Enterprises [`Numbering`] can tell apart: the six free symbols of a `MA1…`
/// organisation code.
pub(crate) const NUMBERED_CODES: u64 = 31u64.pow(6);

/// Credit codes by enterprise number: a post-2015 `MA1…` organisation code whose six
/// free symbols are the number under a seeded permutation, so distinct numbers give
/// distinct codes without remembering the codes already given.
pub(crate) struct Numbering {
    /// Multiplier, not a multiple of 31: x -> a*x + b (mod 31^6) is then a permutation.
    a: u64,
    b: u64,
}

impl Numbering {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = random::stream(seed, "code-numbering", 0);
        let a = 1 + 31 * random::int(&mut rng, 1_000, 20_000) as u64;
        let b = random::int(&mut rng, 0, NUMBERED_CODES as i64 - 1) as u64;
        Numbering { a, b }
    }

    /// The code of enterprise `k` (below [`NUMBERED_CODES`]).
    pub(crate) fn code(&self, rng: &mut Rng, sector: Sector, k: u64) -> String {
        let mut x = ((u128::from(self.a) * u128::from(k) + u128::from(self.b)) % u128::from(NUMBERED_CODES)) as u64;
        let symbols = USCC_ALPHABET.as_bytes();
        let mut free = [b'0'; 6];
        for slot in free.iter_mut().rev() {
            *slot = symbols[(x % 31) as usize];
            x /= 31;
        }
        let mut code = String::from(code_prefix(rng, sector));
        code.push_str("MA1");
        code.extend(free.iter().map(|&b| char::from(b)));
        let check = uscc_check(&code);
        code.push(check);
        code
    }
}

fn enterprise_name(rng: &mut Rng, sector: Sector, large: bool) -> String {
    let p = sectors::profile(sector);
    let trade = names::TRADE_NAMES[random::int(rng, 0, names::TRADE_NAMES.len() as i64 - 1) as usize];
    let word = p.name_words[random::int(rng, 0, p.name_words.len() as i64 - 1) as usize];
    let suffix = match sector {
        Sector::Health if word == "门诊部" => "",
        Sector::Education if word == "职业技能培训" => "学校",
        _ if large && random::chance(rng, 0.5) => "股份有限公司",
        _ => "有限公司",
    };
    let branch = if random::chance(rng, 0.08) {
        "杨浦分公司"
    } else {
        ""
    };
    let suffix = if branch.is_empty() {
        suffix.to_owned()
    } else {
        format!("{suffix}{branch}")
    };
    format!("上海{trade}{word}{suffix}")
}

/// A person's name: a surname and a given name.
pub(crate) fn person_name(rng: &mut Rng) -> String {
    let surname = names::SURNAMES[random::int(rng, 0, names::SURNAMES.len() as i64 - 1) as usize];
    let given = names::GIVEN_NAMES[random::int(rng, 0, names::GIVEN_NAMES.len() as i64 - 1) as usize];
    format!("{surname}{given}")
}

/// A Shanghai telephone number: a landline (`021-…`) or a mobile.
pub(crate) fn phone_number(rng: &mut Rng) -> String {
    if random::chance(rng, 0.5) {
        format!("021-{}{:07}", random::int(rng, 5, 6), random::int(rng, 0, 9_999_999))
    } else {
        format!(
            "1{}{:09}",
            *random::pick(rng, &[(3, 3.0), (5, 2.0), (8, 2.0)]),
            random::int(rng, 0, 999_999_999)
        )
    }
}

/// The contact person and telephone the register lists for the enterprise with credit
/// code `id`. Drawn from a stream of the code alone, so listing them moves no other draw
/// of the population, its returns or its previous wave; the contact need not be the one
/// a return names, as a register's seldom is.
fn register_contact(id: &str) -> (String, String) {
    let mut rng = random::stream(0, &format!("frame-contact {id}"), 0);
    let person = person_name(&mut rng);
    (person, phone_number(&mut rng))
}

/// What drawing an enterprise needs from the definition, worked out once.
pub(crate) struct Draws {
    bands: Vec<(String, u64, Option<u64>)>,
    subdistricts: Vec<String>,
    division_weights: Vec<f64>,
}

impl Draws {
    pub(crate) fn new(def: &Definition) -> Self {
        Draws {
            bands: size_bands(def),
            subdistricts: subdistrict_codes(def),
            division_weights: sectors::DIVISIONS.iter().map(|d| d.1).collect(),
        }
    }

    /// One enterprise: industry, size, sub-district, then its credit code from `code`
    /// (given the generator and the sector), then its name.
    pub(crate) fn enterprise(&self, rng: &mut Rng, code: impl FnOnce(&mut Rng, Sector) -> String) -> Enterprise {
        let (division, _, sector) = sectors::DIVISIONS[random::weighted_index(rng, &self.division_weights)];
        let section = industry_section(division).map_or('S', |s| s.code);
        let mix = sectors::profile(sector).size_mix;
        let class_weights: Vec<f64> = if self.bands.len() == 4 {
            mix.to_vec()
        } else {
            (0..self.bands.len()).map(|i| 0.6f64.powi(i as i32)).collect()
        };
        let (class, min, max) = &self.bands[random::weighted_index(rng, &class_weights)];
        let employees = employees_in(rng, *min, *max);
        let weights: Vec<f64> = self
            .subdistricts
            .iter()
            .map(|c| subdistrict_weight(c, sector))
            .collect();
        let subdistrict = if self.subdistricts.is_empty() {
            String::new()
        } else {
            self.subdistricts[random::weighted_index(rng, &weights)].clone()
        };
        let id = code(rng, sector);
        let name = enterprise_name(rng, sector, max.is_none());
        Enterprise {
            id,
            name,
            division,
            section,
            sector,
            size_class: class.clone(),
            employees,
            subdistrict,
        }
    }
}

/// Draws the population of `n` enterprises, sorted by credit code.
pub(crate) fn frame(def: &Definition, n: usize, seed: u64) -> Vec<Enterprise> {
    let draws = Draws::new(def);
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    let mut rng = random::stream(seed, "frame", 0);
    while out.len() < n {
        let e = draws.enterprise(&mut rng, credit_code);
        if seen.insert(e.id.clone()) {
            out.push(e);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The header line of the frame CSV.
pub(crate) const FRAME_CSV_HEADER: &str = "enterprise_id,name,industry_division,industry_section,size_class,employees,subdistrict,contact_person,contact_phone\n";

/// One enterprise as a line of the frame CSV.
pub(crate) fn frame_csv_row(e: &Enterprise) -> String {
    let (person, phone) = register_contact(&e.id);
    let row = [
        csv_field(&e.id),
        csv_field(&e.name),
        e.division.to_owned(),
        e.section.to_string(),
        csv_field(&e.size_class),
        e.employees.to_string(),
        csv_field(&e.subdistrict),
        csv_field(&person),
        csv_field(&phone),
    ];
    let mut line = row.join(",");
    line.push('\n');
    line
}

/// The frame as CSV, one row per enterprise in the given (credit code) order.
pub(crate) fn frame_csv(frame: &[Enterprise]) -> String {
    let mut out = String::from(FRAME_CSV_HEADER);
    for e in frame {
        out.push_str(&frame_csv_row(e));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_def::codes::normalize_uscc;

    #[test]
    fn check_characters_match_the_published_examples() {
        for code in ["91350100M000100Y43", "91110000600037341L", "911100001000044477"] {
            assert_eq!(uscc_check(&code[..17]), code.chars().nth(17).unwrap());
        }
    }

    #[test]
    fn generated_codes_are_valid() {
        let mut rng = random::stream(3, "t", 0);
        for _ in 0..500 {
            let code = credit_code(&mut rng, Sector::Education);
            assert_eq!(normalize_uscc(&code).as_deref(), Ok(code.as_str()));
        }
    }

    #[test]
    fn numbered_codes_are_valid_and_distinct() {
        let numbering = Numbering::new(11);
        let mut rng = random::stream(11, "t", 0);
        let mut seen = BTreeSet::new();
        for k in (0..20_000).chain([NUMBERED_CODES - 1]) {
            let code = numbering.code(&mut rng, Sector::Health, k);
            assert_eq!(normalize_uscc(&code).as_deref(), Ok(code.as_str()));
            // The organisation part alone is distinct: the prefix varies with the sector.
            assert!(seen.insert(code[8..17].to_owned()), "{code} repeats");
        }
    }

    #[test]
    fn headcounts_stay_in_their_band() {
        let mut rng = random::stream(5, "t", 0);
        for (min, max) in [(1, Some(9)), (10, Some(49)), (50, Some(249)), (250, None)] {
            for _ in 0..300 {
                let n = employees_in(&mut rng, min, max);
                assert!(n >= min && max.is_none_or(|m| n <= m), "{n} outside {min}..{max:?}");
            }
        }
    }
}
