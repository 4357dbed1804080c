//! Words generated texts are made of: trade names, contact persons, comments.

/// Characters of trade names (字号).
pub(crate) const TRADE_NAMES: &[&str] = &[
    "云启", "恒信", "智联", "博远", "华创", "新禾", "易达", "瑞丰", "嘉仕", "启明", "同济", "复远", "江湾", "五角",
    "杨帆", "海纳", "汇通", "鼎盛", "朗润", "优品", "星河", "君和", "百川", "睿思", "弘毅", "锦程", "德邦", "万象",
    "卓越", "东升", "沪联", "众望", "天祥", "安信", "明德", "聚力", "鸿业", "金桥", "青藤", "知行",
];

/// Surnames and given names for contact persons.
pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭", "林", "何",
];
pub(crate) const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "敏", "静", "丽", "强", "磊", "洁", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "晓东", "海燕",
    "建华", "文静", "志强", "佳怡",
];

/// Comments respondents leave, by language.
pub(crate) const COMMENTS_ZH: &[&str] = &[
    "希望多组织专场招聘会。",
    "稳岗返还申请流程希望进一步简化。",
    "建议加强职业院校与企业的对接。",
    "希望提供更多技能培训补贴信息。",
    "招工难，尤其是一线岗位，希望加强劳务协作。",
    "感谢街道就业服务站的上门服务。",
    "希望政策宣传能更及时一些。",
    "员工住宿问题难以解决，希望提供帮助。",
];
pub(crate) const COMMENTS_EN: &[&str] = &[
    "More job fairs for our sector would help.",
    "Please simplify the application for the unemployment-insurance return.",
    "We would welcome closer links with vocational colleges.",
    "Housing for new staff is our main problem.",
];
