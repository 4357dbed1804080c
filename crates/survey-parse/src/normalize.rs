//! Reading answers as respondents type them into typed values.
//!
//! Full-width digits and letters, thousands separators, surrounding spaces, numbers
//! stored as text, Excel serial dates, date text in the common Chinese and ISO forms,
//! 是/否 and yes/no are all read. Anything that cannot be read with certainty (an
//! ambiguous `02/03/2024`, `1.2万`, a label matching no option) is an error with its
//! reason, never a guess.

use crate::raw::{RawValue, format_number};
use crate::rejection::Rule;
use std::borrow::Cow;
use survey_def::codes::{self, normalize_uscc};
use survey_def::expr::Value;
use survey_def::model::ChoiceOption;
use survey_def::{Lang, NumberSpec, QuestionKind};
use unicode_normalization::UnicodeNormalization;

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// Rule code.
    pub rule: Rule,
    /// Message in Chinese.
    pub zh: String,
    /// Message in English.
    pub en: String,
}

fn fail<T>(rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Result<T, Unreadable> {
    Err(Unreadable {
        rule,
        zh: zh.into(),
        en: en.into(),
    })
}

/// Largest whole number a float holds exactly (2^53).
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Excel serial of 1970-01-01.
const EXCEL_UNIX_EPOCH: f64 = 25_569.0;
/// Largest Excel serial date (9999-12-31).
const EXCEL_MAX_SERIAL: f64 = 2_958_465.0;
/// Serials before 1900-03-01 are off by one in Excel (its 1900 leap-year bug).
const EXCEL_FIRST_RELIABLE_SERIAL: f64 = 61.0;

/// Text as compared: NFKC (full-width to ASCII), without surrounding or zero-width spaces.
pub fn clean_text(text: &str) -> String {
    clean(text).into_owned()
}

/// [`clean_text`], borrowing ASCII text rather than copying it.
fn clean(text: &str) -> Cow<'_, str> {
    // ASCII is its own NFKC form and holds no zero-width space: skip the decomposition.
    if text.is_ascii() {
        return Cow::Borrowed(text.trim());
    }
    let folded: String = text.nfkc().filter(|c| !matches!(c, '\u{200B}' | '\u{FEFF}')).collect();
    Cow::Owned(folded.trim().to_owned())
}

/// A typed answer and, when reading changed it, the text as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The typed value.
    pub value: Value,
    /// The text as received, kept when it differs from the value's plain form.
    pub original: Option<String>,
}

/// Reads `raw` as an answer of `kind`. Blank input gives `Value::Missing`.
pub fn normalize(raw: &RawValue, kind: &QuestionKind) -> Result<Normalized, Unreadable> {
    if raw.is_blank() {
        return Ok(Normalized {
            value: Value::Missing,
            original: None,
        });
    }
    if let RawValue::CellError(e) = raw {
        return fail(
            Rule::WrongType,
            format!("单元格为错误值 {e}"),
            format!("the cell holds the error value {e}"),
        );
    }
    if matches!(raw, RawValue::Object) {
        return fail(
            Rule::WrongType,
            "应为单个值，收到的是对象",
            "expected a single value, got an object",
        );
    }
    let value = match kind {
        QuestionKind::Integer(n) => number(raw, n, true)?,
        QuestionKind::Decimal(n) => number(raw, n, false)?,
        QuestionKind::Text { .. } => text(raw)?,
        QuestionKind::Boolean => Value::Bool(boolean(raw)?),
        QuestionKind::Date => Value::Date(date(raw)?),
        QuestionKind::SingleChoice(c) | QuestionKind::Subdistrict(c) => Value::Text(choice(raw, &c.options)?),
        QuestionKind::MultipleChoice(c) => Value::Codes(multiple(raw, &c.options)?),
        QuestionKind::EnterpriseId => {
            // An all-digit code typed into a General cell becomes a number, and a
            // spreadsheet keeps 15 digits of a number: the last digits are gone.
            if let RawValue::Number(n) = raw
                && n.abs() >= 1e14
            {
                let shown = crate::raw::format_number(*n);
                return fail(
                    Rule::InvalidCreditCode,
                    format!(
                        "统一社会信用代码被存成了数字（{shown}），表格软件只保留数字的前 15 位，末尾几位已丢失：请把该单元格设为文本格式后重新输入代码"
                    ),
                    format!(
                        "the credit code was stored as a number ({shown}); spreadsheets keep only 15 digits of a number, so its last digits are lost: format the cell as text and type the code again"
                    ),
                );
            }
            let t = scalar_text(raw)?;
            match normalize_uscc(&clean(&t)) {
                Ok(code) => Value::Text(code),
                Err(e) => {
                    return fail(
                        Rule::InvalidCreditCode,
                        format!("统一社会信用代码无效：{}", uscc_zh(&e)),
                        format!("invalid unified social credit code: {e}"),
                    );
                }
            }
        }
        QuestionKind::IndustryCode => Value::Text(industry(raw)?),
        QuestionKind::OccupationCode => {
            let t = clean_text(&scalar_text(raw)?);
            if codes::occupation_major_group(&t).is_none() {
                return fail(
                    Rule::InvalidOccupationCode,
                    format!("“{t}”不是 GB/T 6565 职业代码（如 2-02-10-03）"),
                    format!("`{t}` is not a GB/T 6565 occupation code (e.g. 2-02-10-03)"),
                );
            }
            Value::Text(t)
        }
        QuestionKind::Table(_) => {
            return fail(
                Rule::WrongType,
                "表格题应为多行",
                "a table answer must be a list of rows",
            );
        }
    };
    let original = match raw {
        RawValue::Text(t) if !plain_is(&value, t) => Some(t.clone()),
        RawValue::ExcelDate(_) | RawValue::List(_) | RawValue::Number(_) | RawValue::Bool(_) | RawValue::Empty => None,
        _ => None,
    };
    Ok(Normalized { value, original })
}

fn uscc_zh(e: &codes::UsccError) -> String {
    match e {
        codes::UsccError::Length(n) => format!("应为 18 位，实为 {n} 位"),
        codes::UsccError::Symbol(c, i) => format!("第 {i} 位字符“{c}”不允许（不使用 I、O、S、V、Z）"),
        codes::UsccError::CheckDigit { found, expected } => format!("校验码为“{found}”，按前 17 位应为“{expected}”"),
    }
}

/// The plain text form of a value, to tell whether reading changed what was typed.
pub fn plain(value: &Value) -> String {
    match value {
        Value::Missing => String::new(),
        Value::Number(n) => format_number(*n),
        Value::Text(t) => t.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => date_text(*d),
        Value::Codes(c) => c.join(";"),
    }
}

/// Whether `text` is the plain form of `value`, without writing out text values.
fn plain_is(value: &Value, text: &str) -> bool {
    match value {
        Value::Text(t) => t == text,
        other => plain(other) == text,
    }
}

/// `YYYY-MM-DD` of days since the epoch.
pub fn date_text(days: i32) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    // Out-of-range days (a hostile serial) read as no date rather than overflowing.
    epoch
        .checked_add_signed(chrono::Duration::days(i64::from(days)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn scalar_text(raw: &RawValue) -> Result<Cow<'_, str>, Unreadable> {
    match raw {
        RawValue::Text(t) => Ok(Cow::Borrowed(t)),
        RawValue::Number(n) => Ok(Cow::Owned(format_number(*n))),
        RawValue::List(_) => fail(
            Rule::WrongType,
            "应为单个值，收到的是列表",
            "expected a single value, got a list",
        ),
        RawValue::Bool(_) => fail(
            Rule::WrongType,
            "应为文字，收到的是是/否",
            "expected text, got true/false",
        ),
        RawValue::ExcelDate(_) => fail(Rule::WrongType, "应为文字，收到的是日期", "expected text, got a date"),
        _ => fail(Rule::WrongType, "无法读取", "cannot be read"),
    }
}

fn text(raw: &RawValue) -> Result<Value, Unreadable> {
    let t = scalar_text(raw)?;
    // Free text keeps its characters (no NFKC: names may use full-width forms on purpose).
    Ok(Value::Text(t.trim().to_owned()))
}

fn number(raw: &RawValue, spec: &NumberSpec, whole: bool) -> Result<Value, Unreadable> {
    let n = match raw {
        RawValue::Number(n) => *n,
        RawValue::Text(t) => parse_number_text(t, spec)?,
        RawValue::Bool(_) => {
            return fail(
                Rule::WrongType,
                "应为数字，收到的是是/否",
                "expected a number, got true/false",
            );
        }
        RawValue::ExcelDate(_) => {
            return fail(
                Rule::WrongType,
                "应为数字，收到的是日期",
                "expected a number, got a date",
            );
        }
        RawValue::List(_) => {
            return fail(
                Rule::WrongType,
                "应为数字，收到的是列表",
                "expected a number, got a list",
            );
        }
        _ => return fail(Rule::WrongType, "应为数字", "expected a number"),
    };
    if !n.is_finite() {
        return fail(
            Rule::WrongType,
            "数字超出可表示范围",
            "the number is out of the representable range",
        );
    }
    if whole {
        // Beyond 2^53 a float no longer holds every whole number exactly.
        if n.abs() > MAX_EXACT_INTEGER {
            return fail(Rule::OutOfRange, "数字过大", "the number is too large");
        }
        let rounded = n.round();
        if (n - rounded).abs() > 1e-9 {
            return fail(
                Rule::NotWhole,
                format!("应为整数，收到 {}", format_number(n)),
                format!("expected a whole number, got {}", format_number(n)),
            );
        }
        return Ok(Value::Number(rounded));
    }
    Ok(Value::Number(n))
}

/// Reads a number typed as text: `１２０`, ` 1,200 `, `120人` (the question's own unit),
/// `15%` for a percent question. Rejects `1.2万`, `about 10`, `10-20`, `NaN`.
fn parse_number_text(text: &str, spec: &NumberSpec) -> Result<f64, Unreadable> {
    let t = clean_text(text);
    let mut body = t.as_str();
    if let Some(unit) = spec.unit {
        for label in [unit.label(Lang::Zh), unit.label(Lang::En)] {
            if let Some(stripped) = body.strip_suffix(label) {
                body = stripped.trim_end();
                break;
            }
        }
    }
    let ungrouped = strip_thousands(body);
    let candidate = ungrouped.as_deref().unwrap_or(body);
    let looks_numeric = !candidate.is_empty()
        && candidate
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && candidate.chars().any(|c| c.is_ascii_digit());
    match candidate.parse::<f64>() {
        Ok(n) if looks_numeric && n.is_finite() => Ok(n),
        _ => fail(
            Rule::WrongType,
            format!("“{}”不是数字", crate::rejection::excerpt(text)),
            format!("`{}` is not a number", crate::rejection::excerpt(text)),
        ),
    }
}

/// `1,234,567.5` → `1234567.5`; `None` when commas are not a valid grouping (`1,23`).
fn strip_thousands(t: &str) -> Option<String> {
    if !t.contains(',') {
        return None;
    }
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", t),
    };
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(a, b)| (a, Some(b)));
    let groups: Vec<&str> = int.split(',').collect();
    let ok = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| {
        format!(
            "{sign}{}{}",
            groups.concat(),
            frac.map(|f| format!(".{f}")).unwrap_or_default()
        )
    })
}

/// Words read as yes and no.
const YES: &[&str] = &["是", "有", "yes", "y", "true", "1", "√", "✓"];
const NO: &[&str] = &["否", "无", "没有", "no", "n", "false", "0", "×", "✗"];

fn boolean(raw: &RawValue) -> Result<bool, Unreadable> {
    match raw {
        RawValue::Bool(b) => Ok(*b),
        RawValue::Number(n) if *n == 1.0 => Ok(true),
        RawValue::Number(n) if *n == 0.0 => Ok(false),
        RawValue::Text(t) => {
            let t = clean_text(t).to_lowercase();
            if YES.contains(&t.as_str()) {
                Ok(true)
            } else if NO.contains(&t.as_str()) {
                Ok(false)
            } else {
                fail(
                    Rule::WrongType,
                    format!("“{}”不是“是”或“否”", crate::rejection::excerpt(&t)),
                    format!("`{}` is not yes or no", crate::rejection::excerpt(&t)),
                )
            }
        }
        _ => fail(Rule::WrongType, "应为“是”或“否”", "expected yes or no"),
    }
}

fn date(raw: &RawValue) -> Result<i32, Unreadable> {
    match raw {
        RawValue::ExcelDate(serial) | RawValue::Number(serial) => {
            if !(EXCEL_FIRST_RELIABLE_SERIAL..=EXCEL_MAX_SERIAL).contains(serial) {
                return fail(
                    Rule::InvalidDate,
                    format!("{serial} 不是有效的日期"),
                    format!("{serial} is not a valid date"),
                );
            }
            if matches!(raw, RawValue::Number(_)) {
                // A bare number (JSON, a plain number cell) is more likely a year or a
                // count than an Excel serial: never guess.
                return fail(
                    Rule::InvalidDate,
                    format!("数字 {} 不是日期，请写作 2024-02-20", format_number(*serial)),
                    format!("the number {} is not a date; write 2024-02-20", format_number(*serial)),
                );
            }
            Ok((serial.floor() - EXCEL_UNIX_EPOCH) as i32)
        }
        RawValue::Text(t) => parse_date_text(t).ok_or_else(|| Unreadable {
            rule: Rule::InvalidDate,
            zh: format!("无法确定日期“{}”，请写作 2024-02-20", crate::rejection::excerpt(t)),
            en: format!(
                "cannot read `{}` as a date with certainty; write 2024-02-20",
                crate::rejection::excerpt(t)
            ),
        }),
        _ => fail(Rule::InvalidDate, "应为日期", "expected a date"),
    }
}

/// Reads `2024-02-20`, `2024/2/20`, `2024.2.20`, `2024年2月20日`, `20240220`, and an ISO
/// date-time's date. Day-month orders such as `02/03/2024` are ambiguous and refused.
pub fn parse_date_text(text: &str) -> Option<i32> {
    let t = clean_text(text);
    // A date, optionally followed by a time of day ("T10:00:00+08:00", " 10:00"); any
    // other trailing text ("2024-01-15 到 2024-02-01") makes the answer ambiguous.
    let (date_part, rest) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t.as_str(), ""),
    };
    let time_like = rest.chars().all(|c| c.is_ascii_digit() || ":.+-Z ".contains(c));
    // A year of four digits: chrono's %Y also takes "24" or "2", which would read
    // "2/3/24" as the year 2.
    let four_digit_year = date_part.chars().take_while(char::is_ascii_digit).count() >= 4;
    if !time_like || !four_digit_year {
        return None;
    }
    let formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"];
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    for f in formats {
        if f == "%Y%m%d" && (date_part.len() != 8 || !date_part.bytes().all(|b| b.is_ascii_digit())) {
            continue;
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(date_part, f) {
            return i32::try_from((d - epoch).num_days()).ok();
        }
    }
    None
}

fn choice(raw: &RawValue, options: &[ChoiceOption]) -> Result<String, Unreadable> {
    let text = scalar_text(raw)?;
    let text = clean(&text);
    let text: &str = &text;
    if let Some(o) = options.iter().find(|o| o.code == text) {
        return Ok(o.code.clone());
    }
    if let Some(code) = survey_forms::layout::code_of_entry(text)
        && let Some(o) = options.iter().find(|o| o.code == code)
    {
        return Ok(o.code.clone());
    }
    let by_label: Vec<_> = options
        .iter()
        .filter(|o| {
            clean_text(&o.label.zh) == text
                || clean_text(&o.label.en).eq_ignore_ascii_case(text)
                || o.code.eq_ignore_ascii_case(text)
        })
        .collect();
    if let [one] = by_label.as_slice() {
        return Ok(one.code.clone());
    }
    let known: Vec<&str> = options.iter().map(|o| o.code.as_str()).collect();
    let known = crate::rejection::excerpt(&known.join(", "));
    fail(
        Rule::UnknownCode,
        format!("“{}”不是有效选项（可选：{known}）", crate::rejection::excerpt(text)),
        format!(
            "`{}` is not one of the options ({known})",
            crate::rejection::excerpt(text)
        ),
    )
}

/// Separators respondents use between several codes typed in one cell.
const CODE_SEPARATORS: &[char] = &[';', ',', '、', '\n', '|'];

fn multiple(raw: &RawValue, options: &[ChoiceOption]) -> Result<Vec<String>, Unreadable> {
    let typed: Vec<RawValue>;
    let items: &[RawValue] = match raw {
        RawValue::List(items) => items,
        RawValue::Text(t) => {
            let text = clean_text(t);
            let mut parts: Vec<&str> = text
                .split(CODE_SEPARATORS)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            // KoboToolbox and ODK write a select_multiple answer as its codes separated
            // by spaces: taken so when every word is a code (labels may hold spaces).
            if parts.len() == 1 {
                let words: Vec<&str> = parts[0].split_whitespace().collect();
                if words.len() > 1 && words.iter().all(|w| options.iter().any(|o| o.code == *w)) {
                    parts = words;
                }
            }
            typed = parts.into_iter().map(|s| RawValue::Text(s.to_owned())).collect();
            &typed
        }
        _ => return fail(Rule::WrongType, "应为选项列表", "expected a list of options"),
    };
    let mut codes = Vec::new();
    for item in items {
        let code = choice(item, options)?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    // Stored in list order, so equal answers compare equal.
    codes.sort_by_key(|c| options.iter().position(|o| o.code == *c));
    Ok(codes)
}

fn industry(raw: &RawValue) -> Result<String, Unreadable> {
    let text = clean_text(&scalar_text(raw)?);
    let code = survey_forms::layout::code_of_entry(&text)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            // "13 农副食品加工业": the leading digits.
            text.split_whitespace().next().unwrap_or_default().to_owned()
        });
    match codes::industry_division(&code) {
        Some(d) => Ok(d.code.to_owned()),
        None => fail(
            Rule::InvalidIndustryCode,
            format!(
                "“{}”不是 GB/T 4754-2017 行业大类代码（两位数字，如 13）",
                crate::rejection::excerpt(&text)
            ),
            format!(
                "`{}` is not a GB/T 4754-2017 division (two digits, e.g. 13)",
                crate::rejection::excerpt(&text)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_def::model::Label;

    fn text_of(s: &str) -> RawValue {
        RawValue::Text(s.into())
    }

    #[test]
    fn numbers_as_respondents_type_them() {
        let persons = QuestionKind::Integer(NumberSpec {
            unit: Some(survey_def::Unit::Persons),
            ..NumberSpec::default()
        });
        let read = |s: &str| normalize(&text_of(s), &persons).map(|n| n.value);
        assert_eq!(read("１２０"), Ok(Value::Number(120.0)));
        assert_eq!(read(" 1,200 "), Ok(Value::Number(1200.0)));
        assert_eq!(read("120人"), Ok(Value::Number(120.0)));
        assert_eq!(read("12.0"), Ok(Value::Number(12.0)));
        assert_eq!(read("12.5").unwrap_err().rule, Rule::NotWhole);
        for bad in ["1.2万", "about 10", "10-20", "NaN", "inf", "1,23", "1e400"] {
            assert!(read(bad).is_err(), "{bad} was read");
        }
        assert_eq!(normalize(&RawValue::Number(3.0), &persons).unwrap().original, None);
        assert_eq!(
            normalize(&text_of("１２０"), &persons).unwrap().original.as_deref(),
            Some("１２０")
        );
    }

    #[test]
    fn dates_in_chinese_and_iso_forms_and_excel_serials() {
        let d = QuestionKind::Date;
        let read = |r: RawValue| normalize(&r, &d).map(|n| n.value);
        let feb20 = Value::Date(19_773);
        for t in [
            "2024-02-20",
            "2024/2/20",
            "2024.02.20",
            "2024年2月20日",
            "20240220",
            "２０２４-０２-２０",
            "2024-02-20T10:00:00+08:00",
        ] {
            assert_eq!(read(text_of(t)), Ok(feb20.clone()), "{t}");
        }
        // 2024-02-20 is Excel serial 45342; a bare number (a JSON 2023) is never a date.
        assert_eq!(read(RawValue::ExcelDate(45_342.0)), Ok(feb20));
        assert_eq!(read(RawValue::Number(2023.0)).unwrap_err().rule, Rule::InvalidDate);
        assert_eq!(date_text(i32::MAX), "", "an out-of-range day is no date, not a panic");
        for t in [
            "02/03/2024",
            "2024-02-30",
            "next week",
            "45342",
            "2/3/24",
            "24-1-15",
            "2024-01-15 到 2024-02-01",
        ] {
            assert_eq!(read(text_of(t)).unwrap_err().rule, Rule::InvalidDate, "{t}");
        }
    }

    #[test]
    fn yes_no_words() {
        let b = QuestionKind::Boolean;
        let read = |s: &str| normalize(&text_of(s), &b).map(|n| n.value);
        assert_eq!(read("是"), Ok(Value::Bool(true)));
        assert_eq!(read(" YES "), Ok(Value::Bool(true)));
        assert_eq!(read("否"), Ok(Value::Bool(false)));
        assert!(read("maybe").is_err());
    }

    fn list() -> Vec<ChoiceOption> {
        let opt = |code: &str, zh: &str, en: &str| ChoiceOption {
            code: code.into(),
            label: Label {
                zh: zh.into(),
                en: en.into(),
            },
            service: None,
        };
        vec![
            opt("normal", "正常", "Normal"),
            opt("stopped", "停产", "Stopped"),
            opt("partly", "部分停产", "Partly stopped"),
        ]
    }

    #[test]
    fn choices_by_code_entry_or_unique_label() {
        let choices = || survey_def::Choices {
            list: "status".into(),
            options: list(),
        };
        let s = QuestionKind::SingleChoice(choices());
        let read = |s2: &str| normalize(&text_of(s2), &s).map(|n| n.value);
        assert_eq!(read("stopped"), Ok(Value::Text("stopped".into())));
        assert_eq!(read("停产 [stopped]"), Ok(Value::Text("stopped".into())));
        assert_eq!(read("停产"), Ok(Value::Text("stopped".into())));
        assert_eq!(read("partly stopped"), Ok(Value::Text("partly".into())));
        assert_eq!(read("closed").unwrap_err().rule, Rule::UnknownCode);
        let m = QuestionKind::MultipleChoice(choices());
        let multi = |r: RawValue| normalize(&r, &m).map(|n| n.value);
        assert_eq!(
            multi(text_of("partly；normal")),
            Ok(Value::Codes(vec!["normal".into(), "partly".into()]))
        );
        assert_eq!(
            multi(RawValue::List(vec![text_of("stopped"), text_of("stopped")])),
            Ok(Value::Codes(vec!["stopped".into()]))
        );
    }

    #[test]
    fn domain_codes() {
        let id = QuestionKind::EnterpriseId;
        assert_eq!(
            normalize(&text_of(" 91350100m000100y43 "), &id).unwrap().value,
            Value::Text("91350100M000100Y43".into())
        );
        assert_eq!(
            normalize(&text_of("91350100M000100Y44"), &id).unwrap_err().rule,
            Rule::InvalidCreditCode
        );
        let ind = QuestionKind::IndustryCode;
        assert_eq!(
            normalize(&text_of("农副食品加工业 [13]"), &ind).unwrap().value,
            Value::Text("13".into())
        );
        assert_eq!(
            normalize(&RawValue::Number(34.0), &ind).unwrap().value,
            Value::Text("34".into())
        );
        assert_eq!(
            normalize(&text_of("99"), &ind).unwrap_err().rule,
            Rule::InvalidIndustryCode
        );
        let occ = QuestionKind::OccupationCode;
        assert_eq!(
            normalize(&text_of("2-02-10-03"), &occ).unwrap().value,
            Value::Text("2-02-10-03".into())
        );
        assert_eq!(
            normalize(&text_of("9-02"), &occ).unwrap_err().rule,
            Rule::InvalidOccupationCode
        );
    }

    #[test]
    fn codes_separated_by_spaces_read_as_form_tools_write_them() {
        let option = |code: &str, label: &str| ChoiceOption {
            code: code.into(),
            label: survey_def::Label {
                zh: label.into(),
                en: label.into(),
            },
            service: None,
        };
        let options = [
            option("job_fair", "Job fair"),
            option("referral", "Referral"),
            option("other", "Other"),
        ];
        let read = |t: &str| multiple(&text_of(t), &options);
        assert_eq!(read("referral job_fair").unwrap(), ["job_fair", "referral"]);
        assert_eq!(read("  other \t referral ").unwrap(), ["referral", "other"]);
        // A label with a space is one answer, not two words.
        assert_eq!(read("Job fair").unwrap(), ["job_fair"]);
        assert_eq!(read("Job fair; Referral").unwrap(), ["job_fair", "referral"]);
        // Words that are not all codes are not split.
        assert!(read("referral nonsense").is_err());
    }
}
