//! Occupations (GB/T 6565) a vacancy row can name, with the wages offered, how hard
//! they are to fill and what they require.
//!
//! Codes follow GB/T 6565-2015 as far as they could be recalled; the parser checks only
//! their structure and major group, so an approximate minor code does no harm.

/// An occupation a vacancy row can name.
pub(crate) struct Occupation {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Monthly wage offered, yuan (range).
    pub wage: (u32, u32),
    /// Probability an opening is hard to fill.
    pub hard: f64,
    /// Probability a hard-to-fill opening is hard for lack of skills.
    pub skill: f64,
    pub education: &'static [(&'static str, f64)],
    pub skill_level: &'static [(&'static str, f64)],
    pub forms: &'static [(&'static str, f64)],
}

const EDU_DEGREE: &[(&str, f64)] = &[("bachelor", 6.0), ("postgraduate", 1.5), ("college", 2.0)];
const EDU_COLLEGE: &[(&str, f64)] = &[
    ("college", 4.0),
    ("bachelor", 3.0),
    ("senior_secondary_vocational", 1.0),
];
const EDU_SECONDARY: &[(&str, f64)] = &[
    ("senior_secondary_vocational", 4.0),
    ("junior_secondary", 2.0),
    ("college", 1.0),
    ("none_required", 1.0),
];
const EDU_BASIC: &[(&str, f64)] = &[
    ("none_required", 4.0),
    ("junior_secondary", 3.0),
    ("senior_secondary_vocational", 1.0),
];
const SKILL_PROF: &[(&str, f64)] = &[("none", 5.0), ("professional_title", 2.0)];
const SKILL_TRADE: &[(&str, f64)] = &[
    ("level4", 3.0),
    ("level3", 2.0),
    ("level5", 2.0),
    ("none", 2.0),
    ("level2", 0.4),
];
const SKILL_NONE: &[(&str, f64)] = &[("none", 8.0), ("level5", 1.0)];
const FULL_TIME: &[(&str, f64)] = &[("full_time", 20.0), ("dispatched", 1.0)];
const SHIFTS: &[(&str, f64)] = &[
    ("full_time", 10.0),
    ("part_time", 2.0),
    ("dispatched", 1.5),
    ("odd_job", 1.5),
];

/// Every occupation any sector recruits: code, job title (zh, en), monthly wage range,
/// P(an opening is hard to fill), P(hard for lack of skills), education, skill level,
/// form of employment.
#[rustfmt::skip]
pub(crate) const OCCUPATIONS: &[Occupation] = &[
    occ("2-02-10-03", "软件开发工程师", "Software engineer", (15_000, 30_000), 0.5, 0.75, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-02-10-09", "人工智能工程师", "AI engineer", (20_000, 30_000), 0.65, 0.8, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-02-10-04", "网络工程师", "Network engineer", (10_000, 20_000), 0.3, 0.6, EDU_COLLEGE, SKILL_PROF, FULL_TIME),
    occ("2-02-10-07", "信息安全工程师", "Security engineer", (14_000, 28_000), 0.5, 0.8, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-02-10-11", "大数据工程师", "Data engineer", (15_000, 28_000), 0.5, 0.75, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-02-10-08", "运维工程师", "IT operations engineer", (8_000, 15_000), 0.25, 0.5, EDU_COLLEGE, SKILL_PROF, FULL_TIME),
    occ("2-02-07-01", "机械设计工程师", "Mechanical design engineer", (10_000, 20_000), 0.4, 0.7, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-02-18-01", "施工员", "Site engineer", (8_000, 15_000), 0.35, 0.6, EDU_COLLEGE, SKILL_PROF, FULL_TIME),
    occ("2-06-03-00", "会计", "Accountant", (7_000, 14_000), 0.15, 0.4, EDU_COLLEGE, SKILL_PROF, FULL_TIME),
    occ("2-05-08-01", "护士", "Nurse", (7_000, 12_000), 0.45, 0.5, EDU_COLLEGE, SKILL_PROF, FULL_TIME),
    occ("2-05-01-01", "全科医生", "General practitioner", (15_000, 28_000), 0.55, 0.7, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-08-09-02", "培训讲师", "Trainer", (8_000, 16_000), 0.25, 0.5, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("2-10-01-02", "编辑", "Editor", (7_000, 13_000), 0.2, 0.4, EDU_DEGREE, SKILL_PROF, FULL_TIME),
    occ("3-01-02-01", "行政专员", "Administrative clerk", (5_500, 9_000), 0.08, 0.2, EDU_COLLEGE, SKILL_NONE, FULL_TIME),
    occ("4-01-02-01", "销售代表", "Sales representative", (6_000, 15_000), 0.3, 0.3, EDU_COLLEGE, SKILL_NONE, FULL_TIME),
    occ("4-01-02-02", "电商运营", "E-commerce specialist", (7_000, 14_000), 0.3, 0.5, EDU_COLLEGE, SKILL_NONE, FULL_TIME),
    occ("4-01-02-03", "营业员", "Shop assistant", (5_000, 7_500), 0.25, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-01-02-04", "收银员", "Cashier", (5_000, 7_000), 0.2, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-02-02-02", "货车司机", "Truck driver", (8_000, 13_000), 0.45, 0.5, EDU_BASIC, SKILL_TRADE, FULL_TIME),
    occ("4-02-06-01", "仓库管理员", "Warehouse keeper", (6_000, 9_000), 0.2, 0.2, EDU_SECONDARY, SKILL_NONE, FULL_TIME),
    occ("4-02-07-08", "快递员", "Courier", (7_000, 12_000), 0.45, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-03-01-01", "前台接待", "Front-desk clerk", (5_500, 7_500), 0.25, 0.2, EDU_SECONDARY, SKILL_NONE, FULL_TIME),
    occ("4-03-01-02", "客房服务员", "Room attendant", (5_000, 6_500), 0.4, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-03-02-01", "中式烹调师", "Chef (Chinese cuisine)", (6_500, 12_000), 0.55, 0.55, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("4-03-02-02", "中式面点师", "Pastry cook", (6_000, 10_000), 0.45, 0.5, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("4-03-02-05", "餐厅服务员", "Waiter", (5_000, 7_000), 0.45, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-06-01-01", "物业管理员", "Property manager", (5_500, 8_500), 0.2, 0.2, EDU_SECONDARY, SKILL_NONE, FULL_TIME),
    occ("4-07-05-01", "保安员", "Security guard", (5_000, 6_500), 0.3, 0.1, EDU_BASIC, SKILL_NONE, SHIFTS),
    occ("4-08-05-01", "质量检验员", "Quality inspector", (6_000, 10_000), 0.3, 0.5, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("4-10-01-01", "家政服务员", "Domestic helper", (5_500, 9_000), 0.5, 0.3, EDU_BASIC, SKILL_TRADE, SHIFTS),
    occ("4-10-01-05", "养老护理员", "Elderly care worker", (5_500, 8_500), 0.6, 0.4, EDU_BASIC, SKILL_TRADE, SHIFTS),
    occ("4-12-01-01", "维修电工", "Maintenance electrician", (7_000, 11_000), 0.4, 0.6, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("6-18-01-01", "数控车工", "CNC lathe operator", (7_000, 12_000), 0.6, 0.65, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("6-18-01-02", "铣工", "Milling machine operator", (7_000, 12_000), 0.55, 0.6, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("6-18-02-04", "焊工", "Welder", (7_500, 13_000), 0.6, 0.6, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("6-31-01-03", "机修钳工", "Maintenance fitter", (7_000, 12_000), 0.5, 0.6, EDU_SECONDARY, SKILL_TRADE, FULL_TIME),
    occ("6-29-01-01", "砌筑工", "Bricklayer", (7_000, 11_000), 0.5, 0.3, EDU_BASIC, SKILL_TRADE, SHIFTS),
    occ("6-29-01-03", "混凝土工", "Concrete worker", (7_000, 11_000), 0.45, 0.3, EDU_BASIC, SKILL_TRADE, SHIFTS),
    occ("6-29-01-04", "钢筋工", "Steel fixer", (7_500, 12_000), 0.5, 0.35, EDU_BASIC, SKILL_TRADE, SHIFTS),
    occ("6-29-01-05", "架子工", "Scaffolder", (7_500, 12_000), 0.55, 0.4, EDU_BASIC, SKILL_TRADE, SHIFTS),
];

#[allow(clippy::too_many_arguments)]
const fn occ(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    wage: (u32, u32),
    hard: f64,
    skill: f64,
    education: &'static [(&'static str, f64)],
    skill_level: &'static [(&'static str, f64)],
    forms: &'static [(&'static str, f64)],
) -> Occupation {
    Occupation {
        code,
        zh,
        en,
        wage,
        hard,
        skill,
        education,
        skill_level,
        forms,
    }
}

/// The occupation with this code.
pub(crate) fn occupation(code: &str) -> Option<&'static Occupation> {
    OCCUPATIONS.iter().find(|o| o.code == code)
}
