//! Text as Excel takes it, for every workbook the tool writes: cell text within Excel's
//! length limit, sheet and table names that Excel accepts (one rule for all of them), and
//! how wide a text shows when sizing columns.

use std::borrow::Cow;

/// Longest text Excel keeps in a cell, in UTF-16 units.
pub const CELL_TEXT_LIMIT: usize = 32_767;
/// Longest sheet name, in UTF-16 units.
pub const SHEET_NAME_LIMIT: usize = 31;
/// Longest table (defined) name, in UTF-16 units.
pub const TABLE_NAME_LIMIT: usize = 255;
/// Characters Excel refuses in a sheet name; the apostrophe only at either end, but it
/// would also have to be doubled in every link and chart range, so it goes too.
pub const SHEET_NAME_FORBIDDEN: &str = "[]:*?/\\'";
/// A sheet name Excel reserves for itself.
pub const RESERVED_SHEET_NAME: &str = "History";

/// `text` cut to `limit` UTF-16 units, on a character boundary.
pub fn truncate_utf16(text: &str, limit: usize) -> Cow<'_, str> {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > limit {
            return Cow::Owned(text[..at].to_owned());
        }
    }
    Cow::Borrowed(text)
}

/// `text` as a cell can hold it: longer text is cut at Excel's limit rather than refused.
pub fn excel_text(text: &str) -> Cow<'_, str> {
    truncate_utf16(text, CELL_TEXT_LIMIT)
}

/// Width of `text` in Excel character units, for sizing columns: CJK and other wide
/// characters take two, and a cell of several lines is as wide as its longest.
pub fn display_width(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().map(char_width).sum::<usize>())
        .max()
        .unwrap_or(0)
}

fn char_width(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F       // Hangul Jamo
        | 0x2E80..=0x303E     // CJK radicals, punctuation
        | 0x3041..=0x33FF     // kana, CJK symbols
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xA000..=0xA4CF     // Yi
        | 0xAC00..=0xD7A3     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFE30..=0xFE4F     // CJK compatibility forms
        | 0xFF00..=0xFF60     // full-width forms
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD);
    if c.is_control() {
        0
    } else if wide {
        2
    } else {
        1
    }
}

/// `wanted` made a valid sheet name not yet in `taken` (compared as Excel does, ignoring
/// case), and added to it.
pub fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| {
            if SHEET_NAME_FORBIDDEN.contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    // Trimmed after the cut too: a name ending in a space does not survive every reader.
    let base = truncate_utf16(clean.trim(), SHEET_NAME_LIMIT).trim_end().to_owned();
    let base = if base.is_empty() { "Sheet".to_owned() } else { base };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
        let suffix = format!(" {n}");
        name = truncate_utf16(&base, SHEET_NAME_LIMIT - suffix.len()).into_owned() + &suffix;
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// Table names handed out so far: Excel needs them unique in the workbook.
#[derive(Default)]
pub struct TableNames {
    taken: Vec<String>,
}

impl TableNames {
    /// `wanted` made a valid, unused table name.
    pub fn take(&mut self, wanted: &str) -> String {
        let clean: String = wanted
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .collect();
        let mut base = if clean.is_empty() { "Table".to_owned() } else { clean };
        if !starts_like_a_name(&base) || looks_like_a_reference(&base) || is_reserved(&base) {
            base.insert_str(0, "T_");
        }
        base.truncate(TABLE_NAME_LIMIT - 8); // ASCII only; room for a suffix
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.taken.push(name.clone());
        name
    }
}

fn starts_like_a_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Names Excel would read as a cell: `A1`-style (up to three letters, then digits) or
/// `R1C1`-style.
fn looks_like_a_reference(name: &str) -> bool {
    let letters = name.chars().take_while(char::is_ascii_alphabetic).count();
    let a1 = (1..=3).contains(&letters) && name[letters..].chars().all(|c| c.is_ascii_digit()) && letters < name.len();
    let upper = name.to_ascii_uppercase();
    let r1c1 = upper
        .strip_prefix('R')
        .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
        .and_then(|rest| rest.strip_prefix('C'))
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()));
    a1 || r1c1 || upper == "R" || upper == "C"
}

fn is_reserved(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "TRUE" || upper == "FALSE" || upper.starts_with("_XLNM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_over_the_cell_limit_is_cut_on_a_character_boundary() {
        let short = "短".repeat(10);
        assert_eq!(excel_text(&short), short);
        // 32,766 ASCII units, then a character of two UTF-16 units that would cross the limit.
        let long = format!("{}😀tail", "a".repeat(CELL_TEXT_LIMIT - 1));
        let cut = excel_text(&long);
        assert_eq!(cut.len(), CELL_TEXT_LIMIT - 1);
        assert!(cut.chars().all(|c| c == 'a'));
    }

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("制造业"), 6);
        assert_eq!(display_width("C 制造业"), 8);
        assert_eq!(display_width("ab\nabcd"), 4);
    }

    #[test]
    fn sheet_names_are_cleaned_shortened_and_unique() {
        let mut taken = vec![RESERVED_SHEET_NAME.to_owned()];
        assert_eq!(sheet_name("a/b", &mut taken), "a b");
        assert_eq!(sheet_name("A B", &mut taken), "A B 2");
        assert_eq!(sheet_name("'quoted'", &mut taken), "quoted");
        assert_eq!(sheet_name("history", &mut taken), "history 2");
        let long = sheet_name(&"x".repeat(40), &mut taken);
        assert_eq!(long.len(), SHEET_NAME_LIMIT);
        let again = sheet_name(&"x".repeat(40), &mut taken);
        assert_eq!(again, format!("{} 2", "x".repeat(SHEET_NAME_LIMIT - 2)));
        assert_eq!(sheet_name("[]", &mut taken), "Sheet");
    }

    #[test]
    fn table_names_are_valid_and_unique() {
        let mut names = TableNames::default();
        assert_eq!(names.take("DemandBySector"), "DemandBySector");
        assert_eq!(names.take("demandbysector"), "demandbysector_2");
        assert_eq!(names.take("by sector"), "by_sector");
        assert_eq!(names.take("2024"), "T_2024");
        assert_eq!(names.take("AB12"), "T_AB12");
        assert_eq!(names.take("R1C1"), "T_R1C1");
        assert_eq!(names.take("true"), "T_true");
        assert_eq!(names.take(""), "Table");
        assert_eq!(names.take("Rates"), "Rates");
    }
}
