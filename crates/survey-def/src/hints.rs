//! Problems told in the words of the person who wrote the definition.
//!
//! The TOML reader and serde describe what went wrong in terms of Rust types
//! ("invalid type: string \"20\", expected f64", "unknown variant `radio`"), and the
//! TOML grammar answers a percent sign with "string values must be quoted". A survey
//! officer who wrote `30%` or `1,000` or typed `＝` with a Chinese input method needs
//! to hear what the definition expects and what to write instead. The functions here
//! turn those messages, together with the text they point at, into such a message and
//! a hint; the loader and the expression parser call them.

use std::ops::Range;

/// A problem message and its fix hint, in definition terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Explained {
    /// What is wrong, in one sentence.
    pub(crate) message: String,
    /// What to write instead.
    pub(crate) hint: String,
    /// A better place to point at than the reader's (the offending character), as a
    /// byte offset in the text.
    pub(crate) at: Option<usize>,
}

impl Explained {
    /// A message and hint that point where the reader pointed.
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Explained {
            message: message.into(),
            hint: hint.into(),
            at: None,
        }
    }
}

/// The ASCII a full-width or typographic character stands for, when it is one a Chinese
/// input method (or a word processor) types in place of the ASCII one.
///
/// The full-width forms block (U+FF01–U+FF5E) mirrors printable ASCII at a fixed
/// offset, so `＝`, `（`, `＞` and `２` all map back arithmetically; the curly and
/// corner quotes, the ideographic space and comma, and the math signs `≠ ≤ ≥ × ÷` are
/// listed one by one.
pub(crate) fn ascii_for(c: char) -> Option<&'static str> {
    const FULL_WIDTH_ASCII: &str =
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let code = c as u32;
    if (0xFF01..=0xFF5E).contains(&code) {
        let i = (code - 0xFF01) as usize;
        return FULL_WIDTH_ASCII.get(i..=i);
    }
    Some(match c {
        '\u{3000}' => " ",
        '“' | '”' | '„' | '＂' => "\"",
        '‘' | '’' | '「' | '」' | '『' | '』' => "'",
        '【' | '〔' => "[",
        '】' | '〕' => "]",
        '、' => ",",
        '。' => ".",
        '≠' => "!=",
        '≤' | '≦' => "<=",
        '≥' | '≧' => ">=",
        '×' => "*",
        '÷' => "/",
        '−' | '–' | '—' => "-",
        _ => return None,
    })
}

/// Whether `c` is a quote mark that [`ascii_for`] maps to `'` or `"`.
pub(crate) fn is_typographic_quote(c: char) -> bool {
    matches!(ascii_for(c), Some("'" | "\"")) && !c.is_ascii()
}

/// What a full-width or typographic character is, in one clause: "`＝` is a full-width
/// character from a Chinese input method", "`≠` is a typographic sign".
pub(crate) fn full_width_what(c: char) -> Option<String> {
    let ascii = ascii_for(c)?;
    let what = if is_typographic_quote(c) {
        "a full-width quote from a Chinese input method"
    } else if c == '\u{3000}' {
        "a full-width space from a Chinese input method"
    } else if ascii.chars().all(|a| a.is_ascii_digit()) {
        "a full-width digit from a Chinese input method"
    } else if matches!(c, '≠' | '≤' | '≦' | '≥' | '≧' | '×' | '÷' | '−' | '–' | '—') {
        "a typographic sign, not an operator"
    } else {
        "a full-width character from a Chinese input method"
    };
    Some(format!("`{c}` is {what}"))
}

/// The nearest of `allowed` to `value`, when `value` is probably a slip for it: the same
/// word in another case or with spaces or hyphens for underscores, or a typo (by edit
/// distance, see [`crate::expr::closest`]).
pub(crate) fn suggestion<'a>(value: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let normal: String = value
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    allowed
        .iter()
        .copied()
        .find(|a| **a == normal)
        .or_else(|| crate::expr::closest(&normal, allowed.iter().copied()))
}

/// `a, b or c`: a list of allowed values in plain words.
fn plain_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A percentage written with `%`, as the share it stands for: `30%` → `0.3`,
/// `12.5%` → `0.125`. Done on the digits, so `0.3%` gives `0.003` and not the nearest
/// binary fraction.
fn percent_as_fraction(number: &str) -> Option<String> {
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number.strip_prefix('+').unwrap_or(number)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{int:0>3}");
    let (whole, cents) = padded.split_at(padded.len() - 2);
    let whole = whole.trim_start_matches('0');
    let frac = format!("{cents}{frac}");
    let frac = frac.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    Some(if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    })
}

/// The number a value written as `30%` stands for, when it is one.
fn percent_number(raw: &str) -> Option<&str> {
    let number = raw.strip_suffix('%').or_else(|| raw.strip_suffix('％'))?.trim_end();
    number.parse::<f64>().is_ok().then_some(number)
}

/// The plain number a value written with thousands separators (`1,000`, `12,500.5`)
/// stands for, when it is one.
fn without_thousands(raw: &str) -> Option<String> {
    let (sign, rest) = match raw.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", raw),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let groups: Vec<&str> = int.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && frac.chars().all(|c| c.is_ascii_digit());
    grouped.then(|| {
        let digits = groups.concat();
        if rest.contains('.') {
            format!("{sign}{digits}.{frac}")
        } else {
            format!("{sign}{digits}")
        }
    })
}

/// The hint for a number written the way a spreadsheet shows it (`30%`, `1,000`),
/// when `raw` is one; `key` is the key it was written under, for the example.
fn number_habit(key: &str, raw: &str) -> Option<Explained> {
    if let Some(number) = percent_number(raw) {
        let fraction = percent_as_fraction(number).unwrap_or_else(|| "0.3".into());
        return Some(Explained::new(
            format!("`{raw}` is not a number: a percentage is written without `%`"),
            format!(
                "write a share as a fraction, `{key} = {fraction}`; where the unit is `percent`, write the plain number, `{key} = {number}`"
            ),
        ));
    }
    if let Some(plain) = without_thousands(raw) {
        let underscored = plain.replace(',', "");
        let grouped = raw.replace(',', "_");
        return Some(Explained::new(
            format!("`{raw}` is not a number: numbers are written without thousands separators"),
            format!("write `{key} = {underscored}` (or `{key} = {grouped}`: `_` may group the digits)"),
        ));
    }
    None
}

/// The line of `text` holding byte `offset`, as the byte range of the line.
fn line_around(text: &str, offset: usize) -> Range<usize> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    start..end
}

/// The full-width characters on `line` that stand outside ASCII quotes, with their byte
/// offsets in the line. Inside quotes they are text (a Chinese label is full of them);
/// outside they are always a slip.
fn full_width_outside_quotes(line: &str) -> Vec<(usize, char)> {
    let mut found = Vec::new();
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => break,
            None if !c.is_ascii() && ascii_for(c).is_some() => found.push((i, c)),
            None => {}
        }
    }
    found
}

/// The key a value at `offset` is written under (`min` in `min = "3"`, also inside an
/// inline table), read back from the text before it.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset.min(text.len()))?.trim_end_matches([' ', '\t']);
    let before = before.strip_suffix('=')?.trim_end_matches([' ', '\t']);
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |i| i + 1);
    let key = &before[start..];
    (!key.is_empty()).then_some(key)
}

/// The key of the one-line list (`languages = ["zh", "fr"]`) an item at `offset` stands
/// in, so that a bad item is named by the key it belongs to.
fn list_key(text: &str, offset: usize) -> Option<&str> {
    let line_start = line_around(text, offset).start;
    let before = text.get(line_start..offset)?;
    let bracket = before.rfind('[')?;
    if before[bracket..].contains(']') {
        return None;
    }
    key_before(text, line_start + bracket)
}

/// The value written at `offset`, up to the end of its token: what a syntax error
/// points into.
fn value_at(line: &str, offset_in_line: usize) -> Option<(usize, &str)> {
    let eq = line[..offset_in_line.min(line.len())].rfind('=')?;
    let rest = &line[eq + 1..];
    let start = eq + 1 + (rest.len() - rest.trim_start().len());
    let value = &line[start..];
    let end = value
        .find(|c: char| c.is_whitespace() || c == ']' || c == '}' || c == '#')
        .unwrap_or(value.len());
    let raw = value[..end].trim_end_matches(',');
    (!raw.is_empty()).then_some((start, raw))
}

/// A TOML syntax error at byte `offset` of `text`, explained when it comes from a habit
/// of spreadsheets or Chinese input: a full-width character outside quotes, a `%`, a
/// thousands separator, `TRUE` or `yes` for a boolean. `None` leaves the reader's own
/// message, which is right for the errors of people who know TOML.
pub(crate) fn toml_syntax(text: &str, offset: usize) -> Option<Explained> {
    let line_range = line_around(text, offset);
    let line = &text[line_range.clone()];
    let in_line = offset.saturating_sub(line_range.start);

    let wide = full_width_outside_quotes(line);
    if let Some(&(at, c)) = wide.first() {
        let mut message = full_width_what(c)?;
        let mut others: Vec<String> = Vec::new();
        for &(_, other) in &wide[1..] {
            let shown = format!("`{other}`");
            if other != c && !others.contains(&shown) {
                others.push(shown);
            }
        }
        if !others.is_empty() {
            let others: Vec<&str> = others.iter().map(String::as_str).collect();
            message = format!("{message}; the line also has {}", plain_list(&others));
        }
        let fixed: String = line
            .char_indices()
            .map(|(i, ch)| match wide.iter().any(|(j, _)| *j == i) {
                true => ascii_for(ch).unwrap_or_default().to_owned(),
                false => ch.to_string(),
            })
            .collect();
        return Some(Explained {
            message,
            hint: format!(
                "write `{}` (outside quotes, switch the input method to half-width, 半角)",
                fixed.trim()
            ),
            at: Some(line_range.start + at),
        });
    }

    let (start, raw) = value_at(line, in_line)?;
    let key = key_before(line, start).unwrap_or("value");
    let at = Some(line_range.start + start);
    if let Some(mut explained) = number_habit(key, raw) {
        explained.at = at;
        return Some(explained);
    }
    let lower = raw.to_ascii_lowercase();
    if (lower == "true" || lower == "false") && raw != lower {
        return Some(Explained {
            message: format!("`{raw}` is not a yes/no value: TOML writes `true` and `false` in lower case"),
            hint: format!("write `{key} = {lower}`"),
            at,
        });
    }
    if matches!(lower.as_str(), "yes" | "no" | "y" | "n" | "是" | "否") {
        return Some(Explained {
            message: format!("`{raw}` is not a yes/no value: yes/no is written `true` or `false`"),
            hint: format!("write `{key} = true` or `{key} = false`, without quotes"),
            at,
        });
    }
    None
}

/// What a key takes, as serde's "expected" clause names it (`f64`, `struct Label`,
/// `a sequence`), sorted into the kinds a definition writer knows.
enum Wanted {
    /// Any number (`f64`).
    Number,
    /// A whole number, `0` or more when `unsigned`.
    Whole { unsigned: bool },
    /// Text in quotes.
    Text,
    /// `true` or `false`.
    YesNo,
    /// A list in square brackets.
    List,
    /// A label: `{ zh = "...", en = "..." }`.
    Label,
    /// Some other table.
    Table,
    /// Text in quotes or a table (a key that takes either).
    TextOrTable,
}

impl Wanted {
    /// The kind serde's `expected` clause names; `None` for a clause not known here,
    /// whose message is then left as it is.
    fn from_serde(expected: &str) -> Option<Wanted> {
        Some(match expected.trim() {
            "f64" | "f32" | "a number" => Wanted::Number,
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Wanted::Whole { unsigned: true },
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => Wanted::Whole { unsigned: false },
            "a string" | "a borrowed string" | "string" | "a character" | "char" => Wanted::Text,
            "a boolean" | "bool" => Wanted::YesNo,
            "a sequence" | "sequence" | "an array" => Wanted::List,
            "struct Label" => Wanted::Label,
            "string or table" | "a string or table" => Wanted::TextOrTable,
            other if other.starts_with("struct ") || other.contains("map") || other.starts_with("a table") => {
                Wanted::Table
            }
            _ => return None,
        })
    }

    /// The kind in words, to follow "must be".
    fn describe(&self) -> &'static str {
        match self {
            Wanted::Number => "a number",
            Wanted::Whole { unsigned: true } => "a whole number of 0 or more",
            Wanted::Whole { unsigned: false } => "a whole number",
            Wanted::Text => "text in quotes",
            Wanted::YesNo => "`true` or `false`",
            Wanted::List => "a list in square brackets",
            Wanted::Label => "a label: a table with a Chinese (`zh`) and an English (`en`) text",
            Wanted::Table => "a table of keys and values",
            Wanted::TextOrTable => "text in quotes or a table",
        }
    }
}

/// A serde "unexpected" clause (`string "20"`, `integer `1``, `map`) in plain words.
fn describe_found(found: &str, source: &str) -> String {
    let found = found.trim();
    if let Some(rest) = found.strip_prefix("string ") {
        return format!("the text {rest}");
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(rest) = found.strip_prefix(prefix) {
            let value = rest.trim_matches('`');
            return if prefix == "boolean " {
                format!("`{value}`")
            } else {
                format!("the number {value}")
            };
        }
    }
    match found {
        // A bare TOML date reaches serde as a table of its parts.
        "map" if looks_like_date(source) => format!("the bare date {source}"),
        "map" => "a table".into(),
        "sequence" => "a list".into(),
        other => other.into(),
    }
}

/// Whether `source` starts with `YYYY-MM-DD`: a bare TOML date, which serde reports as
/// a table ("map") and which only needs quotes.
fn looks_like_date(source: &str) -> bool {
    let b = source.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// Text between the first pair of double quotes of `s` (the value in `string "20"`).
fn quoted(s: &str) -> Option<&str> {
    let start = s.find('"')? + 1;
    let end = s[start..].rfind('"')? + start;
    Some(&s[start..end])
}

/// Backticked words of `s`, in order: the allowed values of an "unknown variant".
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// A serde error from reading a definition (`message`, pointing at `span` of `text`),
/// told in definition terms: what the key takes, what was found, and what to write.
/// Messages that are not serde's stock ones come back unchanged with a general hint.
pub(crate) fn toml_shape(text: &str, span: Option<Range<usize>>, message: &str) -> Explained {
    let span = span.unwrap_or(0..0);
    let source = text.get(span.clone()).unwrap_or_default().trim();
    let key = key_before(text, span.start).or_else(|| list_key(text, span.start));
    let subject = match key {
        Some(k) => format!("`{k}`"),
        None => "this value".into(),
    };
    let example_key = key.unwrap_or("key");

    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, allowed) = rest.split_once(", expected").unwrap_or((rest, ""));
        let value = value.trim().trim_matches('`');
        let allowed = backticked(allowed);
        let message = match key {
            Some(k) => format!(
                "`{value}` is not one of the values `{k}` takes: {}",
                plain_list(&allowed)
            ),
            None => format!(
                "`{value}` is not one of the values allowed here: {}",
                plain_list(&allowed)
            ),
        };
        let hint = match suggestion(value, &allowed) {
            Some(near) => format!("did you mean `{near}`?"),
            None => match (key, allowed.first()) {
                (Some(k), Some(first)) => format!("write one of them in quotes, e.g. `{k} = \"{first}\"`"),
                _ => "write one of them in quotes".into(),
            },
        };
        return Explained::new(message, hint);
    }

    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = rest.trim().trim_matches('`');
        let header = text
            .get(line_around(text, span.start))
            .map(str::trim)
            .filter(|l| l.starts_with('['));
        let holder = match (key, header) {
            (Some(k), _) => format!("`{k}`"),
            (None, Some(h)) => format!("the table `{h}`"),
            (None, None) => "this table".into(),
        };
        if field == "zh" || field == "en" {
            let language = if field == "zh" {
                "Chinese (`zh`)"
            } else {
                "English (`en`)"
            };
            return Explained::new(
                format!("{holder} has no {language} text: a label needs both"),
                format!("write `{example_key} = {{ zh = \"...\", en = \"...\" }}`"),
            );
        }
        return Explained::new(
            format!("{holder} lacks `{field}`, which is required"),
            format!("add `{field} = ...` to it"),
        );
    }

    let (found, expected) = if let Some(rest) = message.strip_prefix("invalid type: ") {
        match rest.split_once(", expected ") {
            Some((f, e)) => (Some(f), e),
            None => (None, rest),
        }
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        match rest.split_once(", expected ") {
            Some((f, e)) => (Some(f), e),
            None => (None, rest),
        }
    } else if let Some(rest) = message.strip_prefix("wanted ") {
        (None, rest)
    } else {
        (None, "")
    };
    let Some(wanted) = Wanted::from_serde(expected) else {
        return Explained::new(message, "see the definition language in README.md");
    };
    let found_text = found.and_then(quoted);
    let message = match found {
        Some(f) => format!(
            "{subject} must be {}, not {}",
            wanted.describe(),
            describe_found(f, source)
        ),
        None => format!("{subject} must be {}", wanted.describe()),
    };
    let hint = match wanted {
        Wanted::Number | Wanted::Whole { .. } => {
            if let Some(habit) = found_text.and_then(|t| number_habit(example_key, t.trim())) {
                return Explained::new(message, habit.hint);
            }
            let half_width = found_text.map(|t| {
                t.trim()
                    .chars()
                    .map(|c| {
                        if c.is_ascii() {
                            c.to_string()
                        } else {
                            ascii_for(c).unwrap_or("?").to_owned()
                        }
                    })
                    .collect::<String>()
            });
            match (found_text.map(str::trim), found) {
                (Some(t), _) if t.parse::<f64>().is_ok() => {
                    format!("write it without quotes: `{example_key} = {t}`")
                }
                (Some(_), _) if half_width.as_deref().is_some_and(|h| h.parse::<f64>().is_ok()) => format!(
                    "write it with half-width digits and without quotes: `{example_key} = {}`",
                    half_width.unwrap_or_default()
                ),
                (_, Some(f)) if f.starts_with("floating point") => "write it without a fractional part".into(),
                (_, Some(f)) if f.starts_with("integer `-") => "write 0 or a larger whole number".into(),
                _ => format!("write a number without quotes, e.g. `{example_key} = 20`"),
            }
        }
        Wanted::Text => {
            if found == Some("map") && looks_like_date(source) {
                format!("write the date in quotes: `{example_key} = \"{source}\"`")
            } else if !source.is_empty() && !source.starts_with(['{', '[']) {
                format!("write it in quotes: `{example_key} = \"{source}\"`")
            } else {
                format!("write it in quotes, e.g. `{example_key} = \"...\"`")
            }
        }
        Wanted::YesNo => format!("write `{example_key} = true` or `{example_key} = false`, without quotes"),
        Wanted::List => {
            if source.is_empty() || source.starts_with('{') {
                format!("write `{example_key} = [ ... ]`")
            } else {
                format!("write `{example_key} = [{source}]`")
            }
        }
        Wanted::Label => {
            let text = found_text.unwrap_or("...");
            if text.is_ascii() {
                format!("write `{example_key} = {{ zh = \"...\", en = \"{text}\" }}`")
            } else {
                format!("write `{example_key} = {{ zh = \"{text}\", en = \"...\" }}`")
            }
        }
        Wanted::Table => format!("write `{example_key} = {{ ... }}`, or its keys under a `[...]` header"),
        Wanted::TextOrTable => format!("write it in quotes, e.g. `{example_key} = \"...\"`, or as a table"),
    };
    Explained::new(message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_fractions_digit_by_digit() {
        assert_eq!(percent_as_fraction("30").as_deref(), Some("0.3"));
        assert_eq!(percent_as_fraction("12.5").as_deref(), Some("0.125"));
        assert_eq!(percent_as_fraction("0.3").as_deref(), Some("0.003"));
        assert_eq!(percent_as_fraction("150").as_deref(), Some("1.5"));
        assert_eq!(percent_as_fraction("100").as_deref(), Some("1"));
        assert_eq!(percent_as_fraction("-5").as_deref(), Some("-0.05"));
        assert_eq!(percent_as_fraction("x"), None);
    }

    #[test]
    fn thousands_separators_are_recognised_only_in_groups_of_three() {
        assert_eq!(without_thousands("1,000").as_deref(), Some("1000"));
        assert_eq!(without_thousands("12,500.5").as_deref(), Some("12500.5"));
        assert_eq!(without_thousands("1,000,000").as_deref(), Some("1000000"));
        assert_eq!(without_thousands("1,00"), None);
        assert_eq!(without_thousands("1000"), None);
    }

    #[test]
    fn full_width_forms_map_back_to_ascii() {
        assert_eq!(ascii_for('＝'), Some("="));
        assert_eq!(ascii_for('（'), Some("("));
        assert_eq!(ascii_for('２'), Some("2"));
        assert_eq!(ascii_for('～'), Some("~"));
        assert_eq!(ascii_for('“'), Some("\""));
        assert_eq!(ascii_for('「'), Some("'"));
        assert_eq!(ascii_for('≠'), Some("!="));
        assert_eq!(ascii_for('中'), None);
        assert!(is_typographic_quote('’'));
        assert!(!is_typographic_quote('\''));
    }

    #[test]
    fn suggestions_forgive_case_spaces_and_typos() {
        let allowed = ["integer", "single_choice", "multiple_choice"];
        assert_eq!(suggestion("Single choice", &allowed), Some("single_choice"));
        assert_eq!(suggestion("single-choice", &allowed), Some("single_choice"));
        assert_eq!(suggestion("singlechoice", &allowed), Some("single_choice"));
        assert_eq!(suggestion("radio", &allowed), None);
    }

    #[test]
    fn the_key_is_read_back_from_the_text() {
        assert_eq!(key_before("a = { min = \"3\" }", 12), Some("min"));
        assert_eq!(key_before("max_rows = 2.5", 11), Some("max_rows"));
        assert_eq!(key_before("languages = [\"zh\", \"fr\"]", 19), None);
    }
}
