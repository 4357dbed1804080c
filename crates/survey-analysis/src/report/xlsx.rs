//! Writes a [`Book`] as an `.xlsx` workbook: a cover, one sheet per table (an Excel table
//! with a frozen, filterable header, number formats, conditional formatting and a native
//! chart), and the method notes.
//!
//! The output is byte-identical for the same book: the document properties carry a fixed
//! creation date and nothing is iterated in hash order. Text is always written as text,
//! so a label such as `=1+1` from a return never becomes a formula.
//!
//! ```no_run
//! use std::path::Path;
//! # fn demo(book: &survey_analysis::report::book::Book) -> Result<(), survey_analysis::report::xlsx::ReportError> {
//! use survey_analysis::report::{Access, xlsx::write_book};
//! write_book(book, Path::new("reports/published/sector-demand.xlsx"), Access::Published)?;
//! # Ok(())
//! # }
//! ```

mod page;
mod table;
mod text;

use super::book::{self, Audience, Book};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatUnderline, Url, Workbook, Worksheet, XlsxError,
};
use std::path::{Path, PathBuf};
use survey_def::Lang;
use text::{display_width, excel_text};

/// Why a report workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The workbook library refused the content (a name, a range, a size beyond Excel's
    /// limits).
    #[error("cannot build the workbook {file}: {source}")]
    Xlsx {
        /// File name of the book.
        file: String,
        /// What the library reported.
        #[source]
        source: XlsxError,
    },
    /// The file could not be written to its folder.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// What the system reported.
        #[source]
        source: std::io::Error,
    },
}

/// Creation date written into every report's document properties. Fixed so that the same
/// book always gives the same bytes; the date the figures rest on is on the cover.
const CREATION_DATE: (u16, u8, u8) = (2000, 1, 1);
/// Author and company written into the document properties.
const PRODUCER: &str = "labor-survey";

/// Writes `book` to `path` atomically: the bytes go to a temporary file in the same
/// folder, which is renamed to `path` once complete, so a reader never sees half a file.
/// A restricted book stays owner-only on Unix.
pub fn write_book(book: &Book, path: &Path, access: super::Access) -> Result<(), ReportError> {
    let bytes = book_bytes(book)?;
    super::write_atomically(path, &bytes, access).map_err(|source| ReportError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The `.xlsx` bytes of `book`, as [`write_book`] writes them.
pub fn book_bytes(book: &Book) -> Result<Vec<u8>, ReportError> {
    build(book)
        .and_then(|mut workbook| workbook.save_to_buffer())
        .map_err(|source| ReportError::Xlsx {
            file: book.file_name.clone(),
            source,
        })
}

fn build(book: &Book) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let (y, m, d) = CREATION_DATE;
    // The cover lists the survey first; it is the workbook's subject.
    let subject = book.cover.facts.first().map_or("", |(_, value)| value.as_str());
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&book.cover.title)
            .set_subject(subject)
            .set_author(PRODUCER)
            .set_company(PRODUCER)
            .set_comment(&book.cover.subtitle)
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?),
    );

    let names = text::SheetNames::new(book);
    let styles = Styles::new();
    let page = page::PageSetup::new(book);

    let cover = workbook.add_worksheet();
    cover.set_name(&names.cover)?;
    write_cover(cover, book, &names, &styles, &page)?;

    // A book for officials lists enterprises, as many rows as there are flags or
    // outliers: its table sheets are written a row at a time in constant-memory mode, so
    // the rows are not held a second time by the writer (their text is then stored in
    // each cell rather than in the shared strings).
    let row_by_row = book.cover.audience == Audience::OfficialsOnly;
    let mut table_names = text::TableNames::default();
    for (sheet, name) in book.sheets.iter().zip(&names.sheets) {
        let worksheet = if row_by_row {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        worksheet.set_name(name)?;
        let table_name = table_names.take(&sheet.table.name);
        let order = if row_by_row {
            table::Order::RowByRow
        } else {
            table::Order::ColumnByColumn
        };
        table::write_sheet(
            worksheet,
            sheet,
            (name, &table_name),
            &styles,
            &page,
            (table::SHEET_ROWS, order),
        )?;
    }

    let notes = workbook.add_worksheet();
    notes.set_name(&names.notes)?;
    write_notes(notes, book, &names.notes, &styles, &page)?;
    Ok(workbook)
}

/// Every cell format the writer uses, made once per book.
struct Styles {
    title: Format,
    intro: Format,
    footnote: Format,
    header: Format,
    text: Format,
    text_wrapped: Format,
    symbol: Format,
    persons: Format,
    percent: Format,
    decimal: Format,
    cv: Format,
    cover_title: Format,
    cover_subtitle: Format,
    audience_published: Format,
    audience_officials: Format,
    heading: Format,
    label: Format,
    paragraph: Format,
    link: Format,
    severity_high: Format,
    severity_medium: Format,
    severity_low: Format,
    quality: Format,
}

impl Styles {
    fn new() -> Self {
        let top = |f: Format| f.set_align(FormatAlign::Top);
        let fill = |background: u32, font: u32| {
            Format::new()
                .set_background_color(Color::RGB(background))
                .set_font_color(Color::RGB(font))
        };
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            intro: Format::new().set_font_color(Color::RGB(0x404040)),
            footnote: Format::new()
                .set_italic()
                .set_font_size(9)
                .set_font_color(Color::RGB(0x595959)),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_font_color(Color::RGB(0x000000)),
            text: top(Format::new().set_num_format("@")),
            text_wrapped: top(Format::new().set_num_format("@").set_text_wrap()),
            symbol: top(Format::new().set_num_format("@").set_align(FormatAlign::Right)),
            persons: top(Format::new().set_num_format("#,##0")),
            percent: top(Format::new().set_num_format("0.0%")),
            decimal: top(Format::new().set_num_format("#,##0.00")),
            cv: top(Format::new().set_num_format("0.000")),
            cover_title: Format::new().set_bold().set_font_size(20),
            cover_subtitle: Format::new().set_font_size(12).set_font_color(Color::RGB(0x404040)),
            audience_published: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_font_color(Color::RGB(0x375623)),
            audience_officials: Format::new().set_bold().set_font_size(14).set_font_color(Color::Red),
            heading: Format::new().set_bold().set_font_size(12),
            label: top(Format::new().set_bold()),
            paragraph: top(Format::new().set_text_wrap()),
            link: top(Format::new().set_underline(FormatUnderline::Single)).set_font_color(Color::RGB(0x0563C1)),
            severity_high: fill(0xFFC7CE, 0x9C0006),
            severity_medium: fill(0xFFD8A8, 0x833C0B),
            severity_low: fill(0xFFEB9C, 0x7F6000),
            quality: fill(0xE7E6E6, 0x595959),
        }
    }

    /// The format of a number shown as `format`.
    fn number(&self, format: book::Format) -> &Format {
        match format {
            book::Format::Text => &self.text,
            book::Format::Persons | book::Format::Count | book::Format::Yuan => &self.persons,
            book::Format::Percent => &self.percent,
            book::Format::Decimal => &self.decimal,
            book::Format::Cv => &self.cv,
        }
    }
}

/// Width of the cover's label column bounds, in Excel character units.
const COVER_LABEL_WIDTH: (usize, usize) = (14, 34);
/// Width of the cover's value and paragraph column, in Excel character units.
const COVER_TEXT_WIDTH: f64 = 90.0;
/// Width of the method-notes column, in Excel character units.
const NOTES_WIDTH: f64 = 110.0;

fn write_cover(
    ws: &mut Worksheet,
    book: &Book,
    names: &text::SheetNames,
    styles: &Styles,
    page: &page::PageSetup,
) -> Result<(), XlsxError> {
    let cover = &book.cover;
    let (how_to_read, contents) = match book.lang {
        Lang::Zh => ("阅读说明", "目录"),
        Lang::En => ("How to read", "Contents"),
    };
    ws.write_string_with_format(0, 0, excel_text(&cover.title), &styles.cover_title)?;
    ws.write_string_with_format(1, 0, excel_text(&cover.subtitle), &styles.cover_subtitle)?;
    let audience = match cover.audience {
        Audience::Published => &styles.audience_published,
        Audience::OfficialsOnly => &styles.audience_officials,
    };
    ws.write_string_with_format(3, 0, excel_text(&cover.audience_text), audience)?;

    let mut row = 5;
    for (label, value) in &cover.facts {
        ws.write_string_with_format(row, 0, excel_text(label), &styles.label)?;
        ws.write_string_with_format(row, 1, excel_text(value), &styles.paragraph)?;
        row += 1;
    }

    if !cover.how_to_read.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, how_to_read, &styles.heading)?;
        for paragraph in &cover.how_to_read {
            ws.write_string_with_format(row, 1, excel_text(paragraph), &styles.paragraph)?;
            row += 1;
        }
    }

    if !cover.contents.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, contents, &styles.heading)?;
        row += 1;
        for (sheet, description) in &cover.contents {
            match names.written_name(sheet) {
                // Sheet names are cleaned of quotes, so quoting the name is enough.
                Some(name) => {
                    let link = Url::new(format!("internal:'{name}'!A1")).set_text(name);
                    ws.write_url_with_format(row, 0, link, &styles.link)?;
                }
                None => {
                    ws.write_string_with_format(row, 0, excel_text(sheet), &styles.label)?;
                }
            }
            ws.write_string_with_format(row, 1, excel_text(description), &styles.paragraph)?;
            row += 1;
        }
    }

    let labels = cover
        .facts
        .iter()
        .map(|(label, _)| label.as_str())
        .chain(cover.contents.iter().map(|(sheet, _)| sheet.as_str()))
        .chain([how_to_read, contents]);
    let (min, max) = COVER_LABEL_WIDTH;
    let label_width = labels.map(display_width).max().unwrap_or(0).clamp(min, max) + 2;
    ws.set_column_width(0, label_width as f64)?;
    ws.set_column_width(1, COVER_TEXT_WIDTH)?;
    ws.set_screen_gridlines(false);
    page.apply_portrait(ws);
    Ok(())
}

fn write_notes(
    ws: &mut Worksheet,
    book: &Book,
    name: &str,
    styles: &Styles,
    page: &page::PageSetup,
) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, excel_text(name), &styles.title)?;
    let mut row = 2;
    for section in &book.notes {
        ws.write_string_with_format(row, 0, excel_text(&section.heading), &styles.heading)?;
        row += 1;
        for paragraph in &section.paragraphs {
            ws.write_string_with_format(row, 0, excel_text(paragraph), &styles.paragraph)?;
            row += 1;
        }
        row += 1;
    }
    ws.set_column_width(0, NOTES_WIDTH)?;
    ws.set_screen_gridlines(false);
    page.apply_portrait(ws);
    Ok(())
}
