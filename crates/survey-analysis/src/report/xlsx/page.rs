//! How report sheets print: A4, one page wide, the sheet name above and the page number
//! below, and on a book for officials only, its audience line on every page.

use super::text::truncate_utf16;
use crate::report::book::{Audience, Book, Orientation, Print};
use rust_xlsxwriter::Worksheet;
use survey_def::Lang;

/// Excel's paper size code for A4.
const PAPER_A4: u8 = 9;
/// Longest audience line carried in the page header, in UTF-16 units: Excel's limit on a
/// whole header is 255, and the header also holds the sheet name code.
const HEADER_TEXT_LIMIT: usize = 120;

/// Page header and footer shared by every sheet of a book.
pub(super) struct PageSetup {
    header: String,
    footer: String,
}

#[cfg(test)]
impl Default for PageSetup {
    /// No header or footer.
    fn default() -> Self {
        PageSetup {
            header: String::new(),
            footer: String::new(),
        }
    }
}

impl PageSetup {
    pub(super) fn new(book: &Book) -> Self {
        // &A is the sheet name, &P the page, &N the number of pages.
        let mut header = "&C&A".to_owned();
        if book.cover.audience == Audience::OfficialsOnly {
            let line = truncate_utf16(&book.cover.audience_text, HEADER_TEXT_LIMIT);
            // A literal ampersand is doubled in header codes.
            header.push_str("&R&\"-,Bold\"&KFF0000");
            header.push_str(&line.replace('&', "&&"));
        }
        let footer = match book.lang {
            Lang::Zh => "&C第 &P 页，共 &N 页",
            Lang::En => "&CPage &P of &N",
        };
        PageSetup {
            header,
            footer: footer.to_owned(),
        }
    }

    /// Sets up a table sheet as its `print` says, its header at `header_row`.
    pub(super) fn apply_to_table(
        &self,
        ws: &mut Worksheet,
        print: &Print,
        header_row: u32,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        match print.orientation {
            Orientation::Landscape => ws.set_landscape(),
            Orientation::Portrait => ws.set_portrait(),
        };
        if print.repeat_header {
            ws.set_repeat_rows(header_row, header_row)?;
        }
        self.apply(ws);
        Ok(())
    }

    /// Sets up a text sheet (cover, notes): portrait.
    pub(super) fn apply_portrait(&self, ws: &mut Worksheet) {
        ws.set_portrait();
        self.apply(ws);
    }

    fn apply(&self, ws: &mut Worksheet) {
        ws.set_paper_size(PAPER_A4);
        // One page wide, as many pages tall as the rows need.
        ws.set_print_fit_to_pages(1, 0);
        ws.set_print_gridlines(false);
        ws.set_header(&self.header);
        ws.set_footer(&self.footer);
    }
}
