//! What the enterprises of an urban Shanghai district look like, sector by sector:
//! GB/T 4754 divisions and their weights, size mix, migrant shares, stoppages and
//! arrears, the occupations they recruit, why recruiting is hard, what training they
//! need, and the words their names are made of.

/// A group of divisions that behave alike in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sector {
    Software,
    Business,
    Research,
    Trade,
    Catering,
    Manufacturing,
    Construction,
    Transport,
    Finance,
    RealEstate,
    Health,
    Education,
    Culture,
    Services,
}

/// GB/T 4754-2017 divisions drawn for the frame, with relative weights and sector.
/// Yangpu is a knowledge district (universities, Wujiaochang, Chuangzhi Tiandi): software,
/// business services and research dominate; trade and catering follow.
pub(crate) const DIVISIONS: &[(&str, f64, Sector)] = &[
    ("63", 1.0, Sector::Software),
    ("64", 6.0, Sector::Software),
    ("65", 14.0, Sector::Software),
    ("71", 1.5, Sector::Business),
    ("72", 10.0, Sector::Business),
    ("73", 3.0, Sector::Research),
    ("74", 5.0, Sector::Research),
    ("75", 6.0, Sector::Research),
    ("51", 8.0, Sector::Trade),
    ("52", 6.0, Sector::Trade),
    ("61", 1.5, Sector::Catering),
    ("62", 6.0, Sector::Catering),
    ("14", 0.4, Sector::Manufacturing),
    ("18", 0.4, Sector::Manufacturing),
    ("23", 0.4, Sector::Manufacturing),
    ("27", 0.5, Sector::Manufacturing),
    ("34", 0.9, Sector::Manufacturing),
    ("35", 0.9, Sector::Manufacturing),
    ("36", 0.4, Sector::Manufacturing),
    ("38", 0.9, Sector::Manufacturing),
    ("39", 1.4, Sector::Manufacturing),
    ("40", 0.9, Sector::Manufacturing),
    ("47", 1.0, Sector::Construction),
    ("48", 0.8, Sector::Construction),
    ("49", 1.0, Sector::Construction),
    ("50", 2.0, Sector::Construction),
    ("54", 1.2, Sector::Transport),
    ("58", 1.5, Sector::Transport),
    ("59", 1.0, Sector::Transport),
    ("60", 1.3, Sector::Transport),
    ("66", 0.4, Sector::Finance),
    ("67", 0.8, Sector::Finance),
    ("69", 0.6, Sector::Finance),
    ("70", 3.0, Sector::RealEstate),
    ("84", 2.0, Sector::Health),
    ("85", 1.0, Sector::Health),
    ("83", 3.0, Sector::Education),
    ("86", 0.5, Sector::Culture),
    ("87", 1.0, Sector::Culture),
    ("88", 1.0, Sector::Culture),
    ("89", 0.5, Sector::Culture),
    ("90", 0.5, Sector::Culture),
    ("78", 0.5, Sector::Services),
    ("80", 2.0, Sector::Services),
    ("81", 1.0, Sector::Services),
];

/// A sector's traits.
pub(crate) struct Profile {
    /// Weights of micro, small, medium, large (the domain's four classes).
    pub size_mix: [f64; 4],
    /// Share of employees without a Shanghai household registration (range).
    pub migrants: (f64, f64),
    /// Probability the enterprise has wages in arrears.
    pub arrears: f64,
    /// Probability production is partly or wholly stopped, or the firm is moving.
    pub stoppage: f64,
    /// Probability of a low return rate (< 80%) after the festival.
    pub slow_return: f64,
    /// Occupations it recruits, with weights.
    pub occupations: &'static [(&'static str, f64)],
    /// Reasons recruitment is hard, with weights.
    pub difficulties: &'static [(&'static str, f64)],
    /// Training needs, with weights.
    pub training: &'static [(&'static str, f64)],
    /// Words after the trade name (zh).
    pub name_words: &'static [&'static str],
    /// Whether graduates are a large share of hires.
    pub graduate_heavy: bool,
}

pub(crate) fn profile(sector: Sector) -> &'static Profile {
    use Sector::*;
    match sector {
        Software => &SOFTWARE,
        Business | RealEstate | Finance => &BUSINESS,
        Research => &RESEARCH,
        Trade => &TRADE,
        Catering => &CATERING,
        Manufacturing => &MANUFACTURING,
        Construction => &CONSTRUCTION,
        Transport => &TRANSPORT,
        Health => &HEALTH,
        Education | Culture => &EDUCATION,
        Services => &SERVICES,
    }
}

const SOFTWARE: Profile = Profile {
    size_mix: [40.0, 36.0, 18.0, 6.0],
    migrants: (0.2, 0.45),
    arrears: 0.004,
    stoppage: 0.01,
    slow_return: 0.04,
    occupations: &[
        ("2-02-10-03", 6.0),
        ("2-02-10-09", 2.5),
        ("2-02-10-04", 1.5),
        ("2-02-10-07", 1.0),
        ("2-02-10-11", 1.5),
        ("2-02-10-08", 1.5),
        ("4-01-02-01", 1.5),
        ("3-01-02-01", 0.8),
    ],
    difficulties: &[
        ("skills_mismatch", 4.0),
        ("experience_required", 4.0),
        ("competition", 3.0),
        ("wages_not_competitive", 2.0),
        ("high_turnover", 1.0),
        ("other", 0.3),
    ],
    training: &[
        ("digital_skills", 4.0),
        ("management", 2.0),
        ("trade_skills", 2.0),
        ("new_hire_induction", 1.5),
    ],
    name_words: &["信息科技", "网络科技", "软件技术", "数据科技", "智能科技"],
    graduate_heavy: true,
};

const BUSINESS: Profile = Profile {
    size_mix: [48.0, 34.0, 14.0, 4.0],
    migrants: (0.2, 0.5),
    arrears: 0.006,
    stoppage: 0.015,
    slow_return: 0.05,
    occupations: &[
        ("3-01-02-01", 4.0),
        ("4-01-02-01", 3.0),
        ("2-06-03-00", 2.0),
        ("4-07-05-01", 1.0),
        ("4-06-01-01", 1.0),
    ],
    difficulties: &[
        ("wages_not_competitive", 3.0),
        ("few_applicants", 2.0),
        ("experience_required", 3.0),
        ("high_turnover", 2.0),
        ("competition", 1.5),
    ],
    training: &[
        ("management", 3.0),
        ("digital_skills", 2.0),
        ("new_hire_induction", 2.0),
        ("trade_skills", 1.0),
    ],
    name_words: &["企业管理咨询", "商务咨询", "人力资源", "投资管理", "物业管理"],
    graduate_heavy: true,
};

const RESEARCH: Profile = Profile {
    size_mix: [42.0, 36.0, 17.0, 5.0],
    migrants: (0.2, 0.45),
    arrears: 0.004,
    stoppage: 0.01,
    slow_return: 0.04,
    occupations: &[
        ("2-02-07-01", 2.5),
        ("2-02-10-03", 2.0),
        ("2-02-10-11", 1.0),
        ("4-08-05-01", 2.0),
        ("4-01-02-01", 1.0),
        ("3-01-02-01", 0.8),
    ],
    difficulties: &[
        ("skills_mismatch", 4.0),
        ("experience_required", 3.0),
        ("competition", 2.0),
        ("wages_not_competitive", 2.0),
        ("location_commute", 0.5),
    ],
    training: &[
        ("trade_skills", 3.0),
        ("digital_skills", 2.0),
        ("skill_certification", 1.5),
        ("safety_production", 1.0),
    ],
    name_words: &["生物科技", "检测技术", "环保科技", "科技发展", "工程技术"],
    graduate_heavy: true,
};

const TRADE: Profile = Profile {
    size_mix: [55.0, 33.0, 10.0, 2.0],
    migrants: (0.3, 0.65),
    arrears: 0.012,
    stoppage: 0.03,
    slow_return: 0.08,
    occupations: &[
        ("4-01-02-01", 4.0),
        ("4-01-02-03", 3.0),
        ("4-01-02-04", 2.0),
        ("4-01-02-02", 1.5),
        ("4-02-06-01", 1.5),
        ("3-01-02-01", 0.8),
    ],
    difficulties: &[
        ("wages_not_competitive", 3.0),
        ("few_applicants", 3.0),
        ("high_turnover", 3.0),
        ("shift_work", 1.5),
        ("competition", 1.0),
    ],
    training: &[
        ("service_skills", 2.0),
        ("digital_skills", 2.0),
        ("new_hire_induction", 2.0),
        ("management", 1.0),
    ],
    name_words: &["贸易", "商贸", "供应链管理", "电子商务", "超市"],
    graduate_heavy: false,
};

const CATERING: Profile = Profile {
    size_mix: [50.0, 40.0, 9.0, 1.0],
    migrants: (0.6, 0.9),
    arrears: 0.05,
    stoppage: 0.05,
    slow_return: 0.2,
    occupations: &[
        ("4-03-02-01", 4.0),
        ("4-03-02-05", 4.0),
        ("4-03-02-02", 1.5),
        ("4-03-01-01", 1.0),
        ("4-03-01-02", 1.0),
        ("4-01-02-04", 0.8),
    ],
    difficulties: &[
        ("few_applicants", 4.0),
        ("shift_work", 3.0),
        ("high_turnover", 3.0),
        ("housing", 2.0),
        ("wages_not_competitive", 2.0),
    ],
    training: &[
        ("service_skills", 4.0),
        ("safety_production", 2.0),
        ("new_hire_induction", 2.0),
        ("skill_certification", 1.0),
    ],
    name_words: &["餐饮管理", "餐饮服务", "酒店管理", "食品"],
    graduate_heavy: false,
};

const MANUFACTURING: Profile = Profile {
    size_mix: [20.0, 40.0, 30.0, 10.0],
    migrants: (0.4, 0.75),
    arrears: 0.03,
    stoppage: 0.06,
    slow_return: 0.15,
    occupations: &[
        ("6-18-01-01", 3.0),
        ("6-18-01-02", 1.5),
        ("6-18-02-04", 2.5),
        ("6-31-01-03", 1.5),
        ("2-02-07-01", 2.0),
        ("4-08-05-01", 1.5),
        ("4-02-06-01", 0.8),
    ],
    difficulties: &[
        ("shift_work", 3.0),
        ("location_commute", 2.0),
        ("few_applicants", 3.0),
        ("skills_mismatch", 3.0),
        ("housing", 1.5),
        ("wages_not_competitive", 1.5),
    ],
    training: &[
        ("safety_production", 4.0),
        ("trade_skills", 3.0),
        ("skill_certification", 3.0),
        ("new_hire_induction", 1.5),
    ],
    name_words: &["机械制造", "电子科技", "精密仪器", "自动化设备", "医药"],
    graduate_heavy: false,
};

const CONSTRUCTION: Profile = Profile {
    size_mix: [30.0, 42.0, 22.0, 6.0],
    migrants: (0.7, 0.95),
    arrears: 0.08,
    stoppage: 0.05,
    slow_return: 0.2,
    occupations: &[
        ("6-29-01-01", 2.5),
        ("6-29-01-03", 2.0),
        ("6-29-01-04", 2.0),
        ("6-29-01-05", 1.5),
        ("6-18-02-04", 1.0),
        ("2-02-18-01", 1.5),
    ],
    difficulties: &[
        ("few_applicants", 4.0),
        ("shift_work", 2.0),
        ("housing", 2.0),
        ("high_turnover", 1.5),
        ("experience_required", 1.5),
    ],
    training: &[
        ("safety_production", 5.0),
        ("skill_certification", 2.0),
        ("trade_skills", 2.0),
    ],
    name_words: &["建筑工程", "建设工程", "装饰工程", "安装工程"],
    graduate_heavy: false,
};

const TRANSPORT: Profile = Profile {
    size_mix: [35.0, 40.0, 19.0, 6.0],
    migrants: (0.5, 0.85),
    arrears: 0.015,
    stoppage: 0.03,
    slow_return: 0.12,
    occupations: &[
        ("4-02-02-02", 3.0),
        ("4-02-07-08", 3.0),
        ("4-02-06-01", 2.0),
        ("3-01-02-01", 0.8),
    ],
    difficulties: &[
        ("few_applicants", 3.0),
        ("shift_work", 3.0),
        ("high_turnover", 3.0),
        ("wages_not_competitive", 1.5),
    ],
    training: &[
        ("safety_production", 4.0),
        ("new_hire_induction", 2.0),
        ("digital_skills", 1.0),
    ],
    name_words: &["物流", "供应链管理", "货运代理", "快递服务"],
    graduate_heavy: false,
};

const HEALTH: Profile = Profile {
    size_mix: [35.0, 35.0, 22.0, 8.0],
    migrants: (0.3, 0.6),
    arrears: 0.006,
    stoppage: 0.01,
    slow_return: 0.06,
    occupations: &[
        ("2-05-08-01", 3.0),
        ("4-10-01-05", 3.0),
        ("2-05-01-01", 1.5),
        ("3-01-02-01", 0.8),
    ],
    difficulties: &[
        ("few_applicants", 3.0),
        ("shift_work", 3.0),
        ("wages_not_competitive", 2.0),
        ("experience_required", 2.0),
    ],
    training: &[
        ("service_skills", 3.0),
        ("skill_certification", 3.0),
        ("trade_skills", 2.0),
    ],
    name_words: &["医疗管理", "养老服务", "门诊部", "健康管理"],
    graduate_heavy: false,
};

const EDUCATION: Profile = Profile {
    size_mix: [45.0, 38.0, 14.0, 3.0],
    migrants: (0.2, 0.5),
    arrears: 0.01,
    stoppage: 0.02,
    slow_return: 0.05,
    occupations: &[
        ("2-08-09-02", 3.0),
        ("2-10-01-02", 1.5),
        ("4-01-02-01", 1.5),
        ("3-01-02-01", 1.0),
    ],
    difficulties: &[
        ("experience_required", 3.0),
        ("wages_not_competitive", 2.0),
        ("competition", 2.0),
        ("few_applicants", 1.0),
    ],
    training: &[("trade_skills", 3.0), ("digital_skills", 2.0), ("management", 1.0)],
    name_words: &["教育科技", "文化传播", "体育发展", "影视文化", "职业技能培训"],
    graduate_heavy: true,
};

const SERVICES: Profile = Profile {
    size_mix: [55.0, 33.0, 10.0, 2.0],
    migrants: (0.5, 0.85),
    arrears: 0.02,
    stoppage: 0.03,
    slow_return: 0.15,
    occupations: &[
        ("4-10-01-01", 3.0),
        ("4-06-01-01", 2.0),
        ("4-07-05-01", 2.0),
        ("4-12-01-01", 1.5),
    ],
    difficulties: &[
        ("few_applicants", 3.0),
        ("wages_not_competitive", 3.0),
        ("high_turnover", 2.0),
        ("shift_work", 1.0),
    ],
    training: &[
        ("service_skills", 4.0),
        ("skill_certification", 2.0),
        ("safety_production", 1.0),
    ],
    name_words: &["家政服务", "物业管理", "环境服务", "维修服务"],
    graduate_heavy: false,
};
