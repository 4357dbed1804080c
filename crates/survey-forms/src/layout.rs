//! The layout of a template workbook: what the template writer produces and the return
//! parser reads. Change both sides together, and bump [`LAYOUT_VERSION`].

use survey_def::Lang;

/// Version of this layout, recorded in the metadata sheet. It is part of the answer
/// contract (and so of the fingerprint), which is why it is defined there.
pub const LAYOUT_VERSION: &str = survey_def::contract::TEMPLATE_LAYOUT_VERSION;

/// Name of the very hidden metadata sheet (key in column A, value in column B).
pub const META_SHEET: &str = "_survey";

/// Name of the hidden sheet holding dropdown lists.
pub const LISTS_SHEET: &str = "_lists";

/// Metadata keys.
pub mod meta {
    /// Survey id.
    pub const SURVEY_ID: &str = "survey_id";
    /// Definition version.
    pub const VERSION: &str = "version";
    /// Full definition fingerprint (SHA-256, hex).
    pub const FINGERPRINT: &str = "fingerprint";
    /// Layout version.
    pub const LAYOUT: &str = "layout";
    /// Language of the labels.
    pub const LANG: &str = "lang";
    /// Name of the answer sheet.
    pub const ANSWER_SHEET: &str = "answer_sheet";
    /// Prefix of the keys naming a table's sheet: `table:<table id>`.
    pub const TABLE_PREFIX: &str = "table:";
}

/// Answer sheet: column of question ids (0-based).
pub const ANSWER_ID_COL: u16 = 0;
/// Answer sheet: column of labels.
pub const ANSWER_LABEL_COL: u16 = 1;
/// Answer sheet: column of help texts.
pub const ANSWER_HELP_COL: u16 = 2;
/// Answer sheet: column of units.
pub const ANSWER_UNIT_COL: u16 = 3;
/// Answer sheet: column of answers.
pub const ANSWER_VALUE_COL: u16 = 4;
/// Answer sheet: first row holding questions (0-based; rows above are title and header).
pub const ANSWER_FIRST_ROW: u32 = 2;

/// Table sheet: row of column labels (0-based).
pub const TABLE_LABEL_ROW: u32 = 1;
/// Table sheet: row of column ids, the key the parser reads.
pub const TABLE_ID_ROW: u32 = 2;
/// Table sheet: first data row.
pub const TABLE_FIRST_ROW: u32 = 3;

/// Separator between a multiple-choice question id and an option code on the answer
/// sheet, where each option has its own yes/no row: `support_wanted:job_fair`.
pub const OPTION_SEPARATOR: char = ':';

/// How a code is shown in a dropdown: `label [code]`. The parser reads the code back
/// from the brackets, and also accepts the bare code or the bare label.
pub fn choice_entry(label: &str, code: &str) -> String {
    format!("{label} [{code}]")
}

/// The code inside a `label [code]` dropdown entry.
pub fn code_of_entry(entry: &str) -> Option<&str> {
    let entry = entry.trim();
    let inner = entry.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let code = inner[open + 1..].trim();
    (!code.is_empty()).then_some(code)
}

/// The yes and no words of a boolean dropdown.
pub fn yes_no(lang: Lang) -> [&'static str; 2] {
    match lang {
        Lang::Zh => ["是", "否"],
        Lang::En => ["yes", "no"],
    }
}

/// Name of the answer sheet.
pub fn answer_sheet_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "问卷",
        Lang::En => "Answers",
    }
}

/// Name of the cover sheet.
pub fn cover_sheet_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "封面",
        Lang::En => "Cover",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropdown_entries_round_trip_their_code() {
        let entry = choice_entry("部分停产 (Partly stopped)", "partly_stopped");
        assert_eq!(code_of_entry(&entry), Some("partly_stopped"));
        assert_eq!(code_of_entry("农副食品加工业 [13]"), Some("13"));
        assert_eq!(code_of_entry("no brackets"), None);
        assert_eq!(code_of_entry("empty []"), None);
    }
}
