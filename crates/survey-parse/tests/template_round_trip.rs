//! Property: any return written from the template and filled with valid answers is
//! accepted and read back with the same values.

use proptest::prelude::*;
use std::path::Path;
use survey_def::codes::{INDUSTRY_DIVISIONS, USCC_ALPHABET};
use survey_def::expr::Value;
use survey_forms::{CellValue, FilledAnswers, layout};
use survey_parse::raw::Received;
use survey_parse::validate::Validator;

fn definition() -> survey_def::Definition {
    survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/definitions/good/all_types.toml"))
        .unwrap()
}

fn credit_code(body: &[usize]) -> String {
    let symbols: Vec<char> = USCC_ALPHABET.chars().collect();
    let first17: String = body.iter().map(|&i| symbols[i % 31]).collect();
    symbols
        .iter()
        .map(|c| format!("{first17}{c}"))
        .find(|c| survey_def::codes::normalize_uscc(c).is_ok())
        .unwrap()
}

#[derive(Debug, Clone)]
struct Answers {
    uscc: Vec<usize>,
    headcount: Option<u32>,
    share: Option<f64>,
    note: Option<String>,
    flag: Option<bool>,
    day: Option<i32>,
    status: Option<(usize, bool)>,
    needs: Vec<bool>,
    industry: Option<usize>,
    occupation: Option<(u8, u8, u8, u8)>,
    subdistrict: Option<usize>,
    posts: Vec<(u32, String, usize)>,
}

fn answers() -> impl Strategy<Value = Answers> {
    let text = "[a-zA-Z0-9\u{4e00}-\u{9fa5}]([a-zA-Z0-9 \u{4e00}-\u{9fa5}]{0,30}[a-zA-Z0-9\u{4e00}-\u{9fa5}])?";
    (
        (
            prop::collection::vec(0usize..31, 17),
            prop::option::of(0u32..=100_000),
            prop::option::of(-1_000_000.0f64..1_000_000.0),
            prop::option::of(text),
            prop::option::of(any::<bool>()),
            // 2000-01-01 .. 2030-12-31
            prop::option::of(10_957i32..22_280),
        ),
        (
            prop::option::of((0usize..3, any::<bool>())),
            prop::collection::vec(any::<bool>(), 4),
            prop::option::of(0usize..97),
            prop::option::of((1u8..=8, 0u8..100, 0u8..100, 0u8..100)),
            prop::option::of(0usize..3),
            prop::collection::vec((1u32..1000, text, 0usize..3), 0..5),
        ),
    )
        .prop_map(
            |((uscc, headcount, share, note, flag, day), (status, needs, industry, occupation, subdistrict, posts))| {
                Answers {
                    uscc,
                    headcount,
                    share,
                    note,
                    flag,
                    day,
                    status,
                    needs,
                    industry,
                    occupation,
                    subdistrict,
                    posts,
                }
            },
        )
}

fn ymd(days: i32) -> (u16, u8, u8) {
    use chrono::Datelike;
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(i64::from(days));
    (d.year() as u16, d.month() as u8, d.day() as u8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_filled_template_reads_back_unchanged(a in answers()) {
        let def = definition();
        let status = &def.choice_list("status").unwrap().options;
        let needs = &def.choice_list("needs").unwrap().options;
        let subdistricts = &def.choice_list("subdistrict").unwrap().options;
        let mut filled = FilledAnswers::default();
        let mut put = |id: &str, v: CellValue| { filled.answers.insert(id.to_owned(), v); };
        let uscc = credit_code(&a.uscc);
        put("uscc", CellValue::Text(uscc.clone()));
        if let Some(n) = a.headcount { put("headcount", CellValue::Number(f64::from(n))); }
        if let Some(x) = a.share { put("share", CellValue::Number(x)); }
        if let Some(t) = &a.note { put("note", CellValue::Text(t.clone())); }
        if let Some(b) = a.flag { put("flag", CellValue::Bool(b)); }
        if let Some(d) = a.day { let (y, m, dd) = ymd(d); put("day", CellValue::Date(y, m, dd)); }
        if let Some((i, as_entry)) = a.status {
            let o = &status[i];
            put("status", CellValue::Text(if as_entry { layout::choice_entry(&o.label.zh, &o.code) } else { o.code.clone() }));
        }
        for (i, ticked) in a.needs.iter().enumerate() {
            put(&format!("needs:{}", needs[i].code), CellValue::Bool(*ticked));
        }
        if let Some(i) = a.industry { let d = &INDUSTRY_DIVISIONS[i]; put("industry", CellValue::Text(layout::choice_entry(d.zh, d.code))); }
        let occupation = a.occupation.map(|(m, x, y, z)| format!("{m}-{x:02}-{y:02}-{z:02}"));
        if let Some(o) = &occupation { put("occupation", CellValue::Text(o.clone())); }
        if let Some(i) = a.subdistrict { let o = &subdistricts[i]; put("subdistrict", CellValue::Text(layout::choice_entry(&o.label.zh, &o.code))); }
        let rows = a.posts.iter().map(|(n, t, s)| {
            [("post_count", CellValue::Number(f64::from(*n))), ("post_title", CellValue::Text(t.clone())), ("post_status", CellValue::Text(status[*s].code.clone()))]
                .into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
        }).collect();
        filled.tables.insert("posts".into(), rows);

        let bytes = survey_forms::write_filled(&def, survey_def::Lang::Zh, &filled).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        std::fs::write(&path, bytes).unwrap();
        let mut received = Vec::new();
        survey_parse::read::read_file(&path, "r.xlsx", &def, &survey_parse::Limits::default(), &mut |r| received.push(r));
        prop_assert_eq!(received.len(), 1);
        let Received::Return(raw) = &received[0] else { panic!("unreadable: {:?}", received[0]) };
        let outcome = Validator::new(&def, 10_000).check(raw);
        prop_assert!(outcome.rejections.is_empty(), "{:#?}", outcome.rejections);
        let checked = outcome.checked.unwrap();
        let value = |id: &str| checked.values[def.questions().iter().position(|q| q.id() == id).unwrap()].clone();
        prop_assert_eq!(value("uscc"), Value::Text(uscc));
        prop_assert_eq!(value("headcount"), a.headcount.map_or(Value::Missing, |n| Value::Number(f64::from(n))));
        prop_assert_eq!(value("share"), a.share.map_or(Value::Missing, Value::Number));
        prop_assert_eq!(value("note"), a.note.clone().map_or(Value::Missing, Value::Text));
        prop_assert_eq!(value("flag"), a.flag.map_or(Value::Missing, Value::Bool));
        prop_assert_eq!(value("day"), a.day.map_or(Value::Missing, Value::Date));
        prop_assert_eq!(value("status"), a.status.map_or(Value::Missing, |(i, _)| Value::Text(status[i].code.clone())));
        let ticked: Vec<String> = a.needs.iter().enumerate().filter(|(_, t)| **t).map(|(i, _)| needs[i].code.clone()).collect();
        prop_assert_eq!(value("needs"), Value::Codes(ticked));
        prop_assert_eq!(value("industry"), a.industry.map_or(Value::Missing, |i| Value::Text(INDUSTRY_DIVISIONS[i].code.to_owned())));
        prop_assert_eq!(value("occupation"), occupation.map_or(Value::Missing, Value::Text));
        prop_assert_eq!(value("subdistrict"), a.subdistrict.map_or(Value::Missing, |i| Value::Text(subdistricts[i].code.clone())));
        let rows: Vec<Vec<Value>> = a.posts.iter().map(|(n, t, s)| vec![Value::Number(f64::from(*n)), Value::Text(t.clone()), Value::Text(status[*s].code.clone())]).collect();
        prop_assert_eq!(&checked.tables[0], &rows);
    }
}
