//! National code systems the domain types check against: unified social credit codes
//! (GB 32100-2015), industries (GB/T 4754-2017) and occupations (GB/T 6565).

/// The 31 symbols of a unified social credit code, in value order (no I, O, S, V, Z).
pub const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1-17: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why a unified social credit code is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters after trimming.
    #[error("a unified social credit code has 18 characters, this has {0}")]
    Length(usize),
    /// A character outside the 31-symbol set.
    #[error("character `{0}` at position {1} is not allowed (I, O, S, V and Z are never used)")]
    Symbol(char, usize),
    /// The check character does not match.
    #[error("check character is `{found}`, but the first 17 characters give `{expected}`")]
    CheckDigit {
        /// The 18th character as written.
        found: char,
        /// What it should be.
        expected: char,
    },
}

/// Checks a unified social credit code and returns it normalised (trimmed, upper case).
///
/// ```
/// use survey_def::codes::normalize_uscc;
/// assert_eq!(normalize_uscc(" 91350100m000100y43 ").unwrap(), "91350100M000100Y43");
/// assert!(normalize_uscc("91350100M000100Y44").is_err());
/// ```
pub fn normalize_uscc(text: &str) -> Result<String, UsccError> {
    let code: String = text.trim().to_ascii_uppercase();
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::Length(chars.len()));
    }
    let mut sum = 0u32;
    for (i, &c) in chars.iter().enumerate() {
        // The alphabet is ASCII: compared byte by byte, without a search for a char.
        let Some(v) = u8::try_from(c)
            .ok()
            .and_then(|b| USCC_ALPHABET.bytes().position(|a| a == b))
        else {
            return Err(UsccError::Symbol(c, i + 1));
        };
        if i < 17 {
            sum += v as u32 * USCC_WEIGHTS[i];
        }
    }
    let check = (31 - sum % 31) % 31;
    let expected = USCC_ALPHABET.as_bytes()[check as usize] as char;
    if chars[17] != expected {
        return Err(UsccError::CheckDigit {
            found: chars[17],
            expected,
        });
    }
    Ok(code)
}

/// A GB/T 4754-2017 section (门类).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndustrySection {
    /// Letter A-T.
    pub code: char,
    /// Chinese name.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// First and last two-digit division of the section.
    pub divisions: (u8, u8),
}

/// The 20 sections of GB/T 4754-2017 with their division ranges.
pub const INDUSTRY_SECTIONS: [IndustrySection; 20] = [
    IndustrySection {
        code: 'A',
        zh: "农、林、牧、渔业",
        en: "Agriculture, forestry, animal husbandry and fishery",
        divisions: (1, 5),
    },
    IndustrySection {
        code: 'B',
        zh: "采矿业",
        en: "Mining",
        divisions: (6, 12),
    },
    IndustrySection {
        code: 'C',
        zh: "制造业",
        en: "Manufacturing",
        divisions: (13, 43),
    },
    IndustrySection {
        code: 'D',
        zh: "电力、热力、燃气及水生产和供应业",
        en: "Electricity, heat, gas and water supply",
        divisions: (44, 46),
    },
    IndustrySection {
        code: 'E',
        zh: "建筑业",
        en: "Construction",
        divisions: (47, 50),
    },
    IndustrySection {
        code: 'F',
        zh: "批发和零售业",
        en: "Wholesale and retail trade",
        divisions: (51, 52),
    },
    IndustrySection {
        code: 'G',
        zh: "交通运输、仓储和邮政业",
        en: "Transport, storage and postal services",
        divisions: (53, 60),
    },
    IndustrySection {
        code: 'H',
        zh: "住宿和餐饮业",
        en: "Accommodation and catering",
        divisions: (61, 62),
    },
    IndustrySection {
        code: 'I',
        zh: "信息传输、软件和信息技术服务业",
        en: "Information transmission, software and IT services",
        divisions: (63, 65),
    },
    IndustrySection {
        code: 'J',
        zh: "金融业",
        en: "Finance",
        divisions: (66, 69),
    },
    IndustrySection {
        code: 'K',
        zh: "房地产业",
        en: "Real estate",
        divisions: (70, 70),
    },
    IndustrySection {
        code: 'L',
        zh: "租赁和商务服务业",
        en: "Leasing and business services",
        divisions: (71, 72),
    },
    IndustrySection {
        code: 'M',
        zh: "科学研究和技术服务业",
        en: "Scientific research and technical services",
        divisions: (73, 75),
    },
    IndustrySection {
        code: 'N',
        zh: "水利、环境和公共设施管理业",
        en: "Water, environment and public facilities management",
        divisions: (76, 79),
    },
    IndustrySection {
        code: 'O',
        zh: "居民服务、修理和其他服务业",
        en: "Resident services, repair and other services",
        divisions: (80, 82),
    },
    IndustrySection {
        code: 'P',
        zh: "教育",
        en: "Education",
        divisions: (83, 83),
    },
    IndustrySection {
        code: 'Q',
        zh: "卫生和社会工作",
        en: "Health and social work",
        divisions: (84, 85),
    },
    IndustrySection {
        code: 'R',
        zh: "文化、体育和娱乐业",
        en: "Culture, sports and entertainment",
        divisions: (86, 90),
    },
    IndustrySection {
        code: 'S',
        zh: "公共管理、社会保障和社会组织",
        en: "Public administration, social security and social organisations",
        divisions: (91, 96),
    },
    IndustrySection {
        code: 'T',
        zh: "国际组织",
        en: "International organisations",
        divisions: (97, 97),
    },
];

/// A GB/T 4754-2017 division (大类).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndustryDivision {
    /// Two digits, `01`-`97`.
    pub code: &'static str,
    /// Chinese name.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
}

/// The 97 divisions of GB/T 4754-2017.
pub const INDUSTRY_DIVISIONS: [IndustryDivision; 97] = include!("industry_divisions.in");

/// The section a division or section code belongs to: `"13"` and `"C"` both give C.
pub fn industry_section(code: &str) -> Option<&'static IndustrySection> {
    let code = code.trim();
    if code.len() == 1 {
        let c = code.chars().next()?.to_ascii_uppercase();
        return INDUSTRY_SECTIONS.iter().find(|s| s.code == c);
    }
    let division = industry_division(code)?;
    let n: u8 = division.code.parse().ok()?;
    INDUSTRY_SECTIONS
        .iter()
        .find(|s| (s.divisions.0..=s.divisions.1).contains(&n))
}

/// Looks a two-digit division up (`"13"`; a longer group or class code such as `"1311"`
/// is read by its first two digits).
pub fn industry_division(code: &str) -> Option<&'static IndustryDivision> {
    let code = code.trim();
    if code.len() < 2 || code.len() > 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    INDUSTRY_DIVISIONS.iter().find(|d| d.code == &code[..2])
}

/// The eight major groups of GB/T 6565 (职业分类大典), by leading digit.
pub const OCCUPATION_MAJOR_GROUPS: [(char, &str, &str); 8] = [
    (
        '1',
        "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
        "Leaders of organisations and enterprises",
    ),
    ('2', "专业技术人员", "Professional and technical personnel"),
    ('3', "办事人员和有关人员", "Clerical and related personnel"),
    ('4', "社会生产服务和生活服务人员", "Commerce and service personnel"),
    (
        '5',
        "农、林、牧、渔业生产及辅助人员",
        "Agriculture, forestry, animal husbandry and fishery workers",
    ),
    (
        '6',
        "生产制造及有关人员",
        "Production and transport equipment operators",
    ),
    ('7', "军队人员", "Military personnel"),
    ('8', "不便分类的其他从业人员", "Others not classifiable"),
];

/// Checks a GB/T 6565 occupation code at any depth: major group `2`, medium group
/// `2-02`, minor group `2-02-10` or occupation `2-02-10-03`. Returns the major group.
///
/// Only the structure and the major group are checked: the full list of some 1,500
/// occupations changes between editions and is not shipped.
pub fn occupation_major_group(code: &str) -> Option<char> {
    let code = code.trim();
    let mut parts = code.split('-');
    let major = parts.next()?;
    if major.len() != 1 {
        return None;
    }
    let group = major.chars().next()?;
    if !('1'..='8').contains(&group) {
        return None;
    }
    for part in parts.by_ref() {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    (code.split('-').count() <= 4).then_some(group)
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_iso_date(text: &str) -> Option<i32> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_credit_codes_pass_and_altered_ones_fail() {
        for code in ["91350100M000100Y43", "91110000600037341L", "911100001000044477"] {
            assert_eq!(normalize_uscc(code).as_deref(), Ok(code));
        }
        assert_eq!(
            normalize_uscc("91110000600037341M"),
            Err(UsccError::CheckDigit {
                found: 'M',
                expected: 'L'
            })
        );
        assert_eq!(normalize_uscc("9111000060003734IL"), Err(UsccError::Symbol('I', 17)));
        assert_eq!(normalize_uscc("123"), Err(UsccError::Length(3)));
    }

    #[test]
    fn check_character_zero_when_remainder_is_zero() {
        // Worked by hand: "00000000000000000" sums to 0, 31 - 0 = 31 -> 0.
        assert!(normalize_uscc("000000000000000000").is_ok());
    }

    #[test]
    fn divisions_nest_in_their_sections() {
        assert_eq!(INDUSTRY_DIVISIONS.len(), 97);
        for (i, d) in INDUSTRY_DIVISIONS.iter().enumerate() {
            assert_eq!(d.code, format!("{:02}", i + 1));
        }
        assert_eq!(industry_section("13").map(|s| s.code), Some('C'));
        assert_eq!(industry_section("43").map(|s| s.code), Some('C'));
        assert_eq!(industry_section("65").map(|s| s.code), Some('I'));
        assert_eq!(industry_section("66").map(|s| s.code), Some('J'));
        assert_eq!(industry_section("i").map(|s| s.code), Some('I'));
        assert_eq!(industry_section("98"), None);
        assert_eq!(industry_section("00"), None);
    }

    #[test]
    fn occupation_codes_by_structure() {
        assert_eq!(occupation_major_group("2-02-10-03"), Some('2'));
        assert_eq!(occupation_major_group("6-01"), Some('6'));
        assert_eq!(occupation_major_group("9-01"), None);
        assert_eq!(occupation_major_group("2-2-10"), None);
        assert_eq!(occupation_major_group("2-02-10-03-01"), None);
        assert_eq!(occupation_major_group(""), None);
    }

    #[test]
    fn iso_dates_count_days_from_the_epoch() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        assert_eq!(parse_iso_date("2024-02-10"), Some(19_763));
        assert_eq!(parse_iso_date("2024-02-30"), None);
    }
}
