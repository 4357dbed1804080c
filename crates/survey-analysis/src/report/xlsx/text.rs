//! Sheet names of a report workbook: the book's names made valid by the one sheet-name
//! rule of [`survey_files::excel`], and the localised cover and notes names.

use crate::report::book::Book;
use survey_def::Lang;
use survey_files::excel::{RESERVED_SHEET_NAME, sheet_name};
pub(super) use survey_files::excel::{TableNames, display_width, excel_text, truncate_utf16};

/// The names the sheets are written under: the book's names, cleaned and kept unique, and
/// the localised cover and notes names.
pub(super) struct SheetNames {
    pub(super) cover: String,
    pub(super) notes: String,
    /// Written name of each of the book's table sheets, in order.
    pub(super) sheets: Vec<String>,
    /// The book's own names, in the same order.
    wanted: Vec<String>,
}

impl SheetNames {
    pub(super) fn new(book: &Book) -> Self {
        let (cover, notes) = match book.lang {
            Lang::Zh => ("封面", "方法说明"),
            Lang::En => ("Cover", "Method notes"),
        };
        let mut taken = vec![RESERVED_SHEET_NAME.to_owned()];
        let cover = sheet_name(cover, &mut taken);
        let notes = sheet_name(notes, &mut taken);
        let sheets = book.sheets.iter().map(|s| sheet_name(&s.name, &mut taken)).collect();
        SheetNames {
            cover,
            notes,
            sheets,
            wanted: book.sheets.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// The written name of the sheet the book calls `wanted` (a contents entry).
    pub(super) fn written_name(&self, wanted: &str) -> Option<&str> {
        if let Some(i) = self.wanted.iter().position(|w| w == wanted) {
            return Some(&self.sheets[i]);
        }
        [&self.cover, &self.notes]
            .into_iter()
            .find(|n| *n == wanted)
            .map(String::as_str)
    }
}
