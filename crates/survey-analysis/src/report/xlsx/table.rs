//! A table sheet: title, intro lines, the table as an Excel table, footnotes, and a chart
//! beside the table.

use super::Styles;
use super::page::PageSetup;
use super::text::{display_width, excel_text, truncate_utf16};
use crate::report::book::{self, Cell, ColumnStyle, SYMBOL_CAUTION, SYMBOL_NOT_AVAILABLE, SYMBOL_SUPPRESSED, Sheet};
use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartLegendPosition, ChartType, ConditionalFormatCell, ConditionalFormatCellRule,
    ConditionalFormatDataBar, ConditionalFormatText, ConditionalFormatTextRule, Format, Table, TableColumn, TableStyle,
    Worksheet, XlsxError,
};

/// Narrowest and widest a table column is made, in Excel character units; text wider
/// than the widest wraps.
const COLUMN_WIDTH: (usize, usize) = (6, 50);
/// Widest a header alone makes its column: longer headers wrap.
const HEADER_WIDTH: usize = 24;
/// Room for the filter button beside a header, in character units.
const FILTER_BUTTON_WIDTH: usize = 3;
/// Space either side of a cell's text, in character units.
const COLUMN_PADDING: usize = 2;
/// Longest table header; Excel stores table column names in 255 characters.
const HEADER_LIMIT: usize = 255;
/// Chart size bounds, in pixels: column charts grow wider with their columns, bar charts
/// taller with their bars.
const CHART_WIDTH: (u32, u32) = (520, 960);
/// Width of a bar chart, in pixels: room for long category names.
const BAR_CHART_WIDTH: u32 = 600;
const CHART_HEIGHT: (u32, u32) = (320, 1000);
/// Pixels per bar (per category and series) beyond the chart's frame, and the frame.
const CHART_BAR_PIXELS: u32 = 18;
const CHART_FRAME_PIXELS: u32 = 120;

/// Rows of a worksheet (Excel's limit).
pub(super) const SHEET_ROWS: u32 = 1_048_576;

/// The order cells are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// A column at a time (a sheet held in memory until the book is saved).
    ColumnByColumn,
    /// A row at a time, top to bottom, as a constant-memory sheet must be written.
    RowByRow,
}

/// Writes `sheet` to `ws` (a sheet of `sheet_rows` rows, [`SHEET_ROWS`] but in tests,
/// its cells written in `order`), named `name`, with its table named `table_name`. A table longer than the sheet can
/// hold keeps its first rows (tables list what matters most first) and says in a
/// footnote how many rows are not listed, rather than failing the whole workbook.
pub(super) fn write_sheet(
    ws: &mut Worksheet,
    sheet: &Sheet,
    (name, table_name): (&str, &str),
    styles: &Styles,
    page: &PageSetup,
    (sheet_rows, order): (u32, Order),
) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, excel_text(&sheet.title), &styles.title)?;
    let mut row: u32 = 1;
    for line in &sheet.intro {
        ws.write_string_with_format(row, 0, excel_text(line), &styles.intro)?;
        row += 1;
    }
    let header_row = row + 1;
    let table = &sheet.table;
    // Below the table: a blank row, the footnotes and the note on rows left out.
    let below = 2 + table.footnotes.len() as u64;
    let room = u64::from(sheet_rows).saturating_sub(u64::from(header_row) + 1 + below);
    let shown = table.rows.len().min(usize::try_from(room).unwrap_or(usize::MAX));
    let left_out = (table.rows.len() > shown).then(|| {
        let (all, rest) = (table.rows.len(), table.rows.len() - shown);
        format!(
            "本表共 {all} 行，工作表只能容纳前 {shown} 行，其余 {rest} 行未列出。 / The table has {all} rows; a sheet holds the first {shown}, and the other {rest} are not listed."
        )
    });

    let mut next_row = header_row;
    if !table.columns.is_empty() {
        let last_row = write_table(ws, table, (shown, order), header_row, table_name, styles)?;
        if let Some(chart) = &sheet.chart {
            insert_chart(ws, chart, table, shown, name, header_row)?;
        }
        ws.set_freeze_panes(header_row + 1, 0)?;
        next_row = last_row + 2;
    }
    for line in table.footnotes.iter().chain(&left_out) {
        ws.write_string_with_format(next_row, 0, excel_text(line), &styles.footnote)?;
        next_row += 1;
    }
    page.apply_to_table(ws, &sheet.print, header_row)?;
    Ok(())
}

/// Writes the table's first `shown` rows, in `order`, with its header at `header_row`;
/// returns its last row.
fn write_table(
    ws: &mut Worksheet,
    table: &book::Table,
    (shown, order): (usize, Order),
    header_row: u32,
    table_name: &str,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let too_big = |_| XlsxError::RowColumnLimitError;
    let last_col = u16::try_from(table.columns.len() - 1).map_err(too_big)?;
    // An Excel table needs a data row: an empty table gets one blank row.
    let rows = &table.rows[..shown.min(table.rows.len())];
    let data_rows = u32::try_from(rows.len().max(1)).map_err(too_big)?;
    let last_row = header_row
        .checked_add(data_rows)
        .ok_or(XlsxError::RowColumnLimitError)?;

    let headers = unique_headers(table);
    let columns: Vec<TableColumn> = headers
        .iter()
        .map(|h| TableColumn::new().set_header(h).set_header_format(&styles.header))
        .collect();
    let excel_table = Table::new()
        .set_name(table_name)
        .set_style(TableStyle::Medium2)
        .set_autofilter(true)
        .set_columns(&columns);
    ws.add_table(header_row, 0, last_row, last_col, &excel_table)?;

    let mut wraps = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let col = i as u16; // within last_col
        let content = rows
            .iter()
            .filter_map(|cells| cells.get(i))
            .map(|cell| cell_width(cell, column.format))
            .max()
            .unwrap_or(0);
        let (min, max) = COLUMN_WIDTH;
        let header = (display_width(&headers[i]) + FILTER_BUTTON_WIDTH).min(HEADER_WIDTH);
        let width = content.max(header).clamp(min, max) + COLUMN_PADDING;
        ws.set_column_width(col, width as f64)?;

        let wrap = content > max;
        wraps.push(wrap);
        if order == Order::ColumnByColumn {
            for (r, cells) in rows.iter().enumerate() {
                if let Some(cell) = cells.get(i) {
                    let row = header_row + 1 + r as u32; // within last_row
                    write_cell(ws, row, col, cell, column.format, wrap, styles)?;
                }
            }
        }
        conditional_format(ws, &column.style, header_row + 1, last_row, col, styles)?;
    }
    if order == Order::RowByRow {
        for (r, cells) in rows.iter().enumerate() {
            let row = header_row + 1 + r as u32; // within last_row
            for ((i, column), cell) in table.columns.iter().enumerate().zip(cells) {
                write_cell(ws, row, i as u16, cell, column.format, wraps[i], styles)?;
            }
        }
    }
    Ok(last_row)
}

/// Column headers made unique (Excel refuses a table with two equal headers, ignoring
/// case) and within Excel's length.
fn unique_headers(table: &book::Table) -> Vec<String> {
    let mut headers: Vec<String> = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let base = truncate_utf16(column.header.trim(), HEADER_LIMIT - 8).into_owned();
        let base = if base.is_empty() {
            format!("Column{}", i + 1)
        } else {
            base
        };
        let mut header = base.clone();
        let mut n = 2;
        while headers.iter().any(|h| h.to_lowercase() == header.to_lowercase()) {
            header = format!("{base} ({n})");
            n += 1;
        }
        headers.push(header);
    }
    headers
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    format: book::Format,
    wrap: bool,
    styles: &Styles,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Blank => {}
        // Always a string: text from a return must never become a formula.
        Cell::Text(text) => {
            let format = if wrap { &styles.text_wrapped } else { &styles.text };
            ws.write_string_with_format(row, col, excel_text(text), format)?;
        }
        Cell::Number(value) => write_number(ws, row, col, *value, styles.number(format), styles)?,
        Cell::Formatted(value, own) => write_number(ws, row, col, *value, styles.number(*own), styles)?,
        Cell::Suppressed => {
            ws.write_string_with_format(row, col, SYMBOL_SUPPRESSED, &styles.symbol)?;
        }
        Cell::NotAvailable => {
            ws.write_string_with_format(row, col, SYMBOL_NOT_AVAILABLE, &styles.symbol)?;
        }
    }
    Ok(())
}

fn write_number(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value: f64,
    format: &Format,
    styles: &Styles,
) -> Result<(), XlsxError> {
    // Excel has no NaN or infinity: such a figure cannot be shown.
    if value.is_finite() {
        ws.write_number_with_format(row, col, value, format)?;
    } else {
        ws.write_string_with_format(row, col, SYMBOL_NOT_AVAILABLE, &styles.symbol)?;
    }
    Ok(())
}

/// Width of a cell as shown, in character units.
fn cell_width(cell: &Cell, format: book::Format) -> usize {
    match cell {
        Cell::Blank => 0,
        Cell::Text(text) => display_width(text),
        Cell::Number(v) => shown(*v, format).len(),
        Cell::Formatted(v, own) => shown(*v, *own).len(),
        Cell::Suppressed => SYMBOL_SUPPRESSED.len(),
        Cell::NotAvailable => SYMBOL_NOT_AVAILABLE.len(),
    }
}

/// A number roughly as Excel shows it in `format` (for widths only).
fn shown(value: f64, format: book::Format) -> String {
    if !value.is_finite() {
        return SYMBOL_NOT_AVAILABLE.to_owned();
    }
    match format {
        book::Format::Persons | book::Format::Count | book::Format::Yuan => grouped(value, 0),
        book::Format::Decimal => grouped(value, 2),
        book::Format::Percent => format!("{:.1}%", value * 100.0),
        book::Format::Cv => format!("{value:.3}"),
        // General format shows about eleven characters at most.
        book::Format::Text => {
            let plain = value.to_string();
            if plain.len() > 11 {
                format!("{value:.5e}")
            } else {
                plain
            }
        }
    }
}

/// `value` with `decimals` decimals and thousands separators.
fn grouped(value: f64, decimals: usize) -> String {
    let fixed = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = fixed
        .split_once('.')
        .map_or((fixed.as_str(), None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    if value < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

fn conditional_format(
    ws: &mut Worksheet,
    style: &ColumnStyle,
    first_row: u32,
    last_row: u32,
    col: u16,
    styles: &Styles,
) -> Result<(), XlsxError> {
    match style {
        ColumnStyle::Plain => {}
        ColumnStyle::DataBar => {
            ws.add_conditional_format(first_row, col, last_row, col, &ConditionalFormatDataBar::new())?;
        }
        ColumnStyle::Severity { high, medium, low } => {
            for (text, format) in [
                (high, &styles.severity_high),
                (medium, &styles.severity_medium),
                (low, &styles.severity_low),
            ] {
                // An empty text would make an empty rule, which Excel refuses.
                if text.is_empty() {
                    continue;
                }
                let rule = ConditionalFormatCell::new()
                    .set_rule(ConditionalFormatCellRule::EqualTo(text.as_str()))
                    .set_format(format);
                ws.add_conditional_format(first_row, col, last_row, col, &rule)?;
            }
        }
        ColumnStyle::Quality => {
            for symbol in [SYMBOL_CAUTION, SYMBOL_SUPPRESSED] {
                let rule = ConditionalFormatText::new()
                    .set_rule(ConditionalFormatTextRule::Contains(symbol.to_owned()))
                    .set_format(&styles.quality);
                ws.add_conditional_format(first_row, col, last_row, col, &rule)?;
            }
        }
    }
    Ok(())
}

/// Inserts `chart` to the right of the table. A chart whose columns or rows fall outside
/// the table has nothing to draw and is left out.
fn insert_chart(
    ws: &mut Worksheet,
    chart: &book::Chart,
    table: &book::Table,
    shown: usize,
    sheet_name: &str,
    header_row: u32,
) -> Result<(), XlsxError> {
    let columns = table.columns.len();
    let rows = chart.rows.start..chart.rows.end.min(shown);
    if rows.is_empty() || chart.categories >= columns || chart.values.is_empty() {
        return Ok(());
    }
    if chart.values.iter().any(|&v| v >= columns) {
        return Ok(());
    }
    let too_big = |_| XlsxError::RowColumnLimitError;
    let first = header_row + 1 + u32::try_from(rows.start).map_err(too_big)?;
    let last = header_row + u32::try_from(rows.end).map_err(too_big)?;
    let categories = chart.categories as u16; // < columns, which fit in u16

    let mut excel_chart = match chart.kind {
        book::ChartKind::Bar => Chart::new(ChartType::Bar),
        book::ChartKind::Column => Chart::new(ChartType::Column),
    };
    for &value in &chart.values {
        let value = value as u16;
        excel_chart
            .add_series()
            .set_name((sheet_name, header_row, value))
            .set_categories((sheet_name, first, categories, last, categories))
            .set_values((sheet_name, first, value, last, value));
    }
    excel_chart.title().set_name(&chart.title);
    if chart.values.len() == 1 {
        excel_chart.legend().set_hidden();
    } else {
        excel_chart.legend().set_position(ChartLegendPosition::Bottom);
    }

    let value_format = num_format(table.columns[chart.values[0]].format);
    let count = (rows.len() * chart.values.len()) as u32;
    let extent = CHART_FRAME_PIXELS.saturating_add(count.saturating_mul(CHART_BAR_PIXELS));
    match chart.kind {
        book::ChartKind::Bar => {
            excel_chart.x_axis().set_num_format(value_format);
            // Categories top to bottom in table order, the value axis kept at the bottom.
            excel_chart.y_axis().set_reverse().set_crossing(ChartAxisCrossing::Max);
            excel_chart.set_width(BAR_CHART_WIDTH);
            excel_chart.set_height(extent.clamp(CHART_HEIGHT.0, CHART_HEIGHT.1));
        }
        book::ChartKind::Column => {
            excel_chart.y_axis().set_num_format(value_format);
            excel_chart.set_width(extent.clamp(CHART_WIDTH.0, CHART_WIDTH.1));
            excel_chart.set_height(CHART_HEIGHT.0);
        }
    }
    let beside = u16::try_from(columns + 1).map_err(too_big)?;
    ws.insert_chart(header_row, beside, &excel_chart)?;
    Ok(())
}

/// Excel number format of `format`, for chart axes.
fn num_format(format: book::Format) -> &'static str {
    match format {
        book::Format::Text => "General",
        book::Format::Persons | book::Format::Count | book::Format::Yuan => "#,##0",
        book::Format::Percent => "0.0%",
        book::Format::Decimal => "#,##0.00",
        book::Format::Cv => "0.000",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_measured_as_shown() {
        assert_eq!(grouped(1234567.4, 0), "1,234,567");
        assert_eq!(grouped(-1234.567, 2), "-1,234.57");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-0.2, 0), "0");
        assert_eq!(shown(0.1234, book::Format::Percent), "12.3%");
        assert_eq!(shown(0.25, book::Format::Cv), "0.250");
    }

    #[test]
    fn a_table_longer_than_the_sheet_keeps_its_first_rows_and_says_so() {
        use calamine::{Data, DataType, Reader, Xlsx};
        let column = |header: &str| book::Column {
            header: header.into(),
            format: book::Format::Persons,
            style: ColumnStyle::Plain,
        };
        let sheet = Sheet {
            print: book::Print::default(),
            name: "Long".into(),
            title: "A long list".into(),
            intro: vec!["intro".into()],
            table: book::Table {
                name: "T".into(),
                columns: vec![column("n")],
                rows: (0..50).map(|n| vec![book::Cell::Number(f64::from(n))]).collect(),
                footnotes: vec!["a footnote".into()],
            },
            chart: None,
        };
        for order in [Order::ColumnByColumn, Order::RowByRow] {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let styles = Styles::new();
            let ws = match order {
                Order::ColumnByColumn => workbook.add_worksheet(),
                Order::RowByRow => workbook.add_worksheet_with_constant_memory().unwrap(),
            };
            // 20 rows: title, intro, a blank row, the header, 13 data rows, then a blank row,
            // the footnote and the note.
            write_sheet(ws, &sheet, ("Long", "T"), &styles, &PageSetup::default(), (20, order)).unwrap();
            let bytes = workbook.save_to_buffer().unwrap();
            let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let range = book.worksheet_range("Sheet1").unwrap();
            let numbers: Vec<f64> = range.rows().filter_map(|r| r[0].get_float()).collect();
            assert_eq!(numbers, (0..13).map(f64::from).collect::<Vec<_>>());
            let last: Vec<String> = range.rows().rev().take(2).map(|r| r[0].to_string()).collect();
            assert!(
                last[0].contains("50") && last[0].contains("13") && last[0].contains("37"),
                "{last:?}"
            );
            assert_eq!(last[1], "a footnote");
            assert_eq!(range.height(), 20);
            assert!(matches!(range.get((0, 0)), Some(Data::String(t)) if t == "A long list"));
        }
    }

    #[test]
    fn equal_headers_are_told_apart() {
        let column = |header: &str| book::Column {
            header: header.into(),
            format: book::Format::Text,
            style: ColumnStyle::Plain,
        };
        let table = book::Table {
            name: "T".into(),
            columns: vec![column("SE"), column("se"), column(" "), column("SE")],
            rows: vec![],
            footnotes: vec![],
        };
        assert_eq!(unique_headers(&table), ["SE", "se (2)", "Column3", "SE (3)"]);
    }
}
